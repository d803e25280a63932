/*
 * test_jsonout: the fast path's text writer (jsonout, and k8sobj on top of
 * it) writes compact JSON that jansson reads back as the value meant.
 *
 * jsonout has no writer of whole jansson values; its part of any text is
 * the strings (jsonout_string) and the growing buffer (jsonout_raw).  So
 * every corpus event, and every member of it, is written here by a small
 * writer that takes its punctuation and numbers from this file and all its
 * strings, keys included, from jsonout_string, all into one jsonout; the
 * text must load to a value json_equal to the event, be as long as
 * o.len says, and hold no whitespace outside strings.  A table of hard
 * strings, the k8s object's scalars (k8sobj: integer extremes, booleans,
 * text) and the buffer's growth and sticky error follow.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "corpus.h"
#include "jsonout.h"
#include "k8sobj.h"
#include "tap.h"

#define COUNT(a) (sizeof(a) / sizeof(*(a)))

/* Write `v` compactly into `o`: strings and keys by jsonout_string. */
static void
write_value(struct jsonout *o, const json_t *v)
{
	char num[64];
	const char *key;
	json_t *m;
	size_t i;
	int n;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		jsonout_raw(o, "{", 1);
		i = 0;
		json_object_foreach((json_t *)v, key, m) {
			if (i++ > 0)
				jsonout_raw(o, ",", 1);
			jsonout_string(o, key, strlen(key));
			jsonout_raw(o, ":", 1);
			write_value(o, m);
		}
		jsonout_raw(o, "}", 1);
		break;
	case JSON_ARRAY:
		jsonout_raw(o, "[", 1);
		json_array_foreach(v, i, m) {
			if (i > 0)
				jsonout_raw(o, ",", 1);
			write_value(o, m);
		}
		jsonout_raw(o, "]", 1);
		break;
	case JSON_STRING:
		jsonout_string(o, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		jsonout_raw(o, num, (size_t)n);
		break;
	case JSON_REAL:
		/* %.17g reads back to the same double. */
		n = snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		if (strspn(num, "-0123456789") == (size_t)n)
			num[n++] = '.', num[n++] = '0', num[n] = '\0';
		jsonout_raw(o, num, (size_t)n);
		break;
	case JSON_TRUE:
		jsonout_raw(o, "true", 4);
		break;
	case JSON_FALSE:
		jsonout_raw(o, "false", 5);
		break;
	case JSON_NULL:
		jsonout_raw(o, "null", 4);
		break;
	}
}

/* No space, tab, CR or LF outside strings. */
static bool
compact(const char *s, size_t len)
{
	bool in = false;

	for (size_t i = 0; i < len; i++) {
		if (in && s[i] == '\\')
			i++;
		else if (s[i] == '"')
			in = !in;
		else if (!in && strchr(" \t\r\n", s[i]) != NULL)
			return false;
	}
	return true;
}

/*
 * `v` written into a fresh jsonout reads back equal, at the length
 * jsonout says, compact.  On a mismatch *why says which part failed.
 */
static bool
round_trip(const json_t *v, const char **why)
{
	struct jsonout o;
	json_t *back;
	bool good;

	jsonout_init(&o);
	write_value(&o, v);
	*why = "memory";
	if (o.failed || o.buf == NULL) {
		jsonout_free(&o);
		return false;
	}
	back = json_loadb(o.buf, o.len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
	    NULL);
	good = back != NULL && json_equal(back, v);
	*why = back == NULL ? "does not load" : "loads to another value";
	if (good && strlen(o.buf) != o.len) {
		good = false;
		*why = "len differs from strlen";
	}
	if (good && !compact(o.buf, o.len)) {
		good = false;
		*why = "whitespace outside strings";
	}
	json_decref(back);
	jsonout_free(&o);
	return good;
}

