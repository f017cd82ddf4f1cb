// SPDX-License-Identifier: GPL-2.0
/*
 * txn_table.c - transaction matching keys (see txn_fsm.h): which fields of a
 * message identify its transaction, their hash, and the comparison rules of
 * RFC 3261 §17.1.3 (client) and §17.2.3 (server, with the RFC 2543
 * fallback).  Pure functions over parsed messages; the table lives in txn.c.
 *
 * OUR implementation: a branch that is exactly the magic cookie (RFC 4475
 * §3.2.1, "badbranch") is treated as having no cookie, so such requests use
 * the RFC 2543 rules and never collide on the empty unique part.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "common/hash.h"
#include "txn/txn_fsm.h"
#include "sip/msg.h"

#define COOKIE		"z9hG4bK"
#define COOKIE_LEN	7

bool
txn_branch_is_3261(struct sip_str b)
{
	return b.s && b.len > COOKIE_LEN && memcmp(b.s, COOKIE, COOKIE_LEN) == 0;
}

int
txn_key_from_msg(struct txn_key *k, const struct sip_msg *m, bool server)
{
	const struct sip_via *v = &m->via1;

	memset(k, 0, sizeof(*k));
	if (m->nvia <= 0)
		return -EINVAL;
	k->server = server;
	k->branch = v->branch;
	if (m->is_request) {
		k->method = m->method;
		k->method_str = m->method_str;
		if (m->method == SIP_METHOD_ACK) {
			k->is_ack = true;
			k->method = SIP_METHOD_INVITE;
			k->method_str = SIP_STR("INVITE");
		}
	} else {
		k->method = m->cseq_method;
		k->method_str = m->cseq_method_str;
	}
	if (!server) {
		/* §17.1.3: we generated the branch; it must be there */
		if (!txn_branch_is_3261(v->branch))
			return -EINVAL;
		k->rfc3261 = true;
		return 0;
	}
	k->rfc3261 = txn_branch_is_3261(v->branch);
	k->host = v->host;
	k->port = v->port;
	k->ruri = m->ruri;
	k->call_id = m->call_id;
	k->cseq = m->cseq;
	k->via = v->value;
	if (m->first[SIP_HDR_TO] >= 0)
		k->to_tag = m->to.tag;
	if (m->first[SIP_HDR_FROM] >= 0)
		k->from_tag = m->from.tag;
	return 0;
}

static unsigned long
fnv(unsigned long h, struct sip_str s)
{
	return (unsigned long)xr_fnv64(h, s.s, s.len > 0 ? (size_t)s.len : 0);
}

unsigned long
txn_key_hash(const struct txn_key *k)
{
	unsigned long h = XR_FNV64_INIT;

	if (k->rfc3261) {
		h = fnv(h, k->branch);
	} else {
		/* RFC 2543: Call-ID, CSeq number and From tag are stable across
		 * the INVITE, its ACK and its CANCEL */
		h = fnv(h, k->call_id);
		h ^= k->cseq;
		h *= XR_FNV64_PRIME;
		h = fnv(h, k->from_tag);
	}
	return h ^ (k->server ? 0x5bd1e995UL : 0);
}

static bool
str_eq_opt(struct sip_str a, struct sip_str b)
{
	/* absent and empty compare equal: a missing tag is no tag */
	if (a.len == 0 && b.len == 0)
		return true;
	return sip_str_eq(a, b);
}

static bool
method_eq(const struct txn_key *a, const struct txn_key *b)
{
	if (a->method != b->method)
		return false;
	if (a->method != SIP_METHOD_UNKNOWN)
		return true;
	return sip_str_eq(a->method_str, b->method_str);
}

bool
txn_key_match(const struct txn_key *t, struct sip_str resp_to_tag, const struct txn_key *in)
{
	if (t->server != in->server || t->rfc3261 != in->rfc3261)
		return false;
	if (!method_eq(t, in))
		return false;
	if (t->tp != in->tp)
		return false;
	if (!t->server)		/* §17.1.3: branch + CSeq method */
		return sip_str_eq(t->branch, in->branch);
	if (t->rfc3261) {	/* §17.2.3: branch, sent-by, method */
		return sip_str_eq(t->branch, in->branch) &&
		       sip_str_caseeq(t->host, in->host) && t->port == in->port;
	}
	/*
	 * §17.2.3, RFC 2543: Request-URI, To tag, From tag, Call-ID, CSeq
	 * (number; the method was compared above) and top Via.  The ACK's To
	 * tag is the one of the response we sent.
	 */
	if (t->cseq != in->cseq || !sip_str_eq(t->call_id, in->call_id) ||
	    !str_eq_opt(t->from_tag, in->from_tag) || !sip_str_eq(t->ruri, in->ruri) ||
	    !sip_str_eq(t->via, in->via))
		return false;
	if (in->is_ack && resp_to_tag.len > 0)
		return sip_str_eq(resp_to_tag, in->to_tag);
	return str_eq_opt(t->to_tag, in->to_tag);
}
