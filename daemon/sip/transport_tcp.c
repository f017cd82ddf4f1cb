// SPDX-License-Identifier: GPL-2.0
/*
 * transport_tcp.c - SIP over TCP (RFC 3261 §18.3): listeners, accepted and
 * outgoing connections, framing by Content-Length (sip_frame_length) with
 * CRLF keep-alives skipped, a cap on message size, an idle timeout
 * (--tcp-idle), a cap on connections (--tcp-max) and on connections from
 * one untrusted address (--tcp-max-per-source), and write queues bounded per
 * connection (--tcp-max-queue) and over all (--tcp-max-queue-total): a peer
 * that does not read loses its connection, never our memory.  Connections live in two shared liburcu tables (by id, by
 * peer address) so any worker can send over a connection another worker
 * reads; the owning worker alone touches its watchers and read buffer.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <urcu.h>
#include <urcu/rculfhash.h>

#include "common/hash.h"
#include "common/log.h"
#include "policy/policy.h"
#include "sip/msg.h"
#include "sip/worker.h"

#define TCP_RBUF_MIN	4096
#define TCP_RBUF_MAX	(SIP_MAX_MSG + 4096)
#define TCP_ACCEPTS	64		/* accept() calls per wake-up */
#define TCP_READS	8		/* read() calls per wake-up */

struct wchunk {
	struct wchunk	*next;
	size_t		 len, off;
	char		 data[];
};

struct tcp_conn {
	struct cds_lfht_node	 by_id, by_addr;
	struct rcu_head		 rcu;
	uint64_t		 id;
	atomic_int		 refs;
	struct sip_worker	*owner;
	int			 fd;
	int			 sock;		/* index in sip_addrs */
	bool			 src_counted;	/* holds a --tcp-max-per-source slot */
	union xr_sa		 peer, local;
	atomic_uint_fast64_t	 last_active;	/* ms, for --tcp-idle */
	/* owner thread only */
	ev_io			 io;
	ev_timer		 idle;
	bool			 started;
	int			 io_events;
	char			*rbuf;
	size_t			 rlen, rcap;
	/* under wlock */
	pthread_mutex_t		 wlock;
	bool			 connecting;	/* nonblocking connect() under way */
	bool			 closing;	/* no more sends; owner will close */
	bool			 in_tables;
	bool			 job_queued;
	struct wchunk		*wq_head, *wq_tail;
	size_t			 wq_bytes;
	struct sip_job		 job;
};

static struct cds_lfht	*by_id, *by_addr;
static atomic_uint_fast64_t next_id = 1;
static atomic_uint	 rr;	/* round robin owner for off-worker connects */

/*
 * Accepted connections per source address (--tcp-max-per-source): a small
 * chained table under src_lock; an entry lives while its count is > 0, so
 * there are at most --tcp-max entries.
 */
#define SRC_BUCKETS	1024
struct src_count {
	struct src_count	*next;
	union xr_sa		 ip;	/* port ignored */
	int			 n;
};
static struct src_count	*src_tab[SRC_BUCKETS];
static pthread_mutex_t	 src_lock = PTHREAD_MUTEX_INITIALIZER;

static void	conn_job(struct sip_job *job);
static void	conn_io_cb(struct ev_loop *loop, ev_io *w, int revents);
static void	conn_idle_cb(struct ev_loop *loop, ev_timer *w, int revents);

int
tp_tcp_init(void)
{
	if (by_id)
		return 0;
	by_id = cds_lfht_new(1024, 1024, 0, CDS_LFHT_AUTO_RESIZE, NULL);
	by_addr = cds_lfht_new(1024, 1024, 0, CDS_LFHT_AUTO_RESIZE, NULL);
	return by_id && by_addr ? 0 : -ENOMEM;
}

static unsigned long
ip_hash(const union xr_sa *a)
{
	if (a->sa.sa_family == AF_INET)
		return (unsigned long)xr_fnv64(XR_FNV64_INIT, &a->sin.sin_addr, 4);
	return (unsigned long)xr_fnv64(XR_FNV64_INIT, &a->sin6.sin6_addr, 16);
}

/*
 * Take one of ip's --tcp-max-per-source slots (max > 0).  True when taken;
 * false when ip holds max already (or no memory).
 */
