/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * parse.h - bounds-checked header parsers of the XDP program (BPF side only).
 * Ethernet with at most one VLAN tag, IPv4 (options allowed) or IPv6 (UDP as
 * the first next header), then UDP.  Parsers fill struct xr_pkt and return
 * XR_CONTINUE or the enum xr_cnt reason the packet is passed with; they
 * never write to the packet.
 */
#ifndef XR_PARSE_H
#define XR_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xrelay/counters.h"
#include "xrelay/flow.h"

/* Helpers return this to say "go on", or an enum xr_cnt (>= 0) to stop. */
#define XR_CONTINUE	(-1)

/* An 802.1Q / 802.1AD tag as it follows the MAC addresses (not in the UAPI). */
struct xr_vlan_hdr {
	__be16	tci;		/* PCP(3) DEI(1) VID(12), network order */
	__be16	encap_proto;	/* EtherType of what follows, network order */
};

#define XR_VLAN_VID_MASK	0x0fff
/* Largest L3 offset the parsers accept: Ethernet plus one VLAN tag. */
#define XR_L3_MAX	(ETH_HLEN + sizeof(struct xr_vlan_hdr))
/* Largest L4 offset: that plus the largest IPv4 header (IHL 15). */
#define XR_L4_MAX	(XR_L3_MAX + 60)
#define XR_IP_MF		0x2000	/* IPv4 frag_off: more fragments */
#define XR_IP_OFFSET		0x1fff	/* IPv4 frag_off: fragment offset */

/* What the parsers found; offsets are from the start of the frame. */
struct xr_pkt {
	__u32	l3_off;		/* ETH_HLEN, or ETH_HLEN + 4 when tagged */
	__u32	l4_off;		/* start of the UDP header */
	__u32	l3_len;		/* IPv4 tot_len, or 40 + IPv6 payload_len */
	__u16	udp_len;	/* udp->len, host order, >= 8 and within l3_len */
	__u8	family;		/* XR_FAM_IPV4 or XR_FAM_IPV6 */
	__u8	tagged;		/* 1 when the frame carries one VLAN tag */
	__be16	tci;		/* the tag's TCI when tagged, network order */
	__be16	vlan_proto;	/* the tag's TPID (ETH_P_8021Q/AD) when tagged */
};

static __always_inline int
xr_is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/*
 * Ethernet and at most one VLAN tag.  Sets l3_off, tagged, tci, vlan_proto;
 * stores the EtherType of the L3 header in *proto.
 */
static __always_inline int
xr_parse_eth(void *data, void *data_end, struct xr_pkt *p, __be16 *proto)
{
	struct ethhdr *eth = data;
	struct xr_vlan_hdr *vh;

	if ((void *)(eth + 1) > data_end)
		return XR_CNT_pass_truncated;
	/* one 16-bit load: struct ethhdr is packed, its h_proto read byte by byte */
	*proto = *(const __be16 *)((const __u8 *)data + 12);
	p->l3_off = ETH_HLEN;
	p->tagged = 0;
	if (!xr_is_vlan(*proto))
		return XR_CONTINUE;
	vh = (void *)(eth + 1);
	if ((void *)(vh + 1) > data_end)
		return XR_CNT_pass_truncated;
	p->tagged = 1;
	p->vlan_proto = *proto;
	p->tci = vh->tci;
	*proto = vh->encap_proto;
	p->l3_off = ETH_HLEN + sizeof(*vh);
	if (xr_is_vlan(*proto))
		return XR_CNT_pass_vlan_stack;
	return XR_CONTINUE;
}

/*
 * IPv4: version 4, IHL >= 5 (options skipped; dropped on the way out), tot_len within
 * the frame (trailing Ethernet padding allowed), not a fragment, UDP.
 */
