// SPDX-License-Identifier: GPL-2.0
/*
 * cidr.c - address prefixes for --trusted and --deny-dest (parse, print,
 * match; IPv4-mapped IPv6 matches as IPv4) and the special ranges nothing
 * is ever sent to (RFC 6890: loopback, link-local, unspecified, multicast,
 * broadcast).  Pure functions, no state.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

/* The address as 16 bytes (IPv4 as ::ffff:a.b.c.d) and its prefix offset (96 for v4). */
static void
addr16(const union xr_sa *a, uint8_t out[16], int *base)
{
	if (a->sa.sa_family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a->sin.sin_addr, 4);
		*base = 96;
	} else {
		memcpy(out, &a->sin6.sin6_addr, 16);
		*base = IN6_IS_ADDR_V4MAPPED(&a->sin6.sin6_addr) ? 96 : 0;
	}
}

static bool
prefix_eq(const uint8_t *x, const uint8_t *y, int bits)
{
	int bytes = bits / 8, rest = bits % 8;

	if (memcmp(x, y, (size_t)bytes) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		return (x[bytes] & mask) == (y[bytes] & mask);
	}
	return true;
}

int
pol_cidr_parse(const char *s, struct pol_cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	uint8_t a[16], zero[16] = { 0 };
	int max, base;
	long plen;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(c, 0, sizeof(*c));
	if (xr_sa_parse_ip(&c->net, buf) < 0)
		return -EINVAL;
	max = c->net.sa.sa_family == AF_INET ? 32 : 128;
	plen = max;
	if (slash) {
		char *end;

		plen = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || plen < 0 || plen > max)
			return -EINVAL;
	}
	c->plen = (int)plen;
	/* Host bits must be clear: a typo like 10.1.2.3/8 is refused, not widened. */
	addr16(&c->net, a, &base);
	base = c->net.sa.sa_family == AF_INET ? 96 : 0;
	for (int i = 0; i < base + c->plen; i++)
		a[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	if (memcmp(a + base / 8, zero, (size_t)(16 - base / 8)) != 0)
		return -EINVAL;
	return 0;
}

const char *
pol_cidr_str(const struct pol_cidr *c, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	snprintf(buf, len, "%s/%d", xr_sa_ipstr(&c->net, ip, sizeof(ip)), c->plen);
	return buf;
}

bool
pol_cidr_match(const struct pol_cidr *c, const union xr_sa *a)
{
	uint8_t x[16], y[16];
	int bx, by;

	if (a->sa.sa_family != AF_INET && a->sa.sa_family != AF_INET6)
		return false;
	addr16(a, x, &bx);
	addr16(&c->net, y, &by);
	if (c->net.sa.sa_family == AF_INET) {
		if (bx != 96)
			return false;	/* a v4 prefix matches v4 and v4-mapped only */
		return prefix_eq(x, y, 96 + c->plen);
	}
	return prefix_eq(x, y, c->plen);
}

bool
pol_cidr_any(const struct pol_cidr *v, int n, const union xr_sa *a)
{
	for (int i = 0; i < n; i++)
		if (pol_cidr_match(&v[i], a))
			return true;
	return false;
}

const char *
pol_addr_special(const union xr_sa *a)
{
	uint8_t x[16];
	int base;

	if (a->sa.sa_family != AF_INET && a->sa.sa_family != AF_INET6)
		return "not an IP address";
	addr16(a, x, &base);
	if (base == 96) {
		const uint8_t *v4 = x + 12;

		if (v4[0] == 127)
			return "loopback";
		if (v4[0] == 0)
			return "unspecified";
		if (v4[0] == 169 && v4[1] == 254)
			return "link-local";
		if (v4[0] >= 224 && v4[0] <= 239)
			return "multicast";
		if (v4[0] == 255 && v4[1] == 255 && v4[2] == 255 && v4[3] == 255)
			return "broadcast";
		return NULL;
	}
	if (IN6_IS_ADDR_LOOPBACK(&a->sin6.sin6_addr))
		return "loopback";
	if (IN6_IS_ADDR_UNSPECIFIED(&a->sin6.sin6_addr))
		return "unspecified";
	if (IN6_IS_ADDR_LINKLOCAL(&a->sin6.sin6_addr))
		return "link-local";
	if (IN6_IS_ADDR_MULTICAST(&a->sin6.sin6_addr))
		return "multicast";
	return NULL;
}
