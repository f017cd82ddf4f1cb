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

/* Monotonic milliseconds (never 0). */
uint64_t sip_now_ms(void);

/* Worker lifecycle (sip.c). */
int	sip_worker_start(struct sip_worker *w);
void	sip_worker_stop(struct sip_worker *w);

#endif /* XR_SIP_WORKER_H */
