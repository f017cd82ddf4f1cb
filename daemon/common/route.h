/* SPDX-License-Identifier: GPL-2.0 */
/*
 * route.h - "which of my addresses faces this party" for a multi-homed host
 * (DESIGN.md: Kamailio's mhomed).  Asks the kernel's routing table by
 * connecting a throw-away UDP socket and reading back its source address.
 */
#ifndef XR_ROUTE_H
#define XR_ROUTE_H

#include "common/addr.h"

/*
 * Source address the kernel would use towards dst (port 0); 0 or -errno.
 * Cached per thread for up to a second (a route change shows within it).
 */
int	route_src_for(const union xr_sa *dst, union xr_sa *src);
/*
 * Pick from cands[0..n) the one the route to dst leaves from; failing that
 * the first one of dst's family; failing that the first.  Returns an index,
 * or -1 when n == 0.
 */
int	route_pick(const union xr_sa *cands, int n, const union xr_sa *dst);

/*
 * The MTU of the path to dst as the kernel knows it (the route's MTU, or
 * what path MTU discovery learnt), in bytes; -errno when there is no route.
 */
int	route_mtu_for(const union xr_sa *dst);

#endif /* XR_ROUTE_H */
