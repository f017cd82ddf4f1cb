// SPDX-License-Identifier: GPL-2.0
/*
 * commands.c - the core control commands: status, flows, stats, metrics and
 * the media session API (media.create, media.delete, media.list).
 * Handlers run on the main loop's thread (ctl.h); they only read the config,
 * the fast-path maps (bpf syscalls) and media's RCU tables.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/route.h"
#include "ctl/commands.h"
#include "ctl/ctl.h"
#include "fastpath/fastpath.h"
#include "media/media.h"
#include "sip/stats.h"
#include "xrelay/counters.h"
#include "xrelay/flow.h"

static const struct xr_config *ccfg;
static struct fp *cfp;
static uint64_t started_ns;		/* xr_mono_ns() at init */
static json_t *(*sip_stats_fn)(void);	/* ctl_set_sip_stats() */

void
ctl_set_sip_stats(json_t *(*fn)(void))
{
	__atomic_store_n(&sip_stats_fn, fn, __ATOMIC_RELEASE);
}

static json_t *(*ha_status_fn)(void);		/* ctl_set_ha(): atomic */
static void (*ha_metrics_fn)(FILE *f);

void
ctl_set_ha(json_t *(*status)(void), void (*metrics)(FILE *f))
{
	__atomic_store_n(&ha_metrics_fn, metrics, __ATOMIC_RELEASE);
	__atomic_store_n(&ha_status_fn, status, __ATOMIC_RELEASE);
}

/* The SIP side's statistics (a new object), or NULL without SIP. */
static json_t *
sip_stats_json(void)
{
	json_t *(*fn)(void) = __atomic_load_n(&sip_stats_fn, __ATOMIC_ACQUIRE);

	return fn ? fn() : NULL;
}

static double
uptime_s(void)
{
	return (double)(xr_mono_ns() - started_ns) / 1e9;
}

/* "addr:port", or null for an address not known yet (family 0). */
static json_t *
sa_json(const union xr_sa *sa)
{
	char buf[XR_SA_STRLEN];

	if (sa->sa.sa_family != AF_INET && sa->sa.sa_family != AF_INET6)
		return json_null();
	return json_string(xr_sa_str(sa, buf, sizeof(buf)));
}

static const char *
link_mode(const struct fp_link *l)
{
	if (l->xdp_flags & XDP_FLAGS_DRV_MODE)
		return "native";
	if (l->xdp_flags & XDP_FLAGS_SKB_MODE)
		return "generic";
	return "auto";
}

/*
 * The --xdp interfaces: the mode each is attached in, or "userspace" when
 * the attach failed and media on it is relayed by the daemon (the fallback).
 */
static json_t *
xdp_json(void)
{
	json_t *a = json_array();

	for (int i = 0; ccfg && i < ccfg->nxdp; i++) {
		const struct fp_link *l = NULL;

		for (int j = 0; cfp && j < cfp->nlinks; j++)
			if (strcmp(cfp->links[j].name, ccfg->xdp_ifs[i]) == 0)
				l = &cfp->links[j];
		if (l)
			json_array_append_new(a, json_pack("{s:s, s:i, s:s}", "ifname", l->name,
							   "ifindex", l->ifindex,
							   "mode", link_mode(l)));
		else
			json_array_append_new(a, json_pack("{s:s, s:s}", "ifname",
							   ccfg->xdp_ifs[i], "mode", "userspace"));
	}
	return a;
}

/* The XDP program's id (as bpftool shows it), null without the fast path. */
static json_t *
prog_id_json(void)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (!cfp || cfp->prog_fd < 0 || bpf_obj_get_info_by_fd(cfp->prog_fd, &info, &len) < 0)
		return json_null();
	return json_integer(info.id);
}

/* An integer of the SIP side's statistics, or null (no SIP, or not reported). */
static json_t *
sip_count(json_t *sip, const char *key)
{
	json_t *v = json_object_get(sip, key);

	return json_is_integer(v) ? json_incref(v) : json_null();
}

