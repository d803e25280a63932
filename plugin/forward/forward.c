#include "forward.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* How often a wait tells the caller it is alive (omprog's confirmTimeout
 * must be longer). */
#define ALIVE_EVERY_MS 5000
/* Between rounds over all targets while none answers. */
#define RETRY_PAUSE_MS 1000
/* After sessions that ended before acknowledging anything (a manager that
 * refuses a frame, or breaks at it), the next connect waits 1 s, doubling
 * up to this: such a manager must not be hammered with handshakes. */
#define FRUITLESS_PAUSE_MAX_MS 30000
/* fwd_submit writes out buffered frames past this (a few events). */
#define FLUSH_EARLY_BYTES (16u * 1024u)
/* Trying a preferred target must not stall the session for long. */
#define PROBE_TIMEOUT_MS 2000

static void
alive(struct forward *f)
{
	long long now = relp_now_ms();

	if (f->cfg.alive == NULL || now - f->last_alive < ALIVE_EVERY_MS)
		return;
	f->last_alive = now;
	f->cfg.alive(f->cfg.alive_arg);
}

/* Sleep ms, telling the caller it is alive; -EINTR on stop. */
static int
pause_ms(struct forward *f, int ms)
{
	struct pollfd pfd = { .fd = f->cfg.stop_fd, .events = POLLIN };
	long long end = relp_now_ms() + ms, left;

	while ((left = end - relp_now_ms()) > 0) {
		alive(f);
		if (poll(&pfd, f->cfg.stop_fd >= 0 ? 1 : 0,
		    left > ALIVE_EVERY_MS ? ALIVE_EVERY_MS : (int)left) > 0)
			return -EINTR;
	}
	alive(f);
	return 0;
}

void
fwd_init(struct forward *f, const struct fwd_config *cfg)
{
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	relp_conn_init(&f->conn, cfg->stop_fd);
	relp_conn_init(&f->probe, cfg->stop_fd);
	f->last_alive = relp_now_ms();
}

static const struct relp_target *
target(const struct forward *f, size_t i)
{
	return &f->cfg.targets[i];
}

/* Drop the session: every held frame is sent again on the next one. */
static void
drop_session(struct forward *f, int rc, const char *what)
{
	const struct relp_target *t = target(f, f->cur);

	log_msg(f->cfg.lg, LOG_WARNING, "session with %s:%s ended (%s: %s); "
	    "%zu event(s) not acknowledged are sent again", t->host, t->port,
	    what, strerror(-rc), f->qlen - f->qhead);
	relp_conn_close(&f->conn, false, 0);
	f->up = false;
	if (!f->session_acked)
		f->fruitless++;
	f->counts.resent += f->nsent;
	f->nsent = 0;
	f->sent_bytes = 0;
}

/* Open a session with the first target that answers, trying all every
 * RETRY_PAUSE_MS until one does; first pause after fruitless sessions. */
static int
connect_any(struct forward *f)
{
	char err[512];
	size_t i;
	int rc, pause;

	if (f->fruitless > 0) {
		pause = 1000 << (f->fruitless < 6 ? f->fruitless - 1 : 5);
		if ((rc = pause_ms(f, pause < FRUITLESS_PAUSE_MAX_MS ? pause :
		    FRUITLESS_PAUSE_MAX_MS)) != 0)
			return rc;
	}
	while (!f->up) {
		for (i = 0; i < f->cfg.ntargets; i++) {
			alive(f);
			rc = relp_conn_open(&f->conn, f->cfg.ctx, target(f, i),
			    f->cfg.timeout_ms, err, sizeof(err));
			if (rc == -EINTR)
				return rc;
			if (rc == 0)
				break;
			if (!f->outage_logged)
				log_msg(f->cfg.lg, LOG_WARNING, "%s", err);
		}
		if (i < f->cfg.ntargets) {
			f->up = true;
			f->session_acked = false;
			f->cur = i;
			f->counts.sessions++;
			f->next_return = relp_now_ms() + f->cfg.return_after_ms;
			log_msg(f->cfg.lg, LOG_INFO, "session with %s:%s%s",
			    target(f, i)->host, target(f, i)->port,
			    i > 0 ? " (a later target: the first ones are "
			    "tried again between transactions)" : "");
			f->outage_logged = false;
			return 0;
		}
		if (!f->outage_logged)
			log_msg(f->cfg.lg, LOG_WARNING, "no manager answers; "
			    "trying every %d ms, events wait in rsyslog's queue",
			    RETRY_PAUSE_MS);
		f->outage_logged = true;
		if ((rc = pause_ms(f, RETRY_PAUSE_MS)) != 0)
			return rc;
	}
	return 0;
}

