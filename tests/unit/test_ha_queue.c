// SPDX-License-Identifier: GPL-2.0
/*
 * test_ha_queue.c - the bounded queue between the threads that change state
 * and the Redis thread (ha/queue.c): first in, first out; full at
 * HA_QUEUE_MAX, where a change is dropped, counted, and a re-sync asked
 * for once; the writer is woken on every push; the oldest change's time
 * is what the lag is measured from.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ha/ha.h"
#include "ha/ha_int.h"

static int wakes;

static void
count_wake(void)
{
	wakes++;
}

static void
test_fifo_and_bound(void **state)
{
	struct ha_item it;
	uint64_t t0;

	(void)state;
	memset(&ha, 0, sizeof(ha));
	assert_int_equal(ha_queue_init(), 0);
	ha_queue_wake = count_wake;
	assert_false(ha_queue_pop(&it));
	assert_true(ha_queue_oldest_ns() == 0);

	ha_queue_push(HA_REG, 0, "bob@example.com");
	t0 = ha_queue_oldest_ns();
	assert_true(t0 > 0);
	for (uint64_t i = 1; i < HA_QUEUE_MAX; i++)
		ha_queue_push(i % 2 ? HA_MEDIA : HA_CALL, i, NULL);
	assert_true(ha.queued == HA_QUEUE_MAX);
	assert_false(ha_queue_take_overflow());
	/* Full: dropped and counted, a re-sync asked for (once). */
	for (int i = 0; i < 5; i++)
		ha_queue_push(HA_MEDIA, 999999, NULL);
	assert_true(ha.dropped == 5 && ha.queued == HA_QUEUE_MAX);
	assert_int_equal(wakes, HA_QUEUE_MAX + 5);
	assert_true(ha_queue_take_overflow());
	assert_false(ha_queue_take_overflow());

	/* First in, first out; the oldest time moves on. */
	assert_true(ha_queue_pop(&it));
	assert_int_equal(it.kind, HA_REG);
	assert_string_equal(it.aor, "bob@example.com");
	assert_true(it.t_ns == t0);
	assert_true(ha_queue_oldest_ns() >= t0);
	for (uint64_t i = 1; i < HA_QUEUE_MAX; i++) {
		assert_true(ha_queue_pop(&it));
		assert_true(it.id == i);
		assert_int_equal(it.kind, i % 2 ? HA_MEDIA : HA_CALL);
		assert_string_equal(it.aor, "");
	}
	assert_false(ha_queue_pop(&it));
	assert_true(ha.queued == 0 && ha_queue_oldest_ns() == 0);
	/* Room again. */
	ha_queue_push(HA_CALL, 7, NULL);
	assert_true(ha_queue_pop(&it) && it.id == 7);
	ha_queue_wake = NULL;
	ha_queue_fini();
	/* After fini a late push is dropped, not a crash. */
	ha_queue_push(HA_CALL, 8, NULL);
	assert_false(ha_queue_pop(&it));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_and_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
