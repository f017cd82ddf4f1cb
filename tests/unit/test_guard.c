// SPDX-License-Identifier: GPL-2.0
/*
 * test_guard.c - daemon/guard without the fast path: the blocklist (prefix
 * parsing, matching v4/v6/v4-mapped, exemptions and the hook, expiry and the
 * sweep on a fake clock, delete) and the per-source token bucket of pike.c
 * (burst, refill at the rate, the ban it asks for, independent sources,
 * trusted sources never limited).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "guard/ban.h"
#include "guard/pike.h"

static uint64_t fake_ns;

static uint64_t
fake_now(void)
{
	return fake_ns;
}

static union xr_sa
A(const char *s)
{
	union xr_sa sa;

	assert_int_equal(xr_sa_parse(&sa, s, 0), 0);
	return sa;
}

static int
setup(void **state)
{
	fake_ns = 1000ull * 1000000000ull;
	ban_set_clock(fake_now);
	assert_int_equal(ban_init(NULL), 0);
	ban_set_exempt(NULL, NULL);
	return 0;
}

static int
teardown(void **state)
{
	ban_fini();
	pike_thread_fini();
	return 0;
}

static void
test_parse(void **state)
{
	union xr_sa p;
	char ip[64];
	int l;

	assert_int_equal(ban_parse("10.1.2.3", &p, &l), 0);
	assert_int_equal(l, 32);
	assert_int_equal(ban_parse("10.1.2.3/24", &p, &l), 0);
	assert_int_equal(l, 24);
	assert_string_equal(xr_sa_ipstr(&p, ip, sizeof(ip)), "10.1.2.0");
	assert_int_equal(ban_parse("2001:db8::1/32", &p, &l), 0);
	assert_int_equal(l, 32);
	assert_string_equal(xr_sa_ipstr(&p, ip, sizeof(ip)), "2001:db8::");
	assert_int_equal(ban_parse("[2001:db8::1]", &p, &l), 0);
	assert_int_equal(l, 128);
	assert_int_equal(ban_parse("10.1.2.3/33", &p, &l), -EINVAL);
	assert_int_equal(ban_parse("10.1.2.3/", &p, &l), -EINVAL);
	assert_int_equal(ban_parse("example.com", &p, &l), -EINVAL);
	assert_int_equal(ban_parse("", &p, &l), -EINVAL);
}

static void
test_match_and_expiry(void **state)
{
	union xr_sa p, v4 = A("10.1.2.3:5060"), v4b = A("10.1.3.3:5060");
	union xr_sa mapped = A("[::ffff:10.1.2.9]:5060"), v6 = A("[2001:db8::7]:5060");
	json_t *j0;
	int l;

	assert_false(ban_check(&v4));
	assert_int_equal(ban_parse("10.1.2.0/24", &p, &l), 0);
	assert_int_equal(ban_add(&p, l, 10, XR_BAN_MANUAL), 0);
	assert_int_equal(ban_count(), 1);
	assert_true(ban_check(&v4));
	assert_true(ban_check(&mapped));
	assert_false(ban_check(&v4b));
	assert_false(ban_check(&v6));
	assert_int_equal(ban_parse("2001:db8::/32", &p, &l), 0);
	assert_int_equal(ban_add(&p, l, 0, XR_BAN_PIKE), 0);	/* never expires */
	assert_true(ban_check(&v6));

	/* 9.9 s later both stand; at 10 s the first no longer drops, the sweep removes it. */
	fake_ns += 9900000000ull;
	assert_int_equal(ban_sweep(), 0);
	assert_true(ban_check(&v4));
	fake_ns += 100000000ull;
	assert_false(ban_check(&v4));
	assert_int_equal(ban_count(), 2);
	assert_int_equal(ban_sweep(), 1);
	assert_int_equal(ban_count(), 1);
	assert_true(ban_check(&v6));

	/* A v4-mapped address is banned as its IPv4 form. */
	union xr_sa m = A("[::ffff:192.0.2.77]:5060");
	assert_int_equal(ban_add(&m, 32, 10, XR_BAN_PIKE), 0);
	assert_true(ban_check(&m));
	j0 = ban_list_json();
	assert_string_equal(json_string_value(json_object_get(json_array_get(j0, 1), "prefix")),
			    "192.0.2.77/32");
	json_decref(j0);
	assert_int_equal(ban_parse("192.0.2.77", &p, &l), 0);
	assert_int_equal(ban_del(&p, l), 0);

	/* Re-banning moves the expiry; delete lifts it at once. */
	assert_int_equal(ban_parse("10.1.2.3", &p, &l), 0);
	assert_int_equal(ban_add(&p, l, 5, XR_BAN_MANUAL), 0);
	assert_int_equal(ban_add(&p, l, 50, XR_BAN_MANUAL), 0);
	assert_int_equal(ban_count(), 2);
	fake_ns += 10000000000ull;
	assert_true(ban_check(&v4));
	assert_int_equal(ban_del(&p, l), 0);
	assert_false(ban_check(&v4));
	assert_int_equal(ban_del(&p, l), -ENOENT);

	json_t *j = ban_list_json();
	assert_int_equal(json_array_size(j), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "prefix")),
			    "2001:db8::/32");
	assert_true(json_is_null(json_object_get(json_array_get(j, 0), "expires_in")));
	json_decref(j);
}

