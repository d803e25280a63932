/* Unit tests of plugin/confine/privdrop.c; the drop itself runs in a child. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privdrop.h"
#include "tap.h"

static uid_t
owner(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0 ? st.st_uid : (uid_t)-1;
}

static void
test_plan(void)
{
	struct privdrop pd;
	struct passwd *pw;

	ok(privdrop_plan(&pd, NULL, true) == 0 && !pd.drop,
	    "--allow-root: no drop");
	if (geteuid() != 0) {
		ok(privdrop_plan(&pd, "nobody", false) == 0 && !pd.drop,
		    "not root: no drop");
		return;
	}
	pw = getpwnam(PRIVDROP_DEFAULT_USER);
	if (pw == NULL)
		pw = getpwnam("nobody");
	ok(privdrop_plan(&pd, NULL, false) == 0 && pd.drop && pw != NULL &&
	    pd.uid == pw->pw_uid && pd.gid == pw->pw_gid &&
	    strcmp(pd.user, pw->pw_name) == 0,
	    "default user: %s", pd.user);
	ok(privdrop_plan(&pd, "root", false) == -EPERM, "--user root: -EPERM");
	ok(privdrop_plan(&pd, "wka-no-such-user", false) == -ENOENT,
	    "unknown user: -ENOENT");
}

/* In a child: drop, then report what the kernel says. */
static void
test_apply(void)
{
	struct privdrop pd;
	gid_t groups[8];
	pid_t pid;
	int status, n;
	uid_t r, e, s;

	if (geteuid() != 0 || privdrop_plan(&pd, "nobody", false) != 0) {
		tap_skip("drop", "not root or no nobody");
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (privdrop_apply(&pd) != 0)
			_exit(1);
		if (getresuid(&r, &e, &s) != 0 || r != pd.uid || e != pd.uid ||
		    s != pd.uid)
			_exit(2);
		if (setuid(0) == 0 || seteuid(0) == 0)
			_exit(3);
		if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
			_exit(4);
		n = getgroups(8, groups);
		if (n != (pd.has_socket_group ? 1 : 0) ||
		    (n == 1 && groups[0] != pd.socket_gid))
			_exit(5);
		if (getgid() != pd.gid || getegid() != pd.gid)
			_exit(6);
		/* The bounding set is empty: CAP_CHOWN (0), CAP_SYS_ADMIN. */
		if (prctl(PR_CAPBSET_READ, 0, 0, 0, 0) != 0 ||
		    prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0)
			_exit(7);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "dropped to nobody for good, no-new-privs, no capability in the "
	    "bounding set, groups %s (exit %d)",
	    pd.has_socket_group ? pd.socket_group : "none",
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void
test_hand_over(void)
{
	char dir[] = "/tmp/wka-privdrop-XXXXXX", f[64], l[64], outside[64];
	struct privdrop pd;
	int dfd, fd;

	if (geteuid() != 0 || privdrop_plan(&pd, "nobody", false) != 0) {
		tap_skip("hand over", "not root or no nobody");
		return;
	}
	if (mkdtemp(dir) == NULL)
		return;
	snprintf(f, sizeof(f), "%s/a.line", dir);
	snprintf(l, sizeof(l), "%s/link", dir);
	snprintf(outside, sizeof(outside), "%s.outside", dir);
	close(open(f, O_WRONLY | O_CREAT, 0600));
	close(open(outside, O_WRONLY | O_CREAT, 0600));
	if (symlink(outside, l) != 0)
		diag("symlink: %s", strerror(errno));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ok(privdrop_hand_over(&pd, dfd) == 0, "hand over the spool");
	ok(owner(dir) == pd.uid, "the directory is the user's");
	ok(owner(f) == 0 && owner(outside) == 0 && owner(l) == 0,
	    "what it holds is not changed (a file found is never handed "
	    "over), a symbolic link not followed");
	fd = open(outside, O_WRONLY);
	ok(privdrop_hand_over(&pd, fd) == 0 && owner(outside) == pd.uid,
	    "hand over the reject file");
	close(fd);
	close(dfd);
	unlink(f);
	unlink(l);
	unlink(outside);
	rmdir(dir);
}

int
main(void)
{
	test_plan();
	test_apply();
	test_hand_over();
	return tap_done();
}
