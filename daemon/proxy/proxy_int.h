/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proxy_int.h - what the files of the proxy core share, and nothing outside
 * daemon/proxy/ includes: the response context (px_call, px_branch), the
 * per-request Route plan (px_plan), the counters, and one prototype per
 * function another proxy file calls.  The files, along RFC 3261 §16:
 *   proxy.c      px_on_request: the pipeline of one request; contexts; init
 *   validate.c   §16.3 validation, loop detection, §16.4 Route planning (pure)
 *   targets.c    §16.5 target set; §16.6 forking of one request to its targets
 *   forward.c    §16.6 forwarding one request to one target (and ACK statelessly)
 *   reply.c      §16.7 response context, best response, our own replies
 *   ack_cancel_bye.c  §16.10 CANCEL, ACK for 2xx, the BYEs that end a call
 *   proxy_ctl.c  the control commands (calls, call show, call kill, proxy.stats)
 *   sweep.c      the sweep thread: expired bindings, dialogs, media timeouts
 *   limits.c     the bounds under attack: admission, calls, branches, media
 *                quota per source, the ban after failed authentications
 *   scratch.c    per-thread spares for the big per-message buffers
 *
 * Return convention of the proxy: 0 or -errno.  A function that also decides
 * a SIP status for a refusal hands it back through an `int *code` argument;
 * px_status_of() maps a forwarding error to the status of its branch.
 * Lock notes: a function whose contract says "Call with c->lock held."
 * needs it (HACKING.md "Conventions").
 */
#ifndef XR_PROXY_INT_H
#define XR_PROXY_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/hash.h"
#include "common/log.h"
#include "config.h"
#include "proxy/dialog.h"
#include "proxy/location.h"
#include "proxy/registrar.h"
#include "txn/txn.h"
#include "sip/msg.h"
#include "sip/transport.h"

#define px_debug(...)	slog(LS_PROXY, LL_DEBUG, __VA_ARGS__)

#define PX_MAX_BRANCHES	XR_MAX_TARGETS		/* parallel forks of one request */
/*
 * Branches a response context holds in itself; a request forked to more
 * gets an array of PX_MAX_BRANCHES (px_fork()).  Contexts stay as long as
 * their server transaction (up to 64*T1), one or two a call: 16 inline
 * branches were 900 of a context's 1,024 bytes, nearly always unused.
 */
#define PX_INLINE_BRANCHES	2
#define PX_MAX_ROUTES	16			/* Route values we look at */
#define PX_BUF		(SIP_MAX_MSG + 8192)	/* a message plus our additions */
#define PX_ALLOW	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, " \
			"UPDATE, PRACK, SUBSCRIBE, NOTIFY, REFER, MESSAGE\r\n"
#define PX_BODY_MAX	(SIP_MAX_MSG_SIZE + 4096)	/* a rewritten SDP body */

extern const struct xr_config	*px_cfg;	/* the start-up configuration */
extern struct reg_cfg		 px_reg;	/* the registrar's view of it */

/* Counters for `xrelayctl stats` (relaxed atomics): the XR_PX rows of sip/counters.def. */
struct px_stats {
#define XR_PX(field, key, metric, help)	uint64_t field;
#include "sip/counters.def"
};
extern struct px_stats px_stats;
#define PX_INC(f)	__atomic_add_fetch(&px_stats.f, 1, __ATOMIC_RELAXED)

/*
 * Where the handling of one message builds, on its handler's stack (nothing
 * thread-local, nothing kept): the message to send, a rewritten SDP body.
 */
struct px_out {
	char	msg[PX_BUF];
	char	sdp[PX_BODY_MAX];
};

/* ---- contexts handed to the transaction layer ------------------------------ */

enum px_kind { PX_CALL = 0x50584331, PX_BRANCH, PX_KILL };

struct px_call;

