/*
 * privdrop: leave root for an unprivileged user once what needs root is open.
 *
 * rsyslogd runs its omprog programs as itself, which is root on Debian and
 * RHEL.  The plugin parses input a cluster user controls, so after start-up
 * it runs as a user that owns nothing but the plugin's own files, with the
 * group of analysisd's socket (wazuh, or ossec before Wazuh 4.3) as a
 * supplementary group so that it can still reconnect after analysisd
 * restarts.
 */
#ifndef PRIVDROP_H
#define PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The user tried when --user is not given, then "nobody". */
#define PRIVDROP_DEFAULT_USER "wazuh-k8s-audit"
/* Groups of analysisd's socket, first that exists wins. */
#define PRIVDROP_SOCKET_GROUPS { "wazuh", "ossec" }

struct privdrop {
	bool drop;		/* started as root and not allowed to stay */
	uid_t uid;
	gid_t gid;
	gid_t socket_gid;	/* supplementary group, if has_socket_group */
	bool has_socket_group;
	char user[64];
	char socket_group[64];
};

/*
 * privdrop_plan(pd, user, allow_root):
 * Decide what privdrop_apply will do.  When the effective user is not root,
 * nothing (pd->drop false).  When it is root and `allow_root` is set,
 * nothing either.  Otherwise look up `user` (NULL: PRIVDROP_DEFAULT_USER if
 * it exists, else "nobody") and the socket group, with NSS, which must
 * happen before confinement closes the files NSS reads.  Returns 0, -ENOENT
 * when the user does not exist, -EPERM when it is root (uid 0) itself or
 * its primary group is root's (gid 0) and `allow_root` is not set, or
 * another negative errno.
 */
int privdrop_plan(struct privdrop *pd, const char *user, bool allow_root);

/*
 * privdrop_hand_over(pd, fd):
 * Give the open file or directory `fd` to the planned user (its primary
 * group), so that it can keep writing there after the drop.  Only for
 * what this process created: a file found in place may be anything an
 * attacker arranged.  Does nothing when !pd->drop or fd < 0.  Returns 0 or
 * a negative errno.
 */
int privdrop_hand_over(const struct privdrop *pd, int fd);

/*
 * privdrop_apply(pd):
 * Set PR_SET_NO_NEW_PRIVS (always, dropping or not), then when pd->drop
 * empty the capability bounding and ambient sets, set the supplementary
 * groups to the socket group alone (or none), the real,
 * effective and saved group and user IDs to the planned ones, and check that
 * root cannot be regained.  Returns 0 or a negative errno; on error the
 * process must not go on.
 */
int privdrop_apply(const struct privdrop *pd);

#endif /* !PRIVDROP_H */
