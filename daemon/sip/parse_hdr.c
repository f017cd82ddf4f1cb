// SPDX-License-Identifier: GPL-2.0
/*
 * parse_hdr.c - header fields (RFC 3261 §7.3): cutting one field (name,
 * colon, value with its folded continuation lines) out of the buffer, the
 * name -> type table with compact forms (§7.3.3 and the IANA registry),
 * and the method table.  Tables are const: no state, thread-safe.
 */
#include <errno.h>

#include "sip/msg.h"
#include "sip/parse_int.h"

#define H(n, c)	{ n, sizeof(n) - 1, c }
static const struct {
	const char	*name;
	int		 len;
	char		 compact;	/* 0 when none */
} hdr_tab[SIP_HDR__NUM] = {
	[SIP_HDR_OTHER]			= H("", 0),
	[SIP_HDR_VIA]			= H("Via", 'v'),
	[SIP_HDR_FROM]			= H("From", 'f'),
	[SIP_HDR_TO]			= H("To", 't'),
	[SIP_HDR_CALL_ID]		= H("Call-ID", 'i'),
	[SIP_HDR_CSEQ]			= H("CSeq", 0),
	[SIP_HDR_MAX_FORWARDS]		= H("Max-Forwards", 0),
	[SIP_HDR_CONTACT]		= H("Contact", 'm'),
	[SIP_HDR_CONTENT_LENGTH]	= H("Content-Length", 'l'),
	[SIP_HDR_CONTENT_TYPE]		= H("Content-Type", 'c'),
	[SIP_HDR_CONTENT_ENCODING]	= H("Content-Encoding", 'e'),
	[SIP_HDR_ROUTE]			= H("Route", 0),
	[SIP_HDR_RECORD_ROUTE]		= H("Record-Route", 0),
	[SIP_HDR_EXPIRES]		= H("Expires", 0),
	[SIP_HDR_MIN_EXPIRES]		= H("Min-Expires", 0),
	[SIP_HDR_REQUIRE]		= H("Require", 0),
	[SIP_HDR_PROXY_REQUIRE]		= H("Proxy-Require", 0),
	[SIP_HDR_SUPPORTED]		= H("Supported", 'k'),
	[SIP_HDR_UNSUPPORTED]		= H("Unsupported", 0),
	[SIP_HDR_ALLOW]			= H("Allow", 0),
	[SIP_HDR_ACCEPT]		= H("Accept", 0),
	[SIP_HDR_DATE]			= H("Date", 0),
	[SIP_HDR_SUBJECT]		= H("Subject", 's'),
	[SIP_HDR_EVENT]			= H("Event", 'o'),
	[SIP_HDR_ALLOW_EVENTS]		= H("Allow-Events", 'u'),
	[SIP_HDR_REFER_TO]		= H("Refer-To", 'r'),
	[SIP_HDR_REFERRED_BY]		= H("Referred-By", 'b'),
	[SIP_HDR_SESSION_EXPIRES]	= H("Session-Expires", 'x'),
	[SIP_HDR_IDENTITY]		= H("Identity", 'y'),
	[SIP_HDR_ACCEPT_CONTACT]	= H("Accept-Contact", 'a'),
	[SIP_HDR_REJECT_CONTACT]	= H("Reject-Contact", 'j'),
	[SIP_HDR_REQUEST_DISPOSITION]	= H("Request-Disposition", 'd'),
	[SIP_HDR_AUTHORIZATION]		= H("Authorization", 0),
	[SIP_HDR_PROXY_AUTHORIZATION]	= H("Proxy-Authorization", 0),
	[SIP_HDR_WWW_AUTHENTICATE]	= H("WWW-Authenticate", 0),
	[SIP_HDR_PROXY_AUTHENTICATE]	= H("Proxy-Authenticate", 0),
	[SIP_HDR_USER_AGENT]		= H("User-Agent", 0),
	[SIP_HDR_SERVER]		= H("Server", 0),
	[SIP_HDR_TIMESTAMP]		= H("Timestamp", 0),
	[SIP_HDR_PATH]			= H("Path", 0),
	[SIP_HDR_RETRY_AFTER]		= H("Retry-After", 0),
};
#undef H

