/* SPDX-License-Identifier: GPL-2.0 */
/*
 * registrar_ctl.h - the registrar's control commands (registrar_ctl.c):
 * "reg.del" removes an address of record and its bindings.  Listing them
 * ("regs") stays with the proxy.
 */
#ifndef XR_REGISTRAR_CTL_H
#define XR_REGISTRAR_CTL_H

/* Register the commands; after proxy_init(), before ctl_start().  0 or -errno. */
int	registrar_ctl_init(void);

#endif /* XR_REGISTRAR_CTL_H */
