/*
 * test_exchange.c - Retry-After parsing, and one exchange with retries
 * against a canned HTTP server on 127.0.0.1 run in a thread: statuses,
 * retries, caps (compressed bodies too), methods, a kept connection the
 * server closed without saying so.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_support.h"

#include "http_stub.h"
#include "util.h"
#include "exchange.h"

/* 2030-01-01T00:00:00Z */
#define T2030	((time_t)1893456000)

/* ---- Retry-After ---------------------------------------------------- */

static void
test_retry_seconds(void **state)
{
	int is_date = -1;

	(void)state;
	assert_int_equal(xchg_retry_after("120", T2030, &is_date), 120);
	assert_int_equal(is_date, 0);
	is_date = -1;
	assert_int_equal(xchg_retry_after("0", T2030, &is_date), 0);
	assert_int_equal(is_date, 0);
	assert_int_equal(xchg_retry_after("1", T2030, &is_date), 1);
	assert_int_equal(xchg_retry_after("604800", T2030, &is_date), 604800);
	assert_int_equal(is_date, 0);
	/* Larger delays are capped at 7 days like dates, not refused. */
	assert_int_equal(xchg_retry_after("604801", T2030, &is_date), 604800);
	assert_int_equal(is_date, 0);
	assert_int_equal(xchg_retry_after("86400000", T2030, &is_date), 604800);
	assert_int_equal(is_date, 0);
}

static void
test_retry_iso(void **state)
{
	int is_date = -1;

	(void)state;
	/* Zoom's daily limit form: an ISO 8601 UTC time. */
	assert_int_equal(xchg_retry_after("2030-01-01T00:00:00Z", T2030 - 60,
	    &is_date), 60);
	assert_int_equal(is_date, 1);
	assert_int_equal(xchg_retry_after("2030-01-01T00:00:00Z", T2030 - 3600,
	    &is_date), 3600);
	assert_int_equal(xchg_retry_after("2030-01-01T00:00:00.123Z",
	    T2030 - 60, &is_date), 60);
	assert_int_equal(xchg_retry_after("2030-01-01T01:00:00+01:00",
	    T2030 - 60, &is_date), 60);
	assert_int_equal(xchg_retry_after("2029-12-31T23:00:00-01:00",
	    T2030 - 60, &is_date), 60);
	assert_int_equal(xchg_retry_after("2030-01-01T00:00:00-01:00",
	    T2030 - 60, &is_date), 3660);
	assert_int_equal(xchg_retry_after("2030-03-01T12:34:56Z", T2030,
	    &is_date), 604800);	/* capped at 7 days */
	assert_int_equal(is_date, 1);
	assert_int_equal(xchg_retry_after("2030-01-07T23:59:59Z", T2030,
	    &is_date), 604799);
	/* Leap years: 2028-02-29 exists. */
	assert_int_equal(xchg_retry_after("2028-03-01T00:00:00Z",
	    (time_t)1835481600 - 10, &is_date), 10);	/* 2028-03-01 */
	assert_int_equal(xchg_retry_after("2028-02-29T23:59:50Z",
	    (time_t)1835481600 - 20, &is_date), 10);
}

static void
test_retry_http_date(void **state)
{
	int is_date = -1;

	(void)state;
	/* RFC 9110 5.6.7: IMF-fixdate, and the obsolete forms. */
	assert_int_equal(xchg_retry_after("Tue, 01 Jan 2030 00:00:00 GMT",
	    T2030 - 60, &is_date), 60);
	assert_int_equal(is_date, 1);
	assert_int_equal(xchg_retry_after("Tuesday, 01-Jan-30 00:00:00 GMT",
	    T2030 - 60, &is_date), 60);
	assert_int_equal(xchg_retry_after("Tue Jan  1 00:00:00 2030",
	    T2030 - 60, &is_date), 60);
	assert_int_equal(xchg_retry_after("Tue, 01 Jan 2030 00:00:00 GMT",
	    T2030 - 604800 * 2, &is_date), 604800);
}

