// SPDX-License-Identifier: GPL-2.0
/*
 * txn.c - the transaction layer at run time (see txn.h): the shared table
 * (liburcu cds_lfht), transaction objects, their timers on the owning
 * worker's loop, the actions of the state machines (txn_fsm.c) and the calls
 * into the TU.  Matching rules live in txn_table.c.
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
#include "policy/policy.h"
#include "txn/txn.h"
#include "txn/txn_fsm.h"
#include "sip/build.h"
#include "sip/msg.h"
#include "sip/worker.h"

#define tx_debug(...)	slog(LS_TX, LL_DEBUG, __VA_ARGS__)
#define TXN_BUILD_MAX	8192	/* our own CANCEL, ACK and simple responses */

struct txn {
	struct cds_lfht_node	 node;
	struct rcu_head		 rcu;
	unsigned long		 hash;
	atomic_int		 refs;
	pthread_mutex_t		 lock;
	struct sip_worker	*owner;		/* its timer runs on this loop */
	ev_timer		 timer;		/* owner thread only */
	uint64_t		 armed_due;	/* what timer is set for, 0 = stopped */
	struct sip_job		 job;		/* owner_sync() from other threads */
	bool			 job_queued;	/* under lock */
	bool			 in_table;	/* under lock */
	bool			 dead;		/* terminated (under lock) */
	bool			 owner_done;	/* the owner processed the death */
	int			 cb_busy;	/* TU callbacks running (gone() waits) */
	bool			 internal;	/* a CANCEL we generated: no TU */
	bool			 server;
	enum txn_reason		 why;		/* why it died */
	struct txn_fsm		 fsm;
	struct txn_key		 key;		/* slices into req (or branch) */
	void			*ctx;
	struct sip_src		 src;		/* server: how the request came */
	struct sip_dest		 dest;		/* client: next hop; server: where responses go */
	int			 dest_err;	/* server: -errno when no response route */
	struct sip_msg		*req_msg;	/* lazily parsed copy of req (server) */
	char			*resp;		/* server: last response; ICT: the ACK */
	size_t			 resp_len, resp_cap;
	char			 resp_to_tag[64]; /* server: To tag of the final sent */
	char			 to_tag[24];	/* server: our tag for txn_reply() */
	char			 branch[TXN_BRANCH_MAX]; /* client: our branch */
	bool			 key_in_req;	/* key slices point into req: keep it */
	char			 kbuf[96];	/* key strings, so req can go early */
	size_t			 req_len;
	char			*req;		/* the request (NULL once not needed) */
};

static const struct txn_tu_ops	*tu;
static struct txn_timer_cfg	 tcfg = { 500, 4000, 5000, 180000 };
static struct cds_lfht		*table;
static atomic_ulong		 ntxn;
static atomic_ulong		 seq;		/* branch and tag uniqueness */
static uint64_t			 seed;		/* per-process random part */

static __thread struct sip_msg	 tls_msg;	/* scratch parse (CANCEL/ACK/stateless) */
/* The request being handed to the TU on this thread (txn_reply() skips a parse). */
static __thread struct txn	*cur_st;
static __thread const struct sip_msg *cur_msg;

static void	owner_job(struct sip_job *job);
static void	timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
static int	start_cancel(struct txn *inv);

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
	tu = ops;
	sip_tp_set_upper(&txn_upper);
}

void
txn_set_timers(const struct txn_timer_cfg *tc)
{
	tcfg = *tc;
}

/* Set-up, from sip_start(). */
static int
txn_init(void)
{
	if (table)
		return 0;
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)sip_now_ms() * 2654435761u;
	/* 64 k buckets up front (512 kB): a load ramp does not wait on resizes */
	table = cds_lfht_new(65536, 65536, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	return table ? 0 : -ENOMEM;
}

static void
txn_free(struct txn *t)
{
	pthread_mutex_destroy(&t->lock);
	free(t->req_msg);
	free(t->resp);
	free(t->req);
	free(t);
}

static void
free_rcu(struct rcu_head *h)
{
	txn_free(caa_container_of(h, struct txn, rcu));
}