/* What runs now: calls, flows (latched ones apart), registrations, sessions. */
static json_t *
status_counts(void)
{
	json_t *sip = sip_stats_json(), *flows = media_flows_json(), *row;
	int nflows = 0, nlatched = 0;
	size_t i;

	json_array_foreach(flows, i, row) {
		nflows++;
		nlatched += json_is_true(json_object_get(row, "latched"));
	}
	json_t *o = json_pack("{s:o, s:i, s:i, s:o, s:o, s:i}",
			      "calls", sip_count(sip, "dialogs"),
			      "flows", nflows, "flows_latched", nlatched,
			      "registrations", sip_count(sip, "bindings"),
			      "aors", sip_count(sip, "aors"),
			      "sessions", media_session_count());

	json_decref(sip);
	json_decref(flows);
	return o ? o : json_null();
}

/*
 * Media packets relayed since start: by the kernel (the XDP forward
 * counters; null without the fast path) and by the daemon.
 */
static json_t *
status_packets(void)
{
	json_t *media = media_stats_json(), *kernel = json_null(), *user;
	uint64_t c[XR_CNT__MAX];

	if (cfp && fp_counters(cfp, c) == 0)
		kernel = json_integer((json_int_t)(c[XR_CNT_fwd_redirect] + c[XR_CNT_fwd_tx]));
	user = json_object_get(json_object_get(media, "userspace"), "forwarded_packets");
	user = json_is_integer(user) ? json_incref(user) : json_integer(0);
	json_decref(media);
	return json_pack("{s:o, s:o}", "kernel", kernel, "userspace", user);
}

static int
cmd_status(json_t *args, json_t **result, char *err, size_t errlen)
{
	json_t *media = json_array(), *sip = json_array();
	char buf[XR_SA_STRLEN];

	for (int i = 0; i < ccfg->nmedia; i++)
		json_array_append_new(media, json_string(xr_sa_ipstr(&ccfg->media[i], buf,
								     sizeof(buf))));
	for (int i = 0; i < ccfg->nsip; i++) {
		xr_sa_str(&ccfg->sip[i], buf, sizeof(buf));
		json_array_append_new(sip, json_pack("{s:s, s:s}", "transport", "udp",
						     "addr", buf));
		json_array_append_new(sip, json_pack("{s:s, s:s}", "transport", "tcp",
						     "addr", buf));
	}
	*result = json_pack("{s:s, s:i, s:f, s:i, s:b, s:s, s:o, s:o, s:{s:i, s:i}, s:i, s:o}",
			    "version", XRELAY_VERSION,
			    "abi", XR_ABI_VERSION,
			    "uptime", uptime_s(),
			    "pid", (int)getpid(),
			    "kernel_path", cfp != NULL,
			    "pin_dir", cfp ? cfp->pin_dir : "",
			    "xdp", xdp_json(),
			    "media", media,
			    "ports", "lo", ccfg->port_lo, "hi", ccfg->port_hi,
			    "sessions", media_session_count(),
			    "sip", sip);
	if (!*result) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	json_object_set_new(*result, "prog_id", prog_id_json());
	json_object_set_new(*result, "counts", status_counts());
	json_object_set_new(*result, "packets", status_packets());
	{
		json_t *(*fn)(void) = __atomic_load_n(&ha_status_fn, __ATOMIC_ACQUIRE);

		if (fn)
			json_object_set_new(*result, "replication", fn());
	}
	return 0;
}

static int
cmd_flows(json_t *args, json_t **result, char *err, size_t errlen)
{
	*result = media_flows_json();
	if (!*result) {
		snprintf(err, errlen, "cannot list the flows");
		return -ENOMEM;
	}
	return 0;
}

/* Kernel counters by name; NULL without the fast path. */
static json_t *
kernel_counters_json(char *err, size_t errlen, int *rc)
{
	uint64_t c[XR_CNT__MAX];
	json_t *o;

	*rc = 0;
	if (!cfp)
		return NULL;
	*rc = fp_counters(cfp, c);
	if (*rc < 0) {
		snprintf(err, errlen, "cannot read the kernel counters: %s", strerror(-*rc));
		return NULL;
	}
	o = json_object();
	for (int i = 0; i < XR_CNT__MAX; i++)
		json_object_set_new(o, xr_cnt_names[i], json_integer((json_int_t)c[i]));
	return o;
}

/*
 * The next-hop epoch (fastpath/netlink.c): its value, how often it was
 * raised since start and by what; NULL without the fast path.
 */