static void
test_retry_past(void **state)
{
	int is_date = -1;

	(void)state;
	assert_int_equal(xchg_retry_after("2020-05-31T00:00:00Z", T2030,
	    &is_date), 0);
	assert_int_equal(is_date, 1);
	is_date = -1;
	assert_int_equal(xchg_retry_after("Sun, 31 May 2020 00:00:00 GMT",
	    T2030, &is_date), 0);
	assert_int_equal(is_date, 1);
	/* Now exactly, and one second ago. */
	assert_int_equal(xchg_retry_after("2030-01-01T00:00:00Z", T2030,
	    &is_date), 0);
	assert_int_equal(xchg_retry_after("2030-01-01T00:00:00Z", T2030 + 1,
	    &is_date), 0);
	assert_int_equal(xchg_retry_after("2030-01-01T00:00:00Z", T2030 - 1,
	    &is_date), 1);
}

static void
test_retry_junk(void **state)
{
	static const char *const junk[] = {
		"soon", "tomorrow", "-1", "+120", " 120", "120 ", "12abc",
		"1.5", "1e3", "0x10", "Mon", "GMT",
		"99999999999999999999",
		"2030-13-01T00:00:00Z", "2030-01-01T24:00:00Z",
		"2030-01-01T00:60:00Z", "2030-01-01T00:00:00",
		"2030-01-01T00:00:00Zjunk", "2030-01-01T00:00:00+0100",
		"2030-01-01T00:00:00+24:00", "2030-01-01 00:00:00",
		"2030-1-1T0:0:0Z", "\x01", "120\r\n",
	};
	size_t	i;
	int	is_date;

	(void)state;
	assert_int_equal(xchg_retry_after(NULL, T2030, &is_date), -1);
	assert_int_equal(is_date, 0);
	assert_int_equal(xchg_retry_after("", T2030, &is_date), -1);
	assert_int_equal(is_date, 0);
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		if (xchg_retry_after(junk[i], T2030, &is_date) != -1)
			fail_msg("\"%s\" accepted", junk[i]);
}


/* gzip of {"participants":[]} (19 bytes) */
static const char GZ_SMALL[] =
	"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xab\x56\x2a\x48\x2c\x2a"
	"\xc9\x4c\xce\x2c\x48\xcc\x2b\x29\x56\xb2\x8a\x8e\xad\x05\x00\xfa"
	"\xc1\x6a\x8b\x13\x00\x00\x00";

/* gzip of 200,000 spaces: 230 bytes that inflate past any small cap */
static const char GZ_BOMB[] =
	"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xed\xc1\x31\x01\x00\x00"
	"\x00\xc2\xa0\x2a\xeb\x9f\xd2\x0c\xfe\x40\x01\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xaf\x01\x31\x61"
	"\x62\x10\x40\x0d\x03\x00";

#define OK_EMPTY	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
#define ERR_500		"HTTP/1.1 500 Oops\r\nx-zm-trackingid: first\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
#define ERR_503		"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

/* Allow http:// or not, as the program does once at start-up. */
static void
set_allow_http(int allow_http)
{
	xchg_global_free();
	assert_int_equal(xchg_global_init(NULL, NULL, allow_http), 0);
}

/* One xchg_perform against s with a fresh handle; fills a and calls. */
static enum xchg_err
do_method(struct stub *s, int allow_http, const char *method,
    const char *body, size_t cap, int64_t budget_ms, struct xchg_answer *a,
    int *calls)
{
	struct exchange		 x;
	struct curl_slist	*hdrs = NULL;
	struct xchg_request	 rq = { method, NULL, NULL, body,
				    body ? strlen(body) : 0, "x-zm-trackingid", 0, 0 };
	char			 url[128];
	enum xchg_err		 rc;

	set_allow_http(allow_http);
	assert_int_equal(xchg_init(&x), 0);
	stub_url(s, "/v2/past_meetings/123456789/participants?page_size=300",
	    url, sizeof(url));
	hdrs = curl_slist_append(hdrs, "Authorization: Bearer test-token");
	rq.url = url;
	rq.headers = hdrs;
	xchg_answer_init(a, cap);
	*calls = 0;
	rc = xchg_perform(&x, &rq, now_ms() + budget_ms, a, calls);
	curl_slist_free_all(hdrs);
	xchg_free(&x);
	xchg_free(&x);		/* twice is harmless */
	set_allow_http(1);
	return rc;
}

