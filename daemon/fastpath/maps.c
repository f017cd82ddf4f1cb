// SPDX-License-Identifier: GPL-2.0
/*
 * maps.c - the flow table (flow.h) as the daemon sees it: the translation of
 * a flow key (relay address, port) into its index in xr_flows, and the
 * entries written and read through the table's mapping (BPF_F_MMAPABLE), so
 * that creating, changing or deleting a session's flows, and reading their
 * counters (xr_flow_pc, per CPU, mapped too, as the entries' sessions in
 * xr_flow_side), are memory accesses, no
 * system call.  Also the outcome counters, the
 * blocklist (bpf syscalls) and its on/off switch in xr_cfg.  Safe from any
 * thread: writers of one entry exclude each other through its sequence
 * counter.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "fastpath/fastpath.h"

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

/* ---- the table: layout and mapping -------------------------------------- */

size_t
fp_table_entries(int naddrs, uint16_t lo, uint16_t hi)
{
	if (naddrs <= 0 || naddrs > XR_CFG_ADDRS || lo > hi || lo == 0)
		return 0;
	return (size_t)naddrs * ((size_t)hi - lo + 1);
}

/* Bytes of an mmapable array of n values of vsz bytes (the kernel's rounding). */
static size_t
map_bytes(size_t n, size_t vsz)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);

	return (n * ((vsz + 7) & ~(size_t)7) + psz - 1) & ~(psz - 1);
}

void
fp_cfg_make(struct xr_cfg *c, const union xr_sa *addrs, int n, uint16_t lo, uint16_t hi)
{
	memset(c, 0, sizeof(*c));
	if (!fp_table_entries(n, lo, hi))
		return;
	c->port_lo = lo;
	c->nports = (uint32_t)hi - lo + 1;
	for (int i = 0; i < n; i++) {
		uint8_t a[16], fam;
		uint16_t port;

		xr_sa_to_map(&addrs[i], a, &port, &fam);
		if (fam == XR_FAM_IPV4) {
			uint32_t v, s;

			memcpy(&v, &a[12], 4);	/* as the program loads it */
			s = XR_CFG_H4_SLOT(v);
			while (c->h4[s].addr)	/* at most n < XR_CFG_H4 taken */
				s = (s + 1) % XR_CFG_H4;
			c->h4[s].addr = v;
			c->h4[s].row = (uint32_t)i * c->nports;
			c->n4++;
		} else {
			memcpy(c->a6[c->n6], a, 16);
			c->r6[c->n6++] = (uint32_t)i * c->nports;
		}
	}
}

