/*
 * jsonout: write compact JSON text into a growing buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"
#include "swar.h"

void
jsonout_init(struct jsonout *o)
{
	memset(o, 0, sizeof(*o));
}

void
jsonout_free(struct jsonout *o)
{
	free(o->buf);
	jsonout_init(o);
}

/* Room for `more` bytes and a NUL. */
static bool
reserve(struct jsonout *o, size_t more)
{
	size_t cap = o->cap ? o->cap : 512;
	char *n;

	if (o->failed)
		return false;
	if (more < o->cap && o->len < o->cap - more)
		return true;
	while (cap - 1 < o->len || cap - 1 - o->len < more) {
		if (cap > SIZE_MAX / 2) {
			o->failed = true;
			return false;
		}
		cap *= 2;
	}
	if ((n = realloc(o->buf, cap)) == NULL) {
		o->failed = true;
		return false;
	}
	o->buf = n;
	o->cap = cap;
	return true;
}

void
jsonout_raw(struct jsonout *o, const char *s, size_t n)
{
	if (!reserve(o, n))
		return;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/* Does any of the eight bytes at p need an escape (swar.h)? */
static bool
needs_escape8(const char *p)
{
	uint64_t v = swar_load(p);

	return (swar_below(v, 0x20) | swar_eq(v, '"') | swar_eq(v, '\\')) != 0;
}

/*
 * The letter of the two-byte escape of `c` ('"' for '"', 'n' for a
 * newline, ...), or 0 when `c` has none.
 */
static char
short_escape(unsigned char c)
{
	static const char from[] = "\"\\\b\f\n\r\t", to[] = "\"\\bfnrt";
	const char *p = memchr(from, c, sizeof(from) - 1);

	return p != NULL ? to[p - from] : 0;
}

/*
 * A JSON string: quotes, and escapes for '"', '\\' and control bytes,
 * written as jansson writes them, so that a text from here is as long as
 * jansson's and fitting measures both alike.
 */
void
jsonout_string(struct jsonout *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i = 0;
	char *w, e;

	/* Each byte takes at most six ("\u001F"); the quotes two more. */
	if (n > (SIZE_MAX - 2) / 6) {
		o->failed = true;
		return;
	}
	if (!reserve(o, 6 * n + 2))
		return;
	w = o->buf + o->len;
	*w++ = '"';
	while (i < n) {
		/* Most strings need no escape: eight bytes at a time. */
		if (n - i >= 8 && !needs_escape8(s + i)) {
			memcpy(w, s + i, 8);
			w += 8;
			i += 8;
			continue;
		}
		c = (unsigned char)s[i++];
		if (c >= 0x20 && c != '"' && c != '\\') {
			*w++ = (char)c;
			continue;
		}
		*w++ = '\\';
		if ((e = short_escape(c)) != 0) {
			*w++ = e;
			continue;
		}
		memcpy(w, "u00", 3);
		w[3] = hex[c >> 4];
		w[4] = hex[c & 15];
		w += 5;
	}
	*w++ = '"';
	*w = '\0';
	o->len = (size_t)(w - o->buf);
}
