// SPDX-License-Identifier: GPL-2.0
/*
 * parse_scalar.c - single-value headers with a fixed grammar: numbers
 * (Content-Length, Max-Forwards, Expires), CSeq (§20.16), Call-ID (§20.8),
 * Date (§20.17), Content-Type (§20.15).  Overflow is an error where the
 * RFC bounds the value (CSeq < 2^31, RFC 4475 scalar02/scalarlg) and is
 * clamped where it is a delta-seconds.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>

#include "sip/msg.h"
#include "sip/parse_int.h"

/*
 * Digits only (after trimming LWS) into *v.  Past INT_MAX: -EINVAL, or with
 * saturate the value INT_MAX (delta-seconds, RFC 3261 §25.1 and §20.19).
 */
static int
parse_digits(struct sip_str s, int *v, bool saturate)
{
	long long x = 0;
	int i;

	s = sip_trim(s);
	if (s.len < 1)
		return -EINVAL;
	for (i = 0; i < s.len; i++) {
		if (!sip_is_digit(s.s[i]))
			return -EINVAL;
		if (x <= INT_MAX)
			x = x * 10 + (s.s[i] - '0');
		if (x > INT_MAX && !saturate)
			return -EINVAL;
	}
	*v = x > INT_MAX ? INT_MAX : (int)x;
	return 0;
}

int
sip_parse_uint(struct sip_str s, int *v)
{
	return parse_digits(s, v, false);
}

int
sip_parse_delta(struct sip_str s, int *v)
{
	return parse_digits(s, v, true);
}

int
sip_parse_cseq(struct sip_str s, uint32_t *num, struct sip_str *method)
{
	uint64_t x = 0;
	int i = 0, m0;

	s = sip_trim(s);
	while (i < s.len && sip_is_digit(s.s[i])) {
		x = x * 10 + (uint64_t)(s.s[i] - '0');
		if (x >= (1ULL << 31))
			return -EINVAL;
		i++;
	}
	if (i == 0 || i >= s.len || !sip_is_lws(s.s[i]))
		return -EINVAL;
	i = sip_skip_lws(s, i);
	m0 = i;
	while (i < s.len && sip_is_token(s.s[i]))
		i++;
	if (i == m0 || i != s.len)
		return -EINVAL;
	*num = (uint32_t)x;
	*method = sip_str_mk(s.s + m0, i - m0);
	return 0;
}

/* word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" /
 *          "~" / "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" /
 *          "]" / "?" / "{" / "}" ) */
static bool
is_word(char c)
{
	if (sip_is_token(c))
		return true;
	switch (c) {
	case '(': case ')': case '<': case '>': case ':': case '\\': case '"':
	case '/': case '[': case ']': case '?': case '{': case '}':
		return true;
	}
	return false;
}

int
sip_parse_callid(struct sip_str s)
{
	int i, at = 0;

	s = sip_trim(s);
	if (s.len < 1)
		return -EINVAL;
	for (i = 0; i < s.len; i++) {
		if (s.s[i] == '@') {
			if (at++ || i == 0 || i == s.len - 1)
				return -EINVAL;
		} else if (!is_word(s.s[i])) {
			return -EINVAL;
		}
	}
	return 0;
}

static bool
match_one(struct sip_str s, int i, const char *const *tab, int n)
{
	int k;

	for (k = 0; k < n; k++)
		if (i + 3 <= s.len && strncmp(s.s + i, tab[k], 3) == 0)
			return true;
	return false;
}

static bool
digits(struct sip_str s, int i, int n)
{
	int k;

	if (i + n > s.len)
		return false;
	for (k = 0; k < n; k++)
		if (!sip_is_digit(s.s[i + k]))
			return false;
	return true;
}

/* "Sat, 13 Nov 2010 23:29:00 GMT" exactly (rfc1123-date, SIP-date §25.1). */
int
sip_parse_date(struct sip_str s)
{
	static const char *const wk[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

	s = sip_trim(s);
	if (s.len != 29)
		return -EINVAL;
	if (!match_one(s, 0, wk, 7) || s.s[3] != ',' || s.s[4] != ' ' || !digits(s, 5, 2) ||
	    s.s[7] != ' ' || !match_one(s, 8, mo, 12) || s.s[11] != ' ' || !digits(s, 12, 4) ||
	    s.s[16] != ' ' || !digits(s, 17, 2) || s.s[19] != ':' || !digits(s, 20, 2) ||
	    s.s[22] != ':' || !digits(s, 23, 2) || s.s[25] != ' ' ||
	    memcmp(s.s + 26, "GMT", 3) != 0)
		return -EINVAL;
	return 0;
}

int
sip_parse_ctype(struct sip_str s, struct sip_ctype *ct)
{
	struct sip_str n, v;
	int i = 0, t0, pos = 0, rc;

	memset(ct, 0, sizeof(*ct));
	s = sip_trim(s);
	t0 = i;
	while (i < s.len && sip_is_token(s.s[i]))
		i++;
	ct->type = sip_str_mk(s.s + t0, i - t0);
	i = sip_skip_lws(s, i);
	if (ct->type.len == 0 || i >= s.len || s.s[i] != '/')
		return -EINVAL;
	i = sip_skip_lws(s, i + 1);
	t0 = i;
	while (i < s.len && sip_is_token(s.s[i]))
		i++;
	ct->subtype = sip_str_mk(s.s + t0, i - t0);
	if (ct->subtype.len == 0)
		return -EINVAL;
	ct->params = sip_str_mk(s.s + i, s.len - i);
	while ((rc = sip_param_next(ct->params, &pos, &n, &v)) == 1)
		if (!sip_str_present(v))
			return -EINVAL;
	return rc;
}
