/*
 * test_response.c - the error table (status and code for every kind, as
 * README's API contract lists them) and the CGI wire form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "response.h"

/* What each kind must be, written out independently of response.c. */
static const struct {
	int		 status;
	const char	*code;
	const char	*reason;
} want[RESP__MAX] = {
	{ 200, NULL, "OK" },					/* RESP_OK */
	{ 200, NULL, "OK" },					/* RESP_HEALTHZ */
	{ 202, NULL, "Accepted" },				/* RESP_ACCEPTED */
	{ 400, "invalid_json", "Bad Request" },			/* RESP_BAD_JSON */
	{ 400, "invalid_json", "Bad Request" },			/* RESP_NOT_OBJECT */
	{ 400, "missing_zoom_call_id", "Bad Request" },		/* RESP_MISSING_ID */
	{ 400, "invalid_zoom_call_id", "Bad Request" },		/* RESP_INVALID_ID */
	{ 401, "unauthorized", "Unauthorized" },		/* RESP_UNAUTHORIZED */
	{ 404, "meeting_not_found", "Not Found" },		/* RESP_NOT_FOUND */
	{ 405, "method_not_allowed", "Method Not Allowed" },	/* RESP_METHOD */
	{ 413, "body_too_large", "Payload Too Large" },		/* RESP_TOO_LARGE */
	{ 415, "unsupported_media_type", "Unsupported Media Type" },
								/* RESP_MEDIA_TYPE */
	{ 500, "server_misconfigured", "Internal Server Error" },
								/* RESP_MISCONFIGURED */
	{ 500, "internal_error", "Internal Server Error" },	/* RESP_INTERNAL */
	{ 502, "zoom_auth_failed", "Bad Gateway" },		/* RESP_ZOOM_AUTH */
	{ 502, "zoom_token_rejected", "Bad Gateway" },		/* RESP_ZOOM_TOKEN_REJECTED */
	{ 502, "zoom_missing_scope", "Bad Gateway" },		/* RESP_ZOOM_SCOPE */
	{ 502, "zoom_permission_denied", "Bad Gateway" },	/* RESP_ZOOM_PERMISSION */
	{ 502, "zoom_unavailable", "Bad Gateway" },		/* RESP_ZOOM_UNAVAILABLE */
	{ 502, "zoom_bad_response", "Bad Gateway" },		/* RESP_ZOOM_BAD_RESPONSE */
	{ 503, "rate_limited", "Service Unavailable" },		/* RESP_RATE_LIMITED */
	{ 504, "zoom_timeout", "Gateway Timeout" },		/* RESP_ZOOM_TIMEOUT */
	{ 400, "invalid_coach", "Bad Request" },		/* RESP_INVALID_COACH */
	{ 400, "invalid_client", "Bad Request" },		/* RESP_INVALID_CLIENT */
	{ 400, "invalid_minimum_seconds", "Bad Request" },	/* RESP_INVALID_MIN_SECONDS */
	{ 400, "invalid_start_time", "Bad Request" },		/* RESP_INVALID_START_TIME */
	{ 503, "attendance_not_ready", "Service Unavailable" },	/* RESP_ATTENDANCE_NOT_READY */
	{ 401, "invalid_signature", "Unauthorized" },		/* RESP_BAD_SIGNATURE */
	{ 400, "invalid_payload", "Bad Request" },		/* RESP_BAD_PAYLOAD */
	{ 400, "invalid_uid", "Bad Request" },			/* RESP_BAD_UID */
	{ 503, "spool_unavailable", "Service Unavailable" },	/* RESP_SPOOL */
	{ 503, "workflow_not_configured", "Service Unavailable" },
								/* RESP_WORKFLOW_OFF */
	{ 400, "invalid_content_length", "Bad Request" },	/* RESP_BAD_LENGTH */
	{ 408, "request_timeout", "Request Timeout" },		/* RESP_REQUEST_TIMEOUT */
};

/* Parse r's body; it must be {"error": code, "message": non-empty}. */
static void
check_error_body(const struct response *r, const char *code,
    const char *message)
{
	cJSON		*root;
	const cJSON	*e, *m;

	assert_non_null(r->body.data);
	root = cJSON_ParseWithLength(r->body.data, r->body.len);
	if (root == NULL)
		fail_msg("body is not JSON: %s", r->body.data);
	assert_true(cJSON_IsObject(root));
	assert_int_equal(cJSON_GetArraySize(root), 2);
	e = cJSON_GetObjectItemCaseSensitive(root, "error");
	m = cJSON_GetObjectItemCaseSensitive(root, "message");
	assert_true(cJSON_IsString(e));
	assert_true(cJSON_IsString(m));
	assert_string_equal(e->valuestring, code);
	assert_true(strlen(m->valuestring) > 0);
	if (message != NULL)
		assert_string_equal(m->valuestring, message);
	cJSON_Delete(root);
}

static void
test_table(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < RESP__MAX; i++) {
		assert_int_equal(resp_status((enum resp_kind)i), want[i].status);
		if (want[i].code == NULL)
			assert_null(resp_code((enum resp_kind)i));
		else
			assert_string_equal(resp_code((enum resp_kind)i),
			    want[i].code);
	}
}

