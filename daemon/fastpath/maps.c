// SPDX-License-Identifier: GPL-2.0
/*
 * maps.c - encoding of fast-path map entries (flow.h) and the bpf syscalls
 * that write flows and read per-flow stats and counters, on the map fds of
 * a struct fp (loader.c opens them).  Owns one piece of state: which
 * xr_flow_stats slot each flow holds (struct fp_slots, under its mutex), so
 * that the XDP program finds a flow's stats without a second hash lookup.
 * Safe from any thread; no RCU needed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <bpf/bpf.h>

#include "common/hash.h"
#include "fastpath/fastpath.h"

/* Size of one CPU's slot in a per-CPU map value buffer (the kernel rounds to 8). */
#define FP_PERCPU_SLOT(sz)	(((sz) + 7) & ~(size_t)7)
#define FP_ZERO_BATCH		256	/* free stats slots zeroed in one system call */

void
fp_key_make(struct xr_flow_key *k, const union xr_sa *local)
{
	memset(k, 0, sizeof(*k));
	xr_sa_to_map(local, k->addr, &k->port, &k->family);
}

void
fp_flow_make(struct xr_flow *v, uint64_t session_id, const union xr_sa *peer,
	     unsigned flags, const union xr_sa *src, const union xr_sa *dst, uint8_t ttl)
{
	memset(v, 0, sizeof(*v));
	v->session_id = session_id;
	v->flags = (uint8_t)flags;
	v->ttl = ttl;
	if (peer)
		xr_sa_to_map(peer, v->peer_addr, &v->peer_port, &v->peer_family);
	if (src) {
		uint8_t fam;

		xr_sa_to_map(src, v->src_addr, &v->src_port, &v->out_family);
		if (dst)
			xr_sa_to_map(dst, v->dst_addr, &v->dst_port, &fam);
	} else if (dst) {
		xr_sa_to_map(dst, v->dst_addr, &v->dst_port, &v->out_family);
	}
}

/* ---- stats slots -------------------------------------------------------- */

/* One entry of the key -> slot table; slot1 0: empty, else slot + 1. */
struct fp_slot_ent {
	struct xr_flow_key	key;
	uint32_t		slot1;
};

struct fp_slots {
	pthread_mutex_t		lock;
	struct fp_slot_ent	*tab;	/* open addressing, linear probing */
	size_t			mask;	/* capacity - 1 (a power of two >= 2 x nslots) */
	uint32_t		*free;	/* stack of free slots */
	uint32_t		nfree;
	uint32_t		nclean;	/* the top nclean of free[] are zeroed in the map */
	uint32_t		nslots;
};

/*
 * The key -> slot table: megabytes probed at random (4 lookups a session
 * made or deleted), so it asks for transparent huge pages: on this VM its
 * TLB misses were 10-15 % of media.create's CPU.  Zeroed; NULL on failure.
 */
static void *
tab_alloc(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

static void
tab_free(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes);
}

