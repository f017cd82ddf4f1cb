// SPDX-License-Identifier: GPL-2.0
/*
 * server.c - the control socket (ctl.h): a unix stream socket on the main
 * libev loop speaking JSON lines, and the command table behind it.
 * Owns the listening socket, the clients and their buffers; the commands
 * themselves live in their modules (core ones in ctl/commands.c).
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "ctl/ctl.h"

#define CTL_MAX_CMDS	64
#define CTL_MAX_CLIENTS	32
#define CTL_MAX_LINE	(64 * 1024)	/* a request line longer than this closes the client */
#define CTL_MAX_OUT	(64 * 1024 * 1024) /* unread replies beyond this close the client */

struct ctl_cmd {
	char	*name;
	ctl_fn	 fn;
	char	*help;
};

struct ctl_client {
	ev_io		 rio, wio;
	int		 fd;
	char		*in;		/* bytes of the request line(s) not yet complete */
	size_t		 inlen;
	char		*out;		/* replies not yet written */
	size_t		 outlen, outoff;
	bool		 closing;	/* close once out is written */
	struct ctl_client *next;
};

static struct ctl_cmd cmds[CTL_MAX_CMDS];
static int ncmds;
static struct ev_loop *ctl_loop;
static ev_io listen_w;
static int listen_fd = -1;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static struct ctl_client *clients;
static int nclients;

/* Logging under the "ctl" subsystem; ctl_warn appends strerror(errno). */
#define ctl_warnx(...)	logs(LS_CTL, LL_WARN, __VA_ARGS__)
#define ctl_info(...)	logs(LS_CTL, LL_INFO, __VA_ARGS__)
#define ctl_warn(fmt, ...) \
	logs(LS_CTL, LL_WARN, fmt ": %s", ##__VA_ARGS__, strerror(errno))

/* ---- command table ---------------------------------------------------------- */

int
ctl_register(const char *name, ctl_fn fn, const char *help)
{
	for (int i = 0; i < ncmds; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return -EEXIST;
	if (ncmds >= CTL_MAX_CMDS)
		return -ENOSPC;
	cmds[ncmds].name = strdup(name);
	cmds[ncmds].help = strdup(help ? help : "");
	if (!cmds[ncmds].name || !cmds[ncmds].help) {
		free(cmds[ncmds].name);
		free(cmds[ncmds].help);
		return -ENOMEM;
	}
	cmds[ncmds].fn = fn;
	ncmds++;
	return 0;
}

static json_t *
reply_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *
reply_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

/* "help": the command table itself, so clients can discover commands. */
static json_t *
help_result(void)
{
	json_t *a = json_array();

	for (int i = 0; a && i < ncmds; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "cmd", cmds[i].name,
						   "help", cmds[i].help));
	return a;
}

json_t *
ctl_dispatch(const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req, *cmdv, *args, *result = NULL, *resp;
	const char *cmd;
	char err[512] = "";
	int rc;

	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req)
		return reply_error("bad JSON: %s", jerr.text);
	if (!json_is_object(req)) {
		json_decref(req);
		return reply_error("bad request: expected a JSON object");
	}
	cmdv = json_object_get(req, "cmd");
	if (!json_is_string(cmdv)) {
		json_decref(req);
		return reply_error("bad request: \"cmd\" must be a string");
	}
	cmd = json_string_value(cmdv);
	args = json_object_get(req, "args");
	if (args && json_is_null(args))
		args = NULL;
	if (args && !json_is_object(args)) {
		resp = reply_error("%s: \"args\" must be an object", cmd);
		goto out;
	}
	if (strcmp(cmd, "help") == 0) {
		resp = json_pack("{s:b, s:o}", "ok", 1, "result", help_result());
		goto out;
	}
	for (int i = 0; i < ncmds; i++) {
		if (strcmp(cmds[i].name, cmd) != 0)
			continue;
		rc = cmds[i].fn(args, &result, err, sizeof(err));
		if (rc < 0) {
			json_decref(result);
			if (!err[0])
				snprintf(err, sizeof(err), "%s", strerror(-rc));
			resp = reply_error("%s", err);
		} else {
			resp = json_pack("{s:b, s:o}", "ok", 1, "result",
					 result ? result : json_null());
		}
		goto out;
	}
	resp = reply_error("unknown command '%s' (try 'help')", cmd);
out:
	json_decref(req);
	return resp;
}

/* ---- clients ---------------------------------------------------------------- */

static void
client_free(struct ctl_client *c)
{
	struct ctl_client **pp;

	ev_io_stop(ctl_loop, &c->rio);
	ev_io_stop(ctl_loop, &c->wio);
	close(c->fd);
	for (pp = &clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	nclients--;
	free(c->in);
	free(c->out);
	free(c);
}

/* Write what we can; close when done and closing; 0, or -1 when c was freed. */
static int
client_flush(struct ctl_client *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			client_free(c);
			return -1;
		}
		c->outoff += (size_t)n;
	}
	if (c->outoff == c->outlen) {
		c->outoff = c->outlen = 0;
		ev_io_stop(ctl_loop, &c->wio);
		if (c->closing) {
			client_free(c);
			return -1;
		}
	} else {
		ev_io_start(ctl_loop, &c->wio);
	}
	return 0;
}