static void
test_error_every_kind(void **state)
{
	struct response	r;
	int		i;

	(void)state;
	for (i = RESP_BAD_JSON; i < RESP__MAX; i++) {
		resp_init(&r);
		resp_error(&r, (enum resp_kind)i, NULL);
		assert_int_equal(r.kind, i);
		assert_int_equal(r.status, want[i].status);
		check_error_body(&r, want[i].code, NULL);
		resp_free(&r);
	}
}

static void
test_error_detail(void **state)
{
	struct response r;

	(void)state;
	resp_init(&r);
	resp_error(&r, RESP_ZOOM_SCOPE,
	    "The app lacks \"a:b\"\n\tand \\ <x> \x01 \xc3\xa9.");
	assert_int_equal(r.status, 502);
	/* Quotes, backslashes and control characters are escaped. */
	check_error_body(&r, "zoom_missing_scope",
	    "The app lacks \"a:b\"\n\tand \\ <x> \x01 \xc3\xa9.");
	assert_null(memchr(r.body.data, '\n', r.body.len));
	assert_null(memchr(r.body.data, '\x01', r.body.len));
	resp_free(&r);
}

static void
test_error_replaces(void **state)
{
	struct response r;

	(void)state;
	resp_init(&r);
	resp_error(&r, RESP_BAD_JSON, "first");
	resp_error(&r, RESP_NOT_FOUND, NULL);
	assert_int_equal(r.status, 404);
	assert_int_equal(r.kind, RESP_NOT_FOUND);
	check_error_body(&r, "meeting_not_found", NULL);
	assert_null(strstr(r.body.data, "first"));
	resp_free(&r);
}

static void
test_healthz(void **state)
{
	struct response r;

	(void)state;
	resp_init(&r);
	resp_error(&r, RESP_HEALTHZ, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "{\"status\":\"ok\"}");
	resp_free(&r);
}

static void
test_init(void **state)
{
	struct response r;

	(void)state;
	resp_init(&r);
	/* Fail closed: an untouched response is a 500. */
	assert_int_equal(r.kind, RESP_INTERNAL);
	assert_int_equal(r.status, 500);
	assert_int_equal(r.retry_after, 0);
	assert_int_equal(r.body.len, 0);
	assert_int_equal(r.body.cap, RESP_MAX_BODY);
	resp_free(&r);
	resp_free(&r);
}

/* The parts of a serialised answer. */
struct wire {
	char	*text;		/* owned copy, headers then body */
	char	*status;	/* the Status line's value */
	char	*headers;	/* every header line, NUL-terminated */
	char	*body;
	size_t	 body_len;
};

static void
split(const struct buf *out, struct wire *w)
{
	char	*sep;

	assert_non_null(out->data);
	assert_non_null(w->text = malloc(out->len + 1));
	memcpy(w->text, out->data, out->len + 1);
	sep = strstr(w->text, "\r\n\r\n");
	assert_non_null(sep);
	*sep = '\0';
	w->body = sep + 4;
	w->body_len = out->len - (size_t)(w->body - w->text);
	assert_memory_equal(w->text, "Status: ", 8);
	w->status = w->text + 8;
	w->headers = strstr(w->text, "\r\n");
	assert_non_null(w->headers);
	*w->headers = '\0';
	w->headers += 2;
}

/* The value of header name, or NULL. Lines are CRLF-separated. */
static const char *
header(const struct wire *w, const char *name, char *val, size_t vallen)
{
	const char	*p = w->headers, *eol;
	size_t		 n = strlen(name);
	int		 found = 0;

	while (*p != '\0') {
		eol = strstr(p, "\r\n");
		if (eol == NULL)
			eol = p + strlen(p);
		if ((size_t)(eol - p) > n + 1 && strncmp(p, name, n) == 0 &&
		    p[n] == ':' && p[n + 1] == ' ') {
			assert_false(found);	/* never twice */
			found = 1;
			snprintf(val, vallen, "%.*s", (int)(eol - p - n - 2),
			    p + n + 2);
		}
		p = *eol ? eol + 2 : eol;
	}
	return found ? val : NULL;
}

static void
serialize(const struct response *r, struct wire *w)
{
	struct buf	out;
	size_t		i;

	buf_init(&out, 1 << 20);
	assert_int_equal(resp_serialize(r, &out), 0);
	/* Every line break is CRLF. */
	for (i = 0; i < out.len; i++)
		if (out.data[i] == '\n')
			assert_true(i > 0 && out.data[i - 1] == '\r');
	split(&out, w);
	buf_free(&out);
}

