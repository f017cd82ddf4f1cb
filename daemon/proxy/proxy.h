/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proxy.h - the transaction user: RFC 3261 §16 stateful proxy core, the §10
 * registrar and its location service, dialogs.  main.c calls proxy_init()
 * before sip_start() (it registers itself with the transaction layer and its
 * control commands: "regs", "calls", "call.show", "call.kill"), and
 * proxy_fini() after sip_stop().
 */
#ifndef XR_PROXY_H
#define XR_PROXY_H

#include "config.h"

int	proxy_init(const struct xr_config *cfg);
void	proxy_fini(void);

#endif /* XR_PROXY_H */
