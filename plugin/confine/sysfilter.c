#include "sysfilter.h"

#include <errno.h>

#include "config.h"

#ifdef HAVE_SECCOMP
#include <fcntl.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sockios.h>
#include <seccomp.h>

/*
 * What the main loop calls, measured with strace -f over the whole test
 * suite, plus the variants other glibc versions and architectures use for
 * the same calls (Debian 12 and RHEL 9 stat with newfstatat, older ones
 * with fstat, newer may try statx; poll is ppoll on arm64; clock_gettime
 * falls back from the vDSO to the system call).  Names this architecture
 * lacks are skipped.
 */
static const char *const allowed[] = {
	/* stdin, stdout, stderr, the reject file, spool and state files */
	"read", "write", "readv", "writev", "pread64", "close", "lseek",
	"openat", "fstat", "newfstatat", "statx", "dup",
	"getdents64", "fsync", "fdatasync", "renameat", "renameat2",
	"unlinkat", "poll", "ppoll",
	/* the reject file: cut back a short write; reopened after rotation,
	 * its parents are made (mkdir of existing ones; Landlock refuses to
	 * create any directory) */
	"ftruncate", "mkdir", "mkdirat",
	/* analysisd's socket (socket() and ioctl() are filtered below;
	 * send() is sendto; a line's datagrams go out by sendmmsg, which
	 * could carry SCM_RIGHTS as sendmsg can: seccomp cannot read its
	 * control data, and one call per 64 datagrams is what it saves) */
	"connect", "sendto", "sendmmsg", "setsockopt", "getsockopt",
	/* memory (mmap and mprotect are filtered below), time, randomness
	 * (OpenSSL, jansson's hash seed) */
	"munmap", "mremap", "brk", "madvise",
	"clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday", "time",
	"getrandom", "futex",
	/* leaving, and abort() */
	"exit", "exit_group", "rt_sigreturn", "rt_sigprocmask",
	"rt_sigaction", "restart_syscall", "getpid", "gettid",
#ifdef HAVE_SYSTEMD
	/* sd_journal_send passes large entries in a sealed memfd */
	"memfd_create",
#endif
};

/* LeakSanitizer stops the process with ptrace from a clone at exit; the
 * reports read /proc.  Sanitizer builds only. */
static const char *const sanitizer_allowed[] = {
	"clone", "ptrace", "wait4", "prctl", "sigaltstack", "sched_yield",
	"getdents",
	"sched_getaffinity", "readlink", "readlinkat", "getppid", "kill",
	"open", "pipe2", "getrlimit", "prlimit64", "mincore", "munlock",
};

static int
allow_names(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
	size_t i;
	int nr, rc;

	for (i = 0; i < n; i++) {
		nr = seccomp_syscall_resolve_name(names[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) != 0)
			return rc;
	}
	return 0;
}

/*
 * The fcntl() commands of the plugin (omprog.c, fsutil.c: O_NONBLOCK off
 * and on) and of the libraries it calls after confinement (glibc's
 * close-on-exec, sd_journal_send's sealed memfd).  Left out: F_SETOWN and
 * F_SETSIG (signals sent on I/O to another process), leases, dnotify,
 * locks, pipe sizes.
 */
static const int fcntl_allowed[] = {
	F_GETFD, F_SETFD, F_GETFL, F_SETFL,
#ifdef F_ADD_SEALS
	F_ADD_SEALS, F_GET_SEALS,
#endif
};

/* `name` (absent on this architecture: skipped) allowed when argument
 * `arg` has none of the bits of `mask`. */
static int
allow_without_bits(scmp_filter_ctx ctx, const char *name, unsigned arg,
    scmp_datum_t mask)
{
	int nr = seccomp_syscall_resolve_name(name);
	struct scmp_arg_cmp cmp = { arg, SCMP_CMP_MASKED_EQ, mask, 0 };

	if (nr == __NR_SCMP_ERROR)
		return 0;
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
}

/* `name` (absent: skipped) allowed when argument 1 is one of fcntl_allowed. */
static int
allow_fcntl(scmp_filter_ctx ctx, const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);
	size_t i;
	int rc;

	if (nr == __NR_SCMP_ERROR)
		return 0;
	for (i = 0; i < sizeof(fcntl_allowed) / sizeof(fcntl_allowed[0]); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
		    SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)fcntl_allowed[i]))) != 0)
			return rc;
	return 0;
}

/*
 * No new executable memory once confined: the program and its libraries
 * are mapped by then, and nothing the loop calls loads code (no dlopen:
 * NSS and iconv run before the drop).  A write-then-execute exploit needs
 * PROT_EXEC from mmap or mprotect.
 */
static int
allow_memory(scmp_filter_ctx ctx)
{
	static const char *const names[] = { "mmap", "mmap2", "mprotect" };
	size_t i;
	int rc;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((rc = allow_without_bits(ctx, names[i], 2, PROT_EXEC)) != 0)
			return rc;
	return 0;
}

static int
allow_filtered(scmp_filter_ctx ctx, bool journal)
{
	int rc;

	rc = allow_memory(ctx);
	if (rc == 0)
		rc = allow_fcntl(ctx, "fcntl");
	if (rc == 0)
		rc = allow_fcntl(ctx, "fcntl64");
	/* sendmsg is the only way to pass a descriptor (SCM_RIGHTS; recvmsg
	 * is refused).  seccomp cannot read its control data: only the
	 * journal's client needs it, and Landlock (ABI 9) confines connect()
	 * to analysisd's and the journal's sockets. */
	if (rc == 0 && journal)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
		    SCMP_A1(SCMP_CMP_EQ, SIOCOUTQ));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	return rc;
}

bool
sysfilter_built(void)
{
	return true;
}

int
sysfilter_load(enum sysfilter_action action, bool journal, bool sanitizers)
{
	uint32_t deny = action == SYSFILTER_KILL ? SCMP_ACT_KILL_PROCESS :
	    SCMP_ACT_ERRNO(ENOSYS);
	scmp_filter_ctx ctx;
	int rc;

	if ((ctx = seccomp_init(deny)) == NULL)
		return -ENOMEM;
	/* Logging needs Linux 4.14; without it the filter still holds. */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
	rc = allow_names(ctx, allowed, sizeof(allowed) / sizeof(allowed[0]));
	if (rc == 0 && sanitizers)
		rc = allow_names(ctx, sanitizer_allowed,
		    sizeof(sanitizer_allowed) / sizeof(sanitizer_allowed[0]));
	if (rc == 0)
		rc = allow_filtered(ctx, journal);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

#else /* !HAVE_SECCOMP */

bool
sysfilter_built(void)
{
	return false;
}

int
sysfilter_load(enum sysfilter_action action, bool journal, bool sanitizers)
{
	(void)action;
	(void)journal;
	(void)sanitizers;
	return -ENOSYS;
}

#endif /* HAVE_SECCOMP */