int
fp_slots_init(struct fp *fp, unsigned nslots)
{
	struct fp_slots *s = calloc(1, sizeof(*s));
	size_t cap = 16;

	if (!s)
		return -ENOMEM;
	while (cap < 2 * (size_t)nslots)
		cap *= 2;
	s->tab = tab_alloc(cap * sizeof(*s->tab));
	s->free = malloc((size_t)nslots * sizeof(*s->free) + 1);
	if (!s->tab || !s->free) {
		tab_free(s->tab, cap * sizeof(*s->tab));
		free(s->free);
		free(s);
		return -ENOMEM;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->mask = cap - 1;
	s->nslots = nslots;
	for (uint32_t i = 0; i < nslots; i++)
		s->free[i] = nslots - 1 - i;	/* slot 0 is popped first */
	s->nfree = nslots;
	fp_slots_free(fp);
	fp->slots = s;
	return 0;
}

void
fp_slots_free(struct fp *fp)
{
	struct fp_slots *s = fp->slots;

	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	tab_free(s->tab, (s->mask + 1) * sizeof(*s->tab));
	free(s->free);
	free(s);
	fp->slots = NULL;
}

static size_t
slot_hash(const struct fp_slots *s, const struct xr_flow_key *k)
{
	return (size_t)xr_fnv64(XR_FNV64_INIT, k, sizeof(*k)) & s->mask;
}

/* Index of k's entry, or -1.  Call with s->lock held. */
static long
slot_find(const struct fp_slots *s, const struct xr_flow_key *k)
{
	for (size_t i = slot_hash(s, k);; i = (i + 1) & s->mask) {
		if (!s->tab[i].slot1)
			return -1;
		if (memcmp(&s->tab[i].key, k, sizeof(*k)) == 0)
			return (long)i;
	}
}

/* Take entry i out, shifting back the entries its probe run displaced.  Lock held. */
static void
slot_remove_at(struct fp_slots *s, size_t i)
{
	size_t j = i;

	/* A slot that held a flow is not zero: it goes below the zeroed ones. */
	s->free[s->nfree] = s->free[s->nfree - s->nclean];
	s->free[s->nfree - s->nclean] = s->tab[i].slot1 - 1;
	s->nfree++;
	for (;;) {
		size_t h;

		j = (j + 1) & s->mask;
		if (!s->tab[j].slot1)
			break;
		h = slot_hash(s, &s->tab[j].key);
		/* Entry j may fill the hole at i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (h <= i || h > j) : (h <= i && h > j)) {
			s->tab[i] = s->tab[j];
			i = j;
		}
	}
	s->tab[i].slot1 = 0;
}

static void *stats_zeros(const struct fp *fp);

/* Slots zeroed at once (capped so the zero buffer stays under 256 KB). */
static uint32_t
zero_batch(const struct fp *fp)
{
	size_t per = (size_t)fp->ncpus * FP_PERCPU_SLOT(sizeof(struct xr_flow_stats));
	size_t n = (256 * 1024) / (per ? per : 1);

	return n < 1 ? 1 : n > FP_ZERO_BATCH ? FP_ZERO_BATCH : (uint32_t)n;
}

/*
 * Zero the stats of the free slots on top of the stack, up to zero_batch()
 * of them, in one BPF_MAP_UPDATE_BATCH: a new flow's slot is zero before
 * the flow is written, so a packet that hits the new flow counts into fresh
 * stats, for one system call per FP_ZERO_BATCH new flows rather than one
 * each.  Call with s->lock held, s->nclean 0 and s->nfree > 0.  0 or -errno.
 */
static int
slots_zero_locked(struct fp *fp, struct fp_slots *s)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	uint32_t n = zero_batch(fp);
	void *zeros = stats_zeros(fp);
	__u32 count;
	int err;

	if (!zeros)
		return -ENOMEM;
	if (n > s->nfree)
		n = s->nfree;
	count = n;
	err = bpf_map_update_batch(fp->stats_fd, &s->free[s->nfree - n], zeros, &count, &opts);
	if (err == 0) {
		s->nclean = n;
		return 0;
	}
	/* No batch operation (or it stopped early): the top slot alone. */
	err = bpf_map_update_elem(fp->stats_fd, &s->free[s->nfree - 1], zeros, BPF_ANY);
	if (err < 0)
		return err;
	s->nclean = 1;
	return 0;
}

/*
 * The slot of k, a new one when it had none (*created), its stats zero.
 * -E2BIG when every slot is taken, -errno when zeroing failed.
 */
static long
slot_get(struct fp *fp, const struct xr_flow_key *k, bool *created)
{
	struct fp_slots *s = fp->slots;
	long i, slot;
	size_t h;

	pthread_mutex_lock(&s->lock);
	i = slot_find(s, k);
	*created = i < 0;
	if (i >= 0) {
		slot = (long)s->tab[i].slot1 - 1;
	} else if (!s->nfree) {
		slot = -E2BIG;
	} else if (!s->nclean && (slot = slots_zero_locked(fp, s)) < 0) {
		*created = false;
	} else {
		s->nclean--;
		slot = s->free[--s->nfree];
		for (h = slot_hash(s, k); s->tab[h].slot1; h = (h + 1) & s->mask)
			;
		s->tab[h].key = *k;
		s->tab[h].slot1 = (uint32_t)slot + 1;
	}
	pthread_mutex_unlock(&s->lock);
	return slot;
}

/* Give k's slot back (no-op when it has none). */
static void
slot_put(struct fp_slots *s, const struct xr_flow_key *k)
{
	long i;

	pthread_mutex_lock(&s->lock);
	i = slot_find(s, k);
	if (i >= 0)
		slot_remove_at(s, (size_t)i);
	pthread_mutex_unlock(&s->lock);
}

int
fp_flow_slot(struct fp *fp, const struct xr_flow_key *k)
{
	long i;
	int slot = -ENOENT;

	if (!fp->slots)
		return -ENOENT;
	pthread_mutex_lock(&fp->slots->lock);
	i = slot_find(fp->slots, k);
	if (i >= 0)
		slot = (int)fp->slots->tab[i].slot1 - 1;
	pthread_mutex_unlock(&fp->slots->lock);
	return slot;
}

/* Every slot free again (after a flush: no flow is left). */
static void
slots_reset(struct fp_slots *s)
{
	pthread_mutex_lock(&s->lock);
	/*
	 * With every slot free the table is already all zero (deletion shifts
	 * back, it leaves no tombstones): clearing it anyway would touch all of
	 * its pages (48 MB at the default --max-sessions of a 24 GB host) at
	 * every start.
	 */
	if (s->nfree != s->nslots)
		memset(s->tab, 0, (s->mask + 1) * sizeof(*s->tab));
	for (uint32_t i = 0; i < s->nslots; i++)
		s->free[i] = s->nslots - 1 - i;
	s->nfree = s->nslots;
	s->nclean = 0;
	pthread_mutex_unlock(&s->lock);
}

/* ---- flows -------------------------------------------------------------- */

/* Generations of flow entries (xr_flow.gen): 0 is never used. */
static uint32_t fp_gen;

/*
 * Zeroed per-CPU stats values for zero_batch() slots, allocated once and
 * only ever read (shared by every thread).
 */
static void *
stats_zeros(const struct fp *fp)
{
	static void *zeros;
	void *z = __atomic_load_n(&zeros, __ATOMIC_ACQUIRE), *none = NULL;

	if (z)
		return z;
	z = calloc((size_t)fp->ncpus * zero_batch(fp),
		   FP_PERCPU_SLOT(sizeof(struct xr_flow_stats)));
	if (z && !__atomic_compare_exchange_n(&zeros, &none, z, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE)) {
		free(z);
		z = none;
	}
	return z;
}

/*
 * n entries of map fd in one BPF_MAP_UPDATE_BATCH; what the batch did not
 * take (the kernel stops at the first element it refuses, or has no batch
 * operation for the map) is written one by one.  res[i] gets each entry's
 * result (0 or -errno); entries whose res[i] is already set are skipped.
 */
static void
update_entries(int fd, const void *keys, size_t ksz, const void *vals, size_t vsz, int n,
	       int *res)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	unsigned char kb[FP_BATCH_MAX * 64];
	const unsigned char *k = keys, *v = vals;
	unsigned char *vb = NULL;
	int idx[FP_BATCH_MAX], m = 0;
	__u32 count;

	for (int i = 0; i < n; i++)
		if (!res[i])
			idx[m++] = i;
	if (!m)
		return;
	count = (__u32)m;
	if (m == n) {		/* the usual case: all of them, in place */
		if (bpf_map_update_batch(fd, keys, vals, &count, &opts) == 0)
			return;
	} else if (ksz <= 64 && (vb = malloc((size_t)m * vsz))) {
		for (int j = 0; j < m; j++) {
			memcpy(kb + (size_t)j * ksz, k + (size_t)idx[j] * ksz, ksz);
			memcpy(vb + (size_t)j * vsz, v + (size_t)idx[j] * vsz, vsz);
		}
		if (bpf_map_update_batch(fd, kb, vb, &count, &opts) == 0) {
			free(vb);
			return;
		}
	} else {
		count = 0;
	}
	free(vb);
	if (count > (__u32)m)
		count = 0;
	for (int j = (int)count; j < m; j++) {
		int i = idx[j];
		int err = bpf_map_update_elem(fd, k + (size_t)i * ksz, v + (size_t)i * vsz,
					      BPF_ANY);

		res[i] = err < 0 ? err : 0;
	}
}

/*
 * A new flow gets a slot whose stats are zero already (slot_get(): zeroed
 * in batches), then the flow is written: a packet that hits the new flow
 * always counts into fresh stats.  Every write gets a new generation, so
 * the program's cached next hop for the entry's previous contents (or the
 * slot's previous flow) is not used again.  All n flows go in one system
 * call (a session's four: one instead of eight).
 */
int
fp_flows_put(struct fp *fp, const struct xr_flow_key *k, const struct xr_flow *v0, int n,
	     int *res)
{
	struct xr_flow vv[FP_BATCH_MAX];
	bool created[FP_BATCH_MAX];
	int first = 0;

	if (n < 1 || n > FP_BATCH_MAX)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		res[i] = fp->ncpus <= 0 || !fp->slots ? -EINVAL : 0;
	if (res[0])
		return res[0];
	for (int i = 0; i < n; i++) {
		long slot = slot_get(fp, &k[i], &created[i]);

		vv[i] = v0[i];
		do
			vv[i].gen = __atomic_add_fetch(&fp_gen, 1, __ATOMIC_RELAXED);
		while (vv[i].gen == 0);
		vv[i].pad1 = 0;
		if (slot < 0) {
			res[i] = (int)slot;
			continue;
		}
		vv[i].slot = (__u32)slot;
	}
	update_entries(fp->flows_fd, k, sizeof(*k), vv, sizeof(vv[0]), n, res);
	for (int i = 0; i < n; i++) {
		if (res[i] < 0 && created[i])	/* leave nothing behind (map full, ...) */
			slot_put(fp->slots, &k[i]);
		if (res[i] < 0 && !first)
			first = res[i];
	}
	return first;
}

int
fp_flow_put(struct fp *fp, const struct xr_flow_key *k, const struct xr_flow *v0)
{
	int res;

	fp_flows_put(fp, k, v0, 1, &res);
	return res;
}

/* The flow goes first so that no packet is forwarded uncounted. */
int
fp_flow_del(struct fp *fp, const struct xr_flow_key *k)
{
	int err = bpf_map_delete_elem(fp->flows_fd, k);

	if (fp->slots)
		slot_put(fp->slots, k);
	return err < 0 ? err : 0;
}

/*
 * n flows deleted with one BPF_MAP_DELETE_BATCH; the kernel stops at the
 * first key it does not find, so the rest go one by one from there.
 */
int
fp_flows_del(struct fp *fp, const struct xr_flow_key *k, int n, int *res)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 count = (__u32)n;
	int first = 0;

	if (n < 1 || n > FP_BATCH_MAX)
		return -EINVAL;
	if (bpf_map_delete_batch(fp->flows_fd, k, &count, &opts) == 0)
		count = (__u32)n;
	else if (count > (__u32)n)
		count = 0;
	for (int i = 0; i < n; i++) {
		int err = 0;

		if (i >= (int)count) {
			err = bpf_map_delete_elem(fp->flows_fd, &k[i]);
			err = err < 0 ? err : 0;
		}
		if (fp->slots)
			slot_put(fp->slots, &k[i]);
		res[i] = err;
		if (err && !first)
			first = err;
	}
	return first;
}

