/*
 * test_needles: needles_find gives the answer of the obvious search (every
 * needle tried at every offset) over the corpus files' text and over 100000
 * random short texts; and the two fast-path filters beside it give the
 * answer of what they stand in for on corpus texts: redact_may_change that
 * of the obvious search for its needles, derive_pod_may_read that of
 * derive_pod's own walk of the parsed value.
 *
 * Every text is searched in a buffer of exactly its length, so that a read
 * past the end shows under the sanitizers.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "corpus.h"
#include "derive_pod.h"
#include "needles.h"
#include "redact.h"
#include "tap.h"

#define COUNT(a) (sizeof(a) / sizeof(*(a)))

/* One set of needles and what the test calls it. */
struct set {
	const char *name;
	const char *const *list;
	size_t count;
};

/* Copies of the lists in plugin/redact/redact.c and plugin/derive/derive_pod.c. */
static const char *const redact_needles[] = {
	"Secret", "Token", "ConfigMap", "/token-secret.value",
	"/last-applied-configuration", "\\u",
};
static const char *const pod_needles[] = {
	"containers", "initContainers", "ephemeralContainers", "hostNetwork",
	"hostPID", "hostIPC", "volumes", "serviceAccountName",
	"serviceAccount", "automountServiceAccountToken", "securityContext",
};
static const char *const managed_needles[] = { "Fields", "\\u" };
static const char *const brace[] = { "{" };
static const char *const quote[] = { "\"" };
static const char *const tilde[] = { "~" };
static const char *const ctrl[] = { "\x01" };
static const char *const high[] = { "\xef" };	/* as signed char, < 0 */
static const char *const shared[] = { "Se", "Secret" };
static const char *const shared_rev[] = { "Secret", "Se" };
/* The first two bytes agree with text that is there, the rest does not. */
static const char *const near_miss[] = { "Secrez", "kindz", "Tokem" };
static const char *const near_mix[] = { "Secrez", "Secret", "kindz" };
static const char *const one_and_long[] = { "\x02", "apiVersion" };

static const struct set sets[] = {
#define SET(a) { #a, a, COUNT(a) }
	SET(redact_needles), SET(pod_needles), SET(managed_needles),
	SET(brace), SET(quote), SET(tilde), SET(ctrl), SET(high),
	SET(shared), SET(shared_rev), SET(near_miss), SET(near_mix),
	SET(one_and_long),
#undef SET
};

/* The obvious search. */
static bool
naive_find(const char *const *list, size_t count, const char *text,
    size_t len)
{
	for (size_t i = 0; i < count; i++) {
		size_t n = strlen(list[i]);

		for (size_t at = 0; n <= len && at <= len - n; at++)
			if (memcmp(text + at, list[i], n) == 0)
				return true;
	}
	return false;
}

/* `n` bytes in a buffer of exactly that size (ASan sees overreads). */
static char *
exact_copy(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	if (p == NULL)
		abort();
	memcpy(p, s, n);
	return p;
}

/* needles_find and the obvious search on `len` bytes at `text`. */
static bool
agrees(const char *const *list, size_t count, const char *text, size_t len)
{
	char *copy = exact_copy(text, len);
	bool same = needles_find(list, count, copy, len) ==
	    naive_find(list, count, copy, len);

	free(copy);
	return same;
}

/* Names of the corpus files with their text (BOM and all). */
struct file {
	char *name, *text;
	size_t len;
};

static struct file *
load_files(size_t *n)
{
	char **names = corpus_files(n), path[4096];
	struct file *f = calloc(*n + 1, sizeof(*f));

	for (size_t i = 0; f != NULL && i < *n; i++) {
		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), names[i]);
		f[i].name = strdup(names[i]);
		f[i].text = corpus_read(path, &f[i].len);
		if (f[i].text == NULL)
			f[i].len = 0;
	}
	corpus_files_free(names);
	return f;
}

/*
 * Each fixed set over each file, whole and cut short by 1..8 bytes (a
 * needle may then straddle the end): one verdict per set.
 */
static void
test_corpus_sets(const struct file *f, size_t nf)
{
	for (size_t s = 0; s < COUNT(sets); s++) {
		size_t bad = 0, found = 0;
		const char *first = NULL;

		for (size_t i = 0; i < nf; i++) {
			for (size_t cut = 0; cut <= 8 && cut <= f[i].len;
			    cut++) {
				size_t len = f[i].len - cut;

				if (!agrees(sets[s].list, sets[s].count,
				    f[i].text, len)) {
					bad++;
					first = first ? first : f[i].name;
				}
				found += cut == 0 && naive_find(sets[s].list,
				    sets[s].count, f[i].text, len);
			}
		}
		ok(bad == 0, "corpus, needles %s: %zu disagreements (first "
		    "in %s); found in %zu/%zu files", sets[s].name, bad,
		    first ? first : "none", found, nf);
	}
}

/*
 * Needles made from each file's own text: the whole text, the text and one
 * byte more, its last k bytes (found only at the very end), those with the
 * last byte changed, its first k bytes, and a text of length 0.
 */
