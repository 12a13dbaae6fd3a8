/*
 * http_conn.h - GET over one kept-alive HTTP/1.1 connection.
 *
 * libcurl opens the connection (TCP, TLS with certificate and host name
 * checks, any proxy tunnel: CURLOPT_CONNECT_ONLY) and moves the bytes
 * (curl_easy_send, curl_easy_recv); http-parser frames the answer (status
 * line, headers, Content-Length, chunked or close-delimited body). We
 * write only the request line and its headers.
 *
 * Why not curl_easy_perform for every page: its per-transfer machinery
 * (a multi handle, five poll calls, URL and header handling) cost about
 * 20 of the 45 microseconds of CPU a whole request took here, and kept the
 * responder below half of what nginx proxying the same answer reaches
 * (BENCHMARKS.md). The token POST, once an hour, still uses it.
 *
 * One struct http_conn per worker thread; nothing in it is shared.
 */
#ifndef ZA_HTTP_CONN_H
#define ZA_HTTP_CONN_H

#include <stdint.h>

#include <curl/curl.h>
#include <http_parser.h>

#include "buf.h"

#define ZHTTP_TRACKING_MAX	96
#define ZHTTP_CONNECT_MS	5000	/* connect timeout, also capped by budget */
#define HTTP_CONN_INBUF		16384	/* one read from the socket */
#define HTTP_CONN_MAX_IDLE_MS	118000	/* libcurl's CURLOPT_MAXAGE_CONN */
#define HTTP_CONN_MAX_INTERIM	8	/* 1xx answers before the answer */

/* One answer from Zoom: what the caller needs of it. */
struct http_answer {
	long		 status;
	struct buf	 body;			/* capped; owned */
	char		 trackingid[ZHTTP_TRACKING_MAX]; /* x-zm-trackingid */
	char		 retry_after[64];	/* raw Retry-After, or "" */
	int		 daily_limit;		/* X-RateLimit-Type: Daily-limit */
	int		 too_big;		/* the body passed its cap */
};

#define HTTP_USER_AGENT	"zoom-attendees/" ZA_VERSION

/* Forget what an earlier answer's headers said (a new answer begins). */
void		 http_answer_clear_headers(struct http_answer *a);

/* Empty a before an attempt: no status, no body, no headers noted. */
void		 http_answer_reset(struct http_answer *a);

/*
 * What every libcurl handle to Zoom shares, set once per handle: no
 * signals, errors into errbuf, https only (http too if allow_http),
 * HTTP/1.1, TCP keep-alive, our User-Agent.
 */
CURLcode	 http_curl_setup(CURL *k, int allow_http, char *errbuf);

/* One transfer's budget: left ms in all, ZHTTP_CONNECT_MS at most to connect. */
CURLcode	 http_curl_budget(CURL *k, int64_t left);

/* Note one header line's name and value if it is one we read. */
void		 http_answer_header(struct http_answer *a, const char *name,
		     size_t namelen, const char *value, size_t valuelen);

enum http_parse {
	HTTP_PARSE_MORE,	/* the answer is not complete yet */
	HTTP_PARSE_DONE,	/* a final (non-1xx) answer is complete */
	HTTP_PARSE_ERROR	/* not HTTP, or the body passed its cap */
};

struct http_conn {
	CURL		*curl;		/* CONNECT_ONLY handle; NULL: closed */
	curl_socket_t	 sock;
	int		 allow_http;
	char		*errbuf;	/* the owner's, CURL_ERROR_SIZE */
	int		 reused;	/* an answer already came on it */
	int64_t		 last_used;	/* now_ms() when the last answer ended */
	int64_t		 max_idle_ms;	/* older kept connections are not used */
	int		 resent;	/* the last GET went out twice */
	char		 origin[512];	/* "scheme://authority" it serves */
	struct buf	 req;		/* the request being sent */

	/* The answer being read. */
	http_parser	 parser;
	struct http_answer *answer;
	int		 done;		/* a final answer is complete */
	int		 got_bytes;	/* any byte of the answer arrived */
	int		 in_value;	/* the parser is in a header value */
	int		 interim;	/* 1xx answers seen */
	char		 hname[40];	/* longer names are none we read */
	size_t		 hnamelen;
	char		 hvalue[128];	/* longer values are cut (as noted) */
	size_t		 hvaluelen;
	char		 in[HTTP_CONN_INBUF];
};

/* errbuf (CURL_ERROR_SIZE bytes, outliving c) gets what went wrong. */
void		 http_conn_init(struct http_conn *c, int allow_http, char *errbuf);
void		 http_conn_close(struct http_conn *c);	/* drop the connection */
void		 http_conn_free(struct http_conn *c);

/*
 * GET url with the extra header lines in headers, on the kept connection
 * when it serves url's origin and is still clean (nothing unread, not
 * closed, idle less than max_idle_ms), else on a new one. A kept
 * connection found closed only when the request went out is replaced once
 * and the request sent again, as libcurl does; c->resent then says so.
 * Returns what curl_easy_perform would: CURLE_OK when an answer arrived
 * (any status, in *a), CURLE_OPERATION_TIMEDOUT at the deadline (now_ms()
 * clock), CURLE_WRITE_ERROR with a->too_big set past the body cap, a
 * connect/send/receive error code otherwise; the errbuf given at init
 * says what happened, without secrets.
 */
CURLcode	 http_conn_get(struct http_conn *c, const char *url,
		     const struct curl_slist *headers, int64_t deadline,
		     struct http_answer *a);

/*
 * The framing alone, for tests and the fuzz target: start reading an
 * answer into a, then feed bytes as they come; len 0 means the server
 * closed the connection. *used tells how many bytes were consumed.
 */
void		 http_conn_parse_begin(struct http_conn *c, struct http_answer *a);
enum http_parse	 http_conn_parse(struct http_conn *c, const char *data,
		     size_t len, size_t *used);

#endif
