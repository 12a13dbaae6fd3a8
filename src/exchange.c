/* exchange.c - one libcurl exchange with retries; see exchange.h. */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exchange.h"
#include "metrics.h"
#include "util.h"

/* ---- process-wide: shared caches and the CA source ------------------- */

static CURLSH		*share;
static pthread_mutex_t	 share_locks[CURL_LOCK_DATA_LAST];
static int		 allow_http_urls;
static char		*ca_file;	/* NULL: none given */
static char		*ca_path;	/* NULL: no directory lookup */
static int		 ca_chosen;	/* xchg_global_init decided */
static char		 ca_summary[160];

static void
share_lock(CURL *k, curl_lock_data d, curl_lock_access a, void *u)
{
	(void)k;
	(void)a;
	(void)u;
	pthread_mutex_lock(&share_locks[d]);
}

static void
share_unlock(CURL *k, curl_lock_data d, void *u)
{
	(void)k;
	(void)u;
	pthread_mutex_unlock(&share_locks[d]);
}

/*
 * Does dir hold OpenSSL's hashed names ("5ed36f99.0"), so that a lookup
 * there finds an issuer? A directory without them would verify nothing.
 */
int
xchg_is_hashed_dir(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 i;
	int		 found = 0;

	if (dir == NULL || (d = opendir(dir)) == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		for (i = 0; i < 8 && isxdigit((unsigned char)e->d_name[i]); i++)
			;
		found = i == 8 && e->d_name[8] == '.' &&
		    isdigit((unsigned char)e->d_name[9]);
	}
	closedir(d);
	return found;
}

/*
 * Reading a CA bundle of 145 certificates costs about 28 ms of CPU, and
 * libcurl reads it again for every new connection when both a bundle and
 * a directory are set (Debian's build sets both). A hashed directory alone
 * costs only the issuer it needs (about 0.5 ms a handshake, measured); a
 * bundle alone is read once per handle and kept by libcurl's CA cache
 * (CURLOPT_CA_CACHE_TIMEOUT, 24 h). So never both unless asked for both.
 */
static int
choose_ca(const char *file, const char *path)
{
	CURL		*k;
	char		*builtin = NULL;

	if (file != NULL && (ca_file = strdup(file)) == NULL)
		return -1;
	if (path != NULL && (ca_path = strdup(path)) == NULL)
		return -1;
	if (file != NULL || path != NULL) {
		snprintf(ca_summary, sizeof(ca_summary), "%s%s%s",
		    file ? "ZOOM_CA_FILE (read once per thread)" : "",
		    file && path ? " and " : "",
		    path ? "ZOOM_CA_PATH (hashed directory)" : "");
		return 0;
	}
	/*
	 * libcurl's built-in directory when it is hashed, else its built-in
	 * bundle: either way the one source every handle is then given.
	 */
	if ((k = curl_easy_init()) == NULL)
		return -1;
	(void)curl_easy_getinfo(k, CURLINFO_CAPATH, &builtin);
	if (xchg_is_hashed_dir(builtin)) {
		ca_path = strdup(builtin);
		snprintf(ca_summary, sizeof(ca_summary),
		    "system hashed directory %.120s", builtin);
	} else {
		builtin = NULL;
		(void)curl_easy_getinfo(k, CURLINFO_CAINFO, &builtin);
		ca_file = builtin != NULL ? strdup(builtin) : NULL;
		snprintf(ca_summary, sizeof(ca_summary),
		    "system bundle %.120s (read once per thread)",
		    builtin != NULL ? builtin : "(none built in)");
	}
	curl_easy_cleanup(k);
	return builtin != NULL && ca_file == NULL && ca_path == NULL ? -1 : 0;
}

int
xchg_global_init(const char *file, const char *path, int allow_http)
{
	int i;

	allow_http_urls = allow_http;
	if (choose_ca(file, path) < 0)
		return -1;
	ca_chosen = 1;
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&share_locks[i], NULL);
	if ((share = curl_share_init()) == NULL ||
	    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
	    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
	    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
	    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) !=
	    CURLSHE_OK)
		return -1;
	return 0;
}

