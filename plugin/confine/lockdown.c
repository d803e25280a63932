#include "lockdown.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

static int
fail(const struct log *lg, const char *what, const char *path, int rc)
{
	log_msg(lg, LOG_ERR, "cannot %s %s: %s", what, path, strerror(-rc));
	return rc;
}

static void
report_user(const struct lockdown *ld, const struct options *o,
    const struct log *lg)
{
	const struct privdrop *pd = &ld->privdrop;

	if (geteuid() == 0)
		log_msg(lg, LOG_WARNING, "running as root (--allow-root)");
	else if (pd->drop)
		log_msg(lg, LOG_INFO, "running as user %s%s%s", pd->user,
		    pd->has_socket_group ? " with group " : "",
		    pd->socket_group);
	else if (o->user != NULL)
		log_msg(lg, LOG_NOTICE, "not started as root: --user %s ignored",
		    o->user);
}

/* Become the unprivileged user, keeping what was opened as root. */
static int
drop_privileges(struct lockdown *ld, const struct options *o,
    const struct log *lg, int spool_dirfd, int reject_fd)
{
	struct privdrop *pd = &ld->privdrop;
	int rc;

	rc = privdrop_plan(pd, o->user, o->allow_root);
	if (rc == -EPERM) {
		log_msg(lg, LOG_ERR, "refusing to run as root: --user names "
		    "root; give another user or --allow-root");
		return rc;
	}
	if (rc != 0)
		return fail(lg, "find user", o->user != NULL ? o->user :
		    PRIVDROP_DEFAULT_USER " or nobody", rc);
	if ((rc = privdrop_hand_over_dir(pd, spool_dirfd)) != 0)
		return fail(lg, "give to the user the spool", o->spool_dir, rc);
	if ((rc = privdrop_hand_over_file(pd, reject_fd)) != 0)
		return fail(lg, "give to the user the reject file",
		    o->reject_file, rc);
	if ((rc = privdrop_apply(pd)) != 0)
		return fail(lg, "become user", pd->user, rc);
	report_user(ld, o, lg);
	return 0;
}

/*
 * After logrotate renames the reject file, the plugin creates it again: its
 * directory must be the user's.  Handing over a directory that may be
 * shared (/var/log) is not ours to do, so say it.
 */
static void
check_reject_dir(const struct lockdown *ld, const struct options *o,
    const struct log *lg)
{
	const char *slash = strrchr(o->reject_file, '/');
	char dir[PATH_MAX];
	size_t n;

	if (!ld->privdrop.drop || slash == NULL)
		return;
	n = slash == o->reject_file ? 1 : (size_t)(slash - o->reject_file);
	if (n >= sizeof(dir))
		return;
	memcpy(dir, o->reject_file, n);
	dir[n] = '\0';
	if (access(dir, W_OK | X_OK) != 0)
		log_msg(lg, LOG_WARNING, "user %s cannot write %s: a rotated "
		    "reject file cannot be created again; give it the directory",
		    ld->privdrop.user, dir);
}

static int
confine_failed(const struct lockdown *ld, const struct log *lg, int rc)
{
	char what[160];

	confine_describe(&ld->confine.status, what, sizeof(what));
	log_msg(lg, LOG_ERR, "cannot confine the process (%s): %s", what,
	    strerror(-rc));
	return rc;
}

/*
 * Whether the directory of analysisd's state file is absent: normal on a
 * machine with no Wazuh manager yet (the package restarts the plugin when
 * one is installed), so it is not reported as a confinement gap.
 */
static bool
state_dir_absent(const struct options *o)
{
	char dir[PATH_MAX];
	const char *slash;
	struct stat sb;

	if (o->state_file == NULL || (slash = strrchr(o->state_file, '/')) == NULL ||
	    slash == o->state_file || (size_t)(slash - o->state_file) >= sizeof(dir))
		return false;
	memcpy(dir, o->state_file, (size_t)(slash - o->state_file));
	dir[slash - o->state_file] = '\0';
	return stat(dir, &sb) == -1 && errno == ENOENT;
}

static void
report_confinement(const struct lockdown *ld, const struct log *lg,
    bool no_state_dir)
{
	const struct confine_status *st = &ld->confine.status;
	size_t missing = st->landlock_missing;
	char what[160];

	confine_describe(st, what, sizeof(what));
	if (st->mode == CONFINEMENT_ON && (!st->landlock || !st->seccomp))
		log_msg(lg, LOG_NOTICE, "partly confined: %s", what);
	else
		log_msg(lg, LOG_INFO, "%s", what);
	if (no_state_dir && missing > 0)
		missing--;
	if (missing > 0)
		log_msg(lg, LOG_NOTICE, "%zu confined path(s) missing at start: "
		    "unreachable until restart", missing);
}

int
lockdown_apply(struct lockdown *ld, const struct options *o,
    const struct log *lg, int spool_dirfd, int reject_fd)
{
	struct confine_paths paths = { o->spool_dir, o->reject_file,
	    o->state_file, o->socket_path,
	    o->log == LOG_TARGET_JOURNAL ? "/run/systemd/journal" : NULL };
	bool no_state_dir = state_dir_absent(o);
	int rc;

	memset(ld, 0, sizeof(*ld));
	ld->confine.ruleset = -1;
	/* OpenSSL reads its configuration (and loads the FIPS provider on
	 * RHEL) on first use: now, while the files are reachable. */
	if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1)
		log_msg(lg, LOG_WARNING, "cannot load OpenSSL's configuration: "
		    "its defaults apply");
	if ((rc = confine_prepare(&ld->confine, o->confinement, &paths)) != 0) {
		confine_release(&ld->confine);
		return confine_failed(ld, lg, rc);
	}
	rc = drop_privileges(ld, o, lg, spool_dirfd, reject_fd);
	if (rc != 0) {
		confine_release(&ld->confine);
		return rc;
	}
	check_reject_dir(ld, o, lg);
	rc = confine_apply(&ld->confine);
	confine_release(&ld->confine);
	if (rc != 0)
		return confine_failed(ld, lg, rc);
	report_confinement(ld, lg, no_state_dir);
	return 0;
}
