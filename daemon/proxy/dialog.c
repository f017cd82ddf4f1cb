// SPDX-License-Identifier: GPL-2.0
/*
 * dialog.c - minimal dialog records for `calls`, `call show`, `call kill`
 * (see dialog.h).  Table: cds_lfht keyed by a hash of Call-ID + caller tag;
 * records are freed with call_rcu() once unlinked and unreferenced.
 *
 * Deviation: one record per INVITE, not one per early dialog of a forked
 * call (§12.1: each 2xx/1xx To tag makes its own dialog).  Until a 2xx the
 * record matches any To tag; then it keeps the first 2xx's.  Another fork's
 * late 2xx still passes through the proxy (its SDP rewritten to the call's
 * ports), and the caller's ACK and BYE for it are routed, but they match no
 * record, so they neither end the call nor touch its media.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <urcu.h>
#include <urcu/rculfhash.h>

#include "common/clock.h"
#include "common/hash.h"
#include "common/objpool.h"
#include "proxy/call_media.h"
#include "proxy/dialog.h"

struct dlg {
	struct cds_lfht_node	node;
	struct rcu_head		rcu;
	unsigned long		hash;
	int			refs;		/* atomic; the table holds one while linked */
	bool			linked;		/* under lock */
	pthread_mutex_t		lock;		/* guards info */
	struct dlg_info		info;
	struct cm		*cm;		/* the call's media (own lock) */
	void			*owner;		/* under lock: see dlg_set_owner() */
};

static void		(*dlg_change_cb)(uint64_t id);	/* atomic: dlg_set_change_cb() */
static struct cds_lfht	*dlg_ht;
static uint64_t		 dlg_next_id = 1;	/* atomic */
static unsigned long	 dlg_live;		/* atomic */
/* the call records (~9 KB), one a call until its BYE (objpool.h) */
static struct xr_objpool dlg_pool = XR_OBJPOOL_INIT(sizeof(struct dlg));

const char *
dlg_state_name(enum dlg_state s)
{
	switch (s) {
	case DLG_INIT:		return "init";
	case DLG_EARLY:		return "early";
	case DLG_CONFIRMED:	return "confirmed";
	case DLG_TERMINATED:	return "terminated";
	}
	return "?";
}


void
dlg_set_change_cb(void (*cb)(uint64_t id))
{
	__atomic_store_n(&dlg_change_cb, cb, __ATOMIC_RELEASE);
}

/* Tell the change callback; outside d->lock. */
static void
dlg_changed(uint64_t id)
{
	void (*cb)(uint64_t) = __atomic_load_n(&dlg_change_cb, __ATOMIC_ACQUIRE);

	if (cb)
		cb(id);
}

static unsigned long
dlg_hash(struct sip_str callid, struct sip_str ftag)
{
	uint64_t h = XR_FNV64_INIT;

	h = xr_fnv64(h, callid.s, callid.len > 0 ? (size_t)callid.len : 0);
	h = xr_fnv64_byte(h, '/');
	h = xr_fnv64(h, ftag.s, ftag.len > 0 ? (size_t)ftag.len : 0);
	return (unsigned long)h;
}

struct dlg_key {
	struct sip_str callid, ftag;
};

static int
dlg_match(struct cds_lfht_node *node, const void *key)
{
	const struct dlg *d = caa_container_of(node, struct dlg, node);
	const struct dlg_key *k = key;

	return sip_str_eq(k->callid, sip_str_mk(d->info.callid, strlen(d->info.callid))) &&
	       sip_str_eq(k->ftag, sip_str_mk(d->info.from_tag, strlen(d->info.from_tag)));
}

