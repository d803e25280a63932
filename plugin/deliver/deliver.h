/*
 * deliver: get every event of a line to analysisd exactly once, or set it
 * aside, while keeping rsyslog informed.
 *
 * A line's progress (how many of its events analysisd has) survives a
 * transient failure, so rsyslog's retry of the same line sends only the
 * rest; it survives a restart through the spool.
 *
 * A line is answered OK once every event is sent (or, accepted ahead, once
 * it is in the spool: deliver_line), not once analysisd has read it:
 * waiting for analysisd to drain its queue after each line would idle it
 * while rsyslog hands over the next.  What it has not read yet
 * stays held in the sink (see sink.h), is sent again if analysisd dies, and
 * outlives us in the spool's unread file at end of input.  So events are
 * delivered at least once; the duplicates are the datagrams a dying
 * analysisd had read but not yet acknowledged by reading on.
 */
#ifndef DELIVER_H
#define DELIVER_H

#include <stddef.h>

#include "plugin.h"

enum deliver_result {
	DELIVER_DONE,	/* every event is with analysisd or set aside: answer OK */
	DELIVER_RETRY,	/* transient failure, pl->error says why: answer it */
	DELIVER_EOF,	/* rsyslog closed our input while we waited */
	DELIVER_ACCEPTED	/* the line is in the spool, nothing of it
			 * delivered yet: answer OK, then deliver_accepted */
};

/*
 * deliver_line(pl, line, len):
 * Deliver the spool's older lines, then `line` (len bytes, not retained).
 * Or accept it ahead (--accept-ahead): when nothing waits (no line held or
 * spooled, no datagram to send again) and analysisd kept up with the last
 * line (it was delivered, the pace was not slowed by analysisd's queue,
 * and waiting for analysisd took less than half of its time), the line is
 * written to the spool (fsynced per --accept-sync) and DELIVER_ACCEPTED
 * returned: answer OK, then call deliver_accepted, so that rsyslog reads
 * its next line from its queue while this one is shaped and sent.  A webhook, Firehose, Pub/Sub or
 * syslog line only: a journal line keeps its own .part files.
 */
enum deliver_result deliver_line(struct plugin *pl, const char *line,
    size_t len);

/*
 * deliver_accepted(pl):
 * Deliver the line deliver_line accepted ahead, once it was answered.
 * Done: it leaves the spool.  Otherwise it stays there with its progress
 * (as a line saved at shutdown), delivered before any other line and no
 * line is accepted ahead meanwhile: at most one line is ever answered and
 * not delivered, and rsyslog keeps the rest (DELIVER_RETRY is answered to
 * the next line if analysisd is still away then).  DELIVER_EOF: input
 * ended (or a stop came) meanwhile; deliver_save keeps its progress.
 */
enum deliver_result deliver_accepted(struct plugin *pl);

/*
 * deliver_keep(pl, line, len):
 * At a stop, a line rsyslog wrote while a line accepted ahead was being
 * delivered: never answered, and rsyslogd does not hand such a line over
 * again after its restart (check-systemd lost it whole), so it goes into
 * the spool like a line held at shutdown; a copy rsyslog still hands over
 * is recognised by its digest and not delivered twice.  line is only read.
 * Returns DELIVER_DONE, or DELIVER_RETRY when the spool cannot be written
 * (logged: the line stays with rsyslog only).
 */
enum deliver_result deliver_keep(struct plugin *pl, const char *line,
    size_t len);

/*
 * deliver_text(pl, line, len):
 * deliver_line for a line (audit Events, as the webhook frame takes them)
 * that stays where it is for the whole call: the spool's older lines
 * first; on a failure the line is held (a copy) for rsyslog's retry and
 * the spool.  --frame journal hands it each line it has put together.
 */
enum deliver_result deliver_text(struct plugin *pl, const char *line,
    size_t len);

/*
 * deliver_reject_text(pl, line, len, reason):
 * Set `line` aside for `reason`: only its HMAC is kept (text that is not
 * whole JSON cannot be redacted reliably).  DELIVER_DONE, or
 * DELIVER_RETRY when the reject file cannot be written (pl->error).
 */
enum deliver_result deliver_reject_text(struct plugin *pl, const char *line,
    size_t len, const char *reason);

/*
 * deliver_spool(pl):
 * Try to deliver the spool's lines while rsyslog has nothing for us.
 */
enum deliver_result deliver_spool(struct plugin *pl);

/*
 * deliver_open_target(pl):
 * At start, before confinement: decide from pl->opts whether the socket is
 * a Wazuh agent's (--target agent; with auto, when it is the socket of the
 * installation at --wazuh-dir and agent_detect says so) and if so pace to
 * it: read its <client_buffer> from etc/ossec.conf (Wazuh's defaults when
 * unreadable, logged) and watch var/run/wazuh-agentd.state, which then
 * replaces analysisd's state file in pl->opts.state_file (so confinement
 * lets it be read); events are fitted to AGENT_MAX_DATAGRAM.  Call after
 * the sink and pl->shape are set up.  Returns 0 or -ENAMETOOLONG (logged).
 */
int deliver_open_target(struct plugin *pl);

/*
 * deliver_load_unread(pl):
 * At start: hold the datagrams the last process saved as possibly unread
 * by analysisd, to be sent again before anything new.  A damaged file is
 * logged, what could be read is held, and 0 returned; -ENOMEM otherwise.
 */
int deliver_load_unread(struct plugin *pl);

/*
 * deliver_resend(pl):
 * Send the held datagrams a dead analysisd (or the last process) may not
 * have read (or had read, if it was another), waiting for room in its
 * socket up to a second: DELIVER_DONE once none is left.
 */
enum deliver_result deliver_resend(struct plugin *pl);

/*
 * deliver_save(pl):
 * At end of input: write every line not fully delivered, with its progress,
 * to the spool, and the datagrams analysisd has not read (after waiting up
 * to 2 s for it to read them).  Returns 0 or a negative errno (logged).
 */
int deliver_save(struct plugin *pl);

#endif /* !DELIVER_H */
