/* config.c - read the settings once; see config.h for the precedence. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <unistr.h>

#include "auth.h"
#include "config.h"
#include "exchange.h"
#include "log.h"
#include "notion.h"
#include "util.h"

#define CONF_BASENAME	"zoom-attendees.conf"
#define CONF_MAX_BYTES	65536	/* a larger configuration file is refused */

struct cfg_def {
	const char	*name;
	int		 required;
	int		 secret;	/* value never shown, may come from _FILE */
	const char	*def;		/* default, or NULL */
};

static const struct cfg_def defs[CFG__MAX] = {
	{ "INTERNAL_API_KEY", 1, 1, NULL },		/* CFG_INTERNAL_API_KEY */
	{ "ZOOM_ACCOUNT_ID", 1, 1, NULL },		/* CFG_ZOOM_ACCOUNT_ID */
	{ "ZOOM_CLIENT_ID", 1, 1, NULL },		/* CFG_ZOOM_CLIENT_ID */
	{ "ZOOM_CLIENT_SECRET", 1, 1, NULL },		/* CFG_ZOOM_CLIENT_SECRET */
	{ "ZOOM_TOKEN_URL", 0, 0, "https://zoom.us/oauth/token" },
							/* CFG_ZOOM_TOKEN_URL */
	{ "ZOOM_API_BASE", 0, 0, "https://api.zoom.us/v2" },
							/* CFG_ZOOM_API_BASE */
	{ "ZOOM_TIMEOUT_MS", 0, 0, "10000" },		/* CFG_ZOOM_TIMEOUT_MS */
	{ "ZOOM_TOKEN_CACHE", 0, 0, NULL },		/* CFG_ZOOM_TOKEN_CACHE */
	{ "ZOOM_ATTENDEES_THREADS", 0, 0, "4" },	/* CFG_ZOOM_ATTENDEES_THREADS */
	{ "ZOOM_ATTENDEES_LOG", 0, 0, "stderr" },
							/* CFG_ZOOM_ATTENDEES_LOG */
	{ "ZOOM_CA_FILE", 0, 0, NULL },			/* CFG_ZOOM_CA_FILE */
	{ "ZOOM_CA_PATH", 0, 0, NULL },			/* CFG_ZOOM_CA_PATH */
	{ "ATTENDANCE_STATUS_COMPLETED", 0, 0, "Completed" },
					/* CFG_ATTENDANCE_STATUS_COMPLETED */
	{ "ATTENDANCE_STATUS_NO_SHOW", 0, 0, "No Show" },
					/* CFG_ATTENDANCE_STATUS_NO_SHOW */
	{ "ATTENDANCE_STATUS_NEVER_HELD", 0, 0, "Session Never Took Place" },
					/* CFG_ATTENDANCE_STATUS_NEVER_HELD */
	{ "ATTENDANCE_STATUS_COACH_NO_SHOW", 0, 0, "Coach No Show" },
					/* CFG_ATTENDANCE_STATUS_COACH_NO_SHOW */
	{ "WORKFLOW_SPOOL_DIR", 0, 0, NULL },		/* CFG_WORKFLOW_SPOOL_DIR */
	{ "WORKFLOW_RETRY_FIRST", 0, 0, "120" },	/* CFG_WORKFLOW_RETRY_FIRST */
	{ "WORKFLOW_MAX_WAIT", 0, 0, "21600" },		/* CFG_WORKFLOW_MAX_WAIT */
	{ "CAL_WEBHOOK_SECRET", 0, 1, NULL },		/* CFG_CAL_WEBHOOK_SECRET */
	{ "CAL_ALLOW_UNSIGNED", 0, 0, "0" },		/* CFG_CAL_ALLOW_UNSIGNED */
	{ "NOTION_API_BASE", 0, 0, "https://api.notion.com/v1" },
							/* CFG_NOTION_API_BASE */
	{ "NOTION_TOKEN", 0, 1, NULL },			/* CFG_NOTION_TOKEN */
	{ "NOTION_DATABASE_ID", 0, 0, NULL },		/* CFG_NOTION_DATABASE_ID */
	{ "NOTION_PROP_BOOKING_UID", 0, 0, "Cal Booking UID" },
					/* CFG_NOTION_PROP_BOOKING_UID */
	{ "NOTION_PROP_ZOOM_ID", 0, 0, "Zoom Meet ID" },
					/* CFG_NOTION_PROP_ZOOM_ID */
	{ "NOTION_PROP_COACH_EMAIL", 0, 0, "Coach Email" },
					/* CFG_NOTION_PROP_COACH_EMAIL */
	{ "NOTION_PROP_CLIENT_EMAIL", 0, 0, "Client Email" },
					/* CFG_NOTION_PROP_CLIENT_EMAIL */
	{ "NOTION_PROP_STATUS", 0, 0, "Status" },	/* CFG_NOTION_PROP_STATUS */
	{ "NOTION_PROP_CHECKED_AT", 0, 0, NULL },	/* CFG_NOTION_PROP_CHECKED_AT */
	{ "NOTION_STATUS_PENDING", 0, 0, NULL },	/* CFG_NOTION_STATUS_PENDING */
	{ "METRICS", 0, 0, "off" },			/* CFG_METRICS */
	{ "METRICS_KEY", 0, 1, NULL },			/* CFG_METRICS_KEY */
	{ "METRICS_FILE", 0, 0, "/run/zoom-attendees/metrics" },
							/* CFG_METRICS_FILE */
};

