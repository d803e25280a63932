#include "records.h"

#include "base64.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
records_add(struct records *r, const char *text, size_t len,
    const char *reason, const char *cluster)
{
	struct record_item *it, *grown;
	size_t cap;

	if (r->count >= RECORDS_MAX_ITEMS || len > RECORDS_MAX_TOTAL -
	    r->total)
		return -E2BIG;
	if (r->count == r->cap) {
		cap = r->cap ? r->cap * 2 : 16;
		if ((grown = realloc(r->items, cap * sizeof(*grown))) == NULL)
			return -ENOMEM;
		r->items = grown;
		r->cap = cap;
	}
	it = &r->items[r->count];
	memset(it, 0, sizeof(*it));
	if ((it->text = malloc(len + 1)) == NULL)
		return -ENOMEM;
	memcpy(it->text, text, len);
	it->text[len] = '\0';
	it->len = len;
	it->reason = reason;
	if (cluster != NULL && (it->cluster = strdup(cluster)) == NULL) {
		free(it->text);
		return -ENOMEM;
	}
	r->total += len;
	r->count++;
	return 0;
}

void
records_free(struct records *r)
{
	for (size_t i = 0; i < r->count; i++) {
		free(r->items[i].text);
		free(r->items[i].cluster);
	}
	free(r->items);
	memset(r, 0, sizeof(*r));
}

int
b64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *buf;
	long n;

	*out = NULL;
	*outlen = 0;
	if (len % 4 != 0)
		return -EINVAL;
	if ((buf = malloc(len / 4 * 3 + 1)) == NULL)
		return -ENOMEM;
	if ((n = base64_decode(in, len, buf)) < 0) {
		free(buf);
		return -EINVAL;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = (size_t)n;
	return 0;
}

int
records_fail(char *reason, size_t reasonlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, reasonlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}
