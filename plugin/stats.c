#include "stats.h"

#include <stdio.h>

#include "config.h"

#ifdef HAVE_SYSTEMD
#include <systemd/sd-journal.h>
#endif

#ifdef HAVE_SYSTEMD
static void
report_journal(const struct stats *st, int final)
{
	sd_journal_send("MESSAGE=%s lines=%llu events=%llu rejected_events=%llu",
	    final ? "final stats:" : "stats:", st->lines, st->events,
	    st->rejected_events,
	    "PRIORITY=%d", LOG_INFO,
	    "SYSLOG_IDENTIFIER=wazuh-k8s-audit",
	    "K8S_AUDIT_LINES=%llu", st->lines,
	    "K8S_AUDIT_EVENTS=%llu", st->events,
	    "K8S_AUDIT_BYTES=%llu", st->bytes,
	    "K8S_AUDIT_REJECTED_LINES=%llu", st->rejected_lines,
	    "K8S_AUDIT_REJECTED_EVENTS=%llu", st->rejected_events,
	    "K8S_AUDIT_TEMP_FAILURES=%llu", st->temp_failures,
	    "K8S_AUDIT_RETRIES=%llu", st->retries,
	    "K8S_AUDIT_DUPLICATES=%llu", st->duplicates,
	    "K8S_AUDIT_SPOOLED=%llu", st->spooled,
	    "K8S_AUDIT_ACCEPTED_AHEAD=%llu", st->accepted_ahead,
	    "K8S_AUDIT_CUT_LINES=%llu", st->cut_lines,
	    "K8S_AUDIT_RESENT=%llu", st->resent,
	    "K8S_AUDIT_RESENT_READ=%llu", st->resent_read,
	    "K8S_AUDIT_REDACTED=%llu", st->shape.redacted,
	    "K8S_AUDIT_TRIMMED=%llu", st->shape.trimmed,
	    "K8S_AUDIT_FILTERED=%llu", st->shape.filtered,
	    "K8S_AUDIT_REDUCED=%llu", st->reduced,
	    "K8S_AUDIT_REJECT_UNWRITTEN=%llu", st->reject_unwritten,
	    "K8S_AUDIT_PACED_WAITS=%llu", st->paced_waits,
	    "K8S_AUDIT_AGENT_DISCONNECTED_WAITS=%llu",
	    st->agent_disconnected_waits,
	    "K8S_AUDIT_JOURNAL_PIECES=%llu", st->journal_pieces,
	    "K8S_AUDIT_JOURNAL_LINES=%llu", st->journal_lines,
	    "K8S_AUDIT_JOURNAL_SET_ASIDE=%llu", st->journal_set_aside,
	    "K8S_AUDIT_JOURNAL_OTHER=%llu", st->journal_other,
	    "K8S_AUDIT_JOURNAL_RESTORED=%llu", st->journal_restored,
	    NULL);
}
#endif

void
stats_report(const struct stats *st, const struct log *lg, int final)
{
#ifdef HAVE_SYSTEMD
	if (lg->target == LOG_TARGET_JOURNAL) {
		report_journal(st, final);
		return;
	}
#endif
	log_msg(lg, LOG_INFO, "%s lines=%llu events=%llu bytes=%llu "
	    "rejected_lines=%llu rejected_events=%llu temp_failures=%llu "
	    "retries=%llu duplicates=%llu spooled=%llu cut_lines=%llu "
	    "resent=%llu resent_read=%llu redacted=%llu trimmed=%llu filtered=%llu reduced=%llu "
	    "reject_unwritten=%llu paced_waits=%llu agent_disconnected_waits=%llu "
	    "accepted_ahead=%llu",
	    final ? "final stats:" : "stats:",
	    st->lines, st->events, st->bytes, st->rejected_lines,
	    st->rejected_events, st->temp_failures, st->retries,
	    st->duplicates, st->spooled, st->cut_lines, st->resent,
	    st->resent_read,
	    st->shape.redacted, st->shape.trimmed, st->shape.filtered,
	    st->reduced, st->reject_unwritten, st->paced_waits,
	    st->agent_disconnected_waits, st->accepted_ahead);
	if (st->journal_pieces + st->journal_other + st->journal_set_aside > 0)
		log_msg(lg, LOG_INFO, "%s journal_pieces=%llu journal_lines=%llu "
		    "journal_set_aside=%llu journal_other=%llu "
		    "journal_restored=%llu", final ? "final stats:" : "stats:",
		    st->journal_pieces, st->journal_lines,
		    st->journal_set_aside, st->journal_other,
		    st->journal_restored);
}
