// SPDX-License-Identifier: GPL-2.0
/*
 * maps.c - encoding of fast-path map entries (flow.h) and the bpf syscalls
 * that write flows and read per-flow stats and counters.  Owns no state:
 * every call works on the map fds of a struct fp (loader.c opens them).
 * Plain bpf syscalls, safe from any thread; no RCU needed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "fastpath/fastpath.h"

/* Size of one CPU's slot in a per-CPU map value buffer (the kernel rounds to 8). */
#define FP_PERCPU_SLOT(sz)	(((sz) + 7) & ~(size_t)7)

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

/* Generations of flow entries (xr_flow.gen): 0 is never used. */
static uint32_t fp_gen;

/*
 * The stats entry goes in first (BPF never inserts it), then the flow: a
 * packet that hits the new flow always finds stats to count into.  Every
 * write gets a new generation, so the program's cached next hop for the
 * entry's previous contents is not used again.
 */
int
fp_flow_put(struct fp *fp, const struct xr_flow_key *k, const struct xr_flow *v0)
{
	size_t slot = FP_PERCPU_SLOT(sizeof(struct xr_flow_stats));
	struct xr_flow vv = *v0, *v = &vv;
	bool created;
	void *zero;
	int err;

	do
		vv.gen = __atomic_add_fetch(&fp_gen, 1, __ATOMIC_RELAXED);
	while (vv.gen == 0);

	if (fp->ncpus <= 0)
		return -EINVAL;
	zero = calloc((size_t)fp->ncpus, slot);
	if (!zero)
		return -ENOMEM;
	err = bpf_map_update_elem(fp->stats_fd, k, zero, BPF_NOEXIST);
	free(zero);
	if (err < 0 && err != -EEXIST)
		return err;
	created = err == 0;
	err = bpf_map_update_elem(fp->flows_fd, k, v, BPF_ANY);
	if (err < 0) {
		if (created)		/* leave nothing behind (map full, ...) */
			bpf_map_delete_elem(fp->stats_fd, k);
		return err;
	}
	return 0;
}

/* The flow goes first so that no packet is forwarded uncounted. */
int
fp_flow_del(struct fp *fp, const struct xr_flow_key *k)
{
	int err, serr;

	err = bpf_map_delete_elem(fp->flows_fd, k);
	serr = bpf_map_delete_elem(fp->stats_fd, k);
	if (err < 0)
		return err;
	return serr < 0 && serr != -ENOENT ? serr : 0;
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
	int err, i;

	memset(sum, 0, sizeof(*sum));
	if (fp->ncpus <= 0)
		return -EINVAL;
	buf = calloc((size_t)fp->ncpus, slot);
	if (!buf)
		return -ENOMEM;
	err = bpf_map_lookup_elem(fp->stats_fd, k, buf);
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
	struct xr_flow_key *keys = NULL, next;
	int n, deleted = 0;

	n = map_keys(fp->flows_fd, sizeof(*keys), (void **)&keys);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (fp_flow_del(fp, &keys[i]) == 0)
			deleted++;
	free(keys);
	/* Stats without a flow (a put that failed half-way) go too. */
	while (bpf_map_get_next_key(fp->stats_fd, NULL, &next) == 0) {
		if (bpf_map_delete_elem(fp->stats_fd, &next) < 0)
			break;
	}
	return deleted;
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
