/* test_buf.c - the bounded buffer: caps, growth, reset, wipe, NUL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void
test_init_is_empty(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.size, 0);
	assert_int_equal(b.cap, 100);
	buf_free(&b);	/* no-op on a buffer never written */
	buf_free(&b);	/* twice too */
	assert_null(b.data);
}

static void
test_add_and_nul(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_add(&b, "abcdef", 3), BUF_OK);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "abc\0", 4);
	assert_int_equal(buf_addstr(&b, "xyz"), BUF_OK);
	assert_string_equal(b.data, "abcxyz");
	assert_int_equal(b.len, 6);
	assert_true(b.size > b.len);
	buf_free(&b);
}

static void
test_add_empty(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	/* An empty append still yields a NUL-terminated string. */
	assert_int_equal(buf_add(&b, "", 0), BUF_OK);
	assert_non_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	buf_free(&b);
}

static void
test_binary_data(void **state)
{
	struct buf	b;
	const char	bin[] = { 'a', '\0', 'b', '\n', '\xff' };

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_add(&b, bin, sizeof(bin)), BUF_OK);
	assert_int_equal(b.len, sizeof(bin));
	assert_memory_equal(b.data, bin, sizeof(bin));
	assert_int_equal(b.data[b.len], '\0');
	buf_free(&b);
}

static void
test_cap_exact_fits(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 5);
	assert_int_equal(buf_add(&b, "12345", 5), BUF_OK);
	assert_string_equal(b.data, "12345");
	assert_int_equal(b.len, 5);
	/* Nothing more, not even one byte. */
	assert_int_equal(buf_add(&b, "6", 1), BUF_ETOOBIG);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "12345");
	/* Empty appends at the cap are fine. */
	assert_int_equal(buf_add(&b, "", 0), BUF_OK);
	buf_free(&b);
}

static void
test_cap_refused_unchanged(void **state)
{
	struct buf	b;
	char		*before;
	size_t		 size;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_addstr(&b, "abcd"), BUF_OK);
	before = b.data;
	size = b.size;
	assert_int_equal(buf_addstr(&b, "efghi"), BUF_ETOOBIG);
	assert_int_equal(b.len, 4);
	assert_string_equal(b.data, "abcd");
	assert_ptr_equal(b.data, before);
	assert_int_equal(b.size, size);
	/* A fitting append after the refusal still works. */
	assert_int_equal(buf_addstr(&b, "efgh"), BUF_OK);
	assert_string_equal(b.data, "abcdefgh");
	buf_free(&b);
}

static void
test_cap_zero(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_add(&b, "x", 1), BUF_ETOOBIG);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void
test_cap_huge_len(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	assert_int_equal(buf_addstr(&b, "abc"), BUF_OK);
	/* A length that would wrap size_t arithmetic must be refused. */
	assert_int_equal(buf_add(&b, "x", SIZE_MAX), BUF_ETOOBIG);
	assert_int_equal(buf_add(&b, "x", SIZE_MAX - 1), BUF_ETOOBIG);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.data, "abc");
	buf_free(&b);
}

static void
test_cap_allocation_bounded(void **state)
{
	struct buf	b;
	char		chunk[100];
	int		i;

	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	buf_init(&b, 1000);
	for (i = 0; i < 10; i++)
		assert_int_equal(buf_add(&b, chunk, sizeof(chunk)), BUF_OK);
	assert_int_equal(b.len, 1000);
	/* Growth never allocates beyond cap + NUL. */
	assert_true(b.size <= b.cap + 1);
	assert_int_equal(buf_add(&b, chunk, 1), BUF_ETOOBIG);
	assert_int_equal(b.len, 1000);
	buf_free(&b);
}

static void
test_growth_many_appends(void **state)
{
	struct buf	b;
	size_t		i;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < 10000; i++)
		assert_int_equal(buf_add(&b, (i % 2) ? "b" : "a", 1), BUF_OK);
	assert_int_equal(b.len, 10000);
	for (i = 0; i < 10000; i++)
		assert_int_equal(b.data[i], (i % 2) ? 'b' : 'a');
	assert_int_equal(b.data[10000], '\0');
	buf_free(&b);
}

static void
test_printf_small(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), BUF_OK);
	assert_int_equal(buf_printf(&b, "|%05ld", 7L), BUF_OK);
	assert_string_equal(b.data, "42-x|00007");
	assert_int_equal(b.len, strlen("42-x|00007"));
	buf_free(&b);
}

