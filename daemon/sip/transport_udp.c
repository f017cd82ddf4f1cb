// SPDX-License-Identifier: GPL-2.0
/*
 * transport_udp.c - SIP over UDP (RFC 3261 §18) and what both transports
 * share: the per-worker receive path (recvmmsg batches into per-worker
 * buffers, parse, answer garbage, RFC 3581 received/rport, hand to the
 * transaction layer), sending, source-address selection (mhomed) and the
 * §18.2.2 response routing.  TCP framing and connections: transport_tcp.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/route.h"
#include "guard/pike.h"
#include "sip/build.h"
#include "sip/msg.h"
#include "sip/stats.h"
#include "sip/worker.h"

#define UDP_BATCH	16	/* datagrams per recvmmsg() */
#define UDP_ROUNDS	8	/* recvmmsg() calls per wake-up before yielding */
#define UDP_BUFSZ	(SIP_MAX_MSG + 1)

struct sip_tp_stats tp_stats;

/* Per-worker receive state: nothing is allocated per message. */
struct tp_rx {
	struct mmsghdr	 hdr[UDP_BATCH];
	struct iovec	 iov[UDP_BATCH];
	union xr_sa	 from[UDP_BATCH];
	struct sip_msg	 msg;			/* parse scratch */
	char		 out[8192];		/* 400 replies */
	char		 buf[UDP_BATCH][UDP_BUFSZ];
};

void
sip_tp_stats(struct sip_tp_stats *out)
{
	const uint64_t *in = (const uint64_t *)&tp_stats;
	uint64_t *o = (uint64_t *)out;

	/* a relaxed snapshot, counter by counter (all are uint64_t) */
	for (size_t i = 0; i < sizeof(tp_stats) / sizeof(uint64_t); i++)
		o[i] = __atomic_load_n(&in[i], __ATOMIC_RELAXED);
}

int
tp_worker_init(struct sip_worker *w)
{
	struct tp_rx *rx = calloc(1, sizeof(*rx));

	if (!rx)
		return -ENOMEM;
	for (int i = 0; i < UDP_BATCH; i++) {
		rx->iov[i].iov_base = rx->buf[i];
		rx->iov[i].iov_len = UDP_BUFSZ;
	}
	w->tp = rx;
	return 0;
}

void
tp_worker_fini(struct sip_worker *w)
{
	free(w->tp);
	w->tp = NULL;
}

/* ---- Via rules --------------------------------------------------------- */

void
sip_tp_via_nat(struct sip_src *src, const char *host, size_t hostlen, bool has_rport)
{
	char ip[INET6_ADDRSTRLEN], h[INET6_ADDRSTRLEN + 2];
	union xr_sa hsa;

	xr_sa_ipstr(&src->peer, ip, sizeof(ip));
	src->received[0] = '\0';
	src->rport = has_rport ? xr_sa_port(&src->peer) : 0;
	/* §18.2.1: add received when sent-by is not the source address */
	if (hostlen < sizeof(h)) {
		memcpy(h, host, hostlen);
		h[hostlen] = '\0';
		if (xr_sa_parse_ip(&hsa, h) == 0 && xr_sa_ip_eq(&hsa, &src->peer))
			return;
	}
	snprintf(src->received, sizeof(src->received), "%s", ip);
}

/* Parse an IP literal slice (IPv6 in brackets or not) with a port. */
static int
ip_slice(union xr_sa *sa, const char *s, size_t n, int port)
{
	char b[INET6_ADDRSTRLEN + 2];

	if (!s || n == 0 || n >= sizeof(b))
		return -EHOSTUNREACH;
	memcpy(b, s, n);
	b[n] = '\0';
	if (xr_sa_parse_ip(sa, b) < 0)
		return -EHOSTUNREACH;	/* a name: we do no DNS */
	xr_sa_set_port(sa, (uint16_t)port);
	return 0;
}

int
sip_tp_response_dest(const struct sip_via_route *v, const struct sip_src *src,
		     struct sip_dest *d)
{
	int port = v->port ? v->port : SIP_DEFAULT_PORT;
	int err;

	memset(d, 0, sizeof(*d));
	d->sock = src && src->sock >= 0 ? src->sock : -1;
	d->tp = v->tp;
	if (v->tp == SIP_TP_TCP) {
		/*
		 * §18.2.2: the connection the request came on while it is
		 * open (d->conn_id, tried first by the sender); d->addr is
		 * where to open a new one when it is gone: received (or
		 * sent-by) and the Via port, never the peer's ephemeral port.
		 */
		d->conn_id = src ? src->conn_id : 0;
	} else if (v->maddr && v->maddrlen) {
		/* maddr: send there (only unicast literals are supported) */
		return ip_slice(&d->addr, v->maddr, v->maddrlen, port);
	}
	/*
	 * RFC 3581 §4: received + rport when the client asked for rport (over
	 * UDP: a TCP rport is the old connection's port, useless for a new one)
	 */
	if (v->rport && v->tp == SIP_TP_UDP)
		port = v->rport;
	if (v->received && v->receivedlen)
		err = ip_slice(&d->addr, v->received, v->receivedlen, port);
	else
		err = ip_slice(&d->addr, v->host, v->hostlen, port);
	if (err && d->conn_id && src) {
		d->addr = src->peer;	/* a name: the connection is all we have */
		err = 0;
	}
	return err;
}

