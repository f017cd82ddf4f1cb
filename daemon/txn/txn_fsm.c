// SPDX-License-Identifier: GPL-2.0
/*
 * txn_fsm.c - the §17 transaction state machines as pure functions (see
 * txn_fsm.h).  Owns states, timers and the retransmission schedule; knows
 * nothing about messages, sockets or threads.
 *
 * RFC 3261 §17.1.1 (Figure 5), §17.1.2 (Figure 6), §17.2.1 (Figure 7),
 * §17.2.2 (Figure 8), as updated by RFC 6026 §7 (the "Accepted" state for
 * INVITE 2xx on both sides, Timers L and M = 64*T1), plus the proxy's Timer C
 * (§16.6 step 11, §16.8).
 *
 * OUR implementation: a zero-length timer (D, I, J, K over a reliable
 * transport) is not started; the transaction goes to Terminated at once.
 * Timer D is max(32 s, 64*T1).  A 100 is absorbed (never to the TU, §16.7
 * step 5) and does not reset Timer C (§16.8 names 101-199).  When Timer C
 * fires after a provisional, the CANCEL goes out, the TU gets its 408, and
 * the transaction keeps waiting for the 487 for at most 64*T1 more.  The
 * same bound holds for a CANCEL the TU asks for (§9.1: no final 64*T1 after
 * the CANCEL, the branch counts as cancelled): Timer C is brought forward.
 */
#include <errno.h>
#include <string.h>

#include "txn/txn_fsm.h"

const struct txn_timer_cfg txn_timer_defaults = {
	.t1 = 500, .t2 = 4000, .t4 = 5000, .timer_c = 180000,
};

static void
tm_set(struct txn_fsm *f, enum txn_timer t, uint64_t now, uint32_t ms)
{
	f->due[t] = now + ms;
}

/* Timer t fires at now + ms at the latest (brought forward, never pushed back). */
static void
tm_cap(struct txn_fsm *f, enum txn_timer t, uint64_t now, uint32_t ms)
{
	if (!f->due[t] || f->due[t] > now + ms)
		f->due[t] = now + ms;
}

static void
tm_stop(struct txn_fsm *f, enum txn_timer t)
{
	f->due[t] = 0;
}

static void
tm_stop_all(struct txn_fsm *f)
{
	memset(f->due, 0, sizeof(f->due));
}

static void
terminate(struct txn_fsm *f, struct txn_act *a, enum txn_reason why)
{
	f->state = TS_TERMINATED;
	tm_stop_all(f);
	a->flags |= TA_TERMINATE;
	a->why = why;
}

/* A client tells its TU it failed (once; never after a final). */
static void
tu_fail(struct txn_fsm *f, struct txn_act *a, int code, enum txn_reason why)
{
	if (f->tu_final)
		return;
	f->tu_final = true;
	a->flags |= TA_TU_FAIL;
	a->code = code;
	a->why = why;
}

void
txn_fsm_init(struct txn_fsm *f, enum txn_kind kind, bool reliable,
	     const struct txn_timer_cfg *tc)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->reliable = reliable;
	f->tc = tc ? *tc : txn_timer_defaults;
	switch (kind) {
	case TXN_ICT:
		f->state = TS_CALLING;
		break;
	case TXN_IST:
		f->state = TS_PROCEEDING;
		break;
	case TXN_NICT:
	case TXN_NIST:
		f->state = TS_TRYING;
		break;
	}
}

void
txn_fsm_server_start(struct txn_fsm *f, uint64_t now)
{
	uint32_t g = 2 * 64 * f->tc.t1;

	if (f->kind == TXN_IST)
		g += f->tc.timer_c;
	if (f->kind == TXN_IST || f->kind == TXN_NIST)
		tm_set(f, TM_GUARD, now, g);
}

uint64_t
txn_fsm_next(const struct txn_fsm *f)
{
	uint64_t m = 0;

	for (int i = 0; i < TM__MAX; i++)
		if (f->due[i] && (m == 0 || f->due[i] < m))
			m = f->due[i];
	return m;
}

/* ---- INVITE client, §17.1.1 + RFC 6026 §7.2 ------------------------------ */

