/*
 * test_zoom_api.c - the meeting id path segment, the page validator and
 * merger, the error mapping, and the paged fetch against a canned Zoom
 * on 127.0.0.1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "test_support.h"

#include "http_stub.h"
#include "json_scan.h"
#include "util.h"
#include "zoom_api.h"

/* ---- zapi_encode_id ---------------------------------------------------- */

static void
check_encode(const char *text, int is_uuid, const char *want)
{
	struct meeting_id	id;
	char			out[128];

	memset(&id, 0, sizeof(id));
	snprintf(id.text, sizeof(id.text), "%s", text);
	id.is_uuid = is_uuid;
	assert_int_equal(zapi_encode_id(&id, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void
test_encode(void **state)
{
	(void)state;
	check_encode("123456789", 0, "123456789");
	check_encode("85746065432", 0, "85746065432");
	/* A UUID is percent-encoded once ... */
	check_encode("JbkqFkfqQ0e7+CZluSnc1g==", 1,
	    "JbkqFkfqQ0e7%2BCZluSnc1g%3D%3D");
	check_encode("abc/defghijklmnopqrstuv", 1, "abc%2Fdefghijklmnopqrstuv");
	check_encode("abcdefghijklmnopqrstuv", 1, "abcdefghijklmnopqrstuv");
	/* ... twice when it begins with '/' or holds "//" (Zoom's rule). */
	check_encode("/ajXp112QmuoKj4854875==", 1,
	    "%252FajXp112QmuoKj4854875%253D%253D");
	check_encode("ab//cdefghijklmnopqrstu", 1,
	    "ab%252F%252Fcdefghijklmnopqrstu");
	check_encode("abcdefghijklmnopqrstu//", 1,
	    "abcdefghijklmnopqrstu%252F%252F");
	check_encode("//+abcdefghijklmnopqrst", 1,
	    "%252F%252F%252Babcdefghijklmnopqrst");
	check_encode("a/b/cdefghijklmnopqrstu", 1, "a%2Fb%2Fcdefghijklmnopqrstu");
}

static void
test_encode_small_out(void **state)
{
	struct meeting_id	id;
	char			out[64];

	(void)state;
	memset(&id, 0, sizeof(id));
	strcpy(id.text, "123456789");
	assert_int_equal(zapi_encode_id(&id, out, 10), 0);
	assert_string_equal(out, "123456789");
	assert_int_equal(zapi_encode_id(&id, out, 9), -1);

	strcpy(id.text, "/ajXp112QmuoKj4854875==");	/* 35 bytes encoded */
	id.is_uuid = 1;
	assert_int_equal(zapi_encode_id(&id, out, 36), 0);
	assert_int_equal(strlen(out), 35);
	assert_int_equal(zapi_encode_id(&id, out, 35), -1);
}

/* ---- zapi_merge_page / zapi_merge_finish -------------------------------- */

struct merge {
	struct buf		elems, next, final;
	struct zapi_merge	m;
};

static void
merge_init(struct merge *x)
{
	buf_init(&x->elems, 1 << 20);
	buf_init(&x->next, 4096);
	buf_init(&x->final, 1 << 20);
	zapi_merge_init(&x->m, &x->elems, &x->next, NULL);
}

static void
merge_free(struct merge *x)
{
	buf_free(&x->elems);
	buf_free(&x->next);
	buf_free(&x->final);
}

static enum zoom_err
page(struct merge *x, const char *p)
{
	return zapi_merge_page(&x->m, p, strlen(p));
}

/* Finish, parse with cJSON, check the shape and count; returns the root. */
static cJSON *
finish(struct merge *x, long want)
{
	cJSON		*root;
	const cJSON	*parts, *v;

	assert_int_equal(zapi_merge_finish(&x->m, &x->final), ZOOM_OK);
	assert_int_equal(x->m.count, want);
	assert_int_equal(js_validate(x->final.data, x->final.len), JS_OK);
	root = cJSON_ParseWithLength(x->final.data, x->final.len);
	if (root == NULL)
		fail_msg("not JSON: %s", x->final.data);
	parts = cJSON_GetObjectItemCaseSensitive(root, "participants");
	assert_true(cJSON_IsArray(parts));
	assert_int_equal(cJSON_GetArraySize(parts), want);
	v = cJSON_GetObjectItemCaseSensitive(root, "total_records");
	assert_true(cJSON_IsNumber(v));
	assert_int_equal((long)v->valuedouble, want);
	v = cJSON_GetObjectItemCaseSensitive(root, "page_size");
	assert_int_equal((long)v->valuedouble, want);
	v = cJSON_GetObjectItemCaseSensitive(root, "page_count");
	assert_int_equal((long)v->valuedouble, 1);
	v = cJSON_GetObjectItemCaseSensitive(root, "next_page_token");
	assert_true(cJSON_IsString(v));
	assert_string_equal(v->valuestring, "");
	/* Exactly our five members: nothing of a page's own. */
	assert_int_equal(cJSON_GetArraySize(root), 5);
	return root;
}

#define P(name)	"{\"id\":\"" name "\",\"name\":\"N " name "\",\"duration\":60}"

static void
test_merge_pages(void **state)
{
	struct merge	 x;
	cJSON		*root;
	const cJSON	*parts;

	(void)state;
	merge_init(&x);
	assert_int_equal(page(&x, "{\"page_count\":3,\"page_size\":2,"
	    "\"total_records\":5,\"next_page_token\":\"tok1\","
	    "\"participants\":[" P("a") "," P("b") "]}"), ZOOM_OK);
	assert_int_equal(x.m.count, 2);
	assert_string_equal(x.next.data, "tok1");
	/* participants first, token last, white space everywhere. */
	assert_int_equal(page(&x, " { \"participants\" : [ " P("c") " , "
	    P("d") " ] , \"next_page_token\" : \"t\\/2\\u0041=\" } \n"), ZOOM_OK);
	assert_int_equal(x.m.count, 4);
	assert_string_equal(x.next.data, "t/2A=");	/* decoded */
	/* An empty page in between adds nothing, no stray comma. */
	assert_int_equal(page(&x, "{\"participants\":[],"
	    "\"next_page_token\":\"tok3\"}"), ZOOM_OK);
	assert_int_equal(x.m.count, 4);
	assert_int_equal(page(&x, "{\"next_page_token\":\"\",\"participants\":["
	    P("e") "]}"), ZOOM_OK);
	assert_int_equal(x.next.len, 0);	/* the last page */
	root = finish(&x, 5);
	parts = cJSON_GetObjectItemCaseSensitive(root, "participants");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(parts, 0), "id")->valuestring, "a");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(parts, 4), "id")->valuestring, "e");
	cJSON_Delete(root);
	merge_free(&x);
}

