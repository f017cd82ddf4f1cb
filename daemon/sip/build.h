/* SPDX-License-Identifier: GPL-2.0 */
/*
 * build.h - the one place that builds SIP messages: every message xrelayd
 * originates (a response to a request, RFC 3261 §8.2.6, §16.7 for a
 * proxy's own responses; the CANCEL and the ACK for a non-2xx of a request
 * we sent, §9.1, §17.1.1.3; the BYE that ends a call from the middle), and
 * a forwarded request as a list of edits over the received buffer (§16.6:
 * Via, Route pop, Record-Route, Max-Forwards, Request-URI, body).  Output
 * always goes to a caller-supplied buffer (through common/wbuf.h); nothing
 * allocates, nothing is global or thread-local.
 */
#ifndef XR_SIP_BUILD_H
#define XR_SIP_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/msg.h"

/*
 * Build a response to req into out.  Copies every Via line, From, To,
 * Call-ID and CSeq verbatim (§8.2.6.2); when to_tag is given (s != NULL)
 * and the To has no tag, appends ";tag=<to_tag>".  reason NULL means the
 * default phrase of the code.  extra (may be NULL) is inserted verbatim
 * after CSeq: whole header lines, each ending in CRLF.  body (may be NULL)
 * is appended with Content-Type ctype (required when body->len > 0);
 * Content-Length is always written.  Works on a message whose parse failed
 * when err.can_reply was set (uses raw header lines only).
 * Returns the length written (no NUL), -ENOSPC when out is too small,
 * -EINVAL for a bad code or a req that is not a request.
 */
int	sip_build_response(char *out, size_t cap, const struct sip_msg *req, int code,
			   const char *reason, const struct sip_str *to_tag,
			   const struct sip_str *extra, const struct sip_str *body,
			   const struct sip_str *ctype);

/*
 * The CANCEL (resp NULL, §9.1) or the ACK for the non-2xx final resp
 * (§17.1.1.3) of the request inv we sent, as parsed: inv's Request-URI,
 * top Via, Route lines, From, Call-ID and CSeq number; To from resp (ACK)
 * or inv (CANCEL); Max-Forwards 70, no body.  The length written, -ENOSPC
 * when out is too small, -EINVAL when a header is missing.
 */
int	sip_build_cancel_ack(char *out, size_t cap, const struct sip_msg *inv,
			     const struct sip_msg *resp);

/* A BYE we send ourselves, in the name of one party of a dialog. */
struct sip_bye {
	const char	*ruri;		/* the other party's remote target */
	const char	*transport;	/* Via transport: "UDP" or "TCP" */
	const char	*sent_by;	/* Via sent-by: our address and port */
	const char	*branch;
	const char	*routes;	/* the route set as whole "Route: ...\r\n" lines, or "" */
	const char	*from, *from_tag;	/* From value, and a tag to add (NULL: none) */
	const char	*to, *to_tag;		/* To value, and a tag to add (NULL: none) */
	const char	*callid;
	uint32_t	 cseq;
	const char	*reason;	/* the text of "Reason: SIP;cause=200;text=..." */
};

/* Build b into out.  The length written, or -ENOSPC. */
int	sip_build_bye(char *out, size_t cap, const struct sip_bye *b);

/* Default reason phrase of a status code (RFC 3261 §21), "Unknown" if none. */
const char	*sip_reason_phrase(int code);

/* ---- edits over a received message ------------------------------------ */

#define SIP_EDIT_MAX		32	/* edits in one sip_edit */
#define SIP_EDIT_SCRATCH	512	/* bytes for generated text (numbers, params) */

struct sip_edit_op {
	int		 off;	/* where in m->buf the edit applies */
	int		 del;	/* bytes of m->buf removed from off */
	struct sip_str	 ins;	/* bytes inserted at off (before what follows) */
	int		 seq;	/* insertion order, keeps inserts at one off stable */
	bool		 body;	/* the body replacement: last at its offset */
};

/*
 * A pending set of changes to m.  Inserted text given by the caller (URIs,
 * header values, bodies) is not copied: it must stay valid until
 * sip_edit_build().  Any failing call sets err (sticky) and the build
 * returns it.
 */
struct sip_edit {
	const struct sip_msg *m;
	struct sip_edit_op ops[SIP_EDIT_MAX];
	int		 nops;
	char		 scratch[SIP_EDIT_SCRATCH];
	int		 scratch_used;
	int		 err;		/* first error, 0 if none */
	const struct sip_str *new_body;	/* set by sip_edit_body() */
	struct sip_str	 body_store;
};

void	sip_edit_init(struct sip_edit *e, const struct sip_msg *m);

/* Replace the Request-URI (requests only). */
int	sip_edit_ruri(struct sip_edit *e, struct sip_str uri);
/* Insert "Via: <value>\r\n" above the first Via (§16.6 step 8). */
int	sip_edit_push_via(struct sip_edit *e, struct sip_str value);
/*
 * On the top Via value, add ";received=<ip>" (unless ip is absent) and,
 * when the Via has ";rport" and rport > 0, give it the value (RFC 3581 §4);
 * an existing received/rport value is replaced.
 */
int	sip_edit_via_received(struct sip_edit *e, struct sip_str ip, int rport);
/* Remove the top Via value (a response going upstream, §16.7 step 3). */
int	sip_edit_pop_via(struct sip_edit *e);
/* Insert "Record-Route: <value>\r\n" above the first Record-Route (or the first header). */
int	sip_edit_push_rr(struct sip_edit *e, struct sip_str value);
/* Remove the first Route value (the line, or the value and its comma). */
int	sip_edit_pop_route(struct sip_edit *e);
/* Insert "Route: <value>\r\n" above the first Route (strict-route fix-up, §16.12). */
int	sip_edit_push_route(struct sip_edit *e, struct sip_str value);
/*
 * Max-Forwards: write max_forwards - 1 in place, or add "Max-Forwards: 70"
 * minus one (69) when absent (§16.6 step 3).  -EINVAL if it is already 0.
 */
int	sip_edit_dec_maxfwd(struct sip_edit *e);
/* Remove header m->hdrs[idx] entirely. */
int	sip_edit_del_hdr(struct sip_edit *e, int idx);
/* Replace the value of m->hdrs[idx] (name kept). */
int	sip_edit_set_hdr(struct sip_edit *e, int idx, struct sip_str value);
/* Add "name: value\r\n" after the last header. */
int	sip_edit_add_hdr(struct sip_edit *e, struct sip_str name, struct sip_str value);
/*
 * Replace the body (e.g. rewritten SDP); the Content-Length header is
 * rewritten (or added) to match.  ctype, when given, replaces or adds the
 * Content-Type.
 */
int	sip_edit_body(struct sip_edit *e, struct sip_str body, const struct sip_str *ctype);

/*
 * Apply every edit to a copy of m into out (from the start line to the end
 * of the Content-Length body: leading CRLFs and trailing datagram bytes are
 * dropped; a datagram that ended without the empty line gets one).
 * Returns the new length,
 * -ENOSPC when out is too small, -EINVAL when edits overlap, or the first
 * error recorded by an edit call.  e and m are left unchanged.
 */
int	sip_edit_build(const struct sip_edit *e, char *out, size_t cap);

#endif /* XR_SIP_BUILD_H */
