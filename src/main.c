/*
 * main.c - zoom-attendees: start-up, the FastCGI accept loop with worker
 * threads, plain CGI, and a clean stop on SIGTERM/SIGHUP/SIGINT.
 */
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/un.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
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
#include "zoom_http.h"

#define THREAD_STACK	(256 * 1024)	/* handler frames are small */
#define LISTEN_BACKLOG	1024
#define SD_LISTEN_FD	3		/* systemd socket activation, sd_listen_fds(3) */
#define WIRE_KEEP	(128 * 1024)	/* answer buffer kept between requests */
#define MMAP_THRESHOLD	(128 * 1024)	/* glibc's default, but fixed */
#define CGI_DRAIN_MAX	(64LL * 1024 * 1024) /* unread CGI body read before exit */

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

/*
 * Concurrency model. libfcgi's own loop binds a thread to a connection for
 * as long as the web server keeps it open (nginx fastcgi_keep_conn), so
 * kept connections beyond the thread count wait unserved. Instead, every
 * connection lives in one epoll set with EPOLLONESHOT, and each worker
 * thread takes turns waiting on it (leader/followers): the thread that is
 * woken serves exactly the connection that has a request, re-arms it, and
 * waits again. Idle kept connections cost no thread; there is no hand-off
 * between threads; new connections are accepted by whichever thread is free.
 * libfcgi still parses and writes the records: FCGX_Accept_r is given a
 * connection whose request is already readable.
 */

#define IO_TIMEOUT_S	30	/* a connection stalled mid-record is dropped */
#define DRAIN_MAX	(1024 * 1024) /* unread body discarded to keep a connection */
#define DRAIN_EVENTS	64	/* ready connections one thread serves when stopping */

struct fcgi_server {
	int			 epfd;
	int			 listen_fd;
	int			 sig_fd;	/* signalfd: SIGTERM, SIGHUP, SIGINT */
	int			 stop_fd;	/* eventfd, readable once stopping */
	struct app		*app;
};

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

static int
fcgi_put(void *ctx, const char *data, size_t len)
{
	return FCGX_PutStr(data, (int)len, ((FCGX_Request *)ctx)->out);
}

static void
serve_one(struct worker *w, const struct req_io *io,
    int (*put)(void *ctx, const char *data, size_t len), void *ctx)
{
	struct response	 resp;
	struct buf	*wire = &w->wire;

	resp_init(&resp);
	handle_request(w, io, &resp);
	buf_reset(wire);
	if (resp_serialize(&resp, wire) == 0)
		put(ctx, wire->data, wire->len);
	else
		log_warnx("answer too large to send");
	resp_free(&resp);
	if (wire->size > WIRE_KEEP)	/* a large meeting: give it back */
		buf_free(wire);
}

/* Accept every pending connection and watch it for its first request. */
static void
accept_all(struct fcgi_server *srv)
{
	struct epoll_event	ev;
	struct timeval		tv = { IO_TIMEOUT_S, 0 };
	int			fd, one = 1;

	for (;;) {
		fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept");
			return;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		/* Fails harmlessly on unix sockets. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		ev.events = EPOLLIN | EPOLLONESHOT;
		ev.data.fd = fd;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			log_warn("epoll_ctl");
			close(fd);
		}
	}
}

/* Serve the request waiting on fd; keep or close the connection after. */
static void
serve_connection(struct fcgi_server *srv, struct worker *w, FCGX_Request *req,
    int fd)
{
	struct req_io		 io = { fcgi_param, fcgi_read, req };
	struct epoll_event	 ev;
	char			 junk[4096];
	long			 n, drained = 0;

	req->ipcFd = fd;
	/* Else FCGX_Accept_r's opening FCGX_Finish_r would close fd. */
	req->keepConnection = 1;
	if (FCGX_Accept_r(req) < 0)
		return;	/* the web server closed it: libfcgi closed fd */
	serve_one(w, &io, fcgi_put, req);
	/* Leave the stream at a record boundary for the next request. */
	while ((n = FCGX_GetStr(junk, sizeof(junk), req->in)) > 0)
		if ((drained += n) > DRAIN_MAX) {
			req->keepConnection = 0;
			break;
		}
	if (stopping)
		req->keepConnection = 0;	/* close it after this answer */
	FCGX_Finish_r(req);
	if (req->ipcFd >= 0) {
		ev.events = EPOLLIN | EPOLLONESHOT;
		ev.data.fd = fd;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_MOD, fd, &ev) < 0) {
			log_warn("epoll_ctl");
			close(fd);
		}
	}
	req->ipcFd = -1;
}

