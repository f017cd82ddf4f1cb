// SPDX-License-Identifier: GPL-2.0
/*
 * log.c - formatting and output of the daemon's log lines (see log.h).
 * Owns the per-subsystem levels, their names, and the rate limiter's
 * bookkeeping; nothing else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"

static bool log_fg = true;
static int log_fd = STDERR_FILENO;
/* Written by the main thread (reload) and the control thread, read by all. */
static int log_levels[LS__MAX] = { [0 ... LS__MAX - 1] = LL_INFO };
static const char *const subsys_names[LS__MAX] = {
	"main", "sip", "tx", "proxy", "media", "fastpath", "ctl",
};
/* Indexed by syslog priority; NULL where xrelay has no level. */
static const char *const level_names[8] = {
	[LL_ERR] = "error", [LL_WARN] = "warn", [LL_INFO] = "info", [LL_DEBUG] = "debug",
};

void
log_init(bool foreground, int level, const char *ident)
{
	log_fg = foreground;
	for (int i = 0; i < LS__MAX; i++)
		__atomic_store_n(&log_levels[i], level, __ATOMIC_RELAXED);
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_fd(int fd)
{
	log_fd = fd;
}

void
log_set_level(enum log_subsys s, int level)
{
	if ((unsigned int)s < LS__MAX)
		__atomic_store_n(&log_levels[s], level, __ATOMIC_RELAXED);
}

int
log_get_level(enum log_subsys s)
{
	return (unsigned int)s < LS__MAX ? __atomic_load_n(&log_levels[s], __ATOMIC_RELAXED)
					 : LL_INFO;
}

bool
log_enabled(enum log_subsys s, int level)
{
	return (unsigned int)s < LS__MAX &&
	       level <= __atomic_load_n(&log_levels[s], __ATOMIC_RELAXED);
}

const char *
log_subsys_name(enum log_subsys s)
{
	return (unsigned int)s < LS__MAX ? subsys_names[s] : NULL;
}

const char *
log_level_name(int level)
{
	return level >= 0 && level < 8 && level_names[level] ? level_names[level] : "?";
}

int
log_subsys_parse(const char *name)
{
	for (int i = 0; i < LS__MAX; i++)
		if (strcmp(name, subsys_names[i]) == 0)
			return i;
	return -EINVAL;
}

int
log_level_parse(const char *name)
{
	for (int i = 0; i < 8; i++)
		if (level_names[i] && strcmp(name, level_names[i]) == 0)
			return i;
	if (strcmp(name, "warning") == 0)	/* syslog's name for it */
		return LL_WARN;
	return -EINVAL;
}

const char *
log_subsys_list(void)
{
	return "main, sip, tx, proxy, media, fastpath, ctl";
}

const char *
log_level_list(void)
{
	return "error, warn, info, debug";
}

bool
log_rl_pass(struct log_rl *rl, enum log_subsys s, int level, const char *fmt)
{
	long sec = (long)xr_coarse_s();

	if (sec != rl->sec) {
		if (rl->suppressed)
			logs(s, level, "rate limit: %lu more like \"%.60s\" suppressed",
			     rl->suppressed, fmt);
		rl->sec = sec;
		rl->n = 0;
		rl->suppressed = 0;
	}
	if (rl->n < LOG_RL_BURST) {
		rl->n++;
		return true;
	}
	rl->suppressed++;
	return false;
}

static void
log_out(enum log_subsys s, int level, const char *msg)
{
	static const char *const lvl[8] = { "emerg", "alert", "crit", "error",
					    "warn", "notice", "info", "debug" };

	if (!log_fg) {
		syslog(level, "%s: %s", subsys_names[s], msg);
		return;
	}
	struct timespec ts;
	struct tm tm;
	char line[2048];
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld %-5s %-8s %s\n",
			 tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
			 lvl[level & 7], subsys_names[s], msg);
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	/* One write per line so threads do not interleave. */
	if (write(log_fd, line, (size_t)n) < 0) {
		/* nothing sensible to do */
	}
}

void
vlogs(enum log_subsys s, int level, const char *fmt, va_list ap)
{
	char msg[1536];
	if (!log_enabled(s, level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_out(s, level, msg);
}

void
logs(enum log_subsys s, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlogs(s, level, fmt, ap);
	va_end(ap);
}

static void
vlog_errno(int level, int err, const char *fmt, va_list ap)
{
	char msg[1400];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err)
		logs(LS_MAIN, level, "%s: %s", msg, strerror(err));
	else
		logs(LS_MAIN, level, "%s", msg);
}

#define LOG_BODY(level, err) do {		\
	int _e = (err); va_list ap;		\
	va_start(ap, fmt);			\
	vlog_errno((level), _e, fmt, ap);	\
	va_end(ap);				\
} while (0)

void log_warn(const char *fmt, ...)  { LOG_BODY(LL_WARN, errno); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LL_WARN, 0); }
void log_info(const char *fmt, ...)  { LOG_BODY(LL_INFO, 0); }
void log_debug(const char *fmt, ...) { LOG_BODY(LL_DEBUG, 0); }

void
fatal(const char *fmt, ...)
{
	LOG_BODY(LL_ERR, errno);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LL_ERR, 0);
	exit(1);
}
