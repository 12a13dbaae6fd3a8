/*
 * test_request.c - meeting id rules, body parsing, CONTENT_LENGTH,
 * Content-Type and the health check path.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "request.h"

/* req_meeting_id over a literal, embedded NULs included. */
static enum req_err
mid(const char *s, size_t len, struct meeting_id *m)
{
	return req_meeting_id(s, len, m);
}

#define MID(lit, m)	mid((lit), sizeof(lit) - 1, (m))

static void
expect_numeric(const char *in, const char *want)
{
	struct meeting_id	m;
	enum req_err		rc = req_meeting_id(in, strlen(in), &m);

	if (rc != REQ_OK)
		fail_msg("\"%s\" refused: %s", in, req_strerror(rc));
	assert_string_equal(m.text, want);
	assert_false(m.is_uuid);
}

static void
expect_uuid(const char *in)
{
	struct meeting_id	m;
	enum req_err		rc = req_meeting_id(in, strlen(in), &m);

	if (rc != REQ_OK)
		fail_msg("\"%s\" refused: %s", in, req_strerror(rc));
	assert_string_equal(m.text, in);	/* as given */
	assert_true(m.is_uuid);
}

static void
expect_invalid(const char *in, size_t len)
{
	struct meeting_id	m;
	enum req_err		rc = req_meeting_id(in, len, &m);

	if (rc != REQ_EINVALID)
		fail_msg("\"%.*s\" (%zu bytes): got %d, want REQ_EINVALID",
		    (int)len, in, len, (int)rc);
}

#define INVALID(lit)	expect_invalid((lit), sizeof(lit) - 1)

static void
test_numeric_valid(void **state)
{
	(void)state;
	expect_numeric("123456789", "123456789");		/* 9 digits */
	expect_numeric("1234567890", "1234567890");
	expect_numeric("85746065432", "85746065432");
	expect_numeric("123456789012", "123456789012");		/* 12 digits */
	expect_numeric("000000000", "000000000");
	/* The spaces and dashes people type are dropped. */
	expect_numeric("123 456 789", "123456789");
	expect_numeric("857-4606-5432", "85746065432");
	expect_numeric("857 4606 5432", "85746065432");
	expect_numeric("1 2 3 4 5 6 7 8 9", "123456789");
	expect_numeric("123--456  789", "123456789");
	expect_numeric("1234-5678 9012", "123456789012");
}

static void
test_numeric_invalid(void **state)
{
	(void)state;
	INVALID("");
	INVALID("1");
	INVALID("12345678");			/* 8 digits */
	INVALID("1234-5678");
	INVALID("1234567890123");		/* 13 digits */
	INVALID("123 456 789 0123");
	/* A separator may not lead or trail. */
	INVALID(" 123456789");
	INVALID("123456789 ");
	INVALID("-123456789");
	INVALID("123456789-");
	INVALID("--123456789");
	INVALID("- 123456789 -");
	/* Anything else, path tricks above all. */
	INVALID("../users/me");
	INVALID("123456789/../me");
	INVALID("123456789?x");
	INVALID("123456789?x=1");
	INVALID("123456789#x");
	INVALID("123456789&a=b");
	INVALID("%2e");
	INVALID("%2e%2e%2fusers%2fme");
	INVALID("123456789%2e");
	INVALID("123.456.789");
	INVALID("123_456_789");
	INVALID("123,456,789");
	INVALID("+123456789");
	INVALID("123456789\n");
	INVALID("12345\t6789");
	INVALID("123456789\r\nX: y");
	INVALID("\x01" "23456789");
	INVALID("123456789\0");
	INVALID("1234\0" "56789");
	INVALID("1234\x7f" "56789");
	/* Look-alike digits: fullwidth, Arabic-Indic, superscript. */
	INVALID("\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93");		/* １２３ */
	INVALID("\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95"
	    "\xef\xbc\x96\xef\xbc\x97\xef\xbc\x98\xef\xbc\x99");	/* １..９ */
	INVALID("12345678\xef\xbc\x99");
	INVALID("\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7"
	    "\xd9\xa8\xd9\xa9");					/* ١..٩ */
	INVALID("12345678\xc2\xb9");
	/* 22 or more digits are a mistyped number, not a UUID. */
	INVALID("1234567890123456789012");
	INVALID("123456789012345678901234");
}

