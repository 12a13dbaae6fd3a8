/*
 * test_zoom_token.c - the token endpoint answer parser, the request parts
 * built from the configuration, and the in-memory and file caches against
 * a canned token endpoint on 127.0.0.1.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
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
#include "zoom_client.h"
#include "zoom_token.h"

/* ---- ztok_parse ------------------------------------------------------ */

static enum zoom_err
parse(const char *body, char *token, long *exp)
{
	token[0] = '\0';
	*exp = -12345;
	return ztok_parse(body, strlen(body), token, exp);
}

static void
test_parse_valid(void **state)
{
	char	tok[TOKEN_MAX];
	long	exp;

	(void)state;
	assert_int_equal(parse("{\"access_token\":\"eyJhbGciOi.J9-_~+/=\","
	    "\"token_type\":\"bearer\",\"expires_in\":3599,"
	    "\"scope\":\"meeting:read:list_past_participants:admin\","
	    "\"api_url\":\"https://api.zoom.us\"}", tok, &exp), ZOOM_OK);
	assert_string_equal(tok, "eyJhbGciOi.J9-_~+/=");
	assert_int_equal(exp, 3599);

	assert_int_equal(parse(" {\"expires_in\":1,\"access_token\":\"t\"} ",
	    tok, &exp), ZOOM_OK);
	assert_string_equal(tok, "t");
	assert_int_equal(exp, 1);

	/* A fractional lifetime is rounded down. */
	assert_int_equal(parse("{\"access_token\":\"t\",\"expires_in\":3599.9}",
	    tok, &exp), ZOOM_OK);
	assert_int_equal(exp, 3599);

	/* Up to a year. */
	assert_int_equal(parse("{\"access_token\":\"t\",\"expires_in\":31622400}",
	    tok, &exp), ZOOM_OK);
	assert_int_equal(exp, 31622400);
}

static void
test_parse_refused(void **state)
{
	static const char *const bodies[] = {
		/* not JSON, not an object */
		"", " ", "<html>Bad Gateway</html>", "{", "null", "[]",
		"\"access_token\"", "{\"access_token\":\"t\",\"expires_in\":3600",
		/* access_token missing or not a usable string */
		"{\"expires_in\":3600}",
		"{\"access_token\":null,\"expires_in\":3600}",
		"{\"access_token\":123,\"expires_in\":3600}",
		"{\"access_token\":[\"t\"],\"expires_in\":3600}",
		"{\"access_token\":\"\",\"expires_in\":3600}",
		"{\"Access_Token\":\"t\",\"expires_in\":3600}",
		/* it goes into a header line: printable ASCII, no blanks */
		"{\"access_token\":\"ab cd\",\"expires_in\":3600}",
		"{\"access_token\":\" abcd\",\"expires_in\":3600}",
		"{\"access_token\":\"abcd \",\"expires_in\":3600}",
		"{\"access_token\":\"ab\\tcd\",\"expires_in\":3600}",
		"{\"access_token\":\"ab\\r\\nX-Evil: 1\",\"expires_in\":3600}",
		"{\"access_token\":\"ab\\ncd\",\"expires_in\":3600}",
		"{\"access_token\":\"ab\\u0001cd\",\"expires_in\":3600}",
		"{\"access_token\":\"ab\\u007fcd\",\"expires_in\":3600}",
		"{\"access_token\":\"ab\\u00e9cd\",\"expires_in\":3600}",
		"{\"access_token\":\"ab\xc3\xa9" "cd\",\"expires_in\":3600}",
		/* expires_in missing, not a number, or out of range */
		"{\"access_token\":\"t\"}",
		"{\"access_token\":\"t\",\"expires_in\":0}",
		"{\"access_token\":\"t\",\"expires_in\":-1}",
		"{\"access_token\":\"t\",\"expires_in\":-3600}",
		"{\"access_token\":\"t\",\"expires_in\":0.5}",
		"{\"access_token\":\"t\",\"expires_in\":\"3600\"}",
		"{\"access_token\":\"t\",\"expires_in\":null}",
		"{\"access_token\":\"t\",\"expires_in\":true}",
		"{\"access_token\":\"t\",\"expires_in\":[3600]}",
		"{\"access_token\":\"t\",\"expires_in\":31622401}",
		"{\"access_token\":\"t\",\"expires_in\":1e300}",
		/* an OAuth error answer */
		"{\"reason\":\"Invalid client_id or client_secret\",\"error\":\"invalid_client\"}",
	};
	char	tok[TOKEN_MAX];
	long	exp;
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		if (parse(bodies[i], tok, &exp) != ZOOM_EBADRESP)
			fail_msg("accepted: %s", bodies[i]);
}

