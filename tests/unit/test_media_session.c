// SPDX-License-Identifier: GPL-2.0
/*
 * test_media_session.c - media sessions with the userspace relay thread
 * running for real on loopback (fp == NULL): relaying both ways with exact
 * payloads and addressing, RTP Bleed drops, delete, update, direction,
 * half sessions, exhaustion, --max-media-sessions, media timeout,
 * IPv4<->IPv6, and the kernel flows written to real (unattached) BPF maps.
 * All waits bounded.
 * Ports: a block of 200 below the ephemeral range picked by PID (relay
 * ports BASE..BASE+49, parties BASE+100..), so parallel runs do not collide.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include <jansson.h>
#include <urcu.h>

#include "common/log.h"
#include "fastpath/fastpath.h"
#include "media/media.h"

static struct xr_config cfg;
static uint16_t BASE;	/* first port of this run's block (main) */

static union xr_sa
SA(const char *s)
{
	union xr_sa sa;

	assert_int_equal(xr_sa_parse(&sa, s, 0), 0);
	return sa;
}

/* Party endpoint number off of this run: ip, port BASE + 100 + off. */
static union xr_sa
EP(const char *ip, int off)
{
	union xr_sa sa;

	assert_int_equal(xr_sa_parse_ip(&sa, ip), 0);
	xr_sa_set_port(&sa, (uint16_t)(BASE + 100 + off));
	return sa;
}

#ifndef IPV6_FLOWINFO
#define IPV6_FLOWINFO	11	/* linux/in6.h */
#endif

static int party(const char *s);

/* A party's socket at EP(ip, off). */
static int
party_at(const char *ip, int off)
{
	union xr_sa sa = EP(ip, off);
	char b[XR_SA_STRLEN];

	return party(xr_sa_str(&sa, b, sizeof(b)));
}

/* A party's socket bound to s, reporting the TTL / hop limit of what it gets. */
static int
party(const char *s)
{
	union xr_sa sa = SA(s);
	int one = 1, fd = socket(sa.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (sa.sa.sa_family == AF_INET6) {
		assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one,
					    sizeof(one)), 0);
		assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one,
					    sizeof(one)), 0);
		assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_FLOWINFO, &one,
					    sizeof(one)), 0);
	} else {
		assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one)), 0);
		assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one)), 0);
	}
	assert_int_equal(bind(fd, &sa.sa, xr_sa_len(&sa)), 0);
	return fd;
}

static void
send_to(int fd, const void *buf, size_t len, const union xr_sa *dst)
{
	assert_int_equal(sendto(fd, buf, len, 0, &dst->sa, xr_sa_len(dst)), (ssize_t)len);
}

static void
send_str(int fd, const char *s, const union xr_sa *dst)
{
	send_to(fd, s, strlen(s), dst);
}

/* TOS / traffic class of the last datagram recv_wait() returned. */
static int last_tos;
/* IPv6 flow label of that datagram (the kernel sends no cmsg for 0). */
static uint32_t last_flowlabel;

/* One datagram within ms, or -1.  *from and *ttl when given. */
static int
recv_wait(int fd, void *buf, size_t len, union xr_sa *from, int *ttl, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	union { char b[CMSG_SPACE(sizeof(int)) * 4]; struct cmsghdr a; } cb;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	union xr_sa f;
	struct msghdr mh = {
		.msg_name = &f, .msg_namelen = sizeof(f), .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cb.b, .msg_controllen = sizeof(cb.b),
	};
	ssize_t n;

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	if (n < 0)
		return -1;
	last_tos = -1;
	last_flowlabel = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (ttl && ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
			    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)))
			memcpy(ttl, CMSG_DATA(c), sizeof(int));
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS)
			last_tos = *(unsigned char *)CMSG_DATA(c);
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS)
			memcpy(&last_tos, CMSG_DATA(c), sizeof(int));
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_FLOWINFO) {
			uint32_t fi;

			memcpy(&fi, CMSG_DATA(c), sizeof(fi));
			last_flowlabel = ntohl(fi) & 0xfffff;
		}
	}
	if (from)
		*from = f;
	return (int)n;
}

/* Expect exactly payload s on fd, sent from `from` with the relay's TTL. */
static void
expect_str(int fd, const char *s, const union xr_sa *from)
{
	char buf[2048];
	union xr_sa f;
	int ttl = -1, n = recv_wait(fd, buf, sizeof(buf), &f, &ttl, 2000);

	assert_int_equal(n, (int)strlen(s));
	assert_memory_equal(buf, s, strlen(s));
	assert_true(xr_sa_eq(&f, from));
	assert_int_equal(ttl, MEDIA_TTL);
}

static void
expect_nothing(int fd, int ms)
{
	char buf[2048];

	assert_int_equal(recv_wait(fd, buf, sizeof(buf), NULL, NULL, ms), -1);
}

static union xr_sa
local_of(uint64_t id, enum media_side_id side, bool rtcp)
{
	struct media_session_info si;
	union xr_sa sa;

	assert_int_equal(media_session_info(id, &si), 0);
	sa = si.side[side].local_rtp;
	if (rtcp)
		xr_sa_set_port(&sa, (uint16_t)(xr_sa_port(&sa) + 1));
	return sa;
}

/* A number in the flows row (session id, side, leg), under "userspace" unless top. */
static long long
flow_num(uint64_t id, const char *side, const char *leg, const char *key)
{
	json_t *rows = media_flows_json(), *row;
	long long v = -1;
	size_t i;

	assert_true(json_is_array(rows));
	json_array_foreach(rows, i, row) {
		if ((uint64_t)json_integer_value(json_object_get(row, "session")) != id ||
		    strcmp(json_string_value(json_object_get(row, "side")), side) ||
		    strcmp(json_string_value(json_object_get(row, "leg")), leg))
			continue;
		v = json_integer_value(json_object_get(json_object_get(row, "userspace"), key));
	}
	json_decref(rows);
	return v;
}

/* Wait (bounded) until the relay has counted want; returns the last value seen. */
static long long
wait_num(uint64_t id, const char *side, const char *leg, const char *key, long long want)
{
	long long v = -1;

	for (int i = 0; i < 200; i++) {
		v = flow_num(id, side, leg, key);
		if (v == want)
			break;
		usleep(10000);
	}
	return v;
}