/* Send held frames not yet sent on this session, while the window has
 * room (a frame always goes when none is in flight). */
static int
send_some(struct forward *f)
{
	struct fwd_frame *fr;
	int rc;

	while (f->qhead + f->nsent < f->qlen) {
		fr = &f->q[f->qhead + f->nsent];
		if (f->nsent > 0 && (f->nsent >= f->cfg.window ||
		    f->sent_bytes + fr->len > f->cfg.window_bytes))
			return 0;
		rc = relp_conn_send(&f->conn, "syslog", fr->data, fr->len,
		    f->cfg.ack_timeout_ms, &fr->txnr);
		if (rc != 0) {
			drop_session(f, rc, "send");
			return rc == -EINTR ? rc : 0;
		}
		f->nsent++;
		f->sent_bytes += fr->len;
	}
	return 0;
}

static void
pop_frame(struct forward *f)
{
	struct fwd_frame *fr = &f->q[f->qhead];

	f->sent_bytes -= fr->len;
	f->held_bytes -= fr->len;
	free(fr->data);
	f->qhead++;
	f->nsent--;
	if (f->qhead == f->qlen)
		f->qhead = f->qlen = 0;
}

/* Take the next acknowledgement; a session error drops the session. */
static int
take_response(struct forward *f)
{
	struct fwd_frame *fr = &f->q[f->qhead];
	long long deadline, left;
	unsigned txnr;
	int rc, status;

	/* In slices, so that omprog hears from us while a manager is slow
	 * (its analysisd away): the frame read so far stays in f->conn. */
	deadline = relp_now_ms() + f->cfg.ack_timeout_ms;
	do {
		alive(f);
		left = deadline - relp_now_ms();
		rc = relp_conn_response(&f->conn, left > ALIVE_EVERY_MS ?
		    ALIVE_EVERY_MS : left > 0 ? (int)left : 0, &txnr, &status);
	} while (rc == -ETIMEDOUT && relp_now_ms() < deadline);
	if (rc == -EINTR)
		return rc;
	if (rc == 0 && txnr != fr->txnr)
		rc = -EPROTO;	/* RELP answers in order */
	if (rc != 0) {
		drop_session(f, rc, "acknowledgement");
		return 0;
	}
	if (status == 200) {
		f->counts.acked++;
		f->session_acked = true;
		f->fruitless = 0;
		pop_frame(f);
		return 0;
	}
	/* Refused: the manager could not take it now (its queue, its
	 * plugin).  Kept and sent again on a new session (after a pause, if
	 * it keeps being refused: connect_any): nothing a manager refuses
	 * is dropped here. */
	f->counts.refused++;
	fr->refusals++;
	log_msg(f->cfg.lg, LOG_WARNING, "%s:%s refused an event (%.60s; "
	    "%u time(s)); sent again", target(f, f->cur)->host,
	    target(f, f->cur)->port, f->conn.rx.data, fr->refusals);
	f->session_acked = false;	/* a refusal is paced like a failure */
	drop_session(f, -EPROTO, "refused");
	return 0;
}

/* Send and take acknowledgements until at most `keep` frames are in
 * flight and everything held has been sent (keep 0: all acknowledged). */
static int
pump(struct forward *f, size_t keep)
{
	int rc;

	while (f->qhead < f->qlen) {
		if (!f->up && (rc = connect_any(f)) != 0)
			return rc;
		if ((rc = send_some(f)) != 0)
			return rc;
		if (!f->up)
			continue;
		if (f->qhead + f->nsent == f->qlen && f->nsent <= keep)
			return 0;
		if ((rc = take_response(f)) != 0)
			return rc;
	}
	return 0;
}

