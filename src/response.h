/*
 * response.h - every answer we give, and the one table that maps our
 * error kinds to HTTP statuses and stable codes.
 *
 * A response is built in memory, then written in one piece by the
 * transport, so a late failure can never emit a second status line.
 */
#ifndef ZA_RESPONSE_H
#define ZA_RESPONSE_H

#include "buf.h"

#define RESP_MAX_BODY	(64 * 1024 * 1024)	/* merged participants, hard cap */

enum resp_kind {
	RESP_OK = 0,		/* 200, body set by the caller */
	RESP_HEALTHZ,		/* 200 {"status":"ok"} */
	RESP_ACCEPTED,		/* 202, body set by the caller (webhook) */
	RESP_BAD_JSON,		/* 400 */
	RESP_NOT_OBJECT,	/* 400 */
	RESP_MISSING_ID,	/* 400 */
	RESP_INVALID_ID,	/* 400 */
	RESP_UNAUTHORIZED,	/* 401 + WWW-Authenticate */
	RESP_NOT_FOUND,		/* 404 meeting_not_found */
	RESP_METHOD,		/* 405 + Allow */
	RESP_TOO_LARGE,		/* 413 */
	RESP_MEDIA_TYPE,	/* 415 */
	RESP_MISCONFIGURED,	/* 500 */
	RESP_INTERNAL,		/* 500 */
	RESP_ZOOM_AUTH,		/* 502 token endpoint refused our credentials */
	RESP_ZOOM_TOKEN_REJECTED, /* 502 a fresh token was refused again */
	RESP_ZOOM_SCOPE,	/* 502 app lacks a scope */
	RESP_ZOOM_PERMISSION,	/* 502 plan or permission */
	RESP_ZOOM_UNAVAILABLE,	/* 502 5xx or no connection, after retries */
	RESP_ZOOM_BAD_RESPONSE,	/* 502 anything we cannot trust */
	RESP_RATE_LIMITED,	/* 503 + Retry-After */
	RESP_ZOOM_TIMEOUT,	/* 504 */
	RESP_INVALID_COACH,	/* 400 */
	RESP_INVALID_CLIENT,	/* 400 */
	RESP_INVALID_MIN_SECONDS, /* 400 */
	RESP_INVALID_START_TIME, /* 400 */
	RESP_ATTENDANCE_NOT_READY, /* 503 + Retry-After */
	RESP_BAD_SIGNATURE,	/* 401 webhook signature */
	RESP_BAD_PAYLOAD,	/* 400 webhook payload field */
	RESP_BAD_UID,		/* 400 webhook booking uid */
	RESP_SPOOL,		/* 503 the job could not be kept */
	RESP_WORKFLOW_OFF,	/* 503 WORKFLOW_SPOOL_DIR unset */
	RESP_BAD_LENGTH,	/* 400 CONTENT_LENGTH not a count, or body short */
	RESP_REQUEST_TIMEOUT,	/* 408 the body could not be read whole */
	RESP__MAX
};

struct response {
	enum resp_kind	 kind;
	int		 status;
	long		 retry_after;	/* seconds; 0 = no header */
	const char	*content_type;	/* NULL: application/json */
	struct buf	 body;		/* JSON; owned */
};

void		 resp_init(struct response *r);
void		 resp_free(struct response *r);

/* Set an error answer; detail (may be NULL) replaces the default message. */
void		 resp_error(struct response *r, enum resp_kind kind,
		     const char *detail);

/* Set a 200 answer: the body already holds the JSON. */
void		 resp_ok(struct response *r);

/* The same, 202 Accepted (the webhook route). */
void		 resp_accepted(struct response *r);

/*
 * Serialise status line, headers and body, CGI style ("Status: ..."), into
 * out. Returns 0, or -1 when out cannot hold it.
 */
int		 resp_serialize(const struct response *r, struct buf *out);

int		 resp_status(enum resp_kind kind);
const char	*resp_code(enum resp_kind kind);

#endif