/* One client transaction of a response context (§16.2). */
struct px_branch {
	enum px_kind	 kind;		/* PX_BRANCH */
	struct px_call	*call;
	struct txn	*ct;		/* NULL until created / after gone() */
	bool		 started;	/* txn_client_new() succeeded */
	bool		 got_prov;	/* a 1xx came */
	bool		 final;		/* a final came or the branch failed */
	bool		 cancelled;	/* CANCEL sent */
	int		 code;		/* final status (or generated 408/503) */
	int		 group;		/* call_media group its offer went out in */
	bool		 to_tcp;	/* over the path MTU: sent over TCP, not UDP (§18.1.1) */
	char		*resp;		/* the final response, our Via removed; NULL: generated */
	size_t		 resp_len;
};

/* The response context of one forwarded request: the server transaction's ctx. */
struct px_call {
	enum px_kind	 kind;		/* PX_CALL */
	pthread_mutex_t	 lock;		/* recursive: txn calls may come back */
	int		 refs;		/* server txn + started branches + in-flight callbacks */
	struct txn	*st;		/* NULL after gone() */
	bool		 invite;
	bool		 forwarding;	/* branches still being created */
	bool		 parked;	/* waiting for DNS (park.c): no branch yet */
	bool		 final_sent;	/* a final went upstream (2xx: the first) */
	bool		 got_2xx;
	bool		 cancel_requested;
	int		 nbranches;
	struct px_branch *br;		/* br_inline, or PX_MAX_BRANCHES of its own */
	struct px_branch br_inline[PX_INLINE_BRANCHES];
	struct dlg	*dlg;		/* the call record (initial INVITE, or in-dialog);
					 * NULL once c is done: px_release_dlg() */
	bool		 dlg_released;	/* dlg was released: px_resp_dlg() finds it again */
	bool		 initial;	/* dlg was created by this INVITE */
	bool		 from_caller;	/* in-dialog: the request came from the caller */
	bool		 sdp;		/* the request's body went through the call's media */
	bool		 resp_sdp;	/* a response's SDP went through it already */
	union xr_sa	 up_addr;	/* where the request came from (responses go back) */
};

/* ---- §16.4 / §16.6: what every branch of one request shares ---------------- */

struct px_route {
	struct sip_str	elem;		/* the whole value: <sip:..;lr>;params */
	struct sip_uri	uri;
	int		hdr;		/* index of its header line */
	bool		ours;
};

/* What the access policy (access.c) decided for a request, for its branches. */
struct px_access {
	bool		 trusted;	/* the source is a --trusted peer */
	bool		 strip_id;	/* remove the PAI/PPI it sent (RFC 3325) */
	bool		 authenticated;	/* its credentials were checked right */
	char		 identity[LOC_AOR_MAX + 16]; /* "<sip:user@realm>" for PAI */
	int		 cred_hdr;	/* its Proxy-Authorization line to remove, -1 */
};

struct px_plan {
	struct px_route	 r[PX_MAX_ROUTES];
	int		 nr;		/* Route values read */
	int		 skip;		/* leading ones removed by §16.4 (ours) */
	bool		 strict_fix;	/* R-URI was ours: replaced by the last Route (§16.4) */
	struct sip_str	 ruri;		/* Request-URI after §16.4 */
	struct sip_uri	 ruri_u;
	bool		 record_route;
	uint64_t	 loophash;
	struct px_access acc;		/* set by px_access_request() / px_access_ack() */
};

/* What a request is answered with when it goes no further (§16.3). */
struct px_refusal {
	int		 code;
	const char	*reason;	/* NULL: the standard phrase */
	char		 extra[512];	/* header lines to add, each ending CRLF, or "" */
};

/* §16.5: one target of a request. */
struct px_target {
	char		uri[LOC_URI_MAX];
	uint64_t	conn_id;	/* TCP connection the binding came over */
};

/* The scratch of one request: its Route plan, targets, bindings, SDP. */
struct px_req {
	struct px_plan		p;
	struct px_target	tg[PX_MAX_BRANCHES];
	struct loc_binding	lb[PX_MAX_BRANCHES];
	char			sdp[PX_BODY_MAX];	/* not zeroed: written before read */
};