static void
test_merge_empty(void **state)
{
	struct merge	 x;
	cJSON		*root;

	(void)state;
	/* No pages at all, or only empty ones. */
	merge_init(&x);
	root = finish(&x, 0);
	cJSON_Delete(root);
	merge_free(&x);

	merge_init(&x);
	assert_int_equal(page(&x, "{\"participants\":[],\"next_page_token\":\"x\"}"),
	    ZOOM_OK);
	assert_int_equal(page(&x, "{\"participants\":[ ]}"), ZOOM_OK);
	root = finish(&x, 0);
	cJSON_Delete(root);
	merge_free(&x);
}

static void
test_merge_first_page_empty(void **state)
{
	struct merge	 x;
	cJSON		*root;

	(void)state;
	merge_init(&x);
	assert_int_equal(page(&x, "{\"participants\":[]}"), ZOOM_OK);
	assert_int_equal(page(&x, "{\"participants\":[1,\"two\",[3],null]}"),
	    ZOOM_OK);
	assert_int_equal(page(&x, "{\"participants\":[]}"), ZOOM_OK);
	assert_int_equal(page(&x, "{\"participants\":[{}]}"), ZOOM_OK);
	root = finish(&x, 5);
	/* Elements are copied byte for byte. */
	assert_non_null(strstr(x.final.data, "[1,\"two\",[3],null,{}]"));
	cJSON_Delete(root);
	merge_free(&x);
}

static void
test_merge_single_elements(void **state)
{
	struct merge	 x;
	cJSON		*root;

	(void)state;
	/* One element per page: a comma before every page but the first. */
	merge_init(&x);
	assert_int_equal(page(&x, "{\"participants\":[\"a\"]}"), ZOOM_OK);
	assert_int_equal(page(&x, "{\"participants\":[\"b\"]}"), ZOOM_OK);
	assert_int_equal(page(&x, "{\"participants\":[\"c\"]}"), ZOOM_OK);
	assert_string_equal(x.elems.data, "\"a\",\"b\",\"c\"");
	root = finish(&x, 3);
	cJSON_Delete(root);
	merge_free(&x);
}

