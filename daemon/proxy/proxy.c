// SPDX-License-Identifier: GPL-2.0
/*
 * proxy.c - the transaction user: RFC 3261 §16 stateful proxy core.  This
 * file is the pipeline of one request (px_on_request: validate, Route
 * planning, the §10 registrar entry, the call record, targets, fork), the
 * response contexts' life (px_call), and proxy_init()/proxy_fini().  The
 * steps live in validate.c, targets.c, forward.c, reply.c and
 * ack_cancel_bye.c, the control commands in proxy_ctl.c, the sweep thread in
 * sweep.c (map in proxy_int.h).  The transaction layer (txn.h) owns
 * retransmissions and timers; location.c, registrar.c and dialog.c own
 * their tables.
 *
 * OUR implementation, where it differs from §16:
 *  - §16.3 step 6 (Proxy-Authorization) is the access policy's (access.c,
 *    policy/): only untrusted sources are asked, and only for what the
 *    policy table says; §16.7 step 7: challenges of 401/407 branches are
 *    merged.
 *  - §16.5: every target is forked in parallel (no sequential search by q).
 *  - §16.6 step 7 / §16.10: a CANCEL no INVITE server transaction matches
 *    gets 481 instead of being forwarded statelessly.
 *  - Host names in next hops are resolved off the workers (dns/: RFC 3263
 *    SRV and A/AAAA, no NAPTR): a request whose next hops are not in the
 *    DNS cache is parked (park.c) until the lookups end.
 *  - A request for our own address with no user part (a ping) gets 200 for
 *    OPTIONS and 404 for other methods.
 *  - Record-Route is added to dialog-creating requests only (INVITE,
 *    SUBSCRIBE, REFER, NOTIFY with no To tag).
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <urcu.h>

#include "common/objpool.h"

#include "policy/policy.h"
#include "proxy/call_media.h"
#include "proxy/proxy.h"
#include "proxy/proxy_int.h"

const struct xr_config	*px_cfg;
struct reg_cfg		 px_reg;
struct px_stats		 px_stats;
/* response contexts: one a request forwarded, kept while its server
 * transaction is (up to 64*T1 for its timers; objpool.h) */
static struct xr_objpool px_call_pool = XR_OBJPOOL_INIT(sizeof(struct px_call));

/* ---- response contexts ------------------------------------------------------- */

void
px_call_get(struct px_call *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
}

void
px_call_put(struct px_call *c)
{
	int i;

	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (i = 0; i < c->nbranches; i++)
		free(c->br[i].resp);
	if (c->br != c->br_inline)
		free(c->br);
	dlg_put(c->dlg);
	pthread_mutex_destroy(&c->lock);
	xr_objpool_free(&px_call_pool, c);
}

struct px_call *
px_call_new(struct txn *st, bool invite)
{
	pthread_mutexattr_t ma;
	struct px_call *c = xr_objpool_zalloc(&px_call_pool);

	if (!c)
		return NULL;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&c->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	c->kind = PX_CALL;
	c->refs = 1;		/* the server transaction's, dropped in gone() */
	c->st = st;
	c->invite = invite;
	c->br = c->br_inline;
	return c;
}

/*
 * A response context for st, made the server transaction's ctx (so a CANCEL
 * racing us finds it), with a reference that is ours until px_ctx_close().
 * NULL when out of memory (500 answered).
 */
static struct px_call *
px_ctx_open(struct txn *st, bool invite)
{
	struct px_call *c = px_call_new(st, invite);

	if (!c) {
		txn_reply(st, 500, NULL);
		return NULL;
	}
	c->forwarding = true;
	px_call_get(c);		/* ours until px_ctx_close() */
	txn_set_ctx(st, c);
	return c;
}

/* Drop our reference; if nothing was forwarded, a local reply went out. */
void
px_ctx_close(struct px_call *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->forwarding) {
		c->forwarding = false;
		c->final_sent = true;
	}
	px_release_dlg(c);
	pthread_mutex_unlock(&c->lock);
	px_call_put(c);
}

/* ---- requests -------------------------------------------------------------- */

/*
 * §16.3 on m (validate.c), answered here when it goes no further.  0, or
 * the -errno of px_check_request().  *lh: the loop hash.
 */
