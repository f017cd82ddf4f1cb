// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - xrelayd: parse the configuration, start the parts in order (fast
 * path, media, control socket, SIP), run the main libev loop, and take it
 * all down again on SIGTERM/SIGINT so nothing is left in the kernel; on
 * SIGHUP re-read the configuration and apply what can change while running.
 * Owns start-up order, signals, reload and daemonising; no protocol logic.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
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

#include "auth/auth.h"
#include "common/clock.h"
#include "common/log.h"
#include "config.h"
#include "ctl/ban_cmd.h"
#include "ctl/commands.h"
#include "ctl/ctl.h"
#include "ctl/http.h"
#include "ctl/log_cmd.h"
#include "fastpath/fastpath.h"
#include "guard/ban.h"
#include "guard/pike.h"
#include "guard/privs.h"
#include "ha/ha.h"
#include "policy/policy.h"
#include "media/media.h"
#include "proxy/proxy.h"
#include "proxy/registrar_ctl.h"
#include "sip/sip.h"
#include "txn/txn.h"

static struct xr_config cfg;
static struct fp fp;
static bool fp_up, netlink_up, media_up, ctl_up, proxy_up, sip_up, http_up, ban_up, ha_up;
static int ready_fd = -1;	/* daemonised: the parent waits for one byte here */
/* A reload parses the same command line again, from the directory it was given in. */
static int saved_argc;
static char **saved_argv;
static int start_dir_fd = -1;
static int boot_media_timeout;	/* the relay's timeout tick exists only if this was > 0 */

/*
 * systemd's notification protocol (sd_notify(3)) without libsystemd: one
 * datagram to $NOTIFY_SOCKET, a path or "@abstract".  Type=notify in
 * dist/xrelayd.service waits for READY=1.  Nothing happens without the
 * variable; a failed send is not an error.
 */
static void
notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	n = strlen(path);
	if (n >= sizeof(sun.sun_path))
		return;
	memcpy(sun.sun_path, path, n);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sun,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
		log_debug("sd_notify %s: %s", path, strerror(errno));
	close(fd);
}

static void
on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	log_info("signal %d: shutting down", w->signum);
	notify("STOPPING=1");
	ev_break(loop, EVBREAK_ALL);
}

/* One line of a reload's report; from/to as config_dump writes them. */
static void
reload_line(const struct xr_change *c, const char *verdict)
{
	log_info("reload: %s: %s -> %s%s", c->key, *c->from ? c->from : "(none)",
		 *c->to ? c->to : "(none)", verdict);
}

/*
 * The log levels of eff, where they differ from was[] (the running
 * configuration's).  Every other option reaches its readers through the
 * published copy (config_now()); main.c's cfg stays the boot configuration.
 */
static void
reload_levels(const int *was, const struct xr_config *eff)
{
	for (int s = 0; s < LS__MAX; s++) {
		int now = config_log_level(eff, (enum log_subsys)s);

		if (was[s] != now)
			log_set_level((enum log_subsys)s, now);
	}
}

/* The blocklist's exemption: a prefix that overlaps a --trusted one (issue 14). */
static bool
ban_exempt_trusted(const union xr_sa *prefix, int plen, void *arg)
{
	(void)arg;
	return pol_trusted_overlaps(prefix, plen);
}

/*
 * SIGHUP: parse the command line again (so -c FILE is read again at its
 * place), compare with what is running, take every changed option that may
 * change live, name every one that needs a restart, publish.  Any error
 * leaves the running configuration as it was.
 */
#define RELOAD_MAX_CHANGES	64

/*
 * Long (~90 lines) because it is one transaction, read top to bottom: parse,
 * diff, take, validate, publish, report, each step on the previous one's
 * locals.
 */