static int
stats_in_use(void)
{
	json_t *st = media_stats_json();
	int n = (int)json_integer_value(json_object_get(
		json_array_get(json_object_get(st, "ports"), 0), "pairs_in_use"));

	json_decref(st);
	return n;
}

static void
cfg_reset(uint16_t lo, uint16_t hi)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.media[0] = SA("127.0.0.1");
	cfg.nmedia = 1;
	cfg.port_lo = lo;
	cfg.port_hi = hi;
	cfg.latch = XR_LATCH_STRICT;
	cfg.media_timeout = 0;
}

static int
setup(void **state)
{
	cfg_reset(BASE, BASE + 19);
	return 0;
}

static void
start(void)
{
	assert_int_equal(media_init(&cfg, NULL), 0);
	assert_int_equal(media_start(), 0);
}

/* Parties A, B (RTP, RTCP), an attacker C. */
struct parties {
	int		a, a_c, b, b_c, c;
	union xr_sa	sa, sa_c, sb, sb_c;
};

static struct parties *open_parties;
static void parties_close(struct parties *p);

static int
teardown(void **state)
{
	if (open_parties)
		parties_close(open_parties);
	media_stop();
	media_set_timeout_cb(NULL, NULL);
	return 0;
}

static void
parties_open(struct parties *p)
{
	p->a = party_at("127.0.0.1", 0);
	p->a_c = party_at("127.0.0.1", 1);
	p->b = party_at("127.0.0.1", 10);
	p->b_c = party_at("127.0.0.1", 11);
	p->c = party_at("127.0.0.1", 20);
	p->sa = EP("127.0.0.1", 0);
	p->sa_c = EP("127.0.0.1", 1);
	p->sb = EP("127.0.0.1", 10);
	p->sb_c = EP("127.0.0.1", 11);
	open_parties = p;
}

static void
parties_close(struct parties *p)
{
	close(p->a);
	close(p->a_c);
	close(p->b);
	close(p->b_c);
	close(p->c);
	open_parties = NULL;
}

static void
test_relay_both_ways(void **state)
{
	struct parties p;
	struct media_session_info si;
	union xr_sa la, lb, la_c, lb_c;
	uint64_t id;

	start();
	parties_open(&p);
	assert_int_equal(media_session_create(&p.sa, &p.sb, &id), 0);
	assert_int_equal(media_session_count(), 1);
	la = local_of(id, MEDIA_A, false);
	lb = local_of(id, MEDIA_B, false);
	la_c = local_of(id, MEDIA_A, true);
	lb_c = local_of(id, MEDIA_B, true);
	assert_true(xr_sa_ip_eq(&la, &cfg.media[0]));
	assert_int_equal(xr_sa_port(&la) % 2, 0);
	assert_true(xr_sa_port(&la) >= BASE && xr_sa_port(&lb) + 1 <= BASE + 19);
	assert_false(xr_sa_eq(&la, &lb));

	send_str(p.a, "rtp A->B", &la);
	expect_str(p.b, "rtp A->B", &lb);
	send_str(p.b, "rtp B->A", &lb);
	expect_str(p.a, "rtp B->A", &la);
	send_str(p.a_c, "rtcp A->B", &la_c);
	expect_str(p.b_c, "rtcp A->B", &lb_c);
	send_str(p.b_c, "rtcp B->A", &lb_c);
	expect_str(p.a_c, "rtcp B->A", &la_c);

	/* DSCP and ECN come out as they went in, as on the XDP path. */
	assert_int_equal(last_tos, 0);
	int ef = 0xb8 | 0x01;	/* DSCP EF, ECT(1) */
	assert_int_equal(setsockopt(p.a, IPPROTO_IP, IP_TOS, &ef, sizeof(ef)), 0);
	send_str(p.a, "expedited", &la);
	expect_str(p.b, "expedited", &lb);
	assert_int_equal(last_tos, ef);
	send_str(p.b, "best effort", &lb);
	expect_str(p.a, "best effort", &la);
	assert_int_equal(last_tos, 0);

	assert_int_equal(media_session_info(id, &si), 0);
	assert_true(xr_sa_eq(&si.side[MEDIA_A].latched_rtp, &p.sa));
	assert_true(xr_sa_eq(&si.side[MEDIA_A].latched_rtcp, &p.sa_c));
	assert_true(xr_sa_eq(&si.side[MEDIA_B].latched_rtp, &p.sb));
	assert_true(xr_sa_eq(&si.side[MEDIA_B].remote_rtp, &p.sb));
	assert_true(si.last_media_ms > 0);

	/*
	 * Bursts of 50 (batched by the relay, within the default socket
	 * buffers): every payload, in order, byte for byte.
	 */
	for (int burst = 0; burst < 6; burst++) {
		for (int i = burst * 50; i < burst * 50 + 50; i++) {
			unsigned char pkt[172];

			memset(pkt, i & 0xff, sizeof(pkt));
			pkt[0] = 0x80;
			pkt[2] = (unsigned char)(i >> 8);
			pkt[3] = (unsigned char)i;
			send_to(p.a, pkt, sizeof(pkt), &la);
		}
		for (int i = burst * 50; i < burst * 50 + 50; i++) {
			unsigned char buf[2048];
			union xr_sa f;
			int n = recv_wait(p.b, buf, sizeof(buf), &f, NULL, 2000);

			assert_int_equal(n, 172);
			assert_int_equal(buf[2] << 8 | buf[3], i);
			assert_int_equal(buf[100], i & 0xff);
			assert_true(xr_sa_eq(&f, &lb));
		}
	}
	assert_int_equal(wait_num(id, "A", "rtp", "packets", 302), 302);
	assert_int_equal(wait_num(id, "A", "rtp", "bytes", 8 + 9 + 300 * 172), 8 + 9 + 300 * 172);
	assert_int_equal(flow_num(id, "A", "rtp", "dropped"), 0);
	assert_int_equal(wait_num(id, "B", "rtcp", "packets", 1), 1);
	parties_close(&p);
}

