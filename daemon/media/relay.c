// SPDX-License-Identifier: GPL-2.0
/*
 * relay.c - the userspace media relay (relay.h): one thread, one libev loop,
 * an ev_io per shared socket (one per --media address; the port a packet was
 * sent to names its leg) or, with --media-sockets port, per leg socket.  It
 * relays what the XDP path passes up (not yet latched, no neighbour, no XDP
 * at all) with the same rules, and latches.  Shared sockets send through
 * the raw sockets of shared.c.  Owns the loop and its watchers; the sessions
 * belong to session.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "media/rawudp.h"
#include "media/relay.h"
#include "media/session_internal.h"
#include "media/shared.h"

enum relay_op { RELAY_ATTACH, RELAY_DETACH };

/* A request from another thread; lives on the requester's stack. */
struct relay_cmd {
	enum relay_op		 op;
	struct media_session	*s;
	bool			 done;
	bool			 async;		/* nobody waits: freed once run */
	struct relay_cmd	*next;
};

static struct {
	struct ev_loop		*loop;
	ev_async		 wake;		/* commands queued or stop asked */
	ev_timer		 tick;		/* media-timeout check */
	pthread_t		 thread;
	pthread_mutex_t		 qlock;		/* queue, running, stopping */
	pthread_cond_t		 qcond;		/* a command is done */
	struct relay_cmd	*queue;		/* FIFO: an attach runs before its detach */
	struct relay_cmd	*qtail;
	bool			 running;	/* the thread owns the loop */
	bool			 stopping;
	struct relay_totals	 tot;		/* relay thread writes (STAT_ADD), others load */
	ev_io			 shared[XR_MAX_MEDIA];	/* the shared sockets' watchers */
	int			 nshared;
} R = {
	.qlock = PTHREAD_MUTEX_INITIALIZER,
	.qcond = PTHREAD_COND_INITIALIZER,
};

/* Room for one int-sized control message, aligned for struct cmsghdr. */
union relay_cmsg {
	char		buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr	align;
};

/* Room for what a datagram is read with: TOS / traffic class and the original destination. */
union relay_rx_cmsg {
	char		buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct sockaddr_in6)) + 64];
	struct cmsghdr	align;
};

/*
 * Batch buffers: only the relay thread (or the one thread driving the loop
 * before relay_start()) uses them; nothing is allocated per packet.
 */
static struct {
	struct mmsghdr	in[RELAY_BATCH];
	struct iovec	iov[RELAY_BATCH];
	union xr_sa	src[RELAY_BATCH];
	union relay_rx_cmsg cin[RELAY_BATCH];	/* IP_TOS / IPV6_TCLASS (and the original
						 * destination) of each packet read */
	union xr_sa	odst[RELAY_BATCH];	/* shared sockets: where each was sent to */
	struct mmsghdr	out[RELAY_BATCH];
	struct iovec	oiov[RELAY_BATCH];
	union relay_cmsg cout[RELAY_BATCH];	/* the same, for the packet sent */
	/* Raw sends of a shared-socket batch, per family ([0] IPv4, [1] IPv6). */
	struct mmsghdr	rout[2][RELAY_BATCH];
	struct iovec	riov[2][RELAY_BATCH][2];	/* header, payload */
	uint8_t		rhdr[2][RELAY_BATCH][RAWUDP_HDR_MAX];
	union xr_sa	rdst[2][RELAY_BATCH];		/* destination, port 0 */
	struct media_leg *rleg[2][RELAY_BATCH];		/* the leg it came in on */
	int		nraw[2];
	unsigned char	buf[RELAY_BATCH][RELAY_MTU];
} B;

static __thread bool on_relay_thread;

/* Counters have one writer, the relay thread: a plain add, published with a relaxed store. */
#define STAT_ADD(field, v)	__atomic_store_n(&(field), (field) + (v), __ATOMIC_RELAXED)
#define TOT_ADD(field, v)	STAT_ADD(R.tot.field, v)

uint64_t
media_now_ns(void)
{
	return xr_mono_ns();
}

uint64_t
media_kernel_now_ns(void)
{
	return xr_coarse_ns();
}

int
relay_on_thread(void)
{
	return on_relay_thread;
}

