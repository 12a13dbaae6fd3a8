/*
 * test_config.c - settings from a fake environment (a small table), from
 * NAME_FILE files and from a configuration file in a temporary directory.
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

#include "auth.h"
#include "config.h"
#include "util.h"

#define API_KEY		"k3y-0123456789abcdef"	/* 20 chars */
#define ACCOUNT		"acct-hunter2-1"
#define CLIENT_ID	"client-hunter2-2"
#define CLIENT_SECRET	"clientsecret-hunter2-3"

/* ---- the fake environment ------------------------------------------ */

static char	 tmpdir[64];		/* this test's directory */

/* The four required settings, valid. */
static void
env_required(void)
{
	env_set("INTERNAL_API_KEY", API_KEY);
	env_set("ZOOM_ACCOUNT_ID", ACCOUNT);
	env_set("ZOOM_CLIENT_ID", CLIENT_ID);
	env_set("ZOOM_CLIENT_SECRET", CLIENT_SECRET);
}

/* ---- files in the temporary directory -------------------------------- */

/* Write len bytes to tmpdir/name with mode; the path goes to out. */
static void
write_file_len(const char *name, const char *data, size_t len, mode_t mode,
    char *out, size_t outlen)
{
	char	path[256];
	int	fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	if (out != NULL)
		snprintf(out, outlen, "%s", path);
}

static void
write_file(const char *name, const char *data, mode_t mode, char *out,
    size_t outlen)
{
	write_file_len(name, data, strlen(data), mode, out, outlen);
}

/* The configuration file found beside the binary (exe_dir = tmpdir). */
static void
write_conf(const char *text, mode_t mode)
{
	write_file("zoom-attendees.conf", text, mode, NULL, 0);
}

static int
setup(void **state)
{
	(void)state;
	env_clear();
	return tmpdir_make(tmpdir, sizeof(tmpdir), "config");
}

static int
teardown(void **state)
{
	(void)state;
	tmpdir_remove(tmpdir);
	env_clear();
	return 0;
}

/* Load with the fake environment and tmpdir as the binary's directory. */
static void
load(struct config *c)
{
	cfg_load_from(c, fake_lookup, tmpdir);
}

/* Everything cfg_report_all and cfg_report_problems print. Caller frees. */
static char *
report(const struct config *c)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&text, &len);

	assert_non_null(f);
	cfg_report_all(c, f);
	cfg_report_problems(c, f);
	fclose(f);
	assert_non_null(text);
	return text;
}

static void
assert_no_substring(const char *hay, const char *needle)
{
	if (strstr(hay, needle) != NULL)
		fail_msg("\"%s\" found in:\n%s", needle, hay);
}

/* ---- tests ------------------------------------------------------------ */

static void
test_nothing_set(void **state)
{
	struct config	c;
	int		k;

	(void)state;
	load(&c);
	assert_false(c.ok);
	assert_string_equal(c.conf_path, "");	/* optional file, absent */
	assert_string_equal(c.conf_error, "");
	assert_string_equal(c.problem[CFG_INTERNAL_API_KEY], "missing");
	assert_string_equal(c.problem[CFG_ZOOM_ACCOUNT_ID], "missing");
	assert_string_equal(c.problem[CFG_ZOOM_CLIENT_ID], "missing");
	assert_string_equal(c.problem[CFG_ZOOM_CLIENT_SECRET], "missing");
	for (k = 0; k < 4; k++) {
		assert_null(c.val[k]);
		assert_int_equal(c.src[k], CFG_SRC_NONE);
	}
	/* Optional settings: defaults, or simply not set. */
	assert_null(c.problem[CFG_ZOOM_TOKEN_URL]);
	assert_int_equal(c.src[CFG_ZOOM_TOKEN_URL], CFG_SRC_DEFAULT);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_TOKEN_URL),
	    "https://zoom.us/oauth/token");
	assert_string_equal(cfg_get(&c, CFG_ZOOM_API_BASE),
	    "https://api.zoom.us/v2");
	assert_string_equal(cfg_get(&c, CFG_ZOOM_TIMEOUT_MS), "10000");
	assert_null(c.problem[CFG_ZOOM_TOKEN_CACHE]);
	assert_int_equal(c.src[CFG_ZOOM_TOKEN_CACHE], CFG_SRC_NONE);
	assert_null(cfg_get(&c, CFG_ZOOM_TOKEN_CACHE));
	cfg_free(&c);
}

static void
test_no_exe_dir(void **state)
{
	struct config c;

	(void)state;
	env_required();
	cfg_load_from(&c, fake_lookup, NULL);
	assert_true(c.ok);
	assert_string_equal(c.conf_path, "");
	cfg_free(&c);
}

static void
test_all_from_env(void **state)
{
	struct config	c;
	int		k;

	(void)state;
	env_required();
	load(&c);
	assert_true(c.ok);
	for (k = 0; k < CFG__MAX; k++)
		assert_null(c.problem[k]);
	assert_string_equal(cfg_get(&c, CFG_INTERNAL_API_KEY), API_KEY);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_ACCOUNT_ID), ACCOUNT);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_CLIENT_ID), CLIENT_ID);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_CLIENT_SECRET), CLIENT_SECRET);
	assert_int_equal(c.src[CFG_INTERNAL_API_KEY], CFG_SRC_ENV);
	assert_int_equal(c.timeout_ms, 10000);
	/* The default thread count is a tuning choice: only its form. */
	assert_int_equal(c.src[CFG_ZOOM_ATTENDEES_THREADS], CFG_SRC_DEFAULT);
	assert_int_equal(c.threads,
	    strtol(cfg_get(&c, CFG_ZOOM_ATTENDEES_THREADS), NULL, 10));
	assert_in_range(c.threads, 1, 256);
	assert_false(c.allow_http);
	cfg_free(&c);
	/* cfg_free wipes and clears; a second call is harmless. */
	for (k = 0; k < CFG__MAX; k++)
		assert_null(c.val[k]);
	cfg_free(&c);
}