static __always_inline int
xr_parse_ipv4(void *data, void *data_end, struct xr_pkt *p)
{
	struct iphdr *ip = data + ETH_HLEN;
	__u32 ihl, tot;

	if (p->tagged)
		ip = data + ETH_HLEN + sizeof(struct xr_vlan_hdr);
	if ((void *)(ip + 1) > data_end)
		return XR_CNT_pass_truncated;
	if (ip->version != 4 || ip->ihl < 5)
		return XR_CNT_pass_truncated;
	ihl = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (tot < ihl || (void *)ip + tot > data_end)
		return XR_CNT_pass_truncated;
	if (ip->frag_off & bpf_htons(XR_IP_MF | XR_IP_OFFSET))
		return XR_CNT_pass_fragment;
	if (ip->protocol != IPPROTO_UDP)
		return XR_CNT_pass_not_udp;
	p->family = XR_FAM_IPV4;
	p->l3_len = tot;
	p->l4_off = p->l3_off + ihl;
	return XR_CONTINUE;
}

/*
 * IPv6: the UDP header must follow the fixed header directly.  A Fragment
 * header is counted as a fragment; any other extension header (hop-by-hop,
 * routing, destination options, AH, ESP) is passed as not_udp without being
 * walked: media from SDP-negotiated peers never carries them, and the stack
 * handles whatever does.  Jumbograms (payload_len 0) are passed as truncated.
 */
static __always_inline int
xr_parse_ipv6(void *data, void *data_end, struct xr_pkt *p)
{
	struct ipv6hdr *ip6 = data + ETH_HLEN;
	__u32 plen;

	if (p->tagged)
		ip6 = data + ETH_HLEN + sizeof(struct xr_vlan_hdr);
	if ((void *)(ip6 + 1) > data_end)
		return XR_CNT_pass_truncated;
	if (ip6->version != 6)
		return XR_CNT_pass_truncated;
	plen = bpf_ntohs(ip6->payload_len);
	if ((void *)(ip6 + 1) + plen > data_end)
		return XR_CNT_pass_truncated;
	if (ip6->nexthdr == IPPROTO_FRAGMENT)
		return XR_CNT_pass_fragment;
	if (ip6->nexthdr != IPPROTO_UDP)
		return XR_CNT_pass_not_udp;
	p->family = XR_FAM_IPV6;
	p->l3_len = sizeof(*ip6) + plen;
	p->l4_off = p->l3_off + sizeof(*ip6);
	return XR_CONTINUE;
}

/* UDP: the header within the frame, 8 <= udp->len <= the L3 payload. */
static __always_inline int
xr_parse_udp(void *data, void *data_end, struct xr_pkt *p)
{
	struct udphdr *udp;
	__u32 ulen, l4_off = p->l4_off;

	if (l4_off > XR_L4_MAX)		/* bound for the verifier */
		return XR_CNT_pass_truncated;
	udp = data + l4_off;
	if ((void *)(udp + 1) > data_end)
		return XR_CNT_pass_truncated;
	ulen = bpf_ntohs(udp->len);
	if (ulen < sizeof(*udp) || ulen > p->l3_len - (l4_off - p->l3_off))
		return XR_CNT_pass_truncated;
	p->udp_len = ulen;
	return XR_CONTINUE;
}

/* The whole parse: fills p or returns the reason the frame is passed. */
static __always_inline int
xr_parse(void *data, void *data_end, struct xr_pkt *p)
{
	__be16 proto;
	int rc;

	rc = xr_parse_eth(data, data_end, p, &proto);
	if (rc != XR_CONTINUE)
		return rc;
	if (proto == bpf_htons(ETH_P_IP))
		rc = xr_parse_ipv4(data, data_end, p);
	else if (proto == bpf_htons(ETH_P_IPV6))
		rc = xr_parse_ipv6(data, data_end, p);
	else
		return XR_CNT_pass_not_ip;
	if (rc != XR_CONTINUE)
		return rc;
	return xr_parse_udp(data, data_end, p);
}

#endif /* XR_PARSE_H */
