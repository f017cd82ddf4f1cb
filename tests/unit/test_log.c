// SPDX-License-Identifier: GPL-2.0
/*
 * test_log.c - common/log.c and ctl/log_cmd.c: level names both ways, the
 * rate limiter (a burst per second, then one line counting what it dropped),
 * and the "log.level"/"log.levels" control commands through ctl_dispatch().
 * The foreground log goes to a file here (log_set_fd).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "ctl/ctl.h"
#include "ctl/log_cmd.h"

static char logpath[] = "/tmp/xr-test-log-XXXXXX";
static int logfd = -1;

/* The log to a fresh file; everything at info and above. */
static int
setup(void **state)
{
	logfd = mkstemp(logpath);
	if (logfd < 0)
		return -1;
	log_init(true, LL_INFO, "test_log");
	log_set_fd(logfd);
	return log_cmd_init();
}

static int
teardown(void **state)
{
	log_set_fd(STDERR_FILENO);
	close(logfd);
	unlink(logpath);
	return 0;
}

/* What was logged since the last call; the file is emptied. */
static char *
take_log(void)
{
	FILE *f = fopen(logpath, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	assert_int_equal(ftruncate(logfd, 0), 0);
	lseek(logfd, 0, SEEK_SET);
	return buf;
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void
test_names(void **state)
{
	for (int s = 0; s < LS__MAX; s++) {
		const char *name = log_subsys_name((enum log_subsys)s);

		assert_non_null(name);
		assert_int_equal(log_subsys_parse(name), s);
		assert_non_null(strstr(log_subsys_list(), name));
	}
	assert_null(log_subsys_name(LS__MAX));
	assert_int_equal(log_subsys_parse("sipp"), -EINVAL);
	static const int lv[] = { LL_ERR, LL_WARN, LL_INFO, LL_DEBUG };
	for (size_t i = 0; i < sizeof(lv) / sizeof(lv[0]); i++) {
		assert_int_equal(log_level_parse(log_level_name(lv[i])), lv[i]);
		assert_non_null(strstr(log_level_list(), log_level_name(lv[i])));
	}
	assert_int_equal(log_level_parse("warning"), LL_WARN);	/* syslog's name */
	assert_int_equal(log_level_parse("notice"), -EINVAL);
}

static void
flood(int n)
{
	for (int i = 0; i < n; i++)
		log_ratelimited(LS_SIP, LL_WARN, "bad packet %d from a peer", i);
}

/* Wait for the next CLOCK_MONOTONIC_COARSE second (the limiter's window). */
static void
next_second(void)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &t0);
	for (int i = 0; i < 300; i++) {
		clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
		if (t.tv_sec != t0.tv_sec)
			return;
		usleep(10000);
	}
	fail_msg("the coarse clock did not move");
}

static void
test_ratelimit(void **state)
{
	char *log;

	free(take_log());
	next_second();
	flood(1000);
	log = take_log();
	/* the burst, nothing else, unless the second turned during the flood */
	if (count(log, "bad packet") != LOG_RL_BURST && count(log, "suppressed") == 0)
		fail_msg("first second:\n%s", log);
	free(log);

	next_second();
	flood(1);
	log = take_log();
	/* One line counts what the last window dropped, then the new line. */
	if (count(log, "rate limit: 995 more like \"bad packet %d from a peer\" suppressed") != 1 ||
	    count(log, "bad packet 0 from a peer") != 1)
		fail_msg("second second:\n%s", log);
	assert_true(strstr(log, "suppressed") < strstr(log, "bad packet 0"));
	free(log);

	/* Below the level: not written and not counted as suppressed. */
	next_second();
	for (int i = 0; i < 20; i++)
		log_ratelimited(LS_SIP, LL_DEBUG, "quiet %d", i);
	next_second();
	log_set_level(LS_SIP, LL_DEBUG);
	for (int i = 0; i < 20; i++)
		log_ratelimited(LS_SIP, LL_DEBUG, "quiet %d", i);
	log_set_level(LS_SIP, LL_INFO);
	log = take_log();
	assert_int_equal(count(log, "quiet"), LOG_RL_BURST);
	assert_int_equal(count(log, "suppressed"), 0);
	free(log);
}

