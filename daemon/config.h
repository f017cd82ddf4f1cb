/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config.h - xrelayd's configuration: one struct filled from the command line
 * and from a config file (-c FILE, inih), driven by one options table in
 * config.c so option names, config keys and --help never drift apart.
 * Modules get a const pointer to main.c's copy at start-up (the boot
 * configuration, never changed afterwards).  A SIGHUP reload (main.c)
 * publishes a new copy with the options that can change safely changed.
 * One way to read it, from any thread: config_now(boot) under
 * rcu_read_lock().  Options that need a restart are the same in every copy,
 * so they may be read from the boot pointer directly.
 */
#ifndef XR_CONFIG_H
#define XR_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/addr.h"
#include "common/log.h"
#include "policy/policy.h"

#define XR_MAX_ADDRS	16	/* --sip, --xdp entries */
#define XR_MAX_MEDIA	32	/* --media entries: a row of the kernel flow table each
				 * (XR_CFG_ADDRS, include/xrelay/flow.h); 32 x 32,256
				 * port pairs a side hold 500,000 sessions */
#define XR_MAX_DOMAINS	32	/* --domain entries */
#define XR_MAX_ROUTES	64	/* --route entries */
#define XR_MAX_TARGETS	16	/* URIs in one --route */
#define XR_MAX_FILES	8	/* config files named in errors (-c given this often) */
#define XR_MAX_OPTS	112	/* rows of the options table (checked in config.c) */
#define XR_MAX_CIDRS	POL_MAX_CIDRS	/* --trusted, --deny-dest entries */

enum xr_xdp_mode { XR_XDP_AUTO, XR_XDP_NATIVE, XR_XDP_GENERIC };

/*
 * How media ports are received (--media-sockets):
 *  SHARED:   one socket per --media address takes the whole --ports range
 *            through a BPF sk_lookup program (a session binds nothing);
 *            falls back to PORT, with a warning, when it cannot be attached.
 *  PORT:     a bound socket per relay port (four a session).
 */
enum xr_media_sockets { XR_MSOCK_PORT, XR_MSOCK_SHARED };	/* zeroed config: PORT */

/*
 * Latching policy (README "Latching"): which first packet may latch a side.
 *  STRICT:  source address and port equal the negotiated (SDP) ones.
 *  ADDRESS: source address equals the negotiated one, any port (port-only NAT).
 *  ANY:     the first packet from anywhere (peers behind full NAT).
 * No policy ever re-latches a side that is latched (RTP Bleed).
 */
enum xr_latch { XR_LATCH_STRICT, XR_LATCH_ADDRESS, XR_LATCH_ANY };

struct xr_route {
	char	*aor;				/* "user@domain" or "user" */
	char	*targets[XR_MAX_TARGETS];	/* SIP URIs forked to in parallel */
	int	 ntargets;
};

/* Where an option got its value, for error messages. */
struct xr_origin {
	int		 file;	/* -1 default, -2 command line, else index in files[] */
	int		 line;	/* line in that file */
};

