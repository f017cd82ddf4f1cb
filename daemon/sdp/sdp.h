/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sdp.h - SDP (RFC 4566) as the media anchor needs it: parse a session
 * description into its media lines (address, ports, RTCP, mux, direction),
 * find the SDP part of a SIP body (application/sdp or multipart/mixed), and
 * rewrite a description so that every stream points at the relay.
 *   sdp.c        parser (zero-copy slices into the caller's buffer)
 *   rewrite.c    line-by-line rewriter
 *   multipart.c  locating application/sdp inside multipart bodies (RFC 2046)
 * Pure functions: no allocation, no I/O, no globals; unit-tested and fuzzed.
 */
#ifndef XR_SDP_H
#define XR_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/media_dir.h"
#include "sip/str.h"

#define SDP_MAX_MEDIA	16	/* m= lines; more -> -E2BIG */
#define SDP_MAX_LEN	16384	/* bytes of one description; more -> -E2BIG */

struct sdp_media {
	struct sip_str	type;		/* "audio", "video", "image", ... */
	uint16_t	port;		/* m= port; 0: stream rejected/removed */
	uint16_t	nports;		/* m=<port>/<n>: n (1 when absent) */
	struct sip_str	proto;		/* "RTP/AVP", "RTP/SAVP", "udptl", ... */
	struct sip_str	fmts;		/* the format list as written ("0 8 101") */
	/*
	 * Where the party receives RTP: the media-level c= (else the
	 * session-level c=) address with the m= port.  Family 0 when neither
	 * c= exists (a parse error unless port is 0).
	 */
	union xr_sa	rtp;
	/* a=rtcp (RFC 3605): port and, if given, address; else rtp's address, port + 1 */
	union xr_sa	rtcp;
	bool		has_rtcp_attr;	/* an a=rtcp: line was present */
	bool		rtcp_mux;	/* a=rtcp-mux (RFC 5761) */
	bool		conn_null;	/* c= 0.0.0.0 or :: (RFC 2543 hold) */
	/*
	 * Effective direction: the media-level attribute, else the
	 * session-level one, else sendrecv; c=0.0.0.0 then takes away
	 * receiving (sendrecv -> sendonly, recvonly -> inactive).
	 */
	enum media_dir	dir;
};

struct sdp {
	int		n_media;
	struct sdp_media m[SDP_MAX_MEDIA];
};

/*
 * Parse the description buf[0..len).  Lines end in CRLF or LF; v= must come
 * first; unknown lines are skipped; c= must be "IN IP4 a.b.c.d" or
 * "IN IP6 addr" (FQDNs and multicast TTL suffixes -> -EINVAL; sdp.c also
 * refuses multicast addresses, which a relay does not serve).  The slices
 * in out point into buf.  0, or -EINVAL / -E2BIG with a one-line reason in
 * err (e.g. "m= line 2: bad port 'x'").
 */
int	sdp_parse(const char *buf, size_t len, struct sdp *out, char *err, size_t errlen);

/* What the relay puts in place of one media line. */
struct sdp_rewrite_media {
	/*
	 * The relay's address and RTP port for this stream (RTCP: port + 1).
	 * Ignored for a stream with port 0 in the input: it stays rejected.
	 * (rewrite.c: a port of 0 here rejects the stream in the output too:
	 * m= port 0, its a=rtcp dropped, none added.)
	 */
	union xr_sa	local;
};

/*
 * Rewrite the description in[0..len) (already parsed into p) into out:
 *  - every c= line becomes "c=IN IP4 <relay>" / "c=IN IP6 <relay>" using the
 *    address of rw[] (all streams of one description use one relay address:
 *    rw[0]'s, else the first non-rejected one's); a c= with 0.0.0.0 / ::
 *    stays as it is (hold); a session-level c= is kept at session level;
 *  - each m= line's port becomes rw[i].local's port (0 stays 0; "/<n>" dropped);
 *  - a=rtcp: is rewritten to "a=rtcp:<port+1> IN IP4|IP6 <relay>" (with
 *    a=rtcp-mux: "<port>"), and added after the m= line's last line when it
 *    was absent and the stream is not rejected;
 *  - ICE lines that would lead around the relay (a=candidate,
 *    a=remote-candidates, a=end-of-candidates, a=ice-*) are dropped;
 *  - everything else (o=, s=, t=, a=rtpmap, directions, a=rtcp-mux, ...)
 *    is copied unchanged; line endings are kept as they were.
 *    (rewrite.c: a=rtcp at session level or in a rejected stream is
 *    dropped; with every stream rejected, c= takes rw[0]'s address if it
 *    has one, else stays; in and out must not overlap.)
 * n must equal p->n_media.  Returns the length written, or -ENOSPC when out
 * is too small, -EINVAL on a mismatch.
 */
int	sdp_rewrite(const char *in, size_t len, const struct sdp *p,
		    const struct sdp_rewrite_media *rw, int n, char *out, size_t cap);

/*
 * Find the SDP in a SIP body given its Content-Type value (ctype, may carry
 * parameters): "application/sdp" -> the whole body; "multipart/mixed" (or
 * multipart/alternative, multipart/related) with a boundary parameter -> the
 * content of the first part whose Content-Type is application/sdp (the part
 * headers excluded, the CRLF before the next delimiter excluded).
 * On success *off and *slen give the SDP's position in body.  0, -ENOENT (no SDP
 * part, or another content type), -EINVAL (a malformed multipart body).
 */
int	sdp_locate(struct sip_str ctype, const char *body, size_t len, size_t *off, size_t *slen);

const char *sdp_dir_name(enum media_dir d);	/* "sendrecv", ... */

#endif /* XR_SDP_H */
