// SPDX-License-Identifier: GPL-2.0
/*
 * test_sip_parser.c - the SIP parser (daemon/sip/msg.h) against every RFC
 * 4475 torture message, judged as ../shared/sip-torture/README.md groups
 * them (valid: concrete field values; invalid: 400/505 with a reason;
 * application layer: parsed and exposing what the proxy decides on), plus
 * hand-written edge cases: limits, framing, URIs (§19.1.4), parameters,
 * and the named cases of tests/data/sip/ (ok-, 400-, 505-*.sip).
 * Run from the repo root; the corpus is ../shared/sip-torture/rfc4475 or
 * $XR_TORTURE_DIR.  A missing corpus fails the test.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
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

#define assert_absent(sl)	assert_null((sl).s)

static const char *
torture_dir(void)
{
	static char dir[PATH_MAX];
	struct stat st;
	const char *env;

	if (stat("../shared/sip-torture/rfc4475", &st) == 0 && S_ISDIR(st.st_mode))
		return "../shared/sip-torture/rfc4475";
	env = getenv("XR_TORTURE_DIR");
	if (env && stat(env, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(dir, sizeof(dir), "%s", env);
		return dir;
	}
	fail_msg("RFC 4475 corpus not found: neither ../shared/sip-torture/rfc4475 "
		 "(run from the repo root) nor $XR_TORTURE_DIR");
	return NULL;
}

/* The message buffer must outlive the parsed struct: one per test. */
static char msgbuf[SIP_MAX_MSG_SIZE + 1];
static struct sip_msg M;

static size_t
load(const char *name)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s.dat", torture_dir(), name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	n = fread(msgbuf, 1, sizeof(msgbuf), f);
	fclose(f);
	assert_true(n > 0 && n < sizeof(msgbuf));
	return n;
}

/* ---- valid messages (RFC 4475 §3.1.1) ---------------------------------- */

static void
check_wsinv(void)
{
	struct sip_iter it = { 0 };
	struct sip_contact c;
	struct sip_via v;
	struct sip_nameaddr na;
	struct sip_uri u;
	const struct sip_hdr *h;

	assert_true(M.is_request);
	assert_int_equal(M.method, SIP_METHOD_INVITE);
	assert_slice(M.ruri, "sip:vivekg@chair-dnrc.example.com;unknownparam");
	assert_slice(M.ruri_u.user, "vivekg");
	assert_slice(M.ruri_u.host, "chair-dnrc.example.com");
	assert_slice(M.ruri_u.params, ";unknownparam");
	assert_slice(M.to.uri, "sip:vivekg@chair-dnrc.example.com");
	assert_slice(M.to.tag, "1918181833n");
	assert_false(M.to.angle);
	assert_slice(M.from.display, "J Rosenberg \\\\\\\"");
	assert_slice(M.from.tag, "98asjd8");
	assert_int_equal(M.max_forwards, 68);
	assert_slice(M.call_id, "wsinv.ndaksdj@192.0.2.1");
	assert_int_equal(M.content_length, 150);
	assert_int_equal(M.body.len, 150);
	assert_int_equal(M.cseq, 9);
	assert_int_equal(M.cseq_method, SIP_METHOD_INVITE);
	/* three Via values: one folded line, then "v:" with two */
	assert_int_equal(M.nvia, 3);
	assert_int_equal(M.via1.proto, SIP_PROTO_UDP);
	assert_slice(M.via1.host, "192.0.2.2");
	assert_slice(M.via1.branch, "390skdjuw");
	assert_int_equal(sip_msg_via(&M, 1, &v), 0);
	assert_int_equal(v.proto, SIP_PROTO_TCP);
	assert_slice(v.host, "spindle.example.com");
	assert_slice(v.branch, "z9hG4bK9ikj8");
	assert_int_equal(sip_msg_via(&M, 2, &v), 0);
	assert_int_equal(v.proto, SIP_PROTO_UDP);
	assert_slice(v.host, "192.168.255.111");
	assert_slice(v.branch, "z9hG4bK30239");
	assert_int_equal(sip_msg_via(&M, 3, &v), -ENOENT);
	/* Subject in compact form with an empty value */
	h = sip_msg_hdr(&M, SIP_HDR_SUBJECT);
	assert_non_null(h);
	assert_slice(h->name, "s");
	assert_int_equal(h->value.len, 0);
	/* folded unknown header keeps its continuation */
	h = sip_msg_hdr_by_name(&M, "newfangledheader");
	assert_non_null(h);
	assert_int_equal(h->type, SIP_HDR_OTHER);
	assert_slice(h->value, "newfangled value\r\n continued newfangled value");
	h = sip_msg_hdr_by_name(&M, "UnknownHeaderWithUnusualValue");
	assert_slice(h->value, ";;,,;;,;");
	/* Route with lr among unknown params */
	assert_int_equal(sip_msg_route_next(&M, SIP_HDR_ROUTE, &it, &na, &u), 1);
	assert_true(u.lr);
	assert_slice(u.host, "services.example.com");
	assert_int_equal(sip_msg_route_next(&M, SIP_HDR_ROUTE, &it, &na, &u), 0);
	/* m: quoted display name with escaped quotes, params split by folding */
	memset(&it, 0, sizeof(it));
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 1);
	assert_slice(c.na.display, "Quoted string \\\"\\\"");
	assert_slice(c.na.uri, "sip:jdrosen@example.com");
	assert_int_equal(c.q, 330);
	assert_int_equal(c.expires, -1);
	assert_int_equal(sip_param_get(c.na.params, "newparam", &na.uri), 1);
	assert_slice(na.uri, "newvalue");
	assert_int_equal(sip_param_get(c.na.params, "secondparam", &na.uri), 1);
	assert_absent(na.uri);
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 0);
}

static void
check_intmeth(void)
{
	assert_int_equal(M.method, SIP_METHOD_UNKNOWN);
	assert_slice(M.method_str, "!interesting-Method0123456789_*+`.%indeed'~");
	assert_int_equal(M.ruri_u.scheme, SIP_SCHEME_SIP);
	assert_slice(M.ruri_u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	assert_slice(M.ruri_u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
	assert_slice(M.ruri_u.host, "example.com");
	assert_slice(M.via1.branch, "z9hG4bK-.!%66*_+`'~");
	assert_int_equal(M.via1.proto, SIP_PROTO_TCP);
	assert_int_equal(M.to.display.len, 20);		/* BEL:\^G NUL:\^@ DEL:\^? */
	assert_int_equal(M.to.display.s[12], '\0');
	assert_slice(M.to.uri, "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com");
	assert_slice(M.from.display, "token1~` token2'+_ token3*%!.-");
	assert_slice(M.from.tag, "_token~1'+`*%!-.");
	assert_slice(M.call_id, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
	assert_int_equal(M.cseq, 139122385);
	assert_slice(M.cseq_method_str, "!interesting-Method0123456789_*+`.%indeed'~");
	assert_int_equal(M.max_forwards, 255);
	assert_non_null(sip_msg_hdr_by_name(&M, "extensionHeader-!.%*+_`'~"));
	assert_int_equal(M.body.len, 0);
}

static void
check_esc01(void)
{
	struct sip_iter it = { 0 };
	struct sip_contact c;
	struct sip_uri u, u2;
	char buf[128];
	int n;

	assert_slice(M.ruri_u.user, "sips%3Auser%40example.com");
	n = sip_unescape(M.ruri_u.user, buf, sizeof(buf));
	assert_int_equal(n, 21);
	assert_memory_equal(buf, "sips:user@example.com", 21);
	assert_slice(M.ruri_u.host, "example.net");
	/* To: sip:%75se%72@example.com is user@example.com */
	assert_int_equal(sip_uri_parse(M.to.uri, &u), 0);
	assert_int_equal(sip_uri_aor(&u, buf, sizeof(buf)), 16);
	assert_string_equal(buf, "user@example.com");
	assert_int_equal(sip_uri_parse(SIP_STR("sip:user@EXAMPLE.com"), &u2), 0);
	assert_true(sip_uri_eq(&u, &u2));
	assert_int_equal(sip_uri_parse(M.from.uri, &u), 0);
	n = sip_unescape(u.user, buf, sizeof(buf));
	assert_int_equal(n, 13);
	assert_memory_equal(buf, "I have spaces", 13);
	assert_int_equal(sip_uri_aor(&u, buf, sizeof(buf)), 29);
	assert_string_equal(buf, "I%20have%20spaces@example.net");
	assert_slice(M.call_id, "esc01.239409asdfakjkn23onasd0-3234");
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 1);
	assert_int_equal(sip_uri_parse(c.na.uri, &u), 0);
	assert_int_equal(sip_uri_aor(&u, buf, sizeof(buf)), 24);
	assert_string_equal(buf, "caller@host5.example.net");
	assert_slice(u.params, ";%6C%72;n%61me=v%61lue%25%34%31");
	assert_true(u.lr);		/* %6C%72 is lr */
	assert_int_equal(sip_uri_parse(SIP_STR("sip:caller@host5.example.net;lr;name=value%2541"),
				       &u2), 0);
	assert_true(sip_uri_eq(&u, &u2));
	assert_int_equal(M.body.len, 150);
}

static void
check_escnull(void)
{
	struct sip_iter it = { 0 };
	struct sip_contact c;
	struct sip_uri u;
	char buf[64];

	assert_int_equal(M.method, SIP_METHOD_REGISTER);
	assert_int_equal(sip_uri_parse(M.to.uri, &u), 0);
	assert_int_equal(sip_unescape(u.user, buf, sizeof(buf)), 11);
	assert_memory_equal(buf, "null-\0-null", 11);
	/* the AOR keeps the NUL escaped: not shortened, still a C string */
	assert_int_equal(sip_uri_aor(&u, buf, sizeof(buf)), 25);
	assert_string_equal(buf, "null-%00-null@example.com");
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 1);
	assert_int_equal(sip_uri_parse(c.na.uri, &u), 0);
	assert_int_equal(sip_unescape(u.user, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 0);
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 1);
	assert_int_equal(sip_uri_parse(c.na.uri, &u), 0);
	assert_int_equal(sip_unescape(u.user, buf, sizeof(buf)), 2);
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 0);
	assert_int_equal(M.content_length, 0);
}

