/* SPDX-License-Identifier: GPL-2.0 */
/*
 * quota.h - per-source-address counts of daemon/guard (quota.c): how many
 * units of some state (media sessions, ...) each address holds, so one
 * address can be held to a bound (--max-media-sessions-per-source).  An
 * address holding nothing takes no memory.  Thread-safe (one mutex).
 */
#ifndef XR_GUARD_QUOTA_H
#define XR_GUARD_QUOTA_H

#include "common/addr.h"

struct quota;

/* A table of buckets hash chains (rounded up to a power of two).  NULL: no memory. */
struct quota	*quota_new(unsigned buckets);
/* Free it, with whatever is still held. */
void		 quota_free(struct quota *q);
/*
 * One more unit for src's address (the port does not count) unless it holds
 * max already (max 0: no bound).  0, -EDQUOT (at max), -ENOMEM.
 */
int		 quota_take(struct quota *q, const union xr_sa *src, unsigned max);
/* Give one unit of src's back (none held: nothing happens). */
void		 quota_put(struct quota *q, const union xr_sa *src);
/* Units src's address holds. */
unsigned	 quota_held(struct quota *q, const union xr_sa *src);
/* Addresses holding at least one unit. */
unsigned	 quota_sources(struct quota *q);

#endif /* XR_GUARD_QUOTA_H */
