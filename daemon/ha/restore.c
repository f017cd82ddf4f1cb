// SPDX-License-Identifier: GPL-2.0
/*
 * restore.c - start-up with --redis: this node's keys are read (a blocking
 * hiredis connection, before any SIP worker runs) and the daemon takes its
 * calls back: media sessions first (same ids and ports, latches kept), then
 * the confirmed dialogs that own them, then registrations; last, every
 * kernel flow no restored session owns is deleted (the maps were adopted,
 * not flushed: fastpath's adopt mode), and those that are missing were
 * written by the restore itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "common/log.h"
#include "ha/ha.h"
#include "ha/ha_int.h"

#define HA_CONNECT_TIMEOUT_MS	2000

struct redisContext *
ha_connect_sync(void)
{
	struct timeval tv = { HA_CONNECT_TIMEOUT_MS / 1000, (HA_CONNECT_TIMEOUT_MS % 1000) * 1000 };
	redisContext *c;

	c = ha.uri.path[0] ? redisConnectUnixWithTimeout(ha.uri.path, tv) :
			     redisConnectWithTimeout(ha.uri.host, ha.uri.port, tv);
	if (!c || c->err) {
		log_ratelimited(LS_MAIN, LL_WARN, "redis %s: cannot connect: %s", ha.uri_str,
				c ? c->errstr : "out of memory");
		if (c)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	return c;
}

/* Every key of this node, as a NULL-terminated malloc'd array of strings; NULL on error. */
char **
ha_scan_keys(redisContext *c, size_t *n)
{
	char **keys = NULL, cursor[32] = "0", match[128];
	size_t cap = 0;

	*n = 0;
	snprintf(match, sizeof(match), "%s*", ha.prefix);
	do {
		redisReply *r = redisCommand(c, "SCAN %s MATCH %s COUNT 1000", cursor, match);

		if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
			if (r)
				freeReplyObject(r);
			goto out_err;
		}
		for (size_t i = 0; i < r->element[1]->elements; i++) {
			redisReply *k = r->element[1]->element[i];

			if (*n + 1 >= cap) {
				char **t = realloc(keys, (cap = cap ? 2 * cap : 256) * sizeof(*t));

				if (!t) {
					freeReplyObject(r);
					goto out_err;
				}
				keys = t;
			}
			keys[(*n)++] = strndup(k->str, k->len);
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	if (!keys)
		keys = calloc(1, sizeof(*keys));
	else
		keys[*n] = NULL;
	return keys;

out_err:
	for (size_t i = 0; i < *n; i++)
		free(keys[i]);
	free(keys);
	return NULL;
}

/* GET key as parsed JSON (new reference), NULL when absent or not JSON. */
static json_t *
get_doc(redisContext *c, const char *key)
{
	redisReply *r = redisCommand(c, "GET %s", key);
	json_t *j = NULL;

	if (r && r->type == REDIS_REPLY_STRING)
		j = json_loadb(r->str, r->len, 0, NULL);
	if (r)
		freeReplyObject(r);
	return j;
}

static uint64_t
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
ha_restore_media_key(redisContext *c, const char *key, bool skip_existing)
{
	struct media_session_info mi, have;
	json_t *j = get_doc(c, key);
	int rc = j ? ha_dec_media(j, &mi) : -ENOENT;

	json_decref(j);
	if (rc == 0 && skip_existing && media_session_info(mi.id, &have) == 0)
		return 0;	/* pre-armed by the standby, kept current by the log */
	if (rc == 0)
		rc = media_session_restore(&mi);
	if (rc == 0)
		ha.restored_sessions++;
	else if (rc != -ENOENT)		/* deleted since: nothing to restore */
		logs(LS_MAIN, LL_WARN, "redis: %s not restored: %s", key, strerror(-rc));
	return rc;
}

static void
restore_call(redisContext *c, const char *key)
{
	struct dlg_info *di = malloc(sizeof(*di));
	struct cm_saved cs;
	json_t *j = get_doc(c, key);
	int rc = !di ? -ENOMEM : j ? ha_dec_call(j, di, &cs) : -ENOENT;

	json_decref(j);
	if (rc == 0) {
		/* A stream whose session could not be restored is gone from the call. */
		for (int i = 0; i < cs.nstreams; i++) {
			struct media_session_info mi;

			if (cs.st[i].sid && media_session_info(cs.st[i].sid, &mi) < 0)
				cs.st[i].sid = 0;
		}
		rc = dlg_restore(di, &cs);
	}
	if (rc == 0)
		ha.restored_calls++;
	else
		logs(LS_MAIN, LL_WARN, "redis: %s not restored: %s", key, strerror(-rc));
	free(di);
}

static void
restore_reg(redisContext *c, const char *key)
{
	struct loc_binding *b = calloc(LOC_MAX_BINDINGS, sizeof(*b));
	char aor[LOC_AOR_MAX];
	json_t *j = get_doc(c, key);
	int n = !b ? -ENOMEM : j ? ha_dec_reg(j, aor, sizeof(aor), b, LOC_MAX_BINDINGS,
					     loc_now_ms(), real_ms()) : -ENOENT;

	json_decref(j);
	for (int i = 0; i < n; i++) {
		struct loc_op op = {
			.contact = b[i].contact, .contact_len = strlen(b[i].contact), .q = b[i].q,
			.expires = (int)((b[i].expires_ms - loc_now_ms() + 999) / 1000),
		};
		struct loc_src src = {
			.received = b[i].received, .tp = b[i].tp, .conn_id = 0, .sock = b[i].sock,
		};

		if (op.expires > 0)
			loc_apply(aor, b[i].callid, b[i].cseq, &op, 1, false, &src, loc_now_ms());
	}
	if (n > 0)
		ha.restored_regs++;
	else if (n < 0)
		logs(LS_MAIN, LL_WARN, "redis: %s not restored: %s", key, strerror(-n));
	free(b);
}

/*
 * ha_restore(), and ha_takeover() with skip_existing: the media sessions a
 * standby pre-armed are kept as they are.
 */
static int
restore_all(bool skip_existing)
{
	redisContext *c;
	char **keys = NULL;
	size_t n = 0;
	int removed, pass;

	c = ha_connect_sync();
	if (c)
		keys = ha_scan_keys(c, &n);
	else
		logs(LS_MAIN, LL_WARN, "redis: nothing restored: kernel flows left by an earlier "
		     "daemon are removed");
	if (c && !keys)
		logs(LS_MAIN, LL_WARN, "redis %s: cannot list the keys: %s", ha.uri_str,
		     c->err ? c->errstr : "bad reply");
	/* Media first (calls point at sessions), then calls, then registrations. */
	for (pass = HA_MEDIA; keys && pass <= HA_REG; pass++)
		for (size_t i = 0; i < n; i++) {
			struct ha_item it;

			if (ha_key_parse(keys[i], strlen(keys[i]), &it) < 0 ||
			    (int)it.kind != pass)
				continue;
			if (it.kind == HA_MEDIA)
				ha_restore_media_key(c, keys[i], skip_existing);
			else if (it.kind == HA_CALL)
				restore_call(c, keys[i]);
			else
				restore_reg(c, keys[i]);
		}
	for (size_t i = 0; keys && i < n; i++)
		free(keys[i]);
	free(keys);
	if (c)
		redisFree(c);
	removed = media_flows_reconcile();
	if (removed > 0)
		ha.flows_removed = (uint64_t)removed;
	logs(LS_MAIN, LL_INFO, "redis: restored %llu call(s), %llu media session(s), %llu "
	     "registered AOR(s); %d kernel flow(s) without a session removed",
	     (unsigned long long)ha.restored_calls, (unsigned long long)ha.restored_sessions,
	     (unsigned long long)ha.restored_regs, removed < 0 ? 0 : removed);
	return (int)ha.restored_calls;
}

int
ha_restore(void)
{
	return ha.enabled ? restore_all(false) : 0;
}

int
ha_takeover(void)
{
	int rc;

	if (!ha.enabled || ha.role != HA_ROLE_STANDBY)
		return -EINVAL;
	ha_follow_stop();
	rc = restore_all(true);
	media_set_standby(false);	/* timeouts run again, from now */
	__atomic_store_n(&ha.role, HA_ROLE_ACTIVE, __ATOMIC_RELEASE);
	logs(LS_MAIN, LL_INFO, "redis: took over as the active node (lease %slease)", ha.prefix);
	return rc;
}

void
ha_forget_calls(void)
{
	redisContext *c;
	char **keys;
	size_t n = 0, gone = 0;

	/* Only the lease holder's stop ends the calls (a standby's or a fenced one's does not). */
	if (!ha.enabled || ha.role != HA_ROLE_ACTIVE || !(c = ha_connect_sync()))
		return;
	keys = ha_scan_keys(c, &n);
	for (size_t i = 0; keys && i < n; i++) {
		struct ha_item it;

		if (ha_key_parse(keys[i], strlen(keys[i]), &it) == 0 && it.kind != HA_REG) {
			redisReply *r = redisCommand(c, "DEL %s", keys[i]);

			gone += r && r->type == REDIS_REPLY_INTEGER ? (size_t)r->integer : 0;
			if (r)
				freeReplyObject(r);
			/* ... in the change log too: a standby drops its copy. */
			r = redisCommand(c, "XADD %slog MAXLEN ~ %s * k %s", ha.prefix,
					 HA_LOG_MAX_STR, keys[i]);
			if (r)
				freeReplyObject(r);
		}
		free(keys[i]);
	}
	free(keys);
	/* The lease goes too (if still ours): a standby may take over at once. */
	{
		redisReply *r = redisCommand(c, "EVAL %s 1 %slease %s", "if redis.call('GET', "
					     "KEYS[1]) == ARGV[1] then return redis.call('DEL', "
					     "KEYS[1]) end return 0", ha.prefix, ha.me);

		if (r)
			freeReplyObject(r);
	}
	redisFree(c);
	logs(LS_MAIN, LL_INFO, "redis: %zu call and media key(s) removed (clean stop)", gone);
}