int
fp_flow_get(struct fp *fp, const struct xr_flow_key *k, struct xr_flow *v)
{
	int err = bpf_map_lookup_elem(fp->flows_fd, k, v);

	return err < 0 ? err : 0;
}

int
fp_flow_stats(struct fp *fp, const struct xr_flow_key *k, struct xr_flow_stats *sum)
{
	size_t slot = FP_PERCPU_SLOT(sizeof(struct xr_flow_stats));
	unsigned char *buf;
	int err, i, idx;
	__u32 key;

	memset(sum, 0, sizeof(*sum));
	if (fp->ncpus <= 0)
		return -EINVAL;
	idx = fp_flow_slot(fp, k);
	if (idx < 0)
		return idx;
	buf = calloc((size_t)fp->ncpus, slot);
	if (!buf)
		return -ENOMEM;
	key = (__u32)idx;
	err = bpf_map_lookup_elem(fp->stats_fd, &key, buf);
	if (err < 0)
		goto out_free;
	for (i = 0; i < fp->ncpus; i++) {
		struct xr_flow_stats st;

		memcpy(&st, buf + (size_t)i * slot, sizeof(st));
		sum->packets += st.packets;
		sum->bytes += st.bytes;
		if (st.last_seen_ns > sum->last_seen_ns)
			sum->last_seen_ns = st.last_seen_ns;
	}
	err = 0;
out_free:
	free(buf);
	return err;
}

