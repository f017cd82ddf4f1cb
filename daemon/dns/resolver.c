// SPDX-License-Identifier: GPL-2.0
/*
 * resolver.c - the resolver thread of dns.h: c-ares on a libev loop of its
 * own (its sockets watched through ARES_OPT_SOCK_STATE_CB, its timeouts
 * through one ev_timer, as hiredis's libev adapter watches its fd), fed by
 * the workers through a queue and an ev_async.  c-ares over a pool of
 * threads calling getaddrinfo(): it gives the TTLs the cache needs, a
 * timeout of our choosing per query, and any number of queries on one
 * socket, where a silent server would hold one blocked thread per query.
 */
#include <ares.h>
#include <ares_nameser.h>
#include <errno.h>
#include <ev.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu.h>

#include "common/clock.h"
#include "common/log.h"
#include "dns/dns.h"

#define RES_MAX_FDS	16	/* sockets c-ares has open at once (UDP + TCP per server) */

struct res_fd {
	int	fd;		/* -1: free */
	ev_io	io;
};

/* A name to query, from dns_lookup() to the resolver thread. */
struct res_req {
	struct res_req	*next;
	char		 name[DNS_NAME_MAX + 1];	/* the cache's key */
	uint16_t	 port;		/* from the SRV record chosen; 0: none */
	unsigned	 srv_ttl;	/* no SRV TTL in c-ares 1.18's parser: DNS_SRV_TTL */
};

static struct {
	bool		 up;		/* the cache exists (dns_start .. dns_fini) */
	bool		 running;	/* the thread runs (dns_start .. dns_stop) */
	struct dns_cfg	 cfg;
	struct dns_cache cache;
	ares_channel	 ch;
	struct ev_loop	*loop;
	pthread_t	 thread;
	ev_async	 wake;		/* a request queued, or stop */
	ev_timer	 timer;		/* c-ares's next timeout */
	struct res_fd	 fds[RES_MAX_FDS];
	pthread_mutex_t	 qlock;
	struct res_req	*q_head, *q_tail;	/* under qlock */
	bool		 stopping;		/* under qlock */
} res;

static void	res_rearm(void);

static void
res_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct res_fd *f = w->data;

	(void)loop;
	ares_process_fd(res.ch, revents & EV_READ ? f->fd : ARES_SOCKET_BAD,
			revents & EV_WRITE ? f->fd : ARES_SOCKET_BAD);
	res_rearm();
}

static void
res_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	ares_process_fd(res.ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	res_rearm();
}

/* The timer for c-ares's next deadline, if it has one. */
static void
res_rearm(void)
{
	struct timeval tv, *t;

	ev_timer_stop(res.loop, &res.timer);
	t = ares_timeout(res.ch, NULL, &tv);
	if (!t)
		return;
	ev_timer_set(&res.timer, (double)t->tv_sec + (double)t->tv_usec / 1e6 + 0.001, 0.);
	ev_timer_start(res.loop, &res.timer);
}

/* c-ares: watch fd for reading / writing, or no longer (both false). */
static void
res_sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct res_fd *f = NULL, *free_slot = NULL;
	int ev = (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);

	(void)data;
	for (int i = 0; i < RES_MAX_FDS; i++) {
		if (res.fds[i].fd == fd)
			f = &res.fds[i];
		else if (res.fds[i].fd < 0 && !free_slot)
			free_slot = &res.fds[i];
	}
	if (f)
		ev_io_stop(res.loop, &f->io);
	if (!ev) {
		if (f)
			f->fd = -1;
		return;
	}
	if (!f) {
		if (!free_slot) {
			log_ratelimited(LS_MAIN, LL_WARN, "dns: more than %d resolver sockets",
					RES_MAX_FDS);
			return;
		}
		f = free_slot;
		f->fd = fd;
	}
	ev_io_init(&f->io, res_io_cb, fd, ev);
	f->io.data = f;
	ev_io_start(res.loop, &f->io);
}

