// SPDX-License-Identifier: GPL-2.0
/*
 * test_call_media.c - a call's offer/answer machine (proxy/call_media.c)
 * against real media sessions on loopback (relay thread running, no fast
 * path): initial offer and answer, early answers, re-INVITE from either
 * side with port and codec changes, hold both ways, rejected and added
 * streams, a failed re-offer, delayed offer (answer in the ACK), replays,
 * multipart bodies, bad SDP, an exhausted port range, the silence rules and
 * teardown.  Every rewritten body is parsed back and checked line by line.
 * Ports: a block of 40 picked by PID in 5000-9999 (other unit tests use
 * 10000-31999), so parallel runs do not collide.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cmocka.h>
#include <jansson.h>
#include <urcu.h>

#include "common/log.h"
#include "media/media.h"
#include "proxy/call_media.h"
#include "sdp/sdp.h"
#include "sip/msg.h"

static struct xr_config cfg;
static uint16_t BASE;

/* A parsed message and the buffer it points into. */
struct tmsg {
	char		buf[8192];
	struct sip_msg	m;
};

static struct tmsg msgs[4];
static char out[16384];
static size_t outlen;
static char err[200];

/*
 * Build and parse a message: start line, CSeq method, Content-Type and
 * body.  slot picks one of the static buffers (a test keeps up to four).
 */
static struct sip_msg *
mkmsg(int slot, const char *start, const char *cseq, const char *ctype, const char *body)
{
	struct tmsg *t = &msgs[slot];
	struct sip_err e;
	int n;

	n = snprintf(t->buf, sizeof(t->buf),
		     "%s\r\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-%d\r\n"
		     "From: <sip:alice@example.com>;tag=a1\r\n"
		     "To: <sip:bob@example.com>%s\r\n"
		     "Call-ID: cm-test@127.0.0.1\r\n"
		     "CSeq: %s\r\n"
		     "Max-Forwards: 70\r\n"
		     "%s%s%s"
		     "Content-Length: %zu\r\n"
		     "\r\n%s",
		     start, slot, strncmp(start, "INVITE", 6) == 0 && strstr(cseq, "1 ") ? "" :
		     ";tag=b1", cseq, ctype ? "Content-Type: " : "", ctype ? ctype : "",
		     ctype ? "\r\n" : "", body ? strlen(body) : 0, body ? body : "");
	assert_true(n > 0 && (size_t)n < sizeof(t->buf));
	memset(&t->m, 0, sizeof(t->m));
	assert_int_equal(sip_msg_parse(&t->m, t->buf, (size_t)n, &e), 0);
	return &t->m;
}

static struct sip_msg *
req(int slot, const char *method, int cseq, const char *body)
{
	char start[128], cs[64];

	snprintf(start, sizeof(start), "%s sip:bob@127.0.0.1 SIP/2.0", method);
	snprintf(cs, sizeof(cs), "%d %s", cseq, method);
	return mkmsg(slot, start, cs, body ? "application/sdp" : NULL, body);
}

static struct sip_msg *
resp(int slot, int code, const char *method, int cseq, const char *body)
{
	char start[128], cs[64];

	snprintf(start, sizeof(start), "SIP/2.0 %d Whatever", code);
	snprintf(cs, sizeof(cs), "%d %s", cseq, method);
	return mkmsg(slot, start, cs, body ? "application/sdp" : NULL, body);
}

/* An SDP from ip: one "audio PORT" line per port given (0: rejected), then extra lines. */
static const char *
sdp(char *buf, size_t cap, const char *ip, int aport, const char *afmt, int vport,
    const char *extra)
{
	int n = snprintf(buf, cap,
			 "v=0\r\n"
			 "o=- 1 1 IN IP4 %s\r\n"
			 "s=-\r\n"
			 "c=IN IP4 %s\r\n"
			 "t=0 0\r\n"
			 "m=audio %d RTP/AVP %s\r\n"
			 "a=rtpmap:%s\r\n"
			 "%s",
			 ip, ip, aport, afmt, strcmp(afmt, "8") == 0 ? "8 PCMA/8000" : "0 PCMU/8000",
			 extra ? extra : "");
	if (vport >= 0)
		n += snprintf(buf + n, cap - (size_t)n, "m=video %d RTP/AVP 96\r\n"
			      "a=rtpmap:96 H264/90000\r\n", vport);
	return buf;
}