/* From sip_stop(), after every worker has stopped: no timers run, no one looks up. */
static void
txn_shutdown(void)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	if (!table)
		return;
	rcu_barrier();	/* frees already under way */
	cds_lfht_for_each(table, &it, n) {
		struct txn *t = caa_container_of(n, struct txn, node);

		cds_lfht_del(table, n);
		t->in_table = false;
		if (!t->owner_done && !t->internal && tu && tu->gone)
			tu->gone(t, t->ctx, TXN_KILLED);
		atomic_fetch_sub(&ntxn, 1);
		txn_free(t);
	}
	cds_lfht_destroy(table, NULL);
	table = NULL;
}

unsigned long
txn_count(void)
{
	return atomic_load(&ntxn);
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
	atomic_fetch_sub(&ntxn, 1);
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

	return txn_key_match(&t->key, resp_tag(t), key);
}

/* Find a live transaction for k; returns it with a reference, or NULL. */
static struct txn *
lookup(const struct txn_key *k)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	struct txn *found = NULL;

	rcu_read_lock();
	cds_lfht_lookup(table, txn_key_hash(k), match_fn, k, &it);
	while ((n = cds_lfht_iter_get_node(&it)) != NULL) {
		struct txn *t = caa_container_of(n, struct txn, node);

		if (txn_ref_live(t)) {
			found = t;
			break;
		}
		cds_lfht_next_duplicate(table, match_fn, k, &it);
	}
	rcu_read_unlock();
	return found;
}

/*
 * Insert t; if an equal live transaction is already there (the same
 * retransmission received by two workers at once), return it referenced and
 * leave t out.  NULL when t went in.
 */
static struct txn *
insert(struct txn *t)
{
	struct cds_lfht_node *n;
	struct txn *other = NULL;

	rcu_read_lock();
	n = cds_lfht_add_unique(table, t->hash, match_fn, &t->key, &t->node);
	if (n != &t->node) {
		other = caa_container_of(n, struct txn, node);
		if (!txn_ref_live(other))
			other = NULL;	/* dying: t cannot go in either; caller drops it */
	} else {
		t->in_table = true;
	}
	rcu_read_unlock();
	return other;
}

/* The transaction is over.  Call with t->lock held. */
static void
mark_dead_locked(struct txn *t, enum txn_reason why)
{
	if (t->dead)
		return;
	t->dead = true;
	t->why = why;
	t->fsm.state = TS_TERMINATED;
	memset(t->fsm.due, 0, sizeof(t->fsm.due));
	if (t->in_table) {
		rcu_read_lock();
		cds_lfht_del(table, &t->node);
		rcu_read_unlock();
		t->in_table = false;
	}
}

/* ---- timers and the owner --------------------------------------------- */

/*
 * On the owner's thread: bring the ev_timer in line with the state machine;
 * if the transaction died, stop it, tell the TU and drop the base reference.
 */
static void
owner_sync(struct txn *t)
{
	bool drop = false, gone = false;
	enum txn_reason why;
	void *ctx;

	pthread_mutex_lock(&t->lock);
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
	if (gone && tu && tu->gone)
		tu->gone(t, ctx, why);
	if (drop)
		txn_unref(t);
}

static void
owner_job(struct sip_job *job)
{
	struct txn *t = caa_container_of(job, struct txn, job);

	pthread_mutex_lock(&t->lock);
	t->job_queued = false;
	pthread_mutex_unlock(&t->lock);
	owner_sync(t);
	txn_unref(t);
}

/*
 * After an event: let the owner re-arm the timer or bury t.  Done here when
 * this thread is the owner and callbacks are allowed (not inside a TU call
 * when t died), else through the owner's mailbox.
 */
