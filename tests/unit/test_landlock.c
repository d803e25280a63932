/* Unit tests of plugin/confine/landlock.c: each check runs in a child that builds
 * and enforces a ruleset, then tries one action. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "landlock.h"
#include "tap.h"

static char base[64];
static int abi;

static void
path(char *out, size_t cap, const char *rel)
{
	snprintf(out, cap, "%s/%s", base, rel);
}

static int
create(const char *rel)
{
	char p[128];
	int fd;

	path(p, sizeof(p), rel);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return errno;
	close(fd);
	return 0;
}

static int
open_as(const char *rel, int flags)
{
	char p[128];
	int fd;

	path(p, sizeof(p), rel);
	if ((fd = open(p, flags)) == -1)
		return errno;
	close(fd);
	return 0;
}

static int
do_rename(const char *from, const char *to)
{
	char a[128], b[128];

	path(a, sizeof(a), from);
	path(b, sizeof(b), to);
	return rename(a, b) == 0 ? 0 : errno;
}

static int
do_unlink(const char *rel)
{
	char p[128];

	path(p, sizeof(p), rel);
	return unlink(p) == 0 ? 0 : errno;
}

static int
do_mkdir(const char *rel)
{
	char p[128];

	path(p, sizeof(p), rel);
	return mkdir(p, 0700) == 0 ? 0 : errno;
}

static int
tcp_connect(void)
{
	struct sockaddr_in sin;
	int fd, rc = 0;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return errno;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(9);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != ECONNREFUSED)
		rc = errno;
	close(fd);
	return rc;
}

enum action {
	CREATE_KEEP, RENAME_KEEP, UNLINK_KEEP, MKDIR_KEEP, CREATE_APPEND,
	APPEND_APPEND, READ_APPEND, UNLINK_APPEND, READ_READ, WRITE_READ,
	CREATE_READ, READ_OUTSIDE, CREATE_OUTSIDE, TCP, MKDIR_EXISTING,
	TRUNCATE_APPEND, UNIX_SOCKDIR, UNIX_OUTSIDE
};

/* Send one datagram to the socket bound (outside the sandbox) at rel. */
static int
unix_send(const char *rel)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc = 0;

	path(sun.sun_path, sizeof(sun.sun_path), rel);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
		return 100;
	if (sendto(fd, "x", 1, 0, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		rc = errno;
	close(fd);
	return rc;
}

static int
do_truncate(const char *rel)
{
	char p[128];
	int fd, rc = 0;

	path(p, sizeof(p), rel);
	if ((fd = open(p, O_WRONLY | O_APPEND)) == -1)
		return 100;
	if (ftruncate(fd, 0) == -1)
		rc = errno;
	close(fd);
	return rc;
}

static int
act(enum action a)
{
	switch (a) {
	case CREATE_KEEP: return create("keep/new");
	case RENAME_KEEP: return do_rename("keep/f", "keep/g");
	case UNLINK_KEEP: return do_unlink("keep/f");
	case MKDIR_KEEP: return do_mkdir("keep/d");
	case CREATE_APPEND: return create("append/new");
	case APPEND_APPEND: return open_as("append/f", O_WRONLY | O_APPEND);
	case READ_APPEND: return open_as("append/f", O_RDONLY);
	case UNLINK_APPEND: return do_unlink("append/f");
	case READ_READ: return open_as("read/f", O_RDONLY);
	case WRITE_READ: return open_as("read/f", O_WRONLY | O_APPEND);
	case CREATE_READ: return create("read/new");
	case READ_OUTSIDE: return open_as("outside/f", O_RDONLY);
	case CREATE_OUTSIDE: return create("outside/new");
	case TCP: return tcp_connect();
	case MKDIR_EXISTING: return do_mkdir("append");
	case TRUNCATE_APPEND: return do_truncate("append/f");
	case UNIX_SOCKDIR: return unix_send("sockets/queue");
	case UNIX_OUTSIDE: return unix_send("outside/queue");
	}
	return EINVAL;
}

/* A datagram socket bound at rel, left open: 0 or an errno. */
static int
bind_dgram(const char *rel)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
		return errno;
	path(sun.sun_path, sizeof(sun.sun_path), rel);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		return errno;
	return 0;
}

