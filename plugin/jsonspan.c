/*
 * jsonspan: read JSON text that jscan_line has already validated.
 *
 * Every loop still stops at the end of its span: a caller's mistake must
 * not turn into a read past the line.
 */
#include <errno.h>
#include <stdint.h>

#include "jsonspan.h"

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t
skip_ws(const char *s, size_t pos, size_t end)
{
	while (pos < end && is_ws(s[pos]))
		pos++;
	return pos;
}

/* Just past the string whose opening quote is at `pos`. */
static size_t
skip_string(const char *s, size_t pos, size_t end, bool *escaped)
{
	for (pos++; pos < end; pos++) {
		if (s[pos] == '"')
			return pos + 1;
		if (s[pos] == '\\') {
			*escaped = true;
			pos++;	/* the escaped character; \u's digits are plain */
		}
	}
	return end;
}

/*
 * Just past the value at `pos`.  Outside strings, a ':' only ever separates
 * a key from its value, so counting them counts members (when `keys`).
 */
static size_t
skip_value(const char *s, size_t pos, size_t end, size_t *keys)
{
	size_t depth = 0;
	bool esc;

	if (pos < end && s[pos] == '"')
		return skip_string(s, pos, end, &esc);
	if (pos < end && s[pos] != '{' && s[pos] != '[') {
		while (pos < end && s[pos] != ',' && s[pos] != '}' &&
		    s[pos] != ']' && !is_ws(s[pos]))
			pos++;
		return pos;
	}
	while (pos < end) {
		switch (s[pos]) {
		case '"':
			pos = skip_string(s, pos, end, &esc);
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth == 0)
				return pos + 1;
			break;
		case ':':
			if (keys != NULL)
				(*keys)++;
			break;
		default:
			break;
		}
		pos++;
	}
	return end;
}

bool
jspan_next(const char *text, struct jspan obj, size_t *pos,
    struct jspan_member *out)
{
	size_t end = obj.off + obj.len - 1;	/* the closing brace */
	size_t p = *pos;

	if (obj.len < 2 || text[obj.off] != '{')
		return false;
	if (p == 0)
		p = obj.off + 1;
	p = skip_ws(text, p, end);
	if (p < end && text[p] == ',')
		p = skip_ws(text, p + 1, end);
	if (p >= end || text[p] != '"') {
		*pos = end;
		return false;
	}
	out->key_escaped = false;
	out->key.off = p + 1;
	p = skip_string(text, p, end, &out->key_escaped);
	out->key.len = p - 1 - out->key.off;
	p = skip_ws(text, p, end);
	p = skip_ws(text, p + 1, end);	/* the ':' */
	out->value.off = p;
	p = skip_value(text, p, end, NULL);
	out->value.len = p - out->value.off;
	*pos = p;
	return true;
}

size_t
jspan_keys(const char *text, struct jspan value)
{
	size_t keys = 0;

	skip_value(text, value.off, value.off + value.len, &keys);
	return keys;
}

static unsigned
hex4(const char *s)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v = v * 16 + (unsigned)(c <= '9' ? c - '0' :
		    (c | 0x20) - 'a' + 10);
	}
	return v;
}

static size_t
put_utf8(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The escape after the backslash at s[*pos]; advances *pos past it. */
static size_t
unescape_one(const char *s, size_t *pos, size_t end, char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	size_t p = *pos + 1;
	uint32_t cp, lo;

	if (p < end && s[p] != 'u') {
		*pos = p + 1;
		for (size_t i = 0; from[i] != '\0'; i++) {
			if (s[p] == from[i]) {
				*out = to[i];
				return 1;
			}
		}
		return 0;
	}
	if (p + 5 > end) {
		*pos = end;
		return 0;
	}
	cp = hex4(s + p + 1);
	p += 5;
	/* The scan accepted only whole surrogate pairs. */
	if (cp >= 0xD800 && cp <= 0xDBFF && p + 6 <= end) {
		lo = hex4(s + p + 2);
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		p += 6;
	}
	*pos = p;
	return put_utf8(cp, out);
}

size_t
jspan_string(const char *text, struct jspan value, char *out)
{
	size_t pos = value.off + 1, end = value.off + value.len - 1, n = 0;

	if (value.len < 2)
		return 0;
	while (pos < end) {
		if (text[pos] != '\\') {
			out[n++] = text[pos++];
			continue;
		}
		n += unescape_one(text, &pos, end, out + n);
	}
	return n;
}
