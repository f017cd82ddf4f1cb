// SPDX-License-Identifier: GPL-2.0
/*
 * test_ctl.c - the control socket (ctl/server.c) and the core commands
 * (ctl/commands.c): ctl_dispatch() on bad input, the command table, the media
 * session API on loopback (real sockets, no XDP), and the socket itself
 * driven from a client thread: requests split over reads, several per
 * write, an over-long line, a stale socket file, a live one.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>

#include <cmocka.h>

#include "config.h"
#include "ctl/commands.h"
#include "ctl/ctl.h"
#include "media/media.h"

static struct xr_config cfg;

/* Dispatch a line; return the reply, checking its shape. */
static json_t *
dispatch(const char *line)
{
	json_t *r = ctl_dispatch(line, strlen(line));

	assert_non_null(r);
	assert_true(json_is_boolean(json_object_get(r, "ok")));
	return r;
}

/* Dispatch and expect {"ok":false,"error":...} whose error contains want. */
static void
expect_error(const char *line, const char *want)
{
	json_t *r = dispatch(line);
	json_t *e = json_object_get(r, "error");

	assert_false(json_is_true(json_object_get(r, "ok")));
	assert_true(json_is_string(e));
	if (!strstr(json_string_value(e), want))
		fail_msg("%s: error '%s' lacks '%s'", line, json_string_value(e), want);
	assert_null(strchr(json_string_value(e), '\n'));	/* one line */
	json_decref(r);
}

/* Dispatch and expect success; the result (a new reference). */
static json_t *
expect_ok(const char *line)
{
	json_t *r = dispatch(line), *res;

	if (!json_is_true(json_object_get(r, "ok")))
		fail_msg("%s: %s", line, json_string_value(json_object_get(r, "error")));
	res = json_incref(json_object_get(r, "result"));
	json_decref(r);
	return res;
}

static int
cmd_echo(json_t *args, json_t **result, char *err, size_t errlen)
{
	*result = args ? json_incref(args) : json_null();
	return 0;
}

static int
cmd_fail(json_t *args, json_t **result, char *err, size_t errlen)
{
	if (args && json_is_true(json_object_get(args, "quiet")))
		return -EPERM;	/* no text: the dispatcher uses strerror */
	snprintf(err, errlen, "fail: as asked");
	return -EINVAL;
}

static void
test_dispatch_bad_input(void **state)
{
	expect_error("", "bad JSON");
	expect_error("{", "bad JSON");
	expect_error("not json at all", "bad JSON");
	expect_error("[\"status\"]", "expected a JSON object");
	expect_error("42", "bad JSON");		/* jansson refuses bare scalars */
	expect_error("{}", "\"cmd\" must be a string");
	expect_error("{\"cmd\": 7}", "\"cmd\" must be a string");
	expect_error("{\"cmd\": \"status\", \"cmd\": \"flows\"}", "bad JSON");
	expect_error("{\"cmd\": \"no.such\"}", "unknown command 'no.such'");
	expect_error("{\"cmd\": \"echo\", \"args\": [1]}", "\"args\" must be an object");
	expect_error("{\"cmd\": \"echo\", \"args\": \"x\"}", "\"args\" must be an object");
}

static void
test_dispatch_table(void **state)
{
	json_t *r;

	assert_int_equal(ctl_register("echo", cmd_echo, "test"), -EEXIST);
	r = expect_ok("{\"cmd\": \"echo\", \"args\": {\"x\": 1}}");
	assert_int_equal(json_integer_value(json_object_get(r, "x")), 1);
	json_decref(r);
	r = expect_ok("{\"cmd\": \"echo\", \"args\": null}");
	assert_true(json_is_null(r));
	json_decref(r);
	expect_error("{\"cmd\": \"fail\"}", "fail: as asked");
	expect_error("{\"cmd\": \"fail\", \"args\": {\"quiet\": true}}", strerror(EPERM));

	/* help lists every command, core ones included. */
	r = expect_ok("{\"cmd\": \"help\"}");
	static const char *const want[] = { "status", "flows", "stats", "metrics",
					    "media.create", "media.delete", "media.list", "echo" };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		json_t *c;
		size_t k;
		bool found = false;

		json_array_foreach(r, k, c)
			found |= strcmp(json_string_value(json_object_get(c, "cmd")), want[i]) == 0;
		if (!found)
			fail_msg("help lacks %s", want[i]);
	}
	json_decref(r);
}

