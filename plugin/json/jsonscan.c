#include "jsonscan.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swar.h"

/* Where the scan is and what it records there. */
enum role {
	ROLE_NONE,		/* record nothing */
	ROLE_ROOT,		/* top-level value */
	ROLE_ITEMS,		/* the array whose elements are events */
	ROLE_ITEM		/* one event (element of ROLE_ITEMS) */
};

struct scan {
	struct jscan *sc;
	const unsigned char *s;
	size_t len;
	size_t pos;
	size_t max_depth;
	size_t ws;		/* whitespace bytes skipped so far */
	size_t reals;		/* real numbers met so far */
	enum jscan_status status;
	char *reason;
	size_t reasonlen;
	bool nul;		/* the last string held a \u0000 escape */
	bool lenient;		/* jscan_frame: record damage, go on */
	unsigned bad;		/* enum jbad met in the current value */
	bool uescape;		/* a \u escape since the current member's
				 * value began (object() keeps it per member) */
};

static bool
fail(struct scan *x, enum jscan_status st, const char *why)
{
	if (x->status == JSCAN_OK) {
		x->status = st;
		snprintf(x->reason, x->reasonlen, "%s at byte %zu", why, x->pos);
	}
	return false;
}

/*
 * Damage the grammar can step over: jscan_frame records it and goes on,
 * jscan_line fails as it always did.
 */
static bool
taint(struct scan *x, unsigned bad, const char *why)
{
	if (!x->lenient)
		return fail(x, bad == JBAD_DEEP ? JSCAN_TOO_DEEP : JSCAN_INVALID,
		    why);
	x->bad |= bad;
	return true;
}

static void
skip_ws(struct scan *x)
{
	size_t start = x->pos;

	/* Compact text, the common case: no whitespace at all. */
	if (start < x->len && x->s[start] > ' ')
		return;

	while (x->pos < x->len && (x->s[x->pos] == ' ' || x->s[x->pos] == '\t' ||
	    x->s[x->pos] == '\n' || x->s[x->pos] == '\r'))
		x->pos++;
	x->ws += x->pos - start;
}

static bool
grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	if ((n = realloc(*arr, ncap * size)) == NULL)
		return false;
	*arr = n;
	*cap = ncap;
	return true;
}

