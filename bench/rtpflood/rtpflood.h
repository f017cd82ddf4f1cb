/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtpflood.h - what rtpflood's generator, sink and BPF programs share: the
 * stamp every RTP payload starts with, the generator's flow table, the sink's
 * per-flow counters and the latency histogram buckets.  Included by
 * rtpflood.bpf.c (types and inline helpers only) and by the userspace files.
 */
#ifndef RTPFLOOD_H
#define RTPFLOOD_H

#include <linux/types.h>

#define RF_MAGIC		0x31465258u	/* "XRF1" in a little-endian load */
#define RF_MAX_FLOWS		(1u << 21)	/* --flows at most (maps sized per run) */
#define RF_MAX_THREADS		64		/* --threads at most */
#define RF_RTP_HDR		12		/* RTP fixed header, no CSRC */
#define RF_HIST_BUCKETS		6144

/*
 * Start of every RTP payload (host byte order: generator and sink run on one
 * machine).  seq is the flow's 32-bit sequence number, so loss is counted
 * without RTP's 16-bit wrap; sent_ns is CLOCK_MONOTONIC at generation.
 */
struct rf_stamp {
	__u32	magic;		/* RF_MAGIC */
	__u32	flow;		/* flow index, 0 .. nflows-1 */
	__u32	seq;		/* per-flow sequence number, from 0 */
	__u32	pad;		/* zero */
	__u64	sent_ns;	/* CLOCK_MONOTONIC (bpf_ktime_get_ns) when generated */
};

/* One generator flow (xdp mode): what the program writes into each frame. */
struct rf_gen_flow {
	__be32	saddr;		/* IPv4 source, network order */
	__be32	daddr;		/* IPv4 destination, network order */
	__be16	sport;		/* UDP source port, network order */
	__be16	dport;		/* UDP destination port, network order */
	__u32	seq;		/* next sequence number (program increments) */
};

/* Sink counters of one flow on one CPU (xdp sink; summed/merged by userspace). */
struct rf_sink_flow {
	__u64	packets;	/* stamped packets seen */
	__u64	bytes;		/* UDP payload bytes */
	__u32	seq_min;	/* lowest seq seen (valid when packets > 0) */
	__u32	seq_max;	/* highest seq seen */
	__u64	first_ns;	/* CLOCK_MONOTONIC of the first packet */
	__u64	last_ns;	/* CLOCK_MONOTONIC of the last packet */
	__u64	reordered;	/* arrived with a seq below the highest seen before */
};

/*
 * Latency histogram bucket of a one-way delay in ns: 1 us buckets below
 * 2048 us, 64 us buckets below 131072 us, 1 ms buckets up to ~2.2 s, the
 * last bucket for anything longer (an overloaded userspace relay queues).
 */
#define RF_HIST_B1		2048u			/* first bucket of the 64 us range */
#define RF_HIST_US1		2048u
#define RF_HIST_B2		(RF_HIST_B1 + 2016u)	/* first bucket of the 1 ms range */
#define RF_HIST_US2		(RF_HIST_US1 + 2016u * 64u)

static inline __u32
rf_hist_bucket(__u64 delta_ns)
{
	__u64 us = delta_ns / 1000, b;

	if (us < RF_HIST_US1)
		return (__u32)us;
	if (us < RF_HIST_US2)
		return RF_HIST_B1 + (__u32)((us - RF_HIST_US1) / 64);
	b = RF_HIST_B2 + (us - RF_HIST_US2) / 1024;
	return b < RF_HIST_BUCKETS - 1 ? (__u32)b : RF_HIST_BUCKETS - 1;
}

#ifndef __bpf__
#include <stdbool.h>
#include <stdint.h>

/* Lower bound in us of bucket b (inverse of rf_hist_bucket). */
static inline double
rf_hist_us(uint32_t b)
{
	if (b < RF_HIST_B1)
		return (double)b;
	if (b < RF_HIST_B2)
		return RF_HIST_US1 + (double)(b - RF_HIST_B1) * 64.0;
	return RF_HIST_US2 + (double)(b - RF_HIST_B2) * 1024.0;
}

