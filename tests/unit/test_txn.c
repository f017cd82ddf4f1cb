// SPDX-License-Identifier: GPL-2.0
/*
 * test_txn.c - the RFC 3261 §17 state machines (daemon/proxy/txn_fsm.c) on a
 * fake clock, and transaction matching (txn_table.c) on parsed messages:
 * every timer value and retransmission schedule over UDP, zero-length timers
 * over TCP, Timer B/F/H/C outcomes, RFC 6026 Accepted, CANCEL rules, the
 * RFC 2543 fallback and RFC 4475 §3.2.1 "badbranch".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "txn/txn_fsm.h"
#include "sip/msg.h"

#define T0	1000000ull	/* the fake clock starts here (ms) */

static const struct txn_timer_cfg tc = { .t1 = 500, .t2 = 4000, .t4 = 5000, .timer_c = 180000 };

struct fire {
	uint64_t	at;
	unsigned	flags;
	int		code;
	enum txn_reason	why;
};

/*
 * Advance the fake clock from timer to timer until the machine terminates or
 * nothing runs, recording each firing.  Returns the number of firings.
 */
static int
run_timers(struct txn_fsm *f, struct fire *out, int max, uint64_t until)
{
	int n = 0;

	while (n < max && f->state != TS_TERMINATED) {
		uint64_t next = txn_fsm_next(f);
		struct txn_act a;

		if (!next || next > until)
			break;
		assert_int_equal(txn_fsm_event(f, TE_TIMER, 0, next, &a), 0);
		out[n].at = next;
		out[n].flags = a.flags;
		out[n].code = a.code;
		out[n].why = a.why;
		n++;
	}
	return n;
}

static struct txn_act
ev(struct txn_fsm *f, enum txn_event e, int code, uint64_t now)
{
	struct txn_act a;

	assert_int_equal(txn_fsm_event(f, e, code, now, &a), 0);
	return a;
}

/* ---- INVITE client ------------------------------------------------------- */

/* §17.1.1.2: A = T1, doubling without cap, until B = 64*T1 gives the TU a 408. */
static void
ict_udp_timeout(void **state)
{
	static const uint64_t want[] = { 500, 1500, 3500, 7500, 15500, 31500 };
	struct txn_fsm f;
	struct fire fr[32];
	struct txn_act a;
	int n;

	(void)state;
	txn_fsm_init(&f, TXN_ICT, false, &tc);
	assert_int_equal(f.state, TS_CALLING);
	a = ev(&f, TE_START, 0, T0);
	assert_int_equal(a.flags, TA_SEND_REQ);
	assert_int_equal(f.due[TM_A], T0 + 500);
	assert_int_equal(f.due[TM_B], T0 + 32000);
	assert_int_equal(f.due[TM_C], T0 + 180000);
	n = run_timers(&f, fr, 32, UINT64_MAX);
	assert_int_equal(n, 7);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(fr[i].at, T0 + want[i]);
		assert_int_equal(fr[i].flags, TA_SEND_REQ);
	}
	assert_int_equal(fr[6].at, T0 + 32000);
	assert_int_equal(fr[6].flags, TA_TU_FAIL | TA_TERMINATE);
	assert_int_equal(fr[6].code, 408);
	assert_int_equal(fr[6].why, TXN_TIMEOUT);
	assert_int_equal(f.state, TS_TERMINATED);
	assert_int_equal(txn_fsm_next(&f), 0);
}

/* Over TCP: no Timer A at all; B still ends it. */
static void
ict_tcp_timeout(void **state)
{
	struct txn_fsm f;
	struct fire fr[8];

	(void)state;
	txn_fsm_init(&f, TXN_ICT, true, &tc);
	ev(&f, TE_START, 0, T0);
	assert_int_equal(f.due[TM_A], 0);
	assert_int_equal(run_timers(&f, fr, 8, UINT64_MAX), 1);
	assert_int_equal(fr[0].at, T0 + 32000);
	assert_int_equal(fr[0].code, 408);
}

