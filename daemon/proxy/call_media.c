// SPDX-License-Identifier: GPL-2.0
/*
 * call_media.c - one call's media anchoring (see call_media.h): the RFC 3264
 * offer/answer state of a call, its media sessions (one per m= line; side A
 * is the party that first offered the line), and the rewriting of every SDP
 * body between the parties.  Each struct cm has its own mutex; media_*()
 * calls are made under it (they never wait for the proxy).
 *
 * OUR choices where RFCs leave room:
 *  - A forked INVITE's branches share one session per line: the latest
 *    answer (early 183 or 2xx) sets the callee's side, so media follows the
 *    branch that answered last and the winner's 2xx takes it over for good.
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
#include "media/media.h"
#include "proxy/call_media.h"
#include "sdp/sdp.h"

#define cm_debug(...)	slog(LS_PROXY, LL_DEBUG, __VA_ARGS__)

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
	char		type[16];	/* "audio", "video" */
};

enum cm_state { CM_IDLE, CM_OFFER_CALLER, CM_OFFER_CALLEE };

struct cm {
	pthread_mutex_t	 lock;
	uint64_t	 call_id;	/* for log lines */
	bool		 ended;
	enum cm_state	 state;
	int		 nstreams;	/* m= lines known (offered at least once) */
	struct cm_stream st[SDP_MAX_MEDIA];
	int		 noffer;	/* lines of the pending offer */
	struct cm_line	 offer[SDP_MAX_MEDIA];
};

struct cm *
cm_new(uint64_t call_id)
{
	struct cm *cm = calloc(1, sizeof(*cm));

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
cm_end(struct cm *cm)
{
	int i;

	if (!cm)
		return;
	pthread_mutex_lock(&cm->lock);
	cm->ended = true;
	for (i = 0; i < cm->nstreams; i++) {
		if (cm->st[i].sid)
			media_session_delete(cm->st[i].sid);
		cm->st[i].sid = 0;
	}
	pthread_mutex_unlock(&cm->lock);
}

void
cm_free(struct cm *cm)
{
	if (!cm)
		return;
	pthread_mutex_destroy(&cm->lock);
	free(cm);
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
		if (rtp->sa.sa_family == 0 || xr_sa_port(rtp) == 0) {
			rtp = &l->rtp;	/* nothing known yet: 0.0.0.0 means "none" */
		}
	}
	rc = media_session_update_rtcp(s->sid, side, rtp, rtcp, l->dir);
	if (rc < 0) {
		char a[XR_SA_STRLEN];

		logs(LS_PROXY, LL_WARN, "call %" PRIu64 ": session %" PRIu64 " side %c: cannot "
		     "set %s (%s)", cm->call_id, s->sid, side == MEDIA_A ? 'A' : 'B',
		     xr_sa_str(rtp, a, sizeof(a)), strerror(-rc));
	}
	return rc;
}

/* Delete the streams the pending offer created. Locked. */
static void
cm_drop_added(struct cm *cm)
{
	int i;

	for (i = 0; i < cm->nstreams; i++) {
		if (!cm->st[i].added)
			continue;
		cm->st[i].added = false;
		if (cm->st[i].sid)
			media_session_delete(cm->st[i].sid);
		cm->st[i].sid = 0;
	}
}

/* An offer from party `caller` (p parsed). Locked. */
static int
cm_offer(struct cm *cm, const struct sdp *p, bool caller, const union xr_sa *to_hint,
	 char *err, size_t errlen)
{
	int i, rc;

	if (p->n_media < cm->nstreams) {
		snprintf(err, errlen, "offer has %d m= lines, the call has %d (RFC 3264 §8)",
			 p->n_media, cm->nstreams);
		return -EPROTO;
	}
	/* A new offer replaces one still pending (glare, or an offer retried). */
	cm_drop_added(cm);
	for (i = 0; i < p->n_media; i++) {
		const struct sdp_media *m = &p->m[i];
		struct cm_stream *s = &cm->st[i];

		cm_line_of(&cm->offer[i], m);
		if (i >= cm->nstreams) {
			memset(s, 0, sizeof(*s));
			snprintf(s->type, sizeof(s->type), "%.*s", SIP_STR_FMT(m->type));
		}
		if (m->port == 0 || s->sid)
			continue;
		/* A new line: its ports now, the offerer's side set at once. */
		rc = media_session_create_half(&m->rtp, to_hint, &s->sid);
		if (rc < 0) {
			snprintf(err, errlen, "m= line %d: %s", i + 1,
				 rc == -ENOSPC ? "no free media port pair" :
				 rc == -EINVAL ? "no relay address for this address family" :
				 strerror(-rc));
			s->sid = 0;
			if (i > cm->nstreams)
				cm->nstreams = i;	/* so the lines added so far are dropped */
			cm_drop_added(cm);
			return rc;
		}
		s->a_is_caller = caller;
		s->added = true;
		s->silent = false;
		cm_apply(cm, s, caller, &cm->offer[i]);
	}
	if (p->n_media > cm->nstreams)
		cm->nstreams = p->n_media;
	cm->noffer = p->n_media;
	cm->state = caller ? CM_OFFER_CALLER : CM_OFFER_CALLEE;
	return 0;
}

