// SPDX-License-Identifier: GPL-2.0
/*
 * test_registrar.c - the §10.3 decisions of daemon/proxy/registrar.c on
 * parsed REGISTER requests, over the real location service on a fake clock:
 * expiry from ;expires / Expires / the default, 423 + Min-Expires, capping,
 * removal, "*", Call-ID/CSeq ordering, bad Contact, foreign AOR, Require,
 * queries, q ordering in the 200, the binding limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <urcu.h>

#include "proxy/location.h"
#include "proxy/registrar.h"
#include "sip/msg.h"

#define T0	5000000ULL

static char *domains[] = { "example.com", "Example.NET" };
static const struct reg_cfg regc = {
	.min_expires = 60, .max_expires = 3600, .default_expires = 1800,
	.domains = domains, .ndomains = 2,
};

struct req {
	char		buf[8192];
	struct sip_msg	m;
};

/* A REGISTER for To `to` with the given extra header lines (CRLF each). */
static struct sip_msg *
reg(struct req *r, const char *to, const char *callid, unsigned cseq, const char *hdrs)
{
	struct sip_err err;
	int n;

	n = snprintf(r->buf, sizeof(r->buf),
		     "REGISTER sip:example.com SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK%u%s\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <%s>;tag=f%u\r\n"
		     "To: <%s>\r\n"
		     "Call-ID: %s\r\n"
		     "CSeq: %u REGISTER\r\n"
		     "%s"
		     "Content-Length: 0\r\n\r\n",
		     cseq, callid, to, cseq, to, callid, cseq, hdrs);
	assert_true(n > 0 && n < (int)sizeof(r->buf));
	assert_int_equal(sip_msg_parse(&r->m, r->buf, (size_t)n, &err), 0);
	return &r->m;
}

static struct reg_result res;
static struct req rq;
static const struct loc_src src = { .tp = 0, .sock = 0 };

static int
do_reg(const char *to, const char *callid, unsigned cseq, const char *hdrs, uint64_t now)
{
	assert_int_equal(reg_handle(&regc, reg(&rq, to, callid, cseq, hdrs), &src, now, &res), 0);
	return res.code;
}

static int
setup(void **state)
{
	return loc_init(reg_uri_eq);
}

static int
teardown(void **state)
{
	loc_fini();
	return 0;
}

static void
test_basic(void **state)
{
	struct loc_binding b[4];

	assert_int_equal(do_reg("sip:bob@example.com", "c1", 1,
				"Contact: <sip:bob@192.0.2.1:5060>\r\nExpires: 300\r\n", T0), 200);
	assert_int_equal(res.nbindings, 1);
	assert_non_null(strstr(res.extra, "Contact: <sip:bob@192.0.2.1:5060>;expires=300\r\n"));
	assert_int_equal(loc_lookup("bob@example.com", T0, b, 4), 1);
	assert_int_equal(b[0].expires_ms, T0 + 300000);
	/* The AOR is canonical: case of the host, escapes in the user. */
	assert_int_equal(do_reg("sip:%62ob@EXAMPLE.com", "c1", 2,
				"Contact: <sip:bob@192.0.2.1:5060>\r\nExpires: 600\r\n", T0), 200);
	assert_int_equal(loc_lookup("bob@example.com", T0, b, 4), 1);
	assert_int_equal(b[0].expires_ms, T0 + 600000);
	/* Second domain, matched case-insensitively. */
	assert_int_equal(do_reg("sip:carol@example.net", "c9", 1,
				"Contact: <sip:carol@192.0.2.9>\r\n", T0), 200);
}

static void
test_expires_sources(void **state)
{
	/* ;expires beats Expires, Expires beats the default. */
	assert_int_equal(do_reg("sip:a@example.com", "c", 1,
				"Contact: <sip:a@192.0.2.1>;expires=120\r\nExpires: 900\r\n", T0),
			 200);
	assert_non_null(strstr(res.extra, ";expires=120\r\n"));
	assert_int_equal(do_reg("sip:b@example.com", "c", 1,
				"Contact: <sip:b@192.0.2.1>\r\nExpires: 900\r\n", T0), 200);
	assert_non_null(strstr(res.extra, ";expires=900\r\n"));
	assert_int_equal(do_reg("sip:c@example.com", "c", 1, "Contact: <sip:c@192.0.2.1>\r\n", T0),
			 200);
	assert_non_null(strstr(res.extra, ";expires=1800\r\n"));
	/* Above --max-expires: shortened to it. */
	assert_int_equal(do_reg("sip:d@example.com", "c", 1,
				"Contact: <sip:d@192.0.2.1>;expires=99999\r\n", T0), 200);
	assert_non_null(strstr(res.extra, ";expires=3600\r\n"));
	/* The 200 counts down with the clock. */
	assert_int_equal(do_reg("sip:d@example.com", "c", 2, "", T0 + 100000), 200);
	assert_non_null(strstr(res.extra, ";expires=3500\r\n"));
}

