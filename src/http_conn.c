/* http_conn.c - GET over one kept-alive connection; see http_conn.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "http_conn.h"
#include "util.h"

/* ---- the answer's headers ----------------------------------------- */

void
http_answer_clear_headers(struct http_answer *a)
{
	a->trackingid[0] = a->retry_after[0] = '\0';
	a->daily_limit = 0;
}

void
http_answer_reset(struct http_answer *a)
{
	a->status = 0;
	a->too_big = 0;
	buf_reset(&a->body);
	http_answer_clear_headers(a);
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
	return strlen(want) == len && ascii_ncaseeq(name, want, len);
}

void
http_answer_header(struct http_answer *a, const char *name, size_t namelen,
    const char *value, size_t valuelen)
{
	char type[32];

	if (name_is(name, namelen, "x-zm-trackingid"))
		copy_value(a->trackingid, sizeof(a->trackingid), value,
		    valuelen);
	else if (name_is(name, namelen, "retry-after"))
		copy_value(a->retry_after, sizeof(a->retry_after), value,
		    valuelen);
	else if (name_is(name, namelen, "x-ratelimit-type")) {
		copy_value(type, sizeof(type), value, valuelen);
		a->daily_limit = ascii_ncaseeq(type, "daily-limit", 12);
	}
}

/* ---- framing: http-parser callbacks ---------------------------------- */

static void
flush_header(struct http_conn *c)
{
	if (c->hnamelen <= sizeof(c->hname))
		http_answer_header(c->answer, c->hname, c->hnamelen,
		    c->hvalue, c->hvaluelen);
	c->hnamelen = c->hvaluelen = 0;
	c->in_value = 0;
}

static int
on_message_begin(http_parser *p)
{
	struct http_conn *c = p->data;

	c->hnamelen = c->hvaluelen = 0;
	c->in_value = 0;
	http_answer_clear_headers(c->answer);
	return 0;
}

static int
on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;

	if (c->in_value)
		flush_header(c);
	/* A name longer than hname is none we read: mark it, keep going. */
	if (c->hnamelen <= sizeof(c->hname) &&
	    len <= sizeof(c->hname) - c->hnamelen) {
		memcpy(c->hname + c->hnamelen, at, len);
		c->hnamelen += len;
	} else
		c->hnamelen = sizeof(c->hname) + 1;
	return 0;
}

static int
on_header_value(http_parser *p, const char *at, size_t len)
{
	struct http_conn	*c = p->data;
	size_t			 room = sizeof(c->hvalue) - c->hvaluelen;

	c->in_value = 1;
	if (len > room)
		len = room;	/* the fields it fills are shorter anyway */
	memcpy(c->hvalue + c->hvaluelen, at, len);
	c->hvaluelen += len;
	return 0;
}

static int
on_headers_complete(http_parser *p)
{
	struct http_conn *c = p->data;

	if (c->in_value)
		flush_header(c);
	c->answer->status = p->status_code;
	return 0;
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;

	if (buf_add(&c->answer->body, at, len) != BUF_OK) {
		c->answer->too_big = 1;
		return 1;	/* stops the parser: HPE_CB_body */
	}
	return 0;
}

static int
on_message_complete(http_parser *p)
{
	struct http_conn *c = p->data;

	if (p->status_code < 200)	/* 100 Continue and kin: the answer follows */
		return ++c->interim > HTTP_CONN_MAX_INTERIM;	/* unless endless */
	c->done = 1;
	http_parser_pause(p, 1);	/* bytes after it are not ours */
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_message_begin,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

void
http_conn_parse_begin(struct http_conn *c, struct http_answer *a)
{
	http_parser_init(&c->parser, HTTP_RESPONSE);
	c->parser.data = c;
	c->answer = a;
	c->done = c->got_bytes = c->interim = 0;
	http_answer_reset(a);	/* header state: on_message_begin */
}

enum http_parse
http_conn_parse(struct http_conn *c, const char *data, size_t len,
    size_t *used)
{
	*used = http_parser_execute(&c->parser, &settings, data, len);
	if (len > 0)
		c->got_bytes = 1;
	else
		*used = 0;	/* at the end of the stream it says 1 on error */
	if (c->done)
		return HTTP_PARSE_DONE;
	if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK || c->parser.upgrade)
		return HTTP_PARSE_ERROR;	/* we never ask to upgrade */
	return HTTP_PARSE_MORE;
}

