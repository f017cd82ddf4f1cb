// SPDX-License-Identifier: GPL-2.0
/*
 * session.c - media sessions (media.h): the by-id and by-local-port tables
 * (liburcu lfht), the sides and legs, their kernel flows, the media timeout.
 * The JSON views are in session_json.c.  Ports come from ports.c, the decision to latch from
 * latch.c, packets are moved by relay.c.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/route.h"
#include "fastpath/fastpath.h"
#include "media/relay.h"
#include "media/session_internal.h"
#include "media/shared.h"

struct media_state media_st = {
	.cb_lock = PTHREAD_MUTEX_INITIALIZER,
};

const char *const media_dir_names[] = {
	[MEDIA_SENDRECV] = "sendrecv", [MEDIA_SENDONLY] = "sendonly",
	[MEDIA_RECVONLY] = "recvonly", [MEDIA_INACTIVE] = "inactive",
};

/* ---- table matches --------------------------------------------------------- */

static int
match_id(struct cds_lfht_node *node, const void *key)
{
	const struct media_session *s = caa_container_of(node, struct media_session, id_node);

	return s->id == *(const uint64_t *)key;
}

/* Session with this id, or NULL.  Needs the RCU read lock. */
struct media_session *
session_find(uint64_t id)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	if (!media_st.by_id)
		return NULL;
	cds_lfht_lookup(media_st.by_id, xr_mix64(id), match_id, &id, &it);
	n = cds_lfht_iter_get_node(&it);
	return session_of(n);
}

/*
 * The slot of media_st.by_port for relay address and port local (the first
 * --media address with its IP), or NULL when it is none of ours.
 */
static struct media_leg **
port_slot(const union xr_sa *local)
{
	unsigned port = xr_sa_port(local);

	if (port < media_st.port_lo || port - media_st.port_lo >= media_st.nports)
		return NULL;
	for (int i = 0; i < media_st.npools; i++)
		if (media_st.by_port[i] && xr_sa_ip_eq(&media_st.addrs[i], local))
			return &media_st.by_port[i][port - media_st.port_lo];
	return NULL;
}

struct media_leg *
leg_find(const union xr_sa *local)
{
	struct media_leg **slot = port_slot(local);

	return slot ? rcu_dereference(*slot) : NULL;
}

/* ---- small helpers ------------------------------------------------------ */

static uint64_t
now_realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool
sa_known(const union xr_sa *sa)
{
	return (sa->sa.sa_family == AF_INET || sa->sa.sa_family == AF_INET6) &&
	       xr_sa_port(sa) != 0 && !xr_sa_is_any(sa);
}

static bool
dir_sends(enum media_dir d)
{
	return d == MEDIA_SENDRECV || d == MEDIA_SENDONLY;
}

static bool
dir_receives(enum media_dir d)
{
	return d == MEDIA_SENDRECV || d == MEDIA_RECVONLY;
}

/* The RTCP remote implied by an RTP remote: port + 1 (RFC 3550 11), 0 stays 0. */
static void
rtcp_of(union xr_sa *rtcp, const union xr_sa *rtp)
{
	uint16_t p = xr_sa_port(rtp);

	*rtcp = *rtp;
	xr_sa_set_port(rtcp, p && p < 65535 ? (uint16_t)(p + 1) : 0);
}

static char
side_char(enum media_side_id id)
{
	return id == MEDIA_A ? 'A' : 'B';
}

/*
 * The options of the running configuration media reads at run time (a
 * reload may change them): latching policy and --media-timeout (0: off).
 */
static void
media_cfg_now(enum xr_latch *latch, int *timeout)
{
	*latch = XR_LATCH_STRICT;
	*timeout = 0;
	if (!media_st.cfg)
		return;
	rcu_read_lock();
	*latch = config_now(media_st.cfg)->latch;
	*timeout = config_now(media_st.cfg)->media_timeout;
	rcu_read_unlock();
}

enum xr_latch
media_policy(void)
{
	enum xr_latch l;
	int t;

	media_cfg_now(&l, &t);
	return l;
}

/* --media-timeout of the running configuration, in seconds (0: off). */
int
media_timeout_s(void)
{
	enum xr_latch l;
	int t;

	media_cfg_now(&l, &t);
	return t;
}

/* ---- kernel flows ------------------------------------------------------- */