struct xr_config {
	union xr_sa	 sip[XR_MAX_ADDRS];	/* --sip ADDR:PORT (UDP and TCP) */
	int		 nsip;
	union xr_sa	 media[XR_MAX_MEDIA];	/* --media ADDR (port 0) */
	int		 nmedia;
	uint16_t	 port_lo, port_hi;	/* --ports LO-HI (default 30000-39999) */
	char		 xdp_ifs[XR_MAX_ADDRS][IF_NAMESIZE]; /* --xdp IFNAME */
	int		 nxdp;
	enum xr_xdp_mode xdp_mode;		/* --xdp-mode (default auto) */
	enum xr_media_sockets media_sockets;	/* --media-sockets shared|port (default shared) */
	int		 max_sessions;		/* --max-sessions N (0: from the host's memory) */
	char		 ctl_path[108];		/* --ctl (default /run/xrelay/xrelay.sock) */
	char		 ctl_group[64];		/* --ctl-group NAME: may use the socket (default none) */
	char		 pin_dir[256];		/* --pin-dir (default /sys/fs/bpf/xrelay) */
	char		 user[64];		/* --user NAME: run as NAME once set up (default: stay) */
	char		 redis[256];		/* --redis URI (unix:/PATH, tcp:HOST:PORT); "" none */
	char		 node_id[64];		/* --node-id NAME for the Redis keys; "" host name */
	bool		 standby;		/* --standby: follow the active node, take over */
	char		*domains[XR_MAX_DOMAINS]; /* --domain NAME */
	int		 ndomains;
	struct xr_route	 routes[XR_MAX_ROUTES];	/* --route AOR=URI[,URI] */
	int		 nroutes;
	int		 media_timeout;		/* --media-timeout SEC (default 60) */
	enum xr_latch	 latch;			/* --latch strict|address|any (default strict) */
	int		 wrong_src_sample;	/* --wrong-source-sample PPS: passed up per CPU (10) */
	int		 media_max_pps;	/* --media-max-pps N: XDP cap per flow (0: off) */
	int		 pike_rate;		/* --pike-rate N: SIP requests/s per source (100; 0 off) */
	int		 pike_burst;		/* --pike-burst N: bucket size (300) */
	int		 ban_time;		/* --ban-time SEC: ban of a source over the rate (300) */
	int		 workers;		/* --workers N SIP threads (default: CPUs) */
	int		 tcp_idle;		/* --tcp-idle SEC (default 600) */
	int		 tcp_max_conns;		/* --tcp-max N (default 4096) */
	int		 tcp_max_per_source;	/* --tcp-max-per-source N untrusted (default 64) */
	int		 tcp_max_queue;		/* --tcp-max-queue BYTES per connection (64 KiB) */
	int		 tcp_max_queue_total;	/* --tcp-max-queue-total BYTES, all (64 MiB) */
	char		 dns_servers[256];	/* --dns-server ADDR[:PORT],...; "": resolv.conf */
	int		 dns_timeout;		/* --dns-timeout MS per query (default 2000) */
	int		 dns_max_pending;	/* --dns-max-pending N queries at once (256) */
	int		 min_expires;		/* --min-expires SEC (default 60) */
	int		 max_expires;		/* --max-expires SEC (default 3600) */
	int		 default_expires;	/* --default-expires SEC (default 3600) */
	int		 sip_t1;		/* --sip-t1 MS, RFC 3261 T1 (default 500) */
	int		 sip_t2;		/* --sip-t2 MS, T2 (default 4000) */
	int		 sip_t4;		/* --sip-t4 MS, T4 (default 5000) */
	int		 timer_c;		/* --timer-c SEC, proxy INVITE timer (default 180) */
	int		 log_levels[LS__MAX];	/* --log-level [SUBSYS=]LEVEL; -1: from verbose */
	union xr_sa	 metrics;		/* --metrics ADDR:PORT (HTTP /metrics); family 0: off */
	/* access control (README "Access control"); all change on reload */
	struct pol_cidr	 trusted[XR_MAX_CIDRS];	/* --trusted CIDR: trunks, gateways */
	int		 ntrusted;
	struct pol_cidr	 deny_dest[XR_MAX_CIDRS]; /* --deny-dest CIDR: never SIP or media there */
	int		 ndeny_dest;
	bool		 deny_dest_trusted;	/* --deny-dest-exempt-trusted: trusted may reach them */
	char		 credentials[256];	/* --credentials FILE of HA1s; "" none */
	int		 nonce_ttl;		/* --nonce-ttl SEC (default 300) */
	int		 auth_algs[2];		/* --auth-algorithms: enum auth_alg, preferred first */
	int		 nauth_algs;		/* (default SHA-256, MD5) */
	int		 max_contacts;		/* --max-contacts N per AOR (default 16) */
	int		 max_source_bindings;	/* --max-source-bindings N per source address (64) */
	/* limits under attack (README "Limits"); all change on reload */
	int		 max_calls;		/* --max-calls N: call records at once (10000) */
	int		 max_transactions;	/* --max-transactions N: SIP transactions (50000) */
	int		 prealloc_transactions;	/* --prealloc-transactions N: touched at start (0) */
	int		 max_registrations;	/* --max-registrations N: bindings in all (100000) */
	int		 max_media_sessions;	/* --max-media-sessions N: in all (0: --max-sessions) */
	int		 max_media_per_source;	/* --max-media-sessions-per-source N (200) */
	int		 max_streams;		/* --max-streams N: m= lines per call (4) */
	int		 max_branches;		/* --max-branches N: targets per request (8) */
	int		 auth_fail_ban;		/* --auth-fail-ban N failures ... (10; 0 off) */
	int		 auth_fail_window;	/* --auth-fail-window SEC ... within (60) */
	bool		 foreground;		/* -f */
	int		 verbose;		/* -v, repeatable */
	bool		 check_only;		/* -n: check the config, print it, exit */
	bool		 help;			/* -h: print config_usage() and exit */
	char		*files[XR_MAX_FILES];	/* config files read, for origin[] */
	int		 nfiles;
	struct xr_origin origin[XR_MAX_OPTS];	/* per options-table row: last setting */
};

