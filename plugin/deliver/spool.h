/*
 * spool: lines the plugin owns across restarts.
 *
 * rsyslog drops the message its suspended action holds when it shuts down
 * (BRIEF §2), so a line handed to us but not fully delivered when our input
 * closes is saved here and delivered first after the next start.  Each entry
 * remembers how many of its events analysisd already has.  Lines completed
 * from the spool are remembered (digest and event count) so that the same
 * line, resent by rsyslog later, is not delivered twice.
 *
 * Layout of the directory (mode 0700):
 *   <16-digit sequence>.line   "wka-spool 1 <delivered> <sha256 hex>\n" + line
 *                              (all zeros: not computed yet, spool_accept)
 *   delivered                  "<sha256 hex> <events> <bytes>\n" per recent line
 *   unread                     "wka-unread 2 <count>\n", then per datagram
 *                              "<length> <HMAC hex>\n" + the datagram: those
 *                              sent that analysisd may not have read when
 *                              input ended
 *
 * The directory is opened as root, before the privilege drop: never through
 * a symbolic link, only when owned by root or the plugin's user and not
 * writable by group or others; each file in it only when it is a regular
 * file with a single link (fsutil_open_file), so a FIFO, a link or a device
 * planted there is skipped or refused, never followed or waited on.  A
 * datagram of `unread` is sent again only with a valid HMAC-SHA256 under
 * the plugin's key (spool_set_key): a datagram goes straight to analysisd,
 * so the file must not let anyone who could write it speak for the plugin.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#define SPOOL_DIGEST_LEN 32
/* Lines remembered after delivery: far more than restarts between resends. */
#define SPOOL_RECENT 64
#define SPOOL_NAME_LEN 24

struct spool_entry {
	char name[SPOOL_NAME_LEN];
	unsigned char digest[SPOOL_DIGEST_LEN];
	size_t len;		/* bytes of the line */
	size_t delivered;	/* events of the line analysisd already has */
};

struct spool_recent {
	unsigned char digest[SPOOL_DIGEST_LEN];
	size_t len;		/* bytes of the line */
	size_t events;
};

struct spool {
	int dirfd;
	bool created;		/* this process made the directory */
	const unsigned char *key;	/* HMAC key of unread (not owned) */
	size_t keylen;
	size_t max_line;
	unsigned long long next_seq;
	struct spool_entry *entries;	/* oldest first */
	size_t count, cap;
	struct spool_recent recent[SPOOL_RECENT];	/* ring */
	size_t recent_count, recent_next;
};

/*
 * spool_digest(line, len, digest):
 * The identity of a line: SHA-256 of its bytes.
 */
void spool_digest(const char *line, size_t len,
    unsigned char digest[SPOOL_DIGEST_LEN]);

/*
 * spool_open(sp, dir, max_line, user):
 * Create `dir` (0700) when missing (sp->created then), wait for an
 * exclusive lock on it (held until spool_close: a process still saving
 * there finishes first), and read its entries and recent list.  `user` may
 * own the directory besides root and the effective user.
 * An entry whose header cannot be read (or that is not a regular file with
 * one link) is skipped and left in place for an admin to look at; one
 * whose digest is all zeros (spool_accept) gets the digest of its line
 * (it stays zero if the line cannot be read: never recognised, at worst
 * delivered twice); a
 * recent list that is not such a file is ignored (and later replaced).  Returns
 * 0, -EPERM for a directory of another owner or writable by group or
 * others, -ELOOP or -ENOTDIR for a symbolic link, or a negative errno.
 */
int spool_open(struct spool *sp, const char *dir, size_t max_line,
    uid_t user);

/*
 * spool_set_key(sp, key, keylen):
 * The key (not copied: it must outlive sp) of the HMAC of unread's
 * datagrams.  Until it is set, spool_save_unread fails with -EINVAL and
 * no datagram read back is authentic.
 */
void spool_set_key(struct spool *sp, const unsigned char *key,
    size_t keylen);

/* spool_close(sp): release memory and the directory. */
void spool_close(struct spool *sp);

/* spool_find(sp, digest): index of the entry with that digest, or -1. */
long spool_find(const struct spool *sp,
    const unsigned char digest[SPOOL_DIGEST_LEN]);

/*
 * spool_load(sp, i, line, len):
 * Read entry i's line into a malloc'd, NUL-terminated buffer the caller
 * frees.  Returns 0 or a negative errno.
 */
int spool_load(const struct spool *sp, size_t i, char **line, size_t *len);

/*
 * spool_add(sp, line, len, digest, delivered):
 * Save a new entry after the existing ones, durably.  Returns 0 or a
 * negative errno.
 */
int spool_add(struct spool *sp, const char *line, size_t len,
    const unsigned char digest[SPOOL_DIGEST_LEN], size_t delivered);

