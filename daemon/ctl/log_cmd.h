/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log_cmd.h - control commands over the log levels (ctl/log_cmd.c):
 * "log.level" and "log.levels".
 */
#ifndef XR_CTL_LOG_CMD_H
#define XR_CTL_LOG_CMD_H

/* Register the commands (before ctl_start()).  0 or -errno. */
int	log_cmd_init(void);

#endif /* XR_CTL_LOG_CMD_H */
