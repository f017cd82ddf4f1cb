// SPDX-License-Identifier: GPL-2.0
/*
 * validate.c - what the proxy decides from a request alone (RFC 3261): who
 * we are (§16.4: our URIs), §16.3 request validation, §16.3 step 4 loop
 * detection, §16.4 Route pre-processing into a px_plan.  Pure functions of
 * the message and px_cfg: no I/O, no table, nothing sent (the callers
 * answer); unit-tested in tests/unit/test_proxy_validate.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "proxy/proxy_int.h"

/* ---- who we are ------------------------------------------------------------ */

/*
 * Is host one of our --sip addresses, on port (0 = 5060; -1 = any port)?
 */
bool
px_is_our_hostport(struct sip_str host, int port)
{
	char buf[INET6_ADDRSTRLEN + 3];
	union xr_sa sa;
	int i;

	if (host.len <= 0 || host.len >= (int)sizeof(buf))
		return false;
	sip_str_cpy(buf, sizeof(buf), host);
	if (xr_sa_parse_ip(&sa, buf) < 0)
		return false;
	if (port == 0)
		port = SIP_DEFAULT_PORT;
	for (i = 0; i < px_cfg->nsip; i++)
		if (xr_sa_ip_eq(&sa, &px_cfg->sip[i]) &&
		    (port < 0 || xr_sa_port(&px_cfg->sip[i]) == port))
			return true;
	return false;
}

/* A URI this proxy put in a Record-Route, or that names this host (§16.4). */
bool
px_uri_is_ours(const struct sip_uri *u)
{
	if (u->scheme != SIP_SCHEME_SIP && u->scheme != SIP_SCHEME_SIPS)
		return false;
	if (sip_str_present(u->maddr))
		return px_is_our_hostport(u->maddr, u->port);
	return px_is_our_hostport(u->host, u->port);
}

/* One of our --sip addresses, on any port. */
bool
px_host_is_our_addr(struct sip_str host)
{
	return px_is_our_hostport(host, -1);
}

/* A sip: Request-URI for a domain we serve or one of our addresses. */
bool
px_ruri_is_ours(const struct sip_uri *u)
{
	return u->scheme == SIP_SCHEME_SIP &&
	       (reg_domain_is_ours(&px_reg, u->host) || px_host_is_our_addr(u->host));
}

/* Requests that create a dialog, so get our Record-Route. */
bool
px_dialog_creating(const struct sip_msg *m)
{
	if (m->to.tag.len > 0)
		return false;
	switch (m->method) {
	case SIP_METHOD_INVITE:
	case SIP_METHOD_SUBSCRIBE:
	case SIP_METHOD_REFER:
	case SIP_METHOD_NOTIFY:
		return true;
	default:
		return false;
	}
}

/* ---- §16.3 step 4: loop detection ------------------------------------------ */

/*
 * The part of our branch that detects loops (§16.6 step 8): a hash of what
 * identifies the request as it reached us, except the top Via (a looped
 * request has ours there).  A spiral changes the Request-URI, a loop does not.
 */
uint64_t
px_loop_hash(const struct sip_msg *m)
{
	uint64_t h = XR_FNV64_INIT;
	const struct sip_hdr *hd;
	char num[16];

	h = px_hash_str(h, m->ruri);
	h = px_hash_str(h, m->from.tag);
	h = px_hash_str(h, m->to.tag);
	h = px_hash_str(h, m->call_id);
	snprintf(num, sizeof(num), "%u", m->cseq);
	h = px_hash_str(h, sip_str_mk(num, (int)strlen(num)));
	for (hd = sip_msg_hdr(m, SIP_HDR_PROXY_REQUIRE); hd; hd = sip_msg_hdr_next(m, hd))
		h = px_hash_str(h, hd->value);
	for (hd = sip_msg_hdr(m, SIP_HDR_PROXY_AUTHORIZATION); hd; hd = sip_msg_hdr_next(m, hd))
		h = px_hash_str(h, hd->value);
	return h;
}

/* Did this very request pass through us already (a Via of ours with our hash)? */
bool
px_is_loop(const struct sip_msg *m, uint64_t lh)
{
	struct sip_iter it = { 0 };
	struct sip_via v;
	char want[20];
	const char *dash;
	int r, n = 0;

	snprintf(want, sizeof(want), "%016" PRIx64, lh);
	while ((r = sip_msg_via_next(m, &it, &v)) == 1 && n++ < 64) {
		if (!px_is_our_hostport(v.host, v.port) || v.branch.len < 17)
			continue;
		dash = v.branch.s + v.branch.len - 17;
		if (*dash == '-' && memcmp(dash + 1, want, 16) == 0)
			return true;
	}
	return false;
}