/* Sizes: a full-MTU payload and a jumbo one go through whole; larger is never cut. */
static void
test_sizes(void **state)
{
	static unsigned char big[12000], buf[16384];
	size_t sizes[] = { 1, 1472, 8952 };
	struct parties p;
	union xr_sa la, lb, f;
	uint64_t id;

	start();
	parties_open(&p);
	assert_int_equal(media_session_create(&p.sa, &p.sb, &id), 0);
	la = local_of(id, MEDIA_A, false);
	lb = local_of(id, MEDIA_B, false);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + 3);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		send_to(p.a, big, sizes[i], &la);
		assert_int_equal(recv_wait(p.b, buf, sizeof(buf), &f, NULL, 2000), (int)sizes[i]);
		assert_memory_equal(buf, big, sizes[i]);
		assert_true(xr_sa_eq(&f, &lb));
	}
	/* Over RELAY_MTU (9216): dropped and counted, not forwarded truncated. */
	send_to(p.a, big, sizeof(big), &la);
	expect_nothing(p.b, 300);
	assert_int_equal(wait_num(id, "A", "rtp", "dropped_other", 1), 1);
	assert_int_equal(flow_num(id, "A", "rtp", "packets"), 3);
	parties_close(&p);
}

static void
test_wrong_source_dropped(void **state)
{
	struct parties p;
	union xr_sa la, lb;
	uint64_t id;

	start();
	parties_open(&p);
	assert_int_equal(media_session_create(&p.sa, &p.sb, &id), 0);
	la = local_of(id, MEDIA_A, false);
	lb = local_of(id, MEDIA_B, false);

	/* Before A latched: C is not the negotiated source (strict). */
	send_str(p.c, "attack 0", &la);
	expect_nothing(p.b, 200);
	assert_int_equal(wait_num(id, "A", "rtp", "dropped_wrong_source", 1), 1);

	send_str(p.a, "hello", &la);
	expect_str(p.b, "hello", &lb);
	/* RTP Bleed: spraying the latched port gets nothing through. */
	for (int i = 0; i < 5; i++)
		send_str(p.c, "attack", &la);
	expect_nothing(p.b, 300);
	expect_nothing(p.c, 0);
	assert_int_equal(wait_num(id, "A", "rtp", "dropped_wrong_source", 6), 6);
	/* And the same from the right host's other port. */
	send_str(p.a_c, "rtcp port on rtp", &la);
	expect_nothing(p.b, 200);
	assert_int_equal(wait_num(id, "A", "rtp", "dropped_wrong_source", 7), 7);
	/* The latched party still gets through. */
	send_str(p.a, "still", &la);
	expect_str(p.b, "still", &lb);
	assert_int_equal(wait_num(id, "A", "rtp", "packets", 2), 2);
	parties_close(&p);
}

/*
 * A datagram too big to relay (over RELAY_MTU) latches nothing, even under
 * --latch any: the first packet that is relayed does.
 */
static void
test_oversized_does_not_latch(void **state)
{
	static unsigned char big[12000];
	struct parties p;
	struct media_session_info si;
	union xr_sa la, lb;
	uint64_t id;

	cfg.latch = XR_LATCH_ANY;
	start();
	parties_open(&p);
	assert_int_equal(media_session_create(&p.sa, &p.sb, &id), 0);
	la = local_of(id, MEDIA_A, false);
	lb = local_of(id, MEDIA_B, false);
	memset(big, 0x5a, sizeof(big));
	send_to(p.c, big, sizeof(big), &la);
	assert_int_equal(wait_num(id, "A", "rtp", "dropped_other", 1), 1);
	assert_int_equal(media_session_info(id, &si), 0);
	assert_int_equal(si.side[MEDIA_A].latched_rtp.sa.sa_family, 0);
	send_str(p.a, "first relayed", &la);
	expect_str(p.b, "first relayed", &lb);
	assert_int_equal(media_session_info(id, &si), 0);
	assert_true(xr_sa_eq(&si.side[MEDIA_A].latched_rtp, &p.sa));
	send_str(p.c, "late", &la);
	expect_nothing(p.b, 200);
	parties_close(&p);
}

static void
test_delete(void **state)
{
	struct parties p;
	union xr_sa la, lb, la_c;
	uint64_t id, id2;
	enum media_side_id sd;
	bool rtcp;
	int fd;

	start();
	parties_open(&p);
	assert_int_equal(media_session_create(&p.sa, &p.sb, &id), 0);
	la = local_of(id, MEDIA_A, false);
	lb = local_of(id, MEDIA_B, false);
	la_c = local_of(id, MEDIA_A, true);
	send_str(p.a, "before", &la);
	expect_str(p.b, "before", &lb);
	assert_int_equal(stats_in_use(), 2);

	assert_int_equal(media_session_delete(id), 0);
	assert_int_equal(media_session_count(), 0);
	assert_int_equal(media_session_delete(id), -ENOENT);
	assert_int_equal(media_session_info(id, &(struct media_session_info){ 0 }), -ENOENT);
	assert_int_equal(media_session_by_local(&la_c, &id2, &sd, &rtcp), -ENOENT);
	assert_int_equal(stats_in_use(), 0);
	send_str(p.a, "after", &la);	/* the port is closed: nothing relays it */
	expect_nothing(p.b, 300);
	/* Every port of the session is free for anyone again. */
	for (int s = 0; s < 2; s++)
		for (int r = 0; r < 2; r++) {
			union xr_sa l = s ? lb : la;

			xr_sa_set_port(&l, (uint16_t)(xr_sa_port(&l) + r));
			fd = socket(AF_INET, SOCK_DGRAM, 0);
			assert_int_equal(bind(fd, &l.sa, xr_sa_len(&l)), 0);
			close(fd);
		}
	json_t *rows = media_flows_json();
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
	parties_close(&p);
}

