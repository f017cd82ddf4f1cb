/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wbuf.h - a bounded output cursor for the message and SDP builders: writes
 * never go past cap, and the first write that does not fit marks the buffer
 * full (later writes are dropped) so a builder checks once at the end.
 */
#ifndef XR_WBUF_H
#define XR_WBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct wbuf {
	char	*p;
	size_t	 cap;
	size_t	 n;
	bool	 full;	/* something did not fit */
};

static inline void
wbuf_put(struct wbuf *w, const void *s, size_t len)
{
	if (!len)
		return;
	if (w->full || len > w->cap - w->n) {
		w->full = true;
		return;
	}
	memcpy(w->p + w->n, s, len);
	w->n += len;
}

static inline void
wbuf_cstr(struct wbuf *w, const char *s)
{
	wbuf_put(w, s, strlen(s));
}

static inline void
wbuf_long(struct wbuf *w, long v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%ld", v);

	wbuf_put(w, b, (size_t)n);
}

#endif /* XR_WBUF_H */
