// SPDX-License-Identifier: GPL-2.0
/*
 * test_location.c - the location service (daemon/proxy/location.c) on a fake
 * clock: add, refresh, §10.3 Call-ID/CSeq ordering, remove, "*", the
 * operator's removal of an AOR, expiry, q ordering, limits, and RCU readers
 * running while a writer changes bindings.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <urcu.h>

#include "proxy/location.h"

#define T0	1000000ULL	/* fake clock start, ms */

static struct loc_op
op(const char *c, int q, int expires)
{
	return (struct loc_op){ .contact = c, .contact_len = strlen(c), .q = q,
				.expires = expires };
}

static int
setup(void **state)
{
	return loc_init(NULL);
}

static int
teardown(void **state)
{
	loc_fini();
	return 0;
}

static void
test_add_lookup(void **state)
{
	struct loc_binding b[4];
	struct loc_op o = op("sip:bob@10.0.0.1:5060", -1, 60);
	struct loc_src src = { .tp = 1, .conn_id = 7, .sock = 0 };

	assert_int_equal(loc_lookup("bob@example.com", T0, b, 4), 0);
	assert_int_equal(loc_apply("bob@example.com", "cid1", 1, &o, 1, false, &src, T0), 0);
	assert_int_equal(loc_lookup("bob@example.com", T0, b, 4), 1);
	assert_string_equal(b[0].contact, "sip:bob@10.0.0.1:5060");
	assert_int_equal(b[0].expires_ms, T0 + 60000);
	assert_string_equal(b[0].callid, "cid1");
	assert_int_equal(b[0].cseq, 1);
	assert_int_equal(b[0].tp, 1);
	assert_int_equal(b[0].conn_id, 7);
	/* Another AOR is not affected. */
	assert_int_equal(loc_lookup("alice@example.com", T0, b, 4), 0);
}

static void
test_refresh_and_ordering(void **state)
{
	struct loc_binding b[4];
	struct loc_op o = op("sip:bob@10.0.0.1", -1, 60);

	assert_int_equal(loc_apply("bob@x", "cid1", 5, &o, 1, false, NULL, T0), 0);
	/* Higher CSeq, same Call-ID: refreshed to a new expiry. */
	o.expires = 120;
	assert_int_equal(loc_apply("bob@x", "cid1", 6, &o, 1, false, NULL, T0 + 1000), 0);
	assert_int_equal(loc_lookup("bob@x", T0 + 1000, b, 4), 1);
	assert_int_equal(b[0].expires_ms, T0 + 1000 + 120000);
	assert_int_equal(b[0].cseq, 6);
	/* Same or lower CSeq, same Call-ID: the whole request fails, nothing changes. */
	o.expires = 10;
	assert_int_equal(loc_apply("bob@x", "cid1", 6, &o, 1, false, NULL, T0 + 2000), -EALREADY);
	assert_int_equal(loc_apply("bob@x", "cid1", 3, &o, 1, false, NULL, T0 + 2000), -EALREADY);
	assert_int_equal(loc_lookup("bob@x", T0 + 2000, b, 4), 1);
	assert_int_equal(b[0].expires_ms, T0 + 1000 + 120000);
	assert_int_equal(b[0].cseq, 6);
	/* A different Call-ID may replace it whatever its CSeq. */
	assert_int_equal(loc_apply("bob@x", "cid2", 1, &o, 1, false, NULL, T0 + 3000), 0);
	assert_int_equal(loc_lookup("bob@x", T0 + 3000, b, 4), 1);
	assert_string_equal(b[0].callid, "cid2");
	assert_int_equal(b[0].expires_ms, T0 + 3000 + 10000);
}

