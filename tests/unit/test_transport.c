// SPDX-License-Identifier: GPL-2.0
/*
 * test_transport.c - the real SIP workers on loopback (sip_start() with two
 * workers and an ephemeral port) and a TU that answers every request with a
 * 200 through txn_reply(): UDP and TCP round trips, TCP framing (two messages
 * in one write, one message split over writes, CRLF keep-alives), a request
 * retransmission absorbed by its server transaction, a malformed datagram
 * answered with 400 + reason (505 for a bad version), RFC 3581
 * received/rport, the TCP idle timeout and the connection cap.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <urcu.h>

#include "common/log.h"
#include "config.h"
#include "policy/policy.h"
#include "txn/txn.h"
#include "sip/msg.h"
#include "sip/sip.h"
#include "sip/transport.h"

static struct xr_config cfg;
static uint16_t port;		/* the port the workers bound */

/* What the TU saw (written by workers, read by the test). */
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static int seen_requests;
static struct sip_src seen_src;

static void
tu_request(struct txn *st, struct txn *inv, const struct sip_msg *msg,
	   const struct sip_src *src)
{
	(void)inv;
	(void)msg;
	pthread_mutex_lock(&seen_lock);
	seen_requests++;
	seen_src = *src;
	pthread_mutex_unlock(&seen_lock);
	txn_reply(st, 200, NULL);
}

/* Client-side events, in order. */
enum { EV_RESP = 1, EV_FAIL, EV_GONE };
struct tu_ev {
	int		 kind;
	int		 code;
	enum txn_reason	 why;
	void		*ctx;
};
static struct tu_ev evs[256];
static int nevs;

static void
record(int kind, int code, enum txn_reason why, void *ctx)
{
	pthread_mutex_lock(&seen_lock);
	if (nevs < 256)
		evs[nevs++] = (struct tu_ev){ kind, code, why, ctx };
	pthread_mutex_unlock(&seen_lock);
}

static void
tu_response(struct txn *ct, void *ctx, const struct sip_msg *msg, const struct sip_src *src)
{
	(void)ct;
	(void)src;
	record(EV_RESP, msg->status, TXN_DONE, ctx);
}

static void
tu_failure(struct txn *ct, void *ctx, int code, enum txn_reason why)
{
	(void)ct;
	record(EV_FAIL, code, why, ctx);
}

static void
tu_gone(struct txn *t, void *ctx, enum txn_reason why)
{
	(void)t;
	if (ctx)	/* server transactions have none here */
		record(EV_GONE, 0, why, ctx);
}

/* ACKs and stray responses the TU got (compact records pass them on). */
static int seen_acks, seen_strays;

static void
tu_ack(const struct sip_msg *msg, const struct sip_src *src)
{
	(void)msg;
	(void)src;
	pthread_mutex_lock(&seen_lock);
	seen_acks++;
	pthread_mutex_unlock(&seen_lock);
}

static void
tu_stray(const struct sip_msg *msg, const struct sip_src *src)
{
	(void)msg;
	(void)src;
	pthread_mutex_lock(&seen_lock);
	seen_strays++;
	pthread_mutex_unlock(&seen_lock);
}

static int
seen(int *what)
{
	int n;

	pthread_mutex_lock(&seen_lock);
	n = *what;
	pthread_mutex_unlock(&seen_lock);
	return n;
}

static const struct txn_tu_ops tu = {
	.request = tu_request,
	.ack = tu_ack,
	.stray_response = tu_stray,
	.response = tu_response,
	.failure = tu_failure,
	.gone = tu_gone,
};

/* Wait up to ms for the n-th event (0-based) with ctx; returns it or fails. */
static struct tu_ev
wait_ev(void *ctx, int kind, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		pthread_mutex_lock(&seen_lock);
		for (int j = 0; j < nevs; j++) {
			if (evs[j].ctx == ctx && evs[j].kind == kind) {
				struct tu_ev e = evs[j];

				evs[j].kind = 0;	/* consumed */
				pthread_mutex_unlock(&seen_lock);
				return e;
			}
		}
		pthread_mutex_unlock(&seen_lock);
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
	}
	fail_msg("no event %d for ctx %p within %d ms", kind, ctx, ms);
	return (struct tu_ev){ 0 };
}

/* Events of a kind for ctx not yet consumed. */
static int
count_ev(void *ctx, int kind)
{
	int n = 0;

	pthread_mutex_lock(&seen_lock);
	for (int j = 0; j < nevs; j++)
		n += evs[j].ctx == ctx && evs[j].kind == kind;
	pthread_mutex_unlock(&seen_lock);
	return n;
}

static int
nrequests(void)
{
	int n;

	pthread_mutex_lock(&seen_lock);
	n = seen_requests;
	pthread_mutex_unlock(&seen_lock);
	return n;
}

