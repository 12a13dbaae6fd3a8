/*
 * test_support.h - what several unit tests share: a fake process
 * environment for cfg_load_from(), a private temporary directory per
 * test, and the cmocka group setup that initialises libcurl once per test
 * program.
 *
 * Header-only (static inline), as http_stub.h: the Makefile links each
 * tests/unit/test_*.c with the module objects alone. Include it after
 * <cmocka.h>.
 */
#ifndef ZA_TEST_SUPPORT_H
#define ZA_TEST_SUPPORT_H

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "exchange.h"

#define FAKE_ENV_MAX	32

static struct {
	const char	*name;
	char		 value[8192];
} fake_env[FAKE_ENV_MAX];
static size_t	 fake_nenv;

/* The lookup function cfg_load_from() calls instead of getenv. */
static inline const char *
fake_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < fake_nenv; i++)
		if (strcmp(fake_env[i].name, name) == 0)
			return fake_env[i].value;
	return NULL;
}

/* Set (or replace) one variable; name must outlive the test. */
static inline void
env_set(const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < fake_nenv; i++)
		if (strcmp(fake_env[i].name, name) == 0)
			break;
	assert_true(i < FAKE_ENV_MAX);
	assert_true(strlen(value) < sizeof(fake_env[i].value));
	fake_env[i].name = name;
	snprintf(fake_env[i].value, sizeof(fake_env[i].value), "%s", value);
	if (i == fake_nenv)
		fake_nenv++;
}

static inline void
env_clear(void)
{
	fake_nenv = 0;
}

/* A new private directory /tmp/za-test-<tag>-XXXXXX in dir. 0, or -1. */
static inline int
tmpdir_make(char *dir, size_t len, const char *tag)
{
	snprintf(dir, len, "/tmp/za-test-%s-XXXXXX", tag);
	return mkdtemp(dir) != NULL ? 0 : -1;
}

/* Remove dir and what it holds, subdirectories too (a test cut short). */
static inline void
tmpdir_remove(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[512];

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", dir,
			    de->d_name) >= (int)sizeof(path))
				continue;
			if (unlink(path) < 0)
				tmpdir_remove(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

/*
 * A FIFO that code under test must not wait on: after delay_ms, and then
 * every 50 ms until fifo_rescue_stop, open it for writing and close it,
 * which frees a reader blocked in open(2). Code that waits on it then
 * fails the test (too slow, wrong result) instead of hanging it.
 */
struct fifo_rescue {
	pthread_t	 thread;
	char		 path[512];
	int		 delay_ms;
	int		 stop;		/* set by fifo_rescue_stop */
};

static inline void *
fifo_rescue_run(void *arg)
{
	struct fifo_rescue	*r = arg;
	struct timespec		 ts = { 0, 50 * 1000000L };
	int			 fd, waited = 0;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		nanosleep(&ts, NULL);
		if ((waited += 50) < r->delay_ms)
			continue;
		/* ENXIO when nobody has it open for reading. */
		if ((fd = open(r->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) >= 0)
			close(fd);
	}
	return NULL;
}

static inline void
fifo_rescue_start(struct fifo_rescue *r, const char *path, int delay_ms)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->delay_ms = delay_ms;
	assert_int_equal(pthread_create(&r->thread, NULL, fifo_rescue_run, r),
	    0);
}

static inline void
fifo_rescue_stop(struct fifo_rescue *r)
{
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	pthread_join(r->thread, NULL);
}

static inline int
curl_group_setup(void **state)
{
	(void)state;
	/* As main.c does: libcurl, then the process's shared exchange state
	 * (http:// allowed: the stubs are loopback HTTP). */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	return xchg_global_init(NULL, NULL, 1);
}

static inline int
curl_group_teardown(void **state)
{
	(void)state;
	xchg_global_free();
	curl_global_cleanup();
	return 0;
}

#endif
