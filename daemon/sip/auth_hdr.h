/* SPDX-License-Identifier: GPL-2.0 */
/*
 * auth_hdr.h - the credentials of an Authorization or Proxy-Authorization
 * header (RFC 3261 §22.4, §25.1; RFC 7616 §3.4): the Digest scheme's
 * parameters as slices into the message.  Parsing only: checking them is
 * auth/'s job, deciding who must send them the proxy's.
 */
#ifndef XR_SIP_AUTH_HDR_H
#define XR_SIP_AUTH_HDR_H

#include <stdbool.h>
#include <stdint.h>

#include "sip/msg.h"

struct sip_auth_cred {
	struct sip_str	 username;	/* quotes removed; absent when not given */
	struct sip_str	 realm;
	struct sip_str	 nonce;
	struct sip_str	 uri;
	struct sip_str	 response;
	struct sip_str	 algorithm;	/* absent: MD5 */
	struct sip_str	 cnonce;
	struct sip_str	 opaque;
	struct sip_str	 qop;		/* token ("auth") or absent */
	struct sip_str	 nc;		/* 8 hex digits as written, absent when none */
	uint32_t	 nc_val;	/* nc parsed (0 when absent) */
	bool		 userhash;	/* userhash=true (RFC 7616 §3.4.4: not supported) */
	int		 hdr;		/* index in m->hdrs (sip_auth_find), -1 */
};

/*
 * Parse one header value "Digest k=v, k="v", ...".  Returns 0, -ENOENT when
 * the scheme is not Digest, -EINVAL when the value is malformed (a bad
 * quoted string, nc not 8 hex digits, a parameter twice, username, realm,
 * nonce, uri or response missing).  Unknown parameters are skipped.
 */
int	sip_auth_parse(struct sip_str value, struct sip_auth_cred *c);

/*
 * The first Digest credentials of header type t (SIP_HDR_AUTHORIZATION or
 * SIP_HDR_PROXY_AUTHORIZATION) whose realm equals realm (case-insensitive).
 * 1 found, 0 none for that realm, -EINVAL when the one for that realm is
 * malformed.
 */
int	sip_auth_find(const struct sip_msg *m, enum sip_hdr_type t, const char *realm,
		      struct sip_auth_cred *c);

#endif /* XR_SIP_AUTH_HDR_H */
