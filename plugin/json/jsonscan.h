/*
 * jsonscan: validate a line of JSON once and find its events as byte spans.
 *
 * The plugin changes few members of an audit event; the rest can travel as
 * the bytes that came in.  jsonscan checks the whole line against the JSON
 * grammar (RFC 8259, UTF-8 included, nesting bounded) in one pass and
 * records, without building a tree, where each event and each of its
 * top-level members lies, and how many fields analysisd's JSON decoder would
 * make of each member.
 *
 * Events are the elements of a top-level array, the elements of the `items`
 * member of a top-level object, or the top-level object itself: the caller
 * decides from `kind` which reading applies.  `items` is the member jansson
 * keeps: keys are read unescaped (`"\u0069tems"` is `items`) and the last
 * of repeated keys wins, so the elements of an earlier `items` array are
 * not recorded.
 */
#ifndef JSONSCAN_H
#define JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct jspan {
	size_t off;		/* from the start of the line */
	size_t len;
};

/*
 * Why a value that frames as JSON cannot be loaded as it is (jscan_frame):
 * a bitmask, 0 for a value jscan_line would accept.
 */
enum jbad {
	JBAD_UTF8 = 1u << 0,	/* invalid UTF-8 in a string */
	JBAD_ESCAPE = 1u << 1,	/* invalid escape or lone surrogate */
	JBAD_CONTROL = 1u << 2,	/* raw control character in a string */
	JBAD_NUMBER = 1u << 3,	/* integer outside long long, or a real
				 * that overflows a double */
	JBAD_DEEP = 1u << 4,	/* nested deeper than max_depth */
	JBAD_NUL_KEY = 1u << 5,	/* a key holds \u0000 */
	JBAD_KEY = 1u << 6	/* (a member's own bad only) its key is
				 * damaged: one of the above */
};

struct jmember {
	struct jspan key;	/* the key's bytes between its quotes, raw */
	struct jspan value;	/* the value's JSON text */
	size_t fields;		/* fields analysisd makes of the value */
	bool key_escaped;	/* the key holds backslash escapes */
	bool uescape;		/* the value holds a \u escape, in a string
				 * or a key at any depth: only \u spells a
				 * letter, so without one every name in it
				 * reads as written */
	unsigned bad;		/* enum jbad of the key and value */
};

struct jobject {
	struct jspan span;	/* the element's JSON text */
	bool is_object;		/* false: some other JSON value */
	bool compact;		/* no whitespace outside strings */
	size_t reals;		/* numbers with a fraction or an exponent,
				 * which jansson writes back in its own
				 * (often longer) form */
	size_t first;		/* its members: members[first .. first+count) */
	size_t count;
	unsigned bad;		/* enum jbad of anything inside it */
};

struct jscan {
	bool root_is_array;
	struct jmember *root;	/* members of a top-level object */
	size_t nroot, root_cap;
	struct jobject root_span;	/* the top-level value; for an object,
					 * first/count index `root` */
	bool has_items;		/* a top-level object's `items` (its last,
				 * keys unescaped) is an array */
	size_t items_total;	/* its whole elements, all of them */
	struct jobject *items;	/* elements items_base .. items_base +
				 * nitems (see above and jscan_items_at) */
	size_t items_base, nitems, items_cap;
	struct jmember *members;	/* members of the object elements */
	size_t nmembers, members_cap;
	size_t window;		/* most elements recorded at a time; 0 (as
				 * jscan_init leaves it): all of them */
	const char *items_key;	/* the root key whose array holds the
				 * elements; NULL (jscan_init): "items" */
	/* Where jscan_items_at scans again (jsonscan.c). */
	const char *text;
	size_t len, max_depth, items_depth, items_first, items_next;
	bool lenient;
};

enum jscan_status {
	JSCAN_OK = 0,
	JSCAN_INVALID,		/* not JSON: *reason says where and why; this
				 * includes what jansson refuses to load
				 * (integers outside long long, reals that
				 * overflow a double, \u0000 in a key) */
	JSCAN_TOO_DEEP,		/* nested deeper than max_depth */
	JSCAN_NOMEM
};

/*
 * jscan_init(sc) / jscan_free(sc):
 * Prepare an empty scanner; release its arrays.  A scanner may be reused for
 * many lines: its arrays grow to the largest line and stay.
 */
void jscan_init(struct jscan *sc);
void jscan_free(struct jscan *sc);

/*
 * jscan_set_window(sc, window):
 * Record at most `window` elements of the items array (and, past the
 * first of them, at most JSCAN_WINDOW_MEMBERS of their members) at a time
 * (0: all, the default), so that the scanner's memory stays bounded
 * whatever the number of events in a line: a line of 16M one-byte items
 * would otherwise need 56 bytes of record for each of its two-byte items.
 * items_total still counts every element; jscan_items_at brings the
 * others in.
 */
#define JSCAN_WINDOW_MEMBERS 32768
void jscan_set_window(struct jscan *sc, size_t window);

