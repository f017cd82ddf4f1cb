// SPDX-License-Identifier: GPL-2.0
/*
 * forward.c - RFC 3261 §16.6: one request forwarded to one target, as a
 * client transaction (a branch of a response context) or statelessly (ACK
 * for a 2xx): next hop (§16.6 step 7, resolved as RFC 3263 reduced to
 * SRV and A/AAAA, answered by the DNS cache: park.c waited for it), Request-URI, Route edits, Max-Forwards, Record-Route (doubled
 * when the request changes socket), our Via with a branch that carries the
 * loop hash.  Which targets a request has is targets.c's business.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/proxy_int.h"
#include "common/route.h"
#include "dns/dns.h"
#include "sip/build.h"


/*
 * The DNS lookup a request for URI u needs (RFC 3263 §4.2 without NAPTR),
 * as the cache's key, into key (cap >= DNS_NAME_MAX + 1): its maddr or
 * host when the URI names a port (A/AAAA), else "_sip._udp." or
 * "_sip._tcp." and that name (SRV, then A/AAAA).  True when u is a sip:
 * URI whose host is a name (not an IP literal) and the key fits.
 */
bool
px_hop_host(const struct sip_uri *u, char *key, size_t cap)
{
	struct sip_str h = sip_str_present(u->maddr) ? u->maddr : u->host;
	const char *pfx = "";
	char host[DNS_NAME_MAX + 1];
	union xr_sa a;

	if (u->scheme != SIP_SCHEME_SIP || h.len <= 0 || h.len > DNS_NAME_MAX)
		return false;
	sip_str_cpy(host, sizeof(host), h);
	if (xr_sa_parse_ip(&a, host) == 0)
		return false;
	if (!u->port)
		pfx = sip_str_present(u->transport) && sip_str_caseeq_cstr(u->transport, "tcp") ?
		      "_sip._tcp." : "_sip._udp.";
	return (size_t)snprintf(key, cap, "%s%s", pfx, host) < cap &&
	       strlen(key) <= DNS_NAME_MAX;
}

/*
 * Where a request for URI u goes (RFC 3263 without NAPTR): maddr or host,
 * the port, else an SRV record's (§4.2) or 5060, UDP unless ;transport=tcp.
 * A host name is answered by
 * the DNS cache, never waited for: a name not in it starts a lookup and
 * gives -EAGAIN (park.c waits before forwarding, so a request finds its
 * names there).  0 or -errno: -EPROTONOSUPPORT, -EINVAL, -ENOENT (no such
 * name or no address), -ETIMEDOUT (the lookup timed out), -EAGAIN, -EIO.
 */
int
px_resolve(const struct sip_uri *u, struct sip_dest *d)
{
	char host[256];
	struct sip_str h = sip_str_present(u->maddr) ? u->maddr : u->host;
	int port = u->port ? u->port : SIP_DEFAULT_PORT;
	int rc;

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
	if (!px_hop_host(u, host, sizeof(host)))
		return -EINVAL;
	rc = dns_lookup(host, &d->addr, NULL, NULL);
	if (rc == -EINPROGRESS)
		return -EAGAIN;
	if (rc == 0) {
		PX_INC(dns_cache_hits);
		if (!xr_sa_port(&d->addr))	/* else the SRV record's */
			xr_sa_set_port(&d->addr, (uint16_t)port);
		return 0;
	}
	return rc == -ENOENT || rc == -ETIMEDOUT ? rc : -EIO;
}

/* A per-branch edit plus the text it points to (must outlive the build). */
struct px_fwd {
	struct sip_edit	e;
	char		via[256];
	char		rr1[160], rr2[160];
	char		rvals[PX_MAX_ROUTES][SIP_EDIT_SCRATCH];	/* rewritten Route lines */
	char		addroute[LOC_URI_MAX + 4];
	char		out[PX_BUF];	/* the request as it leaves */
};
_Static_assert(sizeof(struct px_fwd) <= PX_SCRATCH_SIZE, "px_fwd over PX_SCRATCH_SIZE");

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
int
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
 * §16.6 steps 2-7 on f->e: the Request-URI (§16.4's strict-route fix-up and
 * a strict next hop, step 6), the Route values our plan removed, Max-Forwards,
 * the new body, Record-Route (doubled when the request changes socket from
 * src->local to local) and RFC 3581 / §18.2.1 on the Via it came with.
 */