static void
test_each_required_missing(void **state)
{
	struct config	c;
	int		missing, k;

	(void)state;
	for (missing = 0; missing < 4; missing++) {
		env_clear();
		env_required();
		/* An empty value counts as unset. */
		env_set(cfg_name((enum cfg_key)missing), "");
		load(&c);
		assert_false(c.ok);
		for (k = 0; k < CFG__MAX; k++) {
			if (k == missing)
				assert_string_equal(c.problem[k], "missing");
			else
				assert_null(c.problem[k]);
		}
		cfg_free(&c);
	}
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(cfg_name(CFG_INTERNAL_API_KEY), "INTERNAL_API_KEY");
	assert_string_equal(cfg_name(CFG_ZOOM_ACCOUNT_ID), "ZOOM_ACCOUNT_ID");
	assert_string_equal(cfg_name(CFG_ZOOM_CLIENT_ID), "ZOOM_CLIENT_ID");
	assert_string_equal(cfg_name(CFG_ZOOM_CLIENT_SECRET), "ZOOM_CLIENT_SECRET");
	assert_string_equal(cfg_name(CFG_ZOOM_TOKEN_URL), "ZOOM_TOKEN_URL");
	assert_string_equal(cfg_name(CFG_ZOOM_API_BASE), "ZOOM_API_BASE");
	assert_string_equal(cfg_name(CFG_ZOOM_TIMEOUT_MS), "ZOOM_TIMEOUT_MS");
	assert_string_equal(cfg_name(CFG_ZOOM_TOKEN_CACHE), "ZOOM_TOKEN_CACHE");
	assert_string_equal(cfg_name(CFG_ZOOM_ATTENDEES_THREADS),
	    "ZOOM_ATTENDEES_THREADS");
}

/* Load with NAME_FILE pointing at a file holding data; return the value. */
static void
load_file_value(struct config *c, enum cfg_key k, const char *data,
    size_t len)
{
	char	path[256], fname[64];

	env_clear();
	env_required();
	write_file_len("value", data, len, 0600, path, sizeof(path));
	snprintf(fname, sizeof(fname), "%s_FILE", cfg_name(k));
	env_set(cfg_name(k), "");	/* NAME unset so NAME_FILE is used */
	env_set(fname, path);
	load(c);
}

static void
test_name_file(void **state)
{
	struct config	c;
	const char	*v;

	(void)state;
	/* A secret from a file, with its one trailing LF stripped. */
	load_file_value(&c, CFG_ZOOM_CLIENT_SECRET, "from-file-secret\n", 17);
	assert_true(c.ok);
	assert_int_equal(c.src[CFG_ZOOM_CLIENT_SECRET], CFG_SRC_ENV_FILE);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_CLIENT_SECRET),
	    "from-file-secret");
	cfg_free(&c);

	/* CRLF stripped as one newline. */
	load_file_value(&c, CFG_ZOOM_CLIENT_SECRET, "crlf-secret\r\n", 13);
	assert_true(c.ok);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_CLIENT_SECRET), "crlf-secret");
	cfg_free(&c);

	/* No newline at all. */
	load_file_value(&c, CFG_ZOOM_CLIENT_SECRET, "bare", 4);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_CLIENT_SECRET), "bare");
	cfg_free(&c);

	/* Only one newline goes: the second stays (the path is not validated). */
	load_file_value(&c, CFG_ZOOM_TOKEN_CACHE, "/x/cache\n\n", 10);
	v = cfg_get(&c, CFG_ZOOM_TOKEN_CACHE);
	assert_non_null(v);
	assert_string_equal(v, "/x/cache\n");
	cfg_free(&c);

	load_file_value(&c, CFG_ZOOM_TOKEN_CACHE, "/x/cache\r\n\r\n", 12);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_TOKEN_CACHE), "/x/cache\r\n");
	cfg_free(&c);

	/* A lone CR is not a newline. */
	load_file_value(&c, CFG_ZOOM_TOKEN_CACHE, "/x/cache\r", 9);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_TOKEN_CACHE), "/x/cache\r");
	cfg_free(&c);

	/* ... so a secret with an extra newline is refused, not trimmed. */
	load_file_value(&c, CFG_ZOOM_CLIENT_SECRET, "secret\n\n", 8);
	assert_false(c.ok);
	assert_non_null(c.problem[CFG_ZOOM_CLIENT_SECRET]);
	cfg_free(&c);
}

static void
test_name_file_problems(void **state)
{
	struct config	c;
	char		big[CFG_MAX_VALUE_LEN + 16];

	(void)state;
	/* Empty file, or just a newline: empty. */
	load_file_value(&c, CFG_ZOOM_CLIENT_SECRET, "\n", 1);
	assert_false(c.ok);
	assert_string_equal(c.problem[CFG_ZOOM_CLIENT_SECRET], "empty");
	assert_int_equal(c.src[CFG_ZOOM_CLIENT_SECRET], CFG_SRC_ENV_FILE);
	cfg_free(&c);
	load_file_value(&c, CFG_ZOOM_CLIENT_SECRET, "", 0);
	assert_false(c.ok);
	assert_string_equal(c.problem[CFG_ZOOM_CLIENT_SECRET], "empty");
	cfg_free(&c);

	/* A file that is not there. */
	env_clear();
	env_required();
	env_set("ZOOM_CLIENT_SECRET", "");
	env_set("ZOOM_CLIENT_SECRET_FILE", "/nonexistent/za-secret");
	load(&c);
	assert_false(c.ok);
	assert_string_equal(c.problem[CFG_ZOOM_CLIENT_SECRET],
	    "its _FILE cannot be opened");
	cfg_free(&c);

	/* Exactly CFG_MAX_VALUE_LEN bytes, with or without a newline: ok. */
	memset(big, 'a', sizeof(big));
	load_file_value(&c, CFG_ZOOM_CLIENT_SECRET, big, CFG_MAX_VALUE_LEN);
	assert_true(c.ok);
	assert_int_equal(strlen(cfg_get(&c, CFG_ZOOM_CLIENT_SECRET)),
	    CFG_MAX_VALUE_LEN);
	cfg_free(&c);
	big[CFG_MAX_VALUE_LEN] = '\n';
	load_file_value(&c, CFG_ZOOM_CLIENT_SECRET, big, CFG_MAX_VALUE_LEN + 1);
	assert_true(c.ok);
	assert_int_equal(strlen(cfg_get(&c, CFG_ZOOM_CLIENT_SECRET)),
	    CFG_MAX_VALUE_LEN);
	cfg_free(&c);
	big[CFG_MAX_VALUE_LEN] = '\r';
	big[CFG_MAX_VALUE_LEN + 1] = '\n';
	load_file_value(&c, CFG_ZOOM_CLIENT_SECRET, big, CFG_MAX_VALUE_LEN + 2);
	assert_true(c.ok);
	assert_int_equal(strlen(cfg_get(&c, CFG_ZOOM_CLIENT_SECRET)),
	    CFG_MAX_VALUE_LEN);
	cfg_free(&c);

	/* One byte more: too large. */
	memset(big, 'a', sizeof(big));
	load_file_value(&c, CFG_ZOOM_CLIENT_SECRET, big, CFG_MAX_VALUE_LEN + 1);
	assert_false(c.ok);
	assert_string_equal(c.problem[CFG_ZOOM_CLIENT_SECRET],
	    "its _FILE is too large");
	cfg_free(&c);

	/*
	 * A longer file whose bytes at the limit happen to be CRLF must not
	 * be cut there and accepted as its first CFG_MAX_VALUE_LEN bytes.
	 */
	big[CFG_MAX_VALUE_LEN] = '\r';
	big[CFG_MAX_VALUE_LEN + 1] = '\n';
	load_file_value(&c, CFG_ZOOM_CLIENT_SECRET, big, CFG_MAX_VALUE_LEN + 10);
	assert_false(c.ok);
	assert_string_equal(c.problem[CFG_ZOOM_CLIENT_SECRET],
	    "its _FILE is too large");
	cfg_free(&c);
	big[CFG_MAX_VALUE_LEN] = 'a';
	big[CFG_MAX_VALUE_LEN + 1] = '\n';
	load_file_value(&c, CFG_ZOOM_CLIENT_SECRET, big, CFG_MAX_VALUE_LEN + 10);
	assert_false(c.ok);
	assert_string_equal(c.problem[CFG_ZOOM_CLIENT_SECRET],
	    "its _FILE is too large");
	cfg_free(&c);
}

