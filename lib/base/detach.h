/*
 * detach.h - run a short task in a process of its own, so the caller can
 * answer now.  A FastCGI child hands Slack's views.open to one: the click
 * is acknowledged at once and the child serves the next request, whatever
 * Slack's latency (interact.h).
 *
 * The task runs in a grandchild (double fork: nobody has to reap it) with
 * every descriptor above stderr closed, so it holds none of the caller's
 * sockets (FastCGI, PostgreSQL): it opens what it needs itself and must
 * bound its own time.  It ends with _exit (no atexit handlers of the
 * caller run twice).  The caller waits only for the intermediate child,
 * which exits at once.
 */
#ifndef HUB_DETACH_H
#define HUB_DETACH_H

/* 0 when the task was started, -1 when fork failed (nothing ran). */
int	hub_detach(void (*task)(void *), void *arg);

#endif
