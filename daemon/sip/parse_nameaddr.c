// SPDX-License-Identifier: GPL-2.0
/*
 * parse_nameaddr.c - name-addr / addr-spec with header parameters
 * (RFC 3261 §20.10, §20.20, §20.39: From, To, Contact, Route, Record-Route)
 * and the Contact element (star, expires, q).  Slices only.
 */
#include <errno.h>

#include "sip/msg.h"
#include "sip/parse_int.h"

/*
 * display-name = *(token LWS) / quoted-string, unquoted form checked here.
 * Deviation: bytes >= 0x80 are let through (UTF-8 names sent unquoted by
 * real user agents); separators such as ',' (RFC 4475 baddn), '"', ';'
 * are not.
 */
static bool
display_tokens_ok(struct sip_str d)
{
	int i;

	for (i = 0; i < d.len; i++)
		if (!sip_is_token(d.s[i]) && !sip_is_lws(d.s[i]) &&
		    (unsigned char)d.s[i] < 0x80)
			return false;
	return true;
}

int
sip_nameaddr_parse(struct sip_str s, struct sip_nameaddr *na)
{
	struct sip_uri u;
	int i = 0, u0, rest;
	int rc;

	memset(na, 0, sizeof(*na));
	s = sip_trim(s);
	na->value = s;
	if (s.len == 0)
		return -EINVAL;
	if (s.s[0] == '"') {
		i = sip_skip_quoted(s, 0);
		if (i < 0)
			return -EINVAL;		/* unbalanced quotes (quotbal) */
		na->display = sip_str_mk(s.s + 1, i - 2);
		i = sip_skip_lws(s, i);
		if (i >= s.len || s.s[i] != '<')
			return -EINVAL;
	} else {
		const char *lt = memchr(s.s, '<', s.len);

		if (lt) {
			struct sip_str d = sip_trim(sip_str_mk(s.s, lt - s.s));

			if (!display_tokens_ok(d))
				return -EINVAL;	/* "Bell, Alexander" (baddn) */
			if (d.len)
				na->display = d;
			i = lt - s.s;
		} else {
			i = -1;
		}
	}
	if (i >= 0) {
		const char *gt;

		na->angle = true;
		u0 = i + 1;
		gt = memchr(s.s + u0, '>', s.len - u0);
		if (!gt)
			return -EINVAL;		/* unbalanced <> */
		na->uri = sip_str_mk(s.s + u0, gt - (s.s + u0));
		/* no LWS inside <> around the URI (badaspec) */
		if (na->uri.len == 0 || sip_is_lws(na->uri.s[0]) ||
		    sip_is_lws(na->uri.s[na->uri.len - 1]))
			return -EINVAL;
		rest = gt - s.s + 1;
	} else {
		int k;

		/* addr-spec: the URI ends at ';' or LWS; ',', '?' need <> (§20.10) */
		for (k = 0; k < s.len && s.s[k] != ';' && !sip_is_lws(s.s[k]); k++)
			if (s.s[k] == ',' || s.s[k] == '?' || s.s[k] == '<' || s.s[k] == '>')
				return -EINVAL;
		na->uri = sip_str_mk(s.s, k);
		rest = k;
	}
	rc = sip_uri_parse(na->uri, &u);
	if (rc)
		return rc;
	na->params = sip_str_mk(s.s + rest, s.len - rest);
	if (na->params.len) {
		struct sip_str n, v;
		int pos = 0;

		while ((rc = sip_param_next(na->params, &pos, &n, &v)) == 1) {
			if (sip_str_caseeq_cstr(n, "tag")) {
				if (!sip_str_present(v) || !sip_str_is_token(v))
					return -EINVAL;
				na->tag = v;
			}
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
sip_parse_qvalue(struct sip_str s, int *q)
{
	int i, v, scale = 100;

	if (s.len < 1 || (s.s[0] != '0' && s.s[0] != '1'))
		return -EINVAL;
	v = (s.s[0] - '0') * 1000;
	if (s.len == 1) {
		*q = v;
		return 0;
	}
	if (s.s[1] != '.' || s.len > 5)
		return -EINVAL;
	for (i = 2; i < s.len; i++, scale /= 10) {
		if (!sip_is_digit(s.s[i]))
			return -EINVAL;
		v += (s.s[i] - '0') * scale;
	}
	if (v > 1000)
		return -EINVAL;
	*q = v;
	return 0;
}

int
sip_contact_parse(struct sip_str s, struct sip_contact *c)
{
	struct sip_str n, v;
	int pos = 0, rc;

	memset(c, 0, sizeof(*c));
	c->expires = -1;
	c->q = -1;
	c->hdr = -1;
	s = sip_trim(s);
	if (s.len == 1 && s.s[0] == '*') {
		c->star = true;
		c->na.value = s;
		return 0;
	}
	rc = sip_nameaddr_parse(s, &c->na);
	if (rc)
		return rc;
	while ((rc = sip_param_next(c->na.params, &pos, &n, &v)) == 1) {
		if (sip_str_caseeq_cstr(n, "q")) {
			if (sip_parse_qvalue(v, &c->q))
				return -EINVAL;
		} else if (sip_str_caseeq_cstr(n, "expires")) {
			if (sip_parse_delta(v, &c->expires))
				return -EINVAL;
		}
	}
	return rc;
}
