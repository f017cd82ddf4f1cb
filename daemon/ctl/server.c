// SPDX-License-Identifier: GPL-2.0
/*
 * server.c - the control socket (ctl.h): a unix stream socket on the main
 * libev loop speaking versioned JSON lines, and the command table behind it.
 * Owns the listening socket, who may connect (SO_PEERCRED), the clients and
 * their bounded buffers; the commands themselves live in their modules (core
 * ones in ctl/commands.c).  Nothing here blocks: a client that stops reading
 * is paused, then dropped, while every other client and the loop go on.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "ctl/ctl.h"

#define CTL_MAX_CMDS	64
#define CTL_OUT_HIGH	(256 * 1024)	/* unread replies beyond this: stop reading requests */
#define CTL_MAX_OUT	(64 * 1024 * 1024) /* one reply larger than this closes the client */
#define CTL_STALL_S	30.0		/* no write progress this long with replies queued: drop */
#define CTL_IDLE_S	600.0		/* nothing asked or owed this long: drop */
#define CTL_SWEEP_S	5.0		/* how often stalled and idle clients are looked for */
#define CTL_READ_CHUNK	(64 * 1024)	/* one recv() takes up to this: many pipelined lines */
#define CTL_FAST_OUT	4096		/* room given to one fast-path reply */

struct ctl_cmd {
	char		*name;
	ctl_fn		 fn;
	ctl_fast_fn	 fast;	/* or NULL: ctl_register_fast() */
	char		*help;
};

struct ctl_client {
	ev_io		 rio, wio;
	int		 fd;
	char		*in;		/* bytes of the request line(s) not yet answered */
	size_t		 inlen, incap;
	char		*out;		/* replies not yet written */
	size_t		 outlen, outoff, outcap;
	bool		 closing;	/* close once out is written */
	bool		 paused;	/* reading stopped until out drains (CTL_OUT_HIGH) */
	ev_tstamp	 active;	/* last request read or reply byte written */
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
static ev_timer sweep_w;
static gid_t ctl_gid;			/* --ctl-group, when ctl_gid_set */
static bool ctl_gid_set;

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

int
ctl_register_fast(const char *name, ctl_fast_fn fn)
{
	for (int i = 0; i < ncmds; i++) {
		if (strcmp(cmds[i].name, name) == 0) {
			cmds[i].fast = fn;
			return 0;
		}
	}
	return -ENOENT;
}

const char *
ctl_errcode(int err)
{
	const char *name = err > 0 ? strerrorname_np(err) : NULL;

	return name ? name : "EIO";
}

static json_t *
reply_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* {"v":1, "ok":false, "code":"E...", "error":"..."}; err is a positive errno. */
static json_t *
reply_error(int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)	/* one line, whatever a handler wrote */
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return json_pack("{s:i, s:b, s:s, s:s}", "v", XR_CTL_PROTO_VERSION, "ok", 0,
			 "code", ctl_errcode(err), "error", msg);
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

/*
 * The request's "v": absent means 1; anything but a supported version is
 * refused before the command runs, so a newer client learns at once.
 */
static json_t *
check_version(json_t *req)
{
	json_t *v = json_object_get(req, "v");

	if (!v)
		return NULL;
	if (!json_is_integer(v))
		return reply_error(EINVAL, "bad request: \"v\" must be an integer");
	if (json_integer_value(v) != XR_CTL_PROTO_VERSION)
		return reply_error(EPROTONOSUPPORT, "protocol version %lld not supported "
				   "(this xrelayd speaks %d)", (long long)json_integer_value(v),
				   XR_CTL_PROTO_VERSION);
	return NULL;
}

/* Run one request; the reply without "id" (ctl_dispatch() copies it). */
static json_t *
dispatch(json_t *req)
{
	json_t *cmdv, *args, *result = NULL, *resp;
	const char *cmd;
	char err[512] = "";
	int rc;

	if ((resp = check_version(req)))
		return resp;
	cmdv = json_object_get(req, "cmd");
	if (!json_is_string(cmdv))
		return reply_error(EINVAL, "bad request: \"cmd\" must be a string");
	cmd = json_string_value(cmdv);
	args = json_object_get(req, "args");
	if (args && json_is_null(args))
		args = NULL;
	if (args && !json_is_object(args))
		return reply_error(EINVAL, "%s: \"args\" must be an object", cmd);
	if (strcmp(cmd, "help") == 0)
		return json_pack("{s:i, s:b, s:o}", "v", XR_CTL_PROTO_VERSION, "ok", 1,
				 "result", help_result());
	for (int i = 0; i < ncmds; i++) {
		if (strcmp(cmds[i].name, cmd) != 0)
			continue;
		rc = cmds[i].fn(args, &result, err, sizeof(err));
		if (rc < 0) {
			json_decref(result);
			if (!err[0])
				snprintf(err, sizeof(err), "%s", strerror(-rc));
			return reply_error(-rc, "%s", err);
		}
		return json_pack("{s:i, s:b, s:o}", "v", XR_CTL_PROTO_VERSION, "ok", 1,
				 "result", result ? result : json_null());
	}
	return reply_error(ENOSYS, "unknown command '%s' (try 'help')", cmd);
}

json_t *
ctl_dispatch(const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req, *resp, *id;

	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req)
		return reply_error(EBADMSG, "bad JSON: %s", jerr.text);
	if (!json_is_object(req)) {
		json_decref(req);
		return reply_error(EINVAL, "bad request: expected a JSON object");
	}
	resp = dispatch(req);
	id = json_object_get(req, "id");
	if (resp && id && !json_is_object(id) && !json_is_array(id))
		json_object_set(resp, "id", id);
	json_decref(req);
	return resp;
}

