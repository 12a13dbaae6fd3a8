/*
 * test_json_scan.c - the strict JSON validator (RFC 8259, RFC 3629 UTF-8),
 * the member and element iterators, and string decoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json_scan.h"

/* js_validate over a literal, embedded NULs included. */
#define VAL(lit)	js_validate((lit), sizeof(lit) - 1)
#define SPAN(lit)	((struct js_span){ (lit), sizeof(lit) - 1 })

struct vcase {
	const char	*text;
	size_t		 len;
	enum js_err	 want;
};

#define C(lit, want)	{ (lit), sizeof(lit) - 1, (want) }

static void
run_cases(const struct vcase *cases, size_t n)
{
	size_t		i;
	enum js_err	got;

	for (i = 0; i < n; i++) {
		got = js_validate(cases[i].text, cases[i].len);
		if (got != cases[i].want)
			fail_msg("case %zu (%.*s): got %s, want %s", i,
			    (int)cases[i].len, cases[i].text, js_strerror(got),
			    js_strerror(cases[i].want));
	}
}

static void
test_validate_scalars(void **state)
{
	static const struct vcase cases[] = {
		C("0", JS_OK),
		C("-0", JS_OK),
		C("7", JS_OK),
		C("-123", JS_OK),
		C("1.5", JS_OK),
		C("0.25", JS_OK),
		C("-0.0", JS_OK),
		C("1e5", JS_OK),
		C("1E5", JS_OK),
		C("1e+5", JS_OK),
		C("1e-5", JS_OK),
		C("-1.25E-10", JS_OK),
		C("1e400", JS_OK),	/* grammar only; range is not JSON's concern */
		C("123456789012345678901234567890", JS_OK),
		C("true", JS_OK),
		C("false", JS_OK),
		C("null", JS_OK),
		C("\"\"", JS_OK),
		C("\"abc\"", JS_OK),
		C(" \t\r\n1 \t\r\n", JS_OK),
		C("\"\x7f\"", JS_OK),	/* DEL is not a control char in JSON */
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_validate_bad_numbers(void **state)
{
	static const struct vcase cases[] = {
		C("01", JS_ESYNTAX),	/* leading zero */
		C("00", JS_ESYNTAX),
		C("-01", JS_ESYNTAX),
		C("0123", JS_ESYNTAX),
		C("-", JS_ESYNTAX),	/* lone minus */
		C("- 1", JS_ESYNTAX),
		C("-a", JS_ESYNTAX),
		C("--1", JS_ESYNTAX),
		C("+1", JS_ESYNTAX),
		C("1.", JS_ESYNTAX),
		C(".5", JS_ESYNTAX),
		C("-.5", JS_ESYNTAX),
		C("1.e5", JS_ESYNTAX),
		C("1e", JS_ESYNTAX),
		C("1e+", JS_ESYNTAX),
		C("1e-", JS_ESYNTAX),
		C("1E+-1", JS_ESYNTAX),
		C("0x10", JS_ESYNTAX),
		C("1,5", JS_ESYNTAX),
		C("NaN", JS_ESYNTAX),
		C("Infinity", JS_ESYNTAX),
		C("-Infinity", JS_ESYNTAX),
		C("1 2", JS_ESYNTAX),
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_validate_bad_syntax(void **state)
{
	static const struct vcase cases[] = {
		C("", JS_ESYNTAX),
		C("   ", JS_ESYNTAX),
		C("\f1", JS_ESYNTAX),		/* form feed is not white space */
		C("1\v", JS_ESYNTAX),
		C("1\0", JS_ESYNTAX),		/* NUL after the value */
		C("tru", JS_ESYNTAX),
		C("True", JS_ESYNTAX),
		C("nul", JS_ESYNTAX),
		C("nulll", JS_ESYNTAX),
		C("falsey", JS_ESYNTAX),
		C("undefined", JS_ESYNTAX),
		C("'x'", JS_ESYNTAX),
		C("[1,]", JS_ESYNTAX),		/* trailing commas */
		C("[1,2,]", JS_ESYNTAX),
		C("{\"a\":1,}", JS_ESYNTAX),
		C("[,1]", JS_ESYNTAX),
		C("[,]", JS_ESYNTAX),
		C("{,}", JS_ESYNTAX),
		C("[1,,2]", JS_ESYNTAX),
		C("[1 2]", JS_ESYNTAX),
		C("{\"a\" 1}", JS_ESYNTAX),
		C("{\"a\"}", JS_ESYNTAX),
		C("{\"a\":}", JS_ESYNTAX),
		C("{\"a\":1 \"b\":2}", JS_ESYNTAX),
		C("{\"a\":1;\"b\":2}", JS_ESYNTAX),
		C("{a:1}", JS_ESYNTAX),
		C("{1:1}", JS_ESYNTAX),
		C("{'a':1}", JS_ESYNTAX),
		C("[", JS_ESYNTAX),
		C("]", JS_ESYNTAX),
		C("{", JS_ESYNTAX),
		C("[1", JS_ESYNTAX),
		C("[1,", JS_ESYNTAX),
		C("{\"a\":1", JS_ESYNTAX),
		C("[]]", JS_ESYNTAX),
		C("{}}", JS_ESYNTAX),
		C("[}", JS_ESYNTAX),
		C("{]", JS_ESYNTAX),
		C("{} x", JS_ESYNTAX),
		C("[] []", JS_ESYNTAX),
		C("\"abc", JS_ESYNTAX),		/* unterminated */
		C("\"abc\\\"", JS_ESYNTAX),	/* the quote is escaped */
		C("\"", JS_ESYNTAX),
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_validate_strings(void **state)
{
	static const struct vcase cases[] = {
		C("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", JS_OK),
		C("\"\\u0041\"", JS_OK),
		C("\"\\u00e9\\u00E9\"", JS_OK),
		C("\"\\u0000\"", JS_OK),
		C("\"\\uFFFF\"", JS_OK),
		C("\"\\ud83d\\ude00\"", JS_OK),		/* surrogate pair */
		C("\"\\uD800\\uDC00\"", JS_OK),
		C("\"\\uDBFF\\uDFFF\"", JS_OK),
		/* control characters must be escaped (RFC 8259 section 7) */
		C("\"a\x01" "b\"", JS_ESYNTAX),
		C("\"a\nb\"", JS_ESYNTAX),
		C("\"a\tb\"", JS_ESYNTAX),
		C("\"a\rb\"", JS_ESYNTAX),
		C("\"\x1f\"", JS_ESYNTAX),
		C("\"a\0b\"", JS_ESYNTAX),
		/* bad escapes */
		C("\"\\q\"", JS_ESYNTAX),
		C("\"\\x41\"", JS_ESYNTAX),
		C("\"\\a\"", JS_ESYNTAX),
		C("\"\\0\"", JS_ESYNTAX),
		C("\"\\'\"", JS_ESYNTAX),
		C("\"\\U0041\"", JS_ESYNTAX),
		C("\"\\u\"", JS_ESYNTAX),
		C("\"\\u12\"", JS_ESYNTAX),
		C("\"\\u123\"", JS_ESYNTAX),
		C("\"\\u12G4\"", JS_ESYNTAX),
		C("\"\\u-123\"", JS_ESYNTAX),
		C("\"\\", JS_ESYNTAX),
		C("\"\\u00", JS_ESYNTAX),
		/* lone or mispaired surrogates in \u escapes */
		C("\"\\ud800\"", JS_EUTF8),
		C("\"\\uDBFF\"", JS_EUTF8),
		C("\"\\udc00\"", JS_EUTF8),
		C("\"\\uDFFF\"", JS_EUTF8),
		C("\"\\ude00\\ud83d\"", JS_EUTF8),	/* reversed */
		C("\"\\ud800x\"", JS_EUTF8),
		C("\"\\ud800\\u0041\"", JS_EUTF8),
		C("\"\\ud800\\ud800\"", JS_EUTF8),
		C("\"\\ud800\\n\"", JS_EUTF8),
		C("\"\\ud800\\uE000\"", JS_EUTF8),
		C("\"\\ud800\\", JS_EUTF8),
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_validate_utf8(void **state)
{
	static const struct vcase cases[] = {
		C("\"\xc3\xa9\"", JS_OK),			/* U+00E9 */
		C("\"\xc2\x80\"", JS_OK),			/* U+0080, smallest 2-byte */
		C("\"\xdf\xbf\"", JS_OK),			/* U+07FF */
		C("\"\xe0\xa0\x80\"", JS_OK),			/* U+0800, smallest 3-byte */
		C("\"\xe2\x82\xac\"", JS_OK),			/* U+20AC */
		C("\"\xed\x9f\xbf\"", JS_OK),			/* U+D7FF */
		C("\"\xee\x80\x80\"", JS_OK),			/* U+E000 */
		C("\"\xef\xbf\xbf\"", JS_OK),			/* U+FFFF */
		C("\"\xf0\x90\x80\x80\"", JS_OK),		/* U+10000 */
		C("\"\xf0\x9f\x98\x80\"", JS_OK),		/* U+1F600 */
		C("\"\xf4\x8f\xbf\xbf\"", JS_OK),		/* U+10FFFF */
		C("\"\xef\xbc\x91\xef\xbc\x92\"", JS_OK),	/* fullwidth 1 2 */
		/* overlong forms */
		C("\"\xc0\x80\"", JS_EUTF8),
		C("\"\xc0\xaf\"", JS_EUTF8),
		C("\"\xc1\xbf\"", JS_EUTF8),
		C("\"\xe0\x80\x80\"", JS_EUTF8),
		C("\"\xe0\x80\xaf\"", JS_EUTF8),
		C("\"\xe0\x9f\xbf\"", JS_EUTF8),
		C("\"\xf0\x80\x80\x80\"", JS_EUTF8),
		C("\"\xf0\x8f\xbf\xbf\"", JS_EUTF8),
		/* UTF-16 surrogates encoded in UTF-8 */
		C("\"\xed\xa0\x80\"", JS_EUTF8),		/* U+D800 */
		C("\"\xed\xaf\xbf\"", JS_EUTF8),		/* U+DBFF */
		C("\"\xed\xb0\x80\"", JS_EUTF8),		/* U+DC00 */
		C("\"\xed\xbf\xbf\"", JS_EUTF8),		/* U+DFFF */
		C("\"\xed\xa0\xbd\xed\xb8\x80\"", JS_EUTF8),	/* CESU-8 pair */
		/* above U+10FFFF */
		C("\"\xf4\x90\x80\x80\"", JS_EUTF8),
		C("\"\xf5\x80\x80\x80\"", JS_EUTF8),
		C("\"\xf7\xbf\xbf\xbf\"", JS_EUTF8),
		C("\"\xf8\x88\x80\x80\x80\"", JS_EUTF8),
		C("\"\xfc\x84\x80\x80\x80\x80\"", JS_EUTF8),
		/* bytes that never appear */
		C("\"\xfe\"", JS_EUTF8),
		C("\"\xff\"", JS_EUTF8),
		/* stray continuation bytes */
		C("\"\x80\"", JS_EUTF8),
		C("\"\xbf\"", JS_EUTF8),
		C("\"a\xc3\xa9\xa9\"", JS_EUTF8),
		/* truncated sequences, before the quote and at the end */
		C("\"\xc3\"", JS_EUTF8),
		C("\"\xe2\x82\"", JS_EUTF8),
		C("\"\xe2\"", JS_EUTF8),
		C("\"\xf0\x9f\x98\"", JS_EUTF8),
		C("\"\xf0\x9f\"", JS_EUTF8),
		C("\"\xc3", JS_EUTF8),
		C("\"\xe2\x82", JS_EUTF8),
		C("\"\xf0\x9f\x98", JS_EUTF8),
		C("\"\xc3x\"", JS_EUTF8),
		C("\"\xe2\x82x\"", JS_EUTF8),
		/* invalid UTF-8 in a key, inside containers */
		C("{\"\xff\":1}", JS_EUTF8),
		C("[1,\"\xed\xa0\x80\"]", JS_EUTF8),
		C("{\"a\":{\"b\":[\"\xc0\x80\"]}}", JS_EUTF8),
		/* non-ASCII bytes outside strings are just not JSON */
		C("\xc3\xa9", JS_ESYNTAX),
		C("\xef\xbb\xbf{}", JS_ESYNTAX),		/* a BOM */
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_validate_containers(void **state)
{
	static const struct vcase cases[] = {
		C("[]", JS_OK),
		C("{}", JS_OK),
		C("[ ]", JS_OK),
		C("{ \n }", JS_OK),
		C("[1,\"a\",true,false,null,[],{}]", JS_OK),
		C(" { \"a\" : [ 1 , 2 , { \"b\" : null } ] , \"c\":\"d\" } ", JS_OK),
		C("{\"a\":1,\"a\":2}", JS_OK),	/* duplicate names are valid JSON */
		C("{\"\":0}", JS_OK),
		C("[[[[]]]]", JS_OK),
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_validate_length_bounds(void **state)
{
	(void)state;
	/* Only len bytes are read: the rest of the C string does not count. */
	assert_int_equal(js_validate("[1,2]", 4), JS_ESYNTAX);
	assert_int_equal(js_validate("truex", 4), JS_OK);
	assert_int_equal(js_validate("\"ab\"cd", 4), JS_OK);
	assert_int_equal(js_validate("\"ab\"cd", 3), JS_ESYNTAX);
	assert_int_equal(js_validate("\"\\u0041\"", 6), JS_ESYNTAX);
	assert_int_equal(js_validate("12", 1), JS_OK);
	assert_int_equal(js_validate("1e5", 2), JS_ESYNTAX);
	assert_int_equal(js_validate("x", 0), JS_ESYNTAX);
}

/* n opening brackets of kind open, then n closing ones. Caller frees. */
static char *
nested(int n, int objects, int closed)
{
	char	*s = malloc((size_t)n * 10 + 16), *p = s;
	int	 i;

	assert_non_null(s);
	for (i = 0; i < n; i++) {
		if (objects)
			p += sprintf(p, "{\"k\":");
		else
			*p++ = '[';
	}
	p += sprintf(p, "1");
	if (closed)
		for (i = 0; i < n; i++)
			*p++ = objects ? '}' : ']';
	*p = '\0';
	return s;
}

static enum js_err
validate_nested(int n, int objects, int closed)
{
	char		*s = nested(n, objects, closed);
	enum js_err	 rc = js_validate(s, strlen(s));

	free(s);
	return rc;
}

static void
test_validate_depth(void **state)
{
	(void)state;
	/* JS_MAX_DEPTH containers nest; one more is refused. */
	assert_int_equal(JS_MAX_DEPTH, 64);
	assert_int_equal(validate_nested(1, 0, 1), JS_OK);
	assert_int_equal(validate_nested(63, 0, 1), JS_OK);
	assert_int_equal(validate_nested(64, 0, 1), JS_OK);
	assert_int_equal(validate_nested(65, 0, 1), JS_EDEPTH);
	assert_int_equal(validate_nested(64, 1, 1), JS_OK);
	assert_int_equal(validate_nested(65, 1, 1), JS_EDEPTH);
	/* Refused before the missing closers are even seen. */
	assert_int_equal(validate_nested(65, 0, 0), JS_EDEPTH);
	assert_int_equal(validate_nested(64, 0, 0), JS_ESYNTAX);
	/* No recursion past the limit: a deep input is cheap and safe. */
	assert_int_equal(validate_nested(100000, 0, 1), JS_EDEPTH);
	assert_int_equal(validate_nested(100000, 1, 0), JS_EDEPTH);
	/* Depth counts nesting, not siblings. */
	assert_int_equal(VAL("[[],[],[[]],{\"a\":[]}]"), JS_OK);
}

/* 2 * pairs alternating levels "[{"a":...}]", inside extra '[' wrappers. */
static enum js_err
validate_alternating(int pairs, int extra)
{
	char	buf[1024], *p = buf;
	int	i;

	for (i = 0; i < extra; i++)
		*p++ = '[';
	for (i = 0; i < pairs; i++)
		p += sprintf(p, "[{\"a\":");
	p += sprintf(p, "0");
	for (i = 0; i < pairs; i++)
		p += sprintf(p, "}]");
	for (i = 0; i < extra; i++)
		*p++ = ']';
	*p = '\0';
	return js_validate(buf, strlen(buf));
}

static void
test_validate_depth_mixed(void **state)
{
	(void)state;
	assert_int_equal(validate_alternating(32, 0), JS_OK);	/* 64 levels */
	assert_int_equal(validate_alternating(32, 1), JS_EDEPTH);	/* 65 */
	assert_int_equal(validate_alternating(31, 2), JS_OK);	/* 64 */
}

static void
test_iter_object_members(void **state)
{
	static const char	 doc[] =
	    "  {\"a\":1, \"b\" : \"x\",\"c\":[1, 2],\"d\":{\"e\":null}}  ";
	struct js_iter		 it;
	struct js_span		 key, val;

	(void)state;
	assert_int_equal(js_iter_object(&it, SPAN(doc)), JS_OK);
	assert_int_equal(js_next_member(&it, &key, &val), JS_OK);
	assert_true(js_key_is(key, "a"));
	assert_int_equal(val.len, 1);
	assert_memory_equal(val.p, "1", 1);
	assert_int_equal(it.count, 1);

	assert_int_equal(js_next_member(&it, &key, &val), JS_OK);
	assert_true(js_key_is(key, "b"));
	assert_false(js_key_is(key, "a"));
	assert_false(js_key_is(key, "bb"));
	assert_false(js_key_is(key, ""));
	assert_int_equal(val.len, 3);
	assert_memory_equal(val.p, "\"x\"", 3);
	assert_true(js_is_string(val));
	assert_false(js_is_array(val));

	assert_int_equal(js_next_member(&it, &key, &val), JS_OK);
	assert_true(js_key_is(key, "c"));
	assert_int_equal(val.len, 6);
	assert_memory_equal(val.p, "[1, 2]", 6);
	assert_true(js_is_array(val));
	assert_false(js_is_string(val));

	assert_int_equal(js_next_member(&it, &key, &val), JS_OK);
	assert_true(js_key_is(key, "d"));
	assert_int_equal(val.len, strlen("{\"e\":null}"));
	assert_memory_equal(val.p, "{\"e\":null}", val.len);
	assert_int_equal(it.count, 4);

	assert_int_equal(js_next_member(&it, &key, &val), JS_END);
	assert_true(js_at_end(&it));
}

static void
test_iter_empty_and_types(void **state)
{
	struct js_iter	it;
	struct js_span	key, val;

	(void)state;
	assert_int_equal(js_iter_object(&it, SPAN("{}")), JS_OK);
	assert_int_equal(js_next_member(&it, &key, &val), JS_END);
	assert_true(js_at_end(&it));
	assert_int_equal(js_iter_object(&it, SPAN(" { } ")), JS_OK);
	assert_int_equal(js_next_key(&it, &key), JS_END);
	assert_true(js_at_end(&it));

	assert_int_equal(js_iter_array(&it, SPAN("[]")), JS_OK);
	assert_int_equal(js_next_element(&it, &val), JS_END);
	assert_true(js_at_end(&it));

	/* The wrong type, or nothing at all. */
	assert_int_equal(js_iter_object(&it, SPAN("[1]")), JS_ETYPE);
	assert_int_equal(js_iter_object(&it, SPAN("\"{}\"")), JS_ETYPE);
	assert_int_equal(js_iter_object(&it, SPAN("null")), JS_ETYPE);
	assert_int_equal(js_iter_object(&it, SPAN("1")), JS_ETYPE);
	assert_int_equal(js_iter_array(&it, SPAN("{}")), JS_ETYPE);
	assert_int_equal(js_iter_array(&it, SPAN("\"[]\"")), JS_ETYPE);
	assert_int_equal(js_iter_object(&it, SPAN("")), JS_ESYNTAX);
	assert_int_equal(js_iter_object(&it, SPAN("   ")), JS_ESYNTAX);
	assert_int_equal(js_iter_array(&it, SPAN("")), JS_ESYNTAX);
}

static void
test_iter_trailing(void **state)
{
	struct js_iter	it;
	struct js_span	key, val;

	(void)state;
	assert_int_equal(js_iter_object(&it, SPAN("{\"a\":1} x")), JS_OK);
	assert_int_equal(js_next_member(&it, &key, &val), JS_OK);
	assert_int_equal(js_next_member(&it, &key, &val), JS_END);
	assert_false(js_at_end(&it));

	assert_int_equal(js_iter_object(&it, SPAN("{\"a\":1}{}")), JS_OK);
	assert_int_equal(js_next_member(&it, &key, &val), JS_OK);
	assert_int_equal(js_next_member(&it, &key, &val), JS_END);
	assert_false(js_at_end(&it));

	assert_int_equal(js_iter_array(&it, SPAN("[1] \r\n\t")), JS_OK);
	assert_int_equal(js_next_element(&it, &val), JS_OK);
	assert_int_equal(js_next_element(&it, &val), JS_END);
	assert_true(js_at_end(&it));
}

/* Walk an object to its first error or JS_END. */
static enum js_err
walk_object(const char *s)
{
	struct js_iter	it;
	struct js_span	key, val;
	enum js_err	rc;

	if ((rc = js_iter_object(&it, (struct js_span){ s, strlen(s) })) != JS_OK)
		return rc;
	while ((rc = js_next_member(&it, &key, &val)) == JS_OK)
		;
	return rc;
}

static enum js_err
walk_array(const char *s, int *count)
{
	struct js_iter	it;
	struct js_span	val;
	enum js_err	rc;

	*count = 0;
	if ((rc = js_iter_array(&it, (struct js_span){ s, strlen(s) })) != JS_OK)
		return rc;
	while ((rc = js_next_element(&it, &val)) == JS_OK)
		(*count)++;
	return rc;
}

static void
test_iter_object_errors(void **state)
{
	(void)state;
	assert_int_equal(walk_object("{\"a\":1}"), JS_END);
	assert_int_equal(walk_object("{\"a\":1,}"), JS_ESYNTAX);
	assert_int_equal(walk_object("{,\"a\":1}"), JS_ESYNTAX);
	assert_int_equal(walk_object("{\"a\" 1}"), JS_ESYNTAX);
	assert_int_equal(walk_object("{\"a\":1 \"b\":2}"), JS_ESYNTAX);
	assert_int_equal(walk_object("{\"a\":}"), JS_ESYNTAX);
	assert_int_equal(walk_object("{\"a\":1"), JS_ESYNTAX);
	assert_int_equal(walk_object("{\"a\":"), JS_ESYNTAX);
	assert_int_equal(walk_object("{\"a"), JS_ESYNTAX);
	assert_int_equal(walk_object("{"), JS_ESYNTAX);
	assert_int_equal(walk_object("{a:1}"), JS_ESYNTAX);
	assert_int_equal(walk_object("{\"a\":[1,]}"), JS_ESYNTAX);
	assert_int_equal(walk_object("{\"a\":01}"), JS_ESYNTAX);
	assert_int_equal(walk_object("{\"a\":\"\xff\"}"), JS_EUTF8);
	assert_int_equal(walk_object("{\"\xc0\x80\":1}"), JS_EUTF8);
	assert_int_equal(walk_object("{\"a\":\"\\ud800\"}"), JS_EUTF8);
	assert_int_equal(walk_object("{\"a\":1]"), JS_ESYNTAX);
}

static void
test_iter_array_elements(void **state)
{
	static const char	 doc[] = "[1, \"two\" , [3],{\"x\":4},null ]";
	struct js_iter		 it;
	struct js_span		 v;
	int			 n;

	(void)state;
	assert_int_equal(js_iter_array(&it, SPAN(doc)), JS_OK);
	assert_int_equal(js_next_element(&it, &v), JS_OK);
	assert_int_equal(v.len, 1);
	assert_memory_equal(v.p, "1", 1);
	assert_int_equal(js_next_element(&it, &v), JS_OK);
	assert_int_equal(v.len, 5);
	assert_memory_equal(v.p, "\"two\"", 5);
	assert_int_equal(js_next_element(&it, &v), JS_OK);
	assert_int_equal(v.len, 3);
	assert_memory_equal(v.p, "[3]", 3);
	assert_int_equal(js_next_element(&it, &v), JS_OK);
	assert_int_equal(v.len, 7);
	assert_memory_equal(v.p, "{\"x\":4}", 7);
	assert_int_equal(js_next_element(&it, &v), JS_OK);
	assert_int_equal(v.len, 4);
	assert_memory_equal(v.p, "null", 4);
	assert_int_equal(it.count, 5);
	assert_int_equal(js_next_element(&it, &v), JS_END);
	assert_true(js_at_end(&it));

	assert_int_equal(walk_array("[1,2,3]", &n), JS_END);
	assert_int_equal(n, 3);
	assert_int_equal(walk_array("[1,]", &n), JS_ESYNTAX);
	assert_int_equal(walk_array("[,1]", &n), JS_ESYNTAX);
	assert_int_equal(walk_array("[1 2]", &n), JS_ESYNTAX);
	assert_int_equal(walk_array("[1,,2]", &n), JS_ESYNTAX);
	assert_int_equal(walk_array("[1", &n), JS_ESYNTAX);
	assert_int_equal(walk_array("[1}", &n), JS_ESYNTAX);
	assert_int_equal(walk_array("[\"\xed\xa0\x80\"]", &n), JS_EUTF8);
}

static void
test_iter_two_step(void **state)
{
	static const char	 doc[] =
	    "{\"list\" : [1,{\"x\":[2]}, 3] ,\"skip\":{\"y\":[]},\"after\":true}";
	struct js_iter		 it, child;
	struct js_span		 key, val;

	(void)state;
	assert_int_equal(js_iter_object(&it, SPAN(doc)), JS_OK);

	/* Walk the first value in place with a child iterator. */
	assert_int_equal(js_next_key(&it, &key), JS_OK);
	assert_true(js_key_is(key, "list"));
	assert_int_equal(js_iter_array_in(&child, &it), JS_OK);
	assert_int_equal(js_next_element(&child, &val), JS_OK);
	assert_memory_equal(val.p, "1", 1);
	assert_int_equal(js_next_element(&child, &val), JS_OK);
	assert_int_equal(val.len, strlen("{\"x\":[2]}"));
	assert_memory_equal(val.p, "{\"x\":[2]}", val.len);
	assert_int_equal(js_next_element(&child, &val), JS_OK);
	assert_memory_equal(val.p, "3", 1);
	assert_int_equal(js_next_element(&child, &val), JS_END);
	/* The child's rest is the parent's rest: not at the end. */
	assert_false(js_at_end(&child));
	js_resume(&it, &child);
	assert_int_equal(it.count, 1);

	/* Skip the second value. */
	assert_int_equal(js_next_key(&it, &key), JS_OK);
	assert_true(js_key_is(key, "skip"));
	assert_int_equal(js_skip(&it, &val), JS_OK);
	assert_int_equal(val.len, strlen("{\"y\":[]}"));
	assert_memory_equal(val.p, "{\"y\":[]}", val.len);
	assert_int_equal(it.count, 2);

	assert_int_equal(js_next_member(&it, &key, &val), JS_OK);
	assert_true(js_key_is(key, "after"));
	assert_memory_equal(val.p, "true", 4);
	assert_int_equal(val.len, 4);
	assert_int_equal(it.count, 3);
	assert_int_equal(js_next_member(&it, &key, &val), JS_END);
	assert_true(js_at_end(&it));
}

static void
test_iter_rest_type_mismatch(void **state)
{
	static const char	 doc[] = "{\"list\":\"not an array\",\"n\":5}";
	struct js_iter		 it, child;
	struct js_span		 key, val;

	(void)state;
	assert_int_equal(js_iter_object(&it, SPAN(doc)), JS_OK);
	assert_int_equal(js_next_key(&it, &key), JS_OK);
	assert_int_equal(js_iter_array_in(&child, &it), JS_ETYPE);
	/* Still skippable in place. */
	assert_int_equal(js_skip(&it, &val), JS_OK);
	assert_true(js_is_string(val));
	assert_int_equal(js_next_member(&it, &key, &val), JS_OK);
	assert_true(js_key_is(key, "n"));
	assert_int_equal(js_next_member(&it, &key, &val), JS_END);
}

static void
test_iter_child_error(void **state)
{
	static const char	 doc[] = "{\"list\":[1,2,],\"n\":5}";
	struct js_iter		 it, child;
	struct js_span		 key, val;
	enum js_err		 rc;

	(void)state;
	assert_int_equal(js_iter_object(&it, SPAN(doc)), JS_OK);
	assert_int_equal(js_next_key(&it, &key), JS_OK);
	assert_int_equal(js_iter_array_in(&child, &it), JS_OK);
	while ((rc = js_next_element(&child, &val)) == JS_OK)
		;
	assert_int_equal(rc, JS_ESYNTAX);
}

static void
test_iter_depth(void **state)
{
	char		*inner, *doc;
	struct js_iter	 it;
	struct js_span	 key, val;

	(void)state;
	/* {"a": <63 levels>}: 64 in all, like js_validate accepts. */
	inner = nested(63, 0, 1);
	assert_non_null(doc = malloc(strlen(inner) + 16));
	sprintf(doc, "{\"a\":%s}", inner);
	assert_int_equal(js_validate(doc, strlen(doc)), JS_OK);
	assert_int_equal(js_iter_object(&it, (struct js_span){ doc, strlen(doc) }),
	    JS_OK);
	assert_int_equal(js_next_member(&it, &key, &val), JS_OK);
	assert_int_equal(val.len, strlen(inner));
	free(inner);
	free(doc);

	/* 65 in all: both refuse. */
	inner = nested(64, 0, 1);
	assert_non_null(doc = malloc(strlen(inner) + 16));
	sprintf(doc, "{\"a\":%s}", inner);
	assert_int_equal(js_validate(doc, strlen(doc)), JS_EDEPTH);
	assert_int_equal(js_iter_object(&it, (struct js_span){ doc, strlen(doc) }),
	    JS_OK);
	assert_int_equal(js_next_member(&it, &key, &val), JS_EDEPTH);
	free(inner);
	free(doc);

	/*
	 * An element of a child array: {"p":[<62 levels>]} is 64 in all and
	 * passes; 63 levels make 65, which js_validate refuses, and so does
	 * the child iterator (its elements sit one level deeper).
	 */
	for (int levels = 62; levels <= 63; levels++) {
		struct js_iter	child;
		enum js_err	want = levels == 62 ? JS_OK : JS_EDEPTH;

		inner = nested(levels, 1, 1);
		assert_non_null(doc = malloc(strlen(inner) + 16));
		sprintf(doc, "{\"p\":[%s]}", inner);
		assert_int_equal(js_validate(doc, strlen(doc)), want);
		assert_int_equal(js_iter_object(&it,
		    (struct js_span){ doc, strlen(doc) }), JS_OK);
		assert_int_equal(js_next_key(&it, &key), JS_OK);
		assert_int_equal(js_iter_array_in(&child, &it), JS_OK);
		assert_int_equal(js_next_element(&child, &val), want);
		free(inner);
		free(doc);
	}
}

static void
test_key_is_raw(void **state)
{
	static const char	 doc[] = "{\"a\\\"b\":1,\"\\u0061\":2}";
	struct js_iter		 it;
	struct js_span		 key, val;

	(void)state;
	assert_int_equal(js_iter_object(&it, SPAN(doc)), JS_OK);
	assert_int_equal(js_next_member(&it, &key, &val), JS_OK);
	/* Raw text between the quotes, escapes as written. */
	assert_int_equal(key.len, 4);
	assert_memory_equal(key.p, "a\\\"b", 4);
	assert_false(js_key_is(key, "a\"b"));
	assert_true(js_key_is(key, "a\\\"b"));
	assert_int_equal(js_next_member(&it, &key, &val), JS_OK);
	/* "\u0061" is "a" once decoded, but never matches the plain "a". */
	assert_false(js_key_is(key, "a"));
	assert_int_equal(js_next_member(&it, &key, &val), JS_END);
}

/*
 * js_key_equals decodes escapes only when the key has any: both ways give
 * the same answer.
 */
static void
test_key_equals(void **state)
{
	static const char	 doc[] =
	    "{\"zoomCallId\":1,\"zoom\\u0043allId\":2,\"zoomCallI\":3,"
	    "\"zoomCallIdx\":4,\"\\u007aoomCallId\\/\":5,\"a\\\"b\":6}";
	static const int	 want[] = { 1, 1, 0, 0, 0, 0 };
	struct js_iter		 it;
	struct js_span		 key, val;
	size_t			 i;

	(void)state;
	assert_int_equal(js_iter_object(&it, SPAN(doc)), JS_OK);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(js_next_member(&it, &key, &val), JS_OK);
		if (js_key_equals(key, "zoomCallId") != want[i])
			fail_msg("key %zu (%.*s)", i, (int)key.len, key.p);
	}
	assert_int_equal(js_next_member(&it, &key, &val), JS_END);
	/* The last key, a"b, decoded. */
	assert_true(js_key_equals(key, "a\"b"));
	assert_false(js_key_equals(key, "a\\\"b"));
}

/*
 * Strings are scanned a word of 8 bytes at a time: put one byte of each
 * kind at every offset of strings 1 to 24 bytes long, so that it falls in
 * every lane of a word and in the byte-by-byte tail, and let the input end
 * at every offset too (an exact-size copy: ASan sees any read past it).
 */
static enum js_err
validate_copy(const char *s, size_t len)
{
	char		*c = malloc(len ? len : 1);
	enum js_err	 rc;

	assert_non_null(c);
	memcpy(c, s, len);
	rc = js_validate(c, len);
	free(c);
	return rc;
}

static void
test_string_every_offset(void **state)
{
	static const struct {
		const char	*ins;	/* put at the offset */
		enum js_err	 want;
	} kinds[] = {
		{ "\x01", JS_ESYNTAX }, { "\x1f", JS_ESYNTAX }, { "\t", JS_ESYNTAX },
		{ " ", JS_OK }, { "\x7f", JS_OK }, { "~", JS_OK },
		{ "\x80", JS_EUTF8 }, { "\xff", JS_EUTF8 }, { "\xc3", JS_EUTF8 },
		{ "\xc3\xa9", JS_OK }, { "\xe2\x82\xac", JS_OK },
		{ "\xf0\x9f\x98\x80", JS_OK }, { "\xed\xa0\x80", JS_EUTF8 },
		{ "\\n", JS_OK }, { "\\\"", JS_OK }, { "\\u00e9", JS_OK },
		{ "\\q", JS_ESYNTAX }, { "\"", JS_ESYNTAX },	/* ends it early */
	};
	char	buf[64];
	size_t	len, at, k, n, ins;

	(void)state;
	for (len = 1; len <= 24; len++)
		for (at = 0; at < len; at++)
			for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
				ins = strlen(kinds[k].ins);
				n = 0;
				buf[n++] = '"';
				memset(buf + n, 'a', at);
				n += at;
				memcpy(buf + n, kinds[k].ins, ins);
				n += ins;
				memset(buf + n, 'b', len - at - 1);
				n += len - at - 1;
				buf[n++] = '"';
				if (validate_copy(buf, n) != kinds[k].want)
					fail_msg("kind %zu at %zu of %zu", k, at, len);
				/*
				 * Without its closing quote: never JSON (but a
				 * quote put last closes the string itself).
				 */
				if (!(kinds[k].ins[0] == '"' && at == len - 1) &&
				    validate_copy(buf, n - 1) == JS_OK)
					fail_msg("kind %zu at %zu of %zu, cut", k, at,
					    len);
			}
	/* Plain runs that end exactly at the end of the input, unclosed. */
	memset(buf, 'a', sizeof(buf));
	buf[0] = '"';
	for (len = 1; len <= sizeof(buf); len++)
		assert_int_equal(validate_copy(buf, len), JS_ESYNTAX);
}

/* The stack of open containers closes each with its own bracket. */
static void
test_validate_closers(void **state)
{
	static const struct vcase cases[] = {
		C("[{\"a\":[1,{}]},[[]],{\"b\":{\"c\":[]}}]", JS_OK),
		C("{\"a\":[{\"b\":[{}]}]}", JS_OK),
		C("[{\"a\":[1]]}", JS_ESYNTAX),
		C("{\"a\":[{\"b\":1]}}", JS_ESYNTAX),
		C("[[{}]}", JS_ESYNTAX),
		C("{\"a\":{\"b\":[]]}", JS_ESYNTAX),
		C("[{},{\"a\":1},[]", JS_ESYNTAX),
		C("[1,[2,[3]],4]]", JS_ESYNTAX),
		C("{\"a\":[],\"b\":{},\"c\":[{}]} ", JS_OK),
		C("[[],{}1]", JS_ESYNTAX),
		C("{\"a\":{}\"b\":1}", JS_ESYNTAX),
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_is_string_array(void **state)
{
	(void)state;
	assert_true(js_is_string(SPAN("\"\"")));
	assert_true(js_is_string(SPAN("\"abc\"")));
	assert_false(js_is_string(SPAN("\"")));
	assert_false(js_is_string(SPAN("")));
	assert_false(js_is_string(SPAN("null")));
	assert_false(js_is_string(SPAN("[\"a\"]")));
	assert_true(js_is_array(SPAN("[]")));
	assert_false(js_is_array(SPAN("[")));
	assert_false(js_is_array(SPAN("{}")));
	assert_false(js_is_array(SPAN("\"[]\"")));
}

/* Decode lit and compare with want (wantlen bytes). */
static void
check_decode(const char *lit, size_t litlen, const char *want, size_t wantlen)
{
	struct buf	out;
	enum js_err	rc;

	buf_init(&out, 4096);
	rc = js_string_decode((struct js_span){ lit, litlen }, &out);
	if (rc != JS_OK)
		fail_msg("decode %.*s: %s", (int)litlen, lit, js_strerror(rc));
	assert_int_equal(out.len, wantlen);
	/* buf.h: data stays NULL until the first append; "" decodes to none. */
	if (wantlen > 0 || out.data != NULL) {
		assert_memory_equal(out.data, want, wantlen);
		assert_int_equal(out.data[out.len], '\0');
	}
	buf_free(&out);
}

#define DEC(lit, want)	check_decode((lit), sizeof(lit) - 1, (want), sizeof(want) - 1)

static void
test_decode(void **state)
{
	(void)state;
	DEC("\"\"", "");
	DEC("\"plain text\"", "plain text");
	DEC("\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d");
	DEC("\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t");
	DEC("\"\\u0041\"", "A");
	DEC("\"\\u007f\\u0080\"", "\x7f\xc2\x80");
	DEC("\"\\u00e9\\u00E9\"", "\xc3\xa9\xc3\xa9");
	DEC("\"\\u07FF\\u0800\"", "\xdf\xbf\xe0\xa0\x80");
	DEC("\"\\u20ac\"", "\xe2\x82\xac");
	DEC("\"\\uFFFF\"", "\xef\xbf\xbf");
	DEC("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80");
	DEC("\"\\uD800\\uDC00\"", "\xf0\x90\x80\x80");
	DEC("\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf");
	DEC("\"x\\ud83d\\ude00y\\n\"", "x\xf0\x9f\x98\x80y\n");
	DEC("\"\\u0000\"", "\0");		/* one NUL byte, counted */
	DEC("\"a\\u0000b\"", "a\0b");
	DEC("\"\xc3\xa9\xf0\x9f\x98\x80\"", "\xc3\xa9\xf0\x9f\x98\x80");	/* raw UTF-8 */
	DEC("\"\\\\u0041\"", "\\u0041");	/* an escaped backslash, not \u */
	DEC("\"=+/\"", "=+/");
}

static void
test_decode_errors(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out, 4096);
	assert_int_equal(js_string_decode(SPAN("123"), &out), JS_ETYPE);
	assert_int_equal(js_string_decode(SPAN("null"), &out), JS_ETYPE);
	assert_int_equal(js_string_decode(SPAN("[\"a\"]"), &out), JS_ETYPE);
	assert_int_equal(js_string_decode(SPAN(""), &out), JS_ETYPE);
	assert_int_equal(js_string_decode(SPAN("\""), &out), JS_ETYPE);
	/* The span must be exactly one string. */
	assert_int_equal(js_string_decode(SPAN("\"abc\" "), &out), JS_ETYPE);
	assert_int_equal(js_string_decode(SPAN("\"a\"\"b\""), &out), JS_ETYPE);
	assert_int_equal(js_string_decode(SPAN("\"abc"), &out), JS_ESYNTAX);
	assert_int_equal(js_string_decode(SPAN("\"\\q\""), &out), JS_ESYNTAX);
	assert_int_equal(js_string_decode(SPAN("\"\\u12\""), &out), JS_ESYNTAX);
	assert_int_equal(js_string_decode(SPAN("\"a\nb\""), &out), JS_ESYNTAX);
	assert_int_equal(js_string_decode(SPAN("\"\\ud800\""), &out), JS_EUTF8);
	assert_int_equal(js_string_decode(SPAN("\"\\udc00\""), &out), JS_EUTF8);
	assert_int_equal(js_string_decode(SPAN("\"\\ud800\\u0041\""), &out),
	    JS_EUTF8);
	assert_int_equal(js_string_decode(SPAN("\"\xff\""), &out), JS_EUTF8);
	assert_int_equal(js_string_decode(SPAN("\"\xed\xa0\x80\""), &out), JS_EUTF8);
	buf_free(&out);
}

static void
test_decode_span_and_reset(void **state)
{
	static const char	 text[] = "\"ab\\n\"cd\"";
	struct buf		 out;

	(void)state;
	buf_init(&out, 4096);
	/* Old content is replaced, not appended to. */
	assert_int_equal(buf_addstr(&out, "old content"), BUF_OK);
	/* A span inside a longer text: reading stops at its end. */
	assert_int_equal(js_string_decode((struct js_span){ text, 6 }, &out),
	    JS_OK);
	assert_int_equal(out.len, 3);
	assert_string_equal(out.data, "ab\n");
	buf_free(&out);
}

static void
test_decode_cap(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out, 3);
	assert_int_equal(js_string_decode(SPAN("\"abc\""), &out), JS_OK);
	assert_string_equal(out.data, "abc");
	assert_int_equal(js_string_decode(SPAN("\"abcd\""), &out), JS_ENOMEM);
	assert_int_equal(js_string_decode(SPAN("\"ab\\n\\n\""), &out), JS_ENOMEM);
	assert_int_equal(js_string_decode(SPAN("\"ab\\u00e9\""), &out),
	    JS_ENOMEM);
	buf_free(&out);
}

static void
test_strerror(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < JS__MAX; i++) {
		assert_non_null(js_strerror((enum js_err)i));
		assert_string_not_equal(js_strerror((enum js_err)i),
		    "unknown error");
	}
	assert_string_equal(js_strerror(JS_OK), "ok");
	assert_string_equal(js_strerror(JS__MAX), "unknown error");
}

/* Slots for "a" and "bb" only. */
static int
cap_index(const char *k, size_t len)
{
	if (len == 1 && k[0] == 'a')
		return 0;
	if (len == 2 && memcmp(k, "bb", 2) == 0)
		return 1;
	return -1;
}

static void
test_capture(void **state)
{
	static const char doc[] =
	    "[{\"a\": 1, \"x\": {\"a\": 2, \"bb\": [3]}, \"bb\" :{\"c\":[]} },"
	    "{\"bb\":\"s\",\"bb\":\"t\"},"
	    "[{\"a\":5}],"
	    "{},"
	    "{\"a\":tru}]";
	struct js_span	 vals[2], el, all = { doc, sizeof(doc) - 1 };
	struct js_capture cap = { cap_index, vals, 2 };
	struct js_iter	 it;

	(void)state;
	assert_int_equal(js_iter_array(&it, all), JS_OK);
	/* The element's own members, values whole (nested ones not). */
	assert_int_equal(js_next_element_capture(&it, &el, &cap), JS_OK);
	assert_true(js_is_object(el));
	assert_int_equal(vals[0].len, 1);
	assert_memory_equal(vals[0].p, "1", 1);
	assert_int_equal(vals[1].len, 8);
	assert_memory_equal(vals[1].p, "{\"c\":[]}", 8);
	/* A key given twice: the last. */
	assert_int_equal(js_next_element_capture(&it, &el, &cap), JS_OK);
	assert_null(vals[0].p);
	assert_int_equal(vals[1].len, 3);
	assert_memory_equal(vals[1].p, "\"t\"", 3);
	/* Not an object: nothing noted, objects inside it neither. */
	assert_int_equal(js_next_element_capture(&it, &el, &cap), JS_OK);
	assert_null(vals[0].p);
	assert_null(vals[1].p);
	assert_int_equal(js_next_element_capture(&it, &el, &cap), JS_OK);
	assert_null(vals[0].p);
	/* Still a validator. */
	assert_int_equal(js_next_element_capture(&it, &el, &cap), JS_ESYNTAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_scalars),
		cmocka_unit_test(test_validate_bad_numbers),
		cmocka_unit_test(test_validate_bad_syntax),
		cmocka_unit_test(test_validate_strings),
		cmocka_unit_test(test_validate_utf8),
		cmocka_unit_test(test_validate_containers),
		cmocka_unit_test(test_validate_length_bounds),
		cmocka_unit_test(test_validate_depth),
		cmocka_unit_test(test_validate_depth_mixed),
		cmocka_unit_test(test_iter_object_members),
		cmocka_unit_test(test_iter_empty_and_types),
		cmocka_unit_test(test_iter_trailing),
		cmocka_unit_test(test_iter_object_errors),
		cmocka_unit_test(test_iter_array_elements),
		cmocka_unit_test(test_iter_two_step),
		cmocka_unit_test(test_iter_rest_type_mismatch),
		cmocka_unit_test(test_iter_child_error),
		cmocka_unit_test(test_iter_depth),
		cmocka_unit_test(test_key_is_raw),
		cmocka_unit_test(test_key_equals),
		cmocka_unit_test(test_string_every_offset),
		cmocka_unit_test(test_validate_closers),
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_is_string_array),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_decode_span_and_reset),
		cmocka_unit_test(test_decode_cap),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
