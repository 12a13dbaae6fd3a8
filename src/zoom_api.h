/*
 * zoom_api.h - the past meeting participants, all pages merged.
 * GET {api}/past_meetings/{id}/participants (../shared/zoom-api.md 2).
 */
#ifndef ZA_ZOOM_API_H
#define ZA_ZOOM_API_H

#include <stdint.h>

#include "attendance.h"
#include "buf.h"
#include "request.h"
#include "zoom_client.h"

#define ZAPI_PAGE_SIZE		300			/* Zoom's maximum */
#define ZAPI_MAX_PAGES		100			/* 30,000 rows */
#define ZAPI_MAX_PAGE_BYTES	(8 * 1024 * 1024)	/* one page's body */
#define ZAPI_MAX_MERGED_BYTES		(48 * 1024 * 1024)	/* all pages together */

#define ZAPI_KEEP_BYTES		(128 * 1024)	/* scratch kept between requests */
#define ZAPI_OCCURRENCE_WINDOW	(12 * 3600)	/* startTime to an instance, at most */

/* The merge state: the participants' raw JSON, comma-joined. */
struct zapi_merge {
	struct buf	*out;		/* borrowed; receives the elements */
	long		 count;		/* participants so far */
	struct buf	*next_token;	/* borrowed; decoded next_page_token */
	struct att_rows	*rows;		/* borrowed; each row noted, or NULL */
};

/*
 * A worker's buffers, reused from one request to the next so that a
 * request allocates nothing of its own (large meetings excepted).
 */
struct zapi_scratch {
	struct buf		 url;
	struct buf		 elems;		/* merged participants */
	struct buf		 next_token;
	struct xchg_answer	 answer;
};

/*
 * Fetch every page and write the merged answer, Zoom's own shape with
 * page_count 1 and an empty next_page_token, into out (reset first).
 * On error out is undefined and info says why.
 */
enum zoom_err	 zapi_participants(struct zoom_client *zc,
		     const char *api_base, const struct meeting_id *id,
		     struct zapi_scratch *s, int64_t deadline, struct buf *out,
		     struct att_rows *rows, struct zoom_info *info);

/*
 * The occurrence of a recurring meeting (numeric id) that started
 * closest to start_time, within ZAPI_OCCURRENCE_WINDOW: its UUID in *out.
 * GET {api}/past_meetings/{id}/instances. ZOOM_ENOTFOUND (with a message
 * in info->detail) when none did.
 */
enum zoom_err	 zapi_occurrence(struct zoom_client *zc, const char *api_base,
		     const struct meeting_id *id, int64_t start_time,
		     struct zapi_scratch *s, int64_t deadline,
		     struct meeting_id *out, struct zoom_info *info);

/*
 * The meeting's own record, GET {api}/past_meetings/{id}: host's email,
 * participants_count, start and end. Zoom's "not found" is ZOOM_OK with
 * rec->found 0; other failures are errors.
 */
enum zoom_err	 zapi_meeting_record(struct zoom_client *zc,
		     const char *api_base, const struct meeting_id *id,
		     struct zapi_scratch *s, int64_t deadline,
		     struct att_record *rec, struct zoom_info *info);

void		 zapi_scratch_init(struct zapi_scratch *s);
void		 zapi_scratch_free(struct zapi_scratch *s);

/*
 * The path segment for id: digits as they are; a UUID percent-encoded,
 * twice when it begins with '/' or holds "//" (Zoom's rule, section 3).
 * Returns 0, or -1 when out (outlen bytes) is too small.
 */
int		 zapi_encode_id(const struct meeting_id *id, char *out,
		     size_t outlen);

/*
 * Validate one page and append its participants to m. ZOOM_OK, or
 * ZOOM_EBADRESP (not JSON, not an object, participants not an array,
 * next_page_token not a string) or ZOOM_ENOMEM / ZOOM_EBADRESP for size.
 * Exposed for tests and fuzzing.
 */
void		 zapi_merge_init(struct zapi_merge *m, struct buf *out,
		     struct buf *next_token, struct att_rows *rows);
enum zoom_err	 zapi_merge_page(struct zapi_merge *m, const char *page,
		     size_t len);
/*
 * Wrap the merged elements into the final document in out; m->rows,
 * if set, learns where the elements begin in it (text_off).
 */
enum zoom_err	 zapi_merge_finish(struct zapi_merge *m, struct buf *final);

#endif
