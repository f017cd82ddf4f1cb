/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pkt.h - frame builder for the XDP tests: Ethernet (0-2 VLAN tags), IPv4
 * (options, fragments) or IPv6 (Fragment header), UDP/TCP/ICMP, ARP, with
 * every checksum computed from scratch; checksum verification, hex diff and
 * pcap output for mismatches.  Independent of the BPF code it tests.
 */
#ifndef XR_TEST_PKT_H
#define XR_TEST_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/addr.h"

#define PKT_MAX		2048

/* What to build; addresses and ports in src/dst (family from src). */
struct pkt_spec {
	uint8_t		dmac[6];
	uint8_t		smac[6];
	int		nvlan;		/* 0, 1 or 2 tags */
	uint16_t	tpid[2];	/* host order; 0 means ETH_P_8021Q */
	uint16_t	tci[2];		/* host order, PCP/DEI/VID */
	uint16_t	ethertype;	/* host order; 0: from src's family */
	union xr_sa	src;		/* source address and port */
	union xr_sa	dst;		/* destination address and port */
	uint8_t		ttl;		/* TTL / hop limit (0: 64) */
	uint8_t		tos;		/* IPv4 TOS / IPv6 traffic class */
	uint32_t	flowlabel;	/* IPv6 flow label (20 bits) */
	uint8_t		proto;		/* L4 protocol (0: UDP) */
	uint16_t	ip_id;		/* IPv4 identification */
	uint16_t	frag_off;	/* IPv4 frag_off field as sent (flags|offset), host order */
	int		ip_opt_len;	/* IPv4 options bytes (multiple of 4, <= 40) */
	bool		v6_frag;	/* put an IPv6 Fragment header before the L4 header */
	bool		udp_csum_zero;	/* IPv4: send UDP checksum 0 (none) */
	size_t		payload_len;	/* L4 payload bytes (a fixed pattern) */
	const uint8_t	*payload;	/* when set: payload_len bytes used instead of the pattern */
};

/* Build the frame; returns its length, or 0 when it does not fit in cap. */
size_t	pkt_build(uint8_t *buf, size_t cap, const struct pkt_spec *s);
/* An ARP request frame (60 bytes with padding). */
size_t	pkt_build_arp(uint8_t *buf, size_t cap, const uint8_t smac[6]);

/* Internet checksum (RFC 1071) of len bytes, starting from sum. */
uint16_t pkt_csum(const void *data, size_t len, uint32_t sum);
/*
 * Verify the IPv4 header checksum and the UDP checksum (pseudo-header
 * included) of an untagged or single-tagged frame, from scratch.
 * Returns 0 when valid (an IPv4 UDP checksum of 0 counts as valid), -1 and
 * a reason in why otherwise.
 */
int	pkt_verify(const uint8_t *buf, size_t len, const char **why);

/* Print a side-by-side hex dump marking differing bytes. */
void	pkt_hexdiff(FILE *out, const uint8_t *exp, size_t elen, const uint8_t *got, size_t glen);
/* Append frames to a pcap file (created with a header when new); 0 or -errno. */
int	pkt_pcap_append(const char *path, const uint8_t *frame, size_t len);

/* Fill a MAC from "02:00:00:00:00:01". */
void	pkt_mac(uint8_t mac[6], const char *s);

#endif /* XR_TEST_PKT_H */