static void
check_common(const struct response *r, const struct wire *w)
{
	char	v[128];
	char	status[64];

	snprintf(status, sizeof(status), "%d %s", r->status,
	    want[r->kind].reason);
	assert_string_equal(w->status, status);
	assert_non_null(header(w, "Content-Type", v, sizeof(v)));
	assert_string_equal(v, "application/json");
	assert_non_null(header(w, "Cache-Control", v, sizeof(v)));
	assert_string_equal(v, "no-store");
	assert_non_null(header(w, "X-Content-Type-Options", v, sizeof(v)));
	assert_string_equal(v, "nosniff");
	assert_non_null(header(w, "Content-Length", v, sizeof(v)));
	assert_int_equal(strtoul(v, NULL, 10), r->body.len);
	assert_int_equal(w->body_len, r->body.len);
	if (r->body.len > 0)
		assert_memory_equal(w->body, r->body.data, r->body.len);
}

static void
test_serialize_every_kind(void **state)
{
	struct response	r;
	struct wire	w;
	char		v[128];
	int		i;

	(void)state;
	for (i = RESP_BAD_JSON; i < RESP__MAX; i++) {
		resp_init(&r);
		resp_error(&r, (enum resp_kind)i, NULL);
		serialize(&r, &w);
		check_common(&r, &w);
		if (i == RESP_UNAUTHORIZED) {
			assert_non_null(header(&w, "WWW-Authenticate", v,
			    sizeof(v)));
			assert_string_equal(v, "Bearer");
		} else
			assert_null(header(&w, "WWW-Authenticate", v, sizeof(v)));
		if (i == RESP_METHOD) {
			assert_non_null(header(&w, "Allow", v, sizeof(v)));
			assert_string_equal(v, "POST");
		} else
			assert_null(header(&w, "Allow", v, sizeof(v)));
		assert_null(header(&w, "Retry-After", v, sizeof(v)));
		free(w.text);
		resp_free(&r);
	}
}

static void
test_serialize_retry_after(void **state)
{
	struct response	r;
	struct wire	w;
	char		v[64];

	(void)state;
	resp_init(&r);
	resp_error(&r, RESP_RATE_LIMITED, NULL);
	r.retry_after = 37;
	serialize(&r, &w);
	check_common(&r, &w);
	assert_string_equal(w.status, "503 Service Unavailable");
	assert_non_null(header(&w, "Retry-After", v, sizeof(v)));
	assert_string_equal(v, "37");
	free(w.text);

	r.retry_after = 0;
	serialize(&r, &w);
	assert_null(header(&w, "Retry-After", v, sizeof(v)));
	free(w.text);
	resp_free(&r);
}

static void
test_serialize_ok(void **state)
{
	static const char	 json[] = "{\"participants\":[{\"name\":\"J\xc3\xa9r\xc3\xb4me\"}]}";
	struct response		 r;
	struct wire		 w;
	char			 v[64];

	(void)state;
	resp_init(&r);
	assert_int_equal(buf_addstr(&r.body, json), BUF_OK);
	resp_ok(&r);
	assert_int_equal(r.kind, RESP_OK);
	assert_int_equal(r.status, 200);
	serialize(&r, &w);
	check_common(&r, &w);
	assert_string_equal(w.status, "200 OK");
	/* Content-Length counts bytes, not characters. */
	assert_non_null(header(&w, "Content-Length", v, sizeof(v)));
	assert_int_equal(strtoul(v, NULL, 10), sizeof(json) - 1);
	assert_string_equal(w.body, json);
	free(w.text);
	resp_free(&r);
}

static void
test_serialize_empty_body(void **state)
{
	struct response	r;
	struct wire	w;
	char		v[64];

	(void)state;
	resp_init(&r);
	serialize(&r, &w);
	assert_string_equal(w.status, "500 Internal Server Error");
	assert_non_null(header(&w, "Content-Length", v, sizeof(v)));
	assert_string_equal(v, "0");
	assert_int_equal(w.body_len, 0);
	free(w.text);
	resp_free(&r);
}

static void
test_serialize_appends_and_caps(void **state)
{
	struct response	r;
	struct buf	out;

	(void)state;
	resp_init(&r);
	resp_error(&r, RESP_NOT_FOUND, NULL);
	/* Too small for the answer: -1. */
	buf_init(&out, 64);
	assert_int_equal(resp_serialize(&r, &out), -1);
	buf_free(&out);
	/* Exactly big enough: 0. */
	buf_init(&out, 1 << 16);
	assert_int_equal(resp_serialize(&r, &out), 0);
	{
		size_t		 need = out.len;
		struct buf	 exact;

		buf_init(&exact, need);
		assert_int_equal(resp_serialize(&r, &exact), 0);
		assert_int_equal(exact.len, need);
		buf_free(&exact);
		buf_init(&exact, need - 1);
		assert_int_equal(resp_serialize(&r, &exact), -1);
		buf_free(&exact);
	}
	buf_free(&out);
	resp_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_error_every_kind),
		cmocka_unit_test(test_error_detail),
		cmocka_unit_test(test_error_replaces),
		cmocka_unit_test(test_healthz),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_serialize_every_kind),
		cmocka_unit_test(test_serialize_retry_after),
		cmocka_unit_test(test_serialize_ok),
		cmocka_unit_test(test_serialize_empty_body),
		cmocka_unit_test(test_serialize_appends_and_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
