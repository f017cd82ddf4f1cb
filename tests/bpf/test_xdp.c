// SPDX-License-Identifier: GPL-2.0
/*
 * test_xdp.c - the XDP program through bpf_prog_test_run_opts, table-driven,
 * in a private netns (veths, permanent neighbours): the daemon's skeleton,
 * maps filled by daemon/fastpath/maps.c; per row the verdict, the output
 * frame byte for byte, the one counter that rises.  Exit 77 when not root.
 * `test_xdp --bench N` times N runs of an IPv4 hit (ns/packet); not a test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>

#include "fastpath/fastpath.h"
#include "xrelay/maps.h"
/* The generated skeleton casts away const: not ours to fix. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "xrelay.skel.h"
#pragma GCC diagnostic pop
#include "pkt.h"

#define ETH_P_8021Q_	0x8100
#define ETH_P_8021AD_	0x88a8

/*
 * The test namespace.  va0/vb0 are the relay's two sides; vc0 stands in for
 * a VLAN device on vb0 (this kernel has no 8021q, and the program only sees
 * ifindexes: xr_vlans says vc0 is VLAN 100 on vb0).  vb0's MTU is lowered
 * for the frag-needed row.
 */
static const char *const netns_cmds[] = {
	"ip link set lo up",
	"ip link add va0 address 02:00:00:00:a0:01 type veth peer name va1 address 02:00:00:00:a0:02",
	"ip link add vb0 address 02:00:00:00:b0:01 mtu 1400 type veth peer name vb1 address 02:00:00:00:b0:02",
	"ip link add vc0 address 02:00:00:00:c0:01 type veth peer name vc1 address 02:00:00:00:c0:02",
	"ip link set va0 up", "ip link set va1 up", "ip link set vb0 up", "ip link set vb1 up",
	"ip link set vc0 up", "ip link set vc1 up",
	"ip addr add 10.1.0.1/24 dev va0", "ip addr add fd01::1/64 dev va0 nodad",
	"ip addr add 10.2.0.1/24 dev vb0", "ip addr add fd02::1/64 dev vb0 nodad",
	"ip addr add 10.3.0.1/24 dev vc0",
	"ip neigh add 10.1.0.2 lladdr 02:00:00:00:a1:02 dev va0 nud permanent",
	"ip neigh add 10.1.0.3 lladdr 02:00:00:00:a1:03 dev va0 nud permanent",
	"ip neigh add 10.2.0.2 lladdr 02:00:00:00:b1:02 dev vb0 nud permanent",
	"ip neigh add 10.2.0.3 lladdr 02:00:00:00:b1:03 dev vb0 nud permanent",
	"ip neigh add 10.3.0.2 lladdr 02:00:00:00:c1:02 dev vc0 nud permanent",
	"ip -6 neigh add fd01::2 lladdr 02:00:00:00:a1:02 dev va0 nud permanent",
	"ip -6 neigh add fd02::2 lladdr 02:00:00:00:b1:02 dev vb0 nud permanent",
	NULL
};

/* The loader's forwarding set-up (see fib_ifindex in xrelay.bpf.c). */
static const char *const sysctls[][2] = {
	{ "/proc/sys/net/ipv4/ip_forward", "0" },
	{ "/proc/sys/net/ipv6/conf/all/forwarding", "0" },
	{ "/proc/sys/net/ipv4/conf/lo/forwarding", "1" },
	{ "/proc/sys/net/ipv6/conf/lo/forwarding", "1" },
};

#define MAC_VA0	"02:00:00:00:a0:01"
#define MAC_VB0	"02:00:00:00:b0:01"
#define MAC_VC0	"02:00:00:00:c0:01"
#define MAC_A2	"02:00:00:00:a1:02"	/* 10.1.0.2, fd01::2 */
#define MAC_A3	"02:00:00:00:a1:03"	/* 10.1.0.3 */
#define MAC_B2	"02:00:00:00:b1:02"	/* 10.2.0.2, fd02::2 */
#define MAC_B3	"02:00:00:00:b1:03"	/* 10.2.0.3 */
#define MAC_C2	"02:00:00:00:c1:02"	/* 10.3.0.2 */
#define MAC_PEER "02:00:00:00:99:01"	/* whoever sent the input frame */

/* One loaded skeleton and the struct fp the daemon's maps.c works on. */
struct tskel {
	struct xrelay	*skel;
	struct fp	fp;
};

static struct tskel sk_lo;	/* fib_ifindex = 1 (lo): what the loader does; no sample */
static struct tskel sk_in;	/* fib_ifindex = 0: lookup on the ingress device */

/* Wrong-source packets a second (per CPU) sk_in passes up; sk_lo passes none. */
#define SK_IN_SAMPLE	3

/* A frame in a row: addresses as strings, MACs, tags and oddities. */
struct frame {
	const char	*from, *to;	/* "10.1.0.2:4000"; NULL from: ARP */
	const char	*dmac, *smac;
	int		nvlan;
	uint16_t	tci[2];
	uint16_t	tpid[2];
	uint8_t		ttl;
	uint8_t		proto;
	uint16_t	frag_off;
	int		ip_opt_len;
	uint32_t	flowlabel;
	bool		v6_frag;
	bool		csum_zero;
	size_t		payload;
	size_t		pad_to;		/* zero-pad the frame to this length (Ethernet minimum) */
};

/* Map set-up extras of a row. */
#define ROW_VLAN_VC0	(1u << 0)	/* xr_vlans: vc0 is VLAN 100 on vb0 */

struct row {
	const char	*name;
	/* the flow; local NULL: none */
	const char	*local, *peer, *src, *dst;
	unsigned	flags;
	uint8_t		ttl;
	unsigned	extra;		/* ROW_* */
	int		in_skel;	/* 1: run on sk_in instead of sk_lo */
	const char	*ingress;	/* device the frame arrives on */
	struct frame	in;
	void		(*mutate)(uint8_t *buf, size_t *len);
	const char	*ban;		/* a prefix in xr_bans ("10.1.0.0/24"), or NULL */
	bool		ban_expired;	/* ... whose expiry has passed */
	int		retval;		/* XDP_* */
	enum xr_cnt	cnt;		/* the counter that rises by one */
	struct frame	out;		/* expected frame when forwarded */
};

#define LF	(XR_FLOW_F_LATCHED | XR_FLOW_F_FORWARD)
#define IN_A	.dmac = MAC_VA0, .smac = MAC_PEER
#define IN_B	.dmac = MAC_VB0, .smac = MAC_PEER
/* The standard IPv4 flow: A (10.1.0.2:4000) -> relay 10.1.0.1:30000 -> B. */
#define FLOW_V4	.local = "10.1.0.1:30000", .peer = "10.1.0.2:4000", \
		.src = "10.2.0.1:30002", .dst = "10.2.0.2:5000", .ttl = 64
#define FRAME_V4 .from = "10.1.0.2:4000", .to = "10.1.0.1:30000", IN_A, .ttl = 50, .payload = 172
#define OUT_V4	.from = "10.2.0.1:30002", .to = "10.2.0.2:5000", .dmac = MAC_B2, \
		.smac = MAC_VB0, .ttl = 64, .payload = 172
#define FLOW_V6	.local = "[fd01::1]:30000", .peer = "[fd01::2]:4000", \
		.src = "[fd02::1]:30002", .dst = "[fd02::2]:5000", .ttl = 63

/* ---- mutations for malformed frames (untagged IPv4, l3 at 14, l4 at 34) ---- */

static void
mut_udp_len_long(uint8_t *b, size_t *len)
{
	b[38] = 0x01;			/* udp->len = 0x01xx > IP payload */
}

static void
mut_udp_len_short(uint8_t *b, size_t *len)
{
	b[38] = 0;
	b[39] = 4;			/* udp->len = 4 < 8 */
}

static void
mut_udp_hdr_cut(uint8_t *b, size_t *len)
{
	*len = 14 + 20 + 4;		/* UDP header cut after the ports */
	b[16] = 0;
	b[17] = 24;			/* tot_len consistent with the cut */
}

static void
mut_ip_tot_len_long(uint8_t *b, size_t *len)
{
	uint16_t tot = (uint16_t)(b[16] << 8 | b[17]);

	tot += 100;			/* claims more than the frame holds */
	b[16] = (uint8_t)(tot >> 8);
	b[17] = (uint8_t)tot;
}

static void
mut_ip_hdr_cut(uint8_t *b, size_t *len)
{
	*len = 14 + 12;			/* IPv4 header cut in the middle */
}

static void
mut_ihl_short(uint8_t *b, size_t *len)
{
	b[14] = 0x44;			/* IHL 4 */
}