static int
res_status(int st)
{
	switch (st) {
	case ARES_SUCCESS:
		return 0;
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
	case ARES_ENONAME:
		return -ENOENT;
	case ARES_ETIMEOUT:
		return -ETIMEDOUT;
	case ARES_EDESTRUCTION:
	case ARES_ECANCELLED:
		return -ECANCELED;
	case ARES_ENOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* A query ended: the first IPv4 address (else IPv6) and the least TTL. */
static void
res_done_cb(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct res_req *r = arg;
	struct ares_addrinfo_node *n, *pick = NULL;
	union xr_sa addr = { 0 };
	int rc = res_status(status);
	unsigned ttl = DNS_MAX_TTL;

	(void)timeouts;
	if (rc == 0 && ai) {
		for (n = ai->nodes; n; n = n->ai_next) {
			if (n->ai_family != AF_INET && n->ai_family != AF_INET6)
				continue;
			if (!pick || (pick->ai_family != AF_INET && n->ai_family == AF_INET))
				pick = n;
			if (n->ai_ttl >= 0 && (unsigned)n->ai_ttl < ttl)
				ttl = (unsigned)n->ai_ttl;
		}
	}
	if (rc == 0 && !pick)
		rc = -ENOENT;
	if (pick && (size_t)pick->ai_addrlen <= sizeof(addr))
		memcpy(&addr, pick->ai_addr, pick->ai_addrlen);
	if (rc == 0 && r->port)
		xr_sa_set_port(&addr, r->port);
	if (r->srv_ttl && r->srv_ttl < ttl)
		ttl = r->srv_ttl;
	slog(LS_MAIN, LL_DEBUG, "dns: %s: %s", r->name, rc ? strerror(-rc) : "resolved");
	if (res.cfg.query_done)
		res.cfg.query_done(rc);
	dnsc_complete(&res.cache, r->name, xr_mono_ms(), rc, &addr, ttl);
	if (ai)
		ares_freeaddrinfo(ai);
	free(r);
}

/*
 * RFC 3263 §4.2 for a key "_sip._udp.HOST" (or _tcp): the SRV record of
 * least priority (most weight among equals; no random choice), its
 * target's A/AAAA with its port; no SRV record: HOST's A/AAAA, no port.
 */
static void
res_srv_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct ares_addrinfo_hints hints = { .ai_family = AF_UNSPEC };
	struct ares_srv_reply *srv = NULL, *x, *best = NULL;
	struct res_req *r = arg;
	const char *host = r->name + strlen("_sip._udp.");
	int rc = res_status(status);

	(void)timeouts;
	if (rc == 0 && ares_parse_srv_reply(abuf, alen, &srv) != ARES_SUCCESS)
		rc = -ENOENT;
	for (x = srv; x; x = x->next)
		if (x->host[0] && (!best || x->priority < best->priority ||
				   (x->priority == best->priority && x->weight > best->weight)))
			best = x;
	if (rc == 0 && best) {
		r->port = best->port;
		r->srv_ttl = DNS_SRV_TTL;
		ares_getaddrinfo(res.ch, best->host, NULL, &hints, res_done_cb, r);
	} else if (rc == 0 || rc == -ENOENT) {
		ares_getaddrinfo(res.ch, host, NULL, &hints, res_done_cb, r);	/* no SRV */
	} else {
		res_done_cb(r, status, 0, NULL);
	}
	if (srv)
		ares_free_data(srv);
}

/* The key asks for an SRV lookup first ("_sip._udp." or "_sip._tcp."). */
static bool
res_is_srv(const char *name)
{
	return strncmp(name, "_sip._udp.", 10) == 0 || strncmp(name, "_sip._tcp.", 10) == 0;
}

/* The loop's doorbell: start the queued queries, or stop. */
static void
res_wake_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct ares_addrinfo_hints hints = { .ai_family = AF_UNSPEC };
	struct res_req *r, *n;
	bool stop;

	(void)w;
	(void)revents;
	pthread_mutex_lock(&res.qlock);
	r = res.q_head;
	res.q_head = res.q_tail = NULL;
	stop = res.stopping;
	pthread_mutex_unlock(&res.qlock);
	for (; r; r = n) {
		n = r->next;
		if (stop) {
			dnsc_complete(&res.cache, r->name, xr_mono_ms(), -ECANCELED, NULL, 0);
			free(r);
			continue;
		}
		if (res_is_srv(r->name))
			ares_query(res.ch, r->name, C_IN, T_SRV, res_srv_cb, r);
		else
			ares_getaddrinfo(res.ch, r->name, NULL, &hints, res_done_cb, r);
	}
	if (stop) {
		ares_cancel(res.ch);
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	res_rearm();
}

static void *
res_thread(void *arg)
{
	(void)arg;
	rcu_register_thread();
	ev_run(res.loop, 0);
	rcu_unregister_thread();
	return NULL;
}

int
dns_start(const struct dns_cfg *cfg)
{
	struct ares_options o = { 0 };
	int rc, mask;

	if (res.up)
		return 0;
	res.cfg = *cfg;
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS)
		return -ENOMEM;
	rc = dnsc_init(&res.cache, 4096, cfg->max_pending, cfg->max_pending * 16);
	if (rc < 0)
		goto out_lib;
	for (int i = 0; i < RES_MAX_FDS; i++)
		res.fds[i].fd = -1;
	o.timeout = cfg->timeout_ms > 0 ? cfg->timeout_ms : 2000;
	o.tries = 1;
	o.sock_state_cb = res_sock_state_cb;
	mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
	rc = ares_init_options(&res.ch, &o, mask);
	if (rc != ARES_SUCCESS) {
		log_warnx("dns: c-ares: %s", ares_strerror(rc));
		rc = -EINVAL;
		goto out_cache;
	}
	if (cfg->servers && cfg->servers[0] &&
	    (rc = ares_set_servers_ports_csv(res.ch, cfg->servers)) != ARES_SUCCESS) {
		log_warnx("dns: --dns-server %s: %s", cfg->servers, ares_strerror(rc));
		rc = -EINVAL;
		goto out_ch;
	}
	res.loop = ev_loop_new(EVFLAG_AUTO);
	if (!res.loop) {
		rc = -ENOMEM;
		goto out_ch;
	}
	pthread_mutex_init(&res.qlock, NULL);
	res.stopping = false;
	ev_async_init(&res.wake, res_wake_cb);
	ev_async_start(res.loop, &res.wake);
	ev_init(&res.timer, res_timer_cb);
	rc = -pthread_create(&res.thread, NULL, res_thread, NULL);
	if (rc < 0)
		goto out_loop;
	res.up = true;
	res.running = true;
	return 0;

out_loop:
	ev_loop_destroy(res.loop);
	res.loop = NULL;
	pthread_mutex_destroy(&res.qlock);
out_ch:
	ares_destroy(res.ch);
out_cache:
	dnsc_fini(&res.cache);
out_lib:
	ares_library_cleanup();
	return rc;
}

