// SPDX-License-Identifier: GPL-2.0
/*
 * proxy.c - the transaction user: RFC 3261 §16 stateful proxy core (request
 * validation, Route pre-processing, target determination, forwarding with
 * Record-Route, parallel forking, response context and best-response
 * choice, CANCEL), stateless forwarding of ACK-for-2xx and stray 2xx, the
 * §10 registrar entry, the `regs`/`calls`/`call.show`/`call.kill` control
 * commands and the sweep thread for expired bindings.  The transaction layer
 * (txn.h) owns retransmissions and timers; location.c, registrar.c and
 * dialog.c own their tables.
 *
 * OUR implementation, where it differs from §16:
 *  - §16.3 step 6 (Proxy-Authorization): not done (no authentication of
 *    our own); §16.7 step 7 is: challenges of 401/407 branches are merged.
 *  - §16.5: every target is forked in parallel (no sequential search by q).
 *  - §16.6 step 7 / §16.10: a CANCEL no INVITE server transaction matches
 *    gets 481 instead of being forwarded statelessly.
 *  - Host names in next hops are resolved with getaddrinfo() on the worker
 *    (A/AAAA only, no NAPTR/SRV from RFC 3263).
 *  - A request for our own address with no user part (a ping) gets 200 for
 *    OPTIONS and 404 for other methods.
 *  - Record-Route is added to dialog-creating requests only (INVITE,
 *    SUBSCRIBE, REFER, NOTIFY with no To tag).
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <urcu.h>

#include "common/addr.h"
#include "common/log.h"
#include "config.h"
#include "ctl/commands.h"
#include "ctl/ctl.h"
#include "media/media.h"
#include "proxy/call_media.h"
#include "proxy/dialog.h"
#include "proxy/location.h"
#include "proxy/proxy.h"
#include "proxy/registrar.h"
#include "proxy/txn.h"
#include "sip/build.h"
#include "sip/msg.h"
#include "sip/transport.h"

#define px_debug(...)	slog(LS_PROXY, LL_DEBUG, __VA_ARGS__)

#define PX_MAX_BRANCHES	XR_MAX_TARGETS		/* parallel forks of one request */
#define PX_MAX_ROUTES	16			/* Route values we look at */
#define PX_BUF		(SIP_MAX_MSG + 8192)	/* a message plus our additions */
#define PX_SWEEP_MS	1000			/* expiry sweep period */
#define PX_DLG_MAX_AGE	(200 * 1000)		/* unanswered dialog records: > Timer C */

static const struct xr_config	*px_cfg;
static struct reg_cfg		 px_reg;

/* Counters for `xrelayctl stats` (relaxed atomics). */
static struct {
	uint64_t	requests, forwarded, local_replies, registers, acks_fwd,
			stray_fwd, cancels, loops, kills, sdp_errors, media_timeouts, forks;
} px_stats;
#define PX_INC(f)	__atomic_add_fetch(&px_stats.f, 1, __ATOMIC_RELAXED)

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
	bool		 final_sent;	/* a final went upstream (2xx: the first) */
	bool		 got_2xx;
	bool		 cancel_requested;
	int		 nbranches;
	struct px_branch br[PX_MAX_BRANCHES];
	struct dlg	*dlg;		/* the call record (initial INVITE, or in-dialog) */
	bool		 initial;	/* dlg was created by this INVITE */
	bool		 from_caller;	/* in-dialog: the request came from the caller */
	bool		 sdp;		/* the request's body went through the call's media */
	bool		 resp_sdp;	/* a response's SDP went through it already */
	union xr_sa	 up_addr;	/* where the request came from (responses go back) */
};

/* Context of the BYEs `call kill` sends: their responses are dropped. */
static struct { enum px_kind kind; } px_kill_ctx = { PX_KILL };

static __thread char px_buf[PX_BUF];
static __thread char px_body[SIP_MAX_MSG_SIZE + 4096];	/* a rewritten SDP body */

static void
px_call_get(struct px_call *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
}

static void
px_call_put(struct px_call *c)
{
	int i;

	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (i = 0; i < c->nbranches; i++)
		free(c->br[i].resp);
	dlg_put(c->dlg);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static struct px_call *
px_call_new(struct txn *st, bool invite)
{
	pthread_mutexattr_t ma;
	struct px_call *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&c->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	c->kind = PX_CALL;
	c->refs = 1;		/* the server transaction's, dropped in gone() */
	c->st = st;
	c->invite = invite;
	return c;
}

/* ---- who we are ------------------------------------------------------------ */

/*
 * Is host one of our --sip addresses, on port (0 = 5060; -1 = any port)?
 */
static bool
px_is_our_hostport(struct sip_str host, int port)
{
	char buf[INET6_ADDRSTRLEN + 3];
	union xr_sa sa;
	int i;

	if (host.len <= 0 || host.len >= (int)sizeof(buf))
		return false;
	sip_str_cpy(buf, sizeof(buf), host);
	if (xr_sa_parse_ip(&sa, buf) < 0)
		return false;
	if (port == 0)
		port = SIP_DEFAULT_PORT;
	for (i = 0; i < px_cfg->nsip; i++)
		if (xr_sa_ip_eq(&sa, &px_cfg->sip[i]) &&
		    (port < 0 || xr_sa_port(&px_cfg->sip[i]) == port))
			return true;
	return false;
}

/* A URI this proxy put in a Record-Route, or that names this host (§16.4). */
static bool
px_uri_is_ours(const struct sip_uri *u)
{
	if (u->scheme != SIP_SCHEME_SIP && u->scheme != SIP_SCHEME_SIPS)
		return false;
	if (sip_str_present(u->maddr))
		return px_is_our_hostport(u->maddr, u->port);
	return px_is_our_hostport(u->host, u->port);
}

/* One of our --sip addresses, on any port. */
static bool
px_host_is_our_addr(struct sip_str host)
{
	return px_is_our_hostport(host, -1);
}

/* A To tag for responses we generate: the same for every retransmission. */
static struct sip_str
px_totag(const struct sip_msg *m, char *buf, size_t cap)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	struct sip_str parts[3] = { m->call_id, m->from.tag, m->via1.branch };
	int i, j;

	for (i = 0; i < 3; i++) {
		for (j = 0; j < parts[i].len; j++) {
			h ^= (unsigned char)parts[i].s[j];
			h *= 0x100000001b3ULL;
		}
		h ^= 0xff;
		h *= 0x100000001b3ULL;
	}
	snprintf(buf, cap, "xr%016" PRIx64, h);
	return sip_str_mk(buf, (int)strlen(buf));
}

/*
 * Answer server transaction st (request m) ourselves, with optional extra
 * header lines.  Returns what txn_respond() returned.
 */
static int
px_reply(struct txn *st, const struct sip_msg *m, int code, const char *reason,
	 const char *extra)
{
	char tag[32];
	struct sip_str totag = px_totag(m, tag, sizeof(tag));
	struct sip_str ex = extra ? sip_str_mk(extra, (int)strlen(extra)) : (struct sip_str){ 0 };
	char *out = malloc(PX_BUF);
	int n;

	if (!out)
		return txn_reply(st, code, reason);
	n = sip_build_response(out, PX_BUF, m, code, reason, code > 100 ? &totag : NULL,
			       extra ? &ex : NULL, NULL, NULL);
	if (n < 0) {
		free(out);
		return txn_reply(st, code, reason);
	}
	PX_INC(local_replies);
	n = txn_respond(st, code, out, (size_t)n);
	free(out);
	return n;
}

/* ---- next hops --------------------------------------------------------------- */

/*
 * Where a request for URI u goes (RFC 3263 reduced to A/AAAA): maddr or host,
 * the port or 5060, UDP unless ;transport=tcp.  0 or -errno.
 */
