/* SPDX-License-Identifier: GPL-2.0 */
/*
 * authfail.h - failed digest authentications per source address, of
 * daemon/guard (authfail.c): a source whose credentials fail n times within
 * a window is banned through the blocklist (ban.h, reason "auth"), so XDP
 * drops its SIP and media at the driver (--auth-fail-ban).  Trusted sources
 * are never banned (ban.c's exemption hook).  Thread-safe.
 */
#ifndef XR_GUARD_AUTHFAIL_H
#define XR_GUARD_AUTHFAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"

/* Sources tracked at once (the least recent of a probe window is forgotten). */
#define AUTHFAIL_SLOTS	4096

/*
 * One failed authentication from src: the n-th within window_s seconds bans
 * its address (a /32 or /128) for ban_s seconds (ban_s 0: never banned).
 * n 0: off.  Returns 1 when this failure got src banned, 0 when not (yet),
 * -EPERM when the ban was refused (an exempt source), another -errno of
 * ban_add().
 */
int	authfail_note(const union xr_sa *src, unsigned n, unsigned window_s, unsigned ban_s);
/* The same at a given time (ms on any monotonic scale), for the tests. */
int	authfail_note_at(const union xr_sa *src, unsigned n, unsigned window_s, unsigned ban_s,
			 uint64_t now_ms);
/* src's credentials were right: its failures are forgotten. */
void	authfail_clear(const union xr_sa *src);
/* Failures counted for src in its current window (tests). */
unsigned authfail_count(const union xr_sa *src);
/* Forget everything (tests). */
void	authfail_reset(void);

#endif /* XR_GUARD_AUTHFAIL_H */
