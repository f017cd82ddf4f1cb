/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ha_int.h - what the files of daemon/ha/ share (ha.h is the API): the
 * document codec, the queue of changed objects, the keys, the numbers.
 */
#ifndef XR_HA_INT_H
#define XR_HA_INT_H

#include <jansson.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "config.h"
#include "media/media.h"
#include "proxy/call_media.h"
#include "proxy/dialog.h"
#include "proxy/location.h"

#define HA_QUEUE_MAX	4096	/* changes queued while Redis is slow or away */
#define HA_INFLIGHT_MAX	512	/* commands sent and not yet answered */
#define HA_KEY_MAX	(LOC_AOR_MAX + 96)
#define HA_LOG_MAX_STR	"100000"	/* entries kept in the change log (XADD MAXLEN ~) */
#define HA_LEASE_MS	3000	/* lease lifetime; the active renews it every third */
/*
 * Take or renew the lease KEYS[1] for ARGV[1] (ARGV[2] ms): 1 when it is
 * ours now, 0 when another node holds it.
 */
#define HA_LEASE_LUA	"local v = redis.call('GET', KEYS[1]) " \
			"if v == false or v == ARGV[1] then " \
			"redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end return 0"

/* Which node serves: the one holding the lease (README "Standby"). */
enum ha_role { HA_ROLE_ACTIVE = 1, HA_ROLE_STANDBY, HA_ROLE_FENCED };

/* What changed: the kind of object, and which. */
enum ha_kind { HA_MEDIA = 1, HA_CALL, HA_REG };

struct ha_item {
	enum ha_kind	kind;
	uint64_t	id;			/* HA_MEDIA, HA_CALL */
	uint64_t	t_ns;			/* CLOCK_MONOTONIC when queued */
	char		aor[LOC_AOR_MAX];	/* HA_REG */
};

/* --redis parsed: a unix socket path, or host and port. */
struct ha_uri {
	char		path[108];		/* "" for TCP */
	char		host[128];
	int		port;
};

/* The module's state (ha.c); writer.c owns the thread, queue.c the queue. */
struct ha_state {
	bool		enabled;
	struct ha_uri	uri;
	char		uri_str[256];
	char		node[64];
	char		prefix[96];		/* "xr:<node>:" */
	char		me[352];		/* "<host>:<pin dir>": the lease's value */
	int		role;			/* enum ha_role, atomic */
	/* numbers for status and /metrics (relaxed atomics) */
	uint64_t	writes, write_errors, dropped, resyncs, reconnects;
	uint64_t	queued;			/* in the queue now */
	uint64_t	in_flight;		/* sent, not answered */
	uint64_t	oldest_ns;		/* oldest change not yet acknowledged, 0: none */
	int		connected;		/* 1 up, 0 down */
	uint64_t	restored_calls, restored_sessions, restored_regs, flows_removed;
};
extern struct ha_state ha;

/* queue.c */
int	ha_queue_init(void);
void	ha_queue_fini(void);
/* Queue a change (any thread, never blocks); full: dropped, counted, re-sync asked. */
void	ha_queue_push(enum ha_kind kind, uint64_t id, const char *aor);
/* Take the oldest change; false when none. */
bool	ha_queue_pop(struct ha_item *out);
/* Oldest queued change's time, 0: empty. */
uint64_t ha_queue_oldest_ns(void);
/* Was anything dropped since the last call (a full re-sync is due)? */
bool	ha_queue_take_overflow(void);
/* The writer's wake-up: set by writer.c, called after each push. */
extern void (*ha_queue_wake)(void);

/* codec.c */
json_t	*ha_enc_media(const struct media_session_info *mi);
int	 ha_dec_media(json_t *j, struct media_session_info *mi);
json_t	*ha_enc_call(const struct dlg_info *di, const struct cm_saved *cs);
int	 ha_dec_call(json_t *j, struct dlg_info *di, struct cm_saved *cs);
/* last_real: the latest expiry (CLOCK_REALTIME ms), for the key's own expiry. */
json_t	*ha_enc_reg(const char *aor, const struct loc_binding *b, int n, uint64_t mono_now,
		    uint64_t real_now, uint64_t *last_real);
/* The bindings still live at real_now, with expiries on the mono clock; count or -EINVAL. */
int	 ha_dec_reg(json_t *j, char *aor, size_t aor_cap, struct loc_binding *b, int max,
		    uint64_t mono_now, uint64_t real_now);

/* ha.c: the key of an object ("<prefix>media:<id>", ...), and back. */
void	ha_key(char *buf, size_t cap, enum ha_kind kind, uint64_t id, const char *aor);
/* 0 and the item, or -EINVAL for a key of no kind we write. */
int	ha_key_parse(const char *key, size_t len, struct ha_item *out);

/* restore.c: a blocking connection (start-up only); NULL after a log line. */
struct redisContext *ha_connect_sync(void);
/* Every key of this node (NULL-terminated, malloc'd strings); NULL on error. */
char	**ha_scan_keys(struct redisContext *c, size_t *n);
/* Restore (or, with skip_existing, pre-armed already: keep) one media key. */
int	ha_restore_media_key(struct redisContext *c, const char *key, bool skip_existing);

/* ha.c: status and metrics (ctl_set_ha()); the part common to both roles. */
json_t	*ha_status_json(void);
json_t	*ha_status_common(void);
void	ha_metrics(FILE *f);

/* follow.c: the standby's own numbers, added to status; stop its thread. */
void	ha_follow_status(json_t *o);
void	ha_follow_stop(void);

#endif /* XR_HA_INT_H */
