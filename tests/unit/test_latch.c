// SPDX-License-Identifier: GPL-2.0
/*
 * test_latch.c - the latching decision (daemon/media/latch.c): every policy
 * against a matching and a mismatching source, before and after latching,
 * unknown and on-hold remotes, RTP Bleed after latching, IPv6 and v4-mapped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "media/latch.h"

static union xr_sa
A(const char *s)
{
	union xr_sa sa;

	assert_int_equal(xr_sa_parse(&sa, s, -1), 0);
	return sa;
}

static const union xr_sa none;	/* not latched */

static enum latch_verdict
L(enum xr_latch pol, const char *neg, const char *latched, const char *src)
{
	union xr_sa n = A(neg), s = A(src), l = latched ? A(latched) : none;

	return media_latch(pol, &n, &l, &s);
}

static void
test_strict(void **state)
{
	assert_int_equal(L(XR_LATCH_STRICT, "10.0.1.2:4000", NULL, "10.0.1.2:4000"), LATCH_LATCH);
	assert_int_equal(L(XR_LATCH_STRICT, "10.0.1.2:4000", NULL, "10.0.1.2:4002"), LATCH_DROP);
	assert_int_equal(L(XR_LATCH_STRICT, "10.0.1.2:4000", NULL, "10.0.1.3:4000"), LATCH_DROP);
	assert_int_equal(L(XR_LATCH_STRICT, "10.0.1.2:4000", "10.0.1.2:4000", "10.0.1.2:4000"),
			 LATCH_ACCEPT);
	assert_int_equal(L(XR_LATCH_STRICT, "10.0.1.2:4000", "10.0.1.2:4000", "10.0.1.2:4001"),
			 LATCH_DROP);
}

static void
test_address(void **state)
{
	assert_int_equal(L(XR_LATCH_ADDRESS, "10.0.1.2:4000", NULL, "10.0.1.2:4000"), LATCH_LATCH);
	assert_int_equal(L(XR_LATCH_ADDRESS, "10.0.1.2:4000", NULL, "10.0.1.2:61000"),
			 LATCH_LATCH);
	assert_int_equal(L(XR_LATCH_ADDRESS, "10.0.1.2:4000", NULL, "10.0.1.9:4000"), LATCH_DROP);
	assert_int_equal(L(XR_LATCH_ADDRESS, "10.0.1.2:4000", "10.0.1.2:61000", "10.0.1.2:61000"),
			 LATCH_ACCEPT);
	/* Latched on the NAT port: the SDP port itself is now a wrong source. */
	assert_int_equal(L(XR_LATCH_ADDRESS, "10.0.1.2:4000", "10.0.1.2:61000", "10.0.1.2:4000"),
			 LATCH_DROP);
}

static void
test_any(void **state)
{
	assert_int_equal(L(XR_LATCH_ANY, "192.168.1.10:4000", NULL, "192.168.1.10:4000"),
			 LATCH_LATCH);
	assert_int_equal(L(XR_LATCH_ANY, "192.168.1.10:4000", NULL, "203.0.113.7:33000"),
			 LATCH_LATCH);
	assert_int_equal(L(XR_LATCH_ANY, "192.168.1.10:4000", "203.0.113.7:33000",
			   "203.0.113.7:33000"), LATCH_ACCEPT);
	assert_int_equal(L(XR_LATCH_ANY, "192.168.1.10:4000", "203.0.113.7:33000",
			   "192.168.1.10:4000"), LATCH_DROP);
}

/* CVE-2017-14099: once latched, no policy lets another source take the port. */
static void
test_rtp_bleed_after_latch(void **state)
{
	const enum xr_latch pols[] = { XR_LATCH_STRICT, XR_LATCH_ADDRESS, XR_LATCH_ANY };

	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(L(pols[i], "10.0.1.2:4000", "10.0.1.2:4000", "198.51.100.66:4000"),
				 LATCH_DROP);
		assert_int_equal(L(pols[i], "10.0.1.2:4000", "10.0.1.2:4000", "198.51.100.66:5555"),
				 LATCH_DROP);
		/* Same host, another port (a second process on the peer) too. */
		assert_int_equal(L(pols[i], "10.0.1.2:4000", "10.0.1.2:4000", "10.0.1.2:4010"),
				 LATCH_DROP);
		assert_int_equal(L(pols[i], "10.0.1.2:4000", "10.0.1.2:4000", "10.0.1.2:4000"),
				 LATCH_ACCEPT);
	}
}

