/*
 * Unit tests of plugin/json/jsonspan.c, checked against jansson on text that
 * jscan_line validated:
 * - jspan_next lists the members of an object exactly: the keys in the
 *   order the text writes them and value spans that hold jansson's values,
 *   for every object of every corpus event, as the files write them and
 *   re-rendered compact and indented, and for a table of edge cases;
 * - jspan_load_unique tells a repeated key at any depth (an escaped
 *   spelling too), and none inside strings;
 * - jspan_string unescapes every string as jansson does, byte for byte;
 * - jspan_load builds the value json_loadb builds.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "corpus.h"
#include "jsonscan.h"
#include "jsonspan.h"
#include "tap.h"

#define MAX_DEPTH 64
#define LOAD_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* Failures reported in detail before the rest are only counted. */
#define MAX_DIAG 10

static json_t *
load_span(const char *text, struct jspan s)
{
	return json_loadb(text + s.off, s.len, LOAD_FLAGS, NULL);
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ---- jspan_next against jansson ------------------------------------------ */

struct tally {
	size_t objects, members, bad;
	size_t loads, load_bad;	/* jspan_load of whole documents */
};

static void
complain(struct tally *t, const char *what, const char *text,
    struct jspan s, const char *why)
{
	if (t->bad++ < MAX_DIAG)
		diag("%s: %s in %.200s", what, why, text + s.off);
}

/* The key of `m` as jansson reads it (a new string), or NULL. */
static json_t *
key_of(const char *text, const struct jspan_member *m)
{
	struct jspan quoted = { m->key.off - 1, m->key.len + 2 };

	if (m->key.off == 0 || text[quoted.off] != '"' ||
	    text[m->key.off + m->key.len] != '"')
		return NULL;
	return load_span(text, quoted);
}

static bool
span_is_tight(const char *text, struct jspan s)
{
	return s.len > 0 && !is_ws(text[s.off]) && !is_ws(text[s.off + s.len - 1]);
}

/* One member as listed, with jansson's reading of its key and value. */
struct listed {
	struct jspan_member m;
	json_t *key, *value;
};

/*
 * The members jspan_next lists for `obj` into *l (*n of them); false when
 * memory ran out or jspan_next, once done, lists one more.
 */
static bool
list_members(const char *text, struct jspan obj, struct listed **l,
    size_t *n)
{
	struct listed *more;
	struct jspan_member m;
	size_t pos = 0, cap = 0;

	*l = NULL;
	*n = 0;
	while (jspan_next(text, obj, &pos, &m)) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			if ((more = realloc(*l, cap * sizeof(**l))) == NULL)
				return false;
			*l = more;
		}
		(*l)[*n].m = m;
		(*l)[*n].key = key_of(text, &m);
		(*l)[*n].value = load_span(text, m.value);
		(*n)++;
	}
	/* Exhausted stays exhausted. */
	return !jspan_next(text, obj, &pos, &m);
}

static void
free_members(struct listed *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_decref(l[i].key);
		json_decref(l[i].value);
	}
	free(l);
}

/*
 * The members jspan_next lists for the object `obj` (jansson's value of it:
 * `want`) are jansson's: when no key repeats, the same keys in the same
 * order; always, every value span tight around a value that parses, and the
 * last value of each key equal to jansson's.  Objects among the values are
 * checked the same way.
 */
static void
check_object(const char *text, struct jspan obj, const json_t *want,
    struct tally *t, const char *what)
{
	struct listed *l;
	size_t n, i, j, distinct = 0;
	bool listed = list_members(text, obj, &l, &n), repeated = false, last;
	void *iter = json_object_iter((json_t *)want);
	const char *why = NULL, *k;
	struct jspan where = obj;

	t->objects++;
	t->members += n;
	if (!listed)
		why = "out of memory, or a member after the last";
	for (i = 0; why == NULL && i < n; i++) {
		where = l[i].m.value;
		if (l[i].key == NULL || l[i].value == NULL ||
		    !span_is_tight(text, l[i].m.value))
			why = "member span not a tight key and value";
		else if (l[i].m.key_escaped != (memchr(text + l[i].m.key.off,
		    '\\', l[i].m.key.len) != NULL))
			why = "key_escaped wrong";
		for (j = 0; j < i; j++)
			repeated |= json_equal(l[i].key, l[j].key);
	}
	/* With repeated keys jansson keeps the last value, in its own order. */
	for (i = 0; why == NULL && i < n; i++) {
		k = json_string_value(l[i].key);
		where = l[i].m.value;
		for (j = i + 1, last = true; j < n; j++)
			last &= !json_equal(l[i].key, l[j].key);
		distinct += last;
		if (!repeated && (iter == NULL ||
		    strcmp(json_object_iter_key(iter), k) != 0))
			why = "key not jansson's next";
		else if (last && !json_equal(l[i].value, json_object_get(want, k)))
			why = "value not jansson's";
		else if (last && json_is_object(l[i].value))
			check_object(text, l[i].m.value, json_object_get(want, k),
			    t, what);
		if (!repeated)
			iter = json_object_iter_next((json_t *)want, iter);
	}
	if (why == NULL && distinct != json_object_size(want)) {
		where = obj;
		why = "members missed";
	}
	if (why != NULL)
		complain(t, what, text, where, why);
	free_members(l, n);
}

