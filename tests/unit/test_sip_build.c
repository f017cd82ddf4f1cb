// SPDX-License-Identifier: GPL-2.0
/*
 * test_sip_build.c - daemon/sip/build.h: responses to parsed requests, the
 * CANCEL, ACK and BYE we originate, and forwarded requests built by edits.  Every output is parsed again with
 * sip_msg_parse() and its fields checked; RFC 4475 requests the parser
 * rejects are answered with their 400/505.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "sip/build.h"
#include "sip/msg.h"

#define assert_slice(sl, lit) do {						\
	char _b[4096];								\
	struct sip_str _s = (sl);						\
	assert_non_null(_s.s);							\
	sip_str_cpy(_b, sizeof(_b), _s);					\
	assert_string_equal(_b, (lit));						\
	assert_int_equal(_s.len, (int)strlen(lit));				\
} while (0)

static char inbuf[SIP_MAX_MSG_SIZE + 1];
static char out[SIP_MAX_MSG_SIZE + 1];
static struct sip_msg REQ, RES;

static void
parse_in(const char *s)
{
	struct sip_err err;
	size_t n = strlen(s);

	memcpy(inbuf, s, n);
	if (sip_msg_parse(&REQ, inbuf, n, &err))
		fail_msg("input rejected: %d %s", err.code, err.reason);
}

static void
parse_out(int n)
{
	struct sip_err err;

	assert_true(n > 0);
	if (sip_msg_parse(&RES, out, (size_t)n, &err))
		fail_msg("output rejected: %d %s\n%.*s", err.code, err.reason, n, out);
}

static const char *invite =
	"INVITE sip:bob@proxy.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport\r\n"
	"v: SIP/2.0/TCP p1.example.com;branch=z9hG4bKb, SIP/2.0/UDP p0.example.com;branch=z9hG4bKc\r\n"
	"Max-Forwards: 70\r\n"
	"Route: <sip:proxy.example.com;lr>, <sip:next.example.com;lr>\r\n"
	"Record-Route: <sip:prev.example.com;lr>\r\n"
	"From: \"Alice\" <sip:alice@example.com>;tag=f1\r\n"
	"To: <sip:bob@example.com>\r\n"
	"Call-ID: build-1@192.0.2.1\r\n"
	"CSeq: 7 INVITE\r\n"
	"Timestamp: 54\r\n"
	"Subject: hello\r\n"
	"X-Drop: me\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 4\r\n"
	"\r\n"
	"abcd";

static void
test_response_basic(void **state)
{
	struct sip_str tag = SIP_STR("t-42");
	struct sip_via v;
	int n, k;

	(void)state;
	parse_in(invite);
	n = sip_build_response(out, sizeof(out), &REQ, 180, NULL, &tag, NULL, NULL, NULL);
	parse_out(n);
	assert_false(RES.is_request);
	assert_int_equal(RES.status, 180);
	assert_slice(RES.reason, "Ringing");
	assert_int_equal(RES.nvia, 3);
	assert_slice(RES.via1.branch, "z9hG4bKa");
	assert_int_equal(sip_msg_via(&RES, 2, &v), 0);
	assert_slice(v.branch, "z9hG4bKc");
	assert_slice(RES.to.tag, "t-42");
	assert_slice(RES.to.uri, "sip:bob@example.com");
	assert_slice(RES.from.tag, "f1");
	assert_slice(RES.from.display, "Alice");
	assert_slice(RES.call_id, "build-1@192.0.2.1");
	assert_int_equal(RES.cseq, 7);
	assert_int_equal(RES.cseq_method, SIP_METHOD_INVITE);
	assert_int_equal(RES.content_length, 0);
	assert_int_equal(RES.body.len, 0);
	/* not copied: Route, Record-Route, Subject, Max-Forwards, Timestamp (not 100) */
	assert_null(sip_msg_hdr(&RES, SIP_HDR_ROUTE));
	assert_null(sip_msg_hdr(&RES, SIP_HDR_RECORD_ROUTE));
	assert_null(sip_msg_hdr(&RES, SIP_HDR_SUBJECT));
	assert_null(sip_msg_hdr(&RES, SIP_HDR_TIMESTAMP));
	assert_int_equal(RES.max_forwards, -1);

	/* 100 Trying: no To tag, Timestamp echoed (§8.2.6.1) */
	n = sip_build_response(out, sizeof(out), &REQ, 100, NULL, &tag, NULL, NULL, NULL);
	parse_out(n);
	assert_null(RES.to.tag.s);
	assert_non_null(sip_msg_hdr(&RES, SIP_HDR_TIMESTAMP));

	/* every buffer shorter than the response fails cleanly */
	n = sip_build_response(out, sizeof(out), &REQ, 486, "Busy", &tag, NULL, NULL, NULL);
	assert_true(n > 0);
	for (k = 0; k < n; k++)
		assert_int_equal(sip_build_response(out, (size_t)k, &REQ, 486, "Busy", &tag,
						    NULL, NULL, NULL), -ENOSPC);
	assert_int_equal(sip_build_response(out, (size_t)n, &REQ, 486, "Busy", &tag, NULL, NULL,
					    NULL), n);
}

