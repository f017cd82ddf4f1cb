// SPDX-License-Identifier: GPL-2.0
/*
 * digest.c - the HTTP digest computations SIP uses (RFC 3261 §22.4, RFC 7616
 * §3.4, RFC 8760 for SHA-256), over OpenSSL's EVP digests: HA1, the
 * request-digest with and without qop=auth, constant-time comparison.
 * Owns no state.  Nonces are nonce.c's, stored HA1s credentials.c's.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/auth.h"

static const char *const alg_names[AUTH__NALG] = {
	[AUTH_SHA256] = "SHA-256",
	[AUTH_MD5] = "MD5",
};

/* Packed order: nibble i is the i-th algorithm + 1, 0 ends (atomic). */
static unsigned int alg_order = (AUTH_SHA256 + 1) | (AUTH_MD5 + 1) << 4;

void
auth_set_algorithms(const enum auth_alg *order, int n)
{
	unsigned int v = 0;

	for (int i = 0; i < n && i < AUTH__NALG; i++)
		v |= (unsigned int)(order[i] + 1) << (4 * i);
	if (v)
		__atomic_store_n(&alg_order, v, __ATOMIC_RELAXED);
}

int
auth_algorithms(enum auth_alg *order)
{
	unsigned int v = __atomic_load_n(&alg_order, __ATOMIC_RELAXED);
	int n = 0;

	for (; v && n < AUTH__NALG; v >>= 4)
		order[n++] = (enum auth_alg)((v & 15) - 1);
	return n;
}

const char *
auth_alg_name(enum auth_alg alg)
{
	return (unsigned int)alg < AUTH__NALG ? alg_names[alg] : "?";
}

int
auth_alg_parse(struct sip_str s)
{
	if (!sip_str_present(s))
		return AUTH_MD5;	/* RFC 7616 §3.3: absent means MD5 */
	for (int i = 0; i < AUTH__NALG; i++)
		if (sip_str_caseeq_cstr(s, alg_names[i]))
			return i;
	return -EINVAL;
}

int
auth_alg_hexlen(enum auth_alg alg)
{
	return alg == AUTH_SHA256 ? 64 : 32;
}

static const EVP_MD *
alg_md(enum auth_alg alg)
{
	return alg == AUTH_SHA256 ? EVP_sha256() : EVP_md5();
}

static void
to_hex(const unsigned char *d, unsigned int n, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned int i = 0; i < n; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[2 * n] = '\0';
}

int
auth_hash(enum auth_alg alg, const struct sip_str *parts, int n, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -EIO, i;

	if (!ctx)
		return -EIO;
	if (EVP_DigestInit_ex(ctx, alg_md(alg), NULL) != 1)
		goto out;
	for (i = 0; i < n; i++) {
		if (i && EVP_DigestUpdate(ctx, ":", 1) != 1)
			goto out;
		if (parts[i].len > 0 && EVP_DigestUpdate(ctx, parts[i].s, (size_t)parts[i].len) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		goto out;
	to_hex(md, mdlen, hex);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

static struct sip_str
cs(const char *s)
{
	return sip_str_mk(s, (int)strlen(s));
}

int
auth_ha1(enum auth_alg alg, const char *user, const char *realm, const char *password,
	 char *hex)
{
	struct sip_str p[3] = { cs(user), cs(realm), cs(password) };

	return auth_hash(alg, p, 3, hex);
}

int
auth_response(enum auth_alg alg, const char *ha1, struct sip_str nonce, struct sip_str nc,
	      struct sip_str cnonce, struct sip_str qop, struct sip_str method,
	      struct sip_str uri, char *hex)
{
	char ha2[AUTH_HEX_MAX];
	struct sip_str a2[2] = { method, uri };
	int rc = auth_hash(alg, a2, 2, ha2);

	if (rc < 0)
		return rc;
	if (sip_str_present(qop)) {
		struct sip_str p[6] = { cs(ha1), nonce, nc, cnonce, qop, cs(ha2) };

		return auth_hash(alg, p, 6, hex);
	} else {
		struct sip_str p[3] = { cs(ha1), nonce, cs(ha2) };

		return auth_hash(alg, p, 3, hex);
	}
}

bool
auth_hex_eq(const char *ours, struct sip_str theirs)
{
	size_t n = strlen(ours);
	char low[AUTH_HEX_MAX];

	if (theirs.len <= 0 || (size_t)theirs.len != n || n >= sizeof(low))
		return false;
	/* RFC 7616 §3.4.1: LHEX, but accept upper-case hex from sloppy clients. */
	for (size_t i = 0; i < n; i++) {
		char c = theirs.s[i];

		low[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
	}
	return CRYPTO_memcmp(ours, low, n) == 0;
}