/* ---- the connection -------------------------------------------------- */

void
http_conn_init(struct http_conn *c, int allow_http, char *errbuf)
{
	memset(c, 0, sizeof(*c));
	c->allow_http = allow_http;
	c->errbuf = errbuf;
	c->sock = CURL_SOCKET_BAD;
	c->max_idle_ms = HTTP_CONN_MAX_IDLE_MS;
	buf_init(&c->req, 8192);
}

void
http_conn_close(struct http_conn *c)
{
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
	c->sock = CURL_SOCKET_BAD;
	c->origin[0] = '\0';
	c->reused = 0;
}

void
http_conn_free(struct http_conn *c)
{
	http_conn_close(c);
	buf_wipe(&c->req);	/* it held a bearer token */
}

/*
 * Split url into its origin ("scheme://authority", *originlen bytes) and
 * request target (*target: path and query, "" for none). -1 for anything
 * but an http(s) URL we could put on a request line as it is.
 */
static int
split_url(const struct http_conn *c, const char *url, size_t *originlen,
    const char **target, const char **authority, size_t *authlen)
{
	const char	*p;
	size_t		 n;

	if (strncmp(url, "https://", 8) == 0)
		p = url + 8;
	else if (c->allow_http && strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else
		return -1;
	n = strcspn(p, "/?#@");
	if (n == 0 || p[n] == '#' || p[n] == '@')
		return -1;
	*authority = p;
	*authlen = n;
	*originlen = (size_t)(p + n - url);
	*target = p + n;
	if (*originlen >= sizeof(c->origin))
		return -1;
	for (p = *target; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '#')
			return -1;
	return 0;
}

static int
build_request(struct http_conn *c, const char *target, const char *authority,
    size_t authlen, const struct curl_slist *headers)
{
	const struct curl_slist	*h;
	struct buf		*r = &c->req;
	int			 bad = 0;

	buf_reset(r);
	bad |= buf_addstr(r, *target == '/' ? "GET " : "GET /") != BUF_OK;
	bad |= buf_addstr(r, target) != BUF_OK;
	bad |= buf_addstr(r, " HTTP/1.1\r\nHost: ") != BUF_OK;
	bad |= buf_add(r, authority, authlen) != BUF_OK;
	bad |= buf_addstr(r, "\r\nUser-Agent: " HTTP_USER_AGENT "\r\n") !=
	    BUF_OK;
	for (h = headers; h != NULL; h = h->next) {
		bad |= strpbrk(h->data, "\r\n") != NULL;
		bad |= buf_addstr(r, h->data) != BUF_OK;
		bad |= buf_addstr(r, "\r\n") != BUF_OK;
	}
	bad |= buf_addstr(r, "\r\n") != BUF_OK;
	return bad ? -1 : 0;
}

CURLcode
http_curl_setup(CURL *k, int allow_http, char *errbuf)
{
	CURLcode cc;

	if ((cc = curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
	    (cc = curl_easy_setopt(k, CURLOPT_ERRORBUFFER, errbuf)) != CURLE_OK ||
	    (cc = curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR,
	    allow_http ? "http,https" : "https")) != CURLE_OK ||
	    (cc = curl_easy_setopt(k, CURLOPT_HTTP_VERSION,
	    CURL_HTTP_VERSION_1_1)) != CURLE_OK ||
	    (cc = curl_easy_setopt(k, CURLOPT_TCP_KEEPALIVE, 1L)) != CURLE_OK ||
	    (cc = curl_easy_setopt(k, CURLOPT_USERAGENT, HTTP_USER_AGENT)) !=
	    CURLE_OK)
		return cc;
	return CURLE_OK;
}

CURLcode
http_curl_budget(CURL *k, int64_t left)
{
	CURLcode cc;

	if ((cc = curl_easy_setopt(k, CURLOPT_TIMEOUT_MS, (long)left)) !=
	    CURLE_OK)
		return cc;
	return curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(left < ZHTTP_CONNECT_MS ? left : ZHTTP_CONNECT_MS));
}