void
xchg_global_free(void)
{
	int i;

	if (share != NULL) {
		curl_share_cleanup(share);
		share = NULL;
		for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
			pthread_mutex_destroy(&share_locks[i]);
	}
	free(ca_file);
	free(ca_path);
	ca_file = ca_path = NULL;
	ca_chosen = 0;
	ca_summary[0] = '\0';
}

const char *
xchg_ca_summary(void)
{
	return ca_summary[0] ? ca_summary : "libcurl's defaults";
}

/* ---- the answer -------------------------------------------------------- */

void
xchg_answer_init(struct xchg_answer *a, size_t max_body)
{
	memset(a, 0, sizeof(*a));
	buf_init(&a->body, max_body);
}

static void
clear_headers(struct xchg_answer *a)
{
	a->trace[0] = a->retry_after[0] = '\0';
	a->daily_limit = 0;
}

void
xchg_answer_reset(struct xchg_answer *a)
{
	a->status = 0;
	a->too_big = 0;
	buf_reset(&a->body);
	clear_headers(a);
}

void
xchg_answer_free(struct xchg_answer *a)
{
	buf_free(&a->body);
}

/* Copy a header value without CR/LF and surrounding blanks. */
static void
copy_value(char *dst, size_t dstlen, const char *v, size_t n)
{
	size_t i, j = 0;

	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' ||
	    v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	for (i = 0; i < n && j + 1 < dstlen; i++)
		dst[j++] = (v[i] >= 0x20 && v[i] < 0x7f) ? v[i] : '?';
	dst[j] = '\0';
}

static int
name_is(const char *name, size_t len, const char *want)
{
	return want != NULL && strlen(want) == len &&
	    ascii_ncaseeq(name, want, len);
}

/* Note one header line of an answer if it is one we read. */
static void
answer_header(struct xchg_answer *a, const char *trace_header,
    const char *line, size_t len)
{
	const char	*colon, *value;
	size_t		 namelen, valuelen;
	char		 type[32];

	/* A status line starts a new answer (after a 1xx, or a retry). */
	if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		clear_headers(a);
		return;
	}
	if ((colon = memchr(line, ':', len)) == NULL)
		return;
	namelen = (size_t)(colon - line);
	value = colon + 1;
	valuelen = len - namelen - 1;
	if (name_is(line, namelen, trace_header))
		copy_value(a->trace, sizeof(a->trace), value, valuelen);
	else if (name_is(line, namelen, "retry-after"))
		copy_value(a->retry_after, sizeof(a->retry_after), value,
		    valuelen);
	else if (name_is(line, namelen, "x-ratelimit-type")) {
		copy_value(type, sizeof(type), value, valuelen);
		a->daily_limit = ascii_ncaseeq(type, "daily-limit", 12);
	}
}

/* ---- libcurl callbacks ------------------------------------------------- */

/*
 * The body as libcurl decoded it (gzip, deflate, br): the cap counts
 * decoded bytes, so a small compressed answer that inflates past it is
 * refused like a large one. Returning less than n aborts the transfer.
 */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct exchange	*x = userp;
	size_t		 n = size * nmemb;

	if (buf_add(&x->answer->body, data, n) != BUF_OK) {
		x->answer->too_big = 1;
		return 0;	/* CURLE_WRITE_ERROR */
	}
	return n;
}

/* libcurl hands over whole lines, status lines included, for 1.1 and 2. */
static size_t
on_header(char *line, size_t size, size_t nmemb, void *userp)
{
	struct exchange	*x = userp;
	size_t		 n = size * nmemb;

	answer_header(x->answer, x->trace_header, line, n);
	return n;
}

/* ---- one handle ---------------------------------------------------------- */