/* 100 absorbed; 180 to the TU, stops A/B, resets C; 486: ACK, D = 32 s. */
static void
ict_proceeding_completed(void **state)
{
	struct txn_fsm f;
	struct txn_act a;
	struct fire fr[8];

	(void)state;
	txn_fsm_init(&f, TXN_ICT, false, &tc);
	ev(&f, TE_START, 0, T0);
	a = ev(&f, TE_RX_RESP, 100, T0 + 100);
	assert_int_equal(a.flags, 0);		/* 100 never reaches the TU */
	assert_int_equal(f.state, TS_PROCEEDING);
	assert_int_equal(f.due[TM_A], 0);
	assert_int_equal(f.due[TM_B], 0);
	assert_int_equal(f.due[TM_C], T0 + 180000);	/* 100 does not reset C */
	a = ev(&f, TE_RX_RESP, 180, T0 + 5000);
	assert_int_equal(a.flags, TA_TU_RESP);
	assert_int_equal(f.due[TM_C], T0 + 5000 + 180000);
	a = ev(&f, TE_RX_RESP, 486, T0 + 6000);
	assert_int_equal(a.flags, TA_SEND_ACK | TA_TU_RESP);
	assert_int_equal(f.state, TS_COMPLETED);
	assert_int_equal(f.due[TM_C], 0);
	assert_int_equal(f.due[TM_D], T0 + 6000 + 32000);
	/* a retransmitted final is ACKed again and absorbed */
	a = ev(&f, TE_RX_RESP, 486, T0 + 7000);
	assert_int_equal(a.flags, TA_SEND_ACK);
	assert_int_equal(run_timers(&f, fr, 8, UINT64_MAX), 1);
	assert_int_equal(fr[0].at, T0 + 38000);
	assert_int_equal(fr[0].flags, TA_TERMINATE);
	assert_int_equal(fr[0].why, TXN_DONE);
}

/* TCP: Timer D is zero: the non-2xx final ends it at once (after the ACK). */
static void
ict_tcp_final(void **state)
{
	struct txn_fsm f;
	struct txn_act a;

	(void)state;
	txn_fsm_init(&f, TXN_ICT, true, &tc);
	ev(&f, TE_START, 0, T0);
	a = ev(&f, TE_RX_RESP, 404, T0 + 10);
	assert_int_equal(a.flags, TA_SEND_ACK | TA_TU_RESP | TA_TERMINATE);
	assert_int_equal(f.state, TS_TERMINATED);
}

/* RFC 6026 §7.2: 2xx -> Accepted, every further 2xx to the TU, M = 64*T1. */
static void
ict_accepted(void **state)
{
	struct txn_fsm f;
	struct txn_act a;
	struct fire fr[4];

	(void)state;
	txn_fsm_init(&f, TXN_ICT, false, &tc);
	ev(&f, TE_START, 0, T0);
	a = ev(&f, TE_RX_RESP, 200, T0 + 300);
	assert_int_equal(a.flags, TA_TU_RESP);
	assert_int_equal(f.state, TS_ACCEPTED);
	assert_int_equal(f.due[TM_A], 0);
	assert_int_equal(f.due[TM_M], T0 + 300 + 32000);
	a = ev(&f, TE_RX_RESP, 200, T0 + 800);
	assert_int_equal(a.flags, TA_TU_RESP);	/* retransmission or another fork */
	a = ev(&f, TE_RX_RESP, 180, T0 + 900);
	assert_int_equal(a.flags, 0);
	assert_int_equal(run_timers(&f, fr, 4, UINT64_MAX), 1);
	assert_int_equal(fr[0].at, T0 + 32300);
	assert_int_equal(fr[0].flags, TA_TERMINATE);
}

/* §16.8: C after a provisional: CANCEL + 408 to the TU, then the 487 is absorbed. */
static void
ict_timer_c(void **state)
{
	struct txn_fsm f;
	struct txn_act a;
	struct fire fr[4];

	(void)state;
	txn_fsm_init(&f, TXN_ICT, false, &tc);
	ev(&f, TE_START, 0, T0);
	ev(&f, TE_RX_RESP, 180, T0 + 200);
	assert_int_equal(run_timers(&f, fr, 1, UINT64_MAX), 1);
	assert_int_equal(fr[0].at, T0 + 200 + 180000);
	assert_int_equal(fr[0].flags, TA_SEND_CANCEL | TA_TU_FAIL);
	assert_int_equal(fr[0].code, 408);
	assert_int_equal(fr[0].why, TXN_TIMER_C);
	assert_true(f.cancelled);
	/* the 487 that answers the CANCEL: ACKed, not given to the TU again */
	a = ev(&f, TE_RX_RESP, 487, T0 + 181000);
	assert_int_equal(a.flags, TA_SEND_ACK);
	assert_int_equal(f.state, TS_COMPLETED);
}