static void
test_uuid_valid(void **state)
{
	(void)state;
	expect_uuid("JbkqFkfqQ0e7+CZluSnc1g==");		/* 24 */
	expect_uuid("/ajXp112QmuoKj4854875==");			/* 23 */
	expect_uuid("4444AAAiAAAAAiAiAiiAii");			/* 22 */
	expect_uuid("ab//cdefghijklmnopqrstu");
	expect_uuid("abcdefghijklmnopqrstuvwx");
	expect_uuid("ABCDEFGHIJKLMNOPQRSTUVW");
	expect_uuid("12345678901234567890a=");		/* not only digits */
	expect_uuid("+/+/+/+/+/+/+/+/+/+/+/");
}

static void
test_uuid_invalid(void **state)
{
	(void)state;
	INVALID("abcdefghijklmnopqrstu");			/* 21 */
	INVALID("abcdefghijklmnopqrstuvwxy");			/* 25 */
	INVALID("JbkqFkfqQ0e7+CZluSnc1g===");			/* 25 */
	INVALID("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ");
	INVALID("JbkqFkfqQ0e7-CZluSnc1g==");			/* '-' */
	INVALID("JbkqFkfqQ0e7_CZluSnc1g==");			/* base64url */
	INVALID("JbkqFkfqQ0e7 CZluSnc1g==");
	INVALID("JbkqFkfqQ0e7%2BCZluSnc1g");
	INVALID("../../../../users/me/xx");
	INVALID("abcdefghij?klmnopqrstuv");
	INVALID("abcdefghij#klmnopqrstuv");
	INVALID("abcdefghij.klmnopqrstuv");
	INVALID("abcdefghij\nklmnopqrstuv");
	INVALID("abcdefghijk\0lmnopqrstuv");
	INVALID("abcdefghij\xc3\xa9klmnopqrstu");
	INVALID("\xef\xbc\xa1" "bcdefghijklmnopqrstuv");	/* fullwidth A */
}

static void
test_meeting_id_output_cleared(void **state)
{
	struct meeting_id m;

	(void)state;
	assert_int_equal(MID("JbkqFkfqQ0e7+CZluSnc1g==", &m), REQ_OK);
	assert_true(m.is_uuid);
	/* A later refusal leaves nothing of the old id behind. */
	assert_int_equal(MID("bad", &m), REQ_EINVALID);
	assert_string_equal(m.text, "");
	assert_false(m.is_uuid);
	/* The longest id fits with its NUL. */
	assert_int_equal(MID("abcdefghijklmnopqrstuvwx", &m), REQ_OK);
	assert_int_equal(strlen(m.text), 24);
	assert_true(sizeof(m.text) > 24);
}

/* ---- bodies ------------------------------------------------------------ */

static void
expect_body(const char *s, size_t len, enum req_err want, const char *text,
    int is_uuid)
{
	struct meeting_id	m;
	enum req_err		rc;

	rc = req_parse_body(s, len, &m);
	if (rc != want)
		fail_msg("body %.*s: got %d (%s), want %d (%s)", (int)len, s,
		    (int)rc, req_strerror(rc), (int)want, req_strerror(want));
	if (want == REQ_OK) {
		assert_string_equal(m.text, text);
		assert_int_equal(m.is_uuid, is_uuid);
	}
}

#define B_OK(lit, text, u)	expect_body((lit), sizeof(lit) - 1, REQ_OK, (text), (u))
#define B_ERR(lit, want)	expect_body((lit), sizeof(lit) - 1, (want), NULL, 0)

