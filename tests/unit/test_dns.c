// SPDX-License-Identifier: GPL-2.0
/*
 * test_dns.c - daemon/dns/cache.c on a fake clock: a miss starts one query
 * that later lookups join, the waiters are called once with the status, an
 * SRV answer keeps its port,
 * answers live their TTL (clamped), failures their negative TTLs, the
 * bounds on pending queries and waiters refuse with -ENOBUFS and start
 * nothing, a full cache evicts finished entries (never pending ones); and
 * the resolver thread itself against a server that never answers
 * (--dns-timeout) and one that refuses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/clock.h"
#include "dns/dns.h"

static struct dns_cache cache;

struct seen {
	int	calls;
	int	status;
};

static void
seen_cb(void *arg, int status)
{
	struct seen *s = arg;

	s->calls++;
	s->status = status;
}

static union xr_sa
ip(const char *s)
{
	union xr_sa a;

	assert_int_equal(xr_sa_parse_ip(&a, s), 0);
	return a;
}

static int
setup(void **state)
{
	(void)state;
	return dnsc_init(&cache, 4, 2, 3);
}

static int
teardown(void **state)
{
	(void)state;
	dnsc_fini(&cache);
	return 0;
}

static void
test_miss_join_answer(void **state)
{
	struct seen s1 = { 0 }, s2 = { 0 };
	union xr_sa a, want = ip("192.0.2.7");
	bool start;
	unsigned p, w, e;

	(void)state;
	assert_int_equal(dnsc_lookup(&cache, "Gw.Example.TEST", 1000, &a, seen_cb, &s1, &start),
			 -EINPROGRESS);
	assert_true(start);
	/* the same name (any case) joins the query under way */
	assert_int_equal(dnsc_lookup(&cache, "gw.example.test", 1001, &a, seen_cb, &s2, &start),
			 -EINPROGRESS);
	assert_false(start);
	dnsc_counts(&cache, &p, &w, &e);
	assert_int_equal(p, 1);
	assert_int_equal(w, 2);
	dnsc_complete(&cache, "gw.example.test", 1500, 0, &want, 60);
	assert_int_equal(s1.calls, 1);
	assert_int_equal(s2.calls, 1);
	assert_int_equal(s1.status, 0);
	dnsc_counts(&cache, &p, &w, &e);
	assert_int_equal(p, 0);
	assert_int_equal(w, 0);
	/* answered from the cache for its TTL, then asked again */
	assert_int_equal(dnsc_lookup(&cache, "gw.example.test", 1500 + 59999, &a, NULL, NULL,
				     &start), 0);
	assert_true(xr_sa_ip_eq(&a, &want));
	assert_int_equal(dnsc_lookup(&cache, "gw.example.test", 1500 + 60000, &a, NULL, NULL,
				     &start), -EINPROGRESS);
	assert_true(start);
	/* an SRV answer keeps its record's port (RFC 3263 §4.2) */
	assert_int_equal(dnsc_lookup(&cache, "_sip._udp.example.test", 2000, &a, NULL, NULL,
				     &start), -EINPROGRESS);
	want = ip("192.0.2.8");
	xr_sa_set_port(&want, 5062);
	dnsc_complete(&cache, "_sip._udp.example.test", 2000, 0, &want, 60);
	assert_int_equal(dnsc_lookup(&cache, "_SIP._udp.example.test", 2001, &a, NULL, NULL,
				     &start), 0);
	assert_int_equal(xr_sa_port(&a), 5062);
	/* a late second completion of a finished name changes nothing */
	dnsc_complete(&cache, "gw.example.test", 70000, -EIO, NULL, 0);
	dnsc_complete(&cache, "gw.example.test", 70000, -EIO, NULL, 0);
	assert_int_equal(dnsc_lookup(&cache, "gw.example.test", 70001, &a, NULL, NULL, &start),
			 -EIO);
}

