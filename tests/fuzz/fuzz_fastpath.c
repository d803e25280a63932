/*
 * fuzz_fastpath: libFuzzer target comparing the fast path with the
 * reference path.
 *
 * The input is one omprog line.  When batch_scan takes it, every event it
 * finds is shaped both ways under each configuration below: by
 * fastpath_shape from its bytes, and by the reference path (json_loadb of
 * the event's span, event_check, shape_event), as plugin/deliver/deliver.c does.
 * Whenever the fast path answers (READY or FILTERED) its answer must be
 * the reference's: a READY text is valid JSON equal (json_equal) to the
 * reference's output, within max_bytes and max_fields, with no repeated key
 * the event did not already have, and counted in the statistics as the
 * reference counts it; FILTERED exactly when the reference filters.  A
 * FALLBACK is always allowed but counts nothing.  The line's events must
 * also be those of jansson's tree of the line (reference_events: repeated
 * and escaped keys read as jansson reads them), except that damage
 * jscan_frame steps over (invalid UTF-8, numbers jansson cannot hold, ...)
 * stays in its event: such a line jansson refuses is taken, every event
 * not marked `bad` loads as jansson would load it, and batch_reduce turns
 * every marked one into a value.  Then the property of issue 12: each
 * event of the line is put into an EventList between two copies of
 * itself, one of its top-level values replaced by a poison (below), under
 * a plain `items` key or one that is escaped or repeated after a decoy
 * array; that line must frame, the two copies must come out unmarked and
 * byte-equal, and the poisoned one marked, reduced, the other members
 * kept.  Any difference calls
 * abort(), after a
 * description on stderr, so that libFuzzer keeps the input.  Known
 * differences are let through (see strict()).
 *
 * A custom mutator edits the parsed JSON two times in three (see
 * LLVMFuzzerCustomMutator), so that most inputs stay events.
 *
 * Built with -DFUZZ_FASTPATH_SEEDS instead (no libFuzzer, no plugin code),
 * the file is the seed writer run.sh uses: `seed-writer DIR FILE...` writes
 * each FILE as it is (each line of it, for JSON lines), then each of its
 * events as a compact single Event and a compact EventList of one, as
 * jansson renders them.  It prints how many seeds it wrote.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#ifndef FUZZ_FASTPATH_SEEDS

#include "eventlist.h"
#include "fastpath.h"
#include "fit.h"
#include "jsonscan.h"
#include "shape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
    unsigned int seed);

/* Load flags of the reference path (deliver_parsed_span). */
#define SPAN_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)

/*
 * The plugin's default limits (its datagram less a header), tight limits
 * that make the trimming code run, and a stage filter; then, per event, the
 * first one's limits moved to the edge of what its reference output holds.
 */
static const struct {
	size_t max_bytes, max_fields;
	unsigned stages;
	const char *cluster;
} configs[] = {
	{ 65000, 256, SHAPE_STAGE_ALL, "fuzz" },
	{ 4000, 40, SHAPE_STAGE_ALL, NULL },
	{ 65000, 256, SHAPE_STAGE_REQUEST_RECEIVED, "fuzz" },
};

#define NCONFIGS (sizeof(configs) / sizeof(*configs))

static const char *const fast_name[] = {
	"READY", "FILTERED", "FALLBACK", "NOMEM"
};
static const char *const ref_name[] = {
	"OK", "FILTERED", "TOO_BIG", "NOMEM"
};