static json_t *
next_hop_json(void)
{
	uint64_t by[FP_NH__MAX], total;
	json_t *causes;

	if (!cfp)
		return NULL;
	fp_netlink_nh_counts(by, &total);
	causes = json_object();
	for (int i = 0; i < FP_NH__MAX; i++)
		json_object_set_new(causes, fp_nh_why_names[i], json_integer((json_int_t)by[i]));
	return json_pack("{s:I, s:I, s:o}", "epoch", (json_int_t)fp_nh_epoch(cfp),
			 "refreshes", (json_int_t)total, "causes", causes);
}

static int
cmd_stats(json_t *args, json_t **result, char *err, size_t errlen)
{
	json_t *kernel, *media, *sip;
	int rc;

	kernel = kernel_counters_json(err, errlen, &rc);
	if (rc < 0)
		return rc;
	media = media_stats_json();
	*result = json_pack("{s:i, s:o}", "sessions", media_session_count(),
			    "media", media ? media : json_object());
	if (kernel) {
		json_object_set_new(*result, "kernel", kernel);
		json_object_set_new(*result, "next_hop", next_hop_json());
	}
	sip = sip_stats_json();
	if (sip)
		json_object_set_new(*result, "sip", sip);
	if (ccfg->nsip) {
		sip = sip_msg_stats_json();
		if (sip)
			json_object_set_new(*result, "sip_messages", sip);
	}
	return 0;
}

/* ---- metrics: Prometheus text exposition format 0.0.4 ----------------------- */

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Metric name from a JSON path: [a-zA-Z0-9_] only. */
static void
metric_name(char *dst, size_t len, const char *prefix, const char *key)
{
	size_t n = (size_t)snprintf(dst, len, "%s_%s", prefix, key);

	for (size_t i = 0; i < n && i < len; i++) {
		char ch = dst[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_'))
			dst[i] = '_';
	}
}

/*
 * Every number under media_stats_json(), flattened into one family each:
 * counters for packets/bytes/drops-like names, gauges for the rest.  Keys
 * in skip are exported elsewhere; arrays are left to metrics_ports().
 */
static void
metrics_media(FILE *f, const char *prefix, json_t *o)
{
	static const char *const skip[] = { "xrelay_media_sessions" };
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		char name[256];
		bool skipped = false;

		metric_name(name, sizeof(name), prefix, key);
		for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
			skipped |= strcmp(name, skip[i]) == 0;
		if (skipped)
			continue;
		if (json_is_object(v)) {
			metrics_media(f, name, v);
			continue;
		}
		if (!json_is_number(v) && !json_is_boolean(v))
			continue;
		bool counter = ends_with(name, "packets") || ends_with(name, "bytes") ||
			       ends_with(name, "drops") || ends_with(name, "dropped") ||
			       ends_with(name, "errors") || ends_with(name, "_total");
		const char *suffix = counter && !ends_with(name, "_total") ? "_total" : "";

		fprintf(f, "# HELP %s%s media: %s\n", name, suffix, key);
		fprintf(f, "# TYPE %s%s %s\n", name, suffix, counter ? "counter" : "gauge");
		if (json_is_integer(v))
			fprintf(f, "%s%s %lld\n", name, suffix, (long long)json_integer_value(v));
		else if (json_is_boolean(v))
			fprintf(f, "%s%s %d\n", name, suffix, json_is_true(v));
		else
			fprintf(f, "%s%s %.17g\n", name, suffix, json_number_value(v));
	}
}

/* The port pools of media_stats_json()'s "ports": one gauge family per field. */
static void
metrics_ports(FILE *f, json_t *ports)
{
	static const struct {
		const char *key, *name, *help;
	} fields[] = {
		{ "pairs", "xrelay_media_port_pairs", "RTP/RTCP port pairs in the range" },
		{ "pairs_in_use", "xrelay_media_port_pairs_in_use", "port pairs held by sessions" },
		{ "pairs_free", "xrelay_media_port_pairs_free", "port pairs free" },
	};
	json_t *p;
	size_t i;

	if (!json_is_array(ports) || json_array_size(ports) == 0)
		return;
	for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", fields[k].name, fields[k].help,
			fields[k].name);
		json_array_foreach(ports, i, p) {
			json_t *a = json_object_get(p, "address");

			fprintf(f, "%s{address=\"%s\"} %lld\n", fields[k].name,
				json_is_string(a) ? json_string_value(a) : "",
				(long long)json_integer_value(json_object_get(p, fields[k].key)));
		}
	}
}

struct sip_field {
	const char *sub, *key, *name, *type, *help;
};