static union xr_sa
SA(const char *s)
{
	union xr_sa sa;

	assert_int_equal(xr_sa_parse(&sa, s, 0), 0);
	return sa;
}

static uint16_t
P(int off)
{
	return (uint16_t)(BASE + off);
}

/* The rewritten body parsed: line i's port and address. */
static struct sdp got;

static void
parse_out(void)
{
	char perr[128];

	assert_int_equal(sdp_parse(out, outlen, &got, perr, sizeof(perr)), 0);
}

static void
assert_line(int i, const char *ip, uint16_t port)
{
	char a[XR_SA_STRLEN];

	assert_true(i < got.n_media);
	assert_int_equal(got.m[i].port, port);
	if (port)
		assert_string_equal(xr_sa_ipstr(&got.m[i].rtp, a, sizeof(a)), ip);
}

/* media_session_info of the only (or the idx-th) session in `calls` json. */
static uint64_t
session_of(struct cm *cm, int idx)
{
	json_t *arr = cm_json(cm), *o = json_array_get(arr, (size_t)idx);
	uint64_t sid = o ? (uint64_t)json_integer_value(json_object_get(o, "session")) : 0;

	json_decref(arr);
	return sid;
}

static void
info(uint64_t sid, struct media_session_info *mi)
{
	assert_int_equal(media_session_info(sid, mi), 0);
}

static int
pairs_in_use(void)
{
	json_t *st = media_stats_json();
	int n = (int)json_integer_value(json_object_get(
		json_array_get(json_object_get(st, "ports"), 0), "pairs_in_use"));

	json_decref(st);
	return n;
}

static int
setup(void **state)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.media[0] = SA("127.0.0.1");
	cfg.nmedia = 1;
	cfg.port_lo = BASE;
	cfg.port_hi = (uint16_t)(BASE + 19);
	cfg.latch = XR_LATCH_STRICT;
	assert_int_equal(media_init(&cfg, NULL), 0);
	assert_int_equal(media_start(), 0);
	return 0;
}

static int
teardown(void **state)
{
	media_stop();
	return 0;
}

static const union xr_sa *
hint(void)
{
	static union xr_sa h;

	h = SA("127.0.0.2:5060");
	return &h;
}

/* Offer from the caller, answer from the callee: both sides set, ports from the range. */
static void
test_offer_answer(void **state)
{
	struct cm *cm = cm_new(1);
	struct media_session_info mi;
	char s1[512], s2[512];
	uint16_t la, lb;
	uint64_t sid;

	assert_non_null(cm);
	assert_int_equal(cm_body(cm, req(0, "INVITE", 1, sdp(s1, sizeof(s1), "127.0.0.10",
			 P(30), "0", -1, NULL)), true, true, CM_NEW, hint(), NULL, out,
			 sizeof(out), &outlen, err, sizeof(err)), 1);
	parse_out();
	sid = session_of(cm, 0);
	assert_true(sid > 0);
	info(sid, &mi);
	/* The callee is offered side B's port; side A already knows the caller. */
	lb = xr_sa_port(&mi.side[MEDIA_B].local_rtp);
	assert_line(0, "127.0.0.1", lb);
	assert_int_equal(xr_sa_port(&mi.side[MEDIA_A].remote_rtp), P(30));
	assert_int_equal(xr_sa_port(&mi.side[MEDIA_B].remote_rtp), 0);
	assert_true(lb >= BASE && lb <= BASE + 19 && lb % 2 == 0);
	/* a=rtcp added with the relay's RTCP port. */
	assert_true(got.m[0].has_rtcp_attr);
	assert_int_equal(xr_sa_port(&got.m[0].rtcp), lb + 1);

	assert_int_equal(cm_body(cm, resp(1, 200, "INVITE", 1, sdp(s2, sizeof(s2), "127.0.0.20",
			 P(32), "0", -1, NULL)), false, true, CM_NEW, NULL, NULL, out, sizeof(out),
			 &outlen, err, sizeof(err)), 1);
	parse_out();
	info(sid, &mi);
	la = xr_sa_port(&mi.side[MEDIA_A].local_rtp);
	assert_line(0, "127.0.0.1", la);
	assert_int_not_equal(la, lb);
	assert_int_equal(xr_sa_port(&mi.side[MEDIA_B].remote_rtp), P(32));
	assert_int_equal(mi.side[MEDIA_A].dir, MEDIA_SENDRECV);
	assert_int_equal(cm_streams(cm), 1);
	assert_int_equal(pairs_in_use(), 2);

	cm_end(cm);
	assert_int_equal(media_session_count(), 0);
	assert_int_equal(pairs_in_use(), 0);
	/* Ended: bodies pass as they are. */
	assert_int_equal(cm_body(cm, resp(1, 200, "INVITE", 1, s2), false, true, CM_NEW, NULL,
				 NULL, out, sizeof(out), &outlen, err, sizeof(err)), 0);
	cm_free(cm);
}

