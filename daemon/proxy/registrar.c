// SPDX-License-Identifier: GPL-2.0
/*
 * registrar.c - RFC 3261 §10.3 "Processing REGISTER Requests", steps 2 and
 * 5-8, over the location service (location.c).  The proxy has done step 1
 * (the Request-URI names a domain we serve) and sends the answer.
 *
 * OUR implementation deviates where the RFC leaves a choice or asks for
 * more than an edge registrar does:
 *  - steps 3-4 (authentication, authorization): none; any UA may register
 *    any AOR of our domains.  Put the registrar behind an authenticating
 *    element if that matters.
 *  - step 2: we support no extension, so any Require in a REGISTER gets 420.
 *  - step 7 leaves the status of a request "aborted" by the CSeq rule open:
 *    we answer 400 "Out of Order CSeq" (the bindings are unchanged).
 *  - more than LOC_MAX_BINDINGS contacts for an AOR: 503 "Too Many
 *    Registered Contacts", as Kamailio does.
 *  - the 423 rule applies to intervals > 0 and < min_expires (§10.3 step 7
 *    says "and less than one hour" too: min_expires is below that anyway).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "proxy/registrar.h"

void
reg_cfg_from(struct reg_cfg *rc, const struct xr_config *cfg)
{
	rc->min_expires = cfg->min_expires;
	rc->max_expires = cfg->max_expires;
	rc->default_expires = cfg->default_expires;
	rc->domains = cfg->domains;
	rc->ndomains = cfg->ndomains;
}

bool
reg_domain_is_ours(const struct reg_cfg *rc, struct sip_str host)
{
	int i;

	for (i = 0; i < rc->ndomains; i++)
		if (sip_str_caseeq_cstr(host, rc->domains[i]))
			return true;
	return false;
}

bool
reg_uri_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	struct sip_uri ua, ub;

	if (sip_uri_parse(sip_str_mk(a, (int)alen), &ua) < 0 ||
	    sip_uri_parse(sip_str_mk(b, (int)blen), &ub) < 0)
		return alen == blen && strncasecmp(a, b, alen) == 0;
	return sip_uri_eq(&ua, &ub);
}

static void
reg_set(struct reg_result *res, int code, const char *reason)
{
	res->code = code;
	res->reason = reason;
}

/* Append printf-style text to res->extra; false when it does not fit. */
static bool __attribute__((format(printf, 2, 3)))
reg_extra(struct reg_result *res, const char *fmt, ...)
{
	va_list ap;
	int n, room = (int)sizeof(res->extra) - res->extra_len;

	va_start(ap, fmt);
	n = vsnprintf(res->extra + res->extra_len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= room) {
		res->extra[res->extra_len] = '\0';
		return false;
	}
	res->extra_len += n;
	return true;
}

/* §10.3 step 8: every current binding with its remaining expiry (and q). */
static void
reg_list_bindings(struct reg_result *res, const char *aor, uint64_t now_ms)
{
	struct loc_binding b[LOC_MAX_BINDINGS];
	uint64_t left;
	int i, n;

	n = loc_lookup(aor, now_ms, b, LOC_MAX_BINDINGS);
	for (i = 0; i < n; i++) {
		left = (b[i].expires_ms - now_ms + 999) / 1000;
		if (b[i].q >= 0) {
			if (!reg_extra(res, "Contact: <%s>;expires=%llu;q=%d.%03d\r\n",
				       b[i].contact, (unsigned long long)left,
				       b[i].q / 1000, b[i].q % 1000))
				break;
		} else if (!reg_extra(res, "Contact: <%s>;expires=%llu\r\n", b[i].contact,
				      (unsigned long long)left)) {
			break;
		}
	}
	res->nbindings = i;
}

/*
 * Long (~110 lines) because it follows RFC 3261 §10.3 steps 1-8 in order, a
 * few lines each.
 */
