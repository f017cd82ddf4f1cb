// SPDX-License-Identifier: GPL-2.0
/*
 * parse_uri.c - SIP/SIPS URIs (RFC 3261 §19.1, §25.1), other schemes kept
 * opaque; parameter lists; %XX unescaping; URI equality (§19.1.4) and AOR
 * canonicalisation for the registrar.  Zero-copy: results are slices.
 */
#include <errno.h>
#include <limits.h>

#include "sip/msg.h"
#include "sip/parse_int.h"

/* user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/" */
static bool
is_user_char(char c)
{
	if (sip_is_unreserved(c))
		return true;
	switch (c) {
	case '&': case '=': case '+': case '$': case ',': case ';': case '?': case '/':
		return true;
	}
	return false;
}

static bool
is_password_char(char c)
{
	if (sip_is_unreserved(c))
		return true;
	switch (c) {
	case '&': case '=': case '+': case '$': case ',':
		return true;
	}
	return false;
}

/* paramchar = param-unreserved / unreserved / escaped, plus ';' and '=' */
static bool
is_param_char(char c)
{
	if (sip_is_unreserved(c))
		return true;
	switch (c) {
	case '[': case ']': case '/': case ':': case '&': case '+': case '$':
	case ';': case '=':
		return true;
	}
	return false;
}

/* hname/hvalue chars: hnv-unreserved / unreserved / escaped, plus '=' and '&' */
static bool
is_header_char(char c)
{
	if (sip_is_unreserved(c))
		return true;
	switch (c) {
	case '[': case ']': case '/': case '?': case ':': case '+': case '$':
	case '=': case '&':
		return true;
	}
	return false;
}

/* Every byte passes ok() or is a valid %XX escape. */
static bool
check_chars(struct sip_str a, bool (*ok)(char))
{
	int i;

	for (i = 0; i < a.len; i++) {
		if (a.s[i] == '%') {
			if (i + 2 >= a.len || !sip_is_hex(a.s[i + 1]) || !sip_is_hex(a.s[i + 2]))
				return false;
			i += 2;
			continue;
		}
		if (!ok(a.s[i]))
			return false;
	}
	return true;
}

static bool
is_ipv4(struct sip_str h)
{
	int i, dots = 0, digits = 0, val = 0;

	for (i = 0; i < h.len; i++) {
		char c = h.s[i];

		if (sip_is_digit(c)) {
			val = val * 10 + (c - '0');
			if (++digits > 3 || val > 255)
				return false;
		} else if (c == '.') {
			if (digits == 0)
				return false;
			dots++;
			digits = 0;
			val = 0;
		} else {
			return false;
		}
	}
	return dots == 3 && digits > 0;
}

int
sip_parse_host(struct sip_str h, enum sip_host_type *t)
{
	int i;

	if (h.len <= 0)
		return -EINVAL;
	if (h.s[0] == '[') {
		int colons = 0;

		if (h.len < 4 || h.s[h.len - 1] != ']')
			return -EINVAL;
		for (i = 1; i < h.len - 1; i++) {
			char c = h.s[i];

			if (c == ':')
				colons++;
			else if (!sip_is_hex(c) && c != '.')
				return -EINVAL;
		}
		if (colons < 2)
			return -EINVAL;
		*t = SIP_HOST_IPV6;
		return 0;
	}
	if (is_ipv4(h)) {
		*t = SIP_HOST_IPV4;
		return 0;
	}
	/* hostname: labels of alphanum / '-' ('_' tolerated), optional final dot */
	for (i = 0; i < h.len; i++) {
		char c = h.s[i];

		if (c == '.') {
			if (i == 0 || h.s[i - 1] == '.')
				return -EINVAL;
		} else if (!sip_is_alnum(c) && c != '-' && c != '_') {
			return -EINVAL;
		}
	}
	*t = SIP_HOST_NAME;
	return 0;
}