static void
test_interval_too_brief(void **state)
{
	struct loc_binding b[2];

	assert_int_equal(do_reg("sip:a@example.com", "c", 1,
				"Contact: <sip:a@192.0.2.1>;expires=30\r\n", T0), 423);
	assert_non_null(strstr(res.extra, "Min-Expires: 60\r\n"));
	assert_int_equal(loc_lookup("a@example.com", T0, b, 2), 0);
	/* One brief contact among good ones: nothing is bound (§10.3 step 7). */
	assert_int_equal(do_reg("sip:a@example.com", "c", 2,
				"Contact: <sip:ok@192.0.2.1>\r\nContact: <sip:a@192.0.2.1>\r\n"
				"Expires: 59\r\n", T0), 423);
	assert_int_equal(loc_lookup("a@example.com", T0, b, 2), 0);
	/* Exactly the minimum is fine. */
	assert_int_equal(do_reg("sip:a@example.com", "c", 3,
				"Contact: <sip:a@192.0.2.1>;expires=60\r\n", T0), 200);
}

static void
test_remove_and_star(void **state)
{
	struct loc_binding b[4];

	assert_int_equal(do_reg("sip:u@example.com", "c", 1,
				"Contact: <sip:u@192.0.2.1>, <sip:u@192.0.2.2>\r\n", T0), 200);
	assert_int_equal(res.nbindings, 2);
	assert_int_equal(do_reg("sip:u@example.com", "c", 2,
				"Contact: <sip:u@192.0.2.1>;expires=0\r\n", T0), 200);
	assert_int_equal(res.nbindings, 1);
	assert_null(strstr(res.extra, "192.0.2.1"));
	/* "*" needs Expires: 0 ... */
	assert_int_equal(do_reg("sip:u@example.com", "c", 3, "Contact: *\r\n", T0), 400);
	assert_int_equal(do_reg("sip:u@example.com", "c", 4, "Contact: *\r\nExpires: 5\r\n", T0),
			 400);
	/* ... and must be alone. */
	assert_int_equal(do_reg("sip:u@example.com", "c", 5,
				"Contact: *\r\nContact: <sip:u@192.0.2.3>\r\nExpires: 0\r\n", T0),
			 400);
	assert_int_equal(loc_lookup("u@example.com", T0, b, 4), 1);
	assert_int_equal(do_reg("sip:u@example.com", "c", 6, "Contact: *\r\nExpires: 0\r\n", T0),
			 200);
	assert_int_equal(res.nbindings, 0);
	assert_int_equal(res.extra_len, 0);
	assert_int_equal(loc_lookup("u@example.com", T0, b, 4), 0);
}

static void
test_ordering(void **state)
{
	struct loc_binding b[2];

	assert_int_equal(do_reg("sip:o@example.com", "call-A", 10,
				"Contact: <sip:o@192.0.2.1>\r\nExpires: 300\r\n", T0), 200);
	/* Same Call-ID, CSeq not higher: the request fails, nothing changes. */
	assert_int_equal(do_reg("sip:o@example.com", "call-A", 10,
				"Contact: <sip:o@192.0.2.1>\r\nExpires: 0\r\n", T0), 400);
	assert_string_equal(res.reason, "Out of Order CSeq");
	assert_int_equal(do_reg("sip:o@example.com", "call-A", 9,
				"Contact: <sip:o@192.0.2.1>\r\nExpires: 0\r\n", T0), 400);
	assert_int_equal(loc_lookup("o@example.com", T0, b, 2), 1);
	/* Another Call-ID may change it whatever its CSeq. */
	assert_int_equal(do_reg("sip:o@example.com", "call-B", 1,
				"Contact: <sip:o@192.0.2.1>\r\nExpires: 0\r\n", T0), 200);
	assert_int_equal(loc_lookup("o@example.com", T0, b, 2), 0);
}

