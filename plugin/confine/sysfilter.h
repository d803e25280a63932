/*
 * sysfilter: the seccomp allow-list of the system calls the running plugin
 * makes, loaded through libseccomp.
 */
#ifndef SYSFILTER_H
#define SYSFILTER_H

#include <stdbool.h>

/* What a system call outside the allow-list gets. */
enum sysfilter_action {
	/*
	 * Fails with ENOSYS, and the kernel logs it (SECCOMP_FILTER_FLAG_LOG).
	 * ENOSYS, not EPERM: it is what glibc takes as "kernel too old" and
	 * falls back from (clone3, statx, fchmodat2, rseq, future calls of a
	 * newer glibc), where EPERM is a hard error.
	 */
	SYSFILTER_FAIL,
	SYSFILTER_KILL		/* kills the process (SECCOMP_RET_KILL_PROCESS) */
};

/* sysfilter_built(): whether this build has libseccomp. */
bool sysfilter_built(void);

/*
 * sysfilter_load(action, journal, sanitizers):
 * Load the filter into the calling (single-threaded) process for good.
 * socket() is allowed for AF_UNIX only, ioctl() for SIOCOUTQ only, tgkill()
 * on this process only, fcntl() for the file-descriptor and status flags
 * (and memfd seals) only, mmap() and mprotect() without PROT_EXEC only.
 * sendmsg() (the only way to pass a descriptor) is allowed only when
 * `journal` says the log goes to the journal (sd_journal_send).  `sanitizers` adds what ASan/LSan/UBSan need at
 * exit and in reports (clone, ptrace, wait4, prctl...): only a sanitizer
 * build passes true.  PR_SET_NO_NEW_PRIVS must already be set.  Returns 0,
 * -ENOSYS when built without libseccomp, or a negative errno.
 */
int sysfilter_load(enum sysfilter_action action, bool journal,
    bool sanitizers);

#endif /* !SYSFILTER_H */
