// SPDX-License-Identifier: GPL-2.0
/*
 * pike.c - per-source SIP request rate limit (pike.h).  Each thread that
 * calls pike_request() gets its own table of PIKE_SLOTS token buckets keyed
 * by source address (no locks: a UDP source stays on one worker through
 * SO_REUSEPORT hashing, a TCP connection on one worker; a source spread over
 * N workers gets up to N times the rate).  Owns the buckets and the totals;
 * bans go through ban.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/clock.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/addr.h"
#include "guard/ban.h"
#include "guard/pike.h"

#define PIKE_WAYS	8	/* slots probed per source */
#define MILLI		1000u	/* a request costs MILLI milli-tokens */

struct pike_slot {
	uint8_t		addr[16];	/* v4-mapped for IPv4 */
	uint8_t		used;
	uint8_t		exempt;		/* ban refused it (trusted): never limited */
	uint32_t	tokens;		/* milli-tokens */
	uint64_t	last_ms;	/* last refill */
	uint64_t	banned_until_ms;	/* ban asked for until then: not asked again */
};

static struct {
	unsigned	rate, burst, ban_s;	/* atomic loads */
	uint64_t	limited, banned, banned_dropped;	/* atomic adds */
	pthread_once_t	once;
	pthread_key_t	key;
} P = { .rate = 100, .burst = 300, .ban_s = 300, .once = PTHREAD_ONCE_INIT };

static __thread struct pike_slot *T;

static void
key_init(void)
{
	pthread_key_create(&P.key, free);
}

void
pike_configure(unsigned rate, unsigned burst, unsigned ban_s)
{
	__atomic_store_n(&P.rate, rate, __ATOMIC_RELAXED);
	__atomic_store_n(&P.burst, burst ? burst : 1, __ATOMIC_RELAXED);
	__atomic_store_n(&P.ban_s, ban_s, __ATOMIC_RELAXED);
}

/* FNV-1a over the 16 address bytes. */
static uint32_t
hash16(const uint8_t a[16])
{
	return xr_fnv32(XR_FNV32_INIT, a, 16);
}

/* Refill s up to now at rate a second, capped at burst. */
static void
refill(struct pike_slot *s, uint64_t now, unsigned rate, unsigned burst)
{
	uint64_t t = s->tokens, cap = (uint64_t)burst * MILLI;

	if (now > s->last_ms)
		t += (now - s->last_ms) * rate;	/* rate milli-tokens a ms */
	s->tokens = (uint32_t)(t > cap ? cap : t);
	s->last_ms = now;
}

/* The source's slot in this thread's table, taken over if need be; NULL: no memory. */
static struct pike_slot *
slot_of(const uint8_t a[16], uint64_t now, unsigned rate, unsigned burst)
{
	struct pike_slot *best = NULL;
	uint32_t h;

	if (!T) {
		pthread_once(&P.once, key_init);
		T = calloc(PIKE_SLOTS, sizeof(*T));
		if (!T)
			return NULL;
		pthread_setspecific(P.key, T);
	}
	h = hash16(a) % (PIKE_SLOTS - PIKE_WAYS);
	for (int i = 0; i < PIKE_WAYS; i++) {
		struct pike_slot *s = &T[h + i];

		if (s->used && memcmp(s->addr, a, 16) == 0)
			return s;
		if (!s->used) {
			if (!best || best->used)
				best = s;
			continue;
		}
		/* Least suspicious to forget: the fullest bucket, not banned. */
		if (best && !best->used)
			continue;
		refill(s, now, rate, burst);
		if (s->banned_until_ms <= now && (!best || s->tokens > best->tokens))
			best = s;
	}
	if (!best)
		best = &T[h];
	memset(best, 0, sizeof(*best));
	memcpy(best->addr, a, 16);
	best->used = 1;
	best->tokens = burst * MILLI;
	best->last_ms = now;
	return best;
}

bool
pike_request_at(const union xr_sa *src, uint64_t now)
{
	unsigned rate = __atomic_load_n(&P.rate, __ATOMIC_RELAXED);
	unsigned burst = __atomic_load_n(&P.burst, __ATOMIC_RELAXED);
	unsigned ban_s = __atomic_load_n(&P.ban_s, __ATOMIC_RELAXED);
	struct pike_slot *s;
	uint8_t a[16];
	char buf[XR_SA_STRLEN];
	int err;

	if (ban_check(src)) {
		__atomic_add_fetch(&P.banned_dropped, 1, __ATOMIC_RELAXED);
		return false;
	}
	if (!rate)
		return true;
	xr_sa_addr16(src, a);
	s = slot_of(a, now, rate, burst);
	if (!s || s->exempt)
		return true;
	refill(s, now, rate, burst);
	if (s->tokens >= MILLI) {
		s->tokens -= MILLI;
		return true;
	}
	__atomic_add_fetch(&P.limited, 1, __ATOMIC_RELAXED);
	if (ban_s && s->banned_until_ms <= now) {
		union xr_sa h = *src;

		xr_sa_set_port(&h, 0);
		err = ban_add(&h, h.sa.sa_family == AF_INET6 &&
			      !IN6_IS_ADDR_V4MAPPED(&h.sin6.sin6_addr) ? 128 : 32,
			      ban_s, XR_BAN_PIKE);
		if (err == -EPERM) {
			s->exempt = 1;	/* trusted: never limited */
			return true;
		}
		s->banned_until_ms = now + (uint64_t)ban_s * 1000u;
		if (err == 0)
			__atomic_add_fetch(&P.banned, 1, __ATOMIC_RELAXED);
		logs(LS_SIP, LL_WARN, "%s: over %u SIP requests/s (burst %u): banned for %u s%s",
		     xr_sa_ipstr(src, buf, sizeof(buf)), rate, burst, ban_s,
		     err ? " (the ban failed)" : "");
	}
	return false;
}

bool
pike_request(const union xr_sa *src)
{
	return pike_request_at(src, xr_clock_ms(CLOCK_MONOTONIC_COARSE));
}

json_t *
pike_stats_json(void)
{
	return json_pack("{s:i, s:i, s:i, s:I, s:I, s:I, s:i}",
			 "rate", (int)__atomic_load_n(&P.rate, __ATOMIC_RELAXED),
			 "burst", (int)__atomic_load_n(&P.burst, __ATOMIC_RELAXED),
			 "ban_time", (int)__atomic_load_n(&P.ban_s, __ATOMIC_RELAXED),
			 "limited", (json_int_t)__atomic_load_n(&P.limited, __ATOMIC_RELAXED),
			 "banned", (json_int_t)__atomic_load_n(&P.banned, __ATOMIC_RELAXED),
			 "banned_dropped",
			 (json_int_t)__atomic_load_n(&P.banned_dropped, __ATOMIC_RELAXED),
			 "bans", ban_count());
}

void
pike_thread_fini(void)
{
	if (T) {
		pthread_setspecific(P.key, NULL);
		free(T);
		T = NULL;
	}
}
