// SPDX-License-Identifier: GPL-2.0
/*
 * http.c - the Prometheus scrape endpoint behind --metrics (see http.h).
 * libmicrohttpd runs one internal polling thread; the text comes from
 * ctl_metrics_text() (ctl/commands.c), the same exposition `xrelayctl
 * metrics` prints.  Owns the listening socket and that thread only.
 */
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <urcu.h>

#include "common/log.h"
#include "ctl/commands.h"
#include "ctl/http.h"

#define HTTP_CONN_LIMIT		32	/* scrapers are few; a flood gets refused */
#define HTTP_PER_IP_LIMIT	8
#define HTTP_TIMEOUT_S		10	/* a silent client is dropped after this */
#define PROM_CONTENT_TYPE	"text/plain; version=0.0.4"

static struct MHD_Daemon *httpd;

static void
http_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_ratelimited(LS_CTL, LL_WARN, "metrics http: %s", msg);
}

/* A short text/plain reply with a fixed body. */
static enum MHD_Result
reply_static(struct MHD_Connection *c, unsigned int status, const char *body,
	     const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * Every request is answered on its first call, before any body is read: a
 * body is only possible with a method we refuse anyway.
 */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	   const char *version, const char *upload_data, size_t *upload_data_size,
	   void **req_cls)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *text;

	if (strcmp(url, "/metrics") != 0)
		return reply_static(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n", NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_static(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
				    "GET, HEAD");

	/*
	 * ctl_metrics_text() reads media's RCU tables: this thread is a reader
	 * for the length of the call.  MHD's single polling thread runs one
	 * handler at a time, so registrations never nest.
	 */
	rcu_register_thread();
	text = ctl_metrics_text();
	rcu_unregister_thread();
	if (!text) {
		log_ratelimited(LS_CTL, LL_WARN, "metrics http: cannot build the text: %s",
				strerror(errno));
		return reply_static(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "no metrics\n", NULL);
	}
	r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, PROM_CONTENT_TYPE);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

int
http_metrics_start(const union xr_sa *addr)
{
	char buf[XR_SA_STRLEN];
	int fd, one = 1, err;

	/* Our own socket, so a busy port is reported with its errno. */
	fd = socket(addr->sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (addr->sa.sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, &addr->sa, xr_sa_len(addr)) < 0 || listen(fd, 64) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	httpd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
				 (addr->sa.sa_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				 0, NULL, NULL, on_request, NULL,
				 MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,	/* first */
				 MHD_OPTION_LISTEN_SOCKET, fd,
				 MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONN_LIMIT,
				 MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				 (unsigned int)HTTP_PER_IP_LIMIT,
				 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
				 MHD_OPTION_END);
	if (!httpd) {
		close(fd);
		return -EIO;
	}
	logs(LS_CTL, LL_INFO, "metrics: serving http://%s/metrics",
	     xr_sa_str(addr, buf, sizeof(buf)));
	return 0;
}

void
http_metrics_stop(void)
{
	if (!httpd)
		return;
	MHD_stop_daemon(httpd);	/* joins the thread, closes the listening socket */
	httpd = NULL;
}