/* C with no provisional at all: "as if a 408 arrived" (C shorter than B here). */
static void
ict_timer_c_no_provisional(void **state)
{
	struct txn_timer_cfg shortc = tc;
	struct txn_fsm f;
	struct fire fr[32];
	int n;

	(void)state;
	shortc.timer_c = 10000;
	txn_fsm_init(&f, TXN_ICT, false, &shortc);
	ev(&f, TE_START, 0, T0);
	n = run_timers(&f, fr, 32, UINT64_MAX);
	assert_int_equal(n, 5);		/* A at 0.5, 1.5, 3.5, 7.5 s, then C */
	assert_int_equal(fr[4].at, T0 + 10000);
	assert_int_equal(fr[4].flags, TA_TU_FAIL | TA_TERMINATE);
	assert_int_equal(fr[4].code, 408);
	assert_int_equal(fr[4].why, TXN_TIMER_C);
}

/* C after the CANCEL went out and no final comes: give up 64*T1 later. */
static void
ict_timer_c_no_487(void **state)
{
	struct txn_fsm f;
	struct fire fr[4];

	(void)state;
	txn_fsm_init(&f, TXN_ICT, true, &tc);
	ev(&f, TE_START, 0, T0);
	ev(&f, TE_RX_RESP, 183, T0 + 10);
	assert_int_equal(run_timers(&f, fr, 4, UINT64_MAX), 2);
	assert_int_equal(fr[1].at, T0 + 10 + 180000 + 32000);
	assert_int_equal(fr[1].flags, TA_TERMINATE);
	assert_int_equal(f.state, TS_TERMINATED);
}

/*
 * §9.1: a CANCEL the TU sent and no final for the INVITE: the branch is
 * given up 64*T1 after the CANCEL, not when Timer C (180 s) would fire.
 */
static void
ict_cancel_no_final(void **state)
{
	struct txn_fsm f;
	struct txn_act a;
	struct fire fr[4];

	(void)state;
	txn_fsm_init(&f, TXN_ICT, false, &tc);
	ev(&f, TE_START, 0, T0);
	ev(&f, TE_RX_RESP, 180, T0 + 5);
	a = ev(&f, TE_CANCEL, 0, T0 + 10);
	assert_int_equal(a.flags, TA_SEND_CANCEL);
	assert_int_equal(f.due[TM_C], T0 + 10 + 32000);
	assert_int_equal(run_timers(&f, fr, 4, UINT64_MAX), 1);
	assert_int_equal(fr[0].at, T0 + 10 + 32000);
	assert_int_equal(fr[0].flags, TA_TERMINATE);
	assert_int_equal(f.state, TS_TERMINATED);

	/* a CANCEL pending until the 100: the bound starts when it goes out */
	txn_fsm_init(&f, TXN_ICT, false, &tc);
	ev(&f, TE_START, 0, T0);
	ev(&f, TE_CANCEL, 0, T0 + 1);
	a = ev(&f, TE_RX_RESP, 100, T0 + 20);
	assert_int_equal(a.flags, TA_SEND_CANCEL);
	assert_int_equal(f.due[TM_C], T0 + 20 + 32000);
}

/* §9.1: CANCEL waits for a provisional; too late after a final. */
static void
ict_cancel_rules(void **state)
{
	struct txn_fsm f;
	struct txn_act a;

	(void)state;
	txn_fsm_init(&f, TXN_ICT, false, &tc);
	ev(&f, TE_START, 0, T0);
	a = ev(&f, TE_CANCEL, 0, T0 + 10);
	assert_int_equal(a.flags, 0);		/* pending */
	assert_true(f.cancel_pending);
	assert_int_equal(txn_fsm_event(&f, TE_CANCEL, 0, T0 + 11, &a), -EALREADY);
	a = ev(&f, TE_RX_RESP, 100, T0 + 20);
	assert_int_equal(a.flags, TA_SEND_CANCEL);
	assert_true(f.cancelled);
	a = ev(&f, TE_RX_RESP, 487, T0 + 30);
	assert_int_equal(a.flags, TA_SEND_ACK | TA_TU_RESP);

	txn_fsm_init(&f, TXN_ICT, false, &tc);
	ev(&f, TE_START, 0, T0);
	ev(&f, TE_RX_RESP, 180, T0 + 5);
	a = ev(&f, TE_CANCEL, 0, T0 + 10);
	assert_int_equal(a.flags, TA_SEND_CANCEL);

	/* after a final: too late */
	txn_fsm_init(&f, TXN_ICT, false, &tc);
	ev(&f, TE_START, 0, T0);
	ev(&f, TE_RX_RESP, 180, T0 + 5);
	ev(&f, TE_RX_RESP, 603, T0 + 6);
	assert_int_equal(txn_fsm_event(&f, TE_CANCEL, 0, T0 + 10, &a), -EALREADY);

	/* pending CANCEL dropped when a final comes first */
	txn_fsm_init(&f, TXN_ICT, false, &tc);
	ev(&f, TE_START, 0, T0);
	ev(&f, TE_CANCEL, 0, T0 + 1);
	a = ev(&f, TE_RX_RESP, 200, T0 + 2);
	assert_int_equal(a.flags, TA_TU_RESP);
	assert_false(f.cancel_pending);
}