/* 24 bytes after the UDP datagram, inside the IPv4 packet (tot_len and checksum follow). */
static void
mut_ip_trailer(uint8_t *b, size_t *len)
{
	uint16_t tot = (uint16_t)(b[16] << 8 | b[17]) + 24;
	uint32_t sum = 0;

	memset(b + *len, 0xee, 24);
	*len += 24;
	b[16] = (uint8_t)(tot >> 8);
	b[17] = (uint8_t)tot;
	b[24] = b[25] = 0;
	for (int i = 14; i < 34; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	b[24] = (uint8_t)(~sum >> 8);
	b[25] = (uint8_t)~sum;
}

/* The same in IPv6 (payload_len follows; no header checksum). */
static void
mut_v6_trailer(uint8_t *b, size_t *len)
{
	uint16_t plen = (uint16_t)(b[18] << 8 | b[19]) + 24;

	memset(b + *len, 0xee, 24);
	*len += 24;
	b[18] = (uint8_t)(plen >> 8);
	b[19] = (uint8_t)plen;
}

static void
mut_v6_hbh(uint8_t *b, size_t *len)
{
	b[20] = 0;			/* next header: hop-by-hop options */
}

static void
mut_v6_plen_long(uint8_t *b, size_t *len)
{
	b[18] = 0x05;			/* payload_len > frame */
}

/*
 * Rows start from the FLOW_V4 / FRAME_V4 defaults and override a field or
 * two: designated initialisers overriding earlier ones is the point here.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static struct row rows[] = {
	/* ---- forwarded ---- */
	{ .name = "hit IPv4 -> other side (redirect)", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4 }, .retval = XDP_REDIRECT, .cnt = XR_CNT_fwd_redirect,
	  .out = { OUT_V4 } },
	{ .name = "hit IPv4 -> same side (XDP_TX)", .local = "10.1.0.1:30000",
	  .peer = "10.1.0.2:4000", .src = "10.1.0.1:30002", .dst = "10.1.0.3:5002", .ttl = 64,
	  .flags = LF, .ingress = "va0", .in = { FRAME_V4 }, .retval = XDP_TX,
	  .cnt = XR_CNT_fwd_tx,
	  .out = { .from = "10.1.0.1:30002", .to = "10.1.0.3:5002", .dmac = MAC_A3,
		   .smac = MAC_VA0, .ttl = 64, .payload = 172 } },
	{ .name = "hit IPv6 (redirect)", FLOW_V6, .flags = LF, .ingress = "va0",
	  .in = { .from = "[fd01::2]:4000", .to = "[fd01::1]:30000", IN_A, .ttl = 7,
		  .payload = 160 },
	  .retval = XDP_REDIRECT, .cnt = XR_CNT_fwd_redirect,
	  .out = { .from = "[fd02::1]:30002", .to = "[fd02::2]:5000", .dmac = MAC_B2,
		   .smac = MAC_VB0, .ttl = 63, .payload = 160 } },
	/* The userspace relay's sockets send flow label 0 (IPV6_AUTOFLOWLABEL off). */
	{ .name = "IPv6 flow label cleared, traffic class kept", FLOW_V6, .flags = LF,
	  .ingress = "va0",
	  .in = { .from = "[fd01::2]:4000", .to = "[fd01::1]:30000", IN_A, .ttl = 7,
		  .flowlabel = 0xabcde, .payload = 160 },
	  .retval = XDP_REDIRECT, .cnt = XR_CNT_fwd_redirect,
	  .out = { .from = "[fd02::1]:30002", .to = "[fd02::2]:5000", .dmac = MAC_B2,
		   .smac = MAC_VB0, .ttl = 63, .payload = 160 } },
	{ .name = "IPv4 UDP checksum 0 stays 0", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4, .csum_zero = true }, .retval = XDP_REDIRECT,
	  .cnt = XR_CNT_fwd_redirect, .out = { OUT_V4, .csum_zero = true } },
	/* The userspace relay's socket sends no options: neither does XDP. */
	{ .name = "IPv4 options dropped, as the userspace relay does", FLOW_V4, .flags = LF,
	  .ingress = "va0", .in = { FRAME_V4, .ip_opt_len = 8 }, .retval = XDP_REDIRECT,
	  .cnt = XR_CNT_fwd_redirect, .out = { OUT_V4 } },
	{ .name = "IPv4 40 bytes of options dropped, odd payload", FLOW_V4, .flags = LF,
	  .ingress = "va0", .in = { FRAME_V4, .ip_opt_len = 40, .payload = 33 },
	  .retval = XDP_REDIRECT, .cnt = XR_CNT_fwd_redirect, .out = { OUT_V4, .payload = 33 } },
	{ .name = "IPv4 options dropped, VLAN tag popped", FLOW_V4, .flags = LF,
	  .ingress = "va0", .in = { FRAME_V4, .nvlan = 1, .tci = { 0x2123 }, .ip_opt_len = 12 },
	  .retval = XDP_REDIRECT, .cnt = XR_CNT_fwd_redirect, .out = { OUT_V4 } },
	{ .name = "IPv4 options dropped, VLAN tag kept (XDP_TX)", .local = "10.2.0.1:30004",
	  .peer = "10.2.0.2:4002", .src = "10.2.0.1:30006", .dst = "10.2.0.3:5004", .ttl = 64,
	  .flags = LF, .ingress = "vb0",
	  .in = { .from = "10.2.0.2:4002", .to = "10.2.0.1:30004", IN_B, .nvlan = 1,
		  .tci = { 0xa064 }, .ip_opt_len = 4, .payload = 100 },
	  .retval = XDP_TX, .cnt = XR_CNT_fwd_tx,
	  .out = { .from = "10.2.0.1:30006", .to = "10.2.0.3:5004", .dmac = MAC_B3,
		   .smac = MAC_VB0, .nvlan = 1, .tci = { 0xa064 }, .ttl = 64, .payload = 100 } },
	/* What the userspace relay would send: the datagram, no trailing bytes. */
	{ .name = "short frame, Ethernet padding dropped", FLOW_V4, .flags = LF,
	  .ingress = "va0", .in = { FRAME_V4, .payload = 4, .pad_to = 60 },
	  .retval = XDP_REDIRECT, .cnt = XR_CNT_fwd_redirect,
	  .out = { OUT_V4, .payload = 4 } },
	{ .name = "bytes after the UDP datagram in the IPv4 packet dropped", FLOW_V4,
	  .flags = LF, .ingress = "va0", .in = { FRAME_V4, .payload = 100 },
	  .mutate = mut_ip_trailer, .retval = XDP_REDIRECT, .cnt = XR_CNT_fwd_redirect,
	  .out = { OUT_V4, .payload = 100 } },
	{ .name = "bytes after the UDP datagram in the IPv6 packet dropped", FLOW_V6,
	  .flags = LF, .ingress = "va0",
	  .in = { .from = "[fd01::2]:4000", .to = "[fd01::1]:30000", IN_A, .ttl = 7,
		  .payload = 100 },
	  .mutate = mut_v6_trailer, .retval = XDP_REDIRECT, .cnt = XR_CNT_fwd_redirect,
	  .out = { .from = "[fd02::1]:30002", .to = "[fd02::2]:5000", .dmac = MAC_B2,
		   .smac = MAC_VB0, .ttl = 63, .payload = 100 } },
	{ .name = "TTL 1 in, flow TTL 255 out", FLOW_V4, .ttl = 255, .flags = LF,
	  .ingress = "va0", .in = { FRAME_V4, .ttl = 1 }, .retval = XDP_REDIRECT,
	  .cnt = XR_CNT_fwd_redirect, .out = { OUT_V4, .ttl = 255 } },
	{ .name = "VLAN tag popped, IPv6", FLOW_V6, .flags = LF, .ingress = "va0",
	  .in = { .from = "[fd01::2]:4000", .to = "[fd01::1]:30000", IN_A, .nvlan = 1,
		  .tci = { 0x2123 }, .ttl = 9, .payload = 160 },
	  .retval = XDP_REDIRECT, .cnt = XR_CNT_fwd_redirect,
	  .out = { .from = "[fd02::1]:30002", .to = "[fd02::2]:5000", .dmac = MAC_B2,
		   .smac = MAC_VB0, .ttl = 63, .payload = 160 } },
	{ .name = "odd payload length", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4, .payload = 33 }, .retval = XDP_REDIRECT,
	  .cnt = XR_CNT_fwd_redirect, .out = { OUT_V4, .payload = 33 } },
	{ .name = "VLAN tag kept, same device (XDP_TX)", .local = "10.2.0.1:30004",
	  .peer = "10.2.0.2:4002", .src = "10.2.0.1:30006", .dst = "10.2.0.3:5004", .ttl = 64,
	  .flags = LF, .ingress = "vb0",
	  .in = { .from = "10.2.0.2:4002", .to = "10.2.0.1:30004", IN_B, .nvlan = 1,
		  .tci = { 0xa064 }, .payload = 100 },
	  .retval = XDP_TX, .cnt = XR_CNT_fwd_tx,
	  .out = { .from = "10.2.0.1:30006", .to = "10.2.0.3:5004", .dmac = MAC_B3,
		   .smac = MAC_VB0, .nvlan = 1, .tci = { 0xa064 }, .ttl = 64, .payload = 100 } },
	{ .name = "VLAN tag popped (tagged in, untagged egress)", .local = "10.2.0.1:30004",
	  .peer = "10.2.0.2:4002", .src = "10.1.0.1:30008", .dst = "10.1.0.2:5006", .ttl = 64,
	  .flags = LF, .ingress = "vb0",
	  .in = { .from = "10.2.0.2:4002", .to = "10.2.0.1:30004", IN_B, .nvlan = 1,
		  .tci = { 100 }, .payload = 100 },
	  .retval = XDP_REDIRECT, .cnt = XR_CNT_fwd_redirect,
	  .out = { .from = "10.1.0.1:30008", .to = "10.1.0.2:5006", .dmac = MAC_A2,
		   .smac = MAC_VA0, .ttl = 64, .payload = 100 } },
	{ .name = "VLAN tag pushed (egress is a VLAN device)", .local = "10.1.0.1:30000",
	  .peer = "10.1.0.2:4000", .src = "10.3.0.1:30010", .dst = "10.3.0.2:5008", .ttl = 64,
	  .flags = LF, .extra = ROW_VLAN_VC0, .ingress = "va0", .in = { FRAME_V4 },
	  .retval = XDP_REDIRECT, .cnt = XR_CNT_fwd_redirect,
	  .out = { .from = "10.3.0.1:30010", .to = "10.3.0.2:5008", .dmac = MAC_C2,
		   .smac = MAC_VC0, .nvlan = 1, .tci = { 100 }, .ttl = 64, .payload = 172 } },
	{ .name = "VLAN id rewritten, PCP kept (802.1AD)", .local = "10.2.0.1:30004",
	  .peer = "10.2.0.2:4002", .src = "10.3.0.1:30010", .dst = "10.3.0.2:5008", .ttl = 64,
	  .flags = LF, .extra = ROW_VLAN_VC0, .ingress = "vb0",
	  .in = { .from = "10.2.0.2:4002", .to = "10.2.0.1:30004", IN_B, .nvlan = 1,
		  .tpid = { ETH_P_8021AD_ }, .tci = { 0xa007 }, .payload = 100 },
	  .retval = XDP_TX, .cnt = XR_CNT_fwd_tx,
	  .out = { .from = "10.3.0.1:30010", .to = "10.3.0.2:5008", .dmac = MAC_C2,
		   .smac = MAC_VC0, .nvlan = 1, .tpid = { ETH_P_8021AD_ }, .tci = { 0xa064 },
		   .ttl = 64, .payload = 100 } },

	/* ---- flow rules: passed untouched ---- */
	{ .name = "unknown port", .local = "10.1.0.1:30002", .peer = "10.1.0.2:4000",
	  .src = "10.2.0.1:30002", .dst = "10.2.0.2:5000", .flags = LF, .ttl = 64,
	  .ingress = "va0", .in = { FRAME_V4 }, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_unknown_port },
	{ .name = "unknown address, known port", .local = "10.2.0.1:30000",
	  .peer = "10.1.0.2:4000", .src = "10.2.0.1:30002", .dst = "10.2.0.2:5000", .flags = LF,
	  .ttl = 64, .ingress = "va0", .in = { FRAME_V4 }, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_unknown_port },
	/* The table's index: an address or port outside --media x --ports is no flow. */
	{ .name = "port below the range", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4, .to = "10.1.0.1:3999" }, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_unknown_port },
	{ .name = "port above the range", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4, .to = "10.1.0.1:43000" }, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_unknown_port },
	{ .name = "not a relay address", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4, .to = "10.1.0.7:30000" }, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_unknown_port },
	/* 0.0.0.0 is what an empty slot of xr_cfg's address hash holds: no row. */
	{ .name = "to 0.0.0.0 (an empty hash slot)", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4, .to = "0.0.0.0:30000" }, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_unknown_port },
	{ .name = "last port of the last IPv4 address", .local = "10.2.0.2:42999",
	  .peer = "10.1.0.2:4000", .src = "10.2.0.1:30002", .dst = "10.2.0.2:5000", .ttl = 64,
	  .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4, .to = "10.2.0.2:42999" }, .retval = XDP_REDIRECT,
	  .cnt = XR_CNT_fwd_redirect, .out = { OUT_V4 } },
	{ .name = "first port of the range", .local = "10.1.0.1:4000", .peer = "10.1.0.2:4000",
	  .src = "10.2.0.1:30002", .dst = "10.2.0.2:5000", .ttl = 64, .flags = LF,
	  .ingress = "va0", .in = { FRAME_V4, .to = "10.1.0.1:4000" }, .retval = XDP_REDIRECT,
	  .cnt = XR_CNT_fwd_redirect, .out = { OUT_V4 } },
	{ .name = "IPv6 port above the range", FLOW_V6, .flags = LF, .ingress = "va0",
	  .in = { .from = "[fd01::2]:4000", .to = "[fd01::1]:43000", IN_A, .ttl = 7,
		  .payload = 20 }, .retval = XDP_PASS, .cnt = XR_CNT_pass_unknown_port },
	{ .name = "IPv6 not a relay address", FLOW_V6, .flags = LF, .ingress = "va0",
	  .in = { .from = "[fd01::2]:4000", .to = "[fd01::7]:30000", IN_A, .ttl = 7,
		  .payload = 20 }, .retval = XDP_PASS, .cnt = XR_CNT_pass_unknown_port },
	{ .name = "not latched", FLOW_V4, .flags = XR_FLOW_F_FORWARD, .ingress = "va0",
	  .in = { FRAME_V4 }, .retval = XDP_PASS, .cnt = XR_CNT_pass_not_latched },
	/* sk_lo passes no wrong source up (wrong_src_sample 0): all dropped. */
	{ .name = "wrong source address: dropped", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4, .from = "10.1.0.9:4000" }, .retval = XDP_DROP,
	  .cnt = XR_CNT_drop_wrong_source },
	{ .name = "wrong source port (RTP Bleed): dropped", FLOW_V4, .flags = LF,
	  .ingress = "va0", .in = { FRAME_V4, .from = "10.1.0.2:4001" }, .retval = XDP_DROP,
	  .cnt = XR_CNT_drop_wrong_source },
	{ .name = "IPv4 from the latched peer's port, flow latched to an IPv6 peer: dropped",
	  .local = "10.1.0.1:30000", .peer = "[fd01::2]:4000", .src = "10.2.0.1:30002",
	  .dst = "10.2.0.2:5000", .ttl = 64, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4 }, .retval = XDP_DROP, .cnt = XR_CNT_drop_wrong_source },
	{ .name = "wrong source address IPv6: dropped", FLOW_V6, .flags = LF, .ingress = "va0",
	  .in = { .from = "[fd01::3]:4000", .to = "[fd01::1]:30000", IN_A, .payload = 20 },
	  .retval = XDP_DROP, .cnt = XR_CNT_drop_wrong_source },
	{ .name = "wrong source, not latched yet: passed (daemon latches)", FLOW_V4,
	  .flags = XR_FLOW_F_FORWARD, .ingress = "va0",
	  .in = { FRAME_V4, .from = "10.1.0.9:4000" }, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_not_latched },
	/* sk_in's budget (SK_IN_SAMPLE a second) is untouched by the other rows. */
	{ .name = "wrong source, within the sampled share: passed", FLOW_V4, .flags = LF,
	  .in_skel = 1, .ingress = "va0", .in = { FRAME_V4, .from = "10.1.0.9:4000" },
	  .retval = XDP_PASS, .cnt = XR_CNT_pass_wrong_source },
	{ .name = "no destination (hold)", FLOW_V4, .flags = XR_FLOW_F_LATCHED,
	  .ingress = "va0", .in = { FRAME_V4 }, .retval = XDP_PASS, .cnt = XR_CNT_pass_no_dest },
	{ .name = "AF bridge (IPv4 in, IPv6 out)", .local = "10.1.0.1:30000",
	  .peer = "10.1.0.2:4000", .src = "[fd02::1]:30002", .dst = "[fd02::2]:5000", .ttl = 64,
	  .flags = LF, .ingress = "va0", .in = { FRAME_V4 }, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_af_bridge },

	/* ---- the blocklist (xr_bans), checked first ---- */
	{ .name = "banned source IPv4 /32: dropped, even the latched peer", FLOW_V4, .flags = LF,
	  .ingress = "va0", .in = { FRAME_V4 }, .ban = "10.1.0.2/32", .retval = XDP_DROP,
	  .cnt = XR_CNT_drop_banned },
	{ .name = "banned prefix IPv4 /24: dropped, TCP (SIP) too", FLOW_V4, .flags = LF,
	  .ingress = "va0", .in = { FRAME_V4, .from = "10.1.0.77:5060", .proto = IPPROTO_TCP },
	  .ban = "10.1.0.0/24", .retval = XDP_DROP, .cnt = XR_CNT_drop_banned },
	{ .name = "banned prefix IPv4, VLAN tagged: dropped", FLOW_V4, .flags = LF,
	  .ingress = "va0", .in = { FRAME_V4, .nvlan = 1, .tci = { 0x2123 } },
	  .ban = "10.0.0.0/8", .retval = XDP_DROP, .cnt = XR_CNT_drop_banned },
	{ .name = "banned prefix IPv6 /64: dropped", FLOW_V6, .flags = LF, .ingress = "va0",
	  .in = { .from = "[fd01::2]:4000", .to = "[fd01::1]:30000", IN_A, .payload = 20 },
	  .ban = "fd01::/64", .retval = XDP_DROP, .cnt = XR_CNT_drop_banned },
	{ .name = "banned IPv6 /128, fragment: dropped", FLOW_V6, .flags = LF, .ingress = "va0",
	  .in = { .from = "[fd01::2]:4000", .to = "[fd01::1]:30000", IN_A, .v6_frag = true,
		  .payload = 20 },
	  .ban = "fd01::2/128", .retval = XDP_DROP, .cnt = XR_CNT_drop_banned },
	{ .name = "another prefix banned: forwarded", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4 }, .ban = "10.1.1.0/24", .retval = XDP_REDIRECT,
	  .cnt = XR_CNT_fwd_redirect, .out = { OUT_V4 } },
	{ .name = "IPv4 ban, IPv6 source: forwarded", FLOW_V6, .flags = LF, .ingress = "va0",
	  .in = { .from = "[fd01::2]:4000", .to = "[fd01::1]:30000", IN_A, .ttl = 7,
		  .payload = 160 },
	  .ban = "0.0.0.0/0", .retval = XDP_REDIRECT, .cnt = XR_CNT_fwd_redirect,
	  .out = { .from = "[fd02::1]:30002", .to = "[fd02::2]:5000", .dmac = MAC_B2,
		   .smac = MAC_VB0, .ttl = 63, .payload = 160 } },
	{ .name = "expired ban (not swept yet): forwarded", FLOW_V4, .flags = LF,
	  .ingress = "va0", .in = { FRAME_V4 }, .ban = "10.1.0.2/32", .ban_expired = true,
	  .retval = XDP_REDIRECT, .cnt = XR_CNT_fwd_redirect, .out = { OUT_V4 } },

	/* ---- next hop ---- */
	{ .name = "no neighbour", FLOW_V4, .dst = "10.2.0.9:5000", .flags = LF,
	  .ingress = "va0", .in = { FRAME_V4 }, .retval = XDP_PASS, .cnt = XR_CNT_pass_no_neigh },
	{ .name = "no route", FLOW_V4, .dst = "198.51.100.1:5000", .flags = LF,
	  .ingress = "va0", .in = { FRAME_V4 }, .retval = XDP_PASS, .cnt = XR_CNT_pass_no_route },
	{ .name = "frag needed (egress MTU 1400)", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4, .payload = 1380 }, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_frag_needed },
	{ .name = "egress not in xr_tx_ports", FLOW_V4, .src = "10.3.0.1:30010",
	  .dst = "10.3.0.2:5008", .flags = LF, .ingress = "va0", .in = { FRAME_V4 },
	  .retval = XDP_PASS, .cnt = XR_CNT_pass_no_tx_port },
	{ .name = "ingress fib lookup, forwarding off: fib_disabled", FLOW_V4, .flags = LF,
	  .in_skel = 1, .ingress = "va0", .in = { FRAME_V4 }, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_fib_disabled },
	{ .name = "ingress fib lookup IPv6, forwarding off: fib_disabled", FLOW_V6,
	  .flags = LF, .in_skel = 1, .ingress = "va0",
	  .in = { .from = "[fd01::2]:4000", .to = "[fd01::1]:30000", IN_A, .payload = 20 },
	  .retval = XDP_PASS, .cnt = XR_CNT_pass_fib_disabled },

	/* ---- parsing ---- */
	{ .name = "fragment IPv4 (MF)", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4, .frag_off = 0x2000 }, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_fragment },
	{ .name = "fragment IPv4 (offset)", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4, .frag_off = 0x0010 }, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_fragment },
	{ .name = "fragment IPv6 (Fragment header)", FLOW_V6, .flags = LF, .ingress = "va0",
	  .in = { .from = "[fd01::2]:4000", .to = "[fd01::1]:30000", IN_A, .v6_frag = true,
		  .payload = 20 },
	  .retval = XDP_PASS, .cnt = XR_CNT_pass_fragment },
	{ .name = "truncated UDP (len > IP payload)", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4 }, .mutate = mut_udp_len_long, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_truncated },
	{ .name = "truncated UDP (len < 8)", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4 }, .mutate = mut_udp_len_short, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_truncated },
	{ .name = "truncated UDP header", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4 }, .mutate = mut_udp_hdr_cut, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_truncated },
	{ .name = "truncated IPv4 (tot_len > frame)", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4 }, .mutate = mut_ip_tot_len_long, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_truncated },
	{ .name = "truncated IPv4 header", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4 }, .mutate = mut_ip_hdr_cut, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_truncated },
	{ .name = "IPv4 IHL < 5", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4 }, .mutate = mut_ihl_short, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_truncated },
	{ .name = "truncated IPv6 (payload_len > frame)", FLOW_V6, .flags = LF,
	  .ingress = "va0",
	  .in = { .from = "[fd01::2]:4000", .to = "[fd01::1]:30000", IN_A, .payload = 20 },
	  .mutate = mut_v6_plen_long, .retval = XDP_PASS, .cnt = XR_CNT_pass_truncated },
	{ .name = "IPv6 extension header (hop-by-hop): not_udp", FLOW_V6, .flags = LF,
	  .ingress = "va0",
	  .in = { .from = "[fd01::2]:4000", .to = "[fd01::1]:30000", IN_A, .payload = 20 },
	  .mutate = mut_v6_hbh, .retval = XDP_PASS, .cnt = XR_CNT_pass_not_udp },
	{ .name = "TCP", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4, .proto = IPPROTO_TCP }, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_not_udp },
	{ .name = "ICMP", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4, .proto = IPPROTO_ICMP }, .retval = XDP_PASS,
	  .cnt = XR_CNT_pass_not_udp },
	{ .name = "ARP", FLOW_V4, .flags = LF, .ingress = "va0", .in = { .from = NULL },
	  .retval = XDP_PASS, .cnt = XR_CNT_pass_not_ip },
	{ .name = "stacked VLANs (QinQ)", FLOW_V4, .flags = LF, .ingress = "va0",
	  .in = { FRAME_V4, .nvlan = 2, .tpid = { ETH_P_8021AD_, ETH_P_8021Q_ },
		  .tci = { 10, 100 } },
	  .retval = XDP_PASS, .cnt = XR_CNT_pass_vlan_stack },
};
#pragma GCC diagnostic pop

