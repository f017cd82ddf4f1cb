// SPDX-License-Identifier: GPL-2.0
/*
 * test_ctl_fast.c - the control protocol's fast-path parser (ctl/fastline.c):
 * which request lines it takes (the simple shape, any key order and
 * whitespace) and which it leaves to jansson (escapes, non-ASCII, other
 * types or keys, duplicates, bad JSON), and what it hands over.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/ctl.h"

static int
parse(const char *line, struct ctl_fast_req *r)
{
	return ctl_fast_parse(line, strlen(line), r);
}

static void
test_simple(void **state)
{
	struct ctl_fast_req r;
	const struct ctl_fast_arg *a;

	assert_int_equal(parse("{\"v\":1,\"id\":42,\"cmd\":\"media.create\",\"args\":"
			       "{\"a\":\"10.0.0.1:4000\",\"b\":\"[fd00::1]:5000\"}}", &r), 0);
	assert_int_equal(r.cmdlen, strlen("media.create"));
	assert_memory_equal(r.cmd, "media.create", r.cmdlen);
	assert_int_equal(r.idlen, 2);
	assert_memory_equal(r.id, "42", 2);
	assert_int_equal(r.nargs, 2);
	a = ctl_fast_arg(&r, "b");
	assert_non_null(a);
	assert_false(a->is_int);
	assert_int_equal(a->slen, strlen("[fd00::1]:5000"));
	assert_memory_equal(a->str, "[fd00::1]:5000", a->slen);
	assert_null(ctl_fast_arg(&r, "c"));

	/* Any order, whitespace, a string id kept with its quotes, integer args. */
	assert_int_equal(parse(" {\r\n\"args\" : { \"id\" : -17 } , \"id\":\"abc-1\",\t\"cmd\":"
			       "\"media.delete\" }\r\n", &r), 0);
	assert_int_equal(r.idlen, 7);
	assert_memory_equal(r.id, "\"abc-1\"", 7);
	a = ctl_fast_arg(&r, "id");
	assert_non_null(a);
	assert_true(a->is_int);
	assert_int_equal(a->ival, -17);

	/* "v", "id" and "args" are optional; empty args. */
	assert_int_equal(parse("{\"cmd\":\"status\"}", &r), 0);
	assert_null(r.id);
	assert_false(r.has_args);
	assert_int_equal(parse("{\"cmd\":\"x\",\"args\":{}}", &r), 0);
	assert_true(r.has_args);
	assert_int_equal(r.nargs, 0);
	assert_int_equal(parse("{\"id\":0,\"cmd\":\"x\"}", &r), 0);
}

static void
test_not_simple(void **state)
{
	static const char *const lines[] = {
		"",
		"[]",
		"{}",					/* no cmd */
		"{\"cmd\":\"x\"",			/* unterminated */
		"{\"cmd\":\"x\"} x",			/* trailing bytes */
		"{\"cmd\":\"x\",}",
		"{\"cmd\":\"x\",\"cmd\":\"y\"}",	/* duplicate key */
		"{\"cmd\":\"x\",\"args\":{\"a\":\"1\",\"a\":\"2\"}}",
		"{\"cmd\":\"x\",\"v\":2}",		/* another version: jansson says so */
		"{\"cmd\":\"x\",\"v\":1.0}",
		"{\"cmd\":\"x\",\"v\":\"1\"}",
		"{\"cmd\":\"x\",\"other\":1}",		/* a key of its own */
		"{\"cmd\":\"a\\\"b\"}",			/* an escape */
		"{\"cmd\":\"\\u0078\"}",
		"{\"cmd\":\"caf\xc3\xa9\"}",		/* not ASCII */
		"{\"cmd\":\"x\",\"id\":null}",
		"{\"cmd\":\"x\",\"id\":true}",
		"{\"cmd\":\"x\",\"id\":[1]}",
		"{\"cmd\":\"x\",\"id\":01}",		/* leading zero: not JSON */
		"{\"cmd\":\"x\",\"id\":1e3}",
		"{\"cmd\":\"x\",\"id\":1234567890123456789}",	/* over 18 digits */
		"{\"cmd\":\"x\",\"args\":null}",
		"{\"cmd\":\"x\",\"args\":{\"a\":{}}}",
		"{\"cmd\":\"x\",\"args\":{\"a\":false}}",
		"{\"cmd\":\"x\",\"args\":{\"a\":-}}",
		"{\"cmd\":5}",
		"{\"cmd\":\"x\",\"args\":{\"1\":1,\"2\":2,\"3\":3,\"4\":4,\"5\":5,\"6\":6,\"7\":7,"
		"\"8\":8,\"9\":9}}",			/* more than CTL_FAST_MAX_ARGS */
	};
	struct ctl_fast_req r;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (parse(lines[i], &r) != -EINVAL)
			fail_msg("taken: %s", lines[i]);
	}
	/* Bytes after the given length are not read. */
	assert_int_equal(ctl_fast_parse("{\"cmd\":\"x\"}garbage", 11, &r), 0);
	assert_int_equal(ctl_fast_parse("{\"cmd\":\"x\"}", 10, &r), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_not_simple),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
