/*
 * prefork.c - listen socket and the parent that keeps N children alive.
 * See prefork.h.
 *
 * Why prefork and not threads: each child owns its PGconn and CURL handle
 * and serves one request at a time, so nothing is shared and nothing needs
 * a lock; a crash takes one request with it, and the parent starts a new
 * child.  (fcgiwrap's prefork(), kfcgi.)
 *
 * The parent blocks its signals and waits in pselect() with them unblocked,
 * so a signal arriving between "check the flags" and "wait" is never lost.
 */
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "base/common.h"
#include "base/log.h"
#include "web/prefork.h"

#define CHILDREN_MAX	256
#define QUICK_DEATH_MS	1000	/* a child that lived less than this died "fast" */
#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000
#define RESIGNAL_MS	2000	/* resend SIGTERM to children still alive */
#define STOP_GRACE_MS	30000	/* then SIGKILL */
#define CHILD_HEAP_KEEP	(8 * 1024 * 1024)	/* freed heap a child keeps */
#define CHILD_HEAP_PAD	(1024 * 1024)		/* grown at a time */

static volatile sig_atomic_t got_stop;     /* parent: SIGTERM/SIGINT */
static volatile sig_atomic_t got_hup;      /* parent: SIGHUP */
static volatile sig_atomic_t got_chld;     /* parent: SIGCHLD */
static volatile sig_atomic_t child_stop;   /* child: shutdown asked */

/* The socket file we created, so we remove that one and no other. */
static char	 made_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static dev_t	 made_dev;
static ino_t	 made_ino;

/* ------------------------------------------------------------ arguments */

enum opt_id {
	OPT_SOCKET,
	OPT_SOCKET_MODE,
	OPT_SOCKET_GROUP,
	OPT_CHILDREN,
	OPT_BACKLOG,
	OPT__MAX,
};

static const char *const opt_names[OPT__MAX] = {
	[OPT_SOCKET]       = "--socket",
	[OPT_SOCKET_MODE]  = "--socket-mode",
	[OPT_SOCKET_GROUP] = "--socket-group",
	[OPT_CHILDREN]     = "--children",
	[OPT_BACKLOG]      = "--backlog",
};

