/*
 * zoom_status.h - what a call to Zoom tells the rest of the program: one
 * error kind, and what the request's log line and answer need to know.
 */
#ifndef ZA_ZOOM_STATUS_H
#define ZA_ZOOM_STATUS_H

#include "exchange.h"

enum zoom_err {
	ZOOM_OK = 0,
	ZOOM_ENOTFOUND,		/* 404 / code 3001 */
	ZOOM_EAUTH,		/* token endpoint refused the credentials */
	ZOOM_ETOKEN_REJECTED,	/* a fresh token got 401 too */
	ZOOM_ESCOPE,		/* 400 code 4711 */
	ZOOM_EPERMISSION,	/* 400 code 200 or 1010, 403 */
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
	char	 trackingid[XCHG_TRACE_MAX];	/* last x-zm-trackingid */
	long	 retry_after;			/* seconds, for ZOOM_ERATE */
	char	 detail[256];			/* safe text for the caller, or "" */
	char	 why[128];			/* log detail, never a secret */
};

#endif
