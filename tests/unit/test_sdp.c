// SPDX-License-Identifier: GPL-2.0
/*
 * test_sdp.c - the SDP module (daemon/sdp/sdp.h): the parser on offers and
 * answers shaped like real phones' (table-driven, every field checked) and on
 * broken input (rc and reason), the rewriter byte for byte with v4 and v6
 * relays, -ENOSPC at every short cap with a canary, re-parse round trips,
 * and sdp_locate() on SIP-I style multipart bodies.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sdp/sdp.h"

/* LF-written literal -> CRLF, into one of a few static buffers. */
static const char *
crlf(const char *lf)
{
	static char bufs[4][SDP_MAX_LEN + 1];
	static int k;
	char *b = bufs[k++ % 4];
	size_t n = 0;

	for (; *lf; lf++) {
		assert_true(n + 2 < sizeof(bufs[0]));
		if (*lf == '\n')
			b[n++] = '\r';
		b[n++] = *lf;
	}
	b[n] = '\0';
	return b;
}

static void
assert_sa(const union xr_sa *sa, const char *want)
{
	char b[XR_SA_STRLEN];

	if (!want || !*want) {
		assert_int_equal(sa->sa.sa_family, 0);
		return;
	}
	assert_string_equal(xr_sa_str(sa, b, sizeof(b)), want);
}

static void
assert_slice(struct sip_str s, const char *want)
{
	assert_non_null(s.s);
	assert_int_equal(s.len, (int)strlen(want));
	assert_memory_equal(s.s, want, s.len);
}

static union xr_sa
sa(const char *s)
{
	union xr_sa a;

	assert_int_equal(xr_sa_parse(&a, s, -1), 0);
	return a;
}

/* ---- parser: valid descriptions ------------------------------------------ */

struct exp_media {
	const char	*type;
	uint16_t	 port, nports;
	const char	*proto, *fmts;
	const char	*rtp, *rtcp;	/* "" or NULL: family 0 */
	bool		 has_rtcp, mux, null;
	enum media_dir	 dir;
};

struct parse_case {
	const char		*name;
	const char		*sdp;	/* LF-written */
	bool			 keep_lf;	/* else turned into CRLF */
	int			 n_media;
	struct exp_media	 m[3];
};

