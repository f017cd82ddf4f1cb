// SPDX-License-Identifier: GPL-2.0
/*
 * privs.c - giving up root (privs.h).  glibc broadcasts setresgid(),
 * setgroups() and setresuid() to every thread, and a thread whose user ids
 * all become non-zero loses its permitted, effective and ambient capabilities
 * (no keep-caps), so the SIP workers and the relay thread started before the
 * switch end up with none either.  Owns nothing.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guard/privs.h"

int
privs_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int err;

	err = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (err)
		return -err;
	if (!res)
		return -ENOENT;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

bool
privs_any_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return true;
	return d[0].effective || d[1].effective || d[0].permitted || d[1].permitted;
}

int
privs_drop(const char *user, uid_t uid, gid_t gid)
{
	/* The bounding set first, while CAP_SETPCAP is still ours. */
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return -errno;
	if (initgroups(user, gid) < 0)
		return -errno;
	if (setresgid(gid, gid, gid) < 0)
		return -errno;
	if (setresuid(uid, uid, uid) < 0)
		return -errno;
	/* Never back: a failed check here means we are not where we think. */
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (uid != 0 && privs_any_caps())
		return -EPERM;
	return 0;
}