static enum xchg_err
do_request(struct stub *s, int allow_http, const char *post, size_t cap,
    int64_t budget_ms, struct xchg_answer *a, int *calls)
{
	return do_method(s, allow_http, post ? "POST" : "GET", post, cap,
	    budget_ms, a, calls);
}

static void
test_http_ok(void **state)
{
	static const char *const answers[] = {
		"HTTP/1.1 200 OK\r\n"
		"Content-Type: application/json\r\n"
		"X-ZM-TRACKINGID:  v=2.0;clid=us06;rid=ABC \t\r\n"
		"Content-Length: 16\r\n"
		"Connection: close\r\n\r\n"
		"{\"participants\"}",
	};
	struct stub		s;
	struct xchg_answer	a;
	int			calls;

	(void)state;
	assert_int_equal(stub_start(&s, answers, 1), 0);
	assert_int_equal(do_request(&s, 1, NULL, 1024, 5000, &a, &calls),
	    XCHG_OK);
	stub_stop(&s);
	assert_int_equal(calls, 1);
	assert_int_equal(a.status, 200);
	assert_int_equal(a.body.len, 16);
	assert_string_equal(a.body.data, "{\"participants\"}");
	/* Header names are case-insensitive; blanks around are trimmed. */
	assert_string_equal(a.trace, "v=2.0;clid=us06;rid=ABC");
	assert_string_equal(a.retry_after, "");
	assert_false(a.daily_limit);
	assert_false(a.too_big);
	/* What went out: a GET with our header, the path as given. */
	assert_memory_equal(s.requests,
	    "GET /v2/past_meetings/123456789/participants?page_size=300 HTTP/1.1\r\n",
	    strlen("GET /v2/past_meetings/123456789/participants?page_size=300 HTTP/1.1\r\n"));
	assert_non_null(strstr(s.requests, "\r\nAuthorization: Bearer test-token\r\n"));
	assert_non_null(strcasestr(s.requests, "\r\nUser-Agent: zoom-attendees/"));
	xchg_answer_free(&a);
}

static void
test_http_header_sanitised(void **state)
{
	static const char *const answers[] = {
		"HTTP/1.1 404 Not Found\r\n"
		"x-zm-trackingid: a\x01" "b\x7f" "c\r\n"
		"Content-Length: 0\r\nConnection: close\r\n\r\n",
	};
	struct stub		s;
	struct xchg_answer	a;
	int			calls;

	(void)state;
	/* libcurl lets such a header through: we clean it. */
	assert_int_equal(stub_start(&s, answers, 1), 0);
	assert_int_equal(do_request(&s, 1, NULL, 1024, 5000, &a, &calls),
	    XCHG_OK);
	stub_stop(&s);
	assert_int_equal(a.status, 404);
	assert_int_equal(calls, 1);		/* 4xx: not retried */
	assert_string_equal(a.trace, "a?b?c");
	xchg_answer_free(&a);
}

static void
test_http_tracking_truncated(void **state)
{
	static char		 answer[1024];
	const char		*answers[] = { answer };
	struct stub		 s;
	struct xchg_answer	 a;
	char			 longid[300];
	int			 calls;

	(void)state;
	memset(longid, 'T', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	snprintf(answer, sizeof(answer), "HTTP/1.1 200 OK\r\nx-zm-trackingid: %s\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n", longid);
	assert_int_equal(stub_start(&s, answers, 1), 0);
	assert_int_equal(do_request(&s, 1, NULL, 1024, 5000, &a, &calls),
	    XCHG_OK);
	stub_stop(&s);
	assert_int_equal(strlen(a.trace), XCHG_TRACE_MAX - 1);
	xchg_answer_free(&a);
}

static void
test_http_retry_5xx(void **state)
{
	static const char *const answers[] = { ERR_500, OK_EMPTY };
	struct stub		s;
	struct xchg_answer	a;
	int			calls;

	(void)state;
	assert_int_equal(stub_start(&s, answers, 2), 0);
	assert_int_equal(do_request(&s, 1, NULL, 1024, 5000, &a, &calls),
	    XCHG_OK);
	stub_stop(&s);
	assert_int_equal(calls, 2);
	assert_int_equal(s.served, 2);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.body.data, "{}");
	/* The answer describes the last attempt only. */
	assert_string_equal(a.trace, "");
	xchg_answer_free(&a);
}

