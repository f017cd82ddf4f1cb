// SPDX-License-Identifier: GPL-2.0
/*
 * sweep.c - the proxy's sweep thread: every PX_SWEEP_MS it expires the
 * location service's bindings and unanswered dialog records, and it ends the
 * calls whose media stopped (the media layer reports silent sessions from
 * its relay thread, which must not wait for the proxy: they are queued here).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <urcu.h>

#include "media/media.h"
#include "proxy/call_media.h"
#include "proxy/proxy_int.h"

#define PX_SWEEP_MS	1000			/* expiry sweep period */
#define PX_DLG_MAX_AGE	(200 * 1000)		/* unanswered dialog records: > Timer C */

/*
 * Sessions the media timeout reported, queued by the relay thread (which
 * must not wait for the proxy) and handled by the sweep thread.
 */
static pthread_mutex_t	px_stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	px_stop_cond;
static uint64_t		*px_silent;	/* under px_stop_lock */
static size_t		 px_nsilent, px_silent_cap;

static void
px_media_timeout(uint64_t sid, void *arg)
{
	pthread_mutex_lock(&px_stop_lock);
	if (px_nsilent == px_silent_cap) {
		size_t cap = px_silent_cap ? 2 * px_silent_cap : 64;
		uint64_t *v = realloc(px_silent, cap * sizeof(*v));

		if (v) {
			px_silent = v;
			px_silent_cap = cap;
		}
	}
	if (px_nsilent < px_silent_cap)
		px_silent[px_nsilent++] = sid;
	else
		media_session_delete(sid);	/* no memory: at least free the ports */
	pthread_cond_signal(&px_stop_cond);
	pthread_mutex_unlock(&px_stop_lock);
}

/* --media-timeout of the running configuration, for the log. */
static int
px_media_timeout_s(void)
{
	int t;

	rcu_read_lock();
	t = config_now(px_cfg)->media_timeout;
	rcu_read_unlock();
	return t;
}

/*
 * Session sid is silent: when every stream of its call is, a confirmed call
 * ends with a BYE each way; a call still ringing starts counting again (Timer
 * C watches it); a session no call owns (`media create`) is deleted.
 */
static void
px_silent_session(uint64_t sid)
{
	struct dlg_info *di;
	struct dlg *d;
	int all = 0, r1, r2;

	d = dlg_find_media(sid, &all);
	if (!d) {
		logs(LS_MEDIA, LL_INFO, "session %" PRIu64 ": no media for %d s, deleted", sid,
		     px_media_timeout_s());
		media_session_delete(sid);
		return;
	}
	di = malloc(sizeof(*di));
	if (all == 1 && di) {
		dlg_info_of(d, di);
		if (di->state == DLG_CONFIRMED) {
			PX_INC(media_timeouts);
			logs(LS_PROXY, LL_INFO, "call %" PRIu64 " (Call-ID %s): no media for %d s, "
			     "BYE to both parties", di->id, di->callid,
			     px_media_timeout_s());
			px_end_call(di, "Media timeout", &r1, &r2);
		} else {
			cm_touch(dlg_cm(d));
		}
	}
	free(di);
	dlg_put(d);
}

/* ---- the sweep thread ------------------------------------------------------- */

static pthread_t	px_sweeper;
static bool		px_sweeper_up;
static bool		px_stopping;

static void *
px_sweep_main(void *arg)
{
	struct timespec ts;
	int n;

	rcu_register_thread();
	pthread_mutex_lock(&px_stop_lock);
	while (!px_stopping) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += PX_SWEEP_MS / 1000;
		pthread_cond_timedwait(&px_stop_cond, &px_stop_lock, &ts);
		if (px_stopping)
			break;
		while (px_nsilent > 0) {
			uint64_t sid = px_silent[--px_nsilent];

			pthread_mutex_unlock(&px_stop_lock);
			px_silent_session(sid);
			pthread_mutex_lock(&px_stop_lock);
		}
		pthread_mutex_unlock(&px_stop_lock);
		n = loc_expire(loc_now_ms());
		if (n)
			px_debug("proxy: %d binding(s) expired", n);
		dlg_sweep(loc_now_ms(), PX_DLG_MAX_AGE);
		pthread_mutex_lock(&px_stop_lock);
	}
	pthread_mutex_unlock(&px_stop_lock);
	rcu_unregister_thread();
	return NULL;
}

/* Start the sweep thread and take the media timeouts.  0 or -errno. */
int
px_sweep_start(void)
{
	pthread_condattr_t ca;
	int rc;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&px_stop_cond, &ca);
	pthread_condattr_destroy(&ca);
	px_stopping = false;
	media_set_timeout_cb(px_media_timeout, NULL);
	rc = -pthread_create(&px_sweeper, NULL, px_sweep_main, NULL);
	if (rc < 0) {
		media_set_timeout_cb(NULL, NULL);
		return rc;
	}
	px_sweeper_up = true;
	return 0;
}

/* Stop taking media timeouts, stop the thread, drop what is queued. */
void
px_sweep_stop(void)
{
	media_set_timeout_cb(NULL, NULL);
	if (px_sweeper_up) {
		pthread_mutex_lock(&px_stop_lock);
		px_stopping = true;
		pthread_cond_signal(&px_stop_cond);
		pthread_mutex_unlock(&px_stop_lock);
		pthread_join(px_sweeper, NULL);
		px_sweeper_up = false;
	}
	free(px_silent);
	px_silent = NULL;
	px_nsilent = px_silent_cap = 0;
}