/* The error reply of the fast path: reply_error() with the request's id. */
static int
fast_error(const struct ctl_fast_req *r, int rc, const char *err, char *out, size_t outlen)
{
	json_t *resp = reply_error(-rc, "%s", err[0] ? err : strerror(-rc));
	size_t n;

	if (!resp)
		return -ENOMEM;
	if (r->id)
		json_object_set_new(resp, "id", json_loadb(r->id, r->idlen, JSON_DECODE_ANY,
							   NULL));
	n = json_dumpb(resp, out, outlen, JSON_COMPACT);
	json_decref(resp);
	if (n == 0 || n + 1 > outlen)
		return -ENOBUFS;
	out[n] = '\n';
	return (int)n + 1;
}

int
ctl_dispatch_fast(const char *line, size_t len, char *out, size_t outlen)
{
	struct ctl_fast_req r;
	char err[512] = "";
	int i, n, rc;

	if (ctl_fast_parse(line, len, &r) < 0)
		return 0;
	for (i = 0; i < ncmds; i++)
		if (cmds[i].fast && strlen(cmds[i].name) == r.cmdlen &&
		    memcmp(cmds[i].name, r.cmd, r.cmdlen) == 0)
			break;
	if (i == ncmds)
		return 0;
	n = snprintf(out, outlen, "{\"v\":%d,\"ok\":true,\"result\":", XR_CTL_PROTO_VERSION);
	/* after the result: ,"id":ID}\n */
	if (n < 0 || (size_t)n + r.idlen + 16 >= outlen)
		return -ENOBUFS;
	rc = cmds[i].fast(&r, out + n, outlen - (size_t)n - r.idlen - 16, err, sizeof(err));
	if (rc == 0)
		return 0;
	if (rc < 0)
		return fast_error(&r, rc, err, out, outlen);
	n += rc;
	if (r.id) {
		memcpy(out + n, ",\"id\":", 6);
		memcpy(out + n + 6, r.id, r.idlen);
		n += 6 + (int)r.idlen;
	}
	memcpy(out + n, "}\n", 2);
	return n + 2;
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

static size_t
client_pending(const struct ctl_client *c)
{
	return c->outlen - c->outoff;
}

/*
 * Room for n more bytes at the end of *buf (len used, *cap allocated),
 * growing it geometrically so a burst of pipelined requests or replies
 * costs a few reallocations, not one each.  0 or -ENOMEM.
 */
static int
buf_reserve(char **buf, size_t len, size_t *cap, size_t n)
{
	size_t want = *cap ? *cap : 4096;
	char *nb;

	if (len + n <= *cap)
		return 0;
	while (want < len + n)
		want *= 2;
	nb = realloc(*buf, want);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*cap = want;
	return 0;
}

/* Move what is still to be written to the start of the reply buffer. */
static void
out_reclaim(struct ctl_client *c)
{
	if (c->outoff) {
		memmove(c->out, c->out + c->outoff, client_pending(c));
		c->outlen -= c->outoff;
		c->outoff = 0;
	}
}

/* json_dump_callback() sink: append to a client's reply buffer. */
struct out_sink {
	struct ctl_client	*c;
	int			 err;	/* -ENOBUFS or -ENOMEM once one failed */
};

static int
out_append(const char *s, size_t n, void *arg)
{
	struct out_sink *o = arg;
	struct ctl_client *c = o->c;

	if (client_pending(c) + n + 1 > CTL_MAX_OUT)
		o->err = -ENOBUFS;
	else if (buf_reserve(&c->out, c->outlen, &c->outcap, n + 1) < 0)
		o->err = -ENOMEM;
	if (o->err)
		return -1;
	memcpy(c->out + c->outlen, s, n);
	c->outlen += n;
	return 0;
}

/*
 * Queue one reply line (consumes resp), serialised straight into the
 * client's reply buffer (no string of its own).  0, -ENOBUFS over
 * CTL_MAX_OUT, -ENOMEM.
 */
static int
client_queue(struct ctl_client *c, json_t *resp)
{
	struct out_sink o = { .c = c };
	size_t mark;

	if (!resp)
		return -ENOMEM;
	out_reclaim(c);
	mark = c->outlen;
	if (json_dump_callback(resp, out_append, &o, JSON_COMPACT) < 0 ||
	    out_append("\n", 1, &o) < 0) {
		c->outlen = mark;	/* no half reply on the wire */
		if (!o.err)
			o.err = -ENOMEM;
	}
	json_decref(resp);
	return o.err;
}

/*
 * Answer one request line: the fast path (ctl_dispatch_fast()) writes the
 * reply straight into the reply buffer; a line it does not take goes
 * through jansson (ctl_dispatch()).  0 or client_queue()'s error.
 */
static int
client_answer(struct ctl_client *c, const char *line, size_t len)
{
	int n;

	out_reclaim(c);
	if (client_pending(c) + CTL_FAST_OUT <= CTL_MAX_OUT &&
	    buf_reserve(&c->out, c->outlen, &c->outcap, CTL_FAST_OUT) == 0) {
		n = ctl_dispatch_fast(line, len, c->out + c->outlen, CTL_FAST_OUT);
		if (n > 0) {
			c->outlen += (size_t)n;
			return 0;
		}
	}
	return client_queue(c, ctl_dispatch(line, len));
}

/*
 * Answer every complete line in c->in while the unread replies stay under
 * CTL_OUT_HIGH; past it, stop reading and answering (c->paused) until they
 * drain, so a client that writes requests and never reads costs at most
 * CTL_OUT_HIGH plus one reply of memory and then blocks in its own send().
 * A line over CTL_MAX_LINE, complete or not, gets an EMSGSIZE error and the
 * client is closed after it.  0, or -1 when c had to be freed.
 */
static int
client_process(struct ctl_client *c)
{
	size_t start = 0, i;

	c->paused = false;
	for (i = 0; i < c->inlen && !c->closing; i++) {
		if (c->in[i] != '\n')
			continue;
		if (client_pending(c) > CTL_OUT_HIGH)
			break;
		size_t len = i - start;

		if (len > CTL_MAX_LINE) {
			c->closing = true;
			if (client_queue(c, reply_error(EMSGSIZE, "request line longer than "
							"%d bytes", CTL_MAX_LINE)) < 0)
				goto out_free;
			break;
		}
		if (len && c->in[start + len - 1] == '\r')
			len--;
		if (len && client_answer(c, c->in + start, len) < 0) {
			log_ratelimited(LS_CTL, LL_WARN, "control client reply over %d bytes or "
					"out of memory: closing", CTL_MAX_OUT);
			goto out_free;
		}
		start = i + 1;
	}
	c->paused = !c->closing && client_pending(c) > CTL_OUT_HIGH;
	if (start) {
		memmove(c->in, c->in + start, c->inlen - start);
		c->inlen -= start;
	}
	if (!c->closing && !c->paused && c->inlen > CTL_MAX_LINE) {
		c->closing = true;
		if (client_queue(c, reply_error(EMSGSIZE, "request line longer than %d bytes",
						CTL_MAX_LINE)) < 0)
			goto out_free;
	}
	if (c->closing || c->paused)
		ev_io_stop(ctl_loop, &c->rio);
	else
		ev_io_start(ctl_loop, &c->rio);
	return 0;

out_free:
	client_free(c);
	return -1;
}

/*
 * Write what the socket takes now.  Drained: resume a paused client (its
 * buffered requests) or finish a closing one.  0, or -1 when c was freed.
 */
static int
client_flush(struct ctl_client *c)
{
	for (;;) {
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
			c->active = ev_now(ctl_loop);
		}
		if (c->outoff < c->outlen) {
			ev_io_start(ctl_loop, &c->wio);
			return 0;
		}
		c->outoff = c->outlen = 0;
		ev_io_stop(ctl_loop, &c->wio);
		if (c->closing) {
			client_free(c);
			return -1;
		}
		if (!c->paused)
			return 0;
		if (client_process(c) < 0)
			return -1;
	}
}