static void
test_update_remote(void **state)
{
	struct parties p;
	struct media_session_info si;
	union xr_sa la, lb, sb2 = EP("127.0.0.1", 30);
	int b2 = party_at("127.0.0.1", 30);
	uint64_t id;

	start();
	parties_open(&p);
	assert_int_equal(media_session_create(&p.sa, &p.sb, &id), 0);
	la = local_of(id, MEDIA_A, false);
	lb = local_of(id, MEDIA_B, false);
	send_str(p.b, "b latches", &lb);
	expect_str(p.a, "b latches", &la);

	/* re-INVITE: B moved to another port.  Side B unlatches, media follows at once. */
	assert_int_equal(media_session_update(id, MEDIA_B, &sb2, MEDIA_SENDRECV), 0);
	assert_int_equal(media_session_info(id, &si), 0);
	assert_int_equal(si.side[MEDIA_B].latched_rtp.sa.sa_family, 0);
	assert_int_equal(si.side[MEDIA_B].latched_rtcp.sa.sa_family, 0);
	assert_true(xr_sa_eq(&si.side[MEDIA_B].remote_rtp, &sb2));
	assert_true(xr_sa_eq(&si.side[MEDIA_A].latched_rtp, &p.sa) ||
		    si.side[MEDIA_A].latched_rtp.sa.sa_family == 0);
	send_str(p.a, "to new B", &la);
	expect_str(b2, "to new B", &lb);
	expect_nothing(p.b, 100);
	/* The old address is a wrong source now; the new one latches. */
	send_str(p.b, "old B", &lb);
	expect_nothing(p.a, 200);
	assert_int_equal(wait_num(id, "B", "rtp", "dropped_wrong_source", 1), 1);
	send_str(b2, "new B", &lb);
	expect_str(p.a, "new B", &la);
	assert_int_equal(media_session_info(id, &si), 0);
	assert_true(xr_sa_eq(&si.side[MEDIA_B].latched_rtp, &sb2));

	/* Unchanged remote (a refresh): the latch stays. */
	assert_int_equal(media_session_update(id, MEDIA_B, &sb2, MEDIA_SENDRECV), 0);
	assert_int_equal(media_session_info(id, &si), 0);
	assert_true(xr_sa_eq(&si.side[MEDIA_B].latched_rtp, &sb2));

	/* Errors. */
	union xr_sa v6 = SA("[::1]:4000");
	assert_int_equal(media_session_update(id, MEDIA_B, &v6, MEDIA_SENDRECV), -EINVAL);
	assert_int_equal(media_session_update(id + 1000, MEDIA_B, &sb2, MEDIA_SENDRECV), -ENOENT);
	assert_int_equal(media_session_update(id, (enum media_side_id)2, &sb2, MEDIA_SENDRECV),
			 -EINVAL);
	close(b2);
	parties_close(&p);
}

/* SDP a=rtcp (RFC 3605): RTCP on its own port, latched apart from RTP. */
static void
test_rtcp_attribute(void **state)
{
	struct parties p;
	struct media_session_info si;
	union xr_sa la, lb, la_c, lb_c, sa_c2 = EP("127.0.0.1", 5);
	int a_c2 = party_at("127.0.0.1", 5);
	uint64_t id;

	start();
	parties_open(&p);
	assert_int_equal(media_session_create(&p.sa, &p.sb, &id), 0);
	la = local_of(id, MEDIA_A, false);
	lb = local_of(id, MEDIA_B, false);
	la_c = local_of(id, MEDIA_A, true);
	lb_c = local_of(id, MEDIA_B, true);
	send_str(p.a, "rtp", &la);
	expect_str(p.b, "rtp", &lb);
	send_str(p.a_c, "rtcp", &la_c);
	expect_str(p.b_c, "rtcp", &lb_c);

	/* A's answer gives RTCP its own port (a=rtcp): only the RTCP leg unlatches. */
	assert_int_equal(media_session_update_rtcp(id, MEDIA_A, &p.sa, &sa_c2, MEDIA_SENDRECV), 0);
	assert_int_equal(media_session_info(id, &si), 0);
	assert_true(xr_sa_eq(&si.side[MEDIA_A].latched_rtp, &p.sa));
	assert_int_equal(si.side[MEDIA_A].latched_rtcp.sa.sa_family, 0);
	send_str(p.b_c, "rtcp to A", &lb_c);
	expect_str(a_c2, "rtcp to A", &la_c);
	expect_nothing(p.a_c, 100);
	send_str(p.a_c, "old rtcp port", &la_c);
	expect_nothing(p.b_c, 200);
	assert_int_equal(wait_num(id, "A", "rtcp", "dropped_wrong_source", 1), 1);
	send_str(a_c2, "new rtcp port", &la_c);
	expect_str(p.b_c, "new rtcp port", &lb_c);
	assert_int_equal(media_session_info(id, &si), 0);
	assert_true(xr_sa_eq(&si.side[MEDIA_A].latched_rtcp, &sa_c2));
	/* RTP was never disturbed. */
	send_str(p.a, "rtp again", &la);
	expect_str(p.b, "rtp again", &lb);
	union xr_sa v6 = SA("[::1]:4001");
	assert_int_equal(media_session_update_rtcp(id, MEDIA_A, &p.sa, &v6, MEDIA_SENDRECV),
			 -EINVAL);
	close(a_c2);
	parties_close(&p);
}

