/* SPDX-License-Identifier: GPL-2.0 */
/*
 * location.h - the location service of RFC 3261 §10: address of record ->
 * bindings (contact URI, q, expiry, Call-ID/CSeq of the REGISTER that made
 * it, where it came from).  One liburcu cds_lfht keyed by the canonical AOR;
 * each AOR points to an immutable binding set replaced copy-on-write, so
 * readers (the proxy's target lookup, `xrelayctl regs`) take only the RCU
 * read lock.  Writers (the registrar, the expiry sweep) are serialised by one
 * mutex.  Times are milliseconds on a clock the caller passes in (monotonic
 * in the daemon, fake in tests).  This file knows no SIP syntax.
 */
#ifndef XR_LOCATION_H
#define XR_LOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define LOC_AOR_MAX		256	/* canonical AOR, NUL included */
#define LOC_URI_MAX		512	/* contact URI, NUL included */
#define LOC_CALLID_MAX		128	/* Call-ID kept for §10.3 ordering */
#define LOC_MAX_BINDINGS	16	/* per AOR (the proxy forks to all) */

/* One binding (§10.3 step 7); copied out to readers. */
struct loc_binding {
	char		contact[LOC_URI_MAX];	/* URI of the Contact (addr-spec) */
	int		q;			/* 0..1000 (q=0.5 -> 500), -1: none given */
	uint64_t	expires_ms;		/* absolute, on the caller's clock */
	uint64_t	updated_ms;		/* when added or last refreshed */
	char		callid[LOC_CALLID_MAX];	/* Call-ID of the REGISTER */
	uint32_t	cseq;			/* CSeq number of the REGISTER */
	union xr_sa	received;		/* source of the REGISTER (NAT, logs) */
	int		tp;			/* enum sip_tp it came over */
	uint64_t	conn_id;		/* TCP connection it came over, 0: UDP */
	int		sock;			/* our --sip socket index it came to */
};

/* One change in a REGISTER: add/refresh a contact, or remove it (expires 0). */
struct loc_op {
	const char	*contact;		/* URI, not NUL-terminated */
	size_t		 contact_len;
	int		 q;			/* -1: none given */
	int		 expires;		/* seconds, already clamped; 0 = remove */
};

/* Where the REGISTER came from; copied into every binding it adds. */
struct loc_src {
	union xr_sa	received;
	int		tp;
	uint64_t	conn_id;
	int		sock;
	int		max_bindings;	/* the AOR's limit for this request (--max-contacts);
					 * 0: LOC_MAX_BINDINGS */
	int		max_total;	/* bindings held in all (--max-registrations), 0: none */
};

/* Compares two contact URIs (§19.1.4); the registrar installs msg.h's. */
typedef bool (*loc_uri_eq_fn)(const char *a, size_t alen, const char *b, size_t blen);

/*
 * Create the table (1024 buckets, auto-resizing).  uri_eq may be NULL: then a
 * case-insensitive comparison of the whole URI is used (see location.c for
 * why that is only an approximation of §19.1.4).  0 or -errno.
 */
int	loc_init(loc_uri_eq_fn uri_eq);
/* Remove every binding and destroy the table; waits for RCU readers. */
void	loc_fini(void);

/*
 * Apply the changes of one REGISTER to one AOR atomically (§10.3 step 7:
 * committed only if every change succeeds).  remove_all is the "Contact: *"
 * form (nops must be 0).  For a contact already bound: a different Call-ID
 * replaces (or removes) it; the same Call-ID needs a higher CSeq, else the
 * whole request fails with -EALREADY.  Removing a contact that is not bound
 * is not an error.  Returns 0, -EALREADY (out-of-order CSeq), -ENOSPC (over
 * src->max_bindings, or LOC_MAX_BINDINGS), -EDQUOT (it adds bindings and the
 * table would hold more than src->max_total: loc_held()), -ENAMETOOLONG (AOR, contact or Call-ID too long),
 * -ENOMEM.  Takes the writer mutex and the RCU read lock itself; the calling
 * thread must be RCU-registered.
 */
int	loc_apply(const char *aor, const char *callid, uint32_t cseq,
		  const struct loc_op *ops, int nops, bool remove_all,
		  const struct loc_src *src, uint64_t now_ms);

/*
 * Bindings the table holds: live ones and expired ones the sweep
 * (loc_expire()) has not removed yet.  What --max-registrations bounds.
 */
int	loc_held(void);

/*
 * Copy the live (not expired at now_ms) bindings of aor into out[0..max),
 * highest q first (no q counts as 1000; ties: most recently updated first).
 * Returns how many were copied (0: unknown AOR or none live).  RCU read
 * side; the calling thread must be RCU-registered.
 */
int	loc_lookup(const char *aor, uint64_t now_ms, struct loc_binding *out, int max);

/*
 * Call fn for every AOR with live bindings (sorted as loc_lookup()), under
 * the RCU read lock: fn must not block or call loc_apply().  Returns the
 * number of AORs visited.
 */
typedef void (*loc_walk_fn)(const char *aor, const struct loc_binding *b, int n, void *arg);
int	loc_walk(uint64_t now_ms, loc_walk_fn fn, void *arg);

/*
 * Remove aor and every binding it has (the operator's `xrelayctl reg del`),
 * whatever their Call-ID and CSeq.  Returns the live bindings removed (at
 * now_ms), -ENOENT when aor has none, -ENAMETOOLONG.  Takes the writer
 * mutex and the RCU read lock itself; the thread must be RCU-registered.
 */
int	loc_remove_aor(const char *aor, uint64_t now_ms);

/* Drop every binding expired at now_ms and AORs left empty; returns bindings dropped. */
int	loc_expire(uint64_t now_ms);

/* Live AORs and bindings now (for status/metrics; approximate under writers). */
void	loc_count(uint64_t now_ms, int *naors, int *nbindings);

/* Milliseconds on CLOCK_MONOTONIC: what the daemon passes as now_ms. */
uint64_t loc_now_ms(void);

/*
 * cb(aor) after a REGISTER or reg.del changed aor's bindings, on that
 * thread, outside the table's lock: must not block (daemon/ha/ records
 * them).  Expiry is not reported: the copy expires on its own.
 */
void	loc_set_change_cb(void (*cb)(const char *aor));

#endif /* XR_LOCATION_H */