/* Set up an answered call: caller at .10:P(30), callee at .20:P(32). */
static struct cm *
call_up(uint64_t *sid)
{
	struct cm *cm = cm_new(2);
	char s1[512], s2[512];

	assert_int_equal(cm_body(cm, req(0, "INVITE", 1, sdp(s1, sizeof(s1), "127.0.0.10",
			 P(30), "0", -1, NULL)), true, true, CM_NEW, hint(), NULL, out,
			 sizeof(out), &outlen, err, sizeof(err)), 1);
	assert_int_equal(cm_body(cm, resp(1, 200, "INVITE", 1, sdp(s2, sizeof(s2), "127.0.0.20",
			 P(32), "0", -1, NULL)), false, true, CM_NEW, NULL, NULL, out, sizeof(out),
			 &outlen, err, sizeof(err)), 1);
	*sid = session_of(cm, 0);
	return cm;
}

/* 183 with SDP then 200 with another: the 200 sets the callee's side; same relay ports. */
static void
test_early_then_final(void **state)
{
	struct cm *cm = cm_new(3);
	struct media_session_info mi;
	char s1[512], s2[512], s3[512];
	uint16_t la183;
	uint64_t sid;

	assert_int_equal(cm_body(cm, req(0, "INVITE", 1, sdp(s1, sizeof(s1), "127.0.0.10",
			 P(30), "0", -1, NULL)), true, true, CM_NEW, hint(), NULL, out,
			 sizeof(out), &outlen, err, sizeof(err)), 1);
	assert_int_equal(cm_body(cm, resp(1, 183, "INVITE", 1, sdp(s2, sizeof(s2), "127.0.0.20",
			 P(32), "0", -1, NULL)), false, false, CM_NEW, NULL, NULL, out,
			 sizeof(out), &outlen, err, sizeof(err)), 1);
	parse_out();
	la183 = got.m[0].port;
	sid = session_of(cm, 0);
	info(sid, &mi);
	assert_int_equal(xr_sa_port(&mi.side[MEDIA_B].remote_rtp), P(32));	/* early media */
	assert_int_equal(cm_body(cm, resp(2, 200, "INVITE", 1, sdp(s3, sizeof(s3), "127.0.0.21",
			 P(34), "0", -1, NULL)), false, true, CM_NEW, NULL, NULL, out,
			 sizeof(out), &outlen, err, sizeof(err)), 1);
	parse_out();
	assert_int_equal(got.m[0].port, la183);
	info(sid, &mi);
	assert_int_equal(xr_sa_port(&mi.side[MEDIA_B].remote_rtp), P(34));
	/* Exchange complete: the callee's next SDP is an offer (a re-INVITE). */
	cm_end(cm);
	cm_free(cm);
}