static void
test_corpus(const json_t *events)
{
	size_t i, bad = 0, members = 0;
	const char *why, *key;
	const json_t *ev;
	json_t *m;

	json_array_foreach(events, i, ev) {
		if (!round_trip(ev, &why) && bad++ == 0)
			diag("event %zu: %s", i, why);
		json_object_foreach((json_t *)ev, key, m) {
			members++;
			if (!round_trip(m, &why) && bad++ == 0)
				diag("event %zu member %s: %s", i, key, why);
		}
	}
	ok(bad == 0 && members > 0, "%zu corpus events and their %zu members "
	    "round-trip (%zu fail)", json_array_size(events), members, bad);
}

/*
 * One string: round trip through jsonout_string, and the text jansson
 * writes (fitting measures the fast path's text and the reference path's
 * alike only if both are as long); `want` the exact text, when given.
 */
static void
string_case(const char *what, const char *s, size_t n, const char *want)
{
	json_t *v = json_stringn(s, n);
	char *jt = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	const char *why = "json_stringn refused it";
	struct jsonout o;
	bool good = v != NULL && round_trip(v, &why);

	if (good) {
		jsonout_init(&o);
		jsonout_string(&o, s, n);
		good = o.buf != NULL && jt != NULL && strcmp(o.buf, jt) == 0 &&
		    (want == NULL || strcmp(o.buf, want) == 0);
		why = "not the text expected";
		if (!good)
			diag("wrote %s, expected %s (jansson: %s)",
			    o.buf ? o.buf : "(null)", want ? want : "-",
			    jt ? jt : "(null)");
		jsonout_free(&o);
	}
	ok(good, "string %s round-trips as jansson writes it%s%s", what,
	    good ? "" : ": ", good ? "" : why);
	free(jt);
	json_decref(v);
}

static void
test_strings(void)
{
	char all[32], one[8], name[32];

	for (int c = 0; c < 0x20; c++) {
		one[0] = 'a';
		one[1] = (char)c;
		one[2] = 'b';
		snprintf(name, sizeof(name), "a\\x%02xb", c);
		string_case(name, one, 3, NULL);
		all[c] = (char)c;
	}
	string_case("of all bytes 0x00-0x1f", all, sizeof(all), NULL);
	string_case("empty", "", 0, "\"\"");
	string_case("quote", "\"", 1, "\"\\\"\"");
	string_case("backslash", "\\", 1, "\"\\\\\"");
	string_case("slash (left as is)", "a/b", 3, "\"a/b\"");
	string_case("DEL (left as is)", "\x7f", 1, "\"\x7f\"");
	string_case("2-byte UTF-8", "\xc3\xa9t\xc3\xa9", 6, NULL);
	string_case("3-byte UTF-8", "\xe2\x82\xac", 3, NULL);
	string_case("4-byte UTF-8", "\xf0\x9f\x98\x80", 4, NULL);
	string_case("U+2028 and U+2029", "\xe2\x80\xa8\xe2\x80\xa9", 6,
	    "\"\xe2\x80\xa8\xe2\x80\xa9\"");
	string_case("embedded NUL", "a\0b", 3, "\"a\\u0000b\"");
	string_case("unit separator", "\x1f", 1, "\"\\u001F\"");
	string_case("NUL only", "\0", 1, "\"\\u0000\"");
	string_case("escapes back to back", "\"\\\n\"\\", 5,
	    "\"\\\"\\\\\\n\\\"\\\\\"");
}

/*
 * A byte that needs an escape (or a multi-byte character) at every
 * position of strings up to 40 bytes: the writer copies eight plain bytes
 * at a time and must stop at the right one wherever it lies.
 */
