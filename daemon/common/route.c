// SPDX-License-Identifier: GPL-2.0
/*
 * route.c - source address selection by route lookup (see route.h).
 * connect() on a UDP socket sends nothing; it only runs the route lookup.
 * Answers are cached per thread for a second.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/hash.h"
#include "common/route.h"

/*
 * Per thread: one UDP socket per family, disconnected and connected again
 * for each lookup (connect() on a UDP socket only runs the route lookup), and
 * a small direct-mapped cache of answers kept ROUTE_CACHE_MS: a call asks
 * about the same few parties several times, and a route change is seen
 * within that time.  Measured: the throw-away socket per lookup (socket,
 * connect, getsockname, close) was ~8 % of xrelayd's CPU per anchored call.
 */
#define ROUTE_CACHE_SLOTS	64
#define ROUTE_CACHE_MS		1000

struct route_slot {
	union xr_sa	dst;		/* address only (port 0); family 0: empty */
	union xr_sa	src;
	uint64_t	expires_ms;
};

static __thread int			route_fd[2] = { -1, -1 };	/* v4, v6 */
static __thread struct route_slot	route_cache[ROUTE_CACHE_SLOTS];

static unsigned int
route_slot_of(const union xr_sa *a)
{
	const uint8_t *p;
	size_t n;

	if (a->sa.sa_family == AF_INET6) {
		p = a->sin6.sin6_addr.s6_addr;
		n = 16;
	} else {
		p = (const uint8_t *)&a->sin.sin_addr;
		n = 4;
	}
	return xr_fnv32(XR_FNV32_INIT, p, n) % ROUTE_CACHE_SLOTS;
}

/*
 * The lookup socket of family fam, bound to the wildcard address and an
 * explicit port of its own, which a disconnect keeps: connect() then only
 * routes and never searches for a free port.  That search is slow when
 * ip_local_reserved_ports holds most ports (xrelayd reserves --ports;
 * --ports 1024-65535 leaves it none and every connect() failed after a full
 * scan).  The port is found with one automatic bind, else among 1023..512
 * (root); failing both, the socket is left unbound (an automatic bind a
 * lookup, as before).
 */
static int
route_socket(int fam)
{
	union xr_sa a;
	socklen_t l = sizeof(a);
	int fd, probe, one = 1, small = 2048;

	fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));	/* reads nothing */
	if (fam == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sa.sa_family = (sa_family_t)fam;
	probe = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && bind(probe, &a.sa, xr_sa_len(&a)) == 0 &&
	    getsockname(probe, &a.sa, &l) == 0) {
		close(probe);
		probe = -1;
		if (bind(fd, &a.sa, xr_sa_len(&a)) == 0)
			return fd;
	}
	if (probe >= 0)
		close(probe);
	for (unsigned p = 1023; p >= 512; p--) {
		xr_sa_set_port(&a, (uint16_t)p);
		if (bind(fd, &a.sa, xr_sa_len(&a)) == 0)
			return fd;
		if (errno != EADDRINUSE)
			break;
	}
	return fd;
}

static int
route_lookup(const union xr_sa *dst, union xr_sa *src)
{
	union xr_sa d = *dst, s;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	socklen_t sl = sizeof(s);
	int *fd = &route_fd[d.sa.sa_family == AF_INET6];

	xr_sa_set_port(&d, 9);	/* any port: only the route matters */
	if (*fd < 0) {
		*fd = route_socket(d.sa.sa_family);
		if (*fd < 0)
			return *fd;
	}
	/*
	 * connect() sets the source address it picked; a disconnect
	 * (AF_UNSPEC) resets it (the address is not bound), so each lookup
	 * picks afresh.
	 */
	if (connect(*fd, &unspec, sizeof(unspec)) < 0 ||
	    connect(*fd, &d.sa, xr_sa_len(&d)) < 0 || getsockname(*fd, &s.sa, &sl) < 0) {
		int err = -errno;

		/* A socket left in an odd state: start over next time. */
		close(*fd);
		*fd = -1;
		return err;
	}
	xr_sa_set_port(&s, 0);
	*src = s;
	return 0;
}

int
route_src_for(const union xr_sa *dst, union xr_sa *src)
{
	struct route_slot *sl;
	union xr_sa key = *dst;
	uint64_t now;
	int err;

	if (dst->sa.sa_family != AF_INET && dst->sa.sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	xr_sa_set_port(&key, 0);
	sl = &route_cache[route_slot_of(&key)];
	now = xr_coarse_ms();
	if (sl->dst.sa.sa_family && now < sl->expires_ms && xr_sa_ip_eq(&sl->dst, &key)) {
		*src = sl->src;
		return 0;
	}
	err = route_lookup(&key, src);
	if (err)
		return err;
	sl->dst = key;
	sl->src = *src;
	sl->expires_ms = now + ROUTE_CACHE_MS;
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

int
route_mtu_for(const union xr_sa *dst)
{
	union xr_sa d = *dst;
	int fd, mtu = 0, err;
	socklen_t ol = sizeof(mtu);

	if (d.sa.sa_family != AF_INET && d.sa.sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	xr_sa_set_port(&d, 9);
	fd = socket(d.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* connect() runs the route lookup; IP_MTU is then the path's (route or PMTU cache) */
	if (connect(fd, &d.sa, xr_sa_len(&d)) < 0 ||
	    getsockopt(fd, d.sa.sa_family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
		       d.sa.sa_family == AF_INET6 ? IPV6_MTU : IP_MTU, &mtu, &ol) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	close(fd);
	return mtu;
}