/* Four hex digits at s[i..n), or -1. */
static long
hex4_at(const unsigned char *s, size_t i, size_t n)
{
	long v = 0;
	int k, h;

	if (n < 4 || i > n - 4)
		return -1;
	for (k = 0; k < 4; k++) {
		if ((h = jscan_hex_digit(s[i + (size_t)k])) < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Four hex digits at x->pos, moved past; -1 when they are not. */
static long
hex4(struct scan *x)
{
	long v = hex4_at(x->s, x->pos, x->len);

	if (v >= 0)
		x->pos += 4;
	return v;
}

/* After "\u": one escape, with a surrogate pair taken whole. */
static bool
unicode_escape(struct scan *x)
{
	long hi = hex4(x), lo;

	if (hi < 0)
		return taint(x, JBAD_ESCAPE, "invalid \\u escape");
	if (hi == 0)
		x->nul = true;
	if (hi >= 0xDC00 && hi <= 0xDFFF)
		return taint(x, JBAD_ESCAPE, "lone low surrogate");
	if (hi < 0xD800 || hi > 0xDBFF)
		return true;
	if (x->len - x->pos < 2 || x->s[x->pos] != '\\' ||
	    x->s[x->pos + 1] != 'u')
		return taint(x, JBAD_ESCAPE, "lone high surrogate");
	x->pos += 2;
	lo = hex4(x);
	/* A bad second half is read again as an escape of its own. */
	if (lo < 0xDC00 || lo > 0xDFFF) {
		if (!taint(x, JBAD_ESCAPE, "invalid surrogate pair"))
			return false;
		x->pos -= lo >= 0 ? 6 : 2;
	}
	return true;
}

/* Length of the valid UTF-8 sequence at x->pos (non-ASCII), or 0. */
static size_t
utf8_len(const struct scan *x)
{
	const unsigned char *p = x->s + x->pos;
	size_t left = x->len - x->pos, n, i;
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xBF;

	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	/* Overlongs, surrogates and code points past U+10FFFF. */
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++) {
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	}
	return n;
}

static bool
plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/*
 * Past the bytes from `pos` that need no look of their own.  Local copies
 * keep the loop in registers: it runs over most bytes of a line.
 */
static size_t
plain_run(const unsigned char *s, size_t pos, size_t len)
{
	swar_v16 v;
	size_t first;

	/* Not printable ASCII, '"' or '\\': below 0x20 as a signed byte
	 * is a control byte or one outside ASCII. */
	while (len - pos >= 16) {
		v = swar_load16(s + pos);
		if ((first = swar_first16((v < 0x20) | (v == '"') |
		    (v == '\\'))) != 16)
			return pos + first;
		pos += 16;
	}
	while (pos < len && plain(s[pos]))
		pos++;
	return pos;
}

/* A string at x->pos (the opening quote); *escaped tells if it had any. */
static bool
string(struct scan *x, bool *escaped)
{
	size_t n;
	unsigned char c;

	*escaped = false;
	x->nul = false;
	x->pos++;
	while (x->pos < x->len) {
		x->pos = plain_run(x->s, x->pos, x->len);
		if (x->pos >= x->len)
			break;
		c = x->s[x->pos];
		if (c == '"') {
			x->pos++;
			return true;
		}
		if (c < 0x20 && !taint(x, JBAD_CONTROL,
		    "control character in string"))
			return false;
		if (c < 0x80 && c != '\\') {
			x->pos++;
			continue;
		}
		if (c >= 0x80) {
			if ((n = utf8_len(x)) == 0) {
				if (!taint(x, JBAD_UTF8, "invalid UTF-8"))
					return false;
				n = 1;
			}
			x->pos += n;
			continue;
		}
		*escaped = true;
		if (++x->pos >= x->len)
			break;
		c = x->s[x->pos++];
		if (c == 'u') {
			x->uescape = true;
			if (!unicode_escape(x))
				return false;
		} else if ((strchr("\"\\/bfnrt", c) == NULL || c == '\0') &&
		    !taint(x, JBAD_ESCAPE, "invalid escape")) {
			return false;
		}
	}
	return fail(x, JSCAN_INVALID, "unterminated string");
}

static bool
digits(struct scan *x)
{
	size_t start = x->pos;

	while (x->pos < x->len && x->s[x->pos] >= '0' && x->s[x->pos] <= '9')
		x->pos++;
	return x->pos > start;
}

/*
 * jansson refuses integers outside long long and reals that overflow a
 * double: such a line was "invalid JSON" for the plugin, and stays so.
 * `digits` are the integer's digits (no sign, no leading zero).
 */
static bool
integer_fits(const unsigned char *d, size_t n, bool negative)
{
	const char *limit = negative ? "9223372036854775808" :
	    "9223372036854775807";

	if (n != 19)
		return n < 19;
	return memcmp(d, limit, 19) <= 0;
}

/* The exact test, with strtod, for the rare real that may overflow. */
static bool
real_fits(const unsigned char *s, size_t n)
{
	char small[128], *buf = small;
	double v;
	bool fits;

	if (n >= sizeof(small) && (buf = malloc(n + 1)) == NULL)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtod(buf, NULL);
	fits = !((v == HUGE_VAL || v == -HUGE_VAL) && errno == ERANGE);
	if (buf != small)
		free(buf);
	return fits;
}

static bool
number(struct scan *x)
{
	size_t start = x->pos, int_start, int_len;
	bool negative = false, real = false;
	long exp = 0, sign = 1;

	if (x->s[x->pos] == '-') {
		negative = true;
		x->pos++;
	}
	int_start = x->pos;
	if (x->pos < x->len && x->s[x->pos] == '0')
		x->pos++;
	else if (!digits(x))
		return fail(x, JSCAN_INVALID, "invalid number");
	int_len = x->pos - int_start;
	if (x->pos < x->len && x->s[x->pos] == '.') {
		real = true;
		x->pos++;
		if (!digits(x))
			return fail(x, JSCAN_INVALID, "invalid number");
	}
	if (x->pos < x->len && (x->s[x->pos] == 'e' || x->s[x->pos] == 'E')) {
		real = true;
		x->pos++;
		if (x->pos < x->len && (x->s[x->pos] == '+' ||
		    x->s[x->pos] == '-'))
			sign = x->s[x->pos++] == '-' ? -1 : 1;
		if (x->pos >= x->len || x->s[x->pos] < '0' || x->s[x->pos] > '9')
			return fail(x, JSCAN_INVALID, "invalid number");
		for (; x->pos < x->len && x->s[x->pos] >= '0' &&
		    x->s[x->pos] <= '9'; x->pos++)
			if (exp < 100000)
				exp = exp * 10 + (x->s[x->pos] - '0');
	}
	if (!real) {
		if (!integer_fits(x->s + int_start, int_len, negative))
			return taint(x, JBAD_NUMBER, "too big integer");
		return true;
	}
	x->reals++;
	/* Below 10^300 a double cannot overflow: only then ask strtod. */
	if ((long)int_len + sign * exp >= 300 &&
	    !real_fits(x->s + start, x->pos - start))
		return taint(x, JBAD_NUMBER, "real number overflow");
	return true;
}

static bool
literal(struct scan *x, const char *word)
{
	size_t n = strlen(word);

	if (x->len - x->pos < n || memcmp(x->s + x->pos, word, n) != 0)
		return fail(x, JSCAN_INVALID, "invalid literal");
	x->pos += n;
	return true;
}

static bool value(struct scan *x, size_t depth, enum role role,
    size_t *fields);

/* Append code point `cp` to `out` as UTF-8; returns the bytes written. */
static size_t
utf8_put(unsigned char *out, long cp)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xC0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xE0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * The escape at s[*i] (its backslash) decoded into out[0..4); its length,
 * or 0 for an escape jansson refuses.  *i moves past it.
 */
static size_t
unescape_one(const unsigned char *s, size_t n, size_t *i, unsigned char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *c;
	long hi, lo;

	if (*i + 1 >= n)
		return 0;
	if (s[*i + 1] != 'u') {
		if (s[*i + 1] == '\0' || (c = strchr(from, s[*i + 1])) == NULL)
			return 0;
		*i += 2;
		out[0] = (unsigned char)to[c - from];
		return 1;
	}
	if ((hi = hex4_at(s, *i + 2, n)) < 0 || (hi >= 0xDC00 && hi <= 0xDFFF))
		return 0;
	*i += 6;
	if (hi < 0xD800 || hi > 0xDBFF)
		return utf8_put(out, hi);
	if (*i + 1 >= n || s[*i] != '\\' || s[*i + 1] != 'u' ||
	    (lo = hex4_at(s, *i + 2, n)) < 0xDC00 || lo > 0xDFFF)
		return 0;
	*i += 6;
	return utf8_put(out, 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
}

/*
 * Do the `n` raw bytes of a key (between its quotes) read as `want`
 * (wantlen bytes) once unescaped, as jansson reads keys?  Each step
 * consumes a byte of `want` or ends the comparison, so the cost is bounded
 * by wantlen whatever the key's length.
 */
static bool
key_reads_as(const unsigned char *s, size_t n, const char *want,
    size_t wantlen)
{
	unsigned char buf[4];
	size_t i = 0, j = 0, k;

	while (i < n) {
		if (s[i] != '\\') {
			if (j >= wantlen || (unsigned char)want[j] != s[i])
				return false;
			i++;
			j++;
			continue;
		}
		if ((k = unescape_one(s, n, &i, buf)) == 0 || k > wantlen - j ||
		    memcmp(want + j, buf, k) != 0)
			return false;
		j += k;
	}
	return j == wantlen;
}

/* Is this (undamaged) key of the root the items key, as jansson reads it? */
static bool
is_items_key(const struct scan *x, const struct jmember *m)
{
	const char *key = x->sc->items_key ? x->sc->items_key : "items";

	if (!m->key_escaped)
		return jspan_is((const char *)x->s, m->key, key);
	return m->bad == 0 && key_reads_as(x->s + m->key.off, m->key.len,
	    key, strlen(key));
}

/*
 * At the value of a root `items` key: jansson keeps the last value of a
 * repeated key, so this one supersedes the items of any earlier `items`
 * array.  Only items are in sc->items and sc->members: both start afresh.
 */
static void
start_items(struct scan *x)
{
	struct jscan *sc = x->sc;

	sc->nitems = sc->nmembers = sc->items_total = sc->items_base = 0;
	sc->has_items = x->pos < x->len && x->s[x->pos] == '[';
}

/*
 * Is there room in the window for one more element?  A window holds at
 * least one, however many members it has, so that every element can be
 * recorded; past its first, the members bound it too.
 */
static bool
recording(const struct jscan *sc)
{
	return sc->window == 0 || sc->nitems == 0 ||
	    (sc->nitems < sc->window && sc->nmembers < JSCAN_WINDOW_MEMBERS);
}

/* Record a member into the root list or the current item's list. */
static bool
record_member(struct scan *x, enum role role, const struct jmember *m)
{
	struct jscan *sc = x->sc;

	if (role == ROLE_ROOT) {
		if (!grow((void **)&sc->root, &sc->root_cap, sc->nroot + 1,
		    sizeof(*m)))
			return fail(x, JSCAN_NOMEM, "out of memory");
		sc->root[sc->nroot++] = *m;
		return true;
	}
	if (!grow((void **)&sc->members, &sc->members_cap, sc->nmembers + 1,
	    sizeof(*m)))
		return fail(x, JSCAN_NOMEM, "out of memory");
	sc->members[sc->nmembers++] = *m;
	sc->items[sc->nitems - 1].count++;
	return true;
}

static bool
object(struct scan *x, size_t depth, enum role role, size_t *fields)
{
	struct jmember m;
	bool record = role == ROLE_ROOT || role == ROLE_ITEM;
	bool first = true, outer_u = x->uescape, key_u;
	enum role child;
	unsigned outer = x->bad;
	size_t f;

	x->pos++;
	*fields = 0;
	for (;;) {
		skip_ws(x);
		if (x->pos >= x->len)
			return fail(x, JSCAN_INVALID, "unterminated object");
		if (first && x->s[x->pos] == '}')
			break;
		if (x->s[x->pos] != '"')
			return fail(x, JSCAN_INVALID, "expected a key");
		m.key.off = x->pos + 1;
		x->bad = 0;
		x->uescape = false;
		if (!string(x, &m.key_escaped))
			return false;
		m.key.len = x->pos - 1 - m.key.off;
		/* jansson cannot keep such a key (and rejected the line). */
		if (x->nul && !taint(x, JBAD_NUL_KEY, "NUL byte in object key"))
			return false;
		m.bad = x->bad ? x->bad | JBAD_KEY : 0;
		x->bad = 0;
		key_u = x->uescape;
		x->uescape = false;
		skip_ws(x);
		if (x->pos >= x->len || x->s[x->pos] != ':')
			return fail(x, JSCAN_INVALID, "expected ':'");
		x->pos++;
		skip_ws(x);
		child = role == ROLE_ROOT && is_items_key(x, &m) ? ROLE_ITEMS :
		    ROLE_NONE;
		if (child == ROLE_ITEMS)
			start_items(x);
		m.value.off = x->pos;
		if (!value(x, depth + 1, child, &f))
			return false;
		m.value.len = x->pos - m.value.off;
		m.fields = f;
		m.uescape = x->uescape;
		outer_u |= key_u || m.uescape;
		m.bad |= x->bad;
		outer |= m.bad & ~JBAD_KEY;
		*fields += f;
		if (record && !record_member(x, role, &m))
			return false;
		skip_ws(x);
		if (x->pos < x->len && x->s[x->pos] == ',') {
			x->pos++;
			first = false;
			continue;
		}
		if (x->pos < x->len && x->s[x->pos] == '}')
			break;
		return fail(x, JSCAN_INVALID, "expected ',' or '}'");
	}
	x->pos++;
	x->bad = outer;
	x->uescape = outer_u;
	return true;
}

static bool
start_item(struct scan *x)
{
	struct jscan *sc = x->sc;
	struct jobject *it;

	if (sc->nitems == sc->items_cap && !grow((void **)&sc->items,
	    &sc->items_cap, sc->nitems + 1, sizeof(*it)))
		return fail(x, JSCAN_NOMEM, "out of memory");
	it = &sc->items[sc->nitems++];
	*it = (struct jobject){ .span.off = x->pos,
	    .is_object = x->s[x->pos] == '{', .first = sc->nmembers };
	return true;
}

/* What the element just scanned (from x->pos back to its start) is. */
static void
end_item(struct scan *x, struct jobject *it, size_t ws, size_t reals)
{
	it->span.len = x->pos - it->span.off;
	it->compact = x->ws == ws;
	it->reals = x->reals - reals;
	it->bad = x->bad;
}

static bool
array(struct scan *x, size_t depth, enum role role)
{
	struct jscan *sc = x->sc;
	bool first = true, rec = false;
	size_t f, ws, reals;
	unsigned outer = x->bad;

	x->pos++;
	for (;;) {
		skip_ws(x);
		if (x->pos >= x->len)
			return fail(x, JSCAN_INVALID, "unterminated array");
		if (first && x->s[x->pos] == ']')
			break;
		if (role == ROLE_ITEMS) {
			if (first) {
				sc->items_first = x->pos;
				sc->items_depth = depth + 1;
			}
			/* Past the window: jscan_items_at starts here. */
			if (!(rec = recording(sc)) &&
			    sc->items_total == sc->nitems)
				sc->items_next = x->pos;
			if (rec && !start_item(x))
				return false;
		}
		ws = x->ws;
		reals = x->reals;
		x->bad = 0;
		if (!value(x, depth + 1, rec ? ROLE_ITEM : ROLE_NONE, &f))
			return false;
		if (rec)
			end_item(x, &sc->items[sc->nitems - 1], ws, reals);
		if (role == ROLE_ITEMS)
			sc->items_total++;
		outer |= x->bad;
		skip_ws(x);
		if (x->pos < x->len && x->s[x->pos] == ',') {
			x->pos++;
			first = false;
			continue;
		}
		if (x->pos < x->len && x->s[x->pos] == ']')
			break;
		return fail(x, JSCAN_INVALID, "expected ',' or ']'");
	}
	x->pos++;
	x->bad = outer;
	return true;
}

/*
 * A value nested past max_depth, at its '{' or '[': stepped over without
 * recursion, checking its tokens and that its brackets balance (not that
 * they match, nor where commas and colons go: the value is never read).
 */
static bool
skip_deep(struct scan *x)
{
	size_t depth = 0;
	bool escaped;
	unsigned char c;

	do {
		skip_ws(x);
		if (x->pos >= x->len)
			return fail(x, JSCAN_INVALID, "unterminated value");
		c = x->s[x->pos];
		if (c == '{' || c == '[') {
			depth++;
			x->pos++;
		} else if (c == '}' || c == ']') {
			depth--;
			x->pos++;
		} else if (c == ',' || c == ':') {
			x->pos++;
		} else if (c == '"') {
			if (!string(x, &escaped))
				return false;
		} else if (c == 't' || c == 'f' || c == 'n') {
			if (!literal(x, c == 't' ? "true" : c == 'f' ? "false" :
			    "null"))
				return false;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			if (!number(x))
				return false;
		} else {
			return fail(x, JSCAN_INVALID, "unexpected character");
		}
	} while (depth > 0);
	return true;
}

/* One value; *fields: what analysisd's decoder makes of it. */
static bool
value(struct scan *x, size_t depth, enum role role, size_t *fields)
{
	bool escaped;

	*fields = 1;
	if (x->pos >= x->len)
		return fail(x, JSCAN_INVALID, "expected a value");
	switch (x->s[x->pos]) {
	case '{':
		if (depth > x->max_depth)
			return taint(x, JBAD_DEEP, "nested too deep") &&
			    skip_deep(x);
		return object(x, depth, role == ROLE_ITEMS ? ROLE_NONE : role,
		    fields);
	case '[':
		if (depth > x->max_depth)
			return taint(x, JBAD_DEEP, "nested too deep") &&
			    skip_deep(x);
		if (role == ROLE_ROOT)
			role = ROLE_ITEMS;
		return array(x, depth, role == ROLE_ITEMS ? ROLE_ITEMS :
		    ROLE_NONE);
	case '"':
		return string(x, &escaped);
	case 't':
		return literal(x, "true");
	case 'f':
		return literal(x, "false");
	case 'n':
		return literal(x, "null");
	default:
		if (x->s[x->pos] == '-' ||
		    (x->s[x->pos] >= '0' && x->s[x->pos] <= '9'))
			return number(x);
		return fail(x, JSCAN_INVALID, "unexpected character");
	}
}

void
jscan_init(struct jscan *sc)
{
	memset(sc, 0, sizeof(*sc));
}

void
jscan_free(struct jscan *sc)
{
	size_t window = sc->window;
	const char *items_key = sc->items_key;

	free(sc->root);
	free(sc->items);
	free(sc->members);
	jscan_init(sc);
	sc->window = window;
	sc->items_key = items_key;
}

void
jscan_set_window(struct jscan *sc, size_t window)
{
	sc->window = window;
}

void
jscan_set_items_key(struct jscan *sc, const char *key)
{
	sc->items_key = key;
}

void
jscan_trim(struct jscan *sc, size_t keep)
{
	size_t held = (sc->root_cap + sc->members_cap) * sizeof(*sc->members) +
	    sc->items_cap * sizeof(*sc->items);

	if (held > keep)
		jscan_free(sc);
}

static enum jscan_status
scan_line(struct jscan *sc, const char *text, size_t len, size_t max_depth,
    char *reason, size_t reasonlen, bool lenient)
{
	struct scan x = { sc, (const unsigned char *)text, len, 0, max_depth,
	    0, 0, JSCAN_OK, reason, reasonlen, false, lenient, 0, false };
	size_t f, ws;

	sc->nroot = sc->nitems = sc->nmembers = 0;
	sc->items_total = sc->items_base = 0;
	sc->has_items = false;
	sc->text = text;
	sc->len = len;
	sc->max_depth = max_depth;
	sc->lenient = lenient;
	skip_ws(&x);
	if (x.pos >= len || (text[x.pos] != '{' && text[x.pos] != '[')) {
		fail(&x, JSCAN_INVALID, "expected an object or an array");
		return x.status;
	}
	sc->root_is_array = text[x.pos] == '[';
	sc->root_span.span.off = x.pos;
	sc->root_span.is_object = !sc->root_is_array;
	ws = x.ws;
	if (!value(&x, 1, ROLE_ROOT, &f))
		return x.status;
	sc->root_span.span.len = x.pos - sc->root_span.span.off;
	sc->root_span.compact = x.ws == ws;
	sc->root_span.reals = x.reals;
	sc->root_span.first = 0;
	sc->root_span.count = sc->nroot;
	sc->root_span.bad = x.bad;
	skip_ws(&x);
	if (x.pos != len) {
		fail(&x, JSCAN_INVALID, "text after the JSON value");
		return x.status;
	}
	return JSCAN_OK;
}

enum jscan_status
jscan_line(struct jscan *sc, const char *text, size_t len, size_t max_depth,
    char *reason, size_t reasonlen)
{
	return scan_line(sc, text, len, max_depth, reason, reasonlen, false);
}

enum jscan_status
jscan_frame(struct jscan *sc, const char *text, size_t len, size_t max_depth,
    char *reason, size_t reasonlen)
{
	return scan_line(sc, text, len, max_depth, reason, reasonlen, true);
}

bool
jscan_key_reads_as(const char *text, const struct jmember *m,
    const char *key)
{
	if ((m->bad & JBAD_KEY) != 0)
		return false;
	return key_reads_as((const unsigned char *)text + m->key.off,
	    m->key.len, key, strlen(key));
}

const struct jmember *
jscan_find(const struct jmember *members, size_t count, const char *text,
    const char *key)
{
	for (size_t i = 0; i < count; i++)
		if (jscan_key_is(text, &members[i], key))
			return &members[i];
	return NULL;
}

const struct jmember *
jscan_last(const struct jmember *members, size_t count, const char *text,
    const char *key)
{
	const struct jmember *m = NULL;

	for (size_t i = 0; i < count; i++)
		if (jscan_key_reads_as(text, &members[i], key))
			m = &members[i];
	return m;
}

/*
 * Record the elements of the items array from element `at`, which starts
 * at byte `pos`, as the first scan did, until the window is full.  True
 * when it is full with elements left (they start at sc->items_next);
 * false at the array's end, where a broken line breaks (the element
 * broken in is not kept) or when memory runs out.
 */
static bool
scan_window(struct jscan *sc, size_t at, size_t pos)
{
	char why[64];
	struct scan x = { sc, (const unsigned char *)sc->text, sc->len, pos,
	    sc->max_depth, 0, 0, JSCAN_OK, why, sizeof(why), false,
	    sc->lenient, 0, false };
	size_t ws, reals, f;

	sc->items_base = at;
	sc->nitems = sc->nmembers = 0;
	while (recording(sc)) {
		if (!start_item(&x))
			return false;
		ws = x.ws;
		reals = x.reals;
		x.bad = 0;
		if (!value(&x, sc->items_depth, ROLE_ITEM, &f)) {
			sc->nitems--;
			return false;
		}
		end_item(&x, &sc->items[sc->nitems - 1], ws, reals);
		skip_ws(&x);
		if (x.pos >= x.len || x.s[x.pos] != ',')
			return false;
		x.pos++;
		skip_ws(&x);
	}
	sc->items_next = x.pos;
	return true;
}

const struct jobject *
jscan_items_at(struct jscan *sc, size_t index)
{
	bool more = true;

	if (index >= sc->items_total)
		return NULL;
	if (index < sc->items_base)
		more = scan_window(sc, 0, sc->items_first);
	while (index >= sc->items_base + sc->nitems) {
		if (!more)
			return NULL;
		more = scan_window(sc, sc->items_base + sc->nitems,
		    sc->items_next);
	}
	return &sc->items[index - sc->items_base];
}
