// SPDX-License-Identifier: GPL-2.0
/*
 * test_proxy_validate.c - the pure decisions of daemon/proxy/validate.c on
 * parsed requests: §16.3 validation (mandatory headers, URI scheme,
 * Max-Forwards and the OPTIONS ping, Proxy-Require), §16.3 step 4 loop
 * detection against the hash our Via branch carries, and §16.4 Route
 * planning (our Routes removed, strict-router fix-up, bad Route values).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dns/dns.h"
#include "proxy/proxy_int.h"

static struct xr_config cfg;

struct req {
	char		buf[8192];
	struct sip_msg	m;
};
static struct req rq;

/* A request line, then the headers hdrs (CRLF each) and the mandatory ones. */
static struct sip_msg *
req(const char *line, const char *hdrs)
{
	struct sip_err err;
	int n;

	n = snprintf(rq.buf, sizeof(rq.buf),
		     "%s SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc\r\n"
		     "From: <sip:alice@example.com>;tag=f1\r\n"
		     "To: <sip:bob@example.com>\r\n"
		     "Call-ID: c1@192.0.2.1\r\n"
		     "CSeq: 1 %.*s\r\n"
		     "%s"
		     "Content-Length: 0\r\n\r\n",
		     line, (int)strcspn(line, " "), line, hdrs);
	assert_true(n > 0 && n < (int)sizeof(rq.buf));
	assert_int_equal(sip_msg_parse(&rq.m, rq.buf, (size_t)n, &err), 0);
	return &rq.m;
}

static int
setup(void **state)
{
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(xr_sa_parse(&cfg.sip[0], "198.51.100.1:5060", 5060), 0);
	assert_int_equal(xr_sa_parse(&cfg.sip[1], "10.0.0.1:5070", 5060), 0);
	cfg.nsip = 2;
	cfg.domains[0] = (char *)"example.com";
	cfg.ndomains = 1;
	px_cfg = &cfg;
	reg_cfg_from(&px_reg, &cfg);
	return 0;
}

static void
who_we_are(void **state)
{
	struct sip_uri u;

	assert_true(px_is_our_hostport(SIP_STR("198.51.100.1"), 0));
	assert_true(px_is_our_hostport(SIP_STR("198.51.100.1"), 5060));
	assert_false(px_is_our_hostport(SIP_STR("198.51.100.1"), 5070));
	assert_true(px_is_our_hostport(SIP_STR("10.0.0.1"), 5070));
	assert_false(px_is_our_hostport(SIP_STR("10.0.0.1"), 0));
	assert_true(px_host_is_our_addr(SIP_STR("10.0.0.1")));
	assert_false(px_host_is_our_addr(SIP_STR("example.com")));
	assert_int_equal(sip_uri_parse(SIP_STR("sip:10.0.0.1:5070;lr"), &u), 0);
	assert_true(px_uri_is_ours(&u));
	assert_int_equal(sip_uri_parse(SIP_STR("sip:x@192.0.2.9;maddr=198.51.100.1"), &u), 0);
	assert_true(px_uri_is_ours(&u));
	assert_int_equal(sip_uri_parse(SIP_STR("sip:bob@example.com"), &u), 0);
	assert_false(px_uri_is_ours(&u));
	assert_true(px_ruri_is_ours(&u));
	assert_int_equal(sip_uri_parse(SIP_STR("sips:bob@example.com"), &u), 0);
	assert_false(px_ruri_is_ours(&u));
	assert_int_equal(sip_uri_parse(SIP_STR("sip:bob@example.org"), &u), 0);
	assert_false(px_ruri_is_ours(&u));
}

static void
dialog_creating(void **state)
{
	assert_true(px_dialog_creating(req("INVITE sip:bob@example.com", "Max-Forwards: 70\r\n")));
	assert_true(px_dialog_creating(req("SUBSCRIBE sip:bob@example.com",
					   "Max-Forwards: 70\r\n")));
	assert_false(px_dialog_creating(req("OPTIONS sip:bob@example.com",
					    "Max-Forwards: 70\r\n")));
	assert_false(px_dialog_creating(req("MESSAGE sip:bob@example.com",
					    "Max-Forwards: 70\r\n")));
}

static void
check_request(void **state)
{
	struct px_refusal r;
	uint64_t lh = 0;

	assert_int_equal(px_check_request(req("INVITE sip:bob@example.com",
					      "Max-Forwards: 70\r\n"), false, &lh, &r), 0);
	assert_int_not_equal(lh, 0);
	/* Step 2: the URI scheme. */
	assert_int_equal(px_check_request(req("INVITE tel:+4930123",
					      "Max-Forwards: 70\r\n"), false, &lh, &r), -EINVAL);
	assert_int_equal(r.code, 416);
	/* Step 3: Max-Forwards 0; an OPTIONS for us is answered 200 with Allow. */
	assert_int_equal(px_check_request(req("INVITE sip:bob@example.com",
					      "Max-Forwards: 0\r\n"), false, &lh, &r), -ELOOP);
	assert_int_equal(r.code, 483);
	assert_int_equal(px_check_request(req("OPTIONS sip:198.51.100.1",
					      "Max-Forwards: 0\r\n"), true, &lh, &r), -EALREADY);
	assert_int_equal(r.code, 200);
	assert_non_null(strstr(r.extra, "Allow: INVITE"));
	assert_non_null(strstr(r.extra, "Accept: application/sdp\r\n"));
	/* Step 5: Proxy-Require: every option named is unsupported. */
	assert_int_equal(px_check_request(req("INVITE sip:bob@example.com",
					      "Max-Forwards: 70\r\n"
					      "Proxy-Require: foo, bar\r\n"), false, &lh, &r),
			 -EINVAL);
	assert_int_equal(r.code, 420);
	assert_string_equal(r.extra, "Unsupported: foo\r\nUnsupported: bar\r\n");
}

