/*
 * test_handler.c - the request pipeline, fed by a fake transport: the
 * order of the checks (configuration, method, key, media type, size, body,
 * id) and that every refusal happens before any Zoom call. Zoom is pointed
 * at a closed loopback port: a request that got as far as calling it
 * answers 502/504, never the 4xx asserted here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "handler.h"
#include "metrics.h"

#define KEY	"unit-test-key-0123456789"

/* ---- the fake environment and transport ------------------------------ */

static const char *const settings[][2] = {
	{ "INTERNAL_API_KEY", KEY },
	{ "ZOOM_ACCOUNT_ID", "acct" },
	{ "ZOOM_CLIENT_ID", "client" },
	{ "ZOOM_CLIENT_SECRET", "secret" },
	{ "ZOOM_TOKEN_URL", "http://127.0.0.1:9/oauth/token" },
	{ "ZOOM_API_BASE", "http://127.0.0.1:9/v2" },
	{ "ZOOM_TIMEOUT_MS", "300" },
};
static int	 with_settings = 1;
static const char *metrics_on;		/* METRICS, METRICS_KEY when set */
static const char *metrics_key;

static const char *
lookup(const char *name)
{
	size_t i;

	if (!with_settings)
		return NULL;
	if (strcmp(name, "METRICS") == 0)
		return metrics_on;
	if (strcmp(name, "METRICS_KEY") == 0)
		return metrics_key;
	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (strcmp(settings[i][0], name) == 0)
			return settings[i][1];
	return NULL;
}

struct fake_req {
	const char	*params[16][2];
	const char	*body;
	size_t		 len, off;
	int		 end_marked;	/* FastCGI: the body has an end */
	int		 broken;	/* after the body, a read error */
};

static const char *
fake_param(void *ctx, const char *name)
{
	struct fake_req	*r = ctx;
	size_t		 i;

	for (i = 0; i < 16 && r->params[i][0] != NULL; i++)
		if (strcmp(r->params[i][0], name) == 0)
			return r->params[i][1];
	return NULL;
}

static long
fake_read(void *ctx, char *buf, size_t len)
{
	struct fake_req	*r = ctx;
	size_t		 n = r->len - r->off;

	if (n == 0 && r->broken)
		return -1;
	if (n > len)
		n = len;
	memcpy(buf, r->body + r->off, n);
	r->off += n;
	return (long)n;
}

/* Run one request; returns the status, the body in out (static). */
static int
run(struct fake_req *r, enum resp_kind *kind, char *out, size_t outlen)
{
	struct app	 app;
	struct worker	 w;
	struct response	 resp;
	struct req_io	 io = { fake_param, fake_read, r, r->end_marked };
	int		 status;

	memset(&app, 0, sizeof(app));
	cfg_load_from(&app.cfg, lookup, NULL);
	if (app.cfg.ok)
		assert_int_equal(ztok_init(&app.tokens, &app.cfg), 0);
	app_words(&app);
	assert_int_equal(worker_init(&w, &app), 0);
	resp_init(&resp);
	handle_request(&w, &io, &resp);
	status = resp.status;
	*kind = resp.kind;
	snprintf(out, outlen, "%s", resp.body.data ? resp.body.data : "");
	resp_free(&resp);
	worker_free(&w);
	if (app.cfg.ok)
		ztok_free(&app.tokens);
	cfg_free(&app.cfg);
	return status;
}

static void
post(struct fake_req *r, const char *auth, const char *ctype, const char *body)
{
	static char	 cl[32];
	size_t		 n = 0;

	memset(r, 0, sizeof(*r));
	r->params[n][0] = "REQUEST_METHOD";
	r->params[n++][1] = "POST";
	r->params[n][0] = "REQUEST_URI";
	r->params[n++][1] = "/api/zoom/get-meeting-attendees";
	if (auth != NULL) {
		r->params[n][0] = "HTTP_AUTHORIZATION";
		r->params[n++][1] = auth;
	}
	if (ctype != NULL) {
		r->params[n][0] = "CONTENT_TYPE";
		r->params[n++][1] = ctype;
	}
	snprintf(cl, sizeof(cl), "%zu", strlen(body));
	r->params[n][0] = "CONTENT_LENGTH";
	r->params[n++][1] = cl;
	r->body = body;
	r->len = strlen(body);
}

#define AUTH	"Bearer " KEY
#define JSON	"application/json"

/* ---- tests ----------------------------------------------------------- */