/* Unknown remote (half session) and c=0.0.0.0 hold latch nothing, except under ANY. */
static void
test_unknown_and_hold(void **state)
{
	assert_int_equal(L(XR_LATCH_STRICT, "0.0.0.0:4000", NULL, "0.0.0.0:4000"), LATCH_DROP);
	assert_int_equal(L(XR_LATCH_STRICT, "0.0.0.0:4000", NULL, "10.0.1.2:4000"), LATCH_DROP);
	/* Not negotiated yet (port 0): early, counted apart, under strict and address. */
	assert_int_equal(L(XR_LATCH_STRICT, "10.0.1.2:0", NULL, "10.0.1.2:0"), LATCH_EARLY);
	assert_int_equal(L(XR_LATCH_STRICT, "0.0.0.0:0", NULL, "10.0.1.2:4001"), LATCH_EARLY);
	assert_int_equal(L(XR_LATCH_ADDRESS, "0.0.0.0:0", NULL, "10.0.1.2:4001"), LATCH_EARLY);
	assert_int_equal(L(XR_LATCH_ANY, "0.0.0.0:0", NULL, "10.0.1.2:4001"), LATCH_LATCH);
	/* Once latched, nothing is early any more. */
	assert_int_equal(L(XR_LATCH_STRICT, "0.0.0.0:0", "10.0.1.2:4001", "10.0.1.3:4001"),
			 LATCH_DROP);
	assert_int_equal(L(XR_LATCH_ADDRESS, "0.0.0.0:4000", NULL, "0.0.0.0:9"), LATCH_DROP);
	assert_int_equal(L(XR_LATCH_ADDRESS, "[::]:4000", NULL, "[::]:4000"), LATCH_DROP);
	assert_int_equal(L(XR_LATCH_ANY, "0.0.0.0:4000", NULL, "10.0.1.2:4000"), LATCH_LATCH);
	/* A negotiated remote with no family at all. */
	union xr_sa s = A("10.0.1.2:4000");
	assert_int_equal(media_latch(XR_LATCH_STRICT, &none, &none, &s), LATCH_EARLY);
	assert_int_equal(media_latch(XR_LATCH_ADDRESS, &none, &none, &s), LATCH_EARLY);
}

static void
test_ipv6(void **state)
{
	assert_int_equal(L(XR_LATCH_STRICT, "[2001:db8::2]:4000", NULL, "[2001:db8::2]:4000"),
			 LATCH_LATCH);
	assert_int_equal(L(XR_LATCH_STRICT, "[2001:db8::2]:4000", NULL, "[2001:db8::3]:4000"),
			 LATCH_DROP);
	assert_int_equal(L(XR_LATCH_ADDRESS, "[2001:db8::2]:4000", NULL, "[2001:db8::2]:7000"),
			 LATCH_LATCH);
	assert_int_equal(L(XR_LATCH_ADDRESS, "[2001:db8::2]:4000", NULL, "[2001:db8:1::2]:4000"),
			 LATCH_DROP);
	assert_int_equal(L(XR_LATCH_ANY, "[2001:db8::2]:4000", "[2001:db8::2]:4000",
			   "[2001:db8::66]:4000"), LATCH_DROP);
	assert_int_equal(L(XR_LATCH_STRICT, "[2001:db8::2]:4000", "[2001:db8::2]:4000",
			   "[2001:db8::2]:4000"), LATCH_ACCEPT);
	/* Families never match each other... */
	assert_int_equal(L(XR_LATCH_STRICT, "10.0.1.2:4000", NULL, "[2001:db8::2]:4000"),
			 LATCH_DROP);
	/* ...except an IPv4-mapped source, which is its IPv4 address. */
	assert_int_equal(L(XR_LATCH_STRICT, "10.0.1.2:4000", NULL, "[::ffff:10.0.1.2]:4000"),
			 LATCH_LATCH);
	assert_int_equal(L(XR_LATCH_STRICT, "10.0.1.2:4000", "10.0.1.2:4000",
			   "[::ffff:10.0.1.2]:4000"), LATCH_ACCEPT);
	assert_int_equal(L(XR_LATCH_STRICT, "10.0.1.2:4000", "10.0.1.2:4000",
			   "[::ffff:10.0.1.3]:4000"), LATCH_DROP);
}

static void
test_names(void **state)
{
	assert_string_equal(media_latch_verdict_str(LATCH_LATCH), "latch");
	assert_string_equal(media_latch_verdict_str(LATCH_ACCEPT), "accept");
	assert_string_equal(media_latch_verdict_str(LATCH_DROP), "drop");
	assert_string_equal(media_latch_verdict_str(LATCH_EARLY), "early");
	assert_string_equal(media_latch_policy_str(XR_LATCH_STRICT), "strict");
	assert_string_equal(media_latch_policy_str(XR_LATCH_ADDRESS), "address");
	assert_string_equal(media_latch_policy_str(XR_LATCH_ANY), "any");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strict),
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_any),
		cmocka_unit_test(test_rtp_bleed_after_latch),
		cmocka_unit_test(test_unknown_and_hold),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
