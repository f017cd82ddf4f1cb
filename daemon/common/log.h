/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log.h - the daemon's logging: bgpd's five calls plus a level per subsystem.
 * log_warn() appends strerror(errno), log_warnx() does not; fatal()/fatalx()
 * are for start-up only.  Messages go to stderr (-f) or syslog.
 * Thread-safe: one write per message; levels may change at run time
 * (SIGHUP, `xrelayctl log level`) while other threads log.
 */
#ifndef XR_LOG_H
#define XR_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <time.h>

enum log_subsys { LS_MAIN, LS_SIP, LS_TX, LS_PROXY, LS_MEDIA, LS_FASTPATH, LS_CTL, LS__MAX };
enum log_level { LL_ERR = 3, LL_WARN = 4, LL_INFO = 6, LL_DEBUG = 7 };

void	log_init(bool foreground, int level, const char *ident);
/* Where foreground lines go (default STDERR_FILENO); for tests. */
void	log_set_fd(int fd);
/* Levels are read and written with relaxed atomics: any thread, any time. */
void	log_set_level(enum log_subsys s, int level);
int	log_get_level(enum log_subsys s);
bool	log_enabled(enum log_subsys s, int level);

/* Names as the config file, xrelayctl and the log lines write them. */
const char *log_subsys_name(enum log_subsys s);		/* "sip"; NULL if out of range */
const char *log_level_name(int level);			/* "error" "warn" "info" "debug" */
int	log_subsys_parse(const char *name);		/* LS_x, or -EINVAL */
int	log_level_parse(const char *name);		/* LL_x ("warning" too), or -EINVAL */
/* "main, sip, ..." / "error, warn, info, debug", for error messages. */
const char *log_subsys_list(void);
const char *log_level_list(void);

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

/*
 * Rate limiting for anything a peer can trigger: at most LOG_RL_BURST lines
 * per second from one call site (per thread).  What is dropped is counted,
 * and the next line the site may write is preceded by one saying how many
 * were suppressed and which message they were.
 */
#define LOG_RL_BURST	5

struct log_rl {
	long		sec;		/* CLOCK_MONOTONIC_COARSE second of the window */
	unsigned int	n;		/* lines written in that second */
	unsigned long	suppressed;	/* lines dropped since the last one written */
};

/* true: write the line now (after reporting what was suppressed). */
bool	log_rl_pass(struct log_rl *rl, enum log_subsys s, int level, const char *fmt);

#define log_ratelimited(sub, lvl, fmt, ...) do {				\
	static __thread struct log_rl _rl;					\
	if (log_enabled((sub), (lvl)) && log_rl_pass(&_rl, (sub), (lvl), (fmt)))	\
		logs((sub), (lvl), fmt, ##__VA_ARGS__);				\
} while (0)

#endif /* XR_LOG_H */
