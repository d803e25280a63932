/* Unit tests of plugin/json/jsonscan.c, checked against jansson: the same lines
 * are valid, and every span holds the value jansson finds there. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "corpus.h"
#include "fit.h"
#include "jsonscan.h"
#include "jsonspan.h"
#include "tap.h"

/* Every member span of item `it` parses to the value jansson has. */
static bool
item_matches(const struct jscan *sc, const char *text, size_t i,
    const json_t *item)
{
	const struct jobject *it = &sc->items[i];
	const struct jmember *m;
	struct fit_measure fm;
	json_t *v, *wrap;
	char key[256];
	size_t k;
	bool same = it->is_object && it->count == json_object_size(item);

	for (k = 0; same && k < it->count; k++) {
		m = &sc->members[it->first + k];
		if (m->key.len >= sizeof(key))
			return false;
		memcpy(key, text + m->key.off, m->key.len);
		key[m->key.len] = '\0';
		v = json_loadb(text + m->value.off, m->value.len, JSON_DECODE_ANY,
		    NULL);
		same = v != NULL && json_equal(v, json_object_get(item, key));
		wrap = json_pack("{s:O}", "m", v);
		fit_measure(wrap, &fm);
		same = same && fm.fields == m->fields;
		json_decref(wrap);
		json_decref(v);
	}
	return same;
}

static void
test_corpus(json_t *events, size_t flags, const char *how)
{
	json_t *list = json_pack("{s:s, s:s, s:O}", "kind", "EventList",
	    "apiVersion", "audit.k8s.io/v1", "items", events);
	char *text = json_dumps(list, flags), reason[128];
	struct jscan sc;
	size_t i, good = 0, compact = 0;

	jscan_init(&sc);
	ok(jscan_line(&sc, text, strlen(text), 64, reason, sizeof(reason)) ==
	    JSCAN_OK, "%s corpus EventList scans", how);
	ok(sc.has_items && sc.nitems == json_array_size(events), "%s: %zu "
	    "items found", how, sc.nitems);
	ok(jscan_find(sc.root, sc.nroot, text, "kind") != NULL &&
	    jscan_find(sc.root, sc.nroot, text, "apiVersion") != NULL,
	    "%s: top-level members found", how);
	for (i = 0; i < sc.nitems && i < json_array_size(events); i++) {
		good += item_matches(&sc, text, i, json_array_get(events, i));
		compact += sc.items[i].compact;
	}
	ok(good == json_array_size(events), "%s: every member span holds "
	    "jansson's value and field count (%zu/%zu)", how, good,
	    json_array_size(events));
	ok(flags == JSON_COMPACT ? compact == sc.nitems : compact == 0,
	    "%s: compactness seen (%zu)", how, compact);
	jscan_free(&sc);
	free(text);
	json_decref(list);
}

static bool
jansson_accepts(const char *s, size_t n)
{
	json_t *v = json_loadb(s, n, JSON_ALLOW_NUL, NULL);

	json_decref(v);
	return v != NULL;
}

static bool
scan_accepts(const char *s, size_t n)
{
	struct jscan sc;
	char reason[128];
	bool r;

	jscan_init(&sc);
	r = jscan_line(&sc, s, n, 64, reason, sizeof(reason)) == JSCAN_OK;
	jscan_free(&sc);
	return r;
}

