/* SPDX-License-Identifier: GPL-2.0 */
/*
 * str.h - the SIP slice type (Kamailio's str): a pointer into a buffer the
 * slice does not own, and a length.  Never NUL-terminated.  Small inline
 * helpers for comparing and trimming; nothing here allocates.
 */
#ifndef XR_SIP_STR_H
#define XR_SIP_STR_H

#include <stdbool.h>
#include <string.h>
#include <strings.h>

struct sip_str {
	const char	*s;	/* first byte, or NULL for "absent" */
	int		 len;	/* bytes; 0 for empty or absent */
};

/* A slice over a string literal: SIP_STR("INVITE"). */
#define SIP_STR(lit)		((struct sip_str){ (lit), (int)sizeof(lit) - 1 })
/* printf("%.*s", SIP_STR_FMT(x)) */
#define SIP_STR_FMT(x)		(x).len, (x).s

static inline struct sip_str
sip_str_mk(const char *s, int len)
{
	return (struct sip_str){ s, len };
}

/* True when the slice was found in the message (it may still be empty). */
static inline bool
sip_str_present(struct sip_str a)
{
	return a.s != NULL;
}

static inline bool
sip_str_eq(struct sip_str a, struct sip_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.s, b.s, a.len) == 0);
}

/* ASCII case-insensitive equality (tokens, host names, header names). */
static inline bool
sip_str_caseeq(struct sip_str a, struct sip_str b)
{
	return a.len == b.len && (a.len == 0 || strncasecmp(a.s, b.s, a.len) == 0);
}

/* Case-insensitive comparison with a C string. */
static inline bool
sip_str_caseeq_cstr(struct sip_str a, const char *c)
{
	size_t n = strlen(c);

	return (size_t)a.len == n && (n == 0 || strncasecmp(a.s, c, n) == 0);
}

/* Copy into a NUL-terminated buffer, truncating; returns dst. */
static inline char *
sip_str_cpy(char *dst, size_t cap, struct sip_str a)
{
	size_t n;

	if (cap == 0)
		return dst;
	n = a.len > 0 ? (size_t)a.len : 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(dst, a.s, n);
	dst[n] = '\0';
	return dst;
}

#endif /* XR_SIP_STR_H */
