// SPDX-License-Identifier: GPL-2.0
/*
 * msg.c - sip_msg_parse(): one SIP message into a struct sip_msg of slices;
 * stream framing; the mandatory-header check; header lookup, comma-list
 * iteration and the on-demand structured views (Via, Contact, Route...).
 *
 * Why hand-written (no generated grammar, no general-purpose library):
 * speed and predictability on the signalling path.  Every field is a
 * zero-copy slice of the receive buffer, headers go into a fixed array (no
 * allocation per header or per message), and only what every message
 * needs is parsed up front; the rest (Contact, Route lists, URIs, tokens)
 * is parsed when asked, as Kamailio's parser does.  Bounded by
 * SIP_MAX_MSG_SIZE and SIP_MAX_HEADERS, so bad input costs O(size).
 *
 * Deviation: RFC 4475 dblreq — a datagram longer than Content-Length is
 * accepted and the excess ignored (RFC 3261 §18.3); only a body shorter
 * than Content-Length is an error.  m->trailing counts the excess.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>

#include "sip/msg.h"
#include "sip/parse_int.h"

int
sip_set_err(struct sip_err *err, enum sip_errkind kind, const char *reason, int hdr)
{
	int rc;

	err->kind = kind;
	err->reason = reason;
	err->hdr = hdr;
	switch (kind) {
	case SIP_E_TOO_BIG:
		err->code = 513;	/* §21.5.11: over what we can process */
		rc = -EMSGSIZE;
		break;
	case SIP_E_VERSION:
		err->code = 505;
		rc = -EPROTONOSUPPORT;
		break;
	default:
		err->code = 400;
		rc = -EBADMSG;
		break;
	}
	return rc;
}

/* Reason phrases for duplicated single-value headers. */
static const char *
dup_reason(enum sip_hdr_type t)
{
	switch (t) {
	case SIP_HDR_CALL_ID:		return "Duplicate Call-ID Header";
	case SIP_HDR_CSEQ:		return "Duplicate CSeq Header";
	case SIP_HDR_FROM:		return "Duplicate From Header";
	case SIP_HDR_TO:		return "Duplicate To Header";
	case SIP_HDR_MAX_FORWARDS:	return "Duplicate Max-Forwards Header";
	case SIP_HDR_CONTENT_LENGTH:	return "Duplicate Content-Length Header";
	case SIP_HDR_CONTENT_TYPE:	return "Duplicate Content-Type Header";
	case SIP_HDR_EXPIRES:		return "Duplicate Expires Header";
	case SIP_HDR_DATE:		return "Duplicate Date Header";
	case SIP_HDR_MIN_EXPIRES:	return "Duplicate Min-Expires Header";
	default:			return NULL;
	}
}

/* Single-value types: sip_list_next() never splits them at commas. */
static bool
is_list_type(enum sip_hdr_type t)
{
	switch (t) {
	case SIP_HDR_VIA: case SIP_HDR_CONTACT: case SIP_HDR_ROUTE: case SIP_HDR_RECORD_ROUTE:
	case SIP_HDR_REQUIRE: case SIP_HDR_PROXY_REQUIRE: case SIP_HDR_SUPPORTED:
	case SIP_HDR_UNSUPPORTED: case SIP_HDR_ALLOW: case SIP_HDR_ACCEPT:
	case SIP_HDR_CONTENT_ENCODING: case SIP_HDR_ALLOW_EVENTS: case SIP_HDR_PATH:
	case SIP_HDR_ACCEPT_CONTACT: case SIP_HDR_REJECT_CONTACT:
	case SIP_HDR_REQUEST_DISPOSITION:
		return true;
	default:
		return false;
	}
}

const struct sip_hdr *
sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_type t)
{
	if ((int)t < 0 || t >= SIP_HDR__NUM || m->first[t] < 0)
		return NULL;
	return &m->hdrs[m->first[t]];
}

const struct sip_hdr *
sip_msg_hdr_next(const struct sip_msg *m, const struct sip_hdr *h)
{
	int i = (int)(h - m->hdrs);

	for (i++; i < m->nhdrs; i++) {
		if (m->hdrs[i].type != h->type)
			continue;
		if (h->type != SIP_HDR_OTHER || sip_str_caseeq(m->hdrs[i].name, h->name))
			return &m->hdrs[i];
	}
	return NULL;
}