/* re-INVITE from the callee: new port and codec, changed only when the answer comes. */
static void
test_reinvite_callee(void **state)
{
	struct media_session_info mi, before;
	char s1[512], s2[512];
	uint64_t sid;
	struct cm *cm = call_up(&sid);

	info(sid, &before);
	assert_int_equal(cm_body(cm, req(0, "INVITE", 2, sdp(s1, sizeof(s1), "127.0.0.20",
			 P(36), "8", -1, NULL)), false, true, CM_NEW, hint(), NULL, out,
			 sizeof(out), &outlen, err, sizeof(err)), 1);
	parse_out();
	/* The caller is offered its own relay port again (stable), codec as offered. */
	assert_line(0, "127.0.0.1", xr_sa_port(&before.side[MEDIA_A].local_rtp));
	assert_non_null(strstr(out, "m=audio"));
	assert_non_null(strstr(out, " RTP/AVP 8\r\n"));
	info(sid, &mi);
	assert_int_equal(xr_sa_port(&mi.side[MEDIA_B].remote_rtp), P(32));	/* not yet */
	assert_int_equal(cm_body(cm, resp(1, 200, "INVITE", 2, sdp(s2, sizeof(s2), "127.0.0.10",
			 P(30), "8", -1, NULL)), true, true, CM_NEW, NULL, NULL, out, sizeof(out),
			 &outlen, err, sizeof(err)), 1);
	parse_out();
	assert_line(0, "127.0.0.1", xr_sa_port(&before.side[MEDIA_B].local_rtp));
	info(sid, &mi);
	assert_int_equal(xr_sa_port(&mi.side[MEDIA_B].remote_rtp), P(36));
	assert_int_equal(xr_sa_port(&mi.side[MEDIA_A].remote_rtp), P(30));
	assert_int_equal(session_of(cm, 0), sid);	/* updated in place */
	assert_int_equal(media_session_count(), 1);
	cm_end(cm);
	cm_free(cm);
}

/* Hold (a=sendonly, then c=0.0.0.0) and resume from the caller. */
static void
test_hold_resume(void **state)
{
	struct media_session_info mi;
	char s1[512], s2[512];
	uint64_t sid;
	struct cm *cm = call_up(&sid);

	assert_int_equal(cm_body(cm, req(0, "INVITE", 2, sdp(s1, sizeof(s1), "127.0.0.10",
			 P(30), "0", -1, "a=sendonly\r\n")), true, true, CM_NEW, hint(), NULL, out,
			 sizeof(out), &outlen, err, sizeof(err)), 1);
	assert_non_null(strstr(out, "a=sendonly\r\n"));
	assert_int_equal(cm_body(cm, resp(1, 200, "INVITE", 2, sdp(s2, sizeof(s2), "127.0.0.20",
			 P(32), "0", -1, "a=recvonly\r\n")), false, true, CM_NEW, NULL, NULL, out,
			 sizeof(out), &outlen, err, sizeof(err)), 1);
	info(sid, &mi);
	assert_int_equal(mi.side[MEDIA_A].dir, MEDIA_SENDONLY);
	assert_int_equal(mi.side[MEDIA_B].dir, MEDIA_RECVONLY);

	/* RFC 2543 hold: c=0.0.0.0 keeps the address, takes receiving away. */
	snprintf(s1, sizeof(s1), "v=0\r\no=- 1 2 IN IP4 127.0.0.10\r\ns=-\r\nc=IN IP4 0.0.0.0\r\n"
		 "t=0 0\r\nm=audio %u RTP/AVP 0\r\n", P(30));
	assert_int_equal(cm_body(cm, req(0, "INVITE", 3, s1), true, true, CM_NEW, hint(), NULL,
				 out, sizeof(out), &outlen, err, sizeof(err)), 1);
	assert_non_null(strstr(out, "c=IN IP4 0.0.0.0\r\n"));
	assert_int_equal(cm_body(cm, resp(1, 200, "INVITE", 3, sdp(s2, sizeof(s2), "127.0.0.20",
			 P(32), "0", -1, NULL)), false, true, CM_NEW, NULL, NULL, out, sizeof(out),
			 &outlen, err, sizeof(err)), 1);
	info(sid, &mi);
	assert_int_equal(mi.side[MEDIA_A].dir, MEDIA_SENDONLY);
	assert_int_equal(xr_sa_port(&mi.side[MEDIA_A].remote_rtp), P(30));
	assert_string_equal(inet_ntoa(mi.side[MEDIA_A].remote_rtp.sin.sin_addr), "127.0.0.10");

	/* Resume. */
	assert_int_equal(cm_body(cm, req(0, "INVITE", 4, sdp(s1, sizeof(s1), "127.0.0.10",
			 P(30), "0", -1, NULL)), true, true, CM_NEW, hint(), NULL, out,
			 sizeof(out), &outlen, err, sizeof(err)), 1);
	assert_int_equal(cm_body(cm, resp(1, 200, "INVITE", 4, sdp(s2, sizeof(s2), "127.0.0.20",
			 P(32), "0", -1, NULL)), false, true, CM_NEW, NULL, NULL, out, sizeof(out),
			 &outlen, err, sizeof(err)), 1);
	info(sid, &mi);
	assert_int_equal(mi.side[MEDIA_A].dir, MEDIA_SENDRECV);
	assert_int_equal(mi.side[MEDIA_B].dir, MEDIA_SENDRECV);
	cm_end(cm);
	cm_free(cm);
}

