#include "reject.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fsutil.h"

/* Back-off after a failed write: doubles from 1 s up to this. */
#define REJECT_BACKOFF_MAX_S 60
/* Entries held before they are written (reject_sync writes them anyway). */
#define REJECT_BATCH_BYTES (256u << 10)
/* Inputs of one run of items (reject_json) before it becomes an entry. */
#define REJECT_RUN_BYTES (64u << 10)

static int
open_file(struct reject *r)
{
	int fd = fsutil_open_file(r->dirfd, r->name, O_WRONLY | O_APPEND |
	    O_CREAT, 0640, &r->created);

	r->fd = fd < 0 ? -1 : fd;
	return fd < 0 ? fd : 0;
}

int
reject_open(struct reject *r, const char *path, unsigned long long max_bytes,
    uid_t user)
{
	char dir[PATH_MAX];
	bool made;
	int rc;

	memset(r, 0, sizeof(*r));
	r->path = path;
	r->fd = -1;
	r->dirfd = -1;
	r->max_bytes = max_bytes;
	if ((rc = fsutil_split(path, dir, sizeof(dir), &r->name)) != 0)
		return rc;
	if ((rc = fsutil_open_dir(dir, 0750, user, &made)) < 0)
		return rc;
	r->dirfd = rc;
	return open_file(r);
}

void
reject_set_key(struct reject *r, const unsigned char *key, size_t keylen)
{
	r->key = key;
	r->keylen = keylen;
}

void
reject_close(struct reject *r)
{
	(void)reject_sync(r);
	if (r->fd != -1)
		close(r->fd);
	r->fd = -1;
	if (r->dirfd != -1)
		close(r->dirfd);
	r->dirfd = -1;
	EVP_MD_CTX_free(r->mac);
	r->mac = NULL;
	free(r->buf);
	r->buf = NULL;
	r->buflen = 0;
	free(r->reason_json);
	r->reason_json = NULL;
	free(r->run);
	r->run = NULL;
	r->runlen = 0;
	free(r->run_reason);
	r->run_reason = NULL;
}

unsigned long long
reject_unwritten(struct reject *r)
{
	unsigned long long n = r->unwritten;

	r->unwritten = 0;
	return n;
}

static struct timespec
mono_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t;
}

static bool
before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Reopen when the name no longer names the open file (rotated by rename,
 * or removed): entries then go to the file the admin sees.  What was
 * written to the old file is made durable first.
 */
static int
follow_rotation(struct reject *r)
{
	struct stat ps, fs;
	int rc;

	if (r->fd != -1 && fstatat(r->dirfd, r->name, &ps,
	    AT_SYMLINK_NOFOLLOW) == 0 && fstat(r->fd, &fs) == 0 &&
	    ps.st_dev == fs.st_dev && ps.st_ino == fs.st_ino)
		return 0;
	if ((rc = reject_sync(r)) != 0)
		return rc;
	if (r->fd != -1)
		close(r->fd);
	r->fd = -1;
	return open_file(r);
}

static int
failed(struct reject *r, int rc)
{
	struct timespec t = mono_now();

	r->backoff_s = r->backoff_s == 0 ? 1 : r->backoff_s * 2;
	if (r->backoff_s > REJECT_BACKOFF_MAX_S)
		r->backoff_s = REJECT_BACKOFF_MAX_S;
	r->retry_at = t;
	r->retry_at.tv_sec += r->backoff_s;
	r->last_err = rc;
	return rc;
}

/*
 * Write `parts` (`n` bytes in all) at the end of the file, whole or not at
 * all: a short write is cut back off the file, so that no reader ever finds
 * half an entry and the next entry starts on its own line.
 */
static int
append(struct reject *r, const struct iovec *parts, int nparts, size_t n)
{
	ssize_t w = writev(r->fd, parts, nparts);
	int rc;

	if (w >= 0 && (size_t)w == n) {
		r->size += n;
		return 0;
	}
	rc = w < 0 ? -errno : -ENOSPC;
	if (w > 0 && ftruncate(r->fd, (off_t)r->size) == -1)
		rc = -errno;
	return rc;
}

/*
 * Write the entries held in r->buf.  When that fails they are gone:
 * r->lost makes the next reject_sync fail, so that the caller handles
 * their input again.
 */