static void
reload(void)
{
	struct xr_change ch[RELOAD_MAX_CHANGES];
	struct xr_config next, eff;
	char err[512], *msg = NULL;
	size_t msglen = 0;
	int n, nch, rc, applied = 0, ignored = 0, was[LS__MAX];
	FILE *m;

	config_defaults(&next);
	m = open_memstream(&msg, &msglen);
	if (!m) {
		log_warn("reload: running configuration unchanged");
		return;
	}
	config_set_errout(m);
	if (start_dir_fd >= 0 && fchdir(start_dir_fd) < 0)
		log_warn("reload: cannot return to the start directory");
	rc = config_parse_args(&next, saved_argc, saved_argv);
	if (!cfg.foreground && chdir("/") < 0)
		log_warn("reload: chdir /");
	config_set_errout(NULL);
	fclose(m);
	if (rc == 0 && config_validate(&next, err, sizeof(err)) < 0)
		rc = -EINVAL;
	else if (rc < 0)
		snprintf(err, sizeof(err), "%s", msg && strncmp(msg, "xrelayd: ", 9) == 0 ?
			 msg + 9 : (msg ? msg : "?"));
	free(msg);
	if (rc < 0) {
		err[strcspn(err, "\n")] = '\0';
		log_warnx("reload: %s: running configuration unchanged", err);
		config_free(&next);
		return;
	}
	next.workers = config_workers(&next);	/* "auto", as at start-up */

	/* Only this thread publishes, so the live copy cannot go away under us. */
	rcu_read_lock();
	rc = config_copy(&eff, config_live());
	for (int s = 0; s < LS__MAX; s++)
		was[s] = config_log_level(config_live(), (enum log_subsys)s);
	rcu_read_unlock();
	if (rc < 0) {
		log_warnx("reload: out of memory: running configuration unchanged");
		config_free(&next);
		return;
	}
	n = config_diff(&eff, &next, ch, RELOAD_MAX_CHANGES);
	nch = n < 0 ? 0 : n > RELOAD_MAX_CHANGES ? RELOAD_MAX_CHANGES : n;
	for (int i = 0; i < nch; i++) {
		if (!ch[i].live || (strcmp(ch[i].key, "media-timeout") == 0 &&
				    boot_media_timeout == 0 && next.media_timeout > 0))
			continue;
		if (config_take(&eff, &next, ch[i].key) < 0) {
			n = -ENOMEM;
			break;
		}
	}
	if (n >= 0 && config_validate(&eff, err, sizeof(err)) < 0) {
		/* next is valid as a whole: what it keeps from the running one is not */
		log_warnx("reload: with the options that need a restart kept: %s: running "
			  "configuration unchanged", err);
		goto out;
	}
	if (n < 0 || config_publish(&eff) < 0) {
		log_warnx("reload: out of memory: running configuration unchanged");
		goto out;
	}
	reload_levels(was, &eff);
	/* The SIP rate limit and the ban time of new bans (guard/) keep their own copies. */
	pike_configure((unsigned)eff.pike_rate, (unsigned)eff.pike_burst, (unsigned)eff.ban_time);
	ban_cmd_set_default((unsigned)eff.ban_time);
	/* Access sets and nonce ttl from eff; the credentials file is re-read always. */
	access_apply_config(&eff, false, err, sizeof(err));
	for (int i = 0; i < nch; i++) {
		if (!ch[i].live) {
			reload_line(&ch[i], ": ignored, needs a restart");
			ignored++;
		} else if (strcmp(ch[i].key, "media-timeout") == 0 && boot_media_timeout == 0 &&
			   next.media_timeout > 0) {
			reload_line(&ch[i], ": ignored, needs a restart (media timeout was off "
				    "at start)");
			ignored++;
		} else {
			reload_line(&ch[i], "");
			applied++;
		}
	}
	if (n > nch)
		log_warnx("reload: %d more change(s) not listed", n - nch);
	log_info("reload: %d change(s) applied, %d ignored", applied, ignored);
out:
	config_changes_free(ch, nch);
	config_free(&eff);
	config_free(&next);
}

static void
on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)xr_mono_us());
	notify(msg);
	log_info("SIGHUP: reloading the configuration");
	reload();
	notify("READY=1");
}

/*
 * Without -f: fork; the parent stays until the child reports that start-up
 * succeeded (exit 0) or failed (exit 1), so a service manager and the
 * operator see start-up errors on the terminal.
 */
static void
daemonise(void)
{
	int pfd[2];
	pid_t pid;
	char c;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		perror("xrelayd: pipe");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("xrelayd: fork");
		exit(1);
	}
	if (pid > 0) {
		close(pfd[1]);
		exit(read(pfd[0], &c, 1) == 1 ? 0 : 1);
	}
	close(pfd[0]);
	ready_fd = pfd[1];
	if (setsid() < 0)
		perror("xrelayd: setsid");
	if (chdir("/") < 0)
		perror("xrelayd: chdir /");
}

/* Start-up done: detach from the terminal and release the waiting parent. */
static void
ready(void)
{
	int fd;

	if (ready_fd < 0)
		return;
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if (write(ready_fd, "1", 1) < 0) {
		/* the parent is gone: nothing to tell */
	}
	close(ready_fd);
	ready_fd = -1;
}

/* Start-up failure: the message on stderr (and in the log), exit 1. */
static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...);

static void shutdown_all(void);

