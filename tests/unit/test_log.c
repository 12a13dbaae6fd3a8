/* test_log.c - one sanitised line per message on stderr. */
#include <errno.h>
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

#include "log.h"

static int	 saved_fd = -1;
static int	 cap_fd = -1;
static char	 captured[4096];

/* Send stderr to a temporary file until capture_end(). */
static void
capture_begin(void)
{
	char path[] = "/tmp/za-test-log-XXXXXX";

	fflush(stderr);
	assert_true((cap_fd = mkstemp(path)) >= 0);
	unlink(path);
	assert_true((saved_fd = dup(STDERR_FILENO)) >= 0);
	assert_true(dup2(cap_fd, STDERR_FILENO) >= 0);
}

/* Restore stderr; what was written is in captured. Returns its length. */
static size_t
capture_end(void)
{
	ssize_t n;

	fflush(stderr);
	assert_true(dup2(saved_fd, STDERR_FILENO) >= 0);
	close(saved_fd);
	assert_int_equal(lseek(cap_fd, 0, SEEK_SET), 0);
	n = read(cap_fd, captured, sizeof(captured) - 1);
	assert_true(n >= 0);
	captured[n] = '\0';
	close(cap_fd);
	return (size_t)n;
}

static void
test_plain(void **state)
{
	(void)state;
	capture_begin();
	log_warnx("hello %s %d", "world", 42);
	capture_end();
	assert_string_equal(captured, "zoom-attendees: hello world 42\n");
}

static void
test_control_chars(void **state)
{
	(void)state;
	capture_begin();
	log_warnx("a\nb\rc\td\x01" "e\x1b[31mf\x7fg");
	capture_end();
	assert_string_equal(captured, "zoom-attendees: a?b?c?d?e?[31mf?g\n");

	/* In arguments too: one line, whatever the data. */
	capture_begin();
	log_warnx("value: %s", "line1\nzoom-attendees: forged\r\n");
	capture_end();
	assert_string_equal(captured,
	    "zoom-attendees: value: line1?zoom-attendees: forged??\n");
}

static void
test_non_ascii(void **state)
{
	(void)state;
	capture_begin();
	log_warnx("J\xc3\xa9r\xc3\xb4me \xff");
	capture_end();
	assert_string_equal(captured, "zoom-attendees: J??r??me ?\n");
}

static void
test_errno(void **state)
{
	(void)state;
	capture_begin();
	errno = ENOENT;
	log_warn("open(%s)", "/x");
	capture_end();
	assert_string_equal(captured,
	    "zoom-attendees: open(/x): No such file or directory\n");

	capture_begin();
	errno = ENOENT;
	log_warnx("no errno");
	capture_end();
	assert_string_equal(captured, "zoom-attendees: no errno\n");
}

static void
test_long_line(void **state)
{
	char	 big[3000];
	size_t	 n;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	capture_begin();
	log_warnx("%s", big);
	n = capture_end();
	/* Cut, but still one whole line. */
	assert_true(n <= 1024);
	assert_true(n > 1000);
	assert_int_equal(captured[n - 1], '\n');
	assert_ptr_equal(strchr(captured, '\n'), captured + n - 1);
	assert_memory_equal(captured, "zoom-attendees: xxx", 19);

	capture_begin();
	errno = EACCES;
	log_warn("%s", big);
	n = capture_end();
	assert_true(n <= 1024);
	assert_int_equal(captured[n - 1], '\n');
	assert_ptr_equal(strchr(captured, '\n'), captured + n - 1);
}

static void
test_empty(void **state)
{
	(void)state;
	capture_begin();
	log_warnx("%s", "");
	capture_end();
	assert_string_equal(captured, "zoom-attendees: \n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_control_chars),
		cmocka_unit_test(test_non_ascii),
		cmocka_unit_test(test_errno),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
