// SPDX-License-Identifier: GPL-2.0
/*
 * ack_cancel_bye.c - the requests that act on another transaction or end a
 * call: CANCEL of a pending INVITE (§16.10) and `call kill` of a ringing
 * call, ACK for a 2xx routed statelessly (§16.11; the answer of a delayed
 * offer rides in it), and the BYEs the proxy itself sends each way to end a
 * confirmed call (`call kill`, media timeout).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/call_media.h"
#include "policy/policy.h"
#include "proxy/proxy_int.h"
#include "sip/build.h"

/* Context of the BYEs `call kill` sends: their responses are dropped. */
static struct { enum px_kind kind; } px_kill_ctx = { PX_KILL };


/* §16.10: CANCEL for a pending INVITE. */
void
px_on_cancel(struct txn *st, struct txn *inv, const struct sip_msg *m)
{
	struct px_call *c;
	void *ctx;

	PX_INC(cancels);
	if (!inv) {
		px_reply(st, m, 481, NULL, NULL);
		return;
	}
	px_reply(st, m, 200, NULL, NULL);
	ctx = txn_get_ctx(inv);
	if (!ctx || *(enum px_kind *)ctx != PX_CALL)
		return;
	c = ctx;
	px_call_get(c);
	pthread_mutex_lock(&c->lock);
	if (!c->final_sent && !c->got_2xx) {
		c->cancel_requested = true;
		px_cancel_pending(c);
		if (c->parked)
			c->forwarding = false;	/* no branch will start: 487 now */
		px_maybe_finish(c);
	}
	pthread_mutex_unlock(&c->lock);
	px_call_put(c);
}

/* §16.11-ish: an ACK for a 2xx (or a stray ACK) routed statelessly. */
void
px_on_ack(const struct sip_msg *m, const struct sip_src *src)
{
	struct sip_str store, *body = NULL;
	char sdp[PX_BODY_MAX];
	struct px_plan *p;
	struct sip_err err;
	bool ruri_ours, fc;
	char why[160];
	struct dlg *d;
	size_t blen;

	if (sip_msg_check_request(m, &err) < 0 || m->max_forwards == 0 ||
	    (m->ruri_u.scheme != SIP_SCHEME_SIP && m->ruri_u.scheme != SIP_SCHEME_SIPS))
		return;
	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	pol_set_sender_trusted(pol_trusted(&src->peer));	/* for its SDP (access.c) */
	/* The answer of a delayed-offer call rides in the ACK (RFC 3264 §4). */
	d = m->body.len > 0 ? dlg_find(m->call_id, m->from.tag, m->to.tag, &fc) : NULL;
	if (d) {
		int rc = cm_body(dlg_cm(d), m, fc, true, CM_ANSWER, NULL, NULL, sdp,
				 sizeof(sdp), &blen, why, sizeof(why));

		if (rc == 1) {
			store = sip_str_mk(sdp, (int)blen);
			body = &store;
		} else if (rc < 0) {
			PX_INC(sdp_errors);
			log_ratelimited(LS_PROXY, LL_WARN, "proxy: SDP in an ACK for Call-ID "
					"%.*s not anchored: %s", SIP_STR_FMT(m->call_id), why);
		}
		dlg_put(d);
	}
	if (px_plan_routes(m, p) != 0)
		goto out;
	p->loophash = px_loop_hash(m);
	if (px_is_loop(m, p->loophash))
		goto out;
	ruri_ours = reg_domain_is_ours(&px_reg, p->ruri_u.host) ||
		    px_host_is_our_addr(p->ruri_u.host);
	if (!px_access_ack(m, src, p, ruri_ours))
		goto out;
	if (ruri_ours && p->skip == p->nr) {
		char uri[DLG_HDR_MAX];
		uint64_t conn_id = 0;

		/*
		 * Sent to us with no Route: an ACK for a 2xx of a dialog goes to
		 * the other party; one for our own non-2xx reply that outlived its
		 * transaction is absorbed.
		 */
		if (px_dialog_target(m, uri, sizeof(uri), &conn_id) &&
		    px_forward(m, src, p, sip_str_mk(uri, (int)strlen(uri)), conn_id, body,
			       NULL) == 0)
			PX_INC(acks_fwd);
		goto out;
	}
	if (px_forward(m, src, p, (struct sip_str){ 0 }, 0, body, NULL) == 0)
		PX_INC(acks_fwd);
out:
	free(p);
}