static void
die(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!cfg.foreground)
		fprintf(stderr, "xrelayd: %s\n", msg);
	logs(LS_MAIN, LL_ERR, "%s", msg);
	shutdown_all();
	exit(1);
}

/*
 * The fast path: load (or reuse the pinned maps of an earlier daemon, whose
 * flows are flushed), attach to every --xdp interface.  An interface where
 * the attach fails is relayed in userspace (logged once); when the program
 * cannot be loaded at all, every interface is.
 */
static void
start_fastpath(struct ev_loop *loop)
{
	struct fp_opts o = { .wrong_src_sample = (unsigned)cfg.wrong_src_sample,
			     .media_max_pps = (unsigned)cfg.media_max_pps,
			     .adopt = ha_enabled(),	/* --redis: flows outlive us */
			     /* the flow table: one entry per --media address and port */
			     .addrs = cfg.media, .naddrs = cfg.nmedia,
			     .port_lo = cfg.port_lo, .port_hi = cfg.port_hi };
	int rc, attached = 0;

	rc = fp_open_opts(&fp, cfg.pin_dir, &o);
	/* Another live daemon's maps: running beside it would fight over them. */
	if (rc == -EBUSY)
		die("--pin-dir %s: in use by another running xrelayd", cfg.pin_dir);
	if (rc < 0) {
		logs(LS_MAIN, LL_WARN, "XDP fast path unavailable (%s): relaying all media in "
		     "userspace", strerror(-rc));
		return;
	}
	fp_up = true;
	for (int i = 0; i < cfg.nxdp; i++) {
		rc = fp_attach(&fp, cfg.xdp_ifs[i], cfg.xdp_mode);
		if (rc < 0)
			logs(LS_MAIN, LL_WARN, "%s: XDP attach failed (%s): media on it is "
			     "relayed in userspace", cfg.xdp_ifs[i], strerror(-rc));
		else
			attached++;
	}
	rc = fp_netlink_start(&fp, loop);
	if (rc < 0)
		logs(LS_MAIN, LL_WARN, "netlink: %s: interfaces added later are not used by "
		     "XDP", strerror(-rc));
	else
		netlink_up = true;
	log_info("XDP fast path on %d of %d interface(s), maps in %s", attached, cfg.nxdp,
		 fp.pin_dir[0] ? fp.pin_dir : "(not pinned)");
}

/* ---- standby takeover (daemon/ha/) ---- */
static ev_async takeover_w;
static struct ev_loop *takeover_loop;

/* From the standby's thread: the lease is ours; the main loop does the rest. */
static void
post_takeover(void)
{
	ev_async_send(takeover_loop, &takeover_w);
}

/* The standby becomes the active node: calls restored, the writer, then SIP. */
static void
on_takeover(struct ev_loop *loop, ev_async *w, int revents)
{
	int rc;

	(void)w;
	(void)revents;
	rc = ha_takeover();
	if (rc < 0)
		logs(LS_MAIN, LL_WARN, "takeover: %s", strerror(-rc));
	rc = ha_start();
	if (rc < 0)
		die("redis: cannot start the writer: %s", strerror(-rc));
	if (cfg.nsip && !sip_up) {
		rc = sip_start(&cfg, loop);
		if (rc < 0)
			die("sip: %s", strerror(-rc));
		sip_up = true;
	}
	log_info("active: serving SIP and media as %s", cfg.node_id[0] ? cfg.node_id : "this node");
}

/* The lowest port an unprivileged process may bind in this netns (1024 when unreadable). */
static int
unprivileged_port_start(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
	int v = 1024;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 1024;
		fclose(f);
	}
	return v;
}

/*
 * --user: everything that needs root is done (XDP attached, maps created and
 * pinned, lo's forwarding set, SIP, metrics and control sockets bound, the
 * open-files limit raised).  What is left needs no capability: map updates
 * and reads go through the fds already open, media ports are above
 * ip_unprivileged_port_start (checked at start), the pins are handed to the
 * user so that the exit can unpin them.
 */
static void
drop_privileges(uid_t uid, gid_t gid)
{
	int rc;

	if (fp_up)
		fp_chown(&fp, uid, gid);
	rc = privs_drop(cfg.user, uid, gid);
	if (rc < 0)
		die("--user %s: cannot switch: %s", cfg.user, strerror(-rc));
	rc = privs_threads_with_caps();
	if (rc > 0)
		logs(LS_MAIN, LL_WARN, "--user %s: %d thread(s) kept capabilities (give the "
		     "service CAP_SETUID and CAP_SETGID so that they go too)", cfg.user, rc);
	log_info("running as %s (uid %u, gid %u), no capabilities", cfg.user, (unsigned)uid,
		 (unsigned)gid);
}