static bool
src_take(const union xr_sa *ip, int max)
{
	struct src_count **pp = &src_tab[ip_hash(ip) % SRC_BUCKETS], *e;
	bool ok = false;

	pthread_mutex_lock(&src_lock);
	for (e = *pp; e && !xr_sa_ip_eq(&e->ip, ip); e = e->next)
		;
	if (!e && (e = calloc(1, sizeof(*e))) != NULL) {
		e->ip = *ip;
		e->next = *pp;
		*pp = e;
	}
	if (e && e->n < max) {
		e->n++;
		ok = true;
	}
	pthread_mutex_unlock(&src_lock);
	return ok;
}

/* Give back a slot src_take() gave; the entry goes with its last one. */
static void
src_release(const union xr_sa *ip)
{
	struct src_count **pp = &src_tab[ip_hash(ip) % SRC_BUCKETS], *e;

	pthread_mutex_lock(&src_lock);
	for (; (e = *pp) != NULL; pp = &e->next) {
		if (!xr_sa_ip_eq(&e->ip, ip))
			continue;
		if (--e->n <= 0) {
			*pp = e->next;
			free(e);
		}
		break;
	}
	pthread_mutex_unlock(&src_lock);
}

static unsigned long
addr_hash(const union xr_sa *a)
{
	const unsigned char *p;
	uint64_t h;
	size_t n;

	if (a->sa.sa_family == AF_INET) {
		p = (const unsigned char *)&a->sin.sin_addr;
		n = 4;
	} else {
		p = (const unsigned char *)&a->sin6.sin6_addr;
		n = 16;
	}
	h = xr_fnv64(XR_FNV64_INIT, p, n);
	return (unsigned long)((h ^ xr_sa_port(a)) * XR_FNV64_PRIME);
}

static void
conn_free(struct tcp_conn *c)
{
	struct wchunk *q, *n;

	for (q = c->wq_head; q; q = n) {
		n = q->next;
		free(q);
	}
	if (c->wq_bytes)
		__atomic_fetch_sub(&tp_stats.tcp_queued_bytes, c->wq_bytes, __ATOMIC_RELAXED);
	free(c->rbuf);
	pthread_mutex_destroy(&c->wlock);
	free(c);
}

static void
conn_free_rcu(struct rcu_head *h)
{
	conn_free(caa_container_of(h, struct tcp_conn, rcu));
}

static void
conn_free_job(struct sip_job *job)
{
	call_rcu(&caa_container_of(job, struct tcp_conn, job)->rcu, conn_free_rcu);
}

static bool
conn_ref_live(struct tcp_conn *c)
{
	int r = atomic_load(&c->refs);

	while (r > 0)
		if (atomic_compare_exchange_weak(&c->refs, &r, r + 1))
			return true;
	return false;
}

/* As the transactions: call_rcu() only on registered (worker) threads. */
static void
conn_unref(struct tcp_conn *c)
{
	struct sip_worker *w;

	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	if (sip_worker_self() && !sip_stopping) {
		call_rcu(&c->rcu, conn_free_rcu);
	} else if (!sip_stopping && (w = sip_worker_get(0)) != NULL) {
		c->job.fn = conn_free_job;
		sip_worker_post(w, &c->job);
	} else {
		conn_free(c);
	}
}

static int
id_match(struct cds_lfht_node *n, const void *key)
{
	return caa_container_of(n, struct tcp_conn, by_id)->id == *(const uint64_t *)key;
}

static int
addr_match(struct cds_lfht_node *n, const void *key)
{
	return xr_sa_eq(&caa_container_of(n, struct tcp_conn, by_addr)->peer, key);
}

/* A referenced open connection by id, or NULL. */
static struct tcp_conn *
conn_by_id(uint64_t id)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	struct tcp_conn *c = NULL;

	if (!id || !by_id)
		return NULL;
	rcu_read_lock();
	cds_lfht_lookup(by_id, (unsigned long)id, id_match, &id, &it);
	n = cds_lfht_iter_get_node(&it);
	if (n) {
		c = caa_container_of(n, struct tcp_conn, by_id);
		if (!conn_ref_live(c))
			c = NULL;
	}
	rcu_read_unlock();
	return c;
}

