// SPDX-License-Identifier: GPL-2.0
/*
 * follow.c - the standby (--standby): a thread of its own with a blocking
 * hiredis connection (no SIP worker runs on a standby) that follows the
 * active node's change log, the stream <prefix>log the writer appends to
 * with every write (Redis Streams: after a reconnect it reads on from the
 * last entry it applied, so nothing is lost while it was away, within the
 * log's length).  Every media session of the active node is kept here
 * pre-armed: bound to the same ports on the service addresses (IP_FREEBIND,
 * they are not here yet), its kernel flows written with their latches.
 * When the service addresses are local (the operator's VRRP moved them)
 * and the lease is free (the active stopped renewing it), it takes the
 * lease and hands over to the main loop (ha_takeover()).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <urcu.h>

#include "common/log.h"
#include "ctl/commands.h"
#include "ha/ha.h"
#include "ha/ha_int.h"

#define FOLLOW_BLOCK_MS	300	/* XREAD BLOCK: also how often the takeover is checked */

static struct {
	pthread_t		 thr;
	bool			 running;
	bool			 stop;		/* atomic */
	const struct xr_config	*cfg;
	void			(*on_takeover)(void);
	pthread_mutex_t		 lock;		/* last_id */
	char			 last_id[48];	/* last entry applied, "" none */
	uint64_t		 applied;	/* atomic: log entries applied */
	uint64_t		 syncs;		/* atomic: full reads of the active's sessions */
	int			 following;	/* atomic: connected */
} f = { .lock = PTHREAD_MUTEX_INITIALIZER };

bool
ha_is_standby(void)
{
	return ha.enabled && __atomic_load_n(&ha.role, __ATOMIC_ACQUIRE) == HA_ROLE_STANDBY;
}

/* Try to take (or keep) the lease; 1 ours, 0 another node's, -1 no answer. */
static int
lease_take(redisContext *c)
{
	char key[HA_KEY_MAX], ttl[16];
	redisReply *r;
	int rc = -1;

	snprintf(key, sizeof(key), "%slease", ha.prefix);
	snprintf(ttl, sizeof(ttl), "%d", HA_LEASE_MS);
	r = redisCommand(c, "EVAL %s 1 %s %s %s", HA_LEASE_LUA, key, ha.me, ttl);
	if (r && r->type == REDIS_REPLY_INTEGER)
		rc = r->integer == 1;
	if (r)
		freeReplyObject(r);
	return rc;
}

bool
ha_should_standby(const struct xr_config *cfg)
{
	redisContext *c;
	int held;

	if (!ha.enabled)
		return false;
	if (cfg->standby)
		return true;
	c = ha_connect_sync();
	if (!c)
		return false;	/* nothing known: serve */
	held = lease_take(c);
	redisFree(c);
	if (held == 0)
		logs(LS_MAIN, LL_WARN, "redis: the lease %slease is another node's: starting as a "
		     "standby", ha.prefix);
	return held == 0;
}

/* Is sa an address of this host (a bind without IP_FREEBIND works)? */
static bool
addr_local(const union xr_sa *sa)
{
	union xr_sa a = *sa;
	int fd = socket(sa->sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	xr_sa_set_port(&a, 0);
	ok = bind(fd, &a.sa, xr_sa_len(&a)) == 0;
	close(fd);
	return ok;
}

/* Have the service addresses (every --sip and --media) moved here? */
static bool
service_here(void)
{
	for (int i = 0; i < f.cfg->nsip; i++)
		if (!addr_local(&f.cfg->sip[i]))
			return false;
	for (int i = 0; i < f.cfg->nmedia; i++)
		if (!addr_local(&f.cfg->media[i]))
			return false;
	return true;
}

/* The active node changed media key: make our pre-armed copy match. */
static void
apply_key(redisContext *c, const char *key, size_t len)
{
	struct ha_item it;
	char *k;

	if (ha_key_parse(key, len, &it) < 0 || it.kind != HA_MEDIA)
		return;		/* calls and bindings are read at takeover */
	k = strndup(key, len);
	if (!k)
		return;
	/* Deleted and made again from the document: new remotes, latches, directions. */
	media_session_delete(it.id);
	ha_restore_media_key(c, k, false);
	free(k);
}

/* Read every media session of the active node; *last gets the log's newest entry first. */
static int
full_sync(redisContext *c, char *last, size_t cap)
{
	char logkey[HA_KEY_MAX], **keys;
	redisReply *r;
	size_t n = 0;

	snprintf(logkey, sizeof(logkey), "%slog", ha.prefix);
	r = redisCommand(c, "XREVRANGE %s + - COUNT 1", logkey);
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		if (r)
			freeReplyObject(r);
		return -EIO;
	}
	snprintf(last, cap, "%s", r->elements ? r->element[0]->element[0]->str : "0-0");
	freeReplyObject(r);
	keys = ha_scan_keys(c, &n);
	if (!keys)
		return -EIO;
	for (size_t i = 0; i < n; i++) {
		apply_key(c, keys[i], strlen(keys[i]));
		free(keys[i]);
	}
	free(keys);
	media_flows_reconcile();	/* flows of sessions the active no longer has */
	__atomic_add_fetch(&f.syncs, 1, __ATOMIC_RELAXED);
	return 0;
}

/*
 * After a reconnect: can the log still be read on from last (its oldest
 * entry is not newer than the one after last, nothing was trimmed away)?
 */
