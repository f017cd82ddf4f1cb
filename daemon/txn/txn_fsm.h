/* SPDX-License-Identifier: GPL-2.0 */
/*
 * txn_fsm.h - the four RFC 3261 §17 transaction state machines (plus RFC 6026
 * "Accepted") as pure functions: (state, event, now) -> (state', timers,
 * actions).  No sockets, no clock, no locks: txn.c runs them under the
 * transaction's mutex and performs the actions; tests drive them on a fake
 * clock.  Internal to daemon/txn (txn*.c and tests/unit/test_txn.c).
 */
#ifndef XR_TXN_FSM_H
#define XR_TXN_FSM_H

#include <stdbool.h>
#include <stdint.h>

#include "txn/txn.h"
#include "sip/str.h"

enum txn_kind {
	TXN_ICT,	/* INVITE client, §17.1.1 */
	TXN_NICT,	/* non-INVITE client, §17.1.2 */
	TXN_IST,	/* INVITE server, §17.2.1 */
	TXN_NIST,	/* non-INVITE server, §17.2.2 */
};

enum txn_state {
	TS_CALLING,	/* ICT: request sent, nothing back */
	TS_TRYING,	/* NICT: request sent / NIST: request received */
	TS_PROCEEDING,	/* provisional seen (client) or sent/INVITE received (server) */
	TS_COMPLETED,	/* non-2xx final seen (client) or sent (server) */
	TS_CONFIRMED,	/* IST: ACK received */
	TS_ACCEPTED,	/* INVITE 2xx seen or sent (RFC 6026 §7.1, §7.2) */
	TS_TERMINATED,
};

enum txn_timer {
	TM_A, TM_B, TM_C, TM_D,		/* ICT (C: proxy, §16.6 step 11) */
	TM_E, TM_F, TM_K,		/* NICT */
	TM_G, TM_H, TM_I,		/* IST */
	TM_J,				/* NIST */
	TM_L, TM_M,			/* RFC 6026: IST / ICT Accepted */
	TM_GUARD,			/* ours: a server transaction the TU never answers */
	TM__MAX,
};

enum txn_event {
	TE_START,	/* client: send the request now */
	TE_RX_RESP,	/* client: a response with status code */
	TE_RX_REQ,	/* server: a retransmission of the request */
	TE_RX_ACK,	/* IST: the ACK (matched this transaction) */
	TE_TU_RESP,	/* server: the TU sends a response with status code */
	TE_TIMER,	/* check timers against now */
	TE_TP_ERR,	/* the transport failed to send */
	TE_CANCEL,	/* ICT: the TU wants to CANCEL */
};

/* Actions (a bit set) for the caller to perform, in this order. */
#define TA_SEND_REQ	0x001	/* (re)send the request */
#define TA_SEND_RESP	0x002	/* send the response just given / resend the last one */
#define TA_SEND_ACK	0x004	/* ICT: send (or resend) the ACK for the non-2xx final */
#define TA_SEND_CANCEL	0x008	/* ICT: build and send the CANCEL now */
#define TA_TU_RESP	0x010	/* client: pass the response to the TU */
#define TA_TU_FAIL	0x020	/* client: TU failure(act.code, act.why) */
#define TA_TU_ACK	0x040	/* IST Accepted: pass the ACK to the TU */
#define TA_TERMINATE	0x080	/* the transaction is over: gone(act.why) */

struct txn_act {
	unsigned		flags;	/* TA_* */
	int			code;	/* for TA_TU_FAIL: 408 or 503 */
	enum txn_reason		why;	/* for TA_TU_FAIL and TA_TERMINATE */
};

struct txn_fsm {
	uint8_t			kind;		/* enum txn_kind */
	uint8_t			state;		/* enum txn_state */
	bool			reliable;	/* TCP: no retransmissions, zero I/J/K/D */
	bool			got_prov;	/* ICT: a provisional arrived: CANCEL allowed */
	bool			cancel_pending;	/* ICT: CANCEL waits for a provisional */
	bool			cancelled;	/* ICT: CANCEL sent */
	bool			tu_final;	/* client: TU got a final or a failure */
	bool			resp_sent;	/* server: a response exists to resend */
	int			last_code;	/* last status received (client) / sent (server) */
	uint32_t		interval;	/* current A/E/G interval, ms */
	uint64_t		due[TM__MAX];	/* absolute ms; 0 = not running */
	struct txn_timer_cfg	tc;		/* T1, T2, T4, C in ms */
};

