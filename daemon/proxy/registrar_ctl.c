// SPDX-License-Identifier: GPL-2.0
/*
 * registrar_ctl.c - the registrar's operator commands (registrar_ctl.h):
 * "reg.del {aor}" removes an address of record and every binding it has
 * from the location service, as if each had expired.  Runs on the control
 * thread; the location service serialises it with REGISTERs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ctl/ctl.h"
#include "proxy/location.h"
#include "proxy/registrar_ctl.h"
#include "sip/msg.h"

/*
 * The canonical AOR of what an operator typed: "user@domain", "domain", or
 * a sip:/sips: URI (as `xrelayctl regs` shows AORs, or as a To header has
 * them).  0, or -EINVAL with the reason in err.
 */
static int
reg_canon_aor(const char *in, char *out, size_t cap, char *err, size_t errlen)
{
	char uri[LOC_AOR_MAX + 8];
	struct sip_uri u;
	int n;

	if (strncasecmp(in, "sip:", 4) == 0 || strncasecmp(in, "sips:", 5) == 0)
		n = snprintf(uri, sizeof(uri), "%s", in);
	else
		n = snprintf(uri, sizeof(uri), "sip:%s", in);
	if (n < 0 || (size_t)n >= sizeof(uri)) {
		snprintf(err, errlen, "reg.del: address of record too long");
		return -ENAMETOOLONG;
	}
	if (!*in || sip_uri_parse(sip_str_mk(uri, n), &u) < 0 ||
	    sip_uri_aor(&u, out, cap) < 0) {
		snprintf(err, errlen, "reg.del: '%.200s' is not an address of record "
			 "(user@domain or a sip: URI)", in);
		return -EINVAL;
	}
	return 0;
}

static int
ctl_reg_del(json_t *args, json_t **result, char *err, size_t errlen)
{
	json_t *v = args ? json_object_get(args, "aor") : NULL;
	char aor[LOC_AOR_MAX];
	int rc;

	if (!json_is_string(v)) {
		snprintf(err, errlen, "reg.del: missing \"aor\": \"user@domain\"");
		return -EINVAL;
	}
	rc = reg_canon_aor(json_string_value(v), aor, sizeof(aor), err, errlen);
	if (rc < 0)
		return rc;
	rc = loc_remove_aor(aor, loc_now_ms());
	if (rc == -ENOENT) {
		snprintf(err, errlen, "reg.del: %s is not registered", aor);
		return rc;
	}
	if (rc < 0) {
		snprintf(err, errlen, "reg.del: %s: %s", aor, strerror(-rc));
		return rc;
	}
	*result = json_pack("{s:s, s:i}", "aor", aor, "removed", rc);
	return *result ? 0 : -ENOMEM;
}

int
registrar_ctl_init(void)
{
	int rc = ctl_register("reg.del", ctl_reg_del,
			      "{aor}: remove an address of record and all its bindings");

	return rc == -EEXIST ? 0 : rc;
}
