// SPDX-License-Identifier: GPL-2.0
/*
 * txn_compact.c - compact records for transactions that only wait out their
 * last timer (struct txn_compact in txn_int.h).
 *
 * Over UDP a transaction stays in the table 64*T1 (32 s) after its final
 * response for RFC 3261's Timers J (NIST) and D (ICT), and T4 (5 s) for K
 * (NICT): a forked call leaves three of them for 32 s (the CANCEL's and the
 * BYE's server transactions, the losing branch's client INVITE) and two for
 * 5 s.  All they do in that time is absorb retransmissions (§17.1.1.2
 * "Completed", §17.1.2.2, §17.2.2): a request retransmitted to a NIST gets
 * the final again, a final retransmitted to an ICT gets the ACK again, a
 * response retransmitted to a NICT is dropped.  That needs the key, the
 * destination, the bytes to resend and the timer: about 400 of struct txn's
 * ~1 KB, and none of its TU context.  Every byte a call keeps for 32 s is
 * memory the pools must grow into at each step of a load ramp (first-touch
 * memory is slow on the benchmark's VM: bench/README.md), so the full record
 * is buried as soon as the state is entered and this one takes its place.
 *
 * Concurrency: the compact record is built on the owner's thread under
 * t->lock and swapped in with cds_lfht_replace(), so a lookup finds the full
 * record or the compact one, never neither.  A thread that took a reference
 * on the full record just before finds it dead (run_event() -ESRCH): that
 * one retransmission is not answered, as if lost; the peer's next one finds
 * the compact record.  The compact record never changes once in the table;
 * readers use it under rcu_read_lock(), the owner's timer unlinks it and
 * frees it after a grace period.  TCP transactions end at once in these
 * states (zero timers) and are never compacted; nor are RFC 2543 keys
 * (their match needs the request's Call-ID, tags, Request-URI and Via).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <urcu.h>
#include <urcu/rculfhash.h>

#include "common/log.h"
#include "txn/txn.h"
#include "txn/txn_int.h"
#include "txn/txn_fsm.h"
#include "sip/worker.h"

_Static_assert(offsetof(struct txn_compact, node) == offsetof(struct txn, node), "node");
_Static_assert(offsetof(struct txn_compact, rcu) == offsetof(struct txn, rcu), "rcu");
_Static_assert(offsetof(struct txn_compact, hash) == offsetof(struct txn, hash), "hash");
_Static_assert(offsetof(struct txn_compact, compact) == offsetof(struct txn, compact), "tag");

struct xr_objpool	txn_compact_pool = XR_OBJPOOL_INIT(sizeof(struct txn_compact));
atomic_ulong		txn_compact_n;

unsigned long
txn_compact_count(void)
{
	return atomic_load(&txn_compact_n);
}

size_t
txn_compact_bytes(void)
{
	return sizeof(struct txn_compact);
}

static void
compact_free(struct txn_compact *c)
{
	free(c->resp);
	xr_objpool_free(&txn_compact_pool, c);
}

static void
compact_free_rcu(struct rcu_head *h)
{
	compact_free(caa_container_of(h, struct txn_compact, rcu));
}

/* Unlink c (it leaves the count once) and free it after a grace period. */
static void
compact_unlink(struct txn_compact *c, bool now)
{
	int rc;

	rcu_read_lock();
	rc = cds_lfht_del(txn_ht, &c->node);
	rcu_read_unlock();
	if (rc != 0)
		return;		/* someone else's (shutdown) */
	atomic_fetch_sub(&txn_compact_n, 1);
	atomic_fetch_sub(&txn_n, 1);
	if (now)
		compact_free(c);
	else
		call_rcu(&c->rcu, compact_free_rcu);
}

/* Timer J, K or D: the transaction is over (owner's loop, RCU-registered). */
static void
compact_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct txn_compact *c = caa_container_of(w, struct txn_compact, timer);

	(void)loop;
	(void)revents;
	compact_unlink(c, false);
}

void
txn_compact_drop(struct txn_compact *c)
{
	compact_unlink(c, true);
}

bool
txn_compact_match(const struct cds_lfht_node *n, const struct txn_key *k)
{
	const struct txn_compact *c = caa_container_of(n, struct txn_compact, node);

	return txn_key_match(&c->key, (struct sip_str){ 0 }, k);
}

