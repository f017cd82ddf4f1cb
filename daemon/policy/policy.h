/* SPDX-License-Identifier: GPL-2.0 */
/*
 * policy.h - the edge's access policy (DESIGN "Rules of the signalling
 * path", issue 13): which sources are trusted, which destinations SIP and
 * media may never go to, and what an untrusted request needs (the verdict
 * table of pol_decide()).  Pure decisions over facts the proxy gathers;
 * the proxy sends the replies, builds challenges (auth/) and edits headers.
 * The live sets (--trusted, --deny-dest, our own addresses) are published
 * under RCU by pol_configure() at start-up and on SIGHUP.
 */
#ifndef XR_POLICY_H
#define XR_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"

/* ---- CIDR sets (cidr.c) ---------------------------------------------------- */

struct pol_cidr {
	union xr_sa	 net;		/* address, host bits cleared; port 0 */
	int		 plen;		/* prefix length: 0..32 or 0..128 */
};

/*
 * "10.0.0.0/8", "2001:db8::/32", "192.0.2.7" (a /32 or /128).  Host bits
 * set below the prefix are refused ("10.1.2.3/8": say 10.0.0.0/8).
 * 0 or -EINVAL.
 */
int	pol_cidr_parse(const char *s, struct pol_cidr *c);
/* "10.0.0.0/8" into buf (INET6_ADDRSTRLEN + 4). */
const char *pol_cidr_str(const struct pol_cidr *c, char *buf, size_t len);
/* Does a (IPv4-mapped IPv6 counts as IPv4) fall in c? */
bool	pol_cidr_match(const struct pol_cidr *c, const union xr_sa *a);
/* In any of v[0..n)? */
bool	pol_cidr_any(const struct pol_cidr *v, int n, const union xr_sa *a);

/*
 * Addresses nothing may be sent to, whatever the configuration: loopback,
 * link-local, unspecified, multicast, IPv4 broadcast, and the IPv4 "this
 * network" block 0/8.  Returns a short reason ("loopback"), or NULL.
 */
const char *pol_addr_special(const union xr_sa *a);

/* ---- the live sets ---------------------------------------------------------- */

#define POL_MAX_CIDRS	128	/* --trusted and --deny-dest entries, each */
#define POL_MAX_OWN	64	/* our own addresses (--sip, --media, interfaces) */

struct pol_acl {
	struct pol_cidr	 trusted[POL_MAX_CIDRS];
	int		 ntrusted;
	struct pol_cidr	 deny[POL_MAX_CIDRS];
	int		 ndeny;
	union xr_sa	 own[POL_MAX_OWN];	/* port 0 */
	int		 nown;
	bool		 trusted_exempt;	/* trusted sources may reach deny[] */
};

/* Is the source address a trusted peer? */
bool	pol_acl_trusted(const struct pol_acl *acl, const union xr_sa *src);
/*
 * May SIP or media be sent to dst, for a request or offer from a source
 * whose trust is src_trusted?  NULL when it may, else the reason
 * ("loopback", "our own address", "denied network").
 */
const char *pol_acl_dest(const struct pol_acl *acl, const union xr_sa *dst, bool src_trusted);

/*
 * Publish acl (copied) as the live one, adding the host's interface
 * addresses (getifaddrs) to own[].  Call from an RCU-registered thread
 * outside a read-side section.  0 or -ENOMEM.
 */
int	pol_configure(const struct pol_acl *acl);
void	pol_unconfigure(void);
/* The same checks against the live sets (take the RCU read lock themselves). */
bool	pol_trusted(const union xr_sa *src);
/* Does net/plen overlap a trusted prefix (so it may never be banned)? */
bool	pol_trusted_overlaps(const union xr_sa *net, int plen);
const char *pol_dest(const union xr_sa *dst, bool src_trusted);
/* A copy of the live sets (counts for status); false when none is published. */
bool	pol_snapshot(struct pol_acl *out);
/*
 * Whether the party whose message this thread is handling is trusted: the
 * proxy sets it before an SDP goes through call_media.c, which checks media
 * destinations with it (per thread, no locking).
 */
