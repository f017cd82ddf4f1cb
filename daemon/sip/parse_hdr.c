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

static const struct {
	const char	*name;
	char		 compact;	/* 0 when none */
} hdr_tab[SIP_HDR__NUM] = {
	[SIP_HDR_OTHER]			= { "",				0 },
	[SIP_HDR_VIA]			= { "Via",			'v' },
	[SIP_HDR_FROM]			= { "From",			'f' },
	[SIP_HDR_TO]			= { "To",			't' },
	[SIP_HDR_CALL_ID]		= { "Call-ID",			'i' },
	[SIP_HDR_CSEQ]			= { "CSeq",			0 },
	[SIP_HDR_MAX_FORWARDS]		= { "Max-Forwards",		0 },
	[SIP_HDR_CONTACT]		= { "Contact",			'm' },
	[SIP_HDR_CONTENT_LENGTH]	= { "Content-Length",		'l' },
	[SIP_HDR_CONTENT_TYPE]		= { "Content-Type",		'c' },
	[SIP_HDR_CONTENT_ENCODING]	= { "Content-Encoding",		'e' },
	[SIP_HDR_ROUTE]			= { "Route",			0 },
	[SIP_HDR_RECORD_ROUTE]		= { "Record-Route",		0 },
	[SIP_HDR_EXPIRES]		= { "Expires",			0 },
	[SIP_HDR_MIN_EXPIRES]		= { "Min-Expires",		0 },
	[SIP_HDR_REQUIRE]		= { "Require",			0 },
	[SIP_HDR_PROXY_REQUIRE]		= { "Proxy-Require",		0 },
	[SIP_HDR_SUPPORTED]		= { "Supported",		'k' },
	[SIP_HDR_UNSUPPORTED]		= { "Unsupported",		0 },
	[SIP_HDR_ALLOW]			= { "Allow",			0 },
	[SIP_HDR_ACCEPT]		= { "Accept",			0 },
	[SIP_HDR_DATE]			= { "Date",			0 },
	[SIP_HDR_SUBJECT]		= { "Subject",			's' },
	[SIP_HDR_EVENT]			= { "Event",			'o' },
	[SIP_HDR_ALLOW_EVENTS]		= { "Allow-Events",		'u' },
	[SIP_HDR_REFER_TO]		= { "Refer-To",			'r' },
	[SIP_HDR_REFERRED_BY]		= { "Referred-By",		'b' },
	[SIP_HDR_SESSION_EXPIRES]	= { "Session-Expires",		'x' },
	[SIP_HDR_IDENTITY]		= { "Identity",			'y' },
	[SIP_HDR_ACCEPT_CONTACT]	= { "Accept-Contact",		'a' },
	[SIP_HDR_REJECT_CONTACT]	= { "Reject-Contact",		'j' },
	[SIP_HDR_REQUEST_DISPOSITION]	= { "Request-Disposition",	'd' },
	[SIP_HDR_AUTHORIZATION]		= { "Authorization",		0 },
	[SIP_HDR_PROXY_AUTHORIZATION]	= { "Proxy-Authorization",	0 },
	[SIP_HDR_WWW_AUTHENTICATE]	= { "WWW-Authenticate",		0 },
	[SIP_HDR_PROXY_AUTHENTICATE]	= { "Proxy-Authenticate",	0 },
	[SIP_HDR_USER_AGENT]		= { "User-Agent",		0 },
	[SIP_HDR_SERVER]		= { "Server",			0 },
	[SIP_HDR_TIMESTAMP]		= { "Timestamp",		0 },
	[SIP_HDR_PATH]			= { "Path",			0 },
	[SIP_HDR_RETRY_AFTER]		= { "Retry-After",		0 },
};

enum sip_hdr_type
sip_hdr_type_from_name(struct sip_str name)
{
	int t;

	if (name.len == 1) {
		char c = (char)(name.s[0] | 0x20);

		for (t = 1; t < SIP_HDR__NUM; t++)
			if (hdr_tab[t].compact == c)
				return (enum sip_hdr_type)t;
		return SIP_HDR_OTHER;
	}
	for (t = 1; t < SIP_HDR__NUM; t++)
		if (sip_str_caseeq_cstr(name, hdr_tab[t].name))
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
		if ((size_t)s.len == strlen(method_tab[k]) && memcmp(s.s, method_tab[k], s.len) == 0)
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