static void
test_parse_token_length(void **state)
{
	char	*body, tok[TOKEN_MAX];
	long	 exp;

	(void)state;
	assert_non_null(body = malloc(TOKEN_MAX + 64));
	/* TOKEN_MAX - 1 characters fit with the NUL. */
	strcpy(body, "{\"expires_in\":60,\"access_token\":\"");
	memset(body + strlen(body), 'a', TOKEN_MAX - 1);
	strcpy(body + strlen("{\"expires_in\":60,\"access_token\":\"") +
	    TOKEN_MAX - 1, "\"}");
	assert_int_equal(parse(body, tok, &exp), ZOOM_OK);
	assert_int_equal(strlen(tok), TOKEN_MAX - 1);
	/* One more is refused. */
	strcpy(body, "{\"expires_in\":60,\"access_token\":\"");
	memset(body + strlen(body), 'a', TOKEN_MAX);
	strcpy(body + strlen("{\"expires_in\":60,\"access_token\":\"") +
	    TOKEN_MAX, "\"}");
	assert_int_equal(parse(body, tok, &exp), ZOOM_EBADRESP);
	free(body);
}

static void
test_parse_length_respected(void **state)
{
	static const char	 body[] =
	    "{\"access_token\":\"t\",\"expires_in\":60}{{{{";
	char			 tok[TOKEN_MAX];
	long			 exp;

	(void)state;
	assert_int_equal(ztok_parse(body, sizeof(body) - 1 - 4, tok, &exp),
	    ZOOM_OK);
	assert_int_equal(ztok_parse(body, 20, tok, &exp), ZOOM_EBADRESP);
}

/* ---- the configuration and the token endpoint ------------------------- */

static char	 tmpdir[64];

/* A valid configuration for a token endpoint at url. */
static void
load_config(struct config *c, const char *url, const char *cache)
{
	env_set("INTERNAL_API_KEY", "0123456789abcdef");
	env_set("ZOOM_ACCOUNT_ID", "acct/x+y");
	env_set("ZOOM_CLIENT_ID", "abc");
	env_set("ZOOM_CLIENT_SECRET", "def");
	env_set("ZOOM_TOKEN_URL", url);
	env_set("ZOOM_TOKEN_CACHE", cache != NULL ? cache : "");
	cfg_load_from(c, fake_lookup, NULL);
	assert_true(c->ok);
}

static int
setup(void **state)
{
	(void)state;
	env_clear();
	return tmpdir_make(tmpdir, sizeof(tmpdir), "token");
}

static int
teardown(void **state)
{
	(void)state;
	tmpdir_remove(tmpdir);
	return 0;
}

#define TOKEN_ANSWER(tok, exp) \
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n" \
	"Content-Length: " #exp "\r\n\r\n" tok

/* An answer with the right Content-Length for body. Caller frees. */
static char *
answer(int status, const char *extra, const char *body)
{
	char *a;

	assert_true(asprintf(&a, "HTTP/1.1 %d X\r\nConnection: close\r\n%s"
	    "Content-Length: %zu\r\n\r\n%s", status, extra, strlen(body),
	    body) > 0);
	return a;
}

static void
test_init_parts(void **state)
{
	struct config		c;
	struct zoom_tokens	t;

	(void)state;
	load_config(&c, "https://zoom.us/oauth/token", NULL);
	assert_int_equal(ztok_init(&t, &c), 0);
	/* base64("abc:def") */
	assert_string_equal(t.basic, "Authorization: Basic YWJjOmRlZg==");
	/* The account id is form-encoded. */
	assert_string_equal(t.form,
	    "grant_type=account_credentials&account_id=acct%2Fx%2By");
	assert_string_equal(t.url, "https://zoom.us/oauth/token");
	assert_null(t.cache_path);
	assert_string_equal(t.token, "");
	ztok_free(&t);
	assert_null(t.basic);
	assert_null(t.form);
	cfg_free(&c);
}

static void
test_init_base64_padding(void **state)
{
	static const struct {
		const char *id, *secret, *want;
	} cases[] = {
		{ "a", "b", "Authorization: Basic YTpi" },	/* 3 bytes */
		{ "ab", "c", "Authorization: Basic YWI6Yw==" },	/* 4 */
		{ "ab", "cd", "Authorization: Basic YWI6Y2Q=" },	/* 5 */
		{ "Zoom", "S3cr3t~!", "Authorization: Basic Wm9vbTpTM2NyM3R+IQ==" },
	};
	struct config		c;
	struct zoom_tokens	t;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		env_clear();
		env_set("ZOOM_CLIENT_SECRET", cases[i].secret);
		env_set("INTERNAL_API_KEY", "0123456789abcdef");
		env_set("ZOOM_ACCOUNT_ID", "acct");
		env_set("ZOOM_CLIENT_ID", cases[i].id);
		cfg_load_from(&c, fake_lookup, NULL);
		assert_true(c.ok);
		assert_int_equal(ztok_init(&t, &c), 0);
		assert_string_equal(t.basic, cases[i].want);
		ztok_free(&t);
		cfg_free(&c);
	}
}

