// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_sip.c - libFuzzer harness for the SIP parser and builder: frame the
 * input as a stream would, parse it as a datagram, walk every on-demand
 * view (Via, Contact, Route/Record-Route, tokens, Content-Type, URIs, AOR,
 * comparison), build a response and a forwarded copy, and parse those
 * again: what we build must always parse.  Seeds: tests/fuzz/seeds/fuzz_sip.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/build.h"
#include "sip/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char out[SIP_MAX_MSG_SIZE + 4096];
static char out2[SIP_MAX_MSG_SIZE + 4096];

static void
touch_uri(struct sip_str s, const struct sip_uri *other)
{
	struct sip_uri u;
	char aor[512], un[512];
	struct sip_str n, v;
	int pos = 0;

	if (sip_uri_parse(s, &u))
		return;
	(void)sip_uri_aor(&u, aor, sizeof(aor));
	(void)sip_unescape(u.user, un, sizeof(un));
	while (sip_param_next(u.params, &pos, &n, &v) == 1)
		;
	if (other)
		(void)sip_uri_eq(&u, other);
	(void)sip_uri_eq(&u, &u);
}

/* Every slice the parser hands out lies inside the input. */
static void
in_buf(const struct sip_msg *m, size_t size, struct sip_str s)
{
	if (!s.s)
		return;
	if (s.len < 0 || s.s < m->buf || s.s + s.len > m->buf + size)
		abort();
}

static void
check_bounds(const struct sip_msg *m, size_t size)
{
	int i;

	for (i = 0; i < m->nhdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];

		in_buf(m, size, h->raw);
		in_buf(m, size, h->name);
		in_buf(m, size, h->value);
		if (h->value.s < h->raw.s || h->value.s + h->value.len > h->raw.s + h->raw.len)
			abort();
	}
	in_buf(m, size, m->body);
	in_buf(m, size, m->ruri);
	in_buf(m, size, m->via1.host);
	in_buf(m, size, m->via1.branch);
	in_buf(m, size, m->from.uri);
	in_buf(m, size, m->to.tag);
	in_buf(m, size, m->call_id);
	if (m->len > (int)size || m->trailing < 0 || m->body.len + m->trailing > (int)size)
		abort();
}

static void
touch_views(const struct sip_msg *m)
{
	static const enum sip_hdr_type toks[] = {
		SIP_HDR_REQUIRE, SIP_HDR_PROXY_REQUIRE, SIP_HDR_SUPPORTED, SIP_HDR_ALLOW,
		SIP_HDR_ACCEPT, SIP_HDR_UNSUPPORTED,
	};
	struct sip_iter it = { 0 };
	struct sip_via v;
	struct sip_contact c;
	struct sip_nameaddr na;
	struct sip_uri u;
	struct sip_ctype ct;
	struct sip_str tok;
	const struct sip_hdr *h;
	size_t k;
	int i;

	while (sip_msg_via_next(m, &it, &v) == 1)
		;
	(void)sip_msg_via(m, 1, &v);
	memset(&it, 0, sizeof(it));
	while (sip_msg_contact_next(m, &it, &c) == 1)
		if (!c.star)
			touch_uri(c.na.uri, m->is_request ? &m->ruri_u : NULL);
	memset(&it, 0, sizeof(it));
	while (sip_msg_route_next(m, SIP_HDR_ROUTE, &it, &na, &u) == 1)
		;
	memset(&it, 0, sizeof(it));
	while (sip_msg_route_next(m, SIP_HDR_RECORD_ROUTE, &it, &na, &u) == 1)
		;
	for (k = 0; k < sizeof(toks) / sizeof(toks[0]); k++) {
		memset(&it, 0, sizeof(it));
		while (sip_msg_token_next(m, toks[k], &it, &tok) == 1)
			;
		(void)sip_msg_has_token(m, toks[k], "100rel");
	}
	(void)sip_msg_ctype(m, &ct);
	if (m->first[SIP_HDR_FROM] >= 0)
		touch_uri(m->from.uri, NULL);
	if (m->first[SIP_HDR_TO] >= 0)
		touch_uri(m->to.uri, m->is_request ? &m->ruri_u : NULL);
	for (i = 0; i < m->nhdrs; i++)
		for (h = &m->hdrs[i]; h; h = sip_msg_hdr_next(m, h))
			if (h - m->hdrs > i + 2)
				break;
	(void)sip_msg_hdr_by_name(m, "X-Unknown");
}