static int
client_queue(struct ctl_client *c, json_t *resp)
{
	char *s = json_dumps(resp, JSON_COMPACT);
	size_t n;
	char *nb;

	json_decref(resp);
	if (!s)
		return -ENOMEM;
	n = strlen(s);
	if (c->outlen - c->outoff + n + 1 > CTL_MAX_OUT) {
		free(s);
		return -ENOBUFS;
	}
	nb = realloc(c->out, c->outlen + n + 1);
	if (!nb) {
		free(s);
		return -ENOMEM;
	}
	c->out = nb;
	memcpy(c->out + c->outlen, s, n);
	c->out[c->outlen + n] = '\n';
	c->outlen += n + 1;
	free(s);
	return 0;
}

static void
client_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	client_flush(w->data);
}

static void
client_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *c = w->data;
	char buf[8192];
	ssize_t n;
	size_t start = 0;

	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* Peer closed (or error): finish writing what is queued, then go. */
		ev_io_stop(loop, &c->rio);
		c->closing = true;
		client_flush(c);
		return;
	}
	char *nb = realloc(c->in, c->inlen + (size_t)n);
	if (!nb) {
		client_free(c);
		return;
	}
	c->in = nb;
	memcpy(c->in + c->inlen, buf, (size_t)n);
	c->inlen += (size_t)n;

	for (size_t i = 0; i < c->inlen; i++) {
		if (c->in[i] != '\n')
			continue;
		size_t len = i - start;
		if (len && c->in[start + len - 1] == '\r')
			len--;
		if (len) {
			if (client_queue(c, ctl_dispatch(c->in + start, len)) < 0) {
				ctl_warnx("client reply too large or out of memory: closing");
				client_free(c);
				return;
			}
		}
		start = i + 1;
	}
	if (start) {
		memmove(c->in, c->in + start, c->inlen - start);
		c->inlen -= start;
	}
	if (c->inlen > CTL_MAX_LINE) {
		client_queue(c, reply_error("request line longer than %d bytes",
					    CTL_MAX_LINE));
		ev_io_stop(loop, &c->rio);
		c->closing = true;
	}
	client_flush(c);
}

static void
listen_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *c;
	int fd;

	fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			ctl_warn("accept");
		return;
	}
	if (nclients >= CTL_MAX_CLIENTS) {
		static const char busy[] = "{\"ok\":false,\"error\":\"too many control clients\"}\n";

		if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* it is going away anyway */
		}
		close(fd);
		log_ratelimited(LS_CTL, LL_WARN, "%d clients connected, refusing one",
				nclients);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	ev_io_init(&c->rio, client_read_cb, fd, EV_READ);
	ev_io_init(&c->wio, client_write_cb, fd, EV_WRITE);
	c->rio.data = c->wio.data = c;
	c->next = clients;
	clients = c;
	nclients++;
	ev_io_start(loop, &c->rio);
}

/* ---- socket ----------------------------------------------------------------- */

/* mkdir -p the directory part of path (0755). */
static int
mkdir_parents(const char *path)
{
	char dir[sizeof(sock_path)];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;

			*p = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST)
				return -errno;
			*p = saved;
			if (!saved)
				break;
		}
	}
	return 0;
}

/*
 * A socket file already at path: a live daemon answers a connect (refuse to
 * steal its socket); a stale one from a dead daemon is removed.
 */
static int
remove_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc;

	if (lstat(sun->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		ctl_warnx("%s exists and is not a socket", sun->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (rc == 0) {
		ctl_warnx("%s: another daemon is listening there", sun->sun_path);
		return -EADDRINUSE;
	}
	if (unlink(sun->sun_path) < 0 && errno != ENOENT)
		return -errno;
	ctl_info("removed stale socket %s", sun->sun_path);
	return 0;
}

int
ctl_start(struct ev_loop *loop, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int rc;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	rc = mkdir_parents(path);
	if (rc < 0) {
		errno = -rc;
		ctl_warn("cannot create the directory of %s", path);
		return rc;
	}
	rc = remove_stale(&sun);
	if (rc < 0)
		return rc;
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return -errno;
	if (bind(listen_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rc = -errno;
		ctl_warn("bind %s", path);
		goto out_close;
	}
	if (chmod(path, 0660) < 0 || listen(listen_fd, 16) < 0) {
		rc = -errno;
		ctl_warn("%s", path);
		unlink(path);
		goto out_close;
	}
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	ctl_loop = loop;
	ev_io_init(&listen_w, listen_cb, listen_fd, EV_READ);
	ev_io_start(loop, &listen_w);
	ctl_info("listening on %s", path);
	return 0;

out_close:
	close(listen_fd);
	listen_fd = -1;
	return rc;
}

void
ctl_stop(void)
{
	if (listen_fd < 0)
		return;
	while (clients)
		client_free(clients);
	ev_io_stop(ctl_loop, &listen_w);
	close(listen_fd);
	listen_fd = -1;
	if (sock_path[0] && unlink(sock_path) < 0 && errno != ENOENT)
		ctl_warn("unlink %s", sock_path);
	sock_path[0] = '\0';
}
