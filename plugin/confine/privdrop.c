#include "privdrop.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

/* getpwnam_r/getgrnam_r want a buffer; entries of local users are small. */
#define NSS_BUF 4096

static int
copy_name(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

/* Look up `name`; 0, -ENOENT or another negative errno. */
static int
find_user(const char *name, uid_t *uid, gid_t *gid)
{
	char buf[NSS_BUF];
	struct passwd pw, *found = NULL;
	int rc;

	rc = getpwnam_r(name, &pw, buf, sizeof(buf), &found);
	if (rc != 0)
		return -rc;
	if (found == NULL)
		return -ENOENT;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

static int
find_group(const char *name, gid_t *gid)
{
	char buf[NSS_BUF];
	struct group gr, *found = NULL;
	int rc;

	rc = getgrnam_r(name, &gr, buf, sizeof(buf), &found);
	if (rc != 0)
		return -rc;
	if (found == NULL)
		return -ENOENT;
	*gid = gr.gr_gid;
	return 0;
}

static int
plan_user(struct privdrop *pd, const char *user)
{
	int rc;

	if (user != NULL) {
		if ((rc = find_user(user, &pd->uid, &pd->gid)) != 0)
			return rc;
		return copy_name(pd->user, sizeof(pd->user), user);
	}
	user = PRIVDROP_DEFAULT_USER;
	rc = find_user(user, &pd->uid, &pd->gid);
	if (rc == -ENOENT) {
		user = "nobody";
		rc = find_user(user, &pd->uid, &pd->gid);
	}
	if (rc != 0)
		return rc;
	return copy_name(pd->user, sizeof(pd->user), user);
}

static void
plan_socket_group(struct privdrop *pd)
{
	static const char *const names[] = PRIVDROP_SOCKET_GROUPS;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (find_group(names[i], &pd->socket_gid) != 0)
			continue;
		if (copy_name(pd->socket_group, sizeof(pd->socket_group),
		    names[i]) != 0)
			continue;
		pd->has_socket_group = true;
		return;
	}
}

int
privdrop_plan(struct privdrop *pd, const char *user, bool allow_root)
{
	int rc;

	memset(pd, 0, sizeof(*pd));
	if (geteuid() != 0 || allow_root)
		return 0;
	if ((rc = plan_user(pd, user)) != 0)
		return rc;
	/* Group root owns files (and /etc/shadow-like ones read by group). */
	if (pd->uid == 0 || pd->gid == 0)
		return -EPERM;
	plan_socket_group(pd);
	pd->drop = true;
	return 0;
}

int
privdrop_hand_over(const struct privdrop *pd, int fd)
{
	if (!pd->drop || fd < 0)
		return 0;
	return fchown(fd, pd->uid, pd->gid) == 0 ? 0 : -errno;
}

/*
 * Empty the capability bounding set (needs CAP_SETPCAP: before the IDs
 * change) and the ambient set: nothing the process could ever execute
 * gets a capability back.
 */
static int
drop_capabilities(void)
{
	int cap;

	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
			return -errno;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
	    errno != EINVAL)
		return -errno;
	return 0;
}

static int
become(const struct privdrop *pd)
{
	uid_t r, e, s;
	int rc;

	if ((rc = drop_capabilities()) != 0)
		return rc;
	if (setgroups(pd->has_socket_group ? 1 : 0, &pd->socket_gid) != 0)
		return -errno;
	if (setresgid(pd->gid, pd->gid, pd->gid) != 0)
		return -errno;
	if (setresuid(pd->uid, pd->uid, pd->uid) != 0)
		return -errno;
	/* A saved set-user-ID of 0 would let the process come back. */
	if (setresuid(0, 0, 0) == 0)
		return -EPERM;
	if (getresuid(&r, &e, &s) != 0 || r != pd->uid || e != pd->uid ||
	    s != pd->uid)
		return -EPERM;
#ifdef HAVE_SANITIZERS
	/* Sanitizer builds only: LeakSanitizer stops the process with ptrace
	 * at exit, which a process that changed its IDs (not dumpable) denies
	 * to itself. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
		return -errno;
#endif
	return 0;
}

int
privdrop_apply(const struct privdrop *pd)
{
	/* Nothing executed from here on gains privileges (setuid binaries,
	 * file capabilities): also what lets an unprivileged process load a
	 * seccomp filter and a Landlock ruleset. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	if (!pd->drop)
		return 0;
	return become(pd);
}
