/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctl.h - the control socket: a unix stream socket speaking JSON lines.
 *
 * Protocol version XR_CTL_PROTO_VERSION (include/xrelay/ctl.h, shared with
 * xrelayctl; one JSON object per line, both ways; README "The control
 * protocol"):
 *   request   {"v": 1, "cmd": "media.create", "args": {...}, "id": <any scalar>}
 *             "v" absent means 1; "args" and "id" are optional
 *   response  {"v": 1, "ok": true, "result": <any>}
 *           | {"v": 1, "ok": false, "code": "ENOENT", "error": "one-line reason"}
 *             and "id" copied from the request when it had one.
 * "code" is the errno name of what failed: EBADMSG (not JSON), EINVAL (bad
 * request or arguments), EPROTONOSUPPORT (another "v"), ENOSYS (unknown
 * command), EMSGSIZE (line over 64 KiB: the connection closes), EPERM (peer
 * not allowed: closes), EUSERS (too many clients: closes), or whatever a
 * command returned (ENOENT, EBUSY, ...).
 * Modules register their commands with ctl_register() before ctl_start();
 * handlers run on the main loop's thread and must only take RCU read locks
 * or short mutexes.
 */
#ifndef XR_CTL_H
#define XR_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "xrelay/ctl.h"		/* XR_CTL_PATH, XR_CTL_PROTO_VERSION */

struct ev_loop;

/*
 * A command: args is the request's "args" (NULL when absent).  On success set
 * *result to a new reference and return 0; on failure write a one-line
 * reason to err and return -errno.
 */
typedef int (*ctl_fn)(json_t *args, json_t **result, char *err, size_t errlen);

#define CTL_MAX_LINE		XR_CTL_MAX_LINE	/* longest request line */
#define CTL_MAX_CLIENTS		64		/* connections served at once */

int	ctl_register(const char *name, ctl_fn fn, const char *help);
/*
 * Let members of group name (primary or supplementary) use the socket, and
 * give the socket file that group; NULL or "" for none (root and the
 * daemon's uid only).  Call before ctl_start().  0, or -ENOENT (no such
 * group, logged) or -errno.
 */
int	ctl_set_group(const char *name);
/* Listen on path (mode 0660, parent directory created); 0 or -errno. */
int	ctl_start(struct ev_loop *loop, const char *path);
void	ctl_stop(void);
/* Run one request line through the command table (tests use it directly). */
json_t	*ctl_dispatch(const char *line, size_t len);
/* The name of a positive errno ("ENOENT"), as replies carry it in "code". */
const char *ctl_errcode(int err);

/*
 * The fast path (fastline.c, server.c): a request line of the simple shape
 * ({"v":1,"id":..,"cmd":"..","args":{"k":"string" or integer, ...}}, plain
 * ASCII strings) is parsed without jansson, and a command that registered a
 * ctl_fast_fn writes its result's JSON text itself.  What is not simple goes
 * the general way, with the same replies.
 */
#define CTL_FAST_MAX_ARGS	8

struct ctl_fast_arg {
	const char	*key, *str;	/* not NUL-terminated; str NULL for an integer */
	size_t		 klen, slen;
	bool		 is_int;
	long long	 ival;
};

struct ctl_fast_req {
	const char	*cmd;		/* not NUL-terminated */
	size_t		 cmdlen;
	const char	*id;		/* the id's JSON text (a string with its quotes), or NULL */
	size_t		 idlen;
	bool		 has_args;
	int		 nargs;
	struct ctl_fast_arg args[CTL_FAST_MAX_ARGS];
};

/* 0 when line is a request of the simple shape (r points into line), else -EINVAL. */
int	ctl_fast_parse(const char *line, size_t len, struct ctl_fast_req *r);
/* The argument named key, or NULL. */
const struct ctl_fast_arg *ctl_fast_arg(const struct ctl_fast_req *r, const char *key);
/*
 * A command's fast handler: write its "result" as JSON text into out (len
 * bytes) and return how many bytes; 0 to leave the request to the general
 * handler (arguments it does not take, no room); -errno with a one-line
 * reason in err, exactly as the general handler would fail.
 */
typedef int (*ctl_fast_fn)(const struct ctl_fast_req *r, char *out, size_t len, char *err,
			   size_t errlen);
/* Give the command name, registered already, a fast handler.  0 or -ENOENT. */
int	ctl_register_fast(const char *name, ctl_fast_fn fn);
/*
 * The reply line (with its newline) the fast path gives for line, into out;
 * its length, 0 when the line is not for the fast path, -ENOBUFS for no
 * room.  server.c's clients use it; tests call it directly.
 */
int	ctl_dispatch_fast(const char *line, size_t len, char *out, size_t outlen);

#endif /* XR_CTL_H */
