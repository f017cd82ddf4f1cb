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
	uint8_t			 compact;	/* 0 here; 1 in struct txn_compact */
	pthread_mutex_t		 lock;
	struct sip_worker	*owner;		/* its timer runs on this loop */
	ev_timer		 timer;		/* owner thread only */
	uint64_t		 armed_due;	/* what timer is set for, 0 = stopped */
	struct sip_job		 job;		/* owner_sync() from other threads */
	bool			 job_queued;	/* under lock */
	bool			 compact_later;	/* under lock: on the owner's compact list */
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

/*
 * The compact record of a transaction that only waits out its last timer
 * (txn_compact.c), over UDP, with an RFC 3261 branch: NIST Completed (Timer
 * J), NICT Completed (K), ICT Completed (D) and Accepted (M), IST Accepted
 * (L) and Confirmed (I).  In those states all the machine still does is
 * absorb retransmissions: resend the final (NIST) or the ACK (ICT
 * Completed) to dest, pass a 2xx (ICT) or an ACK (IST Accepted) on to the
 * TU, or nothing; so the full record (struct txn, ~1 KB, and its TU
 * context) goes when the state is entered, and this one (256 bytes) takes
 * its place in the table (cds_lfht_replace: a retransmission never misses
 * both).  Its first five members are struct txn's, so a table node is told
 * by `compact`.  Immutable once in the table: readers use it under
 * rcu_read_lock() only; the owner's timer removes it and frees it after a
 * grace period.
 */
struct txn_compact {
	struct cds_lfht_node	 node;
	struct rcu_head		 rcu;
	unsigned long		 hash;
	atomic_int		 refs;		/* unused (layout of struct txn) */
	uint8_t			 compact;	/* 1 */
	uint8_t			 kind;		/* enum txn_kind */
	uint8_t			 state;		/* enum txn_state */
	uint8_t			 tp;		/* the key's */
	struct sip_worker	*owner;		/* its timer runs on this loop */
	ev_timer		 timer;
	struct sip_dest		 dest;		/* where resp goes */
	char			*resp;		/* NIST: the final; ICT Completed: the ACK */
	uint32_t		 resp_len;
	int32_t			 method;	/* the key's (enum sip_method) */
	int32_t			 port;		/* the key's sent-by port (server) */
	uint8_t			 mlen, blen, hlen; /* method, branch, host in kbuf */
	char			 kbuf[80];
};

/* What a message that matched a compact record leaves to the caller. */
enum txn_compact_out {
	TXC_DONE,	/* absorbed (or answered) */
	TXC_STRAY,	/* a 2xx to an INVITE client: the TU's stray_response() */
	TXC_ACK,	/* an ACK to an Accepted INVITE server: the TU's ack() */
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

/* txn_compact.c */
extern struct xr_objpool txn_compact_pool;
extern atomic_ulong txn_compact_n;
/*
 * On the owner thread, t->lock held, t not dead: if t waits only for its
 * last timer, put a compact record in its place in the table and mark t
 * dead (TXN_DONE; the caller then buries it as usual).  true when done.
 */
bool	txn_compact_locked(struct txn *t);
/*
 * A message matched compact record c (rcu_read_lock() held): do what the
 * state machine would (resend the final or the ACK), or say what the
 * caller does once out of the read-side section.
 */
enum txn_compact_out txn_compact_input(const struct txn_compact *c, const struct sip_msg *m);
bool	txn_compact_match(const struct cds_lfht_node *n, const struct txn_key *k);
/* Unlink and free (shutdown: no worker runs). */
void	txn_compact_drop(struct txn_compact *c);

/* txn_api.c */
struct txn *txn_server_new(const struct sip_msg *m, const struct sip_src *src,
			   const struct txn_key *k, struct txn **existing);
int	txn_start_cancel(struct txn *inv);

#endif /* XR_TXN_INT_H */