static int
ict_timer(struct txn_fsm *f, enum txn_timer t, uint64_t now, struct txn_act *a)
{
	const struct txn_timer_cfg *tc = &f->tc;

	switch (t) {
	case TM_A:	/* §17.1.1.2: retransmit, double the interval (no cap) */
		if (f->state != TS_CALLING)
			break;
		a->flags |= TA_SEND_REQ;
		f->interval *= 2;
		tm_set(f, TM_A, now, f->interval);
		break;
	case TM_B:	/* no answer at all: the TU gets a 408 */
		tu_fail(f, a, 408, TXN_TIMEOUT);
		terminate(f, a, TXN_TIMEOUT);
		break;
	case TM_C:	/* §16.8 */
		if (f->state == TS_CALLING) {
			/* no provisional: behave as if a 408 arrived */
			tu_fail(f, a, 408, TXN_TIMER_C);
			terminate(f, a, TXN_TIMER_C);
		} else if (f->state == TS_PROCEEDING && !f->cancelled) {
			f->cancelled = true;
			a->flags |= TA_SEND_CANCEL;
			tu_fail(f, a, 408, TXN_TIMER_C);
			/* wait for the 487, but not forever */
			tm_set(f, TM_C, now, 64 * tc->t1);
		} else {
			terminate(f, a, TXN_TIMER_C);
		}
		break;
	case TM_D:
	case TM_M:
		terminate(f, a, TXN_DONE);
		break;
	default:
		break;
	}
	return 0;
}

static int
ict_resp(struct txn_fsm *f, int code, uint64_t now, struct txn_act *a)
{
	const struct txn_timer_cfg *tc = &f->tc;

	switch (f->state) {
	case TS_CALLING:
	case TS_PROCEEDING:
		if (code < 200) {
			f->state = TS_PROCEEDING;
			tm_stop(f, TM_A);
			tm_stop(f, TM_B);
			f->got_prov = true;
			if (code > 100) {
				a->flags |= TA_TU_RESP;
				if (!f->cancelled)
					tm_set(f, TM_C, now, tc->timer_c);
			}
			if (f->cancel_pending) {
				f->cancel_pending = false;
				f->cancelled = true;
				a->flags |= TA_SEND_CANCEL;
				tm_cap(f, TM_C, now, 64 * tc->t1);	/* §9.1 */
			}
		} else if (code < 300) {
			f->state = TS_ACCEPTED;
			tm_stop_all(f);
			tm_set(f, TM_M, now, 64 * tc->t1);
			f->tu_final = true;
			f->cancel_pending = false;
			a->flags |= TA_TU_RESP;
		} else {
			f->state = TS_COMPLETED;
			tm_stop_all(f);
			a->flags |= TA_SEND_ACK;
			if (!f->tu_final)
				a->flags |= TA_TU_RESP;
			f->tu_final = true;
			f->cancel_pending = false;
			if (f->reliable)
				terminate(f, a, TXN_DONE);
			else
				tm_set(f, TM_D, now, 64 * tc->t1 > 32000 ? 64 * tc->t1 : 32000);
		}
		f->last_code = code;
		break;
	case TS_COMPLETED:
		/* a retransmitted final: ACK again, absorb (a 2xx here is for the TU) */
		if (code >= 300)
			a->flags |= TA_SEND_ACK;
		else if (code >= 200)
			a->flags |= TA_TU_RESP;
		break;
	case TS_ACCEPTED:
		/* RFC 6026 §7.2: every further 2xx goes to the TU */
		if (code >= 200 && code < 300)
			a->flags |= TA_TU_RESP;
		break;
	default:
		break;
	}
	return 0;
}

static int
ict_event(struct txn_fsm *f, enum txn_event ev, int code, uint64_t now, struct txn_act *a)
{
	const struct txn_timer_cfg *tc = &f->tc;

	switch (ev) {
	case TE_START:
		if (f->state != TS_CALLING)
			return -EINVAL;
		a->flags |= TA_SEND_REQ;
		if (!f->reliable) {
			f->interval = tc->t1;
			tm_set(f, TM_A, now, tc->t1);
		}
		tm_set(f, TM_B, now, 64 * tc->t1);
		tm_set(f, TM_C, now, tc->timer_c);
		return 0;
	case TE_RX_RESP:
		return ict_resp(f, code, now, a);
	case TE_CANCEL:
		if (f->cancelled || f->cancel_pending || f->tu_final ||
		    (f->state != TS_CALLING && f->state != TS_PROCEEDING))
			return -EALREADY;
		if (f->state == TS_CALLING) {
			f->cancel_pending = true;	/* §9.1: wait for a provisional */
		} else {
			f->cancelled = true;
			a->flags |= TA_SEND_CANCEL;
			tm_cap(f, TM_C, now, 64 * tc->t1);	/* §9.1 */
		}
		return 0;
	case TE_TP_ERR:
		/* §17.1.4: the TU hears of it as a 503 */
		tu_fail(f, a, 503, TXN_TRANSPORT);
		terminate(f, a, TXN_TRANSPORT);
		return 0;
	default:
		return -EINVAL;
	}
}

