#include "deliver.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentstate.h"
#include "readwin.h"
#include "eventlist.h"
#include "fastpath.h"
#include "firehose.h"
#include "pubsub.h"
#include "deliver_journal.h"
#include "syslogmsg.h"
#include "jsonspan.h"
#include "redact.h"

/* How often to write a keep-alive dot while a line waits (omprog's
 * confirmTimeout defaults to 10 s). */
#define KEEPALIVE_MS 1000
/* Events between two looks at the clock while a line is busy, and the
 * time between two looks at input, signals and the keep-alive: two system
 * calls every 64 events cost a line of tiny items about 6% of its time. */
#define KEEPALIVE_EVERY 64
#define KEEPALIVE_POLL_MS 20
/* How long to sleep between tries while analysisd is down. */
#define DOWN_RETRY_MS 200
/* How long to wait for room in analysisd's socket per try. */
#define BUSY_WAIT_MS 100
/* How long a line accepted ahead is still delivered once input ended
 * (rsyslog stops; omprog's closeTimeout is 5 s by default, and the exit
 * then waits up to 2 s for analysisd to read what was sent). */
#define FINISH_MS 2000

enum send_result { SEND_OK, SEND_TOO_BIG, SEND_RETRY, SEND_EOF };

static long
ms_between(const struct timespec *a, const struct timespec *b)
{
	return (long)(b->tv_sec - a->tv_sec) * 1000 +
	    (b->tv_nsec - a->tv_nsec) / 1000000;
}

static struct timespec
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t;
}

/* Microseconds from *since to now. */
static unsigned long long
us_since(const struct timespec *since)
{
	struct timespec t = now();
	long long us = (long long)(t.tv_sec - since->tv_sec) * 1000000 +
	    (t.tv_nsec - since->tv_nsec) / 1000;

	return us < 0 ? 0 : (unsigned long long)us;
}

static enum deliver_result
transient(struct plugin *pl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pl->error, sizeof(pl->error), fmt, ap);
	va_end(ap);
	return DELIVER_RETRY;
}

/*
 * While rsyslog waits for an answer, tell it we are alive: while a line is
 * delivered, and between lines (a line accepted ahead, the spool) once its
 * next line has come (omprog strips the dots before that line's answer).
 * False when rsyslog is gone, our input ended or a stop signal came: time
 * to stop and save.  Except a line accepted ahead: answered already, it is
 * finished after the end of input (rsyslog's stop) for up to FINISH_MS,
 * rather than left in the spool until the next start.
 */
static bool
still_wanted(struct plugin *pl)
{
	struct timespec t = now();

	if (stopsig_requested(&pl->stop))
		return false;
	if (omprog_check_input(&pl->io)) {
		if (!pl->ahead)
			return false;
		if (!pl->ahead_input_ended) {
			pl->ahead_input_ended = true;
			pl->input_ended = t;
		}
		return ms_between(&pl->input_ended, &t) < FINISH_MS;
	}
	if (!pl->answering && omprog_has_input(&pl->io)) {
		pl->answering = true;
		pl->last_dot = t;
	}
	if (!pl->answering || ms_between(&pl->last_dot, &t) < KEEPALIVE_MS)
		return true;
	pl->last_dot = t;
	return omprog_keepalive(&pl->io) == 0;
}

static bool
pause_ms(struct plugin *pl, long ms)
{
	struct pollfd stop = { .fd = pl->stop.fd, .events = POLLIN };

	/* poll() as a sleep that a stop signal ends (fd -1: a plain sleep). */
	(void)poll(&stop, 1, (int)ms);
	return still_wanted(pl);
}

/*
 * Hold delivery under the pace's ceiling, and while the Wazuh agent is
 * not connected: the line waits with keep-alive dots, so rsyslog keeps it.
 */
static bool
wait_for_pace(struct plugin *pl)
{
	struct timespec t = now();
	long us;
	int err;

	pace_observe(&pl->pace, &t, &pl->log);
	while ((us = pace_take(&pl->pace, &t)) > 0) {
		bool holding = pl->pace.holding;

		if (holding)
			pl->stats.agent_disconnected_waits++;
		else
			pl->stats.paced_waits++;
		/* What is queued goes before the pause, at the pace's time;
		 * a failure is met again by the next send. */
		(void)sink_resend(&pl->sink, &err);
		if (!pause_ms(pl, us / 1000 + 1))
			return false;
		if (holding)
			pl->waited_us += us_since(&t);
		t = now();
		/* Rate-limited inside: sees the agent connect again. */
		pace_observe(&pl->pace, &t, &pl->log);
	}
	return true;
}

static void
note_up(struct plugin *pl)
{
	if (!pl->analysisd_down)
		return;
	pl->analysisd_down = false;
	log_msg(&pl->log, LOG_NOTICE, "analysisd socket %s is back",
	    pl->opts.socket_path);
}

static enum send_result
note_down(struct plugin *pl, int err)
{
	if (!pl->analysisd_down)
		log_msg(&pl->log, LOG_WARNING, "analysisd socket %s unavailable "
		    "(%s): rsyslog keeps the batch and retries",
		    pl->opts.socket_path, strerror(err));
	pl->analysisd_down = true;
	transient(pl, "error: analysisd socket %s unavailable: %s",
	    pl->opts.socket_path, strerror(err));
	return SEND_RETRY;
}

/* Every datagram saved at the last end of input is on analysisd's socket
 * again (and held in the sink): the file has done its work. */
static void
drop_unread_file(struct plugin *pl)
{
	int rc;

	if (!pl->unread_saved || sink_pending(&pl->sink) > 0)
		return;
	if ((rc = spool_save_unread(&pl->spool, NULL, 0)) != 0) {
		log_msg(&pl->log, LOG_ERR, "cannot remove the spool's unread "
		    "file: %s", strerror(-rc));
		return;
	}
	pl->unread_saved = false;
}

/* One try: queue a datagram, or (parts NULL) send what is queued. */
static enum sink_status
try_send(struct plugin *pl, const struct iovec *parts, size_t nparts,
    size_t tag, int *err)
{
	if (parts == NULL)
		return sink_resend(&pl->sink, err);
	return sink_queue(&pl->sink, parts, nparts, tag, err);
}

/*
 * Queue one datagram made of `nparts` pieces of `len` bytes in all, for
 * the line's event `tag` (the sink sends a batch at a time: see
 * flush_sends), or with parts NULL send what is queued, waiting while
 * analysisd is busy (with no bound: its queue drains) or down (up to
 * --retry-wait, then rsyslog takes over).
 */
