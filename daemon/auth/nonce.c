// SPDX-License-Identifier: GPL-2.0
/*
 * nonce.c - stateless digest nonces (RFC 7616 §3.3, §5.4): a nonce is
 * hex(id) hex(issue time) hex(HMAC-SHA256(secret, id|time|realm)), so any
 * worker can check one without a table of issued nonces, and an expired one
 * is recognised as ours (stale=true).  The one piece of state is the bounded
 * replay table: the first accepted use of nonce id claims slot id % SLOTS and
 * later uses must raise nc; a nonce whose slot a newer id took is stale.
 * Owns the secret (RAND_bytes, per process) and the table; no policy.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth/auth.h"

#define NONCE_SECRET	32	/* bytes of HMAC key */
#define NONCE_MAC	16	/* bytes of the HMAC kept in the nonce */
#define NONCE_LOCKS	256	/* lock stripes over the replay table */
#define NONCE_SKEW	5	/* seconds a nonce may come from the future (clock step) */

struct nc_slot {
	uint64_t	id;	/* nonce id that owns the slot, 0: free */
	uint32_t	nc;	/* highest nonce-count accepted with it */
};

static unsigned char	 nonce_secret[NONCE_SECRET];
static uint64_t		 nonce_next_id;	/* atomic */
static int		 nonce_ttl = 300;	/* seconds; atomic */
static struct nc_slot	*nonce_slots;
static pthread_mutex_t	 nonce_locks[NONCE_LOCKS];

int
auth_nonce_init(int ttl)
{
	auth_nonce_fini();
	if (RAND_bytes(nonce_secret, sizeof(nonce_secret)) != 1)
		return -EIO;
	nonce_slots = calloc(AUTH_NC_SLOTS, sizeof(*nonce_slots));
	if (!nonce_slots)
		return -ENOMEM;
	for (int i = 0; i < NONCE_LOCKS; i++)
		pthread_mutex_init(&nonce_locks[i], NULL);
	__atomic_store_n(&nonce_next_id, 1, __ATOMIC_RELAXED);
	auth_nonce_set_ttl(ttl);
	return 0;
}

void
auth_nonce_fini(void)
{
	if (!nonce_slots)
		return;
	for (int i = 0; i < NONCE_LOCKS; i++)
		pthread_mutex_destroy(&nonce_locks[i]);
	free(nonce_slots);
	nonce_slots = NULL;
	OPENSSL_cleanse(nonce_secret, sizeof(nonce_secret));
}

void
auth_nonce_set_ttl(int ttl)
{
	__atomic_store_n(&nonce_ttl, ttl, __ATOMIC_RELAXED);
}

/* hex(HMAC(secret, "id.time.realm"))[0..NONCE_MAC) into out (2*NONCE_MAC + 1). */
static int
nonce_mac(uint64_t id, uint64_t t, const char *realm, size_t realmlen, char *out)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE], data[16 + AUTH_REALM_MAX];
	unsigned int mdlen = 0;

	if (realmlen > AUTH_REALM_MAX)
		realmlen = AUTH_REALM_MAX;
	for (int i = 0; i < 8; i++) {
		data[i] = (unsigned char)(id >> (56 - 8 * i));
		data[8 + i] = (unsigned char)(t >> (56 - 8 * i));
	}
	memcpy(data + 16, realm, realmlen);
	if (!HMAC(EVP_sha256(), nonce_secret, sizeof(nonce_secret), data, 16 + realmlen, md,
		  &mdlen) || mdlen < NONCE_MAC)
		return -EIO;
	for (int i = 0; i < NONCE_MAC; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * NONCE_MAC] = '\0';
	return 0;
}

int
auth_nonce_make(const char *realm, uint64_t now, char *out)
{
	uint64_t id = __atomic_fetch_add(&nonce_next_id, 1, __ATOMIC_RELAXED);

	snprintf(out, AUTH_NONCE_LEN + 1, "%016llx%016llx", (unsigned long long)id,
		 (unsigned long long)now);
	return nonce_mac(id, now, realm, strlen(realm), out + 32);
}

static int
hex16(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	for (int i = 0; i < 16; i++) {
		char c = s[i];
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return -EINVAL;
		x = x << 4 | (uint64_t)d;
	}
	*v = x;
	return 0;
}

enum auth_nonce_state
auth_nonce_check(const char *realm, struct sip_str nonce, uint64_t now)
{
	char mac[2 * NONCE_MAC + 1];
	uint64_t id, t;
	int ttl = __atomic_load_n(&nonce_ttl, __ATOMIC_RELAXED);

	if (nonce.len != AUTH_NONCE_LEN || hex16(nonce.s, &id) < 0 ||
	    hex16(nonce.s + 16, &t) < 0 || id == 0)
		return AUTH_NONCE_BAD;
	if (nonce_mac(id, t, realm, strlen(realm), mac) < 0 ||
	    CRYPTO_memcmp(mac, nonce.s + 32, 2 * NONCE_MAC) != 0)
		return AUTH_NONCE_BAD;
	if (t > now + NONCE_SKEW)
		return AUTH_NONCE_BAD;
	if (now > t && now - t > (uint64_t)ttl)
		return AUTH_NONCE_STALE;
	return AUTH_NONCE_OK;
}

enum auth_nonce_state
auth_nonce_use(struct sip_str nonce, uint32_t nc)
{
	enum auth_nonce_state st;
	struct nc_slot *s;
	pthread_mutex_t *l;
	uint64_t id;

	if (!nonce_slots || nonce.len != AUTH_NONCE_LEN || hex16(nonce.s, &id) < 0)
		return AUTH_NONCE_BAD;
	s = &nonce_slots[id % AUTH_NC_SLOTS];
	l = &nonce_locks[(id % AUTH_NC_SLOTS) % NONCE_LOCKS];
	pthread_mutex_lock(l);
	if (s->id == id) {
		st = nc > s->nc ? AUTH_NONCE_OK : AUTH_NONCE_REPLAY;
		if (st == AUTH_NONCE_OK)
			s->nc = nc;
	} else if (s->id < id) {
		/* First use (an older nonce's slot, or a free one): claim it. */
		s->id = id;
		s->nc = nc;
		st = AUTH_NONCE_OK;
	} else {
		st = AUTH_NONCE_STALE;	/* a newer nonce took the slot */
	}
	pthread_mutex_unlock(l);
	return st;
}
