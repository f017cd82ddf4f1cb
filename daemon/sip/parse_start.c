// SPDX-License-Identifier: GPL-2.0
/*
 * parse_start.c - the first line (RFC 3261 §7.1, §7.2): Request-Line
 * "Method SP Request-URI SP SIP-Version" and Status-Line "SIP-Version SP
 * Status-Code SP Reason-Phrase", with exactly one SP between elements
 * (RFC 4475 lwsstart, trws, lwsruri are rejected), a Request-URI that is
 * a URI and nothing else (ltgtruri, escruri), a 3-digit code (bigcode).
 */
#include <errno.h>

#include "sip/msg.h"
#include "sip/parse_int.h"

/*
 * SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT.  0 for SIP/2.0, 1 for a
 * well-formed other version, -1 for anything else.
 */
static int
check_version(struct sip_str v)
{
	int i = 4, d1 = 0, d2 = 0;

	if (v.len < 7 || strncasecmp(v.s, "SIP/", 4) != 0)
		return -1;
	while (i < v.len && sip_is_digit(v.s[i])) {
		i++;
		d1++;
	}
	if (d1 == 0 || i >= v.len || v.s[i] != '.')
		return -1;
	for (i++; i < v.len && sip_is_digit(v.s[i]); i++)
		d2++;
	if (d2 == 0 || i != v.len)
		return -1;
	return memcmp(v.s + 4, "2.0", 3) == 0 && v.len == 7 ? 0 : 1;
}

static int
status_line(struct sip_msg *m, struct sip_str line, struct sip_err *err)
{
	const char *sp = memchr(line.s, ' ', line.len);
	const char *p, *end = line.s + line.len;
	int vrc, code = 0, nd = 0;

	if (!sp)
		return sip_set_err(err, SIP_E_START_LINE, "Bad Status-Line", -1);
	m->version = sip_str_mk(line.s, sp - line.s);
	vrc = check_version(m->version);
	if (vrc < 0)
		return sip_set_err(err, SIP_E_START_LINE, "Bad Status-Line", -1);
	for (p = sp + 1; p < end && sip_is_digit(*p); p++, nd++)
		if (nd < 4)
			code = code * 10 + (*p - '0');
	if (nd != 3 || code < 100 || code > 699 || (p < end && *p != ' '))
		return sip_set_err(err, SIP_E_STATUS, "Bad Status Code", -1);
	m->status = code;
	if (p < end)
		p++;
	m->reason = sip_str_mk(p, end - p);
	for (; p < end; p++)
		if (*p == '\r' || *p == '\n')
			return sip_set_err(err, SIP_E_START_LINE, "Bad Reason-Phrase", -1);
	if (vrc > 0)
		return sip_set_err(err, SIP_E_VERSION, "Version Not Supported", -1);
	return 0;
}

static int
request_line(struct sip_msg *m, struct sip_str line, struct sip_err *err)
{
	const char *end = line.s + line.len, *p = line.s, *u0, *v0;
	int vrc, i;

	while (p < end && sip_is_token(*p))
		p++;
	if (p == line.s || p >= end || *p != ' ')
		return sip_set_err(err, SIP_E_START_LINE, "Bad Request-Line", -1);
	m->method_str = sip_str_mk(line.s, p - line.s);
	m->method = sip_method_from_str(m->method_str);
	u0 = ++p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	if (p == u0 || p >= end || *p != ' ')
		return sip_set_err(err, SIP_E_START_LINE, "Bad Request-Line", -1);
	m->ruri = sip_str_mk(u0, p - u0);
	v0 = ++p;
	m->version = sip_str_mk(v0, end - v0);
	vrc = check_version(m->version);
	if (vrc < 0)
		return sip_set_err(err, SIP_E_START_LINE, "Bad Request-Line", -1);
	for (i = 0; i < m->ruri.len; i++) {
		unsigned char c = (unsigned char)m->ruri.s[i];

		if (c < 0x21 || c == 0x7f)
			return sip_set_err(err, SIP_E_RURI, "Bad Request-URI", -1);
	}
	if (sip_uri_parse(m->ruri, &m->ruri_u))
		return sip_set_err(err, SIP_E_RURI, "Bad Request-URI", -1);
	/* §19.1.5: headers are not allowed in a Request-URI (escruri) */
	if ((m->ruri_u.scheme == SIP_SCHEME_SIP || m->ruri_u.scheme == SIP_SCHEME_SIPS) &&
	    sip_str_present(m->ruri_u.headers))
		return sip_set_err(err, SIP_E_RURI, "Bad Request-URI: Headers Not Allowed", -1);
	if (vrc > 0)
		return sip_set_err(err, SIP_E_VERSION, "Version Not Supported", -1);
	return 0;
}

int
sip_parse_start_line(struct sip_msg *m, struct sip_str line, struct sip_err *err)
{
	if (line.len >= 4 && strncasecmp(line.s, "SIP/", 4) == 0) {
		m->is_request = false;
		return status_line(m, line, err);
	}
	m->is_request = true;
	return request_line(m, line, err);
}