int
reg_handle(const struct reg_cfg *rc, const struct sip_msg *m,
	   const struct loc_src *src, uint64_t now_ms, struct reg_result *res)
{
	struct loc_op ops[LOC_MAX_BINDINGS];
	char aor[LOC_AOR_MAX], callid[LOC_CALLID_MAX];
	struct sip_contact c;
	struct sip_iter it = { 0 };
	struct sip_uri to_uri, cu;
	struct sip_str tok;
	int nops = 0, ncontacts = 0, r, expires;
	bool star = false;

	memset(res, 0, sizeof(*res));
	reg_set(res, 200, NULL);

	/* Step 2: Require lists extensions we would have to support. */
	if (sip_msg_token_next(m, SIP_HDR_REQUIRE, &it, &tok) == 1) {
		reg_set(res, 420, NULL);
		reg_extra(res, "Unsupported: %.*s\r\n", SIP_STR_FMT(tok));
		while (sip_msg_token_next(m, SIP_HDR_REQUIRE, &it, &tok) == 1)
			reg_extra(res, "Unsupported: %.*s\r\n", SIP_STR_FMT(tok));
		return 0;
	}

	/* Step 5: the To names the AOR; it must be in a domain we serve. */
	if (m->first[SIP_HDR_TO] < 0 ||
	    sip_uri_parse(m->to.uri, &to_uri) < 0 ||
	    (to_uri.scheme != SIP_SCHEME_SIP && to_uri.scheme != SIP_SCHEME_SIPS)) {
		reg_set(res, 400, "Bad To Header");
		return 0;
	}
	if (!reg_domain_is_ours(rc, to_uri.host)) {
		reg_set(res, 404, "Not Found (AOR Not In Our Domain)");
		return 0;
	}
	if (sip_uri_aor(&to_uri, aor, sizeof(aor)) < 0) {
		reg_set(res, 400, "Bad To Header");
		return 0;
	}
	if (!sip_str_present(m->call_id) || m->call_id.len >= LOC_CALLID_MAX) {
		reg_set(res, 400, "Bad Call-ID Header");
		return 0;
	}
	sip_str_cpy(callid, sizeof(callid), m->call_id);

	/* Steps 6-7: collect the changes; nothing is applied unless all are good. */
	it = (struct sip_iter){ 0 };
	while ((r = sip_msg_contact_next(m, &it, &c)) == 1) {
		ncontacts++;
		if (c.star) {
			star = true;
			continue;
		}
		if (sip_uri_parse(c.na.uri, &cu) < 0) {
			reg_set(res, 400, "Bad Contact URI");
			return 0;
		}
		expires = c.expires >= 0 ? c.expires :
			  m->expires >= 0 ? m->expires : rc->default_expires;
		if (expires > 0 && expires < rc->min_expires) {
			reg_set(res, 423, NULL);
			reg_extra(res, "Min-Expires: %d\r\n", rc->min_expires);
			return 0;
		}
		if (expires > rc->max_expires)
			expires = rc->max_expires;
		if (nops == LOC_MAX_BINDINGS) {
			reg_set(res, 503, "Too Many Registered Contacts");
			return 0;
		}
		if (c.na.uri.len >= LOC_URI_MAX) {
			reg_set(res, 400, "Contact URI Too Long");
			return 0;
		}
		ops[nops++] = (struct loc_op){ .contact = c.na.uri.s, .contact_len = c.na.uri.len,
					       .q = c.q, .expires = expires };
	}
	if (r < 0) {
		reg_set(res, 400, "Bad Contact Header");
		return 0;
	}
	/* Step 6: "*" only alone and only with Expires: 0. */
	if (star && (ncontacts != 1 || m->expires != 0)) {
		reg_set(res, 400, "Invalid Wildcard Contact");
		return 0;
	}
	if (ncontacts > 0) {
		r = loc_apply(aor, callid, m->cseq, ops, nops, star, src, now_ms);
		switch (r) {
		case 0:
			break;
		case -EALREADY:
			reg_set(res, 400, "Out of Order CSeq");
			return 0;
		case -ENOSPC:
			reg_set(res, 503, "Too Many Registered Contacts");
			return 0;
		case -EDQUOT:
			/* --max-registrations: the registrar is full, try later. */
			reg_set(res, 503, "Registrar Full");
			reg_extra(res, "Retry-After: %d\r\n", REG_RETRY_AFTER);
			res->over_total = true;
			return 0;
		case -ENAMETOOLONG:
			reg_set(res, 400, "Field Too Long");
			return 0;
		default:
			reg_set(res, 500, NULL);
			return 0;
		}
	}
	/* Step 8: a query (no Contact) or an update: list what is bound now. */
	reg_list_bindings(res, aor, now_ms);
	return 0;
}
