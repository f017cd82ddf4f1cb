// SPDX-License-Identifier: GPL-2.0
/*
 * pkt.c - the test frame builder (pkt.h): writes headers byte by byte with
 * checksums computed from scratch, so the expected frames of test_xdp.c do
 * not share code with the program under test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "pkt.h"

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
sum_bytes(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

uint16_t
pkt_csum(const void *data, size_t len, uint32_t sum)
{
	sum = sum_bytes(data, len, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Pseudo-header sum (RFC 768 / RFC 8200 8.1), host-order 16-bit words. */
static uint32_t
pseudo_sum(int v6, const uint8_t *src, const uint8_t *dst, uint8_t proto, uint32_t l4len)
{
	size_t alen = v6 ? 16 : 4;
	uint32_t sum = 0;

	sum = sum_bytes(src, alen, sum);
	sum = sum_bytes(dst, alen, sum);
	sum += proto;
	sum += l4len >> 16;
	sum += l4len & 0xffff;
	return sum;
}

void
pkt_mac(uint8_t mac[6], const char *s)
{
	unsigned int b[6];
	int i;

	memset(mac, 0, 6);
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
}

size_t
pkt_build(uint8_t *buf, size_t cap, const struct pkt_spec *s)
{
	int v6 = s->src.sa.sa_family == AF_INET6;
	uint8_t proto = s->proto ? s->proto : IPPROTO_UDP;
	size_t l4hdr = proto == IPPROTO_TCP ? 20 : 8;
	size_t off, l3, l4, l4len, iphl, i;
	const uint8_t *sa, *da;
	int t;

	iphl = v6 ? 40 + (s->v6_frag ? 8 : 0) : 20 + (size_t)s->ip_opt_len;
	l4len = l4hdr + s->payload_len;
	if (14 + 4 * (size_t)s->nvlan + iphl + l4len > cap)
		return 0;
	memset(buf, 0, cap);
	memcpy(buf, s->dmac, 6);
	memcpy(buf + 6, s->smac, 6);
	off = 12;
	for (t = 0; t < s->nvlan; t++) {
		put16(buf + off, s->tpid[t] ? s->tpid[t] : 0x8100);
		put16(buf + off + 2, s->tci[t]);
		off += 4;
	}
	put16(buf + off, s->ethertype ? s->ethertype : (v6 ? 0x86dd : 0x0800));
	off += 2;
	l3 = off;
	l4 = l3 + iphl;

	if (v6) {
		sa = s->src.sin6.sin6_addr.s6_addr;
		da = s->dst.sin6.sin6_addr.s6_addr;
		buf[l3] = (uint8_t)(0x60 | s->tos >> 4);
		buf[l3 + 1] = (uint8_t)(s->tos << 4 | ((s->flowlabel >> 16) & 0x0f));
		buf[l3 + 2] = (uint8_t)(s->flowlabel >> 8);
		buf[l3 + 3] = (uint8_t)s->flowlabel;
		put16(buf + l3 + 4, (uint16_t)(iphl - 40 + l4len));
		buf[l3 + 6] = s->v6_frag ? 44 : proto;
		buf[l3 + 7] = s->ttl ? s->ttl : 64;
		memcpy(buf + l3 + 8, sa, 16);
		memcpy(buf + l3 + 24, da, 16);
		if (s->v6_frag) {		/* first fragment, more to come */
			buf[l3 + 40] = proto;
			put16(buf + l3 + 42, 0x0001);
			put16(buf + l3 + 44, 0x1234);
			put16(buf + l3 + 46, 0x5678);
		}
	} else {
		sa = (const uint8_t *)&s->src.sin.sin_addr;
		da = (const uint8_t *)&s->dst.sin.sin_addr;
		buf[l3] = (uint8_t)(0x40 | (iphl / 4));
		buf[l3 + 1] = s->tos;
		put16(buf + l3 + 2, (uint16_t)(iphl + l4len));
		put16(buf + l3 + 4, s->ip_id);
		put16(buf + l3 + 6, s->frag_off);
		buf[l3 + 8] = s->ttl ? s->ttl : 64;
		buf[l3 + 9] = proto;
		memcpy(buf + l3 + 12, sa, 4);
		memcpy(buf + l3 + 16, da, 4);
		/* Options: NOPs, then a Router Alert, padded to the length. */
		for (i = 0; i < (size_t)s->ip_opt_len; i++)
			buf[l3 + 20 + i] = 1;
		if (s->ip_opt_len >= 4) {
			buf[l3 + 20] = 148;
			buf[l3 + 21] = 4;
			buf[l3 + 22] = 0;
			buf[l3 + 23] = 0;
		}
		put16(buf + l3 + 10, pkt_csum(buf + l3, iphl, 0));
	}

	for (i = 0; i < s->payload_len; i++)
		buf[l4 + l4hdr + i] = s->payload ? s->payload[i] : (uint8_t)(0x80 + i * 7);
	if (proto == IPPROTO_UDP || proto == IPPROTO_TCP) {
		uint16_t c;

		put16(buf + l4, xr_sa_port(&s->src));
		put16(buf + l4 + 2, xr_sa_port(&s->dst));
		if (proto == IPPROTO_UDP) {
			put16(buf + l4 + 4, (uint16_t)l4len);
		} else {
			buf[l4 + 12] = 5 << 4;	/* data offset */
			buf[l4 + 13] = 0x18;	/* PSH|ACK */
			put16(buf + l4 + 14, 65535);
		}
		if (proto == IPPROTO_UDP && !v6 && s->udp_csum_zero)
			return l4 + l4len;
		c = pkt_csum(buf + l4, l4len, pseudo_sum(v6, sa, da, proto, (uint32_t)l4len));
		if (proto == IPPROTO_UDP && c == 0)
			c = 0xffff;
		put16(buf + l4 + (proto == IPPROTO_UDP ? 6 : 16), c);
	} else if (proto == IPPROTO_ICMP) {
		buf[l4] = 8;		/* echo request */
		put16(buf + l4 + 2, pkt_csum(buf + l4, l4len, 0));
	}
	return l4 + l4len;
}