/* A referenced open connection to peer, or NULL. */
static struct tcp_conn *
conn_by_addr(const union xr_sa *peer)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;
	struct tcp_conn *c = NULL;

	if (!by_addr)
		return NULL;
	rcu_read_lock();
	cds_lfht_lookup(by_addr, addr_hash(peer), addr_match, peer, &it);
	while ((n = cds_lfht_iter_get_node(&it)) != NULL) {
		struct tcp_conn *x = caa_container_of(n, struct tcp_conn, by_addr);

		if (!x->closing && conn_ref_live(x)) {
			c = x;
			break;
		}
		cds_lfht_next_duplicate(by_addr, addr_match, peer, &it);
	}
	rcu_read_unlock();
	return c;
}

bool
sip_tp_conn_alive(uint64_t id)
{
	struct tcp_conn *c = conn_by_id(id);
	bool alive;

	if (!c)
		return false;
	pthread_mutex_lock(&c->wlock);
	alive = !c->closing;
	pthread_mutex_unlock(&c->wlock);
	conn_unref(c);
	return alive;
}

/* ---- owner side -------------------------------------------------------- */

/* On the owner: watch for writes while anything is pending.  Call with c->wlock held. */
static void
conn_set_events_locked(struct tcp_conn *c)
{
	int ev = EV_READ | (c->wq_head || c->connecting ? EV_WRITE : 0);

	if (!c->started || ev == c->io_events)
		return;
	ev_io_stop(c->owner->loop, &c->io);
	ev_io_set(&c->io, c->fd, ev);
	ev_io_start(c->owner->loop, &c->io);
	c->io_events = ev;
}

/* Ask the owner to look at c (start watchers, arm writes, close). */
static void
conn_kick_locked(struct tcp_conn *c)
{
	if (sip_worker_self() == c->owner && !c->closing) {
		conn_set_events_locked(c);
		return;
	}
	if (c->job_queued)
		return;
	c->job_queued = true;
	atomic_fetch_add(&c->refs, 1);
	c->job.fn = conn_job;
	sip_worker_post(c->owner, &c->job);
}

/* On the owner: close for good and drop the base reference. */
static void
conn_close_owner(struct tcp_conn *c, const char *why)
{
	char s[XR_SA_STRLEN];
	bool drop;

	pthread_mutex_lock(&c->wlock);
	c->closing = true;
	drop = c->in_tables;
	if (c->in_tables) {
		rcu_read_lock();
		cds_lfht_del(by_id, &c->by_id);
		cds_lfht_del(by_addr, &c->by_addr);
		rcu_read_unlock();
		c->in_tables = false;
	}
	pthread_mutex_unlock(&c->wlock);
	if (!drop)
		return;
	if (c->started) {
		ev_io_stop(c->owner->loop, &c->io);
		ev_timer_stop(c->owner->loop, &c->idle);
		c->started = false;
	}
	close(c->fd);
	c->fd = -1;
	TP_DEC(tcp_conns);
	if (c->src_counted)
		src_release(&c->peer);
	/* §17.1.4: client transactions waiting on this connection fail now */
	if (!sip_stopping && sip_upper && sip_upper->conn_closed)
		sip_upper->conn_closed(c->id);
	sip_debug("tcp %llu %s closed: %s", (unsigned long long)c->id,
		  xr_sa_str(&c->peer, s, sizeof(s)), why);
	conn_unref(c);
}

/* The TCP limits of the running configuration (0: default / none). */
struct tcp_limits {
	int	idle;		/* --tcp-idle */
	int	max;		/* --tcp-max */
	int	per_source;	/* --tcp-max-per-source */
	size_t	queue;		/* --tcp-max-queue */
	size_t	queue_total;	/* --tcp-max-queue-total */
};

#define TCP_QUEUE_DEFAULT	(64u << 10)
#define TCP_QUEUE_TOTAL_DEFAULT	(64u << 20)

static void
tp_tcp_limits(struct tcp_limits *l)
{
	const struct xr_config *cfg;

	memset(l, 0, sizeof(*l));
	l->queue = TCP_QUEUE_DEFAULT;
	l->queue_total = TCP_QUEUE_TOTAL_DEFAULT;
	if (!sip_cfg)
		return;
	rcu_read_lock();
	cfg = config_now(sip_cfg);
	l->idle = cfg->tcp_idle;
	l->max = cfg->tcp_max_conns;
	l->per_source = cfg->tcp_max_per_source;
	if (cfg->tcp_max_queue > 0)
		l->queue = (size_t)cfg->tcp_max_queue;
	if (cfg->tcp_max_queue_total > 0)
		l->queue_total = (size_t)cfg->tcp_max_queue_total;
	rcu_read_unlock();
}

