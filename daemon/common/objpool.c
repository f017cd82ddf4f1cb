// SPDX-License-Identifier: GPL-2.0
/*
 * objpool.c - fixed-size object pools (objpool.h): 2 MB slabs, aligned on
 * 2 MB so the kernel can back each with one transparent huge page
 * (MADV_HUGEPAGE; THP "madvise" is Debian's default) and populated at once
 * (MADV_POPULATE_WRITE), then carved in order; released objects go on a
 * free list (the link in their first bytes) and are zeroed when given out
 * again; slabs reserved ahead (xr_objpool_reserve) wait on a spare list
 * until carving needs one.  Same scheme as media/session_pool.c, for any
 * size.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/objpool.h"

#define SLAB_BYTES	XR_SLAB_BYTES
#define SLAB_HEAD	64u		/* the slab header, objects after it */

#if defined(__SANITIZE_ADDRESS__)
#define OBJPOOL_MALLOC	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OBJPOOL_MALLOC	1
#endif
#endif

struct xr_objpool_slab {
	struct xr_objpool_slab	*next;
};

void *
xr_slab_map(void)
{
	char *m = mmap(NULL, 2 * XR_SLAB_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	if (m == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)m + XR_SLAB_BYTES - 1) & ~(uintptr_t)(XR_SLAB_BYTES - 1);
	if (a > (uintptr_t)m)
		munmap(m, a - (uintptr_t)m);
	munmap((char *)a + XR_SLAB_BYTES, (uintptr_t)m + XR_SLAB_BYTES - a);
	(void)madvise((void *)a, XR_SLAB_BYTES, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
	(void)madvise((void *)a, XR_SLAB_BYTES, MADV_POPULATE_WRITE);
#endif
	return (void *)a;
}

#ifndef OBJPOOL_MALLOC	/* an ASan build takes each object from calloc */
/* Fix the geometry on first use: 0, or -EINVAL for a size no slab takes. */
static int
geometry_locked(struct xr_objpool *p)
{
	if (p->per_slab)
		return 0;
	p->size = (p->size + 15) & ~(size_t)15;
	if (p->size < sizeof(void *) || p->size > (SLAB_BYTES - SLAB_HEAD) / 2)
		return -EINVAL;
	p->per_slab = (SLAB_BYTES - SLAB_HEAD) / p->size;
	return 0;
}

/* A new slab (a reserved one first), made the current one.  Call with p->lock held. */
static int
slab_add_locked(struct xr_objpool *p)
{
	struct xr_objpool_slab *sl = p->spare;

	if (sl) {
		p->spare = sl->next;
		p->nspare--;
	} else if (!(sl = xr_slab_map())) {
		return -errno;
	}
	sl->next = p->slabs;
	p->slabs = sl;
	p->unused = p->per_slab;
	p->nslabs++;
	return 0;
}
#endif

void *
xr_objpool_zalloc(struct xr_objpool *p)
{
#ifdef OBJPOOL_MALLOC
	void *o = calloc(1, p->size);

	if (o) {
		pthread_mutex_lock(&p->lock);
		p->out++;
		pthread_mutex_unlock(&p->lock);
	}
	return o;
#else
	void *o = NULL;
	bool fresh = false;
	int rc = 0;

	pthread_mutex_lock(&p->lock);
	if (geometry_locked(p) < 0) {
		pthread_mutex_unlock(&p->lock);
		errno = EINVAL;
		return NULL;
	}
	if (p->free) {
		o = p->free;
		p->free = *(void **)o;
	} else {
		if (!p->unused)
			rc = slab_add_locked(p);
		if (rc == 0) {	/* never given out: still zero from mmap() */
			o = (char *)p->slabs + SLAB_HEAD + (p->per_slab - p->unused--) * p->size;
			fresh = true;
		}
	}
	if (o)
		p->out++;
	pthread_mutex_unlock(&p->lock);
	if (!o) {
		errno = -rc;
		return NULL;
	}
	if (!fresh)
		memset(o, 0, p->size);
	return o;
#endif
}

void
xr_objpool_free(struct xr_objpool *p, void *o)
{
#ifdef OBJPOOL_MALLOC
	if (!o)
		return;
	free(o);
	pthread_mutex_lock(&p->lock);
	p->out--;
	pthread_mutex_unlock(&p->lock);
#else
	if (!o)
		return;
	pthread_mutex_lock(&p->lock);
	*(void **)o = p->free;
	p->free = o;
	p->out--;
	pthread_mutex_unlock(&p->lock);
#endif
}

int
xr_objpool_reserve(struct xr_objpool *p, size_t n)
{
#ifdef OBJPOOL_MALLOC
	(void)p;
	(void)n;
	return 0;
#else
	int rc;

	pthread_mutex_lock(&p->lock);
	rc = geometry_locked(p);
	while (rc == 0 && (p->nslabs + p->nspare) * p->per_slab < n) {
		struct xr_objpool_slab *sl = xr_slab_map();

		if (!sl) {
			rc = -errno;
			break;
		}
		sl->next = p->spare;
		p->spare = sl;
		p->nspare++;
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
#endif
}

size_t
xr_objpool_slots(struct xr_objpool *p)
{
	size_t n;

	pthread_mutex_lock(&p->lock);
#ifdef OBJPOOL_MALLOC
	n = p->out;	/* every object comes from calloc when taken */
#else
	n = (p->nslabs + p->nspare) * p->per_slab;
#endif
	pthread_mutex_unlock(&p->lock);
	return n;
}

size_t
xr_objpool_out(struct xr_objpool *p)
{
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = p->out;
	pthread_mutex_unlock(&p->lock);
	return n;
}

void
xr_objpool_destroy(struct xr_objpool *p)
{
	struct xr_objpool_slab *sl, *next;

	pthread_mutex_lock(&p->lock);
	for (int l = 0; l < 2; l++)	/* carved, then reserved */
		for (sl = l ? p->spare : p->slabs; sl; sl = next) {
			next = sl->next;
			munmap(sl, SLAB_BYTES);
		}
	p->slabs = NULL;
	p->spare = NULL;
	p->nspare = 0;
	p->free = NULL;
	p->unused = 0;
	p->nslabs = 0;
	p->out = 0;
	pthread_mutex_unlock(&p->lock);
}
