// SPDX-License-Identifier: GPL-2.0
/*
 * txn.c - the transaction layer at run time (see txn.h): the shared table
 * (liburcu cds_lfht), transaction objects, their timers on the owning
 * worker's loop, the actions of the state machines (txn_fsm.c), the calls
 * into the TU and the input from the transports.  Matching rules live in
 * txn_table.c; creating transactions and the TU's calls in txn_api.c.
 *
 * Locking: t->lock guards the state machine, buffers and flags; sends happen
 * under it (the transport never calls back into us while holding its own
 * locks).  TU callbacks run with no transaction lock held.  gone() is only
 * ever called from the owning worker's loop (timer, mailbox job or the
 * receive path), never from inside a call the TU made into this API.
 *
 * Lifetime: one "base" reference is held from creation until the owner has
 * seen the transaction die (timer stopped, gone() called); lookups take
 * references only while the count is non-zero; the memory is freed after an
 * RCU grace period, so a reader walking the table never touches freed memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <urcu.h>
#include <urcu/rculfhash.h>

#include "common/log.h"
#include "txn/txn.h"
#include "txn/txn_int.h"
#include "txn/txn_fsm.h"
#include "sip/build.h"
#include "sip/msg.h"
#include "sip/worker.h"

const struct txn_tu_ops	*txn_tu;
struct txn_timer_cfg	 txn_tcfg = { 500, 4000, 5000, 180000 };
struct cds_lfht		*txn_ht;
atomic_ulong		 txn_n;
atomic_ulong		 txn_seq;		/* branch and tag uniqueness */
uint64_t			 txn_seed;		/* per-process random part */
/* struct txn: ~4-6 a call stay up to 64*T1 for their timers (objpool.h) */
struct xr_objpool	 txn_pool = XR_OBJPOOL_INIT(sizeof(struct txn));

/* n full records and n compact ones (a transaction becomes one after its final) */
int
txn_reserve(size_t n)
{
	int rc = xr_objpool_reserve(&txn_pool, n);

	return rc < 0 ? rc : xr_objpool_reserve(&txn_compact_pool, n);
}

size_t
txn_slots(void)
{
	return xr_objpool_slots(&txn_pool) + xr_objpool_slots(&txn_compact_pool);
}

size_t
txn_record_bytes(void)
{
	return sizeof(struct txn);
}

__thread struct sip_msg	 txn_tls_msg;	/* scratch parse (CANCEL/ACK/stateless) */
/* The request being handed to the TU on this thread (txn_reply() skips a parse). */
__thread struct txn	*txn_cur_st;
__thread const struct sip_msg *txn_cur_msg;


static int	txn_init(void);
static void	txn_input(const struct sip_msg *m, const struct sip_src *src);
static void	txn_conn_closed(uint64_t conn_id);
static void	txn_shutdown(void);

/* How the transports reach us: the layer above them. */
static const struct sip_tp_upper txn_upper = {
	.start		= txn_init,
	.input		= txn_input,
	.conn_closed	= txn_conn_closed,
	.stop		= txn_shutdown,
};

/* The TU above us; and we plug into the transports below. */
void
txn_set_tu(const struct txn_tu_ops *ops)
{
	txn_tu = ops;
	sip_tp_set_upper(&txn_upper);
}

void
txn_set_timers(const struct txn_timer_cfg *tc)
{
	txn_tcfg = *tc;
}

