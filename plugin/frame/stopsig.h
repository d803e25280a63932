/*
 * stopsig: a supervisor's request to stop, as a descriptor.
 *
 * SIGTERM (omprog's signalOnClose, systemd, kill), SIGINT (a terminal) and
 * SIGHUP (a hang-up; omprog forwards rsyslogd's HUP only with hup.signal)
 * are blocked and read from a signalfd.  The loops that wait (stdin,
 * analysisd's socket, retry pauses) add its descriptor to their poll(), so
 * a stop ends any wait at once, and no handler or global flag is needed:
 * the request is handled like the end of input (the line held is spooled,
 * the final counters written, exit 0).
 */
#ifndef STOPSIG_H
#define STOPSIG_H

#include <stdbool.h>

struct stopsig {
	int fd;			/* signalfd, or -1 */
	int signo;		/* the first stop signal received, or 0 */
};

/*
 * stopsig_open(s):
 * Block the stop signals in this (single-threaded) process and open *s's
 * signalfd (non-blocking, close-on-exec).  Call before any confinement:
 * afterwards only read() and poll() are used on it.  Returns 0 or a
 * negative errno; on error s->fd is -1 and the signals keep their default
 * action.
 */
int stopsig_open(struct stopsig *s);

/*
 * stopsig_requested(s):
 * Without blocking, whether a stop signal has arrived (now or before; the
 * answer stays true once it was).  s->signo names it.
 */
bool stopsig_requested(struct stopsig *s);

/*
 * stopsig_name(signo):
 * "SIGTERM", "SIGINT" or "SIGHUP" (static strings; "signal" for any other
 * number).  A table: no locale lookup, nothing outside the confinement.
 */
const char *stopsig_name(int signo);

/*
 * stopsig_close(s):
 * Close the descriptor.  The signals stay blocked: the process is leaving,
 * and a second one must not kill it while it saves.
 */
void stopsig_close(struct stopsig *s);

#endif /* !STOPSIG_H */