int
sip_tp_bound(int i, union xr_sa *out)
{
	if (i < 0 || i >= sip_naddrs)
		return -ENOENT;
	*out = sip_addrs[i];
	return 0;
}

/* ---- source selection and sending --------------------------------------- */

/*
 * route_pick() costs four system calls; remember its answer per
 * destination address for a few seconds, per thread (no locks).
 */
#define PICK_CACHE	64
#define PICK_TTL_MS	5000
struct pick_ent {
	union xr_sa	 dst;		/* port 0 */
	int		 idx;
	uint64_t	 until;		/* ms */
};
static __thread struct pick_ent pick_cache[PICK_CACHE];

static int
pick_cached(const union xr_sa *cands, int n, const union xr_sa *dst)
{
	union xr_sa key = *dst;
	struct pick_ent *e;
	uint64_t now = sip_now_ms();
	unsigned h = 0;
	const unsigned char *p;
	size_t len;

	xr_sa_set_port(&key, 0);
	if (key.sa.sa_family == AF_INET) {
		p = (const unsigned char *)&key.sin.sin_addr;
		len = 4;
	} else {
		p = (const unsigned char *)&key.sin6.sin6_addr;
		len = 16;
	}
	for (size_t i = 0; i < len; i++)
		h = h * 31 + p[i];
	e = &pick_cache[h % PICK_CACHE];
	if (e->until > now && xr_sa_ip_eq(&e->dst, &key) && e->idx < n)
		return e->idx;
	e->dst = key;
	e->idx = route_pick(cands, n, dst);
	e->until = now + PICK_TTL_MS;
	return e->idx;
}

int
sip_tp_pick(struct sip_dest *d, union xr_sa *local)
{
	int fam = d->addr.sa.sa_family, idx = -1, nfam = 0;
	union xr_sa cands[XR_MAX_ADDRS];
	int map[XR_MAX_ADDRS];

	if (d->sock >= 0 && d->sock < sip_naddrs &&
	    sip_addrs[d->sock].sa.sa_family == fam) {
		idx = d->sock;
	} else {
		for (int i = 0; i < sip_naddrs; i++) {
			if (sip_addrs[i].sa.sa_family != fam)
				continue;
			cands[nfam] = sip_addrs[i];
			map[nfam++] = i;
		}
		if (nfam == 0)
			return -EAFNOSUPPORT;
		/* mhomed: ask the routing table only when there is a choice */
		idx = map[nfam == 1 ? 0 : pick_cached(cands, nfam, &d->addr)];
	}
	d->sock = idx;
	if (local) {
		*local = sip_addrs[idx];
		if (xr_sa_is_any(local)) {
			/* a wildcard --sip: the address the route leaves from */
			union xr_sa src;

			if (route_src_for(&d->addr, &src) == 0) {
				xr_sa_set_port(&src, xr_sa_port(&sip_addrs[idx]));
				*local = src;
			}
		}
	}
	return 0;
}

int
tp_udp_send(const struct sip_dest *d, const void *buf, size_t len)
{
	struct sip_dest dd = *d;
	struct sip_worker *w = sip_worker_self();
	ssize_t n;
	int err, fd;

	if (dd.sock < 0 || dd.sock >= sip_naddrs ||
	    sip_addrs[dd.sock].sa.sa_family != dd.addr.sa.sa_family) {
		dd.sock = -1;
		err = sip_tp_pick(&dd, NULL);
		if (err)
			return err;
	}
	if (!w)
		w = sip_worker_get(0);
	if (!w)
		return -ENOTCONN;
	fd = w->udp_fd[dd.sock];
	n = sendto(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, &dd.addr.sa, xr_sa_len(&dd.addr));
	if (n < 0) {
		err = -errno;
		TP_INC(tx_errors);
		log_ratelimited(LS_SIP, LL_DEBUG, "udp send: %s", strerror(errno));
		return err;
	}
	TP_INC(tx_msgs);
	__atomic_fetch_add(&w->udp_tx, 1, __ATOMIC_RELAXED);
	return 0;
}

int
sip_tp_send_track(struct sip_dest *d, const void *buf, size_t len)
{
	int rc;

	if (len == 0 || len > SIP_MAX_MSG)
		return -EMSGSIZE;
	rc = d->tp == SIP_TP_TCP ? tp_tcp_send(d, buf, len) : tp_udp_send(d, buf, len);
	if (rc == 0)
		sip_stats_tx(buf, len);
	return rc;
}

int
sip_tp_send(const struct sip_dest *d, const void *buf, size_t len)
{
	struct sip_dest dd = *d;

	return sip_tp_send_track(&dd, buf, len);
}

/* ---- receiving ----------------------------------------------------------- */

