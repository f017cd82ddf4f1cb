// SPDX-License-Identifier: GPL-2.0
/*
 * reply.c - RFC 3261 §16.7: the response context of a forwarded request.
 * Responses and failures of its branches (client transactions), 2xx sent
 * upstream at once, non-2xx kept until every branch is final and the best
 * one chosen (§16.7 step 6, challenges merged, step 7), pending branches
 * CANCELled after a 2xx or 6xx (step 10), the SDP of responses through the
 * call's media, stray 2xx forwarded statelessly; and the responses the proxy
 * answers itself (px_reply).  px_best() is pure and unit-tested.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "proxy/call_media.h"
#include "proxy/proxy_int.h"
#include "sip/build.h"

/* ---- our own responses --------------------------------------------------------- */

/* A To tag for responses we generate: the same for every retransmission. */
static struct sip_str
px_totag(const struct sip_msg *m, char *buf, size_t cap)
{
	uint64_t h = XR_FNV64_INIT;

	h = px_hash_str(h, m->call_id);
	h = px_hash_str(h, m->from.tag);
	h = px_hash_str(h, m->via1.branch);
	snprintf(buf, cap, "xr%016" PRIx64, h);
	return sip_str_mk(buf, (int)strlen(buf));
}

/*
 * Our response to m (code, reason, optional extra header lines, our To tag
 * above 100) in a new PX_BUF buffer *out (px_scratch_get(): the caller
 * gives it back with px_scratch_put()).  Its
 * length, or -errno (*out NULL).
 */
static int
px_build_reply(const struct sip_msg *m, int code, const char *reason, const char *extra,
	       char **out)
{
	char tag[32];
	struct sip_str totag = px_totag(m, tag, sizeof(tag));
	struct sip_str ex = extra ? sip_str_mk(extra, (int)strlen(extra)) : (struct sip_str){ 0 };
	int n;

	*out = px_scratch_get();
	if (!*out)
		return -ENOMEM;
	n = sip_build_response(*out, PX_BUF, m, code, reason, code > 100 ? &totag : NULL,
			       extra ? &ex : NULL, NULL, NULL);
	if (n < 0) {
		px_scratch_put(*out);
		*out = NULL;
		return n;
	}
	PX_INC(local_replies);
	return n;
}

/*
 * Answer server transaction st (request m) ourselves, with optional extra
 * header lines.  Returns what txn_respond() returned.
 */
int
px_reply(struct txn *st, const struct sip_msg *m, int code, const char *reason,
	 const char *extra)
{
	char *out;
	int n = px_build_reply(m, code, reason, extra, &out);

	if (n < 0)
		return txn_reply(st, code, reason);	/* the plain form */
	n = txn_respond(st, code, out, (size_t)n);
	px_scratch_put(out);
	return n;
}

/*
 * Answer request m (from src), which got no transaction (the TU's admit()
 * refused it), statelessly: the same To tag for every retransmission.
 */
int
px_reply_stateless(const struct sip_msg *m, const struct sip_src *src, int code,
		   const char *reason, const char *extra)
{
	char *out;
	int n = px_build_reply(m, code, reason, extra, &out);

	if (n < 0)
		return n;
	n = txn_respond_stateless(m, src, out, (size_t)n);
	px_scratch_put(out);
	return n;
}

/* ---- §16.7: responses -------------------------------------------------------- */

static int
px_class(int code)
{
	return code / 100;
}

/* 4xx that carry what a UAC needs to retry (§16.7 step 6). */
static bool
px_preferred_4xx(int code)
{
	return code == 401 || code == 407 || code == 415 || code == 420 || code == 484;
}

/* The "best" final among the branches' (§16.7 step 6); index, or -1. */
int
px_best(const struct px_call *c)
{
	int i, best = -1;

	for (i = 0; i < c->nbranches; i++) {
		const struct px_branch *b = &c->br[i];

		if (!b->final || b->code < 300)
			continue;
		if (best < 0) {
			best = i;
			continue;
		}
		if (px_class(c->br[best].code) == 6)
			continue;
		if (px_class(b->code) == 6 || px_class(b->code) < px_class(c->br[best].code) ||
		    (px_class(b->code) == 4 && px_class(c->br[best].code) == 4 &&
		     px_preferred_4xx(b->code) && !px_preferred_4xx(c->br[best].code)))
			best = i;
	}
	return best;
}