static void
test_ttl_clamped(void **state)
{
	union xr_sa a, want = ip("2001:db8::1");
	bool start;

	(void)state;
	assert_int_equal(dnsc_lookup(&cache, "zero.test", 0, &a, NULL, NULL, &start),
			 -EINPROGRESS);
	dnsc_complete(&cache, "zero.test", 0, 0, &want, 0);
	/* TTL 0 still serves the request that waited: DNS_MIN_TTL */
	assert_int_equal(dnsc_lookup(&cache, "zero.test", DNS_MIN_TTL * 1000 - 1, &a, NULL, NULL,
				     &start), 0);
	assert_int_equal(dnsc_lookup(&cache, "zero.test", DNS_MIN_TTL * 1000, &a, NULL, NULL,
				     &start), -EINPROGRESS);
	dnsc_complete(&cache, "zero.test", 10000, 0, &want, 1u << 30);
	assert_int_equal(dnsc_lookup(&cache, "zero.test", 10000 + DNS_MAX_TTL * 1000ull, &a,
				     NULL, NULL, &start), -EINPROGRESS);
}

static void
test_negative(void **state)
{
	union xr_sa a;
	bool start;

	(void)state;
	dnsc_lookup(&cache, "nx.test", 0, &a, NULL, NULL, &start);
	dnsc_complete(&cache, "nx.test", 0, -ENOENT, NULL, 0);
	dnsc_lookup(&cache, "silent.test", 0, &a, NULL, NULL, &start);
	dnsc_complete(&cache, "silent.test", 0, -ETIMEDOUT, NULL, 0);
	assert_int_equal(dnsc_lookup(&cache, "nx.test", DNS_NEG_TTL * 1000 - 1, &a, NULL, NULL,
				     &start), -ENOENT);
	assert_false(start);
	assert_int_equal(dnsc_lookup(&cache, "silent.test", DNS_FAIL_TTL * 1000 - 1, &a, NULL,
				     NULL, &start), -ETIMEDOUT);
	assert_int_equal(dnsc_lookup(&cache, "silent.test", DNS_FAIL_TTL * 1000, &a, NULL, NULL,
				     &start), -EINPROGRESS);
	assert_true(start);
	assert_int_equal(dnsc_lookup(&cache, "", 0, &a, NULL, NULL, &start), -EINVAL);
}

static void
test_bounds(void **state)
{
	struct seen s[5] = { 0 };
	union xr_sa a, addr = ip("192.0.2.1");
	bool start;
	unsigned p, w, e;

	(void)state;
	/* 2 queries at most under way */
	assert_int_equal(dnsc_lookup(&cache, "a.test", 0, &a, seen_cb, &s[0], &start),
			 -EINPROGRESS);
	assert_int_equal(dnsc_lookup(&cache, "b.test", 0, &a, seen_cb, &s[1], &start),
			 -EINPROGRESS);
	assert_int_equal(dnsc_lookup(&cache, "c.test", 0, &a, seen_cb, &s[2], &start), -ENOBUFS);
	assert_false(start);
	/* 3 waiters at most */
	assert_int_equal(dnsc_lookup(&cache, "a.test", 0, &a, seen_cb, &s[3], &start),
			 -EINPROGRESS);
	assert_int_equal(dnsc_lookup(&cache, "a.test", 0, &a, seen_cb, &s[4], &start), -ENOBUFS);
	dnsc_counts(&cache, &p, &w, &e);
	assert_int_equal(p, 2);
	assert_int_equal(w, 3);
	dnsc_complete(&cache, "a.test", 1, 0, &addr, 300);
	dnsc_complete(&cache, "b.test", 1, -ENOENT, NULL, 0);
	assert_int_equal(s[0].calls + s[1].calls + s[3].calls, 3);
	assert_int_equal(s[2].calls + s[4].calls, 0);	/* refused: never called */
	/* a full cache (4 entries) evicts a finished one for a new name */
	for (int i = 0; i < 6; i++) {
		char n[32];

		snprintf(n, sizeof(n), "n%d.test", i);
		assert_int_equal(dnsc_lookup(&cache, n, 2, &a, NULL, NULL, &start), -EINPROGRESS);
		dnsc_complete(&cache, n, 2, 0, &addr, 300);
		dnsc_counts(&cache, &p, &w, &e);
		assert_true(e <= 4);
	}
	/* pending entries are never evicted: 2 pending + 2 more fill it */
	dnsc_lookup(&cache, "p1.test", 3, &a, NULL, NULL, &start);
	dnsc_lookup(&cache, "p2.test", 3, &a, NULL, NULL, &start);
	dnsc_counts(&cache, &p, &w, &e);
	assert_int_equal(p, 2);
	dnsc_complete(&cache, "p1.test", 4, 0, &addr, 300);
	dnsc_complete(&cache, "p2.test", 4, 0, &addr, 300);
	assert_int_equal(dnsc_lookup(&cache, "p1.test", 5, &a, NULL, NULL, &start), 0);
}

