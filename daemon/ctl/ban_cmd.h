/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ban_cmd.h - control commands over the blocklist (ctl/ban_cmd.c):
 * "ban.list", "ban.add", "ban.del".
 */
#ifndef XR_CTL_BAN_CMD_H
#define XR_CTL_BAN_CMD_H

/*
 * Register the commands (before ctl_start()); default_s is the ban time of a
 * "ban.add" that gives none (--ban-time).  0 or -errno.
 */
int	ban_cmd_init(unsigned default_s);
/* A new --ban-time for "ban.add" without seconds (reload). */
void	ban_cmd_set_default(unsigned default_s);

#endif /* XR_CTL_BAN_CMD_H */
