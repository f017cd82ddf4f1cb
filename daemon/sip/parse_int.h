/* SPDX-License-Identifier: GPL-2.0 */
/*
 * parse_int.h - helpers shared by the parse_*.c files of the SIP parser:
 * character classes of RFC 3261 §25.1 and slice scanning.  Internal: not
 * for use outside daemon/sip/{msg,parse_*,build}.c.
 */
#ifndef XR_SIP_PARSE_INT_H
#define XR_SIP_PARSE_INT_H

#include <stdbool.h>

#include "sip/msg.h"

/* SP, HT, and CR/LF of a folded line (values keep their folding). */
static inline bool
sip_is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline bool
sip_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
sip_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool
sip_is_alnum(char c)
{
	return sip_is_alpha(c) || sip_is_digit(c);
}

static inline bool
sip_is_hex(char c)
{
	return sip_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline int
sip_hexval(char c)
{
	if (sip_is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

/* token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
static inline bool
sip_is_token(char c)
{
	if (sip_is_alnum(c))
		return true;
	switch (c) {
	case '-': case '.': case '!': case '%': case '*':
	case '_': case '+': case '`': case '\'': case '~':
		return true;
	}
	return false;
}

/* unreserved = alphanum / mark */
static inline bool
sip_is_unreserved(char c)
{
	if (sip_is_alnum(c))
		return true;
	switch (c) {
	case '-': case '_': case '.': case '!': case '~':
	case '*': case '\'': case '(': case ')':
		return true;
	}
	return false;
}

/* Remove leading and trailing LWS. */
static inline struct sip_str
sip_trim(struct sip_str a)
{
	while (a.len > 0 && sip_is_lws(a.s[0])) {
		a.s++;
		a.len--;
	}
	while (a.len > 0 && sip_is_lws(a.s[a.len - 1]))
		a.len--;
	return a;
}

/* Index of the first non-LWS byte at or after i (or len). */
static inline int
sip_skip_lws(struct sip_str a, int i)
{
	while (i < a.len && sip_is_lws(a.s[i]))
		i++;
	return i;
}

/* Whole slice is a non-empty token. */
static inline bool
sip_str_is_token(struct sip_str a)
{
	int i;

	if (a.len <= 0)
		return false;
	for (i = 0; i < a.len; i++)
		if (!sip_is_token(a.s[i]))
			return false;
	return true;
}

/*
 * Index just after the closing quote of the quoted-string whose opening
 * '"' is at a.s[i], honouring \-escapes; -1 when it is not closed.
 */
static inline int
sip_skip_quoted(struct sip_str a, int i)
{
	for (i++; i < a.len; i++) {
		if (a.s[i] == '\\') {
			i++;
			continue;
		}
		if (a.s[i] == '"')
			return i + 1;
	}
	return -1;
}

/* Decimal with overflow clamped to INT_MAX (delta-seconds); 0 or -EINVAL. */
int	sip_parse_delta(struct sip_str s, int *v);
/* qvalue (RFC 3261 §20.10) as 0..1000; 0 or -EINVAL. */
int	sip_parse_qvalue(struct sip_str s, int *q);
/* rfc1123-date as SIP allows it (§20.17: "GMT" only); 0 or -EINVAL. */
int	sip_parse_date(struct sip_str s);
/* Call-ID syntax (§25.1 callid = word ["@" word]); 0 or -EINVAL. */
int	sip_parse_callid(struct sip_str s);
/* CSeq value: number < 2^31 LWS method; 0 or -EINVAL. */
int	sip_parse_cseq(struct sip_str s, uint32_t *num, struct sip_str *method);
/* Content-Type value; 0 or -EINVAL. */
int	sip_parse_ctype(struct sip_str s, struct sip_ctype *ct);
/* Host (hostname, IPv4, [IPv6]) validity and type; 0 or -EINVAL. */
int	sip_parse_host(struct sip_str h, enum sip_host_type *t);
/* Split a Contact element into *c (no header index); 0 or -EINVAL. */
int	sip_contact_parse(struct sip_str s, struct sip_contact *c);

/*
 * Cut one header field at p (see parse_hdr.c): 1 field, 0 empty line,
 * -EBADMSG not a header line, -EAGAIN the buffer ends first.
 */
int	sip_split_header(const char *p, const char *end, bool eof, struct sip_hdr *h,
			 const char **next);
/*
 * Request-Line or Status-Line (without its CRLF) into m.  0; -EBADMSG with
 * err filled; -EPROTONOSUPPORT with err filled (505) when only the version
 * is wrong, so the caller can still split the headers to answer.
 */
int	sip_parse_start_line(struct sip_msg *m, struct sip_str line, struct sip_err *err);
/* Fill err (kind, code, reason, hdr) and return the matching -errno. */
int	sip_set_err(struct sip_err *err, enum sip_errkind kind, const char *reason, int hdr);

#endif /* XR_SIP_PARSE_INT_H */