static bool
load_matches(const char *text, struct jspan s, const json_t *want)
{
	json_t *got = jspan_load(text, s);
	bool same = json_equal(got, want);

	json_decref(got);
	return same;
}

/*
 * Scan `len` bytes of `text` (a document: an Event or an EventList) and
 * check every object of every event it holds against jansson's parse of
 * that event's text.
 */
static bool
check_document(struct jscan *sc, const char *text, size_t len,
    struct tally *t, const char *what)
{
	char reason[128];
	json_t *v;
	size_t i;

	if (jscan_line(sc, text, len, MAX_DEPTH, reason, sizeof(reason)) !=
	    JSCAN_OK) {
		diag("%s: not scanned: %s", what, reason);
		return false;
	}
	/* The document itself, then the events of a list. */
	if ((v = load_span(text, sc->root_span.span)) == NULL)
		return false;
	if (json_is_object(v))
		check_object(text, sc->root_span.span, v, t, what);
	t->loads++;
	if (!load_matches(text, sc->root_span.span, v)) {
		t->load_bad++;
		diag("%s: jspan_load differs from json_loadb", what);
	}
	json_decref(v);
	for (i = 0; sc->has_items && i < sc->nitems; i++) {
		if (!sc->items[i].is_object)
			continue;
		if ((v = load_span(text, sc->items[i].span)) == NULL)
			return false;
		check_object(text, sc->items[i].span, v, t, what);
		json_decref(v);
	}
	return true;
}

static bool
is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_ws(s[i]))
			return false;
	return true;
}

/*
 * Check the documents of corpus file `name` (its text: `text`): each
 * non-blank line of a .jsonl file, the whole of a .json file.  Returns how
 * many were checked; *good turns false when one did not scan.
 */
static size_t
check_file(struct jscan *sc, const char *name, const char *text,
    struct tally *t, bool *good)
{
	const char *line, *nl;
	size_t docs = 0, n;

	if (strncmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3;
	if (strstr(name, ".jsonl") == NULL) {
		*good = check_document(sc, text, strlen(text), t, name) && *good;
		return 1;
	}
	for (line = text; *line != '\0'; line += n + (line[n] == '\n')) {
		nl = strchr(line, '\n');
		n = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (is_blank(line, n))
			continue;
		*good = check_document(sc, line, n, t, name) && *good;
		docs++;
	}
	return docs;
}

/* The corpus files as they are: their own spacing and escapes. */
static void
test_next_raw(void)
{
	struct tally t = { 0, 0, 0, 0, 0 };
	struct jscan sc;
	char **names, path[4096], *text;
	size_t n, i, len, docs = 0;
	bool good = true;

	jscan_init(&sc);
	names = corpus_files(&n);
	for (i = 0; names != NULL && i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), names[i]);
		if ((text = corpus_read(path, &len)) == NULL) {
			good = false;
			continue;
		}
		docs += check_file(&sc, names[i], text, &t, &good);
		free(text);
	}
	corpus_files_free(names);
	jscan_free(&sc);
	ok(good && t.bad == 0 && docs > 100 && t.objects > 1000,
	    "corpus files as written: jspan_next lists jansson's members "
	    "(%zu documents, %zu objects, %zu members, %zu wrong)", docs,
	    t.objects, t.members, t.bad);
	ok(good && t.load_bad == 0 && t.loads == docs, "corpus files as "
	    "written: jspan_load = json_loadb (%zu documents, %zu wrong)",
	    t.loads, t.load_bad);
}

/* The corpus events re-rendered by jansson as one EventList. */
/*
 * The events as one EventList line written with jansson `flags`, scanned:
 * true when the scan finds every event.  The caller frees *text and sc.
 */
static bool
render_scanned(const json_t *events, size_t flags, char **text,
    struct jscan *sc)
{
	json_t *list = json_pack("{s:s,s:s,s:O}", "kind", "EventList",
	    "apiVersion", "audit.k8s.io/v1", "items", events);
	char reason[128];

	*text = json_dumps(list, flags);
	json_decref(list);
	jscan_init(sc);
	return *text != NULL && jscan_line(sc, *text, strlen(*text), MAX_DEPTH,
	    reason, sizeof(reason)) == JSCAN_OK &&
	    sc->nitems == json_array_size(events);
}

