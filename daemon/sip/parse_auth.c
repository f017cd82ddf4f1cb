// SPDX-License-Identifier: GPL-2.0
/*
 * parse_auth.c - the Digest credentials of Authorization / Proxy-Authorization
 * (RFC 3261 §25.1 "credentials", RFC 7616 §3.4): auth-params separated by
 * commas, values tokens or quoted strings, zero-copy slices into the
 * message.  Owns nothing; see sip/auth_hdr.h.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "sip/auth_hdr.h"

static bool
is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
skip_lws(const char *s, int len, int *i)
{
	while (*i < len && is_lws(s[*i]))
		(*i)++;
}

static bool
is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-.!%*_+`'~", c) != NULL;
}

/* Store val into *slot; -EINVAL when the parameter was given already. */
static int
put(struct sip_str *slot, struct sip_str val)
{
	if (sip_str_present(*slot))
		return -EINVAL;
	*slot = val;
	return 0;
}

static int
parse_nc(struct sip_str v, uint32_t *out)
{
	uint32_t x = 0;

	if (v.len != 8)
		return -EINVAL;
	for (int i = 0; i < 8; i++) {
		char c = v.s[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else
			return -EINVAL;
		x = x << 4 | d;
	}
	*out = x;
	return 0;
}

int
sip_auth_parse(struct sip_str value, struct sip_auth_cred *c)
{
	const char *s = value.s;
	int len = value.len, i = 0;

	memset(c, 0, sizeof(*c));
	c->hdr = -1;
	if (!s || len < 6 || strncasecmp(s, "Digest", 6) != 0 ||
	    (len > 6 && !is_lws(s[6])))
		return -ENOENT;
	i = 6;
	for (;;) {
		struct sip_str name, val;
		int st;

		skip_lws(s, len, &i);
		if (i >= len)
			break;
		st = i;
		while (i < len && is_token_char(s[i]))
			i++;
		if (i == st)
			return -EINVAL;
		name = sip_str_mk(s + st, i - st);
		skip_lws(s, len, &i);
		if (i >= len || s[i] != '=')
			return -EINVAL;
		i++;
		skip_lws(s, len, &i);
		if (i < len && s[i] == '"') {
			i++;
			st = i;
			while (i < len && s[i] != '"') {
				if (s[i] == '\\')
					i++;
				i++;
			}
			if (i >= len)
				return -EINVAL;
			val = sip_str_mk(s + st, i - st);
			i++;
		} else {
			st = i;
			while (i < len && is_token_char(s[i]))
				i++;
			if (i == st)
				return -EINVAL;
			val = sip_str_mk(s + st, i - st);
		}
		if (sip_str_caseeq_cstr(name, "username")) {
			if (put(&c->username, val) < 0)
				return -EINVAL;
		} else if (sip_str_caseeq_cstr(name, "realm")) {
			if (put(&c->realm, val) < 0)
				return -EINVAL;
		} else if (sip_str_caseeq_cstr(name, "nonce")) {
			if (put(&c->nonce, val) < 0)
				return -EINVAL;
		} else if (sip_str_caseeq_cstr(name, "uri")) {
			if (put(&c->uri, val) < 0)
				return -EINVAL;
		} else if (sip_str_caseeq_cstr(name, "response")) {
			if (put(&c->response, val) < 0)
				return -EINVAL;
		} else if (sip_str_caseeq_cstr(name, "algorithm")) {
			if (put(&c->algorithm, val) < 0)
				return -EINVAL;
		} else if (sip_str_caseeq_cstr(name, "cnonce")) {
			if (put(&c->cnonce, val) < 0)
				return -EINVAL;
		} else if (sip_str_caseeq_cstr(name, "opaque")) {
			if (put(&c->opaque, val) < 0)
				return -EINVAL;
		} else if (sip_str_caseeq_cstr(name, "qop")) {
			if (put(&c->qop, val) < 0)
				return -EINVAL;
		} else if (sip_str_caseeq_cstr(name, "nc")) {
			if (put(&c->nc, val) < 0 || parse_nc(val, &c->nc_val) < 0)
				return -EINVAL;
		} else if (sip_str_caseeq_cstr(name, "userhash")) {
			c->userhash = sip_str_caseeq_cstr(val, "true");
		}
		skip_lws(s, len, &i);
		if (i >= len)
			break;
		if (s[i] != ',')
			return -EINVAL;
		i++;
	}
	if (!sip_str_present(c->username) || !sip_str_present(c->realm) ||
	    !sip_str_present(c->nonce) || !sip_str_present(c->uri) ||
	    !sip_str_present(c->response))
		return -EINVAL;
	return 0;
}

int
sip_auth_find(const struct sip_msg *m, enum sip_hdr_type t, const char *realm,
	      struct sip_auth_cred *c)
{
	const struct sip_hdr *h;

	for (h = sip_msg_hdr(m, t); h; h = sip_msg_hdr_next(m, h)) {
		struct sip_auth_cred tmp;
		int rc = sip_auth_parse(h->value, &tmp);

		if (rc == -ENOENT)
			continue;
		if (rc < 0) {
			/* A malformed one: ours only if its realm can still be read. */
			if (sip_str_present(tmp.realm) && sip_str_caseeq_cstr(tmp.realm, realm))
				return -EINVAL;
			continue;
		}
		if (sip_str_caseeq_cstr(tmp.realm, realm)) {
			*c = tmp;
			c->hdr = (int)(h - m->hdrs);
			return 1;
		}
	}
	return 0;
}
