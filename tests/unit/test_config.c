// SPDX-License-Identifier: GPL-2.0
/*
 * test_config.c - daemon/config.c against golden files (bgpd's config
 * regress): every tests/data/config/N.in is loaded and validated, and the
 * normalised dump, or the exact one-line error, must equal N.ok.  A valid
 * dump must parse again to the same dump (round trip).  Command-line cases
 * are below, then the pieces of a SIGHUP reload: config_diff, config_take,
 * the RCU-published copy.  XR_UPDATE_GOLDEN=1 rewrites the .ok files.
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
#include <urcu.h>

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

/* A temp config file holding body; the path in tmp (caller unlinks). */
static void
write_tmp(char *tmp, const char *body)
{
	int fd = mkstemp(tmp);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
	close(fd);
}

/* Cross-field errors name the file, line and key, or the option given on the command line. */
static void
test_validate_origin(void **state)
{
	char tmp[] = "/tmp/xr-test-config-XXXXXX", want[512], err[256], *perr = NULL;
	struct xr_config cfg;

	write_tmp(tmp, "media = 10.0.0.1\n# a comment\nmin-expires = 600\n");
	assert_int_equal(parse_argv(&cfg, &perr, "-c", tmp, "--max-expires", "300", NULL), 0);
	free(perr);
	assert_int_equal(config_validate(&cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: min-expires = 600: above --max-expires 300", tmp);
	assert_string_equal(err, want);
	config_free(&cfg);

	/* The command line after -c overrides the file's line, and is named. */
	assert_int_equal(parse_argv(&cfg, &perr, "-c", tmp, "--min-expires", "7000", NULL), 0);
	free(perr);
	assert_int_equal(config_validate(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--min-expires 7000: above max-expires = 3600 (the default)");
	config_free(&cfg);
	unlink(tmp);
}

static void
test_log_level(void **state)
{
	struct xr_config cfg;
	char *err = NULL;

	assert_int_equal(parse_argv(&cfg, &err, "--media", "10.0.0.1", NULL), 0);
	free(err);
	for (int s = 0; s < LS__MAX; s++)
		assert_int_equal(config_log_level(&cfg, (enum log_subsys)s), LL_INFO);
	config_free(&cfg);

	/* -v is the default for every subsystem; --log-level overrides it, later wins. */
	assert_int_equal(parse_argv(&cfg, &err, "-v", "--log-level", "sip=warn",
				    "--log-level", "media=error", "--log-level", "media=info",
				    NULL), 0);
	free(err);
	assert_int_equal(config_log_level(&cfg, LS_MAIN), LL_DEBUG);
	assert_int_equal(config_log_level(&cfg, LS_SIP), LL_WARN);
	assert_int_equal(config_log_level(&cfg, LS_MEDIA), LL_INFO);
	config_free(&cfg);

	assert_int_equal(parse_argv(&cfg, &err, "--log-level", "error", NULL), 0);
	free(err);
	for (int s = 0; s < LS__MAX; s++)
		assert_int_equal(config_log_level(&cfg, (enum log_subsys)s), LL_ERR);
	config_free(&cfg);

	assert_int_equal(parse_argv(&cfg, &err, "--log-level", "sip=", NULL), -EINVAL);
	assert_string_equal(err, "xrelayd: --log-level sip=: unknown level '' (one of: error, "
			    "warn, info, debug)\n");
	free(err);
	config_free(&cfg);
}

static void
load_body(struct xr_config *cfg, const char *body)
{
	char tmp[] = "/tmp/xr-test-config-XXXXXX", err[256];

	write_tmp(tmp, body);
	config_defaults(cfg);
	assert_int_equal(config_load_file(cfg, tmp), 0);
	assert_int_equal(config_validate(cfg, err, sizeof(err)), 0);
	unlink(tmp);
}

/*
 * --media takes XR_MAX_MEDIA addresses (32: a row of the kernel table each,
 * 1,000,000 flows on --ports 1024-65535) and refuses one more.
 */
static void
test_media_limit(void **state)
{
	char tmp[] = "/tmp/xr-test-config-XXXXXX", body[64 * (XR_MAX_MEDIA + 1)];
	struct xr_config cfg;
	size_t len = 0;

	for (int i = 0; i < XR_MAX_MEDIA; i++)
		len += (size_t)snprintf(body + len, sizeof(body) - len, "media = 10.%d.%d.1\n",
					14 + (i & 1), i / 2);
	load_body(&cfg, body);
	assert_int_equal(cfg.nmedia, XR_MAX_MEDIA);
	assert_int_equal(XR_MAX_MEDIA, 32);
	config_free(&cfg);
	snprintf(body + len, sizeof(body) - len, "media = 10.99.0.1\n");
	write_tmp(tmp, body);
	config_defaults(&cfg);
	assert_int_not_equal(config_load_file(&cfg, tmp), 0);
	assert_int_equal(cfg.nmedia, XR_MAX_MEDIA);
	config_free(&cfg);
	unlink(tmp);
}

static char *
dump_str(const struct xr_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	config_dump(cfg, m);
	fclose(m);
	return buf;
}

/*
 * What a reload sees: the changed options in table order, their old and new
 * values, which may change live; config_take copies exactly those.
 */
static void
test_diff_take(void **state)
{
	static const char before[] =
		"sip = 10.0.0.1:5060\nmedia = 10.0.0.1\nxdp = eth0\n"
		"route = alice=sip:alice@10.0.0.2\nmedia-timeout = 60\ntcp-max = 100\n";
	static const char after[] =
		"sip = 10.0.0.1:5060\nmedia = 10.0.0.1\nxdp = eth0\nxdp = eth1\n"
		"route = alice=sip:alice@10.0.0.3\nroute = bob=sip:bob@10.0.0.4,sip:bob@10.0.0.5\n"
		"media-timeout = 30\ntcp-max = 100\nlog-level = sip=debug\nlatch = any\n";
	static const struct {
		const char *key, *from, *to;
		bool live;
	} want[] = {
		{ "xdp", "eth0", "eth0, eth1", false },
		{ "route", "alice=sip:alice@10.0.0.2",
		  "alice=sip:alice@10.0.0.3, bob=sip:bob@10.0.0.4,sip:bob@10.0.0.5", true },
		{ "media-timeout", "60", "30", true },
		{ "latch", "strict", "any", true },
		{ "log-level", "", "sip=debug", true },
	};
	struct xr_config a, b;
	struct xr_change ch[8];
	char *da, *db;
	int n;

	load_body(&a, before);
	load_body(&b, after);
	assert_int_equal(config_diff(&a, &a, ch, 8), 0);
	n = config_diff(&a, &b, ch, 8);
	assert_int_equal(n, (int)(sizeof(want) / sizeof(want[0])));
	for (int i = 0; i < n; i++) {
		assert_string_equal(ch[i].key, want[i].key);
		assert_string_equal(ch[i].from, want[i].from);
		assert_string_equal(ch[i].to, want[i].to);
		assert_int_equal(ch[i].live, want[i].live);
		assert_int_equal(config_take(&a, &b, ch[i].key), want[i].live ? 0 : -EPERM);
	}
	config_changes_free(ch, n);
	assert_int_equal(config_take(&a, &b, "no-such-option"), -ENOENT);

	/* Only what needs a restart still differs; the routes are a deep copy. */
	config_free(&b);
	load_body(&b, after);
	n = config_diff(&a, &b, ch, 8);
	assert_int_equal(n, 1);
	assert_string_equal(ch[0].key, "xdp");
	config_changes_free(ch, n);
	config_free(&b);
	assert_int_equal(a.nroutes, 2);
	assert_string_equal(a.routes[1].targets[1], "sip:bob@10.0.0.5");

	/* A copy dumps the same and owns its strings. */
	assert_int_equal(config_copy(&b, &a), 0);
	da = dump_str(&a);
	config_free(&a);
	db = dump_str(&b);
	assert_string_equal(da, db);
	free(da);
	free(db);
	config_free(&b);

	/* More changes than room: the count is still right. */
	load_body(&a, before);
	load_body(&b, after);
	assert_int_equal(config_diff(&a, &b, ch, 2), 5);
	config_changes_free(ch, 2);
	config_free(&a);
	config_free(&b);
}

/* A value taken on reload keeps naming the file and line it came from. */
static void
test_take_origin(void **state)
{
	char tmp[] = "/tmp/xr-test-config-XXXXXX", want[512], err[256], *perr = NULL;
	struct xr_config a, b;

	assert_int_equal(parse_argv(&a, &perr, "--media", "10.0.0.1", NULL), 0);
	free(perr);
	write_tmp(tmp, "media = 10.0.0.1\nmin-expires = 7200\n");
	config_defaults(&b);
	assert_int_equal(config_load_file(&b, tmp), 0);
	assert_int_equal(config_take(&a, &b, "min-expires"), 0);
	assert_int_equal(config_validate(&a, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:2: min-expires = 7200: above max-expires = 3600 (the default)", tmp);
	assert_string_equal(err, want);
	config_free(&b);		/* a owns its copy of the path */
	assert_int_equal(config_validate(&a, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
	config_free(&a);
	unlink(tmp);
}

/* config_live() follows config_publish(); readers hold the RCU read lock. */
static void
test_publish(void **state)
{
	struct xr_config a, b;
	const struct xr_config *l;

	rcu_register_thread();
	load_body(&a, "sip = 10.0.0.1:5060\nmedia = 10.0.0.1\nroute = a=sip:a@10.0.0.2\n");
	load_body(&b, "sip = 10.0.0.1:5060\nmedia = 10.0.0.1\nroute = b=sip:b@10.0.0.3\n");
	rcu_read_lock();
	assert_null(config_live());
	rcu_read_unlock();

	assert_int_equal(config_publish(&a), 0);
	config_free(&a);		/* the published copy is its own */
	rcu_read_lock();
	l = config_live();
	assert_non_null(l);
	assert_string_equal(l->routes[0].aor, "a");
	rcu_read_unlock();

	assert_int_equal(config_publish(&b), 0);
	rcu_read_lock();
	l = config_live();
	assert_string_equal(l->routes[0].aor, "b");
	assert_string_equal(l->routes[0].targets[0], "sip:b@10.0.0.3");
	rcu_read_unlock();
	config_free(&b);

	config_unpublish();
	rcu_read_lock();
	assert_null(config_live());
	rcu_read_unlock();
	rcu_unregister_thread();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_args_errors),
		cmocka_unit_test(test_args_order),
		cmocka_unit_test(test_media_limit),
		cmocka_unit_test(test_usage_covers_dump),
		cmocka_unit_test(test_validate_origin),
		cmocka_unit_test(test_log_level),
		cmocka_unit_test(test_diff_take),
		cmocka_unit_test(test_take_origin),
		cmocka_unit_test(test_publish),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