static const char *const src_names[CFG_SRC__MAX] = {
	"not set",				/* CFG_SRC_NONE */
	"default",				/* CFG_SRC_DEFAULT */
	"environment",				/* CFG_SRC_ENV */
	"environment, _FILE",			/* CFG_SRC_ENV_FILE */
	"configuration file",			/* CFG_SRC_CONF */
	"configuration file, _FILE",		/* CFG_SRC_CONF_FILE */
};

/* Lines of the configuration file, kept while loading. */
struct conf_line {
	char	*key;
	char	*value;
};

struct conf_file {
	struct conf_line	*lines;
	size_t			 n;
};

const char *
cfg_name(enum cfg_key k)
{
	return defs[k].name;
}

const char *
cfg_get(const struct config *c, enum cfg_key k)
{
	return c->val[k];
}

static const char *
env_lookup(const char *name)
{
	return getenv(name);
}

static char *
xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/*
 * Read a secret file: a regular file of at most CFG_MAX_VALUE_LEN bytes,
 * no NUL byte, one trailing newline (LF or CRLF) stripped. Returns a new
 * string or NULL, with a static reason in *why.
 */
static char *
read_secret_file(const char *path, const char **why)
{
	char		 tmp[CFG_MAX_VALUE_LEN + 3];	/* value, CRLF, one more */
	struct stat	 st;
	size_t		 n = 0;
	ssize_t		 r;
	int		 fd;
	char		*out;

	/* O_NONBLOCK: a FIFO's open would wait for a writer, for ever. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		*why = "its _FILE cannot be opened";
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		*why = "its _FILE is not a regular file";
		return NULL;
	}
	while (n < sizeof(tmp) && (r = read(fd, tmp + n, sizeof(tmp) - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			secure_zero(tmp, sizeof(tmp));
			*why = "its _FILE cannot be read";
			return NULL;
		}
		n += (size_t)r;
	}
	close(fd);
	/* A full tmp means the file goes on: never accept a cut prefix. */
	if (n == sizeof(tmp)) {
		secure_zero(tmp, sizeof(tmp));
		*why = "its _FILE is too large";
		return NULL;
	}
	if (n > 0 && tmp[n - 1] == '\n') {
		n--;
		if (n > 0 && tmp[n - 1] == '\r')
			n--;
	}
	if (n > CFG_MAX_VALUE_LEN) {
		secure_zero(tmp, sizeof(tmp));
		*why = "its _FILE is too large";
		return NULL;
	}
	/* The value would end there, unseen: refused, as the file is. */
	if (memchr(tmp, '\0', n) != NULL) {
		secure_zero(tmp, sizeof(tmp));
		*why = "its _FILE holds a NUL byte";
		return NULL;
	}
	out = xstrndup(tmp, n);
	secure_zero(tmp, sizeof(tmp));
	if (out == NULL)
		*why = "out of memory";
	return out;
}