/* ---- non-INVITE client, §17.1.2 ------------------------------------------ */

static int
nict_timer(struct txn_fsm *f, enum txn_timer t, uint64_t now, struct txn_act *a)
{
	const struct txn_timer_cfg *tc = &f->tc;

	switch (t) {
	case TM_E:
		if (f->state == TS_TRYING) {
			f->interval = 2 * f->interval < tc->t2 ? 2 * f->interval : tc->t2;
		} else if (f->state == TS_PROCEEDING) {
			f->interval = tc->t2;
		} else {
			break;
		}
		a->flags |= TA_SEND_REQ;
		tm_set(f, TM_E, now, f->interval);
		break;
	case TM_F:
		tu_fail(f, a, 408, TXN_TIMEOUT);
		terminate(f, a, TXN_TIMEOUT);
		break;
	case TM_K:
		terminate(f, a, TXN_DONE);
		break;
	default:
		break;
	}
	return 0;
}

static int
nict_event(struct txn_fsm *f, enum txn_event ev, int code, uint64_t now, struct txn_act *a)
{
	const struct txn_timer_cfg *tc = &f->tc;

	switch (ev) {
	case TE_START:
		if (f->state != TS_TRYING)
			return -EINVAL;
		a->flags |= TA_SEND_REQ;
		if (!f->reliable) {
			f->interval = tc->t1;
			tm_set(f, TM_E, now, tc->t1);
		}
		tm_set(f, TM_F, now, 64 * tc->t1);
		return 0;
	case TE_RX_RESP:
		if (f->state != TS_TRYING && f->state != TS_PROCEEDING)
			return 0;	/* Completed: absorb retransmitted finals */
		f->last_code = code;
		if (code < 200) {
			f->state = TS_PROCEEDING;
			if (code > 100)
				a->flags |= TA_TU_RESP;
			return 0;
		}
		f->state = TS_COMPLETED;
		tm_stop_all(f);
		f->tu_final = true;
		a->flags |= TA_TU_RESP;
		if (f->reliable)
			terminate(f, a, TXN_DONE);
		else
			tm_set(f, TM_K, now, tc->t4);
		return 0;
	case TE_TP_ERR:
		tu_fail(f, a, 503, TXN_TRANSPORT);
		terminate(f, a, TXN_TRANSPORT);
		return 0;
	default:
		return -EINVAL;
	}
}

/* ---- INVITE server, §17.2.1 + RFC 6026 §7.1 ------------------------------ */

static int
ist_timer(struct txn_fsm *f, enum txn_timer t, uint64_t now, struct txn_act *a)
{
	const struct txn_timer_cfg *tc = &f->tc;

	switch (t) {
	case TM_G:
		if (f->state != TS_COMPLETED)
			break;
		a->flags |= TA_SEND_RESP;
		f->interval = 2 * f->interval < tc->t2 ? 2 * f->interval : tc->t2;
		tm_set(f, TM_G, now, f->interval);
		break;
	case TM_H:	/* no ACK: §17.2.1 "the TU is informed" */
		terminate(f, a, TXN_TIMEOUT);
		break;
	case TM_I:
	case TM_L:
		terminate(f, a, TXN_DONE);
		break;
	case TM_GUARD:
		terminate(f, a, TXN_TIMEOUT);
		break;
	default:
		break;
	}
	return 0;
}

static int
ist_event(struct txn_fsm *f, enum txn_event ev, int code, uint64_t now, struct txn_act *a)
{
	const struct txn_timer_cfg *tc = &f->tc;

	switch (ev) {
	case TE_RX_REQ:
		/* Proceeding/Completed: resend the last response; else absorb */
		if ((f->state == TS_PROCEEDING || f->state == TS_COMPLETED) && f->resp_sent)
			a->flags |= TA_SEND_RESP;
		return 0;
	case TE_TU_RESP:
		if (f->state == TS_ACCEPTED && code >= 200 && code < 300) {
			a->flags |= TA_SEND_RESP;	/* RFC 6026: more 2xx pass */
			return 0;
		}
		if (f->state != TS_PROCEEDING)
			return -EINVAL;
		a->flags |= TA_SEND_RESP;
		f->resp_sent = true;
		f->last_code = code;
		if (code < 200)
			return 0;
		tm_stop(f, TM_GUARD);
		if (code < 300) {
			f->state = TS_ACCEPTED;
			tm_set(f, TM_L, now, 64 * tc->t1);
			return 0;
		}
		f->state = TS_COMPLETED;
		if (!f->reliable) {
			f->interval = tc->t1;
			tm_set(f, TM_G, now, tc->t1);
		}
		tm_set(f, TM_H, now, 64 * tc->t1);
		return 0;
	case TE_RX_ACK:
		if (f->state == TS_COMPLETED) {
			f->state = TS_CONFIRMED;
			tm_stop(f, TM_G);
			tm_stop(f, TM_H);
			if (f->reliable)
				terminate(f, a, TXN_DONE);
			else
				tm_set(f, TM_I, now, tc->t4);
		} else if (f->state == TS_ACCEPTED) {
			a->flags |= TA_TU_ACK;
		}
		return 0;
	case TE_TP_ERR:
		/* RFC 6026 §7.1: in Accepted a failed 2xx send changes nothing */
		if (f->state != TS_ACCEPTED)
			terminate(f, a, TXN_TRANSPORT);
		return 0;
	default:
		return -EINVAL;
	}
}

