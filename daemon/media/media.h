/* SPDX-License-Identifier: GPL-2.0 */
/*
 * media.h - media sessions: the public API of daemon/media.
 *   ports.c    the RTP/RTCP port-pair allocator (even RTP, odd RTCP) over --ports
 *   session.c  sessions and sides, the session table (liburcu lfht), kernel flow upkeep
 *   latch.c    the latching decision (pure, unit-tested)
 *   relay.c    the userspace relay: libev loop thread, recvmmsg/sendmmsg
 *
 * A session joins two sides, A and B.  Each side owns a port pair on the relay
 * address that faces its party (chosen by route, see common/route.h): the
 * party sends RTP to local_rtp and RTCP to local_rtp+1.  Packets A sends are
 * relayed from B's port pair to B's remote (and the other way round).
 * All functions are thread-safe; lookups are RCU readers, so the calling
 * thread must have called rcu_register_thread() (urcu-memb flavour).
 */
#ifndef XR_MEDIA_H
#define XR_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/media_dir.h"
#include "config.h"

struct fp;
struct json_t;

/*
 * TTL (IPv4) / hop limit (IPv6) of every relay socket, and so of every packet
 * the userspace relay sends.  Kernel flows carry the same value (xr_flow.ttl)
 * so a packet leaves the same whichever path carried it.
 */
#define MEDIA_TTL	64

enum media_side_id { MEDIA_A = 0, MEDIA_B = 1 };

/*
 * Which way media may flow (enum media_dir, common/media_dir.h): RTP is
 * relayed per the directions of both sides' SDP; RTCP is relayed whatever
 * the direction: RFC 3264 section 5.1 keeps RTCP flowing on hold.
 */

struct media_side_info {
	union xr_sa	local_rtp;	/* relay address and RTP port this side sends to */
	union xr_sa	remote_rtp;	/* negotiated RTP address of the party (port 0: unknown) */
	union xr_sa	remote_rtcp;	/* negotiated RTCP address (a=rtcp, or RTP + 1) */
	union xr_sa	latched_rtp;	/* latched RTP source (family 0: not latched) */
	union xr_sa	latched_rtcp;	/* latched RTCP source (family 0: not latched) */
	enum media_dir	dir;		/* what this side's SDP said */
};

struct media_session_info {
	uint64_t		id;
	struct media_side_info	side[2];
	uint64_t		created_ms;	/* CLOCK_REALTIME ms */
	uint64_t		last_media_ms;	/* CLOCK_MONOTONIC ms of the last packet, either path */
};

/*
 * The most sessions at once: --max-sessions, or when 0, as many as take at
 * most 1/32 of the host's memory (see media_session_bytes()), between 4,096
 * and 1,048,576: the admission cap.  The fast path's flow table does not
 * follow it: it has an entry for every --media address and --ports port.
 */
int	media_max_sessions(const struct xr_config *cfg);
/* Estimated memory one session costs (userspace; kernel: 0, the table is fixed), bytes. */
size_t	media_session_bytes(size_t *user, size_t *kernel);
/* Set up the allocator and the table; fp is NULL without --xdp. 0 or -errno. */
int	media_init(const struct xr_config *cfg, struct fp *fp);
/* Start the relay thread. */
int	media_start(void);
/* Stop the relay thread, delete every session (and its kernel flows). */
void	media_stop(void);

/*
 * Create a session relaying between the parties at a and b (RTP addresses;
 * RTCP is port + 1).  Allocates and binds both sides' port pairs, writes the
 * not-yet-latched kernel flows, starts relaying.  Flows the kernel table
 * refuses (full) are left out and those legs relayed in userspace (logged).
 * On error nothing is left half-allocated: -ENOSPC for an exhausted port
 * range or media_max_sessions() reached (message in the log), -EBUSY when
 * --max-media-sessions are live (the running configuration's; reserved
 * first, exact), -EINVAL for bad addresses (or no --media
 * address of a party's family), another -errno from bind() (e.g.
 * -EADDRNOTAVAIL: a --media address is not on this host).
 */
int	media_session_create(const union xr_sa *a, const union xr_sa *b, uint64_t *id);
/*
 * Create a session whose side B is not known yet (SIP offer seen, answer not):
 * only side A's remote is set; b_hint picks the relay address for side B
 * (the address the route to B leaves from). Complete it with media_session_update().
 */
int	media_session_create_half(const union xr_sa *a, const union xr_sa *b_hint, uint64_t *id);
/*
 * New negotiated remote and direction for one side (answer, re-INVITE, hold).
 * The kernel flows change before this returns.  A changed remote address
 * unlatches that side.  0, -ENOENT.
 */
int	media_session_update(uint64_t id, enum media_side_id side, const union xr_sa *remote,
			     enum media_dir dir);
/*
 * The same with the RTCP remote given apart (SDP a=rtcp, RFC 3605); rtcp NULL
 * means RTP port + 1.  A new RTP remote unlatches both legs of the side, a
 * new RTCP remote only the RTCP leg.  0, -ENOENT, -EINVAL (a remote of
 * another family than the side's relay address, bad side or dir).
 */
int	media_session_update_rtcp(uint64_t id, enum media_side_id side, const union xr_sa *remote,
				  const union xr_sa *rtcp, enum media_dir dir);
