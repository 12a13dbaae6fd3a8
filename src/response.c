/* response.c - the error table and the wire form of an answer. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "response.h"

struct resp_def {
	int		 status;
	const char	*code;
	const char	*message;
};

static const struct resp_def defs[RESP__MAX] = {
	{ 200, NULL, NULL },						/* RESP_OK */
	{ 200, NULL, NULL },						/* RESP_HEALTHZ */
	{ 202, NULL, NULL },						/* RESP_ACCEPTED */
	{ 400, "invalid_json", "The body is not valid JSON." },	/* RESP_BAD_JSON */
	{ 400, "invalid_json", "The body must be a JSON object." },	/* RESP_NOT_OBJECT */
	{ 400, "missing_zoom_call_id", "The body has no zoomCallId." },	/* RESP_MISSING_ID */
	{ 400, "invalid_zoom_call_id", "zoomCallId is not a Zoom meeting id or UUID." },
									/* RESP_INVALID_ID */
	{ 401, "unauthorized", "Send Authorization: Bearer <internal API key>." },
									/* RESP_UNAUTHORIZED */
	{ 404, "meeting_not_found",
	    "Zoom has no past meeting with this id: it does not exist, has not ended yet, "
	    "or is too old." },						/* RESP_NOT_FOUND */
	{ 405, "method_not_allowed", "Use POST." },			/* RESP_METHOD */
	{ 413, "body_too_large", "The body is larger than 64 KiB." },	/* RESP_TOO_LARGE */
	{ 415, "unsupported_media_type", "Send Content-Type: application/json." },
									/* RESP_MEDIA_TYPE */
	{ 500, "server_misconfigured",
	    "The responder's configuration is incomplete; its log names the setting." },
									/* RESP_MISCONFIGURED */
	{ 500, "internal_error", "The responder failed; its log says why." },
									/* RESP_INTERNAL */
	{ 502, "zoom_auth_failed", "Zoom refused the app's credentials." },
									/* RESP_ZOOM_AUTH */
	{ 502, "zoom_token_rejected", "Zoom rejected a freshly issued access token." },
									/* RESP_ZOOM_TOKEN_REJECTED */
	{ 502, "zoom_missing_scope",
	    "The Zoom app lacks the scope meeting:read:list_past_participants:admin." },
									/* RESP_ZOOM_SCOPE */
	{ 502, "zoom_permission_denied",
	    "The Zoom account's plan or permissions do not allow reading past meeting "
	    "participants (a paid plan is needed)." },			/* RESP_ZOOM_PERMISSION */
	{ 502, "zoom_unavailable", "Zoom did not answer successfully, even after retries." },
									/* RESP_ZOOM_UNAVAILABLE */
	{ 502, "zoom_bad_response", "Zoom sent an answer that could not be used." },
									/* RESP_ZOOM_BAD_RESPONSE */
	{ 503, "rate_limited", "Zoom's rate limit was reached; retry after the time given." },
									/* RESP_RATE_LIMITED */
	{ 504, "zoom_timeout", "Zoom did not answer in time." },	/* RESP_ZOOM_TIMEOUT */
	{ 400, "invalid_coach", "coach must be an object with an email and/or a name." },
									/* RESP_INVALID_COACH */
	{ 400, "invalid_client", "client must be an object with an email and/or a name." },
									/* RESP_INVALID_CLIENT */
	{ 400, "invalid_minimum_seconds",
	    "minimumSeconds must be an integer from 0 to 86400." },	/* RESP_INVALID_MIN_SECONDS */
	{ 400, "invalid_start_time",
	    "startTime must be an ISO 8601 time such as \"2026-11-20T10:00:00Z\"." },
									/* RESP_INVALID_START_TIME */
	{ 503, "attendance_not_ready",
	    "Zoom says people attended but has not listed them yet; retry after the time "
	    "given." },							/* RESP_ATTENDANCE_NOT_READY */
	{ 401, "invalid_signature",
	    "X-Cal-Signature-256 is missing or is not the HMAC-SHA256 of the body "
	    "with the webhook's secret." },				/* RESP_BAD_SIGNATURE */
	{ 400, "invalid_payload", "The payload is not a Cal.com webhook." },
									/* RESP_BAD_PAYLOAD */
	{ 400, "invalid_uid",
	    "The booking uid is missing, empty, longer than 200 bytes or holds "
	    "control characters." },					/* RESP_BAD_UID */
	{ 503, "spool_unavailable",
	    "The event could not be stored; it was not accepted. Send it again." },
									/* RESP_SPOOL */
	{ 503, "workflow_not_configured",
	    "This responder has no WORKFLOW_SPOOL_DIR; the meeting-ended workflow is "
	    "off." },							/* RESP_WORKFLOW_OFF */
	{ 400, "invalid_content_length",
	    "Content-Length is not a number of bytes, or the body is shorter than it." },
									/* RESP_BAD_LENGTH */
	{ 408, "request_timeout",
	    "The request did not arrive whole in time; send it again." },
									/* RESP_REQUEST_TIMEOUT */
};

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Error";
	}
}