static void
check_esc02(void)
{
	struct sip_iter it = { 0 };
	struct sip_contact c;

	assert_int_equal(M.method, SIP_METHOD_UNKNOWN);
	assert_slice(M.method_str, "RE%47IST%45R");
	assert_slice(M.cseq_method_str, "RE%47IST%45R");
	assert_slice(M.to.display, "%Z%45");
	assert_slice(M.via1.branch, "z9hG4bK209%fzsnel234");
	/* "C%6Fntact" is not Contact: two contacts, and an unknown header */
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 1);
	assert_slice(c.na.uri, "sip:alias1@host1.example.com");
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 1);
	assert_slice(c.na.uri, "sip:alias3@host3.example.com");
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 0);
	assert_non_null(sip_msg_hdr_by_name(&M, "C%6Fntact"));
	assert_int_equal(M.count[SIP_HDR_CONTACT], 2);
}

static void
check_lwsdisp(void)
{
	assert_slice(M.from.display, "caller");
	assert_slice(M.from.uri, "sip:caller@example.com");
	assert_slice(M.from.tag, "323");
	assert_int_equal(M.method, SIP_METHOD_OPTIONS);
}

static void
check_longreq(void)
{
	struct sip_uri u;
	struct sip_via v;

	assert_int_equal(M.nvia, 34);
	assert_slice(M.via1.host, "sip33.example.com");
	assert_int_equal(sip_msg_via(&M, 33, &v), 0);
	assert_slice(v.host, "host.example.com");
	assert_slice(v.received, "192.0.2.5");
	assert_slice(M.to.display, "I have a user name of extremeextremeextremeextremeextreme"
		     "extremeextremeextremeextremeextreme proportion");
	assert_int_equal(sip_uri_parse(M.to.uri, &u), 0);
	assert_int_equal(u.port, 6000);
	assert_int_equal(M.from.tag.len, 155);
	assert_memory_equal(M.from.tag.s + 150, "82424", 5);
	assert_slice(M.call_id, "longreq.onereallyreallyreallyreallyreallyreallyreallyreallyreally"
		     "reallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallylongcallid");
	assert_int_equal(M.cseq, 3882340);
	assert_int_equal(M.body.len, 150);
}

static void
check_dblreq(void)
{
	/* one datagram, two messages: the REGISTER, the rest ignored (§18.3) */
	assert_int_equal(M.method, SIP_METHOD_REGISTER);
	assert_slice(M.call_id, "dblreq.0ha0isndaksdj99sdfafnl3lk233412");
	assert_int_equal(M.body.len, 0);
	assert_true(M.trailing > 0);
	assert_memory_equal(M.buf + M.len, "\r\nINVITE", 8);
}

static void
check_semiuri(void)
{
	char buf[64];

	assert_slice(M.ruri_u.user, "user;par=u%40example.net");
	assert_slice(M.ruri_u.host, "example.com");
	assert_int_equal(M.ruri_u.params.len, 0);
	assert_int_equal(sip_uri_aor(&M.ruri_u, buf, sizeof(buf)), 36);
	assert_string_equal(buf, "user;par=u%40example.net@example.com");
	assert_true(sip_msg_has_token(&M, SIP_HDR_ACCEPT, "message/sipfrag"));
	assert_true(sip_msg_has_token(&M, SIP_HDR_ACCEPT, "multipart/signed"));
	assert_false(sip_msg_has_token(&M, SIP_HDR_ACCEPT, "text/plain"));
}

static void
check_transports(void)
{
	static const enum sip_proto want[] = {
		SIP_PROTO_UDP, SIP_PROTO_SCTP, SIP_PROTO_TLS, SIP_PROTO_OTHER, SIP_PROTO_TCP,
	};
	struct sip_iter it = { 0 };
	struct sip_via v;
	int i = 0;

	assert_slice(M.call_id, "transports.kijh4akdnaqjkwendsasfdj");
	while (sip_msg_via_next(&M, &it, &v) == 1) {
		assert_true(i < 5);
		assert_int_equal(v.proto, want[i]);
		assert_int_equal(v.hdr, M.first[SIP_HDR_VIA] + i);
		i++;
	}
	assert_int_equal(i, 5);
	assert_int_equal(sip_msg_via(&M, 3, &v), 0);
	assert_slice(v.transport, "UNKNOWN");
	assert_slice(v.host, "t4.example.com");
}

static void
check_mpart01(void)
{
	struct sip_ctype ct;
	struct sip_str b;

	assert_int_equal(M.method, SIP_METHOD_MESSAGE);
	assert_int_equal(sip_msg_ctype(&M, &ct), 0);
	assert_slice(ct.type, "multipart");
	assert_slice(ct.subtype, "mixed");
	assert_int_equal(sip_param_get(ct.params, "boundary", &b), 1);
	assert_slice(b, "7a9cbec02ceef655");
	assert_int_equal(M.body.len, 553);
	assert_int_equal(M.content_length, 553);
	assert_true(M.via1.rport);
	assert_int_equal(M.via1.rport_val, 0);
	assert_int_equal(M.via1.port, 5070);
	assert_slice(M.via1.host, "127.0.0.1");
	assert_int_equal(M.via1.host_type, SIP_HOST_IPV4);
}

static void
check_unreason(void)
{
	assert_false(M.is_request);
	assert_int_equal(M.status, 200);
	assert_true(M.reason.len > 20);
	assert_memory_equal(M.reason.s, "= 2**3 * 5**2 ", 14);
	assert_slice(M.call_id, "unreason.1234ksdfak3j2erwedfsASdf");
	assert_slice(M.to.tag, "2229");
	assert_int_equal(M.cseq_method, SIP_METHOD_INVITE);
	assert_int_equal(M.body.len, 154);
}

