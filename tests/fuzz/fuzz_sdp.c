// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_sdp.c - libFuzzer harness for daemon/sdp: parse arbitrary bytes as a
 * description (or, by the first byte, as "Content-Type line + body" through
 * sdp_locate first), rewrite what parses towards a v4 or v6 relay at every
 * kind of cap, and check the invariants: slices inside the input, nothing
 * written past cap, -ENOSPC exactly when the output does not fit, the output
 * re-parses to the same streams on the requested ports, and rewriting it
 * again changes nothing.  Seeds: tests/fuzz/seeds/fuzz_sdp.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_CAP	(SDP_MAX_LEN + 8192)

static char out[OUT_CAP + 64];
static char out2[OUT_CAP];
static char small[OUT_CAP + 64];

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_sdp: %s:%d: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

static void
in_buf(const char *buf, size_t len, struct sip_str s)
{
	CHECK(s.s && s.len >= 0 && s.s >= buf && s.s + s.len <= buf + len);
}

static void
check_parsed(const char *buf, size_t len, const struct sdp *p)
{
	int i;

	CHECK(p->n_media >= 0 && p->n_media <= SDP_MAX_MEDIA);
	for (i = 0; i < p->n_media; i++) {
		const struct sdp_media *m = &p->m[i];

		in_buf(buf, len, m->type);
		in_buf(buf, len, m->proto);
		in_buf(buf, len, m->fmts);
		CHECK(m->type.len > 0 && m->proto.len > 0 && m->nports >= 1);
		CHECK(m->dir <= MEDIA_INACTIVE);
		CHECK(strcmp(sdp_dir_name(m->dir), "unknown"));
		if (m->port) {
			CHECK(m->rtp.sa.sa_family == AF_INET || m->rtp.sa.sa_family == AF_INET6);
			CHECK(xr_sa_port(&m->rtp) == m->port);
		}
		CHECK(m->conn_null == (m->rtp.sa.sa_family && xr_sa_is_any(&m->rtp)));
	}
}

static void
relay_for(union xr_sa *sa, bool v6, uint16_t port, int i)
{
	char ip[64];

	if (v6)
		snprintf(ip, sizeof(ip), "[2001:db8::%x]:%u", i + 1, port);
	else
		snprintf(ip, sizeof(ip), "192.0.2.%d:%u", i + 1, port);
	if (xr_sa_parse(sa, ip, -1) < 0)
		abort();
}

