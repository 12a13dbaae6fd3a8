/*
 * test_deadline.c - a request's whole deadline: a peer that drip-feeds
 * one byte at a time, each well within any per-read timeout, is cut at
 * the deadline (a blocked read returns 0), over a unix socket pair and
 * over TCP on 127.0.0.1; a thread busy with its own work is not cut, but
 * is at its next read; a request that ends in time keeps its connection.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "deadline.h"
#include "util.h"

#define DRIP_MS		40	/* between two bytes of the peer */
#define GIVE_UP_MS	5000	/* a read loop not cut by then fails */

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A connected pair: a unix socket pair, or TCP over 127.0.0.1. */
static void
connected_pair(int tcp, int sv[2])
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 lfd;

	if (!tcp) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		return;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((lfd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	assert_true((sv[1] = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(connect(sv[1], (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	assert_true((sv[0] = accept(lfd, NULL, NULL)) >= 0);
	close(lfd);
}

/* The peer: one byte every DRIP_MS until stopped or refused. */
struct dripper {
	pthread_t	 thread;
	int		 fd;
	int		 stop;
	int		 sent;
	int		 running;	/* to join */
};

/*
 * File-scope, so that a failed assertion (cmocka jumps out of the test)
 * leaves nothing running on a dead stack frame: teardown stops them.
 */
static struct dl_guard	 guard;
static struct dripper	 drippers[2];

static void *
drip(void *arg)
{
	struct dripper *d = arg;

	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
		if (send(d->fd, "x", 1, MSG_NOSIGNAL) != 1)
			break;
		d->sent++;
		sleep_ms(DRIP_MS);
	}
	return NULL;
}

static void
drip_start(struct dripper *d, int fd)
{
	memset(d, 0, sizeof(*d));
	d->fd = fd;
	assert_int_equal(pthread_create(&d->thread, NULL, drip, d), 0);
	d->running = 1;
}

static void
drip_stop(struct dripper *d)
{
	if (!d->running)
		return;
	__atomic_store_n(&d->stop, 1, __ATOMIC_RELEASE);
	pthread_join(d->thread, NULL);
	d->running = 0;
}

static int
teardown(void **state)
{
	(void)state;
	drip_stop(&drippers[0]);
	drip_stop(&drippers[1]);
	dl_stop(&guard);
	return 0;
}

/*
 * Read fd under slot s until a read returns 0 (cut) or GIVE_UP_MS pass;
 * now_ms() at the cut, or -1 when it never came.
 */
static int64_t
read_until_cut(struct dl_slot *s, int fd)
{
	int64_t	 t0 = now_ms();
	char	 c;
	ssize_t	 n;

	for (;;) {
		dl_reading(s, 1);
		n = read(fd, &c, 1);
		dl_reading(s, 0);
		if (n <= 0)
			return now_ms();
		if (now_ms() - t0 > GIVE_UP_MS)
			return -1;
	}
}

static void
drip_fed(int tcp)
{
	struct dl_slot	*s;
	struct dripper	*d = &drippers[0];
	struct timeval	 tv = { 1, 0 };	/* per read: never reached */
	int		 sv[2];
	int64_t		 begun, cut_at;

	connected_pair(tcp, sv);
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(dl_start(&guard, 2, 300), 0);
	s = dl_slot(&guard, 1);
	begun = now_ms();
	assert_int_equal(dl_begin(s, sv[0]), 0);
	drip_start(d, sv[1]);
	cut_at = read_until_cut(s, sv[0]);
	drip_stop(d);
	if (cut_at < 0)
		fail_msg("%s: %d bytes over %d ms and the reads go on",
		    tcp ? "TCP" : "unix", d->sent, GIVE_UP_MS);
	assert_true(cut_at - begun >= 300);
	assert_true(cut_at - begun < 1500);
	assert_true(d->sent >= 4);	/* it was fed, and read, until then */
	assert_int_equal(dl_end(s), 1);
	close(sv[0]);
	close(sv[1]);
}

static void
test_drip_fed_unix(void **state)
{
	(void)state;
	drip_fed(0);
}

static void
test_drip_fed_tcp(void **state)
{
	(void)state;
	drip_fed(1);
}

/* Busy with its own work past the deadline: cut at the next read only. */
static void
test_not_reading_not_cut(void **state)
{
	struct dl_slot	*s;
	int		 sv[2];
	char		 c;

	(void)state;
	connected_pair(0, sv);
	assert_int_equal(dl_start(&guard, 1, 150), 0);
	s = dl_slot(&guard, 0);
	assert_int_equal(dl_begin(s, sv[0]), 0);
	assert_false(dl_passed(s));
	dl_reading(s, 0);
	sleep_ms(400);
	assert_true(dl_passed(s));
	assert_int_equal(write(sv[1], "y", 1), 1);
	assert_int_equal(read(sv[0], &c, 1), 1);	/* not shut */
	assert_int_equal(c, 'y');
	dl_reading(s, 1);				/* shut now */
	assert_int_equal(read(sv[0], &c, 1), 0);
	assert_int_equal(dl_end(s), 1);
	close(sv[0]);
	close(sv[1]);
}

/* A request read whole in time: its connection serves the next one. */
static void
test_in_time_kept(void **state)
{
	struct dl_slot	*s;
	int		 sv[2], i;
	char		 buf[4];

	(void)state;
	connected_pair(1, sv);
	assert_int_equal(dl_start(&guard, 1, 200), 0);
	s = dl_slot(&guard, 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(dl_begin(s, sv[0]), 0);
		assert_int_equal(write(sv[1], "abc", 3), 3);
		assert_int_equal(read(sv[0], buf, 3), 3);
		assert_false(dl_passed(s));
		assert_int_equal(dl_end(s), 0);
		sleep_ms(300);	/* idle between requests: no deadline */
	}
	assert_int_equal(write(sv[1], "d", 1), 1);
	assert_int_equal(read(sv[0], buf, 1), 1);
	close(sv[0]);
	close(sv[1]);
}

/* Two requests begun 250 ms apart are each cut at their own deadline. */
struct reader {
	pthread_t	 thread;
	struct dl_slot	*slot;
	int		 fd;
	int64_t		 cut_at;	/* now_ms(), or -1 */
};

static void *
read_thread(void *arg)
{
	struct reader *r = arg;

	r->cut_at = read_until_cut(r->slot, r->fd);
	return NULL;
}

static void
test_each_its_own_deadline(void **state)
{
	static struct reader	 r[2];	/* see drippers */
	int			 sv[2][2], i;
	int64_t			 begun[2];

	(void)state;
	assert_int_equal(dl_start(&guard, 2, 500), 0);
	for (i = 0; i < 2; i++) {
		if (i == 1)
			sleep_ms(250);
		connected_pair(i, sv[i]);
		r[i].slot = dl_slot(&guard, i);
		r[i].fd = sv[i][0];
		begun[i] = now_ms();
		assert_int_equal(dl_begin(r[i].slot, sv[i][0]), 0);
		drip_start(&drippers[i], sv[i][1]);
		assert_int_equal(pthread_create(&r[i].thread, NULL,
		    read_thread, &r[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(r[i].thread, NULL);
	for (i = 0; i < 2; i++) {
		drip_stop(&drippers[i]);
		assert_true(r[i].cut_at >= 0);
		assert_true(r[i].cut_at - begun[i] >= 500);
		assert_true(r[i].cut_at - begun[i] < 1200);
		assert_int_equal(dl_end(r[i].slot), 1);
		close(sv[i][0]);
		close(sv[i][1]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_drip_fed_unix, teardown),
		cmocka_unit_test_teardown(test_drip_fed_tcp, teardown),
		cmocka_unit_test_teardown(test_not_reading_not_cut, teardown),
		cmocka_unit_test_teardown(test_in_time_kept, teardown),
		cmocka_unit_test_teardown(test_each_its_own_deadline, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