int
dlg_init(void)
{
	/*
	 * 64 k buckets up front (512 kB), as the transactions': a load ramp
	 * (thousands of calls a second, each record kept until its BYE) does
	 * not wait on resizes; from 1,024, dlg_create()'s insert and
	 * dlg_find() walking long chains were 2.2 % of xrelayd's CPU at 3,000
	 * forked calls/s.
	 */
	dlg_ht = cds_lfht_new(65536, 65536, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	return dlg_ht ? 0 : -ENOMEM;
}

static void
dlg_free_rcu(struct rcu_head *h)
{
	struct dlg *d = caa_container_of(h, struct dlg, rcu);

	cm_free(d->cm);
	pthread_mutex_destroy(&d->lock);
	xr_objpool_free(&dlg_pool, d);
}

void
dlg_put(struct dlg *d)
{
	if (d && __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) == 0)
		call_rcu(&d->rcu, dlg_free_rcu);
}

/*
 * A reference to d, found under rcu_read_lock(), unless its last one is gone
 * (it is being freed): false then.  Incrementing from 0 and backing off
 * would let a second finder, racing in between, see 2 and keep a record
 * already handed to call_rcu().
 */
static bool
dlg_tryget(struct dlg *d)
{
	int r = __atomic_load_n(&d->refs, __ATOMIC_RELAXED);

	do {
		if (r == 0)
			return false;
	} while (!__atomic_compare_exchange_n(&d->refs, &r, r + 1, true, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	return true;
}

static void
dlg_unlink(struct dlg *d)
{
	bool drop = false;

	pthread_mutex_lock(&d->lock);
	d->info.state = DLG_TERMINATED;
	if (d->linked) {
		d->linked = false;
		drop = true;
	}
	pthread_mutex_unlock(&d->lock);
	if (!drop)
		return;
	rcu_read_lock();
	cds_lfht_del(dlg_ht, &d->node);
	rcu_read_unlock();
	/* Ending a call removes its kernel entries and ports in the same step. */
	cm_end(d->cm);
	__atomic_sub_fetch(&dlg_live, 1, __ATOMIC_RELAXED);
	dlg_changed(d->info.id);	/* id never changes: no lock needed */
	dlg_put(d);
}

void
dlg_end(struct dlg *d)
{
	if (d)
		dlg_unlink(d);
}

void
dlg_fini(void)
{
	struct cds_lfht_iter it;
	struct dlg *d;

	if (!dlg_ht)
		return;
	rcu_read_lock();
	cds_lfht_for_each_entry(dlg_ht, &it, d, node)
		dlg_unlink(d);	/* nested read lock; the free waits for ours */
	rcu_read_unlock();
	rcu_barrier();
	cds_lfht_destroy(dlg_ht, NULL);
	dlg_ht = NULL;
}

static void
dest_from_src(struct sip_dest *d, const struct sip_src *src)
{
	memset(d, 0, sizeof(*d));
	d->addr = src->peer;
	d->tp = src->tp;
	d->sock = src->sock;
	d->conn_id = src->conn_id;
}

/* Append "Route: <value>\r\n" to buf if it fits. */
static void
add_route(char *buf, size_t cap, struct sip_str v)
{
	size_t n = strlen(buf);

	if (n + (size_t)v.len + 10 < cap)
		snprintf(buf + n, cap - n, "Route: %.*s\r\n", SIP_STR_FMT(v));
}

/* Take one of max places in the table (0: no bound); false when none is left. */
static bool
dlg_reserve(unsigned long max)
{
	unsigned long n = __atomic_add_fetch(&dlg_live, 1, __ATOMIC_RELAXED);

	if (max == 0 || n <= max)
		return true;
	__atomic_sub_fetch(&dlg_live, 1, __ATOMIC_RELAXED);
	return false;
}

/*
 * Long (~80 lines): one record filled from the INVITE's headers, then
 * linked; every way out gives its place back.
 */
struct dlg *
dlg_create(const struct sip_msg *m, const struct sip_src *src, unsigned long max)
{
	struct sip_nameaddr na;
	struct sip_uri u;
	struct sip_iter it = { 0 };
	struct cds_lfht_node *ret;
	struct dlg_key k;
	struct sip_contact c;
	struct dlg *d;
	const struct sip_hdr *h;
	struct sip_iter cit = { 0 };

	if (m->from.tag.len >= DLG_TAG_MAX || m->call_id.len >= DLG_HDR_MAX) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (!dlg_reserve(max)) {
		errno = EBUSY;
		return NULL;
	}
	d = xr_objpool_zalloc(&dlg_pool);
	if (!d) {
		__atomic_sub_fetch(&dlg_live, 1, __ATOMIC_RELAXED);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&d->lock, NULL);
	d->cm = cm_new(0);
	if (!d->cm) {
		__atomic_sub_fetch(&dlg_live, 1, __ATOMIC_RELAXED);
		pthread_mutex_destroy(&d->lock);
		xr_objpool_free(&dlg_pool, d);
		errno = ENOMEM;
		return NULL;
	}
	d->refs = 2;		/* the table's and the caller's */
	d->linked = true;
	d->info.id = __atomic_fetch_add(&dlg_next_id, 1, __ATOMIC_RELAXED);
	cm_set_id(d->cm, d->info.id);
	cm_set_owner(d->cm, &src->peer);	/* its media counts as the caller's */
	d->info.state = DLG_INIT;
	sip_str_cpy(d->info.callid, sizeof(d->info.callid), m->call_id);
	sip_str_cpy(d->info.from_tag, sizeof(d->info.from_tag), m->from.tag);
	h = sip_msg_hdr(m, SIP_HDR_FROM);
	if (h)
		sip_str_cpy(d->info.from_hdr, sizeof(d->info.from_hdr), h->value);
	h = sip_msg_hdr(m, SIP_HDR_TO);
	if (h)
		sip_str_cpy(d->info.to_hdr, sizeof(d->info.to_hdr), h->value);
	sip_str_cpy(d->info.caller_uri, sizeof(d->info.caller_uri), m->from.uri);
	sip_str_cpy(d->info.callee_uri, sizeof(d->info.callee_uri), m->ruri);
	if (sip_msg_contact_next(m, &cit, &c) == 1 && !c.star)
		sip_str_cpy(d->info.caller_contact, sizeof(d->info.caller_contact), c.na.uri);
	/* Record-Route values already in the INVITE are the hops towards the caller. */
	while (sip_msg_route_next(m, SIP_HDR_RECORD_ROUTE, &it, &na, &u) == 1)
		add_route(d->info.caller_routes, sizeof(d->info.caller_routes), na.value);
	dest_from_src(&d->info.caller_dest, src);
	d->info.cseq_caller = m->cseq;
	d->info.created = (uint64_t)time(NULL);
	d->info.created_mono_ms = xr_mono_ms();

	d->hash = dlg_hash(m->call_id, m->from.tag);
	k.callid = m->call_id;
	k.ftag = m->from.tag;
	cds_lfht_node_init(&d->node);
	rcu_read_lock();
	ret = cds_lfht_add_unique(dlg_ht, d->hash, dlg_match, &k, &d->node);
	rcu_read_unlock();
	if (ret != &d->node) {
		__atomic_sub_fetch(&dlg_live, 1, __ATOMIC_RELAXED);
		cm_free(d->cm);
		pthread_mutex_destroy(&d->lock);
		xr_objpool_free(&dlg_pool, d);
		errno = EEXIST;
		return NULL;
	}
	return d;
}

void
dlg_on_response(struct dlg *d, const struct sip_msg *resp, const struct sip_src *src,
		bool (*is_ours)(const struct sip_uri *u))
{
	struct sip_nameaddr na[32];
	struct sip_iter it = { 0 }, cit = { 0 };
	struct sip_contact c;
	struct sip_uri u;
	int i, n = 0;
	enum dlg_state was;

	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	was = d->info.state;
	/* Once answered, the call's code is its 2xx's (not a cancelled fork's 487). */
	if (d->info.state == DLG_TERMINATED || d->info.state == DLG_CONFIRMED) {
		pthread_mutex_unlock(&d->lock);
		return;
	}
	d->info.last_code = resp->status;
	if (resp->status < 200) {
		if (resp->to.tag.len > 0) {
			d->info.state = DLG_EARLY;
			sip_str_cpy(d->info.to_tag, sizeof(d->info.to_tag), resp->to.tag);
		}
	} else if (resp->status < 300) {
		d->info.state = DLG_CONFIRMED;
		d->info.answered = (uint64_t)time(NULL);
		sip_str_cpy(d->info.to_tag, sizeof(d->info.to_tag), resp->to.tag);
		if (sip_msg_contact_next(resp, &cit, &c) == 1 && !c.star)
			sip_str_cpy(d->info.callee_contact, sizeof(d->info.callee_contact),
				    c.na.uri);
		dest_from_src(&d->info.callee_dest, src);
		/* Record-Route values above ours, reversed, lead to the callee. */
		while (n < 32 && sip_msg_route_next(resp, SIP_HDR_RECORD_ROUTE, &it, &na[n], &u) == 1) {
			if (is_ours && is_ours(&u))
				break;
			n++;
		}
		d->info.callee_routes[0] = '\0';
		for (i = n - 1; i >= 0; i--)
			add_route(d->info.callee_routes, sizeof(d->info.callee_routes),
				  na[i].value);
	}
	/* A final non-2xx ends the record when the proxy sends it upstream (dlg_end). */
	n = d->info.state != was;
	pthread_mutex_unlock(&d->lock);
	if (n)
		dlg_changed(d->info.id);
}

/* Is tag (the callee's, from a request) this dialog's?  Absent: any. */
static bool
dlg_tag_ok(struct dlg *d, struct sip_str tag)
{
	bool ok;

	if (!sip_str_present(tag))
		return true;
	pthread_mutex_lock(&d->lock);
	ok = d->info.state != DLG_CONFIRMED ||
	     sip_str_eq(tag, sip_str_mk(d->info.to_tag, (int)strlen(d->info.to_tag)));
	pthread_mutex_unlock(&d->lock);
	return ok;
}

struct dlg *
dlg_find(struct sip_str callid, struct sip_str from_tag, struct sip_str to_tag,
	 bool *from_caller)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	struct dlg_key k;
	struct dlg *d = NULL;
	int pass;

	if (!dlg_ht)
		return NULL;
	rcu_read_lock();
	/* From the caller: keyed by its own From tag; from the callee: by its To tag. */
	for (pass = 0; pass < 2 && !d; pass++) {
		k.callid = callid;
		k.ftag = pass == 0 ? from_tag : to_tag;
		if (!sip_str_present(k.ftag))
			continue;
		cds_lfht_lookup(dlg_ht, dlg_hash(k.callid, k.ftag), dlg_match, &k, &it);
		n = cds_lfht_iter_get_node(&it);
		if (!n)
			continue;
		d = caa_container_of(n, struct dlg, node);
		if (!dlg_tag_ok(d, pass == 0 ? to_tag : from_tag)) {
			d = NULL;
			continue;
		}
		if (!dlg_tryget(d)) {	/* lost a race with the last put */
			d = NULL;
			continue;
		}
		*from_caller = pass == 0;
	}
	rcu_read_unlock();
	return d;
}

struct dlg *
dlg_find_media(uint64_t sid, int *all_silent)
{
	struct cds_lfht_iter it;
	struct dlg *d, *found = NULL;
	int r;

	if (!dlg_ht)
		return NULL;
	rcu_read_lock();
	cds_lfht_for_each_entry(dlg_ht, &it, d, node) {
		r = cm_silent(d->cm, sid);
		if (r < 0)
			continue;
		if (!dlg_tryget(d))
			break;
		*all_silent = r;
		found = d;
		break;
	}
	rcu_read_unlock();
	return found;
}

struct cm *
dlg_cm(struct dlg *d)
{
	return d ? d->cm : NULL;
}

void
dlg_branch_target(struct dlg *d, int idx, struct sip_str uri)
{
	if (!d || idx < 0 || idx >= DLG_MAX_BRANCHES)
		return;
	pthread_mutex_lock(&d->lock);
	sip_str_cpy(d->info.br[idx].uri, sizeof(d->info.br[idx].uri), uri);
	if (idx >= d->info.nbranches)
		d->info.nbranches = idx + 1;
	pthread_mutex_unlock(&d->lock);
}

void
dlg_branch_status(struct dlg *d, int idx, int code, struct sip_str to_tag)
{
	struct dlg_branch *b;

	if (!d || idx < 0 || idx >= DLG_MAX_BRANCHES)
		return;
	pthread_mutex_lock(&d->lock);
	b = &d->info.br[idx];
	/* A final status stays (a 487 after our CANCEL, not the 180 before it). */
	if (b->code < 200 || code >= 200)
		b->code = code;
	if (!b->to_tag[0] && to_tag.len > 0 && to_tag.len < DLG_TAG_MAX)
		sip_str_cpy(b->to_tag, sizeof(b->to_tag), to_tag);
	if (idx >= d->info.nbranches)
		d->info.nbranches = idx + 1;
	pthread_mutex_unlock(&d->lock);
}

void
dlg_branch_cancelled(struct dlg *d, int idx)
{
	if (!d || idx < 0 || idx >= DLG_MAX_BRANCHES)
		return;
	pthread_mutex_lock(&d->lock);
	d->info.br[idx].cancelled = true;
	pthread_mutex_unlock(&d->lock);
}

void
dlg_set_owner(struct dlg *d, void *owner)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->owner = owner;
	pthread_mutex_unlock(&d->lock);
}

