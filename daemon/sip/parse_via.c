// SPDX-License-Identifier: GPL-2.0
/*
 * parse_via.c - one via-parm (RFC 3261 §20.42, §25.1): sent-protocol with
 * LWS allowed around '/', sent-by, and the parameters a proxy and the
 * transaction layer use (branch, received, rport of RFC 3581, maddr, ttl).
 */
#include <errno.h>

#include "sip/msg.h"
#include "sip/parse_int.h"

/* Read a token at *i (after LWS); returns its slice, empty when none. */
static struct sip_str
read_token(struct sip_str s, int *i)
{
	int k = sip_skip_lws(s, *i), t0 = k;

	while (k < s.len && sip_is_token(s.s[k]))
		k++;
	*i = k;
	return sip_str_mk(s.s + t0, k - t0);
}

/* Expect '/' after LWS. */
static bool
expect_slash(struct sip_str s, int *i)
{
	int k = sip_skip_lws(s, *i);

	if (k >= s.len || s.s[k] != '/')
		return false;
	*i = k + 1;
	return true;
}

static enum sip_proto
proto_of(struct sip_str t)
{
	static const struct { const char *n; enum sip_proto p; } tab[] = {
		{ "UDP", SIP_PROTO_UDP }, { "TCP", SIP_PROTO_TCP }, { "TLS", SIP_PROTO_TLS },
		{ "SCTP", SIP_PROTO_SCTP }, { "WS", SIP_PROTO_WS }, { "WSS", SIP_PROTO_WSS },
	};
	size_t k;

	for (k = 0; k < sizeof(tab) / sizeof(tab[0]); k++)
		if (sip_str_caseeq_cstr(t, tab[k].n))
			return tab[k].p;
	return SIP_PROTO_OTHER;
}

static int
parse_port(struct sip_str v, int *port)
{
	int i, p = 0;

	if (v.len < 1 || v.len > 5)
		return -EINVAL;
	for (i = 0; i < v.len; i++) {
		if (!sip_is_digit(v.s[i]))
			return -EINVAL;
		p = p * 10 + (v.s[i] - '0');
	}
	if (p < 1 || p > 65535)
		return -EINVAL;
	*port = p;
	return 0;
}

int
sip_via_parse(struct sip_str s, struct sip_via *v)
{
	struct sip_str name, ver, n, val;
	enum sip_host_type ht;
	int i = 0, h0, pos, rc;

	memset(v, 0, sizeof(*v));
	v->ttl = -1;
	v->hdr = -1;
	s = sip_trim(s);
	v->value = s;
	name = read_token(s, &i);
	if (!sip_str_caseeq_cstr(name, "SIP") || !expect_slash(s, &i))
		return -EINVAL;
	ver = read_token(s, &i);
	if (!sip_str_eq(ver, SIP_STR("2.0")) || !expect_slash(s, &i))
		return -EINVAL;
	v->transport = read_token(s, &i);
	if (v->transport.len == 0)
		return -EINVAL;
	v->proto = proto_of(v->transport);
	/* LWS then sent-by */
	if (i >= s.len || !sip_is_lws(s.s[i]))
		return -EINVAL;
	i = sip_skip_lws(s, i);
	h0 = i;
	if (i < s.len && s.s[i] == '[') {
		while (i < s.len && s.s[i] != ']')
			i++;
		if (i < s.len)
			i++;
	} else {
		while (i < s.len && s.s[i] != ':' && s.s[i] != ';' && !sip_is_lws(s.s[i]))
			i++;
	}
	v->host = sip_str_mk(s.s + h0, i - h0);
	if (sip_parse_host(v->host, &ht))
		return -EINVAL;
	v->host_type = ht;
	i = sip_skip_lws(s, i);
	if (i < s.len && s.s[i] == ':') {
		int p0;

		i = sip_skip_lws(s, i + 1);
		p0 = i;
		while (i < s.len && sip_is_digit(s.s[i]))
			i++;
		if (parse_port(sip_str_mk(s.s + p0, i - p0), &v->port))
			return -EINVAL;
	}
	v->params = sip_str_mk(s.s + i, s.len - i);
	pos = 0;
	while ((rc = sip_param_next(v->params, &pos, &n, &val)) == 1) {
		if (sip_str_caseeq_cstr(n, "branch")) {
			if (!sip_str_present(val) || !sip_str_is_token(val))
				return -EINVAL;
			v->branch = val;
		} else if (sip_str_caseeq_cstr(n, "received")) {
			if (!sip_str_present(val))
				return -EINVAL;
			v->received = val;
		} else if (sip_str_caseeq_cstr(n, "maddr")) {
			if (!sip_str_present(val))
				return -EINVAL;
			v->maddr = val;
		} else if (sip_str_caseeq_cstr(n, "ttl")) {
			if (sip_parse_uint(val, &v->ttl) || v->ttl > 255)
				return -EINVAL;
		} else if (sip_str_caseeq_cstr(n, "rport")) {
			v->rport = true;
			if (sip_str_present(val) && parse_port(val, &v->rport_val))
				return -EINVAL;
		} else if (!sip_str_is_token(n)) {
			return -EINVAL;
		}
	}
	if (rc < 0)
		return rc;
	return 0;
}