bool
media_leg_dst(const struct media_leg *leg, union xr_sa *dst, bool *known)
{
	const struct media_side *x = leg->side;
	const struct media_side *y = &x->sess->side[!x->id];
	const struct media_leg *o = &y->leg[leg->id];

	*known = true;
	if (o->latched.sa.sa_family)
		*dst = o->latched;
	else if (sa_known(&o->remote))
		*dst = o->remote;
	else
		*known = false;
	if (!*known)
		return false;
	if (leg->id == MEDIA_RTCP)
		return true;
	return dir_sends(x->dir) && dir_receives(y->dir);
}

int
media_flows_write(struct media_session *s)
{
	struct xr_flow_key keys[4];
	struct xr_flow vals[4];
	int res[4], err = 0, nfail = 0;

	if (!media_st.fp || s->dead)
		return 0;
	for (int sd = 0; sd < 2; sd++) {
		for (int l = 0; l < 2; l++) {
			struct media_leg *leg = &s->side[sd].leg[l];
			struct media_leg *out = &s->side[!sd].leg[l];
			unsigned flags = l == MEDIA_RTCP ? XR_FLOW_F_RTCP : 0;
			const union xr_sa *peer = &leg->remote;
			union xr_sa dst;
			bool known;

			if (leg->latched.sa.sa_family) {
				peer = &leg->latched;
				flags |= XR_FLOW_F_LATCHED;
			}
			if (media_leg_dst(leg, &dst, &known))
				flags |= XR_FLOW_F_FORWARD;
			fp_flow_make(&vals[sd * 2 + l], s->id, peer, flags, &out->local,
				     known ? &dst : NULL, MEDIA_TTL);
			keys[sd * 2 + l] = leg->key;
		}
	}
	/* Memory writes into the table's mapping: no system call. */
	for (int i = 0; i < 4; i++) {
		res[i] = fp_flow_put(media_st.fp, &keys[i], &vals[i]);
		if (res[i] >= 0)
			continue;
		/* Never leave a stale flow: the relay carries this leg. */
		fp_flow_del(media_st.fp, &keys[i]);
		if (!err)
			err = res[i];
		nfail++;
	}
	if (nfail)
		log_ratelimited(LS_MEDIA, LL_WARN,
				"session %llu: %d of 4 kernel flows refused (%s): "
				"relayed in userspace",
				(unsigned long long)s->id, nfail, strerror(-err));
	return err;
}

/* Remove s's four kernel flows (memory writes); needs s->lock. */
static void
flows_delete(struct media_session *s)
{
	int res[4];

	if (!media_st.fp)
		return;
	for (int sd = 0; sd < 2; sd++)
		for (int l = 0; l < 2; l++)
			res[sd * 2 + l] = fp_flow_del(media_st.fp, &s->side[sd].leg[l].key);
	for (int i = 0; i < 4; i++)
		if (res[i] < 0 && res[i] != -ENOENT)
			log_ratelimited(LS_MEDIA, LL_WARN,
					"session %llu: kernel flow delete failed: %s",
					(unsigned long long)s->id, strerror(-res[i]));
}

/* ---- sizes -------------------------------------------------------------- */

/*
 * What one session costs.  The kernel's flow table is not in it: it has an
 * entry for every --media address and --ports port, allocated whole at
 * start (fastpath logs its size), whatever --max-sessions says; a session
 * uses four of its entries.
 */
size_t
media_session_bytes(size_t *user, size_t *kernel)
{
	/* The session, its hash-table nodes and the allocator's share. */
	*user = sizeof(struct media_session) + 64;
	*kernel = 0;
	return *user + *kernel;
}

int
media_max_sessions(const struct xr_config *cfg)
{
	size_t u, k, per = media_session_bytes(&u, &k);
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	unsigned long long n;

	if (cfg->max_sessions > 0)
		return cfg->max_sessions;
	if (pages <= 0 || psz <= 0)
		return 4096;
	n = (unsigned long long)pages * (unsigned long long)psz / 32 / per;
	if (n < 4096)
		n = 4096;
	if (n > 1048576)
		n = 1048576;
	return (int)n;
}

/* ---- life cycle --------------------------------------------------------- */

/*
 * Take the whole hard RLIMIT_NOFILE (SIP over TCP wants it too).  With a
 * socket per port every session holds four (the soft default of 1024 would
 * stop at ~250 calls): say how many sessions that allows when it is below
 * what the port range could hold.
 */
static void
media_raise_nofile(const struct xr_config *cfg)
{
	struct rlimit rl;
	unsigned long pairs, fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return;
	}
	if (media_st.shared)	/* the sockets are a few, whatever the sessions */
		return;
	pairs = (unsigned long)((cfg->port_hi - cfg->port_lo + 1) / 2) *
		(unsigned long)cfg->nmedia;
	fit = rl.rlim_cur == RLIM_INFINITY ? pairs : (unsigned long)(rl.rlim_cur / 4);
	if (fit < pairs / 2)
		logs(LS_MEDIA, LL_INFO, "open files limit %lu: at most ~%lu media sessions "
		     "(4 sockets each); raise LimitNOFILE / ulimit -n for more",
		     (unsigned long)rl.rlim_cur, fit);
}

