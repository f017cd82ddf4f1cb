// SPDX-License-Identifier: GPL-2.0
/*
 * fastline.c - the control protocol's fast path (ctl.h): recognises a
 * request line of the simple shape the set-up clients send,
 *   {"v":1, "id":7, "cmd":"media.create", "args":{"a":"10.0.0.1:4000", ...}}
 * (keys in any order, "v", "id" and "args" optional, plain ASCII strings
 * without escapes, integers), without building a JSON tree.  Anything else
 * (escapes, other keys or types, a duplicate key, bad JSON) is not simple and
 * goes through jansson in server.c, which gives the same answers and errors
 * as always.  Pure: no state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"

struct cur {
	const char	*p, *end;
};

static void
ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
		c->p++;
}

static bool
eat(struct cur *c, char ch)
{
	ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

/* A string of printable ASCII, no escape; *s, *n without the quotes. */
static bool
str(struct cur *c, const char **s, size_t *n)
{
	ws(c);
	if (c->p >= c->end || *c->p != '"')
		return false;
	*s = ++c->p;
	while (c->p < c->end && *c->p != '"') {
		if ((unsigned char)*c->p < 0x20 || (unsigned char)*c->p > 0x7e || *c->p == '\\')
			return false;
		c->p++;
	}
	if (c->p >= c->end)
		return false;
	*n = (size_t)(c->p++ - *s);
	return true;
}

/* A JSON integer of at most 18 digits (no fraction, no exponent). */
static bool
integer(struct cur *c, const char **s, size_t *n, long long *v)
{
	const char *q;

	ws(c);
	q = *s = c->p;
	if (q < c->end && *q == '-')
		q++;
	if (q >= c->end || *q < '0' || *q > '9')
		return false;
	if (*q == '0' && q + 1 < c->end && q[1] >= '0' && q[1] <= '9')
		return false;		/* leading zero: not JSON */
	while (q < c->end && *q >= '0' && *q <= '9')
		q++;
	if (q - *s > 18 || (q < c->end && (*q == '.' || *q == 'e' || *q == 'E')))
		return false;
	*n = (size_t)(q - *s);
	*v = strtoll(*s, NULL, 10);
	c->p = q;
	return true;
}

static bool
key_is(const char *k, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(k, want, n) == 0;
}

/* "args": an object of string or integer values, distinct keys. */
static bool
args_obj(struct cur *c, struct ctl_fast_req *r)
{
	if (!eat(c, '{'))
		return false;
	r->has_args = true;
	if (eat(c, '}'))
		return true;
	do {
		struct ctl_fast_arg *a;

		if (r->nargs == CTL_FAST_MAX_ARGS)
			return false;
		a = &r->args[r->nargs];
		memset(a, 0, sizeof(*a));
		if (!str(c, &a->key, &a->klen) || !eat(c, ':'))
			return false;
		for (int i = 0; i < r->nargs; i++)
			if (r->args[i].klen == a->klen && !memcmp(r->args[i].key, a->key, a->klen))
				return false;
		ws(c);
		if (c->p < c->end && *c->p == '"') {
			if (!str(c, &a->str, &a->slen))
				return false;
		} else {
			const char *s;
			size_t n;

			if (!integer(c, &s, &n, &a->ival))
				return false;
			a->is_int = true;
		}
		r->nargs++;
	} while (eat(c, ','));
	return eat(c, '}');
}

int
ctl_fast_parse(const char *line, size_t len, struct ctl_fast_req *r)
{
	struct cur c = { line, line + len };
	bool seen_v = false;

	memset(r, 0, sizeof(*r));
	if (!eat(&c, '{'))
		return -EINVAL;
	do {
		const char *k;
		size_t kn;

		if (!str(&c, &k, &kn) || !eat(&c, ':'))
			return -EINVAL;
		if (key_is(k, kn, "v") && !seen_v) {
			const char *s;
			size_t n;
			long long v;

			if (!integer(&c, &s, &n, &v) || v != XR_CTL_PROTO_VERSION)
				return -EINVAL;
			seen_v = true;
		} else if (key_is(k, kn, "cmd") && !r->cmd) {
			if (!str(&c, &r->cmd, &r->cmdlen))
				return -EINVAL;
		} else if (key_is(k, kn, "id") && !r->id) {
			long long v;

			ws(&c);
			if (c.p < c.end && *c.p == '"') {
				const char *s;
				size_t n;

				r->id = c.p;
				if (!str(&c, &s, &n))
					return -EINVAL;
				r->idlen = (size_t)(c.p - r->id);	/* with its quotes */
			} else if (!integer(&c, &r->id, &r->idlen, &v)) {
				return -EINVAL;
			}
		} else if (key_is(k, kn, "args") && !r->has_args) {
			if (!args_obj(&c, r))
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	} while (eat(&c, ','));
	if (!eat(&c, '}') || !r->cmd)
		return -EINVAL;
	ws(&c);
	return c.p == c.end ? 0 : -EINVAL;
}

const struct ctl_fast_arg *
ctl_fast_arg(const struct ctl_fast_req *r, const char *key)
{
	for (int i = 0; i < r->nargs; i++)
		if (key_is(r->args[i].key, r->args[i].klen, key))
			return &r->args[i];
	return NULL;
}