/* ---- §16.3 request validation -------------------------------------------- */

/*
 * §16.3 steps 1-5 (step 6, authorization, is not done).  0 when the request
 * may go on (*lh: its loop hash, needed by the forwarder); else -EINVAL
 * (steps 1, 2, 5), -ELOOP (steps 3, 4: Max-Forwards, loop) or -EALREADY
 * (an OPTIONS for us with Max-Forwards 0: answered 200), with r saying how
 * to answer.
 */
int
px_check_request(const struct sip_msg *m, bool to_us, uint64_t *lh, struct px_refusal *r)
{
	struct sip_iter it = { 0 };
	struct sip_str tok;
	struct sip_err err;
	size_t off = 0;

	r->reason = NULL;
	r->extra[0] = '\0';
	/* Step 1: syntax (the parser did most) and the mandatory headers. */
	if (sip_msg_check_request(m, &err) < 0) {
		r->code = err.code ? err.code : 400;
		r->reason = err.reason;
		return -EINVAL;
	}
	/* Step 2: the URI scheme. */
	if (m->ruri_u.scheme != SIP_SCHEME_SIP && m->ruri_u.scheme != SIP_SCHEME_SIPS) {
		r->code = 416;
		return -EINVAL;
	}
	/* Step 3: Max-Forwards (an OPTIONS for us is answered, §11 / §16.3). */
	if (m->max_forwards == 0) {
		if (m->method == SIP_METHOD_OPTIONS && to_us) {
			r->code = 200;
			snprintf(r->extra, sizeof(r->extra), "%s",
				 PX_ALLOW "Accept: application/sdp\r\n");
			return -EALREADY;
		}
		r->code = 483;
		return -ELOOP;
	}
	/* Step 4: loop detection. */
	*lh = px_loop_hash(m);
	if (px_is_loop(m, *lh)) {
		r->code = 482;
		return -ELOOP;
	}
	/* Step 5: Proxy-Require: we support no extension. */
	while (sip_msg_token_next(m, SIP_HDR_PROXY_REQUIRE, &it, &tok) == 1 &&
	       off + (size_t)tok.len + 20 < sizeof(r->extra))
		off += snprintf(r->extra + off, sizeof(r->extra) - off, "Unsupported: %.*s\r\n",
				SIP_STR_FMT(tok));
	if (off) {
		r->code = 420;
		return -EINVAL;
	}
	return 0;
}

/* ---- §16.4 Route information pre-processing -------------------------------- */

/*
 * Read the Route values and do §16.4: strict-router compatibility (our URI
 * in the Request-URI: the last Route becomes the Request-URI) and removal of
 * our own URI(s) from the top.  0, or -EINVAL (answer 400 Bad Route Header).
 */
int
px_plan_routes(const struct sip_msg *m, struct px_plan *p)
{
	struct sip_iter it = { 0 };
	struct sip_nameaddr na;
	struct sip_str elem;
	int hdr, r;

	p->ruri = m->ruri;
	p->ruri_u = m->ruri_u;
	while ((r = sip_list_next(m, SIP_HDR_ROUTE, &it, &elem, &hdr)) == 1) {
		if (p->nr == PX_MAX_ROUTES)
			return -EINVAL;
		if (sip_nameaddr_parse(elem, &na) < 0 ||
		    sip_uri_parse(na.uri, &p->r[p->nr].uri) < 0)
			return -EINVAL;
		p->r[p->nr].elem = elem;
		p->r[p->nr].hdr = hdr;
		p->r[p->nr].ours = px_uri_is_ours(&p->r[p->nr].uri);
		p->nr++;
	}
	if (p->nr > 0 && px_uri_is_ours(&m->ruri_u)) {
		/* §16.4: a strict router before us put our Record-Route in the R-URI. */
		p->strict_fix = true;
		p->ruri = p->r[p->nr - 1].uri.raw;
		p->ruri_u = p->r[p->nr - 1].uri;
		p->nr--;
	}
	while (p->skip < p->nr && p->r[p->skip].ours)
		p->skip++;
	return 0;
}
