/*
 * prune: the part of a request or response body that shaping reads.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "derive.h"
#include "derive_configmap.h"
#include "fingerprint.h"
#include "jsonspan.h"
#include "prune.h"
#include "redact.h"

/* Members of real objects fit here; more go to the heap. */
#define INLINE_MEMBERS 64
/* ConfigMap values up to this size are unescaped on the stack. */
#define STACK_TEXT 4096

/* A body's top-level members: any number, in m[0..n). */
struct members {
	struct jspan_member small[INLINE_MEMBERS];
	struct jspan_member *m;		/* small, or owned when bigger */
	size_t n, cap;
};

static void
members_init(struct members *ms)
{
	ms->m = ms->small;
	ms->n = 0;
	ms->cap = INLINE_MEMBERS;
}

static void
members_free(struct members *ms)
{
	if (ms->m != ms->small)
		free(ms->m);
	members_init(ms);
}

/* Append `m`, doubling the array when full; -ENOMEM when it cannot. */
static int
members_push(struct members *ms, const struct jspan_member *m)
{
	struct jspan_member *grown;
	size_t cap = ms->cap * 2;

	if (ms->n == ms->cap) {
		if (cap > SIZE_MAX / sizeof(*grown))
			return -ENOMEM;
		if (ms->m == ms->small) {
			if ((grown = malloc(cap * sizeof(*grown))) == NULL)
				return -ENOMEM;
			memcpy(grown, ms->small, sizeof(ms->small));
		} else if ((grown = realloc(ms->m, cap * sizeof(*grown))) ==
		    NULL)
			return -ENOMEM;
		ms->m = grown;
		ms->cap = cap;
	}
	ms->m[ms->n++] = *m;
	return 0;
}

/*
 * Parse `v`; when redaction may read it, make sure the parser kept every
 * key: a repeated key hides its first value from redaction, and the bytes
 * that travel would still hold it.
 */
static enum prune_status
load_checked(const char *text, struct jspan v, bool redact, json_t **out)
{
	bool repeated;

	if ((*out = jspan_load_unique(text, v, &repeated)) == NULL)
		return PRUNE_NOMEM;
	if (redact && repeated) {
		json_decref(*out);
		*out = NULL;
		return PRUNE_REFERENCE;
	}
	return PRUNE_OK;
}

enum listing {
	LIST_OK,
	LIST_WHOLE,	/* parse the body whole */
	LIST_NOMEM
};

/*
 * The body's members into *ms, or LIST_WHOLE when it must be parsed whole
 * instead.  A kind that is not a string is read by no one but redaction,
 * which walks into it like into any other member: such bodies are parsed
 * whole.
 */
static enum listing
list_members(const char *text, struct jspan body, struct members *ms)
{
	struct jspan_member m;
	size_t pos = 0;
	bool repeat;

	if (text[body.off] != '{')
		return LIST_WHOLE;
	while (jspan_next(text, body, &pos, &m)) {
		if (m.key_escaped ||
		    (jspan_is(text, m.key, "kind") && text[m.value.off] != '"'))
			return LIST_WHOLE;
		if (members_push(ms, &m) != 0)
			return LIST_NOMEM;
	}
	if (jspan_repeats(text, &ms->m[0].key, sizeof(ms->m[0]),
	    ms->n, &repeat) != 0)
		return LIST_NOMEM;
	return repeat ? LIST_WHOLE : LIST_OK;
}

/* What a ConfigMap's entries are to redaction. */
enum entries {
	ENTRIES_CLEAN,		/* no credential: nothing changes */
	ENTRIES_CREDENTIAL,	/* a plain text credential: it changes */
	ENTRIES_UNSURE		/* parse them to know */
};

/* Is the `len` bytes at `s` a marker, which redaction leaves? */
static bool
is_marker_text(const char *s, size_t len)
{
	return len == FINGERPRINT_LEN && memcmp(s, FINGERPRINT_PREFIX,
	    strlen(FINGERPRINT_PREFIX)) == 0;
}

