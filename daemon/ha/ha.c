// SPDX-License-Identifier: GPL-2.0
/*
 * ha.c - daemon/ha/'s state and what every part of it uses: --redis and
 * --node-id parsed (ha_init), the key names, and the replication numbers
 * for `xrelayctl status` and /metrics (ctl_set_ha()).  The Redis thread is
 * writer.c's, the standby's follower follow.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "ha/ha.h"
#include "ha/ha_int.h"

struct ha_state ha;

/* ---- keys ------------------------------------------------------------------- */

void
ha_key(char *buf, size_t cap, enum ha_kind kind, uint64_t id, const char *aor)
{
	switch (kind) {
	case HA_MEDIA:
		snprintf(buf, cap, "%smedia:%" PRIu64, ha.prefix, id);
		break;
	case HA_CALL:
		snprintf(buf, cap, "%scall:%" PRIu64, ha.prefix, id);
		break;
	case HA_REG:
		snprintf(buf, cap, "%sreg:%s", ha.prefix, aor);
		break;
	}
}

int
ha_key_parse(const char *key, size_t len, struct ha_item *out)
{
	size_t pl = strlen(ha.prefix);
	char tail[LOC_AOR_MAX + 16], *end;

	memset(out, 0, sizeof(*out));
	if (len <= pl || memcmp(key, ha.prefix, pl) != 0 || len - pl >= sizeof(tail))
		return -EINVAL;
	memcpy(tail, key + pl, len - pl);
	tail[len - pl] = '\0';
	if (strncmp(tail, "media:", 6) == 0 || strncmp(tail, "call:", 5) == 0) {
		out->kind = tail[0] == 'm' ? HA_MEDIA : HA_CALL;
		out->id = strtoull(strchr(tail, ':') + 1, &end, 10);
		return *end || !out->id ? -EINVAL : 0;
	}
	if (strncmp(tail, "reg:", 4) == 0 && tail[4] && strlen(tail + 4) < sizeof(out->aor)) {
		out->kind = HA_REG;
		memcpy(out->aor, tail + 4, strlen(tail + 4) + 1);
		return 0;
	}
	return -EINVAL;
}

/* ---- status and metrics ------------------------------------------------------------------ */

/* Age of the oldest change Redis has not acknowledged yet, in ms (0: caught up). */
static uint64_t
lag_ms(void)
{
	uint64_t q = ha_queue_oldest_ns(), now = xr_mono_ns();

	if (!q)
		return 0;
	return now > q ? (now - q) / 1000000 : 0;
}

static const char *
role_name(void)
{
	switch (__atomic_load_n(&ha.role, __ATOMIC_RELAXED)) {
	case HA_ROLE_ACTIVE:	return "active";
	case HA_ROLE_STANDBY:	return "standby";
	case HA_ROLE_FENCED:	return "fenced";
	}
	return "?";
}

json_t *
ha_status_json(void)
{
	json_t *o = ha_status_common();

	json_object_set_new(o, "role", json_string(role_name()));
	if (__atomic_load_n(&ha.role, __ATOMIC_RELAXED) == HA_ROLE_STANDBY)
		ha_follow_status(o);
	return o;
}

json_t *
ha_status_common(void)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			 "s:{s:I, s:I, s:I, s:I}}",
			 "redis", ha.uri_str, "node", ha.node,
			 "state", __atomic_load_n(&ha.connected, __ATOMIC_RELAXED) ? "connected" :
				  "disconnected",
			 "lag_ms", (json_int_t)lag_ms(),
			 "queue_max", HA_QUEUE_MAX,
			 "queued", (json_int_t)__atomic_load_n(&ha.queued, __ATOMIC_RELAXED),
			 "in_flight", (json_int_t)__atomic_load_n(&ha.in_flight, __ATOMIC_RELAXED),
			 "writes", (json_int_t)__atomic_load_n(&ha.writes, __ATOMIC_RELAXED),
			 "write_errors", (json_int_t)__atomic_load_n(&ha.write_errors,
								      __ATOMIC_RELAXED),
			 "dropped", (json_int_t)__atomic_load_n(&ha.dropped, __ATOMIC_RELAXED),
			 "resyncs", (json_int_t)__atomic_load_n(&ha.resyncs, __ATOMIC_RELAXED),
			 "connects", (json_int_t)__atomic_load_n(&ha.reconnects, __ATOMIC_RELAXED),
			 "restored", "calls", (json_int_t)ha.restored_calls,
			 "sessions", (json_int_t)ha.restored_sessions,
			 "registrations", (json_int_t)ha.restored_regs,
			 "flows_removed", (json_int_t)ha.flows_removed);
}

