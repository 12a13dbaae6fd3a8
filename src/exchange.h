/*
 * exchange.h - one HTTP exchange through libcurl, retried inside a time
 * budget. Serves every upstream we call (Zoom today); what is specific to
 * one service (tokens, error bodies) lives beside it, not in it.
 *
 * Each worker thread owns one struct exchange: one libcurl easy handle,
 * reused for every request, so its kept connection serves the next
 * request. What libcurl can share between threads, the DNS cache and TLS
 * sessions (so a reconnect resumes instead of a full handshake), is
 * shared by every exchange of the process (xchg_global_init).
 *
 * Connection failures, 5xx and per-second 429 answers are retried with
 * exponential backoff and jitter while the deadline allows; everything
 * else is handed back as it came.
 */
#ifndef ZA_EXCHANGE_H
#define ZA_EXCHANGE_H

#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"

#define XCHG_MAX_ATTEMPTS	4	/* one try and three retries */
#define XCHG_BACKOFF_MS		200	/* first retry waits 100-200 ms */
#define XCHG_CONNECT_MS		5000	/* connect timeout, also capped by budget */
#define XCHG_TRACE_MAX		96	/* longest request id kept for the log */
#define XCHG_USER_AGENT		"zoom-attendees/" ZA_VERSION

enum xchg_err {
	XCHG_OK = 0,		/* an HTTP answer arrived (any status) */
	XCHG_ETIMEOUT,		/* the deadline passed */
	XCHG_ECONNECT,		/* no answer: refused, reset, cut short, TLS */
	XCHG_ETOOBIG,		/* the decoded body passed its cap */
	XCHG_ENOMEM,
	XCHG__MAX
};

/* One answer: what a caller needs of it. */
struct xchg_answer {
	long		 status;
	struct buf	 body;			/* decoded, capped; owned */
	char		 trace[XCHG_TRACE_MAX];	/* the service's request id */
	char		 retry_after[64];	/* raw Retry-After, or "" */
	int		 daily_limit;		/* X-RateLimit-Type: Daily-limit */
	int		 too_big;		/* the body passed its cap */
};

/* What to send. */
struct xchg_request {
	const char		*method;	/* "GET", "POST", "PATCH" */
	const char		*url;
	const struct curl_slist	*headers;	/* extra lines, may be NULL */
	const char		*body;		/* NULL for none */
	size_t			 body_len;
	const char		*trace_header;	/* e.g. "x-zm-trackingid" */
	int			 max_attempts;	/* 0: XCHG_MAX_ATTEMPTS */
	int			 zoom_kind;	/* 0: not counted; else 1 +
						   enum m_zoom_kind (metrics.h) */
};

struct exchange {
	CURL		*curl;
	char		 errbuf[CURL_ERROR_SIZE];	/* libcurl's words */
	unsigned int	 seed;				/* jitter */
	struct xchg_answer *answer;			/* being read */
	const char	*trace_header;			/* of the request */
};

/*
 * Where the CA certificates come from, decided once per process:
 * ca_file alone, ca_path alone, both, or neither (NULL): then the hashed
 * directory libcurl was built with (Debian: /etc/ssl/certs), read lazily,
 * one issuer at a time, or, where that directory is not hashed, the
 * built-in bundle, read once per thread and cached by libcurl.
 * allow_http: http:// too (loopback test stand-ins).
 * Call once, before any thread starts; 0, or -1 (out of memory).
 */
int		 xchg_global_init(const char *ca_file, const char *ca_path,
		     int allow_http);
void		 xchg_global_free(void);

/* 1 if dir holds OpenSSL's hashed names ("5ed36f99.0"), else 0. */
int		 xchg_is_hashed_dir(const char *dir);

/* Which CA source the process uses, for --check-config and the log. */
const char	*xchg_ca_summary(void);

/*
 * How many threads of the process may sleep before a retry at the same
 * time (default 1, right for CGI); beyond that, a failing call is not
 * retried, so retries never hold every worker thread.
 */
void		 xchg_set_retry_sleepers(int max);

int		 xchg_init(struct exchange *x);		/* 0 or -1 */
void		 xchg_free(struct exchange *x);

void		 xchg_answer_init(struct xchg_answer *a, size_t max_body);
void		 xchg_answer_reset(struct xchg_answer *a);
void		 xchg_answer_free(struct xchg_answer *a);

/*
 * Send rq until an answer that is not worth retrying, or the deadline
 * (now_ms() clock). *calls counts every attempt. The answer's fields
 * describe the last attempt. On XCHG_ECONNECT x->errbuf says what
 * happened, in libcurl's words (never a header or a body).
 */
enum xchg_err	 xchg_perform(struct exchange *x, const struct xchg_request *rq,
		     int64_t deadline, struct xchg_answer *a, int *calls);

/*
 * Retry-After as seconds from now: delay-seconds, an HTTP date, or the
 * ISO 8601 UTC time Zoom sends for daily limits. -1 when unparsable;
 * *is_date tells which form it was. A past date gives 0.
 */
long		 xchg_retry_after(const char *v, time_t now, int *is_date);

#endif