const struct sip_hdr *
sip_msg_hdr_by_name(const struct sip_msg *m, const char *name)
{
	struct sip_str n = sip_str_mk(name, (int)strlen(name));
	enum sip_hdr_type t = sip_hdr_type_from_name(n);
	int i;

	if (t != SIP_HDR_OTHER)
		return sip_msg_hdr(m, t);
	for (i = 0; i < m->nhdrs; i++)
		if (m->hdrs[i].type == SIP_HDR_OTHER && sip_str_caseeq(m->hdrs[i].name, n))
			return &m->hdrs[i];
	return NULL;
}

static int
next_of_type(const struct sip_msg *m, enum sip_hdr_type t, int i)
{
	for (i++; i < m->nhdrs; i++)
		if (m->hdrs[i].type == t)
			return i;
	return -1;
}

int
sip_list_next(const struct sip_msg *m, enum sip_hdr_type t, struct sip_iter *it,
	      struct sip_str *elem, int *hdr)
{
	if ((int)t <= 0 || t >= SIP_HDR__NUM)
		return 0;
	if (!it->started) {
		it->started = true;
		it->hdr = m->first[t];
		it->off = 0;
	}
	while (it->hdr >= 0 && it->hdr < m->nhdrs) {
		struct sip_str v = m->hdrs[it->hdr].value, e;
		int i = it->off, depth = 0;

		if (i > v.len) {
			it->hdr = next_of_type(m, t, it->hdr);
			it->off = 0;
			continue;
		}
		if (is_list_type(t)) {
			while (i < v.len) {
				char c = v.s[i];

				if (c == '"') {
					int j = sip_skip_quoted(v, i);

					i = j < 0 ? v.len : j;
					continue;
				}
				if (c == '<')
					depth++;
				else if (c == '>' && depth > 0)
					depth--;
				else if (c == ',' && depth == 0)
					break;
				i++;
			}
		} else {
			i = v.len;
		}
		e = sip_trim(sip_str_mk(v.s + it->off, i - it->off));
		it->off = i + 1;
		if (e.len == 0)
			continue;
		*elem = e;
		if (hdr)
			*hdr = it->hdr;
		return 1;
	}
	return 0;
}

int
sip_msg_via_next(const struct sip_msg *m, struct sip_iter *it, struct sip_via *v)
{
	struct sip_str e;
	int hdr, rc;

	if (sip_list_next(m, SIP_HDR_VIA, it, &e, &hdr) != 1)
		return 0;
	rc = sip_via_parse(e, v);
	if (rc)
		return rc;
	v->hdr = hdr;
	return 1;
}

int
sip_msg_via(const struct sip_msg *m, int i, struct sip_via *v)
{
	struct sip_iter it = { 0 };
	int rc;

	if (i < 0)
		return -ENOENT;
	do {
		rc = sip_msg_via_next(m, &it, v);
		if (rc <= 0)
			return rc < 0 ? rc : -ENOENT;
	} while (i-- > 0);
	return 0;
}

int
sip_msg_contact_next(const struct sip_msg *m, struct sip_iter *it, struct sip_contact *c)
{
	struct sip_str e;
	int hdr, rc;

	if (sip_list_next(m, SIP_HDR_CONTACT, it, &e, &hdr) != 1)
		return 0;
	rc = sip_contact_parse(e, c);
	if (rc)
		return rc;
	c->hdr = hdr;
	return 1;
}

int
sip_msg_route_next(const struct sip_msg *m, enum sip_hdr_type t, struct sip_iter *it,
		   struct sip_nameaddr *na, struct sip_uri *u)
{
	struct sip_str e;
	int rc;

	if (t != SIP_HDR_ROUTE && t != SIP_HDR_RECORD_ROUTE && t != SIP_HDR_PATH)
		return -EINVAL;
	if (sip_list_next(m, t, it, &e, NULL) != 1)
		return 0;
	rc = sip_nameaddr_parse(e, na);
	if (rc)
		return rc;
	rc = sip_uri_parse(na->uri, u);
	return rc ? rc : 1;
}

int
sip_msg_token_next(const struct sip_msg *m, enum sip_hdr_type t, struct sip_iter *it,
		   struct sip_str *tok)
{
	if (sip_list_next(m, t, it, tok, NULL) != 1)
		return 0;
	return 1;
}

