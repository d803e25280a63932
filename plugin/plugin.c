#include "plugin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver.h"
#include "deliver_journal.h"
#include "readwin.h"
#include "fds.h"
#include "keyfile.h"
#include "wake.h"

/* How often to retry the spool while rsyslog sends nothing. */
#define SPOOL_RETRY_S 1
/* While datagrams are held, how often to look whether analysisd read them:
 * what it read but is not known to have read goes again if it dies. */
#define HELD_CHECK_MS 100

/* Events of a line whose records the scanner keeps at a time. */
#define SCAN_WINDOW 16384

static struct timespec
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t;
}

static long
ms_until(const struct timespec *when)
{
	struct timespec t = now();
	long ms = (long)(when->tv_sec - t.tv_sec) * 1000 +
	    (when->tv_nsec - t.tv_nsec) / 1000000;

	return ms < 0 ? 0 : ms;
}

static int
fail(struct plugin *pl, const char *what, const char *path, int rc)
{
	log_msg(&pl->log, LOG_ERR, "cannot %s %s: %s", what, path,
	    strerror(-rc));
	return rc;
}

/*
 * The reject file and the spool are opened as root: say exactly what the
 * admin must fix.  Not repaired in place: whoever could write there may
 * have planted anything already.  rsyslog keeps the lines meanwhile.
 */
static int
fail_file(struct plugin *pl, const char *what, const char *path, int rc)
{
	const char *why = NULL;

	if (rc == -EPERM)
		why = "its directory must be owned by root or the plugin's user "
		    "and not writable by group or others";
	else if (rc == -ELOOP || rc == -ENOTDIR)
		why = "a symbolic link is never followed";
	else if (rc == -EINVAL)
		why = "it must be a regular file with a single link";
	if (why == NULL)
		return fail(pl, what, path, rc);
	log_msg(&pl->log, LOG_ERR, "refusing to %s %s: %s (%s); nothing is "
	    "answered until it is fixed", what, path, why, strerror(-rc));
	return rc;
}

int
plugin_open(struct plugin *pl, const struct options *opts)
{
	struct timespec t = now();
	uid_t user;
	int rc;

	fds_close_inherited();
	memset(pl, 0, sizeof(*pl));
	pl->opts = *opts;
	pl->log.target = opts->log;
	pl->reject.fd = -1;
	pl->reject.dirfd = -1;
	pl->spool.dirfd = -1;
	jscan_init(&pl->scan);
	/*
	 * Events are delivered one after another: their records need not all
	 * be kept at once.  A window far above a batch's size (the apiserver
	 * sends at most 400 events a batch by default) keeps ordinary lines
	 * to one scan, and a line of millions of tiny items to a bounded
	 * record (16384 events take 0.9 MB, under SCAN_KEEP_BYTES).
	 */
	jscan_set_window(&pl->scan, SCAN_WINDOW);
	/* First: from here on a stop signal is a request, not a kill. */
	if ((rc = stopsig_open(&pl->stop)) != 0)
		return fail(pl, "watch for", "stop signals", rc);
	if ((rc = sink_init(&pl->sink, opts->socket_path, opts->location)) != 0)
		return fail(pl, "use socket/location", opts->location, rc);
	sink_set_window(&pl->sink, opts->read_window, opts->read_window_bytes,
	    opts->read_window_secs);
	if ((rc = omprog_init(&pl->io, STDIN_FILENO, STDOUT_FILENO,
	    pl->stop.fd, opts->max_line)) != 0)
		return fail(pl, "set up", "stdin", rc);
	user = lockdown_user(opts);
	if ((rc = reject_open(&pl->reject, opts->reject_file,
	    opts->reject_max_bytes, user)) != 0)
		return fail_file(pl, "open reject file", opts->reject_file, rc);
	if ((rc = spool_open(&pl->spool, opts->spool_dir, opts->max_line,
	    user)) != 0)
		return fail_file(pl, "open spool", opts->spool_dir, rc);
	if ((rc = keyfile_load(opts->key_file, pl->shape.key,
	    sizeof(pl->shape.key))) != 0)
		return fail(pl, "load key file", opts->key_file, rc);
	reject_set_key(&pl->reject, pl->shape.key, sizeof(pl->shape.key));
	spool_set_key(&pl->spool, pl->shape.key, sizeof(pl->shape.key));
	pl->shape.cluster = opts->cluster;
	pl->shape.source = opts->source;
	pl->shape.stages = opts->stages;
	pl->shape.max_fields = opts->max_fields;
	pl->shape.max_bytes = SINK_MAX_DATAGRAM - pl->sink.header_len;
	pace_init(&pl->pace, opts->max_eps, opts->state_file, &t);
	if ((rc = deliver_open_target(pl)) != 0)
		return rc;
	pl->next_stats = t;
	pl->next_stats.tv_sec += opts->stats_interval;
	pl->next_spool_try = t;
	/* The read window is older than what analysisd had not read. */
	if ((rc = readwin_load(pl)) != 0 ||
	    (rc = deliver_load_unread(pl)) != 0)
		return rc;
	if (opts->frame == FRAME_JOURNAL &&
	    (rc = deliver_journal_open(pl)) != 0)
		return fail(pl, "read the journald part files in",
		    opts->spool_dir, rc);
	if (pl->spool.count > 0)
		log_msg(&pl->log, LOG_NOTICE, "%zu line(s) in spool %s: "
		    "delivering them first", pl->spool.count, opts->spool_dir);
	return lockdown_apply(&pl->lockdown, &pl->opts, &pl->log,
	    pl->spool.created ? pl->spool.dirfd : -1,
	    pl->reject.created ? pl->reject.fd : -1);
}

