// SPDX-License-Identifier: GPL-2.0
/*
 * txn_api.c - the calls the TU makes into the transaction layer (txn.h):
 * creating server transactions (from txn.c's input) and client ones (to a
 * next hop, our CANCEL of an INVITE), the server side's responses
 * (txn_respond, txn_reply, the request as the TU sees it), stateless sends
 * and branch ids.  The table, timers and state machine runs are txn.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "sip/build.h"
#include "txn/txn_int.h"

/* ---- creation ------------------------------------------------------------ */

static struct sip_worker *
pick_owner(void)
{
	struct sip_worker *w = sip_worker_self();

	if (!w && sip_nworkers() > 0)
		w = sip_worker_get((int)(atomic_fetch_add(&txn_seq, 1) % (unsigned long)sip_nworkers()));
	return w;
}

static struct txn *
txn_alloc(const char *buf, size_t len)
{
	struct txn *t = xr_objpool_zalloc(&txn_pool);

	if (!t)
		return NULL;
	t->req = malloc(len);
	if (!t->req) {
		xr_objpool_free(&txn_pool, t);
		return NULL;
	}
	memcpy(t->req, buf, len);
	t->req_len = len;
	atomic_init(&t->refs, 1);
	pthread_mutex_init(&t->lock, NULL);
	ev_init(&t->timer, txn_timer_cb);
	t->job.fn = txn_owner_job;
	t->owner = pick_owner();
	atomic_fetch_add(&txn_n, 1);
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
struct txn *
txn_server_new(const struct sip_msg *m, const struct sip_src *src, const struct txn_key *k,
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
		 txn_seed & 0xffffffffu, atomic_fetch_add(&txn_seq, 1));
	txn_fsm_init(&t->fsm, invite ? TXN_IST : TXN_NIST, src->tp == SIP_TP_TCP, &txn_tcfg);
	txn_fsm_server_start(&t->fsm, sip_now_ms());
	other = txn_insert(t);
	if (other || !t->in_table) {
		*existing = other;
		atomic_fetch_sub(&txn_n, 1);
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

	if (!txn_ht || method.len == 0 || method.len == (int)len ||
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
		     t->dest.tp == SIP_TP_TCP, &txn_tcfg);
	other = txn_insert(t);
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
		txn_mark_dead_locked(t, TXN_TRANSPORT);
		t->internal = true;	/* never seen by the TU: no gone() */
	}
	pthread_mutex_unlock(&t->lock);
	txn_sync_owner(t, false);
	if (err) {
		tx_debug("txn %.*s: first send failed: %s", SIP_STR_FMT(t->key.branch),
			 strerror(-err));
		errno = -err;
		return NULL;
	}
	return t;

out_free:
	atomic_fetch_sub(&txn_n, 1);
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
int
txn_start_cancel(struct txn *inv)
{
	char buf[TXN_BUILD_MAX];
	struct sip_dest d;
	struct sip_err perr;
	struct txn *c;
	int n = -EINVAL;

	pthread_mutex_lock(&inv->lock);
	if (inv->req && sip_msg_parse(&txn_tls_msg, inv->req, inv->req_len, &perr) == 0)
		n = sip_build_cancel_ack(buf, sizeof(buf), &txn_tls_msg, NULL);
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
		txn_start_cancel(ct);
	txn_sync_owner(ct, false);	/* Timer C may have been brought forward (§9.1) */
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
	if (sip_msg_parse(&txn_tls_msg, buf, len, &perr) == 0 && txn_tls_msg.first[SIP_HDR_TO] >= 0)
		sip_str_cpy(out, cap, txn_tls_msg.to.tag);
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
	txn_do_sends_locked(st, &a, NULL, now);
	if (!err && (a.flags & TA_TERMINATE) && a.why == TXN_TRANSPORT)
		err = -EPIPE;
	a.flags &= ~TA_TU_ANY;	/* a server has none */
	pthread_mutex_unlock(&st->lock);
	txn_after_event(st, &a, NULL, NULL, false);
	return err;
}

int
txn_reply(struct txn *st, int code, const char *reason)
{
	static __thread char view[SIP_MAX_MSG + REQ_VIEW_EXTRA];
	struct sip_str tag;
	char out[TXN_BUILD_MAX];
	int n;

	const struct sip_msg *req = &txn_tls_msg;

	if (!st->server)
		return -EINVAL;
	if (st == txn_cur_st && !st->src.received[0] && !st->src.rport) {
		/* inside request(): the message as parsed is the request */
		req = txn_cur_msg;
	} else {
		/* a thread-local view: no 8 KB parse kept per transaction */
		pthread_mutex_lock(&st->lock);
		n = st->req_len + REQ_VIEW_EXTRA > sizeof(view) ? -EINVAL :
		    st->dead ? -ESRCH : req_view(st, &txn_tls_msg, view, sizeof(view));
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
	txn_mark_dead_locked(t, TXN_KILLED);
	pthread_mutex_unlock(&t->lock);
	txn_sync_owner(t, false);
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

	if (sip_msg_parse(&txn_tls_msg, buf, len, &perr) < 0 || txn_tls_msg.is_request ||
	    txn_tls_msg.nvia <= 0)
		return -EINVAL;
	err = server_dest(&txn_tls_msg, &none, &d);
	if (err)
		return err;
	return sip_tp_send(&d, buf, len);
}

int
txn_respond_stateless(const struct sip_msg *req, const struct sip_src *src, const void *buf,
		      size_t len)
{
	struct sip_dest d;
	int err;

	if (!req->is_request || req->nvia <= 0)
		return -EINVAL;
	err = server_dest(req, src, &d);
	if (err)
		return err;
	return sip_tp_send(&d, buf, len);
}

size_t
txn_branch_new(char *buf, size_t len)
{
	int n = snprintf(buf, len, "z9hG4bKxr%08" PRIx64 "%lx", txn_seed >> 32,
			 atomic_fetch_add(&txn_seq, 1));

	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