static void
test_response_extra_body(void **state)
{
	struct sip_str tag = SIP_STR("x");
	struct sip_str extra = SIP_STR("Contact: <sip:bob@192.0.2.9>\r\nServer: xrelay\r\n");
	struct sip_str body = SIP_STR("v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\n");
	struct sip_str ct = SIP_STR("application/sdp");
	struct sip_ctype c;
	struct sip_iter it = { 0 };
	struct sip_contact con;
	int n;

	(void)state;
	/* the request's To already has a tag: it is kept, not doubled */
	parse_in("BYE sip:bob@192.0.2.9 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKbye\r\n"
		 "From: <sip:alice@example.com>;tag=f1\r\n"
		 "To: <sip:bob@example.com>;tag=orig\r\n"
		 "Call-ID: bye@x\r\nCSeq: 8 BYE\r\n\r\n");
	n = sip_build_response(out, sizeof(out), &REQ, 200, "OK", &tag, &extra, &body, &ct);
	parse_out(n);
	assert_slice(RES.to.tag, "orig");
	assert_int_equal(RES.cseq_method, SIP_METHOD_BYE);
	assert_int_equal(sip_msg_contact_next(&RES, &it, &con), 1);
	assert_slice(con.na.uri, "sip:bob@192.0.2.9");
	assert_non_null(sip_msg_hdr(&RES, SIP_HDR_SERVER));
	assert_int_equal(sip_msg_ctype(&RES, &c), 0);
	assert_slice(c.subtype, "sdp");
	assert_slice(RES.body, "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\n");
	assert_int_equal(RES.content_length, body.len);

	/* argument checks */
	assert_int_equal(sip_build_response(out, sizeof(out), &REQ, 99, NULL, NULL, NULL, NULL,
					    NULL), -EINVAL);
	assert_int_equal(sip_build_response(out, sizeof(out), &REQ, 400, "a\r\nb", NULL, NULL,
					    NULL, NULL), -EINVAL);
	assert_int_equal(sip_build_response(out, sizeof(out), &REQ, 200, NULL, NULL, NULL, &body,
					    NULL), -EINVAL);
	assert_int_equal(sip_build_response(out, sizeof(out), &RES, 200, NULL, NULL, NULL, NULL,
					    NULL), -EINVAL);
	tag = SIP_STR("bad tag");
	assert_int_equal(sip_build_response(out, sizeof(out), &REQ, 200, NULL, &tag, NULL, NULL,
					    NULL), -EINVAL);
	assert_string_equal(sip_reason_phrase(483), "Too Many Hops");
	assert_string_equal(sip_reason_phrase(299), "Unknown");
}