/* RFC 3264 section 5.1 / 6.1: the direction gates RTP; RTCP still flows. */
static void
test_direction(void **state)
{
	struct parties p;
	union xr_sa la, lb, la_c, lb_c;
	uint64_t id;

	start();
	parties_open(&p);
	assert_int_equal(media_session_create(&p.sa, &p.sb, &id), 0);
	la = local_of(id, MEDIA_A, false);
	lb = local_of(id, MEDIA_B, false);
	la_c = local_of(id, MEDIA_A, true);
	lb_c = local_of(id, MEDIA_B, true);

	/* A puts B on hold: A sendonly, B (answer) recvonly. */
	assert_int_equal(media_session_update(id, MEDIA_A, &p.sa, MEDIA_SENDONLY), 0);
	assert_int_equal(media_session_update(id, MEDIA_B, &p.sb, MEDIA_RECVONLY), 0);
	send_str(p.a, "music on hold", &la);
	expect_str(p.b, "music on hold", &lb);
	send_str(p.b, "not heard", &lb);
	expect_nothing(p.a, 200);
	assert_int_equal(wait_num(id, "B", "rtp", "dropped_no_dest", 1), 1);
	send_str(p.b_c, "rtcp on hold", &lb_c);
	expect_str(p.a_c, "rtcp on hold", &la_c);

	/* Inactive: no RTP either way. */
	assert_int_equal(media_session_update(id, MEDIA_A, &p.sa, MEDIA_INACTIVE), 0);
	assert_int_equal(media_session_update(id, MEDIA_B, &p.sb, MEDIA_INACTIVE), 0);
	send_str(p.a, "silence", &la);
	expect_nothing(p.b, 200);
	assert_int_equal(wait_num(id, "A", "rtp", "dropped_no_dest", 1), 1);

	/* Resumed. */
	assert_int_equal(media_session_update(id, MEDIA_A, &p.sa, MEDIA_SENDRECV), 0);
	assert_int_equal(media_session_update(id, MEDIA_B, &p.sb, MEDIA_SENDRECV), 0);
	send_str(p.b, "back", &lb);
	expect_str(p.a, "back", &la);
	send_str(p.a, "back too", &la);
	expect_str(p.b, "back too", &lb);
	parties_close(&p);
}

/* SIP offer seen, answer not: side B's remote comes later. */
static void
test_half_session(void **state)
{
	struct media_session_info si;
	struct parties p;
	union xr_sa la, lb, hint = SA("127.0.0.1");
	uint64_t id;

	start();
	parties_open(&p);
	assert_int_equal(media_session_create_half(&p.sa, &hint, &id), 0);
	la = local_of(id, MEDIA_A, false);
	lb = local_of(id, MEDIA_B, false);
	assert_true(xr_sa_ip_eq(&lb, &hint));
	send_str(p.a, "early", &la);
	expect_nothing(p.b, 200);
	assert_int_equal(wait_num(id, "A", "rtp", "dropped_no_dest", 1), 1);
	/*
	 * Nobody can latch B before its remote is known (strict): early packets
	 * are dropped but counted apart, not as a wrong source (RTP Bleed).
	 */
	send_str(p.b, "too early", &lb);
	expect_nothing(p.a, 200);
	assert_int_equal(wait_num(id, "B", "rtp", "dropped_early", 1), 1);
	assert_int_equal(wait_num(id, "B", "rtp", "dropped_wrong_source", 0), 0);
	assert_int_equal(media_session_info(id, &si), 0);
	assert_int_equal(si.side[MEDIA_B].latched_rtp.sa.sa_family, 0);

	/* The answer names the early source: latched there and then. */
	assert_int_equal(media_session_update(id, MEDIA_B, &p.sb, MEDIA_SENDRECV), 0);
	assert_int_equal(media_session_info(id, &si), 0);
	assert_true(xr_sa_eq(&si.side[MEDIA_B].latched_rtp, &p.sb));
	assert_int_equal(si.side[MEDIA_B].latched_rtcp.sa.sa_family, 0);
	send_str(p.a, "answered", &la);
	expect_str(p.b, "answered", &lb);
	send_str(p.b, "hi", &lb);
	expect_str(p.a, "hi", &la);
	parties_close(&p);
}

/* Three pairs: the second session gets side A's pair but not B's; A's is given back. */
static void
test_exhaustion_releases_first_side(void **state)
{
	union xr_sa a = EP("127.0.0.1", 40), b = EP("127.0.0.1", 50);
	uint64_t id1, id2 = 0;

	cfg_reset(BASE + 40, BASE + 45);
	start();
	assert_int_equal(media_session_create(&a, &b, &id1), 0);
	assert_int_equal(stats_in_use(), 2);
	assert_int_equal(media_session_create(&a, &b, &id2), -ENOSPC);
	assert_int_equal(stats_in_use(), 2);
	assert_int_equal(media_session_count(), 1);
	assert_int_equal(media_session_delete(id1), 0);
	assert_int_equal(stats_in_use(), 0);
	assert_int_equal(media_session_create(&a, &b, &id2), 0);
	assert_int_not_equal(id1, id2);
	/* Bad input. */
	union xr_sa nofam, noport = SA("127.0.0.1:0"), v6 = SA("[::1]:4000");
	memset(&nofam, 0, sizeof(nofam));
	assert_int_equal(media_session_create(&nofam, &b, &id2), -EINVAL);
	assert_int_equal(media_session_create(&a, &noport, &id2), -EINVAL);
	assert_int_equal(media_session_create(&a, &v6, &id2), -EINVAL);	/* no v6 --media */
}

/* --max-media-sessions 2: the third is refused before any port is taken; a delete makes room. */
static void
test_max_sessions(void **state)
{
	union xr_sa a = EP("127.0.0.1", 40), b = EP("127.0.0.1", 50);
	uint64_t id1, id2, id3 = 0;

	cfg.max_media_sessions = 2;
	start();
	assert_int_equal(media_session_create(&a, &b, &id1), 0);
	assert_int_equal(media_session_create_half(&a, &b, &id2), 0);
	assert_int_equal(media_session_create(&a, &b, &id3), -EBUSY);
	assert_int_equal(media_session_create_half(&a, &b, &id3), -EBUSY);
	assert_int_equal(media_session_count(), 2);
	assert_int_equal(stats_in_use(), 4);
	assert_int_equal(media_session_delete(id1), 0);
	assert_int_equal(media_session_create(&a, &b, &id3), 0);
	assert_int_equal(media_session_count(), 2);
	/* 0: no bound but the ports. */
	cfg.max_media_sessions = 0;
	assert_int_equal(media_session_create(&a, &b, &id1), 0);
	assert_int_equal(media_session_count(), 3);
}

static uint64_t timed_out_id;
static int timed_out_calls;

static void
on_timeout(uint64_t id, void *arg)
{
	__atomic_store_n(&timed_out_id, id, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&timed_out_calls, 1, __ATOMIC_SEQ_CST);
	assert_ptr_equal(arg, &cfg);
}

