#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "fsutil.h"

#define HEADER_MAX 128
#define RECENT_FILE "delivered"

void
spool_digest(const char *line, size_t len,
    unsigned char digest[SPOOL_DIGEST_LEN])
{
	unsigned int n = SPOOL_DIGEST_LEN;

	/* EVP_Digest only fails without memory; a zero digest then never matches
	 * a real line's, so the worst outcome is a duplicate, never a loss. */
	if (!EVP_Digest(line, len, digest, &n, EVP_sha256(), NULL))
		memset(digest, 0, SPOOL_DIGEST_LEN);
}

static void
to_hex(const unsigned char *d, char out[2 * SPOOL_DIGEST_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < SPOOL_DIGEST_LEN; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * SPOOL_DIGEST_LEN] = '\0';
}

static int
from_hex(const char *s, unsigned char *d)
{
	size_t i;
	unsigned int byte;

	for (i = 0; i < SPOOL_DIGEST_LEN; i++) {
		if (sscanf(s + 2 * i, "%2x", &byte) != 1)
			return -EINVAL;
		d[i] = (unsigned char)byte;
	}
	return 0;
}

/* "wka-spool 1 <delivered> <hex>\n": the header's length, or -EINVAL. */
static int
parse_header(const char *text, size_t len, struct spool_entry *e)
{
	char hex[2 * SPOOL_DIGEST_LEN + 1];
	unsigned long long delivered;
	const char *nl = memchr(text, '\n', len < HEADER_MAX ? len : HEADER_MAX);

	if (nl == NULL || sscanf(text, "wka-spool 1 %llu %64s", &delivered,
	    hex) != 2 || strlen(hex) != 2 * SPOOL_DIGEST_LEN)
		return -EINVAL;
	if (from_hex(hex, e->digest) != 0)
		return -EINVAL;
	e->delivered = (size_t)delivered;
	return (int)(nl - text + 1);
}

static int
format_header(const struct spool_entry *e, char *buf, size_t len)
{
	char hex[2 * SPOOL_DIGEST_LEN + 1];

	to_hex(e->digest, hex);
	return snprintf(buf, len, "wka-spool 1 %zu %s\n", e->delivered, hex);
}

static int
grow(struct spool *sp)
{
	struct spool_entry *n;
	size_t ncap = sp->cap ? 2 * sp->cap : 8;

	if (sp->count < sp->cap)
		return 0;
	if ((n = realloc(sp->entries, ncap * sizeof(*n))) == NULL)
		return -ENOMEM;
	sp->entries = n;
	sp->cap = ncap;
	return 0;
}

/* Read only the header of entry `name` into e. */
static int
read_entry_header(struct spool *sp, const char *name, struct spool_entry *e)
{
	char buf[HEADER_MAX];
	struct stat st;
	ssize_t n;
	int fd, rc;

	if ((fd = fsutil_open_file(sp->dirfd, name, O_RDONLY, 0, NULL)) < 0)
		return fd;
	n = read(fd, buf, sizeof(buf) - 1);
	rc = n < 0 || fstat(fd, &st) == -1 ? -errno : 0;
	close(fd);
	if (rc != 0)
		return rc;
	buf[n] = '\0';
	if ((rc = parse_header(buf, (size_t)n, e)) < 0)
		return rc;
	e->len = (size_t)st.st_size - (size_t)rc;
	snprintf(e->name, sizeof(e->name), "%s", name);
	return 0;
}

/* An entry spool_accept wrote: its digest is its line's, computed now. */
static void
fill_digest(struct spool *sp, struct spool_entry *e)
{
	static const unsigned char unknown[SPOOL_DIGEST_LEN];
	struct spool_entry h;
	char *text;
	size_t n;
	int hl;

	if (memcmp(e->digest, unknown, SPOOL_DIGEST_LEN) != 0 ||
	    fsutil_read(sp->dirfd, e->name, sp->max_line + HEADER_MAX, &text,
	    &n) != 0)
		return;
	if ((hl = parse_header(text, n, &h)) >= 0)
		spool_digest(text + hl, n - (size_t)hl, e->digest);
	free(text);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct spool_entry *)a)->name,
	    ((const struct spool_entry *)b)->name);
}

