#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/landlock.h>

/*
 * Debian 12's kernel headers stop at ABI 2; these values are the kernel's
 * ABI (include/uapi/linux/landlock.h) and never change.
 */
#define FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#define FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#define FS_RESOLVE_UNIX		(1ULL << 16)	/* ABI 9 */
#define NET_BIND_TCP		(1ULL << 0)	/* ABI 4 */
#define NET_CONNECT_TCP		(1ULL << 1)	/* ABI 4 */
#define SCOPE_ABSTRACT_UNIX	(1ULL << 0)	/* ABI 6 */
#define SCOPE_SIGNAL		(1ULL << 1)	/* ABI 6 */

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

/* struct landlock_ruleset_attr as of ABI 6; the kernel takes a longer
 * struct than it knows as long as the unknown tail is zero. */
struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

#define FS_ABI1 (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
	LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | \
	LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | \
	LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | \
	LANDLOCK_ACCESS_FS_MAKE_SYM)

int
landlock_abi(void)
{
	long abi = syscall(__NR_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

static uint64_t
handled_fs(int abi)
{
	uint64_t fs = FS_ABI1;

	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= FS_TRUNCATE;
	if (abi >= 5)
		fs |= FS_IOCTL_DEV;
	if (abi >= 9)
		fs |= FS_RESOLVE_UNIX;
	return fs;
}

static uint64_t
rights(enum landlock_need need)
{
	switch (need) {
	case LANDLOCK_NEED_READ:
		return LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	case LANDLOCK_NEED_APPEND:
		/* TRUNCATE: a short write is cut back off the reject file. */
		return LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG |
		    FS_TRUNCATE;
	case LANDLOCK_NEED_CONNECT:
		return FS_RESOLVE_UNIX;
	case LANDLOCK_NEED_KEEP:
		/* Files are replaced by a rename inside the directory, which
		 * needs no REFER. */
		return LANDLOCK_ACCESS_FS_READ_FILE |
		    LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
		    LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REMOVE_FILE |
		    FS_TRUNCATE;
	}
	return 0;
}

/* Add one rule; 0, -ENOENT when the path is missing, or a negative errno. */
static int
add_path(int ruleset, const struct landlock_path *p, uint64_t handled)
{
	struct landlock_path_beneath_attr pb;
	int fd, rc = 0;

	/* A right this ABI does not know needs no rule (and an empty rule
	 * is an error). */
	if ((rights(p->need) & handled) == 0)
		return 0;
	fd = open(p->path, O_PATH | O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? -ENOENT : -errno;
	pb.parent_fd = fd;
	pb.allowed_access = rights(p->need) & handled;
	if (syscall(__NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH,
	    &pb, 0) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

int
landlock_ruleset(int abi, const struct landlock_path *paths, size_t n,
    size_t *missing)
{
	struct ruleset_attr attr = { 0, 0, 0 };
	size_t i;
	int ruleset, rc = 0;

	*missing = 0;
	if (abi < 1)
		return -ENOSYS;
	attr.handled_access_fs = handled_fs(abi);
	if (abi >= 4)
		attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP;
	if (abi >= 6)
		attr.scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL;
	ruleset = (int)syscall(__NR_landlock_create_ruleset, &attr, sizeof(attr),
	    0);
	if (ruleset < 0)
		return -errno;
	for (i = 0; i < n && rc == 0; i++) {
		rc = add_path(ruleset, &paths[i], attr.handled_access_fs);
		if (rc == -ENOENT) {
			(*missing)++;
			rc = 0;
		}
	}
	if (rc != 0) {
		close(ruleset);
		return rc;
	}
	return ruleset;
}

int
landlock_enforce(int ruleset)
{
	int rc = 0;

	if (syscall(__NR_landlock_restrict_self, ruleset, 0) != 0)
		rc = -errno;
	close(ruleset);
	return rc;
}
