// SPDX-License-Identifier: GPL-2.0
/*
 * ban.c - the blocklist (ban.h): a table of banned prefixes under a rwlock,
 * mirrored into the XDP program's xr_bans LPM trie, swept once a second on
 * the main loop.  Owns the table and the exemptions; the map belongs to
 * fastpath/ (written through maps.c), the SIP rate limit that feeds it to
 * pike.c, the control commands to ctl/ban_cmd.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>
#include <jansson.h>

#include "common/clock.h"
#include "common/log.h"
#include "fastpath/fastpath.h"
#include "guard/ban.h"
#include "xrelay/maps.h"

#define BAN_EXEMPT_MAX	64

struct ban_ent {
	union xr_sa	prefix;		/* host bits cleared, port 0 */
	int		plen;		/* in the prefix's family */
	uint64_t	expires_ns;	/* monotonic; 0: never */
	unsigned	reason;		/* XR_BAN_* */
	uint64_t	hits;		/* userspace drops (atomic) */
};

static struct {
	pthread_rwlock_t lock;		/* ents, n, cap, exempt[] */
	struct ban_ent	*ents;		/* in the order they were added */
	int		 n, cap;
	int		 nactive;	/* == n, read without the lock (atomic) */
	struct fp	*fp;		/* NULL: userspace only */
	struct { union xr_sa prefix; int plen; } exempt[BAN_EXEMPT_MAX];
	int		 nexempt;
	ban_exempt_fn	 exempt_fn;
	void		*exempt_arg;
	uint64_t	 (*now_ns)(void);
	struct ev_loop	*loop;
	ev_timer	 sweep;
} B = { .lock = PTHREAD_RWLOCK_INITIALIZER };

static uint64_t
now_ns(void)
{
	return B.now_ns ? B.now_ns() : xr_mono_ns();
}

void
ban_set_clock(uint64_t (*fn)(void))
{
	B.now_ns = fn;
}

/* The address bytes of sa (4 or 16) and their bit count; v4-mapped -> IPv4. */
static int
sa_bytes(const union xr_sa *sa, const uint8_t **b)
{
	if (sa->sa.sa_family == AF_INET) {
		*b = (const uint8_t *)&sa->sin.sin_addr;
		return 32;
	}
	if (sa->sa.sa_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&sa->sin6.sin6_addr)) {
			*b = sa->sin6.sin6_addr.s6_addr + 12;
			return 32;
		}
		*b = sa->sin6.sin6_addr.s6_addr;
		return 128;
	}
	return -1;
}

/* Is addr inside prefix/plen (same family, first plen bits equal)? */
static bool
in_prefix(const union xr_sa *addr, const union xr_sa *prefix, int plen)
{
	const uint8_t *a = NULL, *p = NULL;
	int abits = sa_bytes(addr, &a), pbits = sa_bytes(prefix, &p);

	if (abits < 0 || abits != pbits || plen > pbits)
		return false;
	for (int i = 0; i < plen / 8; i++)
		if (a[i] != p[i])
			return false;
	if (plen % 8) {
		uint8_t m = (uint8_t)(0xff << (8 - plen % 8));

		if ((a[plen / 8] & m) != (p[plen / 8] & m))
			return false;
	}
	return true;
}

/* One prefix contains the other. */
static bool
overlaps(const union xr_sa *p1, int l1, const union xr_sa *p2, int l2)
{
	return l1 <= l2 ? in_prefix(p2, p1, l1) : in_prefix(p1, p2, l2);
}

static const char *
reason_str(unsigned r)
{
	return r == XR_BAN_PIKE ? "pike" : r == XR_BAN_MANUAL ? "manual" :
	       r == XR_BAN_AUTH ? "auth" : "?";
}

static void
prefix_str(const union xr_sa *p, int plen, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	snprintf(buf, len, "%s/%d", xr_sa_ipstr(p, ip, sizeof(ip)), plen);
}

