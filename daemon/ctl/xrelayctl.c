// SPDX-License-Identifier: GPL-2.0
/*
 * xrelayctl.c - the operator's CLI: one request over xrelayd's control
 * socket (ctl.h, JSON lines), printed as a human table, as one JSON
 * document (--json), or raw (metrics).  Commands come from one table.
 * Exit status: 0 done, 1 the daemon refused or could not be reached,
 * 2 bad usage; always with a one-line reason on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "xrelay/counters.h"

#define DEFAULT_SOCK	"/run/xrelay/xrelay.sock"
#define REPLY_MAX	(256 * 1024 * 1024)
#define TIMEOUT_S	10

typedef json_t *(*args_fn)(char **argv);
typedef void (*print_fn)(json_t *result);

/* One subcommand: words typed, request sent, how the result is printed. */
struct ctl_cmd {
	const char	*words[2];	/* "media", "create"; words[1] NULL for one word */
	int		 nargs;		/* operands after the words */
	const char	*usage;		/* operands, for help */
	const char	*cmd;		/* request "cmd" */
	args_fn		 args;		/* request "args" from the operands, or NULL */
	print_fn	 print;		/* human output */
	const char	*help;
	bool		 sip;		/* served by the SIP side, only with --sip */
};

static const char *prog = "xrelayctl";

static void __attribute__((format(printf, 2, 3), noreturn))
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* ---- value formatting ------------------------------------------------------ */

/* A scalar as text; objects and arrays as compact JSON.  Caller frees. */
static char *
val_str(json_t *v)
{
	char *s = NULL;

	if (!v || json_is_null(v))
		return strdup("-");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v)) {
		if (asprintf(&s, "%lld", (long long)json_integer_value(v)) < 0)
			return NULL;
		return s;
	}
	if (json_is_real(v)) {
		if (asprintf(&s, "%.3f", json_real_value(v)) < 0)
			return NULL;
		return s;
	}
	if (json_is_boolean(v))
		return strdup(json_is_true(v) ? "yes" : "no");
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/*
 * A table: rows of cells, printed with columns as wide as their widest
 * cell.  Cells are owned by the table.
 */
struct table {
	int	 ncols, nrows;
	char	**cells;	/* nrows * ncols, row-major; row 0 is the header */
};

static void
table_add(struct table *t, char **row)
{
	t->cells = realloc(t->cells, (size_t)(t->nrows + 1) * (size_t)t->ncols * sizeof(char *));
	if (!t->cells)
		die(1, "out of memory");
	for (int c = 0; c < t->ncols; c++)
		t->cells[t->nrows * t->ncols + c] = row[c] ? row[c] : strdup("-");
	t->nrows++;
}

static void
table_print(struct table *t)
{
	int w[64] = { 0 };

	for (int r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncols && c < 64; c++) {
			int n = (int)strlen(t->cells[r * t->ncols + c]);
			if (n > w[c])
				w[c] = n;
		}
	for (int r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			if (c == t->ncols - 1)
				printf("%s\n", s);
			else
				printf("%-*s  ", c < 64 ? w[c] : 0, s);
		}
	}
	for (int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
}

/* key: value lines for an object, nested objects indented. */
static void
print_object(json_t *o, int indent)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		if (json_is_object(v) && json_object_size(v)) {
			printf("%*s%s:\n", indent, "", key);
			print_object(v, indent + 2);
			continue;
		}
		char *s = val_str(v);
		printf("%*s%-*s %s\n", indent, "", 20 - indent > 0 ? 20 - indent : 0, key,
		       s ? s : "?");
		free(s);
	}
}