static void
test_next_rendered(const json_t *events, size_t flags, const char *how)
{
	struct tally t = { 0, 0, 0, 0, 0 };
	struct jscan sc;
	size_t i, keys_wrong = 0;
	char *text;
	bool good = render_scanned(events, flags, &text, &sc), repeated;
	json_t *loaded;

	for (i = 0; good && i < sc.nitems; i++) {
		const json_t *ev = json_array_get(events, i);

		check_object(text, sc.items[i].span, ev, &t, how);
		/* jansson writes no repeated key. */
		loaded = jspan_load_unique(text, sc.items[i].span, &repeated);
		if ((repeated || !json_equal(loaded, ev)) &&
		    keys_wrong++ < MAX_DIAG)
			diag("%s: event %zu: jspan_load_unique: %s", how, i,
			    repeated ? "a repeat" : "another value");
		json_decref(loaded);
	}
	ok(good && t.bad == 0 && t.objects > 1000, "%s corpus: jspan_next "
	    "lists jansson's members (%zu objects, %zu members, %zu wrong)",
	    how, t.objects, t.members, t.bad);
	ok(good && keys_wrong == 0, "%s corpus: jspan_load_unique of each "
	    "event is jansson's value, without a repeat (%zu wrong)", how,
	    keys_wrong);
	jscan_free(&sc);
	free(text);
}

/* ---- jspan_next edge cases ----------------------------------------------- */

struct want_member {
	const char *key, *value;	/* raw text, as written */
	bool escaped;
};

static const struct {
	const char *name, *text;
	size_t n;
	struct want_member m[4];
} next_cases[] = {
	{ "empty object", "{}", 0, { { NULL, NULL, false } } },
	{ "empty object with whitespace", "{ \t\r\n }", 0,
	  { { NULL, NULL, false } } },
	{ "one number", "{\"a\":1}", 1, { { "a", "1", false } } },
	{ "empty key and empty string", "{\"\":\"\"}", 1,
	  { { "", "\"\"", false } } },
	{ "escaped quote in a value", "{\"a\":\"x\\\"y\",\"b\":2}", 2,
	  { { "a", "\"x\\\"y\"", false }, { "b", "2", false } } },
	{ "backslash before an escaped quote", "{\"a\":\"a\\\\\\\"b\",\"b\":1}",
	  2, { { "a", "\"a\\\\\\\"b\"", false }, { "b", "1", false } } },
	{ "string of two escaped backslashes", "{\"a\":\"\\\\\\\\\",\"b\":\"\\\\\"}",
	  2, { { "a", "\"\\\\\\\\\"", false }, { "b", "\"\\\\\"", false } } },
	{ "structural characters in strings",
	  "{\"a\":\"},{[]:,\",\"b\":{\"c\":\"\\\"}\"},\"d\":[\"]\",\"\\\\\"]}", 3,
	  { { "a", "\"},{[]:,\"", false }, { "b", "{\"c\":\"\\\"}\"}", false },
	    { "d", "[\"]\",\"\\\\\"]", false } } },
	{ "escaped keys", "{\"k\\u0038s\":1,\"a\\\"b\":2,\"\\\\\":3,\"p\":4}", 4,
	  { { "k\\u0038s", "1", true }, { "a\\\"b", "2", true },
	    { "\\\\", "3", true }, { "p", "4", false } } },
	{ "whitespace everywhere",
	  "{ \"a\" : 1 ,\n\"b\"\n:\n[ 1 , 2 ]\t,\r\"c\" :\t{ \"d\" : \"e\" } \n}", 3,
	  { { "a", "1", false }, { "b", "[ 1 , 2 ]", false },
	    { "c", "{ \"d\" : \"e\" }", false } } },
	{ "real as the last member", "{\"a\":\"x\",\"b\":-1.5e+3}", 2,
	  { { "a", "\"x\"", false }, { "b", "-1.5e+3", false } } },
	{ "literals, the last before whitespace",
	  "{\"t\":true,\"f\":false,\"n\":null }", 3,
	  { { "t", "true", false }, { "f", "false", false },
	    { "n", "null", false } } },
	{ "zero before a newline", "{\"z\":0\n}", 1, { { "z", "0", false } } },
	{ "empty containers", "{\"o\":{},\"a\":[]}", 2,
	  { { "o", "{}", false }, { "a", "[]", false } } },
	{ "UTF-8 key and value", "{\"\xc3\xa9\":\"\xf0\x9f\x98\x80\"}", 1,
	  { { "\xc3\xa9", "\"\xf0\x9f\x98\x80\"", false } } },
	{ "deep nesting", "{\"a\":[[{\"b\":[{}]}]],\"c\":{\"d\":{\"e\":{}}}}", 2,
	  { { "a", "[[{\"b\":[{}]}]]", false },
	    { "c", "{\"d\":{\"e\":{}}}", false } } },
};