static void
check_noreason(void)
{
	assert_false(M.is_request);
	assert_int_equal(M.status, 100);
	assert_int_equal(M.reason.len, 0);
	assert_slice(M.to.tag, "902jndnke3");
	assert_slice(M.via1.branch, "z9hG4bK2398ndaoe");
}

/* ---- transaction layer, backward compatibility ------------------------ */

static void
check_badbranch(void)
{
	assert_slice(M.via1.branch, "z9hG4bK");
	assert_slice(M.call_id, "badbranch.sadonfo23i420jv0as0derf3j3n");
}

static void
check_inv2543(void)
{
	struct sip_iter it = { 0 };
	struct sip_nameaddr na;
	struct sip_uri u;

	assert_absent(M.via1.branch);
	assert_int_equal(M.max_forwards, -1);
	assert_int_equal(M.content_length, -1);
	assert_true(M.body.len > 0);
	assert_memory_equal(M.body.s, "v=0\r\n", 5);
	assert_int_equal(sip_msg_route_next(&M, SIP_HDR_RECORD_ROUTE, &it, &na, &u), 1);
	assert_slice(u.maddr, "ss1.example.com");
	assert_false(u.lr);
	/* From is a name-addr: user=phone is a URI parameter ... */
	assert_int_equal(sip_uri_parse(M.from.uri, &u), 0);
	assert_slice(u.user_param, "phone");
	assert_absent(M.from.tag);
	/* ... To is an addr-spec: the same text is a header parameter (§20.10) */
	assert_int_equal(sip_uri_parse(M.to.uri, &u), 0);
	assert_absent(u.user_param);
	assert_int_equal(sip_param_get(M.to.params, "user", &na.uri), 1);
	assert_slice(na.uri, "phone");
}

/* ---- application layer (RFC 4475 §3.3): parsed, decided by the proxy --- */

static void
check_unkscm(void)
{
	assert_int_equal(M.ruri_u.scheme, SIP_SCHEME_OTHER);
	assert_slice(M.ruri_u.scheme_str, "nobodyKnowsThisScheme");
	assert_slice(M.ruri_u.opaque, "totallyopaquecontent");
}

static void
check_novelsc(void)
{
	assert_int_equal(M.ruri_u.scheme, SIP_SCHEME_OTHER);
	assert_slice(M.ruri_u.scheme_str, "soap.beep");
}

static void
check_unksm2(void)
{
	struct sip_iter it = { 0 };
	struct sip_contact c;
	struct sip_uri u;

	assert_int_equal(sip_uri_parse(M.to.uri, &u), 0);
	assert_int_equal(u.scheme, SIP_SCHEME_OTHER);
	assert_slice(u.scheme_str, "isbn");
	assert_int_equal(sip_uri_parse(M.from.uri, &u), 0);
	assert_slice(u.scheme_str, "http");
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 1);
	assert_slice(c.na.uri, "name:John_Smith");
}

static void
check_bext01(void)
{
	struct sip_iter it = { 0 };
	struct sip_str tok;

	assert_true(sip_msg_has_token(&M, SIP_HDR_PROXY_REQUIRE, "noProxiesSupportThis"));
	assert_true(sip_msg_has_token(&M, SIP_HDR_PROXY_REQUIRE, "norDoAnyProxiesSupportThis"));
	assert_true(sip_msg_has_token(&M, SIP_HDR_REQUIRE, "nothingsupportsthiseither"));
	assert_false(sip_msg_has_token(&M, SIP_HDR_SUPPORTED, "nothingSupportsThis"));
	assert_int_equal(sip_msg_token_next(&M, SIP_HDR_PROXY_REQUIRE, &it, &tok), 1);
	assert_slice(tok, "noProxiesSupportThis");
	assert_int_equal(sip_msg_token_next(&M, SIP_HDR_PROXY_REQUIRE, &it, &tok), 1);
	assert_int_equal(sip_msg_token_next(&M, SIP_HDR_PROXY_REQUIRE, &it, &tok), 0);
	assert_int_equal(M.via1.proto, SIP_PROTO_TLS);
}

static void
check_invut(void)
{
	struct sip_ctype ct;

	assert_int_equal(sip_msg_ctype(&M, &ct), 0);
	assert_slice(ct.subtype, "unknownformat");
	assert_int_equal(M.body.len, 40);
}

static void
check_regaut01(void)
{
	const struct sip_hdr *h = sip_msg_hdr(&M, SIP_HDR_AUTHORIZATION);

	assert_non_null(h);
	assert_slice(h->value, "NoOneKnowsThisScheme opaque-data=here");
	assert_int_equal(M.content_length, 0);
}

static void
check_bcast(void)
{
	struct sip_via v;

	assert_int_equal(M.status, 200);
	assert_int_equal(M.nvia, 2);
	assert_int_equal(sip_msg_via(&M, 1, &v), 0);
	assert_slice(v.host, "255.255.255.255");
	assert_int_equal(v.host_type, SIP_HOST_IPV4);
}

static void
check_zeromf(void)
{
	assert_int_equal(M.max_forwards, 0);	/* the proxy owes a 483 */
}

static void
check_cparam01(void)
{
	struct sip_iter it = { 0 };
	struct sip_contact c;
	struct sip_uri u;

	/* addr-spec form: ";unknownparam" is a header parameter */
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 1);
	assert_slice(c.na.uri, "sip:+19725552222@gw1.example.net");
	assert_slice(c.na.params, ";unknownparam");
	assert_int_equal(sip_uri_parse(c.na.uri, &u), 0);
	assert_int_equal(u.params.len, 0);
}

static void
check_cparam02(void)
{
	struct sip_iter it = { 0 };
	struct sip_contact c;
	struct sip_uri u;

	/* name-addr form: ";unknownparam" is a URI parameter */
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 1);
	assert_slice(c.na.uri, "sip:+19725552222@gw1.example.net;unknownparam");
	assert_int_equal(c.na.params.len, 0);
	assert_int_equal(sip_uri_parse(c.na.uri, &u), 0);
	assert_slice(u.params, ";unknownparam");
	assert_slice(u.user, "+19725552222");
}

static void
check_regescrt(void)
{
	struct sip_iter it = { 0 };
	struct sip_contact c;
	struct sip_uri u;

	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 1);
	assert_int_equal(sip_uri_parse(c.na.uri, &u), 0);
	assert_slice(u.headers, "Route=%3Csip:sip.example.com%3E");
}

static void
check_sdp01(void)
{
	assert_true(sip_msg_has_token(&M, SIP_HDR_ACCEPT, "text/nobodyKnowsThis"));
	assert_int_equal(M.body.len, 150);
}

static void
check_insuf(void)
{
	assert_int_equal(M.first[SIP_HDR_TO], -1);
	assert_int_equal(M.first[SIP_HDR_FROM], -1);
	assert_int_equal(M.first[SIP_HDR_CALL_ID], -1);
	assert_int_equal(M.max_forwards, -1);
}

/* ---- the table -------------------------------------------------------- */

enum group { VALID, INVALID, TXN, APP, COMPAT };

struct tcase {
	const char	*name;
	enum group	 group;
	int		 code;		/* INVALID / APP: expected status; 0 = accepted */
	const char	*reason;	/* substring of err.reason */
	bool		 check_fails;	/* sip_msg_check_request() gives `code` */
	void		(*check)(void);
};