/* What the ConfigMap entry `e` of `section` is to redaction. */
static enum entries
entry_state(const char *section, const char *text,
    const struct jspan_member *e)
{
	const char *key = text + e->key.off, *s = text + e->value.off + 1;
	size_t len = e->value.len - 2, n;
	char small[STACK_TEXT], *buf = small;
	bool clean;

	/* Redaction reads a map with a "kind" as an object of that kind. */
	if (e->key_escaped || jspan_is(text, e->key, "kind"))
		return ENTRIES_UNSURE;
	if (text[e->value.off] == 'n')
		return configmap_text_is_credential(section, key, e->key.len,
		    NULL, 0) ? ENTRIES_UNSURE : ENTRIES_CLEAN;
	/* Other values are not what a ConfigMap holds: parse them. */
	if (text[e->value.off] != '"')
		return ENTRIES_UNSURE;
	if (memchr(s, '\\', len) == NULL) {
		if (!configmap_text_is_credential(section, key, e->key.len, s,
		    len))
			return ENTRIES_CLEAN;
		return is_marker_text(s, len) ? ENTRIES_UNSURE :
		    ENTRIES_CREDENTIAL;
	}
	if (len > sizeof small && (buf = malloc(len)) == NULL)
		return ENTRIES_UNSURE;
	n = jspan_string(text, e->value, buf);
	clean = !configmap_text_is_credential(section, key, e->key.len, buf, n);
	if (buf != small)
		free(buf);
	/* Escapes may spell a marker: the parsed value tells. */
	return clean ? ENTRIES_CLEAN : ENTRIES_UNSURE;
}

/*
 * A ConfigMap's data or binaryData without a credential: derive lists
 * nothing from it and redaction changes nothing in it, as in an empty map.
 * With a plain text credential redaction changes it: parsing it here would
 * be lost work, as the reference path shapes the event.
 */
static enum entries
configmap_map_clean(unsigned hint, const char *text,
    const struct jspan_member *m)
{
	const char *section = jspan_is(text, m->key, "data") ? "data" : "binaryData";
	enum entries st = ENTRIES_CLEAN;
	struct jspan_member e;
	size_t pos = 0;

	if (!(hint & REDACT_HINT_CONFIGMAP) || (hint & REDACT_HINT_SECRET) ||
	    !(jspan_is(text, m->key, "data") || jspan_is(text, m->key, "binaryData")) ||
	    text[m->value.off] != '{')
		return ENTRIES_UNSURE;
	while (jspan_next(text, m->value, &pos, &e)) {
		switch (entry_state(section, text, &e)) {
		case ENTRIES_CLEAN:
			break;
		case ENTRIES_CREDENTIAL:
			st = ENTRIES_CREDENTIAL;
			break;
		case ENTRIES_UNSURE:
			return ENTRIES_UNSURE;
		}
	}
	return st;
}

static enum prune_status
add(json_t **body, const char *text, const struct jspan_member *m,
    json_t *v)
{
	if (v == NULL)
		return PRUNE_NOMEM;
	if (*body == NULL && (*body = json_object()) == NULL) {
		json_decref(v);
		return PRUNE_NOMEM;
	}
	/* Unescaped keys of a validated text are valid UTF-8 without NUL. */
	return json_object_setn_new_nocheck(*body, text + m->key.off,
	    m->key.len, v) == 0 ? PRUNE_OK : PRUNE_NOMEM;
}

/*
 * Can redaction change the value `v` without a hint?  Its walk never enters
 * a managedFields member (they name fields, never hold values), and those
 * are most of an object's metadata: an object's managedFields are not
 * looked at.  Escaped keys could spell the name: then all of it is.
 */