static void
begin_stop(struct fcgi_server *srv)
{
	struct signalfd_siginfo	 si;
	uint64_t		 one = 1;

	if (read(srv->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		log_warnx("signal %u: finishing requests in flight, then exiting",
		    si.ssi_signo);
	stopping = 1;
	/* Level-triggered and never read: wakes every waiting thread. */
	if (write(srv->stop_fd, &one, sizeof(one)) < 0)
		log_warn("write(eventfd)");
}

struct thread_arg {
	struct fcgi_server	*srv;
	struct worker		 w;
};

/* A connection's event, as opposed to the listener and the control fds. */
static int
is_connection(const struct fcgi_server *srv, int fd)
{
	return fd != srv->stop_fd && fd != srv->sig_fd && fd != srv->listen_fd;
}

/*
 * Stopping: serve the requests that are already readable (each thread
 * takes what epoll hands it), then leave. Served connections are closed,
 * so the web server opens its next ones to a process that will answer.
 */
static void
drain(struct fcgi_server *srv, struct worker *w, FCGX_Request *req)
{
	struct epoll_event	evs[DRAIN_EVENTS];
	int			n, i;

	n = epoll_wait(srv->epfd, evs, DRAIN_EVENTS, 0);
	for (i = 0; i < n; i++)
		if (is_connection(srv, evs[i].data.fd))
			serve_connection(srv, w, req, evs[i].data.fd);
}

static void *
worker_main(void *arg)
{
	struct thread_arg	*ta = arg;
	struct fcgi_server	*srv = ta->srv;
	struct epoll_event	 ev;
	FCGX_Request		 req;
	int			 n;

	/* listen_sock -1: libfcgi must never accept on its own. */
	FCGX_InitRequest(&req, -1, FCGI_FAIL_ACCEPT_ON_INTR);
	while (!stopping) {
		n = epoll_wait(srv->epfd, &ev, 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (ev.data.fd == srv->sig_fd)
			begin_stop(srv);
		else if (ev.data.fd == srv->listen_fd)
			accept_all(srv);
		else if (ev.data.fd != srv->stop_fd)
			serve_connection(srv, &ta->w, &req, ev.data.fd);
	}
	drain(srv, &ta->w, &req);
	FCGX_Free(&req, 0);
	return NULL;
}

static int
watch(int epfd, int fd, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.fd = fd;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int
serve_fastcgi(struct app *app)
{
	struct fcgi_server	 srv;
	struct thread_arg	*ta;
	pthread_t		*tids;
	pthread_attr_t		 attr;
	sigset_t		 stopset;
	int			 i, n = app->cfg.threads, started = 0, rc = 0, fl;

	memset(&srv, 0, sizeof(srv));
	srv.app = app;
	srv.listen_fd = listen_fd;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stopset);
	sigaddset(&stopset, SIGTERM);
	sigaddset(&stopset, SIGHUP);
	sigaddset(&stopset, SIGINT);
	/* Threads inherit the mask; the signals arrive through sig_fd. */
	pthread_sigmask(SIG_BLOCK, &stopset, NULL);

	/* The listening socket may be shared with sibling processes
	 * (spawn-fcgi -F, mod_fcgid): non-blocking, so a sibling's win
	 * never leaves us blocked in accept(). */
	if ((fl = fcntl(listen_fd, F_GETFL)) < 0 ||
	    fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    (srv.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (srv.sig_fd = signalfd(-1, &stopset, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
	    (srv.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    watch(srv.epfd, listen_fd, EPOLLIN | EPOLLEXCLUSIVE) < 0 ||
	    watch(srv.epfd, srv.sig_fd, EPOLLIN) < 0 ||
	    watch(srv.epfd, srv.stop_fd, EPOLLIN) < 0) {
		log_warn("cannot set up the event loop");
		return 1;
	}

	/* Half the threads at most wait to retry; the rest keep serving. */
	zhttp_set_retry_sleepers(n / 2);
	ta = calloc((size_t)n, sizeof(*ta));
	tids = calloc((size_t)n, sizeof(*tids));
	if (ta == NULL || tids == NULL) {
		log_warn("calloc");
		free(ta);
		free(tids);
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	for (i = 0; i < n; i++) {
		ta[i].srv = &srv;
		if (worker_init(&ta[i].w, app) < 0) {
			log_warnx("cannot initialise libcurl for worker %d", i);
			rc = 1;
			break;
		}
		if (pthread_create(&tids[i], &attr, worker_main, &ta[i]) != 0) {
			log_warn("pthread_create");
			worker_free(&ta[i].w);
			rc = 1;
			break;
		}
		started++;
	}
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		uint64_t one = 1;

		stopping = 1;
		if (write(srv.stop_fd, &one, sizeof(one)) < 0)
			log_warn("write(eventfd)");
	}
	for (i = 0; i < started; i++) {
		pthread_join(tids[i], NULL);
		worker_free(&ta[i].w);
	}
	free(ta);
	free(tids);
	close(srv.stop_fd);
	close(srv.sig_fd);
	close(srv.epfd);
	return rc;
}

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
	const char	*cl = getenv("CONTENT_LENGTH");
	long long	 want = 0, left;
	char		 junk[8192];
	size_t		 n;

	if (cl == NULL || parse_int(cl, 0, (long long)1 << 62, &want) < 0)
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
	struct req_io	io = { cgi_param, cgi_read, NULL };

	signal(SIGPIPE, SIG_IGN);
	if (worker_init(&w, app) < 0) {
		log_warnx("cannot initialise libcurl");
		return 1;
	}
	serve_one(&w, &io, cgi_put, NULL);
	cgi_drain();
	worker_free(&w);
	return 0;
}

/* ---- start-up -------------------------------------------------------- */

/*
 * --listen: a unix socket path (anything with a '/'), "host:port" or
 * ":port" (every address). Done here rather than by FCGX_OpenSocket,
 * which calls exit() itself on failure. Returns the fd, or -1 (logged).
 */
static int
open_listener(const char *addr)
{
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *res = NULL;
	const char		*colon;
	char			 host[256];
	int			 fd = -1, one = 1, rc;

	if (strchr(addr, '/') != NULL) {
		if (strlen(addr) >= sizeof(sun.sun_path)) {
			log_warnx("--listen %s: path too long", addr);
			return -1;
		}
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, addr, strlen(addr) + 1);
		(void)unlink(addr);	/* a stale socket of an earlier run */
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
		    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
		    listen(fd, LISTEN_BACKLOG) < 0)
			goto fail;
		return fd;
	}
	if ((colon = strrchr(addr, ':')) == NULL ||
	    (size_t)(colon - addr) >= sizeof(host)) {
		log_warnx("--listen %s: expected host:port, :port or a path", addr);
		return -1;
	}
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints,
	    &res)) != 0) {
		log_warnx("--listen %s: %s", addr, gai_strerror(rc));
		return -1;
	}
	if ((fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
	    res->ai_protocol)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0)
		goto fail;
	freeaddrinfo(res);
	return fd;
fail:
	log_warn("cannot listen on %s", addr);
	if (res != NULL)
		freeaddrinfo(res);
	if (fd >= 0)
		close(fd);
	return -1;
}

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
	if (check) {
		cfg_report_all(&app.cfg, stdout);
		rc = app.cfg.ok ? 0 : 1;
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
		if ((listen_fd = open_listener(listen_addr)) < 0) {
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
