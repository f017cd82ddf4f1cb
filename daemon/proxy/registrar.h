/* SPDX-License-Identifier: GPL-2.0 */
/*
 * registrar.h - the RFC 3261 §10.3 registrar: the decision for one REGISTER
 * whose Request-URI names a domain we serve (To -> AOR, Contact handling,
 * expiry clamping, 423, "*", §10.3 Call-ID/CSeq ordering) applied to the
 * location service, and the headers of the answer.  No transport, no
 * transaction: proxy.c sends what reg_handle() decided, tests call it on
 * parsed messages.
 */
#ifndef XR_REGISTRAR_H
#define XR_REGISTRAR_H

#include <stddef.h>
#include <stdint.h>

#include "proxy/location.h"
#include "sip/msg.h"

struct xr_config;

/* Limits the registrar applies (from --min/--max/--default-expires). */
struct reg_cfg {
	int		  min_expires;		/* below it (and > 0): 423 */
	int		  max_expires;		/* longer requests are shortened to it */
	int		  default_expires;	/* neither ;expires nor Expires given */
	char * const	 *domains;		/* --domain names the AOR must be in */
	int		  ndomains;
};

#define REG_EXTRA_MAX	(LOC_MAX_BINDINGS * (LOC_URI_MAX + 48) + 128)

/* What to answer: status, reason, and extra header lines (CRLF-terminated). */
struct reg_result {
	int		code;			/* 200, 400, 404, 420, 423, 500, 503 */
	const char	*reason;		/* NULL: the default phrase */
	char		extra[REG_EXTRA_MAX];	/* "Contact: <..>;expires=N\r\n"..., "Min-Expires: .." */
	int		extra_len;
	int		nbindings;		/* bindings listed in a 200 */
	bool		over_total;		/* refused: over --max-registrations */
};

#define REG_RETRY_AFTER	60	/* Retry-After of a 503 "Registrar Full" (seconds) */

/* Fill a reg_cfg from the daemon's configuration. */
void	reg_cfg_from(struct reg_cfg *rc, const struct xr_config *cfg);

/*
 * Is host (a Request-URI or To host, as written) one of the domains we serve?
 * Case-insensitive.
 */
bool	reg_domain_is_ours(const struct reg_cfg *rc, struct sip_str host);

/*
 * Process REGISTER m (parsed, its Request-URI already known to be ours) that
 * arrived from src, at now_ms: apply it to the location service and fill
 * *res with the answer.  Returns 0 (res->code says what to answer; a 200
 * lists every current binding of the AOR with its remaining expiry,
 * §10.3 step 8).  Never fails otherwise: every problem becomes a status.
 */
int	reg_handle(const struct reg_cfg *rc, const struct sip_msg *m,
		   const struct loc_src *src, uint64_t now_ms, struct reg_result *res);

/* The §19.1.4 comparison used by the location service (parses both URIs). */
bool	reg_uri_eq(const char *a, size_t alen, const char *b, size_t blen);

#endif /* XR_REGISTRAR_H */