int
fwd_hold(struct forward *f, const char *data, size_t len)
{
	struct fwd_frame *nq, *fr;
	size_t ncap;

	if (f->qlen == f->qcap) {
		ncap = f->qcap ? f->qcap * 2 : 64;
		if ((nq = realloc(f->q, ncap * sizeof(*nq))) == NULL)
			return -ENOMEM;
		f->q = nq;
		f->qcap = ncap;
	}
	fr = &f->q[f->qlen];
	memset(fr, 0, sizeof(*fr));
	if ((fr->data = malloc(len ? len : 1)) == NULL)
		return -ENOMEM;
	memcpy(fr->data, data, len);
	fr->len = len;
	f->qlen++;
	f->held_bytes += len;
	return 0;
}

bool
fwd_unacked(const struct forward *f, size_t i, const char **data,
    size_t *len)
{
	if (i >= f->qlen - f->qhead)
		return false;
	*data = f->q[f->qhead + i].data;
	*len = f->q[f->qhead + i].len;
	return true;
}

int
fwd_submit(struct forward *f, const char *data, size_t len)
{
	int rc;

	if ((rc = fwd_hold(f, data, len)) != 0)
		return rc;
	/* Past the memory bound, wait for acknowledgements (and for a
	 * manager) here; else never: rsyslog then hands over the whole
	 * transaction before its commit, so at a stop keep.h has all of it
	 * (rsyslog drops the rest of a batch it had not handed over). */
	if (f->held_bytes > f->cfg.hold_bytes)
		return pump(f, f->cfg.window);
	if (!f->up)
		return 0;
	if ((rc = send_some(f)) != 0)
		return rc;
	/* Out once a few events are buffered, not at the commit: the manager
	 * works on them while rsyslog hands over the rest (flushing only at
	 * the commit halved the node path's events/s). */
	if (!f->up || f->conn.wlen < FLUSH_EARLY_BYTES)
		return 0;
	if ((rc = relp_conn_flush(&f->conn, f->cfg.ack_timeout_ms)) != 0) {
		drop_session(f, rc, "send");
		return rc == -EINTR ? rc : 0;
	}
	/* what is answered already frees its memory now */
	while (f->up && f->nsent > 0 && relp_conn_answered(&f->conn))
		if ((rc = take_response(f)) != 0)
			return rc;
	return 0;
}

int
fwd_settle(struct forward *f)
{
	return pump(f, 0);
}

int
fwd_between(struct forward *f)
{
	char err[512];
	size_t i;
	int rc;

	if (!f->up || f->cur == 0 || f->qlen > 0 || relp_now_ms() < f->next_return)
		return 0;
	for (i = 0; i < f->cur; i++) {
		rc = relp_conn_open(&f->probe, f->cfg.ctx, target(f, i),
		    PROBE_TIMEOUT_MS < f->cfg.timeout_ms ? PROBE_TIMEOUT_MS :
		    f->cfg.timeout_ms, err, sizeof(err));
		if (rc == -EINTR)
			return rc;
		if (rc != 0)
			continue;
		log_msg(f->cfg.lg, LOG_INFO, "back to %s:%s", target(f, i)->host,
		    target(f, i)->port);
		relp_conn_close(&f->conn, true, f->cfg.timeout_ms);
		f->conn = f->probe;
		relp_conn_init(&f->probe, f->cfg.stop_fd);
		f->cur = i;
		f->counts.sessions++;
		return 0;
	}
	f->next_return = relp_now_ms() + f->cfg.return_after_ms;
	return 0;
}

void
fwd_close(struct forward *f)
{
	relp_conn_close(&f->conn, f->up && f->qlen == 0, f->cfg.timeout_ms);
	relp_conn_close(&f->probe, false, 0);
	for (size_t i = f->qhead; i < f->qlen; i++)
		free(f->q[i].data);
	free(f->q);
	f->q = NULL;
	f->qhead = f->qlen = f->qcap = 0;
	f->held_bytes = 0;
	f->up = false;
}
