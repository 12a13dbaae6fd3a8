/*
 * fcgi_server.c - FastCGI: the listening socket, and the worker threads
 * that serve every connection from one epoll set; a clean stop on
 * SIGTERM, SIGHUP and SIGINT.
 */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "deadline.h"
#include "fcgi_server.h"
#include "log.h"
#include "util.h"
#include "exchange.h"
#include "workflow.h"

#define THREAD_STACK	(256 * 1024)	/* handler frames are small */
#define LISTEN_BACKLOG	1024
#define SD_LISTEN_FD	3		/* systemd socket activation, sd_listen_fds(3) */

static volatile sig_atomic_t	 stopping;

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
 * connection whose request is already readable. From that first byte the
 * request has REQUEST_MS to arrive whole (deadline.c), however its bytes
 * are paced: a peer that sends slowly holds a thread no longer.
 */

#define IO_TIMEOUT_S	30	/* one read or write that makes no progress */
#define REQUEST_MS	30000	/* a request whole, first byte to last */
#define REQUEST_MS_MIN	100	/* the shortest ZA_TEST_REQUEST_MS */
#define DRAIN_MAX	(1024 * 1024) /* unread body discarded to keep a connection */
#define DRAIN_EVENTS	64	/* ready connections one thread serves when stopping */
#define GRACE_MS	3000	/* stopping: kept connections served at most this long */
#define QUIET_MS	250	/* ... until none of them has had a request this long */

struct fcgi_server {
	int			 epfd;
	int			 listen_fd;
	int			 sig_fd;	/* signalfd: SIGTERM, SIGHUP, SIGINT */
	int			 stop_fd;	/* eventfd, readable once stopping */
	struct dl_guard		 guard;		/* each request's deadline */
	int			 nthreads;	/* worker threads */
	int			 draining;	/* of which stopping (atomic) */
};

/* A request as the handler reads it. */
struct fcgi_ctx {
	FCGX_Request	*req;
	struct dl_slot	*deadline;	/* the serving thread's */
};

static const char *
fcgi_param(void *ctx, const char *name)
{
	return FCGX_GetParam(name, ((struct fcgi_ctx *)ctx)->req->envp);
}

/*
 * The body, under the request's deadline. A stream that broke (the
 * deadline cut it, the connection closed, a bad record) is -1, never
 * the body's end, which is the empty FCGI_STDIN record (FastCGI 1.0
 * section 5.3).
 */
static long
fcgi_read(void *ctx, char *buf, size_t len)
{
	struct fcgi_ctx	*c = ctx;
	int		 n;

	dl_reading(c->deadline, 1);
	n = FCGX_GetStr(buf, (int)len, c->req->in);
	dl_reading(c->deadline, 0);
	return n == 0 && FCGX_GetError(c->req->in) != 0 ? -1 : n;
}

static int
fcgi_put(void *ctx, const char *data, size_t len)
{
	return FCGX_PutStr(data, (int)len, ((FCGX_Request *)ctx)->out);
}

/* Add (op EPOLL_CTL_ADD) or change (EPOLL_CTL_MOD) fd's entry in epfd. */
static int
watch(int epfd, int fd, int op, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.fd = fd;
	return epoll_ctl(epfd, op, fd, &ev);
}

/*
 * Watch connection fd for its next request (op EPOLL_CTL_ADD for a new
 * one, EPOLL_CTL_MOD to re-arm); one thread is woken for it. A connection
 * that cannot be watched is closed.
 */
static void
arm_connection(struct fcgi_server *srv, int fd, int op)
{
	if (watch(srv->epfd, fd, op, EPOLLIN | EPOLLONESHOT) < 0) {
		log_warn("epoll_ctl");
		close(fd);
	}
}