static void
test_merge_token_forms(void **state)
{
	struct merge x;

	(void)state;
	merge_init(&x);
	assert_int_equal(page(&x, "{\"next_page_token\":null,\"participants\":[1]}"),
	    ZOOM_OK);
	assert_int_equal(x.next.len, 0);
	assert_int_equal(page(&x, "{\"participants\":[1],\"next_page_token\":\"\"}"),
	    ZOOM_OK);
	assert_int_equal(x.next.len, 0);
	/* A page's token never carries over to the next page. */
	assert_int_equal(page(&x, "{\"next_page_token\":\"abc\",\"participants\":[]}"),
	    ZOOM_OK);
	assert_string_equal(x.next.data, "abc");
	assert_int_equal(page(&x, "{\"participants\":[]}"), ZOOM_OK);
	assert_int_equal(x.next.len, 0);
	assert_int_equal(page(&x, "{\"next_page_token\":\"\\u00e9\\ud83d\\ude00\"}"),
	    ZOOM_OK);
	assert_int_equal(x.next.len, 6);
	assert_memory_equal(x.next.data, "\xc3\xa9\xf0\x9f\x98\x80", 6);
	merge_free(&x);
}

static void
test_merge_invalid(void **state)
{
	static const char *const bad[] = {
		/* not an object, not JSON */
		"", " ", "[]", "[{\"participants\":[]}]", "\"x\"", "null", "42",
		"<html>502</html>", "{", "{\"participants\":[1,2}",
		/* trailing garbage after the object */
		"{\"participants\":[1]} x",
		"{\"participants\":[1]}{\"participants\":[2]}",
		"{\"participants\":[1]},",
		/* participants not an array */
		"{\"participants\":{}}",
		"{\"participants\":\"[1]\"}",
		"{\"participants\":null}",
		"{\"participants\":1}",
		/* participants twice: the text between could leak out */
		"{\"participants\":[1],\"participants\":[2]}",
		"{\"participants\":[1],\"total_records\":9,\"participants\":[2]}",
		"{\"participants\":[],\"participants\":[]}",
		/* next_page_token not a string (or null) */
		"{\"participants\":[],\"next_page_token\":42}",
		"{\"participants\":[],\"next_page_token\":true}",
		"{\"participants\":[],\"next_page_token\":[\"a\"]}",
		"{\"participants\":[],\"next_page_token\":{}}",
		/* invalid JSON inside */
		"{\"participants\":[1,]}",
		"{\"participants\":[01]}",
		"{\"participants\":[{\"name\":\"a\tb\"}]}",
		"{\"participants\":[{\"name\":\"\\x\"}]}",
		"{\"participants\":[],\"next_page_token\":\"\\ud800\"}",
		"{\"participants\":[],\"x\":[1,]}",
		/* invalid UTF-8 anywhere */
		"{\"participants\":[{\"name\":\"\xff\"}]}",
		"{\"participants\":[{\"name\":\"\xc0\xaf\"}]}",
		"{\"participants\":[{\"name\":\"\xed\xa0\x80\"}]}",
		"{\"participants\":[{\"name\":\"\xf4\x90\x80\x80\"}]}",
		"{\"participants\":[{\"name\":\"\xe2\x82\"}]}",
		"{\"participants\":[],\"next_page_token\":\"\xfe\"}",
		"{\"\xff\":1,\"participants\":[]}",
	};
	struct merge	 x;
	cJSON		*root;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		merge_init(&x);
		/* One good page first: a bad page must not touch it. */
		assert_int_equal(page(&x, "{\"participants\":[{\"id\":\"ok\"}]}"),
		    ZOOM_OK);
		if (page(&x, bad[i]) != ZOOM_EBADRESP)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(x.m.count, 1);
		assert_string_equal(x.elems.data, "{\"id\":\"ok\"}");
		root = finish(&x, 1);
		cJSON_Delete(root);
		merge_free(&x);
	}
	/* A NUL after the object is trailing garbage too. */
	merge_init(&x);
	assert_int_equal(zapi_merge_page(&x.m, "{\"participants\":[1]}\0", 21),
	    ZOOM_EBADRESP);
	assert_int_equal(zapi_merge_page(&x.m, "{\"participants\":[1]}\0", 20),
	    ZOOM_OK);
	merge_free(&x);
}