/* §17.1.4: a transport error is a 503 for the TU. */
static void
ict_transport_error(void **state)
{
	struct txn_fsm f;
	struct txn_act a;

	(void)state;
	txn_fsm_init(&f, TXN_ICT, false, &tc);
	ev(&f, TE_START, 0, T0);
	a = ev(&f, TE_TP_ERR, 0, T0 + 500);
	assert_int_equal(a.flags, TA_TU_FAIL | TA_TERMINATE);
	assert_int_equal(a.code, 503);
	assert_int_equal(a.why, TXN_TRANSPORT);
	assert_int_equal(txn_fsm_event(&f, TE_RX_RESP, 200, T0 + 600, &a), -ESRCH);
}

/* ---- non-INVITE client --------------------------------------------------- */

/* §17.1.2.2: E = T1 doubling, capped at T2; F = 64*T1 gives a 408. */
static void
nict_udp_timeout(void **state)
{
	static const uint64_t want[] = {
		500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
	};
	struct txn_fsm f;
	struct fire fr[32];
	int n;

	(void)state;
	txn_fsm_init(&f, TXN_NICT, false, &tc);
	assert_int_equal(f.state, TS_TRYING);
	assert_int_equal(ev(&f, TE_START, 0, T0).flags, TA_SEND_REQ);
	assert_int_equal(f.due[TM_E], T0 + 500);
	assert_int_equal(f.due[TM_F], T0 + 32000);
	n = run_timers(&f, fr, 32, UINT64_MAX);
	assert_int_equal(n, 11);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(fr[i].at, T0 + want[i]);
		assert_int_equal(fr[i].flags, TA_SEND_REQ);
	}
	assert_int_equal(fr[10].at, T0 + 32000);
	assert_int_equal(fr[10].flags, TA_TU_FAIL | TA_TERMINATE);
	assert_int_equal(fr[10].code, 408);
	assert_int_equal(fr[10].why, TXN_TIMEOUT);
}

/* In Proceeding, E fires every T2; a final: Completed, K = T4 absorbs retransmissions. */
static void
nict_proceeding_completed(void **state)
{
	struct txn_fsm f;
	struct fire fr[32];
	struct txn_act a;
	int n;

	(void)state;
	txn_fsm_init(&f, TXN_NICT, false, &tc);
	ev(&f, TE_START, 0, T0);
	a = ev(&f, TE_RX_RESP, 100, T0 + 100);
	assert_int_equal(a.flags, 0);
	assert_int_equal(f.state, TS_PROCEEDING);
	n = run_timers(&f, fr, 32, T0 + 20000);
	/* E at 0.5 s (scheduled in Trying), then every T2 */
	assert_int_equal(n, 5);
	assert_int_equal(fr[0].at, T0 + 500);
	for (int i = 1; i < n; i++)
		assert_int_equal(fr[i].at - fr[i - 1].at, 4000);
	a = ev(&f, TE_RX_RESP, 202, T0 + 20000);
	assert_int_equal(a.flags, TA_TU_RESP);
	assert_int_equal(f.state, TS_COMPLETED);
	assert_int_equal(f.due[TM_E], 0);
	assert_int_equal(f.due[TM_F], 0);
	assert_int_equal(f.due[TM_K], T0 + 20000 + 5000);
	a = ev(&f, TE_RX_RESP, 202, T0 + 21000);
	assert_int_equal(a.flags, 0);
	assert_int_equal(run_timers(&f, fr, 4, UINT64_MAX), 1);
	assert_int_equal(fr[0].at, T0 + 25000);
	assert_int_equal(fr[0].flags, TA_TERMINATE);
}

/* TCP: no E, K is zero. */
static void
nict_tcp(void **state)
{
	struct txn_fsm f;
	struct txn_act a;

	(void)state;
	txn_fsm_init(&f, TXN_NICT, true, &tc);
	ev(&f, TE_START, 0, T0);
	assert_int_equal(f.due[TM_E], 0);
	assert_int_equal(f.due[TM_F], T0 + 32000);
	a = ev(&f, TE_RX_RESP, 200, T0 + 10);
	assert_int_equal(a.flags, TA_TU_RESP | TA_TERMINATE);
	assert_int_equal(f.state, TS_TERMINATED);
}

/* ---- INVITE server ------------------------------------------------------- */