static bool
log_covers(redisContext *c, const char *last)
{
	char logkey[HA_KEY_MAX];
	unsigned long long lm, ls, fm, fs;
	redisReply *r;
	bool ok = false;

	if (!last[0] || sscanf(last, "%llu-%llu", &lm, &ls) != 2)
		return false;
	snprintf(logkey, sizeof(logkey), "%slog", ha.prefix);
	r = redisCommand(c, "XRANGE %s - + COUNT 1", logkey);
	if (r && r->type == REDIS_REPLY_ARRAY) {
		if (r->elements == 0)
			ok = false;	/* an empty log: Redis restarted, read it all */
		else if (sscanf(r->element[0]->element[0]->str, "%llu-%llu", &fm, &fs) == 2)
			ok = fm < lm || (fm == lm && fs <= ls + 1);
	}
	if (r)
		freeReplyObject(r);
	return ok;
}

/* One XREAD: apply what came; 0, or -EIO (reconnect). */
static int
follow_once(redisContext *c, char *last, size_t cap)
{
	char logkey[HA_KEY_MAX];
	redisReply *r, *entries;

	snprintf(logkey, sizeof(logkey), "%slog", ha.prefix);
	r = redisCommand(c, "XREAD COUNT 512 BLOCK %d STREAMS %s %s", FOLLOW_BLOCK_MS, logkey,
			 last);
	if (!r)
		return -EIO;
	if (r->type == REDIS_REPLY_NIL) {
		freeReplyObject(r);
		return 0;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->elements < 2) {
		freeReplyObject(r);
		return -EIO;
	}
	entries = r->element[0]->element[1];
	for (size_t i = 0; i < entries->elements; i++) {
		redisReply *e = entries->element[i], *fv = e->element[1];

		for (size_t j = 0; j + 1 < fv->elements; j += 2)
			if (strcmp(fv->element[j]->str, "k") == 0)
				apply_key(c, fv->element[j + 1]->str, fv->element[j + 1]->len);
		snprintf(last, cap, "%s", e->element[0]->str);
		__atomic_add_fetch(&f.applied, 1, __ATOMIC_RELAXED);
	}
	freeReplyObject(r);
	pthread_mutex_lock(&f.lock);
	snprintf(f.last_id, sizeof(f.last_id), "%s", last);
	pthread_mutex_unlock(&f.lock);
	return 0;
}

static void *
follow_main(void *arg)
{
	char last[48] = "";
	bool took = false;

	(void)arg;
	rcu_register_thread();
	while (!__atomic_load_n(&f.stop, __ATOMIC_ACQUIRE) && !took) {
		redisContext *c = ha_connect_sync();

		if (!c) {
			usleep(500000);
			continue;
		}
		/*
		 * A fresh connection: on from the last entry applied when the log
		 * still holds what came after it; else read everything once.
		 */
		if (log_covers(c, last) || full_sync(c, last, sizeof(last)) == 0) {
			__atomic_store_n(&f.following, 1, __ATOMIC_RELAXED);
			logs(LS_MAIN, LL_INFO, "standby: following %slog from %s, %d session(s) "
			     "pre-armed", ha.prefix, last, media_session_count());
			while (!__atomic_load_n(&f.stop, __ATOMIC_ACQUIRE)) {
				if (follow_once(c, last, sizeof(last)) < 0)
					break;
				if (service_here() && lease_take(c) == 1) {
					took = true;
					break;
				}
			}
		}
		__atomic_store_n(&f.following, 0, __ATOMIC_RELAXED);
		redisFree(c);
	}
	rcu_unregister_thread();
	if (took) {
		logs(LS_MAIN, LL_INFO, "standby: the service addresses are here and the lease is "
		     "ours: taking over");
		f.on_takeover();
	}
	return NULL;
}

int
ha_standby_start(const struct xr_config *cfg, void (*on_takeover)(void))
{
	int rc;

	if (!ha.enabled)
		return -EINVAL;
	f.cfg = cfg;
	f.on_takeover = on_takeover;
	__atomic_store_n(&ha.role, HA_ROLE_STANDBY, __ATOMIC_RELEASE);
	media_set_standby(true);
	ctl_set_ha(ha_status_json, ha_metrics);
	rc = pthread_create(&f.thr, NULL, follow_main, NULL);
	if (rc)
		return -rc;
	f.running = true;
	logs(LS_MAIN, LL_INFO, "standby of %s: following redis %s", ha.node, ha.uri_str);
	return 0;
}

void
ha_follow_stop(void)
{
	if (!f.running)
		return;
	__atomic_store_n(&f.stop, true, __ATOMIC_RELEASE);
	pthread_join(f.thr, NULL);
	f.running = false;
}

void
ha_follow_status(json_t *o)
{
	pthread_mutex_lock(&f.lock);
	json_object_set_new(o, "last_entry", json_string(f.last_id));
	pthread_mutex_unlock(&f.lock);
	json_object_set_new(o, "following", json_boolean(__atomic_load_n(&f.following,
									  __ATOMIC_RELAXED)));
	json_object_set_new(o, "applied", json_integer((json_int_t)__atomic_load_n(&f.applied,
							__ATOMIC_RELAXED)));
	json_object_set_new(o, "pre_armed_sessions", json_integer(media_session_count()));
	json_object_set_new(o, "state", json_string(__atomic_load_n(&f.following,
						     __ATOMIC_RELAXED) ? "following" : "disconnected"));
}