static int
flush(struct reject *r)
{
	struct iovec all = { r->buf, r->buflen };
	int rc;

	if (r->buflen == 0)
		return 0;
	rc = append(r, &all, 1, r->buflen);
	r->buflen = 0;
	if (rc != 0) {
		r->lost = true;
		return failed(r, rc);
	}
	return 0;
}

/* Before the first entry of a batch: the file the path names, its size. */
static int
start_batch(struct reject *r)
{
	struct stat st;
	int rc;

	if ((rc = follow_rotation(r)) != 0)
		return rc;
	if (fstat(r->fd, &st) == -1)
		return -errno;
	r->size = (unsigned long long)st.st_size;
	return 0;
}

/*
 * Add the entry made of `parts` to the batch that reject_sync writes and
 * makes durable: entries cost a copy each, the system calls are paid once
 * per batch (or per REJECT_BATCH_BYTES).  An entry larger than that is
 * written at once, after the batch.
 */
static int
commit(struct reject *r, const struct iovec *parts, int nparts)
{
	struct timespec t = mono_now();
	size_t n = 0;
	char *grown;
	int rc, i;

	if (r->backoff_s > 0 && before(&t, &r->retry_at))
		return r->last_err;
	for (i = 0; i < nparts; i++)
		n += parts[i].iov_len;
	if (r->buflen == 0 && !r->dirty && (rc = start_batch(r)) != 0)
		return failed(r, rc);
	if (r->max_bytes > 0 && r->size + r->buflen + n > r->max_bytes) {
		r->unwritten++;
		return 0;
	}
	r->dirty = true;
	if (r->buflen + n > REJECT_BATCH_BYTES && (rc = flush(r)) != 0)
		return rc;
	if (n >= REJECT_BATCH_BYTES)
		return (rc = append(r, parts, nparts, n)) == 0 ? 0 :
		    failed(r, rc);
	if (r->buf == NULL) {
		if ((grown = malloc(REJECT_BATCH_BYTES)) == NULL)
			return -ENOMEM;
		r->buf = grown;
	}
	for (i = 0; i < nparts; i++) {
		memcpy(r->buf + r->buflen, parts[i].iov_base, parts[i].iov_len);
		r->buflen += parts[i].iov_len;
	}
	return 0;
}

static int close_run(struct reject *r);

int
reject_sync(struct reject *r)
{
	int run_rc = close_run(r), rc;	/* on failure r->lost is set */

	if (!r->dirty)
		return 0;
	if (r->fd == -1)
		return failed(r, -EBADF);
	if ((rc = flush(r)) != 0 || r->lost) {
		r->lost = false;
		return rc != 0 ? rc : run_rc != 0 ? run_rc : r->last_err;
	}
	if (fdatasync(r->fd) == -1)
		return failed(r, -errno);
	r->dirty = false;
	r->backoff_s = 0;
	return 0;
}

bool
reject_dirty(const struct reject *r)
{
	return r->dirty || r->run_count > 0;
}

/*
 * The JSON text of string `s` (`n` bytes) in *out (caller frees); bytes
 * that are not UTF-8 (a reason cut inside a character) become '?'.
 */
static int
quote(const char *s, size_t n, char **out)
{
	json_t *v = json_stringn(s, n);
	char *copy = NULL;

	if (v == NULL && (copy = malloc(n + 1)) != NULL) {
		for (size_t i = 0; i < n; i++)
			copy[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
		v = json_stringn(copy, n);
		free(copy);
	}
	*out = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
	json_decref(v);
	return *out ? 0 : -ENOMEM;
}

/*
 * The JSON string of `n` bytes of JSON text (valid UTF-8: what json_dumps
 * wrote, or an item's bytes) in *out (caller frees): a run's inputs are
 * quoted in one pass, without a jansson string of 64 KiB to check first.
 */
static int
quote_text(const char *s, size_t n, char **out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;
	size_t i, o = 0;
	char *q;

	if (n > (SIZE_MAX - 3) / 6 || (q = malloc(6 * n + 3)) == NULL)
		return -ENOMEM;
	q[o++] = '"';
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			q[o++] = '\\';
			q[o++] = (char)c;
		} else if (c < 0x20) {
			memcpy(q + o, "\\u00", 4);
			q[o + 4] = hex[c >> 4];
			q[o + 5] = hex[c & 15];
			o += 6;
		} else {
			q[o++] = (char)c;
		}
	}
	q[o++] = '"';
	q[o] = '\0';
	*out = q;
	return 0;
}

