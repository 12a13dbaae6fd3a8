/*
 * auth.h - the inbound credential check.
 *
 * Callers present "Authorization: Bearer <INTERNAL_API_KEY>". The check
 * takes the same time whatever prefix of the key matches and whatever the
 * presented length: both sides are copied into fixed-size blocks and every
 * byte of the block is compared.
 */
#ifndef ZA_AUTH_H
#define ZA_AUTH_H

#define AUTH_MAX_KEY	512	/* a longer presented credential never matches */

enum auth_result {
	AUTH_OK = 0,
	AUTH_MISSING,		/* no Authorization header */
	AUTH_SCHEME,		/* not "Bearer" */
	AUTH_WRONG,		/* Bearer, wrong key */
	AUTH__MAX
};

/* header may be NULL. key is the configured key (NUL-terminated). */
enum auth_result	 auth_check(const char *header, const char *key);

/* Constant-time equality of two strings of any length up to AUTH_MAX_KEY. */
int			 auth_equal(const char *a, const char *b);

#endif
