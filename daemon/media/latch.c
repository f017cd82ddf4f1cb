// SPDX-License-Identifier: GPL-2.0
/*
 * latch.c - the latching decision (latch.h): given the policy, a leg's
 * negotiated remote and latched source, and a packet's source, latch,
 * accept or drop.  Pure; the relay (relay.c) and the tests call it.
 */
#include <string.h>

#include "media/latch.h"

/*
 * Latching
 * ========
 * Every relay port (RTP and RTCP of each side of a call, four per call)
 * forwards packets from exactly one source: the one it has *latched*.  Until
 * a port has latched, the XDP path passes its packets up to the daemon,
 * which decides with the policy below; once it latches, the kernel flow is
 * rewritten to that source and the kernel path carries the media.
 *
 *   --latch strict   (default) the first packet whose source address AND
 *                    port equal the ones negotiated in the SDP (c= and m=,
 *                    RTCP: m= port + 1, or a=rtcp) latches the port.
 *   --latch address  the source ADDRESS must equal the negotiated one; any
 *                    port.  For parties behind a NAT that keeps the address
 *                    but remaps ports, or whose SDP is fixed up by an ALG or
 *                    an SBC in front of them.
 *   --latch any      the first packet from anywhere latches.  For parties
 *                    behind a NAT whose SDP carries their private address:
 *                    the only way to reach them (symmetric RTP, RFC 4961).
 *
 * Under every policy a latched port is never re-latched: a packet from any
 * other source is dropped and counted (per leg: "dropped" in `xrelayctl
 * flows`; in the kernel: pass_wrong_source).  This is the defence against
 * RTP Bleed (CVE-2017-14099), where an attacker sprays relay ports to steal
 * or inject media.  A port latches again only when the SDP changes the
 * negotiated remote (re-INVITE to a new address or port), which unlatches
 * that side.  RTCP latches separately from RTP.
 *
 * NAT advice: keep "strict" on core and trunk sides, where SDP addresses are
 * true.  Use "address" for access sides with port-remapping NATs.  Use "any"
 * only when parties send private addresses in SDP; its window of exposure is
 * the time between the relay port being offered and the party's first
 * packet (an attacker who sends first wins the port), so it is the weakest.
 * A negotiated remote that is not known yet (port 0) or on hold (0.0.0.0)
 * latches nothing under "strict" and "address".
 *
 * Early media: a callee often sends RTP or RTCP (baresip: RTCP on every call)
 * to the relay port it found in the offer before its answer reaches the
 * relay.  That leg's remote is not negotiated yet, so the packet cannot
 * latch; it is dropped but counted apart ("dropped_early", not as a wrong
 * source: no RTP Bleed alarm on every call), and its source is kept: when
 * the answer names that very source (media_session_update*), the leg latches
 * to it there and then, so the kernel carries the next packet.
 */

/* src with an IPv4-mapped IPv6 address rewritten to plain IPv4. */
static const union xr_sa *
unmap(const union xr_sa *src, union xr_sa *tmp)
{
	if (src->sa.sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&src->sin6.sin6_addr))
		return src;
	memset(tmp, 0, sizeof(*tmp));
	tmp->sin.sin_family = AF_INET;
	tmp->sin.sin_port = src->sin6.sin6_port;
	memcpy(&tmp->sin.sin_addr, &src->sin6.sin6_addr.s6_addr[12], 4);
	return tmp;
}

static bool
negotiated_known(const union xr_sa *n)
{
	return (n->sa.sa_family == AF_INET || n->sa.sa_family == AF_INET6) &&
	       xr_sa_port(n) != 0 && !xr_sa_is_any(n);
}

bool
media_remote_pending(const union xr_sa *n)
{
	return (n->sa.sa_family != AF_INET && n->sa.sa_family != AF_INET6) || xr_sa_port(n) == 0;
}

enum latch_verdict
media_latch(enum xr_latch policy, const union xr_sa *negotiated, const union xr_sa *latched,
	    const union xr_sa *src)
{
	union xr_sa t1, t2;

	src = unmap(src, &t1);
	if (latched->sa.sa_family)
		return xr_sa_eq(unmap(latched, &t2), src) ? LATCH_ACCEPT : LATCH_DROP;
	switch (policy) {
	case XR_LATCH_ANY:
		return LATCH_LATCH;
	case XR_LATCH_ADDRESS:
		if (media_remote_pending(negotiated))
			return LATCH_EARLY;
		if (negotiated_known(negotiated) && xr_sa_ip_eq(unmap(negotiated, &t2), src))
			return LATCH_LATCH;
		return LATCH_DROP;
	case XR_LATCH_STRICT:
	default:
		if (media_remote_pending(negotiated))
			return LATCH_EARLY;
		if (negotiated_known(negotiated) && xr_sa_eq(unmap(negotiated, &t2), src))
			return LATCH_LATCH;
		return LATCH_DROP;
	}
}

const char *
media_latch_verdict_str(enum latch_verdict v)
{
	switch (v) {
	case LATCH_LATCH:
		return "latch";
	case LATCH_ACCEPT:
		return "accept";
	case LATCH_DROP:
		return "drop";
	case LATCH_EARLY:
		return "early";
	}
	return "?";
}

const char *
media_latch_policy_str(enum xr_latch policy)
{
	switch (policy) {
	case XR_LATCH_STRICT:
		return "strict";
	case XR_LATCH_ADDRESS:
		return "address";
	case XR_LATCH_ANY:
		return "any";
	}
	return "?";
}
