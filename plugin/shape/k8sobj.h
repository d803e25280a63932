/*
 * k8sobj: build the flat `k8s` object of rule-ready fields.
 *
 * Every value is a bounded scalar: strings are valid UTF-8 of at most
 * K8SOBJ_MAX_TEXT bytes (longer text ends in "..."), so the object itself
 * can never push an event past analysisd's datagram limit.  Errors are
 * sticky: after the first failure every setter is a no-op and the builder
 * reports the error once, at the end (k8sobj_finish), which keeps the many
 * small derive functions free of error plumbing without ignoring anything.
 */
#ifndef K8SOBJ_H
#define K8SOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <jansson.h>

#include "jsonout.h"

#define K8SOBJ_MAX_TEXT 1024

struct k8sobj {
	struct jsonout text;	/* "{" and the members so far */
	size_t members;
	int err;	/* 0 or the first negative errno */
};

/*
 * The object as compact JSON text without its closing brace, so that a
 * member can still be appended (fit's k8s.dropped).
 */
struct k8stext {
	char *text;	/* owned: "{..." */
	size_t len;
	size_t fields;	/* members, each one analysisd field */
};

/* Comma-joined, deduplicated list of items, in order of first appearance. */
struct strlist {
	char *buf;	/* NUL-terminated, owned */
	size_t len, cap;
	size_t count;
	bool full;	/* items were left out: the text ends in ",..." */
	int err;	/* 0 or -ENOMEM */
};

/*
 * k8sobj_init(o): start an empty object.
 * k8sobj_finish(o, out): hand the object over as a jansson object (*out
 * owns a reference) and return 0, or free everything and return the first
 * error.
 * k8sobj_finish_text(o, out): hand it over as text (*out owns out->text),
 * or free everything and return the first error.
 * Names are static identifiers, each set at most once per object.
 */
void k8sobj_init(struct k8sobj *o);
int k8sobj_finish(struct k8sobj *o, json_t **out);
int k8sobj_finish_text(struct k8sobj *o, struct k8stext *out);

/*
 * Setters: add member `name` (a static string) to the object.
 * k8sobj_text: `len` bytes of `s`; invalid UTF-8 and NULs become '?', text
 *     longer than K8SOBJ_MAX_TEXT is cut at a character boundary and ends
 *     in "...".
 * k8sobj_str: as k8sobj_text for a NUL-terminated string; NULL sets nothing.
 * k8sobj_bool, k8sobj_int: JSON true/false, JSON integer.
 * k8sobj_list: the list's text when it has at least one item; records the
 *     list's own error.
 */
void k8sobj_text(struct k8sobj *o, const char *name, const char *s, size_t len);
void k8sobj_str(struct k8sobj *o, const char *name, const char *s);
void k8sobj_bool(struct k8sobj *o, const char *name, bool v);
void k8sobj_int(struct k8sobj *o, const char *name, long long v);
void k8sobj_list(struct k8sobj *o, const char *name, const struct strlist *l);

/*
 * strlist_init / strlist_free: an empty list / release its text.
 * strlist_add(l, s, len): append an item unless empty or already present.
 *     Items stop being added once the text would exceed K8SOBJ_MAX_TEXT
 *     (l->full).  Allocation failure sets l->err = -ENOMEM.
 * strlist_add_str: the same for a NUL-terminated string (NULL ignored).
 */
void strlist_init(struct strlist *l);
void strlist_free(struct strlist *l);
void strlist_add(struct strlist *l, const char *s, size_t len);
void strlist_add_str(struct strlist *l, const char *s);

/*
 * Read-only access to audit JSON; all return NULL/false when a member is
 * missing or has another type.
 * jget(v, key): member `key` of object `v`.
 * jstr(v, key): that member's string value.
 * jobj(v, key) / jarr(v, key): that member when it is an object / array.
 * jtrue(v, key) / jfalse(v, key): that member is JSON true / false.
 */
static inline json_t *jget(const json_t *v, const char *key)
{
	return json_is_object(v) ? json_object_get(v, key) : NULL;
}

static inline const char *jstr(const json_t *v, const char *key)
{
	return json_string_value(jget(v, key));
}

static inline json_t *jobj(const json_t *v, const char *key)
{
	json_t *m = jget(v, key);

	return json_is_object(m) ? m : NULL;
}

static inline json_t *jarr(const json_t *v, const char *key)
{
	json_t *m = jget(v, key);

	return json_is_array(m) ? m : NULL;
}

static inline bool jtrue(const json_t *v, const char *key)
{
	return json_is_true(jget(v, key));
}

static inline bool jfalse(const json_t *v, const char *key)
{
	return json_is_false(jget(v, key));
}

/* True when a string member `key` of `v` equals `s`. */
static inline bool jstreq(const json_t *v, const char *key, const char *s)
{
	const char *m = jstr(v, key);

	return m != NULL && s != NULL && strcmp(m, s) == 0;
}

/*
 * text_bound(s, len, out, cap):
 * Copy at most `cap - 1` bytes of `s` into `out` as valid UTF-8 (invalid
 * bytes and NULs become '?'); when `s` does not fit, cut at a character
 * boundary and end with "...".  `cap` must be at least 4.  Returns the
 * length written (NUL not counted).
 */
size_t text_bound(const char *s, size_t len, char *out, size_t cap);

#endif /* !K8SOBJ_H */