static const char *
torture_dir(void)
{
	static char dir[PATH_MAX];
	struct stat st;
	const char *env;

	if (stat("../shared/sip-torture/rfc4475", &st) == 0)
		return "../shared/sip-torture/rfc4475";
	env = getenv("XR_TORTURE_DIR");
	if (env && stat(env, &st) == 0) {
		snprintf(dir, sizeof(dir), "%s", env);
		return dir;
	}
	fail_msg("RFC 4475 corpus not found (../shared/sip-torture/rfc4475 or $XR_TORTURE_DIR)");
	return NULL;
}

/* Requests the parser rejects get their 400/505, built from raw lines. */
static void
test_response_to_rejected(void **state)
{
	static const struct { const char *name; int code; bool reparse; } tab[] = {
		{ "badinv01", 400, false },	/* the broken Via is echoed as is */
		{ "clerr", 400, true },
		{ "ncl", 400, true },
		{ "scalar02", 400, false },	/* the CSeq it echoes is the bad one */
		{ "quotbal", 400, false },
		{ "baddate", 400, true },
		{ "regbadct", 400, true },
		{ "badaspec", 400, false },
		{ "baddn", 400, false },
		{ "badvers", 505, false },
		{ "mismatch01", 400, true },
		{ "mismatch02", 400, true },
		{ "multi01", 400, false },
		{ "mcl01", 400, true },
		{ "ltgtruri", 400, true },	/* start line broken, headers fine */
		{ "lwsruri", 400, true },
		{ "lwsstart", 400, true },
		{ "trws", 400, true },
		{ "escruri", 400, true },
	};
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
		char path[PATH_MAX], first[128];
		struct sip_err err;
		FILE *f;
		size_t len;
		int n, i;

		snprintf(path, sizeof(path), "%s/%s.dat", torture_dir(), tab[k].name);
		f = fopen(path, "rb");
		assert_non_null(f);
		len = fread(inbuf, 1, sizeof(inbuf), f);
		fclose(f);
		assert_true(sip_msg_parse(&REQ, inbuf, len, &err) < 0);
		assert_int_equal(err.code, tab[k].code);
		if (!err.can_reply)
			fail_msg("%s: cannot reply", tab[k].name);
		n = sip_build_response(out, sizeof(out), &REQ, err.code, err.reason, NULL, NULL,
				       NULL, NULL);
		assert_true(n > 0);
		snprintf(first, sizeof(first), "SIP/2.0 %d %s\r\n", err.code, err.reason);
		assert_memory_equal(out, first, strlen(first));
		/* every Via line of the request is in the response, in order */
		{
			const char *p = out;

			for (i = 0; i < REQ.nhdrs; i++) {
				const struct sip_hdr *h = &REQ.hdrs[i];

				if (h->type != SIP_HDR_VIA)
					continue;
				p = memmem(p, (size_t)(out + n - p), h->raw.s, (size_t)h->raw.len);
				if (!p)
					fail_msg("%s: Via line %d not echoed", tab[k].name, i);
			}
		}
		if (tab[k].reparse) {
			struct sip_str cid = REQ.call_id;

			parse_out(n);
			assert_int_equal(RES.status, tab[k].code);
			assert_int_equal(RES.count[SIP_HDR_VIA], REQ.count[SIP_HDR_VIA]);
			if (cid.s)
				assert_true(sip_str_eq(RES.call_id, cid));
		}
	}
}

static void
test_response_missing_headers(void **state)
{
	char path[PATH_MAX];
	struct sip_err err;
	FILE *f;
	size_t len;
	int n;

	(void)state;
	snprintf(path, sizeof(path), "%s/insuf.dat", torture_dir());
	f = fopen(path, "rb");
	assert_non_null(f);
	len = fread(inbuf, 1, sizeof(inbuf), f);
	fclose(f);
	assert_int_equal(sip_msg_parse(&REQ, inbuf, len, &err), 0);
	assert_int_equal(sip_msg_check_request(&REQ, &err), -EBADMSG);
	assert_true(err.can_reply);
	n = sip_build_response(out, sizeof(out), &REQ, err.code, err.reason, NULL, NULL, NULL,
			       NULL);
	parse_out(n);
	assert_int_equal(RES.status, 400);
	assert_slice(RES.reason, "Missing From Header");
	assert_slice(RES.via1.branch, "z9hG4bKkdj.insuf");
	assert_int_equal(RES.cseq, 193942);
	assert_null(sip_msg_hdr(&RES, SIP_HDR_FROM));
}

