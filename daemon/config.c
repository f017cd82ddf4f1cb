// SPDX-License-Identifier: GPL-2.0
/*
 * config.c - xrelayd's options: ONE table drives getopt_long, the config file
 * (inih, key = long option name, repeatable keys append) and --help, so the
 * three never drift apart.  Also the cross-field checks and the normalised
 * dump that `xrelayd -n` prints and config_load_file() reads back, and the
 * pieces of a SIGHUP reload: which options differ, which may change without
 * a restart (a "take" function in the table), the RCU-published copy.
 * The value types the table's rows name (parse, dump, take) are in
 * config_opts.c.  Owns struct xr_config's contents; the modules only read it.
 */
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <urcu.h>

#include "config.h"
#include "config_int.h"
#include "xrelay/ctl.h"		/* XR_CTL_PATH: the --ctl default */
#include "xrelay/maps.h"	/* XR_PIN_DIR: the --pin-dir default */

static FILE *cfg_err;		/* where one-line errors go; NULL: stderr */

void
config_set_errout(FILE *f)
{
	cfg_err = f;
}

static FILE *
errout(void)
{
	return cfg_err ? cfg_err : stderr;
}


/* ---- the table --------------------------------------------------------------- */

/* Short options with no long counterpart handled by config_parse_args itself. */
#define OPT_CONFIG	'c'
#define OPT_CHECK	'n'
#define OPT_HELP	'h'

#define OFF(f)	offsetof(struct xr_config, f)

