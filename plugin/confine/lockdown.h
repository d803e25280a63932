/*
 * lockdown: the last step of start-up -- privileges go, then the process is
 * confined -- and what it says about it.
 */
#ifndef LOCKDOWN_H
#define LOCKDOWN_H

#include "confine.h"
#include "log.h"
#include "options.h"
#include "privdrop.h"

struct lockdown {
	struct privdrop privdrop;
	struct confine confine;
};

/*
 * lockdown_user(opts):
 * The user the process will run as after lockdown_apply (the effective one
 * when it will not drop, or cannot find its user: lockdown_apply then
 * fails), for the ownership checks of what is opened before.
 */
uid_t lockdown_user(const struct options *opts);

/*
 * lockdown_apply(ld, opts, lg, spool_dirfd, reject_fd):
 * Once everything that needs root is open (the key read): load OpenSSL's
 * configuration while it is reachable; resolve the Landlock rules with the
 * current privileges (confine_prepare); started as root, give the spool
 * directory `spool_dirfd` and the reject file `reject_fd` to the user of
 * opts->user (-1 for either: leave it; only what this process created is
 * given) and become it (privdrop.h);
 * then confine as opts->confinement says (confine_apply).  Logs to `lg`
 * what holds, or what failed.  Returns 0 or a negative errno; after an
 * error the process must exit, as it may be partly confined.
 */
int lockdown_apply(struct lockdown *ld, const struct options *opts,
    const struct log *lg, int spool_dirfd, int reject_fd);

#endif /* !LOCKDOWN_H */