static void
test_errors(void **state)
{
	/* An AOR outside our domains. */
	assert_int_equal(do_reg("sip:x@elsewhere.org", "c", 1, "Contact: <sip:x@192.0.2.1>\r\n",
				T0), 404);
	/* A To that is not a SIP URI (RFC 4475 unksm2). */
	assert_int_equal(do_reg("isbn:2983792873", "c", 1, "Contact: <sip:x@192.0.2.1>\r\n", T0),
			 400);
	/* Require: we support no extension (§10.3 step 2, §8.2.2.3). */
	assert_int_equal(do_reg("sip:x@example.com", "c", 1,
				"Require: gruu, path\r\nContact: <sip:x@192.0.2.1>\r\n", T0), 420);
	assert_non_null(strstr(res.extra, "Unsupported: gruu\r\n"));
	assert_non_null(strstr(res.extra, "Unsupported: path\r\n"));
}

static void
test_bad_contact(void **state)
{
	struct req r;
	struct sip_err err;
	const char *msg =
		"REGISTER sip:example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbad\r\n"
		"From: <sip:x@example.com>;tag=1\r\n"
		"To: <sip:x@example.com>\r\n"
		"Call-ID: bad\r\n"
		"CSeq: 1 REGISTER\r\n"
		"Contact: <sip:x@192.0.2.1>;q=7\r\n"
		"Content-Length: 0\r\n\r\n";

	/* Whether the parser or the registrar rejects it, it must not be bound. */
	if (sip_msg_parse(&r.m, msg, strlen(msg), &err) == 0) {
		assert_int_equal(reg_handle(&regc, &r.m, &src, T0, &res), 0);
		assert_int_equal(res.code, 400);
	} else {
		assert_int_equal(err.code, 400);
	}
	struct loc_binding b[1];
	assert_int_equal(loc_lookup("x@example.com", T0, b, 1), 0);
}

static void
test_query_and_q(void **state)
{
	const char *p1, *p2, *p3;

	assert_int_equal(do_reg("sip:q@example.com", "c", 1,
				"Contact: <sip:low@192.0.2.1>;q=0.1, <sip:high@192.0.2.2>;q=0.9\r\n"
				"Contact: <sip:mid@192.0.2.3>;q=0.5\r\n", T0), 200);
	/* A REGISTER without Contact is a query: the same list, nothing changes. */
	assert_int_equal(do_reg("sip:q@example.com", "c", 2, "", T0), 200);
	assert_int_equal(res.nbindings, 3);
	p1 = strstr(res.extra, "sip:high@");
	p2 = strstr(res.extra, "sip:mid@");
	p3 = strstr(res.extra, "sip:low@");
	assert_true(p1 && p2 && p3 && p1 < p2 && p2 < p3);
	assert_non_null(strstr(res.extra, ";q=0.900\r\n"));
	/* An unknown AOR of ours: 200 with no binding. */
	assert_int_equal(do_reg("sip:nobody@example.com", "c", 1, "", T0), 200);
	assert_int_equal(res.nbindings, 0);
}

static void
test_limit(void **state)
{
	char hdrs[4096];
	size_t off = 0;
	int i;

	for (i = 0; i <= LOC_MAX_BINDINGS; i++)
		off += snprintf(hdrs + off, sizeof(hdrs) - off,
				"Contact: <sip:l%d@192.0.2.1>\r\n", i);
	assert_int_equal(do_reg("sip:l@example.com", "c", 1, hdrs, T0), 503);
	assert_int_equal(do_reg("sip:l@example.com", "c", 2, "", T0), 200);
	assert_int_equal(res.nbindings, 0);
}

static void
test_uri_eq(void **state)
{
	/* §19.1.4: host case-insensitive, user case-sensitive, transport must match. */
	assert_true(reg_uri_eq("sip:bob@HOST.example.com", 24, "sip:bob@host.example.com", 24));
	assert_false(reg_uri_eq("sip:Bob@host", 12, "sip:bob@host", 12));
	assert_false(reg_uri_eq("sip:bob@h;transport=tcp", 23, "sip:bob@h", 9));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_basic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expires_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interval_too_brief, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_and_star, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ordering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_contact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_and_q, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uri_eq, setup, teardown),
	};
	int rc;

	rcu_register_thread();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rcu_unregister_thread();
	return rc;
}
