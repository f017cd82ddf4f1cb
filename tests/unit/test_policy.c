// SPDX-License-Identifier: GPL-2.0
/*
 * test_policy.c - daemon/policy/: the verdict table (source x target x
 * method x credentials -> verdict) row by row, CIDR parsing and matching,
 * the special ranges, and the destination check (own addresses,
 * --deny-dest, the trusted exemption).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <urcu.h>

#include "policy/policy.h"

enum { U = 0, T = 1 };	/* untrusted, trusted */
enum { INV, REG, ACK, OPT, BYE };

struct row {
	const char	*name;
	int		 trusted;
	int		 method;
	bool		 reg_ours;
	enum pol_target	 target;
	bool		 route_foreign;
	bool		 dialog_known;
	bool		 from_ours;
	enum pol_auth	 auth;
	bool		 auth_is_to;
	/* expected */
	enum pol_action	 action;
	int		 code;
	bool		 stale;
	bool		 assert_id;
	enum pol_counter counter;
};

#define F POL_T_FOREIGN
#define L POL_T_LOCAL
#define SELF POL_T_SELF
#define NONE POL_AUTH_NONE
#define OK POL_AUTH_OK
#define BAD POL_AUTH_FAILED
#define STALE POL_AUTH_STALE

static const struct row rows[] = {
	/* name                              src meth  rego  tgt  rtf    dlg    from   auth  is_to  action         code stale  id    counter */
	{ "trusted INVITE foreign",          T, INV, false, F,  false, false, false, NONE, false, POL_ALLOW,     0,   false, false, POL_C_NONE },
	{ "trusted INVITE with Route",       T, INV, false, F,  true,  false, false, NONE, false, POL_ALLOW,     0,   false, false, POL_C_NONE },
	{ "trusted REGISTER no creds",       T, REG, true,  L,  false, false, false, NONE, false, POL_ALLOW,     0,   false, false, POL_C_NONE },
	{ "REGISTER ours no creds",          U, REG, true,  L,  false, false, true,  NONE, false, POL_CHALLENGE, 401, false, false, POL_C_NONE },
	{ "REGISTER ours wrong creds",       U, REG, true,  L,  false, false, true,  BAD,  false, POL_CHALLENGE, 401, false, false, POL_C_AUTH_FAILURE },
	{ "REGISTER ours stale nonce",       U, REG, true,  L,  false, false, true,  STALE,true,  POL_CHALLENGE, 401, true,  false, POL_C_NONE },
	{ "REGISTER ours good creds",        U, REG, true,  L,  false, false, true,  OK,   true,  POL_ALLOW,     0,   false, true,  POL_C_NONE },
	{ "REGISTER as another user",        U, REG, true,  L,  false, false, true,  OK,   false, POL_REPLY,     403, false, false, POL_C_AUTH_FAILURE },
	{ "REGISTER foreign domain",         U, REG, false, F,  false, false, false, OK,   true,  POL_REPLY,     403, false, false, POL_C_RELAY_FORBIDDEN },
	{ "REGISTER with foreign Route",     U, REG, true,  L,  true,  false, true,  OK,   true,  POL_REPLY,     403, false, false, POL_C_RELAY_FORBIDDEN },
	{ "INVITE to our user",              U, INV, false, L,  false, false, false, NONE, false, POL_ALLOW,     0,   false, false, POL_C_NONE },
	{ "INVITE to our user, creds",       U, INV, false, L,  false, false, true,  OK,   false, POL_ALLOW,     0,   false, true,  POL_C_NONE },
	{ "INVITE to our user, bad creds",   U, INV, false, L,  false, false, true,  BAD,  false, POL_CHALLENGE, 407, false, false, POL_C_AUTH_FAILURE },
	{ "INVITE foreign, From foreign",    U, INV, false, F,  false, false, false, NONE, false, POL_REPLY,     403, false, false, POL_C_RELAY_FORBIDDEN },
	{ "INVITE foreign, From ours",       U, INV, false, F,  false, false, true,  NONE, false, POL_CHALLENGE, 407, false, false, POL_C_NONE },
	{ "INVITE foreign, creds",           U, INV, false, F,  false, false, true,  OK,   false, POL_ALLOW,     0,   false, true,  POL_C_NONE },
	{ "INVITE foreign, stale",           U, INV, false, F,  false, false, true,  STALE,false, POL_CHALLENGE, 407, true,  false, POL_C_NONE },
	{ "INVITE foreign, wrong creds",     U, INV, false, F,  false, false, false, BAD,  false, POL_CHALLENGE, 407, false, false, POL_C_AUTH_FAILURE },
	{ "INVITE with foreign Route",       U, INV, false, L,  true,  false, true,  NONE, false, POL_REPLY,     403, false, false, POL_C_RELAY_FORBIDDEN },
	{ "INVITE foreign Route, creds",     U, INV, false, L,  true,  false, true,  OK,   false, POL_REPLY,     403, false, false, POL_C_RELAY_FORBIDDEN },
	{ "OPTIONS to the proxy",            U, OPT, false, SELF,false,false, false, NONE, false, POL_ALLOW,     0,   false, false, POL_C_NONE },
	{ "OPTIONS to loopback (foreign)",   U, OPT, false, F,  false, false, false, NONE, false, POL_REPLY,     403, false, false, POL_C_RELAY_FORBIDDEN },
	{ "BYE in a known dialog",           U, BYE, false, F,  false, true,  false, NONE, false, POL_ALLOW,     0,   false, false, POL_C_NONE },
	{ "BYE unknown dialog, foreign",     U, BYE, false, F,  false, false, false, NONE, false, POL_REPLY,     403, false, false, POL_C_RELAY_FORBIDDEN },
	{ "ACK in a known dialog",           U, ACK, false, F,  false, true,  false, NONE, false, POL_ALLOW,     0,   false, false, POL_C_NONE },
	{ "ACK foreign, no dialog",          U, ACK, false, F,  false, false, true,  NONE, false, POL_DROP,      0,   false, false, POL_C_RELAY_FORBIDDEN },
	{ "ACK to our user",                 U, ACK, false, L,  false, false, false, NONE, false, POL_ALLOW,     0,   false, false, POL_C_NONE },
	{ "ACK with foreign Route",          U, ACK, false, L,  true,  false, false, NONE, false, POL_DROP,      0,   false, false, POL_C_RELAY_FORBIDDEN },
};

