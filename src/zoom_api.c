/* zoom_api.c - past meeting participants, paged and merged; see zoom_api.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "json_scan.h"
#include "util.h"
#include "zoom_api.h"

int
zapi_encode_id(const struct meeting_id *id, char *out, size_t outlen)
{
	char	*once, *twice = NULL;
	int	 rc = -1;

	if (!id->is_uuid) {
		if (strlen(id->text) >= outlen)
			return -1;
		memcpy(out, id->text, strlen(id->text) + 1);
		return 0;
	}
	/* curl_easy_escape encodes all but A-Za-z0-9-._~, so / + = all go. */
	if ((once = curl_easy_escape(NULL, id->text, 0)) == NULL)
		return -1;
	if (id->text[0] == '/' || strstr(id->text, "//") != NULL) {
		if ((twice = curl_easy_escape(NULL, once, 0)) == NULL)
			goto out;
	}
	if (strlen(twice ? twice : once) < outlen) {
		memcpy(out, twice ? twice : once, strlen(twice ? twice : once) + 1);
		rc = 0;
	}
out:
	curl_free(once);
	curl_free(twice);
	return rc;
}

void
zapi_merge_init(struct zapi_merge *m, struct buf *out, struct buf *next_token,
    struct att_rows *rows)
{
	m->out = out;
	m->count = 0;
	m->next_token = next_token;
	m->rows = rows;
	if (rows != NULL)
		att_rows_reset(rows);
	buf_reset(out);
	buf_reset(next_token);
}

void
zapi_scratch_init(struct zapi_scratch *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->url, 8192);
	buf_init(&s->elems, ZAPI_MAX_MERGED_BYTES);
	buf_init(&s->next_token, 4096);
	xchg_answer_init(&s->answer, ZAPI_MAX_PAGE_BYTES);
}

void
zapi_scratch_free(struct zapi_scratch *s)
{
	buf_free(&s->url);
	buf_free(&s->elems);
	buf_free(&s->next_token);
	xchg_answer_free(&s->answer);
}

/* Give back what one large meeting made the scratch grow to. */
static void
scratch_trim(struct zapi_scratch *s)
{
	if (s->elems.size > ZAPI_KEEP_BYTES)
		buf_free(&s->elems);
	if (s->answer.body.size > ZAPI_KEEP_BYTES)
		buf_free(&s->answer.body);
}

enum zoom_err
zapi_merge_page(struct zapi_merge *m, const char *page, size_t len)
{
	struct js_iter	 it, arr;
	struct js_span	 key, val, el, doc = { page, len };
	struct js_span	 row[ATT_F__MAX];
	struct js_capture cap = { att_field_index, row, ATT_F__MAX };
	const char	*first = NULL, *last = NULL;
	long		 n = 0;
	int		 seen = 0;
	enum js_err	 rc;
	/* Where this page's first element will land in m->out. */
	size_t		 out_start = m->out->len + (m->count > 0);

	buf_reset(m->next_token);
	if (js_iter_object(&it, doc) != JS_OK)
		return ZOOM_EBADRESP;
	while ((rc = js_next_key(&it, &key)) == JS_OK) {
		if (js_key_equals(key, "participants")) {
			/*
			 * Twice would make first..last span the text between
			 * the two arrays, other members included.
			 */
			if (seen++ ||
			    js_iter_array_in(&arr, &it) != JS_OK)
				return ZOOM_EBADRESP;
			/* With a verdict to make, each row's members are
			 * noted in the same pass that validates it. */
			while ((rc = m->rows != NULL ?
			    js_next_element_capture(&arr, &el, &cap) :
			    js_next_element(&arr, &el)) == JS_OK) {
				if (first == NULL)
					first = el.p;
				if (m->rows != NULL && (!js_is_object(el) ||
				    att_rows_add(m->rows, row, first,
				    out_start) != ATT_OK))
					return ZOOM_EBADRESP;
				last = el.p + el.len;
				n++;
			}
			if (rc != JS_END)
				return ZOOM_EBADRESP;
			js_resume(&it, &arr);
			continue;
		}
		if (js_skip(&it, &val) != JS_OK)
			return ZOOM_EBADRESP;
		if (js_key_equals(key, "next_page_token")) {
			if (val.len == 4 && memcmp(val.p, "null", 4) == 0)
				continue;
			if (js_string_decode(val, m->next_token) != JS_OK)
				return ZOOM_EBADRESP;
		}
	}
	if (rc != JS_END || !js_at_end(&it))
		return ZOOM_EBADRESP;
	/* Only now, with the whole page proven valid, copy its elements. */
	if (n > 0) {
		if (m->count > 0 && buf_add(m->out, ",", 1) != BUF_OK)
			return ZOOM_EBADRESP;
		if (buf_add(m->out, first, (size_t)(last - first)) != BUF_OK)
			return ZOOM_EBADRESP;
		m->count += n;
	}
	return ZOOM_OK;
}

