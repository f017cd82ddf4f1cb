// SPDX-License-Identifier: GPL-2.0
/*
 * authfail.c - counts failed digest authentications per source address in a
 * fixed table (AUTHFAIL_SLOTS, probed AUTHFAIL_WAYS slots from the address's
 * hash; the stalest of them is reused), one mutex: failures are rare next to
 * requests, and pike bounds their rate.  The n-th failure within the window
 * asks ban.c for a ban (XR_BAN_AUTH).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "common/clock.h"
#include "common/hash.h"
#include "common/addr.h"
#include "guard/authfail.h"
#include "guard/ban.h"

#define AUTHFAIL_WAYS	8

struct af_slot {
	uint8_t		addr[16];	/* v4-mapped for IPv4 */
	bool		used;
	unsigned	fails;		/* in the window that began at start_ms */
	uint64_t	start_ms;
	uint64_t	last_ms;
};

static struct af_slot	AF[AUTHFAIL_SLOTS];	/* under af_lock */
static pthread_mutex_t	af_lock = PTHREAD_MUTEX_INITIALIZER;

/* a's slot; when create, a free or the stalest one taken over.  Call with af_lock held. */
static struct af_slot *
af_slot(const uint8_t a[16], bool create)
{
	uint32_t h = xr_fnv32(XR_FNV32_INIT, a, 16) % (AUTHFAIL_SLOTS - AUTHFAIL_WAYS);
	struct af_slot *victim = NULL;

	for (int i = 0; i < AUTHFAIL_WAYS; i++) {
		struct af_slot *s = &AF[h + i];

		if (s->used && memcmp(s->addr, a, 16) == 0)
			return s;
		if (!victim || (victim->used && (!s->used || s->last_ms < victim->last_ms)))
			victim = s;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->addr, a, 16);
	victim->used = true;
	return victim;
}

int
authfail_note_at(const union xr_sa *src, unsigned n, unsigned window_s, unsigned ban_s,
		 uint64_t now_ms)
{
	struct af_slot *s;
	bool ban = false;
	uint8_t a[16];

	if (n == 0)
		return 0;
	xr_sa_addr16(src, a);
	pthread_mutex_lock(&af_lock);
	s = af_slot(a, true);
	if (s->fails == 0 || now_ms - s->start_ms >= (uint64_t)window_s * 1000) {
		s->fails = 0;
		s->start_ms = now_ms;
	}
	s->last_ms = now_ms;
	if (++s->fails >= n) {
		ban = ban_s > 0;
		s->used = false;	/* counted afresh after the ban */
		s->fails = 0;
	}
	pthread_mutex_unlock(&af_lock);
	if (!ban)
		return 0;
	{
		union xr_sa p = *src;
		int rc;

		xr_sa_set_port(&p, 0);
		rc = ban_add(&p, src->sa.sa_family == AF_INET6 ? 128 : 32, ban_s, XR_BAN_AUTH);
		return rc < 0 ? rc : 1;
	}
}

int
authfail_note(const union xr_sa *src, unsigned n, unsigned window_s, unsigned ban_s)
{
	return authfail_note_at(src, n, window_s, ban_s, xr_mono_ms());
}

void
authfail_clear(const union xr_sa *src)
{
	struct af_slot *s;
	uint8_t a[16];

	xr_sa_addr16(src, a);
	pthread_mutex_lock(&af_lock);
	s = af_slot(a, false);
	if (s)
		s->used = false;
	pthread_mutex_unlock(&af_lock);
}

unsigned
authfail_count(const union xr_sa *src)
{
	struct af_slot *s;
	uint8_t a[16];
	unsigned n;

	xr_sa_addr16(src, a);
	pthread_mutex_lock(&af_lock);
	s = af_slot(a, false);
	n = s ? s->fails : 0;
	pthread_mutex_unlock(&af_lock);
	return n;
}

void
authfail_reset(void)
{
	pthread_mutex_lock(&af_lock);
	memset(AF, 0, sizeof(AF));
	pthread_mutex_unlock(&af_lock);
}