static const struct parse_case parse_cases[] = {
	{ "linphone offer: audio+video, session c=",
	  "v=0\n"
	  "o=alice 3005 1220 IN IP4 192.168.1.20\n"
	  "s=Talk\n"
	  "c=IN IP4 192.168.1.20\n"
	  "t=0 0\n"
	  "a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\n"
	  "m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100\n"
	  "a=rtpmap:96 opus/48000/2\n"
	  "a=fmtp:96 useinbandfec=1\n"
	  "a=rtpmap:101 telephone-event/48000\n"
	  "a=rtcp-fb:* trr-int 1000\n"
	  "m=video 9078 RTP/AVP 96 97\n"
	  "a=rtpmap:96 VP8/90000\n"
	  "a=rtpmap:97 H264/90000\n"
	  "a=fmtp:97 profile-level-id=42801F\n"
	  "a=rtcp-fb:96 nack pli\n",
	  false, 2, {
	  { "audio", 7078, 1, "RTP/AVP", "96 97 98 0 8 18 101 99 100",
	    "192.168.1.20:7078", "192.168.1.20:7079", false, false, false, MEDIA_SENDRECV },
	  { "video", 9078, 1, "RTP/AVP", "96 97",
	    "192.168.1.20:9078", "192.168.1.20:9079", false, false, false, MEDIA_SENDRECV } } },
	{ "asterisk answer: video rejected with port 0",
	  "v=0\n"
	  "o=- 1234 1236 IN IP4 10.0.0.5\n"
	  "s=Asterisk\n"
	  "c=IN IP4 10.0.0.5\n"
	  "t=0 0\n"
	  "m=audio 12000 RTP/AVP 0 101\n"
	  "a=rtpmap:0 PCMU/8000\n"
	  "a=rtpmap:101 telephone-event/8000\n"
	  "a=fmtp:101 0-16\n"
	  "a=ptime:20\n"
	  "a=maxptime:150\n"
	  "a=sendrecv\n"
	  "m=video 0 RTP/AVP 96\n",
	  false, 2, {
	  { "audio", 12000, 1, "RTP/AVP", "0 101",
	    "10.0.0.5:12000", "10.0.0.5:12001", false, false, false, MEDIA_SENDRECV },
	  { "video", 0, 1, "RTP/AVP", "96",
	    "10.0.0.5:0", "10.0.0.5:0", false, false, false, MEDIA_SENDRECV } } },
	{ "rejected stream without any c=",
	  "v=0\n"
	  "o=- 1 1 IN IP4 10.0.0.5\n"
	  "s=-\n"
	  "t=0 0\n"
	  "m=audio 4000 RTP/AVP 8\n"
	  "c=IN IP4 10.0.0.6\n"
	  "m=video 0 RTP/AVP 31\n",
	  false, 2, {
	  { "audio", 4000, 1, "RTP/AVP", "8", "10.0.0.6:4000", "10.0.0.6:4001",
	    false, false, false, MEDIA_SENDRECV },
	  { "video", 0, 1, "RTP/AVP", "31", "", "", false, false, false, MEDIA_SENDRECV } } },
	{ "polycom: media c= overrides session c=, session and media directions",
	  "v=0\n"
	  "o=- 1700000000 1700000000 IN IP4 172.16.0.10\n"
	  "s=Polycom IP Phone\n"
	  "c=IN IP4 172.16.0.10\n"
	  "t=0 0\n"
	  "a=sendonly\n"
	  "m=audio 2222 RTP/AVP 9 0 8 18 127\n"
	  "c=IN IP4 172.16.0.11\n"
	  "a=rtpmap:9 G722/8000\n"
	  "a=rtpmap:127 telephone-event/8000\n"
	  "m=video 2224 RTP/AVP 109 34\n"
	  "a=rtpmap:109 H264/90000\n"
	  "a=inactive\n",
	  false, 2, {
	  { "audio", 2222, 1, "RTP/AVP", "9 0 8 18 127",
	    "172.16.0.11:2222", "172.16.0.11:2223", false, false, false, MEDIA_SENDONLY },
	  { "video", 2224, 1, "RTP/AVP", "109 34",
	    "172.16.0.10:2224", "172.16.0.10:2225", false, false, false, MEDIA_INACTIVE } } },
	{ "IPv6 with a=rtcp and an address (RFC 3605 example)",
	  "v=0\n"
	  "o=bob 2890844730 2890844731 IN IP6 2001:db8::2\n"
	  "s=-\n"
	  "c=IN IP6 2001:db8::2\n"
	  "t=0 0\n"
	  "m=audio 49170 RTP/AVP 0\n"
	  "a=rtcp:53020 IN IP6 2001:db8::3\n"
	  "a=recvonly\n",
	  false, 1, {
	  { "audio", 49170, 1, "RTP/AVP", "0", "[2001:db8::2]:49170", "[2001:db8::3]:53020",
	    true, false, false, MEDIA_RECVONLY } } },
	{ "a=rtcp without address, a=rtcp-mux, SRTP",
	  "v=0\n"
	  "o=- 5 5 IN IP4 198.51.100.7\n"
	  "s=-\n"
	  "t=0 0\n"
	  "m=audio 40000 RTP/SAVPF 111 0\n"
	  "c=IN IP4 198.51.100.7\n"
	  "a=rtcp:40001\n"
	  "a=rtcp-mux\n"
	  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\n"
	  "m=video 40002 RTP/SAVPF 96\n"
	  "c=IN IP4 198.51.100.8\n"
	  "a=rtcp-mux\n"
	  "m=audio 40004 RTP/AVP 0\n"
	  "c=IN IP4 198.51.100.9\n"
	  "a=rtcp:50000 IN IP4 198.51.100.10\n",
	  false, 3, {
	  { "audio", 40000, 1, "RTP/SAVPF", "111 0", "198.51.100.7:40000",
	    "198.51.100.7:40001", true, true, false, MEDIA_SENDRECV },
	  { "video", 40002, 1, "RTP/SAVPF", "96", "198.51.100.8:40002",
	    "198.51.100.8:40003", false, true, false, MEDIA_SENDRECV },
	  { "audio", 40004, 1, "RTP/AVP", "0", "198.51.100.9:40004",
	    "198.51.100.10:50000", true, false, false, MEDIA_SENDRECV } } },
	{ "old hold: c=0.0.0.0, sendrecv becomes sendonly, recvonly inactive",
	  "v=0\n"
	  "o=- 2 3 IN IP4 10.1.1.1\n"
	  "s=-\n"
	  "c=IN IP4 0.0.0.0\n"
	  "t=0 0\n"
	  "m=audio 5004 RTP/AVP 0\n"
	  "m=audio 5006 RTP/AVP 0\n"
	  "a=recvonly\n"
	  "m=audio 5008 RTP/AVP 0\n"
	  "c=IN IP4 10.1.1.1\n",
	  false, 3, {
	  { "audio", 5004, 1, "RTP/AVP", "0", "0.0.0.0:5004", "0.0.0.0:5005",
	    false, false, true, MEDIA_SENDONLY },
	  { "audio", 5006, 1, "RTP/AVP", "0", "0.0.0.0:5006", "0.0.0.0:5007",
	    false, false, true, MEDIA_INACTIVE },
	  { "audio", 5008, 1, "RTP/AVP", "0", "10.1.1.1:5008", "10.1.1.1:5009",
	    false, false, false, MEDIA_SENDRECV } } },
	{ "IPv6 hold: c=IN IP6 ::, a=sendonly stays sendonly",
	  "v=0\n"
	  "o=- 2 3 IN IP6 2001:db8::9\n"
	  "s=-\n"
	  "t=0 0\n"
	  "m=audio 5004 RTP/AVP 0\n"
	  "c=IN IP6 ::\n"
	  "a=sendonly\n",
	  false, 1, {
	  { "audio", 5004, 1, "RTP/AVP", "0", "[::]:5004", "[::]:5005",
	    false, false, true, MEDIA_SENDONLY } } },
	{ "bare LF and no final newline",
	  "v=0\n"
	  "o=- 1 1 IN IP4 10.0.0.1\n"
	  "s=-\n"
	  "c=IN IP4 10.0.0.1\n"
	  "t=0 0\n"
	  "m=audio 6000 RTP/AVP 0 8\n"
	  "a=inactive",
	  true, 1, {
	  { "audio", 6000, 1, "RTP/AVP", "0 8", "10.0.0.1:6000", "10.0.0.1:6001",
	    false, false, false, MEDIA_INACTIVE } } },
	{ "m=<port>/<n>, image/udptl (T.38), unknown and '='-less lines",
	  "v=0\n"
	  "o=- 1 1 IN IP4 10.0.0.1\n"
	  "s=-\n"
	  "c=IN IP4 10.0.0.1\n"
	  "t=0 0\n"
	  "this line has no equals sign\n"
	  "\n"
	  "x=unknown type\n"
	  "m=audio 6000/2 RTP/AVP 0\n"
	  "m=image 6004 udptl t38\n"
	  "a=T38FaxVersion:0\n",
	  false, 2, {
	  { "audio", 6000, 2, "RTP/AVP", "0", "10.0.0.1:6000", "10.0.0.1:6001",
	    false, false, false, MEDIA_SENDRECV },
	  { "image", 6004, 1, "udptl", "t38", "10.0.0.1:6004", "10.0.0.1:6005",
	    false, false, false, MEDIA_SENDRECV } } },
	{ "extra spaces between m= fields and after the formats",
	  "v=0\n"
	  "c=IN  IP4   10.0.0.1 \n"
	  "m=audio  6000   RTP/AVP   0 8  \n",
	  false, 1, {
	  { "audio", 6000, 1, "RTP/AVP", "0 8", "10.0.0.1:6000", "10.0.0.1:6001",
	    false, false, false, MEDIA_SENDRECV } } },
	{ "no media at all",
	  "v=0\n"
	  "o=- 1 1 IN IP4 10.0.0.1\n"
	  "s=-\n"
	  "t=0 0\n",
	  false, 0, { { 0 } } },
};

static void
check_media(const struct sdp_media *m, const struct exp_media *e)
{
	assert_slice(m->type, e->type);
	assert_int_equal(m->port, e->port);
	assert_int_equal(m->nports, e->nports);
	assert_slice(m->proto, e->proto);
	assert_slice(m->fmts, e->fmts);
	assert_sa(&m->rtp, e->rtp);
	assert_sa(&m->rtcp, e->rtcp);
	assert_int_equal(m->has_rtcp_attr, e->has_rtcp);
	assert_int_equal(m->rtcp_mux, e->mux);
	assert_int_equal(m->conn_null, e->null);
	assert_string_equal(sdp_dir_name(m->dir), sdp_dir_name(e->dir));
}

static void
test_parse_valid(void **state)
{
	size_t i;
	int k;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		const char *txt = c->keep_lf ? c->sdp : crlf(c->sdp);
		struct sdp p;
		char err[128];
		int rc;

		print_message("  %s\n", c->name);
		rc = sdp_parse(txt, strlen(txt), &p, err, sizeof(err));
		if (rc)
			fail_msg("%s: rc %d: %s", c->name, rc, err);
		assert_int_equal(p.n_media, c->n_media);
		for (k = 0; k < c->n_media; k++)
			check_media(&p.m[k], &c->m[k]);
		/* the slices point into the caller's buffer */
		for (k = 0; k < p.n_media; k++) {
			assert_true(p.m[k].type.s >= txt && p.m[k].type.s < txt + strlen(txt));
			assert_true(p.m[k].fmts.s + p.m[k].fmts.len <= txt + strlen(txt));
		}
	}
}

