/* zoom_http.c - libcurl exchange with retries; see zoom_http.h. */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "zoom_http.h"

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_answer	*a = userp;
	size_t			 n = size * nmemb;

	if (buf_add(&a->body, data, n) != BUF_OK) {
		a->too_big = 1;
		return 0;	/* aborts the transfer: CURLE_WRITE_ERROR */
	}
	return n;
}

/* libcurl hands over whole lines, the status line included. */
static size_t
on_header(char *line, size_t size, size_t nmemb, void *userp)
{
	struct http_answer	*a = userp;
	size_t			 n = size * nmemb;
	const char		*colon;

	if (n >= 5 && memcmp(line, "HTTP/", 5) == 0)
		http_answer_clear_headers(a);	/* a new answer (after 1xx) */
	else if ((colon = memchr(line, ':', n)) != NULL)
		http_answer_header(a, line, (size_t)(colon - line), colon + 1,
		    n - (size_t)(colon + 1 - line));
	return n;
}

int
zhttp_init(struct zoom_http *h, int allow_http)
{
	memset(h, 0, sizeof(*h));
	http_conn_init(&h->conn, allow_http, h->errbuf);
	if ((h->curl = curl_easy_init()) == NULL)
		return -1;
	h->seed = (unsigned int)(now_ms() ^ (int64_t)getpid() ^
	    (int64_t)(uintptr_t)h);
	/* Options that never change are set once, not per request. */
	if (http_curl_setup(h->curl, allow_http, h->errbuf) != CURLE_OK ||
	    curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK) {
		zhttp_free(h);
		return -1;
	}
	return 0;
}

void
zhttp_free(struct zoom_http *h)
{
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
	http_conn_free(&h->conn);
}

void
zhttp_answer_init(struct http_answer *a, size_t max_body)
{
	memset(a, 0, sizeof(*a));
	buf_init(&a->body, max_body);
}

void
zhttp_answer_free(struct http_answer *a)
{
	buf_free(&a->body);
}

static int
is_transient_curl(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/*
 * Threads of this process waiting to retry, and how many may. A thread
 * that sleeps before a retry serves nobody else meanwhile: when Zoom fails
 * for some meetings, their retries must not take every thread from the
 * requests that would succeed. Past the limit a request gives up at once.
 */
static int	retry_sleepers;
static int	retry_sleepers_max = 1;

void
zhttp_set_retry_sleepers(int max)
{
	retry_sleepers_max = max > 0 ? max : 1;
}

/*
 * Sleep ms milliseconds before a retry, unless that would pass the
 * deadline or too many threads already wait to retry. 0 when slept.
 */
static int
sleep_within(int64_t ms, int64_t deadline)
{
	struct timespec ts;

	if (now_ms() + ms >= deadline)
		return -1;
	if (__atomic_add_fetch(&retry_sleepers, 1, __ATOMIC_ACQ_REL) >
	    retry_sleepers_max) {
		__atomic_sub_fetch(&retry_sleepers, 1, __ATOMIC_ACQ_REL);
		return -1;
	}
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
	__atomic_sub_fetch(&retry_sleepers, 1, __ATOMIC_ACQ_REL);
	return 0;
}

/* Backoff before retry n (1, 2, ...): half to all of BACKOFF * 2^(n-1). */
static int64_t
backoff_ms(struct zoom_http *h, int n)
{
	int64_t full = (int64_t)ZHTTP_BACKOFF_MS << (n - 1);

	return full / 2 + (int64_t)(rand_r(&h->seed) % (int)(full / 2 + 1));
}

/* One POST through curl_easy_perform (rare: the token). */
static CURLcode
post_once(struct zoom_http *h, const char *url, struct curl_slist *headers,
    const char *post_body, int64_t left, struct http_answer *a)
{
	CURLcode cc;

	http_answer_reset(a);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, post_body);
	http_curl_budget(h->curl, left);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, a);
	if ((cc = curl_easy_perform(h->curl)) == CURLE_OK)
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &a->status);
	return cc;
}

