/* zoom_token.c - S2S OAuth token: fetch, cache in memory and in a file. */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "metrics.h"
#include "util.h"
#include "zoom_token.h"

#define CACHE_MAGIC	"za-token-1"
#define LOCK_POLL_MS	10
#define CACHE_PATH_MAX	4200	/* the cache's path and a suffix */

static char *
base64(const unsigned char *in, size_t len)
{
	static const char	 tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char			*out, *o;
	size_t			 i;
	unsigned long		 v;

	if ((out = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i < len; i += 3) {
		v = (unsigned long)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*o++ = tbl[(v >> 18) & 63];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? tbl[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* FNV-1a: the cache file names whose token it holds, not a secret. */
static unsigned long
fnv1a(const char *a, const char *b)
{
	uint64_t	h = 1469598103934665603ULL;
	const char	*s;

	for (s = a; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h = (h ^ ':') * 1099511628211ULL;
	for (s = b; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (unsigned long)(h & 0xffffffffUL);
}

int
ztok_init(struct zoom_tokens *t, const struct config *c)
{
	const char	*id = cfg_get(c, CFG_ZOOM_CLIENT_ID);
	const char	*secret = cfg_get(c, CFG_ZOOM_CLIENT_SECRET);
	const char	*account = cfg_get(c, CFG_ZOOM_ACCOUNT_ID);
	struct buf	 b;
	char		*b64 = NULL, *acct = NULL;
	int		 rc = -1;

	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->cache_path = cfg_get(c, CFG_ZOOM_TOKEN_CACHE);
	t->url = cfg_get(c, CFG_ZOOM_TOKEN_URL);
	t->fingerprint = fnv1a(account, id);

	buf_init(&b, 3 * CFG_MAX_VALUE_LEN);
	if (buf_printf(&b, "%s:%s", id, secret) != BUF_OK ||
	    (b64 = base64((unsigned char *)b.data, b.len)) == NULL)
		goto out;
	buf_reset(&b);
	if (buf_printf(&b, "Authorization: Basic %s", b64) != BUF_OK ||
	    (t->basic = strdup(b.data)) == NULL)
		goto out;
	if ((acct = curl_easy_escape(NULL, account, 0)) == NULL ||
	    asprintf(&t->form, "grant_type=account_credentials&account_id=%s",
	    acct) < 0) {
		t->form = NULL;
		goto out;
	}
	rc = 0;
out:
	if (b64 != NULL) {
		secure_zero(b64, strlen(b64));
		free(b64);
	}
	if (acct != NULL) {
		secure_zero(acct, strlen(acct));
		curl_free(acct);
	}
	buf_wipe(&b);
	return rc;
}

static void
wipe_free(char **p)
{
	if (*p != NULL) {
		secure_zero(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

void
ztok_free(struct zoom_tokens *t)
{
	wipe_free(&t->basic);
	wipe_free(&t->form);
	secure_zero(t->token, sizeof(t->token));
	pthread_mutex_destroy(&t->lock);
}

static int
token_text_ok(const char *s, size_t len)
{
	/* it goes into a header line */
	return len > 0 && len < TOKEN_MAX && ascii_visible(s, len);
}

enum zoom_err
ztok_parse(const char *body, size_t len, char *token, long *expires_in)
{
	cJSON		*root;
	const cJSON	*tok, *exp;
	enum zoom_err	 rc = ZOOM_EBADRESP;

	if ((root = cJSON_ParseWithLength(body, len)) == NULL)
		return ZOOM_EBADRESP;
	tok = cJSON_GetObjectItemCaseSensitive(root, "access_token");
	exp = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
	if (!cJSON_IsString(tok) || tok->valuestring == NULL ||
	    !token_text_ok(tok->valuestring, strlen(tok->valuestring)))
		goto out;
	if (!cJSON_IsNumber(exp) || !(exp->valuedouble >= 1) ||
	    exp->valuedouble > 366.0 * 86400)
		goto out;
	memcpy(token, tok->valuestring, strlen(tok->valuestring) + 1);
	*expires_in = (long)exp->valuedouble;
	rc = ZOOM_OK;
out:
	/* cJSON's copy of the token too, whether it was taken or not. */
	if (cJSON_IsString(tok) && tok->valuestring != NULL)
		secure_zero(tok->valuestring, strlen(tok->valuestring));
	cJSON_Delete(root);
	return rc;
}

/*
 * Read the cache file into t when it holds a token for our credentials
 * that is still usable and is not `rejected`. 0 when t now holds one.
 */
static int
file_read(struct zoom_tokens *t, const char *rejected)
{
	char		 data[TOKEN_MAX + 128], magic[16], *tok;
	long long	 until;
	unsigned long	 fp;
	struct stat	 st;
	ssize_t		 n;
	int		 fd, used, rc = -1;

	/*
	 * O_NONBLOCK: opening a FIFO put there would otherwise wait for a
	 * writer, for ever, with the token lock held. It changes nothing
	 * for the regular file read below.
	 */
	if ((fd = open(t->cache_path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return -1;
	/* Only trust a private file of our own. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0)
		goto out;
	if ((n = read(fd, data, sizeof(data) - 1)) <= 0)
		goto out;
	data[n] = '\0';
	if (sscanf(data, "%15s %lld %lx %n", magic, &until, &fp, &used) != 3 ||
	    strcmp(magic, CACHE_MAGIC) != 0 || fp != t->fingerprint)
		goto out;
	tok = data + used;
	tok[strcspn(tok, "\n")] = '\0';
	if (!token_text_ok(tok, strlen(tok)) || until <= (long long)time(NULL) ||
	    (rejected != NULL && strcmp(tok, rejected) == 0))
		goto out;
	memcpy(t->token, tok, strlen(tok) + 1);
	t->use_until = (time_t)until;
	rc = 0;
out:
	secure_zero(data, sizeof(data));
	close(fd);
	return rc;
}

/* Replace the cache file atomically: a private temp file, then rename. */
static void
file_write(const struct zoom_tokens *t)
{
	char	 tmp[CACHE_PATH_MAX], line[TOKEN_MAX + 128];
	int	 fd, len;

	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", t->cache_path, (long)getpid());
	len = snprintf(line, sizeof(line), "%s %lld %lx %s\n", CACHE_MAGIC,
	    (long long)t->use_until, t->fingerprint, t->token);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("token cache: open(%s)", tmp);
		goto out;
	}
	if (write(fd, line, (size_t)len) != len || close(fd) != 0) {
		log_warn("token cache: write(%s)", tmp);
		(void)unlink(tmp);
		goto out;
	}
	if (rename(tmp, t->cache_path) < 0) {
		log_warn("token cache: rename(%s)", tmp);
		(void)unlink(tmp);
	}
out:
	secure_zero(line, sizeof(line));
}

/*
 * Why a lock file, as fstat describes it, must not serve as our lock, or
 * NULL when it may. Anyone who can open it can hold the flock for ever
 * (a read-only descriptor is enough), and a FIFO or device is no file.
 */
static const char *
lock_file_problem(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return "is not a regular file";
	if (st->st_uid != geteuid())
		return "is not ours (another user's file)";
	if ((st->st_mode & 077) != 0)
		return "is accessible by group or others";
	return NULL;
}

/* "<cache>.lock", in path (CACHE_PATH_MAX bytes). */
static void
lock_path(const char *cache_path, char *path)
{
	snprintf(path, CACHE_PATH_MAX, "%s.lock", cache_path);
}

enum lock_res {
	LOCK_OK,
	LOCK_TIMEOUT,		/* another process held it until the deadline */
	LOCK_UNUSABLE,		/* go without the file cache */
	LOCK__MAX
};

/*
 * Take the cross-process lock, polling until the deadline: LOCK_OK with
 * the descriptor in *fdp; LOCK_TIMEOUT when another process held it all
 * along; LOCK_UNUSABLE when the lock file cannot be ours (a missing or
 * unwritable directory, another user's file, a FIFO), with the reason
 * in why.
 */
static enum lock_res
file_lock(const struct zoom_tokens *t, int64_t deadline, int *fdp,
    char *why, size_t whylen)
{
	char		 path[CACHE_PATH_MAX];
	struct timespec	 ts = { 0, LOCK_POLL_MS * 1000000L };
	struct stat	 st;
	const char	*problem;
	int		 fd;

	*fdp = -1;
	lock_path(t->cache_path, path);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		snprintf(why, whylen, "open(%s) failed: %s", path,
		    strerror(errno));
		return LOCK_UNUSABLE;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, whylen, "fstat(%s) failed: %s", path,
		    strerror(errno));
		close(fd);
		return LOCK_UNUSABLE;
	}
	if ((problem = lock_file_problem(&st)) != NULL) {
		snprintf(why, whylen, "the lock file %s %s", path, problem);
		close(fd);
		return LOCK_UNUSABLE;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(why, whylen, "flock(%s) failed: %s", path,
			    strerror(errno));
			close(fd);
			return LOCK_UNUSABLE;
		}
		if (now_ms() + LOCK_POLL_MS >= deadline) {
			close(fd);
			return LOCK_TIMEOUT;
		}
		nanosleep(&ts, NULL);
	}
	*fdp = fd;
	return LOCK_OK;
}

/*
 * Take the process-wide lock, waiting no later than the deadline: the
 * thread that holds it may have started later, with a later deadline.
 * 0, or an errno value (ETIMEDOUT).
 */
static int
lock_until(pthread_mutex_t *m, int64_t deadline)
{
	struct timespec	 ts;	/* CLOCK_MONOTONIC, as now_ms() */

	ts.tv_sec = (time_t)(deadline / 1000);
	ts.tv_nsec = (long)(deadline % 1000) * 1000000L;
	return pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &ts);
}

static void
bump(struct zoom_tokens *t)
{
	__atomic_add_fetch(&t->generation, 1, __ATOMIC_RELEASE);
}

enum zoom_err
ztok_get(struct zoom_tokens *t, struct ztok_local *l, ztok_fetch_fn *fetch,
    void *ctx, int64_t deadline, int rejected, struct zoom_info *info)
{
	char		 why[CACHE_PATH_MAX + 128];
	long		 expires_in;
	enum zoom_err	 rc = ZOOM_OK;
	time_t		 now = time(NULL);
	int		 lockfd = -1, use_file;
	const char	*refused = rejected ? l->token : NULL;

	/* The common case: our copy is current. No lock, no copy. */
	if (!rejected && l->token[0] != '\0' && now < l->use_until &&
	    l->generation == __atomic_load_n(&t->generation, __ATOMIC_ACQUIRE))
		return ZOOM_OK;

	if (lock_until(&t->lock, deadline) != 0) {
		snprintf(info->why, sizeof(info->why),
		    "token lock not obtained in time");
		return ZOOM_ETIMEOUT;
	}
	/* Another thread may already have replaced the refused token. */
	if (t->token[0] != '\0' && now < t->use_until &&
	    (refused == NULL || strcmp(t->token, refused) != 0))
		goto done;
	if (t->token[0] != '\0') {
		t->token[0] = '\0';
		bump(t);
	}
	if ((use_file = t->cache_path != NULL)) {
		if (file_read(t, refused) == 0)
			goto fresh;
		/* One process refreshes; the others wait, then read its token. */
		switch (file_lock(t, deadline, &lockfd, why, sizeof(why))) {
		case LOCK_OK:
			if (file_read(t, refused) == 0)
				goto fresh;
			break;
		case LOCK_TIMEOUT:
			rc = ZOOM_ETIMEOUT;
			snprintf(info->why, sizeof(info->why),
			    "token cache lock not obtained in time");
			goto out;
		default:
			/* A cache we cannot lock costs token calls, not answers. */
			if (!t->cache_warned) {
				log_warnx("token cache: %s; fetching tokens "
				    "without the file cache", why);
				t->cache_warned = 1;
			}
			use_file = 0;
			break;
		}
	}
	metrics_inc(M_TOKEN_FETCHES);
	if ((rc = fetch(ctx, t, t->token, &expires_in, deadline, info)) !=
	    ZOOM_OK) {
		t->token[0] = '\0';
		goto out;
	}
	/* A token that lives less than the margin serves this request only. */
	t->use_until = expires_in > TOKEN_MARGIN_S ?
	    time(NULL) + expires_in - TOKEN_MARGIN_S : 0;
	if (use_file && t->use_until > now)
		file_write(t);
fresh:
	bump(t);
done:
	memcpy(l->token, t->token, strlen(t->token) + 1);
	l->use_until = t->use_until;
	l->generation = __atomic_load_n(&t->generation, __ATOMIC_ACQUIRE);
	if (t->use_until <= now) {
		t->token[0] = '\0';	/* short-lived: this request only */
		bump(t);
	}
out:
	if (lockfd >= 0)
		close(lockfd);		/* releases the flock */
	pthread_mutex_unlock(&t->lock);
	return rc;
}

int
ztok_cache_check(const char *path, char *why, size_t len)
{
	char		 dir[CACHE_PATH_MAX], lock[CACHE_PATH_MAX];
	const char	*slash, *problem;
	struct stat	 st;
	mode_t		 dir_mode;

	why[0] = '\0';
	if ((slash = strrchr(path, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	lock_path(path, lock);

	if (stat(dir, &st) < 0) {
		if (errno == ENOENT)
			snprintf(why, len, "its directory %s is missing: every "
			    "process would fetch its own token (create it, "
			    "mode 0700, owned by the program's user)", dir);
		else
			snprintf(why, len, "its directory %s cannot be used: %s",
			    dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, len, "%s is not a directory", dir);
		return -1;
	}
	dir_mode = st.st_mode;
	if (access(dir, W_OK | X_OK) < 0) {
		snprintf(why, len, "its directory %s is not writable by this "
		    "user (uid %u): every process would fetch its own token",
		    dir, (unsigned)geteuid());
		return -1;
	}
	if (lstat(lock, &st) == 0 && (problem = lock_file_problem(&st)) !=
	    NULL) {
		snprintf(why, len, "the lock file %s %s (owner uid %u, mode "
		    "%04o; this user is uid %u): every process would fetch its "
		    "own token (remove it)", lock, problem, (unsigned)st.st_uid,
		    (unsigned)(st.st_mode & 07777), (unsigned)geteuid());
		return -1;
	}
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(why, len, "the token file %s is not a regular file: "
		    "it is never read (remove it)", path);
		return -1;
	}
	if (lstat(path, &st) == 0 && st.st_uid != geteuid()) {
		snprintf(why, len, "the token file %s is not ours (owner uid "
		    "%u; this user is uid %u): it is never read (remove it)",
		    path, (unsigned)st.st_uid, (unsigned)geteuid());
		return -1;
	}
	/* Others there cannot block a request, but cost token calls. */
	if ((dir_mode & 022) != 0) {
		snprintf(why, len, "its directory %s is writable by group or "
		    "others: another user could delete or replace the token "
		    "file (chmod 700 it)", dir);
		return -1;
	}
	return 0;
}
