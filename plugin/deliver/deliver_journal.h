/*
 * deliver_journal: --frame journal, the node drop-in's journald input on
 * the manager: the pieces of a line journald split put back together
 * (frame/journal.h), then delivered as a webhook line is (deliver.h).
 *
 * Durability: a piece that does not end its line is answered OK only once
 * it is in the spool directory's file journal-<stream>.part (appended,
 * fsynced), which the next start reads back: a plugin or rsyslogd restart
 * between the pieces of a line loses none of them.  The file goes when
 * its line is delivered or set aside.  A line whose delivery fails is
 * held as any line is (deliver.h); saved to the spool at the end of
 * input, its .part file goes too (the spool has the whole line).
 *
 * Never delivered cut: a line longer than --max-line, past the table's
 * bounds, or whose last piece never comes (JOURNAL_STALE_LINES envelopes
 * of other streams go by) is set aside (its HMAC, with the unit, stream,
 * pieces and bytes in the reason); a line ended by eof, nul or pid-change
 * is delivered only when it is whole JSON (else set aside as any broken
 * line is).
 */
#ifndef DELIVER_JOURNAL_H
#define DELIVER_JOURNAL_H

#include <stddef.h>

#include "deliver.h"

/*
 * deliver_journal_open(pl):
 * At start, with the spool open and before confinement: make the table
 * (bounded by --max-line) and put back the partial lines of the spool's
 * .part files.  A damaged record ends its file's pieces (a piece written
 * in part was never answered: rsyslog sends it again); a file that does
 * not fit the table is set aside; one that cannot be read is logged and
 * left alone.  Returns 0, or -ENOMEM / a negative errno of the spool
 * directory (logged).
 */
int deliver_journal_open(struct plugin *pl);

/*
 * deliver_journal_line(pl, line, len):
 * One line of --frame journal (stable for the call): an envelope is taken
 * piece by piece; any other line is a webhook line (deliver_text).
 * Returns as deliver_line.
 */
enum deliver_result deliver_journal_line(struct plugin *pl, const char *line,
    size_t len);

/*
 * deliver_journal_saved(pl):
 * The held line went to the spool at the end of input: when it was a line
 * put together from pieces, drop its partial line and .part file.
 */
void deliver_journal_saved(struct plugin *pl);

#endif /* !DELIVER_JOURNAL_H */
