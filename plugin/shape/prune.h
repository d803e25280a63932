/*
 * prune: the part of a request or response body that shaping reads.
 *
 * Bodies are most of an event's bytes, and shaping reads few of their
 * members: derive_*.c the ones derive_reads_member() names, redaction the
 * ones its hints name or whose text it may act on (redact.h).  The fast
 * path parses only those into a partial body and lets the rest travel as
 * the bytes that came in.  A ConfigMap's data, the bulk of its events, is
 * read from its bytes: when no entry holds a credential it becomes an empty
 * object in the partial body, which derive and redaction then treat
 * exactly as they would the full one.
 */
#ifndef PRUNE_H
#define PRUNE_H

#include <stdbool.h>

#include <jansson.h>

#include "head.h"
#include "jsonscan.h"

struct pruned {
	json_t *body;	/* owned: the members shaping reads; NULL: none */
	bool redact;	/* redaction may change them: run redact_bodies on
			 * the partial event and compare */
};

enum prune_status {
	PRUNE_OK,
	PRUNE_REFERENCE,	/* use the reference path: a member that
				 * redaction reads repeats keys, which a
				 * parser would silently drop, or redaction
				 * surely changes the body (a ConfigMap
				 * credential) */
	PRUNE_NOMEM
};

/*
 * prune_body(h, text, body, out):
 * Parse what shaping reads of the body whose validated JSON text is `body`
 * (a span of `text`) of the audit event whose head is `h`.  On PRUNE_OK
 * *out holds the partial body (or NULL) that derive_k8s_text and
 * redact_bodies may be given in place of the full one: derive computes the
 * same `k8s` object from it, and redaction changes nothing in it exactly
 * when it would change nothing in the full body.  Objects with escaped or
 * repeated keys or a kind that is not a string are parsed whole; any
 * number of members is listed, in time O(n) (O(n log n) at worst).  Other
 * values are parsed whole when redaction may change them, else left out
 * (derive reads objects only).  Of an object's members that redaction may
 * change, all is parsed; of those only derive reads, what derive_keep
 * names.  On any other status *out holds nothing.
 */
enum prune_status prune_body(const struct head *h, const char *text,
    struct jspan body, struct pruned *out);

#endif /* !PRUNE_H */
