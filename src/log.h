/*
 * log.h - one-line messages on stderr, which the web server keeps.
 * Never pass a secret, a token, a URL with credentials or an upstream
 * body: non-printable bytes become '?' but nothing else is filtered.
 */
#ifndef ZA_LOG_H
#define ZA_LOG_H

/* "zoom-attendees: message" */
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "zoom-attendees: message: strerror(errno)" */
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