static void
test_media_timeout(void **state)
{
	struct parties p;
	union xr_sa la, lb;
	uint64_t id, id2;
	struct timespec t0, t1;

	cfg.media_timeout = 1;
	start();
	parties_open(&p);
	timed_out_id = 0;
	timed_out_calls = 0;
	media_set_timeout_cb(on_timeout, &cfg);
	assert_int_equal(media_session_create(&p.sa, &p.sb, &id), 0);
	la = local_of(id, MEDIA_A, false);
	lb = local_of(id, MEDIA_B, false);
	/* Media flowing for 2 s keeps it alive. */
	for (int i = 0; i < 10; i++) {
		send_str(p.a, "tick", &la);
		expect_str(p.b, "tick", &lb);
		usleep(200000);
	}
	assert_int_equal(__atomic_load_n(&timed_out_calls, __ATOMIC_SEQ_CST), 0);
	/* An attacker's packets do not keep it alive. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 40 && !__atomic_load_n(&timed_out_calls, __ATOMIC_SEQ_CST); i++) {
		send_str(p.c, "keepalive?", &la);
		usleep(100000);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(__atomic_load_n(&timed_out_calls, __ATOMIC_SEQ_CST), 1);
	assert_int_equal(__atomic_load_n(&timed_out_id, __ATOMIC_SEQ_CST), id);
	assert_true(t1.tv_sec - t0.tv_sec <= 2);
	/* Reported once; the callback owner decides (here: it stays). */
	usleep(600000);
	assert_int_equal(__atomic_load_n(&timed_out_calls, __ATOMIC_SEQ_CST), 1);
	assert_int_equal(media_session_count(), 1);
	assert_int_equal(media_session_delete(id), 0);

	/* Without a callback, a silent session is deleted. */
	media_set_timeout_cb(NULL, NULL);
	assert_int_equal(media_session_create(&p.sa, &p.sb, &id2), 0);
	for (int i = 0; i < 40 && media_session_count(); i++)
		usleep(100000);
	assert_int_equal(media_session_count(), 0);
	assert_int_equal(media_session_delete(id2), -ENOENT);
	assert_int_equal(stats_in_use(), 0);
	parties_close(&p);
}

static void
test_lookup_and_json(void **state)
{
	struct parties p;
	union xr_sa la_c;
	enum media_side_id sd;
	uint64_t id, got;
	json_t *rows, *row, *st;
	bool rtcp;
	size_t i, n = 0;

	start();
	parties_open(&p);
	assert_int_equal(media_session_create(&p.sa, &p.sb, &id), 0);
	la_c = local_of(id, MEDIA_A, true);
	assert_int_equal(media_session_by_local(&la_c, &got, &sd, &rtcp), 0);
	assert_int_equal(got, id);
	assert_int_equal(sd, MEDIA_A);
	assert_true(rtcp);
	union xr_sa lb = local_of(id, MEDIA_B, false);
	assert_int_equal(media_session_by_local(&lb, &got, &sd, &rtcp), 0);
	assert_int_equal(sd, MEDIA_B);
	assert_false(rtcp);

	rows = media_flows_json();
	json_array_foreach(rows, i, row) {
		assert_int_equal(json_integer_value(json_object_get(row, "session")), id);
		assert_non_null(json_object_get(row, "local"));
		assert_true(json_is_false(json_object_get(row, "latched")));
		assert_true(json_is_string(json_object_get(row, "dst")));
		assert_true(json_is_null(json_object_get(row, "kernel")));	/* fp == NULL */
		assert_true(json_is_object(json_object_get(row, "userspace")));
		n++;
	}
	assert_int_equal(n, 4);
	json_decref(rows);
	st = media_stats_json();
	assert_int_equal(json_integer_value(json_object_get(st, "sessions")), 1);
	json_decref(st);

	/* Two sessions: oldest first, then A rtp, A rtcp, B rtp, B rtcp. */
	uint64_t id2;
	static const char *const order[4][2] = {
		{ "A", "rtp" }, { "A", "rtcp" }, { "B", "rtp" }, { "B", "rtcp" } };
	assert_int_equal(media_session_create(&p.sa, &p.sb, &id2), 0);
	rows = media_flows_json();
	assert_int_equal(json_array_size(rows), 8);
	json_array_foreach(rows, i, row) {
		assert_int_equal(json_integer_value(json_object_get(row, "session")),
				 i < 4 ? id : id2);
		assert_string_equal(json_string_value(json_object_get(row, "side")),
				    order[i % 4][0]);
		assert_string_equal(json_string_value(json_object_get(row, "leg")),
				    order[i % 4][1]);
	}
	json_decref(rows);
	assert_int_equal(media_session_delete(id2), 0);
	st = media_stats_json();
	assert_string_equal(json_string_value(json_object_get(st, "latch")), "strict");
	assert_int_equal(json_integer_value(json_object_get(
		json_array_get(json_object_get(st, "ports"), 0), "pairs_free")), 8);
	json_decref(st);
	parties_close(&p);
}

/* A v4 party and a v6 party: each side on the relay address of its family. */
static void
test_ipv4_ipv6(void **state)
{
	union xr_sa sa = EP("127.0.0.1", 60), sb = EP("::1", 70), la, lb;
	int a, b, probe = socket(AF_INET6, SOCK_DGRAM, 0);
	uint64_t id;

	if (probe < 0 || bind(probe, &sb.sa, xr_sa_len(&sb)) < 0) {
		if (probe >= 0)
			close(probe);
		skip();
	}
	close(probe);
	cfg.media[1] = SA("::1");
	cfg.nmedia = 2;
	start();
	a = party_at("127.0.0.1", 60);
	b = party_at("::1", 70);
	assert_int_equal(media_session_create(&sa, &sb, &id), 0);
	la = local_of(id, MEDIA_A, false);
	lb = local_of(id, MEDIA_B, false);
	assert_int_equal(la.sa.sa_family, AF_INET);
	assert_int_equal(lb.sa.sa_family, AF_INET6);
	int af41 = 0x88;
	assert_int_equal(setsockopt(a, IPPROTO_IP, IP_TOS, &af41, sizeof(af41)), 0);
	send_str(a, "v4 to v6", &la);
	expect_str(b, "v4 to v6", &lb);
	assert_int_equal(last_tos, af41);	/* TOS becomes the traffic class */
	/* No flow label, as the XDP path sends it (auto flow labels off). */
	assert_int_equal(last_flowlabel, 0);
	send_str(b, "v6 to v4", &lb);
	expect_str(a, "v6 to v4", &la);
	close(a);
	close(b);
}

