// SPDX-License-Identifier: GPL-2.0
/*
 * scratch.c - the big per-message scratch of the proxy (a request's plan and
 * targets, px_req; a forwarded request being built, forward.c's px_fwd; a
 * reply we build) from a few spare buffers kept per thread, so the 70-100 KB
 * of each message is not malloc'd and freed again: with the transactions
 * kept for their timers in between, every such malloc split fresh heap and
 * faulted it in (bench/README.md "Where the microseconds go").
 * Owns the spares only; what is in a buffer is its user's.
 */
#include <pthread.h>
#include <stdlib.h>

#include "proxy/proxy_int.h"

#define PX_SCRATCH_SPARES	4	/* per thread: request + forward + reply + one */

struct px_spares {
	int	 n;
	void	*buf[PX_SCRATCH_SPARES];
};

static pthread_key_t	px_spares_key;
static pthread_once_t	px_spares_once = PTHREAD_ONCE_INIT;
static bool		px_spares_ok;

/* At a thread's exit: its spares go back to the heap. */
static void
px_spares_free(void *p)
{
	struct px_spares *s = p;

	for (int i = 0; i < s->n; i++)
		free(s->buf[i]);
	free(s);
}

static void
px_spares_init(void)
{
	px_spares_ok = pthread_key_create(&px_spares_key, px_spares_free) == 0;
}

/*
 * A PX_SCRATCH_SIZE buffer, not zeroed: one of this thread's spares, else a
 * new one.  NULL with errno set when there is no memory.  Give it back with
 * px_scratch_put() (from any thread).
 */
void *
px_scratch_get(void)
{
	struct px_spares *s;

	pthread_once(&px_spares_once, px_spares_init);
	s = px_spares_ok ? pthread_getspecific(px_spares_key) : NULL;
	if (s && s->n > 0)
		return s->buf[--s->n];
	return malloc(PX_SCRATCH_SIZE);
}

/*
 * Give back buf (from px_scratch_get(), or NULL): kept as one of the calling
 * thread's spares, freed when it has enough.
 */
void
px_scratch_put(void *buf)
{
	struct px_spares *s;

	if (!buf)
		return;
	pthread_once(&px_spares_once, px_spares_init);
	s = px_spares_ok ? pthread_getspecific(px_spares_key) : NULL;
	if (!s && px_spares_ok && (s = calloc(1, sizeof(*s))) &&
	    pthread_setspecific(px_spares_key, s) != 0) {
		free(s);
		s = NULL;
	}
	if (s && s->n < PX_SCRATCH_SPARES)
		s->buf[s->n++] = buf;
	else
		free(buf);
}