static void
log_latch(const struct media_leg *leg, const union xr_sa *src)
{
	char a[XR_SA_STRLEN];

	logs(LS_MEDIA, LL_INFO, "session %llu side %c %s latched %s",
	     (unsigned long long)leg->side->sess->id, leg->side->id == MEDIA_A ? 'A' : 'B',
	     leg->id == MEDIA_RTP ? "RTP" : "RTCP", xr_sa_str(src, a, sizeof(a)));
}

/* The TOS (IPv4) or traffic class (IPv6) byte a packet arrived with; 0 when absent. */
static int
rx_tos(struct msghdr *mh)
{
	struct cmsghdr *c = CMSG_FIRSTHDR(mh);

	for (; c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS)
			return *(unsigned char *)CMSG_DATA(c);
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v & 0xff;
		}
	}
	return 0;
}

/*
 * Give out message mh the TOS / traffic class tos (DSCP and ECN, as the XDP
 * path leaves them untouched) for a socket of family fam.
 */
static void
tx_tos(struct msghdr *mh, union relay_cmsg *cb, int fam, int tos)
{
	struct cmsghdr *c;

	mh->msg_control = cb->buf;
	mh->msg_controllen = sizeof(cb->buf);
	c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = fam == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
	c->cmsg_type = fam == AF_INET6 ? IPV6_TCLASS : IP_TOS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &tos, sizeof(tos));
}

/*
 * Send out[0..k) from fd, retrying what a partial sendmmsg left.  Returns
 * the packets sent and their bytes in *bytes.
 */
static int
relay_send(int fd, int k, uint64_t *bytes)
{
	int sent = 0;

	*bytes = 0;
	while (sent < k) {
		int r = sendmmsg(fd, B.out + sent, (unsigned)(k - sent), MSG_DONTWAIT);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			log_ratelimited(LS_MEDIA, LL_WARN, "relay: sendmmsg on fd %d: %s", fd,
					strerror(errno));
			break;
		}
		for (int i = sent; i < sent + r; i++)
			*bytes += B.out[i].msg_len;
		sent += r;
	}
	return sent;
}

/* Undo what recvmmsg wrote into the first n headers (name and control lengths). */
static void
relay_rearm(int n)
{
	for (int i = 0; i < n; i++) {
		B.in[i].msg_hdr.msg_namelen = sizeof(B.src[i]);
		B.in[i].msg_hdr.msg_controllen = sizeof(B.cin[i].buf);
	}
}

/*
 * Queue a datagram of len bytes at buf, read on leg, to leave from local
 * towards dst through the raw socket of their family (shared.c), header
 * first, the TOS / traffic class in it; relay_raw_flush() sends the batch.
 */
static void
relay_raw_add(struct media_leg *leg, const union xr_sa *local, const union xr_sa *dst,
	      void *buf, unsigned len, int tos)
{
	int f = local->sa.sa_family == AF_INET6, j = B.nraw[f]++;
	int hl = rawudp_header(B.rhdr[f][j], local, dst, tos, MEDIA_TTL, buf, len);

	B.rdst[f][j] = *dst;
	xr_sa_set_port(&B.rdst[f][j], 0);	/* raw sockets take no port */
	B.riov[f][j][0] = (struct iovec){ .iov_base = B.rhdr[f][j], .iov_len = (size_t)hl };
	B.riov[f][j][1] = (struct iovec){ .iov_base = buf, .iov_len = len };
	B.rout[f][j].msg_hdr = (struct msghdr){
		.msg_name = &B.rdst[f][j], .msg_namelen = xr_sa_len(dst),
		.msg_iov = B.riov[f][j], .msg_iovlen = 2,
	};
	B.rleg[f][j] = leg;
}

/*
 * Send what relay_raw_add() queued, one sendmmsg per family for the whole
 * batch (packets of many legs interleave on a shared socket), and count each
 * packet on its leg.  Call under the RCU read lock that found the legs.
 */