/* Audio + video offered, video rejected by the answer: its session goes. */
static void
test_rejected_and_added(void **state)
{
	struct cm *cm = cm_new(4);
	char s1[512], s2[512];
	uint64_t sid;

	assert_int_equal(cm_body(cm, req(0, "INVITE", 1, sdp(s1, sizeof(s1), "127.0.0.10",
			 P(30), "0", P(34), NULL)), true, true, CM_NEW, hint(), NULL, out,
			 sizeof(out), &outlen, err, sizeof(err)), 1);
	assert_int_equal(media_session_count(), 2);
	assert_int_equal(cm_body(cm, resp(1, 200, "INVITE", 1, sdp(s2, sizeof(s2), "127.0.0.20",
			 P(32), "0", 0, NULL)), false, true, CM_NEW, NULL, NULL, out, sizeof(out),
			 &outlen, err, sizeof(err)), 1);
	parse_out();
	assert_int_equal(got.n_media, 2);
	assert_int_equal(got.m[1].port, 0);	/* stays rejected */
	assert_int_equal(media_session_count(), 1);
	assert_int_equal(cm_streams(cm), 1);

	/* A re-offer adds the video again; it fails (488): the addition is undone. */
	sid = session_of(cm, 0);
	assert_int_equal(cm_body(cm, req(0, "INVITE", 2, sdp(s1, sizeof(s1), "127.0.0.10",
			 P(30), "0", P(34), NULL)), true, true, CM_NEW, hint(), NULL, out,
			 sizeof(out), &outlen, err, sizeof(err)), 1);
	assert_int_equal(media_session_count(), 2);
	cm_offer_failed(cm, true);
	assert_int_equal(media_session_count(), 1);
	assert_int_equal(session_of(cm, 0), sid);
	/* Fewer lines than the call has: refused (RFC 3264 §8). */
	snprintf(s1, sizeof(s1), "v=0\r\no=- 1 1 IN IP4 127.0.0.10\r\ns=-\r\nt=0 0\r\n");
	assert_int_equal(cm_body(cm, req(0, "INVITE", 3, s1), true, true, CM_NEW, hint(), NULL,
				 out, sizeof(out), &outlen, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "m= lines"));
	cm_end(cm);
	cm_free(cm);
}

/* Delayed offer: the 200 offers, the ACK answers. */
static void
test_delayed_offer(void **state)
{
	struct cm *cm = cm_new(5);
	struct media_session_info mi;
	char s1[512], s2[512];
	uint64_t sid;

	assert_int_equal(cm_body(cm, req(0, "INVITE", 1, NULL), true, true, CM_NEW, hint(),
				 NULL, out, sizeof(out), &outlen, err, sizeof(err)), 0);
	assert_int_equal(cm_body(cm, resp(1, 200, "INVITE", 1, sdp(s1, sizeof(s1), "127.0.0.20",
			 P(32), "0", -1, NULL)), false, true, CM_NEW, hint(), NULL, out,
			 sizeof(out), &outlen, err, sizeof(err)), 1);
	sid = session_of(cm, 0);
	info(sid, &mi);
	/* Side A is the offerer (the callee here). */
	assert_int_equal(xr_sa_port(&mi.side[MEDIA_A].remote_rtp), P(32));
	assert_int_equal(cm_body(cm, req(2, "ACK", 1, sdp(s2, sizeof(s2), "127.0.0.10",
			 P(30), "0", -1, NULL)), true, true, CM_NEW, NULL, NULL, out, sizeof(out),
			 &outlen, err, sizeof(err)), 1);
	parse_out();
	info(sid, &mi);
	assert_line(0, "127.0.0.1", xr_sa_port(&mi.side[MEDIA_A].local_rtp));
	assert_int_equal(xr_sa_port(&mi.side[MEDIA_B].remote_rtp), P(30));
	/* A retransmitted 2xx replays with the same ports. */
	assert_int_equal(cm_body(cm, resp(1, 200, "INVITE", 1, s1), false, true, CM_REPLAY,
				 NULL, NULL, out, sizeof(out), &outlen, err, sizeof(err)), 1);
	parse_out();
	assert_line(0, "127.0.0.1", xr_sa_port(&mi.side[MEDIA_B].local_rtp));
	assert_int_equal(media_session_count(), 1);
	cm_end(cm);
	cm_free(cm);
}

