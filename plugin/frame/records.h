/*
 * records: what a cloud envelope (Firehose, Pub/Sub) holds, once unwrapped:
 * an ordered list of audit Events as JSON text, and the records that could
 * not be read, each with its reason.
 *
 * The list is a pure function of the envelope's bytes, so that event i of
 * a request is the same event on every retry and the line's progress
 * (deliver.h) stays valid across retries and restarts.
 */
#ifndef RECORDS_H
#define RECORDS_H

#include <stdbool.h>
#include <stddef.h>

/* Bounds on what one envelope may unwrap to (hostile senders). */
#define RECORDS_MAX_ITEMS 100000		/* events + damaged records */
#define RECORDS_MAX_TOTAL (256u << 20)		/* bytes of all items */

struct record_item {
	char *text;		/* owned: the Event's JSON, or the damaged
				 * record's bytes (its HMAC is set aside) */
	size_t len;
	const char *reason;	/* NULL: an Event; else why it is set aside
				 * (static text) */
	char *cluster;		/* owned, or NULL: the cluster the
				 * envelope names for this event */
};

struct records {
	struct record_item *items;
	size_t count, cap;
	size_t total;		/* bytes of all items' text */
};

/*
 * records_add(r, text, len, reason, cluster):
 * Append an item; text (len bytes, NUL-terminated copy made) and cluster
 * (copied, may be NULL) stay the caller's.  Returns 0, -E2BIG past
 * RECORDS_MAX_ITEMS or RECORDS_MAX_TOTAL, or -ENOMEM.
 */
int records_add(struct records *r, const char *text, size_t len,
    const char *reason, const char *cluster);

/* records_free(r): release every item; *r is empty again. */
void records_free(struct records *r);

/*
 * b64_decode(in, len, out, outlen):
 * Decode standard base64 (RFC 4648 section 4, padding required as Firehose
 * and Pub/Sub write it) into a new buffer *out (NUL-terminated, caller
 * frees) of *outlen bytes.  Returns 0, -EINVAL for anything else (bad
 * character, length, padding) or -ENOMEM.
 */
int b64_decode(const char *in, size_t len, unsigned char **out,
    size_t *outlen);

/*
 * records_fail(reason, reasonlen, fmt, ...):
 * Write why an envelope is refused (printf-style, cut to reasonlen) into
 * `reason`; returns -EINVAL, what the frames' unwrap functions return then.
 */
int records_fail(char *reason, size_t reasonlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* !RECORDS_H */