static void
client_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	client_flush(w->data);
}

/*
 * Read what the socket has, up to CTL_READ_CHUNK at once straight into the
 * request buffer (a pipelining client's lines arrive in one call), answer
 * every complete line, then write all their replies with one send().
 */
static void
client_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *c = w->data;
	ssize_t n;

	if (buf_reserve(&c->in, c->inlen, &c->incap, CTL_READ_CHUNK) < 0) {
		client_free(c);
		return;
	}
	n = recv(c->fd, c->in + c->inlen, CTL_READ_CHUNK, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* Peer closed (or error): finish writing what is queued, then go. */
		ev_io_stop(loop, &c->rio);
		c->closing = true;
		client_flush(c);
		return;
	}
	c->inlen += (size_t)n;
	c->active = ev_now(loop);
	if (client_process(c) < 0)
		return;
	client_flush(c);
}

/*
 * Drop clients that stopped reading their replies (CTL_STALL_S without a
 * byte written) or that hold a slot doing nothing (CTL_IDLE_S).
 */
static void
sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_tstamp now = ev_now(loop);
	struct ctl_client *c, *next;

	for (c = clients; c; c = next) {
		next = c->next;
		if (client_pending(c) && now - c->active > CTL_STALL_S) {
			log_ratelimited(LS_CTL, LL_WARN, "control client has not read its "
					"replies for %.0f s: closing", CTL_STALL_S);
			client_free(c);
		} else if (!client_pending(c) && now - c->active > CTL_IDLE_S) {
			ctl_info("control client idle for %.0f s: closing", CTL_IDLE_S);
			client_free(c);
		}
	}
}