static void
test_healthz_without_key(void **state)
{
	struct fake_req	 r;
	enum resp_kind	 k;
	char		 out[512];

	(void)state;
	memset(&r, 0, sizeof(r));
	r.params[0][0] = "REQUEST_METHOD";
	r.params[0][1] = "GET";
	r.params[1][0] = "REQUEST_URI";
	r.params[1][1] = "/api/zoom/healthz?x=1";
	assert_int_equal(run(&r, &k, out, sizeof(out)), 200);
	assert_int_equal(k, RESP_HEALTHZ);
	assert_string_equal(out, "{\"status\":\"ok\"}");
}

static void
test_get_is_405(void **state)
{
	struct fake_req	 r;
	enum resp_kind	 k;
	char		 out[512];

	(void)state;
	post(&r, AUTH, JSON, "{\"zoomCallId\":\"85746065432\"}");
	r.params[0][1] = "GET";
	assert_int_equal(run(&r, &k, out, sizeof(out)), 405);
	assert_int_equal(k, RESP_METHOD);
	r.params[0][1] = "post";	/* methods are case-sensitive */
	assert_int_equal(run(&r, &k, out, sizeof(out)), 405);
}

static void
test_key_checked_before_anything_else(void **state)
{
	struct fake_req	 r;
	enum resp_kind	 k;
	char		 out[512];

	(void)state;
	/* Wrong media type and bad body too: the key is looked at first. */
	post(&r, NULL, "text/plain", "not json");
	assert_int_equal(run(&r, &k, out, sizeof(out)), 401);
	assert_int_equal(k, RESP_UNAUTHORIZED);
	post(&r, "Basic " KEY, JSON, "{\"zoomCallId\":\"85746065432\"}");
	assert_int_equal(run(&r, &k, out, sizeof(out)), 401);
	post(&r, "Bearer unit-test-key-012345678X", JSON,
	    "{\"zoomCallId\":\"85746065432\"}");
	assert_int_equal(run(&r, &k, out, sizeof(out)), 401);
	assert_null(strstr(out, KEY));
}

static void
test_media_type_then_size_then_body(void **state)
{
	struct fake_req	 r;
	enum resp_kind	 k;
	char		 out[512], *big;

	(void)state;
	post(&r, AUTH, "text/plain", "{\"zoomCallId\":\"85746065432\"}");
	assert_int_equal(run(&r, &k, out, sizeof(out)), 415);
	post(&r, AUTH, "application/json; charset=utf-8", "{}");
	assert_int_equal(run(&r, &k, out, sizeof(out)), 400);
	assert_int_equal(k, RESP_MISSING_ID);

	big = malloc(REQ_MAX_BODY + 2);
	assert_non_null(big);
	memset(big, ' ', REQ_MAX_BODY + 1);
	big[REQ_MAX_BODY + 1] = '\0';
	post(&r, AUTH, JSON, big);
	assert_int_equal(run(&r, &k, out, sizeof(out)), 413);
	assert_int_equal(k, RESP_TOO_LARGE);
	free(big);
}

static void
test_body_shorter_than_content_length(void **state)
{
	struct fake_req	 r;
	enum resp_kind	 k;
	char		 out[512];

	(void)state;
	post(&r, AUTH, JSON, "{\"zoomCallId\":\"85746065432\"}");
	r.len -= 5;	/* the server announced more than it sends */
	assert_int_equal(run(&r, &k, out, sizeof(out)), 400);
	assert_int_equal(k, RESP_BAD_LENGTH);
	assert_non_null(strstr(out, "\"invalid_content_length\""));
	post(&r, AUTH, JSON, "{}");
	r.params[4][1] = "-1";
	assert_int_equal(run(&r, &k, out, sizeof(out)), 400);
	assert_int_equal(k, RESP_BAD_LENGTH);
}

/* CONTENT_LENGTH (NULL: absent) replaces the one post() set. */
static void
set_length(struct fake_req *r, const char *cl)
{
	size_t i;

	for (i = 0; i < 16 && r->params[i][0] != NULL; i++)
		if (strcmp(r->params[i][0], "CONTENT_LENGTH") == 0) {
			if (cl == NULL)
				r->params[i][0] = "X_NO_CONTENT_LENGTH";
			else
				r->params[i][1] = cl;
		}
}

#define ID_BODY	"{\"zoomCallId\":\"../users/me\"}"	/* 28 bytes */

/*
 * Every kind of CONTENT_LENGTH, as CGI (the body ends where its length
 * says) and as FastCGI (the body's end is marked). A body read whole
 * gets invalid_zoom_call_id: one read as empty would get invalid_json.
 */
