/*
 * stats: the counters the plugin reports.
 */
#ifndef STATS_H
#define STATS_H

#include "log.h"
#include "shape.h"

struct stats {
	unsigned long long lines;		/* lines read from rsyslog */
	unsigned long long events;		/* events handed to analysisd */
	unsigned long long bytes;		/* bytes of those datagrams */
	unsigned long long rejected_lines;	/* whole lines set aside */
	unsigned long long rejected_events;	/* single events set aside */
	unsigned long long temp_failures;	/* lines answered with an error */
	unsigned long long retries;		/* sends retried inside a line */
	unsigned long long duplicates;		/* events not sent again on a resend */
	unsigned long long spooled;		/* lines saved at shutdown */
	unsigned long long accepted_ahead;	/* lines answered OK once in the
						 * spool, then delivered */
	unsigned long long cut_lines;		/* partial lines dropped at end of input */
	unsigned long long resent;		/* datagrams sent again: analysisd may
						 * not have read them before it died */
	unsigned long long resent_read;		/* of them, read by an analysisd
						 * that stopped (its read window) */
	unsigned long long reduced;		/* events sent with an unusable
						 * part replaced (k8s.dropped) */
	unsigned long long reject_unwritten;	/* reject entries only counted:
						 * file over its budget */
	unsigned long long paced_waits;		/* sleeps to stay under the
						 * delivery ceiling */
	unsigned long long agent_disconnected_waits;	/* sleeps while the
						 * Wazuh agent was not connected */
	/* --frame journal (deliver_journal.h) */
	unsigned long long journal_pieces;	/* pieces held for a line */
	unsigned long long journal_lines;	/* lines put back together */
	unsigned long long journal_set_aside;	/* partial lines set aside */
	unsigned long long journal_other;	/* lines of the unit that are
						 * no audit line: counted only */
	unsigned long long journal_restored;	/* spaces journald stripped,
						 * put back */
	struct shape_stats shape;
};

/*
 * stats_report(st, lg, final):
 * Write the counters as one line ("stats: lines=... events=...") or, on the
 * journal, as one entry with a structured field per counter.  `final` marks
 * the line written at exit.
 */
void stats_report(const struct stats *st, const struct log *lg, int final);

#endif /* !STATS_H */
