// SPDX-License-Identifier: GPL-2.0
/*
 * txn_compact.c - compact records for transactions that only wait out their
 * last timer (struct txn_compact in txn_int.h).
 *
 * Over UDP a transaction stays in the table after its final response for
 * RFC 3261's and RFC 6026's timers: 64*T1 (32 s) for J (NIST), D (ICT after
 * a non-2xx), L (IST after a 2xx) and M (ICT after a 2xx), T4 (5 s) for K
 * (NICT) and I (IST after the ACK of a non-2xx).  A simple call leaves four
 * such transactions, a forked one seven (five of them for 32 s).  All they
 * do in that time is absorb retransmissions (§17.1.1.2, §17.1.2.2,
 * §17.2.1, §17.2.2, RFC 6026 §7.1-7.2): a request retransmitted to a NIST
 * gets the final again, a non-2xx retransmitted to an ICT gets the ACK
 * again, a 2xx to an ICT and an ACK to an IST in Accepted go to the TU, the
 * rest is dropped.  That needs the key, the destination, the bytes to
 * resend and the timer: 256 bytes against struct txn's ~1 KB, and none of
 * the TU's context.  Every byte a call keeps for 32 s is memory the pools
 * must grow into at each step of a load ramp (first-touch memory is slow on
 * the benchmark's VM: bench/README.md), so the full record is buried
 * (gone(TXN_DONE) to the TU) as soon as the state is entered and this one
 * takes its place.  Without a transaction, the TU does what it does for a
 * message no transaction matches: a 2xx it forwards statelessly
 * (stray_response(), §16.7 / RFC 6026 §8.4), an ACK it routes (ack()).
 *
 * Concurrency: the compact record is built on the owner's thread under
 * t->lock, outside any TU call, and swapped in with cds_lfht_replace(), so
 * a lookup finds the full record or the compact one, never neither.  A
 * thread that took a reference on the full record just before finds it dead
 * (run_event() -ESRCH): that one retransmission is not answered, as if
 * lost; the peer's next one finds the compact record.  The compact record
 * never changes once in the table; readers use it under rcu_read_lock(),
 * the owner's timer unlinks it and frees it after a grace period.  TCP
 * transactions are not compacted (most end at once in these states), nor
 * RFC 2543 keys (their match needs the request's Call-ID, tags,
 * Request-URI and Via).
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
_Static_assert(sizeof(struct txn_compact) == 256, "four cache lines");

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

/* The key of c as txn_key_match() takes it (RFC 3261 fields only). */
static void
compact_key(const struct txn_compact *c, struct txn_key *k)
{
	*k = (struct txn_key){
		.server = c->kind == TXN_NIST || c->kind == TXN_IST,
		.rfc3261 = true, .tp = c->tp, .method = c->method,
		.method_str = sip_str_mk(c->kbuf, c->mlen),
		.branch = sip_str_mk(c->kbuf + c->mlen, c->blen),
		.host = sip_str_mk(c->kbuf + c->mlen + c->blen, c->hlen),
		.port = c->port,
	};
}

bool
txn_compact_match(const struct cds_lfht_node *n, const struct txn_key *k)
{
	const struct txn_compact *c = caa_container_of(n, struct txn_compact, node);
	struct txn_key ck;

	compact_key(c, &ck);
	return txn_key_match(&ck, (struct sip_str){ 0 }, k);
}

/*
 * The one timer the state waits for, or TM__MAX when t is not in such a
 * state (or another timer still runs).
 */
static enum txn_timer
last_timer(const struct txn *t)
{
	enum txn_timer want;

	switch (t->fsm.kind * 16 + t->fsm.state) {
	case TXN_NIST * 16 + TS_COMPLETED:	want = TM_J; break;
	case TXN_NICT * 16 + TS_COMPLETED:	want = TM_K; break;
	case TXN_ICT * 16 + TS_COMPLETED:	want = TM_D; break;
	case TXN_ICT * 16 + TS_ACCEPTED:	want = TM_M; break;
	case TXN_IST * 16 + TS_ACCEPTED:	want = TM_L; break;
	case TXN_IST * 16 + TS_CONFIRMED:	want = TM_I; break;
	default:				return TM__MAX;
	}
	for (int i = 0; i < TM__MAX; i++)
		if ((t->fsm.due[i] != 0) != (i == (int)want))
			return TM__MAX;
	return want;
}