/* SDP inside multipart/mixed (SIP-I): the other part is kept byte for byte. */
static void
test_multipart(void **state)
{
	struct cm *cm = cm_new(6);
	char s1[512], body[1400], start[64];
	const char *isup = "\x01\x10\x00\x02\x0a\x03";
	int n;

	sdp(s1, sizeof(s1), "127.0.0.10", P(30), "0", -1, NULL);
	n = snprintf(body, sizeof(body), "--xyz\r\nContent-Type: application/sdp\r\n\r\n%s\r\n"
		     "--xyz\r\nContent-Type: application/ISUP;version=itu-t92+\r\n\r\n%s\r\n"
		     "--xyz--\r\n", s1, isup);
	assert_true(n > 0);
	snprintf(start, sizeof(start), "INVITE sip:bob@127.0.0.1 SIP/2.0");
	assert_int_equal(cm_body(cm, mkmsg(0, start, "1 INVITE", "multipart/mixed;boundary=xyz",
				 body), true, true, CM_NEW, hint(), NULL, out, sizeof(out), &outlen,
				 err, sizeof(err)), 1);
	assert_true(outlen > 0);
	out[outlen] = '\0';
	assert_true(strncmp(out, "--xyz\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n", 45) == 0);
	assert_non_null(strstr(out, "c=IN IP4 127.0.0.1\r\n"));
	assert_null(strstr(out, "127.0.0.10\r\nt="));
	assert_non_null(strstr(out, "Content-Type: application/ISUP;version=itu-t92+\r\n\r\n"));
	assert_non_null(strstr(out, isup));
	assert_true(outlen >= 9 && strcmp(out + outlen - 9, "--xyz--\r\n") == 0);
	cm_end(cm);
	cm_free(cm);
}

/* Bad input: a clear error, nothing allocated. */
static void
test_bad_sdp(void **state)
{
	struct cm *cm = cm_new(7);
	char s1[512];

	assert_int_equal(cm_body(cm, req(0, "INVITE", 1, "v=0\r\nm=audio x RTP/AVP 0\r\n"), true,
				 true, CM_NEW, hint(), NULL, out, sizeof(out), &outlen, err,
				 sizeof(err)), -EINVAL);
	assert_true(strlen(err) > 0);
	assert_int_equal(media_session_count(), 0);
	/* An answer with another number of lines than the offer. */
	assert_int_equal(cm_body(cm, req(0, "INVITE", 1, sdp(s1, sizeof(s1), "127.0.0.10",
			 P(30), "0", P(34), NULL)), true, true, CM_NEW, hint(), NULL, out,
			 sizeof(out), &outlen, err, sizeof(err)), 1);
	assert_int_equal(cm_body(cm, resp(1, 200, "INVITE", 1, sdp(s1, sizeof(s1), "127.0.0.20",
			 P(32), "0", -1, NULL)), false, true, CM_NEW, NULL, NULL, out, sizeof(out),
			 &outlen, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "answer has 1 m= lines, the offer had 2"));
	/* No Content-Type or another type: no SDP, forwarded as it is. */
	assert_int_equal(cm_body(cm, mkmsg(1, "SIP/2.0 200 OK", "1 INVITE", "text/plain", "hi"),
				 false, true, CM_NEW, NULL, NULL, out, sizeof(out), &outlen, err,
				 sizeof(err)), 0);
	cm_end(cm);
	assert_int_equal(media_session_count(), 0);
	cm_free(cm);
}

/*
 * Ten pairs in the range, four per two-stream call: the third call gets its
 * audio but not its video, and gives the audio back; nothing leaks.
 */