static void
test_table(void)
{
	static const char *const cases[] = {
		"{}", "[]", "[1,-0,0.5,-1.5e+10,2E-3]", "{\"a\":\"\\u00e9\\ud83d\\ude00\"}",
		"{\"a\":\"\xc3\xa9\xf0\x9f\x98\x80\"}", " [ true , false , null ] ",
		"{\"a\":\"\\u0000\"}",
		"", "x", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "[01]", "[1.]",
		"[.5]", "[-]", "[1e]", "[+1]", "[tru]", "[nul]", "{\"a\":1}x",
		"[\"\\x\"]", "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"\\ud800\\u0041\"]",
		"[\"\xc0\xaf\"]", "[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]",
		"[\"\xe2\x82\"]", "[\"a\tb\"]", "[\"\xff\"]", "{1:2}", "\"str\"",
		"7", "[\"unterminated]",
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		size_t n = strlen(cases[i]);

		ok(scan_accepts(cases[i], n) == jansson_accepts(cases[i], n),
		    "agrees with jansson on '%s' (%s)", cases[i],
		    jansson_accepts(cases[i], n) ? "valid" : "invalid");
	}
	ok(scan_accepts("[\"a\\u0000b\"]", 12), "escaped NUL accepted");
}

/* Random one-byte changes of valid lines: the scanner and jansson agree. */
static void
test_mutations(void)
{
	static const char seed[] = "{\"kind\":\"EventList\",\"items\":[{\"a\":"
	    "[1,2.5,-3e2,true,false,null],\"b\":{\"c\":\"x\\u00e9\\n\xc3\xa9\"},"
	    "\"d\":\"\"},{}]}";
	static const char alphabet[] = "{}[],:\"\\ 0123456789.eE+-tfnrul"
	    "\xc3\xa9\xff\x80\xed\x01";
	char buf[sizeof(seed)];
	unsigned long state = 12345;
	size_t i, disagree = 0, valid = 0;

	for (i = 0; i < 200000; i++) {
		memcpy(buf, seed, sizeof(seed));
		state = state * 6364136223846793005ul + 1442695040888963407ul;
		buf[(state >> 33) % (sizeof(seed) - 1)] =
		    alphabet[(state >> 13) % (sizeof(alphabet) - 1)];
		if (scan_accepts(buf, sizeof(seed) - 1) !=
		    jansson_accepts(buf, sizeof(seed) - 1))
			disagree++;
		else
			valid += jansson_accepts(buf, sizeof(seed) - 1);
	}
	ok(disagree == 0, "200000 mutated lines: scanner and jansson agree "
	    "(%zu disagreements, %zu valid)", disagree, valid);
}

/*
 * One special byte sequence at every position of strings of every length
 * up to 40: the scanner looks at sixteen bytes at a time and must find the
 * first one that needs a look whatever its place in the sixteen.
 */
static void
test_positions(void)
{
	static const char *const specials[] = {
		"\x01", "\x1f", "\"", "\\n", "\\u00e9", "\xc3\xa9", "\xff",
		"\xe2\x82", "\x7f", " ", "\xf0\x9f\x98\x80",
	};
	char buf[64];
	size_t disagree = 0, lines = 0;

	for (size_t len = 0; len <= 40; len++) {
		for (size_t at = 0; at <= len; at++) {
			for (size_t k = 0; k < sizeof(specials) /
			    sizeof(*specials); k++) {
				size_t sl = strlen(specials[k]), n = 0;

				buf[n++] = '[';
				buf[n++] = '"';
				memset(buf + n, 'a', at);
				n += at;
				memcpy(buf + n, specials[k], sl);
				n += sl;
				memset(buf + n, 'b', len - at);
				n += len - at;
				buf[n++] = '"';
				buf[n++] = ']';
				lines++;
				if (scan_accepts(buf, n) != jansson_accepts(buf, n))
					disagree++;
			}
		}
	}
	ok(disagree == 0, "%zu lines with a special byte at every position: "
	    "scanner and jansson agree (%zu disagreements)", lines, disagree);
}

static void
test_depth(void)
{
	char text[300];
	struct jscan sc;
	char reason[128];

	jscan_init(&sc);
	memset(text, '[', 64);
	memset(text + 64, ']', 64);
	ok(jscan_line(&sc, text, 128, 64, reason, sizeof(reason)) == JSCAN_OK,
	    "64 levels accepted");
	memset(text, '[', 65);
	memset(text + 65, ']', 65);
	ok(jscan_line(&sc, text, 130, 64, reason, sizeof(reason)) ==
	    JSCAN_TOO_DEEP, "65 levels refused: %s", reason);
	jscan_free(&sc);
}

