/*
 * test_metrics.c - the metrics counters: the text format (0.0.4), the
 * histogram's buckets, and the shared region: processes that map the same
 * file add to the same counters; a file of another layout is refused.
 */
#include <sys/stat.h>
#include <sys/poll.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "metrics.h"

static char	dir[64];
static char	path[96];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/za-metrics-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/metrics", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	metrics_reset();
	unlink(path);
	rmdir(dir);
	return 0;
}

/* The value of the sample line that starts with name (labels included). */
static long long
sample(const char *text, const char *name)
{
	const char	*p = text;
	size_t		 n = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return atoll(p + n + 1);
		p += n;
	}
	return -1;
}

static void
test_off(void **state)
{
	struct buf	b;

	(void)state;
	assert_int_equal(metrics_setup(path, 0), -1);
	assert_false(metrics_enabled());
	metrics_inc(M_RETRIES);
	metrics_request(MR_ATTENDANCE, 200);
	buf_init(&b, 1 << 20);
	assert_int_equal(metrics_write(&b), -1);
	buf_free(&b);
	assert_int_equal(access(path, F_OK), -1);	/* no file made */
}

static void
test_text_format(void **state)
{
	struct buf	 b;
	char		*line, *save, *copy;
	int		 i;

	(void)state;
	assert_int_equal(metrics_setup(NULL, 1), 1);	/* local */
	assert_true(metrics_enabled());
	assert_false(metrics_shared());
	for (i = 0; i < 3; i++)
		metrics_request(MR_ATTENDANCE, 200);
	metrics_request(MR_ATTENDANCE, 401);
	metrics_request(MR_HEALTHZ, 200);
	metrics_request(MR_ATTENDANCE, 418);		/* not a listed status */
	metrics_observe_ms(MR_ATTENDANCE, 3);		/* le 0.005 */
	metrics_observe_ms(MR_ATTENDANCE, 5);		/* le 0.005: inclusive */
	metrics_observe_ms(MR_ATTENDANCE, 120);		/* le 0.250 */
	metrics_observe_ms(MR_ATTENDANCE, 60000);	/* +Inf only */
	metrics_zoom_call(MZ_PARTICIPANTS, MO_OK);
	metrics_zoom_call(MZ_TOKEN, MO_RATE_LIMITED);
	metrics_inc(M_TOKEN_FETCHES);
	metrics_inc(M_TOKEN_FETCHES);
	buf_init(&b, 1 << 20);
	assert_int_equal(metrics_write(&b), 0);

	assert_int_equal(sample(b.data,
	    "za_requests_total{route=\"attendance\",status=\"200\"}"), 3);
	assert_int_equal(sample(b.data,
	    "za_requests_total{route=\"attendance\",status=\"401\"}"), 1);
	assert_int_equal(sample(b.data,
	    "za_requests_total{route=\"attendance\",status=\"other\"}"), 1);
	assert_int_equal(sample(b.data,
	    "za_requests_total{route=\"healthz\",status=\"200\"}"), 1);
	/* A route/status never seen has no line. */
	assert_int_equal(sample(b.data,
	    "za_requests_total{route=\"metrics\",status=\"200\"}"), -1);
	assert_int_equal(sample(b.data, "za_request_duration_seconds_bucket"
	    "{route=\"attendance\",le=\"0.005\"}"), 2);
	assert_int_equal(sample(b.data, "za_request_duration_seconds_bucket"
	    "{route=\"attendance\",le=\"0.100\"}"), 2);
	assert_int_equal(sample(b.data, "za_request_duration_seconds_bucket"
	    "{route=\"attendance\",le=\"0.250\"}"), 3);
	assert_int_equal(sample(b.data, "za_request_duration_seconds_bucket"
	    "{route=\"attendance\",le=\"10.000\"}"), 3);
	assert_int_equal(sample(b.data, "za_request_duration_seconds_bucket"
	    "{route=\"attendance\",le=\"+Inf\"}"), 4);
	assert_int_equal(sample(b.data,
	    "za_request_duration_seconds_count{route=\"attendance\"}"), 4);
	assert_non_null(strstr(b.data, "\nza_request_duration_seconds_sum"
	    "{route=\"attendance\"} 60.128\n"));
	assert_int_equal(sample(b.data,
	    "za_zoom_calls_total{kind=\"participants\",outcome=\"ok\"}"), 1);
	assert_int_equal(sample(b.data,
	    "za_zoom_calls_total{kind=\"token\",outcome=\"rate_limited\"}"), 1);
	assert_int_equal(sample(b.data,
	    "za_zoom_calls_total{kind=\"meeting\",outcome=\"ok\"}"), 0);
	assert_int_equal(sample(b.data, "za_zoom_token_fetches_total"), 2);
	assert_int_equal(sample(b.data, "za_zoom_retries_total"), 0);
	assert_int_equal(sample(b.data, "za_metrics_shared"), 0);

	/* Every line: a comment (HELP/TYPE), or name[{labels}] value. */
	assert_int_equal(b.data[b.len - 1], '\n');
	copy = strdup(b.data);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		const char *sp = strrchr(line, ' ');

		if (line[0] == '#') {
			assert_true(strncmp(line, "# HELP za_", 10) == 0 ||
			    strncmp(line, "# TYPE za_", 10) == 0);
			continue;
		}
		assert_true(strncmp(line, "za_", 3) == 0);
		assert_non_null(sp);
		assert_true(strspn(sp + 1, "0123456789.") == strlen(sp + 1));
		assert_null(strchr(line, '\t'));
	}
	free(copy);
	buf_free(&b);

	/* A full buffer is an error, not a cut exposition. */
	buf_init(&b, 64);
	assert_int_equal(metrics_write(&b), -1);
	buf_free(&b);
}

