/*
 * keep: the lines the forwarder holds when it stops, kept across restarts.
 *
 * rsyslog drops the batch its suspended action holds when it shuts down
 * (BRIEF §2; plugin/deliver/spool.h): a node stopped while no manager
 * acknowledges would lose the transaction in flight.  So at a stop the
 * lines no manager acknowledged go into a spool directory (spool.h: the
 * same format, checks and lock as the manager plugin's spool) and are
 * delivered first at the next start, before the program tells omprog it is
 * ready.  A line rsyslog did keep as well arrives twice, never zero times.
 */
#ifndef KEEP_H
#define KEEP_H

#include "forward.h"
#include "spool.h"

/*
 * keep_replay(sp, f, lg):
 * Deliver the lines in sp (oldest first) through f and remove them once
 * acknowledged.  Returns 0, -EINTR on a stop (the lines stay in sp), or
 * another negative errno, logged (what was not removed stays in sp).
 */
int keep_replay(struct spool *sp, struct forward *f, const struct log *lg);

/*
 * keep_save(sp, f, lg):
 * Save every line f holds that no manager acknowledged into sp, durably.
 * Returns how many were saved, or a negative errno, logged (the lines not
 * saved are lost unless rsyslog hands them over again).
 */
int keep_save(struct spool *sp, const struct forward *f,
    const struct log *lg);

#endif /* !KEEP_H */
