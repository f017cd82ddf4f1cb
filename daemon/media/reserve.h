/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reserve.h - the --ports range held for the shared-socket relay (reserve.c):
 * net.ipv4.ip_local_reserved_ports (the kernel then never gives those ports
 * to an automatic bind or connect, IPv4 and IPv6), and the check that no
 * socket of this network namespace already holds one of them.
 */
#ifndef XR_MEDIA_RESERVE_H
#define XR_MEDIA_RESERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"

/* Ports set in a 65536-bit set. */
struct port_set {
	uint64_t	w[1024];
};

/* Parse "1,2-5,..." (the sysctl's format; "" empty) into set.  0 or -EINVAL. */
int	port_set_parse(struct port_set *set, const char *s);
/* Format set as the sysctl takes it ("" when empty) into buf; -ENOSPC if short. */
int	port_set_format(const struct port_set *set, char *buf, size_t len);

/*
 * A UDP socket of this namespace bound to a port in lo..hi on one of the
 * addrs (or on a wildcard address of their family), from /proc/net/udp and
 * udp6: its port, 0 when none, -errno when the tables cannot be read.
 */
int	ports_in_use(const union xr_sa *addrs, int naddrs, uint16_t lo, uint16_t hi);
/*
 * Add lo..hi to ip_local_reserved_ports; remembers which of those ports were
 * not reserved before for ports_unreserve().  claim: the whole range counts
 * as ours even where already reserved (--redis: a daemon of this node that
 * was killed left it reserved; a stop then gives all of it back).  0 or
 * -errno (logged).
 */
int	ports_reserve(uint16_t lo, uint16_t hi, bool claim);
/* Take back what ports_reserve() added, leaving anyone else's. */
void	ports_unreserve(void);

#endif /* XR_MEDIA_RESERVE_H */
