// SPDX-License-Identifier: GPL-2.0
/*
 * acl.c - the live access sets: --trusted sources, --deny-dest networks and
 * the relay's own addresses (--sip, --media and every interface address at
 * the time of the last configure), published under RCU so a SIGHUP swaps
 * them while workers read.  The checks against a given set are pure
 * (pol_acl_*), for tests; pol_trusted() / pol_dest() read the live one.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>

#include <urcu.h>

#include "policy/policy.h"

static struct pol_acl *acl_live;
static __thread bool sender_trusted;

void
pol_set_sender_trusted(bool trusted)
{
	sender_trusted = trusted;
}

bool
pol_sender_trusted(void)
{
	return sender_trusted;
}

bool
pol_acl_trusted(const struct pol_acl *acl, const union xr_sa *src)
{
	return pol_cidr_any(acl->trusted, acl->ntrusted, src);
}

const char *
pol_acl_dest(const struct pol_acl *acl, const union xr_sa *dst, bool src_trusted)
{
	const char *why = pol_addr_special(dst);
	union xr_sa d4;

	if (why)
		return why;
	/* Compare v4-mapped destinations as IPv4. */
	d4 = *dst;
	if (dst->sa.sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&dst->sin6.sin6_addr)) {
		memset(&d4, 0, sizeof(d4));
		d4.sin.sin_family = AF_INET;
		memcpy(&d4.sin.sin_addr, &dst->sin6.sin6_addr.s6_addr[12], 4);
	}
	for (int i = 0; i < acl->nown; i++)
		if (xr_sa_ip_eq(&acl->own[i], &d4))
			return "our own address";
	if (!(src_trusted && acl->trusted_exempt) && pol_cidr_any(acl->deny, acl->ndeny, dst))
		return "denied network";
	return NULL;
}

static void
add_own(struct pol_acl *acl, const union xr_sa *a)
{
	union xr_sa x = *a;

	xr_sa_set_port(&x, 0);
	for (int i = 0; i < acl->nown; i++)
		if (xr_sa_ip_eq(&acl->own[i], &x))
			return;
	if (acl->nown < POL_MAX_OWN)
		acl->own[acl->nown++] = x;
}

int
pol_configure(const struct pol_acl *acl)
{
	struct pol_acl *n = malloc(sizeof(*n)), *old;
	struct ifaddrs *ifa = NULL;

	if (!n)
		return -ENOMEM;
	*n = *acl;
	if (getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
			union xr_sa a;

			if (!i->ifa_addr)
				continue;
			if (i->ifa_addr->sa_family == AF_INET)
				memcpy(&a.sin, i->ifa_addr, sizeof(a.sin));
			else if (i->ifa_addr->sa_family == AF_INET6)
				memcpy(&a.sin6, i->ifa_addr, sizeof(a.sin6));
			else
				continue;
			if (pol_addr_special(&a))
				continue;	/* refused anyway */
			add_own(n, &a);
		}
		freeifaddrs(ifa);
	}
	old = rcu_xchg_pointer(&acl_live, n);
	if (old) {
		synchronize_rcu();
		free(old);
	}
	return 0;
}

void
pol_unconfigure(void)
{
	struct pol_acl *old = rcu_xchg_pointer(&acl_live, NULL);

	if (old) {
		synchronize_rcu();
		free(old);
	}
}

bool
pol_trusted(const union xr_sa *src)
{
	struct pol_acl *a;
	bool t = false;

	rcu_read_lock();
	a = rcu_dereference(acl_live);
	if (a)
		t = pol_acl_trusted(a, src);
	rcu_read_unlock();
	return t;
}

bool
pol_trusted_overlaps(const union xr_sa *net, int plen)
{
	struct pol_cidr ban = { .net = *net, .plen = plen };
	struct pol_acl *a;
	bool t = false;

	rcu_read_lock();
	a = rcu_dereference(acl_live);
	for (int i = 0; a && !t && i < a->ntrusted; i++) {
		const struct pol_cidr *c = &a->trusted[i];

		/* Two prefixes overlap when the shorter one holds the other's network. */
		t = plen <= c->plen ? pol_cidr_match(&ban, &c->net) : pol_cidr_match(c, net);
	}
	rcu_read_unlock();
	return t;
}

const char *
pol_dest(const union xr_sa *dst, bool src_trusted)
{
	struct pol_acl *a;
	const char *why;

	rcu_read_lock();
	a = rcu_dereference(acl_live);
	why = a ? pol_acl_dest(a, dst, src_trusted) : pol_addr_special(dst);
	rcu_read_unlock();
	return why;
}

bool
pol_snapshot(struct pol_acl *out)
{
	struct pol_acl *a;
	bool ok = false;

	rcu_read_lock();
	a = rcu_dereference(acl_live);
	if (a) {
		*out = *a;
		ok = true;
	}
	rcu_read_unlock();
	return ok;
}