/* ---- helpers ---- */

static int
sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void
skip_exit(const char *why)
{
	printf("SKIP: %s\n", why);
	exit(77);
}

static int
write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -EIO;
}

static int
libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void
parse_sa(union xr_sa *sa, const char *s)
{
	if (xr_sa_parse(sa, s, -1) < 0) {
		fprintf(stderr, "bad address in table: %s\n", s);
		abort();
	}
}

/*
 * The flow table of the tests: every relay address a row or test sends to,
 * ports TAB_LO..TAB_HI (the daemon's would be --media x --ports).
 */
static const char *const tab_addrs[] = { "10.1.0.1", "10.2.0.1", "fd01::1", "10.2.0.2",
					  "fd02::1" };
#define TAB_N	((int)(sizeof(tab_addrs) / sizeof(tab_addrs[0])))
#define TAB_LO	4000
#define TAB_HI	42999

static void
tab_sas(union xr_sa *sa)
{
	for (int i = 0; i < TAB_N; i++)
		if (xr_sa_parse_ip(&sa[i], tab_addrs[i]) < 0)
			abort();
}

/* Open and load the skeleton with fib_ifindex, and describe it as a struct fp. */
static int
tskel_load_pps(struct tskel *t, __u32 fib_ifindex, __u32 sample, __u32 max_pps)
{
	union xr_sa addrs[TAB_N];
	struct xrelay *s;
	int err;

	s = xrelay__open();
	if (!s)
		return -errno;
	s->rodata->fib_ifindex = fib_ifindex;
	s->rodata->wrong_src_sample = sample;
	s->rodata->media_max_pps = max_pps;
	err = fp_size_maps(s, (__u32)fp_table_entries(TAB_N, TAB_LO, TAB_HI));
	if (!err)
		err = xrelay__load(s);
	if (err) {
		xrelay__destroy(s);
		return err;
	}
	memset(&t->fp, 0, sizeof(t->fp));
	t->skel = s;
	t->fp.skel = NULL;	/* maps filled in by hand below, as the loader would */
	t->fp.flows_fd = bpf_map__fd(s->maps.xr_flows);
	t->fp.side_fd = bpf_map__fd(s->maps.xr_flow_side);
	t->fp.pc_fd = bpf_map__fd(s->maps.xr_flow_pc);
	t->fp.cfg_fd = bpf_map__fd(s->maps.xr_cfg);
	t->fp.counters_fd = bpf_map__fd(s->maps.xr_counters);
	t->fp.tx_ports_fd = bpf_map__fd(s->maps.xr_tx_ports);
	t->fp.vlans_fd = bpf_map__fd(s->maps.xr_vlans);
	t->fp.abi_fd = bpf_map__fd(s->maps.xr_abi);
	t->fp.bans_fd = bpf_map__fd(s->maps.xr_bans);
	t->fp.prog_fd = bpf_program__fd(s->progs.xr_xdp_rx);
	t->fp.lock_fd = -1;
	t->fp.ncpus = libbpf_num_possible_cpus();
	err = fp_clock_calibrate(&t->fp, bpf_program__fd(s->progs.xr_clock));
	if (err)
		return err;
	tab_sas(addrs);
	err = fp_table_init(&t->fp, addrs, TAB_N, TAB_LO, TAB_HI);
	if (err)
		return err;
	return t->fp.ncpus > 0 ? 0 : -EINVAL;
}

static int
tskel_load(struct tskel *t, __u32 fib_ifindex, __u32 sample)
{
	return tskel_load_pps(t, fib_ifindex, sample, 0);
}

static int
add_tx_port(struct tskel *t, const char *ifname)
{
	__u32 idx = if_nametoindex(ifname);

	if (!idx)
		return -ENODEV;
	return bpf_map_update_elem(t->fp.tx_ports_fd, &idx, &idx, BPF_ANY);
}

static void
spec_from_frame(struct pkt_spec *s, const struct frame *f)
{
	memset(s, 0, sizeof(*s));
	pkt_mac(s->dmac, f->dmac);
	pkt_mac(s->smac, f->smac);
	s->nvlan = f->nvlan;
	memcpy(s->tci, f->tci, sizeof(s->tci));
	memcpy(s->tpid, f->tpid, sizeof(s->tpid));
	parse_sa(&s->src, f->from);
	parse_sa(&s->dst, f->to);
	s->ttl = f->ttl;
	s->proto = f->proto;
	s->frag_off = f->frag_off;
	s->ip_opt_len = f->ip_opt_len;
	s->flowlabel = f->flowlabel;
	s->v6_frag = f->v6_frag;
	s->udp_csum_zero = f->csum_zero;
	s->payload_len = f->payload;
	s->ip_id = 0x4242;
}

static size_t
build_frame(uint8_t *buf, const struct frame *f)
{
	struct pkt_spec s;
	uint8_t mac[6];
	size_t len;

	if (!f->from) {
		pkt_mac(mac, MAC_PEER);
		return pkt_build_arp(buf, PKT_MAX, mac);
	}
	spec_from_frame(&s, f);
	len = pkt_build(buf, PKT_MAX, &s);
	if (len && len < f->pad_to && f->pad_to <= PKT_MAX)
		len = f->pad_to;	/* pkt_build zeroed the buffer */
	return len;
}