static void
test_body_strings(void **state)
{
	(void)state;
	B_OK("{\"zoomCallId\":\"123456789\"}", "123456789", 0);
	B_OK("{\"zoomCallId\":\"857 4606 5432\"}", "85746065432", 0);
	B_OK(" {\n \"zoomCallId\" : \"857-4606-5432\" \n} \n", "85746065432", 0);
	B_OK("{\"zoomCallId\":\"JbkqFkfqQ0e7+CZluSnc1g==\"}",
	    "JbkqFkfqQ0e7+CZluSnc1g==", 1);
	/* JSON escapes are decoded first; "\/" is a plain slash. */
	B_OK("{\"zoomCallId\":\"\\/ajXp112QmuoKj4854875==\"}",
	    "/ajXp112QmuoKj4854875==", 1);
	B_OK("{\"zoomCallId\":\"\\u0031\\u0032\\u0033456789\"}", "123456789", 0);
	/* Other members are allowed and ignored. */
	B_OK("{\"a\":[1,{\"b\":null}],\"zoomCallId\":\"123456789\",\"z\":true}",
	    "123456789", 0);
	B_ERR("{\"zoomCallId\":\"\"}", REQ_EINVALID);
	B_ERR("{\"zoomCallId\":\"12345678\"}", REQ_EINVALID);
	B_ERR("{\"zoomCallId\":\"../users/me\"}", REQ_EINVALID);
	B_ERR("{\"zoomCallId\":\"123456789?x\"}", REQ_EINVALID);
	B_ERR("{\"zoomCallId\":\"\\u002e\\u002e/users/me\"}", REQ_EINVALID);
	B_ERR("{\"zoomCallId\":\"123456789\\n\"}", REQ_EINVALID);
	B_ERR("{\"zoomCallId\":\"\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\"}",
	    REQ_EINVALID);
	/* A NUL must not cut the id short: "123456789\0../x" is refused. */
	B_ERR("{\"zoomCallId\":\"123456789\\u0000\"}", REQ_EINVALID);
	B_ERR("{\"zoomCallId\":\"123456789\\u0000../x\"}", REQ_EINVALID);
	B_ERR("{\"zoomCallId\":\"JbkqFkfqQ0e7+CZluSnc1g==\\u0000\"}",
	    REQ_EINVALID);
	/* Long strings are refused, not truncated. */
	B_ERR("{\"zoomCallId\":\"1234567890123456789012345678901234567890"
	    "1234567890123456789012345678901234567890123456789012345678901234"
	    "5678901234567890123456789012345678901234567890\"}", REQ_EINVALID);
}

static void
test_body_integers(void **state)
{
	(void)state;
	B_OK("{\"zoomCallId\":123456789}", "123456789", 0);
	B_OK("{\"zoomCallId\":85746065432}", "85746065432", 0);
	B_OK("{\"zoomCallId\": 999999999999 }", "999999999999", 0);
	B_ERR("{\"zoomCallId\":12345678}", REQ_EINVALID);	/* 8 digits */
	B_ERR("{\"zoomCallId\":1000000000000}", REQ_EINVALID);	/* 13 */
	B_ERR("{\"zoomCallId\":0}", REQ_EINVALID);
	B_ERR("{\"zoomCallId\":123456789012345678901234}", REQ_EINVALID);
	/*
	 * Only plain JSON integers: a fraction, an exponent or a sign is
	 * not an id, even when the value is integral (1.5e9, 123456789.0).
	 */
	B_ERR("{\"zoomCallId\":-123456789}", REQ_ETYPE);
	B_ERR("{\"zoomCallId\":1.5e9}", REQ_ETYPE);
	B_ERR("{\"zoomCallId\":1.5}", REQ_ETYPE);
	B_ERR("{\"zoomCallId\":123456789.0}", REQ_ETYPE);
	B_ERR("{\"zoomCallId\":123456789.5}", REQ_ETYPE);
	B_ERR("{\"zoomCallId\":1e300}", REQ_ETYPE);
	B_ERR("{\"zoomCallId\":1e400}", REQ_ETYPE);
	B_ERR("{\"zoomCallId\":-1e400}", REQ_ETYPE);
	B_ERR("{\"zoomCallId\":123456789E0}", REQ_ETYPE);
	/* Not JSON numbers at all. */
	B_ERR("{\"zoomCallId\":0123456789}", REQ_EJSON);
	B_ERR("{\"zoomCallId\":+123456789}", REQ_EJSON);
	B_ERR("{\"zoomCallId\":NaN}", REQ_EJSON);
	B_ERR("{\"zoomCallId\":Infinity}", REQ_EJSON);
	B_ERR("{\"zoomCallId\":0x75BCD15}", REQ_EJSON);
}

