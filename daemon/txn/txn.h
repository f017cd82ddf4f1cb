/* SPDX-License-Identifier: GPL-2.0 */
/*
 * txn.h - RFC 3261 §17 transactions for a stateful proxy (§16): the four state
 * machines (INVITE/non-INVITE x client/server, with RFC 6026 "Accepted"), their
 * timers, matching (§17.1.3, §17.2.3 incl. the RFC 2543 fallback), and the
 * interface to the transaction user (TU: proxy core, registrar).
 *
 * Threading: the transaction table is shared by every SIP worker (liburcu
 * cds_lfht); a transaction has its own mutex; its timers run on the loop of
 * the worker that created it.  TU callbacks are called WITHOUT any
 * transaction lock held, on whichever worker received the message or fired
 * the timer, so the TU may call back into this API from inside a callback.
 * Every call below is thread-safe.
 *
 * Lifetime: a struct txn * handed to the TU stays valid until its gone()
 * callback has returned; txn_ref()/txn_unref() keep it longer (calls on a
 * terminated transaction then return -ESRCH).  gone() comes after every
 * other callback for that transaction has returned, on the worker that owns
 * it, never from inside a call the TU made into this API.  Two callbacks
 * for one transaction may run at once on two workers (a 180 and a 200
 * arriving together): the TU keeps its own per-call lock and must accept a
 * provisional after a final.
 *
 * Threads: call this API from SIP workers or other RCU-registered threads.
 */
#ifndef XR_TXN_H
#define XR_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/transport.h"

struct sip_msg;
struct txn;

/* Why a transaction ended or failed. */
enum txn_reason {
	TXN_DONE = 0,		/* normal end */
	TXN_TIMEOUT,		/* Timer B/F (client) or H (server: no ACK) */
	TXN_TRANSPORT,		/* the transport could not send (§17.1.4, §17.2.4) */
	TXN_TIMER_C,		/* proxy Timer C (§16.8) */
	TXN_KILLED,		/* txn_kill() or shutdown */
};

/*
 * The transaction user.  Every pointer argument is valid only during the
 * call (copy what you keep); msg is the parsed message, src how it arrived.
 */
struct txn_tu_ops {
	/*
	 * A request that created a server transaction (not ACK).  For a
	 * CANCEL, inv is the INVITE server transaction it cancels (§9.2), or
	 * NULL when none matches (the TU then answers 481 or forwards
	 * statelessly); the CANCEL itself is st and must get its own final
	 * response (200).  Send 100 Trying for INVITE yourself (§16.2 / §16.7).
	 */
	void	(*request)(struct txn *st, struct txn *inv, const struct sip_msg *msg,
			   const struct sip_src *src);
	/*
	 * An ACK no transaction absorbed: the ACK for a 2xx (not part of any
	 * transaction, §17.1.1.3 / RFC 6026), or a stray one.  Forward it
	 * statelessly with txn_send_stateless() if it is for us to route.
	 */
	void	(*ack)(const struct sip_msg *msg, const struct sip_src *src);
	/*
	 * A response on client transaction ct (ctx = what txn_client_new got).
	 * Called for every provisional except 100 (absorbed: §16.7 step 2), for
	 * the first final, and for every 2xx of an INVITE (retransmissions and
	 * other forks' 2xx included: the TU forwards them, RFC 6026).
	 */
	void	(*response)(struct txn *ct, void *ctx, const struct sip_msg *msg,
			    const struct sip_src *src);
	/*
	 * Client transaction ct failed with no final response: code 408 for
	 * TXN_TIMEOUT and TXN_TIMER_C, 503 for TXN_TRANSPORT (§16.7 step 2,
	 * §16.8, §17.1.4).  Called at most once, never after a final response
	 * reached the TU (except a 2xx may still arrive after Timer C).
	 */
	void	(*failure)(struct txn *ct, void *ctx, int code, enum txn_reason why);
	/*
	 * A response no client transaction matches (§16.7, §17.1.3): the TU
	 * forwards it statelessly (2xx retransmissions) or drops it.
	 */
	void	(*stray_response)(const struct sip_msg *msg, const struct sip_src *src);
	/*
	 * Transaction t (client or server) is terminated and leaves the
	 * table.  why is TXN_TIMEOUT for a server INVITE whose Timer H fired
	 * (no ACK), TXN_TRANSPORT when a response could not be sent.  Drop
	 * every pointer to t before returning.  May be NULL.
	 */
	void	(*gone)(struct txn *t, void *ctx, enum txn_reason why);
	/*
	 * Admission: a request (not ACK, not a retransmission) is about to get
	 * a server transaction.  false: it gets none, nothing is kept, and the
	 * TU has answered it statelessly (txn_respond_stateless(), e.g. 503
	 * when --max-transactions are live) or dropped it.  May be NULL.
	 */
	bool	(*admit)(const struct sip_msg *msg, const struct sip_src *src);
};

/* Register the TU (once, before sip_start()).  ops must outlive the workers. */
void	txn_set_tu(const struct txn_tu_ops *ops);

/* Timer base values in ms (RFC 3261 Table 4); defaults T1 500, T2 4000, T4 5000, C 180000. */
struct txn_timer_cfg {
	uint32_t	t1, t2, t4;	/* RTT estimate, max non-INVITE/response interval, max lifetime */
	uint32_t	timer_c;	/* proxy INVITE timer (§16.6 step 11: > 3 min) */
};
void	txn_set_timers(const struct txn_timer_cfg *tc);
/*
 * Make room for n transactions now (objpool.h xr_objpool_reserve): their
 * memory mapped and touched at start, not by the first burst, for n full
 * records and n compact ones (txn_compact.c).  0 or -errno.
 */
