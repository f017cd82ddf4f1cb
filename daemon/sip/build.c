// SPDX-License-Identifier: GPL-2.0
/*
 * build.c - every message xrelayd originates (build.h): responses built
 * from a parsed request (RFC 3261 §8.2.6), CANCEL and ACK from the request
 * we sent (§9.1, §17.1.1.3), our BYE; and forwarded messages built as a
 * sorted list of edits (offset, bytes removed, bytes inserted) applied to
 * the received buffer in one copy (§16.6): unchanged headers are copied
 * verbatim, never re-serialised.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sip/build.h"
#include "common/wbuf.h"
#include "sip/parse_int.h"

/* ---- output buffer ----------------------------------------------------- */

static void
w_str(struct wbuf *w, struct sip_str s)
{
	if (s.len > 0)
		wbuf_put(w, s.s, (size_t)s.len);
}

/* A header line copied verbatim, with its line end normalised to CRLF. */
static void
w_line(struct wbuf *w, const struct sip_hdr *h)
{
	struct sip_str r = h->raw;

	while (r.len > 0 && (r.s[r.len - 1] == '\n' || r.s[r.len - 1] == '\r'))
		r.len--;
	w_str(w, r);
	wbuf_put(w, "\r\n", 2);
}

const char *
sip_reason_phrase(int code)
{
	switch (code) {
	case 100: return "Trying";
	case 180: return "Ringing";
	case 181: return "Call Is Being Forwarded";
	case 182: return "Queued";
	case 183: return "Session Progress";
	case 200: return "OK";
	case 202: return "Accepted";
	case 301: return "Moved Permanently";
	case 302: return "Moved Temporarily";
	case 305: return "Use Proxy";
	case 380: return "Alternative Service";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 413: return "Request Entity Too Large";
	case 414: return "Request-URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Unsupported URI Scheme";
	case 420: return "Bad Extension";
	case 421: return "Extension Required";
	case 423: return "Interval Too Brief";
	case 480: return "Temporarily Unavailable";
	case 481: return "Call/Transaction Does Not Exist";
	case 482: return "Loop Detected";
	case 483: return "Too Many Hops";
	case 484: return "Address Incomplete";
	case 485: return "Ambiguous";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 488: return "Not Acceptable Here";
	case 491: return "Request Pending";
	case 493: return "Undecipherable";
	case 500: return "Server Internal Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Server Time-out";
	case 505: return "Version Not Supported";
	case 513: return "Message Too Large";
	case 600: return "Busy Everywhere";
	case 603: return "Decline";
	case 604: return "Does Not Exist Anywhere";
	case 606: return "Not Acceptable";
	default:  return "Unknown";
	}
}

static bool
has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