/* Is gid among the peer's supplementary groups (SO_PEERGROUPS, else NSS)? */
static bool
peer_in_group(int fd, const struct ucred *uc, gid_t gid)
{
	gid_t small[64], *groups = small;
	socklen_t len = sizeof(small);
	bool found = false;
	int n;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
		if (errno != ERANGE)
			goto nss;
		groups = malloc(len);
		if (!groups || getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
			free(groups);
			return false;
		}
	}
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		found |= groups[i] == gid;
	if (groups != small)
		free(groups);
	return found;

nss:
	/* Kernels before 4.13: the groups the user database gives the uid. */
	{
		struct passwd *pw = getpwuid(uc->uid);

		n = (int)(sizeof(small) / sizeof(small[0]));
		if (!pw || getgrouplist(pw->pw_name, uc->gid, small, &n) < 0)
			return false;
		for (int i = 0; i < n; i++)
			found |= small[i] == gid;
	}
	return found;
}

/*
 * Who may talk to the daemon: root, the daemon's own uid, and members of
 * --ctl-group (primary or supplementary).  The socket file is 0660 too,
 * but its permissions are not the check: a socket passed on, or a file
 * whose mode someone changed, still meets this one.  0, or -EPERM with a
 * one-line reason in why.
 */
static int
peer_allowed(int fd, char *why, size_t len)
{
	struct ucred uc;
	socklen_t sl = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &sl) < 0) {
		snprintf(why, len, "cannot read the peer's credentials: %s", strerror(errno));
		return -EPERM;
	}
	if (uc.uid == 0 || uc.uid == geteuid())
		return 0;
	if (ctl_gid_set && (uc.gid == ctl_gid || peer_in_group(fd, &uc, ctl_gid)))
		return 0;
	snprintf(why, len, "uid %u (pid %d) may not use the control socket: root, uid %u%s",
		 (unsigned)uc.uid, (int)uc.pid, (unsigned)geteuid(),
		 ctl_gid_set ? " and the --ctl-group only" : " only (no --ctl-group)");
	return -EPERM;
}