void
plugin_close(struct plugin *pl)
{
	sink_free(&pl->sink);
	reject_close(&pl->reject);
	spool_close(&pl->spool);
	omprog_free(&pl->io);
	stopsig_close(&pl->stop);
	jscan_free(&pl->scan);
	journal_free(&pl->journal);
	free(pl->copy);
	pl->copy = NULL;
	free(pl->held.line);
	pl->held.line = NULL;
}

/* Seconds between log lines about reject entries that were only counted. */
#define REJECT_NOTE_S 60

/*
 * The summary of reject entries past the file's budget: the first at once,
 * then at most one line a minute, so the log cannot be flooded either.
 */
static void
note_unwritten(struct plugin *pl, const struct timespec *t)
{
	unsigned long long n = reject_unwritten(&pl->reject);

	pl->stats.reject_unwritten += n;
	pl->reject_unnoted += n;
	if (pl->reject_unnoted == 0 || ms_until(&pl->next_reject_note) > 0)
		return;
	log_msg(&pl->log, LOG_WARNING, "%llu reject entries counted, not "
	    "written: %s is over --reject-max-bytes (%llu); rotate it",
	    pl->reject_unnoted, pl->opts.reject_file,
	    pl->opts.reject_max_bytes);
	pl->reject_unnoted = 0;
	pl->next_reject_note = *t;
	pl->next_reject_note.tv_sec += REJECT_NOTE_S;
}

/* Work that is due whether or not rsyslog sends anything. */
static enum deliver_result
periodic(struct plugin *pl)
{
	struct timespec t = now();

	note_unwritten(pl, &t);
	if (pl->opts.stats_interval > 0 && ms_until(&pl->next_stats) == 0) {
		stats_report(&pl->stats, &pl->log, 0);
		pl->next_stats = t;
		pl->next_stats.tv_sec += pl->opts.stats_interval;
	}
	/* Forget what analysisd has read since: fewer resent if it dies.
	 * At most every HELD_CHECK_MS, not after every line: its liveness
	 * probe (a stat, a socket connected and closed) was a third of the
	 * plugin's time for one-event lines (RELP, syslog: bench/relp.py),
	 * and every send trims the window already. */
	if (ms_until(&pl->next_held_check) == 0) {
		(void)sink_settle(&pl->sink);
		pl->next_held_check = t;
		pl->next_held_check.tv_nsec += HELD_CHECK_MS * 1000000L;
		if (pl->next_held_check.tv_nsec >= 1000000000L) {
			pl->next_held_check.tv_sec++;
			pl->next_held_check.tv_nsec -= 1000000000L;
		}
	}
	if ((pl->spool.count == 0 && sink_pending(&pl->sink) == 0) ||
	    ms_until(&pl->next_spool_try) > 0)
		return DELIVER_DONE;
	pl->next_spool_try = t;
	pl->next_spool_try.tv_sec += SPOOL_RETRY_S;
	/* Failures wait for the next try: nobody waits for an answer. */
	if (deliver_resend(pl) != DELIVER_DONE)
		return DELIVER_DONE;
	return deliver_spool(pl);
}

