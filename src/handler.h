/*
 * handler.h - one request from parameters and body to a response.
 * Transport-free: main.c feeds it from FastCGI or from plain CGI.
 */
#ifndef ZA_HANDLER_H
#define ZA_HANDLER_H

#include "config.h"
#include "request.h"
#include "spool.h"
#include "response.h"
#include "zoom_api.h"
#include "zoom_client.h"
#include "zoom_token.h"

struct wf_runner;

/* Process-wide state, built before the first request. */
struct app {
	struct config		 cfg;
	struct zoom_tokens	 tokens;	/* valid when cfg.ok */
	const char		*words[ATT__STATUS_MAX]; /* status words, from cfg */
	struct spool		 spool;		/* when cfg.workflow and spool_ok */
	int			 spool_ok;
	int			 spool_lazy;	/* CGI: opened by the webhook */
	struct wf_runner	*runner;	/* FastCGI's job thread, or NULL */
};

/* Point app->words at the configured status words (after cfg_load). */
void	 app_words(struct app *app);

/* Per-thread state. */
struct worker {
	struct app		*app;
	struct zoom_client	 zoom;		/* this thread's Zoom client */
	struct buf		 body;		/* request body, reused */
	struct buf		 wire;		/* serialised answer, reused */
	struct zapi_scratch	 scratch;	/* Zoom client buffers, reused */
	struct att_rows		 rows;		/* the meeting's rows, reused */
};

/* How the handler reads the request; ctx is the transport's. */
struct req_io {
	const char	*(*param)(void *ctx, const char *name); /* NULL if unset */
	/*
	 * Up to len bytes of body: count, 0 at its end, -1 when it cannot
	 * be read (the request's deadline passed, the connection broke).
	 */
	long		 (*read)(void *ctx, char *buf, size_t len);
	void		*ctx;
	int		 end_marked;	/* the body's end is marked (FastCGI) */
};

int	 worker_init(struct worker *w, struct app *app);
void	 worker_free(struct worker *w);

/*
 * Ask Zoom about a meeting: the participants (merged) into body and, when
 * rq names a coach or a client, the verdict into res. *absent when that
 * verdict only says Zoom has no trace of the meeting (no rows, no
 * record). RESP_OK, or the error kind (info says why, and for
 * RESP_RATE_LIMITED and RESP_ATTENDANCE_NOT_READY, when to retry).
 */
enum resp_kind	 zoom_attendance(struct worker *w, const struct req_body *rq,
		     int64_t deadline, struct buf *body, struct att_result *res,
		     int *absent, struct zoom_info *info);

/* Fill resp (initialised by the caller) and log one line. */
void	 handle_request(struct worker *w, const struct req_io *io,
	     struct response *resp);

/*
 * Handle the request and hand the whole answer (CGI header lines and
 * body) to put in one call; ctx is put's.
 */
void	 handle_and_send(struct worker *w, const struct req_io *io,
	     int (*put)(void *ctx, const char *data, size_t len), void *ctx);

#endif