/* §17.2.1: G = T1 doubling capped at T2, H = 64*T1 without an ACK: timeout. */
static void
ist_udp_no_ack(void **state)
{
	static const uint64_t want[] = {
		500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
	};
	struct txn_fsm f;
	struct fire fr[32];
	struct txn_act a;
	int n;

	(void)state;
	txn_fsm_init(&f, TXN_IST, false, &tc);
	assert_int_equal(f.state, TS_PROCEEDING);
	/* before any response, a retransmitted INVITE is absorbed */
	assert_int_equal(ev(&f, TE_RX_REQ, 0, T0).flags, 0);
	assert_int_equal(ev(&f, TE_TU_RESP, 100, T0).flags, TA_SEND_RESP);
	assert_int_equal(ev(&f, TE_RX_REQ, 0, T0 + 50).flags, TA_SEND_RESP);
	a = ev(&f, TE_TU_RESP, 486, T0 + 100);
	assert_int_equal(a.flags, TA_SEND_RESP);
	assert_int_equal(f.state, TS_COMPLETED);
	assert_int_equal(f.due[TM_G], T0 + 600);
	assert_int_equal(f.due[TM_H], T0 + 100 + 32000);
	/* the TU may not send another final */
	assert_int_equal(txn_fsm_event(&f, TE_TU_RESP, 500, T0 + 200, &a), -EINVAL);
	n = run_timers(&f, fr, 32, UINT64_MAX);
	assert_int_equal(n, 11);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(fr[i].at, T0 + 100 + want[i]);
		assert_int_equal(fr[i].flags, TA_SEND_RESP);
	}
	assert_int_equal(fr[10].at, T0 + 100 + 32000);
	assert_int_equal(fr[10].flags, TA_TERMINATE);
	assert_int_equal(fr[10].why, TXN_TIMEOUT);
}

/* ACK: Confirmed, I = T4 absorbs ACK and INVITE retransmissions. */
static void
ist_udp_ack(void **state)
{
	struct txn_fsm f;
	struct fire fr[4];
	struct txn_act a;

	(void)state;
	txn_fsm_init(&f, TXN_IST, false, &tc);
	ev(&f, TE_TU_RESP, 404, T0);
	assert_int_equal(ev(&f, TE_RX_REQ, 0, T0 + 10).flags, TA_SEND_RESP);
	a = ev(&f, TE_RX_ACK, 0, T0 + 700);
	assert_int_equal(a.flags, 0);
	assert_int_equal(f.state, TS_CONFIRMED);
	assert_int_equal(f.due[TM_G], 0);
	assert_int_equal(f.due[TM_H], 0);
	assert_int_equal(f.due[TM_I], T0 + 700 + 5000);
	assert_int_equal(ev(&f, TE_RX_ACK, 0, T0 + 800).flags, 0);
	assert_int_equal(ev(&f, TE_RX_REQ, 0, T0 + 900).flags, 0);
	assert_int_equal(run_timers(&f, fr, 4, UINT64_MAX), 1);
	assert_int_equal(fr[0].at, T0 + 5700);
	assert_int_equal(fr[0].why, TXN_DONE);
}

/* TCP: no G, I is zero: the ACK ends it. */
static void
ist_tcp(void **state)
{
	struct txn_fsm f;
	struct txn_act a;

	(void)state;
	txn_fsm_init(&f, TXN_IST, true, &tc);
	ev(&f, TE_TU_RESP, 480, T0);
	assert_int_equal(f.due[TM_G], 0);
	assert_int_equal(f.due[TM_H], T0 + 32000);
	a = ev(&f, TE_RX_ACK, 0, T0 + 10);
	assert_int_equal(a.flags, TA_TERMINATE);
}

/* RFC 6026 §7.1: 2xx -> Accepted; more 2xx pass; INVITEs absorbed; ACK to TU; L. */
static void
ist_accepted(void **state)
{
	struct txn_fsm f;
	struct fire fr[4];
	struct txn_act a;

	(void)state;
	txn_fsm_init(&f, TXN_IST, false, &tc);
	ev(&f, TE_TU_RESP, 180, T0);
	a = ev(&f, TE_TU_RESP, 200, T0 + 100);
	assert_int_equal(a.flags, TA_SEND_RESP);
	assert_int_equal(f.state, TS_ACCEPTED);
	assert_int_equal(f.due[TM_L], T0 + 100 + 32000);
	assert_int_equal(f.due[TM_G], 0);
	assert_int_equal(ev(&f, TE_RX_REQ, 0, T0 + 200).flags, 0);
	assert_int_equal(ev(&f, TE_TU_RESP, 200, T0 + 300).flags, TA_SEND_RESP);
	assert_int_equal(txn_fsm_event(&f, TE_TU_RESP, 486, T0 + 300, &a), -EINVAL);
	assert_int_equal(ev(&f, TE_RX_ACK, 0, T0 + 400).flags, TA_TU_ACK);
	/* a failed 2xx send changes nothing in Accepted */
	assert_int_equal(ev(&f, TE_TP_ERR, 0, T0 + 500).flags, 0);
	assert_int_equal(run_timers(&f, fr, 4, UINT64_MAX), 1);
	assert_int_equal(fr[0].at, T0 + 32100);
	assert_int_equal(fr[0].flags, TA_TERMINATE);
}

