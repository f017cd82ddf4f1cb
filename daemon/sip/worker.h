/* SPDX-License-Identifier: GPL-2.0 */
/*
 * worker.h - the SIP worker threads: each runs its own libev loop with its
 * own SO_REUSEPORT UDP socket and TCP listener per --sip address.  Work for
 * a given worker from another thread (arming a transaction's timer, starting
 * a connection's watchers) goes through its mailbox (mutex + ev_async).
 * Internal to daemon/sip and daemon/proxy/txn*.c.
 */
#ifndef XR_SIP_WORKER_H
#define XR_SIP_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "config.h"
#include "sip/transport.h"

/* A unit of work posted to a worker; embedded in the object it is about. */
struct sip_job {
	struct sip_job	*next;
	void		(*fn)(struct sip_job *job);
};

struct sip_worker {
	int		 id;
	struct ev_loop	*loop;
	pthread_t	 thread;
	bool		 started;
	ev_async	 wake;		/* mailbox doorbell and stop request */
	pthread_mutex_t	 mb_lock;
	struct sip_job	*mb_head, *mb_tail;
	bool		 stopping;
	int		 udp_fd[XR_MAX_ADDRS];	/* per cfg->sip[i], -1 if none */
	ev_io		 udp_io[XR_MAX_ADDRS];
	int		 tcp_fd[XR_MAX_ADDRS];	/* listeners */
	ev_io		 tcp_io[XR_MAX_ADDRS];
	void		*tp;			/* transport private state (rx buffers) */
	uint64_t	 udp_rx;		/* datagrams read (relaxed atomics) */
	uint64_t	 udp_tx;		/* datagrams sent from its sockets */
};

/* The worker this thread is, or NULL (main thread, ctl, tests). */
struct sip_worker *sip_worker_self(void);
/* Worker i (0 <= i < sip_nworkers()). */
struct sip_worker *sip_worker_get(int i);
int	sip_nworkers(void);
/*
 * Run job->fn(job) on w's thread, soon.  Any thread; never blocks for long.
 * The job memory must stay valid until fn runs (embed it, hold a reference).
 * Jobs still queued at sip_stop() are dropped without running.
 */
void	sip_worker_post(struct sip_worker *w, struct sip_job *job);

/*
 * After sip_worker_stop(): run the jobs still queued, on the calling thread
 * (sip_stop() uses it so nothing waits forever).  Bounded.
 */
void	sip_worker_drain(struct sip_worker *w);
/* True while sip_stop() tears down: objects are freed at once, not via RCU. */
extern bool sip_stopping;
/* The layer messages go up to (sip_tp_set_upper()); NULL: none. */
extern const struct sip_tp_upper *sip_upper;

/* Monotonic milliseconds (never 0). */
uint64_t sip_now_ms(void);

/*
 * The Call-ID balancer of the workers' UDP sockets (balance.c): start after
 * every worker's sockets are bound (0 or -errno: then the kernel's hash
 * spreads by address), stop before they close.
 */
int	sip_balance_start(struct sip_worker *ws, int nw);
void	sip_balance_stop(void);

/* Worker lifecycle (sip.c). */
int	sip_worker_start(struct sip_worker *w);
void	sip_worker_stop(struct sip_worker *w);

/* ---- transport internals (sip.c, transport_udp.c, transport_tcp.c) ---- */

struct sip_src;

/* The --sip addresses as bound (port 0 in the config resolved). */
extern union xr_sa	 sip_addrs[XR_MAX_ADDRS];
extern int		 sip_naddrs;
extern const struct xr_config *sip_cfg;

/* Per-worker receive state (buffers, parse scratch); 0 or -ENOMEM. */
int	tp_worker_init(struct sip_worker *w);
void	tp_worker_fini(struct sip_worker *w);
/* Open worker w's UDP socket / TCP listener for sip_addrs[i] and start watching it. */
int	tp_udp_open(struct sip_worker *w, int i);
int	tp_tcp_listen(struct sip_worker *w, int i);
/* A nonblocking socket of type bound to sa (SO_REUSEADDR/PORT, v6only); fd or -errno. */
int	tp_bind_socket(const union xr_sa *sa, int type);
/* The TCP connection table (shared by all workers). */
int	tp_tcp_init(void);
void	tp_tcp_shutdown(void);
int	tp_udp_send(const struct sip_dest *d, const void *buf, size_t len);
/* TCP send; d->conn_id is set to the connection used (found or opened). */
int	tp_tcp_send(struct sip_dest *d, const void *buf, size_t len);
/* sip_tp_send() that records in d->conn_id the TCP connection it used. */
int	sip_tp_send_track(struct sip_dest *d, const void *buf, size_t len);
/*
 * One framed message from the network: parse it, answer what cannot be
 * processed (400/505/513), fill received/rport and hand it to txn_input().
 * reply is how to answer when unparsable (UDP: to the source; TCP: the
 * connection).  Returns false when the stream must be closed (TCP).
 */
bool	tp_input(struct sip_worker *w, const char *buf, size_t len, struct sip_src *src);
/* Counters (relaxed atomics), see struct sip_tp_stats. */
extern struct sip_tp_stats tp_stats;
#define TP_INC(f)	__atomic_fetch_add(&tp_stats.f, 1, __ATOMIC_RELAXED)
#define TP_DEC(f)	__atomic_fetch_sub(&tp_stats.f, 1, __ATOMIC_RELAXED)

#endif /* XR_SIP_WORKER_H */