static void
test_atomic_commit(void **state)
{
	struct loc_binding b[4];
	struct loc_op o1 = op("sip:a@1.1.1.1", -1, 60);
	struct loc_op two[2] = { op("sip:new@2.2.2.2", -1, 60), op("sip:a@1.1.1.1", -1, 60) };

	assert_int_equal(loc_apply("u@x", "c", 10, &o1, 1, false, NULL, T0), 0);
	/* Second op is out of order: the first (a new contact) must not be committed. */
	assert_int_equal(loc_apply("u@x", "c", 9, two, 2, false, NULL, T0), -EALREADY);
	assert_int_equal(loc_lookup("u@x", T0, b, 4), 1);
	assert_string_equal(b[0].contact, "sip:a@1.1.1.1");
}

static void
test_remove(void **state)
{
	struct loc_binding b[4];
	struct loc_op add[2] = { op("sip:a@1.1.1.1", -1, 60), op("sip:b@2.2.2.2", -1, 60) };
	struct loc_op del = op("SIP:a@1.1.1.1", -1, 0);	/* scheme case differs */
	struct loc_op unknown = op("sip:zz@9.9.9.9", -1, 0);

	assert_int_equal(loc_apply("u@x", "c", 1, add, 2, false, NULL, T0), 0);
	assert_int_equal(loc_lookup("u@x", T0, b, 4), 2);
	assert_int_equal(loc_apply("u@x", "c", 2, &del, 1, false, NULL, T0), 0);
	assert_int_equal(loc_lookup("u@x", T0, b, 4), 1);
	assert_string_equal(b[0].contact, "sip:b@2.2.2.2");
	/* Removing what is not bound is fine and changes nothing. */
	assert_int_equal(loc_apply("u@x", "c", 3, &unknown, 1, false, NULL, T0), 0);
	assert_int_equal(loc_lookup("u@x", T0, b, 4), 1);
	/* Wildcard with an older CSeq from the same Call-ID fails ... */
	assert_int_equal(loc_apply("u@x", "c", 1, NULL, 0, true, NULL, T0), -EALREADY);
	assert_int_equal(loc_lookup("u@x", T0, b, 4), 1);
	/* ... with a newer one (or another Call-ID) removes everything and the AOR. */
	assert_int_equal(loc_apply("u@x", "other", 1, NULL, 0, true, NULL, T0), 0);
	assert_int_equal(loc_lookup("u@x", T0, b, 4), 0);
	int na = -1, nb = -1;
	loc_count(T0, &na, &nb);
	assert_int_equal(na, 0);
	assert_int_equal(nb, 0);
}

/* loc_remove_aor(): the operator's removal, whatever Call-ID and CSeq. */
static void
test_remove_aor(void **state)
{
	struct loc_binding b[4];
	struct loc_op add[2] = { op("sip:a@1.1.1.1", -1, 60), op("sip:b@2.2.2.2", -1, 10) };
	struct loc_op other = op("sip:c@3.3.3.3", -1, 60);
	char big[LOC_AOR_MAX + 1];
	int na = -1, nb = -1;

	assert_int_equal(loc_apply("u@x", "c", 5, add, 2, false, NULL, T0), 0);
	assert_int_equal(loc_apply("v@x", "d", 1, &other, 1, false, NULL, T0), 0);
	/* Only live bindings are counted: b@2.2.2.2 expired at T0 + 10 s. */
	assert_int_equal(loc_remove_aor("u@x", T0 + 20000), 1);
	assert_int_equal(loc_lookup("u@x", T0, b, 4), 0);
	assert_int_equal(loc_remove_aor("u@x", T0), -ENOENT);
	/* Another AOR is untouched, and the removed one can register again at once. */
	assert_int_equal(loc_lookup("v@x", T0, b, 4), 1);
	loc_count(T0, &na, &nb);
	assert_int_equal(na, 1);
	assert_int_equal(nb, 1);
	assert_int_equal(loc_apply("u@x", "c", 1, add, 1, false, NULL, T0), 0);
	assert_int_equal(loc_lookup("u@x", T0, b, 4), 1);
	assert_int_equal(loc_remove_aor("U@x", T0), -ENOENT);	/* AORs are canonical */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(loc_remove_aor(big, T0), -ENAMETOOLONG);
	assert_int_equal(loc_remove_aor("nobody@x", T0), -ENOENT);
}