static void
test_merge_too_deep(void **state)
{
	struct merge	 x;
	char		*p;
	size_t		 i, n = 80;

	(void)state;
	assert_non_null(p = malloc(n * 2 + 64));
	strcpy(p, "{\"participants\":[");
	for (i = 0; i < n; i++)
		strcat(p, "[");
	for (i = 0; i < n; i++)
		strcat(p, "]");
	strcat(p, "]}");
	merge_init(&x);
	assert_int_equal(page(&x, p), ZOOM_EBADRESP);
	assert_int_equal(x.m.count, 0);
	merge_free(&x);
	free(p);
}

#define ONE_ELEM	"{\"participants\":[\"0123456789\"]}"

static void
test_merge_caps(void **state)
{
	struct buf		elems, next, final;
	struct zapi_merge	m;
	char			big[5000];

	(void)state;
	/* The merged elements have a cap: passing it is a bad response. */
	buf_init(&elems, 20);
	buf_init(&next, 4096);
	buf_init(&final, 1 << 16);
	zapi_merge_init(&m, &elems, &next, NULL);
	assert_int_equal(zapi_merge_page(&m, ONE_ELEM, strlen(ONE_ELEM)), ZOOM_OK);
	assert_int_equal(zapi_merge_page(&m, ONE_ELEM, strlen(ONE_ELEM)),
	    ZOOM_EBADRESP);
	assert_int_equal(m.count, 1);
	/* A next_page_token longer than its buffer too. */
	snprintf(big, sizeof(big), "{\"next_page_token\":\"%04500d\"}", 0);
	assert_int_equal(zapi_merge_page(&m, big, strlen(big)), ZOOM_EBADRESP);
	/* The final document too. */
	buf_free(&final);
	buf_init(&final, 50);
	assert_int_equal(zapi_merge_finish(&m, &final), ZOOM_EBADRESP);
	buf_free(&elems);
	buf_free(&next);
	buf_free(&final);
}

/* ---- zc_map_error (Zoom's error answers) ------------------------------------------------------ */

static enum zoom_err
map(long status, const char *retry_after, const char *body,
    struct zoom_info *info)
{
	struct xchg_answer	a;
	enum zoom_err		rc;

	xchg_answer_init(&a, 1 << 16);
	a.status = status;
	if (retry_after != NULL)
		snprintf(a.retry_after, sizeof(a.retry_after), "%s", retry_after);
	if (body != NULL)
		assert_int_equal(buf_addstr(&a.body, body), BUF_OK);
	memset(info, 0, sizeof(*info));
	rc = zc_map_error(&a, "participants", info);
	xchg_answer_free(&a);
	return rc;
}

static void
test_map_not_found(void **state)
{
	struct zoom_info info;

	(void)state;
	assert_int_equal(map(404, NULL, "{\"code\":3001,\"message\":"
	    "\"Meeting does not exist: 123456789.\"}", &info), ZOOM_ENOTFOUND);
	assert_int_equal(map(404, NULL, "", &info), ZOOM_ENOTFOUND);
	assert_int_equal(map(404, NULL, "<html>Not Found</html>", &info),
	    ZOOM_ENOTFOUND);
	/* Code 3001 whatever the status. */
	assert_int_equal(map(400, NULL, "{\"code\":3001,\"message\":\"x\"}", &info),
	    ZOOM_ENOTFOUND);
	assert_string_equal(info.why, "participants HTTP 400 code 3001");
	/* The message itself is never kept. */
	assert_string_equal(info.detail, "");
}

static void
test_map_scope(void **state)
{
	struct zoom_info info;

	(void)state;
	assert_int_equal(map(400, NULL, "{\"code\":4711,\"message\":\"Invalid access "
	    "token, does not contain scopes:[meeting:read:list_past_participants:admin, "
	    "meeting:read:past_participant:admin].\"}", &info), ZOOM_ESCOPE);
	assert_string_equal(info.detail, "The Zoom app lacks the scope "
	    "meeting:read:list_past_participants:admin, "
	    "meeting:read:past_participant:admin: add it to the "
	    "Server-to-Server OAuth app.");
	assert_string_equal(info.why, "participants HTTP 400 code 4711");

	/* Only the scope names: no other text of the body gets through. */
	assert_int_equal(map(400, NULL, "{\"code\":4711,\"message\":\"SECRETWORD "
	    "scopes:[meeting:read:x<script>\\\"alert(1)\\\"</script>] TRAILER\","
	    "\"other\":\"OTHERFIELD\"}", &info), ZOOM_ESCOPE);
	assert_null(strstr(info.detail, "SECRETWORD"));
	assert_null(strstr(info.detail, "TRAILER"));
	assert_null(strstr(info.detail, "OTHERFIELD"));
	assert_null(strpbrk(info.detail, "<>\"()/\\[]"));
	assert_non_null(strstr(info.detail, "meeting:read:x"));

	/* No scope list to quote: the scope we need. */
	assert_int_equal(map(400, NULL, "{\"code\":4711,\"message\":\"no list\"}",
	    &info), ZOOM_ESCOPE);
	assert_non_null(strstr(info.detail,
	    "meeting:read:list_past_participants:admin"));
	assert_null(strstr(info.detail, "no list"));
	assert_int_equal(map(400, NULL, "{\"code\":4711,\"message\":\"scopes:[]\"}",
	    &info), ZOOM_ESCOPE);
	assert_non_null(strstr(info.detail,
	    "meeting:read:list_past_participants:admin"));
	assert_int_equal(map(400, NULL, "{\"code\":4711,\"message\":\"scopes:[abc\"}",
	    &info), ZOOM_ESCOPE);
	assert_non_null(strstr(info.detail,
	    "meeting:read:list_past_participants:admin"));
	assert_int_equal(map(400, NULL, "{\"code\":4711,\"message\":42}", &info),
	    ZOOM_ESCOPE);
	assert_int_equal(map(400, NULL, "{\"code\":4711}", &info), ZOOM_ESCOPE);
}