static void
conn_start_owner(struct tcp_conn *c)
{
	struct tcp_limits l;
	double idle;

	tp_tcp_limits(&l);
	idle = l.idle > 0 ? l.idle : 600;

	ev_io_init(&c->io, conn_io_cb, c->fd, EV_READ);
	c->io.data = c;
	c->io_events = EV_READ;
	ev_timer_init(&c->idle, conn_idle_cb, idle, idle);
	c->idle.data = c;
	ev_io_start(c->owner->loop, &c->io);
	ev_timer_start(c->owner->loop, &c->idle);
	c->started = true;
}

static void
conn_job(struct sip_job *job)
{
	struct tcp_conn *c = caa_container_of(job, struct tcp_conn, job);
	bool closing;

	pthread_mutex_lock(&c->wlock);
	c->job_queued = false;
	closing = c->closing;
	if (!closing && !c->started && c->in_tables) {
		pthread_mutex_unlock(&c->wlock);
		conn_start_owner(c);
		pthread_mutex_lock(&c->wlock);
	}
	if (!closing)
		conn_set_events_locked(c);
	pthread_mutex_unlock(&c->wlock);
	if (closing)
		conn_close_owner(c, "closed");
	conn_unref(c);
}

/* Write what the kernel takes.  0, or -errno (fatal).  Call with c->wlock held. */
static int
conn_flush_locked(struct tcp_conn *c)
{
	struct wchunk *q;

	while ((q = c->wq_head) != NULL) {
		ssize_t n = send(c->fd, q->data + q->off, q->len - q->off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		q->off += (size_t)n;
		c->wq_bytes -= (size_t)n;
		__atomic_fetch_sub(&tp_stats.tcp_queued_bytes, (uint64_t)n, __ATOMIC_RELAXED);
		if (q->off < q->len)
			return 0;
		c->wq_head = q->next;
		if (!c->wq_head)
			c->wq_tail = NULL;
		free(q);
	}
	return 0;
}

/* Frame and dispatch what is in the read buffer; false: close. */
static bool
conn_process(struct tcp_conn *c)
{
	size_t off = 0;
	bool keep = true;

	while (keep && off < c->rlen) {
		struct sip_src src = {
			.peer = c->peer, .local = c->local, .tp = SIP_TP_TCP, .sock = c->sock,
			.conn_id = c->id,
		};
		int fl;

		off += sip_frame_skip_crlf(c->rbuf + off, c->rlen - off);
		if (off >= c->rlen)
			break;
		fl = sip_frame_length(c->rbuf + off, c->rlen - off);
		if (fl == 0) {
			if (c->rlen - off > SIP_MAX_MSG) {
				TP_INC(tcp_oversize);
				keep = false;
			}
			break;
		}
		if (fl < 0) {
			/* unframeable: answer if we can, then the stream is lost */
			if (fl == -EMSGSIZE)
				TP_INC(tcp_oversize);
			tp_input(c->owner, c->rbuf + off, c->rlen - off, &src);
			keep = false;
			break;
		}
		keep = tp_input(c->owner, c->rbuf + off, (size_t)fl, &src);
		off += (size_t)fl;
	}
	if (off) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	return keep;
}

static void
conn_read(struct tcp_conn *c)
{
	for (int round = 0; round < TCP_READS; round++) {
		ssize_t n;

		if (c->rcap - c->rlen < TCP_RBUF_MIN / 2) {
			size_t cap = c->rcap ? c->rcap * 2 : TCP_RBUF_MIN;
			char *p;

			if (cap > TCP_RBUF_MAX)
				cap = TCP_RBUF_MAX;
			if (cap <= c->rlen) {
				TP_INC(tcp_oversize);
				conn_close_owner(c, "message too large");
				return;
			}
			p = realloc(c->rbuf, cap);
			if (!p) {
				conn_close_owner(c, "out of memory");
				return;
			}
			c->rbuf = p;
			c->rcap = cap;
		}
		n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (n == 0) {
			conn_close_owner(c, "eof");
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				conn_close_owner(c, strerror(errno));
			return;
		}
		c->rlen += (size_t)n;
		atomic_store(&c->last_active, sip_now_ms());
		if (!conn_process(c)) {
			conn_close_owner(c, "bad framing");
			return;
		}
		if (c->rcap == TCP_RBUF_MAX && c->rlen == 0) {
			/* shrink after a big message */
			free(c->rbuf);
			c->rbuf = NULL;
			c->rcap = 0;
		}
	}
}

static void
conn_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tcp_conn *c = w->data;
	int err = 0;

	(void)loop;
	atomic_fetch_add(&c->refs, 1);
	if (revents & EV_WRITE) {
		pthread_mutex_lock(&c->wlock);
		if (c->connecting) {
			socklen_t sl = sizeof(err);

			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
				err = errno;
			err = -err;
			if (!err)
				c->connecting = false;
		}
		if (!err)
			err = conn_flush_locked(c);
		if (!err)
			conn_set_events_locked(c);
		pthread_mutex_unlock(&c->wlock);
		if (err) {
			conn_close_owner(c, strerror(-err));
			goto out;
		}
	}
	if ((revents & EV_READ) && c->fd >= 0)
		conn_read(c);
out:
	conn_unref(c);
}

