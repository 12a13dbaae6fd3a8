/* handler.c - the request pipeline: method, key, body, id, Zoom, answer. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "auth.h"
#include "cal_webhook.h"
#include "handler.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "util.h"
#include "workflow.h"
#include "zoom_api.h"

#define WIRE_KEEP	(128 * 1024)	/* answer buffer kept between requests */
#define ATTENDANCE_RETRY_S 60		/* Retry-After when rows are not ready */
/* Cal.com posts here; any path ending so (a shared host may serve one
 * directory, e.g. /api/zoom/meeting-ended). */
#define CAL_ROUTE	"/meeting-ended"

int
worker_init(struct worker *w, struct app *app)
{
	memset(w, 0, sizeof(*w));
	w->app = app;
	buf_init(&w->body, CAL_MAX_BODY);	/* the larger of the routes' */
	buf_init(&w->wire, RESP_MAX_BODY + 4096);
	zapi_scratch_init(&w->scratch);
	att_rows_init(&w->rows);
	return zc_init(&w->zoom, &app->tokens);
}

void
worker_free(struct worker *w)
{
	zc_free(&w->zoom);
	buf_free(&w->body);
	buf_free(&w->wire);
	zapi_scratch_free(&w->scratch);
	att_rows_free(&w->rows);
}

void
app_words(struct app *app)
{
	app->words[ATT_COMPLETED] =
	    cfg_get(&app->cfg, CFG_ATTENDANCE_STATUS_COMPLETED);
	app->words[ATT_NO_SHOW] = cfg_get(&app->cfg, CFG_ATTENDANCE_STATUS_NO_SHOW);
	app->words[ATT_NEVER_HELD] =
	    cfg_get(&app->cfg, CFG_ATTENDANCE_STATUS_NEVER_HELD);
	app->words[ATT_COACH_NO_SHOW] =
	    cfg_get(&app->cfg, CFG_ATTENDANCE_STATUS_COACH_NO_SHOW);
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
	RESP_INVALID_COACH,	/* REQ_ECOACH */
	RESP_INVALID_CLIENT,	/* REQ_ECLIENT */
	RESP_INVALID_MIN_SECONDS, /* REQ_EMIN_SECONDS */
	RESP_INVALID_START_TIME, /* REQ_ESTART_TIME */
};

/* Any of the paths the web server passes ends in suffix. */
static int
any_path(const struct req_io *io, const char *suffix)
{
	static const char *const names[] = {
		"DOCUMENT_URI", "PATH_INFO", "REQUEST_URI", "SCRIPT_NAME"
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(names); i++)
		if (req_path_ends(io->param(io->ctx, names[i]), suffix))
			return 1;
	return 0;
}

/*
 * Read the body into w->body: CONTENT_LENGTH bytes (RFC 3875 section
 * 4.2), or, under FastCGI when no length is given, everything to the end
 * of the stdin stream. RESP_OK; RESP_TOO_LARGE past limit bytes;
 * RESP_BAD_LENGTH when the length is not a count or the body ends before
 * it; RESP_REQUEST_TIMEOUT when the body cannot be read.
 */
static enum resp_kind
read_body(struct worker *w, const struct req_io *io, long long limit)
{
	long long	 want;
	long		 n;
	size_t		 ask;
	char		 chunk[8192];

	buf_reset(&w->body);
	if (req_content_length(io->param(io->ctx, "CONTENT_LENGTH"),
	    io->end_marked, &want) < 0)
		return RESP_BAD_LENGTH;
	if (want > limit)
		return RESP_TOO_LARGE;
	for (;;) {
		ask = sizeof(chunk);
		if (want != REQ_LENGTH_TO_END) {
			if ((long long)w->body.len >= want)
				break;
			if ((size_t)want - w->body.len < ask)
				ask = (size_t)want - w->body.len;
		}
		if ((n = io->read(io->ctx, chunk, ask)) < 0)
			return RESP_REQUEST_TIMEOUT;
		if (n == 0) {
			if (want == REQ_LENGTH_TO_END)
				break;		/* the stream's end */
			return RESP_BAD_LENGTH;	/* shorter than announced */
		}
		if ((long long)(w->body.len + (size_t)n) > limit ||
		    buf_add(&w->body, chunk, (size_t)n) != BUF_OK)
			return RESP_TOO_LARGE;
	}
	return RESP_OK;
}