/* Answer a message that cannot be processed; the caller counts. */
static void
reply_error(struct sip_worker *w, const struct sip_msg *m, const struct sip_err *e,
	    const struct sip_src *src)
{
	struct tp_rx *rx = w->tp;
	struct sip_dest d = {
		.addr = src->peer, .tp = src->tp, .sock = src->sock, .conn_id = src->conn_id,
	};
	int n;

	n = sip_build_response(rx->out, sizeof(rx->out), m, e->code ? e->code : 400,
			       e->reason, NULL, NULL, NULL, NULL);
	if (n > 0)
		sip_tp_send(&d, rx->out, (size_t)n);
}

bool
tp_input(struct sip_worker *w, const char *buf, size_t len, struct sip_src *src)
{
	struct tp_rx *rx = w->tp;
	struct sip_msg *m = &rx->msg;
	struct sip_err e;
	char peer[XR_SA_STRLEN];

	if (sip_frame_skip_crlf(buf, len) == len)
		return true;	/* RFC 5626 CRLF keep-alive */
	if (sip_msg_parse(m, buf, len, &e) < 0 ||
	    (m->is_request && sip_msg_check_request(m, &e) < 0)) {
		TP_INC(rx_bad);
		log_ratelimited(LS_SIP, LL_DEBUG, "bad message from %s: %d %s",
				xr_sa_str(&src->peer, peer, sizeof(peer)), e.code,
				e.reason ? e.reason : "?");
		/* §18.1.2 / RFC 4475 §3.1.2: answer requests we can; drop the rest */
		if (e.can_reply && m->method != SIP_METHOD_ACK)
			reply_error(w, m, &e, src);
		else
			TP_INC(rx_bad_dropped);
		return true;	/* framed, so the stream is still in step */
	}
	if (m->nvia <= 0) {
		TP_INC(rx_bad);
		TP_INC(rx_bad_dropped);
		return true;
	}
	if (m->is_request)
		sip_tp_via_nat(src, m->via1.host.s, (size_t)m->via1.host.len,
			       m->via1.rport && m->via1.rport_val == 0);
	TP_INC(rx_msgs);
	sip_stats_rx(m);
	if (m->is_request && !pike_request(&src->peer))
		return true;	/* banned or over its rate (guard/pike.c): dropped */
	if (sip_upper && sip_upper->input)
		sip_upper->input(m, src);
	return true;
}

static void
udp_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct sip_worker *w = ev_userdata(loop);
	struct tp_rx *rx = w->tp;
	int idx = (int)(intptr_t)io->data;

	(void)revents;
	for (int round = 0; round < UDP_ROUNDS; round++) {
		int n;

		for (int i = 0; i < UDP_BATCH; i++) {
			memset(&rx->hdr[i].msg_hdr, 0, sizeof(rx->hdr[i].msg_hdr));
			rx->hdr[i].msg_hdr.msg_iov = &rx->iov[i];
			rx->hdr[i].msg_hdr.msg_iovlen = 1;
			rx->hdr[i].msg_hdr.msg_name = &rx->from[i];
			rx->hdr[i].msg_hdr.msg_namelen = sizeof(rx->from[i]);
		}
		n = recvmmsg(io->fd, rx->hdr, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		__atomic_fetch_add(&w->udp_rx, (uint64_t)n, __ATOMIC_RELAXED);
		for (int i = 0; i < n; i++) {
			struct sip_src src = {
				.peer = rx->from[i], .local = sip_addrs[idx], .tp = SIP_TP_UDP,
				.sock = idx,
			};
			size_t len = rx->hdr[i].msg_len;

			if (len >= UDP_BUFSZ) {	/* truncated */
				TP_INC(rx_bad);
				TP_INC(rx_bad_dropped);
				continue;
			}
			tp_input(w, rx->buf[i], len, &src);
		}
		if (n < UDP_BATCH)
			return;
	}
}

/* A nonblocking socket bound to sa with SO_REUSEADDR and SO_REUSEPORT. */
int
tp_bind_socket(const union xr_sa *sa, int type)
{
	int fd, on = 1;

	fd = socket(sa->sa.sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0 ||
	    (sa->sa.sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) ||
	    bind(fd, &sa->sa, xr_sa_len(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int
tp_udp_open(struct sip_worker *w, int i)
{
	char s[XR_SA_STRLEN];
	int fd, sz = 4 << 20;

	fd = tp_bind_socket(&sip_addrs[i], SOCK_DGRAM);
	if (fd < 0) {
		errno = -fd;
		log_warn("sip: udp bind %s", xr_sa_str(&sip_addrs[i], s, sizeof(s)));
		return fd;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (xr_sa_port(&sip_addrs[i]) == 0) {
		/* port 0 (tests): every later socket binds the one we got */
		union xr_sa got;
		socklen_t sl = sizeof(got);

		if (getsockname(fd, &got.sa, &sl) == 0)
			xr_sa_set_port(&sip_addrs[i], xr_sa_port(&got));
	}
	w->udp_fd[i] = fd;
	ev_set_userdata(w->loop, w);
	ev_io_init(&w->udp_io[i], udp_cb, fd, EV_READ);
	w->udp_io[i].data = (void *)(intptr_t)i;
	ev_io_start(w->loop, &w->udp_io[i]);
	return 0;
}
