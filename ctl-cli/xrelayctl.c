// SPDX-License-Identifier: GPL-2.0
/*
 * xrelayctl.c - the operator's CLI: requests over xrelayd's control socket
 * (include/xrelay/ctl.h: socket path, protocol version; JSON lines), printed
 * as human tables, as one JSON document (--json), or raw (metrics).  Every
 * command, its synopsis, its one-line and its long help come from one table
 * (`xrelayctl --help`, `xrelayctl help CMD`, `xrelayctl CMD --help`).
 * Exit status: 0 done, 1 the daemon refused or could not be reached, 2 bad
 * usage; always with a one-line reason on stderr.
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
#include <time.h>
#include <unistd.h>

#include "xrelay/counters.h"
#include "xrelay/ctl.h"

#define REPLY_MAX	(256 * 1024 * 1024)
#define TIMEOUT_S	10

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

/* The header row: a copy of hdr[0..t->ncols). */
static void
table_header(struct table *t, const char *const *hdr)
{
	char *row[t->ncols];

	for (int c = 0; c < t->ncols; c++)
		row[c] = strdup(hdr[c]);
	table_add(t, row);
}

static void
table_free(struct table *t)
{
	for (int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
}

/* Print (indented by indent spaces) and free the table. */
static void
table_print_indented(struct table *t, int indent)
{
	int w[64] = { 0 };

	for (int r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncols && c < 64; c++) {
			int n = (int)strlen(t->cells[r * t->ncols + c]);
			if (n > w[c])
				w[c] = n;
		}
	for (int r = 0; r < t->nrows; r++) {
		printf("%*s", indent, "");
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			if (c == t->ncols - 1)
				printf("%s\n", s);
			else
				printf("%-*s  ", c < 64 ? w[c] : 0, s);
		}
	}
	table_free(t);
}