int
xchg_init(struct exchange *x)
{
	CURL *k;

	memset(x, 0, sizeof(*x));
	if ((x->curl = k = curl_easy_init()) == NULL)
		return -1;
	x->seed = (unsigned int)(now_ms() ^ (int64_t)getpid() ^
	    (int64_t)(uintptr_t)x);
	/*
	 * Options that never change are set once. HTTP/2 where the server
	 * offers it over TLS (ALPN), else 1.1: measured against an HTTP/2
	 * stand-in, libcurl 7.88 does not resume TLS sessions over HTTP/2
	 * (a new connection 0.9 ms of CPU, against 0.5 ms resumed over 1.1),
	 * which is no reason to pin 1.1: both are far under what a request
	 * costs a user, and HTTP/2 keeps the ~1 KB bearer line out of every
	 * page request on a kept connection. Compressed answers when the
	 * server has them (every encoding libcurl was built with).
	 */
	if (curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(k, CURLOPT_ERRORBUFFER, x->errbuf) != CURLE_OK ||
	    curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR,
	    allow_http_urls ? "http,https" : "https") != CURLE_OK ||
	    curl_easy_setopt(k, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(k, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_2TLS) != CURLE_OK ||
	    curl_easy_setopt(k, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK ||
	    curl_easy_setopt(k, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK ||
	    curl_easy_setopt(k, CURLOPT_USERAGENT, XCHG_USER_AGENT) != CURLE_OK ||
	    curl_easy_setopt(k, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(k, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(k, CURLOPT_WRITEDATA, x) != CURLE_OK ||
	    curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
	    curl_easy_setopt(k, CURLOPT_HEADERDATA, x) != CURLE_OK)
		goto fail;
	if (share != NULL &&
	    curl_easy_setopt(k, CURLOPT_SHARE, share) != CURLE_OK)
		goto fail;
	/*
	 * Exactly the sources choose_ca() chose (a bundle alone is cached, a
	 * directory is lazy). Without xchg_global_init (unit tests),
	 * libcurl's defaults.
	 */
	if (ca_chosen &&
	    (curl_easy_setopt(k, CURLOPT_CAINFO, ca_file) != CURLE_OK ||
	    curl_easy_setopt(k, CURLOPT_CAPATH, ca_path) != CURLE_OK))
		goto fail;
	return 0;
fail:
	xchg_free(x);
	return -1;
}

void
xchg_free(struct exchange *x)
{
	if (x->curl != NULL)
		curl_easy_cleanup(x->curl);
	x->curl = NULL;
}

/* ---- retries ---------------------------------------------------------- */

static int
is_transient(CURLcode cc)
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
 * that sleeps before a retry serves nobody else meanwhile: when an
 * upstream fails for some requests, their retries must not take every
 * thread from the requests that would succeed. Past the limit a request
 * gives up at once.
 */
static int	retry_sleepers;
static int	retry_sleepers_max = 1;

void
xchg_set_retry_sleepers(int max)
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
backoff_ms(struct exchange *x, int n)
{
	int64_t full = (int64_t)XCHG_BACKOFF_MS << (n - 1);

	return full / 2 + (int64_t)(rand_r(&x->seed) % (int)(full / 2 + 1));
}

/* How long to wait before trying this answer again; -1: do not. */
static int64_t
retry_wait(struct exchange *x, CURLcode cc, const struct xchg_answer *a,
    int attempt)
{
	long	ra;
	int	is_date;

	if (cc != CURLE_OK || (a->status >= 500 && a->status <= 599))
		return backoff_ms(x, attempt);
	if (a->status != 429 || a->daily_limit)
		return -1;
	ra = xchg_retry_after(a->retry_after, time(NULL), &is_date);
	if (ra < 0)		/* absent or junk: a per-second window */
		return 1000 / 2 + backoff_ms(x, attempt);
	if (is_date)		/* a date means a daily limit: no retry */
		return -1;
	return ra * 1000 + backoff_ms(x, 1) / 2;
}

/* One attempt. The options that change per request, then perform. */
static CURLcode
perform_once(struct exchange *x, const struct xchg_request *rq,
    int64_t left, struct xchg_answer *a)
{
	CURL		*k = x->curl;
	CURLcode	 cc;
	int		 is_get = strcmp(rq->method, "GET") == 0;

	xchg_answer_reset(a);
	x->answer = a;
	x->trace_header = rq->trace_header;
	if ((cc = curl_easy_setopt(k, CURLOPT_URL, rq->url)) != CURLE_OK ||
	    (cc = curl_easy_setopt(k, CURLOPT_HTTPHEADER, rq->headers)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(k, CURLOPT_TIMEOUT_MS, (long)left)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(left < XCHG_CONNECT_MS ? left : XCHG_CONNECT_MS))) !=
	    CURLE_OK)
		return cc;
	if (is_get)
		cc = curl_easy_setopt(k, CURLOPT_HTTPGET, 1L);
	else if ((cc = curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)rq->body_len)) == CURLE_OK)
		cc = curl_easy_setopt(k, CURLOPT_POSTFIELDS,
		    rq->body != NULL ? rq->body : "");
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST,
		    is_get || strcmp(rq->method, "POST") == 0 ?
		    NULL : rq->method);
	if (cc != CURLE_OK)
		return cc;
	if ((cc = curl_easy_perform(k)) == CURLE_OK)
		cc = curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &a->status);
	x->answer = NULL;
	return cc;
}