/* libev's "last activity" idle timer: re-arm for what is left. */
static void
conn_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tcp_conn *c = w->data;
	uint64_t now = sip_now_ms(), last = atomic_load(&c->last_active);
	uint64_t idle_ms;
	struct tcp_limits l;

	tp_tcp_limits(&l);
	idle_ms = (uint64_t)(l.idle > 0 ? l.idle : 600) * 1000;

	(void)revents;
	if (now - last >= idle_ms) {
		TP_INC(tcp_idle_closed);
		conn_close_owner(c, "idle");
		return;
	}
	w->repeat = (double)(idle_ms - (now - last)) / 1000.0;
	ev_timer_again(loop, w);
}

/*
 * A new connection object for fd, in both tables; referenced once (base).
 * The caller has counted it in tcp_conns already (accept reserves its slot
 * under --tcp-max before it gets here).
 */
static struct tcp_conn *
conn_new(int fd, struct sip_worker *owner, int sock, const union xr_sa *peer,
	 const union xr_sa *local, bool connecting)
{
	struct tcp_conn *c = calloc(1, sizeof(*c));
	int on = 1;

	if (!c)
		return NULL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	c->id = atomic_fetch_add(&next_id, 1);
	atomic_init(&c->refs, 1);
	c->fd = fd;
	c->owner = owner;
	c->sock = sock;
	c->peer = *peer;
	c->local = *local;
	atomic_init(&c->last_active, sip_now_ms());
	pthread_mutex_init(&c->wlock, NULL);
	c->connecting = connecting;	/* before anyone can find it */
	c->in_tables = true;
	rcu_read_lock();
	cds_lfht_add(by_id, (unsigned long)c->id, &c->by_id);
	cds_lfht_add(by_addr, addr_hash(peer), &c->by_addr);
	rcu_read_unlock();
	return c;
}

static void
accept_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct sip_worker *w = ev_userdata(loop);
	int idx = (int)(intptr_t)io->data;

	(void)revents;
	for (int i = 0; i < TCP_ACCEPTS; i++) {
		union xr_sa peer;
		socklen_t sl = sizeof(peer);
		char s[XR_SA_STRLEN];
		struct tcp_limits l;
		struct tcp_conn *c;
		bool src_counted;
		int fd, max;

		fd = accept4(io->fd, &peer.sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		tp_tcp_limits(&l);
		max = l.max;
		/*
		 * Reserve the slot first: two workers accepting at once must
		 * not both see room for the last one.
		 */
		if (TP_INC(tcp_conns) >= (uint64_t)max && max > 0) {
			/* over --tcp-max: the newest connection goes */
			TP_DEC(tcp_conns);
			TP_INC(tcp_refused);
			log_ratelimited(LS_SIP, LL_WARN, "tcp: %d connections (--tcp-max): "
					"closing new connection from %s", max,
					xr_sa_str(&peer, s, sizeof(s)));
			close(fd);
			continue;
		}
		/* --tcp-max-per-source: trusted peers (--trusted) are exempt */
		src_counted = l.per_source > 0 && !pol_trusted(&peer);
		if (src_counted && !src_take(&peer, l.per_source)) {
			TP_DEC(tcp_conns);
			TP_INC(tcp_source_refused);
			log_ratelimited(LS_SIP, LL_WARN, "tcp: %s has %d connections "
					"(--tcp-max-per-source): closing the new one",
					xr_sa_ipstr(&peer, s, sizeof(s)), l.per_source);
			close(fd);
			continue;
		}
		c = conn_new(fd, w, idx, &peer, &sip_addrs[idx], false);
		if (!c) {
			TP_DEC(tcp_conns);
			if (src_counted)
				src_release(&peer);
			close(fd);
			continue;
		}
		c->src_counted = src_counted;
		TP_INC(tcp_accepted);
		conn_start_owner(c);
	}
}