/*
 * What we build from a parsed message must parse, unless the edits pushed
 * it over a limit (SIP_MAX_MSG_SIZE bytes, SIP_MAX_HEADERS lines).
 */
static void
reparse(const char *buf, int n, int nhdrs_in)
{
	static struct sip_msg r;
	struct sip_err err;

	if (n <= 0 || n > SIP_MAX_MSG_SIZE)
		return;
	if (sip_msg_parse(&r, buf, (size_t)n, &err) == 0)
		return;
	if (err.kind == SIP_E_TOO_MANY_HDRS && nhdrs_in + 8 > SIP_MAX_HEADERS)
		return;
	abort();
}

static void
build_forward(const struct sip_msg *m)
{
	struct sip_str ctype = SIP_STR("application/sdp");
	struct sip_edit e;
	int i, n;

	sip_edit_init(&e, m);
	if (m->is_request) {
		(void)sip_edit_ruri(&e, SIP_STR("sip:target@192.0.2.99:5070;transport=udp"));
		(void)sip_edit_via_received(&e, SIP_STR("203.0.113.7"), 40000);
		(void)sip_edit_push_via(&e, SIP_STR("SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKfz"));
		if (m->first[SIP_HDR_ROUTE] >= 0)
			(void)sip_edit_pop_route(&e);
		(void)sip_edit_push_rr(&e, SIP_STR("<sip:198.51.100.1;lr>"));
		if (m->max_forwards != 0)
			(void)sip_edit_dec_maxfwd(&e);
		(void)sip_edit_body(&e, SIP_STR("v=0\r\n"), &ctype);
		(void)sip_edit_push_route(&e, SIP_STR("<sip:strict.example.com>"));
		(void)sip_edit_add_hdr(&e, SIP_STR("X-Fz"), SIP_STR("1"));
		for (i = 0; i < m->nhdrs; i++) {
			/* unknown headers can go or change without breaking anything */
			if (m->hdrs[i].type != SIP_HDR_OTHER)
				continue;
			if (i & 1)
				(void)sip_edit_del_hdr(&e, i);
			else
				(void)sip_edit_set_hdr(&e, i, SIP_STR("changed"));
			break;
		}
	} else if (m->nvia > 1) {
		(void)sip_edit_pop_via(&e);
	}
	n = sip_edit_build(&e, out2, sizeof(out2));
	if (n > 0 && (m->is_request || m->nvia > 1))
		reparse(out2, n, m->nhdrs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_msg m;
	struct sip_err err;
	struct sip_str tag = SIP_STR("fz1");
	const char *buf = (const char *)data;
	int rc, n;

	(void)sip_frame_length(buf, size);
	(void)sip_frame_skip_crlf(buf, size);
	rc = sip_msg_parse(&m, buf, size, &err);
	if (rc) {
		if (!err.reason || err.code < 400)
			abort();
		if (err.can_reply)
			(void)sip_build_response(out, sizeof(out), &m, err.code, err.reason, &tag,
						 NULL, NULL, NULL);
		return 0;
	}
	check_bounds(&m, size);
	touch_views(&m);
	if (m.is_request) {
		if (sip_msg_check_request(&m, &err) == 0 && m.method != SIP_METHOD_ACK) {
			n = sip_build_response(out, sizeof(out), &m, 200, NULL, &tag,
					       NULL, NULL, NULL);
			reparse(out, n, m.nhdrs);
		}
	}
	build_forward(&m);
	return 0;
}