/* Reverse start-up order; each part only if it was started. */
static void
shutdown_all(void)
{
	if (http_up)
		http_metrics_stop();
	http_up = false;
	if (proxy_up)
		proxy_stop();	/* the DNS thread: it posts to the workers */
	if (sip_up)
		sip_stop();
	sip_up = false;
	if (ha_up)
		ha_stop();		/* before the tables it reads go */
	if (proxy_up)
		proxy_fini();
	proxy_up = false;
	if (media_up)
		media_stop();
	media_up = false;
	if (ha_up)
		ha_forget_calls();	/* a clean stop ends the calls: not to be restored */
	ha_up = false;
	if (ban_up)
		ban_fini();		/* before the maps go */
	ban_up = false;
	if (netlink_up)
		fp_netlink_stop();
	netlink_up = false;
	if (fp_up)
		fp_close(&fp, true);	/* detach, flush every flow, unpin */
	fp_up = false;
	if (ctl_up)
		ctl_stop();		/* removes the socket */
	ctl_up = false;
}

/*
 * Long (~110 lines) because it is the start-up order itself, read top to
 * bottom: one call and its error per step.
 */
/*
 * --prealloc-transactions: touch the transactions' memory now.  Capped at
 * --max-transactions; a shortfall (no memory) is logged, not fatal: the
 * pool grows as needed, as without the option.
 */
static void
prealloc_transactions(const struct xr_config *c)
{
	size_t n = (size_t)c->prealloc_transactions, mib;
	int rc;

	if (n > (size_t)c->max_transactions)
		n = (size_t)c->max_transactions;
	rc = txn_reserve(n);
	mib = (n * (txn_record_bytes() + txn_compact_bytes()) + (1u << 20) - 1) >> 20;
	if (rc < 0)
		log_warnx("--prealloc-transactions %zu (%zu MiB): %s; the rest is allocated "
			  "as needed", n, mib, strerror(-rc));
	else
		log_info("%zu transactions preallocated (%zu MiB, touched at start)", n, mib);
}

