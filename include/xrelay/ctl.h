/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctl.h - what xrelayd's control socket and its clients (xrelayctl, tests,
 * scripts) agree on: where the socket is by default, the protocol version
 * and the longest request line.  One JSON object per line both ways:
 *   request   {"v": 1, "cmd": "media.create", "args": {...}, "id": <any scalar>}
 *   response  {"v": 1, "ok": true, "result": <any>}
 *           | {"v": 1, "ok": false, "code": "ENOENT", "error": "one-line reason"}
 * The daemon's side is daemon/ctl/ctl.h; the CLI is ctl-cli/xrelayctl.c.
 */
#ifndef XRELAY_CTL_H
#define XRELAY_CTL_H

#define XR_CTL_PATH		"/run/xrelay/xrelay.sock"	/* --ctl / -s default */
#define XR_CTL_PROTO_VERSION	1				/* "v" of every line */
#define XR_CTL_MAX_LINE		(64 * 1024)			/* longest request line */

#endif /* XRELAY_CTL_H */