static void
test_body_types(void **state)
{
	(void)state;
	B_ERR("{\"zoomCallId\":null}", REQ_ETYPE);
	B_ERR("{\"zoomCallId\":true}", REQ_ETYPE);
	B_ERR("{\"zoomCallId\":false}", REQ_ETYPE);
	B_ERR("{\"zoomCallId\":[\"123456789\"]}", REQ_ETYPE);
	B_ERR("{\"zoomCallId\":[]}", REQ_ETYPE);
	B_ERR("{\"zoomCallId\":{\"id\":\"123456789\"}}", REQ_ETYPE);
	B_ERR("{\"zoomCallId\":{}}", REQ_ETYPE);
}

static void
test_body_missing(void **state)
{
	(void)state;
	B_ERR("{}", REQ_EMISSING);
	B_ERR("{\"zoomcallid\":\"123456789\"}", REQ_EMISSING);
	B_ERR("{\"ZoomCallId\":\"123456789\"}", REQ_EMISSING);
	B_ERR("{\"zoomCallID\":\"123456789\"}", REQ_EMISSING);
	B_ERR("{\"zoomCallId \":\"123456789\"}", REQ_EMISSING);
	B_ERR("{\"meetingId\":\"123456789\"}", REQ_EMISSING);
	/* Only a top-level member counts. */
	B_ERR("{\"a\":{\"zoomCallId\":\"123456789\"}}", REQ_EMISSING);
}

static void
test_body_duplicate(void **state)
{
	(void)state;
	B_ERR("{\"zoomCallId\":\"123456789\",\"zoomCallId\":\"987654321\"}",
	    REQ_EDUPLICATE);
	B_ERR("{\"zoomCallId\":\"../x\",\"zoomCallId\":\"123456789\"}",
	    REQ_EDUPLICATE);
	B_ERR("{\"zoomCallId\":123456789,\"zoomCallId\":123456789}",
	    REQ_EDUPLICATE);
}

static void
test_body_not_object(void **state)
{
	(void)state;
	B_ERR("[]", REQ_ENOTOBJECT);
	B_ERR("[{\"zoomCallId\":\"123456789\"}]", REQ_ENOTOBJECT);
	B_ERR("\"123456789\"", REQ_ENOTOBJECT);
	B_ERR("123456789", REQ_ENOTOBJECT);
	B_ERR("null", REQ_ENOTOBJECT);
	B_ERR(" true ", REQ_ENOTOBJECT);
	/* Not an object and not JSON either: a JSON error. */
	B_ERR("[1,]", REQ_EJSON);
	B_ERR("zoomCallId=123456789", REQ_EJSON);
}

