/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rawudp.h - the two ends of the shared-socket relay (rawudp.c), pure
 * functions: where a datagram read from a shared media socket was sent to
 * (IP_ORIGDSTADDR / IPV6_ORIGDSTADDR), and the IPv4/IPv6 + UDP header of a
 * datagram sent through a raw socket from any relay port.
 */
#ifndef XR_MEDIA_RAWUDP_H
#define XR_MEDIA_RAWUDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/addr.h"

/* Room for the largest header rawudp_header() writes (IPv6 + UDP). */
#define RAWUDP_HDR_MAX	48

/*
 * The original destination (relay address and port) of a datagram whose
 * control messages are in mh, from IP_ORIGDSTADDR or IPV6_ORIGDSTADDR.
 * 0, or -ENOENT when mh carries neither.
 */
int	rawudp_origdst(struct msghdr *mh, union xr_sa *out);
/*
 * Write into hdr the IP header (IPv4: DF, id 0 for the kernel to choose, no
 * options; IPv6: flow label 0) and the UDP header of a datagram of len payload
 * bytes from src to dst (same family), with TOS / traffic class tos, TTL /
 * hop limit ttl and the UDP checksum over payload.  Returns the header
 * length (28 or 48), or -EINVAL for mixed or unknown families.
 */
int	rawudp_header(uint8_t hdr[RAWUDP_HDR_MAX], const union xr_sa *src,
		      const union xr_sa *dst, int tos, int ttl, const void *payload,
		      size_t len);

#endif /* XR_MEDIA_RAWUDP_H */
