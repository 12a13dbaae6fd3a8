/* test_auth.c - the bearer key check and the constant-time comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"

#define KEY	"0123456789abcdef-key"

static void
test_missing(void **state)
{
	(void)state;
	assert_int_equal(auth_check(NULL, KEY), AUTH_MISSING);
	assert_int_equal(auth_check("", KEY), AUTH_MISSING);
}

static void
test_scheme(void **state)
{
	(void)state;
	assert_int_equal(auth_check(KEY, KEY), AUTH_SCHEME);
	assert_int_equal(auth_check("Basic " KEY, KEY), AUTH_SCHEME);
	assert_int_equal(auth_check("Token " KEY, KEY), AUTH_SCHEME);
	assert_int_equal(auth_check("Bearer", KEY), AUTH_SCHEME);
	assert_int_equal(auth_check("Bearer" KEY, KEY), AUTH_SCHEME);
	assert_int_equal(auth_check("Bearer\t" KEY, KEY), AUTH_SCHEME);
	assert_int_equal(auth_check("Bearer:" KEY, KEY), AUTH_SCHEME);
	assert_int_equal(auth_check(" Bearer " KEY, KEY), AUTH_SCHEME);
	assert_int_equal(auth_check("Bearerx " KEY, KEY), AUTH_SCHEME);
	assert_int_equal(auth_check("Beare", KEY), AUTH_SCHEME);
	assert_int_equal(auth_check("B", KEY), AUTH_SCHEME);
}

static void
test_ok(void **state)
{
	(void)state;
	assert_int_equal(auth_check("Bearer " KEY, KEY), AUTH_OK);
	/* The scheme is case-insensitive (RFC 7235 section 2.1). */
	assert_int_equal(auth_check("bearer " KEY, KEY), AUTH_OK);
	assert_int_equal(auth_check("BEARER " KEY, KEY), AUTH_OK);
	assert_int_equal(auth_check("BeArEr " KEY, KEY), AUTH_OK);
	/* Extra spaces after the scheme are skipped. */
	assert_int_equal(auth_check("Bearer    " KEY, KEY), AUTH_OK);
}

static void
test_wrong(void **state)
{
	char	 k[sizeof(KEY)], hdr[600];
	size_t	 i;

	(void)state;
	assert_int_equal(auth_check("Bearer ", KEY), AUTH_WRONG);
	assert_int_equal(auth_check("Bearer x", KEY), AUTH_WRONG);
	/* The key itself is case-sensitive. */
	assert_int_equal(auth_check("Bearer 0123456789ABCDEF-KEY", KEY), AUTH_WRONG);
	/* Shorter and longer, by one byte. */
	assert_int_equal(auth_check("Bearer 0123456789abcdef-ke", KEY), AUTH_WRONG);
	assert_int_equal(auth_check("Bearer " KEY "y", KEY), AUTH_WRONG);
	assert_int_equal(auth_check("Bearer " KEY " ", KEY), AUTH_WRONG);
	assert_int_equal(auth_check("Bearer " KEY "\r\n", KEY), AUTH_WRONG);
	/* Each single byte changed, the last one included. */
	for (i = 0; i < sizeof(KEY) - 1; i++) {
		memcpy(k, KEY, sizeof(KEY));
		k[i] ^= 0x01;
		snprintf(hdr, sizeof(hdr), "Bearer %s", k);
		assert_int_equal(auth_check(hdr, KEY), AUTH_WRONG);
	}
	memcpy(k, KEY, sizeof(KEY));
	k[sizeof(KEY) - 2] = 'x';
	snprintf(hdr, sizeof(hdr), "Bearer %s", k);
	assert_int_equal(auth_check(hdr, KEY), AUTH_WRONG);
}

static void
test_embedded_nul_is_end(void **state)
{
	static const char hdr[] = "Bearer " KEY "\0trailing";

	(void)state;
	/* C strings end at the NUL: the header is just the key. */
	assert_int_equal(auth_check(hdr, KEY), AUTH_OK);
}

static void
test_long_keys(void **state)
{
	char	key[AUTH_MAX_KEY + 2], hdr[AUTH_MAX_KEY + 64];

	(void)state;
	/* A key of exactly AUTH_MAX_KEY bytes works. */
	memset(key, 'k', AUTH_MAX_KEY);
	key[AUTH_MAX_KEY] = '\0';
	snprintf(hdr, sizeof(hdr), "Bearer %s", key);
	assert_int_equal(auth_check(hdr, key), AUTH_OK);
	/* ... and differs in its last byte. */
	hdr[strlen(hdr) - 1] = 'j';
	assert_int_equal(auth_check(hdr, key), AUTH_WRONG);

	/* A presented credential of AUTH_MAX_KEY + 1 never matches, even
	 * one that equals the configured key (which is then too long too). */
	memset(key, 'k', AUTH_MAX_KEY + 1);
	key[AUTH_MAX_KEY + 1] = '\0';
	snprintf(hdr, sizeof(hdr), "Bearer %s", key);
	assert_int_equal(auth_check(hdr, key), AUTH_WRONG);

	/* Long presented vs a short configured key: the prefix matches. */
	snprintf(hdr, sizeof(hdr), "Bearer %s", key);
	assert_int_equal(auth_check(hdr, "kkkkkkkkkkkkkkkk"), AUTH_WRONG);

	/* Only the first AUTH_MAX_KEY bytes are copied; the length decides. */
	memset(key, 'k', AUTH_MAX_KEY);
	key[AUTH_MAX_KEY] = '\0';
	snprintf(hdr, sizeof(hdr), "Bearer %sX", key);
	assert_int_equal(auth_check(hdr, key), AUTH_WRONG);
}

static void
test_equal(void **state)
{
	char	a[AUTH_MAX_KEY * 2], b[AUTH_MAX_KEY * 2];

	(void)state;
	assert_true(auth_equal("", ""));
	assert_true(auth_equal("abc", "abc"));
	assert_false(auth_equal("abc", "abd"));
	assert_false(auth_equal("abc", "ab"));
	assert_false(auth_equal("ab", "abc"));
	assert_false(auth_equal("", "a"));
	assert_false(auth_equal("a", ""));
	/* Very long strings: never equal once past AUTH_MAX_KEY. */
	memset(a, 'z', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(a));
	assert_false(auth_equal(a, b));
	a[AUTH_MAX_KEY] = b[AUTH_MAX_KEY] = '\0';
	assert_true(auth_equal(a, b));
	a[AUTH_MAX_KEY - 1] = 'y';
	assert_false(auth_equal(a, b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_scheme),
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_wrong),
		cmocka_unit_test(test_embedded_nul_is_end),
		cmocka_unit_test(test_long_keys),
		cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