/* Put the row's flow through the daemon's encoder; returns its key. */
static void
row_setup(struct tskel *t, const struct row *r, struct xr_flow_key *k)
{
	union xr_sa local, peer, src, dst;
	struct xr_flow v;
	__u32 vc0;

	assert_true(fp_flows_flush(&t->fp) >= 0);
	assert_int_equal(fp_flows_count(&t->fp), 0);
	vc0 = if_nametoindex("vc0");
	if (r->extra & ROW_VLAN_VC0) {
		struct xr_vlan vl = { .lower_ifindex = if_nametoindex("vb0"), .vlan_id = 100 };

		assert_int_equal(bpf_map_update_elem(t->fp.vlans_fd, &vc0, &vl, BPF_ANY), 0);
	} else {
		bpf_map_delete_elem(t->fp.vlans_fd, &vc0);
	}
	{
		struct xr_ban_key bk, bnext;

		while (bpf_map_get_next_key(t->fp.bans_fd, NULL, &bnext) == 0)
			assert_int_equal(fp_ban_del(&t->fp, &bnext), 0);
		assert_int_equal(t->fp.cfgm->bans, 0);	/* empty: the program skips the trie */
		if (r->ban) {
			char pfx[64], *slash;
			union xr_sa bp;
			struct xr_ban bv = { .reason = XR_BAN_MANUAL };

			snprintf(pfx, sizeof(pfx), "%s", r->ban);
			slash = strchr(pfx, '/');
			assert_non_null(slash);
			*slash = '\0';
			assert_int_equal(xr_sa_parse_ip(&bp, pfx), 0);
			assert_int_equal(fp_ban_key_make(&bk, &bp, atoi(slash + 1)), 0);
			if (r->ban_expired) {
				struct timespec ts;

				clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
				bv.expires_ns = (uint64_t)ts.tv_sec * 1000000000ull - 1;
			}
			assert_int_equal(fp_ban_put(&t->fp, &bk, &bv), 0);
		}
	}
	if (!r->local) {
		memset(k, 0, sizeof(*k));
		return;
	}
	parse_sa(&local, r->local);
	parse_sa(&peer, r->peer);
	parse_sa(&src, r->src);
	parse_sa(&dst, r->dst);
	fp_key_make(k, &local);
	fp_flow_make(&v, 7, &peer, r->flags, &src, &dst, r->ttl);
	assert_int_equal(fp_flow_put(&t->fp, k, &v), 0);
	assert_int_equal(fp_flows_count(&t->fp), 1);
}

static void
dump_mismatch(const char *name, const uint8_t *in, size_t inlen, const uint8_t *exp,
	      size_t elen, const uint8_t *got, size_t glen)
{
	const char *pcap = getenv("XR_TEST_PCAP");

	fprintf(stderr, "row \"%s\": output frame differs\n", name);
	pkt_hexdiff(stderr, exp, elen, got, glen);
	if (!pcap)
		pcap = "build/test-logs/test_xdp-mismatch.pcap";
	if (pkt_pcap_append(pcap, in, inlen) == 0 && pkt_pcap_append(pcap, exp, elen) == 0 &&
	    pkt_pcap_append(pcap, got, glen) == 0)
		fprintf(stderr, "  input, expected, got appended to %s\n", pcap);
}

/* ---- the table ---- */

/* One bpf_prog_test_run_opts of frame in on ifname; returns the verdict, *outlen set. */
static __u32
run_once(struct tskel *t, const char *ifname, const uint8_t *in, size_t inlen,
	 uint8_t *out, size_t outcap, size_t *outlen)
{
	struct xdp_md ctx;
	LIBBPF_OPTS(bpf_test_run_opts, topts);

	memset(&ctx, 0, sizeof(ctx));
	ctx.data_end = (__u32)inlen;
	ctx.ingress_ifindex = if_nametoindex(ifname);
	assert_true(ctx.ingress_ifindex > 0);
	memset(out, 0, outcap);
	topts.data_in = in;
	topts.data_size_in = (__u32)inlen;
	topts.data_out = out;
	topts.data_size_out = (__u32)outcap;	/* reset before every run */
	topts.ctx_in = &ctx;
	topts.ctx_size_in = sizeof(ctx);
	topts.repeat = 1;
	assert_int_equal(bpf_prog_test_run_opts(t->fp.prog_fd, &topts), 0);
	*outlen = topts.data_size_out;
	return topts.retval;
}

/*
 * One run of row r's frame (in) and everything the row expects of it: the
 * verdict, the one counter, the frame, the flow's stats.  pass names the
 * run in messages.
 */
static void
row_run_check(struct tskel *t, const struct row *r, const struct xr_flow_key *k,
	      const uint8_t *in, size_t inlen, int pass)
{
	uint8_t out[PKT_MAX + 64], exp[PKT_MAX];
	uint64_t before[XR_CNT__MAX], after[XR_CNT__MAX];
	struct xr_flow_stats st0, st1;
	size_t elen, outlen;
	const char *why;
	__u32 retval;
	int i;

	if (r->local)
		assert_int_equal(fp_flow_stats(&t->fp, k, &st0), 0);
	assert_int_equal(fp_counters(&t->fp, before), 0);

	retval = run_once(t, r->ingress, in, inlen, out, sizeof(out), &outlen);
	if (retval != (__u32)r->retval)
		fprintf(stderr, "row \"%s\" run %d: retval %u, want %d\n", r->name, pass, retval,
			r->retval);
	assert_int_equal(retval, r->retval);

	/* Exactly one counter rose, by one: the row's. */
	assert_int_equal(fp_counters(&t->fp, after), 0);
	for (i = 0; i < XR_CNT__MAX; i++) {
		uint64_t want = before[i] + (i == (int)r->cnt ? 1 : 0);

		if (after[i] != want)
			fprintf(stderr, "row \"%s\" run %d: counter %s %llu -> %llu, want %llu\n",
				r->name, pass, xr_cnt_names[i], (unsigned long long)before[i],
				(unsigned long long)after[i], (unsigned long long)want);
		assert_int_equal(after[i], want);
	}

	/* Passed (and dropped) frames are left unmodified; forwarded ones are rebuilt. */
	if (r->retval == XDP_PASS || r->retval == XDP_DROP) {
		memcpy(exp, in, inlen);
		elen = inlen;
	} else {
		elen = build_frame(exp, &r->out);
		assert_int_equal(pkt_verify(exp, elen, &why), 0);
	}
	if (elen != outlen || memcmp(exp, out, elen) != 0) {
		dump_mismatch(r->name, in, inlen, exp, elen, out, outlen);
		fail_msg("row \"%s\" run %d: frame mismatch", r->name, pass);
	}
	/* Belt and braces: the output's checksums, recomputed from scratch. */
	if (r->retval != XDP_PASS && r->retval != XDP_DROP && pkt_verify(out, outlen, &why) != 0)
		fail_msg("row \"%s\" run %d: output frame: %s", r->name, pass, why);

	/* Per-flow stats move on forward only: one packet, its UDP payload bytes. */
	if (r->local) {
		assert_int_equal(fp_flow_stats(&t->fp, k, &st1), 0);
		if (r->retval == XDP_PASS || r->retval == XDP_DROP) {
			assert_int_equal(st1.packets, st0.packets);
			assert_int_equal(st1.bytes, st0.bytes);
			assert_int_equal(st1.last_seen_ns, st0.last_seen_ns);
		} else {
			assert_int_equal(st1.packets, st0.packets + 1);
			assert_int_equal(st1.bytes, st0.bytes + r->out.payload);
			/* Stamped with the coarse clock: never ahead of it, and fresh. */
			struct timespec ts;
			uint64_t cnow;

			clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
			cnow = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
			assert_true(st1.last_seen_ns >= st0.last_seen_ns);
			assert_true(st1.last_seen_ns <= cnow);
			assert_true(st1.last_seen_ns + 1000000000ull > cnow);
		}
	}
}

/*
 * A row: its frame once and, when the row forwards it, once more on the
 * same CPU.  The first run finds no next hop in the CPU's slot of the new
 * flow and asks the fib (the general path, xr_forward()); the second finds
 * it cached, and a common frame (untagged IPv4 without options or padding,
 * leaving untagged) then takes xr_fast4().  Both must give the row's
 * verdict, counter, frame and stats.
 */
static void
test_row(void **state)
{
	const struct row *r = *state;
	struct tskel *t = r->in_skel ? &sk_in : &sk_lo;
	bool fwd = r->retval == XDP_REDIRECT || r->retval == XDP_TX;
	uint8_t in[PKT_MAX];
	struct xr_flow_key k;
	cpu_set_t saved, one;
	size_t inlen;
	int cpu;

	row_setup(t, r, &k);
	inlen = build_frame(in, &r->in);
	assert_true(inlen > 0);
	if (r->mutate)
		r->mutate(in, &inlen);
	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	cpu = sched_getcpu();
	assert_true(cpu >= 0);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	row_run_check(t, r, &k, in, inlen, 1);
	if (fwd)
		row_run_check(t, r, &k, in, inlen, 2);
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
}

/* ---- map and ABI checks ---- */

/* The loaded maps have the sizes the shared headers promise. */
static void
test_abi_sizes(void **state)
{
	struct xrelay *s = sk_lo.skel;
	int i;

	assert_int_equal(bpf_map__type(s->maps.xr_flows), BPF_MAP_TYPE_ARRAY);
	assert_int_equal(bpf_map__key_size(s->maps.xr_flows), sizeof(__u32));
	assert_int_equal(bpf_map__value_size(s->maps.xr_flows), sizeof(struct xr_flow_ent));
	assert_int_equal(bpf_map__max_entries(s->maps.xr_flows),
			 fp_table_entries(TAB_N, TAB_LO, TAB_HI));
	assert_true(bpf_map__map_flags(s->maps.xr_flows) & BPF_F_MMAPABLE);
	assert_int_equal(bpf_map__type(s->maps.xr_flow_side), BPF_MAP_TYPE_ARRAY);
	assert_int_equal(bpf_map__value_size(s->maps.xr_flow_side), sizeof(struct xr_flow_side));
	assert_int_equal(bpf_map__max_entries(s->maps.xr_flow_side),
			 bpf_map__max_entries(s->maps.xr_flows));
	assert_true(bpf_map__map_flags(s->maps.xr_flow_side) & BPF_F_MMAPABLE);
	assert_int_equal(bpf_map__type(s->maps.xr_cfg), BPF_MAP_TYPE_ARRAY);
	assert_int_equal(bpf_map__value_size(s->maps.xr_cfg), sizeof(struct xr_cfg));
	assert_int_equal(bpf_map__max_entries(s->maps.xr_cfg), 1);
	assert_true(bpf_map__map_flags(s->maps.xr_cfg) & BPF_F_MMAPABLE);
	assert_int_equal(sk_lo.fp.nents, fp_table_entries(TAB_N, TAB_LO, TAB_HI));
	assert_int_equal(bpf_map__key_size(s->maps.xr_counters), sizeof(__u32));
	assert_int_equal(bpf_map__value_size(s->maps.xr_counters), sizeof(__u64));
	assert_int_equal(bpf_map__max_entries(s->maps.xr_counters), XR_CNT__MAX);
	assert_int_equal(bpf_map__type(s->maps.xr_counters), BPF_MAP_TYPE_PERCPU_ARRAY);
	assert_int_equal(bpf_map__type(s->maps.xr_tx_ports), BPF_MAP_TYPE_DEVMAP_HASH);
	assert_int_equal(bpf_map__value_size(s->maps.xr_tx_ports), sizeof(__u32));
	assert_int_equal(bpf_map__max_entries(s->maps.xr_tx_ports), XR_TX_PORTS_MAX);
	assert_int_equal(bpf_map__key_size(s->maps.xr_vlans), sizeof(__u32));
	assert_int_equal(bpf_map__value_size(s->maps.xr_vlans), sizeof(struct xr_vlan));
	assert_int_equal(bpf_map__max_entries(s->maps.xr_vlans), XR_VLANS_MAX);
	assert_int_equal(bpf_map__value_size(s->maps.xr_abi), sizeof(struct xr_abi));
	assert_int_equal(bpf_map__max_entries(s->maps.xr_abi), 1);
	assert_string_equal(bpf_map__name(s->maps.xr_flows), XR_MAP_FLOWS);
	assert_string_equal(bpf_map__name(s->maps.xr_cfg), XR_MAP_CFG);
	assert_string_equal(bpf_map__name(s->maps.xr_counters), XR_MAP_COUNTERS);
	assert_string_equal(bpf_map__name(s->maps.xr_tx_ports), XR_MAP_TX_PORTS);
	assert_string_equal(bpf_map__name(s->maps.xr_vlans), XR_MAP_VLANS);
	assert_string_equal(bpf_map__name(s->maps.xr_abi), XR_MAP_ABI);
	/* Every counter the table names is a valid index with a name and help. */
	for (i = 0; i < (int)(sizeof(rows) / sizeof(rows[0])); i++)
		assert_true(rows[i].cnt < XR_CNT__MAX);
	for (i = 0; i < XR_CNT__MAX; i++) {
		assert_non_null(xr_cnt_names[i]);
		assert_true(strlen(xr_cnt_help[i]) > 0);
	}
}

/* Packets counted for entry e of sk_lo (its CPUs' slots summed as the daemon does). */
static uint64_t
ent_packets(const struct xr_flow_ent *e)
{
	struct xr_flow_stats st;

	fp_ent_stats(&sk_lo.fp, (size_t)(e - sk_lo.fp.tab), &st);
	return st.packets;
}

/* Set CPU cpu's slot of entry e of fp to packets and bytes of its generation. */
static void
ent_set(struct fp *fp, const struct xr_flow_ent *e, int cpu, uint64_t packets, uint64_t bytes)
{
	struct xr_flow_stats st = { .packets = packets, .bytes = bytes };

	fp_ent_set_stats(fp, (size_t)(e - fp->tab), cpu, &st);
}

/*
 * Pin the test to CPU 0, whose slots it reads (*saved: the affinity to put
 * back); skips the test where there is no second CPU or CPU 0 is not ours.
 */