int
tp_tcp_listen(struct sip_worker *w, int i)
{
	char s[XR_SA_STRLEN];
	int fd;

	fd = tp_bind_socket(&sip_addrs[i], SOCK_STREAM);
	if (fd < 0 || listen(fd, 1024) < 0) {
		if (fd >= 0) {
			close(fd);
			fd = -errno;
		}
		errno = -fd;
		log_warn("sip: tcp listen %s", xr_sa_str(&sip_addrs[i], s, sizeof(s)));
		return fd;
	}
	w->tcp_fd[i] = fd;
	ev_set_userdata(w->loop, w);
	ev_io_init(&w->tcp_io[i], accept_cb, fd, EV_READ);
	w->tcp_io[i].data = (void *)(intptr_t)i;
	ev_io_start(w->loop, &w->tcp_io[i]);
	return 0;
}

/* ---- sending (any thread) ------------------------------------------------ */

/* A new outgoing connection to d->addr, connect() under way; referenced. */
static struct tcp_conn *
conn_connect(struct sip_dest *d, int *errp)
{
	struct sip_dest dd = *d;
	union xr_sa local, bindto;
	struct sip_worker *owner;
	struct tcp_conn *c;
	int fd, err;

	dd.sock = -1;
	err = sip_tp_pick(&dd, &local);
	if (err)
		goto fail;
	fd = socket(dd.addr.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	/* leave from the chosen --sip address (mhomed), any port */
	bindto = sip_addrs[dd.sock];
	xr_sa_set_port(&bindto, 0);
	if (!xr_sa_is_any(&bindto))
		(void)bind(fd, &bindto.sa, xr_sa_len(&bindto));
	if (connect(fd, &dd.addr.sa, xr_sa_len(&dd.addr)) < 0 && errno != EINPROGRESS) {
		err = -errno;
		close(fd);
		goto fail;
	}
	owner = sip_worker_self();
	if (!owner)
		owner = sip_worker_get((int)(atomic_fetch_add(&rr, 1) % (unsigned)sip_nworkers()));
	TP_INC(tcp_conns);
	c = conn_new(fd, owner, dd.sock, &dd.addr, &local, true);
	if (!c) {
		TP_DEC(tcp_conns);
		close(fd);
		err = -ENOMEM;
		goto fail;
	}
	atomic_fetch_add(&c->refs, 1);	/* the caller's */
	/*
	 * Tell the caller (a transaction's dest) the id before the owner can
	 * see a refusal: its close then finds the transaction waiting on it.
	 */
	__atomic_store_n(&d->conn_id, c->id, __ATOMIC_RELEASE);
	pthread_mutex_lock(&c->wlock);
	if (owner == sip_worker_self()) {
		pthread_mutex_unlock(&c->wlock);
		conn_start_owner(c);
		pthread_mutex_lock(&c->wlock);
		conn_set_events_locked(c);
	} else {
		conn_kick_locked(c);	/* the owner starts the watchers */
	}
	pthread_mutex_unlock(&c->wlock);
	return c;
fail:
	*errp = err;
	return NULL;
}

/*
 * Queue or write buf on c.  0 or -errno: -ENOBUFS when what would stay
 * queued passes --tcp-max-queue (the peer does not read) or all queued
 * output passes --tcp-max-queue-total; the connection is closed then, as a
 * peer that does not read cannot be helped by waiting.
 */
static int
conn_write(struct tcp_conn *c, const void *buf, size_t len)
{
	struct tcp_limits l;
	struct wchunk *q;
	size_t done = 0;
	uint64_t total;
	int err = 0;

	tp_tcp_limits(&l);
	pthread_mutex_lock(&c->wlock);
	if (c->closing) {
		err = -ENOTCONN;
		goto out;
	}
	if (!c->wq_head && !c->connecting) {
		ssize_t n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			err = -errno;
			c->closing = true;
			conn_kick_locked(c);
			goto out;
		}
		done = n > 0 ? (size_t)n : 0;
		if (done == len)
			goto out;
	}
	total = __atomic_load_n(&tp_stats.tcp_queued_bytes, __ATOMIC_RELAXED);
	if (c->wq_bytes + (len - done) > l.queue || total + (len - done) > l.queue_total) {
		char a[XR_SA_STRLEN];
		bool mine = c->wq_bytes + (len - done) > l.queue;

		if (mine)
			TP_INC(tcp_queue_closed);
		else
			TP_INC(tcp_queue_total_closed);
		log_ratelimited(LS_SIP, LL_WARN, "tcp: %s does not read: %zu bytes queued "
				"(%s): closing", xr_sa_str(&c->peer, a, sizeof(a)),
				c->wq_bytes + (len - done),
				mine ? "--tcp-max-queue" : "--tcp-max-queue-total");
		err = -ENOBUFS;
		c->closing = true;
		conn_kick_locked(c);
		goto out;
	}
	q = malloc(sizeof(*q) + len - done);
	if (!q) {
		err = -ENOMEM;
		goto out;
	}
	q->next = NULL;
	q->len = len - done;
	q->off = 0;
	memcpy(q->data, (const char *)buf + done, q->len);
	if (c->wq_tail)
		c->wq_tail->next = q;
	else
		c->wq_head = q;
	c->wq_tail = q;
	c->wq_bytes += q->len;
	__atomic_fetch_add(&tp_stats.tcp_queued_bytes, q->len, __ATOMIC_RELAXED);
	conn_kick_locked(c);
out:
	pthread_mutex_unlock(&c->wlock);
	if (!err)
		atomic_store(&c->last_active, sip_now_ms());
	return err;
}