int
ban_parse(const char *s, union xr_sa *prefix, int *plen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end, *h = buf;
	long l = -1;
	size_t n;
	int bits;
	uint8_t *b;

	if (!s || (n = strlen(s)) == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n + 1);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		errno = 0;
		l = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || l < 0)
			return -EINVAL;
	}
	if (*h == '[') {
		size_t m = strlen(h);

		if (m < 2 || h[m - 1] != ']')
			return -EINVAL;
		h[m - 1] = '\0';
		h++;
	}
	memset(prefix, 0, sizeof(*prefix));
	if (inet_pton(AF_INET, h, &prefix->sin.sin_addr) == 1) {
		prefix->sin.sin_family = AF_INET;
		b = (uint8_t *)&prefix->sin.sin_addr;
		bits = 32;
	} else if (inet_pton(AF_INET6, h, &prefix->sin6.sin6_addr) == 1) {
		prefix->sin6.sin6_family = AF_INET6;
		b = prefix->sin6.sin6_addr.s6_addr;
		bits = 128;
	} else {
		return -EINVAL;
	}
	if (l > bits)
		return -EINVAL;
	*plen = l < 0 ? bits : (int)l;
	for (int i = 0; i < bits / 8; i++) {
		int keep = *plen - i * 8;

		if (keep <= 0)
			b[i] = 0;
		else if (keep < 8)
			b[i] &= (uint8_t)(0xff << (8 - keep));
	}
	return 0;
}

/* Loopback is never banned: the host's own SIP and media. */
static bool
exempt_builtin(const union xr_sa *p, int plen)
{
	union xr_sa lo4, lo6;

	memset(&lo4, 0, sizeof(lo4));
	lo4.sin.sin_family = AF_INET;
	lo4.sin.sin_addr.s_addr = htonl(0x7f000000);
	memset(&lo6, 0, sizeof(lo6));
	lo6.sin6.sin6_family = AF_INET6;
	lo6.sin6.sin6_addr = in6addr_loopback;
	return overlaps(p, plen, &lo4, 8) || overlaps(p, plen, &lo6, 128);
}

/* Needs B.lock (read). */
static bool
exempt_locked(const union xr_sa *p, int plen)
{
	if (exempt_builtin(p, plen))
		return true;
	for (int i = 0; i < B.nexempt; i++)
		if (overlaps(p, plen, &B.exempt[i].prefix, B.exempt[i].plen))
			return true;
	return false;
}

void
ban_set_exempt(ban_exempt_fn fn, void *arg)
{
	pthread_rwlock_wrlock(&B.lock);
	B.exempt_fn = fn;
	B.exempt_arg = arg;
	pthread_rwlock_unlock(&B.lock);
}

int
ban_exempt_add(const union xr_sa *prefix, int plen)
{
	const uint8_t *b;
	int bits = sa_bytes(prefix, &b), err = 0;

	if (bits < 0 || plen < 0 || plen > bits)
		return -EINVAL;
	pthread_rwlock_wrlock(&B.lock);
	if (B.nexempt >= BAN_EXEMPT_MAX) {
		err = -ENOSPC;
	} else {
		B.exempt[B.nexempt].prefix = *prefix;
		B.exempt[B.nexempt].plen = plen;
		B.nexempt++;
	}
	pthread_rwlock_unlock(&B.lock);
	return err;
}

/* The kernel's copy of e; errors are logged, the userspace ban stands. */
static int
kernel_put(const struct ban_ent *e)
{
	struct xr_ban_key k;
	struct xr_ban v;
	char p[XR_SA_STRLEN + 8];
	int err;

	if (!B.fp || B.fp->bans_fd < 0)
		return 0;
	err = fp_ban_key_make(&k, &e->prefix, e->plen);
	if (err)
		return err;
	memset(&v, 0, sizeof(v));
	v.expires_ns = e->expires_ns;
	v.reason = e->reason;
	err = fp_ban_put(B.fp, &k, &v);
	if (err) {
		prefix_str(&e->prefix, e->plen, p, sizeof(p));
		log_ratelimited(LS_MAIN, LL_WARN, "ban %s: cannot write %s: %s (dropped in "
				"userspace only)", p, XR_MAP_BANS, strerror(-err));
	}
	return err;
}

static void
kernel_del(const struct ban_ent *e)
{
	struct xr_ban_key k;

	if (!B.fp || B.fp->bans_fd < 0 || fp_ban_key_make(&k, &e->prefix, e->plen))
		return;
	fp_ban_del(B.fp, &k);
}

/* Needs B.lock (write). */
static int
find_locked(const union xr_sa *prefix, int plen)
{
	for (int i = 0; i < B.n; i++)
		if (B.ents[i].plen == plen && xr_sa_ip_eq(&B.ents[i].prefix, prefix))
			return i;
	return -1;
}

/* Remove entry i keeping the order; needs B.lock (write). */
static void
remove_locked(int i)
{
	memmove(&B.ents[i], &B.ents[i + 1], sizeof(B.ents[0]) * (size_t)(B.n - i - 1));
	B.n--;
	__atomic_store_n(&B.nactive, B.n, __ATOMIC_RELEASE);
}