static void
sync_owner(struct txn *t, bool may_callback)
{
	bool post = false;

	if (sip_worker_self() == t->owner && t->owner) {
		pthread_mutex_lock(&t->lock);
		post = t->dead && !may_callback;
		pthread_mutex_unlock(&t->lock);
		if (!post) {
			owner_sync(t);
			return;
		}
	}
	if (!t->owner) {	/* no workers (unit tests): no timers either */
		owner_sync(t);
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

	if (!t->req || sip_msg_parse(&tls_msg, t->req, t->req_len, &perr) < 0)
		return -EINVAL;
	n = sip_build_cancel_ack(buf, sizeof(buf), &tls_msg, resp);
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
static void
do_sends_locked(struct txn *t, struct txn_act *a, const struct sip_msg *msg, uint64_t now)
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
		mark_dead_locked(t, a->why);
	else
		shrink_locked(t);
}

#define TA_TU_ANY	(TA_TU_RESP | TA_TU_FAIL | TA_TU_ACK)

/*
 * Without the lock: the TU side of a, then the owner's part.  When a has
 * TU callbacks, the caller counted them in t->cb_busy under the lock.
 */
static void
after_event(struct txn *t, const struct txn_act *a, const struct sip_msg *msg,
	    const struct sip_src *src, bool may_callback)
{
	void *ctx = t->ctx;

	if (a->flags & TA_SEND_CANCEL)
		start_cancel(t);
	if (!t->internal && tu) {
		if ((a->flags & TA_TU_RESP) && msg && tu->response)
			tu->response(t, ctx, msg, src);
		if ((a->flags & TA_TU_FAIL) && tu->failure) {
			tx_debug("txn %.*s %.*s: failure %d (%d), conn %llu",
				 SIP_STR_FMT(t->key.method_str), SIP_STR_FMT(t->key.branch),
				 a->code, (int)a->why, (unsigned long long)t->dest.conn_id);
			tu->failure(t, ctx, a->code, a->why);
		}
		if ((a->flags & TA_TU_ACK) && msg && tu->ack)
			tu->ack(msg, src);
	}
	if (a->flags & TA_TU_ANY) {
		pthread_mutex_lock(&t->lock);
		t->cb_busy--;
		pthread_mutex_unlock(&t->lock);
	}
	sync_owner(t, may_callback);
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
	do_sends_locked(t, &a, msg, now);
	if (a.flags & TA_TU_ANY)
		t->cb_busy++;
	pthread_mutex_unlock(&t->lock);
	after_event(t, &a, msg, src, may_callback);
	return 0;
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
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
}

/* ---- creation ------------------------------------------------------------ */

static struct sip_worker *
pick_owner(void)
{
	struct sip_worker *w = sip_worker_self();

	if (!w && sip_nworkers() > 0)
		w = sip_worker_get((int)(atomic_fetch_add(&seq, 1) % (unsigned long)sip_nworkers()));
	return w;
}

static struct txn *
txn_alloc(const char *buf, size_t len)
{
	struct txn *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->req = malloc(len);
	if (!t->req) {
		free(t);
		return NULL;
	}
	memcpy(t->req, buf, len);
	t->req_len = len;
	atomic_init(&t->refs, 1);
	pthread_mutex_init(&t->lock, NULL);
	ev_init(&t->timer, timer_cb);
	t->job.fn = owner_job;
	t->owner = pick_owner();
	atomic_fetch_add(&ntxn, 1);
	return t;
}

/*
 * Move the key strings a RFC 3261 match needs (method, branch, sent-by host)
 * into t->kbuf, so the request copy can be freed while the transaction
 * waits out its last timer.  false when they do not fit.
 */
static bool
key_inline(struct txn *t)
{
	struct sip_str *f[3] = { &t->key.method_str, &t->key.branch, &t->key.host };
	size_t off = 0;

	for (int i = 0; i < 3; i++)
		off += (size_t)(f[i]->len > 0 ? f[i]->len : 0);
	if (off > sizeof(t->kbuf))
		return false;
	off = 0;
	for (int i = 0; i < 3; i++) {
		if (!f[i]->s)
			continue;
		memcpy(t->kbuf + off, f[i]->s, (size_t)f[i]->len);
		f[i]->s = t->kbuf + off;
		off += (size_t)f[i]->len;
	}
	return true;
}

static struct sip_str
rebase(struct sip_str s, const char *from, const char *to)
{
	if (!s.s)
		return s;
	return sip_str_mk(to + (s.s - from), s.len);
}

/* Where responses of a server transaction go (§18.2.2, RFC 3581). */
static int
server_dest(const struct sip_msg *m, const struct sip_src *src, struct sip_dest *d)
{
	const struct sip_via *v = &m->via1;
	char peer_ip[INET6_ADDRSTRLEN];
	struct sip_via_route vr = {
		.host = v->host.s, .hostlen = (size_t)v->host.len, .port = v->port,
		.maddr = v->maddr.s, .maddrlen = (size_t)v->maddr.len,
		.tp = v->proto == SIP_PROTO_TCP ? SIP_TP_TCP : SIP_TP_UDP,
	};

	/*
	 * OUR implementation: the transport the request really came on wins
	 * over the Via's sent-protocol (a "SIP/2.0/UDP" Via over TCP, as in
	 * several RFC 4475 messages, is answered on the connection).
	 */
	if (src->sock >= 0)
		vr.tp = src->tp;

	if (src->received[0]) {
		vr.received = src->received;
		vr.receivedlen = strlen(src->received);
	} else if (v->received.s) {
		vr.received = v->received.s;
		vr.receivedlen = (size_t)v->received.len;
	}
	vr.rport = src->rport ? src->rport : v->rport_val;
	/*
	 * The access policy (issue 13): over UDP, an untrusted source gets its
	 * responses where the request came from, as if it had asked for rport
	 * (RFC 3581), and its Via maddr is ignored: neither can reflect our
	 * responses to a third party.
	 */
	if (vr.tp == SIP_TP_UDP && src->sock >= 0 && !pol_trusted(&src->peer)) {
		vr.maddr = NULL;
		vr.maddrlen = 0;
		vr.received = peer_ip;
		vr.receivedlen = strlen(xr_sa_ipstr(&src->peer, peer_ip, sizeof(peer_ip)));
		vr.rport = xr_sa_port(&src->peer);
	}
	return sip_tp_response_dest(&vr, src, d);
}

/* A new server transaction for request m (not ACK); referenced, in the table. */
static struct txn *
server_new(const struct sip_msg *m, const struct sip_src *src, const struct txn_key *k,
	   struct txn **existing)
{
	const char *base = m->buf;
	struct txn *t, *other;
	bool invite = m->method == SIP_METHOD_INVITE;

	*existing = NULL;
	t = txn_alloc(m->buf, (size_t)m->len);
	if (!t)
		return NULL;
	t->server = true;
	t->src = *src;
	t->key = *k;
	t->key.method_str = rebase(k->method_str, base, t->req);
	t->key.branch = rebase(k->branch, base, t->req);
	t->key.host = rebase(k->host, base, t->req);
	t->key.ruri = rebase(k->ruri, base, t->req);
	t->key.to_tag = rebase(k->to_tag, base, t->req);
	t->key.from_tag = rebase(k->from_tag, base, t->req);
	t->key.call_id = rebase(k->call_id, base, t->req);
	t->key.via = rebase(k->via, base, t->req);
	t->key_in_req = !k->rfc3261 || !key_inline(t);
	t->hash = txn_key_hash(&t->key);
	t->dest_err = server_dest(m, src, &t->dest);
	snprintf(t->to_tag, sizeof(t->to_tag), "%08" PRIx64 ".%lx",
		 seed & 0xffffffffu, atomic_fetch_add(&seq, 1));
	txn_fsm_init(&t->fsm, invite ? TXN_IST : TXN_NIST, src->tp == SIP_TP_TCP, &tcfg);
	txn_fsm_server_start(&t->fsm, sip_now_ms());
	other = insert(t);
	if (other || !t->in_table) {
		*existing = other;
		atomic_fetch_sub(&ntxn, 1);
		txn_free(t);	/* never visible to anyone */
		return NULL;
	}
	txn_ref(t);	/* the caller's */
	return t;
}

static struct sip_str
first_token(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && buf[i] != ' ' && buf[i] != '\r' && buf[i] != '\n')
		i++;
	return sip_str_mk(buf, (int)i);
}

