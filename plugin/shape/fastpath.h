/*
 * fastpath: shape an audit event from its bytes, re-serializing nothing
 * that does not change.
 *
 * Most events leave shaping with their members as they came and one
 * member added: `k8s`.  For those, the datagram is the event's own bytes
 * up to its closing brace, then `,"k8s":<k8s>}`, sent as an iovec.  Only
 * what shaping reads is parsed: of the head what head.h names, read from
 * the bytes, and of a body what prune_body says derive and redaction
 * read.  Fitting drops members on the bytes too: the members outside
 * the audit Event's schema, then the bodies.  An event whose damage
 * (jscan_frame's `bad`) lies in its bodies alone has them replaced by
 * batch_reduce's markers; one with damage elsewhere (its metadata) is
 * rebuilt as text with only the damaged members reduced
 * (batch_reduce_text), scanned again and shaped from those bytes.
 * Whatever the fast path cannot prove it shapes
 * exactly as shape_event would (redaction changes something, the event
 * does not fit once those are dropped or has a padded sourceIPs,
 * userAgent, metadata array or requestURI to trim, or holds escapes that
 * jansson writes shorter so that it might fit as the reference writes it, real numbers that jansson may write past a limit,
 * whitespace, escaped, repeated or client-sent `k8s` keys in any case,
 * damaged names that need escaping, an event_check failure) is handed back to the
 * caller, who parses (or reduces) the event and calls shape_event: that
 * reference path stays the definition of the output.
 */
#ifndef FASTPATH_H
#define FASTPATH_H

#include <stddef.h>
#include <sys/uio.h>

#include "eventlist.h"
#include "jsonscan.h"
#include "shape.h"

/*
 * Pieces of a datagram: "{", the runs of kept members (the 20 audit
 * members at most, as unknown ones are dropped and no key repeats) and the
 * two markers that split them, `,"k8s":`, the k8s object's members,
 * `,"dropped":...`, "}}".
 */
#define FASTPATH_MAX_PARTS 32

/* The datagram's JSON text, in pieces (the sink adds its header). */
struct fastpath_out {
	struct iovec iov[FASTPATH_MAX_PARTS];
	size_t nparts;
	size_t len;		/* total bytes */
	char *k8s;		/* owned: the k8s object's text, no '}' */
	size_t k8s_len;
	char dropped[BATCH_DROPPED_MAX + 192];	/* `,"dropped":"..."` when
				 * members were reduced or dropped to
				 * fit, else "" */
	char marker[2][BATCH_MARKER_MAX + 2];	/* damaged bodies' values, as
						 * JSON strings */
	char reduced[BATCH_DROPPED_MAX];	/* the damaged members, as
				 * k8s.dropped names them
				 * ("requestObject:invalid"), or "" */
	char *text;		/* owned: an event with damaged metadata
				 * rebuilt (batch_reduce_text), or NULL */
};

enum fastpath_status {
	FASTPATH_READY,		/* *out holds the text to send */
	FASTPATH_FILTERED,	/* the stage is not forwarded (counted) */
	FASTPATH_FALLBACK,	/* use the reference path for this event */
	FASTPATH_NOMEM		/* allocation failed: transient */
};

/*
 * fastpath_shape(cfg, text, ev, members, out, stats):
 * Shape the event `ev` (a span of `text` from jscan_frame, its members
 * members[ev->first .. ev->first + ev->count)).  On FASTPATH_READY *out
 * holds pieces pointing into `text` (kept alive by the caller) and into
 * itself (out->text included), released with fastpath_out_free; the text is what shape_event
 * would produce, as a JSON value, and fits cfg's limits.  For an event
 * with damage (ev->bad) that is what shape_event_reduced produces of
 * batch_reduce's value, and out->reduced names the replaced members.  On
 * any other status *out holds nothing.  Adds to *stats as shape_event
 * would.
 */
enum fastpath_status fastpath_shape(const struct shape_config *cfg,
    const char *text, const struct jobject *ev,
    const struct jmember *members, struct fastpath_out *out,
    struct shape_stats *stats);

/* fastpath_out_free(out): release what fastpath_shape put in *out. */
void fastpath_out_free(struct fastpath_out *out);

#endif /* !FASTPATH_H */