void *
dlg_owner_get(struct dlg *d, void (*hold)(void *owner))
{
	void *o;

	pthread_mutex_lock(&d->lock);
	o = d->owner;
	if (o)
		hold(o);
	pthread_mutex_unlock(&d->lock);
	return o;
}

void
dlg_note_cseq(struct dlg *d, bool from_caller, uint32_t cseq)
{
	bool changed = false;

	pthread_mutex_lock(&d->lock);
	if (from_caller && cseq > d->info.cseq_caller) {
		d->info.cseq_caller = cseq;
		changed = d->info.state == DLG_CONFIRMED;
	}
	if (!from_caller && cseq > d->info.cseq_callee) {
		d->info.cseq_callee = cseq;
		changed = d->info.state == DLG_CONFIRMED;
	}
	pthread_mutex_unlock(&d->lock);
	if (changed)
		dlg_changed(d->info.id);
}

int
dlg_restore(const struct dlg_info *in, const struct cm_saved *media)
{
	struct cds_lfht_node *ret;
	struct dlg_key k;
	struct dlg *d;
	uint64_t next;
	int err;

	if (!dlg_ht || in->state != DLG_CONFIRMED)
		return -EINVAL;
	d = xr_objpool_zalloc(&dlg_pool);
	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	d->cm = cm_new(in->id);
	if (!d->cm) {
		err = -ENOMEM;
		goto out_free;
	}
	err = cm_restore(d->cm, media);
	if (err)
		goto out_free;
	d->refs = 1;		/* the table's */
	d->linked = true;
	d->info = *in;
	d->info.created_mono_ms = xr_mono_ms();
	d->hash = dlg_hash(sip_str_mk(d->info.callid, strlen(d->info.callid)),
			   sip_str_mk(d->info.from_tag, strlen(d->info.from_tag)));
	k.callid = sip_str_mk(d->info.callid, strlen(d->info.callid));
	k.ftag = sip_str_mk(d->info.from_tag, strlen(d->info.from_tag));
	cds_lfht_node_init(&d->node);
	rcu_read_lock();
	ret = cds_lfht_add_unique(dlg_ht, d->hash, dlg_match, &k, &d->node);
	rcu_read_unlock();
	if (ret != &d->node) {
		err = -EEXIST;
		goto out_free;
	}
	__atomic_add_fetch(&dlg_live, 1, __ATOMIC_RELAXED);
	next = __atomic_load_n(&dlg_next_id, __ATOMIC_RELAXED);
	while (next <= in->id &&
	       !__atomic_compare_exchange_n(&dlg_next_id, &next, in->id + 1, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return 0;

out_free:
	cm_free(d->cm);
	pthread_mutex_destroy(&d->lock);
	xr_objpool_free(&dlg_pool, d);
	return err;
}

void
dlg_info_of(struct dlg *d, struct dlg_info *out)
{
	pthread_mutex_lock(&d->lock);
	*out = d->info;
	pthread_mutex_unlock(&d->lock);
}

int
dlg_get(uint64_t id, struct dlg_info *out, struct dlg **ref)
{
	struct cds_lfht_iter it;
	struct dlg *d;
	int rc = -ENOENT;

	if (!dlg_ht)
		return rc;
	rcu_read_lock();
	cds_lfht_for_each_entry(dlg_ht, &it, d, node) {
		if (d->info.id != id)
			continue;
		if (ref && !dlg_tryget(d))
			break;	/* being freed */
		pthread_mutex_lock(&d->lock);
		*out = d->info;
		pthread_mutex_unlock(&d->lock);
		if (ref)
			*ref = d;
		rc = 0;
		break;
	}
	rcu_read_unlock();
	return rc;
}

int
dlg_walk(void (*fn)(const struct dlg_info *di, struct dlg *d, void *arg), void *arg)
{
	struct cds_lfht_iter it;
	struct dlg_info *copy;
	struct dlg *d;
	int n = 0;

	if (!dlg_ht)
		return 0;
	copy = malloc(sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	rcu_read_lock();
	cds_lfht_for_each_entry(dlg_ht, &it, d, node) {
		pthread_mutex_lock(&d->lock);
		*copy = d->info;
		pthread_mutex_unlock(&d->lock);
		fn(copy, d, arg);
		n++;
	}
	rcu_read_unlock();
	free(copy);
	return n;
}

/*
 * Whether d is a record the sweep drops: created at least max_age_ms before
 * now_mono_ms and still not confirmed.  now_mono_ms is read before the walk,
 * so a record created during it is younger than now (its age would wrap
 * around as unsigned: such a record, a call just made, was dropped with its
 * media: t_call_load's missing session).  created_mono_ms is set before the
 * record is linked and never changes; the state is read under d->lock.
 */
static bool
dlg_stale(struct dlg *d, uint64_t now_mono_ms, uint64_t max_age_ms)
{
	bool stale;

	if (d->info.created_mono_ms > now_mono_ms ||
	    now_mono_ms - d->info.created_mono_ms < max_age_ms)
		return false;
	pthread_mutex_lock(&d->lock);
	stale = d->info.state != DLG_CONFIRMED && d->info.state != DLG_TERMINATED;
	pthread_mutex_unlock(&d->lock);
	return stale;
}

int
dlg_sweep(uint64_t now_mono_ms, uint64_t max_age_ms)
{
	struct cds_lfht_iter it;
	struct dlg *d, *victims[64];
	int i, n = 0, dropped = 0;

	if (!dlg_ht)
		return 0;
	rcu_read_lock();
	cds_lfht_for_each_entry(dlg_ht, &it, d, node) {
		if (n == 64)
			break;
		if (!dlg_stale(d, now_mono_ms, max_age_ms))
			continue;
		if (dlg_tryget(d))
			victims[n++] = d;
	}
	rcu_read_unlock();
	for (i = 0; i < n; i++) {
		/* Answered since the walk saw it: it stays. */
		if (dlg_stale(victims[i], now_mono_ms, max_age_ms)) {
			dlg_unlink(victims[i]);
			dropped++;
		}
		dlg_put(victims[i]);
	}
	return dropped;
}

unsigned long
dlg_count(void)
{
	return __atomic_load_n(&dlg_live, __ATOMIC_RELAXED);
}
