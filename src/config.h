/*
 * config.h - the process configuration, read once before the first request.
 *
 * Each setting comes from, in order of precedence: the environment (NAME),
 * a file named by the environment (NAME_FILE, as Docker secrets and systemd
 * LoadCredential give them), the configuration file (the same two forms),
 * then the built-in default. The configuration file is the one named by
 * ZOOM_ATTENDEES_CONFIG, else zoom-attendees.conf beside the binary if it
 * exists; it must not be accessible by group or others.
 *
 * Values are never printed: messages name the setting, its source and
 * what is wrong with it.
 */
#ifndef ZA_CONFIG_H
#define ZA_CONFIG_H

#include <stdio.h>

#include "log.h"

enum cfg_key {
	CFG_INTERNAL_API_KEY,
	CFG_ZOOM_ACCOUNT_ID,
	CFG_ZOOM_CLIENT_ID,
	CFG_ZOOM_CLIENT_SECRET,
	CFG_ZOOM_TOKEN_URL,
	CFG_ZOOM_API_BASE,
	CFG_ZOOM_TIMEOUT_MS,
	CFG_ZOOM_TOKEN_CACHE,
	CFG_ZOOM_ATTENDEES_THREADS,
	CFG_ZOOM_ATTENDEES_LOG,
	CFG_ZOOM_CA_FILE,
	CFG_ZOOM_CA_PATH,
	CFG_ATTENDANCE_STATUS_COMPLETED,
	CFG_ATTENDANCE_STATUS_NO_SHOW,
	CFG_ATTENDANCE_STATUS_NEVER_HELD,
	CFG_ATTENDANCE_STATUS_COACH_NO_SHOW,
	CFG_WORKFLOW_SPOOL_DIR,		/* the workflow is on when set */
	CFG_WORKFLOW_RETRY_FIRST,
	CFG_WORKFLOW_MAX_WAIT,
	CFG_CAL_WEBHOOK_SECRET,
	CFG_CAL_ALLOW_UNSIGNED,
	CFG_NOTION_API_BASE,
	CFG_NOTION_TOKEN,
	CFG_NOTION_DATABASE_ID,
	CFG_NOTION_PROP_BOOKING_UID,
	CFG_NOTION_PROP_ZOOM_ID,
	CFG_NOTION_PROP_COACH_EMAIL,
	CFG_NOTION_PROP_CLIENT_EMAIL,
	CFG_NOTION_PROP_STATUS,
	CFG_NOTION_PROP_CHECKED_AT,
	CFG_NOTION_STATUS_PENDING,
	CFG_METRICS,			/* on|off: GET .../metrics */
	CFG_METRICS_KEY,		/* its key; else INTERNAL_API_KEY */
	CFG_METRICS_FILE,		/* counters shared by every process */
	CFG__MAX
};

enum cfg_src {
	CFG_SRC_NONE,		/* not given, no default */
	CFG_SRC_DEFAULT,
	CFG_SRC_ENV,
	CFG_SRC_ENV_FILE,	/* NAME_FILE from the environment */
	CFG_SRC_CONF,
	CFG_SRC_CONF_FILE,	/* NAME_FILE from the configuration file */
	CFG_SRC__MAX
};

#define CFG_MIN_KEY_LEN		16	/* a shorter INTERNAL_API_KEY is refused */
#define CFG_MAX_VALUE_LEN	4096	/* any one setting, secrets included */

struct config {
	char		*val[CFG__MAX];		/* NULL when unset; owned */
	enum cfg_src	 src[CFG__MAX];
	const char	*problem[CFG__MAX];	/* NULL when valid; static text */
	char		 conf_path[1024];	/* configuration file read, or "" */
	char		 conf_error[256];	/* file-level problem, or "" */
	int		 ok;			/* every setting present and valid */

	/* Parsed forms, valid when ok. */
	long		 timeout_ms;		/* whole budget of one request */
	int		 threads;		/* FastCGI worker threads */
	enum log_dest	 log_dest;		/* stderr unless it is valid */
	int		 allow_http;		/* a URL is loopback http:// */
	int		 workflow;		/* WORKFLOW_SPOOL_DIR is set */
	long		 retry_first_s;		/* WORKFLOW_RETRY_FIRST */
	long		 max_wait_s;		/* WORKFLOW_MAX_WAIT */
	int		 allow_unsigned;	/* CAL_ALLOW_UNSIGNED=1 */
	int		 metrics;		/* METRICS=on */
};

/*
 * Read and validate everything. Always fills c (free it with cfg_free);
 * c->ok says whether the program may serve. Never fails for lack of a
 * setting: the caller decides how to fail closed.
 */
void		 cfg_load(struct config *c);

/* Same, from explicit sources, for tests: getenv-like lookup and exe dir. */
void		 cfg_load_from(struct config *c,
		     const char *(*lookup)(const char *name),
		     const char *exe_dir);

/*
 * One line per problem, "prog: NAME: reason", on f, or through the log
 * (log.h: stderr or syslog, as ZOOM_ATTENDEES_LOG says) when f is NULL;
 * nothing when ok.
 */
void		 cfg_report_problems(const struct config *c, FILE *f);

/* --check-config: every setting, its source and state; no values. */
void		 cfg_report_all(const struct config *c, FILE *f);

/*
 * Parse configuration-file text (KEY=VALUE lines) and discard the values:
 * what cfg_load does with the file, for tests and fuzzing. 0, or -1 with
 * the reason (a line number, never a value) in err.
 */
int		 cfg_parse_text(const char *text, size_t len, char *err,
		     size_t errlen);

const char	*cfg_name(enum cfg_key k);
const char	*cfg_get(const struct config *c, enum cfg_key k);

/*
 * Overwrite, in the process environment, the values of the secrets that
 * came from it, so that they no longer show in /proc/PID/environ.
 */
void		 cfg_scrub_environ(const struct config *c);

/* Wipe every value from memory, then free it. */
void		 cfg_free(struct config *c);

#endif
