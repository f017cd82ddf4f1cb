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
	{
		enum auth_alg on[AUTH__NALG];
		int i, n = auth_algorithms(on);

		for (i = 0; i < n && on[i] != (enum auth_alg)alg; i++)
			;
		if (i == n)
			return;		/* not one we challenge for */
	}
	res->alg = (enum auth_alg)alg;
	/* We offer qop="auth" only: no RFC 2069 responses, no auth-int. */
	if (!sip_str_caseeq_cstr(c.qop, "auth") || !sip_str_present(c.nc) || c.nc_val == 0 ||
	    c.cnonce.len <= 0)
		return;
	/*
	 * OUR choice: the digest-uri is not compared with the Request-URI (RFC
	 * 3261 §22.4 says it should be the same): SIPp and some phones send the
	 * proxy's address there for a REGISTER to a domain.  The response covers
	 * the uri it was computed over, and the nonce count stops replays.
	 */
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
	enum auth_alg on[AUTH__NALG];
	int nalg = auth_algorithms(on);
	size_t off = 0;

	for (int i = 0; i < nalg; i++) {
		enum auth_alg a = on[i];
		char nonce[AUTH_NONCE_LEN + 1];
		int n;

		if (auth_nonce_make(realm, now, nonce) < 0)
			return -EIO;
		n = snprintf(buf + off, cap - off,
			     "%s: Digest realm=\"%s\", nonce=\"%s\", qop=\"auth\", "
			     "algorithm=%s%s\r\n",
			     proxy ? "Proxy-Authenticate" : "WWW-Authenticate", realm, nonce,
			     auth_alg_name(a), stale ? ", stale=true" : "");
		if (n < 0 || (size_t)n >= cap - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	return (int)off;
}