/*
 * scratch.c: the big per-message buffers (a px_req, forward.c's px_fwd, a
 * reply being built) come from per-thread spares of this size.
 */
#define PX_SCRATCH_SIZE	(128 * 1024)
_Static_assert(sizeof(struct px_req) <= PX_SCRATCH_SIZE, "px_req over PX_SCRATCH_SIZE");
_Static_assert(PX_BUF <= PX_SCRATCH_SIZE, "PX_BUF over PX_SCRATCH_SIZE");
void	*px_scratch_get(void);
void	 px_scratch_put(void *buf);

/* h extended by one field, a SIP string (absent: empty). */
static inline uint64_t
px_hash_str(uint64_t h, struct sip_str s)
{
	return xr_fnv64_field(h, s.s, s.len > 0 ? (size_t)s.len : 0);
}

/* proxy.c */
void	px_call_get(struct px_call *c);
void	px_call_put(struct px_call *c);
struct px_call *px_call_new(struct txn *st, bool invite);
void	px_ctx_close(struct px_call *c);
void	px_request_fork(struct px_call *c, struct txn *st, const struct sip_msg *m,
			const struct sip_src *src, struct px_req *rq, int n, struct dlg **d,
			bool from_caller, bool in_dialog);

/* park.c: requests waiting for DNS */
int	px_park(struct px_call *c, struct px_req *rq, int n, struct dlg **d, bool from_caller,
		bool in_dialog);
int	px_park_init(const struct xr_config *cfg);
void	px_park_stop(void);
void	px_park_fini(void);
bool	px_hop_host(const struct sip_uri *u, char *host, size_t cap);

/* validate.c: pure functions of the request and px_cfg */
bool	px_is_our_hostport(struct sip_str host, int port);
bool	px_uri_is_ours(const struct sip_uri *u);
bool	px_host_is_our_addr(struct sip_str host);
bool	px_ruri_is_ours(const struct sip_uri *u);
uint64_t px_loop_hash(const struct sip_msg *m);
bool	px_is_loop(const struct sip_msg *m, uint64_t lh);
int	px_plan_routes(const struct sip_msg *m, struct px_plan *p);
bool	px_dialog_creating(const struct sip_msg *m);
int	px_check_request(const struct sip_msg *m, bool to_us, uint64_t *lh,
			 struct px_refusal *r);

/* forward.c */
int	px_resolve(const struct sip_uri *u, struct sip_dest *d);
int	px_next_hop(const struct px_plan *p, struct sip_str target, struct sip_uri *tu,
		    struct sip_uri *hop);
int	px_hop_addr(const struct px_plan *p, const char *target, union xr_sa *addr);
bool	px_mtu_needs_tcp(int n, int mtu);
int	px_forward(const struct sip_msg *m, const struct sip_src *src, const struct px_plan *p,
		   struct sip_str target, uint64_t hint_conn, const struct sip_str *body,
		   struct px_branch *br);
int	px_status_of(int err);

/* targets.c */
int	px_static_targets(const char *aor, bool ours, struct px_target *t, int max);
bool	px_dialog_target(const struct sip_msg *m, char *uri, size_t cap, uint64_t *conn_id);
int	px_targets(struct txn *st, const struct sip_msg *m, const struct px_plan *p,
		   bool ruri_ours, bool in_dialog, struct px_target *tg, struct loc_binding *lb,
		   int n);
int	px_fork(struct px_call *c, struct txn *st, const struct sip_msg *m,
		const struct sip_src *src, const struct px_plan *p, const struct px_target *tg,
		int n, char *sdp, size_t sdp_cap);

/* reply.c */
int	px_reply(struct txn *st, const struct sip_msg *m, int code, const char *reason,
		 const char *extra);
int	px_reply_stateless(const struct sip_msg *m, const struct sip_src *src, int code,
			   const char *reason, const char *extra);
