/*
 * zoom_token.h - the store of the Server-to-Server OAuth access token,
 * fetched once (by the Zoom client, zoom_client.c) and shared: by every thread of a process (a mutex, so one thread
 * refreshes while the others wait for its result) and, with
 * ZOOM_TOKEN_CACHE, by every process and CGI run (a 0600 file written
 * atomically; an flock on "<file>.lock" lets one process refresh at a time).
 * Nothing there can hold a request past its deadline: a FIFO is not
 * waited on, and a lock file that cannot be ours (a missing directory,
 * another user's file) means going without the file cache, said once.
 *
 * A token is used until TOKEN_MARGIN_S before Zoom says it expires
 * (../shared/zoom-api.md section 1.3); one that lives less than that is
 * used once and never cached.
 */
#ifndef ZA_ZOOM_TOKEN_H
#define ZA_ZOOM_TOKEN_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "zoom_status.h"

#define TOKEN_MAX	4096	/* longest access token we accept */
#define TOKEN_MARGIN_S	300	/* stop using a token 5 minutes early */
#define TOKEN_MAX_ANSWER (64 * 1024)

struct zoom_tokens {
	pthread_mutex_t	 lock;
	unsigned long	 generation;		/* bumped when token changes */
	char		 token[TOKEN_MAX];	/* "" when none */
	time_t		 use_until;		/* epoch seconds */
	const char	*cache_path;		/* borrowed from config, or NULL */
	char		*basic;			/* "Authorization: Basic ..." */
	char		*form;			/* grant_type=...&account_id=... */
	const char	*url;			/* borrowed from config */
	unsigned long	 fingerprint;		/* of account and client id */
	int		 cache_warned;		/* "without the file cache" logged */
};

/*
 * A worker's own copy of the shared token: while it is the current one
 * (same generation) and in date, a request uses it without taking the
 * process-wide lock.
 */
struct ztok_local {
	char		 token[TOKEN_MAX];	/* "" when none */
	time_t		 use_until;		/* epoch seconds */
	unsigned long	 generation;		/* of the shared copy */
};

/* Build the request parts from c (which must outlive t). 0 or -1. */
int		 ztok_init(struct zoom_tokens *t, const struct config *c);
/* Wipe and free. */
void		 ztok_free(struct zoom_tokens *t);

/*
 * Ask the token endpoint for a new token (the Zoom client does it; t holds
 * the request's parts). ZOOM_OK with token (TOKEN_MAX bytes) and its
 * lifetime in seconds, or why not in info.
 */
typedef enum zoom_err ztok_fetch_fn(void *ctx, const struct zoom_tokens *t,
		     char *token, long *expires_in, int64_t deadline,
		     struct zoom_info *info);

/*
 * Make l->token a usable token: l's copy while current, else the
 * process's, else the file cache's, else one fetch(ctx, ...) for every
 * thread and process at once (the others wait for its result).
 * rejected: Zoom just refused l->token; it is dropped from every cache
 * and a different one obtained. No wait (for the process's lock, for
 * the file cache's) lasts past deadline: ZOOM_ETIMEOUT then.
 */
enum zoom_err	 ztok_get(struct zoom_tokens *t, struct ztok_local *l,
		     ztok_fetch_fn *fetch, void *ctx, int64_t deadline,
		     int rejected, struct zoom_info *info);

/*
 * For --check-config: can the file cache at path work for this user (its
 * directory there and writable, the lock file and the token file, when
 * they exist, regular files of ours)? 0, or -1 with what is wrong and
 * what it costs in why. Creates nothing. ztok_get works either way,
 * without the file cache when it cannot.
 */
int		 ztok_cache_check(const char *path, char *why, size_t len);

/*
 * Parse a token endpoint answer body. ZOOM_OK and the token and its
 * lifetime, or ZOOM_EBADRESP. Exposed for tests and fuzzing.
 */
enum zoom_err	 ztok_parse(const char *body, size_t len, char *token,
		     long *expires_in);

#endif