/* Defaults for every field. */
void	config_defaults(struct xr_config *cfg);
/*
 * Fill cfg from argv (after config_defaults); a -c FILE is read at its place
 * in argv, so later options override it.  Returns 0, or -EINVAL after writing
 * a one-line reason to stderr.
 */
int	config_parse_args(struct xr_config *cfg, int argc, char **argv);
/* Read one config file (key = value, keys are the long option names). */
int	config_load_file(struct xr_config *cfg, const char *path);
/*
 * Check cross-field rules (at least one --media, expires and timer order, ...).
 * The reason names the file, line and key of the option at fault when it
 * came from a file ("f.conf:3: sip-t2 = 500: below sip-t1 = 1000 (f.conf:2)"),
 * else the option ("--sip-t2 500: ...").
 */
int	config_validate(const struct xr_config *cfg, char *err, size_t errlen);
/* Normalised dump, one "key = value" per line, that config_load_file reads back. */
void	config_dump(const struct xr_config *cfg, FILE *out);
void	config_free(struct xr_config *cfg);
void	config_usage(FILE *out);
/* Deep copy (dst is overwritten, not freed first).  0 or -ENOMEM (dst left empty). */
int	config_copy(struct xr_config *dst, const struct xr_config *src);
/* A subsystem's log level: its --log-level, else debug with -v, else info. */
int	config_log_level(const struct xr_config *cfg, enum log_subsys s);

/* ---- reload ---------------------------------------------------------------- */

/* One option whose value differs between two configurations. */
struct xr_change {
	const char	*key;		/* option name (static) */
	char		*from, *to;	/* values as config_dump writes them, "a, b" when
					 * repeated, "" when unset; malloc'd */
	bool		 live;		/* can change without a restart (config_take) */
};

/*
 * The options whose values differ between a and b, in table order, up to max
 * of them in ch[].  Returns how many differ (may exceed max), or -ENOMEM.
 * Free with config_changes_free(ch, min(returned, max)).
 */
int	config_diff(const struct xr_config *a, const struct xr_config *b,
		    struct xr_change *ch, int max);
void	config_changes_free(struct xr_change *ch, int n);
/*
 * Copy option key's value from src into dst (deep).  -EPERM when the option
 * cannot change without a restart, -ENOENT when there is no such option,
 * -ENOMEM (dst unchanged).
 */
int	config_take(struct xr_config *dst, const struct xr_config *src, const char *key);

/*
 * The running configuration, RCU-published: config_publish() deep-copies cfg,
 * makes the copy what config_live() returns, and frees the one it replaces
 * after a grace period (call from an RCU-registered thread, outside any
 * read-side section; one publisher: main.c).  0 or -ENOMEM.
 * config_live() must be called and its result used under rcu_read_lock();
 * NULL before the first publish.  config_unpublish() frees it at exit.
 */
int	config_publish(const struct xr_config *cfg);
const struct xr_config *config_live(void);
void	config_unpublish(void);

/*
 * The running configuration for a module given boot at start-up: the
 * published copy (a SIGHUP replaces it), or boot itself while nothing is
 * published (unit tests).  Call, and use the result, under rcu_read_lock().
 */
static inline const struct xr_config *
config_now(const struct xr_config *boot)
{
	const struct xr_config *live = config_live();

	return live ? live : boot;
}

/* --workers resolved: the number given, or one per online CPU for "auto". */
int	config_workers(const struct xr_config *cfg);
/* Where the one-line errors of the functions above go (NULL: stderr); for tests. */
void	config_set_errout(FILE *f);

#endif /* XR_CONFIG_H */
