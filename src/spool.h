/*
 * spool.h - the durable queue of meeting-ended jobs: one small file per
 * booking uid in a directory, so that nothing accepted is lost when the
 * process dies, the host restarts or several processes share the work.
 *
 *   DIR/<name>.job         pending jobs (name: job_file_name of the uid)
 *   DIR/failed/<name>.job  jobs that cannot succeed without a person
 *   DIR/done/<name>.job    finished jobs (a replay of the uid is no new job)
 *   DIR/tmp/               files being written
 *
 * Every file is written whole to tmp/, fsync()ed, then linked or renamed
 * into place and the directory fsync()ed: a reader sees the old version
 * or the new, never a part. A job being worked on is locked (flock) by
 * the process working on it; the kernel drops the lock if it dies.
 */
#ifndef ZA_SPOOL_H
#define ZA_SPOOL_H

#include <stddef.h>

#include "job.h"

enum spool_area {
	SPOOL_PENDING,
	SPOOL_FAILED,
	SPOOL_DONE,
	SPOOL__AREAS
};

struct spool {
	int	 fd[SPOOL__AREAS];	/* the areas' directories */
	int	 tmp_fd;
};

/* What spool_add did. */
enum spool_add {
	SPOOL_ADDED,		/* a new pending job */
	SPOOL_DUPLICATE,	/* this uid is pending or failed already */
	SPOOL_ALREADY_DONE,	/* this uid has finished */
	SPOOL_EIO		/* not stored (full disk, permissions) */
};

/* A job being worked on: its lock, until spool_release. */
struct spool_claim {
	int	 fd;
	char	 name[JOB_NAME_LEN];
};

/*
 * Open (creating, mode 0700, what is missing) the spool at dir and check
 * that it can be written. 0, or -1 with the reason in err (no secret).
 */
int		 spool_open(struct spool *s, const char *dir, char *err,
		     size_t errlen);
void		 spool_close(struct spool *s);

/* Keep a new job, durably, unless its uid is known. */
enum spool_add	 spool_add(struct spool *s, const struct job *j);

/*
 * The job names of an area, in no particular order.
 * *names is allocated (free it); the count, or -1.
 */
long		 spool_names(struct spool *s, enum spool_area area,
		     char (**names)[JOB_NAME_LEN]);

/*
 * Lock the pending job name and read it. 1: claimed, *j filled; 0: another
 * process holds it, or it is gone or finished; -1: its file is unreadable
 * and was moved to failed/ as it is (--jobs lists it as unreadable).
 */
int		 spool_claim(struct spool *s, const char *name,
		     struct spool_claim *c, struct job *j);

/* Read a job of any area without locking it (listings). 0, or -1. */
int		 spool_read(struct spool *s, enum spool_area area,
		     const char *name, struct job *j);

/*
 * Replace a claimed pending job's file with j; the claim's lock moves to
 * the new file. 0, or -1.
 */
int		 spool_update(struct spool *s, struct spool_claim *c,
		     const struct job *j);

/*
 * Move a claimed job to failed/ or done/ as j says, then drop the pending
 * file. 0, or -1 (the pending file stays: the job runs again).
 */
int		 spool_finish(struct spool *s, const struct spool_claim *c,
		     enum spool_area to, const struct job *j);

void		 spool_release(struct spool_claim *c);

/*
 * Put a failed job back to pending as j (the caller resets it); a pending
 * copy already there is kept, never replaced. 0, or -1.
 */
int		 spool_requeue(struct spool *s, const char *name,
		     const struct job *j);

/* Remove done/ files older than max_age seconds, and stale tmp/ files. */
void		 spool_prune_done(struct spool *s, long max_age);

#endif