int
sip_param_next(struct sip_str p, int *pos, struct sip_str *name, struct sip_str *value)
{
	int i = sip_skip_lws(p, *pos), n0;

	if (i >= p.len) {
		*pos = i;
		return 0;
	}
	if (p.s[i] != ';')
		return -EINVAL;
	i = sip_skip_lws(p, i + 1);
	n0 = i;
	while (i < p.len && p.s[i] != '=' && p.s[i] != ';' && !sip_is_lws(p.s[i]))
		i++;
	if (i == n0)
		return -EINVAL;
	*name = sip_str_mk(p.s + n0, i - n0);
	*value = sip_str_mk(NULL, 0);
	i = sip_skip_lws(p, i);
	if (i < p.len && p.s[i] == '=') {
		int v0;

		i = sip_skip_lws(p, i + 1);
		v0 = i;
		if (i < p.len && p.s[i] == '"') {
			i = sip_skip_quoted(p, i);
			if (i < 0)
				return -EINVAL;
		} else {
			while (i < p.len && p.s[i] != ';' && !sip_is_lws(p.s[i]))
				i++;
		}
		if (i == v0)
			return -EINVAL;
		*value = sip_str_mk(p.s + v0, i - v0);
	}
	*pos = i;
	return 1;
}

int
sip_param_get(struct sip_str p, const char *name, struct sip_str *value)
{
	struct sip_str n, v;
	int pos = 0, rc;

	while ((rc = sip_param_next(p, &pos, &n, &v)) == 1) {
		if (sip_str_caseeq_cstr(n, name)) {
			if (value)
				*value = v;
			return 1;
		}
	}
	return rc;
}

/* Fill the well-known URI parameters; -EINVAL on a malformed list. */
static int
uri_params(struct sip_uri *u)
{
	struct sip_str n, v;
	int pos = 0, rc;

	while ((rc = sip_param_next(u->params, &pos, &n, &v)) == 1) {
		char buf[16];

		/* ";%6C%72" is ";lr" (RFC 4475 esc01): compare names unescaped */
		if (memchr(n.s, '%', (size_t)n.len) && n.len < (int)sizeof(buf)) {
			int len = sip_unescape(n, buf, sizeof(buf));

			if (len > 0)
				n = sip_str_mk(buf, len);
		}
		if (sip_str_caseeq_cstr(n, "transport"))
			u->transport = v;
		else if (sip_str_caseeq_cstr(n, "maddr"))
			u->maddr = v;
		else if (sip_str_caseeq_cstr(n, "user"))
			u->user_param = v;
		else if (sip_str_caseeq_cstr(n, "method"))
			u->method = v;
		else if (sip_str_caseeq_cstr(n, "ttl"))
			u->ttl = v;
		else if (sip_str_caseeq_cstr(n, "lr"))
			u->lr = true;
	}
	return rc;
}

/*
 * Long (~100 lines) because it is one pass of the RFC 3261 §25 URI grammar,
 * a block per part.
 */
int
sip_uri_parse(struct sip_str s, struct sip_uri *u)
{
	const char *p, *end, *at, *hp, *q;
	int i;

	memset(u, 0, sizeof(*u));
	u->raw = s;
	if (s.len <= 0 || !sip_is_alpha(s.s[0]))
		return -EINVAL;
	for (i = 1; i < s.len && s.s[i] != ':'; i++)
		if (!sip_is_alnum(s.s[i]) && s.s[i] != '+' && s.s[i] != '-' && s.s[i] != '.')
			return -EINVAL;
	if (i >= s.len)
		return -EINVAL;
	u->scheme_str = sip_str_mk(s.s, i);
	u->opaque = sip_str_mk(s.s + i + 1, s.len - i - 1);
	if (u->opaque.len == 0)
		return -EINVAL;
	for (i = 0; i < u->opaque.len; i++) {
		unsigned char c = (unsigned char)u->opaque.s[i];

		if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"')
			return -EINVAL;
	}
	if (sip_str_caseeq_cstr(u->scheme_str, "sip"))
		u->scheme = SIP_SCHEME_SIP;
	else if (sip_str_caseeq_cstr(u->scheme_str, "sips"))
		u->scheme = SIP_SCHEME_SIPS;
	else if (sip_str_caseeq_cstr(u->scheme_str, "tel"))
		u->scheme = SIP_SCHEME_TEL;
	if (u->scheme != SIP_SCHEME_SIP && u->scheme != SIP_SCHEME_SIPS)
		return 0;

	p = u->opaque.s;
	end = p + u->opaque.len;
	/* userinfo ends at the last '@': neither host, params nor headers hold one */
	at = memrchr(p, '@', (size_t)(end - p));
	if (at) {
		const char *colon = memchr(p, ':', at - p);

		if (colon) {
			u->user = sip_str_mk(p, colon - p);
			u->password = sip_str_mk(colon + 1, at - colon - 1);
			if (!check_chars(u->password, is_password_char))
				return -EINVAL;
		} else {
			u->user = sip_str_mk(p, at - p);
		}
		if (u->user.len == 0 || !check_chars(u->user, is_user_char))
			return -EINVAL;
		p = at + 1;
	}
	/* host */
	hp = p;
	if (p < end && *p == '[') {
		while (p < end && *p != ']')
			p++;
		if (p == end)
			return -EINVAL;
		p++;
	} else {
		while (p < end && *p != ':' && *p != ';' && *p != '?')
			p++;
	}
	u->host = sip_str_mk(hp, p - hp);
	if (sip_parse_host(u->host, &u->host_type))
		return -EINVAL;
	if (p < end && *p == ':') {
		int port = 0, nd = 0;

		for (p++; p < end && sip_is_digit(*p); p++, nd++) {
			port = port * 10 + (*p - '0');
			if (port > 65535)
				return -EINVAL;
		}
		if (nd == 0 || port == 0)
			return -EINVAL;
		u->port = port;
	}
	if (p < end && *p == ';') {
		q = p;
		while (p < end && *p != '?')
			p++;
		u->params = sip_str_mk(q, p - q);
		if (!check_chars(u->params, is_param_char) || uri_params(u) < 0)
			return -EINVAL;
	} else {
		u->params = sip_str_mk(p, 0);
	}
	if (p < end && *p == '?') {
		p++;
		u->headers = sip_str_mk(p, end - p);
		if (u->headers.len == 0 || !check_chars(u->headers, is_header_char))
			return -EINVAL;
		p = end;
	}
	if (p != end)
		return -EINVAL;
	return 0;
}

