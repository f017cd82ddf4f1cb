/* SPDX-License-Identifier: GPL-2.0 */
/*
 * commands.h - the core control commands (ctl/commands.c): status, flows,
 * stats, metrics, media.create/delete/list.  The SIP side registers its own
 * ("regs", "calls", "call.show", "call.kill") from proxy_init().
 */
#ifndef XR_CTL_COMMANDS_H
#define XR_CTL_COMMANDS_H

#include <jansson.h>
#include <stdio.h>

#include "config.h"

#define XRELAY_VERSION	"0.1.0"

struct fp;

/*
 * Register the core commands.  cfg and fp (NULL without --xdp) must outlive
 * the control socket.  0 or -errno.
 */
int	ctl_commands_init(const struct xr_config *cfg, struct fp *fp);

/*
 * The SIP side's statistics for `stats` (under "sip") and `metrics`
 * (xrelay_sip_*): fn returns a new object, called on the control thread, or
 * NULL without SIP.  Its keys, and the metric each becomes, are the rows of
 * sip/counters.def.  proxy_init() sets it.
 */
void	ctl_set_sip_stats(json_t *(*fn)(void));

/*
 * State replication (daemon/ha/, --redis): status() returns a new object for
 * `status` (under "replication"), metrics(f) writes its families into
 * `metrics`; both called on the control or HTTP thread, must not block.
 */
void	ctl_set_ha(json_t *(*status)(void), void (*metrics)(FILE *f));

/*
 * Every metric in the Prometheus text exposition format (0.0.4), as the
 * `metrics` command returns it: a malloc'd string the caller frees, or NULL
 * with errno set.  Callable from any thread registered with RCU; it reads
 * the counters with no lock the control loop holds.
 */
char	*ctl_metrics_text(void);

#endif /* XR_CTL_COMMANDS_H */
