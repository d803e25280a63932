/*
 * Unit tests of plugin/shape/head.c: head_from_text reads from an event's bytes
 * the head that head_from_json reads from the event's jansson tree.
 * - Every object of every corpus document and rule test event (as written,
 *   and the corpus events rendered compact): where event_check refuses the
 *   parsed event head_from_text returns -EAGAIN; where it returns 0 the two
 *   heads agree field by field and its strings do not point into the text;
 *   and it returns 0 for every accepted event whose top-level keys are
 *   unique and whose user, impersonatedUser, objectRef, responseStatus and
 *   annotations hold no escaped keys.
 * - A table of small events (escapes in values, groups, sourceIPs,
 *   objectRef, responseStatus.code, annotations, repeated and escaped keys,
 *   what event_check refuses), each with the return code expected and, for
 *   some, the value one field must have; the same contract checks apply.
 * - head_free on a zeroed head, a head from head_from_json and one from
 *   head_from_text.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "corpus.h"
#include "eventlist.h"
#include "head.h"
#include "jsonscan.h"
#include "tap.h"

#define LOAD_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)
#define MAX_DIAG 10

/* ---- a head's fields as text ----------------------------------------------- */

enum ftype { F_STR, F_BOOL, F_CODE };

static const struct field {
	const char *name;
	size_t off;
	enum ftype type;
} fields[] = {
#define FSTR(m) { #m, offsetof(struct head, m), F_STR }
#define FBOOL(m) { #m, offsetof(struct head, m), F_BOOL }
	FSTR(verb), FSTR(stage), FSTR(request_uri), FSTR(username),
	FBOOL(unauthenticated), FSTR(impersonated), FSTR(source_ip),
	FSTR(resource), FSTR(subresource), FSTR(namespace), FSTR(name),
	{ "code", offsetof(struct head, code), F_CODE },
	FSTR(decision), FSTR(reason), FSTR(psa_violations), FSTR(psa_enforce),
	FBOOL(truncated),
#undef FSTR
#undef FBOOL
};

#define NFIELDS (sizeof(fields) / sizeof(*fields))

/*
 * Field `f` of `h` as a C string: a string member as it is (NULL for none),
 * a bool as "true" or "false", the code in decimal, or NULL when has_code
 * is false (code means nothing then).
 */
static const char *
field_text(const struct head *h, const struct field *f, char *buf,
    size_t size)
{
	const char *p = (const char *)h + f->off;

	switch (f->type) {
	case F_STR:
		return *(const char *const *)(const void *)p;
	case F_BOOL:
		return *(const bool *)(const void *)p ? "true" : "false";
	case F_CODE:
		break;
	}
	if (!h->has_code)
		return NULL;
	snprintf(buf, size, "%lld", h->code);
	return buf;
}

static const struct field *
field_named(const char *name)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

/* C-string equality, where NULL equals only NULL. */
static bool
same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static bool
field_is(const struct head *h, const struct field *f, const char *want)
{
	char buf[32];

	return same(field_text(h, f, buf, sizeof(buf)), want);
}

/* The first field in which heads `a` and `b` differ, or NULL. */
static const struct field *
differs(const struct head *a, const struct head *b)
{
	char buf[32];

	for (size_t i = 0; i < NFIELDS; i++)
		if (!field_is(a, &fields[i], field_text(b, &fields[i], buf,
		    sizeof(buf))))
			return &fields[i];
	return NULL;
}

/* A head that holds nothing: every field as in a zeroed head, no buf. */
static bool
empty(const struct head *h)
{
	static const struct head zero;

	return h->buf == NULL && differs(h, &zero) == NULL;
}

/* Field `f` of `h` for a diagnostic: JSON-quoted, or NULL. */
static void
show(const char *label, const struct head *h, const struct field *f)
{
	char buf[32];
	const char *v = field_text(h, f, buf, sizeof(buf));
	json_t *s = v ? json_string(v) : NULL;
	char *q = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;

	diag("  %s: %s = %s", label, f->name, q ? q : "NULL");
	free(q);
	json_decref(s);
}

/* ---- one event object, both ways ------------------------------------------- */

/* What reading one event object gave; outcome_free releases it. */
struct outcome {
	json_t *event;		/* the parse of its text */
	bool accepted;		/* event_check accepts `event` */
	bool plain;		/* ... and nothing allows head_from_text to
				 * refuse it (plain_keys) */
	int rc;			/* head_from_text's */
	struct head text;	/* from head_from_text */
	struct head json;	/* from head_from_json; zeroed if refused */
	const struct field *diff;	/* a field in which they differ */
};

