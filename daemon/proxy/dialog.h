/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dialog.h - the proxy's call records (RFC 3261 §12 as seen by a
 * record-routing proxy): one per INVITE it forwards outside a dialog, keyed
 * by Call-ID + From tag, with state early/confirmed/terminated, the parties,
 * the forked branches, the call's media anchoring (call_media.h) and what a
 * BYE each way needs (`call kill`, media timeout).  A cds_lfht read under
 * RCU; each record has its own mutex and a reference count.  Owns no
 * transaction and sends nothing (proxy.c does).
 */
#ifndef XR_DIALOG_H
#define XR_DIALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "sip/msg.h"
#include "sip/transport.h"

enum dlg_state { DLG_INIT, DLG_EARLY, DLG_CONFIRMED, DLG_TERMINATED };

#define DLG_TAG_MAX	128
#define DLG_HDR_MAX	512
#define DLG_ROUTES_MAX	1024

#define DLG_MAX_BRANCHES	8	/* branches remembered for `call show` */

/* One forked branch of the dialog's INVITE, as `call show` lists it. */
struct dlg_branch {
	char		uri[256];		/* the target (Request-URI sent) */
	char		to_tag[DLG_TAG_MAX];	/* the branch's tag (first 1xx/2xx), "" none */
	int		code;			/* last status, 0: none yet */
	bool		cancelled;		/* we sent CANCEL */
};

/* A consistent copy of one dialog, for ctl and for building a BYE. */
struct dlg_info {
	uint64_t	id;			/* "call show ID" */
	enum dlg_state	state;
	char		callid[DLG_HDR_MAX];
	char		from_tag[DLG_TAG_MAX];	/* caller's tag */
	char		to_tag[DLG_TAG_MAX];	/* callee's tag (first 2xx or 1xx) */
	char		from_hdr[DLG_HDR_MAX];	/* From value of the INVITE */
	char		to_hdr[DLG_HDR_MAX];	/* To value of the INVITE (no tag) */
	char		caller_uri[DLG_HDR_MAX]; /* From URI */
	char		callee_uri[DLG_HDR_MAX]; /* Request-URI as received */
	char		caller_contact[DLG_HDR_MAX]; /* Contact URI of the INVITE */
	char		callee_contact[DLG_HDR_MAX]; /* Contact URI of the 2xx */
	char		caller_routes[DLG_ROUTES_MAX]; /* "Route: ..\r\n" lines towards the caller */
	char		callee_routes[DLG_ROUTES_MAX]; /* ... towards the callee */
	struct sip_dest	caller_dest;		/* where the INVITE came from */
	struct sip_dest	callee_dest;		/* where the 2xx came from */
	uint32_t	cseq_caller;		/* highest CSeq seen from each side */
	uint32_t	cseq_callee;
	uint64_t	created;		/* CLOCK_REALTIME seconds */
	uint64_t	answered;		/* CLOCK_REALTIME seconds, 0: not yet */
	uint64_t	created_mono_ms;	/* CLOCK_MONOTONIC ms (sweeps) */
	int		last_code;		/* last response status seen */
	int		nbranches;
	struct dlg_branch br[DLG_MAX_BRANCHES];
};

struct dlg;
struct cm;

int	dlg_init(void);
void	dlg_fini(void);

/*
 * A record for an initial INVITE m that arrived from src and is being
 * forwarded; caller_routes are the Record-Route values it carried (towards
 * the caller).  Returns the record with one reference for the caller (the
 * table holds its own), or NULL (ENOMEM, EEXIST: one with that Call-ID and
 * From tag exists, EBUSY: max records (--max-calls; 0 no bound) are in the
 * table already: the check reserves, so it is exact across threads).  The
 * calling thread must be RCU-registered.
 */
struct dlg *dlg_create(const struct sip_msg *m, const struct sip_src *src, unsigned long max);
void	dlg_put(struct dlg *d);