enum zoom_err
zapi_merge_finish(struct zapi_merge *m, struct buf *final)
{
	buf_reset(final);
	if (buf_printf(final, "{\"page_count\":1,\"page_size\":%ld,"
	    "\"total_records\":%ld,\"next_page_token\":\"\",\"participants\":[",
	    m->count, m->count) != BUF_OK)
		return ZOOM_EBADRESP;
	if (m->rows != NULL)
		m->rows->text_off = final->len;
	if (buf_add(final, m->out->data ? m->out->data : "", m->out->len) != BUF_OK ||
	    buf_add(final, "]}", 2) != BUF_OK)
		return ZOOM_EBADRESP;
	return ZOOM_OK;
}

/* {api}/past_meetings/{id}{suffix} into url (reset first). 0 or -1. */
static int
meeting_url(struct buf *url, const char *api_base,
    const struct meeting_id *id, const char *suffix)
{
	char enc[128];

	buf_reset(url);
	if (zapi_encode_id(id, enc, sizeof(enc)) < 0 ||
	    buf_printf(url, "%s/past_meetings/%s%s", api_base, enc, suffix) !=
	    BUF_OK)
		return -1;
	return 0;
}

/* GET s->url into s->answer: ZOOM_OK for a 200, else what it means. */
static enum zoom_err
get_ok(struct zoom_client *zc, struct zapi_scratch *s, const char *what,
    int64_t deadline, struct zoom_info *info)
{
	enum zoom_err rc;

	if ((rc = zc_get(zc, s->url.data, what, deadline, &s->answer,
	    info)) != ZOOM_OK)
		return rc;
	return s->answer.status == 200 ? ZOOM_OK :
	    zc_map_error(&s->answer, what, info);
}

enum zoom_err
zapi_participants(struct zoom_client *zc, const char *api_base,
    const struct meeting_id *id, struct zapi_scratch *s, int64_t deadline,
    struct buf *out, struct att_rows *rows, struct zoom_info *info)
{
	char			*pagetok = NULL;
	struct xchg_answer	*a = &s->answer;
	struct zapi_merge	 m;
	enum zoom_err		 rc;
	int			 pages = 0;
	size_t			 base_len;

	zapi_merge_init(&m, &s->elems, &s->next_token, rows);
	if (meeting_url(&s->url, api_base, id, "/participants") < 0 ||
	    buf_printf(&s->url, "?page_size=%d", ZAPI_PAGE_SIZE) != BUF_OK) {
		rc = ZOOM_ENOMEM;
		goto out;
	}
	base_len = s->url.len;

	for (;;) {
		if ((rc = get_ok(zc, s, "participants", deadline, info)) !=
		    ZOOM_OK)
			goto out;
		if (zapi_merge_page(&m, a->body.data ? a->body.data : "",
		    a->body.len) != ZOOM_OK) {
			snprintf(info->why, sizeof(info->why),
			    "participants page %d is not the expected JSON",
			    pages + 1);
			rc = ZOOM_EBADRESP;
			goto out;
		}
		pages++;
		if (m.next_token->len == 0)
			break;
		if (pages >= ZAPI_MAX_PAGES) {
			snprintf(info->why, sizeof(info->why),
			    "more than %d pages", ZAPI_MAX_PAGES);
			rc = ZOOM_EBADRESP;
			goto out;
		}
		/* Same page_size on every page; the token is opaque: escape it. */
		if ((pagetok = curl_easy_escape(NULL, m.next_token->data,
		    (int)m.next_token->len)) == NULL) {
			rc = ZOOM_ENOMEM;
			goto out;
		}
		s->url.len = base_len;
		if (buf_printf(&s->url, "&next_page_token=%s", pagetok) != BUF_OK) {
			snprintf(info->why, sizeof(info->why),
			    "next_page_token too long");
			rc = ZOOM_EBADRESP;
			goto out;
		}
		curl_free(pagetok);
		pagetok = NULL;
	}
	rc = zapi_merge_finish(&m, out);
out:
	curl_free(pagetok);
	scratch_trim(s);
	return rc;
}

/* GET {api}/past_meetings/{id}{suffix} into s->answer, 200 or an error. */
static enum zoom_err
get_meeting(struct zoom_client *zc, const char *api_base,
    const struct meeting_id *id, const char *suffix, const char *what,
    struct zapi_scratch *s, int64_t deadline, struct zoom_info *info)
{
	if (meeting_url(&s->url, api_base, id, suffix) < 0)
		return ZOOM_ENOMEM;
	return get_ok(zc, s, what, deadline, info);
}

