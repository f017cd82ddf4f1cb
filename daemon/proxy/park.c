// SPDX-License-Identifier: GPL-2.0
/*
 * park.c - requests waiting for DNS: a request whose next hops name hosts
 * the DNS cache does not know yet is parked (its response context, Route
 * plan, targets and call record kept; no worker waits) while the resolver
 * thread (dns/) looks them up, then resumed on the worker that parked it,
 * from its server transaction's copy of the request.  A name that failed
 * fails its branch (px_status_of: 604 no such name, 408 timeout, 503); too
 * many lookups under way (--dns-max-pending): 503 with Retry-After at once.
 * Also the resolver's start and stop, and its counters.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <urcu/compiler.h>

#include "dns/dns.h"
#include "policy/policy.h"
#include "proxy/proxy_int.h"
#include "sip/worker.h"

struct px_park {
	struct sip_job		 job;		/* the resumption, on w */
	struct px_park		*prev, *next;	/* parks, under park_lock */
	struct sip_worker	*w;
	struct px_call		*c;		/* px_on_request's reference */
	struct px_req		*rq;		/* the plan and targets */
	struct dlg		*d;		/* an in-dialog request's call record */
	int			 n;		/* targets */
	bool			 from_caller, in_dialog;
	atomic_int		 outstanding;	/* lookups under way + 1 while parking */
	int			 refused;	/* a lookup could not even start: -errno */
};

static pthread_mutex_t	 park_lock = PTHREAD_MUTEX_INITIALIZER;
static struct px_park	*parks;		/* under park_lock */

static void
park_unlink(struct px_park *pk)
{
	pthread_mutex_lock(&park_lock);
	if (pk->prev)
		pk->prev->next = pk->next;
	else if (parks == pk)
		parks = pk->next;
	if (pk->next)
		pk->next->prev = pk->prev;
	pk->prev = pk->next = NULL;
	pthread_mutex_unlock(&park_lock);
}

/* What px_on_request would have dropped; the park goes. */
static void
park_free(struct px_park *pk)
{
	dlg_put(pk->d);
	px_scratch_put(pk->rq);
	px_ctx_close(pk->c);
	free(pk);
}

/*
 * The worker resumes: the request again from its server transaction (whose
 * top Via has received/rport already), its Route plan made again over that
 * copy with what the first pass decided (access, loop hash) kept, then the
 * fork as px_on_request would have done it.  Every name is in the cache now
 * (or failed), so no branch waits.
 */
static void
park_job(struct sip_job *job)
{
	struct px_park *pk = caa_container_of(job, struct px_park, job);
	struct px_call *c = pk->c;
	const struct sip_msg *m;
	struct sip_src src;
	struct px_plan keep;
	struct txn *st;

	park_unlink(pk);
	pthread_mutex_lock(&c->lock);
	c->parked = false;
	st = c->st;
	if (!st || sip_stopping)
		goto out;		/* the transaction went meanwhile */
	m = txn_request(st);
	if (!m) {
		txn_reply(st, 500, NULL);
		goto out;
	}
	if (pk->refused) {
		px_reply(st, m, 503, "DNS Busy", "Retry-After: 5\r\n");
		goto out;
	}
	src = *txn_source(st);
	src.received[0] = '\0';		/* on the copy's Via already */
	src.rport = 0;
	pol_set_sender_trusted(pol_trusted(&src.peer));	/* for its SDP (access.c) */
	keep = pk->rq->p;
	memset(&pk->rq->p, 0, sizeof(pk->rq->p));	/* px_plan_routes() appends */
	if (px_plan_routes(m, &pk->rq->p) < 0) {
		px_reply(st, m, 500, NULL, NULL);
		goto out;
	}
	pk->rq->p.loophash = keep.loophash;
	pk->rq->p.record_route = keep.record_route;
	pk->rq->p.acc = keep.acc;
	px_request_fork(c, st, m, &src, pk->rq, pk->n, &pk->d, pk->from_caller, pk->in_dialog);
out:
	pthread_mutex_unlock(&c->lock);
	park_free(pk);
}

/* The last lookup of pk ended (or none was left to wait for): back to its worker. */
static void
park_release(struct px_park *pk)
{
	if (sip_stopping)
		return;			/* px_park_fini() frees it */
	pk->job.fn = park_job;
	sip_worker_post(pk->w, &pk->job);
}