static void
test_media_args(void **state)
{
	expect_error("{\"cmd\": \"media.create\"}", "missing \"a\"");
	expect_error("{\"cmd\": \"media.create\", \"args\": {\"a\": \"127.0.0.1:5000\"}}",
		     "missing \"b\"");
	expect_error("{\"cmd\": \"media.create\", \"args\": {\"a\": 5, \"b\": \"127.0.0.1:5000\"}}",
		     "missing \"a\"");
	expect_error("{\"cmd\": \"media.create\", \"args\": {\"a\": \"127.0.0.1\", "
		     "\"b\": \"127.0.0.1:6000\"}}", "'127.0.0.1' is not ADDR:PORT");
	expect_error("{\"cmd\": \"media.create\", \"args\": {\"a\": \"300.1.1.1:5000\", "
		     "\"b\": \"127.0.0.1:6000\"}}", "is not ADDR:PORT");
	expect_error("{\"cmd\": \"media.create\", \"args\": {\"a\": \"0.0.0.0:5000\", "
		     "\"b\": \"127.0.0.1:6000\"}}", "wildcard");
	expect_error("{\"cmd\": \"media.create\", \"args\": {\"a\": \"127.0.0.1:0\", "
		     "\"b\": \"127.0.0.1:6000\"}}", "RTP port must be");
	expect_error("{\"cmd\": \"media.create\", \"args\": {\"a\": \"127.0.0.1:4000\", "
		     "\"b\": \"[::1]:6000\"}}", "b: no --media address is IPv6, as [::1]:6000 is");
	expect_error("{\"cmd\": \"media.delete\"}", "missing or bad \"id\"");
	expect_error("{\"cmd\": \"media.delete\", \"args\": {\"id\": \"abc\"}}",
		     "missing or bad \"id\"");
	expect_error("{\"cmd\": \"media.delete\", \"args\": {\"id\": -1}}",
		     "missing or bad \"id\"");
	expect_error("{\"cmd\": \"media.delete\", \"args\": {\"id\": 123456789}}",
		     "no session 123456789");
}

/* The media API end to end on loopback: two sessions fit 41000-41007 twice over. */
static void
test_media_session_api(void **state)
{
	static const char create[] = "{\"cmd\": \"media.create\", \"args\": "
				     "{\"a\": \"127.0.0.1:5000\", \"b\": \"127.0.0.1:6000\"}}";
	json_t *s1, *s2, *s3, *l, *flows, *st;
	char line[128];
	json_int_t id1, id2;

	s1 = expect_ok(create);
	id1 = json_integer_value(json_object_get(s1, "id"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(s1, "a"),
							       "remote")), "127.0.0.1:5000");
	json_int_t rtp = json_integer_value(json_object_get(json_object_get(s1, "a"), "rtp"));
	assert_true(rtp >= 41000 && rtp <= 41006 && rtp % 2 == 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s1, "a"), "rtcp")),
			 rtp + 1);
	char want_relay[64];
	snprintf(want_relay, sizeof(want_relay), "127.0.0.1:%lld", (long long)rtp);
	assert_string_equal(json_string_value(json_object_get(json_object_get(s1, "a"),
							       "relay")), want_relay);
	s2 = expect_ok(create);
	id2 = json_integer_value(json_object_get(s2, "id"));
	assert_true(id1 != id2);
	/* 4 pairs on one address, 2 per session: the third must fail, cleanly. */
	expect_error(create, "port range 41000-41007 is exhausted");

	l = expect_ok("{\"cmd\": \"media.list\"}");
	assert_int_equal(json_array_size(l), 2);
	json_decref(l);
	flows = expect_ok("{\"cmd\": \"flows\"}");
	assert_int_equal(json_array_size(flows), 8);	/* 2 sessions x 2 sides x RTP/RTCP */
	json_decref(flows);
	st = expect_ok("{\"cmd\": \"status\"}");
	assert_int_equal(json_integer_value(json_object_get(st, "sessions")), 2);
	assert_int_equal(json_integer_value(json_object_get(st, "pid")), getpid());
	assert_false(json_is_true(json_object_get(st, "kernel_path")));
	json_decref(st);
	st = expect_ok("{\"cmd\": \"stats\"}");
	assert_null(json_object_get(st, "kernel"));	/* no --xdp: no kernel part */
	assert_true(json_is_object(json_object_get(st, "media")));
	json_decref(st);

	snprintf(line, sizeof(line), "{\"cmd\": \"media.delete\", \"args\": {\"id\": %lld}}",
		 (long long)id1);
	json_decref(expect_ok(line));
	expect_error(line, "no session");
	/* The freed pairs are usable again: nothing was half-allocated. */
	s3 = expect_ok(create);
	snprintf(line, sizeof(line), "{\"cmd\": \"media.delete\", \"args\": {\"id\": \"%lld\"}}",
		 (long long)id2);
	json_decref(expect_ok(line));
	snprintf(line, sizeof(line), "{\"cmd\": \"media.delete\", \"args\": {\"id\": %lld}}",
		 (long long)json_integer_value(json_object_get(s3, "id")));
	json_decref(expect_ok(line));
	l = expect_ok("{\"cmd\": \"media.list\"}");
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
	json_decref(s1);
	json_decref(s2);
	json_decref(s3);
}

