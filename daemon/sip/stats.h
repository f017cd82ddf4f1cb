/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stats.h - SIP message counters: requests by method and responses by status
 * code, received and sent, for `xrelayctl stats` ("sip_messages") and the
 * xrelay_sip_requests_total / xrelay_sip_responses_total metrics.  Counted
 * by the transports (one call on receive, one on send); lock-free relaxed
 * atomics, so any thread may count and any thread may read.
 */
#ifndef XR_SIP_STATS_H
#define XR_SIP_STATS_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct sip_msg;

enum sip_stats_dir { SIP_STATS_RX, SIP_STATS_TX, SIP_STATS__DIRS };

/* A message parsed and accepted by the transport (after sip_msg_parse()). */
void	sip_stats_rx(const struct sip_msg *m);
/*
 * A message handed to the kernel: classified from its first line ("SIP/2.0
 * NNN" or "METHOD "), no parse.
 */
void	sip_stats_tx(const void *buf, size_t len);
/*
 * {"rx": {"requests": {"INVITE": n, ..., "other": n},
 *         "responses": {"100": n, "200": n, ...}, (codes seen only)
 *         "classes": {"1xx": n, ..., "6xx": n}},
 *  "tx": {...}}: a new object, NULL on allocation failure.
 */
json_t	*sip_msg_stats_json(void);
/*
 * The same as Prometheus families xrelay_sip_requests_total{direction,method}
 * and xrelay_sip_responses_total{direction,code} (HELP and TYPE included).
 */
void	sip_msg_stats_metrics(FILE *f);
/* Zero every counter (tests). */
void	sip_stats_reset(void);

#endif /* XR_SIP_STATS_H */