static const struct opt opts[] = {
	{ "sip", 0, required_argument, true, "ADDR:PORT",
	  "listen for SIP on UDP and TCP (repeatable; v4 or v6)",
	  p_sip, d_sip, 0, 0, 0, NULL },
	{ "media", 0, required_argument, true, "ADDR",
	  "relay address used in SDP and bound for media (repeatable)",
	  p_media, d_media, 0, 0, 0, NULL },
	{ "ports", 0, required_argument, true, "LO-HI",
	  "media port range, LO even, HI odd (default 30000-39999)",
	  p_ports, d_ports, 0, 0, 0, NULL },
	{ "xdp", 0, required_argument, true, "IFNAME",
	  "attach the fast path to this interface (repeatable)",
	  p_xdp, d_xdp, 0, 0, 0, NULL },
	{ "xdp-mode", 0, required_argument, true, "MODE",
	  "native | generic | auto (default auto)",
	  p_xdp_mode, d_xdp_mode, 0, 0, 0, NULL },
	{ "media-sockets", 0, required_argument, true, "MODE",
	  "shared: one socket per --media address takes every port (BPF sk_lookup); "
	  "port: a socket per port (default shared)",
	  p_media_sockets, d_media_sockets, 0, 0, 0, NULL },
	{ "max-sessions", 0, required_argument, true, "N",
	  "most media sessions at once; sizes the kernel flow table (4 entries a "
	  "session), 0: from the host's memory (default 0)",
	  p_int, d_int, OFF(max_sessions), 0, 4000000, NULL },
	{ "ctl", 0, required_argument, true, "PATH",
	  "control socket (default " XR_CTL_PATH ")",
	  p_string, d_string, OFF(ctl_path), 0, sizeof(((struct xr_config *)0)->ctl_path), NULL },
	{ "ctl-group", 0, required_argument, true, "NAME",
	  "members of this group may use the control socket (default: root and our uid)",
	  p_string, d_optstring, OFF(ctl_group), 0, sizeof(((struct xr_config *)0)->ctl_group),
	  NULL },
	{ "pin-dir", 0, required_argument, true, "DIR",
	  "where the BPF maps are pinned (default " XR_PIN_DIR ")",
	  p_string, d_string, OFF(pin_dir), 0, sizeof(((struct xr_config *)0)->pin_dir), NULL },
	{ "redis", 0, required_argument, true, "URI",
	  "keep call state in Redis (unix:/PATH or tcp:HOST:PORT): calls survive a restart",
	  p_string, d_optstring, OFF(redis), 0, sizeof(((struct xr_config *)0)->redis), NULL },
	{ "node-id", 0, required_argument, true, "NAME",
	  "this node's name in the Redis keys (default: the host name)",
	  p_string, d_optstring, OFF(node_id), 0, sizeof(((struct xr_config *)0)->node_id),
	  NULL },
	{ "standby", 0, no_argument, true, NULL,
	  "with --redis: follow the active node and take its calls over when the service "
	  "addresses move here and its lease expires",
	  p_bool, d_optbool, OFF(standby), 0, 0, NULL },
	{ "user", 0, required_argument, true, "NAME",
	  "once XDP is attached and the sockets bound, run as NAME with no capabilities",
	  p_string, d_optstring, OFF(user), 0, sizeof(((struct xr_config *)0)->user), NULL },
	{ "domain", 0, required_argument, true, "NAME",
	  "a domain the registrar serves (repeatable)",
	  p_domain, d_domain, 0, 0, 0, NULL },
	{ "route", 0, required_argument, true, "AOR=URI[,URI]",
	  "static targets for an address of record (forks to all; repeatable)",
	  p_route, d_route, 0, 0, 0, t_route },
	{ "media-timeout", 0, required_argument, true, "SEC",
	  "end a call whose media stopped this long, 0 never (default 60)",
	  p_int, d_int, OFF(media_timeout), 0, 86400, t_int },
	{ "latch", 0, required_argument, true, "POLICY",
	  "strict | address | any: which first packet latches a side (default strict)",
	  p_latch, d_latch, 0, 0, 0, t_latch },
	{ "wrong-source-sample", 0, required_argument, true, "PPS",
	  "wrong-source packets per second and CPU XDP passes up to be logged; it drops "
	  "the rest, 0 all (default 10)",
	  p_int, d_int, OFF(wrong_src_sample), 0, 1000000, NULL },
	{ "media-max-pps", 0, required_argument, true, "N",
	  "most packets a second XDP forwards on one flow (per CPU), 0 no cap (default 0)",
	  p_int, d_int, OFF(media_max_pps), 0, 16000000, NULL },
	{ "pike-rate", 0, required_argument, true, "N",
	  "SIP requests a second one source may send (per worker), 0 no limit (default 100)",
	  p_int, d_int, OFF(pike_rate), 0, 1000000, t_int },
	{ "pike-burst", 0, required_argument, true, "N",
	  "requests a source may send at once above its rate (default 300)",
	  p_int, d_int, OFF(pike_burst), 1, 1000000, t_int },
	{ "ban-time", 0, required_argument, true, "SEC",
	  "ban a source over the rate this long, in XDP too; 0 only drops (default 300)",
	  p_int, d_int, OFF(ban_time), 0, 2592000, t_int },
	{ "workers", 0, required_argument, true, "N",
	  "SIP worker threads, or auto: one per CPU (default auto)",
	  p_workers, d_workers, OFF(workers), 1, 64, NULL },
	{ "tcp-idle", 0, required_argument, true, "SEC",
	  "close a SIP TCP connection idle this long (default 600)",
	  p_int, d_int, OFF(tcp_idle), 1, 86400, t_int },
	{ "tcp-max", 0, required_argument, true, "N",
	  "at most this many SIP TCP connections (default 4096)",
	  p_int, d_int, OFF(tcp_max_conns), 1, 1000000, t_int },
	{ "tcp-max-per-source", 0, required_argument, true, "N",
	  "at most this many SIP TCP connections from one untrusted address (default 64)",
	  p_int, d_int, OFF(tcp_max_per_source), 1, 1000000, t_int },
	{ "tcp-max-queue", 0, required_argument, true, "BYTES",
	  "output queued for one SIP TCP connection over which it is closed (default 65536)",
	  p_int, d_int, OFF(tcp_max_queue), 4096, 1 << 30, t_int },
	{ "tcp-max-queue-total", 0, required_argument, true, "BYTES",
	  "output queued over all SIP TCP connections; a connection that would pass it "
	  "is closed (default 67108864)",
	  p_int, d_int, OFF(tcp_max_queue_total), 65536, 1 << 30, t_int },
	{ "dns-server", 0, required_argument, true, "ADDR[:PORT][,...]",
	  "resolve host names through these servers (default: those of /etc/resolv.conf)",
	  p_string, d_optstring, OFF(dns_servers), 0, sizeof(((struct xr_config *)0)->dns_servers),
	  NULL },
	{ "dns-timeout", 0, required_argument, true, "MS",
	  "a DNS query that has no answer this long fails the requests waiting on it "
	  "(408) (default 2000)",
	  p_int, d_int, OFF(dns_timeout), 100, 60000, NULL },
	{ "dns-max-pending", 0, required_argument, true, "N",
	  "DNS queries under way at once; requests needing one more get 503 (default 256)",
	  p_int, d_int, OFF(dns_max_pending), 1, 65536, NULL },
	{ "min-expires", 0, required_argument, true, "SEC",
	  "shortest registration accepted, else 423 (default 60)",
	  p_int, d_int, OFF(min_expires), 1, 604800, t_int },
	{ "max-expires", 0, required_argument, true, "SEC",
	  "longest registration granted (default 3600)",
	  p_int, d_int, OFF(max_expires), 1, 604800, t_int },
	{ "default-expires", 0, required_argument, true, "SEC",
	  "registration time when the REGISTER gives none (default 3600)",
	  p_int, d_int, OFF(default_expires), 1, 604800, t_int },
	{ "sip-t1", 0, required_argument, true, "MS",
	  "SIP timer T1, the round-trip estimate retransmissions start from (default 500)",
	  p_int, d_int, OFF(sip_t1), 1, 60000, NULL },
	{ "sip-t2", 0, required_argument, true, "MS",
	  "SIP timer T2, the longest retransmission interval, >= T1 (default 4000)",
	  p_int, d_int, OFF(sip_t2), 1, 600000, NULL },
	{ "sip-t4", 0, required_argument, true, "MS",
	  "SIP timer T4, how long a message may stay in the network (default 5000)",
	  p_int, d_int, OFF(sip_t4), 1, 600000, NULL },
	{ "timer-c", 0, required_argument, true, "SEC",
	  "proxy INVITE timer C, RFC 3261 wants > 180 (default 180)",
	  p_int, d_int, OFF(timer_c), 1, 86400, NULL },
	{ "metrics", 0, required_argument, true, "ADDR:PORT",
	  "serve Prometheus metrics over HTTP at http://ADDR:PORT/metrics (v4 or v6)",
	  p_metrics, d_metrics, 0, 0, 0, NULL },
	{ "log-level", 0, required_argument, true, "[SUBSYS=]LEVEL",
	  "error | warn | info | debug, for one subsystem (main, sip, tx, proxy, media, "
	  "fastpath, ctl) or all (repeatable)",
	  p_log_level, d_log_level, 0, 0, 0, t_log_level },
	{ "trusted", 0, required_argument, true, "CIDR[,CIDR]",
	  "trusted peers (trunks, gateways): any request, their own Route set and "
	  "P-Asserted-Identity, no challenge (repeatable)",
	  p_cidrs, d_cidrs, OFF(trusted), OFF(ntrusted), 0, t_cidrs },
	{ "deny-dest", 0, required_argument, true, "CIDR[,CIDR]",
	  "never send SIP or media to these networks (repeatable; loopback, link-local, "
	  "multicast and our own addresses always)",
	  p_cidrs, d_cidrs, OFF(deny_dest), OFF(ndeny_dest), 0, t_cidrs },
	{ "deny-dest-exempt-trusted", 0, no_argument, true, NULL,
	  "requests and offers from trusted peers may reach --deny-dest networks",
	  p_bool, d_bool, OFF(deny_dest_trusted), 0, 0, t_bool },
	{ "credentials", 0, required_argument, true, "FILE",
	  "digest credentials: USER REALM ALG:HA1 [ALG:HA1] per line, re-read on SIGHUP",
	  p_string, d_optstring, OFF(credentials), 0, sizeof(((struct xr_config *)0)->credentials),
	  t_string },
	{ "nonce-ttl", 0, required_argument, true, "SEC",
	  "how long a digest nonce stays valid (default 300)",
	  p_int, d_int, OFF(nonce_ttl), 10, 86400, t_int },
	{ "auth-algorithms", 0, required_argument, true, "ALG[,ALG]",
	  "digest algorithms challenged for, preferred first: SHA-256, MD5 (default "
	  "SHA-256,MD5; many phones take the first challenge)",
	  p_auth_algs, d_auth_algs, 0, 0, 0, t_auth_algs },
	{ "max-contacts", 0, required_argument, true, "N",
	  "registered contacts per address of record, 1-16 (default 16)",
	  p_int, d_int, OFF(max_contacts), 1, 16, t_int },
	{ "max-source-bindings", 0, required_argument, true, "N",
	  "registered contacts from one untrusted source address (default 64)",
	  p_int, d_int, OFF(max_source_bindings), 1, 100000, t_int },
	{ "max-calls", 0, required_argument, true, "N",
	  "calls (call records, ringing or answered) at once; a new INVITE over it gets "
	  "503 + Retry-After (default 10000)",
	  p_int, d_int, OFF(max_calls), 1, 10000000, t_int },
	{ "max-transactions", 0, required_argument, true, "N",
	  "SIP transactions at once; a new request over it gets a stateless 503 + "
	  "Retry-After (default 50000)",
	  p_int, d_int, OFF(max_transactions), 16, 10000000, t_int },
	{ "prealloc-transactions", 0, required_argument, true, "N",
	  "map and touch the memory of N transactions at start (at most --max-transactions), "
	  "so a burst of calls does not pay for first-touched memory (default 0: grow as "
	  "needed)",
	  p_int, d_int, OFF(prealloc_transactions), 0, 10000000, NULL },
	{ "max-registrations", 0, required_argument, true, "N",
	  "registered contacts in all; a REGISTER adding one over it gets 503 + "
	  "Retry-After (default 100000)",
	  p_int, d_int, OFF(max_registrations), 1, 10000000, t_int },
	{ "max-media-sessions", 0, required_argument, true, "N",
	  "media sessions (one per stream) in all; an offer over it gets 503 + Retry-After "
	  "(default 0: as many as --max-sessions)",
	  p_int, d_int, OFF(max_media_sessions), 0, 10000000, t_int },
	{ "max-media-sessions-per-source", 0, required_argument, true, "N",
	  "media sessions the calls of one untrusted source address may hold; over it 503 "
	  "+ Retry-After (default 200)",
	  p_int, d_int, OFF(max_media_per_source), 1, 10000000, t_int },
	{ "max-streams", 0, required_argument, true, "N",
	  "media streams (m= lines) one call may have, 1-16; an offer with more gets 488 "
	  "with a Warning (default 4)",
	  p_int, d_int, OFF(max_streams), 1, 16, t_int },
	{ "max-branches", 0, required_argument, true, "N",
	  "targets one request is forked to, 1-16; the rest of the target set is left "
	  "out (default 8)",
	  p_int, d_int, OFF(max_branches), 1, 16, t_int },
	{ "auth-fail-ban", 0, required_argument, true, "N",
	  "ban an untrusted source (XDP too, --ban-time) after N failed digest "
	  "authentications within --auth-fail-window; 0 never (default 10)",
	  p_int, d_int, OFF(auth_fail_ban), 0, 1000000, t_int },
	{ "auth-fail-window", 0, required_argument, true, "SEC",
	  "the window --auth-fail-ban counts failures in (default 60)",
	  p_int, d_int, OFF(auth_fail_window), 1, 86400, t_int },
	{ "foreground", 'f', no_argument, true, NULL,
	  "stay in the foreground, log to stderr",
	  p_bool, d_bool, OFF(foreground), 0, 0, NULL },
	{ "verbose", 'v', no_argument, true, NULL,
	  "more logging (repeatable; in a file: verbose = N)",
	  p_verbose, d_int, OFF(verbose), 0, 3, t_int },
	{ "config", OPT_CONFIG, required_argument, false, "FILE",
	  "read options from FILE (key = value, keys are the long names)",
	  NULL, NULL, 0, 0, 0, NULL },
	{ "check", OPT_CHECK, no_argument, false, NULL,
	  "check the configuration, print it normalised, exit 0 or 1",
	  p_bool, NULL, OFF(check_only), 0, 0, NULL },
	{ "help", OPT_HELP, no_argument, false, NULL,
	  "this help",
	  p_bool, NULL, OFF(help), 0, 0, NULL },
};
#define NOPTS	(sizeof(opts) / sizeof(opts[0]))
_Static_assert(NOPTS <= XR_MAX_OPTS, "raise XR_MAX_OPTS in config.h");