int
tp_tcp_send(struct sip_dest *d, const void *buf, size_t len)
{
	struct tcp_conn *c = conn_by_id(d->conn_id);
	int err = 0;

	if (c && c->closing) {
		conn_unref(c);
		c = NULL;
	}
	if (!c)
		c = conn_by_addr(&d->addr);
	if (!c)
		c = conn_connect(d, &err);
	if (!c) {
		TP_INC(tx_errors);
		return err ? err : -ENOTCONN;
	}
	/* the caller may follow this connection */
	__atomic_store_n(&d->conn_id, c->id, __ATOMIC_RELEASE);
	err = conn_write(c, buf, len);
	conn_unref(c);
	if (err)
		TP_INC(tx_errors);
	else
		TP_INC(tx_msgs);
	return err;
}

void
sip_tp_conn_close(uint64_t id)
{
	struct tcp_conn *c = conn_by_id(id);

	if (!c)
		return;
	pthread_mutex_lock(&c->wlock);
	if (!c->closing) {
		c->closing = true;
		if (c->job_queued) {
			/* the queued job sees closing */
		} else {
			c->job_queued = true;
			atomic_fetch_add(&c->refs, 1);
			c->job.fn = conn_job;
			sip_worker_post(c->owner, &c->job);
		}
	}
	pthread_mutex_unlock(&c->wlock);
	conn_unref(c);
}

/* After the workers stopped: close and free every connection. */
void
tp_tcp_shutdown(void)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	if (!by_id)
		return;
	rcu_barrier();
	cds_lfht_for_each(by_id, &it, n) {
		struct tcp_conn *c = caa_container_of(n, struct tcp_conn, by_id);

		cds_lfht_del(by_id, &c->by_id);
		cds_lfht_del(by_addr, &c->by_addr);
		if (c->fd >= 0) {
			close(c->fd);
			TP_DEC(tcp_conns);
			if (c->src_counted)
				src_release(&c->peer);
		}
		conn_free(c);
	}
	cds_lfht_destroy(by_id, NULL);
	cds_lfht_destroy(by_addr, NULL);
	by_id = by_addr = NULL;
}
