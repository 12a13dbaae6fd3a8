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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Remove dir, its files and its empty subdirectories. */
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
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (unlink(path) < 0)
				rmdir(path);
		}
		closedir(d);
	}
	rmdir(dir);
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
