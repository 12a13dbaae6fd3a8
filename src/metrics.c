/*
 * metrics.c - shared counters and their Prometheus text exposition.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

#define M_MAGIC		UINT64_C(0x7a612d6d65747231)	/* "za-metr1" */
#define M_VERSION	1u

static const int statuses[] = {
	200, 202, 400, 401, 404, 405, 408, 413, 415, 500, 502, 503, 504
};
#define M_STATUSES	(sizeof(statuses) / sizeof(statuses[0]) + 1) /* + other */

/* Upper bounds of the latency buckets, in milliseconds; the last is +Inf. */
static const int64_t bounds_ms[METRICS_BUCKETS - 1] = {
	5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};

struct m_region {
	uint64_t	magic;
	uint32_t	version;
	uint32_t	size;		/* sizeof(struct m_region) */
	uint64_t	c[M__MAX];
	uint64_t	req[MR__MAX][M_STATUSES];
	uint64_t	lat[MR__MAX][METRICS_BUCKETS];	/* not cumulative */
	uint64_t	lat_sum_ms[MR__MAX];
	uint64_t	zoom[MZ__MAX][MO__MAX];
};

static struct m_region	 local;
static struct m_region	*R;		/* NULL: off */
static int		 shared;

static const char *const metric_names[M__MAX] = {
	"za_zoom_token_fetches_total",
	"za_zoom_retries_total",
	"za_zoom_401_refreshes_total",
	"za_zoom_rate_limited_total",
	"za_workflow_jobs_done_total",
	"za_workflow_jobs_failed_total",
	"za_workflow_jobs_retried_total",
	"za_workflow_jobs_accepted_total",
};
static const char *const metric_help[M__MAX] = {
	"Token endpoint exchanges started.",
	"HTTP attempts to Zoom repeated after a transient failure.",
	"401 answers from Zoom followed by a fresh token and one more try.",
	"429 answers from Zoom.",
	"Workflow jobs finished as done.",
	"Workflow jobs finished as failed.",
	"Workflow jobs left pending for a later try.",
	"Webhook jobs written to the spool.",
};
static const char *const route_names[MR__MAX] = {
	"attendance", "meeting_ended", "healthz", "metrics"
};
static const char *const kind_names[MZ__MAX] = {
	"token", "participants", "meeting", "instances"
};
static const char *const outcome_names[MO__MAX] = {
	"ok", "unauthorized", "rate_limited", "client_error", "server_error",
	"timeout", "transport"
};

static void
add(uint64_t *slot, uint64_t n)
{
	__atomic_add_fetch(slot, n, __ATOMIC_RELAXED);
}

static uint64_t
get(const uint64_t *slot)
{
	return __atomic_load_n(slot, __ATOMIC_RELAXED);
}

/* Map path, creating it; NULL with why set when it cannot be used. */
static struct m_region *
map_file(const char *path, const char **why)
{
	struct m_region	*m = MAP_FAILED;
	struct stat	 st;
	int		 fd, fresh = 0;

	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK, 0600)) < 0) {
		*why = strerror(errno);
		return NULL;
	}
	if (flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0) {
		*why = strerror(errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		*why = "not a regular file of ours with mode 0600";
		goto out;
	}
	if (st.st_size == 0) {
		if (ftruncate(fd, sizeof(*m)) < 0) {
			*why = strerror(errno);
			goto out;
		}
		fresh = 1;
	} else if (st.st_size != (off_t)sizeof(*m)) {
		*why = "another layout (its size differs)";
		goto out;
	}
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		*why = strerror(errno);
		goto out;
	}
	if (fresh) {
		m->version = M_VERSION;
		m->size = sizeof(*m);
		__atomic_store_n(&m->magic, M_MAGIC, __ATOMIC_RELEASE);
	} else if (__atomic_load_n(&m->magic, __ATOMIC_ACQUIRE) != M_MAGIC ||
	    m->version != M_VERSION || m->size != sizeof(*m)) {
		*why = "another layout (magic, version or size)";
		munmap(m, sizeof(*m));
		m = MAP_FAILED;
	}
out:
	/* Unlock by hand: the mapping keeps the open file, and its lock. */
	flock(fd, LOCK_UN);
	close(fd);
	return m == MAP_FAILED ? NULL : m;
}

int
metrics_setup(const char *path, int enabled)
{
	const char	*why = NULL;

	metrics_reset();
	if (!enabled)
		return -1;
	if (path != NULL && (R = map_file(path, &why)) != NULL) {
		shared = 1;
		return 0;
	}
	if (path != NULL)
		log_warnx("metrics: METRICS_FILE cannot be used (%s): counting "
		    "in this process only", why);
	memset(&local, 0, sizeof(local));
	R = &local;
	return 1;
}

void
metrics_reset(void)
{
	if (R != NULL && R != &local)
		munmap(R, sizeof(*R));
	R = NULL;
	shared = 0;
}

int
metrics_enabled(void)
{
	return R != NULL;
}

int
metrics_shared(void)
{
	return shared;
}

void
metrics_inc(enum metric m)
{
	if (R != NULL && (unsigned)m < M__MAX)
		add(&R->c[m], 1);
}

static size_t
status_slot(int status)
{
	size_t	i;

	for (i = 0; i < M_STATUSES - 1; i++)
		if (statuses[i] == status)
			return i;
	return M_STATUSES - 1;
}