/* Cancel every branch still pending (§16.7 step 10, §16.10).
 * Call with c->lock held. */
void
px_cancel_pending(struct px_call *c)
{
	int i;

	if (!c->invite)
		return;
	for (i = 0; i < c->nbranches; i++) {
		struct px_branch *b = &c->br[i];

		if (b->final || b->cancelled || !b->ct)
			continue;
		b->cancelled = true;
		dlg_branch_cancelled(c->initial ? c->dlg : NULL, i);
		txn_client_cancel(b->ct);
	}
}

/*
 * §16.7 step 7: a 401/407 chosen as the best response carries the
 * WWW-Authenticate and Proxy-Authenticate values of every other 401/407
 * branch too, so the caller can answer all challenges at once.  The merged
 * response goes into out; its length, or -errno (send the best as it is).
 */
static int
px_merge_challenges(struct px_call *c, int best, char *out, size_t cap)
{
	struct sip_msg *bm = malloc(sizeof(*bm)), *om = malloc(sizeof(*om));
	struct sip_edit *e = malloc(sizeof(*e));
	struct sip_err err;
	int i, h, added = 0, n = -ENOMEM;

	if (!bm || !om || !e)
		goto out;
	n = -EINVAL;
	if (sip_msg_parse(bm, c->br[best].resp, c->br[best].resp_len, &err) < 0)
		goto out;
	sip_edit_init(e, bm);
	for (i = 0; i < c->nbranches; i++) {
		const struct px_branch *b = &c->br[i];

		if (i == best || !b->resp || (b->code != 401 && b->code != 407) ||
		    sip_msg_parse(om, b->resp, b->resp_len, &err) < 0)
			continue;
		/* The values point into b->resp, which outlives the build. */
		for (h = 0; h < om->nhdrs; h++)
			if (om->hdrs[h].type == SIP_HDR_WWW_AUTHENTICATE ||
			    om->hdrs[h].type == SIP_HDR_PROXY_AUTHENTICATE) {
				sip_edit_add_hdr(e, om->hdrs[h].name, om->hdrs[h].value);
				added++;
			}
	}
	n = added ? sip_edit_build(e, out, cap) : -ENOENT;
out:
	free(bm);
	free(om);
	free(e);
	return n;
}

/* The best response, a 401/407, with every branch's challenge.  0 or -errno. */
static int
px_send_challenges(struct px_call *c, int best)
{
	char *out = px_scratch_get();
	int n = out ? px_merge_challenges(c, best, out, PX_BUF) : -ENOMEM;

	if (n > 0)
		txn_respond(c->st, c->br[best].code, out, (size_t)n);
	px_scratch_put(out);
	return n > 0 ? 0 : n;
}

/*
 * Send upstream what branch best ended with: 487 after a CANCEL (unless a
 * 6xx), 500 instead of a 503, challenges merged, else the branch's response
 * or the one we generated for it from the request (txn_request(): its
 * parsed copy, 8 KB and more kept with the transaction, made only here).
 */
static void
px_send_best(struct px_call *c, int best)
{
	const struct px_branch *b = &c->br[best];
	const struct sip_msg *req;

	if (c->cancel_requested && b->code != 487 && px_class(b->code) != 6)
		txn_reply(c->st, 487, NULL);
	else if (b->code == 503)
		txn_reply(c->st, 500, "Server Internal Error (Next Hop Unavailable)");
	else if (b->resp && (b->code == 401 || b->code == 407) &&
		 px_send_challenges(c, best) == 0)
		return;
	else if (b->resp)
		txn_respond(c->st, b->code, b->resp, b->resp_len);
	else if ((req = txn_request(c->st)))
		px_reply(c->st, req, b->code, NULL, NULL);
	else
		txn_reply(c->st, b->code, NULL);
}

/*
 * Once every branch is final and nothing final went upstream, send the best
 * (§16.7 step 6): 408 when nothing answered, 500 instead of a 503, 487
 * after a CANCEL.  Call with c->lock held.
 */
