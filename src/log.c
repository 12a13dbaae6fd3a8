/* log.c - sanitised one-line logging; see log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	1024
#define LOG_PREFIX	"zoom-attendees: "

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
 * Format, replace control and non-ASCII bytes by '?', and write the line
 * with one write so lines from several threads never interleave.
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
