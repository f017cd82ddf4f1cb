// SPDX-License-Identifier: GPL-2.0
/*
 * rewrite.c - sdp_rewrite(): copy a parsed description line by line, pointing
 * c=, m= ports and a=rtcp at the relay and dropping the ICE lines that would
 * lead around it.  Bounded writes into the caller's buffer; no allocation.
 * What a line means is sdp.c's business: this file only recognises the line
 * types it changes, the same way the parser does.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/wbuf.h"
#include "sdp/sdp.h"

/* "IN IP4 <relay>" / "IN IP6 <relay>" */
static void
put_conn(struct wbuf *w, const union xr_sa *relay)
{
	char ip[INET6_ADDRSTRLEN];

	wbuf_cstr(w, relay->sa.sa_family == AF_INET6 ? "IN IP6 " : "IN IP4 ");
	wbuf_cstr(w, xr_sa_ipstr(relay, ip, sizeof(ip)));
}

/*
 * The line at *pos as sdp.c splits it: content up to LF, less one CR before
 * it (or before the end of the buffer); *eol = the bytes after the content.
 */
static bool
next_line(const char *buf, size_t len, size_t *pos, const char **s, size_t *n, size_t *eol)
{
	const char *nl;
	size_t l;

	if (*pos >= len)
		return false;
	*s = buf + *pos;
	nl = memchr(*s, '\n', len - *pos);
	l = nl ? (size_t)(nl - *s) : len - *pos;
	*pos += nl ? l + 1 : l;
	*eol = nl ? 1 : 0;
	if (l && (*s)[l - 1] == '\r') {
		l--;
		(*eol)++;
	}
	*n = l;
	return true;
}

/* Whether a c= value ("IN IP4 0.0.0.0") names the null address (hold). */
static int
conn_is_null(const char *v, size_t vl, bool *null)
{
	const char *sp;
	char ip[INET6_ADDRSTRLEN + 1];
	union xr_sa sa;
	size_t al;

	while (vl && v[vl - 1] == ' ')
		vl--;
	sp = memrchr(v, ' ', vl);
	if (!sp)
		return -EINVAL;
	al = vl - (size_t)(sp + 1 - v);
	if (al == 0 || al >= sizeof(ip) || memchr(sp + 1, '\0', al))
		return -EINVAL;
	memcpy(ip, sp + 1, al);
	ip[al] = '\0';
	if (xr_sa_parse_ip(&sa, ip) < 0)
		return -EINVAL;
	*null = xr_sa_is_any(&sa);
	return 0;
}

/* ICE (RFC 8839) attributes: candidates and credentials that bypass the relay. */
static bool
is_ice(const char *v, size_t vl)
{
	const char *colon = memchr(v, ':', vl);
	size_t nl = colon ? (size_t)(colon - v) : vl;

	return (nl == 9 && !strncasecmp(v, "candidate", 9)) ||
	       (nl == 17 && !strncasecmp(v, "remote-candidates", 17)) ||
	       (nl == 17 && !strncasecmp(v, "end-of-candidates", 17)) ||
	       (nl >= 4 && !strncasecmp(v, "ice-", 4));
}

static void
put_rtcp(struct wbuf *w, const union xr_sa *relay, uint16_t port, bool mux)
{
	wbuf_cstr(w, "a=rtcp:");
	wbuf_long(w, mux ? port : (uint16_t)(port + 1));
	wbuf_cstr(w, " ");
	put_conn(w, relay);
}

/*
 * The rules are sdp.h's.  Beyond them: a stream whose rw[].local port is 0
 * is rejected by the relay (m= port 0, no a=rtcp); a=rtcp of a rejected
 * stream and a=rtcp at session level are dropped; when no stream is live
 * the c= lines take rw[0]'s address if it has one, else stay as they are.
 * A line added at the end of a description without a final LF gets one.
 *
 * Long (~110 lines) because it is one pass over the SDP's lines that
 * rewrites as it goes.
 */
