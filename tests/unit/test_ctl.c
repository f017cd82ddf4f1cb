// SPDX-License-Identifier: GPL-2.0
/*
 * test_ctl.c - the control socket (ctl/server.c) and the core commands
 * (ctl/commands.c): ctl_dispatch() on bad input, the command table, the media
 * session API on loopback (real sockets, no XDP), and the socket itself
 * driven from a client thread: requests split over reads, several per
 * write, an over-long line, a stale socket file, a live one; protocol
 * version 1 (codes, "v", "id"), a client that never reads beside one that
 * does, and SO_PEERCRED (other uids refused, --ctl-group members let in);
 * the fast path of media.create / media.delete against the general one, and
 * thousands of pipelined requests in one write answered in order.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <grp.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>

#include <cmocka.h>

#include "config.h"
#include "ctl/commands.h"
#include "ctl/ctl.h"
#include "media/media.h"
#include "sip/msg.h"
#include "sip/stats.h"

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

/* A handler that fails with an errno that has no name and a two-line reason. */
static int
cmd_multiline(json_t *args, json_t **result, char *err, size_t errlen)
{
	snprintf(err, errlen, "two\nlines");
	return -100000;
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

/* Dispatch and expect an error reply with exactly this "code". */
static void
expect_code(const char *line, const char *code)
{
	json_t *r = dispatch(line);

	assert_false(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(r, "v")), XR_CTL_PROTO_VERSION);
	if (!json_is_string(json_object_get(r, "code")) ||
	    strcmp(json_string_value(json_object_get(r, "code")), code) != 0)
		fail_msg("%s: code %s, want %s", line,
			 json_string_value(json_object_get(r, "code")), code);
	assert_true(json_is_string(json_object_get(r, "error")));
	json_decref(r);
}

/* Version 1: "v" in every reply, "v" in requests checked, codes, "id" echoed. */
static void
test_protocol(void **state)
{
	json_t *r;

	r = dispatch("{\"cmd\": \"echo\"}");
	assert_int_equal(json_integer_value(json_object_get(r, "v")), 1);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_null(json_object_get(r, "code"));
	assert_null(json_object_get(r, "id"));
	json_decref(r);
	r = dispatch("{\"v\": 1, \"cmd\": \"echo\", \"args\": {\"a\": 2}, \"id\": \"q7\"}");
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(r, "id")), "q7");
	json_decref(r);
	r = dispatch("{\"v\": 9, \"cmd\": \"echo\", \"id\": 12}");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 12);
	json_decref(r);

	expect_code("{\"v\": 2, \"cmd\": \"echo\"}", "EPROTONOSUPPORT");
	expect_code("{\"v\": 0, \"cmd\": \"status\"}", "EPROTONOSUPPORT");
	expect_code("{\"v\": \"1\", \"cmd\": \"echo\"}", "EINVAL");
	expect_code("{\"v\": 1.0, \"cmd\": \"echo\"}", "EINVAL");
	expect_code("{\"cmd\": ", "EBADMSG");
	expect_code("\xff\xfe", "EBADMSG");
	expect_code("[1]", "EINVAL");
	expect_code("{\"args\": {}}", "EINVAL");
	expect_code("{\"cmd\": \"echo\", \"args\": 3}", "EINVAL");
	expect_code("{\"cmd\": \"nope\"}", "ENOSYS");
	expect_code("{\"cmd\": \"fail\"}", "EINVAL");
	expect_code("{\"cmd\": \"fail\", \"args\": {\"quiet\": true}}", "EPERM");
	expect_code("{\"cmd\": \"media.delete\", \"args\": {\"id\": 123456}}", "ENOENT");
	expect_code("{\"cmd\": \"multiline\"}", "EIO");

	/* A handler's reason is kept on one line. */
	r = dispatch("{\"cmd\": \"multiline\"}");
	assert_null(strchr(json_string_value(json_object_get(r, "error")), '\n'));
	assert_string_equal(json_string_value(json_object_get(r, "error")), "two lines");
	json_decref(r);

	assert_string_equal(ctl_errcode(ENOENT), "ENOENT");
	assert_string_equal(ctl_errcode(EMSGSIZE), "EMSGSIZE");
	assert_string_equal(ctl_errcode(0), "EIO");
	assert_string_equal(ctl_errcode(100000), "EIO");
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
	assert_int_equal(json_array_size(l), 2);	/* each once, oldest first */
	assert_true(id1 < id2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 0), "id")), id1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 1), "id")), id2);
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