static void
conf_free(struct conf_file *cf)
{
	size_t i;

	for (i = 0; i < cf->n; i++) {
		if (cf->lines[i].value != NULL) {
			secure_zero(cf->lines[i].value, strlen(cf->lines[i].value));
			free(cf->lines[i].value);
		}
		free(cf->lines[i].key);
	}
	free(cf->lines);
	cf->lines = NULL;
	cf->n = 0;
}

static const char *
conf_lookup(const struct conf_file *cf, const char *name)
{
	size_t i;

	for (i = cf->n; i > 0; i--)	/* the last line for a key wins */
		if (strcmp(cf->lines[i - 1].key, name) == 0)
			return cf->lines[i - 1].value;
	return NULL;
}

/* Is name one of ours, or one of ours with _FILE? */
static int
known_key(const char *name)
{
	size_t	i, n;

	for (i = 0; i < CFG__MAX; i++) {
		n = strlen(defs[i].name);
		if (strcmp(name, defs[i].name) == 0)
			return 1;
		if (strncmp(name, defs[i].name, n) == 0 &&
		    strcmp(name + n, "_FILE") == 0)
			return 1;
	}
	return 0;
}

static int
is_key_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
}

/*
 * Parse KEY=VALUE lines: blank lines and '#' comments allowed, white space
 * around KEY and VALUE ignored, VALUE may be wrapped in one pair of single
 * or double quotes. A broken line is reported by number, never by content.
 */
