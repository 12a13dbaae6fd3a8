/* zoom.c - what the token and participants clients share; see zoom.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "zoom.h"

void
zoom_count(struct zoom_info *info, const struct http_answer *a, int calls)
{
	info->calls += calls;
	if (a->trackingid[0] != '\0')
		memcpy(info->trackingid, a->trackingid, sizeof(info->trackingid));
}

enum zoom_err
zoom_transport_error(enum zhttp_err he, const struct zoom_http *h,
    const char *what, struct zoom_info *info)
{
	switch (he) {
	case ZHTTP_ETIMEOUT:
		snprintf(info->why, sizeof(info->why), "%s: timeout", what);
		return ZOOM_ETIMEOUT;
	case ZHTTP_ETOOBIG:
		snprintf(info->why, sizeof(info->why), "%s: answer too large",
		    what);
		return ZOOM_EBADRESP;
	case ZHTTP_ENOMEM:
		return ZOOM_ENOMEM;
	default:
		snprintf(info->why, sizeof(info->why), "%s: %.100s", what,
		    h->errbuf[0] ? h->errbuf : "no answer");
		return ZOOM_EUNAVAILABLE;
	}
}

long
zoom_retry_after(const struct http_answer *a)
{
	int	is_date;
	long	secs = zhttp_retry_after(a->retry_after, time(NULL), &is_date);

	return secs < 1 ? 1 : secs;	/* absent or past: try again soon */
}