static void
pin_cpu0(const struct fp *fp, cpu_set_t *saved)
{
	cpu_set_t set;

	if (fp->ncpus < 2 || sched_getaffinity(0, sizeof(*saved), saved) < 0 ||
	    !CPU_ISSET(0, saved))
		skip();
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
}

/* CPU cpu's slot of entry e of fp (xr_flow_pc, through the test's mapping). */
static struct xr_flow_pc *
ent_pc(struct fp *fp, const struct xr_flow_ent *e, int cpu)
{
	return &fp->pc[(size_t)cpu * fp->pc_stride + (size_t)(e - fp->tab)];
}

/* The table entry of flow k (in the test's mapping of xr_flows). */
static struct xr_flow_ent *
ent(struct fp *fp, const struct xr_flow_key *k)
{
	long idx = fp_flow_index(fp, k);

	assert_true(idx >= 0);
	return &fp->tab[idx];
}

/*
 * fp_flow_put writes a new flow with zero counters and a replaced one keeps
 * them, each write moving seq on by two; fp_flow_del and fp_flows_flush
 * empty entries; keys outside the table are refused.
 */
static void
test_flow_lifecycle(void **state)
{
	struct fp *fp = &sk_lo.fp;
	union xr_sa local, peer, src, dst;
	struct xr_flow v, got;
	struct xr_flow_stats st;
	struct xr_flow_key k, k2;
	struct xr_flow_ent *e;
	__u32 seq;
	int i;

	assert_true(fp_flows_flush(fp) >= 0);
	parse_sa(&local, "10.1.0.1:31000");
	parse_sa(&peer, "10.1.0.2:4000");
	parse_sa(&src, "10.2.0.1:31002");
	parse_sa(&dst, "10.2.0.2:5000");
	fp_key_make(&k, &local);
	assert_int_equal(fp_flow_index(fp, &k), 31000 - TAB_LO);	/* row 0 */
	e = ent(fp, &k);
	seq = e->fwd.seq;
	assert_int_equal(seq & 1, 0);
	fp_flow_make(&v, 99, &peer, LF, &src, &dst, 64);
	assert_int_equal(fp_flow_put(fp, &k, &v), 0);
	assert_int_equal(e->fwd.seq, seq + 2);
	assert_int_equal(fp_flow_get(fp, &k, &got), 0);
	assert_memory_equal(&got, &v, sizeof(v));	/* stored as given */
	assert_int_equal(fp_flow_stats(fp, &k, &st), 0);
	assert_int_equal(st.packets, 0);
	/* Replacing the flow keeps its counters (and its generation). */
	ent_set(fp, e, 0, 3, 0);
	v.flags = XR_FLOW_F_LATCHED;
	assert_int_equal(fp_flow_put(fp, &k, &v), 0);
	assert_int_equal(fp_flow_get(fp, &k, &got), 0);
	assert_int_equal(got.flags, XR_FLOW_F_LATCHED);
	assert_int_equal(fp_flow_stats(fp, &k, &st), 0);
	assert_int_equal(st.packets, 3);
	assert_int_equal(fp_flows_count(fp), 1);
	assert_int_equal(fp_flow_del(fp, &k), 0);
	assert_int_equal(fp_flow_del(fp, &k), -ENOENT);
	assert_int_equal(fp_flow_get(fp, &k, &got), -ENOENT);
	assert_int_equal(fp_flow_stats(fp, &k, &st), -ENOENT);
	assert_int_equal(e->fwd.seq, seq + 8);	/* put, put, del, del of nothing */
	/* A packet in flight counted into the emptied entry: the next flow starts at 0. */
	ent_set(fp, e, 0, 7, 700);
	assert_int_equal(fp_flow_put(fp, &k, &v), 0);
	assert_int_equal(e->fwd.gen, e->fwd.seq);	/* a new generation: the seq of its write */
	assert_int_equal(fp_flow_stats(fp, &k, &st), 0);
	assert_int_equal(st.packets, 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(fp_flow_del(fp, &k), 0);
	/* Outside the table: refused, nothing written. */
	parse_sa(&local, "10.1.0.1:43000");
	fp_key_make(&k2, &local);
	assert_int_equal(fp_flow_put(fp, &k2, &v), -ERANGE);
	parse_sa(&local, "10.1.0.9:31000");
	fp_key_make(&k2, &local);
	assert_int_equal(fp_flow_put(fp, &k2, &v), -ERANGE);
	assert_int_equal(fp_flows_count(fp), 0);
	/* Many flows, each its own entry, then a flush: no flow left. */
	parse_sa(&local, "[fd01::1]:0");
	for (i = 0; i < 300; i++) {
		xr_sa_set_port(&local, (uint16_t)(32000 + i));
		fp_key_make(&k2, &local);
		assert_int_equal(fp_flow_index(fp, &k2), 2L * (TAB_HI - TAB_LO + 1) + 32000 + i -
				 TAB_LO);
		assert_int_equal(fp_flow_put(fp, &k2, &v), 0);
	}
	assert_int_equal(fp_flows_count(fp), 300);
	for (i = 0; i < 300; i += 2) {
		xr_sa_set_port(&local, (uint16_t)(32000 + i));
		fp_key_make(&k2, &local);
		assert_int_equal(fp_flow_del(fp, &k2), 0);
	}
	assert_int_equal(fp_flows_flush(fp), 150);
	assert_int_equal(fp_flows_count(fp), 0);
}

/*
 * The same hit on two CPUs counts once into each CPU's slot of the entry
 * (plain adds, xr_flow_pc), summed by the daemon; the exit counters are per
 * CPU and summed.
 */
static void
test_shared_counters(void **state)
{
	const struct row *r = &rows[0];		/* hit IPv4, redirect */
	uint8_t in[PKT_MAX], out[PKT_MAX + 64];
	uint64_t c0[XR_CNT__MAX], c1[XR_CNT__MAX];
	struct xr_flow_stats st;
	struct xr_flow_key k;
	cpu_set_t set, saved;
	size_t inlen, outlen;
	int cpu, ncpu = sk_lo.fp.ncpus;

	if (ncpu < 2 || sched_getaffinity(0, sizeof(saved), &saved) < 0 ||
	    !CPU_ISSET(0, &saved) || !CPU_ISSET(1, &saved)) {
		skip();
		return;
	}
	row_setup(&sk_lo, r, &k);
	inlen = build_frame(in, &r->in);
	assert_int_equal(fp_counters(&sk_lo.fp, c0), 0);
	for (cpu = 0; cpu < 2; cpu++) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
		assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out, sizeof(out),
					  &outlen), XDP_REDIRECT);
	}
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
	assert_int_equal(ent_packets(ent(&sk_lo.fp, &k)), 2);
	for (cpu = 0; cpu < 2; cpu++) {
		const struct xr_flow_pc *pc = ent_pc(&sk_lo.fp, ent(&sk_lo.fp, &k), cpu);

		assert_int_equal(pc->gen, ent(&sk_lo.fp, &k)->fwd.gen);
		assert_int_equal(pc->packets, 1);
		assert_int_equal(pc->bytes, r->out.payload);
	}
	assert_int_equal(fp_flow_stats(&sk_lo.fp, &k, &st), 0);
	assert_int_equal(st.packets, 2);
	assert_int_equal(st.bytes, 2 * r->out.payload);
	assert_true(st.last_seen_ns > 0);
	assert_int_equal(fp_counters(&sk_lo.fp, c1), 0);
	assert_int_equal(c1[XR_CNT_fwd_redirect], c0[XR_CNT_fwd_redirect] + 2);
}

/*
 * The per-CPU counters' generations (flow.h xr_flow_pc): a packet on a CPU
 * whose slot holds another generation's counts (an earlier flow of the
 * entry, garbage) restarts it at itself; the daemon sums only the slots of
 * the flow's generation, over every CPU; a new flow (a new generation)
 * reads zero at once and its first packet restarts the slot, while a
 * replaced flow keeps its counts.  Runs on CPU 0; CPU 1's slot (written by
 * hand) need not be a CPU this test may run on.
 */
static void
test_counter_gen(void **state)
{
	const struct row *r = &rows[0];		/* hit IPv4, redirect */
	uint8_t in[PKT_MAX], out[PKT_MAX + 64];
	uint64_t pay = r->out.payload;
	struct fp *fp = &sk_lo.fp;
	struct xr_flow_stats st;
	struct xr_flow_key k;
	struct xr_flow_ent *e;
	struct xr_flow_pc *pc0;
	struct xr_flow f;
	cpu_set_t saved;
	size_t inlen, outlen;
	__u32 gen;

	pin_cpu0(fp, &saved);
	row_setup(&sk_lo, r, &k);
	e = ent(fp, &k);
	gen = e->fwd.gen;
	assert_true(gen != 0);
	pc0 = ent_pc(fp, e, 0);
	/* Every CPU's slot: a stale generation's counts. */
	for (int c = 0; c < fp->ncpus; c++) {
		struct xr_flow_pc *pc = ent_pc(fp, e, c);

		pc->gen = gen - 2;
		pc->packets = 1000;
		pc->bytes = 99999;
		pc->last_seen_ns = ~0ull;
	}
	assert_int_equal(fp_flow_stats(fp, &k, &st), 0);
	assert_int_equal(st.packets, 0);
	assert_int_equal(st.last_seen_ns, 0);
	inlen = build_frame(in, &r->in);
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out, sizeof(out), &outlen),
			 XDP_REDIRECT);
	assert_int_equal(pc0->gen, gen);
	assert_int_equal(pc0->packets, 1);
	assert_int_equal(pc0->bytes, pay);
	assert_true(pc0->last_seen_ns > 0 && pc0->last_seen_ns != ~0ull);
	assert_int_equal(fp_flow_stats(fp, &k, &st), 0);
	assert_int_equal(st.packets, 1);
	assert_int_equal(st.bytes, pay);
	assert_int_equal(st.last_seen_ns, pc0->last_seen_ns);
	/* Another CPU's slot of this generation is added; the next packet adds. */
	ent_set(fp, e, 1, 5, 500);
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out, sizeof(out), &outlen),
			 XDP_REDIRECT);
	assert_int_equal(fp_flow_stats(fp, &k, &st), 0);
	assert_int_equal(st.packets, 2 + 5);
	assert_int_equal(st.bytes, 2 * pay + 500);
	/* Replaced: the same generation, the counts kept. */
	assert_int_equal(fp_flow_get(fp, &k, &f), 0);
	assert_int_equal(fp_flow_put(fp, &k, &f), 0);
	assert_int_equal(e->fwd.gen, gen);
	assert_int_equal(fp_flow_stats(fp, &k, &st), 0);
	assert_int_equal(st.packets, 7);
	/* Deleted and made again: a new generation, zero, restarted by its packet. */
	assert_int_equal(fp_flow_del(fp, &k), 0);
	assert_int_equal(fp_flow_put(fp, &k, &f), 0);
	assert_true(e->fwd.gen != gen && e->fwd.gen != 0);
	assert_int_equal(fp_flow_stats(fp, &k, &st), 0);
	assert_int_equal(st.packets, 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out, sizeof(out), &outlen),
			 XDP_REDIRECT);
	assert_int_equal(pc0->gen, e->fwd.gen);
	assert_int_equal(pc0->packets, 1);
	assert_int_equal(fp_flow_stats(fp, &k, &st), 0);
	assert_int_equal(st.packets, 1);
	assert_int_equal(st.bytes, pay);
	assert_int_equal(ent_pc(fp, e, 1)->packets, 5);	/* the old generation's, ignored */
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
}

/*
 * The next-hop cache in this CPU's slot of the flow (xr_flow_pc): the first
 * packet asks the fib and fills it for the entry's write (seq), the
 * daemon's epoch and the packet's length; the next one leaves byte for byte
 * the same, from the cache (wrong MACs put there show up in the frame); a
 * rewrite of the flow (new seq) is never served from the old cache, nor one
 * of another epoch (the daemon saw a route or neighbour change); another
 * CPU's cache is not this CPU's; a longer packet asks the fib again and the
 * length the route took grows.  The checksum deltas of the rewrite are kept
 * with it (a wrong one shows), the TTL's term is each packet's.  Runs pinned
 * to CPU 0.
 */