static bool
span_is(const char *text, struct jspan s, const char *want)
{
	return s.len == strlen(want) && memcmp(text + s.off, want, s.len) == 0;
}

/* The members listed for `text` (an object) are exactly `want[0..n)`. */
static bool
members_are(const char *text, struct jspan obj, const struct want_member *want,
    size_t n)
{
	struct jspan_member m;
	size_t pos = 0, i = 0;

	for (; jspan_next(text, obj, &pos, &m); i++) {
		if (i >= n || !span_is(text, m.key, want[i].key) ||
		    !span_is(text, m.value, want[i].value) ||
		    m.key_escaped != want[i].escaped) {
			diag("member %zu: key '%.*s' value '%.*s' escaped %d", i,
			    (int)m.key.len, text + m.key.off, (int)m.value.len,
			    text + m.value.off, m.key_escaped);
			return false;
		}
	}
	return i == n;
}

static void
test_next_table(void)
{
	struct tally t = { 0, 0, 0, 0, 0 };
	char reason[128];
	struct jscan sc;
	json_t *v;
	size_t i;

	jscan_init(&sc);
	for (i = 0; i < sizeof(next_cases) / sizeof(*next_cases); i++) {
		const char *text = next_cases[i].text;
		bool good = jscan_line(&sc, text, strlen(text), MAX_DEPTH,
		    reason, sizeof(reason)) == JSCAN_OK;

		good = good && members_are(text, sc.root_span.span,
		    next_cases[i].m, next_cases[i].n);
		/* And jansson agrees with the table. */
		t.bad = 0;
		if (good && (v = load_span(text, sc.root_span.span)) != NULL) {
			check_object(text, sc.root_span.span, v, &t,
			    next_cases[i].name);
			json_decref(v);
		}
		ok(good && t.bad == 0, "jspan_next: %s", next_cases[i].name);
	}
	jscan_free(&sc);
}

/*
 * Escapes at every position of keys and values up to 40 bytes long: the
 * reader skips strings eight bytes at a time and must stop at the right
 * quote wherever the escapes lie.
 */
static bool
escape_at_agrees(const char *text, size_t n, size_t klen)
{
	struct jspan_member m[2];
	struct jscan sc;
	char reason[128], *buf = malloc(n + 1);
	size_t pos = 0, got = 0, ulen;
	json_t *v = json_loadb(text, n, 0, NULL);
	json_t *want;
	bool good;

	jscan_init(&sc);
	good = buf != NULL && v != NULL && jscan_line(&sc, text, n, MAX_DEPTH,
	    reason, sizeof(reason)) == JSCAN_OK;
	while (good && got < 2 && jspan_next(text, sc.root_span.span, &pos,
	    &m[got]))
		got++;
	good = good && got == 2 && !jspan_next(text, sc.root_span.span, &pos,
	    &m[0]) && m[0].key.len == klen && m[0].key_escaped &&
	    span_is(text, m[1].key, "z") && !m[1].key_escaped;
	if (good) {
		want = json_object_iter_value(json_object_iter(v));
		ulen = jspan_string(text, m[0].value, buf);
		good = json_is_string(want) && ulen == json_string_length(want) &&
		    memcmp(buf, json_string_value(want), ulen) == 0;
	}
	jscan_free(&sc);
	json_decref(v);
	free(buf);
	return good;
}

