/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sip.h - the entry point of the SIP side (transports, transactions, proxy,
 * registrar): what main.c calls.  Started only when --sip is given.
 */
#ifndef XR_SIP_H
#define XR_SIP_H

#include "config.h"

struct ev_loop;

/* Bind every --sip address (UDP and TCP), start the worker threads; 0 or -errno. */
int	sip_start(const struct xr_config *cfg, struct ev_loop *main_loop);
/* Stop the workers, close the sockets, free every transaction and binding. */
void	sip_stop(void);

#endif /* XR_SIP_H */