size_t
pkt_build_arp(uint8_t *buf, size_t cap, const uint8_t smac[6])
{
	static const uint8_t body[] = {
		0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,	/* Ethernet/IPv4, request */
	};

	if (cap < 60)
		return 0;
	memset(buf, 0, 60);
	memset(buf, 0xff, 6);
	memcpy(buf + 6, smac, 6);
	put16(buf + 12, 0x0806);
	memcpy(buf + 14, body, sizeof(body));
	memcpy(buf + 22, smac, 6);
	buf[28] = 10; buf[29] = 1; buf[30] = 0; buf[31] = 2;	/* sender 10.1.0.2 */
	buf[38] = 10; buf[39] = 1; buf[40] = 0; buf[41] = 1;	/* target 10.1.0.1 */
	return 60;
}

int
pkt_verify(const uint8_t *buf, size_t len, const char **why)
{
	size_t off = 12, l3, l4, ihl, l4len;
	uint16_t et;
	int v6;

	*why = "ok";
	if (len < 14) {
		*why = "frame shorter than Ethernet";
		return -1;
	}
	et = get16(buf + off);
	if (et == 0x8100 || et == 0x88a8) {
		off += 4;
		et = get16(buf + off);
	}
	l3 = off + 2;
	if (et != 0x0800 && et != 0x86dd) {
		*why = "not IP";
		return -1;
	}
	v6 = et == 0x86dd;
	if (v6) {
		if (len < l3 + 40 || buf[l3 + 6] != IPPROTO_UDP) {
			*why = "IPv6 header short or not UDP";
			return -1;
		}
		l4 = l3 + 40;
		l4len = get16(buf + l3 + 4);
	} else {
		ihl = (size_t)(buf[l3] & 0xf) * 4;
		if (len < l3 + ihl || ihl < 20) {
			*why = "IPv4 header short";
			return -1;
		}
		if (pkt_csum(buf + l3, ihl, 0) != 0) {
			*why = "bad IPv4 header checksum";
			return -1;
		}
		if (buf[l3 + 9] != IPPROTO_UDP) {
			*why = "not UDP";
			return -1;
		}
		l4 = l3 + ihl;
		l4len = get16(buf + l3 + 2) - ihl;
	}
	if (len < l4 + l4len || l4len < 8 || get16(buf + l4 + 4) != l4len) {
		*why = "UDP length inconsistent";
		return -1;
	}
	if (!v6 && get16(buf + l4 + 6) == 0)
		return 0;
	if (v6 && get16(buf + l4 + 6) == 0) {
		*why = "IPv6 UDP checksum 0";
		return -1;
	}
	if (pkt_csum(buf + l4, l4len, pseudo_sum(v6, buf + l3 + (v6 ? 8 : 12),
						 buf + l3 + (v6 ? 24 : 16), IPPROTO_UDP,
						 (uint32_t)l4len)) != 0) {
		*why = "bad UDP checksum";
		return -1;
	}
	return 0;
}

void
pkt_hexdiff(FILE *out, const uint8_t *exp, size_t elen, const uint8_t *got, size_t glen)
{
	size_t n = elen > glen ? elen : glen, i, j;

	fprintf(out, "  expected %zu bytes, got %zu bytes; differing bytes in [ ]\n", elen, glen);
	for (i = 0; i < n; i += 16) {
		fprintf(out, "  %04zx exp:", i);
		for (j = i; j < i + 16 && j < n; j++)
			fprintf(out, j < elen ? " %02x" : " --", j < elen ? exp[j] : 0);
		fprintf(out, "\n       got:");
		for (j = i; j < i + 16 && j < n; j++) {
			bool diff = j >= elen || j >= glen || exp[j] != got[j];

			if (j < glen)
				fprintf(out, diff ? "[%02x" : " %02x", got[j]);
			else
				fprintf(out, "[--");
			if (diff)
				fprintf(out, "]");
		}
		fprintf(out, "\n");
	}
}

int
pkt_pcap_append(const char *path, const uint8_t *frame, size_t len)
{
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, linktype;
	} gh = { 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1 };
	struct {
		uint32_t sec, usec, caplen, len;
	} rh;
	struct timeval tv;
	struct stat st;
	bool fresh = stat(path, &st) < 0 || st.st_size == 0;
	FILE *f = fopen(path, "ab");
	int err = 0;

	if (!f)
		return -errno;
	gettimeofday(&tv, NULL);
	rh.sec = (uint32_t)tv.tv_sec;
	rh.usec = (uint32_t)tv.tv_usec;
	rh.caplen = rh.len = (uint32_t)len;
	if ((fresh && fwrite(&gh, sizeof(gh), 1, f) != 1) || fwrite(&rh, sizeof(rh), 1, f) != 1 ||
	    (len && fwrite(frame, len, 1, f) != 1))
		err = -EIO;
	if (fclose(f) != 0 && !err)
		err = -errno;
	return err;
}