/* How long the main loop may sleep before periodic work is due. */
static int
idle_timeout(const struct plugin *pl)
{
	long ms = -1, spool_ms, held_ms;

	if (pl->opts.stats_interval > 0)
		ms = ms_until(&pl->next_stats);
	if (pl->spool.count > 0 || sink_pending(&pl->sink) > 0) {
		spool_ms = ms_until(&pl->next_spool_try);
		if (ms < 0 || spool_ms < ms)
			ms = spool_ms;
	}
	/* The read window too: it ages only while analysisd is seen alive,
	 * and goes again at once when it is seen replaced. */
	if (sink_held_count(&pl->sink) + sink_taken_count(&pl->sink) > 0) {
		held_ms = ms_until(&pl->next_held_check);
		if (ms < 0 || held_ms < ms)
			ms = held_ms;
	}
	return ms > 60000 ? 60000 : (int)ms;
}

/* What reject_too_long hands omprog_skip_line. */
struct too_long {
	struct reject *reject;
	int rc;			/* first error of the reject stream */
};

/*
 * Never fails: the line must be read to its end whatever happens to its
 * reject entry, or its rest would come back as the next line, answered
 * again and again (answers out of step with rsyslog's lines).
 */
static int
stream_to_reject(void *arg, const char *bytes, size_t n)
{
	struct too_long *tl = arg;

	if (tl->rc == 0)
		tl->rc = reject_stream_bytes(tl->reject, bytes, n);
	return 0;
}

/*
 * A line longer than --max-line: set it aside without holding it.  It is
 * too long to parse, so too long to redact: only its HMAC is kept.
 */
static enum deliver_result
reject_too_long(struct plugin *pl)
{
	struct too_long tl = { &pl->reject, 0 };
	char reason[96];
	int rc, end;

	snprintf(reason, sizeof(reason), "line longer than --max-line (%zu "
	    "bytes)", pl->opts.max_line);
	log_msg(&pl->log, LOG_WARNING, "%s: set aside", reason);
	tl.rc = reject_stream_begin(&pl->reject, reason);
	rc = omprog_skip_line(&pl->io, stream_to_reject, &tl);
	end = reject_stream_end(&pl->reject);
	/* Stopped inside it: no answer, rsyslog hands the line over again. */
	if (rc == -EINTR)
		return DELIVER_EOF;
	if (rc == 0)
		rc = tl.rc;
	if (rc == 0)
		rc = end;
	if (rc == 0)
		rc = reject_sync(&pl->reject);
	if (rc != 0) {
		snprintf(pl->error, sizeof(pl->error), "error: cannot set aside "
		    "an overlong line: %s", strerror(-rc));
		return DELIVER_RETRY;
	}
	pl->stats.rejected_lines++;
	return DELIVER_DONE;
}

static bool
is_transaction_marker(const char *line)
{
	return strcmp(line, "BEGIN TRANSACTION") == 0 ||
	    strcmp(line, "COMMIT TRANSACTION") == 0;
}

/*
 * Answer one line.  Each event is with analysisd, or the line in the spool
 * (accepted ahead), before its line is answered, so inside omprog
 * transactions every line is committed when answered: "OK", never
 * DEFER_COMMIT.
 */