/* The SIP side's numbers (ctl_set_sip_stats()), one family each: sip/counters.def. */
static void
metrics_sip(FILE *f, json_t *sip)
{
	static const struct sip_field fields[] = {
#define XR_SIP_TP(field, type, metric, help)	{ "transport", #field, metric, #type, help },
#define XR_SIP_GAUGE(field, metric, help)	{ NULL, #field, metric, "gauge", help },
#define XR_PX(field, key, metric, help)		{ NULL, key, metric, "counter", help },
#include "sip/counters.def"
		/* The access policy (proxy/access_cfg.c): under "sip" -> "access". */
		{ "access", "auth_challenges", "xrelay_sip_auth_challenges_total", "counter",
		  "401/407 digest challenges sent to untrusted sources" },
		{ "access", "auth_failures", "xrelay_sip_auth_failures_total", "counter",
		  "credentials refused (wrong password, unknown user, another user's)" },
		{ "access", "relay_forbidden", "xrelay_sip_relay_forbidden_total", "counter",
		  "requests from untrusted sources refused 403 Relay forbidden (foreign "
		  "target or Route set)" },
		{ "access", "dest_denied", "xrelay_sip_dest_denied_total", "counter",
		  "SIP next hops and SDP media addresses refused (loopback, ours, --deny-dest)" },
		{ "access", "identity_stripped", "xrelay_sip_identity_stripped_total", "counter",
		  "requests from untrusted sources whose P-Asserted/Preferred-Identity was removed" },
		{ "access", "credentials_users", "xrelay_sip_credentials_users", "gauge",
		  "users in the --credentials file" },
		{ "access", "credentials_sha256", "xrelay_sip_credentials_sha256", "gauge",
		  "users with a SHA-256 HA1" },
		{ "access", "credentials_md5", "xrelay_sip_credentials_md5", "gauge",
		  "users with an MD5 HA1" },
		{ "access", "trusted_prefixes", "xrelay_sip_trusted_prefixes", "gauge",
		  "--trusted prefixes in force" },
		{ "access", "denied_prefixes", "xrelay_sip_denied_prefixes", "gauge",
		  "--deny-dest prefixes in force" },
		{ "access", "own_addresses", "xrelay_sip_own_addresses", "gauge",
		  "addresses of this host no SIP or media is sent to" },
	};
	json_t *v;

	if (!json_is_object(sip))
		return;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		json_t *o = fields[i].sub ? json_object_get(sip, fields[i].sub) : sip;

		v = json_object_get(o, fields[i].key);
		if (!json_is_integer(v))
			continue;
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %lld\n", fields[i].name,
			fields[i].help, fields[i].name, fields[i].type, fields[i].name,
			(long long)json_integer_value(v));
	}
}

/* The next-hop epoch's raises (fastpath/netlink.c), in all and by cause. */
static void
metrics_next_hop(FILE *f)
{
	uint64_t by[FP_NH__MAX], total;

	fp_netlink_nh_counts(by, &total);
	fprintf(f, "# HELP xrelay_xdp_nh_refresh_total times every next hop the XDP program "
		"cached was to be asked afresh (a routing change, or a resync)\n"
		"# TYPE xrelay_xdp_nh_refresh_total counter\nxrelay_xdp_nh_refresh_total %llu\n",
		(unsigned long long)total);
	fprintf(f, "# HELP xrelay_xdp_nh_refresh_cause_total the same by what changed (one for "
		"several causes counts under each)\n# TYPE xrelay_xdp_nh_refresh_cause_total counter\n");
	for (int i = 0; i < FP_NH__MAX; i++)
		fprintf(f, "xrelay_xdp_nh_refresh_cause_total{cause=\"%s\"} %llu\n",
			fp_nh_why_names[i], (unsigned long long)by[i]);
}

/*
 * The whole exposition (text format 0.0.4), malloc'd; NULL with errno set.
 * Safe from any thread that may read the fast-path maps and media's RCU
 * tables (the HTTP /metrics endpoint calls it from its own).
 */
