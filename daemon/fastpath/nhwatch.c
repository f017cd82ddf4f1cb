// SPDX-License-Identifier: GPL-2.0
/*
 * nhwatch.c - which routing netlink messages change a next hop the XDP
 * program may have cached (link, address, route, rule, nexthop object, a
 * neighbour's MAC), and the table of neighbours that lets a neighbour's NUD
 * state cycling (REACHABLE -> STALE -> DELAY -> ...) pass without a verdict.
 * Pure: no socket, no map; netlink.c feeds it and bumps the epoch.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "common/hash.h"
#include "common/log.h"
#include "fastpath/fastpath.h"

/* The states in which the kernel resolves to the entry's lladdr (include/net/neighbour.h). */
#define NH_NUD_VALID	(NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | \
			 NUD_DELAY)
#define NH_LL_MAX	32	/* MAX_ADDR_LEN */

const char *const fp_nh_why_names[FP_NH__MAX] = {
	[FP_NH_LINK]	= "link",
	[FP_NH_ADDR]	= "address",
	[FP_NH_ROUTE]	= "route",
	[FP_NH_RULE]	= "rule",
	[FP_NH_NEXTHOP]	= "nexthop",
	[FP_NH_NEIGH]	= "neighbour",
	[FP_NH_RESYNC]	= "resync",
};

/* One neighbour in a NUD_VALID state: (family, ifindex, address) -> lladdr. */
struct nh_neigh {
	uint32_t	hash;		/* of the key: its home slot */
	int32_t		ifindex;
	uint8_t		used;
	uint8_t		family;		/* AF_INET, AF_INET6 */
	uint8_t		lllen;		/* 0: no link-layer address (NOARP devices) */
	uint8_t		pad;
	uint8_t		addr[16];	/* IPv4 in the first 4 bytes, the rest zero */
	uint8_t		ll[NH_LL_MAX];
};

/* Open addressing, linear probing, at most half full; grows up to 2 x max slots. */
struct fp_neigh_tab {
	struct nh_neigh	*slot;
	size_t		 cap;		/* slots, a power of two (0: none yet) */
	size_t		 n;		/* neighbours held */
	size_t		 max;		/* neighbours held at most */
	bool		 overflowed;	/* one was turned away: untracked ones exist */
	bool		 seeded;	/* filled from a dump since the last clear */
};

struct fp_neigh_tab *
fp_neigh_tab_new(size_t max)
{
	struct fp_neigh_tab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->max = max ? max : 1;
	return t;
}

void
fp_neigh_tab_free(struct fp_neigh_tab *t)
{
	if (!t)
		return;
	free(t->slot);
	free(t);
}

void
fp_neigh_tab_clear(struct fp_neigh_tab *t)
{
	if (t->slot)
		memset(t->slot, 0, t->cap * sizeof(*t->slot));
	t->n = 0;
	t->overflowed = false;
	t->seeded = false;
}

void
fp_neigh_tab_seeded(struct fp_neigh_tab *t)
{
	t->seeded = true;
}

size_t
fp_neigh_tab_count(const struct fp_neigh_tab *t)
{
	return t->n;
}

bool
fp_neigh_tab_overflowed(const struct fp_neigh_tab *t)
{
	return t->overflowed;
}

static uint32_t
nh_hash(const struct nh_neigh *k)
{
	uint64_t h = XR_FNV64_INIT;

	h = xr_fnv64(h, &k->family, 1);
	h = xr_fnv64(h, &k->ifindex, sizeof(k->ifindex));
	h = xr_fnv64(h, k->addr, sizeof(k->addr));
	return (uint32_t)(h ^ (h >> 32));
}

static bool
nh_same_key(const struct nh_neigh *a, const struct nh_neigh *b)
{
	return a->family == b->family && a->ifindex == b->ifindex &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

/* The slot holding k, or the empty slot where it would go.  t->cap > 0. */
static struct nh_neigh *
nh_find(struct fp_neigh_tab *t, const struct nh_neigh *k)
{
	size_t mask = t->cap - 1, i = k->hash & mask;

	while (t->slot[i].used && !nh_same_key(&t->slot[i], k))
		i = (i + 1) & mask;
	return &t->slot[i];
}

/* Twice the slots (the first 64); -ENOMEM. */
static int
nh_grow(struct fp_neigh_tab *t)
{
	struct fp_neigh_tab g = *t;

	g.cap = t->cap ? t->cap * 2 : 64;
	g.slot = calloc(g.cap, sizeof(*g.slot));
	if (!g.slot)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i].used)
			*nh_find(&g, &t->slot[i]) = t->slot[i];
	free(t->slot);
	*t = g;
	return 0;
}

/* Insert k (not present); -ENOSPC when the table holds max already, -ENOMEM. */
static int
nh_insert(struct fp_neigh_tab *t, const struct nh_neigh *k)
{
	if (t->n >= t->max)
		return -ENOSPC;
	if ((t->n + 1) * 2 > t->cap && nh_grow(t))
		return -ENOMEM;
	*nh_find(t, k) = *k;
	t->n++;
	return 0;
}

