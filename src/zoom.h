/*
 * zoom.h - what the Zoom client tells the rest of the program.
 */
#ifndef ZA_ZOOM_H
#define ZA_ZOOM_H

#include "zoom_http.h"

enum zoom_err {
	ZOOM_OK = 0,
	ZOOM_ENOTFOUND,		/* 404 / code 3001 */
	ZOOM_EAUTH,		/* token endpoint refused the credentials */
	ZOOM_ETOKEN_REJECTED,	/* a fresh token got 401 too */
	ZOOM_ESCOPE,		/* 400 code 4711 */
	ZOOM_EPERMISSION,	/* 400 code 200, 403 */
	ZOOM_ERATE,		/* 429 daily, or per-second after retries */
	ZOOM_EUNAVAILABLE,	/* 5xx or no connection after retries */
	ZOOM_ETIMEOUT,		/* budget spent */
	ZOOM_EBADRESP,		/* 300, not JSON, wrong shape, too big */
	ZOOM_ENOMEM,
	ZOOM__MAX
};

/* What one client request did with Zoom: for the log and Retry-After. */
struct zoom_info {
	int	 calls;				/* HTTP attempts, retries included */
	int	 token_calls;			/* of which to the token endpoint */
	char	 trackingid[ZHTTP_TRACKING_MAX]; /* last x-zm-trackingid */
	long	 retry_after;			/* seconds, for ZOOM_ERATE */
	char	 detail[256];			/* safe text for the caller, or "" */
	char	 why[128];			/* log detail, never a secret */
};

/*
 * What both Zoom endpoints share (zoom.c): counting one exchange into
 * info, mapping a failed exchange to our error (what names the endpoint
 * in the log detail), and the Retry-After we pass on for a 429.
 */
void		 zoom_count(struct zoom_info *info, const struct http_answer *a,
		     int calls);
enum zoom_err	 zoom_transport_error(enum zhttp_err he,
		     const struct zoom_http *h, const char *what,
		     struct zoom_info *info);
long		 zoom_retry_after(const struct http_answer *a);

#endif