int
sdp_rewrite(const char *in, size_t len, const struct sdp *p,
	    const struct sdp_rewrite_media *rw, int n, char *out, size_t cap)
{
	struct wbuf w = { .p = out, .cap = cap };
	const union xr_sa *relay = NULL;
	bool live[SDP_MAX_MEDIA], saw_rtcp = false, at_bol = true;
	const char *eol_style = "\r\n", *s, *tail = NULL;
	size_t pos = 0, sl, el, tail_len = 0;
	int i, cur = -1;

	if (!p || n != p->n_media || n < 0 || n > SDP_MAX_MEDIA || (n && !rw) ||
	    len > SDP_MAX_LEN || (len && !in))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		int fam = rw[i].local.sa.sa_family;

		live[i] = p->m[i].port && xr_sa_port(&rw[i].local);
		if (!live[i])
			continue;
		if (fam != AF_INET && fam != AF_INET6)
			return -EINVAL;
		if (!relay)
			relay = &rw[i].local;
	}
	if (!relay && n && (rw[0].local.sa.sa_family == AF_INET ||
			    rw[0].local.sa.sa_family == AF_INET6))
		relay = &rw[0].local;
	{
		const char *nl = len ? memchr(in, '\n', len) : NULL;

		if (nl && nl > in && nl[-1] == '\r')
			eol_style = "\r\n";
		else if (nl)
			eol_style = "\n";
	}

	for (;;) {
		bool more = next_line(in, len, &pos, &s, &sl, &el);
		bool is_m = more && sl >= 2 && s[0] == 'm' && s[1] == '=';

		if ((!more || is_m) && cur >= 0 && live[cur] && !saw_rtcp) {
			/*
			 * Close the media section: a=rtcp after its last line.
			 * A last line without LF is ended first; a CR tail
			 * becomes CRLF ("x\r\r" must still read "x\r").
			 */
			if (!at_bol)
				wbuf_cstr(&w, tail_len ? "\r\n" : eol_style);
			tail_len = 0;
			put_rtcp(&w, relay, xr_sa_port(&rw[cur].local), p->m[cur].rtcp_mux);
			wbuf_cstr(&w, eol_style);
			at_bol = true;
		}
		if (!more)
			break;
		if (is_m) {
			const char *e = s + sl, *q = s + 2;

			if (++cur >= n)
				return -EINVAL;
			saw_rtcp = false;
			while (q < e && *q == ' ')
				q++;
			while (q < e && *q != ' ')	/* media type */
				q++;
			wbuf_put(&w, s, (size_t)(q - s));
			wbuf_cstr(&w, " ");
			wbuf_long(&w, live[cur] ? xr_sa_port(&rw[cur].local) : 0);
			while (q < e && *q == ' ')
				q++;
			while (q < e && *q != ' ')	/* port[/n] */
				q++;
			wbuf_put(&w, q, (size_t)(e - q));
		} else if (sl >= 2 && s[0] == 'c' && s[1] == '=') {
			bool null;

			if (conn_is_null(s + 2, sl - 2, &null) < 0)
				return -EINVAL;
			if (null || !relay) {
				wbuf_put(&w, s, sl);
			} else {
				wbuf_cstr(&w, "c=");
				put_conn(&w, relay);
			}
		} else if (sl >= 7 && !memcmp(s, "a=rtcp:", 7)) {
			if (cur < 0 || !live[cur])
				continue;	/* leads to the party, not to us */
			saw_rtcp = true;
			put_rtcp(&w, relay, xr_sa_port(&rw[cur].local), p->m[cur].rtcp_mux);
		} else if (sl >= 2 && s[0] == 'a' && s[1] == '=' && is_ice(s + 2, sl - 2)) {
			continue;
		} else {
			wbuf_put(&w, s, sl);
		}
		at_bol = el && s[sl + el - 1] == '\n';
		if (at_bol) {
			wbuf_put(&w, s + sl, el);
		} else {
			/* the last line, not ended by LF: its tail waits for the end */
			tail = s + sl;
			tail_len = el;
		}
	}
	wbuf_put(&w, tail, tail_len);
	if (cur + 1 != n)
		return -EINVAL;
	if (w.full)
		return -ENOSPC;
	return (int)w.n;
}