char *
ctl_metrics_text(void)
{
	uint64_t c[XR_CNT__MAX];
	char *text = NULL;
	size_t len = 0;
	json_t *media;
	FILE *f;

	f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fprintf(f, "# HELP xrelay_info xrelayd build and ABI\n# TYPE xrelay_info gauge\n"
		"xrelay_info{version=\"%s\",abi=\"%d\"} 1\n", XRELAY_VERSION, XR_ABI_VERSION);
	fprintf(f, "# HELP xrelay_uptime_seconds seconds since xrelayd started\n"
		"# TYPE xrelay_uptime_seconds gauge\nxrelay_uptime_seconds %.3f\n", uptime_s());
	fprintf(f, "# HELP xrelay_media_sessions media sessions in the table\n"
		"# TYPE xrelay_media_sessions gauge\nxrelay_media_sessions %d\n",
		media_session_count());
	fprintf(f, "# HELP xrelay_xdp_attached interfaces the XDP program is attached to\n"
		"# TYPE xrelay_xdp_attached gauge\nxrelay_xdp_attached %d\n",
		cfp ? cfp->nlinks : 0);
	if (cfp && fp_counters(cfp, c) == 0) {
		/* One family by reason, to sum and rate over... */
		fprintf(f, "# HELP xrelay_xdp_packets_total packets the XDP program handled, by "
			"outcome (fwd_*: forwarded in the kernel, pass_*: passed to the stack, "
			"and why)\n# TYPE xrelay_xdp_packets_total counter\n");
		for (int i = 0; i < XR_CNT__MAX; i++)
			fprintf(f, "xrelay_xdp_packets_total{reason=\"%s\"} %llu\n", xr_cnt_names[i],
				(unsigned long long)c[i]);
		/* ...and, as before, one family per reason with its own help. */
		for (int i = 0; i < XR_CNT__MAX; i++) {
			fprintf(f, "# HELP xrelay_xdp_%s_packets_total XDP: %s\n", xr_cnt_names[i],
				xr_cnt_help[i]);
			fprintf(f, "# TYPE xrelay_xdp_%s_packets_total counter\n", xr_cnt_names[i]);
			fprintf(f, "xrelay_xdp_%s_packets_total %llu\n", xr_cnt_names[i],
				(unsigned long long)c[i]);
		}
		metrics_next_hop(f);
	}
	media = media_stats_json();
	if (json_is_object(media)) {
		metrics_media(f, "xrelay_media", media);
		metrics_ports(f, json_object_get(media, "ports"));
	}
	json_decref(media);
	media = sip_stats_json();
	metrics_sip(f, media);
	json_decref(media);
	if (ccfg && ccfg->nsip)
		sip_msg_stats_metrics(f);
	{
		void (*fn)(FILE *) = __atomic_load_n(&ha_metrics_fn, __ATOMIC_ACQUIRE);

		if (fn)
			fn(f);
	}
	if (fclose(f) != 0) {
		free(text);
		errno = ENOMEM;
		return NULL;
	}
	return text;
}

static int
cmd_metrics(json_t *args, json_t **result, char *err, size_t errlen)
{
	char *text = ctl_metrics_text();

	if (!text) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*result = json_string(text);
	free(text);
	return *result ? 0 : -ENOMEM;
}

/* ---- media session API ------------------------------------------------------ */

/* s (args[key]; NULL: not a string) as a media endpoint "ADDR:PORT" (RTCP on PORT + 1). */
static int
endpoint_parse(const char *key, const char *s, union xr_sa *sa, char *err, size_t errlen)
{
	if (!s) {
		snprintf(err, errlen, "media.create: missing \"%s\": \"ADDR:PORT\"", key);
		return -EINVAL;
	}
	if (xr_sa_parse(sa, s, -1) < 0) {
		snprintf(err, errlen, "media.create: %s: '%s' is not ADDR:PORT", key, s);
		return -EINVAL;
	}
	if (xr_sa_is_any(sa)) {
		snprintf(err, errlen, "media.create: %s: '%s': the wildcard address", key, s);
		return -EINVAL;
	}
	if (xr_sa_port(sa) == 0 || xr_sa_port(sa) == 65535) {
		snprintf(err, errlen, "media.create: %s: '%s': the RTP port must be 1-65534 "
			 "(RTCP on port + 1)", key, s);
		return -EINVAL;
	}
	return 0;
}

static int
arg_endpoint(json_t *args, const char *key, union xr_sa *sa, char *err, size_t errlen)
{
	json_t *v = args ? json_object_get(args, key) : NULL;

	return endpoint_parse(key, json_is_string(v) ? json_string_value(v) : NULL, sa, err,
			      errlen);
}