static void
test_http_retry_gives_up(void **state)
{
	static const char *const answers[] = { ERR_503, ERR_503, ERR_503,
	    ERR_503, OK_EMPTY };
	struct stub		s;
	struct xchg_answer	a;
	int			calls;

	(void)state;
	assert_int_equal(stub_start(&s, answers, 5), 0);
	assert_int_equal(do_request(&s, 1, NULL, 1024, 10000, &a, &calls),
	    XCHG_OK);
	stub_stop(&s);
	assert_int_equal(calls, XCHG_MAX_ATTEMPTS);
	assert_int_equal(s.served, XCHG_MAX_ATTEMPTS);
	assert_int_equal(a.status, 503);
	xchg_answer_free(&a);
}

struct retry_worker {
	struct stub	*s;
	int		 calls;
	long		 status;
};

/* A thread's request against the stub (no cmocka asserts off the main thread). */
static void *
retry_worker_main(void *arg)
{
	struct retry_worker	*rw = arg;
	struct exchange		 x;
	struct xchg_answer	 a;
	char			 url[128];
	struct xchg_request	 rq = { "GET", url, NULL, NULL, 0, NULL, 0, 0 };

	if (xchg_init(&x) < 0)
		return NULL;
	stub_url(rw->s, "/x", url, sizeof(url));
	xchg_answer_init(&a, 1024);
	(void)xchg_perform(&x, &rq, now_ms() + 10000, &a, &rw->calls);
	rw->status = a.status;
	xchg_answer_free(&a);
	xchg_free(&x);
	return NULL;
}