static int
px_resolve(const struct sip_uri *u, struct sip_dest *d)
{
	char host[256];
	struct addrinfo hints = { 0 }, *res = NULL;
	struct sip_str h = sip_str_present(u->maddr) ? u->maddr : u->host;
	int port = u->port ? u->port : SIP_DEFAULT_PORT;

	memset(d, 0, sizeof(*d));
	d->sock = -1;
	d->tp = SIP_TP_UDP;
	if (u->scheme == SIP_SCHEME_SIPS)
		return -EPROTONOSUPPORT;	/* no TLS */
	if (u->scheme != SIP_SCHEME_SIP)
		return -EPROTONOSUPPORT;
	if (sip_str_present(u->transport)) {
		if (sip_str_caseeq_cstr(u->transport, "tcp"))
			d->tp = SIP_TP_TCP;
		else if (!sip_str_caseeq_cstr(u->transport, "udp"))
			return -EPROTONOSUPPORT;
	}
	if (h.len <= 0 || h.len >= (int)sizeof(host))
		return -EINVAL;
	sip_str_cpy(host, sizeof(host), h);
	if (xr_sa_parse_ip(&d->addr, host) == 0) {
		xr_sa_set_port(&d->addr, (uint16_t)port);
		return 0;
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
		return -EHOSTUNREACH;
	memcpy(&d->addr, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	xr_sa_set_port(&d->addr, (uint16_t)port);
	return 0;
}

/* ---- §16.3 step 4: loop detection ------------------------------------------ */

static void
fnv(uint64_t *h, struct sip_str s)
{
	int i;

	for (i = 0; i < s.len; i++) {
		*h ^= (unsigned char)s.s[i];
		*h *= 0x100000001b3ULL;
	}
	*h ^= 0xff;
	*h *= 0x100000001b3ULL;
}

/*
 * The part of our branch that detects loops (§16.6 step 8): a hash of what
 * identifies the request as it reached us, except the top Via (a looped
 * request has ours there).  A spiral changes the Request-URI, a loop does not.
 */
static uint64_t
px_loop_hash(const struct sip_msg *m)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const struct sip_hdr *hd;
	char num[16];

	fnv(&h, m->ruri);
	fnv(&h, m->from.tag);
	fnv(&h, m->to.tag);
	fnv(&h, m->call_id);
	snprintf(num, sizeof(num), "%u", m->cseq);
	fnv(&h, sip_str_mk(num, (int)strlen(num)));
	for (hd = sip_msg_hdr(m, SIP_HDR_PROXY_REQUIRE); hd; hd = sip_msg_hdr_next(m, hd))
		fnv(&h, hd->value);
	for (hd = sip_msg_hdr(m, SIP_HDR_PROXY_AUTHORIZATION); hd; hd = sip_msg_hdr_next(m, hd))
		fnv(&h, hd->value);
	return h;
}

/* Did this very request pass through us already (a Via of ours with our hash)? */
static bool
px_is_loop(const struct sip_msg *m, uint64_t lh)
{
	struct sip_iter it = { 0 };
	struct sip_via v;
	char want[20];
	const char *dash;
	int r, n = 0;

	snprintf(want, sizeof(want), "%016" PRIx64, lh);
	while ((r = sip_msg_via_next(m, &it, &v)) == 1 && n++ < 64) {
		if (!px_is_our_hostport(v.host, v.port) || v.branch.len < 17)
			continue;
		dash = v.branch.s + v.branch.len - 17;
		if (*dash == '-' && memcmp(dash + 1, want, 16) == 0)
			return true;
	}
	return false;
}

/* ---- §16.4 / §16.6: what every branch of one request shares ---------------- */

struct px_route {
	struct sip_str	elem;		/* the whole value: <sip:..;lr>;params */
	struct sip_uri	uri;
	int		hdr;		/* index of its header line */
	bool		ours;
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
};

/*
 * Read the Route values and do §16.4: strict-router compatibility (our URI
 * in the Request-URI: the last Route becomes the Request-URI) and removal of
 * our own URI(s) from the top.  0, or a status to answer (400).
 */
static int
px_plan_routes(const struct sip_msg *m, struct px_plan *p)
{
	struct sip_iter it = { 0 };
	struct sip_nameaddr na;
	struct sip_str elem;
	int hdr, r;

	p->ruri = m->ruri;
	p->ruri_u = m->ruri_u;
	while ((r = sip_list_next(m, SIP_HDR_ROUTE, &it, &elem, &hdr)) == 1) {
		if (p->nr == PX_MAX_ROUTES)
			return 400;
		if (sip_nameaddr_parse(elem, &na) < 0 ||
		    sip_uri_parse(na.uri, &p->r[p->nr].uri) < 0)
			return 400;
		p->r[p->nr].elem = elem;
		p->r[p->nr].hdr = hdr;
		p->r[p->nr].ours = px_uri_is_ours(&p->r[p->nr].uri);
		p->nr++;
	}
	if (p->nr > 0 && px_uri_is_ours(&m->ruri_u)) {
		/* §16.4: a strict router before us put our Record-Route in the R-URI. */
		p->strict_fix = true;
		p->ruri = p->r[p->nr - 1].uri.raw;
		p->ruri_u = p->r[p->nr - 1].uri;
		p->nr--;
	}
	while (p->skip < p->nr && p->r[p->skip].ours)
		p->skip++;
	return 0;
}

/* A per-branch edit plus the text it points to (must outlive the build). */
struct px_fwd {
	struct sip_edit	e;
	char		via[256];
	char		rr1[160], rr2[160];
	char		rvals[PX_MAX_ROUTES][SIP_EDIT_SCRATCH];	/* rewritten Route lines */
	char		addroute[LOC_URI_MAX + 4];
};

/*
 * Remove Route values: del[i] says which of p->r.  Whole lines go with
 * sip_edit_del_hdr(); a line keeping some of its values is rewritten.
 */
static void
px_edit_routes(struct px_fwd *f, const struct px_plan *p, const bool *del)
{
	int i, j, hdr, keep, n;

	for (i = 0; i < p->nr; ) {
		hdr = p->r[i].hdr;
		keep = 0;
		n = 0;
		for (j = i; j < p->nr && p->r[j].hdr == hdr; j++) {
			n++;
			keep += !del[j];
		}
		if (keep == 0) {
			sip_edit_del_hdr(&f->e, hdr);
		} else if (keep != n) {
			char *out = f->rvals[i];
			size_t off = 0;
			int k;

			out[0] = '\0';
			for (k = i; k < j; k++) {
				if (del[k])
					continue;
				off += snprintf(out + off, SIP_EDIT_SCRATCH - off, "%s%.*s",
						off ? ", " : "", SIP_STR_FMT(p->r[k].elem));
				if (off >= SIP_EDIT_SCRATCH) {
					f->e.err = -ENOSPC;
					return;
				}
			}
			sip_edit_set_hdr(&f->e, hdr, sip_str_mk(out, (int)off));
		}
		i = j;
	}
}

/* "<sip:ADDR:PORT;lr>" or "<sip:ADDR:PORT;transport=tcp;lr>" for one of our sockets. */
static void
px_rr_value(char *buf, size_t cap, const union xr_sa *local, enum sip_tp tp)
{
	char a[XR_SA_STRLEN];

	snprintf(buf, cap, "<sip:%s%s;lr>", xr_sa_str(local, a, sizeof(a)),
		 tp == SIP_TP_TCP ? ";transport=tcp" : "");
}

/*
 * §16.6 step 7: the first hop of a request for target (absent: the
 * Request-URI after §16.4): the first Route left, else target itself.  tu
 * gets target parsed.  0, or -EINVAL when target is no URI.
 */
static int
px_next_hop(const struct px_plan *p, struct sip_str target, struct sip_uri *tu,
	    struct sip_uri *hop)
{
	if (!sip_str_present(target))
		target = p->ruri;
	if (sip_uri_parse(target, tu) < 0)
		return -EINVAL;
	*hop = p->skip < p->nr ? p->r[p->skip].uri : *tu;
	return 0;
}

/*
 * §16.6: forward m (from src) to one target, as a client transaction if st
 * is set (stateful) or statelessly (ACK for a 2xx: st NULL, branch derived
 * from the incoming one).  target is the new Request-URI (absent: keep the
 * one after §16.4); hint_conn is a TCP connection the target registered
 * over (0: none); body, when given, replaces the body (rewritten SDP).  Returns 0, or a status code for this branch (503: no
 * route / send failure, 400: the edits failed, 416: unsupported URI).
 */
static int
px_forward(const struct sip_msg *m, const struct sip_src *src, const struct px_plan *p,
	   struct sip_str target, uint64_t hint_conn, const struct sip_str *body,
	   struct px_branch *br)
{
	struct px_fwd *f;
	struct sip_uri tu, hop;
	struct sip_dest d;
	union xr_sa local;
	char branch[TXN_BRANCH_MAX], a[XR_SA_STRLEN], rr_in[160];
	bool del[PX_MAX_ROUTES] = { false };
	bool strict_next = false;
	struct txn *ct;
	int i, n, rc = 0;
	size_t bl;

	f = malloc(sizeof(*f));
	if (!f)
		return 503;
	if (!sip_str_present(target))
		target = p->ruri;
	if (px_next_hop(p, target, &tu, &hop) < 0) {
		rc = 416;
		goto out;
	}
	for (i = 0; i < p->skip; i++)
		del[i] = true;
	strict_next = p->skip < p->nr && !hop.lr;
	rc = px_resolve(&hop, &d);
	if (rc < 0) {
		px_debug("proxy: no route to %.*s: %s", SIP_STR_FMT(hop.raw), strerror(-rc));
		rc = rc == -EPROTONOSUPPORT ? 416 : 503;
		goto out;
	}
	if (hint_conn && d.tp == SIP_TP_TCP)
		d.conn_id = hint_conn;
	if (sip_tp_pick(&d, &local) < 0) {
		rc = 503;
		goto out;
	}

	sip_edit_init(&f->e, m);
	/* §16.6 step 2 (and §16.4's strict-route fix-up): the Request-URI. */
	if (strict_next) {
		/* §16.6 step 6: the next hop is a strict router. */
		del[p->skip] = true;
		sip_edit_ruri(&f->e, hop.raw);
		snprintf(f->addroute, sizeof(f->addroute), "<%.*s>", SIP_STR_FMT(target));
		sip_edit_add_hdr(&f->e, SIP_STR("Route"),
				 sip_str_mk(f->addroute, (int)strlen(f->addroute)));
	} else if (!sip_str_eq(target, m->ruri)) {
		sip_edit_ruri(&f->e, target);
	}
	if (p->strict_fix)
		del[p->nr] = true;	/* the value that became the Request-URI */
	{
		/* del[] covers p->nr values plus the strict-fix one at index p->nr. */
		struct px_plan q = *p;

		if (p->strict_fix)
			q.nr = p->nr + 1;
		px_edit_routes(f, &q, del);
	}
	/* Step 3: Max-Forwards. */
	sip_edit_dec_maxfwd(&f->e);
	if (body)
		sip_edit_body(&f->e, *body, NULL);
	/* Step 4: Record-Route, doubled when the request changes socket. */
	if (p->record_route) {
		px_rr_value(f->rr1, sizeof(f->rr1), &local, d.tp);
		sip_edit_push_rr(&f->e, sip_str_mk(f->rr1, (int)strlen(f->rr1)));
		px_rr_value(rr_in, sizeof(rr_in), &src->local, src->tp);
		if (strcmp(rr_in, f->rr1) != 0) {
			memcpy(f->rr2, rr_in, sizeof(f->rr2));
			sip_edit_push_rr(&f->e, sip_str_mk(f->rr2, (int)strlen(f->rr2)));
		}
	}
	/* RFC 3581 / §18.2.1 on the Via the request came with. */
	if (src->received[0] || src->rport)
		sip_edit_via_received(&f->e, src->received[0] ?
				      sip_str_mk(src->received, (int)strlen(src->received)) :
				      (struct sip_str){ 0 }, src->rport);
	/* Step 8: our Via, with a unique branch that carries the loop hash. */
	if (br) {
		bl = txn_branch_new(branch, sizeof(branch));
	} else {
		uint64_t h = 0xcbf29ce484222325ULL;

		fnv(&h, m->via1.branch);
		fnv(&h, m->ruri);
		bl = (size_t)snprintf(branch, sizeof(branch), "z9hG4bKxa%016" PRIx64, h);
	}
	snprintf(branch + bl, sizeof(branch) - bl, "-%016" PRIx64, p->loophash);
	snprintf(f->via, sizeof(f->via), "SIP/2.0/%s %s;branch=%s",
		 d.tp == SIP_TP_TCP ? "TCP" : "UDP", xr_sa_str(&local, a, sizeof(a)), branch);
	sip_edit_push_via(&f->e, sip_str_mk(f->via, (int)strlen(f->via)));

	n = sip_edit_build(&f->e, px_buf, sizeof(px_buf));
	if (n < 0) {
		log_ratelimited(LS_PROXY, LL_WARN, "proxy: cannot build the forwarded request: %s",
				strerror(-n));
		rc = 400;
		goto out;
	}
	if (!br) {
		rc = txn_send_stateless(&d, px_buf, (size_t)n) < 0 ? 503 : 0;
		goto out;
	}
	/* Step 10-11: a client transaction (Timer C included for INVITE). */
	ct = txn_client_new(&d, branch, px_buf, (size_t)n, br);
	if (!ct) {
		px_debug("proxy: txn_client_new: %s", strerror(errno));
		rc = 503;
		goto out;
	}
	/* A response may already have set br->ct from another worker: same value. */
	br->ct = ct;
	br->started = true;
	PX_INC(forwarded);
	rc = 0;
out:
	free(f);
	return rc;
}

/* ---- §16.7: responses -------------------------------------------------------- */

static int
px_class(int code)
{
	return code / 100;
}

/* 4xx that carry what a UAC needs to retry (§16.7 step 6). */
static bool
px_preferred_4xx(int code)
{
	return code == 401 || code == 407 || code == 415 || code == 420 || code == 484;
}

/* The "best" final among the branches' (§16.7 step 6); index, or -1. */
static int
px_best(const struct px_call *c)
{
	int i, best = -1;

	for (i = 0; i < c->nbranches; i++) {
		const struct px_branch *b = &c->br[i];

		if (!b->final || b->code < 300)
			continue;
		if (best < 0) {
			best = i;
			continue;
		}
		if (px_class(c->br[best].code) == 6)
			continue;
		if (px_class(b->code) == 6 || px_class(b->code) < px_class(c->br[best].code) ||
		    (px_class(b->code) == 4 && px_class(c->br[best].code) == 4 &&
		     px_preferred_4xx(b->code) && !px_preferred_4xx(c->br[best].code)))
			best = i;
	}
	return best;
}

/* Cancel every branch still pending (§16.7 step 10, §16.10).  Call locked. */
static void
px_cancel_pending(struct px_call *c)
{
	int i;

	if (!c->invite)
		return;
	for (i = 0; i < c->nbranches; i++) {
		struct px_branch *b = &c->br[i];

		if (b->final || b->cancelled || !b->ct)
			continue;
		b->cancelled = true;
		dlg_branch_cancelled(c->initial ? c->dlg : NULL, i);
		txn_client_cancel(b->ct);
	}
}

/*
 * §16.7 step 7: a 401/407 chosen as the best response carries the
 * WWW-Authenticate and Proxy-Authenticate values of every other 401/407
 * branch too, so the caller can answer all challenges at once.  The merged
 * response goes into px_buf; its length, or -errno (send the best as it is).
 */
static int
px_merge_challenges(struct px_call *c, int best)
{
	struct sip_msg *bm = malloc(sizeof(*bm)), *om = malloc(sizeof(*om));
	struct sip_edit *e = malloc(sizeof(*e));
	struct sip_err err;
	int i, h, added = 0, n = -ENOMEM;

	if (!bm || !om || !e)
		goto out;
	n = -EINVAL;
	if (sip_msg_parse(bm, c->br[best].resp, c->br[best].resp_len, &err) < 0)
		goto out;
	sip_edit_init(e, bm);
	for (i = 0; i < c->nbranches; i++) {
		const struct px_branch *b = &c->br[i];

		if (i == best || !b->resp || (b->code != 401 && b->code != 407) ||
		    sip_msg_parse(om, b->resp, b->resp_len, &err) < 0)
			continue;
		/* The values point into b->resp, which outlives the build. */
		for (h = 0; h < om->nhdrs; h++)
			if (om->hdrs[h].type == SIP_HDR_WWW_AUTHENTICATE ||
			    om->hdrs[h].type == SIP_HDR_PROXY_AUTHENTICATE) {
				sip_edit_add_hdr(e, om->hdrs[h].name, om->hdrs[h].value);
				added++;
			}
	}
	n = added ? sip_edit_build(e, px_buf, sizeof(px_buf)) : -ENOENT;
out:
	free(bm);
	free(om);
	free(e);
	return n;
}

/*
 * Once every branch is final and nothing final went upstream, send the best
 * (§16.7 step 6): 408 when nothing answered, 500 instead of a 503, 487
 * after a CANCEL.  Call locked.
 */
static void
px_maybe_finish(struct px_call *c)
{
	const struct sip_msg *req;
	struct px_branch *b;
	int i, n, best;

	if (c->final_sent || c->forwarding || !c->st)
		return;
	for (i = 0; i < c->nbranches; i++)
		if (!c->br[i].final)
			return;
	c->final_sent = true;
	req = txn_request(c->st);
	best = px_best(c);
	if (best < 0) {
		if (c->cancel_requested)
			txn_reply(c->st, 487, NULL);
		else
			txn_reply(c->st, c->nbranches ? 408 : 503, NULL);
	} else {
		b = &c->br[best];
		if (c->cancel_requested && b->code != 487 && px_class(b->code) != 6)
			txn_reply(c->st, 487, NULL);
		else if (b->code == 503)
			txn_reply(c->st, 500, "Server Internal Error (Next Hop Unavailable)");
		else if (b->resp && (b->code == 401 || b->code == 407) &&
			 (n = px_merge_challenges(c, best)) > 0)
			txn_respond(c->st, b->code, px_buf, (size_t)n);
		else if (b->resp)
			txn_respond(c->st, b->code, b->resp, b->resp_len);
		else if (req)
			px_reply(c->st, req, b->code, NULL, NULL);
		else
			txn_reply(c->st, b->code, NULL);
	}
	if (c->dlg && !c->got_2xx) {
		int code = best < 0 ? 408 : c->br[best].code;

		if (c->initial)
			dlg_end(c->dlg);	/* a failed INVITE ends the call */
		else if (code == 481 || code == 408)
			dlg_end(c->dlg);	/* RFC 5057: the dialog is gone */
		else if (c->sdp)
			cm_offer_failed(dlg_cm(c->dlg), c->from_caller);
	}
	for (i = 0; i < c->nbranches; i++) {
		free(c->br[i].resp);
		c->br[i].resp = NULL;
	}
}

/* Remove our Via from response msg (and give it body, if set) into px_buf; length or -errno. */
static int
px_strip_via(const struct sip_msg *msg, const struct sip_str *body)
{
	struct sip_edit e;

	sip_edit_init(&e, msg);
	sip_edit_pop_via(&e);
	if (body)
		sip_edit_body(&e, *body, NULL);
	return sip_edit_build(&e, px_buf, sizeof(px_buf));
}

/*
 * The SDP of response msg (to c's request) through the call's media: the
 * kernel entries change before the response goes upstream.  Sets *body to
 * the rewritten body, or leaves it NULL (no SDP, or it could not be
 * anchored: forwarded as it came, and logged).  Call locked.
 */
static void
px_response_sdp(struct px_call *c, struct px_branch *b, const struct sip_msg *msg,
		struct sip_str *store, struct sip_str **body)
{
	enum cm_mode mode;
	char err[160];
	size_t blen;
	int rc;

	*body = NULL;
	if (!c->dlg || msg->body.len <= 0 || msg->status <= 100 || msg->status >= 300)
		return;
	/*
	 * RFC 3264/6337: a response to a request that offered can only answer
	 * (or repeat the answer); one to a request without SDP offers, once.
	 * After a 2xx: a retransmission, or another fork's answer: same ports.
	 */
	mode = c->got_2xx ? CM_REPLAY : c->sdp ? CM_ANSWER : c->resp_sdp ? CM_REPLAY : CM_NEW;
	/* A reliable provisional (RFC 3262, RSeq) completes an exchange like a 2xx. */
	rc = cm_body(dlg_cm(c->dlg), msg, !c->from_caller,
		     msg->status >= 200 || sip_msg_hdr_by_name(msg, "RSeq") != NULL, mode,
		     &c->up_addr, &b->group, px_body, sizeof(px_body), &blen, err, sizeof(err));
	if (rc >= 0)
		c->resp_sdp = true;
	if (rc == 1) {
		*store = sip_str_mk(px_body, (int)blen);
		*body = store;
	} else if (rc < 0) {
		PX_INC(sdp_errors);
		log_ratelimited(LS_PROXY, LL_WARN, "proxy: SDP in a %d for Call-ID %.*s not "
				"anchored: %s", msg->status, SIP_STR_FMT(msg->call_id), err);
	}
}

static void
px_on_response(struct txn *ct, void *ctx, const struct sip_msg *msg,
	       const struct sip_src *src)
{
	struct px_branch *b = ctx;
	struct sip_str store, *body;
	struct px_call *c;
	int n, code = msg->status;

	if (!b || b->kind != PX_BRANCH)
		return;		/* a `call kill` BYE: nothing to do */
	c = b->call;
	px_call_get(c);
	pthread_mutex_lock(&c->lock);
	if (!b->ct)
		b->ct = ct;
	body = NULL;
	if (code >= 200 || !c->final_sent)
		px_response_sdp(c, b, msg, &store, &body);
	n = px_strip_via(msg, body);
	if (n < 0) {
		log_ratelimited(LS_PROXY, LL_WARN, "proxy: cannot strip our Via: %s",
				strerror(-n));
		goto out;
	}
	if (c->initial && msg->cseq_method == SIP_METHOD_INVITE) {
		dlg_on_response(c->dlg, msg, src, px_uri_is_ours);
		dlg_branch_status(c->dlg, (int)(b - c->br), code, msg->to.tag);
	}
	if (code < 200) {
		b->got_prov = true;
		if (!c->final_sent && c->st)
			txn_respond(c->st, code, px_buf, (size_t)n);
		/* A CANCEL asked for before this branch had answered anything. */
		if (c->cancel_requested && !b->cancelled) {
			b->cancelled = true;
			dlg_branch_cancelled(c->initial ? c->dlg : NULL, (int)(b - c->br));
			txn_client_cancel(ct);
		}
	} else if (code < 300) {
		/* §16.7 step 5 / RFC 6026: every 2xx goes upstream at once. */
		bool sent = false;

		b->final = true;
		b->code = code;
		if (c->st && (c->invite || !c->final_sent))
			sent = txn_respond(c->st, code, px_buf, (size_t)n) == 0;
		if (!sent && c->invite)
			txn_forward_response(px_buf, (size_t)n);
		c->final_sent = true;
		if (!c->got_2xx) {
			c->got_2xx = true;
			if (c->initial)
				cm_touch(dlg_cm(c->dlg));	/* answered: silence counts from now */
			px_cancel_pending(c);
		}
	} else if (!b->final) {
		b->final = true;
		b->code = code;
		b->resp = c->final_sent ? NULL : malloc((size_t)n);
		if (b->resp) {
			memcpy(b->resp, px_buf, (size_t)n);
			b->resp_len = (size_t)n;
		}
		if (px_class(code) == 6)
			px_cancel_pending(c);	/* §16.7 step 5: 6xx ends the search */
		px_maybe_finish(c);
	}
out:
	pthread_mutex_unlock(&c->lock);
	px_call_put(c);
}

static void
px_on_failure(struct txn *ct, void *ctx, int code, enum txn_reason why)
{
	struct px_branch *b = ctx;
	struct px_call *c;

	if (!b || b->kind != PX_BRANCH)
		return;
	c = b->call;
	px_call_get(c);
	pthread_mutex_lock(&c->lock);
	if (why == TXN_TIMER_C && b->got_prov && !b->cancelled) {
		/* §16.8: Timer C after a provisional: CANCEL the branch, treat it as 408. */
		b->cancelled = true;
		txn_client_cancel(ct);
	}
	if (!b->final) {
		b->final = true;
		b->code = code;
		if (c->initial)
			dlg_branch_status(c->dlg, (int)(b - c->br), code, (struct sip_str){ 0 });
		px_maybe_finish(c);
	}
	pthread_mutex_unlock(&c->lock);
	px_call_put(c);
}

static void
px_on_gone(struct txn *t, void *ctx, enum txn_reason why)
{
	struct px_branch *b;
	struct px_call *c;

	if (!ctx)
		return;
	switch (*(enum px_kind *)ctx) {
	case PX_BRANCH:
		b = ctx;
		c = b->call;
		pthread_mutex_lock(&c->lock);
		b->ct = NULL;
		if (!b->final) {
			/* Gone without a final or failure (killed): count it as 408. */
			b->final = true;
			b->code = 408;
			px_maybe_finish(c);
		}
		pthread_mutex_unlock(&c->lock);
		px_call_put(c);
		break;
	case PX_CALL:
		c = ctx;
		if (c->initial)
			dlg_set_owner(c->dlg, NULL);	/* before c can go */
		pthread_mutex_lock(&c->lock);
		c->st = NULL;
		/* Nothing can be sent upstream any more: stop the branches. */
		if (!c->final_sent)
			px_cancel_pending(c);
		pthread_mutex_unlock(&c->lock);
		px_call_put(c);
		break;
	default:
		break;
	}
}

/* A response no client transaction knows: forward a 2xx to INVITE statelessly. */
static void
px_on_stray_response(const struct sip_msg *msg, const struct sip_src *src)
{
	struct sip_str store, *body = NULL;
	char err[160];
	struct dlg *d;
	size_t blen;
	bool fc;
	int n;

	if (msg->status < 200 || msg->status >= 300 || msg->cseq_method != SIP_METHOD_INVITE ||
	    msg->nvia < 2 || !px_is_our_hostport(msg->via1.host, msg->via1.port))
		return;
	/* A retransmitted 2xx carries the SDP it carried: the same ports again. */
	d = msg->body.len > 0 ? dlg_find(msg->call_id, msg->from.tag, msg->to.tag, &fc) : NULL;
	if (d) {
		if (cm_body(dlg_cm(d), msg, !fc, true, CM_REPLAY, NULL, NULL, px_body,
			    sizeof(px_body), &blen, err, sizeof(err)) == 1) {
			store = sip_str_mk(px_body, (int)blen);
			body = &store;
		}
		dlg_put(d);
	}
	n = px_strip_via(msg, body);
	if (n > 0 && txn_forward_response(px_buf, (size_t)n) == 0)
		PX_INC(stray_fwd);
}

/* ---- §16.3 request validation -------------------------------------------- */

/*
 * §16.3 steps 1-5 (step 6, authorization, is not done).  Returns 0 when the
 * request may go on, or the status answered (the reply is sent here).
 * lh is the loop hash (computed here, needed by the forwarder).
 */
static int
px_validate(struct txn *st, const struct sip_msg *m, bool to_us, uint64_t *lh)
{
	char extra[512];
	struct sip_iter it = { 0 };
	struct sip_str tok;
	struct sip_err err;
	size_t off = 0;

	/* Step 1: syntax (the parser did most) and the mandatory headers. */
	if (sip_msg_check_request(m, &err) < 0) {
		px_reply(st, m, err.code ? err.code : 400, err.reason, NULL);
		return 400;
	}
	/* Step 2: the URI scheme. */
	if (m->ruri_u.scheme != SIP_SCHEME_SIP && m->ruri_u.scheme != SIP_SCHEME_SIPS) {
		px_reply(st, m, 416, NULL, NULL);
		return 416;
	}
	/* Step 3: Max-Forwards (an OPTIONS for us is answered, §11 / §16.3). */
	if (m->max_forwards == 0) {
		if (m->method == SIP_METHOD_OPTIONS && to_us) {
			px_reply(st, m, 200, NULL,
				 "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, "
				 "UPDATE, PRACK, SUBSCRIBE, NOTIFY, REFER, MESSAGE\r\n"
				 "Accept: application/sdp\r\n");
			return 200;
		}
		px_reply(st, m, 483, NULL, NULL);
		return 483;
	}
	/* Step 4: loop detection. */
	*lh = px_loop_hash(m);
	if (px_is_loop(m, *lh)) {
		PX_INC(loops);
		px_reply(st, m, 482, NULL, NULL);
		return 482;
	}
	/* Step 5: Proxy-Require: we support no extension. */
	while (sip_msg_token_next(m, SIP_HDR_PROXY_REQUIRE, &it, &tok) == 1 &&
	       off + (size_t)tok.len + 20 < sizeof(extra))
		off += snprintf(extra + off, sizeof(extra) - off, "Unsupported: %.*s\r\n",
				SIP_STR_FMT(tok));
	if (off) {
		px_reply(st, m, 420, NULL, extra);
		return 420;
	}
	return 0;
}

/* ---- §16.5 targets --------------------------------------------------------- */

struct px_target {
	char		uri[LOC_URI_MAX];
	uint64_t	conn_id;	/* TCP connection the binding came over */
};

/* Static --route targets for AOR (or user, when the domain is ours). */
static int
px_static_targets(const char *aor, bool ours, struct px_target *t, int max)
{
	const char *at = strchr(aor, '@');
	size_t ulen = at ? (size_t)(at - aor) : strlen(aor);
	const struct xr_config *cfg;
	int i, j, n = 0;

	/* The routes of the running configuration (a SIGHUP may replace them). */
	rcu_read_lock();
	cfg = config_live();
	if (!cfg)
		cfg = px_cfg;
	for (i = 0; i < cfg->nroutes; i++) {
		const struct xr_route *r = &cfg->routes[i];

		if (strcasecmp(r->aor, aor) != 0 &&
		    !(ours && !strchr(r->aor, '@') && strlen(r->aor) == ulen &&
		      strncmp(r->aor, aor, ulen) == 0))
			continue;
		for (j = 0; j < r->ntargets && n < max; j++) {
			snprintf(t[n].uri, sizeof(t[n].uri), "%s", r->targets[j]);
			t[n].conn_id = 0;
			n++;
		}
		break;
	}
	rcu_read_unlock();
	return n;
}

/* ---- requests -------------------------------------------------------------- */

/* §16.10: CANCEL for a pending INVITE. */
static void
px_on_cancel(struct txn *st, struct txn *inv, const struct sip_msg *m)
{
	struct px_call *c;
	void *ctx;

	PX_INC(cancels);
	if (!inv) {
		px_reply(st, m, 481, NULL, NULL);
		return;
	}
	px_reply(st, m, 200, NULL, NULL);
	ctx = txn_get_ctx(inv);
	if (!ctx || *(enum px_kind *)ctx != PX_CALL)
		return;
	c = ctx;
	px_call_get(c);
	pthread_mutex_lock(&c->lock);
	if (!c->final_sent && !c->got_2xx) {
		c->cancel_requested = true;
		px_cancel_pending(c);
		px_maybe_finish(c);
	}
	pthread_mutex_unlock(&c->lock);
	px_call_put(c);
}

static void
px_register(struct txn *st, const struct sip_msg *m, const struct sip_src *src)
{
	struct reg_result *res = malloc(sizeof(*res));
	struct loc_src ls = { .received = src->peer, .tp = src->tp, .conn_id = src->conn_id,
			      .sock = src->sock };
	const struct xr_config *live;
	struct reg_cfg rc;

	PX_INC(registers);
	if (!res) {
		txn_reply(st, 500, NULL);
		return;
	}
	/* The registrar's limits of the running configuration (SIGHUP may change them). */
	rc = px_reg;
	rcu_read_lock();
	live = config_live();
	if (live) {
		rc.min_expires = live->min_expires;
		rc.max_expires = live->max_expires;
		rc.default_expires = live->default_expires;
	}
	rcu_read_unlock();
	reg_handle(&rc, m, &ls, loc_now_ms(), res);
	px_reply(st, m, res->code, res->reason, res->extra_len ? res->extra : NULL);
	free(res);
}

static bool
px_dialog_creating(const struct sip_msg *m)
{
	if (m->to.tag.len > 0)
		return false;
	switch (m->method) {
	case SIP_METHOD_INVITE:
	case SIP_METHOD_SUBSCRIBE:
	case SIP_METHOD_REFER:
	case SIP_METHOD_NOTIFY:
		return true;
	default:
		return false;
	}
}

/*
 * An in-dialog request (or ACK for a 2xx) whose Request-URI names us and
 * that has no Route left: a UA that ignored our Record-Route (SIPp's
 * built-in scenarios send ACK and BYE to sip:service@proxy) still means the
 * other party of the dialog.  Its remote target (the Contact we saw from
 * it), and the TCP connection it used, from the dialog record; false when
 * no dialog matches.
 */
static bool
px_dialog_target(const struct sip_msg *m, char *uri, size_t cap, uint64_t *conn_id)
{
	struct dlg_info *di;
	const char *contact;
	const struct sip_dest *dest;
	bool from_caller, ok = false;
	struct dlg *d;

	if (m->to.tag.len <= 0)
		return false;
	d = dlg_find(m->call_id, m->from.tag, m->to.tag, &from_caller);
	if (!d)
		return false;
	di = malloc(sizeof(*di));
	if (di) {
		dlg_info_of(d, di);
		contact = from_caller ? di->callee_contact : di->caller_contact;
		dest = from_caller ? &di->callee_dest : &di->caller_dest;
		if (contact[0] && strlen(contact) < cap) {
			memcpy(uri, contact, strlen(contact) + 1);
			*conn_id = dest->tp == SIP_TP_TCP ? dest->conn_id : 0;
			ok = true;
		}
		free(di);
	}
	dlg_put(d);
	return ok;
}

/*
 * Where a request for target goes first (§16.6 step 7: the next Route
 * left, else the target): the receiving party's address as far as we can
 * tell, which picks the relay address its SDP will name.  0 or -errno.
 */
static int
px_hop_addr(const struct px_plan *p, const char *target, union xr_sa *addr)
{
	struct sip_uri tu, hop;
	struct sip_dest d;
	int rc;

	rc = px_next_hop(p, sip_str_mk(target, (int)strlen(target)), &tu, &hop);
	if (rc == 0)
		rc = px_resolve(&hop, &d);
	if (rc == 0)
		*addr = d.addr;
	return rc;
}

/*
 * The SDP of request m through the call's media, for branch b going to
 * target (offer, or the answer in an ACK/PRACK); *body set to the rewritten
 * body when 1 is returned.  The first branch (first) runs the offer/answer
 * machine; the others of a fork get the same offer through the relay
 * address that faces them.  When the first cannot be anchored the request
 * is refused here (488 with a Warning; 503 when the port range is
 * exhausted), a new call record is ended, and -errno returned; a later
 * branch that cannot be anchored fails alone (503).  Call locked.
 */
static int
px_request_sdp(struct px_call *c, struct px_branch *b, bool first, struct txn *st,
	       const struct sip_msg *m, const struct px_plan *p, const char *target,
	       struct sip_str *body)
{
	char err[160], warn[240];
	union xr_sa hint;
	bool have_hint;
	size_t blen;
	int rc, code;

	have_hint = px_hop_addr(p, target, &hint) == 0;
	rc = cm_body(dlg_cm(c->dlg), m, c->from_caller, true, first ? CM_NEW : CM_BRANCH,
		     have_hint ? &hint : NULL, &b->group, px_body, sizeof(px_body), &blen,
		     err, sizeof(err));
	if (rc == 1)
		*body = sip_str_mk(px_body, (int)blen);
	if (rc >= 0) {
		if (first)
			c->sdp = rc == 1;
		return rc;
	}
	PX_INC(sdp_errors);
	code = rc == -ENOSPC ? 503 : rc == -ENOMEM ? 500 : 488;
	log_ratelimited(LS_PROXY, LL_WARN, "proxy: %.*s for Call-ID %.*s to %s refused with %d: "
			"%s", SIP_STR_FMT(m->method_str), SIP_STR_FMT(m->call_id), target, code,
			err);
	if (!first)
		return rc;
	for (char *q = err; *q; q++)
		if (*q == '"' || *q == '\\' || (unsigned char)*q < 0x20)
			*q = '\'';
	snprintf(warn, sizeof(warn), "Warning: 399 xrelay \"%s\"\r\n", err);
	px_reply(st, m, code, NULL, warn);
	if (c->initial)
		dlg_end(c->dlg);
	return rc;
}

static void
px_on_request(struct txn *st, struct txn *inv, const struct sip_msg *m,
	      const struct sip_src *src)
{
	struct px_target *tg = NULL;
	struct loc_binding *lb = NULL;
	struct px_plan *p = NULL;
	struct px_call *c = NULL;
	char aor[LOC_AOR_MAX];
	bool ruri_ours, in_dialog, from_caller = true;
	struct sip_str body, *body_p = NULL;
	int i, n = 0, rc;
	uint64_t lh = 0;
	struct dlg *d = NULL;

	PX_INC(requests);
	if (m->method == SIP_METHOD_CANCEL) {
		px_on_cancel(st, inv, m);
		return;
	}
	/* Set the response context up first, so a CANCEL racing us finds it. */
	if (m->method == SIP_METHOD_INVITE) {
		c = px_call_new(st, true);
		if (!c) {
			txn_reply(st, 500, NULL);
			return;
		}
		c->forwarding = true;
		px_call_get(c);		/* ours until this function returns */
		txn_set_ctx(st, c);
	}
	p = calloc(1, sizeof(*p));
	tg = calloc(PX_MAX_BRANCHES, sizeof(*tg));
	lb = calloc(PX_MAX_BRANCHES, sizeof(*lb));
	if (!p || !tg || !lb) {
		txn_reply(st, 500, NULL);
		goto out;
	}

	ruri_ours = m->ruri_u.scheme == SIP_SCHEME_SIP &&
		    (reg_domain_is_ours(&px_reg, m->ruri_u.host) ||
		     px_host_is_our_addr(m->ruri_u.host));
	if (px_validate(st, m, ruri_ours && !sip_str_present(m->ruri_u.user) &&
			m->first[SIP_HDR_ROUTE] < 0, &lh) != 0)
		goto out;
	if (m->method == SIP_METHOD_INVITE)
		txn_reply(st, 100, NULL);	/* §16.2: at once, before any lookup */

	/* §16.4 Route information pre-processing. */
	rc = px_plan_routes(m, p);
	if (rc) {
		px_reply(st, m, rc, "Bad Route Header", NULL);
		goto out;
	}
	p->loophash = lh;
	p->record_route = px_dialog_creating(m);
	ruri_ours = p->ruri_u.scheme == SIP_SCHEME_SIP &&
		    (reg_domain_is_ours(&px_reg, p->ruri_u.host) ||
		     px_host_is_our_addr(p->ruri_u.host));
	in_dialog = m->to.tag.len > 0;

	/* §10.3 step 1: a REGISTER for a domain we serve is ours to answer. */
	if (m->method == SIP_METHOD_REGISTER && ruri_ours && p->skip == p->nr) {
		px_register(st, m, src);
		goto out;
	}

	/* A dialog's request sent to us with no Route left: to the other party. */
	if (in_dialog && ruri_ours && p->skip == p->nr &&
	    px_dialog_target(m, tg[0].uri, sizeof(tg[0].uri), &tg[0].conn_id))
		n = 1;

	/*
	 * In-dialog requests: the call record learns CSeqs, a BYE ends it (and
	 * its media) at once; others keep it for their SDP and responses.
	 */
	if (in_dialog) {
		d = dlg_find(m->call_id, m->from.tag, m->to.tag, &from_caller);
		if (d) {
			dlg_note_cseq(d, from_caller, m->cseq);
			if (m->method == SIP_METHOD_BYE) {
				dlg_end(d);
				dlg_put(d);
				d = NULL;
			}
		}
	}

	/* §16.5 target set. */
	if (n > 0) {
		/* the dialog's remote target, found above */
	} else if (p->skip < p->nr || !ruri_ours) {
		/* A Route left to follow, or not our domain: the Request-URI itself. */
		n = 0;
		if (!ruri_ours && p->skip == p->nr && !in_dialog &&
		    sip_uri_aor(&p->ruri_u, aor, sizeof(aor)) >= 0)
			n = px_static_targets(aor, false, tg, PX_MAX_BRANCHES);
		if (n == 0) {
			sip_str_cpy(tg[0].uri, sizeof(tg[0].uri), p->ruri);
			tg[0].conn_id = 0;
			n = 1;
		}
	} else if (!sip_str_present(p->ruri_u.user)) {
		/* For the proxy itself. */
		if (m->method == SIP_METHOD_OPTIONS)
			px_reply(st, m, 200, NULL,
				 "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, "
				 "UPDATE, PRACK, SUBSCRIBE, NOTIFY, REFER, MESSAGE\r\n");
		else
			px_reply(st, m, 404, NULL, NULL);
		goto out;
	} else {
		if (reg_domain_is_ours(&px_reg, p->ruri_u.host)) {
			if (sip_uri_aor(&p->ruri_u, aor, sizeof(aor)) < 0) {
				px_reply(st, m, 400, "Bad Request-URI", NULL);
				goto out;
			}
		} else {
			/* user@our-address: the user of our first domain. */
			char user[LOC_AOR_MAX];
			int ul = sip_unescape(p->ruri_u.user, user, sizeof(user) - 1);

			if (ul < 0 || px_reg.ndomains == 0) {
				px_reply(st, m, 404, NULL, NULL);
				goto out;
			}
			user[ul] = '\0';
			if ((size_t)ul + strlen(px_reg.domains[0]) + 2 > sizeof(aor)) {
				px_reply(st, m, 404, NULL, NULL);
				goto out;
			}
			memcpy(aor, user, (size_t)ul);
			aor[ul] = '@';
			strcpy(aor + ul + 1, px_reg.domains[0]);
		}
		n = px_static_targets(aor, true, tg, PX_MAX_BRANCHES);
		if (n == 0) {
			n = loc_lookup(aor, loc_now_ms(), lb, PX_MAX_BRANCHES);
			for (i = 0; i < n; i++) {
				memcpy(tg[i].uri, lb[i].contact, sizeof(tg[i].uri));
				tg[i].conn_id = lb[i].tp == SIP_TP_TCP ? lb[i].conn_id : 0;
			}
		}
		if (n == 0) {
			px_reply(st, m, 404, NULL, NULL);
			goto out;
		}
	}

	/* §16.6 for each target, as one response context. */
	if (!c) {
		c = px_call_new(st, false);
		if (!c) {
			txn_reply(st, 500, NULL);
			goto out;
		}
		c->forwarding = true;
		px_call_get(c);		/* ours until this function returns */
		txn_set_ctx(st, c);
	}
	pthread_mutex_lock(&c->lock);
	c->up_addr = src->peer;
	c->from_caller = from_caller;
	if (d) {
		c->dlg = d;		/* the reference moves to the call context */
		d = NULL;
	} else if (m->method == SIP_METHOD_INVITE && !in_dialog && !c->cancel_requested) {
		c->dlg = dlg_create(m, src);
		c->initial = c->dlg != NULL;
		dlg_set_owner(c->dlg, c);	/* for `call kill` while it rings */
	}
	for (i = 0; i < n && !c->cancel_requested; i++) {
		struct px_branch *b = &c->br[c->nbranches];

		/* The SDP: media anchored (kernel entries for new streams) first. */
		b->group = -1;
		body_p = NULL;
		if (c->dlg && m->body.len > 0 && m->method != SIP_METHOD_BYE) {
			rc = px_request_sdp(c, b, i == 0, st, m, p, tg[i].uri, &body);
			if (rc < 0 && i == 0) {
				c->forwarding = false;
				c->final_sent = true;
				pthread_mutex_unlock(&c->lock);
				goto out;
			}
			if (rc == 1)
				body_p = &body;
			if (rc < 0) {
				/* This branch alone cannot be anchored. */
				b->kind = PX_BRANCH;
				b->call = c;
				b->final = true;
				b->code = 503;
				c->nbranches++;
				continue;
			}
		}
		b->kind = PX_BRANCH;
		b->call = c;
		px_call_get(c);		/* the branch's, dropped in gone() */
		if (c->initial)
			dlg_branch_target(c->dlg, c->nbranches,
					  sip_str_mk(tg[i].uri, (int)strlen(tg[i].uri)));
		c->nbranches++;
		rc = px_forward(m, src, p, sip_str_mk(tg[i].uri, (int)strlen(tg[i].uri)),
				tg[i].conn_id, body_p, b);
		if (rc) {
			b->final = true;
			b->code = rc;
			px_call_put(c);	/* no transaction, no gone() */
		}
	}
	if (n > 1)
		PX_INC(forks);
	c->forwarding = false;
	px_maybe_finish(c);
	pthread_mutex_unlock(&c->lock);
out:
	dlg_put(d);
	free(p);
	free(tg);
	free(lb);
	if (c) {
		/* Made before validation: if nothing was forwarded, a local reply went out. */
		pthread_mutex_lock(&c->lock);
		if (c->forwarding) {
			c->forwarding = false;
			c->final_sent = true;
		}
		pthread_mutex_unlock(&c->lock);
		px_call_put(c);
	}
}

/* §16.11-ish: an ACK for a 2xx (or a stray ACK) routed statelessly. */
static void
px_on_ack(const struct sip_msg *m, const struct sip_src *src)
{
	struct sip_str store, *body = NULL;
	struct px_plan *p;
	struct sip_err err;
	bool ruri_ours, fc;
	char why[160];
	struct dlg *d;
	size_t blen;

	if (sip_msg_check_request(m, &err) < 0 || m->max_forwards == 0 ||
	    (m->ruri_u.scheme != SIP_SCHEME_SIP && m->ruri_u.scheme != SIP_SCHEME_SIPS))
		return;
	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	/* The answer of a delayed-offer call rides in the ACK (RFC 3264 §4). */
	d = m->body.len > 0 ? dlg_find(m->call_id, m->from.tag, m->to.tag, &fc) : NULL;
	if (d) {
		int rc = cm_body(dlg_cm(d), m, fc, true, CM_ANSWER, NULL, NULL, px_body,
				 sizeof(px_body), &blen, why, sizeof(why));

		if (rc == 1) {
			store = sip_str_mk(px_body, (int)blen);
			body = &store;
		} else if (rc < 0) {
			PX_INC(sdp_errors);
			log_ratelimited(LS_PROXY, LL_WARN, "proxy: SDP in an ACK for Call-ID "
					"%.*s not anchored: %s", SIP_STR_FMT(m->call_id), why);
		}
		dlg_put(d);
	}
	if (px_plan_routes(m, p) != 0)
		goto out;
	p->loophash = px_loop_hash(m);
	if (px_is_loop(m, p->loophash))
		goto out;
	ruri_ours = reg_domain_is_ours(&px_reg, p->ruri_u.host) ||
		    px_host_is_our_addr(p->ruri_u.host);
	if (ruri_ours && p->skip == p->nr) {
		char uri[DLG_HDR_MAX];
		uint64_t conn_id = 0;

		/*
		 * Sent to us with no Route: an ACK for a 2xx of a dialog goes to
		 * the other party; one for our own non-2xx reply that outlived its
		 * transaction is absorbed.
		 */
		if (px_dialog_target(m, uri, sizeof(uri), &conn_id) &&
		    px_forward(m, src, p, sip_str_mk(uri, (int)strlen(uri)), conn_id, body,
			       NULL) == 0)
			PX_INC(acks_fwd);
		goto out;
	}
	if (px_forward(m, src, p, (struct sip_str){ 0 }, 0, body, NULL) == 0)
		PX_INC(acks_fwd);
out:
	free(p);
}

static const struct txn_tu_ops px_tu_ops = {
	.request	= px_on_request,
	.ack		= px_on_ack,
	.response	= px_on_response,
	.failure	= px_on_failure,
	.stray_response	= px_on_stray_response,
	.gone		= px_on_gone,
};

/* ---- call kill: a BYE each way ---------------------------------------------- */

static int
px_send_bye(const char *ruri, const char *routes, const struct sip_dest *dest0,
	    const char *from, const char *to, const char *totag, const char *callid,
	    uint32_t cseq, const char *why)
{
	char branch[TXN_BRANCH_MAX], a[XR_SA_STRLEN];
	struct sip_dest d = *dest0;
	union xr_sa local;
	char *buf;
	struct txn *t;
	int n;

	if (!ruri[0] || d.addr.sa.sa_family == 0)
		return -ENOENT;
	if (sip_tp_pick(&d, &local) < 0)
		return -ENETUNREACH;
	buf = malloc(8192);
	if (!buf)
		return -ENOMEM;
	txn_branch_new(branch, sizeof(branch));
	n = snprintf(buf, 8192,
		     "BYE %s SIP/2.0\r\n"
		     "Via: SIP/2.0/%s %s;branch=%s\r\n"
		     "%s"
		     "Max-Forwards: 70\r\n"
		     "From: %s\r\n"
		     "To: %s%s%s\r\n"
		     "Call-ID: %s\r\n"
		     "CSeq: %u BYE\r\n"
		     "Reason: SIP;cause=200;text=\"%s\"\r\n"
		     "Content-Length: 0\r\n\r\n",
		     ruri, d.tp == SIP_TP_TCP ? "TCP" : "UDP", xr_sa_str(&local, a, sizeof(a)),
		     branch, routes, from, to, totag ? ";tag=" : "", totag ? totag : "",
		     callid, cseq, why);
	if (n <= 0 || n >= 8192) {
		free(buf);
		return -ENOSPC;
	}
	t = txn_client_new(&d, branch, buf, (size_t)n, &px_kill_ctx);
	free(buf);
	return t ? 0 : -errno;
}

/*
 * End a confirmed call from the middle: a BYE to each party along the
 * dialog's route set (we speak as the caller towards the callee and the
 * other way round), then the record and its media.  r1, r2: the BYEs' results.
 */
static void
px_end_call(const struct dlg_info *di, const char *why, int *r1, int *r2)
{
	char totag[DLG_HDR_MAX + DLG_TAG_MAX + 8];
	struct dlg *d;
	bool fc;

	*r1 = px_send_bye(di->callee_contact, di->callee_routes, &di->callee_dest,
			  di->from_hdr, di->to_hdr, di->to_tag, di->callid,
			  di->cseq_caller + 1, why);
	snprintf(totag, sizeof(totag), "%s;tag=%s", di->to_hdr, di->to_tag);
	*r2 = px_send_bye(di->caller_contact, di->caller_routes, &di->caller_dest,
			  totag, di->from_hdr, NULL, di->callid, di->cseq_callee + 1, why);
	d = dlg_find(sip_str_mk(di->callid, (int)strlen(di->callid)),
		     sip_str_mk(di->from_tag, (int)strlen(di->from_tag)),
		     (struct sip_str){ 0 }, &fc);
	if (d) {
		dlg_end(d);
		dlg_put(d);
	}
}

/* ---- media timeout ------------------------------------------------------------ */

/*
 * Sessions the media timeout reported, queued by the relay thread (which
 * must not wait for the proxy) and handled by the sweep thread.
 */
static pthread_mutex_t	px_stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	px_stop_cond;
static uint64_t		*px_silent;	/* under px_stop_lock */
static size_t		 px_nsilent, px_silent_cap;

static void
px_media_timeout(uint64_t sid, void *arg)
{
	pthread_mutex_lock(&px_stop_lock);
	if (px_nsilent == px_silent_cap) {
		size_t cap = px_silent_cap ? 2 * px_silent_cap : 64;
		uint64_t *v = realloc(px_silent, cap * sizeof(*v));

		if (v) {
			px_silent = v;
			px_silent_cap = cap;
		}
	}
	if (px_nsilent < px_silent_cap)
		px_silent[px_nsilent++] = sid;
	else
		media_session_delete(sid);	/* no memory: at least free the ports */
	pthread_cond_signal(&px_stop_cond);
	pthread_mutex_unlock(&px_stop_lock);
}

/*
 * Session sid is silent: when every stream of its call is, a confirmed call
 * ends with a BYE each way; a call still ringing starts counting again (Timer
 * C watches it); a session no call owns (`media create`) is deleted.
 */
static void
px_silent_session(uint64_t sid)
{
	struct dlg_info *di;
	struct dlg *d;
	int all = 0, r1, r2;

	d = dlg_find_media(sid, &all);
	if (!d) {
		logs(LS_MEDIA, LL_INFO, "session %" PRIu64 ": no media for %d s, deleted", sid,
		     XR_CFG_LOAD(px_cfg->media_timeout));
		media_session_delete(sid);
		return;
	}
	di = malloc(sizeof(*di));
	if (all == 1 && di) {
		dlg_info_of(d, di);
		if (di->state == DLG_CONFIRMED) {
			PX_INC(media_timeouts);
			logs(LS_PROXY, LL_INFO, "call %" PRIu64 " (Call-ID %s): no media for %d s, "
			     "BYE to both parties", di->id, di->callid,
			     XR_CFG_LOAD(px_cfg->media_timeout));
			px_end_call(di, "Media timeout", &r1, &r2);
		} else {
			cm_touch(dlg_cm(d));
		}
	}
	free(di);
	dlg_put(d);
}

/* ---- control commands --------------------------------------------------------- */

static void
regs_cb(const char *aor, const struct loc_binding *b, int n, void *arg)
{
	uint64_t now = loc_now_ms();
	char a[XR_SA_STRLEN];
	json_t *arr = arg;
	int i;

	for (i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "aor", json_string(aor));
		json_object_set_new(o, "contact", json_string(b[i].contact));
		json_object_set_new(o, "expires",
				    json_integer((json_int_t)((b[i].expires_ms - now) / 1000)));
		json_object_set_new(o, "q", b[i].q < 0 ? json_null() :
				    json_real(b[i].q / 1000.0));
		json_object_set_new(o, "received", json_string(b[i].received.sa.sa_family ?
				    xr_sa_str(&b[i].received, a, sizeof(a)) : "-"));
		json_object_set_new(o, "transport", json_string(b[i].tp == SIP_TP_TCP ?
				    "tcp" : "udp"));
		json_object_set_new(o, "call_id", json_string(b[i].callid));
		json_object_set_new(o, "cseq", json_integer(b[i].cseq));
		json_array_append_new(arr, o);
	}
}

