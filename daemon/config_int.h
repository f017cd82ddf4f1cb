/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config_int.h - what config.c (the options table, the API) and
 * config_opts.c (the value types: parse, dump and reload-take of each kind
 * of option) share; nothing else includes it.
 */
#ifndef XR_CONFIG_INT_H
#define XR_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

struct opt;
/* Parse val into cfg; on error write the reason (no option name) into err. */
typedef int (*opt_parse_fn)(struct xr_config *cfg, const struct opt *o, const char *val,
			    char *err, size_t errlen);
/* Write the "key = value" lines of this option (none when it has no value). */
typedef void (*opt_dump_fn)(const struct xr_config *cfg, const struct opt *o, FILE *out);
/* Copy the option's value from src to dst (a reload); 0 or -ENOMEM. */
typedef int (*opt_take_fn)(struct xr_config *dst, const struct xr_config *src,
			   const struct opt *o);

/*
 * One option.  name is the long option and the config-file key; shortopt is
 * 0 when there is none; file says whether the key is allowed in a file.
 * off locates the field in struct xr_config; lo/hi bound integers.  take is
 * set on the options a SIGHUP may change while running (README "Reload"):
 * main.c applies each of them; every other option needs a restart.
 */
struct opt {
	const char	*name;
	int		 shortopt;
	int		 has_arg;
	bool		 file;
	const char	*metavar;
	const char	*help;
	opt_parse_fn	 parse;
	opt_dump_fn	 dump;
	size_t		 off;
	long		 lo, hi;
	opt_take_fn	 take;
};

#define FIELD(cfg, o, type)	((type *)((char *)(cfg) + (o)->off))
#define CFIELD(cfg, o, type)	((const type *)((const char *)(cfg) + (o)->off))

/* config_opts.c: one parse (p_), dump (d_) or take (t_) function per value type. */
int	p_int(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen);
void	d_int(const struct xr_config *cfg, const struct opt *o, FILE *out);
int	p_workers(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen);
void	d_workers(const struct xr_config *cfg, const struct opt *o, FILE *out);
int	p_bool(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen);
void	d_bool(const struct xr_config *cfg, const struct opt *o, FILE *out);
/* A flag off by default: no line while it is off. */
void	d_optbool(const struct xr_config *cfg, const struct opt *o, FILE *out);
int	p_verbose(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen);
int	p_string(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen);
void	d_string(const struct xr_config *cfg, const struct opt *o, FILE *out);
void	d_optstring(const struct xr_config *cfg, const struct opt *o, FILE *out);
int	p_sip(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen);
void	d_sip(const struct xr_config *cfg, const struct opt *o, FILE *out);
int	p_media(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen);
void	d_media(const struct xr_config *cfg, const struct opt *o, FILE *out);
int	p_ports(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen);
void	d_ports(const struct xr_config *cfg, const struct opt *o, FILE *out);
int	p_xdp(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen);
void	d_xdp(const struct xr_config *cfg, const struct opt *o, FILE *out);
int	p_xdp_mode(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen);
void	d_xdp_mode(const struct xr_config *cfg, const struct opt *o, FILE *out);
int	p_media_sockets(struct xr_config *cfg, const struct opt *o, const char *val, char *err,
			size_t errlen);
void	d_media_sockets(const struct xr_config *cfg, const struct opt *o, FILE *out);
int	p_latch(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen);
void	d_latch(const struct xr_config *cfg, const struct opt *o, FILE *out);
int	p_domain(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen);
void	d_domain(const struct xr_config *cfg, const struct opt *o, FILE *out);
void	route_free(struct xr_route *r);
int	p_route(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen);
void	d_route(const struct xr_config *cfg, const struct opt *o, FILE *out);
int	p_log_level(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen);
void	d_log_level(const struct xr_config *cfg, const struct opt *o, FILE *out);
int	p_metrics(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen);
void	d_metrics(const struct xr_config *cfg, const struct opt *o, FILE *out);
int	t_int(struct xr_config *dst, const struct xr_config *src, const struct opt *o);
int	t_latch(struct xr_config *dst, const struct xr_config *src, const struct opt *o);
int	t_log_level(struct xr_config *dst, const struct xr_config *src, const struct opt *o);
int	route_copy(struct xr_route *dst, const struct xr_route *src);
int	t_route(struct xr_config *dst, const struct xr_config *src, const struct opt *o);
int	t_bool(struct xr_config *dst, const struct xr_config *src, const struct opt *o);
int	t_string(struct xr_config *dst, const struct xr_config *src, const struct opt *o);
/* access control: CIDR lists (lo: offset of the count), digest algorithms */
int	p_cidrs(struct xr_config *cfg, const struct opt *o, const char *val, char *err, size_t errlen);
void	d_cidrs(const struct xr_config *cfg, const struct opt *o, FILE *out);
int	t_cidrs(struct xr_config *dst, const struct xr_config *src, const struct opt *o);
int	p_auth_algs(struct xr_config *cfg, const struct opt *o, const char *val, char *err,
		    size_t errlen);
void	d_auth_algs(const struct xr_config *cfg, const struct opt *o, FILE *out);
int	t_auth_algs(struct xr_config *dst, const struct xr_config *src, const struct opt *o);

#endif /* XR_CONFIG_INT_H */