int
sip_build_response(char *out, size_t cap, const struct sip_msg *req, int code,
		   const char *reason, const struct sip_str *to_tag,
		   const struct sip_str *extra, const struct sip_str *body,
		   const struct sip_str *ctype)
{
	struct wbuf w = { out, cap, 0, false };
	int i;

	if (!req->is_request || code < 100 || code > 699)
		return -EINVAL;
	if (!reason)
		reason = sip_reason_phrase(code);
	if (has_crlf(reason))
		return -EINVAL;
	if (body && body->len > 0 && (!ctype || ctype->len <= 0))
		return -EINVAL;
	if (to_tag && to_tag->s && !sip_str_is_token(*to_tag))
		return -EINVAL;
	wbuf_cstr(&w, "SIP/2.0 ");
	wbuf_long(&w, code);
	wbuf_put(&w, " ", 1);
	wbuf_cstr(&w, reason);
	wbuf_put(&w, "\r\n", 2);

	/* Via lines in order, then the dialog-identifying headers (§8.2.6.2) */
	for (i = 0; i < req->nhdrs; i++)
		if (req->hdrs[i].type == SIP_HDR_VIA)
			w_line(&w, &req->hdrs[i]);
	for (i = 0; i < req->nhdrs; i++) {
		const struct sip_hdr *h = &req->hdrs[i];
		struct sip_nameaddr na;

		switch (h->type) {
		case SIP_HDR_FROM:
		case SIP_HDR_CALL_ID:
		case SIP_HDR_CSEQ:
			w_line(&w, h);
			break;
		case SIP_HDR_TIMESTAMP:
			if (code == 100)	/* §8.2.6.1 */
				w_line(&w, h);
			break;
		case SIP_HDR_TO:
			if (to_tag && to_tag->s && code != 100 &&
			    sip_nameaddr_parse(h->value, &na) == 0 && !sip_str_present(na.tag)) {
				wbuf_put(&w, h->raw.s, (size_t)(h->value.s + h->value.len - h->raw.s));
				wbuf_cstr(&w, ";tag=");
				w_str(&w, *to_tag);
				wbuf_put(&w, "\r\n", 2);
			} else {
				w_line(&w, h);
			}
			break;
		default:
			break;
		}
	}
	if (extra)
		w_str(&w, *extra);
	if (body && body->len > 0) {
		wbuf_cstr(&w, "Content-Type: ");
		w_str(&w, *ctype);
		wbuf_put(&w, "\r\n", 2);
	}
	wbuf_cstr(&w, "Content-Length: ");
	wbuf_long(&w, body ? body->len : 0);
	wbuf_put(&w, "\r\n\r\n", 4);
	if (body)
		w_str(&w, *body);
	if (w.full)
		return -ENOSPC;
	return (int)w.n;
}

/* ---- requests we originate ------------------------------------------------ */

int
sip_build_cancel_ack(char *out, size_t cap, const struct sip_msg *inv,
		     const struct sip_msg *resp)
{
	const char *method = resp ? "ACK" : "CANCEL";
	const struct sip_hdr *from = sip_msg_hdr(inv, SIP_HDR_FROM);
	const struct sip_hdr *to = sip_msg_hdr(resp ? resp : inv, SIP_HDR_TO);
	const struct sip_hdr *callid = sip_msg_hdr(inv, SIP_HDR_CALL_ID);
	struct wbuf w = { out, cap, 0, false };
	const struct sip_hdr *h;

	if (!from || !to || !callid)
		return -EINVAL;
	wbuf_cstr(&w, method);
	wbuf_put(&w, " ", 1);
	w_str(&w, inv->ruri);
	wbuf_cstr(&w, " SIP/2.0\r\nVia: ");
	w_str(&w, inv->via1.value);
	wbuf_put(&w, "\r\n", 2);
	for (h = sip_msg_hdr(inv, SIP_HDR_ROUTE); h; h = sip_msg_hdr_next(inv, h))
		w_line(&w, h);
	wbuf_cstr(&w, "Max-Forwards: 70\r\n");
	w_line(&w, from);
	w_line(&w, to);
	w_line(&w, callid);
	wbuf_cstr(&w, "CSeq: ");
	wbuf_long(&w, (long)inv->cseq);
	wbuf_put(&w, " ", 1);
	wbuf_cstr(&w, method);
	wbuf_cstr(&w, "\r\nContent-Length: 0\r\n\r\n");
	return w.full ? -ENOSPC : (int)w.n;
}

/* "name: value[;tag=tag]\r\n" */
static void
w_hdr_tag(struct wbuf *w, const char *name, const char *value, const char *tag)
{
	wbuf_cstr(w, name);
	wbuf_cstr(w, value);
	if (tag) {
		wbuf_cstr(w, ";tag=");
		wbuf_cstr(w, tag);
	}
	wbuf_put(w, "\r\n", 2);
}

