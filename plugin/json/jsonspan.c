/*
 * jsonspan: read JSON text that jscan_line has already validated.
 *
 * Every loop still stops at the end of its span: a caller's mistake must
 * not turn into a read past the line.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * Just past the string whose opening quote is at `pos`.  Strings are most
 * of the bytes: memchr finds each quote, and a quote ends the string unless
 * an odd number of backslashes stands before it.  When `escaped` is not
 * NULL, it tells whether the string holds a backslash.
 */
static size_t
skip_string(const char *s, size_t pos, size_t end, bool *escaped)
{
	size_t start = pos + 1, b, stop = end;
	const char *q;

	for (pos = start; pos < end; pos = (size_t)(q - s) + 1) {
		if ((q = memchr(s + pos, '"', end - pos)) == NULL)
			break;
		for (b = 0; q - b > s + start && q[-1 - (ptrdiff_t)b] == '\\'; b++)
			;
		if (b % 2 == 0) {
			stop = (size_t)(q - s);
			break;
		}
	}
	if (escaped != NULL)
		*escaped = memchr(s + start, '\\', stop - start) != NULL;
	return stop < end ? stop + 1 : end;
}

/* Just past the value at `pos`. */
static size_t
skip_value(const char *s, size_t pos, size_t end)
{
	size_t depth = 0;

	if (pos < end && s[pos] == '"')
		return skip_string(s, pos, end, NULL);
	if (pos < end && s[pos] != '{' && s[pos] != '[') {
		while (pos < end && s[pos] != ',' && s[pos] != '}' &&
		    s[pos] != ']' && !is_ws(s[pos]))
			pos++;
		return pos;
	}
	while (pos < end) {
		switch (s[pos]) {
		case '"':
			pos = skip_string(s, pos, end, NULL);
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
		default:
			break;
		}
		pos++;
	}
	return end;
}

/*
 * Move *pos to where the next member or element of the container `c`
 * (opened by `open`) starts; false when there is none left (or `c` is not
 * such a container).  *end is the container's closing bracket.
 */
static bool
next_item(const char *text, struct jspan c, char open, size_t *pos,
    size_t *end)
{
	size_t p = *pos;

	if (c.len < 2 || text[c.off] != open)
		return false;
	*end = c.off + c.len - 1;
	if (p == 0)
		p = c.off + 1;
	p = skip_ws(text, p, *end);
	if (p < *end && text[p] == ',')
		p = skip_ws(text, p + 1, *end);
	*pos = p;
	return p < *end;
}

bool
jspan_next(const char *text, struct jspan obj, size_t *pos,
    struct jspan_member *out)
{
	size_t end, p;

	if (!next_item(text, obj, '{', pos, &end))
		return false;
	p = *pos;
	if (text[p] != '"') {
		*pos = end;
		return false;
	}
	out->key.off = p + 1;
	p = skip_string(text, p, end, &out->key_escaped);
	out->key.len = p - 1 - out->key.off;
	p = skip_ws(text, p, end);
	p = skip_ws(text, p + 1, end);	/* the ':' */
	out->value.off = p;
	p = skip_value(text, p, end);
	out->value.len = p - out->value.off;
	*pos = p;
	return true;
}

bool
jspan_next_element(const char *text, struct jspan arr, size_t *pos,
    struct jspan *out)
{
	size_t end;

	if (!next_item(text, arr, '[', pos, &end))
		return false;
	out->off = *pos;
	*pos = skip_value(text, *pos, end);
	out->len = *pos - out->off;
	return true;
}

struct key_ref {
	const char *p;
	size_t len;
};

/* Any total order does: only equal neighbours matter. */
static int
key_order(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->p, y->p, x->len);
}

/* Key i of keys given as jspan_repeats takes them. */
static const struct jspan *
key_at(const struct jspan *keys, size_t stride, size_t i)
{
	return (const struct jspan *)(const void *)((const char *)keys +
	    i * stride);
}

static bool
same_key(const char *text, const struct jspan *a, const struct jspan *b)
{
	return a->len == b->len && memcmp(text + a->off, text + b->off,
	    a->len) == 0;
}

/* Below this many members the plain comparison of each pair is cheaper. */
#define REPEATS_HASH_FROM 32
/* Probes per member a hash table may take before the keys are sorted. */
#define REPEATS_PROBES 4

static int
repeats_pairwise(const char *text, const struct jspan *keys,
    size_t stride, size_t count, bool *repeat)
{
	for (size_t i = 1; i < count && !*repeat; i++)
		for (size_t k = 0; k < i && !*repeat; k++)
			*repeat = same_key(text, key_at(keys, stride, k),
			    key_at(keys, stride, i));
	return 0;
}

