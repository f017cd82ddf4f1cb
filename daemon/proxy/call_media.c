// SPDX-License-Identifier: GPL-2.0
/*
 * call_media.c - one call's media anchoring (see call_media.h): the RFC 3264
 * offer/answer state of a call, its media sessions (one per m= line; side A
 * is the party that first offered the line), and the rewriting of every SDP
 * body between the parties.  Each struct cm has its own mutex; media_*()
 * calls are made under it (they never wait for the proxy).
 *
 * OUR choices where RFCs leave room:
 *  - A forked INVITE's branches that leave by one interface share one
 *    session per line (a group): the latest answer (early 183 or 2xx) sets
 *    the callee's side, so media follows the branch that answered last;
 *    branches leaving by other interfaces get groups of their own.  The
 *    2xx that completes the exchange keeps its group; the others go.
 *  - An answer with another number of m= lines than the offer is refused
 *    (-EPROTO, RFC 3264 §6); the proxy forwards it as it came and logs it.
 *  - c=0.0.0.0 (hold, RFC 2543) keeps the party's previous address: the
 *    direction alone stops media towards it, and latching survives hold.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/objpool.h"
#include "media/media.h"
#include "proxy/call_media.h"
#include "sdp/sdp.h"

#define cm_debug(...)	slog(LS_PROXY, LL_DEBUG, __VA_ARGS__)
#define CM_MAX_GROUPS	4	/* relay addresses one forked offer can face */

/* What one party's SDP said about one line. */
struct cm_line {
	bool		rejected;	/* port 0 */
	bool		has_rtcp;	/* a=rtcp given: rtcp holds it */
	bool		conn_null;	/* c=0.0.0.0 / :: */
	union xr_sa	rtp, rtcp;
	enum media_dir	dir;
};

struct cm_stream {
	uint64_t	sid;		/* media session, 0: none (rejected / not offered) */
	bool		a_is_caller;	/* side A of sid faces the caller */
	bool		added;		/* created by the pending offer */
	bool		silent;		/* reported by the media timeout */
};

/*
 * The streams as seen through one relay address towards the receiver of
 * the initial offer.  A forked INVITE whose branches leave by different
 * interfaces gets one group per interface (multi-homing: each callee is
 * offered the relay address that faces it); the first answer that
 * completes the exchange keeps its group and deletes the others.  Later
 * there is only group 0.
 */
struct cm_group {
	bool		 live;
	union xr_sa	 relay;		/* the receiving side's relay address (port 0) */
	struct cm_stream st[SDP_MAX_MEDIA];
};

enum cm_state { CM_IDLE, CM_OFFER_CALLER, CM_OFFER_CALLEE };

struct cm {
	pthread_mutex_t	 lock;
	uint64_t	 call_id;	/* for log lines */
	union xr_sa	 owner;		/* whose quota its sessions count in (family 0: none) */
	bool		 ended;
	enum cm_state	 state;
	int		 nstreams;	/* m= lines known (offered at least once) */
	char		 type[SDP_MAX_MEDIA][16];	/* "audio", "video" */
	struct cm_group	 g[CM_MAX_GROUPS];
	int		 noffer;	/* lines of the pending offer */
	struct cm_line	*offer;		/* [SDP_MAX_MEDIA] while an offer is pending */
};

static void cm_notify(uint64_t call_id);
/* a call's media state (~2 KB), one a call record (objpool.h) */
static struct xr_objpool cm_pool = XR_OBJPOOL_INIT(sizeof(struct cm));
_Static_assert(CM_SAVED_MAX == SDP_MAX_MEDIA, "cm_saved holds every m= line");

#define for_each_group(cm, gi)	for (gi = 0; gi < CM_MAX_GROUPS; gi++) if ((cm)->g[gi].live)

struct cm *
cm_new(uint64_t call_id)
{
	struct cm *cm = xr_objpool_zalloc(&cm_pool);

	if (!cm)
		return NULL;
	pthread_mutex_init(&cm->lock, NULL);
	cm->call_id = call_id;
	return cm;
}