/* Every sample line's family was announced by # HELP and # TYPE, exactly once. */
static void
check_families(const char *t)
{
	char *copy = strdup(t), *save = NULL;

	for (char *ln = strtok_r(copy, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		char fam[256], typ[300], help[300];

		if (ln[0] == '#')
			continue;
		assert_int_equal(sscanf(ln, "%255[a-zA-Z0-9_]", fam), 1);
		snprintf(typ, sizeof(typ), "# TYPE %s ", fam);
		snprintf(help, sizeof(help), "# HELP %s ", fam);
		const char *first = strstr(t, typ);
		if (!first)
			fail_msg("no # TYPE for %s", fam);
		assert_null(strstr(first + 1, typ));
		if (!strstr(t, help))
			fail_msg("no # HELP for %s", fam);
	}
	free(copy);
}

static void
test_metrics(void **state)
{
	json_t *m = expect_ok("{\"cmd\": \"metrics\"}");
	const char *t;

	assert_true(json_is_string(m));
	t = json_string_value(m);
	assert_non_null(strstr(t, "# HELP xrelay_media_sessions "));
	assert_non_null(strstr(t, "# TYPE xrelay_media_sessions gauge\n"));
	assert_non_null(strstr(t, "\nxrelay_media_sessions 0\n"));
	assert_non_null(strstr(t, "xrelay_info{version=\"" XRELAY_VERSION "\""));
	/* No kernel counters without the fast path, no SIP part without SIP. */
	assert_null(strstr(t, "xrelay_xdp_fwd_redirect"));
	assert_null(strstr(t, "xrelay_sip_"));
	check_families(t);
	json_decref(m);
}

/* What proxy_init() hands to ctl_set_sip_stats(), with known numbers. */
static json_t *
fake_sip_stats(void)
{
	return json_pack("{s:{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i},"
			 " s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}",
			 "transport", "rx_msgs", 11, "rx_bad", 3, "rx_bad_dropped", 1,
			 "tx_msgs", 12, "tx_errors", 0, "tcp_accepted", 4, "tcp_refused", 0,
			 "tcp_idle_closed", 1, "tcp_oversize", 0, "tcp_conns", 2,
			 "transactions", 5, "aors", 2, "bindings", 3, "dialogs", 1,
			 "requests", 9, "forwarded", 6, "local_replies", 3, "registers", 2,
			 "acks_forwarded", 1, "stray_2xx_forwarded", 0, "cancels", 1,
			 "loops", 0, "kills", 0);
}

static void
test_sip_stats(void **state)
{
	static const char *const want[] = {
		"# TYPE xrelay_sip_rx_messages_total counter\nxrelay_sip_rx_messages_total 11\n",
		"# TYPE xrelay_sip_rx_bad_total counter\nxrelay_sip_rx_bad_total 3\n",
		"# TYPE xrelay_sip_rx_bad_dropped_total counter\nxrelay_sip_rx_bad_dropped_total 1\n",
		"# TYPE xrelay_sip_tx_messages_total counter\nxrelay_sip_tx_messages_total 12\n",
		"# TYPE xrelay_sip_tcp_connections gauge\nxrelay_sip_tcp_connections 2\n",
		"# TYPE xrelay_sip_transactions gauge\nxrelay_sip_transactions 5\n",
		"# TYPE xrelay_sip_registered_aors gauge\nxrelay_sip_registered_aors 2\n",
		"# TYPE xrelay_sip_registered_bindings gauge\nxrelay_sip_registered_bindings 3\n",
		"# TYPE xrelay_sip_dialogs gauge\nxrelay_sip_dialogs 1\n",
		"# TYPE xrelay_sip_proxy_forwarded_total counter\nxrelay_sip_proxy_forwarded_total 6\n",
		"# HELP xrelay_sip_transactions ",
	};
	json_t *st, *m, *sip;
	const char *t;

	ctl_set_sip_stats(fake_sip_stats);
	st = expect_ok("{\"cmd\": \"stats\"}");
	sip = json_object_get(st, "sip");
	assert_true(json_is_object(sip));
	assert_int_equal(json_integer_value(json_object_get(sip, "transactions")), 5);
	assert_int_equal(json_integer_value(json_object_get(sip, "dialogs")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sip, "transport"),
							    "rx_msgs")), 11);
	json_decref(st);

	m = expect_ok("{\"cmd\": \"metrics\"}");
	t = json_string_value(m);
	assert_non_null(t);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(t, want[i]))
			fail_msg("metrics lack '%s'", want[i]);
	check_families(t);
	json_decref(m);

	ctl_set_sip_stats(NULL);
	st = expect_ok("{\"cmd\": \"stats\"}");
	assert_null(json_object_get(st, "sip"));
	json_decref(st);
}