/* Is t waiting for its last timer only, and can it be moved? */
static bool
compactable(const struct txn *t)
{
	bool resend = (t->fsm.kind == TXN_NIST || t->fsm.kind == TXN_ICT) &&
		      t->fsm.state == TS_COMPLETED;

	return !t->fsm.reliable && t->key.rfc3261 && t->in_table && !t->dead &&
	       t->owner && t->owner == sip_worker_self() && t->cb_busy == 0 &&
	       !t->job_queued && t->key.tp == SIP_TP_UDP && t->dest.tp == SIP_TP_UDP &&
	       (!resend || (t->resp_len > 0 && !t->dest_err)) && last_timer(t) != TM__MAX;
}

static int
copy_str(struct sip_str s, char *buf, size_t cap, size_t *off, uint8_t *len)
{
	if (s.len <= 0 || !s.s) {
		*len = 0;
		return 0;
	}
	if (*off + (size_t)s.len > cap || s.len > 255)
		return -ENOSPC;
	memcpy(buf + *off, s.s, (size_t)s.len);
	*off += (size_t)s.len;
	*len = (uint8_t)s.len;
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

	if (!txn_ht || !compactable(t))
		return false;
	due = t->fsm.due[last_timer(t)];
	c = xr_objpool_zalloc(&txn_compact_pool);
	if (!c)
		return false;
	c->compact = 1;
	c->kind = t->fsm.kind;
	c->state = t->fsm.state;
	c->tp = t->key.tp;
	c->hash = t->hash;
	c->owner = t->owner;
	c->dest = t->dest;
	c->method = t->key.method;
	c->port = t->key.port;
	if (copy_str(t->key.method_str, c->kbuf, sizeof(c->kbuf), &off, &c->mlen) < 0 ||
	    copy_str(t->key.branch, c->kbuf, sizeof(c->kbuf), &off, &c->blen) < 0 ||
	    copy_str(t->key.server ? t->key.host : (struct sip_str){ 0 }, c->kbuf,
		     sizeof(c->kbuf), &off, &c->hlen) < 0) {
		xr_objpool_free(&txn_compact_pool, c);
		return false;
	}
	ev_init(&c->timer, compact_timer_cb);
	/*
	 * The iterator a lookup of t would leave (t and its successor), made
	 * without walking the bucket's chain again: cds_lfht_replace() swaps
	 * with a compare-and-swap on t's next pointer and fails (-ENOENT) if t
	 * was removed meanwhile (only its owner, this thread, removes it).
	 */
	rcu_read_lock();
	it.node = &t->node;
	it.next = rcu_dereference(t->node.next);
	rc = cds_lfht_replace(txn_ht, &it, t->hash, same_node, &t->node, &c->node);
	rcu_read_unlock();
	if (rc != 0) {
		xr_objpool_free(&txn_compact_pool, c);
		return false;
	}
	/* The bytes to resend move over; t keeps nothing to send (it is dead). */
	if (t->fsm.state == TS_COMPLETED && t->fsm.kind != TXN_NICT) {
		c->resp = t->resp;
		c->resp_len = (uint32_t)t->resp_len;
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
	tx_debug("txn %.*s %.*s: compact (%s) until its last timer", (int)c->mlen, c->kbuf,
		 (int)c->blen, c->kbuf + c->mlen, txn_state_name(c->state));
	return true;
}

enum txn_compact_out
txn_compact_input(const struct txn_compact *c, const struct sip_msg *m)
{
	bool final2xx = !m->is_request && m->status >= 200 && m->status < 300;

	switch (c->kind * 16 + c->state) {
	case TXN_NIST * 16 + TS_COMPLETED:	/* §17.2.2: the final again */
		if (m->is_request && m->method != SIP_METHOD_ACK && c->resp_len)
			(void)sip_tp_send(&c->dest, c->resp, c->resp_len);
		return TXC_DONE;
	case TXN_ICT * 16 + TS_COMPLETED:	/* §17.1.1.2: the ACK again */
		if (!m->is_request && m->status >= 300 && c->resp_len)
			(void)sip_tp_send(&c->dest, c->resp, c->resp_len);
		return final2xx ? TXC_STRAY : TXC_DONE;
	case TXN_ICT * 16 + TS_ACCEPTED:	/* RFC 6026 §7.2: 2xx to the TU */
		return final2xx ? TXC_STRAY : TXC_DONE;
	case TXN_IST * 16 + TS_ACCEPTED:	/* RFC 6026 §7.1: the ACK to the TU */
		return m->is_request && m->method == SIP_METHOD_ACK ? TXC_ACK : TXC_DONE;
	default:				/* NICT Completed, IST Confirmed */
		return TXC_DONE;
	}
}