/*
 * Wait until sock is ready for events: CURLE_OK, CURLE_OPERATION_TIMEDOUT
 * at the deadline, or failed (the caller's send or receive error).
 */
static CURLcode
wait_socket(curl_socket_t sock, short events, int64_t deadline,
    CURLcode failed)
{
	struct pollfd	pfd = { .fd = sock, .events = events };
	int64_t		left;
	int		n;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0)
			return CURLE_OPERATION_TIMEDOUT;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return CURLE_OK;
		if (n < 0 && errno != EINTR)
			return failed;
	}
}

static CURLcode
open_conn(struct http_conn *c, const char *url, size_t originlen,
    int64_t deadline)
{
	CURL		*k;
	CURLcode	 cc;
	int64_t		 left = deadline - now_ms();

	if (left <= 0)
		return CURLE_OPERATION_TIMEDOUT;
	if ((c->curl = k = curl_easy_init()) == NULL)
		return CURLE_OUT_OF_MEMORY;
	memcpy(c->origin, url, originlen);
	c->origin[originlen] = '\0';
	/*
	 * HTTP/1.1 only (http_curl_setup), so that TLS's ALPN never picks
	 * HTTP/2; a proxy, if the environment names one, is always tunnelled,
	 * so the request line stays the same as without it.
	 */
	if ((cc = http_curl_setup(k, c->allow_http, c->errbuf)) != CURLE_OK ||
	    (cc = curl_easy_setopt(k, CURLOPT_URL, c->origin)) != CURLE_OK ||
	    (cc = curl_easy_setopt(k, CURLOPT_CONNECT_ONLY, 1L)) != CURLE_OK ||
	    (cc = curl_easy_setopt(k, CURLOPT_HTTPPROXYTUNNEL, 1L)) != CURLE_OK ||
	    (cc = http_curl_budget(k, left)) != CURLE_OK ||
	    (cc = curl_easy_perform(k)) != CURLE_OK ||
	    (cc = curl_easy_getinfo(k, CURLINFO_ACTIVESOCKET, &c->sock)) != CURLE_OK ||
	    c->sock == CURL_SOCKET_BAD) {
		http_conn_close(c);
		return cc != CURLE_OK ? cc : CURLE_COULDNT_CONNECT;
	}
	c->reused = 0;
	return CURLE_OK;
}

static CURLcode
send_request(struct http_conn *c, int64_t deadline)
{
	size_t		 off = 0, n;
	CURLcode	 cc;

	while (off < c->req.len) {
		cc = curl_easy_send(c->curl, c->req.data + off,
		    c->req.len - off, &n);
		if (cc == CURLE_AGAIN) {
			if ((cc = wait_socket(c->sock, POLLOUT, deadline,
			    CURLE_SEND_ERROR)) != CURLE_OK)
				return cc;
			continue;
		}
		if (cc != CURLE_OK)
			return CURLE_SEND_ERROR;
		off += n;
	}
	return CURLE_OK;
}