static int
px_validate(struct txn *st, const struct sip_msg *m, bool to_us, uint64_t *lh)
{
	struct px_refusal r;
	int rc;

	rc = px_check_request(m, to_us, lh, &r);
	if (rc == 0)
		return 0;
	if (r.code == 482)
		PX_INC(loops);
	px_reply(st, m, r.code, r.reason, r.extra[0] ? r.extra : NULL);
	return rc;
}

struct px_src_count {
	const union xr_sa	*src;
	const char		*aor;		/* the AOR being registered */
	char			 own[LOC_MAX_BINDINGS][LOC_URI_MAX]; /* its contacts now */
	int			 nown;
	int			 n;		/* bindings from src, every AOR */
};

static void
px_src_count_cb(const char *aor, const struct loc_binding *b, int n, void *arg)
{
	struct px_src_count *sc = arg;
	bool this = strcmp(aor, sc->aor) == 0;

	for (int i = 0; i < n; i++) {
		sc->n += xr_sa_ip_eq(&b[i].received, sc->src);
		if (this && sc->nown < LOC_MAX_BINDINGS)
			memcpy(sc->own[sc->nown++], b[i].contact, LOC_URI_MAX);
	}
}

/*
 * The access policy's per-source bound (--max-source-bindings): an
 * untrusted address may hold at most max bindings over all AORs; refreshing
 * one it holds is always fine.  Counted by walking the location service,
 * O(bindings): only REGISTERs that passed authentication get here.  True
 * when m's new contacts would exceed it.
 */
static bool
px_source_full(const struct sip_msg *m, const struct sip_src *src, int max)
{
	struct px_src_count *sc = calloc(1, sizeof(*sc));
	struct sip_iter it = { 0 };
	struct sip_contact c;
	char aor[LOC_AOR_MAX];
	struct sip_uri tu;
	bool full = false;
	int adds = 0;

	if (!sc)
		return true;
	if (sip_uri_parse(m->to.uri, &tu) < 0 || sip_uri_aor(&tu, aor, sizeof(aor)) < 0)
		goto out;
	sc->src = &src->peer;
	sc->aor = aor;
	loc_walk(loc_now_ms(), px_src_count_cb, sc);
	while (sip_msg_contact_next(m, &it, &c) == 1) {
		bool known = false;

		if (c.star || c.expires == 0 || (c.expires < 0 && m->expires == 0))
			continue;
		for (int i = 0; i < sc->nown && !known; i++)
			known = (int)strlen(sc->own[i]) == c.na.uri.len &&
				memcmp(sc->own[i], c.na.uri.s, (size_t)c.na.uri.len) == 0;
		adds += !known;
	}
	full = adds > 0 && sc->n + adds > max;
out:
	free(sc);
	return full;
}

static void
px_register(struct txn *st, const struct sip_msg *m, const struct sip_src *src,
	    const struct px_access *acc)
{
	struct reg_result *res = malloc(sizeof(*res));
	struct loc_src ls = { .received = src->peer, .tp = src->tp, .conn_id = src->conn_id,
			      .sock = src->sock };
	const struct xr_config *live;
	int max_src = 0;
	struct reg_cfg rc;

	PX_INC(registers);
	if (!res) {
		txn_reply(st, 500, NULL);
		return;
	}
	/* The registrar's limits of the running configuration (SIGHUP may change them). */
	rc = px_reg;
	rcu_read_lock();
	live = config_now(px_cfg);
	rc.min_expires = live->min_expires;
	rc.max_expires = live->max_expires;
	rc.default_expires = live->default_expires;
	ls.max_bindings = live->max_contacts;
	ls.max_total = live->max_registrations;
	max_src = live->max_source_bindings;
	rcu_read_unlock();
	if (!acc->trusted && max_src > 0 && px_source_full(m, src, max_src)) {
		char a[XR_SA_STRLEN];

		log_ratelimited(LS_PROXY, LL_INFO, "access: REGISTER from %s refused: over "
				"--max-source-bindings %d", xr_sa_str(&src->peer, a, sizeof(a)),
				max_src);
		px_reply(st, m, 503, "Too Many Registrations From This Address",
			 "Retry-After: 600\r\n");
		free(res);
		return;
	}
	reg_handle(&rc, m, &ls, loc_now_ms(), res);
	if (res->over_total) {
		char a[XR_SA_STRLEN];

		PX_INC(registrations_refused);
		log_ratelimited(LS_PROXY, LL_WARN, "limits: REGISTER from %s refused: %d "
				"bindings held (--max-registrations)",
				xr_sa_str(&src->peer, a, sizeof(a)), ls.max_total);
	}
	px_reply(st, m, res->code, res->reason, res->extra_len ? res->extra : NULL);
	free(res);
}