static void
table_print(struct table *t)
{
	table_print_indented(t, 0);
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
		printf("%*s%-*s %s\n", indent, "", 24 - indent > 0 ? 24 - indent : 0, key,
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

/* row[key] as an integer, or dflt when absent or not an integer. */
static long long
int_of(json_t *o, const char *key, long long dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

/* "12", or "-" for null/absent (the SIP side is off). */
static const char *
count_str(json_t *o, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return "-";
	snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	return buf;
}

static void
print_status(json_t *r)
{
	json_t *v, *counts = json_object_get(r, "counts"), *pk = json_object_get(r, "packets");
	char b1[32], b2[32], b3[32];
	size_t i;

	printf("xrelayd %s (ABI %lld), pid %lld, up %.0f s\n", str_of(r, "version"),
	       int_of(r, "abi", 0), int_of(r, "pid", 0),
	       json_number_value(json_object_get(r, "uptime")));
	printf("fast path: %s", json_is_true(json_object_get(r, "kernel_path")) ?
	       "XDP" : "off (userspace relay only)");
	if (json_is_true(json_object_get(r, "kernel_path")))
		printf(", maps in %s", str_of(r, "pin_dir"));
	if (json_is_integer(json_object_get(r, "prog_id")))
		printf(", program id %lld", int_of(r, "prog_id", 0));
	printf("\n");
	json_array_foreach(json_object_get(r, "xdp"), i, v)
		printf("  xdp %-12s %s\n", str_of(v, "ifname"), str_of(v, "mode"));
	printf("media:");
	json_array_foreach(json_object_get(r, "media"), i, v)
		printf(" %s", json_string_value(v));
	v = json_object_get(r, "ports");
	printf(", ports %lld-%lld, %lld session(s)\n", int_of(v, "lo", 0), int_of(v, "hi", 0),
	       int_of(r, "sessions", 0));
	printf("sip:");
	if (json_array_size(json_object_get(r, "sip")) == 0)
		printf(" off");
	json_array_foreach(json_object_get(r, "sip"), i, v)
		printf(" %s:%s", str_of(v, "transport"), str_of(v, "addr"));
	printf("\n");
	if (json_is_object(counts))
		printf("calls %s, flows %lld (%lld latched), registrations %s (%s AORs)\n",
		       count_str(counts, "calls", b1, sizeof(b1)), int_of(counts, "flows", 0),
		       int_of(counts, "flows_latched", 0),
		       count_str(counts, "registrations", b2, sizeof(b2)),
		       count_str(counts, "aors", b3, sizeof(b3)));
	if (json_is_object(pk))
		printf("media packets relayed: kernel %s, userspace %s\n",
		       count_str(pk, "kernel", b1, sizeof(b1)),
		       count_str(pk, "userspace", b2, sizeof(b2)));
	v = json_object_get(r, "replication");
	if (json_is_object(v))
		printf("replication: redis %s as node %s, %s, lag %lld ms, %lld queued "
		       "(of %lld), %lld in flight, %lld written, %lld errors, %lld dropped, "
		       "%lld re-syncs\n", str_of(v, "redis"), str_of(v, "node"), str_of(v, "state"),
		       int_of(v, "lag_ms", 0), int_of(v, "queued", 0), int_of(v, "queue_max", 0),
		       int_of(v, "in_flight", 0), int_of(v, "writes", 0),
		       int_of(v, "write_errors", 0), int_of(v, "dropped", 0),
		       int_of(v, "resyncs", 0));
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
	table_header(&t, hdr);
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

static void print_table_pref(json_t *rows, const char *const *pref, const char *none, int indent);

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * rx and tx counters side by side: NAME RX TX, rows in rx's key order then
 * keys only tx has, or sorted (status codes); zero rows left out with
 * skip_zero.
 */
static void
print_rx_tx(const char *title, json_t *rx, json_t *tx, bool skip_zero, bool sorted)
{
	struct table t = { .ncols = 3 };
	const char *keys[1024], *key;
	char *cells[3];
	size_t n = 0;
	json_t *v;

	for (int pass = 0; pass < 2; pass++)
		json_object_foreach(pass ? tx : rx, key, v)
			if (n < 1024 && !(pass && json_object_get(rx, key)))
				keys[n++] = key;
	if (sorted)
		qsort(keys, n, sizeof(keys[0]), cmp_str);
	cells[0] = strdup(title);
	cells[1] = strdup("RX");
	cells[2] = strdup("TX");
	table_add(&t, cells);
	for (size_t i = 0; i < n; i++) {
		long long r = int_of(rx, keys[i], 0), x = int_of(tx, keys[i], 0);

		if (skip_zero && !r && !x)
			continue;
		cells[0] = strdup(keys[i]);
		if (asprintf(&cells[1], "%lld", r) < 0)
			cells[1] = NULL;
		if (asprintf(&cells[2], "%lld", x) < 0)
			cells[2] = NULL;
		table_add(&t, cells);
	}
	if (t.nrows == 1) {
		table_free(&t);
		printf("  (none)\n");
		return;
	}
	table_print_indented(&t, 2);
}

static void
print_stats(json_t *r)
{
	json_t *k = json_object_get(r, "kernel"), *media = json_object_get(r, "media");
	json_t *sip = json_object_get(r, "sip"), *sm = json_object_get(r, "sip_messages");
	json_t *nh = json_object_get(r, "next_hop");

	printf("sessions %lld\n", int_of(r, "sessions", 0));
	if (json_is_object(k)) {
		printf("\nkernel (XDP) packets by outcome:\n");
		for (int i = 0; i < XR_CNT__MAX; i++)
			printf("  %-22s %12lld  %s\n", xr_cnt_names[i],
			       int_of(k, xr_cnt_names[i], 0), xr_cnt_help[i]);
	} else {
		printf("\nkernel (XDP): off\n");
	}
	if (json_is_object(nh)) {
		printf("\nkernel (XDP) next hops asked afresh: %lld (epoch %lld), by what changed:\n",
		       int_of(nh, "refreshes", 0), int_of(nh, "epoch", 0));
		print_object(json_object_get(nh, "causes"), 2);
	}
	if (json_is_object(media) && json_object_size(media)) {
		static const char *const ppref[] = { "address", "port_lo", "port_hi", "pairs",
						     "pairs_in_use", "pairs_free", NULL };
		json_t *m = json_copy(media);	/* shallow: ports printed apart */

		json_object_del(m, "ports");
		printf("\nmedia:\n");
		print_object(m, 2);
		json_decref(m);
		if (json_is_array(json_object_get(media, "ports"))) {
			printf("\nmedia port pools:\n");
			print_table_pref(json_object_get(media, "ports"), ppref, "  (none)", 2);
		}
	}
	if (json_is_object(sm)) {
		json_t *rx = json_object_get(sm, "rx"), *tx = json_object_get(sm, "tx");

		printf("\nSIP requests by method:\n");
		print_rx_tx("METHOD", json_object_get(rx, "requests"),
			    json_object_get(tx, "requests"), false, false);
		printf("\nSIP responses by status:\n");
		print_rx_tx("CODE", json_object_get(rx, "responses"),
			    json_object_get(tx, "responses"), true, true);
		printf("\nSIP responses by class:\n");
		print_rx_tx("CLASS", json_object_get(rx, "classes"),
			    json_object_get(tx, "classes"), false, false);
	}
	if (json_is_object(sip)) {
		printf("\nSIP transport, transactions, dialogs, proxy:\n");
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
	table_header(&t, hdr);
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

/* ---- calls, registrations, log levels ---------------------------------------- */

/* Epoch seconds as "HH:MM:SS" (local time), "-" for 0 or absent. */
static char *
time_str(json_t *v)
{
	char buf[32];
	time_t t;
	struct tm tm;

	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return strdup("-");
	t = (time_t)json_integer_value(v);
	if (!localtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%H:%M:%S", &tm))
		return strdup("?");
	return strdup(buf);
}

/* A cell for column key: times as clock times, the rest as val_str(). */
static char *
cell_str(const char *key, json_t *v)
{
	if (strcmp(key, "created") == 0 || strcmp(key, "answered") == 0)
		return time_str(v);
	if (json_is_array(v)) {
		char *s = NULL;

		if (asprintf(&s, "%zu", json_array_size(v)) < 0)
			return NULL;
		return s;
	}
	return val_str(v);
}

static void
upper(char *s)
{
	for (; *s; s++)
		*s = (*s >= 'a' && *s <= 'z') ? (char)(*s - 'a' + 'A') : (*s == '_' ? ' ' : *s);
}

/*
 * Rows of objects as a table whatever fields the daemon sends: the columns
 * named in pref first (those present in some row), then every other key
 * of the rows in the order first seen.  Arrays show as their length.
 */
static void
print_table_pref(json_t *rows, const char *const *pref, const char *none, int indent)
{
	const char *cols[64];
	struct table t = { 0 };
	const char *key;
	json_t *row, *v;
	size_t i;
	int n = 0;

	if (!json_is_array(rows) || json_array_size(rows) == 0) {
		printf("%s\n", none);
		return;
	}
	for (const char *const *p = pref; *p && n < 64; p++)
		json_array_foreach(rows, i, row)
			if (json_object_get(row, *p)) {
				cols[n++] = *p;
				break;
			}
	json_array_foreach(rows, i, row) {
		json_object_foreach(row, key, v) {
			int k;

			for (k = 0; k < n && strcmp(cols[k], key) != 0; k++)
				;
			if (k == n && n < 64)
				cols[n++] = key;
		}
	}
	t.ncols = n;
	char **cells = calloc((size_t)n, sizeof(char *));
	if (!cells)
		die(1, "out of memory");
	for (int c = 0; c < n; c++) {
		cells[c] = strdup(cols[c]);
		if (cells[c])
			upper(cells[c]);
	}
	table_add(&t, cells);
	json_array_foreach(rows, i, row) {
		for (int c = 0; c < n; c++)
			cells[c] = cell_str(cols[c], json_object_get(row, cols[c]));
		table_add(&t, cells);
	}
	free(cells);
	table_print_indented(&t, indent);
}

/* The array a result carries: itself, or the one array of an object ({"calls": [...]}). */
static json_t *
rows_of(json_t *r, const char *key)
{
	if (json_is_array(r))
		return r;
	if (json_is_array(json_object_get(r, key)))
		return json_object_get(r, key);
	return NULL;
}

static void
print_calls(json_t *r)
{
	static const char *const pref[] = { "id", "state", "callid", "call_id", "caller", "from",
					    "callee", "to", "created", "answered", "streams",
					    NULL };

	print_table_pref(rows_of(r, "calls"), pref, "(no calls)", 0);
}

static void
print_regs(json_t *r)
{
	static const char *const pref[] = { "aor", "contact", "expires", "q", "received",
					    "transport", NULL };

	print_table_pref(rows_of(r, "regs"), pref, "(no registrations)", 0);
}

/* One side of a media stream as a table row (caller/callee). */
static void
stream_side_row(struct table *t, const char *name, json_t *s)
{
	static const char *const keys[] = { "relay", "remote", "direction", "latched", "path",
					    "packets", "bytes", "kernel_packets",
					    "userspace_packets" };
	char *cells[11];
	json_t *ls = json_object_get(s, "last_seen_ms_ago");

	cells[0] = strdup(name);
	for (int k = 0; k < 9; k++)
		cells[k + 1] = val_str(json_object_get(s, keys[k]));
	if (!json_is_integer(ls) || json_integer_value(ls) < 0)
		cells[10] = strdup("never");
	else if (asprintf(&cells[10], "%lld ms ago", (long long)json_integer_value(ls)) < 0)
		cells[10] = NULL;
	table_add(t, cells);
}

static bool
in_list(const char *key, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(*list, key) == 0)
			return true;
	return false;
}

/*
 * call.show: the call's fields, its branches, then one table per media
 * stream (caller and callee sides).  Fields this version does not know
 * are printed as they come.
 */
static void
print_call(json_t *r)
{
	static const char *const head[] = { "id", "state", "callid", "call_id", NULL };
	static const char *const fields[] = { "from_tag", "to_tag", "caller", "callee",
					      "from", "to", "created", "answered", NULL };
	static const char *const bpref[] = { "uri", "state", "code", "to_tag", NULL };
	json_t *media = json_object_get(r, "media"), *m, *v;
	const char *key;
	size_t i;

	char *id = val_str(json_object_get(r, "id"));

	printf("call %s  %s  Call-ID %s\n", id ? id : "?", str_of(r, "state"),
	       json_is_string(json_object_get(r, "callid")) ? str_of(r, "callid") :
	       str_of(r, "call_id"));
	free(id);
	for (const char *const *f = fields; *f; f++) {
		if (!json_object_get(r, *f))
			continue;
		char *s = cell_str(*f, json_object_get(r, *f));
		printf("  %-20s %s\n", *f, s ? s : "?");
		free(s);
	}
	json_object_foreach(r, key, v) {
		if (in_list(key, head) || in_list(key, fields) || strcmp(key, "branches") == 0 ||
		    strcmp(key, "media") == 0)
			continue;
		if (json_is_object(v)) {
			printf("  %s:\n", key);
			print_object(v, 4);
			continue;
		}
		char *s = cell_str(key, v);
		printf("  %-20s %s\n", key, s ? s : "?");
		free(s);
	}
	if (json_is_array(json_object_get(r, "branches"))) {
		printf("\nbranches:\n");
		print_table_pref(json_object_get(r, "branches"), bpref, "  (none)", 0);
	}
	if (!json_is_array(media))
		return;
	printf("\nmedia:\n");
	if (json_array_size(media) == 0)
		printf("  (none)\n");
	json_array_foreach(media, i, m) {
		static const char *const hdr[] = { "SIDE", "RELAY", "REMOTE", "DIRECTION",
						   "LATCHED", "PATH", "PACKETS", "BYTES",
						   "KERNEL", "USERSPACE", "LAST SEEN" };
		struct table t = { .ncols = 11 };
		char *sess = val_str(json_object_get(m, "session"));

		printf("  stream %lld  %s  session %s\n", int_of(m, "index", (long long)i),
		       str_of(m, "type"), sess ? sess : "?");
		free(sess);
		table_header(&t, hdr);
		stream_side_row(&t, "caller", json_object_get(m, "caller"));
		stream_side_row(&t, "callee", json_object_get(m, "callee"));
		table_print_indented(&t, 4);
	}
}

static void
print_call_kill(json_t *r)
{
	char *id = val_str(json_object_get(r, "id"));

	if (json_is_true(json_object_get(r, "cancelled"))) {
		/* Not answered yet: the proxy CANCELled its branches. */
		printf("call %s cancelled: CANCEL to every branch, 487 to the caller\n",
		       id ? id : "?");
		free(id);
		return;
	}
	printf("call %s ended", id ? id : "?");
	if (json_object_get(r, "bye_callee") || json_object_get(r, "bye_caller"))
		printf(": BYE to the callee %s, to the caller %s",
		       json_is_true(json_object_get(r, "bye_callee")) ? "sent" : "not sent",
		       json_is_true(json_object_get(r, "bye_caller")) ? "sent" : "not sent");
	printf("\n");
	free(id);
}

static void
print_reg_del(json_t *r)
{
	printf("%s: %lld binding(s) removed\n", str_of(r, "aor"), int_of(r, "removed", 0));
}

/* ban.list: the bans as a table, then the rate limiter's totals. */
static void
print_bans(json_t *r)
{
	json_t *bans = json_object_get(r, "bans"), *pk = json_object_get(r, "pike");

	if (json_array_size(bans) == 0)
		printf("no bans\n");
	else
		print_rows(bans);
	if (json_is_object(pk))
		printf("\nSIP rate limit: %lld requests/s, burst %lld, ban %lld s; %lld requests "
		       "over it, %lld sources banned, %lld requests from banned sources dropped\n",
		       int_of(pk, "rate", 0), int_of(pk, "burst", 0), int_of(pk, "ban_time", 0),
		       int_of(pk, "limited", 0), int_of(pk, "banned", 0),
		       int_of(pk, "banned_dropped", 0));
}

static void
print_ban_add(json_t *r)
{
	long long s = int_of(r, "seconds", 0);

	if (s)
		printf("banned %s for %lld s\n", str_of(r, "prefix"), s);
	else
		printf("banned %s until deleted\n", str_of(r, "prefix"));
}

static void
print_ban_del(json_t *r)
{
	printf("ban on %s lifted\n", str_of(r, "prefix"));
}

/* {"sip": "debug", ...} (or rows of {subsystem, level}) as SUBSYSTEM LEVEL. */
static void
print_log_levels(json_t *r)
{
	static const char *const pref[] = { "subsystem", "level", NULL };
	struct table t = { .ncols = 2 };
	char *cells[2];
	const char *key;
	json_t *v;

	if (json_is_array(r) || json_is_array(json_object_get(r, "levels"))) {
		print_table_pref(rows_of(r, "levels"), pref, "(none)", 0);
		return;
	}
	cells[0] = strdup("SUBSYSTEM");
	cells[1] = strdup("LEVEL");
	table_add(&t, cells);
	json_object_foreach(r, key, v) {
		cells[0] = strdup(key);
		cells[1] = val_str(v);
		table_add(&t, cells);
	}
	table_print(&t);
}

static void
print_log_level(json_t *r)
{
	if (json_is_string(json_object_get(r, "level")))
		printf("%s: %s (was %s)\n", str_of(r, "subsystem"), str_of(r, "level"),
		       str_of(r, "previous"));
	else
		print_log_levels(r);
}

/* ---- the exchange ----------------------------------------------------------- */

static const char *sock_path = XR_CTL_PATH;
static bool json_out;

static int
ctl_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	int fd;

	if (strlen(sock_path) >= sizeof(sun.sun_path))
		die(2, "%s: socket path too long", sock_path);
	memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(1, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die(1, "cannot connect to %s: %s", sock_path, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/*
 * Send one request line on fd and read its reply line: the parsed reply,
 * an object.  Dies (exit 1) when the daemon cannot be talked to.  fd stays
 * open for the next request (top).
 */
static json_t *
exchange(int fd, const char *cmd, json_t *args)
{
	json_t *req = json_pack("{s:i, s:s}", "v", XR_CTL_PROTO_VERSION, "cmd", cmd), *resp;
	json_error_t jerr;
	char *line, *buf = NULL;
	size_t len = 0, cap = 0, n, off = 0;
	int send_err = 0;

	if (!req)
		die(1, "out of memory");
	if (args)
		json_object_set_new(req, "args", args);
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!line)
		die(1, "out of memory");
	n = strlen(line);
	line[n] = '\n';		/* over json_dumps' NUL: the request line */
	while (off < n + 1) {
		ssize_t w = send(fd, line + off, n + 1 - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			/* A daemon that refuses us answers, then closes: read that answer. */
			send_err = errno;
			break;
		}
		off += (size_t)w;
	}
	free(line);
	for (;;) {
		if (len + 65536 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			nb = cap > REPLY_MAX ? NULL : realloc(buf, cap);
			if (!nb) {
				free(buf);
				if (cap > REPLY_MAX)
					die(1, "reply larger than %d bytes", REPLY_MAX);
				die(1, "out of memory");
			}
			buf = nb;
		}
		ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			if (send_err && !len)
				die(1, "%s: send: %s", sock_path, strerror(send_err));
			die(1, "%s: %s", sock_path, errno == EAGAIN ?
			    "no reply from xrelayd (timeout)" : strerror(errno));
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (memchr(buf + len - (size_t)r, '\n', (size_t)r))
			break;
	}
	if (len == 0) {
		free(buf);
		if (send_err)
			die(1, "%s: send: %s", sock_path, strerror(send_err));
		die(1, "%s: xrelayd closed the connection without a reply", sock_path);
	}
	resp = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK, &jerr);
	free(buf);
	if (!resp || !json_is_object(resp))
		die(1, "bad reply from xrelayd: %s", resp ? "not an object" : jerr.text);
	return resp;
}

/* The result of a successful reply (a new reference); dies with the daemon's reason. */
static json_t *
result_or_die(json_t *resp, const char *cmd, bool sip)
{
	json_t *e = json_object_get(resp, "error"), *c = json_object_get(resp, "code"), *r;
	char msg[512], code[32];

	if (json_is_true(json_object_get(resp, "ok"))) {
		r = json_incref(json_object_get(resp, "result"));
		json_decref(resp);
		return r ? r : json_null();
	}
	/* Copied out so the reply is released before exiting (LeakSanitizer). */
	snprintf(msg, sizeof(msg), "%s", json_is_string(e) ? json_string_value(e)
							    : "request failed");
	snprintf(code, sizeof(code), "%s", json_is_string(c) ? json_string_value(c) : "");
	json_decref(resp);
	/* The SIP side registers its commands only when it runs. */
	if (strcmp(code, "ENOSYS") == 0 || (!code[0] && strncmp(msg, "unknown command", 15) == 0))
		die(1, "%s: not served by this xrelayd%s", cmd,
		    sip ? " (SIP commands need xrelayd --sip)" : "");
	die(1, "%s", msg);
}

/* ---- the command table ------------------------------------------------------- */

struct cmd;
typedef json_t *(*args_fn)(char **argv, int argc);
typedef void (*print_fn)(json_t *result);
typedef int (*run_fn)(const struct cmd *c, char **argv, int argc);

/*
 * One subcommand: the words typed, its operands, and either the request it
 * sends (req, args, print) or its own run function (help, top, log level).
 */
struct cmd {
	const char	*words[2];	/* "media", "create"; words[1] NULL for one word */
	const char	*synopsis;	/* operands, for help */
	int		 min_args, max_args;
	const char	*req;		/* request "cmd" */
	args_fn		 args;		/* request "args" from the operands, or NULL */
	print_fn	 print;		/* human output */
	run_fn		 run;		/* instead of req/args/print */
	bool		 sip;		/* served by the SIP side, only with --sip */
	const char	*help;		/* one line */
	const char	*longhelp;	/* what it shows, field by field */
};

/* An id: a JSON integer when it is all digits, else a string. */
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
args_id(char **argv, int argc)
{
	return json_pack("{s:o}", "id", id_json(argv[0]));
}

static json_t *
args_media_create(char **argv, int argc)
{
	return json_pack("{s:s, s:s}", "a", argv[0], "b", argv[1]);
}

static json_t *
args_aor(char **argv, int argc)
{
	return json_pack("{s:s}", "aor", argv[0]);
}

static json_t *
args_ban_add(char **argv, int argc)
{
	if (argc < 2)
		return json_pack("{s:s}", "prefix", argv[0]);
	return json_pack("{s:s, s:o}", "prefix", argv[0], "seconds", id_json(argv[1]));
}

static json_t *
args_ban_del(char **argv, int argc)
{
	return json_pack("{s:s}", "prefix", argv[0]);
}

static int run_help(const struct cmd *c, char **argv, int argc);
static int run_top(const struct cmd *c, char **argv, int argc);
static int run_log_level(const struct cmd *c, char **argv, int argc);

static const struct cmd commands[] = {
	{ { "help" }, "[COMMAND]", 0, 2, NULL, NULL, NULL, run_help, false,
	  "the commands, or one command in detail",
	  "Without a command, lists every command with its synopsis.  With one\n"
	  "(`help call show`), prints its synopsis and what it shows.  `COMMAND\n"
	  "--help` does the same." },
	{ { "status" }, "", 0, 0, "status", NULL, print_status, NULL, false,
	  "version, uptime, XDP per interface, calls, flows, registrations",
	  "The daemon: version and ABI, pid, uptime; the fast path (XDP attached or\n"
	  "not, the pin directory, the program id as bpftool shows it) and the mode\n"
	  "of each --xdp interface (native, generic, or userspace when XDP could not\n"
	  "attach); the media addresses and port range; the SIP listeners; counts of\n"
	  "calls, media flows (latched ones apart), registered contacts and AORs;\n"
	  "media packets relayed since start by the kernel and by the daemon.\n"
	  "JSON: version, abi, pid, uptime, kernel_path, pin_dir, prog_id, xdp[],\n"
	  "replication (with --redis: redis, node, state, lag_ms, queued, queue_max,\n"
	  "in_flight, writes, write_errors, dropped, resyncs, connects, restored),\n"
	  "media[], ports{lo,hi}, sessions, sip[], counts{calls, flows,\n"
	  "flows_latched, registrations, aors, sessions}, packets{kernel, userspace}\n"
	  "(null where the part is off)." },
	{ { "calls" }, "", 0, 0, "calls", NULL, print_calls, NULL, true,
	  "calls in progress",
	  "One row per call: id (for `call show` and `call kill`), state, Call-ID,\n"
	  "caller and callee, when it was created and answered, how many media\n"
	  "streams it has.  Fields the daemon adds are shown as extra columns." },
	{ { "call", "show" }, "ID", 1, 1, "call.show", args_id, print_call, NULL, true,
	  "one call in detail: branches and media",
	  "The call's dialog (Call-ID, tags, caller, callee, times), every branch\n"
	  "it was forked to (URI, state, final code, To tag), and for each media\n"
	  "stream both sides: relay address, remote party, direction, whether the\n"
	  "relay port latched, the path (kernel or userspace), packets and bytes in\n"
	  "total and by path, and when the last packet was seen." },
	{ { "call", "kill" }, "ID", 1, 1, "call.kill", args_id, print_call_kill, NULL, true,
	  "end a call: BYE to both parties (ringing: CANCEL, 487)",
	  "An answered call: sends a BYE to each party as the other one would and\n"
	  "removes the call and its media.  A call still ringing: CANCELs every\n"
	  "branch and answers the caller 487, as if it had CANCELled." },
	{ { "flows" }, "", 0, 0, "flows", NULL, print_flows, NULL, false,
	  "media flows: latching, kernel and userspace counters",
	  "Four rows per media session (side A and B, RTP and RTCP): the relay's\n"
	  "address and port, the latched source (or the negotiated remote) and the\n"
	  "destination, whether it latched, packets/bytes forwarded by the kernel\n"
	  "(XDP) and by the daemon, and when the last packet was seen." },
	{ { "regs" }, "", 0, 0, "regs", NULL, print_regs, NULL, true,
	  "registered contacts",
	  "One row per binding: address of record, contact URI, seconds until it\n"
	  "expires, q, where the REGISTER came from and over which transport." },
	{ { "reg", "del" }, "AOR", 1, 1, "reg.del", args_aor, print_reg_del, NULL, true,
	  "remove an address of record and its bindings",
	  "Removes every binding of AOR (user@domain, or a sip: URI) from the\n"
	  "location service at once, as if each had expired.  Calls to it fail\n"
	  "(404) until it registers again." },
	{ { "stats" }, "", 0, 0, "stats", NULL, print_stats, NULL, false,
	  "XDP pass/drop reasons, media, SIP messages, proxy counters",
	  "Every outcome the XDP program counts (forwarded, or passed and why), the\n"
	  "userspace relay's totals and port pools, SIP requests by method and\n"
	  "responses by status code (received and sent), transport counters (parse\n"
	  "errors among them), transactions, dialogs, registrations, and the\n"
	  "proxy's counters (forwarded, CANCELs, loops, ...)." },
	{ { "proxy", "stats" }, "", 0, 0, "proxy.stats", NULL, print_generic, NULL, true,
	  "proxy and registrar counters",
	  "The SIP part of `stats` alone." },
	{ { "metrics" }, "", 0, 0, "metrics", NULL, print_raw, NULL, false,
	  "the same counters in Prometheus text format",
	  "The exposition xrelayd serves on --metrics: every metric with HELP and\n"
	  "TYPE lines, counters ending in _total, labels for method, code and\n"
	  "direction.  Printed raw; --json gives it as one JSON string." },
	{ { "log", "level" }, "[SUBSYSTEM LEVEL]", 0, 2, NULL, NULL, NULL, run_log_level, false,
	  "show every subsystem's log level, or set one",
	  "Without operands, lists the level of every subsystem.  With them, sets\n"
	  "SUBSYSTEM (main, sip, tx, proxy, media, fastpath, ctl) to LEVEL (error,\n"
	  "warn, info, debug) at once and prints the previous level." },
	{ { "top" }, "[-n COUNT]", 0, 2, NULL, NULL, NULL, run_top, false,
	  "live packet and bit rates per flow, kernel vs userspace",
	  "Refreshes once a second: packets per second and bit rate of every media\n"
	  "flow and in total, kernel (XDP) and userspace apart, busiest first.\n"
	  "Runs until interrupted, or for COUNT refreshes with -n.  With --json\n"
	  "(which needs -n) prints one JSON array of COUNT samples at the end." },
	{ { "media", "create" }, "ADDR:PORT ADDR:PORT", 2, 2, "media.create", args_media_create,
	  print_session, NULL, false, "relay media between two endpoints",
	  "Creates a media session without SIP: prints its id and, for each side,\n"
	  "the relay address and port that side must send RTP to (RTCP on +1)." },
	{ { "media", "delete" }, "ID", 1, 1, "media.delete", args_id, print_deleted, NULL, false,
	  "delete a media session",
	  "Removes the session, its kernel flows and its ports." },
	{ { "media", "list" }, "", 0, 0, "media.list", NULL, print_media_list, NULL, false,
	  "media sessions",
	  "Every media session with the relay address and party of each side." },
	{ { "ban", "list" }, "", 0, 0, "ban.list", NULL, print_bans, NULL, false,
	  "banned sources and the SIP rate limit's totals",
	  "Every banned prefix: why (manual, or pike: over --pike-rate SIP requests\n"
	  "a second), seconds until it expires (null: never), requests the daemon\n"
	  "dropped from it (XDP drops the rest at the driver: drop_banned in\n"
	  "`stats`).  Then the rate limit and its totals." },
	{ { "ban", "add" }, "ADDR[/LEN] [SECONDS]", 1, 2, "ban.add", args_ban_add, print_ban_add,
	  NULL, false, "ban a source prefix (default --ban-time; 0: until deleted)",
	  "Drops every packet from the prefix (IPv4 or IPv6) in XDP on each --xdp\n"
	  "interface, and its SIP requests in the daemon, for SECONDS (default\n"
	  "--ban-time, 0 until `ban del`).  Loopback and trusted peers are refused." },
	{ { "ban", "del" }, "ADDR[/LEN]", 1, 1, "ban.del", args_ban_del, print_ban_del, NULL,
	  false, "lift a ban",
	  "Removes exactly that prefix from the blocklist, at once." },
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void
cmd_name(const struct cmd *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", c->words[0], c->words[1] ? " " : "",
		 c->words[1] ? c->words[1] : "");
}

static void
usage(FILE *out)
{
	fprintf(out, "usage: %s [-s PATH] [--json] COMMAND [ARGS] [--help]\n\n"
		"  -s, --socket PATH   control socket (default " XR_CTL_PATH ")\n"
		"  -j, --json          print the daemon's answer as one JSON document\n"
		"  -h, --help          this help; COMMAND --help: that command's\n\n"
		"commands:\n", prog);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char name[32], lhs[64];

		cmd_name(&commands[i], name, sizeof(name));
		snprintf(lhs, sizeof(lhs), "%s %s", name, commands[i].synopsis);
		fprintf(out, "  %-34s %s\n", lhs, commands[i].help);
	}
}

static void
cmd_usage(FILE *out, const struct cmd *c)
{
	char name[32];

	cmd_name(c, name, sizeof(name));
	fprintf(out, "usage: %s [-s PATH] [--json] %s%s%s\n\n%s.\n\n%s\n", prog, name,
		*c->synopsis ? " " : "", c->synopsis, c->help, c->longhelp);
}

/* The command named by argv[0] (and argv[1]); *nwords gets how many words it took. */
static const struct cmd *
find_cmd(char **argv, int argc, int *nwords)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct cmd *k = &commands[i];
		int w = k->words[1] ? 2 : 1;

		if (argc < w || strcmp(argv[0], k->words[0]) != 0)
			continue;
		if (w == 2 && strcmp(argv[1], k->words[1]) != 0)
			continue;
		*nwords = w;
		return k;
	}
	return NULL;
}

static int
run_help(const struct cmd *self, char **argv, int argc)
{
	const struct cmd *c;
	int nw;

	if (argc == 0) {
		usage(stdout);
		return 0;
	}
	c = find_cmd(argv, argc, &nw);
	if (!c || nw != argc)
		die(2, "help: no command '%s%s%s' (see --help)", argv[0], argc > 1 ? " " : "",
		    argc > 1 ? argv[1] : "");
	cmd_usage(stdout, c);
	return 0;
}

/* The common path: one request, one reply, printed. */
static int
run_request(const struct cmd *c, const char *req, json_t *args)
{
	int fd = ctl_connect();
	json_t *result = result_or_die(exchange(fd, req, args), req, c->sip);

	close(fd);
	if (json_out) {
		json_dumpf(result, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
		fputc('\n', stdout);
	} else {
		c->print(result);
	}
	json_decref(result);
	return 0;
}

static int
run_log_level(const struct cmd *c, char **argv, int argc)
{
	struct cmd pc = *c;

	if (argc == 1)
		die(2, "usage: %s log level [SUBSYSTEM LEVEL]", prog);
	if (argc == 0) {
		pc.print = print_log_levels;
		return run_request(&pc, "log.levels", NULL);
	}
	pc.print = print_log_level;
	return run_request(&pc, "log.level", json_pack("{s:s, s:s}", "subsystem", argv[0],
						       "level", argv[1]));
}

/* ---- top ---------------------------------------------------------------------- */

/* Packets and bytes a flow row counts by one path ("kernel", "userspace"). */
static void
path_counts(json_t *row, const char *path, long long *pkts, long long *bytes)
{
	json_t *o = json_object_get(row, path);

	*pkts = int_of(o, "packets", 0);
	*bytes = int_of(o, "bytes", 0);
}

/* The row of prev with the same session, side and leg as row, or NULL. */
static json_t *
same_flow(json_t *prev, json_t *row)
{
	json_t *p;
	size_t i;

	json_array_foreach(prev, i, p)
		if (int_of(p, "session", -1) == int_of(row, "session", -2) &&
		    strcmp(str_of(p, "side"), str_of(row, "side")) == 0 &&
		    strcmp(str_of(p, "leg"), str_of(row, "leg")) == 0)
			return p;
	return NULL;
}

/* Rate of a counter over dt: a counter that went back (a new flow) counts from 0. */
static double
rate(long long now, long long before, double dt)
{
	return (double)(now >= before ? now - before : now) / dt;
}

/* "1.23 Mbit/s" */
static void
fmt_bits(char *buf, size_t len, double bps)
{
	static const char *const unit[] = { "bit/s", "kbit/s", "Mbit/s", "Gbit/s" };
	int u = 0;

	while (bps >= 1000.0 && u < 3) {
		bps /= 1000.0;
		u++;
	}
	snprintf(buf, len, u ? "%.2f %s" : "%.0f %s", bps, unit[u]);
}

static double
now_s(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_total_pps(const void *a, const void *b)
{
	double x = json_real_value(json_object_get(*(json_t *const *)a, "total_pps"));
	double y = json_real_value(json_object_get(*(json_t *const *)b, "total_pps"));

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * One sample from two snapshots of `flows` dt seconds apart:
 * {"time", "interval", "total": {kernel_pps, kernel_bps, userspace_pps,
 * userspace_bps}, "flows": [{session, side, leg, local, kernel_pps, ...}]},
 * flows busiest first.
 */
static json_t *
top_sample(json_t *prev, json_t *cur, double dt)
{
	double tk = 0, tkb = 0, tu = 0, tub = 0;
	json_t *rows = json_array(), *row, *out;
	json_t **sorted;
	size_t i, n;

	json_array_foreach(cur, i, row) {
		json_t *p = same_flow(prev, row);
		long long kp, kb, up, ub, kp0 = 0, kb0 = 0, up0 = 0, ub0 = 0;

		path_counts(row, "kernel", &kp, &kb);
		path_counts(row, "userspace", &up, &ub);
		if (p) {
			path_counts(p, "kernel", &kp0, &kb0);
			path_counts(p, "userspace", &up0, &ub0);
		}
		double k = rate(kp, kp0, dt), kbit = rate(kb, kb0, dt) * 8;
		double u = rate(up, up0, dt), ubit = rate(ub, ub0, dt) * 8;

		tk += k;
		tkb += kbit;
		tu += u;
		tub += ubit;
		json_array_append_new(rows, json_pack("{s:O, s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:f}",
			"session", json_object_get(row, "session") ?
				   json_object_get(row, "session") : json_null(),
			"side", str_of(row, "side"), "leg", str_of(row, "leg"),
			"local", str_of(row, "local"),
			"kernel_pps", k, "kernel_bps", kbit, "userspace_pps", u, "userspace_bps", ubit,
			"total_pps", k + u));
	}
	n = json_array_size(rows);
	sorted = calloc(n ? n : 1, sizeof(*sorted));
	if (!sorted)
		die(1, "out of memory");
	json_array_foreach(rows, i, row)
		sorted[i] = json_incref(row);
	qsort(sorted, n, sizeof(*sorted), cmp_total_pps);
	json_array_clear(rows);
	for (i = 0; i < n; i++) {
		json_object_del(sorted[i], "total_pps");
		json_array_append_new(rows, sorted[i]);
	}
	free(sorted);
	out = json_pack("{s:f, s:f, s:{s:f, s:f, s:f, s:f}, s:o}", "time", now_s(CLOCK_REALTIME),
			"interval", dt, "total", "kernel_pps", tk, "kernel_bps", tkb,
			"userspace_pps", tu, "userspace_bps", tub, "flows", rows);
	if (!out)
		die(1, "out of memory");
	return out;
}

static void
top_print(json_t *s, bool tty)
{
	static const char *const hdr[] = { "SESSION", "SIDE", "LEG", "LOCAL", "KERNEL PPS",
					   "KERNEL BIT/S", "USER PPS", "USER BIT/S" };
	json_t *t = json_object_get(s, "total"), *row;
	struct table tb = { .ncols = 8 };
	char *cells[8], b1[32], b2[32], clock[16];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	if (tty)
		fputs("\033[H\033[2J", stdout);
	localtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	fmt_bits(b1, sizeof(b1), json_real_value(json_object_get(t, "kernel_bps")));
	fmt_bits(b2, sizeof(b2), json_real_value(json_object_get(t, "userspace_bps")));
	printf("xrelay top - %s, %zu flow(s), every %.1f s\n", clock,
	       json_array_size(json_object_get(s, "flows")),
	       json_real_value(json_object_get(s, "interval")));
	printf("total: kernel %.0f pps %s, userspace %.0f pps %s\n\n",
	       json_real_value(json_object_get(t, "kernel_pps")), b1,
	       json_real_value(json_object_get(t, "userspace_pps")), b2);
	if (json_array_size(json_object_get(s, "flows")) == 0) {
		printf("(no flows)\n");
		fflush(stdout);
		return;
	}
	table_header(&tb, hdr);
	json_array_foreach(json_object_get(s, "flows"), i, row) {
		cells[0] = val_str(json_object_get(row, "session"));
		cells[1] = strdup(str_of(row, "side"));
		cells[2] = strdup(str_of(row, "leg"));
		cells[3] = strdup(str_of(row, "local"));
		if (asprintf(&cells[4], "%.0f", json_real_value(json_object_get(row,
							"kernel_pps"))) < 0)
			cells[4] = NULL;
		fmt_bits(b1, sizeof(b1), json_real_value(json_object_get(row, "kernel_bps")));
		cells[5] = strdup(b1);
		if (asprintf(&cells[6], "%.0f", json_real_value(json_object_get(row,
							"userspace_pps"))) < 0)
			cells[6] = NULL;
		fmt_bits(b2, sizeof(b2), json_real_value(json_object_get(row, "userspace_bps")));
		cells[7] = strdup(b2);
		table_add(&tb, cells);
	}
	table_print(&tb);
	if (!tty)
		printf("\n");
	fflush(stdout);
}

/* `flows` over fd, as an array. */
static json_t *
top_fetch(int fd)
{
	json_t *r = result_or_die(exchange(fd, "flows", NULL), "flows", false);

	if (!json_is_array(r))
		die(1, "flows: the daemon's answer is not an array");
	return r;
}

static int
run_top(const struct cmd *c, char **argv, int argc)
{
	json_t *prev, *cur, *samples = json_array();
	bool tty = isatty(STDOUT_FILENO);
	long count = 0;
	double t0, t1;
	int fd;

	if (argc == 2 && strcmp(argv[0], "-n") == 0) {
		char *end;

		count = strtol(argv[1], &end, 10);
		if (!*argv[1] || *end || count < 1 || count > 1000000)
			die(2, "top -n %s: COUNT must be a number from 1", argv[1]);
	} else if (argc) {
		die(2, "usage: %s top [-n COUNT]", prog);
	}
	if (json_out && !count)
		die(2, "top --json needs -n COUNT (one JSON document at the end)");
	fd = ctl_connect();
	prev = top_fetch(fd);
	t0 = now_s(CLOCK_MONOTONIC);
	for (long i = 0; !count || i < count; i++) {
		double wait = t0 + 1.0 - now_s(CLOCK_MONOTONIC);

		if (wait > 0) {
			struct timespec ts = { (time_t)wait,
					       (long)((wait - (double)(time_t)wait) * 1e9) };

			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
		cur = top_fetch(fd);
		t1 = now_s(CLOCK_MONOTONIC);
		json_t *s = top_sample(prev, cur, t1 - t0 > 0.001 ? t1 - t0 : 0.001);

		if (json_out)
			json_array_append_new(samples, s);
		else {
			top_print(s, tty);
			json_decref(s);
		}
		json_decref(prev);
		prev = cur;
		t0 = t1;
	}
	json_decref(prev);
	close(fd);
	if (json_out) {
		json_dumpf(samples, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	}
	json_decref(samples);
	return 0;
}

/* ---- main ------------------------------------------------------------------------ */

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *c;
	char *ops[8];
	int opt, nwords = 0, nops = 0;
	bool dashdash = false;

	/* "+": options only before the command; the command's own come after it. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:s:jh", lopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sock_path = optarg;
			break;
		case 'j':
			json_out = true;
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
	c = find_cmd(argv, argc, &nwords);
	if (!c)
		die(2, "unknown command '%s%s%s' (see --help)", argv[0], argc > 1 ? " " : "",
		    argc > 1 ? argv[1] : "");
	/* After the command: --help, --json, "--", and its operands. */
	for (int i = nwords; i < argc; i++) {
		const char *a = argv[i];

		if (!dashdash && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
			cmd_usage(stdout, c);
			return 0;
		}
		if (!dashdash && (strcmp(a, "--json") == 0 || strcmp(a, "-j") == 0)) {
			json_out = true;
			continue;
		}
		if (!dashdash && strcmp(a, "--") == 0) {
			dashdash = true;
			continue;
		}
		if (nops == (int)(sizeof(ops) / sizeof(ops[0])))
			die(2, "too many operands (see %s %s --help)", prog, argv[0]);
		ops[nops++] = argv[i];
	}
	if (nops < c->min_args || nops > c->max_args) {
		char name[32];

		cmd_name(c, name, sizeof(name));
		die(2, "usage: %s %s%s%s", prog, name, *c->synopsis ? " " : "", c->synopsis);
	}
	if (c->run)
		c->run(c, ops, nops);
	else
		run_request(c, c->req, c->args ? c->args(ops, nops) : NULL);
	if (fflush(stdout) != 0)
		die(1, "stdout: %s", strerror(errno));
	return 0;
}
