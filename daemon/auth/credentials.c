// SPDX-License-Identifier: GPL-2.0
/*
 * credentials.c - the --credentials file: USER REALM ALG:HA1 [ALG:HA1] per
 * line, parsed whole into a sorted table and published under RCU, so a
 * SIGHUP reload swaps it atomically and a file with an error changes
 * nothing.  Only HA1 values (RFC 7616 §3.4.2) are read or kept, never a
 * password.  Lookups copy one HA1 out under the read lock; stats give
 * counts, never hashes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <urcu.h>

#include "auth/auth.h"

struct cred {
	char	*user;				/* case-sensitive */
	char	*realm;				/* lower-cased */
	char	 ha1[AUTH__NALG][AUTH_HEX_MAX];	/* lower-case hex, "" when absent */
};

struct cred_table {
	struct cred	*c;
	size_t		 n;
	uint64_t	 per_alg[AUTH__NALG];
};

static struct cred_table *cred_live;
static uint64_t		  cred_loads;
static int64_t		  cred_loaded_at;

static void
table_free(struct cred_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->c[i].user);
		free(t->c[i].realm);
		OPENSSL_cleanse(t->c[i].ha1, sizeof(t->c[i].ha1));
	}
	free(t->c);
	free(t);
}

static int
cred_cmp(const void *a, const void *b)
{
	const struct cred *x = a, *y = b;
	int r = strcmp(x->realm, y->realm);

	return r ? r : strcmp(x->user, y->user);
}

