// SPDX-License-Identifier: GPL-2.0
/*
 * policy.c - the verdict table for one request (issue 13, README "Access
 * control"), as one pure function over the facts the proxy gathered, and
 * the refusal counters.  Modelled on what Kamailio's default configuration
 * builds from auth_db, permissions and is_myself, with RFC 3325 for
 * identity: trusted peers pass untouched; untrusted sources register only
 * with credentials of the To user, reach our users freely, and need
 * Proxy-Authorization for everything else.
 *
 * OUR choices where the issue is silent:
 *  - A Route set from an untrusted source that names anyone but us is
 *    refused (403) even with credentials: a caller never chooses the path.
 *  - Wrong credentials are challenged again (401/407, counted as failures)
 *    rather than refused, as Kamailio does, so a mistyped password can be
 *    retried; an unknown user looks exactly like a wrong password.
 *  - An untrusted ACK that may not pass is dropped (it cannot be answered).
 */
#include "policy/policy.h"

static struct pol_stats pol_st;

void
pol_count(enum pol_stat s)
{
	uint64_t *c;

	switch (s) {
	case POL_S_CHALLENGE:	c = &pol_st.auth_challenges; break;
	case POL_S_AUTH_FAIL:	c = &pol_st.auth_failures; break;
	case POL_S_RELAY:	c = &pol_st.relay_forbidden; break;
	case POL_S_DEST:	c = &pol_st.dest_denied; break;
	case POL_S_STRIP:	c = &pol_st.identity_stripped; break;
	default:		return;
	}
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

void
pol_stats(struct pol_stats *out)
{
	out->auth_challenges = __atomic_load_n(&pol_st.auth_challenges, __ATOMIC_RELAXED);
	out->auth_failures = __atomic_load_n(&pol_st.auth_failures, __ATOMIC_RELAXED);
	out->relay_forbidden = __atomic_load_n(&pol_st.relay_forbidden, __ATOMIC_RELAXED);
	out->dest_denied = __atomic_load_n(&pol_st.dest_denied, __ATOMIC_RELAXED);
	out->identity_stripped = __atomic_load_n(&pol_st.identity_stripped, __ATOMIC_RELAXED);
}

static void
set(struct pol_verdict *v, enum pol_action a, int code, const char *reason)
{
	v->action = a;
	v->code = code;
	v->reason = reason;
}

/* A challenge of kind code (401/407) for auth outcome a; false: a is OK. */
static bool
need_auth(const struct pol_req *r, struct pol_verdict *v, int code)
{
	switch (r->auth) {
	case POL_AUTH_OK:
		return false;
	case POL_AUTH_STALE:
		set(v, POL_CHALLENGE, code, NULL);
		v->stale = true;
		return true;
	case POL_AUTH_FAILED:
		set(v, POL_CHALLENGE, code, NULL);
		v->counter = POL_C_AUTH_FAILURE;
		return true;
	case POL_AUTH_NONE:
	default:
		set(v, POL_CHALLENGE, code, NULL);
		return true;
	}
}

void
pol_decide(const struct pol_req *r, struct pol_verdict *v)
{
	*v = (struct pol_verdict){ .action = POL_ALLOW };

	if (r->trusted)
		return;		/* its own Route set and identity, no challenge */
	v->strip_id = true;	/* RFC 3325 §5: no identity from an untrusted host */

	if (r->is_register && !r->dialog_known) {
		if (!r->register_ours || r->route_foreign) {
			set(v, POL_REPLY, 403, "Relay forbidden");
			v->counter = POL_C_RELAY_FORBIDDEN;
			return;
		}
		if (need_auth(r, v, 401))
			return;
		if (!r->auth_is_to) {
			set(v, POL_REPLY, 403, "Forbidden: credentials of another user");
			v->counter = POL_C_AUTH_FAILURE;
			return;
		}
		v->assert_id = true;
		return;
	}
	if (r->dialog_known)
		return;		/* along a dialog we keep, to its other party */
	if (r->route_foreign) {
		if (r->is_ack)
			set(v, POL_DROP, 0, NULL);
		else
			set(v, POL_REPLY, 403, "Relay forbidden");
		v->counter = POL_C_RELAY_FORBIDDEN;
		return;
	}
	if (r->is_ack) {
		/* Never challenged: passes to our users, dropped elsewhere. */
		if (r->target != POL_T_FOREIGN)
			return;
		set(v, POL_DROP, 0, NULL);
		v->counter = POL_C_RELAY_FORBIDDEN;
		return;
	}
	switch (r->target) {
	case POL_T_SELF:
		return;
	case POL_T_LOCAL:
		/* Credentials optional; if given they must be right. */
		if (r->auth == POL_AUTH_NONE)
			return;
		if (need_auth(r, v, 407))
			return;
		v->assert_id = true;
		return;
	case POL_T_FOREIGN:
	default:
		if (r->auth == POL_AUTH_NONE && !r->from_ours) {
			set(v, POL_REPLY, 403, "Relay forbidden");
			v->counter = POL_C_RELAY_FORBIDDEN;
			return;
		}
		if (need_auth(r, v, 407))
			return;
		v->assert_id = true;
		return;
	}
}