/* ---- non-INVITE server --------------------------------------------------- */

/* §17.2.2: Trying absorbs, Proceeding/Completed resend, J = 64*T1 (UDP). */
static void
nist_udp(void **state)
{
	struct txn_fsm f;
	struct fire fr[4];
	struct txn_act a;

	(void)state;
	txn_fsm_init(&f, TXN_NIST, false, &tc);
	assert_int_equal(f.state, TS_TRYING);
	assert_int_equal(ev(&f, TE_RX_REQ, 0, T0).flags, 0);
	assert_int_equal(ev(&f, TE_TU_RESP, 183, T0 + 1).flags, TA_SEND_RESP);
	assert_int_equal(f.state, TS_PROCEEDING);
	assert_int_equal(ev(&f, TE_RX_REQ, 0, T0 + 2).flags, TA_SEND_RESP);
	assert_int_equal(ev(&f, TE_TU_RESP, 200, T0 + 3).flags, TA_SEND_RESP);
	assert_int_equal(f.state, TS_COMPLETED);
	assert_int_equal(f.due[TM_J], T0 + 3 + 32000);
	assert_int_equal(ev(&f, TE_RX_REQ, 0, T0 + 4).flags, TA_SEND_RESP);
	assert_int_equal(txn_fsm_event(&f, TE_TU_RESP, 500, T0 + 5, &a), -EINVAL);
	assert_int_equal(run_timers(&f, fr, 4, UINT64_MAX), 1);
	assert_int_equal(fr[0].at, T0 + 32003);
	assert_int_equal(fr[0].flags, TA_TERMINATE);
}

/* TCP: J is zero. */
static void
nist_tcp(void **state)
{
	struct txn_fsm f;

	(void)state;
	txn_fsm_init(&f, TXN_NIST, true, &tc);
	assert_int_equal(ev(&f, TE_TU_RESP, 200, T0).flags, TA_SEND_RESP | TA_TERMINATE);
	assert_int_equal(f.state, TS_TERMINATED);
}

/* Ours: a request the TU never answers ends after the guard (2*64*T1, + C for INVITE). */
static void
server_guard(void **state)
{
	struct txn_fsm f;
	struct fire fr[4];

	(void)state;
	txn_fsm_init(&f, TXN_NIST, false, &tc);
	txn_fsm_server_start(&f, T0);
	assert_int_equal(ev(&f, TE_RX_REQ, 0, T0 + 10).flags, 0);
	assert_int_equal(run_timers(&f, fr, 4, UINT64_MAX), 1);
	assert_int_equal(fr[0].at, T0 + 64000);
	assert_int_equal(fr[0].flags, TA_TERMINATE);
	assert_int_equal(fr[0].why, TXN_TIMEOUT);

	txn_fsm_init(&f, TXN_IST, true, &tc);
	txn_fsm_server_start(&f, T0);
	ev(&f, TE_TU_RESP, 100, T0 + 1);
	assert_int_equal(run_timers(&f, fr, 4, UINT64_MAX), 1);
	assert_int_equal(fr[0].at, T0 + 180000 + 64000);
	assert_int_equal(fr[0].why, TXN_TIMEOUT);

	/* a final stops it: only J remains */
	txn_fsm_init(&f, TXN_NIST, false, &tc);
	txn_fsm_server_start(&f, T0);
	ev(&f, TE_TU_RESP, 200, T0 + 5);
	assert_int_equal(f.due[TM_GUARD], 0);
	assert_int_equal(txn_fsm_next(&f), T0 + 5 + 32000);
}

/* ---- matching -------------------------------------------------------------- */

static struct sip_msg pm[4];

static const struct sip_msg *
parse(int slot, const char *text)
{
	struct sip_err e;

	assert_int_equal(sip_msg_parse(&pm[slot], text, strlen(text), &e), 0);
	return &pm[slot];
}