/* Record that option o was just set from file index fidx (-2: command line). */
static void
set_origin(struct xr_config *cfg, const struct opt *o, int fidx, int line)
{
	cfg->origin[o - opts].file = fidx;
	cfg->origin[o - opts].line = line;
}

static const struct opt *
opt_by_name(const char *name)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (strcmp(opts[i].name, name) == 0)
			return &opts[i];
	return NULL;
}

/* ---- API ------------------------------------------------------------------- */

void
config_defaults(struct xr_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port_lo = 30000;
	cfg->port_hi = 39999;
	cfg->xdp_mode = XR_XDP_AUTO;
	cfg->media_sockets = XR_MSOCK_SHARED;
	snprintf(cfg->ctl_path, sizeof(cfg->ctl_path), "%s", XR_CTL_PATH);
	snprintf(cfg->pin_dir, sizeof(cfg->pin_dir), "%s", XR_PIN_DIR);
	cfg->media_timeout = 60;
	cfg->latch = XR_LATCH_STRICT;
	cfg->wrong_src_sample = 10;
	cfg->pike_rate = 100;
	cfg->pike_burst = 300;
	cfg->ban_time = 300;
	cfg->workers = 0;
	cfg->tcp_idle = 600;
	cfg->tcp_max_conns = 4096;
	cfg->tcp_max_per_source = 64;
	cfg->tcp_max_queue = 64 << 10;
	cfg->tcp_max_queue_total = 64 << 20;
	cfg->dns_timeout = 2000;
	cfg->dns_max_pending = 256;
	cfg->min_expires = 60;
	cfg->max_expires = 3600;
	cfg->default_expires = 3600;
	cfg->sip_t1 = 500;
	cfg->sip_t2 = 4000;
	cfg->sip_t4 = 5000;
	cfg->timer_c = 180;
	cfg->nonce_ttl = 300;
	cfg->auth_algs[0] = 0;		/* AUTH_SHA256 */
	cfg->auth_algs[1] = 1;		/* AUTH_MD5 */
	cfg->nauth_algs = 2;
	cfg->max_contacts = 16;
	cfg->max_source_bindings = 64;
	cfg->max_calls = 10000;
	cfg->max_transactions = 50000;
	cfg->max_registrations = 100000;
	cfg->max_media_sessions = 0;	/* --max-sessions */
	cfg->max_media_per_source = 200;
	cfg->max_streams = 4;
	cfg->max_branches = 8;
	cfg->auth_fail_ban = 10;
	cfg->auth_fail_window = 60;
	for (int i = 0; i < LS__MAX; i++)
		cfg->log_levels[i] = -1;
	for (int i = 0; i < XR_MAX_OPTS; i++)
		cfg->origin[i].file = -1;
}