static bool
may_change(const char *text, struct jspan v)
{
	struct jspan_member e;
	size_t pos = 0;

	/* A number, true, false or null spells none of the names
	 * redact_may_change looks for: spare it the search, which costs
	 * more than the rest of a bare member. */
	if (text[v.off] != '{' && text[v.off] != '[' && text[v.off] != '"')
		return false;
	/* Mostly nothing anywhere: then no need to look member by member. */
	if (!redact_may_change(text + v.off, v.len))
		return false;
	if (text[v.off] != '{')
		return true;
	while (jspan_next(text, v, &pos, &e)) {
		if (e.key_escaped)
			return true;
		if (!jspan_is(text, e.key, "managedFields") &&
		    redact_may_change(text + e.value.off, e.value.len))
			return true;
	}
	return false;
}

/* One member: skipped, stood in for, or parsed. */
static enum prune_status
prune_member(const struct head *h, unsigned hint, unsigned kind_hint,
    const char *text, const struct jspan_member *m, struct pruned *out)
{
	const char *key = text + m->key.off;
	bool hinted = redact_hinted_member(hint, kind_hint, key, m->key.len);
	enum prune_status st;
	bool relevant;
	json_t *v;

	if (hinted) {
		switch (configmap_map_clean(hint | kind_hint, text, m)) {
		case ENTRIES_CLEAN:
			return add(&out->body, text, m, json_object());
		case ENTRIES_CREDENTIAL:
			return PRUNE_REFERENCE;
		case ENTRIES_UNSURE:
			break;
		}
	}
	relevant = hinted || may_change(text, m->value);
	if (!relevant && !derive_reads_member(h, key, m->key.len,
	    text + m->value.off, m->value.len))
		return PRUNE_OK;
	if (!relevant)
		return add(&out->body, text, m, jspan_load_kept(text, m->value,
		    derive_keep(h, key, m->key.len)));
	if ((st = load_checked(text, m->value, true, &v)) != PRUNE_OK)
		return st;
	out->redact = true;
	return add(&out->body, text, m, v);
}

static enum prune_status
prune_members(const struct head *h, const char *text,
    const struct members *ms, struct pruned *out)
{
	unsigned hint = redact_hint_of(h), kind_hint = REDACT_HINT_NONE;
	enum prune_status st;
	size_t i;

	/* The kind first: it says which members redaction reads. */
	for (i = 0; i < ms->n; i++) {
		if (!jspan_is(text, ms->m[i].key, "kind"))
			continue;
		if ((st = add(&out->body, text, &ms->m[i],
		    jspan_load(text, ms->m[i].value))) != PRUNE_OK)
			return st;
		kind_hint = redact_kind_hint(json_string_value(
		    json_object_get(out->body, "kind")));
	}
	for (i = 0; i < ms->n; i++) {
		if (jspan_is(text, ms->m[i].key, "kind"))
			continue;
		if ((st = prune_member(h, hint, kind_hint, text, &ms->m[i],
		    out)) != PRUNE_OK)
			return st;
	}
	return PRUNE_OK;
}

/* Arrays (patches), scalars and unusual objects: all of it. */
static enum prune_status
prune_whole(const struct head *h, const char *text, struct jspan body,
    struct pruned *out)
{
	out->redact = redact_hint_of(h) != REDACT_HINT_NONE ||
	    redact_may_change(text + body.off, body.len);
	/* derive reads objects, and patches that may write a pod spec. */
	if (!out->redact && text[body.off] != '{' &&
	    !(text[body.off] == '[' &&
	    derive_reads_patch(text + body.off, body.len)))
		return PRUNE_OK;
	return load_checked(text, body, out->redact, &out->body);
}

enum prune_status
prune_body(const struct head *h, const char *text, struct jspan body,
    struct pruned *out)
{
	struct members ms;
	enum prune_status st;

	out->body = NULL;
	out->redact = false;
	members_init(&ms);
	switch (list_members(text, body, &ms)) {
	case LIST_OK:
		break;
	case LIST_WHOLE:
		members_free(&ms);
		return prune_whole(h, text, body, out);
	case LIST_NOMEM:
	default:
		members_free(&ms);
		return PRUNE_NOMEM;
	}
	if ((st = prune_members(h, text, &ms, out)) != PRUNE_OK) {
		json_decref(out->body);
		out->body = NULL;
	}
	members_free(&ms);
	return st;
}
