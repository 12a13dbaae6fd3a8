/*
 * main.c - zoom-attendees: start-up, the FastCGI accept loop with worker
 * threads, plain CGI, and a clean stop on SIGTERM/SIGHUP/SIGINT.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <fcgiapp.h>

#include "config.h"
#include "handler.h"
#include "log.h"
#include "util.h"

#define THREAD_STACK	(512 * 1024)	/* handler frames are small */
#define STOP_POLL_MS	50		/* how often idle threads are nudged */
#define LISTEN_BACKLOG	1024
#define SD_LISTEN_FD	3		/* systemd socket activation, sd_listen_fds(3) */

struct slot {
	pthread_t		 tid;
	struct worker		 w;
	volatile sig_atomic_t	 busy;	/* between accept and finish */
	volatile sig_atomic_t	 done;	/* the thread has left its loop */
	int			 started;
};

static volatile sig_atomic_t	 stopping;
static int			 listen_fd;

static const char usage[] =
"usage: zoom-attendees [--listen ADDRESS] [--check-config] [--help] [--version]\n"
"\n"
"FastCGI responder for POST /api/zoom/get-meeting-attendees.\n"
"\n"
"  --listen ADDRESS  serve FastCGI on ADDRESS: host:port, :port or a unix\n"
"                    socket path. Without it the program serves FastCGI on\n"
"                    the socket its manager passed (spawn-fcgi, mod_fcgid,\n"
"                    systemd), or one plain CGI request.\n"
"  --check-config    report every setting (never its value) and exit\n"
"                    non-zero when the configuration is incomplete.\n"
"  --help            this text.\n"
"  --version         the version.\n"
"\n"
"Settings come from the environment (NAME or NAME_FILE) or a configuration\n"
"file (ZOOM_ATTENDEES_CONFIG, or zoom-attendees.conf beside the binary):\n"
"  INTERNAL_API_KEY, ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET\n"
"  (required); ZOOM_TOKEN_URL, ZOOM_API_BASE, ZOOM_TIMEOUT_MS,\n"
"  ZOOM_TOKEN_CACHE, ZOOM_ATTENDEES_THREADS. See zoom-attendees(8).\n";

/* ---- FastCGI transport ------------------------------------------------ */

static const char *
fcgi_param(void *ctx, const char *name)
{
	return FCGX_GetParam(name, ((FCGX_Request *)ctx)->envp);
}

static long
fcgi_read(void *ctx, char *buf, size_t len)
{
	return FCGX_GetStr(buf, (int)len, ((FCGX_Request *)ctx)->in);
}

static void
serve_one(struct worker *w, const struct req_io *io,
    int (*put)(void *ctx, const char *data, size_t len), void *ctx)
{
	struct response	 resp;
	struct buf	 wire;

	resp_init(&resp);
	handle_request(w, io, &resp);
	buf_init(&wire, RESP_MAX_BODY + 4096);
	if (resp_serialize(&resp, &wire) == 0)
		put(ctx, wire.data, wire.len);
	else
		log_warnx("answer too large to send");
	buf_free(&wire);
	resp_free(&resp);
}

static int
fcgi_put(void *ctx, const char *data, size_t len)
{
	return FCGX_PutStr(data, (int)len, ((FCGX_Request *)ctx)->out);
}