static bool
trust_192(const union xr_sa *p, int plen, void *arg)
{
	union xr_sa t;
	int l;

	(*(int *)arg)++;
	ban_parse("192.0.2.0/24", &t, &l);
	/* exempt when the ban and 192.0.2.0/24 overlap */
	return plen >= 24 ? memcmp(&p->sin.sin_addr, &t.sin.sin_addr, 3) == 0 :
	       (ntohl(p->sin.sin_addr.s_addr) >> (32 - plen)) ==
	       (ntohl(t.sin.sin_addr.s_addr) >> (32 - plen));
}

static void
test_exempt(void **state)
{
	union xr_sa p;
	int l, calls = 0;

	assert_int_equal(ban_parse("127.0.0.1", &p, &l), 0);
	assert_int_equal(ban_add(&p, l, 10, XR_BAN_MANUAL), -EPERM);
	assert_int_equal(ban_parse("::1", &p, &l), 0);
	assert_int_equal(ban_add(&p, l, 10, XR_BAN_MANUAL), -EPERM);
	assert_int_equal(ban_parse("0.0.0.0/0", &p, &l), 0);	/* would cover loopback */
	assert_int_equal(ban_add(&p, l, 10, XR_BAN_MANUAL), -EPERM);

	assert_int_equal(ban_parse("198.51.100.0/24", &p, &l), 0);
	assert_int_equal(ban_exempt_add(&p, l), 0);
	assert_int_equal(ban_parse("198.51.100.7", &p, &l), 0);
	assert_int_equal(ban_add(&p, l, 10, XR_BAN_MANUAL), -EPERM);

	ban_set_exempt(trust_192, &calls);
	assert_int_equal(ban_parse("192.0.2.9", &p, &l), 0);
	assert_int_equal(ban_add(&p, l, 10, XR_BAN_MANUAL), -EPERM);
	assert_int_equal(ban_parse("192.0.0.0/16", &p, &l), 0);
	assert_int_equal(ban_add(&p, l, 10, XR_BAN_MANUAL), -EPERM);
	assert_int_equal(ban_parse("203.0.113.9", &p, &l), 0);
	assert_int_equal(ban_add(&p, l, 10, XR_BAN_MANUAL), 0);
	assert_int_equal(calls, 3);
	assert_int_equal(ban_count(), 1);
}

static void
test_pike_bucket(void **state)
{
	union xr_sa a = A("203.0.113.5:5060"), b = A("203.0.113.6:5062");
	uint64_t t = 50000;
	int ok = 0;

	pike_configure(10, 20, 0);	/* 10/s, burst 20, no ban */
	/* A burst of 20 passes, the 21st does not. */
	for (int i = 0; i < 25; i++)
		ok += pike_request_at(&a, t);
	assert_int_equal(ok, 20);
	/* Another source has its own bucket. */
	assert_true(pike_request_at(&b, t));
	/* 10 a second: after 500 ms, 5 more. */
	ok = 0;
	for (int i = 0; i < 10; i++)
		ok += pike_request_at(&a, t + 500);
	assert_int_equal(ok, 5);
	/* At the rate exactly, forever. */
	ok = 0;
	for (int i = 1; i <= 100; i++)
		ok += pike_request_at(&a, t + 500 + (uint64_t)i * 100);
	assert_int_equal(ok, 100);
	assert_int_equal(ban_count(), 0);
	/* Rate 0: no limit. */
	pike_configure(0, 20, 0);
	for (int i = 0; i < 1000; i++)
		assert_true(pike_request_at(&a, t + 20000));
}

static void
test_pike_bans(void **state)
{
	union xr_sa a = A("203.0.113.5:5060"), a2 = A("203.0.113.5:7000");
	union xr_sa lo = A("127.0.0.1:5060"), v6 = A("[2001:db8::5]:5060");
	json_t *j;
	uint64_t t = 90000;
	int ok = 0;

	pike_configure(10, 5, 60);
	for (int i = 0; i < 6; i++)
		ok += pike_request_at(&a, t);
	assert_int_equal(ok, 5);
	assert_int_equal(ban_count(), 1);
	/* Banned: every port of that address, even with tokens back. */
	assert_false(pike_request_at(&a2, t + 10000));
	j = ban_list_json();
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "prefix")),
			    "203.0.113.5/32");
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "reason")),
			    "pike");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 0), "expires_in")),
			 60);
	json_decref(j);
	/* The ban expires (fake clock): the source is back. */
	fake_ns += 61ull * 1000000000ull;
	assert_int_equal(ban_sweep(), 1);
	assert_true(pike_request_at(&a2, t + 61000));
	/* IPv6: a /128. */
	for (int i = 0; i < 6; i++)
		pike_request_at(&v6, t);
	j = ban_list_json();
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "prefix")),
			    "2001:db8::5/128");
	json_decref(j);
	/* Loopback is exempt: never limited, never banned. */
	ok = 0;
	for (int i = 0; i < 100; i++)
		ok += pike_request_at(&lo, t);
	assert_int_equal(ok, 100);	/* over the burst the ban is refused: exempt from then on */
	assert_int_equal(ban_count(), 1);
	j = pike_stats_json();
	assert_true(json_integer_value(json_object_get(j, "limited")) >= 2);
	assert_int_equal(json_integer_value(json_object_get(j, "banned")), 2);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_and_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exempt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pike_bucket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pike_bans, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
