/* notion.c - the Notion API calls of the workflow; see notion.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "notion.h"
#include "util.h"

#define NOTION_ATTEMPTS		3	/* per call, when the wait is short */
#define NOTION_INLINE_WAIT_MS	5000	/* longer waits: the job retries later */

/* Notion's error codes: the only words of an answer that reach the log. */
static const char *const known_codes[] = {
	"invalid_json", "invalid_request_url", "invalid_request",
	"invalid_grant", "validation_error", "missing_version", "unauthorized",
	"restricted_resource", "object_not_found", "conflict_error",
	"rate_limited", "internal_server_error", "bad_gateway",
	"service_unavailable", "database_connection_unavailable",
	"gateway_timeout", "service_overload",
};

int
notion_init(struct notion *n, const struct config *cfg)
{
	memset(n, 0, sizeof(*n));
	n->base = cfg_get(cfg, CFG_NOTION_API_BASE);
	n->database = cfg_get(cfg, CFG_NOTION_DATABASE_ID);
	n->timeout_ms = cfg->timeout_ms;
	buf_init(&n->bearer, NOTION_TOKEN_MAX + 64);
	xchg_answer_init(&n->answer, NOTION_MAX_BODY);
	if (buf_printf(&n->bearer, "Authorization: Bearer %s",
	    cfg_get(cfg, CFG_NOTION_TOKEN)) != BUF_OK)
		return -1;
	n->hdr_auth.data = n->bearer.data;
	n->hdr_auth.next = &n->hdr_version;
	n->hdr_version.data = (char *)"Notion-Version: " NOTION_VERSION;
	n->hdr_version.next = &n->hdr_type;
	n->hdr_type.data = (char *)"Content-Type: application/json";
	n->hdr_type.next = &n->hdr_accept;
	n->hdr_accept.data = (char *)"Accept: application/json";
	return xchg_init(&n->x);
}

void
notion_free(struct notion *n)
{
	xchg_free(&n->x);
	xchg_answer_free(&n->answer);
	buf_wipe(&n->bearer);
}

/*
 * Wait for this process's next slot: calls start at least
 * NOTION_INTERVAL_MS apart, whichever thread makes them.
 */
