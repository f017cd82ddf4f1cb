// SPDX-License-Identifier: GPL-2.0
/*
 * sip.c - sip_start()/sip_stop() (see sip.h): resolve and bind every --sip
 * address on every worker (SO_REUSEPORT: the kernel spreads datagrams and
 * accepts over the workers' sockets), start the worker threads, and tear it
 * all down again.  Owns the worker array and the bound-address list.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <urcu.h>

#include "common/log.h"
#include "sip/sip.h"
#include "sip/worker.h"

union xr_sa			 sip_addrs[XR_MAX_ADDRS];
int				 sip_naddrs;
const struct xr_config		*sip_cfg;

static struct sip_worker	*workers;
const struct sip_tp_upper	*sip_upper;	/* the transaction layer */
static int			 nworkers;
/* Held while the worker array is freed: sip_tp_worker_stats() reads it. */
static pthread_mutex_t		 workers_lock = PTHREAD_MUTEX_INITIALIZER;

void
sip_tp_set_upper(const struct sip_tp_upper *up)
{
	sip_upper = up;
}

struct sip_worker *
sip_worker_get(int i)
{
	return i >= 0 && i < nworkers ? &workers[i] : NULL;
}

int
sip_nworkers(void)
{
	return nworkers;
}

int
sip_tp_worker_stats(struct sip_tp_worker_stats *out, int max)
{
	int n;

	pthread_mutex_lock(&workers_lock);
	n = workers ? nworkers : 0;
	for (int i = 0; i < n && i < max; i++) {
		out[i].rx = __atomic_load_n(&workers[i].udp_rx, __ATOMIC_RELAXED);
		out[i].tx = __atomic_load_n(&workers[i].udp_tx, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&workers_lock);
	return n;
}

static void
worker_free(struct sip_worker *w)
{
	for (int i = 0; i < XR_MAX_ADDRS; i++) {
		if (w->udp_fd[i] >= 0)
			close(w->udp_fd[i]);
		if (w->tcp_fd[i] >= 0)
			close(w->tcp_fd[i]);
	}
	tp_worker_fini(w);
	if (w->loop)
		ev_loop_destroy(w->loop);
	pthread_mutex_destroy(&w->mb_lock);
}

/*
 * SO_REUSEPORT would let a second xrelayd (or anything else of ours) bind
 * the same address and silently take half the traffic.  Before the group
 * binds, probe each --sip address with plain sockets (no SO_REUSEPORT):
 * they fail with EADDRINUSE when anyone holds the port (TCP: a listener;
 * SO_REUSEADDR lets connections in TIME_WAIT pass).  A port of 0 gets
 * the one the kernel picks for the UDP probe.
 */
static int
probe_addr(int i)
{
	char s[XR_SA_STRLEN];
	int types[2] = { SOCK_DGRAM, SOCK_STREAM }, err = 0;

	for (int k = 0; k < 2 && !err; k++) {
		union xr_sa got;
		socklen_t sl = sizeof(got);
		int fd = socket(sip_addrs[i].sa.sa_family, types[k] | SOCK_CLOEXEC, 0), on = 1;

		if (fd < 0)
			return -errno;
		if (sip_addrs[i].sa.sa_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
		/* TCP: connections in TIME_WAIT are no owner; a listener is */
		if (types[k] == SOCK_STREAM)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, &sip_addrs[i].sa, xr_sa_len(&sip_addrs[i])) < 0) {
			err = -errno;
			log_warnx("sip: %s/%s: %s (another xrelayd?)",
				  xr_sa_str(&sip_addrs[i], s, sizeof(s)), k ? "tcp" : "udp",
				  strerror(errno));
		} else if (xr_sa_port(&sip_addrs[i]) == 0 &&
			   getsockname(fd, &got.sa, &sl) == 0) {
			xr_sa_set_port(&sip_addrs[i], xr_sa_port(&got));
		}
		close(fd);
	}
	return err;
}

/*
 * Worker 0 binds first: a --sip port of 0 becomes the port the kernel chose
 * for its UDP socket, and every other socket (TCP, other workers) binds the
 * same one.
 */
static int
worker_setup(struct sip_worker *w, int id)
{
	int err;

	w->id = id;
	pthread_mutex_init(&w->mb_lock, NULL);
	for (int i = 0; i < XR_MAX_ADDRS; i++)
		w->udp_fd[i] = w->tcp_fd[i] = -1;
	w->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
	if (!w->loop)
		return -ENOMEM;
	err = tp_worker_init(w);
	for (int i = 0; i < sip_naddrs && !err && id == 0; i++)
		err = probe_addr(i);
	for (int i = 0; i < sip_naddrs && !err; i++) {
		err = tp_udp_open(w, i);
		if (!err)
			err = tp_tcp_listen(w, i);
	}
	return err;
}

int
sip_start(const struct xr_config *cfg, struct ev_loop *main_loop)
{
	int err;

	(void)main_loop;
	if (workers)
		return -EALREADY;
	sip_cfg = cfg;
	sip_naddrs = cfg->nsip;
	memcpy(sip_addrs, cfg->sip, sizeof(sip_addrs));
	nworkers = config_workers(cfg);
	err = sip_upper && sip_upper->start ? sip_upper->start() : 0;
	if (!err)
		err = tp_tcp_init();
	if (err)
		goto out;
	pthread_mutex_lock(&workers_lock);
	workers = calloc((size_t)nworkers, sizeof(*workers));
	pthread_mutex_unlock(&workers_lock);
	if (!workers) {
		err = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < nworkers; i++) {
		err = worker_setup(&workers[i], i);
		if (err) {
			nworkers = i + 1;	/* free what was set up */
			goto out_workers;
		}
	}
	if (nworkers > 1) {
		err = sip_balance_start(workers, nworkers);
		if (err)
			log_info("sip: no Call-ID balancing (%s): the kernel's address hash"
				 " spreads UDP over the workers", strerror(-err));
		else
			log_info("sip: UDP balanced over the workers by Call-ID (SK_REUSEPORT)");
	}
	for (int i = 0; i < nworkers; i++) {
		err = sip_worker_start(&workers[i]);
		if (err)
			goto out_workers;
	}
	log_info("sip: %d workers on %d address(es)", nworkers, sip_naddrs);
	return 0;

out_workers:
	sip_stop();
	return err;
out:
	nworkers = 0;
	tp_tcp_shutdown();
	return err;
}

void
sip_stop(void)
{
	if (!workers)
		return;
	for (int i = 0; i < nworkers; i++)
		sip_worker_stop(&workers[i]);
	sip_balance_stop();
	/*
	 * No worker runs now: finish their queued jobs here (objects are
	 * freed at once from now on), then free transactions, connections,
	 * and last the loops.
	 */
	sip_stopping = true;
	for (int i = 0; i < nworkers; i++)
		sip_worker_drain(&workers[i]);
	if (sip_upper && sip_upper->stop)
		sip_upper->stop();
	tp_tcp_shutdown();
	pthread_mutex_lock(&workers_lock);
	for (int i = 0; i < nworkers; i++)
		worker_free(&workers[i]);
	free(workers);
	workers = NULL;
	nworkers = 0;
	pthread_mutex_unlock(&workers_lock);
	sip_naddrs = 0;
	sip_stopping = false;
}