/*
 * A flow table like the loader's for addrs (n of them) and the --ports of
 * cfg, in memory of the test's own (no BPF map, no program: fastpath writes
 * entries through a pointer either way).
 */
static void
fp_maps_open(struct fp *fp, const union xr_sa *addrs, int n)
{
	memset(fp, 0, sizeof(*fp));
	assert_int_equal(fp_table_layout(fp, addrs, n, cfg.port_lo, cfg.port_hi), 0);
	fp->tab = calloc(fp->nents, sizeof(*fp->tab));
	assert_non_null(fp->tab);
	fp->side = calloc(fp->nents, sizeof(*fp->side));
	assert_non_null(fp->side);
	fp->ncpus = 2;
	fp->pc_stride = fp->nents;
	fp->pc = calloc((size_t)fp->ncpus * fp->pc_stride, sizeof(*fp->pc));
	assert_non_null(fp->pc);
	fp->flows_fd = fp->side_fd = fp->pc_fd = fp->cfg_fd = fp->bans_fd = -1;
	fp->counters_fd = fp->tx_ports_fd = fp->vlans_fd = fp->abi_fd = fp->prog_fd = -1;
	fp->lock_fd = -1;
}

static void
fp_maps_close(struct fp *fp)
{
	free(fp->tab);
	free(fp->side);
	free(fp->pc);
	fp->tab = NULL;
	fp->side = NULL;
	fp->pc = NULL;
}

static struct xr_flow
flow_of(struct fp *fp, const union xr_sa *local)
{
	struct xr_flow_key k;
	struct xr_flow v;

	fp_key_make(&k, local);
	assert_int_equal(fp_flow_get(fp, &k, &v), 0);
	return v;
}

static bool
flow_addr_is(const uint8_t addr[16], uint16_t port_be, const union xr_sa *sa)
{
	union xr_sa x;

	return xr_sa_from_map(&x, addr, port_be, XR_FAM_IPV4) == 0 && xr_sa_eq(&x, sa);
}

/*
 * Pretend XDP forwarded packets on local's flow, all on the second CPU: its
 * slot's counters, last_seen now (the first CPU's slot holds a previous
 * flow's counts, which must not count).
 */
static void
fake_kernel_stats(struct fp *fp, const union xr_sa *local, uint64_t packets)
{
	struct xr_flow_stats st;
	struct xr_flow_key k;
	struct timespec ts;
	long idx;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);	/* bpf_ktime_get_coarse_ns() */
	fp_key_make(&k, local);
	idx = fp_flow_index(fp, &k);	/* the flow's entry of the table */
	assert_true(idx >= 0);
	st.packets = packets;
	st.bytes = packets * 172;
	st.last_seen_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	fp_ent_set_stats(fp, (size_t)idx, 1, &st);
	fp->pc[idx].gen = fp->tab[idx].fwd.gen - 2;	/* CPU 0: an earlier flow's */
	fp->pc[idx].packets = 1000;
	fp->pc[idx].last_seen_ns = st.last_seen_ns + 5000000000ull;
}

/* A number under "kernel" in a flows row; -1 when the row has no kernel flow. */
static long long
kernel_num(uint64_t id, const char *side, const char *leg, const char *key)
{
	json_t *rows = media_flows_json(), *row;
	long long v = -1;
	size_t i;

	json_array_foreach(rows, i, row) {
		if ((uint64_t)json_integer_value(json_object_get(row, "session")) == id &&
		    !strcmp(json_string_value(json_object_get(row, "side")), side) &&
		    !strcmp(json_string_value(json_object_get(row, "leg")), leg) &&
		    json_is_object(json_object_get(row, "kernel")))
			v = json_integer_value(json_object_get(json_object_get(row, "kernel"),
							       key));
	}
	json_decref(rows);
	return v;
}

/*
 * What the XDP program is told: flows at create (not latched), rewritten on
 * latch and on update, gone on delete; kernel activity keeps a call alive.
 */