/* jscan_trim keeps small arrays for the next line, releases big ones. */
static void
test_trim(void)
{
	static const char line[] = "[{\"a\":1,\"b\":2},{\"c\":3}]";
	struct jscan sc;
	char reason[128];
	bool scanned;

	jscan_init(&sc);
	scanned = jscan_line(&sc, line, strlen(line), 64, reason,
	    sizeof(reason)) == JSCAN_OK;
	jscan_trim(&sc, SIZE_MAX);
	ok(scanned && sc.members != NULL && sc.members_cap >= 3 &&
	    sc.items_cap >= 2, "jscan_trim under its bound keeps the arrays");
	scanned = jscan_line(&sc, line, strlen(line), 64, reason,
	    sizeof(reason)) == JSCAN_OK && sc.nitems == 2 && sc.nmembers == 3;
	ok(scanned, "a kept scanner scans the next line afresh");
	jscan_trim(&sc, 0);
	ok(sc.members == NULL && sc.items == NULL && sc.members_cap == 0 &&
	    sc.items_cap == 0, "jscan_trim over its bound releases them");
	jscan_free(&sc);
}

/*
 * jscan_frame (issue 12): damage the grammar steps over is marked on the
 * member, item and root holding it, and the line still frames; jscan_line
 * refuses the same lines as before.
 */
