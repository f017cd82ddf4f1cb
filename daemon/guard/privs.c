// SPDX-License-Identifier: GPL-2.0
/*
 * privs.c - giving up root (privs.h).  glibc broadcasts setresgid(),
 * setgroups() and setresuid() to every thread, and a thread whose user ids
 * all become non-zero loses its permitted, effective and ambient capabilities
 * (no keep-caps).  Capability sets, the bounding set and no_new_privs are
 * per thread, though, and a daemon started as its user with ambient
 * capabilities (systemd User= + AmbientCapabilities=) changes no uid: so
 * every thread is also signalled to clear its own sets (privs_clear_threads).
 * Owns the signal it borrows for that, only while it runs.
 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
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

static int privs_acks;
static int privs_keep_sets;	/* 1: bounding, ambient, no_new_privs only (uid switch follows) */

/*
 * Clear this thread's capabilities (bounding set, ambient, and unless
 * privs_keep_sets the permitted, effective and inheritable sets) and set
 * no_new_privs; async-signal-safe (raw syscalls only).
 */
static void
clear_own(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		prctl(PR_CAPBSET_DROP, c, 0, 0, 0);	/* EPERM without CAP_SETPCAP: fine */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (!__atomic_load_n(&privs_keep_sets, __ATOMIC_ACQUIRE))
		syscall(SYS_capset, &h, d);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

static void
on_clear_sig(int sig)
{
	int saved = errno;

	clear_own();
	__atomic_add_fetch(&privs_acks, 1, __ATOMIC_RELEASE);
	errno = saved;
}

/*
 * Every thread of the process clears its own capability sets and sets
 * no_new_privs: the others through a real-time signal (none of xrelayd's
 * threads blocks signals), waited for 2 s at most, then this one.
 */
static int
privs_clear_threads(void)
{
	struct sigaction sa, old;
	int sig = SIGRTMIN + 4, sent = 0, err = 0;
	pid_t me = (pid_t)syscall(SYS_gettid), pid = getpid();
	struct dirent *e;
	DIR *d;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_clear_sig;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, &old) < 0)
		return -errno;
	__atomic_store_n(&privs_acks, 0, __ATOMIC_RELEASE);
	d = opendir("/proc/self/task");
	if (!d) {
		err = -errno;
		goto out_restore;
	}
	while ((e = readdir(d))) {
		pid_t tid = (pid_t)atoi(e->d_name);

		if (tid <= 0 || tid == me)
			continue;
		if (syscall(SYS_tgkill, pid, tid, sig) == 0)
			sent++;
	}
	closedir(d);
	for (int i = 0; i < 200 && __atomic_load_n(&privs_acks, __ATOMIC_ACQUIRE) < sent; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	if (__atomic_load_n(&privs_acks, __ATOMIC_ACQUIRE) < sent)
		err = -ETIMEDOUT;
	if (!__atomic_load_n(&privs_keep_sets, __ATOMIC_ACQUIRE))
		clear_own();
out_restore:
	sigaction(sig, &old, NULL);
	return err;
}

int
privs_threads_with_caps(void)
{
	struct dirent *e;
	DIR *d = opendir("/proc/self/task");
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[300], line[128];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if ((strncmp(line, "CapPrm:", 7) == 0 || strncmp(line, "CapEff:", 7) == 0) &&
			    strtoull(line + 7, NULL, 16) != 0) {
				n++;
				break;
			}
		fclose(f);
	}
	closedir(d);
	return n;
}

int
privs_drop(const char *user, uid_t uid, gid_t gid)
{
	/*
	 * Already that user (systemd User= with AmbientCapabilities=): no uid
	 * changes, so nothing clears the other threads' sets by itself.  With
	 * CAP_SETUID, hop through effective uid 0: the switch back below, from
	 * a 0 to all non-zero ids, then empties every thread's sets (glibc
	 * applies it to all of them).  Without it, signal each thread to clear
	 * its own; a library thread that blocks signals (liburcu's call_rcu)
	 * keeps its capabilities (privs_threads_with_caps() tells).
	 */
	if (getuid() == uid && geteuid() == uid && uid != 0 && setresuid(-1, 0, -1) < 0) {
		__atomic_store_n(&privs_keep_sets, 0, __ATOMIC_RELEASE);
		privs_clear_threads();
		return privs_any_caps() ? -EPERM : 0;
	}
	/*
	 * Every other thread drops its bounding set and sets no_new_privs while
	 * it still has CAP_SETPCAP; the uid switch below then empties their
	 * other sets.  This thread keeps CAP_SETUID/SETGID until then.
	 */
	__atomic_store_n(&privs_keep_sets, 1, __ATOMIC_RELEASE);
	privs_clear_threads();	/* a thread that blocks signals keeps its bounding set */
	/* The bounding set first, while CAP_SETPCAP is ours (when it is). */
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL && errno != EPERM)
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
	if (uid != 0 && (privs_any_caps() || privs_threads_with_caps() > 0))
		return -EPERM;
	return 0;
}