bool
fp_cfg_same(const struct xr_cfg *a, const struct xr_cfg *b)
{
	struct xr_cfg x = *a, y = *b;

	x.bans = y.bans = 0;
	x.nh_epoch = y.nh_epoch = 0;
	x.jiffy_ns = y.jiffy_ns = 0;
	x.jiffy_base = y.jiffy_base = 0;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

void
fp_table_free(struct fp *fp)
{
	if (fp->tab)
		munmap(fp->tab, fp->tab_bytes);
	if (fp->side)
		munmap(fp->side, fp->side_bytes);
	if (fp->pc)
		munmap(fp->pc, fp->pc_bytes);
	if (fp->cfgm)
		munmap(fp->cfgm, map_bytes(1, sizeof(struct xr_cfg)));
	fp->tab = NULL;
	fp->side = NULL;
	fp->pc = NULL;
	fp->cfgm = NULL;
	fp->tab_bytes = fp->side_bytes = fp->pc_bytes = 0;
	fp->pc_stride = 0;
	fp->nents = 0;
	fp->naddrs = 0;
	fp->nports = 0;
}

int
fp_table_layout(struct fp *fp, const union xr_sa *addrs, int n, uint16_t lo, uint16_t hi)
{
	size_t nents = fp_table_entries(n, lo, hi);

	if (!nents)
		return -EINVAL;
	fp->nents = (unsigned)nents;
	fp->naddrs = n;
	fp->port_lo = lo;
	fp->nports = (unsigned)hi - lo + 1;
	for (int i = 0; i < n; i++) {
		uint16_t port;

		xr_sa_to_map(&addrs[i], fp->addr[i], &port, &fp->fam[i]);
	}
	return 0;
}

/*
 * Map the mmapable array fd of values of vsz bytes, which must hold exactly
 * n of them, or at least n when !exact (*n then says how many).  The
 * mapping, its length in *bytes; NULL with errno set.
 */
static void *
array_map(int fd, size_t vsz, size_t *n, bool exact, size_t *bytes)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	void *m;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return NULL;
	if (info.value_size != vsz || !(info.map_flags & BPF_F_MMAPABLE) ||
	    (exact ? info.max_entries != *n : info.max_entries < *n)) {
		errno = EINVAL;
		return NULL;
	}
	*n = info.max_entries;
	*bytes = map_bytes(info.max_entries, info.value_size);
	m = mmap(NULL, *bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return m == MAP_FAILED ? NULL : m;
}

/*
 * The daemon's half of the table: map xr_flows, xr_flow_side, xr_flow_pc
 * and xr_cfg (flows_fd, side_fd, pc_fd and cfg_fd must be set, and ncpus),
 * remember which address is which row, and tell the program (xr_cfg; its
 * bans switch is left as it is).  The table must hold n x (hi - lo + 1)
 * entries, the side array as many as the table, xr_flow_pc ncpus times
 * that; the loader sized them so.  0 or -errno.
 */
int
fp_table_init(struct fp *fp, const union xr_sa *addrs, int n, uint16_t lo, uint16_t hi)
{
	size_t nents = fp_table_entries(n, lo, hi), stride, npc, one = 1, cfg_bytes;
	struct xr_cfg c;
	int err;

	fp_table_free(fp);
	if (!nents)
		return -EINVAL;
	if (fp->ncpus <= 0)
		return -EINVAL;
	stride = nents;
	fp->tab = array_map(fp->flows_fd, sizeof(*fp->tab), &stride, false, &fp->tab_bytes);
	if (!fp->tab)
		goto fail;
	npc = stride;
	fp->side = array_map(fp->side_fd, sizeof(*fp->side), &npc, true, &fp->side_bytes);
	if (!fp->side)
		goto fail;
	npc = stride * (size_t)fp->ncpus;
	fp->pc = array_map(fp->pc_fd, sizeof(*fp->pc), &npc, true, &fp->pc_bytes);
	if (!fp->pc)
		goto fail;
	fp->pc_stride = stride;
	fp->cfgm = array_map(fp->cfg_fd, sizeof(*fp->cfgm), &one, true, &cfg_bytes);
	if (!fp->cfgm)
		goto fail;
	fp_table_layout(fp, addrs, n, lo, hi);
	fp_cfg_make(&c, addrs, n, lo, hi);
	c.bans = __atomic_load_n(&fp->cfgm->bans, __ATOMIC_RELAXED);
	c.jiffy_ns = fp->jiffy_ns;
	c.jiffy_base = fp->jiffy_base;
	/* A new daemon knows nothing of the routes before it: caches start afresh. */
	c.nh_epoch = __atomic_load_n(&fp->cfgm->nh_epoch, __ATOMIC_RELAXED) + 1;
	/*
	 * The table is in place before the program learns the addresses; in
	 * adopt mode the content is the same as what is there (checked by the
	 * loader), so a packet reading it meanwhile reads the same bytes.
	 */
	memcpy(fp->cfgm, &c, sizeof(c));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return 0;
fail:
	err = -errno;
	fp_table_free(fp);
	return err;
}

void
fp_nh_epoch_bump(struct fp *fp)
{
	if (fp->cfgm)
		__atomic_fetch_add(&fp->cfgm->nh_epoch, 1u, __ATOMIC_RELEASE);
}

/*
 * One sample of both clocks (struct xr_clock) from the xr_clock program,
 * which writes them into the frame it is run on.
 */
static int
clock_sample(int clock_fd, struct xr_clock *c)
{
	uint8_t frame[64] = { 0 };	/* ETH_ZLEN and more: a frame test_run takes */
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = sizeof(frame),
		    .data_out = frame, .data_size_out = sizeof(frame), .repeat = 1);

	if (bpf_prog_test_run_opts(clock_fd, &o) < 0)
		return -errno;
	if (o.retval != XDP_PASS || o.data_size_out < sizeof(*c))
		return -EPROTO;
	memcpy(c, frame, sizeof(*c));
	return 0;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
fp_clock_calibrate(struct fp *fp, int clock_fd)
{
	/* The kernel's CONFIG_HZ choices; TICK_NSEC is (1e9 + HZ / 2) / HZ. */
	static const uint32_t hz[] = { 100, 250, 300, 1000 };
	struct xr_clock a, b;
	uint64_t base[5], dj, best = 0;
	double per, err, best_err = 1e18;
	int rc;

	if (clock_fd < 0)
		return -EBADF;
	rc = clock_sample(clock_fd, &a);
	for (int i = 0; !rc && i < 100; i++) {
		usleep(1000);
		rc = clock_sample(clock_fd, &b);
		if (!rc && b.jiffies - a.jiffies >= 2)
			break;
	}
	if (rc)
		return rc;
	dj = b.jiffies - a.jiffies;
	if (dj < 2 || b.coarse_ns <= a.coarse_ns)
		return -ETIME;
	per = (double)(b.coarse_ns - a.coarse_ns) / (double)dj;
	for (size_t i = 0; i < sizeof(hz) / sizeof(hz[0]); i++) {
		uint64_t tick = (1000000000ull + hz[i] / 2) / hz[i];

		err = per > (double)tick ? per - (double)tick : (double)tick - per;
		if (err < best_err) {
			best_err = err;
			best = tick;
		}
	}
	if (best_err > (double)best / 4)	/* no HZ the kernel can have */
		return -ERANGE;
	/* A tick between the program's two reads moves one sample's base by a tick. */
	for (int i = 0; i < 5; i++) {
		rc = clock_sample(clock_fd, &b);
		if (rc)
			return rc;
		base[i] = b.coarse_ns - b.jiffies * best;
	}
	qsort(base, 5, sizeof(base[0]), u64_cmp);
	fp->jiffy_base = base[2];
	fp->jiffy_ns = (uint32_t)best;
	if (fp->cfgm) {
		__atomic_store_n(&fp->cfgm->jiffy_base, fp->jiffy_base, __ATOMIC_RELAXED);
		__atomic_store_n(&fp->cfgm->jiffy_ns, fp->jiffy_ns, __ATOMIC_RELEASE);
	}
	return 0;
}

uint32_t
fp_nh_epoch(const struct fp *fp)
{
	return fp->cfgm ? __atomic_load_n(&fp->cfgm->nh_epoch, __ATOMIC_ACQUIRE) : 0;
}

long
fp_flow_index(const struct fp *fp, const struct xr_flow_key *k)
{
	unsigned off = (unsigned)ntohs(k->port) - fp->port_lo;

	if (!fp->tab || off >= fp->nports)
		return -ERANGE;
	for (int i = 0; i < fp->naddrs; i++)
		if (fp->fam[i] == k->family && memcmp(fp->addr[i], k->addr, 16) == 0)
			return (long)i * fp->nports + off;
	return -ERANGE;
}

/* The key of entry idx (the inverse of fp_flow_index()). */
static void
index_key(const struct fp *fp, size_t idx, struct xr_flow_key *k)
{
	size_t ai = idx / fp->nports;

	memset(k, 0, sizeof(*k));
	memcpy(k->addr, fp->addr[ai], 16);
	k->family = fp->fam[ai];
	k->port = htons((uint16_t)(fp->port_lo + idx % fp->nports));
}

/* ---- entries: the writer's side of the sequence counter ----------------- */

/*
 * Begin a write of entry e: seq from even to odd with a compare-and-swap
 * (spinning while another writer holds it), then a release fence, so that
 * no store of the write becomes visible before seq is odd.  Returns the odd
 * value for ent_end().
 *
 * Writers: the daemon's session code writes a session's entries under that
 * session's lock (media/session.c: media_flows_write() and flows_delete()
 * with s->lock held), and a port, so an entry, belongs to one session at a
 * time (ports.c gives it back only after the session's flows are deleted).
 * Start-up (flush, reconcile) runs before SIP and the control socket.  So
 * two writers of one entry do not meet in practice; the CAS makes that a
 * guarantee instead of an assumption, for the cost of one locked
 * instruction on a line the write dirties anyway.
 *
 * Why readers see either a whole write or an odd/changed seq: x86 is TSO,
 * stores become visible in program order, so the fences are compiler
 * barriers only and cost nothing; the CAS is a locked instruction.  On
 * weakly ordered CPUs the release fence (DMB ISHST-class) after the CAS and
 * the release store of the final seq order the entry's stores between the
 * two seq stores, as write_seqcount_begin()/end() do with smp_wmb(); the
 * program's side (bpf/xrelay.bpf.c xr_rmb()) orders its loads.
 */
static uint32_t
ent_begin(struct xr_flow_ent *e)
{
	uint32_t s = __atomic_load_n(&e->fwd.seq, __ATOMIC_RELAXED);

	for (;;) {
		if (!(s & 1) && __atomic_compare_exchange_n(&e->fwd.seq, &s, s + 1, false,
							     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			break;
		if (s & 1) {
			sched_yield();
			s = __atomic_load_n(&e->fwd.seq, __ATOMIC_RELAXED);
		}
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return s + 1;
}

/* End the write begun by ent_begin(): seq even again, after every store. */
static void
ent_end(struct xr_flow_ent *e, uint32_t odd)
{
	__atomic_store_n(&e->fwd.seq, odd + 1, __ATOMIC_RELEASE);
}

/* An address family of struct xr_flow as the entry's flag bits (flow.h). */
static unsigned
fam_flags(uint8_t fam, unsigned v4, unsigned v6)
{
	return fam == XR_FAM_IPV4 ? v4 : fam == XR_FAM_IPV6 ? v6 : 0;
}

/* And back. */
static uint8_t
flags_fam(unsigned flags, unsigned v4, unsigned v6)
{
	return (flags & v4) ? XR_FAM_IPV4 : (flags & v6) ? XR_FAM_IPV6 : 0;
}

/* Line 0 of an entry from a flow; gen and seq are the caller's. */
static void
fwd_from_flow(struct xr_flow_fwd *f, const struct xr_flow *v)
{
	f->flags = (uint8_t)((v->flags & (XR_FLOW_F_LATCHED | XR_FLOW_F_FORWARD | XR_FLOW_F_RTCP)) |
			     fam_flags(v->peer_family, XR_FLOW_F_PEER4, XR_FLOW_F_PEER6) |
			     fam_flags(v->out_family, XR_FLOW_F_OUT4, XR_FLOW_F_OUT6) |
			     XR_FLOW_F_ACTIVE);
	f->ttl = v->ttl;
	f->peer_port = v->peer_port;
	f->src_port = v->src_port;
	f->dst_port = v->dst_port;
	memcpy(f->peer_addr, v->peer_addr, 16);
	memcpy(f->src_addr, v->src_addr, 16);
	memcpy(f->dst_addr, v->dst_addr, 16);
}

/* Entry idx's everything but seq, and its side, back to zero (ent_begin() held). */
static void
ent_clear(struct fp *fp, size_t idx)
{
	struct xr_flow_ent *e = &fp->tab[idx];

	memset((char *)e + sizeof(e->fwd.seq), 0, sizeof(*e) - sizeof(e->fwd.seq));
	memset(&fp->side[idx], 0, sizeof(fp->side[idx]));
}

/*
 * A new flow starts with zero counters and rate window: it gets a new
 * generation (gen, the seq this write ends with), so that the program
 * restarts each CPU's slot at its first packet and readers skip the slots
 * of earlier flows (a packet of the previous flow still in flight counts
 * into them); a replaced one keeps its gen, so its counters.  Either way seq changes, so the program's cached next hop for the
 * previous contents is not used again.  -ERANGE for a key outside the
 * table (not one of the --media addresses, or a port outside --ports).
 */
int
fp_flow_put(struct fp *fp, const struct xr_flow_key *k, const struct xr_flow *v)
{
	long idx = fp_flow_index(fp, k);
	struct xr_flow_ent *e;
	uint32_t odd;

	if (idx < 0)
		return (int)idx;
	e = &fp->tab[idx];
	odd = ent_begin(e);
	if (!(e->fwd.flags & XR_FLOW_F_ACTIVE)) {
		/* never 0 (what a slot never written says), even if seq wrapped */
		__atomic_store_n(&e->fwd.gen, odd + 1 ? odd + 1 : 2, __ATOMIC_RELAXED);
		__atomic_store_n(&fp->side[idx].rl, 0, __ATOMIC_RELAXED);
	}
	fp->side[idx].session_id = v->session_id;
	fwd_from_flow(&e->fwd, v);
	ent_end(e, odd);
	return 0;
}

/* The flow goes: its entry no longer ACTIVE (counters kept until the next flow). */
int
fp_flow_del(struct fp *fp, const struct xr_flow_key *k)
{
	long idx = fp_flow_index(fp, k);
	struct xr_flow_ent *e;
	uint32_t odd;
	int rc = 0;

	if (idx < 0)
		return -ENOENT;
	e = &fp->tab[idx];
	odd = ent_begin(e);
	if (e->fwd.flags & XR_FLOW_F_ACTIVE) {
		uint32_t gen = e->fwd.gen;	/* the counters stay readable */

		memset((char *)&e->fwd + sizeof(e->fwd.seq), 0,
		       sizeof(e->fwd) - sizeof(e->fwd.seq));
		e->fwd.gen = gen;
		fp->side[idx].session_id = 0;
	} else {
		rc = -ENOENT;
	}
	ent_end(e, odd);
	return rc;
}

/*
 * A consistent copy of entry idx's flow and session (the reader's side, as
 * the program's): 0, or -ENOENT when it holds none.
 */
static int
ent_read(const struct fp *fp, size_t idx, struct xr_flow *v)
{
	const struct xr_flow_ent *e = &fp->tab[idx];

	for (;;) {
		uint32_t s = __atomic_load_n(&e->fwd.seq, __ATOMIC_ACQUIRE);
		struct xr_flow_fwd f;
		uint64_t sid;

		if (s & 1) {
			sched_yield();
			continue;
		}
		memcpy(&f, &e->fwd, sizeof(f));
		sid = fp->side[idx].session_id;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&e->fwd.seq, __ATOMIC_RELAXED) != s)
			continue;
		if (!(f.flags & XR_FLOW_F_ACTIVE))
			return -ENOENT;
		memset(v, 0, sizeof(*v));
		v->session_id = sid;
		v->flags = f.flags & (XR_FLOW_F_LATCHED | XR_FLOW_F_FORWARD | XR_FLOW_F_RTCP);
		v->peer_family = flags_fam(f.flags, XR_FLOW_F_PEER4, XR_FLOW_F_PEER6);
		v->out_family = flags_fam(f.flags, XR_FLOW_F_OUT4, XR_FLOW_F_OUT6);
		v->ttl = f.ttl;
		v->peer_port = f.peer_port;
		v->src_port = f.src_port;
		v->dst_port = f.dst_port;
		memcpy(v->peer_addr, f.peer_addr, 16);
		memcpy(v->src_addr, f.src_addr, 16);
		memcpy(v->dst_addr, f.dst_addr, 16);
		return 0;
	}
}

int
fp_flow_get(struct fp *fp, const struct xr_flow_key *k, struct xr_flow *v)
{
	long idx = fp_flow_index(fp, k);

	if (idx < 0)
		return -ENOENT;
	return ent_read(fp, (size_t)idx, v);
}

/*
 * Entry idx's counters (flow.h struct xr_flow_pc): the sum of the CPUs'
 * slots of the entry's generation, the latest last-seen time.  A slot is
 * read gen, counts, gen: one whose gen changed meanwhile was just restarted
 * by its CPU for another flow (the entry's gen moved on) and is skipped, as
 * one of another gen is.  A slot's packets and bytes may be one packet
 * apart while its CPU adds one; each only grows.
 */
void
fp_ent_stats(const struct fp *fp, size_t idx, struct xr_flow_stats *st)
{
	uint32_t gen = __atomic_load_n(&fp->tab[idx].fwd.gen, __ATOMIC_ACQUIRE);

	memset(st, 0, sizeof(*st));
	if (!fp->pc || idx >= fp->pc_stride || !gen)
		return;
	for (int c = 0; c < fp->ncpus; c++) {
		const struct xr_flow_pc *s = &fp->pc[(size_t)c * fp->pc_stride + idx];
		uint64_t p, b, l;

		if (__atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) != gen)
			continue;
		p = __atomic_load_n(&s->packets, __ATOMIC_RELAXED);
		b = __atomic_load_n(&s->bytes, __ATOMIC_RELAXED);
		l = __atomic_load_n(&s->last_seen_ns, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->gen, __ATOMIC_RELAXED) != gen)
			continue;
		st->packets += p;
		st->bytes += b;
		if (l > st->last_seen_ns)
			st->last_seen_ns = l;
	}
}