static int
ctl_regs(json_t *args, json_t **result, char *err, size_t errlen)
{
	json_t *arr = json_array();

	loc_walk(loc_now_ms(), regs_cb, arr);
	*result = json_pack("{s:o}", "regs", arr);
	return 0;
}

static const char *
px_branch_state(const struct dlg_branch *b)
{
	if (b->code == 0)
		return "calling";
	if (b->code < 200)
		return b->code == 100 ? "trying" : "ringing";
	if (b->code < 300)
		return "answered";
	if (b->cancelled && b->code == 487)
		return "cancelled";
	return b->code == 408 ? "timeout" : "failed";
}

/*
 * A call for `calls` (full: false) and `call show` (full: true): the
 * parties, the dialog, its branches, and each media stream with its relay
 * ports and what went through the kernel and userspace paths.
 */
static json_t *
dlg_json(const struct dlg_info *di, struct dlg *d, bool full)
{
	time_t now = time(NULL);
	json_t *o = json_object(), *br;
	char a[XR_SA_STRLEN];
	int i;

	json_object_set_new(o, "id", json_integer((json_int_t)di->id));
	json_object_set_new(o, "state", json_string(dlg_state_name(di->state)));
	json_object_set_new(o, "callid", json_string(di->callid));
	json_object_set_new(o, "caller", json_string(di->caller_uri));
	json_object_set_new(o, "callee", json_string(di->callee_uri));
	json_object_set_new(o, "created", json_integer((json_int_t)di->created));
	json_object_set_new(o, "answered", json_integer((json_int_t)di->answered));
	json_object_set_new(o, "age", json_integer((json_int_t)(now - (time_t)di->created)));
	json_object_set_new(o, "streams", json_integer(cm_streams(dlg_cm(d))));
	if (!full)
		return o;
	json_object_set_new(o, "from_tag", json_string(di->from_tag));
	json_object_set_new(o, "to_tag", json_string(di->to_tag));
	json_object_set_new(o, "caller_contact", json_string(di->caller_contact));
	json_object_set_new(o, "callee_contact", json_string(di->callee_contact));
	json_object_set_new(o, "caller_addr", json_string(di->caller_dest.addr.sa.sa_family ?
			    xr_sa_str(&di->caller_dest.addr, a, sizeof(a)) : "-"));
	json_object_set_new(o, "callee_addr", json_string(di->callee_dest.addr.sa.sa_family ?
			    xr_sa_str(&di->callee_dest.addr, a, sizeof(a)) : "-"));
	json_object_set_new(o, "last_code", json_integer(di->last_code));
	json_object_set_new(o, "cseq_caller", json_integer(di->cseq_caller));
	json_object_set_new(o, "cseq_callee", json_integer(di->cseq_callee));
	br = json_array();
	for (i = 0; i < di->nbranches; i++) {
		const struct dlg_branch *b = &di->br[i];

		json_array_append_new(br, json_pack("{s:s, s:s, s:i, s:o}",
			"uri", b->uri, "state", px_branch_state(b), "code", b->code,
			"to_tag", b->to_tag[0] ? json_string(b->to_tag) : json_null()));
	}
	json_object_set_new(o, "branches", br);
	json_object_set_new(o, "media", cm_json(dlg_cm(d)));
	return o;
}