static void
differ(size_t c, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* The configuration being compared, for differ(). */
static const struct shape_config *current;

static void
differ(size_t c, size_t i, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_fastpath: config %zu (%zu bytes, %zu fields, "
	    "stages %#x), event %zu: ", c, current->max_bytes,
	    current->max_fields, current->stages, i);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void
config(struct shape_config *cfg, size_t c)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cluster = configs[c].cluster;
	cfg->stages = configs[c].stages;
	cfg->max_bytes = configs[c].max_bytes;
	cfg->max_fields = configs[c].max_fields;
	memset(cfg->key, 0x5a, sizeof(cfg->key));
}

/*
 * Known differences, not taken for findings unless FUZZ_FASTPATH_STRICT
 * is set in the environment; both are decisions, not bugs:
 *  - a raw NUL byte after a number or literal: jansson 2.14 reads
 *    `{"":0<NUL>}` as JSON, jsonscan (like RFC 8259) does not, so
 *    batch_scan refuses lines jansson took;
 *  - events that jansson writes in other bytes than they came in (escapes
 *    such as `\u0061` or `\u0026` in a nested key or a value outside the
 *    bodies, numbers such as 1.0e5, repeated keys): the fast path counts
 *    and measures the bytes it sends, the reference jansson's text and
 *    deduplicated tree, so near a limit one drops a body the other keeps
 *    (each within the limits).
 */
static bool
strict(void)
{
	static int s = -1;

	if (s < 0)
		s = getenv("FUZZ_FASTPATH_STRICT") != NULL;
	return s;
}

/* What the reference path does with an event's bytes. */
struct ref {
	bool checked;		/* parsed and event_check passed */
	enum shape_status st;	/* shape_event's answer when checked */
	json_t *out;		/* its output, parsed back, on SHAPE_OK */
	char *text;		/* its output text */
	size_t len;
	struct shape_stats stats;	/* what it counted */
};

/*
 * The event `e` of a scanned line as the reference path takes it: its
 * bytes parsed, or when damaged batch_reduce's value (*dropped then names
 * what was replaced, else it is "").
 */
static json_t *
reference_value(const char *text, const struct jobject *e,
    const struct jmember *members, char *dropped, size_t droppedlen)
{
	json_t *ev = NULL;

	dropped[0] = '\0';
	if (e->bad != 0) {
		if (batch_reduce(text, e, members, &ev, dropped,
		    droppedlen) != 0)
			abort();
		return ev;
	}
	ev = json_loadb(text + e->span.off, e->span.len, SPAN_FLAGS, NULL);
	if (ev == NULL) {
		/* The line was scanned and valid: only memory fails. */
		fprintf(stderr, "fuzz_fastpath: json_loadb failed on a scanned "
		    "event: %.*s\n", (int)(e->span.len > 300 ? 300 :
		    e->span.len), text + e->span.off);
		abort();
	}
	return ev;
}

static void
reference(size_t c, size_t i, const struct shape_config *cfg,
    const char *text, const struct jobject *e, const struct jmember *members,
    struct ref *r)
{
	char reason[256], dropped[192];
	json_error_t err;
	json_t *ev;
	size_t at;

	memset(r, 0, sizeof(*r));
	ev = reference_value(text, e, members, dropped, sizeof(dropped));
	if (event_check(ev, reason, sizeof(reason)) == 0) {
		r->checked = true;
		r->st = shape_event_reduced(cfg, ev, dropped[0] ? dropped :
		    NULL, &r->text, &r->len, &r->stats);
		if (r->st == SHAPE_OK &&
		    (r->out = json_loadb(r->text, r->len, JSON_ALLOW_NUL,
		    &err)) == NULL) {
			at = err.position > 60 ? (size_t)err.position - 60 : 0;
			differ(c, i, "the reference output is not JSON (%s at "
			    "byte %d of %zu): ...%.120s", err.text, err.position,
			    r->len, r->text + (at < r->len ? at : 0));
		}
	}
	json_decref(ev);
}

static void
ref_free(struct ref *r)
{
	json_decref(r->out);
	free(r->text);
}

/*
 * `v` without the bodies `dropped` names, without its unknown members when
 * it names them, and without k8s.dropped.
 */
static json_t *
undropped(const json_t *v, const char *dropped)
{
	json_t *copy = json_deep_copy(v), *x;
	const char *key;
	void *tmp;

	if (copy == NULL)
		abort();
	if (strstr(dropped, "unknownMembers") != NULL)
		json_object_foreach_safe(copy, tmp, key, x)
			if (!fit_audit_member(key, strlen(key)))
				json_object_del(copy, key);
	if (strstr(dropped, "responseObject") != NULL)
		json_object_del(copy, "responseObject");
	if (strstr(dropped, "requestObject") != NULL)
		json_object_del(copy, "requestObject");
	json_object_del(json_object_get(copy, "k8s"), "dropped");
	return copy;
}

/*
 * Do `got` and `ref` differ only by which members were dropped to fit (or
 * replaced by a marker)?
 */
static bool
dropped_else(const json_t *got, const json_t *ref)
{
	const char *a = json_string_value(json_object_get(
	    json_object_get(got, "k8s"), "dropped"));
	const char *b = json_string_value(json_object_get(
	    json_object_get(ref, "k8s"), "dropped"));
	char both[512];
	json_t *x, *y;
	bool same;

	snprintf(both, sizeof(both), "%s,%s", a ? a : "", b ? b : "");
	x = undropped(got, both);
	y = undropped(ref, both);
	same = json_equal(x, y);
	json_decref(x);
	json_decref(y);
	return same;
}

/*
 * Does jansson write the event in as many bytes as its text?  Otherwise
 * (escapes, numbers such as 1.0e5, repeated keys, whitespace) the fast path
 * measures other bytes than the reference.
 */
static bool
canonical(const char *span, size_t len)
{
	json_t *v = json_loadb(span, len, SPAN_FLAGS, NULL);
	char *t = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	bool same = t != NULL && strlen(t) == len;

	free(t);
	json_decref(v);
	return same;
}

static bool
same_stats(const struct shape_stats *a, const struct shape_stats *b)
{
	return a->redacted == b->redacted && a->trimmed == b->trimmed &&
	    a->filtered == b->filtered;
}

/* A long text in messages: its first 1500 bytes, " ... ", its last 500. */
static int
head(const char *t)
{
	return strlen(t) > 2000 ? 1500 : (int)strlen(t);
}

static const char *
gap(const char *t)
{
	return strlen(t) > 2000 ? " ... " : "";
}

static const char *
tail(const char *t)
{
	return strlen(t) > 2000 ? t + strlen(t) - 500 : "";
}

/*
 * The fast path's READY text against the reference's output.  True when it
 * differs in a known way only (see strict()).
 */
static bool
check_ready(size_t c, size_t i, const struct shape_config *cfg,
    const struct fastpath_out *o, const struct ref *r, const char *span,
    size_t spanlen)
{
	struct fit_measure m;
	json_error_t err;
	size_t n = 0, k;
	json_t *got, *dup, *in;
	bool known = false;
	char *text;

	if (!r->checked || r->st != SHAPE_OK)
		differ(c, i, "fast path READY, reference %s",
		    r->checked ? ref_name[r->st] : "rejects the event");
	if (o->nparts == 0 || o->nparts > FASTPATH_MAX_PARTS)
		differ(c, i, "READY with %zu pieces", o->nparts);
	for (k = 0; k < o->nparts; k++)
		n += o->iov[k].iov_len;
	if (n != o->len)
		differ(c, i, "pieces hold %zu bytes, out->len says %zu", n,
		    o->len);
	if ((text = malloc(n + 1)) == NULL)
		abort();
	for (n = 0, k = 0; k < o->nparts; k++) {
		memcpy(text + n, o->iov[k].iov_base, o->iov[k].iov_len);
		n += o->iov[k].iov_len;
	}
	text[n] = '\0';
	if (memchr(text, '\0', n) != NULL)
		differ(c, i, "a NUL byte in the datagram");
	if ((got = json_loadb(text, n, JSON_ALLOW_NUL, &err)) == NULL)
		differ(c, i, "fast path text is not JSON (%s at %d): %.400s",
		    err.text, err.position, text);
	if (!json_is_object(got))
		differ(c, i, "fast path text is not an object: %.400s", text);
	/* Does the event repeat a key? */
	in = json_loadb(span, spanlen, SPAN_FLAGS | JSON_REJECT_DUPLICATES,
	    NULL);
	if (json_equal(got, r->out))
		;	/* the same */
	else if (!strict() && !canonical(span, spanlen) &&
	    dropped_else(got, r->out))
		known = true;
	else
		differ(c, i, "fast path differs from the reference\n"
		    "  fast: %.*s%s%s\n  ref:  %.*s%s%s", head(text), text,
		    gap(text), tail(text), head(r->text), r->text, gap(r->text),
		    tail(r->text));
	if (o->len > cfg->max_bytes)
		differ(c, i, "fast path text has %zu bytes > max_bytes %zu",
		    o->len, cfg->max_bytes);
	fit_measure(got, &m);
	if (m.fields > cfg->max_fields)
		differ(c, i, "fast path text has %zu fields > max_fields %zu",
		    m.fields, cfg->max_fields);
	if (m.depth > FIT_MAX_DEPTH)
		differ(c, i, "fast path text nests %zu deep", m.depth);
	/* A repeated key the event did not have: analysisd may read either. */
	dup = json_loadb(text, n, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES,
	    NULL);
	if (dup == NULL && in != NULL)
		differ(c, i, "fast path text repeats a key: %.2000s", text);
	json_decref(in);
	json_decref(dup);
	json_decref(got);
	free(text);
	return known;
}

/*
 * Event i of the line under configuration `cfg` (number c in messages).
 * When the reference sends it, *len and *fields say how many bytes and
 * fields it sends, else both are 0.
 */
static void
compare_event(const struct shape_config *cfg, size_t c, size_t i,
    const char *text, const struct jobject *ev, const struct jmember *members,
    size_t *len, size_t *fields)
{
	struct shape_stats fst = { 0, 0, 0 };
	struct shape_stats none = { 0, 0, 0 };
	struct fit_measure m;
	struct fastpath_out out;
	enum fastpath_status st;
	bool known;
	struct ref r;

	current = cfg;
	reference(c, i, cfg, text, ev, members, &r);
	*len = *fields = 0;
	if (r.out != NULL) {
		fit_measure(r.out, &m);
		*len = r.len;
		*fields = m.fields;
	}
	st = fastpath_shape(cfg, text, ev, members, &out, &fst);
	switch (st) {
	case FASTPATH_READY:
		known = check_ready(c, i, cfg, &out, &r, text + ev->span.off,
		    ev->span.len);
		fastpath_out_free(&out);
		if (!known && !same_stats(&fst, &r.stats))
			differ(c, i, "READY counts redacted %llu trimmed %llu "
			    "filtered %llu, the reference %llu %llu %llu",
			    fst.redacted, fst.trimmed, fst.filtered,
			    r.stats.redacted, r.stats.trimmed, r.stats.filtered);
		break;
	case FASTPATH_FILTERED:
		if (!r.checked || r.st != SHAPE_FILTERED)
			differ(c, i, "fast path FILTERED, reference %s",
			    r.checked ? ref_name[r.st] : "rejects the event");
		if (!same_stats(&fst, &r.stats))
			differ(c, i, "FILTERED counts filtered %llu, the reference "
			    "%llu", fst.filtered, r.stats.filtered);
		break;
	case FASTPATH_FALLBACK:
		/* The caller shapes it again: counting here counts twice. */
		if (!same_stats(&fst, &none))
			differ(c, i, "FALLBACK counted redacted %llu trimmed %llu "
			    "filtered %llu", fst.redacted, fst.trimmed,
			    fst.filtered);
		break;
	case FASTPATH_NOMEM:
	default:
		differ(c, i, "fast path %s", (unsigned)st < 4 ?
		    fast_name[st] : "?");
	}
	/* FILTERED is the stage filter's alone: the reference must agree. */
	if (r.checked && r.st == SHAPE_FILTERED && st == FASTPATH_READY)
		differ(c, i, "reference FILTERED, fast path READY");
	ref_free(&r);
}

/* The apiVersion of an audit object, or none. */
static bool
audit_api(const json_t *v)
{
	return v == NULL || (json_is_string(v) && strncmp(json_string_value(v),
	    AUDIT_API_GROUP, strlen(AUDIT_API_GROUP)) == 0);
}

/*
 * The reference reading of a line, from jansson's tree of it: the elements
 * of a root array, the items of a root object whose kind is "EventList"
 * (apiVersion, if any, audit's; items a non-empty array), else the root
 * object as one Event.  0 with *events (owned) and *single; -1 when
 * jansson refuses the line or it holds no events.
 */
static int
reference_events(const char *line, size_t len, json_t **events, bool *single)
{
	json_t *root, *items;
	const char *kind;

	if (len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;
		len -= 3;
	}
	*single = false;
	if ((root = json_loadb(line, len, JSON_ALLOW_NUL, NULL)) == NULL)
		return -1;
	if (json_is_array(root) && json_array_size(root) > 0) {
		*events = root;
		return 0;
	}
	kind = json_string_value(json_object_get(root, "kind"));
	items = json_object_get(root, "items");
	if (!json_is_object(root) || (kind != NULL && strcmp(kind,
	    "EventList") == 0 && (!audit_api(json_object_get(root,
	    "apiVersion")) || !json_is_array(items) ||
	    json_array_size(items) == 0))) {
		json_decref(root);
		return -1;
	}
	if (kind != NULL && strcmp(kind, "EventList") == 0) {
		*events = json_incref(items);
	} else {
		*single = true;
		*events = json_pack("[O]", root);
	}
	json_decref(root);
	return *events != NULL ? 0 : -1;
}

/*
 * batch_scan must find the line's events where jansson's tree has them:
 * the same number, each span's value the tree's.
 */
static void
compare_classification(int rc, const struct span_batch *sb, const char *line,
    size_t len, const char *reason)
{
	const struct jmember *members;
	const struct jobject *ev;
	json_t *item, *events = NULL;
	bool single;
	int prc = reference_events(line, len, &events, &single);
	size_t i;

	/*
	 * Known difference, not the fast path's: jansson 2.14 takes a raw
	 * NUL byte right after a number or literal (`{"":0<NUL>}`) as the end
	 * of that token; jsonscan, like RFC 8259, refuses it.
	 */
	if (rc == -EINVAL && prc == 0 && memchr(line, '\0', len) != NULL &&
	    !strict()) {
		json_decref(events);
		return;
	}
	/* Damage inside events: the scan takes the line, marked. */
	if (rc == 0 && prc != 0 && sb->sc->root_span.bad != 0)
		return;
	if ((rc == 0) != (prc == 0)) {
		fprintf(stderr, "fuzz_fastpath: batch_scan %d (%s), jansson's "
		    "tree %s\n", rc, rc ? reason : "ok", prc ? "refuses the line"
		    : "holds events");
		abort();
	}
	if (rc != 0)
		return;
	if (sb->count != json_array_size(events) || sb->single != single) {
		fprintf(stderr, "fuzz_fastpath: batch_scan finds %zu events%s, "
		    "jansson %zu%s\n", sb->count, sb->single ? " (single)" :
		    "", json_array_size(events), single ? " (single)" : "");
		abort();
	}
	for (i = 0; i < sb->count; i++) {
		ev = batch_span_item(sb, i, &members);
		item = json_loadb(sb->text + ev->span.off, ev->span.len,
		    SPAN_FLAGS, NULL);
		if (item == NULL || !json_equal(item, json_array_get(events,
		    i))) {
			fprintf(stderr, "fuzz_fastpath: event %zu's span is not "
			    "jansson's: %.*s\n", i,
			    (int)(ev->span.len > 300 ? 300 : ev->span.len),
			    sb->text + ev->span.off);
			abort();
		}
		json_decref(item);
	}
	json_decref(events);
}

/*
 * What a client can put into a body that the grammar steps over: each
 * makes its event `bad` and must cost nothing but the member holding it.
 */
static const char *const poisons[] = {
	"\"a\xff\xfe\"", "\"\\ud800\"", "\"x\\udc00\"", "1e999", "-1e999",
	"123456789012345678901234567890", "{\"a\\u0000\":1}", "\"a\x01\"",
	"\"a\\q\"",
	"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
};

static void
poison_fail(const char *what, size_t k, size_t p)
{
	fprintf(stderr, "fuzz_fastpath: poisoned member %zu with poison %zu: "
	    "%s\n", k, p, what);
	abort();
}

/* Member i's key as jansson reads it (a JSON string). */
static json_t *
key_of(const char *text, const struct jmember *m, size_t i, size_t k,
    size_t p)
{
	json_t *v;
	char *key;

	if ((key = malloc(m[i].key.len + 3)) == NULL)
		abort();
	memcpy(key, text + m[i].key.off - 1, m[i].key.len + 2);
	key[m[i].key.len + 2] = '\0';
	v = json_loads(key, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	free(key);
	if (v == NULL)
		poison_fail("a key does not load", k, p);
	return v;
}

/*
 * Does batch_reduce replace poison p of member `key` whole?  A body or a
 * scalar, yes; other objects and arrays (the metadata) keep their
 * undamaged parts, nesting past the limit included.
 */
static bool
replaced_whole(const json_t *key, size_t p)
{
	const char *pv = poisons[p], *name = json_string_value(key);

	return (pv[0] != '{' && pv[0] != '[') ||
	    (name != NULL && (strcmp(name, "requestObject") == 0 ||
	    strcmp(name, "responseObject") == 0));
}

/* The reduced event keeps every member but member k as jansson reads it. */
static void
check_reduced(const char *text, const struct jobject *ev,
    const struct jmember *m, size_t k, size_t p, const json_t *red)
{
	json_t *want = NULL, *other, *got;
	bool last = true;
	char *key;
	size_t i;

	for (i = 0; i < ev->count; i++) {
		other = key_of(text, m, i, k, p);
		if (i == k)
			want = json_incref(other);
		/* Repeated, escaped or not: the last value is the one kept. */
		else if (i > k && json_equal(want, other))
			last = false;
		json_decref(other);
	}
	got = json_object_get(red, json_string_value(want));
	if (last && replaced_whole(want, p) && !json_is_string(got))
		poison_fail("the poisoned member is no marker", k, p);
	if (last && !replaced_whole(want, p) && json_typeof(got) !=
	    (poisons[p][0] == '{' ? JSON_OBJECT : JSON_ARRAY))
		poison_fail("the poisoned metadata lost its type", k, p);
	json_decref(want);
	if ((key = json_dumps(red, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		poison_fail("the reduced event does not serialize", k, p);
	free(key);
}

/*
 * How the poisoned line opens: its events under `items`, or under an
 * escaped or repeated `items` key after a decoy array jansson drops.
 */
static const char *const heads[] = {
	"{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\","
	"\"items\":[",
	"{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\","
	"\"items\":[{\"decoy\":1e999},7],\"\\u0069tems\":[",
	"{\"\\u006bind\":\"EventList\",\"items\":[1e999],\"apiVersion\":"
	"\"audit.k8s.io/v1\",\"items\":[",
};

/*
 * The property: [E, E with member k poisoned, E] frames, the copies of E
 * come out unmarked and as they were, the poisoned one marked and reduced.
 */
static void
check_poisoned(const char *text, const struct jobject *ev,
    const struct jmember *members, size_t k, size_t p, size_t h)
{
	static struct jscan sc;
	const char *head = heads[h];
	const struct jmember *m = members + ev->first, *pm;
	const char *e = text + ev->span.off, *pv = poisons[p];
	size_t el = ev->span.len, vo = m[k].value.off - ev->span.off;
	size_t n = 0, cap = strlen(head) + 3 * el + strlen(pv) + 8, i;
	const struct jobject *it;
	struct shape_config cfg;
	struct span_batch b;
	char reason[256], dropped[192];
	size_t c, len, fields;
	json_t *red;
	char *line;

	if ((line = malloc(cap)) == NULL)
		abort();
	n += (size_t)sprintf(line, "%s", head);
	memcpy(line + n, e, el);
	n += el;
	line[n++] = ',';
	memcpy(line + n, e, vo);
	n += vo;
	memcpy(line + n, pv, strlen(pv));
	n += strlen(pv);
	memcpy(line + n, e + vo + m[k].value.len, el - vo - m[k].value.len);
	n += el - vo - m[k].value.len;
	line[n++] = ',';
	memcpy(line + n, e, el);
	n += el;
	memcpy(line + n, "]}", 2);
	n += 2;
	if (batch_scan(&b, &sc, line, n, reason, sizeof(reason)) != 0 ||
	    b.count != 3)
		poison_fail(reason, k, p);
	for (i = 0; i < 3; i += 2) {
		it = batch_span_item(&b, i, &pm);
		if (it->bad != 0 || it->span.len != el ||
		    memcmp(b.text + it->span.off, e, el) != 0)
			poison_fail("a copy around the poison changed", k, p);
	}
	it = batch_span_item(&b, 1, &pm);
	if (it->bad == 0 || it->count != ev->count ||
	    pm[it->first + k].bad == 0)
		poison_fail("the poison is not marked on its member", k, p);
	if (batch_reduce(b.text, it, pm, &red, dropped, sizeof(dropped)) != 0)
		abort();
	if ((pm[it->first + k].bad & JBAD_KEY) == 0)
		check_reduced(b.text, it, pm + it->first, k, p, red);
	json_decref(red);
	/* Shaped, the poisoned event is what deliver_reduced sends. */
	for (c = 0; c < NCONFIGS; c++) {
		config(&cfg, c);
		compare_event(&cfg, c, 1, b.text, it, pm, &len, &fields);
	}
	free(line);
}

/* The index of the event's first body, or its count when it has none. */
static size_t
body_of(const char *text, const struct jobject *ev,
    const struct jmember *members)
{
	const struct jmember *m = members + ev->first;
	size_t i;

	for (i = 0; i < ev->count; i++)
		if (jscan_key_is(text, &m[i], "requestObject") ||
		    jscan_key_is(text, &m[i], "responseObject"))
			break;
	return i;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Reused across inputs, as the plugin reuses its scanner. */
	static struct jscan sc;
	static bool ready;
	const struct jmember *members;
	struct shape_config cfg;
	const struct jobject *ev;
	struct span_batch b;
	size_t c, i, k, len, fields, len0, fields0;
	char reason[256];
	int rc;

	if (!ready) {
		jscan_init(&sc);
		/* A window of two: the events of most inputs are scanned
		 * again (jscan_items_at), and checked against jansson's. */
		jscan_set_window(&sc, 2);
		ready = true;
	}
	rc = batch_scan(&b, &sc, (const char *)data, size, reason,
	    sizeof(reason));
	if (rc == -ENOMEM)
		abort();
	compare_classification(rc, &b, (const char *)data, size, reason);
	if (rc != 0)
		return 0;
	for (i = 0; i < b.count; i++) {
		ev = batch_span_item(&b, i, &members);
		if (ev->is_object && ev->count > 0 && ev->bad == 0) {
			check_poisoned(b.text, ev, members, size % ev->count,
			    (size / 7) % (sizeof(poisons) / sizeof(*poisons)),
			    (size / 3) % (sizeof(heads) / sizeof(*heads)));
			/* A body, where a client's damage lands. */
			if ((k = body_of(b.text, ev, members)) < ev->count)
				check_poisoned(b.text, ev, members, k, (size /
				    3) % (sizeof(poisons) / sizeof(*poisons)),
				    (size / 5) % (sizeof(heads) / sizeof(*heads)));
		}
		len0 = fields0 = 0;
		for (c = 0; c < NCONFIGS; c++) {
			config(&cfg, c);
			compare_event(&cfg, c, i, b.text, ev, members, &len, &fields);
			if (c == 0) {
				len0 = len;
				fields0 = fields;
			}
		}
		/*
		 * At the edge: the first configuration's limits set to what its
		 * reference output holds, or one less (bytes or fields, as the
		 * event's length says), so that an off-by-one shows.
		 */
		if (len0 == 0 || fields0 == 0)
			continue;
		config(&cfg, 0);
		cfg.max_bytes = len0 - (ev->span.len & 1);
		cfg.max_fields = fields0 - ((ev->span.len >> 1) & 1);
		compare_event(&cfg, NCONFIGS, i, b.text, ev, members, &len,
		    &fields);
	}
	return 0;
}

/*
 * The mutator.  Byte mutations mostly break the JSON, which the scanner
 * then refuses; two times in three the input is instead parsed, one of its
 * values changed as a client or a proxy might (a member renamed, removed,
 * repeated or re-typed, a subtree copied, a body grown past the limits, an
 * object widened to hundreds of members, a key escaped) and written back,
 * compact or not.
 */
static unsigned long long rng;

static size_t
pick(size_t n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return n ? (size_t)((rng >> 33) % n) : 0;
}

static const char *const keys[] = {
	"kind", "apiVersion", "level", "auditID", "stage", "requestURI", "verb",
	"user", "impersonatedUser", "sourceIPs", "userAgent", "objectRef",
	"responseStatus", "requestObject", "responseObject", "annotations",
	"requestReceivedTimestamp", "stageTimestamp", "k8s", "items",
	"metadata", "managedFields", "spec", "data", "stringData", "binaryData",
	"containers", "initContainers", "securityContext", "privileged",
	"hostNetwork", "hostPID", "hostPath", "volumes", "rules", "verbs",
	"resources", "apiGroups", "roleRef", "subjects", "type", "ports",
	"nodePort", "token", "status", "name", "namespace", "resource",
	"subresource", "username", "groups", "uid", "code", "command",
	"dropped", "redacted", "password", "value", "env", "image",
	"kubectl.kubernetes.io/last-applied-configuration", "",
};

static const char *const strings[] = {
	"Event", "EventList", "audit.k8s.io/v1", "audit.k8s.io/v1beta1", "v1",
	"RequestReceived", "ResponseStarted", "ResponseComplete", "Panic",
	"Metadata", "Request", "RequestResponse", "create", "update", "patch",
	"delete", "get", "list", "watch", "Pod", "Secret", "SecretList",
	"ConfigMap", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding",
	"Service", "NodePort", "TokenRequest", "TokenReview", "pods", "secrets",
	"configmaps", "services", "serviceaccounts", "clusterroles",
	"rolebindings", "exec", "attach", "token", "*", "system:anonymous",
	"system:masters", "cluster-admin", "/api/v1/namespaces/a/pods/p/exec"
	"?command=sh", "password=hunter2", "-----BEGIN RSA PRIVATE KEY-----\nMIIB"
	"\n-----END RSA PRIVATE KEY-----", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIx"
	"In0.c2lnbmF0dXJl", "AKIAIOSFODNN7EXAMPLE", "\xc3\xa9\xe2\x82\xac",
	"{\"kind\":\"Secret\",\"data\":{\"k\":\"djE=\"}}", "",
};

/* Every object and array of the tree, up to a bound. */
static size_t
containers(json_t *v, json_t **out, size_t n, size_t cap)
{
	const char *key;
	json_t *x;
	size_t i;

	if (n == cap || !(json_is_object(v) || json_is_array(v)))
		return n;
	out[n++] = v;
	if (json_is_object(v)) {
		json_object_foreach(v, key, x)
			n = containers(x, out, n, cap);
	} else {
		json_array_foreach(v, i, x)
			n = containers(x, out, n, cap);
	}
	return n;
}

static json_t *
random_value(json_t **all, size_t nall)
{
	static const char nul[] = "a\0b";
	char *big;
	size_t n;
	json_t *v;

	switch (pick(12)) {
	case 0: return json_true();
	case 1: return json_false();
	case 2: return json_null();
	case 3: return json_integer((json_int_t)pick(70000) - 5);
	case 4: return json_real(pick(2) ? 1.0e5 : -0.0);
	case 5: return json_object();
	case 6: return json_array();
	case 7: return json_stringn(nul, 3);
	case 8:
		/* Past the limits, so that fitting drops it. */
		n = 100 + pick(3) * 1000 + pick(2) * 66000;
		if ((big = malloc(n + 1)) == NULL)
			return NULL;
		memset(big, 'x', n);
		big[n] = '\0';
		v = json_string(big);
		free(big);
		return v;
	case 9:
		return json_deep_copy(all[pick(nall)]);
	default:
		return json_string(strings[pick(sizeof(strings) /
		    sizeof(*strings))]);
	}
}

/* Keys marked to come out repeated or escaped (see unmark). */
#define MARK_REPEAT '\001'
#define MARK_ESCAPE '\002'

static void
mutate_tree(json_t *root)
{
	json_t *all[512], *c, *v;
	const char *key;
	char marked[128];
	size_t nall, n, i;
	void *iter;

	nall = containers(root, all, 0, sizeof(all) / sizeof(*all));
	c = all[pick(nall)];
	if (json_is_array(c)) {
		n = json_array_size(c);
		if (n > 0 && pick(3) == 0)
			json_array_remove(c, pick(n));
		else if (n > 0 && pick(2) == 0)
			json_array_set_new(c, pick(n), random_value(all, nall));
		else
			json_array_insert_new(c, pick(n + 1),
			    random_value(all, nall));
		return;
	}
	n = json_object_size(c);
	iter = json_object_iter(c);
	for (i = n ? pick(n) : 0; iter != NULL && i > 0; i--)
		iter = json_object_iter_next(c, iter);
	key = iter ? json_object_iter_key(iter) : NULL;
	switch (key ? pick(7) : 0) {
	case 0:		/* a member added or replaced */
		json_object_set_new(c, keys[pick(sizeof(keys) / sizeof(*keys))],
		    random_value(all, nall));
		break;
	case 1:		/* removed */
		json_object_del(c, key);
		break;
	case 2:		/* a new value */
		json_object_set_new(c, key, random_value(all, nall));
		break;
	case 3:		/* renamed */
		v = json_incref(json_object_get(c, key));
		json_object_del(c, key);
		json_object_set_new(c, keys[pick(sizeof(keys) / sizeof(*keys))],
		    v);
		break;
	case 5:		/* widened past the 64 members prune.c holds inline */
		for (i = 64 + pick(200); i > 0; i--) {
			snprintf(marked, sizeof(marked), "w%zu", i);
			json_object_set_new(c, marked,
			    json_integer((json_int_t)i));
		}
		break;
	case 4:		/* repeated, or its key escaped */
	default:
		if (strlen(key) == 0 || strlen(key) + 2 > sizeof(marked))
			break;
		marked[0] = pick(2) ? MARK_REPEAT : MARK_ESCAPE;
		strcpy(marked + 1, key);
		v = marked[0] == MARK_REPEAT ?
		    json_deep_copy(json_object_get(c, key)) :
		    json_incref(json_object_get(c, key));
		if (marked[0] == MARK_ESCAPE)
			json_object_del(c, key);
		json_object_set_new(c, marked, v);
		break;
	}
}

/*
 * Turn the marked keys of the dumped text into what they stand for:
 * `"\u0001KEY"` into `"KEY"` (the key again), `"\u0002KEY"` into `"\u00xxEY"`
 * (the key with its first byte escaped).  Both shorten the text.
 */
static size_t
unmark(char *t, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t r = 0, w = 0;

	while (r < len) {
		if (r + 7 < len && memcmp(t + r, "\"\\u000", 6) == 0 &&
		    (t[r + 6] == '1' || t[r + 6] == '2')) {
			unsigned char first = (unsigned char)t[r + 7];

			t[w++] = '"';
			if (t[r + 6] == '2' && first < 0x80 && first != '\\' &&
			    first != '"') {
				memcpy(t + w, "\\u00", 4);
				t[w + 4] = hex[first >> 4];
				t[w + 5] = hex[first & 15];
				w += 6;
				r += 8;
			} else {
				r += 7;
			}
			continue;
		}
		t[w++] = t[r++];
	}
	return w;
}

size_t
LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
    unsigned int seed)
{
	json_t *root;
	char *text;
	size_t len, k, rounds;

	rng = seed;
	if (pick(3) == 0 ||
	    (root = json_loadb((const char *)data, size, JSON_ALLOW_NUL,
	    NULL)) == NULL)
		return LLVMFuzzerMutate(data, size, max_size);
	for (rounds = 1 + pick(3), k = 0; k < rounds; k++)
		mutate_tree(root);
	text = json_dumps(root, pick(8) == 0 ? JSON_INDENT(pick(3)) :
	    pick(8) == 0 ? JSON_ENSURE_ASCII | JSON_COMPACT : JSON_COMPACT);
	json_decref(root);
	if (text == NULL)
		return LLVMFuzzerMutate(data, size, max_size);
	len = unmark(text, strlen(text));
	if (len > max_size) {
		free(text);
		return LLVMFuzzerMutate(data, size, max_size);
	}
	memcpy(data, text, len);
	free(text);
	return len;
}

#else /* FUZZ_FASTPATH_SEEDS */

static int seq;

static int
write_seed(const char *dir, const char *text, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/fp%d", dir, ++seq);
	if ((f = fopen(path, "wb")) == NULL)
		return -1;
	if (fwrite(text, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

/*
 * One event, compact: alone, as an EventList of one, and as one whose
 * items key is escaped and repeats a decoy array's (jansson keeps it).
 */
static int
write_event(const char *dir, json_t *ev)
{
	static const char head[] = "{\"kind\":\"EventList\",\"apiVersion\":"
	    "\"audit.k8s.io/v1\",\"items\":[{}],\"\\u0069tems\":[";
	json_t *list = json_pack("{s:s,s:s,s:[O]}", "kind", "EventList",
	    "apiVersion", "audit.k8s.io/v1", "items", ev);
	char *one = json_dumps(ev, JSON_COMPACT | JSON_ENCODE_ANY);
	char *many = list ? json_dumps(list, JSON_COMPACT) : NULL;
	char *repeated = one ? malloc(sizeof(head) + strlen(one) + 2) : NULL;
	int rc = one && many && repeated && write_seed(dir, one,
	    strlen(one)) == 0 && write_seed(dir, many, strlen(many)) == 0 ?
	    0 : -1;

	if (rc == 0) {
		sprintf(repeated, "%s%s]}", head, one);
		rc = write_seed(dir, repeated, strlen(repeated));
	}
	free(repeated);
	free(one);
	free(many);
	json_decref(list);
	return rc;
}

/* A JSON value's events: an EventList's items, an array's elements. */
static int
write_events(const char *dir, json_t *v)
{
	json_t *items = json_is_object(v) ? json_object_get(v, "items") : NULL;
	json_t *e;
	size_t i;

	if (json_is_array(v))
		items = v;
	if (!json_is_array(items))
		return write_event(dir, v);
	json_array_foreach(items, i, e) {
		if (write_event(dir, e) != 0)
			return -1;
	}
	return 0;
}

/*
 * A JSON file as it is, or each line of a JSON lines file as it is; then
 * their events, compacted.
 */
static int
write_file(const char *dir, const char *name)
{
	char *buf = NULL, *p, *nl;
	size_t cap = 0, len = 0, n;
	json_t *v;
	FILE *f = fopen(name, "rb");
	int rc = 0;

	if (f == NULL)
		return -1;
	for (;;) {
		if (len == cap && (p = realloc(buf, cap = cap * 2 + 65536)) ==
		    NULL) {
			free(buf);
			fclose(f);
			return -1;
		}
		buf = p;
		if ((n = fread(buf + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	fclose(f);
	if ((v = json_loadb(buf, len, JSON_ALLOW_NUL, NULL)) != NULL) {
		rc |= write_seed(dir, buf, len);
		rc |= write_events(dir, v);
		json_decref(v);
	} else {
		/* JSON lines: each line as it is, and compacted. */
		for (p = buf; rc == 0 && p < buf + len; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(buf + len - p))) == NULL)
				nl = buf + len;
			if (nl == p)
				continue;
			rc |= write_seed(dir, p, (size_t)(nl - p));
			if ((v = json_loadb(p, (size_t)(nl - p), JSON_ALLOW_NUL,
			    NULL)) != NULL) {
				rc |= write_events(dir, v);
				json_decref(v);
			}
		}
	}
	free(buf);
	return rc;
}

int
main(int argc, char **argv)
{
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR FILE...\n", argv[0]);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (write_file(argv[1], argv[i]) != 0) {
			fprintf(stderr, "%s: cannot write the seeds of %s\n",
			    argv[0], argv[i]);
			rc = 1;
		}
	}
	printf("%d\n", seq);
	return rc;
}

#endif /* FUZZ_FASTPATH_SEEDS */