void
config_free(struct xr_config *cfg)
{
	for (int i = 0; i < cfg->ndomains; i++)
		free(cfg->domains[i]);
	cfg->ndomains = 0;
	for (int i = 0; i < cfg->nroutes; i++)
		route_free(&cfg->routes[i]);
	cfg->nroutes = 0;
	for (int i = 0; i < cfg->nfiles; i++)
		free(cfg->files[i]);
	cfg->nfiles = 0;
}

struct file_ctx {
	struct xr_config *cfg;
	const char	*path;
	int		 fidx;		/* path's index in cfg->files[], -1 if not kept */
	FILE		*f;
	int		 line;		/* line last read */
	bool		 failed;	/* one error reported: stop reporting */
};

/* inih reader: counts lines so errors can name them; refuses over-long lines. */
static char *
file_reader(char *str, int num, void *stream)
{
	struct file_ctx *fc = stream;
	char *s = fgets(str, num, fc->f);
	size_t n;

	if (!s)
		return NULL;
	fc->line++;
	n = strlen(s);
	if (n == (size_t)num - 1 && s[n - 1] != '\n' && !feof(fc->f)) {
		if (!fc->failed)
			fprintf(errout(), "xrelayd: %s:%d: line longer than %d characters\n",
				fc->path, fc->line, num - 2);
		fc->failed = true;
		int c;	/* skip the rest of the line */
		while ((c = fgetc(fc->f)) != EOF && c != '\n')
			;
		str[0] = '\0';
	}
	return s;
}