/* Fresh files for each child. */
static void
setup(void)
{
	static const char *const dirs[] = { "keep", "append", "read", "outside",
	    "sockets" };
	char f[128];
	size_t i;

	for (i = 0; i < 5; i++) {
		path(f, sizeof(f), dirs[i]);
		mkdir(f, 0700);
		snprintf(f, sizeof(f), "%s/f", dirs[i]);
		create(f);
	}
}

static void
expect(enum action a, int want, const char *what)
{
	char keep[128], append[128], rd[128], sock[128];
	struct landlock_path paths[4];
	size_t missing;
	pid_t pid;
	int status, rs;

	setup();
	path(keep, sizeof(keep), "keep");
	path(append, sizeof(append), "append");
	path(rd, sizeof(rd), "read");
	paths[0] = (struct landlock_path){ keep, LANDLOCK_NEED_KEEP };
	paths[1] = (struct landlock_path){ append, LANDLOCK_NEED_APPEND };
	paths[2] = (struct landlock_path){ rd, LANDLOCK_NEED_READ };
	path(sock, sizeof(sock), "sockets");
	paths[3] = (struct landlock_path){ sock, LANDLOCK_NEED_CONNECT };
	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
			_exit(200);
		if ((rs = landlock_ruleset(abi, paths, 4, &missing)) < 0)
			_exit(201);
		if (landlock_enforce(rs) != 0)
			_exit(202);
		_exit(act(a));
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == want,
	    "%s: %s (exit %d)", what, want == 0 ? "allowed" : strerror(want),
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int
main(void)
{
	struct landlock_path missing_path = { "/nonexistent/wka", LANDLOCK_NEED_READ };
	size_t missing = 0;
	int rs;

	abi = landlock_abi();
	if (abi == 0) {
		tap_skip("Landlock", "the kernel offers no Landlock");
		return tap_done();
	}
	diag("Landlock ABI %d", abi);
	snprintf(base, sizeof(base), "/tmp/wka-landlock-XXXXXX");
	if (mkdtemp(base) == NULL)
		return 1;
	expect(CREATE_KEEP, 0, "spool: create a file");
	expect(RENAME_KEEP, 0, "spool: rename inside it");
	expect(UNLINK_KEEP, 0, "spool: remove a file");
	expect(MKDIR_KEEP, EACCES, "spool: make a directory");
	expect(CREATE_APPEND, 0, "reject dir: create a file");
	expect(APPEND_APPEND, 0, "reject dir: append to a file");
	expect(READ_APPEND, EACCES, "reject dir: read a file");
	expect(MKDIR_EXISTING, EEXIST, "making an existing directory: EEXIST");
	if (abi >= 3)
		expect(TRUNCATE_APPEND, 0, "reject dir: truncate a file");
	expect(UNLINK_APPEND, EACCES, "reject dir: remove a file");
	expect(READ_READ, 0, "state dir: read a file");
	expect(WRITE_READ, EACCES, "state dir: write a file");
	expect(CREATE_READ, EACCES, "state dir: create a file");
	expect(READ_OUTSIDE, EACCES, "elsewhere: read a file");
	expect(CREATE_OUTSIDE, EACCES, "elsewhere: create a file");
	if (abi >= 4)
		expect(TCP, EACCES, "TCP connect");
	else
		tap_skip("TCP connect", "Landlock ABI < 4");
	/* Pathname Unix sockets: only ABI 9 (Linux 7.1) restricts them. */
	if (bind_dgram("sockets/queue") == 0 && bind_dgram("outside/queue") == 0) {
		expect(UNIX_SOCKDIR, 0, "socket directory: send a datagram");
		expect(UNIX_OUTSIDE, abi >= 9 ? EACCES : 0, abi >= 9 ?
		    "other pathname socket: send refused (ABI >= 9)" :
		    "other pathname socket: send allowed (no right before ABI 9)");
	}
	rs = landlock_ruleset(abi, &missing_path, 1, &missing);
	ok(rs >= 0 && missing == 1, "a missing path is left out and counted");
	if (rs >= 0)
		close(rs);
	ok(landlock_ruleset(0, &missing_path, 1, &missing) == -ENOSYS,
	    "ABI 0: -ENOSYS");
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
		if (system(cmd) != 0)
			diag("could not remove %s", base);
	}
	return tap_done();
}
