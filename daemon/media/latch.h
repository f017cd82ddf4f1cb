/* SPDX-License-Identifier: GPL-2.0 */
/*
 * latch.h - the latching decision of daemon/media (latch.c): which source a
 * relay port accepts packets from.  Pure functions, no state of their own;
 * the caller keeps the latched source per leg (RTP and RTCP apart).
 */
#ifndef XR_MEDIA_LATCH_H
#define XR_MEDIA_LATCH_H

#include "common/addr.h"
#include "config.h"

enum latch_verdict {
	LATCH_LATCH,	/* not latched yet and the policy takes this source: latch it */
	LATCH_ACCEPT,	/* the source is the latched one */
	LATCH_DROP,	/* any other source: drop and count (RTP Bleed) */
	LATCH_EARLY,	/* not latched and no remote negotiated yet (port 0): drop, count
			 * apart (early RTP/RTCP before the answer), remember the source */
};

/*
 * Decide for one packet from src arriving on a leg.  negotiated is the
 * remote the SDP gave for this leg (port 0 or a wildcard address: not known,
 * e.g. side B before the answer or c=0.0.0.0 hold); latched is the leg's
 * latched source (sa_family 0: not latched).  A latched leg is never
 * re-latched, whatever the policy.  IPv4-mapped IPv6 sources compare equal
 * to their IPv4 form.  Under strict and address, a leg whose remote was not
 * negotiated yet (port 0: side B between the offer and the answer) answers
 * LATCH_EARLY rather than LATCH_DROP: a callee's RTCP before its 200 is
 * normal, not an attack.  A c=0.0.0.0 hold (a port, no address) is not early.
 */
enum latch_verdict	media_latch(enum xr_latch policy, const union xr_sa *negotiated,
				    const union xr_sa *latched, const union xr_sa *src);
/* No remote negotiated for the leg yet (no family, or port 0). */
bool			media_remote_pending(const union xr_sa *negotiated);
/* "latch" / "accept" / "drop" / "early". */
const char		*media_latch_verdict_str(enum latch_verdict v);
/* "strict" / "address" / "any". */
const char		*media_latch_policy_str(enum xr_latch policy);

#endif /* XR_MEDIA_LATCH_H */