static void
calls_cb(const struct dlg_info *di, struct dlg *d, void *arg)
{
	json_array_append_new(arg, dlg_json(di, d, false));
}

static int
ctl_calls(json_t *args, json_t **result, char *err, size_t errlen)
{
	json_t *arr = json_array();

	dlg_walk(calls_cb, arr);
	*result = json_pack("{s:o}", "calls", arr);
	return 0;
}

static int
ctl_id(json_t *args, uint64_t *id, char *err, size_t errlen)
{
	json_t *v = args ? json_object_get(args, "id") : NULL;

	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*id = (uint64_t)json_integer_value(v);
		return 0;
	}
	snprintf(err, errlen, "call id must be a positive number");
	return -EINVAL;
}

static int
ctl_call_show(json_t *args, json_t **result, char *err, size_t errlen)
{
	struct dlg_info *di = malloc(sizeof(*di));
	struct dlg *d = NULL;
	uint64_t id;
	int rc;

	if (!di)
		return -ENOMEM;
	rc = ctl_id(args, &id, err, errlen);
	if (rc == 0 && dlg_get(id, di, &d) < 0) {
		snprintf(err, errlen, "no call %" PRIu64, id);
		rc = -ENOENT;
	}
	if (rc == 0)
		*result = dlg_json(di, d, true);
	dlg_put(d);
	free(di);
	return rc;
}