/* Is ::1 usable here (IPv6 may be off in a container)? */
static bool
have_v6(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

static int
setup(void **state)
{
	union xr_sa *sa;

	(void)state;
	rcu_register_thread();
	log_init(true, LL_WARN, "test_transport");
	config_defaults(&cfg);
	sa = &cfg.sip[0];
	assert_int_equal(xr_sa_parse(sa, "127.0.0.1:0", -1), 0);
	cfg.nsip = 1;
	if (xr_sa_parse(&cfg.sip[1], "[::1]:0", -1) == 0 && have_v6())
		cfg.nsip = 2;
	cfg.workers = 2;
	cfg.tcp_idle = 1;
	cfg.tcp_max_conns = 16;
	txn_set_tu(&tu);
	txn_set_timers(&(struct txn_timer_cfg){ .t1 = 100, .t2 = 400, .t4 = 500,
						 .timer_c = 180000 });
	assert_int_equal(sip_start(&cfg, NULL), 0);
	assert_int_equal(sip_tp_bound(0, sa), 0);
	port = xr_sa_port(sa);
	assert_true(port != 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	sip_stop();
	rcu_unregister_thread();
	return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

static struct sockaddr_in
server_addr(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int
udp_client(uint16_t *lport)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t sl = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
	if (lport)
		*lport = ntohs(a.sin_port);
	return fd;
}

static int
tcp_client(void)
{
	struct sockaddr_in a = server_addr();
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Wait up to ms for data; returns bytes read (0 at EOF), -1 on timeout. */
static int
recv_wait(int fd, char *buf, size_t cap, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return -1;
	n = recv(fd, buf, cap - 1, 0);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

/* Read from a stream until want responses ("SIP/2.0 " lines) arrived or ms passed. */
static int
tcp_read_responses(int fd, char *buf, size_t cap, int want, int ms)
{
	size_t len = 0;
	int got = 0;

	for (int i = 0; i < ms / 50 && got < want; i++) {
		char *p;
		int n = recv_wait(fd, buf + len, cap - len, 50);

		if (n == 0)
			break;
		if (n > 0)
			len += (size_t)n;
		buf[len] = '\0';
		got = 0;
		for (p = buf; (p = strstr(p, "SIP/2.0 200 ")) != NULL; p++)
			got++;
	}
	return got;
}

static void
msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static char *
reg(char *buf, size_t cap, const char *tp, const char *branch, const char *callid,
    const char *viaextra)
{
	snprintf(buf, cap,
		 "REGISTER sip:example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/%s 127.0.0.1:5999%s;branch=z9hG4bK%s\r\n"
		 "From: <sip:alice@example.com>;tag=a1\r\n"
		 "To: <sip:alice@example.com>\r\n"
		 "Call-ID: %s\r\n"
		 "CSeq: 1 REGISTER\r\n"
		 "Contact: <sip:alice@127.0.0.1:5999>\r\n"
		 "Max-Forwards: 70\r\n"
		 "Content-Length: 0\r\n\r\n", tp, viaextra, branch, callid);
	return buf;
}

/* ---- tests ------------------------------------------------------------------- */

static void
udp_register(void **state)
{
	struct sockaddr_in a;
	char req[1024], resp[4096];
	int fd, n;

	(void)state;
	a = server_addr();
	fd = udp_client(NULL);
	reg(req, sizeof(req), "UDP", "u1", "udp1@test", ";rport");
	assert_true(sendto(fd, req, strlen(req), 0, (struct sockaddr *)&a, sizeof(a)) > 0);
	n = recv_wait(fd, resp, sizeof(resp), 2000);
	assert_true(n > 0);
	assert_memory_equal(resp, "SIP/2.0 200 ", 12);
	assert_non_null(strstr(resp, "Call-ID: udp1@test"));
	assert_non_null(strstr(resp, ";tag="));		/* our To tag */
	close(fd);
}

/* The same over IPv6 (skipped when ::1 is unusable): v6 socket, v6 Via. */
static void
udp_register_v6(void **state)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in6 me = a;
	socklen_t sl = sizeof(me);
	union xr_sa bound;
	char req[1024], resp[4096];
	int fd;

	(void)state;
	if (cfg.nsip < 2)
		skip();
	assert_int_equal(sip_tp_bound(1, &bound), 0);
	a.sin6_port = htons(xr_sa_port(&bound));
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &sl), 0);
	snprintf(req, sizeof(req),
		 "OPTIONS sip:example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP [::1]:%u;branch=z9hG4bKv6a\r\n"
		 "From: <sip:alice@example.com>;tag=a1\r\n"
		 "To: <sip:example.com>\r\n"
		 "Call-ID: v6@test\r\n"
		 "CSeq: 1 OPTIONS\r\n"
		 "Content-Length: 0\r\n\r\n", ntohs(me.sin6_port));
	assert_true(sendto(fd, req, strlen(req), 0, (struct sockaddr *)&a, sizeof(a)) > 0);
	assert_true(recv_wait(fd, resp, sizeof(resp), 2000) > 0);
	assert_memory_equal(resp, "SIP/2.0 200 ", 12);
	pthread_mutex_lock(&seen_lock);
	assert_int_equal(seen_src.local.sa.sa_family, AF_INET6);
	assert_string_equal(seen_src.received, "");
	pthread_mutex_unlock(&seen_lock);
	close(fd);
}

/* §17.2.2: the retransmission is absorbed; the 200 is sent again. */
static void
udp_retransmission(void **state)
{
	struct sockaddr_in a = server_addr();
	char req[1024], resp[4096], resp2[4096];
	int fd, before;

	(void)state;
	fd = udp_client(NULL);
	reg(req, sizeof(req), "UDP", "retrans1", "udp2@test", ";rport");
	before = nrequests();
	assert_true(sendto(fd, req, strlen(req), 0, (struct sockaddr *)&a, sizeof(a)) > 0);
	assert_true(recv_wait(fd, resp, sizeof(resp), 2000) > 0);
	assert_true(sendto(fd, req, strlen(req), 0, (struct sockaddr *)&a, sizeof(a)) > 0);
	assert_true(recv_wait(fd, resp2, sizeof(resp2), 2000) > 0);
	assert_string_equal(resp, resp2);
	assert_int_equal(nrequests(), before + 1);
	close(fd);
}

/* RFC 3581: rport and received filled, the response goes to the source. */
static void
udp_rport_received(void **state)
{
	struct sockaddr_in a = server_addr();
	char req[1024], resp[4096], want[64];
	uint16_t lport;
	int fd;

	(void)state;
	fd = udp_client(&lport);
	/* sent-by claims 192.0.2.99:5999, we are 127.0.0.1:lport */
	snprintf(req, sizeof(req),
		 "OPTIONS sip:example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.99:5999;rport;branch=z9hG4bKnat1\r\n"
		 "From: <sip:alice@example.com>;tag=a1\r\n"
		 "To: <sip:example.com>\r\n"
		 "Call-ID: nat1@test\r\n"
		 "CSeq: 1 OPTIONS\r\n"
		 "Content-Length: 0\r\n\r\n");
	assert_true(sendto(fd, req, strlen(req), 0, (struct sockaddr *)&a, sizeof(a)) > 0);
	assert_true(recv_wait(fd, resp, sizeof(resp), 2000) > 0);
	assert_memory_equal(resp, "SIP/2.0 200 ", 12);
	pthread_mutex_lock(&seen_lock);
	assert_string_equal(seen_src.received, "127.0.0.1");
	assert_int_equal(seen_src.rport, lport);
	assert_int_equal(seen_src.tp, SIP_TP_UDP);
	assert_int_equal(xr_sa_port(&seen_src.local), port);
	pthread_mutex_unlock(&seen_lock);
	assert_non_null(strstr(resp, "received=127.0.0.1"));
	snprintf(want, sizeof(want), "rport=%u", lport);
	assert_non_null(strstr(resp, want));
	close(fd);
}

/*
 * §18.2.1: sent-by equal to the source: no received; no rport asked: none.
 * A trusted source (--trusted) is answered by the RFC's rules: at the Via port.
 */
static void
udp_no_received(void **state)
{
	struct sockaddr_in a = server_addr();
	struct pol_acl *acl = calloc(1, sizeof(*acl));
	char req[1024], resp[4096];
	int fd;

	(void)state;
	assert_non_null(acl);
	assert_int_equal(pol_cidr_parse("127.0.0.0/8", &acl->trusted[acl->ntrusted++]), 0);
	assert_int_equal(pol_configure(acl), 0);
	free(acl);
	fd = udp_client(NULL);
	reg(req, sizeof(req), "UDP", "nonat", "nonat@test", "");
	assert_true(sendto(fd, req, strlen(req), 0, (struct sockaddr *)&a, sizeof(a)) > 0);
	assert_true(recv_wait(fd, resp, sizeof(resp), 2000) < 0);	/* went to :5999 */
	pthread_mutex_lock(&seen_lock);
	assert_string_equal(seen_src.received, "");
	assert_int_equal(seen_src.rport, 0);
	pthread_mutex_unlock(&seen_lock);
	close(fd);
	pol_unconfigure();
}

/*
 * The access policy: an untrusted source is answered over UDP where the
 * request came from, rport or not, and a Via maddr cannot send the answer
 * elsewhere (reflection).
 */
static void
udp_untrusted_to_source(void **state)
{
	struct sockaddr_in a = server_addr();
	char req[1024], resp[4096];
	int fd;

	(void)state;
	fd = udp_client(NULL);
	reg(req, sizeof(req), "UDP", "untr1", "untr1@test", "");
	assert_true(sendto(fd, req, strlen(req), 0, (struct sockaddr *)&a, sizeof(a)) > 0);
	assert_true(recv_wait(fd, resp, sizeof(resp), 2000) > 0);
	assert_memory_equal(resp, "SIP/2.0 200 ", 12);
	reg(req, sizeof(req), "UDP", "untr2", "untr2@test", ";maddr=192.0.2.55");
	assert_true(sendto(fd, req, strlen(req), 0, (struct sockaddr *)&a, sizeof(a)) > 0);
	assert_true(recv_wait(fd, resp, sizeof(resp), 2000) > 0);
	assert_memory_equal(resp, "SIP/2.0 200 ", 12);
	close(fd);
}

static void
udp_malformed(void **state)
{
	static const char bad_cseq[] =
		"OPTIONS sip:example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bKbad1\r\n"
		"From: <sip:alice@example.com>;tag=a1\r\n"
		"To: <sip:example.com>\r\n"
		"Call-ID: bad1@test\r\n"
		"CSeq: abc OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char bad_version[] =
		"OPTIONS sip:example.com SIP/7.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bKbad2\r\n"
		"From: <sip:alice@example.com>;tag=a1\r\n"
		"To: <sip:example.com>\r\n"
		"Call-ID: bad2@test\r\n"
		"CSeq: 1 OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char garbage[] = "\x01\x02 this is not SIP at all\r\n\r\n";
	struct sockaddr_in a = server_addr();
	struct sip_tp_stats st0, st1;
	char resp[4096];
	int fd, before = nrequests();

	(void)state;
	sip_tp_stats(&st0);
	fd = udp_client(NULL);
	assert_true(sendto(fd, bad_cseq, sizeof(bad_cseq) - 1, 0, (struct sockaddr *)&a,
			   sizeof(a)) > 0);
	assert_true(recv_wait(fd, resp, sizeof(resp), 2000) > 0);
	assert_memory_equal(resp, "SIP/2.0 400 ", 12);
	assert_true(strcspn(resp + 12, "\r") > 0);	/* a reason phrase */
	assert_non_null(strstr(resp, "Call-ID: bad1@test"));
	assert_true(sendto(fd, bad_version, sizeof(bad_version) - 1, 0, (struct sockaddr *)&a,
			   sizeof(a)) > 0);
	assert_true(recv_wait(fd, resp, sizeof(resp), 2000) > 0);
	assert_memory_equal(resp, "SIP/2.0 505 ", 12);
	assert_true(sendto(fd, garbage, sizeof(garbage) - 1, 0, (struct sockaddr *)&a,
			   sizeof(a)) > 0);
	assert_true(recv_wait(fd, resp, sizeof(resp), 300) < 0);	/* dropped */
	sip_tp_stats(&st1);
	assert_int_equal(st1.rx_bad - st0.rx_bad, 3);
	assert_int_equal(st1.rx_bad_dropped - st0.rx_bad_dropped, 1);
	assert_int_equal(nrequests(), before);
	close(fd);
}

static void
tcp_register(void **state)
{
	char req[1024], resp[8192];
	int fd;

	(void)state;
	fd = tcp_client();
	reg(req, sizeof(req), "TCP", "t1", "tcp1@test", "");
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	assert_int_equal(tcp_read_responses(fd, resp, sizeof(resp), 1, 2000), 1);
	assert_non_null(strstr(resp, "Call-ID: tcp1@test"));
	pthread_mutex_lock(&seen_lock);
	assert_int_equal(seen_src.tp, SIP_TP_TCP);
	assert_true(seen_src.conn_id != 0);
	assert_true(sip_tp_conn_alive(seen_src.conn_id));
	pthread_mutex_unlock(&seen_lock);
	close(fd);
}

/* A "SIP/2.0/UDP" Via on a request that came over TCP: answered on the connection. */
static void
tcp_via_says_udp(void **state)
{
	char req[1024], resp[8192];
	int fd;

	(void)state;
	fd = tcp_client();
	reg(req, sizeof(req), "UDP", "t1u", "tcp1u@test", "");
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	assert_int_equal(tcp_read_responses(fd, resp, sizeof(resp), 1, 2000), 1);
	assert_non_null(strstr(resp, "Call-ID: tcp1u@test"));
	close(fd);
}

/* Two messages in one write, with CRLF keep-alives around them. */
static void
tcp_two_in_one(void **state)
{
	char a[1024], b[1024], both[2200], resp[8192];
	int fd;

	(void)state;
	fd = tcp_client();
	reg(a, sizeof(a), "TCP", "t2a", "tcp2a@test", "");
	reg(b, sizeof(b), "TCP", "t2b", "tcp2b@test", "");
	snprintf(both, sizeof(both), "\r\n\r\n%s%s\r\n\r\n", a, b);
	assert_int_equal(write(fd, both, strlen(both)), (ssize_t)strlen(both));
	assert_int_equal(tcp_read_responses(fd, resp, sizeof(resp), 2, 2000), 2);
	assert_non_null(strstr(resp, "Call-ID: tcp2a@test"));
	assert_non_null(strstr(resp, "Call-ID: tcp2b@test"));
	close(fd);
}

/* One message split across three writes (inside the headers and the body). */
static void
tcp_split(void **state)
{
	char req[1400], resp[8192];
	size_t len, cut1, cut2;
	int fd;

	(void)state;
	snprintf(req, sizeof(req),
		 "MESSAGE sip:bob@example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKsplit1\r\n"
		 "From: <sip:alice@example.com>;tag=a1\r\n"
		 "To: <sip:bob@example.com>\r\n"
		 "Call-ID: split@test\r\n"
		 "CSeq: 1 MESSAGE\r\n"
		 "Content-Type: text/plain\r\n"
		 "Content-Length: 11\r\n\r\n"
		 "hello world");
	len = strlen(req);
	cut1 = 40;
	cut2 = len - 5;
	fd = tcp_client();
	assert_int_equal(write(fd, req, cut1), (ssize_t)cut1);
	msleep(100);
	assert_int_equal(write(fd, req + cut1, cut2 - cut1), (ssize_t)(cut2 - cut1));
	msleep(100);
	assert_int_equal(tcp_read_responses(fd, resp, sizeof(resp), 1, 200), 0);
	assert_int_equal(write(fd, req + cut2, len - cut2), (ssize_t)(len - cut2));
	assert_int_equal(tcp_read_responses(fd, resp, sizeof(resp), 1, 2000), 1);
	assert_non_null(strstr(resp, "Call-ID: split@test"));
	close(fd);
}

/* A message that never ends within SIP_MAX_MSG: the stream is closed, counted. */
static void
tcp_oversize(void **state)
{
	static char junk[33 + 64 * 255];
	struct sip_tp_stats st0, st1;
	char buf[256];
	int fd, n = -1;

	(void)state;
	sip_tp_stats(&st0);
	fd = tcp_client();
	memcpy(junk, "OPTIONS sip:example.com SIP/2.0\r\n", 33);
	/* valid header lines "X-Pad: XXX...", never the empty line */
	for (size_t i = 33; i + 64 <= sizeof(junk); i += 64) {
		memset(junk + i, 'X', 64);
		memcpy(junk + i, "X-Pad: ", 7);
		junk[i + 62] = '\r';
		junk[i + 63] = '\n';
	}
	if (write(fd, junk, 33) < 0)
		fail();
	for (int i = 0; i < 6; i++)
		if (write(fd, junk + 33, sizeof(junk) - 33) < 0)
			break;
	for (int i = 0; i < 20 && n != 0; i++)
		n = recv_wait(fd, buf, sizeof(buf), 100);
	assert_int_equal(n, 0);
	sip_tp_stats(&st1);
	assert_true(st1.tcp_oversize > st0.tcp_oversize);
	close(fd);
}

/* --tcp-idle 1: a silent connection is closed after about a second. */
static void
tcp_idle(void **state)
{
	struct sip_tp_stats st0, st1;
	char buf[256];
	int fd, n = -1;

	(void)state;
	sip_tp_stats(&st0);
	fd = tcp_client();
	for (int i = 0; i < 40 && n != 0; i++)
		n = recv_wait(fd, buf, sizeof(buf), 100);
	assert_int_equal(n, 0);		/* EOF from the server */
	sip_tp_stats(&st1);
	assert_true(st1.tcp_idle_closed > st0.tcp_idle_closed);
	close(fd);
}

/* Poll the transports' counters until cond(st) holds, at most ms; returns it. */
static bool
stats_wait(bool (*cond)(const struct sip_tp_stats *, const struct sip_tp_stats *),
	   const struct sip_tp_stats *st0, int ms)
{
	struct sip_tp_stats st;

	for (int i = 0; i <= ms / 10; i++) {
		sip_tp_stats(&st);
		if (cond(st0, &st))
			return true;
		msleep(10);
	}
	return false;
}

static bool
no_conns(const struct sip_tp_stats *st0, const struct sip_tp_stats *st)
{
	(void)st0;
	return st->tcp_conns == 0;
}

static bool
twenty_handled(const struct sip_tp_stats *st0, const struct sip_tp_stats *st)
{
	return st->tcp_accepted - st0->tcp_accepted + st->tcp_refused - st0->tcp_refused >= 20;
}

/*
 * --tcp-max 16: beyond it the newest connection is closed at once, exactly:
 * of 20 connections 16 stay open and 4 are refused, however the two
 * workers' accepts interleave.
 */
static void
tcp_max_conns(void **state)
{
	struct sip_tp_stats st0, st1;
	int fds[20], closed = 0;
	char buf[64];

	(void)state;
	/* the earlier tests' connections are gone (closed or idled out) */
	assert_true(stats_wait(no_conns, NULL, 5000));
	sip_tp_stats(&st0);
	for (int i = 0; i < 20; i++)
		fds[i] = tcp_client();
	assert_true(stats_wait(twenty_handled, &st0, 5000));
	sip_tp_stats(&st1);
	assert_int_equal(st1.tcp_refused - st0.tcp_refused, 4);
	assert_true(st1.tcp_conns <= 16);	/* (an accepted one may idle out, --tcp-idle 1) */
	/* the refused ones see EOF (the close follows the count): poll a while */
	for (int round = 0; round < 100 && closed < 4; round++)
		for (int i = 0; i < 20; i++)
			if (fds[i] >= 0 && recv_wait(fds[i], buf, sizeof(buf), 1) == 0) {
				close(fds[i]);
				fds[i] = -1;
				closed++;
			}
	assert_int_equal(closed, 4);
	for (int i = 0; i < 20; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* ---- the Via rules as functions ------------------------------------------- */

static struct sip_via_route
vroute(const char *host, int hport, const char *received, int rport, const char *maddr,
       enum sip_tp tp)
{
	return (struct sip_via_route){
		.host = host, .hostlen = strlen(host), .port = hport,
		.received = received, .receivedlen = received ? strlen(received) : 0,
		.rport = rport, .maddr = maddr, .maddrlen = maddr ? strlen(maddr) : 0, .tp = tp,
	};
}

static void
assert_dest(const struct sip_dest *d, const char *want)
{
	char s[XR_SA_STRLEN];

	assert_string_equal(xr_sa_str(&d->addr, s, sizeof(s)), want);
}

/* §18.2.2 + RFC 3581 §4 */
static void
response_dest_rules(void **state)
{
	struct sip_src udp = { .tp = SIP_TP_UDP, .sock = 0 };
	struct sip_via_route v;
	struct sip_dest d;

	(void)state;
	/* sent-by, default port */
	v = vroute("192.0.2.1", 0, NULL, 0, NULL, SIP_TP_UDP);
	assert_int_equal(sip_tp_response_dest(&v, &udp, &d), 0);
	assert_dest(&d, "192.0.2.1:5060");
	assert_int_equal(d.tp, SIP_TP_UDP);
	/* sent-by with port */
	v = vroute("192.0.2.1", 5080, NULL, 0, NULL, SIP_TP_UDP);
	assert_int_equal(sip_tp_response_dest(&v, &udp, &d), 0);
	assert_dest(&d, "192.0.2.1:5080");
	/* received wins over the host, port kept */
	v = vroute("pc.example.com", 5080, "198.51.100.7", 0, NULL, SIP_TP_UDP);
	assert_int_equal(sip_tp_response_dest(&v, &udp, &d), 0);
	assert_dest(&d, "198.51.100.7:5080");
	/* rport wins over the port */
	v = vroute("pc.example.com", 5080, "198.51.100.7", 40001, NULL, SIP_TP_UDP);
	assert_int_equal(sip_tp_response_dest(&v, &udp, &d), 0);
	assert_dest(&d, "198.51.100.7:40001");
	/* maddr */
	v = vroute("192.0.2.1", 5070, "198.51.100.7", 0, "203.0.113.9", SIP_TP_UDP);
	assert_int_equal(sip_tp_response_dest(&v, &udp, &d), 0);
	assert_dest(&d, "203.0.113.9:5070");
	/* IPv6 sent-by in brackets */
	v = vroute("[2001:db8::1]", 0, NULL, 0, NULL, SIP_TP_UDP);
	assert_int_equal(sip_tp_response_dest(&v, &udp, &d), 0);
	assert_dest(&d, "[2001:db8::1]:5060");
	/* a name and no received: no DNS here */
	v = vroute("pc.example.com", 0, NULL, 0, NULL, SIP_TP_UDP);
	assert_int_equal(sip_tp_response_dest(&v, &udp, &d), -EHOSTUNREACH);
	/* TCP with no live connection: received and port, over TCP */
	v = vroute("pc.example.com", 5062, "198.51.100.7", 0, NULL, SIP_TP_TCP);
	assert_int_equal(sip_tp_response_dest(&v, NULL, &d), 0);
	assert_dest(&d, "198.51.100.7:5062");
	assert_int_equal(d.tp, SIP_TP_TCP);
	assert_int_equal(d.conn_id, 0);
}

/* RFC 3581 §4, §18.2.1: received only when sent-by differs from the source. */
static void
via_nat_rules(void **state)
{
	struct sip_src src = { .tp = SIP_TP_UDP };

	(void)state;
	assert_int_equal(xr_sa_parse(&src.peer, "198.51.100.7:40001", -1), 0);
	sip_tp_via_nat(&src, "192.0.2.1", 9, false);
	assert_string_equal(src.received, "198.51.100.7");
	assert_int_equal(src.rport, 0);
	sip_tp_via_nat(&src, "198.51.100.7", 12, true);
	assert_string_equal(src.received, "");
	assert_int_equal(src.rport, 40001);
	sip_tp_via_nat(&src, "pc.example.com", 14, true);
	assert_string_equal(src.received, "198.51.100.7");
	assert_int_equal(xr_sa_parse(&src.peer, "[2001:db8::7]:5060", -1), 0);
	sip_tp_via_nat(&src, "[2001:db8::7]", 13, false);
	assert_string_equal(src.received, "");
	sip_tp_via_nat(&src, "[2001:db8::8]", 13, false);
	assert_string_equal(src.received, "2001:db8::7");
}

/* Source selection: the --sip address of the destination's family, and its port. */
static void
pick_local(void **state)
{
	struct sip_dest d = { .sock = -1, .tp = SIP_TP_UDP };
	union xr_sa local;

	(void)state;
	assert_int_equal(xr_sa_parse(&d.addr, "127.0.0.1:5099", -1), 0);
	assert_int_equal(sip_tp_pick(&d, &local), 0);
	assert_int_equal(d.sock, 0);
	assert_int_equal(xr_sa_port(&local), port);
	d.sock = -1;
	assert_int_equal(xr_sa_parse(&d.addr, "[::1]:5099", -1), 0);
	if (cfg.nsip < 2) {
		assert_int_equal(sip_tp_pick(&d, &local), -EAFNOSUPPORT);	/* no v6 --sip */
	} else {
		assert_int_equal(sip_tp_pick(&d, &local), 0);
		assert_int_equal(d.sock, 1);
		assert_int_equal(local.sa.sa_family, AF_INET6);
	}
}

/* ---- client transactions at run time ---------------------------------------- */

/* A UDP "UAS" the client transactions talk to. */
static int
uas_udp(struct sip_dest *d)
{
	uint16_t p;
	int fd = udp_client(&p);

	memset(d, 0, sizeof(*d));
	assert_int_equal(xr_sa_parse(&d->addr, "127.0.0.1:0", -1), 0);
	xr_sa_set_port(&d->addr, p);
	d->tp = SIP_TP_UDP;
	d->sock = -1;
	return fd;
}

static int
make_req(char *buf, size_t cap, const char *method, const char *branch, const char *callid,
	 const char *tp)
{
	union xr_sa local;

	assert_int_equal(sip_tp_bound(0, &local), 0);
	return snprintf(buf, cap,
			"%s sip:bob@127.0.0.1 SIP/2.0\r\n"
			"Via: SIP/2.0/%s 127.0.0.1:%u;branch=%s\r\n"
			"Route: <sip:127.0.0.1;lr>\r\n"
			"From: <sip:alice@example.com>;tag=c1\r\n"
			"To: <sip:bob@example.com>\r\n"
			"Call-ID: %s\r\n"
			"CSeq: 5 %s\r\n"
			"Max-Forwards: 70\r\n"
			"Content-Length: 0\r\n\r\n",
			method, tp, xr_sa_port(&local), branch, callid, method);
}

/* A response to request req (as received by the UAS) with status line sl. */
static int
make_resp(char *out, size_t cap, const char *req, const char *sl, const char *totag)
{
	struct sip_msg *m = calloc(1, sizeof(*m));
	struct sip_err e;
	size_t off;
	const struct sip_hdr *h;

	assert_int_equal(sip_msg_parse(m, req, strlen(req), &e), 0);
	off = (size_t)snprintf(out, cap, "SIP/2.0 %s\r\n", sl);
	for (h = sip_msg_hdr(m, SIP_HDR_VIA); h; h = sip_msg_hdr_next(m, h))
		off += (size_t)snprintf(out + off, cap - off, "%.*s", h->raw.len, h->raw.s);
	off += (size_t)snprintf(out + off, cap - off, "%.*s", SIP_STR_FMT(sip_msg_hdr(m, SIP_HDR_FROM)->raw));
	off += (size_t)snprintf(out + off, cap - off, "To: <sip:bob@example.com>;tag=%s\r\n", totag);
	off += (size_t)snprintf(out + off, cap - off, "%.*s", SIP_STR_FMT(sip_msg_hdr(m, SIP_HDR_CALL_ID)->raw));
	off += (size_t)snprintf(out + off, cap - off, "%.*s", SIP_STR_FMT(sip_msg_hdr(m, SIP_HDR_CSEQ)->raw));
	off += (size_t)snprintf(out + off, cap - off, "Content-Length: 0\r\n\r\n");
	free(m);
	return (int)off;
}

static void
uas_send(int fd, const char *buf)
{
	struct sockaddr_in a = server_addr();

	assert_true(sendto(fd, buf, strlen(buf), 0, (struct sockaddr *)&a, sizeof(a)) > 0);
}

/*
 * A new client transaction (TU context ctx) for a method request with
 * Call-ID callid over tp ("UDP" or "TCP") to d; the request in req, its
 * branch in branch (TXN_BRANCH_MAX bytes) unless NULL.
 */
static struct txn *
client_new(struct sip_dest *d, void *ctx, const char *method, const char *callid,
	   const char *tp, char *req, size_t cap, char *branch_out)
{
	char own[TXN_BRANCH_MAX], *branch = branch_out ? branch_out : own;
	struct txn *ct;

	txn_branch_new(branch, TXN_BRANCH_MAX);
	make_req(req, cap, method, branch, callid, tp);
	ct = txn_client_new(d, branch, req, strlen(req), ctx);
	assert_non_null(ct);
	return ct;
}

/* The UAS on fd receives a request (into got) and answers sl (To tag totag, into resp). */
static void
uas_answer(int fd, char *got, size_t gcap, char *resp, size_t rcap, const char *sl,
	   const char *totag)
{
	assert_true(recv_wait(fd, got, gcap, 1000) > 0);
	make_resp(resp, rcap, got, sl, totag);
	uas_send(fd, resp);
}

/* Timer E retransmits (T1 = 100 ms doubling to T2 = 400 ms); the 200 stops it. */
static void
client_nict_retransmit(void **state)
{
	static int ctx;
	char req[1024], got[4096], resp[2048];
	struct sip_dest d;
	struct tu_ev e;
	int fd, n = 0;

	(void)state;
	fd = uas_udp(&d);
	client_new(&d, &ctx, "OPTIONS", "cn1@test", "UDP", req, sizeof(req), NULL);
	/* the request and 3 retransmissions (100, 300, 700 ms) within 1 s */
	for (int i = 0; i < 20; i++) {
		int r = recv_wait(fd, got, sizeof(got), 50);

		if (r > 0) {
			assert_string_equal(got, req);
			n++;
		}
		if (i == 19 || n == 4)
			break;
	}
	assert_int_equal(n, 4);
	make_resp(resp, sizeof(resp), got, "200 OK", "u1");
	uas_send(fd, resp);
	e = wait_ev(&ctx, EV_RESP, 1000);
	assert_int_equal(e.code, 200);
	/* no more retransmissions; K = T4 ends it */
	assert_true(recv_wait(fd, got, sizeof(got), 600) < 0);
	e = wait_ev(&ctx, EV_GONE, 1000);
	assert_int_equal(e.why, TXN_DONE);
	close(fd);
}

/* Timer F: no answer at all: failure(408, TXN_TIMEOUT), then gone. */
static void
client_nict_timeout(void **state)
{
	static int ctx;
	char req[1024];
	struct sip_dest d;
	struct tu_ev e;
	int fd;

	(void)state;
	txn_set_timers(&(struct txn_timer_cfg){ .t1 = 20, .t2 = 80, .t4 = 100, .timer_c = 180000 });
	fd = uas_udp(&d);
	client_new(&d, &ctx, "OPTIONS", "cn2@test", "UDP", req, sizeof(req), NULL);
	e = wait_ev(&ctx, EV_FAIL, 3000);	/* F = 64 * 20 ms */
	assert_int_equal(e.code, 408);
	assert_int_equal(e.why, TXN_TIMEOUT);
	e = wait_ev(&ctx, EV_GONE, 1000);
	assert_int_equal(e.why, TXN_TIMEOUT);
	assert_int_equal(count_ev(&ctx, EV_RESP), 0);
	txn_set_timers(&(struct txn_timer_cfg){ .t1 = 100, .t2 = 400, .t4 = 500, .timer_c = 180000 });
	close(fd);
}

/* INVITE: 180 and 486 to the TU; the ACK (§17.1.1.3) for each 486 copy. */
static void
client_ict_ack(void **state)
{
	static int ctx;
	char req[1024], got[4096], resp[2048], branch[TXN_BRANCH_MAX], want[128];
	struct sip_dest d;
	struct tu_ev e;
	int fd;

	(void)state;
	fd = uas_udp(&d);
	client_new(&d, &ctx, "INVITE", "ci1@test", "UDP", req, sizeof(req), branch);
	uas_answer(fd, got, sizeof(got), resp, sizeof(resp), "180 Ringing", "u2");
	assert_int_equal(wait_ev(&ctx, EV_RESP, 1000).code, 180);
	make_resp(resp, sizeof(resp), got, "486 Busy Here", "u2");
	uas_send(fd, resp);
	e = wait_ev(&ctx, EV_RESP, 1000);
	assert_int_equal(e.code, 486);
	for (int i = 0; i < 2; i++) {
		/* skip retransmitted INVITEs that crossed the 180 */
		int r;

		do {
			r = recv_wait(fd, got, sizeof(got), 1000);
			assert_true(r > 0);
		} while (strncmp(got, "INVITE ", 7) == 0);
		assert_memory_equal(got, "ACK sip:bob@127.0.0.1 SIP/2.0\r\n", 31);
		snprintf(want, sizeof(want), "branch=%s\r\n", branch);
		assert_non_null(strstr(got, want));
		assert_non_null(strstr(got, "CSeq: 5 ACK\r\n"));
		assert_non_null(strstr(got, "tag=u2"));
		assert_non_null(strstr(got, "Route: <sip:127.0.0.1;lr>\r\n"));
		if (i == 0)
			uas_send(fd, resp);	/* the 486 again: ACK again, TU not told */
	}
	msleep(100);
	assert_int_equal(count_ev(&ctx, EV_RESP), 0);
	close(fd);
}

/* Wait up to ms for txn_compact_count() to reach n; true when it did. */
static bool
compact_wait(unsigned long n, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (txn_compact_count() == n)
			return true;
		msleep(10);
	}
	return txn_compact_count() == n;
}

/*
 * A NIST in Completed (Timer J) becomes a compact record (txn_compact.c):
 * the full record leaves the table, the retransmitted request still gets the
 * same final response and the TU does not see it; at Timer J (64*T1) the
 * compact record goes, and the same request is then a new one.
 */
static void
udp_compact_nist(void **state)
{
	struct sockaddr_in a = server_addr();
	char req[1024], resp[4096], resp2[4096];
	unsigned long c0;
	int fd, before;

	(void)state;
	txn_set_timers(&(struct txn_timer_cfg){ .t1 = 20, .t2 = 80, .t4 = 100, .timer_c = 180000 });
	fd = udp_client(NULL);
	reg(req, sizeof(req), "UDP", "compact1", "cmp1@test", ";rport");
	c0 = txn_compact_count();
	assert_int_equal(c0, 0);
	before = nrequests();
	assert_true(sendto(fd, req, strlen(req), 0, (struct sockaddr *)&a, sizeof(a)) > 0);
	assert_true(recv_wait(fd, resp, sizeof(resp), 2000) > 0);
	assert_memory_equal(resp, "SIP/2.0 200 ", 12);
	assert_true(compact_wait(c0 + 1, 1000));
	for (int i = 0; i < 2; i++) {
		assert_true(sendto(fd, req, strlen(req), 0, (struct sockaddr *)&a, sizeof(a)) > 0);
		assert_true(recv_wait(fd, resp2, sizeof(resp2), 2000) > 0);
		assert_string_equal(resp, resp2);
	}
	assert_int_equal(nrequests(), before + 1);
	/* Timer J = 64 * 20 ms */
	assert_true(compact_wait(c0, 3000));
	assert_true(sendto(fd, req, strlen(req), 0, (struct sockaddr *)&a, sizeof(a)) > 0);
	assert_true(recv_wait(fd, resp2, sizeof(resp2), 2000) > 0);
	assert_memory_equal(resp2, "SIP/2.0 200 ", 12);
	assert_int_equal(nrequests(), before + 2);
	assert_true(compact_wait(c0 + 1, 1000));
	assert_true(compact_wait(c0, 3000));
	txn_set_timers(&(struct txn_timer_cfg){ .t1 = 100, .t2 = 400, .t4 = 500, .timer_c = 180000 });
	close(fd);
}

/*
 * An ICT in Completed (Timer D, 32 s) becomes a compact record: the TU's
 * gone() comes at once (TXN_DONE), and a retransmitted 486 still gets the
 * ACK again without reaching the TU.  Then a NICT in Completed (Timer K).
 */
static void
client_compact(void **state)
{
	static int ctx, ctx2;
	char branch[TXN_BRANCH_MAX], req[1024], got[4096], resp[2048], ack[4096];
	struct sip_dest d;
	unsigned long c0;
	struct tu_ev e;
	int fd, r;

	(void)state;
	fd = uas_udp(&d);
	c0 = txn_compact_count();
	client_new(&d, &ctx, "INVITE", "cc1@test", "UDP", req, sizeof(req), branch);
	uas_answer(fd, got, sizeof(got), resp, sizeof(resp), "486 Busy Here", "u9");
	assert_int_equal(wait_ev(&ctx, EV_RESP, 1000).code, 486);
	do {
		r = recv_wait(fd, ack, sizeof(ack), 1000);
		assert_true(r > 0);
	} while (strncmp(ack, "INVITE ", 7) == 0);
	assert_memory_equal(ack, "ACK ", 4);
	e = wait_ev(&ctx, EV_GONE, 1000);	/* not 32 s later: the full record went */
	assert_int_equal(e.why, TXN_DONE);
	assert_true(compact_wait(c0 + 1, 1000));
	for (int i = 0; i < 2; i++) {
		uas_send(fd, resp);		/* the 486 again: the same ACK again */
		do {
			r = recv_wait(fd, got, sizeof(got), 1000);
			assert_true(r > 0);
		} while (strncmp(got, "INVITE ", 7) == 0);
		assert_string_equal(got, ack);
	}
	msleep(100);
	assert_int_equal(count_ev(&ctx, EV_RESP), 0);

	/* NICT: the 200 to the TU once, a retransmitted 200 absorbed, K = T4 */
	client_new(&d, &ctx2, "OPTIONS", "cc2@test", "UDP", req, sizeof(req), branch);
	uas_answer(fd, got, sizeof(got), resp, sizeof(resp), "200 OK", "u10");
	assert_int_equal(wait_ev(&ctx2, EV_RESP, 1000).code, 200);
	assert_int_equal(wait_ev(&ctx2, EV_GONE, 1000).why, TXN_DONE);
	assert_true(compact_wait(c0 + 2, 1000));
	uas_send(fd, resp);
	msleep(100);
	assert_int_equal(count_ev(&ctx2, EV_RESP), 0);
	assert_true(compact_wait(c0 + 1, 2000));	/* K = 500 ms */
	close(fd);
}

/*
 * RFC 6026 Accepted, both sides, as compact records: an IST after its 2xx
 * absorbs the retransmitted INVITE and passes an ACK with its branch to the
 * TU; an ICT after a 2xx passes a retransmitted 2xx to the TU (as a stray
 * response: the full record and its context are gone).
 */
static void
compact_accepted(void **state)
{
	static int ctx;
	struct sockaddr_in a = server_addr();
	char branch[TXN_BRANCH_MAX], req[1024], got[4096], resp[2048], ack[1024];
	struct sip_dest d;
	unsigned long c0 = txn_compact_count();
	int fd, before, acks, strays;

	(void)state;
	/* IST: INVITE, our 200 (tu_request), L = 64*T1 */
	fd = udp_client(NULL);
	snprintf(req, sizeof(req),
		 "INVITE sip:bob@example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKcompactinv1\r\n"
		 "From: <sip:alice@example.com>;tag=a9\r\n"
		 "To: <sip:bob@example.com>\r\n"
		 "Call-ID: cinv1@test\r\n"
		 "CSeq: 1 INVITE\r\n"
		 "Contact: <sip:alice@127.0.0.1:5999>\r\n"
		 "Max-Forwards: 70\r\n"
		 "Content-Length: 0\r\n\r\n");
	before = nrequests();
	acks = seen(&seen_acks);
	assert_true(sendto(fd, req, strlen(req), 0, (struct sockaddr *)&a, sizeof(a)) > 0);
	assert_true(recv_wait(fd, got, sizeof(got), 2000) > 0);
	assert_memory_equal(got, "SIP/2.0 200 ", 12);
	assert_true(compact_wait(c0 + 1, 1000));
	assert_true(sendto(fd, req, strlen(req), 0, (struct sockaddr *)&a, sizeof(a)) > 0);
	assert_true(recv_wait(fd, got, sizeof(got), 300) < 0);	/* absorbed */
	assert_int_equal(nrequests(), before + 1);
	snprintf(ack, sizeof(ack),
		 "ACK sip:bob@example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKcompactinv1\r\n"
		 "From: <sip:alice@example.com>;tag=a9\r\n"
		 "To: <sip:bob@example.com>;tag=x\r\n"
		 "Call-ID: cinv1@test\r\n"
		 "CSeq: 1 ACK\r\n"
		 "Max-Forwards: 70\r\n"
		 "Content-Length: 0\r\n\r\n");
	assert_true(sendto(fd, ack, strlen(ack), 0, (struct sockaddr *)&a, sizeof(a)) > 0);
	for (int i = 0; i < 100 && seen(&seen_acks) == acks; i++)
		msleep(10);
	assert_int_equal(seen(&seen_acks), acks + 1);
	assert_int_equal(txn_compact_count(), c0 + 1);
	/* a CANCEL crossing the 2xx: the response context exists (§16.10): 200 */
	snprintf(ack, sizeof(ack),
		 "CANCEL sip:bob@example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKcompactinv1\r\n"
		 "From: <sip:alice@example.com>;tag=a9\r\n"
		 "To: <sip:bob@example.com>\r\n"
		 "Call-ID: cinv1@test\r\n"
		 "CSeq: 1 CANCEL\r\n"
		 "Max-Forwards: 70\r\n"
		 "Content-Length: 0\r\n\r\n");
	assert_true(sendto(fd, ack, strlen(ack), 0, (struct sockaddr *)&a, sizeof(a)) > 0);
	assert_true(recv_wait(fd, got, sizeof(got), 2000) > 0);
	assert_memory_equal(got, "SIP/2.0 200 ", 12);
	assert_non_null(strstr(got, "CSeq: 1 CANCEL\r\n"));
	assert_int_equal(nrequests(), before + 1);	/* answered below the TU */
	assert_true(compact_wait(c0 + 2, 1000));	/* the CANCEL's NIST, Timer J */
	close(fd);

	/* ICT: a 200 to the TU once, gone() at once, the 200 again as stray */
	fd = uas_udp(&d);
	strays = seen(&seen_strays);
	client_new(&d, &ctx, "INVITE", "cinv2@test", "UDP", req, sizeof(req), branch);
	uas_answer(fd, got, sizeof(got), resp, sizeof(resp), "200 OK", "u11");
	assert_int_equal(wait_ev(&ctx, EV_RESP, 1000).code, 200);
	assert_int_equal(wait_ev(&ctx, EV_GONE, 1000).why, TXN_DONE);
	assert_true(compact_wait(c0 + 3, 1000));
	uas_send(fd, resp);
	for (int i = 0; i < 100 && seen(&seen_strays) == strays; i++)
		msleep(10);
	assert_int_equal(seen(&seen_strays), strays + 1);
	assert_int_equal(count_ev(&ctx, EV_RESP), 0);
	close(fd);
}

/* CANCEL (§9.1): built from the INVITE, its 200 absorbed, the 487 to the TU. */
static void
client_ict_cancel(void **state)
{
	static int ctx;
	char req[1024], got[4096], cancel[4096], resp[2048], branch[TXN_BRANCH_MAX];
	struct sip_dest d;
	struct txn *ct;
	int fd, r;

	(void)state;
	fd = uas_udp(&d);
	ct = client_new(&d, &ctx, "INVITE", "ci2@test", "UDP", req, sizeof(req), branch);
	uas_answer(fd, got, sizeof(got), resp, sizeof(resp), "183 Session Progress", "u3");
	assert_int_equal(wait_ev(&ctx, EV_RESP, 1000).code, 183);
	assert_int_equal(txn_client_cancel(ct), 0);
	assert_int_equal(txn_client_cancel(ct), -EALREADY);
	do {
		r = recv_wait(fd, cancel, sizeof(cancel), 1000);
		assert_true(r > 0);
	} while (strncmp(cancel, "INVITE ", 7) == 0);
	assert_memory_equal(cancel, "CANCEL sip:bob@127.0.0.1 SIP/2.0\r\n", 34);
	assert_non_null(strstr(cancel, "CSeq: 5 CANCEL\r\n"));
	assert_non_null(strstr(cancel, branch));
	make_resp(resp, sizeof(resp), cancel, "200 OK", "u3");
	uas_send(fd, resp);
	make_resp(resp, sizeof(resp), got, "487 Request Terminated", "u3");
	uas_send(fd, resp);
	assert_int_equal(wait_ev(&ctx, EV_RESP, 1000).code, 487);
	msleep(100);
	assert_int_equal(count_ev(&ctx, EV_RESP), 0);	/* the CANCEL's 200 was not ours */
	close(fd);
}

/* Timer C (§16.8): after a provisional, CANCEL + failure(408, TXN_TIMER_C). */
static void
client_ict_timer_c(void **state)
{
	static int ctx;
	char req[1024], got[4096], resp[2048];
	struct sip_dest d;
	struct tu_ev e;
	int fd, r;

	(void)state;
	txn_set_timers(&(struct txn_timer_cfg){ .t1 = 100, .t2 = 400, .t4 = 500, .timer_c = 400 });
	fd = uas_udp(&d);
	client_new(&d, &ctx, "INVITE", "ci3@test", "UDP", req, sizeof(req), NULL);
	uas_answer(fd, got, sizeof(got), resp, sizeof(resp), "180 Ringing", "u4");
	assert_int_equal(wait_ev(&ctx, EV_RESP, 1000).code, 180);
	e = wait_ev(&ctx, EV_FAIL, 2000);
	assert_int_equal(e.code, 408);
	assert_int_equal(e.why, TXN_TIMER_C);
	do {
		r = recv_wait(fd, got, sizeof(got), 1000);
		assert_true(r > 0);
	} while (strncmp(got, "INVITE ", 7) == 0);
	assert_memory_equal(got, "CANCEL ", 7);
	txn_set_timers(&(struct txn_timer_cfg){ .t1 = 100, .t2 = 400, .t4 = 500, .timer_c = 180000 });
	close(fd);
}

/* Over TCP: an outgoing connection, the response read back on it, no retransmissions. */
static void
client_tcp(void **state)
{
	static int ctx;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t sl = sizeof(a);
	char req[1024], got[4096], resp[2048];
	struct sip_dest d;
	int lfd, cfd, r;

	(void)state;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &sl), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(xr_sa_parse(&d.addr, "127.0.0.1:0", -1), 0);
	xr_sa_set_port(&d.addr, ntohs(a.sin_port));
	d.tp = SIP_TP_TCP;
	d.sock = -1;
	client_new(&d, &ctx, "OPTIONS", "ct1@test", "TCP", req, sizeof(req), NULL);
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	r = recv_wait(cfd, got, sizeof(got), 1000);
	assert_int_equal(r, (int)strlen(req));
	assert_true(recv_wait(cfd, got + r, sizeof(got) - (size_t)r, 400) < 0);	/* no E */
	make_resp(resp, sizeof(resp), got, "200 OK", "u5");
	assert_int_equal(write(cfd, resp, strlen(resp)), (ssize_t)strlen(resp));
	assert_int_equal(wait_ev(&ctx, EV_RESP, 1000).code, 200);
	assert_int_equal(wait_ev(&ctx, EV_GONE, 1000).why, TXN_DONE);	/* K = 0 */
	close(cfd);
	close(lfd);
}

/* §17.1.4: a refused TCP connect is a transport error at once, not Timer F. */
static void
client_tcp_refused(void **state)
{
	static int ctx;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t sl = sizeof(a);
	char req[1024], branch[TXN_BRANCH_MAX];
	struct sip_dest d;
	struct tu_ev e;
	int fd;

	(void)state;
	/*
	 * A port nobody listens on, kept bound (not listening) for the test:
	 * a SYN to it is refused, and no automatic bind can take it meanwhile
	 * (closed at once, the client's own connect could get it as its source
	 * port and connect to itself: TCP simultaneous open).
	 */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(xr_sa_parse(&d.addr, "127.0.0.1:0", -1), 0);
	xr_sa_set_port(&d.addr, ntohs(a.sin_port));
	d.tp = SIP_TP_TCP;
	d.sock = -1;
	txn_branch_new(branch, sizeof(branch));
	make_req(req, sizeof(req), "INVITE", branch, "ct2@test", "TCP");
	/*
	 * Over loopback the RST may be handled before connect() returns: the
	 * first send then fails at once and txn_client_new() says so (NULL,
	 * ECONNREFUSED, or ENOTCONN when the refusal was seen before the write;
	 * no callbacks: the proxy answers 503 itself), about one run in four
	 * under ASan.  Either way it is a transport error now.
	 */
	if (!txn_client_new(&d, branch, req, strlen(req), &ctx)) {
		assert_true(errno == ECONNREFUSED || errno == ENOTCONN);
		struct timespec ts = { 0, 200 * 1000000L };

		nanosleep(&ts, NULL);	/* a window for a wrong callback to show */
		assert_int_equal(count_ev(&ctx, EV_FAIL) + count_ev(&ctx, EV_GONE), 0);
		close(fd);
		return;
	}
	/* Bounds, not timings: generous for a loaded host. */
	e = wait_ev(&ctx, EV_FAIL, 5000);
	assert_int_equal(e.code, 503);
	assert_int_equal(e.why, TXN_TRANSPORT);
	assert_int_equal(wait_ev(&ctx, EV_GONE, 5000).why, TXN_TRANSPORT);
	close(fd);
}

/* The next hop closes the connection before answering: 503 too. */
static void
client_tcp_peer_close(void **state)
{
	static int ctx;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t sl = sizeof(a);
	char req[1024], got[4096];
	struct sip_dest d;
	int lfd, cfd;

	(void)state;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &sl), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(xr_sa_parse(&d.addr, "127.0.0.1:0", -1), 0);
	xr_sa_set_port(&d.addr, ntohs(a.sin_port));
	d.tp = SIP_TP_TCP;
	d.sock = -1;
	client_new(&d, &ctx, "OPTIONS", "ct3@test", "TCP", req, sizeof(req), NULL);
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	assert_true(recv_wait(cfd, got, sizeof(got), 1000) > 0);
	close(cfd);
	assert_int_equal(wait_ev(&ctx, EV_FAIL, 1000).code, 503);
	close(lfd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: they count compact records, and no other test's is alive yet */
		cmocka_unit_test(udp_compact_nist),
		cmocka_unit_test(client_compact),
		cmocka_unit_test(compact_accepted),
		cmocka_unit_test(udp_register),
		cmocka_unit_test(udp_register_v6),
		cmocka_unit_test(udp_retransmission),
		cmocka_unit_test(udp_rport_received),
		cmocka_unit_test(udp_no_received),
		cmocka_unit_test(udp_untrusted_to_source),
		cmocka_unit_test(udp_malformed),
		cmocka_unit_test(tcp_register),
		cmocka_unit_test(tcp_via_says_udp),
		cmocka_unit_test(tcp_two_in_one),
		cmocka_unit_test(tcp_split),
		cmocka_unit_test(tcp_oversize),
		cmocka_unit_test(tcp_idle),
		cmocka_unit_test(tcp_max_conns),
		cmocka_unit_test(response_dest_rules),
		cmocka_unit_test(via_nat_rules),
		cmocka_unit_test(pick_local),
		cmocka_unit_test(client_nict_retransmit),
		cmocka_unit_test(client_nict_timeout),
		cmocka_unit_test(client_ict_ack),
		cmocka_unit_test(client_ict_cancel),
		cmocka_unit_test(client_ict_timer_c),
		cmocka_unit_test(client_tcp),
		cmocka_unit_test(client_tcp_refused),
		cmocka_unit_test(client_tcp_peer_close),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
