// SPDX-License-Identifier: GPL-2.0
/*
 * test_rawudp.c - the shared-socket relay's ends (daemon/media/rawudp.c):
 * the original destination read from IP_ORIGDSTADDR / IPV6_ORIGDSTADDR on
 * real loopback sockets, and the raw IP+UDP headers: their checksum, and a
 * datagram sent through an IPPROTO_RAW socket from a port nothing is bound
 * to arrives at a UDP socket with that source port, payload and TOS.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "media/rawudp.h"

#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL	36
#endif

static union xr_sa
sa_of(const char *s)
{
	union xr_sa sa;

	assert_int_equal(xr_sa_parse(&sa, s, 0), 0);
	return sa;
}

/* A UDP socket on ip (port 0: any) with the original destination and TOS on, or -1. */
static int
udp_on(const char *ip, union xr_sa *bound)
{
	union xr_sa sa = sa_of(ip);
	int one = 1, fd = socket(sa.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t l = sizeof(*bound);
	bool v6 = sa.sa.sa_family == AF_INET6;

	assert_true(fd >= 0);
	setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
		   v6 ? IPV6_RECVORIGDSTADDR : IP_RECVORIGDSTADDR, &one, sizeof(one));
	setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_RECVTCLASS : IP_RECVTOS, &one,
		   sizeof(one));
	if (bind(fd, &sa.sa, xr_sa_len(&sa)) < 0) {
		close(fd);
		return -1;
	}
	assert_int_equal(getsockname(fd, &bound->sa, &l), 0);
	return fd;
}

struct rx {
	char		data[256];
	ssize_t		len;
	union xr_sa	src, odst;
	int		odst_rc;
	int		tos;
};

static void
rx_one(int fd, struct rx *r)
{
	char cbuf[256];
	struct iovec iov = { .iov_base = r->data, .iov_len = sizeof(r->data) };
	struct msghdr mh = {
		.msg_name = &r->src, .msg_namelen = sizeof(r->src), .msg_iov = &iov,
		.msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};

	r->len = recvmsg(fd, &mh, 0);
	assert_true(r->len >= 0);
	r->odst_rc = rawudp_origdst(&mh, &r->odst);
	r->tos = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS)
			r->tos = *(unsigned char *)CMSG_DATA(c);
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS)
			memcpy(&r->tos, CMSG_DATA(c), sizeof(int));
	}
}

