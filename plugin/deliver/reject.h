/*
 * reject: the file where input that can never be delivered is set aside.
 *
 * One JSON object per line, each written with a single write(2):
 *   {"time":"2026-11-28T05:40:00Z","reason":"...","item":3,"input":"<JSON>"}
 * "input" is the compact JSON text of what was set aside (any JSON value),
 * already redacted by the caller with the rules of delivered events.  Input
 * that cannot be parsed (so cannot be redacted reliably) is never stored:
 *   {"time":...,"reason":...,"length":1234,"input_hmac":"<64 hex>"}
 * holds its length and its HMAC-SHA256 under the redaction key, enough to
 * tell which line it was (recompute the HMAC over a suspect copy, e.g. from
 * the apiserver's own audit log) and nothing an attacker can plant.  "item"
 * is the index inside its batch for a single event of a batch.
 * Consecutive items of a batch set aside for the same reason share one
 * entry (a batch of 20,000 `1` is a few entries, not 20,000):
 *   {"time":...,"reason":...,"item":3,"items":500,"inputs":"[<JSON>,...]"}
 * "item" is the first index, "items" the count (absent: 1) and "inputs"
 * the compact JSON text of the array of their inputs, in order.  Entries
 * are collected and written (one write per 256 KiB) and made durable
 * together by reject_sync, which the caller runs before it answers rsyslog
 * (an answered line is gone from rsyslog's queue): one write and one
 * fdatasync per line, however many of its events are set aside.
 *
 * The file is opened as root, before the privilege drop: never through a
 * symbolic link, only in a directory owned by root or the plugin's user
 * that group and others cannot write, and only as a regular file with a
 * single link (fsutil_open_file).
 *
 * Entries never interleave or stay half-written: a short write is cut back
 * off the file (with every entry of its batch: reject_sync then fails).  Past --reject-max-bytes (per file) entries are only
 * counted (reject_unwritten) until the file is rotated.  After a failed
 * write the file is not tried again for a growing back-off (1 s to 60 s);
 * meanwhile every entry fails at once with the same error, so each line is
 * answered once and quickly.  The file may be rotated by rename (logrotate's
 * default create mode, no copytruncate): before the first entry after a
 * sync the name is compared with the open file (st_dev/st_ino) and
 * reopened when it names another file or none.
 */
#ifndef REJECT_H
#define REJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include <openssl/evp.h>

/* --reject-max-bytes' default: 256 MiB. */
#define REJECT_MAX_BYTES_DEFAULT (256ull << 20)

struct reject {
	const char *path;	/* not owned */
	const char *name;	/* its last component, inside path */
	int dirfd;		/* the directory holding it, or -1 */
	int fd;			/* open for appending, or -1 */
	bool created;		/* fd is a file this process made */
	bool dirty;		/* entries since the last reject_sync */
	bool lost;		/* some of them could not be written */
	char *buf;		/* entries not written yet (the batch) */
	size_t buflen;
	unsigned long long size;	/* of the file, as written */
	time_t stamp_time;		/* entry_head's caches: the time */
	char stamp[32];			/* formatted, */
	char reason[160];		/* the last reason (its first bytes) */
	char *reason_json;		/* quoted, or NULL */
	unsigned long long max_bytes;	/* budget per file; 0: none */
	unsigned long long unwritten;	/* entries counted, not written */
	const unsigned char *key;	/* HMAC key (not owned), see */
	size_t keylen;			/* reject_set_key */
	struct timespec retry_at;	/* no write before this */
	unsigned backoff_s;		/* current back-off, 0 after success */
	int last_err;			/* negative errno of the failed write */
	/* Streaming state of reject_stream_*: */
	EVP_MD_CTX *mac;
	unsigned long long streamed;	/* bytes seen by the current stream */
	char stream_reason[160];
	/* The run of consecutive items reject_text is collecting: */
	char *run;			/* "[input,input,..." */
	size_t runlen;
	long run_first;			/* index of its first item */
	unsigned long run_count;	/* items in it, 0: none */
	char *run_reason;		/* their reason */
};

/*
 * reject_open(r, path, max_bytes, user):
 * Open (create, mode 0640) `path` for appending, creating its directory
 * (mode 0750) when missing; entries past `max_bytes` bytes of file (0: no
 * budget) are only counted.  `user` may own the directory besides root and
 * the effective user.  r->created tells whether the file is new.  Returns
 * 0, -EPERM for a directory of another owner or writable by group or
 * others, -ELOOP for a symbolic link, -EINVAL for anything but a regular
 * file with one link, or another negative errno.
 */
int reject_open(struct reject *r, const char *path,
    unsigned long long max_bytes, uid_t user);

/*
 * reject_set_key(r, key, keylen):
 * The key (not copied: it must outlive r) of the HMAC that stands for
 * input that cannot be stored.  Until it is set such input cannot be set
 * aside (-EINVAL).
 */
void reject_set_key(struct reject *r, const unsigned char *key,
    size_t keylen);

/*
 * reject_sync(r):
 * Write every entry since the last call and make them durable (one write
 * and one fdatasync).  Returns 0 or a negative errno: then those entries
 * may be lost, and the input they stand for must be treated as not
 * handled.
 */
int reject_sync(struct reject *r);

/* reject_dirty(r): whether entries (or a run of items) wait for
 * reject_sync. */
bool reject_dirty(const struct reject *r);

/* reject_close(r): sync (best effort) and close the file. */
void reject_close(struct reject *r);

/*
 * reject_json(r, reason, value, item):
 * Set aside `value` (any JSON value, not consumed; the caller has redacted
 * it) with `reason`; item is the index inside a batch or -1 for a whole
 * line.  Returns 0 once the entry is taken (written and durable after
 * reject_sync) or counted past the budget, or a negative errno (the caller must then
 * treat the input as not handled: transient).
 */
int reject_json(struct reject *r, const char *reason, const json_t *value,
    long item);

/*
 * reject_text(r, reason, text, n, item):
 * As reject_json, for a value given as its compact JSON text (`n` bytes,
 * as json_dumps(JSON_COMPACT | JSON_ENCODE_ANY) would write it, copied).
 * An item that follows the previous one (index + 1, same reason) joins
 * its entry; the entry is made at the next other entry or reject_sync.
 */
int reject_text(struct reject *r, const char *reason, const char *text,
    size_t n, long item);

/*
 * reject_hashed(r, reason, bytes, n, item):
 * As reject_json, for `n` bytes that are not parsable JSON: only their
 * length and HMAC are stored.
 */
int reject_hashed(struct reject *r, const char *reason, const char *bytes,
    size_t n, long item);

/*
 * reject_stream_begin(r, reason), reject_stream_bytes(r, bytes, n),
 * reject_stream_end(r):
 * reject_hashed for input too long to hold in memory, fed piece by piece:
 * nothing is written before reject_stream_end.  Each returns 0 or a
 * negative errno; reject_stream_bytes only fails on a libcrypto error.
 * After an error call reject_stream_end anyway to release the state.
 */
int reject_stream_begin(struct reject *r, const char *reason);
int reject_stream_bytes(struct reject *r, const char *bytes, size_t n);
int reject_stream_end(struct reject *r);

/*
 * reject_unwritten(r):
 * How many entries were counted instead of written since the last call
 * (for the periodic summary); resets the count.
 */
unsigned long long reject_unwritten(struct reject *r);

#endif /* !REJECT_H */