static enum send_result
send_parts(struct plugin *pl, const struct iovec *parts, size_t nparts,
    size_t len, size_t tag)
{
	struct timespec down_since = { 0, 0 }, waited;
	bool down = false;
	int err;

	if (parts != NULL && !wait_for_pace(pl))
		return SEND_EOF;
	for (;;) {
		switch (try_send(pl, parts, nparts, tag, &err)) {
		case SINK_SENT:
			note_up(pl);
			if (parts != NULL) {
				pl->stats.events++;
				pl->stats.bytes += pl->sink.header_len + len;
			}
			pl->stats.resent = pl->sink.resent;
			pl->stats.resent_read = pl->sink.resent_read;
			drop_unread_file(pl);
			return SEND_OK;
		case SINK_TOO_BIG:
			return SEND_TOO_BIG;
		case SINK_BUSY:
			pl->stats.retries++;
			waited = now();
			sink_wait_writable(&pl->sink, BUSY_WAIT_MS);
			pl->waited_us += us_since(&waited);
			if (!still_wanted(pl))
				return SEND_EOF;
			break;
		case SINK_DOWN:
			if (!down) {
				down = true;
				down_since = now();
			} else {
				struct timespec t = now();

				if (ms_between(&down_since, &t) >=
				    (long)pl->opts.retry_wait * 1000)
					return note_down(pl, err);
			}
			if (pl->opts.retry_wait == 0)
				return note_down(pl, err);
			pl->stats.retries++;
			waited = now();
			if (!pause_ms(pl, DOWN_RETRY_MS))
				return SEND_EOF;
			pl->waited_us += us_since(&waited);
			break;
		}
	}
}

/*
 * Send what the line queued (and anything else held for this socket)
 * before it is answered: a queued datagram lives only in our memory.
 */
static enum deliver_result
flush_sends(struct plugin *pl)
{
	if (sink_pending(&pl->sink) == 0)
		return DELIVER_DONE;
	switch (send_parts(pl, NULL, 0, 0, 0)) {
	case SEND_OK:
		return DELIVER_DONE;
	case SEND_EOF:
		return DELIVER_EOF;
	case SEND_TOO_BIG:
		return transient(pl, "error: analysisd socket %s refused a held "
		    "datagram as too big", pl->opts.socket_path);
	case SEND_RETRY:
		break;
	}
	return DELIVER_RETRY;
}

/*
 * A line that stops short keeps only what was sent: its queued datagrams
 * are forgotten and *progress goes back to the first of their events, so
 * they are sent from the line again, in turn (as before queueing, the
 * spool's unread file holds only datagrams analysisd was sent).
 */
static void
unqueue(struct plugin *pl, size_t *progress)
{
	size_t first = 0, bytes = 0, n;

	if ((n = sink_drop_unsent(&pl->sink, &first, &bytes)) == 0)
		return;
	if (*progress > first)
		*progress = first;
	pl->stats.events -= n;
	pl->stats.bytes -= bytes;
}

/*
 * The events queued before one set aside are sent first: a line that stops
 * short goes back only to an event queued but not sent (unqueue), never
 * behind a reject entry, which is then not written twice.
 */
static enum deliver_result
flush_before_reject(struct plugin *pl)
{
	if (sink_unsent(&pl->sink) == 0)
		return DELIVER_DONE;
	return flush_sends(pl);
}

static enum send_result
send_one(struct plugin *pl, const char *text, size_t len, long index)
{
	struct iovec iov = { (void *)text, len };

	return send_parts(pl, &iov, 1, len, index < 0 ? 0 : (size_t)index);
}

static const char *
audit_id(const json_t *item)
{
	const char *id = json_string_value(json_object_get(item, "auditID"));

	return id ? id : "-";
}

/*
 * Redact what is set aside with the rules of delivered events, all of it
 * (a no-op on what shaping already redacted: markers are not redacted
 * twice).
 */
static int
redact_for_reject(struct plugin *pl, json_t *value)
{
	unsigned long n = 0;

	return redact_whole_value(value, pl->shape.key, sizeof(pl->shape.key),
	    &n);
}

/* Items of one line logged one by one when set aside; then a count (the
 * reject file has each): a line of 20,000 `1` must not flood the log. */
#define SET_ASIDE_LOGGED 10

/*
 * Set `value` aside for good, redacted; index -1: it is the whole line.
 * Any JSON value is taken (a scalar item too), so nothing a client sends
 * makes the entry itself fail.
 */
static enum deliver_result
set_aside(struct plugin *pl, const char *reason, json_t *item, long index)
{
	enum deliver_result r;
	int rc;

	if ((r = flush_before_reject(pl)) != DELIVER_DONE)
		return r;
	if (index < 0)
		log_msg(&pl->log, LOG_WARNING, "line (auditID %.64s) set aside: "
		    "%s", audit_id(item), reason);
	else if (pl->line_set_aside++ < SET_ASIDE_LOGGED)
		log_msg(&pl->log, LOG_WARNING, "item %ld (auditID %.64s) of a "
		    "batch set aside: %s", index, audit_id(item), reason);
	if ((rc = redact_for_reject(pl, item)) != 0)
		return transient(pl, "error: cannot redact an event to set it "
		    "aside: %s", strerror(-rc));
	if ((rc = reject_json(&pl->reject, reason, item, index)) != 0)
		return transient(pl, "error: cannot write reject file %s: %s",
		    pl->opts.reject_file, strerror(-rc));
	/* A line of one Event is set aside whole. */
	if (index < 0)
		pl->stats.rejected_lines++;
	else
		pl->stats.rejected_events++;
	return DELIVER_DONE;
}

/*
 * Whether `n` bytes at `p` are a JSON value json_dumps writes back the same
 * way and redaction leaves alone: true, false, null or an integer in
 * canonical form that jansson holds.
 */
