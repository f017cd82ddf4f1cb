/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dns.h - host names resolved off the SIP workers (issue 14): a cache of
 * answers with their TTLs and of failures (cache.c, pure, unit-tested), and
 * a resolver thread running c-ares on its own libev loop (resolver.c).  A
 * worker never waits: a lookup answers from the cache at once, or says
 * "in progress" and calls back when the query ends; the number of pending
 * queries and of waiters is bounded, a query has a short timeout
 * (--dns-timeout).  RFC 3263 without NAPTR: a key "_sip._udp.HOST" (or
 * _tcp) is an SRV lookup with A/AAAA of its target (port from the record),
 * falling back to HOST's A/AAAA; any other key is A/AAAA.
 */
#ifndef XR_DNS_H
#define XR_DNS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"

#define DNS_NAME_MAX	253	/* longest host name (RFC 1035 text form) */
#define DNS_MIN_TTL	5	/* s: an answer is kept at least this long, so the
				 * request that waited for it finds it */
#define DNS_MAX_TTL	3600	/* s: and at most this long */
#define DNS_NEG_TTL	30	/* s: "no such name" / "no address" remembered */
#define DNS_FAIL_TTL	5	/* s: a timeout or server failure remembered */
#define DNS_SRV_TTL	300	/* s: at most, for an SRV answer (its own TTL is not parsed) */

/*
 * Called once when the query a waiter joined ends: status 0 (the answer is
 * in the cache now) or -errno as dns_lookup() returns them.  Runs on the
 * resolver thread (or, for dnsc_*, the thread calling dnsc_complete) with
 * no lock held; keep it short (post a job).
 */
typedef void (*dns_cb)(void *arg, int status);

struct dns_waiter {
	struct dns_waiter	*next;
	dns_cb			 cb;
	void			*arg;
};

struct dns_entry {
	struct dns_entry	*next;		/* bucket chain */
	char			 name[DNS_NAME_MAX + 1];	/* lower case */
	bool			 pending;	/* a query is under way */
	int			 status;	/* 0 or -errno, when !pending */
	union xr_sa		 addr;		/* the address (port: SRV's, else 0), when status 0 */
	uint64_t		 expires_ms;	/* when !pending */
	struct dns_waiter	*waiters;	/* when pending */
	unsigned		 nwaiters;
};

/* The cache: every field under lock. */
struct dns_cache {
	pthread_mutex_t		 lock;
	struct dns_entry	**tab;
	unsigned		 nbuckets;
	unsigned		 n, max_entries;	/* entries, pending ones included */
	unsigned		 npending, max_pending;	/* queries under way */
	unsigned		 nwaiters, max_waiters;	/* requests waiting, all queries */
	unsigned		 evict_at;		/* bucket the next eviction starts at */
};

int	dnsc_init(struct dns_cache *c, unsigned max_entries, unsigned max_pending,
		  unsigned max_waiters);
/* Free everything; waiters are dropped without a call. */
void	dnsc_fini(struct dns_cache *c);
/*
 * Look name up at now_ms.  0 and *addr (port from an SRV record, else 0):
 * a cached answer.
 * -EINPROGRESS: a query is under way (*start true: the caller must start
 * it, dnsc_complete() ends it); with cb, cb(arg, status) is called once it
 * ends.  A cached failure: -ENOENT (no such name, no address), -ETIMEDOUT,
 * -EIO (server failure).  -ENOBUFS: too many queries or waiters pending
 * (nothing started, cb never called).  -EINVAL: no name.
 */
int	dnsc_lookup(struct dns_cache *c, const char *name, uint64_t now_ms, union xr_sa *addr,
		    dns_cb cb, void *arg, bool *start);
/*
 * The query for name ended at now_ms: status 0 with addr and its TTL (s,
 * clamped to DNS_MIN_TTL..DNS_MAX_TTL), or -errno (remembered DNS_NEG_TTL
 * for -ENOENT, DNS_FAIL_TTL for others).  Its waiters are called, after
 * the lock is released.
 */
void	dnsc_complete(struct dns_cache *c, const char *name, uint64_t now_ms, int status,
		      const union xr_sa *addr, unsigned ttl_s);
/* Queries under way and requests waiting on them. */
void	dnsc_counts(struct dns_cache *c, unsigned *pending, unsigned *waiters,
		    unsigned *entries);

/* ---- the resolver (resolver.c) ------------------------------------------- */

struct dns_cfg {
	int		 timeout_ms;	/* one query's time (--dns-timeout) */
	unsigned	 max_pending;	/* queries under way at once (--dns-max-pending) */
	const char	*servers;	/* "ADDR[:PORT],..." or NULL: /etc/resolv.conf */
	/* Told of every query that ended (counters); may be NULL.  Resolver thread. */
	void		(*query_done)(int status);
};

/* Start the resolver thread.  0 or -errno. */
int	dns_start(const struct dns_cfg *cfg);
/*
 * Stop the thread: pending queries end with -ECANCELED (their waiters are
 * called, on this thread), later ones at once.  The cache stays for the
 * threads that may still look up, until dns_fini().
 */
void	dns_stop(void);
/* dns_stop(), then free the cache: nobody may look up any more. */
void	dns_fini(void);
/*
 * As dnsc_lookup() on the resolver's cache, starting the query when one is
 * needed (after dns_stop(): ended at once, -ECANCELED to the waiter);
 * -ENOTCONN when there is no resolver.  Any thread, never blocks.
 */
int	dns_lookup(const char *name, union xr_sa *addr, dns_cb cb, void *arg);

#endif /* XR_DNS_H */
