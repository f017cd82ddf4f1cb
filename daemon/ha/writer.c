// SPDX-License-Identifier: GPL-2.0
/*
 * writer.c - the Redis thread of daemon/ha/: its own libev loop with a
 * hiredis async connection (hiredis/adapters/libev.h).  Changes come from
 * the queue (queue.c); for each, the object is read as it is now and
 * written whole (SET) or removed (DEL).  On every (re)connect, and after
 * the queue overflowed, a re-sync writes every object and deletes the keys
 * of objects that are gone (SCAN of this node's keys).  Redis down: the
 * daemon goes on from memory, the queue fills to its bound, the thread
 * reconnects every 500 ms.  Also the lease renewal and the callbacks the
 * lower layers call.  The keys, status and metrics are ha.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <hiredis/adapters/libev.h>
#pragma GCC diagnostic pop
#include <urcu.h>

#include "common/clock.h"
#include "common/log.h"
#include "ctl/commands.h"
#include "ha/ha.h"
#include "ha/ha_int.h"

#define ha_debug(...)	slog(LS_MAIN, LL_DEBUG, __VA_ARGS__)
#define HA_RETRY_S	0.5	/* reconnect interval */
#define HA_DRAIN_S	2.0	/* ha_stop(): longest wait for queued writes */

/* The thread's own state: touched only on its loop (and by ha_start/ha_stop around it). */
static struct {
	pthread_t		 thr;
	bool			 running;
	struct ev_loop		*loop;
	ev_async		 wake, stop;
	ev_timer		 retry, drain, lease;
	redisAsyncContext	*ac;
	bool			 up;		/* connected */
	bool			 stopping;
	bool			 scanning;	/* a SCAN of the re-sync is under way */
	/* the re-sync's work list: objects to write or delete, unbounded but transient */
	struct ha_item		*work;
	size_t			 nwork, capwork;
	/* send times of the commands in flight, in order (Redis answers in order) */
	uint64_t		 fl_t[HA_INFLIGHT_MAX];
	unsigned		 fl_head, fl_n;
} w;

/* ---- the callbacks the lower layers call (any thread; never block) ------------- */

static void
on_media_change(uint64_t id)
{
	ha_queue_push(HA_MEDIA, id, NULL);
}

static void
on_call_change(uint64_t id)
{
	ha_queue_push(HA_CALL, id, NULL);
}

static void
on_reg_change(const char *aor)
{
	ha_queue_push(HA_REG, 0, aor);
}

static void
wake_writer(void)
{
	if (w.loop)
		ev_async_send(w.loop, &w.wake);
}

/* ---- writing one object ---------------------------------------------------------- */

static uint64_t
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void pump(void);

/* A command's answer (or NULL: the connection went). */
static void
on_reply(redisAsyncContext *ac, void *r, void *priv)
{
	redisReply *reply = r;

	(void)ac;
	(void)priv;
	if (w.fl_n) {
		w.fl_head = (w.fl_head + 1) % HA_INFLIGHT_MAX;
		w.fl_n--;
	}
	__atomic_store_n(&ha.in_flight, w.fl_n, __ATOMIC_RELAXED);
	if (!reply || reply->type == REDIS_REPLY_ERROR) {
		__atomic_add_fetch(&ha.write_errors, 1, __ATOMIC_RELAXED);
		if (reply)
			log_ratelimited(LS_MAIN, LL_WARN, "redis: %s", reply->str);
	} else {
		__atomic_add_fetch(&ha.writes, 1, __ATOMIC_RELAXED);
	}
	/* NULL: the connection is going; what is queued waits for the next one. */
	if (reply && w.up && !w.stopping)
		pump();
}

/* Send one command (argv form); counts it in flight with the change's time. */
static void
send_cmd(int argc, const char **argv, const size_t *lens, uint64_t t_ns)
{
	if (redisAsyncCommandArgv(w.ac, on_reply, NULL, argc, argv, lens) != REDIS_OK) {
		__atomic_add_fetch(&ha.write_errors, 1, __ATOMIC_RELAXED);
		return;
	}
	w.fl_t[(w.fl_head + w.fl_n) % HA_INFLIGHT_MAX] = t_ns;
	w.fl_n++;
	__atomic_store_n(&ha.in_flight, w.fl_n, __ATOMIC_RELAXED);
}

/*
 * The change log a standby follows (Redis Streams): one entry per write,
 * naming the key ("k"); trimmed to about HA_LOG_MAX entries.
 */
static void
send_log(const char *key, uint64_t t_ns)
{
	char logkey[HA_KEY_MAX];
	const char *argv[8] = { "XADD", logkey, "MAXLEN", "~", HA_LOG_MAX_STR, "*", "k", key };
	size_t lens[8];

	snprintf(logkey, sizeof(logkey), "%slog", ha.prefix);
	for (int i = 0; i < 8; i++)
		lens[i] = strlen(argv[i]);
	send_cmd(8, argv, lens, t_ns);
}