static void
test_table(void **state)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct pol_req r = {
			.trusted = w->trusted, .is_register = w->method == REG,
			.is_ack = w->method == ACK, .register_ours = w->reg_ours,
			.target = w->target, .route_foreign = w->route_foreign,
			.dialog_known = w->dialog_known, .from_ours = w->from_ours,
			.auth = w->auth, .auth_is_to = w->auth_is_to,
		};
		struct pol_verdict v;

		pol_decide(&r, &v);
		if (v.action != w->action || (w->code && v.code != w->code) ||
		    v.stale != w->stale || v.assert_id != w->assert_id ||
		    v.counter != w->counter || v.strip_id != !w->trusted) {
			print_error("row '%s': action %d code %d stale %d id %d counter %d strip %d\n",
				    w->name, v.action, v.code, v.stale, v.assert_id, v.counter,
				    v.strip_id);
			fail();
		}
		if (v.action == POL_REPLY && v.counter == POL_C_RELAY_FORBIDDEN)
			assert_string_equal(v.reason, "Relay forbidden");
	}
}

static union xr_sa
ip(const char *s)
{
	union xr_sa a;

	assert_int_equal(xr_sa_parse_ip(&a, s), 0);
	return a;
}

static void
test_cidr(void **state)
{
	struct pol_cidr c;
	char buf[64];
	union xr_sa a;

	assert_int_equal(pol_cidr_parse("10.0.0.0/8", &c), 0);
	assert_string_equal(pol_cidr_str(&c, buf, sizeof(buf)), "10.0.0.0/8");
	a = ip("10.200.1.1");
	assert_true(pol_cidr_match(&c, &a));
	a = ip("11.0.0.1");
	assert_false(pol_cidr_match(&c, &a));
	a = ip("::ffff:10.1.2.3");
	assert_true(pol_cidr_match(&c, &a));
	a = ip("2001:db8::1");
	assert_false(pol_cidr_match(&c, &a));
	assert_int_equal(pol_cidr_parse("192.0.2.7", &c), 0);
	assert_int_equal(c.plen, 32);
	a = ip("192.0.2.7");
	assert_true(pol_cidr_match(&c, &a));
	a = ip("192.0.2.8");
	assert_false(pol_cidr_match(&c, &a));
	assert_int_equal(pol_cidr_parse("2001:db8::/32", &c), 0);
	a = ip("2001:db8:1::5");
	assert_true(pol_cidr_match(&c, &a));
	a = ip("10.0.0.1");
	assert_false(pol_cidr_match(&c, &a));
	assert_int_equal(pol_cidr_parse("10.0.0.0/12", &c), 0);
	a = ip("10.15.255.255");
	assert_true(pol_cidr_match(&c, &a));
	a = ip("10.16.0.0");
	assert_false(pol_cidr_match(&c, &a));
	assert_int_equal(pol_cidr_parse("0.0.0.0/0", &c), 0);
	a = ip("203.0.113.9");
	assert_true(pol_cidr_match(&c, &a));
	/* refused: host bits, bad lengths, junk */
	assert_int_equal(pol_cidr_parse("10.1.2.3/8", &c), -EINVAL);
	assert_int_equal(pol_cidr_parse("10.0.0.0/33", &c), -EINVAL);
	assert_int_equal(pol_cidr_parse("10.0.0.0/", &c), -EINVAL);
	assert_int_equal(pol_cidr_parse("10.0.0.0/8x", &c), -EINVAL);
	assert_int_equal(pol_cidr_parse("example.com/8", &c), -EINVAL);
	assert_int_equal(pol_cidr_parse("2001:db8::1/32", &c), -EINVAL);
}

