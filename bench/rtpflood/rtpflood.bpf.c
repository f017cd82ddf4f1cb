// SPDX-License-Identifier: GPL-2.0
/*
 * rtpflood.bpf.c - rtpflood's two XDP programs.
 *   rf_gen   run by BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES: stamps
 *            the template frame for the next flow and sends it (XDP_TX out of
 *            the generator's interface), as xdp-trafficgen does.
 *   rf_sink  attached to the sink's interface: counts stamped RTP per flow,
 *            sequence range and one-way delay, then drops it.
 *   rf_fwd   the benchmark's minimal XDP forwarder: UDP to the counted ports
 *            gets fixed MACs and TTL-1 and is redirected, no lookups at all.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "rtpflood.h"

/* Flows the generator cycles through (set by the loader): this instance's
 * slice, stamped flow_base .. flow_base + nflows - 1 (one slice per thread). */
const volatile __u32 nflows = 1;
const volatile __u32 flow_base = 0;
const volatile __u8 rtp_pt = 0;		/* RTP payload type (0 = PCMU) */
/* UDP destination ports, host order, the sink counts (set by the loader). */
const volatile __u16 port_lo = 0;
const volatile __u16 port_hi = 65535;

/*
 * The generator's frame template (set by the loader).  Live frames are
 * recycled with whatever the last holder left in them (a forwarding hop
 * rewrites MACs, TTL, addresses), so every header field is written again
 * on every run, not only the ones that vary.
 */
const volatile __u8 tmpl_dst_mac[ETH_ALEN] = { 0 };
const volatile __u8 tmpl_src_mac[ETH_ALEN] = { 0 };
const volatile __u16 tmpl_ip_len = 0;	/* IPv4 total length, host order */
const volatile __u16 tmpl_udp_len = 0;	/* UDP length, host order */

/* Frames generated so far: picks the flow.  One generator thread, no atomics. */
__u64 gen_counter = 0;

/*
 * Map sizes below are the most a run may ask for; the loader shrinks each
 * table to the run's --flows (bpf_map__set_max_entries) before loading.
 */
/* Generator flow table, index 0 .. nflows-1. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RF_MAX_FLOWS);
	__type(key, __u32);
	__type(value, struct rf_gen_flow);
} rf_flows SEC(".maps");

/* Sink: per-flow, per-CPU counters. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RF_MAX_FLOWS);
	__type(key, __u32);
	__type(value, struct rf_sink_flow);
} rf_sink_flows SEC(".maps");

/* Sink: one-way delay histogram (rf_hist_bucket), per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RF_HIST_BUCKETS);
	__type(key, __u32);
	__type(value, __u64);
} rf_hist SEC(".maps");

/* Sink: stamped packets counted in all (per CPU): what --count polls. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rf_sink_total SEC(".maps");

/* Sink: UDP to a counted port without a valid stamp, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rf_foreign SEC(".maps");

/* rf_fwd: the egress device (one entry, key 0) and the MACs it writes. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} rf_tx SEC(".maps");

const volatile __u8 fwd_dst_mac[ETH_ALEN] = { 0 };
const volatile __u8 fwd_src_mac[ETH_ALEN] = { 0 };

/* rf_fwd: frames forwarded (per CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rf_fwd_count SEC(".maps");

/* Full IPv4 header checksum of a 20-byte header whose check field is 0. */
static __always_inline __u16
ip_csum20(const struct iphdr *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

SEC("xdp")
int
rf_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct udphdr *udp = (void *)(ip + 1);
	__u8 *rtp = (void *)(udp + 1);
	struct rf_stamp *st = (void *)(rtp + RF_RTP_HDR);
	struct rf_gen_flow *f;
	__u32 idx, seq;

	if ((void *)(st + 1) > end || nflows == 0)
		return XDP_ABORTED;
	idx = (__u32)(gen_counter++ % nflows);
	f = bpf_map_lookup_elem(&rf_flows, &idx);
	if (!f)
		return XDP_ABORTED;
	seq = f->seq++;

	eth = data;
#pragma unroll
	for (int i = 0; i < ETH_ALEN; i++) {
		eth->h_dest[i] = tmpl_dst_mac[i];
		eth->h_source[i] = tmpl_src_mac[i];
	}
	eth->h_proto = bpf_htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = 0xb8;		/* DSCP EF, as voice is marked */
	ip->tot_len = bpf_htons(tmpl_ip_len);
	ip->id = 0;
	ip->frag_off = bpf_htons(0x4000);	/* DF */
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = f->saddr;
	ip->daddr = f->daddr;
	ip->check = 0;
	ip->check = ip_csum20(ip);
	udp->source = f->sport;
	udp->dest = f->dport;
	udp->len = bpf_htons(tmpl_udp_len);
	udp->check = 0;		/* optional in IPv4: spares a checksum over the payload */

	rtp[0] = 0x80;		/* V=2 */
	rtp[1] = rtp_pt & 0x7f;	/* M=0, PT */
	*(__be16 *)(rtp + 2) = bpf_htons((__u16)seq);
	*(__be32 *)(rtp + 4) = bpf_htonl(seq * 160);	/* 20 ms at 8 kHz per packet */
	*(__be32 *)(rtp + 8) = bpf_htonl(0x52460000u + flow_base + idx);	/* SSRC */
	st->magic = RF_MAGIC;
	st->flow = flow_base + idx;
	st->seq = seq;
	st->pad = 0;
	st->sent_ns = bpf_ktime_get_ns();
	return XDP_TX;
}

