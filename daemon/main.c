// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - xrelayd: parse the configuration, start the parts in order (fast
 * path, media, control socket, SIP), run the main libev loop, and take it
 * all down again on SIGTERM/SIGINT so nothing is left in the kernel.
 * Owns start-up order, signals and daemonising; no protocol logic.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <urcu.h>

#include "common/log.h"
#include "config.h"
#include "ctl/commands.h"
#include "ctl/ctl.h"
#include "fastpath/fastpath.h"
#include "media/media.h"
#include "proxy/proxy.h"
#include "proxy/registrar_ctl.h"
#include "sip/sip.h"

static struct xr_config cfg;
static struct fp fp;
static bool fp_up, netlink_up, media_up, ctl_up, proxy_up, sip_up;
static int ready_fd = -1;	/* daemonised: the parent waits for one byte here */

static void
on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	log_info("signal %d: shutting down", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static void
on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	log_info("SIGHUP ignored: restart xrelayd to apply a new configuration");
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
	int rc, attached = 0;

	rc = fp_open(&fp, cfg.pin_dir);
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

/* Reverse start-up order; each part only if it was started. */
static void
shutdown_all(void)
{
	if (sip_up)
		sip_stop();
	sip_up = false;
	if (proxy_up)
		proxy_fini();
	proxy_up = false;
	if (media_up)
		media_stop();
	media_up = false;
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

int
main(int argc, char **argv)
{
	struct ev_loop *loop;
	ev_signal sig_term, sig_int, sig_hup;
	char err[256];
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
	if (cfg.check_only) {
		config_dump(&cfg, stdout);
		config_free(&cfg);
		return 0;
	}
	if (cfg.workers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		cfg.workers = n > 0 ? (int)n : 1;
	}

	if (!cfg.foreground)
		daemonise();
	log_init(cfg.foreground, cfg.verbose > 0 ? LL_DEBUG : LL_INFO, "xrelayd");
	signal(SIGPIPE, SIG_IGN);
	rcu_register_thread();
	loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop)
		die("cannot create the event loop");

	ev_signal_init(&sig_term, on_stop, SIGTERM);
	ev_signal_init(&sig_int, on_stop, SIGINT);
	ev_signal_init(&sig_hup, on_hup, SIGHUP);
	ev_signal_start(loop, &sig_term);
	ev_signal_start(loop, &sig_int);
	ev_signal_start(loop, &sig_hup);

	if (cfg.nxdp)
		start_fastpath(loop);

	rc = media_init(&cfg, fp_up ? &fp : NULL);
	if (rc < 0)
		die("media: %s", strerror(-rc));
	rc = media_start();
	if (rc < 0)
		die("media: cannot start the relay: %s", strerror(-rc));
	media_up = true;

	rc = ctl_commands_init(&cfg, fp_up ? &fp : NULL);
	if (rc < 0)
		die("ctl: cannot register the commands: %s", strerror(-rc));
	if (cfg.nsip) {
		rc = proxy_init(&cfg);	/* registers regs, calls, call.show, call.kill */
		if (rc < 0)
			die("proxy: %s", strerror(-rc));
		if ((rc = registrar_ctl_init()) < 0)	/* reg.del */
			die("registrar: %s", strerror(-rc));
		proxy_up = true;
	}
	rc = ctl_start(loop, cfg.ctl_path);
	if (rc < 0)
		die("ctl: cannot listen on %s: %s", cfg.ctl_path, strerror(-rc));
	ctl_up = true;
	if (cfg.nsip) {
		rc = sip_start(&cfg, loop);
		if (rc < 0)
			die("sip: %s", strerror(-rc));
		sip_up = true;
	}

	log_info("xrelayd %s running: pid %d, %d media address(es), ports %u-%u, %d SIP "
		 "listener(s), control %s", XRELAY_VERSION, (int)getpid(), cfg.nmedia,
		 cfg.port_lo, cfg.port_hi, cfg.nsip, cfg.ctl_path);
	ready();
	ev_run(loop, 0);

	shutdown_all();
	ev_loop_destroy(loop);
	rcu_unregister_thread();
	config_free(&cfg);
	log_info("stopped");
	return 0;
}
