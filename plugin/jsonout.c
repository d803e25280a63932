/*
 * jsonout: the compact JSON text of a jansson value.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"

struct out {
	char *buf;
	size_t len, cap;
	bool failed;
};

static bool
reserve(struct out *o, size_t more)
{
	size_t cap = o->cap ? o->cap : 512;
	char *n;

	if (o->failed)
		return false;
	if (o->len + more + 1 <= o->cap)
		return true;
	while (cap < o->len + more + 1) {
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

static void
put(struct out *o, const char *s, size_t n)
{
	if (!reserve(o, n))
		return;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

/* A JSON string: quotes, and escapes for '"', '\\' and control bytes. */
static void
put_string(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	put(o, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(o, s + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			put(o, e, sizeof(e));
		} else {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4],
			    hex[c & 15] };

			put(o, e, sizeof(e));
		}
	}
	put(o, s + run, n - run);
	put(o, "\"", 1);
}

static void value(struct out *o, const json_t *v, int depth);

static void
object(struct out *o, const json_t *v, int depth)
{
	const char *key;
	json_t *child;
	bool first = true;

	put(o, "{", 1);
	json_object_foreach((json_t *)v, key, child) {
		if (!first)
			put(o, ",", 1);
		first = false;
		put_string(o, key, strlen(key));
		put(o, ":", 1);
		value(o, child, depth + 1);
	}
	put(o, "}", 1);
}

static void
array(struct out *o, const json_t *v, int depth)
{
	size_t i;
	json_t *child;

	put(o, "[", 1);
	json_array_foreach(v, i, child) {
		if (i > 0)
			put(o, ",", 1);
		value(o, child, depth + 1);
	}
	put(o, "]", 1);
}

static void
number(struct out *o, const json_t *v)
{
	char buf[64];
	int n;

	if (json_is_integer(v))
		n = snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	else
		n = snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		o->failed = true;
		return;
	}
	put(o, buf, (size_t)n);
}

static void
value(struct out *o, const json_t *v, int depth)
{
	if (depth > JSONOUT_MAX_DEPTH) {
		o->failed = true;
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		object(o, v, depth);
		break;
	case JSON_ARRAY:
		array(o, v, depth);
		break;
	case JSON_STRING:
		put_string(o, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		number(o, v);
		break;
	case JSON_TRUE:
		put(o, "true", 4);
		break;
	case JSON_FALSE:
		put(o, "false", 5);
		break;
	case JSON_NULL:
	default:
		put(o, "null", 4);
		break;
	}
}

char *
jsonout_dump(const json_t *v, size_t *len)
{
	struct out o = { NULL, 0, 0, false };

	value(&o, v, 1);
	if (o.failed || !reserve(&o, 0)) {
		free(o.buf);
		return NULL;
	}
	o.buf[o.len] = '\0';
	*len = o.len;
	return o.buf;
}