static const struct tcase cases[] = {
	{ "wsinv",	VALID,	 0, NULL, false, check_wsinv },
	{ "intmeth",	VALID,	 0, NULL, false, check_intmeth },
	{ "esc01",	VALID,	 0, NULL, false, check_esc01 },
	{ "escnull",	VALID,	 0, NULL, false, check_escnull },
	{ "esc02",	VALID,	 0, NULL, false, check_esc02 },
	{ "lwsdisp",	VALID,	 0, NULL, false, check_lwsdisp },
	{ "longreq",	VALID,	 0, NULL, false, check_longreq },
	{ "dblreq",	VALID,	 0, NULL, false, check_dblreq },
	{ "semiuri",	VALID,	 0, NULL, false, check_semiuri },
	{ "transports",	VALID,	 0, NULL, false, check_transports },
	{ "mpart01",	VALID,	 0, NULL, false, check_mpart01 },
	{ "unreason",	VALID,	 0, NULL, false, check_unreason },
	{ "noreason",	VALID,	 0, NULL, false, check_noreason },

	{ "badinv01",	INVALID, 400, "Via", false, NULL },
	{ "clerr",	INVALID, 400, "Content-Length", false, NULL },
	{ "ncl",	INVALID, 400, "Content-Length", false, NULL },
	{ "scalar02",	INVALID, 400, "CSeq", false, NULL },
	{ "scalarlg",	INVALID, 400, "CSeq", false, NULL },
	{ "quotbal",	INVALID, 400, "To", false, NULL },
	{ "ltgtruri",	INVALID, 400, "Request-URI", false, NULL },
	{ "lwsruri",	INVALID, 400, "Request-Line", false, NULL },
	{ "lwsstart",	INVALID, 400, "Request-Line", false, NULL },
	{ "trws",	INVALID, 400, "Request-Line", false, NULL },
	{ "escruri",	INVALID, 400, "Request-URI", false, NULL },
	{ "baddate",	INVALID, 400, "Date", false, NULL },
	{ "regbadct",	INVALID, 400, "Contact", false, NULL },
	{ "badaspec",	INVALID, 400, "To", false, NULL },
	{ "baddn",	INVALID, 400, "From", false, NULL },
	{ "badvers",	INVALID, 505, "Version", false, NULL },
	{ "mismatch01",	INVALID, 400, "CSeq Method", false, NULL },
	{ "mismatch02",	INVALID, 400, "CSeq Method", false, NULL },
	{ "bigcode",	INVALID, 400, "Status Code", false, NULL },

	{ "badbranch",	TXN,	 0, NULL, false, check_badbranch },

	{ "insuf",	APP,	 400, "Missing", true, check_insuf },
	{ "unkscm",	APP,	 0, NULL, false, check_unkscm },
	{ "novelsc",	APP,	 0, NULL, false, check_novelsc },
	{ "unksm2",	APP,	 0, NULL, false, check_unksm2 },
	{ "bext01",	APP,	 0, NULL, false, check_bext01 },
	{ "invut",	APP,	 0, NULL, false, check_invut },
	{ "regaut01",	APP,	 0, NULL, false, check_regaut01 },
	{ "multi01",	APP,	 400, "Duplicate", false, NULL },
	{ "mcl01",	APP,	 400, "Duplicate Content-Length", false, NULL },
	{ "bcast",	APP,	 0, NULL, false, check_bcast },
	{ "zeromf",	APP,	 0, NULL, false, check_zeromf },
	{ "cparam01",	APP,	 0, NULL, false, check_cparam01 },
	{ "cparam02",	APP,	 0, NULL, false, check_cparam02 },
	{ "regescrt",	APP,	 0, NULL, false, check_regescrt },
	{ "sdp01",	APP,	 0, NULL, false, check_sdp01 },

	{ "inv2543",	COMPAT,	 0, NULL, false, check_inv2543 },
};
#define NCASES	(int)(sizeof(cases) / sizeof(cases[0]))

static void
run_case(const struct tcase *c)
{
	struct sip_err err;
	size_t n = load(c->name);
	int rc = sip_msg_parse(&M, msgbuf, n, &err);

	if (c->code && !c->check_fails) {
		if (rc == 0)
			fail_msg("%s: accepted, expected %d", c->name, c->code);
		assert_int_equal(rc, c->code == 505 ? -EPROTONOSUPPORT : -EBADMSG);
		assert_int_equal(err.code, c->code);
		assert_non_null(err.reason);
		if (!strstr(err.reason, c->reason))
			fail_msg("%s: reason \"%s\" lacks \"%s\"", c->name, err.reason, c->reason);
		/* every rejected request can be answered (responses: dropped) */
		if (err.can_reply != M.is_request)
			fail_msg("%s: can_reply %d for a %s", c->name, err.can_reply,
				 M.is_request ? "request" : "response");
		return;
	}
	if (rc)
		fail_msg("%s: rejected %d (%d %s)", c->name, rc, err.code, err.reason);
	if (M.is_request) {
		rc = sip_msg_check_request(&M, &err);
		if (c->check_fails) {
			assert_int_equal(rc, -EBADMSG);
			assert_int_equal(err.code, c->code);
			if (!strstr(err.reason, c->reason))
				fail_msg("%s: reason \"%s\" lacks \"%s\"", c->name, err.reason,
					 c->reason);
		} else if (rc) {
			fail_msg("%s: check_request %d (%s)", c->name, rc, err.reason);
		}
	}
	if (c->check)
		c->check();
}

static void
run_group(enum group g)
{
	int i, n = 0;

	for (i = 0; i < NCASES; i++) {
		if (cases[i].group != g)
			continue;
		print_message("  %s\n", cases[i].name);
		run_case(&cases[i]);
		n++;
	}
	assert_true(n > 0);
}

static void test_torture_valid(void **s)	{ (void)s; run_group(VALID); }
static void test_torture_invalid(void **s)	{ (void)s; run_group(INVALID); }
static void test_torture_txn(void **s)		{ (void)s; run_group(TXN); }
static void test_torture_app(void **s)		{ (void)s; run_group(APP); }
static void test_torture_compat(void **s)	{ (void)s; run_group(COMPAT); }

/* Every file of the corpus is in the table, and every row has its file. */
static void
test_torture_complete(void **state)
{
	const char *dir = torture_dir();
	struct dirent *de;
	DIR *d = opendir(dir);
	int files = 0, i;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		bool known = false;

		if (l < 5 || strcmp(de->d_name + l - 4, ".dat"))
			continue;
		files++;
		for (i = 0; i < NCASES; i++)
			if (strlen(cases[i].name) == l - 4 &&
			    !strncmp(cases[i].name, de->d_name, l - 4))
				known = true;
		if (!known)
			fail_msg("%s/%s is not judged by this test", dir, de->d_name);
	}
	closedir(d);
	assert_int_equal(files, NCASES);
	assert_int_equal(files, 49);
}

/* ---- hand-written cases ----------------------------------------------- */

static int
parse_str(const char *s, struct sip_err *err)
{
	size_t n = strlen(s);

	memcpy(msgbuf, s, n);
	return sip_msg_parse(&M, msgbuf, n, err);
}

#define REQ_HEAD							\
	"OPTIONS sip:bob@example.com SIP/2.0\r\n"				\
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"		\
	"From: <sip:alice@example.com>;tag=a1\r\n"				\
	"To: <sip:bob@example.com>\r\n"						\
	"Call-ID: c1@192.0.2.1\r\n"						\
	"CSeq: 1 OPTIONS\r\n"

static void
test_compact_forms(void **state)
{
	static const struct { const char *n; enum sip_hdr_type t; } tab[] = {
		{ "i", SIP_HDR_CALL_ID }, { "m", SIP_HDR_CONTACT }, { "e", SIP_HDR_CONTENT_ENCODING },
		{ "l", SIP_HDR_CONTENT_LENGTH }, { "c", SIP_HDR_CONTENT_TYPE }, { "f", SIP_HDR_FROM },
		{ "s", SIP_HDR_SUBJECT }, { "k", SIP_HDR_SUPPORTED }, { "t", SIP_HDR_TO },
		{ "v", SIP_HDR_VIA }, { "o", SIP_HDR_EVENT }, { "u", SIP_HDR_ALLOW_EVENTS },
		{ "r", SIP_HDR_REFER_TO }, { "b", SIP_HDR_REFERRED_BY },
		{ "x", SIP_HDR_SESSION_EXPIRES }, { "y", SIP_HDR_IDENTITY },
		{ "a", SIP_HDR_ACCEPT_CONTACT }, { "j", SIP_HDR_REJECT_CONTACT },
		{ "d", SIP_HDR_REQUEST_DISPOSITION }, { "V", SIP_HDR_VIA },
		{ "cseq", SIP_HDR_CSEQ }, { "MAX-FORWARDS", SIP_HDR_MAX_FORWARDS },
		{ "record-route", SIP_HDR_RECORD_ROUTE }, { "z", SIP_HDR_OTHER },
		{ "X-Foo", SIP_HDR_OTHER },
	};
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
		struct sip_str n = sip_str_mk(tab[k].n, (int)strlen(tab[k].n));

		assert_int_equal(sip_hdr_type_from_name(n), tab[k].t);
	}
	assert_string_equal(sip_hdr_name(SIP_HDR_CALL_ID), "Call-ID");
	assert_string_equal(sip_method_name(SIP_METHOD_CANCEL), "CANCEL");
	assert_int_equal(sip_method_from_str(SIP_STR("invite")), SIP_METHOD_UNKNOWN);
	assert_int_equal(sip_method_from_str(SIP_STR("BYE")), SIP_METHOD_BYE);
}

