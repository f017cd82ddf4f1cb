/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ports.h - the RTP/RTCP port-pair allocator of daemon/media (ports.c).
 * One pool per --media address over --ports LO-HI: even RTP port, RTCP on
 * RTP + 1.  Allocating a pair binds both UDP sockets (unless the pool is the
 * shared-socket relay's: then it only takes the pair); freeing only returns
 * the pair to the pool (the caller closes the sockets first).
 */
#ifndef XR_MEDIA_PORTS_H
#define XR_MEDIA_PORTS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "media/media.h"	/* MEDIA_TTL */

struct port_pool;

/*
 * A pair: fd[0] RTP on port, fd[1] RTCP on port + 1, both bound on addr
 * (both -1 in a pool that does not bind).
 */
struct port_pair {
	int		fd[2];		/* nonblocking, close-on-exec UDP sockets */
	union xr_sa	rtp;		/* relay address and RTP port (RTCP: port + 1) */
};

/*
 * A pool for addr (port ignored) over lo..hi inclusive.  The first RTP port
 * is lo rounded up to even; the last pair ends at or before hi.  NULL with
 * errno EINVAL when the range holds no pair (or lo == 0, or the address is
 * not IPv4/IPv6), ENOMEM when out of memory.  Without bind, allocating a
 * pair makes no system call (the shared sockets receive its packets).
 */
struct port_pool	*port_pool_new(const union xr_sa *addr, uint16_t lo, uint16_t hi,
				       bool bind);
void			 port_pool_free(struct port_pool *p);

/*
 * Take the next free pair after the pool's rotating cursor (a pair just
 * released is the last to be reused) and bind both sockets, with IP_TTL /
 * IPV6_UNICAST_HOPS set to MEDIA_TTL (media.h) and IP_RECVTOS /
 * IPV6_RECVTCLASS on.  A pair whose bind fails with
 * EADDRINUSE (another process holds a port) is skipped.  Returns 0, -ENOSPC
 * when no pair can be had (logged once with the range and the use count),
 * or another -errno from socket()/bind() (e.g. -EADDRNOTAVAIL: the address
 * is not on this host).  Nothing is held on error.  Thread-safe.
 */
int	port_pool_alloc(struct port_pool *p, struct port_pair *out);
/*
 * Bind media sockets even to an address this host does not have yet
 * (IP_FREEBIND): a standby (daemon/ha/) holds the active node's ports on
 * the service addresses before they move to it.
 */
void	port_set_freebind(bool on);
/*
 * Take the pair whose RTP port is rtp_port and bind it (a restart re-reserving
 * the ports of the sessions it restores, daemon/ha/).  0, -EINVAL (not a pair
 * of the range), -EEXIST (allocated already), or -errno from bind().
 */
int	port_pool_alloc_at(struct port_pool *p, uint16_t rtp_port, struct port_pair *out);
/*
 * Return the pair whose RTP port is rtp_port to the pool.  The caller has
 * closed (or never opened) its sockets.  Unknown or free ports are ignored.
 */
void	port_pool_release(struct port_pool *p, uint16_t rtp_port);
/*
 * Never give out the pair holding port (the daemon's own SIP port inside the
 * range of a pool that does not bind); it no longer counts in the size.
 */
void	port_pool_hold(struct port_pool *p, uint16_t port);
/* Close pair's sockets (those >= 0) and release it; for error paths and deletes. */
void	port_pair_put(struct port_pool *p, struct port_pair *pair);

/* Pairs allocated / pairs in the range; the address and range of the pool. */
int			 port_pool_in_use(struct port_pool *p);
int			 port_pool_size(const struct port_pool *p);
const union xr_sa	*port_pool_addr(const struct port_pool *p);
void			 port_pool_range(const struct port_pool *p, uint16_t *lo, uint16_t *hi);

#endif /* XR_MEDIA_PORTS_H */