int	txn_reserve(size_t n);
/*
 * Records the pools' memory holds now (xr_objpool_slots): full ones plus
 * compact ones (txn_reserve(n) makes room for n of each).
 */
size_t	txn_slots(void);
/* Bytes a transaction record takes (without the request and response it keeps). */
size_t	txn_record_bytes(void);

/* --- server side ---------------------------------------------------------- */

/* The TU's pointer for a transaction (server or client). */
void	txn_set_ctx(struct txn *t, void *ctx);
void	*txn_get_ctx(struct txn *t);
/*
 * The request that created server transaction st (valid while st lives),
 * with received/rport already on its top Via (RFC 3581 §4) when the
 * transport found them needed; parsed on first use.
 */
const struct sip_msg *txn_request(struct txn *st);
/* How it arrived. */
const struct sip_src *txn_source(struct txn *st);
bool	txn_is_invite(const struct txn *t);

/*
 * Send a response on server transaction st: buf/len is the whole response
 * (built with sip/build.h), code its status.  The transaction copies it (to
 * resend on request retransmissions), routes it per §18.2.2 from the
 * request's top Via and the connection it came on, and moves its state:
 * 1xx -> Proceeding, 2xx of an INVITE -> Accepted (RFC 6026; further 2xx
 * may be sent), other finals -> Completed.  0, or -errno: -EINVAL (a final
 * already sent and this is not an INVITE 2xx), -ESRCH (terminated), or the
 * transport's error (the TU is also told through gone(TXN_TRANSPORT)).
 */
int	txn_respond(struct txn *st, int code, const void *buf, size_t len);
/*
 * Build and send a response with no body from the stored request (Via,
 * From, To (+ our To tag for code > 100 when absent), Call-ID, CSeq copied;
 * §8.2.6), e.g. 100 Trying, 408, 487, 503.  reason NULL: the default phrase.
 */
int	txn_reply(struct txn *st, int code, const char *reason);

/*
 * Send response buf/len to request req (which got no transaction, see
 * admit()) from src, routed as a server transaction's would be (§18.2.2,
 * RFC 3581).  Nothing is kept: a retransmitted request is answered again.
 * 0 or -errno.
 */
int	txn_respond_stateless(const struct sip_msg *req, const struct sip_src *src,
			      const void *buf, size_t len);

/* --- client side ---------------------------------------------------------- */

/* "z9hG4bK" + unique token; buf needs TXN_BRANCH_MAX bytes.  Returns the length. */
#define TXN_BRANCH_MAX	64
size_t	txn_branch_new(char *buf, size_t len);

/*
 * Start a client transaction: send request buf/len (complete, with our
 * Via on top carrying branch, built by the TU after sip_tp_pick() told it
 * the local address) to d, and run its state machine (Timer A/B/D or E/F/K,
 * and Timer C for INVITE).  ctx is given back in response()/failure()/gone().
 * Returns the transaction, or NULL with errno set (ENOMEM, EINVAL: no
 * method/CSeq in buf, or a send error: the transaction is then not created
 * and no callback is made).  Callbacks for it may run on other workers
 * before this returns (identify it by ctx).  Called on a SIP worker, the
 * transaction belongs to that worker and gone() cannot come before the
 * caller returns to its loop; from another thread it may, so keep
 * nothing but ctx there.
 */
struct txn *txn_client_new(const struct sip_dest *d, const char *branch,
			   const void *buf, size_t len, void *ctx);
/*
 * CANCEL the INVITE client transaction ct (§9.1, §16.10): builds the CANCEL
 * from the INVITE (same Request-URI, top Via, Call-ID, From, To, CSeq number,
 * Route) and sends it on a non-INVITE client transaction of its own, whose
 * responses the TU never sees.  If no provisional response arrived yet the
 * CANCEL waits for one (and is dropped if a final comes first).  The INVITE
 * transaction then normally gets a 487, given to the TU as usual.
 * 0, -EALREADY (already cancelled or final), -ESRCH, -EINVAL (not an INVITE).
 */
int	txn_client_cancel(struct txn *ct);

/*
 * Send a message outside any transaction: the ACK for a 2xx and 2xx
 * retransmissions a proxy forwards (§16.7 step 10, RFC 6026).  Thread-safe.
 */
int	txn_send_stateless(const struct sip_dest *d, const void *buf, size_t len);
/*
 * Forward a response statelessly by its (new) top Via, §18.2.2: buf/len is the
 * response after the proxy removed its own Via.  0 or -errno.
 */
int	txn_forward_response(const void *buf, size_t len);

/* --- both ------------------------------------------------------------------ */

void	txn_ref(struct txn *t);
void	txn_unref(struct txn *t);
/* Terminate t now from any thread (no callbacks but gone(TXN_KILLED)). */
void	txn_kill(struct txn *t);

/* Number of live transactions (tests, xrelayctl stats); compact records included. */
unsigned long txn_count(void);
/*
 * Of those, the ones that only wait out their last timer (Timer J, K or D
 * over UDP) and are kept as a compact record (txn_compact.c).
 */
unsigned long txn_compact_count(void);
/* Bytes a compact record takes (without the response or ACK it keeps). */
size_t	txn_compact_bytes(void);

#endif /* XR_TXN_H */
