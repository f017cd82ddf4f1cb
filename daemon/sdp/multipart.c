// SPDX-License-Identifier: GPL-2.0
/*
 * multipart.c - sdp_locate(): the SDP inside a SIP body, whole or as one
 * part of a multipart body (RFC 2046 §5.1, as SIP-I/SIP-T carry ISUP next
 * to SDP, RFC 3204).  Owns the Content-Type value syntax (RFC 2045 §5.1) and
 * delimiter framing; nothing here allocates or copies.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "sdp/sdp.h"

#define MP_MAX_DEPTH	3	/* multipart inside multipart inside ... */
#define MP_MAX_BOUNDARY	70	/* RFC 2046 §5.1.1: 1*70 bchars */

enum ctype_kind { CT_OTHER, CT_SDP, CT_MULTIPART };

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2045 token character: not a space, a control or a tspecial. */
static bool
is_tchar(char c)
{
	return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?=", c);
}

static size_t
skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && is_ws(s[i]))
		i++;
	return i;
}

static size_t
token(const char *s, size_t len, size_t i)
{
	while (i < len && is_tchar(s[i]))
		i++;
	return i;
}

static bool
span_caseeq(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && !strncasecmp(s, lit, n);
}

/*
 * Classify a Content-Type value "type/subtype *(; name=value)" and, for a
 * multipart type, find its boundary parameter (token or quoted-string; a
 * quoted boundary holds no backslash, since bchars have none).
 * CT_MULTIPART with *blen 0 means the boundary is missing or malformed.
 */
static enum ctype_kind
classify(const char *s, size_t len, const char **bnd, size_t *blen)
{
	size_t i, t0, t1, s0, s1;
	bool mp;

	*bnd = NULL;
	*blen = 0;
	t0 = skip_ws(s, len, 0);
	t1 = token(s, len, t0);
	if (t1 == t0 || t1 >= len || s[t1] != '/')
		return CT_OTHER;
	s0 = t1 + 1;
	s1 = token(s, len, s0);
	if (s1 == s0)
		return CT_OTHER;
	if (span_caseeq(s + t0, t1 - t0, "application") && span_caseeq(s + s0, s1 - s0, "sdp"))
		return skip_ws(s, len, s1) == len || s[skip_ws(s, len, s1)] == ';' ? CT_SDP
										    : CT_OTHER;
	mp = span_caseeq(s + t0, t1 - t0, "multipart") &&
	     (span_caseeq(s + s0, s1 - s0, "mixed") ||
	      span_caseeq(s + s0, s1 - s0, "alternative") ||
	      span_caseeq(s + s0, s1 - s0, "related"));
	if (!mp)
		return CT_OTHER;
	for (i = s1;;) {
		size_t n0, n1, v0, v1;

		i = skip_ws(s, len, i);
		if (i == len || s[i] != ';')
			break;
		n0 = skip_ws(s, len, i + 1);
		n1 = token(s, len, n0);
		i = skip_ws(s, len, n1);
		if (n1 == n0 || i == len || s[i] != '=')
			break;
		i = skip_ws(s, len, i + 1);
		if (i < len && s[i] == '"') {
			v0 = ++i;
			while (i < len && s[i] != '"' && s[i] != '\\')
				i++;
			if (i == len || s[i] != '"')
				break;
			v1 = i++;
		} else {
			/* unquoted: a token, though '=', ':', '/', '?' are common */
			v0 = i;
			while (i < len && s[i] > 0x20 && s[i] < 0x7f && s[i] != ';' &&
			       s[i] != '"')
				i++;
			v1 = i;
		}
		if (span_caseeq(s + n0, n1 - n0, "boundary")) {
			if (v1 > v0 && v1 - v0 <= MP_MAX_BOUNDARY && s[v1 - 1] != ' ') {
				*bnd = s + v0;
				*blen = v1 - v0;
			}
			break;
		}
	}
	return CT_MULTIPART;
}

/*
 * Whether the line at body[i] is a delimiter "--<bnd>" or a close delimiter
 * "--<bnd>--", each followed by transport padding (SP/HT) and CRLF, LF or
 * the end of the body.  *next: the first byte after the line.
 */
static bool
is_delim(const char *b, size_t len, size_t i, const char *bnd, size_t blen,
	 bool *close, size_t *next)
{
	if (len - i < blen + 2 || b[i] != '-' || b[i + 1] != '-' ||
	    memcmp(b + i + 2, bnd, blen))
		return false;
	i += blen + 2;
	*close = len - i >= 2 && b[i] == '-' && b[i + 1] == '-';
	if (*close)
		i += 2;
	while (i < len && (b[i] == ' ' || b[i] == '\t'))
		i++;
	if (i < len && b[i] == '\r')
		i++;
	if (i < len && b[i] != '\n')
		return false;
	*next = i < len ? i + 1 : len;
	return true;
}

