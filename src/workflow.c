/* workflow.c - running the meeting-ended jobs; see workflow.h. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "metrics.h"
#include "notion.h"
#include "util.h"
#include "workflow.h"

#define WF_TEXT_MAX	1024	/* a page property's text we read */
#define WF_CHOICE_MAX	512	/* a status option's name: 100 characters */
#define WF_PARTICIPANTS_KEEP (1024 * 1024) /* Zoom answer kept between jobs */

/* What one runner (the thread, or --drain) works with. */
struct wf_ctx {
	struct app	*app;
	const int	*stop;		/* the runner's stop flag, or NULL */
	struct worker	 w;		/* the endpoint's Zoom client, rows */
	struct notion	 notion;
	struct buf	 participants;	/* Zoom's merged answer, reused */
};

/* The job thread of a FastCGI process. */
struct wf_runner {
	pthread_t	 tid;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 woken;		/* a job was spooled meanwhile */
	int		 stop;
	struct app	*app;
	struct wf_ctx	 ctx;		/* its clients, made before it runs */
};

/* How an attempt ended. */
enum wf_step {
	WF_DONE,		/* written, or left alone: finished */
	WF_RETRY,		/* try again later */
	WF_FAILED		/* a person must act: failed/ */
};

struct wf_result {
	enum wf_step	 step;
	char		 why[JOB_TEXT_MAX];	/* outcome or error, no secret */
	long		 retry_after;		/* seconds asked by Zoom/Notion */
	const char	*word;			/* status written, or NULL */
	int		 stopped;		/* SIGTERM: not a real try */
	int		 zoom_calls, notion_calls;
};

long
wf_backoff(long first, int n)
{
	long d = first;

	while (--n > 0 && d < WF_BACKOFF_MAX_S)
		d *= 2;
	return d < WF_BACKOFF_MAX_S ? d : WF_BACKOFF_MAX_S;
}

int
wf_meeting_id(const char *text, struct meeting_id *id)
{
	const char	*s = text, *e, *j;
	size_t		 len = strlen(text);

	trim(&s, &len);
	if (len == 0)
		return -1;
	/* A join link: https://<host>.zoom.us/j/<id>?pwd=... */
	if ((len > 8 && ascii_ncaseeq(s, "https://", 8)) &&
	    (j = strstr(s, "/j/")) != NULL && j < s + len) {
		for (e = j + 3; e < s + len && *e >= '0' && *e <= '9'; e++)
			;
		s = j + 3;
		len = (size_t)(e - s);
	}
	return req_meeting_id(s, len, id) == REQ_OK ? 0 : -1;
}

/* ---- one attempt ------------------------------------------------------ */

static void
set(struct wf_result *r, enum wf_step step, const char *fmt, const char *arg)
{
	r->step = step;
	snprintf(r->why, sizeof(r->why), fmt, arg);
}

/* Retry until limit; after it, a person must look. */
static void
retry_until(struct wf_result *r, int64_t limit, time_t now, const char *why)
{
	set(r, now >= limit ? WF_FAILED : WF_RETRY, "%s", why);
	if (r->step == WF_FAILED)
		snprintf(r->why, sizeof(r->why), "gave up after WORKFLOW_MAX_WAIT: %s",
		    why);
}

/* Waiting for Zoom or for the page: until the job's deadline. */
static void
retry_or_fail(struct wf_result *r, const struct job *j, time_t now,
    const char *why)
{
	retry_until(r, j->deadline, now, why);
}

/* SIGTERM: the try ends here, uncounted, and the job stays due. */
static int
stopping(const struct wf_ctx *c, struct wf_result *r)
{
	if (c->stop == NULL || !__atomic_load_n(c->stop, __ATOMIC_ACQUIRE))
		return 0;
	set(r, WF_RETRY, "%s", "stopped (SIGTERM) before the end of a try");
	r->stopped = 1;
	return 1;
}

