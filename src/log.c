/* log.c - sanitised one-line logging; see log.h. */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	1024
#define LOG_IDENT	"zoom-attendees"
#define LOG_PREFIX	LOG_IDENT ": "
/*
 * Every line at the priority journald gives a line read from stderr
 * (SyslogLevel=info): choosing syslog changes no filter, and the lines
 * carry no level of their own (a request's line and a failure alike).
 */
#define LOG_PRIO	LOG_INFO

static const char *const dest_names[LOG_DEST__MAX] = {
	"stderr",		/* LOG_DEST_STDERR */
	"syslog",		/* LOG_DEST_SYSLOG */
};

static enum log_dest	dest = LOG_DEST_STDERR;	/* set before threads */
static int		echo_stderr;	/* syslog, and stderr is a terminal */

int
log_dest_parse(const char *name, enum log_dest *out)
{
	size_t i;

	for (i = 0; i < LOG_DEST__MAX; i++)
		if (strcmp(name, dest_names[i]) == 0) {
			*out = (enum log_dest)i;
			return 0;
		}
	return -1;
}

const char *
log_dest_name(enum log_dest d)
{
	return dest_names[d];
}

void
log_open(enum log_dest d)
{
	char	why[256];

	if (d == LOG_DEST_SYSLOG) {
		/* On stderr, the last line it gets: where the rest go. */
		if (log_syslog_check(why, sizeof(why)) < 0)
			log_warnx("ZOOM_ATTENDEES_LOG=syslog, but %s: lines "
			    "are lost until a syslog daemon listens", why);
		/*
		 * LOG_NDELAY: connect now, before any sandbox or chroot; the
		 * pid tells the processes of spawn-fcgi or mod_fcgid apart.
		 * No LOG_CONS: a line never goes to the console.
		 */
		openlog(LOG_IDENT, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		echo_stderr = isatty(STDERR_FILENO);
	}
	dest = d;
}

void
log_close(void)
{
	if (dest == LOG_DEST_SYSLOG)
		closelog();
	dest = LOG_DEST_STDERR;
	echo_stderr = 0;
}

int
log_syslog_check(char *why, size_t len)
{
	struct sockaddr_un	 addr;
	int			 fd, rc = -1;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", _PATH_LOG);
	/* What syslog(3) tries: a datagram socket, then a stream. */
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
		rc = 0;
		goto out;
	}
	if (errno != EPROTOTYPE)
		goto fail;
	close(fd);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
		rc = 0;
		goto out;
	}
fail:
	snprintf(why, len, "%s(%s) failed: %s", fd < 0 ? "socket" : "connect",
	    _PATH_LOG, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * write(2) itself, not stdio: stderr's FILE lock made the worker threads
 * queue on a futex behind one preempted mid-write (seen with perf), and a
 * line of at most 1 KiB is one write anyway (atomic on a pipe: PIPE_BUF).
 */
static void
write_all(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(STDERR_FILENO, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return;		/* nowhere left to say so */
		}
		p += w;
		n -= (size_t)w;
	}
}

/*
 * Format, replace control and non-ASCII bytes by '?', and hand the line
 * over whole (one write, or one syslog call) so lines from several
 * threads never interleave. Syslog gets the text after the prefix: its
 * ident says "zoom-attendees[pid]" already.
 */
static void
log_emit(int with_errno, int saved_errno, const char *fmt, va_list ap)
{
	char	 line[LOG_LINE_MAX];
	size_t	 n, i;
	int	 r;

	n = sizeof(LOG_PREFIX) - 1;
	memcpy(line, LOG_PREFIX, n);
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	if (with_errno && n < sizeof(line) - 1) {
		r = snprintf(line + n, sizeof(line) - n, ": %s",
		    strerror(saved_errno));
		if (r > 0)
			n += (size_t)r < sizeof(line) - n ? (size_t)r :
			    sizeof(line) - n - 1;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
			line[i] = '?';
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	if (dest == LOG_DEST_SYSLOG) {
		line[n] = '\0';
		syslog(LOG_PRIO, "%s", line + (sizeof(LOG_PREFIX) - 1));
		if (!echo_stderr)
			return;
	}
	line[n++] = '\n';
	write_all(line, n);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(0, 0, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_emit(1, saved, fmt, ap);
	va_end(ap);
}