/* Delete a session: kernel flows gone before this returns. 0 or -ENOENT. */
int	media_session_delete(uint64_t id);
int	media_session_info(uint64_t id, struct media_session_info *out);
/*
 * media_session_info() without last_media_ms (left 0): no kernel map is
 * read, for a caller that wants only the addresses (media.create's reply).
 */
int	media_session_addrs(uint64_t id, struct media_session_info *out);
int	media_session_count(void);
/*
 * Which session, side and leg own the relay address and port local (the
 * by-local-address table the kernel flows are keyed like).  0 or -ENOENT.
 */
int	media_session_by_local(const union xr_sa *local, uint64_t *id,
			       enum media_side_id *side, bool *rtcp);

/*
 * Per-flow rows for `xrelayctl flows` (kernel and userspace counted apart)
 * and the media part of `status`/`stats`, as new jansson references.
 *
 * media_flows_json(): an array, oldest session first, four rows a session
 * (A rtp, A rtcp, B rtp, B rtcp):
 *   {"session": id, "side": "A"|"B", "leg": "rtp"|"rtcp",
 *    "local": "relay addr:port", "remote": negotiated "addr:port",
 *    "latched": bool, "source": latched "addr:port" | null,
 *    "dst": where its packets go | null, "forward": bool (dst known and the
 *    direction allows), "direction": "sendrecv"|"sendonly"|"recvonly"|"inactive",
 *    "kernel": {"packets", "bytes", "last_seen_ms_ago"} | null (no fast path),
 *    "userspace": {"packets", "bytes" (forwarded), "rx_packets", "rx_bytes", "dropped",
 *                  "dropped_wrong_source", "dropped_early" (before the remote was
 *                  negotiated: early RTP/RTCP), "dropped_no_dest", "dropped_other",
 *                  "last_seen_ms_ago"}}
 * last_seen_ms_ago is -1 when nothing was seen.
 * media_stats_json(): {"sessions", "latch", "kernel_fastpath", "media_timeout",
 *   "ports": [{"address", "port_lo", "port_hi", "pairs", "pairs_in_use",
 *   "pairs_free"}], "userspace": {totals since start: "rx_packets", "rx_bytes",
 *   "forwarded_packets", "forwarded_bytes", "wrong_source_drops",
 *   "no_dest_drops", "other_drops", "early_drops", "latches_total"}}
 */
struct json_t	*media_flows_json(void);
struct json_t	*media_stats_json(void);
/* The four rows of one session, as in media_flows_json(); NULL if no such session. */
struct json_t	*media_session_flows_json(uint64_t id);

/*
 * Sessions whose media has been silent for --media-timeout seconds (both
 * paths; a session that never had media counts from its creation) are
 * reported once through cb, called on the relay thread outside any lock:
 * cb may call media_session_delete() but must not wait for another thread
 * that creates or deletes sessions.  Without a cb such sessions are deleted
 * (and logged).  The SIP side ends the call.
 */
/*
 * Restart a session's silence clock (counted from now, reported again when
 * it runs out): a call that was ringing without early media is answered.
 * 0 or -ENOENT.
 */
int	media_session_touch(uint64_t id);
/*
 * The call a session belongs to (the SIP side's number for it; 0: none), so
 * that a silent session finds its call without a search.  0 or -ENOENT.
 */
int	media_session_set_owner(uint64_t id, uint64_t owner);
/* Session id's owner: 0 when none was set or there is no such session. */
uint64_t media_session_owner(uint64_t id);
/*
 * The --media address a session side facing party would get (the one the
 * route to party leaves by), port 0.  0, or -EINVAL (none of its family).
 */
int	media_relay_address(const union xr_sa *party, union xr_sa *out);
void	media_set_timeout_cb(void (*cb)(uint64_t id, void *arg), void *arg);

/*
 * cb(id) after a session was created, changed (answer, re-INVITE, latch) or
 * deleted, outside the session's lock, on the thread that changed it (a SIP
 * worker, the relay thread, ctl): it must not block.  daemon/ha/ records
 * the session in Redis.  NULL: none.
 */
void	media_set_change_cb(void (*cb)(uint64_t id));
/*
 * Re-create a session from a saved copy (a restarted daemon, daemon/ha/):
 * the same id, the same relay ports (bound again), remotes, latches and
 * directions; its kernel flows are written (re-programmed if missing, made
 * current if adopted).  Its silence clock starts now.  0, -EEXIST (that id
 * or a port is taken), -EINVAL (no --media address of that relay address),
 * or -errno from bind().
 */
int	media_session_restore(const struct media_session_info *in);
/*
 * Standby (daemon/ha/, --standby): sessions may be bound to addresses this
 * host does not have yet (IP_FREEBIND), and no session times out (no media
 * reaches a standby).  Turned off at takeover, every session's silence
 * clock restarted.
 */
void	media_set_standby(bool on);
/* fn(id, arg) for every session (RCU read side: fn must not block or delete). */
void	media_session_walk(void (*fn)(uint64_t id, void *arg), void *arg);
/*
 * Delete every kernel flow no session owns (left by a daemon that died:
 * a restart keeps the flows it restored and drops the rest).  The count
 * deleted, or -errno.  0 without the fast path.
 */
int	media_flows_reconcile(void);

#endif /* XR_MEDIA_H */