static void
test_next_escape_positions(void)
{
	static const char *const escapes[] = {
		"\\\"", "\\\\", "\\n", "\\u00e9", "\\\\\\\"", "\\ud83d\\ude00",
	};
	char key[128], text[256];
	size_t bad = 0, cases = 0;

	for (size_t len = 0; len <= 40; len++) {
		for (size_t at = 0; at <= len; at++) {
			for (size_t k = 0; k < sizeof(escapes) /
			    sizeof(*escapes); k++) {
				int n;

				snprintf(key, sizeof(key), "%.*s%s%.*s", (int)at,
				    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
				    escapes[k], (int)(len - at),
				    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
				n = snprintf(text, sizeof(text),
				    "{\"%s\":\"%s\",\"z\":1}", key, key);
				cases++;
				if (!escape_at_agrees(text, (size_t)n,
				    strlen(key)))
					bad++;
			}
		}
	}
	ok(bad == 0, "jspan_next and jspan_string: %zu objects with an escape "
	    "at every position of a key and a value (%zu wrong)", cases, bad);
}

/* Values that are not objects list nothing. */
static void
test_next_not_object(void)
{
	static const char text[] = "[\"{\\\"a\\\":1}\",7,true,null,[{\"a\":1}],"
	    "\"\",-0.5,{\"a\":1}]";
	struct jspan_member m;
	char reason[128];
	struct jscan sc;
	size_t i, pos, listed = 0;

	jscan_init(&sc);
	if (jscan_line(&sc, text, strlen(text), MAX_DEPTH, reason,
	    sizeof(reason)) != JSCAN_OK)
		sc.nitems = 0;
	ok(sc.nitems == 8, "array of values scanned (%zu)", sc.nitems);
	for (i = 0; i + 1 < sc.nitems; i++) {
		pos = 0;
		listed += jspan_next(text, sc.items[i].span, &pos, &m);
	}
	ok(listed == 0, "jspan_next: strings, numbers, literals and arrays "
	    "list no member (%zu listed)", listed);
	pos = 0;
	ok(sc.nitems == 8 && jspan_next(text, sc.items[7].span, &pos, &m) &&
	    span_is(text, m.key, "a"), "jspan_next: the object in the same "
	    "array does");
	pos = 0;
	ok(!jspan_next(text, sc.root_span.span, &pos, &m),
	    "jspan_next: the array itself lists no member");
	jscan_free(&sc);
}

/* ---- jspan_load_unique -------------------------------------------------- */

/* `s` with newlines written as \n, to keep a TAP line one line. */
static const char *
one_line(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	for (; *s != '\0' && n + 3 < size; s++) {
		if (*s == '\n') {
			buf[n++] = '\\';
			buf[n++] = 'n';
		} else {
			buf[n++] = *s;
		}
	}
	buf[n] = '\0';
	return buf;
}

static void
test_unique(void)
{
	static const struct {
		const char *text;
		bool repeated;
	} cases[] = {
		{ "{\"a\":{\"b\":1,\"b\":2},\"c\":[{\"d\":1}]}", true },
		{ "{\"a\":\"x:y\",\"b:c\":\"::\"}", false },
		{ "{\"a\\\":\":\"\\\\\\\":\",\"b\":\"\\\\\"}", false },
		{ "{}", false },
		{ "[]", false },
		{ "[\"a:b\",\"{\\\"c\\\":1,\\\"c\\\":2}\"]", false },
		{ "[{\"a\":1},{\"b\":{\"c\":null}},[[{\"d\":[]}]]]", false },
		{ "[{\"a\":1},{\"a\":1}]", false },
		{ "{\"a\":{\"b\":1},\"c\":{\"b\":2}}", false },
		{ "{ \"a\" : { \"b\" : 1 } ,\n\"a\" : [ ] }", true },
		{ "{\"k\":{\"k\":{\"k\":{\"k\":{}}}},\"k\":1}", true },
		{ "{\"a\":1,\"\\u0061\":2}", true },
		{ "[[[[{\"x\":1,\"y\":[{\"z\":0,\"z\":0}]}]]]]", true },
	};
	char reason[128], shown[128];
	struct jscan sc;
	size_t i;
	bool scanned, repeated = false;
	json_t *got, *want;

	jscan_init(&sc);
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *text = cases[i].text;

		scanned = jscan_line(&sc, text, strlen(text), MAX_DEPTH, reason,
		    sizeof(reason)) == JSCAN_OK;
		got = scanned ? jspan_load_unique(text, sc.root_span.span,
		    &repeated) : NULL;
		want = json_loads(text, 0, NULL);
		ok(got != NULL && repeated == cases[i].repeated &&
		    json_equal(got, want), "jspan_load_unique(%s): %s, "
		    "jansson's value", one_line(text, shown, sizeof(shown)),
		    cases[i].repeated ? "a repeat" : "no repeat");
		json_decref(got);
		json_decref(want);
	}
	jscan_free(&sc);
}

/* ---- jspan_repeats ------------------------------------------------------- */

/*
 * An object of `n` members "k0", "k1"... (for `prefix`, "k", "kk", "kkk"...:
 * each a prefix of the next), with member `at` (when not 0) named like
 * member `as`: jspan_repeats says what jansson's member count says, below
 * and above the count where it starts hashing.
 */