static void
test_map_scope_long(void **state)
{
	struct zoom_info	 info;
	char			 body[2048];
	char			 scopes[1200];

	(void)state;
	memset(scopes, 'a', sizeof(scopes) - 1);
	scopes[sizeof(scopes) - 1] = '\0';
	snprintf(body, sizeof(body), "{\"code\":4711,\"message\":\"scopes:[%s]\"}",
	    scopes);
	assert_int_equal(map(400, NULL, body, &info), ZOOM_ESCOPE);
	/* Cut, still NUL-terminated and still ending with the advice. */
	assert_true(strlen(info.detail) < sizeof(info.detail));
	assert_non_null(strstr(info.detail, "OAuth app."));
}

static void
test_map_permission(void **state)
{
	struct zoom_info info;

	(void)state;
	assert_int_equal(map(400, NULL, "{\"code\":200,\"message\":\"Only available "
	    "for paid users.\"}", &info), ZOOM_EPERMISSION);
	assert_int_equal(map(403, NULL, "{\"code\":124}", &info), ZOOM_EPERMISSION);
	/* Another account's meeting. */
	assert_int_equal(map(400, NULL, "{\"code\":1010,\"message\":\"User does "
	    "not belong to this account:abc.\"}", &info), ZOOM_EPERMISSION);
	assert_string_equal(info.why, "participants HTTP 400 code 1010");
	assert_int_equal(map(403, NULL, "", &info), ZOOM_EPERMISSION);
	/* 400 with another code, or none: a response we cannot use. */
	assert_int_equal(map(400, NULL, "{\"code\":300,\"message\":\"x\"}", &info),
	    ZOOM_EBADRESP);
	assert_int_equal(map(400, NULL, "{\"message\":\"x\"}", &info), ZOOM_EBADRESP);
	assert_int_equal(map(400, NULL, "not json", &info), ZOOM_EBADRESP);
	assert_int_equal(map(400, NULL, "{\"code\":\"200\"}", &info), ZOOM_EBADRESP);
}

static void
test_map_code_not_whole(void **state)
{
	struct zoom_info info;

	(void)state;
	/*
	 * Codes that are no whole number we could know: never cast (1e300
	 * and 1e400, which cJSON reads as infinity, are undefined as a long),
	 * never rounded (3001.9 is not 3001). UBSan's float-cast-overflow
	 * check (make asan) fails this test on a bare cast.
	 */
	assert_int_equal(map(400, NULL, "{\"code\":1e300}", &info), ZOOM_EBADRESP);
	assert_string_equal(info.why, "participants HTTP 400 code -1");
	assert_int_equal(map(400, NULL, "{\"code\":-1e300}", &info), ZOOM_EBADRESP);
	assert_int_equal(map(400, NULL, "{\"code\":1e400}", &info), ZOOM_EBADRESP);
	assert_string_equal(info.why, "participants HTTP 400 code -1");
	assert_int_equal(map(400, NULL, "{\"code\":3001.9}", &info), ZOOM_EBADRESP);
	assert_string_equal(info.why, "participants HTTP 400 code -1");
	assert_int_equal(map(400, NULL, "{\"code\":200.5}", &info), ZOOM_EBADRESP);
	/* A whole number written as a float is that number. */
	assert_int_equal(map(400, NULL, "{\"code\":3001.0}", &info), ZOOM_ENOTFOUND);
	assert_int_equal(map(400, NULL, "{\"code\":3.001e3}", &info), ZOOM_ENOTFOUND);
}