/* Read one answer into c->answer; *keep: the connection may serve again. */
static CURLcode
read_answer(struct http_conn *c, int64_t deadline, int *keep)
{
	enum http_parse	 st;
	CURLcode	 cc;
	size_t		 n, used;

	*keep = 0;
	for (;;) {
		/* A server that never lets the socket drain: still ours. */
		if (now_ms() >= deadline)
			return CURLE_OPERATION_TIMEDOUT;
		/*
		 * Read first, wait only when nothing is there: on a busy
		 * machine the upstream has usually answered while this thread
		 * was sending (the send woke it), so a wait first would be a
		 * poll for nothing. TLS bytes libcurl holds are read here too.
		 */
		cc = curl_easy_recv(c->curl, c->in, sizeof(c->in), &n);
		if (cc == CURLE_AGAIN) {
			if ((cc = wait_socket(c->sock, POLLIN, deadline,
			    CURLE_RECV_ERROR)) != CURLE_OK)
				return cc;
			continue;
		}
		if (cc != CURLE_OK)
			return c->got_bytes ? CURLE_RECV_ERROR :
			    CURLE_GOT_NOTHING;
		st = http_conn_parse(c, c->in, n, &used);
		if (n == 0 && st != HTTP_PARSE_DONE)	/* cut short */
			return c->got_bytes ? CURLE_PARTIAL_FILE :
			    CURLE_GOT_NOTHING;
		if (st == HTTP_PARSE_DONE) {
			*keep = n > 0 && used == n &&
			    http_should_keep_alive(&c->parser);
			return CURLE_OK;
		}
		if (st == HTTP_PARSE_ERROR) {
			if (c->answer->too_big)
				return CURLE_WRITE_ERROR;
			snprintf(c->errbuf, CURL_ERROR_SIZE,
			    "malformed HTTP answer (%s)",
			    http_errno_name(HTTP_PARSER_ERRNO(&c->parser)));
			return CURLE_WEIRD_SERVER_REPLY;
		}
	}
}

/*
 * May the kept connection carry another request? Not if it idled too long
 * (a middlebox may have dropped it silently), nor if anything waits on it:
 * an end (FIN or TLS close_notify), or bytes nobody asked for, such as the
 * "408 Request Timeout" some servers send before closing an idle
 * connection. curl_easy_recv, not poll: TLS may hold such bytes already.
 */
static int
still_clean(struct http_conn *c)
{
	size_t n;

	if (now_ms() - c->last_used > c->max_idle_ms)
		return 0;
	return curl_easy_recv(c->curl, c->in, sizeof(c->in), &n) == CURLE_AGAIN;
}

CURLcode
http_conn_get(struct http_conn *c, const char *url,
    const struct curl_slist *headers, int64_t deadline, struct http_answer *a)
{
	const char	*target, *authority;
	size_t		 originlen, authlen;
	CURLcode	 cc;
	int		 keep, was_reused;

	c->errbuf[0] = '\0';
	c->resent = 0;
	if (split_url(c, url, &originlen, &target, &authority, &authlen) < 0) {
		snprintf(c->errbuf, CURL_ERROR_SIZE, "URL not usable");
		return CURLE_URL_MALFORMAT;
	}
	if (build_request(c, target, authority, authlen, headers) < 0) {
		snprintf(c->errbuf, CURL_ERROR_SIZE,
		    "request not usable (a header line or its size)");
		return CURLE_URL_MALFORMAT;
	}
	if (c->curl != NULL && (strncmp(c->origin, url, originlen) != 0 ||
	    c->origin[originlen] != '\0' || !still_clean(c)))
		http_conn_close(c);	/* another origin, or not to be trusted */

	for (;;) {
		if (c->curl == NULL &&
		    (cc = open_conn(c, url, originlen, deadline)) != CURLE_OK)
			return cc;
		was_reused = c->reused;
		http_conn_parse_begin(c, a);
		if ((cc = send_request(c, deadline)) == CURLE_OK &&
		    (cc = read_answer(c, deadline, &keep)) == CURLE_OK) {
			if (keep) {
				c->reused = 1;
				c->last_used = now_ms();
			} else
				http_conn_close(c);
			return CURLE_OK;
		}
		http_conn_close(c);
		/*
		 * A kept connection the server closed while idle fails before
		 * any byte of an answer: the request never got served, so send
		 * it again on a new connection, once (a new one failing so is
		 * an answer worth the caller's retry policy).
		 */
		if (!was_reused || c->got_bytes ||
		    (cc != CURLE_SEND_ERROR && cc != CURLE_GOT_NOTHING &&
		    cc != CURLE_RECV_ERROR))
			break;
		c->resent = 1;
	}
	if (c->errbuf[0] == '\0')	/* libcurl said nothing: say what */
		snprintf(c->errbuf, CURL_ERROR_SIZE, "%s",
		    curl_easy_strerror(cc));
	return cc;
}