static void
send_del(const char *key, uint64_t t_ns)
{
	const char *argv[2] = { "DEL", key };
	size_t lens[2] = { 3, strlen(key) };

	send_cmd(2, argv, lens, t_ns);
	send_log(key, t_ns);
}

/* SET key doc, with PXAT expiry_ms when not 0; doc is consumed. */
static void
send_set(const char *key, json_t *doc, uint64_t expiry_ms, uint64_t t_ns)
{
	char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	char exp[24];
	const char *argv[5] = { "SET", key, s, "PXAT", exp };
	size_t lens[5] = { 3, strlen(key), s ? strlen(s) : 0, 4, 0 };

	json_decref(doc);
	if (!s) {
		__atomic_add_fetch(&ha.write_errors, 1, __ATOMIC_RELAXED);
		return;
	}
	snprintf(exp, sizeof(exp), "%" PRIu64, expiry_ms);
	lens[4] = strlen(exp);
	send_cmd(expiry_ms ? 5 : 3, argv, lens, t_ns);
	free(s);
	send_log(key, t_ns);
}

/* Write one object as it is now, or delete its key when it is gone. */
static void
write_item(const struct ha_item *it)
{
	char key[HA_KEY_MAX];

	/* Fenced (another node holds the lease): its keys are not ours to write. */
	if (__atomic_load_n(&ha.role, __ATOMIC_RELAXED) != HA_ROLE_ACTIVE)
		return;
	ha_key(key, sizeof(key), it->kind, it->id, it->aor);
	switch (it->kind) {
	case HA_MEDIA: {
		struct media_session_info mi;

		if (media_session_info(it->id, &mi) == 0)
			send_set(key, ha_enc_media(&mi), 0, it->t_ns);
		else
			send_del(key, it->t_ns);
		break;
	}
	case HA_CALL: {
		struct dlg_info *di = malloc(sizeof(*di));
		struct cm_saved cs;
		struct dlg *d = NULL;

		if (di && dlg_get(it->id, di, &d) == 0 && di->state == DLG_CONFIRMED &&
		    cm_export(dlg_cm(d), &cs) == 0)
			send_set(key, ha_enc_call(di, &cs), 0, it->t_ns);
		else
			send_del(key, it->t_ns);	/* gone, or not answered (not kept) */
		dlg_put(d);
		free(di);
		break;
	}
	case HA_REG: {
		struct loc_binding *b = calloc(LOC_MAX_BINDINGS, sizeof(*b));
		uint64_t mono = loc_now_ms(), last = 0;
		int n = b ? loc_lookup(it->aor, mono, b, LOC_MAX_BINDINGS) : -ENOMEM;

		if (n > 0) {
			json_t *doc = ha_enc_reg(it->aor, b, n, mono, real_ms(), &last);

			send_set(key, doc, last, it->t_ns);
		} else
			send_del(key, it->t_ns);
		free(b);
		break;
	}
	}
}

/* ---- re-sync ---------------------------------------------------------------------- */

static void
work_add(enum ha_kind kind, uint64_t id, const char *aor)
{
	struct ha_item *it;

	if (w.nwork == w.capwork) {
		size_t cap = w.capwork ? 2 * w.capwork : 256;
		struct ha_item *t = realloc(w.work, cap * sizeof(*t));

		if (!t)
			return;		/* the next re-sync catches it */
		w.work = t;
		w.capwork = cap;
	}
	it = &w.work[w.nwork++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->id = id;
	it->t_ns = xr_mono_ns();
	if (aor)
		snprintf(it->aor, sizeof(it->aor), "%s", aor);
}

static void
walk_media(uint64_t id, void *arg)
{
	(void)arg;
	work_add(HA_MEDIA, id, NULL);
}

static void
walk_call(const struct dlg_info *di, struct dlg *d, void *arg)
{
	(void)d;
	(void)arg;
	work_add(HA_CALL, di->id, NULL);
}

static void
walk_reg(const char *aor, const struct loc_binding *b, int n, void *arg)
{
	(void)b;
	(void)n;
	(void)arg;
	work_add(HA_REG, 0, aor);
}

static void send_scan(const char *cursor);

/* One page of SCAN: every key named is looked at again (written or deleted). */
static void
on_scan(redisAsyncContext *ac, void *r, void *priv)
{
	redisReply *reply = r;

	(void)ac;
	(void)priv;
	on_reply(ac, r, NULL);
	if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING) {
		w.scanning = false;
		return;
	}
	for (size_t i = 0; i < reply->element[1]->elements; i++) {
		redisReply *k = reply->element[1]->element[i];
		struct ha_item it;

		if (k->type == REDIS_REPLY_STRING && ha_key_parse(k->str, k->len, &it) == 0)
			work_add(it.kind, it.id, it.aor);
	}
	if (strcmp(reply->element[0]->str, "0") != 0 && w.up)
		send_scan(reply->element[0]->str);
	else
		w.scanning = false;
	if (!w.stopping)
		pump();
}

