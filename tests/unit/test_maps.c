// SPDX-License-Identifier: GPL-2.0
/*
 * test_maps.c - encoding of the fast-path map entries (daemon/fastpath/maps.c)
 * without a kernel: keys and flow values for both families, the v4-mapped
 * form, network byte order, zeroed padding, flags and TTL, and the round trip
 * back through xr_sa_from_map(); the flow table's key -> index translation
 * (first and last port of every address's range, misses refused) and its
 * entries written under their sequence counter, in memory of the test's own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/addr.h"
#include "fastpath/fastpath.h"
#include "xrelay/flow.h"
#include "xrelay/maps.h"

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static union xr_sa
sa(const char *s)
{
	union xr_sa a;

	assert_int_equal(xr_sa_parse(&a, s, -1), 0);
	return a;
}

static void
test_key_ipv4(void **state)
{
	union xr_sa local = sa("192.0.2.10:30000");
	const uint8_t want_addr[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
					192, 0, 2, 10 };
	const uint8_t *raw;
	struct xr_flow_key k;

	memset(&k, 0xaa, sizeof(k));	/* garbage the encoder must clear */
	fp_key_make(&k, &local);
	assert_memory_equal(k.addr, want_addr, 16);
	raw = (const uint8_t *)&k.port;
	assert_int_equal(raw[0], 30000 >> 8);	/* network order on the wire */
	assert_int_equal(raw[1], 30000 & 0xff);
	assert_int_equal(k.port, htons(30000));
	assert_int_equal(k.family, XR_FAM_IPV4);
	assert_int_equal(k.pad, 0);
}

static void
test_key_ipv6(void **state)
{
	union xr_sa local = sa("[2001:db8::1:2]:40002");
	struct xr_flow_key k, k2;
	struct in6_addr a;

	memset(&k, 0x55, sizeof(k));
	fp_key_make(&k, &local);
	inet_pton(AF_INET6, "2001:db8::1:2", &a);
	assert_memory_equal(k.addr, &a, 16);
	assert_int_equal(k.port, htons(40002));
	assert_int_equal(k.family, XR_FAM_IPV6);
	assert_int_equal(k.pad, 0);
	/* Same endpoint, same bytes: hash maps compare the whole key. */
	memset(&k2, 0x11, sizeof(k2));
	fp_key_make(&k2, &local);
	assert_memory_equal(&k, &k2, sizeof(k));
}

/* An IPv4 and an IPv6 key never collide, even for ::ffff:a.b.c.d. */
static void
test_key_family_distinct(void **state)
{
	union xr_sa v4 = sa("192.0.2.10:30000");
	union xr_sa v6 = sa("[::ffff:192.0.2.10]:30000");
	struct xr_flow_key k4, k6;

	fp_key_make(&k4, &v4);
	fp_key_make(&k6, &v6);
	assert_memory_equal(k4.addr, k6.addr, 16);
	assert_int_not_equal(k4.family, k6.family);
	assert_memory_not_equal(&k4, &k6, sizeof(k4));
}

static void
test_flow_ipv4(void **state)
{
	union xr_sa peer = sa("198.51.100.7:4000");
	union xr_sa src = sa("192.0.2.10:30002");
	union xr_sa dst = sa("203.0.113.9:5004");
	struct xr_flow v;
	const uint8_t *raw;

	memset(&v, 0xcc, sizeof(v));
	fp_flow_make(&v, 0x0102030405060708ull, &peer,
		     XR_FLOW_F_LATCHED | XR_FLOW_F_FORWARD | XR_FLOW_F_RTCP, &src, &dst, 63);
	assert_int_equal(v.session_id, 0x0102030405060708ull);
	assert_memory_equal(v.peer_addr, v4mapped_prefix, 12);
	assert_memory_equal(&v.peer_addr[12], &peer.sin.sin_addr, 4);
	assert_int_equal(v.peer_addr[12], 198);
	assert_int_equal(v.peer_port, htons(4000));
	assert_int_equal(v.peer_family, XR_FAM_IPV4);
	assert_int_equal(v.flags, XR_FLOW_F_LATCHED | XR_FLOW_F_FORWARD | XR_FLOW_F_RTCP);
	assert_memory_equal(v.src_addr, v4mapped_prefix, 12);
	assert_int_equal(v.src_addr[15], 10);
	raw = (const uint8_t *)&v.src_port;
	assert_int_equal(raw[0], 30002 >> 8);
	assert_int_equal(raw[1], 30002 & 0xff);
	assert_int_equal(v.out_family, XR_FAM_IPV4);
	assert_int_equal(v.ttl, 63);
	assert_memory_equal(v.dst_addr, v4mapped_prefix, 12);
	assert_memory_equal(&v.dst_addr[12], &dst.sin.sin_addr, 4);
	assert_int_equal(v.dst_port, htons(5004));
	assert_int_equal(v.pad0, 0);
}

