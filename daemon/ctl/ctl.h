/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctl.h - the control socket: a unix stream socket speaking JSON lines.
 *
 * Protocol (one JSON object per line, both ways):
 *   request   {"cmd": "media.create", "args": {...}}
 *   response  {"ok": true, "result": <any>}
 *           | {"ok": false, "error": "one-line reason"}
 * Modules register their commands with ctl_register() before ctl_start();
 * handlers run on the main loop's thread and must only take RCU read locks
 * or short mutexes.
 */
#ifndef XR_CTL_H
#define XR_CTL_H

#include <jansson.h>
#include <stddef.h>

struct ev_loop;

/*
 * A command: args is the request's "args" (NULL when absent).  On success set
 * *result to a new reference and return 0; on failure write a one-line
 * reason to err and return -errno.
 */
typedef int (*ctl_fn)(json_t *args, json_t **result, char *err, size_t errlen);

int	ctl_register(const char *name, ctl_fn fn, const char *help);
/* Listen on path (mode 0660, parent directory created); 0 or -errno. */
int	ctl_start(struct ev_loop *loop, const char *path);
void	ctl_stop(void);
/* Run one request line through the command table (tests use it directly). */
json_t	*ctl_dispatch(const char *line, size_t len);

#endif /* XR_CTL_H */
