/*
 * main.c - zoom-attendees: start-up (arguments, configuration, process
 * settings), then FastCGI (fcgi_server.c) or one plain CGI request.
 */
#include <sys/prctl.h>

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <fcgiapp.h>

#include "config.h"
#include "fcgi_server.h"
#include "handler.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "util.h"
#include "workflow.h"
#include "zoom_token.h"

#define MMAP_THRESHOLD	(128 * 1024)	/* glibc's default, but fixed */
#define CGI_DRAIN_MAX	(64LL * 1024 * 1024) /* unread CGI body read before exit */

static const char usage[] =
"usage: zoom-attendees [--listen ADDRESS [--socket-mode MODE]] [--check-config]\n"
"                      [--drain] [--jobs] [--retry-failed [UID]]\n"
"                      [--help] [--version]\n"
"\n"
"FastCGI responder for POST /api/zoom/get-meeting-attendees and for\n"
"Cal.com's MEETING_ENDED webhook, POST /api/cal/meeting-ended.\n"
"\n"
"  --listen ADDRESS  serve FastCGI on ADDRESS: host:port, :port or a unix\n"
"                    socket path. Without it the program serves FastCGI on\n"
"                    the socket its manager passed (spawn-fcgi, mod_fcgid,\n"
"                    systemd), or one plain CGI request.\n"
"  --socket-mode MODE\n"
"                    permissions, in octal, of the unix socket --listen\n"
"                    makes (660: the web server's group may connect);\n"
"                    without it, what the umask leaves.\n"
"  --check-config    report every setting (never its value) and exit\n"
"                    non-zero when the configuration is incomplete.\n"
"  --drain           run every due meeting-ended job once, then exit (CGI\n"
"                    hosts: from cron, e.g. every 2 minutes).\n"
"  --jobs            list the jobs in WORKFLOW_SPOOL_DIR: pending (next\n"
"                    attempt, last error), failed (why), done.\n"
"  --retry-failed [UID]\n"
"                    put failed jobs (all, or the booking UID's) back to\n"
"                    pending, due now.\n"
"  --help            this text.\n"
"  --version         the version.\n"
"\n"
"Settings come from the environment (NAME or NAME_FILE) or a configuration\n"
"file (ZOOM_ATTENDEES_CONFIG, or zoom-attendees.conf beside the binary):\n"
"  INTERNAL_API_KEY, ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET\n"
"  (required); ZOOM_TOKEN_URL, ZOOM_API_BASE, ZOOM_TIMEOUT_MS,\n"
"  ZOOM_TOKEN_CACHE, ZOOM_ATTENDEES_THREADS, ZOOM_ATTENDEES_LOG (stderr or\n"
"  syslog); for the workflow WORKFLOW_SPOOL_DIR, CAL_WEBHOOK_SECRET,\n"
"  NOTION_TOKEN, NOTION_DATABASE_ID and more. See zoom-attendees(8).\n";

/* ---- plain CGI (RFC 3875) -------------------------------------------- */