static void
metric(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	fprintf(f, "# HELP xrelay_ha_%s %s\n# TYPE xrelay_ha_%s %s\nxrelay_ha_%s %llu\n",
		name, help, name, type, name, (unsigned long long)v);
}

void
ha_metrics(FILE *f)
{
#define LD(x)	__atomic_load_n(&ha.x, __ATOMIC_RELAXED)
	metric(f, "connected", "gauge", "1 while the Redis connection is up",
	       (uint64_t)LD(connected));
	metric(f, "active", "gauge", "1 while this node holds the lease and serves (0: standby "
	       "or fenced)", LD(role) == HA_ROLE_ACTIVE);
	metric(f, "lag_milliseconds", "gauge", "age of the oldest change not yet written to Redis",
	       lag_ms());
	metric(f, "queued", "gauge", "changes waiting for Redis", LD(queued));
	metric(f, "in_flight", "gauge", "commands sent to Redis and not yet answered",
	       LD(in_flight));
	metric(f, "writes_total", "counter", "commands Redis acknowledged", LD(writes));
	metric(f, "write_errors_total", "counter", "commands that failed or were lost with the "
	       "connection (a re-sync follows)", LD(write_errors));
	metric(f, "dropped_total", "counter", "changes dropped on a full queue (a re-sync "
	       "follows)", LD(dropped));
	metric(f, "resyncs_total", "counter", "full re-syncs (every connect, every overflow)",
	       LD(resyncs));
	metric(f, "connects_total", "counter", "connection attempts to Redis", LD(reconnects));
	metric(f, "restored_calls", "gauge", "calls restored from Redis at start-up",
	       ha.restored_calls);
	metric(f, "restored_sessions", "gauge", "media sessions restored from Redis at start-up",
	       ha.restored_sessions);
#undef LD
}

/* ---- API ---------------------------------------------------------------------------------- */

bool
ha_enabled(void)
{
	return ha.enabled;
}

/* unix:/PATH, tcp:HOST:PORT, HOST:PORT; 0 or -EINVAL. */
static int
parse_uri(const char *s, struct ha_uri *u)
{
	const char *hp, *colon;

	memset(u, 0, sizeof(*u));
	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] != '/' || strlen(s + 5) >= sizeof(u->path))
			return -EINVAL;
		snprintf(u->path, sizeof(u->path), "%s", s + 5);
		return 0;
	}
	hp = strncmp(s, "tcp:", 4) == 0 ? s + 4 : s;
	colon = strrchr(hp, ':');
	if (!colon || colon == hp || (size_t)(colon - hp) >= sizeof(u->host))
		return -EINVAL;
	memcpy(u->host, hp, (size_t)(colon - hp));
	if (u->host[0] == '[' && u->host[strlen(u->host) - 1] == ']') {
		memmove(u->host, u->host + 1, strlen(u->host));
		u->host[strlen(u->host) - 1] = '\0';
	}
	u->port = atoi(colon + 1);
	return u->port > 0 && u->port < 65536 ? 0 : -EINVAL;
}

int
ha_init(const struct xr_config *cfg, char *err, size_t errlen)
{
	memset(&ha, 0, sizeof(ha));
	if (cfg->standby && !cfg->redis[0]) {
		snprintf(err, errlen, "--standby needs --redis");
		return -EINVAL;
	}
	if (!cfg->redis[0])
		return 0;
	if (parse_uri(cfg->redis, &ha.uri) < 0) {
		snprintf(err, errlen, "--redis %s: want unix:/PATH or tcp:HOST:PORT", cfg->redis);
		return -EINVAL;
	}
	snprintf(ha.uri_str, sizeof(ha.uri_str), "%s", cfg->redis);
	if (cfg->node_id[0]) {
		snprintf(ha.node, sizeof(ha.node), "%s", cfg->node_id);
	} else if (gethostname(ha.node, sizeof(ha.node)) < 0) {
		snprintf(ha.node, sizeof(ha.node), "xrelay");
	}
	ha.node[sizeof(ha.node) - 1] = '\0';
	if (strpbrk(ha.node, ": *?[]")) {
		snprintf(err, errlen, "--node-id %s: no ':', space or glob characters", ha.node);
		return -EINVAL;
	}
	snprintf(ha.prefix, sizeof(ha.prefix), "xr:%s:", ha.node);
	{
		char host[64] = "";

		/*
		 * Host and pin directory: one daemon per directory (flock), and a
		 * daemon restarted on it is the same node, which takes its own
		 * lease back at once.
		 */
		gethostname(host, sizeof(host) - 1);
		snprintf(ha.me, sizeof(ha.me), "%s:%s", host, cfg->pin_dir);
	}
	ha.role = HA_ROLE_ACTIVE;
	if (ha_queue_init() < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ha.enabled = true;
	return 0;
}

