/* zoom_client.c - Zoom's REST API over one exchange; see zoom_client.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "metrics.h"
#include "util.h"
#include "zoom_client.h"

#define SCOPE_NEEDED	"meeting:read:list_past_participants:admin"
#define ZOOM_CODE_MAX	1000000	/* Zoom's codes are small integers */

int
zc_init(struct zoom_client *zc, struct zoom_tokens *tokens)
{
	memset(zc, 0, sizeof(*zc));
	zc->tokens = tokens;
	buf_init(&zc->bearer, TOKEN_MAX + 64);
	/* Two header lines in the client: no allocation per request. */
	zc->hdr_auth.next = &zc->hdr_accept;
	zc->hdr_accept.data = (char *)"Accept: application/json";
	return xchg_init(&zc->x);
}

void
zc_free(struct zoom_client *zc)
{
	xchg_free(&zc->x);
	buf_wipe(&zc->bearer);
	secure_zero(zc->token.token, sizeof(zc->token.token));
}

/* Count one exchange into info: its attempts and Zoom's tracking id. */
static void
count(struct zoom_info *info, const struct xchg_answer *a, int calls)
{
	info->calls += calls;
	if (a->trace[0] != '\0')
		memcpy(info->trackingid, a->trace, sizeof(info->trackingid));
}

/* A failed exchange as our error; what names the call in the log. */
static enum zoom_err
transport_error(enum xchg_err xe, const struct exchange *x, const char *what,
    struct zoom_info *info)
{
	switch (xe) {
	case XCHG_ETIMEOUT:
		snprintf(info->why, sizeof(info->why), "%s: timeout", what);
		return ZOOM_ETIMEOUT;
	case XCHG_ETOOBIG:
		snprintf(info->why, sizeof(info->why), "%s: answer too large",
		    what);
		return ZOOM_EBADRESP;
	case XCHG_ENOMEM:
		return ZOOM_ENOMEM;
	default:
		snprintf(info->why, sizeof(info->why), "%s: %.100s", what,
		    x->errbuf[0] ? x->errbuf : "no answer");
		return ZOOM_EUNAVAILABLE;
	}
}

/* Retry-After for our 429 answer: at least a second. */
static long
retry_after_secs(const struct xchg_answer *a)
{
	int	is_date;
	long	secs = xchg_retry_after(a->retry_after, time(NULL), &is_date);

	return secs < 1 ? 1 : secs;	/* absent or past: try again soon */
}

enum zoom_err
zc_fetch_token(void *ctx, const struct zoom_tokens *t, char *token,
    long *expires_in, int64_t deadline, struct zoom_info *info)
{
	struct zoom_client	*zc = ctx;
	/* Header lines on the stack: no heap copy of the Basic credentials. */
	struct curl_slist	 accept = { (char *)"Accept: application/json",
				    NULL };
	struct curl_slist	 ctype = { (char *)"Content-Type: "
				    "application/x-www-form-urlencoded", &accept };
	struct curl_slist	 basic = { t->basic, &ctype };
	struct xchg_request	 rq = { "POST", t->url, &basic, t->form,
				    strlen(t->form), ZOOM_TRACE_HEADER, 0,
				    1 + MZ_TOKEN };
	struct xchg_answer	 a;
	enum xchg_err		 xe;
	enum zoom_err		 rc;
	int			 calls = 0;

	xchg_answer_init(&a, TOKEN_MAX_ANSWER);
	xe = xchg_perform(&zc->x, &rq, deadline, &a, &calls);
	count(info, &a, calls);
	info->token_calls += calls;
	if (xe != XCHG_OK) {
		rc = transport_error(xe, &zc->x, "token endpoint", info);
		goto out;
	}
	snprintf(info->why, sizeof(info->why), "token endpoint HTTP %ld",
	    a.status);
	if (a.status == 200) {
		rc = ztok_parse(a.body.data ? a.body.data : "", a.body.len,
		    token, expires_in);
		if (rc != ZOOM_OK) {
			snprintf(info->why, sizeof(info->why),
			    "token answer without a usable access_token/expires_in");
			goto out;
		}
		info->why[0] = '\0';
	} else if (a.status == 400 || a.status == 401 || a.status == 403)
		rc = ZOOM_EAUTH;	/* invalid_client, unsupported_grant_type */
	else if (a.status == 429) {
		info->retry_after = retry_after_secs(&a);
		rc = ZOOM_ERATE;
	} else if (a.status >= 500)
		rc = ZOOM_EUNAVAILABLE;
	else
		rc = ZOOM_EBADRESP;
out:
	buf_wipe(&a.body);
	return rc;
}