/* Default timer values (RFC 3261 Table 4, §16.6 step 11). */
extern const struct txn_timer_cfg txn_timer_defaults;

/*
 * Set up f in its initial state (ICT Calling, NICT Trying, IST Proceeding,
 * NIST Trying) with no timers running.  Clients then get TE_START.
 */
void		txn_fsm_init(struct txn_fsm *f, enum txn_kind kind, bool reliable,
			     const struct txn_timer_cfg *tc);
/*
 * Run one event at time now (ms, any monotonic origin but not 0).  code is
 * the status for TE_RX_RESP / TE_TU_RESP.  Fills *act; returns 0, or
 * -EINVAL for an event the state does not allow (a second final from the
 * TU, a response to a server...), -EALREADY for a CANCEL that is too late
 * or repeated.  With TE_TIMER every timer due at or before now fires, in
 * order of expiry.
 */
int		txn_fsm_event(struct txn_fsm *f, enum txn_event ev, int code, uint64_t now,
			      struct txn_act *act);
/*
 * Server transactions: arm the guard that ends a transaction whose TU never
 * sends a final response (OUR addition, not in RFC 3261: a TU bug or a lost
 * request must not hold memory forever).  NIST: 2 * 64*T1; IST: Timer C +
 * 2 * 64*T1, past the time a proxy answers at the latest (§16.8).  The
 * guard stops at the first final response; firing it terminates with
 * TXN_TIMEOUT.
 */
void		txn_fsm_server_start(struct txn_fsm *f, uint64_t now);
/* The earliest running timer's expiry (absolute ms), or 0 when none runs. */
uint64_t	txn_fsm_next(const struct txn_fsm *f);

/* ---- matching (txn_table.c) ------------------------------------------ */

struct sip_msg;

/*
 * What identifies a transaction.  Slices point into a message buffer (the
 * received one for a lookup, the transaction's own copy when stored).
 */
struct txn_key {
	bool		 server;	/* server or client transaction */
	bool		 rfc3261;	/* branch starts with z9hG4bK and has more (§8.1.1.7) */
	bool		 is_ack;	/* the message is an ACK (method below is INVITE) */
	uint8_t		 tp;		/* server: enum sip_tp it came over (ours, below) */
	int		 method;	/* enum sip_method; ACK mapped to INVITE */
	struct sip_str	 method_str;	/* the method as written (unknown methods) */
	struct sip_str	 branch;	/* top Via branch */
	struct sip_str	 host;		/* top Via sent-by host */
	int		 port;		/* top Via sent-by port, 0 when absent */
	/* RFC 2543 fallback (§17.2.3) */
	struct sip_str	 ruri;
	struct sip_str	 to_tag, from_tag, call_id;
	uint32_t	 cseq;
	struct sip_str	 via;		/* the whole top via-parm */
};

/*
 * Key of a request (server side, server = true) or of a response (client
 * side, server = false: branch + CSeq method, §17.1.3).  0, or -EINVAL when
 * the message has no Via (or, for a response, no branch).
 */
int		txn_key_from_msg(struct txn_key *k, const struct sip_msg *m, bool server);
/* Hash of a key; the method does not enter it (CANCEL finds its INVITE). */
unsigned long	txn_key_hash(const struct txn_key *k);
/*
 * Does message key in match the transaction whose key is t (§17.1.3,
 * §17.2.3)?  OUR addition for servers: the transport must match too (the
 * caller sets tp): a request over UDP is never a retransmission of one
 * that came over TCP, even with the same branch (RFC 4475 reuses them).  resp_to_tag is the To tag of the final response the server
 * transaction sent (an RFC 2543 ACK must carry it), absent if none.
 */
bool		txn_key_match(const struct txn_key *t, struct sip_str resp_to_tag,
			      const struct txn_key *in);
/* Does the branch carry the RFC 3261 magic cookie (and something after it)? */
bool		txn_branch_is_3261(struct sip_str branch);

const char	*txn_state_name(enum txn_state s);
const char	*txn_timer_name(enum txn_timer t);

#endif /* XR_TXN_FSM_H */
