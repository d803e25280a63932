/* Unit tests of plugin/eventlist.c: what a line holds, which items are
 * audit events. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eventlist.h"
#include "tap.h"

#define EV "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\"," \
	"\"auditID\":\"a\",\"stage\":\"ResponseComplete\",\"verb\":\"get\"," \
	"\"requestURI\":\"/api\",\"level\":\"Metadata\",\"user\":{}}"

static int
parse(const char *text, struct batch *b, char *reason)
{
	return batch_parse(b, text, strlen(text), reason, 200);
}

static void
test_shapes(void)
{
	char reason[200];
	struct batch b;

	ok(parse("{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\","
	    "\"items\":[" EV "," EV "]}", &b, reason) == 0 && b.count == 2 &&
	    b.items != NULL, "EventList: two items");
	batch_free(&b);
	ok(parse(EV, &b, reason) == 0 && b.count == 1 && b.items == NULL &&
	    batch_item(&b, 0) == b.root, "single Event: one item, the root");
	batch_free(&b);
	ok(parse("[" EV "," EV "," EV "]", &b, reason) == 0 && b.count == 3,
	    "array of events: three items");
	batch_free(&b);
	ok(parse("\xef\xbb\xbf" EV, &b, reason) == 0,
	    "a leading byte-order mark is tolerated");
	batch_free(&b);
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
	struct batch b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int rc = parse(cases[i].text, &b, reason);

		ok(rc == -EINVAL && strstr(reason, cases[i].why) != NULL,
		    "rejected: '%s' (%s)", cases[i].text, reason);
	}
}

static void
test_depth(void)
{
	char text[2 * (EVENTLIST_MAX_DEPTH + 2) + 1];
	char reason[200];
	struct batch b;
	size_t d;

	for (d = EVENTLIST_MAX_DEPTH; d <= EVENTLIST_MAX_DEPTH + 1; d++) {
		memset(text, '[', d);
		memset(text + d, ']', d);
		text[2 * d] = '\0';
		if (d == EVENTLIST_MAX_DEPTH) {
			ok(parse(text, &b, reason) == 0, "depth %zu accepted", d);
			batch_free(&b);
		} else {
			ok(parse(text, &b, reason) == -EINVAL &&
			    strstr(reason, "nested deeper") != NULL,
			    "depth %zu refused before parsing", d);
		}
	}
	ok(parse("[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "[[[[[[[[[[[[[[[[[[[[\\\"[[[\"]", &b, reason) == 0,
	    "brackets inside strings do not count");
	batch_free(&b);
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

int
main(void)
{
	test_shapes();
	test_bad_lines();
	test_depth();
	test_items();
	test_reduce();
	return tap_done();
}