/*
 * Set CPU cpu's slot of entry idx to these counts of the entry's current
 * generation, as the program would have counted them (tests, and a
 * restored flow's history).  Not while the program may count into it.
 */
void
fp_ent_set_stats(struct fp *fp, size_t idx, int cpu, const struct xr_flow_stats *st)
{
	struct xr_flow_pc *s;

	if (!fp->pc || idx >= fp->pc_stride || cpu < 0 || cpu >= fp->ncpus)
		return;
	s = &fp->pc[(size_t)cpu * fp->pc_stride + idx];
	__atomic_store_n(&s->packets, st->packets, __ATOMIC_RELAXED);
	__atomic_store_n(&s->bytes, st->bytes, __ATOMIC_RELAXED);
	__atomic_store_n(&s->last_seen_ns, st->last_seen_ns, __ATOMIC_RELAXED);
	__atomic_store_n(&s->gen, __atomic_load_n(&fp->tab[idx].fwd.gen, __ATOMIC_RELAXED),
			 __ATOMIC_RELEASE);
}

/*
 * Straight from the mappings: the entry's generation, then each CPU's slot
 * of it.  A flow being replaced keeps them.
 */
int
fp_flow_stats(struct fp *fp, const struct xr_flow_key *k, struct xr_flow_stats *sum)
{
	long idx = fp_flow_index(fp, k);

	memset(sum, 0, sizeof(*sum));
	if (idx < 0 || !(__atomic_load_n(&fp->tab[idx].fwd.flags, __ATOMIC_ACQUIRE) &
			 XR_FLOW_F_ACTIVE))
		return -ENOENT;
	fp_ent_stats(fp, (size_t)idx, sum);
	return 0;
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
 * Clear every entry an earlier daemon wrote (start-up without adoption, and
 * close): the table is pinned, so it may hold the flows of a daemon that
 * died.  An entry never written has seq 0 and nothing else (the program
 * writes only entries holding a flow), and is skipped.  The others are
 * cleared as a write, under their sequence counter, not by a bare memset of
 * the mapping: a program attached through a link pinned by an earlier
 * daemon may still be reading them, and seq must keep growing so that no
 * cached next hop of theirs matches a later flow.  Returns the flows removed.
 */
int
fp_flows_flush(struct fp *fp)
{
	int n = 0;

	if (!fp->tab)
		return 0;
	for (size_t i = 0; i < fp->nents; i++) {
		struct xr_flow_ent *e = &fp->tab[i];
		uint32_t odd;

		if (!__atomic_load_n(&e->fwd.seq, __ATOMIC_RELAXED))
			continue;
		odd = ent_begin(e);
		if (e->fwd.flags & XR_FLOW_F_ACTIVE)
			n++;
		ent_clear(fp, i);
		ent_end(e, odd);
	}
	return n;
}

int
fp_flows_keys(struct fp *fp, struct xr_flow_key **keys)
{
	size_t n = 0, cap = 0;
	struct xr_flow_key *k = NULL, *tmp;

	*keys = NULL;
	for (size_t i = 0; fp->tab && i < fp->nents; i++) {
		if (!(__atomic_load_n(&fp->tab[i].fwd.flags, __ATOMIC_RELAXED) & XR_FLOW_F_ACTIVE))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(k, cap * sizeof(*k));
			if (!tmp) {
				free(k);
				return -ENOMEM;
			}
			k = tmp;
		}
		index_key(fp, i, &k[n++]);
	}
	*keys = k;
	return (int)n;
}

