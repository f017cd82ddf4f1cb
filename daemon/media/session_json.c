// SPDX-License-Identifier: GPL-2.0
/*
 * session_json.c - the JSON views of the media sessions (media.h): `flows`,
 * `call show`'s per-session flows, `status`/`stats` numbers, and the few
 * queries the control commands and the SIP side make (relay address,
 * touch, owner).  Reads the tables of session.c under RCU.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "fastpath/fastpath.h"
#include "media/relay.h"
#include "media/session_internal.h"

/* ---- JSON --------------------------------------------------------------- */

static json_t *
json_sa(const union xr_sa *sa)
{
	char b[XR_SA_STRLEN];

	if (!sa || !sa->sa.sa_family)
		return json_null();
	return json_string(xr_sa_str(sa, b, sizeof(b)));
}

static json_int_t
ms_ago(uint64_t now, uint64_t t)
{
	return t ? (json_int_t)((now > t ? now - t : 0) / 1000000) : -1;
}

/* Snapshot of one leg taken under the session lock. */
struct leg_snap {
	union xr_sa	local, remote, latched, dst;
	bool		known, fwd;
	enum media_dir	dir;
};

static json_t *
leg_row(struct media_session *s, struct media_leg *leg, const struct leg_snap *sn, uint64_t now)
{
	struct media_leg_stats st = {
		.rx_packets = __atomic_load_n(&leg->st.rx_packets, __ATOMIC_RELAXED),
		.rx_bytes = __atomic_load_n(&leg->st.rx_bytes, __ATOMIC_RELAXED),
		.fwd_packets = __atomic_load_n(&leg->st.fwd_packets, __ATOMIC_RELAXED),
		.fwd_bytes = __atomic_load_n(&leg->st.fwd_bytes, __ATOMIC_RELAXED),
		.drop_source = __atomic_load_n(&leg->st.drop_source, __ATOMIC_RELAXED),
		.drop_no_dest = __atomic_load_n(&leg->st.drop_no_dest, __ATOMIC_RELAXED),
		.drop_other = __atomic_load_n(&leg->st.drop_other, __ATOMIC_RELAXED),
		.drop_early = __atomic_load_n(&leg->st.drop_early, __ATOMIC_RELAXED),
		.last_ns = __atomic_load_n(&leg->st.last_ns, __ATOMIC_RELAXED),
	};
	json_t *kern = json_null();
	struct xr_flow_stats ks;

	/* The kernel stamps with CLOCK_MONOTONIC_COARSE: its age on that clock. */
	if (media_st.fp && fp_flow_stats(media_st.fp, &leg->key, &ks) == 0)
		kern = json_pack("{s:I, s:I, s:I}", "packets", (json_int_t)ks.packets,
				 "bytes", (json_int_t)ks.bytes,
				 "last_seen_ms_ago", ms_ago(media_kernel_now_ns(),
							    ks.last_seen_ns));
	return json_pack("{s:I, s:s, s:s, s:o, s:o, s:b, s:o, s:o, s:b, s:s, s:o, s:{s:I, s:I,"
			 " s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
			 "session", (json_int_t)s->id,
			 "side", leg->side->id == MEDIA_A ? "A" : "B",
			 "leg", leg->id == MEDIA_RTP ? "rtp" : "rtcp",
			 "local", json_sa(&sn->local),
			 "remote", json_sa(&sn->remote),
			 "latched", sn->latched.sa.sa_family != 0,
			 "source", json_sa(&sn->latched),
			 "dst", sn->known ? json_sa(&sn->dst) : json_null(),
			 "forward", sn->fwd,
			 "direction", media_dir_names[sn->dir],
			 "kernel", kern,
			 "userspace",
			 "packets", (json_int_t)st.fwd_packets,
			 "bytes", (json_int_t)st.fwd_bytes,
			 "rx_packets", (json_int_t)st.rx_packets,
			 "rx_bytes", (json_int_t)st.rx_bytes,
			 "dropped", (json_int_t)(st.drop_source + st.drop_no_dest + st.drop_other +
						 st.drop_early),
			 "dropped_wrong_source", (json_int_t)st.drop_source,
			 "dropped_early", (json_int_t)st.drop_early,
			 "dropped_no_dest", (json_int_t)st.drop_no_dest,
			 "dropped_other", (json_int_t)st.drop_other,
			 "last_seen_ms_ago", ms_ago(now, st.last_ns));
}

