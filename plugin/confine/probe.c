#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin.h"

/* How a child reports: 0 allowed, DENIED + errno denied, SETUP no start. */
#define EXIT_ALLOWED 0
#define EXIT_SETUP 3
#define EXIT_DENIED 64

struct probe_ctx {
	const struct options *opts;
	const char *outside;	/* directory for try_write */
};

struct probe {
	const char *what;
	int (*try)(const struct probe_ctx *);	/* 0 or the errno of refusal */
};

static int
try_read(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return errno;
	close(fd);
	return 0;
}

static int
try_shadow(const struct probe_ctx *c)
{
	(void)c;
	return try_read("/etc/shadow");
}

static int
try_passwd(const struct probe_ctx *c)
{
	(void)c;
	return try_read("/etc/passwd");
}

static bool
beneath(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return path != NULL && strncmp(path, dir, n) == 0 &&
	    (path[n] == '/' || path[n] == '\0');
}

/* A world-writable directory none of the plugin's paths is beneath, so
 * that only confinement (not file modes) can deny a write there. */
static const char *
outside_dir(const struct options *o)
{
	static const char *const dirs[] = { "/dev/shm", "/var/tmp", "/tmp" };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (beneath(o->spool_dir, dirs[i]) ||
		    beneath(o->reject_file, dirs[i]) ||
		    beneath(o->state_file, dirs[i]) ||
		    access(dirs[i], W_OK) != 0)
			continue;
		return dirs[i];
	}
	return "/var/tmp";
}

static int
try_write(const struct probe_ctx *c)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/wazuh-k8s-audit-probe.%ld",
	    c->outside, (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		return errno;
	close(fd);
	unlink(path);
	return 0;
}

static int
try_exec(const struct probe_ctx *c)
{
	char *const argv[] = { "sh", "-c", "exit 0", NULL };
	char *const envp[] = { NULL };

	(void)c;
	execve("/bin/sh", argv, envp);
	return errno;	/* a shell that ran exits 0: allowed */
}

static int
try_tcp(const struct probe_ctx *c)
{
	struct sockaddr_in sin;
	int fd, rc = 0;

	(void)c;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return errno;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(9);	/* discard: refused or not, it was tried */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != ECONNREFUSED)
		rc = errno;
	close(fd);
	return rc;
}

static int
try_ptrace(const struct probe_ctx *c)
{
	(void)c;
	/* SEIZE does not stop the parent; our exit detaches. */
	if (ptrace(PTRACE_SEIZE, getppid(), NULL, NULL) == -1)
		return errno;
	return 0;
}

static int
try_uname(const struct probe_ctx *c)
{
	struct utsname u;

	(void)c;
	return uname(&u) == 0 ? 0 : errno;
}

static int
try_exec_memory(const struct probe_ctx *c)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)c;
	if (p == MAP_FAILED)
		return errno;
	munmap(p, 4096);
	return 0;
}

static int
try_setown(const struct probe_ctx *c)
{
	(void)c;
	/* SIGIO whenever stdin is readable; to itself, as Landlock (ABI 6)
	 * already scopes signals to other processes */
	return fcntl(STDIN_FILENO, F_SETOWN, getpid()) == 0 ? 0 : errno;
}

/* Pass stdin over an unconnected socket: a kernel that saw the call
 * answers ENOTCONN or EDESTADDRREQ, which means allowed. */
static int
try_pass_fd(const struct probe_ctx *c)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { "x", 1 };
	struct msghdr m;
	struct cmsghdr *cm;
	int fd, in = STDIN_FILENO, rc = 0;

	(void)c;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return errno;
	memset(&u, 0, sizeof(u));
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &in, sizeof(int));
	if (sendmsg(fd, &m, 0) == -1 && errno != ENOTCONN &&
	    errno != EDESTADDRREQ)
		rc = errno;
	close(fd);
	return rc;
}

static const struct probe probes[] = {
	{ "open /etc/shadow for reading", try_shadow },
	{ "open /etc/passwd for reading", try_passwd },
	{ "create a file outside its paths", try_write },
	{ "execve /bin/sh", try_exec },
	{ "connect a TCP socket", try_tcp },
	{ "ptrace its parent", try_ptrace },
	{ "map memory executable", try_exec_memory },
	{ "fcntl(F_SETOWN)", try_setown },
	{ "pass a descriptor (SCM_RIGHTS)", try_pass_fd },
	{ "uname() (not on the system call allow-list)", try_uname },
};

static void
child(const struct probe *p, const struct probe_ctx *c, bool quiet)
{
	struct plugin pl;
	int fd, err;

	/* The start-up lines of one child are enough. */
	if (quiet && (fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) != -1)
		dup2(fd, STDERR_FILENO);
	if (plugin_open(&pl, c->opts) != 0)
		_exit(EXIT_SETUP);
	err = p->try(c);
	_exit(err == 0 ? EXIT_ALLOWED : EXIT_DENIED + (err & 127));
}

/* Run one probe; print its line; true when it was denied. */
static bool
run_one(const struct probe *p, const struct probe_ctx *c, bool quiet)
{
	pid_t pid;
	int status;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		printf("%-46s error (fork: %s)\n", p->what, strerror(errno));
		return false;
	}
	if (pid == 0)
		child(p, c, quiet);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			printf("%-46s error (waitpid: %s)\n", p->what,
			    strerror(errno));
			return false;
		}
	if (WIFSIGNALED(status)) {
		printf("%-46s denied (killed by %s)\n", p->what,
		    WTERMSIG(status) == SIGSYS ? "seccomp" :
		    strsignal(WTERMSIG(status)));
		return WTERMSIG(status) == SIGSYS;
	}
	if (WEXITSTATUS(status) >= EXIT_DENIED) {
		printf("%-46s denied (%s)\n", p->what,
		    strerror(WEXITSTATUS(status) - EXIT_DENIED));
		return true;
	}
	if (WEXITSTATUS(status) == EXIT_SETUP)
		printf("%-46s error (start-up failed, see stderr)\n", p->what);
	else
		printf("%-46s ALLOWED\n", p->what);
	return false;
}

int
probe_run(const struct options *opts)
{
	size_t i, n = sizeof(probes) / sizeof(probes[0]), denied = 0;
	struct probe_ctx c = { opts, outside_dir(opts) };

	for (i = 0; i < n; i++)
		if (run_one(&probes[i], &c, i > 0))
			denied++;
	printf("%zu of %zu forbidden actions denied\n", denied, n);
	return denied == n ? 0 : 1;
}
