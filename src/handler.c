/* handler.c - the request pipeline: method, key, body, id, Zoom, answer. */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "handler.h"
#include "log.h"
#include "request.h"
#include "util.h"
#include "zoom_api.h"

#define WIRE_KEEP	(128 * 1024)	/* answer buffer kept between requests */

int
worker_init(struct worker *w, struct app *app)
{
	memset(w, 0, sizeof(*w));
	w->app = app;
	buf_init(&w->body, REQ_MAX_BODY);
	buf_init(&w->wire, RESP_MAX_BODY + 4096);
	zapi_scratch_init(&w->scratch);
	return zc_init(&w->zoom, &app->tokens);
}

void
worker_free(struct worker *w)
{
	zc_free(&w->zoom);
	buf_free(&w->body);
	buf_free(&w->wire);
	zapi_scratch_free(&w->scratch);
}

static const enum resp_kind zoom_to_resp[ZOOM__MAX] = {
	RESP_OK,			/* ZOOM_OK */
	RESP_NOT_FOUND,			/* ZOOM_ENOTFOUND */
	RESP_ZOOM_AUTH,			/* ZOOM_EAUTH */
	RESP_ZOOM_TOKEN_REJECTED,	/* ZOOM_ETOKEN_REJECTED */
	RESP_ZOOM_SCOPE,		/* ZOOM_ESCOPE */
	RESP_ZOOM_PERMISSION,		/* ZOOM_EPERMISSION */
	RESP_RATE_LIMITED,		/* ZOOM_ERATE */
	RESP_ZOOM_UNAVAILABLE,		/* ZOOM_EUNAVAILABLE */
	RESP_ZOOM_TIMEOUT,		/* ZOOM_ETIMEOUT */
	RESP_ZOOM_BAD_RESPONSE,		/* ZOOM_EBADRESP */
	RESP_INTERNAL,			/* ZOOM_ENOMEM */
};

static const enum resp_kind req_to_resp[REQ__MAX] = {
	RESP_OK,		/* REQ_OK */
	RESP_BAD_JSON,		/* REQ_EJSON */
	RESP_NOT_OBJECT,	/* REQ_ENOTOBJECT */
	RESP_MISSING_ID,	/* REQ_EMISSING */
	RESP_INVALID_ID,	/* REQ_ETYPE */
	RESP_BAD_JSON,		/* REQ_EDUPLICATE */
	RESP_INVALID_ID,	/* REQ_EINVALID */
	RESP_INTERNAL,		/* REQ_ENOMEM */
};

static int
any_healthz(const struct req_io *io)
{
	static const char *const names[] = {
		"DOCUMENT_URI", "PATH_INFO", "REQUEST_URI", "SCRIPT_NAME"
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(names); i++)
		if (req_is_healthz(io->param(io->ctx, names[i])))
			return 1;
	return 0;
}

/*
 * Read exactly CONTENT_LENGTH bytes (RFC 3875 section 4.2). Returns the
 * response kind to send on failure, or RESP_OK.
 */
static enum resp_kind
read_body(struct worker *w, const struct req_io *io)
{
	long long	 want;
	long		 n;
	char		 chunk[8192];

	buf_reset(&w->body);
	if (req_content_length(io->param(io->ctx, "CONTENT_LENGTH"), &want) < 0)
		return RESP_BAD_JSON;
	if (want > REQ_MAX_BODY)
		return RESP_TOO_LARGE;
	while ((long long)w->body.len < want) {
		size_t left = (size_t)want - w->body.len;

		n = io->read(io->ctx, chunk, left < sizeof(chunk) ?
		    left : sizeof(chunk));
		if (n <= 0)
			return RESP_BAD_JSON;	/* body shorter than announced */
		if (buf_add(&w->body, chunk, (size_t)n) != BUF_OK)
			return RESP_TOO_LARGE;
	}
	return RESP_OK;
}

void
handle_request(struct worker *w, const struct req_io *io, struct response *resp)
{
	struct app		*app = w->app;
	const char		*method = io->param(io->ctx, "REQUEST_METHOD");
	struct meeting_id	 id;
	struct zoom_info	 info;
	enum resp_kind		 kind;
	enum req_err		 re;
	enum zoom_err		 ze;
	int64_t			 start = now_ms();

	memset(&info, 0, sizeof(info));
	memset(&id, 0, sizeof(id));
	if (method == NULL)
		method = "-";

	if (!app->cfg.ok) {
		resp_error(resp, RESP_MISCONFIGURED, NULL);
		goto log;
	}
	if ((strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) &&
	    any_healthz(io)) {
		resp_error(resp, RESP_HEALTHZ, NULL);
		goto log;
	}
	if (strcmp(method, "POST") != 0) {
		resp_error(resp, RESP_METHOD, NULL);
		goto log;
	}
	if (auth_check(io->param(io->ctx, "HTTP_AUTHORIZATION"),
	    cfg_get(&app->cfg, CFG_INTERNAL_API_KEY)) != AUTH_OK) {
		resp_error(resp, RESP_UNAUTHORIZED, NULL);
		goto log;
	}
	if (!req_is_json_type(io->param(io->ctx, "CONTENT_TYPE"))) {
		resp_error(resp, RESP_MEDIA_TYPE, NULL);
		goto log;
	}
	if ((kind = read_body(w, io)) != RESP_OK) {
		resp_error(resp, kind, kind == RESP_BAD_JSON ?
		    "The body is shorter than its Content-Length, or that "
		    "length is invalid." : NULL);
		goto log;
	}
	if ((re = req_parse_body(w->body.data ? w->body.data : "", w->body.len,
	    &id)) != REQ_OK) {
		resp_error(resp, req_to_resp[re], req_strerror(re));
		goto log;
	}

	ze = zapi_participants(&w->zoom, cfg_get(&app->cfg, CFG_ZOOM_API_BASE),
	    &id, &w->scratch, start + app->cfg.timeout_ms, &resp->body, &info);
	if (ze == ZOOM_OK) {
		resp_ok(resp);
	} else {
		resp_error(resp, zoom_to_resp[ze],
		    info.detail[0] != '\0' ? info.detail : NULL);
		if (ze == ZOOM_ERATE)
			resp->retry_after = info.retry_after > 0 ?
			    info.retry_after : 1;
	}
log:
	/* One line a request; the web server keeps stderr. No secrets. */
	log_warnx("%s status=%d meeting=%s zoom_calls=%d token_calls=%d "
	    "ms=%lld%s%s%s%s",
	    method, resp->status, id.text[0] ? id.text : "-", info.calls,
	    info.token_calls,
	    (long long)(now_ms() - start),
	    info.trackingid[0] ? " trackingid=" : "", info.trackingid,
	    info.why[0] ? " detail=" : "", info.why);
}

void
handle_and_send(struct worker *w, const struct req_io *io,
    int (*put)(void *ctx, const char *data, size_t len), void *ctx)
{
	struct response	 resp;
	struct buf	*wire = &w->wire;

	resp_init(&resp);
	handle_request(w, io, &resp);
	buf_reset(wire);
	if (resp_serialize(&resp, wire) == 0)
		put(ctx, wire->data, wire->len);
	else
		log_warnx("answer too large to send");
	resp_free(&resp);
	if (wire->size > WIRE_KEEP)	/* a large meeting: give it back */
		buf_free(wire);
}
