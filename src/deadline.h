/*
 * deadline.h - a whole deadline for each request read from a blocking
 * socket: from its first byte to its last, whatever the pace of the bytes
 * in between. See deadline.c.
 */
#ifndef ZA_DEADLINE_H
#define ZA_DEADLINE_H

#include <pthread.h>
#include <stdint.h>

/* One worker thread's request; used by that thread and the guard only. */
struct dl_slot {
	pthread_mutex_t	 mu;
	int		 fd;		/* a dup of the connection, or -1 */
	int		 reading;	/* its thread may block reading fd */
	int		 expired;	/* fd's reading side was shut */
	int64_t		 at;		/* now_ms() when the deadline passes */
	int64_t		 limit_ms;	/* a request's whole time */
};

/* The guard: one thread that shuts the requests past their deadline. */
struct dl_guard {
	pthread_t	 thread;
	pthread_mutex_t	 mu;		/* for cond and stop */
	pthread_cond_t	 cond;		/* signalled to stop */
	int		 stop;
	int		 started;	/* thread runs */
	struct dl_slot	*slots;		/* n, owned */
	int		 n;
	int64_t		 limit_ms;
};

/*
 * Make n slots, each request's deadline limit_ms after its first byte,
 * and start the guard's thread. 0, or -1 (nothing to free).
 */
int		 dl_start(struct dl_guard *g, int n, int64_t limit_ms);

/* Stop the thread and free the slots; every slot must be ended. */
void		 dl_stop(struct dl_guard *g);

/* Slot i (0 to n - 1), borrowed until dl_stop. */
struct dl_slot	*dl_slot(struct dl_guard *g, int i);

/*
 * A request on connection fd begins (its first byte has come): the
 * deadline runs from now, and fd is being read. The slot keeps a
 * duplicate of fd, so that the guard never touches a descriptor number
 * that was closed and given to another connection. 0, or -1 when fd
 * cannot be duplicated (errno set): do not serve that request.
 */
int		 dl_begin(struct dl_slot *s, int fd);

/*
 * The thread is about to block reading the connection (reading 1), or
 * works on its own (0): only reading can be cut. Resuming after the
 * deadline cuts at once.
 */
void		 dl_reading(struct dl_slot *s, int reading);

/* The deadline has passed (whether or not the request was cut). */
int		 dl_passed(struct dl_slot *s);

/* The request was cut: its connection's reading side is shut. */
int		 dl_cut(struct dl_slot *s);

/*
 * The request is over: the duplicate is closed. 1 when its reading was
 * cut (the connection cannot serve another request), else 0.
 */
int		 dl_end(struct dl_slot *s);

#endif
