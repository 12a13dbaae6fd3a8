/*
 * fcgi_server.h - serving FastCGI (a listening socket shared with sibling
 * processes or our own) with worker threads; see fcgi_server.c.
 */
#ifndef ZA_FCGI_SERVER_H
#define ZA_FCGI_SERVER_H

#include "handler.h"

/* --listen ADDRESS names a unix socket: it has a '/' ("./za.sock"). */
int	 fcgi_is_unix_path(const char *addr);

/*
 * --listen ADDRESS: a unix socket path, "host:port" or ":port".
 * socket_mode (--socket-mode): a unix socket's permission bits, or -1 to
 * leave them to the umask; not used for TCP. The listening fd, or -1 (the
 * reason is logged).
 */
int	 fcgi_listen(const char *addr, int socket_mode);

/* The socket systemd passed to this process (fd 3), or -1. */
int	 fcgi_systemd_socket(void);

/*
 * Serve FastCGI on listen_fd with app->cfg.threads threads until SIGTERM,
 * SIGHUP or SIGINT; requests in flight are finished. 0, or 1 when the
 * server could not start.
 */
int	 fcgi_serve(struct app *app, int listen_fd);

#endif