/* A side is relayed from a --media address of its party's family. */
static int
check_family(const union xr_sa *sa, const char *key, char *err, size_t errlen)
{
	char buf[XR_SA_STRLEN];

	for (int i = 0; i < ccfg->nmedia; i++)
		if (ccfg->media[i].sa.sa_family == sa->sa.sa_family)
			return 0;
	snprintf(err, errlen, "media.create: %s: no --media address is IPv%d, as %s is", key,
		 sa->sa.sa_family == AF_INET6 ? 6 : 4, xr_sa_str(sa, buf, sizeof(buf)));
	return -EAFNOSUPPORT;
}

static json_t *
side_json(const struct media_side_info *s)
{
	char buf[XR_SA_STRLEN];
	uint16_t port = xr_sa_port(&s->local_rtp);

	return json_pack("{s:s, s:i, s:i, s:o}", "relay",
			 xr_sa_str(&s->local_rtp, buf, sizeof(buf)), "rtp", port, "rtcp", port + 1,
			 "remote", sa_json(&s->remote_rtp));
}

static json_t *
session_json(const struct media_session_info *si)
{
	return json_pack("{s:I, s:o, s:o}", "id", (json_int_t)si->id,
			 "a", side_json(&si->side[MEDIA_A]), "b", side_json(&si->side[MEDIA_B]));
}

/* media.create once its endpoints are parsed: the session made, si filled. */
static int
media_create(const union xr_sa *pa, const union xr_sa *pb, struct media_session_info *out,
	     char *err, size_t errlen)
{
	const union xr_sa a = *pa, b = *pb;
	struct media_session_info si;
	uint64_t id;
	int rc;

	if ((rc = check_family(&a, "a", err, errlen)) < 0 ||
	    (rc = check_family(&b, "b", err, errlen)) < 0)
		return rc;
	rc = media_session_create(&a, &b, &id);
	if (rc == -ENOSPC || rc == -EADDRINUSE) {
		snprintf(err, errlen, "media.create: no free port pair: the port range %u-%u "
			 "is exhausted", ccfg->port_lo, ccfg->port_hi);
		return rc;
	}
	if (rc == -EADDRNOTAVAIL) {
		char ra[INET6_ADDRSTRLEN] = "?", rb[INET6_ADDRSTRLEN] = "?";
		int ia = route_pick(ccfg->media, ccfg->nmedia, &a);
		int ib = route_pick(ccfg->media, ccfg->nmedia, &b);

		if (ia >= 0)
			xr_sa_ipstr(&ccfg->media[ia], ra, sizeof(ra));
		if (ib >= 0)
			xr_sa_ipstr(&ccfg->media[ib], rb, sizeof(rb));
		snprintf(err, errlen, "media.create: cannot bind the relay address %s%s%s (not on "
			 "this host?): %s", ra, ia != ib ? " or " : "", ia != ib ? rb : "",
			 strerror(-rc));
		return rc;
	}
	if (rc < 0) {
		snprintf(err, errlen, "media.create: %s", strerror(-rc));
		return rc;
	}
	rc = media_session_addrs(id, &si);
	if (rc < 0) {
		snprintf(err, errlen, "media.create: session %llu vanished: %s",
			 (unsigned long long)id, strerror(-rc));
		return rc;
	}
	*out = si;
	return 0;
}

static int
cmd_media_create(json_t *args, json_t **result, char *err, size_t errlen)
{
	struct media_session_info si;
	union xr_sa a, b;
	int rc;

	if ((rc = arg_endpoint(args, "a", &a, err, errlen)) < 0 ||
	    (rc = arg_endpoint(args, "b", &b, err, errlen)) < 0)
		return rc;
	rc = media_create(&a, &b, &si, err, errlen);
	if (rc < 0)
		return rc;
	*result = session_json(&si);
	return 0;
}

/* ---- the fast path of media.create / media.delete (ctl.h, ctl_fast_fn) -------- */

/* A fast argument that is a string, NUL-terminated into buf; NULL if not (or too long). */
static const char *
fast_str(const struct ctl_fast_req *r, const char *key, char *buf, size_t len, bool *other)
{
	const struct ctl_fast_arg *a = ctl_fast_arg(r, key);

	*other = a && (a->is_int || a->slen >= len);
	if (!a || *other)
		return NULL;
	memcpy(buf, a->str, a->slen);
	buf[a->slen] = '\0';
	return buf;
}

