// SPDX-License-Identifier: GPL-2.0
/*
 * ports.c - RTP/RTCP port pairs over --ports for one relay address (ports.h).
 * A bitmap of pairs with a rotating cursor, under a mutex; allocation binds
 * the two sockets, or, for a pool of the shared-socket relay, sets a bit and
 * nothing else.  Owns neither the sessions nor the relay's watchers.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "media/ports.h"

struct port_pool {
	pthread_mutex_t	lock;
	union xr_sa	addr;		/* relay address, port 0 */
	uint16_t	lo, hi;		/* the configured range, for messages */
	uint16_t	first;		/* RTP port of pair 0 (even) */
	int		npairs;		/* pairs in the range */
	int		in_use;		/* bits set in map by allocation */
	int		held;		/* bits set by port_pool_hold(): never allocated */
	int		cursor;		/* next pair index to try */
	uint64_t	*map;		/* bit i set: pair i allocated */
	bool		bind;		/* allocation binds the pair's sockets */
};

struct port_pool *
port_pool_new(const union xr_sa *addr, uint16_t lo, uint16_t hi, bool bind)
{
	struct port_pool *p;
	uint32_t first = (uint32_t)lo + (lo & 1u);
	int npairs;

	if (lo == 0 || hi < lo || first + 1 > hi ||
	    (addr->sa.sa_family != AF_INET && addr->sa.sa_family != AF_INET6)) {
		errno = EINVAL;
		return NULL;
	}
	npairs = (int)((hi - first + 1) / 2);
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->map = calloc((size_t)(npairs + 63) / 64, sizeof(uint64_t));
	if (!p->map) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	p->addr = *addr;
	xr_sa_set_port(&p->addr, 0);
	p->lo = lo;
	p->hi = hi;
	p->first = (uint16_t)first;
	p->npairs = npairs;
	p->bind = bind;
	return p;
}

void
port_pool_free(struct port_pool *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->map);
	free(p);
}

/* First free pair index in [from, to), or -1.  Skips full words at once. */
static int
pool_next_free(const struct port_pool *p, int from, int to)
{
	int i = from;

	while (i < to) {
		uint64_t w = ~p->map[i / 64] >> (i % 64);

		if (w) {
			i += __builtin_ctzll(w);
			return i < to ? i : -1;
		}
		i = (i / 64 + 1) * 64;
	}
	return -1;
}

static bool port_freebind;	/* atomic: port_set_freebind() */

void
port_set_freebind(bool on)
{
	__atomic_store_n(&port_freebind, on, __ATOMIC_RELAXED);
}

/* A nonblocking, close-on-exec UDP socket bound to sa with the relay's TTL. */
static int
bind_udp(const union xr_sa *sa)
{
	int one = 1, zero = 0, ttl = MEDIA_TTL, fd, err;

	fd = socket(sa->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A standby binds the service addresses before they move to its host. */
	if (__atomic_load_n(&port_freebind, __ATOMIC_RELAXED) &&
	    (sa->sa.sa_family == AF_INET6 ?
	     setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)) :
	     setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one))) < 0)
		goto out_close;
	/*
	 * The TOS / traffic class of each packet read is carried over (relay.c).
	 * IPv6 goes out with flow label 0, as the XDP path rewrites it.
	 */
	if (sa->sa.sa_family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, &zero, sizeof(zero)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one)) < 0)
			goto out_close;
	} else if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0 ||
		   setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one)) < 0) {
		goto out_close;
	}
	if (bind(fd, &sa->sa, xr_sa_len(sa)) < 0)
		goto out_close;
	return fd;
out_close:
	err = -errno;
	close(fd);
	return err;
}

/* Bind pair idx into out; 0 or -errno with nothing left open. */
static int
pool_bind_pair(struct port_pool *p, int idx, struct port_pair *out)
{
	union xr_sa sa = p->addr;
	uint16_t port = (uint16_t)(p->first + 2 * idx);
	int fd0, fd1;

	xr_sa_set_port(&sa, port);
	if (!p->bind) {
		out->fd[0] = out->fd[1] = -1;
		out->rtp = sa;
		return 0;
	}
	fd0 = bind_udp(&sa);
	if (fd0 < 0)
		return fd0;
	xr_sa_set_port(&sa, (uint16_t)(port + 1));
	fd1 = bind_udp(&sa);
	if (fd1 < 0) {
		close(fd0);
		return fd1;
	}
	out->fd[0] = fd0;
	out->fd[1] = fd1;
	out->rtp = sa;
	xr_sa_set_port(&out->rtp, port);
	return 0;
}

