// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_auth.c - libFuzzer harness for the credentials parser
 * (sip/parse_auth.c) and the CIDR parser (policy/cidr.c): arbitrary bytes as
 * an Authorization value and as a --trusted / --deny-dest element.  Checks
 * that every slice stays inside the input, that a success has the five
 * mandatory parameters, that nc_val is nc parsed, and that a parsed prefix
 * prints and parses back to itself.  Seeds: tests/fuzz/seeds/fuzz_auth.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "sip/auth_hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_auth: %s:%d: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

static void
inside(struct sip_str s, const char *base, size_t size)
{
	if (!s.s)
		return;
	CHECK(s.s >= base && s.len >= 0 && (size_t)(s.s - base) + (size_t)s.len <= size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), prefix[80], back[80];
	struct sip_auth_cred c;
	struct pol_cidr pc, pc2;
	int rc;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	rc = sip_auth_parse(sip_str_mk(buf, (int)size), &c);
	CHECK(rc == 0 || rc == -ENOENT || rc == -EINVAL);
	inside(c.username, buf, size);
	inside(c.realm, buf, size);
	inside(c.nonce, buf, size);
	inside(c.uri, buf, size);
	inside(c.response, buf, size);
	inside(c.algorithm, buf, size);
	inside(c.cnonce, buf, size);
	inside(c.opaque, buf, size);
	inside(c.qop, buf, size);
	inside(c.nc, buf, size);
	if (rc == 0) {
		CHECK(c.username.s && c.realm.s && c.nonce.s && c.uri.s && c.response.s);
		if (c.nc.s) {
			char hex[9];

			CHECK(c.nc.len == 8);
			snprintf(hex, sizeof(hex), "%08x", c.nc_val);
			CHECK(strncasecmp(hex, c.nc.s, 8) == 0);
		}
	}
	if (pol_cidr_parse(buf, &pc) == 0) {
		pol_cidr_str(&pc, prefix, sizeof(prefix));
		CHECK(pol_cidr_parse(prefix, &pc2) == 0);
		pol_cidr_str(&pc2, back, sizeof(back));
		CHECK(strcmp(prefix, back) == 0 && pc.plen == pc2.plen);
		CHECK(pol_cidr_match(&pc, &pc.net));
	}
	free(buf);
	return 0;
}
