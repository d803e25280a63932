/*
 * redact_text: redact the credentials inside a configuration text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cred.h"
#include "fingerprint.h"
#include "redact_text.h"

struct text_out {
	char *buf;
	size_t len, cap;
	struct fingerprinter *fp;
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
	int rc = fingerprinter_marker(o->fp, s, n, mark);

	if (rc != 0) {
		o->err = o->err ? o->err : rc;
		return;
	}
	put(o, mark, FINGERPRINT_LEN);
	o->count++;
}

int redact_text(struct fingerprinter *fp, const char *text, size_t len,
    char **out, size_t *outlen, unsigned long *count)
{
	struct text_out o = { NULL, 0, 0, fp, 0, 0 };
	struct cred_span sp;
	size_t pos = 0;

	put(&o, "", 0);
	while (o.err == 0 && cred_text_next(text, len, pos, &sp)) {
		if (o.count == REDACT_TEXT_MAX_VALUES) {
			o.err = -E2BIG;
			break;
		}
		put(&o, text + pos, sp.off - pos);
		put_marker(&o, text + sp.off, sp.len);
		pos = sp.off + sp.len;
	}
	put(&o, text + pos, len - pos);
	if (o.err != 0) {
		free(o.buf);
		return o.err;
	}
	*out = o.buf;
	*outlen = o.len;
	*count = o.count;
	return 0;
}
