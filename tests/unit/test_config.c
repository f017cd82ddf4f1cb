// SPDX-License-Identifier: GPL-2.0
/*
 * test_config.c - daemon/config.c against golden files (bgpd's config
 * regress): every tests/data/config/N.in is loaded and validated, and the
 * normalised dump, or the exact one-line error, must equal N.ok.  A valid
 * dump must parse again to the same dump (round trip).  Command-line cases
 * are below.  XR_UPDATE_GOLDEN=1 rewrites the .ok files.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

/* The data directory, found from this file's path (run.sh runs from the root). */
static const char *
data_dir(void)
{
	static char dir[512];
	const char *env = getenv("XR_CONFIG_DATA");

	if (env)
		return env;
	snprintf(dir, sizeof(dir), "%s", __FILE__);
	char *p = strstr(dir, "tests/unit/test_config.c");
	if (!p)
		return "tests/data/config";
	snprintf(p, sizeof(dir) - (size_t)(p - dir), "tests/data/config");
	return dir;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	FILE *m = open_memstream(&buf, &len);
	int c;
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(m);
	fclose(f);
	return buf;
}

/*
 * What `xrelayd -n -c path` prints: the dump, or the error line(s).
 * Returns 0 when the config is valid.
 */
static int
run_file(const char *path, char **out)
{
	struct xr_config cfg;
	size_t len = 0;
	char err[256];
	FILE *m = open_memstream(out, &len);
	int rc;

	config_set_errout(m);
	config_defaults(&cfg);
	rc = config_load_file(&cfg, path);
	if (rc == 0) {
		rc = config_validate(&cfg, err, sizeof(err));
		if (rc < 0)
			fprintf(m, "xrelayd: %s\n", err);
	}
	if (rc == 0)
		config_dump(&cfg, m);
	config_free(&cfg);
	config_set_errout(NULL);
	fclose(m);
	return rc;
}

static void
golden_one(const char *name)
{
	char ok_name[256], *got = NULL, *want;
	int rc;

	snprintf(ok_name, sizeof(ok_name), "%.*s.ok", (int)(strlen(name) - 3), name);
	rc = run_file(name, &got);
	if (getenv("XR_UPDATE_GOLDEN")) {
		FILE *f = fopen(ok_name, "w");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	want = slurp(ok_name);
	if (!want)
		fail_msg("%s: missing %s (XR_UPDATE_GOLDEN=1 writes it)", name, ok_name);
	if (strcmp(got, want) != 0)
		fail_msg("%s:\n--- got\n%s--- want\n%s", name, got, want);

	/* Round trip: the dump of a valid config parses to the same dump. */
	if (rc == 0) {
		char tmp[] = "/tmp/xr-test-config-XXXXXX", *again = NULL;
		int fd = mkstemp(tmp);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, got, strlen(got)), (ssize_t)strlen(got));
		close(fd);
		assert_int_equal(run_file(tmp, &again), 0);
		unlink(tmp);
		if (strcmp(got, again) != 0)
			fail_msg("%s: round trip differs:\n--- first\n%s--- again\n%s", name, got,
				 again);
		free(again);
	} else {
		/* An error is exactly one line. */
		assert_non_null(strchr(got, '\n'));
		assert_int_equal(strchr(got, '\n')[1], '\0');
	}
	free(got);
	free(want);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_golden(void **state)
{
	char cwd[1024], *names[256];
	struct dirent *de;
	int n = 0;
	DIR *d;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(data_dir()), 0);	/* errors name the file as given */
	d = opendir(".");
	assert_non_null(d);
	while ((de = readdir(d)) && n < 256) {
		size_t l = strlen(de->d_name);
		if (l > 3 && strcmp(de->d_name + l - 3, ".in") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_names);
	assert_true(n >= 20);
	for (int i = 0; i < n; i++) {
		golden_one(names[i]);
		free(names[i]);
	}
	assert_int_equal(chdir(cwd), 0);
}

/* config_parse_args on a NULL-terminated list; the error text in *err. */
static int
parse_argv(struct xr_config *cfg, char **err, ...)
{
	char *argv[32] = { "xrelayd" };
	int argc = 1;
	size_t len = 0;
	va_list ap;
	FILE *m = open_memstream(err, &len);
	int rc;

	va_start(ap, err);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	config_defaults(cfg);
	config_set_errout(m);
	rc = config_parse_args(cfg, argc, argv);
	config_set_errout(NULL);
	fclose(m);
	return rc;
}