static void
outcome_free(struct outcome *o)
{
	head_free(&o->text);
	/* head.h: also safe on a head from head_from_json. */
	head_free(&o->json);
	json_decref(o->event);
}

/* No key of the object whose JSON text is `v` holds an escape. */
static bool
unescaped_keys(const char *text, struct jspan v)
{
	char reason[128];
	struct jscan sc;
	bool plain;

	jscan_init(&sc);
	plain = jscan_line(&sc, text + v.off, v.len, EVENTLIST_MAX_DEPTH,
	    reason, sizeof(reason)) == JSCAN_OK;
	for (size_t i = 0; plain && i < sc.nroot; i++)
		plain = !sc.root[i].key_escaped;
	jscan_free(&sc);
	return plain;
}

/*
 * Nothing head.h lets head_from_text refuse: the top-level keys (which the
 * callers checked hold no escapes) are unique, and the objects the head is
 * read from hold no escaped keys.
 */
static bool
plain_keys(const char *text, const struct jmember *m, size_t count)
{
	static const char *const read[] = {
		"user", "impersonatedUser", "objectRef", "responseStatus",
		"annotations",
	};
	const struct jmember *v;

	for (size_t i = 0; i < count; i++)
		for (size_t k = 0; k < i; k++)
			if (m[k].key.len == m[i].key.len && memcmp(text +
			    m[k].key.off, text + m[i].key.off, m[i].key.len) == 0)
				return false;
	for (size_t i = 0; i < sizeof(read) / sizeof(*read); i++) {
		v = jscan_find(m, count, text, read[i]);
		if (v != NULL && text[v->value.off] == '{' &&
		    !unescaped_keys(text, v->value))
			return false;
	}
	return true;
}

/*
 * Read the head of event object `ev` (members[ev->first ..] of the scan of
 * `len` bytes of `text`) both ways into *o and check head.h's contract.
 * NULL when it holds, else why not.
 */
static const char *
check_object(const char *text, size_t len, const struct jobject *ev,
    const struct jmember *members, struct outcome *o)
{
	const struct jmember *m = members + ev->first;
	char reason[256], *copy = malloc(len + 1);

	memset(o, 0, sizeof(*o));
	o->event = json_loadb(text + ev->span.off, ev->span.len, LOAD_FLAGS,
	    NULL);
	if (copy == NULL || o->event == NULL) {
		free(copy);
		return "not parsed by jansson";
	}
	o->accepted = event_check(o->event, reason, sizeof(reason)) == 0;
	o->plain = o->accepted && plain_keys(text, m, ev->count);
	if (o->accepted)
		head_from_json(o->event, &o->json);
	memcpy(copy, text, len);
	o->rc = head_from_text(copy, m, ev->count, &o->text);
	/* The strings must be the head's own: wipe the text they came from. */
	memset(copy, 0, len);
	free(copy);
	if (o->rc != 0 && o->rc != -EAGAIN)
		return "neither 0 nor -EAGAIN";
	if (o->rc == 0 && !o->accepted)
		return "0 for an event event_check refuses";
	if (o->rc != 0 && o->plain)
		return "-EAGAIN for an accepted event with plain keys";
	if (o->rc != 0 && !empty(&o->text))
		return "the head holds something after -EAGAIN";
	if (o->json.buf != NULL)
		return "head_from_json set buf";
	if (o->rc == 0 && (o->diff = differs(&o->text, &o->json)) != NULL)
		return "the heads differ";
	return NULL;
}

static void
explain(const char *label, const struct outcome *o, const char *why)
{
	diag("%s: %s (rc %d, event_check %s)", label, why, o->rc,
	    o->accepted ? "accepts" : "refuses");
	if (o->diff == NULL)
		return;
	show("head_from_text", &o->text, o->diff);
	show("head_from_json", &o->json, o->diff);
}

/* ---- the corpus -------------------------------------------------------------- */

struct totals {
	size_t objects, escaped, accepted, plain, read, bad;
};

static void
check_one(const char *text, size_t len, const struct jobject *ev,
    const struct jmember *members, struct totals *t, const char *label)
{
	struct outcome o;
	const char *why;

	/* head_from_text's callers only pass events with unescaped keys. */
	for (size_t i = 0; i < ev->count; i++)
		if (members[ev->first + i].key_escaped) {
			t->escaped++;
			return;
		}
	t->objects++;
	why = check_object(text, len, ev, members, &o);
	t->accepted += o.accepted;
	t->plain += o.plain;
	t->read += o.rc == 0;
	if (why != NULL && ++t->bad <= MAX_DIAG)
		explain(label, &o, why);
	outcome_free(&o);
}