/* ---- the socket ------------------------------------------------------------- */

struct client_ctx {
	char		 path[108];
	char		 replies[4][512];
	int		 nreplies;
	char		 long_reply[512];
	ev_async	*done;
	struct ev_loop	*loop;
};

static int
client_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Read one line (without '\n') into buf; 0 or -1. */
static int
read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		char c;
		if (recv(fd, &c, 1, 0) != 1)
			return -1;
		if (c == '\n') {
			buf[n] = '\0';
			return 0;
		}
		buf[n++] = c;
	}
	return -1;
}

static void *
client_thread(void *arg)
{
	struct client_ctx *cx = arg;
	struct timespec ms50 = { .tv_nsec = 50 * 1000 * 1000 };
	int fd = client_connect(cx->path);

	if (fd >= 0) {
		/* One request over two writes, then two requests in one write. */
		(void)!write(fd, "{\"cmd\": \"ec", 11);
		nanosleep(&ms50, NULL);
		(void)!write(fd, "ho\", \"args\": {\"n\": 1}}\n", 23);
		(void)!write(fd, "{\"cmd\":\"echo\",\"args\":{\"n\":2}}\r\n{\"cmd\":\"nope\"}\n", 46);
		for (int i = 0; i < 3; i++)
			if (read_line(fd, cx->replies[i], sizeof(cx->replies[i])) == 0)
				cx->nreplies++;
		close(fd);
	}
	/* A line over the cap gets an error and the connection closes. */
	fd = client_connect(cx->path);
	if (fd >= 0) {
		char *big = malloc(70 * 1024);

		memset(big, 'x', 70 * 1024);
		(void)!write(fd, big, 70 * 1024);
		free(big);
		if (read_line(fd, cx->long_reply, sizeof(cx->long_reply)) < 0)
			cx->long_reply[0] = '\0';
		close(fd);
	}
	ev_async_send(cx->loop, cx->done);
	return NULL;
}