/*
 * `{"time":...,"reason":...[,"item":N[,"items":COUNT]]` into *out (caller
 * frees); count 1 is not written.  The
 * time is formatted once a second and the last reason quoted once: a
 * batch sets aside thousands of items with the same ones.
 */
static int
entry_head(struct reject *r, const char *reason, long item,
    unsigned long count, char **out)
{
	time_t now = time(NULL);
	struct tm tm;
	size_t cap;
	char *q;
	int rc;

	if (now != r->stamp_time || r->stamp[0] == '\0') {
		gmtime_r(&now, &tm);
		strftime(r->stamp, sizeof(r->stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		r->stamp_time = now;
	}
	if (r->reason_json == NULL ||
	    strncmp(r->reason, reason, sizeof(r->reason)) != 0) {
		if ((rc = quote(reason, strlen(reason), &q)) != 0)
			return rc;
		free(r->reason_json);
		r->reason_json = q;
		snprintf(r->reason, sizeof(r->reason), "%s", reason);
	}
	cap = strlen(r->reason_json) + 96;
	if ((*out = malloc(cap)) == NULL)
		return -ENOMEM;
	if (item >= 0 && count > 1)
		snprintf(*out, cap, "{\"time\":\"%s\",\"reason\":%s,\"item\":%ld,"
		    "\"items\":%lu", r->stamp, r->reason_json, item, count);
	else if (item >= 0)
		snprintf(*out, cap, "{\"time\":\"%s\",\"reason\":%s,\"item\":%ld",
		    r->stamp, r->reason_json, item);
	else
		snprintf(*out, cap, "{\"time\":\"%s\",\"reason\":%s", r->stamp,
		    r->reason_json);
	return 0;
}

/*
 * Commit one entry: `text` (`n` bytes of compact JSON) is the input of
 * `count` items from `item` on (-1: a whole line); a run of several is
 * stored as the text of the array of their inputs, under "inputs".
 */
static int
commit_input(struct reject *r, const char *reason, const char *text,
    size_t n, long item, unsigned long count)
{
	struct iovec parts[4];
	char *head = NULL, *input = NULL;
	int rc;

	rc = quote_text(text, n, &input);
	if (rc == 0)
		rc = entry_head(r, reason, item, count, &head);
	if (rc == 0) {
		parts[0] = (struct iovec){ head, strlen(head) };
		parts[1] = count > 1 ?
		    (struct iovec){ (void *)",\"inputs\":", 10 } :
		    (struct iovec){ (void *)",\"input\":", 9 };
		parts[2] = (struct iovec){ input, strlen(input) };
		parts[3] = (struct iovec){ (void *)"}\n", 2 };
		rc = commit(r, parts, 4);
	}
	free(head);
	free(input);
	return rc;
}

/*
 * Turn the run of items held in r->run into its entry.  When that fails
 * the items it stands for were already answered as taken: r->lost makes
 * the next reject_sync fail, so that the caller handles them again.
 */
static int
close_run(struct reject *r)
{
	unsigned long count = r->run_count;
	int rc;

	if (count == 0)
		return 0;
	r->run_count = 0;
	if (count == 1)
		rc = commit_input(r, r->run_reason, r->run + 1, r->runlen - 1,
		    r->run_first, 1);
	else {
		r->run[r->runlen++] = ']';
		rc = commit_input(r, r->run_reason, r->run, r->runlen,
		    r->run_first, count);
	}
	r->runlen = 0;
	if (rc != 0) {
		r->dirty = true;
		r->lost = true;
	}
	return rc;
}

/* Whether item `item` set aside for `reason` (n bytes) extends the run. */
static bool
extends_run(const struct reject *r, const char *reason, size_t n, long item)
{
	return r->run_count > 0 &&
	    item == r->run_first + (long)r->run_count &&
	    r->runlen + 1 + n + 1 <= REJECT_RUN_BYTES &&
	    strcmp(r->run_reason, reason) == 0;
}

/* Start a run with item `item`, its input `text` (n bytes). */
static int
start_run(struct reject *r, const char *reason, const char *text, size_t n,
    long item)
{
	char *copy;

	if (r->run == NULL && (r->run = malloc(REJECT_RUN_BYTES)) == NULL)
		return -ENOMEM;
	if (r->run_reason == NULL || strcmp(r->run_reason, reason) != 0) {
		if ((copy = strdup(reason)) == NULL)
			return -ENOMEM;
		free(r->run_reason);
		r->run_reason = copy;
	}
	r->run[0] = '[';
	memcpy(r->run + 1, text, n);
	r->runlen = 1 + n;
	r->run_first = item;
	r->run_count = 1;
	return 0;
}

int
reject_text(struct reject *r, const char *reason, const char *text,
    size_t n, long item)
{
	int rc;

	if (item >= 0 && extends_run(r, reason, n, item)) {
		r->run[r->runlen++] = ',';
		memcpy(r->run + r->runlen, text, n);
		r->runlen += n;
		r->run_count++;
		return 0;
	}
	if ((rc = close_run(r)) != 0)
		return rc;
	/* A run holds the inputs it may still grow by; larger ones and whole
	 * lines make their entry at once. */
	if (item < 0 || n + 2 > REJECT_RUN_BYTES)
		return commit_input(r, reason, text, n, item, 1);
	return start_run(r, reason, text, n, item);
}

int
reject_json(struct reject *r, const char *reason, const json_t *value,
    long item)
{
	char *text;
	int rc;

	if ((text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return -ENOMEM;
	rc = reject_text(r, reason, text, strlen(text), item);
	free(text);
	return rc;
}

/* Commit the entry of hashed input whose MAC is in r->mac. */
static int
commit_hashed(struct reject *r, const char *reason, long item,
    unsigned long long length)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	char tail[2 * EVP_MAX_MD_SIZE + 96], *head;
	struct iovec parts[2];
	size_t maclen = sizeof(mac), i, n;
	int rc;

	if (EVP_DigestSignFinal(r->mac, mac, &maclen) != 1)
		return -EIO;
	n = (size_t)snprintf(tail, sizeof(tail), ",\"length\":%llu,"
	    "\"input_hmac\":\"", length);
	for (i = 0; i < maclen; i++) {
		tail[n++] = hex[mac[i] >> 4];
		tail[n++] = hex[mac[i] & 0xf];
	}
	memcpy(tail + n, "\"}\n", 3);
	n += 3;
	if ((rc = close_run(r)) != 0 ||
	    (rc = entry_head(r, reason, item, 1, &head)) != 0)
		return rc;
	parts[0] = (struct iovec){ head, strlen(head) };
	parts[1] = (struct iovec){ tail, n };
	rc = commit(r, parts, 2);
	free(head);
	return rc;
}

static int
mac_begin(struct reject *r)
{
	EVP_PKEY *pkey;
	int ok;

	if (r->key == NULL || r->keylen > INT32_MAX)
		return -EINVAL;
	EVP_MD_CTX_free(r->mac);
	if ((r->mac = EVP_MD_CTX_new()) == NULL)
		return -ENOMEM;
	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_HMAC, NULL, r->key,
	    r->keylen);
	if (pkey == NULL)
		return -EIO;
	ok = EVP_DigestSignInit(r->mac, NULL, EVP_sha256(), NULL, pkey);
	EVP_PKEY_free(pkey);
	return ok == 1 ? 0 : -EIO;
}

static void
mac_end(struct reject *r)
{
	EVP_MD_CTX_free(r->mac);
	r->mac = NULL;
}

int
reject_hashed(struct reject *r, const char *reason, const char *bytes,
    size_t n, long item)
{
	int rc;

	if ((rc = mac_begin(r)) == 0 &&
	    (rc = EVP_DigestSignUpdate(r->mac, bytes, n) == 1 ? 0 : -EIO) == 0)
		rc = commit_hashed(r, reason, item, n);
	mac_end(r);
	return rc;
}

int
reject_stream_begin(struct reject *r, const char *reason)
{
	r->streamed = 0;
	snprintf(r->stream_reason, sizeof(r->stream_reason), "%s", reason);
	return mac_begin(r);
}

int
reject_stream_bytes(struct reject *r, const char *bytes, size_t n)
{
	if (r->mac == NULL || EVP_DigestSignUpdate(r->mac, bytes, n) != 1)
		return -EIO;
	r->streamed += n;
	return 0;
}

int
reject_stream_end(struct reject *r)
{
	int rc;

	if (r->mac == NULL)
		return -EINVAL;
	rc = commit_hashed(r, r->stream_reason, -1, r->streamed);
	mac_end(r);
	return rc;
}
