/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ha.h - calls outlive the process: the daemon's state in Redis (--redis).
 *   ha.c       options, key names, the replication numbers (status, /metrics)
 *   codec.c    JSON documents of media sessions, calls and registrations (pure)
 *   queue.c    the bounded queue of changed objects the lower layers feed
 *   writer.c   the Redis thread: its libev loop, hiredis async, reconnects,
 *              re-syncs, the change log, the lease
 *   restore.c  at start-up: read this node's keys, rebuild media sessions,
 *              dialogs and registrations, reconcile the kernel flows; takeover
 *   follow.c   --standby: follow the active node's change log, pre-arm its
 *              media sessions, take the lease when the addresses move here
 * The lower layers only call back (media_set_change_cb, dlg_set_change_cb,
 * cm_set_change_cb, loc_set_change_cb, ctl_set_ha): none includes ha/.
 * Key layout: README "Calls outlive the process".
 */
#ifndef XR_HA_H
#define XR_HA_H

#include <stdbool.h>

#include "config.h"

/*
 * Parse --redis and --node-id (the host name when unset) and set up the
 * queue; connects to nothing.  0 (also without --redis: then every other
 * call is a no-op), or -EINVAL with a one-line reason in err.
 */
int	ha_init(const struct xr_config *cfg, char *err, size_t errlen);
/* --redis was given. */
bool	ha_enabled(void);
/*
 * Start-up, after media_init() and proxy_init(), before SIP starts: read
 * every key of this node (blocking, bounded by a connect/read timeout: no
 * SIP worker runs yet), restore media sessions, then confirmed dialogs,
 * then registrations, then delete the kernel flows no session owns.
 * Redis unreachable: logged, nothing restored (the flows are reconciled
 * against nothing: none is kept).  Returns the number of calls restored or
 * -errno.
 */
int	ha_restore(void);
/*
 * Install the change callbacks and start the Redis thread: it connects,
 * writes everything once (re-sync), then each change.  0 or -errno.
 */
int	ha_start(void);
/*
 * Stop (after SIP, before the proxy and media tables go): the callbacks
 * are removed, what is queued is written (bounded to ~2 s), the thread
 * ends.  The queue and the loop are left to the process's exit (a thread
 * that read a callback just before may still push).
 */
void	ha_stop(void);
/*
 * A clean stop (SIGTERM) ends every call: delete this node's call and
 * media keys (blocking, bounded), so that no later start restores them.
 * Registrations stay (they expire on their own).
 */
void	ha_forget_calls(void);

/*
 * At start-up, after ha_init(): should this node start as a standby?
 * --standby, or the lease is another live node's (a restarted former
 * active must not serve beside the one that took over).  Blocking, bounded.
 */
bool	ha_should_standby(const struct xr_config *cfg);
/*
 * Run as a standby (instead of ha_restore() + ha_start()): media sessions
 * bind with IP_FREEBIND and never time out; a thread follows the active
 * node's change log (Redis Streams, catching up from its last entry after
 * a reconnect), keeps every media session of the active node pre-armed
 * (same ports, kernel flows written and latched, so XDP forwards the first
 * packet that arrives once the service addresses move here), and when
 * every --sip and --media address is local and the lease is free, takes
 * the lease and calls on_takeover() (from its thread: post to the main loop).
 */
int	ha_standby_start(const struct xr_config *cfg, void (*on_takeover)(void));
/*
 * On the main loop, after on_takeover(): stop following, restore calls and
 * registrations (the pre-armed sessions kept), timeouts on again.  Then
 * call ha_start() and start SIP.  Returns the calls restored or -errno.
 */
int	ha_takeover(void);
/* This node is a standby (not serving SIP) now. */
bool	ha_is_standby(void);

#endif /* XR_HA_H */