static void
test_lf_only_and_leading_crlf(void **state)
{
	struct sip_err err;
	const char *msg =
		"\r\n\r\nINVITE sip:bob@example.com SIP/2.0\n"
		"v: SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bKx;received=2001:db8::9;rport=5062;ttl=16\n"
		"f: \"A\" <sip:alice@[2001:db8::1]:5061;transport=tcp>;tag=x\n"
		"t: sip:bob@example.com\n"
		"i: lf@x\n"
		"CSeq: 2 INVITE\n"
		"Max-Forwards: 70\n"
		"c: application/sdp\n"
		"l: 4\n"
		"\n"
		"v=0\n";
	struct sip_uri u;

	(void)state;
	assert_int_equal(parse_str(msg, &err), 0);
	assert_int_equal(M.method, SIP_METHOD_INVITE);
	assert_int_equal(M.via1.proto, SIP_PROTO_TCP);
	assert_int_equal(M.via1.host_type, SIP_HOST_IPV6);
	assert_slice(M.via1.host, "[2001:db8::1]");
	assert_int_equal(M.via1.port, 5061);
	assert_slice(M.via1.received, "2001:db8::9");
	assert_true(M.via1.rport);
	assert_int_equal(M.via1.rport_val, 5062);
	assert_int_equal(M.via1.ttl, 16);
	assert_int_equal(sip_uri_parse(M.from.uri, &u), 0);
	assert_int_equal(u.host_type, SIP_HOST_IPV6);
	assert_slice(u.host, "[2001:db8::1]");
	assert_int_equal(u.port, 5061);
	assert_slice(u.transport, "tcp");
	assert_slice(M.body, "v=0\n");
	assert_int_equal(M.trailing, 0);
}

static void
test_limits(void **state)
{
	static char big[SIP_MAX_MSG_SIZE + 16];
	struct sip_err err;
	size_t n;
	int i;

	(void)state;
	/* 128 headers parse, 129 do not */
	for (int extra = 123; extra <= 124; extra++) {
		n = (size_t)snprintf(big, sizeof(big), "%s", REQ_HEAD);
		for (i = 0; i < extra; i++)
			n += (size_t)snprintf(big + n, sizeof(big) - n, "X-H%d: v\r\n", i);
		n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
		memcpy(msgbuf, big, n);
		i = sip_msg_parse(&M, msgbuf, n, &err);
		if (extra == 123) {
			assert_int_equal(i, 0);
			assert_int_equal(M.nhdrs, SIP_MAX_HEADERS);
		} else {
			assert_int_equal(i, -EBADMSG);
			assert_int_equal(err.kind, SIP_E_TOO_MANY_HDRS);
			assert_string_equal(err.reason, "Too Many Headers (max 128)");
			assert_true(err.can_reply);
		}
	}
	/* over 65535 bytes: 513 Message Too Large (RFC 3261 §21.5.11) */
	memset(big, 'a', sizeof(big));
	assert_int_equal(sip_msg_parse(&M, big, SIP_MAX_MSG_SIZE + 1, &err), -EMSGSIZE);
	assert_int_equal(err.code, 513);
	/* headers whose Content-Length makes the message too large: 513, answerable */
	assert_int_equal(parse_str("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\n"
				   "From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\n"
				   "CSeq: 1 INVITE\r\nContent-Length: 70000\r\n\r\nv=0\r\n", &err),
			 -EMSGSIZE);
	assert_int_equal(err.code, 513);
	assert_string_equal(err.reason, "Message Too Large");
	assert_true(err.can_reply);
	/* a short body under the limit is still a bad Content-Length: 400 */
	assert_int_equal(parse_str("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\n"
				   "From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\n"
				   "CSeq: 1 INVITE\r\nContent-Length: 700\r\n\r\nv=0\r\n", &err),
			 -EBADMSG);
	assert_int_equal(err.code, 400);
	/* no end of headers */
	assert_int_equal(parse_str("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP", &err), -EBADMSG);
	assert_int_equal(err.kind, SIP_E_NO_END);
	assert_int_equal(parse_str("", &err), -EBADMSG);
}

static void
test_scalars(void **state)
{
	struct sip_err err;
	char msg[1024];

	(void)state;
	snprintf(msg, sizeof(msg), "%sMax-Forwards: 256\r\n\r\n", REQ_HEAD);
	assert_int_equal(parse_str(msg, &err), -EBADMSG);
	assert_int_equal(err.kind, SIP_E_MAX_FORWARDS);
	snprintf(msg, sizeof(msg), "%sMax-Forwards: 255\r\nExpires: 99999999999999\r\n\r\n",
		 REQ_HEAD);
	assert_int_equal(parse_str(msg, &err), 0);
	assert_int_equal(M.max_forwards, 255);
	assert_int_equal(M.expires, INT_MAX);
	/* CSeq: 2^31 - 1 is the largest */
	assert_int_equal(parse_str("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n"
				   "CSeq: 2147483647 OPTIONS\r\n\r\n", &err), 0);
	assert_int_equal(M.cseq, 2147483647u);
	assert_int_equal(parse_str("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n"
				   "CSeq: 2147483648 OPTIONS\r\n\r\n", &err), -EBADMSG);
	assert_string_equal(err.reason, "Bad CSeq Header");
	assert_int_equal(parse_str("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n"
				   "CSeq: 1OPTIONS\r\n\r\n", &err), -EBADMSG);
	/* Content-Length: shorter body is an error, longer is cut */
	snprintf(msg, sizeof(msg), "%sContent-Length: 5\r\n\r\nabc", REQ_HEAD);
	assert_int_equal(parse_str(msg, &err), -EBADMSG);
	assert_string_equal(err.reason, "Bad Content-Length");
	snprintf(msg, sizeof(msg), "%sContent-Length: 2\r\n\r\nabc", REQ_HEAD);
	assert_int_equal(parse_str(msg, &err), 0);
	assert_slice(M.body, "ab");
	assert_int_equal(M.trailing, 1);
	snprintf(msg, sizeof(msg), "%sContent-Length: 99999999999\r\n\r\nabc", REQ_HEAD);
	assert_int_equal(parse_str(msg, &err), -EBADMSG);
	/* Date */
	snprintf(msg, sizeof(msg), "%sDate: Sat, 13 Nov 2010 23:29:00 GMT\r\n\r\n", REQ_HEAD);
	assert_int_equal(parse_str(msg, &err), 0);
	/* status line */
	assert_int_equal(parse_str("SIP/2.0 99 Low\r\nVia: SIP/2.0/UDP h\r\n\r\n", &err), -EBADMSG);
	assert_int_equal(parse_str("SIP/2.0 700 High\r\nVia: SIP/2.0/UDP h\r\n\r\n", &err), -EBADMSG);
	assert_int_equal(parse_str("SIP/2.0 180\r\nVia: SIP/2.0/UDP h\r\n\r\n", &err), 0);
	assert_int_equal(M.status, 180);
	assert_int_equal(parse_str("SIP/3.0 180 R\r\nVia: SIP/2.0/UDP h\r\n\r\n", &err),
			 -EPROTONOSUPPORT);
	assert_false(err.can_reply);
	assert_int_equal(parse_str("SIP/2.0x 180 R\r\nVia: SIP/2.0/UDP h\r\n\r\n", &err), -EBADMSG);
}