/* The run's results, filled by gen.c / sink.c, printed by rtpflood.c. */
struct rf_result {
	const char	*role;		/* "gen", "sink" or "fwd" */
	const char	*mode;		/* "udp" or "xdp" */
	uint64_t	sent;		/* gen: packets handed to the kernel */
	uint64_t	received;	/* sink: stamped packets received; fwd: forwarded */
	uint64_t	lost;		/* sink: gaps in the per-flow sequence numbers */
	uint64_t	bytes;		/* RTP bytes sent/received */
	uint64_t	foreign;	/* sink: packets without our stamp */
	uint64_t	reordered;	/* sink: packets older than one seen before them */
	uint32_t	flows_seen;	/* sink: flows with at least one packet */
	uint32_t	nflows;
	double		seconds;	/* gen: send time; sink: first to last packet */
	double		pps;
	double		bps;		/* RTP (UDP payload) bits per second */
	struct rf_sink_flow *per_flow;	/* sink: nflows merged counters (--per-flow) */
	uint64_t	hist[RF_HIST_BUCKETS];	/* sink: one-way delay histogram */
	uint64_t	hist_n;
};

struct rf_opts {
	bool		sink;		/* role: sink */
	bool		fwd;		/* role: minimal XDP forwarder */
	char		out[16];	/* --out: fwd egress interface */
	bool		xdp;		/* mode */
	bool		json;
	int		verbose;
	char		dev[16];	/* --dev: xdp gen egress / xdp sink ingress */
	char		dst[64];	/* --dst ADDR:PORT (gen), first destination */
	char		dst_file[256];	/* --dst-file: one ADDR:PORT per line */
	char		src[64];	/* --src ADDR:PORT (gen) / --bind ADDR:PORT (sink) */
	int		dst_step;	/* port step between flows' destinations */
	int		src_step;	/* port step between flows' sources (xdp gen) */
	uint32_t	nflows;		/* --flows */
	uint32_t	size;		/* --size: RTP payload bytes */
	uint64_t	rate;		/* --rate pps in all, 0 = as fast as possible */
	uint64_t	flow_rate;	/* --flow-rate pps per flow (sets rate) */
	uint32_t	threads;	/* --threads: generator threads, flows split */
	uint8_t		pt;		/* --pt: RTP payload type */
	bool		per_flow;	/* --per-flow: sink reports every flow */
	uint32_t	reorder;	/* --reorder K: udp gen swaps every K-th packet (tests) */
	uint64_t	count;		/* --count packets, 0 = until --duration */
	double		duration;	/* --duration seconds (always bounded) */
	uint32_t	batch;		/* --batch: sendmmsg/recvmmsg or live-frames batch */
	uint8_t		dst_mac[6];	/* --dst-mac (xdp gen) */
	bool		have_dst_mac;
	uint32_t	port_lo, port_hi; /* sink: ports counted (xdp sink) */
};

extern volatile int rf_stop;	/* set by SIGINT/SIGTERM */

int	rf_gen_udp(const struct rf_opts *o, struct rf_result *r);
int	rf_gen_xdp(const struct rf_opts *o, struct rf_result *r);
int	rf_sink_udp(const struct rf_opts *o, struct rf_result *r);
int	rf_sink_xdp(const struct rf_opts *o, struct rf_result *r);
int	rf_fwd_xdp(const struct rf_opts *o, struct rf_result *r);
/* MAC address of a local interface; 0 or -errno. */
int	rf_if_mac(const char *dev, uint8_t mac[6]);

/* One flow's expected and lost packets from its merged counters. */
static inline uint64_t
rf_flow_lost(const struct rf_sink_flow *f)
{
	uint64_t expect = (uint64_t)(f->seq_max - f->seq_min) + 1;

	return f->packets && expect > f->packets ? expect - f->packets : 0;
}

/* Destinations of the flows from --dst/--dst-step/--flows or --dst-file. */
struct sockaddr_storage;
int	rf_flow_dsts(const struct rf_opts *o, struct sockaddr_storage *dsts, uint32_t n);
double	rf_now(void);	/* CLOCK_MONOTONIC seconds */
uint64_t rf_now_ns(void);
#endif /* !__bpf__ */

#endif /* RTPFLOOD_H */