/* Every object of one document: the root and the elements of its items
 * (an EventList's root is refused by event_check: -EAGAIN). */
static void
check_text(const char *text, size_t len, struct totals *t, const char *label)
{
	char reason[256];
	struct jscan sc;

	jscan_init(&sc);
	if (jscan_line(&sc, text, len, EVENTLIST_MAX_DEPTH, reason,
	    sizeof(reason)) != JSCAN_OK) {
		if (++t->bad <= MAX_DIAG)
			diag("%s: not scanned: %s", label, reason);
		jscan_free(&sc);
		return;
	}
	if (sc.root_span.is_object)
		check_one(text, len, &sc.root_span, sc.root, t, label);
	for (size_t i = 0; i < sc.nitems; i++)
		if (sc.items[i].is_object)
			check_one(text, len, &sc.items[i], sc.members, t, label);
	jscan_free(&sc);
}

/* A file as written: each line of a .jsonl file, a .json file whole. */
static void
check_file(const char *path, const char *name, struct totals *t)
{
	size_t len = 0, n;
	char *buf = corpus_read(path, &len), *text = buf, *end;

	if (buf == NULL) {
		t->bad++;
		diag("%s: not read", path);
		return;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	end = text + len;
	if (strstr(name, ".jsonl") == NULL)
		check_text(text, len, t, name);
	else
		for (; text < end; text += n + 1) {
			n = strcspn(text, "\n");
			if (strspn(text, " \t\r") < n)
				check_text(text, n, t, name);
		}
	free(buf);
}

static void
report(const struct totals *t, const char *what, size_t min)
{
	ok(t->bad == 0 && t->objects >= min, "%s: head.h's contract holds "
	    "(%zu objects, %zu accepted, %zu with plain keys, %zu read from "
	    "text; %zu with escaped top-level keys not tried)", what,
	    t->objects, t->accepted, t->plain, t->read, t->escaped);
	/* Not vacuous: the fast path reads the head of the whole corpus. */
	ok(t->read == t->accepted && t->read >= min, "%s: head_from_text "
	    "reads every event event_check accepts (%zu of %zu)", what,
	    t->read, t->accepted);
}

static void
test_corpus_files(void)
{
	struct totals t = { 0, 0, 0, 0, 0, 0 };
	char path[8192];
	char **names;
	size_t n;

	names = corpus_files(&n);
	for (size_t i = 0; names != NULL && i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), names[i]);
		check_file(path, names[i], &t);
	}
	corpus_files_free(names);
	report(&t, "corpus files as written", 200);
}

static void
test_corpus_compact(void)
{
	struct totals t = { 0, 0, 0, 0, 0, 0 };
	json_t *events = corpus_all_events(), *ev;
	char *text;
	size_t i;

	json_array_foreach(events, i, ev) {
		if ((text = json_dumps(ev, JSON_COMPACT)) == NULL) {
			t.bad++;
			continue;
		}
		check_text(text, strlen(text), &t, json_string_value(
		    json_object_get(ev, "auditID")));
		free(text);
	}
	json_decref(events);
	report(&t, "corpus events, compact", 200);
}

/* tests/rules/events: the events the rule tests feed the plugin. */
static void
test_rule_events(void)
{
	struct totals t = { 0, 0, 0, 0, 0, 0 };
	size_t n;
	char **paths = corpus_rule_files(&n);

	for (size_t i = 0; i < n; i++)
		check_file(paths[i], strrchr(paths[i], '/') + 1, &t);
	corpus_files_free(paths);
	report(&t, "rule test events", 50);
}

/* ---- a table of events --------------------------------------------------- */

/* The members of a minimal valid event; cases leave some out or add more. */
#define KIND "\"kind\":\"Event\","
#define API "\"apiVersion\":\"audit.k8s.io/v1\","
#define LEVEL "\"level\":\"Metadata\","
#define AUDIT_ID "\"auditID\":\"a\","
#define STAGE "\"stage\":\"ResponseComplete\","
#define URI "\"requestURI\":\"/api/v1/pods\","
#define VERB "\"verb\":\"list\","
#define USER "\"user\":{\"username\":\"u\"}"
/* The minimal event with its user replaced and `more` members appended. */
#define EV_USER(user, more) "{" KIND API LEVEL AUDIT_ID STAGE URI VERB \
	"\"user\":{" user "}" more "}"
#define EV(more) EV_USER("\"username\":\"u\"", more)