/*
 * The method as the log line shows it: one of HTTP's (RFC 9110 section 9,
 * and PATCH) or "other". The caller's own text could be long enough to
 * push the status out of the line, or hold spaces that forge fields.
 */
static const char *
log_method(const char *method)
{
	static const char *const known[] = {
		"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS",
		"TRACE", "PATCH"
	};
	size_t i;

	if (method == NULL || *method == '\0')
		return "-";
	for (i = 0; i < ARRAY_LEN(known); i++)
		if (strcmp(method, known[i]) == 0)
			return known[i];
	return "other";
}

/*
 * Splice the "attendance" object into Zoom's merged answer in out, which
 * ends with the participants array's "]}". 0, or -1 (memory or cap).
 */
static int
add_attendance(struct worker *w, const struct att_result *res,
    struct buf *out)
{
	if (out->len < 1 || out->data[out->len - 1] != '}')
		return -1;
	out->len--;
	if (buf_addstr(out, ",\"attendance\":") != BUF_OK ||
	    att_write_json(&w->rows, res, w->app->words, out) < 0 ||
	    buf_addstr(out, "}") != BUF_OK)
		return -1;
	return 0;
}

enum resp_kind
zoom_attendance(struct worker *w, const struct req_body *rq, int64_t deadline,
    struct buf *body, struct att_result *res, int *absent,
    struct zoom_info *info)
{
	struct app		*app = w->app;
	const char		*api = cfg_get(&app->cfg, CFG_ZOOM_API_BASE);
	struct meeting_id	 id = rq->id;
	struct att_record	 rec;
	int			 verdict = rq->att.coach.given ||
				    rq->att.client.given;
	enum zoom_err		 ze;

	*absent = 0;
	/* A numeric id alone means the latest occurrence: pick by time. */
	if (rq->has_start && !id.is_uuid &&
	    (ze = zapi_occurrence(&w->zoom, api, &rq->id, rq->start_time,
	    &w->scratch, deadline, &id, info)) != ZOOM_OK)
		return zoom_to_resp[ze];
	ze = zapi_participants(&w->zoom, api, &id, &w->scratch, deadline,
	    body, verdict ? &w->rows : NULL, info);
	if (ze != ZOOM_OK)
		return zoom_to_resp[ze];
	if (!verdict)
		return RESP_OK;
	if (w->rows.n > 0)
		return att_decide(&w->rows, body->data + w->rows.text_off,
		    &rq->att, res) != ATT_OK ? RESP_INTERNAL : RESP_OK;
	/* No rows is not "nobody came": ask the meeting's record. */
	if ((ze = zapi_meeting_record(&w->zoom, api, &id, &w->scratch,
	    deadline, &rec, info)) != ZOOM_OK)
		return zoom_to_resp[ze];
	if (att_from_record(&rq->att, &rec, res) < 0) {
		snprintf(info->why, sizeof(info->why),
		    "no rows yet for %ld participants", rec.participants_count);
		info->retry_after = ATTENDANCE_RETRY_S;
		return RESP_ATTENDANCE_NOT_READY;
	}
	*absent = !rec.found;
	return RESP_OK;
}

/*
 * The endpoint's Zoom part: the participants into resp->body and, when
 * coach or client is named, the attendance object spliced in.
 */
static enum resp_kind
ask_zoom(struct worker *w, const struct req_body *rq, int64_t deadline,
    struct response *resp, struct zoom_info *info)
{
	struct att_result	 res;
	enum resp_kind		 kind;
	int			 absent;

	kind = zoom_attendance(w, rq, deadline, &resp->body, &res, &absent,
	    info);
	if (kind != RESP_OK || !(rq->att.coach.given || rq->att.client.given))
		return kind;
	return add_attendance(w, &res, &resp->body) < 0 ? RESP_INTERNAL : RESP_OK;
}

/* The 202 answer's body: {"accepted": true, "uid": ..., "job": ...}. */
static void
cal_accepted(struct response *resp, const char *uid, const char *job)
{
	cJSON	*o;
	char	*text = NULL;

	if ((o = cJSON_CreateObject()) != NULL &&
	    cJSON_AddTrueToObject(o, "accepted") != NULL &&
	    cJSON_AddStringToObject(o, "uid", uid) != NULL &&
	    cJSON_AddStringToObject(o, "job", job) != NULL)
		text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (text == NULL) {
		resp_error(resp, RESP_INTERNAL, NULL);
		return;
	}
	buf_reset(&resp->body);
	if (buf_addstr(&resp->body, text) == BUF_OK)
		resp_accepted(resp);
	else
		resp_error(resp, RESP_INTERNAL, NULL);
	cJSON_free(text);
}