static void
test_expiry(void **state)
{
	struct loc_binding b[4];
	struct loc_op s = op("sip:short@1.1.1.1", -1, 10);
	struct loc_op l = op("sip:long@1.1.1.1", -1, 100);
	int na, nb;

	assert_int_equal(loc_apply("u@x", "c", 1, &s, 1, false, NULL, T0), 0);
	assert_int_equal(loc_apply("u@x", "c", 2, &l, 1, false, NULL, T0), 0);
	assert_int_equal(loc_apply("v@x", "d", 1, &s, 1, false, NULL, T0), 0);
	/* Just before: both live; at the expiry instant the short one is gone. */
	assert_int_equal(loc_lookup("u@x", T0 + 9999, b, 4), 2);
	assert_int_equal(loc_lookup("u@x", T0 + 10000, b, 4), 1);
	assert_string_equal(b[0].contact, "sip:long@1.1.1.1");
	/* Lookups hide expired bindings before the sweep removes them. */
	loc_count(T0 + 10000, &na, &nb);
	assert_int_equal(na, 1);
	assert_int_equal(nb, 1);
	assert_int_equal(loc_expire(T0 + 9999), 0);
	assert_int_equal(loc_expire(T0 + 10000), 2);
	assert_int_equal(loc_expire(T0 + 10000), 0);
	assert_int_equal(loc_lookup("v@x", T0, b, 4), 0);	/* AOR removed for good */
	assert_int_equal(loc_lookup("u@x", T0, b, 4), 1);
	assert_int_equal(loc_expire(T0 + 100000), 1);
	assert_int_equal(loc_lookup("u@x", T0, b, 4), 0);
}

static void
test_q_order(void **state)
{
	struct loc_binding b[8];
	struct loc_op ops[4] = {
		op("sip:low@1.1.1.1", 100, 60),
		op("sip:none@1.1.1.1", -1, 60),
		op("sip:mid@1.1.1.1", 500, 60),
		op("sip:zero@1.1.1.1", 0, 60),
	};

	assert_int_equal(loc_apply("u@x", "c", 1, ops, 4, false, NULL, T0), 0);
	assert_int_equal(loc_lookup("u@x", T0, b, 8), 4);
	assert_string_equal(b[0].contact, "sip:none@1.1.1.1");	/* no q = 1.0 */
	assert_string_equal(b[1].contact, "sip:mid@1.1.1.1");
	assert_string_equal(b[2].contact, "sip:low@1.1.1.1");
	assert_string_equal(b[3].contact, "sip:zero@1.1.1.1");
	/* max bounds the copy. */
	assert_int_equal(loc_lookup("u@x", T0, b, 2), 2);
}

static void
test_limits(void **state)
{
	struct loc_op ops[LOC_MAX_BINDINGS + 1];
	char uris[LOC_MAX_BINDINGS + 1][32];
	char longc[LOC_URI_MAX + 10];
	struct loc_binding b[LOC_MAX_BINDINGS];
	int i;

	for (i = 0; i <= LOC_MAX_BINDINGS; i++) {
		snprintf(uris[i], sizeof(uris[i]), "sip:u%d@1.1.1.1", i);
		ops[i] = op(uris[i], -1, 60);
	}
	assert_int_equal(loc_apply("u@x", "c", 1, ops, LOC_MAX_BINDINGS + 1, false, NULL, T0),
			 -ENOSPC);
	assert_int_equal(loc_lookup("u@x", T0, b, LOC_MAX_BINDINGS), 0);
	assert_int_equal(loc_apply("u@x", "c", 1, ops, LOC_MAX_BINDINGS, false, NULL, T0), 0);
	assert_int_equal(loc_lookup("u@x", T0, b, LOC_MAX_BINDINGS), LOC_MAX_BINDINGS);
	memset(longc, 'a', sizeof(longc) - 1);
	longc[sizeof(longc) - 1] = '\0';
	ops[0] = op(longc, -1, 60);
	assert_int_equal(loc_apply("w@x", "c", 1, ops, 1, false, NULL, T0), -ENAMETOOLONG);
}

