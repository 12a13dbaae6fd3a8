/*
 * attendance.h - did the coach and the client attend? Zoom's rows in, a
 * verdict out, and nothing else: no I/O, so every rule is a table test.
 *
 * Zoom gives one row per join (../shared/zoom-api.md section 6): a
 * dropped connection, a second device, a failover or a stay in the
 * waiting room each add a row. The rows are merged into persons, the
 * coach and the client are looked for among them, and each one's time in
 * the meeting is the union of their rows' intervals.
 */
#ifndef ZA_ATTENDANCE_H
#define ZA_ATTENDANCE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json_scan.h"

#define ATT_TEXT_MAX		256	/* an email or a name, bytes with the NUL */
#define ATT_MAX_MIN_SECONDS	86400	/* minimumSeconds at most a day */

enum att_err {
	ATT_OK = 0,
	ATT_EROW,		/* a row that is not an object */
	ATT_ENOMEM,
	ATT__MAX
};

/* The four verdicts; their words are configurable (cfg ATTENDANCE_STATUS_*). */
enum att_status {
	ATT_COMPLETED,		/* both attended */
	ATT_NO_SHOW,		/* the coach only */
	ATT_NEVER_HELD,		/* neither */
	ATT_COACH_NO_SHOW,	/* the client only */
	ATT__STATUS_MAX
};

/* How a person of the query was found among the rows. */
enum att_match {
	ATT_MATCH_NONE,		/* not found */
	ATT_MATCH_EMAIL,
	ATT_MATCH_NAME,
	ATT_MATCH_AMBIGUOUS,	/* the name fits two persons or more */
	ATT_MATCH_HOST,		/* no rows; the meeting's record: host alone */
	ATT_MATCH__MAX
};

/* Whom the caller expects (request.c fills it). */
struct att_who {
	int	 given;			/* the caller named this person */
	char	 email[ATT_TEXT_MAX];	/* as sent, or "" */
	char	 name[ATT_TEXT_MAX];	/* as sent, or "" */
};

struct att_query {
	struct att_who	 coach;
	struct att_who	 client;
	long		 min_seconds;	/* least time that counts as attending */
};

/*
 * The row members the verdict reads. The merge captures their values
 * while it validates each row (zoom_api.c), so reading them costs no
 * second pass over the rows.
 */
enum att_field {
	ATT_F_EMAIL,		/* "user_email" */
	ATT_F_ID,		/* "id" */
	ATT_F_NAME,		/* "name" */
	ATT_F_JOIN,		/* "join_time" */
	ATT_F_LEAVE,		/* "leave_time" */
	ATT_F_STATUS,		/* "status" */
	ATT_F__MAX
};

/* Which field a row member's raw key is, or -1 (for js_capture). */
int		 att_field_index(const char *key, size_t len);

/*
 * One row: where its string members are in the participants text (the
 * bytes between the quotes, as Zoom sent them, escapes included), so
 * nothing is copied; a string is decoded only when one has escapes.
 */
struct att_str {
	uint32_t	 off;		/* in the participants text */
	uint32_t	 len;		/* 0: absent, empty or not a string */
};

/*
 * What the merge and the matching need of a row is worked out when it is
 * captured, while its bytes are still in the cache: a pass over 1,000
 * rows scattered through 350 KB costs a cache miss a row otherwise.
 */
struct att_row {
	struct att_str	 f[ATT_F_STATUS];	/* email, id, name, join, leave */
	uint64_t	 email_hash;		/* valid when email_plain */
	uint64_t	 id_hash;		/* when f[ATT_F_ID].len > 0 */
	uint8_t		 email_plain;		/* no escape: f[EMAIL] trimmed */
	uint8_t		 waiting;		/* status "in_waiting_room" */
	char		 name_end;		/* its normalised name's last
						 * byte, or 0: not known */
	uint32_t	 person;		/* set by att_decide */
};

/* The rows of one meeting, in the order of the answer's participants. */
struct att_rows {
	struct att_row	*v;
	size_t		 n, cap;
	size_t		 text_off;	/* where the text begins in the answer */
};

/* The meeting's own record (GET /past_meetings/{id}), when no rows came. */
struct att_record {
	int	 found;			/* Zoom has it (else 404 / 3001) */
	long	 participants_count;	/* -1 when absent */
	char	 host_email[ATT_TEXT_MAX];
	int64_t	 start, end;		/* epoch seconds; end < start: unknown */
	long	 duration_min;		/* -1 when absent */
};

struct att_person {
	int		 given;
	enum att_match	 match;
	int		 attended;
	int		 waiting_only;	/* seen only in the waiting room */
	long		 seconds;	/* union of the intervals in the meeting */
	int		 joins;		/* rows, waiting room included */
	int64_t		 first_join;	/* in the meeting; -1 when none */
	int64_t		 last_leave;
	size_t		 person;	/* which, when matched by email or name */
};

struct att_result {
	struct att_person coach;
	struct att_person client;
	size_t		 people;	/* distinct persons after merging */
	int		 has_status;	/* coach and client were both asked */
	enum att_status	 status;
};

void		 att_rows_init(struct att_rows *r);	/* no allocation */
void		 att_rows_reset(struct att_rows *r);
void		 att_rows_free(struct att_rows *r);

/*
 * Add a row from its members' value spans (vals[f], JSON text with the
 * quotes; len 0 when absent), which lie in a copy of the participants
 * text at offset off_base - base: that is, val.p - base + off_base is the
 * value's offset in the text att_decide will get. A member of an
 * unexpected type counts as absent.
 */
enum att_err	 att_rows_add(struct att_rows *r,
		     const struct js_span vals[ATT_F__MAX], const char *base,
		     size_t off_base);

/*
 * The same from one validated row object el, its members found by
 * walking it (base and off_base as for att_rows_add).
 */
enum att_err	 att_rows_add_json(struct att_rows *r, struct js_span el,
		     const char *base, size_t off_base);

/*
 * Merge the rows into persons and find the coach and the client in them.
 * text: the participants text the rows' offsets point into. Returns
 * ATT_OK or ATT_ENOMEM.
 */
enum att_err	 att_decide(struct att_rows *r, const char *text,
		     const struct att_query *q, struct att_result *res);

/*
 * No rows: what the meeting's record proves. The verdict, or -1 when the
 * record says people were there but their rows are not ready yet.
 */
int		 att_from_record(const struct att_query *q,
		     const struct att_record *rec, struct att_result *res);

/*
 * Append the "attendance" object's JSON (without a key) to out:
 * status (its word from words[], or null without both persons), coach,
 * client (each only if asked), people. 0, or -1 (out of memory or cap).
 */
int		 att_write_json(const struct att_rows *r,
		     const struct att_result *res,
		     const char *const words[ATT__STATUS_MAX], struct buf *out);

/*
 * A name as people match it: Unicode case folding and NFKC, blanks
 * collapsed and trimmed, a trailing device tag (" (iPhone)", " - Android")
 * dropped. out holds ATT_TEXT_MAX * 4 bytes; its length, or -1 (not UTF-8,
 * or too long).
 */
long		 att_norm_name(const char *s, size_t len, char *out,
		     size_t outlen);

const char	*att_match_name(enum att_match m);

#endif