int
fp_counters(struct fp *fp, uint64_t out[XR_CNT__MAX])
{
	uint64_t *buf;
	uint32_t i;
	int err = 0, c;

	memset(out, 0, sizeof(uint64_t) * XR_CNT__MAX);
	if (fp->ncpus <= 0)
		return -EINVAL;
	buf = calloc((size_t)fp->ncpus, sizeof(uint64_t));
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < XR_CNT__MAX; i++) {
		err = bpf_map_lookup_elem(fp->counters_fd, &i, buf);
		if (err < 0)
			goto out_free;
		for (c = 0; c < fp->ncpus; c++)
			out[i] += buf[c];
	}
	err = 0;
out_free:
	free(buf);
	return err;
}

/*
 * Every key of map fd (ksz bytes each) into *out (malloc'd, the caller frees
 * it); how many, or -errno.  Keys are collected before anything is deleted or
 * read back: deleting while walking a hash map with get_next_key restarts
 * the walk from the first bucket.
 */
static int
map_keys(int fd, size_t ksz, void **out)
{
	unsigned char cur[64], next[64];
	unsigned char *keys = NULL, *tmp;
	size_t n = 0, cap = 0;
	const void *prev = NULL;
	int err;

	if (ksz > sizeof(cur))
		return -EINVAL;
	for (;;) {
		err = bpf_map_get_next_key(fd, prev, next);
		if (err == -ENOENT)
			break;
		if (err < 0) {
			free(keys);
			return err;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(keys, cap * ksz);
			if (!tmp) {
				free(keys);
				return -ENOMEM;
			}
			keys = tmp;
		}
		memcpy(keys + n++ * ksz, next, ksz);
		memcpy(cur, next, ksz);
		prev = cur;
	}
	*out = keys;
	return (int)n;
}