static void
test_body_not_json(void **state)
{
	struct meeting_id	 m;
	char			*deep;
	size_t			 i, n;

	(void)state;
	assert_int_equal(req_parse_body("", 0, &m), REQ_EJSON);
	assert_int_equal(req_parse_body("{}", 0, &m), REQ_EJSON);
	B_ERR(" ", REQ_EJSON);
	B_ERR("\n\r\t ", REQ_EJSON);
	B_ERR("{", REQ_EJSON);
	B_ERR("{\"zoomCallId\":\"123456789\"", REQ_EJSON);
	B_ERR("{\"zoomCallId\":\"123456789\",}", REQ_EJSON);
	B_ERR("{\"zoomCallId\":\"123456789\"} x", REQ_EJSON);
	B_ERR("{\"zoomCallId\":\"123456789\"}{}", REQ_EJSON);
	B_ERR("{zoomCallId:\"123456789\"}", REQ_EJSON);
	B_ERR("{'zoomCallId':'123456789'}", REQ_EJSON);
	B_ERR("{\"zoomCallId\":\"123456789}", REQ_EJSON);
	B_ERR("\xef\xbb\xbf{\"zoomCallId\":\"123456789\"}", REQ_EJSON);
	B_ERR("{\"zoomCallId\":\"123456789\"}\0", REQ_EJSON);
	/* Invalid UTF-8 or escapes anywhere, even away from the id. */
	B_ERR("{\"zoomCallId\":\"123456789\",\"x\":\"\xff\"}", REQ_EJSON);
	B_ERR("{\"x\":\"\xc0\x80\",\"zoomCallId\":\"123456789\"}", REQ_EJSON);
	B_ERR("{\"zoomCallId\":\"123456789\",\"x\":\"\xed\xa0\x80\"}", REQ_EJSON);
	B_ERR("{\"zoomCallId\":\"\xf4\x90\x80\x80\"}", REQ_EJSON);
	B_ERR("{\"zoomCallId\":\"\\ud800\"}", REQ_EJSON);
	B_ERR("{\"zoomCallId\":\"123456789\",\"x\":\"\\q\"}", REQ_EJSON);
	B_ERR("{\"zoomCallId\":\"123456789\",\"x\":\"a\tb\"}", REQ_EJSON);
	B_ERR("{\"zoomCallId\":\"123456789\",\"x\":01}", REQ_EJSON);
	/* Too deep, after the id. */
	n = 70;
	assert_non_null(deep = malloc(n * 2 + 64));
	strcpy(deep, "{\"zoomCallId\":\"123456789\",\"x\":");
	for (i = 0; i < n; i++)
		strcat(deep, "[");
	for (i = 0; i < n; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	assert_int_equal(req_parse_body(deep, strlen(deep), &m), REQ_EJSON);
	free(deep);
}

static void
test_body_length_respected(void **state)
{
	static const char	 text[] = "{\"zoomCallId\":\"123456789\"}GARBAGE";
	struct meeting_id	 m;

	(void)state;
	/* The body is len bytes, not a C string. */
	assert_int_equal(req_parse_body(text, sizeof(text) - 1 - 7, &m), REQ_OK);
	assert_string_equal(m.text, "123456789");
	assert_int_equal(req_parse_body(text, sizeof(text) - 1, &m), REQ_EJSON);
	assert_int_equal(req_parse_body(text, 20, &m), REQ_EJSON);
}

/* CONTENT_LENGTH under CGI (end not marked) and FastCGI (marked). */
static void
test_content_length(void **state)
{
	static const struct {
		const char	*cl;
		int		 end_marked;
		int		 rc;
		long long	 out;
	} rows[] = {
		{ NULL, 0, 0, 0 },		/* no body */
		{ "", 0, 0, 0 },
		{ NULL, 1, 0, REQ_LENGTH_TO_END },
		{ "", 1, 0, REQ_LENGTH_TO_END },
		{ "-1", 1, 0, REQ_LENGTH_TO_END },	/* Caddy, chunked */
		{ "-1", 0, -1, 0 },		/* CGI: a length or none */
		{ "0", 0, 0, 0 },
		{ "0", 1, 0, 0 },
		{ "28", 0, 0, 28 },
		{ "28", 1, 0, 28 },
		{ "007", 0, 0, 7 },
		{ "65537", 1, 0, 65537 },
		{ "1099511627776", 0, 0, 1099511627776LL },
		{ "9223372036854775807", 0, 0, LLONG_MAX },
		{ "9223372036854775808", 0, 0, LLONG_MAX },
		{ "99999999999999999999999", 1, 0, LLONG_MAX },
		{ "-2", 1, -1, 0 },
		{ "-2", 0, -1, 0 },
		{ "-0", 0, -1, 0 },
		{ "-1 ", 1, -1, 0 },
		{ "+28", 0, -1, 0 },
		{ " 28", 0, -1, 0 },
		{ "28 ", 1, -1, 0 },
		{ "2 8", 0, -1, 0 },
		{ "abc", 0, -1, 0 },
		{ "abc", 1, -1, 0 },
		{ "1e3", 0, -1, 0 },
		{ "0x1c", 1, -1, 0 },
		{ "28.0", 0, -1, 0 },
		{ "\xd9\xa2\xd9\xa8", 0, -1, 0 },	/* Arabic-Indic 28 */
	};
	long long	 out;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		out = 12345;
		if (req_content_length(rows[i].cl, rows[i].end_marked, &out) !=
		    rows[i].rc)
			fail_msg("CONTENT_LENGTH %s (end %s): not %s",
			    rows[i].cl ? rows[i].cl : "(absent)",
			    rows[i].end_marked ? "marked" : "not marked",
			    rows[i].rc ? "refused" : "accepted");
		if (rows[i].rc == 0 && out != rows[i].out)
			fail_msg("CONTENT_LENGTH %s: %lld, expected %lld",
			    rows[i].cl ? rows[i].cl : "(absent)", out,
			    rows[i].out);
	}
}

