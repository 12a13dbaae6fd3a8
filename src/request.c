/* request.c - body parsing and meeting id validation; see request.h. */
#include <string.h>

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

/*
 * The body is small and only one member matters, so it is walked with the
 * strict scanner (grammar, UTF-8, depth) rather than built into a tree:
 * this also sees what a tree hides, such as a NUL inside the string
 * ("\u0000") or zoomCallId given twice.
 */
enum req_err
req_parse_body(const char *body, size_t len, struct meeting_id *out)
{
	struct js_iter	 it;
	struct js_span	 doc = { body, len }, key, val, idval = { NULL, 0 };
	struct buf	 text;
	enum js_err	 je;
	enum req_err	 rc;
	int		 seen = 0;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return REQ_EJSON;
	if ((je = js_iter_object(&it, doc)) != JS_OK)
		return je == JS_ETYPE && js_validate(body, len) == JS_OK ?
		    REQ_ENOTOBJECT : REQ_EJSON;
	while ((je = js_next_member(&it, &key, &val)) == JS_OK) {
		if (!js_key_equals(key, "zoomCallId"))
			continue;
		if (seen++)
			return REQ_EDUPLICATE;
		idval = val;
	}
	if (je != JS_END || !js_at_end(&it))
		return REQ_EJSON;
	if (!seen)
		return REQ_EMISSING;

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

int
req_content_length(const char *cl, long long *out)
{
	*out = 0;
	if (cl == NULL || *cl == '\0')
		return 0;
	return parse_int(cl, 0, (long long)1 << 62, out);
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
		"zoomCallId appears more than once.",		/* REQ_EDUPLICATE */
		"zoomCallId is not a Zoom meeting id (9 to 12 digits) "
		    "nor a meeting UUID (22 to 24 base64 characters).",
								/* REQ_EINVALID */
		"Out of memory.",				/* REQ_ENOMEM */
	};

	return (e >= 0 && e < REQ__MAX) ? msgs[e] : "unknown error";
}