static int
parse_ulong(const char *s, int base, unsigned long lo, unsigned long hi,
    unsigned long *out)
{
	unsigned long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int
set_opt(struct hub_prefork_opts *o, enum opt_id id, const char *val)
{
	unsigned long v;

	switch (id) {
	case OPT_SOCKET:
		if (*val == '\0' || strlen(val) >= sizeof(made_path))
			return -1;
		o->socket_path = val;
		return 0;
	case OPT_SOCKET_MODE:
		if (parse_ulong(val, 8, 0, 0777, &v) != 0)
			return -1;
		o->socket_mode = (unsigned)v;
		return 0;
	case OPT_SOCKET_GROUP:
		if (*val == '\0')
			return -1;
		o->socket_group = val;
		return 0;
	case OPT_CHILDREN:
		if (parse_ulong(val, 10, 1, CHILDREN_MAX, &v) != 0)
			return -1;
		o->children = (int)v;
		return 0;
	case OPT_BACKLOG:
		if (parse_ulong(val, 10, 1, 65535, &v) != 0)
			return -1;
		o->backlog = (int)v;
		return 0;
	default:
		return -1;
	}
}

int
hub_prefork_args(int argc, char **argv, struct hub_prefork_opts *o)
{
	const char *arg, *val, *eq;
	size_t nl;
	int i, id;

	o->socket_path = NULL;
	o->socket_mode = 0660;
	o->socket_group = NULL;
	o->children = 2;
	o->backlog = 128;
	for (i = 1; i < argc; i++) {
		arg = argv[i];
		eq = strchr(arg, '=');
		nl = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
		for (id = 0; id < OPT__MAX; id++)
			if (strlen(opt_names[id]) == nl &&
			    strncmp(arg, opt_names[id], nl) == 0)
				break;
		if (id == OPT__MAX) {
			fprintf(stderr, "unknown argument: %s\n", arg);
			return -1;
		}
		if (eq != NULL) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			fprintf(stderr, "%s needs a value\n", opt_names[id]);
			return -1;
		}
		if (set_opt(o, (enum opt_id)id, val) != 0) {
			fprintf(stderr, "%s: bad value\n", opt_names[id]);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ socket */

/* Is something answering on this unix socket path? */
static int
socket_alive(const char *path)
{
	struct sockaddr_un sun;
	int fd, rc;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	return rc == 0;
}

/* No --socket: spawn-fcgi / systemd hand us the socket as fd 0
 * (FCGX_IsCGI's test). */
static int
inherited_socket(void)
{
	int type;
	socklen_t tl = sizeof(type);

	if (getsockopt(0, SOL_SOCKET, SO_TYPE, &type, &tl) != 0) {
		hub_log(HUB_LOG_ERROR, "listen", "error",
		    "no --socket given and stdin is not a socket", NULL);
		return -1;
	}
	return 0;
}

/* What is at path may go: nothing, or a stale socket of a previous run
 * (removed here).  -1 for anything else, or a live socket. */
static int
clear_stale(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		hub_log(HUB_LOG_ERROR, "listen", "error",
		    "path exists and is not a socket", "socket", path, NULL);
		return -1;
	}
	if (socket_alive(path)) {
		hub_log(HUB_LOG_ERROR, "listen", "error",
		    "another process is listening on the socket",
		    "socket", path, NULL);
		return -1;
	}
	/* stale socket from a previous run */
	if (unlink(path) != 0) {
		hub_log(HUB_LOG_ERROR, "listen", "error", strerror(errno),
		    "socket", path, NULL);
		return -1;
	}
	return 0;
}

/* A socket bound at path, owner-only until chmod; remembered as ours
 * (unlink_ours). */
static int
bind_socket(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old_umask;
	int fd;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		hub_log(HUB_LOG_ERROR, "listen", "error", strerror(errno), NULL);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* Never let the socket exist with looser permissions than asked. */
	old_umask = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		umask(old_umask);
		hub_log(HUB_LOG_ERROR, "listen", "error", strerror(errno),
		    "socket", path, NULL);
		close(fd);
		return -1;
	}
	umask(old_umask);
	if (lstat(path, &st) == 0) {
		memcpy(made_path, path, strlen(path) + 1);
		made_dev = st.st_dev;
		made_ino = st.st_ino;
	}
	return fd;
}

int
hub_prefork_listen(const struct hub_prefork_opts *o)
{
	struct sockaddr_un sun;
	struct group *gr;
	gid_t gid = (gid_t)-1;
	int fd;

	if (o->socket_path == NULL)
		return inherited_socket();
	if (strlen(o->socket_path) >= sizeof(sun.sun_path)) {
		hub_log(HUB_LOG_ERROR, "listen", "error", "socket path too long", NULL);
		return -1;
	}
	if (o->socket_group != NULL) {
		if ((gr = getgrnam(o->socket_group)) == NULL) {
			hub_log(HUB_LOG_ERROR, "listen", "error", "unknown group",
			    "group", o->socket_group, NULL);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (clear_stale(o->socket_path) != 0 || (fd = bind_socket(o->socket_path)) < 0)
		return -1;
	if ((gid != (gid_t)-1 && chown(o->socket_path, (uid_t)-1, gid) != 0) ||
	    chmod(o->socket_path, (mode_t)o->socket_mode) != 0 ||
	    listen(fd, o->backlog > 0 ? o->backlog : 128) != 0) {
		hub_log(HUB_LOG_ERROR, "listen", "error", strerror(errno),
		    "socket", o->socket_path, NULL);
		close(fd);
		unlink(o->socket_path);
		made_path[0] = '\0';
		return -1;
	}
	return fd;
}

static void
unlink_ours(void)
{
	struct stat st;

	if (made_path[0] == '\0')
		return;
	/* Someone may have started a new instance on the same path. */
	if (lstat(made_path, &st) == 0 && st.st_dev == made_dev &&
	    st.st_ino == made_ino)
		unlink(made_path);
	made_path[0] = '\0';
}

/* ------------------------------------------------------------ signals */

static void
on_parent_signal(int sig)
{
	switch (sig) {
	case SIGHUP:
		got_hup = 1;
		break;
	case SIGCHLD:
		got_chld = 1;
		break;
	default:
		got_stop = 1;
		break;
	}
}

static void
on_child_signal(int sig)
{
	(void)sig;
	child_stop = 1;
	FCGX_ShutdownPending();
}

static void
set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: accept() must return EINTR */
	sigaction(sig, &sa, NULL);
}

int
hub_prefork_stopping(void)
{
	return child_stop != 0;
}

/* ------------------------------------------------------------ parent */

struct kid {
	pid_t		 pid;       /* 0: slot empty */
	long long	 born_ms;
	unsigned	 gen;       /* SIGHUP generation it was started in */
	int		 draining;  /* sent SIGTERM for a rolling restart */
};

static const int parent_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };

static pid_t
spawn(int listen_fd, int (*child)(int, void *), void *arg, const sigset_t *orig)
{
	pid_t pid;
	int rc;

	fflush(NULL);	/* or the child would flush the parent's stdio twice */
	if ((pid = fork()) != 0)
		return pid;
	set_handler(SIGTERM, on_child_signal);
	set_handler(SIGINT, on_child_signal);
	set_handler(SIGHUP, on_child_signal);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_SETMASK, orig, NULL);
	rc = child(listen_fd, arg);
	fflush(NULL);
	_exit(rc & 0xff);
}