static void
test_frame(void)
{
	static const struct {
		const char *value;	/* member "b" of the second item */
		unsigned bad;		/* what it marks */
	} rows[] = {
		{ "\"a\xff\"", JBAD_UTF8 },
		{ "\"\xc0\xaf\"", JBAD_UTF8 },		/* overlong */
		{ "\"\\ud800\"", JBAD_ESCAPE },
		{ "\"\\udc00\"", JBAD_ESCAPE },
		{ "\"\\ud800\\u0041\"", JBAD_ESCAPE },
		{ "\"\\q\"", JBAD_ESCAPE },
		{ "\"\\u12\"", JBAD_ESCAPE },
		{ "\"a\x01\"", JBAD_CONTROL },
		{ "123456789012345678901234567890", JBAD_NUMBER },
		{ "-9223372036854775809", JBAD_NUMBER },
		{ "1e999", JBAD_NUMBER },
		{ "-1e999", JBAD_NUMBER },
		{ "{\"x\\u0000\":1}", JBAD_NUL_KEY },
		{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"\xff\""
		  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
		  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", JBAD_DEEP | JBAD_UTF8 },
		{ "-0", 0 },
		{ "1e308", 0 },
		{ "9223372036854775807", 0 },
		{ "\"\\ud83d\\ude00\"", 0 },
	};
	char line[1024], reason[128];
	struct jscan sc;
	const struct jmember *b;
	size_t i;

	jscan_init(&sc);
	for (i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		snprintf(line, sizeof(line), "{\"items\":[{\"a\":1},{\"a\":2,"
		    "\"b\":%s,\"c\":3},{\"a\":4}]}", rows[i].value);
		ok(jscan_frame(&sc, line, strlen(line), 64, reason,
		    sizeof(reason)) == JSCAN_OK && sc.nitems == 3 &&
		    sc.items[1].count == 3, "frame %s: frames, 3 items",
		    rows[i].value);
		b = &sc.members[sc.items[1].first + 1];
		ok(b->bad == rows[i].bad && sc.items[1].bad == rows[i].bad &&
		    sc.members[sc.items[1].first].bad == 0 &&
		    sc.members[sc.items[1].first + 2].bad == 0 &&
		    sc.items[0].bad == 0 && sc.items[2].bad == 0 &&
		    sc.root_span.bad == rows[i].bad,
		    "frame %s: marked on its member, item and root only (%#x)",
		    rows[i].value, b->bad);
		ok((jscan_line(&sc, line, strlen(line), 64, reason,
		    sizeof(reason)) == JSCAN_OK) == (rows[i].bad == 0),
		    "frame %s: jscan_line %s it", rows[i].value,
		    rows[i].bad ? "refuses" : "takes");
	}
	snprintf(line, sizeof(line), "{\"items\":[{\"a\\u0000\":1,\"\xff\":2}]}");
	ok(jscan_frame(&sc, line, strlen(line), 64, reason, sizeof(reason)) ==
	    JSCAN_OK && (sc.members[0].bad & JBAD_KEY) &&
	    (sc.members[1].bad & JBAD_KEY), "a damaged key marks its member's key");
	static const char *const broken[] = {
		"{\"items\":[{\"a\":\"x}]}", "{\"items\":[{\"a\" 1}]}",
		"{\"items\":[{\"a\":01}]}", "{\"items\":[{\"a\":[[[[",
		"{\"items\":[{\"a\":\xff}]}",
	};
	for (i = 0; i < sizeof(broken) / sizeof(*broken); i++)
		ok(jscan_frame(&sc, broken[i], strlen(broken[i]), 64, reason,
		    sizeof(reason)) == JSCAN_INVALID, "broken structure does not "
		    "frame: %s", broken[i]);
	jscan_free(&sc);
}

/* jspan_repeats over the scanner's members, as the fast path asks it. */
static bool
repeats(const char *text, const struct jmember *m, size_t count)
{
	bool repeat = true;

	return jspan_repeats(text, &m[0].key, sizeof(*m), count, &repeat) ==
	    0 && repeat;
}

/* Repeated top-level keys: pairs found at any count, none invented. */
static void
test_repeats(void)
{
	size_t n = 50000, i, len = 0;
	char *text = malloc(n * 16 + 16), reason[128];
	struct jscan sc;

	jscan_init(&sc);
	len += (size_t)sprintf(text, "{");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "%s\"k%zu\":1", i ? "," : "",
		    i);
	len += (size_t)sprintf(text + len, "}");
	ok(jscan_line(&sc, text, len, 64, reason, sizeof(reason)) == JSCAN_OK &&
	    !repeats(text, sc.root, sc.nroot), "50k distinct keys: "
	    "no repeat");
	text[len - 1] = ',';
	len += (size_t)sprintf(text + len, "\"k123\":2}");
	ok(jscan_line(&sc, text, len, 64, reason, sizeof(reason)) == JSCAN_OK &&
	    repeats(text, sc.root, sc.nroot), "50k keys, one repeated "
	    "at the end: found");
	ok(repeats(text, sc.root, 3) == false &&
	    repeats(text, sc.root + 123, 2) == false,
	    "few keys: the pairwise check");
	jscan_free(&sc);
	free(text);
}

/*
 * Real numbers per item: jansson writes them back in its own form, longer
 * or shorter, which the fast path must allow for.  "-0" and "12" are
 * integers; "1.5", "2e3" and "0.0E1" are reals; a number's text inside a
 * string is none.
 */
static void
test_reals(void)
{
	static const char list[] = "{\"kind\":\"EventList\",\"items\":["
	    "{\"a\":1,\"b\":[1.5,2e3,-0,0.0E1],\"c\":{\"d\":12}},"
	    "{\"e\":\"1.5\",\"f\":-0}]}";
	static const char one[] = "{\"x\":[1.0,2],\"y\":\"3.5\"}";
	char reason[128];
	struct jscan sc;

	jscan_init(&sc);
	ok(jscan_line(&sc, list, strlen(list), 64, reason, sizeof(reason)) ==
	    JSCAN_OK && sc.nitems == 2 && sc.items[0].reals == 3 &&
	    sc.items[1].reals == 0, "reals counted per item (3, 0)");
	ok(jscan_line(&sc, one, strlen(one), 64, reason, sizeof(reason)) ==
	    JSCAN_OK && sc.root_span.reals == 1, "reals of a single event (1)");
	jscan_free(&sc);
}