static void
test_repeats(void)
{
	static const struct {
		size_t n, at, as;
		bool prefix;
	} cases[] = {
		{ 0, 0, 0, false }, { 1, 0, 0, false }, { 2, 1, 0, false },
		{ 2, 0, 0, false }, { 31, 30, 0, false }, { 31, 0, 0, true },
		{ 32, 0, 0, false }, { 32, 31, 0, false }, { 33, 17, 16, false },
		{ 64, 0, 0, true }, { 64, 63, 1, true }, { 1000, 0, 0, false },
		{ 1000, 999, 0, false }, { 1000, 500, 499, false },
		{ 1000, 70, 999, false },
	};
	char reason[128];
	struct jscan sc;

	jscan_init(&sc);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		size_t n = cases[i].n, cap = 16 + n * (n + 16), len = 1, count = 0,
		    pos = 0;
		char *text = malloc(cap);
		struct jspan_member *m = malloc((n + 1) * sizeof(*m));
		bool repeat = false, want = false;
		json_t *parsed = NULL;
		int rc = -1;

		if (text == NULL || m == NULL)
			goto next;
		text[0] = '{';
		for (size_t k = 0; k < n; k++) {
			size_t name = k == cases[i].at && k != 0 ? cases[i].as : k;

			text[len++] = k == 0 ? ' ' : ',';
			if (cases[i].prefix) {
				text[len++] = '"';
				memset(text + len, 'k', name + 1);
				len += name + 1;
				len += (size_t)snprintf(text + len, cap - len, "\":%zu", k);
			} else {
				len += (size_t)snprintf(text + len, cap - len,
				    "\"k%zu\":%zu", name, k);
			}
		}
		memcpy(text + len, "}", 2);
		len++;
		if (jscan_line(&sc, text, len, MAX_DEPTH, reason,
		    sizeof(reason)) != JSCAN_OK ||
		    (parsed = json_loadb(text, len, 0, NULL)) == NULL)
			goto next;
		while (count <= n && jspan_next(text, sc.root_span.span, &pos,
		    &m[count]))
			count++;
		want = json_object_size(parsed) != n;
		if (count == n)
			rc = jspan_repeats(text, &m[0].key, sizeof(*m), count,
			    &repeat);
next:
		ok(rc == 0 && repeat == want, "jspan_repeats: %zu members%s, "
		    "member %zu named as member %zu: %s", n, cases[i].prefix ?
		    " each a prefix of the next" : "", cases[i].at, cases[i].as,
		    want ? "repeat" : "none");
		json_decref(parsed);
		free(m);
		free(text);
	}
	jscan_free(&sc);
}

/* FNV-1a, the hash jsonspan.c files keys by. */
static uint64_t
fnv1a(const char *p, size_t len)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

/*
 * Keys a client chose to fall into one slot of jspan_repeats's table (200
 * members: 512 slots) take it past its probe budget to sorting, which
 * still finds a repeat, or none.
 */
#define COLLIDING 200
static void
test_repeats_colliding(void)
{
	static char keys[COLLIDING][24], text[COLLIDING * 32];
	static struct jspan_member m[COLLIDING];
	size_t found = 0, count, pos, len;
	char reason[128];
	struct jscan sc;

	for (unsigned long c = 0; found < COLLIDING && c < 100000000; c++) {
		int k = snprintf(keys[found], sizeof(keys[found]), "c%lu", c);

		if ((fnv1a(keys[found], (size_t)k) & 511) == 0)
			found++;
	}
	jscan_init(&sc);
	for (int last_is_first = 0; last_is_first < 2; last_is_first++) {
		bool repeat = !last_is_first;
		int rc = -1;

		len = 0;
		for (size_t i = 0; i < COLLIDING; i++)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
			    "%c\"%s\":0", i ? ',' : '{', last_is_first &&
			    i == COLLIDING - 1 ? keys[0] : keys[i]);
		len += (size_t)snprintf(text + len, sizeof(text) - len, "}");
		count = pos = 0;
		if (jscan_line(&sc, text, len, MAX_DEPTH, reason,
		    sizeof(reason)) == JSCAN_OK)
			while (count < COLLIDING && jspan_next(text,
			    sc.root_span.span, &pos, &m[count]))
				count++;
		if (found == COLLIDING && count == COLLIDING)
			rc = jspan_repeats(text, &m[0].key, sizeof(*m), count,
			    &repeat);
		ok(rc == 0 && repeat == (last_is_first == 1), "jspan_repeats: "
		    "%d keys in one slot, %s", COLLIDING, last_is_first ?
		    "the last repeating the first" : "none repeated");
	}
	jscan_free(&sc);
}

/* ---- jspan_string -------------------------------------------------------- */

/*
 * jspan_string of the JSON string text `s` (`len` bytes, quotes included)
 * gives the bytes jansson reads.  The output buffer holds exactly len bytes,
 * the room jspan.h promises to need, so the sanitizers see any overrun.
 */
static bool
string_matches(const char *s, size_t len)
{
	char *wrapped = malloc(len + 2), *out = NULL, reason[128];
	struct jscan sc;
	json_t *want = NULL;
	size_t n = 0;
	bool good = false;

	jscan_init(&sc);
	if (wrapped == NULL)
		goto done;
	/* Validated as jspan.h requires: as the element of an array. */
	wrapped[0] = '[';
	memcpy(wrapped + 1, s, len);
	wrapped[len + 1] = ']';
	if (jscan_line(&sc, wrapped, len + 2, MAX_DEPTH, reason,
	    sizeof(reason)) != JSCAN_OK || sc.nitems != 1 ||
	    (want = load_span(wrapped, sc.items[0].span)) == NULL ||
	    !json_is_string(want) || (out = malloc(len)) == NULL)
		goto done;
	n = jspan_string(wrapped, sc.items[0].span, out);
	good = n == json_string_length(want) &&
	    memcmp(out, json_string_value(want), n) == 0;
done:
	if (!good)
		diag("jspan_string(%.*s): %zu bytes, jansson %zu", (int)len, s, n,
		    want ? json_string_length(want) : 0);
	json_decref(want);
	free(out);
	free(wrapped);
	jscan_free(&sc);
	return good;
}

