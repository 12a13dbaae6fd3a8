/*
 * test_log.c - one sanitised line per message, on stderr or to syslog.
 * openlog, syslog and closelog are wrapped (-Wl,--wrap, see the Makefile):
 * the lines are recorded here and no syslog daemon is involved.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"

/* ---- syslog(3), recorded -------------------------------------------- */

#define SYS_MAX		16

static struct {
	char	 ident[64];
	int	 option, facility;
	int	 opened, closed;	/* calls */
	int	 prio[SYS_MAX];
	char	 line[SYS_MAX][1100];
	size_t	 n;
} sys;

void	__wrap_openlog(const char *ident, int option, int facility);
void	__wrap_closelog(void);
void	__wrap_syslog(int prio, const char *fmt, ...);
void	__wrap___syslog_chk(int prio, int flag, const char *fmt, ...);

void
__wrap_openlog(const char *ident, int option, int facility)
{
	snprintf(sys.ident, sizeof(sys.ident), "%s", ident);
	sys.option = option;
	sys.facility = facility;
	sys.opened++;
}

void
__wrap_closelog(void)
{
	sys.closed++;
}

static void
sys_record(int prio, const char *fmt, va_list ap)
{
	assert_true(sys.n < SYS_MAX);
	sys.prio[sys.n] = prio;
	vsnprintf(sys.line[sys.n], sizeof(sys.line[0]), fmt, ap);
	sys.n++;
}

void
__wrap_syslog(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sys_record(prio, fmt, ap);
	va_end(ap);
}

/* What syslog() becomes with _FORTIFY_SOURCE. */
void
__wrap___syslog_chk(int prio, int flag, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	sys_record(prio, fmt, ap);
	va_end(ap);
}

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

/* ---- the destination -------------------------------------------- */

static int
reset(void **state)
{
	(void)state;
	log_close();
	memset(&sys, 0, sizeof(sys));
	return 0;
}

/*
 * log_open(LOG_DEST_SYSLOG) with stderr captured. It may say on stderr
 * that no syslog daemon listens (none does on a build machine): that one
 * line, and nothing else, is allowed.
 */
static void
open_syslog(void)
{
	static const char hint[] = "zoom-attendees: ZOOM_ATTENDEES_LOG=syslog, "
	    "but connect(/dev/log) failed: ";

	capture_begin();
	log_open(LOG_DEST_SYSLOG);
	capture_end();
	if (captured[0] != '\0') {
		assert_memory_equal(captured, hint, sizeof(hint) - 1);
		assert_ptr_equal(strchr(captured, '\n'),
		    captured + strlen(captured) - 1);
	}
	assert_int_equal(sys.opened, 1);
}

static void
test_dest_parse(void **state)
{
	static const char *const bad[] = {
		"", "Syslog", "syslog ", " stderr", "stdout", "journal", "1"
	};
	enum log_dest	 d = LOG_DEST__MAX;
	size_t		 i;

	(void)state;
	assert_int_equal(log_dest_parse("stderr", &d), 0);
	assert_int_equal(d, LOG_DEST_STDERR);
	assert_int_equal(log_dest_parse("syslog", &d), 0);
	assert_int_equal(d, LOG_DEST_SYSLOG);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = LOG_DEST__MAX;
		assert_int_equal(log_dest_parse(bad[i], &d), -1);
		assert_int_equal(d, LOG_DEST__MAX);	/* untouched */
	}
	assert_string_equal(log_dest_name(LOG_DEST_STDERR), "stderr");
	assert_string_equal(log_dest_name(LOG_DEST_SYSLOG), "syslog");
}

static void
test_stderr_opens_nothing(void **state)
{
	(void)state;
	log_open(LOG_DEST_STDERR);
	capture_begin();
	log_warnx("plain");
	capture_end();
	assert_string_equal(captured, "zoom-attendees: plain\n");
	assert_int_equal(sys.opened, 0);
	assert_int_equal(sys.n, 0);
}

static void
test_syslog_lines(void **state)
{
	char	 big[3000];

	(void)state;
	open_syslog();
	assert_string_equal(sys.ident, "zoom-attendees");
	assert_int_equal(sys.facility, LOG_DAEMON);
	/* No LOG_CONS: never the console. */
	assert_int_equal(sys.option, LOG_PID | LOG_NDELAY);

	capture_begin();
	log_warnx("status=%d %s", 200, "a\nzoom-attendees: forged\x01");
	errno = ENOENT;
	log_warn("open(%s)", "/x");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_warnx("%s", big);
	capture_end();
	/* Syslog's alone: stderr (not a terminal) gets nothing. */
	assert_string_equal(captured, "");
	assert_int_equal(sys.n, 3);
	/* The same text, sanitised, without the prefix the ident gives. */
	assert_string_equal(sys.line[0],
	    "status=200 a?zoom-attendees: forged?");
	assert_string_equal(sys.line[1], "open(/x): No such file or directory");
	assert_true(strlen(sys.line[2]) > 900 && strlen(sys.line[2]) < 1024);
	assert_null(strchr(sys.line[2], '\n'));
	assert_int_equal(sys.prio[0], LOG_INFO);
	assert_int_equal(sys.prio[1], LOG_INFO);

	/* Closed: back to stderr. */
	log_close();
	assert_int_equal(sys.closed, 1);
	capture_begin();
	log_warnx("after");
	capture_end();
	assert_string_equal(captured, "zoom-attendees: after\n");
	assert_int_equal(sys.n, 3);
}