/*
 * --media-sockets shared: the shared sockets and their sk_lookup program
 * (shared.c), or, when those cannot be had, a socket per port with a
 * warning.  A relay port already in use refuses the start (-EADDRINUSE).
 */
static int
media_shared_init(const struct xr_config *cfg)
{
	uint16_t skip[XR_MAX_ADDRS];
	int err, nskip = 0;

	media_st.shared = false;
	if (cfg->media_sockets != XR_MSOCK_SHARED)
		return 0;
	/* Our own SIP ports inside the range stay SIP's (and no session's). */
	for (int i = 0; i < cfg->nsip; i++) {
		uint16_t p = xr_sa_port(&cfg->sip[i]);

		if (p >= cfg->port_lo && p <= cfg->port_hi)
			skip[nskip++] = p;
	}
	err = shared_open(media_st.addrs, cfg->nmedia, cfg->port_lo, cfg->port_hi, skip, nskip,
			  cfg->redis[0] != '\0', media_st.shared_fd);
	if (err == -EADDRINUSE)
		return err;
	if (err) {
		logs(LS_MEDIA, LL_WARN, "shared media sockets unavailable (%s): one socket per "
		     "port instead (--media-sockets port)", strerror(-err));
		return 0;
	}
	media_st.shared = true;
	return 0;
}

static void
by_port_free(void)
{
	for (int i = 0; i < XR_MAX_MEDIA; i++) {
		free(media_st.by_port[i]);
		media_st.by_port[i] = NULL;
	}
}

/*
 * Buckets of the by-id table: a power of two at least the sessions admitted
 * (--max-media-sessions, else --max-sessions) at start, from 1,024 to
 * 16,384, kept as the least the table shrinks to; beyond that it grows in
 * the background.  Starting small made a burst of creations walk chains
 * many entries long until the table caught up (20 % of media.create's CPU
 * at 30,000 sessions); starting at the capacity (262,144 buckets here) made
 * every walk of the table (the relay thread's media-timeout check, each
 * second) cost ~27 ms even with no session, the buckets being nodes of the
 * walked list.  8 bytes a bucket.
 */
static unsigned long
table_buckets(const struct xr_config *cfg)
{
	unsigned long nb = 1024, want = (unsigned long)media_max_sessions(cfg);

	if (cfg->max_media_sessions > 0 && (unsigned long)cfg->max_media_sessions < want)
		want = (unsigned long)cfg->max_media_sessions;
	while (nb < want && nb < 16384)
		nb *= 2;
	return nb;
}

int
media_init(const struct xr_config *cfg, struct fp *fp)
{
	uint32_t r = 0;
	int err;

	if (media_st.inited)
		return -EALREADY;
	if (cfg->nmedia <= 0) {
		logs(LS_MEDIA, LL_WARN, "no --media address");
		return -EINVAL;
	}
	media_st.cfg = cfg;
	media_st.fp = fp;
	for (int i = 0; i < cfg->nmedia; i++) {
		media_st.addrs[i] = cfg->media[i];
		xr_sa_set_port(&media_st.addrs[i], 0);
	}
	err = media_shared_init(cfg);
	if (err)
		return err;
	media_raise_nofile(cfg);
	for (int i = 0; i < cfg->nmedia; i++) {
		char ip[INET6_ADDRSTRLEN];

		media_st.pools[i] = port_pool_new(&media_st.addrs[i], cfg->port_lo, cfg->port_hi,
						  !media_st.shared);
		if (!media_st.pools[i]) {
			err = -errno;
			logs(LS_MEDIA, LL_WARN, "bad port range %u-%u for %s", cfg->port_lo,
			     cfg->port_hi, xr_sa_ipstr(&media_st.addrs[i], ip, sizeof(ip)));
			goto out_pools;
		}
		media_st.npools = i + 1;
		for (int j = 0; media_st.shared && j < cfg->nsip; j++)
			port_pool_hold(media_st.pools[i], xr_sa_port(&cfg->sip[j]));
	}
	{
		unsigned long nb = table_buckets(cfg);

		media_st.by_id = cds_lfht_new(nb, nb, 0, CDS_LFHT_AUTO_RESIZE |
					      CDS_LFHT_ACCOUNTING, NULL);
	}
	media_st.port_lo = cfg->port_lo;
	media_st.nports = (unsigned)cfg->port_hi - cfg->port_lo + 1;
	for (int i = 0; i < media_st.npools; i++) {
		media_st.by_port[i] = calloc(media_st.nports, sizeof(*media_st.by_port[i]));
		if (!media_st.by_port[i])
			err = -ENOMEM;
	}
	if (!media_st.by_id || err == -ENOMEM) {
		err = -ENOMEM;
		goto out_tables;
	}
	/* Random start, kept below 2^33 so ids stay exact in any JSON reader. */
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)(media_now_ns() ^ (uint64_t)getpid());
	media_st.next_id = (uint64_t)r + 1;
	media_st.nsessions = 0;
	media_st.max_sessions = media_max_sessions(cfg);
	{
		size_t u, k, per = media_session_bytes(&u, &k);

		(void)u;
		(void)k;
		logs(LS_MEDIA, LL_INFO, "at most %d media sessions (%s); about %zu bytes a "
		     "session in userspace (the kernel's flow table is sized by --media x "
		     "--ports): %zu MiB at most",
		     media_st.max_sessions, cfg->max_sessions ? "--max-sessions" :
		     "1/32 of the memory", per,
		     (size_t)media_st.max_sessions * per >> 20);
	}
	err = relay_init(cfg->media_timeout);
	if (err)
		goto out_tables;
	for (int i = 0; media_st.shared && i < media_st.npools; i++)
		relay_add_shared(media_st.shared_fd[i]);
	media_st.inited = true;
	return 0;