static int
file_handler(void *user, const char *section, const char *name, const char *value)
{
	struct file_ctx *fc = user;
	const struct opt *o = opt_by_name(name);
	char err[256];

	if (fc->failed)
		return 0;
	if (section && *section) {
		fprintf(errout(), "xrelayd: %s:%d: [%s]: sections are not used\n", fc->path,
			fc->line, section);
		goto fail;
	}
	if (!o || !o->file || !o->parse) {
		fprintf(errout(), "xrelayd: %s:%d: unknown key '%s'\n", fc->path, fc->line, name);
		goto fail;
	}
	if (o->parse(fc->cfg, o, value, err, sizeof(err)) < 0) {
		fprintf(errout(), "xrelayd: %s:%d: %s = %s: %s\n", fc->path, fc->line, name,
			value, err);
		goto fail;
	}
	set_origin(fc->cfg, o, fc->fidx, fc->line);
	return 1;
fail:
	fc->failed = true;
	return 0;
}

int
config_load_file(struct xr_config *cfg, const char *path)
{
	struct file_ctx fc = { .cfg = cfg, .path = path, .fidx = -1 };
	int rc;

	for (int i = 0; i < cfg->nfiles; i++)
		if (strcmp(cfg->files[i], path) == 0)
			fc.fidx = i;
	if (fc.fidx < 0 && cfg->nfiles < XR_MAX_FILES) {
		cfg->files[cfg->nfiles] = strdup(path);
		if (cfg->files[cfg->nfiles])
			fc.fidx = cfg->nfiles++;
	}

	fc.f = fopen(path, "r");
	if (!fc.f) {
		rc = -errno;
		fprintf(errout(), "xrelayd: %s: %s\n", path, strerror(errno));
		return rc;
	}
	rc = ini_parse_stream(file_reader, &fc, file_handler, &fc);
	fclose(fc.f);
	if (fc.failed)
		return -EINVAL;
	if (rc != 0) {
		fprintf(errout(), "xrelayd: %s:%d: expected 'key = value'\n", path, rc);
		return -EINVAL;
	}
	return 0;
}