/*
 * ztok_get for the worker copy l with a fresh Zoom client; rejected: Zoom just
 * refused l->token. The token is then in l->token.
 */
static enum zoom_err
get(struct zoom_tokens *t, struct ztok_local *l, int rejected,
    struct zoom_info *info)
{
	struct zoom_client	zc;
	enum zoom_err		rc;

	memset(info, 0, sizeof(*info));
	assert_int_equal(zc_init(&zc, t), 0);
	rc = ztok_get(t, l, zc_fetch_token, &zc, now_ms() + 5000, rejected,
	    info);
	zc_free(&zc);
	return rc;
}

static void
test_get_and_memory_cache(void **state)
{
	static const char *const answers[] = {
		TOKEN_ANSWER("{\"access_token\":\"tok1\",\"expires_in\":3600}", 41),
		TOKEN_ANSWER("{\"access_token\":\"tok2\",\"expires_in\":3600}", 41),
	};
	struct stub		s;
	struct config		c;
	struct zoom_tokens	t;
	struct ztok_local	l1, l2;
	struct zoom_info	info;
	char			url[128];

	(void)state;
	memset(&l1, 0, sizeof(l1));
	memset(&l2, 0, sizeof(l2));
	assert_int_equal(stub_start(&s, answers, 2), 0);
	stub_url(&s, "/oauth/token", url, sizeof(url));
	load_config(&c, url, NULL);
	assert_int_equal(ztok_init(&t, &c), 0);

	assert_int_equal(get(&t, &l1, 0, &info), ZOOM_OK);
	assert_string_equal(l1.token, "tok1");
	assert_int_equal(info.calls, 1);
	assert_int_equal(info.token_calls, 1);
	assert_true(l1.use_until > time(NULL) + 3600 - TOKEN_MARGIN_S - 5);
	assert_true(l1.use_until <= time(NULL) + 3600 - TOKEN_MARGIN_S);

	/* Cached: no second call, for this worker or another. */
	assert_int_equal(get(&t, &l1, 0, &info), ZOOM_OK);
	assert_string_equal(l1.token, "tok1");
	assert_int_equal(info.calls, 0);
	assert_int_equal(get(&t, &l2, 0, &info), ZOOM_OK);
	assert_string_equal(l2.token, "tok1");
	assert_int_equal(info.calls, 0);

	/* Zoom refused tok1: a new one is fetched. */
	assert_int_equal(get(&t, &l1, 1, &info), ZOOM_OK);
	assert_string_equal(l1.token, "tok2");
	assert_int_equal(info.token_calls, 1);

	/* Another worker still holding tok1 sees the change ... */
	assert_int_equal(get(&t, &l2, 0, &info), ZOOM_OK);
	assert_string_equal(l2.token, "tok2");
	assert_int_equal(info.calls, 0);
	/* ... and refusing the old token does not drop the new one. */
	strcpy(l2.token, "tok1");
	assert_int_equal(get(&t, &l2, 1, &info), ZOOM_OK);
	assert_string_equal(l2.token, "tok2");
	assert_int_equal(info.calls, 0);

	stub_stop(&s);
	assert_int_equal(s.served, 2);
	/* What went to the token endpoint (RFC 6749 4.4, Zoom S2S OAuth). */
	assert_int_equal(stub_count(&s, "POST /oauth/token HTTP/1.1\r\n"), 2);
	assert_int_equal(stub_count(&s,
	    "\r\nAuthorization: Basic YWJjOmRlZg==\r\n"), 2);
	assert_int_equal(stub_count(&s,
	    "grant_type=account_credentials&account_id=acct%2Fx%2By"), 2);
	ztok_free(&t);
	cfg_free(&c);
}

