// SPDX-License-Identifier: GPL-2.0
/*
 * shared.c - set-up and tear-down of the shared-socket relay (shared.h): the
 * receiving UDP socket of each --media address, the raw sending sockets, the
 * port reservation and the sk_lookup link.  relay.c reads and writes them.
 *
 * Sending: a datagram must leave from the relay port its peer sends to, and
 * no UDP socket option sets the source port per datagram (IP_PKTINFO and
 * IPV6_PKTINFO set only the address).  A socket per port is what this
 * replaces, so the relay writes whole IP+UDP packets through one
 * IPPROTO_RAW socket per family (IPv4: header included by that protocol;
 * IPv6: IPV6_HDRINCL), as the XDP path rewrites them; an IPPROTO_RAW socket
 * receives nothing, so it costs nothing on the receive path.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "fastpath/fastpath.h"
#include "media/media.h"
#include "media/reserve.h"
#include "media/shared.h"

#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL	36	/* linux/in6.h, not in every libc */
#endif

/* Receive buffer of a shared socket: every session's packets queue there. */
#define SHARED_RCVBUF	(16 << 20)

static struct {
	struct fp_sk	sk;
	int		fds[XR_MAX_MEDIA];
	int		nfds;
	int		raw[2];		/* [0] IPv4, [1] IPv6; -1: none */
	bool		open;
} SH = { .raw = { -1, -1 } };

int
shared_raw_fd(int fam)
{
	return fam == AF_INET ? SH.raw[0] : fam == AF_INET6 ? SH.raw[1] : -1;
}

/*
 * Bind fd to addr on a port outside lo..hi: the kernel's pick (the range is
 * reserved by then), or, when the range leaves it none (--ports 1024-65535),
 * the first free one below lo, then above hi.  0 or -errno.
 */
static int
shared_bind(int fd, const union xr_sa *addr, uint16_t lo, uint16_t hi)
{
	union xr_sa sa = *addr;

	xr_sa_set_port(&sa, 0);
	if (bind(fd, &sa.sa, xr_sa_len(&sa)) == 0)
		return 0;
	for (unsigned p = lo - 1u; errno == EADDRINUSE && p >= 1 && p < lo; p--) {
		xr_sa_set_port(&sa, (uint16_t)p);
		if (bind(fd, &sa.sa, xr_sa_len(&sa)) == 0)
			return 0;
	}
	for (unsigned p = hi + 1u; errno == EADDRINUSE && p <= 65535; p++) {
		xr_sa_set_port(&sa, (uint16_t)p);
		if (bind(fd, &sa.sa, xr_sa_len(&sa)) == 0)
			return 0;
	}
	return -errno;
}

/* The receiving socket for addr, on a port outside lo..hi. */
static int
shared_socket(const union xr_sa *addr, uint16_t lo, uint16_t hi)
{
	int one = 1, fd, err, rcv = SHARED_RCVBUF;
	bool v6 = addr->sa.sa_family == AF_INET6;
	char a[XR_SA_STRLEN];

	fd = socket(addr->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (v6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
		 setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one)) < 0 ||
		 setsockopt(fd, IPPROTO_IPV6, IPV6_RECVORIGDSTADDR, &one, sizeof(one)) < 0
	       : setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one)) < 0 ||
		 setsockopt(fd, IPPROTO_IP, IP_RECVORIGDSTADDR, &one, sizeof(one)) < 0)
		goto out_close;
	err = shared_bind(fd, addr, lo, hi);
	if (err < 0)
		goto out_log;
	return fd;
out_close:
	err = -errno;
out_log:
	logs(LS_MEDIA, LL_WARN, "shared media socket on %s: %s",
	     xr_sa_ipstr(addr, a, sizeof(a)), strerror(-err));
	close(fd);
	/* -EADDRINUSE is the caller's "a relay port is taken": not this. */
	return err == -EADDRINUSE ? -EADDRNOTAVAIL : err;
}

