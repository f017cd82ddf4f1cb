/* SPDX-License-Identifier: GPL-2.0 */
/*
 * session_internal.h - what session.c, session_json.c and relay.c share
 * inside daemon/media:
 * the session, side and leg structs and the helpers the relay calls with a
 * session locked.  Not for use outside daemon/media (media.h is the API).
 */
#ifndef XR_MEDIA_SESSION_INTERNAL_H
#define XR_MEDIA_SESSION_INTERNAL_H

#include <ev.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <urcu.h>		/* the memb flavour */
#include <urcu/rculfhash.h>

#include "media/latch.h"
#include "media/media.h"
#include "media/ports.h"
#include "xrelay/flow.h"

enum media_leg_id { MEDIA_RTP = 0, MEDIA_RTCP = 1 };

/*
 * Userspace counters of one leg.  Written by the relay thread only, with
 * relaxed atomic stores; read from any thread with relaxed atomic loads.
 */
struct media_leg_stats {
	uint64_t	rx_packets;	/* every datagram read from the socket */
	uint64_t	rx_bytes;	/* their UDP payload bytes */
	uint64_t	fwd_packets;	/* relayed to the other side */
	uint64_t	fwd_bytes;	/* their UDP payload bytes */
	uint64_t	drop_source;	/* not from the latched/latchable source (RTP Bleed) */
	uint64_t	drop_no_dest;	/* accepted, but no destination yet / on hold */
	uint64_t	drop_early;	/* before the leg's remote was negotiated (latch.c) */
	uint64_t	drop_other;	/* truncated (over RELAY_MTU) or send failed */
	uint64_t	last_ns;	/* CLOCK_MONOTONIC ns, last accepted packet; 0: none */
};

/* One relay port: RTP or RTCP of one side. */
struct media_leg {
	struct media_side	*side;		/* owner */
	enum media_leg_id	 id;
	int			 fd;		/* bound socket (ports.c), -1 once closed */
	union xr_sa		 local;		/* relay address and port of this leg */
	union xr_sa		 remote;	/* negotiated remote (port 0: unknown); s->lock */
	union xr_sa		 latched;	/* latched source (family 0: none); s->lock */
	union xr_sa		 early;		/* source of the last early packet (family 0:
						 * none), latched if the answer names it; s->lock */
	struct xr_flow_key	 key;		/* kernel flow key for local */
	ev_io			 io;		/* relay thread's watcher; data = this leg */
	struct media_leg_stats	 st;
	uint64_t		 k_last_ns;	/* kernel last_seen_ns seen by the timeout check
						 * (CLOCK_MONOTONIC_COARSE) */
};

struct media_side {
	struct media_session	*sess;		/* owner */
	enum media_side_id	 id;
	int			 pool;		/* index of the relay address (--media) */
	struct port_pair	 pair;		/* bound sockets; fds also in leg[].fd */
	enum media_dir		 dir;		/* s->lock */
	struct media_leg	 leg[2];	/* [MEDIA_RTP], [MEDIA_RTCP] */
};

struct media_session {
	uint64_t		 id;
	struct cds_lfht_node	 id_node;	/* in the by-id table */
	pthread_mutex_t		 lock;		/* remotes, latches, dir, dead, kernel flows */
	bool			 dead;		/* deleted: no more flow writes; lock */
	bool			 timeout_reported; /* atomic: relay thread, media_session_touch() */
	uint64_t		 created_ms;	/* CLOCK_REALTIME */
	uint64_t		 created_ns;	/* CLOCK_MONOTONIC */
	uint64_t		 owner;		/* atomic: media_session_set_owner() */
	struct media_side	 side[2];
	struct rcu_head		 rcu;
};

/* ---- session.c, for relay.c ---- */
/* The configured latching policy. */
enum xr_latch	media_policy(void);
/*
 * Where packets arriving on leg go: the other side's same leg's latched
 * source, else its negotiated remote when known; RTP also only when both
 * sides' directions allow it (RTCP flows whatever the direction, RFC 3264
 * section 5.1).  Returns false when they go nowhere; *dst still set when
 * the destination is known but the direction forbids.  Call with s->lock held.
 */
