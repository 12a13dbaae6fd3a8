/*
 * metrics.h - counters for GET .../metrics (Prometheus text format 0.0.4).
 *
 * Every counter is a uint64_t slot, increased with an atomic add. With
 * METRICS_FILE usable the slots live in a file mapped MAP_SHARED, so that
 * every worker process (spawn-fcgi -F N, mod_fcgid) adds to the same
 * numbers and one scrape, answered by any process, sees them all. A
 * process that cannot map the file counts in its own memory (said once).
 * Before metrics_setup, and when metrics are off, every call is a no-op.
 */
#ifndef ZA_METRICS_H
#define ZA_METRICS_H

#include <stdint.h>

#include "buf.h"

enum metric {			/* plain counters */
	M_TOKEN_FETCHES,	/* token endpoint exchanges started */
	M_RETRIES,		/* HTTP attempts repeated after a transient failure */
	M_REFRESH_401,		/* a 401 from Zoom: fresh token, one more try */
	M_RATE_LIMITED,		/* 429 answers from Zoom */
	M_JOBS_DONE,		/* workflow jobs moved to done/ */
	M_JOBS_FAILED,		/* workflow jobs moved to failed/ */
	M_JOBS_RETRIED,		/* workflow jobs left pending for a later try */
	M_JOBS_ACCEPTED,	/* webhook jobs written to pending/ */
	M__MAX
};

enum m_route {
	MR_ATTENDANCE,		/* POST .../attendees (any other path) */
	MR_MEETING_ENDED,	/* the cal.com webhook */
	MR_HEALTHZ,
	MR_METRICS,
	MR__MAX
};

enum m_zoom_kind {
	MZ_TOKEN, MZ_PARTICIPANTS, MZ_MEETING, MZ_INSTANCES, MZ__MAX
};

enum m_outcome {
	MO_OK,			/* 2xx */
	MO_UNAUTHORIZED,	/* 401 */
	MO_RATE_LIMITED,	/* 429 */
	MO_CLIENT_ERROR,	/* other 4xx */
	MO_SERVER_ERROR,	/* 5xx */
	MO_TIMEOUT,		/* no answer within the deadline */
	MO_TRANSPORT,		/* connection, TLS, or other transport error */
	MO__MAX
};

#define METRICS_BUCKETS	12	/* latency buckets, the last one +Inf */

/*
 * Turn metrics on, shared through path when it is not NULL. 0 when the
 * shared region is in use, 1 when counting in this process only (the
 * reason logged once), -1 when off.
 */
int		 metrics_setup(const char *path, int enabled);
int		 metrics_enabled(void);
int		 metrics_shared(void);

void		 metrics_inc(enum metric m);
void		 metrics_request(enum m_route r, int status);
void		 metrics_observe_ms(enum m_route r, int64_t ms);
void		 metrics_zoom_call(enum m_zoom_kind k, enum m_outcome o);
/* The kind of a Zoom call from its method and URL. */
enum m_zoom_kind metrics_zoom_kind(const char *method, const char *url);
enum m_outcome	 metrics_http_outcome(long status);

/* Append the whole exposition. 0, or -1 when b is full. */
int		 metrics_write(struct buf *b);

/* Tests: drop the mapping and go back to off. */
void		 metrics_reset(void);

#endif