/* ---- parser: broken descriptions ----------------------------------------- */

struct bad_case {
	const char	*name;
	const char	*sdp;		/* LF-written, turned into CRLF */
	int		 rc;
	const char	*why;		/* substring of the reason */
};

#define HDR "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nt=0 0\n"

static const struct bad_case bad_cases[] = {
	{ "empty", "", -EINVAL, "empty" },
	{ "not v= first", "o=- 1 1 IN IP4 10.0.0.1\nv=0\n", -EINVAL, "line 1" },
	{ "bad port", HDR "c=IN IP4 10.0.0.1\nm=audio 7x RTP/AVP 0\n", -EINVAL,
	  "m= line 6: bad port '7x'" },
	{ "port too big", HDR "c=IN IP4 10.0.0.1\nm=audio 65536 RTP/AVP 0\n", -EINVAL,
	  "bad port '65536'" },
	{ "port negative", HDR "c=IN IP4 10.0.0.1\nm=audio -1 RTP/AVP 0\n", -EINVAL,
	  "bad port" },
	{ "port count 0", HDR "c=IN IP4 10.0.0.1\nm=audio 5000/0 RTP/AVP 0\n", -EINVAL,
	  "bad port '5000/0'" },
	{ "port count junk", HDR "c=IN IP4 10.0.0.1\nm=audio 5000/ RTP/AVP 0\n", -EINVAL,
	  "bad port" },
	{ "m= without proto", HDR "c=IN IP4 10.0.0.1\nm=audio 5000\n", -EINVAL,
	  "no transport" },
	{ "m= empty", HDR "c=IN IP4 10.0.0.1\nm=\n", -EINVAL, "no media type" },
	{ "control byte in media type", HDR "c=IN IP4 10.0.0.1\nm=aud\x01io 5000 RTP/AVP 0\n",
	  -EINVAL, "bad media type 'aud?io'" },
	{ "m= without port", HDR "c=IN IP4 10.0.0.1\nm=audio\n", -EINVAL, "no port" },
	{ "control byte in proto", HDR "c=IN IP4 10.0.0.1\nm=audio 5000 RTP/AVP\x7f 0\n",
	  -EINVAL, "bad transport protocol 'RTP/AVP?'" },
	{ "long token is cut in the reason", HDR "c=IN IP4 10.0.0.1\nm=audio "
	  "123456789012345678901234567890123456789012345678901234567890 RTP/AVP 0\n", -EINVAL,
	  "bad port '12345678901234567890123456789012...'" },
	{ "FQDN in c=", HDR "c=IN IP4 pc33.atlanta.example.com\nm=audio 5000 RTP/AVP 0\n",
	  -EINVAL, "c= line 5: bad IP4 address 'pc33.atlanta.example.com'" },
	{ "multicast TTL", HDR "c=IN IP4 224.2.1.1/127\nm=audio 5000 RTP/AVP 0\n", -EINVAL,
	  "bad IP4 address" },
	{ "IP6 multicast scope", HDR "c=IN IP6 ff15::101/3\nm=audio 5000 RTP/AVP 0\n",
	  -EINVAL, "bad IP6 address" },
	{ "bad octet", HDR "c=IN IP4 10.0.0.256\nm=audio 5000 RTP/AVP 0\n", -EINVAL,
	  "bad IP4 address" },
	{ "family mismatch", HDR "c=IN IP6 10.0.0.1\nm=audio 5000 RTP/AVP 0\n", -EINVAL,
	  "bad IP6 address" },
	{ "v6 under IP4", HDR "c=IN IP4 2001:db8::1\nm=audio 5000 RTP/AVP 0\n", -EINVAL,
	  "bad IP4 address" },
	{ "bracketed v6", HDR "c=IN IP6 [2001:db8::1]\nm=audio 5000 RTP/AVP 0\n", -EINVAL,
	  "bad IP6 address" },
	{ "not IN", HDR "c=ATM NSAP 47.0091.8100.0000.0060.3e64.fd01.0060.3e64.fd01.00\n",
	  -EINVAL, "network type" },
	{ "unknown addrtype", HDR "c=IN IPX 10.0.0.1\n", -EINVAL, "address type 'IPX'" },
	{ "c= missing address", HDR "c=IN IP4\n", -EINVAL, "expected" },
	{ "c= trailing", HDR "c=IN IP4 10.0.0.1 extra\n", -EINVAL, "trailing 'extra'" },
	{ "IP4 multicast", HDR "c=IN IP4 224.2.1.1\nm=audio 5000 RTP/AVP 0\n", -EINVAL,
	  "multicast address '224.2.1.1' not supported" },
	{ "IP6 multicast", HDR "m=audio 5000 RTP/AVP 0\nc=IN IP6 ff0e::101\n", -EINVAL,
	  "c= line 6: multicast address" },
	{ "two c= at session level", HDR "c=IN IP4 10.0.0.1\nc=IN IP4 10.0.0.2\n", -EINVAL,
	  "second c=" },
	{ "no c= for a live stream", HDR "m=audio 5000 RTP/AVP 0\n", -EINVAL,
	  "m= line 5: port 5000 but no c=" },
	{ "bad a=rtcp port", HDR "c=IN IP4 10.0.0.1\nm=audio 5000 RTP/AVP 0\na=rtcp:abc\n",
	  -EINVAL, "a= line 7: a=rtcp: bad port" },
	{ "bad a=rtcp address",
	  HDR "c=IN IP4 10.0.0.1\nm=audio 5000 RTP/AVP 0\na=rtcp:5001 IN IP4 host.example\n",
	  -EINVAL, "bad IP4 address 'host.example'" },
	{ "two a=rtcp",
	  HDR "c=IN IP4 10.0.0.1\nm=audio 5000 RTP/AVP 0\na=rtcp:5001\na=rtcp:5003\n",
	  -EINVAL, "second a=rtcp" },
};

static void
test_parse_bad(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		const char *txt = crlf(c->sdp);
		struct sdp p;
		char err[128] = "";
		int rc;

		rc = sdp_parse(txt, strlen(txt), &p, err, sizeof(err));
		print_message("  %-28s -> %d %s\n", c->name, rc, err);
		if (rc != c->rc || !strstr(err, c->why))
			fail_msg("%s: rc %d '%s', want %d '%s'", c->name, rc, err, c->rc, c->why);
		assert_null(strchr(err, '\n'));
	}
}