static void
send_scan(const char *cursor)
{
	char match[128];

	snprintf(match, sizeof(match), "%s*", ha.prefix);
	if (redisAsyncCommand(w.ac, on_scan, NULL, "SCAN %s MATCH %s COUNT 1000", cursor,
			      match) != REDIS_OK) {
		w.scanning = false;
		return;
	}
	w.fl_t[(w.fl_head + w.fl_n) % HA_INFLIGHT_MAX] = xr_mono_ns();
	w.fl_n++;
}

/* Write everything we hold, and delete the keys of what we no longer hold. */
static void
resync(void)
{
	__atomic_add_fetch(&ha.resyncs, 1, __ATOMIC_RELAXED);
	w.nwork = 0;
	media_session_walk(walk_media, NULL);
	dlg_walk(walk_call, NULL);
	loc_walk(loc_now_ms(), walk_reg, NULL);
	w.scanning = true;
	send_scan("0");
	logs(LS_MAIN, LL_INFO, "redis: re-sync of %zu object(s) under %s*", w.nwork, ha.prefix);
}

/* Send what can be sent: the re-sync's list first, then the queue. */
static void
pump(void)
{
	struct ha_item it;

	if (!w.up)
		return;
	if (ha_queue_take_overflow())
		resync();
	while (w.fl_n < HA_INFLIGHT_MAX - 1) {
		if (w.nwork) {
			it = w.work[--w.nwork];
		} else if (!ha_queue_pop(&it)) {
			break;
		}
		write_item(&it);
	}
}

/* ---- the lease ----------------------------------------------------------------------------- */

/* The answer to a renewal: 1 held, 0 another node holds it (we are fenced). */
static void
on_lease(redisAsyncContext *ac, void *r, void *priv)
{
	redisReply *reply = r;

	(void)ac;
	(void)priv;
	if (!reply || reply->type != REDIS_REPLY_INTEGER)
		return;
	if (reply->integer == 1)
		return;
	if (__atomic_exchange_n(&ha.role, HA_ROLE_FENCED, __ATOMIC_RELAXED) != HA_ROLE_FENCED)
		logs(LS_MAIN, LL_ERR, "redis: the lease %slease is another node's: this one "
		     "is fenced and writes nothing more (stop it; the other one serves)",
		     ha.prefix);
}

static void
on_lease_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
	char key[HA_KEY_MAX], ttl[16];

	(void)loop;
	(void)t;
	(void)revents;
	if (!w.up || w.stopping || __atomic_load_n(&ha.role, __ATOMIC_RELAXED) != HA_ROLE_ACTIVE)
		return;
	snprintf(key, sizeof(key), "%slease", ha.prefix);
	snprintf(ttl, sizeof(ttl), "%d", HA_LEASE_MS);
	redisAsyncCommand(w.ac, on_lease, NULL, "EVAL %s 1 %s %s %s", HA_LEASE_LUA, key, ha.me,
			  ttl);
}

/* ---- connection ------------------------------------------------------------------------ */

static void connect_async(void);

static void
on_connect(const redisAsyncContext *ac, int status)
{
	if (status != REDIS_OK) {
		log_ratelimited(LS_MAIN, LL_WARN, "redis %s: cannot connect: %s", ha.uri_str,
				ac->errstr);
		w.ac = NULL;	/* hiredis frees it */
		ev_timer_again(w.loop, &w.retry);
		return;
	}
	w.up = true;
	__atomic_store_n(&ha.connected, 1, __ATOMIC_RELAXED);
	logs(LS_MAIN, LL_INFO, "redis %s: connected", ha.uri_str);
	on_lease_timer(w.loop, &w.lease, 0);
	resync();
	pump();
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	bool was = w.up;

	w.ac = NULL;		/* hiredis frees it */
	w.up = false;
	w.scanning = false;
	w.fl_n = 0;
	__atomic_store_n(&ha.in_flight, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ha.connected, 0, __ATOMIC_RELAXED);
	if (w.stopping) {
		ev_break(w.loop, EVBREAK_ALL);
		return;
	}
	if (was)
		logs(LS_MAIN, LL_WARN, "redis %s: connection lost (%s): calls go on, changes "
		     "are queued", ha.uri_str, status == REDIS_OK ? "closed" : ac->errstr);
	ev_timer_again(w.loop, &w.retry);
}

