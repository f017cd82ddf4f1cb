// SPDX-License-Identifier: GPL-2.0
/*
 * test_ports.c - the media port-pair allocator (daemon/media/ports.c) on
 * 127.0.0.1: even RTP / odd RTCP, range edges, exhaustion (-ENOSPC, nothing
 * left bound), ports held by other sockets skipped, rotation on reuse, TTL,
 * bad ranges.  Ports: a block of 100 below the ephemeral range picked by
 * PID (B .. B+99), so parallel runs do not collide.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "media/ports.h"

static uint16_t B;	/* first port of this run's block (main) */

static union xr_sa
sa_of(const char *s)
{
	union xr_sa sa;

	assert_int_equal(xr_sa_parse(&sa, s, 0), 0);
	return sa;
}

/* A plain UDP socket bound to ip:port, or -errno. */
static int
hold(const char *ip, uint16_t port)
{
	union xr_sa sa = sa_of(ip);
	int fd = socket(sa.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	xr_sa_set_port(&sa, port);
	if (bind(fd, &sa.sa, xr_sa_len(&sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static uint16_t
bound_port(int fd)
{
	union xr_sa sa;
	socklen_t l = sizeof(sa);

	assert_int_equal(getsockname(fd, &sa.sa, &l), 0);
	return xr_sa_port(&sa);
}

/* File descriptors open in this process. */
static int
open_fds(void)
{
	int n = 0;

	for (int f = 0; f < 4096; f++)
		if (fcntl(f, F_GETFD) >= 0)
			n++;
	return n;
}

static void
test_even_odd_and_sockets(void **state)
{
	union xr_sa lo = sa_of("127.0.0.1");
	struct port_pool *p = port_pool_new(&lo, B, B + 9, true);
	struct port_pair pp;
	int ttl = 0, fl;
	socklen_t tl = sizeof(ttl);

	assert_non_null(p);
	assert_int_equal(port_pool_size(p), 5);
	assert_int_equal(port_pool_alloc(p, &pp), 0);
	assert_int_equal(xr_sa_port(&pp.rtp), B);
	assert_true(xr_sa_ip_eq(&pp.rtp, &lo));
	assert_int_equal(bound_port(pp.fd[0]), B);
	assert_int_equal(bound_port(pp.fd[1]), B + 1);
	assert_int_equal(getsockopt(pp.fd[0], IPPROTO_IP, IP_TTL, &ttl, &tl), 0);
	assert_int_equal(ttl, MEDIA_TTL);
	assert_int_equal(ttl, 64);
	fl = fcntl(pp.fd[1], F_GETFL);
	assert_true(fl & O_NONBLOCK);
	assert_true(fcntl(pp.fd[1], F_GETFD) & FD_CLOEXEC);
	/* Bound for real: nobody else can have them. */
	assert_int_equal(hold("127.0.0.1", B), -EADDRINUSE);
	assert_int_equal(hold("127.0.0.1", B + 1), -EADDRINUSE);
	assert_int_equal(port_pool_in_use(p), 1);
	port_pair_put(p, &pp);
	assert_int_equal(pp.fd[0], -1);
	assert_int_equal(port_pool_in_use(p), 0);
	/* Closed: bindable again. */
	int fd = hold("127.0.0.1", B);
	assert_true(fd >= 0);
	close(fd);
	port_pool_free(p);
}

static void
test_range_edges(void **state)
{
	union xr_sa lo = sa_of("127.0.0.1");
	/* Odd low end: first pair B + 12; B + 20 has no RTCP port, so 4 pairs. */
	struct port_pool *p = port_pool_new(&lo, B + 11, B + 20, true);
	struct port_pair pp[5];
	uint16_t want[4] = { B + 12, B + 14, B + 16, B + 18 };

	assert_non_null(p);
	assert_int_equal(port_pool_size(p), 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(port_pool_alloc(p, &pp[i]), 0);
		assert_int_equal(xr_sa_port(&pp[i].rtp), want[i]);
		assert_int_equal(bound_port(pp[i].fd[1]), want[i] + 1);
	}
	assert_int_equal(port_pool_alloc(p, &pp[4]), -ENOSPC);
	for (int i = 0; i < 4; i++)
		port_pair_put(p, &pp[i]);
	port_pool_free(p);

	/* The smallest range: one pair. */
	p = port_pool_new(&lo, B + 22, B + 23, true);
	assert_non_null(p);
	assert_int_equal(port_pool_size(p), 1);
	assert_int_equal(port_pool_alloc(p, &pp[0]), 0);
	assert_int_equal(xr_sa_port(&pp[0].rtp), B + 22);
	assert_int_equal(port_pool_alloc(p, &pp[1]), -ENOSPC);
	port_pair_put(p, &pp[0]);
	port_pool_free(p);
}

static void
test_exhaustion(void **state)
{
	union xr_sa lo = sa_of("127.0.0.1");
	struct port_pool *p = port_pool_new(&lo, B + 30, B + 39, true);
	struct port_pair pp[6];

	for (int i = 0; i < 5; i++)
		assert_int_equal(port_pool_alloc(p, &pp[i]), 0);
	assert_int_equal(port_pool_in_use(p), 5);
	pp[5].fd[0] = pp[5].fd[1] = 12345;
	assert_int_equal(port_pool_alloc(p, &pp[5]), -ENOSPC);
	assert_int_equal(pp[5].fd[0], 12345);	/* untouched on error */
	assert_int_equal(port_pool_in_use(p), 5);
	port_pair_put(p, &pp[2]);
	assert_int_equal(port_pool_alloc(p, &pp[5]), 0);
	assert_int_equal(xr_sa_port(&pp[5].rtp), B + 34);
	for (int i = 0; i < 6; i++)
		if (i != 2)
			port_pair_put(p, &pp[i]);
	assert_int_equal(port_pool_in_use(p), 0);
	port_pool_free(p);
}

/* RTP binds, RTCP is held elsewhere: the RTP socket must not stay bound. */
static void
test_partial_pair_released(void **state)
{
	union xr_sa lo = sa_of("127.0.0.1");
	struct port_pool *p = port_pool_new(&lo, B + 40, B + 41, true);
	struct port_pair pp;
	int other = hold("127.0.0.1", B + 41), fd;

	assert_true(other >= 0);
	assert_int_equal(port_pool_alloc(p, &pp), -ENOSPC);
	assert_int_equal(port_pool_in_use(p), 0);
	fd = hold("127.0.0.1", B + 40);
	assert_true(fd >= 0);
	close(fd);
	close(other);
	/* Once the other socket is gone the pair is usable. */
	assert_int_equal(port_pool_alloc(p, &pp), 0);
	assert_int_equal(xr_sa_port(&pp.rtp), B + 40);
	port_pair_put(p, &pp);
	port_pool_free(p);
}

static void
test_held_ports_skipped(void **state)
{
	union xr_sa lo = sa_of("127.0.0.1");
	struct port_pool *p = port_pool_new(&lo, B + 50, B + 59, true);
	struct port_pair pp[3];
	int h1 = hold("127.0.0.1", B + 52);	/* RTP of pair 1 */
	int h2 = hold("127.0.0.1", B + 55);	/* RTCP of pair 2 */

	assert_true(h1 >= 0 && h2 >= 0);
	assert_int_equal(port_pool_alloc(p, &pp[0]), 0);
	assert_int_equal(xr_sa_port(&pp[0].rtp), B + 50);
	assert_int_equal(port_pool_alloc(p, &pp[1]), 0);
	assert_int_equal(xr_sa_port(&pp[1].rtp), B + 56);
	assert_int_equal(port_pool_alloc(p, &pp[2]), 0);
	assert_int_equal(xr_sa_port(&pp[2].rtp), B + 58);
	assert_int_equal(port_pool_in_use(p), 3);
	/* Only held pairs left: exhausted, and counted as such. */
	struct port_pair x;
	assert_int_equal(port_pool_alloc(p, &x), -ENOSPC);
	close(h1);
	assert_int_equal(port_pool_alloc(p, &x), 0);
	assert_int_equal(xr_sa_port(&x.rtp), B + 52);
	port_pair_put(p, &x);
	for (int i = 0; i < 3; i++)
		port_pair_put(p, &pp[i]);
	close(h2);
	port_pool_free(p);
}

/* A released pair is not handed out again until the cursor comes round. */
static void
test_reuse_rotates(void **state)
{
	union xr_sa lo = sa_of("127.0.0.1");
	struct port_pool *p = port_pool_new(&lo, B + 60, B + 65, true);
	struct port_pair a, b, c, d;

	assert_int_equal(port_pool_alloc(p, &a), 0);
	assert_int_equal(port_pool_alloc(p, &b), 0);
	assert_int_equal(xr_sa_port(&a.rtp), B + 60);
	assert_int_equal(xr_sa_port(&b.rtp), B + 62);
	port_pair_put(p, &a);
	assert_int_equal(port_pool_alloc(p, &c), 0);
	assert_int_equal(xr_sa_port(&c.rtp), B + 64);	/* not B + 60 at once */
	assert_int_equal(port_pool_alloc(p, &d), 0);
	assert_int_equal(xr_sa_port(&d.rtp), B + 60);	/* wrapped round */
	port_pair_put(p, &b);
	port_pair_put(p, &c);
	port_pair_put(p, &d);
	/* Releasing twice or a port outside the range changes nothing. */
	port_pool_release(p, B + 60);
	port_pool_release(p, B + 61);
	port_pool_release(p, 30000);
	assert_int_equal(port_pool_in_use(p), 0);
	port_pool_free(p);
}

static void
test_bad_range(void **state)
{
	union xr_sa lo = sa_of("127.0.0.1"), none;

	memset(&none, 0, sizeof(none));
	errno = 0;
	assert_null(port_pool_new(&lo, B + 10, B, true));	/* reversed */
	assert_int_equal(errno, EINVAL);
	assert_null(port_pool_new(&lo, B, B, true));	/* no RTCP port */
	assert_null(port_pool_new(&lo, B + 1, B + 2, true));	/* B + 2 has no RTCP */
	assert_null(port_pool_new(&lo, 0, 100, true));	/* port 0 */
	assert_null(port_pool_new(&none, B, B + 9, true));	/* no family */
	assert_int_equal(errno, EINVAL);
	struct port_pool *p = port_pool_new(&lo, 65534, 65535, true);
	assert_non_null(p);
	assert_int_equal(port_pool_size(p), 1);
	port_pool_free(p);
}

/* An address this host does not have: the bind error, not a skip. */
static void
test_foreign_address(void **state)
{
	union xr_sa ta = sa_of("192.0.2.1");
	struct port_pool *p = port_pool_new(&ta, B + 70, B + 79, true);
	struct port_pair pp;

	assert_int_equal(port_pool_alloc(p, &pp), -EADDRNOTAVAIL);
	assert_int_equal(port_pool_in_use(p), 0);
	port_pool_free(p);
}

static void
test_ipv6(void **state)
{
	union xr_sa lo6 = sa_of("::1");
	struct port_pool *p = port_pool_new(&lo6, B + 80, B + 83, true);
	struct port_pair pp;
	int hops = 0, fd = hold("::1", B + 99);
	socklen_t hl = sizeof(hops);

	if (fd < 0) {
		port_pool_free(p);
		skip();	/* no IPv6 loopback here */
	}
	close(fd);
	assert_int_equal(port_pool_alloc(p, &pp), 0);
	assert_int_equal(pp.rtp.sa.sa_family, AF_INET6);
	assert_int_equal(xr_sa_port(&pp.rtp), B + 80);
	assert_int_equal(getsockopt(pp.fd[1], IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, &hl), 0);
	assert_int_equal(hops, MEDIA_TTL);
	port_pair_put(p, &pp);
	port_pool_free(p);
}

/*
 * A pool of the shared-socket relay: pairs are bits only.  No socket is
 * opened (a held port does not matter: the shared socket gets its packets),
 * the whole range is used, exhaustion and release work as with sockets.
 */
static void
test_bitmap_only(void **state)
{
	union xr_sa lo = sa_of("127.0.0.1");
	struct port_pool *p = port_pool_new(&lo, B + 86, B + 95, false);
	struct port_pair pp[6];
	int fd = hold("127.0.0.1", B + 88), nfd = open_fds();

	for (int i = 0; i < 5; i++) {
		assert_int_equal(port_pool_alloc(p, &pp[i]), 0);
		assert_int_equal(pp[i].fd[0], -1);
		assert_int_equal(pp[i].fd[1], -1);
		assert_int_equal(xr_sa_port(&pp[i].rtp), B + 86 + 2 * i);
	}
	assert_int_equal(port_pool_in_use(p), 5);
	assert_int_equal(open_fds(), nfd);	/* no socket opened */
	assert_int_equal(port_pool_alloc(p, &pp[5]), -ENOSPC);
	port_pair_put(p, &pp[2]);
	assert_int_equal(port_pool_in_use(p), 4);
	assert_int_equal(port_pool_alloc(p, &pp[2]), 0);
	assert_int_equal(xr_sa_port(&pp[2].rtp), B + 90);
	for (int i = 0; i < 5; i++)
		port_pair_put(p, &pp[i]);
	assert_int_equal(port_pool_in_use(p), 0);
	if (fd >= 0)
		close(fd);
	port_pool_free(p);
}

/* A held port's pair (our own SIP port in the range) is never given out. */
static void
test_hold(void **state)
{
	union xr_sa lo = sa_of("127.0.0.1");
	struct port_pool *p = port_pool_new(&lo, B + 86, B + 91, false);
	struct port_pair a, b, c;

	port_pool_hold(p, B + 89);	/* the RTCP port of the second pair */
	assert_int_equal(port_pool_size(p), 2);
	assert_int_equal(port_pool_alloc(p, &a), 0);
	assert_int_equal(port_pool_alloc(p, &b), 0);
	assert_int_equal(xr_sa_port(&a.rtp), B + 86);
	assert_int_equal(xr_sa_port(&b.rtp), B + 90);
	assert_int_equal(port_pool_alloc(p, &c), -ENOSPC);
	assert_int_equal(port_pool_in_use(p), 2);
	port_pair_put(p, &a);
	port_pair_put(p, &b);
	port_pool_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_even_odd_and_sockets),
		cmocka_unit_test(test_range_edges),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_partial_pair_released),
		cmocka_unit_test(test_held_ports_skipped),
		cmocka_unit_test(test_reuse_rotates),
		cmocka_unit_test(test_bad_range),
		cmocka_unit_test(test_foreign_address),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_bitmap_only),
		cmocka_unit_test(test_hold),
	};

	/* 10000-19999; test_media_session takes 20000-31999 */
	B = (uint16_t)(10000 + (getpid() % 100) * 100);
	log_init(true, LL_WARN, "test_ports");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