out_tables:
	if (media_st.by_id)
		cds_lfht_destroy(media_st.by_id, NULL);
	media_st.by_id = NULL;
	by_port_free();
out_pools:
	for (int i = 0; i < media_st.npools; i++)
		port_pool_free(media_st.pools[i]);
	media_st.npools = 0;
	if (media_st.shared)
		shared_close();
	media_st.shared = false;
	return err;
}

int
media_start(void)
{
	if (!media_st.inited)
		return -EINVAL;
	return relay_start();
}

static void
session_free_rcu(struct rcu_head *head)
{
	struct media_session *s = caa_container_of(head, struct media_session, rcu);

	pthread_mutex_destroy(&s->lock);
	session_release(s);
}

void
media_stop(void)
{
	struct cds_lfht_iter it;
	struct media_session *s;
	uint64_t *ids = NULL;
	size_t n = 0, cap = 0;

	if (!media_st.inited)
		return;
	relay_stop();
	rcu_read_lock();
	for_each_session(it, s) {
		if (n == cap) {
			uint64_t *t = realloc(ids, (cap = cap ? 2 * cap : 64) * sizeof(*ids));

			if (!t)
				break;
			ids = t;
		}
		ids[n++] = s->id;
	}
	rcu_read_unlock();
	for (size_t i = 0; i < n; i++)
		media_session_delete(ids[i]);
	free(ids);
	rcu_barrier();
	cds_lfht_destroy(media_st.by_id, NULL);
	media_st.by_id = NULL;
	by_port_free();
	for (int i = 0; i < media_st.npools; i++)
		port_pool_free(media_st.pools[i]);
	media_st.npools = 0;
	relay_fini();
	session_pool_drop();	/* every session went back at rcu_barrier() */
	if (media_st.shared)
		shared_close();
	media_st.shared = false;
	media_st.inited = false;
}

/*
 * Index of the relay address facing party (route_pick(): the one the route
 * to it leaves from), or -EINVAL when no --media address has its family.
 */
int
pick_pool(const union xr_sa *party)
{
	char a[XR_SA_STRLEN];
	int i, n = 0, only = -1;

	if (party->sa.sa_family != AF_INET && party->sa.sa_family != AF_INET6)
		return -EINVAL;
	for (i = 0; i < media_st.npools; i++)
		if (media_st.addrs[i].sa.sa_family == party->sa.sa_family) {
			n++;
			only = i;
		}
	/* One candidate of the family: no route lookup needed (saves four syscalls). */
	i = n == 1 ? only : route_pick(media_st.addrs, media_st.npools, party);
	if (i < 0 || media_st.addrs[i].sa.sa_family != party->sa.sa_family) {
		log_ratelimited(LS_MEDIA, LL_WARN, "no --media address of the family of %s",
				xr_sa_str(party, a, sizeof(a)));
		return -EINVAL;
	}
	return i;
}

