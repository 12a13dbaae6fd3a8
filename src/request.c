/* request.c - body parsing and meeting id validation; see request.h. */
#include <limits.h>
#include <string.h>
#include <time.h>

#include <unistr.h>

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

/* A JSON number that is a plain integer: -?digits, no fraction or exponent. */
static int
is_plain_integer(struct js_span v)
{
	size_t i;

	for (i = 0; i < v.len; i++)
		if (v.p[i] < '0' || v.p[i] > '9')
			return 0;
	return v.len > 0;
}

/* The zoomCallId value (a string or a plain integer) as a meeting id. */
static enum req_err
parse_id(struct js_span idval, struct meeting_id *out)
{
	struct buf	 text;
	enum req_err	 rc;

	if (js_is_string(idval)) {
		buf_init(&text, REQ_MEETING_ID_MAX * 4);
		if (js_string_decode(idval, &text) != JS_OK ||
		    memchr(text.data ? text.data : "", '\0', text.len) != NULL)
			rc = REQ_EINVALID;	/* too long, or holds a NUL */
		else
			rc = req_meeting_id(text.data ? text.data : "",
			    text.len, out);
		buf_free(&text);
		return rc;
	}
	if (is_plain_integer(idval)) {
		if (idval.p[0] == '0')
			return REQ_EINVALID;	/* JSON has no leading zeros */
		return req_meeting_id(idval.p, idval.len, out);
	}
	return REQ_ETYPE;	/* null, boolean, object, array, other numbers */
}

/*
 * A string member decoded into out (outlen bytes with the NUL): no
 * control character (C0, DEL, C1; a NUL neither), and short enough.
 * 0, or -1.
 */
static int
decode_text(struct js_span v, char *out, size_t outlen)
{
	struct buf	 text;
	int		 rc = -1;

	buf_init(&text, outlen - 1);
	if (js_string_decode(v, &text) != JS_OK ||
	    has_control(text.data ? text.data : "", text.len))
		goto out;
	memcpy(out, text.data ? text.data : "", text.len);
	out[text.len] = '\0';
	rc = 0;
out:
	buf_free(&text);
	return rc;
}

/* An email as people type it: local@domain, no blank. */
static int
email_ok(const char *e)
{
	const char *at = strchr(e, '@');

	return at != NULL && at != e && at[1] != '\0' &&
	    strchr(at + 1, '@') == NULL && strpbrk(e, " \t") == NULL;
}

/* Text decoded elsewhere (cJSON): UTF-8, no control character, fits. */
static int
copy_text(const char *v, char *out, size_t outlen)
{
	size_t len = v != NULL ? strlen(v) : 0;

	if (len >= outlen || u8_check((const uint8_t *)v, len) != NULL ||
	    has_control(v, len))
		return -1;
	memcpy(out, len ? v : "", len);
	out[len] = '\0';
	return 0;
}

int
req_who_set(struct att_who *who, const char *email, const char *name)
{
	memset(who, 0, sizeof(*who));
	if (copy_text(email, who->email, sizeof(who->email)) < 0 ||
	    copy_text(name, who->name, sizeof(who->name)) < 0 ||
	    (who->email[0] != '\0' && !email_ok(who->email))) {
		memset(who, 0, sizeof(*who));
		return -1;
	}
	who->given = who->email[0] != '\0' || who->name[0] != '\0';
	return 0;
}

/* {"email": "...", "name": "..."}: at least one of them not empty. */
static int
parse_who(struct js_span v, struct att_who *who)
{
	struct js_iter	 it;
	struct js_span	 key, val;
	enum js_err	 je;
	int		 seen_email = 0, seen_name = 0;

	memset(who, 0, sizeof(*who));
	if (js_iter_object(&it, v) != JS_OK)
		return -1;
	while ((je = js_next_member(&it, &key, &val)) == JS_OK) {
		if (js_key_equals(key, "email")) {
			if (seen_email++ || decode_text(val, who->email,
			    sizeof(who->email)) < 0)
				return -1;
		} else if (js_key_equals(key, "name")) {
			if (seen_name++ || decode_text(val, who->name,
			    sizeof(who->name)) < 0)
				return -1;
		}
	}
	if (je != JS_END)
		return -1;
	if (who->email[0] != '\0' && !email_ok(who->email))
		return -1;
	if (who->email[0] == '\0' && who->name[0] == '\0')
		return -1;
	who->given = 1;
	return 0;
}

/* The members we read, and how often each came. */
enum body_key {
	KEY_ID, KEY_COACH, KEY_CLIENT, KEY_MIN_SECONDS, KEY_START_TIME,
	KEY__MAX
};

static const char *const body_keys[KEY__MAX] = {
	"zoomCallId",		/* KEY_ID */
	"coach",		/* KEY_COACH */
	"client",		/* KEY_CLIENT */
	"minimumSeconds",	/* KEY_MIN_SECONDS */
	"startTime",		/* KEY_START_TIME */
};

