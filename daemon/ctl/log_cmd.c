// SPDX-License-Identifier: GPL-2.0
/*
 * log_cmd.c - the daemon side of `xrelayctl log level` / `log levels`: the
 * control commands "log.level" and "log.levels" over common/log.c's
 * per-subsystem levels.  Owns no state; the levels live in log.c.
 */
#include <errno.h>
#include <stdio.h>

#include "common/log.h"
#include "ctl/ctl.h"
#include "ctl/log_cmd.h"

/*
 * "log.level" {"subsystem": S, "level": L} -> {"subsystem", "level",
 * "previous"}.  An unknown subsystem or level is an error naming the valid
 * ones.  The change lasts until the next one, a SIGHUP that changes the
 * config's log-level or verbose for that subsystem, or a restart.
 */
static int
cmd_log_level(json_t *args, json_t **result, char *err, size_t errlen)
{
	const char *sname = json_string_value(json_object_get(args, "subsystem"));
	const char *lname = json_string_value(json_object_get(args, "level"));
	int s, lvl, prev;

	if (!sname || !lname) {
		snprintf(err, errlen, "log.level needs \"subsystem\" and \"level\" (strings)");
		return -EINVAL;
	}
	s = log_subsys_parse(sname);
	if (s < 0) {
		snprintf(err, errlen, "unknown subsystem '%.40s' (one of: %s)", sname,
			 log_subsys_list());
		return -EINVAL;
	}
	lvl = log_level_parse(lname);
	if (lvl < 0) {
		snprintf(err, errlen, "unknown level '%.40s' (one of: %s)", lname,
			 log_level_list());
		return -EINVAL;
	}
	prev = log_get_level((enum log_subsys)s);
	log_set_level((enum log_subsys)s, lvl);
	if (prev != lvl)
		logs(LS_CTL, LL_INFO, "log level of %s: %s -> %s (xrelayctl)", sname,
		     log_level_name(prev), lname);
	*result = json_pack("{s:s, s:s, s:s}", "subsystem", log_subsys_name((enum log_subsys)s),
			    "level", log_level_name(lvl), "previous", log_level_name(prev));
	if (!*result) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* "log.levels" -> {"main": "info", "sip": "debug", ...}, every subsystem. */
static int
cmd_log_levels(json_t *args, json_t **result, char *err, size_t errlen)
{
	json_t *o = json_object();

	for (int s = 0; o && s < LS__MAX; s++) {
		if (json_object_set_new(o, log_subsys_name((enum log_subsys)s),
					json_string(log_level_name(log_get_level(
						(enum log_subsys)s)))) < 0) {
			json_decref(o);
			o = NULL;
		}
	}
	if (!o) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*result = o;
	return 0;
}

int
log_cmd_init(void)
{
	int rc;

	rc = ctl_register("log.level", cmd_log_level,
			  "set one subsystem's log level: {subsystem, level}");
	if (rc == 0)
		rc = ctl_register("log.levels", cmd_log_levels, "every subsystem's log level");
	return rc;
}