#define INV(branch, sentby, method, cseqm)					\
	method " sip:bob@example.com SIP/2.0\r\n"				\
	"Via: SIP/2.0/UDP " sentby ";branch=" branch "\r\n"			\
	"From: <sip:alice@example.com>;tag=f1\r\n"				\
	"To: <sip:bob@example.com>\r\n"					\
	"Call-ID: c1@example.com\r\n"						\
	"CSeq: 7 " cseqm "\r\n"						\
	"Max-Forwards: 70\r\n"							\
	"Content-Length: 0\r\n\r\n"

static struct txn_key
key(int slot, const char *text, bool server)
{
	struct txn_key k;

	assert_int_equal(txn_key_from_msg(&k, parse(slot, text), server), 0);
	return k;
}

/* §17.2.3 with the cookie: branch + sent-by + method; ACK finds its INVITE. */
static void
match_3261(void **state)
{
	struct sip_str none = { NULL, 0 };
	struct txn_key t, k;

	(void)state;
	t = key(0, INV("z9hG4bKabc", "192.0.2.1:5060", "INVITE", "INVITE"), true);
	assert_true(t.rfc3261);
	k = key(1, INV("z9hG4bKabc", "192.0.2.1:5060", "INVITE", "INVITE"), true);
	assert_true(txn_key_match(&t, none, &k));
	assert_int_equal(txn_key_hash(&t), txn_key_hash(&k));
	k = key(1, INV("z9hG4bKabc", "192.0.2.1:5060", "ACK", "ACK"), true);
	assert_true(k.is_ack);
	assert_true(txn_key_match(&t, none, &k));
	/* CANCEL is its own transaction, but finds the INVITE by branch */
	k = key(1, INV("z9hG4bKabc", "192.0.2.1:5060", "CANCEL", "CANCEL"), true);
	assert_false(txn_key_match(&t, none, &k));
	assert_int_equal(txn_key_hash(&t), txn_key_hash(&k));
	k.method = SIP_METHOD_INVITE;
	assert_true(txn_key_match(&t, none, &k));
	/* another sent-by, another branch, another port: no match */
	k = key(1, INV("z9hG4bKabc", "192.0.2.2:5060", "INVITE", "INVITE"), true);
	assert_false(txn_key_match(&t, none, &k));
	k = key(1, INV("z9hG4bKabd", "192.0.2.1:5060", "INVITE", "INVITE"), true);
	assert_false(txn_key_match(&t, none, &k));
	k = key(1, INV("z9hG4bKabc", "192.0.2.1", "INVITE", "INVITE"), true);
	assert_false(txn_key_match(&t, none, &k));
	/* ours: the same request over another transport is another transaction */
	k = key(1, INV("z9hG4bKabc", "192.0.2.1:5060", "INVITE", "INVITE"), true);
	k.tp = 1;
	assert_false(txn_key_match(&t, none, &k));
	/* a server key never matches a client key */
	k = key(1, INV("z9hG4bKabc", "192.0.2.1:5060", "INVITE", "INVITE"), false);
	assert_false(txn_key_match(&t, none, &k));
}

/* §17.1.3: responses by branch + CSeq method. */
static void
match_client(void **state)
{
	static const char resp[] =
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKxr1\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKabc\r\n"
		"From: <sip:alice@example.com>;tag=f1\r\n"
		"To: <sip:bob@example.com>;tag=t9\r\n"
		"Call-ID: c1@example.com\r\n"
		"CSeq: 7 INVITE\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char resp_cancel[] =
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKxr1\r\n"
		"From: <sip:alice@example.com>;tag=f1\r\n"
		"To: <sip:bob@example.com>;tag=t9\r\n"
		"Call-ID: c1@example.com\r\n"
		"CSeq: 7 CANCEL\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_str none = { NULL, 0 };
	struct txn_key t = {
		.server = false, .rfc3261 = true, .method = SIP_METHOD_INVITE,
		.method_str = SIP_STR("INVITE"), .branch = SIP_STR("z9hG4bKxr1"),
	};
	struct txn_key k;

	(void)state;
	k = key(0, resp, false);
	assert_true(txn_key_match(&t, none, &k));
	assert_int_equal(txn_key_hash(&t), txn_key_hash(&k));
	k = key(0, resp_cancel, false);
	assert_false(txn_key_match(&t, none, &k));
	t.method = SIP_METHOD_CANCEL;
	t.method_str = SIP_STR("CANCEL");
	assert_true(txn_key_match(&t, none, &k));
}