static void
origdst_on(const char *ip)
{
	union xr_sa at, from;
	int rfd = udp_on(ip, &at), sfd;
	struct rx r;

	if (rfd < 0)
		skip();	/* no such loopback (IPv6 off) */
	sfd = socket(at.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(sendto(sfd, "hello", 5, 0, &at.sa, xr_sa_len(&at)), 5);
	rx_one(rfd, &r);
	assert_int_equal(r.len, 5);
	assert_int_equal(r.odst_rc, 0);
	assert_true(xr_sa_eq(&r.odst, &at));
	from = r.src;
	assert_int_equal(from.sa.sa_family, at.sa.sa_family);
	close(sfd);
	close(rfd);
}

static void
test_origdst_v4(void **state)
{
	origdst_on("127.0.0.1");
}

static void
test_origdst_v6(void **state)
{
	origdst_on("::1");
}

static void
test_origdst_absent(void **state)
{
	union { char b[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } cb;
	struct msghdr mh = { .msg_control = cb.b, .msg_controllen = sizeof(cb.b) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	union xr_sa out;
	int tos = 0x2e;

	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_TOS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &tos, sizeof(tos));
	assert_int_equal(rawudp_origdst(&mh, &out), -ENOENT);
	mh.msg_controllen = 0;
	assert_int_equal(rawudp_origdst(&mh, &out), -ENOENT);
}

/* One's-complement sum over the pseudo-header, UDP header and payload: 0xffff when right. */
static uint16_t
verify_sum(const uint8_t *hdr, int iplen, int fam, const void *pl, size_t len)
{
	uint64_t s = 0;
	const uint8_t *src = fam == AF_INET ? hdr + 12 : hdr + 8;
	int alen = fam == AF_INET ? 4 : 16;
	uint8_t buf[512];

	memcpy(buf, src, (size_t)alen * 2);	/* src and dst are adjacent in both */
	memcpy(buf + alen * 2, hdr + iplen, 8);
	memcpy(buf + alen * 2 + 8, pl, len);
	for (size_t i = 0; i + 1 < (size_t)alen * 2 + 8 + len; i += 2)
		s += (uint32_t)(buf[i] << 8 | buf[i + 1]);
	if ((alen * 2 + 8 + len) & 1)
		s += (uint32_t)buf[alen * 2 + 8 + len - 1] << 8;
	s += IPPROTO_UDP + 8 + len;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void
test_header_checksum(void **state)
{
	uint8_t h[RAWUDP_HDR_MAX];
	union xr_sa s4 = sa_of("10.0.0.1:30000"), d4 = sa_of("10.0.0.2:4000");
	union xr_sa s6 = sa_of("[2001:db8::1]:30002"), d6 = sa_of("[2001:db8::2]:5001");
	const char odd[] = "odd-length payload";	/* 18 + NUL: 19 bytes */

	assert_int_equal(rawudp_header(h, &s4, &d4, 0xb8, 64, odd, sizeof(odd)), 28);
	assert_int_equal(h[0], 0x45);
	assert_int_equal(h[1], 0xb8);
	assert_int_equal(h[8], 64);
	assert_int_equal(h[9], IPPROTO_UDP);
	assert_int_equal(h[6] & 0x40, 0x40);	/* DF */
	assert_int_equal(h[20] << 8 | h[21], 30000);
	assert_int_equal(h[22] << 8 | h[23], 4000);
	assert_int_equal(verify_sum(h, 20, AF_INET, odd, sizeof(odd)), 0xffff);

	assert_int_equal(rawudp_header(h, &s6, &d6, 0x2e, 64, odd, 10), 48);
	assert_int_equal(h[0] >> 4, 6);
	assert_int_equal((h[0] & 0xf) << 4 | h[1] >> 4, 0x2e);
	assert_int_equal(h[6], IPPROTO_UDP);
	assert_int_equal(h[7], 64);
	assert_int_equal(verify_sum(h, 40, AF_INET6, odd, 10), 0xffff);

	assert_int_equal(rawudp_header(h, &s4, &d6, 0, 64, odd, 1), -EINVAL);
}

/* A datagram from a port nobody holds, through the raw socket, as the relay sends. */
static void
raw_send_on(const char *ip, int fam)
{
	union xr_sa at, src;
	uint8_t h[RAWUDP_HDR_MAX];
	char pl[] = "relayed payload";
	int rfd = udp_on(ip, &at), raw, one = 1, hl;
	struct iovec iov[2];
	struct msghdr mh = { 0 };
	union xr_sa to;
	struct rx r;

	if (rfd < 0)
		skip();
	raw = socket(fam, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (raw < 0) {
		close(rfd);
		skip();	/* no CAP_NET_RAW */
	}
	if (fam == AF_INET6)
		assert_int_equal(setsockopt(raw, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof(one)), 0);
	src = at;
	/* A port below this run's bound one that nothing listens on: it is only written. */
	xr_sa_set_port(&src, 9);
	hl = rawudp_header(h, &src, &at, 0x88, 64, pl, sizeof(pl));
	iov[0] = (struct iovec){ .iov_base = h, .iov_len = (size_t)hl };
	iov[1] = (struct iovec){ .iov_base = pl, .iov_len = sizeof(pl) };
	to = at;
	xr_sa_set_port(&to, 0);
	mh.msg_name = &to;
	mh.msg_namelen = xr_sa_len(&to);
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	assert_int_equal(sendmsg(raw, &mh, 0), hl + (int)sizeof(pl));
	rx_one(rfd, &r);	/* the kernel checks the UDP checksum on the way in */
	assert_int_equal(r.len, sizeof(pl));
	assert_memory_equal(r.data, pl, sizeof(pl));
	assert_true(xr_sa_eq(&r.src, &src));
	assert_int_equal(r.tos, 0x88);
	close(raw);
	close(rfd);
}

static void
test_raw_send_v4(void **state)
{
	raw_send_on("127.0.0.1", AF_INET);
}

static void
test_raw_send_v6(void **state)
{
	raw_send_on("::1", AF_INET6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_origdst_v4),
		cmocka_unit_test(test_origdst_v6),
		cmocka_unit_test(test_origdst_absent),
		cmocka_unit_test(test_header_checksum),
		cmocka_unit_test(test_raw_send_v4),
		cmocka_unit_test(test_raw_send_v6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