/* Set-up, from sip_start(). */
static int
txn_init(void)
{
	if (txn_ht)
		return 0;
	if (getrandom(&txn_seed, sizeof(txn_seed), 0) != sizeof(txn_seed))
		txn_seed = (uint64_t)sip_now_ms() * 2654435761u;
	/* 64 k buckets up front (512 kB): a load ramp does not wait on resizes */
	txn_ht = cds_lfht_new(65536, 65536, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	return txn_ht ? 0 : -ENOMEM;
}

void
txn_free(struct txn *t)
{
	pthread_mutex_destroy(&t->lock);
	free(t->req_msg);
	free(t->resp);
	free(t->req);
	xr_objpool_free(&txn_pool, t);
}

static void
free_rcu(struct rcu_head *h)
{
	txn_free(caa_container_of(h, struct txn, rcu));
}

/*
 * From sip_stop(), after every worker has stopped: no timers run, no one
 * looks up.  The table still shrinks as it empties (CDS_LFHT_ACCOUNTING):
 * that resize runs in liburcu's call_rcu thread and walks the chains, so a
 * removed transaction is freed after a grace period like any other, never
 * at once (freed at once, the resize could read a reused node and trip
 * liburcu's `!is_removed(iter)` assertion at exit).
 */
static void
txn_shutdown(void)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	if (!txn_ht)
		return;
	rcu_barrier();	/* frees already under way */
	rcu_read_lock();
	cds_lfht_for_each(txn_ht, &it, n) {
		struct txn *t = caa_container_of(n, struct txn, node);

		if (t->compact) {
			txn_compact_drop(caa_container_of(n, struct txn_compact, node));
			continue;
		}
		if (cds_lfht_del(txn_ht, n) != 0)
			continue;
		t->in_table = false;
		if (!t->owner_done && !t->internal && txn_tu && txn_tu->gone)
			txn_tu->gone(t, t->ctx, TXN_KILLED);
		atomic_fetch_sub(&txn_n, 1);
		call_rcu(&t->rcu, free_rcu);
	}
	rcu_read_unlock();
	rcu_barrier();	/* every transaction freed, the resize done */
	cds_lfht_destroy(txn_ht, NULL);
	txn_ht = NULL;
}

unsigned long
txn_count(void)
{
	return atomic_load(&txn_n);
}

void
txn_ref(struct txn *t)
{
	atomic_fetch_add(&t->refs, 1);
}

/* A reference only if the transaction is not being freed (RCU readers). */
static bool
txn_ref_live(struct txn *t)
{
	int r = atomic_load(&t->refs);

	while (r > 0)
		if (atomic_compare_exchange_weak(&t->refs, &r, r + 1))
			return true;
	return false;
}

static void
free_job(struct sip_job *job)
{
	struct txn *t = caa_container_of(job, struct txn, job);

	call_rcu(&t->rcu, free_rcu);
}

/*
 * The last reference: free after a grace period.  call_rcu() wants an RCU
 * registered thread, so other threads hand the job to a worker; during
 * sip_stop() (or with no workers at all) no reader can run, free at once.
 */
void
txn_unref(struct txn *t)
{
	struct sip_worker *w;

	if (atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	atomic_fetch_sub(&txn_n, 1);
	if (sip_worker_self() && !sip_stopping) {
		call_rcu(&t->rcu, free_rcu);
	} else if (!sip_stopping && (w = sip_worker_get(0)) != NULL) {
		t->job.fn = free_job;	/* no job is queued: it would hold a ref */
		sip_worker_post(w, &t->job);
	} else {
		txn_free(t);
	}
}

void
txn_set_ctx(struct txn *t, void *ctx)
{
	pthread_mutex_lock(&t->lock);
	t->ctx = ctx;
	pthread_mutex_unlock(&t->lock);
}

void *
txn_get_ctx(struct txn *t)
{
	void *c;

	pthread_mutex_lock(&t->lock);
	c = t->ctx;
	pthread_mutex_unlock(&t->lock);
	return c;
}

bool
txn_is_invite(const struct txn *t)
{
	return t->fsm.kind == TXN_ICT || t->fsm.kind == TXN_IST;
}

const struct sip_src *
txn_source(struct txn *st)
{
	return &st->src;
}

/* ---- table ------------------------------------------------------------ */

static struct sip_str
resp_tag(const struct txn *t)
{
	return sip_str_mk(t->resp_to_tag, (int)strnlen(t->resp_to_tag, sizeof(t->resp_to_tag)));
}

static int
match_fn(struct cds_lfht_node *n, const void *key)
{
	const struct txn *t = caa_container_of(n, struct txn, node);

	if (t->compact)
		return txn_compact_match(n, key);
	return txn_key_match(&t->key, resp_tag(t), key);
}

/*
 * Find a live transaction for k; returns it with a reference, or NULL.  A
 * compact record (txn_compact.c) is not returned: *absorbed is set and,
 * with m, it absorbs m there (under the RCU read lock that keeps it) and
 * *out says what is left to the caller.  Without absorbed (NULL) compact
 * records are skipped.
 */
static struct txn *
lookup_msg(const struct txn_key *k, const struct sip_msg *m, bool *absorbed,
	   enum txn_compact_out *out)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	struct txn *found = NULL;

	if (absorbed) {
		*absorbed = false;
		*out = TXC_DONE;
	}
	rcu_read_lock();
	cds_lfht_lookup(txn_ht, txn_key_hash(k), match_fn, k, &it);
	while ((n = cds_lfht_iter_get_node(&it)) != NULL) {
		struct txn *t = caa_container_of(n, struct txn, node);

		if (t->compact) {
			if (absorbed) {
				if (m)
					*out = txn_compact_input(caa_container_of(n,
							struct txn_compact, node), m);
				*absorbed = true;
				break;
			}
		} else if (txn_ref_live(t)) {
			found = t;
			break;
		}
		cds_lfht_next_duplicate(txn_ht, match_fn, k, &it);
	}
	rcu_read_unlock();
	return found;
}