/*
 * A NAME_FILE that is not a regular file is refused, and at once: a FIFO
 * would block start-up and --check-config until someone wrote to it.
 */
static void
test_name_file_not_regular(void **state)
{
	struct fifo_rescue	 r;
	struct config		 c;
	char			 fifo[256], text[512];
	const char		*paths[3];
	int64_t			 t0, took;
	size_t			 i;

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s/secret-fifo", tmpdir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	paths[0] = fifo;
	paths[1] = tmpdir;		/* a directory */
	paths[2] = "/dev/null";		/* a device */
	for (i = 0; i < ARRAY_LEN(paths); i++) {
		env_clear();
		env_required();
		env_set("ZOOM_CLIENT_SECRET", "");
		env_set("ZOOM_CLIENT_SECRET_FILE", paths[i]);
		fifo_rescue_start(&r, fifo, 1000);
		t0 = now_ms();
		load(&c);
		took = now_ms() - t0;
		fifo_rescue_stop(&r);
		if (took > 500)
			fail_msg("%s: %lld ms to load", paths[i], (long long)took);
		assert_false(c.ok);
		assert_non_null(c.problem[CFG_ZOOM_CLIENT_SECRET]);
		assert_string_equal(c.problem[CFG_ZOOM_CLIENT_SECRET],
		    "its _FILE is not a regular file");
		assert_int_equal(c.src[CFG_ZOOM_CLIENT_SECRET], CFG_SRC_ENV_FILE);
		cfg_free(&c);
	}

	/* The configuration file too (it refused a FIFO, once opened). */
	env_clear();
	env_required();
	env_set("ZOOM_ATTENDEES_CONFIG", fifo);
	fifo_rescue_start(&r, fifo, 1000);
	t0 = now_ms();
	load(&c);
	took = now_ms() - t0;
	fifo_rescue_stop(&r);
	if (took > 500)
		fail_msg("configuration file FIFO: %lld ms to load",
		    (long long)took);
	assert_false(c.ok);
	assert_string_equal(c.conf_error, "not a regular file");
	cfg_free(&c);

	/* The same from a _FILE line of the configuration file. */
	env_clear();
	snprintf(text, sizeof(text), "INTERNAL_API_KEY=" API_KEY "\n"
	    "ZOOM_ACCOUNT_ID=" ACCOUNT "\nZOOM_CLIENT_ID=" CLIENT_ID "\n"
	    "ZOOM_CLIENT_SECRET_FILE=%s\n", fifo);
	write_conf(text, 0600);
	fifo_rescue_start(&r, fifo, 1000);
	t0 = now_ms();
	load(&c);
	took = now_ms() - t0;
	fifo_rescue_stop(&r);
	if (took > 500)
		fail_msg("_FILE line naming a FIFO: %lld ms to load",
		    (long long)took);
	assert_false(c.ok);
	assert_string_equal(c.problem[CFG_ZOOM_CLIENT_SECRET],
	    "its _FILE is not a regular file");
	assert_int_equal(c.src[CFG_ZOOM_CLIENT_SECRET], CFG_SRC_CONF_FILE);
	cfg_free(&c);
}

/*
 * A NUL byte in a NAME_FILE would cut the value there, silently: it is
 * refused, as in the configuration file, and the value is never shown.
 */
static void
test_name_file_nul(void **state)
{
	static const struct {
		const char	*data;
		size_t		 len;
	} cases[] = {
		{ CLIENT_SECRET "\0tail", sizeof(CLIENT_SECRET) + 4 },
		{ CLIENT_SECRET "\0", sizeof(CLIENT_SECRET) },
		{ CLIENT_SECRET "\0\n", sizeof(CLIENT_SECRET) + 1 },
		{ CLIENT_SECRET "\n\0", sizeof(CLIENT_SECRET) + 1 },
		{ "\0" CLIENT_SECRET, sizeof(CLIENT_SECRET) },
		{ "\0", 1 },
	};
	struct config	 c;
	char		*text;
	size_t		 i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		load_file_value(&c, CFG_ZOOM_CLIENT_SECRET, cases[i].data,
		    cases[i].len);
		if (c.ok || c.problem[CFG_ZOOM_CLIENT_SECRET] == NULL)
			fail_msg("case %zu: a NUL byte accepted", i);
		assert_string_equal(c.problem[CFG_ZOOM_CLIENT_SECRET],
		    "its _FILE holds a NUL byte");
		assert_null(cfg_get(&c, CFG_ZOOM_CLIENT_SECRET));
		text = report(&c);
		assert_non_null(strstr(text, "ZOOM_CLIENT_SECRET"));
		assert_non_null(strstr(text, "NUL byte"));
		assert_no_substring(text, CLIENT_SECRET);
		assert_no_substring(text, "tail");
		free(text);
		cfg_free(&c);
	}
}