static void
relay_raw_flush(void)
{
	for (int f = 0; f < 2; f++) {
		int n = B.nraw[f], sent = 0, fd = shared_raw_fd(f ? AF_INET6 : AF_INET);

		while (sent < n) {
			int r = sendmmsg(fd, B.rout[f] + sent, (unsigned)(n - sent), MSG_DONTWAIT);

			if (r < 0) {
				if (errno == EINTR)
					continue;
				log_ratelimited(LS_MEDIA, LL_WARN, "relay: sendmmsg on the raw "
						"socket: %s", strerror(errno));
				break;
			}
			sent += r;
		}
		for (int i = 0; i < n; i++) {
			struct media_leg *leg = B.rleg[f][i];
			uint64_t len = B.riov[f][i][1].iov_len;

			if (i < sent) {
				STAT_ADD(leg->st.fwd_packets, 1);
				STAT_ADD(leg->st.fwd_bytes, len);
				TOT_ADD(fwd_packets, 1);
				TOT_ADD(fwd_bytes, len);
			} else {
				STAT_ADD(leg->st.drop_other, 1);
				TOT_ADD(drop_other, 1);
			}
		}
		B.nraw[f] = 0;
	}
}

/*
 * Datagrams in[first..first+n) sent to leg: latch, filter, and relay from
 * the other side's port of the same leg (its socket, or queued for the raw
 * socket of its family: relay_raw_flush()), payload and TOS / traffic class
 * unchanged.  The session lock
 * is taken once; the kernel flows are rewritten under it when these latched
 * the leg.  Call on the relay thread, under the RCU read lock for a leg of
 * a shared socket.
 *
 * Long (~110 lines) because it is the userspace relay's per-batch loop:
 * split, the batch state would go through every call on the hot path.
 */
static void
relay_run(struct media_leg *leg, int first, int n, uint64_t now)
{
	struct media_session *s = leg->side->sess;
	struct media_leg *peer = &s->side[!leg->side->id].leg[leg->id];
	uint64_t rx_b = 0, fwd_b = 0;
	int k = 0, drop_src = 0, drop_nodst = 0, drop_other = 0, drop_early = 0, sent = 0;
	enum xr_latch policy = media_policy();
	bool latched_now = false, have_dst, known, raw;
	union xr_sa dst, latched_src, bad_src, out_local;
	int out_fd, out_fam, tos;
	enum latch_verdict v;

	pthread_mutex_lock(&s->lock);
	if (s->dead) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	have_dst = media_leg_dst(leg, &dst, &known);
	out_fd = peer->fd;
	out_local = peer->local;
	out_fam = peer->local.sa.sa_family;
	raw = out_fd < 0;
	for (int i = first; i < first + n; i++) {
		unsigned len = B.in[i].msg_len;

		rx_b += len;
		v = media_latch(policy, &leg->remote, &leg->latched, &B.src[i]);
		if (v == LATCH_DROP) {
			bad_src = B.src[i];
			drop_src++;
			continue;
		}
		if (v == LATCH_EARLY) {
			leg->early = B.src[i];
			drop_early++;
			continue;
		}
		/* Not relayed (over RELAY_MTU), so it latches nothing either. */
		if (B.in[i].msg_hdr.msg_flags & MSG_TRUNC) {
			drop_other++;
			continue;
		}
		if (v == LATCH_LATCH) {
			leg->latched = B.src[i];
			latched_src = B.src[i];
			latched_now = true;
		}
		if (!have_dst) {
			drop_nodst++;
			continue;
		}
		if (raw) {	/* sent with the rest of the batch: relay_raw_flush() */
			relay_raw_add(leg, &out_local, &dst, B.buf[i], len,
				      rx_tos(&B.in[i].msg_hdr));
			continue;
		}
		B.oiov[k].iov_base = B.buf[i];
		B.oiov[k].iov_len = len;
		B.out[k].msg_hdr = (struct msghdr){
			.msg_name = &dst, .msg_namelen = xr_sa_len(&dst),
			.msg_iov = &B.oiov[k], .msg_iovlen = 1,
		};
		tos = rx_tos(&B.in[i].msg_hdr);
		if (tos)
			tx_tos(&B.out[k].msg_hdr, &B.cout[k], out_fam, tos);
		k++;
	}
	if (latched_now)
		media_flows_write(s);
	pthread_mutex_unlock(&s->lock);
	if (latched_now)
		media_changed(s->id);	/* a latch is state (daemon/ha/ keeps it) */

	if (k)
		sent = relay_send(out_fd, k, &fwd_b);
	drop_other += k - sent;

	STAT_ADD(leg->st.rx_packets, (uint64_t)n);
	STAT_ADD(leg->st.rx_bytes, rx_b);
	STAT_ADD(leg->st.fwd_packets, (uint64_t)sent);
	STAT_ADD(leg->st.fwd_bytes, fwd_b);
	STAT_ADD(leg->st.drop_source, (uint64_t)drop_src);
	STAT_ADD(leg->st.drop_no_dest, (uint64_t)drop_nodst);
	STAT_ADD(leg->st.drop_other, (uint64_t)drop_other);
	STAT_ADD(leg->st.drop_early, (uint64_t)drop_early);
	if (n > drop_src + drop_early)
		__atomic_store_n(&leg->st.last_ns, now, __ATOMIC_RELAXED);
	TOT_ADD(rx_packets, (uint64_t)n);
	TOT_ADD(rx_bytes, rx_b);
	TOT_ADD(fwd_packets, (uint64_t)sent);
	TOT_ADD(fwd_bytes, fwd_b);
	TOT_ADD(drop_source, (uint64_t)drop_src);
	TOT_ADD(drop_no_dest, (uint64_t)drop_nodst);
	TOT_ADD(drop_other, (uint64_t)drop_other);
	TOT_ADD(drop_early, (uint64_t)drop_early);
	if (latched_now) {
		TOT_ADD(latched, 1);
		log_latch(leg, &latched_src);
	}
	/*
	 * With the fast path, what reaches this is XDP's sampled share of a
	 * wrong-source stream (the rest is drop_wrong_source in the kernel).
	 */
	if (drop_src) {
		char b[XR_SA_STRLEN];

		log_ratelimited(LS_MEDIA, LL_INFO,
				"relay: session %llu side %c %s: %d packet%s from a wrong source "
				"(last %s) dropped", (unsigned long long)s->id,
				leg->side->id == MEDIA_A ? 'A' : 'B',
				leg->id == MEDIA_RTP ? "RTP" : "RTCP", drop_src,
				drop_src == 1 ? "" : "s", xr_sa_str(&bad_src, b, sizeof(b)));
	}
}