/* The answer from party `caller` to the other's pending offer. Locked. */
static int
cm_answer(struct cm *cm, const struct sdp *p, bool caller, bool completes,
	  char *err, size_t errlen)
{
	int i;

	if (p->n_media != cm->noffer) {
		snprintf(err, errlen, "answer has %d m= lines, the offer had %d (RFC 3264 §6)",
			 p->n_media, cm->noffer);
		return -EPROTO;
	}
	for (i = 0; i < p->n_media; i++) {
		struct cm_stream *s = &cm->st[i];
		struct cm_line a;

		cm_line_of(&a, &p->m[i]);
		if (!s->sid)
			continue;
		if (a.rejected || cm->offer[i].rejected) {
			/* Rejected by the answer, or removed by the offer. */
			media_session_delete(s->sid);
			s->sid = 0;
			s->added = false;
			continue;
		}
		/* Offerer's side first (changes wait for the answer), then ours. */
		cm_apply(cm, s, !caller, &cm->offer[i]);
		cm_apply(cm, s, caller, &a);
	}
	if (completes) {
		cm->state = CM_IDLE;
		for (i = 0; i < cm->nstreams; i++)
			cm->st[i].added = false;
	}
	return 0;
}

/* Splice the rewritten SDP into the body. Locked. */
static int
cm_rewrite(struct cm *cm, const struct sip_msg *m, size_t off, size_t slen,
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
		struct cm_stream *s = &cm->st[i];

		if (p->m[i].port == 0)
			continue;
		if (i >= cm->nstreams || !s->sid ||
		    media_session_info(s->sid, &mi) < 0) {
			snprintf(err, errlen, "m= line %d has no media session", i + 1);
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

int
cm_body(struct cm *cm, const struct sip_msg *m, bool from_caller, bool completes,
	bool replay, const union xr_sa *to_hint, char *out, size_t cap, size_t *outlen,
	char *err, size_t errlen)
{
	const struct sip_hdr *ct;
	struct sdp *p;
	size_t off, slen;
	int rc;

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

	pthread_mutex_lock(&cm->lock);
	if (cm->ended) {
		rc = 0;
		goto unlock;
	}
	if (!replay) {
		if (cm->state == (from_caller ? CM_OFFER_CALLEE : CM_OFFER_CALLER))
			rc = cm_answer(cm, p, from_caller, completes, err, errlen);
		else
			rc = cm_offer(cm, p, from_caller, to_hint, err, errlen);
		if (rc < 0)
			goto unlock;
	}
	rc = cm_rewrite(cm, m, off, slen, p, !from_caller, out, cap, outlen, err, errlen);
	cm_debug("call %" PRIu64 ": %s SDP from the %s, %d line(s): %s", cm->call_id,
		 replay ? "replayed" : cm->state == CM_IDLE ? "answer" : "offer/early answer",
		 from_caller ? "caller" : "callee", p->n_media, rc == 1 ? "rewritten" : err);
unlock:
	pthread_mutex_unlock(&cm->lock);
out:
	free(p);
	return rc;
}

void
cm_offer_failed(struct cm *cm, bool from_caller)
{
	if (!cm)
		return;
	pthread_mutex_lock(&cm->lock);
	if (!cm->ended && cm->state == (from_caller ? CM_OFFER_CALLER : CM_OFFER_CALLEE)) {
		cm_drop_added(cm);
		cm->state = CM_IDLE;
	}
	pthread_mutex_unlock(&cm->lock);
}

int
cm_silent(struct cm *cm, uint64_t sid)
{
	int i, rc = -ENOENT;
	bool all = true;

	if (!cm || !sid)
		return -ENOENT;
	pthread_mutex_lock(&cm->lock);
	for (i = 0; i < cm->nstreams; i++) {
		if (!cm->st[i].sid)
			continue;
		if (cm->st[i].sid == sid) {
			cm->st[i].silent = true;
			rc = 0;
		}
		all = all && cm->st[i].silent;
	}
	pthread_mutex_unlock(&cm->lock);
	return rc < 0 ? rc : all ? 1 : 0;
}

void
cm_touch(struct cm *cm)
{
	int i;

	if (!cm)
		return;
	pthread_mutex_lock(&cm->lock);
	for (i = 0; i < cm->nstreams; i++) {
		cm->st[i].silent = false;
		if (cm->st[i].sid)
			media_session_touch(cm->st[i].sid);
	}
	pthread_mutex_unlock(&cm->lock);
}

int
cm_streams(struct cm *cm)
{
	int i, n = 0;

	if (!cm)
		return 0;
	pthread_mutex_lock(&cm->lock);
	for (i = 0; i < cm->nstreams; i++)
		n += cm->st[i].sid != 0;
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
	json_t *arr = json_array();
	struct cm_stream st[SDP_MAX_MEDIA];
	int i, n;

	if (!cm || !arr)
		return arr;
	pthread_mutex_lock(&cm->lock);
	n = cm->nstreams;
	memcpy(st, cm->st, sizeof(st));
	pthread_mutex_unlock(&cm->lock);
	for (i = 0; i < n; i++) {
		struct media_session_info mi;
		json_t *o, *rows;
		bool live = st[i].sid && media_session_info(st[i].sid, &mi) == 0;

		o = json_pack("{s:i, s:s, s:I, s:b}", "index", i, "type", st[i].type,
			      "session", (json_int_t)(live ? st[i].sid : 0), "rejected", !live);
		if (!o)
			continue;
		if (live) {
			rows = media_session_flows_json(st[i].sid);
			json_object_set_new(o, "caller", party_json(&mi, cm_side(&st[i], true), rows));
			json_object_set_new(o, "callee", party_json(&mi, cm_side(&st[i], false), rows));
			json_decref(rows);
		} else {
			json_object_set_new(o, "caller", json_null());
			json_object_set_new(o, "callee", json_null());
		}
		json_array_append_new(arr, o);
	}
	return arr;
}
