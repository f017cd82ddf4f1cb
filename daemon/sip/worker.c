// SPDX-License-Identifier: GPL-2.0
/*
 * worker.c - one SIP worker thread (see worker.h): its libev loop, its
 * mailbox (jobs posted from other threads, run on this one) and its RCU
 * registration.  Sockets are opened by sip.c and the transports.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <urcu.h>

#include "common/clock.h"
#include "common/log.h"
#include "sip/worker.h"

static __thread struct sip_worker *self;
bool sip_stopping;

struct sip_worker *
sip_worker_self(void)
{
	return self;
}

uint64_t
sip_now_ms(void)
{
	return xr_mono_ms() + 1;
}

void
sip_worker_post(struct sip_worker *w, struct sip_job *job)
{
	bool ring;

	job->next = NULL;
	pthread_mutex_lock(&w->mb_lock);
	ring = w->mb_head == NULL;
	if (w->mb_tail)
		w->mb_tail->next = job;
	else
		w->mb_head = job;
	w->mb_tail = job;
	pthread_mutex_unlock(&w->mb_lock);
	if (ring)
		ev_async_send(w->loop, &w->wake);
}

/* The doorbell: run every queued job (bounded by what was queued), or stop. */
static void
wake_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	struct sip_worker *w = a->data;
	struct sip_job *j, *next;
	bool stop;

	(void)revents;
	pthread_mutex_lock(&w->mb_lock);
	j = w->mb_head;
	w->mb_head = w->mb_tail = NULL;
	stop = w->stopping;
	pthread_mutex_unlock(&w->mb_lock);
	if (stop) {
		/* jobs are dropped: their objects are freed by sip_stop() */
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	for (; j; j = next) {
		next = j->next;
		j->fn(j);
	}
}

static void *
worker_main(void *arg)
{
	struct sip_worker *w = arg;

	self = w;
	rcu_register_thread();
	ev_run(w->loop, 0);
	rcu_unregister_thread();
	self = NULL;
	return NULL;
}

int
sip_worker_start(struct sip_worker *w)
{
	int err;

	ev_async_init(&w->wake, wake_cb);
	w->wake.data = w;
	ev_async_start(w->loop, &w->wake);
	err = pthread_create(&w->thread, NULL, worker_main, w);
	if (err)
		return -err;
	w->started = true;
	return 0;
}

void
sip_worker_stop(struct sip_worker *w)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->mb_lock);
	w->stopping = true;
	pthread_mutex_unlock(&w->mb_lock);
	ev_async_send(w->loop, &w->wake);
	pthread_join(w->thread, NULL);
	w->started = false;
}

void
sip_worker_drain(struct sip_worker *w)
{
	for (int round = 0; round < 16; round++) {
		struct sip_job *j, *next;

		pthread_mutex_lock(&w->mb_lock);
		j = w->mb_head;
		w->mb_head = w->mb_tail = NULL;
		pthread_mutex_unlock(&w->mb_lock);
		if (!j)
			return;
		for (; j; j = next) {
			next = j->next;
			j->fn(j);
		}
	}
}
