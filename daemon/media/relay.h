/* SPDX-License-Identifier: GPL-2.0 */
/*
 * relay.h - the userspace relay of daemon/media (relay.c): one thread with
 * its own libev loop, an ev_io per leg socket, recvmmsg/sendmmsg batches.
 * session.c hands sessions to it and takes them back; nothing else does.
 */
#ifndef XR_MEDIA_RELAY_H
#define XR_MEDIA_RELAY_H

#include <stdint.h>

struct media_session;

/* Packets per recvmmsg/sendmmsg batch, and the largest datagram relayed. */
#define RELAY_BATCH	64
#define RELAY_MTU	9216

/* Totals since relay_init(), summed over every leg the relay has carried. */
struct relay_totals {
	uint64_t	rx_packets, rx_bytes;
	uint64_t	fwd_packets, fwd_bytes;
	uint64_t	drop_source, drop_no_dest, drop_other;
	uint64_t	drop_early;	/* before the leg's remote was negotiated */
	uint64_t	latched;		/* legs latched */
};

/* Create the loop; timeout_s > 0 arms the media-timeout check. 0 or -errno. */
int	relay_init(int timeout_s);
/* Start the thread (it registers with RCU).  0 or -errno. */
int	relay_start(void);
/* Stop and join the thread; watchers stay, relay_fini() frees the loop. */
void	relay_stop(void);
void	relay_fini(void);
/*
 * Start / stop the watchers of s's four legs.  From any thread: when the
 * relay thread runs, the request is queued to it (ev_async) and this returns
 * once it is done, so after relay_detach() no callback can touch s and its
 * sockets may be closed.  From the relay thread itself, or before
 * relay_start(), it is done directly.
 */
void	relay_attach(struct media_session *s);
void	relay_detach(struct media_session *s);
/* Watch a shared socket (shared.c) from the next relay_start(); 0 or -ENOSPC. */
int	relay_add_shared(int fd);
/* True on the relay thread (timeout callbacks run there). */
int	relay_on_thread(void);
void	relay_get_totals(struct relay_totals *t);

#endif /* XR_MEDIA_RELAY_H */