static void
test_corpus_own(const struct file *f, size_t nf)
{
	static const size_t ks[] = { 1, 2, 3, 7, 16, 100 };

	for (size_t i = 0; i < nf; i++) {
		const char *t = f[i].text;
		size_t len = f[i].len, bad = 0, checks = 0;
		char *whole, *longer, *end, *endx, *start;
		const char *list[3];
		bool nul = memchr(t, '\0', len) != NULL;

		/* A needle cannot hold a NUL: cut it there. */
		whole = strndup(t, len);
		longer = malloc(len + 2);
		memcpy(longer, t, len);
		longer[len] = 'x';
		longer[len + 1] = '\0';
		list[0] = whole;
		bad += !agrees(list, 1, t, len);
		bad += !nul && !needles_find(list, 1, t, len);
		bad += !agrees(list, 1, t, len ? len - 1 : 0);
		list[0] = longer;
		bad += !agrees(list, 1, t, len);
		bad += !nul && needles_find(list, 1, t, len);
		list[1] = whole;
		bad += !agrees(list, 2, t, len);
		checks += 6;
		for (size_t j = 0; j < COUNT(ks) && ks[j] <= len; j++) {
			end = strndup(t + len - ks[j], ks[j]);
			endx = strdup(end);
			if (*endx != '\0')
				endx[strlen(endx) - 1] ^= 1;
			start = strndup(t, ks[j]);
			if (*end == '\0' || *endx == '\0' || *start == '\0') {
				free(end);
				free(endx);
				free(start);
				continue;
			}
			list[0] = end;
			bad += !agrees(list, 1, t, len);
			bad += !agrees(list, 1, t, len - 1);
			bad += !(strlen(end) < ks[j] ||
			    needles_find(list, 1, t, len));
			list[0] = endx;
			list[1] = end;
			bad += !agrees(list, 1, t, len);
			bad += !agrees(list, 2, t, len);
			bad += !agrees(list, 2, t, len - 1);
			list[0] = start;
			list[1] = endx;
			list[2] = end;
			bad += !agrees(list, 3, t, len);
			bad += !agrees(list, 3, t + 1, len - 1);
			checks += 8;
			free(end);
			free(endx);
			free(start);
		}
		list[0] = "{";
		bad += needles_find(list, 1, t, 0);
		bad += needles_find(list, 0, t, len);
		checks += 2;
		ok(bad == 0, "%s: needles from its own text (%zu checks, %zu "
		    "wrong)", f[i].name, checks, bad);
		free(whole);
		free(longer);
	}
}

/* A deterministic generator (the one test_jsonscan uses). */
static unsigned long
next(unsigned long *state)
{
	*state = *state * 6364136223846793005ul + 1442695040888963407ul;
	return *state >> 33;
}

/*
 * Random texts over a small alphabet (NUL and a byte above 0x7f included)
 * and random sets of short needles over the same bytes without NUL: small
 * alphabets make partial matches, shared first bytes and matches at the
 * ends common.
 */
static void
test_random(void)
{
	static const char alphabet[] = "ab\xff" "c";	/* and its NUL */
	unsigned long state = 20240601;
	size_t bad = 0, found = 0, runs = 100000;
	char text[24], needles[4][6];
	const char *list[4];

	for (size_t r = 0; r < runs; r++) {
		size_t len = next(&state) % (sizeof(text) + 1);
		size_t count = 1 + next(&state) % 4;

		for (size_t i = 0; i < len; i++)
			text[i] = alphabet[next(&state) % sizeof(alphabet)];
		for (size_t k = 0; k < count; k++) {
			size_t n = 1 + next(&state) % (sizeof(needles[k]) - 1);

			for (size_t i = 0; i < n; i++)
				needles[k][i] = alphabet[next(&state) %
				    (sizeof(alphabet) - 1)];
			needles[k][n] = '\0';
			list[k] = needles[k];
		}
		if (!agrees(list, count, text, len)) {
			if (bad++ == 0)
				diag("first disagreement: run %zu, len %zu, "
				    "%zu needles", r, len, count);
		}
		found += naive_find(list, count, text, len);
	}
	ok(bad == 0, "%zu random texts and needle sets: %zu disagreements",
	    runs, bad);
	ok(found > runs / 10 && found < runs - runs / 10, "random cases are "
	    "mixed: %zu of %zu find a needle", found, runs);
}

/* redact_may_change on `len` bytes at `s` and the obvious search. */
static bool
redact_agrees(const char *s, size_t len)
{
	char *copy = exact_copy(s, len);
	bool same = redact_may_change(copy, len) ==
	    naive_find(redact_needles, COUNT(redact_needles), copy, len);

	free(copy);
	return same;
}

/* redact_may_change over `v`'s text and the text of each member. */
static void
redact_value(const json_t *v, size_t *bad, size_t *checks, size_t *yes)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	const char *key;
	json_t *m;

	if (text != NULL) {
		*bad += !redact_agrees(text, strlen(text));
		*yes += redact_may_change(text, strlen(text));
		++*checks;
	}
	free(text);
	if (json_is_object(v))
		json_object_foreach((json_t *)v, key, m) {
			text = json_dumps(m, JSON_COMPACT | JSON_ENCODE_ANY);
			if (text != NULL) {
				*bad += !redact_agrees(text, strlen(text));
				*yes += redact_may_change(text, strlen(text));
				++*checks;
			}
			free(text);
		}
}

