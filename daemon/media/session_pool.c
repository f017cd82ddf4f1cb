// SPDX-License-Identifier: GPL-2.0
/*
 * session_pool.c - memory for struct media_session (session_internal.h):
 * 2 MB slabs (a transparent huge page each where the kernel gives one),
 * populated in one call, carved in order, and a free list (under its
 * mutex) that deleted sessions return to after their RCU grace period.  A
 * session is ~3 KB: allocated one by one, every new one faulted in its own
 * pages, which was half of media.create's cost on this VM.  Slabs stay
 * mapped until media_stop() (the process keeps its peak); an
 * AddressSanitizer build uses calloc/free, so a use after free is still
 * caught.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/objpool.h"
#include "media/session_internal.h"

#define SLAB_BYTES	XR_SLAB_BYTES	/* a slab: xr_slab_map() */

#if defined(__SANITIZE_ADDRESS__)
#define POOL_MALLOC	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_MALLOC	1
#endif
#endif

union pool_item {
	struct media_session	 s;
	union pool_item		*next;	/* while on the free list */
};

struct slab {
	struct slab	*next;
	union pool_item	 item[];
};

/* Sessions in a slab (~650). */
#define SLAB_SESSIONS	((int)((SLAB_BYTES - sizeof(struct slab)) / sizeof(union pool_item)))

static struct {
	pthread_mutex_t	 lock;
	union pool_item	*free;		/* given back; under lock */
	struct slab	*slabs;		/* newest first; under lock */
	int		 unused;	/* items of slabs->item never given out (the
					 * last ones); under lock */
	size_t		 out;		/* sessions given out; under lock */
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER };

#ifndef POOL_MALLOC	/* an ASan build takes each object from calloc */
/* A new slab (xr_slab_map()), made the current one.  Call with pool.lock held. */
static int
slab_add_locked(void)
{
	struct slab *sl = xr_slab_map();

	if (!sl)
		return -errno;
	sl->next = pool.slabs;
	pool.slabs = sl;
	pool.unused = SLAB_SESSIONS;
	return 0;
}
#endif

struct media_session *
session_alloc(void)
{
#ifdef POOL_MALLOC
	return calloc(1, sizeof(struct media_session));
#else
	union pool_item *it = NULL;
	bool fresh = false;
	int rc = 0;

	pthread_mutex_lock(&pool.lock);
	if (pool.free) {
		it = pool.free;
		pool.free = it->next;
	} else {
		if (!pool.unused)
			rc = slab_add_locked();
		if (rc == 0) {	/* never used: still zero from mmap() */
			it = &pool.slabs->item[SLAB_SESSIONS - pool.unused--];
			fresh = true;
		}
	}
	if (it)
		pool.out++;
	pthread_mutex_unlock(&pool.lock);
	if (!it) {
		errno = -rc;
		return NULL;
	}
	if (!fresh)
		memset(&it->s, 0, sizeof(it->s));
	return &it->s;
#endif
}

void
session_release(struct media_session *s)
{
#ifdef POOL_MALLOC
	free(s);
#else
	union pool_item *it = (union pool_item *)s;

	if (!s)
		return;
	pthread_mutex_lock(&pool.lock);
	it->next = pool.free;
	pool.free = it;
	pool.out--;
	pthread_mutex_unlock(&pool.lock);
#endif
}

int
session_pool_drop(void)
{
	int rc = 0;

	pthread_mutex_lock(&pool.lock);
	if (pool.out) {
		rc = -EBUSY;	/* a session is still out: keep everything */
	} else {
		while (pool.slabs) {
			struct slab *sl = pool.slabs;

			pool.slabs = sl->next;
			munmap(sl, SLAB_BYTES);
		}
		pool.free = NULL;
		pool.unused = 0;
	}
	pthread_mutex_unlock(&pool.lock);
	return rc;
}
