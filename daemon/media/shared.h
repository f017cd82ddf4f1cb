/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shared.h - the sockets of the shared-socket relay (shared.c): one UDP
 * socket per --media address that receives the whole --ports range through
 * the sk_lookup program (fastpath/sklookup.c), and one raw socket per family
 * that sends from any relay port (rawudp.h builds the headers).
 */
#ifndef XR_MEDIA_SHARED_H
#define XR_MEDIA_SHARED_H

#include <stdint.h>

#include "common/addr.h"

/*
 * Set it all up for addrs[0..n) (port 0) over lo..hi: check that no socket
 * holds a port of the range (-EADDRINUSE, logged with the port), reserve the
 * range (ip_local_reserved_ports), open and bind the shared sockets
 * (fds[i] is addrs[i]'s), open the raw sockets, load the sk_lookup program and
 * attach it to this network namespace.  The ports skip[0..nskip) (the
 * daemon's own --sip ports inside the range) are left to the kernel; claim is
 * ports_reserve()'s.  Nothing is left on error: -EADDRINUSE
 * is for the caller to refuse to start; any other -errno (no BPF, no
 * CAP_NET_RAW; logged) lets it fall back to a socket per port.
 */
int	shared_open(const union xr_sa *addrs, int n, uint16_t lo, uint16_t hi,
		    const uint16_t *skip, int nskip, bool claim, int fds[]);
/* Detach, close every socket, give back the reserved ports. */
void	shared_close(void);
/* The raw socket sending datagrams of family fam (AF_INET/AF_INET6), or -1. */
int	shared_raw_fd(int fam);

#endif /* XR_MEDIA_SHARED_H */
