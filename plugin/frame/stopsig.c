#include "stopsig.h"

#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP };

int
stopsig_open(struct stopsig *s)
{
	sigset_t set;
	size_t i;

	s->fd = -1;
	s->signo = 0;
	sigemptyset(&set);
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaddset(&set, stop_signals[i]);
	/* Blocked first: a signal that comes in between waits in the set. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -errno;
	if ((s->fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		int err = errno;

		(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
		return -err;
	}
	return 0;
}

bool
stopsig_requested(struct stopsig *s)
{
	struct signalfd_siginfo si;
	ssize_t n;

	if (s->signo != 0 || s->fd == -1)
		return s->signo != 0;
	do {
		n = read(s->fd, &si, sizeof(si));
	} while (n == -1 && errno == EINTR);
	if (n == (ssize_t)sizeof(si))
		s->signo = (int)si.ssi_signo;
	return s->signo != 0;
}

const char *
stopsig_name(int signo)
{
	switch (signo) {
	case SIGTERM:
		return "SIGTERM";
	case SIGINT:
		return "SIGINT";
	case SIGHUP:
		return "SIGHUP";
	default:
		return "signal";
	}
}

void
stopsig_close(struct stopsig *s)
{
	if (s->fd != -1)
		(void)close(s->fd);
	s->fd = -1;
}