/*
 * The root's `items` is the member jansson keeps: keys unescaped, the last
 * of repeated keys.  Only its elements are items, with their members.
 */
static void
test_items_key(void)
{
	static const struct {
		const char *text;
		bool has_items;
		size_t nitems, nmembers;	/* what is recorded */
	} rows[] = {
		{ "{\"items\":[{\"a\":1},{\"b\":2}],\"items\":[{\"c\":3,\"d\":4}]}",
		  true, 1, 2 },
		{ "{\"\\u0069tems\":[{\"a\":1},{\"b\":2}]}", true, 2, 2 },
		{ "{\"items\":[{\"a\":1}],\"\\u0069t\\u0065ms\":[7,8,9]}", true, 3,
		  0 },
		{ "{\"items\":[{\"a\":1}],\"items\":5}", false, 0, 0 },
		{ "{\"items\":[{\"a\":1}],\"items\":{\"x\":[{\"y\":1}]}}", false, 0,
		  0 },
		{ "{\"items\":[{\"a\":1}],\"other\":[{\"b\":1}]}", true, 1, 1 },
		{ "{\"item\\u0073\\u0000\":[{\"a\":1}]}", false, 0, 0 },
		{ "{\"Items\":[{\"a\":1}]}", false, 0, 0 },
	};
	static const struct {
		const char *key;	/* raw, between the quotes */
		const char *reads;
		bool same;
	} keys[] = {
		{ "kind", "kind", true },
		{ "\\u006bind", "kind", true },
		{ "\\u006Bin\\u0064", "kind", true },
		{ "kin", "kind", false },
		{ "kinds", "kind", false },
		{ "\\u006bin", "kind", false },
		{ "\\/a\\\\b\\\"c\\n", "/a\\b\"c\n", true },
		{ "\\u00e9t\\u00E9", "\xc3\xa9t\xc3\xa9", true },
		{ "\\ud83d\\ude00", "\xf0\x9f\x98\x80", true },
		{ "\\ud83d", "\xf0\x9f\x98\x80", false },	/* damaged */
		{ "k\\u0000", "k", false },	/* damaged: \u0000 */
	};
	char line[256], reason[128];
	struct jscan sc;
	size_t i;
	bool good;

	jscan_init(&sc);
	for (i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		good = jscan_frame(&sc, rows[i].text, strlen(rows[i].text), 64,
		    reason, sizeof(reason)) == JSCAN_OK &&
		    sc.has_items == rows[i].has_items &&
		    sc.nitems == rows[i].nitems &&
		    sc.nmembers == rows[i].nmembers;
		ok(good, "items of %s: %zu items, %zu members", rows[i].text,
		    sc.nitems, sc.nmembers);
	}
	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		snprintf(line, sizeof(line), "{\"%s\":1}", keys[i].key);
		good = jscan_frame(&sc, line, strlen(line), 64, reason,
		    sizeof(reason)) == JSCAN_OK && sc.nroot == 1 &&
		    jscan_key_reads_as(line, &sc.root[0], keys[i].reads) ==
		    keys[i].same;
		ok(good, "key %s %s %s", keys[i].key, keys[i].same ? "reads as" :
		    "is not", keys[i].reads);
	}
	/* Another items key (a CloudWatch Logs record's logEvents). */
	jscan_set_items_key(&sc, "logEvents");
	jscan_free(&sc);
	snprintf(line, sizeof(line), "{\"items\":[1],\"logEvents\":[{\"a\":1},"
	    "{\"message\":\"x\",\"message\":\"y\"}],\"\\u006cogEvents\":"
	    "[{\"a\":1},{\"message\":\"x\",\"message\":\"y\"}]}");
	good = jscan_frame(&sc, line, strlen(line), 64, reason,
	    sizeof(reason)) == JSCAN_OK && sc.has_items && sc.nitems == 2 &&
	    sc.nmembers == 3 && jscan_last(sc.members + sc.items[1].first,
	    sc.items[1].count, line, "message") == &sc.members[2];
	ok(good, "items key logEvents, kept across jscan_free, its last "
	    "(escaped) array read; jscan_last finds the last message");
	jscan_free(&sc);
}

