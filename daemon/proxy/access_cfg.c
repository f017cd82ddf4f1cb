// SPDX-License-Identifier: GPL-2.0
/*
 * access_cfg.c - the access options of the running configuration made live
 * (trusted and denied sets, our own addresses, nonce ttl, the credentials
 * file, at start-up and on every SIGHUP), and the access part of `stats` /
 * metrics: refusal counters and table sizes, never a hash.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth/auth.h"
#include "common/log.h"
#include "config.h"
#include "policy/policy.h"
#include "proxy/proxy.h"

static bool nonce_up;

int
access_apply_config(const struct xr_config *cfg, bool start, char *err, size_t errlen)
{
	struct pol_acl *acl = calloc(1, sizeof(*acl));
	int rc;

	if (!acl) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(acl->trusted, cfg->trusted, sizeof(cfg->trusted[0]) * (size_t)cfg->ntrusted);
	acl->ntrusted = cfg->ntrusted;
	memcpy(acl->deny, cfg->deny_dest, sizeof(cfg->deny_dest[0]) * (size_t)cfg->ndeny_dest);
	acl->ndeny = cfg->ndeny_dest;
	acl->trusted_exempt = cfg->deny_dest_trusted;
	for (int i = 0; i < cfg->nsip && acl->nown < POL_MAX_OWN; i++) {
		acl->own[acl->nown] = cfg->sip[i];
		xr_sa_set_port(&acl->own[acl->nown++], 0);
	}
	for (int i = 0; i < cfg->nmedia && acl->nown < POL_MAX_OWN; i++) {
		acl->own[acl->nown] = cfg->media[i];
		xr_sa_set_port(&acl->own[acl->nown++], 0);
	}
	rc = pol_configure(acl);
	free(acl);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	if (!nonce_up) {
		rc = auth_nonce_init(cfg->nonce_ttl);
		if (rc < 0) {
			snprintf(err, errlen, "cannot make the nonce secret: %s", strerror(-rc));
			return rc;
		}
		nonce_up = true;
	} else {
		auth_nonce_set_ttl(cfg->nonce_ttl);
	}
	{
		enum auth_alg order[AUTH__NALG];

		for (int i = 0; i < cfg->nauth_algs && i < AUTH__NALG; i++)
			order[i] = (enum auth_alg)cfg->auth_algs[i];
		auth_set_algorithms(order, cfg->nauth_algs);
	}
	if (!cfg->credentials[0]) {
		auth_cred_unload();
		return 0;
	}
	rc = auth_cred_load(cfg->credentials, err, errlen);
	if (rc < 0 && !start) {
		log_warnx("reload: credentials %s: running credentials kept", err);
		return 0;
	}
	if (rc == 0) {
		struct auth_cred_stats st;

		auth_cred_stats(&st);
		log_info("access: %s: %llu user(s) (%llu SHA-256, %llu MD5)", cfg->credentials,
			 (unsigned long long)st.users,
			 (unsigned long long)st.per_alg[AUTH_SHA256],
			 (unsigned long long)st.per_alg[AUTH_MD5]);
	}
	return rc;
}

json_t *
access_stats_json(void)
{
	struct auth_cred_stats cs;
	struct pol_stats ps;
	struct pol_acl *acl = malloc(sizeof(*acl));
	int nt = 0, nd = 0, no = 0;
	json_t *o;

	if (acl && pol_snapshot(acl)) {
		nt = acl->ntrusted;
		nd = acl->ndeny;
		no = acl->nown;
	}
	free(acl);
	pol_stats(&ps);
	auth_cred_stats(&cs);
	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		      "auth_challenges", (json_int_t)ps.auth_challenges,
		      "auth_failures", (json_int_t)ps.auth_failures,
		      "relay_forbidden", (json_int_t)ps.relay_forbidden,
		      "dest_denied", (json_int_t)ps.dest_denied,
		      "identity_stripped", (json_int_t)ps.identity_stripped,
		      "credentials_users", (json_int_t)cs.users,
		      "credentials_sha256", (json_int_t)cs.per_alg[AUTH_SHA256],
		      "credentials_md5", (json_int_t)cs.per_alg[AUTH_MD5],
		      "trusted_prefixes", (json_int_t)nt,
		      "denied_prefixes", (json_int_t)nd,
		      "own_addresses", (json_int_t)no);
	return o;
}
