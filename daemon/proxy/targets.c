// SPDX-License-Identifier: GPL-2.0
/*
 * targets.c - RFC 3261 §16.5 and the fork of §16.6: the target set of a
 * request (a dialog's remote target, a Route to follow, a foreign
 * Request-URI, static --route targets, the location service's bindings) and
 * the forking of the request to every target as one response context, each
 * branch with the SDP anchored for the relay address that faces it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <urcu.h>

#include "proxy/call_media.h"
#include "proxy/proxy_int.h"

/* Static --route targets for AOR (or user, when the domain is ours). */
int
px_static_targets(const char *aor, bool ours, struct px_target *t, int max)
{
	const char *at = strchr(aor, '@');
	size_t ulen = at ? (size_t)(at - aor) : strlen(aor);
	const struct xr_config *cfg;
	int i, j, n = 0;

	/* The routes of the running configuration (a SIGHUP may replace them). */
	rcu_read_lock();
	cfg = config_now(px_cfg);
	for (i = 0; i < cfg->nroutes; i++) {
		const struct xr_route *r = &cfg->routes[i];

		if (strcasecmp(r->aor, aor) != 0 &&
		    !(ours && !strchr(r->aor, '@') && strlen(r->aor) == ulen &&
		      strncmp(r->aor, aor, ulen) == 0))
			continue;
		for (j = 0; j < r->ntargets && n < max; j++) {
			snprintf(t[n].uri, sizeof(t[n].uri), "%s", r->targets[j]);
			t[n].conn_id = 0;
			n++;
		}
		break;
	}
	rcu_read_unlock();
	return n;
}

/*
 * An in-dialog request (or ACK for a 2xx) whose Request-URI names us and
 * that has no Route left: a UA that ignored our Record-Route (SIPp's
 * built-in scenarios send ACK and BYE to sip:service@proxy) still means the
 * other party of the dialog.  Its remote target (the Contact we saw from
 * it), and the TCP connection it used, from the dialog record; false when
 * no dialog matches.
 */
bool
px_dialog_target(const struct sip_msg *m, char *uri, size_t cap, uint64_t *conn_id)
{
	struct dlg_info *di;
	const char *contact;
	const struct sip_dest *dest;
	bool from_caller, ok = false;
	struct dlg *d;

	if (m->to.tag.len <= 0)
		return false;
	d = dlg_find(m->call_id, m->from.tag, m->to.tag, &from_caller);
	if (!d)
		return false;
	di = malloc(sizeof(*di));
	if (di) {
		dlg_info_of(d, di);
		contact = from_caller ? di->callee_contact : di->caller_contact;
		dest = from_caller ? &di->callee_dest : &di->caller_dest;
		if (contact[0] && strlen(contact) < cap) {
			memcpy(uri, contact, strlen(contact) + 1);
			*conn_id = dest->tp == SIP_TP_TCP ? dest->conn_id : 0;
			ok = true;
		}
		free(di);
	}
	dlg_put(d);
	return ok;
}

/*
 * The SDP of request m through the call's media, for branch b going to
 * target (offer, or the answer in an ACK/PRACK); *body set to store, which
 * holds the rewritten body (in sdp, sdp_cap bytes), or left NULL (no rewrite).  The first branch
 * (first) runs the offer/answer machine; the others of a fork get the same
 * offer through the relay address that faces them.  When the first cannot
 * be anchored the request is refused here (488 with a Warning; 503 when the
 * port range is exhausted), a new call record is ended, and -errno
 * returned; a later branch that cannot be anchored fails alone (-errno,
 * nothing answered).  0 otherwise.  Call with c->lock held.
 */