int
ban_add(const union xr_sa *prefix, int plen, unsigned seconds, unsigned reason)
{
	const uint8_t *b;
	int bits = sa_bytes(prefix, &b), i, err = 0;
	struct ban_ent e;
	union xr_sa p;
	char ps[XR_SA_STRLEN + 8];
	ban_exempt_fn fn;
	void *arg;

	if (bits < 0 || plen < 0 || plen > bits)
		return -EINVAL;
	/* v4-mapped in, IPv4 out (plen is then IPv4's); host bits cleared. */
	p = *prefix;
	if (bits == 32 && prefix->sa.sa_family == AF_INET6) {
		memset(&p, 0, sizeof(p));
		p.sin.sin_family = AF_INET;
		memcpy(&p.sin.sin_addr, b, 4);
	}
	prefix_str(&p, plen, ps, sizeof(ps));
	if (ban_parse(ps, &p, &plen))
		return -EINVAL;
	pthread_rwlock_rdlock(&B.lock);
	fn = B.exempt_fn;
	arg = B.exempt_arg;
	err = exempt_locked(&p, plen) ? -EPERM : 0;
	pthread_rwlock_unlock(&B.lock);
	if (!err && fn && fn(&p, plen, arg))
		err = -EPERM;
	if (err)
		return err;

	memset(&e, 0, sizeof(e));
	e.prefix = p;
	e.plen = plen;
	e.expires_ns = seconds ? now_ns() + (uint64_t)seconds * 1000000000ull : 0;
	e.reason = reason;
	pthread_rwlock_wrlock(&B.lock);
	i = find_locked(&p, plen);
	if (i < 0) {
		if (B.n >= XR_BANS_MAX) {
			err = -ENOSPC;
			goto out_unlock;
		}
		if (B.n == B.cap) {
			int cap = B.cap ? 2 * B.cap : 64;
			struct ban_ent *t = realloc(B.ents, sizeof(*t) * (size_t)cap);

			if (!t) {
				err = -ENOMEM;
				goto out_unlock;
			}
			B.ents = t;
			B.cap = cap;
		}
		i = B.n++;
	} else {
		e.hits = B.ents[i].hits;
	}
	B.ents[i] = e;
	__atomic_store_n(&B.nactive, B.n, __ATOMIC_RELEASE);
	err = kernel_put(&e);
out_unlock:
	pthread_rwlock_unlock(&B.lock);
	if (err == -ENOSPC || err == -ENOMEM)
		return err;
	if (seconds)
		logs(LS_MAIN, LL_INFO, "banned %s (%s) for %u s", ps, reason_str(reason), seconds);
	else
		logs(LS_MAIN, LL_INFO, "banned %s (%s) until deleted", ps, reason_str(reason));
	return err;
}

int
ban_del(const union xr_sa *prefix, int plen)
{
	union xr_sa p;
	char ps[XR_SA_STRLEN + 8];
	int i, err = 0;

	prefix_str(prefix, plen, ps, sizeof(ps));
	if (ban_parse(ps, &p, &plen))
		return -EINVAL;
	pthread_rwlock_wrlock(&B.lock);
	i = find_locked(&p, plen);
	if (i < 0) {
		err = -ENOENT;
	} else {
		kernel_del(&B.ents[i]);
		remove_locked(i);
	}
	pthread_rwlock_unlock(&B.lock);
	if (!err)
		logs(LS_MAIN, LL_INFO, "ban on %s lifted", ps);
	return err;
}

bool
ban_check(const union xr_sa *src)
{
	bool hit = false;
	uint64_t now;

	if (!__atomic_load_n(&B.nactive, __ATOMIC_ACQUIRE))
		return false;
	now = now_ns();
	pthread_rwlock_rdlock(&B.lock);
	for (int i = 0; i < B.n && !hit; i++) {
		struct ban_ent *e = &B.ents[i];

		if ((e->expires_ns == 0 || e->expires_ns > now) &&
		    in_prefix(src, &e->prefix, e->plen)) {
			__atomic_add_fetch(&e->hits, 1, __ATOMIC_RELAXED);
			hit = true;
		}
	}
	pthread_rwlock_unlock(&B.lock);
	return hit;
}