bool
sip_msg_has_token(const struct sip_msg *m, enum sip_hdr_type t, const char *tok)
{
	struct sip_iter it = { 0 };
	struct sip_str s;

	while (sip_msg_token_next(m, t, &it, &s) == 1)
		if (sip_str_caseeq_cstr(s, tok))
			return true;
	return false;
}

int
sip_msg_ctype(const struct sip_msg *m, struct sip_ctype *ct)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CONTENT_TYPE);

	if (!h)
		return -ENOENT;
	return sip_parse_ctype(h->value, ct);
}

size_t
sip_frame_skip_crlf(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	return i;
}

int
sip_frame_length(const char *buf, size_t len)
{
	size_t lim = len > SIP_MAX_MSG_SIZE + 1 ? SIP_MAX_MSG_SIZE + 1 : len;
	const char *p = buf + sip_frame_skip_crlf(buf, lim), *end = buf + lim, *lf;
	struct sip_hdr h;
	int cl = -1, rc;
	size_t total;

	if (p >= end)
		return 0;
	lf = memchr(p, '\n', end - p);
	if (!lf)
		return len > SIP_MAX_MSG_SIZE ? -EMSGSIZE : 0;
	p = lf + 1;
	for (;;) {
		rc = sip_split_header(p, end, false, &h, &p);
		if (rc == -EAGAIN)
			return len > SIP_MAX_MSG_SIZE ? -EMSGSIZE : 0;
		if (rc < 0)
			return -EBADMSG;
		if (rc == 0)
			break;
		if (h.type == SIP_HDR_CONTENT_LENGTH) {
			if (cl >= 0 || sip_parse_uint(h.value, &cl))
				return -EBADMSG;
		}
	}
	if (cl < 0)
		return -EBADMSG;
	total = (size_t)(p - buf) + (size_t)cl;
	if (total > SIP_MAX_MSG_SIZE)
		return -EMSGSIZE;
	if (total > len)
		return 0;
	return (int)total;
}

/* Can a 4xx be built for this (possibly half-parsed) message? */
static bool
can_reply(const struct sip_msg *m)
{
	return m->is_request && m->method != SIP_METHOD_ACK && m->method_str.len > 0 &&
	       m->first[SIP_HDR_VIA] >= 0;
}

/* Validate every value of a list header with parse(); error reason on failure. */
static int
check_list(struct sip_msg *m, enum sip_hdr_type t, struct sip_err *err, const char *reason)
{
	struct sip_iter it = { 0 };
	struct sip_nameaddr na;
	struct sip_contact c;
	struct sip_uri u;
	int rc;

	for (;;) {
		if (t == SIP_HDR_CONTACT)
			rc = sip_msg_contact_next(m, &it, &c);
		else
			rc = sip_msg_route_next(m, t, &it, &na, &u);
		if (rc == 0)
			return 0;
		if (rc < 0)
			return sip_set_err(err, SIP_E_HDR_VALUE, reason, it.hdr);
	}
}

