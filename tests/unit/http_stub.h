/*
 * http_stub.h - a canned HTTP/1.1 server on 127.0.0.1 for unit tests,
 * run in a thread: answer i goes to connection i, then it stops. Every
 * request it read is kept, in order, in requests.
 *
 * Header-only (static inline) because the Makefile links each
 * tests/unit/test_*.c with the module objects alone.
 */
#ifndef ZA_TEST_HTTP_STUB_H
#define ZA_TEST_HTTP_STUB_H

#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STUB_MAX_ANSWERS	8
#define STUB_HANG		"<hang>"	/* read the request, never answer */

struct stub {
	int		 fd;
	int		 port;
	pthread_t	 thread;
	const char	*answers[STUB_MAX_ANSWERS];
	size_t		 lens[STUB_MAX_ANSWERS];	/* 0: strlen (text) */
	int		 nanswers;
	int		 served;		/* connections accepted */
	char		 requests[16384];	/* every request, in order */
	size_t		 reqlen;
};

static inline void
stub_read_request(struct stub *s, int c)
{
	char	 buf[4096], *hdr_end, *cl;
	size_t	 n = 0, want = 0;
	ssize_t	 r;

	for (;;) {
		if (n >= sizeof(buf) - 1)
			break;
		if ((r = recv(c, buf + n, sizeof(buf) - 1 - n, 0)) <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		if ((hdr_end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		if (want == 0 &&
		    (cl = strcasestr(buf, "\r\nContent-Length:")) != NULL &&
		    cl < hdr_end)
			want = (size_t)(hdr_end + 4 - buf) +
			    strtoul(cl + 17, NULL, 10);
		if (n >= want)
			break;
	}
	if (s->reqlen + n < sizeof(s->requests)) {
		memcpy(s->requests + s->reqlen, buf, n);
		s->reqlen += n;
		s->requests[s->reqlen] = '\0';
	}
}

static inline void *
stub_serve(void *arg)
{
	struct stub	*s = arg;
	struct timeval	 tv = { 5, 0 };
	char		 drain[256];
	int		 c, i;

	for (i = 0; i < s->nanswers; i++) {
		if ((c = accept(s->fd, NULL, NULL)) < 0)
			break;
		s->served++;
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		stub_read_request(s, c);
		if (strcmp(s->answers[i], STUB_HANG) == 0) {
			/* Until the client gives up and closes. */
			while (recv(c, drain, sizeof(drain), 0) > 0)
				;
		} else
			(void)!write(c, s->answers[i], s->lens[i] ? s->lens[i] :
			    strlen(s->answers[i]));
		close(c);
	}
	return NULL;
}

/*
 * Listen on 127.0.0.1, an ephemeral port. 0, or -1. lens: each answer's
 * length, for answers holding NUL bytes (gzip); NULL for text answers.
 */
static inline int
stub_start_bin(struct stub *s, const char *const *answers,
    const size_t *lens, int n)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			i, one = 1;

	memset(s, 0, sizeof(*s));
	if (n > STUB_MAX_ANSWERS)
		return -1;
	for (i = 0; i < n; i++) {
		s->answers[i] = answers[i];
		s->lens[i] = lens != NULL ? lens[i] : 0;
	}
	s->nanswers = n;
	if ((s->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(s->fd, 8) < 0 ||
	    getsockname(s->fd, (struct sockaddr *)&sin, &len) < 0 ||
	    pthread_create(&s->thread, NULL, stub_serve, s) != 0) {
		close(s->fd);
		return -1;
	}
	s->port = ntohs(sin.sin_port);
	return 0;
}

static inline int
stub_start(struct stub *s, const char *const *answers, int n)
{
	return stub_start_bin(s, answers, NULL, n);
}

/* Stop accepting, wait for the thread. requests stays readable. */
static inline void
stub_stop(struct stub *s)
{
	shutdown(s->fd, SHUT_RDWR);	/* wakes accept() */
	pthread_join(s->thread, NULL);
	close(s->fd);
}

static inline void
stub_url(const struct stub *s, const char *path, char *out, size_t len)
{
	snprintf(out, len, "http://127.0.0.1:%d%s", s->port, path);
}

/* How many times needle occurs in the requests. */
static inline int
stub_count(const struct stub *s, const char *needle)
{
	const char	*p = s->requests;
	int		 n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

#endif
