// SPDX-License-Identifier: GPL-2.0
/*
 * test_digest.c - daemon/auth/digest.c against the worked examples of RFC
 * 7616 §3.9.1 (MD5 and SHA-256) and RFC 2617 §3.5, the credentials header
 * parser (sip/parse_auth.c), the credentials file (auth/credentials.c) and
 * a whole request checked by auth_check(): right, wrong, unknown user,
 * replayed, expired, another digest-uri, an algorithm not offered.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <urcu.h>

#include "auth/auth.h"
#include "sip/auth_hdr.h"
#include "sip/msg.h"

#define S(x)	sip_str_mk((x), (int)strlen(x))

/* RFC 7616 §3.9.1 */
static void
test_rfc7616_vectors(void **state)
{
	char ha1[AUTH_HEX_MAX], resp[AUTH_HEX_MAX];
	const char *nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
	const char *cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

	assert_int_equal(auth_ha1(AUTH_MD5, "Mufasa", "http-auth@example.org",
				  "Circle of Life", ha1), 0);
	assert_int_equal(auth_response(AUTH_MD5, ha1, S(nonce), S("00000001"), S(cnonce),
				       S("auth"), S("GET"), S("/dir/index.html"), resp), 0);
	assert_string_equal(resp, "8ca523f5e9506fed4657c9700eebdbec");

	assert_int_equal(auth_ha1(AUTH_SHA256, "Mufasa", "http-auth@example.org",
				  "Circle of Life", ha1), 0);
	assert_int_equal(strlen(ha1), 64);
	assert_int_equal(auth_response(AUTH_SHA256, ha1, S(nonce), S("00000001"), S(cnonce),
				       S("auth"), S("GET"), S("/dir/index.html"), resp), 0);
	assert_string_equal(resp,
			    "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

/* RFC 2617 §3.5, and the no-qop form of RFC 2069. */
static void
test_rfc2617_vector(void **state)
{
	char ha1[AUTH_HEX_MAX], resp[AUTH_HEX_MAX];

	assert_int_equal(auth_ha1(AUTH_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life",
				  ha1), 0);
	assert_string_equal(ha1, "939e7578ed9e3c518a452acee763bce9");
	assert_int_equal(auth_response(AUTH_MD5, ha1, S("dcd98b7102dd2f0e8b11d0f600bfb0c093"),
				       S("00000001"), S("0a4f113b"), S("auth"), S("GET"),
				       S("/dir/index.html"), resp), 0);
	assert_string_equal(resp, "6629fae49393a05397450978507c4ef1");
	/* RFC 2069 (no qop): H(HA1:nonce:HA2), differs from the qop form. */
	assert_int_equal(auth_response(AUTH_MD5, ha1, S("dcd98b7102dd2f0e8b11d0f600bfb0c093"),
				       (struct sip_str){ 0 }, (struct sip_str){ 0 },
				       (struct sip_str){ 0 }, S("GET"), S("/dir/index.html"),
				       resp), 0);
	assert_string_not_equal(resp, "6629fae49393a05397450978507c4ef1");
}

static void
test_alg_and_hex_eq(void **state)
{
	assert_int_equal(auth_alg_parse((struct sip_str){ 0 }), AUTH_MD5);
	assert_int_equal(auth_alg_parse(S("md5")), AUTH_MD5);
	assert_int_equal(auth_alg_parse(S("SHA-256")), AUTH_SHA256);
	assert_int_equal(auth_alg_parse(S("MD5-sess")), -EINVAL);
	assert_int_equal(auth_alg_parse(S("SHA-512-256")), -EINVAL);
	assert_true(auth_hex_eq("0a1b", S("0A1B")));
	assert_false(auth_hex_eq("0a1b", S("0a1c")));
	assert_false(auth_hex_eq("0a1b", S("0a1")));
	assert_false(auth_hex_eq("0a1b", (struct sip_str){ 0 }));
}

static void
test_parse_header(void **state)
{
	struct sip_auth_cred c;

	assert_int_equal(sip_auth_parse(S("Digest username=\"Mufasa\",\r\n realm=\"r\", "
					  "nonce=\"n\", uri=\"sip:a@b\", response=\"00\", "
					  "algorithm=SHA-256, cnonce=\"c, x\", qop=auth, "
					  "nc=0000000A, opaque=\"o\", foo=bar"), &c), 0);
	assert_true(sip_str_eq(c.username, S("Mufasa")));
	assert_true(sip_str_eq(c.cnonce, S("c, x")));
	assert_true(sip_str_eq(c.algorithm, S("SHA-256")));
	assert_true(sip_str_eq(c.qop, S("auth")));
	assert_int_equal(c.nc_val, 10);
	assert_int_equal(sip_auth_parse(S("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), &c), -ENOENT);
	assert_int_equal(sip_auth_parse(S("Digest username=\"a\", realm=\"r\""), &c), -EINVAL);
	assert_int_equal(sip_auth_parse(S("Digest username=\"a, realm=\"r\""), &c), -EINVAL);
	assert_int_equal(sip_auth_parse(S("Digest username=a, username=b, realm=r, nonce=n, "
					  "uri=u, response=r"), &c), -EINVAL);
	assert_int_equal(sip_auth_parse(S("Digest username=a, realm=r, nonce=n, uri=u, "
					  "response=r, nc=1"), &c), -EINVAL);
}

/* ---- credentials file ------------------------------------------------------- */

static char cred_path[64];

static void
write_file(const char *text)
{
	FILE *f = fopen(cred_path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_credentials_file(void **state)
{
	char err[256], ha1[AUTH_HEX_MAX], h5[AUTH_HEX_MAX], h256[AUTH_HEX_MAX], line[512];
	struct auth_cred_stats st;

	auth_ha1(AUTH_MD5, "alice", "example.com", "secret", h5);
	auth_ha1(AUTH_SHA256, "alice", "example.com", "secret", h256);
	snprintf(line, sizeof(line), "# comment\n\nalice example.com MD5:%s SHA-256:%s\n"
		 "bob  Example.COM  md5:%s   # bob has MD5 only\n", h5, h256, h5);
	write_file(line);
	assert_int_equal(auth_cred_load(cred_path, err, sizeof(err)), 0);
	assert_int_equal(auth_cred_lookup(S("alice"), S("EXAMPLE.com"), AUTH_SHA256, ha1), 0);
	assert_string_equal(ha1, h256);
	assert_int_equal(auth_cred_lookup(S("bob"), S("example.com"), AUTH_MD5, ha1), 0);
	assert_int_equal(auth_cred_lookup(S("bob"), S("example.com"), AUTH_SHA256, ha1), -ENOENT);
	assert_int_equal(auth_cred_lookup(S("Alice"), S("example.com"), AUTH_MD5, ha1), -ENOENT);
	assert_int_equal(auth_cred_lookup(S("carol"), S("example.com"), AUTH_MD5, ha1), -ENOENT);
	auth_cred_stats(&st);
	assert_int_equal(st.users, 2);
	assert_int_equal(st.per_alg[AUTH_MD5], 2);
	assert_int_equal(st.per_alg[AUTH_SHA256], 1);

	/* A bad file changes nothing and names the line. */
	write_file("alice example.com MD5:1234\n");
	assert_int_equal(auth_cred_load(cred_path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":1: MD5 HA1 must be 32 hex digits"));
	write_file("carol example.com\n");
	assert_int_equal(auth_cred_load(cred_path, err, sizeof(err)), -EINVAL);
	snprintf(line, sizeof(line), "a r MD5:%s\na R MD5:%s\n", h5, h5);
	write_file(line);
	assert_int_equal(auth_cred_load(cred_path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "given twice"));
	snprintf(line, sizeof(line), "a r SHA-1:%s\n", h5);
	write_file(line);
	assert_int_equal(auth_cred_load(cred_path, err, sizeof(err)), -EINVAL);
	assert_int_equal(auth_cred_lookup(S("alice"), S("example.com"), AUTH_MD5, ha1), 0);
	assert_int_equal(auth_cred_check("/nonexistent/file", err, sizeof(err)), -ENOENT);
}

/* ---- a whole request -------------------------------------------------------- */

static char reqbuf[4096];
static struct sip_msg req;

/* A REGISTER with credentials for user/password over nonce/nc. */
static void
make_req(const char *user, const char *password, enum auth_alg alg, const char *nonce,
	 unsigned nc, const char *uri)
{
	char ha1[AUTH_HEX_MAX], resp[AUTH_HEX_MAX], ncs[9];
	struct sip_err err;
	int n;

	snprintf(ncs, sizeof(ncs), "%08x", nc);
	auth_ha1(alg, user, "example.com", password, ha1);
	auth_response(alg, ha1, S(nonce), S(ncs), S("abcdef"), S("auth"), S("REGISTER"),
		      S(uri), resp);
	n = snprintf(reqbuf, sizeof(reqbuf),
		     "REGISTER sip:example.com SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
		     "From: <sip:%s@example.com>;tag=1\r\nTo: <sip:%s@example.com>\r\n"
		     "Call-ID: c1\r\nCSeq: %u REGISTER\r\n"
		     "Authorization: Digest username=\"other\", realm=\"elsewhere.org\", "
		     "nonce=\"x\", uri=\"sip:example.com\", response=\"0\"\r\n"
		     "Authorization: Digest username=\"%s\", realm=\"example.com\", "
		     "nonce=\"%s\", uri=\"%s\", response=\"%s\", algorithm=%s, "
		     "cnonce=\"abcdef\", qop=auth, nc=%s\r\n"
		     "Content-Length: 0\r\n\r\n",
		     user, user, nc, user, nonce, uri, resp, auth_alg_name(alg), ncs);
	assert_int_equal(sip_msg_parse(&req, reqbuf, (size_t)n, &err), 0);
}

static void
test_auth_check(void **state)
{
	char err[256], h5[AUTH_HEX_MAX], h256[AUTH_HEX_MAX], line[512], nonce[AUTH_NONCE_LEN + 1];
	struct auth_result r;
	uint64_t now = 1000000;

	auth_ha1(AUTH_MD5, "alice", "example.com", "secret", h5);
	auth_ha1(AUTH_SHA256, "alice", "example.com", "secret", h256);
	snprintf(line, sizeof(line), "alice example.com MD5:%s SHA-256:%s\n", h5, h256);
	write_file(line);
	assert_int_equal(auth_cred_load(cred_path, err, sizeof(err)), 0);
	assert_int_equal(auth_nonce_init(300), 0);

	for (int alg = 0; alg < AUTH__NALG; alg++) {
		assert_int_equal(auth_nonce_make("example.com", now, nonce), 0);
		make_req("alice", "secret", (enum auth_alg)alg, nonce, 1, "sip:example.com");
		auth_check(&req, SIP_HDR_AUTHORIZATION, "example.com", now + 1, &r);
		assert_int_equal(r.outcome, AUTH_OK);
		assert_string_equal(r.user, "alice");
		assert_int_equal(r.alg, alg);
		assert_int_equal(r.hdr, 6);
		/* the same request again: a replay of nc 1 */
		auth_check(&req, SIP_HDR_AUTHORIZATION, "example.com", now + 1, &r);
		assert_int_equal(r.outcome, AUTH_STALE);
		/* the next count is fine */
		make_req("alice", "secret", (enum auth_alg)alg, nonce, 2, "sip:example.com");
		auth_check(&req, SIP_HDR_AUTHORIZATION, "example.com", now + 2, &r);
		assert_int_equal(r.outcome, AUTH_OK);
		/* wrong password: FAILED, and it burns no count */
		make_req("alice", "guess", (enum auth_alg)alg, nonce, 3, "sip:example.com");
		auth_check(&req, SIP_HDR_AUTHORIZATION, "example.com", now + 2, &r);
		assert_int_equal(r.outcome, AUTH_FAILED);
		make_req("alice", "secret", (enum auth_alg)alg, nonce, 3, "sip:example.com");
		auth_check(&req, SIP_HDR_AUTHORIZATION, "example.com", now + 2, &r);
		assert_int_equal(r.outcome, AUTH_OK);
		/* expired: right password, stale */
		make_req("alice", "secret", (enum auth_alg)alg, nonce, 4, "sip:example.com");
		auth_check(&req, SIP_HDR_AUTHORIZATION, "example.com", now + 301, &r);
		assert_int_equal(r.outcome, AUTH_STALE);
		/* a digest-uri other than the Request-URI (SIPp sends the proxy's address) */
		make_req("alice", "secret", (enum auth_alg)alg, nonce, 5, "sip:192.0.2.9:5060");
		auth_check(&req, SIP_HDR_AUTHORIZATION, "example.com", now + 2, &r);
		assert_int_equal(r.outcome, AUTH_OK);
	}
	/* An unknown user looks like a wrong password. */
	assert_int_equal(auth_nonce_make("example.com", now, nonce), 0);
	make_req("mallory", "secret", AUTH_MD5, nonce, 1, "sip:example.com");
	auth_check(&req, SIP_HDR_AUTHORIZATION, "example.com", now, &r);
	assert_int_equal(r.outcome, AUTH_FAILED);
	/* A nonce we never made (right password): stale, so the client retries. */
	make_req("alice", "secret", AUTH_MD5, "0000000000000001000000000000000000000000000000000"
		 "000000000000000", 1, "sip:example.com");
	auth_check(&req, SIP_HDR_AUTHORIZATION, "example.com", now, &r);
	assert_int_equal(r.outcome, AUTH_STALE);
	/* No credentials for our realm. */
	auth_check(&req, SIP_HDR_PROXY_AUTHORIZATION, "example.com", now, &r);
	assert_int_equal(r.outcome, AUTH_NONE);
	auth_check(&req, SIP_HDR_AUTHORIZATION, "example.net", now, &r);
	assert_int_equal(r.outcome, AUTH_NONE);
	auth_nonce_fini();
}

static void
test_challenge(void **state)
{
	char buf[1024];
	int n;

	assert_int_equal(auth_nonce_init(60), 0);
	n = auth_challenge(buf, sizeof(buf), true, "example.com", true, 1000);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "Proxy-Authenticate: Digest realm=\"example.com\", nonce=\""));
	assert_non_null(strstr(buf, "algorithm=SHA-256, stale=true\r\nProxy-Authenticate:"));
	assert_non_null(strstr(buf, "algorithm=MD5, stale=true\r\n"));
	n = auth_challenge(buf, sizeof(buf), false, "example.com", false, 1000);
	assert_null(strstr(buf, "stale"));
	assert_int_equal(auth_challenge(buf, 100, false, "example.com", false, 1000), -ENOSPC);
	/* --auth-algorithms MD5: one challenge, and a SHA-256 answer is refused. */
	{
		enum auth_alg md5only[] = { AUTH_MD5 }, both[] = { AUTH_SHA256, AUTH_MD5 };
		char nonce[AUTH_NONCE_LEN + 1];
		struct auth_result r;
		enum auth_alg on[AUTH__NALG];

		auth_set_algorithms(md5only, 1);
		assert_int_equal(auth_algorithms(on), 1);
		n = auth_challenge(buf, sizeof(buf), false, "example.com", false, 1000);
		assert_true(n > 0);
		assert_null(strstr(buf, "SHA-256"));
		assert_non_null(strstr(buf, "algorithm=MD5\r\n"));
		assert_int_equal(auth_nonce_make("example.com", 1000, nonce), 0);
		make_req("alice", "secret", AUTH_SHA256, nonce, 1, "sip:example.com");
		auth_check(&req, SIP_HDR_AUTHORIZATION, "example.com", 1000, &r);
		assert_int_equal(r.outcome, AUTH_FAILED);
		make_req("alice", "secret", AUTH_MD5, nonce, 2, "sip:example.com");
		auth_check(&req, SIP_HDR_AUTHORIZATION, "example.com", 1000, &r);
		assert_int_equal(r.outcome, AUTH_OK);
		auth_set_algorithms(both, 2);
		assert_int_equal(auth_algorithms(on), 2);
		assert_int_equal(on[0], AUTH_SHA256);
	}
	auth_nonce_fini();
}

static int
setup(void **state)
{
	int fd;

	rcu_register_thread();
	snprintf(cred_path, sizeof(cred_path), "/tmp/xr-test-cred-XXXXXX");
	fd = mkstemp(cred_path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	auth_cred_unload();
	unlink(cred_path);
	rcu_unregister_thread();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7616_vectors),
		cmocka_unit_test(test_rfc2617_vector),
		cmocka_unit_test(test_alg_and_hex_eq),
		cmocka_unit_test(test_parse_header),
		cmocka_unit_test(test_credentials_file),
		cmocka_unit_test(test_auth_check),
		cmocka_unit_test(test_challenge),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
