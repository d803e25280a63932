/* Unit tests of plugin/confine/sysfilter.c: each check runs in a child that loads
 * the filter, then makes one system call. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "config.h"
#include "sysfilter.h"
#include "tap.h"

/* A sanitizer build's runtime makes calls of its own (sigaltstack on
 * _exit): it needs the allowance the plugin uses in such a build. */
#ifdef HAVE_SANITIZERS
#define SANITIZERS true
#else
#define SANITIZERS false
#endif

enum call { UNAME, SOCKET_INET, SOCKET_UNIX, OUTQ, FIONREAD_, RANDOM, WRITE };

static int
make(enum call c)
{
	struct utsname u;
	unsigned char b[8];
	int fd, n;

	switch (c) {
	case UNAME:
		return uname(&u) == 0 ? 0 : errno;
	case SOCKET_INET:
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		return fd >= 0 ? 0 : errno;
	case SOCKET_UNIX:
		fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		return fd >= 0 ? 0 : errno;
	case OUTQ:
	case FIONREAD_:
		if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
			return 100;
		return ioctl(fd, c == OUTQ ? SIOCOUTQ : FIONREAD, &n) == 0 ?
		    0 : errno;
	case RANDOM:
		return getrandom(b, sizeof(b), 0) == (ssize_t)sizeof(b) ? 0 : errno;
	case WRITE:
		return write(STDOUT_FILENO, "", 0) == 0 ? 0 : errno;
	}
	return EINVAL;
}

/* -1 killed by SIGSYS, else the errno of the call (0: it succeeded). */
static int
in_filter(enum sysfilter_action action, enum call c)
{
	pid_t pid;
	int status;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    sysfilter_load(action, SANITIZERS) != 0)
			_exit(120);
		_exit(make(c));
	}
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status))
		return WTERMSIG(status) == SIGSYS ? -1 : -2;
	return WEXITSTATUS(status);
}

int
main(void)
{
	if (!sysfilter_built()) {
		ok(sysfilter_load(SYSFILTER_FAIL, false) == -ENOSYS,
		    "without libseccomp: -ENOSYS");
		return tap_done();
	}
	ok(in_filter(SYSFILTER_FAIL, UNAME) == ENOSYS, "uname: ENOSYS");
	ok(in_filter(SYSFILTER_FAIL, SOCKET_INET) == ENOSYS,
	    "socket(AF_INET): ENOSYS");
	ok(in_filter(SYSFILTER_FAIL, SOCKET_UNIX) == 0, "socket(AF_UNIX) allowed");
	ok(in_filter(SYSFILTER_FAIL, OUTQ) == 0, "ioctl(SIOCOUTQ) allowed");
	ok(in_filter(SYSFILTER_FAIL, FIONREAD_) == ENOSYS, "ioctl(FIONREAD): ENOSYS");
	ok(in_filter(SYSFILTER_FAIL, RANDOM) == 0, "getrandom allowed");
	ok(in_filter(SYSFILTER_FAIL, WRITE) == 0, "write allowed");
	ok(in_filter(SYSFILTER_KILL, UNAME) == -1, "strict: uname kills (SIGSYS)");
	ok(in_filter(SYSFILTER_KILL, SOCKET_INET) == -1,
	    "strict: socket(AF_INET) kills");
	ok(in_filter(SYSFILTER_KILL, SOCKET_UNIX) == 0,
	    "strict: socket(AF_UNIX) allowed");
	return tap_done();
}
