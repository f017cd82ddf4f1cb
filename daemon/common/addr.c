// SPDX-License-Identifier: GPL-2.0
/*
 * addr.c - parsing, formatting and map encoding of union xr_sa (see addr.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "xrelay/flow.h"

static int
parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int
xr_sa_parse_ip(union xr_sa *sa, const char *s)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(s);
	union xr_sa tmp;

	if (n >= sizeof(buf))
		return -EINVAL;
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
	} else {
		memcpy(buf, s, n + 1);
	}
	memset(&tmp, 0, sizeof(tmp));
	if (inet_pton(AF_INET, buf, &tmp.sin.sin_addr) == 1) {
		tmp.sin.sin_family = AF_INET;
	} else if (inet_pton(AF_INET6, buf, &tmp.sin6.sin6_addr) == 1) {
		tmp.sin6.sin6_family = AF_INET6;
	} else {
		return -EINVAL;
	}
	*sa = tmp;
	return 0;
}

int
xr_sa_parse(union xr_sa *sa, const char *s, int default_port)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	uint16_t port = 0;
	union xr_sa tmp;
	size_t hl;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close)
			return -EINVAL;
		colon = close[1] == ':' ? close + 1 : NULL;
		if (!colon && close[1] != '\0')
			return -EINVAL;
		hl = (size_t)(close - s + 1);
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))	/* bare IPv6, no port */
			colon = NULL;
		hl = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (colon) {
		if (parse_port(colon + 1, &port) < 0)
			return -EINVAL;
	} else if (default_port >= 0 && default_port <= 65535) {
		port = (uint16_t)default_port;
	} else {
		return -EINVAL;
	}
	if (xr_sa_parse_ip(&tmp, host) < 0)
		return -EINVAL;
	xr_sa_set_port(&tmp, port);
	*sa = tmp;
	return 0;
}

const char *
xr_sa_ipstr(const union xr_sa *sa, char *buf, size_t len)
{
	const void *a = sa->sa.sa_family == AF_INET6 ? (const void *)&sa->sin6.sin6_addr
						     : (const void *)&sa->sin.sin_addr;
	if (!inet_ntop(sa->sa.sa_family == AF_INET6 ? AF_INET6 : AF_INET, a, buf,
		       (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *
xr_sa_str(const union xr_sa *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	xr_sa_ipstr(sa, ip, sizeof(ip));
	if (sa->sa.sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, xr_sa_port(sa));
	else
		snprintf(buf, len, "%s:%u", ip, xr_sa_port(sa));
	return buf;
}

socklen_t
xr_sa_len(const union xr_sa *sa)
{
	return sa->sa.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					    : sizeof(struct sockaddr_in);
}

uint16_t
xr_sa_port(const union xr_sa *sa)
{
	return ntohs(sa->sa.sa_family == AF_INET6 ? sa->sin6.sin6_port : sa->sin.sin_port);
}

void
xr_sa_set_port(union xr_sa *sa, uint16_t port)
{
	if (sa->sa.sa_family == AF_INET6)
		sa->sin6.sin6_port = htons(port);
	else
		sa->sin.sin_port = htons(port);
}

bool
xr_sa_is_any(const union xr_sa *sa)
{
	if (sa->sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&sa->sin6.sin6_addr);
	return sa->sin.sin_addr.s_addr == htonl(INADDR_ANY);
}

bool
xr_sa_ip_eq(const union xr_sa *a, const union xr_sa *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET6)
		return memcmp(&a->sin6.sin6_addr, &b->sin6.sin6_addr, 16) == 0;
	return a->sin.sin_addr.s_addr == b->sin.sin_addr.s_addr;
}

bool
xr_sa_eq(const union xr_sa *a, const union xr_sa *b)
{
	return xr_sa_ip_eq(a, b) && xr_sa_port(a) == xr_sa_port(b);
}

void
xr_sa_addr16(const union xr_sa *sa, uint8_t addr[16])
{
	if (sa->sa.sa_family == AF_INET6) {
		memcpy(addr, &sa->sin6.sin6_addr, 16);
	} else {
		memset(addr, 0, 10);
		addr[10] = 0xff;
		addr[11] = 0xff;
		memcpy(addr + 12, &sa->sin.sin_addr, 4);
	}
}

void
xr_sa_to_map(const union xr_sa *sa, uint8_t addr[16], uint16_t *port_be, uint8_t *fam)
{
	xr_sa_addr16(sa, addr);
	if (sa->sa.sa_family == AF_INET6) {
		*port_be = sa->sin6.sin6_port;
		*fam = XR_FAM_IPV6;
	} else {
		*port_be = sa->sin.sin_port;
		*fam = XR_FAM_IPV4;
	}
}

int
xr_sa_from_map(union xr_sa *sa, const uint8_t addr[16], uint16_t port_be, uint8_t fam)
{
	memset(sa, 0, sizeof(*sa));
	if (fam == XR_FAM_IPV6) {
		sa->sin6.sin6_family = AF_INET6;
		memcpy(&sa->sin6.sin6_addr, addr, 16);
		sa->sin6.sin6_port = port_be;
	} else if (fam == XR_FAM_IPV4) {
		sa->sin.sin_family = AF_INET;
		memcpy(&sa->sin.sin_addr, addr + 12, 4);
		sa->sin.sin_port = port_be;
	} else {
		return -EINVAL;
	}
	return 0;
}