/*
 * Insert t; if an equal live transaction is already there (the same
 * retransmission received by two workers at once), return it referenced and
 * leave t out.  NULL when t went in.
 */
struct txn *
txn_insert(struct txn *t)
{
	struct cds_lfht_node *n;
	struct txn *other = NULL;

	rcu_read_lock();
	n = cds_lfht_add_unique(txn_ht, t->hash, match_fn, &t->key, &t->node);
	if (n != &t->node) {
		other = caa_container_of(n, struct txn, node);
		/* a compact record, or dying: t cannot go in either; caller drops it */
		if (other->compact || !txn_ref_live(other))
			other = NULL;
	} else {
		t->in_table = true;
	}
	rcu_read_unlock();
	return other;
}

/* The transaction is over.  Call with t->lock held. */
void
txn_mark_dead_locked(struct txn *t, enum txn_reason why)
{
	if (t->dead)
		return;
	t->dead = true;
	t->why = why;
	t->fsm.state = TS_TERMINATED;
	memset(t->fsm.due, 0, sizeof(t->fsm.due));
	if (t->in_table) {
		rcu_read_lock();
		cds_lfht_del(txn_ht, &t->node);
		rcu_read_unlock();
		t->in_table = false;
	}
}

/* ---- timers and the owner --------------------------------------------- */

/*
 * On the owner's thread: bring the ev_timer in line with the state machine;
 * if the transaction died, stop it, tell the TU and drop the base reference.
 */
/*
 * Transactions of this (owner) thread that entered a compactable state
 * inside a TU call, where gone() may not run: compacted by
 * txn_compact_drain() once the call returned.  Each holds a reference.
 */
#define COMPACT_LATER_MAX	32
static __thread struct txn	*compact_later[COMPACT_LATER_MAX];
static __thread int		 n_compact_later;

static void
owner_sync(struct txn *t, bool may_compact)
{
	bool drop = false, gone = false;
	enum txn_reason why;
	void *ctx;

	pthread_mutex_lock(&t->lock);
	/* only a last timer to wait for: a compact record in t's place, t dies */
	if (!t->dead && (t->fsm.state == TS_COMPLETED || t->fsm.state == TS_ACCEPTED ||
			 t->fsm.state == TS_CONFIRMED) && t->owner &&
	    t->owner == sip_worker_self()) {
		if (may_compact) {
			t->compact_later = false;
			txn_compact_locked(t);
		} else if (!t->compact_later && n_compact_later < COMPACT_LATER_MAX) {
			t->compact_later = true;
			txn_ref(t);
			compact_later[n_compact_later++] = t;
		}
	}
	if (t->dead) {
		if (t->armed_due) {
			ev_timer_stop(t->owner->loop, &t->timer);
			t->armed_due = 0;
		}
		/*
		 * A TU callback for t may still run on another worker (its
		 * response arrived there just before t died): gone() must
		 * come after it; the last one to finish calls us again.
		 */
		if (!t->owner_done && t->cb_busy == 0) {
			t->owner_done = true;
			drop = true;
			gone = !t->internal;
		}
	} else if (t->owner) {
		uint64_t due = txn_fsm_next(&t->fsm);

		if (due != t->armed_due) {
			if (t->armed_due)
				ev_timer_stop(t->owner->loop, &t->timer);
			if (due) {
				uint64_t now = sip_now_ms();
				double after = due > now ? (double)(due - now) / 1000.0 : 0.0;

				ev_timer_set(&t->timer, after, 0.0);
				ev_timer_start(t->owner->loop, &t->timer);
			}
			t->armed_due = due;
		}
	}
	why = t->why;
	ctx = t->ctx;
	pthread_mutex_unlock(&t->lock);
	if (gone && txn_tu && txn_tu->gone)
		txn_tu->gone(t, ctx, why);
	if (drop)
		txn_unref(t);
}