/* At a terminal, syslog's lines show on stderr too. */
static void
test_syslog_echo_on_tty(void **state)
{
	char	 buf[1024], *name;
	size_t	 len;
	ssize_t	 n;
	int	 master, slave, saved;

	(void)state;
	if ((master = posix_openpt(O_RDWR | O_NOCTTY)) < 0 ||
	    grantpt(master) < 0 || unlockpt(master) < 0 ||
	    (name = ptsname(master)) == NULL ||
	    (slave = open(name, O_RDWR | O_NOCTTY)) < 0) {
		skip();		/* no pseudo-terminals here */
		return;
	}
	assert_true((saved = dup(STDERR_FILENO)) >= 0);
	assert_true(dup2(slave, STDERR_FILENO) >= 0);
	log_open(LOG_DEST_SYSLOG);	/* may say that no daemon listens */
	log_warnx("marker");
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	close(slave);
	/* Both lines are in the terminal's buffer: read until it is empty. */
	assert_int_equal(fcntl(master, F_SETFL, O_NONBLOCK), 0);
	len = 0;
	while (len < sizeof(buf) - 1 &&
	    (n = read(master, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(master);
	buf[len] = '\0';
	assert_non_null(strstr(buf, "zoom-attendees: marker"));
	assert_int_equal(sys.n, 1);
	assert_string_equal(sys.line[0], "marker");
}

/* ---- start-up errors follow ZOOM_ATTENDEES_LOG ---------------------- */

static const char *log_value;	/* ZOOM_ATTENDEES_LOG, or NULL */

static const char *
only_log(const char *name)
{
	return strcmp(name, "ZOOM_ATTENDEES_LOG") == 0 ? log_value : NULL;
}

static void
test_startup_problems_to_syslog(void **state)
{
	struct config	 c;
	size_t		 i;
	int		 found = 0;

	(void)state;
	log_value = "syslog";
	cfg_load_from(&c, only_log, NULL);
	assert_false(c.ok);		/* the four required settings */
	assert_null(c.problem[CFG_ZOOM_ATTENDEES_LOG]);
	assert_int_equal(c.log_dest, LOG_DEST_SYSLOG);
	open_syslog();
	capture_begin();
	cfg_report_problems(&c, NULL);
	capture_end();
	assert_string_equal(captured, "");
	assert_int_equal(sys.n, 4);
	for (i = 0; i < sys.n; i++)
		if (strcmp(sys.line[i], "INTERNAL_API_KEY: missing (not set)")
		    == 0)
			found = 1;
	assert_true(found);
	cfg_free(&c);
}

static void
test_startup_problems_default_stderr(void **state)
{
	struct config	 c;

	(void)state;
	log_value = NULL;
	cfg_load_from(&c, only_log, NULL);
	assert_int_equal(c.log_dest, LOG_DEST_STDERR);
	assert_int_equal(c.src[CFG_ZOOM_ATTENDEES_LOG], CFG_SRC_DEFAULT);
	assert_string_equal(cfg_get(&c, CFG_ZOOM_ATTENDEES_LOG), "stderr");
	log_open(c.log_dest);
	capture_begin();
	cfg_report_problems(&c, NULL);
	capture_end();
	assert_non_null(strstr(captured,
	    "zoom-attendees: INTERNAL_API_KEY: missing (not set)\n"));
	assert_int_equal(sys.opened, 0);
	cfg_free(&c);
}

/* A value that is neither: refused, and the problems stay on stderr. */
static void
test_startup_bad_value(void **state)
{
	struct config	 c;

	(void)state;
	log_value = "syslog,stderr";
	cfg_load_from(&c, only_log, NULL);
	assert_string_equal(c.problem[CFG_ZOOM_ATTENDEES_LOG],
	    "not stderr or syslog");
	assert_int_equal(c.log_dest, LOG_DEST_STDERR);
	log_open(c.log_dest);
	capture_begin();
	cfg_report_problems(&c, NULL);
	capture_end();
	assert_non_null(strstr(captured, "zoom-attendees: ZOOM_ATTENDEES_LOG: "
	    "not stderr or syslog (environment)\n"));
	assert_int_equal(sys.n, 0);
	cfg_free(&c);
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
		cmocka_unit_test_setup_teardown(test_dest_parse, reset, reset),
		cmocka_unit_test_setup_teardown(test_stderr_opens_nothing,
		    reset, reset),
		cmocka_unit_test_setup_teardown(test_syslog_lines,
		    reset, reset),
		cmocka_unit_test_setup_teardown(test_syslog_echo_on_tty,
		    reset, reset),
		cmocka_unit_test_setup_teardown(test_startup_problems_to_syslog,
		    reset, reset),
		cmocka_unit_test_setup_teardown(
		    test_startup_problems_default_stderr, reset, reset),
		cmocka_unit_test_setup_teardown(test_startup_bad_value,
		    reset, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
