// SPDX-License-Identifier: GPL-2.0
/*
 * check.c - one request's digest credentials checked end to end (RFC 3261
 * §22.3/§22.4, RFC 7616 §3.4-3.5): find the header for our realm, compute
 * the expected response from the stored HA1, then the nonce and its count;
 * and the challenges of a 401/407.  Uses digest.c, nonce.c, credentials.c
 * and the header parser; decides nothing about who must authenticate.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "sip/auth_hdr.h"
#include "sip/msg.h"

/* Does the credentials' uri name the Request-URI (§22.4: the same URI)? */
static bool
uri_matches(const struct sip_msg *m, struct sip_str uri)
{
	struct sip_uri u;

	if (sip_str_eq(uri, m->ruri))
		return true;
	if (sip_uri_parse(uri, &u) < 0 || m->ruri_u.scheme == SIP_SCHEME_OTHER)
		return false;
	return sip_uri_eq(&u, &m->ruri_u);
}

void
auth_check(const struct sip_msg *m, int t, const char *realm, uint64_t now,
	   struct auth_result *res)
{
	char ha1[AUTH_HEX_MAX], want[AUTH_HEX_MAX];
	struct sip_auth_cred c;
	enum auth_nonce_state ns;
	int rc, alg;

	memset(res, 0, sizeof(*res));
	res->hdr = -1;
	rc = sip_auth_find(m, (enum sip_hdr_type)t, realm, &c);
	if (rc == 0) {
		res->outcome = AUTH_NONE;
		return;
	}
	res->outcome = AUTH_FAILED;
	if (rc < 0)
		return;
	res->hdr = c.hdr;
	sip_str_cpy(res->user, sizeof(res->user), c.username);
	alg = auth_alg_parse(c.algorithm);
	if (alg < 0 || c.userhash)
		return;
	res->alg = (enum auth_alg)alg;
	/* We offer qop="auth" only: no RFC 2069 responses, no auth-int. */
	if (!sip_str_caseeq_cstr(c.qop, "auth") || !sip_str_present(c.nc) || c.nc_val == 0 ||
	    c.cnonce.len <= 0)
		return;
	if (!uri_matches(m, c.uri))
		return;
	if (c.username.len >= AUTH_USER_MAX ||
	    auth_cred_lookup(c.username, sip_str_mk(realm, (int)strlen(realm)),
			     (enum auth_alg)alg, ha1) < 0)
		return;
	if (auth_response((enum auth_alg)alg, ha1, c.nonce, c.nc, c.cnonce, c.qop,
			  m->method_str, c.uri, want) < 0)
		return;
	if (!auth_hex_eq(want, c.response))
		return;
	/* The password is right: from here on, only the nonce can be wrong. */
	res->outcome = AUTH_STALE;
	if (auth_nonce_check(realm, c.nonce, now) != AUTH_NONCE_OK)
		return;
	ns = auth_nonce_use(c.nonce, c.nc_val);
	if (ns != AUTH_NONCE_OK)
		return;
	res->outcome = AUTH_OK;
}

int
auth_challenge(char *buf, size_t cap, bool proxy, const char *realm, bool stale, uint64_t now)
{
	size_t off = 0;

	for (int a = 0; a < AUTH__NALG; a++) {
		char nonce[AUTH_NONCE_LEN + 1];
		int n;

		if (auth_nonce_make(realm, now, nonce) < 0)
			return -EIO;
		n = snprintf(buf + off, cap - off,
			     "%s: Digest realm=\"%s\", nonce=\"%s\", qop=\"auth\", "
			     "algorithm=%s%s\r\n",
			     proxy ? "Proxy-Authenticate" : "WWW-Authenticate", realm, nonce,
			     auth_alg_name((enum auth_alg)a), stale ? ", stale=true" : "");
		if (n < 0 || (size_t)n >= cap - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	return (int)off;
}