static void
px_call_hold(void *c)
{
	px_call_get(c);
}

/*
 * `call kill` on a call not answered yet: as if the caller had CANCELled
 * (§16.10): every branch is CANCELled and the caller gets 487.  0, or
 * -EBUSY when it was answered meanwhile or its INVITE is gone.
 */
static int
px_kill_pending(struct dlg *d)
{
	struct px_call *c = dlg_owner_get(d, px_call_hold);
	int rc = -EBUSY;

	if (!c)
		return rc;
	pthread_mutex_lock(&c->lock);
	if (!c->final_sent && !c->got_2xx && c->st) {
		c->cancel_requested = true;
		px_cancel_pending(c);
		px_maybe_finish(c);
		rc = 0;
	}
	pthread_mutex_unlock(&c->lock);
	px_call_put(c);
	return rc;
}

static int
ctl_call_kill(json_t *args, json_t **result, char *err, size_t errlen)
{
	struct dlg_info *di = malloc(sizeof(*di));
	struct dlg *d = NULL;
	uint64_t id;
	int rc, r1 = -ENOENT, r2 = -ENOENT;

	if (!di)
		return -ENOMEM;
	rc = ctl_id(args, &id, err, errlen);
	if (rc == 0 && dlg_get(id, di, &d) < 0) {
		snprintf(err, errlen, "no call %" PRIu64, id);
		rc = -ENOENT;
	}
	if (rc == 0 && di->state != DLG_CONFIRMED) {
		/* Ringing: CANCEL the branches, 487 to the caller. */
		rc = px_kill_pending(d);
		if (rc < 0) {
			snprintf(err, errlen, "call %" PRIu64 " is %s and cannot be cancelled now",
				 id, dlg_state_name(di->state));
		} else {
			PX_INC(kills);
			*result = json_pack("{s:I, s:b, s:b, s:b}", "id", (json_int_t)id,
					    "cancelled", 1, "bye_callee", 0, "bye_caller", 0);
		}
	} else if (rc == 0) {
		px_end_call(di, "Call killed by operator", &r1, &r2);
		PX_INC(kills);
		*result = json_pack("{s:I, s:b, s:b, s:b}", "id", (json_int_t)id,
				    "cancelled", 0, "bye_callee", r1 == 0, "bye_caller", r2 == 0);
	}
	dlg_put(d);
	free(di);
	return rc;
}