static void
test_string_table(void)
{
	static const char *const cases[] = {
		"\"\"", "\"plain\"", "\"a\\nb\"", "\"\\t\"", "\"\\\"\"",
		"\"\\\\\"", "\"\\/\"", "\"\\b\"", "\"\\f\"", "\"\\r\"",
		"\"\\u00e9\"", "\"\\u20ac\"", "\"\\ud83d\\ude00\"", "\"\\u0000\"",
		"\"a\\u0000b\\u0000\"", "\"\\u0041\"", "\"\\u007f\"", "\"\\u0080\"",
		"\"\\u07ff\"", "\"\\u0800\"", "\"\\uffff\"", "\"\\uFFFF\"",
		"\"\\uD83D\\uDE00\"", "\"\\udbff\\udfff\"", "\"\\ud800\\udc00\"",
		"\"\\u005c\\u0022\"", "\"\\\\u0041\"", "\"x\\\\\\\"y\"",
		"\"\xc3\xa9\xf0\x9f\x98\x80\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
		"\"end\\\\\"", "\"k\\u0038s \\ud83d\\ude00\\u00e9\\n\"",
	};
	char big[1200];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		ok(string_matches(cases[i], strlen(cases[i])),
		    "jspan_string(%s) = jansson's", cases[i]);
	/* Longer than any small buffer: 1000 bytes of mixed escapes. */
	big[0] = '"';
	for (i = 1; i + 12 < 1000; i += 12)
		memcpy(big + i, "ab\\n\\u00e9\\\\", 12);
	big[i] = '"';
	ok(string_matches(big, i + 1), "jspan_string of %zu bytes of escapes",
	    i + 1);
}

struct string_walk {
	size_t strings, bad;
};

/* Every string (keys too) under `v`, written with the escapes of `flags`. */
static void
walk_strings(const json_t *v, size_t flags, struct string_walk *w)
{
	const char *key;
	json_t *c, *k;
	char *s;
	size_t i;

	if (json_is_string(v)) {
		s = json_dumps(v, JSON_ENCODE_ANY | flags);
		w->strings++;
		if (s == NULL || !string_matches(s, strlen(s)))
			w->bad++;
		free(s);
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, c) {
			k = json_string(key);
			walk_strings(k, flags, w);
			json_decref(k);
			walk_strings(c, flags, w);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, c)
			walk_strings(c, flags, w);
	}
}

static void
test_string_corpus(const json_t *events)
{
	static const struct {
		size_t flags;
		const char *how;
	} ways[] = {
		{ 0, "as jansson writes them" },
		{ JSON_ENSURE_ASCII, "\\u-escaped (ENSURE_ASCII)" },
		{ JSON_ESCAPE_SLASH, "with escaped slashes" },
	};

	for (size_t i = 0; i < sizeof(ways) / sizeof(*ways); i++) {
		struct string_walk w = { 0, 0 };

		walk_strings(events, ways[i].flags, &w);
		ok(w.bad == 0 && w.strings > 10000, "jspan_string: every corpus "
		    "key and string %s = jansson's (%zu strings, %zu wrong)",
		    ways[i].how, w.strings, w.bad);
	}
}

/* ---- jspan_load ---------------------------------------------------------- */

/* jspan_load of every event equals jansson's parse of the same text. */
static void
test_load_corpus(const json_t *events, size_t flags, const char *how)
{
	struct jscan sc;
	size_t i, bad = 0;
	char *text;
	bool good = render_scanned(events, flags, &text, &sc);
	json_t *v;

	for (i = 0; good && i < sc.nitems; i++) {
		v = jspan_load(text, sc.items[i].span);
		if (!json_equal(v, json_array_get(events, i)) && bad++ < MAX_DIAG)
			diag("%s: event %zu differs", how, i);
		json_decref(v);
	}
	ok(good && bad == 0, "jspan_load: every %s corpus event = jansson's "
	    "(%zu wrong)", how, bad);
	jscan_free(&sc);
	free(text);
}