int
port_pool_alloc(struct port_pool *p, struct port_pair *out)
{
	char ip[INET6_ADDRSTRLEN];
	int idx, err = -ENOSPC, busy = 0;
	int from[2], to[2];

	pthread_mutex_lock(&p->lock);
	/* Two passes: cursor..end, then 0..cursor. */
	from[0] = p->cursor;
	to[0] = p->npairs;
	from[1] = 0;
	to[1] = p->cursor;
	for (int pass = 0; pass < 2; pass++) {
		int i = from[pass];

		while ((idx = pool_next_free(p, i, to[pass])) >= 0) {
			int r = pool_bind_pair(p, idx, out);

			if (r == 0) {
				p->map[idx / 64] |= 1ull << (idx % 64);
				p->in_use++;
				p->cursor = idx + 1 == p->npairs ? 0 : idx + 1;
				err = 0;
				goto out_unlock;
			}
			if (r != -EADDRINUSE) {
				err = r;
				goto out_unlock;
			}
			busy++;
			i = idx + 1;
		}
	}
	if (busy)
		log_ratelimited(LS_MEDIA, LL_WARN, "no free port pair on %s in %u-%u (%d pairs "
				"in use, %d held by other sockets)",
				xr_sa_ipstr(&p->addr, ip, sizeof(ip)), p->lo, p->hi, p->in_use, busy);
	else
		log_ratelimited(LS_MEDIA, LL_WARN, "no free port pair on %s in %u-%u (%d pairs "
				"in use)", xr_sa_ipstr(&p->addr, ip, sizeof(ip)), p->lo, p->hi,
				p->in_use);
out_unlock:
	pthread_mutex_unlock(&p->lock);
	return err;
}

int
port_pool_alloc_at(struct port_pool *p, uint16_t rtp_port, struct port_pair *out)
{
	int idx, err;

	if (rtp_port < p->first || (rtp_port - p->first) & 1)
		return -EINVAL;
	idx = (rtp_port - p->first) / 2;
	if (idx >= p->npairs)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	if (p->map[idx / 64] & (1ull << (idx % 64))) {
		err = -EEXIST;
		goto out_unlock;
	}
	err = pool_bind_pair(p, idx, out);
	if (err == 0) {
		p->map[idx / 64] |= 1ull << (idx % 64);
		p->in_use++;
	}
out_unlock:
	pthread_mutex_unlock(&p->lock);
	return err;
}

void
port_pool_release(struct port_pool *p, uint16_t rtp_port)
{
	int idx;

	if (rtp_port < p->first || (rtp_port - p->first) & 1)
		return;
	idx = (rtp_port - p->first) / 2;
	if (idx >= p->npairs)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->map[idx / 64] & (1ull << (idx % 64))) {
		p->map[idx / 64] &= ~(1ull << (idx % 64));
		p->in_use--;
	}
	pthread_mutex_unlock(&p->lock);
}

void
port_pool_hold(struct port_pool *p, uint16_t port)
{
	int idx;

	if (port < p->first)
		return;
	idx = (port - p->first) / 2;
	if (idx >= p->npairs)
		return;
	pthread_mutex_lock(&p->lock);
	if (!(p->map[idx / 64] & (1ull << (idx % 64)))) {
		p->map[idx / 64] |= 1ull << (idx % 64);
		p->held++;
	}
	pthread_mutex_unlock(&p->lock);
}

void
port_pair_put(struct port_pool *p, struct port_pair *pair)
{
	for (int i = 0; i < 2; i++) {
		if (pair->fd[i] >= 0)
			close(pair->fd[i]);
		pair->fd[i] = -1;
	}
	if (pair->rtp.sa.sa_family)
		port_pool_release(p, xr_sa_port(&pair->rtp));
	memset(&pair->rtp, 0, sizeof(pair->rtp));
}

int
port_pool_in_use(struct port_pool *p)
{
	int n;

	pthread_mutex_lock(&p->lock);
	n = p->in_use;
	pthread_mutex_unlock(&p->lock);
	return n;
}

int
port_pool_size(const struct port_pool *p)
{
	return p->npairs - p->held;
}

const union xr_sa *
port_pool_addr(const struct port_pool *p)
{
	return &p->addr;
}

void
port_pool_range(const struct port_pool *p, uint16_t *lo, uint16_t *hi)
{
	*lo = p->lo;
	*hi = p->hi;
}
