/* request.c - body parsing and meeting id validation; see request.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json_scan.h"
#include "request.h"
#include "util.h"

#define NUMERIC_MIN_DIGITS	9
#define NUMERIC_MAX_DIGITS	12
#define UUID_MIN_LEN		22
#define UUID_MAX_LEN		24

static int
is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

enum req_err
req_meeting_id(const char *s, size_t len, struct meeting_id *out)
{
	size_t	i, n = 0, digits = 0, seps = 0;

	memset(out, 0, sizeof(*out));
	/* Numeric: digits with the spaces and dashes people type. */
	for (i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == ' ' || s[i] == '-')
			seps++;
		else
			break;
	}
	if (i == len && digits >= NUMERIC_MIN_DIGITS &&
	    digits <= NUMERIC_MAX_DIGITS) {
		/* A separator may not lead nor trail: " 123456789" is junk. */
		if (s[0] == ' ' || s[0] == '-' || s[len - 1] == ' ' ||
		    s[len - 1] == '-')
			return REQ_EINVALID;
		for (i = 0; i < len; i++)
			if (s[i] >= '0' && s[i] <= '9')
				out->text[n++] = s[i];
		out->text[n] = '\0';
		return REQ_OK;
	}
	/* UUID: base64 alphabet only, so nothing can escape the path. */
	if (len < UUID_MIN_LEN || len > UUID_MAX_LEN)
		return REQ_EINVALID;
	for (i = 0; i < len; i++)
		if (!is_b64(s[i]))
			return REQ_EINVALID;
	if (digits == len)
		return REQ_EINVALID;	/* 22+ digits: a mistyped numeric id */
	memcpy(out->text, s, len);
	out->text[len] = '\0';
	out->is_uuid = 1;
	return REQ_OK;
}

enum req_err
req_parse_body(const char *body, size_t len, struct meeting_id *out)
{
	cJSON		*root = NULL;
	const cJSON	*id;
	char		 num[32];
	double		 v;
	enum req_err	 rc;

	/* Strict first: cJSON accepts invalid UTF-8 and has no depth bound. */
	if (len == 0 || js_validate(body, len) != JS_OK)
		return REQ_EJSON;
	if ((root = cJSON_ParseWithLength(body, len)) == NULL) {
		rc = REQ_EJSON;
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		rc = REQ_ENOTOBJECT;
		goto out;
	}
	id = cJSON_GetObjectItemCaseSensitive(root, "zoomCallId");
	if (id == NULL || cJSON_IsNull(id)) {
		rc = REQ_EMISSING;
		goto out;
	}
	if (cJSON_IsString(id) && id->valuestring != NULL) {
		rc = req_meeting_id(id->valuestring, strlen(id->valuestring), out);
	} else if (cJSON_IsNumber(id)) {
		v = id->valuedouble;
		/* A JSON integer of 9-12 digits is exact in a double. */
		if (!isfinite(v) || v != floor(v) || v < 1e8 || v >= 1e12) {
			rc = REQ_EINVALID;
			goto out;
		}
		snprintf(num, sizeof(num), "%.0f", v);
		rc = req_meeting_id(num, strlen(num), out);
	} else
		rc = REQ_ETYPE;
out:
	cJSON_Delete(root);
	return rc;
}

int
req_is_json_type(const char *ct)
{
	static const char	 json[] = "application/json";
	size_t			 n = sizeof(json) - 1;

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strlen(ct) < n || !ascii_ncaseeq(ct, json, n))
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

int
req_is_healthz(const char *path)
{
	static const char	 suffix[] = "/healthz";
	size_t			 n = sizeof(suffix) - 1, len;
	const char		*q;

	if (path == NULL)
		return 0;
	q = strchr(path, '?');
	len = q != NULL ? (size_t)(q - path) : strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	return len >= n && memcmp(path + len - n, suffix, n) == 0;
}

const char *
req_strerror(enum req_err e)
{
	static const char *const msgs[REQ__MAX] = {
		"ok",						/* REQ_OK */
		"The body is not valid JSON.",			/* REQ_EJSON */
		"The body must be a JSON object.",		/* REQ_ENOTOBJECT */
		"The body has no zoomCallId.",			/* REQ_EMISSING */
		"zoomCallId must be a string or an integer.",	/* REQ_ETYPE */
		"zoomCallId is not a Zoom meeting id (9 to 12 digits) "
		    "nor a meeting UUID (22 to 24 base64 characters).",
								/* REQ_EINVALID */
		"Out of memory.",				/* REQ_ENOMEM */
	};

	return (e >= 0 && e < REQ__MAX) ? msgs[e] : "unknown error";
}