/* A refusal before the client exists: one error line, best effort, then close. */
static void
refuse(int fd, int err, const char *why)
{
	json_t *r = reply_error(err, "%s", why);
	char *s = r ? json_dumps(r, JSON_COMPACT) : NULL;

	json_decref(r);
	if (s) {
		size_t n = strlen(s);

		s[n] = '\n';	/* json_dumps' NUL: the line ends here */
		if (send(fd, s, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* it is going away anyway */
		}
		free(s);
	}
	close(fd);
}

static void
listen_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *c;
	char why[256];
	int fd;

	fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			ctl_warn("accept");
		return;
	}
	if (peer_allowed(fd, why, sizeof(why)) < 0) {
		log_ratelimited(LS_CTL, LL_WARN, "refused a control client: %s", why);
		refuse(fd, EPERM, why);
		return;
	}
	if (nclients >= CTL_MAX_CLIENTS) {
		log_ratelimited(LS_CTL, LL_WARN, "%d clients connected, refusing one",
				nclients);
		refuse(fd, EUSERS, "too many control clients");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->active = ev_now(loop);
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
ctl_set_group(const char *name)
{
	struct group gr, *res = NULL;
	char buf[4096];
	int rc;

	if (!name || !*name) {
		ctl_gid_set = false;
		return 0;
	}
	rc = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
	if (!res) {
		ctl_warnx("--ctl-group %s: %s", name, rc ? strerror(rc) : "no such group");
		return rc ? -rc : -ENOENT;
	}
	ctl_gid = gr.gr_gid;
	ctl_gid_set = true;
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
	if ((ctl_gid_set && chown(path, (uid_t)-1, ctl_gid) < 0) || chmod(path, 0660) < 0 ||
	    listen(listen_fd, 64) < 0) {
		rc = -errno;
		ctl_warn("%s", path);
		unlink(path);
		goto out_close;
	}
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	ctl_loop = loop;
	ev_io_init(&listen_w, listen_cb, listen_fd, EV_READ);
	ev_io_start(loop, &listen_w);
	ev_timer_init(&sweep_w, sweep_cb, CTL_SWEEP_S, CTL_SWEEP_S);
	ev_timer_start(loop, &sweep_w);
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
	ev_timer_stop(ctl_loop, &sweep_w);
	ev_io_stop(ctl_loop, &listen_w);
	close(listen_fd);
	listen_fd = -1;
	if (sock_path[0] && unlink(sock_path) < 0 && errno != ENOENT)
		ctl_warn("unlink %s", sock_path);
	sock_path[0] = '\0';
}
