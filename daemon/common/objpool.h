/* SPDX-License-Identifier: GPL-2.0 */
/*
 * objpool.h - fixed-size object pools for the signalling records that live
 * by the thousand (transactions, proxy contexts, call records): memory from
 * 2 MB slabs (a transparent huge page each where the kernel gives one,
 * populated in one call) carved in order, and a free list that released
 * objects go back to.  Allocated one by one with calloc, each new record of
 * a load ramp faulted its own 4 KB pages (page faults and growing the heap
 * were a fifth of xrelayd's CPU a call: bench/README.md).  Thread-safe (a
 * mutex; objects are freed from liburcu's call_rcu thread too).  Slabs stay
 * mapped until xr_objpool_destroy(): the process keeps its peak.  An
 * AddressSanitizer build uses calloc/free, so a use after free is caught.
 */
#ifndef XR_OBJPOOL_H
#define XR_OBJPOOL_H

#include <pthread.h>
#include <stddef.h>

struct xr_objpool_slab;

/* A slab: one transparent huge page where the kernel gives one. */
#define XR_SLAB_BYTES	(2u << 20)

/*
 * XR_SLAB_BYTES of zeroed memory aligned on XR_SLAB_BYTES, a huge page asked
 * for (MADV_HUGEPAGE; THP "madvise" is Debian's default) and its pages
 * populated at once (MADV_POPULATE_WRITE, else one fault a page as used);
 * NULL with errno set.  munmap(slab, XR_SLAB_BYTES) gives it back.  Shared
 * with media/session_pool.c.
 */
void	*xr_slab_map(void);

struct xr_objpool {
	pthread_mutex_t		 lock;
	size_t			 size;		/* an object, rounded up to 16 */
	size_t			 per_slab;	/* objects a slab holds */
	void			*free;		/* released objects; under lock */
	struct xr_objpool_slab	*slabs;		/* newest first; under lock */
	size_t			 unused;	/* objects of slabs never given out */
	size_t			 out;		/* objects given out; under lock */
	size_t			 nslabs;	/* slabs carved from (current included) */
	struct xr_objpool_slab	*spare;		/* reserved slabs, not carved yet */
	size_t			 nspare;
};

/* A pool of objects of size bytes (up to 1 MB), static initialiser. */
#define XR_OBJPOOL_INIT(sz) { .lock = PTHREAD_MUTEX_INITIALIZER, .size = (sz) }

/* A zeroed object, or NULL with errno set (ENOMEM). */
void	*xr_objpool_zalloc(struct xr_objpool *p);
/* Give o (from this pool, or NULL) back. */
void	 xr_objpool_free(struct xr_objpool *p, void *o);
/*
 * Map and populate slabs now until the pool holds at least n objects in
 * all (given out, free, never used, reserved), so that taking up to n later
 * maps and zeroes no memory: the cost of touching it is paid at start, not
 * while the proxy carries load (memory touched first is slow, most of all
 * in a VM: 2-5 ms a 2 MB slab here against 0.1-0.4 ms reused; Kamailio's
 * shm_force_alloc does the same for its shared memory).  0, or -errno
 * (-ENOMEM: the slabs mapped so far stay reserved; -EINVAL: a bad object
 * size).  A no-op in an AddressSanitizer build.
 */
int	 xr_objpool_reserve(struct xr_objpool *p, size_t n);
/*
 * Objects the pool's memory holds (given out, free, never used, reserved):
 * constant while objects are taken without mapping more.  An
 * AddressSanitizer build: the objects given out.
 */
size_t	 xr_objpool_slots(struct xr_objpool *p);
/* Objects given out now. */
size_t	 xr_objpool_out(struct xr_objpool *p);
/* Unmap every slab (no object may be in use any more). */
void	 xr_objpool_destroy(struct xr_objpool *p);

#endif /* XR_OBJPOOL_H */
