/* SPDX-License-Identifier: GPL-2.0 */
/*
 * auth.h - SIP digest authentication (RFC 3261 §22, RFC 7616, RFC 8760):
 * the digest computations (digest.c, OpenSSL EVP), stateless HMAC nonces
 * with expiry and nc replay refusal (nonce.c), the credentials file of
 * HA1 values reloaded on SIGHUP (credentials.c), and the Authorization /
 * Proxy-Authorization parser (sip/parse_auth.c, declared in sip/auth_hdr.h).
 * No policy here: who must authenticate is proxy/ and policy/'s business.
 */
#ifndef XR_AUTH_H
#define XR_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/str.h"

/* Digest algorithms we offer, in the order challenges are sent (RFC 8760 §2.4). */
enum auth_alg {
	AUTH_SHA256 = 0,	/* "SHA-256" */
	AUTH_MD5,		/* "MD5" (the default when a header names none) */
	AUTH__NALG
};

#define AUTH_HEX_MAX	65	/* lower-case hex of the longest digest, plus NUL */
#define AUTH_NONCE_LEN	64	/* characters of a nonce we issue */

/*
 * The algorithms challenged for, most preferred first (--auth-algorithms;
 * default SHA-256 then MD5).  A client that answers with one not listed
 * fails.  Set from one thread (start-up, reload); read by any.
 */
void		 auth_set_algorithms(const enum auth_alg *order, int n);
int		 auth_algorithms(enum auth_alg *order);	/* how many, order[] filled */

/* "SHA-256", "MD5". */
const char	*auth_alg_name(enum auth_alg alg);
/* An algorithm token (case-insensitive; absent: MD5), or -EINVAL ("-sess", others). */
int		 auth_alg_parse(struct sip_str s);
/* Hex characters of alg's digests (32 or 64). */
int		 auth_alg_hexlen(enum auth_alg alg);

/*
 * H(data) of RFC 7616 §3.4, as lower-case hex into hex (AUTH_HEX_MAX).
 * The parts are joined with ':' (n parts).  0 or -EIO (libcrypto failed).
 */
int	auth_hash(enum auth_alg alg, const struct sip_str *parts, int n, char *hex);
/* HA1 = H(user:realm:password).  0 or -EIO. */
int	auth_ha1(enum auth_alg alg, const char *user, const char *realm, const char *password,
		 char *hex);
/*
 * The request-digest of RFC 7616 §3.4.1 with qop=auth:
 * H(HA1:nonce:nc:cnonce:qop:H(method:uri)); without qop (RFC 2069, qop
 * absent): H(HA1:nonce:H(method:uri)).  0 or -EIO.
 */
int	auth_response(enum auth_alg alg, const char *ha1, struct sip_str nonce,
		      struct sip_str nc, struct sip_str cnonce, struct sip_str qop,
		      struct sip_str method, struct sip_str uri, char *hex);
/* Constant-time comparison of a hex digest we computed with one a client sent. */
bool	auth_hex_eq(const char *ours, struct sip_str theirs);

/* ---- nonces (nonce.c) ------------------------------------------------------ */

enum auth_nonce_state {
	AUTH_NONCE_OK = 0,	/* ours, fresh, nc above every nc seen with it */
	AUTH_NONCE_BAD,		/* not one of ours (or malformed) */
	AUTH_NONCE_STALE,	/* ours but expired, or its replay slot was reused */
	AUTH_NONCE_REPLAY,	/* ours and fresh, but nc not above the last one seen */
};

/*
 * A new random HMAC secret (RAND_bytes) and an empty replay table; nonces
 * issued before are refused afterwards.  ttl: seconds a nonce stays valid.
 * 0 or -EIO / -ENOMEM.  auth_nonce_set_ttl() changes it at run time.
 */
int	auth_nonce_init(int ttl);
void	auth_nonce_fini(void);
void	auth_nonce_set_ttl(int ttl);
/*
 * Write a new nonce (AUTH_NONCE_LEN characters + NUL) for now (seconds):
 * hex(id) hex(time) hex(HMAC-SHA256(secret, id|time|realm)[0..15]).  No state
 * is kept for it.  0 or -EIO.
 */