int
sip_build_bye(char *out, size_t cap, const struct sip_bye *b)
{
	struct wbuf w = { out, cap, 0, false };

	wbuf_cstr(&w, "BYE ");
	wbuf_cstr(&w, b->ruri);
	wbuf_cstr(&w, " SIP/2.0\r\nVia: SIP/2.0/");
	wbuf_cstr(&w, b->transport);
	wbuf_put(&w, " ", 1);
	wbuf_cstr(&w, b->sent_by);
	wbuf_cstr(&w, ";branch=");
	wbuf_cstr(&w, b->branch);
	wbuf_put(&w, "\r\n", 2);
	wbuf_cstr(&w, b->routes);
	wbuf_cstr(&w, "Max-Forwards: 70\r\n");
	w_hdr_tag(&w, "From: ", b->from, b->from_tag);
	w_hdr_tag(&w, "To: ", b->to, b->to_tag);
	w_hdr_tag(&w, "Call-ID: ", b->callid, NULL);
	wbuf_cstr(&w, "CSeq: ");
	wbuf_long(&w, (long)b->cseq);
	wbuf_cstr(&w, " BYE\r\nReason: SIP;cause=200;text=\"");
	wbuf_cstr(&w, b->reason);
	wbuf_cstr(&w, "\"\r\nContent-Length: 0\r\n\r\n");
	return w.full ? -ENOSPC : (int)w.n;
}

/* ---- edits ------------------------------------------------------------- */

void
sip_edit_init(struct sip_edit *e, const struct sip_msg *m)
{
	e->m = m;
	e->nops = 0;
	e->scratch_used = 0;
	e->err = 0;
	e->new_body = NULL;
}

static int
edit_fail(struct sip_edit *e, int err)
{
	if (!e->err)
		e->err = err;
	return err;
}

/* Record one operation at absolute pointer p in the message buffer. */
static int
op_add(struct sip_edit *e, const char *p, int del, struct sip_str ins)
{
	struct sip_edit_op *op;

	if (e->err)
		return e->err;
	if (e->nops >= SIP_EDIT_MAX)
		return edit_fail(e, -ENOSPC);
	op = &e->ops[e->nops];
	op->off = (int)(p - e->m->buf);
	op->del = del;
	op->ins = ins;
	op->seq = e->nops++;
	op->body = false;
	return 0;
}

static int
op_ins(struct sip_edit *e, const char *p, const char *lit)
{
	return op_add(e, p, 0, sip_str_mk(lit, (int)strlen(lit)));
}

/* Copy formatted text into scratch; the slice lives as long as e. */
static struct sip_str
scratch_printf(struct sip_edit *e, const char *fmt, long v)
{
	int room = SIP_EDIT_SCRATCH - e->scratch_used, n;
	char *p = e->scratch + e->scratch_used;

	n = snprintf(p, (size_t)room, fmt, v);
	if (n < 0 || n >= room) {
		edit_fail(e, -ENOSPC);
		return sip_str_mk(NULL, 0);
	}
	e->scratch_used += n;
	return sip_str_mk(p, n);
}

/* Where new headers go at the end: after the last header line. */
static const char *
hdrs_end(const struct sip_msg *m)
{
	const struct sip_hdr *h;
	int blank;

	if (m->nhdrs == 0) {
		blank = m->hdr_end >= 2 && m->buf[m->hdr_end - 2] == '\r' ? 2 : 1;
		return m->buf + m->hdr_end - blank;
	}
	h = &m->hdrs[m->nhdrs - 1];
	return h->raw.s + h->raw.len;
}

/* Insert "name: value\r\n" before header line `before` (or at the end). */
static int
ins_hdr(struct sip_edit *e, const char *at, const char *name, struct sip_str value)
{
	int rc = op_ins(e, at, name);

	if (!rc)
		rc = op_ins(e, at, ": ");
	if (!rc)
		rc = op_add(e, at, 0, value);
	if (!rc)
		rc = op_ins(e, at, "\r\n");
	return rc;
}

int
sip_edit_ruri(struct sip_edit *e, struct sip_str uri)
{
	if (!e->m->is_request || uri.len <= 0)
		return edit_fail(e, -EINVAL);
	return op_add(e, e->m->ruri.s, e->m->ruri.len, uri);
}