static void
test_precedence(void **state)
{
	struct config	c;
	char		path[256], conf[1024];

	(void)state;
	write_file("env-file", "env-file-secret\n", 0600, path, sizeof(path));
	snprintf(conf, sizeof(conf),
	    "INTERNAL_API_KEY=conf-key-0123456789\n"
	    "ZOOM_ACCOUNT_ID=conf-account\n"
	    "ZOOM_CLIENT_ID=conf-client\n"
	    "ZOOM_CLIENT_SECRET=conf-secret\n"
	    "ZOOM_TIMEOUT_MS=2000\n"
	    "ZOOM_ATTENDEES_THREADS=3\n");
	write_conf(conf, 0600);

	/* Environment beats the file; NAME_FILE from env beats the file too. */
	env_set("INTERNAL_API_KEY", API_KEY);
	env_set("ZOOM_CLIENT_SECRET_FILE", path);
	env_set("ZOOM_TIMEOUT_MS", "3000");
	load(&c);
	assert_true(c.ok);
	assert_non_null(strstr(c.conf_path, "/zoom-attendees.conf"));
	assert_string_equal(cfg_get(&c, CFG_INTERNAL_API_KEY), API_KEY);
	assert_int_equal(c.src[CFG_INTERNAL_API_KEY], CFG_SRC_ENV);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_CLIENT_SECRET), "env-file-secret");
	assert_int_equal(c.src[CFG_ZOOM_CLIENT_SECRET], CFG_SRC_ENV_FILE);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_ACCOUNT_ID), "conf-account");
	assert_int_equal(c.src[CFG_ZOOM_ACCOUNT_ID], CFG_SRC_CONF);
	assert_int_equal(c.timeout_ms, 3000);
	assert_int_equal(c.src[CFG_ZOOM_TIMEOUT_MS], CFG_SRC_ENV);
	assert_int_equal(c.threads, 3);
	assert_int_equal(c.src[CFG_ZOOM_ATTENDEES_THREADS], CFG_SRC_CONF);
	assert_int_equal(c.src[CFG_ZOOM_API_BASE], CFG_SRC_DEFAULT);
	cfg_free(&c);
}

static void
test_conf_file_found(void **state)
{
	struct config	c;
	char		expect[256];

	(void)state;
	write_conf("INTERNAL_API_KEY=" API_KEY "\n"
	    "ZOOM_ACCOUNT_ID=" ACCOUNT "\n"
	    "ZOOM_CLIENT_ID=" CLIENT_ID "\n"
	    "ZOOM_CLIENT_SECRET=" CLIENT_SECRET "\n", 0600);
	load(&c);
	assert_true(c.ok);
	snprintf(expect, sizeof(expect), "%s/zoom-attendees.conf", tmpdir);
	assert_string_equal(c.conf_path, expect);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_CLIENT_SECRET), CLIENT_SECRET);
	assert_int_equal(c.src[CFG_ZOOM_CLIENT_SECRET], CFG_SRC_CONF);
	cfg_free(&c);
}

/*
 * Linked with -Wl,--wrap=malloc (Makefile): allocations of at least
 * fail_malloc_from bytes fail while it is non-zero.
 */
void	*__real_malloc(size_t);
void	*__wrap_malloc(size_t);
static size_t	 fail_malloc_from;

void *
__wrap_malloc(size_t n)
{
	if (fail_malloc_from != 0 && n >= fail_malloc_from)
		return NULL;
	return __real_malloc(n);
}

static void
test_conf_file_out_of_memory(void **state)
{
	struct config	c;
	char		conf[4096];
	size_t		n;

	(void)state;
	/*
	 * Every required setting comes from the environment, so only the
	 * file can make the configuration incomplete: a file of n bytes
	 * whose text buffer (n + 1) cannot be had.
	 */
	env_required();
	n = (size_t)snprintf(conf, sizeof(conf), "# %03000d\n", 0);
	write_conf(conf, 0600);
	fail_malloc_from = n + 1;
	load(&c);
	fail_malloc_from = 0;
	/* Not a silent start without the file's settings. */
	assert_false(c.ok);
	assert_string_equal(c.conf_error, "out of memory");
	cfg_free(&c);
	load(&c);
	assert_true(c.ok);
	cfg_free(&c);
}

static void
test_conf_file_value_vs_file(void **state)
{
	struct config	c;
	char		path[256], conf[1024];

	(void)state;
	write_file("s", "secret-from-conf-file\n", 0600, path, sizeof(path));
	/* NAME in the file beats NAME_FILE in the file. */
	snprintf(conf, sizeof(conf),
	    "ZOOM_CLIENT_SECRET_FILE=%s\nZOOM_ACCOUNT_ID_FILE=%s\n"
	    "ZOOM_ACCOUNT_ID=acct-inline\n", path, path);
	write_conf(conf, 0600);
	env_set("INTERNAL_API_KEY", API_KEY);
	env_set("ZOOM_CLIENT_ID", CLIENT_ID);
	load(&c);
	assert_true(c.ok);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_CLIENT_SECRET),
	    "secret-from-conf-file");
	assert_int_equal(c.src[CFG_ZOOM_CLIENT_SECRET], CFG_SRC_CONF_FILE);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_ACCOUNT_ID), "acct-inline");
	assert_int_equal(c.src[CFG_ZOOM_ACCOUNT_ID], CFG_SRC_CONF);
	cfg_free(&c);
}

static void
test_conf_named_by_env(void **state)
{
	struct config	c;
	char		path[256];

	(void)state;
	write_file("other.conf", "ZOOM_CLIENT_SECRET=named-secret\n", 0600,
	    path, sizeof(path));
	/* Also one beside the binary: the named one wins, this is not read. */
	write_conf("ZOOM_CLIENT_SECRET=beside-secret\n", 0600);
	env_set("ZOOM_ATTENDEES_CONFIG", path);
	env_set("INTERNAL_API_KEY", API_KEY);
	env_set("ZOOM_ACCOUNT_ID", ACCOUNT);
	env_set("ZOOM_CLIENT_ID", CLIENT_ID);
	load(&c);
	assert_true(c.ok);
	assert_string_equal(c.conf_path, path);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_CLIENT_SECRET), "named-secret");
	cfg_free(&c);

	/* A named file that does not exist stops the program. */
	env_set("ZOOM_ATTENDEES_CONFIG", "/nonexistent/za.conf");
	env_set("ZOOM_CLIENT_SECRET", CLIENT_SECRET);
	load(&c);
	assert_false(c.ok);
	assert_non_null(strstr(c.conf_error, "cannot open"));
	/* Everything else is still resolved, for --check-config. */
	assert_null(c.problem[CFG_ZOOM_CLIENT_SECRET]);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_CLIENT_SECRET), CLIENT_SECRET);
	cfg_free(&c);

	/* A directory is not a configuration file. */
	env_set("ZOOM_ATTENDEES_CONFIG", tmpdir);
	load(&c);
	assert_false(c.ok);
	assert_string_equal(c.conf_error, "not a regular file");
	cfg_free(&c);
}