static enum deliver_result
handle_line(struct plugin *pl, const char *line, size_t len)
{
	enum deliver_result r;

	if (is_transaction_marker(line))
		return DELIVER_DONE;
	/* Carries nothing: periodic(), after the answer, sends the spool and
	 * the read window at once instead of at the next batch. */
	if (wake_line(line, len)) {
		log_msg(&pl->log, LOG_INFO, "rsyslogd started: what the spool "
		    "holds goes out now");
		return DELIVER_DONE;
	}
	pl->stats.lines++;
	pl->answering = true;
	pl->last_dot = now();
	r = deliver_line(pl, line, len);
	pl->answering = false;
	return r;
}

static int
answer(struct plugin *pl, enum deliver_result r)
{
	if (r == DELIVER_RETRY) {
		pl->stats.temp_failures++;
		return omprog_answer(&pl->io, pl->error);
	}
	return omprog_answer(&pl->io, "OK");
}

/* One turn of the main loop: false once input has ended. */
static bool
serve_one(struct plugin *pl)
{
	enum deliver_result r;
	char *line;
	size_t len;

	/* Lines rsyslog wrote but we have not answered stay in its queue. */
	if (stopsig_requested(&pl->stop))
		return false;
	switch (omprog_read_line(&pl->io, idle_timeout(pl), &line, &len)) {
	case OMPROG_TIMEOUT:
		return periodic(pl) != DELIVER_EOF;
	case OMPROG_EOF:
	case OMPROG_STOP:
		return false;
	case OMPROG_ERROR:
		log_msg(&pl->log, LOG_ERR, "reading from rsyslog: %s",
		    strerror(errno));
		return false;
	case OMPROG_CUT:
		/* Not bad input: rsyslogd died while writing it.  Nothing is
		 * answered for it, so its queue still holds the whole line. */
		pl->stats.cut_lines++;
		log_msg(&pl->log, LOG_WARNING, "input ended inside a line (%zu "
		    "bytes without a newline): rsyslogd stopped while writing "
		    "it; dropped, rsyslogd hands the whole line over again", len);
		return false;
	case OMPROG_TOO_LONG:
		pl->stats.lines++;
		r = reject_too_long(pl);
		break;
	case OMPROG_LINE:
		r = handle_line(pl, line, len);
		break;
	default:
		return false;
	}
	if (r == DELIVER_EOF || answer(pl, r) != 0)
		return false;
	/* Answered: rsyslog reads its next line while this one goes out. */
	if (r == DELIVER_ACCEPTED && deliver_accepted(pl) == DELIVER_EOF)
		return false;
	return periodic(pl) != DELIVER_EOF;
}

/*
 * Accepting ahead, rsyslog writes its next line while the plugin still
 * delivers the one it answered; stopped then, that line was never
 * answered, and rsyslogd drops it at its stop: keep it (deliver_keep).
 */
static void
keep_unanswered(struct plugin *pl)
{
	char *line;
	size_t len;

	if (!pl->opts.accept_ahead ||
	    omprog_read_line(&pl->io, 0, &line, &len) != OMPROG_LINE ||
	    is_transaction_marker(line) || wake_line(line, len))
		return;
	(void)deliver_keep(pl, line, len);
}

int
plugin_run(struct plugin *pl)
{
	int rc;

	/* rsyslog's shutdown waits for this handshake: answer it before any
	 * slow work such as delivering the spool. */
	if (omprog_answer(&pl->io, "OK") != 0)
		return 1;
	while (serve_one(pl))
		;
	if (stopsig_requested(&pl->stop))
		log_msg(&pl->log, LOG_NOTICE, "%s (signal %d): stopping; what is "
		    "not delivered is saved to the spool",
		    stopsig_name(pl->stop.signo), pl->stop.signo);
	keep_unanswered(pl);
	rc = deliver_save(pl);
	stats_report(&pl->stats, &pl->log, 1);
	return rc == 0 ? 0 : 1;
}