/*
 * An in-dialog request: the call record learns its CSeq; a BYE ends it (and
 * its media) at once, others get it back (a reference) for their SDP and
 * responses.  *from_caller: which party sent m.
 */
static struct dlg *
px_dialog_request(const struct sip_msg *m, bool *from_caller)
{
	struct dlg *d = dlg_find(m->call_id, m->from.tag, m->to.tag, from_caller);

	if (!d)
		return NULL;
	dlg_note_cseq(d, *from_caller, m->cseq);
	if (m->method == SIP_METHOD_BYE) {
		dlg_end(d);
		dlg_put(d);
		return NULL;
	}
	return d;
}

/*
 * The call record of c: an in-dialog request's (*d, whose reference moves
 * to c), or a new one for an initial INVITE.  0, or -EBUSY when --max-calls
 * are up (answered 503 here: nothing is forwarded).  Call with c->lock held.
 */
static int
px_attach_dialog(struct px_call *c, const struct sip_msg *m, const struct sip_src *src,
		 struct dlg **d, bool in_dialog)
{
	int max;

	if (*d) {
		c->dlg = *d;
		*d = NULL;
	} else if (m->method == SIP_METHOD_INVITE && !in_dialog && !c->cancel_requested) {
		max = px_max_calls();
		c->dlg = dlg_create(m, src, max > 0 ? (unsigned long)max : 0);
		if (!c->dlg && errno == EBUSY) {
			px_refuse_call(c->st, m, src, max);
			return -EBUSY;
		}
		c->initial = c->dlg != NULL;
		dlg_set_owner(c->dlg, c);	/* for `call kill` while it rings */
	}
	return 0;
}

/*
 * §16.6 for each of rq's n targets, as one response context c: the call
 * record (*d, an in-dialog request's, moves to c; or a new one for an
 * initial INVITE), the fork, the best response once every branch is final.
 */
void
px_request_fork(struct px_call *c, struct txn *st, const struct sip_msg *m,
		const struct sip_src *src, struct px_req *rq, int n, struct dlg **d,
		bool from_caller, bool in_dialog)
{
	pthread_mutex_lock(&c->lock);
	c->up_addr = src->peer;
	c->from_caller = from_caller;
	if (px_attach_dialog(c, m, src, d, in_dialog) < 0) {
		/* over --max-calls: answered 503 there, nothing forked */
		c->forwarding = false;
		c->final_sent = true;
	} else if (px_fork(c, st, m, src, &rq->p, rq->tg, n, rq->sdp, sizeof(rq->sdp)) == 0) {
		c->forwarding = false;
		px_maybe_finish(c);
	}
	pthread_mutex_unlock(&c->lock);
}

/*
 * A request from the transaction layer (a new server transaction st; inv:
 * the INVITE transaction a CANCEL matches): §16.3 validation, §16.4 Route
 * planning, the registrar (§10.3), the call record, §16.5 targets, §16.6
 * fork.  Every way out either forwarded the request or answered it.
 */
