/* SPDX-License-Identifier: GPL-2.0 */
/*
 * http.h - the Prometheus scrape endpoint (--metrics ADDR:PORT): GET or HEAD
 * /metrics serves ctl_metrics_text(); any other path is 404, any other
 * method 405.  libmicrohttpd, on its own thread.
 */
#ifndef XR_CTL_HTTP_H
#define XR_CTL_HTTP_H

#include "common/addr.h"

/* Bind addr (v4 or v6) and serve on a new thread.  0 or -errno. */
int	http_metrics_start(const union xr_sa *addr);
/* Stop the thread and close the socket; no-op when not started. */
void	http_metrics_stop(void);

#endif /* XR_CTL_HTTP_H */