void
px_maybe_finish(struct px_call *c)
{
	int i, best;

	if (c->final_sent || c->forwarding || !c->st)
		return;
	for (i = 0; i < c->nbranches; i++)
		if (!c->br[i].final)
			return;
	c->final_sent = true;
	best = px_best(c);
	if (best >= 0)
		px_send_best(c, best);
	else if (c->cancel_requested)
		txn_reply(c->st, 487, NULL);
	else
		txn_reply(c->st, c->nbranches ? 408 : 503, NULL);
	if (c->dlg && !c->got_2xx) {
		int code = best < 0 ? 408 : c->br[best].code;

		if (c->initial)
			dlg_end(c->dlg);	/* a failed INVITE ends the call */
		else if (code == 481 || code == 408)
			dlg_end(c->dlg);	/* RFC 5057: the dialog is gone */
		else if (c->sdp)
			cm_offer_failed(dlg_cm(c->dlg), c->from_caller);
	}
	for (i = 0; i < c->nbranches; i++) {
		free(c->br[i].resp);
		c->br[i].resp = NULL;
	}
}

/*
 * Remove our Via from response msg (and give it body, if set) into out;
 * strip_id: also its P-Asserted/Preferred-Identity (RFC 3325 §5: from or
 * towards an untrusted party).  Length or -errno.
 */
static int
px_strip_via(const struct sip_msg *msg, const struct sip_str *body, bool strip_id, char *out,
	     size_t cap)
{
	struct sip_edit e;

	sip_edit_init(&e, msg);
	sip_edit_pop_via(&e);
	if (strip_id)
		px_access_strip_id(&e, msg);
	if (body)
		sip_edit_body(&e, *body, NULL);
	return sip_edit_build(&e, out, cap);
}

/*
 * Once c is done (a final went upstream, no branch pending, nothing being
 * forwarded) it lets go of its call record: the server transaction keeps c
 * for Timer L (32 s), and the record (~11 KB with its media state) would
 * stay as long after the call ended (bench/README.md "Where the
 * microseconds go": the heap grew ~20 KB a call).  What can still reach c
 * (2xx retransmissions, a late 2xx of another fork) finds the record again
 * through px_resp_dlg() while the call lasts; after it ended, the record
 * would have had nothing to give them (cm_body() on an ended call changes
 * nothing, dlg_on_response() ignores an ended or confirmed record).  The
 * `call kill` owner goes with it: it is only used before a final went up.
 * Call with c->lock held.
 */
void
px_release_dlg(struct px_call *c)
{
	int i;

	if (!c->dlg || c->forwarding || c->parked || !c->final_sent)
		return;
	for (i = 0; i < c->nbranches; i++)
		if (!c->br[i].final)
			return;
	if (c->initial)
		dlg_set_owner(c->dlg, NULL);
	dlg_put(c->dlg);
	c->dlg = NULL;
	c->dlg_released = true;
}

/*
 * The call record for msg, a response to c's request: c->dlg while c holds
 * it, else the record looked up again (NULL once the call ended): an initial
 * INVITE's by the caller's From tag alone (a late 2xx of another fork has
 * its own To tag), an in-dialog request's by both tags.  *put: the caller
 * must dlg_put() it.  Call with c->lock held.
 */
static struct dlg *
px_resp_dlg(struct px_call *c, const struct sip_msg *msg, bool *put)
{
	bool fc;

	*put = false;
	if (c->dlg || !c->dlg_released)
		return c->dlg;
	*put = true;
	return dlg_find(msg->call_id, msg->from.tag,
			c->initial ? (struct sip_str){ 0 } : msg->to.tag, &fc);
}

/*
 * The SDP of response msg (to c's request) through the call's media: the
 * kernel entries change before the response goes upstream.  Sets *body to
 * store, the rewritten body in sdp (sdp_cap bytes), or leaves it NULL (no
 * SDP, or it could not be anchored: forwarded as it came, and logged).
 * Call with c->lock held.
 */
