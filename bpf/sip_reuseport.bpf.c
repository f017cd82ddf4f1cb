// SPDX-License-Identifier: GPL-2.0
/*
 * sip_reuseport.bpf.c - the SIP workers' UDP balancer
 * (SEC("sk_reuseport") xr_sip_rp), attached by daemon/sip/balance.c to the
 * SO_REUSEPORT group of each --sip address.  It picks the worker socket by
 * a hash of the datagram's Call-ID, so one peer's calls spread over every
 * worker and every message of a call reaches the same one; without a
 * Call-ID (or a socket in the slot) the kernel's own hash of the addresses
 * decides.  The scan is include/xrelay/reuseport.h's xr_rp_step().
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xrelay/reuseport.h"

#define XR_AF_INET	2
#define UDP_HLEN	8	/* the datagram's data starts at its UDP header */

/* Workers (sockets) in each group; set by the loader before load. */
const volatile __u32 nworkers = 1;

/* Worker w's socket of group g at g * XR_RP_MAX_WORKERS + w. */
struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, XR_RP_SOCKS);
	__type(key, __u32);
	__type(value, __u64);
} xr_rp_socks SEC(".maps");

/* The bound address of a group's sockets -> its group number. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XR_RP_GROUPS);
	__type(key, struct xr_rp_group_key);
	__type(value, __u32);
} xr_rp_groups SEC(".maps");

/* The payload copy the scan reads (one per CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xr_rp_scratch);
} xr_rp_scratch SEC(".maps");

/* enum xr_rp_cnt counters, per CPU (no atomics). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XR_RP_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} xr_rp_stats SEC(".maps");

static __always_inline int
rp_count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&xr_rp_stats, &idx);

	if (c)
		*c += 1;
	return SK_PASS;		/* selected or not: never refuse a datagram */
}

/* bpf_loop() callback: one xr_rp_step() on this CPU's scratch. */
static long
rp_scan_cb(__u32 i, void *ctx)
{
	struct xr_rp_scan *st = ctx;
	__u32 zero = 0;
	struct xr_rp_scratch *s = bpf_map_lookup_elem(&xr_rp_scratch, &zero);

	if (!s)
		return 1;
	return xr_rp_step(st, s->buf, i);
}

SEC("sk_reuseport")
int
xr_sip_rp(struct sk_reuseport_md *ctx)
{
	struct xr_rp_group_key gk = {};
	struct xr_rp_scan st = {};
	struct xr_rp_scratch *s;
	struct bpf_sock *sk = ctx->sk;
	__u32 zero = 0, key, *group;
	__u64 plen, n;

	if (!sk || nworkers == 0)
		return rp_count(XR_RP_CNT_NO_GROUP);
	gk.family = sk->family;
	gk.port = sk->src_port;
	if (sk->family == XR_AF_INET) {
		gk.addr[0] = sk->src_ip4;
	} else {
		gk.addr[0] = sk->src_ip6[0];
		gk.addr[1] = sk->src_ip6[1];
		gk.addr[2] = sk->src_ip6[2];
		gk.addr[3] = sk->src_ip6[3];
	}
	group = bpf_map_lookup_elem(&xr_rp_groups, &gk);
	if (!group || *group >= XR_RP_GROUPS)
		return rp_count(XR_RP_CNT_NO_GROUP);
	s = bpf_map_lookup_elem(&xr_rp_scratch, &zero);
	if (!s || ctx->len <= UDP_HLEN + 16)
		return rp_count(XR_RP_CNT_NO_CALLID);
	/* 64-bit: one register the verifier sees bounded, no 32-bit copy */
	plen = (__u64)ctx->len - UDP_HLEN;
	n = plen;
	if (n > XR_RP_SCAN)
		n = XR_RP_SCAN;
	if (n == 0 || bpf_skb_load_bytes(ctx, UDP_HLEN, s->buf, n) < 0)
		return rp_count(XR_RP_CNT_NO_CALLID);
	st.n = (__u32)n;
	st.cut = plen > n;
	bpf_loop(n + 1, rp_scan_cb, &st, 0);
	if (st.state != XR_RP_FOUND)
		return rp_count(XR_RP_CNT_NO_CALLID);
	key = *group * XR_RP_MAX_WORKERS + xr_rp_worker(st.hash, nworkers);
	if (bpf_sk_select_reuseport(ctx, &xr_rp_socks, &key, 0) < 0)
		return rp_count(XR_RP_CNT_NO_SOCKET);
	return rp_count(XR_RP_CNT_CALLID);
}

char LICENSE[] SEC("license") = "GPL";