static void
test_nh_cache(void **state)
{
	const struct row *r = &rows[0];		/* hit IPv4, redirect */
	static const uint8_t bad[6] = { 0x02, 0xee, 0xee, 0xee, 0xee, 0xee };
	uint8_t in[PKT_MAX], out1[PKT_MAX + 64], out2[PKT_MAX + 64];
	struct fp *fp = &sk_lo.fp;
	struct xr_flow_key k;
	struct xr_flow_ent *e;
	struct xr_flow_pc *pc, *pc1;
	struct xr_flow f;
	struct frame big;
	cpu_set_t saved;
	size_t inlen, o1, o2;
	__u32 ep;

	pin_cpu0(fp, &saved);
	row_setup(&sk_lo, r, &k);
	e = ent(fp, &k);
	pc = ent_pc(fp, e, 0);
	pc1 = ent_pc(fp, e, 1);
	inlen = build_frame(in, &r->in);
	pc->nh_seq = 0;				/* as a table just made */
	ep = fp_nh_epoch(fp);
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out1, sizeof(out1), &o1),
			 XDP_REDIRECT);
	assert_int_equal(pc->nh_seq, e->fwd.seq);
	assert_int_equal(pc->nh_stamp >> 8, ep & 0xffffffu);
	assert_int_equal(pc->nh_ok_len, inlen - ETH_HLEN);	/* the IP packet's length */
	assert_int_equal(pc->nh_vid, 0);
	assert_int_equal(pc->nh_tx, if_nametoindex("vb0"));
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out2, sizeof(out2), &o2),
			 XDP_REDIRECT);
	assert_int_equal(o1, o2);
	assert_memory_equal(out1, out2, o1);
	assert_int_equal(ent_packets(e), 2);
	/* The cache is what a packet uses: wrong MACs in it go out. */
	memcpy(pc->nh_mac, bad, 6);
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out2, sizeof(out2), &o2),
			 XDP_REDIRECT);
	assert_memory_equal(out2, bad, 6);		/* h_dest from the cache */
	/* Another epoch (fp_nh_epoch_bump(): netlink saw a change): the fib's again. */
	fp_nh_epoch_bump(fp);
	assert_int_equal(fp_nh_epoch(fp), ep + 1);
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out2, sizeof(out2), &o2),
			 XDP_REDIRECT);
	assert_memory_equal(out1, out2, o1);
	assert_int_equal(pc->nh_stamp >> 8, (ep + 1) & 0xffffffu);
	/* A rewrite of the flow: a new seq, filled again by the next packet. */
	memcpy(pc->nh_mac, bad, 6);
	assert_int_equal(fp_flow_get(fp, &k, &f), 0);
	assert_int_equal(fp_flow_put(fp, &k, &f), 0);
	assert_true(pc->nh_seq != e->fwd.seq);
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out2, sizeof(out2), &o2),
			 XDP_REDIRECT);
	assert_int_equal(pc->nh_seq, e->fwd.seq);
	assert_memory_equal(out1, out2, o1);
	/*
	 * The rewrite's checksum deltas come with the next hop: a wrong one in
	 * the cache shows in the UDP checksum (bytes 40-41 of the frame)...
	 */
	pc->nh_dl4 += 1;
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out2, sizeof(out2), &o2),
			 XDP_REDIRECT);
	assert_memory_not_equal(out1 + 40, out2 + 40, 2);
	assert_memory_equal(out1, out2, 40);
	pc->nh_dl4 -= 1;
	/* ... while the TTL's term is the packet's: another TTL in, the same frame out. */
	big = r->in;
	big.ttl = 9;
	{
		uint8_t in2[PKT_MAX];
		size_t inlen2 = build_frame(in2, &big);

		assert_int_equal(run_once(&sk_lo, r->ingress, in2, inlen2, out2, sizeof(out2),
					  &o2), XDP_REDIRECT);
	}
	assert_int_equal(pc->nh_seq, e->fwd.seq);		/* a hit */
	assert_int_equal(o1, o2);
	assert_memory_equal(out1, out2, o1);
	/* CPU 1's cache, even one that would match, is not CPU 0's. */
	*pc1 = *pc;
	memcpy(pc1->nh_mac, bad, 6);
	pc->nh_seq = 0;
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out2, sizeof(out2), &o2),
			 XDP_REDIRECT);
	assert_memory_equal(out1, out2, o1);
	assert_int_equal(pc->nh_seq, e->fwd.seq);
	memset(pc1, 0, sizeof(*pc1));
	/* A longer packet than the route took: asked again, and the length grows. */
	big = r->in;
	big.payload = 400;
	inlen = build_frame(in, &big);
	memcpy(pc->nh_mac, bad, 6);
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out2, sizeof(out2), &o2),
			 XDP_REDIRECT);
	assert_memory_equal(out2, out1, 12);		/* the fib's MACs, not the cache's */
	assert_int_equal(pc->nh_ok_len, inlen - ETH_HLEN);
	pc->nh_seq = 0;
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
}

/* CLOCK_MONOTONIC_COARSE in ns, the clock last_seen_ns is compared with. */
static uint64_t
coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The packets' clock: calibrated (jiffies x the tick plus a base, the
 * loader's fp_clock_calibrate()), a forwarded packet's last_seen_ns is
 * CLOCK_MONOTONIC_COARSE of when it ran, within a tick or two; not
 * calibrated (jiffy_ns 0), the helper gives the same clock.
 */
static void
test_clock(void **state)
{
	const struct row *r = &rows[0];		/* hit IPv4, redirect */
	uint8_t in[PKT_MAX], out[PKT_MAX + 64];
	struct fp *fp = &sk_lo.fp;
	struct xr_flow_stats st;
	struct xr_flow_key k;
	uint64_t t0, t1, tick;
	size_t inlen, olen;
	__u32 jns;

	tick = fp->jiffy_ns;
	assert_true(tick == 10000000 || tick == 4000000 || tick == 3333333 || tick == 1000000);
	assert_int_equal(fp->cfgm->jiffy_ns, tick);
	row_setup(&sk_lo, r, &k);
	inlen = build_frame(in, &r->in);
	for (int pass = 0; pass < 2; pass++) {
		t0 = coarse_ns();
		assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out, sizeof(out), &olen),
				 XDP_REDIRECT);
		t1 = coarse_ns();
		assert_int_equal(fp_flow_stats(fp, &k, &st), 0);
		assert_true(st.last_seen_ns + 2 * tick >= t0);
		assert_true(st.last_seen_ns <= t1 + 2 * tick);
		/* the second pass without the calibration: the helper's clock */
		jns = fp->cfgm->jiffy_ns;
		fp->cfgm->jiffy_ns = 0;
		usleep(30000);
	}
	fp->cfgm->jiffy_ns = jns;
}

/*
 * The sequence counter: an entry the daemon is writing (seq odd) sends the
 * packet up untouched (pass_flow_busy), counted nowhere else; once the write
 * ends (seq even), the same packet is forwarded.
 */
static void
test_seqlock_busy(void **state)
{
	const struct row *r = &rows[0];		/* hit IPv4, redirect */
	uint8_t in[PKT_MAX], out[PKT_MAX + 64];
	uint64_t c0[XR_CNT__MAX], c1[XR_CNT__MAX];
	struct xr_flow_key k;
	struct xr_flow_ent *e;
	size_t inlen, olen;

	row_setup(&sk_lo, r, &k);
	e = ent(&sk_lo.fp, &k);
	inlen = build_frame(in, &r->in);
	e->fwd.seq += 1;			/* a write in progress */
	assert_int_equal(fp_counters(&sk_lo.fp, c0), 0);
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out, sizeof(out), &olen),
			 XDP_PASS);
	assert_int_equal(olen, inlen);
	assert_memory_equal(out, in, inlen);
	assert_int_equal(fp_counters(&sk_lo.fp, c1), 0);
	for (int i = 0; i < XR_CNT__MAX; i++)
		assert_int_equal(c1[i], c0[i] + (i == XR_CNT_pass_flow_busy));
	assert_int_equal(ent_packets(e), 0);
	e->fwd.seq += 1;			/* the write ends */
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out, sizeof(out), &olen),
			 XDP_REDIRECT);
	assert_int_equal(ent_packets(e), 1);
}

/*
 * The blocklist switch: the program looks at xr_bans only while xr_cfg.bans
 * is set; fp_ban_put sets it, deleting the last ban clears it, and a ban is
 * enforced whichever way it got there.
 */
static void
test_bans_switch(void **state)
{
	const struct row *r = &rows[0];		/* hit IPv4, redirect */
	uint8_t in[PKT_MAX], out[PKT_MAX + 64];
	struct xr_ban_key bk, bk2;
	struct xr_ban bv = { .reason = XR_BAN_MANUAL };
	struct xr_flow_key k;
	union xr_sa bp;
	size_t inlen, olen;

	row_setup(&sk_lo, r, &k);
	inlen = build_frame(in, &r->in);
	assert_int_equal(sk_lo.fp.cfgm->bans, 0);
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out, sizeof(out), &olen),
			 XDP_REDIRECT);
	assert_int_equal(xr_sa_parse_ip(&bp, "10.1.0.2"), 0);
	assert_int_equal(fp_ban_key_make(&bk, &bp, 32), 0);
	assert_int_equal(xr_sa_parse_ip(&bp, "192.0.2.0"), 0);
	assert_int_equal(fp_ban_key_make(&bk2, &bp, 24), 0);
	assert_int_equal(fp_ban_put(&sk_lo.fp, &bk, &bv), 0);
	assert_int_equal(fp_ban_put(&sk_lo.fp, &bk2, &bv), 0);
	assert_int_equal(sk_lo.fp.cfgm->bans, 1);
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out, sizeof(out), &olen),
			 XDP_DROP);
	assert_int_equal(fp_ban_del(&sk_lo.fp, &bk), 0);
	assert_int_equal(sk_lo.fp.cfgm->bans, 1);	/* one left */
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out, sizeof(out), &olen),
			 XDP_REDIRECT);
	assert_int_equal(fp_ban_del(&sk_lo.fp, &bk2), 0);
	assert_int_equal(sk_lo.fp.cfgm->bans, 0);
	/* A ban put behind fastpath's back is found again by fp_bans_sync (start-up). */
	assert_int_equal(bpf_map_update_elem(sk_lo.fp.bans_fd, &bk, &bv, BPF_ANY), 0);
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out, sizeof(out), &olen),
			 XDP_REDIRECT);	/* switch off: not looked at */
	fp_bans_sync(&sk_lo.fp);
	assert_int_equal(sk_lo.fp.cfgm->bans, 1);
	assert_int_equal(run_once(&sk_lo, r->ingress, in, inlen, out, sizeof(out), &olen),
			 XDP_DROP);
	assert_int_equal(fp_ban_del(&sk_lo.fp, &bk), 0);
	assert_int_equal(sk_lo.fp.cfgm->bans, 0);
}

/*
 * The sampled share of wrong-source packets: on one CPU, the first
 * wrong_src_sample of a one-second window are passed (pass_wrong_source),
 * the rest dropped (drop_wrong_source), and the share comes back once the
 * window has passed (polled, bounded).  The latched peer is forwarded all
 * along.  A skeleton of its own, so no other test has used its budget.
 */
static void
test_wrong_source_budget(void **state)
{
	const struct row *r = &rows[0];		/* hit IPv4, redirect */
	struct frame bad = r->in;
	uint8_t in[PKT_MAX], inb[PKT_MAX], out[PKT_MAX + 64];
	uint64_t c0[XR_CNT__MAX], c1[XR_CNT__MAX];
	struct tskel t;
	struct xr_flow_key k;
	cpu_set_t set, saved;
	size_t inlen, blen, olen;
	struct timespec t0, t1;
	int i, passed = 0;
	double dt;

	if (sched_getaffinity(0, sizeof(saved), &saved) < 0 || !CPU_ISSET(0, &saved)) {
		skip();
		return;
	}
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
	assert_int_equal(tskel_load(&t, 1, 3), 0);
	assert_int_equal(add_tx_port(&t, "vb0"), 0);
	row_setup(&t, r, &k);
	inlen = build_frame(in, &r->in);
	bad.from = "10.1.0.9:4000";
	blen = build_frame(inb, &bad);
	assert_int_equal(fp_counters(&t.fp, c0), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 10; i++) {
		__u32 want = i < 3 ? XDP_PASS : XDP_DROP;

		assert_int_equal(run_once(&t, "va0", inb, blen, out, sizeof(out), &olen), want);
		assert_int_equal(run_once(&t, "va0", in, inlen, out, sizeof(out), &olen),
				 XDP_REDIRECT);
	}
	assert_int_equal(fp_counters(&t.fp, c1), 0);
	assert_int_equal(c1[XR_CNT_pass_wrong_source] - c0[XR_CNT_pass_wrong_source], 3);
	assert_int_equal(c1[XR_CNT_drop_wrong_source] - c0[XR_CNT_drop_wrong_source], 7);
	assert_int_equal(c1[XR_CNT_fwd_redirect] - c0[XR_CNT_fwd_redirect], 10);
	/* A new window: polled every 50 ms for at most 3 s. */
	for (i = 0; i < 60 && !passed; i++) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		passed = run_once(&t, "va0", inb, blen, out, sizeof(out), &olen) == XDP_PASS;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(passed);
	assert_true(dt >= 0.95);	/* not before the window ended (coarse clock: a tick) */
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
	fp_table_free(&t.fp);
	xrelay__destroy(t.skel);
}

/*
 * --media-max-pps: a flow forwards at most media_max_pps packets
 * in a one-second window, drops the rest (drop_rate_limit, frame untouched,
 * not in the flow's stats), another flow has its own budget, and the budget
 * comes back in the next window (polled, bounded).
 */