static void
test_printf_growth(void **state)
{
	struct buf	 b;
	char		 big[3000];
	size_t		 i;

	(void)state;
	/* Larger than any stack scratch: takes the two-pass path. */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_init(&b, 10000);
	assert_int_equal(buf_addstr(&b, "<"), BUF_OK);
	assert_int_equal(buf_printf(&b, "%s>%d", big, 12345), BUF_OK);
	assert_int_equal(b.len, 1 + 2999 + 1 + 5);
	assert_int_equal(b.data[0], '<');
	for (i = 1; i < 3000; i++)
		assert_int_equal(b.data[i], 'z');
	assert_string_equal(b.data + 3000, ">12345");
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(strlen(b.data), b.len);
	buf_free(&b);
}

static void
test_printf_cap(void **state)
{
	struct buf	b;
	char		big[600];

	(void)state;
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';

	/* Small output past the cap. */
	buf_init(&b, 6);
	assert_int_equal(buf_printf(&b, "%s", "abc"), BUF_OK);
	assert_int_equal(buf_printf(&b, "%d", 1234), BUF_ETOOBIG);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.data, "abc");
	assert_int_equal(buf_printf(&b, "%d", 123), BUF_OK);
	assert_string_equal(b.data, "abc123");
	buf_free(&b);

	/* Large output (two-pass path) past the cap. */
	buf_init(&b, 500);
	assert_int_equal(buf_addstr(&b, "keep"), BUF_OK);
	assert_int_equal(buf_printf(&b, "%s", big), BUF_ETOOBIG);
	assert_int_equal(b.len, 4);
	assert_string_equal(b.data, "keep");
	buf_free(&b);

	/* Large output that fits exactly. */
	buf_init(&b, 599);
	assert_int_equal(buf_printf(&b, "%s", big), BUF_OK);
	assert_int_equal(b.len, 599);
	assert_string_equal(b.data, big);
	buf_free(&b);
}

static void
test_reset(void **state)
{
	struct buf	 b;
	char		*p;
	size_t		 size;

	(void)state;
	buf_init(&b, 100);
	buf_reset(&b);	/* on a never-written buffer: harmless */
	assert_null(b.data);
	assert_int_equal(b.len, 0);

	assert_int_equal(buf_addstr(&b, "hello"), BUF_OK);
	p = b.data;
	size = b.size;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.data, p);	/* memory kept */
	assert_int_equal(b.size, size);
	assert_string_equal(b.data, "");
	assert_int_equal(buf_addstr(&b, "hi"), BUF_OK);
	assert_string_equal(b.data, "hi");
	assert_int_equal(b.len, 2);
	buf_free(&b);
}

static void
test_reset_restores_room(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4);
	assert_int_equal(buf_addstr(&b, "abcd"), BUF_OK);
	assert_int_equal(buf_addstr(&b, "e"), BUF_ETOOBIG);
	buf_reset(&b);
	assert_int_equal(buf_addstr(&b, "wxyz"), BUF_OK);
	assert_string_equal(b.data, "wxyz");
	buf_free(&b);
}

static void
test_wipe(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_addstr(&b, "secret-value"), BUF_OK);
	buf_wipe(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.size, 0);
	assert_int_equal(b.cap, 100);	/* still usable */
	assert_int_equal(buf_addstr(&b, "again"), BUF_OK);
	assert_string_equal(b.data, "again");
	buf_wipe(&b);
	buf_wipe(&b);	/* no-op when empty */
	assert_null(b.data);
}

static void
test_strerror(void **state)
{
	(void)state;
	assert_string_equal(buf_strerror(BUF_OK), "ok");
	assert_string_equal(buf_strerror(BUF_ETOOBIG), "size limit reached");
	assert_string_equal(buf_strerror(BUF_ENOMEM), "out of memory");
	assert_string_equal(buf_strerror(BUF__MAX), "unknown error");
	assert_string_equal(buf_strerror((enum buf_err)-1), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_is_empty),
		cmocka_unit_test(test_add_and_nul),
		cmocka_unit_test(test_add_empty),
		cmocka_unit_test(test_binary_data),
		cmocka_unit_test(test_cap_exact_fits),
		cmocka_unit_test(test_cap_refused_unchanged),
		cmocka_unit_test(test_cap_zero),
		cmocka_unit_test(test_cap_huge_len),
		cmocka_unit_test(test_cap_allocation_bounded),
		cmocka_unit_test(test_growth_many_appends),
		cmocka_unit_test(test_printf_small),
		cmocka_unit_test(test_printf_growth),
		cmocka_unit_test(test_printf_cap),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_reset_restores_room),
		cmocka_unit_test(test_wipe),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