static bool
token_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n >= max)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == ':' || *s == '"' || *s == '\\' ||
		    (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* "ALG:HEX" into c; the reason in err on failure. */
static int
parse_ha1(struct cred *c, char *tok, char *err, size_t errlen)
{
	char *colon = strchr(tok, ':');
	int alg;
	size_t n;

	if (!colon) {
		snprintf(err, errlen, "'%s': expected ALG:HA1 (MD5:... or SHA-256:...)", tok);
		return -EINVAL;
	}
	*colon = '\0';
	alg = auth_alg_parse(sip_str_mk(tok, (int)strlen(tok)));
	if (alg < 0) {
		snprintf(err, errlen, "unknown algorithm '%s' (MD5 or SHA-256)", tok);
		return -EINVAL;
	}
	n = strlen(colon + 1);
	if (n != (size_t)auth_alg_hexlen(alg)) {
		snprintf(err, errlen, "%s HA1 must be %d hex digits", auth_alg_name(alg),
			 auth_alg_hexlen(alg));
		return -EINVAL;
	}
	if (c->ha1[alg][0]) {
		snprintf(err, errlen, "%s given twice", auth_alg_name(alg));
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		char h = colon[1 + i];

		if (!isxdigit((unsigned char)h)) {
			snprintf(err, errlen, "%s HA1 is not hex", auth_alg_name(alg));
			return -EINVAL;
		}
		c->ha1[alg][i] = (char)tolower((unsigned char)h);
	}
	c->ha1[alg][n] = '\0';
	return 0;
}

static int
table_read(const char *path, struct cred_table **out, char *err, size_t errlen)
{
	struct cred_table *t = calloc(1, sizeof(*t));
	char line[1024], why[200];
	size_t cap = 0;
	int lineno = 0, rc = 0;
	FILE *f;

	if (!t)
		return -ENOMEM;
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(t);
		return rc;
	}
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok[5], *hash;
		struct cred c = { 0 };
		int nt = 0;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(why, sizeof(why), "line too long");
			goto bad;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		for (char *p = strtok_r(line, " \t\r\n", &save); p;
		     p = strtok_r(NULL, " \t\r\n", &save)) {
			if (nt == 5) {
				snprintf(why, sizeof(why), "expected USER REALM ALG:HA1 [ALG:HA1]");
				goto bad;
			}
			tok[nt++] = p;
		}
		if (nt == 0)
			continue;
		if (nt < 3) {
			snprintf(why, sizeof(why), "expected USER REALM ALG:HA1 [ALG:HA1]");
			goto bad;
		}
		if (!token_ok(tok[0], AUTH_USER_MAX) || !token_ok(tok[1], AUTH_REALM_MAX)) {
			snprintf(why, sizeof(why), "bad user or realm");
			goto bad;
		}
		for (int i = 2; i < nt; i++)
			if (parse_ha1(&c, tok[i], why, sizeof(why)) < 0)
				goto bad;
		if (t->n == AUTH_CRED_MAX) {
			snprintf(why, sizeof(why), "more than %d entries", AUTH_CRED_MAX);
			goto bad;
		}
		if (t->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct cred *nc = realloc(t->c, ncap * sizeof(*nc));

			if (!nc) {
				rc = -ENOMEM;
				snprintf(err, errlen, "%s: out of memory", path);
				goto out;
			}
			t->c = nc;
			cap = ncap;
		}
		c.user = strdup(tok[0]);
		c.realm = strdup(tok[1]);
		if (!c.user || !c.realm) {
			free(c.user);
			free(c.realm);
			rc = -ENOMEM;
			snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
		for (char *p = c.realm; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		for (int a = 0; a < AUTH__NALG; a++)
			if (c.ha1[a][0])
				t->per_alg[a]++;
		t->c[t->n++] = c;
		OPENSSL_cleanse(line, sizeof(line));
		continue;
bad:
		OPENSSL_cleanse(&c, sizeof(c));
		snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
		rc = -EINVAL;
		goto out;
	}
	if (ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	if (t->n)
		qsort(t->c, t->n, sizeof(*t->c), cred_cmp);
	for (size_t i = 1; i < t->n; i++) {
		if (cred_cmp(&t->c[i - 1], &t->c[i]) == 0) {
			snprintf(err, errlen, "%s: %s in realm %s given twice", path, t->c[i].user,
				 t->c[i].realm);
			rc = -EINVAL;
			goto out;
		}
	}
out:
	fclose(f);
	if (rc < 0) {
		table_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int
auth_cred_check(const char *path, char *err, size_t errlen)
{
	struct cred_table *t;
	int rc = table_read(path, &t, err, errlen);

	if (rc < 0)
		return rc;
	rc = t->n > 0x7fffffff ? 0x7fffffff : (int)t->n;
	table_free(t);
	return rc;
}

int
auth_cred_load(const char *path, char *err, size_t errlen)
{
	struct cred_table *t, *old;
	int rc = table_read(path, &t, err, errlen);

	if (rc < 0)
		return rc;
	old = rcu_xchg_pointer(&cred_live, t);
	__atomic_add_fetch(&cred_loads, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&cred_loaded_at, (int64_t)time(NULL), __ATOMIC_RELAXED);
	if (old) {
		synchronize_rcu();
		table_free(old);
	}
	return 0;
}

void
auth_cred_unload(void)
{
	struct cred_table *old = rcu_xchg_pointer(&cred_live, NULL);

	if (old) {
		synchronize_rcu();
		table_free(old);
	}
}

int
auth_cred_lookup(struct sip_str user, struct sip_str realm, enum auth_alg alg, char *ha1)
{
	char u[AUTH_USER_MAX], r[AUTH_REALM_MAX];
	struct cred key = { .user = u, .realm = r }, *hit;
	struct cred_table *t;
	int rc = -ENOENT;

	if (user.len <= 0 || user.len >= (int)sizeof(u) || realm.len <= 0 ||
	    realm.len >= (int)sizeof(r) || (unsigned int)alg >= AUTH__NALG)
		return -ENOENT;
	sip_str_cpy(u, sizeof(u), user);
	sip_str_cpy(r, sizeof(r), realm);
	for (char *p = r; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	rcu_read_lock();
	t = rcu_dereference(cred_live);
	if (t && t->n) {
		hit = bsearch(&key, t->c, t->n, sizeof(*t->c), cred_cmp);
		if (hit && hit->ha1[alg][0]) {
			memcpy(ha1, hit->ha1[alg], AUTH_HEX_MAX);
			rc = 0;
		}
	}
	rcu_read_unlock();
	return rc;
}

void
auth_cred_stats(struct auth_cred_stats *st)
{
	struct cred_table *t;

	memset(st, 0, sizeof(*st));
	rcu_read_lock();
	t = rcu_dereference(cred_live);
	if (t) {
		st->users = t->n;
		memcpy(st->per_alg, t->per_alg, sizeof(st->per_alg));
	}
	rcu_read_unlock();
	st->loads = __atomic_load_n(&cred_loads, __ATOMIC_RELAXED);
	st->loaded_at = __atomic_load_n(&cred_loaded_at, __ATOMIC_RELAXED);
}
