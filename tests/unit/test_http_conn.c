/*
 * test_http_conn.c - the kept-alive GET: framing (http-parser) fed in
 * every split, and real exchanges with a keep-alive server on 127.0.0.1.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <arpa/inet.h>

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

#include "http_conn.h"
#include "util.h"

/* A connection and an answer with a body cap; fx_done frees both. */
struct fx {
	struct http_conn	c;
	struct http_answer	a;
	char			err[CURL_ERROR_SIZE];
};

static void
fx_init(struct fx *f, int allow_http, size_t cap)
{
	http_conn_init(&f->c, allow_http, f->err);
	memset(&f->a, 0, sizeof(f->a));
	buf_init(&f->a.body, cap);
}

static void
fx_done(struct fx *f)
{
	buf_free(&f->a.body);
	http_conn_free(&f->c);
}

/* ---- framing ---------------------------------------------------------- */

/*
 * Feed text to a fresh parser in pieces of step bytes (0: all at once),
 * then, if eof, the end of the stream. Returns the last state.
 */
static enum http_parse
feed(struct http_conn *c, struct http_answer *a, const char *text,
    size_t step, int eof, size_t *consumed)
{
	enum http_parse	st = HTTP_PARSE_MORE;
	size_t		len = strlen(text), off = 0, n, used;

	http_conn_parse_begin(c, a);
	*consumed = 0;
	while (off < len) {
		n = step == 0 || len - off < step ? len - off : step;
		st = http_conn_parse(c, text + off, n, &used);
		*consumed += used;
		if (st != HTTP_PARSE_MORE)
			return st;
		off += n;
	}
	if (eof)
		st = http_conn_parse(c, "", 0, &used);
	return st;
}

/* Every split of text gives the same state and the same body. */
static void
feed_all_splits(const char *text, int eof, enum http_parse want,
    long status, const char *body)
{
	struct fx	f;
	size_t		step, used;

	/* One answer for every split: each parse begins by clearing it. */
	fx_init(&f, 1, 1024);
	for (step = 0; step <= 7; step++) {
		assert_int_equal(feed(&f.c, &f.a, text, step, eof, &used), want);
		if (want == HTTP_PARSE_DONE) {
			assert_int_equal(f.a.status, status);
			assert_int_equal(f.a.body.len, strlen(body));
			if (f.a.body.len > 0)
				assert_memory_equal(f.a.body.data, body,
				    f.a.body.len);
		}
	}
	fx_done(&f);
}

static void
test_parse_content_length(void **state)
{
	(void)state;
	feed_all_splits("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	    0, HTTP_PARSE_DONE, 200, "hello");
}

static void
test_parse_chunked(void **state)
{
	(void)state;
	feed_all_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3;ext=1\r\nabc\r\n0a\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n",
	    0, HTTP_PARSE_DONE, 200, "abc0123456789");
}

static void
test_parse_close_delimited(void **state)
{
	(void)state;
	/* No length: the body ends when the server closes. */
	feed_all_splits("HTTP/1.0 200 OK\r\n\r\n{\"a\":1}", 0, HTTP_PARSE_MORE,
	    0, "");
	feed_all_splits("HTTP/1.0 200 OK\r\n\r\n{\"a\":1}", 1, HTTP_PARSE_DONE,
	    200, "{\"a\":1}");
}

static void
test_parse_interim_answer(void **state)
{
	struct fx		f;
	size_t			used;

	(void)state;
	fx_init(&f, 1, 1024);
	/* The 100's headers are not the answer's. */
	assert_int_equal(feed(&f.c, &f.a, "HTTP/1.1 100 Continue\r\n"
	    "Retry-After: 9\r\n\r\nHTTP/1.1 429 Too Many\r\n"
	    "x-zm-trackingid: t1\r\nContent-Length: 2\r\n\r\n{}", 0, 0, &used),
	    HTTP_PARSE_DONE);
	assert_int_equal(f.a.status, 429);
	assert_string_equal(f.a.retry_after, "");
	assert_string_equal(f.a.trackingid, "t1");
	assert_string_equal(f.a.body.data, "{}");
	fx_done(&f);
}