static void
test_contacts(void **state)
{
	struct sip_iter it = { 0 };
	struct sip_contact c;
	struct sip_err err;
	char msg[1024];

	(void)state;
	snprintf(msg, sizeof(msg), "%sContact: <sip:a@h1>;q=1.0;expires=60, \"B, C\" <sip:b@h2;lr>"
		 ";q=0.5\r\nm: sip:c@h3;expires=0\r\n\r\n", REQ_HEAD);
	assert_int_equal(parse_str(msg, &err), 0);
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 1);
	assert_int_equal(c.q, 1000);
	assert_int_equal(c.expires, 60);
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 1);
	assert_slice(c.na.display, "B, C");
	assert_slice(c.na.uri, "sip:b@h2;lr");
	assert_int_equal(c.q, 500);
	assert_int_equal(c.expires, -1);
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 1);
	assert_slice(c.na.uri, "sip:c@h3");
	assert_int_equal(c.expires, 0);
	assert_int_equal(c.hdr, M.nhdrs - 1);
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 0);

	snprintf(msg, sizeof(msg), "%sContact: *\r\nExpires: 0\r\n\r\n", REQ_HEAD);
	assert_int_equal(parse_str(msg, &err), 0);
	memset(&it, 0, sizeof(it));
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 1);
	assert_true(c.star);
	assert_int_equal(M.expires, 0);

	snprintf(msg, sizeof(msg), "%sContact: <sip:a@h1>;q=1.5\r\n\r\n", REQ_HEAD);
	assert_int_equal(parse_str(msg, &err), -EBADMSG);
	assert_string_equal(err.reason, "Bad Contact Header");
	snprintf(msg, sizeof(msg), "%sContact: <sip:a@h1\r\n\r\n", REQ_HEAD);
	assert_int_equal(parse_str(msg, &err), -EBADMSG);
	snprintf(msg, sizeof(msg), "%sRecord-Route: <sip:p1;lr>, <sip:p2;lr\r\n\r\n", REQ_HEAD);
	assert_int_equal(parse_str(msg, &err), -EBADMSG);
	assert_string_equal(err.reason, "Bad Record-Route Header");
}

static void
test_nameaddr_uri_errors(void **state)
{
	static const char *const bad_na[] = {
		"\"unterminated <sip:a@b>", "<sip:a@b", "sip:a@b?x=y", "< sip:a@b>",
		"Bell, Alexander <sip:a@b>", "<sip:a@b>;tag", "<sip:a@b>;;x", "<>", "",
		"<sip:a@b> junk",
	};
	static const char *const bad_uri[] = {
		"sip:", "sip:@h", "sip:a@", "sip:a@h:0", "sip:a@h:65536", "sip:a@h:x",
		"sip:a@[::1", "sip:a@h;", "sip:a@h?", "sip:a b@h", "sip:a@h%", "sip:%4@h",
		"1sip:a@h", "sip:a@h..com", "sip:a@h<", "nocolon",
	};
	static const char *const good_na[] = {
		"J\xc3\xbcrgen <sip:j@b>;tag=1", "sip:a@b;tag=x", "\"\" <sip:a@b>", "<sip:a@b>",
		"A B  C<sip:a@b> ; x = \"q;,\"",
	};
	static const char *const good_uri[] = {
		"sip:h", "sips:a:pw@h.example.com:5061;transport=tls;lr?subject=x",
		"sip:a@192.0.2.1", "sip:[2001:db8::1]", "tel:+1-201-555-0123", "urn:x:y",
		"sip:a@h.example.com.",
	};
	struct sip_nameaddr na;
	struct sip_uri u;
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(bad_na) / sizeof(bad_na[0]); k++) {
		struct sip_str s = sip_str_mk(bad_na[k], (int)strlen(bad_na[k]));

		if (sip_nameaddr_parse(s, &na) != -EINVAL)
			fail_msg("name-addr accepted: %s", bad_na[k]);
	}
	for (k = 0; k < sizeof(good_na) / sizeof(good_na[0]); k++) {
		struct sip_str s = sip_str_mk(good_na[k], (int)strlen(good_na[k]));

		if (sip_nameaddr_parse(s, &na) != 0)
			fail_msg("name-addr rejected: %s", good_na[k]);
	}
	for (k = 0; k < sizeof(bad_uri) / sizeof(bad_uri[0]); k++) {
		struct sip_str s = sip_str_mk(bad_uri[k], (int)strlen(bad_uri[k]));

		if (sip_uri_parse(s, &u) != -EINVAL)
			fail_msg("URI accepted: %s", bad_uri[k]);
	}
	for (k = 0; k < sizeof(good_uri) / sizeof(good_uri[0]); k++) {
		struct sip_str s = sip_str_mk(good_uri[k], (int)strlen(good_uri[k]));

		if (sip_uri_parse(s, &u) != 0)
			fail_msg("URI rejected: %s", good_uri[k]);
	}
	assert_int_equal(sip_uri_parse(SIP_STR("sips:a:pw@h.example.com:5061;transport=tls;lr?subject=x"),
				       &u), 0);
	assert_int_equal(u.scheme, SIP_SCHEME_SIPS);
	assert_slice(u.password, "pw");
	assert_true(u.lr);
	assert_slice(u.headers, "subject=x");
	assert_int_equal(sip_uri_parse(SIP_STR("tel:+1-201-555-0123"), &u), 0);
	assert_int_equal(u.scheme, SIP_SCHEME_TEL);
	assert_slice(u.opaque, "+1-201-555-0123");
}

/* RFC 3261 §19.1.4's own examples. */
static void
test_uri_compare(void **state)
{
	static const char *const eq[][2] = {
		{ "sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp" },
		{ "sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5" },
		{ "sip:carol@chicago.com", "sip:carol@chicago.com;security=on" },
		{ "sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on" },
		{ "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
		  "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com" },
		{ "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
		  "sip:alice@atlanta.com?priority=urgent&subject=project%20x" },
		{ "sip:a@h;%6C%72", "sip:a@h;lr" },
		{ "sip:a@h;M%61ddr=X", "sip:a@h;maddr=x" },
	};
	static const char *const ne[][2] = {
		{ "SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP" },
		{ "sip:bob@biloxi.com", "sip:bob@biloxi.com:5060" },
		{ "sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp" },
		{ "sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp" },
		{ "sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting" },
		{ "sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4" },
		{ "sip:a@h", "sips:a@h" },
		{ "sip:a@h;maddr=x", "sip:a@h" },
		{ "sip:a@h;user=phone", "sip:a@h;user=ip" },
		{ "sip:a:pw@h", "sip:a@h" },
		{ "sip:a@h;%6Daddr=x", "sip:a@h" },
		{ "sip:a@h;x=1", "sip:a@h;X=2" },
	};
	struct sip_uri a, b;
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(eq) / sizeof(eq[0]); k++) {
		assert_int_equal(sip_uri_parse(sip_str_mk(eq[k][0], (int)strlen(eq[k][0])), &a), 0);
		assert_int_equal(sip_uri_parse(sip_str_mk(eq[k][1], (int)strlen(eq[k][1])), &b), 0);
		if (!sip_uri_eq(&a, &b) || !sip_uri_eq(&b, &a))
			fail_msg("should be equal: %s / %s", eq[k][0], eq[k][1]);
	}
	for (k = 0; k < sizeof(ne) / sizeof(ne[0]); k++) {
		assert_int_equal(sip_uri_parse(sip_str_mk(ne[k][0], (int)strlen(ne[k][0])), &a), 0);
		assert_int_equal(sip_uri_parse(sip_str_mk(ne[k][1], (int)strlen(ne[k][1])), &b), 0);
		if (sip_uri_eq(&a, &b) || sip_uri_eq(&b, &a))
			fail_msg("should differ: %s / %s", ne[k][0], ne[k][1]);
	}
}