/*
 * A response to the dialog's INVITE: 1xx with a To tag -> early; 2xx ->
 * confirmed (records the callee's tag, Contact, the route set towards the
 * callee from the Record-Route values above ours (is_ours tells), and where it
 * came from); a final non-2xx before any 2xx ends the record.
 */
void	dlg_on_response(struct dlg *d, const struct sip_msg *resp, const struct sip_src *src,
			bool (*is_ours)(const struct sip_uri *u));

/*
 * An in-dialog request by Call-ID and tags (either direction).  Returns
 * the record with a reference (dlg_put() it) and sets *from_caller, or NULL.
 * Once the dialog is confirmed, the callee's tag must be the winning 2xx's:
 * a request in another forked branch's dialog (a late 2xx the caller ACKs
 * and BYEs) is not this record's.  An absent to_tag matches any (ctl).
 * RCU-registered thread.
 */
struct dlg *dlg_find(struct sip_str callid, struct sip_str from_tag, struct sip_str to_tag,
		     bool *from_caller);
/*
 * The record whose call owns media session sid (the media timeout); with
 * a reference, *all_silent from cm_silent(): 1 when every stream of the
 * call is now silent.  NULL if none.
 */
struct dlg *dlg_find_media(uint64_t sid, int *all_silent);
/* The call's media anchoring (call_media.h); lives as long as d. */
struct cm *dlg_cm(struct dlg *d);
/* Branch idx (0..) of the INVITE went to uri / answered code with to_tag / was cancelled. */
void	dlg_branch_target(struct dlg *d, int idx, struct sip_str uri);
void	dlg_branch_status(struct dlg *d, int idx, int code, struct sip_str to_tag);
void	dlg_branch_cancelled(struct dlg *d, int idx);
/*
 * The pending INVITE's response context (proxy.c's), for `call kill` on a
 * call not answered yet: set while the INVITE is pending and cleared before
 * that context can go away.  dlg_owner_get() returns it after calling
 * hold(owner) under the record's lock (so it stays), or NULL.
 */
void	dlg_set_owner(struct dlg *d, void *owner);
void	*dlg_owner_get(struct dlg *d, void (*hold)(void *owner));
/* Note a request's CSeq in the dialog (for the CSeq of our own BYEs). */
void	dlg_note_cseq(struct dlg *d, bool from_caller, uint32_t cseq);
/*
 * End the record (BYE, failure, call kill, media timeout): terminated, out
 * of the table, its media sessions deleted (kernel entries, ports) before
 * this returns.
 */
void	dlg_end(struct dlg *d);

/*
 * cb(id) after a record changed in a way a restarted daemon needs (early,
 * answered, a CSeq of the confirmed dialog, ended), on the thread that
 * changed it, outside the record's lock: must not block (daemon/ha/).
 */
void	dlg_set_change_cb(void (*cb)(uint64_t id));
struct cm_saved;
/*
 * Re-create a confirmed dialog from a saved copy (a restarted daemon,
 * daemon/ha/), with its id and its media streams (whose sessions were
 * restored first).  0, -EEXIST (that Call-ID and tag exist), -EINVAL (not
 * confirmed), -ENOMEM.  RCU-registered thread.
 */
int	dlg_restore(const struct dlg_info *in, const struct cm_saved *media);

/* Copy the record d (consistent, under its lock). */
void	dlg_info_of(struct dlg *d, struct dlg_info *out);
/* Copy one record; 0 or -ENOENT.  With ref, *ref gets the record with a reference. */
int	dlg_get(uint64_t id, struct dlg_info *out, struct dlg **ref);
/*
 * Call fn with a copy of every live record and the record itself (RCU read
 * side: d is valid during the call; fn must not block).
 */
int	dlg_walk(void (*fn)(const struct dlg_info *di, struct dlg *d, void *arg), void *arg);
/* Drop records still not confirmed max_age_ms after creation; returns how many. */
int	dlg_sweep(uint64_t now_mono_ms, uint64_t max_age_ms);
/* Live records. */
unsigned long dlg_count(void);

const char *dlg_state_name(enum dlg_state s);

#endif /* XR_DIALOG_H */