static void
test_flow_ipv6(void **state)
{
	union xr_sa peer = sa("[2001:db8:1::7]:4000");
	union xr_sa src = sa("[2001:db8:2::1]:30002");
	union xr_sa dst = sa("[2001:db8:3::9]:5004");
	struct xr_flow v;

	memset(&v, 0xcc, sizeof(v));
	fp_flow_make(&v, 42, &peer, XR_FLOW_F_LATCHED, &src, &dst, 255);
	assert_memory_equal(v.peer_addr, &peer.sin6.sin6_addr, 16);
	assert_int_equal(v.peer_port, htons(4000));
	assert_int_equal(v.peer_family, XR_FAM_IPV6);
	assert_int_equal(v.flags, XR_FLOW_F_LATCHED);
	assert_memory_equal(v.src_addr, &src.sin6.sin6_addr, 16);
	assert_int_equal(v.src_port, htons(30002));
	assert_int_equal(v.out_family, XR_FAM_IPV6);
	assert_int_equal(v.ttl, 255);
	assert_memory_equal(v.dst_addr, &dst.sin6.sin6_addr, 16);
	assert_int_equal(v.dst_port, htons(5004));
	assert_int_equal(v.pad0, 0);
}

/* An IPv4 peer relayed to IPv6: each side keeps its own family. */
static void
test_flow_af_bridge(void **state)
{
	union xr_sa peer = sa("198.51.100.7:4000");
	union xr_sa src = sa("[2001:db8:2::1]:30002");
	union xr_sa dst = sa("[2001:db8:3::9]:5004");
	struct xr_flow v;

	fp_flow_make(&v, 1, &peer, XR_FLOW_F_LATCHED | XR_FLOW_F_FORWARD, &src, &dst, 64);
	assert_int_equal(v.peer_family, XR_FAM_IPV4);
	assert_int_equal(v.out_family, XR_FAM_IPV6);
}

/* Not latched, no destination yet (hold): everything unknown stays zero. */
static void
test_flow_unlatched_no_dest(void **state)
{
	union xr_sa src = sa("192.0.2.10:30002");
	static const uint8_t zero[16];
	struct xr_flow v;

	memset(&v, 0xee, sizeof(v));
	fp_flow_make(&v, 5, NULL, 0, &src, NULL, 64);
	assert_int_equal(v.flags, 0);
	assert_memory_equal(v.peer_addr, zero, 16);
	assert_int_equal(v.peer_port, 0);
	assert_int_equal(v.peer_family, 0);
	assert_memory_equal(v.dst_addr, zero, 16);
	assert_int_equal(v.dst_port, 0);
	assert_int_equal(v.out_family, XR_FAM_IPV4);
	assert_int_equal(v.pad0, 0);
}

