/* SPDX-License-Identifier: GPL-2.0 */
/*
 * privs.h - least privilege for xrelayd (privs.c): once the XDP program is
 * attached and every socket is bound, become --user for good, with no
 * capability left in any thread.
 */
#ifndef XR_GUARD_PRIVS_H
#define XR_GUARD_PRIVS_H

#include <stdbool.h>
#include <sys/types.h>

/* uid and gid of user; 0, or -ENOENT (no such user) / -errno. */
int	privs_lookup(const char *user, uid_t *uid, gid_t *gid);

/*
 * Switch every thread of the process to uid/gid (with user's supplementary
 * groups) and drop every capability (effective, permitted, inheritable,
 * ambient; the bounding set too), and set no_new_privs on the calling thread.
 * Irreversible.  0, or -errno after which the process must not go on.
 */
int	privs_drop(const char *user, uid_t uid, gid_t gid);

/* Any capability left in this thread's effective or permitted set? */
bool	privs_any_caps(void);

#endif /* XR_GUARD_PRIVS_H */
