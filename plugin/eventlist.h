/*
 * eventlist: what one omprog line holds, and which of it are audit events.
 *
 * A line is an audit.k8s.io EventList (its `items`), a single Event, or a
 * JSON array of Events.  The line as a whole must be valid JSON (UTF-8,
 * nesting at most EVENTLIST_MAX_DEPTH deep); each item is then checked on its
 * own so that one bad item does not hold back its siblings.
 */
#ifndef EVENTLIST_H
#define EVENTLIST_H

#include <stddef.h>

#include <jansson.h>

/*
 * Kubernetes objects nest about 20 levels deep (managedFields included); 64
 * keeps a margin and keeps recursive walks over the tree cheap and safe.
 */
#define EVENTLIST_MAX_DEPTH 64

struct batch {
	json_t *root;		/* the parsed line (owned) */
	json_t *items;		/* the array of events, or NULL for one Event */
	size_t count;		/* number of items */
};

/*
 * batch_parse(b, line, len, reason, reasonlen):
 * Parse `len` bytes of `line` into *b.  Returns 0, -EINVAL when the line is
 * not an EventList, Event or array of events (a one-line reason is written
 * to `reason`), or -ENOMEM.  On error *b holds nothing to free.
 */
int batch_parse(struct batch *b, const char *line, size_t len, char *reason,
    size_t reasonlen);

/* batch_item(b, i): item i (< b->count), borrowed from b. */
json_t *batch_item(const struct batch *b, size_t i);

/* batch_free(b): release what batch_parse made. */
void batch_free(struct batch *b);

/*
 * event_check(item, reason, reasonlen):
 * Returns 0 when `item` is an audit Event: an object whose kind (if any) is
 * "Event", apiVersion (if any) under audit.k8s.io/, with string auditID, stage,
 * verb, requestURI and level, an object user, and well-typed optional
 * members.  Otherwise -EINVAL and a one-line reason.
 */
int event_check(const json_t *item, char *reason, size_t reasonlen);

#endif /* !EVENTLIST_H */