int	auth_nonce_make(const char *realm, uint64_t now, char *out);
/*
 * Check a nonce a client sent back for realm at time now with nonce-count
 * nc (1..0xffffffff, 0: no qop, no count).  The first use of a fresh nonce
 * claims its slot in a bounded table (AUTH_NC_SLOTS); a later use must
 * carry a higher nc.  A nonce whose slot a newer nonce took is STALE (the
 * client asks for a new one): nothing is remembered per nonce otherwise.
 * Only call with nc once the response digest was found right, so a wrong
 * password cannot burn a count.  Thread-safe.
 */
enum auth_nonce_state auth_nonce_check(const char *realm, struct sip_str nonce, uint64_t now);
enum auth_nonce_state auth_nonce_use(struct sip_str nonce, uint32_t nc);
#define AUTH_NC_SLOTS	65536

/* ---- credentials (credentials.c) -------------------------------------------- */

/*
 * The credentials file: one line per user and realm,
 *   USER REALM ALG:HA1 [ALG:HA1]
 * ALG is MD5 or SHA-256, HA1 the hex of H(USER:REALM:password) (RFC 7616
 * §3.4.2); '#' starts a comment.  No password is ever read or kept.
 */
#define AUTH_USER_MAX	64
#define AUTH_REALM_MAX	128
#define AUTH_CRED_MAX	1000000		/* lines in one file */

/*
 * Read path and make it the table auth_cred_lookup() reads (RCU: readers
 * keep the old one until they leave their read-side section; call from an
 * RCU-registered thread outside one).  On any error nothing changes and a
 * one-line reason "PATH:LINE: what" is written into err.  0 or -errno.
 */
int	auth_cred_load(const char *path, char *err, size_t errlen);
/* Parse without installing (xrelayd -n): the number of entries, or -errno. */
int	auth_cred_check(const char *path, char *err, size_t errlen);
/* Drop the table (exit). */
void	auth_cred_unload(void);
/*
 * Copy the HA1 of user in realm for alg into ha1 (AUTH_HEX_MAX).  0, or
 * -ENOENT (no such user, or no HA1 for that algorithm).  Thread-safe (takes
 * the RCU read lock itself).
 */
int	auth_cred_lookup(struct sip_str user, struct sip_str realm, enum auth_alg alg,
			 char *ha1);
/* Entries loaded, and how many have each algorithm (never the hashes). */
struct auth_cred_stats {
	uint64_t	users;
	uint64_t	per_alg[AUTH__NALG];
	uint64_t	loads;		/* successful loads since start */
	int64_t		loaded_at;	/* time() of the last one, 0 never */
};
void	auth_cred_stats(struct auth_cred_stats *st);

/* ---- checking a request (check.c) ------------------------------------------- */

struct sip_msg;

enum auth_outcome {
	AUTH_NONE = 0,		/* no credentials for the realm */
	AUTH_OK,		/* right response, fresh nonce, new nc */
	AUTH_FAILED,		/* unknown user, wrong response, malformed, unsupported */
	AUTH_STALE,		/* right response but the nonce is expired, not ours or replayed */
};

struct auth_result {
	enum auth_outcome outcome;
	char		 user[AUTH_USER_MAX];	/* the username the credentials give */
	int		 hdr;			/* index in m->hdrs of the header, -1 */
	enum auth_alg	 alg;
};

/*
 * Check the credentials of header type t (SIP_HDR_AUTHORIZATION or
 * SIP_HDR_PROXY_AUTHORIZATION) for realm in request m at time now (s):
 * Digest with qop=auth, MD5 or SHA-256 (one of auth_algorithms()), the
 * response digest computed from the stored HA1, then the nonce (ours,
 * fresh, nc above the last).  A wrong response is FAILED whatever the
 * nonce; a right one with a bad nonce is STALE, so only a client that knows
 * the password learns it may retry.  Thread-safe.
 */
void	auth_check(const struct sip_msg *m, int t, const char *realm, uint64_t now,
		   struct auth_result *res);

/*
 * Challenge header lines (CRLF each) for realm: one WWW-Authenticate (proxy
 * false) or Proxy-Authenticate per algorithm of auth_algorithms(), in that
 * order (RFC 7616 §3.7: most preferred first),
 * each with a fresh nonce, qop="auth" and stale=true when asked.  The length
 * written, or -ENOSPC / -EIO.
 */
int	auth_challenge(char *buf, size_t cap, bool proxy, const char *realm, bool stale,
		       uint64_t now);

#endif /* XR_AUTH_H */
