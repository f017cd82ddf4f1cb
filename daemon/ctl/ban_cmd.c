// SPDX-License-Identifier: GPL-2.0
/*
 * ban_cmd.c - the daemon side of `xrelayctl ban list|add|del`: the control
 * commands "ban.list", "ban.add" and "ban.del" over guard/ban.c's blocklist,
 * with the rate limiter's totals (guard/pike.c).  Owns no state.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ban_cmd.h"
#include "ctl/ctl.h"
#include "guard/ban.h"
#include "guard/pike.h"

static unsigned ban_default_s;	/* atomic: the main loop writes, ctl reads */

void
ban_cmd_set_default(unsigned default_s)
{
	__atomic_store_n(&ban_default_s, default_s, __ATOMIC_RELAXED);
}

/* The "prefix" argument; 0, or -EINVAL with err set. */
static int
arg_prefix(json_t *args, union xr_sa *p, int *plen, char *err, size_t errlen)
{
	const char *s = json_string_value(json_object_get(args, "prefix"));

	if (!s) {
		snprintf(err, errlen, "needs \"prefix\" (a string: ADDR or ADDR/LEN)");
		return -EINVAL;
	}
	if (ban_parse(s, p, plen)) {
		snprintf(err, errlen, "bad prefix '%.60s' (ADDR or ADDR/LEN, IPv4 or IPv6)", s);
		return -EINVAL;
	}
	return 0;
}

/*
 * "ban.list" -> {"bans": [{"prefix", "reason", "expires_in", "hits"}],
 * "pike": {"rate", "burst", "ban_time", "limited", "banned", "banned_dropped",
 * "bans"}}.
 */
static int
cmd_ban_list(json_t *args, json_t **result, char *err, size_t errlen)
{
	*result = json_pack("{s:o, s:o}", "bans", ban_list_json(), "pike", pike_stats_json());
	if (!*result) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/*
 * "ban.add" {"prefix", "seconds"?} -> {"prefix", "seconds"}: seconds absent
 * means --ban-time, 0 until deleted.  EPERM for a trusted (exempt) prefix.
 */
static int
cmd_ban_add(json_t *args, json_t **result, char *err, size_t errlen)
{
	json_t *sec = json_object_get(args, "seconds");
	json_int_t s = __atomic_load_n(&ban_default_s, __ATOMIC_RELAXED);
	union xr_sa p;
	int plen, rc;

	rc = arg_prefix(args, &p, &plen, err, errlen);
	if (rc)
		return rc;
	if (sec) {
		if (!json_is_integer(sec) || json_integer_value(sec) < 0 ||
		    json_integer_value(sec) > 31536000) {
			snprintf(err, errlen, "\"seconds\" must be an integer 0..31536000");
			return -EINVAL;
		}
		s = json_integer_value(sec);
	}
	rc = ban_add(&p, plen, (unsigned)s, XR_BAN_MANUAL);
	if (rc == -EPERM) {
		snprintf(err, errlen, "%.60s is trusted (loopback or exempt): never banned",
			 json_string_value(json_object_get(args, "prefix")));
		return rc;
	}
	if (rc == -ENOSPC) {
		snprintf(err, errlen, "the blocklist is full");
		return rc;
	}
	if (rc < 0) {
		snprintf(err, errlen, "cannot ban: %s", strerror(-rc));
		return rc;
	}
	*result = json_pack("{s:O, s:I}", "prefix", json_object_get(args, "prefix"),
			    "seconds", s);
	return *result ? 0 : -ENOMEM;
}

/* "ban.del" {"prefix"} -> {"prefix"}; ENOENT when that prefix is not banned. */
static int
cmd_ban_del(json_t *args, json_t **result, char *err, size_t errlen)
{
	union xr_sa p;
	int plen, rc;

	rc = arg_prefix(args, &p, &plen, err, errlen);
	if (rc)
		return rc;
	rc = ban_del(&p, plen);
	if (rc == -ENOENT) {
		snprintf(err, errlen, "%.60s is not banned",
			 json_string_value(json_object_get(args, "prefix")));
		return rc;
	}
	*result = json_pack("{s:O}", "prefix", json_object_get(args, "prefix"));
	return *result ? 0 : -ENOMEM;
}

int
ban_cmd_init(unsigned default_s)
{
	int rc;

	ban_cmd_set_default(default_s);
	rc = ctl_register("ban.list", cmd_ban_list,
			  "banned prefixes and the SIP rate limiter's totals");
	if (rc == 0)
		rc = ctl_register("ban.add", cmd_ban_add,
				  "ban a source prefix: {prefix, seconds?} (XDP drops it)");
	if (rc == 0)
		rc = ctl_register("ban.del", cmd_ban_del, "lift a ban: {prefix}");
	return rc;
}
