/* SPDX-License-Identifier: GPL-2.0 */
/*
 * transport.h - SIP over UDP and TCP (RFC 3261 §18, RFC 3581): where a message
 * came from (struct sip_src), where one goes (struct sip_dest), sending, the
 * shared TCP connection table, source-address selection on multi-homed hosts
 * and the Via rules (received/rport on requests, §18.2.2 response routing).
 * Messages go up through the hooks a layer above registers (sip_tp_upper).
 * The proxy never touches a socket: it goes through this API or txn.h.
 */
#ifndef XR_SIP_TRANSPORT_H
#define XR_SIP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

struct sip_msg;

enum sip_tp {
	SIP_TP_UDP = 0,
	SIP_TP_TCP = 1,
};

#define SIP_DEFAULT_PORT	5060
#define SIP_MAX_MSG		65535	/* largest message read from TCP or UDP */

/* Where a message came from and how; filled by the transport. */
struct sip_src {
	union xr_sa	 peer;		/* source address and port of the packet/connection */
	union xr_sa	 local;		/* our --sip address it arrived on (with port) */
	enum sip_tp	 tp;		/* UDP or TCP */
	int		 sock;		/* index of that address in cfg->sip[] */
	uint64_t	 conn_id;	/* TCP connection id, 0 for UDP */
	/*
	 * RFC 3581 / §18.2.1, for requests: what the top Via must gain.
	 * received[0] != 0: add ";received=<received>" (sent-by host differs
	 * from the source address).  rport != 0: set ";rport=<rport>" (the
	 * Via had an empty rport parameter).
	 */
	char		 received[48];
	uint16_t	 rport;
};

/* Where a message goes. */
struct sip_dest {
	union xr_sa	 addr;		/* destination address and port */
	enum sip_tp	 tp;		/* UDP or TCP */
	int		 sock;		/* index in cfg->sip[] to send from; -1: pick by route */
	uint64_t	 conn_id;	/* TCP: this connection if still open; 0: find one or connect */
};

/*
 * Choose the --sip socket a message to d->addr leaves from (route_pick():
 * the address the route to the destination uses, DESIGN.md "Multi-homed")
 * unless d->sock >= 0 already, store its index in d->sock and our address
 * and port on it in *local (for Via and Record-Route).  0 or -errno
 * (-EAFNOSUPPORT: no --sip address of that family).
 */
int	sip_tp_pick(struct sip_dest *d, union xr_sa *local);

/*
 * Send one complete message.  UDP: one datagram from socket d->sock (picked
 * when < 0).  TCP: over connection d->conn_id if it is open, else over any
 * open connection to d->addr, else over a new outgoing connection (queued
 * until connected).  Thread-safe; may be called from any thread.  The buffer
 * is copied when it cannot be written at once.  0 or -errno: -ENOBUFS when a
 * connection's write queue is over its cap (backpressure), -ENOTCONN when
 * conn_id is gone and connecting is impossible.
 */
int	sip_tp_send(const struct sip_dest *d, const void *buf, size_t len);

/*
 * RFC 3581 §4 / RFC 3261 §18.2.1: compute what the top Via of a request that
 * arrived from peer needs.  host is the Via sent-by host (brackets allowed
 * for IPv6), has_rport says the Via carries an "rport" parameter with no
 * value.  Fills src->received (empty when host equals the source address) and
 * src->rport (0 when no rport was asked for).
 */
void	sip_tp_via_nat(struct sip_src *src, const char *host, size_t hostlen, bool has_rport);

/*
 * RFC 3261 §18.2.2 + RFC 3581 §4: where a response goes, from the fields of
 * the top Via of the request (or of the response being forwarded):
 *  - reliable transport: the connection the request came on (src->conn_id)
 *    when still open, else received (or sent-by) and rport/port/5060 over TCP;
 *  - maddr present: maddr, port or 5060 (multicast ignored: unicast only);
 *  - unreliable: received (or sent-by host) and rport, else port, else 5060.
 * Hosts that are not IP literals cannot be resolved here (no DNS): -EHOSTUNREACH.
 * via_tp is the transport token of the Via ("UDP", "TCP"...). 0 or -errno.
 */
struct sip_via_route {
	const char	*host;	size_t hostlen;		/* sent-by host */
	int		 port;				/* sent-by port, 0 if absent */
	const char	*received; size_t receivedlen;	/* received=, NULL if absent */
	int		 rport;				/* rport=N, 0 if absent or empty */
	const char	*maddr;	size_t maddrlen;	/* maddr=, NULL if absent */
	enum sip_tp	 tp;				/* Via transport */
};
int	sip_tp_response_dest(const struct sip_via_route *via, const struct sip_src *src,
			     struct sip_dest *out);

/*
 * The i-th --sip address as bound (a port 0 in the config is replaced by the
 * port the kernel chose).  0, or -ENOENT when i is out of range or the
 * workers are not running.
 */
int	sip_tp_bound(int i, union xr_sa *out);

/* Is TCP connection id open now?  (for tests and the proxy's flow reuse) */
bool	sip_tp_conn_alive(uint64_t conn_id);
/* Close a TCP connection (any thread); no-op when gone. */
void	sip_tp_conn_close(uint64_t conn_id);

/*
 * The layer above the transports (the transaction layer) plugs in here, so
 * sip/ knows nothing above it: start() runs in sip_start() before any
 * worker, input() gets every parsed message (src->received and src->rport
 * computed) on the worker that read it, conn_closed() every TCP connection
 * that closes, stop() runs in sip_stop() once no worker runs and before
 * connections are freed.  Without one, messages are dropped.  Call before
 * sip_start().
 */
struct sip_tp_upper {
	int	(*start)(void);
	void	(*input)(const struct sip_msg *msg, const struct sip_src *src);
	void	(*conn_closed)(uint64_t conn_id);
	void	(*stop)(void);
};
void	sip_tp_set_upper(const struct sip_tp_upper *up);

/* Counters, for xrelayctl stats (relaxed atomics); one per XR_SIP_TP row of sip/counters.def. */
struct sip_tp_stats {
#define XR_SIP_TP(field, type, metric, help)	uint64_t field;
#include "sip/counters.def"
};
void	sip_tp_stats(struct sip_tp_stats *out);

/* One worker's UDP datagrams, read and sent (a relaxed snapshot). */
struct sip_tp_worker_stats {
	uint64_t	rx;
	uint64_t	tx;
};
/* Worker i's counters, 0 <= i < n; returns n, the number of workers (0: not running). */
int	sip_tp_worker_stats(struct sip_tp_worker_stats *out, int max);
/*
 * The Call-ID balancer's counters (enum xr_rp_cnt of xrelay/reuseport.h:
 * picked by Call-ID, no Call-ID, empty slot, unknown group), summed over
 * CPUs.  0, or -ENOENT when the kernel's hash balances (no program).
 */
int	sip_tp_balance_stats(uint64_t out[4]);

#endif /* XR_SIP_TRANSPORT_H */