static struct txn *
client_new(const struct sip_dest *d, const char *branch, const void *buf, size_t len,
	   void *ctx, bool internal)
{
	struct sip_str method = first_token(buf, len);
	size_t blen = branch ? strlen(branch) : 0;
	struct txn_act a;
	struct txn *t, *other;
	enum sip_method mt;
	int err = 0;

	if (!table || method.len == 0 || method.len == (int)len ||
	    !txn_branch_is_3261(sip_str_mk(branch, (int)blen)) || blen >= TXN_BRANCH_MAX) {
		errno = EINVAL;
		return NULL;
	}
	mt = sip_method_from_str(method);
	if (mt == SIP_METHOD_ACK) {	/* not a transaction (§17.1.1.3) */
		errno = EINVAL;
		return NULL;
	}
	t = txn_alloc(buf, len);
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	t->ctx = ctx;
	t->internal = internal;	/* before anyone can see it */
	t->dest = *d;
	if (t->dest.sock < 0) {
		union xr_sa local;

		err = sip_tp_pick(&t->dest, &local);
		if (err)
			goto out_free;
	}
	memcpy(t->branch, branch, blen + 1);
	t->key.server = false;
	t->key.rfc3261 = true;
	t->key.method = mt;
	t->key.method_str = sip_str_mk(t->req, method.len);
	t->key.branch = sip_str_mk(t->branch, (int)blen);
	t->key_in_req = !key_inline(t);
	t->hash = txn_key_hash(&t->key);
	txn_fsm_init(&t->fsm, mt == SIP_METHOD_INVITE ? TXN_ICT : TXN_NICT,
		     t->dest.tp == SIP_TP_TCP, &tcfg);
	other = insert(t);
	if (other || !t->in_table) {
		if (other)
			txn_unref(other);
		err = -EEXIST;	/* branch reused */
		goto out_free;
	}
	pthread_mutex_lock(&t->lock);
	txn_fsm_event(&t->fsm, TE_START, 0, sip_now_ms(), &a);
	err = sip_tp_send_track(&t->dest, t->req, t->req_len);
	if (err) {
		mark_dead_locked(t, TXN_TRANSPORT);
		t->internal = true;	/* never seen by the TU: no gone() */
	}
	pthread_mutex_unlock(&t->lock);
	sync_owner(t, false);
	if (err) {
		tx_debug("txn %.*s: first send failed: %s", SIP_STR_FMT(t->key.branch),
			 strerror(-err));
		errno = -err;
		return NULL;
	}
	return t;

out_free:
	atomic_fetch_sub(&ntxn, 1);
	txn_free(t);
	errno = -err;
	return NULL;
}

