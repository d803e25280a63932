#include "reject.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"

int
reject_open(struct reject *r, const char *path)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->path = path;
	r->fd = -1;
	if ((rc = fsutil_mkparent(path, 0750)) != 0)
		return rc;
	r->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	return r->fd == -1 ? -errno : 0;
}

void
reject_close(struct reject *r)
{
	if (r->fd != -1)
		close(r->fd);
	r->fd = -1;
	EVP_ENCODE_CTX_free(r->b64);
	r->b64 = NULL;
}

static void
now_utc(char *buf, size_t len)
{
	struct tm tm;
	time_t t = time(NULL);

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Write the whole entry, then flush it to disk. */
static int
commit(struct reject *r, const char *text, size_t n)
{
	int rc;

	if ((rc = fsutil_write_all(r->fd, text, n)) != 0)
		return rc;
	return fdatasync(r->fd) == -1 ? -errno : 0;
}

/* Serialize `entry` plus a newline and commit it.  Consumes entry. */
static int
commit_object(struct reject *r, json_t *entry)
{
	char *text;
	size_t n;
	int rc;

	text = json_dumps(entry, JSON_COMPACT);
	json_decref(entry);
	if (text == NULL)
		return -ENOMEM;
	n = strlen(text);
	text[n] = '\n';	/* replaces the NUL; length passed explicitly */
	rc = commit(r, text, n + 1);
	free(text);
	return rc;
}

static json_t *
new_entry(const char *reason, long item)
{
	char stamp[32];
	json_t *e;

	now_utc(stamp, sizeof(stamp));
	e = json_pack("{s:s, s:s}", "time", stamp, "reason", reason);
	if (e != NULL && item >= 0 &&
	    json_object_set_new(e, "item", json_integer(item)) != 0) {
		json_decref(e);
		return NULL;
	}
	return e;
}

static json_t *
base64_string(const char *bytes, size_t n)
{
	json_t *s;
	char *b64;
	size_t cap = 4 * ((n + 2) / 3) + 1;

	if (n > (size_t)INT32_MAX || (b64 = malloc(cap)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)bytes,
	    (int)n);
	s = json_string(b64);
	free(b64);
	return s;
}

int
reject_raw(struct reject *r, const char *reason, const char *bytes,
    size_t n, long item)
{
	json_t *entry, *input;
	const char *key = "input";

	if ((entry = new_entry(reason, item)) == NULL)
		return -ENOMEM;
	/* json_stringn refuses invalid UTF-8: keep such bytes as base64. */
	if ((input = json_stringn(bytes, n)) == NULL) {
		key = "input_base64";
		input = base64_string(bytes, n);
	}
	if (input == NULL || json_object_set_new(entry, key, input) != 0) {
		json_decref(entry);
		return -ENOMEM;
	}
	return commit_object(r, entry);
}

int
reject_json(struct reject *r, const char *reason, const json_t *value,
    long item)
{
	json_t *entry;
	char *text;

	if ((text = json_dumps(value, JSON_COMPACT)) == NULL)
		return -ENOMEM;
	entry = new_entry(reason, item);
	if (entry == NULL ||
	    json_object_set_new(entry, "input", json_string(text)) != 0) {
		json_decref(entry);
		free(text);
		return -ENOMEM;
	}
	free(text);
	return commit_object(r, entry);
}

int
reject_stream_begin(struct reject *r, const char *reason)
{
	json_t *entry;
	char *text;
	size_t n;
	int rc;

	if ((r->b64 = EVP_ENCODE_CTX_new()) == NULL)
		return -ENOMEM;
	EVP_EncodeInit(r->b64);
	r->streamed = 0;
	if ((entry = new_entry(reason, -1)) == NULL)
		return -ENOMEM;
	text = json_dumps(entry, JSON_COMPACT);
	json_decref(entry);
	if (text == NULL)
		return -ENOMEM;
	/* Reopen the object: drop its closing brace, append the key. */
	n = strlen(text) - 1;
	rc = fsutil_write_all(r->fd, text, n);
	free(text);
	if (rc == 0)
		rc = fsutil_write_all(r->fd, ",\"input_base64\":\"", 17);
	return rc;
}

/* Write base64 output without the newlines OpenSSL puts every 64 chars. */
static int
write_b64(struct reject *r, const unsigned char *out, int outl)
{
	int i, start = 0, rc;

	for (i = 0; i <= outl; i++) {
		if (i < outl && out[i] != '\n')
			continue;
		if (i > start && (rc = fsutil_write_all(r->fd,
		    (const char *)out + start, (size_t)(i - start))) != 0)
			return rc;
		start = i + 1;
	}
	return 0;
}

int
reject_stream_bytes(struct reject *r, const char *bytes, size_t n)
{
	unsigned char out[4096 + 4096 / 48 + 80];
	int outl, rc;
	size_t take;

	while (n > 0) {
		take = n > 3000 ? 3000 : n;
		if (!EVP_EncodeUpdate(r->b64, out, &outl,
		    (const unsigned char *)bytes, (int)take))
			return -EINVAL;
		if ((rc = write_b64(r, out, outl)) != 0)
			return rc;
		bytes += take;
		n -= take;
		r->streamed += take;
	}
	return 0;
}

int
reject_stream_end(struct reject *r)
{
	unsigned char out[128];
	int outl = 0, rc;

	if (r->b64 == NULL)
		return -EINVAL;
	EVP_EncodeFinal(r->b64, out, &outl);
	EVP_ENCODE_CTX_free(r->b64);
	r->b64 = NULL;
	if ((rc = write_b64(r, out, outl)) != 0)
		return rc;
	return commit(r, "\"}\n", 3);
}