/* The proxy's full set of §16.6 edits on one request. */
static void
test_forward_request(void **state)
{
	struct sip_edit e;
	struct sip_iter it = { 0 };
	struct sip_nameaddr na;
	struct sip_uri u;
	struct sip_via v;
	struct sip_str body = SIP_STR("v=0\r\nc=IN IP4 198.51.100.1\r\n");
	int n;

	(void)state;
	parse_in(invite);
	sip_edit_init(&e, &REQ);
	assert_int_equal(sip_edit_ruri(&e, SIP_STR("sip:bob@192.0.2.99:5070")), 0);
	assert_int_equal(sip_edit_via_received(&e, SIP_STR("203.0.113.7"), 40000), 0);
	assert_int_equal(sip_edit_push_via(&e,
			 SIP_STR("SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKnew")), 0);
	assert_int_equal(sip_edit_pop_route(&e), 0);
	assert_int_equal(sip_edit_push_rr(&e, SIP_STR("<sip:198.51.100.1;lr>")), 0);
	assert_int_equal(sip_edit_dec_maxfwd(&e), 0);
	assert_int_equal(sip_edit_del_hdr(&e, sip_msg_hdr_by_name(&REQ, "X-Drop") - REQ.hdrs), 0);
	assert_int_equal(sip_edit_set_hdr(&e, REQ.first[SIP_HDR_SUBJECT], SIP_STR("bye")), 0);
	assert_int_equal(sip_edit_add_hdr(&e, SIP_STR("X-Added"), SIP_STR("1")), 0);
	assert_int_equal(sip_edit_body(&e, body, NULL), 0);
	n = sip_edit_build(&e, out, sizeof(out));
	parse_out(n);

	assert_int_equal(RES.method, SIP_METHOD_INVITE);
	assert_slice(RES.ruri, "sip:bob@192.0.2.99:5070");
	assert_int_equal(RES.nvia, 4);
	assert_slice(RES.via1.branch, "z9hG4bKnew");
	assert_slice(RES.via1.host, "198.51.100.1");
	assert_int_equal(sip_msg_via(&RES, 1, &v), 0);
	assert_slice(v.branch, "z9hG4bKa");
	assert_slice(v.received, "203.0.113.7");
	assert_true(v.rport);
	assert_int_equal(v.rport_val, 40000);
	assert_int_equal(sip_msg_via(&RES, 3, &v), 0);
	assert_slice(v.branch, "z9hG4bKc");
	assert_int_equal(RES.max_forwards, 69);
	assert_int_equal(sip_msg_route_next(&RES, SIP_HDR_ROUTE, &it, &na, &u), 1);
	assert_slice(u.host, "next.example.com");
	assert_int_equal(sip_msg_route_next(&RES, SIP_HDR_ROUTE, &it, &na, &u), 0);
	memset(&it, 0, sizeof(it));
	assert_int_equal(sip_msg_route_next(&RES, SIP_HDR_RECORD_ROUTE, &it, &na, &u), 1);
	assert_slice(u.host, "198.51.100.1");
	assert_true(u.lr);
	assert_int_equal(sip_msg_route_next(&RES, SIP_HDR_RECORD_ROUTE, &it, &na, &u), 1);
	assert_slice(u.host, "prev.example.com");
	assert_null(sip_msg_hdr_by_name(&RES, "X-Drop"));
	assert_slice(sip_msg_hdr(&RES, SIP_HDR_SUBJECT)->value, "bye");
	assert_slice(sip_msg_hdr_by_name(&RES, "X-Added")->value, "1");
	assert_slice(RES.body, "v=0\r\nc=IN IP4 198.51.100.1\r\n");
	assert_int_equal(RES.content_length, body.len);
	assert_slice(RES.call_id, "build-1@192.0.2.1");
	assert_slice(RES.from.tag, "f1");
	/* the edit set is reusable: a second build gives the same bytes */
	{
		static char again[SIP_MAX_MSG_SIZE + 1];
		int k;

		assert_int_equal(sip_edit_build(&e, again, sizeof(again)), n);
		assert_memory_equal(again, out, (size_t)n);
		for (k = 0; k < n; k += 7)
			assert_int_equal(sip_edit_build(&e, again, (size_t)k), -ENOSPC);
	}
}