bool	media_leg_dst(const struct media_leg *leg, union xr_sa *dst, bool *known);
/*
 * Rewrite the four kernel flows of s from its current state (no-op without
 * fast path or once s is dead).  A flow the kernel refuses is deleted, so
 * the XDP path passes that leg up and the relay carries it; nothing stale
 * is ever left.  Call with s->lock held.  0 or the first -errno (logged).
 */
int	media_flows_write(struct media_session *s);
/* Relay thread, periodically: report or delete sessions silent too long. */
void	media_timeout_check(void);
/* CLOCK_MONOTONIC in ns: the userspace relay's times (media_leg_stats.last_ns). */
uint64_t media_now_ns(void);
/*
 * CLOCK_MONOTONIC_COARSE in ns: the clock of the kernel's xr_flow_ent.last_seen_ns
 * (bpf_ktime_get_coarse_ns()).  Kernel times are compared with this one only; it
 * runs up to a tick behind CLOCK_MONOTONIC, from the same origin.
 */
uint64_t media_kernel_now_ns(void);

/* The module's state (session.c owns it; session_json.c reads it). */
struct media_state {
	const struct xr_config	*cfg;
	struct fp		*fp;		/* NULL: userspace relay only */
	struct port_pool	*pools[XR_MAX_MEDIA];	/* one per --media address */
	union xr_sa		 addrs[XR_MAX_MEDIA];	/* the --media addresses, port 0 */
	int			 npools;
	bool			 shared;	/* the shared-socket relay (shared.c) runs */
	int			 shared_fd[XR_MAX_MEDIA]; /* its socket per --media address */
	struct cds_lfht		*by_id;		/* media_session.id_node, key id */
	struct media_leg	**by_port[XR_MAX_MEDIA]; /* per --media address, indexed by
						 * port - port_lo: the leg (RCU pointer) */
	unsigned		 port_lo, nports;	/* --ports */
	uint64_t		 next_id;	/* atomic; random start */
	int			 nsessions;	/* atomic */
	int			 max_sessions;	/* media_max_sessions() */
	pthread_mutex_t		 cb_lock;
	void			(*timeout_cb)(uint64_t id, void *arg);
	void			*timeout_arg;
	void			(*change_cb)(uint64_t id);	/* atomic: media_set_change_cb() */
	bool			 inited;
};
extern struct media_state media_st;

/* Fill side sd of s from its bound pair (s->side[sd].pair) and RTP remote. */
/*
 * session_pool.c: a zeroed session (NULL with errno set), and giving one
 * back (after its RCU grace period).  session_pool_drop() unmaps the slabs
 * once every session is back (media_stop()); -EBUSY while one is out.
 */
struct media_session *session_alloc(void);
void	session_release(struct media_session *s);
int	session_pool_drop(void);

void	side_setup(struct media_session *s, enum media_side_id sd, int pool,
		   const union xr_sa *remote);
/* Write s's kernel flows and link it into the tables and the relay. */
void	session_insert(struct media_session *s);
/* media_set_standby(true) is in force: no media timeout. */
bool	media_is_standby(void);
/* Tell the change callback (media_set_change_cb()) that session id changed. */
void	media_changed(uint64_t id);

/* "sendrecv", ... by enum media_dir. */
extern const char *const media_dir_names[];

/* The session of a by-id node, NULL for NULL (no arithmetic on NULL: UBSan). */
static inline struct media_session *
session_of(struct cds_lfht_node *n)
{
	return n ? caa_container_of(n, struct media_session, id_node) : NULL;
}

/*
 * Every session; needs the RCU read lock.  Used instead of liburcu's
 * cds_lfht_for_each_entry(), which offsets a NULL pointer at the end.
 */
#define for_each_session(it, s)							\
	for (cds_lfht_first(media_st.by_id, &(it));				\
	     ((s) = session_of(cds_lfht_iter_get_node(&(it))));		\
	     cds_lfht_next(media_st.by_id, &(it)))

/* The leg whose relay address and port is local, or NULL.  Call under the RCU read lock. */
struct media_leg *leg_find(const union xr_sa *local);
/* Session with this id, or NULL.  Call under the RCU read lock. */
struct media_session *session_find(uint64_t id);
/*
 * Index of the relay address facing party (route_pick()), or -EINVAL when
 * no --media address has its family.
 */
int	pick_pool(const union xr_sa *party);
/* --media-timeout of the running configuration, in seconds (0: off). */
int	media_timeout_s(void);

#endif /* XR_MEDIA_SESSION_INTERNAL_H */
