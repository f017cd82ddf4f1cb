// SPDX-License-Identifier: GPL-2.0
/*
 * sessbench.c - the session set-up benchmark's client: media sessions made
 * (and with -d deleted again) over xrelayd's control socket as fast as it
 * answers, `media.create` / `media.delete` JSON lines pipelined WINDOW in
 * flight, many per write; prints one JSON line of counts, seconds, rates
 * and its own CPU time, and writes side A's relay ADDR:PORT of each session
 * to -o FILE (rtpflood's --dst-file).  A C client so that the measuring end
 * is not what limits the rate (bench/sessions.py, Python, was).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "xrelay/ctl.h"

#define TIMEOUT_MS	60000	/* no reply this long: give up */

struct conn {
	int	 fd;
	char	*in;
	size_t	 inlen, incap;
	char	*out;
	size_t	 outlen, outoff, outcap;
};

/* One phase: n requests of one command, answered in order (replies carry the request's id). */
struct phase {
	const char	*cmd;
	long		 n, sent, done, ok;
	char		 err[512];
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void
reserve(char **buf, size_t len, size_t *cap, size_t n)
{
	if (len + n <= *cap)
		return;
	while (*cap < len + n)
		*cap = *cap ? *cap * 2 : 65536;
	*buf = realloc(*buf, *cap);
	if (!*buf) {
		perror("sessbench: realloc");
		exit(2);
	}
}

static int
conn_open(struct conn *c, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return -errno;
	return 0;
}

/*
 * Send what is queued and read what has come, waiting up to TIMEOUT_MS for
 * either.  0, or -errno (-EPIPE: the daemon closed the connection).
 */
static int
conn_io(struct conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	ssize_t n;

	if (c->outoff < c->outlen)
		p.events |= POLLOUT;
	n = poll(&p, 1, TIMEOUT_MS);
	if (n == 0)
		return -ETIMEDOUT;
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (p.revents & POLLOUT) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (n > 0)
			c->outoff += (size_t)n;
		if (c->outoff == c->outlen)
			c->outoff = c->outlen = 0;
	}
	if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
		reserve(&c->in, c->inlen, &c->incap, 65536);
		n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
		if (n == 0)
			return -EPIPE;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (n > 0)
			c->inlen += (size_t)n;
	}
	return 0;
}

struct run {
	struct conn	 c;
	const char	*a, *b;
	uint64_t	*ids;		/* session id of each create, for the deletes */
	char		**relay;	/* side A's relay ADDR:PORT of each create */
	long		 window;
};

static void
queue_request(struct run *r, struct phase *ph, long i)
{
	char line[512];
	int n;

	if (strcmp(ph->cmd, "media.create") == 0)
		n = snprintf(line, sizeof(line), "{\"v\":%d,\"id\":%ld,\"cmd\":\"media.create\","
			     "\"args\":{\"a\":\"%s\",\"b\":\"%s\"}}\n", XR_CTL_PROTO_VERSION, i,
			     r->a, r->b);
	else
		n = snprintf(line, sizeof(line), "{\"v\":%d,\"id\":%ld,\"cmd\":\"media.delete\","
			     "\"args\":{\"id\":%llu}}\n", XR_CTL_PROTO_VERSION, i,
			     (unsigned long long)r->ids[i]);
	reserve(&r->c.out, r->c.outlen, &r->c.outcap, (size_t)n);
	memcpy(r->c.out + r->c.outlen, line, (size_t)n);
	r->c.outlen += (size_t)n;
}

/* Check one reply line; false (ph->err set) on a refusal or a bad reply. */
static bool
take_reply(struct run *r, struct phase *ph, const char *line, size_t len)
{
	json_error_t je;
	json_t *j = json_loadb(line, len, 0, &je), *res;
	json_int_t i = -1;
	bool ok = false;

	if (!j) {
		snprintf(ph->err, sizeof(ph->err), "%s: bad reply: %s", ph->cmd, je.text);
		return false;
	}
	if (json_is_integer(json_object_get(j, "id")))
		i = json_integer_value(json_object_get(j, "id"));
	if (i != ph->done) {
		snprintf(ph->err, sizeof(ph->err), "%s: reply %ld has id %lld", ph->cmd,
			 ph->done, (long long)i);
		goto out;
	}
	if (!json_is_true(json_object_get(j, "ok"))) {
		snprintf(ph->err, sizeof(ph->err), "%s %lld: %s (%s)", ph->cmd, (long long)i,
			 json_string_value(json_object_get(j, "error")) ?: "?",
			 json_string_value(json_object_get(j, "code")) ?: "?");
		goto out;
	}
	res = json_object_get(j, "result");
	if (r->ids && strcmp(ph->cmd, "media.create") == 0) {
		const char *relay = json_string_value(json_object_get(json_object_get(res, "a"),
								      "relay"));
		json_t *id = json_object_get(res, "id");

		if (!relay || !json_is_integer(id)) {
			snprintf(ph->err, sizeof(ph->err), "media.create %lld: no id or relay",
				 (long long)i);
			goto out;
		}
		r->ids[i] = (uint64_t)json_integer_value(id);
		r->relay[i] = strdup(relay);
	}
	ph->ok++;
	ok = true;
out:
	json_decref(j);
	return ok;
}