static void
test_args_errors(void **state)
{
	static const struct {
		const char *opt, *val, *want;
	} cases[] = {
		{ "--ports", "30001-30010", "xrelayd: --ports 30001-30010: the low port must be even\n" },
		{ "--ports", "30000", "xrelayd: --ports 30000: expected LO-HI\n" },
		{ "--media", "nowhere", "xrelayd: --media nowhere: not an IPv4 or IPv6 address\n" },
		{ "--sip", "10.0.0.1:99999", "xrelayd: --sip 10.0.0.1:99999: not an ADDR:PORT\n" },
		{ "--xdp-mode", "fast", "xrelayd: --xdp-mode fast: expected native, generic or auto\n" },
		{ "--media-timeout", "-1", "xrelayd: --media-timeout -1: must be between 0 and 86400\n" },
		{ "--sip-t1", "0", "xrelayd: --sip-t1 0: must be between 1 and 60000\n" },
		{ "--timer-c", "0", "xrelayd: --timer-c 0: must be between 1 and 86400\n" },
		{ "--route", "alice", "xrelayd: --route alice: expected AOR=URI[,URI]\n" },
		{ "--xdp", "a/b", "xrelayd: --xdp a/b: not an interface name\n" },
		{ "--bogus", NULL, "xrelayd: --bogus: unknown option (see --help)\n" },
		{ "-x", NULL, "xrelayd: -x: unknown option (see --help)\n" },
		{ "--ports", NULL, "xrelayd: --ports: needs an argument\n" },
		{ "-c", "/nonexistent/xrelay.conf",
		  "xrelayd: /nonexistent/xrelay.conf: No such file or directory\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xr_config cfg;
		char *err = NULL;
		int rc = parse_argv(&cfg, &err, cases[i].opt, cases[i].val, NULL);

		assert_int_equal(rc, -EINVAL);
		if (strcmp(err, cases[i].want) != 0)
			fail_msg("%s %s: got '%s', want '%s'", cases[i].opt,
				 cases[i].val ? cases[i].val : "", err, cases[i].want);
		free(err);
		config_free(&cfg);
	}
}

static void
test_args_order(void **state)
{
	char tmp[] = "/tmp/xr-test-config-XXXXXX", *err = NULL;
	static const char body[] = "media = 10.0.0.1\nports = 40000-40099\nmedia-timeout = 5\n";
	struct xr_config cfg;
	int fd = mkstemp(tmp);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, body, sizeof(body) - 1), (ssize_t)sizeof(body) - 1);
	close(fd);

	/* Options after -c override the file, before it are overridden by it;
	 * repeatable ones accumulate from both. */
	assert_int_equal(parse_argv(&cfg, &err, "--media-timeout", "7", "-c", tmp, "--ports",
				    "50000-50001", "--media", "::1", "-f", "-v", "-v", "-n",
				    NULL), 0);
	assert_int_equal(cfg.media_timeout, 5);
	assert_int_equal(cfg.port_lo, 50000);
	assert_int_equal(cfg.port_hi, 50001);
	assert_int_equal(cfg.nmedia, 2);
	assert_true(cfg.foreground);
	assert_int_equal(cfg.verbose, 2);
	assert_true(cfg.check_only);
	assert_false(cfg.help);
	assert_string_equal(err, "");
	free(err);
	config_free(&cfg);
	unlink(tmp);

	assert_int_equal(parse_argv(&cfg, &err, "-h", NULL), 0);
	assert_true(cfg.help);
	free(err);

	assert_int_equal(parse_argv(&cfg, &err, "--media", "10.0.0.1", "stray", NULL), -EINVAL);
	assert_string_equal(err, "xrelayd: stray: unexpected argument\n");
	free(err);
	config_free(&cfg);
}

/* --help lists every option the dump writes, so the table drives both. */
static void
test_usage_covers_dump(void **state)
{
	struct xr_config cfg;
	char *usage = NULL, *dump = NULL, *line, *save = NULL;
	size_t ulen = 0, dlen = 0;
	FILE *u = open_memstream(&usage, &ulen), *d = open_memstream(&dump, &dlen);

	config_usage(u);
	fclose(u);
	config_defaults(&cfg);
	config_dump(&cfg, d);
	fclose(d);
	for (line = strtok_r(dump, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[64], opt[70];

		assert_int_equal(sscanf(line, "%63s =", key), 1);
		snprintf(opt, sizeof(opt), "--%s", key);
		if (!strstr(usage, opt))
			fail_msg("--help does not list %s", opt);
	}
	free(usage);
	free(dump);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_args_errors),
		cmocka_unit_test(test_args_order),
		cmocka_unit_test(test_usage_covers_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
