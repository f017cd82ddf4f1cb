// SPDX-License-Identifier: GPL-2.0
/*
 * test_nonce.c - daemon/auth/nonce.c: nonces we made verify, forged or
 * altered ones do not, expiry (stale) at --nonce-ttl, a new secret refuses
 * the old nonces, nc must rise, a slot taken by a newer nonce makes the
 * older one stale, and concurrent uses of one count let exactly one through.
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

#include "auth/auth.h"

#define S(x)	sip_str_mk((x), (int)strlen(x))

static void
test_make_check(void **state)
{
	char n1[AUTH_NONCE_LEN + 1], n2[AUTH_NONCE_LEN + 1];

	assert_int_equal(auth_nonce_init(300), 0);
	assert_int_equal(auth_nonce_make("example.com", 1000, n1), 0);
	assert_int_equal(auth_nonce_make("example.com", 1000, n2), 0);
	assert_int_equal(strlen(n1), AUTH_NONCE_LEN);
	assert_string_not_equal(n1, n2);
	assert_int_equal(auth_nonce_check("example.com", S(n1), 1000), AUTH_NONCE_OK);
	assert_int_equal(auth_nonce_check("example.com", S(n1), 1300), AUTH_NONCE_OK);
	assert_int_equal(auth_nonce_check("example.com", S(n1), 1301), AUTH_NONCE_STALE);
	/* another realm, a flipped digit, a shifted time, garbage */
	assert_int_equal(auth_nonce_check("example.net", S(n1), 1000), AUTH_NONCE_BAD);
	n2[40] = n2[40] == '0' ? '1' : '0';
	assert_int_equal(auth_nonce_check("example.com", S(n2), 1000), AUTH_NONCE_BAD);
	memcpy(n2, n1, sizeof(n2));
	n2[31] = n2[31] == '0' ? '1' : '0';	/* the time, MAC unchanged */
	assert_int_equal(auth_nonce_check("example.com", S(n2), 1000), AUTH_NONCE_BAD);
	assert_int_equal(auth_nonce_check("example.com", S("abc"), 1000), AUTH_NONCE_BAD);
	assert_int_equal(auth_nonce_check("example.com", (struct sip_str){ 0 }, 1000),
			 AUTH_NONCE_BAD);
	/* from the future beyond the skew */
	assert_int_equal(auth_nonce_check("example.com", S(n1), 900), AUTH_NONCE_BAD);
	/* a shorter ttl applies to nonces already out */
	auth_nonce_set_ttl(10);
	assert_int_equal(auth_nonce_check("example.com", S(n1), 1011), AUTH_NONCE_STALE);
	/* a restart (new secret) refuses every older nonce */
	assert_int_equal(auth_nonce_init(300), 0);
	assert_int_equal(auth_nonce_check("example.com", S(n1), 1000), AUTH_NONCE_BAD);
	auth_nonce_fini();
}

static void
test_nc_replay(void **state)
{
	char n1[AUTH_NONCE_LEN + 1], n2[AUTH_NONCE_LEN + 1];

	assert_int_equal(auth_nonce_init(300), 0);
	assert_int_equal(auth_nonce_make("r", 1, n1), 0);
	assert_int_equal(auth_nonce_use(S(n1), 1), AUTH_NONCE_OK);
	assert_int_equal(auth_nonce_use(S(n1), 1), AUTH_NONCE_REPLAY);
	assert_int_equal(auth_nonce_use(S(n1), 3), AUTH_NONCE_OK);
	assert_int_equal(auth_nonce_use(S(n1), 2), AUTH_NONCE_REPLAY);
	assert_int_equal(auth_nonce_use(S(n1), 4), AUTH_NONCE_OK);
	/* Slot n1's id % SLOTS reused by a newer nonce: n1 becomes stale. */
	for (int i = 0; i < AUTH_NC_SLOTS; i++)
		assert_int_equal(auth_nonce_make("r", 1, n2), 0);
	assert_int_equal(auth_nonce_use(S(n2), 1), AUTH_NONCE_OK);
	assert_int_equal(auth_nonce_use(S(n1), 5), AUTH_NONCE_STALE);
	assert_int_equal(auth_nonce_use(S(n2), 2), AUTH_NONCE_OK);
	assert_int_equal(auth_nonce_use(S("zz"), 1), AUTH_NONCE_BAD);
	auth_nonce_fini();
}

static char race_nonce[AUTH_NONCE_LEN + 1];
static int race_ok;

static void *
race(void *arg)
{
	for (uint32_t nc = 1; nc <= 2000; nc++)
		if (auth_nonce_use(S(race_nonce), nc) == AUTH_NONCE_OK)
			__atomic_add_fetch(&race_ok, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void
test_nc_race(void **state)
{
	pthread_t t[4];

	assert_int_equal(auth_nonce_init(300), 0);
	assert_int_equal(auth_nonce_make("r", 1, race_nonce), 0);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, race, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	/* Each count is accepted at most once; all four threads raced on each. */
	assert_true(race_ok >= 1 && race_ok <= 2000);
	assert_int_equal(auth_nonce_use(S(race_nonce), 2000), AUTH_NONCE_REPLAY);
	auth_nonce_fini();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make_check),
		cmocka_unit_test(test_nc_replay),
		cmocka_unit_test(test_nc_race),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