static int
px_request_sdp(struct px_call *c, struct px_branch *b, bool first, struct txn *st,
	       const struct sip_msg *m, const struct px_plan *p, const char *target,
	       char *sdp, size_t sdp_cap, struct sip_str *store, struct sip_str **body)
{
	char err[160], warn[240];
	union xr_sa hint;
	bool have_hint;
	size_t blen;
	int rc, code;

	*body = NULL;
	have_hint = px_hop_addr(p, target, &hint) == 0;
	rc = cm_body(dlg_cm(c->dlg), m, c->from_caller, true, first ? CM_NEW : CM_BRANCH,
		     have_hint ? &hint : NULL, &b->group, sdp, sdp_cap, &blen,
		     err, sizeof(err));
	if (rc == 1) {
		*store = sip_str_mk(sdp, (int)blen);
		*body = store;
	}
	if (rc >= 0) {
		if (first)
			c->sdp = rc == 1;
		return 0;
	}
	PX_INC(sdp_errors);
	code = rc == -ENOSPC || rc == -EBUSY || rc == -EDQUOT ? 503 : rc == -ENOMEM ? 500 : 488;
	if (first && rc == -EBUSY)
		PX_INC(media_refused);
	else if (first && rc == -EDQUOT)
		PX_INC(media_source_refused);
	else if (first && rc == -ERANGE)
		PX_INC(streams_refused);
	log_ratelimited(LS_PROXY, LL_WARN, "proxy: %.*s for Call-ID %.*s to %s refused with %d: "
			"%s", SIP_STR_FMT(m->method_str), SIP_STR_FMT(m->call_id), target, code,
			err);
	if (!first)
		return rc;
	for (char *q = err; *q; q++)
		if (*q == '"' || *q == '\\' || (unsigned char)*q < 0x20)
			*q = '\'';
	snprintf(warn, sizeof(warn), "Warning: 399 xrelay \"%s\"\r\n%s", err,
		 rc == -EBUSY || rc == -EDQUOT ? PX_RETRY_AFTER : "");
	px_reply(st, m, code, NULL, warn);
	if (c->initial)
		dlg_end(c->dlg);
	return rc;
}

/*
 * The AOR a Request-URI for us names: user@domain for a domain we serve,
 * user@<our first domain> for user@<one of our addresses>.  0, or -EINVAL
 * (400 Bad Request-URI) / -ENOENT (404).
 */
static int
px_local_aor(const struct px_plan *p, char *aor, size_t cap)
{
	char user[LOC_AOR_MAX];
	int ul;

	if (reg_domain_is_ours(&px_reg, p->ruri_u.host))
		return sip_uri_aor(&p->ruri_u, aor, cap) < 0 ? -EINVAL : 0;
	ul = sip_unescape(p->ruri_u.user, user, sizeof(user) - 1);
	if (ul < 0 || px_reg.ndomains == 0)
		return -ENOENT;
	user[ul] = '\0';
	if ((size_t)ul + strlen(px_reg.domains[0]) + 2 > cap)
		return -ENOENT;
	memcpy(aor, user, (size_t)ul);
	aor[ul] = '@';
	strcpy(aor + ul + 1, px_reg.domains[0]);
	return 0;
}

/*
 * §16.5: the target set of m (p: its Route plan; ruri_ours: the Request-URI
 * after §16.4 is ours).  n targets already found (a dialog's remote target)
 * are kept.  lb is scratch for PX_MAX_BRANCHES bindings.  The number of
 * targets (> 0), or -errno after answering the request here (a ping of the
 * proxy itself, 400, 404).
 */