/* Compact what entered its last wait inside a TU call (the owner's thread). */
static void
txn_compact_drain(void)
{
	while (n_compact_later > 0) {
		struct txn *t = compact_later[--n_compact_later];

		owner_sync(t, true);
		txn_unref(t);
	}
}

void
txn_owner_job(struct sip_job *job)
{
	struct txn *t = caa_container_of(job, struct txn, job);

	pthread_mutex_lock(&t->lock);
	t->job_queued = false;
	pthread_mutex_unlock(&t->lock);
	owner_sync(t, true);
	txn_unref(t);
	txn_compact_drain();
}

/*
 * After an event: let the owner re-arm the timer or bury t.  Done here when
 * this thread is the owner and callbacks are allowed (not inside a TU call
 * when t died), else through the owner's mailbox.
 */
void
txn_sync_owner(struct txn *t, bool may_callback)
{
	bool post = false;

	/*
	 * sip_stop(): no worker runs any more, and txn_shutdown() frees every
	 * transaction after its gone() callback.  A job queued now (a callback
	 * answering or cancelling another transaction) would never run, and
	 * would stay in the mailbox after its transaction was freed: the next
	 * post then wrote through the freed tail (ASan, t_sip_shutdown).
	 */
	if (sip_stopping)
		return;
	if (sip_worker_self() == t->owner && t->owner) {
		pthread_mutex_lock(&t->lock);
		post = t->dead && !may_callback;
		pthread_mutex_unlock(&t->lock);
		if (!post) {
			owner_sync(t, may_callback);
			return;
		}
	}
	if (!t->owner) {	/* no workers (unit tests): no timers either */
		owner_sync(t, false);
		return;
	}
	pthread_mutex_lock(&t->lock);
	if (!t->job_queued) {
		t->job_queued = true;
		post = true;
		txn_ref(t);
	} else {
		post = false;
	}
	pthread_mutex_unlock(&t->lock);
	if (post)
		sip_worker_post(t->owner, &t->job);
}

/* Make t->resp the ACK for final resp.  Call with t->lock held. */
static int
make_ack_locked(struct txn *t, const struct sip_msg *resp)
{
	char buf[TXN_BUILD_MAX];
	struct sip_err perr;
	int n;

	if (!t->req || sip_msg_parse(&txn_tls_msg, t->req, t->req_len, &perr) < 0)
		return -EINVAL;
	n = sip_build_cancel_ack(buf, sizeof(buf), &txn_tls_msg, resp);
	if (n < 0)
		return n;
	if ((size_t)n > t->resp_cap) {
		char *p = realloc(t->resp, (size_t)n);

		if (!p)
			return -ENOMEM;
		t->resp = p;
		t->resp_cap = (size_t)n;
	}
	memcpy(t->resp, buf, (size_t)n);
	t->resp_len = (size_t)n;
	return 0;
}

/*
 * Free what the state no longer needs, so the many transactions waiting
 * out Timer D/J/K/L/M (up to 64*T1) stay small.  Call with t->lock held.
 *  - request copy: not after the last (re)send: client Completed/Accepted
 *    (the ACK is already built), server once a final went out;
 *  - last response: not in IST Accepted (2xx retransmissions come from the
 *    TU) nor Confirmed (nothing is resent).
 */
static void
shrink_locked(struct txn *t)
{
	bool drop_req = false, drop_resp = false;

	switch (t->fsm.state) {
	case TS_COMPLETED:
		drop_req = true;
		break;
	case TS_ACCEPTED:
		drop_req = true;
		drop_resp = t->server;
		break;
	case TS_CONFIRMED:
		drop_req = drop_resp = true;
		break;
	default:
		break;
	}
	if (drop_req && t->req && !t->key_in_req) {
		free(t->req);
		t->req = NULL;
	}
	if (drop_resp && t->resp) {
		free(t->resp);
		t->resp = NULL;
		t->resp_len = t->resp_cap = 0;
	}
}

/* ---- running events ---------------------------------------------------- */

/*
 * Perform the send actions of a; a failed send feeds TE_TP_ERR into the
 * machine and merges its actions.  Call with t->lock held.
 */
