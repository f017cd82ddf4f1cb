/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pike.h - per-source SIP request rate limit of daemon/guard (pike.c), after
 * Kamailio's pike module: a token bucket per source address, per SIP worker
 * thread (no locks, no shared cache lines); a source over the limit is
 * banned for --ban-time seconds through the blocklist (ban.h), so XDP drops
 * its SIP and media at the driver.  The transports call pike_request() once
 * per parsed request.
 */
#ifndef XR_GUARD_PIKE_H
#define XR_GUARD_PIKE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"

struct json_t;

/* Sources each worker tracks at once (least active replaced first). */
#define PIKE_SLOTS	4096

/*
 * rate: requests a second per source (0: no rate limit, bans still checked),
 * burst: bucket size, ban_s: how long an offender is banned (0: not banned,
 * only its excess requests are dropped).  Takes effect for every worker.
 */
void	pike_configure(unsigned rate, unsigned burst, unsigned ban_s);

/*
 * The transports' hook, once per parsed request from src: true to go on,
 * false to drop it silently (a banned source, or over its rate: then banned).
 * Any thread; each thread has its own buckets.
 */
bool	pike_request(const union xr_sa *src);
/* The same at a given time (ms on any monotonic scale), for the tests. */
bool	pike_request_at(const union xr_sa *src, uint64_t now_ms);

/* {"rate", "burst", "ban_time", "limited", "banned", "banned_dropped"} totals. */
struct json_t	*pike_stats_json(void);
/* Free the calling thread's buckets (a worker on its way out; tests). */
void	pike_thread_fini(void);

#endif /* XR_GUARD_PIKE_H */