/* ---- non-INVITE server, §17.2.2 ------------------------------------------ */

static int
nist_event(struct txn_fsm *f, enum txn_event ev, int code, uint64_t now, struct txn_act *a)
{
	const struct txn_timer_cfg *tc = &f->tc;

	switch (ev) {
	case TE_RX_REQ:
		if (f->state == TS_PROCEEDING || f->state == TS_COMPLETED)
			a->flags |= TA_SEND_RESP;
		return 0;	/* Trying: absorbed */
	case TE_TU_RESP:
		if (f->state != TS_TRYING && f->state != TS_PROCEEDING)
			return -EINVAL;
		a->flags |= TA_SEND_RESP;
		f->resp_sent = true;
		f->last_code = code;
		if (code < 200) {
			f->state = TS_PROCEEDING;
			return 0;
		}
		f->state = TS_COMPLETED;
		tm_stop(f, TM_GUARD);
		if (f->reliable)
			terminate(f, a, TXN_DONE);
		else
			tm_set(f, TM_J, now, 64 * tc->t1);
		return 0;
	case TE_TP_ERR:
		terminate(f, a, TXN_TRANSPORT);
		return 0;
	default:
		return -EINVAL;
	}
}

static int
fsm_timer(struct txn_fsm *f, enum txn_timer t, uint64_t now, struct txn_act *a)
{
	switch (f->kind) {
	case TXN_ICT:
		return ict_timer(f, t, now, a);
	case TXN_NICT:
		return nict_timer(f, t, now, a);
	case TXN_IST:
		return ist_timer(f, t, now, a);
	case TXN_NIST:
		if (t == TM_J)
			terminate(f, a, TXN_DONE);
		else if (t == TM_GUARD)
			terminate(f, a, TXN_TIMEOUT);
		return 0;
	}
	return 0;
}

int
txn_fsm_event(struct txn_fsm *f, enum txn_event ev, int code, uint64_t now,
	      struct txn_act *a)
{
	memset(a, 0, sizeof(*a));
	if (f->state == TS_TERMINATED)
		return ev == TE_TIMER ? 0 : -ESRCH;
	if (ev == TE_TIMER) {
		/* fire every due timer, earliest first; bounded by TM__MAX rounds */
		for (int round = 0; round < TM__MAX && f->state != TS_TERMINATED; round++) {
			int best = -1;

			for (int i = 0; i < TM__MAX; i++)
				if (f->due[i] && f->due[i] <= now &&
				    (best < 0 || f->due[i] < f->due[best]))
					best = i;
			if (best < 0)
				break;
			f->due[best] = 0;
			fsm_timer(f, best, now, a);
		}
		return 0;
	}
	switch (f->kind) {
	case TXN_ICT:
		return ict_event(f, ev, code, now, a);
	case TXN_NICT:
		return nict_event(f, ev, code, now, a);
	case TXN_IST:
		return ist_event(f, ev, code, now, a);
	case TXN_NIST:
		return nist_event(f, ev, code, now, a);
	}
	return -EINVAL;
}

const char *
txn_state_name(enum txn_state s)
{
	static const char *const n[] = {
		"calling", "trying", "proceeding", "completed", "confirmed",
		"accepted", "terminated",
	};
	return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

const char *
txn_timer_name(enum txn_timer t)
{
	static const char *const n[TM__MAX] = {
		"A", "B", "C", "D", "E", "F", "K", "G", "H", "I", "J", "L", "M", "guard",
	};
	return (unsigned)t < TM__MAX ? n[t] : "?";
}