static void
test_json_type(void **state)
{
	(void)state;
	assert_true(req_is_json_type("application/json"));
	assert_true(req_is_json_type("application/json; charset=utf-8"));
	assert_true(req_is_json_type("application/json;charset=UTF-8"));
	assert_true(req_is_json_type("application/json ; charset=utf-8"));
	assert_true(req_is_json_type("APPLICATION/JSON"));
	assert_true(req_is_json_type("Application/Json; Charset=UTF-8"));
	assert_true(req_is_json_type("  application/json  "));
	assert_true(req_is_json_type("\tapplication/json"));
	assert_false(req_is_json_type(NULL));
	assert_false(req_is_json_type(""));
	assert_false(req_is_json_type(" "));
	assert_false(req_is_json_type("application/jsonx"));
	assert_false(req_is_json_type("application/json-patch+json"));
	assert_false(req_is_json_type("application/json5"));
	assert_false(req_is_json_type("application/jso"));
	assert_false(req_is_json_type("application/"));
	assert_false(req_is_json_type("application/json, text/plain"));
	assert_false(req_is_json_type("application/json text"));
	assert_false(req_is_json_type("text/plain"));
	assert_false(req_is_json_type("text/json"));
	assert_false(req_is_json_type("text/plain; application/json"));
	assert_false(req_is_json_type("application/x-www-form-urlencoded"));
	assert_false(req_is_json_type("multipart/form-data; boundary=x"));
	assert_false(req_is_json_type("xapplication/json"));
}

static void
test_healthz(void **state)
{
	(void)state;
	assert_true(req_is_healthz("/healthz"));
	assert_true(req_is_healthz("/healthz/"));
	assert_true(req_is_healthz("/healthz//"));
	assert_true(req_is_healthz("/healthz?x=1"));
	assert_true(req_is_healthz("/healthz?"));
	assert_true(req_is_healthz("/healthz/?a/healthz"));
	assert_true(req_is_healthz("/api/zoom/healthz"));
	assert_true(req_is_healthz("/api/zoom/healthz?probe=1"));
	assert_false(req_is_healthz(NULL));
	assert_false(req_is_healthz(""));
	assert_false(req_is_healthz("/"));
	assert_false(req_is_healthz("healthz"));
	assert_false(req_is_healthz("/nothealthz"));
	assert_false(req_is_healthz("/api/zoomhealthz"));
	assert_false(req_is_healthz("/healthz/x"));
	assert_false(req_is_healthz("/healthzz"));
	assert_false(req_is_healthz("/HEALTHZ"));
	assert_false(req_is_healthz("/health"));
	assert_false(req_is_healthz("/api/zoom/get-meeting-attendees"));
	assert_false(req_is_healthz("/x?/healthz"));
	assert_false(req_is_healthz("?/healthz"));
}

static void
test_strerror(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < REQ__MAX; i++)
		assert_string_not_equal(req_strerror((enum req_err)i),
		    "unknown error");
	assert_string_equal(req_strerror(REQ__MAX), "unknown error");
}

/* req_parse_request over a literal body. */
static enum req_err
parse(const char *body, struct req_body *b)
{
	return req_parse_request(body, strlen(body), b);
}

#define ID	"\"zoomCallId\":\"85746065432\""

