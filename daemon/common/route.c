// SPDX-License-Identifier: GPL-2.0
/*
 * route.c - source address selection by route lookup (see route.h).
 * connect() on a UDP socket sends nothing; it only runs the route lookup.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/route.h"

int
route_src_for(const union xr_sa *dst, union xr_sa *src)
{
	union xr_sa d = *dst, s;
	socklen_t sl = sizeof(s);
	int fd, err = 0;

	if (xr_sa_port(&d) == 0)
		xr_sa_set_port(&d, 9);	/* any port: only the route matters */
	fd = socket(d.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, &d.sa, xr_sa_len(&d)) < 0 || getsockname(fd, &s.sa, &sl) < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	xr_sa_set_port(&s, 0);
	*src = s;
	return 0;
}

int
route_pick(const union xr_sa *cands, int n, const union xr_sa *dst)
{
	union xr_sa src;

	if (n <= 0)
		return -1;
	if (route_src_for(dst, &src) == 0) {
		for (int i = 0; i < n; i++)
			if (xr_sa_ip_eq(&cands[i], &src))
				return i;
	}
	for (int i = 0; i < n; i++)
		if (cands[i].sa.sa_family == dst->sa.sa_family)
			return i;
	return 0;
}