/* An array of objects as a table, columns from the first row's keys. */
static void
print_rows(json_t *a)
{
	struct table t = { 0 };
	const char *key;
	json_t *row, *v, *first = json_array_get(a, 0);
	size_t i;

	if (!json_is_object(first)) {
		json_array_foreach(a, i, v) {
			char *s = val_str(v);
			printf("%s\n", s ? s : "?");
			free(s);
		}
		return;
	}
	t.ncols = (int)json_object_size(first);
	char **cells = calloc((size_t)t.ncols, sizeof(char *));
	int c = 0;
	json_object_foreach(first, key, v)
		cells[c++] = strdup(key);
	table_add(&t, cells);
	json_array_foreach(a, i, row) {
		c = 0;
		json_object_foreach(first, key, v)
			cells[c++] = val_str(json_object_get(row, key));
		table_add(&t, cells);
	}
	free(cells);
	table_print(&t);
}

/* Anything: the generic printer for commands without a dedicated one. */
static void
print_generic(json_t *r)
{
	if (json_is_array(r)) {
		if (json_array_size(r) == 0)
			printf("(none)\n");
		else
			print_rows(r);
	} else if (json_is_object(r)) {
		/* An object holding one array (e.g. {"calls": [...]}) is that array. */
		const char *key;
		json_t *v, *only = NULL;
		int n = 0;

		json_object_foreach(r, key, v) {
			n++;
			if (json_is_array(v))
				only = v;
		}
		if (n == 1 && only)
			print_generic(only);
		else
			print_object(r, 0);
	} else {
		char *s = val_str(r);
		printf("%s\n", s ? s : "?");
		free(s);
	}
}

static void
print_raw(json_t *r)
{
	if (json_is_string(r))
		fputs(json_string_value(r), stdout);
	else
		print_generic(r);
}

/* ---- dedicated printers ----------------------------------------------------- */

static const char *
str_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : "-";
}

static void
print_status(json_t *r)
{
	json_t *v;
	size_t i;

	printf("xrelayd %s (ABI %lld), pid %lld, up %.0f s\n", str_of(r, "version"),
	       (long long)json_integer_value(json_object_get(r, "abi")),
	       (long long)json_integer_value(json_object_get(r, "pid")),
	       json_number_value(json_object_get(r, "uptime")));
	printf("fast path: %s", json_is_true(json_object_get(r, "kernel_path")) ?
	       "XDP" : "off (userspace relay only)");
	if (json_is_true(json_object_get(r, "kernel_path")))
		printf(", maps in %s", str_of(r, "pin_dir"));
	printf("\n");
	json_array_foreach(json_object_get(r, "xdp"), i, v)
		printf("  xdp %-12s %s\n", str_of(v, "ifname"), str_of(v, "mode"));
	printf("media:");
	json_array_foreach(json_object_get(r, "media"), i, v)
		printf(" %s", json_string_value(v));
	v = json_object_get(r, "ports");
	printf(", ports %lld-%lld, %lld session(s)\n",
	       (long long)json_integer_value(json_object_get(v, "lo")),
	       (long long)json_integer_value(json_object_get(v, "hi")),
	       (long long)json_integer_value(json_object_get(r, "sessions")));
	printf("sip:");
	if (json_array_size(json_object_get(r, "sip")) == 0)
		printf(" off");
	json_array_foreach(json_object_get(r, "sip"), i, v)
		printf(" %s:%s", str_of(v, "transport"), str_of(v, "addr"));
	printf("\n");
}

/* "packets/bytes" of row[obj], "-" when row[obj] is absent or null (no kernel path). */
static char *
pkts_bytes(json_t *row, const char *obj)
{
	json_t *o = json_object_get(row, obj);
	char *s = NULL;

	if (!json_is_object(o))
		return strdup("-");
	if (asprintf(&s, "%lld/%lld", (long long)json_integer_value(json_object_get(o, "packets")),
		     (long long)json_integer_value(json_object_get(o, "bytes"))) < 0)
		return NULL;
	return s;
}