/*
 * The SIP side's numbers for `xrelayctl stats` and `metrics` (the hook of
 * ctl_set_sip_stats()) and for proxy.stats: transport counters, transactions
 * in flight, registrations, dialogs and the proxy's own counters.
 */
static json_t *
px_stats_json(void)
{
	struct sip_tp_stats tp;
	uint64_t now = loc_now_ms();
	int naors, nb;

	sip_tp_stats(&tp);
	loc_count(now, &naors, &nb);
	return json_pack("{s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I},"
			 " s:I, s:I, s:I, s:I,"
			 " s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"transport",
		"rx_msgs", (json_int_t)tp.rx_msgs,
		"rx_bad", (json_int_t)tp.rx_bad,
		"rx_bad_dropped", (json_int_t)tp.rx_bad_dropped,
		"tx_msgs", (json_int_t)tp.tx_msgs,
		"tx_errors", (json_int_t)tp.tx_errors,
		"tcp_accepted", (json_int_t)tp.tcp_accepted,
		"tcp_refused", (json_int_t)tp.tcp_refused,
		"tcp_idle_closed", (json_int_t)tp.tcp_idle_closed,
		"tcp_oversize", (json_int_t)tp.tcp_oversize,
		"tcp_conns", (json_int_t)tp.tcp_conns,
		"transactions", (json_int_t)txn_count(),
		"aors", (json_int_t)naors,
		"bindings", (json_int_t)nb,
		"dialogs", (json_int_t)dlg_count(),
		"requests", (json_int_t)px_stats.requests,
		"forwarded", (json_int_t)px_stats.forwarded,
		"local_replies", (json_int_t)px_stats.local_replies,
		"registers", (json_int_t)px_stats.registers,
		"acks_forwarded", (json_int_t)px_stats.acks_fwd,
		"stray_2xx_forwarded", (json_int_t)px_stats.stray_fwd,
		"cancels", (json_int_t)px_stats.cancels,
		"loops", (json_int_t)px_stats.loops,
		"kills", (json_int_t)px_stats.kills,
		"sdp_errors", (json_int_t)px_stats.sdp_errors,
		"media_timeouts", (json_int_t)px_stats.media_timeouts,
		"forks", (json_int_t)px_stats.forks);
}

