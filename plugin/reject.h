/*
 * reject: the file where input that can never be delivered is set aside.
 *
 * One JSON object per line:
 *   {"time":"2026-11-28T05:40:00Z","reason":"...","input":"<raw text>"}
 * with "input_base64" instead of "input" when the raw bytes are not valid
 * UTF-8, and "item" (the index inside its batch) for a single event of a
 * batch.  Each entry is flushed to disk before the caller answers rsyslog,
 * because an answered line is gone from rsyslog's queue.
 */
#ifndef REJECT_H
#define REJECT_H

#include <stddef.h>

#include <jansson.h>

#include <openssl/evp.h>

struct reject {
	const char *path;	/* not owned */
	int fd;			/* open for appending, or -1 */
	/* Streaming state of reject_stream_*: */
	EVP_ENCODE_CTX *b64;
	size_t streamed;	/* raw bytes seen by the current stream */
};

/*
 * reject_open(r, path):
 * Open (create, mode 0640) `path` for appending, creating its directory
 * (mode 0750) when missing.  Returns 0 or a negative errno.
 */
int reject_open(struct reject *r, const char *path);

/* reject_close(r): close the file. */
void reject_close(struct reject *r);

/*
 * reject_raw(r, reason, bytes, n, item):
 * Set aside `n` raw bytes with `reason`; item is the index inside a batch or
 * -1 for a whole line.  Returns 0 once the entry is on disk, or a negative
 * errno (the caller must then treat the input as not handled: transient).
 */
int reject_raw(struct reject *r, const char *reason, const char *bytes,
    size_t n, long item);

/*
 * reject_json(r, reason, value, item):
 * As reject_raw, for a parsed value (serialized compactly; not consumed).
 */
int reject_json(struct reject *r, const char *reason, const json_t *value,
    long item);

/*
 * reject_stream_begin(r, reason), reject_stream_bytes(r, bytes, n),
 * reject_stream_end(r):
 * Set aside input too long to hold in memory, as "input_base64", piece by
 * piece.  Each returns 0 or a negative errno; after an error call
 * reject_stream_end anyway to release the encoder.
 */
int reject_stream_begin(struct reject *r, const char *reason);
int reject_stream_bytes(struct reject *r, const char *bytes, size_t n);
int reject_stream_end(struct reject *r);

#endif /* !REJECT_H */