/* Remove the neighbour in slot e, shifting back the ones probing past it. */
static void
nh_remove(struct fp_neigh_tab *t, struct nh_neigh *e)
{
	size_t mask = t->cap - 1, i = (size_t)(e - t->slot), j = i, home;

	for (;;) {
		j = (j + 1) & mask;
		if (!t->slot[j].used)
			break;
		home = t->slot[j].hash & mask;
		/* Stays when its home lies cyclically in (i, j]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		t->slot[i] = t->slot[j];
		i = j;
	}
	memset(&t->slot[i], 0, sizeof(t->slot[i]));
	t->n--;
}

struct nh_neigh_attrs {
	const struct nlattr	*dst, *ll;
};

static int
nh_neigh_attr_cb(const struct nlattr *a, void *data)
{
	struct nh_neigh_attrs *at = data;

	switch (mnl_attr_get_type(a)) {
	case NDA_DST:
		at->dst = a;
		break;
	case NDA_LLADDR:
		at->ll = a;
		break;
	}
	return MNL_CB_OK;
}

/*
 * The verdict on one RTM_NEWNEIGH/RTM_DELNEIGH, the table updated.  Only
 * IPv4 and IPv6 neighbours count (not the bridge's FDB, AF_BRIDGE, nor proxy
 * entries).  A neighbour in a valid state is a next hop with that lladdr
 * (none on NOARP devices: compared as empty); anything else, or a delete, is
 * none.  A change is its lladdr changing or it leaving the valid states.
 * A move between valid states with the same lladdr is not, nor the first
 * sight of a valid one in a seeded table: no next hop can be cached through
 * it (the fib said "no neighbour" for it until now, and a dump filled the
 * table at start and after lost notifications), and a host on the LAN that
 * makes the kernel learn neighbour after neighbour (ARP from forged
 * senders) would otherwise send every flow to the fib again with each.  In
 * a table no dump filled, a first sight counts.  Untracked neighbours (the
 * table was full) always count.
 */
static enum fp_nh_why
nh_neigh(struct fp_neigh_tab *t, const struct nlmsghdr *nlh)
{
	const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);
	struct nh_neigh_attrs at = { 0 };
	struct nh_neigh k, *e = NULL;
	size_t dlen, lllen = 0;
	bool valid;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*nd))
		return FP_NH_NONE;
	if ((nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6) ||
	    (nd->ndm_flags & NTF_PROXY))
		return FP_NH_NONE;
	if (mnl_attr_parse(nlh, sizeof(*nd), nh_neigh_attr_cb, &at) < 0 || !at.dst)
		return FP_NH_NONE;
	dlen = mnl_attr_get_payload_len(at.dst);
	if (dlen != (nd->ndm_family == AF_INET ? 4u : 16u))
		return FP_NH_NONE;
	memset(&k, 0, sizeof(k));
	k.used = 1;
	k.family = nd->ndm_family;
	k.ifindex = nd->ndm_ifindex;
	memcpy(k.addr, mnl_attr_get_payload(at.dst), dlen);
	k.hash = nh_hash(&k);
	valid = nlh->nlmsg_type == RTM_NEWNEIGH && (nd->ndm_state & NH_NUD_VALID);
	if (valid && at.ll) {
		lllen = mnl_attr_get_payload_len(at.ll);
		if (lllen > NH_LL_MAX)
			lllen = NH_LL_MAX;
		k.lllen = (uint8_t)lllen;
		memcpy(k.ll, mnl_attr_get_payload(at.ll), lllen);
	}
	if (t->cap) {
		e = nh_find(t, &k);
		if (!e->used)
			e = NULL;
	}

	if (!e) {
		if (!valid)	/* never a next hop we know of */
			return t->overflowed ? FP_NH_NEIGH : FP_NH_NONE;
		if (nh_insert(t, &k) == 0)
			return t->seeded ? FP_NH_NONE : FP_NH_NEIGH;	/* first sight */
		if (!t->overflowed) {
			t->overflowed = true;
			slog(LS_FASTPATH, LL_WARN, "more than %zu neighbours: every change of "
			     "the ones beyond asks every next hop afresh", t->max);
		}
		return FP_NH_NEIGH;
	}
	if (!valid) {
		nh_remove(t, e);
		return FP_NH_NEIGH;
	}
	if (e->lllen == k.lllen && memcmp(e->ll, k.ll, k.lllen) == 0)
		return FP_NH_NONE;
	*e = k;
	return FP_NH_NEIGH;
}

/* Link messages of the link itself (AF_UNSPEC), not a bridge's per-port ones. */
static enum fp_nh_why
nh_link(const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return FP_NH_NONE;
	if (ifi->ifi_family != AF_UNSPEC && ifi->ifi_family != AF_PACKET)
		return FP_NH_NONE;
	return FP_NH_LINK;
}

enum fp_nh_why
fp_nh_classify(struct fp_neigh_tab *t, const struct nlmsghdr *nlh)
{
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		return nh_link(nlh);
	case RTM_NEWADDR:
	case RTM_DELADDR:
		return FP_NH_ADDR;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		return FP_NH_ROUTE;
	case RTM_NEWRULE:
	case RTM_DELRULE:
		return FP_NH_RULE;
	case RTM_NEWNEXTHOP:
	case RTM_DELNEXTHOP:
	case RTM_NEWNEXTHOPBUCKET:
	case RTM_DELNEXTHOPBUCKET:
		return FP_NH_NEXTHOP;
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		return nh_neigh(t, nlh);
	default:
		return FP_NH_NONE;
	}
}
