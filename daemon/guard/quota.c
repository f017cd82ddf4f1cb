// SPDX-License-Identifier: GPL-2.0
/*
 * quota.c - per-source-address unit counts (quota.h): hash chains of
 * {address, units} under one mutex; an entry goes when its count drops to
 * zero, so memory follows the addresses that hold something, which the
 * bound itself keeps in check.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/addr.h"
#include "guard/quota.h"

struct quota_ent {
	struct quota_ent	*next;
	uint8_t			 addr[16];	/* v4-mapped for IPv4 */
	unsigned		 units;
};

struct quota {
	pthread_mutex_t		 lock;
	unsigned		 mask;		/* buckets - 1 */
	unsigned		 nsrc;		/* entries (addresses holding units) */
	struct quota_ent	*b[];		/* under lock */
};

struct quota *
quota_new(unsigned buckets)
{
	unsigned n = 16;
	struct quota *q;

	while (n < buckets && n < (1u << 24))
		n <<= 1;
	q = calloc(1, sizeof(*q) + n * sizeof(q->b[0]));
	if (!q)
		return NULL;
	pthread_mutex_init(&q->lock, NULL);
	q->mask = n - 1;
	return q;
}

void
quota_free(struct quota *q)
{
	if (!q)
		return;
	for (unsigned i = 0; i <= q->mask; i++)
		while (q->b[i]) {
			struct quota_ent *e = q->b[i];

			q->b[i] = e->next;
			free(e);
		}
	pthread_mutex_destroy(&q->lock);
	free(q);
}

/* The link that points at a's entry (or at the NULL ending its chain).  Call with q->lock held. */
static struct quota_ent **
quota_find(struct quota *q, const uint8_t a[16])
{
	struct quota_ent **pp = &q->b[xr_fnv32(XR_FNV32_INIT, a, 16) & q->mask];

	while (*pp && memcmp((*pp)->addr, a, 16) != 0)
		pp = &(*pp)->next;
	return pp;
}

int
quota_take(struct quota *q, const union xr_sa *src, unsigned max)
{
	struct quota_ent **pp, *e;
	uint8_t a[16];
	int rc = 0;

	xr_sa_addr16(src, a);
	pthread_mutex_lock(&q->lock);
	pp = quota_find(q, a);
	e = *pp;
	if (e && max > 0 && e->units >= max) {
		rc = -EDQUOT;
	} else if (e) {
		e->units++;
	} else {
		e = calloc(1, sizeof(*e));
		if (!e) {
			rc = -ENOMEM;
		} else {
			memcpy(e->addr, a, 16);
			e->units = 1;
			*pp = e;
			q->nsrc++;
		}
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void
quota_put(struct quota *q, const union xr_sa *src)
{
	struct quota_ent **pp, *e;
	uint8_t a[16];

	xr_sa_addr16(src, a);
	pthread_mutex_lock(&q->lock);
	pp = quota_find(q, a);
	e = *pp;
	if (e && --e->units == 0) {
		*pp = e->next;
		q->nsrc--;
		free(e);
	}
	pthread_mutex_unlock(&q->lock);
}

unsigned
quota_held(struct quota *q, const union xr_sa *src)
{
	struct quota_ent *e;
	uint8_t a[16];
	unsigned n;

	xr_sa_addr16(src, a);
	pthread_mutex_lock(&q->lock);
	e = *quota_find(q, a);
	n = e ? e->units : 0;
	pthread_mutex_unlock(&q->lock);
	return n;
}

unsigned
quota_sources(struct quota *q)
{
	unsigned n;

	pthread_mutex_lock(&q->lock);
	n = q->nsrc;
	pthread_mutex_unlock(&q->lock);
	return n;
}