/* Point the Authorization line at the thread's token, if it changed. */
static enum zoom_err
set_bearer(struct zoom_client *zc)
{
	static const char	prefix[] = "Authorization: Bearer ";

	if (zc->bearer.len > sizeof(prefix) - 1 &&
	    strcmp(zc->bearer.data + sizeof(prefix) - 1, zc->token.token) == 0)
		return ZOOM_OK;
	buf_reset(&zc->bearer);
	if (buf_printf(&zc->bearer, "%s%s", prefix, zc->token.token) != BUF_OK)
		return ZOOM_ENOMEM;
	zc->hdr_auth.data = zc->bearer.data;
	return ZOOM_OK;
}

enum zoom_err
zc_get(struct zoom_client *zc, const char *url, const char *what,
    int64_t deadline, struct xchg_answer *a, struct zoom_info *info)
{
	struct xchg_request	 rq = { "GET", url, &zc->hdr_auth, NULL, 0,
				    ZOOM_TRACE_HEADER, 0,
				    1 + (int)metrics_zoom_kind("GET", url) };
	enum xchg_err		 xe;
	enum zoom_err		 rc;
	int			 rejected = 0, calls;

	for (;;) {
		if ((rc = ztok_get(zc->tokens, &zc->token, zc_fetch_token, zc,
		    deadline, rejected, info)) != ZOOM_OK ||
		    (rc = set_bearer(zc)) != ZOOM_OK)
			return rc;
		calls = 0;
		xe = xchg_perform(&zc->x, &rq, deadline, a, &calls);
		count(info, a, calls);
		if (xe != XCHG_OK)
			return transport_error(xe, &zc->x, what, info);
		if (a->status != 401)
			return ZOOM_OK;
		/*
		 * Code 124: the token was revoked or replaced. Fetch a new
		 * one and try once more; a 401 for the fresh token too is
		 * final.
		 */
		if (rejected) {
			snprintf(info->why, sizeof(info->why),
			    "%s HTTP 401 with a fresh token", what);
			return ZOOM_ETOKEN_REJECTED;
		}
		rejected = 1;
		metrics_inc(M_REFRESH_401);
	}
}

/* Keep only characters that can appear in scope names, for our message. */
static void
scope_detail(const char *msg, struct zoom_info *info)
{
	const char	*p, *e;
	char		 scopes[160];
	size_t		 j = 0;

	scopes[0] = '\0';
	if (msg != NULL && (p = strstr(msg, "scopes:[")) != NULL &&
	    (e = strchr(p, ']')) != NULL) {
		for (p += 8; p < e && j + 1 < sizeof(scopes); p++)
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == ':' || *p == '_' ||
			    *p == ',' || *p == '.' || *p == ' ')
				scopes[j++] = *p;
		scopes[j] = '\0';
	}
	snprintf(info->detail, sizeof(info->detail),
	    "The Zoom app lacks the scope %s: add it to the Server-to-Server "
	    "OAuth app.", scopes[0] ? scopes : SCOPE_NEEDED);
}

long
zc_json_count(const cJSON *o, const char *name, double max)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);
	double		 d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!(d >= 0 && d <= max) || d != (double)(long)d)
		return -1;
	return (long)d;
}

enum zoom_err
zc_map_error(const struct xchg_answer *a, const char *what,
    struct zoom_info *info)
{
	cJSON		*root = NULL;
	const cJSON	*msg;
	long		 code = -1;
	enum zoom_err	 rc;

	if (a->body.len > 0 &&
	    (root = cJSON_ParseWithLength(a->body.data, a->body.len)) != NULL)
		code = zc_json_count(root, "code", ZOOM_CODE_MAX);
	msg = root ? cJSON_GetObjectItemCaseSensitive(root, "message") : NULL;
	snprintf(info->why, sizeof(info->why), "%s HTTP %ld code %ld", what,
	    a->status, code);

	if (a->status == 404 || code == 3001)
		rc = ZOOM_ENOTFOUND;
	else if (a->status == 400 && code == 4711) {
		scope_detail(cJSON_IsString(msg) ? msg->valuestring : NULL, info);
		rc = ZOOM_ESCOPE;
	} else if ((a->status == 400 && (code == 200 || code == 1010)) ||
	    a->status == 403)
		rc = ZOOM_EPERMISSION;	/* plan, permission, other account */
	else if (a->status == 429) {
		info->retry_after = retry_after_secs(a);
		rc = ZOOM_ERATE;
	} else if (a->status >= 500 && a->status <= 599)
		rc = ZOOM_EUNAVAILABLE;
	else
		rc = ZOOM_EBADRESP;	/* 300 and anything unexpected */
	cJSON_Delete(root);
	return rc;
}
