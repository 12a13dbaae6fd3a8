/* util.h - small helpers shared by every module. */
#ifndef ZA_UTIL_H
#define ZA_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* Zero memory in a way the compiler may not remove (secrets). */
void	 secure_zero(void *p, size_t len);

/* Monotonic clock in milliseconds. */
int64_t	 now_ms(void);

/*
 * Parse a decimal integer that must fill the whole string and lie in
 * [min, max]. Returns 0 and sets *out, or -1. Never atoi.
 */
int	 parse_int(const char *s, long long min, long long max, long long *out);

/* A space, a tab, a CR or an LF. */
static inline int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The span *p, *len without the blanks around it. */
static inline void
trim(const char **p, size_t *len)
{
	while (*len > 0 && is_blank(**p)) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && is_blank((*p)[*len - 1]))
		(*len)--;
}

/* ASCII case-insensitive prefix test over n bytes. */
int	 ascii_ncaseeq(const char *a, const char *b, size_t n);

/*
 * 1 if the n bytes of s (UTF-8) hold a control character: C0, DEL, or C1
 * (U+0080..U+009F, C2 80..C2 9F), a NUL included.
 */
int	 has_control(const char *s, size_t n);

/* 1 if every one of the n bytes of s is printable ASCII other than a space. */
int	 ascii_visible(const char *s, size_t n);

/*
 * An ISO 8601 time with a date, "2020-05-31T00:00:00Z" (a fraction and a
 * numeric offset such as "+01:00" allowed; no other form), as epoch
 * seconds. 0, or -1 when v is not that.
 */
int	 parse_utc_time(const char *v, time_t *out);

/*
 * A copy of s fit for one field of a log line: letters, digits and
 * ._:@+- kept, anything else (a space, a quote, UTF-8) as '_', cut to
 * outlen - 1 bytes. Returns out.
 */
char	*log_safe(const char *s, char *out, size_t outlen);

#endif
