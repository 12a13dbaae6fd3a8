/*
 * zoom_client.h - a worker's client for Zoom's REST API: the exchange
 * (exchange.c) plus what is Zoom's own. The access token comes from the
 * process's store (zoom_token.c) and goes into the bearer line; a 401
 * drops it and fetches a new one, once; x-zm-trackingid is kept for the
 * log; Zoom's error bodies become our error kinds.
 *
 * One struct zoom_client per worker thread; nothing in it is shared but
 * the token store it borrows.
 */
#ifndef ZA_ZOOM_CLIENT_H
#define ZA_ZOOM_CLIENT_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "exchange.h"
#include "zoom_status.h"
#include "zoom_token.h"

#define ZOOM_TRACE_HEADER	"x-zm-trackingid"

struct zoom_client {
	struct exchange		 x;		/* one libcurl handle */
	struct zoom_tokens	*tokens;	/* the process's; borrowed */
	struct ztok_local	 token;		/* this thread's copy */
	struct buf		 bearer;	/* "Authorization: Bearer ..." */
	struct curl_slist	 hdr_auth;	/* -> bearer */
	struct curl_slist	 hdr_accept;
};

/* 0, or -1 (out of memory). tokens must outlive zc. */
int		 zc_init(struct zoom_client *zc, struct zoom_tokens *tokens);
void		 zc_free(struct zoom_client *zc);	/* wipes the token */

/*
 * GET url with the access token, retried by the exchange; a 401 gets a
 * new token and one more try. ZOOM_OK when an answer other than 401
 * arrived: a->status tells which (the caller maps a non-200 with
 * zc_map_error). Otherwise the error, and info->why says what happened
 * with `what` naming the call ("participants"). info counts every call.
 */
enum zoom_err	 zc_get(struct zoom_client *zc, const char *url,
		     const char *what, int64_t deadline, struct xchg_answer *a,
		     struct zoom_info *info);

/*
 * Map a non-200 answer of Zoom's REST API to our error: 404 or code 3001
 * not found; 4711 a missing scope (named in info->detail); 200, 1010 or
 * 403 permission; 429 rate (info->retry_after); 5xx unavailable; anything
 * else a bad response. The body is read, never copied to info.
 */
enum zoom_err	 zc_map_error(const struct xchg_answer *a, const char *what,
		     struct zoom_info *info);

/*
 * The member name of o when it is a whole number from 0 to max, else -1.
 * A cast of 1e300 to long is undefined, and 3001.9 is no code of Zoom's.
 */
long		 zc_json_count(const cJSON *o, const char *name, double max);

/* The fetch the token store calls (ztok_fetch_fn); ctx is a zoom_client. */
ztok_fetch_fn	 zc_fetch_token;

#endif
