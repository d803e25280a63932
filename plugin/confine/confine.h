/*
 * confine: Landlock and a seccomp filter around the running plugin.
 *
 * After start-up the plugin needs little: read stdin, write stdout and
 * stderr, append to the reject file, keep its spool directory, read
 * analysisd's state file, send datagrams on one Unix socket, get the time,
 * allocate memory.  confine_apply makes that all it can do, with the
 * layers the kernel and the build offer:
 *   Landlock   file-system access limited to the spool directory, the
 *              reject file's directory (to recreate it after rotation) and
 *              the state file's directory (read-only); no TCP bind or
 *              connect (ABI 4); no abstract Unix socket or signal out of
 *              the sandbox (ABI 6); pathname Unix sockets but those in
 *              analysisd's socket directory and the journal's (ABI 9,
 *              Linux 7.1: before it, connecting to a pathname socket is not
 *              a Landlock access at all).
 *   seccomp    an allow-list of the system calls the main loop makes,
 *              socket() for AF_UNIX only, ioctl() for SIOCOUTQ only.
 * The key file is read before, and is not reachable after.
 */
#ifndef CONFINE_H
#define CONFINE_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

/* The directories the confined process keeps, each may be NULL. */
struct confine_paths {
	const char *spool_dir;		/* read, write, create, remove files */
	const char *reject_file;	/* its directory: create and write files */
	const char *state_file;		/* its directory: read files */
	const char *socket_path;	/* its directory: connect (ABI >= 9) */
	const char *journal_dir;	/* connect (ABI >= 9), or NULL */
};

struct confine_status {
	enum confinement mode;
	int landlock_abi;	/* kernel's ABI, 0 when it has no Landlock */
	bool landlock;		/* a ruleset is enforced */
	size_t landlock_missing; /* paths left out: they did not exist */
	bool seccomp;		/* a filter is loaded */
	bool seccomp_built;	/* built with libseccomp */
	bool sanitizer_allowance; /* extra rules of a sanitizer build */
};

struct confine {
	struct confine_status status;
	int ruleset;		/* prepared Landlock ruleset, or -1 */
	bool journal;		/* logs to the journal: sendmsg allowed */
};

/*
 * confine_prepare(c, mode, paths):
 * Get ready to confine as `mode` says: resolve `paths` into a Landlock
 * ruleset now, with the privileges the process still has (a directory
 * the dropped user cannot reach needs no rule, but opening it must not
 * fail).  A path that does not exist is left out (it stays unreachable).
 * With CONFINEMENT_STRICT, a kernel without Landlock is -ENOSYS; otherwise
 * it is recorded in c->status.  Returns 0 or a negative errno; either way
 * confine_release must follow unless confine_apply did.
 */
int confine_prepare(struct confine *c, enum confinement mode,
    const struct confine_paths *paths);

/*
 * confine_apply(c):
 * Confine the calling (single-threaded) process for good: enforce the
 * prepared ruleset, then load the seccomp filter (sysfilter.h) -- with
 * CONFINEMENT_ON a refused call fails with ENOSYS, with CONFINEMENT_STRICT
 * it kills, and a build without libseccomp is -ENOSYS.  The caller must
 * already have set PR_SET_NO_NEW_PRIVS.  Records what was applied in
 * c->status and releases the ruleset.  Returns 0 or a negative errno; after
 * an error the process may be partly confined and must not go on.
 */
int confine_apply(struct confine *c);

/* confine_release(c): close what confine_prepare left open. */
void confine_release(struct confine *c);

/*
 * confine_describe(st, buf, cap):
 * Write a one-line summary of *st ("confinement=on landlock=abi7
 * seccomp=enosys") into buf (always terminated when cap > 0).  Returns buf.
 */
const char *confine_describe(const struct confine_status *st, char *buf,
    size_t cap);

#endif /* !CONFINE_H */
