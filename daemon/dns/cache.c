// SPDX-License-Identifier: GPL-2.0
/*
 * cache.c - the DNS cache of dns.h: answers and failures by host name with
 * their expiry, the queries under way with the requests waiting on them,
 * and the bounds (entries, pending queries, waiters).  Pure: time is an
 * argument, nothing here sends a packet; resolver.c does.  A full cache
 * drops expired entries first, then any finished one (never a pending one).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "dns/dns.h"

int
dnsc_init(struct dns_cache *c, unsigned max_entries, unsigned max_pending,
	  unsigned max_waiters)
{
	memset(c, 0, sizeof(*c));
	c->nbuckets = 256;
	while (c->nbuckets < max_entries / 2 && c->nbuckets < 65536)
		c->nbuckets *= 2;
	c->tab = calloc(c->nbuckets, sizeof(*c->tab));
	if (!c->tab)
		return -ENOMEM;
	c->max_entries = max_entries ? max_entries : 1;
	c->max_pending = max_pending ? max_pending : 1;
	c->max_waiters = max_waiters ? max_waiters : 1;
	pthread_mutex_init(&c->lock, NULL);
	return 0;
}

static void
waiters_free(struct dns_waiter *w)
{
	struct dns_waiter *n;

	for (; w; w = n) {
		n = w->next;
		free(w);
	}
}

void
dnsc_fini(struct dns_cache *c)
{
	struct dns_entry *e, *n;

	if (!c->tab)
		return;
	for (unsigned i = 0; i < c->nbuckets; i++) {
		for (e = c->tab[i]; e; e = n) {
			n = e->next;
			waiters_free(e->waiters);
			free(e);
		}
	}
	free(c->tab);
	c->tab = NULL;
	pthread_mutex_destroy(&c->lock);
}

/* name in lower case into out; false when empty or too long. */
static bool
norm_name(const char *name, char *out)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > DNS_NAME_MAX)
		return false;
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)name[i]);
	return true;
}

static unsigned
bucket_of(const struct dns_cache *c, const char *name)
{
	return (unsigned)(xr_fnv64(XR_FNV64_INIT, name, strlen(name)) % c->nbuckets);
}

/* Call with c->lock held. */
static struct dns_entry **
find_locked(struct dns_cache *c, const char *name)
{
	struct dns_entry **pp = &c->tab[bucket_of(c, name)];

	for (; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0)
			return pp;
	return NULL;
}

/* Unlink and free *pp (finished).  Call with c->lock held. */
static void
drop_locked(struct dns_cache *c, struct dns_entry **pp)
{
	struct dns_entry *e = *pp;

	*pp = e->next;
	free(e);
	c->n--;
}

/*
 * Room for one more entry: expired ones go first, then finished ones from
 * a rotating bucket (a flood of names cannot pin the cache).  True when
 * there is room.  Call with c->lock held.
 */
static bool
make_room_locked(struct dns_cache *c, uint64_t now)
{
	struct dns_entry **pp;
	unsigned i, b;

	if (c->n < c->max_entries)
		return true;
	for (i = 0; i < c->nbuckets; i++)
		for (pp = &c->tab[i]; *pp; )
			if (!(*pp)->pending && (*pp)->expires_ms <= now)
				drop_locked(c, pp);
			else
				pp = &(*pp)->next;
	for (i = 0; i < c->nbuckets && c->n >= c->max_entries; i++) {
		b = (c->evict_at + i) % c->nbuckets;
		for (pp = &c->tab[b]; *pp && c->n >= c->max_entries; )
			if (!(*pp)->pending)
				drop_locked(c, pp);
			else
				pp = &(*pp)->next;
	}
	c->evict_at = (c->evict_at + 1) % c->nbuckets;
	return c->n < c->max_entries;
}

/* Add a waiter to pending e.  0 or -ENOBUFS/-ENOMEM.  Call with c->lock held. */
static int
wait_locked(struct dns_cache *c, struct dns_entry *e, dns_cb cb, void *arg)
{
	struct dns_waiter *w;

	if (!cb)
		return 0;
	if (c->nwaiters >= c->max_waiters)
		return -ENOBUFS;
	w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->cb = cb;
	w->arg = arg;
	w->next = e->waiters;
	e->waiters = w;
	e->nwaiters++;
	c->nwaiters++;
	return 0;
}

int
dnsc_lookup(struct dns_cache *c, const char *name, uint64_t now, union xr_sa *addr,
	    dns_cb cb, void *arg, bool *start)
{
	char key[DNS_NAME_MAX + 1];
	struct dns_entry **pp, *e;
	int rc;

	*start = false;
	if (!norm_name(name, key))
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	pp = find_locked(c, key);
	e = pp ? *pp : NULL;
	if (e && !e->pending && e->expires_ms <= now) {
		drop_locked(c, pp);		/* expired: ask again */
		e = NULL;
	}
	if (e && !e->pending) {
		rc = e->status;
		if (rc == 0)
			*addr = e->addr;
		goto out;
	}
	if (e) {
		rc = wait_locked(c, e, cb, arg);
		if (rc == 0)
			rc = -EINPROGRESS;
		goto out;
	}
	if (c->npending >= c->max_pending || (cb && c->nwaiters >= c->max_waiters) ||
	    !make_room_locked(c, now)) {
		rc = -ENOBUFS;
		goto out;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(e->name, key, sizeof(key));
	e->pending = true;
	rc = wait_locked(c, e, cb, arg);
	if (rc < 0) {
		free(e);
		goto out;
	}
	e->next = c->tab[bucket_of(c, key)];
	c->tab[bucket_of(c, key)] = e;
	c->n++;
	c->npending++;
	*start = true;
	rc = -EINPROGRESS;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void
dnsc_complete(struct dns_cache *c, const char *name, uint64_t now, int status,
	      const union xr_sa *addr, unsigned ttl_s)
{
	char key[DNS_NAME_MAX + 1];
	struct dns_waiter *w = NULL, *n;
	struct dns_entry **pp, *e;

	if (!norm_name(name, key))
		return;
	if (status == 0) {
		if (ttl_s < DNS_MIN_TTL)
			ttl_s = DNS_MIN_TTL;
		if (ttl_s > DNS_MAX_TTL)
			ttl_s = DNS_MAX_TTL;
	} else {
		ttl_s = status == -ENOENT ? DNS_NEG_TTL : DNS_FAIL_TTL;
	}
	pthread_mutex_lock(&c->lock);
	pp = find_locked(c, key);
	e = pp ? *pp : NULL;
	if (e && e->pending) {
		w = e->waiters;
		e->waiters = NULL;
		c->nwaiters -= e->nwaiters;
		e->nwaiters = 0;
		e->pending = false;
		c->npending--;
		e->status = status;
		if (status == 0)
			e->addr = *addr;	/* port: an SRV record's, else 0 */
		e->expires_ms = now + (uint64_t)ttl_s * 1000;
		if (status == -ECANCELED)
			drop_locked(c, pp);	/* shutting down: nothing learnt */
	}
	pthread_mutex_unlock(&c->lock);
	for (; w; w = n) {
		n = w->next;
		w->cb(w->arg, status);
		free(w);
	}
}

void
dnsc_counts(struct dns_cache *c, unsigned *pending, unsigned *waiters, unsigned *entries)
{
	pthread_mutex_lock(&c->lock);
	*pending = c->npending;
	*waiters = c->nwaiters;
	*entries = c->n;
	pthread_mutex_unlock(&c->lock);
}
