/*
 * test_spool.c - the job spool in a private temporary directory: its
 * layout, adding a job once per uid, the per-job lock (flock, per open
 * file description), update, finish, requeue, files that are not jobs;
 * and a job's JSON text both ways.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <openssl/sha.h>

#include "buf.h"
#include "job.h"
#include "spool.h"
#include "test_support.h"

static char	 tmpdir[64];		/* this test's directory */
static char	 spooldir[128];		/* tmpdir/spool */

/* printf %s bk-1 | sha256sum, its first 128 bits, as a job file name. */
#define KNOWN_BK1	"40d9b17c32010d1ac6aa6abbf9667b4f.job"

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	chmod(path, 0700);	/* a test may have taken the write bit away */
	return remove(path) < 0 ? -1 : 0;
}

static void
chmod_tree(const char *dir)
{
	char path[256];

	chmod(dir, 0700);
	snprintf(path, sizeof(path), "%s/spool", dir);
	chmod(path, 0700);
	snprintf(path, sizeof(path), "%s/spool/tmp", dir);
	chmod(path, 0700);
}

static int
setup(void **state)
{
	(void)state;
	if (tmpdir_make(tmpdir, sizeof(tmpdir), "spool") < 0)
		return -1;
	snprintf(spooldir, sizeof(spooldir), "%s/spool", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	chmod_tree(tmpdir);
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* A path under the spool: "<spooldir>/<sub>/<name>" (sub may be "."). */
static const char *
spath(const char *sub, const char *name)
{
	static char	path[4][512];
	static int	k;

	k = (k + 1) % 4;
	if (name == NULL)
		snprintf(path[k], sizeof(path[k]), "%s/%s", spooldir, sub);
	else
		snprintf(path[k], sizeof(path[k]), "%s/%s/%s", spooldir, sub,
		    name);
	return path[k];
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void
write_file(const char *path, const char *text, size_t len)
{
	int fd;

	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* The file's text (NUL-terminated, malloc'ed), or NULL. */
static char *
read_file(const char *path, size_t *len)
{
	FILE	*f;
	char	*t;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	assert_non_null(t = malloc((size_t)n + 1));
	assert_int_equal(fread(t, 1, (size_t)n, f), (size_t)n);
	t[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return t;
}

/* How many entries a directory holds, "." and ".." aside. */
static int
count_entries(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
make_job(struct job *j, const char *uid)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->uid, sizeof(j->uid), "%s", uid);
	j->received = 1795172460;
	j->start = 1795168800;
	j->end = 1795172400;
	j->deadline = 1795172400 + 21600;
	j->next = 1795172460;
	j->attempts = 0;
}

static void
open_spool(struct spool *s)
{
	char err[512] = "";

	if (spool_open(s, spooldir, err, sizeof(err)) < 0)
		fail_msg("spool_open: %s", err);
}

static void
assert_jobs_equal(const struct job *a, const struct job *b)
{
	assert_string_equal(a->uid, b->uid);
	assert_int_equal(a->received, b->received);
	assert_int_equal(a->start, b->start);
	assert_int_equal(a->end, b->end);
	assert_int_equal(a->deadline, b->deadline);
	assert_int_equal(a->coach.given, b->coach.given);
	assert_string_equal(a->coach.email, b->coach.email);
	assert_string_equal(a->coach.name, b->coach.name);
	assert_int_equal(a->client.given, b->client.given);
	assert_string_equal(a->client.email, b->client.email);
	assert_string_equal(a->client.name, b->client.name);
	assert_int_equal(a->attempts, b->attempts);
	assert_int_equal(a->next, b->next);
	assert_string_equal(a->last_error, b->last_error);
	assert_string_equal(a->writing, b->writing);
	assert_string_equal(a->outcome, b->outcome);
}

/* ---- opening ---------------------------------------------------------- */

static void
test_open_creates_layout(void **state)
{
	static const char *const subs[] = { ".", "tmp", "failed", "done" };
	struct spool	 s;
	struct stat	 st;
	char		 err[512];
	size_t		 i;

	(void)state;
	/* Two missing levels. */
	snprintf(spooldir, sizeof(spooldir), "%s/var/spool", tmpdir);
	assert_int_equal(spool_open(&s, spooldir, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		assert_int_equal(stat(spath(subs[i], NULL), &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		if ((st.st_mode & 0777) != 0700)
			fail_msg("%s: mode %o, want 0700", subs[i],
			    (unsigned)(st.st_mode & 0777));
	}
	assert_true(s.fd[SPOOL_PENDING] >= 0);
	assert_true(s.fd[SPOOL_FAILED] >= 0);
	assert_true(s.fd[SPOOL_DONE] >= 0);
	assert_true(s.tmp_fd >= 0);
	/* The write probe leaves nothing behind. */
	assert_int_equal(count_entries(spath("tmp", NULL)), 0);
	assert_int_equal(count_entries(spooldir), 3);
	spool_close(&s);
	assert_int_equal(s.fd[SPOOL_PENDING], -1);
	assert_int_equal(s.tmp_fd, -1);
	spool_close(&s);		/* twice: harmless */

	/* An existing spool opens again, a trailing '/' too. */
	assert_int_equal(spool_open(&s, spooldir, err, sizeof(err)), 0);
	spool_close(&s);
	strcat(spooldir, "/");
	assert_int_equal(spool_open(&s, spooldir, err, sizeof(err)), 0);
	spool_close(&s);
}

static void
test_open_under_regular_file(void **state)
{
	struct spool	 s;
	char		 file[256], err[512] = "";

	(void)state;
	snprintf(file, sizeof(file), "%s/file", tmpdir);
	write_file(file, "x", 1);
	snprintf(spooldir, sizeof(spooldir), "%s/file/spool", tmpdir);
	assert_int_equal(spool_open(&s, spooldir, err, sizeof(err)), -1);
	if (strstr(err, spooldir) == NULL || strstr(err, strerror(ENOTDIR)) == NULL)
		fail_msg("message \"%s\" does not name the path and the error",
		    err);
	assert_int_equal(s.fd[SPOOL_PENDING], -1);
	assert_int_equal(s.fd[SPOOL_DONE], -1);
	assert_int_equal(s.tmp_fd, -1);
	spool_close(&s);		/* safe after a failed open */

	/* The spool directory itself a file. */
	assert_int_equal(spool_open(&s, file, err, sizeof(err)), -1);
	assert_non_null(strstr(err, file));

	/* No path at all. */
	err[0] = '\0';
	assert_int_equal(spool_open(&s, "", err, sizeof(err)), -1);
	assert_true(err[0] != '\0');

	/* A short buffer for the message is respected. */
	assert_int_equal(spool_open(&s, spooldir, err, 8), -1);
	assert_true(strlen(err) < 8);
}

static void
test_open_unwritable(void **state)
{
	struct spool	 s;
	char		 err[512] = "";

	(void)state;
	if (geteuid() == 0)
		skip();		/* root writes anywhere */
	open_spool(&s);
	spool_close(&s);
	assert_int_equal(chmod(spath("tmp", NULL), 0500), 0);
	assert_int_equal(spool_open(&s, spooldir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, spooldir));
	assert_non_null(strstr(err, strerror(EACCES)));
	assert_int_equal(chmod(spath("tmp", NULL), 0700), 0);
	/* A spool whose parts are missing and cannot be made. */
	assert_int_equal(rmdir(spath("done", NULL)), 0);
	assert_int_equal(chmod(spooldir, 0500), 0);
	assert_int_equal(spool_open(&s, spooldir, err, sizeof(err)), -1);
	assert_int_equal(chmod(spooldir, 0700), 0);
}

/* ---- file names -------------------------------------------------------- */

static void
test_job_file_name(void **state)
{
	static const char *const uids[] = { "bk-1", "x",
	    "3JmsLZFu4nUmYFbaTTCx1N", "caf\xc3\xa9", "../../etc/passwd" };
	unsigned char	md[SHA256_DIGEST_LENGTH];
	char		name[JOB_NAME_LEN], want[JOB_NAME_LEN];
	size_t		i, k;

	(void)state;
	for (i = 0; i < sizeof(uids) / sizeof(uids[0]); i++) {
		SHA256((const unsigned char *)uids[i], strlen(uids[i]), md);
		for (k = 0; k < 16; k++)
			snprintf(want + 2 * k, 3, "%02x", md[k]);
		strcpy(want + 32, ".job");
		memset(name, 'Z', sizeof(name));
		job_file_name(uids[i], name);
		assert_string_equal(name, want);
		assert_int_equal(strlen(name), JOB_NAME_LEN - 1);
	}
	/* printf %s bk-1 | sha256sum: the first 32 digits. */
	job_file_name("bk-1", name);
	assert_string_equal(name, KNOWN_BK1);
	job_file_name("bk-2", want);
	assert_string_not_equal(name, want);
}

/* ---- adding ----------------------------------------------------------- */

static void
test_add_new(void **state)
{
	struct spool	 s;
	struct job	 j, got;
	struct stat	 st;
	char		 name[JOB_NAME_LEN], *text;
	size_t		 len;

	(void)state;
	open_spool(&s);
	make_job(&j, "bk-new");
	assert_int_equal(spool_add(&s, &j), SPOOL_ADDED);
	job_file_name(j.uid, name);
	/* A regular file of its own, readable by this user only. */
	assert_int_equal(lstat(spath(".", name), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_nlink, 1);	/* the tmp/ link is gone */
	assert_int_equal(count_entries(spath("tmp", NULL)), 0);
	assert_false(exists(spath("failed", name)));
	assert_false(exists(spath("done", name)));
	/* Its text is the job. */
	assert_non_null(text = read_file(spath(".", name), &len));
	assert_true(len > 0 && len <= JOB_MAX_BYTES);
	assert_int_equal(text[len - 1], '\n');
	assert_int_equal(job_from_json(text, len, &got), 0);
	assert_jobs_equal(&got, &j);
	free(text);
	assert_int_equal(spool_read(&s, SPOOL_PENDING, name, &got), 0);
	assert_jobs_equal(&got, &j);
	assert_int_equal(spool_read(&s, SPOOL_DONE, name, &got), -1);
	spool_close(&s);
}

static void
test_add_duplicate(void **state)
{
	struct spool		 s;
	struct spool_claim	 c;
	struct job		 j, again, got;
	char			 name[JOB_NAME_LEN];

	(void)state;
	open_spool(&s);
	make_job(&j, "bk-dup");
	job_file_name(j.uid, name);
	assert_int_equal(spool_add(&s, &j), SPOOL_ADDED);
	/* A second delivery of the uid, received later: no second job. */
	again = j;
	again.received += 3600;
	again.next += 3600;
	assert_int_equal(spool_add(&s, &again), SPOOL_DUPLICATE);
	assert_int_equal(spool_read(&s, SPOOL_PENDING, name, &got), 0);
	assert_jobs_equal(&got, &j);		/* the first one stays */
	assert_int_equal(count_entries(spooldir), 4);	/* 3 dirs, 1 job */
	assert_int_equal(count_entries(spath("tmp", NULL)), 0);

	/* Failed: still a duplicate (a person retries it, not Cal.com). */
	assert_int_equal(spool_claim(&s, name, &c, &got), 1);
	snprintf(got.outcome, sizeof(got.outcome), "no Notion page");
	assert_int_equal(spool_finish(&s, &c, SPOOL_FAILED, &got), 0);
	spool_release(&c);
	assert_int_equal(spool_add(&s, &again), SPOOL_DUPLICATE);
	assert_false(exists(spath(".", name)));

	/* Done: said so, and not run again. */
	make_job(&j, "bk-done");
	job_file_name(j.uid, name);
	assert_int_equal(spool_add(&s, &j), SPOOL_ADDED);
	assert_int_equal(spool_claim(&s, name, &c, &got), 1);
	assert_int_equal(spool_finish(&s, &c, SPOOL_DONE, &got), 0);
	spool_release(&c);
	assert_int_equal(spool_add(&s, &j), SPOOL_ALREADY_DONE);
	assert_false(exists(spath(".", name)));
	assert_int_equal(count_entries(spath("tmp", NULL)), 0);
	spool_close(&s);
}

static void
test_add_two_spools(void **state)
{
	struct spool	 a, b;
	struct job	 j;

	(void)state;
	/* Two processes' spools on one directory: one job per uid. */
	open_spool(&a);
	open_spool(&b);
	make_job(&j, "bk-two");
	assert_int_equal(spool_add(&a, &j), SPOOL_ADDED);
	assert_int_equal(spool_add(&b, &j), SPOOL_DUPLICATE);
	spool_close(&a);
	spool_close(&b);
}

static void
test_add_unwritable(void **state)
{
	struct spool	 s;
	struct job	 j;

	(void)state;
	if (geteuid() == 0)
		skip();
	open_spool(&s);
	assert_int_equal(chmod(spath("tmp", NULL), 0500), 0);
	make_job(&j, "bk-eio");
	assert_int_equal(spool_add(&s, &j), SPOOL_EIO);
	assert_int_equal(chmod(spath("tmp", NULL), 0700), 0);
	/* Pending directory read-only: the link fails, nothing is left. */
	assert_int_equal(chmod(spooldir, 0500), 0);
	assert_int_equal(spool_add(&s, &j), SPOOL_EIO);
	assert_int_equal(chmod(spooldir, 0700), 0);
	assert_int_equal(count_entries(spath("tmp", NULL)), 0);
	assert_int_equal(spool_add(&s, &j), SPOOL_ADDED);
	spool_close(&s);
}

/* ---- claiming --------------------------------------------------------- */

static void
test_claim_locks(void **state)
{
	struct spool		 s, other;
	struct spool_claim	 c, c2;
	struct job		 j, got;
	char			 name[JOB_NAME_LEN];

	(void)state;
	open_spool(&s);
	open_spool(&other);
	make_job(&j, "bk-lock");
	job_file_name(j.uid, name);
	assert_int_equal(spool_add(&s, &j), SPOOL_ADDED);

	assert_int_equal(spool_claim(&s, name, &c, &got), 1);
	assert_true(c.fd >= 0);
	assert_string_equal(c.name, name);
	assert_jobs_equal(&got, &j);
	/*
	 * flock belongs to an open file description: a second claim opens
	 * the file again, so it is refused even in this process, through
	 * the same spool or another.
	 */
	assert_int_equal(spool_claim(&s, name, &c2, &got), 0);
	assert_int_equal(c2.fd, -1);
	assert_int_equal(spool_claim(&other, name, &c2, &got), 0);
	assert_int_equal(c2.fd, -1);
	spool_release(&c2);		/* nothing to release: harmless */
	/* The file is still pending. */
	assert_true(exists(spath(".", name)));

	/* Released: the next one gets it. */
	spool_release(&c);
	assert_int_equal(c.fd, -1);
	spool_release(&c);
	assert_int_equal(spool_claim(&other, name, &c2, &got), 1);
	assert_int_equal(spool_claim(&s, name, &c, &got), 0);
	spool_release(&c2);
	spool_close(&s);
	spool_close(&other);
}

static void
test_claim_other_process(void **state)
{
	struct spool		 s;
	struct spool_claim	 c;
	struct job		 j, got;
	char			 name[JOB_NAME_LEN];
	pid_t			 pid;
	int			 status;

	(void)state;
	open_spool(&s);
	make_job(&j, "bk-fork");
	job_file_name(j.uid, name);
	assert_int_equal(spool_add(&s, &j), SPOOL_ADDED);
	assert_int_equal(spool_claim(&s, name, &c, &got), 1);
	fflush(NULL);
	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		struct spool		 cs;
		struct spool_claim	 cc;
		struct job		 cj;
		char			 err[512];
		int			 rc;

		/* The child's own spool; the parent's fd is inherited, not
		 * shared as a lock for a new open. */
		if (spool_open(&cs, spooldir, err, sizeof(err)) < 0)
			_exit(10);
		rc = spool_claim(&cs, name, &cc, &cj);
		spool_release(&cc);
		spool_close(&cs);
		_exit(rc == 0 ? 0 : 20 + rc);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* The holder dies: the kernel drops its lock, the job runs again. */
	spool_release(&c);
	fflush(NULL);
	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		struct spool		 cs;
		struct spool_claim	 cc;
		struct job		 cj;
		char			 err[512];

		if (spool_open(&cs, spooldir, err, sizeof(err)) < 0 ||
		    spool_claim(&cs, name, &cc, &cj) != 1)
			_exit(10);
		_exit(0);		/* no release: dies holding it */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(spool_claim(&s, name, &c, &got), 1);
	assert_jobs_equal(&got, &j);
	spool_release(&c);
	spool_close(&s);
}

static void
test_claim_missing(void **state)
{
	struct spool		 s;
	struct spool_claim	 c;
	struct job		 got;

	(void)state;
	open_spool(&s);
	c.fd = 12345;
	assert_int_equal(spool_claim(&s, "0123456789abcdef0123456789abcdef.job",
	    &c, &got), 0);
	assert_int_equal(c.fd, -1);
	spool_close(&s);
}

static void
test_claim_not_a_file(void **state)
{
	struct spool		 s;
	struct spool_claim	 c;
	struct job		 j, got;
	char			 name[JOB_NAME_LEN], target[256];

	(void)state;
	open_spool(&s);
	/* A symbolic link with a job's name is not followed. */
	make_job(&j, "bk-link");
	job_file_name(j.uid, name);
	snprintf(target, sizeof(target), "%s/elsewhere.job", tmpdir);
	{
		struct buf b;

		buf_init(&b, JOB_MAX_BYTES);
		assert_int_equal(job_to_json(&j, &b), 0);
		write_file(target, b.data, b.len);
		buf_free(&b);
	}
	assert_int_equal(symlink(target, spath(".", name)), 0);
	assert_int_equal(spool_claim(&s, name, &c, &got), 0);
	assert_int_equal(c.fd, -1);
	assert_true(exists(target));
	/* A directory with a job's name. */
	job_file_name("bk-dir", name);
	assert_int_equal(mkdir(spath(".", name), 0700), 0);
	assert_int_equal(spool_claim(&s, name, &c, &got), 0);
	assert_int_equal(c.fd, -1);
	spool_close(&s);
}

static void
test_update_keeps_pending(void **state)
{
	struct spool		 s;
	struct spool_claim	 c, c2;
	struct job		 j, got, other;
	char			 name[JOB_NAME_LEN];

	(void)state;
	open_spool(&s);
	make_job(&j, "bk-update");
	job_file_name(j.uid, name);
	assert_int_equal(spool_add(&s, &j), SPOOL_ADDED);
	assert_int_equal(spool_claim(&s, name, &c, &got), 1);
	got.attempts = 3;
	got.next = j.next + 480;
	snprintf(got.last_error, sizeof(got.last_error),
	    "Zoom has no meeting 85746065432 yet");
	snprintf(got.writing, sizeof(got.writing), "Completed");
	assert_int_equal(spool_update(&s, &c, &got), 0);
	/* Still pending, now with the new state, and nowhere else. */
	assert_true(exists(spath(".", name)));
	assert_false(exists(spath("done", name)));
	assert_false(exists(spath("failed", name)));
	assert_int_equal(count_entries(spath("tmp", NULL)), 0);
	assert_int_equal(spool_read(&s, SPOOL_PENDING, name, &j), 0);
	assert_jobs_equal(&j, &got);
	/* Updated twice: the last one wins. */
	got.attempts = 4;
	assert_int_equal(spool_update(&s, &c, &got), 0);
	assert_int_equal(spool_read(&s, SPOOL_PENDING, name, &j), 0);
	assert_int_equal(j.attempts, 4);
	/* The lock moved to the new file: nobody else can take the job. */
	assert_int_equal(spool_claim(&s, name, &c2, &other), 0);
	spool_release(&c);
	/* The next claim reads the updated job. */
	assert_int_equal(spool_claim(&s, name, &c, &j), 1);
	assert_jobs_equal(&j, &got);
	spool_release(&c);
	spool_close(&s);
}

static void
test_finish(void **state)
{
	static const enum spool_area areas[] = { SPOOL_DONE, SPOOL_FAILED };
	static const char *const dirs[] = { "done", "failed" };
	static const char *const other[] = { "failed", "done" };
	struct spool		 s;
	struct spool_claim	 c;
	struct job		 j, got;
	char			 name[JOB_NAME_LEN], uid[32];
	size_t			 i;

	(void)state;
	open_spool(&s);
	for (i = 0; i < 2; i++) {
		snprintf(uid, sizeof(uid), "bk-finish-%zu", i);
		make_job(&j, uid);
		job_file_name(j.uid, name);
		assert_int_equal(spool_add(&s, &j), SPOOL_ADDED);
		assert_int_equal(spool_claim(&s, name, &c, &got), 1);
		got.attempts = 2;
		got.next = -1;
		snprintf(got.outcome, sizeof(got.outcome), "written: No Show");
		assert_int_equal(spool_finish(&s, &c, areas[i], &got), 0);
		spool_release(&c);
		assert_false(exists(spath(".", name)));
		assert_true(exists(spath(dirs[i], name)));
		assert_false(exists(spath(other[i], name)));
		assert_int_equal(spool_read(&s, areas[i], name, &j), 0);
		assert_jobs_equal(&j, &got);
		assert_int_equal(j.next, -1);
		/* Gone from pending: no claim. */
		assert_int_equal(spool_claim(&s, name, &c, &j), 0);
	}
	assert_int_equal(count_entries(spath("tmp", NULL)), 0);
	spool_close(&s);
}

static void
test_requeue(void **state)
{
	struct spool		 s;
	struct spool_claim	 c;
	struct job		 j, got;
	char			 name[JOB_NAME_LEN];

	(void)state;
	open_spool(&s);
	make_job(&j, "bk-requeue");
	job_file_name(j.uid, name);
	assert_int_equal(spool_add(&s, &j), SPOOL_ADDED);
	assert_int_equal(spool_claim(&s, name, &c, &got), 1);
	got.attempts = 9;
	got.next = -1;
	snprintf(got.outcome, sizeof(got.outcome), "Notion 401 unauthorized");
	snprintf(got.last_error, sizeof(got.last_error), "Notion 401");
	assert_int_equal(spool_finish(&s, &c, SPOOL_FAILED, &got), 0);
	spool_release(&c);

	/* A person fixed the token: back to pending, due now. */
	assert_int_equal(spool_read(&s, SPOOL_FAILED, name, &got), 0);
	got.next = 1795200000;
	got.deadline = 1795200000 + 21600;
	got.outcome[0] = '\0';
	assert_int_equal(spool_requeue(&s, name, &got), 0);
	assert_false(exists(spath("failed", name)));
	assert_true(exists(spath(".", name)));
	assert_int_equal(count_entries(spath("tmp", NULL)), 0);
	assert_int_equal(spool_claim(&s, name, &c, &j), 1);
	assert_jobs_equal(&j, &got);
	assert_int_equal(j.attempts, 9);
	spool_release(&c);
	/* Pending again: a replay is a duplicate, not done. */
	assert_int_equal(spool_add(&s, &j), SPOOL_DUPLICATE);

	/* Nothing failed by that name: an error, no file left in tmp/. */
	make_job(&j, "bk-never-failed");
	job_file_name(j.uid, name);
	assert_int_equal(spool_requeue(&s, name, &j), -1);
	assert_int_equal(count_entries(spath("tmp", NULL)), 0);
	spool_close(&s);
}

/* ---- files that are not jobs ------------------------------------------ */

static void
corrupt_case(struct spool *s, const char *uid, const char *text, size_t len)
{
	struct spool_claim	 c;
	struct job		 got;
	char			 name[JOB_NAME_LEN], *moved;
	size_t			 mlen;

	job_file_name(uid, name);
	write_file(spath(".", name), text, len);
	if (spool_claim(s, name, &c, &got) != -1)
		fail_msg("%s: claim of a corrupt file did not return -1", uid);
	assert_int_equal(c.fd, -1);
	assert_false(exists(spath(".", name)));
	/* Moved aside as it was, for a person to look at. */
	assert_non_null(moved = read_file(spath("failed", name), &mlen));
	assert_int_equal(mlen, len);
	assert_memory_equal(moved, text, len);
	free(moved);
	/* Gone from pending: a second claim finds nothing. */
	assert_int_equal(spool_claim(s, name, &c, &got), 0);
}

static void
test_claim_corrupt(void **state)
{
	struct spool	 s;
	struct job	 j;
	struct buf	 b;
	char		*big;
	char		 text[JOB_MAX_BYTES];

	(void)state;
	open_spool(&s);
	corrupt_case(&s, "c-garbage", "garbage\n", 8);
	corrupt_case(&s, "c-empty", "", 0);
	corrupt_case(&s, "c-array", "[1,2]\n", 6);
	corrupt_case(&s, "c-half", "{\"v\":1,\"uid\":\"c-half\",\"rec", 25);
	{
		static const char v2[] = "{\"v\":2,\"uid\":\"c-version\","
		    "\"received\":1,\"start\":null,\"end\":null,\"deadline\":2,"
		    "\"attempts\":0,\"next\":1,\"last_error\":\"\",\"writing\":\"\","
		    "\"outcome\":\"\"}\n";

		/* A later format: not guessed at, moved aside. */
		corrupt_case(&s, "c-version", v2, sizeof(v2) - 1);
	}

	/* A real job's text, but larger than a job file may be. */
	make_job(&j, "c-big");
	buf_init(&b, JOB_MAX_BYTES);
	assert_int_equal(job_to_json(&j, &b), 0);
	assert_non_null(big = malloc(JOB_MAX_BYTES + 100));
	memcpy(big, b.data, b.len);
	memset(big + b.len, ' ', JOB_MAX_BYTES + 100 - b.len);
	corrupt_case(&s, "c-big", big, JOB_MAX_BYTES + 100);
	/* At the cap exactly (blanks after the JSON): still a job. */
	{
		struct spool_claim	 c;
		struct job		 got;
		char			 name[JOB_NAME_LEN];

		make_job(&j, "c-cap");
		b.len = 0;
		assert_int_equal(job_to_json(&j, &b), 0);
		memcpy(text, b.data, b.len);
		memset(text + b.len, ' ', JOB_MAX_BYTES - b.len);
		job_file_name(j.uid, name);
		write_file(spath(".", name), text, JOB_MAX_BYTES);
		assert_int_equal(spool_claim(&s, name, &c, &got), 1);
		assert_jobs_equal(&got, &j);
		spool_release(&c);
	}
	buf_free(&b);
	free(big);
	spool_close(&s);
}

static void
test_claim_done_twin(void **state)
{
	struct spool		 s;
	struct spool_claim	 c;
	struct job		 j, got;
	struct buf		 b;
	char			 name[JOB_NAME_LEN];

	(void)state;
	open_spool(&s);
	make_job(&j, "bk-twin");
	job_file_name(j.uid, name);
	assert_int_equal(spool_add(&s, &j), SPOOL_ADDED);
	/*
	 * A process died between writing done/ and removing the pending
	 * file: both are there. The claim drops the pending one.
	 */
	snprintf(j.outcome, sizeof(j.outcome), "written: Completed");
	buf_init(&b, JOB_MAX_BYTES);
	assert_int_equal(job_to_json(&j, &b), 0);
	write_file(spath("done", name), b.data, b.len);
	buf_free(&b);
	assert_int_equal(spool_claim(&s, name, &c, &got), 0);
	assert_int_equal(c.fd, -1);
	assert_false(exists(spath(".", name)));
	assert_int_equal(spool_read(&s, SPOOL_DONE, name, &got), 0);
	assert_string_equal(got.outcome, "written: Completed");
	assert_int_equal(spool_add(&s, &j), SPOOL_ALREADY_DONE);
	spool_close(&s);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
test_names(void **state)
{
	struct spool	 s;
	struct job	 j;
	char		(*names)[JOB_NAME_LEN], want[5][JOB_NAME_LEN], uid[32];
	long		 n, i;

	(void)state;
	open_spool(&s);
	assert_int_equal(spool_names(&s, SPOOL_PENDING, &names), 0);
	free(names);
	for (i = 0; i < 5; i++) {
		snprintf(uid, sizeof(uid), "bk-names-%ld", i);
		make_job(&j, uid);
		job_file_name(uid, want[i]);
		assert_int_equal(spool_add(&s, &j), SPOOL_ADDED);
	}
	/* What is not a job's name is not listed. */
	write_file(spath(".", "README"), "x", 1);
	write_file(spath(".", "0123456789abcdef0123456789abcdef.tmp"), "x", 1);
	write_file(spath(".", "0123456789ABCDEF0123456789ABCDEF.job"), "x", 1);
	write_file(spath(".", "0123456789abcdef0123456789abcde.job"), "x", 1);
	write_file(spath(".", "0123456789abcdef0123456789abcdef0.job"), "x", 1);
	write_file(spath(".", "0123456789abcdeg0123456789abcdef.job"), "x", 1);
	write_file(spath(".", ".0123456789abcdef0123456789abcde.job"), "x", 1);
	write_file(spath(".", "0123456789abcdef0123456789abcdef.job~"), "x", 1);
	write_file(spath("tmp", "0123456789abcdef0123456789abcdef.job"), "x", 1);

	assert_int_equal(n = spool_names(&s, SPOOL_PENDING, &names), 5);
	qsort(want, 5, sizeof(want[0]), cmp_names);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_names);
	for (i = 0; i < n; i++)
		assert_string_equal(names[i], want[i]);
	free(names);
	assert_int_equal(spool_names(&s, SPOOL_FAILED, &names), 0);
	free(names);
	assert_int_equal(spool_names(&s, SPOOL_DONE, &names), 0);
	free(names);
	unlink(spath("tmp", "0123456789abcdef0123456789abcdef.job"));
	spool_close(&s);
}

static void
test_names_many(void **state)
{
	struct spool	 s;
	struct job	 j;
	char		(*names)[JOB_NAME_LEN], uid[32];
	long		 i;

	(void)state;
	/* More than the first allocation holds. */
	open_spool(&s);
	for (i = 0; i < 150; i++) {
		snprintf(uid, sizeof(uid), "bk-many-%ld", i);
		make_job(&j, uid);
		assert_int_equal(spool_add(&s, &j), SPOOL_ADDED);
	}
	assert_int_equal(spool_names(&s, SPOOL_PENDING, &names), 150);
	free(names);
	spool_close(&s);
}

static void
test_prune_done(void **state)
{
	struct spool		 s;
	struct spool_claim	 c;
	struct job		 j, got;
	struct timespec		 old[2];
	char			 a[JOB_NAME_LEN], b[JOB_NAME_LEN];

	(void)state;
	open_spool(&s);
	make_job(&j, "bk-old");
	job_file_name(j.uid, a);
	assert_int_equal(spool_add(&s, &j), SPOOL_ADDED);
	assert_int_equal(spool_claim(&s, a, &c, &got), 1);
	assert_int_equal(spool_finish(&s, &c, SPOOL_DONE, &got), 0);
	spool_release(&c);
	make_job(&j, "bk-recent");
	job_file_name(j.uid, b);
	assert_int_equal(spool_add(&s, &j), SPOOL_ADDED);
	assert_int_equal(spool_claim(&s, b, &c, &got), 1);
	assert_int_equal(spool_finish(&s, &c, SPOOL_DONE, &got), 0);
	spool_release(&c);
	old[0].tv_sec = old[1].tv_sec = time(NULL) - 31L * 86400;
	old[0].tv_nsec = old[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, spath("done", a), old, 0), 0);
	spool_prune_done(&s, 30L * 86400);
	assert_false(exists(spath("done", a)));
	assert_true(exists(spath("done", b)));
	/* Pruned: the uid may come again as a new job. */
	make_job(&j, "bk-old");
	assert_int_equal(spool_add(&s, &j), SPOOL_ADDED);
	spool_close(&s);
}

static void
test_prune_tmp(void **state)
{
	struct spool	 s;
	struct timespec	 old[2];

	(void)state;
	/* What a process left in tmp/ when it died mid-write. */
	open_spool(&s);
	write_file(spath("tmp", "123.0.tmp"), "{\"v\":1", 6);
	write_file(spath("tmp", "123.1.tmp"), "{\"v\":1", 6);
	assert_int_equal(mkdir(spath("tmp", "somedir"), 0700), 0);
	old[0].tv_sec = old[1].tv_sec = time(NULL) - 2 * 3600;
	old[0].tv_nsec = old[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, spath("tmp", "123.0.tmp"), old, 0),
	    0);
	assert_int_equal(utimensat(AT_FDCWD, spath("tmp", "somedir"), old, 0),
	    0);
	spool_prune_done(&s, 30L * 86400);
	/* The old file goes; a write in progress stays; so does a directory. */
	assert_false(exists(spath("tmp", "123.0.tmp")));
	assert_true(exists(spath("tmp", "123.1.tmp")));
	assert_true(exists(spath("tmp", "somedir")));
	rmdir(spath("tmp", "somedir"));
	spool_close(&s);
}

/* ---- a job's JSON -------------------------------------------------------- */

static void
roundtrip(const struct job *j)
{
	struct buf	 b;
	struct job	 got;

	buf_init(&b, JOB_MAX_BYTES);
	assert_int_equal(job_to_json(j, &b), 0);
	assert_true(b.len > 0 && b.data[b.len - 1] == '\n');
	assert_null(memchr(b.data, '\n', b.len - 1));	/* one line */
	assert_int_equal(job_from_json(b.data, b.len, &got), 0);
	assert_jobs_equal(&got, j);
	buf_free(&b);
}

static void
test_json_roundtrip(void **state)
{
	struct job j;

	(void)state;
	make_job(&j, "bk-json");
	roundtrip(&j);
	/* Times unknown: null in the file, -1 again. */
	j.start = j.end = j.next = -1;
	roundtrip(&j);
	j.deadline = -1;
	roundtrip(&j);
	/* The people from the payload. */
	j.coach.given = 1;
	snprintf(j.coach.email, sizeof(j.coach.email), "coach@example.com");
	snprintf(j.coach.name, sizeof(j.coach.name), "Coach \"C\" \xc3\x89");
	roundtrip(&j);
	j.client.given = 1;
	snprintf(j.client.name, sizeof(j.client.name), "Client only a name");
	roundtrip(&j);
	/* Every text at its longest; a uid of 200 bytes. */
	memset(j.uid, 'u', JOB_UID_MAX - 1);
	j.uid[JOB_UID_MAX - 1] = '\0';
	memset(j.last_error, 'e', JOB_TEXT_MAX - 1);
	j.last_error[JOB_TEXT_MAX - 1] = '\0';
	memset(j.outcome, 'o', JOB_TEXT_MAX - 1);
	j.outcome[JOB_TEXT_MAX - 1] = '\0';
	memset(j.writing, 'w', JOB_WORD_MAX - 1);
	j.writing[JOB_WORD_MAX - 1] = '\0';
	memset(j.coach.name, 'n', ATT_TEXT_MAX - 1);
	j.coach.name[ATT_TEXT_MAX - 1] = '\0';
	j.attempts = 1000;
	j.received = 0;
	j.next = INT64_C(99999999999);
	roundtrip(&j);
	/* Text that needs escaping. */
	snprintf(j.last_error, sizeof(j.last_error), "quote \" backslash \\ "
	    "tab \t newline \n");
	roundtrip(&j);
}

static void
test_json_absent_people(void **state)
{
	struct job	 j;
	struct buf	 b;

	(void)state;
	make_job(&j, "bk-nobody");
	buf_init(&b, JOB_MAX_BYTES);
	assert_int_equal(job_to_json(&j, &b), 0);
	/* People not given are not written. */
	assert_null(strstr(b.data, "\"coach\""));
	assert_null(strstr(b.data, "\"client\""));
	assert_non_null(strstr(b.data, "\"v\":1"));
	assert_non_null(strstr(b.data, "\"uid\":\"bk-nobody\""));
	buf_free(&b);
}

/* The text of a valid job with member key replaced by raw (NULL: removed). */
static char *
job_text_with(const char *key, const char *raw)
{
	struct job	 j;
	struct buf	 b;
	cJSON		*o, *v;
	char		*s;

	make_job(&j, "bk-refuse");
	j.coach.given = 1;
	snprintf(j.coach.email, sizeof(j.coach.email), "c@x.org");
	buf_init(&b, JOB_MAX_BYTES);
	assert_int_equal(job_to_json(&j, &b), 0);
	assert_non_null(o = cJSON_ParseWithLength(b.data, b.len));
	buf_free(&b);
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	if (raw != NULL) {
		if ((v = cJSON_Parse(raw)) == NULL)
			fail_msg("test error: %s is not JSON", raw);
		cJSON_AddItemToObject(o, key, v);
	}
	assert_non_null(s = cJSON_PrintUnformatted(o));
	cJSON_Delete(o);
	return s;
}

static void
test_json_refused(void **state)
{
	static const struct {
		const char	*key;
		const char	*raw;
	} cases[] = {
		{ "v", NULL }, { "v", "0" }, { "v", "2" }, { "v", "\"1\"" },
		{ "v", "null" }, { "v", "-1" },
		{ "attempts", NULL }, { "attempts", "-1" }, { "attempts", "\"0\"" },
		{ "attempts", "null" }, { "attempts", "1e9" },
		{ "uid", NULL }, { "uid", "\"\"" }, { "uid", "42" }, { "uid", "null" },
		{ "received", NULL }, { "received", "-5" }, { "received", "\"1\"" },
		{ "received", "1.5" }, { "received", "1e13" },
		{ "start", NULL }, { "start", "-1" }, { "start", "true" },
		{ "end", NULL }, { "end", "[]" },
		{ "deadline", NULL }, { "deadline", "{}" },
		{ "next", NULL }, { "next", "-2" },
		{ "coach", "\"c@x.org\"" }, { "coach", "{\"email\":\"c@x.org\"}" },
		{ "coach", "{\"email\":1,\"name\":\"\"}" }, { "coach", "null" },
		{ "client", "[]" },
		{ "last_error", NULL }, { "last_error", "null" },
		{ "writing", NULL }, { "writing", "1" },
		{ "outcome", NULL }, { "outcome", "false" },
	};
	struct job	 j;
	char		*s, big[400];
	size_t		 i;

	(void)state;
	/* The text the cases start from is a job. */
	s = job_text_with("v", "1");
	assert_int_equal(job_from_json(s, strlen(s), &j), 0);
	assert_string_equal(j.coach.email, "c@x.org");
	cJSON_free(s);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = job_text_with(cases[i].key, cases[i].raw);
		if (job_from_json(s, strlen(s), &j) != -1)
			fail_msg("accepted: %s", s);
		cJSON_free(s);
	}
	/* Too long for the job's fields. */
	memset(big, 'x', sizeof(big));
	big[0] = '"';
	big[202] = '"';
	big[203] = '\0';		/* a uid of 201 bytes */
	s = job_text_with("uid", big);
	assert_int_equal(job_from_json(s, strlen(s), &j), -1);
	cJSON_free(s);
	memset(big, 'x', sizeof(big));
	big[0] = '"';
	big[257] = '"';
	big[258] = '\0';		/* 256 bytes of text */
	s = job_text_with("last_error", big);
	assert_int_equal(job_from_json(s, strlen(s), &j), -1);
	cJSON_free(s);
	/* Not a job at all. */
	assert_int_equal(job_from_json("", 0, &j), -1);
	assert_int_equal(job_from_json("[]", 2, &j), -1);
	assert_int_equal(job_from_json("{}", 2, &j), -1);
	assert_int_equal(job_from_json("{\"v\":1}", 7, &j), -1);
	assert_int_equal(job_from_json("null", 4, &j), -1);
}

static void
test_json_extra_members(void **state)
{
	struct job	 j;
	char		*s;

	(void)state;
	/* A member this version does not know is no reason to refuse. */
	s = job_text_with("note", "\"from a later minor version\"");
	assert_int_equal(job_from_json(s, strlen(s), &j), 0);
	assert_string_equal(j.uid, "bk-refuse");
	cJSON_free(s);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_creates_layout),
		T(test_open_under_regular_file),
		T(test_open_unwritable),
		T(test_job_file_name),
		T(test_add_new),
		T(test_add_duplicate),
		T(test_add_two_spools),
		T(test_add_unwritable),
		T(test_claim_locks),
		T(test_claim_other_process),
		T(test_claim_missing),
		T(test_claim_not_a_file),
		T(test_update_keeps_pending),
		T(test_finish),
		T(test_requeue),
		T(test_claim_corrupt),
		T(test_claim_done_twin),
		T(test_names),
		T(test_names_many),
		T(test_prune_done),
		T(test_prune_tmp),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_json_absent_people),
		cmocka_unit_test(test_json_refused),
		cmocka_unit_test(test_json_extra_members),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