/* Two encodings of the same flow are byte-identical (padding included). */
static void
test_flow_deterministic(void **state)
{
	union xr_sa peer = sa("198.51.100.7:4000");
	union xr_sa src = sa("192.0.2.10:30002");
	union xr_sa dst = sa("203.0.113.9:5004");
	struct xr_flow a, b;

	memset(&a, 0x00, sizeof(a));
	memset(&b, 0xff, sizeof(b));
	fp_flow_make(&a, 9, &peer, XR_FLOW_F_LATCHED, &src, &dst, 64);
	fp_flow_make(&b, 9, &peer, XR_FLOW_F_LATCHED, &src, &dst, 64);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void
check_round_trip(const char *s)
{
	union xr_sa in = sa(s), out, peer = sa(s);
	struct xr_flow_key k;
	struct xr_flow v;
	char buf[XR_SA_STRLEN];

	fp_key_make(&k, &in);
	assert_int_equal(xr_sa_from_map(&out, k.addr, k.port, k.family), 0);
	assert_true(xr_sa_eq(&in, &out));
	assert_string_equal(xr_sa_str(&out, buf, sizeof(buf)), s);

	fp_flow_make(&v, 1, &peer, XR_FLOW_F_LATCHED | XR_FLOW_F_FORWARD, &in, &in, 64);
	assert_int_equal(xr_sa_from_map(&out, v.peer_addr, v.peer_port, v.peer_family), 0);
	assert_true(xr_sa_eq(&peer, &out));
	assert_int_equal(xr_sa_from_map(&out, v.src_addr, v.src_port, v.out_family), 0);
	assert_true(xr_sa_eq(&in, &out));
	assert_int_equal(xr_sa_from_map(&out, v.dst_addr, v.dst_port, v.out_family), 0);
	assert_true(xr_sa_eq(&in, &out));
}

static void
test_round_trip(void **state)
{
	check_round_trip("192.0.2.10:30000");
	check_round_trip("0.0.0.1:1");
	check_round_trip("255.255.255.255:65535");
	check_round_trip("[2001:db8::1]:30001");
	check_round_trip("[::ffff:192.0.2.10]:30000");
	check_round_trip("[fe80::1:2:3:4]:5060");
}

/* An unknown family tag is refused, not guessed. */
static void
test_from_map_bad_family(void **state)
{
	union xr_sa out;
	uint8_t addr[16] = { 0 };

	assert_int_equal(xr_sa_from_map(&out, addr, htons(1), 0), -EINVAL);
	assert_int_equal(xr_sa_from_map(&out, addr, htons(1), 5), -EINVAL);
}

/* A table for 192.0.2.10, 2001:db8::1, 192.0.2.11, ports 30000-30999, in calloc'd memory. */
static void
table_up(struct fp *fp)
{
	union xr_sa addrs[3] = { sa("192.0.2.10:0"), sa("[2001:db8::1]:0"), sa("192.0.2.11:0") };

	memset(fp, 0, sizeof(*fp));
	assert_int_equal(fp_table_layout(fp, addrs, 3, 30000, 30999), 0);
	assert_int_equal(fp->nents, 3000);
	fp->tab = calloc(fp->nents, sizeof(*fp->tab));
	assert_non_null(fp->tab);
	fp->side = calloc(fp->nents, sizeof(*fp->side));
	assert_non_null(fp->side);
	fp->ncpus = 3;
	fp->pc_stride = fp->nents;
	fp->pc = calloc((size_t)fp->ncpus * fp->pc_stride, sizeof(*fp->pc));
	assert_non_null(fp->pc);
}

static void
table_down(struct fp *fp)
{
	free(fp->tab);
	free(fp->side);
	free(fp->pc);
}

static long
idx_of(const struct fp *fp, const char *s)
{
	union xr_sa a = sa(s);
	struct xr_flow_key k;

	fp_key_make(&k, &a);
	return fp_flow_index(fp, &k);
}

static void
test_index(void **state)
{
	struct fp fp;

	table_up(&fp);
	/* Row i is the i-th address, column the port's offset in the range. */
	assert_int_equal(idx_of(&fp, "192.0.2.10:30000"), 0);
	assert_int_equal(idx_of(&fp, "192.0.2.10:30999"), 999);
	assert_int_equal(idx_of(&fp, "[2001:db8::1]:30000"), 1000);
	assert_int_equal(idx_of(&fp, "[2001:db8::1]:30999"), 1999);
	assert_int_equal(idx_of(&fp, "192.0.2.11:30000"), 2000);
	assert_int_equal(idx_of(&fp, "192.0.2.11:30999"), 2999);
	/* Out of the range, or not one of the addresses: refused. */
	assert_int_equal(idx_of(&fp, "192.0.2.10:29999"), -ERANGE);
	assert_int_equal(idx_of(&fp, "192.0.2.10:31000"), -ERANGE);
	assert_int_equal(idx_of(&fp, "192.0.2.12:30000"), -ERANGE);
	assert_int_equal(idx_of(&fp, "[2001:db8::2]:30000"), -ERANGE);
	/* The IPv4 address as an IPv6 key (family differs): not the same row. */
	assert_int_equal(idx_of(&fp, "[::ffff:192.0.2.10]:30000"), -ERANGE);
	/* No table at all: everything refused. */
	table_down(&fp);
	fp.tab = NULL;
	assert_int_equal(idx_of(&fp, "192.0.2.10:30000"), -ERANGE);
	/* Bad layouts. */
	assert_int_equal(fp_table_layout(&fp, NULL, 0, 30000, 30999), -EINVAL);
	assert_int_equal(fp_table_entries(XR_CFG_ADDRS + 1, 30000, 30999), 0);
	assert_int_equal(fp_table_entries(1, 31000, 30000), 0);
	assert_int_equal(fp_table_entries(XR_CFG_ADDRS, 1024, 65535), XR_FLOWS_MAX);
}

/*
 * The address index of IPv4 address w (network order) as the program finds
 * its row, or -1; a row that is not index x nports fails the test.
 */
static int
h4_row(const struct xr_cfg *c, uint32_t w)
{
	uint32_t n = XR_CFG_H4_SLOT(w);

	for (int i = 0; i <= XR_CFG_ADDRS; i++, n++) {
		const struct xr_cfg_a4 *a = &c->h4[n & (XR_CFG_H4 - 1)];

		if (a->addr == w) {
			assert_int_equal(a->row % c->nports, 0);
			return (int)(a->row / c->nports);
		}
		if (!a->addr)
			return -1;
	}
	return -1;
}

/* What the program is told: IPv4 rows by hash, IPv6 apart, each with its row. */
static void
test_cfg(void **state)
{
	union xr_sa addrs[3] = { sa("192.0.2.10:0"), sa("[2001:db8::1]:0"), sa("192.0.2.11:0") };
	union xr_sa many[XR_CFG_ADDRS + 1];
	struct xr_cfg c, d;
	int taken = 0;

	fp_cfg_make(&c, addrs, 3, 30000, 30999);
	assert_int_equal(c.n4, 2);
	assert_int_equal(c.n6, 1);
	assert_int_equal(c.port_lo, 30000);
	assert_int_equal(c.nports, 1000);
	assert_int_equal(h4_row(&c, htonl(0xc000020a)), 0);
	assert_int_equal(h4_row(&c, htonl(0xc000020b)), 2);
	assert_int_equal(h4_row(&c, htonl(0xc000020c)), -1);
	assert_int_equal(c.r6[0], 1 * 1000);	/* the second address: row 1 of 1000 ports */
	assert_int_equal(c.a6[0][0], 0x20);
	assert_int_equal(c.a6[0][15], 1);
	d = c;
	d.bans = 1;
	assert_true(fp_cfg_same(&c, &d));	/* the bans switch is not the layout */
	d.port_lo = 30001;
	assert_false(fp_cfg_same(&c, &d));

	/*
	 * The most addresses (XR_CFG_ADDRS), as make bench's groups use them
	 * (10.14.g.1 and 10.15.g.1: slots collide, the probe finds each):
	 * every one at its row, nothing else found, half the slots taken.
	 */
	for (int i = 0; i <= XR_CFG_ADDRS; i++) {
		char buf[32];

		snprintf(buf, sizeof(buf), "10.%d.%d.1:0", 14 + (i & 1), i / 2);
		many[i] = sa(buf);
	}
	fp_cfg_make(&c, many, XR_CFG_ADDRS, 1024, 65535);
	assert_int_equal(c.n4, XR_CFG_ADDRS);
	assert_int_equal(c.nports, 64512);
	for (int i = 0; i < XR_CFG_ADDRS; i++)
		assert_int_equal(h4_row(&c, many[i].sin.sin_addr.s_addr), i);
	assert_int_equal(h4_row(&c, htonl(0x0a0e1001)), -1);	/* 10.14.16.1 */
	assert_int_equal(h4_row(&c, htonl(0x0a0f0002)), -1);	/* 10.15.0.2 */
	for (int i = 0; i < XR_CFG_H4; i++)
		taken += c.h4[i].addr != 0;
	assert_int_equal(taken, XR_CFG_ADDRS);
	/* One more address than the table has rows: no table, as fp_table_entries() says. */
	fp_cfg_make(&c, many, XR_CFG_ADDRS + 1, 1024, 65535);
	assert_int_equal(c.n4, 0);
	assert_int_equal(c.nports, 0);
	assert_int_equal(fp_table_entries(XR_CFG_ADDRS + 1, 1024, 65535), 0);
}

/* Entries: put, replace, get, stats, delete, flush; seq even after each write, +2. */
static void
test_entries(void **state)
{
	union xr_sa local = sa("[2001:db8::1]:30998"), peer = sa("[2001:db8::9]:4000");
	union xr_sa src = sa("[2001:db8::1]:30002"), dst = sa("[2001:db8::7]:5004");
	struct xr_flow v, got;
	struct xr_flow_stats st;
	struct xr_flow_key k, *keys;
	struct xr_flow_ent *e;
	struct fp fp;
	long idx;

	table_up(&fp);
	fp_key_make(&k, &local);
	idx = fp_flow_index(&fp, &k);
	assert_int_equal(idx, 1998);
	e = &fp.tab[idx];
	fp_flow_make(&v, 77, &peer, XR_FLOW_F_LATCHED | XR_FLOW_F_FORWARD, &src, &dst, 64);
	assert_int_equal(fp_flow_get(&fp, &k, &got), -ENOENT);
	assert_int_equal(fp_flow_stats(&fp, &k, &st), -ENOENT);
	assert_int_equal(fp_flow_put(&fp, &k, &v), 0);
	assert_int_equal(e->fwd.seq, 2);
	/* the families as flag bits (IPv6 peer, IPv6 out); fp_flow_get() gives them back */
	assert_int_equal(e->fwd.flags, XR_FLOW_F_LATCHED | XR_FLOW_F_FORWARD | XR_FLOW_F_PEER6 |
			 XR_FLOW_F_OUT6 | XR_FLOW_F_ACTIVE);
	assert_int_equal(fp.side[idx].session_id, 77);
	assert_memory_equal(e->fwd.dst_addr, v.dst_addr, 16);
	assert_int_equal(e->fwd.dst_port, v.dst_port);
	assert_int_equal(fp_flow_get(&fp, &k, &got), 0);
	assert_memory_equal(&got, &v, sizeof(v));
	assert_int_equal(fp_flows_count(&fp), 1);
	/*
	 * What the program adds, per CPU: the slots of the flow's generation
	 * summed, the latest last-seen; a replace keeps them, the new seq
	 * ends the cache.
	 */
	assert_int_equal(e->fwd.gen, 2);
	st = (struct xr_flow_stats){ .packets = 2, .bytes = 344, .last_seen_ns = 123 };
	fp_ent_set_stats(&fp, (size_t)idx, 0, &st);
	st = (struct xr_flow_stats){ .packets = 3, .bytes = 516, .last_seen_ns = 120 };
	fp_ent_set_stats(&fp, (size_t)idx, 2, &st);
	assert_int_equal(fp_flow_stats(&fp, &k, &st), 0);
	assert_int_equal(st.packets, 5);
	assert_int_equal(st.bytes, 860);
	assert_int_equal(st.last_seen_ns, 123);
	v.ttl = 63;
	assert_int_equal(fp_flow_put(&fp, &k, &v), 0);
	assert_int_equal(e->fwd.seq, 4);
	assert_int_equal(e->fwd.ttl, 63);
	assert_int_equal(fp_flow_stats(&fp, &k, &st), 0);
	assert_int_equal(st.packets, 5);
	assert_int_equal(fp_flows_keys(&fp, &keys), 1);
	assert_memory_equal(&keys[0], &k, sizeof(k));
	free(keys);
	assert_int_equal(e->fwd.gen, 2);
	/* Another entry's slots (the next index, another CPU's row) are not summed. */
	fp.pc[idx + 1].gen = 2;
	fp.pc[idx + 1].packets = 1000;
	fp.pc[1 * fp.pc_stride + idx + 1].gen = 2;
	fp.pc[1 * fp.pc_stride + idx + 1].packets = 1000;
	assert_int_equal(fp_flow_stats(&fp, &k, &st), 0);
	assert_int_equal(st.packets, 5);
	/* Delete: no flow, seq grows; a new flow there starts from zero. */
	assert_int_equal(fp_flow_del(&fp, &k), 0);
	assert_int_equal(e->fwd.seq, 6);
	assert_int_equal(e->fwd.flags, 0);
	assert_int_equal(e->fwd.gen, 2);	/* kept: the last counts stay readable */
	assert_int_equal(fp_flow_del(&fp, &k), -ENOENT);
	assert_int_equal(fp_flow_get(&fp, &k, &got), -ENOENT);
	assert_int_equal(fp_flows_count(&fp), 0);
	assert_int_equal(fp_flow_put(&fp, &k, &v), 0);
	/* A new generation: the old flow's slots (gen 2) are stale, none summed. */
	assert_int_equal(e->fwd.gen, 10);	/* seq after the put (the delete of nothing wrote too) */
	assert_int_equal(fp_flow_stats(&fp, &k, &st), 0);
	assert_int_equal(st.packets, 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(st.last_seen_ns, 0);
	/* Its packets on CPU 1 count; CPU 0 and 2 still hold gen 2's. */
	st = (struct xr_flow_stats){ .packets = 4, .bytes = 40, .last_seen_ns = 99 };
	fp_ent_set_stats(&fp, (size_t)idx, 1, &st);
	assert_int_equal(fp_flow_stats(&fp, &k, &st), 0);
	assert_int_equal(st.packets, 4);
	assert_int_equal(st.bytes, 40);
	assert_int_equal(st.last_seen_ns, 99);
	/* Out of the table: refused, nothing written. */
	local = sa("[2001:db8::1]:31000");
	fp_key_make(&k, &local);
	assert_int_equal(fp_flow_put(&fp, &k, &v), -ERANGE);
	assert_int_equal(fp_flow_del(&fp, &k), -ENOENT);
	/* Flush: every entry cleared but for seq, which keeps growing. */
	fp.side[idx].rl = 0x12340002;
	assert_int_equal(fp_flows_flush(&fp), 1);
	assert_int_equal(e->fwd.seq, 12);	/* the delete of nothing was a write too */
	assert_int_equal(fp.side[idx].rl, 0);
	assert_int_equal(fp.side[idx].session_id, 0);
	assert_int_equal(e->fwd.gen, 0);
	assert_int_equal(e->fwd.flags, 0);
	assert_int_equal(fp_flows_count(&fp), 0);
	assert_int_equal(fp.tab[0].fwd.seq, 0);	/* never written: left alone */
	table_down(&fp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_ipv4),
		cmocka_unit_test(test_key_ipv6),
		cmocka_unit_test(test_key_family_distinct),
		cmocka_unit_test(test_flow_ipv4),
		cmocka_unit_test(test_flow_ipv6),
		cmocka_unit_test(test_flow_af_bridge),
		cmocka_unit_test(test_flow_unlatched_no_dest),
		cmocka_unit_test(test_flow_deterministic),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_from_map_bad_family),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_cfg),
		cmocka_unit_test(test_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
