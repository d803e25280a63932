/*
 * eventlist: what one omprog line holds, and which of it are audit events.
 *
 * A line is an audit.k8s.io EventList (its `items`), a single Event, or a
 * JSON array of Events.  The line must frame as JSON (batch_scan); damage
 * inside an item (invalid UTF-8, a number jansson cannot hold, nesting past
 * EVENTLIST_MAX_DEPTH, ...) stays in that item, where batch_reduce replaces
 * the member holding it, so that one bad byte costs neither the item's
 * audit metadata nor its siblings.  Each item is then checked on its own.
 */
#ifndef EVENTLIST_H
#define EVENTLIST_H

#include <stddef.h>

#include <jansson.h>

#include "jsonscan.h"

/*
 * Kubernetes objects nest about 20 levels deep (managedFields included); 64
 * keeps a margin and keeps recursive walks over the tree cheap and safe.
 */
#define EVENTLIST_MAX_DEPTH 64

/*
 * A line validated by jsonscan and classified from its bytes: the events
 * stay spans of the line; nothing is parsed into jansson yet.
 */
struct span_batch {
	struct jscan *sc;	/* the scan (borrowed) */
	const char *text;	/* the line, after any byte-order mark */
	bool framed;		/* the line frames as JSON (jscan_frame) */
	bool single;		/* the root object is the one Event */
	size_t count;		/* number of events */
	size_t salvaged;	/* (line that does not frame) its first
				 * events that are whole: see batch_scan */
};

/*
 * batch_scan(b, sc, line, len, reason, reasonlen):
 * Frame `len` bytes of `line` with scanner `sc` (jscan_init'ed, reused
 * across lines; jscan_frame) and classify it, reading only the root's kind
 * and apiVersion: a root array holds events (none: "empty array of
 * events"); a root object whose kind is "EventList" holds the events of
 * its `items` array (apiVersion, if any, under audit.k8s.io/, else
 * "EventList apiVersion is not audit.k8s.io/..."; "EventList has no items
 * array", "EventList has no items"); any other root object is one Event.
 * Keys are read as jansson reads them: unescaped, the last of repeated
 * keys kept, so the events are exactly those json_loadb's tree would give
 * (jsonscan.h), with no need for it.  Returns 0 (*b refers to sc and line,
 * which the caller keeps; an event whose jobject has `bad` set must go
 * through batch_reduce), -EINVAL with a one-line reason ("invalid JSON
 * ..." when the line does not frame or its root kind or apiVersion is
 * damaged, else the reasons above), or -ENOMEM.  When the line does not
 * frame but is, up to where it breaks, an audit EventList or an array,
 * b->salvaged (else 0) counts the events before the break that are whole
 * (of the last `items` array begun before it); b->count is then that
 * number and batch_span_item gives them, so that a truncated or corrupted
 * batch still delivers what it holds intact.
 */
int batch_scan(struct span_batch *b, struct jscan *sc, const char *line,
    size_t len, char *reason, size_t reasonlen);

/*
 * batch_span_item(b, i, members):
 * Event i (< b->count) as scanned; *members is the array its first/count
 * index (both borrowed from the scan, valid until the next call: a scan
 * with a window (jscan_set_window) brings event i in by scanning its part
 * of the line again).  NULL when memory runs out.
 */
const struct jobject *batch_span_item(const struct span_batch *b, size_t i,
    const struct jmember **members);

/*
 * batch_reduce(text, ev, members, out, dropped, droppedlen):
 * The jansson value of event `ev` of a scanned line (its members are
 * members[ev->first ..]), with every member whose value is damaged (its
 * `bad`) replaced by the string "[DROPPED <n> bytes: <why>]" and named in
 * `dropped` as "<key>:invalid" (comma-separated, NUL-terminated, cut at
 * droppedlen with a final "..."); a member whose key itself is damaged is
 * left out and named "key:invalid".  An event that is not an object is
 * returned as it is, or as the marker string when damaged.  Repeated keys
 * keep their last value, as jansson's parser does.  Returns 0 with *out
 * owned by the caller, or -ENOMEM.
 */
int batch_reduce(const char *text, const struct jobject *ev,
    const struct jmember *members, json_t **out, char *dropped,
    size_t droppedlen);

/*
 * batch_reduce_text(text, ev, members, out, outlen, dropped, droppedlen):
 * batch_reduce's value of object event `ev`, as JSON text that parses to
 * it, built from the event's bytes: members as written, each damaged value
 * replaced by the compact JSON of its reduced value (only those are built
 * as jansson values), a member with a damaged key left out; `dropped` as
 * batch_reduce names them.  A repeated key stays repeated (parsed, its
 * last value is kept).  Returns 0 with *out (malloc'ed, NUL-terminated,
 * *outlen bytes) owned by the caller, -EINVAL for an event that is not an
 * object, or -ENOMEM.
 */
int batch_reduce_text(const char *text, const struct jobject *ev,
    const struct jmember *members, char **out, size_t *outlen,
    char *dropped, size_t droppedlen);

/* The room for batch_reduce's names (`dropped`) the reference path gives,
 * and so the fast path. */
#define BATCH_DROPPED_MAX 192

/*
 * batch_bad_reason(bad):
 * A short text for enum jbad bits, as the marker and logs name them.
 */
const char *batch_bad_reason(unsigned bad);

/* Room for batch_marker's text and its NUL, whatever len and bad. */
#define BATCH_MARKER_MAX 80

/*
 * batch_marker(buf, cap, len, bad):
 * Write to buf (cap bytes) the marker batch_reduce puts in place of a
 * damaged value of `len` bytes whose damage is `bad`: plain printable ASCII,
 * a JSON string's value as it is.  Returns snprintf's count.
 */
int batch_marker(char *buf, size_t cap, size_t len, unsigned bad);

/* The apiVersion of audit objects starts with this group. */
#define AUDIT_API_GROUP "audit.k8s.io/"

/* event_check's reason for an item that is not an object. */
#define EVENT_NOT_OBJECT "item is not a JSON object"

/*
 * event_check(item, reason, reasonlen):
 * Returns 0 when `item` is an audit Event: an object whose kind (if any) is
 * "Event", apiVersion (if any) under audit.k8s.io/, with string auditID, stage,
 * verb, requestURI and level, an object user, and well-typed optional
 * members.  Otherwise -EINVAL and a one-line reason.
 */
int event_check(const json_t *item, char *reason, size_t reasonlen);

#endif /* !EVENTLIST_H */