/* v in decimal at p; the end. */
static char *
put_uint(char *p, unsigned v)
{
	char t[10];
	int n = 0;

	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*p++ = t[--n];
	return p;
}

/*
 * sa as xr_sa_str() writes it, quoted, at p (room for XR_SA_STRLEN + 2);
 * IPv4 without snprintf and inet_ntop (a third of the reply's cost).  The end.
 */
static char *
put_sa(char *p, const union xr_sa *sa)
{
	*p++ = '"';
	if (sa->sa.sa_family == AF_INET) {
		const unsigned char *a = (const unsigned char *)&sa->sin.sin_addr;

		for (int i = 0; i < 4; i++) {
			p = put_uint(p, a[i]);
			*p++ = i < 3 ? '.' : ':';
		}
		p = put_uint(p, xr_sa_port(sa));
	} else {
		char b[XR_SA_STRLEN];
		size_t n = strlen(xr_sa_str(sa, b, sizeof(b)));

		memcpy(p, b, n);
		p += n;
	}
	*p++ = '"';
	return p;
}

/*
 * side_json() as text: {"relay":..,"rtp":..,"rtcp":..,"remote":..} at out
 * (room for 2 x XR_SA_STRLEN + 64); its length.
 */
static int
side_text(char *out, const struct media_side_info *s)
{
	uint16_t port = xr_sa_port(&s->local_rtp);
	const union xr_sa *r = &s->remote_rtp;
	char *p = out;

	memcpy(p, "{\"relay\":", 9);
	p = put_sa(p + 9, &s->local_rtp);
	memcpy(p, ",\"rtp\":", 7);
	p = put_uint(p + 7, port);
	memcpy(p, ",\"rtcp\":", 8);
	p = put_uint(p + 8, port + 1u);
	memcpy(p, ",\"remote\":", 10);
	p += 10;
	if (r->sa.sa_family == AF_INET || r->sa.sa_family == AF_INET6) {
		p = put_sa(p, r);
	} else {
		memcpy(p, "null", 4);
		p += 4;
	}
	*p++ = '}';
	return (int)(p - out);
}

/*
 * The same checks, session and errors as cmd_media_create(); the reply
 * written as session_json() would (t_ctl_protocol, test_ctl compare them).
 * Endpoints that are not strings go the general way (its error message).
 */
static int
fast_media_create(const struct ctl_fast_req *r, char *out, size_t len, char *err,
		  size_t errlen)
{
	char sa[XR_SA_STRLEN + 8], sb[XR_SA_STRLEN + 8];
	struct media_session_info si;
	const char *pa, *pb;
	bool oa, ob;
	union xr_sa a, b;
	int rc, n;

	if (len < 512)
		return 0;
	pa = fast_str(r, "a", sa, sizeof(sa), &oa);
	pb = fast_str(r, "b", sb, sizeof(sb), &ob);
	if (oa || ob)
		return 0;
	if ((rc = endpoint_parse("a", pa, &a, err, errlen)) < 0 ||
	    (rc = endpoint_parse("b", pb, &b, err, errlen)) < 0)
		return rc;
	rc = media_create(&a, &b, &si, err, errlen);
	if (rc < 0)
		return rc;
	/* len >= 512: room for the id and two sides (2 x 2 x XR_SA_STRLEN + 64 each) */
	n = snprintf(out, len, "{\"id\":%llu,\"a\":", (unsigned long long)si.id);
	n += side_text(out + n, &si.side[MEDIA_A]);
	memcpy(out + n, ",\"b\":", 5);
	n += 5;
	n += side_text(out + n, &si.side[MEDIA_B]);
	out[n++] = '}';
	return n;
}

/* Delete session id for media.delete (both paths): 0, or -errno with err set. */
static int
media_delete(uint64_t id, char *err, size_t errlen)
{
	int rc = media_session_delete(id);

	if (rc == -ENOENT)
		snprintf(err, errlen, "media.delete: no session %llu", (unsigned long long)id);
	else if (rc < 0)
		snprintf(err, errlen, "media.delete: %s", strerror(-rc));
	return rc < 0 ? rc : 0;
}