static void
test_redact(const struct file *f, size_t nf, const json_t *events)
{
	size_t bad = 0, checks = 0, yes = 0, i;
	const json_t *ev;

	for (i = 0; i < nf; i++)
		bad += !redact_agrees(f[i].text, f[i].len);
	ok(bad == 0, "redact_may_change agrees with the search for its "
	    "needles on %zu corpus files (%zu disagree)", nf, bad);
	bad = 0;
	json_array_foreach(events, i, ev) {
		redact_value(ev, &bad, &checks, &yes);
		redact_value(json_object_get(ev, "requestObject"), &bad,
		    &checks, &yes);
		redact_value(json_object_get(ev, "responseObject"), &bad,
		    &checks, &yes);
	}
	ok(bad == 0 && yes > 0 && yes < checks, "redact_may_change agrees "
	    "on %zu event, member and body-member texts (%zu disagree, %zu "
	    "true)", checks, bad, yes);
}

/* derive_pod's is_pod_spec, on the parsed value. */
static bool
ref_is_pod_spec(const json_t *spec)
{
	if (!json_is_object(spec))
		return false;
	for (size_t i = 0; i < COUNT(pod_needles); i++)
		if (json_object_get(spec, pod_needles[i]) != NULL)
			return true;
	return false;
}

static const json_t *
get(const json_t *v, const char *key)
{
	return json_is_object(v) ? json_object_get(v, key) : NULL;
}

/* What derive_pod's pod_spec_of finds through body member `key`. */
static bool
ref_may_read(const char *key, const json_t *v)
{
	if (strcmp(key, "spec") == 0)
		return ref_is_pod_spec(v) ||
		    ref_is_pod_spec(get(get(v, "template"), "spec")) ||
		    ref_is_pod_spec(get(get(get(get(v, "jobTemplate"), "spec"),
		    "template"), "spec"));
	if (strcmp(key, "template") == 0)
		return ref_is_pod_spec(get(v, "spec"));
	return false;
}

struct pod_tally {
	size_t checks, yes, bad, escaped;
};

/*
 * derive_pod_may_read on one body member written with `flags`.  An escaped
 * key makes it say true whatever the key spells: allowed only where the
 * text holds a backslash.
 */
static void
pod_member(const char *key, const json_t *v, size_t flags,
    struct pod_tally *t)
{
	char *text = json_dumps(v, flags | JSON_ENCODE_ANY), *copy;
	size_t len;
	bool got, want;

	if (text == NULL)
		return;
	len = strlen(text);
	copy = exact_copy(text, len);
	got = derive_pod_may_read(key, strlen(key), copy, len);
	want = ref_may_read(key, v);
	t->checks++;
	t->yes += got;
	if (got != want) {
		if (got && strchr(text, '\\') != NULL) {
			t->escaped++;
		} else if (t->bad++ == 0) {
			diag("derive_pod_may_read(\"%s\", %.60s...) = %d, "
			    "derive_pod finds %d", key, text, got, want);
		}
	}
	free(copy);
	free(text);
}

static void
test_pod(const json_t *events)
{
	static const char *const bodies[] = {
		"requestObject", "responseObject"
	};
	static const size_t flags[] = { JSON_COMPACT, JSON_INDENT(2) };
	struct pod_tally t = { 0, 0, 0, 0 };
	const char *key;
	const json_t *ev;
	json_t *m;
	size_t i;

	for (size_t f = 0; f < COUNT(flags); f++) {
		memset(&t, 0, sizeof(t));
		json_array_foreach(events, i, ev) {
			for (size_t b = 0; b < COUNT(bodies); b++) {
				const json_t *body = get(ev, bodies[b]);

				if (!json_is_object(body))
					continue;
				json_object_foreach((json_t *)body, key, m)
					pod_member(key, m, flags[f], &t);
			}
		}
		ok(t.bad == 0 && t.yes > 0, "derive_pod_may_read agrees with "
		    "derive_pod's walk on %zu %s body members (%zu true, %zu "
		    "disagree, %zu true by an escape)", t.checks,
		    f == 0 ? "compact" : "indented", t.yes, t.bad, t.escaped);
	}
}

int
main(void)
{
	size_t nf = 0;
	struct file *f = load_files(&nf);
	json_t *events = corpus_all_events();

	ok(f != NULL && nf > 50, "corpus files read (%zu)", nf);
	ok(json_array_size(events) > 200, "corpus events loaded (%zu)",
	    json_array_size(events));
	if (f != NULL) {
		test_corpus_sets(f, nf);
		test_corpus_own(f, nf);
	}
	test_random();
	if (f != NULL)
		test_redact(f, nf, events);
	test_pod(events);
	for (size_t i = 0; f != NULL && i < nf; i++) {
		free(f[i].name);
		free(f[i].text);
	}
	free(f);
	json_decref(events);
	return tap_done();
}