void
cm_set_id(struct cm *cm, uint64_t call_id)
{
	cm->call_id = call_id;
}

void
cm_set_owner(struct cm *cm, const union xr_sa *owner)
{
	cm->owner = *owner;
}

static const struct cm_limits *cm_lim;	/* NULL: no bounds (unit tests) */

void
cm_set_limits(const struct cm_limits *l)
{
	cm_lim = l;
}

/*
 * A media session for line i of the pending offer in *s (quota of the
 * call's owner first).  0, or what media_session_create_half() or the quota
 * said, with the reason in err.  Call with cm->lock held.
 */
static int
cm_stream_new(struct cm *cm, struct cm_stream *s, int i, const union xr_sa *to_hint,
	      char *err, size_t errlen)
{
	bool quota = cm_lim && cm_lim->take && cm->owner.sa.sa_family != 0;
	int rc = quota ? cm_lim->take(&cm->owner) : 0;

	if (rc == 0) {
		rc = media_session_create_half(&cm->offer[i].rtp, to_hint, &s->sid);
		if (rc == 0 && cm->call_id)
			media_session_set_owner(s->sid, cm->call_id);	/* for cm_session_call() */
		if (rc < 0 && quota && cm_lim->put)
			cm_lim->put(&cm->owner);
	}
	if (rc < 0)
		snprintf(err, errlen, "media stream %d: %s", i + 1,
			 rc == -ENOSPC ? "no free media port pair" :
			 rc == -EBUSY ? "media sessions at --max-media-sessions" :
			 rc == -EDQUOT ? "this source's calls hold --max-media-sessions-per-source" :
			 rc == -EINVAL ? "no relay address for this address family" :
			 strerror(-rc));
	return rc;
}

/* Delete the media session of s (its owner's quota given back).  Call with cm->lock held. */
static void
cm_stream_del(struct cm *cm, struct cm_stream *s)
{
	if (!s->sid)
		return;
	media_session_delete(s->sid);
	s->sid = 0;
	if (cm_lim && cm_lim->take && cm_lim->put && cm->owner.sa.sa_family != 0)
		cm_lim->put(&cm->owner);
}

/*
 * No offer pending any more: its copy goes (most of a held call's memory).
 * Call with cm->lock held.
 */
static void
cm_idle(struct cm *cm)
{
	cm->state = CM_IDLE;
	free(cm->offer);
	cm->offer = NULL;
	cm->noffer = 0;
}

/* Delete the sessions of group gi and retire it.  Call with cm->lock held. */
static void
cm_group_drop(struct cm *cm, int gi)
{
	struct cm_group *g = &cm->g[gi];
	int i;

	for (i = 0; i < SDP_MAX_MEDIA; i++)
		cm_stream_del(cm, &g->st[i]);
	g->live = false;
}

void
cm_end(struct cm *cm)
{
	int gi;

	if (!cm)
		return;
	pthread_mutex_lock(&cm->lock);
	cm->ended = true;
	for_each_group(cm, gi)
		cm_group_drop(cm, gi);
	cm_idle(cm);
	pthread_mutex_unlock(&cm->lock);
}

void
cm_free(struct cm *cm)
{
	if (!cm)
		return;
	pthread_mutex_destroy(&cm->lock);
	xr_objpool_free(&cm_pool, cm);
}

/* The session side that faces the caller (or the callee) on stream s. */
static enum media_side_id
cm_side(const struct cm_stream *s, bool caller)
{
	return caller == s->a_is_caller ? MEDIA_A : MEDIA_B;
}

static void
cm_line_of(struct cm_line *l, const struct sdp_media *m)
{
	memset(l, 0, sizeof(*l));
	l->rejected = m->port == 0;
	l->has_rtcp = m->has_rtcp_attr && !m->rtcp_mux;
	l->conn_null = m->conn_null;
	l->rtp = m->rtp;
	l->rtcp = m->rtcp;
	l->dir = m->dir;
}

