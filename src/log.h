/*
 * log.h - one-line messages, on stderr (which the web server or the
 * service manager keeps) or to syslog (ZOOM_ATTENDEES_LOG=syslog, for
 * front ends that drop a FastCGI program's stderr, such as lighttpd run
 * as a background daemon). Never pass a secret, a token, a URL with
 * credentials or an upstream body: non-printable bytes become '?' but
 * nothing else is filtered.
 */
#ifndef ZA_LOG_H
#define ZA_LOG_H

#include <stddef.h>

enum log_dest {
	LOG_DEST_STDERR,	/* "zoom-attendees: message\n" on fd 2 */
	LOG_DEST_SYSLOG,	/* syslog(3): daemon facility, ident and pid */
	LOG_DEST__MAX
};

/* "stderr" or "syslog" into *out: 0, or -1 when it is neither. */
int		 log_dest_parse(const char *name, enum log_dest *out);
const char	*log_dest_name(enum log_dest dest);

/*
 * Send every later line to dest; until then lines go to stderr. Call it
 * before the threads start, and not again. With syslog, lines go to
 * stderr as well while stderr is a terminal (someone is watching).
 */
void		 log_open(enum log_dest dest);
/* Back to stderr, closing the syslog connection if any. */
void		 log_close(void);

/*
 * Can a line reach the local syslog daemon (its /dev/log socket)? 0, or
 * -1 with the reason in why. For --check-config: syslog(3) itself drops
 * lines silently when no daemon listens.
 */
int		 log_syslog_check(char *why, size_t len);

/* "zoom-attendees: message" */
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "zoom-attendees: message: strerror(errno)" */
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