static void
test_http_retry_sleepers_bounded(void **state)
{
	static const char *const answers[] = { ERR_503, ERR_503, ERR_503,
	    ERR_503, ERR_503, ERR_503, ERR_503, ERR_503 };
	struct stub		s;
	struct retry_worker	rw[2];
	pthread_t		t[2];
	int			i;

	(void)state;
	/* One sleeper allowed: while one request waits to retry, the other
	 * gives up at its first failure instead of waiting too. */
	xchg_set_retry_sleepers(1);
	assert_int_equal(stub_start(&s, answers, 8), 0);
	memset(rw, 0, sizeof(rw));
	for (i = 0; i < 2; i++) {
		rw[i].s = &s;
		assert_int_equal(pthread_create(&t[i], NULL, retry_worker_main,
		    &rw[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	stub_stop(&s);
	assert_int_equal(rw[0].status, 503);
	assert_int_equal(rw[1].status, 503);
	assert_int_equal(rw[0].calls + rw[1].calls, XCHG_MAX_ATTEMPTS + 1);
	assert_true(rw[0].calls == 1 || rw[1].calls == 1);
}

static void
test_http_429(void **state)
{
	static const char *const per_second[] = {
		"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\n"
		"X-RateLimit-Type: QPS\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		OK_EMPTY,
	};
	static const char *const daily[] = {
		"HTTP/1.1 429 Too Many Requests\r\nretry-after:  2030-01-01T00:00:00Z \r\n"
		"x-ratelimit-type: Daily-limit\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		OK_EMPTY,
	};
	static const char *const daily_short[] = {
		"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\n"
		"X-RateLimit-Type: Daily-limit\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		OK_EMPTY,
	};
	static const char *const dated[] = {
		"HTTP/1.1 429 Too Many Requests\r\nRetry-After: Tue, 01 Jan 2030 00:00:00 GMT\r\n"
		"Content-Length: 0\r\nConnection: close\r\n\r\n",
		OK_EMPTY,
	};
	struct stub		s;
	struct xchg_answer	a;
	int			calls;

	(void)state;
	/* Per-second limit with Retry-After 0: retried. */
	assert_int_equal(stub_start(&s, per_second, 2), 0);
	assert_int_equal(do_request(&s, 1, NULL, 1024, 5000, &a, &calls),
	    XCHG_OK);
	stub_stop(&s);
	assert_int_equal(calls, 2);
	assert_int_equal(a.status, 200);
	xchg_answer_free(&a);

	/* Daily limit: handed back at once. */
	assert_int_equal(stub_start(&s, daily, 2), 0);
	assert_int_equal(do_request(&s, 1, NULL, 1024, 5000, &a, &calls),
	    XCHG_OK);
	stub_stop(&s);
	assert_int_equal(calls, 1);
	assert_int_equal(s.served, 1);
	assert_int_equal(a.status, 429);
	assert_true(a.daily_limit);
	assert_string_equal(a.retry_after, "2030-01-01T00:00:00Z");
	xchg_answer_free(&a);

	/* The header alone decides, whatever Retry-After says. */
	assert_int_equal(stub_start(&s, daily_short, 2), 0);
	assert_int_equal(do_request(&s, 1, NULL, 1024, 5000, &a, &calls),
	    XCHG_OK);
	stub_stop(&s);
	assert_int_equal(calls, 1);
	assert_int_equal(a.status, 429);
	assert_true(a.daily_limit);
	xchg_answer_free(&a);

	/* A date in Retry-After also means a daily limit. */
	assert_int_equal(stub_start(&s, dated, 2), 0);
	assert_int_equal(do_request(&s, 1, NULL, 1024, 5000, &a, &calls),
	    XCHG_OK);
	stub_stop(&s);
	assert_int_equal(calls, 1);
	assert_int_equal(a.status, 429);
	assert_false(a.daily_limit);
	xchg_answer_free(&a);
}

static void
test_http_too_big(void **state)
{
	static const char *const answers[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 40\r\nConnection: close\r\n\r\n"
		"0123456789012345678901234567890123456789",
	};
	struct stub		s;
	struct xchg_answer	a;
	int			calls;

	(void)state;
	assert_int_equal(stub_start(&s, answers, 1), 0);
	assert_int_equal(do_request(&s, 1, NULL, 10, 5000, &a, &calls),
	    XCHG_ETOOBIG);
	stub_stop(&s);
	assert_true(a.too_big);
	assert_true(a.body.len <= 10);
	assert_int_equal(calls, 1);
	xchg_answer_free(&a);
}

static void
test_http_post(void **state)
{
	static const char *const answers[] = { OK_EMPTY };
	struct stub		s;
	struct xchg_answer	a;
	int			calls;

	(void)state;
	assert_int_equal(stub_start(&s, answers, 1), 0);
	assert_int_equal(do_request(&s, 1, "grant_type=account_credentials&account_id=x",
	    1024, 5000, &a, &calls), XCHG_OK);
	stub_stop(&s);
	assert_memory_equal(s.requests, "POST ", 5);
	assert_non_null(strstr(s.requests,
	    "\r\n\r\ngrant_type=account_credentials&account_id=x"));
	assert_non_null(strcasestr(s.requests,
	    "Content-Type: application/x-www-form-urlencoded"));
	xchg_answer_free(&a);
}

static void
test_http_no_redirect(void **state)
{
	static const char *const answers[] = {
		"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n"
		"Connection: close\r\n\r\n",
		OK_EMPTY,
	};
	struct stub		s;
	struct xchg_answer	a;
	int			calls;

	(void)state;
	assert_int_equal(stub_start(&s, answers, 2), 0);
	assert_int_equal(do_request(&s, 1, NULL, 1024, 5000, &a, &calls),
	    XCHG_OK);
	stub_stop(&s);
	assert_int_equal(a.status, 302);
	assert_int_equal(s.served, 1);
	xchg_answer_free(&a);
}

static void
test_http_only_https(void **state)
{
	static const char *const answers[] = { OK_EMPTY };
	struct stub		s;
	struct xchg_answer	a;
	int			calls;

	(void)state;
	/* Without allow_http an http:// URL is never fetched. */
	assert_int_equal(stub_start(&s, answers, 1), 0);
	assert_int_equal(do_request(&s, 0, NULL, 1024, 5000, &a, &calls),
	    XCHG_ECONNECT);
	stub_stop(&s);
	assert_int_equal(s.served, 0);
	assert_int_equal(calls, 1);
	xchg_answer_free(&a);
}

static void
test_http_deadline_passed(void **state)
{
	static const char *const answers[] = { OK_EMPTY };
	struct stub		s;
	struct xchg_answer	a;
	int			calls;

	(void)state;
	assert_int_equal(stub_start(&s, answers, 1), 0);
	assert_int_equal(do_request(&s, 1, NULL, 1024, -1, &a, &calls),
	    XCHG_ETIMEOUT);
	stub_stop(&s);
	assert_int_equal(calls, 0);
	assert_int_equal(s.served, 0);
	xchg_answer_free(&a);
}

static void
test_http_hang_times_out(void **state)
{
	static const char *const answers[] = { STUB_HANG };
	struct stub		s;
	struct xchg_answer	a;
	int			calls;
	int64_t			t0 = now_ms();

	(void)state;
	assert_int_equal(stub_start(&s, answers, 1), 0);
	assert_int_equal(do_request(&s, 1, NULL, 1024, 300, &a, &calls),
	    XCHG_ETIMEOUT);
	stub_stop(&s);
	assert_int_equal(calls, 1);
	assert_true(now_ms() - t0 < 4000);
	xchg_answer_free(&a);
}

static void
test_http_refused(void **state)
{
	struct stub		s;
	struct xchg_answer	a;
	int			calls;

	(void)state;
	/* A port with nobody listening: retried, then ECONNECT. */
	assert_int_equal(stub_start(&s, NULL, 0), 0);
	stub_stop(&s);
	assert_int_equal(do_request(&s, 1, NULL, 1024, 10000, &a, &calls),
	    XCHG_ECONNECT);
	assert_int_equal(calls, XCHG_MAX_ATTEMPTS);
	xchg_answer_free(&a);
}

/* A gzip body after its head, in buf; returns the answer's length. */
static size_t
gzip_answer(char *buf, size_t len, const char *gz, size_t gzlen)
{
	int n = snprintf(buf, len, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", gzlen);

	assert_true(n > 0 && (size_t)n + gzlen <= len);
	memcpy(buf + n, gz, gzlen);
	return (size_t)n + gzlen;
}

static void
test_http_compressed(void **state)
{
	static char		 answer[512];
	const char		*answers[] = { answer };
	size_t			 lens[1];
	struct stub		 s;
	struct xchg_answer	 a;
	int			 calls;

	(void)state;
	lens[0] = gzip_answer(answer, sizeof(answer), GZ_SMALL,
	    sizeof(GZ_SMALL) - 1);
	assert_int_equal(stub_start_bin(&s, answers, lens, 1), 0);
	assert_int_equal(do_request(&s, 1, NULL, 1024, 5000, &a, &calls),
	    XCHG_OK);
	stub_stop(&s);
	/* We asked for it, and the body is handed over decoded. */
	assert_non_null(strcasestr(s.requests, "\r\nAccept-Encoding: "));
	assert_non_null(strstr(strcasestr(s.requests, "\r\nAccept-Encoding: "),
	    "gzip"));
	assert_int_equal(a.status, 200);
	assert_string_equal(a.body.data, "{\"participants\":[]}");
	xchg_answer_free(&a);
}

static void
test_http_compression_bomb(void **state)
{
	static char		 answer[1024];
	const char		*answers[] = { answer };
	size_t			 lens[1];
	struct stub		 s;
	struct xchg_answer	 a;
	int			 calls;

	(void)state;
	/* A few hundred bytes on the wire, 200,000 decoded: the cap counts
	 * decoded bytes, so it is refused like a large answer. */
	lens[0] = gzip_answer(answer, sizeof(answer), GZ_BOMB, sizeof(GZ_BOMB) - 1);
	assert_true(lens[0] < 1024);
	assert_int_equal(stub_start_bin(&s, answers, lens, 1), 0);
	assert_int_equal(do_request(&s, 1, NULL, 65536, 5000, &a, &calls),
	    XCHG_ETOOBIG);
	stub_stop(&s);
	assert_true(a.too_big);
	assert_true(a.body.len <= 65536);
	assert_int_equal(calls, 1);
	xchg_answer_free(&a);
}

static void
test_http_chunked(void **state)
{
	static const char *const answers[] = {
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		"Connection: close\r\n\r\n"
		"5\r\n{\"par\r\n"
		"e\r\nticipants\":[]}\r\n"
		"0\r\n\r\n",
	};
	struct stub		s;
	struct xchg_answer	a;
	int			calls;

	(void)state;
	assert_int_equal(stub_start(&s, answers, 1), 0);
	assert_int_equal(do_request(&s, 1, NULL, 1024, 5000, &a, &calls),
	    XCHG_OK);
	stub_stop(&s);
	assert_string_equal(a.body.data, "{\"participants\":[]}");
	xchg_answer_free(&a);
}

static void
test_http_patch(void **state)
{
	static const char *const answers[] = { OK_EMPTY };
	struct stub		s;
	struct xchg_answer	a;
	int			calls;

	(void)state;
	assert_int_equal(stub_start(&s, answers, 1), 0);
	assert_int_equal(do_method(&s, 1, "PATCH", "{\"a\":1}", 1024, 5000,
	    &a, &calls), XCHG_OK);
	stub_stop(&s);
	assert_memory_equal(s.requests, "PATCH /", 7);
	assert_non_null(strstr(s.requests, "\r\n\r\n{\"a\":1}"));
	xchg_answer_free(&a);
}

static void
test_http_kept_connection_dropped(void **state)
{
	/* Keep-alive answers; the stub closes after each all the same. */
	static const char *const answers[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n[1]",
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n[2]",
	};
	struct stub		 s;
	struct exchange		 x;
	struct xchg_answer	 a;
	char			 url[128];
	struct xchg_request	 rq = { "GET", url, NULL, NULL, 0, NULL, 0, 0 };
	int			 calls = 0;

	(void)state;
	assert_int_equal(stub_start(&s, answers, 2), 0);
	stub_url(&s, "/x", url, sizeof(url));
	assert_int_equal(xchg_init(&x), 0);
	xchg_answer_init(&a, 1024);
	assert_int_equal(xchg_perform(&x, &rq, now_ms() + 5000, &a, &calls),
	    XCHG_OK);
	assert_string_equal(a.body.data, "[1]");
	/* The server closed the kept connection while it idled: the next
	 * request goes out again on a new one, with no error. */
	usleep(50 * 1000);
	assert_int_equal(xchg_perform(&x, &rq, now_ms() + 5000, &a, &calls),
	    XCHG_OK);
	assert_string_equal(a.body.data, "[2]");
	stub_stop(&s);
	assert_int_equal(s.served, 2);
	xchg_answer_free(&a);
	xchg_free(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_seconds),
		cmocka_unit_test(test_retry_iso),
		cmocka_unit_test(test_retry_http_date),
		cmocka_unit_test(test_retry_past),
		cmocka_unit_test(test_retry_junk),
		cmocka_unit_test(test_http_ok),
		cmocka_unit_test(test_http_header_sanitised),
		cmocka_unit_test(test_http_tracking_truncated),
		cmocka_unit_test(test_http_retry_5xx),
		cmocka_unit_test(test_http_retry_gives_up),
		cmocka_unit_test(test_http_retry_sleepers_bounded),
		cmocka_unit_test(test_http_429),
		cmocka_unit_test(test_http_too_big),
		cmocka_unit_test(test_http_post),
		cmocka_unit_test(test_http_no_redirect),
		cmocka_unit_test(test_http_only_https),
		cmocka_unit_test(test_http_deadline_passed),
		cmocka_unit_test(test_http_hang_times_out),
		cmocka_unit_test(test_http_refused),
		cmocka_unit_test(test_http_compressed),
		cmocka_unit_test(test_http_compression_bomb),
		cmocka_unit_test(test_http_chunked),
		cmocka_unit_test(test_http_patch),
		cmocka_unit_test(test_http_kept_connection_dropped),
	};

	return cmocka_run_group_tests(tests, curl_group_setup,
	    curl_group_teardown);
}