/* Run one phase to its end or its first refusal; its seconds. */
static double
run_phase(struct run *r, struct phase *ph)
{
	double t0 = now_s();
	int rc;

	while (ph->done < ph->n) {
		size_t start = 0;
		char *nl;

		while (ph->sent < ph->n && ph->sent - ph->done < r->window)
			queue_request(r, ph, ph->sent++);
		rc = conn_io(&r->c);
		if (rc < 0) {
			snprintf(ph->err, sizeof(ph->err), "%s: control socket: %s", ph->cmd,
				 rc == -EPIPE ? "xrelayd closed it" : strerror(-rc));
			break;
		}
		while ((nl = memchr(r->c.in + start, '\n', r->c.inlen - start))) {
			size_t len = (size_t)(nl - (r->c.in + start));

			if (!take_reply(r, ph, r->c.in + start, len))
				return now_s() - t0;
			ph->done++;
			start += len + 1;
		}
		memmove(r->c.in, r->c.in + start, r->c.inlen - start);
		r->c.inlen -= start;
	}
	return now_s() - t0;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: sessbench [-s SOCK] [-w WINDOW] [-o FILE] [-d] N A-ADDR:PORT B-ADDR:PORT\n"
		"  N media.create requests pipelined WINDOW (256) in flight over the control\n"
		"  socket SOCK (%s); -d then media.delete of each; -o FILE: side A's relay\n"
		"  ADDR:PORT of each session, one a line.  Prints one JSON line; exit 0 when\n"
		"  every request succeeded.\n", XR_CTL_PATH);
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *sock = XR_CTL_PATH, *outf = NULL;
	struct phase cr = { .cmd = "media.create" }, del = { .cmd = "media.delete" };
	struct run r = { .window = 256 };
	double cs = 0, ds = 0, cpu0, cpu1 = 0;
	bool do_del = false;
	int opt, rc;

	while ((opt = getopt(argc, argv, "s:w:o:dh")) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'w': r.window = atol(optarg); break;
		case 'o': outf = optarg; break;
		case 'd': do_del = true; break;
		default: usage();
		}
	}
	if (argc - optind != 3 || r.window < 1)
		usage();
	cr.n = atol(argv[optind]);
	r.a = argv[optind + 1];
	r.b = argv[optind + 2];
	if (cr.n < 1 || strlen(r.a) > 64 || strlen(r.b) > 64)
		usage();
	r.ids = calloc((size_t)cr.n, sizeof(*r.ids));
	r.relay = calloc((size_t)cr.n, sizeof(*r.relay));
	if (!r.ids || !r.relay) {
		perror("sessbench");
		return 2;
	}
	rc = conn_open(&r.c, sock);
	if (rc < 0) {
		fprintf(stderr, "sessbench: %s: %s\n", sock, strerror(-rc));
		return 2;
	}
	cpu0 = cpu_s();
	cs = run_phase(&r, &cr);
	cpu1 = cpu_s() - cpu0;
	if (do_del && !cr.err[0]) {
		del.n = cr.ok;
		cpu0 = cpu_s();
		ds = run_phase(&r, &del);
		cpu1 += cpu_s() - cpu0;
	}
	if (outf) {
		FILE *f = fopen(outf, "w");

		for (long i = 0; f && i < cr.ok; i++)
			fprintf(f, "%s\n", r.relay[i]);
		if (!f || fclose(f) != 0) {
			fprintf(stderr, "sessbench: %s: %s\n", outf, strerror(errno));
			return 2;
		}
	}
	{
		json_t *o = json_pack("{s:I, s:I, s:f, s:f, s:f, s:s?}",
				      "created", (json_int_t)cr.ok, "wanted", (json_int_t)cr.n,
				      "seconds", cs, "per_s", cs > 0 ? (double)cr.ok / cs : 0.0,
				      "client_cpu_s", cpu1,
				      "error", cr.err[0] ? cr.err : del.err[0] ? del.err : NULL);

		if (do_del) {
			json_object_set_new(o, "deleted", json_integer(del.ok));
			json_object_set_new(o, "delete_seconds", json_real(ds));
			json_object_set_new(o, "delete_per_s",
					    json_real(ds > 0 ? (double)del.ok / ds : 0.0));
		}
		json_dumpf(o, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
		putchar('\n');
		json_decref(o);
	}
	return cr.ok == cr.n && (!do_del || del.ok == del.n) ? 0 : 1;
}