/*
 * 200k repeated `items` keys, each holding one item: each array is
 * recorded and then let go, so the arrays stay small.
 */
static void
test_items_repeated_many(void)
{
	size_t n = 200000, i, len = 0;
	char *text = malloc(n * 32 + 16), reason[128];
	struct jscan sc;
	bool good;

	jscan_init(&sc);
	len += (size_t)sprintf(text, "{");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "%s\"%s\":[{\"a\":%zu}]",
		    i ? "," : "", i % 2 ? "\\u0069tems" : "items", i);
	len += (size_t)sprintf(text + len, "}");
	good = jscan_frame(&sc, text, len, 64, reason, sizeof(reason)) ==
	    JSCAN_OK && sc.nitems == 1 && sc.nmembers == 1 &&
	    sc.nroot == n && sc.items_cap <= 16 &&
	    strncmp(text + sc.members[0].value.off, "199999", 6) == 0;
	ok(good, "200k repeated items keys: the last array's item only (%zu "
	    "items, %zu held)", sc.nitems, sc.items_cap);
	jscan_free(&sc);
	free(text);
}

/* Item i of `a` (all recorded) and `ev` (from a window of `b`) agree. */
static bool
same_item(const struct jscan *a, size_t i, const struct jscan *b,
    const struct jobject *ev)
{
	const struct jobject *x = &a->items[i];
	const struct jmember *ma = a->members + x->first;
	const struct jmember *mb;

	if (ev == NULL || ev->span.off != x->span.off ||
	    ev->span.len != x->span.len || ev->is_object != x->is_object ||
	    ev->compact != x->compact || ev->reals != x->reals ||
	    ev->count != x->count || ev->bad != x->bad)
		return false;
	mb = b->members + ev->first;
	for (size_t k = 0; k < x->count; k++) {
		if (ma[k].key.off != mb[k].key.off ||
		    ma[k].key.len != mb[k].key.len ||
		    ma[k].value.off != mb[k].value.off ||
		    ma[k].value.len != mb[k].value.len ||
		    ma[k].fields != mb[k].fields ||
		    ma[k].key_escaped != mb[k].key_escaped ||
		    ma[k].bad != mb[k].bad)
			return false;
	}
	return true;
}

/* Scan `text` whole and with a window; every item agrees, in any order. */
static void
check_window(const char *text, size_t len, size_t window, const char *name)
{
	struct jscan all, win;
	char reason[128];
	enum jscan_status st;
	bool good = true, bounded = true;
	size_t n, i;

	jscan_init(&all);
	jscan_init(&win);
	jscan_set_window(&win, window);
	st = jscan_frame(&all, text, len, 64, reason, sizeof(reason));
	good = jscan_frame(&win, text, len, 64, reason, sizeof(reason)) ==
	    st && win.items_total == all.items_total &&
	    all.nitems >= all.items_total;
	n = all.items_total;
	for (i = 0; good && i < n; i++) {
		good = same_item(&all, i, &win, jscan_items_at(&win, i));
		bounded &= win.nitems <= window;
	}
	for (i = n; good && i-- > 0;)
		good = same_item(&all, i, &win, jscan_items_at(&win, i));
	for (i = 0; good && i < n; i++) {
		size_t j = (i * 7919) % n;

		good = same_item(&all, j, &win, jscan_items_at(&win, j));
	}
	ok(good && bounded && jscan_items_at(&win, n) == NULL,
	    "window of %zu, %s: %zu items as a whole scan records them",
	    window, name, n);
	jscan_free(&all);
	jscan_free(&win);
}