/* RFC 4475 §3.4 inv2543: no cookie; the §17.2.3 fallback fields decide. */
#define R2543(method, cseq, totag)						\
	method " sip:UserB@example.com SIP/2.0\r\n"				\
	"Via: SIP/2.0/UDP iftgw.example.com\r\n"				\
	"From: <sip:+13035551111@ift.client.example.net;user=phone>\r\n"	\
	"Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>\r\n"	\
	"To: sip:+16505552222@ss1.example.net;user=phone" totag "\r\n"	\
	"Call-ID: inv2543.1717@ift.client.example.com\r\n"			\
	"CSeq: " cseq " " method "\r\n"						\
	"Content-Length: 0\r\n\r\n"

static void
match_2543(void **state)
{
	struct sip_str none = { NULL, 0 }, ourtag = SIP_STR("xr42");
	struct txn_key t, k;

	(void)state;
	t = key(0, R2543("INVITE", "56", ""), true);
	assert_false(t.rfc3261);
	k = key(1, R2543("INVITE", "56", ""), true);
	assert_true(txn_key_match(&t, none, &k));
	assert_int_equal(txn_key_hash(&t), txn_key_hash(&k));
	k = key(1, R2543("INVITE", "57", ""), true);
	assert_false(txn_key_match(&t, none, &k));
	/* the ACK for our final carries our To tag */
	k = key(1, R2543("ACK", "56", ";tag=xr42"), true);
	assert_int_equal(txn_key_hash(&t), txn_key_hash(&k));
	assert_true(txn_key_match(&t, ourtag, &k));
	k = key(1, R2543("ACK", "56", ";tag=other"), true);
	assert_false(txn_key_match(&t, ourtag, &k));
	/* a CANCEL finds the INVITE when looked up as INVITE */
	k = key(1, R2543("CANCEL", "56", ""), true);
	assert_false(txn_key_match(&t, none, &k));
	k.method = SIP_METHOD_INVITE;
	assert_true(txn_key_match(&t, none, &k));
}

/* RFC 4475 §3.2.1: branch=z9hG4bK alone is not RFC 3261 style. */
#define BADBRANCH(callid)							\
	"OPTIONS sip:user@example.com SIP/2.0\r\n"				\
	"To: sip:user@example.com\r\n"						\
	"From: sip:caller@example.org;tag=33242\r\n"				\
	"Max-Forwards: 3\r\n"							\
	"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK\r\n"			\
	"Accept: application/sdp\r\n"						\
	"Call-ID: " callid "\r\n"						\
	"CSeq: 8 OPTIONS\r\n"							\
	"l: 0\r\n\r\n"

static void
match_badbranch(void **state)
{
	struct sip_str none = { NULL, 0 };
	struct txn_key t, k;

	(void)state;
	assert_false(txn_branch_is_3261(SIP_STR("z9hG4bK")));
	assert_true(txn_branch_is_3261(SIP_STR("z9hG4bK1")));
	assert_false(txn_branch_is_3261(SIP_STR("abc")));
	t = key(0, BADBRANCH("badbranch.sadonfo23i420jv0as0derf3j3n"), true);
	assert_false(t.rfc3261);
	k = key(1, BADBRANCH("badbranch.sadonfo23i420jv0as0derf3j3n"), true);
	assert_true(txn_key_match(&t, none, &k));	/* its retransmission */
	k = key(1, BADBRANCH("another-call"), true);
	assert_false(txn_key_match(&t, none, &k));	/* same "branch", other request */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ict_udp_timeout),
		cmocka_unit_test(ict_tcp_timeout),
		cmocka_unit_test(ict_proceeding_completed),
		cmocka_unit_test(ict_tcp_final),
		cmocka_unit_test(ict_accepted),
		cmocka_unit_test(ict_timer_c),
		cmocka_unit_test(ict_timer_c_no_provisional),
		cmocka_unit_test(ict_timer_c_no_487),
		cmocka_unit_test(ict_cancel_rules),
		cmocka_unit_test(ict_cancel_no_final),
		cmocka_unit_test(ict_transport_error),
		cmocka_unit_test(nict_udp_timeout),
		cmocka_unit_test(nict_proceeding_completed),
		cmocka_unit_test(nict_tcp),
		cmocka_unit_test(ist_udp_no_ack),
		cmocka_unit_test(ist_udp_ack),
		cmocka_unit_test(ist_tcp),
		cmocka_unit_test(ist_accepted),
		cmocka_unit_test(nist_udp),
		cmocka_unit_test(nist_tcp),
		cmocka_unit_test(server_guard),
		cmocka_unit_test(match_3261),
		cmocka_unit_test(match_client),
		cmocka_unit_test(match_2543),
		cmocka_unit_test(match_badbranch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
