// SPDX-License-Identifier: GPL-2.0
/*
 * reserve.c - net.ipv4.ip_local_reserved_ports while the shared-socket relay
 * runs, and the start-up check for sockets already on the range (reserve.h).
 * The sysctl is per network namespace; the set it held before is kept so
 * that stopping removes only the ports this daemon added.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "media/reserve.h"

#define RESERVED_PATH	"/proc/sys/net/ipv4/ip_local_reserved_ports"

static struct {
	struct port_set	added;	/* ports this daemon reserved */
	bool		held;
} RS;

static void
set_bit(struct port_set *s, unsigned p)
{
	s->w[p / 64] |= 1ull << (p % 64);
}

static bool
has_bit(const struct port_set *s, unsigned p)
{
	return s->w[p / 64] >> (p % 64) & 1;
}

int
port_set_parse(struct port_set *set, const char *s)
{
	memset(set, 0, sizeof(*set));
	while (*s && *s != '\n') {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;

		if (end == s || a > 65535)
			return -EINVAL;
		s = end;
		if (*s == '-') {
			b = strtoul(s + 1, &end, 10);
			if (end == s + 1 || b > 65535 || b < a)
				return -EINVAL;
			s = end;
		}
		for (unsigned long p = a; p <= b; p++)
			set_bit(set, (unsigned)p);
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -EINVAL;
	}
	return 0;
}

int
port_set_format(const struct port_set *set, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned p = 0; p < 65536; p++) {
		unsigned q = p;
		int w;

		if (!has_bit(set, p))
			continue;
		while (q + 1 < 65536 && has_bit(set, q + 1))
			q++;
		if (q == p)
			w = snprintf(buf + n, len - n, "%s%u", n ? "," : "", p);
		else
			w = snprintf(buf + n, len - n, "%s%u-%u", n ? "," : "", p, q);
		if (w < 0 || (size_t)w >= len - n)
			return -ENOSPC;
		n += (size_t)w;
		p = q;
	}
	return 0;
}

/* Read the sysctl into set.  0 or -errno. */
static int
reserved_read(struct port_set *set)
{
	static char buf[65536 * 3];
	int fd = open(RESERVED_PATH, O_RDONLY | O_CLOEXEC), err = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	buf[n] = '\0';
	return port_set_parse(set, buf);
}

static int
reserved_write(const struct port_set *set)
{
	static char buf[65536 * 3];
	int fd, err = 0;
	size_t n;

	err = port_set_format(set, buf, sizeof(buf) - 1);
	if (err)
		return err;
	n = strlen(buf);
	buf[n++] = '\n';
	fd = open(RESERVED_PATH, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, n) != (ssize_t)n)
		err = -errno;
	close(fd);
	return err;
}

int
ports_reserve(uint16_t lo, uint16_t hi, bool claim)
{
	struct port_set cur;
	int err;

	err = reserved_read(&cur);
	memset(&RS.added, 0, sizeof(RS.added));
	for (unsigned p = lo; !err && p <= hi; p++)
		if (claim || !has_bit(&cur, p)) {
			set_bit(&cur, p);
			set_bit(&RS.added, p);
		}
	if (!err)
		err = reserved_write(&cur);
	if (err) {
		logs(LS_MEDIA, LL_WARN, "cannot reserve ports %u-%u in %s: %s", lo, hi,
		     RESERVED_PATH, strerror(-err));
		return err;
	}
	RS.held = true;
	logs(LS_MEDIA, LL_INFO, "ports %u-%u reserved (ip_local_reserved_ports)", lo, hi);
	return 0;
}

void
ports_unreserve(void)
{
	struct port_set cur;
	int err;

	if (!RS.held)
		return;
	RS.held = false;
	err = reserved_read(&cur);
	for (size_t i = 0; !err && i < 1024; i++)
		cur.w[i] &= ~RS.added.w[i];
	if (!err)
		err = reserved_write(&cur);
	if (err)
		logs(LS_MEDIA, LL_WARN, "cannot give back the reserved media ports in %s: %s",
		     RESERVED_PATH, strerror(-err));
}

/* Whether the hex address of /proc/net/udp{,6} a (len 8 or 32) is ours or a wildcard. */
static bool
addr_ours(const char *a, size_t alen, const union xr_sa *addrs, int naddrs, int fam)
{
	uint8_t b[16];
	size_t nb = alen / 2;
	bool any = true;

	for (size_t i = 0; i < nb; i++) {
		unsigned v;

		if (sscanf(a + 2 * i, "%2x", &v) != 1)
			return false;
		b[i] = (uint8_t)v;
		any = any && v == 0;
	}
	/* The kernel prints each 32-bit word in host order. */
	for (size_t i = 0; i + 4 <= nb; i += 4) {
		uint32_t w;

		memcpy(&w, b + i, 4);
		w = htonl(w);
		memcpy(b + i, &w, 4);
	}
	for (int i = 0; i < naddrs; i++) {
		if (addrs[i].sa.sa_family != fam)
			continue;
		if (any)
			return true;
		if (fam == AF_INET && memcmp(b, &addrs[i].sin.sin_addr, 4) == 0)
			return true;
		if (fam == AF_INET6 && memcmp(b, &addrs[i].sin6.sin6_addr, 16) == 0)
			return true;
	}
	return false;
}

int
ports_in_use(const union xr_sa *addrs, int naddrs, uint16_t lo, uint16_t hi)
{
	static const char *const path[2] = { "/proc/net/udp", "/proc/net/udp6" };
	char line[512];

	for (int t = 0; t < 2; t++) {
		FILE *f = fopen(path[t], "re");

		if (!f)
			return -errno;
		while (fgets(line, sizeof(line), f)) {
			char addr[40];
			unsigned port;

			if (sscanf(line, " %*d: %39[0-9A-Fa-f]:%x", addr, &port) != 2)
				continue;
			if (port < lo || port > hi ||
			    !addr_ours(addr, strlen(addr), addrs, naddrs,
				       t == 0 ? AF_INET : AF_INET6))
				continue;
			fclose(f);
			return (int)port;
		}
		fclose(f);
	}
	return 0;
}
