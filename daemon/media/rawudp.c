// SPDX-License-Identifier: GPL-2.0
/*
 * rawudp.c - original destinations and raw UDP headers for the shared-socket
 * relay (rawudp.h).  Pure: no socket is touched here.  The relay sends from
 * any relay port through one raw socket per family (IPPROTO_RAW, header
 * included), since no socket option lets a UDP socket choose its source port
 * per datagram (IP_PKTINFO sets only the address).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <string.h>

#include "media/rawudp.h"

int
rawudp_origdst(struct msghdr *mh, union xr_sa *out)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_ORIGDSTADDR &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct sockaddr_in))) {
			memset(out, 0, sizeof(*out));
			memcpy(&out->sin, CMSG_DATA(c), sizeof(struct sockaddr_in));
			out->sin.sin_family = AF_INET;
			return 0;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_ORIGDSTADDR &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct sockaddr_in6))) {
			memset(out, 0, sizeof(*out));
			memcpy(&out->sin6, CMSG_DATA(c), sizeof(struct sockaddr_in6));
			out->sin6.sin6_family = AF_INET6;
			/* The relay's addresses are global ones: the key has no scope. */
			out->sin6.sin6_scope_id = 0;
			out->sin6.sin6_flowinfo = 0;
			return 0;
		}
	}
	return -ENOENT;
}

/* One's-complement sum of len bytes at p added to sum (RFC 1071), not folded. */
static uint64_t
csum_add(uint64_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (; len >= 2; b += 2, len -= 2)
		sum += (uint32_t)(b[0] << 8 | b[1]);
	if (len)
		sum += (uint32_t)b[0] << 8;
	return sum;
}

static uint16_t
csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* UDP header at u for len payload bytes, checksummed with the pseudo-header sum ph. */
static void
udp_fill(uint8_t *u, const union xr_sa *src, const union xr_sa *dst, uint64_t ph,
	 const void *payload, size_t len)
{
	struct udphdr h;
	uint16_t ck;

	h.uh_sport = src->sa.sa_family == AF_INET ? src->sin.sin_port : src->sin6.sin6_port;
	h.uh_dport = dst->sa.sa_family == AF_INET ? dst->sin.sin_port : dst->sin6.sin6_port;
	h.uh_ulen = htons((uint16_t)(sizeof(h) + len));
	h.uh_sum = 0;
	ph += IPPROTO_UDP + sizeof(h) + len;
	ph = csum_add(ph, &h, sizeof(h));
	ph = csum_add(ph, payload, len);
	ck = csum_fold(ph);
	h.uh_sum = htons(ck ? ck : 0xffff);	/* 0 means "no checksum" (RFC 768) */
	memcpy(u, &h, sizeof(h));
}

int
rawudp_header(uint8_t hdr[RAWUDP_HDR_MAX], const union xr_sa *src, const union xr_sa *dst,
	      int tos, int ttl, const void *payload, size_t len)
{
	uint64_t ph;

	if (src->sa.sa_family != dst->sa.sa_family)
		return -EINVAL;
	if (src->sa.sa_family == AF_INET) {
		struct ip ip;

		memset(&ip, 0, sizeof(ip));
		ip.ip_v = 4;
		ip.ip_hl = 5;
		ip.ip_tos = (uint8_t)tos;
		ip.ip_len = htons((uint16_t)(sizeof(ip) + sizeof(struct udphdr) + len));
		ip.ip_off = htons(IP_DF);
		ip.ip_ttl = (uint8_t)ttl;
		ip.ip_p = IPPROTO_UDP;
		ip.ip_src = src->sin.sin_addr;
		ip.ip_dst = dst->sin.sin_addr;
		memcpy(hdr, &ip, sizeof(ip));	/* header checksum: the kernel's */
		ph = csum_add(0, &ip.ip_src, 4);
		ph = csum_add(ph, &ip.ip_dst, 4);
		udp_fill(hdr + sizeof(ip), src, dst, ph, payload, len);
		return (int)(sizeof(ip) + sizeof(struct udphdr));
	}
	if (src->sa.sa_family == AF_INET6) {
		struct ip6_hdr ip6;

		memset(&ip6, 0, sizeof(ip6));
		ip6.ip6_flow = htonl(6u << 28 | (uint32_t)(tos & 0xff) << 20);
		ip6.ip6_plen = htons((uint16_t)(sizeof(struct udphdr) + len));
		ip6.ip6_nxt = IPPROTO_UDP;
		ip6.ip6_hlim = (uint8_t)ttl;
		ip6.ip6_src = src->sin6.sin6_addr;
		ip6.ip6_dst = dst->sin6.sin6_addr;
		memcpy(hdr, &ip6, sizeof(ip6));
		ph = csum_add(0, &ip6.ip6_src, 16);
		ph = csum_add(ph, &ip6.ip6_dst, 16);
		udp_fill(hdr + sizeof(ip6), src, dst, ph, payload, len);
		return (int)(sizeof(ip6) + sizeof(struct udphdr));
	}
	return -EINVAL;
}