static int
ctl_proxy_stats(json_t *args, json_t **result, char *err, size_t errlen)
{
	*result = px_stats_json();
	if (!*result) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* ---- the sweep thread ------------------------------------------------------- */

static pthread_t	px_sweeper;
static bool		px_sweeper_up;
static bool		px_stopping;

static void *
px_sweep_main(void *arg)
{
	struct timespec ts;
	int n;

	rcu_register_thread();
	pthread_mutex_lock(&px_stop_lock);
	while (!px_stopping) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += PX_SWEEP_MS / 1000;
		pthread_cond_timedwait(&px_stop_cond, &px_stop_lock, &ts);
		if (px_stopping)
			break;
		while (px_nsilent > 0) {
			uint64_t sid = px_silent[--px_nsilent];

			pthread_mutex_unlock(&px_stop_lock);
			px_silent_session(sid);
			pthread_mutex_lock(&px_stop_lock);
		}
		pthread_mutex_unlock(&px_stop_lock);
		n = loc_expire(loc_now_ms());
		if (n)
			px_debug("proxy: %d binding(s) expired", n);
		dlg_sweep(loc_now_ms(), PX_DLG_MAX_AGE);
		pthread_mutex_lock(&px_stop_lock);
	}
	pthread_mutex_unlock(&px_stop_lock);
	rcu_unregister_thread();
	return NULL;
}