/* Fill side sd of s from its bound pair and negotiated RTP remote. */
void
side_setup(struct media_session *s, enum media_side_id sd, int pool, const union xr_sa *remote)
{
	struct media_side *x = &s->side[sd];

	x->sess = s;
	x->id = sd;
	x->pool = pool;
	x->dir = MEDIA_SENDRECV;
	for (int l = 0; l < 2; l++) {
		struct media_leg *leg = &x->leg[l];

		leg->side = x;
		leg->id = (enum media_leg_id)l;
		leg->fd = x->pair.fd[l];
		leg->local = x->pair.rtp;
		xr_sa_set_port(&leg->local, (uint16_t)(xr_sa_port(&x->pair.rtp) + l));
		if (l == MEDIA_RTP)
			leg->remote = *remote;
		else
			rtcp_of(&leg->remote, remote);
		if (media_st.fp)
			fp_key_make(&leg->key, &leg->local);
	}
}

/*
 * Take a place among the sessions allowed: --max-media-sessions of the
 * running configuration (reloadable), at most the capacity the tables were
 * sized for (--max-sessions, media_st.max_sessions; 0 and no configuration
 * in unit tests: unbounded).  Reserved before anything is allocated, so the
 * bound holds across threads.  0 or -EBUSY.
 */
static int
session_reserve(void)
{
	int max = media_st.max_sessions, lim = 0, n;

	if (media_st.cfg) {
		rcu_read_lock();
		lim = config_now(media_st.cfg)->max_media_sessions;
		rcu_read_unlock();
	}
	if (lim > 0 && (max <= 0 || lim < max))
		max = lim;
	n = __atomic_add_fetch(&media_st.nsessions, 1, __ATOMIC_RELAXED);
	if (max <= 0 || n <= max)
		return 0;
	__atomic_fetch_sub(&media_st.nsessions, 1, __ATOMIC_RELAXED);
	if (max == media_st.max_sessions)
		log_ratelimited(LS_MEDIA, LL_WARN, "%d media sessions: the capacity "
				"(--max-sessions) is reached", max);
	return -EBUSY;
}

/*
 * Write s's kernel flows and make it visible: both tables, the relay's
 * watchers.  s is fully set up and not yet shared, and counted already
 * (session_reserve()).
 */
void
session_insert(struct media_session *s)
{
	/* A flow the table refuses (not one of its ports) leaves that leg to the relay. */
	pthread_mutex_lock(&s->lock);
	media_flows_write(s);
	pthread_mutex_unlock(&s->lock);

	rcu_read_lock();
	for (int sd = 0; sd < 2; sd++)
		for (int l = 0; l < 2; l++) {
			struct media_leg *leg = &s->side[sd].leg[l];
			struct media_leg **slot = port_slot(&leg->local);

			/* The port pair is this session's alone: the slot is free. */
			if (slot)
				rcu_assign_pointer(*slot, leg);
		}
	cds_lfht_add(media_st.by_id, xr_mix64(s->id), &s->id_node);
	rcu_read_unlock();
	relay_attach(s);
}

void
media_set_change_cb(void (*cb)(uint64_t id))
{
	__atomic_store_n(&media_st.change_cb, cb, __ATOMIC_RELEASE);
}

void
media_changed(uint64_t id)
{
	void (*cb)(uint64_t) = __atomic_load_n(&media_st.change_cb, __ATOMIC_ACQUIRE);

	if (cb)
		cb(id);
}

/*
 * Common body of media_session_create{,_half}: b is side B's remote when
 * b_known, else only a hint for its relay address (remote left unknown).
 */
