// SPDX-License-Identifier: GPL-2.0
/*
 * location.c - the location service (see location.h): AOR -> binding set in
 * a cds_lfht.  Each AOR node holds an RCU pointer to an immutable array of
 * bindings; a writer builds a new array under loc_wlock, publishes it with
 * rcu_assign_pointer() and frees the old one with call_rcu().  An AOR whose
 * last binding goes is unlinked from the table and freed the same way.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <urcu.h>
#include <urcu/rculfhash.h>

#include "common/clock.h"
#include "common/hash.h"
#include "proxy/location.h"

struct loc_set {
	struct rcu_head		rcu;
	int			n;
	struct loc_binding	b[];		/* n bindings, unsorted */
};

struct loc_aor {
	struct cds_lfht_node	node;
	struct rcu_head		rcu;
	struct loc_set		*set;		/* RCU pointer, never NULL while linked */
	unsigned long		hash;
	char			aor[LOC_AOR_MAX];
};

static struct cds_lfht	*loc_ht;
static pthread_mutex_t	 loc_wlock = PTHREAD_MUTEX_INITIALIZER;
static loc_uri_eq_fn	 loc_uri_eq;
static int		 loc_nheld;	/* bindings in every set, expired too; under loc_wlock */

int
loc_held(void)
{
	return __atomic_load_n(&loc_nheld, __ATOMIC_RELAXED);
}

uint64_t
loc_now_ms(void)
{
	return xr_mono_ms();
}

/* FNV-1a over the canonical AOR (already lower-cased where it matters). */
static unsigned long
loc_hash(const char *s)
{
	return (unsigned long)xr_fnv64_cstr(XR_FNV64_INIT, s);
}

static int
loc_match(struct cds_lfht_node *node, const void *key)
{
	const struct loc_aor *a = caa_container_of(node, struct loc_aor, node);

	return strcmp(a->aor, key) == 0;
}

/*
 * Fallback contact comparison: the whole URI, ASCII case-insensitively.
 * Deviation from §19.1.4: the user part and parameter values should compare
 * case-sensitively and parameters in any order; the registrar installs the
 * parser's comparison, which does it right.
 */
static bool
loc_uri_eq_default(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && strncasecmp(a, b, alen) == 0;
}

static void	(*loc_change_cb)(const char *aor);	/* atomic: loc_set_change_cb() */

void
loc_set_change_cb(void (*cb)(const char *aor))
{
	__atomic_store_n(&loc_change_cb, cb, __ATOMIC_RELEASE);
}

/* Tell the change callback, outside loc_wlock. */
static void
loc_changed(const char *aor)
{
	void (*cb)(const char *) = __atomic_load_n(&loc_change_cb, __ATOMIC_ACQUIRE);

	if (cb)
		cb(aor);
}

int
loc_init(loc_uri_eq_fn uri_eq)
{
	loc_uri_eq = uri_eq ? uri_eq : loc_uri_eq_default;
	loc_ht = cds_lfht_new(1024, 1024, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
			      NULL);
	return loc_ht ? 0 : -ENOMEM;
}

static void
loc_set_free_rcu(struct rcu_head *h)
{
	free(caa_container_of(h, struct loc_set, rcu));
}

static void
loc_aor_free_rcu(struct rcu_head *h)
{
	struct loc_aor *a = caa_container_of(h, struct loc_aor, rcu);

	free(a->set);
	free(a);
}

void
loc_fini(void)
{
	struct cds_lfht_iter it;
	struct loc_aor *a;

	if (!loc_ht)
		return;
	pthread_mutex_lock(&loc_wlock);
	rcu_read_lock();
	cds_lfht_for_each_entry(loc_ht, &it, a, node) {
		if (cds_lfht_del(loc_ht, &a->node) == 0)
			call_rcu(&a->rcu, loc_aor_free_rcu);
	}
	loc_nheld = 0;
	rcu_read_unlock();
	pthread_mutex_unlock(&loc_wlock);
	rcu_barrier();
	cds_lfht_destroy(loc_ht, NULL);
	loc_ht = NULL;
}

