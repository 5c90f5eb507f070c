/*
 * prefork.h - the process model of the four FastCGI programs.
 *
 * The listen socket is fd 0 when that is a socket (spawn-fcgi, systemd
 * Accept=no) or a unix socket created at --socket PATH with --socket-mode
 * (default 0660) and --socket-group (so nginx's user can connect).  The
 * parent forks --children N (default 2) single-threaded children, respawns
 * one that dies (with a delay when they die too fast), and on SIGTERM/SIGINT
 * passes SIGTERM to the children and waits: a child finishes the request in
 * flight, then exits.  Signal handlers only set flags.
 */
#ifndef HUB_PREFORK_H
#define HUB_PREFORK_H

struct hub_prefork_opts {
	const char	*socket_path;   /* NULL: use fd 0 */
	unsigned	 socket_mode;
	const char	*socket_group;  /* NULL: leave the group */
	int		 children;
	int		 backlog;
};

/* Parse --socket, --socket-mode, --socket-group, --children; 0 ok, -1 with
 * a message on stderr. */
int	hub_prefork_args(int argc, char **argv, struct hub_prefork_opts *);
/* Open the listen socket; returns fd or -1 (message logged). */
int	hub_prefork_listen(const struct hub_prefork_opts *);
/* Run children calling child(listen_fd, arg) until SIGTERM; returns the
 * exit status for main.  child returns its own exit status. */
int	hub_prefork_run(const struct hub_prefork_opts *, int listen_fd,
	    int (*child)(int listen_fd, void *arg), void *arg);
/* In a child: has shutdown been asked? */
int	hub_prefork_stopping(void);

#endif