/* Second stage: the headers every message needs, validated once. */
static int
check_headers(struct sip_msg *m, struct sip_err *err)
{
	struct sip_iter it = { 0 };
	const struct sip_hdr *h;
	struct sip_via v;
	struct sip_ctype ct;
	int t, rc;

	for (t = 1; t < SIP_HDR__NUM; t++)
		if (m->count[t] > 1 && dup_reason((enum sip_hdr_type)t))
			return sip_set_err(err, SIP_E_DUP_HDR, dup_reason((enum sip_hdr_type)t),
					   next_of_type(m, (enum sip_hdr_type)t, m->first[t]));

	while ((rc = sip_msg_via_next(m, &it, &v)) == 1)
		if (m->nvia++ == 0)
			m->via1 = v;
	if (rc < 0)
		return sip_set_err(err, SIP_E_HDR_VALUE, "Bad Via Header", it.hdr);

	if ((h = sip_msg_hdr(m, SIP_HDR_FROM)) && sip_nameaddr_parse(h->value, &m->from))
		return sip_set_err(err, SIP_E_HDR_VALUE, "Bad From Header", m->first[SIP_HDR_FROM]);
	if ((h = sip_msg_hdr(m, SIP_HDR_TO)) && sip_nameaddr_parse(h->value, &m->to))
		return sip_set_err(err, SIP_E_HDR_VALUE, "Bad To Header", m->first[SIP_HDR_TO]);
	if ((h = sip_msg_hdr(m, SIP_HDR_CALL_ID))) {
		if (sip_parse_callid(h->value))
			return sip_set_err(err, SIP_E_HDR_VALUE, "Bad Call-ID Header",
					   m->first[SIP_HDR_CALL_ID]);
		m->call_id = h->value;
	}
	if ((h = sip_msg_hdr(m, SIP_HDR_CSEQ))) {
		if (sip_parse_cseq(h->value, &m->cseq, &m->cseq_method_str))
			return sip_set_err(err, SIP_E_HDR_VALUE, "Bad CSeq Header",
					   m->first[SIP_HDR_CSEQ]);
		m->cseq_method = sip_method_from_str(m->cseq_method_str);
		if (m->is_request && !sip_str_eq(m->cseq_method_str, m->method_str))
			return sip_set_err(err, SIP_E_CSEQ_METHOD, "CSeq Method Mismatch",
					   m->first[SIP_HDR_CSEQ]);
	}
	if ((h = sip_msg_hdr(m, SIP_HDR_MAX_FORWARDS))) {
		if (sip_parse_uint(h->value, &m->max_forwards) || m->max_forwards > 255)
			return sip_set_err(err, SIP_E_MAX_FORWARDS, "Bad Max-Forwards Header",
					   m->first[SIP_HDR_MAX_FORWARDS]);
	}
	if ((h = sip_msg_hdr(m, SIP_HDR_CONTENT_LENGTH))) {
		if (sip_parse_uint(h->value, &m->content_length))
			return sip_set_err(err, SIP_E_CONTENT_LENGTH, "Bad Content-Length",
					   m->first[SIP_HDR_CONTENT_LENGTH]);
	}
	if ((h = sip_msg_hdr(m, SIP_HDR_EXPIRES)) && sip_parse_delta(h->value, &m->expires))
		return sip_set_err(err, SIP_E_HDR_VALUE, "Bad Expires Header",
				   m->first[SIP_HDR_EXPIRES]);
	if ((h = sip_msg_hdr(m, SIP_HDR_DATE)) && sip_parse_date(h->value))
		return sip_set_err(err, SIP_E_HDR_VALUE, "Bad Date Header", m->first[SIP_HDR_DATE]);
	if ((h = sip_msg_hdr(m, SIP_HDR_CONTENT_TYPE)) && sip_parse_ctype(h->value, &ct))
		return sip_set_err(err, SIP_E_HDR_VALUE, "Bad Content-Type Header",
				   m->first[SIP_HDR_CONTENT_TYPE]);
	rc = check_list(m, SIP_HDR_CONTACT, err, "Bad Contact Header");
	if (!rc)
		rc = check_list(m, SIP_HDR_ROUTE, err, "Bad Route Header");
	if (!rc)
		rc = check_list(m, SIP_HDR_RECORD_ROUTE, err, "Bad Record-Route Header");
	return rc;
}

/*
 * Long (~105 lines) because it is one pass over the message (start line,
 * headers, body) with every check in order.
 */