static void
test_get_short_lived(void **state)
{
	static const char *const answers[] = {
		TOKEN_ANSWER("{\"access_token\":\"once1\",\"expires_in\":100}", 41),
		TOKEN_ANSWER("{\"access_token\":\"once2\",\"expires_in\":100}", 41),
	};
	struct stub		s;
	struct config		c;
	struct zoom_tokens	t;
	struct ztok_local	l;
	struct zoom_info	info;
	char			url[128];

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(stub_start(&s, answers, 2), 0);
	stub_url(&s, "/oauth/token", url, sizeof(url));
	load_config(&c, url, NULL);
	assert_int_equal(ztok_init(&t, &c), 0);
	/* Shorter than the margin: used once, never kept. */
	assert_int_equal(get(&t, &l, 0, &info), ZOOM_OK);
	assert_string_equal(l.token, "once1");
	assert_string_equal(t.token, "");
	assert_int_equal(get(&t, &l, 0, &info), ZOOM_OK);
	assert_string_equal(l.token, "once2");
	assert_int_equal(info.token_calls, 1);
	stub_stop(&s);
	ztok_free(&t);
	cfg_free(&c);
}

static void
test_get_errors(void **state)
{
	struct {
		int		 status;
		const char	*extra;
		const char	*body;
		enum zoom_err	 want;
	} cases[] = {
		{ 400, "", "{\"reason\":\"Invalid client_id or client_secret\","
		    "\"error\":\"invalid_client\"}", ZOOM_EAUTH },
		{ 401, "", "{}", ZOOM_EAUTH },
		{ 403, "", "", ZOOM_EAUTH },
		{ 429, "X-RateLimit-Type: Daily-limit\r\nRetry-After: 120\r\n",
		    "{}", ZOOM_ERATE },
		{ 200, "", "{\"access_token\":\"a b\",\"expires_in\":3600}",
		    ZOOM_EBADRESP },
		{ 200, "", "<html>", ZOOM_EBADRESP },
		{ 302, "Location: /x\r\n", "", ZOOM_EBADRESP },
		{ 404, "", "", ZOOM_EBADRESP },
	};
	struct stub		 s;
	struct config		 c;
	struct zoom_tokens	 t;
	struct ztok_local	 l;
	struct zoom_info	 info;
	char			 url[128], *a;
	const char		*answers[1];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&l, 0, sizeof(l));
		a = answer(cases[i].status, cases[i].extra, cases[i].body);
		answers[0] = a;
		assert_int_equal(stub_start(&s, answers, 1), 0);
		stub_url(&s, "/oauth/token", url, sizeof(url));
		env_clear();
		load_config(&c, url, NULL);
		assert_int_equal(ztok_init(&t, &c), 0);
		if (get(&t, &l, 0, &info) != cases[i].want)
			fail_msg("HTTP %d %s: not %d", cases[i].status,
			    cases[i].body, (int)cases[i].want);
		assert_string_equal(t.token, "");
		assert_string_equal(l.token, "");
		if (cases[i].want == ZOOM_ERATE)
			assert_int_equal(info.retry_after, 120);
		/* The log detail never holds the body or a secret. */
		assert_null(strstr(info.why, "client"));
		assert_null(strstr(info.why, "def"));
		stub_stop(&s);
		ztok_free(&t);
		cfg_free(&c);
		free(a);
	}
}

static void
test_get_unavailable(void **state)
{
	static const char *const answers[] = {
		"HTTP/1.1 500 X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 502 X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 503 X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 504 X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
	};
	struct stub		s;
	struct config		c;
	struct zoom_tokens	t;
	struct ztok_local	l;
	struct zoom_info	info;
	char			url[128];

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(stub_start(&s, answers, 4), 0);
	stub_url(&s, "/oauth/token", url, sizeof(url));
	load_config(&c, url, NULL);
	assert_int_equal(ztok_init(&t, &c), 0);
	assert_int_equal(get(&t, &l, 0, &info), ZOOM_EUNAVAILABLE);
	assert_int_equal(info.token_calls, XCHG_MAX_ATTEMPTS);
	stub_stop(&s);
	ztok_free(&t);
	cfg_free(&c);
}