static void
pace(void)
{
	static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
	static int64_t		 next_slot;
	struct timespec		 ts;
	int64_t			 now, at;

	pthread_mutex_lock(&lock);
	now = now_ms();
	at = next_slot > now ? next_slot : now;
	next_slot = at + NOTION_INTERVAL_MS;
	pthread_mutex_unlock(&lock);
	if (at > now) {
		ts.tv_sec = (at - now) / 1000;
		ts.tv_nsec = (long)((at - now) % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Notion's error code in the answer, if it is one we know; else "". */
static const char *
answer_code(const struct xchg_answer *a)
{
	cJSON		*o;
	const cJSON	*c;
	const char	*code = "";
	size_t		 i;

	if (a->body.data == NULL ||
	    (o = cJSON_ParseWithLength(a->body.data, a->body.len)) == NULL)
		return "";
	c = cJSON_GetObjectItemCaseSensitive(o, "code");
	for (i = 0; cJSON_IsString(c) && i < ARRAY_LEN(known_codes); i++)
		if (strcmp(c->valuestring, known_codes[i]) == 0)
			code = known_codes[i];
	cJSON_Delete(o);
	return code;
}

/* What a person must fix for a refusal; the log says it. */
static const char *
advice(long status, const char *code)
{
	if (status == 401)
		return "NOTION_TOKEN is not a valid integration token";
	if (status == 403)
		return "the integration lacks a capability (read and update "
		    "content)";
	if (status == 404)
		return "the database or page is not shared with the "
		    "integration, or NOTION_DATABASE_ID is wrong";
	if (strcmp(code, "validation_error") == 0)
		return "check the NOTION_PROP_* names and types, and the "
		    "status options, against the database";
	return "see the Notion integration's settings";
}

static int
transient_status(long s)
{
	return s == 429 || s == 409 || s == 500 || s == 502 || s == 503 ||
	    s == 504 || s == 529;
}

/*
 * One call, with up to NOTION_ATTEMPTS tries while the waits Notion asks
 * for are short, all within one budget (timeout_ms): a stop never waits
 * for more than that. NOTION_OK leaves the 200 answer in n->answer.
 */
static enum notion_err
call(struct notion *n, const char *method, const char *url, const char *body,
    const char *what, struct notion_info *info)
{
	struct xchg_request	 rq = { method, url, &n->hdr_auth, body,
				    body != NULL ? strlen(body) : 0, NULL, 1, 0 };
	enum xchg_err		 xe;
	long			 ra;
	int64_t			 wait, deadline = now_ms() + n->timeout_ms;
	int			 attempt, is_date;
	const char		*code;

	for (attempt = 1; ; attempt++) {
		if (n->stop != NULL && __atomic_load_n(n->stop, __ATOMIC_ACQUIRE)) {
			snprintf(info->why, sizeof(info->why), "Notion %s: "
			    "stopped (SIGTERM)", what);
			return NOTION_ERETRY;
		}
		pace();
		xe = xchg_perform(&n->x, &rq, deadline, &n->answer,
		    &info->calls);
		if (xe == XCHG_ENOMEM)
			return NOTION_ENOMEM;
		if (xe == XCHG_OK && n->answer.status == 200)
			return NOTION_OK;
		info->retry_after = 0;
		if (xe == XCHG_ETOOBIG) {
			snprintf(info->why, sizeof(info->why), "Notion %s: "
			    "answer larger than %d bytes", what, NOTION_MAX_BODY);
			return NOTION_ERETRY;
		}
		if (xe != XCHG_OK) {
			snprintf(info->why, sizeof(info->why), "Notion %s: %.120s",
			    what, xe == XCHG_ETIMEOUT ? "timeout" :
			    n->x.errbuf[0] ? n->x.errbuf : "no answer");
			ra = 0;
		} else {
			code = answer_code(&n->answer);
			if (!transient_status(n->answer.status)) {
				snprintf(info->why, sizeof(info->why),
				    "Notion %s: %ld %s: %s", what,
				    n->answer.status, code,
				    advice(n->answer.status, code));
				return NOTION_EFATAL;
			}
			snprintf(info->why, sizeof(info->why), "Notion %s: %ld %s",
			    what, n->answer.status, code);
			ra = xchg_retry_after(n->answer.retry_after, time(NULL),
			    &is_date);
			if (ra < 0)
				ra = 0;
		}
		info->retry_after = ra;
		wait = ra > 0 ? ra * 1000 : 500L << (attempt - 1);
		if (attempt >= NOTION_ATTEMPTS || wait > NOTION_INLINE_WAIT_MS ||
		    now_ms() + wait >= deadline)
			return NOTION_ERETRY;
		sleep_ms(wait);
	}
}

int
notion_id_ok(const char *s)
{
	size_t hex = 0;

	for (; *s != '\0'; s++) {
		if ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		    (*s >= 'A' && *s <= 'F'))
			hex++;
		else if (*s != '-')
			return 0;
	}
	return hex == 32;
}

enum notion_err
notion_find_page(struct notion *n, const char *prop, const char *value,
    cJSON **page, int *count, struct notion_info *info)
{
	cJSON		*q, *f, *ans = NULL;
	cJSON		*results, *first;
	char		*body = NULL;
	struct buf	 url;
	enum notion_err	 rc = NOTION_ENOMEM;

	*page = NULL;
	*count = 0;
	buf_init(&url, 4096);
	if ((q = cJSON_CreateObject()) == NULL)
		goto out;
	if ((f = cJSON_AddObjectToObject(q, "filter")) == NULL ||
	    cJSON_AddStringToObject(f, "property", prop) == NULL ||
	    (f = cJSON_AddObjectToObject(f, "rich_text")) == NULL ||
	    cJSON_AddStringToObject(f, "equals", value) == NULL ||
	    cJSON_AddNumberToObject(q, "page_size", 10) == NULL ||
	    (body = cJSON_PrintUnformatted(q)) == NULL ||
	    buf_printf(&url, "%s/databases/%s/query", n->base, n->database) !=
	    BUF_OK)
		goto out;
	if ((rc = call(n, "POST", url.data, body, "query", info)) != NOTION_OK)
		goto out;
	rc = NOTION_ERETRY;
	ans = cJSON_ParseWithLength(n->answer.body.data ? n->answer.body.data :
	    "", n->answer.body.len);
	results = cJSON_GetObjectItemCaseSensitive(ans, "results");
	if (!cJSON_IsArray(results)) {
		snprintf(info->why, sizeof(info->why),
		    "Notion query: an answer without results");
		goto out;
	}
	*count = cJSON_GetArraySize(results);
	if ((first = cJSON_GetArrayItem(results, 0)) != NULL) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(first, "id");

		if (!cJSON_IsObject(first) || !cJSON_IsString(id) ||
		    !notion_id_ok(id->valuestring)) {
			snprintf(info->why, sizeof(info->why),
			    "Notion query: a result without a page id");
			goto out;
		}
		*page = cJSON_DetachItemFromArray(results, 0);
	}
	rc = NOTION_OK;
out:
	cJSON_Delete(ans);
	cJSON_free(body);
	cJSON_Delete(q);
	buf_free(&url);
	return rc;
}

enum notion_err
notion_update_page(struct notion *n, const char *page_id, const char *body,
    struct notion_info *info)
{
	struct buf	 url;
	enum notion_err	 rc = NOTION_ENOMEM;

	if (!notion_id_ok(page_id)) {
		snprintf(info->why, sizeof(info->why), "Notion: a page id "
		    "that is not one");
		return NOTION_EFATAL;
	}
	buf_init(&url, 4096);
	if (buf_printf(&url, "%s/pages/%s", n->base, page_id) == BUF_OK)
		rc = call(n, "PATCH", url.data, body, "update", info);
	buf_free(&url);
	return rc;
}

/*
 * A property's value, which is the member named by its type: *type set.
 * NULL when the page has no such property (a JSON null value is not NULL).
 */
static const cJSON *
prop_of(const cJSON *page, const char *prop, const char **type)
{
	const cJSON *p, *t;

	p = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(page, "properties"), prop);
	t = cJSON_GetObjectItemCaseSensitive(p, "type");
	if (!cJSON_IsObject(p) || !cJSON_IsString(t))
		return NULL;
	*type = t->valuestring;
	return cJSON_GetObjectItemCaseSensitive(p, t->valuestring);
}