static void
test_window(void)
{
	static const char *const shapes[] = {
		"{\"a\":1,\"b\":\"x\"}", "7", " { \"c\" : [ 1 , 2.5 ] } ",
		"{\"d\":\"\\ud800\",\"\\u0065\":1e999}", "\"s\"", "[{\"x\":1}]",
		"{}", "{\"k\":{\"items\":[1,2]}}", "null",
	};
	size_t cap = 1 << 20, len, i, n;
	char *text = malloc(cap);
	struct jscan sc;
	char reason[128];
	bool good;

	for (int root = 0; root < 2; root++) {
		len = (size_t)sprintf(text, "%s", root ? "[" :
		    "{\"kind\":\"EventList\",\"items\":[0],\"items\": [ ");
		for (i = 0; i < 1000; i++)
			len += (size_t)sprintf(text + len, "%s%s", i ? " ,\n" :
			    "", shapes[i % (sizeof(shapes) / sizeof(*shapes))]);
		len += (size_t)sprintf(text + len, "%s", root ? "]" : "]}");
		for (size_t w = 1; w <= 1024; w *= 4)
			check_window(text, len, w, root ? "root array" :
			    "mixed items");
	}
	/* Broken inside the last item: the 999 whole ones, no more. */
	check_window(text, len - 2, 7, "line broken in the last item");

	/* Items of many members: the members bound a window too. */
	len = (size_t)sprintf(text, "[");
	for (n = 0; n < 5; n++) {
		len += (size_t)sprintf(text + len, "%s{", n ? "," : "");
		for (i = 0; i < 20000; i++)
			len += (size_t)sprintf(text + len, "%s\"%zu\":1",
			    i ? "," : "", i);
		len += (size_t)sprintf(text + len, "}");
	}
	len += (size_t)sprintf(text + len, "]");
	check_window(text, len, 4096, "20000 members each");
	jscan_init(&sc);
	jscan_set_window(&sc, 4096);
	good = jscan_line(&sc, text, len, 64, reason, sizeof(reason)) ==
	    JSCAN_OK && sc.nitems == 2 && sc.nmembers == 40000;
	ok(good, "a window stops at the item that passes %d members (%zu items)",
	    JSCAN_WINDOW_MEMBERS, sc.nitems);
	jscan_free(&sc);

	/* 500k one-byte items: the records stay a window's. */
	len = (size_t)sprintf(text, "[1");
	for (i = 1; i < 500000; i++)
		text[len++] = ',', text[len++] = '1';
	text[len++] = ']';
	jscan_init(&sc);
	jscan_set_window(&sc, 64);
	good = jscan_line(&sc, text, len, 64, reason, sizeof(reason)) ==
	    JSCAN_OK && sc.items_total == 500000 &&
	    jscan_items_at(&sc, 499999) != NULL &&
	    jscan_items_at(&sc, 499999)->span.off == len - 2 &&
	    sc.items_cap <= 64 && sc.members_cap == 0;
	ok(good, "500k items in a window of 64: all counted, the last found, "
	    "%zu records held", sc.items_cap);
	jscan_free(&sc);
	ok(sc.window == 64, "jscan_free keeps the window");
	free(text);
}

int
main(void)
{
	json_t *events = corpus_all_events();

	ok(json_array_size(events) > 200, "corpus loaded (%zu events)",
	    json_array_size(events));
	test_corpus(events, JSON_COMPACT, "compact");
	test_corpus(events, JSON_INDENT(2), "indented");
	test_table();
	test_mutations();
	test_positions();
	test_depth();
	test_trim();
	test_frame();
	test_repeats();
	test_reals();
	test_items_key();
	test_items_repeated_many();
	test_window();
	json_decref(events);
	return tap_done();
}