/* The most recent of the kernel's and the relay's last packet, "ms ago". */
static char *
last_seen(json_t *row)
{
	static const char *const paths[] = { "kernel", "userspace" };
	long long best = -1;
	char *s = NULL;

	for (int i = 0; i < 2; i++) {
		json_t *v = json_object_get(json_object_get(row, paths[i]), "last_seen_ms_ago");
		long long ms = json_is_integer(v) ? json_integer_value(v) : -1;

		if (ms >= 0 && (best < 0 || ms < best))
			best = ms;
	}
	if (best < 0)
		return strdup("never");
	if (asprintf(&s, "%lld ms ago", best) < 0)
		return NULL;
	return s;
}

static void
print_flows(json_t *r)
{
	static const char *const hdr[] = { "SESSION", "SIDE", "LEG", "LOCAL", "PEER -> DST",
					   "LATCHED", "KERNEL PKTS/BYTES", "USER PKTS/BYTES",
					   "LAST SEEN" };
	struct table t = { .ncols = 9 };
	char *cells[9];
	json_t *row;
	size_t i;

	if (json_array_size(r) == 0) {
		printf("(no flows)\n");
		return;
	}
	for (int c = 0; c < 9; c++)
		cells[c] = strdup(hdr[c]);
	table_add(&t, cells);
	json_array_foreach(r, i, row) {
		bool latched = json_is_true(json_object_get(row, "latched"));
		json_t *dst = json_object_get(row, "dst");

		cells[0] = val_str(json_object_get(row, "session"));
		cells[1] = val_str(json_object_get(row, "side"));
		cells[2] = val_str(json_object_get(row, "leg"));
		cells[3] = val_str(json_object_get(row, "local"));
		if (asprintf(&cells[4], "%s -> %s%s",
			     str_of(row, latched ? "source" : "remote"), str_of(row, "dst"),
			     json_is_string(dst) && !json_is_true(json_object_get(row, "forward")) ?
			     " (held)" : "") < 0)
			cells[4] = NULL;
		cells[5] = strdup(latched ? "yes" : "no");
		cells[6] = pkts_bytes(row, "kernel");
		cells[7] = pkts_bytes(row, "userspace");
		cells[8] = last_seen(row);
		table_add(&t, cells);
	}
	table_print(&t);
}

static void
print_stats(json_t *r)
{
	json_t *k = json_object_get(r, "kernel"), *media = json_object_get(r, "media");
	json_t *sip = json_object_get(r, "sip");

	printf("sessions %lld\n", (long long)json_integer_value(json_object_get(r, "sessions")));
	if (json_is_object(k)) {
		printf("\nkernel (XDP) packets by outcome:\n");
		for (int i = 0; i < XR_CNT__MAX; i++)
			printf("  %-22s %12lld  %s\n", xr_cnt_names[i],
			       (long long)json_integer_value(json_object_get(k, xr_cnt_names[i])),
			       xr_cnt_help[i]);
	} else {
		printf("\nkernel (XDP): off\n");
	}
	if (json_is_object(media) && json_object_size(media)) {
		printf("\nuserspace relay:\n");
		print_object(media, 2);
	}
	if (json_is_object(sip)) {
		printf("\nSIP:\n");
		print_object(sip, 2);
	}
}

static void
print_side(const char *name, json_t *s)
{
	printf("  %s: send to %s (RTP %lld, RTCP %lld), party %s\n", name, str_of(s, "relay"),
	       (long long)json_integer_value(json_object_get(s, "rtp")),
	       (long long)json_integer_value(json_object_get(s, "rtcp")), str_of(s, "remote"));
}

static void
print_session(json_t *r)
{
	printf("session %lld\n", (long long)json_integer_value(json_object_get(r, "id")));
	print_side("a", json_object_get(r, "a"));
	print_side("b", json_object_get(r, "b"));
}

