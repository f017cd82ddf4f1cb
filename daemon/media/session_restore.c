// SPDX-License-Identifier: GPL-2.0
/*
 * session_restore.c - a restarted daemon takes its media sessions back
 * (media.h: media_session_restore, media_flows_reconcile): the same ids and
 * relay ports, the saved remotes, latches and directions, and kernel flows
 * made to match exactly the sessions it has.  Where the saved copies come
 * from (Redis) is daemon/ha/'s business.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "fastpath/fastpath.h"
#include "media/session_internal.h"

/* Index of the --media address whose IP is that of local, or -EINVAL. */
static int
pool_of_local(const union xr_sa *local)
{
	for (int i = 0; i < media_st.npools; i++)
		if (xr_sa_ip_eq(&media_st.addrs[i], local))
			return i;
	return -EINVAL;
}

/* Copy the saved state of side sd into s (ports bound, side_setup() done). */
static void
side_restore(struct media_session *s, enum media_side_id sd, const struct media_side_info *in)
{
	struct media_side *x = &s->side[sd];

	if (in->remote_rtcp.sa.sa_family)
		x->leg[MEDIA_RTCP].remote = in->remote_rtcp;
	x->leg[MEDIA_RTP].latched = in->latched_rtp;
	x->leg[MEDIA_RTCP].latched = in->latched_rtcp;
	x->dir = in->dir;
}

int
media_session_restore(const struct media_session_info *in)
{
	struct media_session *s;
	int pool[2], err;
	uint64_t next;

	if (!media_st.inited)
		return -EINVAL;
	rcu_read_lock();
	s = session_find(in->id);
	rcu_read_unlock();
	if (s)
		return -EEXIST;
	for (int sd = 0; sd < 2; sd++) {
		pool[sd] = pool_of_local(&in->side[sd].local_rtp);
		if (pool[sd] < 0 || in->side[sd].dir > MEDIA_INACTIVE)
			return -EINVAL;
	}
	s = session_alloc();
	if (!s)
		return -ENOMEM;
	s->side[0].pair.fd[0] = s->side[0].pair.fd[1] = -1;
	s->side[1].pair.fd[0] = s->side[1].pair.fd[1] = -1;
	err = port_pool_alloc_at(media_st.pools[pool[0]], xr_sa_port(&in->side[0].local_rtp),
				 &s->side[MEDIA_A].pair);
	if (err)
		goto out_free;
	err = port_pool_alloc_at(media_st.pools[pool[1]], xr_sa_port(&in->side[1].local_rtp),
				 &s->side[MEDIA_B].pair);
	if (err)
		goto out_ports;
	pthread_mutex_init(&s->lock, NULL);
	s->id = in->id;
	s->created_ms = in->created_ms;
	s->created_ns = media_now_ns();	/* the silence clock starts again */
	cds_lfht_node_init(&s->id_node);
	for (int sd = 0; sd < 2; sd++) {
		side_setup(s, (enum media_side_id)sd, pool[sd], &in->side[sd].remote_rtp);
		side_restore(s, (enum media_side_id)sd, &in->side[sd]);
	}
	/* counted without --max-media-sessions: what ran before is kept */
	__atomic_fetch_add(&media_st.nsessions, 1, __ATOMIC_RELAXED);
	session_insert(s);
	/* New sessions must not take a restored id. */
	next = __atomic_load_n(&media_st.next_id, __ATOMIC_RELAXED);
	while (next <= in->id &&
	       !__atomic_compare_exchange_n(&media_st.next_id, &next, in->id + 1, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	media_debug("session %llu restored", (unsigned long long)in->id);
	return 0;

out_ports:
	port_pair_put(media_st.pools[pool[0]], &s->side[MEDIA_A].pair);
out_free:
	session_release(s);
	return err;
}

/* Does a live session own kernel flow k (its value names session sid)?  RCU read side. */
static bool
flow_owned(const struct xr_flow_key *k, uint64_t sid)
{
	struct media_session *s = session_find(sid);

	if (!s)
		return false;
	for (int sd = 0; sd < 2; sd++)
		for (int l = 0; l < 2; l++)
			if (memcmp(&s->side[sd].leg[l].key, k, sizeof(*k)) == 0)
				return true;
	return false;
}

int
media_flows_reconcile(void)
{
	struct xr_flow_key *keys;
	struct xr_flow v;
	int n, deleted = 0;

	if (!media_st.fp)
		return 0;
	n = fp_flows_keys(media_st.fp, &keys);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		bool keep;

		if (fp_flow_get(media_st.fp, &keys[i], &v) < 0)
			continue;
		rcu_read_lock();
		keep = flow_owned(&keys[i], v.session_id);
		rcu_read_unlock();
		if (!keep && fp_flow_del(media_st.fp, &keys[i]) == 0)
			deleted++;
	}
	free(keys);
	return deleted;
}

static bool media_standby;	/* atomic */

void
media_set_standby(bool on)
{
	struct cds_lfht_iter it;
	struct media_session *s;

	port_set_freebind(on);
	__atomic_store_n(&media_standby, on, __ATOMIC_RELEASE);
	if (on || !media_st.by_id)
		return;
	rcu_read_lock();
	for_each_session(it, s) {
		__atomic_store_n(&s->created_ns, media_now_ns(), __ATOMIC_RELAXED);
		__atomic_store_n(&s->timeout_reported, false, __ATOMIC_RELEASE);
	}
	rcu_read_unlock();
}

bool
media_is_standby(void)
{
	return __atomic_load_n(&media_standby, __ATOMIC_ACQUIRE);
}

void
media_session_walk(void (*fn)(uint64_t id, void *arg), void *arg)
{
	struct cds_lfht_iter it;
	struct media_session *s;

	if (!media_st.by_id)
		return;
	rcu_read_lock();
	for_each_session(it, s)
		fn(s->id, arg);
	rcu_read_unlock();
}