static void
test_special(void **state)
{
	static const struct { const char *a, *why; } t[] = {
		{ "127.0.0.1", "loopback" }, { "127.8.9.10", "loopback" }, { "::1", "loopback" },
		{ "::ffff:127.0.0.1", "loopback" }, { "0.0.0.0", "unspecified" },
		{ "0.1.2.3", "unspecified" }, { "::", "unspecified" },
		{ "169.254.1.1", "link-local" }, { "fe80::1", "link-local" },
		{ "224.0.0.1", "multicast" }, { "239.255.255.250", "multicast" },
		{ "ff02::1", "multicast" }, { "255.255.255.255", "broadcast" },
		{ "10.0.0.1", NULL }, { "192.0.2.1", NULL }, { "2001:db8::1", NULL },
		{ "240.0.0.1", NULL },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		union xr_sa a = ip(t[i].a);
		const char *why = pol_addr_special(&a);

		if (t[i].why)
			assert_string_equal(why, t[i].why);
		else
			assert_null(why);
	}
}

static void
test_dest(void **state)
{
	struct pol_acl acl;
	union xr_sa a;

	memset(&acl, 0, sizeof(acl));
	assert_int_equal(pol_cidr_parse("10.77.0.0/16", &acl.deny[acl.ndeny++]), 0);
	assert_int_equal(pol_cidr_parse("10.11.2.0/24", &acl.trusted[acl.ntrusted++]), 0);
	acl.own[acl.nown++] = ip("10.11.1.1");
	acl.own[acl.nown++] = ip("2001:db8::10");

	a = ip("10.11.2.5");
	assert_true(pol_acl_trusted(&acl, &a));
	a = ip("10.11.1.5");
	assert_false(pol_acl_trusted(&acl, &a));

	a = ip("10.11.1.2");
	assert_null(pol_acl_dest(&acl, &a, false));
	a = ip("10.11.1.1");
	assert_string_equal(pol_acl_dest(&acl, &a, true), "our own address");
	a = ip("::ffff:10.11.1.1");
	assert_string_equal(pol_acl_dest(&acl, &a, false), "our own address");
	a = ip("2001:db8::10");
	assert_string_equal(pol_acl_dest(&acl, &a, false), "our own address");
	a = ip("127.0.0.1");
	assert_string_equal(pol_acl_dest(&acl, &a, true), "loopback");
	a = ip("10.77.2.2");
	assert_string_equal(pol_acl_dest(&acl, &a, false), "denied network");
	assert_string_equal(pol_acl_dest(&acl, &a, true), "denied network");
	acl.trusted_exempt = true;
	assert_null(pol_acl_dest(&acl, &a, true));
	assert_string_equal(pol_acl_dest(&acl, &a, false), "denied network");
	a = ip("127.0.0.1");
	assert_string_equal(pol_acl_dest(&acl, &a, true), "loopback");
}

static void
test_counters(void **state)
{
	struct pol_stats a, b;

	pol_stats(&a);
	pol_count(POL_S_CHALLENGE);
	pol_count(POL_S_DEST);
	pol_count(POL_S_DEST);
	pol_stats(&b);
	assert_int_equal(b.auth_challenges - a.auth_challenges, 1);
	assert_int_equal(b.dest_denied - a.dest_denied, 2);
	assert_int_equal(b.relay_forbidden - a.relay_forbidden, 0);
}

/* The blocklist's exemption: a ban overlapping a trusted prefix is refused. */
static void
test_trusted_overlaps(void **state)
{
	struct pol_acl acl;
	union xr_sa a;

	(void)state;
	memset(&acl, 0, sizeof(acl));
	assert_int_equal(pol_cidr_parse("10.11.2.0/24", &acl.trusted[acl.ntrusted++]), 0);
	assert_int_equal(pol_cidr_parse("2001:db8:1::/48", &acl.trusted[acl.ntrusted++]), 0);
	rcu_register_thread();
	a = ip("10.11.2.7");
	assert_false(pol_trusted_overlaps(&a, 32));	/* nothing published yet */
	assert_int_equal(pol_configure(&acl), 0);
	assert_true(pol_trusted_overlaps(&a, 32));	/* a trusted host */
	a = ip("10.11.2.128");
	assert_true(pol_trusted_overlaps(&a, 25));	/* inside the trusted /24 */
	a = ip("10.11.0.0");
	assert_true(pol_trusted_overlaps(&a, 16));	/* holds the trusted /24 */
	a = ip("10.11.3.0");
	assert_false(pol_trusted_overlaps(&a, 24));
	a = ip("10.11.3.9");
	assert_false(pol_trusted_overlaps(&a, 32));
	a = ip("2001:db8::");
	assert_true(pol_trusted_overlaps(&a, 32));
	a = ip("2001:db8:1:5::1");
	assert_true(pol_trusted_overlaps(&a, 128));
	a = ip("2001:db8:2::");
	assert_false(pol_trusted_overlaps(&a, 48));
	pol_unconfigure();
	rcu_unregister_thread();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_special),
		cmocka_unit_test(test_dest),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_trusted_overlaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
