/*
 * zoom_http.h - one HTTP exchange with Zoom, retried inside a time budget.
 *
 * Each worker owns one struct zoom_http (one libcurl handle), so kept-alive
 * connections are reused across requests. Connection failures, 5xx and
 * per-second 429 answers are retried with exponential backoff and jitter
 * while the deadline allows; everything else is handed back as it came.
 */
#ifndef ZA_ZOOM_HTTP_H
#define ZA_ZOOM_HTTP_H

#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "http_conn.h"

#define ZHTTP_MAX_ATTEMPTS	4	/* one try and three retries */
#define ZHTTP_BACKOFF_MS	200	/* first retry waits 100-200 ms */

enum zhttp_err {
	ZHTTP_OK = 0,		/* an HTTP answer arrived (any status) */
	ZHTTP_ETIMEOUT,		/* the deadline passed */
	ZHTTP_ECONNECT,		/* no answer: refused, reset, cut short */
	ZHTTP_ETOOBIG,		/* the body passed its cap */
	ZHTTP_ENOMEM,
	ZHTTP__MAX
};

struct zoom_http {
	CURL		*curl;		/* POSTs (the token) */
	struct http_conn conn;		/* GETs (the pages), kept alive */
	char		 errbuf[CURL_ERROR_SIZE];
	unsigned int	 seed;		/* jitter, per worker */
};

/*
 * How many threads of the process may sleep before a retry at the same
 * time (default 1, right for CGI); beyond that, a failing call is not
 * retried, so retries never hold every worker thread.
 */
void		 zhttp_set_retry_sleepers(int max);

/* allow_http: also allow http:// (loopback test stand-ins). 0 or -1. */
int		 zhttp_init(struct zoom_http *h, int allow_http);
void		 zhttp_free(struct zoom_http *h);

void		 zhttp_answer_init(struct http_answer *a, size_t max_body);
void		 zhttp_answer_free(struct http_answer *a);

/*
 * GET url (post_body NULL) or POST post_body as a form, with the extra
 * header lines in headers (may be NULL), until an answer that is not worth
 * retrying or the deadline (now_ms() clock). *calls counts every attempt.
 * The answer's fields describe the last attempt.
 */
enum zhttp_err	 zhttp_request(struct zoom_http *h, const char *url,
		     struct curl_slist *headers, const char *post_body,
		     int64_t deadline, struct http_answer *a, int *calls);

/*
 * Retry-After as seconds from now: delay-seconds, an HTTP date, or the
 * ISO 8601 UTC time Zoom sends for daily limits. -1 when unparsable;
 * *is_date tells which form it was. A past date gives 0.
 */
long		 zhttp_retry_after(const char *v, time_t now, int *is_date);

#endif
