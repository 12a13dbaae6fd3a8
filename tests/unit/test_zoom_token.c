/*
 * test_zoom_token.c - the token endpoint answer parser, the request parts
 * built from the configuration, and the in-memory and file caches against
 * a canned token endpoint on 127.0.0.1.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
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
 * ztok_get for the worker copy l with a fresh Zoom client, a deadline
 * budget_ms away (get: 5 s); rejected: Zoom just refused l->token. The
 * token is then in l->token.
 */
static enum zoom_err
get_within(struct zoom_tokens *t, struct ztok_local *l, int rejected,
    struct zoom_info *info, int budget_ms)
{
	struct zoom_client	zc;
	enum zoom_err		rc;

	memset(info, 0, sizeof(*info));
	assert_int_equal(zc_init(&zc, t), 0);
	rc = ztok_get(t, l, zc_fetch_token, &zc, now_ms() + budget_ms,
	    rejected, info);
	zc_free(&zc);
	return rc;
}

static enum zoom_err
get(struct zoom_tokens *t, struct ztok_local *l, int rejected,
    struct zoom_info *info)
{
	return get_within(t, l, rejected, info, 5000);
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

/* ---- what others can put at ZOOM_TOKEN_CACHE --------------------------- */

/* stderr goes to a file from here to capture_end (log lines). */
static int
capture_begin(const char *path)
{
	int	saved, fd;

	assert_true((saved = dup(STDERR_FILENO)) >= 0);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);
	return saved;
}

