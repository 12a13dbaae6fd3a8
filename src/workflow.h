/*
 * workflow.h - the meeting-ended jobs: for each booking Cal.com says has
 * ended, find its Notion page, ask Zoom who attended (the endpoint's own
 * code and rules), and write the verdict into the page's status.
 *
 * A job is tried at once, then again after WORKFLOW_RETRY_FIRST seconds,
 * doubling to at most 30 minutes, while Zoom does not have the meeting
 * yet, Notion has no page yet, or either is unavailable; until
 * WORKFLOW_MAX_WAIT after the booking's end. Errors no wait can cure
 * (credentials, scopes, a property missing) move the job to failed/ at
 * once, with what to fix. See spool.h for where jobs live.
 */
#ifndef ZA_WORKFLOW_H
#define ZA_WORKFLOW_H

#include <stdio.h>

#include "handler.h"
#include "request.h"

#define WF_BACKOFF_MAX_S	1800		/* retries at most 30 min apart */
#define WF_RESCAN_S		30		/* other processes' new jobs */
#define WF_KEEP_DONE_S		(30L * 86400)	/* finished jobs kept 30 days */

/*
 * Open the spool named by WORKFLOW_SPOOL_DIR into app (app->spool_ok).
 * When it cannot be used, the reason is logged and the route answers 503.
 * 0, or -1 when it could not be opened.
 */
int	 wf_open(struct app *app);
void	 wf_close(struct app *app);

/* FastCGI: start the process's job thread; stop and join it. */
int	 wf_start(struct app *app);
void	 wf_stop(struct app *app);

/* A new job was spooled: the job thread, if any, looks now. */
void	 wf_wake(struct app *app);

/* --drain: every due job once. 0, or 1 when the spool cannot be used. */
int	 wf_drain(struct app *app);

/* --jobs: the spool for an operator. 0, or 1. */
int	 wf_list(struct app *app, FILE *out);

/* --retry-failed [UID]: failed jobs (or one) back to pending, due now. */
int	 wf_retry_failed(struct app *app, const char *uid, FILE *out);

/*
 * The meeting a Notion property names: an id or UUID as the endpoint
 * takes them, or a join URL ("https://us02web.zoom.us/j/85746065432?pwd=").
 * 0, or -1.
 */
int	 wf_meeting_id(const char *text, struct meeting_id *id);

/* The delay before retry n (1, 2, ...): first * 2^(n-1), at most 30 min. */
long	 wf_backoff(long first, int n);

#endif