static void
test_media_max_pps(void **state)
{
	const struct row *r = &rows[0];		/* hit IPv4, redirect */
	uint8_t in[PKT_MAX], in2[PKT_MAX], out[PKT_MAX + 64];
	uint64_t c0[XR_CNT__MAX], c1[XR_CNT__MAX];
	struct frame f2 = r->in;
	struct xr_flow_stats st;
	struct xr_flow_key k, k2;
	struct xr_flow v;
	union xr_sa l2, p2, s2, d2;
	struct tskel t;
	cpu_set_t set, saved;
	size_t inlen, in2len, olen;
	int i, fwd = 0, back = 0;
	uint32_t rl;

	if (sched_getaffinity(0, sizeof(saved), &saved) < 0 || !CPU_ISSET(0, &saved)) {
		skip();
		return;
	}
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
	assert_int_equal(tskel_load_pps(&t, 1, 0, 4), 0);
	assert_int_equal(add_tx_port(&t, "vb0"), 0);
	row_setup(&t, r, &k);
	/* A second flow: 10.1.0.3:4002 -> 10.1.0.1:30004 -> 10.2.0.2:5002. */
	parse_sa(&l2, "10.1.0.1:30004");
	parse_sa(&p2, "10.1.0.3:4002");
	parse_sa(&s2, "10.2.0.1:30006");
	parse_sa(&d2, "10.2.0.2:5002");
	fp_key_make(&k2, &l2);
	fp_flow_make(&v, 8, &p2, LF, &s2, &d2, 64);
	assert_int_equal(fp_flow_put(&t.fp, &k2, &v), 0);
	f2.from = "10.1.0.3:4002";
	f2.to = "10.1.0.1:30004";
	inlen = build_frame(in, &r->in);
	in2len = build_frame(in2, &f2);
	assert_int_equal(fp_counters(&t.fp, c0), 0);
	for (i = 0; i < 10; i++) {
		__u32 rv = run_once(&t, "va0", in, inlen, out, sizeof(out), &olen);

		fwd += rv == XDP_REDIRECT;
		if (rv == XDP_DROP)
			assert_memory_equal(out, in, inlen);	/* untouched */
	}
	assert_int_equal(run_once(&t, "va0", in2, in2len, out, sizeof(out), &olen),
			 XDP_REDIRECT);
	assert_int_equal(fp_counters(&t.fp, c1), 0);
	/* A window boundary may fall inside the loop: 4, or up to 8 across two. */
	assert_true(fwd >= 4 && fwd <= 8);
	assert_int_equal(c1[XR_CNT_fwd_redirect] - c0[XR_CNT_fwd_redirect], (uint64_t)fwd + 1);
	assert_int_equal(c1[XR_CNT_drop_rate_limit] - c0[XR_CNT_drop_rate_limit],
			 (uint64_t)(10 - fwd));
	assert_int_equal(fp_flow_stats(&t.fp, &k, &st), 0);
	assert_int_equal(st.packets, (uint64_t)fwd);
	/* The windows are each entry's side (xr_flow_side), counted to the cap. */
	rl = t.fp.side[fp_flow_index(&t.fp, &k)].rl & XR_RL_COUNT_MAX;
	assert_true(rl >= 1 && rl <= 4);
	assert_true(fwd != 4 || rl == 4);
	assert_int_equal(t.fp.side[fp_flow_index(&t.fp, &k2)].rl & XR_RL_COUNT_MAX, 1);
	/* The next second: forwarded again (polled every 50 ms, 3 s at most). */
	for (i = 0; i < 60 && !back; i++) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		back = run_once(&t, "va0", in, inlen, out, sizeof(out), &olen) == XDP_REDIRECT;
	}
	assert_true(back);
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
	fp_table_free(&t.fp);
	xrelay__destroy(t.skel);
}

/* ---- the kernel itself does not forward (the premise of fib_ifindex) ---- */

static int
apply_sysctls(void)
{
	size_t i;

	for (i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++)
		if (write_file(sysctls[i][0], sysctls[i][1]) < 0)
			return -1;
	return 0;
}

