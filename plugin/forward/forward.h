/*
 * forward: the node's events to the first manager that answers, each kept
 * until a manager acknowledged it.
 *
 * RELP's acknowledgement of a "syslog" frame means the manager's plugin has
 * delivered the event, or kept it in its spool (its listener's ruleset runs
 * in imrelp's thread: docs/production.md, section 8).  Every event
 * handed to fwd_submit is held here until that acknowledgement; a session
 * that breaks (the manager stopped, killed, unreachable, a protocol error,
 * no answer within the timeout) is dropped and what it had not
 * acknowledged is sent again on the next session, to the first target that
 * answers, in the targets' order.  So an event is lost neither at a
 * failover nor when the node dies: the caller (omprog, fwdmain.c) tells
 * rsyslog an event is done only after fwd_settle, and rsyslog keeps it in
 * its Disk queue until then.  The price is a duplicate for each event a
 * manager stored but could not acknowledge before the session broke.
 *
 * While on a later target, the first ones are tried again every
 * return_after_ms, between transactions, so traffic returns to them.
 */
#ifndef FORWARD_H
#define FORWARD_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "log.h"
#include "relpconn.h"

struct fwd_config {
	const struct relp_target *targets;	/* in order of preference */
	size_t ntargets;
	SSL_CTX *ctx;
	unsigned window;	/* frames sent ahead of acknowledgements */
	size_t window_bytes;	/* ...and their bytes (one frame may be more) */
	size_t hold_bytes;	/* held past this, fwd_submit waits */
	int timeout_ms;		/* connect and handshake */
	int ack_timeout_ms;	/* each acknowledgement: a manager whose
				 * analysisd is away answers late, not never */
	int return_after_ms;	/* how often a preferred target is tried */
	int stop_fd;		/* readable: stop waiting (-EINTR) */
	const struct log *lg;
	/* Called while a wait lasts, at most every few seconds, so that the
	 * caller can tell omprog it is still working. */
	void (*alive)(void *arg);
	void *alive_arg;
};

struct fwd_frame {
	char *data;
	size_t len;
	unsigned txnr;		/* on the current session, once sent */
	unsigned refusals;	/* answers other than 200 */
};

struct fwd_counts {
	unsigned long long acked, resent, sessions, refused;
};

struct forward {
	struct fwd_config cfg;
	struct relp_conn conn;	/* the session, when up */
	struct relp_conn probe;	/* a preferred target, being tried */
	bool up;
	bool session_acked;	/* the session acknowledged a frame */
	unsigned fruitless;	/* sessions in a row that acknowledged none */
	size_t cur;		/* targets[cur] is the session's peer */
	struct fwd_frame *q;	/* held frames, oldest first, from qhead */
	size_t qhead, qlen, qcap;
	size_t nsent;		/* q[qhead..qhead+nsent) went out on conn */
	size_t sent_bytes;	/* their bytes */
	size_t held_bytes;	/* bytes of all held frames */
	long long next_return;	/* when a preferred target is tried next */
	long long last_alive;
	bool outage_logged;
	struct fwd_counts counts;
};

/*
 * fwd_init(f, cfg):
 * A forwarder with no session yet; cfg (and what it points to) must
 * outlive f.  Nothing is allocated until fwd_submit.
 */
void fwd_init(struct forward *f, const struct fwd_config *cfg);

/*
 * fwd_hold(f, data, len):
 * Hold a copy of one event without sending it yet: it goes out with the
 * next fwd_submit or fwd_settle.  Returns 0 or -ENOMEM.
 */
int fwd_hold(struct forward *f, const char *data, size_t len);

/*
 * fwd_unacked(f, i, data, len):
 * The i-th held event no manager acknowledged (0: the oldest), pointing
 * into f until the next call that sends or settles; false past the last.
 */
bool fwd_unacked(const struct forward *f, size_t i, const char **data,
    size_t *len);

/*
 * fwd_submit(f, data, len):
 * Hold a copy of one event and, while a session is up, send it (within
 * the window) and take the acknowledgements already answered, without
 * waiting.  Only once more than cfg.hold_bytes are held does it wait, as
 * fwd_settle does, until the window has room.  Returns 0 (held: sent or to
 * be sent), -EINTR when the stop descriptor became readable, -ENOMEM.
 */
int fwd_submit(struct forward *f, const char *data, size_t len);

/*
 * fwd_settle(f):
 * Wait until every held event is acknowledged, resending through new
 * sessions as needed; returns 0 (nothing held any more) or -EINTR (stop:
 * what is held is not acknowledged and stays held).
 */
int fwd_settle(struct forward *f);

/*
 * fwd_between(f):
 * Call between transactions (nothing held): when the session is with a
 * later target and return_after_ms has passed, try the preferred targets
 * and move the session to the first that answers.  Returns 0 or -EINTR.
 */
int fwd_between(struct forward *f);

/*
 * fwd_close(f):
 * End the session (RELP "close" when nothing is held) and free everything.
 */
void fwd_close(struct forward *f);

#endif /* !FORWARD_H */