static int
session_create(const union xr_sa *a, const union xr_sa *b, bool b_known, uint64_t *id)
{
	struct media_session *s;
	int pa, pb, err;

	if (!media_st.inited || !a || (b_known && !b))
		return -EINVAL;
	if (xr_sa_port(a) == 0 || (b_known && xr_sa_port(b) == 0))
		return -EINVAL;
	pa = pick_pool(a);
	if (pa < 0)
		return pa;
	pb = b ? pick_pool(b) : pa;
	if (pb < 0)
		return pb;
	err = session_reserve();
	if (err)
		return err;
	s = session_alloc();
	if (!s) {
		__atomic_fetch_sub(&media_st.nsessions, 1, __ATOMIC_RELAXED);
		return -ENOMEM;
	}
	s->side[0].pair.fd[0] = s->side[0].pair.fd[1] = -1;
	s->side[1].pair.fd[0] = s->side[1].pair.fd[1] = -1;
	err = port_pool_alloc(media_st.pools[pa], &s->side[MEDIA_A].pair);
	if (err)
		goto out_free;
	err = port_pool_alloc(media_st.pools[pb], &s->side[MEDIA_B].pair);
	if (err)
		goto out_ports;

	pthread_mutex_init(&s->lock, NULL);
	s->id = __atomic_fetch_add(&media_st.next_id, 1, __ATOMIC_RELAXED);
	s->created_ms = now_realtime_ms();
	s->created_ns = media_now_ns();
	cds_lfht_node_init(&s->id_node);
	side_setup(s, MEDIA_A, pa, a);
	if (b_known) {
		side_setup(s, MEDIA_B, pb, b);
	} else {
		union xr_sa unknown;

		memset(&unknown, 0, sizeof(unknown));
		unknown.sa.sa_family = media_st.addrs[pb].sa.sa_family;
		side_setup(s, MEDIA_B, pb, &unknown);
	}

	session_insert(s);
	*id = s->id;
	media_changed(s->id);

	if (log_enabled(LS_MEDIA, LL_DEBUG)) {
		char la[XR_SA_STRLEN], lb[XR_SA_STRLEN], ra[XR_SA_STRLEN], rb[XR_SA_STRLEN];

		media_debug("session %llu created: A %s <-> %s, B %s <-> %s",
			    (unsigned long long)s->id,
			    xr_sa_str(&s->side[0].leg[0].remote, ra, sizeof(ra)),
			    xr_sa_str(&s->side[0].leg[0].local, la, sizeof(la)),
			    xr_sa_str(&s->side[1].leg[0].local, lb, sizeof(lb)),
			    b_known ? xr_sa_str(b, rb, sizeof(rb)) : "(not known yet)");
	}
	return 0;

out_ports:
	port_pair_put(media_st.pools[pb], &s->side[MEDIA_B].pair);
	port_pair_put(media_st.pools[pa], &s->side[MEDIA_A].pair);
out_free:
	session_release(s);
	__atomic_fetch_sub(&media_st.nsessions, 1, __ATOMIC_RELAXED);
	return err;
}

int
media_session_create(const union xr_sa *a, const union xr_sa *b, uint64_t *id)
{
	return session_create(a, b, true, id);
}

int
media_session_create_half(const union xr_sa *a, const union xr_sa *b_hint, uint64_t *id)
{
	return session_create(a, b_hint, false, id);
}

/*
 * The answer named side x's remotes: a leg that saw early packets (latch.c)
 * from the source the policy now takes latches to it at once, so the kernel
 * flow written next carries that party's next packet.  Early sources are
 * forgotten either way.  Needs s->lock.
 */
static void
latch_early(struct media_side *x)
{
	union xr_sa none;

	memset(&none, 0, sizeof(none));
	for (int l = 0; l < 2; l++) {
		struct media_leg *leg = &x->leg[l];
		char b[XR_SA_STRLEN];

		if (!leg->early.sa.sa_family)
			continue;
		if (!leg->latched.sa.sa_family && !media_remote_pending(&leg->remote) &&
		    media_latch(media_policy(), &leg->remote, &none, &leg->early) == LATCH_LATCH) {
			leg->latched = leg->early;
			logs(LS_MEDIA, LL_INFO, "session %llu side %c %s latched %s (early packet, "
			     "named by the answer)", (unsigned long long)x->sess->id,
			     side_char(x->id), l == MEDIA_RTP ? "RTP" : "RTCP",
			     xr_sa_str(&leg->early, b, sizeof(b)));
		}
		if (!media_remote_pending(&leg->remote))
			memset(&leg->early, 0, sizeof(leg->early));
	}
}

int
media_session_update_rtcp(uint64_t id, enum media_side_id side, const union xr_sa *remote,
			  const union xr_sa *rtcp, enum media_dir dir)
{
	struct media_session *s;
	struct media_side *x;
	union xr_sa rtcp_r;
	bool changed;
	int err = 0;

	if ((side != MEDIA_A && side != MEDIA_B) || dir < MEDIA_SENDRECV ||
	    dir > MEDIA_INACTIVE || !remote)
		return -EINVAL;
	rcu_read_lock();
	s = session_find(id);
	if (!s) {
		rcu_read_unlock();
		return -ENOENT;
	}
	x = &s->side[side];
	if (remote->sa.sa_family != x->leg[MEDIA_RTP].local.sa.sa_family ||
	    (rtcp && rtcp->sa.sa_family != remote->sa.sa_family)) {
		rcu_read_unlock();
		return -EINVAL;
	}
	if (rtcp)
		rtcp_r = *rtcp;
	else
		rtcp_of(&rtcp_r, remote);

	pthread_mutex_lock(&s->lock);
	if (s->dead) {
		err = -ENOENT;
		goto out_unlock;
	}
	/* A new RTP remote unlatches the whole side; a new RTCP remote only RTCP. */
	changed = !xr_sa_eq(&x->leg[MEDIA_RTP].remote, remote);
	if (changed)
		memset(&x->leg[MEDIA_RTP].latched, 0, sizeof(union xr_sa));
	if (changed || !xr_sa_eq(&x->leg[MEDIA_RTCP].remote, &rtcp_r))
		memset(&x->leg[MEDIA_RTCP].latched, 0, sizeof(union xr_sa));
	x->leg[MEDIA_RTP].remote = *remote;
	x->leg[MEDIA_RTCP].remote = rtcp_r;
	x->dir = dir;
	latch_early(x);
	media_flows_write(s);
	if (log_enabled(LS_MEDIA, LL_DEBUG)) {
		char r[XR_SA_STRLEN];

		media_debug("session %llu side %c now %s %s%s", (unsigned long long)id,
			    side_char(side), xr_sa_str(remote, r, sizeof(r)), media_dir_names[dir],
			    changed ? " (unlatched)" : "");
	}
out_unlock:
	pthread_mutex_unlock(&s->lock);
	rcu_read_unlock();
	if (!err)
		media_changed(id);
	return err;
}