/* The raw sending socket of family fam. */
static int
raw_socket(int fam)
{
	int one = 1, ttl = MEDIA_TTL, fd, err;

	fd = socket(fam, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		goto out_err;
	if (fam == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof(one)) < 0)
		goto out_close;
	/* The headers carry the TTL; this only keeps the socket's default alike. */
	if (fam == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	return fd;
out_close:
	close(fd);
out_err:
	err = -errno;
	logs(LS_MEDIA, LL_WARN, "raw %s socket for the media relay: %s",
	     fam == AF_INET ? "IPv4" : "IPv6", strerror(-err));
	return err;
}

/* Undo whatever shared_open() got to. */
static void
shared_undo(void)
{
	fp_sk_close(&SH.sk);
	for (int i = 0; i < SH.nfds; i++)
		close(SH.fds[i]);
	SH.nfds = 0;
	for (int i = 0; i < 2; i++) {
		if (SH.raw[i] >= 0)
			close(SH.raw[i]);
		SH.raw[i] = -1;
	}
	ports_unreserve();
}

/*
 * Long (~70 lines) because it is the ordered steps of the set-up, each
 * undone by shared_undo() on failure.
 */
int
shared_open(const union xr_sa *addrs, int n, uint16_t lo, uint16_t hi,
	    const uint16_t *skip, int nskip, bool claim, int fds[])
{
	char a[XR_SA_STRLEN], b_s[XR_SA_STRLEN];
	int err, port;

	fp_sk_reset(&SH.sk);
	SH.nfds = 0;
	port = ports_in_use(addrs, n, lo, hi);
	if (port > 0) {
		logs(LS_MEDIA, LL_WARN, "media port %d (--ports %u-%u) is already in use by "
		     "another socket: stop what holds it or choose another range", port, lo, hi);
		return -EADDRINUSE;
	}
	if (port < 0)
		logs(LS_MEDIA, LL_WARN, "cannot read the UDP socket tables: %s (ports in use "
		     "not checked)", strerror(-port));
	err = fp_sk_open(&SH.sk);
	if (err)
		goto out_undo;
	/*
	 * Before the shared sockets bind (port 0) so theirs fall outside the
	 * range.  Not fatal: the range still works, the kernel may only hand
	 * its ports out to other sockets (which then receive nothing).
	 */
	ports_reserve(lo, hi, claim);
	for (int i = 0; i < n; i++) {
		int fam = addrs[i].sa.sa_family, r = fam == AF_INET ? 0 : 1;

		if (SH.raw[r] < 0) {
			SH.raw[r] = raw_socket(fam);
			if (SH.raw[r] < 0) {
				err = SH.raw[r];
				SH.raw[r] = -1;
				goto out_undo;
			}
		}
		fds[i] = shared_socket(&addrs[i], lo, hi);
		if (fds[i] < 0) {
			err = fds[i];
			goto out_undo;
		}
		SH.fds[SH.nfds++] = fds[i];
		err = fp_sk_add(&SH.sk, &addrs[i], lo, hi, fds[i]);
		if (err)
			goto out_undo;
	}
	for (int i = 0; i < nskip; i++) {
		err = fp_sk_skip(&SH.sk, skip[i]);
		if (err)
			goto out_undo;
	}
	err = fp_sk_attach(&SH.sk);
	if (err)
		goto out_undo;
	SH.open = true;
	for (int i = 0; i < n; i++) {
		union xr_sa b;
		socklen_t l = sizeof(b);

		if (getsockname(fds[i], &b.sa, &l) == 0)
			logs(LS_MEDIA, LL_INFO, "media ports %u-%u on %s: one shared socket "
			     "(%s)", lo, hi, xr_sa_ipstr(&addrs[i], a, sizeof(a)),
			     xr_sa_str(&b, b_s, sizeof(b_s)));
	}
	return 0;

out_undo:
	shared_undo();
	return err;
}

void
shared_close(void)
{
	if (!SH.open)
		return;
	SH.open = false;
	shared_undo();
}