static void
test_parse_headers_read(void **state)
{
	struct fx	f;
	char		text[1024], longv[300];
	size_t		used, step;

	(void)state;
	memset(longv, 'v', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	snprintf(text, sizeof(text), "HTTP/1.1 429 Too Many\r\n"
	    "X-A-Very-Long-Header-Name-That-Is-Not-Ours-At-All: 1\r\n"
	    "RETRY-AFTER:   7  \r\n"
	    "X-RateLimit-Type: Daily-limit\r\n"
	    "x-zm-trackingid: %s\r\n"
	    "Content-Length: 0\r\n\r\n", longv);
	fx_init(&f, 1, 1024);
	for (step = 0; step <= 5; step++) {
		assert_int_equal(feed(&f.c, &f.a, text, step, 0, &used),
		    HTTP_PARSE_DONE);
		assert_int_equal(f.a.status, 429);
		assert_string_equal(f.a.retry_after, "7");
		assert_true(f.a.daily_limit);
		/* cut to the field's size, never past it */
		assert_int_equal(strlen(f.a.trackingid), ZHTTP_TRACKING_MAX - 1);
		assert_int_equal(used, strlen(text));
	}
	fx_done(&f);
}

static void
test_parse_refused(void **state)
{
	static const char *const bad[] = {
		"SSH-2.0-OpenSSH_9.2\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		    "Connection: upgrade\r\n\r\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		feed_all_splits(bad[i], 0, HTTP_PARSE_ERROR, 0, "");
	/* Cut short: the end of the stream inside the body. */
	feed_all_splits("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", 1,
	    HTTP_PARSE_ERROR, 0, "");
}

static void
test_parse_body_cap(void **state)
{
	struct fx		f;
	size_t			used;

	(void)state;
	fx_init(&f, 1, 4);
	assert_int_equal(feed(&f.c, &f.a, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "\r\nhello", 0, 0, &used), HTTP_PARSE_ERROR);
	assert_true(f.a.too_big);
	fx_done(&f);
}

static void
test_parse_stops_after_answer(void **state)
{
	struct fx		f;
	const char		*text = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
				    "\r\n{}HTTP/1.1 200 OK\r\n";
	size_t			used;

	(void)state;
	fx_init(&f, 1, 64);
	assert_int_equal(feed(&f.c, &f.a, text, 0, 0, &used), HTTP_PARSE_DONE);
	assert_int_equal(used, strlen(text) - strlen("HTTP/1.1 200 OK\r\n"));
	assert_string_equal(f.a.body.data, "{}");
	fx_done(&f);
}

/* ---- a keep-alive server ---------------------------------------------- */

#define KA_MAX 8

/*
 * Answers requests in order: answer i to request i, on whatever
 * connection it came, then late[i] if any. After an answer flagged
 * close_after[i], it closes that connection without saying so (as a
 * server's idle timeout does).
 */
struct ka_server {
	int		 fd, port;
	pthread_t	 thread;
	const char	*answers[KA_MAX];
	const char	*late[KA_MAX];		/* sent 30 ms after the answer */
	int		 close_after[KA_MAX];
	int		 nanswers;
	int		 connections;	/* accepted */
	int		 requests;	/* read */
	char		 first_request[2048];
};

static int
ka_read_request(struct ka_server *k, int c)
{
	char	buf[2048];
	size_t	n = 0;
	ssize_t	r;

	while (n < sizeof(buf) - 1) {
		if ((r = recv(c, buf + n, sizeof(buf) - 1 - n, 0)) <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL) {
			if (k->requests == 0)
				memcpy(k->first_request, buf, n + 1);
			return 0;
		}
	}
	return -1;
}

static void *
ka_serve(void *arg)
{
	struct ka_server	*k = arg;
	struct timeval		 tv = { 5, 0 };
	int			 c = -1;

	while (k->requests < k->nanswers) {
		if (c < 0) {
			if ((c = accept(k->fd, NULL, NULL)) < 0)
				break;
			k->connections++;
			setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		}
		if (ka_read_request(k, c) < 0) {	/* the client left */
			close(c);
			c = -1;
			continue;
		}
		(void)!write(c, k->answers[k->requests],
		    strlen(k->answers[k->requests]));
		if (k->late[k->requests] != NULL) {
			usleep(30000);
			(void)!write(c, k->late[k->requests],
			    strlen(k->late[k->requests]));
		}
		if (k->close_after[k->requests++]) {
			close(c);
			c = -1;
		}
	}
	if (c >= 0)
		close(c);
	return NULL;
}

static void
ka_start(struct ka_server *k)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	k->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(k->fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(k->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(k->fd, 8), 0);
	assert_int_equal(getsockname(k->fd, (struct sockaddr *)&sin, &len), 0);
	k->port = ntohs(sin.sin_port);
	assert_int_equal(pthread_create(&k->thread, NULL, ka_serve, k), 0);
}

static void
ka_stop(struct ka_server *k)
{
	shutdown(k->fd, SHUT_RDWR);
	pthread_join(k->thread, NULL);
	close(k->fd);
}


static CURLcode
get(struct http_conn *c, const struct ka_server *k, const char *path,
    struct http_answer *a)
{
	char			url[256];
	struct curl_slist	h1 = { (char *)"Authorization: Bearer tok", NULL };

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", k->port, path);
	return http_conn_get(c, url, &h1, now_ms() + 3000, a);
}

/* A GET of / that must answer 200 with body. */
static void
get_ok(struct fx *f, const struct ka_server *k, const char *body)
{
	assert_int_equal(get(&f->c, k, "/", &f->a), CURLE_OK);
	assert_int_equal(f->a.status, 200);
	assert_string_equal(f->a.body.data, body);
}

static void
test_get_keeps_connection(void **state)
{
	struct ka_server	k = { .answers = {
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "2\r\n[]\r\n0\r\n\r\n",
		"HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nx" },
		.nanswers = 3 };
	struct fx		f;

	(void)state;
	ka_start(&k);
	fx_init(&f, 1, 1024);
	assert_int_equal(get(&f.c, &k, "/v2/a?b=1", &f.a), CURLE_OK);
	assert_int_equal(f.a.status, 200);
	assert_string_equal(f.a.body.data, "{}");
	assert_int_equal(get(&f.c, &k, "/v2/a", &f.a), CURLE_OK);
	assert_string_equal(f.a.body.data, "[]");
	assert_int_equal(get(&f.c, &k, "/v2/a", &f.a), CURLE_OK);
	assert_int_equal(f.a.status, 404);
	ka_stop(&k);
	assert_int_equal(k.connections, 1);
	assert_int_equal(k.requests, 3);
	/* What went out: the request line, Host, our headers, nothing else. */
	assert_non_null(strstr(k.first_request, "GET /v2/a?b=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(k.first_request, "\r\nHost: 127.0.0.1:"));
	assert_non_null(strstr(k.first_request,
	    "\r\nAuthorization: Bearer tok\r\n\r\n"));
	assert_non_null(strstr(k.first_request, "\r\nUser-Agent: zoom-attendees/"));
	fx_done(&f);
}

static void
test_get_server_closed_idle(void **state)
{
	struct ka_server	k = { .answers = {
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2" },
		.close_after = { 1, 0 }, .nanswers = 2 };
	struct fx		f;

	(void)state;
	ka_start(&k);
	fx_init(&f, 1, 1024);
	get_ok(&f, &k, "1");
	usleep(50000);	/* let the close arrive */
	/* The kept connection is dead: one new one, silently. */
	get_ok(&f, &k, "2");
	ka_stop(&k);
	assert_int_equal(k.connections, 2);
	assert_int_equal(k.requests, 2);
	fx_done(&f);
}

static void
test_get_connection_close(void **state)
{
	struct ka_server	k = { .answers = {
		"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n1",
		"HTTP/1.0 200 OK\r\n\r\n2",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n3" },
		.close_after = { 0, 1, 0 }, .nanswers = 3 };
	struct fx		f;

	(void)state;
	ka_start(&k);
	fx_init(&f, 1, 1024);
	get_ok(&f, &k, "1");
	assert_null(f.c.curl);	/* we closed it, as asked */
	/* HTTP/1.0 without a length: the body ends at the close. */
	get_ok(&f, &k, "2");
	assert_null(f.c.curl);
	get_ok(&f, &k, "3");
	ka_stop(&k);
	/* the first connection stayed open on the server's side */
	assert_int_equal(k.requests, 3);
	fx_done(&f);
}

static void
test_get_fresh_connection_fails(void **state)
{
	/* A new connection closed with no answer is the caller's to retry. */
	struct ka_server	k = { .answers = { "" }, .close_after = { 1 },
				    .nanswers = 1 };
	struct fx		f;

	(void)state;
	ka_start(&k);
	fx_init(&f, 1, 1024);
	assert_int_equal(get(&f.c, &k, "/", &f.a), CURLE_GOT_NOTHING);
	assert_string_equal(f.err, curl_easy_strerror(CURLE_GOT_NOTHING));
	ka_stop(&k);
	assert_int_equal(k.connections, 1);
	fx_done(&f);
}

static void
test_get_times_out(void **state)
{
	/* The server reads the request and says nothing. */
	struct ka_server	k = { .nanswers = 0 };
	struct fx		f;
	char			url[128];
	int64_t			t0;

	(void)state;
	ka_start(&k);
	fx_init(&f, 1, 1024);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", k.port);
	t0 = now_ms();
	assert_int_equal(http_conn_get(&f.c, url, NULL, t0 + 300, &f.a),
	    CURLE_OPERATION_TIMEDOUT);
	assert_true(now_ms() - t0 >= 290);
	assert_null(f.c.curl);	/* never reused in an unknown state */
	fx_done(&f);
	ka_stop(&k);
}

static void
test_get_new_origin(void **state)
{
	struct ka_server	k1 = { .answers = {
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1" }, .nanswers = 1 };
	struct ka_server	k2 = { .answers = {
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2" }, .nanswers = 1 };
	struct fx		f;

	(void)state;
	ka_start(&k1);
	ka_start(&k2);
	fx_init(&f, 1, 1024);
	get_ok(&f, &k1, "1");
	get_ok(&f, &k2, "2");
	ka_stop(&k1);
	ka_stop(&k2);
	assert_int_equal(k1.connections + k2.connections, 2);
	fx_done(&f);
}

static void
test_get_refused_before_sending(void **state)
{
	static const char *const urls[] = {
		"ftp://127.0.0.1/x",
		"http://user:pw@127.0.0.1/x",
		"http://127.0.0.1/a b",
		"http://127.0.0.1/a\r\nX: y",
		"http://127.0.0.1/a#frag",
		"http:///x",
		"127.0.0.1/x",
	};
	struct curl_slist	bad = { (char *)"X-A: b\r\nX-B: c", NULL };
	struct fx		f;
	size_t			i;

	(void)state;
	fx_init(&f, 1, 1024);
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		assert_int_equal(http_conn_get(&f.c, urls[i], NULL,
		    now_ms() + 1000, &f.a), CURLE_URL_MALFORMAT);
	assert_int_equal(http_conn_get(&f.c, "http://127.0.0.1:9/x", &bad,
	    now_ms() + 1000, &f.a), CURLE_URL_MALFORMAT);
	assert_null(f.c.curl);	/* nothing was opened */
	fx_done(&f);

	/* Plain http only when allowed (loopback stand-ins). */
	fx_init(&f, 0, 1024);
	assert_int_equal(http_conn_get(&f.c, "http://127.0.0.1:9/x", NULL,
	    now_ms() + 1000, &f.a), CURLE_URL_MALFORMAT);
	fx_done(&f);
}

static void
test_parse_interim_limit(void **state)
{
	static const char	interim[] = "HTTP/1.1 100 Continue\r\n\r\n";
	static const char	final[] = "HTTP/1.1 200 OK\r\n"
				    "Content-Length: 2\r\n\r\n{}";
	char			text[1024] = "";
	int			i;

	(void)state;
	for (i = 0; i < HTTP_CONN_MAX_INTERIM; i++)
		strcat(text, interim);
	strcat(text, final);
	feed_all_splits(text, 0, HTTP_PARSE_DONE, 200, "{}");
	/* One more interim answer than that: a server that never answers. */
	text[0] = '\0';
	for (i = 0; i <= HTTP_CONN_MAX_INTERIM; i++)
		strcat(text, interim);
	strcat(text, final);
	feed_all_splits(text, 0, HTTP_PARSE_ERROR, 0, "");
}

static void
test_get_unsolicited_bytes(void **state)
{
	/* A 408 arrives after the answer, then the server closes. */
	struct ka_server	k = { .answers = {
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2" },
		.late = { "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
		    "Content-Length: 0\r\n\r\n" },
		.close_after = { 1, 0 }, .nanswers = 2 };
	struct fx		f;

	(void)state;
	ka_start(&k);
	fx_init(&f, 1, 1024);
	get_ok(&f, &k, "1");
	usleep(100000);
	/* The 408 is not the answer to the next request. */
	assert_int_equal(get(&f.c, &k, "/", &f.a), CURLE_OK);
	assert_int_equal(f.a.status, 200);
	assert_string_equal(f.a.body.data, "2");
	assert_false(f.c.resent);
	ka_stop(&k);
	assert_int_equal(k.connections, 2);
	fx_done(&f);
}

static void
test_get_resent_once(void **state)
{
	/* The server reads the request on the kept connection, then closes. */
	struct ka_server	k = { .answers = {
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1", "",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n3", "", "" },
		.close_after = { 0, 1, 0, 1, 1 }, .nanswers = 5 };
	struct fx		f;

	(void)state;
	ka_start(&k);
	fx_init(&f, 1, 1024);
	get_ok(&f, &k, "1");
	/* Sent again on a new connection, once: it answers. */
	get_ok(&f, &k, "3");
	assert_true(f.c.resent);
	/* Both fail: the error is the caller's, after exactly two tries. */
	assert_int_equal(get(&f.c, &k, "/", &f.a), CURLE_GOT_NOTHING);
	assert_true(f.c.resent);
	ka_stop(&k);
	assert_int_equal(k.requests, 5);
	assert_int_equal(k.connections, 3);
	fx_done(&f);
}

static void
test_get_cut_short_not_resent(void **state)
{
	/* Part of an answer came on the kept connection: never sent again. */
	struct ka_server	k = { .answers = {
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc" },
		.close_after = { 0, 1 }, .nanswers = 2 };
	struct fx		f;

	(void)state;
	ka_start(&k);
	fx_init(&f, 1, 1024);
	get_ok(&f, &k, "1");
	assert_int_equal(get(&f.c, &k, "/", &f.a), CURLE_PARTIAL_FILE);
	assert_false(f.c.resent);
	ka_stop(&k);
	assert_int_equal(k.connections, 1);
	assert_int_equal(k.requests, 2);
	fx_done(&f);
}

static void
test_get_body_cap(void **state)
{
	struct ka_server	k = { .answers = {
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" },
		.nanswers = 1 };
	struct fx		f;

	(void)state;
	ka_start(&k);
	fx_init(&f, 1, 4);
	assert_int_equal(get(&f.c, &k, "/", &f.a), CURLE_WRITE_ERROR);
	assert_true(f.a.too_big);
	assert_null(f.c.curl);
	fx_done(&f);
	ka_stop(&k);
}

static void
test_get_idle_limit(void **state)
{
	struct ka_server	k = { .answers = {
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2" },
		.nanswers = 2 };
	struct fx		f;

	(void)state;
	ka_start(&k);
	fx_init(&f, 1, 1024);
	f.c.max_idle_ms = 30;
	assert_int_equal(get(&f.c, &k, "/", &f.a), CURLE_OK);
	usleep(80000);
	get_ok(&f, &k, "2");
	fx_done(&f);
	ka_stop(&k);
	assert_int_equal(k.connections, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_content_length),
		cmocka_unit_test(test_parse_chunked),
		cmocka_unit_test(test_parse_close_delimited),
		cmocka_unit_test(test_parse_interim_answer),
		cmocka_unit_test(test_parse_headers_read),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_parse_body_cap),
		cmocka_unit_test(test_parse_stops_after_answer),
		cmocka_unit_test(test_get_keeps_connection),
		cmocka_unit_test(test_get_server_closed_idle),
		cmocka_unit_test(test_get_connection_close),
		cmocka_unit_test(test_get_fresh_connection_fails),
		cmocka_unit_test(test_get_times_out),
		cmocka_unit_test(test_get_new_origin),
		cmocka_unit_test(test_get_refused_before_sending),
		cmocka_unit_test(test_parse_interim_limit),
		cmocka_unit_test(test_get_unsolicited_bytes),
		cmocka_unit_test(test_get_resent_once),
		cmocka_unit_test(test_get_cut_short_not_resent),
		cmocka_unit_test(test_get_body_cap),
		cmocka_unit_test(test_get_idle_limit),
	};

	return cmocka_run_group_tests(tests, curl_group_setup,
	    curl_group_teardown);
}