int
media_session_update(uint64_t id, enum media_side_id side, const union xr_sa *remote,
		     enum media_dir dir)
{
	return media_session_update_rtcp(id, side, remote, NULL, dir);
}

int
media_session_delete(uint64_t id)
{
	struct media_session *s;

	rcu_read_lock();
	s = session_find(id);
	if (!s || cds_lfht_del(media_st.by_id, &s->id_node) != 0) {
		rcu_read_unlock();
		return -ENOENT;
	}
	for (int sd = 0; sd < 2; sd++)
		for (int l = 0; l < 2; l++) {
			struct media_leg **slot = port_slot(&s->side[sd].leg[l].local);

			/* cleared before the port pair goes back to its pool */
			if (slot && *slot == &s->side[sd].leg[l])
				rcu_assign_pointer(*slot, NULL);
		}
	rcu_read_unlock();
	__atomic_fetch_sub(&media_st.nsessions, 1, __ATOMIC_RELAXED);

	pthread_mutex_lock(&s->lock);
	flows_delete(s);
	s->dead = true;
	pthread_mutex_unlock(&s->lock);

	/* No relay callback may run on s's sockets once they are closed. */
	relay_detach(s);
	for (int sd = 0; sd < 2; sd++) {
		for (int l = 0; l < 2; l++)
			s->side[sd].leg[l].fd = -1;
		port_pair_put(media_st.pools[s->side[sd].pool], &s->side[sd].pair);
	}
	media_debug("session %llu deleted", (unsigned long long)id);
	call_rcu(&s->rcu, session_free_rcu);
	media_changed(id);
	return 0;
}

/* ---- queries ------------------------------------------------------------ */

/*
 * Latest packet on leg, either path (CLOCK_MONOTONIC ns, 0: none).  The
 * kernel's stamp is CLOCK_MONOTONIC_COARSE, same origin, at most a tick early.
 */
static uint64_t
leg_last_ns(struct media_leg *leg, bool ask_kernel)
{
	uint64_t u = __atomic_load_n(&leg->st.last_ns, __ATOMIC_RELAXED);
	struct xr_flow_stats ks;

	if (ask_kernel && media_st.fp && fp_flow_stats(media_st.fp, &leg->key, &ks) == 0 &&
	    ks.last_seen_ns > u)
		u = ks.last_seen_ns;
	return u;
}

/* media_session_info(); with_last: read the last packet's time (kernel too). */
static int
session_info(uint64_t id, struct media_session_info *out, bool with_last)
{
	struct media_session *s;
	uint64_t last = 0;

	rcu_read_lock();
	s = session_find(id);
	if (!s) {
		rcu_read_unlock();
		return -ENOENT;
	}
	memset(out, 0, sizeof(*out));
	out->id = s->id;
	out->created_ms = s->created_ms;
	pthread_mutex_lock(&s->lock);
	for (int sd = 0; sd < 2; sd++) {
		struct media_side *x = &s->side[sd];

		out->side[sd].local_rtp = x->leg[MEDIA_RTP].local;
		out->side[sd].remote_rtp = x->leg[MEDIA_RTP].remote;
		out->side[sd].remote_rtcp = x->leg[MEDIA_RTCP].remote;
		out->side[sd].latched_rtp = x->leg[MEDIA_RTP].latched;
		out->side[sd].latched_rtcp = x->leg[MEDIA_RTCP].latched;
		out->side[sd].dir = x->dir;
	}
	pthread_mutex_unlock(&s->lock);
	for (int sd = 0; sd < 2 && with_last; sd++)
		for (int l = 0; l < 2; l++) {
			uint64_t t = leg_last_ns(&s->side[sd].leg[l], true);

			if (t > last)
				last = t;
		}
	out->last_media_ms = last / 1000000;
	rcu_read_unlock();
	return 0;
}