int	px_best(const struct px_call *c);
void	px_cancel_pending(struct px_call *c);
void	px_maybe_finish(struct px_call *c);
void	px_release_dlg(struct px_call *c);
void	px_on_response(struct txn *ct, void *ctx, const struct sip_msg *msg,
		       const struct sip_src *src);
void	px_on_failure(struct txn *ct, void *ctx, int code, enum txn_reason why);
void	px_on_gone(struct txn *t, void *ctx, enum txn_reason why);
void	px_on_stray_response(const struct sip_msg *msg, const struct sip_src *src);

/* ack_cancel_bye.c */
void	px_on_cancel(struct txn *st, struct txn *inv, const struct sip_msg *m);
void	px_on_ack(const struct sip_msg *m, const struct sip_src *src);
void	px_end_call(const struct dlg_info *di, const char *why, int *r1, int *r2);
int	px_kill_pending(struct dlg *d);

/* access.c: the access policy on one request (policy/, auth/) */
struct sip_edit;
/*
 * The verdict for m (after §16.4 planning; ruri_ours: p->ruri_u names us):
 * 0 to go on (p->acc filled), or -EACCES when m was answered (401/403/407)
 * or is to be dropped.
 */
int	px_access_request(struct txn *st, const struct sip_msg *m, const struct sip_src *src,
			  struct px_plan *p, bool ruri_ours);
/* The same for an ACK routed statelessly: false when it must be dropped. */
bool	px_access_ack(const struct sip_msg *m, const struct sip_src *src, struct px_plan *p,
		      bool ruri_ours);
/* May m go to next hop dst?  0, or -EACCES (counted, logged; the branch gets 403). */
int	px_access_dest(const struct px_plan *p, const union xr_sa *dst, struct sip_str what);
/* Identity edits (RFC 3325) and consumed credentials for a copy going to next. */
void	px_access_edit(struct sip_edit *e, const struct sip_msg *m, const struct px_plan *p,
		       const union xr_sa *next);
/* Remove every P-Asserted-Identity / P-Preferred-Identity of m (RFC 3325 §5). */
void	px_access_strip_id(struct sip_edit *e, const struct sip_msg *m);
/* For cm_set_dest_check(): pol_dest() with the trust of the message's sender. */
const char *px_access_media_dest(const union xr_sa *a);

/* limits.c: the bounds of issue 14 (README "Limits") */
#define PX_RETRY_AFTER	"Retry-After: 10\r\n"	/* in our 503s over a limit */
/* live is at or over max (0: no bound); reserve: an eighth more allowed.  Pure. */
bool	px_over_limit(unsigned long live, int max, bool reserve);
/* n targets cut to max (0: no bound).  Pure. */
int	px_cap_targets(int n, int max);
/* txn_tu_ops.admit: --max-transactions (a stateless 503 over it). */
bool	px_admit(const struct sip_msg *m, const struct sip_src *src);
/* --max-calls of the running configuration. */
int	px_max_calls(void);
/* An initial INVITE while --max-calls are up: answered 503 (counted); true. */
bool	px_calls_full(struct txn *st, const struct sip_msg *m, const struct sip_src *src);
/* Answer st 503 + Retry-After for --max-calls (max), counted and logged. */
void	px_refuse_call(struct txn *st, const struct sip_msg *m, const struct sip_src *src,
		       int max);
/* The n targets of m cut to --max-branches (counted, logged when cut). */
int	px_limit_targets(const struct sip_msg *m, int n);
/* A digest check from src came out ok or failed: --auth-fail-ban's count. */
void	px_auth_outcome(const struct sip_src *src, bool ok);
/* Caller source addresses holding media sessions now. */
unsigned px_media_sources(void);
int	px_limits_init(void);
void	px_limits_fini(void);

/* proxy_ctl.c */
void	px_ctl_init(void);
void	px_ctl_fini(void);

/* sweep.c */
int	px_sweep_start(void);
void	px_sweep_stop(void);

#endif /* XR_PROXY_INT_H */