static const struct head_case {
	const char *name;
	const char *json;
	int rc;			/* head_from_text's return */
	const char *field;	/* with rc 0: this field of both heads ... */
	const char *want;	/* ... is this (NULL: none) */
} cases[] = {
	{ "minimal event", EV(""), 0, "verb", "list" },
	{ "no fields beyond the required ones", EV(""), 0, "source_ip", NULL },
	{ "whitespace everywhere", " { \"kind\" : \"Event\" ,\n\t\"level\" : "
	  "\"Metadata\" , \"auditID\" : \"a\" , \"stage\" : \"Panic\" ,\r\n"
	  "\"requestURI\" : \"/x\" , \"verb\" : \"get\" , \"user\" : { "
	  "\"username\" : \"u\" , \"groups\" : [ \"system:unauthenticated\" ] "
	  "} , \"sourceIPs\" : [ \"1.1.1.1\" , \"2.2.2.2\" ] } ",
	  0, "source_ip", "2.2.2.2" },
	{ "... and groups read through it", " { \"level\" : \"Metadata\" , "
	  "\"auditID\" : \"a\" , \"stage\" : \"Panic\" , \"requestURI\" : "
	  "\"/x\" , \"verb\" : \"get\" , \"user\" : { \"groups\" : [ 1 , "
	  "\"system:unauthenticated\" ] } } ", 0, "unauthenticated", "true" },

	/* Escapes in values are read as jansson reads them. */
	{ "username with \\n", EV_USER("\"username\":\"a\\nb\"", ""), 0,
	  "username", "a\nb" },
	{ "username with \\u00e9", EV_USER("\"username\":\"\\u00e9\"", ""), 0,
	  "username", "\xc3\xa9" },
	{ "username with a surrogate pair",
	  EV_USER("\"username\":\"\\ud83d\\ude00\"", ""), 0, "username",
	  "\xf0\x9f\x98\x80" },
	{ "username with every short escape",
	  EV_USER("\"username\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", ""), 0,
	  "username", "\"\\/\b\f\n\r\t" },
	{ "username system:anonymous",
	  EV_USER("\"username\":\"system:anonymous\"", ""), 0, "username",
	  "system:anonymous" },
	{ "requestURI with \\/", "{" KIND API LEVEL AUDIT_ID STAGE VERB
	  "\"requestURI\":\"\\/api\\/v1\\/pods?watch=1\"," USER "}", 0,
	  "request_uri", "/api/v1/pods?watch=1" },
	{ "username x\\u0000y reads as x", EV_USER("\"username\":"
	  "\"x\\u0000y\"", ""), 0, "username", "x" },
	{ "verb x\\u0000y reads as x", "{" KIND API LEVEL AUDIT_ID STAGE URI
	  "\"verb\":\"x\\u0000y\"," USER "}", 0, "verb", "x" },
	{ "stage with \\u escapes", "{" KIND API LEVEL AUDIT_ID URI VERB
	  "\"stage\":\"Response\\u0043omplete\"," USER "}", 0, "stage",
	  "ResponseComplete" },
	{ "impersonatedUser.username", EV(",\"impersonatedUser\":{"
	  "\"username\":\"sys\\u0074em:admin\",\"groups\":[]}"), 0,
	  "impersonated", "system:admin" },
	{ "impersonatedUser without a username", EV(",\"impersonatedUser\":{"
	  "\"uid\":\"1\"}"), 0, "impersonated", NULL },
	{ "username that is not a string", EV_USER("\"username\":5", ""), 0,
	  "username", NULL },
	{ "user without a username", EV_USER("", ""), 0, "username", NULL },

	/* user.groups: strcmp against system:unauthenticated. */
	{ "groups with system:unauthenticated", EV_USER("\"username\":\"u\","
	  "\"groups\":[\"system:authenticated\",\"system:serviceaccounts\","
	  "\"system:unauthenticated\"]", ""), 0, "unauthenticated", "true" },
	{ "groups with system:unauthenticated\\u0000zzz", EV_USER("\"groups\":"
	  "[\"system:unauthenticated\\u0000zzz\"]", ""), 0, "unauthenticated",
	  "true" },
	{ "groups with an escaped system:unauthenticated", EV_USER("\"groups\":"
	  "[\"system\\u003aunauthenticated\"]", ""), 0, "unauthenticated",
	  "true" },
	{ "groups with a longer name", EV_USER("\"groups\":["
	  "\"system:unauthenticated2\"]", ""), 0, "unauthenticated", "false" },
	{ "groups with a shorter name", EV_USER("\"groups\":["
	  "\"system:unauthenticate\"]", ""), 0, "unauthenticated", "false" },
	{ "groups with a non-string element", EV_USER("\"groups\":[5,null,"
	  "[\"system:unauthenticated\"],{\"g\":\"system:unauthenticated\"}]",
	  ""), 0, "unauthenticated", "false" },
	{ "groups empty", EV_USER("\"groups\":[]", ""), 0, "unauthenticated",
	  "false" },
	{ "groups a string", EV_USER("\"groups\":\"system:unauthenticated\"",
	  ""), 0, "unauthenticated", "false" },
	{ "groups an object", EV_USER("\"groups\":{\"system:unauthenticated\":"
	  "\"system:unauthenticated\"}", ""), 0, "unauthenticated", "false" },
	{ "groups repeated, the last without it", EV_USER("\"groups\":["
	  "\"system:unauthenticated\"],\"groups\":[]", ""), 0,
	  "unauthenticated", "false" },
	{ "groups repeated, the last with it", EV_USER("\"groups\":[],"
	  "\"groups\":[\"system:unauthenticated\"]", ""), 0, "unauthenticated",
	  "true" },

	/* sourceIPs: its last element. */
	{ "sourceIPs with two", EV(",\"sourceIPs\":[\"1.1.1.1\",\"2.2.2.2\"]"),
	  0, "source_ip", "2.2.2.2" },
	{ "sourceIPs with escapes", EV(",\"sourceIPs\":[\"1.1.1.1\","
	  "\"\\u0032.2.2.2\"]"), 0, "source_ip", "2.2.2.2" },
	{ "sourceIPs ending in a number", EV(",\"sourceIPs\":[\"1.1.1.1\",5]"),
	  0, "source_ip", NULL },
	{ "sourceIPs ending in an array", EV(",\"sourceIPs\":[\"1.1.1.1\","
	  "[\"2.2.2.2\"]]"), 0, "source_ip", NULL },
	{ "sourceIPs empty", EV(",\"sourceIPs\":[]"), 0, "source_ip", NULL },
	{ "sourceIPs not an array", EV(",\"sourceIPs\":\"1.1.1.1\""), -EAGAIN,
	  NULL, NULL },

	/* objectRef. */
	{ "objectRef resource", EV(",\"objectRef\":{\"resource\":\"pods\","
	  "\"namespace\":\"ns\",\"name\":\"p\"}"), 0, "resource", "pods" },
	{ "objectRef namespace", EV(",\"objectRef\":{\"resource\":\"pods\","
	  "\"namespace\":\"ns\",\"name\":\"p\"}"), 0, "namespace", "ns" },
	{ "objectRef name", EV(",\"objectRef\":{\"resource\":\"pods\","
	  "\"namespace\":\"ns\",\"name\":\"p\\u0031\"}"), 0, "name", "p1" },
	{ "objectRef subresource \"\"", EV(",\"objectRef\":{\"resource\":"
	  "\"pods\",\"subresource\":\"\"}"), 0, "subresource", NULL },
	{ "objectRef subresource \\u0000x", EV(",\"objectRef\":{\"resource\":"
	  "\"pods\",\"subresource\":\"\\u0000x\"}"), 0, "subresource", NULL },
	{ "objectRef subresource exec", EV(",\"objectRef\":{\"resource\":"
	  "\"pods\",\"subresource\":\"exec\"}"), 0, "subresource", "exec" },
	{ "objectRef resource not a string", EV(",\"objectRef\":{\"resource\":"
	  "[\"pods\"]}"), 0, "resource", NULL },
	{ "objectRef a string", EV(",\"objectRef\":\"pods\""), -EAGAIN, NULL,
	  NULL },
	{ "objectRef null", EV(",\"objectRef\":null"), -EAGAIN, NULL, NULL },
	{ "objectRef an array", EV(",\"objectRef\":[]"), -EAGAIN, NULL, NULL },

	/* responseStatus.code: only a JSON integer is a code. */
	{ "code 200", EV(",\"responseStatus\":{\"code\":200}"), 0, "code",
	  "200" },
	{ "code -0", EV(",\"responseStatus\":{\"code\":-0}"), 0, "code", "0" },
	{ "code -1", EV(",\"responseStatus\":{\"code\":-1}"), 0, "code", "-1" },
	{ "code LLONG_MAX", EV(",\"responseStatus\":{\"code\":"
	  "9223372036854775807}"), 0, "code", "9223372036854775807" },
	{ "code LLONG_MIN", EV(",\"responseStatus\":{\"code\":"
	  "-9223372036854775808}"), 0, "code", "-9223372036854775808" },
	{ "code 1.5", EV(",\"responseStatus\":{\"code\":1.5}"), 0, "code",
	  NULL },
	{ "code 1e3", EV(",\"responseStatus\":{\"code\":1e3}"), 0, "code",
	  NULL },
	{ "code 2E2", EV(",\"responseStatus\":{\"code\":2E2}"), 0, "code",
	  NULL },
	{ "code 200.0", EV(",\"responseStatus\":{\"code\":200.0}"), 0, "code",
	  NULL },
	{ "code \"200\"", EV(",\"responseStatus\":{\"code\":\"200\"}"), 0,
	  "code", NULL },
	{ "code null", EV(",\"responseStatus\":{\"code\":null}"), 0, "code",
	  NULL },
	{ "code absent", EV(",\"responseStatus\":{\"status\":\"Failure\"}"), 0,
	  "code", NULL },
	{ "code repeated", EV(",\"responseStatus\":{\"code\":1.5,\"code\":404,"
	  "\"reason\":\"NotFound\"}"), 0, "code", "404" },
	{ "responseStatus with whitespace", EV(",\"responseStatus\":{ "
	  "\"code\" : 403 }"), 0, "code", "403" },
	{ "responseStatus not an object", EV(",\"responseStatus\":200"),
	  -EAGAIN, NULL, NULL },

	/* annotations. */
#define ANN(body) EV(",\"annotations\":{" body "}")
	{ "decision", ANN("\"authorization.k8s.io/decision\":\"allow\""), 0,
	  "decision", "allow" },
	{ "reason", ANN("\"authorization.k8s.io/reason\":\"RBAC: allowed by "
	  "ClusterRoleBinding \\\"x\\\"\""), 0, "reason",
	  "RBAC: allowed by ClusterRoleBinding \"x\"" },
	{ "audit-violations", ANN("\"pod-security.kubernetes.io/"
	  "audit-violations\":\"would violate\""), 0, "psa_violations",
	  "would violate" },
	{ "enforce-policy", ANN("\"pod-security.kubernetes.io/enforce-policy\":"
	  "\"restricted:latest\""), 0, "psa_enforce", "restricted:latest" },
	{ "truncated true", ANN("\"audit.k8s.io/truncated\":\"true\""), 0,
	  "truncated", "true" },
	{ "truncated false", ANN("\"audit.k8s.io/truncated\":\"false\""), 0,
	  "truncated", "false" },
	{ "truncated TRUE", ANN("\"audit.k8s.io/truncated\":\"TRUE\""), 0,
	  "truncated", "false" },
	{ "truncated escaped true", ANN("\"audit.k8s.io/truncated\":"
	  "\"tru\\u0065\""), 0, "truncated", "true" },
	{ "truncated true\\u0000x", ANN("\"audit.k8s.io/truncated\":"
	  "\"true\\u0000x\""), 0, "truncated", "true" },
	{ "truncated trueish", ANN("\"audit.k8s.io/truncated\":\"trueish\""),
	  0, "truncated", "false" },
	{ "truncated \"\"", ANN("\"audit.k8s.io/truncated\":\"\""), 0,
	  "truncated", "false" },
	{ "all five annotations", ANN("\"a\":\"b\","
	  "\"authorization.k8s.io/decision\":\"forbid\","
	  "\"authorization.k8s.io/reason\":\"\","
	  "\"pod-security.kubernetes.io/audit-violations\":\"v\","
	  "\"pod-security.kubernetes.io/enforce-policy\":\"e\","
	  "\"audit.k8s.io/truncated\":\"true\""), 0, "decision", "forbid" },
	{ "an annotation whose value is a number", ANN("\"x\":5"), -EAGAIN,
	  NULL, NULL },
	{ "a read annotation whose value is a number",
	  ANN("\"authorization.k8s.io/decision\":1"), -EAGAIN, NULL, NULL },
	{ "an annotation whose value is null", ANN("\"a\":\"b\",\"x\":null"),
	  -EAGAIN, NULL, NULL },
	{ "annotations not an object", EV(",\"annotations\":[]"), -EAGAIN, NULL,
	  NULL },

	/* Repeated keys: jansson keeps the last; at the top level the text
	 * reader leaves them to the reference path. */
	{ "username repeated", EV_USER("\"username\":\"a\",\"username\":\"b\"",
	  ""), 0, "username", "b" },
	{ "username repeated, the last a number", EV_USER("\"username\":\"a\","
	  "\"username\":5", ""), 0, "username", NULL },
	{ "decision repeated", ANN("\"authorization.k8s.io/decision\":\"allow\","
	  "\"authorization.k8s.io/decision\":\"forbid\""), 0, "decision",
	  "forbid" },
	{ "subresource repeated", EV(",\"objectRef\":{\"subresource\":\"exec\","
	  "\"subresource\":\"\"}"), 0, "subresource", NULL },
	{ "verb repeated", EV(",\"verb\":\"get\""), -EAGAIN, NULL, NULL },
	{ "level repeated", EV(",\"level\":\"None\""), -EAGAIN, NULL, NULL },
	{ "user repeated", EV(",\"user\":{\"username\":\"v\"}"), -EAGAIN, NULL,
	  NULL },
	/* Keys the head does not read are compared by the fast path. */
	{ "an unread member repeated", EV(",\"x\":1,\"x\":2"), 0, NULL,
	  NULL },

	/* Escaped keys in the objects the head is read from. */
	{ "escaped key in user", EV_USER("\"user\\u006eame\":\"u\"", ""),
	  -EAGAIN, NULL, NULL },
	{ "escaped key in annotations", ANN("\"authorization.k8s.io\\/"
	  "decision\":\"allow\""), -EAGAIN, NULL, NULL },
	{ "escaped key in objectRef", EV(",\"objectRef\":{\"resourc\\u0065\":"
	  "\"pods\"}"), -EAGAIN, NULL, NULL },
	{ "escaped key in impersonatedUser", EV(",\"impersonatedUser\":{"
	  "\"\\u0075sername\":\"x\"}"), -EAGAIN, NULL, NULL },
	{ "escaped key in responseStatus", EV(",\"responseStatus\":{"
	  "\"c\\u006fde\":1}"), -EAGAIN, NULL, NULL },

	/* kind and apiVersion as event_check reads them. */
	{ "kind absent", "{" API LEVEL AUDIT_ID STAGE URI VERB USER "}", 0,
	  "verb", "list" },
	{ "kind escaped Event", "{\"kind\":\"Ev\\u0065nt\"," API LEVEL AUDIT_ID
	  STAGE URI VERB USER "}", 0, "verb", "list" },
	{ "kind Event\\u0000x", "{\"kind\":\"Event\\u0000x\"," API LEVEL
	  AUDIT_ID STAGE URI VERB USER "}", 0, "verb", "list" },
	{ "kind Evil", "{\"kind\":\"Evil\"," API LEVEL AUDIT_ID STAGE URI VERB
	  USER "}", -EAGAIN, NULL, NULL },
	{ "kind Events", "{\"kind\":\"Events\"," API LEVEL AUDIT_ID STAGE URI
	  VERB USER "}", -EAGAIN, NULL, NULL },
	{ "kind 5", "{\"kind\":5," API LEVEL AUDIT_ID STAGE URI VERB USER "}",
	  -EAGAIN, NULL, NULL },
	{ "kind null", "{\"kind\":null," API LEVEL AUDIT_ID STAGE URI VERB USER
	  "}", -EAGAIN, NULL, NULL },
	{ "apiVersion absent", "{" KIND LEVEL AUDIT_ID STAGE URI VERB USER "}",
	  0, "verb", "list" },
	{ "apiVersion audit.k8s.io/v1beta1", "{" KIND "\"apiVersion\":"
	  "\"audit.k8s.io/v1beta1\"," LEVEL AUDIT_ID STAGE URI VERB USER "}",
	  0, "verb", "list" },
	{ "apiVersion audit.k8s.io\\/v1", "{" KIND "\"apiVersion\":"
	  "\"audit.k8s.io\\/v1\"," LEVEL AUDIT_ID STAGE URI VERB USER "}",
	  0, "verb", "list" },
	{ "apiVersion v1", "{" KIND "\"apiVersion\":\"v1\"," LEVEL AUDIT_ID
	  STAGE URI VERB USER "}", -EAGAIN, NULL, NULL },
	{ "apiVersion audit.k8s.io", "{" KIND "\"apiVersion\":\"audit.k8s.io\","
	  LEVEL AUDIT_ID STAGE URI VERB USER "}", -EAGAIN, NULL, NULL },
	{ "apiVersion 1", "{" KIND "\"apiVersion\":1," LEVEL AUDIT_ID STAGE URI
	  VERB USER "}", -EAGAIN, NULL, NULL },

	/* What else event_check requires. */
	{ "auditID missing", "{" KIND API LEVEL STAGE URI VERB USER "}",
	  -EAGAIN, NULL, NULL },
	{ "stage missing", "{" KIND API LEVEL AUDIT_ID URI VERB USER "}",
	  -EAGAIN, NULL, NULL },
	{ "verb missing", "{" KIND API LEVEL AUDIT_ID STAGE URI USER "}",
	  -EAGAIN, NULL, NULL },
	{ "requestURI missing", "{" KIND API LEVEL AUDIT_ID STAGE VERB USER "}",
	  -EAGAIN, NULL, NULL },
	{ "level missing", "{" KIND API AUDIT_ID STAGE URI VERB USER "}",
	  -EAGAIN, NULL, NULL },
	{ "user missing", "{" KIND API LEVEL AUDIT_ID STAGE URI "\"verb\":"
	  "\"list\"}", -EAGAIN, NULL, NULL },
	{ "auditID a number", "{" KIND API LEVEL "\"auditID\":1," STAGE URI VERB
	  USER "}", -EAGAIN, NULL, NULL },
	{ "level null", "{" KIND API "\"level\":null," AUDIT_ID STAGE URI VERB
	  USER "}", -EAGAIN, NULL, NULL },
	{ "user a string", "{" KIND API LEVEL AUDIT_ID STAGE URI VERB
	  "\"user\":\"u\"}", -EAGAIN, NULL, NULL },
	{ "userAgent a number", EV(",\"userAgent\":5"), -EAGAIN, NULL, NULL },
	{ "stageTimestamp an object", EV(",\"stageTimestamp\":{}"), -EAGAIN,
	  NULL, NULL },
	{ "requestReceivedTimestamp null", EV(",\"requestReceivedTimestamp\":"
	  "null"), -EAGAIN, NULL, NULL },
	{ "impersonatedUser a string", EV(",\"impersonatedUser\":\"x\""),
	  -EAGAIN, NULL, NULL },
#undef ANN
};