/* One batch from leg's own socket.  Returns the datagrams read (0: drained or error). */
static int
relay_batch(struct media_leg *leg)
{
	int n = recvmmsg(leg->fd, B.in, RELAY_BATCH, MSG_DONTWAIT, NULL);

	if (n <= 0) {
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			log_ratelimited(LS_MEDIA, LL_WARN, "relay: recvmmsg on fd %d: %s",
					leg->fd, strerror(errno));
		return 0;
	}
	relay_run(leg, 0, n, media_now_ns());
	relay_rearm(n);
	return n;
}

/*
 * One batch from a shared socket: each run of datagrams sent to the same
 * relay port goes to that port's leg (relay_run()); datagrams for a port no
 * session holds are dropped and counted.  Returns the datagrams read.
 */
static int
relay_shared_batch(int fd)
{
	int n = recvmmsg(fd, B.in, RELAY_BATCH, MSG_DONTWAIT, NULL), unknown = 0;
	uint64_t now, unknown_b = 0;
	char a[XR_SA_STRLEN];

	if (n <= 0) {
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			log_ratelimited(LS_MEDIA, LL_WARN, "relay: recvmmsg on fd %d: %s", fd,
					strerror(errno));
		return 0;
	}
	now = media_now_ns();
	for (int i = 0; i < n; i++)
		if (rawudp_origdst(&B.in[i].msg_hdr, &B.odst[i]) < 0)
			memset(&B.odst[i], 0, sizeof(B.odst[i]));
	rcu_read_lock();
	for (int i = 0, j; i < n; i = j) {
		struct media_leg *leg = NULL;

		for (j = i + 1; j < n && xr_sa_eq(&B.odst[j], &B.odst[i]); j++)
			;
		if (B.odst[i].sa.sa_family)
			leg = leg_find(&B.odst[i]);
		if (leg) {
			relay_run(leg, i, j - i, now);
			continue;
		}
		unknown += j - i;
		for (int x = i; x < j; x++)
			unknown_b += B.in[x].msg_len;
		log_ratelimited(LS_MEDIA, LL_INFO, "relay: %d packet%s for %s, a port no "
				"session holds, dropped", j - i, j - i == 1 ? "" : "s",
				B.odst[i].sa.sa_family ?
				xr_sa_str(&B.odst[i], a, sizeof(a)) : "(no destination)");
	}
	relay_raw_flush();
	rcu_read_unlock();
	relay_rearm(n);
	TOT_ADD(rx_packets, (uint64_t)unknown);
	TOT_ADD(rx_bytes, unknown_b);
	TOT_ADD(drop_other, (uint64_t)unknown);
	return n;
}

