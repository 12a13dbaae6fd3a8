/*
 * request.h - what a caller sent, parsed and validated before anything
 * else happens. Nothing here talks to the network.
 */
#ifndef ZA_REQUEST_H
#define ZA_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "attendance.h"

#define REQ_MAX_BODY		(64 * 1024)	/* larger bodies get 413 */
#define REQ_MEETING_ID_MAX	32		/* normalised id, NUL included */

enum req_err {
	REQ_OK = 0,
	REQ_EJSON,		/* not JSON, invalid UTF-8, too deep */
	REQ_ENOTOBJECT,		/* JSON, but not an object */
	REQ_EMISSING,		/* no zoomCallId member */
	REQ_ETYPE,		/* zoomCallId neither string nor integer */
	REQ_EDUPLICATE,		/* zoomCallId given twice */
	REQ_EINVALID,		/* not a meeting id nor a meeting UUID */
	REQ_ENOMEM,
	REQ_ECOACH,		/* coach: not an object, or a bad email or name */
	REQ_ECLIENT,		/* client: the same */
	REQ_EMIN_SECONDS,	/* minimumSeconds: not an integer 0..86400 */
	REQ_ESTART_TIME,	/* startTime: not an ISO 8601 time */
	REQ__MAX
};

/* A meeting identifier that is safe to put in a URL once encoded. */
struct meeting_id {
	char	 text[REQ_MEETING_ID_MAX];	/* digits, or the UUID as given */
	int	 is_uuid;
};

/*
 * Meeting id rules (../shared/zoom-api.md section 3): a numeric id is 9 to
 * 12 digits once the spaces and dashes people type are removed; a UUID is
 * 22 to 24 characters of the base64 alphabet. Anything else is refused.
 */
enum req_err	 req_meeting_id(const char *s, size_t len, struct meeting_id *out);

/* Everything a body may ask. */
struct req_body {
	struct meeting_id	 id;
	struct att_query	 att;		/* coach, client, minimumSeconds */
	int			 has_start;	/* startTime given */
	int64_t			 start_time;	/* epoch seconds */
};

/*
 * Parse {"zoomCallId": "..." | 123456789, "coach": {"email", "name"},
 * "client": {...}, "minimumSeconds": N, "startTime": "..."}: all but
 * zoomCallId optional; every field validated (type, length, UTF-8, no
 * control characters) before anything else happens. Other members are
 * ignored; any of these given twice is REQ_EDUPLICATE.
 */
enum req_err	 req_parse_request(const char *body, size_t len,
		     struct req_body *out);

/*
 * A person from text decoded elsewhere (a webhook, a Notion page): email
 * and name may be NULL or ""; each checked as a request's coach is (UTF-8,
 * no control character, under ATT_TEXT_MAX bytes, an email with one '@').
 * who->given when either is not empty. 0, or -1.
 */
int		 req_who_set(struct att_who *who, const char *email,
		     const char *name);

/* The same, for the meeting id alone. */
enum req_err	 req_parse_body(const char *body, size_t len,
		     struct meeting_id *out);

#define REQ_LENGTH_TO_END	(-1)	/* no length: read to the body's end */

/*
 * The body's length from CONTENT_LENGTH, which RFC 3875 section 4.1.2
 * makes empty or decimal digits: 0 with *out set, or -1 when it is
 * neither. Digits beyond a long long's range are taken as its largest
 * value (a body too large, not a bad length). Absent or empty means no
 * body (*out 0), except where the transport marks the body's end
 * (end_marked: FastCGI's stdin stream ends with an empty record, FastCGI
 * 1.0 section 5.3): there absent, empty and "-1" (what Caddy sends for a
 * chunked request) set *out to REQ_LENGTH_TO_END.
 */
int		 req_content_length(const char *cl, int end_marked,
		     long long *out);

/* Content-Type is application/json, parameters such as charset allowed. */
int		 req_is_json_type(const char *content_type);

/* The request path ends in suffix (query string, trailing '/' ignored). */
int		 req_path_ends(const char *path, const char *suffix);

/* The request path ends in /healthz (query string ignored). */
int		 req_is_healthz(const char *path);

const char	*req_strerror(enum req_err e);

#endif