static void
test_map_rate(void **state)
{
	struct zoom_info	 info;
	char			 when[64];
	time_t			 t;
	struct tm		 tm;

	(void)state;
	assert_int_equal(map(429, "30", "{\"code\":429,\"message\":\"You have "
	    "reached the maximum per-second rate limit.\"}", &info), ZOOM_ERATE);
	assert_int_equal(info.retry_after, 30);

	/* A daily limit's date: seconds until then. */
	t = time(NULL) + 7200;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	assert_int_equal(map(429, when, "", &info), ZOOM_ERATE);
	assert_in_range(info.retry_after, 7195, 7200);
	strftime(when, sizeof(when), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	assert_int_equal(map(429, when, "", &info), ZOOM_ERATE);
	assert_in_range(info.retry_after, 7195, 7200);

	/* Absent, junk, zero or past: at least one second. */
	assert_int_equal(map(429, NULL, "", &info), ZOOM_ERATE);
	assert_int_equal(info.retry_after, 1);
	assert_int_equal(map(429, "soon", "", &info), ZOOM_ERATE);
	assert_int_equal(info.retry_after, 1);
	assert_int_equal(map(429, "0", "", &info), ZOOM_ERATE);
	assert_int_equal(info.retry_after, 1);
	assert_int_equal(map(429, "2020-01-01T00:00:00Z", "", &info), ZOOM_ERATE);
	assert_int_equal(info.retry_after, 1);
	/* Far away: capped at 7 days. */
	assert_int_equal(map(429, "99999999", "", &info), ZOOM_ERATE);
	assert_int_equal(info.retry_after, 7 * 86400);
}

static void
test_map_other(void **state)
{
	struct zoom_info info;

	(void)state;
	assert_int_equal(map(500, NULL, "", &info), ZOOM_EUNAVAILABLE);
	assert_int_equal(map(502, NULL, "<html>", &info), ZOOM_EUNAVAILABLE);
	assert_int_equal(map(599, NULL, "{\"code\":1}", &info), ZOOM_EUNAVAILABLE);
	assert_string_equal(info.why, "participants HTTP 599 code 1");
	assert_int_equal(map(300, NULL, "", &info), ZOOM_EBADRESP);
	assert_int_equal(map(301, NULL, "", &info), ZOOM_EBADRESP);
	assert_int_equal(map(418, NULL, "{}", &info), ZOOM_EBADRESP);
	assert_int_equal(map(600, NULL, "", &info), ZOOM_EBADRESP);
	assert_string_equal(info.why, "participants HTTP 600 code -1");
	assert_int_equal(map(0, NULL, NULL, &info), ZOOM_EBADRESP);
}

/* ---- zapi_participants against a canned Zoom --------------------------- */


/* Canned answers. Caller frees. */
static char *
answer(int status, const char *body)
{
	char *a;

	assert_true(asprintf(&a, "HTTP/1.1 %d X\r\nConnection: close\r\n"
	    "x-zm-trackingid: track-%d\r\nContent-Length: %zu\r\n\r\n%s",
	    status, status, strlen(body), body) > 0);
	return a;
}

#define RESP_MAX_TEST	(1 << 20)	/* the merged answer, in tests */

struct fetch {
	enum zoom_err		 rc;
	struct zoom_info	 info;
	struct buf		 out;
	struct stub		 stub;
};

/*
 * Serve bodies[i] with statuses[i] (n answers) and fetch the
 * participants of id. f->out holds the answer.
 */
static void
fetch(struct fetch *f, const char *id_text, const int *statuses,
    const char *const *bodies, int n)
{
	struct config		 c;
	struct zoom_tokens	 t;
	struct zoom_client	 zc;
	struct zapi_scratch	 s;
	struct meeting_id	 id;
	char			 url[128], *answers[STUB_MAX_ANSWERS];
	int			 i;

	assert_true(n <= STUB_MAX_ANSWERS);
	for (i = 0; i < n; i++)
		answers[i] = answer(statuses[i], bodies[i]);
	assert_int_equal(stub_start(&f->stub, (const char *const *)answers, n), 0);
	env_clear();
	env_set("INTERNAL_API_KEY", "0123456789abcdef");
	env_set("ZOOM_ACCOUNT_ID", "acct");
	env_set("ZOOM_CLIENT_ID", "cid");
	env_set("ZOOM_CLIENT_SECRET", "csecret");
	stub_url(&f->stub, "/oauth/token", url, sizeof(url));
	env_set("ZOOM_TOKEN_URL", url);
	stub_url(&f->stub, "/v2/", url, sizeof(url));
	env_set("ZOOM_API_BASE", url);
	cfg_load_from(&c, fake_lookup, NULL);
	assert_true(c.ok);
	assert_int_equal(ztok_init(&t, &c), 0);
	assert_int_equal(zc_init(&zc, &t), 0);
	zapi_scratch_init(&s);
	assert_int_equal(req_meeting_id(id_text, strlen(id_text), &id), REQ_OK);
	memset(&f->info, 0, sizeof(f->info));
	buf_init(&f->out, RESP_MAX_TEST);
	f->rc = zapi_participants(&zc, cfg_get(&c, CFG_ZOOM_API_BASE), &id,
	    &s, now_ms() + 10000, &f->out, NULL, &f->info);
	stub_stop(&f->stub);
	zapi_scratch_free(&s);
	zc_free(&zc);
	ztok_free(&t);
	cfg_free(&c);
	for (i = 0; i < n; i++)
		free(answers[i]);
}

#define TOK(t)		"{\"access_token\":\"" t "\",\"expires_in\":3600}"

static void
test_fetch_pages(void **state)
{
	static const int	 st[] = { 200, 200, 200, 200 };
	static const char *const bodies[] = {
		TOK("T1"),
		"{\"page_count\":3,\"page_size\":300,\"total_records\":5,"
		    "\"next_page_token\":\"p/2+=\",\"participants\":[" P("a") "," P("b") "]}",
		"{\"next_page_token\":\"p3\",\"participants\":[]}",
		"{\"next_page_token\":\"\",\"participants\":[" P("c") "," P("d") ","
		    P("e") "]}",
	};
	struct fetch	 f;
	cJSON		*root;
	const cJSON	*parts;

	(void)state;
	fetch(&f, "857 4606 5432", st, bodies, 4);
	assert_int_equal(f.rc, ZOOM_OK);
	assert_int_equal(f.info.calls, 4);
	assert_int_equal(f.info.token_calls, 1);
	assert_string_equal(f.info.trackingid, "track-200");
	root = cJSON_ParseWithLength(f.out.data, f.out.len);
	assert_non_null(root);
	parts = cJSON_GetObjectItemCaseSensitive(root, "participants");
	assert_int_equal(cJSON_GetArraySize(parts), 5);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(root,
	    "total_records")->valuedouble, 5);
	cJSON_Delete(root);
	/* The pages asked for: same page_size, the token URL-encoded. */
	assert_int_equal(stub_count(&f.stub, "GET /v2/past_meetings/85746065432/"
	    "participants?page_size=300 HTTP/1.1\r\n"), 1);
	assert_int_equal(stub_count(&f.stub, "GET /v2/past_meetings/85746065432/"
	    "participants?page_size=300&next_page_token=p%2F2%2B%3D HTTP/1.1\r\n"), 1);
	assert_int_equal(stub_count(&f.stub, "GET /v2/past_meetings/85746065432/"
	    "participants?page_size=300&next_page_token=p3 HTTP/1.1\r\n"), 1);
	assert_int_equal(stub_count(&f.stub, "\r\nAuthorization: Bearer T1\r\n"), 3);
	assert_int_equal(stub_count(&f.stub, "POST /oauth/token"), 1);
	buf_free(&f.out);
}