static int
push_above(struct sip_edit *e, enum sip_hdr_type t, const char *name, struct sip_str value)
{
	const struct sip_hdr *h = sip_msg_hdr(e->m, t);
	const char *at;

	if (value.len <= 0)
		return edit_fail(e, -EINVAL);
	if (h)
		at = h->raw.s;
	else if (e->m->nhdrs > 0)
		at = e->m->hdrs[0].raw.s;
	else
		at = hdrs_end(e->m);
	return ins_hdr(e, at, name, value);
}

int
sip_edit_push_via(struct sip_edit *e, struct sip_str value)
{
	return push_above(e, SIP_HDR_VIA, "Via", value);
}

int
sip_edit_push_rr(struct sip_edit *e, struct sip_str value)
{
	return push_above(e, SIP_HDR_RECORD_ROUTE, "Record-Route", value);
}

int
sip_edit_push_route(struct sip_edit *e, struct sip_str value)
{
	return push_above(e, SIP_HDR_ROUTE, "Route", value);
}

/* Remove the first value of a list header: its line, or it and its comma. */
static int
pop_first(struct sip_edit *e, enum sip_hdr_type t)
{
	struct sip_iter it = { 0 };
	struct sip_str first, second;
	int h1, h2;

	if (sip_list_next(e->m, t, &it, &first, &h1) != 1)
		return edit_fail(e, -ENOENT);
	if (sip_list_next(e->m, t, &it, &second, &h2) == 1 && h2 == h1)
		return op_add(e, first.s, (int)(second.s - first.s), sip_str_mk("", 0));
	return op_add(e, e->m->hdrs[h1].raw.s, e->m->hdrs[h1].raw.len, sip_str_mk("", 0));
}

int
sip_edit_pop_via(struct sip_edit *e)
{
	return pop_first(e, SIP_HDR_VIA);
}

int
sip_edit_pop_route(struct sip_edit *e)
{
	return pop_first(e, SIP_HDR_ROUTE);
}

int
sip_edit_via_received(struct sip_edit *e, struct sip_str ip, int rport)
{
	const struct sip_via *v = &e->m->via1;
	const char *vend;
	struct sip_str n, val;
	int pos = 0, rc = 0;

	if (e->m->nvia < 1)
		return edit_fail(e, -ENOENT);
	vend = v->value.s + v->value.len;
	/*
	 * rport first: when ";rport" ends the value, its "=N" and a new
	 * ";received=" go to the same offset and must come out in this order.
	 */
	if (v->rport && rport > 0 && rport <= 65535) {
		while ((rc = sip_param_next(v->params, &pos, &n, &val)) == 1)
			if (sip_str_caseeq_cstr(n, "rport"))
				break;
		if (rc != 1)
			return edit_fail(e, -EINVAL);
		if (sip_str_present(val))
			rc = op_add(e, val.s, val.len, scratch_printf(e, "%ld", rport));
		else
			rc = op_add(e, n.s + n.len, 0, scratch_printf(e, "=%ld", rport));
		if (rc)
			return rc;
	}
	if (ip.len <= 0)
		return 0;
	if (sip_str_present(v->received))
		return op_add(e, v->received.s, v->received.len, ip);
	rc = op_ins(e, vend, ";received=");
	if (!rc)
		rc = op_add(e, vend, 0, ip);
	return rc;
}

int
sip_edit_dec_maxfwd(struct sip_edit *e)
{
	const struct sip_hdr *h = sip_msg_hdr(e->m, SIP_HDR_MAX_FORWARDS);

	if (!h)
		return ins_hdr(e, hdrs_end(e->m), "Max-Forwards", SIP_STR("69"));
	if (e->m->max_forwards <= 0)
		return edit_fail(e, -EINVAL);
	return op_add(e, h->value.s, h->value.len,
		      scratch_printf(e, "%ld", e->m->max_forwards - 1));
}

int
sip_edit_del_hdr(struct sip_edit *e, int idx)
{
	if (idx < 0 || idx >= e->m->nhdrs)
		return edit_fail(e, -EINVAL);
	return op_add(e, e->m->hdrs[idx].raw.s, e->m->hdrs[idx].raw.len, sip_str_mk("", 0));
}