struct txn *
txn_client_new(const struct sip_dest *d, const char *branch, const void *buf, size_t len,
	       void *ctx)
{
	return client_new(d, branch, buf, len, ctx, false);
}

/* Build and start the CANCEL for INVITE client transaction inv (§9.1). */
static int
start_cancel(struct txn *inv)
{
	char buf[TXN_BUILD_MAX];
	struct sip_dest d;
	struct sip_err perr;
	struct txn *c;
	int n = -EINVAL;

	pthread_mutex_lock(&inv->lock);
	if (inv->req && sip_msg_parse(&tls_msg, inv->req, inv->req_len, &perr) == 0)
		n = sip_build_cancel_ack(buf, sizeof(buf), &tls_msg, NULL);
	d = inv->dest;
	pthread_mutex_unlock(&inv->lock);
	if (n < 0)
		return n;
	c = client_new(&d, inv->branch, buf, (size_t)n, NULL, true);
	if (!c) {
		log_ratelimited(LS_TX, LL_INFO, "CANCEL not sent: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int
txn_client_cancel(struct txn *ct)
{
	uint64_t now = sip_now_ms();
	struct txn_act a;
	int err;

	if (ct->server || ct->fsm.kind != TXN_ICT)
		return -EINVAL;
	pthread_mutex_lock(&ct->lock);
	err = ct->dead ? -EALREADY : txn_fsm_event(&ct->fsm, TE_CANCEL, 0, now, &a);
	pthread_mutex_unlock(&ct->lock);
	if (err)
		return err;
	if (a.flags & TA_SEND_CANCEL)
		start_cancel(ct);
	sync_owner(ct, false);	/* Timer C may have been brought forward (§9.1) */
	return 0;
}

/* ---- server side API ----------------------------------------------------- */

/*
 * Parse the request of server transaction st into m, over buf (cap bytes,
 * at least req_len + 96): with received/rport on its top Via when the
 * transport found them needed (RFC 3581 §4), so responses built from it
 * carry them back.  0 or -EINVAL (also once the copy was dropped).
 * Call with st->lock held.
 */
static int
req_view(const struct txn *st, struct sip_msg *m, char *buf, size_t cap)
{
	static __thread struct sip_edit e;
	struct sip_err perr;
	int n = -EINVAL;

	if (!st->req || sip_msg_parse(m, st->req, st->req_len, &perr) < 0)
		return -EINVAL;
	if (st->src.received[0] || st->src.rport) {
		struct sip_str rcv = { NULL, 0 };

		if (st->src.received[0])
			rcv = sip_str_mk(st->src.received, (int)strlen(st->src.received));
		sip_edit_init(&e, m);
		sip_edit_via_received(&e, rcv, st->src.rport);
		n = sip_edit_build(&e, buf, cap);
	}
	if (n < 0) {
		memcpy(buf, st->req, st->req_len);
		n = (int)st->req_len;
	}
	if (sip_msg_parse(m, buf, (size_t)n, &perr) == 0)
		return 0;
	memcpy(buf, st->req, st->req_len);	/* the request as received */
	return sip_msg_parse(m, buf, st->req_len, &perr) == 0 ? 0 : -EINVAL;
}

#define REQ_VIEW_EXTRA	96	/* ";received=<v6>;rport=65535" and then some */

const struct sip_msg *
txn_request(struct txn *st)
{
	struct sip_msg *m;

	if (!st->server)
		return NULL;
	pthread_mutex_lock(&st->lock);
	if (!st->req_msg) {
		/* one allocation: the parsed message, then its buffer */
		size_t cap = st->req_len + REQ_VIEW_EXTRA;

		m = malloc(sizeof(*m) + cap);
		if (m && req_view(st, m, (char *)(m + 1), cap) < 0) {
			free(m);
			m = NULL;
		}
		st->req_msg = m;
	}
	m = st->req_msg;
	pthread_mutex_unlock(&st->lock);
	return m;
}

/* The To tag of response buf (for RFC 2543 ACK matching), copied into out. */
static void
resp_to_tag_of(const char *buf, size_t len, char *out, size_t cap)
{
	struct sip_err perr;

	out[0] = '\0';
	if (sip_msg_parse(&tls_msg, buf, len, &perr) == 0 && tls_msg.first[SIP_HDR_TO] >= 0)
		sip_str_cpy(out, cap, tls_msg.to.tag);
}

int
txn_respond(struct txn *st, int code, const void *buf, size_t len)
{
	uint64_t now = sip_now_ms();
	struct txn_act a;
	int err;

	if (!st->server || code < 100 || code > 699 || len == 0)
		return -EINVAL;
	pthread_mutex_lock(&st->lock);
	if (st->dead) {
		pthread_mutex_unlock(&st->lock);
		return -ESRCH;
	}
	err = txn_fsm_event(&st->fsm, TE_TU_RESP, code, now, &a);
	if (err) {
		pthread_mutex_unlock(&st->lock);
		return err;
	}
	if (len > st->resp_cap) {
		char *p = realloc(st->resp, len);

		if (!p) {
			/* the state moved on: send without keeping a copy */
			err = st->dest_err ? st->dest_err : sip_tp_send(&st->dest, buf, len);
			a.flags &= ~TA_SEND_RESP;
			goto sent;
		}
		st->resp = p;
		st->resp_cap = len;
	}
	memcpy(st->resp, buf, len);
	st->resp_len = len;
	if (code >= 200 && !st->key.rfc3261)
		resp_to_tag_of(buf, len, st->resp_to_tag, sizeof(st->resp_to_tag));
	if (st->dest_err) {
		err = st->dest_err;
		a.flags &= ~TA_SEND_RESP;
	}
sent:
	if (err) {
		struct txn_act b;

		if (txn_fsm_event(&st->fsm, TE_TP_ERR, 0, now, &b) == 0)
			a.flags |= b.flags, a.why = b.why;
	}
	do_sends_locked(st, &a, NULL, now);
	if (!err && (a.flags & TA_TERMINATE) && a.why == TXN_TRANSPORT)
		err = -EPIPE;
	a.flags &= ~TA_TU_ANY;	/* a server has none */
	pthread_mutex_unlock(&st->lock);
	after_event(st, &a, NULL, NULL, false);
	return err;
}

int
txn_reply(struct txn *st, int code, const char *reason)
{
	static __thread char view[SIP_MAX_MSG + REQ_VIEW_EXTRA];
	struct sip_str tag;
	char out[TXN_BUILD_MAX];
	int n;

	const struct sip_msg *req = &tls_msg;

	if (!st->server)
		return -EINVAL;
	if (st == cur_st && !st->src.received[0] && !st->src.rport) {
		/* inside request(): the message as parsed is the request */
		req = cur_msg;
	} else {
		/* a thread-local view: no 8 KB parse kept per transaction */
		pthread_mutex_lock(&st->lock);
		n = st->req_len + REQ_VIEW_EXTRA > sizeof(view) ? -EINVAL :
		    st->dead ? -ESRCH : req_view(st, &tls_msg, view, sizeof(view));
		pthread_mutex_unlock(&st->lock);
		if (n < 0)
			return n;
	}
	tag = sip_str_mk(st->to_tag, (int)strlen(st->to_tag));
	n = sip_build_response(out, sizeof(out), req, code, reason,
			       code > 100 ? &tag : NULL, NULL, NULL, NULL);
	if (n < 0)
		return n;
	return txn_respond(st, code, out, (size_t)n);
}

void
txn_kill(struct txn *t)
{
	pthread_mutex_lock(&t->lock);
	mark_dead_locked(t, TXN_KILLED);
	pthread_mutex_unlock(&t->lock);
	sync_owner(t, false);
}

/* ---- stateless ------------------------------------------------------------ */

int
txn_send_stateless(const struct sip_dest *d, const void *buf, size_t len)
{
	return sip_tp_send(d, buf, len);
}

int
txn_forward_response(const void *buf, size_t len)
{
	struct sip_src none = { .conn_id = 0, .sock = -1 };
	struct sip_err perr;
	struct sip_dest d;
	int err;

	if (sip_msg_parse(&tls_msg, buf, len, &perr) < 0 || tls_msg.is_request ||
	    tls_msg.nvia <= 0)
		return -EINVAL;
	err = server_dest(&tls_msg, &none, &d);
	if (err)
		return err;
	return sip_tp_send(&d, buf, len);
}

size_t
txn_branch_new(char *buf, size_t len)
{
	int n = snprintf(buf, len, "z9hG4bKxr%08" PRIx64 "%lx", seed >> 32,
			 atomic_fetch_add(&seq, 1));

	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

/* ---- input from the transports -------------------------------------------- */

/*
 * A parsed message from the transports: match it to a transaction and run
 * it, or hand it to the TU.  src->received and src->rport are computed.
 */
static void
txn_input(const struct sip_msg *m, const struct sip_src *src)
{
	struct txn_key k;
	struct txn *t, *inv = NULL, *other;

	if (!table || txn_key_from_msg(&k, m, m->is_request) < 0) {
		if (!m->is_request && tu && tu->stray_response)
			tu->stray_response(m, src);
		return;
	}
	if (m->is_request)
		k.tp = (uint8_t)src->tp;
	if (!m->is_request) {
		t = lookup(&k);
		if (!t) {
			if (tu && tu->stray_response)
				tu->stray_response(m, src);
			return;
		}
		run_event(t, TE_RX_RESP, m->status, m, src, true);
		txn_unref(t);
		return;
	}
	if (k.is_ack) {
		t = lookup(&k);
		if (t) {
			run_event(t, TE_RX_ACK, 0, m, src, true);
			txn_unref(t);
		} else if (tu && tu->ack) {
			tu->ack(m, src);
		}
		return;
	}
	t = lookup(&k);
	if (t) {	/* a retransmission: §17.2.1, §17.2.2 */
		run_event(t, TE_RX_REQ, 0, m, src, true);
		txn_unref(t);
		return;
	}
	t = server_new(m, src, &k, &other);
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
		inv = lookup(&ik);
	}
	if (tu && tu->request) {
		cur_st = t;
		cur_msg = m;
		tu->request(t, inv, m, src);
		cur_st = NULL;
		cur_msg = NULL;
	}
	if (inv)
		txn_unref(inv);
	sync_owner(t, true);
	txn_unref(t);
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

	if (!table || !conn_id)
		return;
	/* a scan: connections close rarely; bounded batch per call */
	rcu_read_lock();
	cds_lfht_for_each(table, &it, n) {
		struct txn *t = caa_container_of(n, struct txn, node);

		if (t->server || t->dest.tp != SIP_TP_TCP ||
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
