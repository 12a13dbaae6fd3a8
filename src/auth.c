/* auth.c - bearer key check in constant time (RFC 6750 section 2.1). */
#include <stdint.h>
#include <string.h>

#include "auth.h"
#include "util.h"

/*
 * Compare in constant time over AUTH_MAX_KEY bytes, as redis's
 * time_independent_strcmp does: the loop never depends on where the first
 * difference is, nor on either length. An empty asm barrier on the
 * accumulator keeps the compiler from turning it into an early-exit memcmp.
 */
int
auth_equal(const char *a, const char *b)
{
	uint64_t	 ba[AUTH_MAX_KEY / 8], bb[AUTH_MAX_KEY / 8], diff = 0;
	size_t		 la = strnlen(a, AUTH_MAX_KEY + 1);
	size_t		 lb = strnlen(b, AUTH_MAX_KEY + 1);
	size_t		 i;

	memset(ba, 0, sizeof(ba));
	memset(bb, 0, sizeof(bb));
	memcpy(ba, a, la < AUTH_MAX_KEY ? la : AUTH_MAX_KEY);
	memcpy(bb, b, lb < AUTH_MAX_KEY ? lb : AUTH_MAX_KEY);
	/* Every word, whatever differs first: no early exit to time. */
	for (i = 0; i < AUTH_MAX_KEY / 8; i++) {
		diff |= ba[i] ^ bb[i];
		__asm__ volatile("" : "+r"(diff));	/* nor a compiler's */
	}
	diff |= (uint64_t)(la != lb);
	diff |= (uint64_t)(la > AUTH_MAX_KEY);
	secure_zero(ba, sizeof(ba));
	secure_zero(bb, sizeof(bb));
	return diff == 0;
}

enum auth_result
auth_check(const char *header, const char *key)
{
	const char *p;

	if (header == NULL || *header == '\0')
		return AUTH_MISSING;
	/* The scheme is case-insensitive (RFC 7235 section 2.1). */
	if (strlen(header) < 7 || !ascii_ncaseeq(header, "Bearer ", 7))
		return AUTH_SCHEME;
	p = header + 7;
	while (*p == ' ')
		p++;
	return auth_equal(p, key) ? AUTH_OK : AUTH_WRONG;
}