static void
test_exhausted(void **state)
{
	struct cm *cms[3];
	char s1[512];
	int i, rc;

	for (i = 0; i < 3; i++) {
		cms[i] = cm_new((uint64_t)(10 + i));
		rc = cm_body(cms[i], req(0, "INVITE", 1, sdp(s1, sizeof(s1), "127.0.0.10",
			     P(30), "0", P(34), NULL)), true, true, CM_NEW, hint(), NULL, out,
			     sizeof(out), &outlen, err, sizeof(err));
		if (i < 2) {
			assert_int_equal(rc, 1);
		} else {
			assert_int_equal(rc, -ENOSPC);
			assert_non_null(strstr(err, "media stream 2: no free media port pair"));
		}
	}
	assert_int_equal(pairs_in_use(), 8);
	assert_int_equal(media_session_count(), 4);
	assert_int_equal(cm_streams(cms[2]), 0);
	for (i = 0; i < 3; i++) {
		cm_end(cms[i]);
		cm_free(cms[i]);
	}
	assert_int_equal(pairs_in_use(), 0);
}

/*
 * CM_ANSWER: an ACK (or a 2xx after a reliable 1xx) with SDP while nothing
 * is pending repeats; it must not become an offer (else the callee's next
 * offer would be taken for an answer and applied before the caller agreed).
 */
static void
test_answer_mode(void **state)
{
	struct media_session_info mi;
	char s1[512], s2[512];
	uint64_t sid;
	struct cm *cm = call_up(&sid);

	assert_int_equal(cm_body(cm, req(2, "ACK", 1, sdp(s1, sizeof(s1), "127.0.0.10", P(30),
			 "0", -1, NULL)), true, true, CM_ANSWER, NULL, NULL, out, sizeof(out),
			 &outlen, err, sizeof(err)), 1);
	assert_int_equal(cm_body(cm, req(0, "INVITE", 2, sdp(s2, sizeof(s2), "127.0.0.20",
			 P(36), "0", -1, NULL)), false, true, CM_NEW, hint(), NULL, out,
			 sizeof(out), &outlen, err, sizeof(err)), 1);
	info(sid, &mi);
	assert_int_equal(xr_sa_port(&mi.side[MEDIA_B].remote_rtp), P(32));	/* offer only */
	/* The caller's answer arrives as a 200 to that re-INVITE: applied now. */
	assert_int_equal(cm_body(cm, resp(1, 200, "INVITE", 2, sdp(s1, sizeof(s1), "127.0.0.10",
			 P(30), "0", -1, NULL)), true, true, CM_ANSWER, NULL, NULL, out,
			 sizeof(out), &outlen, err, sizeof(err)), 1);
	info(sid, &mi);
	assert_int_equal(xr_sa_port(&mi.side[MEDIA_B].remote_rtp), P(36));
	cm_end(cm);
	cm_free(cm);
}

/* The silence rule: the call is silent when all its streams are. */
static void
test_silence(void **state)
{
	struct cm *cm = cm_new(8);
	char s1[512], s2[512];
	uint64_t a, v;

	assert_int_equal(cm_body(cm, req(0, "INVITE", 1, sdp(s1, sizeof(s1), "127.0.0.10",
			 P(30), "0", P(34), NULL)), true, true, CM_NEW, hint(), NULL, out,
			 sizeof(out), &outlen, err, sizeof(err)), 1);
	assert_int_equal(cm_body(cm, resp(1, 200, "INVITE", 1, sdp(s2, sizeof(s2), "127.0.0.20",
			 P(32), "0", P(36), NULL)), false, true, CM_NEW, NULL, NULL, out,
			 sizeof(out), &outlen, err, sizeof(err)), 1);
	a = session_of(cm, 0);
	v = session_of(cm, 1);
	assert_true(a && v && a != v);
	/* Each session knows its call (a silent one finds it without a search). */
	assert_int_equal(cm_session_call(a), 8);
	assert_int_equal(cm_session_call(v), 8);
	assert_int_equal(cm_session_call(999999), 0);
	assert_int_equal(cm_silent(cm, 999999), -ENOENT);
	assert_int_equal(cm_silent(cm, a), 0);
	assert_int_equal(cm_silent(cm, v), 1);
	cm_touch(cm);
	assert_int_equal(cm_silent(cm, v), 0);
	cm_end(cm);
	assert_int_equal(cm_session_call(a), 0);		/* deleted with the call */
	cm_free(cm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_offer_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_early_then_final, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reinvite_callee, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejected_and_added, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delayed_offer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multipart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_sdp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_mode, setup, teardown),
	};
	int rc;

	BASE = (uint16_t)(5000 + (getpid() % 24) * 200);
	log_init(true, LL_WARN, "test_call_media");
	rcu_register_thread();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rcu_unregister_thread();
	return rc;
}
