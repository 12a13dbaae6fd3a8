/*
 * cal_webhook.h - Cal.com's MEETING_ENDED webhook: its signature and its
 * payload (../shared/zoom-api.md section 7). No I/O: the route
 * (handler.c) reads the body and the spool (spool.c) keeps the job.
 */
#ifndef ZA_CAL_WEBHOOK_H
#define ZA_CAL_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "job.h"

#define CAL_MAX_BODY	(256 * 1024)	/* larger bodies get 413 */
#define CAL_SIG_HEADER	"HTTP_X_CAL_SIGNATURE_256"
#define CAL_NO_SECRET	"no-secret-provided"	/* Cal.com's unsigned value */

enum cal_sig {
	CAL_SIG_OK,		/* the HMAC of the body with our secret */
	CAL_SIG_UNSIGNED,	/* none, accepted: CAL_ALLOW_UNSIGNED=1 */
	CAL_SIG_BAD,
	CAL_SIG__UNCHECKED	/* not looked at (for the log) */
};

/*
 * header: X-Cal-Signature-256 as received (NULL when absent); secret:
 * CAL_WEBHOOK_SECRET or NULL. The signature must be the lowercase hex
 * HMAC-SHA256 of the exact body, compared in constant time. A missing
 * header or "no-secret-provided" passes only with allow_unsigned.
 */
enum cal_sig	 cal_check_signature(const char *secret, int allow_unsigned,
		     const char *header, const char *body, size_t len);

enum cal_parse {
	CAL_OK,			/* a MEETING_ENDED job in *j */
	CAL_IGNORED,		/* another trigger event */
	CAL_EJSON,		/* not JSON, or not an object */
	CAL_EPAYLOAD,		/* a field is wrong: *field names it */
	CAL_EUID		/* no usable booking uid */
};

/*
 * Read the payload, flat ({"triggerEvent", "uid", ...}) or wrapped
 * ({"triggerEvent", "createdAt", "payload": {"uid", ...}}): the booking's
 * uid, startTime, endTime, organizer (the coach) and first attendee (the
 * client). now and max_wait set the job's times: it is due at once and
 * waits for Zoom until endTime (or now) + max_wait.
 */
enum cal_parse	 cal_parse(const char *body, size_t len, int64_t now,
		     long max_wait, struct job *j, const char **field);

#endif