static void
print_media_list(json_t *r)
{
	struct table t = { .ncols = 5 };
	static const char *const hdr[] = { "ID", "A RELAY", "A PARTY", "B RELAY", "B PARTY" };
	char *cells[5];
	json_t *s;
	size_t i;

	if (json_array_size(r) == 0) {
		printf("(no sessions)\n");
		return;
	}
	for (int c = 0; c < 5; c++)
		cells[c] = strdup(hdr[c]);
	table_add(&t, cells);
	json_array_foreach(r, i, s) {
		json_t *a = json_object_get(s, "a"), *b = json_object_get(s, "b");

		cells[0] = val_str(json_object_get(s, "id"));
		cells[1] = strdup(str_of(a, "relay"));
		cells[2] = strdup(str_of(a, "remote"));
		cells[3] = strdup(str_of(b, "relay"));
		cells[4] = strdup(str_of(b, "remote"));
		table_add(&t, cells);
	}
	table_print(&t);
}

static void
print_deleted(json_t *r)
{
	printf("deleted %lld\n", (long long)json_integer_value(json_object_get(r, "deleted")));
}

/* ---- request arguments ------------------------------------------------------ */

/* An id: a JSON integer when it is all digits, else a string (SIP Call-IDs). */
static json_t *
id_json(const char *s)
{
	const char *p = s;

	while (*p >= '0' && *p <= '9')
		p++;
	if (*s && !*p && p - s < 19)
		return json_integer(strtoll(s, NULL, 10));
	return json_string(s);
}

static json_t *
args_id(char **argv)
{
	return json_pack("{s:o}", "id", id_json(argv[0]));
}

static json_t *
args_media_create(char **argv)
{
	return json_pack("{s:s, s:s}", "a", argv[0], "b", argv[1]);
}

static const struct ctl_cmd commands[] = {
	{ { "status" }, 0, "", "status", NULL, print_status,
	  "daemon version, uptime, XDP interfaces, addresses", false },
	{ { "calls" }, 0, "", "calls", NULL, print_generic, "calls in progress", true },
	{ { "call", "show" }, 1, "ID", "call.show", args_id, print_generic, "one call in detail",
	  true },
	{ { "call", "kill" }, 1, "ID", "call.kill", args_id, print_generic,
	  "end a call (BYE both ways)", true },
	{ { "flows" }, 0, "", "flows", NULL, print_flows,
	  "media flows: latching, kernel and userspace counters", false },
	{ { "regs" }, 0, "", "regs", NULL, print_generic, "registered contacts", true },
	{ { "proxy", "stats" }, 0, "", "proxy.stats", NULL, print_generic,
	  "proxy and registrar counters", true },
	{ { "stats" }, 0, "", "stats", NULL, print_stats,
	  "XDP counters and media statistics", false },
	{ { "metrics" }, 0, "", "metrics", NULL, print_raw, "Prometheus text format", false },
	{ { "media", "create" }, 2, "ADDR:PORT ADDR:PORT", "media.create", args_media_create,
	  print_session, "relay media between two endpoints", false },
	{ { "media", "delete" }, 1, "ID", "media.delete", args_id, print_deleted,
	  "delete a media session", false },
	{ { "media", "list" }, 0, "", "media.list", NULL, print_media_list,
	  "media sessions", false },
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *out)
{
	fprintf(out, "usage: %s [-s PATH] [--json] COMMAND [ARGS]\n\n"
		"  -s, --socket PATH   control socket (default " DEFAULT_SOCK ")\n"
		"  -j, --json          print the daemon's answer as one JSON document\n"
		"  -h, --help          this help\n\ncommands:\n", prog);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char lhs[64];

		snprintf(lhs, sizeof(lhs), "%s%s%s %s", commands[i].words[0],
			 commands[i].words[1] ? " " : "",
			 commands[i].words[1] ? commands[i].words[1] : "", commands[i].usage);
		fprintf(out, "  %-34s %s\n", lhs, commands[i].help);
	}
}

/* ---- the exchange ----------------------------------------------------------- */