/* Accept every pending connection and watch it for its first request. */
static void
accept_all(struct fcgi_server *srv)
{
	struct timeval		tv = { IO_TIMEOUT_S, 0 };
	int			fd, one = 1;

	for (;;) {
		fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			log_warn("accept");
			if (errno == EMFILE || errno == ENFILE) {
				/* Out of descriptors: the listener stays
				 * readable; pause rather than spin on it. */
				struct timespec ts = { 0, 50 * 1000000L };

				nanosleep(&ts, NULL);
			}
			return;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		/* Fails harmlessly on unix sockets. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		arm_connection(srv, fd, EPOLL_CTL_ADD);
	}
}

/*
 * Serve the request waiting on fd; keep or close the connection after.
 * Its deadline runs from now, its first byte, and covers every read: the
 * parameters, the body, the rest of the body drained, and libfcgi's wait
 * for the peer to close; not the handler's own work (Zoom's time).
 */
static void
serve_connection(struct fcgi_server *srv, struct worker *w,
    struct dl_slot *deadline, FCGX_Request *req, int fd)
{
	struct fcgi_ctx		 ctx = { req, deadline };
	struct req_io		 io = { fcgi_param, fcgi_read, &ctx, 1 };
	char			 junk[4096];
	long			 n, drained = 0;
	long long		 ms = (long long)deadline->limit_ms;
	int			 body_cut, late, cut;

	if (dl_begin(deadline, fd) < 0) {
		log_warn("fcntl(F_DUPFD_CLOEXEC) failed, connection dropped");
		close(fd);
		return;
	}
	req->ipcFd = fd;
	/* Else FCGX_Accept_r's opening FCGX_Finish_r would close fd. */
	req->keepConnection = 1;
	if (FCGX_Accept_r(req) < 0) {
		/* The web server closed it, or it was cut: fd is closed. */
		if (dl_end(deadline))
			log_warnx("deadline: a request's parameters not whole "
			    "after %lld ms: connection dropped", ms);
		return;
	}
	dl_reading(deadline, 0);
	handle_and_send(w, &io, fcgi_put, req);
	/* Answered before the body was read: read the rest, so that the
	 * stream is at a record boundary for the next request. */
	if (!FCGX_HasSeenEOF(req->in)) {
		dl_reading(deadline, 1);
		while ((n = FCGX_GetStr(junk, sizeof(junk), req->in)) > 0)
			if ((drained += n) > DRAIN_MAX) {
				req->keepConnection = 0;
				break;
			}
	}
	/* Cut short, not merely cut after its end had come (a late answer). */
	body_cut = dl_cut(deadline) && FCGX_GetError(req->in) != 0;
	/* Close it after this answer: stopping, or no time left to read
	 * (then libfcgi's wait for the peer's close ends at once). */
	if ((late = dl_passed(deadline)) != 0 || stopping)
		req->keepConnection = 0;
	dl_reading(deadline, 1);
	FCGX_Finish_r(req);
	cut = dl_end(deadline);
	if (body_cut)
		log_warnx("deadline: a request's body not whole after %lld ms: "
		    "connection dropped", ms);
	else if (cut && !late)
		log_warnx("deadline: a client still connected %lld ms after "
		    "its request began: connection closed", ms);
	if (req->ipcFd >= 0) {
		if (cut)
			close(fd);	/* its reading side is shut */
		else
			arm_connection(srv, fd, EPOLL_CTL_MOD);
	}
	req->ipcFd = -1;
}

/* Every thread stops: the stop fd is level-triggered and never read. */
static void
stop_all(struct fcgi_server *srv)
{
	uint64_t one = 1;

	stopping = 1;
	/* New connections wait in the backlog for the next process. */
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, srv->listen_fd, NULL);
	if (write(srv->stop_fd, &one, sizeof(one)) < 0)
		log_warn("write(eventfd)");
}

static void
begin_stop(struct fcgi_server *srv)
{
	struct signalfd_siginfo	 si;

	if (read(srv->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		log_warnx("signal %u: finishing requests in flight, then exiting",
		    si.ssi_signo);
	stop_all(srv);
}

struct thread_arg {
	struct fcgi_server	*srv;
	struct worker		 w;
	struct dl_slot		*deadline;	/* this thread's requests' */
};

/* A connection's event, as opposed to the listener and the control fds. */
static int
is_connection(const struct fcgi_server *srv, int fd)
{
	return fd != srv->stop_fd && fd != srv->sig_fd && fd != srv->listen_fd;
}

/*
 * Stopping. The web server keeps connections open to us (nginx
 * fastcgi_keep_conn) and may send its next request on one at any moment:
 * closing them all at once resets the requests on their way (seen: 1 to 7
 * of 4,000 requests lost to a restart under load, 502 from nginx). So for
 * a short grace every request that comes is served, and its connection
 * closed right after the answer, which tells the web server to open its
 * next one, to the next process; the grace ends once no request has come
 * for QUIET_MS (at most GRACE_MS). New connections are no longer accepted:
 * they wait in the listening socket's backlog (systemd's, or the one
 * spawn-fcgi passes on) for the next process.
 */
static void
drain(struct fcgi_server *srv, struct worker *w, struct dl_slot *deadline,
    FCGX_Request *req)
{
	struct epoll_event	evs[DRAIN_EVENTS];
	struct timespec		pause = { 0, 1000000L };
	int64_t			end = now_ms() + GRACE_MS;
	int64_t			quiet = now_ms() + QUIET_MS, wait;
	int			n, i, served;

	/* The last thread in: from now on only connections wake anyone. */
	if (__atomic_add_fetch(&srv->draining, 1, __ATOMIC_ACQ_REL) ==
	    srv->nthreads) {
		epoll_ctl(srv->epfd, EPOLL_CTL_DEL, srv->stop_fd, NULL);
		epoll_ctl(srv->epfd, EPOLL_CTL_DEL, srv->sig_fd, NULL);
	}
	while ((wait = (quiet < end ? quiet : end) - now_ms()) > 0) {
		n = epoll_wait(srv->epfd, evs, DRAIN_EVENTS, (int)wait);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (i = served = 0; i < n; i++)
			if (is_connection(srv, evs[i].data.fd)) {
				serve_connection(srv, w, deadline, req,
				    evs[i].data.fd);
				served = 1;
			}
		if (served)
			quiet = now_ms() + QUIET_MS;
		else if (n > 0)	/* the stop fd, until the last thread is in */
			nanosleep(&pause, NULL);
	}
}

/*
 * A request's whole time, REQUEST_MS. The tests shorten it with
 * ZA_TEST_REQUEST_MS (REQUEST_MS_MIN to REQUEST_MS), so that showing a
 * drip-fed request cut takes seconds, not half a minute; it can only be
 * shortened, and is no setting (--check-config does not list it).
 */
static int64_t
request_ms(void)
{
	long long ms;

	if (parse_int(getenv("ZA_TEST_REQUEST_MS"), REQUEST_MS_MIN, REQUEST_MS,
	    &ms) < 0)
		return REQUEST_MS;
	return ms;
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
			serve_connection(srv, &ta->w, ta->deadline, &req,
			    ev.data.fd);
	}
	drain(srv, &ta->w, ta->deadline, &req);
	FCGX_Free(&req, 0);
	return NULL;
}

int
fcgi_serve(struct app *app, int listen_fd)
{
	struct fcgi_server	 srv;
	struct thread_arg	*ta;
	pthread_t		*tids;
	pthread_attr_t		 attr;
	sigset_t		 stopset;
	int			 i, n = app->cfg.threads, started = 0, rc = 0, fl;

	memset(&srv, 0, sizeof(srv));
	srv.listen_fd = listen_fd;
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
	    watch(srv.epfd, listen_fd, EPOLL_CTL_ADD, EPOLLIN | EPOLLEXCLUSIVE) < 0 ||
	    watch(srv.epfd, srv.sig_fd, EPOLL_CTL_ADD, EPOLLIN) < 0 ||
	    watch(srv.epfd, srv.stop_fd, EPOLL_CTL_ADD, EPOLLIN) < 0) {
		log_warn("cannot set up the event loop");
		return 1;
	}

	srv.nthreads = n;
	/* Half the threads at most wait to retry; the rest keep serving. */
	xchg_set_retry_sleepers(n / 2);
	ta = calloc((size_t)n, sizeof(*ta));
	tids = calloc((size_t)n, sizeof(*tids));
	if (ta == NULL || tids == NULL || dl_start(&srv.guard, n,
	    request_ms()) < 0) {
		log_warn("cannot start the worker threads");
		free(ta);
		free(tids);
		return 1;
	}
	/*
	 * The meeting-ended jobs: one thread beside the workers, started
	 * first, so that app->runner is set before any request can wake it.
	 */
	if (wf_start(app) < 0) {
		log_warnx("cannot start the workflow's job thread");
		dl_stop(&srv.guard);
		free(ta);
		free(tids);
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	for (i = 0; i < n; i++) {
		ta[i].srv = &srv;
		ta[i].deadline = dl_slot(&srv.guard, i);
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
	if (rc != 0)
		stop_all(&srv);
	for (i = 0; i < started; i++) {
		pthread_join(tids[i], NULL);
		worker_free(&ta[i].w);
	}
	wf_stop(app);
	dl_stop(&srv.guard);
	free(ta);
	free(tids);
	close(srv.stop_fd);
	close(srv.sig_fd);
	close(srv.epfd);
	return rc;
}

int
fcgi_is_unix_path(const char *addr)
{
	return strchr(addr, '/') != NULL;
}

/*
 * --listen: a unix socket path, "host:port" or ":port" (every address).
 * Done here rather than by FCGX_OpenSocket, which calls exit() itself on
 * failure. socket_mode: the unix socket's permission bits, exactly, or -1
 * for what the umask leaves (unused for TCP). Returns the fd, or -1
 * (logged).
 */
int
fcgi_listen(const char *addr, int socket_mode)
{
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *res = NULL;
	const char		*colon;
	char			 host[256];
	mode_t			 old_umask = 0;
	int			 fd = -1, one = 1, rc;

	if (fcgi_is_unix_path(addr)) {
		if (strlen(addr) >= sizeof(sun.sun_path)) {
			log_warnx("--listen %s: path too long", addr);
			return -1;
		}
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, addr, strlen(addr) + 1);
		(void)unlink(addr);	/* a stale socket of an earlier run */
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			goto fail;
		/*
		 * The mode is set by the umask at bind, not by a chmod after
		 * it: the socket never exists with more permissions than asked.
		 * Start-up is single-threaded, so the umask is ours to change.
		 */
		if (socket_mode >= 0)
			old_umask = umask((mode_t)(~socket_mode & 0777));
		rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
		if (socket_mode >= 0)
			umask(old_umask);
		if (rc < 0 || listen(fd, LISTEN_BACKLOG) < 0)
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
int
fcgi_systemd_socket(void)
{
	const char	*pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	long long	 p, n;

	if (pid == NULL || fds == NULL || parse_int(pid, 1, 1LL << 31, &p) < 0 ||
	    parse_int(fds, 1, 64, &n) < 0 || (pid_t)p != getpid())
		return -1;
	return SD_LISTEN_FD;
}
