// SPDX-License-Identifier: GPL-2.0
/*
 * test_nhwatch.c - the verdict on routing netlink messages
 * (daemon/fastpath/nhwatch.c), fed messages built with libmnl: which raise
 * the next-hop epoch (routes, rules, addresses, links, nexthop objects; a
 * neighbour's lladdr change, failure, deletion) and which do not (a
 * neighbour's first sight, its NUD state cycling with the same lladdr, the bridge FDB,
 * proxy entries, a bridge's per-port link messages); the neighbour table
 * full; and the table against a model through many inserts and deletes.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "fastpath/fastpath.h"

#define STALE	NUD_STALE
#define REACH	NUD_REACHABLE

static char buf[8192];	/* one message at a time */

static const uint8_t mac1[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac2[6] = { 0x02, 0, 0, 0, 0, 0x02 };

/*
 * A neighbour message: type RTM_NEWNEIGH/RTM_DELNEIGH, family, ifindex,
 * state, address (text, of family; NULL: no NDA_DST), lladdr (NULL: none).
 */
static struct nlmsghdr *
neigh_msg(uint16_t type, uint8_t family, int ifindex, uint16_t state, const char *dst,
	  const uint8_t *ll)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *nd;
	uint8_t a[16];

	nlh->nlmsg_type = type;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = family;
	nd->ndm_ifindex = ifindex;
	nd->ndm_state = state;
	if (dst) {
		int fam = strchr(dst, ':') ? AF_INET6 : AF_INET;

		assert_int_equal(inet_pton(fam, dst, a), 1);
		mnl_attr_put(nlh, NDA_DST, fam == AF_INET ? 4 : 16, a);
	}
	if (ll)
		mnl_attr_put(nlh, NDA_LLADDR, 6, ll);
	return nlh;
}

static enum fp_nh_why
neigh(struct fp_neigh_tab *t, uint16_t type, int ifindex, uint16_t state, const char *dst,
      const uint8_t *ll)
{
	uint8_t fam = strchr(dst, ':') ? AF_INET6 : AF_INET;

	return fp_nh_classify(t, neigh_msg(type, fam, ifindex, state, dst, ll));
}

/* A message of type with a zeroed family header of hdrlen and family. */
static struct nlmsghdr *
plain_msg(uint16_t type, size_t hdrlen, uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	uint8_t *h;

	nlh->nlmsg_type = type;
	h = mnl_nlmsg_put_extra_header(nlh, hdrlen);
	h[0] = family;		/* every rtnetlink family header starts with it */
	return nlh;
}

static int
setup(void **state)
{
	*state = fp_neigh_tab_new(FP_NEIGH_MAX);
	if (*state)
		fp_neigh_tab_seeded(*state);	/* as after the start's dump */
	return *state ? 0 : -1;
}

static int
teardown(void **state)
{
	fp_neigh_tab_free(*state);
	return 0;
}

/* First sight: tracked, but nothing cached can go through a neighbour not valid until now. */
static void
test_first_sight_quiet(void **state)
{
	struct fp_neigh_tab *t = *state;

	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "10.0.0.2", mac1), FP_NH_NONE);
	assert_int_equal(fp_neigh_tab_count(t), 1);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "10.0.0.2", mac1), FP_NH_NONE);
	assert_int_equal(fp_neigh_tab_count(t), 1);
}

/*
 * A table no dump filled (the neighbour dump failed, or a resync is under
 * way): a first sight may be a known neighbour whose lladdr changed unseen,
 * so it counts; the same neighbour again does not; once seeded, a new one
 * is quiet again.
 */
static void
test_first_sight_unseeded(void **state)
{
	struct fp_neigh_tab *t = *state;

	fp_neigh_tab_clear(t);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "10.0.0.2", mac1), FP_NH_NEIGH);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, STALE, "10.0.0.2", mac1), FP_NH_NONE);
	assert_int_equal(fp_neigh_tab_count(t), 1);
	fp_neigh_tab_seeded(t);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "10.0.0.3", mac1), FP_NH_NONE);
}

static void
test_state_cycle_same_lladdr(void **state)
{
	struct fp_neigh_tab *t = *state;
	const uint16_t cycle[] = { STALE, NUD_DELAY, NUD_PROBE, REACH, STALE, NUD_PERMANENT, REACH };

	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "10.0.0.2", mac1), FP_NH_NONE);
	for (size_t i = 0; i < sizeof(cycle) / sizeof(cycle[0]); i++)
		assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, cycle[i], "10.0.0.2", mac1),
				 FP_NH_NONE);
}

