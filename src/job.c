/* job.c - a job and its file's JSON text (cJSON: read and built whole). */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/sha.h>

#include "job.h"
#include "util.h"

#define JOB_FORMAT	1	/* "v": the file format's version */

void
job_file_name(const char *uid, char name[JOB_NAME_LEN])
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	size_t		 i;

	SHA256((const unsigned char *)uid, strlen(uid), md);
	for (i = 0; i < 16; i++)
		snprintf(name + 2 * i, 3, "%02x", md[i]);
	memcpy(name + 32, ".job", 5);
}

static int
add_time(cJSON *o, const char *key, int64_t t)
{
	return (t < 0 ? cJSON_AddNullToObject(o, key) :
	    cJSON_AddNumberToObject(o, key, (double)t)) != NULL;
}

static int
add_who(cJSON *o, const char *key, const struct att_who *w)
{
	cJSON *p;

	if (!w->given)
		return 1;
	return (p = cJSON_AddObjectToObject(o, key)) != NULL &&
	    cJSON_AddStringToObject(p, "email", w->email) != NULL &&
	    cJSON_AddStringToObject(p, "name", w->name) != NULL;
}

int
job_to_json(const struct job *j, struct buf *out)
{
	cJSON	*o;
	char	*s = NULL;
	int	 ok;

	if ((o = cJSON_CreateObject()) == NULL)
		return -1;
	ok = cJSON_AddNumberToObject(o, "v", JOB_FORMAT) != NULL &&
	    cJSON_AddStringToObject(o, "uid", j->uid) != NULL &&
	    add_time(o, "received", j->received) &&
	    add_time(o, "start", j->start) && add_time(o, "end", j->end) &&
	    add_time(o, "deadline", j->deadline) &&
	    add_who(o, "coach", &j->coach) && add_who(o, "client", &j->client) &&
	    cJSON_AddNumberToObject(o, "attempts", j->attempts) != NULL &&
	    add_time(o, "next", j->next) &&
	    cJSON_AddStringToObject(o, "last_error", j->last_error) != NULL &&
	    cJSON_AddStringToObject(o, "writing", j->writing) != NULL &&
	    cJSON_AddStringToObject(o, "outcome", j->outcome) != NULL;
	if (ok)
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s == NULL)
		return -1;
	ok = buf_addstr(out, s) == BUF_OK && buf_addstr(out, "\n") == BUF_OK;
	cJSON_free(s);
	return ok ? 0 : -1;
}

/* A whole number of seconds (or null: -1). 0, or -1 when neither. */
static int
get_time(const cJSON *o, const char *key, int64_t *t)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (cJSON_IsNull(v)) {
		*t = -1;
		return 0;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > 1e12 || v->valuedouble != (double)(int64_t)v->valuedouble)
		return -1;
	*t = (int64_t)v->valuedouble;
	return 0;
}

static int
get_text(const cJSON *o, const char *key, char *out, size_t outlen)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(v) || strlen(v->valuestring) >= outlen)
		return -1;
	memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

static int
get_who(const cJSON *o, const char *key, struct att_who *w)
{
	const cJSON	*p = cJSON_GetObjectItemCaseSensitive(o, key);

	memset(w, 0, sizeof(*w));
	if (p == NULL)
		return 0;
	if (!cJSON_IsObject(p) || get_text(p, "email", w->email,
	    sizeof(w->email)) < 0 || get_text(p, "name", w->name,
	    sizeof(w->name)) < 0)
		return -1;
	w->given = 1;
	return 0;
}

int
job_from_json(const char *text, size_t len, struct job *j)
{
	cJSON		*o;
	const cJSON	*v;
	int		 rc = -1;

	memset(j, 0, sizeof(*j));
	if ((o = cJSON_ParseWithLength(text, len)) == NULL)
		return -1;
	v = cJSON_GetObjectItemCaseSensitive(o, "v");
	if (!cJSON_IsNumber(v) || v->valueint != JOB_FORMAT)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(o, "attempts");
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e6)
		goto out;
	j->attempts = (int)v->valuedouble;
	if (get_text(o, "uid", j->uid, sizeof(j->uid)) < 0 || j->uid[0] == '\0' ||
	    get_time(o, "received", &j->received) < 0 ||
	    get_time(o, "start", &j->start) < 0 ||
	    get_time(o, "end", &j->end) < 0 ||
	    get_time(o, "deadline", &j->deadline) < 0 ||
	    get_time(o, "next", &j->next) < 0 ||
	    get_who(o, "coach", &j->coach) < 0 ||
	    get_who(o, "client", &j->client) < 0 ||
	    get_text(o, "last_error", j->last_error, sizeof(j->last_error)) < 0 ||
	    get_text(o, "writing", j->writing, sizeof(j->writing)) < 0 ||
	    get_text(o, "outcome", j->outcome, sizeof(j->outcome)) < 0)
		goto out;
	rc = 0;
out:
	cJSON_Delete(o);
	return rc;
}