static void
test_parse_limits(void **state)
{
	static char buf[SDP_MAX_LEN + 64];
	char err[128];
	struct sdp p;
	size_t n;
	int i;

	/* SDP_MAX_MEDIA m= lines parse; one more is -E2BIG */
	n = (size_t)snprintf(buf, sizeof(buf), "%s", crlf(HDR "c=IN IP4 10.0.0.1\n"));
	for (i = 0; i < SDP_MAX_MEDIA; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "m=audio %d RTP/AVP 0\r\n",
				      10000 + 2 * i);
	assert_int_equal(sdp_parse(buf, n, &p, err, sizeof(err)), 0);
	assert_int_equal(p.n_media, SDP_MAX_MEDIA);
	assert_int_equal(p.m[SDP_MAX_MEDIA - 1].port, 10000 + 2 * (SDP_MAX_MEDIA - 1));
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "m=video 0 RTP/AVP 96\r\n");
	assert_int_equal(sdp_parse(buf, n, &p, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "more than 16 media"));

	/* an overlong attribute line is fine up to SDP_MAX_LEN, then -E2BIG */
	n = (size_t)snprintf(buf, sizeof(buf), "%s",
			     crlf(HDR "c=IN IP4 10.0.0.1\nm=audio 5000 RTP/AVP 0\na=x:"));
	memset(buf + n, 'y', SDP_MAX_LEN - n);
	assert_int_equal(sdp_parse(buf, SDP_MAX_LEN, &p, err, sizeof(err)), 0);
	buf[SDP_MAX_LEN] = 'y';
	assert_int_equal(sdp_parse(buf, SDP_MAX_LEN + 1, &p, err, sizeof(err)), -E2BIG);

	/* NUL bytes: in an unknown line skipped, in a c= line rejected */
	{
		static const char nul1[] = "v=0\r\nx=a\0b\r\nc=IN IP4 10.0.0.1\r\n"
					   "m=audio 5000 RTP/AVP 0\r\n";
		static const char nul2[] = "v=0\r\nc=IN IP4 10.0.0.1\0\r\n"
					   "m=audio 5000 RTP/AVP 0\r\n";
		static const char nul3[] = "v=0\r\nc=IN IP4 10.0.0.1\r\n"
					   "m=audio 50\0 RTP/AVP 0\r\n";

		assert_int_equal(sdp_parse(nul1, sizeof(nul1) - 1, &p, err, sizeof(err)), 0);
		assert_int_equal(p.m[0].port, 5000);
		assert_int_equal(sdp_parse(nul2, sizeof(nul2) - 1, &p, err, sizeof(err)), -EINVAL);
		assert_int_equal(sdp_parse(nul3, sizeof(nul3) - 1, &p, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "bad port '50?'"));
	}
	/* err may be NULL or tiny */
	assert_int_equal(sdp_parse("x", 1, &p, NULL, 0), -EINVAL);
	assert_int_equal(sdp_parse("x", 1, &p, err, 1), -EINVAL);
	assert_string_equal(err, "");
}

static void
test_dir_name(void **state)
{
	assert_string_equal(sdp_dir_name(MEDIA_SENDRECV), "sendrecv");
	assert_string_equal(sdp_dir_name(MEDIA_SENDONLY), "sendonly");
	assert_string_equal(sdp_dir_name(MEDIA_RECVONLY), "recvonly");
	assert_string_equal(sdp_dir_name(MEDIA_INACTIVE), "inactive");
	assert_string_equal(sdp_dir_name((enum media_dir)42), "unknown");
}

/* ---- rewriter ------------------------------------------------------------ */

struct rw_case {
	const char	*name;
	const char	*in;		/* exact bytes */
	const char	*relay[3];	/* "addr:port" per stream */
	const char	*out;		/* exact bytes */
};