int
main(int argc, char **argv)
{
	struct ev_loop *loop;
	ev_signal sig_term, sig_int, sig_hup;
	char err[256];
	uid_t run_uid = 0;
	gid_t run_gid = 0;
	int rc;

	config_defaults(&cfg);
	if (config_parse_args(&cfg, argc, argv) < 0)
		return 1;
	if (cfg.help) {
		config_usage(stdout);
		return 0;
	}
	if (config_validate(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "xrelayd: %s\n", err);
		return 1;
	}
	if (cfg.check_only && cfg.credentials[0] &&
	    auth_cred_check(cfg.credentials, err, sizeof(err)) < 0) {
		fprintf(stderr, "xrelayd: credentials %s\n", err);
		return 1;
	}
	if (cfg.check_only) {
		config_dump(&cfg, stdout);
		config_free(&cfg);
		return 0;
	}
	cfg.workers = config_workers(&cfg);
	saved_argc = argc;
	saved_argv = argv;
	start_dir_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	boot_media_timeout = cfg.media_timeout;

	if (!cfg.foreground)
		daemonise();
	log_init(cfg.foreground, LL_INFO, "xrelayd");
	for (int s = 0; s < LS__MAX; s++)
		log_set_level((enum log_subsys)s, config_log_level(&cfg, (enum log_subsys)s));
	signal(SIGPIPE, SIG_IGN);
	/*
	 * A forwarded request or a reply takes a 64-80 KB scratch buffer from
	 * malloc (proxy/forward.c, reply.c).  glibc's default gives a thread
	 * arena's free top back (madvise) as soon as 128 KB are free, so the
	 * next such buffer faults fresh pages in: 1.7-2.6 % of the CPU in
	 * madvise() under `make bench-sip` (bench/README.md, "where the
	 * microseconds go").  Keep up to 64 MB of freed heap, and a fixed
	 * mmap threshold.
	 */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	if (ha_init(&cfg, err, sizeof(err)) < 0)
		die("%s", err);
	rcu_register_thread();
	if (config_publish(&cfg) < 0)
		die("out of memory");
	if (access_apply_config(&cfg, true, err, sizeof(err)) < 0)
		die("credentials %s", err);	/* access sets, nonces, credentials */
	loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop)
		die("cannot create the event loop");

	ev_signal_init(&sig_term, on_stop, SIGTERM);
	ev_signal_init(&sig_int, on_stop, SIGINT);
	ev_signal_init(&sig_hup, on_hup, SIGHUP);
	ev_signal_start(loop, &sig_term);
	ev_signal_start(loop, &sig_int);
	ev_signal_start(loop, &sig_hup);

	if (cfg.user[0]) {
		rc = privs_lookup(cfg.user, &run_uid, &run_gid);
		if (rc < 0)
			die("--user %s: %s", cfg.user, rc == -ENOENT ? "no such user" :
			    strerror(-rc));
		if (cfg.port_lo < unprivileged_port_start())
			die("--user %s: --ports %u-%u starts below net.ipv4."
			    "ip_unprivileged_port_start (%d), and media ports are bound after "
			    "start", cfg.user, cfg.port_lo, cfg.port_hi,
			    unprivileged_port_start());
	}
	if (cfg.nxdp)
		start_fastpath(loop);

	rc = media_init(&cfg, fp_up ? &fp : NULL);
	if (rc < 0)
		die("media: %s", strerror(-rc));
	rc = media_start();
	if (rc < 0)
		die("media: cannot start the relay: %s", strerror(-rc));
	media_up = true;

	/* The blocklist (XDP drops banned sources) and the SIP rate limit that feeds it. */
	rc = ban_init(fp_up ? &fp : NULL);
	if (rc < 0)
		die("blocklist: %s", strerror(-rc));
	ban_start(loop);
	ban_up = true;
	ban_set_exempt(ban_exempt_trusted, NULL);	/* trusted peers are never banned */
	pike_configure((unsigned)cfg.pike_rate, (unsigned)cfg.pike_burst, (unsigned)cfg.ban_time);

	rc = ctl_commands_init(&cfg, fp_up ? &fp : NULL);
	if (rc == 0)
		rc = log_cmd_init();
	if (rc == 0)
		rc = ban_cmd_init((unsigned)cfg.ban_time);
	if (rc < 0)
		die("ctl: cannot register the commands: %s", strerror(-rc));
	if (cfg.nsip) {
		rc = proxy_init(&cfg);	/* registers regs, calls, call.show, call.kill */
		if (rc < 0)
			die("proxy: %s", strerror(-rc));
		if (cfg.prealloc_transactions)
			prealloc_transactions(&cfg);
		if ((rc = registrar_ctl_init()) < 0)	/* reg.del */
			die("registrar: %s", strerror(-rc));
		proxy_up = true;
	}
	if (ha_enabled() && ha_should_standby(&cfg)) {
		/* Pre-arm the active node's calls; SIP starts at the takeover. */
		ev_async_init(&takeover_w, on_takeover);
		ev_async_start(loop, &takeover_w);
		takeover_loop = loop;
		rc = ha_standby_start(&cfg, post_takeover);
		if (rc < 0)
			die("redis: cannot start the standby: %s", strerror(-rc));
		ha_up = true;
	} else if (ha_enabled()) {
		/* Before SIP: a restarted daemon takes its calls back first. */
		rc = ha_restore();
		if (rc < 0)
			die("redis: cannot restore: %s", strerror(-rc));
		rc = ha_start();
		if (rc < 0)
			die("redis: cannot start the writer: %s", strerror(-rc));
		ha_up = true;
	}
	rc = ctl_start(loop, cfg.ctl_path);
	if (rc < 0)
		die("ctl: cannot listen on %s: %s", cfg.ctl_path, strerror(-rc));
	ctl_up = true;
	if (cfg.metrics.sa.sa_family) {
		char buf[XR_SA_STRLEN];

		rc = http_metrics_start(&cfg.metrics);
		if (rc < 0)
			die("--metrics %s: %s", xr_sa_str(&cfg.metrics, buf, sizeof(buf)),
			    strerror(-rc));
		http_up = true;
	}
	if (cfg.nsip && !ha_is_standby()) {
		rc = sip_start(&cfg, loop);
		if (rc < 0)
			die("sip: %s", strerror(-rc));
		sip_up = true;
	}

	if (cfg.user[0])
		drop_privileges(run_uid, run_gid);

	log_info("xrelayd %s running: pid %d, %d media address(es), ports %u-%u, %d SIP "
		 "listener(s), control %s", XRELAY_VERSION, (int)getpid(), cfg.nmedia,
		 cfg.port_lo, cfg.port_hi, cfg.nsip, cfg.ctl_path);
	ready();
	notify("READY=1");
	ev_run(loop, 0);

	shutdown_all();
	ev_loop_destroy(loop);
	config_unpublish();
	rcu_unregister_thread();
	if (start_dir_fd >= 0)
		close(start_dir_fd);
	config_free(&cfg);
	log_info("stopped");
	return 0;
}