static void
px_response_sdp(struct px_call *c, struct dlg *d, struct px_branch *b, const struct sip_msg *msg,
		char *sdp, size_t sdp_cap, struct sip_str *store, struct sip_str **body)
{
	enum cm_mode mode;
	char err[160];
	size_t blen;
	int rc;

	*body = NULL;
	if (!d || msg->body.len <= 0 || msg->status <= 100 || msg->status >= 300)
		return;
	/*
	 * RFC 3264/6337: a response to a request that offered can only answer
	 * (or repeat the answer); one to a request without SDP offers, once.
	 * After a 2xx: a retransmission, or another fork's answer: same ports.
	 */
	mode = c->got_2xx ? CM_REPLAY : c->sdp ? CM_ANSWER : c->resp_sdp ? CM_REPLAY : CM_NEW;
	/* A reliable provisional (RFC 3262, RSeq) completes an exchange like a 2xx. */
	rc = cm_body(dlg_cm(d), msg, !c->from_caller,
		     msg->status >= 200 || sip_msg_hdr_by_name(msg, "RSeq") != NULL, mode,
		     &c->up_addr, &b->group, sdp, sdp_cap, &blen, err, sizeof(err));
	if (rc >= 0)
		c->resp_sdp = true;
	if (rc == 1) {
		*store = sip_str_mk(sdp, (int)blen);
		*body = store;
	} else if (rc < 0) {
		PX_INC(sdp_errors);
		log_ratelimited(LS_PROXY, LL_WARN, "proxy: SDP in a %d for Call-ID %.*s not "
				"anchored: %s", msg->status, SIP_STR_FMT(msg->call_id), err);
	}
}

void
px_on_response(struct txn *ct, void *ctx, const struct sip_msg *msg,
	       const struct sip_src *src)
{
	struct px_branch *b = ctx;
	struct sip_str store, *body;
	struct px_out out;		/* on the stack: ~140 KB of a worker's 8 MB */
	struct px_call *c;
	struct dlg *d;
	bool put_d;
	int n, code = msg->status;

	if (!b || b->kind != PX_BRANCH)
		return;		/* a `call kill` BYE: nothing to do */
	pol_set_sender_trusted(pol_trusted(&src->peer));	/* for its SDP (access.c) */
	c = b->call;
	px_call_get(c);
	pthread_mutex_lock(&c->lock);
	if (!b->ct)
		b->ct = ct;
	d = px_resp_dlg(c, msg, &put_d);
	body = NULL;
	if (code >= 200 || !c->final_sent)
		px_response_sdp(c, d, b, msg, out.sdp, sizeof(out.sdp), &store, &body);
	n = px_strip_via(msg, body, !pol_trusted(&src->peer) || !pol_trusted(&c->up_addr),
			 out.msg, sizeof(out.msg));
	if (n < 0) {
		log_ratelimited(LS_PROXY, LL_WARN, "proxy: cannot strip our Via: %s",
				strerror(-n));
		goto out;
	}
	/* d is NULL for a late response (a 2xx retransmission) once the call ended. */
	if (d && c->initial && msg->cseq_method == SIP_METHOD_INVITE) {
		dlg_on_response(d, msg, src, px_uri_is_ours);
		dlg_branch_status(d, (int)(b - c->br), code, msg->to.tag);
	}
	if (code < 200) {
		b->got_prov = true;
		if (!c->final_sent && c->st)
			txn_respond(c->st, code, out.msg, (size_t)n);
		/* A CANCEL asked for before this branch had answered anything. */
		if (c->cancel_requested && !b->cancelled) {
			b->cancelled = true;
			dlg_branch_cancelled(c->initial ? d : NULL, (int)(b - c->br));
			txn_client_cancel(ct);
		}
	} else if (code < 300) {
		/* §16.7 step 5 / RFC 6026: every 2xx goes upstream at once. */
		bool sent = false;

		b->final = true;
		b->code = code;
		if (c->st && (c->invite || !c->final_sent))
			sent = txn_respond(c->st, code, out.msg, (size_t)n) == 0;
		if (!sent && c->invite)
			txn_forward_response(out.msg, (size_t)n);
		c->final_sent = true;
		if (!c->got_2xx) {
			c->got_2xx = true;
			if (c->initial)
				cm_touch(dlg_cm(d));	/* answered: silence counts from now */
			px_cancel_pending(c);
		}
	} else if (!b->final) {
		b->final = true;
		b->code = code;
		b->resp = c->final_sent ? NULL : malloc((size_t)n);
		if (b->resp) {
			memcpy(b->resp, out.msg, (size_t)n);
			b->resp_len = (size_t)n;
		}
		if (px_class(code) == 6)
			px_cancel_pending(c);	/* §16.7 step 5: 6xx ends the search */
		px_maybe_finish(c);
	}
out:
	px_release_dlg(c);
	if (put_d)
		dlg_put(d);
	pthread_mutex_unlock(&c->lock);
	px_call_put(c);
}