static void
test_forward_compact_and_absent(void **state)
{
	struct sip_edit e;
	struct sip_str ct = SIP_STR("text/plain");
	struct sip_ctype c;
	int n;

	(void)state;
	/* compact forms, no Max-Forwards, no Content-Length (datagram) */
	parse_in("MESSAGE sip:bob@example.com SIP/2.0\r\n"
		 "v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;received=10.0.0.1;rport=1234\r\n"
		 "f: <sip:a@example.com>;tag=1\r\nt: <sip:bob@example.com>\r\n"
		 "i: cpt@x\r\nCSeq: 1 MESSAGE\r\nRoute: <sip:only.example.com;lr>\r\n\r\nhi");
	assert_int_equal(REQ.max_forwards, -1);
	sip_edit_init(&e, &REQ);
	assert_int_equal(sip_edit_dec_maxfwd(&e), 0);
	assert_int_equal(sip_edit_via_received(&e, SIP_STR("192.0.2.200"), 5555), 0);
	assert_int_equal(sip_edit_pop_route(&e), 0);
	assert_int_equal(sip_edit_body(&e, SIP_STR("hello there"), &ct), 0);
	n = sip_edit_build(&e, out, sizeof(out));
	parse_out(n);
	assert_int_equal(RES.max_forwards, 69);
	assert_slice(RES.via1.received, "192.0.2.200");
	assert_int_equal(RES.via1.rport_val, 5555);
	assert_int_equal(RES.count[SIP_HDR_ROUTE], 0);
	assert_slice(RES.body, "hello there");
	assert_int_equal(RES.content_length, 11);
	assert_int_equal(sip_msg_ctype(&RES, &c), 0);
	assert_slice(c.type, "text");
	assert_slice(RES.call_id, "cpt@x");

	/* a datagram without the empty line: the copy gets one, before the body */
	parse_in("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n");
	sip_edit_init(&e, &REQ);
	assert_int_equal(sip_edit_body(&e, SIP_STR("xyz"), &ct), 0);
	assert_int_equal(sip_edit_add_hdr(&e, SIP_STR("X-Late"), SIP_STR("2")), 0);
	n = sip_edit_build(&e, out, sizeof(out));
	parse_out(n);
	assert_slice(RES.body, "xyz");
	assert_slice(sip_msg_hdr_by_name(&RES, "X-Late")->value, "2");
	assert_int_equal(RES.content_length, 3);
	sip_edit_init(&e, &REQ);
	n = sip_edit_build(&e, out, sizeof(out));
	assert_int_equal(n, REQ.len + 2);
	assert_memory_equal(out + n - 4, "\r\n\r\n", 4);
}