enum zhttp_err
zhttp_request(struct zoom_http *h, const char *url, struct curl_slist *headers,
    const char *post_body, int64_t deadline, struct http_answer *a, int *calls)
{
	CURLcode	cc;
	int64_t		left, wait;
	long		ra;
	int		attempt, is_date;

	for (attempt = 1; ; attempt++) {
		if ((left = deadline - now_ms()) <= 0)
			return ZHTTP_ETIMEOUT;
		h->errbuf[0] = '\0';
		(*calls)++;
		if (post_body != NULL)
			cc = post_once(h, url, headers, post_body, left, a);
		else {
			cc = http_conn_get(&h->conn, url, headers, deadline, a);
			*calls += h->conn.resent;	/* Zoom may count both */
		}

		if (cc == CURLE_WRITE_ERROR && a->too_big)
			return ZHTTP_ETOOBIG;
		if (cc == CURLE_OPERATION_TIMEDOUT)
			return ZHTTP_ETIMEOUT;
		if (cc == CURLE_OUT_OF_MEMORY)
			return ZHTTP_ENOMEM;
		if (cc != CURLE_OK && !is_transient_curl(cc))
			return ZHTTP_ECONNECT;

		/* Decide whether this answer is worth another try. */
		wait = -1;
		if (cc != CURLE_OK || (a->status >= 500 && a->status <= 599))
			wait = backoff_ms(h, attempt);
		else if (a->status == 429 && !a->daily_limit) {
			ra = zhttp_retry_after(a->retry_after, time(NULL),
			    &is_date);
			if (ra < 0)	/* absent or junk: Zoom's QPS window */
				wait = 1000 / 2 + backoff_ms(h, attempt);
			else if (!is_date)
				wait = ra * 1000 + backoff_ms(h, 1) / 2;
			/* a date means a daily limit: no retry */
		}
		if (wait < 0 || attempt >= ZHTTP_MAX_ATTEMPTS ||
		    sleep_within(wait, deadline) < 0)
			return cc == CURLE_OK ? ZHTTP_OK : ZHTTP_ECONNECT;
	}
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), no time zone games. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* "2020-05-31T00:00:00Z" (fraction and numeric offset allowed). */
static int
parse_iso8601(const char *v, time_t *out)
{
	int	 y, mo, d, hh, mm, ss, n = 0, sign, oh, om;
	int64_t	 t;
	const char *p;

	if (sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &hh, &mm, &ss,
	    &n) != 6 || n != 19)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 ||
	    ss > 60 || y < 1970 || hh < 0 || mm < 0 || ss < 0)
		return -1;
	p = v + n;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    hh * 3600 + mm * 60 + ss;
	if (*p == 'Z' && p[1] == '\0') {
		*out = (time_t)t;
		return 0;
	}
	if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d%n", &oh, &om,
	    &n) == 2 && p[1 + n] == '\0' && oh < 24 && om < 60) {
		sign = *p == '+' ? 1 : -1;
		*out = (time_t)(t - sign * (oh * 3600 + om * 60));
		return 0;
	}
	return -1;
}

long
zhttp_retry_after(const char *v, time_t now, int *is_date)
{
	long long	 secs;
	time_t		 when;

	*is_date = 0;
	if (v == NULL || *v == '\0')
		return -1;
	/* RFC 9110 10.2.3 delay-seconds: any size; capped like a date. */
	if (parse_int(v, 0, LLONG_MAX, &secs) == 0)
		return secs > 7 * 86400 ? 7 * 86400 : (long)secs;
	*is_date = 1;
	if (parse_iso8601(v, &when) < 0 && (when = curl_getdate(v, NULL)) < 0)
		return -1;
	if (when <= now)
		return 0;
	if (when - now > 7 * 86400)
		return 7 * 86400;
	return (long)(when - now);
}