void
dns_stop(void)
{
	if (!res.running)
		return;
	pthread_mutex_lock(&res.qlock);
	res.stopping = true;
	ev_async_send(res.loop, &res.wake);
	pthread_mutex_unlock(&res.qlock);
	pthread_join(res.thread, NULL);
	res.running = false;
	ares_destroy(res.ch);	/* what is left ends with ARES_EDESTRUCTION */
	for (int i = 0; i < RES_MAX_FDS; i++)
		if (res.fds[i].fd >= 0)
			ev_io_stop(res.loop, &res.fds[i].io);
	ev_loop_destroy(res.loop);
	res.loop = NULL;
	ares_library_cleanup();
}

void
dns_fini(void)
{
	dns_stop();
	if (!res.up)
		return;
	res.up = false;
	dnsc_fini(&res.cache);
	pthread_mutex_destroy(&res.qlock);
}

int
dns_lookup(const char *name, union xr_sa *addr, dns_cb cb, void *arg)
{
	struct res_req *r;
	bool start;
	int rc;

	if (!res.up)
		return -ENOTCONN;
	rc = dnsc_lookup(&res.cache, name, xr_mono_ms(), addr, cb, arg, &start);
	if (!start)
		return rc;
	/* From here on a failure reaches a waiter through its cb, as promised. */
	r = calloc(1, sizeof(*r));
	if (!r) {
		dnsc_complete(&res.cache, name, xr_mono_ms(), -ENOMEM, NULL, 0);
		return rc;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	/* Under qlock: dns_stop() sets stopping under it before the loop goes. */
	pthread_mutex_lock(&res.qlock);
	if (res.stopping) {
		pthread_mutex_unlock(&res.qlock);
		free(r);
		dnsc_complete(&res.cache, name, xr_mono_ms(), -ECANCELED, NULL, 0);
		return rc;
	}
	if (res.q_tail)
		res.q_tail->next = r;
	else
		res.q_head = r;
	res.q_tail = r;
	ev_async_send(res.loop, &res.wake);
	pthread_mutex_unlock(&res.qlock);
	return rc;
}
