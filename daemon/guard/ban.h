/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ban.h - the blocklist of daemon/guard (ban.c): banned source prefixes with
 * an expiry, written to the XDP program's xr_bans LPM trie (dropped at the
 * driver on every --xdp interface) and kept in userspace for the SIP
 * transports' own check (interfaces without XDP).  Never bans an exempt
 * (trusted) source: loopback, the configured exemptions, and whatever the
 * exemption hook says.  Thread-safe: a rwlock over a small table.
 */
#ifndef XR_GUARD_BAN_H
#define XR_GUARD_BAN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "xrelay/flow.h"

struct fp;
struct ev_loop;
struct json_t;

/*
 * Exemption hook: true when prefix/plen must never be banned (e.g. a trusted
 * peer, `--trusted CIDR` of the access rules).  Called under no lock of
 * ban.c; must be thread-safe.  A ban is refused when the hook exempts the
 * banned prefix itself or when an exempt prefix lies inside it.
 */
typedef bool (*ban_exempt_fn)(const union xr_sa *prefix, int plen, void *arg);

/*
 * Set up the table; fp NULL without the fast path.  Unexpired bans found in
 * a pinned xr_bans (an earlier daemon's) are adopted, expired ones deleted.
 * 0 or -errno.
 */
int	ban_init(struct fp *fp);
/* Sweep expired bans once a second on loop (the main loop). */
void	ban_start(struct ev_loop *loop);
/* Stop the sweep, remove every ban from the kernel, free the table. */
void	ban_fini(void);

/* The exemption hook (NULL: none), and fixed exempt prefixes (config). */
void	ban_set_exempt(ban_exempt_fn fn, void *arg);
int	ban_exempt_add(const union xr_sa *prefix, int plen);

/*
 * Ban prefix/plen (plen in its family: <= 32 or <= 128) for seconds (0: until
 * deleted) for reason XR_BAN_*.  A ban of a prefix already banned is
 * replaced (its expiry moves).  0; -EPERM for an exempt prefix; -EINVAL;
 * -ENOSPC when XR_BANS_MAX are banned; another -errno from the kernel map
 * (the userspace ban stands).
 */
int	ban_add(const union xr_sa *prefix, int plen, unsigned seconds, unsigned reason);
/* Lift a ban (exactly that prefix). 0 or -ENOENT. */
int	ban_del(const union xr_sa *prefix, int plen);
/* Is src inside an unexpired ban?  Lock-free when nothing is banned. */
bool	ban_check(const union xr_sa *src);
/* Delete the expired bans; returns how many. */
int	ban_sweep(void);
/* Bans in force. */
int	ban_count(void);

/*
 * "10.0.0.0/24", "192.0.2.7" (a /32), "2001:db8::/32", "[2001:db8::1]" or
 * "2001:db8::1" (a /128): the prefix with the host bits cleared.  0 or -EINVAL.
 */
int	ban_parse(const char *s, union xr_sa *prefix, int *plen);

/*
 * [{"prefix": "10.0.0.0/24", "reason": "manual"|"pike"|"auth", "expires_in": s | null,
 *   "hits": userspace drops}], oldest first.  A new reference.
 */
struct json_t	*ban_list_json(void);

/* Test hook: the monotonic clock in ns (NULL: CLOCK_MONOTONIC). */
void	ban_set_clock(uint64_t (*now_ns)(void));

#endif /* XR_GUARD_BAN_H */