/* An entry's name: 16 digits and ".line". */
static int
entry_seq(const char *name, unsigned long long *seq)
{
	char tail[8];

	if (strlen(name) != 21 || sscanf(name, "%16llu%7s", seq, tail) != 2 ||
	    strcmp(tail, ".line") != 0)
		return -EINVAL;
	return 0;
}

static int
scan_entries(struct spool *sp)
{
	struct dirent *de;
	unsigned long long seq;
	DIR *dir;
	int fd, rc = 0;

	if ((fd = dup(sp->dirfd)) == -1)
		return -errno;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -errno;
	}
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		if (entry_seq(de->d_name, &seq) != 0)
			continue;
		if ((rc = grow(sp)) != 0)
			break;
		if (read_entry_header(sp, de->d_name,
		    &sp->entries[sp->count]) != 0)
			continue;
		fill_digest(sp, &sp->entries[sp->count]);
		sp->count++;
		if (seq >= sp->next_seq)
			sp->next_seq = seq + 1;
	}
	closedir(dir);
	if (sp->count > 1)
		qsort(sp->entries, sp->count, sizeof(*sp->entries), by_name);
	return rc;
}

static void
remember(struct spool *sp, const unsigned char *digest, size_t len,
    size_t events)
{
	struct spool_recent *r = &sp->recent[sp->recent_next];

	memcpy(r->digest, digest, SPOOL_DIGEST_LEN);
	r->len = len;
	r->events = events;
	sp->recent_next = (sp->recent_next + 1) % SPOOL_RECENT;
	if (sp->recent_count < SPOOL_RECENT)
		sp->recent_count++;
}

static int
load_recent(struct spool *sp)
{
	unsigned char digest[SPOOL_DIGEST_LEN];
	char hex[2 * SPOOL_DIGEST_LEN + 1];
	unsigned long long events, bytes;
	char *text, *line, *save = NULL;
	size_t len;
	int rc;

	rc = fsutil_read(sp->dirfd, RECENT_FILE, 1 << 20, &text, &len);
	/* Missing, or not a file we wrote (a link, a FIFO): start afresh;
	 * save_recent replaces it.  At worst a line comes twice. */
	if (rc == -ENOENT || rc == -ELOOP || rc == -EINVAL)
		return 0;
	if (rc != 0)
		return rc;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%64s %llu %llu", hex, &events, &bytes) == 3 &&
		    strlen(hex) == 2 * SPOOL_DIGEST_LEN &&
		    from_hex(hex, digest) == 0)
			remember(sp, digest, (size_t)bytes, (size_t)events);
	}
	free(text);
	return 0;
}

static int
save_recent(struct spool *sp)
{
	char text[SPOOL_RECENT * (2 * SPOOL_DIGEST_LEN + 48)];
	char hex[2 * SPOOL_DIGEST_LEN + 1];
	size_t i, n = 0, at;

	/* Oldest first, so a reload rebuilds the same ring order. */
	for (i = 0; i < sp->recent_count; i++) {
		at = (sp->recent_next + SPOOL_RECENT - sp->recent_count + i) %
		    SPOOL_RECENT;
		to_hex(sp->recent[at].digest, hex);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s %zu %zu\n",
		    hex, sp->recent[at].events, sp->recent[at].len);
	}
	return fsutil_replace(sp->dirfd, RECENT_FILE, text, n, "", 0);
}

