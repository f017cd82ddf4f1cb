/* SPDX-License-Identifier: GPL-2.0 */
/*
 * commands.h - the core control commands (ctl/commands.c): status, flows,
 * stats, metrics, media.create/delete/list.  The SIP side registers its own
 * ("regs", "calls", "call.show", "call.kill") from proxy_init().
 */
#ifndef XR_CTL_COMMANDS_H
#define XR_CTL_COMMANDS_H

#include "config.h"

#define XRELAY_VERSION	"0.1.0"

struct fp;

/*
 * Register the core commands.  cfg and fp (NULL without --xdp) must outlive
 * the control socket.  0 or -errno.
 */
int	ctl_commands_init(const struct xr_config *cfg, struct fp *fp);

#endif /* XR_CTL_COMMANDS_H */