static int
packet_socket(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	if (fd < 0)
		return -errno;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

/*
 * Inject f on va1 (so it enters the namespace on va0, addressed to a host
 * behind vb0) and report whether the kernel sent it out of vb0, i.e.
 * whether it shows up on vb1 within a few receive timeouts.
 */
static bool
kernel_forwards(const struct frame *f, uint16_t dport)
{
	uint8_t buf[PKT_MAX], rx[PKT_MAX];
	int tx = packet_socket("va1"), rxfd = packet_socket("vb1"), i;
	bool seen = false;
	size_t len;
	ssize_t n;

	assert_true(tx >= 0);
	assert_true(rxfd >= 0);
	len = build_frame(buf, f);
	assert_int_equal(send(tx, buf, len, 0), (ssize_t)len);
	for (i = 0; i < 5 && !seen; i++) {
		while ((n = recv(rxfd, rx, sizeof(rx), 0)) > 0) {
			size_t l4 = 14 + (rx[12] == 0x86 ? 40 : 20);

			if ((size_t)n >= l4 + 4 && (rx[12] == 0x08 || rx[12] == 0x86) &&
			    rx[l4 + 2] == dport >> 8 && rx[l4 + 3] == (dport & 0xff)) {
				seen = true;
				break;
			}
		}
	}
	close(tx);
	close(rxfd);
	return seen;
}

/*
 * With ip_forward=0, all.forwarding=0 and only lo forwarding on, a packet
 * routed through the namespace is not forwarded (v4 and v6); the control
 * run with forwarding on proves the probe can see one.
 */
static void
test_kernel_does_not_forward(void **state)
{
	const struct frame f4 = { .from = "10.1.0.2:4000", .to = "10.2.0.2:5555",
				  .dmac = MAC_VA0, .smac = MAC_A2, .payload = 20 };
	const struct frame f6 = { .from = "[fd01::2]:4000", .to = "[fd02::2]:5556",
				  .dmac = MAC_VA0, .smac = MAC_A2, .payload = 20 };

	assert_int_equal(apply_sysctls(), 0);
	assert_false(kernel_forwards(&f4, 5555));
	assert_false(kernel_forwards(&f6, 5556));

	assert_int_equal(write_file("/proc/sys/net/ipv4/ip_forward", "1"), 0);
	assert_int_equal(write_file("/proc/sys/net/ipv6/conf/all/forwarding", "1"), 0);
	assert_true(kernel_forwards(&f4, 5555));
	assert_true(kernel_forwards(&f6, 5556));
	/* Writing the global knobs resets every device, lo included: redo all. */
	assert_int_equal(apply_sysctls(), 0);
}

/* ---- checksum edge cases ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* xorshift64*: deterministic, so a failure is reproducible. */
static uint32_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static void
rnd_sa(union xr_sa *sa, int v6)
{
	uint32_t w[4];
	int i;

	memset(sa, 0, sizeof(*sa));
	for (i = 0; i < 4; i++)
		w[i] = rnd();
	if (v6) {
		sa->sin6.sin6_family = AF_INET6;
		memcpy(&sa->sin6.sin6_addr, w, 16);
	} else {
		sa->sin.sin_family = AF_INET;
		sa->sin.sin_addr.s_addr = w[0];
	}
	xr_sa_set_port(sa, (uint16_t)(rnd() | 1));
}

/*
 * Run in through a forwarding flow local <- peer => src -> dst (dst behind
 * vb0) and compare with out, built from scratch; fails the test otherwise.
 */
static void
check_rewrite(const char *what, const struct pkt_spec *in_spec, const struct pkt_spec *out_spec,
	      uint8_t ttl)
{
	uint8_t in[PKT_MAX], out[PKT_MAX + 64], exp[PKT_MAX];
	uint64_t c0[XR_CNT__MAX], c1[XR_CNT__MAX];
	size_t inlen, elen, outlen;
	struct xr_flow_key k;
	struct xr_flow v;
	const char *why;
	__u32 retval;
	int i;

	fp_key_make(&k, &in_spec->dst);
	fp_flow_make(&v, 1, &in_spec->src, LF, &out_spec->src, &out_spec->dst, ttl);
	assert_int_equal(fp_flow_put(&sk_lo.fp, &k, &v), 0);
	inlen = pkt_build(in, PKT_MAX, in_spec);
	elen = pkt_build(exp, PKT_MAX, out_spec);
	assert_true(inlen > 0 && elen > 0);
	assert_int_equal(fp_counters(&sk_lo.fp, c0), 0);
	retval = run_once(&sk_lo, "va0", in, inlen, out, sizeof(out), &outlen);
	assert_int_equal(fp_counters(&sk_lo.fp, c1), 0);
	for (i = 0; i < XR_CNT__MAX; i++)
		if (c1[i] != c0[i] + (i == XR_CNT_fwd_redirect))
			fprintf(stderr, "%s: counter %s +%llu\n", what, xr_cnt_names[i],
				(unsigned long long)(c1[i] - c0[i]));
	if (retval != XDP_REDIRECT) {
		char a[XR_SA_STRLEN], b[XR_SA_STRLEN];

		fprintf(stderr, "%s: %s -> %s, tos %#x\n", what,
			xr_sa_str(&out_spec->src, a, sizeof(a)),
			xr_sa_str(&out_spec->dst, b, sizeof(b)), in_spec->tos);
	}
	assert_int_equal(retval, XDP_REDIRECT);
	assert_int_equal(c1[XR_CNT_fwd_redirect], c0[XR_CNT_fwd_redirect] + 1);
	if (outlen != elen || memcmp(out, exp, elen) != 0) {
		dump_mismatch(what, in, inlen, exp, elen, out, outlen);
		fail_msg("%s: frame mismatch", what);
	}
	if (pkt_verify(out, outlen, &why) != 0)
		fail_msg("%s: %s", what, why);
	assert_int_equal(fp_flow_del(&sk_lo.fp, &k), 0);
}

/* Input and output specs of one random rewrite of family v6. */
static void
rnd_specs(struct pkt_spec *in, struct pkt_spec *out, uint8_t *payload, int v6)
{
	size_t i;

	memset(in, 0, sizeof(*in));
	pkt_mac(in->dmac, MAC_VA0);
	pkt_mac(in->smac, MAC_PEER);
	rnd_sa(&in->src, v6);
	/* To one of the relay addresses, any port of the range: the table holds no other. */
	{
		static const char *const a4[] = { "10.1.0.1", "10.2.0.1", "10.2.0.2" };
		static const char *const a6[] = { "fd01::1", "fd02::1" };

		assert_int_equal(xr_sa_parse_ip(&in->dst, v6 ? a6[rnd() % 2] : a4[rnd() % 3]),
				 0);
		xr_sa_set_port(&in->dst, (uint16_t)(TAB_LO + rnd() % (TAB_HI - TAB_LO + 1)));
	}
	in->ttl = (uint8_t)(rnd() | 1);
	in->tos = (uint8_t)rnd();
	in->ip_id = (uint16_t)rnd();
	in->ip_opt_len = v6 ? 0 : (int)(rnd() % 11) * 4;
	in->udp_csum_zero = !v6 && rnd() % 8 == 0;
	in->payload_len = rnd() % 301;
	for (i = 0; i < in->payload_len; i++)
		payload[i] = (uint8_t)rnd();
	in->payload = payload;

	in->flowlabel = v6 ? (uint32_t)rnd() & 0xfffff : 0;
	*out = *in;
	out->ip_opt_len = 0;	/* dropped, as the userspace relay does */
	out->flowlabel = 0;	/* cleared, as the userspace relay sends it */
	pkt_mac(out->dmac, MAC_B2);
	pkt_mac(out->smac, MAC_VB0);
	/* The relay's own address: unicast (a multicast source fails the fib lookup). */
	rnd_sa(&out->src, v6);
	if (v6) {
		out->src.sin6.sin6_addr.s6_addr[0] = (uint8_t)(0x20 | (rnd() & 0x1f));
	} else {
		uint8_t *a = (uint8_t *)&out->src.sin.sin_addr;

		a[0] = (uint8_t)(1 + rnd() % 223);
		if (a[0] == 127)
			a[0] = 10;
	}
	assert_int_equal(xr_sa_parse_ip(&out->dst, v6 ? "fd02::2" : "10.2.0.2"), 0);
	xr_sa_set_port(&out->dst, (uint16_t)(rnd() | 1));
	out->ttl = (uint8_t)(rnd() | 1);
}

/* Many random rewrites (addresses, ports, TTL, options, payloads) of both families. */
static void
test_random_rewrites(void **state)
{
	uint8_t payload[PKT_MAX];
	struct pkt_spec in, out;
	char what[64];
	int i;

	assert_true(fp_flows_flush(&sk_lo.fp) >= 0);
	for (i = 0; i < 2000; i++) {
		rnd_specs(&in, &out, payload, i & 1);
		snprintf(what, sizeof(what), "random rewrite #%d (IPv%d)", i, i & 1 ? 6 : 4);
		check_rewrite(what, &in, &out, out.ttl);
	}
}

/*
 * A rewrite whose UDP checksum comes out as zero must send 0xffff (RFC 768;
 * RFC 8200 8.1): pick the first payload word that makes it so.
 */
static void
test_udp_csum_ffff(void **state)
{
	uint8_t payload[PKT_MAX], exp[PKT_MAX];
	struct pkt_spec in, out;
	size_t l4, len;
	uint32_t w;
	int v6;

	assert_true(fp_flows_flush(&sk_lo.fp) >= 0);
	for (v6 = 0; v6 < 2; v6++) {
		rnd_specs(&in, &out, payload, v6);
		in.ip_opt_len = out.ip_opt_len = 0;
		in.udp_csum_zero = out.udp_csum_zero = false;
		in.payload_len = out.payload_len = 64;
		l4 = 14 + (v6 ? 40 : 20);
		for (w = 0; w <= 0xffff; w++) {
			payload[0] = (uint8_t)(w >> 8);
			payload[1] = (uint8_t)w;
			len = pkt_build(exp, PKT_MAX, &out);
			assert_true(len > 0);
			if (exp[l4 + 6] == 0xff && exp[l4 + 7] == 0xff)
				break;
		}
		assert_true(w <= 0xffff);
		check_rewrite(v6 ? "UDP checksum 0xffff (IPv6)" : "UDP checksum 0xffff (IPv4)",
			      &in, &out, out.ttl);
	}
}

/* ---- verdicts carried out ---- */

/*
 * Rows only see a return code; here the verdicts are carried out for real
 * (BPF_F_TEST_XDP_LIVE_FRAMES): a redirect through xr_tx_ports must leave
 * by vb0 and an XDP_TX by va0, and arrive on the veth peer byte for byte.
 * The peers get GRO (NAPI) so that veth accepts the redirected frames.
 */
static void
live_case(const struct row *r, const char *peer_if)
{
	uint8_t in[PKT_MAX], exp[PKT_MAX], rx[PKT_MAX];
	struct xr_flow_key k;
	struct xdp_md ctx;
	size_t inlen, elen;
	bool seen = false;
	int fd, i;
	ssize_t n;
	LIBBPF_OPTS(bpf_test_run_opts, topts);

	row_setup(&sk_lo, r, &k);
	inlen = build_frame(in, &r->in);
	elen = build_frame(exp, &r->out);
	fd = packet_socket(peer_if);
	assert_true(fd >= 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.data_end = (__u32)inlen;
	ctx.ingress_ifindex = if_nametoindex(r->ingress);
	topts.data_in = in;
	topts.data_size_in = (__u32)inlen;
	topts.ctx_in = &ctx;
	topts.ctx_size_in = sizeof(ctx);
	topts.repeat = 1;
	topts.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
	assert_int_equal(bpf_prog_test_run_opts(sk_lo.fp.prog_fd, &topts), 0);
	for (i = 0; i < 5 && !seen; i++) {
		while ((n = recv(fd, rx, sizeof(rx), 0)) > 0) {
			if ((size_t)n == elen && memcmp(rx, exp, elen) == 0) {
				seen = true;
				break;
			}
		}
	}
	close(fd);
	if (!seen)
		fail_msg("live \"%s\": expected frame not seen on %s", r->name, peer_if);
	assert_int_equal(fp_flow_del(&sk_lo.fp, &k), 0);
}

static void
test_live_frames(void **state)
{
	assert_int_equal(sh("ethtool -K va1 gro on >/dev/null 2>&1"), 0);
	assert_int_equal(sh("ethtool -K vb1 gro on >/dev/null 2>&1"), 0);
	live_case(&rows[0], "vb1");	/* hit IPv4, redirect to vb0 */
	live_case(&rows[1], "va1");	/* hit IPv4, XDP_TX on va0 */
	live_case(&rows[2], "vb1");	/* hit IPv6, redirect to vb0 */
}

/* ---- set-up ---- */

static void
netns_setup(void)
{
	size_t i;

	if (geteuid() != 0)
		skip_exit("needs root (unshare, BPF)");
	if (unshare(CLONE_NEWNET) < 0)
		skip_exit("cannot unshare(CLONE_NEWNET)");
	for (i = 0; netns_cmds[i]; i++)
		if (sh("%s >/dev/null 2>&1", netns_cmds[i]) != 0) {
			fprintf(stderr, "netns set-up failed: %s\n", netns_cmds[i]);
			skip_exit("cannot build the test netns (ip, veth)");
		}
	if (apply_sysctls() < 0)
		skip_exit("cannot write forwarding sysctls");
}

static void
skels_setup(void)
{
	int err;

	libbpf_set_print(libbpf_quiet);
	err = tskel_load(&sk_lo, 1, 0);	/* lo is ifindex 1 in every netns */
	if (err == -EPERM || err == -EACCES)
		skip_exit("BPF not permitted");
	if (err) {
		fprintf(stderr, "cannot load the skeleton: %s\n", strerror(-err));
		exit(1);
	}
	if (tskel_load(&sk_in, 0, SK_IN_SAMPLE)) {
		fprintf(stderr, "cannot load the second skeleton\n");
		exit(1);
	}
	if (add_tx_port(&sk_lo, "va0") || add_tx_port(&sk_lo, "vb0") ||
	    add_tx_port(&sk_in, "va0") || add_tx_port(&sk_in, "vb0")) {
		fprintf(stderr, "cannot fill xr_tx_ports\n");
		exit(1);
	}
}

/* Wall-clock ns a run of repeat runs that took t0 .. t1 (two decimals' worth). */
static double
ns_per_run(const struct timespec *t0, const struct timespec *t1, unsigned repeat)
{
	return ((double)(t1->tv_sec - t0->tv_sec) * 1e9 + (double)(t1->tv_nsec - t0->tv_nsec)) /
	       repeat;
}

/*
 * Time repeat runs of an IPv4 hit; prints ns/packet.  test_run does not
 * restore the frame between repeats, so the flow is a fixed point: it
 * rewrites 10.2.0.3:5004 -> 10.2.0.2:5000 into itself (same work as any
 * hit: lookup, fib, MACs, TTL, both checksums), and every repeat hits again.
 * The fwd_redirect counter proves it.
 */
static int
bench(unsigned repeat)
{
	static const struct row r = {
		.local = "10.2.0.2:5000", .peer = "10.2.0.3:5004", .src = "10.2.0.3:5004",
		.dst = "10.2.0.2:5000", .ttl = 64, .flags = LF, .ingress = "va0",
		.in = { .from = "10.2.0.3:5004", .to = "10.2.0.2:5000", IN_A, .ttl = 64,
			.payload = 172 },
	};
	uint8_t in[PKT_MAX], out[PKT_MAX + 64];
	uint64_t c0[XR_CNT__MAX], c1[XR_CNT__MAX];
	struct timespec t0, t1;
	struct xr_flow_key k;
	struct xdp_md ctx;
	size_t inlen;
	int err, i;
	LIBBPF_OPTS(bpf_test_run_opts, topts);

	row_setup(&sk_lo, &r, &k);
	inlen = build_frame(in, &r.in);
	memset(&ctx, 0, sizeof(ctx));
	ctx.data_end = (__u32)inlen;
	ctx.ingress_ifindex = if_nametoindex(r.ingress);
	for (i = 0; i < 5; i++) {
		if (fp_counters(&sk_lo.fp, c0))
			return 1;
		topts.data_in = in;
		topts.data_size_in = (__u32)inlen;
		topts.data_out = out;
		topts.data_size_out = sizeof(out);
		topts.ctx_in = &ctx;
		topts.ctx_size_in = sizeof(ctx);
		topts.repeat = repeat;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		err = bpf_prog_test_run_opts(sk_lo.fp.prog_fd, &topts);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (err || fp_counters(&sk_lo.fp, c1)) {
			fprintf(stderr, "test run: %s\n", strerror(-err));
			return 1;
		}
		/* The kernel's figure is whole ns; the wall clock's gives two decimals. */
		printf("IPv4 hit, 214-byte frame: %u runs, retval %u, fwd_redirect +%llu, "
		       "%u ns/packet (wall %.2f)\n", repeat, topts.retval,
		       (unsigned long long)(c1[XR_CNT_fwd_redirect] - c0[XR_CNT_fwd_redirect]),
		       topts.duration, ns_per_run(&t0, &t1, repeat));
		if (topts.retval != XDP_REDIRECT ||
		    c1[XR_CNT_fwd_redirect] - c0[XR_CNT_fwd_redirect] != repeat) {
			fprintf(stderr, "not every run was a hit\n");
			return 1;
		}
	}
	/*
	 * The blocklist's share: the same hit with one unrelated ban in xr_bans,
	 * so that the program walks the LPM trie first (it skips it while the
	 * list is empty).
	 */
	{
		struct xr_ban_key bk;
		struct xr_ban bv = { .reason = XR_BAN_MANUAL };
		union xr_sa bp;

		if (xr_sa_parse_ip(&bp, "192.0.2.0") || fp_ban_key_make(&bk, &bp, 24) ||
		    fp_ban_put(&sk_lo.fp, &bk, &bv))
			return 1;
		topts.data_size_out = sizeof(out);
		err = bpf_prog_test_run_opts(sk_lo.fp.prog_fd, &topts);
		fp_ban_del(&sk_lo.fp, &bk);
		if (err || topts.retval != XDP_REDIRECT)
			return 1;
		printf("same hit, one unrelated ban (LPM trie walked): %u runs, %u ns/packet\n",
		       repeat, topts.duration);
	}
	/*
	 * The same frame from a source other than the latched peer (RTP Bleed:
	 * sk_lo samples none, so every one is dropped in XDP): what a flood of
	 * wrong sources costs a packet.
	 */
	{
		struct frame f = r.in;
		uint8_t bad[PKT_MAX];
		size_t blen;

		f.from = "10.2.0.9:5004";
		blen = build_frame(bad, &f);
		if (fp_counters(&sk_lo.fp, c0))
			return 1;
		topts.data_in = bad;
		topts.data_size_in = (__u32)blen;
		topts.data_size_out = sizeof(out);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		err = bpf_prog_test_run_opts(sk_lo.fp.prog_fd, &topts);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (err || fp_counters(&sk_lo.fp, c1) || topts.retval != XDP_DROP ||
		    c1[XR_CNT_drop_wrong_source] - c0[XR_CNT_drop_wrong_source] != repeat)
			return 1;
		printf("same frame from a wrong source (dropped): %u runs, %u ns/packet (wall %.2f)\n",
		       repeat, topts.duration, ns_per_run(&t0, &t1, repeat));
		topts.data_in = in;
		topts.data_size_in = (__u32)inlen;
	}
	/* For scale: the same frame without its flow (parse, index, entry read, XDP_PASS). */
	if (fp_flow_del(&sk_lo.fp, &k))
		return 1;
	topts.data_size_out = sizeof(out);
	if (bpf_prog_test_run_opts(sk_lo.fp.prog_fd, &topts))
		return 1;
	printf("same frame, no flow: %u runs, retval %u, %u ns/packet\n", repeat,
	       topts.retval, topts.duration);
	/* And to a port outside the table (parse, index miss, XDP_PASS). */
	{
		struct frame f = r.in;

		f.to = "10.2.0.2:50000";
		inlen = build_frame(in, &f);
		topts.data_size_in = (__u32)inlen;
		topts.data_size_out = sizeof(out);
		if (bpf_prog_test_run_opts(sk_lo.fp.prog_fd, &topts))
			return 1;
		printf("same frame to a port outside the table: %u runs, retval %u, %u ns/packet\n",
		       repeat, topts.retval, topts.duration);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	size_t n = sizeof(rows) / sizeof(rows[0]), i;
	struct CMUnitTest *tests;
	int rc;

	netns_setup();
	skels_setup();
	if (argc == 3 && strcmp(argv[1], "--bench") == 0)
		return bench((unsigned)strtoul(argv[2], NULL, 0));

	tests = calloc(n + 14, sizeof(*tests));
	if (!tests)
		return 1;
	tests[0] = (struct CMUnitTest)cmocka_unit_test(test_abi_sizes);
	tests[1] = (struct CMUnitTest)cmocka_unit_test(test_flow_lifecycle);
	tests[2] = (struct CMUnitTest)cmocka_unit_test(test_kernel_does_not_forward);
	tests[3] = (struct CMUnitTest)cmocka_unit_test(test_shared_counters);
	tests[4] = (struct CMUnitTest)cmocka_unit_test(test_live_frames);
	tests[5] = (struct CMUnitTest)cmocka_unit_test(test_random_rewrites);
	tests[6] = (struct CMUnitTest)cmocka_unit_test(test_udp_csum_ffff);
	tests[7] = (struct CMUnitTest)cmocka_unit_test(test_nh_cache);
	tests[8] = (struct CMUnitTest)cmocka_unit_test(test_wrong_source_budget);
	tests[9] = (struct CMUnitTest)cmocka_unit_test(test_media_max_pps);
	tests[10] = (struct CMUnitTest)cmocka_unit_test(test_seqlock_busy);
	tests[11] = (struct CMUnitTest)cmocka_unit_test(test_bans_switch);
	tests[12] = (struct CMUnitTest)cmocka_unit_test(test_counter_gen);
	tests[13] = (struct CMUnitTest)cmocka_unit_test(test_clock);
	for (i = 0; i < n; i++) {
		tests[i + 14].name = rows[i].name;
		tests[i + 14].test_func = test_row;
		tests[i + 14].initial_state = &rows[i];
	}
	rc = _cmocka_run_group_tests("test_xdp", tests, n + 14, NULL, NULL);
	free(tests);
	fp_table_free(&sk_in.fp);
	fp_table_free(&sk_lo.fp);
	xrelay__destroy(sk_in.skel);
	xrelay__destroy(sk_lo.skel);
	return rc;
}