int
notion_prop_text(const cJSON *page, const char *prop, char *out, size_t outlen)
{
	const cJSON	*v, *piece, *pt;
	const char	*type;
	size_t		 len = 0, n;

	out[0] = '\0';
	if ((v = prop_of(page, prop, &type)) == NULL)
		return -1;
	if (strcmp(type, "rich_text") == 0 || strcmp(type, "title") == 0) {
		if (!cJSON_IsArray(v))
			return -1;
		cJSON_ArrayForEach(piece, v) {
			pt = cJSON_GetObjectItemCaseSensitive(piece, "plain_text");
			if (!cJSON_IsString(pt))
				continue;
			if ((n = strlen(pt->valuestring)) >= outlen - len)
				return -1;
			memcpy(out + len, pt->valuestring, n + 1);
			len += n;
		}
		return 0;
	}
	if (strcmp(type, "email") == 0 || strcmp(type, "url") == 0 ||
	    strcmp(type, "phone_number") == 0) {
		if (cJSON_IsNull(v))
			return 0;
		if (!cJSON_IsString(v) || strlen(v->valuestring) >= outlen)
			return -1;
		memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
		return 0;
	}
	if (strcmp(type, "number") == 0) {
		if (cJSON_IsNull(v))
			return 0;
		if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
		    v->valuedouble > 1e15 ||
		    v->valuedouble != (double)(long long)v->valuedouble ||
		    (size_t)snprintf(out, outlen, "%lld",
		    (long long)v->valuedouble) >= outlen) {
			out[0] = '\0';
			return -1;
		}
		return 0;
	}
	return -1;
}

int
notion_prop_choice(const cJSON *page, const char *prop, const char **type,
    char *out, size_t outlen)
{
	const cJSON	*v, *name;

	out[0] = '\0';
	*type = NULL;
	if ((v = prop_of(page, prop, type)) == NULL ||
	    (strcmp(*type, "select") != 0 && strcmp(*type, "status") != 0))
		return -1;
	if (cJSON_IsNull(v))
		return 0;
	name = cJSON_GetObjectItemCaseSensitive(v, "name");
	if (!cJSON_IsObject(v) || !cJSON_IsString(name) ||
	    strlen(name->valuestring) >= outlen)
		return -1;
	memcpy(out, name->valuestring, strlen(name->valuestring) + 1);
	return 0;
}