/* ---- entry points ------------------------------------------------------------ */

int
proxy_init(const struct xr_config *cfg)
{
	pthread_condattr_t ca;
	int rc;

	px_cfg = cfg;
	reg_cfg_from(&px_reg, cfg);
	rc = loc_init(reg_uri_eq);
	if (rc < 0)
		return rc;
	rc = dlg_init();
	if (rc < 0)
		goto out_loc;
	txn_set_tu(&px_tu_ops);
	txn_set_timers(&(struct txn_timer_cfg){
		.t1 = (uint32_t)cfg->sip_t1, .t2 = (uint32_t)cfg->sip_t2,
		.t4 = (uint32_t)cfg->sip_t4, .timer_c = (uint32_t)cfg->timer_c * 1000,
	});
	if (ctl_register("regs", ctl_regs, "registered contacts") < 0 ||
	    ctl_register("calls", ctl_calls, "calls in progress") < 0 ||
	    ctl_register("call.show", ctl_call_show, "one call in detail") < 0 ||
	    ctl_register("call.kill", ctl_call_kill, "end a call (BYE both ways)") < 0 ||
	    ctl_register("proxy.stats", ctl_proxy_stats, "proxy and registrar counters") < 0)
		log_warnx("proxy: cannot register every control command");
	ctl_set_sip_stats(px_stats_json);
	media_set_timeout_cb(px_media_timeout, NULL);

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&px_stop_cond, &ca);
	pthread_condattr_destroy(&ca);
	px_stopping = false;
	rc = -pthread_create(&px_sweeper, NULL, px_sweep_main, NULL);
	if (rc < 0)
		goto out_dlg;
	px_sweeper_up = true;
	log_info("proxy: %d domain(s), %d static route(s), expires %d..%d (default %d), "
		 "T1 %d T2 %d T4 %d ms, timer C %d s",
		 cfg->ndomains, cfg->nroutes, cfg->min_expires, cfg->max_expires,
		 cfg->default_expires, cfg->sip_t1, cfg->sip_t2, cfg->sip_t4, cfg->timer_c);
	return 0;

out_dlg:
	dlg_fini();
out_loc:
	loc_fini();
	return rc;
}

void
proxy_fini(void)
{
	ctl_set_sip_stats(NULL);
	media_set_timeout_cb(NULL, NULL);
	if (px_sweeper_up) {
		pthread_mutex_lock(&px_stop_lock);
		px_stopping = true;
		pthread_cond_signal(&px_stop_cond);
		pthread_mutex_unlock(&px_stop_lock);
		pthread_join(px_sweeper, NULL);
		px_sweeper_up = false;
	}
	dlg_fini();
	loc_fini();
	free(px_silent);
	px_silent = NULL;
	px_nsilent = px_silent_cap = 0;
}
