/*
 * landlock: the file-system and network sandbox of Linux's Landlock LSM,
 * through its raw system calls (no library).
 */
#ifndef LANDLOCK_H
#define LANDLOCK_H

#include <stddef.h>

/* What the sandboxed process may do beneath one path. */
enum landlock_need {
	LANDLOCK_NEED_READ,	/* read files, list directories */
	LANDLOCK_NEED_APPEND,	/* create files, write and truncate them */
	LANDLOCK_NEED_KEEP,	/* list, read, write, create, remove, rename files */
	LANDLOCK_NEED_CONNECT	/* connect/send to Unix sockets (ABI >= 9) */
};

struct landlock_path {
	const char *path;
	enum landlock_need need;
};

/*
 * landlock_abi():
 * The highest Landlock ABI the running kernel offers, or 0 when it offers
 * none (too old, or disabled at boot).
 */
int landlock_abi(void);

/*
 * landlock_ruleset(abi, paths, n, missing):
 * Build a ruleset for ABI `abi` (>= 1): every file-system access the ABI
 * knows is denied except `need` beneath each of paths[0..n-1]; with ABI >= 4
 * TCP bind and connect are denied; with ABI >= 6 connecting to abstract Unix
 * sockets and signalling processes outside the sandbox are; with ABI >= 9
 * connecting to pathname Unix sockets (LANDLOCK_ACCESS_FS_RESOLVE_UNIX) is
 * too, except beneath LANDLOCK_NEED_CONNECT paths.  The paths are
 * resolved now, with the caller's privileges.  A path that does not exist
 * is left out and counted in *missing.  Returns the ruleset's descriptor
 * (the caller owns it) or a negative errno.
 */
int landlock_ruleset(int abi, const struct landlock_path *paths, size_t n,
    size_t *missing);

/*
 * landlock_enforce(ruleset):
 * Restrict the calling thread to `ruleset` for good and close it (also on
 * error).  PR_SET_NO_NEW_PRIVS must be set.  Returns 0 or a negative errno.
 */
int landlock_enforce(int ruleset);

#endif /* !LANDLOCK_H */