static void
px_fwd_edit(struct px_fwd *f, const struct sip_msg *m, const struct sip_src *src,
	    const struct px_plan *p, struct sip_str target, const struct sip_uri *hop,
	    const union xr_sa *local, enum sip_tp tp, const struct sip_str *body)
{
	bool del[PX_MAX_ROUTES + 1] = { false };
	struct px_plan q = *p;
	char rr_in[160];
	int i;

	for (i = 0; i < p->skip; i++)
		del[i] = true;
	sip_edit_init(&f->e, m);
	if (p->skip < p->nr && !hop->lr) {
		/* §16.6 step 6: the next hop is a strict router. */
		del[p->skip] = true;
		sip_edit_ruri(&f->e, hop->raw);
		snprintf(f->addroute, sizeof(f->addroute), "<%.*s>", SIP_STR_FMT(target));
		sip_edit_add_hdr(&f->e, SIP_STR("Route"),
				 sip_str_mk(f->addroute, (int)strlen(f->addroute)));
	} else if (!sip_str_eq(target, m->ruri)) {
		sip_edit_ruri(&f->e, target);
	}
	if (p->strict_fix) {
		/* del[] covers p->nr values plus the one that became the Request-URI. */
		del[p->nr] = true;
		q.nr = p->nr + 1;
	}
	px_edit_routes(f, &q, del);
	/* Step 3: Max-Forwards. */
	sip_edit_dec_maxfwd(&f->e);
	if (body)
		sip_edit_body(&f->e, *body, NULL);
	/* Step 4: Record-Route, doubled when the request changes socket. */
	if (p->record_route) {
		px_rr_value(f->rr1, sizeof(f->rr1), local, tp);
		sip_edit_push_rr(&f->e, sip_str_mk(f->rr1, (int)strlen(f->rr1)));
		px_rr_value(rr_in, sizeof(rr_in), &src->local, src->tp);
		if (strcmp(rr_in, f->rr1) != 0) {
			memcpy(f->rr2, rr_in, sizeof(f->rr2));
			sip_edit_push_rr(&f->e, sip_str_mk(f->rr2, (int)strlen(f->rr2)));
		}
	}
	if (src->received[0] || src->rport)
		sip_edit_via_received(&f->e, src->received[0] ?
				      sip_str_mk(src->received, (int)strlen(src->received)) :
				      (struct sip_str){ 0 }, src->rport);
}

/*
 * Step 8: our Via, with a unique branch (stateful) or one derived from the
 * incoming branch and Request-URI (stateless: a retransmitted ACK gets the
 * same), either carrying the loop hash.  branch gets the branch.
 */
static void
px_fwd_via(struct px_fwd *f, const struct sip_msg *m, const struct px_plan *p,
	   bool stateful, const union xr_sa *local, enum sip_tp tp, char *branch, size_t cap)
{
	char a[XR_SA_STRLEN];
	size_t bl;

	if (stateful) {
		bl = txn_branch_new(branch, cap);
	} else {
		uint64_t h = XR_FNV64_INIT;

		h = px_hash_str(h, m->via1.branch);
		h = px_hash_str(h, m->ruri);
		bl = (size_t)snprintf(branch, cap, "z9hG4bKxa%016" PRIx64, h);
	}
	snprintf(branch + bl, cap - bl, "-%016" PRIx64, p->loophash);
	snprintf(f->via, sizeof(f->via), "SIP/2.0/%s %s;branch=%s",
		 tp == SIP_TP_TCP ? "TCP" : "UDP", xr_sa_str(local, a, sizeof(a)), branch);
	sip_edit_push_via(&f->e, sip_str_mk(f->via, (int)strlen(f->via)));
}

/* The request built for d in f->out, with its branch: its length, or -errno. */
static int
px_fwd_build(struct px_fwd *f, const struct sip_msg *m, const struct sip_src *src,
	     const struct px_plan *p, struct sip_str target, const struct sip_uri *hop,
	     struct sip_dest *d, const struct sip_str *body, bool stateful, char *branch)
{
	union xr_sa local;

	if (sip_tp_pick(d, &local) < 0)
		return -ENETUNREACH;
	px_fwd_edit(f, m, src, p, target, hop, &local, d->tp, body);
	px_access_edit(&f->e, m, p, &d->addr);
	px_fwd_via(f, m, p, stateful, &local, d->tp, branch, TXN_BRANCH_MAX);
	return sip_edit_build(&f->e, f->out, sizeof(f->out));
}

#define PX_UDP_MAX_UNKNOWN	1300	/* §18.1.1: largest UDP request, path MTU unknown */

/*
 * RFC 3261 §18.1.1: a request within 200 bytes of the path MTU, or over
 * 1300 bytes when the path MTU is unknown, goes over a congestion
 * controlled transport (TCP).  px_mtu_needs_tcp(): true when a request of
 * n bytes must, on a path of mtu bytes (<= 0: unknown).  px_over_mtu():
 * for one to d over UDP, the path MTU the kernel's for the route (route MTU
 * or what PMTU discovery learnt): 1500 gives 1300, a jumbo 9000 path 8800.
 */
bool
px_mtu_needs_tcp(int n, int mtu)
{
	if (n <= PX_UDP_MAX_UNKNOWN)
		return false;
	return mtu <= 400 || n > mtu - 200;	/* unknown (or absurd): 1300 */
}

static bool
px_over_mtu(const struct sip_dest *d, int n)
{
	if (d->tp != SIP_TP_UDP || n <= PX_UDP_MAX_UNKNOWN)
		return false;
	return px_mtu_needs_tcp(n, route_mtu_for(&d->addr));
}