/*
 * POST /api/cal/meeting-ended: Cal.com's MEETING_ENDED webhook. The
 * signature, then the payload, then the job durably in the spool, and
 * only then 202; the job itself runs later (workflow.c). No Zoom or
 * Notion call happens here.
 */
static void
handle_cal(struct worker *w, const struct req_io *io, const char *method,
    struct response *resp)
{
	struct app	*app = w->app;
	struct job	 job;
	enum resp_kind	 kind;
	enum cal_sig	 sig = CAL_SIG__UNCHECKED;
	const char	*field, *state = "-", *body;
	char		 detail[160], uid[72];
	int64_t		 start = now_ms();

	job.uid[0] = '\0';
	if (!app->cfg.workflow) {
		resp_error(resp, RESP_WORKFLOW_OFF, NULL);
		goto log;
	}
	if (strcmp(method, "POST") != 0) {
		resp_error(resp, RESP_METHOD, NULL);
		goto log;
	}
	if ((kind = read_body(w, io, CAL_MAX_BODY)) != RESP_OK) {
		resp_error(resp, kind, kind == RESP_TOO_LARGE ?
		    "The body is larger than 256 KiB." : NULL);
		goto log;
	}
	body = w->body.data != NULL ? w->body.data : "";
	sig = cal_check_signature(cfg_get(&app->cfg, CFG_CAL_WEBHOOK_SECRET),
	    app->cfg.allow_unsigned, io->param(io->ctx, CAL_SIG_HEADER), body,
	    w->body.len);
	if (sig == CAL_SIG_BAD) {
		resp_error(resp, RESP_BAD_SIGNATURE, NULL);
		goto log;
	}
	switch (cal_parse(body, w->body.len, (int64_t)time(NULL),
	    app->cfg.max_wait_s, &job, &field)) {
	case CAL_EJSON:
		resp_error(resp, RESP_BAD_JSON, "The body is not a JSON object.");
		goto log;
	case CAL_EUID:
		resp_error(resp, RESP_BAD_UID, NULL);
		goto log;
	case CAL_EPAYLOAD:
		snprintf(detail, sizeof(detail), "%s is missing or is not what "
		    "Cal.com sends.", field);
		resp_error(resp, RESP_BAD_PAYLOAD, detail);
		goto log;
	case CAL_IGNORED:
		state = "ignored";
		buf_reset(&resp->body);
		if (buf_addstr(&resp->body, "{\"ignored\":true,\"reason\":"
		    "\"not a MEETING_ENDED event\"}") == BUF_OK)
			resp_accepted(resp);
		goto log;
	case CAL_OK:
		break;
	}
	/*
	 * Unsigned, anyone may have sent it: the people it names are not
	 * trusted (the page's are used), only the uid, which picks a page.
	 */
	if (sig == CAL_SIG_UNSIGNED) {
		memset(&job.coach, 0, sizeof(job.coach));
		memset(&job.client, 0, sizeof(job.client));
	}
	if (app->spool_lazy && !app->spool_ok)
		wf_open(app);
	switch (app->spool_ok ? spool_add(&app->spool, &job) : SPOOL_EIO) {
	case SPOOL_ADDED:
		state = "new";
		metrics_inc(M_JOBS_ACCEPTED);
		wf_wake(app);
		break;
	case SPOOL_DUPLICATE:
		state = "duplicate";
		break;
	case SPOOL_ALREADY_DONE:
		state = "done";
		break;
	case SPOOL_EIO:
		state = "not-stored";
		resp_error(resp, RESP_SPOOL, NULL);
		goto log;
	}
	cal_accepted(resp, job.uid, state);
log:
	log_warnx("%s status=%d route=meeting-ended uid=%s job=%s "
	    "signature=%s ms=%lld", log_method(method), resp->status,
	    job.uid[0] ? log_safe(job.uid, uid, sizeof(uid)) : "-", state,
	    sig == CAL_SIG_OK ? "ok" : sig == CAL_SIG_UNSIGNED ?
	    "unsigned(CAL_ALLOW_UNSIGNED=1)" : sig == CAL_SIG_BAD ? "bad" : "-",
	    (long long)(now_ms() - start));
}

