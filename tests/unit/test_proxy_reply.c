// SPDX-License-Identifier: GPL-2.0
/*
 * test_proxy_reply.c - the best response of daemon/proxy/reply.c (RFC 3261
 * §16.7 step 6) over response contexts built by hand: the lowest class
 * wins, a 6xx wins over everything and ends the choice, among 4xx the ones
 * that tell the caller how to retry (401, 407, 415, 420, 484) are preferred,
 * ties go to the first branch, 2xx and pending branches do not count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proxy/proxy_int.h"

static struct px_call call;
static struct px_branch branches[PX_MAX_BRANCHES];	/* as px_fork() gives a fork of 3 */

/* A context whose branches ended with codes (0: still pending). */
static const struct px_call *
ctx(int n, const int *codes)
{
	int i;

	memset(&call, 0, sizeof(call));
	memset(branches, 0, sizeof(branches));
	call.kind = PX_CALL;
	call.br = n > PX_INLINE_BRANCHES ? branches : call.br_inline;
	call.nbranches = n;
	for (i = 0; i < n; i++) {
		call.br[i].kind = PX_BRANCH;
		call.br[i].final = codes[i] != 0;
		call.br[i].code = codes[i];
	}
	return &call;
}

#define BEST(...)	px_best(ctx((int)(sizeof((int[]){ __VA_ARGS__ }) / sizeof(int)), \
				    (int[]){ __VA_ARGS__ }))

static void
best_response(void **state)
{
	/* Nothing final yet, or only 2xx: no best. */
	assert_int_equal(BEST(0, 0), -1);
	assert_int_equal(BEST(200, 0), -1);
	/* The lowest class wins. */
	assert_int_equal(BEST(486, 302), 1);
	assert_int_equal(BEST(503, 404), 1);
	assert_int_equal(BEST(404, 503), 0);
	/* 6xx wins over everything, and the first 6xx stays. */
	assert_int_equal(BEST(302, 603), 1);
	assert_int_equal(BEST(603, 302), 0);
	assert_int_equal(BEST(600, 603), 0);
	/* Among 4xx, one the caller can act on (§16.7 step 6). */
	assert_int_equal(BEST(404, 407), 1);
	assert_int_equal(BEST(486, 401, 415), 1);
	assert_int_equal(BEST(484, 486), 0);
	assert_int_equal(BEST(420, 480), 0);
	/* Ties: the first. */
	assert_int_equal(BEST(486, 404), 0);
	assert_int_equal(BEST(401, 407), 0);
	/* Pending and 2xx branches are skipped. */
	assert_int_equal(BEST(0, 200, 408), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(best_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
