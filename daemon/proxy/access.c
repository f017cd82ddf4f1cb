// SPDX-License-Identifier: GPL-2.0
/*
 * access.c - the proxy's side of the access policy (issue 13, README
 * "Access control"): gathers the facts of one request (source trust, what
 * its target and Route set name, the dialog it continues, its credentials
 * checked by auth/), asks policy/ for the verdict, answers refusals and
 * challenges, and edits what is forwarded: P-Asserted-Identity (RFC 3325),
 * consumed Proxy-Authorization, and the destination check of every next hop.
 * The verdict table itself is pol_decide()'s (policy/policy.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/auth.h"
#include "policy/policy.h"
#include "proxy/proxy_int.h"
#include "sip/build.h"

#define PX_DEFAULT_REALM	"xrelay"	/* when no --domain is given */

static bool
px_is_id_hdr(const struct sip_hdr *h)
{
	return h->type == SIP_HDR_OTHER &&
	       (sip_str_caseeq_cstr(h->name, "P-Asserted-Identity") ||
		sip_str_caseeq_cstr(h->name, "P-Preferred-Identity"));
}

/* host as one of our domains, copied into out; false when it is none of ours. */
static bool
px_our_domain(struct sip_str host, char *out, size_t cap)
{
	if (!reg_domain_is_ours(&px_reg, host) || host.len <= 0 || (size_t)host.len >= cap)
		return false;
	sip_str_cpy(out, cap, host);
	for (char *q = out; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	return true;
}

static bool
px_nameaddr_uri(const struct sip_nameaddr *na, struct sip_uri *u)
{
	return sip_str_present(na->uri) && sip_uri_parse(na->uri, u) == 0 &&
	       (u->scheme == SIP_SCHEME_SIP || u->scheme == SIP_SCHEME_SIPS);
}

/*
 * In-dialog request m continues a dialog we keep and goes to that dialog's
 * other party (its Request-URI names the Contact host and port we saw).
 */
static bool
px_dialog_known(const struct sip_msg *m, const struct px_plan *p)
{
	char contact[DLG_HDR_MAX];
	struct sip_uri cu;
	uint64_t conn_id;

	if (!px_dialog_target(m, contact, sizeof(contact), &conn_id) ||
	    sip_uri_parse(sip_str_mk(contact, (int)strlen(contact)), &cu) != 0)
		return false;
	return sip_str_caseeq(cu.host, p->ruri_u.host) &&
	       (cu.port ? cu.port : SIP_DEFAULT_PORT) ==
	       (p->ruri_u.port ? p->ruri_u.port : SIP_DEFAULT_PORT);
}

/* The realm to challenge or check m in: its To (REGISTER) or From domain when ours. */
static void
px_realm(const struct sip_msg *m, char *realm, size_t cap)
{
	const struct sip_nameaddr *na = m->method == SIP_METHOD_REGISTER ? &m->to : &m->from;
	struct sip_uri u;

	if (px_nameaddr_uri(na, &u) && px_our_domain(u.host, realm, cap))
		return;
	snprintf(realm, cap, "%s", px_reg.ndomains ? px_reg.domains[0] : PX_DEFAULT_REALM);
}

/* Is the authenticated user the To user of REGISTER m, in the realm of its domain? */
static bool
px_auth_is_to(const struct sip_msg *m, const char *user, const char *realm)
{
	char tu[AUTH_USER_MAX];
	struct sip_uri u;
	int n;

	if (!px_nameaddr_uri(&m->to, &u) || !sip_str_present(u.user) ||
	    !sip_str_caseeq_cstr(u.host, realm))
		return false;
	n = sip_unescape(u.user, tu, sizeof(tu) - 1);
	if (n < 0)
		return false;
	tu[n] = '\0';
	return strlen(tu) == (size_t)n && strcmp(tu, user) == 0;
}

static const char *
px_src_str(const struct sip_src *src, char *buf, size_t cap)
{
	return xr_sa_str(&src->peer, buf, cap);
}

/* Gather the facts of m for pol_decide(); the credentials are checked here. */
static void
px_access_facts(const struct sip_msg *m, const struct sip_src *src, const struct px_plan *p,
		bool ruri_ours, struct pol_req *r, struct auth_result *ar, char *realm,
		size_t realmcap)
{
	struct sip_uri fu;
	char dom[256];

	memset(r, 0, sizeof(*r));
	memset(ar, 0, sizeof(*ar));
	ar->hdr = -1;
	r->trusted = pol_trusted(&src->peer);
	r->is_register = m->method == SIP_METHOD_REGISTER;
	r->is_ack = m->method == SIP_METHOD_ACK;
	r->register_ours = r->is_register && ruri_ours;
	if (!ruri_ours)
		r->target = POL_T_FOREIGN;
	else if (!sip_str_present(p->ruri_u.user))
		r->target = POL_T_SELF;
	else
		r->target = POL_T_LOCAL;
	r->route_foreign = p->skip < p->nr;
	if (r->trusted)
		return;
	r->dialog_known = !r->is_register && px_dialog_known(m, p);
	r->from_ours = px_nameaddr_uri(&m->from, &fu) && px_our_domain(fu.host, dom, sizeof(dom));
	px_realm(m, realm, realmcap);
	if (r->is_ack || r->dialog_known)
		return;
	auth_check(m, r->is_register ? SIP_HDR_AUTHORIZATION : SIP_HDR_PROXY_AUTHORIZATION,
		   realm, (uint64_t)time(NULL), ar);
	switch (ar->outcome) {
	case AUTH_OK:
		r->auth = POL_AUTH_OK;
		px_auth_outcome(src, true);
		break;
	case AUTH_STALE:
		r->auth = POL_AUTH_STALE;
		break;
	case AUTH_FAILED:
		r->auth = POL_AUTH_FAILED;
		px_auth_outcome(src, false);	/* --auth-fail-ban */
		break;
	default:
		r->auth = POL_AUTH_NONE;
		break;
	}
	if (r->is_register && ar->outcome == AUTH_OK)
		r->auth_is_to = px_auth_is_to(m, ar->user, realm);
}

/* What the verdict says about p->acc for the branches; counters for refusals. */
static void
px_access_note(const struct sip_msg *m, const struct pol_verdict *v,
	       const struct auth_result *ar, const char *realm, struct px_plan *p)
{
	int i;

	if (v->counter == POL_C_RELAY_FORBIDDEN)
		pol_count(POL_S_RELAY);
	else if (v->counter == POL_C_AUTH_FAILURE)
		pol_count(POL_S_AUTH_FAIL);
	if (v->action != POL_ALLOW)
		return;
	p->acc.strip_id = v->strip_id;
	if (v->strip_id) {
		for (i = 0; i < m->nhdrs; i++)
			if (px_is_id_hdr(&m->hdrs[i]))
				break;
		if (i < m->nhdrs)
			pol_count(POL_S_STRIP);
	}
	if (v->assert_id && ar->outcome == AUTH_OK) {
		p->acc.authenticated = true;
		snprintf(p->acc.identity, sizeof(p->acc.identity), "<sip:%s@%s>", ar->user, realm);
		p->acc.cred_hdr = ar->hdr;
	}
}

int
px_access_request(struct txn *st, const struct sip_msg *m, const struct sip_src *src,
		  struct px_plan *p, bool ruri_ours)
{
	char realm[AUTH_REALM_MAX], chal[1024], a[XR_SA_STRLEN];
	struct auth_result ar;
	struct pol_verdict v;
	struct pol_req r;
	int n;

	p->acc.cred_hdr = -1;
	px_access_facts(m, src, p, ruri_ours, &r, &ar, realm, sizeof(realm));
	p->acc.trusted = r.trusted;
	pol_decide(&r, &v);
	px_access_note(m, &v, &ar, realm, p);
	switch (v.action) {
	case POL_ALLOW:
		return 0;
	case POL_CHALLENGE:
		n = auth_challenge(chal, sizeof(chal), v.code == 407, realm, v.stale,
				   (uint64_t)time(NULL));
		if (n < 0) {
			px_reply(st, m, 500, NULL, NULL);
			return -EACCES;
		}
		pol_count(POL_S_CHALLENGE);
		if (ar.outcome == AUTH_FAILED)
			log_ratelimited(LS_PROXY, LL_INFO, "access: %.*s from %s: credentials of "
					"'%s' refused", SIP_STR_FMT(m->method_str),
					px_src_str(src, a, sizeof(a)), ar.user);
		px_reply(st, m, v.code, NULL, chal);
		return -EACCES;
	case POL_REPLY:
		log_ratelimited(LS_PROXY, LL_INFO, "access: %.*s %.*s from untrusted %s refused: "
				"%d %s", SIP_STR_FMT(m->method_str), SIP_STR_FMT(m->ruri),
				px_src_str(src, a, sizeof(a)), v.code, v.reason);
		px_reply(st, m, v.code, v.reason, NULL);
		return -EACCES;
	case POL_DROP:
	default:
		return -EACCES;
	}
}

bool
px_access_ack(const struct sip_msg *m, const struct sip_src *src, struct px_plan *p,
	      bool ruri_ours)
{
	char realm[AUTH_REALM_MAX], a[XR_SA_STRLEN];
	struct auth_result ar;
	struct pol_verdict v;
	struct pol_req r;

	p->acc.cred_hdr = -1;
	px_access_facts(m, src, p, ruri_ours, &r, &ar, realm, sizeof(realm));
	p->acc.trusted = r.trusted;
	pol_decide(&r, &v);
	px_access_note(m, &v, &ar, realm, p);
	if (v.action == POL_ALLOW)
		return true;
	log_ratelimited(LS_PROXY, LL_INFO, "access: ACK %.*s from untrusted %s dropped",
			SIP_STR_FMT(m->ruri), px_src_str(src, a, sizeof(a)));
	return false;
}

int
px_access_dest(const struct px_plan *p, const union xr_sa *dst, const struct sip_str what)
{
	const char *why = pol_dest(dst, p->acc.trusted);
	char a[XR_SA_STRLEN];

	if (!why)
		return 0;
	pol_count(POL_S_DEST);
	log_ratelimited(LS_PROXY, LL_INFO, "access: %.*s not sent to %s: %s",
			SIP_STR_FMT(what), xr_sa_str(dst, a, sizeof(a)), why);
	return -EACCES;
}

void
px_access_strip_id(struct sip_edit *e, const struct sip_msg *m)
{
	for (int i = 0; i < m->nhdrs; i++)
		if (px_is_id_hdr(&m->hdrs[i]))
			sip_edit_del_hdr(e, i);
}

void
px_access_edit(struct sip_edit *e, const struct sip_msg *m, const struct px_plan *p,
	       const union xr_sa *next)
{
	bool next_trusted = pol_trusted(next);

	/* RFC 3325 §5: no identity from untrusted, none towards untrusted. */
	if (p->acc.strip_id || !next_trusted)
		px_access_strip_id(e, m);
	/* Our credentials are consumed here (Kamailio's consume_credentials). */
	if (p->acc.cred_hdr >= 0 && p->acc.cred_hdr < m->nhdrs &&
	    m->hdrs[p->acc.cred_hdr].type == SIP_HDR_PROXY_AUTHORIZATION)
		sip_edit_del_hdr(e, p->acc.cred_hdr);
	if (p->acc.authenticated && next_trusted && p->acc.identity[0])
		sip_edit_add_hdr(e, SIP_STR("P-Asserted-Identity"),
				 sip_str_mk(p->acc.identity, (int)strlen(p->acc.identity)));
}

/* call_media.c's destination check: the sender's trust set by the worker. */
const char *
px_access_media_dest(const union xr_sa *a)
{
	const char *why = pol_dest(a, pol_sender_trusted());

	if (why)
		pol_count(POL_S_DEST);
	return why;
}
