// SPDX-License-Identifier: GPL-2.0
/*
 * test_objpool.c - the fixed-size object pools (daemon/common/objpool.c):
 * objects zeroed, distinct, 16-byte aligned and not overlapping across
 * several slabs; a released object given out again zeroed (the free-list
 * link and what the user wrote gone); the count of objects out; sizes
 * refused; four threads allocating, writing and releasing at once; slabs
 * reserved ahead (xr_objpool_reserve) are what later objects are carved
 * from, nothing more mapped until they are used up, and destroyed with
 * the pool.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/objpool.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN	1
#endif
#endif

#define OBJ	1000	/* rounded up to 1008 */
#define MANY	5000	/* more than two 2 MB slabs' worth */

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

static bool
all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void
t_many_distinct_zeroed(void **state)
{
	struct xr_objpool p = XR_OBJPOOL_INIT(OBJ);
	static unsigned char *v[MANY];

	(void)state;
	for (int i = 0; i < MANY; i++) {
		v[i] = xr_objpool_zalloc(&p);
		assert_non_null(v[i]);
		assert_int_equal((uintptr_t)v[i] % 16, 0);
		assert_true(all_zero(v[i], OBJ));
		memset(v[i], 0xa5, OBJ);	/* the whole object is ours */
	}
	assert_int_equal(xr_objpool_out(&p), MANY);
#ifndef ASAN
	assert_true(p.nslabs >= 3);
#endif
	qsort(v, MANY, sizeof(v[0]), cmp_ptr);
	for (int i = 1; i < MANY; i++)
		assert_true(v[i] >= v[i - 1] + OBJ);	/* no overlap */
	for (int i = 0; i < MANY; i++)
		xr_objpool_free(&p, v[i]);
	assert_int_equal(xr_objpool_out(&p), 0);
	xr_objpool_destroy(&p);
}

static void
t_reuse_zeroed(void **state)
{
	struct xr_objpool p = XR_OBJPOOL_INIT(OBJ);
	unsigned char *a, *b, *c;

	(void)state;
	a = xr_objpool_zalloc(&p);
	b = xr_objpool_zalloc(&p);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	memset(a, 0x5a, OBJ);
	xr_objpool_free(&p, a);
	assert_int_equal(xr_objpool_out(&p), 1);
	c = xr_objpool_zalloc(&p);
	assert_non_null(c);
#ifndef ASAN
	assert_ptr_equal(c, a);		/* the free list first */
#endif
	assert_true(all_zero(c, OBJ));
	xr_objpool_free(&p, NULL);	/* a no-op */
	assert_int_equal(xr_objpool_out(&p), 2);
	xr_objpool_free(&p, b);
	xr_objpool_free(&p, c);
	xr_objpool_destroy(&p);
}

static void
t_bad_sizes(void **state)
{
#ifndef ASAN
	struct xr_objpool big = XR_OBJPOOL_INIT(1u << 20);
	struct xr_objpool tiny = XR_OBJPOOL_INIT(0);

	(void)state;
	errno = 0;
	assert_null(xr_objpool_zalloc(&big));
	assert_int_equal(errno, EINVAL);
	assert_null(xr_objpool_zalloc(&tiny));
	assert_int_equal(xr_objpool_out(&big), 0);
#else
	(void)state;
	skip();
#endif
}

#define THREADS	4
#define ROUNDS	20000

static struct xr_objpool shared = XR_OBJPOOL_INIT(200);

static void *
churn(void *arg)
{
	unsigned char *held[64] = { 0 };
	unsigned seed = (unsigned)(uintptr_t)arg, bad = 0;

	for (int i = 0; i < ROUNDS; i++) {
		int k = (int)(rand_r(&seed) % 64);

		if (held[k]) {
			for (int j = 0; j < 200; j++)	/* nobody else wrote it */
				bad += held[k][j] != (unsigned char)(uintptr_t)arg;
			xr_objpool_free(&shared, held[k]);
			held[k] = NULL;
		} else {
			held[k] = xr_objpool_zalloc(&shared);
			if (!held[k] || !all_zero(held[k], 200))
				return (void *)1;
			memset(held[k], (int)(uintptr_t)arg, 200);
		}
	}
	for (int k = 0; k < 64; k++)
		xr_objpool_free(&shared, held[k]);
	return (void *)(uintptr_t)(bad != 0);
}

static void
t_threads(void **state)
{
	pthread_t th[THREADS];
	void *rc;

	(void)state;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, churn, (void *)(uintptr_t)(i + 1)), 0);
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], &rc), 0);
		assert_null(rc);
	}
	assert_int_equal(xr_objpool_out(&shared), 0);
	xr_objpool_destroy(&shared);
}

/* Reserve room for MANY objects: taking them maps no slab, the next one does. */
static void
t_reserve(void **state)
{
#ifndef ASAN
	struct xr_objpool p = XR_OBJPOOL_INIT(OBJ);
	static unsigned char *v[MANY];
	size_t per, slabs;

	(void)state;
	assert_int_equal(xr_objpool_reserve(&p, MANY), 0);
	per = p.per_slab;
	assert_int_equal(p.size, 1008);
	slabs = (MANY + per - 1) / per;
	assert_int_equal(p.nspare, slabs);
	assert_int_equal(p.nslabs, 0);
	assert_int_equal(xr_objpool_slots(&p), slabs * per);
	assert_int_equal(xr_objpool_reserve(&p, MANY), 0);	/* already there */
	assert_int_equal(p.nspare, slabs);
	for (int i = 0; i < MANY; i++) {
		v[i] = xr_objpool_zalloc(&p);
		assert_non_null(v[i]);
		assert_true(all_zero(v[i], OBJ));
		memset(v[i], 0x3c, OBJ);
	}
	/* every object came from the reserved slabs */
	assert_int_equal(p.nslabs + p.nspare, slabs);
	assert_int_equal(xr_objpool_slots(&p), slabs * per);	/* nothing mapped */
	qsort(v, MANY, sizeof(v[0]), cmp_ptr);
	for (int i = 1; i < MANY; i++)
		assert_true(v[i] >= v[i - 1] + OBJ);	/* no overlap */
	for (size_t i = MANY; i < slabs * per; i++)	/* use up the rest */
		assert_non_null(xr_objpool_zalloc(&p));
	assert_int_equal(p.nspare, 0);
	assert_int_equal(p.nslabs, slabs);
	assert_int_equal(xr_objpool_slots(&p), slabs * per);
	assert_non_null(xr_objpool_zalloc(&p));		/* one more maps a slab */
	assert_int_equal(p.nslabs, slabs + 1);
	assert_int_equal(xr_objpool_slots(&p), (slabs + 1) * per);
	/* a reservation counts what the pool already holds */
	assert_int_equal(xr_objpool_reserve(&p, (slabs + 1) * per), 0);
	assert_int_equal(p.nspare, 0);
	assert_int_equal(xr_objpool_reserve(&p, (slabs + 1) * per + 1), 0);
	assert_int_equal(p.nspare, 1);
	xr_objpool_destroy(&p);				/* spare slabs too */
	assert_int_equal(p.nspare, 0);
	assert_null(p.spare);
	/* a size no slab takes is refused */
	struct xr_objpool big = XR_OBJPOOL_INIT(1u << 20);
	assert_int_equal(xr_objpool_reserve(&big, 1), -EINVAL);
#else
	(void)state;
	skip();
#endif
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_many_distinct_zeroed),
		cmocka_unit_test(t_reuse_zeroed),
		cmocka_unit_test(t_bad_sizes),
		cmocka_unit_test(t_threads),
		cmocka_unit_test(t_reserve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