static void
loop_detection(void **state)
{
	char hdrs[512];
	struct px_refusal r;
	uint64_t lh, lh2;

	lh = px_loop_hash(req("INVITE sip:bob@example.com", "Max-Forwards: 70\r\n"));
	/* The same request again: the same hash; another Request-URI (a spiral): not. */
	assert_true(px_loop_hash(req("INVITE sip:bob@example.com", "Max-Forwards: 69\r\n")) == lh);
	lh2 = px_loop_hash(req("INVITE sip:bob@192.0.2.7", "Max-Forwards: 70\r\n"));
	assert_true(lh2 != lh);
	assert_true(px_loop_hash(req("INVITE sip:bob@example.com", "Max-Forwards: 70\r\n"
				     "Proxy-Authorization: Digest x\r\n")) != lh);

	/* It comes back with our Via carrying its hash: a loop (482). */
	snprintf(hdrs, sizeof(hdrs), "Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKx-%016" PRIx64
		 "\r\nMax-Forwards: 60\r\n", lh);
	assert_true(px_is_loop(req("INVITE sip:bob@example.com", hdrs), lh));
	assert_int_equal(px_check_request(req("INVITE sip:bob@example.com", hdrs), false,
					  &lh2, &r), -ELOOP);
	assert_int_equal(r.code, 482);
	/* The same branch on a Via that is not ours: no loop. */
	snprintf(hdrs, sizeof(hdrs), "Via: SIP/2.0/UDP 192.0.2.50;branch=z9hG4bKx-%016" PRIx64
		 "\r\nMax-Forwards: 60\r\n", lh);
	assert_false(px_is_loop(req("INVITE sip:bob@example.com", hdrs), lh));
	/* Our Via with another request's hash: a spiral, not a loop. */
	snprintf(hdrs, sizeof(hdrs), "Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKx-%016" PRIx64
		 "\r\nMax-Forwards: 60\r\n", lh ^ 1);
	assert_false(px_is_loop(req("INVITE sip:bob@example.com", hdrs), lh));
}

static void
plan_routes(void **state)
{
	struct px_plan p;

	/* No Route: the Request-URI as it came. */
	memset(&p, 0, sizeof(p));
	assert_int_equal(px_plan_routes(req("INVITE sip:bob@example.com",
					    "Max-Forwards: 70\r\n"), &p), 0);
	assert_int_equal(p.nr, 0);
	assert_int_equal(p.skip, 0);
	assert_false(p.strict_fix);
	assert_true(sip_str_eq(p.ruri, SIP_STR("sip:bob@example.com")));

	/* Our own Route values on top are removed (skipped); the next is the hop. */
	memset(&p, 0, sizeof(p));
	assert_int_equal(px_plan_routes(req("INVITE sip:bob@example.com",
					    "Max-Forwards: 70\r\n"
					    "Route: <sip:198.51.100.1;lr>, <sip:10.0.0.1:5070;lr>\r\n"
					    "Route: <sip:192.0.2.9;lr>\r\n"), &p), 0);
	assert_int_equal(p.nr, 3);
	assert_int_equal(p.skip, 2);
	assert_true(p.r[0].ours && p.r[1].ours && !p.r[2].ours);
	assert_int_equal(p.r[0].hdr, p.r[1].hdr);
	assert_int_not_equal(p.r[1].hdr, p.r[2].hdr);
	assert_true(p.r[2].uri.lr);

	/* A strict router put our URI in the Request-URI: the last Route replaces it. */
	memset(&p, 0, sizeof(p));
	assert_int_equal(px_plan_routes(req("INVITE sip:198.51.100.1",
					    "Max-Forwards: 70\r\n"
					    "Route: <sip:192.0.2.9;lr>, <sip:bob@192.0.2.20>\r\n"), &p),
			 0);
	assert_true(p.strict_fix);
	assert_int_equal(p.nr, 1);
	assert_int_equal(p.skip, 0);
	assert_true(sip_str_eq(p.ruri, SIP_STR("sip:bob@192.0.2.20")));

	/* More Route values than we look at: 400 Bad Route Header. */
	memset(&p, 0, sizeof(p));
	assert_int_equal(px_plan_routes(req("INVITE sip:bob@example.com",
					    "Max-Forwards: 70\r\n"
					    "Route: <sip:a;lr>, <sip:b;lr>, <sip:c;lr>, <sip:d;lr>\r\n"
					    "Route: <sip:a;lr>, <sip:b;lr>, <sip:c;lr>, <sip:d;lr>\r\n"
					    "Route: <sip:a;lr>, <sip:b;lr>, <sip:c;lr>, <sip:d;lr>\r\n"
					    "Route: <sip:a;lr>, <sip:b;lr>, <sip:c;lr>, <sip:d;lr>\r\n"
					    "Route: <sip:e;lr>\r\n"), &p), -EINVAL);
}