int
sip_edit_set_hdr(struct sip_edit *e, int idx, struct sip_str value)
{
	const struct sip_hdr *h;

	if (idx < 0 || idx >= e->m->nhdrs)
		return edit_fail(e, -EINVAL);
	h = &e->m->hdrs[idx];
	if (h->value.len == 0)
		return op_add(e, h->value.s, 0, value);
	return op_add(e, h->value.s, h->value.len, value);
}

int
sip_edit_add_hdr(struct sip_edit *e, struct sip_str name, struct sip_str value)
{
	const char *at = hdrs_end(e->m);
	int rc;

	if (name.len <= 0 || !sip_str_is_token(name))
		return edit_fail(e, -EINVAL);
	rc = op_add(e, at, 0, name);
	if (!rc)
		rc = op_ins(e, at, ": ");
	if (!rc)
		rc = op_add(e, at, 0, value);
	if (!rc)
		rc = op_ins(e, at, "\r\n");
	return rc;
}

int
sip_edit_body(struct sip_edit *e, struct sip_str body, const struct sip_str *ctype)
{
	const struct sip_msg *m = e->m;
	const struct sip_hdr *h;
	struct sip_str num;
	int rc;

	if (body.len < 0 || e->new_body)
		return edit_fail(e, -EINVAL);
	e->body_store = body;
	e->new_body = &e->body_store;
	rc = op_add(e, m->buf + m->hdr_end, m->body.len, body);
	if (rc)
		return rc;
	e->ops[e->nops - 1].body = true;
	num = scratch_printf(e, "%ld", body.len);
	if (e->err)
		return e->err;
	h = sip_msg_hdr(m, SIP_HDR_CONTENT_LENGTH);
	rc = h ? op_add(e, h->value.s, h->value.len, num)
	       : ins_hdr(e, hdrs_end(m), "Content-Length", num);
	if (rc || !ctype)
		return rc;
	h = sip_msg_hdr(m, SIP_HDR_CONTENT_TYPE);
	return h ? op_add(e, h->value.s, h->value.len, *ctype)
		 : ins_hdr(e, hdrs_end(m), "Content-Type", *ctype);
}

/*
 * Order: offset; at one offset header inserts, then the body, then
 * deletions; then call order.
 */
static int
op_cmp(const void *a, const void *b)
{
	const struct sip_edit_op *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	if (x->body != y->body)
		return x->body ? 1 : -1;
	if ((x->del > 0) != (y->del > 0))
		return x->del > 0 ? 1 : -1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int
sip_edit_build(const struct sip_edit *e, char *out, size_t cap)
{
	struct sip_edit_op ops[SIP_EDIT_MAX];
	const struct sip_msg *m = e->m;
	struct wbuf w = { out, cap, 0, false };
	const char *start = m->is_request ? m->method_str.s : m->version.s;
	int cur, i, end = m->len;
	/* the datagram ended after its last header, without the empty line */
	bool noblank = hdrs_end(m) == m->buf + m->hdr_end;

	if (e->err)
		return e->err;
	memcpy(ops, e->ops, sizeof(ops[0]) * (size_t)e->nops);
	qsort(ops, (size_t)e->nops, sizeof(ops[0]), op_cmp);
	cur = (int)(start - m->buf);
	for (i = 0; i < e->nops; i++) {
		if (ops[i].off < cur || ops[i].off + ops[i].del > end)
			return -EINVAL;
		wbuf_put(&w, m->buf + cur, (size_t)(ops[i].off - cur));
		if (ops[i].body && noblank) {
			wbuf_put(&w, "\r\n", 2);
			noblank = false;
		}
		w_str(&w, ops[i].ins);
		cur = ops[i].off + ops[i].del;
	}
	wbuf_put(&w, m->buf + cur, (size_t)(end - cur));
	if (noblank)
		wbuf_put(&w, "\r\n", 2);
	if (w.full)
		return -ENOSPC;
	return (int)w.n;
}