static void
rewrite_checks(const char *buf, size_t len, const struct sdp *p, uint8_t flags,
	       const uint8_t *seed, size_t seedlen)
{
	struct sdp_rewrite_media rw[SDP_MAX_MEDIA];
	struct sdp q;
	size_t cap, k;
	int i, rc, rc2;

	memset(rw, 0, sizeof(rw));
	for (i = 0; i < p->n_media; i++) {
		/* ports from the input; now and then 0: the relay rejects it */
		uint16_t port = seedlen ? (uint16_t)(seed[i % seedlen] * 257u + 2u * i) : 30000;

		relay_for(&rw[i].local, flags & 1, port, (flags & 2) ? i : 0);
	}
	rc = sdp_rewrite(buf, len, p, rw, p->n_media, out, OUT_CAP);
	CHECK(rc >= 0);
	CHECK((size_t)rc <= OUT_CAP);

	/* a cap short by some bytes: -ENOSPC, nothing past cap touched */
	cap = (size_t)rc > 0 ? (size_t)rc - 1 - (seedlen ? seed[0] % ((size_t)rc) : 0) : 0;
	memset(small, 0x5a, cap + 64);
	rc2 = sdp_rewrite(buf, len, p, rw, p->n_media, small, cap);
	CHECK(rc == 0 ? rc2 == 0 : rc2 == -ENOSPC);
	for (k = cap; k < cap + 64; k++)
		CHECK((unsigned char)small[k] == 0x5a);
	/* the exact cap fits */
	rc2 = sdp_rewrite(buf, len, p, rw, p->n_media, small, (size_t)rc);
	CHECK(rc2 == rc && !memcmp(small, out, (size_t)rc));

	if (rc > SDP_MAX_LEN) {
		CHECK(sdp_parse(out, (size_t)rc, &q, NULL, 0) == -E2BIG);
		return;
	}
	if (sdp_parse(out, (size_t)rc, &q, NULL, 0) != 0) {
		char err[160];

		sdp_parse(out, (size_t)rc, &q, err, sizeof(err));
		fprintf(stderr, "fuzz_sdp: output does not parse: %s\n", err);
		abort();
	}
	check_parsed(out, (size_t)rc, &q);
	CHECK(q.n_media == p->n_media);
	for (i = 0; i < q.n_media; i++) {
		const struct sdp_media *a = &p->m[i], *b = &q.m[i];
		uint16_t want = a->port ? xr_sa_port(&rw[i].local) : 0;

		CHECK(b->port == want);
		CHECK(b->nports == 1);
		CHECK(sip_str_eq(a->type, b->type));
		CHECK(sip_str_eq(a->proto, b->proto));
		CHECK(sip_str_eq(a->fmts, b->fmts));
		CHECK(a->rtcp_mux == b->rtcp_mux);
		if (!want)
			continue;
		CHECK(b->has_rtcp_attr);
		CHECK(a->conn_null == b->conn_null);
		CHECK(a->dir == b->dir);
		if (b->conn_null)
			continue;
		/* one relay address for all streams, the first live one's */
		for (k = 0; k < (size_t)p->n_media; k++)
			if (p->m[k].port && xr_sa_port(&rw[k].local))
				break;
		CHECK(xr_sa_ip_eq(&b->rtp, &rw[k].local));
		CHECK(xr_sa_ip_eq(&b->rtcp, &rw[k].local));
		CHECK(xr_sa_port(&b->rtcp) == (b->rtcp_mux ? want : (uint16_t)(want + 1)));
	}
	/* a fixpoint: the rewritten description rewrites to itself */
	rc2 = sdp_rewrite(out, (size_t)rc, &q, rw, q.n_media, out2, sizeof(out2));
	CHECK(rc2 == rc && !memcmp(out, out2, (size_t)rc));
}

static void
one_sdp(const char *buf, size_t len, uint8_t flags, const uint8_t *seed, size_t seedlen)
{
	char err[160];
	struct sdp p;
	int rc;

	memset(err, 0x5a, sizeof(err));
	rc = sdp_parse(buf, len, &p, err, sizeof(err));
	CHECK(memchr(err, '\0', sizeof(err)) && !strchr(err, '\n'));
	if (rc) {
		CHECK(rc == -EINVAL || rc == -E2BIG);
		return;
	}
	check_parsed(buf, len, &p);
	rewrite_checks(buf, len, &p, flags, seed, seedlen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf;
	uint8_t flags;

	if (size < 1)
		return 0;
	flags = data[0];
	buf = (const char *)data + 1;
	size--;
	if (flags & 0x80) {
		/* "<Content-Type value>\n<body>" */
		const char *nl = memchr(buf, '\n', size);
		size_t cl = nl ? (size_t)(nl - buf) : size, off = 0, slen = 0;
		const char *body = nl ? nl + 1 : buf + size;
		size_t blen = size - (size_t)(body - buf);
		int rc;

		rc = sdp_locate(sip_str_mk(buf, (int)cl), body, blen, &off, &slen);
		CHECK(rc == 0 || rc == -ENOENT || rc == -EINVAL);
		if (rc == 0) {
			CHECK(off <= blen && slen <= blen - off);
			one_sdp(body + off, slen, flags, data, 8 < size ? 8 : size);
		}
		return 0;
	}
	one_sdp(buf, size, flags, data, 8 < size ? 8 : size);
	return 0;
}