static bool
plain_scalar(const char *p, size_t n)
{
	size_t i = n > 0 && p[0] == '-';

	if ((n == 4 && (memcmp(p, "true", 4) == 0 ||
	    memcmp(p, "null", 4) == 0)) || (n == 5 && memcmp(p, "false", 5) == 0))
		return true;
	if (i == n || n - i > 18 || (p[i] == '0' && n - i > 1))
		return false;
	for (; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/*
 * set_aside for item `index` of a batch that is a plain scalar (`n` bytes
 * at `text`): the same entry, without building the value only to write it
 * back (a batch of 20,000 `1` is 40 KB).
 */
static enum deliver_result
set_aside_scalar(struct plugin *pl, const char *text, size_t n, long index)
{
	enum deliver_result r;
	int rc;

	if ((r = flush_before_reject(pl)) != DELIVER_DONE)
		return r;
	if (pl->line_set_aside++ < SET_ASIDE_LOGGED)
		log_msg(&pl->log, LOG_WARNING, "item %ld (auditID -) of a "
		    "batch set aside: %s", index, EVENT_NOT_OBJECT);
	if ((rc = reject_text(&pl->reject, EVENT_NOT_OBJECT, text, n,
	    index)) != 0)
		return transient(pl, "error: cannot write reject file %s: %s",
		    pl->opts.reject_file, strerror(-rc));
	pl->stats.rejected_events++;
	return DELIVER_DONE;
}

/* What a failed send means for the event. */
static enum deliver_result
sent(struct plugin *pl, enum send_result sr, json_t *item, long index)
{
	switch (sr) {
	case SEND_OK:
		return DELIVER_DONE;
	case SEND_TOO_BIG:
		return set_aside(pl, "datagram larger than analysisd accepts",
		    item, index);
	case SEND_EOF:
		return DELIVER_EOF;
	case SEND_RETRY:
		break;
	}
	return DELIVER_RETRY;
}

/*
 * The reference path: shape a parsed event and send it; `dropped` names
 * the parts batch_reduce replaced, or is NULL.
 */
static enum deliver_result
deliver_item(struct plugin *pl, json_t *item, long index,
    const char *dropped)
{
	char reason[256];
	char *text;
	size_t len;
	enum send_result sr;

	if (event_check(item, reason, sizeof(reason)) != 0)
		return set_aside(pl, reason, item, index);
	/* Shaping redacts in place: what is set aside below has no secrets. */
	switch (shape_event_reduced(&pl->shape, item, dropped, &text, &len,
	    &pl->stats.shape)) {
	case SHAPE_FILTERED:
		return DELIVER_DONE;
	case SHAPE_TOO_BIG:
		return set_aside(pl, "event does not fit one analysisd datagram",
		    item, index);
	case SHAPE_NOMEM:
		return transient(pl, "error: out of memory shaping an event");
	case SHAPE_OK:
		break;
	}
	sr = send_one(pl, text, len, index);
	free(text);
	return sent(pl, sr, item, index);
}

/*
 * The whole line is not what we take and cannot be parsed: only its HMAC
 * is set aside.  Text that does not parse cannot be redacted reliably (one
 * stray quote turns keys into values and values into keys, so a masker
 * would leave a planted secret in clear), so none of it is stored.
 */
enum deliver_result
deliver_reject_text(struct plugin *pl, const char *line, size_t len,
    const char *reason)
{
	enum deliver_result r;
	int rc;

	if ((r = flush_before_reject(pl)) != DELIVER_DONE)
		return r;
	log_msg(&pl->log, LOG_WARNING, "line of %zu bytes set aside: %s", len,
	    reason);
	if ((rc = reject_hashed(&pl->reject, reason, line, len, -1)) != 0)
		return transient(pl, "error: cannot write reject file %s: %s",
		    pl->opts.reject_file, strerror(-rc));
	pl->stats.rejected_lines++;
	return DELIVER_DONE;
}

/* The rest of a broken line whose first `n` events were delivered. */
static enum deliver_result
reject_salvaged(struct plugin *pl, const char *line, size_t len,
    const char *reason, size_t n)
{
	enum deliver_result r;
	char why[320];

	if ((r = flush_before_reject(pl)) != DELIVER_DONE)
		return r;
	snprintf(why, sizeof(why), "%s (its first %zu events, whole, were "
	    "delivered)", reason, n);
	return deliver_reject_text(pl, line, len, why);
}

/*
 * The whole line frames as JSON but is not what we take: set aside its
 * value, damaged parts replaced (batch_reduce) and redacted.
 */
static enum deliver_result
reject_framed_line(struct plugin *pl, const struct jscan *sc,
    const char *text, const char *reason)
{
	enum deliver_result r;
	char dropped[192];
	json_t *value;

	if (batch_reduce(text, &sc->root_span, sc->root, &value, dropped,
	    sizeof(dropped)) != 0)
		return transient(pl, "error: out of memory setting a line aside");
	r = set_aside(pl, reason, value, -1);
	json_decref(value);
	return r;
}

/*
 * The reference path for event `ev` of a scanned line: parse its bytes and
 * deliver it as a parsed line's item.  A single Event that is not one sets
 * the whole line aside, as it always did.
 */
static enum deliver_result
deliver_parsed_span(struct plugin *pl, const char *text,
    const struct jobject *ev, long index)
{
	enum deliver_result r;
	char reason[256];
	json_t *item;

	/* The line was validated: no second check, and only memory can fail. */
	item = jspan_load(text, ev->span);
	if (item == NULL)
		return transient(pl, "error: out of memory parsing an event");
	if (index < 0 && event_check(item, reason, sizeof(reason)) != 0) {
		r = set_aside(pl, reason, item, -1);
		json_decref(item);
		return r;
	}
	r = deliver_item(pl, item, index, NULL);
	json_decref(item);
	return r;
}

/* One line per reduced event: which one, why, and what was replaced. */
static void
log_reduced(struct plugin *pl, long index, const char *id, int idlen,
    unsigned bad, const char *replaced)
{
	log_msg(&pl->log, LOG_NOTICE, "item %ld (auditID %.*s): damaged parts "
	    "replaced (%s): %s", index, idlen, id, batch_bad_reason(bad),
	    replaced);
}

/*
 * Event `ev` of a scanned line holds damage (ev->bad): deliver what can be
 * kept of it, the damaged members replaced and named in k8s.dropped.  Only
 * when what is left is no audit event (its metadata is damaged or absent)
 * is it set aside, alone.
 */
static enum deliver_result
deliver_reduced(struct plugin *pl, const char *text, const struct jobject *ev,
    const struct jmember *members, long index)
{
	enum deliver_result r;
	char dropped[192];
	json_t *item;

	if (batch_reduce(text, ev, members, &item, dropped,
	    sizeof(dropped)) != 0)
		return transient(pl, "error: out of memory reducing an event");
	log_reduced(pl, index, audit_id(item), 64, ev->bad, dropped[0] ?
	    dropped : "the whole item");
	r = deliver_item(pl, item, index, dropped[0] ? dropped : NULL);
	if (r == DELIVER_DONE && dropped[0] && json_is_object(item) &&
	    json_object_get(item, "k8s") != NULL)
		pl->stats.reduced++;
	json_decref(item);
	return r;
}

_Static_assert(FASTPATH_MAX_PARTS <= SINK_MAX_PARTS,
    "a fast path datagram must fit the sink's pieces");

/* Event `ev` of a scanned line by the reference path, reduced if damaged. */
static enum deliver_result
deliver_slow(struct plugin *pl, const char *text, const struct jobject *ev,
    const struct jmember *members, long index)
{
	if (ev->bad != 0)
		return deliver_reduced(pl, text, ev, members, index);
	return deliver_parsed_span(pl, text, ev, index);
}

/*
 * The fast path sent event `ev`, its damaged bodies replaced (`reduced`
 * names them): log and count it as deliver_reduced does, its auditID as
 * written.
 */
static void
log_fast_reduced(struct plugin *pl, const char *text, const struct jobject *ev,
    const struct jmember *members, long index, const char *reduced)
{
	const struct jmember *id = jscan_find(members + ev->first, ev->count,
	    text, "auditID");
	int len = 1;
	const char *p = "-";

	if (id != NULL && text[id->value.off] == '"' && id->value.len > 2) {
		p = text + id->value.off + 1;
		len = id->value.len - 2 > 64 ? 64 : (int)id->value.len - 2;
	}
	log_reduced(pl, index, p, len, ev->bad, reduced);
	pl->stats.reduced++;
}

/*
 * Event i of a scanned line, item `index` of its batch (-1: the line is
 * the one Event): the fast path, else the reference path.
 */
static enum deliver_result
deliver_span(struct plugin *pl, const struct span_batch *b, size_t i,
    long index)
{
	const struct jmember *members;
	const struct jobject *ev = batch_span_item(b, i, &members);
	struct fastpath_out out;
	enum send_result sr;

	if (ev == NULL)
		return transient(pl, "error: out of memory scanning a batch");
	if (index >= 0 && !ev->is_object && ev->bad == 0 &&
	    plain_scalar(b->text + ev->span.off, ev->span.len))
		return set_aside_scalar(pl, b->text + ev->span.off,
		    ev->span.len, index);
	switch (fastpath_shape(&pl->shape, b->text, ev, members, &out,
	    &pl->stats.shape)) {
	case FASTPATH_FILTERED:
		return DELIVER_DONE;
	case FASTPATH_NOMEM:
		return transient(pl, "error: out of memory shaping an event");
	case FASTPATH_FALLBACK:
		return deliver_slow(pl, b->text, ev, members, index);
	case FASTPATH_READY:
		break;
	}
	/* Tagged with the line's unit of progress, as send_one does: the
	 * batch's item, or the envelope's record (whose one Event is i 0). */
	sr = send_parts(pl, out.iov, out.nparts, out.len,
	    index < 0 ? i : (size_t)index);
	if (sr == SEND_OK && ev->bad != 0)
		log_fast_reduced(pl, b->text, ev, members, index, out.reduced);
	fastpath_out_free(&out);
	/* Too big for the socket: the reference path sets it aside. */
	if (sr == SEND_TOO_BIG)
		return deliver_slow(pl, b->text, ev, members, index);
	return sent(pl, sr, NULL, index);
}

/*
 * The scanner's arrays and the line's copy are kept from one line for the
 * next: allocating them anew for every line of hundreds of events made the
 * kernel clear their pages every time (a tenth of the plugin's time on
 * small events); a line that needs more than this gives its memory back.
 */
#define SCAN_KEEP_BYTES (1u << 20)
#define COPY_KEEP_BYTES (4u << 20)

/*
 * The line's reject entries are made durable together, before the line is
 * answered or its progress kept (one fdatasync per line, not per entry).
 * If that fails, progress goes back to `durable`, the first event whose
 * entry may be lost: from there the line is handled again (events sent
 * since then may reach analysisd twice, never zero times).
 */
static enum deliver_result
sync_rejects(struct plugin *pl, enum deliver_result r, size_t *progress,
    size_t durable)
{
	int rc;

	if (!reject_dirty(&pl->reject) || (rc = reject_sync(&pl->reject)) == 0)
		return r;
	if (*progress > durable)
		*progress = durable;
	if (r != DELIVER_DONE)
		return r;
	return transient(pl, "error: cannot write reject file %s: %s",
	    pl->opts.reject_file, strerror(-rc));
}

/* What an envelope is called in the log. */
static const char *
envelope_name(enum frame_kind frame)
{
	switch (frame) {
	case FRAME_FIREHOSE:
		return "Firehose request";
	case FRAME_PUBSUB:
		return "Pub/Sub request";
	case FRAME_SYSLOG:
		return "syslog message";
	case FRAME_WEBHOOK:
	case FRAME_JOURNAL:
		break;
	}
	return "request";
}

/* Item `index` of an envelope set aside: only its HMAC, as for a line
 * that does not parse (it cannot be redacted reliably). */
static enum deliver_result
reject_item_hashed(struct plugin *pl, const char *reason, const char *text,
    size_t len, long index)
{
	enum deliver_result r;
	int rc;

	if ((r = flush_before_reject(pl)) != DELIVER_DONE)
		return r;
	if (pl->line_set_aside++ < SET_ASIDE_LOGGED)
		log_msg(&pl->log, LOG_WARNING, "item %ld of a %s set aside: "
		    "%s", index, envelope_name(pl->opts.frame), reason);
	if ((rc = reject_hashed(&pl->reject, reason, text, len, index)) != 0)
		return transient(pl, "error: cannot write reject file %s: %s",
		    pl->opts.reject_file, strerror(-rc));
	pl->stats.rejected_events++;
	return DELIVER_DONE;
}

/*
 * One Event an envelope carried, as its text: scanned and shaped exactly as
 * a webhook line's Event is (fast path, damaged members reduced), with the
 * envelope's cluster when --envelope-cluster trusts it.
 */
static enum deliver_result
deliver_record(struct plugin *pl, const struct record_item *it, long index)
{
	const char *cluster = pl->shape.cluster;
	enum deliver_result r;
	char reason[256], dropped[192];
	struct span_batch b;
	json_t *value;
	int rc;

	if (it->reason != NULL)
		return reject_item_hashed(pl, it->reason, it->text, it->len,
		    index);
	rc = batch_scan(&b, &pl->scan, it->text, it->len, reason,
	    sizeof(reason));
	if (rc == -ENOMEM)
		return transient(pl, "error: out of memory scanning an event");
	if (rc == 0 && !b.single)
		snprintf(reason, sizeof(reason), "message is not one audit "
		    "Event");
	if ((rc != 0 || !b.single) && !b.framed)
		return reject_item_hashed(pl, reason, it->text, it->len, index);
	if (rc != 0 || !b.single) {
		if (batch_reduce(b.text, &pl->scan.root_span, pl->scan.root,
		    &value, dropped, sizeof(dropped)) != 0)
			return transient(pl, "error: out of memory setting an "
			    "event aside");
		r = set_aside(pl, reason, value, index);
		json_decref(value);
		return r;
	}
	if (pl->opts.envelope_cluster && it->cluster != NULL)
		pl->shape.cluster = it->cluster;
	r = deliver_span(pl, &b, 0, index);
	pl->shape.cluster = cluster;
	return r;
}

/*
 * deliver_events for an envelope (--frame firehose, pubsub or syslog): its
 * items, unwrapped afresh on every try (records.h: the same items each
 * time, so progress holds), from `start` on.  An envelope that is not one
 * is set aside whole, as a line that does not parse.
 */
static enum deliver_result
deliver_envelope(struct plugin *pl, const char *line, size_t len,
    size_t start, size_t *progress, size_t *count)
{
	enum deliver_result r = DELIVER_DONE;
	struct records recs;
	char reason[256];
	size_t i, durable = start;
	int rc;

	*progress = start;
	*count = 0;
	pl->line_set_aside = 0;
	if (pl->opts.frame == FRAME_FIREHOSE)
		rc = firehose_unwrap(line, len, &recs, reason, sizeof(reason));
	else if (pl->opts.frame == FRAME_SYSLOG)
		rc = syslog_unwrap(line, len, &recs, reason, sizeof(reason));
	else
		rc = pubsub_unwrap(line, len, &recs, reason, sizeof(reason));
	if (rc == -ENOMEM)
		return transient(pl, "error: out of memory unwrapping a request");
	if (rc != 0)
		return sync_rejects(pl, deliver_reject_text(pl, line, len, reason),
		    progress, durable);
	*count = recs.count;
	for (i = start; i < recs.count && r == DELIVER_DONE; i++) {
		if (!reject_dirty(&pl->reject))
			durable = i;
		r = deliver_record(pl, &recs.items[i], (long)i);
		if (r == DELIVER_DONE)
			*progress = i + 1;
		if (r == DELIVER_DONE && i % KEEPALIVE_EVERY ==
		    KEEPALIVE_EVERY - 1 && !still_wanted(pl))
			r = DELIVER_EOF;
	}
	/* As for a webhook line: what was queued is sent before the answer,
	 * or forgotten and sent again from the request (the sink copied it). */
	if (r == DELIVER_DONE)
		r = flush_sends(pl);
	if (r != DELIVER_DONE)
		unqueue(pl, progress);
	records_free(&recs);
	jscan_trim(&pl->scan, SCAN_KEEP_BYTES);
	if (pl->line_set_aside > SET_ASIDE_LOGGED)
		log_msg(&pl->log, LOG_WARNING, "%zu more items of the request "
		    "set aside (each in %s)", pl->line_set_aside -
		    SET_ASIDE_LOGGED, pl->opts.reject_file);
	return sync_rejects(pl, r, progress, durable);
}

/*
 * Deliver the events of `line` from index `start` on.  *progress ends as
 * the index of the first event not yet handled, *count as the line's
 * number of events.  The line is validated and split once, by jsonscan
 * (an envelope's, --frame firehose, pubsub or syslog, by deliver_envelope;
 * a journal line, once put back together, is split here as a webhook's).
 */
static enum deliver_result
deliver_events(struct plugin *pl, const char *line, size_t len, size_t start,
    size_t *progress, size_t *count)
{
	enum deliver_result r = DELIVER_DONE;
	char reason[256];
	struct span_batch b;
	size_t i, durable = start;
	struct timespec polled = now(), t;
	int rc;

	if (pl->opts.frame == FRAME_FIREHOSE || pl->opts.frame == FRAME_PUBSUB ||
	    pl->opts.frame == FRAME_SYSLOG)
		return deliver_envelope(pl, line, len, start, progress, count);
	*progress = start;
	*count = 0;
	pl->line_set_aside = 0;
	rc = batch_scan(&b, &pl->scan, line, len, reason, sizeof(reason));
	if (rc == -ENOMEM)
		r = transient(pl, "error: out of memory scanning a batch");
	else if (rc != 0 && b.framed)
		r = reject_framed_line(pl, &pl->scan, b.text, reason);
	else if (rc != 0 && b.salvaged == 0)
		r = deliver_reject_text(pl, line, len, reason);
	else
		*count = b.count + (b.salvaged > 0);
	/* A broken line's whole events go first; then the line is set aside
	 * (as one more step of its progress, so a retry does not repeat it). */
	if (rc != 0 && b.salvaged > 0)
		rc = 0;
	for (i = start; rc == 0 && i < *count && r == DELIVER_DONE; i++) {
		if (!reject_dirty(&pl->reject))
			durable = i;
		r = i < b.count ? deliver_span(pl, &b, i, b.single ? -1 :
		    (long)i) :
		    reject_salvaged(pl, line, len, reason, b.count);
		if (r == DELIVER_DONE)
			*progress = i + 1;
		/* A long batch keeps rsyslog's confirmTimeout at bay too. */
		if (r != DELIVER_DONE || i % KEEPALIVE_EVERY !=
		    KEEPALIVE_EVERY - 1)
			continue;
		t = now();
		if (ms_between(&polled, &t) < KEEPALIVE_POLL_MS)
			continue;
		polled = t;
		if (!still_wanted(pl))
			r = DELIVER_EOF;
	}
	if (r == DELIVER_DONE)
		r = flush_sends(pl);
	if (r != DELIVER_DONE)
		unqueue(pl, progress);
	jscan_trim(&pl->scan, SCAN_KEEP_BYTES);
	if (pl->line_set_aside > SET_ASIDE_LOGGED)
		log_msg(&pl->log, LOG_WARNING, "%zu more items of the batch set "
		    "aside (each in %s)", pl->line_set_aside - SET_ASIDE_LOGGED,
		    pl->opts.reject_file);
	return sync_rejects(pl, r, progress, durable);
}

static void
release_held(struct plugin *pl)
{
	free(pl->held.line);
	memset(&pl->held, 0, sizeof(pl->held));
}

/* Keep a copy of rsyslog's line after a failure, to save it at shutdown. */
static enum deliver_result
hold(struct plugin *pl, const char *line, size_t len,
    const unsigned char *digest, size_t delivered, enum deliver_result r)
{
	if (!pl->held.valid) {
		if ((pl->held.line = malloc(len + 1)) == NULL) {
			log_msg(&pl->log, LOG_ERR, "cannot hold a %zu-byte line: "
			    "it stays with rsyslog only", len);
			return r;
		}
		memcpy(pl->held.line, line, len);
		pl->held.len = len;
		memcpy(pl->held.digest, digest, SPOOL_DIGEST_LEN);
		pl->held.valid = true;
	}
	pl->held.delivered = delivered;
	return r;
}

/* Deliver spool entry i, read back from its file. */
static enum deliver_result
deliver_entry(struct plugin *pl, size_t i)
{
	struct spool_entry *e = &pl->spool.entries[i];
	enum deliver_result r;
	size_t len, progress, count;
	char *line;
	int rc;

	if ((rc = spool_load(&pl->spool, i, &line, &len)) != 0)
		return transient(pl, "error: cannot read spool entry %s: %s",
		    e->name, strerror(-rc));
	pl->stats.duplicates += e->delivered;
	r = deliver_events(pl, line, len, e->delivered, &progress, &count);
	free(line);
	e->delivered = progress;
	if (r != DELIVER_DONE)
		return r;
	if ((rc = spool_done(&pl->spool, i, count)) != 0)
		return transient(pl, "error: cannot update spool: %s",
		    strerror(-rc));
	return DELIVER_DONE;
}

/* Deliver every spool entry, oldest first; each leaves the spool once
 * delivered. */
static enum deliver_result
drain_spool(struct plugin *pl)
{
	enum deliver_result r;

	while (pl->spool.count > 0) {
		if ((r = deliver_entry(pl, 0)) != DELIVER_DONE)
			return r;
	}
	return DELIVER_DONE;
}

/* rsyslog moved on from the line we held (it gave up on it): keep it in
 * the spool so that it is still delivered, before anything newer. */
static enum deliver_result
spool_abandoned(struct plugin *pl, const unsigned char *digest)
{
	int rc;

	if (!pl->held.valid ||
	    memcmp(pl->held.digest, digest, SPOOL_DIGEST_LEN) == 0)
		return DELIVER_DONE;
	if (spool_find(&pl->spool, pl->held.digest) >= 0) {
		release_held(pl);
		return DELIVER_DONE;
	}
	rc = spool_add(&pl->spool, pl->held.line, pl->held.len,
	    pl->held.digest, pl->held.delivered);
	if (rc != 0)
		return transient(pl, "error: cannot write spool: %s",
		    strerror(-rc));
	release_held(pl);
	return DELIVER_DONE;
}

/*
 * The common case: a line that nothing held or spooled can be (no line of
 * its length is known), so its digest is computed only if it fails.
 */
static enum deliver_result
deliver_new_line(struct plugin *pl, const char *line, size_t len)
{
	unsigned char digest[SPOOL_DIGEST_LEN];
	enum deliver_result r;
	size_t progress = 0, count;

	r = drain_spool(pl);
	if (r == DELIVER_DONE)
		r = deliver_events(pl, line, len, 0, &progress, &count);
	if (r == DELIVER_DONE)
		return r;
	spool_digest(line, len, digest);
	return hold(pl, line, len, digest, progress, r);
}

/*
 * A line completed from the spool, handed over again by rsyslog (it had
 * kept it): not sent twice.
 */
static bool
delivered_already(struct plugin *pl, const unsigned char *digest)
{
	size_t count;

	if (!spool_recent_events(&pl->spool, digest, &count))
		return false;
	log_msg(&pl->log, LOG_INFO, "line of %zu events was delivered from the "
	    "spool already: not sent again", count);
	pl->stats.duplicates += count;
	release_held(pl);
	return true;
}

/*
 * deliver_line, on a line that stays where it is for the whole call.
 */
enum deliver_result
deliver_text(struct plugin *pl, const char *line, size_t len)
{
	unsigned char digest[SPOOL_DIGEST_LEN];
	enum deliver_result r;
	size_t start, progress, count;

	if (!pl->held.valid && !spool_may_know(&pl->spool, len))
		return deliver_new_line(pl, line, len);
	spool_digest(line, len, digest);
	if ((r = spool_abandoned(pl, digest)) != DELIVER_DONE)
		return r;
	if (delivered_already(pl, digest))
		return DELIVER_DONE;
	/*
	 * A spooled line goes out from the spool, in its turn, and is never
	 * held as well: rsyslog may alternate between lines while analysisd is
	 * away, and a line held and spooled at once would be delivered twice.
	 */
	if (spool_find(&pl->spool, digest) >= 0)
		return drain_spool(pl);
	start = pl->held.valid ? pl->held.delivered : 0;
	if ((r = drain_spool(pl)) != DELIVER_DONE)
		return hold(pl, line, len, digest, start, r);
	pl->stats.duplicates += start;
	r = deliver_events(pl, line, len, start, &progress, &count);
	if (r == DELIVER_DONE) {
		release_held(pl);
		return r;
	}
	return hold(pl, line, len, digest, progress, r);
}

/*
 * Accepting a line ahead of its delivery.  rsyslog's Disk queue hands the
 * next line over only once this one is answered, and reading it back
 * costs rsyslogd about as much CPU as shaping it costs us: answered at
 * once, the two run side by side.  The line is ours from the answer on,
 * so it is in the spool first, as durable as rsyslog's queue file was
 * (--accept-sync), found there after any death (delivered first at the
 * next start, once if rsyslog hands it over again too).  Only while
 * nothing waits and analysisd keeps up: the spool never holds more than
 * that one line for it, and while analysisd is away or behind, lines wait
 * in rsyslog's bounded queue as before.
 */

/*
 * Whether analysisd kept up with a line: delivered, not slowed by the pace
 * (analysisd's queue filling), and waited for (room in its socket, which
 * holds 10 datagrams and so fills now and then at speed; its socket back;
 * the agent connected) less than half of the line's time.
 */
struct line_watch {
	struct timespec start;
	unsigned long long waited_us;
};

static void
watch_line(const struct plugin *pl, struct line_watch *w)
{
	w->start = now();
	w->waited_us = pl->waited_us;
}

static bool
kept_up(const struct plugin *pl, const struct line_watch *w,
    enum deliver_result r)
{
	return r == DELIVER_DONE && pl->pace.eps >= pl->pace.max_eps &&
	    2 * (pl->waited_us - w->waited_us) <= us_since(&w->start);
}

static bool
may_accept(const struct plugin *pl)
{
	return pl->opts.accept_ahead && pl->opts.frame != FRAME_JOURNAL &&
	    pl->kept_up && !pl->held.valid && pl->spool.count == 0 &&
	    sink_pending(&pl->sink) == 0;
}

/* The line (in pl->copy) into the spool, for deliver_accepted. */
static enum deliver_result
accept_line(struct plugin *pl, const char *line, size_t len)
{
	unsigned char digest[SPOOL_DIGEST_LEN];
	int rc;

	if (spool_may_know(&pl->spool, len)) {
		spool_digest(line, len, digest);
		if (delivered_already(pl, digest))
			return DELIVER_DONE;
	}
	rc = spool_accept(&pl->spool, line, len, pl->opts.accept_sync);
	if (rc != 0) {
		log_msg(&pl->log, LOG_WARNING, "cannot write a line to spool %s "
		    "(%s): delivering it before answering", pl->opts.spool_dir,
		    strerror(-rc));
		return deliver_text(pl, line, len);
	}
	pl->ahead_len = len;
	pl->stats.accepted_ahead++;
	return DELIVER_ACCEPTED;
}

/* A line's copy bigger than this is not kept for the next. */
static void
trim_copy(struct plugin *pl)
{
	if (pl->copy_cap <= COPY_KEEP_BYTES)
		return;
	free(pl->copy);
	pl->copy = NULL;
	pl->copy_cap = 0;
}

enum deliver_result
deliver_accepted(struct plugin *pl)
{
	struct line_watch w;
	enum deliver_result r;
	size_t progress, count;
	int rc;

	/* may_accept: the line is the spool's one entry. */
	watch_line(pl, &w);
	pl->ahead = true;
	r = deliver_events(pl, pl->copy, pl->ahead_len, 0, &progress, &count);
	pl->ahead = false;
	pl->spool.entries[0].delivered = progress;
	pl->kept_up = kept_up(pl, &w, r);
	/* It stays in the spool: a resend must be recognised (spool_accept). */
	if (r != DELIVER_DONE)
		spool_digest(pl->copy, pl->ahead_len, pl->spool.entries[0].digest);
	trim_copy(pl);
	if (r != DELIVER_DONE)
		return r;
	if ((rc = spool_forget(&pl->spool, 0)) != 0)
		log_msg(&pl->log, LOG_ERR, "cannot remove a delivered line from "
		    "spool %s (%s): it is delivered again at the next start",
		    pl->opts.spool_dir, strerror(-rc));
	return DELIVER_DONE;
}

enum deliver_result
deliver_keep(struct plugin *pl, const char *line, size_t len)
{
	unsigned char digest[SPOOL_DIGEST_LEN];
	int rc;

	spool_digest(line, len, digest);
	if (spool_find(&pl->spool, digest) >= 0)
		return DELIVER_DONE;
	if ((rc = spool_add(&pl->spool, line, len, digest, 0)) != 0)
		return transient(pl, "error: cannot keep the line rsyslog handed "
		    "over at the stop in the spool: %s", strerror(-rc));
	pl->stats.spooled++;
	log_msg(&pl->log, LOG_INFO, "a line rsyslog handed over while the line "
	    "accepted ahead was delivered: kept in the spool");
	return DELIVER_DONE;
}

/*
 * rsyslog's line lives in omprog's read buffer, and omprog_check_input
 * (called while we wait for analysisd) may grow, and so move, that buffer.
 * Events leave as spans of the line, and a failed line is digested and
 * held after the wait, so delivery works on its own copy (which a line
 * accepted ahead keeps until deliver_accepted).
 */
enum deliver_result
deliver_line(struct plugin *pl, const char *line, size_t len)
{
	struct line_watch w;
	enum deliver_result r;
	char *copy;

	if (len >= pl->copy_cap) {
		/* Nothing in the old copy is needed: no realloc. */
		free(pl->copy);
		pl->copy = NULL;
		pl->copy_cap = 0;
		if ((copy = malloc(len + 1)) == NULL)
			return transient(pl, "error: out of memory copying a line");
		pl->copy = copy;
		pl->copy_cap = len + 1;
	}
	memcpy(pl->copy, line, len);
	pl->copy[len] = '\0';
	/* Not moved under the next line, which comes while this one is
	 * delivered when it is accepted ahead. */
	omprog_release_line(&pl->io);
	watch_line(pl, &w);
	if (pl->opts.frame == FRAME_JOURNAL)
		r = deliver_journal_line(pl, pl->copy, len);
	else if (may_accept(pl))
		r = accept_line(pl, pl->copy, len);
	else
		r = deliver_text(pl, pl->copy, len);
	if (r == DELIVER_ACCEPTED)
		return r;
	pl->kept_up = kept_up(pl, &w, r);
	trim_copy(pl);
	return r;
}

enum deliver_result
deliver_spool(struct plugin *pl)
{
	return drain_spool(pl);
}

int
deliver_open_target(struct plugin *pl)
{
	const struct options *o = &pl->opts;
	struct agent_buffer buf;
	char conf[sizeof(pl->agent_state)];
	int n, rc;

	if (o->target == WAZUH_TARGET_MANAGER)
		return 0;
	/* auto: only the installation's own socket is its agentd's (a socket
	 * elsewhere is a stand-in or a relay: today's behaviour). */
	n = snprintf(conf, sizeof(conf), "%s/queue/sockets/queue", o->wazuh_dir);
	if (o->target == WAZUH_TARGET_AUTO && (n < 0 ||
	    (size_t)n >= sizeof(conf) || strcmp(conf, o->socket_path) != 0 ||
	    !agent_detect(o->wazuh_dir)))
		return 0;
	n = snprintf(conf, sizeof(conf), "%s/etc/ossec.conf", o->wazuh_dir);
	if (n < 0 || (size_t)n >= sizeof(conf) ||
	    (n = snprintf(pl->agent_state, sizeof(pl->agent_state),
	    "%s/var/run/wazuh-agentd.state", o->wazuh_dir)) < 0 ||
	    (size_t)n >= sizeof(pl->agent_state)) {
		log_msg(&pl->log, LOG_ERR, "--wazuh-dir too long");
		return -ENAMETOOLONG;
	}
	if ((rc = agent_read_buffer(conf, &buf)) != 0)
		log_msg(&pl->log, LOG_WARNING, "cannot read the agent's %s (%s): "
		    "pacing to Wazuh's default <client_buffer>", conf,
		    strerror(-rc));
	pace_use_agent(&pl->pace, &buf, pl->agent_state);
	pl->opts.state_file = pl->agent_state;
	/* What the agent and remoted add must still fit analysisd's read. */
	if (pl->shape.max_bytes > AGENT_MAX_DATAGRAM - pl->sink.header_len)
		pl->shape.max_bytes = AGENT_MAX_DATAGRAM - pl->sink.header_len;
	if (buf.disabled)
		log_msg(&pl->log, LOG_NOTICE, "delivering through a Wazuh agent "
		    "with no client buffer: %u events/s at most (--max-eps), "
		    "held while it is not connected", pl->pace.max_eps);
	else
		log_msg(&pl->log, LOG_NOTICE, "delivering through a Wazuh agent: "
		    "%u events/s at most (its events_per_second %u, --max-eps "
		    "%u), backing off as its %u-event buffer fills, held while "
		    "it is not connected", pl->pace.max_eps, buf.eps,
		    o->max_eps, buf.queue_size);
	return 0;
}

/* Wait this long at end of input for analysisd to read what we sent. */
#define SETTLE_MS 2000
#define SETTLE_STEP_MS 20

/* What deliver_load_unread's callback works with. */
struct unread_load {
	struct plugin *pl;
	size_t refused;		/* datagrams set aside */
	int reject_rc;		/* first error setting one aside */
};

/*
 * A datagram of the unread file goes to analysisd again only when this
 * plugin wrote it (its HMAC) for the configured location: the spool is a
 * file, and a datagram is whatever analysisd is told, any location
 * included.  Anything else is set aside (its HMAC only: it is not ours to
 * store).
 */
static int
hold_datagram(void *arg, const char *bytes, size_t len, bool authentic)
{
	struct unread_load *ul = arg;
	struct plugin *pl = ul->pl;
	const char *why = NULL;
	int rc;

	if (!authentic)
		why = "datagram of the spool's unread file without a valid HMAC "
		    "(not written by this plugin)";
	else if (len < pl->sink.header_len ||
	    memcmp(bytes, pl->sink.header, pl->sink.header_len) != 0)
		why = "datagram of the spool's unread file for another location";
	if (why == NULL)
		return sink_hold(&pl->sink, bytes, len);
	if (ul->refused++ == 0)
		log_msg(&pl->log, LOG_WARNING, "%s: set aside, not delivered",
		    why);
	rc = reject_hashed(&pl->reject, why, bytes, len, -1);
	if (rc != 0 && ul->reject_rc == 0)
		ul->reject_rc = rc;
	return 0;
}

int
deliver_load_unread(struct plugin *pl)
{
	struct unread_load ul = { pl, 0, 0 };
	int n = spool_load_unread(&pl->spool, hold_datagram, &ul);

	if (ul.reject_rc == 0)
		ul.reject_rc = reject_sync(&pl->reject);
	if (ul.refused > 0)
		log_msg(&pl->log, LOG_WARNING, "%zu datagram(s) of the spool's "
		    "unread file in %s set aside, not delivered%s%s",
		    ul.refused, pl->opts.spool_dir, ul.reject_rc ? ": cannot "
		    "write the reject file: " : "", ul.reject_rc ?
		    strerror(-ul.reject_rc) : "");
	/* Not a reason to stop delivering: what was read is held, the rest
	 * stays in the file (a later end of input replaces it). */
	if (n < 0) {
		log_msg(&pl->log, LOG_ERR, "cannot read the spool's unread file "
		    "in %s: %s; %zu datagram(s) from it held", pl->opts.spool_dir,
		    strerror(-n), sink_held_count(&pl->sink));
		return n == -ENOMEM ? n : 0;
	}
	if (n > 0)
		pl->unread_saved = true;
	if (n > 0 && (size_t)n > ul.refused)
		log_msg(&pl->log, LOG_NOTICE, "%zu datagram(s) analysisd may not "
		    "have read before the last stop: sending them again first",
		    (size_t)n - ul.refused);
	return 0;
}

/* How long deliver_resend keeps sending to a busy analysisd: a read
 * window is up to tens of thousands of datagrams, far more than its
 * socket takes at once. */
#define RESEND_BUSY_MS 1000

enum deliver_result
deliver_resend(struct plugin *pl)
{
	struct timespec start = now(), t;
	enum sink_status st;
	int err;

	if (sink_pending(&pl->sink) == 0)
		return DELIVER_DONE;
	for (;;) {
		st = sink_resend(&pl->sink, &err);
		pl->stats.resent = pl->sink.resent;
		pl->stats.resent_read = pl->sink.resent_read;
		if (st == SINK_SENT)
			break;
		t = now();
		if (st != SINK_BUSY || ms_between(&start, &t) >= RESEND_BUSY_MS ||
		    stopsig_requested(&pl->stop))
			return transient(pl, "error: analysisd socket %s: %s",
			    pl->opts.socket_path, strerror(err));
		sink_wait_writable(&pl->sink, BUSY_WAIT_MS);
	}
	note_up(pl);
	drop_unread_file(pl);
	return DELIVER_DONE;
}

/*
 * The datagrams analysisd may not have read outlive us in the spool: give
 * it a moment to read them first (most stops find it idle).
 */
static int
save_unread(struct plugin *pl)
{
	struct iovec *d;
	size_t i, n;
	int rc, waited;

	for (waited = 0; sink_settle(&pl->sink) > 0 && waited < SETTLE_MS;
	    waited += SETTLE_STEP_MS)
		(void)poll(NULL, 0, SETTLE_STEP_MS);
	n = sink_held_count(&pl->sink);
	if (n == 0)
		return pl->unread_saved ? spool_save_unread(&pl->spool, NULL, 0) :
		    0;
	if ((d = calloc(n, sizeof(*d))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		d[i].iov_base = (void *)sink_held(&pl->sink, i, &d[i].iov_len);
	rc = spool_save_unread(&pl->spool, d, n);
	free(d);
	if (rc == 0)
		log_msg(&pl->log, LOG_NOTICE, "saved %zu datagram(s) analysisd "
		    "had not read to the spool: sent again at the next start",
		    n);
	return rc;
}

int
deliver_save(struct plugin *pl)
{
	size_t i;
	int rc, first = 0;

	first = save_unread(pl);
	if ((rc = readwin_save(pl)) != 0 && first == 0)
		first = rc;

	for (i = 0; i < pl->spool.count; i++) {
		if (pl->spool.entries[i].delivered == 0)
			continue;
		if ((rc = spool_update(&pl->spool, i)) != 0 && first == 0)
			first = rc;
	}
	if (pl->held.valid && spool_find(&pl->spool, pl->held.digest) >= 0) {
		release_held(pl);
		deliver_journal_saved(pl);
	}
	if (pl->held.valid) {
		rc = spool_add(&pl->spool, pl->held.line, pl->held.len,
		    pl->held.digest, pl->held.delivered);
		if (rc == 0) {
			pl->stats.spooled++;
			log_msg(&pl->log, LOG_NOTICE, "saved an undelivered line "
			    "(%zu bytes, %zu events already delivered) to the "
			    "spool", pl->held.len, pl->held.delivered);
			release_held(pl);
			deliver_journal_saved(pl);
		} else if (first == 0) {
			first = rc;
		}
	}
	if (first != 0)
		log_msg(&pl->log, LOG_ERR, "cannot save to spool %s: %s",
		    pl->opts.spool_dir, strerror(-first));
	return first;
}