static const struct rw_case rw_cases[] = {
	{ "asterisk answer, v4 relay, rejected video, a=rtcp added",
	  "v=0\r\n"
	  "o=- 1234 1236 IN IP4 10.0.0.5\r\n"
	  "s=Asterisk\r\n"
	  "c=IN IP4 10.0.0.5\r\n"
	  "t=0 0\r\n"
	  "m=audio 12000 RTP/AVP 0 101\r\n"
	  "a=rtpmap:0 PCMU/8000\r\n"
	  "a=sendrecv\r\n"
	  "m=video 0 RTP/AVP 96\r\n",
	  { "203.0.113.1:30000", "203.0.113.1:30002" },
	  "v=0\r\n"
	  "o=- 1234 1236 IN IP4 10.0.0.5\r\n"
	  "s=Asterisk\r\n"
	  "c=IN IP4 203.0.113.1\r\n"
	  "t=0 0\r\n"
	  "m=audio 30000 RTP/AVP 0 101\r\n"
	  "a=rtpmap:0 PCMU/8000\r\n"
	  "a=sendrecv\r\n"
	  "a=rtcp:30001 IN IP4 203.0.113.1\r\n"
	  "m=video 0 RTP/AVP 96\r\n" },
	{ "v4 party, v6 relay: media c= changes family, ICE dropped, rtcp-mux, LF",
	  "v=0\n"
	  "o=- 42 42 IN IP4 192.168.0.2\n"
	  "s=-\n"
	  "t=0 0\n"
	  "a=ice-lite\n"
	  "m=audio 9000 RTP/SAVPF 111\n"
	  "c=IN IP4 192.168.0.2\n"
	  "a=rtcp:9001 IN IP4 192.168.0.2\n"
	  "a=ice-ufrag:F7gI\n"
	  "a=ice-pwd:x9cml/YzichV2+XlhiMu8g\n"
	  "a=candidate:1 1 UDP 2130706431 192.168.0.2 9000 typ host\n"
	  "a=candidate:1 2 UDP 2130706430 192.168.0.2 9001 typ host\n"
	  "a=end-of-candidates\n"
	  "a=rtcp-mux\n"
	  "a=sendrecv\n"
	  "m=video 9002 RTP/SAVPF 96\n"
	  "c=IN IP4 192.168.0.2\n"
	  "a=remote-candidates:1 192.168.0.9 7000\n"
	  "a=rtpmap:96 VP8/90000",
	  { "[2001:db8::10]:31000", "[2001:db8::10]:31002" },
	  "v=0\n"
	  "o=- 42 42 IN IP4 192.168.0.2\n"
	  "s=-\n"
	  "t=0 0\n"
	  "m=audio 31000 RTP/SAVPF 111\n"
	  "c=IN IP6 2001:db8::10\n"
	  "a=rtcp:31000 IN IP6 2001:db8::10\n"
	  "a=rtcp-mux\n"
	  "a=sendrecv\n"
	  "m=video 31002 RTP/SAVPF 96\n"
	  "c=IN IP6 2001:db8::10\n"
	  "a=rtpmap:96 VP8/90000\n"
	  "a=rtcp:31003 IN IP6 2001:db8::10\n" },
	{ "old hold: c=0.0.0.0 stays, port/n dropped, mixed line endings kept",
	  "v=0\r\n"
	  "o=- 2 3 IN IP4 10.1.1.1\n"
	  "s=-\r\n"
	  "c=IN IP4 0.0.0.0\r\n"
	  "t=0 0\n"
	  "m=audio 5004/2 RTP/AVP 0\r\n"
	  "a=rtcp:5005\n"
	  "m=audio 5008 RTP/AVP 8\n"
	  "c=IN IP4 10.1.1.1\r\n",
	  { "198.51.100.1:40000", "198.51.100.1:40002" },
	  "v=0\r\n"
	  "o=- 2 3 IN IP4 10.1.1.1\n"
	  "s=-\r\n"
	  "c=IN IP4 0.0.0.0\r\n"
	  "t=0 0\n"
	  "m=audio 40000 RTP/AVP 0\r\n"
	  "a=rtcp:40001 IN IP4 198.51.100.1\n"
	  "m=audio 40002 RTP/AVP 8\n"
	  "c=IN IP4 198.51.100.1\r\n"
	  "a=rtcp:40003 IN IP4 198.51.100.1\r\n" },
	{ "first stream rejected: relay address from the second, IPv6 party, v4 relay",
	  "v=0\r\n"
	  "o=bob 1 1 IN IP6 2001:db8::2\r\n"
	  "s=-\r\n"
	  "c=IN IP6 2001:db8::2\r\n"
	  "t=0 0\r\n"
	  "a=rtcp:9\r\n"
	  "m=video 0 RTP/AVP 96\r\n"
	  "a=rtcp:7\r\n"
	  "m=audio 49170 RTP/AVP 0\r\n"
	  "a=rtcp:53020 IN IP6 2001:db8::3\r\n"
	  "a=inactive\r\n",
	  { "0.0.0.0:0", "192.0.2.1:32000" },
	  "v=0\r\n"
	  "o=bob 1 1 IN IP6 2001:db8::2\r\n"
	  "s=-\r\n"
	  "c=IN IP4 192.0.2.1\r\n"
	  "t=0 0\r\n"
	  "m=video 0 RTP/AVP 96\r\n"
	  "m=audio 32000 RTP/AVP 0\r\n"
	  "a=rtcp:32001 IN IP4 192.0.2.1\r\n"
	  "a=inactive\r\n" },
	{ "linphone offer, v6 relay: session c= stays at session level, a=rtcp per section",
	  "v=0\r\n"
	  "o=alice 3005 1220 IN IP4 192.168.1.20\r\n"
	  "s=Talk\r\n"
	  "c=IN IP4 192.168.1.20\r\n"
	  "t=0 0\r\n"
	  "m=audio 7078 RTP/AVP 96 0 101\r\n"
	  "a=rtpmap:96 opus/48000/2\r\n"
	  "a=rtcp-fb:* trr-int 1000\r\n"
	  "m=video 9078 RTP/AVP 96\r\n"
	  "a=rtpmap:96 VP8/90000\r\n"
	  "a=rtcp-fb:96 nack pli\r\n",
	  { "[2001:db8:0:1::5]:34000", "[2001:db8:0:1::5]:34002" },
	  "v=0\r\n"
	  "o=alice 3005 1220 IN IP4 192.168.1.20\r\n"
	  "s=Talk\r\n"
	  "c=IN IP6 2001:db8:0:1::5\r\n"
	  "t=0 0\r\n"
	  "m=audio 34000 RTP/AVP 96 0 101\r\n"
	  "a=rtpmap:96 opus/48000/2\r\n"
	  "a=rtcp-fb:* trr-int 1000\r\n"
	  "a=rtcp:34001 IN IP6 2001:db8:0:1::5\r\n"
	  "m=video 34002 RTP/AVP 96\r\n"
	  "a=rtpmap:96 VP8/90000\r\n"
	  "a=rtcp-fb:96 nack pli\r\n"
	  "a=rtcp:34003 IN IP6 2001:db8:0:1::5\r\n" },
	{ "polycom: session and media c= both rewritten, one address for all streams",
	  "v=0\r\n"
	  "o=- 1700000000 1700000000 IN IP4 172.16.0.10\r\n"
	  "s=Polycom IP Phone\r\n"
	  "c=IN IP4 172.16.0.10\r\n"
	  "t=0 0\r\n"
	  "a=sendonly\r\n"
	  "m=audio 2222 RTP/AVP 9 0 8 18 127\r\n"
	  "c=IN IP4 172.16.0.11\r\n"
	  "a=rtpmap:9 G722/8000\r\n"
	  "m=video 2224 RTP/AVP 109 34\r\n"
	  "a=inactive\r\n",
	  { "203.0.113.7:30010", "203.0.113.99:30012" },
	  "v=0\r\n"
	  "o=- 1700000000 1700000000 IN IP4 172.16.0.10\r\n"
	  "s=Polycom IP Phone\r\n"
	  "c=IN IP4 203.0.113.7\r\n"
	  "t=0 0\r\n"
	  "a=sendonly\r\n"
	  "m=audio 30010 RTP/AVP 9 0 8 18 127\r\n"
	  "c=IN IP4 203.0.113.7\r\n"
	  "a=rtpmap:9 G722/8000\r\n"
	  "a=rtcp:30011 IN IP4 203.0.113.7\r\n"
	  "m=video 30012 RTP/AVP 109 34\r\n"
	  "a=inactive\r\n"
	  "a=rtcp:30013 IN IP4 203.0.113.7\r\n" },
	{ "IPv6 hold: c=IN IP6 :: stays with a v4 relay, port still the relay's",
	  "v=0\r\n"
	  "o=- 2 3 IN IP6 2001:db8::9\r\n"
	  "s=-\r\n"
	  "t=0 0\r\n"
	  "m=audio 5004 RTP/AVP 0\r\n"
	  "c=IN IP6 ::\r\n"
	  "a=sendonly\r\n",
	  { "192.0.2.1:30000" },
	  "v=0\r\n"
	  "o=- 2 3 IN IP6 2001:db8::9\r\n"
	  "s=-\r\n"
	  "t=0 0\r\n"
	  "m=audio 30000 RTP/AVP 0\r\n"
	  "c=IN IP6 ::\r\n"
	  "a=sendonly\r\n"
	  "a=rtcp:30001 IN IP4 192.0.2.1\r\n" },
	{ "last line without LF gets one before the added a=rtcp",
	  "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 5000 RTP/AVP 0",
	  { "192.0.2.1:30000" },
	  "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 30000 RTP/AVP 0\r\n"
	  "a=rtcp:30001 IN IP4 192.0.2.1\r\n" },
	{ "last line without LF, nothing added: stays without",
	  "v=0\nc=IN IP4 10.0.0.1\nm=audio 5000 RTP/AVP 0\na=rtcp:5001",
	  { "192.0.2.1:30000" },
	  "v=0\nc=IN IP4 192.0.2.1\nm=audio 30000 RTP/AVP 0\na=rtcp:30001 IN IP4 192.0.2.1" },
	{ "last line ending in CR CR (no LF): stays a line ending in CR",
	  "v=0\nc=IN IP4 10.0.0.1\nm=audio 5000 RTP/AVP 0\na=inactive\r\r",
	  { "192.0.2.1:30000" },
	  "v=0\nc=IN IP4 192.0.2.1\nm=audio 30000 RTP/AVP 0\na=inactive\r\r\n"
	  "a=rtcp:30001 IN IP4 192.0.2.1\n" },
	{ "relay rejects a stream (port 0): its a=rtcp goes, none added",
	  "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 5000 RTP/AVP 0\r\nm=image 5002 udptl t38\r\n"
	  "a=rtcp:5003\r\n",
	  { "192.0.2.1:30000", "192.0.2.1:0" },
	  "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 30000 RTP/AVP 0\r\n"
	  "a=rtcp:30001 IN IP4 192.0.2.1\r\nm=image 0 udptl t38\r\n" },
};