/* media.delete with an integer id; a string id or none goes the general way. */
static int
fast_media_delete(const struct ctl_fast_req *r, char *out, size_t len, char *err,
		  size_t errlen)
{
	const struct ctl_fast_arg *a = ctl_fast_arg(r, "id");
	uint64_t id;
	int rc;

	if (len < 64 || !a || !a->is_int || a->ival < 0)
		return 0;
	id = (uint64_t)a->ival;
	if ((rc = media_delete(id, err, errlen)) < 0)
		return rc;
	return snprintf(out, len, "{\"deleted\":%llu}", (unsigned long long)id);
}

/* args.id as a session id: a JSON integer or a decimal string. */
static int
arg_id(json_t *args, const char *cmd, uint64_t *id, char *err, size_t errlen)
{
	json_t *v = args ? json_object_get(args, "id") : NULL;

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*id = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;

		errno = 0;
		*id = strtoull(s, &end, 10);
		if (*s >= '0' && *s <= '9' && !*end && !errno)
			return 0;
	}
	snprintf(err, errlen, "%s: missing or bad \"id\" (a session id)", cmd);
	return -EINVAL;
}

static int
cmd_media_delete(json_t *args, json_t **result, char *err, size_t errlen)
{
	uint64_t id;
	int rc;

	if ((rc = arg_id(args, "media.delete", &id, err, errlen)) < 0)
		return rc;
	if ((rc = media_delete(id, err, errlen)) < 0)
		return rc;
	*result = json_pack("{s:I}", "deleted", (json_int_t)id);
	return 0;
}

/* media.list's ids, gathered by media_session_walk() */
struct id_list {
	uint64_t	*ids;
	size_t		 n, cap;
	bool		 oom;
};

static void
id_list_add(uint64_t id, void *arg)
{
	struct id_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		uint64_t *ids = l->oom ? NULL : realloc(l->ids, cap * sizeof(*ids));

		if (!ids) {
			l->oom = true;
			return;
		}
		l->ids = ids;
		l->cap = cap;
	}
	l->ids[l->n++] = id;
}

static int
id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * media.list: every session, in the order they were made (ids grow), each
 * described by media_session_info().  The ids come from the session table
 * itself (one walk, then a sort): O(n log n), where scanning the flow list
 * for each session's first flow was quadratic (minutes of the control
 * thread at 250,000 sessions).  A session deleted between the walk and its
 * description is left out.
 */
static int
cmd_media_list(json_t *args, json_t **result, char *err, size_t errlen)
{
	struct id_list l = { 0 };
	json_t *out;

	(void)args;
	media_session_walk(id_list_add, &l);
	if (l.oom) {
		free(l.ids);
		snprintf(err, errlen, "out of memory listing %zu sessions", l.n);
		return -ENOMEM;
	}
	if (l.n)	/* qsort() takes no NULL, even for 0 items */
		qsort(l.ids, l.n, sizeof(*l.ids), id_cmp);
	out = json_array();
	for (size_t i = 0; i < l.n; i++) {
		struct media_session_info si;

		if (media_session_info(l.ids[i], &si) == 0)
			json_array_append_new(out, session_json(&si));
	}
	free(l.ids);
	*result = out;
	return 0;
}

int
ctl_commands_init(const struct xr_config *cfg, struct fp *fp)
{
	static const struct {
		const char	*name;
		ctl_fn		 fn;
		const char	*help;
	} core[] = {
		{ "status", cmd_status, "version, uptime, XDP interfaces, media and SIP addresses" },
		{ "flows", cmd_flows, "every media flow with kernel and userspace counters" },
		{ "stats", cmd_stats, "XDP counters by reason, media and SIP statistics" },
		{ "metrics", cmd_metrics, "the statistics in Prometheus text format" },
		{ "media.create", cmd_media_create, "{a, b}: relay between ADDR:PORT a and b" },
		{ "media.delete", cmd_media_delete, "{id}: delete a media session" },
		{ "media.list", cmd_media_list, "every media session" },
	};
	int rc;

	ccfg = cfg;
	cfp = fp;
	started_ns = xr_mono_ns();
	rc = ctl_set_group(cfg->ctl_group);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < sizeof(core) / sizeof(core[0]); i++) {
		rc = ctl_register(core[i].name, core[i].fn, core[i].help);
		if (rc < 0 && rc != -EEXIST)
			return rc;
	}
	ctl_register_fast("media.create", fast_media_create);
	ctl_register_fast("media.delete", fast_media_delete);
	return 0;
}