static void
test_string_positions(void)
{
	static const struct {
		const char *s;
		size_t n;
	} specials[] = {
		{ "\x01", 1 }, { "\x1f", 1 }, { "\"", 1 }, { "\\", 1 },
		{ "\0", 1 }, { "\x7f", 1 }, { "\xc3\xa9", 2 },
		{ "\xf0\x9f\x98\x80", 4 },
	};
	const char *why = NULL, *first = "";
	size_t bad = 0, cases = 0;
	char s[64];

	for (size_t len = 0; len <= 40; len++) {
		for (size_t at = 0; at <= len; at++) {
			for (size_t k = 0; k < sizeof(specials) /
			    sizeof(*specials); k++) {
				size_t n = 0;
				json_t *v;

				memset(s, 'a', at);
				n += at;
				memcpy(s + n, specials[k].s, specials[k].n);
				n += specials[k].n;
				memset(s + n, 'b', len - at);
				n += len - at;
				v = json_stringn(s, n);
				cases++;
				if ((v == NULL || !round_trip(v, &why)) &&
				    bad++ == 0)
					first = v ? why : "json_stringn refused it";
				json_decref(v);
			}
		}
	}
	ok(bad == 0, "%zu strings with a special byte at every position "
	    "round-trip (%zu do not%s%s)", cases, bad, bad ? ": " : "", first);
}

/*
 * Values the corpus lacks, through the same writer: integer extremes and
 * reals it formats itself, so here only the containers and strings around
 * them are jsonout's.
 */
static void
test_values(void)
{
	json_t *cases[] = {
		json_integer(LLONG_MIN), json_integer(LLONG_MAX),
		json_integer(0), json_real(0.1), json_real(1e300),
		json_real(-0.0), json_real(5e-324), json_object(), json_array(),
		json_pack("{s:{},s:[],s:[{}],s:s}", "a", "b", "c", "\"\\", ""),
		json_pack("[[[[[[[[[[s]]]]]]]]]]", "deep"),
	};
	const char *why;
	char *text;

	for (size_t i = 0; i < COUNT(cases); i++) {
		text = json_dumps(cases[i], JSON_COMPACT | JSON_ENCODE_ANY);
		ok(cases[i] != NULL && round_trip(cases[i], &why),
		    "%s round-trips", text ? text : "(value)");
		free(text);
		json_decref(cases[i]);
	}
}

/*
 * The k8s object the fast path writes: its integers (the extremes),
 * booleans and text (control bytes kept and escaped, NUL made '?') read
 * back as set, and an object without members is "{}".
 */
static void
test_k8sobj(void)
{
	struct k8sobj o;
	struct k8stext t;
	json_t *got, *want;
	char *text;
	int rc;

	k8sobj_init(&o);
	k8sobj_int(&o, "min", LLONG_MIN);
	k8sobj_int(&o, "max", LLONG_MAX);
	k8sobj_int(&o, "zero", 0);
	k8sobj_bool(&o, "yes", true);
	k8sobj_bool(&o, "no", false);
	k8sobj_text(&o, "ctl", "a\x01\x1f\"\\/\n\0b\xe2\x80\xa8", 12);
	k8sobj_str(&o, "none", NULL);
	want = json_pack("{s:I,s:I,s:I,s:b,s:b,s:s}", "min",
	    (json_int_t)LLONG_MIN, "max", (json_int_t)LLONG_MAX, "zero",
	    (json_int_t)0, "yes", 1, "no", 0, "ctl",
	    "a\x01\x1f\"\\/\n?b\xe2\x80\xa8");
	ok(k8sobj_finish(&o, &got) == 0 && json_equal(got, want),
	    "k8sobj: integer extremes, booleans and text read back as set");
	text = got ? json_dumps(got, JSON_COMPACT) : NULL;
	if (text != NULL && !json_equal(got, want))
		diag("got %s", text);
	free(text);
	json_decref(got);
	json_decref(want);

	k8sobj_init(&o);
	k8sobj_int(&o, "a", -1);
	k8sobj_text(&o, "b", "x y", 3);
	rc = k8sobj_finish_text(&o, &t);
	ok(rc == 0 && t.fields == 2 &&
	    t.len == strlen(t.text) && compact(t.text, t.len) &&
	    strcmp(t.text, "{\"a\":-1,\"b\":\"x y\"") == 0,
	    "k8sobj text is compact, open for one more member: %s",
	    t.text ? t.text : "(null)");
	free(t.text);

	k8sobj_init(&o);
	got = NULL;
	ok(k8sobj_finish(&o, &got) == 0 && json_is_object(got) &&
	    json_object_size(got) == 0, "k8sobj without members is {}");
	json_decref(got);
}