int
config_parse_args(struct xr_config *cfg, int argc, char **argv)
{
	struct option lopts[NOPTS + 1];
	char shorts[2 * NOPTS + 2], *sp = shorts;
	char err[256];
	int c, idx;

	*sp++ = ':';	/* report a missing argument as ':' */
	for (size_t i = 0; i < NOPTS; i++) {
		lopts[i].name = opts[i].name;
		lopts[i].has_arg = opts[i].has_arg;
		lopts[i].flag = NULL;
		lopts[i].val = opts[i].shortopt ? opts[i].shortopt : 256 + (int)i;
		if (opts[i].shortopt) {
			*sp++ = (char)opts[i].shortopt;
			if (opts[i].has_arg == required_argument)
				*sp++ = ':';
		}
	}
	*sp = '\0';
	memset(&lopts[NOPTS], 0, sizeof(lopts[0]));

	optind = 0;	/* glibc: full re-initialisation, so tests may call this again */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lopts, &idx)) != -1) {
		const struct opt *o = NULL;

		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];

			if (c == ':')
				fprintf(errout(), "xrelayd: %s: needs an argument\n", bad);
			else if (optopt)
				fprintf(errout(), "xrelayd: -%c: unknown option (see --help)\n",
					optopt);
			else
				fprintf(errout(), "xrelayd: %s: unknown option (see --help)\n", bad);
			return -EINVAL;
		}
		for (size_t i = 0; i < NOPTS; i++) {
			if (c == (opts[i].shortopt ? opts[i].shortopt : 256 + (int)i)) {
				o = &opts[i];
				break;
			}
		}
		if (!o)
			return -EINVAL;
		if (o->shortopt == OPT_CONFIG) {
			if (config_load_file(cfg, optarg) < 0)
				return -EINVAL;
			continue;
		}
		if (o->parse(cfg, o, o->has_arg == no_argument ? NULL : optarg, err,
			     sizeof(err)) < 0) {
			fprintf(errout(), "xrelayd: --%s %s: %s\n", o->name,
				optarg ? optarg : "", err);
			return -EINVAL;
		}
		set_origin(cfg, o, -2, 0);
		if (o->shortopt == OPT_HELP)
			return 0;
	}
	if (optind < argc) {
		fprintf(errout(), "xrelayd: %s: unexpected argument\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/*
 * The option's values as the dump writes them: every value joined by ", "
 * (last: only the last one), "" when it has none.  malloc'd; NULL on ENOMEM.
 */
static char *
opt_values(const struct xr_config *cfg, const struct opt *o, bool last)
{
	char *raw = NULL, *out = NULL, *line, *save = NULL;
	const char *lastv = "";
	size_t rlen = 0, olen = 0, klen = strlen(o->name) + 3;	/* "key = " */
	bool first = true;
	FILE *r, *w;
	int rc;

	r = open_memstream(&raw, &rlen);
	if (!r)
		return NULL;
	if (o->dump)
		o->dump(cfg, o, r);
	if (fclose(r) != 0)
		return NULL;
	w = open_memstream(&out, &olen);
	if (!w) {
		free(raw);
		return NULL;
	}
	for (line = strtok_r(raw, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *v = strlen(line) >= klen ? line + klen : line;

		if (!last)
			fprintf(w, "%s%s", first ? "" : ", ", v);
		first = false;
		lastv = v;
	}
	if (last)
		fputs(lastv, w);
	rc = fclose(w);
	free(raw);
	if (rc != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * Where option name got its (last) value, for an error message:
 *   where: "f.conf:3: key = value" | "--key value" | "key = value (the default)"
 *   ref:   "key = value (f.conf:3)" | "--key value" | "key = value (the default)"
 */
static const char *
opt_loc(const struct xr_config *cfg, const char *name, bool ref, char *buf, size_t len)
{
	const struct opt *o = opt_by_name(name);
	const struct xr_origin *org = &cfg->origin[o - opts];
	char *v = opt_values(cfg, o, true);
	const char *val = v ? v : "?";

	if (org->file >= 0 && org->file < cfg->nfiles && !ref)
		snprintf(buf, len, "%s:%d: %s = %s", cfg->files[org->file], org->line, name, val);
	else if (org->file >= 0 && org->file < cfg->nfiles)
		snprintf(buf, len, "%s = %s (%s:%d)", name, val, cfg->files[org->file],
			 org->line);
	else if (org->file == -2)
		snprintf(buf, len, "--%s %s", name, val);
	else
		snprintf(buf, len, "%s = %s (the default)", name, val);
	free(v);
	return buf;
}

#define WHERE(name)	opt_loc(cfg, (name), false, w1, sizeof(w1))
#define REF(name)	opt_loc(cfg, (name), true, w2, sizeof(w2))

int
config_validate(const struct xr_config *cfg, char *err, size_t errlen)
{
	char w1[192], w2[192];

	if (cfg->nmedia == 0) {
		if (cfg->nfiles)
			snprintf(err, errlen, "%s: media: at least one relay address is needed "
				 "(media = ADDR)", cfg->files[cfg->nfiles - 1]);
		else
			snprintf(err, errlen, "--media: at least one relay address is needed");
		return -EINVAL;
	}
	if (cfg->min_expires > cfg->max_expires) {
		snprintf(err, errlen, "%s: above %s", WHERE("min-expires"), REF("max-expires"));
		return -EINVAL;
	}
	if (cfg->default_expires < cfg->min_expires) {
		snprintf(err, errlen, "%s: below %s", WHERE("default-expires"),
			 REF("min-expires"));
		return -EINVAL;
	}
	if (cfg->default_expires > cfg->max_expires) {
		snprintf(err, errlen, "%s: above %s", WHERE("default-expires"),
			 REF("max-expires"));
		return -EINVAL;
	}
	if (cfg->sip_t2 < cfg->sip_t1) {
		snprintf(err, errlen, "%s: below %s", WHERE("sip-t2"), REF("sip-t1"));
		return -EINVAL;
	}
	if (cfg->nxdp == 0 && cfg->xdp_mode != XR_XDP_AUTO) {
		snprintf(err, errlen, "%s: no xdp interface to apply it to", WHERE("xdp-mode"));
		return -EINVAL;
	}
	if ((cfg->ndomains || cfg->nroutes) && cfg->nsip == 0) {
		snprintf(err, errlen, "%s: no sip listener to serve it",
			 WHERE(cfg->ndomains ? "domain" : "route"));
		return -EINVAL;
	}
	if (cfg->ctl_path[0] != '/') {
		snprintf(err, errlen, "%s: must be an absolute path", WHERE("ctl"));
		return -EINVAL;
	}
	if (cfg->pin_dir[0] != '/') {
		snprintf(err, errlen, "%s: must be an absolute path", WHERE("pin-dir"));
		return -EINVAL;
	}
	return 0;
}

#undef WHERE
#undef REF

void
config_dump(const struct xr_config *cfg, FILE *out)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (opts[i].dump)
			opts[i].dump(cfg, &opts[i], out);
}

void
config_usage(FILE *out)
{
	fprintf(out, "usage: xrelayd [options]\n\n"
		"Every long option is also a key of the config file (-c FILE), written\n"
		"`key = value`; repeatable options may be repeated there too.  Those marked\n"
		"[reload] take a new value from the file on SIGHUP; the others need a\n"
		"restart.\n\n");
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &opts[i];
		char lhs[64];
		int n;

		if (o->shortopt)
			n = snprintf(lhs, sizeof(lhs), "-%c, --%s", o->shortopt, o->name);
		else
			n = snprintf(lhs, sizeof(lhs), "    --%s", o->name);
		if (o->metavar && n > 0 && (size_t)n < sizeof(lhs))
			snprintf(lhs + n, sizeof(lhs) - (size_t)n, " %s", o->metavar);
		fprintf(out, "  %-30s %s%s\n", lhs, o->help, o->take ? " [reload]" : "");
	}
}

int
config_log_level(const struct xr_config *cfg, enum log_subsys s)
{
	if ((unsigned int)s < LS__MAX && cfg->log_levels[s] >= 0)
		return cfg->log_levels[s];
	return cfg->verbose > 0 ? LL_DEBUG : LL_INFO;
}

int
config_copy(struct xr_config *dst, const struct xr_config *src)
{
	*dst = *src;
	dst->ndomains = dst->nroutes = dst->nfiles = 0;
	for (int i = 0; i < src->ndomains; i++) {
		dst->domains[i] = strdup(src->domains[i]);
		if (!dst->domains[i])
			goto nomem;
		dst->ndomains++;
	}
	for (int i = 0; i < src->nroutes; i++) {
		if (route_copy(&dst->routes[i], &src->routes[i]) < 0)
			goto nomem;
		dst->nroutes++;
	}
	for (int i = 0; i < src->nfiles; i++) {
		dst->files[i] = strdup(src->files[i]);
		if (!dst->files[i])
			goto nomem;
		dst->nfiles++;
	}
	return 0;
nomem:
	config_free(dst);
	return -ENOMEM;
}

int
config_diff(const struct xr_config *a, const struct xr_config *b, struct xr_change *ch,
	    int max)
{
	int n = 0;

	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &opts[i];
		char *va, *vb;

		if (!o->dump)
			continue;
		va = opt_values(a, o, false);
		vb = opt_values(b, o, false);
		if (!va || !vb) {
			free(va);
			free(vb);
			config_changes_free(ch, n < max ? n : max);
			return -ENOMEM;
		}
		if (strcmp(va, vb) == 0) {
			free(va);
			free(vb);
			continue;
		}
		if (n < max) {
			ch[n].key = o->name;
			ch[n].from = va;
			ch[n].to = vb;
			ch[n].live = o->take != NULL;
		} else {
			free(va);
			free(vb);
		}
		n++;
	}
	return n;
}

void
config_changes_free(struct xr_change *ch, int n)
{
	for (int i = 0; i < n; i++) {
		free(ch[i].from);
		free(ch[i].to);
		ch[i].from = ch[i].to = NULL;
	}
}

int
config_take(struct xr_config *dst, const struct xr_config *src, const char *key)
{
	const struct opt *o = opt_by_name(key);
	int rc;

	if (!o)
		return -ENOENT;
	if (!o->take)
		return -EPERM;
	rc = o->take(dst, src, o);
	if (rc == 0) {
		/* The origin names a file by its index in src->files: find or add it in dst. */
		const struct xr_origin *org = &src->origin[o - opts];
		int f = org->file;

		if (f >= 0 && f < src->nfiles) {
			const char *path = src->files[f];

			f = -1;
			for (int i = 0; i < dst->nfiles; i++)
				if (strcmp(dst->files[i], path) == 0)
					f = i;
			if (f < 0 && dst->nfiles < XR_MAX_FILES &&
			    (dst->files[dst->nfiles] = strdup(path)))
				f = dst->nfiles++;
		} else if (f >= 0) {
			f = -1;
		}
		dst->origin[o - opts].file = f;
		dst->origin[o - opts].line = org->line;
	}
	return rc;
}

/* The published copy; written by config_publish() only (one publisher). */
static struct xr_config *live_cfg;

int
config_publish(const struct xr_config *cfg)
{
	struct xr_config *n = malloc(sizeof(*n)), *old;

	if (!n)
		return -ENOMEM;
	if (config_copy(n, cfg) < 0) {
		free(n);
		return -ENOMEM;
	}
	old = rcu_xchg_pointer(&live_cfg, n);
	if (old) {
		synchronize_rcu();
		config_free(old);
		free(old);
	}
	return 0;
}

int
config_workers(const struct xr_config *cfg)
{
	long ncpu;

	if (cfg->workers > 0)
		return cfg->workers;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	return ncpu > 0 ? (int)ncpu : 1;
}

const struct xr_config *
config_live(void)
{
	return rcu_dereference(live_cfg);
}

void
config_unpublish(void)
{
	struct xr_config *old = rcu_xchg_pointer(&live_cfg, NULL);

	if (old) {
		synchronize_rcu();
		config_free(old);
		free(old);
	}
}