static const char *
rc_name(int rc)
{
	return rc == 0 ? "0" : rc == -EAGAIN ? "-EAGAIN" : rc == -ENOMEM ?
	    "-ENOMEM" : "?";
}

static void
test_case(const struct head_case *c)
{
	const struct field *f = c->field ? field_named(c->field) : NULL;
	size_t len = strlen(c->json);
	struct outcome o;
	const char *why = "not scanned";
	char reason[256];
	struct jscan sc;
	bool good;

	memset(&o, 0, sizeof(o));
	jscan_init(&sc);
	if (jscan_line(&sc, c->json, len, EVENTLIST_MAX_DEPTH, reason,
	    sizeof(reason)) == JSCAN_OK && sc.root_span.is_object)
		why = check_object(c->json, len, &sc.root_span, sc.root, &o);
	good = why == NULL && o.rc == c->rc;
	if (good && c->rc == 0 && c->field != NULL) {
		/* Both heads: a head_from_json bug must not hide a match. */
		good = f != NULL && field_is(&o.text, f, c->want) &&
		    field_is(&o.json, f, c->want);
		if (!good && f != NULL) {
			show("head_from_text", &o.text, f);
			show("head_from_json", &o.json, f);
		}
	}
	if (why != NULL)
		explain(c->name, &o, why);
	else if (o.rc != c->rc)
		diag("%s: returned %s", c->name, rc_name(o.rc));
	ok(good, "%s: %s%s%s", c->name, rc_name(c->rc),
	    c->field ? ", and its " : "", c->field ? c->field : "");
	outcome_free(&o);
	jscan_free(&sc);
}