static void
test_attendance_fields_valid(void **state)
{
	struct req_body b;

	(void)state;
	assert_int_equal(parse("{" ID "}", &b), REQ_OK);
	assert_false(b.att.coach.given);
	assert_false(b.att.client.given);
	assert_false(b.has_start);
	assert_int_equal(b.att.min_seconds, 0);

	assert_int_equal(parse("{" ID ",\"coach\":{\"email\":\"coach@example.com\","
	    "\"name\":\"Ada Lovelace\"},\"client\":{\"email\":\"\",\"name\":"
	    "\"Gr\\u00e2ce Hopper\"},\"minimumSeconds\":60,"
	    "\"startTime\":\"2026-11-20T10:00:00Z\",\"other\":[1,2]}", &b),
	    REQ_OK);
	assert_string_equal(b.id.text, "85746065432");
	assert_true(b.att.coach.given);
	assert_string_equal(b.att.coach.email, "coach@example.com");
	assert_string_equal(b.att.coach.name, "Ada Lovelace");
	assert_true(b.att.client.given);
	assert_string_equal(b.att.client.email, "");
	assert_string_equal(b.att.client.name, "Gr\xc3\xa2" "ce Hopper");
	assert_int_equal(b.att.min_seconds, 60);
	assert_true(b.has_start);
	assert_int_equal(b.start_time, 1795168800);
	/* Only one of the two, and an offset. */
	assert_int_equal(parse("{" ID ",\"client\":{\"name\":\"G\"},"
	    "\"minimumSeconds\":86400,\"startTime\":\"2026-11-20T11:00:00+01:00\"}",
	    &b), REQ_OK);
	assert_false(b.att.coach.given);
	assert_int_equal(b.start_time, 1795168800);
	assert_int_equal(b.att.min_seconds, 86400);
	/* Leap days that exist; a fraction. */
	assert_int_equal(parse("{" ID ",\"startTime\":\"2028-02-29T00:00:00Z\"}",
	    &b), REQ_OK);
	assert_int_equal(parse("{" ID ",\"startTime\":\"2000-02-29T00:00:00Z\"}",
	    &b), REQ_OK);
	assert_int_equal(parse("{" ID ",\"startTime\":\"2026-11-20T10:00:00.250Z\"}",
	    &b), REQ_OK);
	assert_int_equal(b.start_time, 1795168800);
}

static void
test_attendance_fields_invalid(void **state)
{
	static const struct {
		const char	*body;
		enum req_err	 want;
	} cases[] = {
		{ "{" ID ",\"coach\":\"coach@example.com\"}", REQ_ECOACH },
		{ "{" ID ",\"coach\":null}", REQ_ECOACH },
		{ "{" ID ",\"coach\":[]}", REQ_ECOACH },
		{ "{" ID ",\"coach\":{}}", REQ_ECOACH },
		{ "{" ID ",\"coach\":{\"email\":\"\",\"name\":\"\"}}", REQ_ECOACH },
		{ "{" ID ",\"coach\":{\"email\":5}}", REQ_ECOACH },
		{ "{" ID ",\"coach\":{\"name\":null}}", REQ_ECOACH },
		{ "{" ID ",\"coach\":{\"email\":\"no-at-sign\"}}", REQ_ECOACH },
		{ "{" ID ",\"coach\":{\"email\":\"a b@c\"}}", REQ_ECOACH },
		{ "{" ID ",\"coach\":{\"email\":\"@c\"}}", REQ_ECOACH },
		{ "{" ID ",\"coach\":{\"name\":\"Ada\\nLovelace\"}}", REQ_ECOACH },
		{ "{" ID ",\"coach\":{\"name\":\"Ada\\u0000\"}}", REQ_ECOACH },
		{ "{" ID ",\"coach\":{\"name\":\"Ada\\u007f\"}}", REQ_ECOACH },
		{ "{" ID ",\"coach\":{\"name\":\"Ada\\u0085\"}}", REQ_ECOACH },
		{ "{" ID ",\"coach\":{\"name\":\"A\",\"name\":\"B\"}}", REQ_ECOACH },
		{ "{" ID ",\"client\":{\"name\":true}}", REQ_ECLIENT },
		{ "{" ID ",\"client\":1}", REQ_ECLIENT },
		{ "{" ID ",\"minimumSeconds\":-1}", REQ_EMIN_SECONDS },
		{ "{" ID ",\"minimumSeconds\":86401}", REQ_EMIN_SECONDS },
		{ "{" ID ",\"minimumSeconds\":1.5}", REQ_EMIN_SECONDS },
		{ "{" ID ",\"minimumSeconds\":1e2}", REQ_EMIN_SECONDS },
		{ "{" ID ",\"minimumSeconds\":\"60\"}", REQ_EMIN_SECONDS },
		{ "{" ID ",\"minimumSeconds\":99999999999999999999}", REQ_EMIN_SECONDS },
		{ "{" ID ",\"startTime\":\"yesterday\"}", REQ_ESTART_TIME },
		{ "{" ID ",\"startTime\":\"2026-11-20 10:00:00\"}", REQ_ESTART_TIME },
		{ "{" ID ",\"startTime\":1795168800}", REQ_ESTART_TIME },
		/* Dates that do not exist, and a point without digits. */
		{ "{" ID ",\"startTime\":\"2026-02-29T10:00:00Z\"}", REQ_ESTART_TIME },
		{ "{" ID ",\"startTime\":\"2026-02-30T10:00:00Z\"}", REQ_ESTART_TIME },
		{ "{" ID ",\"startTime\":\"2026-04-31T10:00:00Z\"}", REQ_ESTART_TIME },
		{ "{" ID ",\"startTime\":\"2100-02-29T10:00:00Z\"}", REQ_ESTART_TIME },
		{ "{" ID ",\"startTime\":\"2026-11-20T10:00:00.Z\"}", REQ_ESTART_TIME },
		{ "{" ID ",\"startTime\":\"2026-11-20T10:00: 0Z\"}", REQ_ESTART_TIME },
		{ "{" ID ",\"startTime\":\"2026-11-20T10:00:00+1:00\"}", REQ_ESTART_TIME },
		{ "{" ID ",\"startTime\":\"2026-11-20T10:00:00Z\\u0000\"}",
		    REQ_ESTART_TIME },
		{ "{" ID ",\"coach\":{\"name\":\"A\"},\"coach\":{\"name\":\"B\"}}",
		    REQ_EDUPLICATE },
		{ "{" ID ",\"startTime\":\"2026-11-20T10:00:00Z\","
		    "\"startTime\":\"2026-11-20T10:00:00Z\"}", REQ_EDUPLICATE },
		/* The id is checked first. */
		{ "{\"coach\":5}", REQ_EMISSING },
		{ "{\"zoomCallId\":\"x\",\"coach\":5}", REQ_EINVALID },
	};
	struct req_body	b;
	size_t		i;
	enum req_err	rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if ((rc = parse(cases[i].body, &b)) != cases[i].want)
			fail_msg("%s: %s, want %s", cases[i].body,
			    req_strerror(rc), req_strerror(cases[i].want));
}