static int
repeats_sorted(const char *text, const struct jspan *keys,
    size_t stride, size_t count, bool *repeat)
{
	struct key_ref *sorted;
	size_t i;

	if ((sorted = malloc(count * sizeof(*sorted))) == NULL)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		sorted[i].p = text + key_at(keys, stride, i)->off;
		sorted[i].len = key_at(keys, stride, i)->len;
	}
	qsort(sorted, count, sizeof(*sorted), key_order);
	for (i = 1; i < count && !*repeat; i++)
		*repeat = key_order(&sorted[i - 1], &sorted[i]) == 0;
	free(sorted);
	return 0;
}

/* FNV-1a: keys are short. */
static uint64_t
key_hash(const char *p, size_t len)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

/*
 * Each key into an open-addressed table of member indexes: O(count) for
 * keys as they come.  -EAGAIN when keys crowd into the same slots beyond
 * REPEATS_PROBES per member (the hash is not secret: a client can choose
 * colliding keys), so that sorting bounds the time.
 */
static int
repeats_hashed(const char *text, const struct jspan *keys,
    size_t stride, size_t count, bool *repeat)
{
	size_t size = 1, budget, i, at;
	const struct jspan *k;
	uint32_t *slot;		/* member index + 1; 0: free */
	int rc = 0;

	if (count >= UINT32_MAX / 4)
		return -EAGAIN;
	while (size < count * 2)
		size *= 2;
	budget = count * REPEATS_PROBES;
	if ((slot = calloc(size, sizeof(*slot))) == NULL)
		return -ENOMEM;
	for (i = 0; i < count && rc == 0 && !*repeat; i++) {
		k = key_at(keys, stride, i);
		at = (size_t)key_hash(text + k->off, k->len) & (size - 1);
		while (slot[at] != 0 && rc == 0 && !*repeat) {
			*repeat = same_key(text, key_at(keys, stride,
			    slot[at] - 1), k);
			rc = budget-- == 0 ? -EAGAIN : 0;
			at = (at + 1) & (size - 1);
		}
		slot[at] = (uint32_t)i + 1;
	}
	free(slot);
	return rc;
}

int
jspan_repeats(const char *text, const struct jspan *keys, size_t stride,
    size_t count, bool *repeat)
{
	int rc;

	*repeat = false;
	if (count < REPEATS_HASH_FROM)
		return repeats_pairwise(text, keys, stride, count, repeat);
	if ((rc = repeats_hashed(text, keys, stride, count, repeat)) != -EAGAIN)
		return rc;
	*repeat = false;
	return repeats_sorted(text, keys, stride, count, repeat);
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

	const char *bs;
	size_t run;

	if (value.len < 2)
		return 0;
	while (pos < end) {
		/* Copy up to the next escape in one go. */
		bs = memchr(text + pos, '\\', end - pos);
		run = (bs ? (size_t)(bs - text) : end) - pos;
		memcpy(out + n, text + pos, run);
		n += run;
		pos += run;
		if (pos < end)
			n += unescape_one(text, &pos, end, out + n);
	}
	return n;
}

/* ---- building jansson values -------------------------------------------- */

struct builder {
	const char *s;
	size_t pos, end;
	int depth;
	bool repeated;	/* an object built so far repeated a key */
};

/* An unescaped string: in the text itself when it has no escape. */
struct text {
	const char *p;
	size_t n;
	char *owned;
	char small[256];
};

/* The string at b->pos into *t; false when memory runs out. */
static bool
read_string(struct builder *b, struct text *t)
{
	struct jspan span = { b->pos, 0 };
	bool escaped;

	t->owned = NULL;
	b->pos = skip_string(b->s, b->pos, b->end, &escaped);
	span.len = b->pos - span.off;
	if (!escaped) {
		t->p = b->s + span.off + 1;
		t->n = span.len - 2;
		return true;
	}
	if (span.len > sizeof(t->small) &&
	    (t->owned = malloc(span.len)) == NULL)
		return false;
	t->p = t->owned != NULL ? t->owned : t->small;
	t->n = jspan_string(b->s, span, t->owned != NULL ? t->owned : t->small);
	return true;
}

static json_t *build(struct builder *b, const struct jspan_keep *keep);

/*
 * What to build of the member named by key `k`: *child is the keep of its
 * value.  False when `keep` leaves it out.
 */
static bool
kept(const struct jspan_keep *keep, const struct text *k,
    const struct jspan_keep **child)
{
	*child = NULL;
	if (keep == NULL)
		return true;
	/* The first byte first: most members are not named, and this runs
	 * for every member of a kept object. */
	for (; keep->name != NULL; keep++) {
		if (k->n > 0 && keep->name[0] == k->p[0] &&
		    strlen(keep->name) == k->n &&
		    memcmp(keep->name, k->p, k->n) == 0) {
			*child = keep->keep;
			return true;
		}
	}
	return false;
}

