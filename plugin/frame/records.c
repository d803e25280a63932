#include "records.h"

#include <errno.h>
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

/* The value of base64 digit c, or -1. */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
b64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *buf;
	size_t i, n = 0, pad = 0;
	uint32_t acc;
	int v;

	*out = NULL;
	*outlen = 0;
	if (len % 4 != 0)
		return -EINVAL;
	if (len >= 1 && in[len - 1] == '=')
		pad++;
	if (len >= 2 && in[len - 2] == '=')
		pad++;
	if ((buf = malloc(len / 4 * 3 + 1)) == NULL)
		return -ENOMEM;
	for (i = 0; i < len; i += 4) {
		acc = 0;
		for (size_t j = 0; j < 4; j++) {
			bool padding = i + 4 == len && j >= 4 - pad;

			v = padding ? 0 : b64_value((unsigned char)in[i + j]);
			if (v < 0) {
				free(buf);
				return -EINVAL;
			}
			acc = acc << 6 | (uint32_t)v;
		}
		buf[n++] = (unsigned char)(acc >> 16);
		buf[n++] = (unsigned char)(acc >> 8);
		buf[n++] = (unsigned char)acc;
	}
	n -= pad;
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}