static void
test_attendance_long_strings(void **state)
{
	char		body[2048], name[400];
	struct req_body	b;

	(void)state;
	/* 255 bytes is the most an email or a name may hold. */
	memset(name, 'a', 255);
	name[255] = '\0';
	snprintf(body, sizeof(body), "{" ID ",\"coach\":{\"name\":\"%s\"}}", name);
	assert_int_equal(parse(body, &b), REQ_OK);
	assert_int_equal(strlen(b.att.coach.name), 255);
	memset(name, 'a', 256);
	name[256] = '\0';
	snprintf(body, sizeof(body), "{" ID ",\"coach\":{\"name\":\"%s\"}}", name);
	assert_int_equal(parse(body, &b), REQ_ECOACH);
	snprintf(body, sizeof(body), "{" ID ",\"client\":{\"email\":\"%s@x\"}}",
	    name);
	assert_int_equal(parse(body, &b), REQ_ECLIENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numeric_valid),
		cmocka_unit_test(test_numeric_invalid),
		cmocka_unit_test(test_uuid_valid),
		cmocka_unit_test(test_uuid_invalid),
		cmocka_unit_test(test_meeting_id_output_cleared),
		cmocka_unit_test(test_body_strings),
		cmocka_unit_test(test_body_integers),
		cmocka_unit_test(test_body_types),
		cmocka_unit_test(test_body_missing),
		cmocka_unit_test(test_body_duplicate),
		cmocka_unit_test(test_body_not_object),
		cmocka_unit_test(test_body_not_json),
		cmocka_unit_test(test_body_length_respected),
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_json_type),
		cmocka_unit_test(test_healthz),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_attendance_fields_valid),
		cmocka_unit_test(test_attendance_fields_invalid),
		cmocka_unit_test(test_attendance_long_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