static void
test_conf_permissions(void **state)
{
	static const mode_t	 refused[] = { 0640, 0604, 0644, 0660, 0610,
	    0601, 0602, 0620, 0700 | 0070, 0666 };
	struct config		 c;
	size_t			 i;

	(void)state;
	env_set("INTERNAL_API_KEY", API_KEY);
	env_set("ZOOM_ACCOUNT_ID", ACCOUNT);
	env_set("ZOOM_CLIENT_ID", CLIENT_ID);

	write_conf("ZOOM_CLIENT_SECRET=" CLIENT_SECRET "\n", 0600);
	load(&c);
	assert_true(c.ok);
	assert_string_equal(c.conf_error, "");
	assert_string_equal(cfg_get(&c, CFG_ZOOM_CLIENT_SECRET), CLIENT_SECRET);
	cfg_free(&c);

	write_conf("ZOOM_CLIENT_SECRET=" CLIENT_SECRET "\n", 0400);
	load(&c);
	assert_true(c.ok);
	cfg_free(&c);

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		write_conf("ZOOM_CLIENT_SECRET=" CLIENT_SECRET "\n", refused[i]);
		load(&c);
		assert_false(c.ok);
		assert_non_null(strstr(c.conf_error,
		    "accessible by group or others"));
		/* Nothing from a refused file is used. */
		assert_null(cfg_get(&c, CFG_ZOOM_CLIENT_SECRET));
		assert_string_equal(c.problem[CFG_ZOOM_CLIENT_SECRET], "missing");
		cfg_free(&c);
	}
}

static void
test_conf_nul_and_size(void **state)
{
	struct config	 c;
	char		*big;
	size_t		 n = 65536 + 1, i;

	(void)state;
	env_required();
	write_file_len("zoom-attendees.conf", "# a\0b\n", 6, 0600, NULL, 0);
	load(&c);
	assert_false(c.ok);
	assert_string_equal(c.conf_error, "holds a NUL byte");
	cfg_free(&c);

	/* Comments up to 64 KiB are fine; one byte more is refused. */
	assert_non_null(big = malloc(n));
	for (i = 0; i < n; i++)
		big[i] = (i % 64 == 63) ? '\n' : '#';
	write_file_len("zoom-attendees.conf", big, n - 1, 0600, NULL, 0);
	load(&c);
	assert_true(c.ok);
	cfg_free(&c);
	write_file_len("zoom-attendees.conf", big, n, 0600, NULL, 0);
	load(&c);
	assert_false(c.ok);
	assert_non_null(strstr(c.conf_error, "larger than"));
	cfg_free(&c);
	free(big);
}

/* cfg_parse_text on a literal; err gets the reason. */
static int
parse(const char *text, char *err, size_t errlen)
{
	err[0] = '\0';
	return cfg_parse_text(text, strlen(text), err, errlen);
}