void
resp_init(struct response *r)
{
	r->kind = RESP_INTERNAL;
	r->status = 500;
	r->retry_after = 0;
	r->content_type = NULL;
	buf_init(&r->body, RESP_MAX_BODY);
}

void
resp_free(struct response *r)
{
	buf_free(&r->body);
}

int
resp_status(enum resp_kind kind)
{
	return defs[kind].status;
}

const char *
resp_code(enum resp_kind kind)
{
	return defs[kind].code;
}

void
resp_error(struct response *r, enum resp_kind kind, const char *detail)
{
	cJSON	*o;
	char	*s = NULL;

	r->kind = kind;
	r->status = defs[kind].status;
	buf_reset(&r->body);
	if (kind == RESP_HEALTHZ) {
		buf_addstr(&r->body, "{\"status\":\"ok\"}");
		return;
	}
	/* cJSON escapes the message; a detail may quote Zoom's scope names. */
	if ((o = cJSON_CreateObject()) != NULL &&
	    cJSON_AddStringToObject(o, "error", defs[kind].code) != NULL &&
	    cJSON_AddStringToObject(o, "message",
	    detail != NULL ? detail : defs[kind].message) != NULL)
		s = cJSON_PrintUnformatted(o);
	if (s != NULL)
		buf_addstr(&r->body, s);
	else
		buf_addstr(&r->body, "{\"error\":\"internal_error\","
		    "\"message\":\"Out of memory.\"}");
	cJSON_free(s);
	cJSON_Delete(o);
}

void
resp_ok(struct response *r)
{
	r->kind = RESP_OK;
	r->status = 200;
}

void
resp_accepted(struct response *r)
{
	r->kind = RESP_ACCEPTED;
	r->status = 202;
}

int
resp_serialize(const struct response *r, struct buf *out)
{
	int rc = 0;

	rc |= buf_printf(out, "Status: %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Content-Length: %zu\r\n", r->status, reason_phrase(r->status),
	    r->content_type != NULL ? r->content_type : "application/json",
	    r->body.len) != BUF_OK;
	if (r->kind == RESP_UNAUTHORIZED)
		rc |= buf_addstr(out, "WWW-Authenticate: Bearer\r\n") != BUF_OK;
	if (r->kind == RESP_METHOD)
		rc |= buf_addstr(out, "Allow: POST\r\n") != BUF_OK;
	if (r->retry_after > 0)
		rc |= buf_printf(out, "Retry-After: %ld\r\n", r->retry_after) != BUF_OK;
	rc |= buf_add(out, "\r\n", 2) != BUF_OK;
	rc |= buf_add(out, r->body.data != NULL ? r->body.data : "",
	    r->body.len) != BUF_OK;
	return rc ? -1 : 0;
}