/*
 * spool_accept(sp, line, len, sync):
 * spool_add of a line nothing of which is delivered yet, that the plugin
 * answers OK before delivering it (deliver.h, "accept ahead"): fsynced
 * only when `sync`, else as durable as the kernel keeps it
 * (fsutil_replace_unsynced).  Its digest is not computed (SHA-256 of every
 * line was a tenth of the plugin's time): the entry's is all zeros, in the
 * file and in sp, and spool_open computes it from the line if the entry is
 * still there at the next start, when a resend of the line by rsyslog must
 * be recognised; set it in sp if the entry stays longer in this process.
 * Returns 0 or a negative errno.
 */
int spool_accept(struct spool *sp, const char *line, size_t len, bool sync);

/*
 * spool_update(sp, i):
 * Rewrite entry i's file with its current `delivered` count, durably.
 * Returns 0 or a negative errno.
 */
int spool_update(struct spool *sp, size_t i);

/*
 * spool_may_know(sp, len):
 * False when no entry and no recent line is `len` bytes long: then a line
 * of that length is new, and its digest need not be computed.
 */
bool spool_may_know(const struct spool *sp, size_t len);

/*
 * spool_done(sp, i, events):
 * Entry i is fully delivered: remember its digest (durably), then remove it.
 * Returns 0 or a negative errno (the entry then stays).
 */
int spool_done(struct spool *sp, size_t i, size_t events);

/*
 * spool_forget(sp, i):
 * Remove entry i, delivered, without remembering it (no fsync): for a
 * line accepted ahead and delivered by the same process, which rsyslog
 * hands over again only if rsyslogd died before it noted the OK, like any
 * line answered OK (then its events come twice, never zero times; a line
 * remembered would make the next identical line a duplicate).  The
 * entry leaves sp either way; returns 0, or a negative errno when its file
 * could not be removed (it is then delivered again at the next start).
 */
int spool_forget(struct spool *sp, size_t i);

/*
 * spool_recent_events(sp, digest, events):
 * True when a line with this digest was completed from the spool; sets
 * *events to its event count.
 */
bool spool_recent_events(const struct spool *sp,
    const unsigned char digest[SPOOL_DIGEST_LEN], size_t *events);

/* The unread file never holds more than this (the sink's ring guard). */
#define SPOOL_UNREAD_MAX ((size_t)9 << 20)

/*
 * spool_save_unread(sp, dgrams, n):
 * Make the unread file hold exactly these n datagrams (pieces not
 * retained), durably; n == 0 removes it.  Returns 0 or a negative errno.
 */
int spool_save_unread(struct spool *sp, const struct iovec *dgrams, size_t n);

/* What spool_load_unread passes each datagram to. */
typedef int spool_unread_fn(void *arg, const char *bytes, size_t len,
    bool authentic);

/*
 * spool_load_unread(sp, keep, arg):
 * Pass each datagram of the unread file, oldest first, to keep(arg, bytes,
 * len, authentic) (bytes not retained); `authentic` is true when its
 * HMAC is valid under the key, and for every datagram of a version 1 file:
 * an older plugin wrote those before the MAC existed, and refusing them
 * would lose what analysisd had not read at an upgrade; they are trusted
 * as the directory is (spool_open refused one writable by others, so only
 * root or the plugin's own user wrote them; the caller still checks the
 * location).  The file stays until spool_save_unread(sp, NULL,
 * 0).  Returns the number passed (0 without a file), -EBADMSG for a damaged
 * file (left in place), another negative errno, or the first negative
 * value keep returned.
 */
int spool_load_unread(struct spool *sp, spool_unread_fn keep, void *arg);

/*
 * The read window (sink.h) outlives the process in file `read`:
 * "wka-read 1 <count> <dev> <ino> <ctime ns>\n" (the socket file of the
 * analysisd that read them), then records as unread's version 2.  At most
 * this much (--read-window-bytes is at most 1 GiB, --read-window 8M
 * records of at most 96 bytes each besides).
 */
#define SPOOL_READ_MAX ((size_t)1 << 31)

struct spool_peer {
	unsigned long long dev, ino;
	long long ctime_ns;
};

/*
 * spool_save_read(sp, peer, dgrams, n):
 * Make the read file hold exactly these n datagrams (pieces not retained),
 * read by the analysisd of socket file `peer`, durably; n == 0 removes it.
 * Returns 0 or a negative errno.
 */
int spool_save_read(struct spool *sp, const struct spool_peer *peer,
    const struct iovec *dgrams, size_t n);

/*
 * spool_load_read(sp, peer, keep, arg):
 * As spool_load_unread, for the read file, setting *peer from it first.
 * The file stays until spool_save_read replaces it.
 */
int spool_load_read(struct spool *sp, struct spool_peer *peer,
    spool_unread_fn keep, void *arg);

#endif /* !SPOOL_H */