static void
test_content_length(void **state)
{
	static const struct {
		const char	*cl;		/* NULL: absent */
		const char	*body;
		int		 fastcgi;
		int		 broken;	/* the read fails after body */
		enum resp_kind	 kind;
	} rows[] = {
		{ NULL, ID_BODY, 1, 0, RESP_INVALID_ID },  /* to the end */
		{ "", ID_BODY, 1, 0, RESP_INVALID_ID },
		{ "-1", ID_BODY, 1, 0, RESP_INVALID_ID },  /* Caddy, chunked */
		{ "28", ID_BODY, 1, 0, RESP_INVALID_ID },
		{ "28", ID_BODY "GARBAGE", 1, 0, RESP_INVALID_ID },
		{ "29", ID_BODY, 1, 0, RESP_BAD_LENGTH },  /* body short */
		{ "0", ID_BODY, 1, 0, RESP_BAD_JSON },	   /* no body */
		{ "-2", ID_BODY, 1, 0, RESP_BAD_LENGTH },
		{ "abc", ID_BODY, 1, 0, RESP_BAD_LENGTH },
		{ "1e3", ID_BODY, 1, 0, RESP_BAD_LENGTH },
		{ "+28", ID_BODY, 1, 0, RESP_BAD_LENGTH },
		{ " 28", ID_BODY, 1, 0, RESP_BAD_LENGTH },
		{ "65537", ID_BODY, 1, 0, RESP_TOO_LARGE },
		{ "99999999999999999999999", ID_BODY, 1, 0, RESP_TOO_LARGE },
		{ "-1", ID_BODY, 1, 1, RESP_REQUEST_TIMEOUT },
		{ "28", "{\"zoomCallId", 1, 1, RESP_REQUEST_TIMEOUT },
		{ NULL, ID_BODY, 0, 0, RESP_BAD_JSON },	   /* no body */
		{ "", ID_BODY, 0, 0, RESP_BAD_JSON },
		{ "-1", ID_BODY, 0, 0, RESP_BAD_LENGTH },
		{ "28", ID_BODY, 0, 0, RESP_INVALID_ID },
		{ "28", ID_BODY "GARBAGE", 0, 0, RESP_INVALID_ID },
		{ "29", ID_BODY, 0, 0, RESP_BAD_LENGTH },
		{ "-2", ID_BODY, 0, 0, RESP_BAD_LENGTH },
		{ "abc", ID_BODY, 0, 0, RESP_BAD_LENGTH },
		{ "99999999999999999999999", ID_BODY, 0, 0, RESP_TOO_LARGE },
		{ "28", "{\"zoomCallId", 0, 1, RESP_REQUEST_TIMEOUT },
	};
	struct fake_req	 r;
	enum resp_kind	 k;
	char		 out[512];
	size_t		 i;
	int		 status;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		post(&r, AUTH, JSON, rows[i].body);
		set_length(&r, rows[i].cl);
		r.end_marked = rows[i].fastcgi;
		r.broken = rows[i].broken;
		status = run(&r, &k, out, sizeof(out));
		if (k != rows[i].kind || status != resp_status(rows[i].kind))
			fail_msg("row %zu, CONTENT_LENGTH %s as %s: %d %s, "
			    "expected %d %s", i,
			    rows[i].cl ? rows[i].cl : "(absent)",
			    rows[i].fastcgi ? "FastCGI" : "CGI", status,
			    resp_code(k), resp_status(rows[i].kind),
			    resp_code(rows[i].kind));
	}
}

/* FastCGI without a length: the same 64 KiB cap, counted as it comes. */
static void
test_unknown_length_capped(void **state)
{
	struct fake_req	 r;
	enum resp_kind	 k;
	char		 out[512], *big;
	const char	*cls[] = { NULL, "-1" };
	size_t		 i;

	(void)state;
	big = malloc(REQ_MAX_BODY + 2);
	assert_non_null(big);
	for (i = 0; i < 2; i++) {
		memset(big, ' ', REQ_MAX_BODY + 1);
		big[REQ_MAX_BODY + 1] = '\0';
		post(&r, AUTH, JSON, big);
		set_length(&r, cls[i]);
		r.end_marked = 1;
		assert_int_equal(run(&r, &k, out, sizeof(out)), 413);
		assert_int_equal(k, RESP_TOO_LARGE);
		big[REQ_MAX_BODY] = '\0';	/* 64 KiB exactly: read, parsed */
		post(&r, AUTH, JSON, big);
		set_length(&r, cls[i]);
		r.end_marked = 1;
		assert_int_equal(run(&r, &k, out, sizeof(out)), 400);
		assert_int_equal(k, RESP_BAD_JSON);
		assert_int_equal(r.off, REQ_MAX_BODY);
	}
	free(big);
}

