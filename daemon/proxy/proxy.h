/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proxy.h - the transaction user: RFC 3261 §16 stateful proxy core, the §10
 * registrar and its location service, dialogs.  main.c calls proxy_init()
 * before sip_start() (it registers itself with the transaction layer and its
 * control commands: "regs", "calls", "call.show", "call.kill"),
 * proxy_stop() before sip_stop() (the DNS resolver thread ends, so nothing
 * posts to the workers from it), and proxy_fini() after sip_stop().
 */
#ifndef XR_PROXY_H
#define XR_PROXY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "config.h"

int	proxy_init(const struct xr_config *cfg);
void	proxy_stop(void);
void	proxy_fini(void);

/*
 * Make cfg's access options live (access_cfg.c): the trusted and denied sets
 * and our own addresses (--sip, --media, the interfaces) for policy/, the
 * nonce ttl, the credentials file (re-read on every call).  start: the first
 * call (a new nonce secret; a credentials error is fatal: -errno with the
 * reason in err); later calls keep the running credentials when the file
 * has an error (logged).  From main.c at start-up and on SIGHUP.
 */
int	access_apply_config(const struct xr_config *cfg, bool start, char *err, size_t errlen);
/* The access counters and table sizes for `stats` / metrics (never hashes). */
json_t	*access_stats_json(void);

#endif /* XR_PROXY_H */