/* Back to the real stderr; what was written meanwhile, for the caller to free. */
static char *
capture_end(int saved, const char *path)
{
	char	*text;
	FILE	*f;
	long	 n;

	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	assert_non_null(f = fopen(path, "r"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	assert_non_null(text = calloc(1, (size_t)n + 1));
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(path);
	return text;
}

static int
count_of(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/*
 * A FIFO at the cache's path is not waited on (it blocked open(2) for
 * ever, the process's token lock held): the token is fetched at once,
 * and written over it.
 */
static void
test_file_cache_fifo(void **state)
{
	static const char *const answers[] = {
		TOKEN_ANSWER("{\"access_token\":\"fifotok\",\"expires_in\":3600}", 44),
	};
	struct stub		s;
	struct fifo_rescue	r;
	struct config		c;
	struct zoom_tokens	t;
	struct ztok_local	l;
	struct zoom_info	info;
	struct stat		st;
	char			url[128], cache[128];
	enum zoom_err		rc;
	int64_t			t0, took;

	(void)state;
	assert_int_equal(stub_start(&s, answers, 1), 0);
	stub_url(&s, "/oauth/token", url, sizeof(url));
	snprintf(cache, sizeof(cache), "%s/token", tmpdir);
	assert_int_equal(mkfifo(cache, 0600), 0);
	load_config(&c, url, cache);
	memset(&l, 0, sizeof(l));
	assert_int_equal(ztok_init(&t, &c), 0);
	fifo_rescue_start(&r, cache, 1500);
	t0 = now_ms();
	rc = get(&t, &l, 0, &info);
	took = now_ms() - t0;
	fifo_rescue_stop(&r);
	stub_stop(&s);
	if (took > 1000)
		fail_msg("%lld ms for a token with a FIFO at the cache's path",
		    (long long)took);
	assert_int_equal(rc, ZOOM_OK);
	assert_string_equal(l.token, "fifotok");
	assert_int_equal(info.token_calls, 1);
	/* Replaced by the token file, ours and private. */
	assert_int_equal(lstat(cache, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	ztok_free(&t);
	cfg_free(&c);
}

enum lock_case {
	LC_NO_DIR,		/* the cache's directory does not exist */
	LC_SYMLINK,		/* <cache>.lock is a symlink */
	LC_FIFO,		/* <cache>.lock is a FIFO */
	LC_OPEN_HELD,		/* readable by others, and held by "them" */
	LC_OTHER_USER_HELD,	/* another user's, 0666, held (root only) */
	LC__MAX
};

/*
 * Set up case k in dir (made here) for the cache path cache. The
 * descriptor of a flock held by "another user", or -1.
 */
static int
lock_case_setup(enum lock_case k, const char *dir, char *cache, size_t len)
{
	char	lock[300], other[300];
	int	fd = -1;

	if (k == LC_NO_DIR) {
		snprintf(cache, len, "%s/missing/token", dir);
		return -1;
	}
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(cache, len, "%s/token", dir);
	snprintf(lock, sizeof(lock), "%s.lock", cache);
	switch (k) {
	case LC_SYMLINK:
		snprintf(other, sizeof(other), "%s/elsewhere", dir);
		assert_true((fd = open(other, O_RDWR | O_CREAT, 0600)) >= 0);
		close(fd);
		fd = -1;
		assert_int_equal(symlink(other, lock), 0);
		break;
	case LC_FIFO:
		assert_int_equal(mkfifo(lock, 0600), 0);
		break;
	case LC_OPEN_HELD:
	case LC_OTHER_USER_HELD:
		assert_true((fd = open(lock, O_RDWR | O_CREAT, 0600)) >= 0);
		assert_int_equal(fchmod(fd, k == LC_OPEN_HELD ? 0644 : 0666), 0);
		if (k == LC_OTHER_USER_HELD)
			assert_int_equal(fchown(fd, 65534, 65534), 0);
		/* Another open file description: flock conflicts with it. */
		assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
		break;
	default:
		break;
	}
	return fd;
}

/*
 * A lock file that cannot be ours (today: every request answered 504
 * zoom_timeout for ever): the token is fetched without the file cache,
 * at once, and why is logged once per process.
 */
static void
test_file_cache_lock_unusable(void **state)
{
	static const char *const answers[] = {
		TOKEN_ANSWER("{\"access_token\":\"tokP1\",\"expires_in\":3600}", 42),
		TOKEN_ANSWER("{\"access_token\":\"tokP2\",\"expires_in\":3600}", 42),
		TOKEN_ANSWER("{\"access_token\":\"tokP3\",\"expires_in\":3600}", 42),
	};
	static const char *const names[LC__MAX] = {
		"no directory",			/* LC_NO_DIR */
		"lock is a symlink",		/* LC_SYMLINK */
		"lock is a FIFO",		/* LC_FIFO */
		"lock readable by others, held",	/* LC_OPEN_HELD */
		"another user's lock, held",	/* LC_OTHER_USER_HELD */
	};
	struct stub		 s;
	struct config		 c;
	struct zoom_tokens	 t1, t2;
	struct ztok_local	 l1, l2;
	struct zoom_info	 i1, i2, i3;
	enum zoom_err		 rc1, rc2, rc3;
	char			 url[128], dir[128], cache[256], logf[160];
	char			 first[TOKEN_MAX], *log;
	int			 k, held, saved;
	int64_t			 t0, took;

	(void)state;
	for (k = 0; k < LC__MAX; k++) {
		if (k == LC_OTHER_USER_HELD && geteuid() != 0)
			continue;	/* chown needs root */
		env_clear();
		snprintf(dir, sizeof(dir), "%s/case%d", tmpdir, k);
		held = lock_case_setup((enum lock_case)k, dir, cache,
		    sizeof(cache));
		assert_int_equal(stub_start(&s, answers, 3), 0);
		stub_url(&s, "/oauth/token", url, sizeof(url));
		load_config(&c, url, cache);
		memset(&l1, 0, sizeof(l1));
		memset(&l2, 0, sizeof(l2));
		assert_int_equal(ztok_init(&t1, &c), 0);
		assert_int_equal(ztok_init(&t2, &c), 0);

		snprintf(logf, sizeof(logf), "%s/stderr", tmpdir);
		saved = capture_begin(logf);
		t0 = now_ms();
		/* A process, then another: each fetches its own token. */
		rc1 = get_within(&t1, &l1, 0, &i1, 2000);
		snprintf(first, sizeof(first), "%s", l1.token);
		rc2 = get_within(&t2, &l2, 0, &i2, 2000);
		/* The first again, Zoom refusing its token: logged once. */
		rc3 = get_within(&t1, &l1, 1, &i3, 2000);
		took = now_ms() - t0;
		log = capture_end(saved, logf);
		stub_stop(&s);

		if (rc1 != ZOOM_OK || rc2 != ZOOM_OK || rc3 != ZOOM_OK)
			fail_msg("%s: %d %d %d (%s)", names[k], (int)rc1,
			    (int)rc2, (int)rc3, i1.why);
		if (took > 1500)
			fail_msg("%s: %lld ms", names[k], (long long)took);
		assert_string_equal(first, "tokP1");
		assert_string_equal(l2.token, "tokP2");
		assert_string_equal(l1.token, "tokP3");
		assert_int_equal(i1.token_calls, 1);
		assert_int_equal(i2.token_calls, 1);
		assert_int_equal(i3.token_calls, 1);
		assert_int_equal(s.served, 3);
		/* One line per process, naming the file, never a token. */
		if (count_of(log, "without the file cache") != 2)
			fail_msg("%s: log:\n%s", names[k], log);
		assert_non_null(strstr(log, "token.lock"));
		assert_null(strstr(log, "tokP"));
		free(log);
		/* And no token file written where the lock is not ours. */
		assert_int_not_equal(access(cache, F_OK), 0);
		if (held >= 0)
			close(held);
		ztok_free(&t1);
		ztok_free(&t2);
		cfg_free(&c);
		tmpdir_remove(dir);
	}
}

/* Our own lock, held by another process of ours: waited on until the deadline. */
static void
test_file_cache_lock_held(void **state)
{
	struct config		c;
	struct zoom_tokens	t;
	struct ztok_local	l;
	struct zoom_info	info;
	char			cache[128], lock[160];
	int			fd;
	int64_t			t0, took;

	(void)state;
	snprintf(cache, sizeof(cache), "%s/token", tmpdir);
	snprintf(lock, sizeof(lock), "%s.lock", cache);
	assert_true((fd = open(lock, O_RDWR | O_CREAT, 0600)) >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	/* No token endpoint: nothing may be fetched. */
	load_config(&c, "http://127.0.0.1:9/oauth/token", cache);
	memset(&l, 0, sizeof(l));
	assert_int_equal(ztok_init(&t, &c), 0);
	t0 = now_ms();
	assert_int_equal(get_within(&t, &l, 0, &info, 300), ZOOM_ETIMEOUT);
	took = now_ms() - t0;
	assert_true(took >= 250);
	if (took > 1000)
		fail_msg("%lld ms past a 300 ms deadline", (long long)took);
	assert_int_equal(info.calls, 0);
	assert_non_null(strstr(info.why, "lock"));
	close(fd);
	ztok_free(&t);
	cfg_free(&c);
}

struct holder {
	struct zoom_tokens	*t;
	int			 held;		/* set once it holds t->lock */
	int			 hold_ms;
};

static void *
hold_lock(void *arg)
{
	struct holder	*h = arg;
	struct timespec	 ts = { h->hold_ms / 1000,
			    (h->hold_ms % 1000) * 1000000L };

	pthread_mutex_lock(&h->t->lock);
	__atomic_store_n(&h->held, 1, __ATOMIC_RELEASE);
	nanosleep(&ts, NULL);
	pthread_mutex_unlock(&h->t->lock);
	return NULL;
}

/*
 * Another thread holds the process's token lock past this request's
 * deadline (a slow refresh for the workflow, say): the request gives up
 * at its deadline instead of waiting for it.
 */
static void
test_token_lock_deadline(void **state)
{
	struct config		c;
	struct zoom_tokens	t;
	struct ztok_local	l;
	struct zoom_info	info;
	struct holder		h;
	pthread_t		tid;
	enum zoom_err		rc;
	int64_t			t0, took;

	(void)state;
	load_config(&c, "http://127.0.0.1:9/oauth/token", NULL);
	memset(&l, 0, sizeof(l));
	assert_int_equal(ztok_init(&t, &c), 0);
	h.t = &t;
	h.held = 0;
	h.hold_ms = 1500;
	assert_int_equal(pthread_create(&tid, NULL, hold_lock, &h), 0);
	while (!__atomic_load_n(&h.held, __ATOMIC_ACQUIRE))
		usleep(1000);
	t0 = now_ms();
	rc = get_within(&t, &l, 0, &info, 300);
	took = now_ms() - t0;
	pthread_join(tid, NULL);
	assert_int_equal(rc, ZOOM_ETIMEOUT);
	if (took > 1000)
		fail_msg("%lld ms past a 300 ms deadline", (long long)took);
	assert_int_equal(info.calls, 0);
	ztok_free(&t);
	cfg_free(&c);
}

/*
 * --check-config's look at the cache path: what would make ztok_get go
 * without the file cache is named; nothing is created.
 */
static void
test_cache_check(void **state)
{
	static const struct {
		enum lock_case	 k;
		const char	*want;
	} cases[] = {
		{ LC_NO_DIR, "/missing is missing" },
		{ LC_SYMLINK, "token.lock is not a regular file" },
		{ LC_FIFO, "token.lock is not a regular file" },
		{ LC_OPEN_HELD, "token.lock is accessible by group or others" },
		{ LC_OTHER_USER_HELD, "token.lock is not ours" },
	};
	char		 dir[128], cache[256], path[300], why[1024];
	size_t		 i;
	int		 fd;
	DIR		*d;
	struct dirent	*de;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		if (cases[i].k == LC_OTHER_USER_HELD && geteuid() != 0)
			continue;
		snprintf(dir, sizeof(dir), "%s/check%zu", tmpdir, i);
		fd = lock_case_setup(cases[i].k, dir, cache, sizeof(cache));
		assert_int_equal(ztok_cache_check(cache, why, sizeof(why)), -1);
		if (strstr(why, cases[i].want) == NULL)
			fail_msg("case %zu: %s", i, why);
		if (fd >= 0)
			close(fd);
		tmpdir_remove(dir);
	}

	/* A private directory, empty: fine, and still empty. */
	snprintf(dir, sizeof(dir), "%s/good", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(cache, sizeof(cache), "%s/token", dir);
	assert_int_equal(ztok_cache_check(cache, why, sizeof(why)), 0);
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			fail_msg("created %s", de->d_name);
	closedir(d);

	/* With its token and lock files, as ztok_get leaves them: fine. */
	snprintf(path, sizeof(path), "%s.lock", cache);
	assert_true((fd = open(path, O_RDWR | O_CREAT, 0600)) >= 0);
	close(fd);
	assert_true((fd = open(cache, O_RDWR | O_CREAT, 0600)) >= 0);
	close(fd);
	assert_int_equal(ztok_cache_check(cache, why, sizeof(why)), 0);

	/* A FIFO, or (as root) another user's file, as the token file. */
	assert_int_equal(unlink(cache), 0);
	assert_int_equal(mkfifo(cache, 0600), 0);
	assert_int_equal(ztok_cache_check(cache, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "the token file"));
	assert_int_equal(unlink(cache), 0);
	if (geteuid() == 0) {
		assert_true((fd = open(cache, O_RDWR | O_CREAT, 0600)) >= 0);
		assert_int_equal(fchown(fd, 65534, 65534), 0);
		close(fd);
		assert_int_equal(ztok_cache_check(cache, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "the token file"));
		assert_int_equal(unlink(cache), 0);
	}

	/* A directory others may write (a shared /tmp): said. */
	assert_int_equal(chmod(dir, 01777), 0);
	assert_int_equal(ztok_cache_check(cache, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "writable by group or others"));

	/* A file where the directory should be. */
	snprintf(cache, sizeof(cache), "%s/token.lock/token", dir);
	assert_int_equal(ztok_cache_check(cache, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "is not a directory"));
	assert_int_equal(unlink(path), 0);
	tmpdir_remove(dir);
}

/*
 * Single flight: threads that all need a token at once cause one fetch;
 * the others wait for its result. The fetch is slow (200 ms), so every
 * thread asks while it runs.
 */
#define FLIGHT_THREADS	8

struct flight {
	struct zoom_tokens	*t;
	pthread_barrier_t	*start;
	int			 fetches;	/* atomic */
	enum zoom_err		 rc[FLIGHT_THREADS];
	char			 got[FLIGHT_THREADS][32];
	int			 next;		/* atomic: thread index */
};

static enum zoom_err
slow_fetch(void *ctx, const struct zoom_tokens *t, char *token,
    long *expires_in, int64_t deadline, struct zoom_info *info)
{
	struct flight *f = ctx;

	(void)t;
	(void)deadline;
	__atomic_add_fetch(&f->fetches, 1, __ATOMIC_SEQ_CST);
	info->token_calls++;
	info->calls++;
	usleep(200 * 1000);
	strcpy(token, "the-one-token");
	*expires_in = 3600;
	return ZOOM_OK;
}

static void *
flight_thread(void *arg)
{
	struct flight		*f = arg;
	struct ztok_local	 l;
	struct zoom_info	 info;
	int			 i = __atomic_fetch_add(&f->next, 1,
				    __ATOMIC_SEQ_CST);

	memset(&l, 0, sizeof(l));
	memset(&info, 0, sizeof(info));
	pthread_barrier_wait(f->start);
	f->rc[i] = ztok_get(f->t, &l, slow_fetch, f, now_ms() + 5000, 0,
	    &info);
	snprintf(f->got[i], sizeof(f->got[i]), "%.31s", l.token);
	return NULL;
}

static void
test_single_flight(void **state)
{
	struct config		c;
	struct zoom_tokens	t;
	struct flight		f;
	pthread_barrier_t	start;
	pthread_t		tid[FLIGHT_THREADS];
	int			i;

	(void)state;
	load_config(&c, "http://127.0.0.1:9/oauth/token", NULL);
	assert_int_equal(ztok_init(&t, &c), 0);
	memset(&f, 0, sizeof(f));
	f.t = &t;
	f.start = &start;
	assert_int_equal(pthread_barrier_init(&start, NULL, FLIGHT_THREADS), 0);
	for (i = 0; i < FLIGHT_THREADS; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, flight_thread,
		    &f), 0);
	for (i = 0; i < FLIGHT_THREADS; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&start);
	assert_int_equal(f.fetches, 1);
	for (i = 0; i < FLIGHT_THREADS; i++) {
		assert_int_equal(f.rc[i], ZOOM_OK);
		assert_string_equal(f.got[i], "the-one-token");
	}
	ztok_free(&t);
	cfg_free(&c);
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
		T(test_file_cache_fifo),
		T(test_file_cache_lock_unusable),
		T(test_file_cache_lock_held),
		T(test_token_lock_deadline),
		T(test_cache_check),
		T(test_single_flight),
	};

	return cmocka_run_group_tests(tests, curl_group_setup,
	    curl_group_teardown);
}
