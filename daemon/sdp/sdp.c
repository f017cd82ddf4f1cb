// SPDX-License-Identifier: GPL-2.0
/*
 * sdp.c - the SDP parser (RFC 4566) and sdp_dir_name(): one pass over the
 * lines of a description, slices into the caller's buffer, no allocation.
 * Owns what counts as a line, a c= address, an m= port, a=rtcp (RFC 3605),
 * a=rtcp-mux (RFC 5761) and the direction rules (RFC 3264 §5.1, §8.4).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sdp/sdp.h"

/* One line: content without its end of line. */
struct sdp_line {
	const char	*s;
	size_t		 len;
};

/* What one level (session or one media section) said. */
struct sdp_level {
	bool		has_c;
	union xr_sa	c;		/* port 0 */
	int		dir;		/* enum media_dir, or -1: none */
	int		rtcp_line;	/* line of a=rtcp:, 0 if none */
	uint16_t	rtcp_port;
	union xr_sa	rtcp_addr;	/* family 0: no address given */
};

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Quote a slice for an error message: printable ASCII only, at most 32 bytes. */
static const char *
quote(char *buf, size_t cap, const char *s, size_t len)
{
	size_t i, n = len < cap - 4 ? len : cap - 4;

	if (n > 32)
		n = 32;
	for (i = 0; i < n; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (n < len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * The next line at *pos: it ends at LF (CRLF or bare LF) or at the end of
 * the buffer; one CR before the end is not content.  False at the end.
 */
static bool
next_line(const char *buf, size_t len, size_t *pos, struct sdp_line *l)
{
	const char *s, *nl;
	size_t n;

	if (*pos >= len)
		return false;
	s = buf + *pos;
	nl = memchr(s, '\n', len - *pos);
	n = nl ? (size_t)(nl - s) : len - *pos;
	*pos += nl ? n + 1 : n;
	if (n && s[n - 1] == '\r')
		n--;
	l->s = s;
	l->len = n;
	return true;
}

/* The next token separated by spaces in [*p, end); false when none is left. */
static bool
next_tok(const char **p, const char *end, const char **ts, size_t *tl)
{
	const char *s = *p;

	while (s < end && *s == ' ')
		s++;
	if (s == end)
		return false;
	*ts = s;
	while (s < end && *s != ' ')
		s++;
	*tl = (size_t)(s - *ts);
	*p = s;
	return true;
}

static bool
tok_is(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* Decimal 0..65535, 1-5 digits. */
static int
parse_u16(const char *s, size_t n, uint16_t *v)
{
	uint32_t x = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		x = x * 10 + (uint32_t)(s[i] - '0');
	}
	if (x > 65535)
		return -EINVAL;
	*v = (uint16_t)x;
	return 0;
}

/*
 * "IN IP4 a.b.c.d" / "IN IP6 addr" in [p, end): exactly three tokens, the
 * address a literal of the named family (no FQDN, no /ttl, no brackets).
 */
static int
parse_conn(const char *p, const char *end, union xr_sa *sa, char *why, size_t whylen)
{
	const char *nt, *at, *ad, *x;
	size_t ntl, atl, adl, xl;
	char ip[INET6_ADDRSTRLEN + 1], q[48];
	int fam;

	if (!next_tok(&p, end, &nt, &ntl) || !next_tok(&p, end, &at, &atl) ||
	    !next_tok(&p, end, &ad, &adl)) {
		snprintf(why, whylen, "expected 'IN IP4|IP6 <address>'");
		return -EINVAL;
	}
	if (next_tok(&p, end, &x, &xl)) {
		snprintf(why, whylen, "trailing '%s'", quote(q, sizeof(q), x, xl));
		return -EINVAL;
	}
	if (!tok_is(nt, ntl, "IN")) {
		snprintf(why, whylen, "network type '%s' is not IN", quote(q, sizeof(q), nt, ntl));
		return -EINVAL;
	}
	if (tok_is(at, atl, "IP4")) {
		fam = AF_INET;
	} else if (tok_is(at, atl, "IP6")) {
		fam = AF_INET6;
	} else {
		snprintf(why, whylen, "address type '%s' is not IP4 or IP6",
			 quote(q, sizeof(q), at, atl));
		return -EINVAL;
	}
	if (adl >= sizeof(ip) || memchr(ad, '\0', adl) || memchr(ad, '[', adl))
		goto bad_addr;
	memcpy(ip, ad, adl);
	ip[adl] = '\0';
	if (xr_sa_parse_ip(sa, ip) < 0 || sa->sa.sa_family != fam)
		goto bad_addr;
	/*
	 * An IP4 multicast c= without its TTL is malformed (RFC 4566 §5.7),
	 * and with it has been refused above; a relay sends to no group.
	 */
	if (fam == AF_INET ? IN_MULTICAST(ntohl(sa->sin.sin_addr.s_addr))
			   : IN6_IS_ADDR_MULTICAST(&sa->sin6.sin6_addr)) {
		snprintf(why, whylen, "multicast address '%s' not supported",
			 quote(q, sizeof(q), ad, adl));
		return -EINVAL;
	}
	return 0;
bad_addr:
	snprintf(why, whylen, "bad %s address '%s'", fam == AF_INET ? "IP4" : "IP6",
		 quote(q, sizeof(q), ad, adl));
	return -EINVAL;
}

/* "m=<media> <port>[/<n>] <proto> <fmt> ..." */
static int
parse_m(const char *p, const char *end, struct sdp_media *m, char *why, size_t whylen)
{
	const char *ts, *slash;
	size_t tl, i;
	char q[48];

	if (!next_tok(&p, end, &ts, &tl)) {
		snprintf(why, whylen, "no media type");
		return -EINVAL;
	}
	for (i = 0; i < tl; i++)
		if (ts[i] <= 0x20 || ts[i] >= 0x7f) {
			snprintf(why, whylen, "bad media type '%s'", quote(q, sizeof(q), ts, tl));
			return -EINVAL;
		}
	m->type = sip_str_mk(ts, (int)tl);
	if (!next_tok(&p, end, &ts, &tl)) {
		snprintf(why, whylen, "no port");
		return -EINVAL;
	}
	slash = memchr(ts, '/', tl);
	m->nports = 1;
	if (parse_u16(ts, slash ? (size_t)(slash - ts) : tl, &m->port) < 0 ||
	    (slash && (parse_u16(slash + 1, tl - (size_t)(slash - ts) - 1, &m->nports) < 0 ||
		       m->nports == 0))) {
		snprintf(why, whylen, "bad port '%s'", quote(q, sizeof(q), ts, tl));
		return -EINVAL;
	}
	if (!next_tok(&p, end, &ts, &tl)) {
		snprintf(why, whylen, "no transport protocol");
		return -EINVAL;
	}
	for (i = 0; i < tl; i++)
		if (ts[i] <= 0x20 || ts[i] >= 0x7f) {
			snprintf(why, whylen, "bad transport protocol '%s'",
				 quote(q, sizeof(q), ts, tl));
			return -EINVAL;
		}
	m->proto = sip_str_mk(ts, (int)tl);
	while (p < end && *p == ' ')
		p++;
	while (end > p && end[-1] == ' ')
		end--;
	m->fmts = sip_str_mk(p, (int)(end - p));
	return 0;
}

/* "a=rtcp:<port> [IN IP4|IP6 <address>]" after the colon. */
static int
parse_rtcp(const char *p, const char *end, struct sdp_level *lv, char *why, size_t whylen)
{
	const char *ts = p;
	size_t tl = 0;
	char q[48];

	if (!next_tok(&p, end, &ts, &tl) || parse_u16(ts, tl, &lv->rtcp_port) < 0) {
		snprintf(why, whylen, "bad port '%s'", quote(q, sizeof(q), ts, tl));
		return -EINVAL;
	}
	memset(&lv->rtcp_addr, 0, sizeof(lv->rtcp_addr));
	while (p < end && *p == ' ')
		p++;
	if (p == end)
		return 0;
	return parse_conn(p, end, &lv->rtcp_addr, why, whylen);
}

static int
dir_attr(const char *s, size_t n)
{
	if (tok_is(s, n, "sendrecv"))
		return MEDIA_SENDRECV;
	if (tok_is(s, n, "sendonly"))
		return MEDIA_SENDONLY;
	if (tok_is(s, n, "recvonly"))
		return MEDIA_RECVONLY;
	if (tok_is(s, n, "inactive"))
		return MEDIA_INACTIVE;
	return -1;
}

/*
 * Lines are taken as RFC 4566 §5 writes them: "<type>=<value>", no space
 * around '='.  A line that is not of that form (no '=' second, empty) is
 * skipped like an unknown type.  Session level runs up to the first m=.
 * a=rtcp at session level has no meaning (RFC 3605 §2.1) and is ignored
 * (the rewriter drops it).
 *
 * Long (~125 lines) because it is one pass over the SDP's lines, a case per
 * line type.
 */
int
sdp_parse(const char *buf, size_t len, struct sdp *out, char *err, size_t errlen)
{
	struct sdp_level sess, med[SDP_MAX_MEDIA], *lv = &sess;
	bool rtcp_mux[SDP_MAX_MEDIA];
	int mline[SDP_MAX_MEDIA];
	struct sdp_line l;
	char why[128], q[48];
	size_t pos = 0;
	int ln = 0, n = 0, i, d, rc;

	memset(out, 0, sizeof(*out));
	seterr(err, errlen, "%s", "");
	if (len > SDP_MAX_LEN) {
		seterr(err, errlen, "description of %zu bytes, more than %d", len, SDP_MAX_LEN);
		return -E2BIG;
	}
	memset(&sess, 0, sizeof(sess));
	sess.dir = -1;
	while (next_line(buf, len, &pos, &l)) {
		const char *v = l.s + 2, *end = l.s + l.len;

		ln++;
		if (ln == 1 && (l.len < 2 || l.s[0] != 'v' || l.s[1] != '=')) {
			seterr(err, errlen, "line 1: '%s' is not v=", quote(q, sizeof(q), l.s, l.len));
			return -EINVAL;
		}
		if (l.len < 2 || l.s[1] != '=')
			continue;
		switch (l.s[0]) {
		case 'm':
			if (n == SDP_MAX_MEDIA) {
				seterr(err, errlen, "m= line %d: more than %d media", ln, SDP_MAX_MEDIA);
				return -E2BIG;
			}
			if (parse_m(v, end, &out->m[n], why, sizeof(why)) < 0) {
				seterr(err, errlen, "m= line %d: %s", ln, why);
				return -EINVAL;
			}
			lv = &med[n];
			memset(lv, 0, sizeof(*lv));
			lv->dir = -1;
			rtcp_mux[n] = false;
			mline[n] = ln;
			n++;
			break;
		case 'c':
			if (lv->has_c) {
				seterr(err, errlen, "c= line %d: second c= at one level", ln);
				return -EINVAL;
			}
			if (parse_conn(v, end, &lv->c, why, sizeof(why)) < 0) {
				seterr(err, errlen, "c= line %d: %s", ln, why);
				return -EINVAL;
			}
			lv->has_c = true;
			break;
		case 'a':
			d = dir_attr(v, (size_t)(end - v));
			if (d >= 0) {
				lv->dir = d;
			} else if (tok_is(v, (size_t)(end - v), "rtcp-mux")) {
				if (n)
					rtcp_mux[n - 1] = true;
			} else if (end - v >= 5 && memcmp(v, "rtcp:", 5) == 0 && n) {
				if (lv->rtcp_line) {
					seterr(err, errlen, "a= line %d: second a=rtcp (first on line %d)",
					       ln, lv->rtcp_line);
					return -EINVAL;
				}
				rc = parse_rtcp(v + 5, end, lv, why, sizeof(why));
				if (rc < 0) {
					seterr(err, errlen, "a= line %d: a=rtcp: %s", ln, why);
					return rc;
				}
				lv->rtcp_line = ln;
			}
			break;
		default:
			break;
		}
	}
	if (ln == 0) {
		seterr(err, errlen, "line 1: empty description");
		return -EINVAL;
	}

	out->n_media = n;
	for (i = 0; i < n; i++) {
		struct sdp_media *m = &out->m[i];
		struct sdp_level *ml = &med[i];
		const union xr_sa *c = ml->has_c ? &ml->c : sess.has_c ? &sess.c : NULL;
		int dir = ml->dir >= 0 ? ml->dir : sess.dir >= 0 ? sess.dir : MEDIA_SENDRECV;

		if (!c && m->port) {
			seterr(err, errlen, "m= line %d: port %u but no c= at media or session level",
			       mline[i], m->port);
			return -EINVAL;
		}
		if (c) {
			m->rtp = *c;
			xr_sa_set_port(&m->rtp, m->port);
			m->conn_null = xr_sa_is_any(c);
		}
		m->rtcp_mux = rtcp_mux[i];
		m->has_rtcp_attr = ml->rtcp_line != 0;
		if (m->has_rtcp_attr) {
			m->rtcp = ml->rtcp_addr.sa.sa_family ? ml->rtcp_addr : m->rtp;
			if (m->rtcp.sa.sa_family)
				xr_sa_set_port(&m->rtcp, ml->rtcp_port);
		} else if (c) {
			/* port 65535 wraps to 0: no RTCP port exists */
			m->rtcp = m->rtp;
			xr_sa_set_port(&m->rtcp, m->port ? (uint16_t)(m->port + 1) : 0);
		}
		if (m->conn_null) {
			if (dir == MEDIA_SENDRECV)
				dir = MEDIA_SENDONLY;
			else if (dir == MEDIA_RECVONLY)
				dir = MEDIA_INACTIVE;
		}
		m->dir = (enum media_dir)dir;
	}
	return 0;
}

const char *
sdp_dir_name(enum media_dir d)
{
	switch (d) {
	case MEDIA_SENDRECV:
		return "sendrecv";
	case MEDIA_SENDONLY:
		return "sendonly";
	case MEDIA_RECVONLY:
		return "recvonly";
	case MEDIA_INACTIVE:
		return "inactive";
	}
	return "unknown";
}