static json_t *
dispatch_ok(const char *line)
{
	json_t *r = ctl_dispatch(line, strlen(line)), *res;

	assert_non_null(r);
	if (!json_is_true(json_object_get(r, "ok")))
		fail_msg("%s: %s", line, json_string_value(json_object_get(r, "error")));
	res = json_incref(json_object_get(r, "result"));
	json_decref(r);
	return res;
}

static void
expect_error(const char *line, const char *want)
{
	json_t *r = ctl_dispatch(line, strlen(line));
	const char *e;

	assert_non_null(r);
	assert_false(json_is_true(json_object_get(r, "ok")));
	e = json_string_value(json_object_get(r, "error"));
	assert_non_null(e);
	if (strcmp(e, want) != 0)
		fail_msg("%s: got '%s', want '%s'", line, e, want);
	json_decref(r);
}

static void
test_ctl_commands(void **state)
{
	json_t *r;
	char *log;

	free(take_log());
	r = dispatch_ok("{\"cmd\":\"log.levels\"}");
	assert_int_equal(json_object_size(r), LS__MAX);
	for (int s = 0; s < LS__MAX; s++)
		assert_string_equal(json_string_value(json_object_get(r,
				    log_subsys_name((enum log_subsys)s))), "info");
	json_decref(r);

	r = dispatch_ok("{\"v\":1,\"cmd\":\"log.level\",\"args\":{\"subsystem\":\"media\","
			"\"level\":\"debug\"}}");
	assert_string_equal(json_string_value(json_object_get(r, "subsystem")), "media");
	assert_string_equal(json_string_value(json_object_get(r, "level")), "debug");
	assert_string_equal(json_string_value(json_object_get(r, "previous")), "info");
	assert_int_equal(json_object_size(r), 3);
	json_decref(r);
	assert_int_equal(log_get_level(LS_MEDIA), LL_DEBUG);
	assert_true(log_enabled(LS_MEDIA, LL_DEBUG));
	assert_false(log_enabled(LS_SIP, LL_DEBUG));

	r = dispatch_ok("{\"cmd\":\"log.levels\"}");
	assert_string_equal(json_string_value(json_object_get(r, "media")), "debug");
	assert_string_equal(json_string_value(json_object_get(r, "sip")), "info");
	json_decref(r);
	log = take_log();
	assert_int_equal(count(log, "log level of media: info -> debug (xrelayctl)"), 1);
	free(log);

	r = dispatch_ok("{\"cmd\":\"log.level\",\"args\":{\"subsystem\":\"media\","
			"\"level\":\"warning\"}}");
	assert_string_equal(json_string_value(json_object_get(r, "previous")), "debug");
	assert_string_equal(json_string_value(json_object_get(r, "level")), "warn");
	json_decref(r);
	assert_int_equal(log_get_level(LS_MEDIA), LL_WARN);

	expect_error("{\"cmd\":\"log.level\",\"args\":{\"subsystem\":\"rtp\",\"level\":\"info\"}}",
		     "unknown subsystem 'rtp' (one of: main, sip, tx, proxy, media, fastpath, "
		     "ctl)");
	expect_error("{\"cmd\":\"log.level\",\"args\":{\"subsystem\":\"sip\",\"level\":\"loud\"}}",
		     "unknown level 'loud' (one of: error, warn, info, debug)");
	expect_error("{\"cmd\":\"log.level\",\"args\":{\"subsystem\":\"sip\"}}",
		     "log.level needs \"subsystem\" and \"level\" (strings)");
	expect_error("{\"cmd\":\"log.level\"}",
		     "log.level needs \"subsystem\" and \"level\" (strings)");
	assert_int_equal(log_get_level(LS_SIP), LL_INFO);
	log_set_level(LS_MEDIA, LL_INFO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_ctl_commands),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