static void
test_lladdr_change(void **state)
{
	struct fp_neigh_tab *t = *state;

	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "10.0.0.2", mac1), FP_NH_NONE);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, STALE, "10.0.0.2", mac2), FP_NH_NEIGH);
	/* The new one is what is compared from now on. */
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "10.0.0.2", mac2), FP_NH_NONE);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "10.0.0.2", mac1), FP_NH_NEIGH);
	assert_int_equal(fp_neigh_tab_count(t), 1);
}

static void
test_leaves_valid_states(void **state)
{
	struct fp_neigh_tab *t = *state;

	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "10.0.0.2", mac1), FP_NH_NONE);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, NUD_FAILED, "10.0.0.2", NULL), FP_NH_NEIGH);
	assert_int_equal(fp_neigh_tab_count(t), 0);
	/* Gone: failing again, resolving, are not next hops anyone cached. */
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, NUD_FAILED, "10.0.0.2", NULL), FP_NH_NONE);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, NUD_INCOMPLETE, "10.0.0.2", NULL), FP_NH_NONE);
	/* Back: a first sight again, tracked, so its leaving counts. */
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "10.0.0.2", mac1), FP_NH_NONE);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, NUD_INCOMPLETE, "10.0.0.2", NULL), FP_NH_NEIGH);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "10.0.0.2", mac1), FP_NH_NONE);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, NUD_NONE, "10.0.0.2", mac1), FP_NH_NEIGH);
	assert_int_equal(fp_neigh_tab_count(t), 0);
}

static void
test_delete(void **state)
{
	struct fp_neigh_tab *t = *state;

	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "fd00::2", mac1), FP_NH_NONE);
	/* The kernel's RTM_DELNEIGH carries the last state and lladdr. */
	assert_int_equal(neigh(t, RTM_DELNEIGH, 3, STALE, "fd00::2", mac1), FP_NH_NEIGH);
	assert_int_equal(fp_neigh_tab_count(t), 0);
	assert_int_equal(neigh(t, RTM_DELNEIGH, 3, STALE, "fd00::2", mac1), FP_NH_NONE);
	/* Never seen valid: its deletion changes nothing cached. */
	assert_int_equal(neigh(t, RTM_DELNEIGH, 4, NUD_FAILED, "10.0.0.9", NULL), FP_NH_NONE);
}

/* (family, ifindex, address) is the key: the same bytes elsewhere are another neighbour. */
static void
test_key(void **state)
{
	struct fp_neigh_tab *t = *state;

	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "10.0.0.2", mac1), FP_NH_NONE);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 4, REACH, "10.0.0.2", mac1), FP_NH_NONE);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "10.0.0.3", mac1), FP_NH_NONE);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "::a00:2", mac1), FP_NH_NONE);
	assert_int_equal(fp_neigh_tab_count(t), 4);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 4, STALE, "10.0.0.2", mac2), FP_NH_NEIGH);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, STALE, "10.0.0.2", mac1), FP_NH_NONE);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, STALE, "10.0.0.3", mac2), FP_NH_NEIGH);
}

/* A NOARP device's neighbours have no lladdr: "none" is their value. */
static void
test_noarp(void **state)
{
	struct fp_neigh_tab *t = *state;

	assert_int_equal(neigh(t, RTM_NEWNEIGH, 7, NUD_NOARP, "10.9.0.1", NULL), FP_NH_NONE);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 7, NUD_NOARP, "10.9.0.1", NULL), FP_NH_NONE);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 7, NUD_PERMANENT, "10.9.0.1", mac1), FP_NH_NEIGH);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 7, NUD_NOARP, "10.9.0.1", NULL), FP_NH_NEIGH);
	assert_int_equal(neigh(t, RTM_DELNEIGH, 7, NUD_NOARP, "10.9.0.1", NULL), FP_NH_NEIGH);
}

