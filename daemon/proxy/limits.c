// SPDX-License-Identifier: GPL-2.0
/*
 * limits.c - the proxy's bounds under attack (issue 14, README "Limits"):
 * admission of new transactions (--max-transactions, a stateless 503 before
 * anything is kept), calls (--max-calls), the media quota of each caller's
 * source address (--max-media-sessions-per-source) and --max-streams for
 * call_media.c, the fan-out of one request (--max-branches), and the ban of
 * a source whose credentials keep failing (--auth-fail-ban).  Every value
 * is the running configuration's (a SIGHUP changes it).  What each refusal
 * answers: a 503 with Retry-After for what will free itself (global
 * tables, a source's share), 488 with a Warning for an offer that can never
 * be taken (too many streams).
 */
#include <errno.h>
#include <stdio.h>

#include <urcu.h>

#include "guard/authfail.h"
#include "guard/quota.h"
#include "policy/policy.h"
#include "proxy/call_media.h"
#include "proxy/proxy_int.h"

static struct quota *px_media_quota;	/* media sessions per caller source address */

/* The running configuration's value of one int field. */
#define PX_LIVE(field) ({					\
	int v_;							\
	rcu_read_lock();					\
	v_ = config_now(px_cfg)->field;				\
	rcu_read_unlock();					\
	v_; })

bool
px_over_limit(unsigned long live, int max, bool reserve)
{
	unsigned long cap = (unsigned long)max;

	if (max <= 0)
		return false;
	if (reserve)
		cap += cap / 8 > 0 ? cap / 8 : 1;
	return live >= cap;
}

int
px_cap_targets(int n, int max)
{
	return max > 0 && n > max ? max : n;
}

/*
 * The transaction layer's admit(): a new request while --max-transactions
 * are live gets a stateless 503 and nothing is kept.  A CANCEL and an
 * in-dialog BYE may use a reserve of an eighth more, since they end state.
 */
bool
px_admit(const struct sip_msg *m, const struct sip_src *src)
{
	bool ends = m->method == SIP_METHOD_CANCEL ||
		    (m->method == SIP_METHOD_BYE && m->to.tag.len > 0);
	int max = PX_LIVE(max_transactions);
	char a[XR_SA_STRLEN];

	if (!px_over_limit(txn_count(), max, ends))
		return true;
	PX_INC(txn_refused);
	log_ratelimited(LS_PROXY, LL_WARN, "limits: %.*s from %s refused: %d transactions "
			"(--max-transactions)", SIP_STR_FMT(m->method_str),
			xr_sa_str(&src->peer, a, sizeof(a)), max);
	px_reply_stateless(m, src, 503, NULL, PX_RETRY_AFTER);
	return false;
}

int
px_max_calls(void)
{
	return PX_LIVE(max_calls);
}

bool
px_calls_full(struct txn *st, const struct sip_msg *m, const struct sip_src *src)
{
	int max = px_max_calls();

	if (!px_over_limit(dlg_count(), max, false))
		return false;
	px_refuse_call(st, m, src, max);
	return true;
}

void
px_refuse_call(struct txn *st, const struct sip_msg *m, const struct sip_src *src, int max)
{
	char a[XR_SA_STRLEN];

	PX_INC(calls_refused);
	log_ratelimited(LS_PROXY, LL_WARN, "limits: INVITE from %s refused: %d calls "
			"(--max-calls)", xr_sa_str(&src->peer, a, sizeof(a)), max);
	px_reply(st, m, 503, NULL, PX_RETRY_AFTER);
}

int
px_limit_targets(const struct sip_msg *m, int n)
{
	int max = PX_LIVE(max_branches), k = px_cap_targets(n, max);

	if (k < n) {
		PX_INC(branches_truncated);
		log_ratelimited(LS_PROXY, LL_INFO, "limits: %.*s %.*s: %d targets, forked to the "
				"first %d (--max-branches)", SIP_STR_FMT(m->method_str),
				SIP_STR_FMT(m->ruri), n, k);
	}
	return k;
}

void
px_auth_outcome(const struct sip_src *src, bool ok)
{
	unsigned n, win, ban;
	char a[XR_SA_STRLEN];

	if (ok) {
		authfail_clear(&src->peer);
		return;
	}
	rcu_read_lock();
	n = (unsigned)config_now(px_cfg)->auth_fail_ban;
	win = (unsigned)config_now(px_cfg)->auth_fail_window;
	ban = (unsigned)config_now(px_cfg)->ban_time;
	rcu_read_unlock();
	if (authfail_note(&src->peer, n, win, ban) == 1) {
		PX_INC(auth_fail_bans);
		log_ratelimited(LS_PROXY, LL_WARN, "limits: %s failed digest authentication %u "
				"times within %u s: banned for %u s",
				xr_sa_str(&src->peer, a, sizeof(a)), n, win, ban);
	}
}

/* ---- call_media.c's bounds ---------------------------------------------------- */

/* Trusted peers count too (so put() always matches) but have no bound. */
static int
px_media_take(const union xr_sa *owner)
{
	int max = pol_trusted(owner) ? 0 : PX_LIVE(max_media_per_source);

	return px_media_quota ? quota_take(px_media_quota, owner, (unsigned)max) : 0;
}

static void
px_media_put(const union xr_sa *owner)
{
	if (px_media_quota)
		quota_put(px_media_quota, owner);
}

static int
px_max_streams(void)
{
	return PX_LIVE(max_streams);
}

static const struct cm_limits px_cm_limits = {
	.take		= px_media_take,
	.put		= px_media_put,
	.max_streams	= px_max_streams,
};

int
px_limits_init(void)
{
	px_media_quota = quota_new(4096);
	if (!px_media_quota)
		return -ENOMEM;
	cm_set_limits(&px_cm_limits);
	return 0;
}

void
px_limits_fini(void)
{
	/* After the calls (and so their quota) are gone: dlg_fini() first. */
	cm_set_limits(NULL);
	quota_free(px_media_quota);
	px_media_quota = NULL;
}

unsigned
px_media_sources(void)
{
	return px_media_quota ? quota_sources(px_media_quota) : 0;
}