int
spool_open(struct spool *sp, const char *dir, size_t max_line, uid_t user)
{
	int rc;

	memset(sp, 0, sizeof(*sp));
	sp->max_line = max_line;
	sp->dirfd = -1;
	if ((rc = fsutil_open_dir(dir, 0700, user, &sp->created)) < 0)
		return rc;
	sp->dirfd = rc;
	/*
	 * After rsyslogd dies, the process it started may still be saving
	 * (it waits up to 2 s for analysisd to read what it sent) when the
	 * restarted rsyslogd starts the next one: one owner at a time.
	 */
	while (flock(sp->dirfd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			rc = -errno;
			spool_close(sp);
			return rc;
		}
	}
	if ((rc = scan_entries(sp)) != 0 || (rc = load_recent(sp)) != 0) {
		spool_close(sp);
		return rc;
	}
	return 0;
}

void
spool_close(struct spool *sp)
{
	if (sp->dirfd != -1)
		close(sp->dirfd);
	free(sp->entries);
	memset(sp, 0, sizeof(*sp));
	sp->dirfd = -1;
}

long
spool_find(const struct spool *sp, const unsigned char digest[SPOOL_DIGEST_LEN])
{
	size_t i;

	for (i = 0; i < sp->count; i++) {
		if (memcmp(sp->entries[i].digest, digest, SPOOL_DIGEST_LEN) == 0)
			return (long)i;
	}
	return -1;
}

int
spool_load(const struct spool *sp, size_t i, char **line, size_t *len)
{
	struct spool_entry e;
	char *text;
	size_t n;
	int hl, rc;

	rc = fsutil_read(sp->dirfd, sp->entries[i].name,
	    sp->max_line + HEADER_MAX, &text, &n);
	if (rc != 0)
		return rc;
	if ((hl = parse_header(text, n, &e)) < 0) {
		free(text);
		return hl;
	}
	memmove(text, text + hl, n - (size_t)hl + 1);
	*line = text;
	*len = n - (size_t)hl;
	return 0;
}

static int
write_entry(struct spool *sp, const struct spool_entry *e, const char *line,
    size_t len, bool sync)
{
	char header[HEADER_MAX];
	int hl = format_header(e, header, sizeof(header));

	if (!sync)
		return fsutil_replace_unsynced(sp->dirfd, e->name, header,
		    (size_t)hl, line, len);
	return fsutil_replace(sp->dirfd, e->name, header, (size_t)hl, line, len);
}

/* spool_add, fsynced or not. */
static int
add_entry(struct spool *sp, const char *line, size_t len,
    const unsigned char digest[SPOOL_DIGEST_LEN], size_t delivered, bool sync)
{
	struct spool_entry *e;
	int rc;

	if ((rc = grow(sp)) != 0)
		return rc;
	e = &sp->entries[sp->count];
	snprintf(e->name, sizeof(e->name), "%016llu.line", sp->next_seq);
	memcpy(e->digest, digest, SPOOL_DIGEST_LEN);
	e->len = len;
	e->delivered = delivered;
	if ((rc = write_entry(sp, e, line, len, sync)) != 0)
		return rc;
	sp->next_seq++;
	sp->count++;
	return 0;
}

int
spool_add(struct spool *sp, const char *line, size_t len,
    const unsigned char digest[SPOOL_DIGEST_LEN], size_t delivered)
{
	return add_entry(sp, line, len, digest, delivered, true);
}

int
spool_accept(struct spool *sp, const char *line, size_t len, bool sync)
{
	static const unsigned char unknown[SPOOL_DIGEST_LEN];

	return add_entry(sp, line, len, unknown, 0, sync);
}

int
spool_update(struct spool *sp, size_t i)
{
	char *line;
	size_t len;
	int rc;

	if ((rc = spool_load(sp, i, &line, &len)) != 0)
		return rc;
	rc = write_entry(sp, &sp->entries[i], line, len, true);
	free(line);
	return rc;
}

/* Entry i leaves the array (its file is gone already). */
static void
drop_entry(struct spool *sp, size_t i)
{
	memmove(&sp->entries[i], &sp->entries[i + 1],
	    (sp->count - i - 1) * sizeof(*sp->entries));
	sp->count--;
}