/*
 * Apply what party `caller` said in l to its side of stream s.  A held
 * party (c=0.0.0.0) keeps the address it had; only its direction changes.
 */
static int
cm_apply(struct cm *cm, struct cm_stream *s, bool caller, const struct cm_line *l)
{
	enum media_side_id side = cm_side(s, caller);
	struct media_session_info mi;
	const union xr_sa *rtp = &l->rtp, *rtcp = l->has_rtcp ? &l->rtcp : NULL;
	int rc;

	if (l->conn_null && media_session_info(s->sid, &mi) == 0) {
		rtp = &mi.side[side].remote_rtp;
		rtcp = NULL;
		if (rtp->sa.sa_family == 0 || xr_sa_port(rtp) == 0)
			rtp = &l->rtp;	/* nothing known yet: 0.0.0.0 means "none" */
	}
	rc = media_session_update_rtcp(s->sid, side, rtp, rtcp, l->dir);
	if (rc < 0) {
		char a[XR_SA_STRLEN];

		log_ratelimited(LS_PROXY, LL_WARN, "call %" PRIu64 ": session %" PRIu64 " side %c: "
				"cannot set %s (%s)", cm->call_id, s->sid,
				side == MEDIA_A ? 'A' : 'B', xr_sa_str(rtp, a, sizeof(a)),
				strerror(-rc));
	}
	return rc;
}

/* Delete the streams the pending offer created, and groups left empty.  Call with cm->lock held. */
static void
cm_drop_added(struct cm *cm)
{
	int gi, i;

	for_each_group(cm, gi) {
		struct cm_group *g = &cm->g[gi];
		bool any = false;

		for (i = 0; i < SDP_MAX_MEDIA; i++) {
			struct cm_stream *s = &g->st[i];

			if (s->added) {
				s->added = false;
				cm_stream_del(cm, s);
			}
			any = any || s->sid;
		}
		if (!any && gi > 0)
			g->live = false;
	}
}

/*
 * The group whose receiving side faces to_hint (group 0 when nothing tells);
 * create it when allowed.  -1 when none can be had.  Call with cm->lock held.
 */
static int
cm_group_for(struct cm *cm, const union xr_sa *to_hint, bool create)
{
	union xr_sa relay;
	int gi, free_gi = -1;

	memset(&relay, 0, sizeof(relay));
	if (to_hint && media_relay_address(to_hint, &relay) < 0)
		memset(&relay, 0, sizeof(relay));
	if (!cm->g[0].live) {
		if (!create)
			return -1;
		memset(&cm->g[0], 0, sizeof(cm->g[0]));
		cm->g[0].live = true;
		cm->g[0].relay = relay;
		return 0;
	}
	if (relay.sa.sa_family == 0)
		return 0;
	for (gi = 0; gi < CM_MAX_GROUPS; gi++) {
		if (!cm->g[gi].live) {
			if (free_gi < 0)
				free_gi = gi;
			continue;
		}
		if (cm->g[gi].relay.sa.sa_family == 0 || xr_sa_ip_eq(&cm->g[gi].relay, &relay))
			return gi;
	}
	if (!create || free_gi < 0)
		return 0;	/* more interfaces than groups: share the first */
	memset(&cm->g[free_gi], 0, sizeof(cm->g[free_gi]));
	cm->g[free_gi].live = true;
	cm->g[free_gi].relay = relay;
	return free_gi;
}

/*
 * Sessions for the pending offer's new lines in group gi (the offerer's
 * side set at once); on failure the offer's additions are undone.  Call with cm->lock held.
 */
static int
cm_group_fill(struct cm *cm, int gi, bool caller, const union xr_sa *to_hint,
	      char *err, size_t errlen)
{
	struct cm_group *g = &cm->g[gi];
	int i, rc;

	for (i = 0; i < cm->noffer; i++) {
		struct cm_stream *s = &g->st[i];

		if (cm->offer[i].rejected || s->sid)
			continue;
		rc = cm_stream_new(cm, s, i, to_hint, err, errlen);
		if (rc < 0) {
			s->sid = 0;
			cm_drop_added(cm);
			return rc;
		}
		s->a_is_caller = caller;
		s->added = true;
		s->silent = false;
		cm_apply(cm, s, caller, &cm->offer[i]);
	}
	return 0;
}