/* The AOR node for aor, or NULL; RCU read side. */
static struct loc_aor *
loc_find(const char *aor, unsigned long hash)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	cds_lfht_lookup(loc_ht, hash, loc_match, aor, &it);
	n = cds_lfht_iter_get_node(&it);
	return n ? caa_container_of(n, struct loc_aor, node) : NULL;
}

static int
loc_find_contact(const struct loc_binding *b, int n, const char *c, size_t clen)
{
	int i;

	for (i = 0; i < n; i++)
		if (loc_uri_eq(b[i].contact, strlen(b[i].contact), c, clen))
			return i;
	return -1;
}

static void
loc_fill(struct loc_binding *b, const struct loc_op *op, const char *callid,
	 uint32_t cseq, const struct loc_src *src, uint64_t now_ms)
{
	memcpy(b->contact, op->contact, op->contact_len);
	b->contact[op->contact_len] = '\0';
	b->q = op->q;
	b->expires_ms = now_ms + (uint64_t)op->expires * 1000;
	b->updated_ms = now_ms;
	strcpy(b->callid, callid);
	b->cseq = cseq;
	if (src) {
		b->received = src->received;
		b->tp = src->tp;
		b->conn_id = src->conn_id;
		b->sock = src->sock;
	} else {
		memset(&b->received, 0, sizeof(b->received));
		b->tp = 0;
		b->conn_id = 0;
		b->sock = -1;
	}
}

/*
 * §10.3 step 7, per binding: may this request (callid, cseq) change a binding
 * made by (b->callid, b->cseq)?  A different Call-ID always may; the same one
 * only with a higher CSeq.
 */
static bool
loc_may_change(const struct loc_binding *b, const char *callid, uint32_t cseq)
{
	return strcmp(b->callid, callid) != 0 || cseq > b->cseq;
}

/*
 * Long (~100 lines) because RFC 3261 §10.3 steps 6-8 run on one AOR under
 * its lock: match, refuse, add, update, remove.
 */