int
spool_done(struct spool *sp, size_t i, size_t events)
{
	int rc;

	remember(sp, sp->entries[i].digest, sp->entries[i].len, events);
	if ((rc = save_recent(sp)) != 0)
		return rc;
	if (unlinkat(sp->dirfd, sp->entries[i].name, 0) == -1)
		return -errno;
	drop_entry(sp, i);
	return fsync(sp->dirfd) == -1 ? -errno : 0;
}

int
spool_forget(struct spool *sp, size_t i)
{
	int rc = unlinkat(sp->dirfd, sp->entries[i].name, 0) == -1 ? -errno : 0;

	/* Not delivered again by this process, whatever the file does. */
	drop_entry(sp, i);
	return rc;
}

bool
spool_may_know(const struct spool *sp, size_t len)
{
	size_t i;

	for (i = 0; i < sp->count; i++) {
		if (sp->entries[i].len == len)
			return true;
	}
	for (i = 0; i < sp->recent_count; i++) {
		if (sp->recent[i].len == len)
			return true;
	}
	return false;
}

bool
spool_recent_events(const struct spool *sp,
    const unsigned char digest[SPOOL_DIGEST_LEN], size_t *events)
{
	size_t i;

	for (i = 0; i < sp->recent_count; i++) {
		if (memcmp(sp->recent[i].digest, digest, SPOOL_DIGEST_LEN) == 0) {
			*events = sp->recent[i].events;
			return true;
		}
	}
	return false;
}

void
spool_set_key(struct spool *sp, const unsigned char *key, size_t keylen)
{
	sp->key = key;
	sp->keylen = keylen;
}

#define UNREAD_FILE "unread"
#define UNREAD_MAGIC_V1 "wka-unread 1 "
#define UNREAD_MAGIC "wka-unread 2 "
/* What the MAC of a datagram covers first: the same key also makes
 * redaction fingerprints and reject HMACs of input anyone chooses, none of
 * which may pass for a record's MAC. */
#define UNREAD_MAC_DOMAIN "wka-unread datagram\n"
#define UNREAD_MAC_HEX (2 * SPOOL_DIGEST_LEN)

/*
 * The HMAC of a file's datagrams: keyed once per file, not per datagram
 * (OpenSSL looks the algorithms up and sets the key up at every new
 * context, which cost more than hashing a whole window).
 */
struct unread_mac {
	EVP_MAC *mac;
	EVP_MAC_CTX *c;
};

/* Key *k with sp's key: 0, -EINVAL without a key, -EIO. */
static int
mac_open(const struct spool *sp, struct unread_mac *k)
{
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		    (char *)"SHA256", 0),
		OSSL_PARAM_construct_end()
	};

	k->mac = NULL;
	k->c = NULL;
	if (sp->key == NULL)
		return -EINVAL;
	if ((k->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (k->c = EVP_MAC_CTX_new(k->mac)) == NULL ||
	    EVP_MAC_init(k->c, sp->key, sp->keylen, p) != 1)
		return -EIO;
	return 0;
}

static void
mac_close(struct unread_mac *k)
{
	EVP_MAC_CTX_free(k->c);
	EVP_MAC_free(k->mac);
}

