/*
 * redact_text: redact the credentials inside a configuration text.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cred.h"
#include "fingerprint.h"
#include "redact_text.h"

struct text_out {
	char *buf;
	size_t len, cap;
	const unsigned char *key;
	size_t keylen;
	unsigned long count;
	int err;
};

static void put(struct text_out *o, const char *s, size_t n)
{
	if (o->err != 0)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		char *buf;

		while (cap < o->len + n + 1)
			cap *= 2;
		buf = realloc(o->buf, cap);
		if (buf == NULL) {
			o->err = -ENOMEM;
			return;
		}
		o->buf = buf;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void put_marker(struct text_out *o, const char *s, size_t n)
{
	char mark[FINGERPRINT_LEN + 1];
	int rc = fingerprint_marker(o->key, o->keylen, s, n, mark);

	if (rc != 0) {
		o->err = o->err ? o->err : rc;
		return;
	}
	put(o, mark, FINGERPRINT_LEN);
	o->count++;
}

/* One line without its '\n': its value replaced when its name is a credential. */
static void line(struct text_out *o, const char *s, size_t n)
{
	size_t name = 0, v, end = n;

	while (name < n && s[name] != '=' && s[name] != ':')
		name++;
	if (name == n || !cred_name_like(s, name)) {
		put(o, s, n);
		return;
	}
	v = name + 1;
	while (v < n && (s[v] == ' ' || s[v] == '\t'))
		v++;
	if (end > v && s[end - 1] == '\r')
		end--;
	put(o, s, v);
	if (end > v)
		put_marker(o, s + v, end - v);
	put(o, s + end, n - end);
}

static bool has(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle)) != NULL;
}

int redact_text(const unsigned char *key, size_t keylen, const char *text,
    size_t len, char **out, size_t *outlen, unsigned long *count)
{
	struct text_out o = { NULL, 0, 0, key, keylen, 0, 0 };
	size_t start = 0, pem = 0;
	bool in_pem = false;

	put(&o, "", 0);
	for (size_t i = 0; i <= len && o.err == 0; i++) {
		const char *s = text + start;
		size_t n = i - start;

		if (i < len && text[i] != '\n')
			continue;
		if (in_pem && has(s, n, CRED_PEM_END)) {
			/* The key's body as one marker line, then the armour. */
			put_marker(&o, text + pem, start - pem);
			put(&o, "\n", 1);
			put(&o, s, n);
			in_pem = false;
		} else if (!in_pem && has(s, n, CRED_PEM_BEGIN) &&
		    has(s, n, CRED_PEM_KEY)) {
			put(&o, s, n);
			if (i < len)
				put(&o, "\n", 1);
			in_pem = true;
			pem = i < len ? i + 1 : len;
		} else if (!in_pem) {
			line(&o, s, n);
		}
		if (i < len && !in_pem)
			put(&o, "\n", 1);
		start = i + 1;
	}
	/* A key without its END line: everything after BEGIN goes. */
	if (in_pem && o.err == 0 && pem < len)
		put_marker(&o, text + pem, len - pem);
	if (o.err != 0) {
		free(o.buf);
		return o.err;
	}
	*out = o.buf;
	*outlen = o.len;
	*count = o.count;
	return 0;
}