static int
live_count(const struct kid *k, int n)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += k[i].pid > 0;
	return c;
}

static void
wait_ms(long long ms, const sigset_t *orig)
{
	struct timespec ts;

	if (ms < 0)
		ms = 0;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	/* Signals are unblocked only inside pselect: none is missed. */
	pselect(0, NULL, NULL, NULL, &ts, orig);
}

/* Reap dead children; returns how many died quickly (not on purpose). */
static int
reap(struct kid *k, int n, long long now)
{
	pid_t pid;
	int st, i, quick = 0;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < n; i++) {
			if (k[i].pid != pid)
				continue;
			if (!k[i].draining && !got_stop) {
				hub_log(HUB_LOG_WARN, "child_exit", "reason",
				    WIFSIGNALED(st) ? "signal" : "exit", NULL);
				if (now - k[i].born_ms < QUICK_DEATH_MS)
					quick++;
			}
			k[i].pid = 0;
			k[i].draining = 0;
			break;
		}
	}
	return quick;
}

/* Rolling restart: one old child (of an earlier generation) at a time,
 * the rest keep serving. */
static void
drain_one(struct kid *k, int n, unsigned gen)
{
	int i;

	for (i = 0; i < n; i++)
		if (k[i].pid > 0 && k[i].draining)
			return;
	for (i = 0; i < n; i++) {
		if (k[i].pid > 0 && k[i].gen != gen) {
			k[i].draining = 1;
			kill(k[i].pid, SIGTERM);
			return;
		}
	}
}

/* A child in every empty slot; a failed fork puts *next_spawn off by the
 * longest backoff. */
static void
fill_slots(struct kid *k, int n, unsigned gen, long long now, long long *next_spawn,
    int listen_fd, int (*child)(int, void *), void *arg, const sigset_t *orig)
{
	pid_t pid;
	int i;

	for (i = 0; i < n; i++) {
		if (k[i].pid != 0)
			continue;
		if ((pid = spawn(listen_fd, child, arg, orig)) < 0) {
			hub_log(HUB_LOG_ERROR, "fork", "error", strerror(errno), NULL);
			*next_spawn = now + BACKOFF_MAX_MS;
			break;
		}
		k[i].pid = pid;
		k[i].born_ms = now;
		k[i].gen = gen;
		k[i].draining = 0;
	}
}

/* Shut down: each child finishes its request in flight, then exits;
 * SIGTERM again every RESIGNAL_MS, SIGKILL after STOP_GRACE_MS. */