int
px_targets(struct txn *st, const struct sip_msg *m, const struct px_plan *p,
	   bool ruri_ours, bool in_dialog, struct px_target *tg, struct loc_binding *lb, int n)
{
	char aor[LOC_AOR_MAX];
	int i, rc;

	if (n > 0)
		return n;
	if (p->skip < p->nr || !ruri_ours) {
		/* A Route left to follow, or not our domain: the Request-URI itself. */
		if (!ruri_ours && p->skip == p->nr && !in_dialog &&
		    sip_uri_aor(&p->ruri_u, aor, sizeof(aor)) >= 0)
			n = px_static_targets(aor, false, tg, PX_MAX_BRANCHES);
		if (n == 0) {
			sip_str_cpy(tg[0].uri, sizeof(tg[0].uri), p->ruri);
			tg[0].conn_id = 0;
			n = 1;
		}
		return n;
	}
	if (!sip_str_present(p->ruri_u.user)) {
		/* For the proxy itself. */
		if (m->method == SIP_METHOD_OPTIONS)
			px_reply(st, m, 200, NULL, PX_ALLOW);
		else
			px_reply(st, m, 404, NULL, NULL);
		return -EALREADY;
	}
	rc = px_local_aor(p, aor, sizeof(aor));
	if (rc < 0) {
		if (rc == -EINVAL)
			px_reply(st, m, 400, "Bad Request-URI", NULL);
		else
			px_reply(st, m, 404, NULL, NULL);
		return rc;
	}
	n = px_static_targets(aor, true, tg, PX_MAX_BRANCHES);
	if (n == 0) {
		n = loc_lookup(aor, loc_now_ms(), lb, PX_MAX_BRANCHES);
		for (i = 0; i < n; i++) {
			memcpy(tg[i].uri, lb[i].contact, sizeof(tg[i].uri));
			tg[i].conn_id = lb[i].tp == SIP_TP_TCP ? lb[i].conn_id : 0;
		}
	}
	if (n <= 0) {
		px_reply(st, m, 404, NULL, NULL);
		return -ENOENT;
	}
	return n;
}

/*
 * §16.6 for each of the n targets tg of m, as branches of response context
 * c: the SDP anchored first (kernel entries for new streams), then the
 * request forwarded.  A branch that cannot start is final at once with the
 * status it would have had.  sdp (sdp_cap bytes) holds each branch's
 * rewritten SDP until its request is built.  0, or -errno when the first
 * branch's SDP was refused (answered here: the context is closed).
 * Call with c->lock held.
 */
int
px_fork(struct px_call *c, struct txn *st, const struct sip_msg *m,
	const struct sip_src *src, const struct px_plan *p, const struct px_target *tg,
	int n, char *sdp, size_t sdp_cap)
{
	struct sip_str store, *body;
	int i, rc;

	if (c->nbranches + n > PX_INLINE_BRANCHES && c->br == c->br_inline) {
		/* called once a context, before any branch: nothing points into br yet */
		struct px_branch *br = c->nbranches == 0 ?
				       calloc(PX_MAX_BRANCHES, sizeof(*br)) : NULL;

		if (!br) {
			px_reply(st, m, 500, NULL, NULL);
			c->forwarding = false;
			c->final_sent = true;
			return -ENOMEM;
		}
		c->br = br;
	}
	for (i = 0; i < n && !c->cancel_requested; i++) {
		struct px_branch *b = &c->br[c->nbranches];
		struct sip_str target = sip_str_mk(tg[i].uri, (int)strlen(tg[i].uri));

		b->group = -1;
		body = NULL;
		if (c->dlg && m->body.len > 0 && m->method != SIP_METHOD_BYE) {
			rc = px_request_sdp(c, b, i == 0, st, m, p, tg[i].uri, sdp, sdp_cap,
					    &store, &body);
			if (rc < 0 && i == 0) {
				c->forwarding = false;
				c->final_sent = true;
				return rc;
			}
			if (rc < 0) {
				/* This branch alone cannot be anchored. */
				b->kind = PX_BRANCH;
				b->call = c;
				b->final = true;
				b->code = 503;
				c->nbranches++;
				continue;
			}
		}
		b->kind = PX_BRANCH;
		b->call = c;
		px_call_get(c);		/* the branch's, dropped in gone() */
		if (c->initial)
			dlg_branch_target(c->dlg, c->nbranches, target);
		c->nbranches++;
		rc = px_forward(m, src, p, target, tg[i].conn_id, body, b);
		if (rc < 0) {
			b->final = true;
			b->code = px_status_of(rc);
			px_call_put(c);	/* no transaction, no gone() */
		}
	}
	if (n > 1)
		PX_INC(forks);
	return 0;
}