void
txn_do_sends_locked(struct txn *t, struct txn_act *a, const struct sip_msg *msg, uint64_t now)
{
	int err = 0;

	if ((a->flags & TA_SEND_REQ) && t->req)
		err = sip_tp_send_track(&t->dest, t->req, t->req_len);
	if (!err && (a->flags & TA_SEND_RESP) && t->resp_len)
		err = t->dest_err ? t->dest_err : sip_tp_send(&t->dest, t->resp, t->resp_len);
	if (!err && (a->flags & TA_SEND_ACK)) {
		if (msg && t->resp_len == 0)
			err = make_ack_locked(t, msg);
		if (!err && t->resp_len)
			err = sip_tp_send(&t->dest, t->resp, t->resp_len);
	}
	if (err && err != -ENOBUFS && !t->dead) {
		struct txn_act b;

		tx_debug("txn %p: send failed: %s", (void *)t, strerror(-err));
		if (txn_fsm_event(&t->fsm, TE_TP_ERR, 0, now, &b) == 0) {
			a->flags |= b.flags;
			if (b.flags & TA_TU_FAIL)
				a->code = b.code;
			if (b.flags & (TA_TU_FAIL | TA_TERMINATE))
				a->why = b.why;
		}
	}
	if (a->flags & TA_TERMINATE)
		txn_mark_dead_locked(t, a->why);
	else
		shrink_locked(t);
}

/*
 * Without the lock: the TU side of a, then the owner's part.  When a has
 * TU callbacks, the caller counted them in t->cb_busy under the lock.
 */
void
txn_after_event(struct txn *t, const struct txn_act *a, const struct sip_msg *msg,
	    const struct sip_src *src, bool may_callback)
{
	void *ctx = t->ctx;

	if (a->flags & TA_SEND_CANCEL)
		txn_start_cancel(t);
	if (!t->internal && txn_tu) {
		if ((a->flags & TA_TU_RESP) && msg && txn_tu->response)
			txn_tu->response(t, ctx, msg, src);
		if ((a->flags & TA_TU_FAIL) && txn_tu->failure) {
			tx_debug("txn %.*s %.*s: failure %d (%d), conn %llu",
				 SIP_STR_FMT(t->key.method_str), SIP_STR_FMT(t->key.branch),
				 a->code, (int)a->why, (unsigned long long)t->dest.conn_id);
			txn_tu->failure(t, ctx, a->code, a->why);
		}
		if ((a->flags & TA_TU_ACK) && msg && txn_tu->ack)
			txn_tu->ack(msg, src);
	}
	if (a->flags & TA_TU_ANY) {
		pthread_mutex_lock(&t->lock);
		t->cb_busy--;
		pthread_mutex_unlock(&t->lock);
	}
	txn_sync_owner(t, may_callback);
}

static int
run_event(struct txn *t, enum txn_event ev, int code, const struct sip_msg *msg,
	  const struct sip_src *src, bool may_callback)
{
	uint64_t now = sip_now_ms();
	struct txn_act a;
	int err;

	pthread_mutex_lock(&t->lock);
	if (t->dead) {
		pthread_mutex_unlock(&t->lock);
		return -ESRCH;
	}
	err = txn_fsm_event(&t->fsm, ev, code, now, &a);
	if (err) {
		pthread_mutex_unlock(&t->lock);
		return err;
	}
	txn_do_sends_locked(t, &a, msg, now);
	if (a.flags & TA_TU_ANY)
		t->cb_busy++;
	pthread_mutex_unlock(&t->lock);
	txn_after_event(t, &a, msg, src, may_callback);
	return 0;
}

void
txn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct txn *t = caa_container_of(w, struct txn, timer);

	(void)loop;
	(void)revents;
	txn_ref(t);
	pthread_mutex_lock(&t->lock);
	t->armed_due = 0;	/* a one-shot timer is stopped once it fired */
	pthread_mutex_unlock(&t->lock);
	run_event(t, TE_TIMER, 0, NULL, NULL, true);
	txn_unref(t);
	txn_compact_drain();
}

/* ---- input from the transports -------------------------------------------- */

/*
 * A parsed message from the transports: match it to a transaction and run
 * it, or hand it to the TU.  src->received and src->rport are computed.
 */
