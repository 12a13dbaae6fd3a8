/* spool.c - the job files; see spool.h for the layout and the rules. */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"

#define SPOOL_TMP_MAX_AGE	3600	/* a write never takes an hour */

static const char *const area_dirs[SPOOL__AREAS] = {
	".",		/* SPOOL_PENDING */
	"failed",	/* SPOOL_FAILED */
	"done",		/* SPOOL_DONE */
};

/* fsync the directory at path: a new entry in it is then on disk. */
static void
sync_dir(const char *path)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
}

/*
 * mkdir -p, each missing level 0700 and its entry fsync()ed into its
 * parent: a spool made just before a power cut is still there after it.
 * 0, or -1 with errno.
 */
static int
make_dirs(const char *dir)
{
	char	 path[4096];
	size_t	 i, len = strlen(dir);
	char	*slash;

	if (len == 0 || len >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) == 0) {
			if ((slash = strrchr(path, '/')) != NULL && slash != path) {
				*slash = '\0';
				sync_dir(path);
				*slash = '/';
			} else
				sync_dir("/");
		} else if (errno != EEXIST)
			return -1;
		path[i] = i < len ? '/' : '\0';
	}
	return 0;
}

static int
open_dir_at(int at, const char *name)
{
	if (mkdirat(at, name, 0700) == 0)
		fsync(at);
	else if (errno != EEXIST)
		return -1;
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/*
 * Write data to a new file in tmp/, flushed to disk; its name in tmp.
 * The name holds the pid, the thread's counter and the clock's
 * nanoseconds: a file left by a process killed mid-write (pruned after an
 * hour) may carry the pid and counter a new process has (a container's
 * pid 1, CGI's many pids), so a taken name is tried again under another.
 */
static int
write_tmp(struct spool *s, const char *data, size_t len, char tmp[64])
{
	static unsigned	 counter;
	static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
	struct timespec	 ts;
	unsigned	 n;
	ssize_t		 w;
	size_t		 done = 0;
	int		 fd = -1, tries;

	for (tries = 0; tries < 8 && fd < 0; tries++) {
		pthread_mutex_lock(&counter_lock);
		n = counter++;
		pthread_mutex_unlock(&counter_lock);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		snprintf(tmp, 64, "%ld.%u.%ld.tmp", (long)getpid(), n,
		    (long)ts.tv_nsec);
		fd = openat(s->tmp_fd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno != EEXIST)
			return -1;
	}
	if (fd < 0)
		return -1;
	while (done < len) {
		if ((w = write(fd, data + done, len - done)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		done += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(s->tmp_fd, tmp, 0);
	return -1;
}

/* The job's text in a tmp/ file. 0, or -1. */
static int
write_job_tmp(struct spool *s, const struct job *j, char tmp[64])
{
	struct buf	 text;
	int		 rc = -1;

	buf_init(&text, JOB_MAX_BYTES);
	if (job_to_json(j, &text) == 0)
		rc = write_tmp(s, text.data, text.len, tmp);
	buf_free(&text);
	return rc;
}

int
spool_open(struct spool *s, const char *dir, char *err, size_t errlen)
{
	char	 tmp[64];
	int	 top, i;

	for (i = 0; i < SPOOL__AREAS; i++)
		s->fd[i] = -1;
	s->tmp_fd = -1;
	if (make_dirs(dir) < 0 || (top = open(dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	s->fd[SPOOL_PENDING] = top;
	for (i = 1; i < SPOOL__AREAS; i++)
		if ((s->fd[i] = open_dir_at(top, area_dirs[i])) < 0)
			goto fail;
	if ((s->tmp_fd = open_dir_at(top, "tmp")) < 0)
		goto fail;
	/* Writable, for this user, now: write a file the way jobs are. */
	if (write_tmp(s, "probe\n", 6, tmp) < 0)
		goto fail;
	unlinkat(s->tmp_fd, tmp, 0);
	return 0;
fail:
	snprintf(err, errlen, "%s: cannot write its subdirectories: %s", dir,
	    strerror(errno));
	spool_close(s);
	return -1;
}

void
spool_close(struct spool *s)
{
	int i;

	for (i = 0; i < SPOOL__AREAS; i++)
		if (s->fd[i] >= 0)
			close(s->fd[i]);
	if (s->tmp_fd >= 0)
		close(s->tmp_fd);
	for (i = 0; i < SPOOL__AREAS; i++)
		s->fd[i] = -1;
	s->tmp_fd = -1;
}

static int
exists_in(struct spool *s, enum spool_area a, const char *name)
{
	struct stat st;

	return fstatat(s->fd[a], name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

enum spool_add
spool_add(struct spool *s, const struct job *j)
{
	char	 name[JOB_NAME_LEN], tmp[64];
	int	 rc;

	job_file_name(j->uid, name);
	/*
	 * Known: answered only once the copy found is on disk (its writer
	 * may be between link and fsync), so the sender may forget it.
	 */
	if (exists_in(s, SPOOL_DONE, name))
		return fsync(s->fd[SPOOL_DONE]) < 0 ? SPOOL_EIO :
		    SPOOL_ALREADY_DONE;
	if (exists_in(s, SPOOL_FAILED, name))
		return fsync(s->fd[SPOOL_FAILED]) < 0 ? SPOOL_EIO :
		    SPOOL_DUPLICATE;
	if (exists_in(s, SPOOL_PENDING, name))
		return fsync(s->fd[SPOOL_PENDING]) < 0 ? SPOOL_EIO :
		    SPOOL_DUPLICATE;
	if (write_job_tmp(s, j, tmp) < 0)
		return SPOOL_EIO;
	/* link(2) never replaces: of two deliveries at once, one job. */
	rc = linkat(s->tmp_fd, tmp, s->fd[SPOOL_PENDING], name, 0);
	if (rc < 0 && errno == EEXIST) {
		unlinkat(s->tmp_fd, tmp, 0);
		return fsync(s->fd[SPOOL_PENDING]) < 0 ? SPOOL_EIO :
		    SPOOL_DUPLICATE;
	}
	unlinkat(s->tmp_fd, tmp, 0);
	if (rc < 0 || fsync(s->fd[SPOOL_PENDING]) < 0)
		return SPOOL_EIO;
	return SPOOL_ADDED;
}

static int
is_job_name(const char *n)
{
	size_t i;

	if (strlen(n) != JOB_NAME_LEN - 1 || strcmp(n + 32, ".job") != 0)
		return 0;
	for (i = 0; i < 32; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return 0;
	return 1;
}

long
spool_names(struct spool *s, enum spool_area area, char (**names)[JOB_NAME_LEN])
{
	DIR		*d;
	struct dirent	*e;
	char		(*v)[JOB_NAME_LEN] = NULL, (*nv)[JOB_NAME_LEN];
	size_t		 n = 0, cap = 0;
	int		 fd;

	*names = NULL;
	if ((fd = openat(s->fd[area], ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (!is_job_name(e->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				free(v);
				closedir(d);
				return -1;
			}
			v = nv;
		}
		memcpy(v[n++], e->d_name, JOB_NAME_LEN);
	}
	closedir(d);
	*names = v;
	return (long)n;
}

/* Read a job file's text (at most JOB_MAX_BYTES) and parse it. */
static int
read_job_fd(int fd, struct job *j)
{
	char	 text[JOB_MAX_BYTES + 1];
	size_t	 n = 0;
	ssize_t	 r;

	while (n < sizeof(text) && (r = pread(fd, text + n, sizeof(text) - n,
	    (off_t)n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		n += (size_t)r;
	}
	if (n > JOB_MAX_BYTES)
		return -1;
	return job_from_json(text, n, j);
}

int
spool_read(struct spool *s, enum spool_area area, const char *name,
    struct job *j)
{
	int fd, rc;

	if ((fd = openat(s->fd[area], name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK)) < 0)
		return -1;
	rc = read_job_fd(fd, j);
	close(fd);
	return rc;
}

int
spool_claim(struct spool *s, const char *name, struct spool_claim *c,
    struct job *j)
{
	struct stat	 held, now;
	int		 fd;

	c->fd = -1;
	memcpy(c->name, name, JOB_NAME_LEN);
	if ((fd = openat(s->fd[SPOOL_PENDING], name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK)) < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		goto busy;
	/* Replaced or finished while we waited for the lock: not ours. */
	if (fstat(fd, &held) < 0 || !S_ISREG(held.st_mode) ||
	    fstatat(s->fd[SPOOL_PENDING], name, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
	    held.st_ino != now.st_ino || held.st_dev != now.st_dev)
		goto busy;
	/* Finished by a process that died before removing it. */
	if (exists_in(s, SPOOL_DONE, name)) {
		unlinkat(s->fd[SPOOL_PENDING], name, 0);
		fsync(s->fd[SPOOL_PENDING]);
		goto busy;
	}
	if (read_job_fd(fd, j) < 0) {
		log_warnx("workflow: job file %s is unreadable; moved to failed/",
		    name);
		renameat(s->fd[SPOOL_PENDING], name, s->fd[SPOOL_FAILED], name);
		fsync(s->fd[SPOOL_FAILED]);
		fsync(s->fd[SPOOL_PENDING]);
		close(fd);
		return -1;
	}
	c->fd = fd;
	return 1;
busy:
	close(fd);
	return 0;
}

/*
 * Put j's file at dir/name, replacing what is there, durably. With lock,
 * the new file is locked before it takes the name, and *lock is its
 * descriptor: the claim moves to it, so no other process can take the
 * job between the rename and its release. 0, or -1.
 */
static int
replace_job(struct spool *s, const struct job *j, int dir, const char *name,
    int *lock)
{
	char	 tmp[64];
	int	 fd = -1;

	if (write_job_tmp(s, j, tmp) < 0)
		return -1;
	if (lock != NULL && ((fd = openat(s->tmp_fd, tmp, O_RDONLY |
	    O_CLOEXEC | O_NOFOLLOW)) < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0))
		goto fail;
	if (renameat(s->tmp_fd, tmp, dir, name) < 0)
		goto fail;
	if (lock != NULL) {
		close(*lock);		/* the old file's lock: it is gone */
		*lock = fd;
	}
	return fsync(dir);
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(s->tmp_fd, tmp, 0);
	return -1;
}

int
spool_update(struct spool *s, struct spool_claim *c, const struct job *j)
{
	return replace_job(s, j, s->fd[SPOOL_PENDING], c->name, &c->fd);
}

int
spool_finish(struct spool *s, const struct spool_claim *c,
    enum spool_area to, const struct job *j)
{
	if (replace_job(s, j, s->fd[to], c->name, NULL) < 0)
		return -1;
	/* Dying here leaves both: spool_claim drops the pending copy. */
	if (unlinkat(s->fd[SPOOL_PENDING], c->name, 0) < 0)
		return -1;
	return fsync(s->fd[SPOOL_PENDING]);
}

void
spool_release(struct spool_claim *c)
{
	if (c->fd >= 0)
		close(c->fd);		/* drops the flock */
	c->fd = -1;
}

int
spool_requeue(struct spool *s, const char *name, const struct job *j)
{
	char	 tmp[64];
	int	 rc;

	if (!exists_in(s, SPOOL_FAILED, name))
		return -1;
	if (write_job_tmp(s, j, tmp) < 0)
		return -1;
	/*
	 * link(2), not rename: a pending copy that is there (left by a crash
	 * in spool_finish, or by a second --retry-failed) may be claimed and
	 * running; it is the job, and replacing it would let two processes
	 * run it. Dying between the link and the unlink leaves both copies:
	 * the pending one runs, and finishing replaces the failed one.
	 */
	rc = linkat(s->tmp_fd, tmp, s->fd[SPOOL_PENDING], name, 0);
	unlinkat(s->tmp_fd, tmp, 0);
	if ((rc < 0 && errno != EEXIST) || fsync(s->fd[SPOOL_PENDING]) < 0 ||
	    unlinkat(s->fd[SPOOL_FAILED], name, 0) < 0)
		return -1;
	return fsync(s->fd[SPOOL_FAILED]);
}

/* Files a process left in tmp/ when it died mid-write. */
static void
prune_tmp(struct spool *s, time_t cutoff)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	int		 fd;

	if ((fd = openat(s->tmp_fd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && fstatat(s->tmp_fd, e->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    st.st_mtime < cutoff)
			unlinkat(s->tmp_fd, e->d_name, 0);
	closedir(d);
}

void
spool_prune_done(struct spool *s, long max_age)
{
	char		(*names)[JOB_NAME_LEN];
	struct stat	 st;
	time_t		 cutoff = time(NULL) - max_age;
	long		 i, n;

	if ((n = spool_names(s, SPOOL_DONE, &names)) < 0)
		return;
	for (i = 0; i < n; i++)
		if (fstatat(s->fd[SPOOL_DONE], names[i], &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && st.st_mtime < cutoff)
			unlinkat(s->fd[SPOOL_DONE], names[i], 0);
	free(names);
	prune_tmp(s, time(NULL) - SPOOL_TMP_MAX_AGE);
}
