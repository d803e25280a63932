/* Unit tests of plugin/confine/sysfilter.c: each check runs in a child that loads
 * the filter, then makes one system call. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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

enum call { UNAME, SOCKET_INET, SOCKET_UNIX, OUTQ, FIONREAD_, RANDOM, WRITE,
	MMAP_RW, MMAP_EXEC, MPROTECT_EXEC, FCNTL_GETFL, FCNTL_SETOWN, PASS_FD };

/* sendmsg() of a descriptor (SCM_RIGHTS) on an unconnected socket: the
 * kernel answers ENOTCONN or EDESTADDRREQ when the call is let through. */
static int
pass_fd(void)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m;
	struct cmsghdr *c;
	struct iovec iov = { "x", 1 };
	int fd, one = STDIN_FILENO;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
		return 100;
	memset(&m, 0, sizeof(m));
	memset(&u, 0, sizeof(u));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &one, sizeof(int));
	return sendmsg(fd, &m, 0) >= 0 ? 0 : errno;
}

static int
map(int prot)
{
	void *p = mmap(NULL, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p != MAP_FAILED ? 0 : errno;
}

static int
make(enum call c)
{
	struct utsname u;
	unsigned char b[8];
	void *p;
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
	case MMAP_RW:
		return map(PROT_READ | PROT_WRITE);
	case MMAP_EXEC:
		return map(PROT_READ | PROT_EXEC);
	case MPROTECT_EXEC:
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 100;
		return mprotect(p, 4096, PROT_READ | PROT_EXEC) == 0 ? 0 : errno;
	case FCNTL_GETFL:
		return fcntl(STDIN_FILENO, F_GETFL) != -1 ? 0 : errno;
	case FCNTL_SETOWN:
		return fcntl(STDIN_FILENO, F_SETOWN, getppid()) == 0 ? 0 : errno;
	case PASS_FD:
		return pass_fd();
	}
	return EINVAL;
}

/* -1 killed by SIGSYS, else the errno of the call (0: it succeeded). */
static int
in_filter_as(enum sysfilter_action action, bool journal, enum call c)
{
	pid_t pid;
	int status;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    sysfilter_load(action, journal, SANITIZERS) != 0)
			_exit(120);
		_exit(make(c));
	}
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status))
		return WTERMSIG(status) == SIGSYS ? -1 : -2;
	return WEXITSTATUS(status);
}

/* The filter of a plugin that logs to stderr. */
static int
in_filter(enum sysfilter_action action, enum call c)
{
	return in_filter_as(action, false, c);
}

int
main(void)
{
	int n;

	if (!sysfilter_built()) {
		ok(sysfilter_load(SYSFILTER_FAIL, false, false) == -ENOSYS,
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
	ok(in_filter(SYSFILTER_FAIL, MMAP_RW) == 0, "mmap read-write allowed");
	ok(in_filter(SYSFILTER_FAIL, MMAP_EXEC) == ENOSYS,
	    "mmap PROT_EXEC: ENOSYS");
	ok(in_filter(SYSFILTER_FAIL, MPROTECT_EXEC) == ENOSYS,
	    "mprotect PROT_EXEC: ENOSYS");
	ok(in_filter(SYSFILTER_KILL, MMAP_EXEC) == -1,
	    "strict: mmap PROT_EXEC kills");
	ok(in_filter(SYSFILTER_FAIL, FCNTL_GETFL) == 0, "fcntl(F_GETFL) allowed");
	ok(in_filter(SYSFILTER_FAIL, FCNTL_SETOWN) == ENOSYS,
	    "fcntl(F_SETOWN): ENOSYS");
	ok(in_filter(SYSFILTER_FAIL, PASS_FD) == ENOSYS,
	    "logging to stderr: sendmsg (SCM_RIGHTS): ENOSYS");
	n = in_filter_as(SYSFILTER_FAIL, true, PASS_FD);
	ok(n == ENOTCONN || n == EDESTADDRREQ,
	    "logging to the journal: sendmsg reaches the kernel");
	return tap_done();
}