/* Not neighbours of a next hop: the bridge's FDB, proxy entries, broken messages. */
static void
test_not_neighbours(void **state)
{
	struct fp_neigh_tab *t = *state;
	struct nlmsghdr *nlh;

	nlh = neigh_msg(RTM_NEWNEIGH, AF_BRIDGE, 3, REACH, NULL, mac1);
	assert_int_equal(fp_nh_classify(t, nlh), FP_NH_NONE);
	nlh = neigh_msg(RTM_DELNEIGH, AF_BRIDGE, 3, REACH, NULL, mac1);
	assert_int_equal(fp_nh_classify(t, nlh), FP_NH_NONE);
	nlh = neigh_msg(RTM_NEWNEIGH, AF_BRIDGE, 3, NUD_PERMANENT, "10.0.0.2", mac2);
	assert_int_equal(fp_nh_classify(t, nlh), FP_NH_NONE);
	nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 3, REACH, "10.0.0.5", mac1);
	((struct ndmsg *)mnl_nlmsg_get_payload(nlh))->ndm_flags = NTF_PROXY;
	assert_int_equal(fp_nh_classify(t, nlh), FP_NH_NONE);
	/* No NDA_DST; an IPv6 length under AF_INET; a truncated header. */
	nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 3, REACH, NULL, mac1);
	assert_int_equal(fp_nh_classify(t, nlh), FP_NH_NONE);
	nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, 3, REACH, "fd00::2", mac1);
	assert_int_equal(fp_nh_classify(t, nlh), FP_NH_NONE);
	nlh = plain_msg(RTM_NEWNEIGH, 4, AF_INET);
	assert_int_equal(fp_nh_classify(t, nlh), FP_NH_NONE);
	assert_int_equal(fp_neigh_tab_count(t), 0);
}

static void
test_other_messages(void **state)
{
	struct fp_neigh_tab *t = *state;

	assert_int_equal(fp_nh_classify(t, plain_msg(RTM_NEWROUTE, sizeof(struct rtmsg), AF_INET)),
			 FP_NH_ROUTE);
	assert_int_equal(fp_nh_classify(t, plain_msg(RTM_DELROUTE, sizeof(struct rtmsg), AF_INET6)),
			 FP_NH_ROUTE);
	assert_int_equal(fp_nh_classify(t, plain_msg(RTM_NEWRULE, sizeof(struct rtmsg), AF_INET)),
			 FP_NH_RULE);
	assert_int_equal(fp_nh_classify(t, plain_msg(RTM_DELRULE, sizeof(struct rtmsg), AF_INET6)),
			 FP_NH_RULE);
	assert_int_equal(fp_nh_classify(t, plain_msg(RTM_NEWADDR, sizeof(struct ifaddrmsg),
						     AF_INET)), FP_NH_ADDR);
	assert_int_equal(fp_nh_classify(t, plain_msg(RTM_DELADDR, sizeof(struct ifaddrmsg),
						     AF_INET6)), FP_NH_ADDR);
	assert_int_equal(fp_nh_classify(t, plain_msg(RTM_NEWNEXTHOP, sizeof(struct nhmsg),
						     AF_INET)), FP_NH_NEXTHOP);
	assert_int_equal(fp_nh_classify(t, plain_msg(RTM_DELNEXTHOP, sizeof(struct nhmsg),
						     AF_UNSPEC)), FP_NH_NEXTHOP);
	assert_int_equal(fp_nh_classify(t, plain_msg(RTM_NEWLINK, sizeof(struct ifinfomsg),
						     AF_UNSPEC)), FP_NH_LINK);
	assert_int_equal(fp_nh_classify(t, plain_msg(RTM_DELLINK, sizeof(struct ifinfomsg),
						     AF_UNSPEC)), FP_NH_LINK);
	/* A bridge repeats RTM_NEWLINK for its ports under AF_BRIDGE. */
	assert_int_equal(fp_nh_classify(t, plain_msg(RTM_NEWLINK, sizeof(struct ifinfomsg),
						     AF_BRIDGE)), FP_NH_NONE);
	assert_int_equal(fp_nh_classify(t, plain_msg(RTM_NEWLINK, 4, AF_UNSPEC)), FP_NH_NONE);
	assert_int_equal(fp_nh_classify(t, plain_msg(RTM_NEWQDISC, sizeof(struct tcmsg),
						     AF_UNSPEC)), FP_NH_NONE);
	assert_int_equal(fp_nh_classify(t, plain_msg(NLMSG_DONE, 4, 0)), FP_NH_NONE);
	assert_string_equal(fp_nh_why_names[FP_NH_ROUTE], "route");
	for (int i = 0; i < FP_NH__MAX; i++)
		assert_non_null(fp_nh_why_names[i]);
}