static json_t *
build_number(struct builder *b)
{
	size_t start = b->pos;
	char buf[128], *copy = buf;
	bool real = false;
	json_t *v;

	for (; b->pos < b->end && b->s[b->pos] != '\0' &&
	    strchr("+-0123456789.eE", b->s[b->pos]) != NULL; b->pos++)
		real |= b->s[b->pos] == '.' || b->s[b->pos] == 'e' ||
		    b->s[b->pos] == 'E';
	/* strtod and strtoll want a terminated copy. */
	if (b->pos - start >= sizeof(buf) &&
	    (copy = malloc(b->pos - start + 1)) == NULL)
		return NULL;
	memcpy(copy, b->s + start, b->pos - start);
	copy[b->pos - start] = '\0';
	/* The scan refused integers outside long long and overflowing reals,
	 * as jansson does; both then read the digits with these functions. */
	v = real ? json_real(strtod(copy, NULL)) :
	    json_integer(strtoll(copy, NULL, 10));
	if (copy != buf)
		free(copy);
	return v;
}

static json_t *
build_object(struct builder *b, const struct jspan_keep *keep)
{
	const struct jspan_keep *child;
	json_t *obj = json_object(), *v;
	struct text key;
	int rc = 0;

	b->pos = skip_ws(b->s, b->pos + 1, b->end);
	while (obj != NULL && b->pos < b->end && b->s[b->pos] == '"') {
		if (!read_string(b, &key))
			break;
		b->pos = skip_ws(b->s, b->pos, b->end);
		b->pos = skip_ws(b->s, b->pos + 1, b->end);	/* the ':' */
		if (!kept(keep, &key, &child)) {
			b->pos = skip_value(b->s, b->pos, b->end);
		} else {
			/* A repeated key keeps its last value, as in jansson:
			 * then the object does not grow. */
			size_t before = json_object_size(obj);

			v = build(b, child);
			rc = v == NULL ? -1 :
			    json_object_setn_new_nocheck(obj, key.p, key.n, v);
			b->repeated |= rc == 0 && json_object_size(obj) == before;
		}
		free(key.owned);
		if (rc != 0)
			break;
		b->pos = skip_ws(b->s, b->pos, b->end);
		if (b->pos < b->end && b->s[b->pos] == ',')
			b->pos = skip_ws(b->s, b->pos + 1, b->end);
	}
	if (obj == NULL || b->pos >= b->end || b->s[b->pos] != '}') {
		json_decref(obj);
		return NULL;
	}
	b->pos++;
	return obj;
}

static json_t *
build_array(struct builder *b, const struct jspan_keep *keep)
{
	json_t *arr = json_array(), *v;

	b->pos = skip_ws(b->s, b->pos + 1, b->end);
	while (arr != NULL && b->pos < b->end && b->s[b->pos] != ']') {
		if ((v = build(b, keep)) == NULL ||
		    json_array_append_new(arr, v) != 0)
			break;
		b->pos = skip_ws(b->s, b->pos, b->end);
		if (b->pos < b->end && b->s[b->pos] == ',')
			b->pos = skip_ws(b->s, b->pos + 1, b->end);
	}
	if (arr == NULL || b->pos >= b->end || b->s[b->pos] != ']') {
		json_decref(arr);
		return NULL;
	}
	b->pos++;
	return arr;
}

static json_t *
build(struct builder *b, const struct jspan_keep *keep)
{
	struct text t;
	json_t *v;

	if (b->pos >= b->end || ++b->depth > JSPAN_MAX_DEPTH)
		return NULL;
	switch (b->s[b->pos]) {
	case '{':
		v = build_object(b, keep);
		break;
	case '[':
		v = build_array(b, keep);
		break;
	case '"':
		v = NULL;
		if (read_string(b, &t)) {
			v = json_stringn_nocheck(t.p, t.n);
			free(t.owned);
		}
		break;
	case 't':
		b->pos += 4;
		v = json_true();
		break;
	case 'f':
		b->pos += 5;
		v = json_false();
		break;
	case 'n':
		b->pos += 4;
		v = json_null();
		break;
	default:
		v = build_number(b);
		break;
	}
	b->depth--;
	return v;
}

json_t *
jspan_load_kept(const char *text, struct jspan value,
    const struct jspan_keep *keep)
{
	struct builder b = { text, value.off, value.off + value.len, 0, false };

	return build(&b, keep);
}

json_t *
jspan_load(const char *text, struct jspan value)
{
	return jspan_load_kept(text, value, NULL);
}

json_t *
jspan_load_unique(const char *text, struct jspan value, bool *repeated)
{
	struct builder b = { text, value.off, value.off + value.len, 0, false };
	json_t *v = build(&b, NULL);

	*repeated = b.repeated;
	return v;
}