/*
 * §16.6: forward m (from src) to one target, as a client transaction of
 * branch br (stateful) or statelessly (ACK for a 2xx: br NULL).  target is
 * the new Request-URI (absent: keep the one after §16.4); hint_conn is a TCP
 * connection the target registered over (0: none); body, when given,
 * replaces the body (rewritten SDP).  0, or -errno: -EPROTONOSUPPORT (no
 * URI we can reach: 416), -EBADMSG (the edits failed: 400), -EACCES (a
 * destination the access policy refuses: 403), -ENOENT (its host name
 * does not exist: 604), -ETIMEDOUT (its DNS lookup timed out: 408),
 * -EMSGSIZE (over the path MTU, and the next hop cannot take TCP: 513),
 * another (no route, send failure: 503); px_status_of() maps them.
 *
 * §18.1.1: a request over the path MTU to a UDP next hop goes over TCP
 * instead (its Via and Record-Route say so).  OUR choice where the RFC
 * leaves one: a next hop whose URI names ;transport=udp explicitly is not
 * switched (that URI is all we know of it): 513.  A switched branch whose
 * TCP connection fails (refused, reset) ends with 513 too (px_on_failure).
 */
int
px_forward(const struct sip_msg *m, const struct sip_src *src, const struct px_plan *p,
	   struct sip_str target, uint64_t hint_conn, const struct sip_str *body,
	   struct px_branch *br)
{
	struct px_fwd *f;
	struct sip_uri tu, hop;
	struct sip_dest d;
	char branch[TXN_BRANCH_MAX];
	bool to_tcp = false;
	struct txn *ct;
	int n, rc;

	f = px_scratch_get();
	if (!f)
		return -ENOMEM;
	if (!sip_str_present(target))
		target = p->ruri;
	if (px_next_hop(p, target, &tu, &hop) < 0) {
		rc = -EPROTONOSUPPORT;
		goto out;
	}
	rc = px_resolve(&hop, &d);
	if (rc < 0) {
		px_debug("proxy: no route to %.*s: %s", SIP_STR_FMT(hop.raw), strerror(-rc));
		if (rc != -EPROTONOSUPPORT && rc != -ENOENT && rc != -ETIMEDOUT)
			rc = -EHOSTUNREACH;
		goto out;
	}
	if (px_access_dest(p, &d.addr, m->method_str) < 0) {
		rc = -EACCES;		/* never to loopback, ourselves, a denied network */
		goto out;
	}
	if (hint_conn && d.tp == SIP_TP_TCP)
		d.conn_id = hint_conn;
	n = px_fwd_build(f, m, src, p, target, &hop, &d, body, br != NULL, branch);
	if (n > 0 && px_over_mtu(&d, n)) {
		if (sip_str_present(hop.transport)) {
			/* the next hop named UDP itself: it cannot be switched */
			PX_INC(too_large);
			px_debug("proxy: %d bytes over the path MTU to %.*s (;transport=udp): 513",
				 n, SIP_STR_FMT(hop.raw));
			rc = -EMSGSIZE;
			goto out;
		}
		d.tp = SIP_TP_TCP;
		d.conn_id = 0;
		to_tcp = true;
		PX_INC(udp_to_tcp);
		n = px_fwd_build(f, m, src, p, target, &hop, &d, body, br != NULL, branch);
	}
	if (n == -ENETUNREACH) {
		rc = n;
		goto out;
	}
	if (n < 0) {
		log_ratelimited(LS_PROXY, LL_WARN, "proxy: cannot build the forwarded request: %s",
				strerror(-n));
		rc = -EBADMSG;
		goto out;
	}
	if (!br) {
		rc = txn_send_stateless(&d, f->out, (size_t)n) < 0 ? -EIO : 0;
		goto out;
	}
	/* Step 10-11: a client transaction (Timer C included for INVITE). */
	br->to_tcp = to_tcp;
	ct = txn_client_new(&d, branch, f->out, (size_t)n, br);
	if (!ct) {
		px_debug("proxy: txn_client_new: %s", strerror(errno));
		rc = to_tcp ? -EMSGSIZE : -EIO;
		if (to_tcp)
			PX_INC(too_large);
		goto out;
	}
	/* A response may already have set br->ct from another worker: same value. */
	br->ct = ct;
	br->started = true;
	PX_INC(forwarded);
	rc = 0;
out:
	px_scratch_put(f);
	return rc;
}

/* The status a branch that px_forward() could not start ends with. */
int
px_status_of(int err)
{
	switch (err) {
	case 0:
		return 0;
	case -EPROTONOSUPPORT:
		return 416;
	case -EBADMSG:
		return 400;
	case -EACCES:
		return 403;
	case -ENOENT:
		return 604;
	case -ETIMEDOUT:
		return 408;
	case -EMSGSIZE:
		return 513;
	default:
		return 503;
	}
}

/*
 * Where a request for target goes first (§16.6 step 7: the next Route
 * left, else the target): the receiving party's address as far as we can
 * tell, which picks the relay address its SDP will name.  0 or -errno.
 */
int
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