/* One attempt at Zoom, into the metrics by kind and outcome. */
static void
count_call(int kind, CURLcode cc, const struct xchg_answer *a)
{
	enum m_outcome	o;

	if (cc == CURLE_OPERATION_TIMEDOUT)
		o = MO_TIMEOUT;
	else if (cc != CURLE_OK)
		o = MO_TRANSPORT;
	else
		o = metrics_http_outcome(a->status);
	if (o == MO_RATE_LIMITED)
		metrics_inc(M_RATE_LIMITED);
	metrics_zoom_call((enum m_zoom_kind)kind, o);
}

enum xchg_err
xchg_perform(struct exchange *x, const struct xchg_request *rq,
    int64_t deadline, struct xchg_answer *a, int *calls)
{
	CURLcode	cc;
	int64_t		left, wait;
	int		attempt;

	for (attempt = 1; ; attempt++) {
		if ((left = deadline - now_ms()) <= 0)
			return XCHG_ETIMEOUT;
		x->errbuf[0] = '\0';
		(*calls)++;
		cc = perform_once(x, rq, left, a);
		if (rq->zoom_kind > 0)
			count_call(rq->zoom_kind - 1, cc, a);
		if (cc == CURLE_WRITE_ERROR && a->too_big)
			return XCHG_ETOOBIG;
		if (cc == CURLE_OPERATION_TIMEDOUT)
			return XCHG_ETIMEOUT;
		if (cc == CURLE_OUT_OF_MEMORY)
			return XCHG_ENOMEM;
		if (cc != CURLE_OK && x->errbuf[0] == '\0')
			snprintf(x->errbuf, sizeof(x->errbuf), "%s",
			    curl_easy_strerror(cc));
		if (cc != CURLE_OK && !is_transient(cc))
			return XCHG_ECONNECT;
		wait = retry_wait(x, cc, a, attempt);
		if (wait < 0 || attempt >= (rq->max_attempts > 0 ?
		    rq->max_attempts : XCHG_MAX_ATTEMPTS) ||
		    sleep_within(wait, deadline) < 0)
			return cc == CURLE_OK ? XCHG_OK : XCHG_ECONNECT;
		if (rq->zoom_kind > 0)
			metrics_inc(M_RETRIES);
	}
}

/* ---- Retry-After --------------------------------------------------------- */

long
xchg_retry_after(const char *v, time_t now, int *is_date)
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
	if (parse_utc_time(v, &when) < 0 && (when = curl_getdate(v, NULL)) < 0)
		return -1;
	if (when <= now)
		return 0;
	if (when - now > 7 * 86400)
		return 7 * 86400;
	return (long)(when - now);
}