static void
test_forward_errors(void **state)
{
	struct sip_edit e;
	int i;

	(void)state;
	/* Max-Forwards 0 cannot be decremented (the proxy answers 483) */
	parse_in("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		 "Max-Forwards: 0\r\nX-A: 1\r\n\r\n");
	sip_edit_init(&e, &REQ);
	assert_int_equal(sip_edit_dec_maxfwd(&e), -EINVAL);
	assert_int_equal(sip_edit_build(&e, out, sizeof(out)), -EINVAL);
	/* no Route to pop */
	sip_edit_init(&e, &REQ);
	assert_int_equal(sip_edit_pop_route(&e), -ENOENT);
	/* two edits of one header overlap */
	sip_edit_init(&e, &REQ);
	assert_int_equal(sip_edit_set_hdr(&e, 2, SIP_STR("x")), 0);
	assert_int_equal(sip_edit_del_hdr(&e, 2), 0);
	assert_int_equal(sip_edit_build(&e, out, sizeof(out)), -EINVAL);
	/* bad indexes, bad names */
	sip_edit_init(&e, &REQ);
	assert_int_equal(sip_edit_del_hdr(&e, REQ.nhdrs), -EINVAL);
	sip_edit_init(&e, &REQ);
	assert_int_equal(sip_edit_add_hdr(&e, SIP_STR("Bad Name"), SIP_STR("1")), -EINVAL);
	/* too many edits: sticky -ENOSPC */
	sip_edit_init(&e, &REQ);
	for (i = 0; i < SIP_EDIT_MAX; i++)
		assert_int_equal(sip_edit_push_via(&e, SIP_STR("SIP/2.0/UDP x")),
				 i < SIP_EDIT_MAX / 4 ? 0 : -ENOSPC);
	assert_int_equal(sip_edit_build(&e, out, sizeof(out)), -ENOSPC);
	/* no edits: an identical copy (without trailing datagram bytes) */
	sip_edit_init(&e, &REQ);
	assert_int_equal(sip_edit_build(&e, out, sizeof(out)), REQ.len);
	assert_memory_equal(out, inbuf, (size_t)REQ.len);
}

/* A response going upstream loses its top Via (§16.7), one value of a line. */
static void
test_response_pop_via(void **state)
{
	struct sip_edit e;
	struct sip_via v;
	int n;

	(void)state;
	parse_in("SIP/2.0 200 OK\r\n"
		 "Via: SIP/2.0/UDP proxy;branch=z9hG4bKp, SIP/2.0/UDP uac;branch=z9hG4bKu\r\n"
		 "Via: SIP/2.0/UDP far;branch=z9hG4bKf\r\n"
		 "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: r@x\r\n"
		 "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
	sip_edit_init(&e, &REQ);
	assert_int_equal(sip_edit_ruri(&e, SIP_STR("sip:x")), -EINVAL);
	sip_edit_init(&e, &REQ);
	assert_int_equal(sip_edit_pop_via(&e), 0);
	n = sip_edit_build(&e, out, sizeof(out));
	parse_out(n);
	assert_int_equal(RES.nvia, 2);
	assert_slice(RES.via1.branch, "z9hG4bKu");
	assert_int_equal(sip_msg_via(&RES, 1, &v), 0);
	assert_slice(v.branch, "z9hG4bKf");

	parse_in("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP proxy;branch=z9hG4bKp\r\n"
		 "Via: SIP/2.0/UDP far;branch=z9hG4bKf\r\nCSeq: 1 INVITE\r\n\r\n");
	sip_edit_init(&e, &REQ);
	assert_int_equal(sip_edit_pop_via(&e), 0);
	n = sip_edit_build(&e, out, sizeof(out));
	parse_out(n);
	assert_int_equal(RES.nvia, 1);
	assert_int_equal(RES.count[SIP_HDR_VIA], 1);
	assert_slice(RES.via1.branch, "z9hG4bKf");
}

/* Less common edits: no Record-Route yet, Route push, empty values, no headers. */
static void
test_edit_misc(void **state)
{
	struct sip_edit e;
	struct sip_iter it = { 0 };
	struct sip_nameaddr na;
	struct sip_uri u;
	int n;

	(void)state;
	parse_in("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		 "Subject:\r\nCSeq: 1 OPTIONS\r\n\r\n");
	sip_edit_init(&e, &REQ);
	/* replace the top Via line in place: the insert goes before the deletion */
	assert_int_equal(sip_edit_del_hdr(&e, REQ.first[SIP_HDR_VIA]), 0);
	assert_int_equal(sip_edit_push_via(&e, SIP_STR("SIP/2.0/TCP n;branch=z9hG4bK2")), 0);
	assert_int_equal(sip_edit_push_rr(&e, SIP_STR("<sip:rr1;lr>")), 0);
	assert_int_equal(sip_edit_push_route(&e, SIP_STR("<sip:strict.example.com>")), 0);
	assert_int_equal(sip_edit_set_hdr(&e, REQ.first[SIP_HDR_SUBJECT], SIP_STR("now set")), 0);
	assert_int_equal(sip_edit_push_rr(&e, SIP_STR("")), -EINVAL);
	n = sip_edit_build(&e, out, sizeof(out));
	assert_int_equal(n, -EINVAL);		/* the failed call is sticky */
	sip_edit_init(&e, &REQ);
	assert_int_equal(sip_edit_del_hdr(&e, REQ.first[SIP_HDR_VIA]), 0);
	assert_int_equal(sip_edit_push_via(&e, SIP_STR("SIP/2.0/TCP n;branch=z9hG4bK2")), 0);
	assert_int_equal(sip_edit_push_rr(&e, SIP_STR("<sip:rr1;lr>")), 0);
	assert_int_equal(sip_edit_push_route(&e, SIP_STR("<sip:strict.example.com>")), 0);
	assert_int_equal(sip_edit_set_hdr(&e, REQ.first[SIP_HDR_SUBJECT], SIP_STR("now set")), 0);
	n = sip_edit_build(&e, out, sizeof(out));
	parse_out(n);
	assert_int_equal(RES.nvia, 1);
	assert_slice(RES.via1.branch, "z9hG4bK2");
	assert_int_equal(sip_msg_route_next(&RES, SIP_HDR_RECORD_ROUTE, &it, &na, &u), 1);
	assert_slice(u.host, "rr1");
	memset(&it, 0, sizeof(it));
	assert_int_equal(sip_msg_route_next(&RES, SIP_HDR_ROUTE, &it, &na, &u), 1);
	assert_slice(u.host, "strict.example.com");
	assert_slice(sip_msg_hdr(&RES, SIP_HDR_SUBJECT)->value, "now set");

	/* a request with no header at all still takes edits */
	parse_in("OPTIONS sip:a@b SIP/2.0\r\n\r\n");
	sip_edit_init(&e, &REQ);
	assert_int_equal(sip_edit_via_received(&e, SIP_STR("1.2.3.4"), 0), -ENOENT);
	sip_edit_init(&e, &REQ);
	assert_int_equal(sip_edit_push_via(&e, SIP_STR("SIP/2.0/UDP n;branch=z9hG4bK3")), 0);
	assert_int_equal(sip_edit_dec_maxfwd(&e), 0);
	n = sip_edit_build(&e, out, sizeof(out));
	parse_out(n);
	assert_int_equal(RES.nvia, 1);
	assert_int_equal(RES.max_forwards, 69);
}

/* §9.1 and §17.1.1.3: CANCEL and the ACK for a non-2xx, from the INVITE we sent. */
static void
test_cancel_ack(void **state)
{
	static const char *sent =
		"INVITE sip:bob@192.0.2.20 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKxr1, SIP/2.0/UDP 192.0.2.1\r\n"
		"Route: <sip:192.0.2.9;lr>\r\n"
		"Max-Forwards: 69\r\n"
		"From: <sip:alice@example.com>;tag=f1\r\n"
		"To: <sip:bob@example.com>\r\n"
		"Call-ID: c1@192.0.2.1\r\n"
		"CSeq: 7 INVITE\r\n"
		"Contact: <sip:alice@192.0.2.1>\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char *resp =
		"SIP/2.0 486 Busy Here\r\n"
		"Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKxr1\r\n"
		"From: <sip:alice@example.com>;tag=f1\r\n"
		"To: <sip:bob@example.com>;tag=t9\r\n"
		"Call-ID: c1@192.0.2.1\r\n"
		"CSeq: 7 INVITE\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char *cancel =
		"CANCEL sip:bob@192.0.2.20 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKxr1\r\n"
		"Route: <sip:192.0.2.9;lr>\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:alice@example.com>;tag=f1\r\n"
		"To: <sip:bob@example.com>\r\n"
		"Call-ID: c1@192.0.2.1\r\n"
		"CSeq: 7 CANCEL\r\n"
		"Content-Length: 0\r\n\r\n";
	static char rbuf[1024];
	struct sip_msg rm;
	struct sip_err err;
	int n;

	parse_in(sent);
	n = sip_build_cancel_ack(out, sizeof(out), &REQ, NULL);
	assert_int_equal(n, (int)strlen(cancel));
	assert_memory_equal(out, cancel, strlen(cancel));
	parse_out(n);
	assert_int_equal(RES.method, SIP_METHOD_CANCEL);
	assert_int_equal(RES.cseq, 7);

	memcpy(rbuf, resp, strlen(resp));
	assert_int_equal(sip_msg_parse(&rm, rbuf, strlen(resp), &err), 0);
	n = sip_build_cancel_ack(out, sizeof(out), &REQ, &rm);
	parse_out(n);
	assert_int_equal(RES.method, SIP_METHOD_ACK);
	assert_slice(RES.to.tag, "t9");
	assert_slice(RES.via1.branch, "z9hG4bKxr1");
	assert_int_equal(RES.nvia, 1);
	assert_int_equal(RES.cseq_method, SIP_METHOD_ACK);
	/* Too small a buffer. */
	assert_int_equal(sip_build_cancel_ack(out, 40, &REQ, NULL), -ENOSPC);
}

/* The BYE that ends a call from the middle. */
static void
test_bye(void **state)
{
	static const char *want =
		"BYE sip:bob@192.0.2.20:5062 SIP/2.0\r\n"
		"Via: SIP/2.0/TCP 198.51.100.1:5060;branch=z9hG4bKxr2\r\n"
		"Route: <sip:192.0.2.9;lr>\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:alice@example.com>;tag=f1\r\n"
		"To: <sip:bob@example.com>;tag=t9\r\n"
		"Call-ID: c1@192.0.2.1\r\n"
		"CSeq: 8 BYE\r\n"
		"Reason: SIP;cause=200;text=\"Media timeout\"\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_bye b = {
		.ruri = "sip:bob@192.0.2.20:5062", .transport = "TCP",
		.sent_by = "198.51.100.1:5060", .branch = "z9hG4bKxr2",
		.routes = "Route: <sip:192.0.2.9;lr>\r\n",
		.from = "<sip:alice@example.com>;tag=f1", .to = "<sip:bob@example.com>",
		.to_tag = "t9", .callid = "c1@192.0.2.1", .cseq = 8, .reason = "Media timeout",
	};
	int n;

	n = sip_build_bye(out, sizeof(out), &b);
	assert_int_equal(n, (int)strlen(want));
	assert_memory_equal(out, want, strlen(want));
	parse_out(n);
	/* The other way: our From carries the callee's tag, the To none. */
	b.from = "<sip:bob@example.com>";
	b.from_tag = "t9";
	b.to = "<sip:alice@example.com>;tag=f1";
	b.to_tag = NULL;
	b.routes = "";
	parse_out(sip_build_bye(out, sizeof(out), &b));
	assert_slice(RES.from.tag, "t9");
	assert_slice(RES.to.tag, "f1");
	assert_int_equal(RES.first[SIP_HDR_ROUTE], -1);
	assert_int_equal(sip_build_bye(out, 100, &b), -ENOSPC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_response_basic),
		cmocka_unit_test(test_response_extra_body),
		cmocka_unit_test(test_response_to_rejected),
		cmocka_unit_test(test_response_missing_headers),
		cmocka_unit_test(test_forward_request),
		cmocka_unit_test(test_forward_compact_and_absent),
		cmocka_unit_test(test_forward_errors),
		cmocka_unit_test(test_response_pop_via),
		cmocka_unit_test(test_edit_misc),
		cmocka_unit_test(test_cancel_ack),
		cmocka_unit_test(test_bye),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