/* ---- call kill: a BYE each way ---------------------------------------------- */

#define PX_BYE_MAX	8192	/* a BYE: the dialog's headers and route set */

/*
 * Send BYE b (ruri, routes, From, To, Call-ID, CSeq, reason set; Via filled
 * here) to dest0 as a client transaction whose responses are dropped.
 * 0 or -errno (-ENOENT: no target known for that party).
 */
static int
px_send_bye(struct sip_bye *b, const struct sip_dest *dest0)
{
	char branch[TXN_BRANCH_MAX], a[XR_SA_STRLEN];
	struct sip_dest d = *dest0;
	union xr_sa local;
	struct txn *t;
	char *buf;
	int n;

	if (!b->ruri[0] || d.addr.sa.sa_family == 0)
		return -ENOENT;
	if (sip_tp_pick(&d, &local) < 0)
		return -ENETUNREACH;
	buf = malloc(PX_BYE_MAX);
	if (!buf)
		return -ENOMEM;
	txn_branch_new(branch, sizeof(branch));
	b->transport = d.tp == SIP_TP_TCP ? "TCP" : "UDP";
	b->sent_by = xr_sa_str(&local, a, sizeof(a));
	b->branch = branch;
	n = sip_build_bye(buf, PX_BYE_MAX, b);
	t = n < 0 ? NULL : txn_client_new(&d, branch, buf, (size_t)n, &px_kill_ctx);
	free(buf);
	if (n < 0)
		return n;
	return t ? 0 : -errno;
}

/*
 * End a confirmed call from the middle: a BYE to each party along the
 * dialog's route set (we speak as the caller towards the callee and the
 * other way round), then the record and its media.  r1, r2: the BYEs' results.
 */
void
px_end_call(const struct dlg_info *di, const char *why, int *r1, int *r2)
{
	struct sip_bye to_callee = {
		.ruri = di->callee_contact, .routes = di->callee_routes,
		.from = di->from_hdr, .to = di->to_hdr, .to_tag = di->to_tag,
		.callid = di->callid, .cseq = di->cseq_caller + 1, .reason = why,
	};
	struct sip_bye to_caller = {
		.ruri = di->caller_contact, .routes = di->caller_routes,
		.from = di->to_hdr, .from_tag = di->to_tag, .to = di->from_hdr,
		.callid = di->callid, .cseq = di->cseq_callee + 1, .reason = why,
	};
	struct dlg *d;
	bool fc;

	*r1 = px_send_bye(&to_callee, &di->callee_dest);
	*r2 = px_send_bye(&to_caller, &di->caller_dest);
	d = dlg_find(sip_str_mk(di->callid, (int)strlen(di->callid)),
		     sip_str_mk(di->from_tag, (int)strlen(di->from_tag)),
		     (struct sip_str){ 0 }, &fc);
	if (d) {
		dlg_end(d);
		dlg_put(d);
	}
}

static void
px_call_hold(void *c)
{
	px_call_get(c);
}

/*
 * `call kill` on a call not answered yet: as if the caller had CANCELled
 * (§16.10): every branch is CANCELled and the caller gets 487.  0, or
 * -EBUSY when it was answered meanwhile or its INVITE is gone.
 */
int
px_kill_pending(struct dlg *d)
{
	struct px_call *c = dlg_owner_get(d, px_call_hold);
	int rc = -EBUSY;

	if (!c)
		return rc;
	pthread_mutex_lock(&c->lock);
	if (!c->final_sent && !c->got_2xx && c->st) {
		c->cancel_requested = true;
		px_cancel_pending(c);
		px_maybe_finish(c);
		rc = 0;
	}
	pthread_mutex_unlock(&c->lock);
	px_call_put(c);
	return rc;
}