/*
 * The body is small, so it is walked with the strict scanner (grammar,
 * UTF-8, depth) rather than built into a tree: this also sees what a
 * tree hides, such as a NUL inside a string ("\u0000") or a member
 * given twice.
 */
enum req_err
req_parse_request(const char *body, size_t len, struct req_body *out)
{
	struct js_iter	 it;
	struct js_span	 doc = { body, len }, key, val, vals[KEY__MAX];
	char		 when[64];
	time_t		 t;
	long long	 n;
	enum js_err	 je;
	enum req_err	 rc;
	int		 seen[KEY__MAX] = { 0 };
	size_t		 k;

	memset(out, 0, sizeof(*out));
	memset(vals, 0, sizeof(vals));
	if (len == 0)
		return REQ_EJSON;
	if ((je = js_iter_object(&it, doc)) != JS_OK)
		return je == JS_ETYPE && js_validate(body, len) == JS_OK ?
		    REQ_ENOTOBJECT : REQ_EJSON;
	while ((je = js_next_member(&it, &key, &val)) == JS_OK)
		for (k = 0; k < KEY__MAX; k++)
			if (js_key_equals(key, body_keys[k])) {
				if (seen[k]++)
					return REQ_EDUPLICATE;
				vals[k] = val;
			}
	if (je != JS_END || !js_at_end(&it))
		return REQ_EJSON;
	if (!seen[KEY_ID])
		return REQ_EMISSING;
	if ((rc = parse_id(vals[KEY_ID], &out->id)) != REQ_OK)
		return rc;

	if (seen[KEY_COACH] && parse_who(vals[KEY_COACH], &out->att.coach) < 0)
		return REQ_ECOACH;
	if (seen[KEY_CLIENT] &&
	    parse_who(vals[KEY_CLIENT], &out->att.client) < 0)
		return REQ_ECLIENT;
	if (seen[KEY_MIN_SECONDS]) {
		val = vals[KEY_MIN_SECONDS];
		if (!is_plain_integer(val) || val.len > 6 ||
		    (val.p[0] == '0' && val.len > 1))
			return REQ_EMIN_SECONDS;
		memcpy(when, val.p, val.len);
		when[val.len] = '\0';
		if (parse_int(when, 0, ATT_MAX_MIN_SECONDS, &n) < 0)
			return REQ_EMIN_SECONDS;
		out->att.min_seconds = (long)n;
	}
	if (seen[KEY_START_TIME]) {
		if (decode_text(vals[KEY_START_TIME], when, sizeof(when)) < 0 ||
		    parse_utc_time(when, &t) < 0)
			return REQ_ESTART_TIME;
		out->has_start = 1;
		out->start_time = (int64_t)t;
	}
	return REQ_OK;
}

enum req_err
req_parse_body(const char *body, size_t len, struct meeting_id *out)
{
	struct req_body	 b;
	enum req_err	 rc = req_parse_request(body, len, &b);

	*out = b.id;
	return rc;
}

int
req_content_length(const char *cl, int end_marked, long long *out)
{
	const char *p;

	*out = 0;
	if (cl == NULL || *cl == '\0' ||
	    (end_marked && strcmp(cl, "-1") == 0)) {
		if (end_marked)
			*out = REQ_LENGTH_TO_END;
		return 0;
	}
	/* Digits only: strtoll would take "-0", " 7" and "+7" too. */
	for (p = cl; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return -1;
	if (parse_int(cl, 0, LLONG_MAX, out) < 0)
		*out = LLONG_MAX;	/* out of range: more than any cap */
	return 0;
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
req_path_ends(const char *path, const char *suffix)
{
	size_t		 n = strlen(suffix), len;
	const char	*q;

	if (path == NULL)
		return 0;
	q = strchr(path, '?');
	len = q != NULL ? (size_t)(q - path) : strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	return len >= n && memcmp(path + len - n, suffix, n) == 0;
}

int
req_is_healthz(const char *path)
{
	return req_path_ends(path, "/healthz");
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
		"zoomCallId appears more than once.",		/* REQ_EDUPLICATE */
		"zoomCallId is not a Zoom meeting id (9 to 12 digits) "
		    "nor a meeting UUID (22 to 24 base64 characters).",
								/* REQ_EINVALID */
		"Out of memory.",				/* REQ_ENOMEM */
		"coach must be an object with an email and/or a name: strings "
		    "of at most 255 bytes without control characters, the "
		    "email as local@domain.",			/* REQ_ECOACH */
		"client must be an object with an email and/or a name: "
		    "strings of at most 255 bytes without control characters, "
		    "the email as local@domain.",		/* REQ_ECLIENT */
		"minimumSeconds must be an integer from 0 to 86400.",
							/* REQ_EMIN_SECONDS */
		"startTime must be an ISO 8601 time such as "
		    "\"2026-11-20T10:00:00Z\".",		/* REQ_ESTART_TIME */
	};

	return (e >= 0 && e < REQ__MAX) ? msgs[e] : "unknown error";
}