/* Is t in a state that only waits for its last timer, and can it be moved? */
static bool
compactable(const struct txn *t)
{
	switch (t->fsm.kind) {
	case TXN_NIST:
	case TXN_NICT:
	case TXN_ICT:
		break;
	default:
		return false;	/* IST: Accepted passes 2xx and ACKs to the TU */
	}
	return t->fsm.state == TS_COMPLETED && !t->fsm.reliable && t->key.rfc3261 &&
	       t->in_table && !t->dead && t->owner && t->owner == sip_worker_self() &&
	       t->cb_busy == 0 && !t->job_queued &&
	       !t->dest_err && t->dest.tp == SIP_TP_UDP &&
	       (t->fsm.kind == TXN_NICT || t->resp_len > 0);
}

static int
copy_str(struct sip_str *s, char *buf, size_t cap, size_t *off)
{
	if (s->len <= 0 || !s->s) {
		*s = (struct sip_str){ 0 };
		return 0;
	}
	if (*off + (size_t)s->len > cap)
		return -ENOSPC;
	memcpy(buf + *off, s->s, (size_t)s->len);
	s->s = buf + *off;
	*off += (size_t)s->len;
	return 0;
}

/* The node at t's place, found by identity (cds_lfht_replace wants an iterator). */
static int
same_node(struct cds_lfht_node *n, const void *key)
{
	return n == key;
}

bool
txn_compact_locked(struct txn *t)
{
	struct cds_lfht_iter it;
	struct txn_compact *c;
	uint64_t due, now;
	size_t off = 0;
	int rc;

	if (!compactable(t) || !txn_ht)
		return false;
	due = txn_fsm_next(&t->fsm);
	if (!due)
		return false;
	c = xr_objpool_zalloc(&txn_compact_pool);
	if (!c)
		return false;
	c->compact = 1;
	c->kind = t->fsm.kind;
	c->hash = t->hash;
	c->owner = t->owner;
	c->dest = t->dest;
	c->key = (struct txn_key){
		.server = t->key.server, .rfc3261 = true, .tp = t->key.tp,
		.method = t->key.method, .method_str = t->key.method_str,
		.branch = t->key.branch, .host = t->key.host, .port = t->key.port,
	};
	if (copy_str(&c->key.method_str, c->kbuf, sizeof(c->kbuf), &off) < 0 ||
	    copy_str(&c->key.branch, c->kbuf, sizeof(c->kbuf), &off) < 0 ||
	    copy_str(&c->key.host, c->kbuf, sizeof(c->kbuf), &off) < 0) {
		xr_objpool_free(&txn_compact_pool, c);
		return false;
	}
	ev_init(&c->timer, compact_timer_cb);
	rcu_read_lock();
	cds_lfht_lookup(txn_ht, t->hash, same_node, &t->node, &it);
	rc = cds_lfht_iter_get_node(&it) ? cds_lfht_replace(txn_ht, &it, t->hash, same_node,
							    &t->node, &c->node) : -ENOENT;
	rcu_read_unlock();
	if (rc != 0) {
		xr_objpool_free(&txn_compact_pool, c);
		return false;
	}
	/* The bytes to resend move over; t keeps nothing to send (it is dead). */
	if (t->fsm.kind != TXN_NICT) {
		c->resp = t->resp;
		c->resp_len = t->resp_len;
		t->resp = NULL;
		t->resp_len = t->resp_cap = 0;
	}
	atomic_fetch_add(&txn_compact_n, 1);
	atomic_fetch_add(&txn_n, 1);	/* t's count goes when t is freed */
	t->in_table = false;
	txn_mark_dead_locked(t, TXN_DONE);
	now = sip_now_ms();
	ev_timer_set(&c->timer, due > now ? (double)(due - now) / 1000.0 : 0.0, 0.0);
	/* after the replace: from here on the timer may unlink c */
	ev_timer_start(c->owner->loop, &c->timer);
	tx_debug("txn %.*s %.*s: compact until its last timer",
		 SIP_STR_FMT(c->key.method_str), SIP_STR_FMT(c->key.branch));
	return true;
}

void
txn_compact_input(struct txn_compact *c, const struct sip_msg *m, const struct sip_src *src,
		  bool *stray)
{
	(void)src;
	*stray = false;
	switch (c->kind) {
	case TXN_NIST:		/* §17.2.2 Completed: the final again */
		if (m->is_request && m->method != SIP_METHOD_ACK && c->resp_len)
			(void)sip_tp_send(&c->dest, c->resp, c->resp_len);
		break;
	case TXN_ICT:		/* §17.1.1.2 Completed: the ACK again */
		if (!m->is_request && m->status >= 300 && c->resp_len)
			(void)sip_tp_send(&c->dest, c->resp, c->resp_len);
		else if (!m->is_request && m->status >= 200 && m->status < 300)
			*stray = true;	/* a 2xx after a non-2xx: the TU's (stray) */
		break;
	default:		/* NICT Completed: absorbed */
		break;
	}
}