/* HMAC-SHA256 of a datagram under mac_open's key, in hex: 0 or -EIO. */
static int
unread_mac(struct unread_mac *k, const void *bytes, size_t len,
    char hex[UNREAD_MAC_HEX + 1])
{
	unsigned char mac[SPOOL_DIGEST_LEN];
	size_t n = 0;

	/* A NULL key starts again with the one EVP_MAC_init was given. */
	if (k->c == NULL || EVP_MAC_init(k->c, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(k->c, (const unsigned char *)UNREAD_MAC_DOMAIN,
	    strlen(UNREAD_MAC_DOMAIN)) != 1 ||
	    EVP_MAC_update(k->c, bytes, len) != 1 ||
	    EVP_MAC_final(k->c, mac, &n, sizeof(mac)) != 1 || n != sizeof(mac))
		return -EIO;
	to_hex(mac, hex);
	return 0;
}

/* Records save_records stages before each write: far above a datagram. */
#define SAVE_CHUNK (1u << 20)

/*
 * Make file `name` hold `head`, then the n datagrams as
 * "<length> <MAC hex>\n" + bytes, at most `max` bytes in all, durably;
 * n == 0 removes it.  Written through a SAVE_CHUNK buffer, not a copy of
 * the whole (a read window may be 128 MiB).
 */
static int
save_records(struct spool *sp, const char *name, const char *head,
    const struct iovec *dgrams, size_t n, size_t max)
{
	char mac[UNREAD_MAC_HEX + 1], *chunk;
	struct unread_mac k;
	size_t i, w = 0, size = 0;
	int fd, rc;

	if (n == 0) {
		if (unlinkat(sp->dirfd, name, 0) == -1)
			return errno == ENOENT ? 0 : -errno;
		return fsync(sp->dirfd) == -1 ? -errno : 0;
	}
	for (i = 0; i < n; i++)
		size += 32 + UNREAD_MAC_HEX + dgrams[i].iov_len;
	if (size > max)
		return -EFBIG;
	if ((chunk = malloc(SAVE_CHUNK)) == NULL)
		return -ENOMEM;
	if ((fd = fsutil_replace_begin(sp->dirfd, name)) < 0) {
		free(chunk);
		return fd;
	}
	if ((rc = mac_open(sp, &k)) == 0)
		rc = fsutil_write_all(fd, head, strlen(head));
	for (i = 0; i < n && rc == 0; i++) {
		if (w + 32 + UNREAD_MAC_HEX + dgrams[i].iov_len > SAVE_CHUNK) {
			rc = fsutil_write_all(fd, chunk, w);
			w = 0;
		}
		if (rc == 0)
			rc = unread_mac(&k, dgrams[i].iov_base,
			    dgrams[i].iov_len, mac);
		if (rc != 0)
			break;
		w += (size_t)snprintf(chunk + w, 32 + UNREAD_MAC_HEX, "%zu %s\n",
		    dgrams[i].iov_len, mac);
		memcpy(chunk + w, dgrams[i].iov_base, dgrams[i].iov_len);
		w += dgrams[i].iov_len;
	}
	if (rc == 0)
		rc = fsutil_write_all(fd, chunk, w);
	mac_close(&k);
	free(chunk);
	return fsutil_replace_end(sp->dirfd, name, fd, rc);
}

int
spool_save_unread(struct spool *sp, const struct iovec *dgrams, size_t n)
{
	char head[48];

	snprintf(head, sizeof(head), UNREAD_MAGIC "%zu\n", n);
	return save_records(sp, UNREAD_FILE, head, dgrams, n,
	    SPOOL_UNREAD_MAX);
}

/*
 * One record at *at of text[0..len): "<length>\n" + bytes (version 1) or
 * "<length> <MAC hex>\n" + bytes (version 2, *mac points at the hex).
 * Returns its bytes, or NULL when damaged.
 */
static const char *
unread_record(const char *text, size_t len, size_t *at, size_t *dlen,
    bool v2, const char **mac)
{
	const char *nl = memchr(text + *at, '\n', len - *at), *end_len;
	unsigned long long v;
	char *end;

	if (nl == NULL || nl == text + *at)
		return NULL;
	end_len = v2 ? nl - UNREAD_MAC_HEX - 1 : nl;
	if (end_len <= text + *at || (v2 && *end_len != ' '))
		return NULL;
	errno = 0;
	v = strtoull(text + *at, &end, 10);
	if (errno != 0 || end != end_len || v == 0 ||
	    v > (unsigned long long)(len - (size_t)(nl + 1 - text)))
		return NULL;
	*mac = v2 ? end_len + 1 : NULL;
	*dlen = (size_t)v;
	*at = (size_t)(nl + 1 - text) + *dlen;
	return nl + 1;
}

/* Whether `mac` (UNREAD_MAC_HEX hex digits, or NULL) is the datagram's. */
static bool
authentic(struct unread_mac *k, const char *bytes, size_t len,
    const char *mac)
{
	char want[UNREAD_MAC_HEX + 1];
	unsigned char diff = 0;
	size_t i;

	if (mac == NULL || unread_mac(k, bytes, len, want) != 0)
		return false;
	for (i = 0; i < UNREAD_MAC_HEX; i++)
		diff |= (unsigned char)(want[i] ^ mac[i]);
	return diff == 0;
}

/*
 * Pass the `want` records of text[at..len) to keep, as spool_load_unread
 * says; v2: records with a MAC.  Returns the number passed or a negative
 * errno.
 */
static int
load_records(struct spool *sp, const char *text, size_t len, size_t at,
    unsigned long long want, bool v2, spool_unread_fn keep, void *arg)
{
	const char *d, *mac;
	struct unread_mac k;
	size_t dlen, got = 0;
	int rc = 0;

	/* Without a key (or OpenSSL), no datagram is authentic. */
	(void)mac_open(sp, &k);
	while (at < len && rc >= 0) {
		if ((d = unread_record(text, len, &at, &dlen, v2, &mac)) == NULL)
			rc = -EBADMSG;
		else if ((rc = keep(arg, d, dlen, !v2 || authentic(&k, d,
		    dlen, mac))) >= 0)
			got++;
	}
	mac_close(&k);
	if (rc >= 0 && got != want)
		rc = -EBADMSG;
	return rc < 0 ? rc : (int)got;
}

int
spool_load_unread(struct spool *sp, spool_unread_fn keep, void *arg)
{
	unsigned long long want;
	const char *nl;
	char *text;
	size_t len, magic = strlen(UNREAD_MAGIC);
	bool v2;
	int rc;

	rc = fsutil_read(sp->dirfd, UNREAD_FILE, SPOOL_UNREAD_MAX, &text, &len);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	nl = memchr(text, '\n', len);
	v2 = len >= magic && strncmp(text, UNREAD_MAGIC, magic) == 0;
	if (nl == NULL || (!v2 && (len < magic ||
	    strncmp(text, UNREAD_MAGIC_V1, magic) != 0)) ||
	    sscanf(text + magic, "%llu", &want) != 1) {
		free(text);
		return -EBADMSG;
	}
	rc = load_records(sp, text, len, (size_t)(nl + 1 - text), want, v2,
	    keep, arg);
	free(text);
	return rc;
}

#define READ_FILE "read"
#define READ_MAGIC "wka-read 1 "

int
spool_save_read(struct spool *sp, const struct spool_peer *peer,
    const struct iovec *dgrams, size_t n)
{
	char head[128];

	snprintf(head, sizeof(head), READ_MAGIC "%zu %llu %llu %lld\n", n,
	    peer->dev, peer->ino, peer->ctime_ns);
	return save_records(sp, READ_FILE, head, dgrams, n, SPOOL_READ_MAX);
}

int
spool_load_read(struct spool *sp, struct spool_peer *peer,
    spool_unread_fn keep, void *arg)
{
	unsigned long long want;
	const char *nl;
	char *text;
	size_t len, magic = strlen(READ_MAGIC);
	int rc;

	rc = fsutil_read(sp->dirfd, READ_FILE, SPOOL_READ_MAX, &text, &len);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	nl = memchr(text, '\n', len);
	if (nl == NULL || len < magic || strncmp(text, READ_MAGIC, magic) != 0 ||
	    sscanf(text + magic, "%llu %llu %llu %lld", &want, &peer->dev,
	    &peer->ino, &peer->ctime_ns) != 4) {
		free(text);
		return -EBADMSG;
	}
	rc = load_records(sp, text, len, (size_t)(nl + 1 - text), want, true,
	    keep, arg);
	free(text);
	return rc;
}