SEC("xdp")
int
rf_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	struct rf_stamp *st;
	struct rf_sink_flow *sf;
	__u64 now, *h, *fc;
	__u32 key = 0, idx, b;
	__u16 dport;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP || ip->ihl < 5 ||
		    (ip->frag_off & bpf_htons(0x3fff)))
			return XDP_PASS;
		udp = (void *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_UDP)
			return XDP_PASS;
		udp = (void *)(ip6 + 1);
	} else {
		return XDP_PASS;
	}
	if ((void *)(udp + 1) > end)
		return XDP_PASS;
	dport = bpf_ntohs(udp->dest);
	if (dport < port_lo || dport > port_hi)
		return XDP_PASS;

	st = (void *)(udp + 1) + RF_RTP_HDR;
	/* RTP version 2 and our stamp, else not one of ours */
	if ((void *)(st + 1) > end || (*((__u8 *)(udp + 1)) & 0xc0) != 0x80 ||
	    st->magic != RF_MAGIC)
		goto foreign;
	idx = st->flow;
	sf = bpf_map_lookup_elem(&rf_sink_flows, &idx);
	if (!sf)		/* a flow index beyond --flows */
		goto foreign;
	now = bpf_ktime_get_ns();
	if (sf->packets == 0) {
		sf->seq_min = st->seq;
		sf->seq_max = st->seq;
		sf->first_ns = now;
	} else if (st->seq > sf->seq_max) {
		sf->seq_max = st->seq;
	} else {
		/* older than one seen before it (or a duplicate): reordered */
		sf->reordered++;
		if (st->seq < sf->seq_min)
			sf->seq_min = st->seq;
	}
	sf->packets++;
	sf->bytes += bpf_ntohs(udp->len) - sizeof(*udp);
	sf->last_ns = now;
	fc = bpf_map_lookup_elem(&rf_sink_total, &key);
	if (fc)
		*fc += 1;
	b = rf_hist_bucket(now > st->sent_ns ? now - st->sent_ns : 0);
	h = bpf_map_lookup_elem(&rf_hist, &b);
	if (h)
		*h += 1;
	return XDP_DROP;
foreign:
	fc = bpf_map_lookup_elem(&rf_foreign, &key);
	if (fc)
		*fc += 1;
	return XDP_PASS;
}

SEC("xdp")
int
rf_fwd(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	__u32 key = 0, sum;
	__u16 dport;
	__u64 *c;

	if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP || ip->ttl <= 1)
		return XDP_PASS;
	dport = bpf_ntohs(udp->dest);
	if (dport < port_lo || dport > port_hi)
		return XDP_PASS;
#pragma unroll
	for (int i = 0; i < ETH_ALEN; i++) {
		eth->h_dest[i] = fwd_dst_mac[i];
		eth->h_source[i] = fwd_src_mac[i];
	}
	/* TTL - 1 with the RFC 1624 incremental checksum update, as a router does. */
	ip->ttl--;
	sum = (__u32)ip->check + bpf_htons(0x0100);
	ip->check = (__u16)(sum + (sum >> 16));
	c = bpf_map_lookup_elem(&rf_fwd_count, &key);
	if (c)
		*c += 1;
	return bpf_redirect_map(&rf_tx, 0, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
