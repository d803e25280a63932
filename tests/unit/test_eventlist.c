/* Unit tests of plugin/frame/eventlist.c: what a line holds, which items are
 * audit events. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eventlist.h"
#include "tap.h"

#define EV "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\"," \
	"\"auditID\":\"a\",\"stage\":\"ResponseComplete\",\"verb\":\"get\"," \
	"\"requestURI\":\"/api\",\"level\":\"Metadata\",\"user\":{}}"

/* An audit Event with auditID `id` (a string literal). */
#define EVA(id) "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\"," \
	"\"auditID\":\"" id "\",\"stage\":\"ResponseComplete\"," \
	"\"verb\":\"create\",\"requestURI\":\"/apis\",\"level\":\"Request\"," \
	"\"user\":{}}"
/* The same with a requestObject holding `body` (raw JSON text). */
#define EVB(id, body) "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\"," \
	"\"auditID\":\"" id "\",\"stage\":\"ResponseComplete\"," \
	"\"verb\":\"create\",\"requestURI\":\"/apis\",\"level\":\"Request\"," \
	"\"requestObject\":{\"n\":" body "},\"user\":{}}"
#define LIST "{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\","

/* The scanner every test reuses, as the plugin reuses its own. */
static struct jscan scanner;

static int
scan(const char *text, struct span_batch *b, char *reason)
{
	return batch_scan(b, &scanner, text, strlen(text), reason, 200);
}

static void
test_shapes(void)
{
	char reason[200];
	struct span_batch b;

	ok(scan(LIST "\"items\":[" EV "," EV "]}", &b, reason) == 0 &&
	    b.count == 2 && !b.single, "EventList: two items");
	ok(scan(EV, &b, reason) == 0 && b.count == 1 && b.single,
	    "single Event: one item, the root");
	ok(scan("[" EV "," EV "," EV "]", &b, reason) == 0 && b.count == 3 &&
	    !b.single, "array of events: three items");
	ok(scan("\xef\xbb\xbf" EV, &b, reason) == 0,
	    "a leading byte-order mark is tolerated");
}

static void
test_bad_lines(void)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "", "invalid JSON" },
		{ "nope", "invalid JSON" },
		{ "{\"kind\":\"EventList\"", "invalid JSON" },
		{ "7", "invalid JSON" },
		{ "[]", "empty array" },
		{ "{\"kind\":\"EventList\",\"items\":[]}", "no items" },
		{ "{\"kind\":\"EventList\",\"items\":5}", "no items array" },
		{ "{\"kind\":\"EventList\",\"apiVersion\":\"v1\",\"items\":[1]}",
		    "apiVersion" },
		{ "\"\\u00e9\"", "invalid JSON" },
	};
	char reason[200];
	struct span_batch b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int rc = scan(cases[i].text, &b, reason);

		ok(rc == -EINVAL && strstr(reason, cases[i].why) != NULL,
		    "rejected: '%s' (%s)", cases[i].text, reason);
	}
}

