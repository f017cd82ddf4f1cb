/* SPDX-License-Identifier: GPL-2.0 */
/*
 * call_media.h - one call's media anchoring (RFC 3264 offer/answer as a
 * relay sees it): one media session per m= line, created when the line is
 * first offered, completed and changed in place when the answer comes, and
 * every SDP that passes between the parties rewritten to point at the relay.
 * Owns the offer/answer state and the session ids; dialog.c holds one per
 * call and proxy.c feeds it every body that crosses the proxy.
 */
#ifndef XR_CALL_MEDIA_H
#define XR_CALL_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/addr.h"
#include "sip/msg.h"

struct cm;

struct cm	*cm_new(uint64_t call_id);
/* The call's id for log lines. */
void		 cm_set_id(struct cm *cm, uint64_t call_id);
/*
 * Whose quota the call's media sessions count in (the caller's source
 * address; see cm_set_limits()).
 */
void		 cm_set_owner(struct cm *cm, const union xr_sa *owner);

/*
 * The bounds every call's media keeps (issue 14): take() one unit of an
 * owner's quota before a media session is created for it (0, or -errno:
 * the offer fails with it), put() it back when the session goes;
 * max_streams(): m= lines an offer may have (0: SDP_MAX_MEDIA).  Any member
 * may be NULL; put() only runs where take() is set.  Set once, before calls.
 */
struct cm_limits {
	int	(*take)(const union xr_sa *owner);
	void	(*put)(const union xr_sa *owner);
	int	(*max_streams)(void);
};
void		 cm_set_limits(const struct cm_limits *l);

/* Delete every media session of the call (kernel entries and ports go with them). */
void		 cm_end(struct cm *cm);
/* Free the memory (after cm_end()). */
void		 cm_free(struct cm *cm);

enum cm_mode {
	CM_NEW,		/* a new message: an offer or an answer, as the state says */
	CM_BRANCH,	/* the pending offer again, for another branch of a fork */
	CM_REPLAY,	/* rewrite only (a retransmitted 2xx, a fork's late 2xx) */
	CM_ANSWER,	/* the answer if the other party's offer is pending, else a
			 * repeat (an ACK; a 2xx after a reliable 1xx answered) */
};

/*
 * The body of message m, sent by one party of the call (from_caller) to
 * the other.  With CM_NEW the offer/answer state decides what it is: while
 * the other party's offer is pending it is the answer (applied to the kernel
 * entries before this returns; completes says it ends the exchange: a 2xx
 * or an ACK, not a 1xx); otherwise it is an offer (new streams get their
 * ports now, changes to existing ones wait for the answer).
 * to_hint is the receiving party's signalling address: it picks the relay
 * address of the receiving side (multi-homing).  *group: for an offer
 * (CM_NEW, CM_BRANCH) set to the group of streams used (keep it with the
 * branch); for an answer or a replay, pass the branch's group (-1 or NULL:
 * the call's).  Returns 1 with the new body in out[0..*outlen) (same
 * Content-Type), 0 when m carries no SDP or the call has ended (forward m
 * as it is), or -errno with a one-line reason in err: -EINVAL (bad SDP or
 * multipart body), -E2BIG (SDP over its parser's bounds), -ERANGE (more m=
 * lines than cm_limits.max_streams), -EPROTO (an
 * answer that does not fit the offer), -ENOSPC (no free port pair), -EBUSY
 * (--max-media-sessions), -EDQUOT (the owner's quota), -ENOMEM.
 */
int	cm_body(struct cm *cm, const struct sip_msg *m, bool from_caller, bool completes,
		enum cm_mode mode, const union xr_sa *to_hint, int *group, char *out,
		size_t cap, size_t *outlen, char *err, size_t errlen);

/*
 * The request that carried from_caller's pending offer got a final non-2xx:
 * the offer is void (RFC 3264 §8): streams it added are deleted, the rest
 * keeps its state.
 */
void	cm_offer_failed(struct cm *cm, bool from_caller);

/*
 * Media session sid went silent (--media-timeout).  1 when every live stream
 * of the call is silent now, 0 when some still has media, -ENOENT when sid
 * is not this call's.
 */
int	cm_silent(struct cm *cm, uint64_t sid);
/* The id of the call whose media session sid is (0: none, or not a call's). */
uint64_t cm_session_call(uint64_t sid);
/* Restart every stream's silence clock (the call was answered). */
void	cm_touch(struct cm *cm);

/* Streams with a media session. */
int	cm_streams(struct cm *cm);
/*
 * The "media" array of `call show` (new reference): one object per m= line,
 * {"index","group","type","session","rejected","caller":P|null,"callee":P|null} with
 * P = {"relay","rtcp_relay","remote","direction","latched","path","packets",
 * "bytes","kernel_packets","userspace_packets","last_seen_ms_ago"}.
 */
json_t	*cm_json(struct cm *cm);

/*
 * What a restarted daemon needs of a call's media (daemon/ha/): the
 * streams of group 0 when no offer is pending (an offer in flight is not
 * kept: the side that made it retransmits it or gives up).
 */
#define CM_SAVED_MAX	16	/* == SDP_MAX_MEDIA, checked in call_media.c */
struct cm_saved {
	int		nstreams;
	union xr_sa	relay;		/* group 0's relay address (port 0) */
	struct {
		char		type[16];	/* "audio", ... */
		uint64_t	sid;		/* media session, 0: none */
		bool		a_is_caller;
	} st[CM_SAVED_MAX];
};
/* A copy of cm's streams; 0 or -ENOENT (no cm). */
int	cm_export(struct cm *cm, struct cm_saved *out);
/* Set a fresh cm (a restored call) from a saved copy: idle, group 0.  0 or -EINVAL. */
int	cm_restore(struct cm *cm, const struct cm_saved *in);
/*
 * cb(call_id) after an SDP changed a call's streams (offer, answer; not a
 * replay), on the thread that handled it, outside cm's lock: must not block.
 */
void	cm_set_change_cb(void (*cb)(uint64_t call_id));

/*
 * Install the check every SDP address a party gives must pass before media is
 * anchored towards it: NULL when allowed, else a short reason (cm_body()
 * then fails with -EACCES).  No check until one is installed (unit tests).
 */
void	cm_set_dest_check(const char *(*fn)(const union xr_sa *a));

#endif /* XR_CALL_MEDIA_H */