static void
test_parse_text_ok(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(parse("", err, sizeof(err)), 0);
	assert_int_equal(parse("\n\n\n", err, sizeof(err)), 0);
	assert_int_equal(parse("# comment\n   # indented comment\n", err,
	    sizeof(err)), 0);
	assert_int_equal(parse("ZOOM_TIMEOUT_MS=100", err, sizeof(err)), 0);
	assert_int_equal(parse("  ZOOM_TIMEOUT_MS \t=\t 100  \r\n", err,
	    sizeof(err)), 0);
	assert_int_equal(parse("ZOOM_CLIENT_SECRET_FILE=/run/secret\n", err,
	    sizeof(err)), 0);
	assert_int_equal(parse("ZOOM_CLIENT_SECRET=\"a b=c#d\"\n", err,
	    sizeof(err)), 0);
	assert_int_equal(parse("ZOOM_CLIENT_SECRET='x'\n", err, sizeof(err)), 0);
	assert_int_equal(parse("ZOOM_CLIENT_SECRET=\n", err, sizeof(err)), 0);
	assert_int_equal(parse("ZOOM_CLIENT_SECRET=a\"b\n", err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static void
test_parse_text_errors(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(parse("# ok\nthis line is broken SECRETVALUE\n", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "line 2: not KEY=VALUE");

	assert_int_equal(parse("ZOOM_CLIENT_SECRET=ok\n\n\nlower=SECRETVALUE\n",
	    err, sizeof(err)), -1);
	assert_string_equal(err, "line 4: not KEY=VALUE");

	assert_int_equal(parse("=SECRETVALUE\n", err, sizeof(err)), -1);
	assert_string_equal(err, "line 1: not KEY=VALUE");

	assert_int_equal(parse("export ZOOM_CLIENT_SECRET=SECRETVALUE\n", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "line 1: not KEY=VALUE");

	assert_int_equal(parse("ZOOM CLIENT_SECRET=SECRETVALUE\n", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "line 1: not KEY=VALUE");

	assert_int_equal(parse("ZOOM_CLIENT_SECRET=\"SECRETVALUE\n", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "line 1: unbalanced quote");

	assert_int_equal(parse("ZOOM_CLIENT_SECRET='SECRETVALUE\"\n", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "line 1: unbalanced quote");

	assert_int_equal(parse("ZOOM_CLIENT_SECRET=\"\n", err, sizeof(err)), -1);
	assert_string_equal(err, "line 1: unbalanced quote");

	/* An unknown setting is named; its value is not. */
	assert_int_equal(parse("\r\nZOOM_CLIENT_SECRETS=SECRETVALUE\r\n", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "line 2: unknown setting ZOOM_CLIENT_SECRETS");
	assert_int_equal(parse("ZOOM_CLIENT_SECRET_FILEX=SECRETVALUE\n", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "line 1: unknown setting ZOOM_CLIENT_SECRET_FILEX");

	assert_int_equal(cfg_parse_text("A=\0B", 4, err, sizeof(err)), -1);
	assert_string_equal(err, "holds a NUL byte");
}

static void
test_conf_broken_line_reported(void **state)
{
	struct config	 c;
	char		*text;

	(void)state;
	env_required();
	write_conf("# zoom-attendees\n"
	    "ZOOM_TIMEOUT_MS=5000\n"
	    "ZOOM_CLIENT_SECRET SECRETVALUE-xyz\n", 0600);
	load(&c);
	assert_false(c.ok);
	assert_string_equal(c.conf_error, "line 3: not KEY=VALUE");
	/* The good lines before it are not used either. */
	assert_int_equal(c.src[CFG_ZOOM_TIMEOUT_MS], CFG_SRC_DEFAULT);
	text = report(&c);
	assert_non_null(strstr(text, "line 3"));
	assert_non_null(strstr(text, c.conf_path));
	assert_no_substring(text, "SECRETVALUE");
	free(text);
	cfg_free(&c);

	write_conf("ZOOM_CLIENT_SECRET='SECRETVALUE-xyz\n", 0600);
	load(&c);
	assert_false(c.ok);
	assert_string_equal(c.conf_error, "line 1: unbalanced quote");
	text = report(&c);
	assert_no_substring(text, "SECRETVALUE");
	free(text);
	cfg_free(&c);

	write_conf("ZOOM_SECRET=SECRETVALUE-xyz\n", 0600);
	load(&c);
	assert_false(c.ok);
	assert_string_equal(c.conf_error, "line 1: unknown setting ZOOM_SECRET");
	text = report(&c);
	assert_no_substring(text, "SECRETVALUE");
	free(text);
	cfg_free(&c);
}

static void
test_conf_syntax(void **state)
{
	struct config c;

	(void)state;
	env_set("INTERNAL_API_KEY", API_KEY);
	write_conf("# comment\r\n"
	    "\r\n"
	    "   ZOOM_ACCOUNT_ID   =   \"acct with=equals\"   \r\n"
	    "\tZOOM_CLIENT_ID='cid'\r\n"
	    "ZOOM_CLIENT_SECRET=first\n"
	    "ZOOM_CLIENT_SECRET=second#not-a-comment\n"
	    "ZOOM_TOKEN_CACHE=\"\"\n"
	    "ZOOM_TIMEOUT_MS=\"1500\"\n", 0600);
	load(&c);
	/* Quotes removed, white space outside them dropped, CR dropped. */
	assert_string_equal(cfg_get(&c, CFG_ZOOM_ACCOUNT_ID), "acct with=equals");
	assert_string_equal(cfg_get(&c, CFG_ZOOM_CLIENT_ID), "cid");
	/* The last line for a key wins; '#' inside a value is kept. */
	assert_string_equal(cfg_get(&c, CFG_ZOOM_CLIENT_SECRET),
	    "second#not-a-comment");
	/* An empty value is no value. */
	assert_null(cfg_get(&c, CFG_ZOOM_TOKEN_CACHE));
	assert_int_equal(c.timeout_ms, 1500);
	/* The space in the account id is refused at validation. */
	assert_false(c.ok);
	assert_non_null(c.problem[CFG_ZOOM_ACCOUNT_ID]);
	assert_null(c.problem[CFG_ZOOM_CLIENT_ID]);
	cfg_free(&c);
}

/* Load with the required settings plus one extra setting. */
static void
load_with(struct config *c, const char *name, const char *value)
{
	env_clear();
	env_required();
	env_set(name, value);
	load(c);
}

static void
test_urls(void **state)
{
	static const char *const ok_http[] = {
		"http://127.0.0.1:8080/v2",
		"http://127.0.0.1",
		"http://127.1.2.3:9/x",
		"http://127.255.255.255/",
		"http://localhost:8000/v2",
		"http://localhost",
		"http://[::1]:9000/v2",
		"http://[::1]/",
	};
	static const char *const ok_https[] = {
		"https://api.zoom.us/v2",
		"https://example.com:8443/api",
		"https://127.0.0.1/v2",
		"https://10.0.0.1/",
	};
	static const char *const refused[] = {
		"http://api.zoom.us/v2",
		"http://example.com",
		"http://10.0.0.1/",
		"http://128.0.0.1/",
		"http://0.0.0.0/",
		"http://127.0.0.1.example.com/",
		"http://localhost.example.com/",
		"http://127.0.0.1@example.com/",
		"http://[::2]/",
		"http://[::ffff:8.8.8.8]/",
		"ftp://127.0.0.1/",
		"file:///etc/passwd",
		"gopher://localhost/",
		"not a url",
		"https://api.zoom.us/v2?x=1",
		"https://api.zoom.us/v2#frag",
	};
	struct config	c;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(ok_http) / sizeof(ok_http[0]); i++) {
		load_with(&c, "ZOOM_API_BASE", ok_http[i]);
		if (!c.ok)
			fail_msg("%s refused: %s", ok_http[i],
			    c.problem[CFG_ZOOM_API_BASE]);
		assert_true(c.allow_http);
		cfg_free(&c);
		load_with(&c, "ZOOM_TOKEN_URL", ok_http[i]);
		assert_true(c.ok);
		assert_true(c.allow_http);
		cfg_free(&c);
	}
	for (i = 0; i < sizeof(ok_https) / sizeof(ok_https[0]); i++) {
		load_with(&c, "ZOOM_API_BASE", ok_https[i]);
		if (!c.ok)
			fail_msg("%s refused: %s", ok_https[i],
			    c.problem[CFG_ZOOM_API_BASE]);
		assert_false(c.allow_http);
		cfg_free(&c);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		load_with(&c, "ZOOM_API_BASE", refused[i]);
		if (c.ok || c.problem[CFG_ZOOM_API_BASE] == NULL)
			fail_msg("ZOOM_API_BASE=%s accepted", refused[i]);
		cfg_free(&c);
		load_with(&c, "ZOOM_TOKEN_URL", refused[i]);
		if (c.ok || c.problem[CFG_ZOOM_TOKEN_URL] == NULL)
			fail_msg("ZOOM_TOKEN_URL=%s accepted", refused[i]);
		cfg_free(&c);
	}
	load_with(&c, "ZOOM_API_BASE", "http://example.com/v2");
	assert_string_equal(c.problem[CFG_ZOOM_API_BASE],
	    "must be https:// (http:// only for loopback hosts)");
	cfg_free(&c);
}

static void
test_url_credentials(void **state)
{
	struct config	 c;
	char		*text;

	(void)state;
	/*
	 * A URL is shown by --check-config, so one holding a password would
	 * print it: such URLs are refused, and never shown.
	 */
	load_with(&c, "ZOOM_API_BASE", "https://user:PASSWORD-in-url@api.zoom.us/v2");
	assert_false(c.ok);
	assert_non_null(c.problem[CFG_ZOOM_API_BASE]);
	text = report(&c);
	assert_no_substring(text, "PASSWORD-in-url");
	free(text);
	cfg_free(&c);

	load_with(&c, "ZOOM_TOKEN_URL", "https://PASSWORD-in-url@zoom.us/oauth/token");
	assert_false(c.ok);
	assert_non_null(c.problem[CFG_ZOOM_TOKEN_URL]);
	text = report(&c);
	assert_no_substring(text, "PASSWORD-in-url");
	free(text);
	cfg_free(&c);
}

static void
test_api_base_trailing_slash(void **state)
{
	struct config c;

	(void)state;
	load_with(&c, "ZOOM_API_BASE", "https://api.zoom.us/v2///");
	assert_true(c.ok);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_API_BASE), "https://api.zoom.us/v2");
	cfg_free(&c);
	load_with(&c, "ZOOM_API_BASE", "http://127.0.0.1:9/");
	assert_true(c.ok);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_API_BASE), "http://127.0.0.1:9");
	cfg_free(&c);
}

static void
test_timeout_bounds(void **state)
{
	static const struct {
		const char	*v;
		long		 want;	/* 0 = refused */
	} cases[] = {
		{ "100", 100 },
		{ "101", 101 },
		{ "10000", 10000 },
		{ "600000", 600000 },
		{ "99", 0 },
		{ "0", 0 },
		{ "-1", 0 },
		{ "-100", 0 },
		{ "600001", 0 },
		{ "99999999999999999999999", 0 },
		{ "1e3", 0 },
		{ "10s", 0 },
		{ "abc", 0 },
		{ " 100", 0 },
		{ "100 ", 0 },
		{ "+100", 0 },
		{ "0x100", 0 },
		{ "1000.5", 0 },
	};
	struct config	c;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		load_with(&c, "ZOOM_TIMEOUT_MS", cases[i].v);
		if (cases[i].want != 0) {
			if (!c.ok)
				fail_msg("ZOOM_TIMEOUT_MS=%s refused", cases[i].v);
			assert_int_equal(c.timeout_ms, cases[i].want);
		} else {
			if (c.ok || c.problem[CFG_ZOOM_TIMEOUT_MS] == NULL)
				fail_msg("ZOOM_TIMEOUT_MS=%s accepted", cases[i].v);
			assert_string_equal(c.problem[CFG_ZOOM_TIMEOUT_MS],
			    "not a whole number of milliseconds from 100 to 600000");
		}
		cfg_free(&c);
	}
}

static void
test_threads_bounds(void **state)
{
	struct config c;

	(void)state;
	load_with(&c, "ZOOM_ATTENDEES_THREADS", "1");
	assert_true(c.ok);
	assert_int_equal(c.threads, 1);
	cfg_free(&c);
	load_with(&c, "ZOOM_ATTENDEES_THREADS", "256");
	assert_true(c.ok);
	assert_int_equal(c.threads, 256);
	cfg_free(&c);
	load_with(&c, "ZOOM_ATTENDEES_THREADS", "0");
	assert_false(c.ok);
	assert_non_null(c.problem[CFG_ZOOM_ATTENDEES_THREADS]);
	cfg_free(&c);
	load_with(&c, "ZOOM_ATTENDEES_THREADS", "257");
	assert_false(c.ok);
	cfg_free(&c);
	load_with(&c, "ZOOM_ATTENDEES_THREADS", "four");
	assert_false(c.ok);
	cfg_free(&c);
}

static void
test_api_key_shape(void **state)
{
	struct config c;

	(void)state;
	load_with(&c, "INTERNAL_API_KEY", "0123456789abcde");	/* 15 */
	assert_false(c.ok);
	assert_string_equal(c.problem[CFG_INTERNAL_API_KEY],
	    "shorter than 16 characters");
	cfg_free(&c);
	load_with(&c, "INTERNAL_API_KEY", "x");
	assert_false(c.ok);
	assert_string_equal(c.problem[CFG_INTERNAL_API_KEY],
	    "shorter than 16 characters");
	cfg_free(&c);
	load_with(&c, "INTERNAL_API_KEY", "0123456789abcdef");	/* 16 */
	assert_true(c.ok);
	cfg_free(&c);
	/* auth_check never matches a key longer than AUTH_MAX_KEY. */
	{
		char long_key[AUTH_MAX_KEY + 2];

		memset(long_key, 'k', sizeof(long_key) - 1);
		long_key[AUTH_MAX_KEY] = '\0';
		load_with(&c, "INTERNAL_API_KEY", long_key);
		assert_true(c.ok);
		cfg_free(&c);
		long_key[AUTH_MAX_KEY] = 'k';
		long_key[AUTH_MAX_KEY + 1] = '\0';
		load_with(&c, "INTERNAL_API_KEY", long_key);
		assert_false(c.ok);
		assert_string_equal(c.problem[CFG_INTERNAL_API_KEY],
		    "longer than 512 characters");
		cfg_free(&c);
	}
	load_with(&c, "INTERNAL_API_KEY", "0123456789 abcdef");
	assert_false(c.ok);
	assert_string_equal(c.problem[CFG_INTERNAL_API_KEY],
	    "holds spaces or non-printable characters");
	cfg_free(&c);
	load_with(&c, "INTERNAL_API_KEY", "0123456789abcdef\t");
	assert_false(c.ok);
	cfg_free(&c);
	load_with(&c, "INTERNAL_API_KEY", "0123456789abcdef\xc3\xa9");
	assert_false(c.ok);
	cfg_free(&c);
	load_with(&c, "INTERNAL_API_KEY", "0123456789abcdef\x7f");
	assert_false(c.ok);
	cfg_free(&c);
}

static void
test_other_secret_shapes(void **state)
{
	struct config c;

	(void)state;
	/* The client id goes into "id:secret" for Basic auth: no colon. */
	load_with(&c, "ZOOM_CLIENT_ID", "abc:def");
	assert_false(c.ok);
	assert_non_null(c.problem[CFG_ZOOM_CLIENT_ID]);
	cfg_free(&c);
	load_with(&c, "ZOOM_CLIENT_SECRET", "abc\r\nX-Injected: 1");
	assert_false(c.ok);
	assert_non_null(c.problem[CFG_ZOOM_CLIENT_SECRET]);
	cfg_free(&c);
	load_with(&c, "ZOOM_ACCOUNT_ID", "acct id");
	assert_false(c.ok);
	assert_non_null(c.problem[CFG_ZOOM_ACCOUNT_ID]);
	cfg_free(&c);
	/* A colon is fine in the secret itself. */
	load_with(&c, "ZOOM_CLIENT_SECRET", "abc:def");
	assert_true(c.ok);
	cfg_free(&c);
}

static void
test_value_too_long(void **state)
{
	struct config	c;
	static char	v[CFG_MAX_VALUE_LEN + 2];

	(void)state;
	memset(v, 'a', CFG_MAX_VALUE_LEN + 1);
	v[CFG_MAX_VALUE_LEN + 1] = '\0';
	load_with(&c, "ZOOM_CLIENT_SECRET", v);
	assert_false(c.ok);
	assert_string_equal(c.problem[CFG_ZOOM_CLIENT_SECRET], "too long");
	cfg_free(&c);
	v[CFG_MAX_VALUE_LEN] = '\0';
	load_with(&c, "ZOOM_CLIENT_SECRET", v);
	assert_true(c.ok);
	cfg_free(&c);
}

static void
test_report_never_shows_secrets(void **state)
{
	struct config	 c;
	char		*text, path[256];

	(void)state;
	/* Secrets from every source: env, env _FILE, conf, conf _FILE. */
	write_file("id", CLIENT_ID "\n", 0600, path, sizeof(path));
	{
		char conf[512];

		snprintf(conf, sizeof(conf),
		    "ZOOM_ACCOUNT_ID=" ACCOUNT "\nZOOM_CLIENT_ID_FILE=%s\n"
		    "ZOOM_TIMEOUT_MS=4321\n", path);
		write_conf(conf, 0600);
	}
	write_file("secret", CLIENT_SECRET "\n", 0600, path, sizeof(path));
	env_set("INTERNAL_API_KEY", API_KEY);
	env_set("ZOOM_CLIENT_SECRET_FILE", path);
	load(&c);
	assert_true(c.ok);
	assert_int_equal(c.src[CFG_ZOOM_CLIENT_ID], CFG_SRC_CONF_FILE);
	text = report(&c);
	assert_no_substring(text, API_KEY);
	assert_no_substring(text, ACCOUNT);
	assert_no_substring(text, CLIENT_ID);
	assert_no_substring(text, CLIENT_SECRET);
	assert_no_substring(text, "hunter2");
	/* It does say where each came from, and shows plain settings. */
	assert_non_null(strstr(text, "INTERNAL_API_KEY"));
	assert_non_null(strstr(text, "ok, set (environment)"));
	assert_non_null(strstr(text, "ok, set (environment, _FILE)"));
	assert_non_null(strstr(text, "ok, set (configuration file)"));
	assert_non_null(strstr(text, "ok, set (configuration file, _FILE)"));
	assert_non_null(strstr(text, "4321"));
	assert_non_null(strstr(text, "configuration complete"));
	free(text);
	cfg_free(&c);
}

static void
test_report_problems_no_values(void **state)
{
	struct config	 c;
	char		*text;

	(void)state;
	/* Invalid secrets: their problems are shown, never the values. */
	env_set("INTERNAL_API_KEY", "hunter2-short");
	env_set("ZOOM_ACCOUNT_ID", "hunter2 acct");
	env_set("ZOOM_CLIENT_ID", "hunter2:cid");
	env_set("ZOOM_CLIENT_SECRET", "hunter2\x01" "ctl");
	env_set("ZOOM_TIMEOUT_MS", "hunter2-timeout");
	load(&c);
	assert_false(c.ok);
	text = report(&c);
	assert_no_substring(text, "hunter2");
	assert_non_null(strstr(text, "INTERNAL_API_KEY"));
	assert_non_null(strstr(text, "shorter than 16 characters"));
	assert_non_null(strstr(text, "ZOOM_TIMEOUT_MS"));
	assert_non_null(strstr(text, "INCOMPLETE"));
	free(text);
	cfg_free(&c);
}

static void
test_report_ok_prints_nothing(void **state)
{
	struct config	 c;
	char		*text = NULL;
	size_t		 len = 0;
	FILE		*f;

	(void)state;
	env_required();
	load(&c);
	assert_true(c.ok);
	assert_non_null(f = open_memstream(&text, &len));
	cfg_report_problems(&c, f);
	fclose(f);
	assert_int_equal(len, 0);
	free(text);
	cfg_free(&c);
}

static void
test_ca_settings(void **state)
{
	struct config	c;
	char		path[256], dir[300];

	(void)state;
	env_required();
	/* Neither: fine (the system's). */
	load(&c);
	assert_true(c.ok);
	assert_null(cfg_get(&c, CFG_ZOOM_CA_FILE));
	assert_null(cfg_get(&c, CFG_ZOOM_CA_PATH));
	cfg_free(&c);

	/* A readable file; a missing one; a directory given as a file. */
	write_file("ca.pem", "-----BEGIN CERTIFICATE-----\n", 0644, path,
	    sizeof(path));
	env_set("ZOOM_CA_FILE", path);
	load(&c);
	assert_true(c.ok);
	cfg_free(&c);
	env_set("ZOOM_CA_FILE", "/nonexistent/ca.pem");
	load(&c);
	assert_false(c.ok);
	assert_string_equal(c.problem[CFG_ZOOM_CA_FILE], "not a readable file");
	cfg_free(&c);
	env_set("ZOOM_CA_FILE", tmpdir);
	load(&c);
	assert_false(c.ok);
	cfg_free(&c);
	env_clear();
	env_required();

	/*
	 * A directory must be in OpenSSL's hashed layout, or no issuer would
	 * ever be found there: refused before any request, with the remedy.
	 */
	env_set("ZOOM_CA_PATH", tmpdir);
	load(&c);
	assert_false(c.ok);
	assert_non_null(strstr(c.problem[CFG_ZOOM_CA_PATH], "openssl rehash"));
	cfg_free(&c);
	write_file("5ed36f99.0", "x", 0644, NULL, 0);
	load(&c);
	assert_true(c.ok);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_CA_PATH), tmpdir);
	cfg_free(&c);
	snprintf(dir, sizeof(dir), "%s/none", tmpdir);
	env_set("ZOOM_CA_PATH", dir);
	load(&c);
	assert_false(c.ok);
	assert_string_equal(c.problem[CFG_ZOOM_CA_PATH],
	    "not a readable directory");
	cfg_free(&c);
	env_set("ZOOM_CA_PATH", path);		/* a file */
	load(&c);
	assert_false(c.ok);
	cfg_free(&c);
}

static void
test_status_words(void **state)
{
	static const char *const bad[] = {
		"No\x01Show", "No\x7fShow", "No\xc2\x85Show", "\xc3",
		"\xed\xa0\x80", "\xc0\xaf",
		"0123456789012345678901234567890123456789012345678901234567890"
		"123456789012345678901234567890123456789X",
	};
	struct config	c;
	size_t		i;

	(void)state;
	env_required();
	env_set("ATTENDANCE_STATUS_NO_SHOW", "Client absent \xe2\x80\x94 r\xc3\xa9" "essayer");
	load(&c);
	assert_true(c.ok);
	assert_string_equal(cfg_get(&c, CFG_ATTENDANCE_STATUS_COMPLETED),
	    "Completed");
	cfg_free(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		env_set("ATTENDANCE_STATUS_NO_SHOW", bad[i]);
		load(&c);
		if (c.ok || c.problem[CFG_ATTENDANCE_STATUS_NO_SHOW] == NULL)
			fail_msg("status word %zu accepted", i);
		cfg_free(&c);
	}
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_nothing_set),
		T(test_no_exe_dir),
		T(test_all_from_env),
		T(test_each_required_missing),
		T(test_names),
		T(test_name_file),
		T(test_name_file_problems),
		T(test_name_file_not_regular),
		T(test_name_file_nul),
		T(test_precedence),
		T(test_conf_file_found),
		T(test_conf_file_out_of_memory),
		T(test_conf_file_value_vs_file),
		T(test_conf_named_by_env),
		T(test_conf_permissions),
		T(test_conf_nul_and_size),
		T(test_parse_text_ok),
		T(test_parse_text_errors),
		T(test_conf_broken_line_reported),
		T(test_conf_syntax),
		T(test_urls),
		T(test_url_credentials),
		T(test_api_base_trailing_slash),
		T(test_timeout_bounds),
		T(test_threads_bounds),
		T(test_ca_settings),
		T(test_status_words),
		T(test_api_key_shape),
		T(test_other_secret_shapes),
		T(test_value_too_long),
		T(test_report_never_shows_secrets),
		T(test_report_problems_no_values),
		T(test_report_ok_prints_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