void	pol_set_sender_trusted(bool trusted);
bool	pol_sender_trusted(void);


/* ---- the verdict table (policy.c) ------------------------------------------ */

/* What the Request-URI (after Route processing) names. */
enum pol_target {
	POL_T_SELF = 0,		/* the proxy itself (no user part): OPTIONS ping */
	POL_T_LOCAL,		/* a user of one of our domains or addresses */
	POL_T_FOREIGN,		/* any other domain or address */
};

/* Outcome of checking the request's credentials (auth/check.c). */
enum pol_auth {
	POL_AUTH_NONE = 0,	/* no credentials for our realm */
	POL_AUTH_OK,		/* right response, fresh nonce, new nc */
	POL_AUTH_FAILED,	/* unknown user, wrong response, malformed, not ours */
	POL_AUTH_STALE,		/* right response, expired or recycled nonce */
};

struct pol_req {
	bool		 trusted;	/* the source is a --trusted peer */
	bool		 is_register;
	bool		 is_ack;	/* cannot be answered: dropped when refused */
	bool		 register_ours;	/* REGISTER for one of our domains */
	enum pol_target	 target;
	bool		 route_foreign;	/* a Route names anyone but us */
	bool		 dialog_known;	/* in-dialog, a dialog we keep, to its other party */
	bool		 from_ours;	/* the From URI's domain is one of ours */
	enum pol_auth	 auth;		/* Authorization (REGISTER) / Proxy-Authorization */
	bool		 auth_is_to;	/* REGISTER: authenticated user == To user */
};

enum pol_action {
	POL_ALLOW = 0,		/* go on */
	POL_REPLY,		/* answer code/reason, nothing more */
	POL_CHALLENGE,		/* answer code (401/407) with fresh challenges */
	POL_DROP,		/* an ACK that may not pass: drop it */
};

/* Which counter a verdict bumps (besides auth_challenges for challenges). */
enum pol_counter {
	POL_C_NONE = 0,
	POL_C_RELAY_FORBIDDEN,
	POL_C_AUTH_FAILURE,
};

struct pol_verdict {
	enum pol_action	 action;
	int		 code;		/* 401, 403, 407 for REPLY and CHALLENGE */
	const char	*reason;	/* reason phrase (static) */
	bool		 stale;		/* CHALLENGE: stale=true */
	bool		 assert_id;	/* ALLOW: add P-Asserted-Identity of the auth user */
	bool		 strip_id;	/* ALLOW: remove PAI/PPI the source sent */
	enum pol_counter counter;
};

/*
 * The policy table (README "Access control"): a trusted source may do
 * anything; an untrusted one may REGISTER for our domains with credentials
 * of the To user, reach our users and the proxy itself, continue dialogs we
 * keep, and needs Proxy-Authorization for anything else (403 Relay
 * forbidden when its From is not ours either).
 */
void	pol_decide(const struct pol_req *r, struct pol_verdict *v);

/* ---- counters ------------------------------------------------------------------ */

struct pol_stats {
	uint64_t	auth_challenges;	/* 401/407 with challenges sent */
	uint64_t	auth_failures;		/* credentials refused */
	uint64_t	relay_forbidden;	/* 403 for a foreign target or Route */
	uint64_t	dest_denied;		/* SIP or media refused a destination */
	uint64_t	identity_stripped;	/* requests that lost PAI/PPI */
};
enum pol_stat { POL_S_CHALLENGE, POL_S_AUTH_FAIL, POL_S_RELAY, POL_S_DEST, POL_S_STRIP };
void	pol_count(enum pol_stat s);
void	pol_stats(struct pol_stats *out);

#endif /* XR_POLICY_H */