/*
 * jscan_set_items_key(sc, key):
 * Record the elements of the root object's member `key` (a string the
 * caller keeps while the scanner is used; NULL: "items", the default),
 * its key read as jansson reads keys, in place of `items`: a CloudWatch
 * Logs subscription record holds its events in `logEvents`.  Kept across
 * jscan_free, as the window is.
 */
void jscan_set_items_key(struct jscan *sc, const char *key);

/*
 * jscan_items_at(sc, index):
 * After jscan_line or jscan_frame returned JSCAN_OK, or JSCAN_INVALID with
 * at least index + 1 whole elements (items_total): make element `index`
 * (< items_total) one of those recorded, scanning the line again (the
 * text given to the scan, which the caller still keeps) from the nearest
 * recorded point, a window's elements at a time; the spans it records are
 * those the first scan would have recorded.  Earlier pointers into
 * sc->items and sc->members are invalid afterwards.  Returns a pointer to
 * the element, its members indexing sc->members, or NULL when memory runs
 * out.
 */
const struct jobject *jscan_items_at(struct jscan *sc, size_t index);

/*
 * jscan_item(sc, index):
 * jscan_items_at, inline while element `index` is in the window.
 */
static inline const struct jobject *
jscan_item(struct jscan *sc, size_t index)
{
	if (index >= sc->items_base && index - sc->items_base < sc->nitems)
		return &sc->items[index - sc->items_base];
	return jscan_items_at(sc, index);
}

/*
 * jscan_trim(sc, keep):
 * Release the scanner's arrays (as jscan_free) when together they take
 * more than `keep` bytes, so that one huge line does not keep its memory
 * for good while the arrays of ordinary lines are reused.
 */
void jscan_trim(struct jscan *sc, size_t keep);

/*
 * jscan_line(sc, text, len, max_depth, reason, reasonlen):
 * Scan `len` bytes of `text` (a top-level object or array, surrounded by
 * optional whitespace).  On JSCAN_OK the spans in *sc refer to `text`, which
 * the caller keeps alive while using them.  Otherwise a one-line reason
 * naming the byte offset goes to `reason`.
 */
enum jscan_status jscan_line(struct jscan *sc, const char *text, size_t len,
    size_t max_depth, char *reason, size_t reasonlen);

/*
 * jscan_frame(sc, text, len, max_depth, reason, reasonlen):
 * jscan_line, except that damage the grammar can step over stays inside
 * the value it is in: a string with invalid UTF-8, an invalid escape or a
 * raw control character, a number jansson cannot hold, nesting past
 * `max_depth` (stepped over without recursion), a key with \u0000.  Each
 * is recorded (enum jbad) in the `bad` of the member, event (items[i]) and
 * root that hold it, and the scan goes on; JSCAN_OK then means the line
 * frames, not that every span is valid: a span with `bad` set must never
 * be given to the jsonspan readers.  JSCAN_INVALID only for text whose
 * structure breaks (unterminated, stray or missing punctuation); never
 * JSCAN_TOO_DEEP.  Nested values past `max_depth` are checked for their
 * tokens and balance only.
 */
enum jscan_status jscan_frame(struct jscan *sc, const char *text,
    size_t len, size_t max_depth, char *reason, size_t reasonlen);

/*
 * jspan_is(text, s, name):
 * True when the bytes of span `s` of `text` are exactly C string `name`.
 */
static inline bool
jspan_is(const char *text, struct jspan s, const char *name)
{
	size_t n = strlen(name);

	return s.len == n && memcmp(text + s.off, name, n) == 0;
}

/*
 * jscan_hex_digit(c):
 * The value of hexadecimal digit `c` (either case), or -1 when it is none.
 */
static inline int
jscan_hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * jscan_key_is(text, m, key):
 * True when member `m` of `text` has the unescaped key `key`.
 */
static inline bool
jscan_key_is(const char *text, const struct jmember *m, const char *key)
{
	return !m->key_escaped && jspan_is(text, m->key, key);
}

/*
 * jscan_key_reads_as(text, m, key):
 * True when member `m` of `text` has key `key` as jansson reads keys, its
 * escapes decoded (`"\u006bind"` reads as kind).  A damaged key (JBAD_KEY)
 * reads as nothing.  Takes O(strlen(key)) steps whatever the key's length.
 */
bool jscan_key_reads_as(const char *text, const struct jmember *m,
    const char *key);

/*
 * jscan_find(members, count, text, key):
 * The member of members[0..count) whose unescaped key is `key`, or NULL.
 */
const struct jmember *jscan_find(const struct jmember *members, size_t count,
    const char *text, const char *key);

/*
 * jscan_last(members, count, text, key):
 * The member of members[0..count) that jansson keeps for `key`: the last
 * whose key reads as `key` (jscan_key_reads_as), or NULL.
 */
const struct jmember *jscan_last(const struct jmember *members, size_t count,
    const char *text, const char *key);

#endif /* !JSONSCAN_H */