/*
 * The obvious escaper, for the growth test's expected text (its bytes need
 * not be UTF-8, so jansson cannot write it): escapes as jansson's.
 */
static size_t
escape(char *w, const char *s, size_t n)
{
	static const char from[] = "\"\\\b\f\n\r\t", to[] = "\"\\bfnrt";
	const char *e;
	size_t k = 0;

	w[k++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c != '\0' && (e = strchr(from, c)) != NULL)
			k += (size_t)sprintf(w + k, "\\%c", to[e - from]);
		else if (c < 0x20)
			k += (size_t)sprintf(w + k, "\\u%04X", c);
		else
			w[k++] = (char)c;
	}
	w[k++] = '"';
	return k;
}

/* A deterministic generator (the one test_jsonscan uses). */
static unsigned long
next(unsigned long *state)
{
	*state = *state * 6364136223846793005ul + 1442695040888963407ul;
	return *state >> 33;
}

/*
 * Random appends, raw and string, of 0 to 1500 bytes (every escape among
 * them) across many doublings of the buffer: the text is exactly what they
 * add up to, NUL-terminated.
 */
static void
test_growth(void)
{
	/* Every kind of escape, UTF-8 and, as the terminator, NUL. */
	static const char bytes[] = "ab\"\\\x01\x1f\n\t/\xc3\xa9 ";
	unsigned long state = 77;
	size_t cap = 1 << 22, len = 0, bad = 0, rounds = 200;
	char *want = malloc(cap), piece[1500];
	struct jsonout o;

	for (size_t r = 0; r < rounds && want != NULL; r++) {
		size_t steps = 1 + next(&state) % 40;

		jsonout_init(&o);
		len = 0;
		for (size_t k = 0; k < steps; k++) {
			size_t n = next(&state) % (sizeof(piece) + 1);

			for (size_t i = 0; i < n; i++)
				piece[i] = bytes[next(&state) % sizeof(bytes)];
			if (next(&state) % 2) {
				jsonout_raw(&o, piece, n);
				memcpy(want + len, piece, n);
				len += n;
			} else {
				jsonout_string(&o, piece, n);
				len += escape(want + len, piece, n);
			}
		}
		if (o.failed || o.len != len || o.buf == NULL ||
		    o.buf[len] != '\0' || memcmp(o.buf, want, len) != 0 ||
		    o.cap <= o.len)
			bad++;
		jsonout_free(&o);
	}
	ok(want != NULL && bad == 0, "%zu runs of random appends: text as "
	    "appended (%zu differ)", rounds, bad);
	free(want);
}

/* An empty text has no buffer; one write of nothing makes it "". */
static void
test_edges(void)
{
	struct jsonout o;
	char one = 'x';

	jsonout_init(&o);
	ok(o.buf == NULL && o.len == 0 && !o.failed, "a new text is empty");
	jsonout_raw(&o, "", 0);
	ok(o.buf != NULL && o.buf[0] == '\0' && o.len == 0,
	    "writing nothing leaves \"\" (NUL-terminated)");
	jsonout_raw(&o, "ab", 2);
	/* Too long to escape: refused before a byte of it is read. */
	jsonout_string(&o, &one, SIZE_MAX);
	ok(o.failed && o.len == 2, "a string too long to escape fails");
	jsonout_raw(&o, "cd", 2);
	jsonout_string(&o, "e", 1);
	ok(o.failed && o.len == 2 && strcmp(o.buf, "ab") == 0,
	    "after a failure writes do nothing (%s)", o.buf);
	jsonout_free(&o);
	ok(o.buf == NULL && o.len == 0 && !o.failed,
	    "jsonout_free leaves an empty text");
}

int
main(void)
{
	json_t *events = corpus_all_events();

	ok(json_array_size(events) > 200, "corpus loaded (%zu events)",
	    json_array_size(events));
	test_corpus(events);
	test_strings();
	test_string_positions();
	test_values();
	test_k8sobj();
	test_growth();
	test_edges();
	json_decref(events);
	return tap_done();
}