/*
 * Collect every key first, then delete: deleting while walking a hash map
 * with get_next_key restarts the walk from the first bucket.
 */
int
fp_flows_flush(struct fp *fp)
{
	struct xr_flow_key *keys = NULL;
	int n, deleted = 0;

	n = map_keys(fp->flows_fd, sizeof(*keys), (void **)&keys);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (fp_flow_del(fp, &keys[i]) == 0)
			deleted++;
	free(keys);
	/* No flow left: every stats slot is free (a slot is zeroed when given out). */
	if (fp->slots)
		slots_reset(fp->slots);
	return deleted;
}

/*
 * Adopt mode (--redis): the flows an earlier daemon left keep the stats
 * slots they name; take those out of the free stack so a new flow never
 * shares one.  A flow naming a slot out of range or already taken is
 * deleted (daemon/ha/'s reconcile writes it again with a slot of its own).
 * Returns the flows kept, or -errno.
 */
int
fp_slots_adopt(struct fp *fp)
{
	struct fp_slots *s = fp->slots;
	struct xr_flow_key *keys = NULL;
	struct xr_flow v;
	bool *used;
	int n, kept = 0;

	if (!s)
		return 0;
	n = map_keys(fp->flows_fd, sizeof(*keys), (void **)&keys);
	if (n < 0)
		return n;
	used = calloc(s->nslots ? s->nslots : 1, sizeof(*used));
	if (!used) {
		free(keys);
		return -ENOMEM;
	}
	slots_reset(s);
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < n; i++) {
		size_t h;

		if (bpf_map_lookup_elem(fp->flows_fd, &keys[i], &v))
			continue;
		if (v.slot >= s->nslots || used[v.slot]) {
			pthread_mutex_unlock(&s->lock);
			(void)bpf_map_delete_elem(fp->flows_fd, &keys[i]);
			pthread_mutex_lock(&s->lock);
			continue;
		}
		used[v.slot] = true;
		for (h = slot_hash(s, &keys[i]); s->tab[h].slot1; h = (h + 1) & s->mask)
			;
		s->tab[h].key = keys[i];
		s->tab[h].slot1 = v.slot + 1;
		kept++;
	}
	s->nfree = s->nclean = 0;
	for (uint32_t i = s->nslots; i-- > 0;)
		if (!used[i])
			s->free[s->nfree++] = i;
	pthread_mutex_unlock(&s->lock);
	free(used);
	free(keys);
	return kept;
}