static void
test_kernel_flows(void **state)
{
	struct parties p;
	struct fp fp;
	struct xr_flow v;
	union xr_sa la, lb, la_c, lb_c;
	uint64_t id, id2;

	fp_maps_open(&fp, cfg.media, cfg.nmedia);
	cfg.media_timeout = 1;
	assert_int_equal(media_init(&cfg, &fp), 0);
	assert_int_equal(media_start(), 0);
	parties_open(&p);
	timed_out_calls = 0;
	media_set_timeout_cb(on_timeout, &cfg);
	assert_int_equal(media_session_create(&p.sa, &p.sb, &id), 0);
	assert_int_equal(fp_flows_count(&fp), 4);
	la = local_of(id, MEDIA_A, false);
	lb = local_of(id, MEDIA_B, false);
	la_c = local_of(id, MEDIA_A, true);
	lb_c = local_of(id, MEDIA_B, true);

	/* Not latched yet: forward to B's negotiated remote from B's relay port. */
	v = flow_of(&fp, &la);
	assert_int_equal(v.session_id, id);
	assert_int_equal(v.flags, XR_FLOW_F_FORWARD);
	assert_int_equal(v.ttl, MEDIA_TTL);
	assert_int_equal(v.out_family, XR_FAM_IPV4);
	assert_true(flow_addr_is(v.src_addr, v.src_port, &lb));
	assert_true(flow_addr_is(v.dst_addr, v.dst_port, &p.sb));
	v = flow_of(&fp, &lb_c);
	assert_int_equal(v.flags, XR_FLOW_F_FORWARD | XR_FLOW_F_RTCP);
	assert_true(flow_addr_is(v.src_addr, v.src_port, &la_c));
	assert_true(flow_addr_is(v.dst_addr, v.dst_port, &p.sa_c));

	/* A latches: A's flow now checks the source. */
	send_str(p.a, "latch", &la);
	expect_str(p.b, "latch", &lb);
	v = flow_of(&fp, &la);
	assert_int_equal(v.flags, XR_FLOW_F_FORWARD | XR_FLOW_F_LATCHED);
	assert_true(flow_addr_is(v.peer_addr, v.peer_port, &p.sa));
	assert_int_equal(flow_of(&fp, &la_c).flags, XR_FLOW_F_FORWARD | XR_FLOW_F_RTCP);

	/* B goes recvonly: its RTP flow stops forwarding, RTCP does not. */
	assert_int_equal(media_session_update(id, MEDIA_B, &p.sb, MEDIA_RECVONLY), 0);
	assert_int_equal(flow_of(&fp, &lb).flags, 0);
	assert_true(flow_addr_is(flow_of(&fp, &lb).dst_addr, flow_of(&fp, &lb).dst_port, &p.sa));
	assert_int_equal(flow_of(&fp, &lb_c).flags, XR_FLOW_F_FORWARD | XR_FLOW_F_RTCP);
	assert_int_equal(flow_of(&fp, &la).flags, XR_FLOW_F_FORWARD | XR_FLOW_F_LATCHED);
	/* A moves: A unlatched, B's flow now sends to A's new address. */
	union xr_sa sa2 = EP("127.0.0.1", 80);
	assert_int_equal(media_session_update(id, MEDIA_A, &sa2, MEDIA_SENDRECV), 0);
	assert_int_equal(flow_of(&fp, &la).flags, XR_FLOW_F_FORWARD);
	assert_true(flow_addr_is(flow_of(&fp, &lb).dst_addr, flow_of(&fp, &lb).dst_port, &sa2));

	/* Kernel counters show in the flows view, and kernel-only media keeps the call. */
	fake_kernel_stats(&fp, &la, 10);
	assert_int_equal(kernel_num(id, "A", "rtp", "packets"), 10);
	assert_int_equal(kernel_num(id, "A", "rtp", "bytes"), 1720);
	assert_true(kernel_num(id, "A", "rtp", "last_seen_ms_ago") < 1000);
	for (int i = 0; i < 12; i++) {
		fake_kernel_stats(&fp, &la, 10 + (uint64_t)i);
		usleep(200000);
	}
	assert_int_equal(__atomic_load_n(&timed_out_calls, __ATOMIC_SEQ_CST), 0);
	for (int i = 0; i < 30 && !__atomic_load_n(&timed_out_calls, __ATOMIC_SEQ_CST); i++)
		usleep(100000);
	assert_int_equal(__atomic_load_n(&timed_out_calls, __ATOMIC_SEQ_CST), 1);

	/*
	 * A table without the session's relay address (its keys are out of
	 * the table: -ERANGE): the session is relayed in userspace, no flow
	 * is left half-made, and a rewrite writes nothing either.
	 */
	struct fp small;
	union xr_sa other = SA("127.0.0.2");
	media_set_timeout_cb(NULL, NULL);
	assert_int_equal(media_session_delete(id), 0);
	assert_int_equal(fp_flows_count(&fp), 0);
	media_stop();
	fp_maps_open(&small, &other, 1);
	cfg.media_timeout = 0;
	assert_int_equal(media_init(&cfg, &small), 0);
	assert_int_equal(media_start(), 0);
	assert_int_equal(media_session_create(&p.sa, &p.sb, &id2), 0);
	assert_int_equal(fp_flows_count(&small), 0);
	assert_int_equal(kernel_num(id2, "A", "rtp", "packets"), -1);	/* no flow */
	la = local_of(id2, MEDIA_A, false);
	lb = local_of(id2, MEDIA_B, false);
	send_str(p.a, "userspace", &la);
	expect_str(p.b, "userspace", &lb);
	assert_int_equal(media_session_update(id2, MEDIA_B, &p.sb, MEDIA_SENDRECV), 0);
	assert_int_equal(fp_flows_count(&small), 0);
	media_stop();		/* deletes the session */
	assert_int_equal(fp_flows_count(&small), 0);
	fp_maps_close(&small);
	fp_maps_close(&fp);
}

struct churn {
	int	errors;
	bool	stop;
};

static void *
churn_reader(void *arg)
{
	struct churn *c = arg;

	rcu_register_thread();
	while (!__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST)) {
		json_t *j = media_flows_json();

		if (!json_is_array(j) || json_array_size(j) % 4)
			c->errors++;
		json_decref(j);
		json_decref(media_stats_json());
	}
	rcu_unregister_thread();
	return NULL;
}

/*
 * Create and delete from one thread while another reads and the relay
 * relays through every new session.
 */
static void
test_churn(void **state)
{
	struct parties p;
	struct churn c = { 0 };
	pthread_t th;
	uint64_t ids[4];

	start();
	parties_open(&p);
	assert_int_equal(pthread_create(&th, NULL, churn_reader, &c), 0);
	for (int round = 0; round < 100; round++) {
		for (int i = 0; i < 4; i++)
			assert_int_equal(media_session_create(&p.sa, &p.sb, &ids[i]), 0);
		/* Sockets (and fd numbers) are reused round after round: still heard. */
		for (int i = 0; i < 4; i++) {
			union xr_sa la = local_of(ids[i], MEDIA_A, false);
			union xr_sa lb = local_of(ids[i], MEDIA_B, false);

			send_str(p.a, "x", &la);
			expect_str(p.b, "x", &lb);
		}
		for (int i = 0; i < 4; i++)
			assert_int_equal(media_session_delete(ids[i]), 0);
	}
	__atomic_store_n(&c.stop, true, __ATOMIC_SEQ_CST);
	pthread_join(th, NULL);
	assert_int_equal(c.errors, 0);
	assert_int_equal(media_session_count(), 0);
	assert_int_equal(stats_in_use(), 0);
	parties_close(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_relay_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_source_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_does_not_latch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_remote, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rtcp_attribute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exhaustion_releases_first_side, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_media_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_and_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv4_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_churn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_flows, setup, teardown),
	};
	int rc;

	/* 20000-31999; test_ports takes 10000-19999 */
	BASE = (uint16_t)(20000 + (getpid() % 60) * 200);
	log_init(true, LL_INFO, "test_media_session");
	rcu_register_thread();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rcu_unregister_thread();
	return rc;
}