enum sip_hdr_type
sip_hdr_type_from_name(struct sip_str name)
{
	char c0;
	int t;

	if (name.len <= 0)
		return SIP_HDR_OTHER;
	c0 = (char)(name.s[0] | 0x20);
	if (name.len == 1) {
		for (t = 1; t < SIP_HDR__NUM; t++)
			if (hdr_tab[t].compact == c0)
				return (enum sip_hdr_type)t;
		return SIP_HDR_OTHER;
	}
	/* cheap filters first: length and first letter, then the full compare */
	for (t = 1; t < SIP_HDR__NUM; t++)
		if (hdr_tab[t].len == name.len && (hdr_tab[t].name[0] | 0x20) == c0 &&
		    strncasecmp(name.s, hdr_tab[t].name, (size_t)name.len) == 0)
			return (enum sip_hdr_type)t;
	return SIP_HDR_OTHER;
}

const char *
sip_hdr_name(enum sip_hdr_type t)
{
	if ((int)t <= 0 || t >= SIP_HDR__NUM)
		return "";
	return hdr_tab[t].name;
}

static const char *const method_tab[] = {
	[SIP_METHOD_UNKNOWN]	= "UNKNOWN",
	[SIP_METHOD_INVITE]	= "INVITE",
	[SIP_METHOD_ACK]	= "ACK",
	[SIP_METHOD_BYE]	= "BYE",
	[SIP_METHOD_CANCEL]	= "CANCEL",
	[SIP_METHOD_OPTIONS]	= "OPTIONS",
	[SIP_METHOD_REGISTER]	= "REGISTER",
	[SIP_METHOD_PRACK]	= "PRACK",
	[SIP_METHOD_SUBSCRIBE]	= "SUBSCRIBE",
	[SIP_METHOD_NOTIFY]	= "NOTIFY",
	[SIP_METHOD_PUBLISH]	= "PUBLISH",
	[SIP_METHOD_INFO]	= "INFO",
	[SIP_METHOD_REFER]	= "REFER",
	[SIP_METHOD_MESSAGE]	= "MESSAGE",
	[SIP_METHOD_UPDATE]	= "UPDATE",
};

enum sip_method
sip_method_from_str(struct sip_str s)
{
	size_t k;

	for (k = 1; k < sizeof(method_tab) / sizeof(method_tab[0]); k++)
		if ((size_t)s.len == strlen(method_tab[k]) &&
		    memcmp(s.s, method_tab[k], (size_t)s.len) == 0)
			return (enum sip_method)k;
	return SIP_METHOD_UNKNOWN;
}

const char *
sip_method_name(enum sip_method m)
{
	if ((size_t)m >= sizeof(method_tab) / sizeof(method_tab[0]))
		return "UNKNOWN";
	return method_tab[m];
}

/*
 * Cut the header field starting at p.  Returns 1 and fills *h (type
 * included), *next, for a field; 0 with *next after it for the empty line
 * that ends the headers; -EBADMSG for a line that is not "name: value";
 * -EAGAIN when the buffer ends before the field is known to be complete
 * (its last LF must be followed by a byte that is not SP/HT).  With eof
 * (a datagram: nothing follows end), a field whose LF is the last byte is
 * complete and an empty rest counts as the empty line, so a datagram that
 * lost its final CRLF still parses.
 */
int
sip_split_header(const char *p, const char *end, bool eof, struct sip_hdr *h,
		 const char **next)
{
	const char *n0 = p, *q, *lf;

	if (p >= end) {
		if (!eof)
			return -EAGAIN;
		*next = end;
		return 0;
	}
	if (*p == '\n') {
		*next = p + 1;
		return 0;
	}
	if (*p == '\r') {
		if (p + 1 >= end)
			return -EAGAIN;
		if (p[1] == '\n') {
			*next = p + 2;
			return 0;
		}
		return -EBADMSG;
	}
	while (p < end && sip_is_token(*p))
		p++;
	if (p == n0)
		return -EBADMSG;
	h->name = sip_str_mk(n0, p - n0);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= end)
		return -EAGAIN;
	if (*p != ':')
		return -EBADMSG;
	q = ++p;
	for (;;) {
		lf = memchr(q, '\n', end - q);
		if (!lf)
			return -EAGAIN;
		if (lf + 1 >= end) {
			if (!eof)
				return -EAGAIN;
			break;
		}
		if (lf[1] != ' ' && lf[1] != '\t')
			break;
		q = lf + 1;
	}
	h->value = sip_trim(sip_str_mk(p, lf - p));
	if (h->value.len == 0)
		h->value.s = p;
	h->raw = sip_str_mk(n0, lf + 1 - n0);
	h->type = sip_hdr_type_from_name(h->name);
	*next = lf + 1;
	return 1;
}