int
loc_apply(const char *aor, const char *callid, uint32_t cseq,
	  const struct loc_op *ops, int nops, bool remove_all,
	  const struct loc_src *src, uint64_t now_ms)
{
	struct loc_set *old_set, *nset = NULL;
	struct loc_aor *a, *na = NULL;
	struct cds_lfht_node *ret;
	unsigned long hash;
	int i, j, n, nlive, old_n, rc = 0;

	if (strlen(aor) >= LOC_AOR_MAX || strlen(callid) >= LOC_CALLID_MAX)
		return -ENAMETOOLONG;
	for (i = 0; i < nops; i++)
		if (ops[i].contact_len >= LOC_URI_MAX)
			return -ENAMETOOLONG;
	hash = loc_hash(aor);

	pthread_mutex_lock(&loc_wlock);
	rcu_read_lock();
	a = loc_find(aor, hash);
	old_set = a ? rcu_dereference(a->set) : NULL;

	/* Work on a private copy with room for every op, minus expired ones. */
	nset = malloc(sizeof(*nset) + sizeof(nset->b[0]) *
		      ((old_set ? old_set->n : 0) + nops));
	if (!nset) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	n = 0;
	for (i = 0; old_set && i < old_set->n; i++)
		if (old_set->b[i].expires_ms > now_ms)
			nset->b[n++] = old_set->b[i];
	nlive = n;

	if (remove_all) {
		/* "Contact: *": every binding goes, each subject to the ordering rule. */
		for (i = 0; i < n; i++)
			if (!loc_may_change(&nset->b[i], callid, cseq)) {
				rc = -EALREADY;
				goto out_free;
			}
		n = 0;
	}
	for (i = 0; i < nops; i++) {
		j = loc_find_contact(nset->b, n, ops[i].contact, ops[i].contact_len);
		if (j >= 0 && !loc_may_change(&nset->b[j], callid, cseq)) {
			rc = -EALREADY;
			goto out_free;
		}
		if (ops[i].expires == 0) {
			if (j >= 0)
				nset->b[j] = nset->b[--n];
			continue;
		}
		if (j < 0)
			j = n++;
		loc_fill(&nset->b[j], &ops[i], callid, cseq, src, now_ms);
	}
	if (n > LOC_MAX_BINDINGS ||
	    (src && src->max_bindings > 0 && n > src->max_bindings)) {
		rc = -ENOSPC;
		goto out_free;
	}
	/* --max-registrations: only a request that adds bindings is refused. */
	old_n = old_set ? old_set->n : 0;
	if (src && src->max_total > 0 && n > nlive &&
	    loc_nheld - old_n + n > src->max_total) {
		rc = -EDQUOT;
		goto out_free;
	}
	nset->n = n;
	loc_nheld += n - old_n;		/* under loc_wlock */

	if (n == 0) {
		/* Nothing left: unlink the AOR (readers still holding it see the old set). */
		free(nset);
		nset = NULL;
		if (a && cds_lfht_del(loc_ht, &a->node) == 0)
			call_rcu(&a->rcu, loc_aor_free_rcu);
		goto out_unlock;
	}
	if (a) {
		rcu_assign_pointer(a->set, nset);
		call_rcu(&old_set->rcu, loc_set_free_rcu);
		nset = NULL;
		goto out_unlock;
	}
	na = calloc(1, sizeof(*na));
	if (!na) {
		loc_nheld -= n;
		rc = -ENOMEM;
		goto out_free;
	}
	strcpy(na->aor, aor);
	na->hash = hash;
	na->set = nset;
	nset = NULL;
	cds_lfht_node_init(&na->node);
	/* Writers are serialised, so this cannot race another add of the same AOR. */
	ret = cds_lfht_add_unique(loc_ht, hash, loc_match, na->aor, &na->node);
	if (ret != &na->node) {
		free(na->set);
		free(na);
		loc_nheld -= n;
		rc = -EEXIST;
	}
	goto out_unlock;

out_free:
	free(nset);
out_unlock:
	rcu_read_unlock();
	pthread_mutex_unlock(&loc_wlock);
	if (rc == 0)
		loc_changed(aor);
	return rc;
}

static int
loc_qkey(const struct loc_binding *b)
{
	return b->q < 0 ? 1000 : b->q;
}

static int
loc_cmp(const void *pa, const void *pb)
{
	const struct loc_binding *a = pa, *b = pb;

	if (loc_qkey(a) != loc_qkey(b))
		return loc_qkey(b) - loc_qkey(a);
	if (a->updated_ms != b->updated_ms)
		return a->updated_ms < b->updated_ms ? 1 : -1;
	return 0;
}

/* Copy the live bindings of set into out[0..max), sorted; RCU read side. */
static int
loc_copy_live(const struct loc_set *set, uint64_t now_ms, struct loc_binding *out, int max)
{
	int i, n = 0;

	for (i = 0; i < set->n && n < max; i++)
		if (set->b[i].expires_ms > now_ms)
			out[n++] = set->b[i];
	qsort(out, n, sizeof(*out), loc_cmp);
	return n;
}

int
loc_lookup(const char *aor, uint64_t now_ms, struct loc_binding *out, int max)
{
	struct loc_aor *a;
	int n = 0;

	if (!loc_ht || strlen(aor) >= LOC_AOR_MAX)
		return 0;
	rcu_read_lock();
	a = loc_find(aor, loc_hash(aor));
	if (a)
		n = loc_copy_live(rcu_dereference(a->set), now_ms, out, max);
	rcu_read_unlock();
	return n;
}