/* An offer from party `caller` (p parsed): *gi gets the group used.  Call with cm->lock held. */
static int
cm_offer(struct cm *cm, const struct sdp *p, bool caller, const union xr_sa *to_hint,
	 int *gi, char *err, size_t errlen)
{
	int i, rc, max;

	max = cm_lim && cm_lim->max_streams ? cm_lim->max_streams() : 0;
	if (max > 0 && p->n_media > max) {
		snprintf(err, errlen, "offer has %d m= lines, at most %d media streams a call "
			 "(--max-streams)", p->n_media, max);
		return -ERANGE;
	}
	if (p->n_media < cm->nstreams) {
		snprintf(err, errlen, "offer has %d m= lines, the call has %d (RFC 3264 §8)",
			 p->n_media, cm->nstreams);
		return -EPROTO;
	}
	/* A new offer replaces one still pending (glare, or an offer retried). */
	cm_drop_added(cm);
	if (!cm->offer) {
		cm->offer = calloc(SDP_MAX_MEDIA, sizeof(*cm->offer));
		if (!cm->offer) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	for (i = 0; i < p->n_media; i++) {
		cm_line_of(&cm->offer[i], &p->m[i]);
		if (i >= cm->nstreams)
			snprintf(cm->type[i], sizeof(cm->type[i]), "%.*s",
				 SIP_STR_FMT(p->m[i].type));
	}
	cm->noffer = p->n_media;
	/*
	 * The call's streams are group 0; other groups only ever hold other
	 * branches of the initial offer (CM_BRANCH).  A re-offer goes the other
	 * way through the same sessions.
	 */
	*gi = cm->g[0].live ? 0 : cm_group_for(cm, to_hint, true);
	if (*gi < 0) {
		snprintf(err, errlen, "out of media groups");
		return -ENOMEM;
	}
	rc = cm_group_fill(cm, *gi, caller, to_hint, err, errlen);
	if (rc < 0)
		return rc;
	if (p->n_media > cm->nstreams)
		cm->nstreams = p->n_media;
	cm->state = caller ? CM_OFFER_CALLER : CM_OFFER_CALLEE;
	return 0;
}

/*
 * The answer from party `caller` to the other's pending offer, in group gi.
 * Call with cm->lock held.
 */
static int
cm_answer(struct cm *cm, const struct sdp *p, bool caller, bool completes, int gi,
	  char *err, size_t errlen)
{
	struct cm_group *g = &cm->g[gi];
	int i, gj;

	if (p->n_media != cm->noffer) {
		snprintf(err, errlen, "answer has %d m= lines, the offer had %d (RFC 3264 §6)",
			 p->n_media, cm->noffer);
		return -EPROTO;
	}
	for (i = 0; i < p->n_media; i++) {
		struct cm_stream *s = &g->st[i];
		struct cm_line a;

		cm_line_of(&a, &p->m[i]);
		if (!s->sid)
			continue;
		if (a.rejected || cm->offer[i].rejected) {
			/* Rejected by the answer, or removed by the offer. */
			cm_stream_del(cm, s);
			s->added = false;
			continue;
		}
		/* Offerer's side first (changes wait for the answer), then ours. */
		cm_apply(cm, s, !caller, &cm->offer[i]);
		cm_apply(cm, s, caller, &a);
	}
	if (completes) {
		/* The answering group is the call's now: the others' media stops. */
		for_each_group(cm, gj)
			if (gj != gi)
				cm_group_drop(cm, gj);
		if (gi != 0) {
			cm->g[0] = cm->g[gi];
			cm->g[gi].live = false;
		}
		cm_idle(cm);
		for (i = 0; i < SDP_MAX_MEDIA; i++)
			cm->g[0].st[i].added = false;
	}
	return 0;
}

/* Splice the SDP rewritten for group gi into the body.  Call with cm->lock held. */
static int
cm_rewrite(struct cm *cm, int gi, const struct sip_msg *m, size_t off, size_t slen,
	   const struct sdp *p, bool to_caller, char *out, size_t cap, size_t *outlen,
	   char *err, size_t errlen)
{
	struct sdp_rewrite_media rw[SDP_MAX_MEDIA];
	const char *body = m->body.s;
	size_t blen = (size_t)m->body.len;
	int i, n;

	memset(rw, 0, sizeof(rw));
	for (i = 0; i < p->n_media; i++) {
		struct media_session_info mi;
		struct cm_stream *s = &cm->g[gi].st[i];

		if (p->m[i].port == 0)
			continue;
		if (!cm->g[gi].live || i >= cm->nstreams || !s->sid ||
		    media_session_info(s->sid, &mi) < 0) {
			snprintf(err, errlen, "media stream %d has no media session", i + 1);
			return -EPROTO;
		}
		rw[i].local = mi.side[cm_side(s, to_caller)].local_rtp;
	}
	if (cap < off) {
		snprintf(err, errlen, "body too large");
		return -ENOSPC;
	}
	memcpy(out, body, off);
	n = sdp_rewrite(body + off, slen, p, rw, p->n_media, out + off, cap - off);
	if (n < 0) {
		snprintf(err, errlen, "cannot rewrite the SDP: %s", strerror(-n));
		return n;
	}
	if (off + (size_t)n + (blen - off - slen) > cap) {
		snprintf(err, errlen, "body too large");
		return -ENOSPC;
	}
	memcpy(out + off + (size_t)n, body + off + slen, blen - off - slen);
	*outlen = off + (size_t)n + (blen - off - slen);
	return 1;
}

/* The destination check the proxy installed (cm_set_dest_check), or none. */
static const char *(*cm_dest_check)(const union xr_sa *a);

void
cm_set_dest_check(const char *(*fn)(const union xr_sa *a))
{
	cm_dest_check = fn;
}

/*
 * The access policy on media (issue 13): no stream is anchored towards an
 * address the installed check refuses.  -EACCES with the reason in err (the
 * proxy answers an offer with 488 and a Warning).
 */
static int
cm_check_dests(const struct sdp *p, char *err, size_t errlen)
{
	const char *(*check)(const union xr_sa *a) = cm_dest_check;

	for (int i = 0; check && i < p->n_media; i++) {
		const struct sdp_media *sm = &p->m[i];
		const union xr_sa *a[2] = { &sm->rtp, &sm->rtcp };
		char buf[XR_SA_STRLEN];

		if (sm->port == 0 || sm->conn_null)
			continue;
		for (int j = 0; j < 2; j++) {
			const char *why;

			if (a[j]->sa.sa_family == 0 || (j == 1 && sm->rtcp_mux))
				continue;
			why = check(a[j]);
			if (!why)
				continue;
			snprintf(err, errlen, "media destination %s refused: %s",
				 xr_sa_ipstr(a[j], buf, sizeof(buf)), why);
			return -EACCES;
		}
	}
	return 0;
}

/*
 * Long (~85 lines) because it is the offer/answer dispatcher: locate, parse,
 * pick the mode, splice, all on the same locals under cm->lock (and the
 * access check of the addresses).
 */
int
cm_body(struct cm *cm, const struct sip_msg *m, bool from_caller, bool completes,
	enum cm_mode mode, const union xr_sa *to_hint, int *group, char *out, size_t cap,
	size_t *outlen, char *err, size_t errlen)
{
	const struct sip_hdr *ct;
	struct sdp *p;
	size_t off, slen;
	int rc, gi = group && *group >= 0 && *group < CM_MAX_GROUPS ? *group : 0;

	err[0] = '\0';
	if (!cm || m->body.len <= 0)
		return 0;
	ct = sip_msg_hdr(m, SIP_HDR_CONTENT_TYPE);
	if (!ct)
		return 0;
	rc = sdp_locate(ct->value, m->body.s, (size_t)m->body.len, &off, &slen);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		snprintf(err, errlen, "malformed multipart body");
		return rc;
	}
	p = malloc(sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = sdp_parse(m->body.s + off, slen, p, err, errlen);
	if (rc < 0)
		goto out;
	rc = cm_check_dests(p, err, errlen);
	if (rc < 0)
		goto out;

	pthread_mutex_lock(&cm->lock);
	if (cm->ended) {
		rc = 0;
		goto unlock;
	}
	/* Only an answer can come now; anything else repeats what was said. */
	if (mode == CM_ANSWER)
		mode = cm->state == (from_caller ? CM_OFFER_CALLEE : CM_OFFER_CALLER) ?
		       CM_NEW : CM_REPLAY;
	switch (mode) {
	case CM_ANSWER:		/* not reached */
	case CM_NEW:
		if (cm->state == (from_caller ? CM_OFFER_CALLEE : CM_OFFER_CALLER)) {
			if (!cm->g[gi].live)
				gi = 0;
			rc = cm_answer(cm, p, from_caller, completes, gi, err, errlen);
			if (completes)
				gi = 0;
		} else {
			rc = cm_offer(cm, p, from_caller, to_hint, &gi, err, errlen);
		}
		break;
	case CM_BRANCH:
		/* The pending offer again, for a branch that may leave by another interface. */
		rc = -EPROTO;
		snprintf(err, errlen, "no offer pending");
		if (cm->state == (from_caller ? CM_OFFER_CALLER : CM_OFFER_CALLEE)) {
			gi = cm_group_for(cm, to_hint, true);
			rc = gi < 0 ? -ENOMEM : cm_group_fill(cm, gi, from_caller, to_hint, err,
								errlen);
		}
		break;
	case CM_REPLAY:
		if (!cm->g[gi].live)
			gi = 0;
		rc = 0;
		break;
	}
	if (rc < 0)
		goto unlock;
	if (group)
		*group = gi;
	rc = cm_rewrite(cm, gi, m, off, slen, p, !from_caller, out, cap, outlen, err, errlen);
	cm_debug("call %" PRIu64 ": SDP (%s) from the %s, %d line(s), group %d: %s",
		 cm->call_id, mode == CM_REPLAY ? "replayed" : mode == CM_BRANCH ? "offer, branch" :
		 cm->state == CM_IDLE ? "answer" : "offer/early answer",
		 from_caller ? "caller" : "callee", p->n_media, gi, rc == 1 ? "rewritten" : err);
unlock:
	pthread_mutex_unlock(&cm->lock);
out:
	free(p);
	if (rc == 1 && mode != CM_REPLAY)
		cm_notify(cm->call_id);
	return rc;
}

static void (*cm_change_cb)(uint64_t call_id);	/* atomic */

void
cm_set_change_cb(void (*cb)(uint64_t call_id))
{
	__atomic_store_n(&cm_change_cb, cb, __ATOMIC_RELEASE);
}

static void
cm_notify(uint64_t call_id)
{
	void (*cb)(uint64_t) = __atomic_load_n(&cm_change_cb, __ATOMIC_ACQUIRE);

	if (cb)
		cb(call_id);
}

int
cm_export(struct cm *cm, struct cm_saved *out)
{
	memset(out, 0, sizeof(*out));
	if (!cm)
		return -ENOENT;
	pthread_mutex_lock(&cm->lock);
	out->nstreams = cm->nstreams < SDP_MAX_MEDIA ? cm->nstreams : SDP_MAX_MEDIA;
	if (cm->g[0].live)
		out->relay = cm->g[0].relay;
	for (int i = 0; i < out->nstreams; i++) {
		snprintf(out->st[i].type, sizeof(out->st[i].type), "%s", cm->type[i]);
		/* A stream a pending offer added is not the call's yet. */
		if (cm->g[0].live && !cm->g[0].st[i].added) {
			out->st[i].sid = cm->g[0].st[i].sid;
			out->st[i].a_is_caller = cm->g[0].st[i].a_is_caller;
		}
	}
	pthread_mutex_unlock(&cm->lock);
	return 0;
}

int
cm_restore(struct cm *cm, const struct cm_saved *in)
{
	if (!cm || in->nstreams < 0 || in->nstreams > SDP_MAX_MEDIA)
		return -EINVAL;
	pthread_mutex_lock(&cm->lock);
	cm_idle(cm);
	memset(cm->g, 0, sizeof(cm->g));
	cm->nstreams = in->nstreams;
	cm->g[0].live = true;
	cm->g[0].relay = in->relay;
	for (int i = 0; i < in->nstreams; i++) {
		snprintf(cm->type[i], sizeof(cm->type[i]), "%s", in->st[i].type);
		cm->g[0].st[i].sid = in->st[i].sid;
		cm->g[0].st[i].a_is_caller = in->st[i].a_is_caller;
		if (in->st[i].sid && cm->call_id)
			media_session_set_owner(in->st[i].sid, cm->call_id);
	}
	pthread_mutex_unlock(&cm->lock);
	return 0;
}

void
cm_offer_failed(struct cm *cm, bool from_caller)
{
	if (!cm)
		return;
	pthread_mutex_lock(&cm->lock);
	if (!cm->ended && cm->state == (from_caller ? CM_OFFER_CALLER : CM_OFFER_CALLEE)) {
		cm_drop_added(cm);
		cm_idle(cm);
	}
	pthread_mutex_unlock(&cm->lock);
}

uint64_t
cm_session_call(uint64_t sid)
{
	return media_session_owner(sid);
}

int
cm_silent(struct cm *cm, uint64_t sid)
{
	int gi, i, rc = -ENOENT;
	bool all = true;

	if (!cm || !sid)
		return -ENOENT;
	pthread_mutex_lock(&cm->lock);
	for_each_group(cm, gi)
		for (i = 0; i < SDP_MAX_MEDIA; i++) {
			struct cm_stream *s = &cm->g[gi].st[i];

			if (!s->sid)
				continue;
			if (s->sid == sid) {
				s->silent = true;
				rc = 0;
			}
			all = all && s->silent;
		}
	pthread_mutex_unlock(&cm->lock);
	return rc < 0 ? rc : all ? 1 : 0;
}

void
cm_touch(struct cm *cm)
{
	int gi, i;

	if (!cm)
		return;
	pthread_mutex_lock(&cm->lock);
	for_each_group(cm, gi)
		for (i = 0; i < SDP_MAX_MEDIA; i++) {
			struct cm_stream *s = &cm->g[gi].st[i];

			s->silent = false;
			if (s->sid)
				media_session_touch(s->sid);
		}
	pthread_mutex_unlock(&cm->lock);
}

int
cm_streams(struct cm *cm)
{
	int gi, i, n = 0;

	if (!cm)
		return 0;
	pthread_mutex_lock(&cm->lock);
	for_each_group(cm, gi)
		for (i = 0; i < SDP_MAX_MEDIA; i++)
			n += cm->g[gi].st[i].sid != 0;
	pthread_mutex_unlock(&cm->lock);
	return n;
}

/* Sum a counter over the legs (rtp, rtcp) of one side in media_flows_json rows. */
static json_int_t
row_sum(json_t *rows, char side, const char *obj, const char *key)
{
	json_int_t n = 0;
	json_t *r;
	size_t i;

	json_array_foreach(rows, i, r) {
		const char *s = json_string_value(json_object_get(r, "side"));
		json_t *o = json_object_get(r, obj);

		if (s && s[0] == side && json_is_object(o))
			n += json_integer_value(json_object_get(o, key));
	}
	return n;
}

/* Most recent last_seen_ms_ago over one side's legs and both paths; -1: never. */
static json_int_t
row_last_seen(json_t *rows, char side)
{
	static const char *const objs[] = { "kernel", "userspace" };
	json_int_t best = -1;
	json_t *r;
	size_t i;

	json_array_foreach(rows, i, r) {
		const char *s = json_string_value(json_object_get(r, "side"));

		if (!s || s[0] != side)
			continue;
		for (int k = 0; k < 2; k++) {
			json_t *v = json_object_get(json_object_get(r, objs[k]), "last_seen_ms_ago");
			json_int_t ms = json_is_integer(v) ? json_integer_value(v) : -1;

			if (ms >= 0 && (best < 0 || ms < best))
				best = ms;
		}
	}
	return best;
}

static json_t *
party_json(const struct media_session_info *mi, enum media_side_id sd, json_t *rows)
{
	const struct media_side_info *x = &mi->side[sd];
	char a[XR_SA_STRLEN], b[XR_SA_STRLEN], r[XR_SA_STRLEN];
	union xr_sa rtcp = x->local_rtp;
	char side = sd == MEDIA_A ? 'A' : 'B';
	json_int_t kp, kb, up, ub;

	xr_sa_set_port(&rtcp, (uint16_t)(xr_sa_port(&x->local_rtp) + 1));
	kp = row_sum(rows, side, "kernel", "packets");
	kb = row_sum(rows, side, "kernel", "bytes");
	up = row_sum(rows, side, "userspace", "packets");
	ub = row_sum(rows, side, "userspace", "bytes");
	return json_pack("{s:s, s:s, s:o, s:s, s:b, s:s, s:I, s:I, s:I, s:I, s:I}",
		"relay", xr_sa_str(&x->local_rtp, a, sizeof(a)),
		"rtcp_relay", xr_sa_str(&rtcp, b, sizeof(b)),
		"remote", x->remote_rtp.sa.sa_family && xr_sa_port(&x->remote_rtp) ?
			  json_string(xr_sa_str(&x->remote_rtp, r, sizeof(r))) : json_null(),
		"direction", sdp_dir_name(x->dir),
		"latched", x->latched_rtp.sa.sa_family != 0,
		"path", kp > 0 ? "kernel" : up > 0 ? "userspace" : "none",
		"packets", kp + up,
		"bytes", kb + ub,
		"kernel_packets", kp,
		"userspace_packets", up,
		"last_seen_ms_ago", row_last_seen(rows, side));
}

json_t *
cm_json(struct cm *cm)
{
	struct cm_stream st[CM_MAX_GROUPS][SDP_MAX_MEDIA];
	char type[SDP_MAX_MEDIA][16];
	bool live[CM_MAX_GROUPS];
	json_t *arr = json_array();
	int gi, i, n;

	if (!cm || !arr)
		return arr;
	pthread_mutex_lock(&cm->lock);
	n = cm->nstreams;
	for (gi = 0; gi < CM_MAX_GROUPS; gi++) {
		live[gi] = cm->g[gi].live;
		memcpy(st[gi], cm->g[gi].st, sizeof(st[gi]));
	}
	memcpy(type, cm->type, sizeof(type));
	pthread_mutex_unlock(&cm->lock);
	for (gi = 0; gi < CM_MAX_GROUPS; gi++) {
		if (!live[gi])
			continue;
		for (i = 0; i < n; i++) {
			struct media_session_info mi;
			const struct cm_stream *s = &st[gi][i];
			bool up = s->sid && media_session_info(s->sid, &mi) == 0;
			json_t *o, *rows;

			o = json_pack("{s:i, s:i, s:s, s:I, s:b}", "index", i, "group", gi,
				      "type", type[i], "session", (json_int_t)(up ? s->sid : 0),
				      "rejected", !up);
			if (!o)
				continue;
			if (up) {
				rows = media_session_flows_json(s->sid);
				json_object_set_new(o, "caller", party_json(&mi, cm_side(s, true), rows));
				json_object_set_new(o, "callee", party_json(&mi, cm_side(s, false), rows));
				json_decref(rows);
			} else {
				json_object_set_new(o, "caller", json_null());
				json_object_set_new(o, "callee", json_null());
			}
			json_array_append_new(arr, o);
		}
	}
	return arr;
}