static int
conf_parse(char *text, struct conf_file *cf, char *err, size_t errlen)
{
	char	*line = text, *next, *eq, *k, *v, *kend, *vend;
	int	 lineno = 0;
	struct conf_line *nl;

	while (line != NULL && *line != '\0') {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		k = line;
		while (*k == ' ' || *k == '\t')
			k++;
		vend = k + strlen(k);
		while (vend > k && (vend[-1] == '\r' || vend[-1] == ' ' ||
		    vend[-1] == '\t'))
			*--vend = '\0';
		if (*k == '\0' || *k == '#') {
			line = next;
			continue;
		}
		if ((eq = strchr(k, '=')) == NULL) {
			snprintf(err, errlen, "line %d: not KEY=VALUE", lineno);
			return -1;
		}
		kend = eq;
		while (kend > k && (kend[-1] == ' ' || kend[-1] == '\t'))
			kend--;
		*kend = '\0';
		for (v = k; *v != '\0'; v++)
			if (!is_key_char(*v))
				break;
		if (*v != '\0' || k == kend) {
			snprintf(err, errlen, "line %d: not KEY=VALUE", lineno);
			return -1;
		}
		if (!known_key(k)) {
			snprintf(err, errlen, "line %d: unknown setting %s",
			    lineno, k);
			return -1;
		}
		v = eq + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		vend = v + strlen(v);
		if (vend - v >= 2 && (*v == '"' || *v == '\'') && vend[-1] == *v) {
			v++;
			*--vend = '\0';
		} else if (*v == '"' || *v == '\'') {
			snprintf(err, errlen, "line %d: unbalanced quote", lineno);
			return -1;
		}
		nl = realloc(cf->lines, (cf->n + 1) * sizeof(*nl));
		if (nl == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		cf->lines = nl;
		nl[cf->n].key = strdup(k);
		nl[cf->n].value = strdup(v);
		cf->n++;
		if (nl[cf->n - 1].key == NULL || nl[cf->n - 1].value == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		line = next;
	}
	return 0;
}

/*
 * Find and read the configuration file. Returns 0 when there is none or it
 * was read, -1 (with c->conf_error set) when it must stop the program.
 */
static int
conf_load(struct config *c, struct conf_file *cf,
    const char *(*lookup)(const char *), const char *exe_dir)
{
	const char	*named = lookup("ZOOM_ATTENDEES_CONFIG");
	struct stat	 st;
	char		*text = NULL;
	ssize_t		 r;
	size_t		 n = 0;
	int		 fd, rc = -1;

	if (named != NULL && *named != '\0')
		snprintf(c->conf_path, sizeof(c->conf_path), "%s", named);
	else if (exe_dir != NULL)
		snprintf(c->conf_path, sizeof(c->conf_path), "%s/%s",
		    exe_dir, CONF_BASENAME);
	else
		return 0;

	/* O_NONBLOCK: a FIFO's open would wait for a writer, for ever. */
	if ((fd = open(c->conf_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT && (named == NULL || *named == '\0')) {
			c->conf_path[0] = '\0';	/* optional file, absent */
			return 0;
		}
		snprintf(c->conf_error, sizeof(c->conf_error),
		    "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(c->conf_error, sizeof(c->conf_error),
		    "not a regular file");
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(c->conf_error, sizeof(c->conf_error),
		    "accessible by group or others (mode %04o); "
		    "it holds secrets: chmod 600 it",
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size > CONF_MAX_BYTES) {
		snprintf(c->conf_error, sizeof(c->conf_error),
		    "larger than %d bytes", CONF_MAX_BYTES);
		goto out;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(c->conf_error, sizeof(c->conf_error), "out of memory");
		goto out;
	}
	while (n < (size_t)st.st_size &&
	    (r = read(fd, text + n, (size_t)st.st_size - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(c->conf_error, sizeof(c->conf_error),
			    "cannot read: %s", strerror(errno));
			goto out;
		}
		n += (size_t)r;
	}
	text[n] = '\0';
	if (memchr(text, '\0', n) != NULL) {
		snprintf(c->conf_error, sizeof(c->conf_error),
		    "holds a NUL byte");
		goto out;
	}
	if (conf_parse(text, cf, c->conf_error, sizeof(c->conf_error)) < 0)
		goto out;
	rc = 0;
out:
	if (text != NULL) {
		secure_zero(text, n);
		free(text);
	}
	close(fd);
	return rc;
}

int
cfg_parse_text(const char *text, size_t len, char *err, size_t errlen)
{
	struct conf_file	 cf = { NULL, 0 };
	char			*copy;
	int			 rc;

	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "holds a NUL byte");
		return -1;
	}
	if ((copy = xstrndup(text, len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = conf_parse(copy, &cf, err, errlen);
	secure_zero(copy, len);
	free(copy);
	conf_free(&cf);
	return rc;
}

/* Fill c->val[k] from the sources in precedence order. */
static void
resolve(struct config *c, enum cfg_key k, const struct conf_file *cf,
    const char *(*lookup)(const char *))
{
	char		 fname[64];
	const char	*v, *why = NULL;

	snprintf(fname, sizeof(fname), "%s_FILE", defs[k].name);
	if ((v = lookup(defs[k].name)) != NULL && *v != '\0') {
		c->val[k] = strdup(v);
		c->src[k] = CFG_SRC_ENV;
	} else if ((v = lookup(fname)) != NULL && *v != '\0') {
		c->val[k] = read_secret_file(v, &why);
		c->src[k] = CFG_SRC_ENV_FILE;
	} else if ((v = conf_lookup(cf, defs[k].name)) != NULL && *v != '\0') {
		c->val[k] = strdup(v);
		c->src[k] = CFG_SRC_CONF;
	} else if ((v = conf_lookup(cf, fname)) != NULL && *v != '\0') {
		c->val[k] = read_secret_file(v, &why);
		c->src[k] = CFG_SRC_CONF_FILE;
	} else if (defs[k].def != NULL) {
		c->val[k] = strdup(defs[k].def);
		c->src[k] = CFG_SRC_DEFAULT;
	} else {
		c->src[k] = CFG_SRC_NONE;
		if (defs[k].required)
			c->problem[k] = "missing";
		return;
	}
	if (c->val[k] == NULL)
		c->problem[k] = why != NULL ? why : "out of memory";
	else if (c->val[k][0] == '\0')
		c->problem[k] = "empty";
	else if (strlen(c->val[k]) > CFG_MAX_VALUE_LEN)
		c->problem[k] = "too long";
}

/* Printable ASCII without spaces: safe inside a header or a form body. */
static int
is_token_text(const char *s)
{
	return ascii_visible(s, strlen(s));
}

static int
is_loopback_host(const char *host)
{
	unsigned a, b, cc, d;
	char	 tail;

	if (strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
		return 1;
	if (sscanf(host, "%u.%u.%u.%u%c", &a, &b, &cc, &d, &tail) == 4)
		return a == 127 && b < 256 && cc < 256 && d < 256;
	return 0;
}

/*
 * https:// anywhere, http:// only on loopback. Returns NULL when fine, or a
 * static reason; sets *is_http for a loopback http URL.
 */
static const char *
check_url(const char *url, int *is_http)
{
	CURLU		*u;
	char		*scheme = NULL, *host = NULL, *query = NULL, *frag = NULL;
	char		*user = NULL, *pass = NULL;
	const char	*why = NULL;

	*is_http = 0;
	if ((u = curl_url()) == NULL)
		return "out of memory";
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		why = "not a valid URL";
		goto out;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK) {
		why = "must not hold a query or fragment";
		goto out;
	}
	/* --check-config shows URLs, and curl would send these as Basic auth. */
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
		why = "must not hold a user name or password";
		goto out;
	}
	if (strcmp(scheme, "https") == 0)
		goto out;
	if (strcmp(scheme, "http") == 0 && is_loopback_host(host)) {
		*is_http = 1;
		goto out;
	}
	why = "must be https:// (http:// only for loopback hosts)";
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(query);
	curl_free(frag);
	if (user != NULL)
		secure_zero(user, strlen(user));
	if (pass != NULL)
		secure_zero(pass, strlen(pass));
	curl_free(user);
	curl_free(pass);
	curl_url_cleanup(u);
	return why;
}

/* The value of k when it is set and has no problem yet, else NULL. */
static char *
usable(const struct config *c, enum cfg_key k)
{
	return c->problem[k] == NULL ? c->val[k] : NULL;
}

/*
 * A status word goes into JSON answers and Notion: 1 to 100 bytes of
 * valid UTF-8 (u8_check: no overlong form, no surrogate), no control
 * character (C0, DEL, C1).
 */
static int
status_word_ok(const char *v)
{
	size_t len = strlen(v);

	return len > 0 && len <= 100 &&
	    u8_check((const uint8_t *)v, len) == NULL && !has_control(v, len);
}

/*
 * The workflow's settings (WORKFLOW_*, CAL_*, NOTION_*): checked always,
 * required only once WORKFLOW_SPOOL_DIR turns the workflow on, so that a
 * responder serving the endpoint alone needs none of them.
 */
static void
validate_workflow(struct config *c)
{
	long long	 n;
	int		 k;
	char		*v;

	c->workflow = c->val[CFG_WORKFLOW_SPOOL_DIR] != NULL;
	if ((v = usable(c, CFG_WORKFLOW_SPOOL_DIR)) != NULL && v[0] != '/')
		c->problem[CFG_WORKFLOW_SPOOL_DIR] = "not an absolute path";
	if ((v = usable(c, CFG_WORKFLOW_RETRY_FIRST)) != NULL) {
		if (parse_int(v, 1, 1800, &n) < 0)
			c->problem[CFG_WORKFLOW_RETRY_FIRST] =
			    "not a whole number of seconds from 1 to 1800";
		else
			c->retry_first_s = (long)n;
	}
	if ((v = usable(c, CFG_WORKFLOW_MAX_WAIT)) != NULL) {
		if (parse_int(v, 1, 604800, &n) < 0)
			c->problem[CFG_WORKFLOW_MAX_WAIT] =
			    "not a whole number of seconds from 1 to 604800";
		else
			c->max_wait_s = (long)n;
	}
	if ((v = usable(c, CFG_CAL_ALLOW_UNSIGNED)) != NULL) {
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			c->problem[CFG_CAL_ALLOW_UNSIGNED] = "not 0 or 1";
		else
			c->allow_unsigned = v[0] == '1';
	}
	if ((v = usable(c, CFG_NOTION_TOKEN)) != NULL && !is_token_text(v))
		c->problem[CFG_NOTION_TOKEN] =
		    "holds spaces or non-printable characters";
	else if (v != NULL && strlen(v) > NOTION_TOKEN_MAX)
		c->problem[CFG_NOTION_TOKEN] = "longer than 512 characters";
	if ((v = usable(c, CFG_NOTION_DATABASE_ID)) != NULL && !notion_id_ok(v))
		c->problem[CFG_NOTION_DATABASE_ID] =
		    "not 32 hexadecimal digits (dashes allowed)";
	for (k = CFG_NOTION_PROP_BOOKING_UID; k <= CFG_NOTION_STATUS_PENDING; k++)
		if ((v = usable(c, (enum cfg_key)k)) != NULL &&
		    !status_word_ok(v))
			c->problem[k] = "not 1 to 100 bytes of UTF-8 text "
			    "without control characters";
	if (!c->workflow)
		return;
	if (c->src[CFG_NOTION_TOKEN] == CFG_SRC_NONE)
		c->problem[CFG_NOTION_TOKEN] =
		    "missing (needed by WORKFLOW_SPOOL_DIR)";
	if (c->src[CFG_NOTION_DATABASE_ID] == CFG_SRC_NONE)
		c->problem[CFG_NOTION_DATABASE_ID] =
		    "missing (needed by WORKFLOW_SPOOL_DIR)";
	if (c->src[CFG_CAL_WEBHOOK_SECRET] == CFG_SRC_NONE && !c->allow_unsigned)
		c->problem[CFG_CAL_WEBHOOK_SECRET] = "missing (needed by "
		    "WORKFLOW_SPOOL_DIR unless CAL_ALLOW_UNSIGNED=1)";
}

static void
validate(struct config *c)
{
	long long	 n;
	int		 k;
	int		 http_token = 0, http_api = 0;
	const char	*why;
	char		*v;
	size_t		 len;
	struct stat	 st;

	if ((v = usable(c, CFG_INTERNAL_API_KEY)) != NULL) {
		if (strlen(v) < CFG_MIN_KEY_LEN)
			c->problem[CFG_INTERNAL_API_KEY] =
			    "shorter than 16 characters";
		else if (strlen(v) > AUTH_MAX_KEY)	/* could never match */
			c->problem[CFG_INTERNAL_API_KEY] =
			    "longer than 512 characters";
		else if (!is_token_text(v))
			c->problem[CFG_INTERNAL_API_KEY] =
			    "holds spaces or non-printable characters";
	}
	if ((v = usable(c, CFG_ZOOM_ACCOUNT_ID)) != NULL &&
	    !is_token_text(v))
		c->problem[CFG_ZOOM_ACCOUNT_ID] = "holds spaces or non-printable characters";
	if ((v = usable(c, CFG_ZOOM_CLIENT_ID)) != NULL &&
	    (!is_token_text(v) || strchr(v, ':') != NULL))
		c->problem[CFG_ZOOM_CLIENT_ID] =
		    "holds a colon, spaces or non-printable characters";
	if ((v = usable(c, CFG_ZOOM_CLIENT_SECRET)) != NULL &&
	    !is_token_text(v))
		c->problem[CFG_ZOOM_CLIENT_SECRET] = "holds spaces or non-printable characters";

	if ((v = usable(c, CFG_ZOOM_TOKEN_URL)) != NULL &&
	    (why = check_url(v, &http_token)) != NULL)
		c->problem[CFG_ZOOM_TOKEN_URL] = why;
	if ((v = usable(c, CFG_ZOOM_API_BASE)) != NULL) {
		if ((why = check_url(v, &http_api)) != NULL)
			c->problem[CFG_ZOOM_API_BASE] = why;
		len = strlen(v);
		while (len > 0 && v[len - 1] == '/')	/* we add the slash */
			v[--len] = '\0';
	}
	c->allow_http = http_token || http_api;
	if ((v = usable(c, CFG_NOTION_API_BASE)) != NULL) {
		if ((why = check_url(v, &http_api)) != NULL)
			c->problem[CFG_NOTION_API_BASE] = why;
		else if (http_api && c->val[CFG_WORKFLOW_SPOOL_DIR] != NULL)
			c->allow_http = 1;
		len = strlen(v);
		while (len > 0 && v[len - 1] == '/')
			v[--len] = '\0';
	}

	if ((v = usable(c, CFG_ZOOM_TIMEOUT_MS)) != NULL) {
		if (parse_int(v, 100, 600000, &n) < 0)
			c->problem[CFG_ZOOM_TIMEOUT_MS] =
			    "not a whole number of milliseconds from 100 to 600000";
		else
			c->timeout_ms = (long)n;
	}
	if ((v = usable(c, CFG_ZOOM_CA_FILE)) != NULL &&
	    (stat(v, &st) < 0 || !S_ISREG(st.st_mode) || access(v, R_OK) < 0))
		c->problem[CFG_ZOOM_CA_FILE] = "not a readable file";
	if ((v = usable(c, CFG_ZOOM_CA_PATH)) != NULL &&
	    (stat(v, &st) < 0 || !S_ISDIR(st.st_mode) || access(v, R_OK | X_OK) < 0))
		c->problem[CFG_ZOOM_CA_PATH] = "not a readable directory";
	else if (v != NULL && !xchg_is_hashed_dir(v))
		c->problem[CFG_ZOOM_CA_PATH] = "holds no hashed certificate names "
		    "(run openssl rehash on it)";
	for (k = CFG_ATTENDANCE_STATUS_COMPLETED;
	    k <= CFG_ATTENDANCE_STATUS_COACH_NO_SHOW; k++)
		if ((v = usable(c, (enum cfg_key)k)) != NULL &&
		    !status_word_ok(v))
			c->problem[k] = "not 1 to 100 bytes of UTF-8 text "
			    "without control characters";
	validate_workflow(c);
	if ((v = usable(c, CFG_ZOOM_ATTENDEES_THREADS)) != NULL) {
		if (parse_int(v, 1, 256, &n) < 0)
			c->problem[CFG_ZOOM_ATTENDEES_THREADS] =
			    "not a whole number from 1 to 256";
		else
			c->threads = (int)n;
	}
	if ((v = usable(c, CFG_ZOOM_ATTENDEES_LOG)) != NULL &&
	    log_dest_parse(v, &c->log_dest) < 0)
		c->problem[CFG_ZOOM_ATTENDEES_LOG] = "not stderr or syslog";
	if ((v = usable(c, CFG_METRICS)) != NULL) {
		if (strcmp(v, "on") == 0)
			c->metrics = 1;
		else if (strcmp(v, "off") != 0)
			c->problem[CFG_METRICS] = "not on or off";
	}
	if ((v = usable(c, CFG_METRICS_KEY)) != NULL) {
		if (strlen(v) < CFG_MIN_KEY_LEN)
			c->problem[CFG_METRICS_KEY] =
			    "shorter than 16 characters";
		else if (strlen(v) > AUTH_MAX_KEY)
			c->problem[CFG_METRICS_KEY] =
			    "longer than 512 characters";
		else if (!is_token_text(v))
			c->problem[CFG_METRICS_KEY] =
			    "holds spaces or non-printable characters";
	}
	if ((v = usable(c, CFG_METRICS_FILE)) != NULL && v[0] != '/')
		c->problem[CFG_METRICS_FILE] = "not an absolute path";
}

void
cfg_load_from(struct config *c, const char *(*lookup)(const char *),
    const char *exe_dir)
{
	struct conf_file	cf = { NULL, 0 };
	size_t			i;
	int			file_ok;

	memset(c, 0, sizeof(*c));
	/* On failure, still resolve the rest, so --check-config says more. */
	if (!(file_ok = conf_load(c, &cf, lookup, exe_dir) == 0))
		conf_free(&cf);
	for (i = 0; i < CFG__MAX; i++)
		resolve(c, (enum cfg_key)i, &cf, lookup);
	conf_free(&cf);
	validate(c);
	c->ok = file_ok && c->conf_error[0] == '\0';
	for (i = 0; i < CFG__MAX; i++)
		if (c->problem[i] != NULL)
			c->ok = 0;
}

void
cfg_load(struct config *c)
{
	char	 exe[PATH_MAX], *slash;
	ssize_t	 n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		cfg_load_from(c, env_lookup, NULL);
		return;
	}
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	cfg_load_from(c, env_lookup, exe);
}

void
cfg_report_problems(const struct config *c, FILE *f)
{
	size_t i;

	if (c->conf_error[0] != '\0' && f != NULL)
		fprintf(f, "zoom-attendees: configuration file %s: %s\n",
		    c->conf_path, c->conf_error);
	else if (c->conf_error[0] != '\0')
		log_warnx("configuration file %s: %s", c->conf_path,
		    c->conf_error);
	for (i = 0; i < CFG__MAX; i++) {
		if (c->problem[i] == NULL)
			continue;
		if (f != NULL)
			fprintf(f, "zoom-attendees: %s: %s (%s)\n", defs[i].name,
			    c->problem[i], src_names[c->src[i]]);
		else
			log_warnx("%s: %s (%s)", defs[i].name, c->problem[i],
			    src_names[c->src[i]]);
	}
}

void
cfg_report_all(const struct config *c, FILE *f)
{
	size_t i;

	if (c->conf_error[0] != '\0')
		fprintf(f, "configuration file: %s: ERROR %s\n", c->conf_path,
		    c->conf_error);
	else if (c->conf_path[0] != '\0')
		fprintf(f, "configuration file: %s\n", c->conf_path);
	else
		fprintf(f, "configuration file: none\n");
	for (i = 0; i < CFG__MAX; i++) {
		if (c->problem[i] != NULL)
			fprintf(f, "%-32s ERROR %s (%s)\n", defs[i].name,
			    c->problem[i], src_names[c->src[i]]);
		else if (c->src[i] == CFG_SRC_NONE)
			fprintf(f, "%-32s not set (optional)\n", defs[i].name);
		else if (defs[i].secret)
			fprintf(f, "%-32s ok, set (%s)\n", defs[i].name,
			    src_names[c->src[i]]);
		else
			fprintf(f, "%-32s ok, %s (%s)\n", defs[i].name,
			    c->val[i], src_names[c->src[i]]);
	}
	fprintf(f, "%s\n", c->ok ? "configuration complete" :
	    "configuration INCOMPLETE: the responder will refuse to serve");
}

void
cfg_scrub_environ(const struct config *c)
{
	extern char	**environ;
	char		**e;
	size_t		  i, n;

	for (i = 0; i < CFG__MAX; i++) {
		if (!defs[i].secret || c->src[i] != CFG_SRC_ENV)
			continue;
		n = strlen(defs[i].name);
		for (e = environ; e != NULL && *e != NULL; e++)
			if (strncmp(*e, defs[i].name, n) == 0 && (*e)[n] == '=')
				secure_zero(*e + n + 1, strlen(*e + n + 1));
	}
}

void
cfg_free(struct config *c)
{
	size_t i;

	for (i = 0; i < CFG__MAX; i++) {
		if (c->val[i] != NULL) {
			secure_zero(c->val[i], strlen(c->val[i]));
			free(c->val[i]);
			c->val[i] = NULL;
		}
	}
}