static const char *
cgi_param(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static long long	cgi_consumed;	/* body bytes read from stdin */

static long
cgi_read(void *ctx, char *buf, size_t len)
{
	size_t n;

	(void)ctx;
	n = fread(buf, 1, len, stdin);
	cgi_consumed += (long long)n;
	return n == 0 && ferror(stdin) ? -1 : (long)n;
}

/*
 * Read what is left of the body before exiting. An answer given before
 * the body was read (401, 405, 413, 415) would otherwise exit with unread
 * data, and a server that passes the body over a socket (Apache mod_cgid)
 * sees a reset and cuts our answer short.
 */
static void
cgi_drain(void)
{
	long long	 want, left;
	char		 junk[8192];
	size_t		 n;

	if (req_content_length(getenv("CONTENT_LENGTH"), 0, &want) < 0)
		return;
	left = want - cgi_consumed;
	if (left > CGI_DRAIN_MAX)
		left = CGI_DRAIN_MAX;
	while (left > 0) {
		n = fread(junk, 1, left < (long long)sizeof(junk) ?
		    (size_t)left : sizeof(junk), stdin);
		if (n == 0)
			break;
		left -= (long long)n;
	}
}

static int
cgi_put(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
		return -1;
	return 0;
}

static int
serve_cgi(struct app *app)
{
	struct worker	w;
	/*
	 * end_marked 0: a CGI body has no end of its own, only the length
	 * (RFC 3875 section 4.1.2); without one there is no body.
	 */
	struct req_io	io = { cgi_param, cgi_read, NULL, 0 };

	if (worker_init(&w, app) < 0) {
		log_warnx("cannot initialise libcurl");
		return 1;
	}
	handle_and_send(&w, &io, cgi_put, NULL);
	cgi_drain();
	worker_free(&w);
	return 0;
}

/* ---- start-up -------------------------------------------------------- */

/*
 * --check-config: would ZOOM_TOKEN_CACHE work for this user? A warning,
 * not an error: the responder serves without the file cache (each
 * process fetches its own token), so the exit status is not changed.
 */
static void
check_token_cache(const struct config *c)
{
	const char	*path = cfg_get(c, CFG_ZOOM_TOKEN_CACHE);
	char		 why[8192];

	if (path == NULL || c->problem[CFG_ZOOM_TOKEN_CACHE] != NULL)
		return;
	if (ztok_cache_check(path, why, sizeof(why)) == 0)
		printf("token cache: usable\n");
	else
		printf("token cache: WARNING ZOOM_TOKEN_CACHE: %s\n", why);
}

/*
 * --check-config: with ZOOM_ATTENDEES_LOG=syslog, is a syslog daemon
 * listening? syslog(3) would drop every line silently. A warning, like
 * the token cache's: the exit status is not changed.
 */
static void
check_syslog(const struct config *c)
{
	char	why[256];

	if (c->problem[CFG_ZOOM_ATTENDEES_LOG] != NULL ||
	    c->log_dest != LOG_DEST_SYSLOG)
		return;
	if (log_syslog_check(why, sizeof(why)) == 0)
		printf("syslog: reachable\n");
	else
		printf("syslog: WARNING ZOOM_ATTENDEES_LOG=syslog, but %s: "
		    "log lines would be lost\n", why);
}

/* "660", "0660": permission bits in octal, 0 to 0777; -1 if not that. */
static int
parse_mode(const char *s)
{
	int	 mode = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '7')
			return -1;
		if ((mode = mode * 8 + (*s - '0')) > 0777)
			return -1;	/* also keeps the sum from overflowing */
	}
	return mode;
}