static void
test_fetch_uuid_path(void **state)
{
	static const int	 st[] = { 200, 200 };
	static const char *const bodies[] = {
		TOK("T1"), "{\"participants\":[]}",
	};
	struct fetch f;

	(void)state;
	fetch(&f, "/ajXp112QmuoKj4854875==", st, bodies, 2);
	assert_int_equal(f.rc, ZOOM_OK);
	assert_int_equal(stub_count(&f.stub, "GET /v2/past_meetings/"
	    "%252FajXp112QmuoKj4854875%253D%253D/participants?page_size=300 "), 1);
	buf_free(&f.out);
}

static void
test_fetch_token_refresh(void **state)
{
	static const int	 st[] = { 200, 401, 200, 200 };
	static const char *const bodies[] = {
		TOK("T1"),
		"{\"code\":124,\"message\":\"Invalid access token.\"}",
		TOK("T2"),
		"{\"participants\":[" P("a") "]}",
	};
	struct fetch f;

	(void)state;
	fetch(&f, "123456789", st, bodies, 4);
	assert_int_equal(f.rc, ZOOM_OK);
	assert_int_equal(f.info.calls, 4);
	assert_int_equal(f.info.token_calls, 2);
	assert_int_equal(stub_count(&f.stub, "\r\nAuthorization: Bearer T1\r\n"), 1);
	assert_int_equal(stub_count(&f.stub, "\r\nAuthorization: Bearer T2\r\n"), 1);
	buf_free(&f.out);
}