/* A string member that is an ISO 8601 time, as epoch seconds; -1 if not. */
static int64_t
time_member(const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);
	time_t		 t;

	if (!cJSON_IsString(v) || v->valuestring == NULL ||
	    parse_utc_time(v->valuestring, &t) < 0)
		return -1;
	return (int64_t)t;
}

enum zoom_err
zapi_occurrence(struct zoom_client *zc, const char *api_base,
    const struct meeting_id *id, int64_t start_time, struct zapi_scratch *s,
    int64_t deadline, struct meeting_id *out, struct zoom_info *info)
{
	cJSON			*root = NULL;
	const cJSON		*list, *m, *uuid;
	struct meeting_id	 cand;
	int64_t			 t, best_gap = -1, gap;
	enum zoom_err		 rc;

	if ((rc = get_meeting(zc, api_base, id, "/instances", "instances", s,
	    deadline, info)) != ZOOM_OK)
		goto out;
	rc = ZOOM_EBADRESP;
	snprintf(info->why, sizeof(info->why), "instances: not the expected JSON");
	if ((root = cJSON_ParseWithLength(s->answer.body.data,
	    s->answer.body.len)) == NULL ||
	    !cJSON_IsArray(list = cJSON_GetObjectItemCaseSensitive(root,
	    "meetings")))
		goto out;
	cJSON_ArrayForEach(m, list) {
		uuid = cJSON_GetObjectItemCaseSensitive(m, "uuid");
		if ((t = time_member(m, "start_time")) < 0 ||
		    !cJSON_IsString(uuid) || uuid->valuestring == NULL)
			continue;
		gap = t > start_time ? t - start_time : start_time - t;
		if (gap > ZAPI_OCCURRENCE_WINDOW ||
		    (best_gap >= 0 && gap >= best_gap))
			continue;
		/* Only what we would accept from a caller reaches a URL. */
		if (req_meeting_id(uuid->valuestring, strlen(uuid->valuestring),
		    &cand) != REQ_OK || !cand.is_uuid)
			continue;
		*out = cand;
		best_gap = gap;
	}
	info->why[0] = '\0';
	if (best_gap < 0) {
		snprintf(info->why, sizeof(info->why),
		    "no instance within 12 h of startTime");
		snprintf(info->detail, sizeof(info->detail),
		    "No occurrence of this meeting started within 12 hours of "
		    "startTime.");
		rc = ZOOM_ENOTFOUND;
		goto out;
	}
	rc = ZOOM_OK;
out:
	cJSON_Delete(root);
	scratch_trim(s);
	return rc;
}

enum zoom_err
zapi_meeting_record(struct zoom_client *zc, const char *api_base,
    const struct meeting_id *id, struct zapi_scratch *s, int64_t deadline,
    struct att_record *rec, struct zoom_info *info)
{
	cJSON		*root = NULL;
	const cJSON	*email;
	enum zoom_err	 rc;

	memset(rec, 0, sizeof(*rec));
	rec->participants_count = rec->duration_min = -1;
	rec->start = rec->end = -1;
	rc = get_meeting(zc, api_base, id, "", "meeting record", s, deadline,
	    info);
	if (rc == ZOOM_ENOTFOUND) {	/* no record: it never took place */
		rc = ZOOM_OK;
		goto out;
	}
	if (rc != ZOOM_OK)
		goto out;
	if ((root = cJSON_ParseWithLength(s->answer.body.data,
	    s->answer.body.len)) == NULL || !cJSON_IsObject(root)) {
		snprintf(info->why, sizeof(info->why),
		    "meeting record: not the expected JSON");
		rc = ZOOM_EBADRESP;
		goto out;
	}
	rec->found = 1;
	/* Never a verdict from missing data: the count is what decides. */
	if ((rec->participants_count = zc_json_count(root, "participants_count",
	    1e9)) < 0) {
		snprintf(info->why, sizeof(info->why),
		    "meeting record without a participants_count");
		rc = ZOOM_EBADRESP;
		goto out;
	}
	rec->duration_min = zc_json_count(root, "duration", 1e9);
	rec->start = time_member(root, "start_time");
	rec->end = time_member(root, "end_time");
	email = cJSON_GetObjectItemCaseSensitive(root, "user_email");
	if (cJSON_IsString(email) && email->valuestring != NULL &&
	    strlen(email->valuestring) < sizeof(rec->host_email))
		memcpy(rec->host_email, email->valuestring,
		    strlen(email->valuestring) + 1);
out:
	cJSON_Delete(root);
	scratch_trim(s);
	return rc;
}
