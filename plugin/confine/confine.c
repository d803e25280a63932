#include "confine.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "landlock.h"
#include "sysfilter.h"

/* Room for the directories of the three paths and the sanitizer ones. */
#define MAX_RULES 12

#ifdef HAVE_SANITIZERS
#define SANITIZERS true
#else
#define SANITIZERS false
#endif

/* The directory holding `path` into dir[cap]; 0 or -ENAMETOOLONG. */
static int
dir_of(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		if (cap < 2)
			return -ENAMETOOLONG;
		strcpy(dir, ".");
		return 0;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= cap)
		return -ENAMETOOLONG;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

/* The directory of the file a symbolic link points to. */
static int
readlink_dir(const char *link, char *dir, size_t cap)
{
	char target[PATH_MAX];
	ssize_t n = readlink(link, target, sizeof(target) - 1);

	if (n <= 0)
		return n < 0 ? -errno : -EINVAL;
	target[n] = '\0';
	return dir_of(target, dir, cap);
}

struct rules {
	struct landlock_path p[MAX_RULES];
	size_t n;
	char dirs[4][PATH_MAX];
};

static void
add(struct rules *r, const char *path, enum landlock_need need)
{
	if (path == NULL || r->n == MAX_RULES)
		return;
	r->p[r->n].path = path;
	r->p[r->n].need = need;
	r->n++;
}

static int
build_rules(struct rules *r, const struct confine_paths *paths)
{
	int rc;

	r->n = 0;
	add(r, paths->spool_dir, LANDLOCK_NEED_KEEP);
	/* Directories, not files: logrotate renames the reject file and the
	 * plugin creates it again; analysisd may replace its state file. */
	if (paths->reject_file != NULL) {
		if ((rc = dir_of(paths->reject_file, r->dirs[0], PATH_MAX)) != 0)
			return rc;
		add(r, r->dirs[0], LANDLOCK_NEED_APPEND);
	}
	if (paths->state_file != NULL) {
		if ((rc = dir_of(paths->state_file, r->dirs[1], PATH_MAX)) != 0)
			return rc;
		add(r, r->dirs[1], LANDLOCK_NEED_READ);
	}
	/* The directory: analysisd makes a new socket when it restarts. */
	if (paths->socket_path != NULL) {
		if ((rc = dir_of(paths->socket_path, r->dirs[3], PATH_MAX)) != 0)
			return rc;
		add(r, r->dirs[3], LANDLOCK_NEED_CONNECT);
	}
	add(r, paths->journal_dir, LANDLOCK_NEED_CONNECT);
	if (SANITIZERS) {
		/* Sanitizer builds only: reports and LeakSanitizer read /proc
		 * and the ELF files of the program and its libraries. */
		add(r, "/proc", LANDLOCK_NEED_READ);
		add(r, "/usr", LANDLOCK_NEED_READ);
		add(r, "/lib", LANDLOCK_NEED_READ);
		add(r, "/lib64", LANDLOCK_NEED_READ);
		if (readlink_dir("/proc/self/exe", r->dirs[2], PATH_MAX) == 0)
			add(r, r->dirs[2], LANDLOCK_NEED_READ);
	}
	return 0;
}

int
confine_prepare(struct confine *c, enum confinement mode,
    const struct confine_paths *paths)
{
	struct rules r;
	int rc;

	memset(&c->status, 0, sizeof(c->status));
	c->ruleset = -1;
	c->journal = paths->journal_dir != NULL;
	c->status.mode = mode;
	c->status.seccomp_built = sysfilter_built();
	if (mode == CONFINEMENT_OFF)
		return 0;
	c->status.landlock_abi = landlock_abi();
	if (c->status.landlock_abi == 0)
		return mode == CONFINEMENT_STRICT ? -ENOSYS : 0;
	if ((rc = build_rules(&r, paths)) != 0)
		return rc;
	rc = landlock_ruleset(c->status.landlock_abi, r.p, r.n,
	    &c->status.landlock_missing);
	if (rc < 0)
		return rc;
	c->ruleset = rc;
	return 0;
}

static int
apply_seccomp(struct confine_status *st, bool journal)
{
	int rc;

	st->sanitizer_allowance = SANITIZERS;
	rc = sysfilter_load(st->mode == CONFINEMENT_STRICT ? SYSFILTER_KILL :
	    SYSFILTER_FAIL, journal, SANITIZERS);
	if (rc == -ENOSYS && st->mode != CONFINEMENT_STRICT)
		return 0;
	if (rc != 0)
		return rc;
	st->seccomp = true;
	return 0;
}

int
confine_apply(struct confine *c)
{
	int rc;

	if (c->status.mode == CONFINEMENT_OFF)
		return 0;
	/* Landlock first: its own system calls are not on the allow-list. */
	if (c->ruleset != -1) {
		rc = landlock_enforce(c->ruleset);
		c->ruleset = -1;
		if (rc != 0)
			return rc;
		c->status.landlock = true;
	}
	return apply_seccomp(&c->status, c->journal);
}

void
confine_release(struct confine *c)
{
	if (c->ruleset != -1)
		close(c->ruleset);
	c->ruleset = -1;
}

static const char *
mode_name(enum confinement mode)
{
	switch (mode) {
	case CONFINEMENT_OFF:
		return "off";
	case CONFINEMENT_ON:
		return "on";
	case CONFINEMENT_STRICT:
		return "strict";
	}
	return "?";
}

const char *
confine_describe(const struct confine_status *st, char *buf, size_t cap)
{
	char landlock[32];

	if (cap == 0)
		return buf;
	if (st->landlock)
		snprintf(landlock, sizeof(landlock), "abi%d", st->landlock_abi);
	else if (st->mode == CONFINEMENT_OFF)
		snprintf(landlock, sizeof(landlock), "off");
	else
		snprintf(landlock, sizeof(landlock), "unavailable");
	snprintf(buf, cap, "confinement=%s landlock=%s seccomp=%s%s",
	    mode_name(st->mode), landlock,
	    st->seccomp ? (st->mode == CONFINEMENT_STRICT ? "kill" : "enosys") :
	    st->seccomp_built ? "off" : "not-built",
	    st->sanitizer_allowance ? " sanitizer-allowance" : "");
	return buf;
}