static int
do_rewrite(const struct rw_case *c, char *out, size_t cap, struct sdp *p,
	   struct sdp_rewrite_media *rw)
{
	char err[128];
	int i, rc;

	rc = sdp_parse(c->in, strlen(c->in), p, err, sizeof(err));
	if (rc)
		fail_msg("%s: parse: %s", c->name, err);
	memset(rw, 0, sizeof(*rw) * SDP_MAX_MEDIA);
	for (i = 0; i < p->n_media; i++)
		rw[i].local = sa(c->relay[i]);
	return sdp_rewrite(c->in, strlen(c->in), p, rw, p->n_media, out, cap);
}

static int
first_live(const struct sdp *p, const struct sdp_rewrite_media *rw)
{
	int k;

	for (k = 0; k < p->n_media; k++)
		if (p->m[k].port && xr_sa_port(&rw[k].local))
			return k;
	return 0;
}

static void
test_rewrite_exact(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(rw_cases) / sizeof(rw_cases[0]); i++) {
		const struct rw_case *c = &rw_cases[i];
		struct sdp_rewrite_media rw[SDP_MAX_MEDIA];
		struct sdp p, q;
		char out[4096], err[128];
		int rc, k;

		print_message("  %s\n", c->name);
		rc = do_rewrite(c, out, sizeof(out), &p, rw);
		if (rc < 0)
			fail_msg("%s: rewrite %d", c->name, rc);
		out[rc] = '\0';
		if (strcmp(out, c->out))
			fail_msg("%s:\n--- got\n%s\n--- want\n%s", c->name, out, c->out);

		/* round trip: the output parses, to the relay, same streams */
		rc = sdp_parse(out, (size_t)rc, &q, err, sizeof(err));
		if (rc)
			fail_msg("%s: re-parse: %s", c->name, err);
		assert_int_equal(q.n_media, p.n_media);
		for (k = 0; k < q.n_media; k++) {
			uint16_t port = p.m[k].port ? xr_sa_port(&rw[k].local) : 0;

			assert_int_equal(q.m[k].port, port);
			assert_int_equal(q.m[k].nports, 1);
			assert_true(sip_str_eq(q.m[k].type, p.m[k].type));
			assert_true(sip_str_eq(q.m[k].fmts, p.m[k].fmts));
			assert_int_equal(q.m[k].rtcp_mux, p.m[k].rtcp_mux);
			assert_int_equal(q.m[k].conn_null, p.m[k].conn_null);
			assert_int_equal(q.m[k].dir, p.m[k].dir);
			if (!port || q.m[k].conn_null)
				continue;
			assert_true(xr_sa_ip_eq(&q.m[k].rtp, &rw[first_live(&p, rw)].local));
			assert_int_equal(xr_sa_port(&q.m[k].rtp), port);
			assert_true(q.m[k].has_rtcp_attr);
			assert_true(xr_sa_ip_eq(&q.m[k].rtcp, &rw[first_live(&p, rw)].local));
			assert_int_equal(xr_sa_port(&q.m[k].rtcp),
					 q.m[k].rtcp_mux ? port : port + 1);
		}
		/* a fixpoint: the output rewrites to itself */
		{
			char again[4096];
			int rc2 = sdp_rewrite(out, strlen(out), &q, rw, q.n_media, again,
					      sizeof(again));

			assert_int_equal(rc2, (int)strlen(out));
			assert_memory_equal(again, out, rc2);
		}
	}
}

/* Every description of the parser table, towards a v4 and a v6 relay. */
static void
test_rewrite_roundtrip(void **state)
{
	static const char *relays[] = { "198.51.100.20", "[2001:db8:ffff::20]" };
	size_t i, r;
	int k;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		const char *txt = c->keep_lf ? c->sdp : crlf(c->sdp);

		for (r = 0; r < 2; r++) {
			struct sdp_rewrite_media rw[SDP_MAX_MEDIA];
			char out[4096], again[4096], ip[64];
			struct sdp p, q;
			int rc, rc2;

			assert_int_equal(sdp_parse(txt, strlen(txt), &p, NULL, 0), 0);
			memset(rw, 0, sizeof(rw));
			for (k = 0; k < p.n_media; k++) {
				snprintf(ip, sizeof(ip), "%s:%d", relays[r], 30000 + 2 * k);
				rw[k].local = sa(ip);
			}
			rc = sdp_rewrite(txt, strlen(txt), &p, rw, p.n_media, out, sizeof(out));
			assert_true(rc > 0);
			if (sdp_parse(out, (size_t)rc, &q, NULL, 0))
				fail_msg("%s: output does not parse:\n%.*s", c->name, rc, out);
			assert_int_equal(q.n_media, p.n_media);
			for (k = 0; k < q.n_media; k++) {
				const struct sdp_media *a = &p.m[k], *b = &q.m[k];

				assert_int_equal(b->port, a->port ? 30000 + 2 * k : 0);
				assert_int_equal(b->dir, a->dir);
				assert_int_equal(b->conn_null, a->conn_null);
				assert_int_equal(b->rtcp_mux, a->rtcp_mux);
				if (!a->port || a->conn_null)
					continue;
				assert_int_equal(b->rtp.sa.sa_family, rw[0].local.sa.sa_family);
				assert_true(xr_sa_eq(&b->rtp, &rw[k].local));
				assert_true(b->has_rtcp_attr);
				assert_true(xr_sa_ip_eq(&b->rtcp, &rw[k].local));
			}
			/* nothing of the party's is left but o= and held c= */
			for (k = 0; k < rc; k++)
				assert_false(!strncmp(out + k, "a=candidate", 11) ||
					     !strncmp(out + k, "a=ice-", 6));
			rc2 = sdp_rewrite(out, (size_t)rc, &q, rw, q.n_media, again, sizeof(again));
			assert_int_equal(rc2, rc);
			assert_memory_equal(again, out, rc);
		}
	}
}

