/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log.h - the daemon's logging: bgpd's five calls plus a level per subsystem.
 * log_warn() appends strerror(errno), log_warnx() does not; fatal()/fatalx()
 * are for start-up only.  Messages go to stderr (-f) or syslog.
 * Thread-safe: one write per message.
 */
#ifndef XR_LOG_H
#define XR_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <time.h>

enum log_subsys { LS_MAIN, LS_SIP, LS_TX, LS_PROXY, LS_MEDIA, LS_FASTPATH, LS_CTL, LS__MAX };
enum log_level { LL_ERR = 3, LL_WARN = 4, LL_INFO = 6, LL_DEBUG = 7 };

void	log_init(bool foreground, int level, const char *ident);
void	log_set_level(enum log_subsys s, int level);
int	log_get_level(enum log_subsys s);
bool	log_enabled(enum log_subsys s, int level);
void	vlogs(enum log_subsys s, int level, const char *fmt, va_list ap)
	    __attribute__((format(printf, 3, 0)));
void	logs(enum log_subsys s, int level, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Subsystem logging, checked before the arguments are formatted. */
#define slog(sub, lvl, ...)						\
	do { if (log_enabled((sub), (lvl))) logs((sub), (lvl), __VA_ARGS__); } while (0)
#define sip_debug(...)		slog(LS_SIP, LL_DEBUG, __VA_ARGS__)
#define media_debug(...)	slog(LS_MEDIA, LL_DEBUG, __VA_ARGS__)
#define fp_debug(...)		slog(LS_FASTPATH, LL_DEBUG, __VA_ARGS__)

/* At most `burst` messages per second from one call site (for bad input). */
#define log_ratelimited(sub, lvl, ...) do {					\
	static __thread long _rl_sec; static __thread int _rl_n;		\
	struct timespec _rl_ts; clock_gettime(CLOCK_MONOTONIC_COARSE, &_rl_ts);	\
	if (_rl_ts.tv_sec != _rl_sec) { _rl_sec = _rl_ts.tv_sec; _rl_n = 0; }	\
	if (_rl_n++ < 5) slog((sub), (lvl), __VA_ARGS__);			\
} while (0)

#endif /* XR_LOG_H */