/* dns_cb: one of pk's lookups ended (resolver thread). */
static void
park_cb(void *arg, int status)
{
	struct px_park *pk = arg;

	(void)status;		/* the cache has it; px_resolve() reads it */
	if (atomic_fetch_sub(&pk->outstanding, 1) == 1)
		park_release(pk);
}

/*
 * Park the request of c (st's) when a next hop of its n targets in rq is a
 * host name the DNS cache cannot answer yet.  0: parked; rq, *d and c's
 * reference (px_on_request's) belong to the park, which answers or
 * forwards once the lookups end.  -EALREADY: nothing to wait for (every
 * name answered or failed in the cache, or IP literals); the caller goes on.
 * Called on a worker, without c->lock.
 */
int
px_park(struct px_call *c, struct px_req *rq, int n, struct dlg **d, bool from_caller,
	bool in_dialog)
{
	struct px_park *pk = calloc(1, sizeof(*pk));
	int waiting = 0, i, rc;

	if (!pk)
		return -EALREADY;	/* forwarded now; names not known fail their branch */
	pk->w = sip_worker_self();
	if (!pk->w)
		pk->w = sip_worker_get(0);
	pk->c = c;
	pk->rq = rq;
	pk->n = n;
	pk->from_caller = from_caller;
	pk->in_dialog = in_dialog;
	atomic_init(&pk->outstanding, 1);
	for (i = 0; i < n && !pk->refused; i++) {
		struct sip_str target = sip_str_mk(rq->tg[i].uri, (int)strlen(rq->tg[i].uri));
		struct sip_uri tu, hop;
		char host[DNS_NAME_MAX + 1];
		union xr_sa a;

		if (px_next_hop(&rq->p, target, &tu, &hop) < 0 ||
		    !px_hop_host(&hop, host, sizeof(host)))
			continue;
		atomic_fetch_add(&pk->outstanding, 1);
		rc = dns_lookup(host, &a, park_cb, pk);
		if (rc == -EINPROGRESS) {
			waiting++;
			continue;
		}
		atomic_fetch_sub(&pk->outstanding, 1);
		if (rc == -ENOBUFS) {
			PX_INC(dns_refused);
			pk->refused = rc;
		}
	}
	if (!waiting && !pk->refused) {
		free(pk);
		return -EALREADY;
	}
	/* From here on the park owns them; a lookup may have ended already. */
	pk->d = *d;
	*d = NULL;
	pthread_mutex_lock(&c->lock);
	c->parked = true;		/* a CANCEL now is answered at once (px_on_cancel) */
	pthread_mutex_unlock(&c->lock);
	PX_INC(dns_parked);
	pthread_mutex_lock(&park_lock);
	pk->next = parks;
	if (parks)
		parks->prev = pk;
	parks = pk;
	pthread_mutex_unlock(&park_lock);
	if (atomic_fetch_sub(&pk->outstanding, 1) == 1)
		park_release(pk);
	return 0;
}

/* The resolver's account of every query that ended (resolver thread). */
static void
park_query_done(int status)
{
	PX_INC(dns_queries);
	if (status == -ETIMEDOUT)
		PX_INC(dns_timeouts);
	else if (status && status != -ECANCELED)
		PX_INC(dns_failures);
}

int
px_park_init(const struct xr_config *cfg)
{
	struct dns_cfg dc = {
		.timeout_ms = cfg->dns_timeout,
		.max_pending = (unsigned)cfg->dns_max_pending,
		.servers = cfg->dns_servers[0] ? cfg->dns_servers : NULL,
		.query_done = park_query_done,
	};

	return dns_start(&dc);
}

/*
 * Before the workers stop: end the lookups under way; their parks resume
 * (their names fail: 503), later ones do not wait.  Nothing posts to a
 * worker from the resolver thread after this.
 */
void
px_park_stop(void)
{
	dns_stop();
}

/*
 * After the workers stopped: free the parks whose resumption never ran
 * (their transactions are gone), then the DNS cache.
 */
void
px_park_fini(void)
{
	struct px_park *pk;

	dns_stop();
	for (;;) {
		pthread_mutex_lock(&park_lock);
		pk = parks;
		pthread_mutex_unlock(&park_lock);
		if (!pk)
			break;
		park_unlink(pk);
		park_free(pk);
	}
	dns_fini();
}
