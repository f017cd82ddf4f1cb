// SPDX-License-Identifier: GPL-2.0
/*
 * test_reserve.c - the --ports range of the shared-socket relay
 * (daemon/media/reserve.c): the sysctl's port-set format both ways, the
 * start-up check for a socket already on the range, and reserving then
 * giving back only what was added.  The last two run in a network namespace
 * of their own (unshare), so the host's sysctl and sockets are not touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "media/reserve.h"

#define RESERVED	"/proc/sys/net/ipv4/ip_local_reserved_ports"

static bool own_netns;	/* main() unshared one */

static const char *
roundtrip(const char *in, char *out, size_t len)
{
	struct port_set s;

	assert_int_equal(port_set_parse(&s, in), 0);
	assert_int_equal(port_set_format(&s, out, len), 0);
	return out;
}

static void
test_set_format(void **state)
{
	char b[256];
	struct port_set s;

	assert_string_equal(roundtrip("", b, sizeof(b)), "");
	assert_string_equal(roundtrip("\n", b, sizeof(b)), "");
	assert_string_equal(roundtrip("80", b, sizeof(b)), "80");
	assert_string_equal(roundtrip("30000-39999\n", b, sizeof(b)), "30000-39999");
	/* Adjacent and overlapping ranges merge, as the kernel prints them. */
	assert_string_equal(roundtrip("5,1-3,4,9-10,10", b, sizeof(b)), "1-5,9-10");
	assert_string_equal(roundtrip("0,65535", b, sizeof(b)), "0,65535");
	assert_int_equal(port_set_parse(&s, "70000"), -EINVAL);
	assert_int_equal(port_set_parse(&s, "5-3"), -EINVAL);
	assert_int_equal(port_set_parse(&s, "1;2"), -EINVAL);
	assert_int_equal(port_set_parse(&s, "1,2"), 0);
	assert_int_equal(port_set_format(&s, b, 2), -ENOSPC);
}

static int
bound_udp(const char *ip, uint16_t port)
{
	union xr_sa sa;
	int fd;

	assert_int_equal(xr_sa_parse(&sa, ip, 0), 0);
	xr_sa_set_port(&sa, port);
	fd = socket(sa.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (bind(fd, &sa.sa, xr_sa_len(&sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
test_in_use(void **state)
{
	union xr_sa addrs[2];
	int fd, fd6;

	if (!own_netns)
		skip();
	assert_int_equal(xr_sa_parse_ip(&addrs[0], "10.1.2.3"), 0);
	assert_int_equal(xr_sa_parse_ip(&addrs[1], "2001:db8::7"), 0);
	assert_int_equal(ports_in_use(addrs, 2, 30000, 30009), 0);
	fd = bound_udp("0.0.0.0", 30004);	/* a wildcard holds it on every address */
	assert_true(fd >= 0);
	assert_int_equal(ports_in_use(addrs, 2, 30000, 30009), 30004);
	assert_int_equal(ports_in_use(addrs, 2, 30005, 30009), 0);
	assert_int_equal(ports_in_use(addrs, 1, 30000, 30009), 30004);
	close(fd);
	fd6 = bound_udp("::", 30008);
	if (fd6 >= 0) {
		assert_int_equal(ports_in_use(addrs, 2, 30000, 30009), 30008);
		assert_int_equal(ports_in_use(addrs, 1, 30000, 30009), 0);	/* v4 only */
		close(fd6);
	}
	assert_int_equal(ports_in_use(addrs, 2, 30000, 30009), 0);
}

static void
sysctl_set(const char *v)
{
	int fd = open(RESERVED, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, v, strlen(v)), (ssize_t)strlen(v));
	close(fd);
}

static const char *
sysctl_get(char *b, size_t len)
{
	int fd = open(RESERVED, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, b, len - 1);
	close(fd);
	assert_true(n >= 0);
	b[n] = '\0';
	if (n && b[n - 1] == '\n')
		b[n - 1] = '\0';
	return b;
}

static void
test_reserve_release(void **state)
{
	char b[256];

	if (!own_netns)
		skip();
	/* Someone else's reservation overlaps the range: it stays theirs. */
	sysctl_set("8080,30005-30006\n");
	assert_int_equal(ports_reserve(30000, 30009, false), 0);
	assert_string_equal(sysctl_get(b, sizeof(b)), "8080,30000-30009");
	ports_unreserve();
	assert_string_equal(sysctl_get(b, sizeof(b)), "8080,30005-30006");
	ports_unreserve();	/* twice: nothing more */
	assert_string_equal(sysctl_get(b, sizeof(b)), "8080,30005-30006");
	sysctl_set("\n");
}

/*
 * claim (--redis): a killed daemon of this node left the range reserved; the
 * restarted one takes all of it as its own and gives all of it back.
 */
static void
test_reserve_claim(void **state)
{
	char b[256];

	if (!own_netns)
		skip();
	sysctl_set("8080,30000-30009\n");
	assert_int_equal(ports_reserve(30000, 30009, true), 0);
	assert_string_equal(sysctl_get(b, sizeof(b)), "8080,30000-30009");
	ports_unreserve();
	assert_string_equal(sysctl_get(b, sizeof(b)), "8080");
	/* Without claim, the same leftover would have stayed reserved. */
	sysctl_set("30000-30009\n");
	assert_int_equal(ports_reserve(30000, 30009, false), 0);
	ports_unreserve();
	assert_string_equal(sysctl_get(b, sizeof(b)), "30000-30009");
	sysctl_set("\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_format),
		cmocka_unit_test(test_in_use),
		cmocka_unit_test(test_reserve_release),
		cmocka_unit_test(test_reserve_claim),
	};

	log_init(true, LL_WARN, "test_reserve");
	own_netns = unshare(CLONE_NEWNET) == 0;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