/* Nesting past the limit stays inside the item that holds it. */
static void
test_depth(void)
{
	char text[2 * (EVENTLIST_MAX_DEPTH + 2) + 1];
	char reason[200];
	struct span_batch b;
	const struct jmember *m;
	size_t d;

	for (d = EVENTLIST_MAX_DEPTH; d <= EVENTLIST_MAX_DEPTH + 1; d++) {
		memset(text, '[', d);
		memset(text + d, ']', d);
		text[2 * d] = '\0';
		ok(scan(text, &b, reason) == 0 && b.count == 1 &&
		    batch_span_item(&b, 0, &m)->bad == (d > EVENTLIST_MAX_DEPTH ?
		    JBAD_DEEP : 0u), "depth %zu: taken, %s", d,
		    d > EVENTLIST_MAX_DEPTH ? "its item marked too deep" :
		    "unmarked");
	}
	ok(scan("[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "[[[[[[[[[[[[[[[[[[[[\\\"[[[\"]", &b, reason) == 0 &&
	    batch_span_item(&b, 0, &m)->bad == 0,
	    "brackets inside strings do not count");
}

/* jansson's events of `text`, or NULL when it refuses the line. */
static json_t *
jansson_events(const char *text)
{
	json_t *root = json_loads(text, JSON_ALLOW_NUL, NULL), *events;
	const char *kind;

	if (json_is_array(root))
		return root;
	kind = json_string_value(json_object_get(root, "kind"));
	if (kind != NULL && strcmp(kind, "EventList") == 0)
		events = json_incref(json_object_get(root, "items"));
	else
		events = root ? json_pack("[O]", root) : NULL;
	json_decref(root);
	return events;
}

/*
 * The auditIDs of the line's events, comma-separated, as batch_reduce
 * makes them (an event with damage marked "!"); "" when there are none.
 * False when an event's value differs from jansson's (when jansson reads
 * the line) or an undamaged event's span is not its jansson value.
 */
static bool
event_ids(const char *text, const struct span_batch *b, char *ids,
    size_t cap)
{
	json_t *want = jansson_events(text), *v, *span;
	const struct jmember *m;
	const struct jobject *ev;
	char dropped[192];
	bool same = want == NULL || json_array_size(want) == b->count;
	const char *id;
	size_t i, n = 0;

	ids[0] = '\0';
	for (i = 0; i < b->count && same; i++) {
		ev = batch_span_item(b, i, &m);
		if (batch_reduce(b->text, ev, m, &v, dropped,
		    sizeof(dropped)) != 0)
			return false;
		if (want != NULL)
			same = json_equal(v, json_array_get(want, i));
		if (ev->bad == 0) {
			span = json_loadb(b->text + ev->span.off, ev->span.len,
			    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
			same = same && json_equal(v, span);
			json_decref(span);
		}
		id = json_string_value(json_object_get(v, "auditID"));
		n += (size_t)snprintf(ids + n, cap - n, "%s%s%s", i ? "," : "",
		    id ? id : "?", ev->bad ? "!" : "");
		json_decref(v);
		if (n >= cap)
			same = false;
	}
	json_decref(want);
	return same;
}

/*
 * The root's own keys read as jansson reads them: unescaped, the last of
 * repeated keys kept.  Before, such a line went to a whole-line jansson
 * parse, where one damaged item cost every event of the line.
 */
static void
test_root_keys(void)
{
	static const struct {
		const char *what, *text;
		int rc;
		const char *ids;	/* rc 0: the events; else the reason */
	} rows[] = {
		{ "items repeated: the last array wins",
		  LIST "\"items\":[" EVA("f1") "," EVA("f2") "," EVA("f3") ","
		  EVA("f4") "," EVA("f5") "," EVA("f6") "," EVA("f7") ","
		  EVA("f8") "," EVA("f9") "],\"items\":[" EVA("s1") ","
		  EVA("s2") "]}", 0, "s1,s2" },
		{ "items repeated, a damaged item in the winning array",
		  LIST "\"items\":[" EVA("f1") "],\"items\":[" EVA("s1") ","
		  EVB("s2", "1e999") "," EVA("s3") "]}", 0, "s1,s2!,s3" },
		{ "items repeated, the damage in the array left behind",
		  LIST "\"items\":[" EVB("f1", "\"\\ud800\"") "],\"items\":["
		  EVA("s1") "]}", 0, "s1" },
		{ "items escaped",
		  LIST "\"\\u0069tems\":[" EVA("e1") "," EVB("e2", "1e999")
		  "]}", 0, "e1,e2!" },
		{ "items escaped in every letter",
		  LIST "\"\\u0069\\u0074\\u0065\\u006D\\u0073\":[" EVA("e1")
		  "]}", 0, "e1" },
		{ "items, then items escaped: the escaped one is last",
		  LIST "\"items\":[" EVA("f1") "],\"\\u0069tems\":[" EVA("s1")
		  "]}", 0, "s1" },
		{ "items escaped, then items",
		  LIST "\"\\u0069tems\":[" EVA("f1") "],\"items\":[" EVA("s1")
		  "]}", 0, "s1" },
		{ "items repeated, the last not an array",
		  LIST "\"items\":[" EVA("f1") "],\"items\":5}", -EINVAL,
		  "no items array" },
		{ "items repeated, the last an empty array",
		  LIST "\"items\":[" EVA("f1") "],\"items\":[]}", -EINVAL,
		  "no items" },
		{ "items repeated, the first not an array",
		  LIST "\"items\":{\"a\":[1]},\"items\":[" EVA("s1") "]}", 0,
		  "s1" },
		{ "items after kind and apiVersion repeated",
		  "{\"items\":[" EVA("s1") "],\"kind\":\"Event\",\"kind\":"
		  "\"EventList\",\"apiVersion\":\"v1\",\"apiVersion\":"
		  "\"audit.k8s.io/v1\"}", 0, "s1" },
		{ "not items: a key with \\u0000 (jansson has no such key)",
		  LIST "\"items\\u0000\":[" EVA("f1") "]}", -EINVAL,
		  "no items array" },
		{ "not items: another letter escaped",
		  LIST "\"\\u0049tems\":[" EVA("f1") "]}", -EINVAL,
		  "no items array" },
		{ "kind repeated: EventList last",
		  "{\"kind\":\"Event\",\"kind\":\"EventList\",\"apiVersion\":"
		  "\"audit.k8s.io/v1\",\"items\":[" EVA("s1") "]}", 0, "s1" },
		{ "kind repeated: Event last, the root is the event",
		  "{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\","
		  "\"auditID\":\"root\",\"stage\":\"ResponseComplete\","
		  "\"verb\":\"get\",\"requestURI\":\"/\",\"level\":\"Metadata\","
		  "\"user\":{},\"items\":[" EVA("s1") "],\"kind\":\"Event\"}", 0,
		  "root" },
		{ "kind escaped",
		  "{\"\\u006bind\":\"EventList\",\"apiVersion\":"
		  "\"audit.k8s.io/v1\",\"items\":[" EVA("s1") "," EVA("s2")
		  "]}", 0, "s1,s2" },
		{ "kind escaped after kind",
		  "{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\","
		  "\"auditID\":\"root\",\"items\":[" EVA("s1") "],"
		  "\"\\u006bind\":\"Ev\\u0065nt\"}", 0, "root" },
		{ "kind's value escaped",
		  "{\"kind\":\"Event\\u004cist\",\"items\":[" EVA("s1") "]}", 0,
		  "s1" },
		{ "kind repeated, the last damaged",
		  "{\"kind\":\"EventList\",\"kind\":\"\xff\",\"items\":["
		  EVA("s1") "]}", -EINVAL, "invalid JSON in the root's kind" },
		{ "kind repeated, the first damaged",
		  "{\"kind\":\"\xff\",\"kind\":\"EventList\",\"items\":["
		  EVA("s1") "]}", 0, "s1" },
		{ "apiVersion repeated: foreign last",
		  LIST "\"apiVersion\":\"v1\",\"items\":[" EVA("s1") "]}",
		  -EINVAL, "apiVersion" },
		{ "apiVersion escaped: foreign",
		  LIST "\"\\u0061piVersion\":\"v1\",\"items\":[" EVA("s1")
		  "]}", -EINVAL, "apiVersion" },
		{ "apiVersion repeated: audit last",
		  "{\"kind\":\"EventList\",\"apiVersion\":\"v1\",\"apiVersion\":"
		  "\"audit.k8s.io/v1\",\"items\":[" EVA("s1") "]}", 0, "s1" },
		{ "a single Event with escaped keys",
		  "{\"\\u0061uditID\":\"root\",\"stage\":\"ResponseComplete\","
		  "\"verb\":\"get\",\"requestURI\":\"/\",\"level\":\"Metadata\","
		  "\"user\":{},\"\\u0069tems\":[1]}", 0, "root" },
	};
	char reason[200], ids[200];
	struct span_batch b;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		reason[0] = '\0';
		rc = scan(rows[i].text, &b, reason);
		if (rows[i].rc != 0) {
			ok(rc == rows[i].rc && strstr(reason, rows[i].ids) != NULL,
			    "%s: refused (%s)", rows[i].what, rc ? reason : "taken");
			continue;
		}
		ok(rc == 0 && event_ids(rows[i].text, &b, ids, sizeof(ids)) &&
		    strcmp(ids, rows[i].ids) == 0, "%s: events %s (%s)",
		    rows[i].what, rows[i].ids, rc ? reason : ids);
	}
}

static void
check_item(const char *text, int want, const char *why, const char *what)
{
	char reason[200] = "";
	json_t *v = json_loads(text, 0, NULL);
	int rc = event_check(v, reason, sizeof(reason));

	ok(rc == want && (why == NULL || strstr(reason, why) != NULL),
	    "%s (%s)", what, reason);
	json_decref(v);
}

static void
test_items(void)
{
	check_item(EV, 0, NULL, "a minimal audit Event passes");
	check_item("{\"auditID\":\"a\",\"stage\":\"s\",\"verb\":\"v\","
	    "\"requestURI\":\"/\",\"level\":\"l\",\"user\":{}}", 0, NULL,
	    "kind and apiVersion may be absent");
	check_item("[1]", -EINVAL, "not a JSON object", "an array is no event");
	check_item("{\"kind\":0}", -EINVAL, "kind", "kind 0 is no event");
	check_item("{\"kind\":\"Event\",\"apiVersion\":\"v1\"}", -EINVAL,
	    "apiVersion", "foreign apiVersion refused");
	check_item("{\"kind\":\"Event\",\"auditID\":\"a\",\"stage\":\"s\","
	    "\"verb\":3,\"requestURI\":\"/\",\"level\":\"l\",\"user\":{}}",
	    -EINVAL, "verb", "verb must be a string");
	check_item("{\"auditID\":\"a\",\"stage\":\"s\",\"verb\":\"v\","
	    "\"requestURI\":\"/\",\"level\":\"l\"}", -EINVAL, "user",
	    "user is required");
	check_item("{\"auditID\":\"a\",\"stage\":\"s\",\"verb\":\"v\","
	    "\"requestURI\":\"/\",\"level\":\"l\",\"user\":{},"
	    "\"sourceIPs\":\"1.2.3.4\"}", -EINVAL, "sourceIPs",
	    "sourceIPs must be an array");
	check_item("{\"auditID\":\"a\",\"stage\":\"s\",\"verb\":\"v\","
	    "\"requestURI\":\"/\",\"level\":\"l\",\"user\":{},"
	    "\"annotations\":{\"x\":null}}", -EINVAL, "annotation",
	    "annotation values must be strings");
}

/*
 * batch_scan and batch_reduce (issue 12): a damaged member is replaced by
 * a marker and named, the rest of its event kept; the other events are
 * untouched.
 */
static void
test_reduce(void)
{
	static const char line[] = "{\"kind\":\"EventList\",\"apiVersion\":"
	    "\"audit.k8s.io/v1\",\"items\":[{\"auditID\":\"a\"},"
	    "{\"auditID\":\"b\",\"requestObject\":{\"n\":1e999},"
	    "\"responseObject\":{\"s\":\"\\ud800\"},\"verb\":\"get\","
	    "\"\xff\":1},[1e999],7]}";
	char reason[256], dropped[192];
	struct span_batch b;
	struct jscan sc;
	const struct jmember *m;
	const struct jobject *ev;
	json_t *v;

	jscan_init(&sc);
	ok(batch_scan(&b, &sc, line, strlen(line), reason, sizeof(reason)) ==
	    0 && b.count == 4, "a line with damaged items is taken (%zu)",
	    b.count);
	ev = batch_span_item(&b, 0, &m);
	ok(ev->bad == 0, "the undamaged item is not marked");
	ev = batch_span_item(&b, 1, &m);
	ok(ev->bad != 0 && batch_reduce(b.text, ev, m, &v, dropped,
	    sizeof(dropped)) == 0, "the damaged item reduces");
	ok(strcmp(dropped, "requestObject:invalid,responseObject:invalid,"
	    "key:invalid") == 0, "k8s.dropped names it: %s", dropped);
	ok(json_is_object(v) && json_object_size(v) == 4 &&
	    strcmp(json_string_value(json_object_get(v, "verb")), "get") == 0 &&
	    strcmp(json_string_value(json_object_get(v, "auditID")), "b") == 0,
	    "its metadata kept, the bad key left out");
	ok(strncmp(json_string_value(json_object_get(v, "requestObject")),
	    "[DROPPED 11 bytes: number out of range]", 40) == 0,
	    "requestObject is a marker: %s",
	    json_string_value(json_object_get(v, "requestObject")));
	json_decref(v);
	ev = batch_span_item(&b, 2, &m);
	ok(ev->bad == JBAD_NUMBER && batch_reduce(b.text, ev, m, &v, dropped,
	    sizeof(dropped)) == 0 && json_is_string(v),
	    "a damaged array item becomes a marker");
	json_decref(v);
	ev = batch_span_item(&b, 3, &m);
	ok(ev->bad == 0 && batch_reduce(b.text, ev, m, &v, dropped,
	    sizeof(dropped)) == 0 && json_integer_value(v) == 7,
	    "a scalar item stays what it is");
	json_decref(v);
	ok(batch_scan(&b, &sc, "{\"kind\":\"EventList\",\"apiVersion\":"
	    "\"\xff\",\"items\":[{}]}", 49, reason, sizeof(reason)) == -EINVAL,
	    "a damaged EventList apiVersion refuses the line: %s", reason);
	jscan_free(&sc);
}

/*
 * Issue 21: damage inside the metadata (user.extra, objectRef, an
 * annotation, responseStatus, a group) costs only the damaged value, not
 * the member holding it: the event still passes event_check.
 */
static void
test_reduce_metadata(void)
{
	static const struct {
		const char *member;	/* the damaged member's JSON */
		const char *dropped;	/* what batch_reduce names */
		const char *path[4];	/* where the marker is */
	} cases[] = {
		{ "\"user\":{\"username\":\"u\",\"extra\":{\"scopes\":"
		  "[\"ok\",\"\xff\"]}}", "user.extra.scopes[1]:invalid",
		  { "user", "extra", "scopes", NULL } },
		{ "\"user\":{\"username\":\"u\",\"extra\":{\"n\":[1e999]}}",
		  "user.extra.n[0]:invalid", { "user", "extra", "n", NULL } },
		{ "\"objectRef\":{\"resource\":\"pods\",\"name\":\"\\ud800\"}",
		  "objectRef.name:invalid", { "objectRef", "name", NULL } },
		{ "\"annotations\":{\"authorization.k8s.io/decision\":\"allow\","
		  "\"x\":\"\xc3\"}", "annotations.x:invalid",
		  { "annotations", "x", NULL } },
		{ "\"responseStatus\":{\"code\":1e999,\"status\":\"Failure\"}",
		  "responseStatus.code:invalid", { "responseStatus", "code",
		  NULL } },
		{ "\"responseStatus\":{\"code\":403,\"\\ud800\":1}",
		  "responseStatus.key:invalid", { NULL } },
		{ "\"sourceIPs\":[\"10.0.0.1\",\"\\udc00\"]",
		  "sourceIPs[1]:invalid", { "sourceIPs", NULL } },
	};
	char line[512], reason[256], dropped[192];
	const struct jmember *m;
	const struct jobject *ev;
	struct span_batch b;
	struct jscan sc;
	json_t *v, *at;

	jscan_init(&sc);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		snprintf(line, sizeof(line), "{\"kind\":\"Event\",\"apiVersion\":"
		    "\"audit.k8s.io/v1\",\"level\":\"Metadata\",\"auditID\":\"a\","
		    "\"stage\":\"ResponseComplete\",\"verb\":\"get\","
		    "\"requestURI\":\"/\",%s%s}", cases[i].member,
		    strncmp(cases[i].member, "\"user\"", 6) == 0 ? "" :
		    ",\"user\":{\"username\":\"u\"}");
		v = NULL;
		ev = batch_scan(&b, &sc, line, strlen(line), reason,
		    sizeof(reason)) == 0 ? batch_span_item(&b, 0, &m) : NULL;
		ok(ev != NULL && ev->bad != 0 && batch_reduce(b.text, ev, m, &v,
		    dropped, sizeof(dropped)) == 0 && strcmp(dropped,
		    cases[i].dropped) == 0 && event_check(v, reason,
		    sizeof(reason)) == 0, "%s: still an audit event, %s named "
		    "(%s)", cases[i].dropped, cases[i].dropped, ev ? dropped :
		    reason);
		at = v;
		for (size_t k = 0; k < 4 && cases[i].path[k]; k++)
			at = json_object_get(at, cases[i].path[k]);
		if (json_is_array(at))
			at = json_array_get(at, json_array_size(at) - 1);
		ok(cases[i].path[0] == NULL || strncmp(json_string_value(at) ?
		    json_string_value(at) : "", "[DROPPED ", 9) == 0,
		    "%s: the damaged value is a marker: %s", cases[i].dropped,
		    json_string_value(at) ? json_string_value(at) : "(none)");
		json_decref(v);
	}
	/* Nesting past the limit in the user: the nested value alone goes. */
	{
		char deep[400], *p = deep;

		p += sprintf(p, "{\"kind\":\"EventList\",\"items\":[{"
		    "\"auditID\":\"a\",\"stage\":\"s\",\"verb\":\"get\","
		    "\"requestURI\":\"/\",\"level\":\"l\",\"user\":{"
		    "\"username\":\"u\",\"deep\":");
		memset(p, '[', 70);
		memset(p + 70, ']', 70);
		strcpy(p + 140, "}}]}");
		ok(batch_scan(&b, &sc, deep, strlen(deep), reason,
		    sizeof(reason)) == 0 && (ev = batch_span_item(&b, 0, &m)) !=
		    NULL && ev->bad == JBAD_DEEP && batch_reduce(b.text, ev, m,
		    &v, dropped, sizeof(dropped)) == 0 && strcmp(dropped,
		    "user.deep[0][0][0]:invalid") == 0 && event_check(v, reason,
		    sizeof(reason)) == 0 && strcmp(json_string_value(
		    json_object_get(json_object_get(v, "user"), "username")),
		    "u") == 0, "nesting past 64 in the user costs the nested "
		    "value: %s", dropped);
		json_decref(v);
	}
	/* A body stays replaced whole: its bulk is what the marker saves. */
	snprintf(line, sizeof(line), "{\"auditID\":\"a\",\"requestObject\":"
	    "{\"a\":{\"b\":\"\xff\"}}}");
	ok(batch_scan(&b, &sc, line, strlen(line), reason, sizeof(reason)) ==
	    0 && (ev = batch_span_item(&b, 0, &m)) != NULL &&
	    batch_reduce(b.text, ev, m, &v, dropped, sizeof(dropped)) == 0 &&
	    strcmp(dropped, "requestObject:invalid") == 0 &&
	    json_is_string(json_object_get(v, "requestObject")),
	    "a damaged body is one marker: %s", dropped);
	json_decref(v);
	jscan_free(&sc);
}

int
main(void)
{
	jscan_init(&scanner);
	test_shapes();
	test_bad_lines();
	test_depth();
	test_root_keys();
	test_items();
	test_reduce();
	test_reduce_metadata();
	jscan_free(&scanner);
	return tap_done();
}