/*
 * GET .../metrics: the counters of every process, for the METRICS_KEY
 * when it is set, else for the API's key.
 */
static void
handle_metrics(struct app *app, const struct req_io *io, const char *method,
    struct response *resp)
{
	const char	*key = cfg_get(&app->cfg, CFG_METRICS_KEY);

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		resp_error(resp, RESP_METHOD, NULL);
		return;
	}
	if (auth_check(io->param(io->ctx, "HTTP_AUTHORIZATION"),
	    key != NULL ? key : cfg_get(&app->cfg, CFG_INTERNAL_API_KEY)) !=
	    AUTH_OK) {
		resp_error(resp, RESP_UNAUTHORIZED, NULL);
		return;
	}
	buf_reset(&resp->body);
	if (metrics_write(&resp->body) < 0) {
		resp_error(resp, RESP_INTERNAL, NULL);
		return;
	}
	resp_ok(resp);
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/* The route a request is counted under. */
static enum m_route
metrics_route(const struct app *app, const struct req_io *io)
{
	if (any_path(io, CAL_ROUTE))
		return MR_MEETING_ENDED;
	if (any_path(io, "/healthz"))
		return MR_HEALTHZ;
	if (app->cfg.metrics && any_path(io, "/metrics"))
		return MR_METRICS;
	return MR_ATTENDANCE;
}

void
handle_request(struct worker *w, const struct req_io *io, struct response *resp)
{
	struct app		*app = w->app;
	const char		*method = io->param(io->ctx, "REQUEST_METHOD");
	struct meeting_id	 id;
	struct req_body		 rq;
	struct zoom_info	 info;
	enum resp_kind		 kind;
	enum req_err		 re;
	int64_t			 start = now_ms();

	memset(&info, 0, sizeof(info));
	memset(&id, 0, sizeof(id));
	if (method == NULL)
		method = "";

	if (!app->cfg.ok) {
		resp_error(resp, RESP_MISCONFIGURED, NULL);
		goto log;
	}
	if ((strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) &&
	    any_path(io, "/healthz")) {
		resp_error(resp, RESP_HEALTHZ, NULL);
		goto log;
	}
	if (any_path(io, CAL_ROUTE)) {
		handle_cal(w, io, method, resp);
		return;
	}
	if (app->cfg.metrics && any_path(io, "/metrics")) {
		handle_metrics(app, io, method, resp);
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
	if ((kind = read_body(w, io, REQ_MAX_BODY)) != RESP_OK) {
		resp_error(resp, kind, NULL);
		goto log;
	}
	if ((re = req_parse_request(w->body.data ? w->body.data : "",
	    w->body.len, &rq)) != REQ_OK) {
		resp_error(resp, req_to_resp[re], req_strerror(re));
		goto log;
	}
	id = rq.id;
	kind = ask_zoom(w, &rq, start + app->cfg.timeout_ms, resp, &info);
	if (kind == RESP_OK)
		resp_ok(resp);
	else {
		resp_error(resp, kind,
		    info.detail[0] != '\0' ? info.detail : NULL);
		if (kind == RESP_RATE_LIMITED || kind == RESP_ATTENDANCE_NOT_READY)
			resp->retry_after = info.retry_after > 0 ?
			    info.retry_after : 1;
	}
log:
	/* One line a request; the web server keeps stderr. No secrets. */
	log_warnx("%s status=%d meeting=%s zoom_calls=%d token_calls=%d "
	    "ms=%lld%s%s%s%s",
	    log_method(method), resp->status, id.text[0] ? id.text : "-",
	    info.calls,
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

	int64_t		 start = now_ms();
	enum m_route	 route;

	resp_init(&resp);
	handle_request(w, io, &resp);
	buf_reset(wire);
	if (resp_serialize(&resp, wire) == 0)
		put(ctx, wire->data, wire->len);
	else
		log_warnx("answer too large to send");
	if (metrics_enabled()) {
		route = metrics_route(w->app, io);
		metrics_request(route, resp.status);
		metrics_observe_ms(route, now_ms() - start);
	}
	resp_free(&resp);
	if (wire->size > WIRE_KEEP)	/* a large meeting: give it back */
		buf_free(wire);
}