static void
test_rewrite_enospc(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(rw_cases) / sizeof(rw_cases[0]); i++) {
		const struct rw_case *c = &rw_cases[i];
		struct sdp_rewrite_media rw[SDP_MAX_MEDIA];
		size_t need = strlen(c->out), cap, k;
		static char out[4096 + 64];
		struct sdp p;
		int rc;

		for (cap = 0; cap <= need; cap++) {
			memset(out, 0xa5, sizeof(out));
			rc = do_rewrite(c, out, cap, &p, rw);
			if (cap < need) {
				if (rc != -ENOSPC)
					fail_msg("%s: cap %zu of %zu: rc %d", c->name, cap, need, rc);
			} else {
				assert_int_equal(rc, (int)need);
				assert_memory_equal(out, c->out, need);
			}
			for (k = cap; k < sizeof(out); k++)
				if ((unsigned char)out[k] != 0xa5)
					fail_msg("%s: cap %zu: byte %zu written", c->name, cap, k);
		}
	}
}

static void
test_rewrite_bad_args(void **state)
{
	const char *in = crlf(HDR "c=IN IP4 10.0.0.1\nm=audio 5000 RTP/AVP 0\n"
			      "m=video 5002 RTP/AVP 96\n");
	struct sdp_rewrite_media rw[3];
	char out[1024];
	struct sdp p;

	assert_int_equal(sdp_parse(in, strlen(in), &p, NULL, 0), 0);
	rw[0].local = sa("192.0.2.1:30000");
	rw[1].local = sa("192.0.2.1:30002");
	assert_int_equal(sdp_rewrite(in, strlen(in), &p, rw, 1, out, sizeof(out)), -EINVAL);
	assert_int_equal(sdp_rewrite(in, strlen(in), &p, rw, 3, out, sizeof(out)), -EINVAL);
	assert_int_equal(sdp_rewrite(in, strlen(in), &p, NULL, 2, out, sizeof(out)), -EINVAL);
	/* a live stream needs a relay address */
	memset(&rw[1].local, 0, sizeof(rw[1].local));
	xr_sa_set_port(&rw[1].local, 30002);
	assert_int_equal(sdp_rewrite(in, strlen(in), &p, rw, 2, out, sizeof(out)), -EINVAL);
	/* p from another description: fewer m= lines than p has */
	p.n_media = 3;
	rw[2].local = sa("192.0.2.1:30004");
	assert_int_equal(sdp_rewrite(in, strlen(in), &p, rw, 3, out, sizeof(out)), -EINVAL);
	/* ... a c= that is no address */
	{
		const char *other = "v=0\r\nc=IN IP4 host.example\r\nm=audio 1 RTP/AVP 0\r\n"
				    "m=audio 3 RTP/AVP 0\r\n";

		p.n_media = 2;
		assert_int_equal(sdp_rewrite(other, strlen(other), &p, rw, 2, out, sizeof(out)),
				 -EINVAL);
	}
	/* p from another description: more m= lines than p has */
	rw[1].local = sa("192.0.2.1:30002");
	p.n_media = 1;
	assert_int_equal(sdp_rewrite(in, strlen(in), &p, rw, 1, out, sizeof(out)), -EINVAL);
	p.n_media = 2;
	assert_true(sdp_rewrite(in, strlen(in), &p, rw, 2, out, sizeof(out)) > 0);
}

/* Every stream rejected: c= lines still point at the relay (rw[0]'s). */
static void
test_rewrite_all_rejected(void **state)
{
	const char *in = "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 0 RTP/AVP 0\r\n";
	struct sdp_rewrite_media rw[1] = { { sa("192.0.2.1:30000") } };
	char out[256];
	struct sdp p;
	int rc;

	assert_int_equal(sdp_parse(in, strlen(in), &p, NULL, 0), 0);
	rc = sdp_rewrite(in, strlen(in), &p, rw, 1, out, sizeof(out));
	assert_true(rc > 0);
	out[rc] = '\0';
	assert_string_equal(out, "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 0 RTP/AVP 0\r\n");
}

/* ---- multipart ----------------------------------------------------------- */

#define SDP_BODY "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n" \
		 "t=0 0\r\nm=audio 5000 RTP/AVP 8"

struct mp_case {
	const char	*name;
	const char	*ctype;
	const char	*body;
	size_t		 body_len;	/* 0: strlen */
	int		 rc;
	const char	*sdp;		/* expected slice when rc == 0 */
};

static const char sipi_body[] =
	"--unique-boundary-1\r\n"
	"Content-Type: application/sdp\r\n"
	"\r\n"
	SDP_BODY "\r\n"
	"--unique-boundary-1\r\n"
	"Content-Type: application/ISUP;version=nxv3;base=etsi121\r\n"
	"Content-Disposition: signal;handling=optional\r\n"
	"\r\n"
	"\x01\x00\x49\x00\x00\x03\x02\x00\x07\x04\x10\x00\x33\x63\x21\x43\x00\x00\x03\r\n"
	"--unique-boundary-1--\r\n";