/*
 * The reply the fast path writes for line: canonical compact JSON (what
 * jansson itself would print), one line.  Returns it parsed.
 */
static json_t *
fast_reply(const char *line)
{
	char out[4096];
	int n = ctl_dispatch_fast(line, strlen(line), out, sizeof(out));
	json_t *j;
	char *again;

	assert_true(n > 0);
	assert_int_equal(out[n - 1], '\n');
	assert_null(memchr(out, '\n', (size_t)n - 1));
	j = json_loadb(out, (size_t)n - 1, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(j);
	again = json_dumps(j, JSON_COMPACT);
	assert_int_equal(strlen(again), (size_t)n - 1);
	assert_memory_equal(again, out, (size_t)n - 1);
	free(again);
	return j;
}

/* r with what differs between two sessions (id, relay ports) blanked. */
static char *
normalised(json_t *r0)
{
	json_t *r = json_deep_copy(r0), *res = json_object_get(r, "result");
	char *t;

	if (json_is_object(res) && json_object_get(res, "a")) {
		json_object_set_new(res, "id", json_integer(0));
		for (int i = 0; i < 2; i++) {
			json_t *side = json_object_get(res, i ? "b" : "a");

			json_object_set_new(side, "relay", json_string(""));
			json_object_set_new(side, "rtp", json_integer(0));
			json_object_set_new(side, "rtcp", json_integer(0));
		}
	}
	t = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	return t;
}

/*
 * media.create and media.delete through the fast path (ctl_dispatch_fast)
 * answer as the general one (ctl_dispatch) does, byte for byte but for the
 * session's id and ports; what is not of the simple shape is left to it.
 */
static void
test_media_fast_path(void **state)
{
	static const char *const same[] = {
		"{\"v\":1,\"id\":7,\"cmd\":\"media.create\",\"args\":{\"a\":\"127.0.0.1:5000\","
		"\"b\":\"127.0.0.1:6000\"}}",
		" { \"args\" : { \"b\" : \"127.0.0.1:6000\" , \"a\" : \"127.0.0.1:5000\" } ,"
		" \"cmd\" : \"media.create\" , \"id\" : \"x-1\" } ",
		"{\"cmd\":\"media.create\",\"args\":{\"a\":\"127.0.0.1:5000\",\"b\":\"127.0.0.1:6000\","
		"\"extra\":3}}",
		"{\"id\":-3,\"cmd\":\"media.create\",\"args\":{\"a\":\"127.0.0.1:0\","
		"\"b\":\"127.0.0.1:6000\"}}",
		"{\"id\":1,\"cmd\":\"media.create\",\"args\":{\"a\":\"127.0.0.1:5000\"}}",
		"{\"id\":2,\"cmd\":\"media.create\",\"args\":{\"a\":\"127.0.0.1:5000\","
		"\"b\":\"[::1]:6000\"}}",
		"{\"id\":3,\"cmd\":\"media.create\",\"args\":{\"a\":\"nowhere\",\"b\":\"127.0.0.1:6000\"}}",
		"{\"id\":4,\"cmd\":\"media.delete\",\"args\":{\"id\":123456789}}",
	};
	static const char *const general_only[] = {
		"{\"cmd\":\"media.create\",\"args\":{\"a\":5,\"b\":\"127.0.0.1:6000\"}}",
		"{\"cmd\":\"media.create\",\"args\":{\"a\":\"127.0.0.1:5000\",\"b\":\"127.0.0.1:6\\u0030\"}}",
		"{\"cmd\":\"media.delete\",\"args\":{\"id\":\"12\"}}",
		"{\"cmd\":\"media.delete\",\"args\":{\"id\":-1}}",
		"{\"cmd\":\"media.delete\"}",
		"{\"cmd\":\"media.list\"}",
		"{\"cmd\":\"echo\",\"args\":{\"n\":1}}",
		"{\"v\":2,\"cmd\":\"media.delete\",\"args\":{\"id\":1}}",
		"{\"id\":null,\"cmd\":\"media.delete\",\"args\":{\"id\":1}}",
	};
	char out[4096];

	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		json_t *f = fast_reply(same[i]), *g = dispatch(same[i]);
		char *nf = normalised(f), *ng = normalised(g);

		assert_string_equal(nf, ng);
		/* A session each path made: both deleted (fast path, then general). */
		for (json_t *r = f; r; r = r == f ? g : NULL) {
			json_t *id = json_object_get(json_object_get(r, "result"), "id");
			char line[128];

			if (!json_is_integer(id))
				continue;
			snprintf(line, sizeof(line), "{\"id\":9,\"cmd\":\"media.delete\","
				 "\"args\":{\"id\":%lld}}", (long long)json_integer_value(id));
			if (r == f) {
				json_t *d = fast_reply(line);
				char *t = json_dumps(d, JSON_COMPACT), want[128];

				snprintf(want, sizeof(want), "{\"v\":1,\"ok\":true,\"result\":"
					 "{\"deleted\":%lld},\"id\":9}", (long long)json_integer_value(id));
				assert_string_equal(t, want);
				free(t);
				json_decref(d);
			} else {
				json_decref(expect_ok(line));
			}
		}
		free(nf);
		free(ng);
		json_decref(f);
		json_decref(g);
	}
	for (size_t i = 0; i < sizeof(general_only) / sizeof(general_only[0]); i++)
		assert_int_equal(ctl_dispatch_fast(general_only[i], strlen(general_only[i]), out,
						   sizeof(out)), 0);
	assert_int_equal(media_session_count(), 0);
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
			 " s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i,"
			 " s:i, s:i, s:i}",
			 "transport", "rx_msgs", 11, "rx_bad", 3, "rx_bad_dropped", 1,
			 "tx_msgs", 12, "tx_errors", 0, "tcp_accepted", 4, "tcp_refused", 0,
			 "tcp_idle_closed", 1, "tcp_oversize", 0, "tcp_conns", 2,
			 "transactions", 5, "aors", 2, "bindings", 3, "dialogs", 1,
			 "requests", 9, "forwarded", 6, "local_replies", 3, "registers", 2,
			 "acks_forwarded", 1, "stray_2xx_forwarded", 0, "cancels", 1,
			 "loops", 0, "kills", 0, "sdp_errors", 7, "media_timeouts", 1, "forks", 4);
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
		/* Every row of sip/counters.def has its own help, none a generic one. */
		"# TYPE xrelay_sip_sdp_errors_total counter\nxrelay_sip_sdp_errors_total 7\n",
		"# TYPE xrelay_sip_media_timeouts_total counter\nxrelay_sip_media_timeouts_total 1\n",
		"# TYPE xrelay_sip_forks_total counter\nxrelay_sip_forks_total 4\n",
		"# HELP xrelay_sip_forks_total requests forked to more than one target\n",
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