/* The coach or the client: from the payload, else the page's email. */
static int
person(const struct att_who *from_payload, const cJSON *page,
    const char *prop, struct att_who *out)
{
	char	 email[ATT_TEXT_MAX], *e = email;
	size_t	 len;

	if (from_payload->given) {
		*out = *from_payload;
		return 0;
	}
	if (prop == NULL || notion_prop_text(page, prop, email,
	    sizeof(email)) < 0)
		return -1;
	/* Typed into a text property: blanks around it are no part of it. */
	while (*e == ' ' || *e == '\t')
		e++;
	len = strlen(e);
	while (len > 0 && (e[len - 1] == ' ' || e[len - 1] == '\t'))
		e[--len] = '\0';
	return req_who_set(out, e, NULL) == 0 && out->given ? 0 : -1;
}

/* Zoom's answer as the job's next step; *word the verdict, if any. */
static void
ask_zoom(struct wf_ctx *c, const struct job *j, const struct req_body *rq,
    time_t now, struct wf_result *r)
{
	struct app		*app = c->app;
	struct zoom_info	 zi;
	struct att_result	 res;
	enum resp_kind		 kind;
	int			 absent = 0;

	memset(&zi, 0, sizeof(zi));
	buf_reset(&c->participants);
	kind = zoom_attendance(&c->w, rq, now_ms() + app->cfg.timeout_ms,
	    &c->participants, &res, &absent, &zi);
	r->zoom_calls += zi.calls;
	/* A large meeting's names: wiped and given back, not kept. */
	if (c->participants.size > WF_PARTICIPANTS_KEEP)
		buf_wipe(&c->participants);
	switch (kind) {
	case RESP_OK:
		if (!absent) {
			r->word = app->words[res.status];
			return;
		}
		/* No rows and no record: no meeting at all. */
		/* FALLTHROUGH */
	case RESP_NOT_FOUND:
		if (now >= j->deadline) {
			/* As the original: no meeting after all this time. */
			r->word = app->words[ATT_NEVER_HELD];
			return;
		}
		set(r, WF_RETRY, "Zoom has no meeting %s yet", rq->id.text);
		return;
	case RESP_ATTENDANCE_NOT_READY:
	case RESP_RATE_LIMITED:
	case RESP_ZOOM_UNAVAILABLE:
	case RESP_ZOOM_TIMEOUT:
	case RESP_ZOOM_BAD_RESPONSE:
	case RESP_INTERNAL:
		r->retry_after = zi.retry_after;
		retry_or_fail(r, j, now, zi.why[0] ? zi.why : resp_code(kind));
		return;
	default:	/* credentials, scope, permission: a person must act */
		set(r, WF_FAILED, "Zoom: %s (see zoom-attendees --check-config "
		    "and the app's scopes)", resp_code(kind));
		return;
	}
}

