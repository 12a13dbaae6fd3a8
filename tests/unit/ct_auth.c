/*
 * ct_auth.c - is auth_equal constant time? Run under valgrind memcheck
 * with --expensive-definedness-checks=yes (tests/run-all.sh does):
 *
 *   ct_auth auth     the keys' low bits are marked undefined, so any
 *                    branch on the key's bytes (an early exit at the first
 *                    difference) is reported: no report, exit 0.
 *   ct_auth strcmp   the same with an early-exit strcmp in its place: the
 *                    control, which valgrind must report (--error-exitcode).
 *
 * The keys differ (or not) only in those undefined bits, so whether and
 * where they differ is unknown to valgrind: a comparison that stops at a
 * difference must branch on it. Lengths stay defined: they are public.
 */
#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include "auth.h"

#define KEY_LEN	40

static int
early_exit(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* Mark bit 0 of each of the n bytes of p undefined. */
static void
low_bits_unknown(char *p, size_t n)
{
	unsigned char vbits[AUTH_MAX_KEY + 1];

	memset(vbits, 0, sizeof(vbits));
	memset(vbits, 0x01, n);
	VALGRIND_SET_VBITS(p, vbits, n + 1);
}

int
main(int argc, char *argv[])
{
	int	(*cmp)(const char *, const char *) = auth_equal;
	char	 key[KEY_LEN + 1], presented[KEY_LEN + 1];
	int	 i, same, right = 0;

	if (argc > 1 && strcmp(argv[1], "strcmp") == 0)
		cmp = early_exit;
	/* Equal; differing in the first byte; in the last ('k' ^ 1 = 'j'). */
	for (i = 0; i < 3; i++) {
		memset(key, 'k', KEY_LEN);
		key[KEY_LEN] = '\0';
		memcpy(presented, key, sizeof(key));
		if (i == 1)
			presented[0] = 'j';
		if (i == 2)
			presented[KEY_LEN - 1] = 'j';
		low_bits_unknown(key, KEY_LEN);
		low_bits_unknown(presented, KEY_LEN);
		same = cmp(presented, key);
		VALGRIND_MAKE_MEM_DEFINED(&same, sizeof(same));	/* the answer is public */
		right += same == (i == 0);
	}
	printf("%s: %d of 3 comparisons right\n", cmp == auth_equal ?
	    "auth_equal" : "strcmp", right);
	return right == 3 ? 0 : 1;
}