static void
test_aor_unescape(void **state)
{
	struct sip_uri u;
	char buf[64];

	(void)state;
	assert_int_equal(sip_uri_parse(SIP_STR("sip:%75se%72@EXAMPLE.COM:5060;transport=tcp"), &u), 0);
	assert_int_equal(sip_uri_aor(&u, buf, sizeof(buf)), 16);
	assert_string_equal(buf, "user@example.com");
	assert_int_equal(sip_uri_aor(&u, buf, 16), -ENOSPC);
	assert_int_equal(sip_uri_parse(SIP_STR("sip:Example.COM"), &u), 0);
	assert_int_equal(sip_uri_aor(&u, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "example.com");
	assert_int_equal(sip_uri_parse(SIP_STR("tel:+123"), &u), 0);
	assert_int_equal(sip_uri_aor(&u, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sip_unescape(SIP_STR("a%4"), buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sip_unescape(SIP_STR("a%zz"), buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sip_unescape(SIP_STR("abc"), buf, 2), -ENOSPC);
	assert_int_equal(sip_unescape(SIP_STR("%41%62c"), buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "Abc", 3);
}

static void
test_params(void **state)
{
	struct sip_str p = SIP_STR(" ; a = 1 ;b;C=\"x;y\"");
	struct sip_str n, v;
	int pos = 0;

	(void)state;
	assert_int_equal(sip_param_next(p, &pos, &n, &v), 1);
	assert_slice(n, "a");
	assert_slice(v, "1");
	assert_int_equal(sip_param_next(p, &pos, &n, &v), 1);
	assert_slice(n, "b");
	assert_absent(v);
	assert_int_equal(sip_param_next(p, &pos, &n, &v), 1);
	assert_slice(v, "\"x;y\"");
	assert_int_equal(sip_param_next(p, &pos, &n, &v), 0);
	assert_int_equal(sip_param_get(p, "c", &v), 1);
	assert_int_equal(sip_param_get(p, "d", &v), 0);
	pos = 0;
	assert_int_equal(sip_param_next(SIP_STR(";;"), &pos, &n, &v), -EINVAL);
	pos = 0;
	assert_int_equal(sip_param_next(SIP_STR(";a=\"open"), &pos, &n, &v), -EINVAL);
	pos = 0;
	assert_int_equal(sip_param_next(SIP_STR("x"), &pos, &n, &v), -EINVAL);
}

static void
test_framing(void **state)
{
	const char *two = "\r\n" REQ_HEAD "Content-Length: 3\r\n\r\nabc" REQ_HEAD;
	const char *nocl = REQ_HEAD "\r\n";
	static char big[SIP_MAX_MSG_SIZE + 8];
	size_t first = strlen("\r\n" REQ_HEAD "Content-Length: 3\r\n\r\nabc"), k;

	(void)state;
	assert_int_equal(sip_frame_length(two, strlen(two)), (int)first);
	for (k = 0; k < first; k++)
		if (sip_frame_length(two, k) != 0)
			fail_msg("prefix of %zu bytes framed", k);
	assert_int_equal(sip_frame_length(nocl, strlen(nocl)), -EBADMSG);
	assert_int_equal(sip_frame_length("\r\n\r\n", 4), 0);
	assert_int_equal(sip_frame_skip_crlf("\r\n\r\nX", 5), 4);
	assert_int_equal(sip_frame_length("garbage\r\n: x\r\n\r\n", 17), -EBADMSG);
	memset(big, 'a', sizeof(big));
	assert_int_equal(sip_frame_length(big, sizeof(big)), -EMSGSIZE);
	snprintf(big, sizeof(big), "%sContent-Length: 70000\r\n\r\n", REQ_HEAD);
	assert_int_equal(sip_frame_length(big, strlen(big)), -EMSGSIZE);
	snprintf(big, sizeof(big), "%sl: 1\r\nContent-Length: 1\r\n\r\nab", REQ_HEAD);
	assert_int_equal(sip_frame_length(big, strlen(big)), -EBADMSG);
	/* a framed message parses with nothing trailing */
	{
		struct sip_err err;
		int n = sip_frame_length(two, strlen(two));

		memcpy(msgbuf, two, (size_t)n);
		assert_int_equal(sip_msg_parse(&M, msgbuf, (size_t)n, &err), 0);
		assert_slice(M.body, "abc");
		assert_int_equal(M.trailing, 0);
	}
}

static void
test_check_request(void **state)
{
	struct sip_err err;

	(void)state;
	assert_int_equal(parse_str(REQ_HEAD "\r\n", &err), 0);
	assert_int_equal(sip_msg_check_request(&M, &err), 0);
	assert_int_equal(M.max_forwards, -1);
	assert_int_equal(parse_str("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n"
				   "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCSeq: 1 OPTIONS\r\n\r\n",
				   &err), 0);
	assert_int_equal(sip_msg_check_request(&M, &err), -EBADMSG);
	assert_string_equal(err.reason, "Missing Call-ID Header");
	assert_true(err.can_reply);
	assert_int_equal(parse_str("OPTIONS sip:a@b SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\n\r\n", &err), 0);
	assert_int_equal(sip_msg_check_request(&M, &err), -EBADMSG);
	assert_string_equal(err.reason, "Missing Via Header");
	assert_false(err.can_reply);
	assert_int_equal(parse_str("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n\r\n", &err), 0);
	assert_int_equal(sip_msg_check_request(&M, &err), -EBADMSG);
}

static void
test_hdr_lookup(void **state)
{
	struct sip_err err;
	const struct sip_hdr *h;
	int n = 0;

	(void)state;
	assert_int_equal(parse_str(REQ_HEAD "X-A: 1\r\nRoute: <sip:r1;lr>\r\nx-a: 2\r\n"
				   "Route: <sip:r2;lr>,<sip:r3>\r\n\r\n", &err), 0);
	for (h = sip_msg_hdr_by_name(&M, "X-A"); h; h = sip_msg_hdr_next(&M, h))
		n++;
	assert_int_equal(n, 2);
	n = 0;
	for (h = sip_msg_hdr(&M, SIP_HDR_ROUTE); h; h = sip_msg_hdr_next(&M, h))
		n++;
	assert_int_equal(n, 2);
	assert_int_equal(M.count[SIP_HDR_ROUTE], 2);
	assert_null(sip_msg_hdr(&M, SIP_HDR_RECORD_ROUTE));
	assert_null(sip_msg_hdr_by_name(&M, "X-B"));
	{
		struct sip_iter it = { 0 };
		struct sip_nameaddr na;
		struct sip_uri u;

		assert_int_equal(sip_msg_route_next(&M, SIP_HDR_ROUTE, &it, &na, &u), 1);
		assert_slice(u.host, "r1");
		assert_int_equal(sip_msg_route_next(&M, SIP_HDR_ROUTE, &it, &na, &u), 1);
		assert_slice(u.host, "r2");
		assert_int_equal(sip_msg_route_next(&M, SIP_HDR_ROUTE, &it, &na, &u), 1);
		assert_slice(u.host, "r3");
		assert_false(u.lr);
		assert_int_equal(sip_msg_route_next(&M, SIP_HDR_ROUTE, &it, &na, &u), 0);
	}
}

static void
test_bad_header_lines(void **state)
{
	struct sip_err err;

	(void)state;
	assert_int_equal(parse_str("OPTIONS sip:a@b SIP/2.0\r\n folded-first: x\r\n\r\n", &err),
			 -EBADMSG);
	assert_int_equal(err.kind, SIP_E_HDR_SYNTAX);
	assert_int_equal(parse_str("OPTIONS sip:a@b SIP/2.0\r\nNoColon\r\n\r\n", &err), -EBADMSG);
	assert_int_equal(parse_str("OPTIONS sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n", &err), -EBADMSG);
	assert_int_equal(parse_str("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch\r\n\r\n",
				   &err), -EBADMSG);
	assert_string_equal(err.reason, "Bad Via Header");
	assert_int_equal(parse_str("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h:0\r\n\r\n", &err),
			 -EBADMSG);
	assert_int_equal(parse_str("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.1/UDP h\r\n\r\n", &err),
			 -EBADMSG);
	assert_int_equal(parse_str("OPTIONS sip:a@b SIP/2.0\r\nCall-ID: a b\r\n\r\n", &err),
			 -EBADMSG);
	assert_string_equal(err.reason, "Bad Call-ID Header");
	assert_int_equal(parse_str("OPTIONS sip:a@b SIP/2.0\r\nContent-Type: text\r\n\r\n", &err),
			 -EBADMSG);
	assert_int_equal(parse_str("OPTIONS sip:a@b SIP/2.0\r\nExpires: soon\r\n\r\n", &err),
			 -EBADMSG);
	/* a datagram that lost its final CRLF still parses */
	assert_int_equal(parse_str("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n", &err), 0);
	assert_int_equal(M.nvia, 1);
}

/* Round trip: a response and a forwarded copy of an accepted message parse. */
static void
round_trip(const char *name)
{
	static char out[SIP_MAX_MSG_SIZE + 1024];
	static struct sip_msg r;
	struct sip_str tag = SIP_STR("rt1");
	struct sip_err err;
	struct sip_edit e;
	int n;

	sip_edit_init(&e, &M);
	if (M.is_request) {
		n = sip_build_response(out, sizeof(out), &M, 404, NULL, &tag, NULL, NULL, NULL);
		if (n <= 0 || sip_msg_parse(&r, out, (size_t)n, &err))
			fail_msg("%s: response does not parse", name);
		assert_true(sip_str_eq(r.call_id, M.call_id));
		assert_int_equal(r.nvia, M.nvia);
		sip_edit_push_via(&e, SIP_STR("SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKrt"));
		sip_edit_dec_maxfwd(&e);
		if (M.first[SIP_HDR_ROUTE] >= 0)
			sip_edit_pop_route(&e);
	} else {
		sip_edit_pop_via(&e);
	}
	n = sip_edit_build(&e, out, sizeof(out));
	if (n <= 0 || sip_msg_parse(&r, out, (size_t)n, &err))
		fail_msg("%s: forwarded copy does not parse (%d)", name, n);
	assert_int_equal(r.nvia, M.is_request ? M.nvia + 1 : M.nvia - 1);
	assert_true(sip_str_eq(r.body, M.body));
}

static void
test_data_dir(void **state)
{
	const char *dir = "tests/data/sip";
	struct dirent *de;
	DIR *d = opendir(dir);
	int nok = 0, nbad = 0;

	(void)state;
	if (!d)
		fail_msg("%s: %s (run from the repo root)", dir, strerror(errno));
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		struct sip_err err;
		size_t l = strlen(de->d_name), n;
		int rc, want;
		FILE *f;

		if (l < 5 || strcmp(de->d_name + l - 4, ".sip"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		n = fread(msgbuf, 1, sizeof(msgbuf), f);
		fclose(f);
		print_message("  %s\n", de->d_name);
		rc = sip_msg_parse(&M, msgbuf, n, &err);
		if (rc == 0 && M.is_request)
			rc = sip_msg_check_request(&M, &err);
		if (!strncmp(de->d_name, "ok-", 3)) {
			if (rc)
				fail_msg("%s: rejected %d %s", de->d_name, err.code, err.reason);
			round_trip(de->d_name);
			nok++;
			continue;
		}
		want = atoi(de->d_name);
		if (want != 400 && want != 505)
			fail_msg("%s: name must start with ok-, 400- or 505-", de->d_name);
		if (rc == 0)
			fail_msg("%s: accepted, expected %d", de->d_name, want);
		assert_int_equal(err.code, want);
		assert_non_null(err.reason);
		nbad++;
	}
	closedir(d);
	assert_true(nok >= 6);
	assert_true(nbad >= 9);
}

static void
test_data_fields(void **state)
{
	struct sip_iter it = { 0 };
	struct sip_contact c;
	struct sip_err err;
	FILE *f;
	size_t n;

	(void)state;
	f = fopen("tests/data/sip/ok-register-contacts.sip", "rb");
	assert_non_null(f);
	n = fread(msgbuf, 1, sizeof(msgbuf), f);
	fclose(f);
	assert_int_equal(sip_msg_parse(&M, msgbuf, n, &err), 0);
	assert_int_equal(M.expires, 3600);
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 1);
	assert_int_equal(c.expires, 600);
	assert_int_equal(c.q, 900);
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 1);
	assert_slice(c.na.display, "Carol, mobile");
	assert_int_equal(c.q, 100);
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 1);
	assert_slice(c.na.uri, "sip:carol@192.0.2.22;transport=tcp");
	assert_int_equal(sip_msg_contact_next(&M, &it, &c), 0);

	f = fopen("tests/data/sip/ok-ipv6.sip", "rb");
	assert_non_null(f);
	n = fread(msgbuf, 1, sizeof(msgbuf), f);
	fclose(f);
	assert_int_equal(sip_msg_parse(&M, msgbuf, n, &err), 0);
	assert_int_equal(M.ruri_u.host_type, SIP_HOST_IPV6);
	assert_slice(M.ruri_u.host, "[2001:db8::2]");
	assert_int_equal(M.ruri_u.port, 5060);
	assert_slice(M.ruri_u.transport, "tcp");
	assert_slice(M.via1.host, "[2001:db8::1]");
	assert_int_equal(M.via1.port, 5070);
	assert_slice(M.call_id, "v6@2001:db8::1");
}

/*
 * No hidden shared state: threads parsing the whole corpus at once get
 * exactly what one thread gets (each with its own struct sip_msg).
 */
#define NTHREADS	4
struct tref {
	char	*buf;
	size_t	 len;
	int	 rc, nvia, nhdrs, body;
	uint32_t cseq;
};
static struct tref tref[NCASES];

static void *
parse_worker(void *arg)
{
	struct sip_msg *m = malloc(sizeof(*m));
	long bad = 0;
	int round, i;

	(void)arg;
	for (round = 0; round < 200 && m; round++) {
		for (i = 0; i < NCASES; i++) {
			struct sip_err err;
			int rc = sip_msg_parse(m, tref[i].buf, tref[i].len, &err);

			if (rc != tref[i].rc || (rc == 0 && (m->nvia != tref[i].nvia ||
			    m->nhdrs != tref[i].nhdrs || m->body.len != tref[i].body ||
			    m->cseq != tref[i].cseq)))
				bad++;
		}
	}
	free(m);
	return (void *)bad;
}

static void
test_threads(void **state)
{
	pthread_t th[NTHREADS];
	int i;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		struct sip_err err;
		size_t n = load(cases[i].name);

		tref[i].buf = malloc(n);
		assert_non_null(tref[i].buf);
		memcpy(tref[i].buf, msgbuf, n);
		tref[i].len = n;
		tref[i].rc = sip_msg_parse(&M, tref[i].buf, n, &err);
		tref[i].nvia = M.nvia;
		tref[i].nhdrs = M.nhdrs;
		tref[i].body = M.body.len;
		tref[i].cseq = M.cseq;
	}
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, parse_worker, NULL), 0);
	for (i = 0; i < NTHREADS; i++) {
		void *bad;

		assert_int_equal(pthread_join(th[i], &bad), 0);
		assert_int_equal((long)bad, 0);
	}
	for (i = 0; i < NCASES; i++)
		free(tref[i].buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_torture_complete),
		cmocka_unit_test(test_torture_valid),
		cmocka_unit_test(test_torture_invalid),
		cmocka_unit_test(test_torture_txn),
		cmocka_unit_test(test_torture_app),
		cmocka_unit_test(test_torture_compat),
		cmocka_unit_test(test_compact_forms),
		cmocka_unit_test(test_lf_only_and_leading_crlf),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_contacts),
		cmocka_unit_test(test_nameaddr_uri_errors),
		cmocka_unit_test(test_uri_compare),
		cmocka_unit_test(test_aor_unescape),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_check_request),
		cmocka_unit_test(test_hdr_lookup),
		cmocka_unit_test(test_bad_header_lines),
		cmocka_unit_test(test_data_dir),
		cmocka_unit_test(test_data_fields),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