static const struct mp_case mp_cases[] = {
	{ "plain application/sdp", "application/sdp", SDP_BODY, 0, 0, SDP_BODY },
	{ "application/SDP with parameters and spaces", "  Application/SDP ; charset=UTF-8",
	  SDP_BODY, 0, 0, SDP_BODY },
	{ "other type", "text/plain", "hello", 0, -ENOENT, NULL },
	{ "application/sdpx is not sdp", "application/sdpx", SDP_BODY, 0, -ENOENT, NULL },
	{ "application/isup", "application/isup", "\x01\x02", 0, -ENOENT, NULL },
	{ "SIP-I: SDP + ISUP (binary with NUL)", "multipart/mixed;boundary=unique-boundary-1",
	  sipi_body, sizeof(sipi_body) - 1, 0, SDP_BODY },
	{ "quoted boundary, preamble, SDP second, padding, application/SDP",
	  "Multipart/Mixed ; Boundary = \"simple boundary:1\" ; foo=bar",
	  "This is the preamble.  It is to be ignored.\r\n"
	  "--simple boundary:1 \t\r\n"
	  "Content-Type: application/ISUP; version=itu-t92+\r\n"
	  "\r\n"
	  "isup bytes\r\n"
	  "--simple boundary:1\r\n"
	  "content-type:\r\n application/SDP\r\n"
	  "Content-Disposition: session\r\n"
	  "\r\n"
	  SDP_BODY "\r\n"
	  "\r\n"
	  "--simple boundary:1--  \r\n"
	  "epilogue\r\n", 0, 0, SDP_BODY "\r\n" },
	{ "boundary as a prefix of a line is not a delimiter",
	  "multipart/alternative; boundary=b1",
	  "--b1\r\n"
	  "Content-Type: application/sdp\r\n"
	  "\r\n"
	  "v=0\r\n--b10\r\nx=1\r\n"
	  "--b1--", 0, 0, "v=0\r\n--b10\r\nx=1" },
	{ "bare LF framing", "multipart/related;boundary=zz",
	  "--zz\nContent-Type: text/plain\n\nhi\n--zz\nContent-Type: application/sdp\n\n"
	  "v=0\nm=audio 0 RTP/AVP 0\n\n--zz--\n", 0, 0, "v=0\nm=audio 0 RTP/AVP 0\n" },
	{ "nested multipart/alternative", "multipart/mixed; boundary=outer",
	  "--outer\r\n"
	  "Content-Type: multipart/alternative; boundary=inner\r\n"
	  "\r\n"
	  "--inner\r\n"
	  "Content-Type: application/sdp\r\n"
	  "\r\n"
	  "v=0\r\n"
	  "--inner--\r\n"
	  "--outer--\r\n", 0, 0, "v=0" },
	{ "unquoted boundary with '=' and ':'", "multipart/mixed;boundary=----=_Part_7:x;a=b",
	  "------=_Part_7:x\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n"
	  "------=_Part_7:x--", 0, 0, "v=0" },
	{ "part header name with spaces before the colon", "multipart/mixed;boundary=b",
	  "--b\r\nContent-Type  : application/sdp\r\n\r\nv=0\r\n--b--", 0, 0, "v=0" },
	{ "four levels of multipart: not searched", "multipart/mixed;boundary=1",
	  "--1\r\nContent-Type: multipart/mixed;boundary=2\r\n\r\n"
	  "--2\r\nContent-Type: multipart/mixed;boundary=3\r\n\r\n"
	  "--3\r\nContent-Type: multipart/mixed;boundary=4\r\n\r\n"
	  "--4\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--4--\r\n"
	  "--3--\r\n--2--\r\n--1--\r\n", 0, -ENOENT, NULL },
	{ "three levels of multipart: found", "multipart/mixed;boundary=1",
	  "--1\r\nContent-Type: multipart/mixed;boundary=2\r\n\r\n"
	  "--2\r\nContent-Type: multipart/mixed;boundary=3\r\n\r\n"
	  "--3\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--3--\r\n"
	  "--2--\r\n--1--\r\n", 0, 0, "v=0" },
	{ "malformed inner multipart", "multipart/mixed;boundary=1",
	  "--1\r\nContent-Type: multipart/mixed;boundary=2\r\n\r\n"
	  "--2\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--1--\r\n", 0, -EINVAL, NULL },
	{ "type without subtype", "application", SDP_BODY, 0, -ENOENT, NULL },
	{ "type with empty subtype", "application/", SDP_BODY, 0, -ENOENT, NULL },
	{ "multipart/signed is not searched", "multipart/signed;boundary=b",
	  "--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--b--\r\n", 0, -ENOENT, NULL },
	{ "no SDP part", "multipart/mixed;boundary=b",
	  "--b\r\nContent-Type: application/isup\r\n\r\nxx\r\n--b\r\n\r\nno headers\r\n--b--\r\n",
	  0, -ENOENT, NULL },
	{ "empty SDP part", "multipart/mixed;boundary=b",
	  "--b\r\nContent-Type: application/sdp\r\n\r\n--b--\r\n", 0, 0, "" },
	{ "missing close delimiter", "multipart/mixed;boundary=unique-boundary-1",
	  "--unique-boundary-1\r\nContent-Type: application/sdp\r\n\r\n" SDP_BODY "\r\n",
	  0, -EINVAL, NULL },
	{ "no delimiter at all", "multipart/mixed;boundary=b", SDP_BODY, 0, -EINVAL, NULL },
	{ "close delimiter only", "multipart/mixed;boundary=b", "--b--\r\n", 0, -EINVAL, NULL },
	{ "empty body", "multipart/mixed;boundary=b", "", 0, -EINVAL, NULL },
	{ "no boundary parameter", "multipart/mixed", sipi_body, sizeof(sipi_body) - 1,
	  -EINVAL, NULL },
	{ "empty boundary", "multipart/mixed; boundary=\"\"", "--\r\n----\r\n", 0, -EINVAL,
	  NULL },
	{ "unterminated quoted boundary", "multipart/mixed; boundary=\"abc", "--abc\r\n", 0,
	  -EINVAL, NULL },
	{ "boundary over 70 characters", "multipart/mixed; boundary="
	  "12345678901234567890123456789012345678901234567890123456789012345678901",
	  "x", 0, -EINVAL, NULL },
};

static void
test_locate(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(mp_cases) / sizeof(mp_cases[0]); i++) {
		const struct mp_case *c = &mp_cases[i];
		size_t len = c->body_len ? c->body_len : strlen(c->body);
		size_t off = 12345, slen = 12345;
		int rc;

		rc = sdp_locate(sip_str_mk(c->ctype, (int)strlen(c->ctype)), c->body, len,
				&off, &slen);
		print_message("  %-60s -> %d\n", c->name, rc);
		if (rc != c->rc)
			fail_msg("%s: rc %d, want %d", c->name, rc, c->rc);
		if (rc)
			continue;
		assert_true(off + slen <= len);
		if (slen != strlen(c->sdp) || memcmp(c->body + off, c->sdp, slen))
			fail_msg("%s: got '%.*s'", c->name, (int)slen, c->body + off);
	}
	/* no Content-Type at all */
	{
		size_t off, slen;

		assert_int_equal(sdp_locate(sip_str_mk(NULL, 0), "v=0", 3, &off, &slen), -ENOENT);
	}
}

/* The SDP of a SIP-I body parses with its missing final CRLF. */
static void
test_locate_then_parse(void **state)
{
	struct sip_str ct = SIP_STR("multipart/mixed;boundary=unique-boundary-1");
	size_t off, slen;
	struct sdp p;
	char err[128];

	assert_int_equal(sdp_locate(ct, sipi_body, sizeof(sipi_body) - 1, &off, &slen), 0);
	assert_int_equal(sdp_parse(sipi_body + off, slen, &p, err, sizeof(err)), 0);
	assert_int_equal(p.n_media, 1);
	assert_sa(&p.m[0].rtp, "10.0.0.1:5000");
	assert_slice(p.m[0].fmts, "8");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_dir_name),
		cmocka_unit_test(test_rewrite_exact),
		cmocka_unit_test(test_rewrite_roundtrip),
		cmocka_unit_test(test_rewrite_enospc),
		cmocka_unit_test(test_rewrite_bad_args),
		cmocka_unit_test(test_rewrite_all_rejected),
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_locate_then_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