/* SIP message counters (sip/stats.c) as `stats` and `metrics` show them. */
static void
test_sip_messages(void **state)
{
	static const char invite[] = "INVITE sip:b@example.com SIP/2.0\r\nVia: x\r\n\r\n";
	static const char ok[] = "SIP/2.0 200 OK\r\n\r\n";
	static const char busy[] = "SIP/2.0 486 Busy Here\r\n\r\n";
	static const char odd[] = "FROB sip:b@example.com SIP/2.0\r\n\r\n";
	struct sip_msg *m = calloc(1, sizeof(*m));
	json_t *st, *sm, *mt;
	const char *t;

	assert_non_null(m);
	sip_stats_reset();
	sip_stats_tx(invite, sizeof(invite) - 1);
	sip_stats_tx(invite, sizeof(invite) - 1);
	sip_stats_tx(ok, sizeof(ok) - 1);
	sip_stats_tx(busy, sizeof(busy) - 1);
	sip_stats_tx(odd, sizeof(odd) - 1);
	sip_stats_tx("SIP/2.0 99", 10);		/* too short to be a status line */
	m->is_request = true;
	m->method = SIP_METHOD_BYE;
	sip_stats_rx(m);
	m->is_request = false;
	m->status = 180;
	sip_stats_rx(m);
	sip_stats_rx(m);
	m->status = 700;			/* out of range: not counted */
	sip_stats_rx(m);
	free(m);

	cfg.nsip = 1;	/* the SIP parts appear with --sip only */
	st = expect_ok("{\"cmd\": \"stats\"}");
	sm = json_object_get(st, "sip_messages");
	assert_true(json_is_object(sm));
	json_t *tx = json_object_get(sm, "tx"), *rx = json_object_get(sm, "rx");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(tx, "requests"),
							    "INVITE")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(tx, "requests"),
							    "BYE")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(tx, "requests"),
							    "other")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(tx, "responses"),
							    "200")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(tx, "responses"),
							    "486")), 1);
	assert_int_equal(json_object_size(json_object_get(tx, "responses")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(tx, "classes"),
							    "2xx")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(tx, "classes"),
							    "4xx")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rx, "requests"),
							    "BYE")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rx, "responses"),
							    "180")), 2);
	assert_int_equal(json_object_size(json_object_get(rx, "responses")), 1);
	json_decref(st);

	mt = expect_ok("{\"cmd\": \"metrics\"}");
	t = json_string_value(mt);
	assert_non_null(strstr(t, "# TYPE xrelay_sip_requests_total counter\n"));
	assert_non_null(strstr(t, "\nxrelay_sip_requests_total{direction=\"tx\",method=\"INVITE\"}"
			       " 2\n"));
	assert_non_null(strstr(t, "\nxrelay_sip_requests_total{direction=\"rx\",method=\"other\"}"
			       " 0\n"));
	assert_non_null(strstr(t, "\nxrelay_sip_responses_total{direction=\"rx\",code=\"180\"}"
			       " 2\n"));
	assert_null(strstr(t, "code=\"700\""));
	check_families(t);
	json_decref(mt);
	cfg.nsip = 0;
	sip_stats_reset();
}