/* Readable shared socket: up to a few batches, then let the others run. */
static void
relay_on_shared(struct ev_loop *loop, ev_io *w, int revents)
{
	for (int round = 0; round < 8; round++)
		if (relay_shared_batch(w->fd) < RELAY_BATCH)
			break;
}

int
relay_add_shared(int fd)
{
	if (R.nshared >= XR_MAX_MEDIA || !R.loop)
		return -ENOSPC;
	ev_io_init(&R.shared[R.nshared], relay_on_shared, fd, EV_READ);
	ev_io_start(R.loop, &R.shared[R.nshared]);
	R.nshared++;
	return 0;
}

/* Readable leg socket: up to a few batches, then let the other sockets run. */
static void
relay_on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct media_leg *leg = w->data;

	for (int round = 0; round < 8; round++)
		if (relay_batch(leg) < RELAY_BATCH)
			break;
}

static void
relay_do(enum relay_op op, struct media_session *s)
{
	for (int sd = 0; sd < 2; sd++) {
		for (int l = 0; l < 2; l++) {
			struct media_leg *leg = &s->side[sd].leg[l];

			if (leg->fd < 0)	/* a shared socket's: nothing to watch */
				continue;
			if (op == RELAY_ATTACH) {
				ev_io_init(&leg->io, relay_on_read, leg->fd, EV_READ);
				leg->io.data = leg;
				ev_io_start(R.loop, &leg->io);
			} else {
				ev_io_stop(R.loop, &leg->io);
			}
		}
	}
}

/* Run the queued commands in order.  Call with qlock held. */
static void
relay_run_queue(void)
{
	struct relay_cmd *c;

	while ((c = R.queue)) {
		R.queue = c->next;
		if (!R.queue)
			R.qtail = NULL;
		relay_do(c->op, c->s);
		if (c->async)
			free(c);
		else
			c->done = true;
	}
}

/* Wake-up: run queued commands, then stop the loop when asked to. */
static void
relay_on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	pthread_mutex_lock(&R.qlock);
	relay_run_queue();
	pthread_cond_broadcast(&R.qcond);
	if (R.stopping)
		ev_break(loop, EVBREAK_ALL);
	pthread_mutex_unlock(&R.qlock);
}

static void
relay_on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	media_timeout_check();
}

static void *
relay_main(void *arg)
{
	rcu_register_thread();
	on_relay_thread = true;
	if (R.tick.repeat > 0.)
		ev_timer_again(R.loop, &R.tick);
	ev_run(R.loop, 0);
	ev_timer_stop(R.loop, &R.tick);
	on_relay_thread = false;
	rcu_unregister_thread();
	return NULL;
}

/* The receive side of the batch buffers: set once, msg_namelen reset after use. */
static void
relay_bufs_init(void)
{
	for (int i = 0; i < RELAY_BATCH; i++) {
		B.iov[i].iov_base = B.buf[i];
		B.iov[i].iov_len = RELAY_MTU;
		B.in[i].msg_hdr = (struct msghdr){
			.msg_name = &B.src[i], .msg_namelen = sizeof(B.src[i]),
			.msg_iov = &B.iov[i], .msg_iovlen = 1,
			.msg_control = B.cin[i].buf, .msg_controllen = sizeof(B.cin[i].buf),
		};
	}
}

int
relay_init(int timeout_s)
{
	relay_bufs_init();
	R.loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV);
	if (!R.loop)
		R.loop = ev_loop_new(EVFLAG_AUTO);
	if (!R.loop)
		return -ENOMEM;
	ev_async_init(&R.wake, relay_on_wake);
	ev_async_start(R.loop, &R.wake);
	ev_init(&R.tick, relay_on_tick);
	/* Check often enough that a call ends within ~10 % of the timeout. */
	R.tick.repeat = timeout_s > 0 ? (timeout_s >= 10 ? 1.0 : 0.25) : 0.;
	memset(&R.tot, 0, sizeof(R.tot));
	R.queue = R.qtail = NULL;
	R.stopping = false;
	return 0;
}