static void
on_done(struct ev_loop *loop, ev_async *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static void
on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static void
test_socket(void **state)
{
	char dir[] = "/tmp/xr-test-ctl-XXXXXX", path[108];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct client_ctx cx = { 0 };
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	ev_async done;
	ev_timer guard;
	pthread_t th;
	struct stat st;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run/xrelay/ctl.sock", dir);	/* parents created */

	/* A stale socket (bound, nobody listening) is replaced. */
	char parent[108];
	snprintf(parent, sizeof(parent), "%s/run", dir);
	assert_int_equal(mkdir(parent, 0755), 0);
	snprintf(parent, sizeof(parent), "%s/run/xrelay", dir);
	assert_int_equal(mkdir(parent, 0755), 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);

	assert_int_equal(ctl_start(loop, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);

	snprintf(cx.path, sizeof(cx.path), "%s", path);
	cx.loop = loop;
	cx.done = &done;
	ev_async_init(&done, on_done);
	ev_async_start(loop, &done);
	ev_timer_init(&guard, on_timeout, 10.0, 0);
	ev_timer_start(loop, &guard);
	assert_int_equal(pthread_create(&th, NULL, client_thread, &cx), 0);
	ev_run(loop, 0);
	pthread_join(th, NULL);

	assert_int_equal(cx.nreplies, 3);
	assert_string_equal(cx.replies[0], "{\"ok\":true,\"result\":{\"n\":1}}");
	assert_string_equal(cx.replies[1], "{\"ok\":true,\"result\":{\"n\":2}}");
	assert_non_null(strstr(cx.replies[2], "\"ok\":false"));
	assert_non_null(strstr(cx.replies[2], "unknown command 'nope'"));
	assert_non_null(strstr(cx.long_reply, "request line longer than"));

	/* The client cap: 32 connections are served, the 33rd is told why and closed. */
	int many[33];
	char busy[256];
	for (int i = 0; i < 33; i++) {
		many[i] = client_connect(path);
		assert_true(many[i] >= 0);
		ev_run(loop, EVRUN_NOWAIT);	/* accept it */
	}
	assert_int_equal(read_line(many[32], busy, sizeof(busy)), 0);
	assert_string_equal(busy, "{\"ok\":false,\"error\":\"too many control clients\"}");
	(void)!write(many[0], "{\"cmd\":\"echo\"}\n", 15);
	for (int i = 0; i < 5; i++)
		ev_run(loop, EVRUN_NOWAIT);
	assert_int_equal(read_line(many[0], busy, sizeof(busy)), 0);
	assert_string_equal(busy, "{\"ok\":true,\"result\":null}");
	for (int i = 0; i < 33; i++)
		close(many[i]);
	for (int i = 0; i < 5; i++)
		ev_run(loop, EVRUN_NOWAIT);	/* notice the closes */

	ctl_stop();
	assert_int_equal(stat(path, &st), -1);	/* the socket is removed */

	/* A live socket at the path is not stolen. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(ctl_start(loop, path), -EADDRINUSE);
	close(fd);
	unlink(path);

	/* A file that is not a socket is not removed either. */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ctl_start(loop, path), -EEXIST);
	unlink(path);

	/* mkdir -p of missing parents. */
	char deep[108];
	snprintf(deep, sizeof(deep), "%s/x/y/ctl.sock", dir);
	assert_int_equal(ctl_start(loop, deep), 0);
	assert_int_equal(stat(deep, &st), 0);
	ctl_stop();
	snprintf(deep, sizeof(deep), "%s/x/y", dir);
	assert_int_equal(rmdir(deep), 0);
	snprintf(deep, sizeof(deep), "%s/x", dir);
	assert_int_equal(rmdir(deep), 0);

	rmdir(parent);
	snprintf(parent, sizeof(parent), "%s/run", dir);
	rmdir(parent);
	assert_int_equal(rmdir(dir), 0);
	ev_loop_destroy(loop);
}

static int
setup(void **state)
{
	union xr_sa lo;

	rcu_register_thread();
	config_defaults(&cfg);
	xr_sa_parse_ip(&lo, "127.0.0.1");
	cfg.media[cfg.nmedia++] = lo;
	cfg.port_lo = 41000;
	cfg.port_hi = 41007;
	if (media_init(&cfg, NULL) < 0 || media_start() < 0)
		return -1;
	if (ctl_commands_init(&cfg, NULL) < 0)
		return -1;
	if (ctl_register("echo", cmd_echo, "echo the args") < 0 ||
	    ctl_register("fail", cmd_fail, "always fails") < 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	media_stop();
	rcu_unregister_thread();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch_bad_input),
		cmocka_unit_test(test_dispatch_table),
		cmocka_unit_test(test_media_args),
		cmocka_unit_test(test_media_session_api),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_sip_stats),
		cmocka_unit_test(test_socket),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