void
metrics_request(enum m_route r, int status)
{
	if (R != NULL && (unsigned)r < MR__MAX)
		add(&R->req[r][status_slot(status)], 1);
}

void
metrics_observe_ms(enum m_route r, int64_t ms)
{
	size_t	i;

	if (R == NULL || (unsigned)r >= MR__MAX)
		return;
	if (ms < 0)
		ms = 0;
	for (i = 0; i < METRICS_BUCKETS - 1 && ms > bounds_ms[i]; i++)
		;
	add(&R->lat[r][i], 1);
	add(&R->lat_sum_ms[r], (uint64_t)ms);
}

void
metrics_zoom_call(enum m_zoom_kind k, enum m_outcome o)
{
	if (R != NULL && (unsigned)k < MZ__MAX && (unsigned)o < MO__MAX)
		add(&R->zoom[k][o], 1);
}

enum m_zoom_kind
metrics_zoom_kind(const char *method, const char *url)
{
	const char	*q;
	size_t		 n;

	if (method != NULL && strcmp(method, "POST") == 0)
		return MZ_TOKEN;
	if (url == NULL)
		return MZ_MEETING;
	n = (q = strchr(url, '?')) != NULL ? (size_t)(q - url) : strlen(url);
	if (memmem(url, n, "/participants", 13) != NULL)
		return MZ_PARTICIPANTS;
	if (memmem(url, n, "/instances", 10) != NULL)
		return MZ_INSTANCES;
	return MZ_MEETING;
}

enum m_outcome
metrics_http_outcome(long status)
{
	if (status >= 200 && status < 300)
		return MO_OK;
	if (status == 401)
		return MO_UNAUTHORIZED;
	if (status == 429)
		return MO_RATE_LIMITED;
	if (status >= 400 && status < 500)
		return MO_CLIENT_ERROR;
	if (status >= 500)
		return MO_SERVER_ERROR;
	return MO_TRANSPORT;
}

static int
status_label(size_t i, char *out, size_t len)
{
	if (i < M_STATUSES - 1)
		return snprintf(out, len, "%d", statuses[i]);
	return snprintf(out, len, "other");
}

int
metrics_write(struct buf *b)
{
	char		 st[16], le[24];
	uint64_t	 cum, v;
	size_t		 i, j;
	int		 rc = 0;

	if (R == NULL)
		return -1;
	rc |= buf_printf(b, "# HELP za_metrics_shared 1 when every worker "
	    "process adds to the same counters.\n# TYPE za_metrics_shared "
	    "gauge\nza_metrics_shared %d\n", shared) != BUF_OK;
	rc |= buf_addstr(b, "# HELP za_requests_total Requests answered, by "
	    "route and status.\n# TYPE za_requests_total counter\n") != BUF_OK;
	for (i = 0; i < MR__MAX; i++)
		for (j = 0; j < M_STATUSES; j++) {
			if ((v = get(&R->req[i][j])) == 0)
				continue;
			status_label(j, st, sizeof(st));
			rc |= buf_printf(b, "za_requests_total{route=\"%s\","
			    "status=\"%s\"} %" PRIu64 "\n", route_names[i], st,
			    v) != BUF_OK;
		}
	rc |= buf_addstr(b, "# HELP za_request_duration_seconds Time from a "
	    "request's start to its answer, by route.\n"
	    "# TYPE za_request_duration_seconds histogram\n") != BUF_OK;
	for (i = 0; i < MR__MAX; i++) {
		for (cum = 0, j = 0; j < METRICS_BUCKETS; j++) {
			cum += get(&R->lat[i][j]);
			if (j < METRICS_BUCKETS - 1)
				snprintf(le, sizeof(le), "%.3f",
				    (double)bounds_ms[j] / 1000.0);
			else
				snprintf(le, sizeof(le), "+Inf");
			rc |= buf_printf(b, "za_request_duration_seconds_bucket"
			    "{route=\"%s\",le=\"%s\"} %" PRIu64 "\n",
			    route_names[i], le, cum) != BUF_OK;
		}
		v = get(&R->lat_sum_ms[i]);
		rc |= buf_printf(b, "za_request_duration_seconds_sum{route="
		    "\"%s\"} %" PRIu64 ".%03" PRIu64 "\n"
		    "za_request_duration_seconds_count{route=\"%s\"} %" PRIu64
		    "\n", route_names[i], v / 1000, v % 1000, route_names[i],
		    cum) != BUF_OK;
	}
	rc |= buf_addstr(b, "# HELP za_zoom_calls_total HTTP attempts to Zoom, "
	    "by kind and outcome.\n# TYPE za_zoom_calls_total counter\n") !=
	    BUF_OK;
	for (i = 0; i < MZ__MAX; i++)
		for (j = 0; j < MO__MAX; j++)
			rc |= buf_printf(b, "za_zoom_calls_total{kind=\"%s\","
			    "outcome=\"%s\"} %" PRIu64 "\n", kind_names[i],
			    outcome_names[j], get(&R->zoom[i][j])) != BUF_OK;
	for (i = 0; i < M__MAX; i++)
		rc |= buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %"
		    PRIu64 "\n", metric_names[i], metric_help[i],
		    metric_names[i], metric_names[i], get(&R->c[i])) != BUF_OK;
	return rc ? -1 : 0;
}
