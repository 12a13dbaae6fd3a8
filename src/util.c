/* util.c - see util.h. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

void
secure_zero(void *p, size_t len)
{
	explicit_bzero(p, len);
}

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
parse_int(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || *s == ' ' || *s == '+')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
ascii_ncaseeq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ca = (unsigned char)a[i], cb = (unsigned char)b[i];

		if (ca >= 'A' && ca <= 'Z')
			ca = (unsigned char)(ca - 'A' + 'a');
		if (cb >= 'A' && cb <= 'Z')
			cb = (unsigned char)(cb - 'A' + 'a');
		if (ca != cb)
			return 0;
		if (ca == '\0')
			return 1;
	}
	return 1;
}

int
has_control(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f ||
		    (p[i] == 0xc2 && i + 1 < n && p[i + 1] <= 0x9f))
			return 1;
	return 0;
}

int
ascii_visible(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), no time zone games. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return days[m - 1] + (m == 2 && leap);
}

/* The n decimal digits at s as a number, or -1 if one is not a digit. */
static int
fixed_digits(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * Fixed positions, digits only: "YYYY-MM-DDTHH:MM:SS", then an optional
 * fraction, then "Z" or "+HH:MM" / "-HH:MM". (sscanf would also take
 * blanks and signs inside the fields, and cost 40 times as much: a
 * 1,000-row meeting has 2,000 of these.)
 */
int
parse_utc_time(const char *v, time_t *out)
{
	int		 y, mo, d, hh, mm, ss, oh, om, sign;
	int64_t		 t;
	const char	*p;

	if (strnlen(v, 19) < 19 || v[4] != '-' || v[7] != '-' ||
	    v[10] != 'T' || v[13] != ':' || v[16] != ':')
		return -1;
	y = fixed_digits(v, 4);
	mo = fixed_digits(v + 5, 2);
	d = fixed_digits(v + 8, 2);
	hh = fixed_digits(v + 11, 2);
	mm = fixed_digits(v + 14, 2);
	ss = fixed_digits(v + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || hh < 0 || hh > 23 || mm < 0 ||
	    mm > 59 || ss < 0 || ss > 60)
		return -1;
	p = v + 19;
	if (*p == '.') {
		if (!isdigit((unsigned char)p[1]))
			return -1;	/* a point needs digits */
		for (p++; isdigit((unsigned char)*p); p++)
			;
	}
	t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    hh * 3600 + mm * 60 + ss;
	if (*p == 'Z' && p[1] == '\0') {
		*out = (time_t)t;
		return 0;
	}
	if ((*p != '+' && *p != '-') || strnlen(p, 7) != 6 || p[3] != ':')
		return -1;
	oh = fixed_digits(p + 1, 2);
	om = fixed_digits(p + 4, 2);
	if (oh < 0 || oh > 23 || om < 0 || om > 59)
		return -1;
	sign = *p == '+' ? 1 : -1;
	*out = (time_t)(t - sign * (oh * 3600 + om * 60));
	return 0;
}


char *
log_safe(const char *s, char *out, size_t outlen)
{
	size_t	 i;
	char	 c;

	for (i = 0; i + 1 < outlen && s[i] != '\0'; i++) {
		c = s[i];
		out[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("._:@+-", c) != NULL ?
		    c : '_';
	}
	if (outlen > 0)
		out[i] = '\0';
	return out;
}
