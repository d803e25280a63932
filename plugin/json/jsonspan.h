/*
 * jsonspan: read JSON text that jscan_line has already validated.
 *
 * The fast path looks inside a few values of an event (the members of a
 * request or response body, the entries of a ConfigMap's data) without
 * building a jansson tree.  The text was checked once, so these readers
 * only find boundaries; they must never be given text jscan_line did not
 * accept.
 */
#ifndef JSONSPAN_H
#define JSONSPAN_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "jsonscan.h"

/* One member of an object, as the text writes it. */
struct jspan_member {
	struct jspan key;	/* the key's bytes between its quotes, raw */
	struct jspan value;	/* the value's JSON text */
	bool key_escaped;	/* the key holds backslash escapes */
};

/*
 * jspan_next(text, obj, pos, out):
 * Iterate over the members of the object whose validated JSON text is `obj`
 * (a span of `text`).  Start with *pos = 0; each call stores the next member
 * in *out and returns true, or returns false when there is none left (or
 * `obj` is not an object).  *pos is the iterator's state.
 */
bool jspan_next(const char *text, struct jspan obj, size_t *pos,
    struct jspan_member *out);

/*
 * jspan_next_element(text, arr, pos, out):
 * Iterate over the elements of the array whose validated JSON text is `arr`
 * (a span of `text`), as jspan_next does over members: start with *pos = 0;
 * each call stores the next element's JSON text in *out and returns true,
 * or returns false when there is none left (or `arr` is not an array).
 */
bool jspan_next_element(const char *text, struct jspan arr, size_t *pos,
    struct jspan *out);

/*
 * jspan_repeats(text, keys, stride, count, repeat):
 * Set *repeat to whether two of `count` keys (spans of `text`) hold the
 * same bytes: the first key is *keys, each next one `stride` bytes after
 * the last (the `key` of each element of an array of struct jspan_member
 * or struct jmember).  An object can have any number of members: time
 * O(count) (a hash table), O(count log count) for keys chosen to collide
 * (they are sorted instead), never the pairwise test's O(count^2).
 * Returns 0, or
 * -ENOMEM when memory runs out (then *repeat is false and means nothing).
 */
int jspan_repeats(const char *text, const struct jspan *keys, size_t stride,
    size_t count, bool *repeat);

/*
 * jspan_string(text, value, out):
 * Unescape the validated JSON string `value` (with its quotes) into `out`,
 * which must have room for value.len bytes (unescaping never lengthens a
 * string); returns the length written.  \u0000 yields a NUL byte.  A
 * string jscan_frame found damaged only by JBAD_UTF8 or JBAD_CONTROL is
 * read too: its escapes are valid, its raw bytes are copied as they are.
 */
size_t jspan_string(const char *text, struct jspan value, char *out);

/*
 * Deeper values are not built (jscan_line's callers bound nesting far
 * lower; this only keeps the recursion bounded).
 */
#define JSPAN_MAX_DEPTH 1024

/*
 * jspan_load(text, value):
 * The jansson value of the validated JSON text `value` (a span of `text`),
 * the same value json_loadb gives with JSON_DECODE_ANY | JSON_ALLOW_NUL
 * (a repeated key keeps its last value), built without a second check of
 * the text.  The caller owns the result.  NULL when memory runs out.
 */
json_t *jspan_load(const char *text, struct jspan value);

/*
 * jspan_load_unique(text, value, repeated):
 * jspan_load, and *repeated set to whether an object of `value`, at any
 * depth, repeats a key (as jansson compares keys: unescaped), which the
 * result then holds once, without what its earlier values held.  Found
 * while building: the text is not read a second time.  The caller owns
 * the result.  NULL when memory runs out (then *repeated means nothing).
 */
json_t *jspan_load_unique(const char *text, struct jspan value,
    bool *repeated);

/*
 * What to build of an object: a list ended by a NULL name.  Members named
 * in it are built, with `keep` applied to their value (to each element of
 * an array), or all of it when `keep` is NULL; other members are left out.
 */
struct jspan_keep {
	const char *name;
	const struct jspan_keep *keep;
};

/*
 * jspan_load_kept(text, value, keep):
 * jspan_load, building of each object only what `keep` names (all of the
 * value when `keep` is NULL).  A repeated key still keeps its last value.
 * The caller owns the result.  NULL when memory runs out.
 */
json_t *jspan_load_kept(const char *text, struct jspan value,
    const struct jspan_keep *keep);

#endif /* !JSONSPAN_H */