static void
test_zoom_kind(void **state)
{
	(void)state;
	assert_int_equal(metrics_zoom_kind("POST", "https://zoom.us/oauth/token"),
	    MZ_TOKEN);
	assert_int_equal(metrics_zoom_kind("GET", "https://api.zoom.us/v2/"
	    "past_meetings/abc%2F%2F/participants?page_size=300"),
	    MZ_PARTICIPANTS);
	assert_int_equal(metrics_zoom_kind("GET", "https://api.zoom.us/v2/"
	    "past_meetings/123/instances"), MZ_INSTANCES);
	assert_int_equal(metrics_zoom_kind("GET", "https://api.zoom.us/v2/"
	    "past_meetings/123"), MZ_MEETING);
	assert_int_equal(metrics_zoom_kind("GET", "https://x/v2/meetings/1"
	    "?next=/participants"), MZ_MEETING);	/* the query is not the path */
	assert_int_equal(metrics_http_outcome(200), MO_OK);
	assert_int_equal(metrics_http_outcome(401), MO_UNAUTHORIZED);
	assert_int_equal(metrics_http_outcome(429), MO_RATE_LIMITED);
	assert_int_equal(metrics_http_outcome(404), MO_CLIENT_ERROR);
	assert_int_equal(metrics_http_outcome(503), MO_SERVER_ERROR);
}

#define CHILDREN	4
#define ROUNDS		50000

/*
 * Processes mapping one file (each on its own, as spawn-fcgi's) add up.
 * All of them hold the mapping at once: none waits for another to exit.
 */
static void
test_shared_processes(void **state)
{
	struct buf	b;
	struct stat	st;
	struct pollfd	pfd;
	pid_t		pid[CHILDREN];
	int		i, n, status, ready[2], go[2];
	char		c;

	(void)state;
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	for (i = 0; i < CHILDREN; i++) {
		assert_true((pid[i] = fork()) >= 0);
		if (pid[i] == 0) {
			close(ready[0]);
			close(go[1]);
			if (metrics_setup(path, 1) != 0)
				_exit(2);
			/* Mapped; run only once every child is. */
			if (write(ready[1], "r", 1) != 1 ||
			    read(go[0], &c, 1) != 0)
				_exit(3);
			for (n = 0; n < ROUNDS; n++) {
				metrics_request(MR_ATTENDANCE, 200);
				metrics_observe_ms(MR_ATTENDANCE, n % 50);
				metrics_inc(M_RETRIES);
			}
			metrics_request(MR_HEALTHZ, 200);
			_exit(0);
		}
	}
	close(ready[1]);
	close(go[0]);
	pfd.fd = ready[0];
	pfd.events = POLLIN;
	for (n = 0; n < CHILDREN; n++) {
		if (poll(&pfd, 1, 10000) != 1 || read(ready[0], &c, 1) != 1)
			break;
	}
	for (i = 0; n < CHILDREN && i < CHILDREN; i++)
		kill(pid[i], SIGKILL);
	assert_int_equal(n, CHILDREN);	/* every child mapped the file */
	close(go[1]);			/* go */
	close(ready[0]);
	for (i = 0; i < CHILDREN; i++) {
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(metrics_setup(path, 1), 0);
	assert_true(metrics_shared());
	buf_init(&b, 1 << 20);
	assert_int_equal(metrics_write(&b), 0);
	assert_int_equal(sample(b.data,
	    "za_requests_total{route=\"attendance\",status=\"200\"}"),
	    CHILDREN * ROUNDS);
	assert_int_equal(sample(b.data,
	    "za_requests_total{route=\"healthz\",status=\"200\"}"), CHILDREN);
	assert_int_equal(sample(b.data, "za_zoom_retries_total"),
	    CHILDREN * ROUNDS);
	assert_int_equal(sample(b.data,
	    "za_request_duration_seconds_count{route=\"attendance\"}"),
	    CHILDREN * ROUNDS);
	assert_int_equal(sample(b.data, "za_metrics_shared"), 1);
	buf_free(&b);
	metrics_reset();
}

/* A file of another layout, or open to others, is not used. */
static void
test_shared_refused(void **state)
{
	FILE		*f;
	char		 zeros[4096];

	(void)state;
	memset(zeros, 0, sizeof(zeros));
	/* Wrong size. */
	assert_non_null(f = fopen(path, "w"));
	fputs("not metrics", f);
	fclose(f);
	chmod(path, 0600);
	assert_int_equal(metrics_setup(path, 1), 1);
	assert_true(metrics_enabled());
	assert_false(metrics_shared());
	metrics_reset();
	/* Right size (made by a first setup), then the magic overwritten. */
	unlink(path);
	assert_int_equal(metrics_setup(path, 1), 0);
	metrics_reset();
	assert_non_null(f = fopen(path, "r+"));
	fwrite(zeros, 1, 8, f);
	fclose(f);
	assert_int_equal(metrics_setup(path, 1), 1);
	metrics_reset();
	/* Readable by others. */
	unlink(path);
	assert_int_equal(metrics_setup(path, 1), 0);
	metrics_reset();
	chmod(path, 0644);
	assert_int_equal(metrics_setup(path, 1), 1);
	metrics_reset();
	/* A directory that does not exist. */
	assert_int_equal(metrics_setup("/nonexistent-za/metrics", 1), 1);
	metrics_reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_format, setup,
		    teardown),
		cmocka_unit_test(test_zoom_kind),
		cmocka_unit_test_setup_teardown(test_shared_processes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_shared_refused, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