/* ---- the socket ------------------------------------------------------------- */

#define PIPELINED	3000	/* requests written at once, fast path and general mixed */

struct client_ctx {
	char		 path[108];
	char		 replies[4][512];
	int		 nreplies;
	int		 pipelined_ok;	/* replies of the batch in order, each as expected */
	char		 long_reply[512];
	bool		 long_closed;
	char		 long_reply2[512];
	bool		 long_closed2;
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

/*
 * Did the daemon close fd?  End of file, or ECONNRESET: a unix socket closed
 * with bytes of ours still unread resets (after what it sent is read).
 */
static bool
peer_closed(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, 0);

	return n == 0 || (n < 0 && errno == ECONNRESET);
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
	/*
	 * PIPELINED requests in one write (the daemon reads them 64 KB at a
	 * time): media.delete of no session (the fast path's error) and every
	 * 7th an echo (jansson's path); the replies come back in order.
	 */
	fd = client_connect(cx->path);
	if (fd >= 0) {
		char *batch = malloc(PIPELINED * 96), line[512];
		size_t n = 0;

		for (int i = 0; i < PIPELINED; i++)
			n += (size_t)sprintf(batch + n, i % 7 ? "{\"v\":1,\"id\":%d,\"cmd\":"
					     "\"media.delete\",\"args\":{\"id\":77}}\n" :
					     "{\"id\":%d,\"cmd\":\"echo\",\"args\":{\"n\":1}}\n", i);
		for (size_t off = 0; off < n;) {
			ssize_t w = write(fd, batch + off, n - off);

			if (w <= 0)
				break;
			off += (size_t)w;
		}
		free(batch);
		for (int i = 0; i < PIPELINED && read_line(fd, line, sizeof(line)) == 0; i++) {
			char want[512];

			if (i % 7)
				snprintf(want, sizeof(want), "{\"v\":1,\"ok\":false,\"code\":\"ENOENT\","
					 "\"error\":\"media.delete: no session 77\",\"id\":%d}", i);
			else
				snprintf(want, sizeof(want), "{\"v\":1,\"ok\":true,\"result\":"
					 "{\"n\":1},\"id\":%d}", i);
			if (strcmp(line, want) != 0)
				break;
			cx->pipelined_ok++;
		}
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
		cx->long_closed = peer_closed(fd);	/* and the daemon closed */
		close(fd);
	}
	/* So does a complete line over the cap, even in one write with its newline. */
	fd = client_connect(cx->path);
	if (fd >= 0) {
		size_t n = 70 * 1024;
		char *big = malloc(n + 1);

		memset(big, 'y', n);
		big[n] = '\n';
		(void)!write(fd, big, n + 1);
		free(big);
		if (read_line(fd, cx->long_reply2, sizeof(cx->long_reply2)) < 0)
			cx->long_reply2[0] = '\0';
		cx->long_closed2 = peer_closed(fd);
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
	assert_int_equal(cx.pipelined_ok, PIPELINED);
	assert_string_equal(cx.replies[0], "{\"v\":1,\"ok\":true,\"result\":{\"n\":1}}");
	assert_string_equal(cx.replies[1], "{\"v\":1,\"ok\":true,\"result\":{\"n\":2}}");
	assert_non_null(strstr(cx.replies[2], "\"ok\":false"));
	assert_non_null(strstr(cx.replies[2], "unknown command 'nope'"));
	assert_non_null(strstr(cx.replies[2], "\"code\":\"ENOSYS\""));
	assert_non_null(strstr(cx.long_reply, "request line longer than"));
	assert_non_null(strstr(cx.long_reply, "\"code\":\"EMSGSIZE\""));
	assert_true(cx.long_closed);
	assert_non_null(strstr(cx.long_reply2, "\"code\":\"EMSGSIZE\""));
	assert_true(cx.long_closed2);

	/* The client cap: CTL_MAX_CLIENTS are served, one more is told why and closed. */
	int many[CTL_MAX_CLIENTS + 1];
	char busy[256];
	for (int i = 0; i <= CTL_MAX_CLIENTS; i++) {
		many[i] = client_connect(path);
		assert_true(many[i] >= 0);
		ev_run(loop, EVRUN_NOWAIT);	/* accept it */
	}
	assert_int_equal(read_line(many[CTL_MAX_CLIENTS], busy, sizeof(busy)), 0);
	assert_string_equal(busy, "{\"v\":1,\"ok\":false,\"code\":\"EUSERS\","
			    "\"error\":\"too many control clients\"}");
	(void)!write(many[0], "{\"cmd\":\"echo\"}\n", 15);
	for (int i = 0; i < 5; i++)
		ev_run(loop, EVRUN_NOWAIT);
	assert_int_equal(read_line(many[0], busy, sizeof(busy)), 0);
	assert_string_equal(busy, "{\"v\":1,\"ok\":true,\"result\":null}");
	for (int i = 0; i <= CTL_MAX_CLIENTS; i++)
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

/* ---- a client that never reads, and one that does -------------------------- */

#define SLOW_REQS	2000

struct slow_ctx {
	char		 path[108];
	int		 fd;		/* the slow client */
	bool		 blocked;	/* its send() hit EAGAIN: the daemon stopped reading */
	int		 sent;
	int		 replies_ok;	/* replies read back, in order */
	char		 other[256];	/* the other client's reply, while the slow one is stuck */
	ev_async	*done;
	struct ev_loop	*loop;
};

static void *
slow_reader(void *arg)
{
	struct slow_ctx *sx = arg;
	static char line[4096];

	for (int i = 0; i < SLOW_REQS; i++) {
		char want[32];

		if (read_line(sx->fd, line, sizeof(line)) < 0)
			break;
		snprintf(want, sizeof(want), "{\"n\":%d,", i);
		if (!strstr(line, want))
			break;
		sx->replies_ok++;
	}
	return NULL;
}

static void *
slow_client(void *arg)
{
	struct slow_ctx *sx = arg;
	char req[1200], pad[1001];
	pthread_t rd;
	bool reading = false;

	memset(pad, 'p', 1000);
	pad[1000] = '\0';
	sx->fd = client_connect(sx->path);
	if (sx->fd < 0)
		goto out;
	fcntl(sx->fd, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < SLOW_REQS; i++) {
		int n = snprintf(req, sizeof(req), "{\"cmd\":\"echo\",\"args\":{\"n\":%d,\"p\":\"%s\"}}\n",
				 i, pad), off = 0;

		for (int tries = 0; off < n && tries < 2000; ) {
			ssize_t w = send(sx->fd, req + off, (size_t)(n - off), MSG_NOSIGNAL);

			if (w > 0) {
				off += (int)w;
				continue;
			}
			if (errno != EAGAIN)
				goto out;
			if (!sx->blocked) {
				/* Stuck: another client must still be served... */
				int fd = client_connect(sx->path);

				sx->blocked = true;
				if (fd >= 0) {
					(void)!write(fd, "{\"cmd\":\"echo\",\"args\":{\"x\":1}}\n", 30);
					if (read_line(fd, sx->other, sizeof(sx->other)) < 0)
						sx->other[0] = '\0';
					close(fd);
				}
				/* ...then start reading: every reply comes, in order. */
				fcntl(sx->fd, F_SETFL, 0);
				reading = pthread_create(&rd, NULL, slow_reader, sx) == 0;
				fcntl(sx->fd, F_SETFL, O_NONBLOCK);
			}
			tries++;
			usleep(5000);
		}
		if (off < n)
			break;
		sx->sent++;
	}
	if (!reading)
		reading = pthread_create(&rd, NULL, slow_reader, sx) == 0;
	if (reading)
		pthread_join(rd, NULL);
	close(sx->fd);
out:
	ev_async_send(sx->loop, sx->done);
	return NULL;
}

static void
test_slow_client(void **state)
{
	char dir[] = "/tmp/xr-test-ctl-XXXXXX";
	struct slow_ctx sx = { 0 };
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	ev_async done;
	ev_timer guard;
	pthread_t th;

	assert_non_null(mkdtemp(dir));
	snprintf(sx.path, sizeof(sx.path), "%s/ctl.sock", dir);
	assert_int_equal(ctl_start(loop, sx.path), 0);
	sx.loop = loop;
	sx.done = &done;
	ev_async_init(&done, on_done);
	ev_async_start(loop, &done);
	ev_timer_init(&guard, on_timeout, 30.0, 0);
	ev_timer_start(loop, &guard);
	assert_int_equal(pthread_create(&th, NULL, slow_client, &sx), 0);
	ev_run(loop, 0);
	pthread_join(th, NULL);
	ctl_stop();
	rmdir(dir);
	ev_loop_destroy(loop);

	assert_true(sx.blocked);
	assert_string_equal(sx.other, "{\"v\":1,\"ok\":true,\"result\":{\"x\":1}}");
	assert_int_equal(sx.sent, SLOW_REQS);
	assert_int_equal(sx.replies_ok, SLOW_REQS);
}

/* ---- who may connect (SO_PEERCRED) ------------------------------------------- */

struct cred_run {
	struct ev_loop	*loop;
	ev_io		 io;
	ev_timer	 guard;
};

static void
on_pipe(struct ev_loop *loop, ev_io *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

/*
 * In a child with uid, gid and supplementary groups (ngroups of them),
 * connect to path and ask "echo"; out gets the reply line, or
 * "connect: <errno name>".  The parent runs the daemon's loop meanwhile.
 */
static void
as_user(struct ev_loop *loop, const char *path, uid_t uid, gid_t gid, const gid_t *groups,
	int ngroups, char *out, size_t outlen)
{
	struct cred_run cr = { .loop = loop };
	int p[2];
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char line[512];
		int fd;

		close(p[0]);
		if (setgroups((size_t)ngroups, groups) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
			_exit(3);
		fd = client_connect(path);
		if (fd < 0) {
			dprintf(p[1], "connect: %s", strerrorname_np(errno));
			_exit(0);
		}
		/* A refused client may find the socket closed before it writes. */
		(void)!send(fd, "{\"cmd\":\"echo\"}\n", 15, MSG_NOSIGNAL);
		if (read_line(fd, line, sizeof(line)) < 0)
			snprintf(line, sizeof(line), "no reply");
		else if (strstr(line, "\"ok\":false") && !peer_closed(fd))
			strcat(line, " (still open)");
		dprintf(p[1], "%s", line);
		_exit(0);
	}
	close(p[1]);
	ev_io_init(&cr.io, on_pipe, p[0], EV_READ);
	ev_io_start(loop, &cr.io);
	ev_timer_init(&cr.guard, on_timeout, 10.0, 0);
	ev_timer_start(loop, &cr.guard);
	ev_run(loop, 0);
	ev_io_stop(loop, &cr.io);
	ev_timer_stop(loop, &cr.guard);
	waitpid(pid, NULL, 0);	/* the pipe is complete once the child exited */
	n = read(p[0], out, outlen - 1);
	out[n > 0 ? n : 0] = '\0';
	close(p[0]);
}

static void
test_peercred(void **state)
{
	char dir[] = "/tmp/xr-test-ctl-XXXXXX", path[108], out[512];
	struct ev_loop *loop;
	struct group *gr;
	struct stat st;
	gid_t g, nog = 65534;

	if (geteuid() != 0)
		skip();	/* changing uid needs root */
	gr = getgrgid(1);
	assert_non_null(gr);
	g = gr->gr_gid;
	loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);

	assert_int_equal(ctl_set_group("no-such-group-xr"), -ENOENT);
	assert_int_equal(ctl_set_group(NULL), 0);
	assert_int_equal(ctl_start(loop, path), 0);
	/* The file's mode keeps others out before any credential check... */
	as_user(loop, path, 65534, nog, NULL, 0, out, sizeof(out));
	assert_string_equal(out, "connect: EACCES");
	/* ...and with the mode opened up, SO_PEERCRED still refuses them. */
	assert_int_equal(chmod(path, 0666), 0);
	as_user(loop, path, 65534, nog, NULL, 0, out, sizeof(out));
	if (!strstr(out, "\"ok\":false,\"code\":\"EPERM\""))
		fail_msg("refused: %s", out);
	assert_non_null(strstr(out, "uid 65534"));
	assert_null(strstr(out, "still open"));
	ctl_stop();

	assert_int_equal(ctl_set_group(gr->gr_name), 0);
	assert_int_equal(ctl_start(loop, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_gid, g);
	assert_int_equal(st.st_mode & 0777, 0660);
	/* Supplementary member: allowed, through the socket file's group too. */
	as_user(loop, path, 65534, nog, &g, 1, out, sizeof(out));
	assert_string_equal(out, "{\"v\":1,\"ok\":true,\"result\":null}");
	/* Primary member. */
	as_user(loop, path, 65534, g, NULL, 0, out, sizeof(out));
	assert_string_equal(out, "{\"v\":1,\"ok\":true,\"result\":null}");
	/* Not a member. */
	assert_int_equal(chmod(path, 0666), 0);
	as_user(loop, path, 65534, nog, NULL, 0, out, sizeof(out));
	assert_non_null(strstr(out, "\"code\":\"EPERM\""));
	/* Root is always let in. */
	as_user(loop, path, 0, 0, NULL, 0, out, sizeof(out));
	assert_string_equal(out, "{\"v\":1,\"ok\":true,\"result\":null}");
	ctl_stop();
	assert_int_equal(ctl_set_group(NULL), 0);
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
	cfg.media_sockets = XR_MSOCK_PORT;	/* never sk_lookup in the host's namespace */
	cfg.port_hi = 41007;
	if (media_init(&cfg, NULL) < 0 || media_start() < 0)
		return -1;
	if (ctl_commands_init(&cfg, NULL) < 0)
		return -1;
	if (ctl_register("echo", cmd_echo, "echo the args") < 0 ||
	    ctl_register("fail", cmd_fail, "always fails") < 0 ||
	    ctl_register("multiline", cmd_multiline, "fails oddly") < 0)
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
		cmocka_unit_test(test_protocol),
		cmocka_unit_test(test_media_args),
		cmocka_unit_test(test_media_session_api),
		cmocka_unit_test(test_media_fast_path),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_sip_stats),
		cmocka_unit_test(test_sip_messages),
		cmocka_unit_test(test_socket),
		cmocka_unit_test(test_slow_client),
		cmocka_unit_test(test_peercred),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