/* ---- head_free --------------------------------------------------------------- */

static void
test_free(void)
{
	static const char text[] = EV("");
	struct head h;
	json_t *ev = json_loads(text, 0, NULL);
	struct jscan sc;
	char reason[128];
	bool read;

	memset(&h, 0, sizeof(h));
	head_free(&h);
	ok(empty(&h), "head_free on a zeroed head");

	head_from_json(ev, &h);
	read = same(h.username, "u");
	head_free(&h);
	ok(read && empty(&h) && same(json_string_value(json_object_get(
	    json_object_get(ev, "user"), "username")), "u"),
	    "head_free on a head from head_from_json leaves the event alone");

	jscan_init(&sc);
	read = jscan_line(&sc, text, strlen(text), EVENTLIST_MAX_DEPTH, reason,
	    sizeof(reason)) == JSCAN_OK && head_from_text(text, sc.root,
	    sc.nroot, &h) == 0 && h.buf != NULL;
	head_free(&h);
	read = read && empty(&h);
	head_free(&h);
	ok(read && empty(&h), "head_free empties a head from head_from_text, "
	    "and again");
	jscan_free(&sc);
	json_decref(ev);
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		test_case(&cases[i]);
	test_free();
	test_corpus_files();
	test_corpus_compact();
	test_rule_events();
	return tap_done();
}
