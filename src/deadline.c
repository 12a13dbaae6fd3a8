/*
 * deadline.c - a whole deadline for each request; see deadline.h.
 *
 * A receive timeout (SO_RCVTIMEO) bounds one read(2) only: a peer that
 * sends one byte every 20 s keeps a half-sent request, and the thread
 * reading it, alive for ever. The reads happen inside libfcgi (the
 * parameters, in FCGX_Accept_r; its wait for the peer's close, in
 * FCGX_Finish_r) as well as ours, so no read can check a clock. Instead
 * a guard thread shuts the reading side of a connection whose request is
 * still being read at its deadline (shutdown(2) SHUT_RD): a blocked read
 * returns 0 at once, and every later one does not wait. The writing side
 * is left alone, so an answer already written still goes out.
 */
#include <sys/socket.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "util.h"

/* Shut s's reading side; s->mu held. */
static void
cut(struct dl_slot *s)
{
	(void)shutdown(s->fd, SHUT_RD);
	s->expired = 1;
}

/*
 * Sleep until the earliest deadline of a request being read, or for a
 * whole limit when there is none: a request that begins meanwhile has
 * its deadline a whole limit after now, never before the next look.
 * Cut the requests past theirs. Slots are locked one at a time, each
 * after g->mu, never the other way round.
 */
static void *
guard_main(void *arg)
{
	struct dl_guard	*g = arg;
	struct dl_slot	*s;
	struct timespec	 ts;
	int64_t		 now, next;
	int		 i;

	pthread_mutex_lock(&g->mu);
	while (!g->stop) {
		now = now_ms();
		next = now + g->limit_ms;
		for (i = 0; i < g->n; i++) {
			s = &g->slots[i];
			pthread_mutex_lock(&s->mu);
			if (s->fd >= 0 && !s->expired) {
				if (s->at > now) {
					if (s->at < next)
						next = s->at;
				} else if (s->reading)
					cut(s);
				/* else: cut when its thread reads again */
			}
			pthread_mutex_unlock(&s->mu);
		}
		ts.tv_sec = (time_t)(next / 1000);
		ts.tv_nsec = (long)(next % 1000) * 1000000L;
		(void)pthread_cond_timedwait(&g->cond, &g->mu, &ts);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int
dl_start(struct dl_guard *g, int n, int64_t limit_ms)
{
	pthread_condattr_t	 ca;
	int			 i, rc = -1;

	memset(g, 0, sizeof(*g));
	g->n = n;
	g->limit_ms = limit_ms;
	if ((g->slots = calloc((size_t)n, sizeof(*g->slots))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		pthread_mutex_init(&g->slots[i].mu, NULL);
		g->slots[i].fd = -1;
		g->slots[i].limit_ms = limit_ms;
	}
	pthread_mutex_init(&g->mu, NULL);
	/* now_ms() is CLOCK_MONOTONIC: the wait's clock too. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&g->thread, NULL, guard_main, g) != 0)
		goto out;
	g->started = 1;
	rc = 0;
out:
	if (rc != 0)
		dl_stop(g);
	return rc;
}

void
dl_stop(struct dl_guard *g)
{
	int i;

	if (g->slots == NULL)
		return;
	if (g->started) {
		pthread_mutex_lock(&g->mu);
		g->stop = 1;
		pthread_cond_signal(&g->cond);
		pthread_mutex_unlock(&g->mu);
		pthread_join(g->thread, NULL);
		g->started = 0;
	}
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->mu);
	for (i = 0; i < g->n; i++)
		pthread_mutex_destroy(&g->slots[i].mu);
	free(g->slots);
	g->slots = NULL;
}

struct dl_slot *
dl_slot(struct dl_guard *g, int i)
{
	return &g->slots[i];
}

int
dl_begin(struct dl_slot *s, int fd)
{
	int copy;

	if ((copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return -1;
	pthread_mutex_lock(&s->mu);
	s->fd = copy;
	s->reading = 1;
	s->expired = 0;
	s->at = now_ms() + s->limit_ms;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

void
dl_reading(struct dl_slot *s, int reading)
{
	pthread_mutex_lock(&s->mu);
	s->reading = reading;
	if (reading && s->fd >= 0 && !s->expired && now_ms() >= s->at)
		cut(s);
	pthread_mutex_unlock(&s->mu);
}

int
dl_passed(struct dl_slot *s)
{
	int passed;

	pthread_mutex_lock(&s->mu);
	passed = s->expired || now_ms() >= s->at;
	pthread_mutex_unlock(&s->mu);
	return passed;
}

int
dl_cut(struct dl_slot *s)
{
	int cut;

	pthread_mutex_lock(&s->mu);
	cut = s->expired;
	pthread_mutex_unlock(&s->mu);
	return cut;
}

int
dl_end(struct dl_slot *s)
{
	int expired, fd;

	pthread_mutex_lock(&s->mu);
	expired = s->expired;
	fd = s->fd;
	s->fd = -1;
	s->reading = 0;
	s->expired = 0;
	pthread_mutex_unlock(&s->mu);
	if (fd >= 0)
		close(fd);
	return expired;
}