static void
connect_async(void)
{
	redisAsyncContext *ac;

	if (w.ac)
		return;
	ac = ha.uri.path[0] ? redisAsyncConnectUnix(ha.uri.path) :
			      redisAsyncConnect(ha.uri.host, ha.uri.port);
	if (!ac || ac->err) {
		log_ratelimited(LS_MAIN, LL_WARN, "redis %s: %s", ha.uri_str,
				ac ? ac->errstr : "out of memory");
		if (ac)
			redisAsyncFree(ac);
		ev_timer_again(w.loop, &w.retry);
		return;
	}
	if (redisLibevAttach(w.loop, ac) != REDIS_OK) {
		redisAsyncFree(ac);
		ev_timer_again(w.loop, &w.retry);
		return;
	}
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	w.ac = ac;
	__atomic_add_fetch(&ha.reconnects, 1, __ATOMIC_RELAXED);
}

static void
on_retry(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	ev_timer_stop(w.loop, t);
	if (!w.stopping)
		connect_async();
}

static void
on_wake(struct ev_loop *loop, ev_async *a, int revents)
{
	(void)loop;
	(void)a;
	(void)revents;
	pump();
}

/* Close once the queue is written (or the drain timer ran out). */
static void
maybe_close(void)
{
	if (!w.ac || !w.up) {
		ev_break(w.loop, EVBREAK_ALL);
		return;
	}
	pump();
	if (!w.nwork && !w.fl_n && !__atomic_load_n(&ha.queued, __ATOMIC_RELAXED))
		redisAsyncDisconnect(w.ac);	/* on_disconnect() breaks the loop */
}

static void
on_stop(struct ev_loop *loop, ev_async *a, int revents)
{
	(void)loop;
	(void)a;
	(void)revents;
	w.stopping = true;
	ev_timer_stop(w.loop, &w.retry);
	ev_timer_stop(w.loop, &w.lease);
	ev_timer_start(w.loop, &w.drain);
	maybe_close();
}

static void
on_drain(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)t;
	(void)revents;
	ev_break(w.loop, EVBREAK_ALL);
}

/* While stopping, each answer may be the last one. */
static void
on_check(struct ev_loop *loop, ev_check *c, int revents)
{
	(void)loop;
	(void)c;
	(void)revents;
	if (w.stopping && w.up && w.ac && !w.nwork && !w.fl_n &&
	    !__atomic_load_n(&ha.queued, __ATOMIC_RELAXED))
		maybe_close();
}

static void *
writer_main(void *arg)
{
	ev_check check;

	(void)arg;
	rcu_register_thread();
	ev_check_init(&check, on_check);
	ev_check_start(w.loop, &check);
	connect_async();
	ev_run(w.loop, 0);
	if (w.ac) {
		redisAsyncContext *ac = w.ac;

		w.ac = NULL;
		redisAsyncFree(ac);	/* pending callbacks get NULL */
	}
	rcu_unregister_thread();
	return NULL;
}

int
ha_start(void)
{
	int rc;

	if (!ha.enabled)
		return 0;
	w.loop = ev_loop_new(EVFLAG_AUTO);
	if (!w.loop)
		return -ENOMEM;
	ev_async_init(&w.wake, on_wake);
	ev_async_init(&w.stop, on_stop);
	ev_async_start(w.loop, &w.wake);
	ev_async_start(w.loop, &w.stop);
	ev_init(&w.retry, on_retry);
	w.retry.repeat = HA_RETRY_S;
	ev_timer_init(&w.drain, on_drain, HA_DRAIN_S, 0.);
	ev_timer_init(&w.lease, on_lease_timer, HA_LEASE_MS / 3000., HA_LEASE_MS / 3000.);
	ev_timer_start(w.loop, &w.lease);
	ha_queue_wake = wake_writer;
	media_set_change_cb(on_media_change);
	dlg_set_change_cb(on_call_change);
	cm_set_change_cb(on_call_change);
	loc_set_change_cb(on_reg_change);
	ctl_set_ha(ha_status_json, ha_metrics);
	rc = pthread_create(&w.thr, NULL, writer_main, NULL);
	if (rc) {
		ha_queue_wake = NULL;
		return -rc;
	}
	w.running = true;
	logs(LS_MAIN, LL_INFO, "state kept in redis %s as node %s", ha.uri_str, ha.node);
	return 0;
}

void
ha_stop(void)
{
	if (!ha.enabled)
		return;
	ha_follow_stop();
	media_set_change_cb(NULL);
	dlg_set_change_cb(NULL);
	cm_set_change_cb(NULL);
	loc_set_change_cb(NULL);
	if (w.running) {
		ev_async_send(w.loop, &w.stop);
		pthread_join(w.thr, NULL);
		w.running = false;
	}
	ctl_set_ha(NULL, NULL);
	ha_queue_wake = NULL;
	free(w.work);
	w.work = NULL;
	w.nwork = w.capwork = 0;
}