int
loc_walk(uint64_t now_ms, loc_walk_fn fn, void *arg)
{
	struct loc_binding b[LOC_MAX_BINDINGS];
	struct cds_lfht_iter it;
	struct loc_aor *a;
	int n, visited = 0;

	if (!loc_ht)
		return 0;
	rcu_read_lock();
	cds_lfht_for_each_entry(loc_ht, &it, a, node) {
		n = loc_copy_live(rcu_dereference(a->set), now_ms, b, LOC_MAX_BINDINGS);
		if (n == 0)
			continue;
		fn(a->aor, b, n, arg);
		visited++;
	}
	rcu_read_unlock();
	return visited;
}

int
loc_remove_aor(const char *aor, uint64_t now_ms)
{
	struct loc_set *set;
	struct loc_aor *a;
	int i, live = 0;

	if (strlen(aor) >= LOC_AOR_MAX)
		return -ENAMETOOLONG;
	if (!loc_ht)
		return -ENOENT;
	pthread_mutex_lock(&loc_wlock);
	rcu_read_lock();
	a = loc_find(aor, loc_hash(aor));
	if (a) {
		set = rcu_dereference(a->set);
		for (i = 0; i < set->n; i++)
			live += set->b[i].expires_ms > now_ms;
		/* Readers holding the node still see its set until the grace period. */
		if (cds_lfht_del(loc_ht, &a->node) == 0) {
			call_rcu(&a->rcu, loc_aor_free_rcu);
			loc_nheld -= set->n;
		} else {
			live = 0;
		}
	}
	rcu_read_unlock();
	pthread_mutex_unlock(&loc_wlock);
	if (live)
		loc_changed(aor);
	return live ? live : -ENOENT;
}

int
loc_expire(uint64_t now_ms)
{
	struct loc_set *set, *nset;
	struct cds_lfht_iter it;
	struct loc_aor *a;
	int i, n, dropped = 0;

	if (!loc_ht)
		return 0;
	pthread_mutex_lock(&loc_wlock);
	rcu_read_lock();
	cds_lfht_for_each_entry(loc_ht, &it, a, node) {
		set = rcu_dereference(a->set);
		for (i = n = 0; i < set->n; i++)
			if (set->b[i].expires_ms > now_ms)
				n++;
		if (n == set->n)
			continue;
		dropped += set->n - n;
		if (n == 0) {
			if (cds_lfht_del(loc_ht, &a->node) == 0) {
				call_rcu(&a->rcu, loc_aor_free_rcu);
				loc_nheld -= set->n;
			}
			continue;
		}
		nset = malloc(sizeof(*nset) + sizeof(nset->b[0]) * n);
		if (!nset) {
			dropped -= set->n - n;	/* try again next sweep; lookups skip them */
			continue;
		}
		for (i = n = 0; i < set->n; i++)
			if (set->b[i].expires_ms > now_ms)
				nset->b[n++] = set->b[i];
		nset->n = n;
		loc_nheld -= set->n - n;
		rcu_assign_pointer(a->set, nset);
		call_rcu(&set->rcu, loc_set_free_rcu);
	}
	rcu_read_unlock();
	pthread_mutex_unlock(&loc_wlock);
	return dropped;
}

void
loc_count(uint64_t now_ms, int *naors, int *nbindings)
{
	struct cds_lfht_iter it;
	struct loc_set *set;
	struct loc_aor *a;
	int i, na = 0, nb = 0, live;

	if (loc_ht) {
		rcu_read_lock();
		cds_lfht_for_each_entry(loc_ht, &it, a, node) {
			set = rcu_dereference(a->set);
			for (i = live = 0; i < set->n; i++)
				if (set->b[i].expires_ms > now_ms)
					live++;
			nb += live;
			na += live > 0;
		}
		rcu_read_unlock();
	}
	if (naors)
		*naors = na;
	if (nbindings)
		*nbindings = nb;
}