/* {"properties": {status: {type: {"name": word}}, checked: {"date": ...}}} */
static char *
status_body(const struct config *cfg, const char *type, const char *word)
{
	cJSON		*o, *props, *p;
	char		 when[32], *text = NULL;
	const char	*checked = cfg_get(cfg, CFG_NOTION_PROP_CHECKED_AT);
	time_t		 now = time(NULL);
	struct tm	 tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if ((props = cJSON_AddObjectToObject(o, "properties")) != NULL &&
	    (p = cJSON_AddObjectToObject(props,
	    cfg_get(cfg, CFG_NOTION_PROP_STATUS))) != NULL &&
	    (p = cJSON_AddObjectToObject(p, type)) != NULL &&
	    cJSON_AddStringToObject(p, "name", word) != NULL &&
	    (checked == NULL ||
	    ((p = cJSON_AddObjectToObject(props, checked)) != NULL &&
	    (p = cJSON_AddObjectToObject(p, "date")) != NULL &&
	    cJSON_AddStringToObject(p, "start", when) != NULL)))
		text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/*
 * Notion's refusal or outage as the job's next step. An outage is waited
 * out for WORKFLOW_MAX_WAIT past the job's deadline: the deadline is for
 * Zoom's data, and a verdict reached at it must not be lost to a short
 * Notion outage at the same moment.
 */
static void
notion_failed(const struct wf_ctx *c, struct wf_result *r,
    const struct job *j, time_t now, enum notion_err ne,
    const struct notion_info *ni)
{
	r->retry_after = ni->retry_after;
	if (ne == NOTION_EFATAL)
		set(r, WF_FAILED, "%s", ni->why);
	else
		retry_until(r, j->deadline + c->app->cfg.max_wait_s, now,
		    ne == NOTION_ENOMEM ? "out of memory" : ni->why);
}

/*
 * One attempt at a claimed job: page, status, meeting, people, Zoom, and
 * the write. The job's file says what is being written before the PATCH,
 * so that a run after a crash knows the status on the page is its own.
 */
static void
attempt(struct wf_ctx *c, struct spool_claim *cl, struct job *j,
    struct wf_result *r)
{
	const struct config	*cfg = &c->app->cfg;
	const char		*pending = cfg_get(cfg, CFG_NOTION_STATUS_PENDING);
	const char		*type, *prop_status = cfg_get(cfg,
				    CFG_NOTION_PROP_STATUS);
	const cJSON		*id;
	struct notion_info	 ni;
	struct req_body		 rq;
	enum notion_err		 ne;
	cJSON			*page = NULL;
	char			 current[WF_CHOICE_MAX], text[WF_TEXT_MAX];
	char			*body;
	time_t			 now = time(NULL);
	int			 pages;

	memset(&ni, 0, sizeof(ni));
	memset(&rq, 0, sizeof(rq));
	ne = notion_find_page(&c->notion, cfg_get(cfg,
	    CFG_NOTION_PROP_BOOKING_UID), j->uid, &page, &pages, &ni);
	r->notion_calls += ni.calls;
	if (ne != NOTION_OK) {
		notion_failed(c, r, j, now, ne, &ni);
		goto out;
	}
	if (page == NULL) {
		retry_or_fail(r, j, now, "no Notion page has this booking uid "
		    "(yet)");
		goto out;
	}
	if (pages > 1) {
		/* Which session is it? Not ours to guess. */
		r->step = WF_FAILED;
		snprintf(r->why, sizeof(r->why), "%d Notion pages have this "
		    "booking uid; keep one (NOTION_PROP_BOOKING_UID)", pages);
		goto out;
	}
	if (notion_prop_choice(page, prop_status, &type, current,
	    sizeof(current)) < 0) {
		set(r, WF_FAILED, "the page has no select or status property "
		    "%s (NOTION_PROP_STATUS)", prop_status);
		goto out;
	}
	if (current[0] != '\0' &&
	    (pending == NULL || strcmp(current, pending) != 0)) {
		if (j->writing[0] != '\0' && strcmp(current, j->writing) == 0) {
			/* Ours, written before a crash: done. */
			r->word = j->writing;
			set(r, WF_DONE, "written: %s", j->writing);
		} else	/* the page's own words stay out of logs */
			set(r, WF_DONE, "%s", "left alone: a person had set "
			    "the status");
		goto out;
	}
	if (notion_prop_text(page, cfg_get(cfg, CFG_NOTION_PROP_ZOOM_ID), text,
	    sizeof(text)) < 0 || wf_meeting_id(text, &rq.id) < 0) {
		retry_or_fail(r, j, now, "the page has no Zoom meeting id or "
		    "join link (NOTION_PROP_ZOOM_ID) yet");
		goto out;
	}
	/* A page may be filled in late, as its meeting id may. */
	if (person(&j->coach, page, cfg_get(cfg, CFG_NOTION_PROP_COACH_EMAIL),
	    &rq.att.coach) < 0) {
		retry_or_fail(r, j, now, "the coach is unknown: no organizer in "
		    "the payload and no email in NOTION_PROP_COACH_EMAIL");
		goto out;
	}
	if (person(&j->client, page, cfg_get(cfg,
	    CFG_NOTION_PROP_CLIENT_EMAIL), &rq.att.client) < 0) {
		retry_or_fail(r, j, now, "the client is unknown: no attendee in "
		    "the payload and no email in NOTION_PROP_CLIENT_EMAIL");
		goto out;
	}
	if (j->start >= 0) {
		rq.has_start = 1;
		rq.start_time = j->start;
	}
	if (stopping(c, r))
		goto out;
	ask_zoom(c, j, &rq, now, r);
	if (r->word == NULL || stopping(c, r))
		goto out;

	/*
	 * Say what is being written before writing it; unsaid, it is not
	 * written (a run after a crash could not tell our word from a
	 * person's).
	 */
	snprintf(j->writing, sizeof(j->writing), "%s", r->word);
	j->next = now + wf_backoff(cfg->retry_first_s, j->attempts);
	if (spool_update(&c->app->spool, cl, j) < 0) {
		j->writing[0] = '\0';
		set(r, WF_RETRY, "cannot record the job before writing: %s",
		    strerror(errno));
		r->word = NULL;
		goto out;
	}
	id = cJSON_GetObjectItemCaseSensitive(page, "id");
	if ((body = status_body(cfg, type, r->word)) == NULL) {
		set(r, WF_RETRY, "%s", "out of memory");
		goto out;
	}
	memset(&ni, 0, sizeof(ni));
	ne = notion_update_page(&c->notion, id->valuestring, body, &ni);
	r->notion_calls += ni.calls;
	cJSON_free(body);
	if (ne != NOTION_OK) {
		notion_failed(c, r, j, time(NULL), ne, &ni);
		goto out;
	}
	set(r, WF_DONE, "written: %s", r->word);
out:
	cJSON_Delete(page);
}

/*
 * The time in whole seconds, rounded up: a retry "d seconds later" is
 * never less than d seconds later, although job times are whole seconds.
 */
static time_t
now_seconds_up(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + (ts.tv_nsec > 0);
}

/* Run one claimed, due job and record what happened. */
static void
run_job(struct wf_ctx *c, struct spool_claim *cl, struct job *j)
{
	struct wf_result	 r;
	struct spool		*s = &c->app->spool;
	time_t			 now;
	long			 delay;
	char			 uid[72];
	int			 rc;

	memset(&r, 0, sizeof(r));
	j->attempts++;
	attempt(c, cl, j, &r);
	now = now_seconds_up();
	delay = wf_backoff(c->app->cfg.retry_first_s, j->attempts);
	if (r.retry_after > delay)
		delay = r.retry_after;
	switch (r.step) {
	case WF_DONE:
	case WF_FAILED:
		snprintf(j->outcome, sizeof(j->outcome), "%s", r.why);
		if (r.step == WF_FAILED)
			snprintf(j->last_error, sizeof(j->last_error), "%s",
			    r.why);
		j->next = -1;
		if ((rc = spool_finish(s, cl, r.step == WF_DONE ? SPOOL_DONE :
		    SPOOL_FAILED, j)) == 0) {
			metrics_inc(r.step == WF_DONE ? M_JOBS_DONE :
			    M_JOBS_FAILED);
			break;
		}
		/* Not recorded (done/ or failed/ not writable): try again
		 * later, not at every scan. */
		log_warn("workflow: cannot move job %s out of the spool",
		    cl->name);
		j->outcome[0] = '\0';
		j->next = now + delay;
		rc = spool_update(s, cl, j);
		break;
	default:
		snprintf(j->last_error, sizeof(j->last_error), "%s", r.why);
		if (r.stopped) {
			j->attempts--;	/* not a try: due again at once */
			delay = 0;
		}
		j->next = now + delay;
		/* The last try at the deadline itself, not after it. */
		if (now < j->deadline && j->next > j->deadline)
			j->next = j->deadline;
		rc = spool_update(s, cl, j);
		if (rc == 0 && !r.stopped)
			metrics_inc(M_JOBS_RETRIED);
		break;
	}
	if (rc < 0)
		log_warn("workflow: cannot record job %s", cl->name);
	log_warnx("job uid=%s attempt=%d outcome=%s zoom_calls=%d "
	    "notion_calls=%d next=%s%lld detail=\"%s\"%s",
	    log_safe(j->uid, uid, sizeof(uid)), j->attempts,
	    r.step == WF_DONE ? (r.word != NULL ? "written" : "left_alone") :
	    r.step == WF_FAILED ? "failed" : "retry", r.zoom_calls,
	    r.notion_calls, r.step == WF_RETRY ? "+" : "",
	    r.step == WF_RETRY ? (long long)(j->next - now) : 0LL, r.why,
	    r.step == WF_FAILED ? " (fix it, then: zoom-attendees "
	    "--retry-failed)" : "");
}

static int
ctx_init(struct wf_ctx *c, struct app *app)
{
	memset(c, 0, sizeof(*c));
	c->app = app;
	buf_init(&c->participants, RESP_MAX_BODY);
	if (worker_init(&c->w, app) < 0 || notion_init(&c->notion,
	    &app->cfg) < 0)
		return -1;
	return 0;
}

static void
ctx_free(struct wf_ctx *c)
{
	worker_free(&c->w);
	notion_free(&c->notion);
	buf_free(&c->participants);
}

/*
 * Every pending job that is due, once; *stop ends it between jobs. The
 * earliest next attempt of the jobs left, or INT64_MAX.
 */
static int64_t
run_due(struct wf_ctx *c, const int *stop)
{
	struct spool		*s = &c->app->spool;
	struct spool_claim	 cl;
	struct job		 j;
	char			(*names)[JOB_NAME_LEN];
	int64_t			 earliest = INT64_MAX;
	long			 i, n;

	if ((n = spool_names(s, SPOOL_PENDING, &names)) < 0) {
		log_warn("workflow: cannot list the spool");
		return (int64_t)time(NULL) + WF_RESCAN_S;
	}
	for (i = 0; i < n && !(stop != NULL &&
	    __atomic_load_n(stop, __ATOMIC_ACQUIRE)); i++) {
		if (spool_claim(s, names[i], &cl, &j) != 1)
			continue;
		if (j.next <= (int64_t)time(NULL))
			run_job(c, &cl, &j);
		if (j.next >= 0 && j.next < earliest)
			earliest = j.next;
		spool_release(&cl);
	}
	free(names);
	return earliest;
}

/* ---- the spool, the runner, the commands ------------------------------- */

int
wf_open(struct app *app)
{
	char err[512];

	app->spool_ok = 0;
	if (!app->cfg.workflow)
		return 0;
	if (spool_open(&app->spool, cfg_get(&app->cfg, CFG_WORKFLOW_SPOOL_DIR),
	    err, sizeof(err)) < 0) {
		log_warnx("WORKFLOW_SPOOL_DIR unusable, webhooks get 503: %s",
		    err);
		return -1;
	}
	app->spool_ok = 1;
	return 0;
}

void
wf_close(struct app *app)
{
	if (app->spool_ok)
		spool_close(&app->spool);
	app->spool_ok = 0;
}

static void *
runner_main(void *arg)
{
	struct wf_runner	*rn = arg;
	struct wf_ctx		*c = &rn->ctx;
	struct timespec		 until;
	int64_t			 next, now;
	time_t			 pruned = 0;

	pthread_mutex_lock(&rn->lock);
	while (!rn->stop) {
		rn->woken = 0;
		pthread_mutex_unlock(&rn->lock);
		next = run_due(c, &rn->stop);
		now = (int64_t)time(NULL);
		if (now - pruned > 3600) {
			spool_prune_done(&rn->app->spool, WF_KEEP_DONE_S);
			pruned = now;
		}
		if (next > now + WF_RESCAN_S)
			next = now + WF_RESCAN_S;
		until.tv_sec = (time_t)next;
		until.tv_nsec = 0;
		pthread_mutex_lock(&rn->lock);
		while (!rn->stop && !rn->woken && (int64_t)time(NULL) < next)
			if (pthread_cond_timedwait(&rn->cond, &rn->lock,
			    &until) == ETIMEDOUT)
				break;
	}
	pthread_mutex_unlock(&rn->lock);
	return NULL;
}

int
wf_start(struct app *app)
{
	struct wf_runner *rn;

	if (!app->spool_ok)
		return 0;
	if ((rn = calloc(1, sizeof(*rn))) == NULL)
		return -1;
	rn->app = app;
	/* Ready before it runs: a thread that cannot work is no thread. */
	if (ctx_init(&rn->ctx, app) < 0) {
		ctx_free(&rn->ctx);
		free(rn);
		return -1;
	}
	rn->ctx.stop = &rn->stop;
	rn->ctx.notion.stop = &rn->stop;
	pthread_mutex_init(&rn->lock, NULL);
	pthread_cond_init(&rn->cond, NULL);	/* CLOCK_REALTIME: job times */
	if (pthread_create(&rn->tid, NULL, runner_main, rn) != 0) {
		pthread_cond_destroy(&rn->cond);
		pthread_mutex_destroy(&rn->lock);
		ctx_free(&rn->ctx);
		free(rn);
		return -1;
	}
	app->runner = rn;
	return 0;
}

/* Set one of the runner's flags and wake it to look at them. */
static void
poke(struct wf_runner *rn, int *flag)
{
	pthread_mutex_lock(&rn->lock);
	__atomic_store_n(flag, 1, __ATOMIC_RELEASE);
	pthread_cond_signal(&rn->cond);
	pthread_mutex_unlock(&rn->lock);
}

void
wf_wake(struct app *app)
{
	if (app->runner != NULL)
		poke(app->runner, &app->runner->woken);
}

void
wf_stop(struct app *app)
{
	struct wf_runner *rn = app->runner;

	if (rn == NULL)
		return;
	poke(rn, &rn->stop);
	pthread_join(rn->tid, NULL);
	ctx_free(&rn->ctx);
	pthread_cond_destroy(&rn->cond);
	pthread_mutex_destroy(&rn->lock);
	free(rn);
	app->runner = NULL;
}

int
wf_drain(struct app *app)
{
	struct wf_ctx	c;
	int		rc = 0;

	if (!app->spool_ok)
		return 1;
	if (ctx_init(&c, app) < 0) {
		log_warnx("workflow: out of memory");
		rc = 1;
	} else {
		run_due(&c, NULL);
		spool_prune_done(&app->spool, WF_KEEP_DONE_S);
	}
	ctx_free(&c);
	return rc;
}

static void
print_time(FILE *out, int64_t t)
{
	char		 s[32];
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (t < 0) {
		fputs("-", out);
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs(s, out);
}

int
wf_list(struct app *app, FILE *out)
{
	static const char *const state[SPOOL__AREAS] = {
		"pending", "failed", "done"
	};
	char		(*names)[JOB_NAME_LEN];
	struct job	 j;
	long		 i, n, count[SPOOL__AREAS] = { 0 };
	int		 a;

	if (!app->spool_ok)
		return 1;
	for (a = 0; a < SPOOL__AREAS; a++) {
		if ((n = spool_names(&app->spool, (enum spool_area)a,
		    &names)) < 0)
			return 1;
		for (i = 0; i < n; i++) {
			if (spool_read(&app->spool, (enum spool_area)a,
			    names[i], &j) < 0) {
				fprintf(out, "%s\t(unreadable file %s)\n",
				    state[a], names[i]);
				continue;
			}
			fprintf(out, "%s\t%s\tattempts=%d\tnext=", state[a],
			    j.uid, j.attempts);
			print_time(out, a == SPOOL_PENDING ? j.next : -1);
			fprintf(out, "\t%s\n", a == SPOOL_PENDING ?
			    (j.last_error[0] ? j.last_error : "-") : j.outcome);
		}
		count[a] = n;
		free(names);
	}
	fprintf(out, "%ld pending, %ld failed, %ld done\n",
	    count[SPOOL_PENDING], count[SPOOL_FAILED], count[SPOOL_DONE]);
	return 0;
}

int
wf_retry_failed(struct app *app, const char *uid, FILE *out)
{
	char		(*names)[JOB_NAME_LEN];
	char		 want[JOB_NAME_LEN];
	struct job	 j;
	long		 i, n, moved = 0;
	int64_t		 now = (int64_t)time(NULL);

	if (!app->spool_ok)
		return 1;
	if (uid != NULL)
		job_file_name(uid, want);
	if ((n = spool_names(&app->spool, SPOOL_FAILED, &names)) < 0)
		return 1;
	for (i = 0; i < n; i++) {
		if ((uid != NULL && strcmp(names[i], want) != 0) ||
		    spool_read(&app->spool, SPOOL_FAILED, names[i], &j) < 0)
			continue;
		j.attempts = 0;
		j.next = now;
		j.deadline = now + app->cfg.max_wait_s;
		j.outcome[0] = '\0';
		if (spool_requeue(&app->spool, names[i], &j) < 0) {
			fprintf(out, "cannot requeue %s\n", j.uid);
			continue;
		}
		fprintf(out, "pending again: %s\n", j.uid);
		moved++;
	}
	free(names);
	fprintf(out, "%ld job%s back to pending\n", moved, moved == 1 ? "" : "s");
	return uid != NULL && moved == 0 ? 1 : 0;
}