static void *
worker_main(void *arg)
{
	struct slot	*s = arg;
	FCGX_Request	 req;
	struct req_io	 io = { fcgi_param, fcgi_read, &req };

	/* Fail accept() on a signal, so a stop reaches idle threads. */
	FCGX_InitRequest(&req, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
	while (!stopping) {
		if (FCGX_Accept_r(&req) < 0) {
			if (stopping)
				break;
			continue;	/* interrupted, or a broken connection */
		}
		s->busy = 1;
		serve_one(&s->w, &io, fcgi_put, &req);
		FCGX_Finish_r(&req);
		s->busy = 0;
	}
	FCGX_Free(&req, 1);
	s->done = 1;
	return NULL;
}

static void
on_nudge(int sig)
{
	(void)sig;	/* only there to interrupt accept() and read() */
}

static int
serve_fastcgi(struct app *app)
{
	struct slot		*slots;
	struct sigaction	 sa;
	sigset_t		 stopset, old;
	pthread_attr_t		 attr;
	struct timespec		 ts = { 0, STOP_POLL_MS * 1000000L };
	int			 i, n = app->cfg.threads, sig, alive, rc = 0;

	if ((slots = calloc((size_t)n, sizeof(*slots))) == NULL) {
		log_warn("calloc");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_nudge;	/* no SA_RESTART: interrupt the call */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Threads inherit the mask: only this thread takes stop signals. */
	sigemptyset(&stopset);
	sigaddset(&stopset, SIGTERM);
	sigaddset(&stopset, SIGHUP);
	sigaddset(&stopset, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stopset, &old);

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	for (i = 0; i < n; i++) {
		if (worker_init(&slots[i].w, app) < 0) {
			log_warnx("cannot initialise libcurl for worker %d", i);
			rc = 1;
			break;
		}
		if (pthread_create(&slots[i].tid, &attr, worker_main,
		    &slots[i]) != 0) {
			log_warn("pthread_create");
			worker_free(&slots[i].w);
			rc = 1;
			break;
		}
		slots[i].started = 1;
	}
	pthread_attr_destroy(&attr);

	if (rc == 0) {
		sigwait(&stopset, &sig);
		log_warnx("signal %d: finishing requests in flight, then exiting",
		    sig);
	}
	stopping = 1;
	/* Nudge idle threads until every one has left its loop. */
	do {
		alive = 0;
		for (i = 0; i < n; i++) {
			if (!slots[i].started || slots[i].done)
				continue;
			alive = 1;
			if (!slots[i].busy)
				pthread_kill(slots[i].tid, SIGUSR1);
		}
		if (alive)
			nanosleep(&ts, NULL);
	} while (alive);
	for (i = 0; i < n; i++) {
		if (!slots[i].started)
			continue;
		pthread_join(slots[i].tid, NULL);
		worker_free(&slots[i].w);
	}
	free(slots);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* ---- plain CGI (RFC 3875) -------------------------------------------- */

static const char *
cgi_param(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static long
cgi_read(void *ctx, char *buf, size_t len)
{
	size_t n;

	(void)ctx;
	n = fread(buf, 1, len, stdin);
	return n == 0 && ferror(stdin) ? -1 : (long)n;
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
	struct req_io	io = { cgi_param, cgi_read, NULL };

	signal(SIGPIPE, SIG_IGN);
	if (worker_init(&w, app) < 0) {
		log_warnx("cannot initialise libcurl");
		return 1;
	}
	serve_one(&w, &io, cgi_put, NULL);
	worker_free(&w);
	return 0;
}

/* ---- start-up -------------------------------------------------------- */

/* The systemd-passed socket, when it is meant for this process. */
static int
systemd_socket(void)
{
	const char	*pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	long long	 p, n;

	if (pid == NULL || fds == NULL || parse_int(pid, 1, 1LL << 31, &p) < 0 ||
	    parse_int(fds, 1, 64, &n) < 0 || (pid_t)p != getpid())
		return -1;
	return SD_LISTEN_FD;
}

int
main(int argc, char *argv[])
{
	struct app	 app;
	const char	*listen_addr = NULL;
	int		 i, check = 0, fastcgi, rc = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			puts("zoom-attendees " ZA_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--check-config") == 0) {
			check = 1;
		} else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
			listen_addr = argv[++i];
		} else {
			fprintf(stderr, "zoom-attendees: unknown argument %s\n%s",
			    argv[i], usage);
			return 2;
		}
	}

	/* Fewer malloc arenas: threads share them, memory stays small. */
	mallopt(M_ARENA_MAX, 2);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("curl_global_init failed");
		return 1;
	}
	memset(&app, 0, sizeof(app));
	cfg_load(&app.cfg);
	if (check) {
		cfg_report_all(&app.cfg, stdout);
		rc = app.cfg.ok ? 0 : 1;
		goto out;
	}
	if (FCGX_Init() != 0) {
		log_warnx("FCGX_Init failed");
		rc = 1;
		goto out;
	}
	if (listen_addr != NULL) {
		if ((listen_fd = FCGX_OpenSocket(listen_addr, LISTEN_BACKLOG)) < 0) {
			log_warn("cannot listen on %s", listen_addr);
			rc = 1;
			goto out;
		}
		fastcgi = 1;
	} else if ((listen_fd = systemd_socket()) >= 0)
		fastcgi = 1;
	else {
		listen_fd = 0;
		fastcgi = !FCGX_IsCGI();
	}

	if (!app.cfg.ok) {
		cfg_report_problems(&app.cfg, stderr);
		if (fastcgi) {
			/* Fail closed before accepting: no request sees half a config. */
			log_warnx("refusing to start; see zoom-attendees --check-config");
			rc = 1;
			goto out;
		}
	} else if (ztok_init(&app.tokens, &app.cfg) < 0) {
		log_warnx("out of memory");
		rc = 1;
		goto out;
	}
	rc = fastcgi ? serve_fastcgi(&app) : serve_cgi(&app);
	if (app.cfg.ok)
		ztok_free(&app.tokens);
out:
	cfg_free(&app.cfg);
	curl_global_cleanup();
	return rc;
}