int
relay_start(void)
{
	int err;

	pthread_mutex_lock(&R.qlock);
	if (R.running) {
		pthread_mutex_unlock(&R.qlock);
		return -EALREADY;
	}
	R.running = true;
	R.stopping = false;
	err = pthread_create(&R.thread, NULL, relay_main, NULL);
	if (err)
		R.running = false;
	pthread_mutex_unlock(&R.qlock);
	if (err) {
		logs(LS_MEDIA, LL_WARN, "cannot start the relay thread: %s", strerror(err));
		return -err;
	}
	pthread_setname_np(R.thread, "xr-relay");
	return 0;
}

void
relay_stop(void)
{
	pthread_mutex_lock(&R.qlock);
	if (!R.running) {
		pthread_mutex_unlock(&R.qlock);
		return;
	}
	R.stopping = true;
	pthread_mutex_unlock(&R.qlock);
	ev_async_send(R.loop, &R.wake);
	pthread_join(R.thread, NULL);
	pthread_mutex_lock(&R.qlock);
	R.running = false;
	R.stopping = false;
	/* Requests queued after the thread's last wake-up: nobody else runs the loop now. */
	relay_run_queue();
	pthread_cond_broadcast(&R.qcond);
	pthread_mutex_unlock(&R.qlock);
}

void
relay_fini(void)
{
	if (!R.loop)
		return;
	relay_stop();
	for (int i = 0; i < R.nshared; i++)
		ev_io_stop(R.loop, &R.shared[i]);
	R.nshared = 0;
	ev_async_stop(R.loop, &R.wake);
	ev_loop_destroy(R.loop);
	R.loop = NULL;
}

/*
 * Run op on the relay thread (in queue order) and wait for it, or directly
 * when that is safe.  An attach does not wait (the sockets just start being
 * read a little later: what arrives meanwhile waits in their buffers); a
 * detach does, so nothing reads a socket once it is closed.  Measured: the
 * wait was ~6 % of xrelayd's CPU per anchored call, for each of the two.
 */
static void
relay_request(enum relay_op op, struct media_session *s)
{
	struct relay_cmd sync = { .op = op, .s = s }, *c = &sync;

	/*
	 * Legs of the shared sockets have no watcher: the relay finds them
	 * under the RCU read lock and skips them once dead, and they are freed
	 * after a grace period.
	 */
	if (s->side[0].leg[0].fd < 0 && s->side[1].leg[0].fd < 0)
		return;
	pthread_mutex_lock(&R.qlock);
	if (!R.running || on_relay_thread) {
		relay_do(op, s);
		pthread_mutex_unlock(&R.qlock);
		return;
	}
	if (op == RELAY_ATTACH) {
		c = malloc(sizeof(*c));
		if (c)
			*c = (struct relay_cmd){ .op = op, .s = s, .async = true };
		else
			c = &sync;
	}
	c->next = NULL;
	if (R.qtail)
		R.qtail->next = c;
	else
		R.queue = c;
	R.qtail = c;
	ev_async_send(R.loop, &R.wake);
	while (!c->async && !c->done)
		pthread_cond_wait(&R.qcond, &R.qlock);
	pthread_mutex_unlock(&R.qlock);
}

void
relay_attach(struct media_session *s)
{
	relay_request(RELAY_ATTACH, s);
}

void
relay_detach(struct media_session *s)
{
	relay_request(RELAY_DETACH, s);
}

void
relay_get_totals(struct relay_totals *t)
{
	t->rx_packets = __atomic_load_n(&R.tot.rx_packets, __ATOMIC_RELAXED);
	t->rx_bytes = __atomic_load_n(&R.tot.rx_bytes, __ATOMIC_RELAXED);
	t->fwd_packets = __atomic_load_n(&R.tot.fwd_packets, __ATOMIC_RELAXED);
	t->fwd_bytes = __atomic_load_n(&R.tot.fwd_bytes, __ATOMIC_RELAXED);
	t->drop_source = __atomic_load_n(&R.tot.drop_source, __ATOMIC_RELAXED);
	t->drop_no_dest = __atomic_load_n(&R.tot.drop_no_dest, __ATOMIC_RELAXED);
	t->drop_other = __atomic_load_n(&R.tot.drop_other, __ATOMIC_RELAXED);
	t->drop_early = __atomic_load_n(&R.tot.drop_early, __ATOMIC_RELAXED);
	t->latched = __atomic_load_n(&R.tot.latched, __ATOMIC_RELAXED);
}
