// SPDX-License-Identifier: GPL-2.0
/*
 * config_opts.c - the value types of xrelayd's options (config.c's table
 * names one per row): parse a value from the command line or a file (p_),
 * dump it as "key = value" lines (d_), copy it from another configuration
 * for a SIGHUP reload (t_).  Errors are one-line reasons without the option
 * name (config.c adds it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"

/* ---- parsers --------------------------------------------------------------- */

static int
parse_long(const char *val, long lo, long hi, long *out, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (!*val || *end || errno) {
		snprintf(err, errlen, "not a number");
		return -EINVAL;
	}
	if (v < lo || v > hi) {
		snprintf(err, errlen, "must be between %ld and %ld", lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int
p_int(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen)
{
	long v;
	int rc = parse_long(val, o->lo, o->hi, &v, err, errlen);

	if (rc == 0)
		*FIELD(cfg, o, int) = (int)v;
	return rc;
}

void
d_int(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	fprintf(out, "%s = %d\n", o->name, *CFIELD(cfg, o, int));
}

/* --workers: a number, or "auto" (0: one per CPU, config_workers()). */
int
p_workers(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen)
{
	if (strcmp(val, "auto") == 0) {
		cfg->workers = 0;
		return 0;
	}
	return p_int(cfg, o, val, err, errlen);
}

void
d_workers(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	if (cfg->workers == 0)
		fprintf(out, "%s = auto\n", o->name);
	else
		d_int(cfg, o, out);
}

static int
parse_bool(const char *val, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(val, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(val, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* A flag: no argument on the command line, yes/no in a file. */
int
p_bool(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen)
{
	bool b = true;

	if (val && parse_bool(val, &b) < 0) {
		snprintf(err, errlen, "expected yes or no");
		return -EINVAL;
	}
	*FIELD(cfg, o, bool) = b;
	return 0;
}

void
d_bool(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	fprintf(out, "%s = %s\n", o->name, *CFIELD(cfg, o, bool) ? "yes" : "no");
}

void
d_optbool(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	if (*CFIELD(cfg, o, bool))
		d_bool(cfg, o, out);
}

/* -v on the command line adds one; "verbose = N" in a file sets it. */
int
p_verbose(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen)
{
	long v;

	if (!val) {
		if (cfg->verbose < (int)o->hi)
			cfg->verbose++;
		return 0;
	}
	if (parse_long(val, o->lo, o->hi, &v, err, errlen) < 0)
		return -EINVAL;
	cfg->verbose = (int)v;
	return 0;
}

int
p_string(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen)
{
	char *dst = FIELD(cfg, o, char);

	if (!*val) {
		snprintf(err, errlen, "must not be empty");
		return -EINVAL;
	}
	if (strlen(val) >= (size_t)o->hi) {
		snprintf(err, errlen, "longer than %ld characters", o->hi - 1);
		return -EINVAL;
	}
	memcpy(dst, val, strlen(val) + 1);
	return 0;
}

void
d_string(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	fprintf(out, "%s = %s\n", o->name, CFIELD(cfg, o, char));
}

/* A string option with no default: no line while it is unset. */
void
d_optstring(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	if (*CFIELD(cfg, o, char))
		d_string(cfg, o, out);
}

int
p_sip(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen)
{
	union xr_sa sa;

	if (cfg->nsip >= XR_MAX_ADDRS) {
		snprintf(err, errlen, "more than %d SIP listeners", XR_MAX_ADDRS);
		return -EINVAL;
	}
	if (xr_sa_parse(&sa, val, 5060) < 0) {
		snprintf(err, errlen, "not an ADDR:PORT");
		return -EINVAL;
	}
	if (xr_sa_port(&sa) == 0) {
		snprintf(err, errlen, "port 0");
		return -EINVAL;
	}
	for (int i = 0; i < cfg->nsip; i++) {
		if (xr_sa_eq(&cfg->sip[i], &sa)) {
			snprintf(err, errlen, "given twice");
			return -EINVAL;
		}
	}
	cfg->sip[cfg->nsip++] = sa;
	return 0;
}

void
d_sip(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	char buf[XR_SA_STRLEN];

	for (int i = 0; i < cfg->nsip; i++)
		fprintf(out, "%s = %s\n", o->name, xr_sa_str(&cfg->sip[i], buf, sizeof(buf)));
}

int
p_media(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen)
{
	union xr_sa sa;

	if (cfg->nmedia >= XR_MAX_MEDIA) {
		snprintf(err, errlen, "more than %d media addresses", XR_MAX_MEDIA);
		return -EINVAL;
	}
	if (xr_sa_parse_ip(&sa, val) < 0) {
		snprintf(err, errlen, "not an IPv4 or IPv6 address");
		return -EINVAL;
	}
	if (xr_sa_is_any(&sa)) {
		snprintf(err, errlen, "the wildcard address cannot be sent in SDP");
		return -EINVAL;
	}
	for (int i = 0; i < cfg->nmedia; i++) {
		if (xr_sa_ip_eq(&cfg->media[i], &sa)) {
			snprintf(err, errlen, "given twice");
			return -EINVAL;
		}
	}
	cfg->media[cfg->nmedia++] = sa;
	return 0;
}

void
d_media(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	char buf[INET6_ADDRSTRLEN];

	for (int i = 0; i < cfg->nmedia; i++)
		fprintf(out, "%s = %s\n", o->name, xr_sa_ipstr(&cfg->media[i], buf, sizeof(buf)));
}

int
p_ports(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen)
{
	char lo_s[16], *dash = strchr(val, '-');
	long lo, hi;

	if (!dash || (size_t)(dash - val) >= sizeof(lo_s)) {
		snprintf(err, errlen, "expected LO-HI");
		return -EINVAL;
	}
	memcpy(lo_s, val, (size_t)(dash - val));
	lo_s[dash - val] = '\0';
	if (parse_long(lo_s, 1, 65535, &lo, err, errlen) < 0 ||
	    parse_long(dash + 1, 1, 65535, &hi, err, errlen) < 0) {
		snprintf(err, errlen, "expected LO-HI, ports between 1 and 65535");
		return -EINVAL;
	}
	if (lo & 1) {
		snprintf(err, errlen, "the low port must be even");
		return -EINVAL;
	}
	if (!(hi & 1)) {
		snprintf(err, errlen, "the high port must be odd (RTCP of the last pair)");
		return -EINVAL;
	}
	if (hi <= lo) {
		snprintf(err, errlen, "the high port must be above the low port");
		return -EINVAL;
	}
	cfg->port_lo = (uint16_t)lo;
	cfg->port_hi = (uint16_t)hi;
	return 0;
}

void
d_ports(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	fprintf(out, "%s = %u-%u\n", o->name, cfg->port_lo, cfg->port_hi);
}

int
p_xdp(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen)
{
	if (cfg->nxdp >= XR_MAX_ADDRS) {
		snprintf(err, errlen, "more than %d interfaces", XR_MAX_ADDRS);
		return -EINVAL;
	}
	if (!*val || strlen(val) >= IF_NAMESIZE || strpbrk(val, "/ \t:")) {
		snprintf(err, errlen, "not an interface name");
		return -EINVAL;
	}
	for (int i = 0; i < cfg->nxdp; i++) {
		if (strcmp(cfg->xdp_ifs[i], val) == 0) {
			snprintf(err, errlen, "given twice");
			return -EINVAL;
		}
	}
	memcpy(cfg->xdp_ifs[cfg->nxdp++], val, strlen(val) + 1);
	return 0;
}

void
d_xdp(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	for (int i = 0; i < cfg->nxdp; i++)
		fprintf(out, "%s = %s\n", o->name, cfg->xdp_ifs[i]);
}

static const char *const xdp_mode_names[] = {
	[XR_XDP_AUTO] = "auto", [XR_XDP_NATIVE] = "native", [XR_XDP_GENERIC] = "generic",
};
static const char *const latch_names[] = {
	[XR_LATCH_STRICT] = "strict", [XR_LATCH_ADDRESS] = "address", [XR_LATCH_ANY] = "any",
};

int
p_xdp_mode(struct xr_config *cfg, const struct opt *o, const char *val, char *err,
	   size_t errlen)
{
	for (int i = 0; i < 3; i++) {
		if (strcmp(val, xdp_mode_names[i]) == 0) {
			cfg->xdp_mode = (enum xr_xdp_mode)i;
			return 0;
		}
	}
	snprintf(err, errlen, "expected native, generic or auto");
	return -EINVAL;
}

void
d_xdp_mode(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	fprintf(out, "%s = %s\n", o->name, xdp_mode_names[cfg->xdp_mode]);
}

static const char *const media_sockets_names[] = {
	[XR_MSOCK_SHARED] = "shared", [XR_MSOCK_PORT] = "port",
};

int
p_media_sockets(struct xr_config *cfg, const struct opt *o, const char *val, char *err,
		size_t errlen)
{
	for (int i = 0; i < 2; i++) {
		if (strcmp(val, media_sockets_names[i]) == 0) {
			cfg->media_sockets = (enum xr_media_sockets)i;
			return 0;
		}
	}
	snprintf(err, errlen, "expected shared or port");
	return -EINVAL;
}

void
d_media_sockets(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	fprintf(out, "%s = %s\n", o->name, media_sockets_names[cfg->media_sockets]);
}

int
p_latch(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen)
{
	for (int i = 0; i < 3; i++) {
		if (strcmp(val, latch_names[i]) == 0) {
			cfg->latch = (enum xr_latch)i;
			return 0;
		}
	}
	snprintf(err, errlen, "expected strict, address or any");
	return -EINVAL;
}

void
d_latch(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	fprintf(out, "%s = %s\n", o->name, latch_names[cfg->latch]);
}

/* A domain name: letters, digits, '-', '.', no leading or trailing dot. */
static bool
valid_domain(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return false;
	}
	return true;
}

int
p_domain(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen)
{
	char *d;

	if (cfg->ndomains >= XR_MAX_DOMAINS) {
		snprintf(err, errlen, "more than %d domains", XR_MAX_DOMAINS);
		return -EINVAL;
	}
	if (!valid_domain(val)) {
		snprintf(err, errlen, "not a domain name");
		return -EINVAL;
	}
	for (int i = 0; i < cfg->ndomains; i++) {
		if (strcasecmp(cfg->domains[i], val) == 0) {
			snprintf(err, errlen, "given twice");
			return -EINVAL;
		}
	}
	d = strdup(val);
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (char *p = d; *p; p++)	/* domains compare case-insensitively */
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	cfg->domains[cfg->ndomains++] = d;
	return 0;
}

void
d_domain(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	for (int i = 0; i < cfg->ndomains; i++)
		fprintf(out, "%s = %s\n", o->name, cfg->domains[i]);
}

static bool
valid_uri(const char *u)
{
	if (strncasecmp(u, "sip:", 4) == 0)
		u += 4;
	else if (strncasecmp(u, "sips:", 5) == 0)
		u += 5;
	else
		return false;
	if (!*u)
		return false;
	for (; *u; u++)
		if (*u == ' ' || *u == '\t' || *u == '<' || *u == '>' || *u == '"')
			return false;
	return true;
}

void
route_free(struct xr_route *r)
{
	free(r->aor);
	for (int i = 0; i < r->ntargets; i++)
		free(r->targets[i]);
	memset(r, 0, sizeof(*r));
}

/* AOR=URI[,URI...]: the AOR is "user" or "user@domain", each URI sip: or sips:. */
int
p_route(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen)
{
	const char *eq = strchr(val, '=');
	struct xr_route r = { 0 };
	const char *p;

	if (cfg->nroutes >= XR_MAX_ROUTES) {
		snprintf(err, errlen, "more than %d routes", XR_MAX_ROUTES);
		return -EINVAL;
	}
	if (!eq || eq == val) {
		snprintf(err, errlen, "expected AOR=URI[,URI]");
		return -EINVAL;
	}
	r.aor = strndup(val, (size_t)(eq - val));
	if (!r.aor)
		goto out_nomem;
	if (strpbrk(r.aor, " \t:,;<>\"")) {
		snprintf(err, errlen, "the AOR must be user or user@domain");
		goto out_inval;
	}
	for (int i = 0; i < cfg->nroutes; i++) {
		if (strcasecmp(cfg->routes[i].aor, r.aor) == 0) {
			snprintf(err, errlen, "a second route for %s", r.aor);
			goto out_inval;
		}
	}
	p = eq + 1;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char *u;

		if (r.ntargets >= XR_MAX_TARGETS) {
			snprintf(err, errlen, "more than %d targets", XR_MAX_TARGETS);
			goto out_inval;
		}
		u = strndup(p, n);
		if (!u)
			goto out_nomem;
		r.targets[r.ntargets++] = u;
		if (!valid_uri(u)) {
			snprintf(err, errlen, "'%s' is not a sip: or sips: URI", u);
			goto out_inval;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	cfg->routes[cfg->nroutes++] = r;
	return 0;

out_nomem:
	snprintf(err, errlen, "out of memory");
	route_free(&r);
	return -ENOMEM;
out_inval:
	route_free(&r);
	return -EINVAL;
}

void
d_route(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	for (int i = 0; i < cfg->nroutes; i++) {
		const struct xr_route *r = &cfg->routes[i];

		fprintf(out, "%s = %s=", o->name, r->aor);
		for (int j = 0; j < r->ntargets; j++)
			fprintf(out, "%s%s", j ? "," : "", r->targets[j]);
		fputc('\n', out);
	}
}

/*
 * --log-level [SUBSYS=]LEVEL: one subsystem's level, or every subsystem's
 * without SUBSYS; later settings override earlier ones.
 */
int
p_log_level(struct xr_config *cfg, const struct opt *o, const char *val, char *err,
	    size_t errlen)
{
	const char *eq = strchr(val, '=');
	char sub[32];
	int s = -1, lvl;

	if (eq) {
		if ((size_t)(eq - val) >= sizeof(sub)) {
			snprintf(err, errlen, "unknown subsystem (one of: %s)", log_subsys_list());
			return -EINVAL;
		}
		memcpy(sub, val, (size_t)(eq - val));
		sub[eq - val] = '\0';
		s = log_subsys_parse(sub);
		if (s < 0) {
			snprintf(err, errlen, "unknown subsystem '%s' (one of: %s)", sub,
				 log_subsys_list());
			return -EINVAL;
		}
		val = eq + 1;
	}
	lvl = log_level_parse(val);
	if (lvl < 0) {
		snprintf(err, errlen, "unknown level '%s' (one of: %s)", val, log_level_list());
		return -EINVAL;
	}
	for (int i = 0; i < LS__MAX; i++)
		if (s < 0 || i == s)
			cfg->log_levels[i] = lvl;
	return 0;
}

void
d_log_level(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	for (int i = 0; i < LS__MAX; i++)
		if (cfg->log_levels[i] >= 0)
			fprintf(out, "%s = %s=%s\n", o->name, log_subsys_name((enum log_subsys)i),
				log_level_name(cfg->log_levels[i]));
}

/* --metrics ADDR:PORT, v4 or v6, the port required. */
int
p_metrics(struct xr_config *cfg, const struct opt *o, const char *val, char *err,
	  size_t errlen)
{
	union xr_sa sa;

	if (xr_sa_parse(&sa, val, -1) < 0 || xr_sa_port(&sa) == 0) {
		snprintf(err, errlen, "not an ADDR:PORT");
		return -EINVAL;
	}
	cfg->metrics = sa;
	return 0;
}

void
d_metrics(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	char buf[XR_SA_STRLEN];

	if (cfg->metrics.sa.sa_family)
		fprintf(out, "%s = %s\n", o->name, xr_sa_str(&cfg->metrics, buf, sizeof(buf)));
}

/* ---- reload: take an option's value from another config ---------------------- */

int
t_int(struct xr_config *dst, const struct xr_config *src, const struct opt *o)
{
	*FIELD(dst, o, int) = *CFIELD(src, o, int);
	return 0;
}

int
t_latch(struct xr_config *dst, const struct xr_config *src, const struct opt *o)
{
	dst->latch = src->latch;
	return 0;
}

int
t_log_level(struct xr_config *dst, const struct xr_config *src, const struct opt *o)
{
	memcpy(dst->log_levels, src->log_levels, sizeof(dst->log_levels));
	return 0;
}

int
route_copy(struct xr_route *dst, const struct xr_route *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->aor = strdup(src->aor);
	if (!dst->aor)
		return -ENOMEM;
	for (int i = 0; i < src->ntargets; i++) {
		dst->targets[i] = strdup(src->targets[i]);
		if (!dst->targets[i]) {
			route_free(dst);
			return -ENOMEM;
		}
		dst->ntargets++;
	}
	return 0;
}

/* All of src's routes or, on -ENOMEM, none of them (dst unchanged). */
int
t_route(struct xr_config *dst, const struct xr_config *src, const struct opt *o)
{
	struct xr_route r[XR_MAX_ROUTES];
	int i;

	for (i = 0; i < src->nroutes; i++) {
		if (route_copy(&r[i], &src->routes[i]) < 0) {
			while (i-- > 0)
				route_free(&r[i]);
			return -ENOMEM;
		}
	}
	for (i = 0; i < dst->nroutes; i++)
		route_free(&dst->routes[i]);
	memcpy(dst->routes, r, sizeof(r[0]) * (size_t)src->nroutes);
	dst->nroutes = src->nroutes;
	return 0;
}

/* ---- access control (README "Access control") ----------------------------------- */

/* --trusted / --deny-dest CIDR[,CIDR...]: appended to the list at off. */
int
p_cidrs(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen)
{
	struct pol_cidr *v = FIELD(cfg, o, struct pol_cidr);
	int *n = (int *)((char *)cfg + (size_t)o->lo);	/* lo: offset of the count */
	const char *p = val;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char one[INET6_ADDRSTRLEN + 8];
		struct pol_cidr c;

		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0 || len >= sizeof(one)) {
			snprintf(err, errlen, "expected CIDR[,CIDR] (10.0.0.0/8, 2001:db8::/32)");
			return -EINVAL;
		}
		memcpy(one, p, len);
		one[len] = '\0';
		if (pol_cidr_parse(one, &c) < 0) {
			snprintf(err, errlen, "'%s' is not an address or prefix with its host bits "
				 "clear (10.0.0.0/8, 2001:db8::/32)", one);
			return -EINVAL;
		}
		if (*n >= XR_MAX_CIDRS) {
			snprintf(err, errlen, "more than %d prefixes", XR_MAX_CIDRS);
			return -EINVAL;
		}
		v[(*n)++] = c;
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

void
d_cidrs(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	const struct pol_cidr *v = CFIELD(cfg, o, struct pol_cidr);
	int n = *(const int *)((const char *)cfg + (size_t)o->lo);
	char buf[INET6_ADDRSTRLEN + 8];

	for (int i = 0; i < n; i++)
		fprintf(out, "%s = %s\n", o->name, pol_cidr_str(&v[i], buf, sizeof(buf)));
}

/* --auth-algorithms SHA-256,MD5: which digests are challenged for, in order. */
int
p_auth_algs(struct xr_config *cfg, const struct opt *o, const char *val, char *err,
	    size_t errlen)
{
	static const char *const names[] = { "SHA-256", "MD5" };	/* enum auth_alg order */
	char buf[64], *save = NULL;
	int n = 0, v[2];

	if (strlen(val) >= sizeof(buf))
		goto bad;
	strcpy(buf, val);
	for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		int a = -1;

		for (int i = 0; i < 2; i++)
			if (strcasecmp(t, names[i]) == 0)
				a = i;
		if (a < 0 || n == 2 || (n == 1 && v[0] == a))
			goto bad;
		v[n++] = a;
	}
	if (n == 0)
		goto bad;
	memcpy(cfg->auth_algs, v, sizeof(v[0]) * (size_t)n);
	cfg->nauth_algs = n;
	return 0;
bad:
	snprintf(err, errlen, "expected SHA-256, MD5 or both in order of preference");
	return -EINVAL;
}

void
d_auth_algs(const struct xr_config *cfg, const struct opt *o, FILE *out)
{
	fprintf(out, "%s = ", o->name);
	for (int i = 0; i < cfg->nauth_algs; i++)
		fprintf(out, "%s%s", i ? "," : "", cfg->auth_algs[i] == 0 ? "SHA-256" : "MD5");
	fputc('\n', out);
}

int
t_auth_algs(struct xr_config *dst, const struct xr_config *src, const struct opt *o)
{
	memcpy(dst->auth_algs, src->auth_algs, sizeof(dst->auth_algs));
	dst->nauth_algs = src->nauth_algs;
	return 0;
}

int
t_bool(struct xr_config *dst, const struct xr_config *src, const struct opt *o)
{
	*FIELD(dst, o, bool) = *CFIELD(src, o, bool);
	return 0;
}

int
t_string(struct xr_config *dst, const struct xr_config *src, const struct opt *o)
{
	memcpy(FIELD(dst, o, char), CFIELD(src, o, char), (size_t)o->hi);
	return 0;
}

int
t_cidrs(struct xr_config *dst, const struct xr_config *src, const struct opt *o)
{
	int n = *(const int *)((const char *)src + (size_t)o->lo);

	memcpy(FIELD(dst, o, struct pol_cidr), CFIELD(src, o, struct pol_cidr),
	       sizeof(struct pol_cidr) * (size_t)n);
	*(int *)((char *)dst + (size_t)o->lo) = n;
	return 0;
}