/* ---- the resolver thread, against servers on loopback ---------------------- */

struct waitres {
	volatile int	done;
	volatile int	status;
};

static void
wait_cb(void *arg, int status)
{
	struct waitres *w = arg;

	w->status = status;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
}

/* A UDP socket on 127.0.0.1 that never answers; its port into *port. */
static int
silent_server(int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void
test_resolver_timeout(void **state)
{
	struct waitres w = { 0 };
	char servers[64];
	union xr_sa a;
	uint64_t t0, dt;
	int fd, port, rc;
	struct pollfd pfd;

	(void)state;
	fd = silent_server(&port);
	snprintf(servers, sizeof(servers), "127.0.0.1:%d", port);
	assert_int_equal(dns_start(&(struct dns_cfg){ .timeout_ms = 300, .max_pending = 8,
						     .servers = servers }), 0);
	t0 = xr_mono_ms();
	rc = dns_lookup("silent.example.test", &a, wait_cb, &w);
	assert_int_equal(rc, -EINPROGRESS);
	assert_true(xr_mono_ms() - t0 < 100);		/* the caller never waits */
	/* the query reached the server (it never answers) */
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	for (int i = 0; i < 1000 && !__atomic_load_n(&w.done, __ATOMIC_ACQUIRE); i++)
		usleep(10000);
	dt = xr_mono_ms() - t0;
	assert_true(w.done);
	assert_int_equal(w.status, -ETIMEDOUT);
	assert_true(dt >= 250);
	/* the failure is cached: answered at once, no new query */
	assert_int_equal(dns_lookup("silent.example.test", &a, NULL, NULL), -ETIMEDOUT);
	dns_stop();
	/* stopped: the cache still answers, a new name ends at once */
	assert_int_equal(dns_lookup("silent.example.test", &a, NULL, NULL), -ETIMEDOUT);
	memset(&w, 0, sizeof(w));
	assert_int_equal(dns_lookup("late.example.test", &a, wait_cb, &w), -EINPROGRESS);
	assert_true(w.done);
	assert_int_equal(w.status, -ECANCELED);
	dns_fini();
	assert_int_equal(dns_lookup("x.test", &a, NULL, NULL), -ENOTCONN);
	close(fd);
}

static void
test_resolver_stop_pending(void **state)
{
	struct waitres w = { 0 };
	char servers[64];
	union xr_sa a;
	int fd, port;

	(void)state;
	fd = silent_server(&port);
	snprintf(servers, sizeof(servers), "127.0.0.1:%d", port);
	assert_int_equal(dns_start(&(struct dns_cfg){ .timeout_ms = 10000, .max_pending = 8,
						     .servers = servers }), 0);
	assert_int_equal(dns_lookup("pending.example.test", &a, wait_cb, &w), -EINPROGRESS);
	dns_stop();		/* does not wait 10 s; the waiter hears of it */
	assert_true(w.done);
	assert_int_equal(w.status, -ECANCELED);
	dns_fini();
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_miss_join_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl_clamped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_negative, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test(test_resolver_timeout),
		cmocka_unit_test(test_resolver_stop_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