int
sip_unescape(struct sip_str in, char *out, size_t cap)
{
	size_t n = 0;
	int i;

	for (i = 0; i < in.len; i++) {
		char c = in.s[i];

		if (c == '%') {
			if (i + 2 >= in.len || !sip_is_hex(in.s[i + 1]) || !sip_is_hex(in.s[i + 2]))
				return -EINVAL;
			c = (char)(sip_hexval(in.s[i + 1]) << 4 | sip_hexval(in.s[i + 2]));
			i += 2;
		}
		if (n >= cap)
			return -ENOSPC;
		out[n++] = c;
	}
	return (int)n;
}

/*
 * Next decoded byte of a at *i (advancing), -1 at the end, -2 on a bad
 * escape.  Lets comparisons decode on the fly without a buffer.
 */
static int
dec_next(struct sip_str a, int *i)
{
	int c;

	if (*i >= a.len)
		return -1;
	c = (unsigned char)a.s[*i];
	if (c == '%') {
		if (*i + 2 >= a.len || !sip_is_hex(a.s[*i + 1]) || !sip_is_hex(a.s[*i + 2]))
			return -2;
		c = sip_hexval(a.s[*i + 1]) << 4 | sip_hexval(a.s[*i + 2]);
		*i += 3;
		return c;
	}
	(*i)++;
	return c;
}

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Decoded equality; case-insensitive when icase.  Presence must match. */
static bool
dec_eq(struct sip_str a, struct sip_str b, bool icase)
{
	int i = 0, j = 0;

	if (sip_str_present(a) != sip_str_present(b))
		return false;
	for (;;) {
		int x = dec_next(a, &i), y = dec_next(b, &j);

		if (x == -2 || y == -2)
			return false;
		if (icase) {
			x = lower(x);
			y = lower(y);
		}
		if (x != y)
			return false;
		if (x == -1)
			return true;
	}
}

/*
 * Find parameter `name` in params, names compared unescaped and
 * case-insensitively; true when found with a value decoded-equal to v.
 */
static bool
param_matches(struct sip_str params, struct sip_str name, struct sip_str v, bool *found)
{
	struct sip_str n2, v2;
	int pos = 0;

	*found = false;
	while (sip_param_next(params, &pos, &n2, &v2) == 1) {
		if (!dec_eq(name, n2, true))
			continue;
		*found = true;
		return dec_eq(v, v2, true);
	}
	return false;
}