static void
test_file_cache(void **state)
{
	static const char *const answers[] = {
		TOKEN_ANSWER("{\"access_token\":\"filetok\",\"expires_in\":3600}", 44),
		TOKEN_ANSWER("{\"access_token\":\"other\",\"expires_in\":3600}", 42),
		TOKEN_ANSWER("{\"access_token\":\"third\",\"expires_in\":3600}", 42),
	};
	struct stub		 s;
	struct config		 c;
	struct zoom_tokens	 t1, t2;
	struct ztok_local	 l;
	struct zoom_info	 info;
	struct stat		 st;
	char			 url[128], cache[128], text[256];
	FILE			*f;

	(void)state;
	assert_int_equal(stub_start(&s, answers, 3), 0);
	stub_url(&s, "/oauth/token", url, sizeof(url));
	snprintf(cache, sizeof(cache), "%s/token", tmpdir);
	load_config(&c, url, cache);

	/* The first process fetches and writes a private file. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(ztok_init(&t1, &c), 0);
	assert_int_equal(get(&t1, &l, 0, &info), ZOOM_OK);
	assert_string_equal(l.token, "filetok");
	assert_int_equal(info.token_calls, 1);
	assert_int_equal(stat(cache, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_non_null(f = fopen(cache, "r"));
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	assert_memory_equal(text, "za-token-1 ", 11);
	assert_non_null(strstr(text, " filetok\n"));
	assert_null(strstr(text, "def"));	/* never the client secret */

	/* Another (a CGI run, a second process) reads it: no call. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(ztok_init(&t2, &c), 0);
	assert_int_equal(get(&t2, &l, 0, &info), ZOOM_OK);
	assert_string_equal(l.token, "filetok");
	assert_int_equal(info.calls, 0);

	/* Zoom refused it: the file's copy is not used again. */
	assert_int_equal(get(&t2, &l, 1, &info), ZOOM_OK);
	assert_string_equal(l.token, "other");
	assert_int_equal(info.token_calls, 1);
	ztok_free(&t2);

	/* A file of another user is not trusted (checkable as root only). */
	if (geteuid() == 0) {
		static const char *const more[] = {
		    TOKEN_ANSWER("{\"access_token\":\"fourth\",\"expires_in\":3600}", 43),
		};
		struct stub s2;

		assert_int_equal(chown(cache, 65534, 65534), 0);
		assert_int_equal(stub_start(&s2, more, 1), 0);
		stub_url(&s2, "/oauth/token", url, sizeof(url));
		memset(&l, 0, sizeof(l));
		assert_int_equal(ztok_init(&t2, &c), 0);
		t2.url = url;	/* this stand-in, for this fetch only */
		assert_int_equal(get(&t2, &l, 0, &info), ZOOM_OK);
		assert_string_equal(l.token, "fourth");
		assert_int_equal(info.token_calls, 1);
		ztok_free(&t2);
		stub_stop(&s2);
		assert_int_equal(s2.served, 1);
		assert_int_equal(chown(cache, 0, 0), 0);
	}

	/* A file others may read is not trusted. */
	assert_int_equal(chmod(cache, 0644), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(ztok_init(&t2, &c), 0);
	assert_int_equal(get(&t2, &l, 0, &info), ZOOM_OK);
	assert_string_equal(l.token, "third");
	assert_int_equal(info.token_calls, 1);
	ztok_free(&t2);

	stub_stop(&s);
	ztok_free(&t1);
	cfg_free(&c);
}

static void
test_file_cache_other_credentials(void **state)
{
	static const char *const answers[] = {
		TOKEN_ANSWER("{\"access_token\":\"tokA\",\"expires_in\":3600}", 41),
		TOKEN_ANSWER("{\"access_token\":\"tokB\",\"expires_in\":3600}", 41),
	};
	struct stub		s;
	struct config		c;
	struct zoom_tokens	t;
	struct ztok_local	l;
	struct zoom_info	info;
	char			url[128], cache[128];

	(void)state;
	assert_int_equal(stub_start(&s, answers, 2), 0);
	stub_url(&s, "/oauth/token", url, sizeof(url));
	snprintf(cache, sizeof(cache), "%s/token", tmpdir);
	load_config(&c, url, cache);
	memset(&l, 0, sizeof(l));
	assert_int_equal(ztok_init(&t, &c), 0);
	assert_int_equal(get(&t, &l, 0, &info), ZOOM_OK);
	assert_string_equal(l.token, "tokA");
	ztok_free(&t);
	cfg_free(&c);

	/* Another app's cache file holds a token that is not ours. */
	env_set("ZOOM_CLIENT_ID", "another-client");
	cfg_load_from(&c, fake_lookup, NULL);
	assert_true(c.ok);
	memset(&l, 0, sizeof(l));
	assert_int_equal(ztok_init(&t, &c), 0);
	assert_int_equal(get(&t, &l, 0, &info), ZOOM_OK);
	assert_string_equal(l.token, "tokB");
	assert_int_equal(info.token_calls, 1);
	ztok_free(&t);
	cfg_free(&c);
	stub_stop(&s);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_parse_token_length),
		cmocka_unit_test(test_parse_length_respected),
		T(test_init_parts),
		T(test_init_base64_padding),
		T(test_get_and_memory_cache),
		T(test_get_short_lived),
		T(test_get_errors),
		T(test_get_unavailable),
		T(test_file_cache),
		T(test_file_cache_other_credentials),
	};

	return cmocka_run_group_tests(tests, curl_group_setup,
	    curl_group_teardown);
}