int
media_session_info(uint64_t id, struct media_session_info *out)
{
	return session_info(id, out, true);
}

int
media_session_addrs(uint64_t id, struct media_session_info *out)
{
	return session_info(id, out, false);
}

int
media_session_count(void)
{
	return __atomic_load_n(&media_st.nsessions, __ATOMIC_RELAXED);
}

int
media_session_by_local(const union xr_sa *local, uint64_t *id, enum media_side_id *side,
		       bool *rtcp)
{
	const struct media_leg *l;
	int err = -ENOENT;

	rcu_read_lock();
	l = leg_find(local);
	if (l) {
		*id = l->side->sess->id;
		*side = l->side->id;
		*rtcp = l->id == MEDIA_RTCP;
		err = 0;
	}
	rcu_read_unlock();
	return err;
}

void
media_set_timeout_cb(void (*cb)(uint64_t id, void *arg), void *arg)
{
	pthread_mutex_lock(&media_st.cb_lock);
	media_st.timeout_cb = cb;
	media_st.timeout_arg = arg;
	pthread_mutex_unlock(&media_st.cb_lock);
}

/* Whether t (0: never) is less than limit ns before now, on t's own clock. */
static bool
recent(uint64_t now, uint64_t t, uint64_t limit)
{
	return t && (t >= now || now - t < limit);
}

/*
 * Relay thread.  A session is silent when no leg has seen an accepted packet
 * (userspace) or a forwarded one (kernel) for media_timeout seconds, counted
 * from its creation when it never had any.  The kernel is asked only about
 * legs whose cached kernel time is stale, so a live call costs about one
 * lookup per leg per timeout period.  Each session is reported once.
 */
void
media_timeout_check(void)
{
	uint64_t now = media_now_ns(), know = media_kernel_now_ns(), limit, expired[64];
	struct cds_lfht_iter it;
	struct media_session *s;
	void (*cb)(uint64_t, void *);
	void *arg;
	int n = 0;

	if (!media_st.inited || media_timeout_s() <= 0 || media_is_standby())
		return;
	limit = (uint64_t)media_timeout_s() * 1000000000ull;
	rcu_read_lock();
	for_each_session(it, s) {
		bool alive;

		if (__atomic_load_n(&s->timeout_reported, __ATOMIC_ACQUIRE))
			continue;
		/* Userspace times against CLOCK_MONOTONIC, kernel ones against the coarse clock. */
		alive = recent(now, __atomic_load_n(&s->created_ns, __ATOMIC_RELAXED), limit);
		for (int sd = 0; sd < 2 && !alive; sd++)
			for (int l = 0; l < 2 && !alive; l++) {
				struct media_leg *leg = &s->side[sd].leg[l];

				alive = recent(now, __atomic_load_n(&leg->st.last_ns,
								    __ATOMIC_RELAXED), limit) ||
					recent(know, leg->k_last_ns, limit);
			}
		for (int sd = 0; sd < 2 && !alive && media_st.fp; sd++)
			for (int l = 0; l < 2 && !alive; l++) {
				struct media_leg *leg = &s->side[sd].leg[l];
				struct xr_flow_stats ks;

				if (fp_flow_stats(media_st.fp, &leg->key, &ks) == 0 &&
				    ks.last_seen_ns > leg->k_last_ns)
					leg->k_last_ns = ks.last_seen_ns;
				alive = recent(know, leg->k_last_ns, limit);
			}
		if (alive)
			continue;
		__atomic_store_n(&s->timeout_reported, true, __ATOMIC_RELEASE);
		expired[n++] = s->id;
		if (n == (int)(sizeof(expired) / sizeof(expired[0])))
			break;	/* the rest on the next tick */
	}
	rcu_read_unlock();

	pthread_mutex_lock(&media_st.cb_lock);
	cb = media_st.timeout_cb;
	arg = media_st.timeout_arg;
	pthread_mutex_unlock(&media_st.cb_lock);
	for (int i = 0; i < n; i++) {
		if (cb) {
			cb(expired[i], arg);
		} else {
			logs(LS_MEDIA, LL_INFO, "session %llu: no media for %d s, deleted",
			     (unsigned long long)expired[i], media_timeout_s());
			media_session_delete(expired[i]);
		}
	}
}