int
fp_flows_keys(struct fp *fp, struct xr_flow_key **keys)
{
	*keys = NULL;
	return map_keys(fp->flows_fd, sizeof(**keys), (void **)keys);
}

int
fp_flows_count(struct fp *fp)
{
	struct xr_flow_key cur, next;
	const void *prev = NULL;
	int n = 0, err;

	for (;;) {
		err = bpf_map_get_next_key(fp->flows_fd, prev, &next);
		if (err == -ENOENT)
			return n;
		if (err < 0)
			return err;
		n++;
		cur = next;
		prev = &cur;
	}
}

int
fp_ban_key_make(struct xr_ban_key *k, const union xr_sa *prefix, int plen)
{
	uint16_t port;
	uint8_t fam;
	int bits;

	memset(k, 0, sizeof(*k));
	if (prefix->sa.sa_family == AF_INET && plen >= 0 && plen <= 32)
		bits = plen + 96;
	else if (prefix->sa.sa_family == AF_INET6 && plen >= 0 && plen <= 128)
		bits = plen;
	else
		return -EINVAL;
	xr_sa_to_map(prefix, k->addr, &port, &fam);
	k->prefixlen = (uint32_t)bits;
	for (int i = 0; i < 16; i++) {
		int keep = bits - i * 8;

		if (keep <= 0)
			k->addr[i] = 0;
		else if (keep < 8)
			k->addr[i] &= (uint8_t)(0xff << (8 - keep));
	}
	return 0;
}

int
fp_ban_put(struct fp *fp, const struct xr_ban_key *k, const struct xr_ban *v)
{
	int err = bpf_map_update_elem(fp->bans_fd, k, v, BPF_ANY);

	return err < 0 ? err : 0;
}

int
fp_ban_del(struct fp *fp, const struct xr_ban_key *k)
{
	int err = bpf_map_delete_elem(fp->bans_fd, k);

	return err < 0 ? err : 0;
}

int
fp_bans_walk(struct fp *fp, void (*cb)(const struct xr_ban_key *k, const struct xr_ban *v,
				       void *arg), void *arg)
{
	struct xr_ban_key *keys = NULL;
	int n = map_keys(fp->bans_fd, sizeof(*keys), (void **)&keys);

	for (int i = 0; i < n; i++) {
		struct xr_ban v;

		if (bpf_map_lookup_elem(fp->bans_fd, &keys[i], &v) == 0)
			cb(&keys[i], &v, arg);
	}
	free(keys);
	return n;
}