static void
test_bad_ids_never_reach_zoom(void **state)
{
	static const char *const bodies[] = {
		"{\"zoomCallId\":\"../users/me\"}",
		"{\"zoomCallId\":\"85746065432?page_size=1\"}",
		"{\"zoomCallId\":\"%2e%2e%2fusers\"}",
		"{\"zoomCallId\":\"8574606543\\r\\n2\"}",
		"{\"zoomCallId\":true}",
		"{\"zoomCallId\":85746065432.5}",
		"[\"zoomCallId\"]",
	};
	struct fake_req	 r;
	enum resp_kind	 k;
	char		 out[512];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		post(&r, AUTH, JSON, bodies[i]);
		assert_int_equal(run(&r, &k, out, sizeof(out)), 400);
		assert_non_null(strstr(out, "\"error\":\"invalid_"));
	}
}

static void
test_valid_request_goes_to_zoom(void **state)
{
	struct fake_req	 r;
	enum resp_kind	 k;
	char		 out[512];
	int		 status;

	(void)state;
	/* Zoom is a closed port here: the answer proves the call was made. */
	post(&r, AUTH, JSON, "{\"zoomCallId\":\"857 4606 5432\"}");
	status = run(&r, &k, out, sizeof(out));
	assert_true(status == 502 || status == 504);
	assert_true(k == RESP_ZOOM_UNAVAILABLE || k == RESP_ZOOM_TIMEOUT);
}

static void
test_misconfigured_is_500_for_everything(void **state)
{
	struct fake_req	 r;
	enum resp_kind	 k;
	char		 out[512];

	(void)state;
	with_settings = 0;
	post(&r, AUTH, JSON, "{\"zoomCallId\":\"85746065432\"}");
	assert_int_equal(run(&r, &k, out, sizeof(out)), 500);
	assert_int_equal(k, RESP_MISCONFIGURED);
	r.params[0][1] = "GET";
	r.params[1][1] = "/api/zoom/healthz";
	assert_int_equal(run(&r, &k, out, sizeof(out)), 500);
	with_settings = 1;
}

/* GET .../metrics: only with METRICS=on, for METRICS_KEY or else the API key. */
static void
test_metrics_route(void **state)
{
	struct fake_req	 r;
	enum resp_kind	 k;
	char		 out[4096];

	(void)state;
	metrics_setup(NULL, 1);
	memset(&r, 0, sizeof(r));
	r.params[0][0] = "REQUEST_METHOD";
	r.params[0][1] = "GET";
	r.params[1][0] = "REQUEST_URI";
	r.params[1][1] = "/api/zoom/metrics";
	r.params[2][0] = "HTTP_AUTHORIZATION";
	r.params[2][1] = AUTH;
	/* Off (the default): the API's path, GET not allowed. */
	assert_int_equal(run(&r, &k, out, sizeof(out)), 405);
	metrics_on = "on";
	assert_int_equal(run(&r, &k, out, sizeof(out)), 200);
	assert_non_null(strstr(out, "# TYPE za_requests_total counter\n"));
	r.params[2][1] = "Bearer wrong-key-0123456789";
	assert_int_equal(run(&r, &k, out, sizeof(out)), 401);
	assert_int_equal(k, RESP_UNAUTHORIZED);
	assert_null(strstr(out, "za_"));
	r.params[2][0] = NULL;			/* no key */
	assert_int_equal(run(&r, &k, out, sizeof(out)), 401);
	/* METRICS_KEY set: it, and not the API key. */
	metrics_key = "metrics-key-0123456789";
	r.params[2][0] = "HTTP_AUTHORIZATION";
	r.params[2][1] = AUTH;
	assert_int_equal(run(&r, &k, out, sizeof(out)), 401);
	r.params[2][1] = "Bearer metrics-key-0123456789";
	assert_int_equal(run(&r, &k, out, sizeof(out)), 200);
	r.params[0][1] = "POST";
	assert_int_equal(run(&r, &k, out, sizeof(out)), 405);
	metrics_on = metrics_key = NULL;
	metrics_reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthz_without_key),
		cmocka_unit_test(test_get_is_405),
		cmocka_unit_test(test_key_checked_before_anything_else),
		cmocka_unit_test(test_media_type_then_size_then_body),
		cmocka_unit_test(test_body_shorter_than_content_length),
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_unknown_length_capped),
		cmocka_unit_test(test_bad_ids_never_reach_zoom),
		cmocka_unit_test(test_valid_request_goes_to_zoom),
		cmocka_unit_test(test_misconfigured_is_500_for_everything),
		cmocka_unit_test(test_metrics_route),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