static void
txn_input_one(const struct sip_msg *m, const struct sip_src *src)
{
	struct txn_key k;
	struct txn *t, *inv = NULL, *other;
	enum txn_compact_out out;
	bool absorbed;

	if (!txn_ht || txn_key_from_msg(&k, m, m->is_request) < 0) {
		if (!m->is_request && txn_tu && txn_tu->stray_response)
			txn_tu->stray_response(m, src);
		return;
	}
	if (m->is_request)
		k.tp = (uint8_t)src->tp;
	if (!m->is_request) {
		t = lookup_msg(&k, m, &absorbed, &out);
		if (!t) {
			if ((!absorbed || out == TXC_STRAY) && txn_tu && txn_tu->stray_response)
				txn_tu->stray_response(m, src);
			return;
		}
		run_event(t, TE_RX_RESP, m->status, m, src, true);
		txn_unref(t);
		return;
	}
	if (k.is_ack) {
		t = lookup_msg(&k, m, &absorbed, &out);
		if (t) {
			run_event(t, TE_RX_ACK, 0, m, src, true);
			txn_unref(t);
		} else if ((!absorbed || out == TXC_ACK) && txn_tu && txn_tu->ack) {
			txn_tu->ack(m, src);
		}
		return;
	}
	t = lookup_msg(&k, m, &absorbed, &out);
	if (t) {	/* a retransmission: §17.2.1, §17.2.2 */
		run_event(t, TE_RX_REQ, 0, m, src, true);
		txn_unref(t);
		return;
	}
	if (absorbed)	/* ... of a transaction kept as a compact record */
		return;
	if (txn_tu && txn_tu->admit && !txn_tu->admit(m, src))
		return;		/* answered statelessly or dropped: nothing kept */
	t = txn_server_new(m, src, &k, &other);
	if (!t) {
		if (other) {
			run_event(other, TE_RX_REQ, 0, m, src, true);
			txn_unref(other);
		}
		return;
	}
	if (m->method == SIP_METHOD_CANCEL) {	/* §9.2: the INVITE it cancels */
		struct txn_key ik = k;

		ik.method = SIP_METHOD_INVITE;
		ik.method_str = SIP_STR("INVITE");
		inv = lookup_msg(&ik, NULL, &absorbed, &out);
		if (absorbed) {
			/*
			 * Its INVITE was answered and waits out Timer L or I as
			 * a compact record: the response context exists, so
			 * §16.10's 200, and nothing to cancel (the TU would do
			 * just that with the full record: a final went out).
			 */
			txn_reply(t, 200, NULL);
			txn_sync_owner(t, true);
			txn_unref(t);
			return;
		}
	}
	if (txn_tu && txn_tu->request) {
		txn_cur_st = t;
		txn_cur_msg = m;
		txn_tu->request(t, inv, m, src);
		txn_cur_st = NULL;
		txn_cur_msg = NULL;
	}
	if (inv)
		txn_unref(inv);
	txn_sync_owner(t, true);
	txn_unref(t);
}

static void
txn_input(const struct sip_msg *m, const struct sip_src *src)
{
	txn_input_one(m, src);
	txn_compact_drain();
}

/*
 * TCP connection conn_id closed: client transactions still waiting for a
 * final response over it fail as a transport error (§17.1.4: the TU gets
 * failure(503, TXN_TRANSPORT)).  Called on a worker thread.
 */
static void
txn_conn_closed(uint64_t conn_id)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	struct txn *hit[64];
	int nhit = 0;

	if (!txn_ht || !conn_id)
		return;
	/* a scan: connections close rarely; bounded batch per call */
	rcu_read_lock();
	cds_lfht_for_each(txn_ht, &it, n) {
		struct txn *t = caa_container_of(n, struct txn, node);

		if (t->compact || t->server || t->dest.tp != SIP_TP_TCP ||
		    __atomic_load_n(&t->dest.conn_id, __ATOMIC_RELAXED) != conn_id)
			continue;
		if (nhit < 64 && txn_ref_live(t))
			hit[nhit++] = t;
	}
	rcu_read_unlock();
	for (int i = 0; i < nhit; i++) {
		struct txn *t = hit[i];
		bool waiting;

		pthread_mutex_lock(&t->lock);
		waiting = !t->dead && !t->fsm.tu_final && t->dest.conn_id == conn_id;
		pthread_mutex_unlock(&t->lock);
		if (waiting) {
			tx_debug("txn %.*s: connection %llu closed under it",
				 SIP_STR_FMT(t->key.branch), (unsigned long long)conn_id);
			run_event(t, TE_TP_ERR, 0, NULL, NULL, true);
		}
		txn_unref(t);
	}
}