/* §16.6 step 7: the next hop is the first Route left, else the target. */
static void
next_hop(void **state)
{
	struct sip_uri tu, hop;
	struct px_plan p;

	memset(&p, 0, sizeof(p));
	assert_int_equal(px_plan_routes(req("INVITE sip:bob@example.com",
					    "Max-Forwards: 70\r\n"
					    "Route: <sip:198.51.100.1;lr>, <sip:192.0.2.9;lr>\r\n"), &p), 0);
	assert_int_equal(px_next_hop(&p, SIP_STR("sip:bob@192.0.2.20"), &tu, &hop), 0);
	assert_true(sip_str_eq(hop.host, SIP_STR("192.0.2.9")));
	assert_true(sip_str_eq(tu.host, SIP_STR("192.0.2.20")));

	memset(&p, 0, sizeof(p));
	assert_int_equal(px_plan_routes(req("INVITE sip:bob@example.com",
					    "Max-Forwards: 70\r\n"), &p), 0);
	assert_int_equal(px_next_hop(&p, (struct sip_str){ 0 }, &tu, &hop), 0);
	assert_true(sip_str_eq(hop.host, SIP_STR("example.com")));
	assert_int_equal(px_next_hop(&p, SIP_STR("not a uri"), &tu, &hop), -EINVAL);
	assert_int_equal(px_status_of(-EPROTONOSUPPORT), 416);
	assert_int_equal(px_status_of(-EBADMSG), 400);
	assert_int_equal(px_status_of(-EHOSTUNREACH), 503);
	assert_int_equal(px_status_of(-EMSGSIZE), 513);
	assert_int_equal(px_status_of(-ENOENT), 604);
	assert_int_equal(px_status_of(-ETIMEDOUT), 408);
}

/* RFC 3261 §18.1.1: over 1300 bytes with the path MTU unknown, or within 200 of it. */
static void
mtu_rule(void **state)
{
	char host[DNS_NAME_MAX + 1];
	struct sip_uri u;

	(void)state;
	assert_false(px_mtu_needs_tcp(1300, 0));
	assert_true(px_mtu_needs_tcp(1301, 0));		/* unknown */
	assert_false(px_mtu_needs_tcp(1300, 1500));
	assert_true(px_mtu_needs_tcp(1301, 1500));	/* within 200 of 1500 */
	assert_false(px_mtu_needs_tcp(8800, 9000));	/* a jumbo path takes more */
	assert_true(px_mtu_needs_tcp(8801, 9000));
	assert_true(px_mtu_needs_tcp(1200 + 101, 1280 + 220));
	assert_false(px_mtu_needs_tcp(1000, 1100));	/* never under 1300 */
	assert_true(px_mtu_needs_tcp(3000, 65536 - 70000));	/* absurd: as unknown */
	/* which next hops need DNS */
	assert_int_equal(sip_uri_parse(SIP_STR("sip:bob@gw.example.com:5070"), &u), 0);
	assert_true(px_hop_host(&u, host, sizeof(host)));
	assert_string_equal(host, "gw.example.com");
	assert_int_equal(sip_uri_parse(SIP_STR("sip:bob@192.0.2.1;maddr=proxy.example.net"), &u),
			 0);
	assert_true(px_hop_host(&u, host, sizeof(host)));
	assert_string_equal(host, "_sip._udp.proxy.example.net");	/* no port: SRV first */
	assert_int_equal(sip_uri_parse(SIP_STR("sip:bob@example.com;transport=tcp"), &u), 0);
	assert_true(px_hop_host(&u, host, sizeof(host)));
	assert_string_equal(host, "_sip._tcp.example.com");
	assert_int_equal(sip_uri_parse(SIP_STR("sip:bob@192.0.2.1"), &u), 0);
	assert_false(px_hop_host(&u, host, sizeof(host)));
	assert_int_equal(sip_uri_parse(SIP_STR("sip:bob@[2001:db8::1]:5060"), &u), 0);
	assert_false(px_hop_host(&u, host, sizeof(host)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(who_we_are, setup),
		cmocka_unit_test_setup(dialog_creating, setup),
		cmocka_unit_test_setup(check_request, setup),
		cmocka_unit_test_setup(loop_detection, setup),
		cmocka_unit_test_setup(plan_routes, setup),
		cmocka_unit_test_setup(next_hop, setup),
		cmocka_unit_test_setup(mtu_rule, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
