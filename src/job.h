/*
 * job.h - one meeting-ended job: what the webhook gave us about a booking,
 * and where its processing stands. Kept as a small JSON file in the spool
 * (spool.c); this module only turns it into text and back.
 */
#ifndef ZA_JOB_H
#define ZA_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "attendance.h"
#include "buf.h"

#define JOB_UID_MAX	201	/* a booking uid: 200 bytes and the NUL */
#define JOB_TEXT_MAX	256	/* last error, outcome */
#define JOB_WORD_MAX	128	/* a status word (100 bytes) and room */
#define JOB_NAME_LEN	37	/* file name: 32 hex digits, ".job", NUL */
#define JOB_MAX_BYTES	(16 * 1024) /* a job file larger than this is refused */

struct job {
	char		 uid[JOB_UID_MAX];	/* Cal.com's booking uid */
	int64_t		 received;		/* epoch seconds */
	int64_t		 start;			/* booking startTime, or -1 */
	int64_t		 end;			/* booking endTime, or -1 */
	int64_t		 deadline;		/* give up waiting for Zoom then */
	struct att_who	 coach;			/* from the payload, if given */
	struct att_who	 client;
	int		 attempts;		/* attempts made */
	int64_t		 next;			/* next attempt, epoch seconds */
	char		 last_error[JOB_TEXT_MAX];	/* why the last one failed */
	char		 writing[JOB_WORD_MAX];	/* status word being written */
	char		 outcome[JOB_TEXT_MAX];	/* done or failed: what happened */
};

/* A job's file name in the spool: the first 128 bits of SHA-256(uid). */
void	 job_file_name(const char *uid, char name[JOB_NAME_LEN]);

/* Append the job's JSON to out. 0, or -1 (out of memory or cap). */
int	 job_to_json(const struct job *j, struct buf *out);

/*
 * Read a job from its file's text. 0, or -1 when it is not a job this
 * program wrote (the caller moves it aside, never guesses).
 */
int	 job_from_json(const char *text, size_t len, struct job *j);

#endif