static int locate(struct sip_str ctype, const char *body, size_t len, size_t *off,
		  size_t *slen, int depth);

/*
 * One body part b[0..len): its headers up to the first empty line, then its
 * content.  Header fields may be folded (continuation lines start with SP or
 * HT).  Without an empty line the part is all headers and has no content.
 */
static int
part(const char *b, size_t len, size_t *off, size_t *slen, int depth)
{
	struct sip_str ct = { NULL, 0 };
	size_t i = 0, body = len;

	while (i < len) {
		const char *nl = memchr(b + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - b) : len, ce = e;

		if (ce > i && b[ce - 1] == '\r')
			ce--;
		if (ce == i) {			/* the empty line */
			body = nl ? e + 1 : len;
			break;
		}
		/* fold continuation lines into this field */
		while (nl && e + 1 < len && (b[e + 1] == ' ' || b[e + 1] == '\t')) {
			nl = memchr(b + e + 1, '\n', len - e - 1);
			e = nl ? (size_t)(nl - b) : len;
			ce = e > i && b[e - 1] == '\r' ? e - 1 : e;
		}
		{
			const char *colon = memchr(b + i, ':', ce - i);
			size_t ne = colon ? (size_t)(colon - b) : i;

			while (ne > i && (b[ne - 1] == ' ' || b[ne - 1] == '\t'))
				ne--;
			if (colon && !ct.s && span_caseeq(b + i, ne - i, "Content-Type"))
				ct = sip_str_mk(colon + 1, (int)(ce - (size_t)(colon + 1 - b)));
		}
		i = nl ? e + 1 : len;
	}
	if (!ct.s)
		return -ENOENT;		/* text/plain (RFC 2045 §5.2) */
	{
		size_t o, l;
		int rc = locate(ct, b + body, len - body, &o, &l, depth + 1);

		if (rc == 0) {
			*off = body + o;
			*slen = l;
		}
		return rc;
	}
}

static int
multipart(const char *b, size_t len, const char *bnd, size_t blen, size_t *off,
	  size_t *slen, int depth)
{
	size_t i = 0, start = 0;
	bool open = false, found = false, close;
	int rc = -ENOENT;

	if (!len)
		return -EINVAL;
	for (;;) {
		const char *nl;
		size_t next;

		if (is_delim(b, len, i, bnd, blen, &close, &next)) {
			if (open && !found) {
				/* the CRLF before a delimiter belongs to it */
				size_t end = i;

				if (end > start && b[end - 1] == '\n')
					end--;
				if (end > start && b[end - 1] == '\r')
					end--;
				rc = part(b + start, end - start, off, slen, depth);
				if (rc == 0) {
					*off += start;
					found = true;
				} else if (rc != -ENOENT) {
					return rc;
				}
			}
			if (close)
				return open ? (found ? 0 : -ENOENT) : -EINVAL;
			open = true;
			start = next;
			i = next;
			if (i >= len)
				break;
			continue;
		}
		nl = memchr(b + i, '\n', len - i);
		if (!nl)
			break;
		i = (size_t)(nl - b) + 1;
	}
	return -EINVAL;		/* no delimiter, or no close delimiter */
}

static int
locate(struct sip_str ctype, const char *body, size_t len, size_t *off, size_t *slen,
       int depth)
{
	const char *bnd;
	size_t blen;

	if (!ctype.s || ctype.len <= 0)
		return -ENOENT;
	switch (classify(ctype.s, (size_t)ctype.len, &bnd, &blen)) {
	case CT_SDP:
		*off = 0;
		*slen = len;
		return 0;
	case CT_MULTIPART:
		if (!blen)
			return -EINVAL;
		if (depth >= MP_MAX_DEPTH)
			return -ENOENT;
		if (!body && len)
			return -EINVAL;
		return multipart(body, len, bnd, blen, off, slen, depth);
	default:
		return -ENOENT;
	}
}

/*
 * Beyond sdp.h: a multipart part nested in a multipart part is searched too
 * (up to MP_MAX_DEPTH levels); the first application/sdp in document order
 * wins.  Delimiter lines may end in LF alone.
 */
int
sdp_locate(struct sip_str ctype, const char *body, size_t len, size_t *off, size_t *slen)
{
	return locate(ctype, body, len, off, slen, 0);
}
