// SPDX-License-Identifier: GPL-2.0
/*
 * queue.c - the bounded queue between the threads that change state (SIP
 * workers, the relay, ctl) and the Redis thread.  A change is only "this
 * object changed": the writer reads the object when it writes it, so a
 * queue entry is small, order does not matter and the newest state wins.
 * Pushing takes a mutex for a copy and never waits for Redis; a full queue
 * drops the change and asks for a full re-sync instead.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "ha/ha_int.h"

static struct {
	pthread_mutex_t	 lock;
	struct ha_item	*ring;		/* HA_QUEUE_MAX entries */
	unsigned	 head, n;	/* under lock */
	bool		 overflow;	/* under lock */
} q = { .lock = PTHREAD_MUTEX_INITIALIZER };

void (*ha_queue_wake)(void);

int
ha_queue_init(void)
{
	q.ring = calloc(HA_QUEUE_MAX, sizeof(*q.ring));
	q.head = q.n = 0;
	q.overflow = false;
	return q.ring ? 0 : -ENOMEM;
}

void
ha_queue_fini(void)
{
	pthread_mutex_lock(&q.lock);
	free(q.ring);
	q.ring = NULL;
	q.n = 0;
	pthread_mutex_unlock(&q.lock);
}

void
ha_queue_push(enum ha_kind kind, uint64_t id, const char *aor)
{
	struct ha_item *it;
	bool pushed = false;

	pthread_mutex_lock(&q.lock);
	if (q.ring && q.n < HA_QUEUE_MAX) {
		it = &q.ring[(q.head + q.n) % HA_QUEUE_MAX];
		it->kind = kind;
		it->id = id;
		it->t_ns = xr_mono_ns();
		if (aor)
			snprintf(it->aor, sizeof(it->aor), "%s", aor);
		else
			it->aor[0] = '\0';
		q.n++;
		pushed = true;
	} else if (q.ring) {
		q.overflow = true;
	}
	pthread_mutex_unlock(&q.lock);
	if (pushed)
		__atomic_add_fetch(&ha.queued, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&ha.dropped, 1, __ATOMIC_RELAXED);
	if (ha_queue_wake)
		ha_queue_wake();
}

bool
ha_queue_pop(struct ha_item *out)
{
	bool got = false;

	pthread_mutex_lock(&q.lock);
	if (q.ring && q.n) {
		*out = q.ring[q.head];
		q.head = (q.head + 1) % HA_QUEUE_MAX;
		q.n--;
		got = true;
	}
	pthread_mutex_unlock(&q.lock);
	if (got)
		__atomic_sub_fetch(&ha.queued, 1, __ATOMIC_RELAXED);
	return got;
}

uint64_t
ha_queue_oldest_ns(void)
{
	uint64_t t = 0;

	pthread_mutex_lock(&q.lock);
	if (q.ring && q.n)
		t = q.ring[q.head].t_ns;
	pthread_mutex_unlock(&q.lock);
	return t;
}

bool
ha_queue_take_overflow(void)
{
	bool o;

	pthread_mutex_lock(&q.lock);
	o = q.overflow;
	q.overflow = false;
	pthread_mutex_unlock(&q.lock);
	return o;
}