static void
px_on_request(struct txn *st, struct txn *inv, const struct sip_msg *m,
	      const struct sip_src *src)
{
	bool ruri_ours, in_dialog, from_caller = true;
	struct px_call *c = NULL;
	struct px_req *rq = NULL;
	struct dlg *d = NULL;
	uint64_t lh = 0;
	int n = 0;

	PX_INC(requests);
	pol_set_sender_trusted(pol_trusted(&src->peer));	/* for its SDP (access.c) */
	if (m->method == SIP_METHOD_CANCEL) {
		px_on_cancel(st, inv, m);
		return;
	}
	/* --max-calls: before anything else is done for a new call. */
	if (m->method == SIP_METHOD_INVITE && m->to.tag.len <= 0 && px_calls_full(st, m, src))
		return;
	if (m->method == SIP_METHOD_INVITE && !(c = px_ctx_open(st, true)))
		return;
	rq = px_scratch_get();
	if (!rq) {
		txn_reply(st, 500, NULL);
		goto out;
	}
	memset(rq, 0, offsetof(struct px_req, sdp));
	ruri_ours = px_ruri_is_ours(&m->ruri_u);
	if (px_validate(st, m, ruri_ours && !sip_str_present(m->ruri_u.user) &&
			m->first[SIP_HDR_ROUTE] < 0, &lh) < 0)
		goto out;
	if (m->method == SIP_METHOD_INVITE)
		txn_reply(st, 100, NULL);	/* §16.2: at once, before any lookup */

	/* §16.4 Route information pre-processing. */
	if (px_plan_routes(m, &rq->p) < 0) {
		px_reply(st, m, 400, "Bad Route Header", NULL);
		goto out;
	}
	rq->p.loophash = lh;
	rq->p.record_route = px_dialog_creating(m);
	ruri_ours = px_ruri_is_ours(&rq->p.ruri_u);
	in_dialog = m->to.tag.len > 0;

	/* The access policy (access.c): refused, challenged or let through. */
	if (px_access_request(st, m, src, &rq->p, ruri_ours) < 0)
		goto out;

	/* §10.3 step 1: a REGISTER for a domain we serve is ours to answer. */
	if (m->method == SIP_METHOD_REGISTER && ruri_ours && rq->p.skip == rq->p.nr) {
		px_register(st, m, src, &rq->p.acc);
		goto out;
	}
	/* A dialog's request sent to us with no Route left: to the other party. */
	if (in_dialog && ruri_ours && rq->p.skip == rq->p.nr &&
	    px_dialog_target(m, rq->tg[0].uri, sizeof(rq->tg[0].uri), &rq->tg[0].conn_id))
		n = 1;
	if (in_dialog)
		d = px_dialog_request(m, &from_caller);
	n = px_targets(st, m, &rq->p, ruri_ours, in_dialog, rq->tg, rq->lb, n);
	if (n < 0)
		goto out;
	n = px_limit_targets(m, n);	/* --max-branches */

	/* §16.6 for each target, as one response context. */
	if (!c && !(c = px_ctx_open(st, false)))
		goto out;
	/* Next hops named by host names not in the DNS cache: wait, off the worker. */
	if (px_park(c, rq, n, &d, from_caller, in_dialog) == 0)
		return;		/* the park owns rq, d and our reference to c now */
	px_request_fork(c, st, m, src, rq, n, &d, from_caller, in_dialog);
out:
	dlg_put(d);
	px_scratch_put(rq);
	px_ctx_close(c);
}

static const struct txn_tu_ops px_tu_ops = {
	.request	= px_on_request,
	.ack		= px_on_ack,
	.response	= px_on_response,
	.failure	= px_on_failure,
	.stray_response	= px_on_stray_response,
	.gone		= px_on_gone,
	.admit		= px_admit,
};

/* ---- entry points ------------------------------------------------------------ */

int
proxy_init(const struct xr_config *cfg)
{
	int rc;

	px_cfg = cfg;
	reg_cfg_from(&px_reg, cfg);
	rc = loc_init(reg_uri_eq);
	if (rc < 0)
		return rc;
	rc = dlg_init();
	if (rc < 0)
		goto out_loc;
	rc = px_limits_init();
	if (rc < 0)
		goto out_dlg;
	rc = px_park_init(cfg);		/* the DNS resolver thread */
	if (rc < 0)
		goto out_limits;
	txn_set_tu(&px_tu_ops);
	cm_set_dest_check(px_access_media_dest);
	txn_set_timers(&(struct txn_timer_cfg){
		.t1 = (uint32_t)cfg->sip_t1, .t2 = (uint32_t)cfg->sip_t2,
		.t4 = (uint32_t)cfg->sip_t4, .timer_c = (uint32_t)cfg->timer_c * 1000,
	});
	px_ctl_init();
	rc = px_sweep_start();
	if (rc < 0)
		goto out_ctl;
	log_info("proxy: %d domain(s), %d static route(s), expires %d..%d (default %d), "
		 "T1 %d T2 %d T4 %d ms, timer C %d s",
		 cfg->ndomains, cfg->nroutes, cfg->min_expires, cfg->max_expires,
		 cfg->default_expires, cfg->sip_t1, cfg->sip_t2, cfg->sip_t4, cfg->timer_c);
	return 0;

out_ctl:
	px_ctl_fini();
	px_park_fini();
out_limits:
	px_limits_fini();
out_dlg:
	dlg_fini();
out_loc:
	loc_fini();
	return rc;
}

void
proxy_stop(void)
{
	px_park_stop();
}

void
proxy_fini(void)
{
	px_ctl_fini();
	px_sweep_stop();
	px_park_fini();
	dlg_fini();
	px_limits_fini();
	loc_fini();
}