int
sip_msg_parse(struct sip_msg *m, const char *buf, size_t len, struct sip_err *err)
{
	const char *p, *end, *lf;
	struct sip_err first_err;
	struct sip_str line;
	int rc, vrc = 0, t, avail;

	memset(m, 0, offsetof(struct sip_msg, hdrs));
	memset(&m->nhdrs, 0, sizeof(*m) - offsetof(struct sip_msg, nhdrs));
	for (t = 0; t < SIP_HDR__NUM; t++)
		m->first[t] = -1;
	m->max_forwards = -1;
	m->content_length = -1;
	m->expires = -1;
	m->buf = buf;
	err->kind = SIP_E_NONE;
	err->code = 0;
	err->reason = NULL;
	err->hdr = -1;
	err->can_reply = false;

	if (len > SIP_MAX_MSG_SIZE)
		return sip_set_err(err, SIP_E_TOO_BIG, "Message Too Large", -1);
	m->len = (int)len;
	end = buf + len;
	p = buf + sip_frame_skip_crlf(buf, len);
	lf = p < end ? memchr(p, '\n', end - p) : NULL;
	if (!lf)
		return sip_set_err(err, SIP_E_NO_END, "Incomplete Message", -1);
	line = sip_str_mk(p, lf - p);
	if (line.len > 0 && line.s[line.len - 1] == '\r')
		line.len--;
	/*
	 * A request line that names its method but is broken further on (bad
	 * Request-URI, extra SP, wrong version) is still answered: split the
	 * headers first so the 400/505 can carry Via, From, To, Call-ID, CSeq.
	 */
	vrc = sip_parse_start_line(m, line, err);
	if (vrc && !(m->is_request && m->method_str.len > 0))
		return vrc;
	if (vrc)
		first_err = *err;
	p = lf + 1;

	for (;;) {
		struct sip_hdr *h;

		if (m->nhdrs >= SIP_MAX_HEADERS) {
			struct sip_hdr tmp;

			if (sip_split_header(p, end, true, &tmp, &p) == 0)
				break;
			rc = sip_set_err(err, SIP_E_TOO_MANY_HDRS, "Too Many Headers (max 128)",
					 -1);
			goto out_fail;
		}
		h = &m->hdrs[m->nhdrs];
		rc = sip_split_header(p, end, true, h, &p);
		if (rc == 0)
			break;
		if (rc == -EAGAIN) {
			rc = sip_set_err(err, SIP_E_NO_END, "Incomplete Message", -1);
			goto out_fail;
		}
		if (rc < 0) {
			rc = sip_set_err(err, SIP_E_HDR_SYNTAX, "Bad Header Line", m->nhdrs);
			goto out_fail;
		}
		if (m->first[h->type] < 0)
			m->first[h->type] = (int16_t)m->nhdrs;
		if (m->count[h->type] < UINT8_MAX)
			m->count[h->type]++;
		m->nhdrs++;
	}
	m->hdr_end = (int)(p - buf);	/* just after the empty line */
	if (vrc) {
		rc = vrc;
		goto out_fail;
	}
	rc = check_headers(m, err);
	if (rc)
		goto out_fail;

	avail = (int)(end - p);
	if (m->content_length >= 0) {
		if (m->content_length > avail) {
			/* a whole message over our limit: 513 (RFC 3261 §21.5.11) */
			if ((size_t)m->hdr_end + (size_t)m->content_length > SIP_MAX_MSG_SIZE)
				rc = sip_set_err(err, SIP_E_TOO_BIG, "Message Too Large",
						 m->first[SIP_HDR_CONTENT_LENGTH]);
			else
				rc = sip_set_err(err, SIP_E_CONTENT_LENGTH, "Bad Content-Length",
						 m->first[SIP_HDR_CONTENT_LENGTH]);
			goto out_fail;
		}
		m->body = sip_str_mk(p, m->content_length);
		m->trailing = avail - m->content_length;
		m->len = m->hdr_end + m->content_length;
	} else {
		m->body = sip_str_mk(p, avail);
	}
	return 0;

out_fail:
	if (vrc) {		/* the start line's error comes first */
		*err = first_err;
		rc = vrc;
	}
	err->can_reply = can_reply(m);
	return rc;
}

int
sip_msg_check_request(const struct sip_msg *m, struct sip_err *err)
{
	static const struct { enum sip_hdr_type t; const char *reason; } need[] = {
		{ SIP_HDR_VIA,		"Missing Via Header" },
		{ SIP_HDR_FROM,		"Missing From Header" },
		{ SIP_HDR_TO,		"Missing To Header" },
		{ SIP_HDR_CALL_ID,	"Missing Call-ID Header" },
		{ SIP_HDR_CSEQ,		"Missing CSeq Header" },
	};
	size_t k;

	err->can_reply = false;
	if (!m->is_request)
		return sip_set_err(err, SIP_E_START_LINE, "Not A Request", -1);
	for (k = 0; k < sizeof(need) / sizeof(need[0]); k++) {
		if (m->first[need[k].t] < 0) {
			int rc = sip_set_err(err, SIP_E_MISSING_HDR, need[k].reason, -1);

			err->can_reply = can_reply(m);
			return rc;
		}
	}
	err->kind = SIP_E_NONE;
	err->code = 0;
	err->reason = NULL;
	err->hdr = -1;
	return 0;
}