static int
cmp_session(const void *a, const void *b)
{
	const struct media_session *x = *(struct media_session *const *)a;
	const struct media_session *y = *(struct media_session *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The rows of one session, in side, leg order; needs the RCU read lock. */
static void
session_rows(json_t *rows, struct media_session *s, uint64_t now)
{
	struct leg_snap sn[2][2];

	pthread_mutex_lock(&s->lock);
	for (int sd = 0; sd < 2; sd++)
		for (int l = 0; l < 2; l++) {
			struct media_leg *leg = &s->side[sd].leg[l];

			sn[sd][l].local = leg->local;
			sn[sd][l].remote = leg->remote;
			sn[sd][l].latched = leg->latched;
			sn[sd][l].dir = s->side[sd].dir;
			sn[sd][l].fwd = media_leg_dst(leg, &sn[sd][l].dst, &sn[sd][l].known);
		}
	pthread_mutex_unlock(&s->lock);
	for (int sd = 0; sd < 2; sd++)
		for (int l = 0; l < 2; l++)
			json_array_append_new(rows, leg_row(s, &s->side[sd].leg[l], &sn[sd][l],
							    now));
}

json_t *
media_flows_json(void)
{
	json_t *rows = json_array();
	struct media_session *s, **v = NULL;
	struct cds_lfht_iter it;
	uint64_t now = media_now_ns();
	size_t n = 0, cap = 0;

	if (!rows || !media_st.by_id)
		return rows;
	rcu_read_lock();
	for_each_session(it, s) {
		if (n == cap) {
			struct media_session **t = realloc(v, (cap = cap ? 2 * cap : 256) *
							   sizeof(*v));
			if (!t) {
				free(v);
				rcu_read_unlock();
				json_decref(rows);
				return NULL;
			}
			v = t;
		}
		v[n++] = s;
	}
	/* Oldest session first (ids only grow), for stable tables. */
	if (n)
		qsort(v, n, sizeof(*v), cmp_session);
	for (size_t i = 0; i < n; i++)
		session_rows(rows, v[i], now);
	rcu_read_unlock();
	free(v);
	return rows;
}

json_t *
media_session_flows_json(uint64_t id)
{
	struct media_session *s;
	json_t *rows = NULL;

	if (!media_st.by_id)
		return NULL;
	rcu_read_lock();
	s = session_find(id);
	if (s) {
		rows = json_array();
		if (rows)
			session_rows(rows, s, media_now_ns());
	}
	rcu_read_unlock();
	return rows;
}

int
media_relay_address(const union xr_sa *party, union xr_sa *out)
{
	int i;

	if (!media_st.inited)
		return -EINVAL;
	i = pick_pool(party);
	if (i < 0)
		return i;
	*out = media_st.addrs[i];
	xr_sa_set_port(out, 0);
	return 0;
}

int
media_session_touch(uint64_t id)
{
	struct media_session *s;
	int rc = -ENOENT;

	rcu_read_lock();
	s = session_find(id);
	if (s) {
		/* Read by the relay thread without a lock: plain atomic stores. */
		__atomic_store_n(&s->created_ns, media_now_ns(), __ATOMIC_RELAXED);
		__atomic_store_n(&s->timeout_reported, false, __ATOMIC_RELEASE);
		rc = 0;
	}
	rcu_read_unlock();
	return rc;
}

int
media_session_set_owner(uint64_t id, uint64_t owner)
{
	struct media_session *s;

	rcu_read_lock();
	s = session_find(id);
	if (s)
		__atomic_store_n(&s->owner, owner, __ATOMIC_RELAXED);
	rcu_read_unlock();
	return s ? 0 : -ENOENT;
}

uint64_t
media_session_owner(uint64_t id)
{
	struct media_session *s;
	uint64_t owner = 0;

	rcu_read_lock();
	s = session_find(id);
	if (s)
		owner = __atomic_load_n(&s->owner, __ATOMIC_RELAXED);
	rcu_read_unlock();
	return owner;
}

json_t *
media_stats_json(void)
{
	struct relay_totals t;
	json_t *o, *addrs;

	relay_get_totals(&t);
	addrs = json_array();
	for (int i = 0; i < media_st.npools; i++) {
		char ip[INET6_ADDRSTRLEN];
		uint16_t lo, hi;
		int used = port_pool_in_use(media_st.pools[i]);

		port_pool_range(media_st.pools[i], &lo, &hi);
		json_array_append_new(addrs, json_pack("{s:s, s:i, s:i, s:i, s:i, s:i}",
			"address", xr_sa_ipstr(&media_st.addrs[i], ip, sizeof(ip)),
			"port_lo", lo, "port_hi", hi,
			"pairs", port_pool_size(media_st.pools[i]),
			"pairs_in_use", used,
			"pairs_free", port_pool_size(media_st.pools[i]) - used));
	}
	o = json_pack("{s:i, s:s, s:b, s:i, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
		      "sessions", media_session_count(),
		      "latch", media_latch_policy_str(media_policy()),
		      "kernel_fastpath", media_st.fp != NULL,
		      "media_timeout", media_timeout_s(),
		      "ports", addrs,
		      "userspace",
		      "rx_packets", (json_int_t)t.rx_packets,
		      "rx_bytes", (json_int_t)t.rx_bytes,
		      "forwarded_packets", (json_int_t)t.fwd_packets,
		      "forwarded_bytes", (json_int_t)t.fwd_bytes,
		      "wrong_source_drops", (json_int_t)t.drop_source,
		      "no_dest_drops", (json_int_t)t.drop_no_dest,
		      "other_drops", (json_int_t)t.drop_other,
		      "early_drops", (json_int_t)t.drop_early,
		      "latches_total", (json_int_t)t.latched);
	return o;
}