int
fp_flows_count(struct fp *fp)
{
	int n = 0;

	for (size_t i = 0; fp->tab && i < fp->nents; i++)
		if (__atomic_load_n(&fp->tab[i].fwd.flags, __ATOMIC_RELAXED) & XR_FLOW_F_ACTIVE)
			n++;
	return n;
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

/*
 * The program looks a source up in xr_bans only while xr_cfg.bans is set:
 * even an empty LPM trie costs a helper call a packet.  Set after a ban is
 * written (a packet in between is checked a moment later, as if the ban
 * came a moment later), cleared only when a delete left the trie empty.
 * One lock over the change and the switch: a put racing a delete of the
 * last ban must not end with a ban in the trie and the switch off.
 */
static pthread_mutex_t fp_bans_lock = PTHREAD_MUTEX_INITIALIZER;

static void
bans_switch_locked(struct fp *fp)
{
	struct xr_ban_key next;
	bool any = bpf_map_get_next_key(fp->bans_fd, NULL, &next) == 0;

	if (fp->cfgm)
		__atomic_store_n(&fp->cfgm->bans, any ? 1u : 0u, __ATOMIC_RELEASE);
}

void
fp_bans_sync(struct fp *fp)
{
	pthread_mutex_lock(&fp_bans_lock);
	bans_switch_locked(fp);
	pthread_mutex_unlock(&fp_bans_lock);
}

int
fp_ban_put(struct fp *fp, const struct xr_ban_key *k, const struct xr_ban *v)
{
	int err;

	pthread_mutex_lock(&fp_bans_lock);
	err = bpf_map_update_elem(fp->bans_fd, k, v, BPF_ANY);
	if (err == 0 && fp->cfgm)
		__atomic_store_n(&fp->cfgm->bans, 1u, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&fp_bans_lock);
	return err < 0 ? err : 0;
}

int
fp_ban_del(struct fp *fp, const struct xr_ban_key *k)
{
	int err;

	pthread_mutex_lock(&fp_bans_lock);
	err = bpf_map_delete_elem(fp->bans_fd, k);
	if (err == 0)
		bans_switch_locked(fp);
	pthread_mutex_unlock(&fp_bans_lock);
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