static void
walk_cb(const char *aor, const struct loc_binding *b, int n, void *arg)
{
	int *count = arg;

	assert_true(n > 0);
	*count += n;
}

static void
test_walk(void **state)
{
	struct loc_op o = op("sip:a@1.1.1.1", -1, 60);
	int count = 0;

	assert_int_equal(loc_apply("a@x", "c", 1, &o, 1, false, NULL, T0), 0);
	assert_int_equal(loc_apply("b@x", "c", 1, &o, 1, false, NULL, T0), 0);
	assert_int_equal(loc_walk(T0, walk_cb, &count), 2);
	assert_int_equal(count, 2);
	count = 0;
	assert_int_equal(loc_walk(T0 + 60000, walk_cb, &count), 0);
}

/* ---- concurrency: readers see either the old or the new set, never garbage. */

#define RD_THREADS	2
#define WR_ROUNDS	20000

static volatile int stop_readers;

static void *
reader(void *arg)
{
	struct loc_binding b[LOC_MAX_BINDINGS];
	long *bad = arg;
	long iter = 0;
	int i, n;

	rcu_register_thread();
	while (!__atomic_load_n(&stop_readers, __ATOMIC_ACQUIRE) && iter < 50000000) {
		n = loc_lookup("hot@x", T0, b, LOC_MAX_BINDINGS);
		/* The writer keeps 1..8 bindings, all of the form sip:cN@h. */
		if (n < 1 || n > 8)
			(*bad)++;
		for (i = 0; i < n; i++)
			if (strncmp(b[i].contact, "sip:c", 5) != 0 ||
			    strcmp(b[i].callid, "hot") != 0)
				(*bad)++;
		iter++;
	}
	rcu_unregister_thread();
	return NULL;
}

static void
test_concurrent(void **state)
{
	pthread_t th[RD_THREADS];
	long bad[RD_THREADS] = { 0 };
	struct loc_op ops[2];
	char c1[32], c2[32];
	struct loc_binding b[4];
	int i, r;

	ops[0] = op("sip:c0@h", -1, 60);
	assert_int_equal(loc_apply("hot@x", "hot", 1, ops, 1, false, NULL, T0), 0);
	for (i = 0; i < RD_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader, &bad[i]), 0);
	for (r = 0; r < WR_ROUNDS; r++) {
		snprintf(c1, sizeof(c1), "sip:c%d@h", r % 7 + 1);
		snprintf(c2, sizeof(c2), "sip:c%d@h", (r + 3) % 7 + 1);
		ops[0] = op(c1, r % 1000, 60);
		ops[1] = op(c2, -1, (r & 1) ? 0 : 60);
		assert_int_equal(loc_apply("hot@x", "hot", 2 * (uint32_t)r + 2, ops, 2, false, NULL,
					   T0), 0);
		if ((r % 16) == 15) {	/* drop all but c0 now and then, in one request */
			struct loc_op del[7];
			char d[7][32];
			int k;

			for (k = 0; k < 7; k++) {
				snprintf(d[k], sizeof(d[k]), "sip:c%d@h", k + 1);
				del[k] = op(d[k], -1, 0);
			}
			assert_int_equal(loc_apply("hot@x", "hot", 2 * (uint32_t)r + 3, del, 7, false,
						   NULL, T0), 0);
			assert_int_equal(loc_lookup("hot@x", T0, b, 4), 1);
		}
	}
	__atomic_store_n(&stop_readers, 1, __ATOMIC_RELEASE);
	for (i = 0; i < RD_THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(bad[i], 0);
	}
	assert_true(loc_lookup("hot@x", T0, b, 4) >= 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_and_ordering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_aor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_q_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
	};
	int rc;

	rcu_register_thread();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rcu_unregister_thread();
	return rc;
}