/* Full: the neighbours beyond are untracked, and then every message about them counts. */
static void
test_full(void **state)
{
	struct fp_neigh_tab *t = fp_neigh_tab_new(2);

	(void)state;
	assert_non_null(t);
	fp_neigh_tab_seeded(t);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "10.0.0.1", mac1), FP_NH_NONE);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "10.0.0.2", mac1), FP_NH_NONE);
	assert_false(fp_neigh_tab_overflowed(t));
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "10.0.0.3", mac1), FP_NH_NEIGH);
	assert_true(fp_neigh_tab_overflowed(t));
	assert_int_equal(fp_neigh_tab_count(t), 2);
	/* The untracked one: each state move counts, its deletion too. */
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, STALE, "10.0.0.3", mac1), FP_NH_NEIGH);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, NUD_DELAY, "10.0.0.3", mac1), FP_NH_NEIGH);
	assert_int_equal(neigh(t, RTM_DELNEIGH, 3, STALE, "10.0.0.3", mac1), FP_NH_NEIGH);
	/* The tracked ones are still filtered. */
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, STALE, "10.0.0.1", mac1), FP_NH_NONE);
	/* Room again: the next one is tracked (first sight), then filtered. */
	assert_int_equal(neigh(t, RTM_DELNEIGH, 3, STALE, "10.0.0.1", mac1), FP_NH_NEIGH);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, REACH, "10.0.0.4", mac1), FP_NH_NONE);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, STALE, "10.0.0.4", mac1), FP_NH_NONE);
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, STALE, "10.0.0.4", mac2), FP_NH_NEIGH);
	/* A clear (a resync from a dump) forgets everything, the overflow too. */
	fp_neigh_tab_clear(t);
	fp_neigh_tab_seeded(t);		/* the resync's dump found none */
	assert_int_equal(fp_neigh_tab_count(t), 0);
	assert_false(fp_neigh_tab_overflowed(t));
	assert_int_equal(neigh(t, RTM_NEWNEIGH, 3, STALE, "10.0.0.3", mac1), FP_NH_NONE);
	assert_int_equal(fp_neigh_tab_count(t), 1);
	fp_neigh_tab_free(t);
}

/*
 * The open-addressing table (growth, deletion shifting entries back) against
 * a model: 20,000 random operations over 3,000 neighbours, every verdict as
 * the model says, every neighbour's presence checked at the end.
 */
static void
test_table_model(void **state)
{
	enum { N = 3000, OPS = 20000 };
	struct fp_neigh_tab *t = fp_neigh_tab_new(FP_NEIGH_MAX);
	static uint8_t model[N];	/* 0: absent, else 1 + which MAC */
	char dst[32];
	size_t n = 0;
	unsigned seed = 12345;

	(void)state;
	assert_non_null(t);
	fp_neigh_tab_seeded(t);
	memset(model, 0, sizeof(model));
	for (int op = 0; op < OPS; op++) {
		unsigned i, what;
		const uint8_t *ll;

		seed = seed * 1103515245u + 12345u;
		i = (seed >> 8) % N;
		what = (seed >> 24) % 4;	/* 0, 1: valid with mac1/mac2; 2: failed; 3: del */
		snprintf(dst, sizeof(dst), "10.%u.%u.%u", i >> 16, (i >> 8) & 0xff, i & 0xff);
		ll = what == 1 ? mac2 : mac1;
		if (what < 2) {
			/* a first sight, or the same MAC again, is no change */
			enum fp_nh_why want = !model[i] || model[i] == what + 1 ? FP_NH_NONE :
					      FP_NH_NEIGH;

			n += !model[i];
			model[i] = (uint8_t)(what + 1);
			assert_int_equal(neigh(t, RTM_NEWNEIGH, 2, REACH, dst, ll), want);
		} else {
			enum fp_nh_why want = model[i] ? FP_NH_NEIGH : FP_NH_NONE;

			n -= !!model[i];
			model[i] = 0;
			assert_int_equal(neigh(t, what == 2 ? RTM_NEWNEIGH : RTM_DELNEIGH, 2,
					       NUD_FAILED, dst, NULL), want);
		}
		assert_int_equal(fp_neigh_tab_count(t), n);
	}
	for (unsigned i = 0; i < N; i++) {
		snprintf(dst, sizeof(dst), "10.%u.%u.%u", i >> 16, (i >> 8) & 0xff, i & 0xff);
		/* Announcing the other MAC: a change exactly when present. */
		assert_int_equal(neigh(t, RTM_NEWNEIGH, 2, STALE, dst,
				       model[i] == 2 ? mac1 : mac2),
				 model[i] ? FP_NH_NEIGH : FP_NH_NONE);
	}
	fp_neigh_tab_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_sight_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_sight_unseeded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_cycle_same_lladdr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lladdr_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaves_valid_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noarp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_neighbours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_messages, setup, teardown),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_table_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