static void
test_fetch_token_rejected_twice(void **state)
{
	static const int	 st[] = { 200, 401, 200, 401, 200 };
	static const char *const bodies[] = {
		TOK("T1"), "{\"code\":124}", TOK("T2"), "{\"code\":124}",
		"{\"participants\":[]}",
	};
	struct fetch f;

	(void)state;
	fetch(&f, "123456789", st, bodies, 5);
	assert_int_equal(f.rc, ZOOM_ETOKEN_REJECTED);
	assert_int_equal(f.stub.served, 4);	/* refreshed once only */
	buf_free(&f.out);
}

static void
test_fetch_errors(void **state)
{
	static const struct {
		int		 status;
		const char	*body;
		enum zoom_err	 want;
	} cases[] = {
		{ 404, "{\"code\":3001,\"message\":\"Meeting does not exist.\"}",
		    ZOOM_ENOTFOUND },
		{ 400, "{\"code\":4711,\"message\":\"scopes:[a:b:c]\"}", ZOOM_ESCOPE },
		{ 400, "{\"code\":200,\"message\":\"paid\"}", ZOOM_EPERMISSION },
		{ 200, "{\"participants\":{}}", ZOOM_EBADRESP },
		{ 200, "<html>", ZOOM_EBADRESP },
		{ 200, "", ZOOM_EBADRESP },
		{ 300, "", ZOOM_EBADRESP },
	};
	struct fetch	 f;
	int		 st[2];
	const char	*bodies[2];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st[0] = 200;
		bodies[0] = TOK("T1");
		st[1] = cases[i].status;
		bodies[1] = cases[i].body;
		fetch(&f, "123456789", st, bodies, 2);
		if (f.rc != cases[i].want)
			fail_msg("HTTP %d %s: got %d, want %d", cases[i].status,
			    cases[i].body, (int)f.rc, (int)cases[i].want);
		assert_int_equal(f.info.calls, 2);
		if (cases[i].want == ZOOM_ESCOPE)
			assert_non_null(strstr(f.info.detail, "a:b:c"));
		buf_free(&f.out);
	}
}

static void
test_fetch_bad_second_page(void **state)
{
	static const int	 st[] = { 200, 200, 200 };
	static const char *const bodies[] = {
		TOK("T1"),
		"{\"next_page_token\":\"p2\",\"participants\":[" P("a") "]}",
		"{\"next_page_token\":\"\",\"participants\":[1,]}",
	};
	struct fetch f;

	(void)state;
	fetch(&f, "123456789", st, bodies, 3);
	assert_int_equal(f.rc, ZOOM_EBADRESP);
	assert_string_equal(f.info.why, "participants page 2 is not the expected JSON");
	buf_free(&f.out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_encode_small_out),
		cmocka_unit_test(test_merge_pages),
		cmocka_unit_test(test_merge_empty),
		cmocka_unit_test(test_merge_first_page_empty),
		cmocka_unit_test(test_merge_single_elements),
		cmocka_unit_test(test_merge_token_forms),
		cmocka_unit_test(test_merge_invalid),
		cmocka_unit_test(test_merge_too_deep),
		cmocka_unit_test(test_merge_caps),
		cmocka_unit_test(test_map_not_found),
		cmocka_unit_test(test_map_scope),
		cmocka_unit_test(test_map_scope_long),
		cmocka_unit_test(test_map_permission),
		cmocka_unit_test(test_map_code_not_whole),
		cmocka_unit_test(test_map_rate),
		cmocka_unit_test(test_map_other),
		cmocka_unit_test(test_fetch_pages),
		cmocka_unit_test(test_fetch_uuid_path),
		cmocka_unit_test(test_fetch_token_refresh),
		cmocka_unit_test(test_fetch_token_rejected_twice),
		cmocka_unit_test(test_fetch_errors),
		cmocka_unit_test(test_fetch_bad_second_page),
	};

	return cmocka_run_group_tests(tests, curl_group_setup,
	    curl_group_teardown);
}