static bool
must_match_param(struct sip_str n)
{
	char buf[16];
	int len = n.len < (int)sizeof(buf) ? sip_unescape(n, buf, sizeof(buf)) : -1;

	if (len > 0)
		n = sip_str_mk(buf, len);
	/*
	 * §19.1.4 names user, ttl, method and maddr; its own examples also
	 * treat sip:bob@biloxi.com and sip:bob@biloxi.com;transport=udp as
	 * different ("can resolve to different transports"), so transport too.
	 */
	return sip_str_caseeq_cstr(n, "user") || sip_str_caseeq_cstr(n, "ttl") ||
	       sip_str_caseeq_cstr(n, "method") || sip_str_caseeq_cstr(n, "maddr") ||
	       sip_str_caseeq_cstr(n, "transport");
}

/* Every parameter of a either matches in b or may be ignored (§19.1.4). */
static bool
params_subset(struct sip_str a, struct sip_str b)
{
	struct sip_str n, v;
	int pos = 0;
	bool found;

	while (sip_param_next(a, &pos, &n, &v) == 1) {
		bool ok = param_matches(b, n, v, &found);

		if (found && !ok)
			return false;
		if (!found && must_match_param(n))
			return false;
	}
	return true;
}

/* Next "name=value" of a header list at *pos, split at '&'. */
static bool
hdr_next(struct sip_str h, int *pos, struct sip_str *name, struct sip_str *value)
{
	int i = *pos, n0 = i;

	if (i >= h.len)
		return false;
	while (i < h.len && h.s[i] != '&')
		i++;
	*name = sip_str_mk(h.s + n0, i - n0);
	*value = sip_str_mk(h.s + i, 0);
	for (int k = 0; k < name->len; k++) {
		if (name->s[k] == '=') {
			*value = sip_str_mk(name->s + k + 1, name->len - k - 1);
			name->len = k;
			break;
		}
	}
	*pos = i < h.len ? i + 1 : i;
	return true;
}

/* Each header of a appears in b with the same value (names case-insensitive). */
static bool
headers_subset(struct sip_str a, struct sip_str b)
{
	struct sip_str n, v, n2, v2;
	int pa = 0;

	while (hdr_next(a, &pa, &n, &v)) {
		int pb = 0;
		bool ok = false;

		while (hdr_next(b, &pb, &n2, &v2)) {
			if (dec_eq(n, n2, true) && dec_eq(v, v2, false)) {
				ok = true;
				break;
			}
		}
		if (!ok)
			return false;
	}
	return true;
}

bool
sip_uri_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	if (a->scheme != b->scheme)
		return false;
	if (a->scheme != SIP_SCHEME_SIP && a->scheme != SIP_SCHEME_SIPS)
		return sip_str_caseeq(a->raw, b->raw);
	if (!dec_eq(a->user, b->user, false) || !dec_eq(a->password, b->password, false))
		return false;
	if (!dec_eq(a->host, b->host, true) || a->port != b->port)
		return false;
	if (!params_subset(a->params, b->params) || !params_subset(b->params, a->params))
		return false;
	if (sip_str_present(a->headers) != sip_str_present(b->headers))
		return false;
	return headers_subset(a->headers, b->headers) && headers_subset(b->headers, a->headers);
}

static int
put(char *out, size_t cap, size_t *n, char c)
{
	if (*n + 1 >= cap)
		return -ENOSPC;
	out[(*n)++] = c;
	return 0;
}

int
sip_uri_aor(const struct sip_uri *u, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	int i = 0, c;

	if (u->scheme != SIP_SCHEME_SIP && u->scheme != SIP_SCHEME_SIPS)
		return -EINVAL;
	if (cap == 0)
		return -ENOSPC;
	if (sip_str_present(u->user)) {
		while ((c = dec_next(u->user, &i)) >= 0) {
			if (c != '%' && c > 0 && c < 0x80 && is_user_char((char)c)) {
				if (put(out, cap, &n, (char)c))
					return -ENOSPC;
			} else if (put(out, cap, &n, '%') || put(out, cap, &n, hex[c >> 4]) ||
				   put(out, cap, &n, hex[c & 15])) {
				return -ENOSPC;
			}
		}
		if (c == -2)
			return -EINVAL;
		if (put(out, cap, &n, '@'))
			return -ENOSPC;
	}
	for (i = 0; i < u->host.len; i++)
		if (put(out, cap, &n, (char)lower((unsigned char)u->host.s[i])))
			return -ENOSPC;
	out[n] = '\0';
	return (int)n;
}