int
ban_sweep(void)
{
	uint64_t now = now_ns();
	int n = 0;

	if (!__atomic_load_n(&B.nactive, __ATOMIC_ACQUIRE))
		return 0;
	pthread_rwlock_wrlock(&B.lock);
	for (int i = 0; i < B.n;) {
		struct ban_ent *e = &B.ents[i];
		char ps[XR_SA_STRLEN + 8];

		if (e->expires_ns == 0 || e->expires_ns > now) {
			i++;
			continue;
		}
		prefix_str(&e->prefix, e->plen, ps, sizeof(ps));
		logs(LS_MAIN, LL_INFO, "ban on %s expired", ps);
		kernel_del(e);
		remove_locked(i);
		n++;
	}
	pthread_rwlock_unlock(&B.lock);
	return n;
}

int
ban_count(void)
{
	return __atomic_load_n(&B.nactive, __ATOMIC_ACQUIRE);
}

json_t *
ban_list_json(void)
{
	json_t *a = json_array();
	uint64_t now = now_ns();

	pthread_rwlock_rdlock(&B.lock);
	for (int i = 0; a && i < B.n; i++) {
		const struct ban_ent *e = &B.ents[i];
		char ps[XR_SA_STRLEN + 8];
		json_t *exp;

		prefix_str(&e->prefix, e->plen, ps, sizeof(ps));
		exp = e->expires_ns ? json_integer((json_int_t)(e->expires_ns > now ?
				(e->expires_ns - now + 999999999ull) / 1000000000ull : 0)) :
				json_null();
		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:I}", "prefix", ps,
			"reason", reason_str(e->reason), "expires_in", exp,
			"hits", (json_int_t)__atomic_load_n(&e->hits, __ATOMIC_RELAXED)));
	}
	pthread_rwlock_unlock(&B.lock);
	return a;
}

/* An earlier daemon's ban found in the pinned map: adopt or delete it. */
static void
adopt_cb(const struct xr_ban_key *k, const struct xr_ban *v, void *arg)
{
	union xr_sa p;
	int plen = (int)k->prefixlen;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (v->expires_ns && v->expires_ns <= now_ns()) {
		fp_ban_del(B.fp, k);
		return;
	}
	memset(&p, 0, sizeof(p));
	if (plen >= 96 && memcmp(k->addr, mapped, 12) == 0) {
		p.sin.sin_family = AF_INET;
		memcpy(&p.sin.sin_addr, k->addr + 12, 4);
		plen -= 96;
	} else {
		p.sin6.sin6_family = AF_INET6;
		memcpy(&p.sin6.sin6_addr, k->addr, 16);
	}
	pthread_rwlock_wrlock(&B.lock);
	if (B.n == B.cap) {
		int cap = B.cap ? 2 * B.cap : 64;
		struct ban_ent *t = realloc(B.ents, sizeof(*t) * (size_t)cap);

		if (!t) {
			pthread_rwlock_unlock(&B.lock);
			fp_ban_del(B.fp, k);
			return;
		}
		B.ents = t;
		B.cap = cap;
	}
	memset(&B.ents[B.n], 0, sizeof(B.ents[0]));
	B.ents[B.n].prefix = p;
	B.ents[B.n].plen = plen;
	B.ents[B.n].expires_ns = v->expires_ns;
	B.ents[B.n].reason = v->reason;
	B.n++;
	__atomic_store_n(&B.nactive, B.n, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&B.lock);
	(void)arg;
}

int
ban_init(struct fp *fp)
{
	int n;

	B.fp = fp;
	if (!fp || fp->bans_fd < 0)
		return 0;
	n = fp_bans_walk(fp, adopt_cb, NULL);
	if (n < 0)
		return n;
	if (ban_count())
		logs(LS_MAIN, LL_INFO, "%d ban%s of an earlier xrelayd adopted", ban_count(),
		     ban_count() == 1 ? "" : "s");
	return 0;
}

static void
on_sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
	ban_sweep();
}

void
ban_start(struct ev_loop *loop)
{
	B.loop = loop;
	ev_timer_init(&B.sweep, on_sweep, 1., 1.);
	ev_timer_start(loop, &B.sweep);
}

void
ban_fini(void)
{
	if (B.loop)
		ev_timer_stop(B.loop, &B.sweep);
	B.loop = NULL;
	pthread_rwlock_wrlock(&B.lock);
	for (int i = 0; i < B.n; i++)
		kernel_del(&B.ents[i]);
	free(B.ents);
	B.ents = NULL;
	B.n = B.cap = 0;
	__atomic_store_n(&B.nactive, 0, __ATOMIC_RELEASE);
	B.fp = NULL;
	pthread_rwlock_unlock(&B.lock);
}
