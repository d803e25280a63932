/*
 * deliver: get every event of a line to analysisd exactly once, or set it
 * aside, while keeping rsyslog informed.
 *
 * A line's progress (how many of its events analysisd has) survives a
 * transient failure, so rsyslog's retry of the same line sends only the
 * rest; it survives a restart through the spool.
 */
#ifndef DELIVER_H
#define DELIVER_H

#include <stddef.h>

#include "plugin.h"

enum deliver_result {
	DELIVER_DONE,	/* every event is with analysisd or set aside: answer OK */
	DELIVER_RETRY,	/* transient failure, pl->error says why: answer it */
	DELIVER_EOF	/* rsyslog closed our input while we waited */
};

/*
 * deliver_line(pl, line, len):
 * Deliver the spool's older lines, then `line` (len bytes, not retained).
 */
enum deliver_result deliver_line(struct plugin *pl, const char *line,
    size_t len);

/*
 * deliver_spool(pl):
 * Try to deliver the spool's lines while rsyslog has nothing for us.
 */
enum deliver_result deliver_spool(struct plugin *pl);

/*
 * deliver_save(pl):
 * At end of input: write every line not fully delivered, with its progress,
 * to the spool.  Returns 0 or a negative errno (logged).
 */
int deliver_save(struct plugin *pl);

#endif /* !DELIVER_H */