void
px_on_failure(struct txn *ct, void *ctx, int code, enum txn_reason why)
{
	struct px_branch *b = ctx;
	struct px_call *c;

	if (!b || b->kind != PX_BRANCH)
		return;
	c = b->call;
	px_call_get(c);
	pthread_mutex_lock(&c->lock);
	if (why == TXN_TIMER_C && b->got_prov && !b->cancelled) {
		/* §16.8: Timer C after a provisional: CANCEL the branch, treat it as 408. */
		b->cancelled = true;
		txn_client_cancel(ct);
	}
	if (why == TXN_TRANSPORT && b->to_tcp && code == 503) {
		/* §18.1.1: too large for UDP, and TCP to the next hop failed */
		code = 513;
		PX_INC(too_large);
	}
	if (!b->final) {
		b->final = true;
		b->code = code;
		if (c->initial)
			dlg_branch_status(c->dlg, (int)(b - c->br), code, (struct sip_str){ 0 });
		px_maybe_finish(c);
	}
	px_release_dlg(c);
	pthread_mutex_unlock(&c->lock);
	px_call_put(c);
}

void
px_on_gone(struct txn *t, void *ctx, enum txn_reason why)
{
	struct px_branch *b;
	struct px_call *c;

	if (!ctx)
		return;
	switch (*(enum px_kind *)ctx) {
	case PX_BRANCH:
		b = ctx;
		c = b->call;
		pthread_mutex_lock(&c->lock);
		b->ct = NULL;
		if (!b->final) {
			/* Gone without a final or failure (killed): count it as 408. */
			b->final = true;
			b->code = 408;
			px_maybe_finish(c);
		}
		px_release_dlg(c);
		pthread_mutex_unlock(&c->lock);
		px_call_put(c);
		break;
	case PX_CALL:
		c = ctx;
		pthread_mutex_lock(&c->lock);
		if (c->initial)
			dlg_set_owner(c->dlg, NULL);	/* before c can go (NULL: released) */
		c->st = NULL;
		/* Nothing can be sent upstream any more: stop the branches. */
		if (!c->final_sent)
			px_cancel_pending(c);
		pthread_mutex_unlock(&c->lock);
		px_call_put(c);
		break;
	default:
		break;
	}
}

/* A response no client transaction knows: forward a 2xx to INVITE statelessly. */
void
px_on_stray_response(const struct sip_msg *msg, const struct sip_src *src)
{
	struct sip_str store, *body = NULL;
	struct px_out out;
	char err[160];
	struct dlg *d;
	size_t blen;
	bool fc;
	int n;

	if (msg->status < 200 || msg->status >= 300 || msg->cseq_method != SIP_METHOD_INVITE ||
	    msg->nvia < 2 || !px_is_our_hostport(msg->via1.host, msg->via1.port))
		return;
	pol_set_sender_trusted(pol_trusted(&src->peer));	/* for its SDP (access.c) */
	/* A retransmitted 2xx carries the SDP it carried: the same ports again. */
	d = msg->body.len > 0 ? dlg_find(msg->call_id, msg->from.tag, msg->to.tag, &fc) : NULL;
	if (d) {
		if (cm_body(dlg_cm(d), msg, !fc, true, CM_REPLAY, NULL, NULL, out.sdp,
			    sizeof(out.sdp), &blen, err, sizeof(err)) == 1) {
			store = sip_str_mk(out.sdp, (int)blen);
			body = &store;
		}
		dlg_put(d);
	}
	n = px_strip_via(msg, body, true, out.msg, sizeof(out.msg));
	if (n > 0 && txn_forward_response(out.msg, (size_t)n) == 0)
		PX_INC(stray_fwd);
}