/* Escaped keys and strings longer than jspan_load's stack buffer. */
static void
test_load_long(void)
{
	static const char piece[] = "x\\u00e9\\\\\\\"";	/* x\u00e9\\\" */
	char text[4 * 400 * sizeof(piece)], reason[128], *p = text;
	struct jscan sc;
	json_t *want, *got;
	int i;

	*p++ = '{';
	for (int k = 0; k < 2; k++) {
		*p++ = '"';
		for (i = 0; i < 300; i++, p += sizeof(piece) - 1)
			memcpy(p, piece, sizeof(piece) - 1);
		*p++ = '"';
		*p++ = k == 0 ? ':' : '}';
	}
	*p = '\0';
	jscan_init(&sc);
	want = json_loads(text, LOAD_FLAGS, NULL);
	got = jscan_line(&sc, text, strlen(text), MAX_DEPTH, reason,
	    sizeof(reason)) == JSCAN_OK ? jspan_load(text, sc.root_span.span) :
	    NULL;
	ok(want != NULL && json_equal(got, want), "jspan_load of a %zu-byte "
	    "escaped key and value = jansson's", strlen(text) / 2);
	json_decref(want);
	json_decref(got);
	jscan_free(&sc);
}

static void
test_load_table(void)
{
	static const char *const cases[] = {
		"{\"a\":1,\"a\":2}", "[0,-0,1.0,-0.0,1e5,1E-3,2.5e+2,"
		"9223372036854775807,-9223372036854775808,1.7976931348623157e308,"
		"1e-400,-1e-400,5e-324,0e99999,-0e-0,123456789012345678901234.5]",
		"{ \"k\\u0038s\" : [ true , false , null , \"\\u0000x\" ] }",
		"{\"\":{\"\":[[],{}]},\"\\ud83d\\ude00\":\"\\\\\\\"\"}",
	};
	char reason[128];
	struct jscan sc;
	json_t *want, *got;

	jscan_init(&sc);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *text = cases[i];
		bool scanned = jscan_line(&sc, text, strlen(text), MAX_DEPTH,
		    reason, sizeof(reason)) == JSCAN_OK;

		want = json_loads(text, LOAD_FLAGS, NULL);
		got = scanned ? jspan_load(text, sc.root_span.span) : NULL;
		ok(want != NULL && json_equal(got, want), "jspan_load(%s) = "
		    "jansson's", text);
		json_decref(want);
		json_decref(got);
	}
	jscan_free(&sc);
	test_load_long();
}

/* jspan_load_kept: what a keep list names, nothing else. */
static void
test_load_kept(void)
{
	static const struct jspan_keep leaf[] = { { "x", NULL }, { NULL, NULL } };
	static const struct jspan_keep keep[] = {
		{ "a", NULL }, { "b", leaf }, { "k8s", NULL }, { NULL, NULL },
	};
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "{\"a\":{\"y\":1},\"z\":[1,{\"a\":2}],\"c\":\"\"}",
		    "{\"a\":{\"y\":1}}" },
		{ "{\"b\":{\"x\":[1],\"y\":2}}", "{\"b\":{\"x\":[1]}}" },
		{ "{\"b\":[{\"x\":1,\"y\":2},{\"y\":3},7,\"s\",[{\"x\":4,\"z\":5}]]}",
		    "{\"b\":[{\"x\":1},{},7,\"s\",[{\"x\":4}]]}" },
		{ "{\"a\":1,\"z\":2,\"a\":3}", "{\"a\":3}" },
		{ "{\"k\\u0038s\":true,\"\\u0061\":null}",
		    "{\"k8s\":true,\"a\":null}" },
		{ "{\"z\":{\"a\":1}}", "{}" },
		{ "[{\"a\":1,\"q\":2},{\"r\":3}]", "[{\"a\":1},{}]" },
	};
	char reason[128];
	struct jscan sc;
	json_t *want, *got;

	jscan_init(&sc);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *text = cases[i].text;
		bool scanned = jscan_line(&sc, text, strlen(text), MAX_DEPTH,
		    reason, sizeof(reason)) == JSCAN_OK;

		want = json_loads(cases[i].want, LOAD_FLAGS, NULL);
		got = scanned ? jspan_load_kept(text, sc.root_span.span, keep) :
		    NULL;
		ok(want != NULL && json_equal(got, want), "jspan_load_kept(%s) "
		    "= %s", text, cases[i].want);
		json_decref(want);
		json_decref(got);
	}
	jscan_free(&sc);
}

int
main(void)
{
	json_t *events = corpus_all_events();

	ok(json_array_size(events) > 200, "corpus loaded (%zu events)",
	    json_array_size(events));
	test_next_raw();
	test_next_rendered(events, JSON_COMPACT, "compact");
	test_next_rendered(events, JSON_INDENT(2), "indented");
	test_next_table();
	test_next_not_object();
	test_next_escape_positions();
	test_unique();
	test_repeats();
	test_repeats_colliding();
	test_string_table();
	test_string_corpus(events);
	test_load_corpus(events, JSON_COMPACT, "compact");
	test_load_corpus(events, JSON_INDENT(2), "indented");
	test_load_table();
	test_load_kept();
	json_decref(events);
	return tap_done();
}
