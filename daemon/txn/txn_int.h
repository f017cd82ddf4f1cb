/* SPDX-License-Identifier: GPL-2.0 */
/*
 * txn_int.h - what txn.c (the table, references, timers, running the state
 * machines, input from the transports) and txn_api.c (creating server and
 * client transactions, the server side's responses, stateless sends) share
 * inside daemon/txn; nothing else includes it (txn.h is the API).
 */
#ifndef XR_TXN_INT_H
#define XR_TXN_INT_H

#include <ev.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <urcu.h>
#include <urcu/rculfhash.h>

#include "common/log.h"
#include "common/objpool.h"
#include "sip/msg.h"
#include "sip/worker.h"
#include "txn/txn.h"
#include "txn/txn_fsm.h"

#define tx_debug(...)	slog(LS_TX, LL_DEBUG, __VA_ARGS__)
#define TXN_BUILD_MAX	8192	/* our own CANCEL, ACK and simple responses */

struct txn {
	struct cds_lfht_node	 node;
	struct rcu_head		 rcu;
	unsigned long		 hash;
	atomic_int		 refs;
	pthread_mutex_t		 lock;
	struct sip_worker	*owner;		/* its timer runs on this loop */
	ev_timer		 timer;		/* owner thread only */
	uint64_t		 armed_due;	/* what timer is set for, 0 = stopped */
	struct sip_job		 job;		/* owner_sync() from other threads */
	bool			 job_queued;	/* under lock */
	bool			 in_table;	/* under lock */
	bool			 dead;		/* terminated (under lock) */
	bool			 owner_done;	/* the owner processed the death */
	int			 cb_busy;	/* TU callbacks running (gone() waits) */
	bool			 internal;	/* a CANCEL we generated: no TU */
	bool			 server;
	enum txn_reason		 why;		/* why it died */
	struct txn_fsm		 fsm;
	struct txn_key		 key;		/* slices into req (or branch) */
	void			*ctx;
	struct sip_src		 src;		/* server: how the request came */
	struct sip_dest		 dest;		/* client: next hop; server: where responses go */
	int			 dest_err;	/* server: -errno when no response route */
	struct sip_msg		*req_msg;	/* lazily parsed copy of req (server) */
	char			*resp;		/* server: last response; ICT: the ACK */
	size_t			 resp_len, resp_cap;
	char			 resp_to_tag[64]; /* server: To tag of the final sent */
	char			 to_tag[24];	/* server: our tag for txn_reply() */
	char			 branch[TXN_BRANCH_MAX]; /* client: our branch */
	bool			 key_in_req;	/* key slices point into req: keep it */
	char			 kbuf[96];	/* key strings, so req can go early */
	size_t			 req_len;
	char			*req;		/* the request (NULL once not needed) */
};

/* Every action that calls the TU. */
#define TA_TU_ANY	(TA_TU_RESP | TA_TU_FAIL | TA_TU_ACK)

/* txn.c's state (see there). */
extern const struct txn_tu_ops *txn_tu;
extern struct txn_timer_cfg txn_tcfg;
extern struct cds_lfht *txn_ht;
extern atomic_ulong txn_n;
extern atomic_ulong txn_seq;
extern uint64_t txn_seed;
extern struct xr_objpool txn_pool;
extern __thread struct sip_msg txn_tls_msg;
extern __thread struct txn *txn_cur_st;
extern __thread const struct sip_msg *txn_cur_msg;

/* txn.c */
void	txn_free(struct txn *t);
struct txn *txn_insert(struct txn *t);
void	txn_mark_dead_locked(struct txn *t, enum txn_reason why);
void	txn_owner_job(struct sip_job *job);
void	txn_sync_owner(struct txn *t, bool may_callback);
void	txn_do_sends_locked(struct txn *t, struct txn_act *a, const struct sip_msg *msg,
			    uint64_t now);
void	txn_after_event(struct txn *t, const struct txn_act *a, const struct sip_msg *msg,
			const struct sip_src *src, bool may_callback);
void	txn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);

/* txn_api.c */
struct txn *txn_server_new(const struct sip_msg *m, const struct sip_src *src,
			   const struct txn_key *k, struct txn **existing);
int	txn_start_cancel(struct txn *inv);

#endif /* XR_TXN_INT_H */