int
main(int argc, char *argv[])
{
	struct app	 app;
	const char	*listen_addr = NULL;
	const char	*retry_uid = NULL;
	int		 i, check = 0, fastcgi, listen_fd, rc = 0;
	int		 drain = 0, jobs = 0, retry = 0;
	int		 socket_mode = -1;

	/*
	 * A CGI request: Apache passes a query string without '=' as
	 * arguments (RFC 3875 section 4.4), so "?--drain" would run the
	 * command for anyone. A request never takes arguments.
	 */
	if (getenv("GATEWAY_INTERFACE") != NULL &&
	    getenv("REQUEST_METHOD") != NULL)
		argc = 1;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			puts("zoom-attendees " ZA_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--check-config") == 0) {
			check = 1;
		} else if (strcmp(argv[i], "--drain") == 0) {
			drain = 1;
		} else if (strcmp(argv[i], "--jobs") == 0) {
			jobs = 1;
		} else if (strcmp(argv[i], "--retry-failed") == 0) {
			retry = 1;
			if (i + 1 < argc && argv[i + 1][0] != '-')
				retry_uid = argv[++i];
		} else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
			listen_addr = argv[++i];
		} else if (strcmp(argv[i], "--socket-mode") == 0 && i + 1 < argc) {
			if ((socket_mode = parse_mode(argv[++i])) < 0) {
				fprintf(stderr, "zoom-attendees: --socket-mode %s: "
				    "expected octal permissions, 0 to 777\n",
				    argv[i]);
				return 2;
			}
		} else {
			fprintf(stderr, "zoom-attendees: unknown argument %s\n%s",
			    argv[i], usage);
			return 2;
		}
	}
	if (socket_mode >= 0 && (listen_addr == NULL ||
	    !fcgi_is_unix_path(listen_addr))) {
		fprintf(stderr, "zoom-attendees: --socket-mode needs --listen "
		    "with a unix socket path (one with a '/', e.g. ./za.sock)\n");
		return 2;
	}

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("curl_global_init failed");
		return 1;
	}
	/*
	 * No core dumps and no ptrace by other processes of the same user:
	 * this process holds the Zoom client secret and access tokens.
	 */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	memset(&app, 0, sizeof(app));
	cfg_load(&app.cfg);
	cfg_scrub_environ(&app.cfg);
	/*
	 * From here on, lines go where ZOOM_ATTENDEES_LOG says, start-up
	 * errors included (an invalid value leaves them on stderr). The
	 * operator's commands keep stderr: someone is reading it.
	 */
	if (!check && !jobs && !retry)
		log_open(app.cfg.log_dest);
	if (check) {
		cfg_report_all(&app.cfg, stdout);
		check_token_cache(&app.cfg);
		check_syslog(&app.cfg);
		if (xchg_global_init(cfg_get(&app.cfg, CFG_ZOOM_CA_FILE),
		    cfg_get(&app.cfg, CFG_ZOOM_CA_PATH), 0) == 0)
			printf("Zoom's CA certificates: %s\n", xchg_ca_summary());
		if (app.cfg.workflow && wf_open(&app) == 0)
			printf("workflow spool: writable\n");
		else if (app.cfg.workflow) {
			printf("workflow spool: NOT USABLE (see the line above); "
			    "webhooks would get 503\n");
			rc = 1;
		}
		wf_close(&app);
		if (!app.cfg.ok)
			rc = 1;
		goto out;
	}
	if (jobs || retry) {
		/* An operator's look: the spool alone is needed. */
		if (!app.cfg.workflow ||
		    app.cfg.problem[CFG_WORKFLOW_SPOOL_DIR] != NULL ||
		    wf_open(&app) < 0) {
			fprintf(stderr, "zoom-attendees: WORKFLOW_SPOOL_DIR is "
			    "not set or not usable\n");
			rc = 1;
		} else
			rc = jobs ? wf_list(&app, stdout) :
			    wf_retry_failed(&app, retry_uid, stdout);
		wf_close(&app);
		goto out;
	}
	/*
	 * One malloc arena a worker thread: libfcgi allocates its 8 KiB
	 * stream buffers per request, beyond glibc's per-thread cache, and
	 * threads sharing an arena wait on its lock (a futex) for them.
	 */
	if (app.cfg.ok)
		mallopt(M_ARENA_MAX, app.cfg.threads + 1);
	/*
	 * A fixed mmap threshold: a large meeting's buffers are mapped and
	 * given back when freed, instead of glibc raising the threshold and
	 * keeping them on a heap for good.
	 */
	mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
	if (FCGX_Init() != 0) {
		log_warnx("FCGX_Init failed");
		rc = 1;
		goto out;
	}
	if (listen_addr != NULL) {
		if ((listen_fd = fcgi_listen(listen_addr, socket_mode)) < 0) {
			rc = 1;
			goto out;
		}
		fastcgi = 1;
	} else if ((listen_fd = fcgi_systemd_socket()) >= 0)
		fastcgi = 1;
	else {
		listen_fd = 0;
		fastcgi = !FCGX_IsCGI();
	}

	if (!app.cfg.ok) {
		cfg_report_problems(&app.cfg, NULL);
		if (fastcgi) {
			/* Fail closed before accepting: no request sees half a config. */
			log_warnx("refusing to start; see zoom-attendees --check-config");
			rc = 1;
			goto out;
		}
	} else if (ztok_init(&app.tokens, &app.cfg) < 0 ||
	    xchg_global_init(cfg_get(&app.cfg, CFG_ZOOM_CA_FILE),
	    cfg_get(&app.cfg, CFG_ZOOM_CA_PATH), app.cfg.allow_http) < 0) {
		log_warnx("out of memory");
		rc = 1;
		goto out;
	}
	if (app.cfg.ok) {
		app_words(&app);
		metrics_setup(cfg_get(&app.cfg, CFG_METRICS_FILE),
		    app.cfg.metrics);
		/* A CGI request opens the spool only if it is the webhook. */
		if (fastcgi || drain)
			wf_open(&app);
		else
			app.spool_lazy = 1;
	}
	/* A caller gone mid-answer is an error to handle, not a death. */
	signal(SIGPIPE, SIG_IGN);
	if (drain) {
		if (!app.cfg.ok || !app.cfg.workflow) {
			if (app.cfg.ok)
				log_warnx("--drain: WORKFLOW_SPOOL_DIR is not set");
			rc = 1;
		} else
			rc = wf_drain(&app);
	} else
		rc = fastcgi ? fcgi_serve(&app, listen_fd) : serve_cgi(&app);
	wf_close(&app);
	if (app.cfg.ok)
		ztok_free(&app.tokens);
out:
	xchg_global_free();
	cfg_free(&app.cfg);
	curl_global_cleanup();
	log_close();
	return rc;
}