static int
ctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		die(2, "%s: socket path too long", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(1, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die(1, "cannot connect to %s: %s", path, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Send one request line, read one reply line; the parsed reply. */
static json_t *
exchange(int fd, const char *path, const char *cmd, json_t *args)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd), *resp;
	json_error_t jerr;
	char *line, *buf = NULL;
	size_t len = 0, cap = 0;

	if (args)
		json_object_set_new(req, "args", args);
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!line)
		die(1, "out of memory");
	size_t n = strlen(line), off = 0;
	line[n] = '\0';
	while (off < n) {
		ssize_t w = send(fd, line + off, n - off, MSG_NOSIGNAL);
		if (w < 0)
			die(1, "%s: send: %s", path, strerror(errno));
		off += (size_t)w;
	}
	if (send(fd, "\n", 1, MSG_NOSIGNAL) != 1)
		die(1, "%s: send: %s", path, strerror(errno));
	free(line);
	for (;;) {
		if (len + 65536 > cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > REPLY_MAX)
				die(1, "reply larger than %d bytes", REPLY_MAX);
			buf = realloc(buf, cap);
			if (!buf)
				die(1, "out of memory");
		}
		ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die(1, "%s: %s", path, errno == EAGAIN ? "no reply from xrelayd (timeout)"
							      : strerror(errno));
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (memchr(buf + len - (size_t)r, '\n', (size_t)r))
			break;
	}
	close(fd);
	if (len == 0)
		die(1, "%s: xrelayd closed the connection without a reply", path);
	resp = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK, &jerr);
	free(buf);
	if (!resp || !json_is_object(resp))
		die(1, "bad reply from xrelayd: %s", resp ? "not an object" : jerr.text);
	return resp;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_SOCK;
	const struct ctl_cmd *c = NULL;
	bool json = false;
	json_t *resp, *result;
	int opt, nwords = 0;

	/* "+": options only before the command, so IDs may start with '-'. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:s:jh", lopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			die(2, "%s: needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				die(2, "-%c: unknown option (see --help)", optopt);
			die(2, "%s: unknown option (see --help)", argv[optind - 1]);
		}
	}
	argv += optind;
	argc -= optind;
	if (argc < 1)
		die(2, "no command (see --help)");
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct ctl_cmd *k = &commands[i];
		int w = k->words[1] ? 2 : 1;

		if (strcmp(argv[0], k->words[0]) != 0)
			continue;
		if (w == 2 && (argc < 2 || strcmp(argv[1], k->words[1]) != 0))
			continue;
		c = k;
		nwords = w;
		break;
	}
	if (!c)
		die(2, "unknown command '%s%s%s' (see --help)", argv[0], argc > 1 ? " " : "",
		    argc > 1 ? argv[1] : "");
	if (argc - nwords != c->nargs)
		die(2, "usage: %s %s%s%s %s", prog, c->words[0], c->words[1] ? " " : "",
		    c->words[1] ? c->words[1] : "", c->usage);

	/* Connect before anything is allocated: a failed connect exits at once. */
	int fd = ctl_connect(path);
	resp = exchange(fd, path, c->cmd, c->args ? c->args(argv + nwords) : NULL);
	if (!json_is_true(json_object_get(resp, "ok"))) {
		json_t *e = json_object_get(resp, "error");
		char msg[512];

		/* Copied out so the reply is released before exiting (LeakSanitizer). */
		snprintf(msg, sizeof(msg), "%s", json_is_string(e) ? json_string_value(e)
								    : "request failed");
		json_decref(resp);
		/* The SIP side registers its commands only when it runs. */
		if (strncmp(msg, "unknown command", 15) == 0)
			die(1, "%s: not served by this xrelayd%s", c->cmd,
			    c->sip ? " (SIP commands need xrelayd --sip)" : "");
		die(1, "%s", msg);
	}
	result = json_object_get(resp, "result");
	if (json) {
		json_dumpf(result, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
		fputc('\n', stdout);
	} else {
		c->print(result);
	}
	json_decref(resp);
	if (fflush(stdout) != 0)
		die(1, "stdout: %s", strerror(errno));
	return 0;
}