static void
stop_children(struct kid *k, int n, const sigset_t *orig)
{
	long long now = hub_mono_ms(), stop_at = now + STOP_GRACE_MS, resignal_at = now;
	int i;

	for (;;) {
		now = hub_mono_ms();
		reap(k, n, now);
		if (live_count(k, n) == 0)
			break;
		if (now >= resignal_at) {
			/* again: the first may have landed just before accept() */
			for (i = 0; i < n; i++)
				if (k[i].pid > 0)
					kill(k[i].pid, now >= stop_at ? SIGKILL : SIGTERM);
			resignal_at = now + RESIGNAL_MS;
		}
		got_chld = 0;
		wait_ms(resignal_at - now, orig);
	}
}

/*
 * A child answers request after request, and a request that reads many
 * rows (a hybrid search's 2 000 candidate vectors, about 1 MB of libpq
 * result) grew the heap and, when freed, gave it back to the kernel
 * (malloc trims above 128 kB): the next request faulted and zeroed the
 * same pages again, a third of such a request's time.  Children keep up
 * to CHILD_HEAP_KEEP of freed heap instead; a process that never needs it
 * never has it.  GLIBC_TUNABLES still overrides (mallopt is glibc's).
 */
static void
keep_freed_heap(void)
{
#ifdef M_TRIM_THRESHOLD
	if (getenv("GLIBC_TUNABLES") != NULL)
		return;
	mallopt(M_TRIM_THRESHOLD, CHILD_HEAP_KEEP);
	mallopt(M_TOP_PAD, CHILD_HEAP_PAD);
#endif
}

int
hub_prefork_run(const struct hub_prefork_opts *o, int listen_fd,
    int (*child)(int listen_fd, void *arg), void *arg)
{
	struct kid kids[CHILDREN_MAX];
	sigset_t block, orig;
	long long now, next_spawn = 0, backoff = 0;
	unsigned gen = 0;
	int n;
	size_t s;

	n = o->children < 1 ? 1 : o->children > CHILDREN_MAX ? CHILDREN_MAX : o->children;
	memset(kids, 0, sizeof(kids));
	/* The children inherit it (malloc's state is process memory). */
	keep_freed_heap();
	got_stop = got_hup = got_chld = 0;

	sigemptyset(&block);
	for (s = 0; s < HUB_NELEM(parent_signals); s++)
		sigaddset(&block, parent_signals[s]);
	sigprocmask(SIG_BLOCK, &block, &orig);
	for (s = 0; s < HUB_NELEM(parent_signals); s++)
		set_handler(parent_signals[s], on_parent_signal);

	while (!got_stop) {
		now = hub_mono_ms();
		if (reap(kids, n, now) > 0) {
			backoff = backoff == 0 ? BACKOFF_MIN_MS :
			    backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
			next_spawn = now + backoff;
			hub_log(HUB_LOG_WARN, "child_respawn_delayed", NULL);
		}
		got_chld = 0;
		if (got_hup) {
			got_hup = 0;
			gen++;
			hub_log(HUB_LOG_INFO, "restart_children", NULL);
		}
		drain_one(kids, n, gen);
		if (now >= next_spawn) {
			fill_slots(kids, n, gen, now, &next_spawn, listen_fd, child, arg, &orig);
			/* A full round that survives resets the backoff. */
			if (backoff > 0 && now - next_spawn > QUICK_DEATH_MS * 5)
				backoff = 0;
		}
		if (got_stop || got_chld || got_hup)
			continue;
		wait_ms(live_count(kids, n) < n ? next_spawn - now : QUICK_DEATH_MS * 10, &orig);
	}

	hub_log(HUB_LOG_INFO, "stopping", NULL);
	stop_children(kids, n, &orig);
	if (o->socket_path != NULL && listen_fd > 0)
		close(listen_fd);
	unlink_ours();
	for (s = 0; s < HUB_NELEM(parent_signals); s++)
		signal(parent_signals[s], SIG_DFL);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	hub_log(HUB_LOG_INFO, "stopped", NULL);
	return 0;
}
