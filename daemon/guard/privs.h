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
 * ambient; the bounding set too) and set no_new_privs, in every thread (see
 * privs.c for the one case where a thread may keep them).  Irreversible.
 * 0, or -errno after which the process must not go on.
 */
int	privs_drop(const char *user, uid_t uid, gid_t gid);

/* Threads of the process with a capability in their permitted or effective set. */
int	privs_threads_with_caps(void);
/* Any capability left in this thread's effective or permitted set? */
bool	privs_any_caps(void);

#endif /* XR_GUARD_PRIVS_H */
