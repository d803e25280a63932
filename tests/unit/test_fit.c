/*
 * test_fit: field counting as analysisd counts, bounded serialization, and
 * the drop order, including the 1 MB and 5,000-field synthetic events.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit.h"
#include "tap.h"

static const struct {
	const char *json;
	size_t fields, depth;
	const char *why;
} counts[] = {
	{ "{}", 0, 1, "empty event" },
	{ "{\"a\":{}}", 0, 2, "an empty object adds no field" },
	{ "{\"a\":null}", 1, 1, "null is a field (json_null_field=string)" },
	{ "{\"a\":[]}", 1, 2, "an empty array is one field" },
	{ "{\"a\":[{\"b\":1},{\"c\":{\"d\":2}}]}", 1, 4, "an array of objects is one field" },
	{ "{\"a\":{\"b\":{\"c\":1,\"d\":\"x\",\"e\":true,\"f\":1.5}}}", 4, 3, "nested scalars are dot-joined fields" },
	{ "{\"srcip\":\"1.2.3.4\",\"data\":\"x\",\"user\":\"u\"}", 1, 1, "top-level static fields are not counted" },
	{ "{\"x\":{\"srcip\":\"1.2.3.4\"}}", 1, 2, "nested keys named like static ones count" },
	{ "{\"data\":{\"a\":1,\"b\":2}}", 2, 2, "an object under a static name counts its members" },
	{ "{\"a.b\":1,\"a\":{\"b\":2}}", 2, 2, "duplicate dotted names still count twice" },
};

static json_t *load(const char *text)
{
	return json_loads(text, JSON_DECODE_ANY, NULL);
}

static void test_counts(void)
{
	for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
		json_t *v = load(counts[i].json);
		struct fit_measure m;

		fit_measure(v, &m);
		ok(m.fields == counts[i].fields && m.depth == counts[i].depth,
		    "%s: %s -> %zu fields depth %zu (got %zu, %zu)", counts[i].why,
		    counts[i].json, counts[i].fields, counts[i].depth, m.fields,
		    m.depth);
		json_decref(v);
	}
}

static void test_dump(void)
{
	json_t *v = load("{\"a\":\"0123456789\"}");
	char *out;
	size_t len;

	ok(fit_dump(v, 100, &out, &len) == 0 && len == 18 &&
	    strcmp(out, "{\"a\":\"0123456789\"}") == 0, "compact dump");
	free(out);
	ok(fit_dump(v, 18, &out, &len) == 0 && len == 18, "dump of exactly max bytes fits");
	free(out);
	ok(fit_dump(v, 17, &out, &len) == -E2BIG && out == NULL, "one byte over is -E2BIG");
	json_decref(v);
	/* jansson 2.14 goes on after a nested key it could not write:
	 * `{"a":{":1}}`, not JSON. */
	v = load("{\"a\":{\"0123456789abcdef\":1}}");
	ok(fit_dump(v, 15, &out, &len) == -E2BIG && out == NULL,
	    "a key past the limit is -E2BIG, not a text without it");
	json_decref(v);
}

/* An event with a k8s object, built around `req` and `resp` (stolen). */
static json_t *event_with(json_t *req, json_t *resp)
{
	json_t *e = load("{\"kind\":\"Event\",\"auditID\":\"a\",\"verb\":\"get\","
	    "\"annotations\":{\"authorization.k8s.io/decision\":\"allow\"},"
	    "\"k8s\":{\"summary\":\"s\"}}");

	if (req)
		json_object_set_new(e, "requestObject", req);
	if (resp)
		json_object_set_new(e, "responseObject", resp);
	return e;
}

/* A JSON string of `n` x's. */
static json_t *xs(size_t n)
{
	char *s = malloc(n + 1);
	json_t *v;

	memset(s, 'x', n);
	s[n] = '\0';
	v = json_string(s);
	free(s);
	return v;
}

static json_t *big_string_obj(size_t n)
{
	return json_pack("{s:{s:o}}", "data", "blob", xs(n));
}

static const char *dropped(json_t *e)
{
	const char *d = json_string_value(json_object_get(json_object_get(e, "k8s"), "dropped"));

	return d ? d : "";
}

static void check_fits(const char *what, json_t *e, const struct fit_limits *lim,
    const char *want_dropped)
{
	char *out = NULL;
	size_t len = 0;
	bool trimmed;
	enum fit_status st = fit_event(e, lim, &out, &len, &trimmed);
	json_t *back = out ? json_loadb(out, len, 0, NULL) : NULL;
	struct fit_measure m = { 0, 0 };

	fit_measure(back, &m);
	ok(st == FIT_OK && back && len <= lim->max_bytes && m.fields <= lim->max_fields,
	    "%s: fits (%zu bytes, %zu fields)", what, len, m.fields);
	ok(strcmp(dropped(e), want_dropped) == 0 && trimmed == (want_dropped[0] != 0),
	    "%s: dropped \"%s\" (got \"%s\")", what, want_dropped, dropped(e));
	ok(back && json_equal(back, e), "%s: the text is the event as left", what);
	json_decref(back);
	free(out);
}

static void test_drops(void)
{
	struct fit_limits lim = { 65529, 256 };
	json_t *e, *labels, *ann, *before;
	char key[32];
	char *out;
	size_t len;
	bool trimmed;

	e = event_with(load("{\"kind\":\"Pod\"}"), NULL);
	check_fits("small event", e, &lim, "");
	json_decref(e);

	/* managedFields alone make it too long: only they go. */
	e = event_with(NULL, big_string_obj(10));
	json_object_set_new(json_object_get(e, "responseObject"), "metadata",
	    json_pack("{s:s,s:[o]}", "name", "n", "managedFields", big_string_obj(70000)));
	check_fits("managedFields", e, &lim, "managedFields");
	ok(json_object_get(e, "responseObject") != NULL, "managedFields: the response stays");
	json_decref(e);

	/* 1 MB response and 1 MB request. */
	e = event_with(big_string_obj(1 << 20), big_string_obj(1 << 20));
	check_fits("1 MB bodies", e, &lim, "responseObject,requestObject");
	json_decref(e);

	e = event_with(load("{\"kind\":\"Pod\"}"), big_string_obj(1 << 20));
	check_fits("1 MB response", e, &lim, "responseObject");
	json_decref(e);

	/* 5,000 fields in the request: dropped for the field count. */
	labels = json_object();
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "l%d", i);
		json_object_set_new(labels, key, json_string("v"));
	}
	e = event_with(json_pack("{s:{s:o}}", "metadata", "labels", labels), NULL);
	check_fits("5,000 fields", e, &lim, "requestObject");
	json_decref(e);

	/* 5,000 annotations: long values would not help, so they are skipped. */
	e = event_with(NULL, NULL);
	ann = json_object_get(e, "annotations");
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "a%d", i);
		json_object_set_new(ann, key, json_string(i ? "v" : "x"));
	}
	json_object_set_new(ann, "long", big_string_obj(300));
	check_fits("5,000 annotations", e, &lim, "annotations");
	ann = json_object_get(e, "annotations");
	ok(json_object_size(ann) == FIT_ANNOTATIONS_HEAD &&
	    json_object_get(ann, "authorization.k8s.io/decision") != NULL &&
	    json_integer_value(json_object_get(json_object_get(e, "k8s"),
	    "annotations_dropped")) == 5002 - FIT_ANNOTATIONS_HEAD,
	    "annotations cut to a head, the decision first, the rest counted "
	    "(issue 21)");
	json_decref(e);

	/* Long annotation values: they go first, short ones stay. */
	e = event_with(NULL, NULL);
	ann = json_object_get(e, "annotations");
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof key, "a%d", i);
		json_object_set_new(ann, key, xs(1000));
	}
	check_fits("100 long annotation values", e, &lim, "annotationValues");
	ok(strcmp(json_string_value(json_object_get(ann, "a7")), "[DROPPED 1000 bytes]") == 0,
	    "annotation value replaced by its marker");
	ok(json_object_get(ann, "authorization.k8s.io/decision") != NULL,
	    "short annotation values stay");
	json_decref(e);

	/* A 100 kB user agent (client-controlled): an attacker cannot evade. */
	e = event_with(NULL, NULL);
	json_object_set_new(e, "userAgent", xs(100000));
	check_fits("100 kB userAgent", e, &lim, "userAgent");
	ok(strstr(json_string_value(json_object_get(e, "userAgent")), "[DROPPED 100000 bytes]") != NULL,
	    "userAgent replaced by its marker");
	json_decref(e);

	/* Too nested for cJSON: the request goes. */
	{
		json_t *deep = json_array(), *cur = deep;

		for (int i = 0; i < 1100; i++) {
			json_t *next = json_array();

			json_array_append_new(cur, next);
			cur = next;
		}
		e = event_with(json_pack("{s:o}", "x", deep), NULL);
		check_fits("1,100 levels deep", e, &lim, "requestObject");
		json_decref(e);
	}

	/* Nothing can make it fit: every drop is undone. */
	e = event_with(big_string_obj(1 << 20), big_string_obj(10));
	json_object_set_new(e, "verb", json_string("averylongverbthatdoesnotfit"));
	before = json_deep_copy(e);
	lim.max_bytes = 60;
	ok(fit_event(e, &lim, &out, &len, &trimmed) == FIT_TOO_BIG && out == NULL,
	    "tiny limit: FIT_TOO_BIG");
	ok(json_equal(e, before), "FIT_TOO_BIG leaves the event as it was");
	json_decref(before);
	json_decref(e);
}

/* `n` source IPs, 10.<i>.<i>.<i>-like, the last "192.0.2.1". */
static json_t *source_ips(size_t n)
{
	json_t *a = json_array();
	char ip[32];

	for (size_t i = 0; i + 1 < n; i++) {
		snprintf(ip, sizeof ip, "10.%zu.%zu.%zu", i / 65536 % 256,
		    i / 256 % 256, i % 256);
		json_array_append_new(a, json_string(ip));
	}
	json_array_append_new(a, json_string("192.0.2.1"));
	return a;
}

/*
 * Issue 12, finding 3: metadata any client pads (X-Forwarded-For becomes
 * sourceIPs, User-Agent) is trimmed before the bodies go and before the
 * event would be set aside.
 */
static void test_padding(void)
{
	static const struct {
		const char *what;
		size_t ips, agent, body;	/* entries, bytes, bytes */
		const char *dropped;
		size_t ips_left;
	} pads[] = {
		{ "6,001 sourceIPs (67 kB X-Forwarded-For)", 6001, 0, 100,
		  "sourceIPs", 5 },
		{ "6,001 sourceIPs and a 70 kB request", 6001, 0, 70000,
		  "sourceIPs,requestObject", 5 },
		{ "5 sourceIPs and a 70 kB request", 5, 0, 70000,
		  "requestObject", 5 },
		{ "6 sourceIPs and a 70 kB request", 6, 0, 70000,
		  "sourceIPs,requestObject", 5 },
		{ "66 kB userAgent and a small request", 1, 66000, 100,
		  "userAgent", 1 },
		{ "20,000 sourceIPs and a 66 kB userAgent", 20000, 66000, 100,
		  "sourceIPs,userAgent", 5 },
	};
	struct fit_limits lim = { 65529, 256 };

	for (size_t i = 0; i < sizeof pads / sizeof *pads; i++) {
		json_t *e = event_with(big_string_obj(pads[i].body), NULL), *ips;
		json_int_t gone;

		json_object_set_new(e, "sourceIPs", source_ips(pads[i].ips));
		if (pads[i].agent)
			json_object_set_new(e, "userAgent", xs(pads[i].agent));
		check_fits(pads[i].what, e, &lim, pads[i].dropped);
		ips = json_object_get(e, "sourceIPs");
		gone = json_integer_value(json_object_get(json_object_get(e,
		    "k8s"), "source_ips_dropped"));
		ok(json_array_size(ips) == pads[i].ips_left &&
		    strcmp(json_string_value(json_array_get(ips,
		    json_array_size(ips) - 1)), "192.0.2.1") == 0 &&
		    (pads[i].ips == 1 || strcmp(json_string_value(
		    json_array_get(ips, 0)), "10.0.0.0") == 0) &&
		    gone == (json_int_t)(pads[i].ips - pads[i].ips_left),
		    "%s: first and last source IPs kept, %lld counted", pads[i].what,
		    (long long)gone);
		ok(strstr(pads[i].dropped, "requestObject") != NULL ||
		    json_object_get(e, "requestObject") != NULL,
		    "%s: the request stays unless it must go", pads[i].what);
		json_decref(e);
	}
}

/*
 * Issue 12: members no apiserver writes, added by a crafted line, go before
 * anything of the event's own, so its who/what/when (and its bodies) still
 * fit; by field count and by length alike.
 */
static void test_unknown(void)
{
	static const struct {
		const char *what;
		size_t members, value;	/* how many, bytes of each value */
		size_t body;
		const char *dropped;
	} cases[] = {
		{ "200,000 unknown members", 200000, 1, 100, "unknownMembers" },
		{ "40 unknown 2 kB members", 40, 2000, 100, "unknownMembers" },
		{ "1,000 unknown members and a 70 kB request", 1000, 1, 70000,
		  "unknownMembers,requestObject" },
		{ "no unknown member, a 70 kB request", 0, 1, 70000,
		  "requestObject" },
	};
	struct fit_limits lim = { 65529, 256 };
	char key[32];

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		json_t *e = event_with(big_string_obj(cases[i].body), NULL);

		json_object_set_new(e, "user", json_pack("{s:s}", "username",
		    "system:admin"));
		json_object_set_new(e, "objectRef", json_pack("{s:s}",
		    "resource", "clusterrolebindings"));
		for (size_t k = 0; k < cases[i].members; k++) {
			snprintf(key, sizeof key, "k%zu", k);
			json_object_set_new(e, key, xs(cases[i].value));
		}
		check_fits(cases[i].what, e, &lim, cases[i].dropped);
		ok(json_object_get(e, "k0") == NULL &&
		    json_object_size(e) == 8u - (strstr(cases[i].dropped,
		    "requestObject") != NULL) &&
		    json_object_get(e, "auditID") &&
		    json_object_get(e, "verb") && json_object_get(e, "user") &&
		    json_object_get(e, "objectRef") &&
		    json_object_get(e, "annotations"),
		    "%s: the event's own members stay (%zu left)",
		    cases[i].what, json_object_size(e));
		json_decref(e);
	}
	{
		struct fit_limits tiny = { 40, 256 };
		json_t *e = event_with(big_string_obj(100), NULL), *before;
		char *out = NULL;
		size_t len;
		bool trimmed;

		for (size_t k = 0; k < 1000; k++) {
			snprintf(key, sizeof key, "k%zu", k);
			json_object_set_new(e, key, json_integer((json_int_t)k));
		}
		before = json_deep_copy(e);
		ok(fit_event(e, &tiny, &out, &len, &trimmed) == FIT_TOO_BIG &&
		    out == NULL && json_equal(e, before),
		    "1,000 unknown members, too big even without them: the "
		    "event is as it was");
		json_decref(before);
		json_decref(e);
	}
	ok(fit_audit_member("requestReceivedTimestamp", 24) &&
	    fit_audit_member("k8s", 3) && !fit_audit_member("K8s", 3) &&
	    fit_audit_member("timestamp", 9) &&
	    !fit_audit_member("verbx", 5) && !fit_audit_member("ver", 3),
	    "fit_audit_member: exact names only");
}

/* An array of `n` strings "<prefix><i>", then `last` (if any). */
static json_t *strings(const char *prefix, size_t n, const char *last)
{
	json_t *a = json_array();
	char buf[64];

	for (size_t i = 0; i < n; i++) {
		snprintf(buf, sizeof buf, "%s%zu", prefix, i);
		json_array_append_new(a, json_string(buf));
	}
	if (last)
		json_array_append_new(a, json_string(last));
	return a;
}

/* The last entry of array `a`, a string, or "". */
static const char *last_of(const json_t *a)
{
	const char *s = json_string_value(json_array_get(a,
	    json_array_size(a) - 1));

	return s ? s : "";
}

/*
 * Issue 21: padded arrays in the metadata (Impersonate-Group headers,
 * directory groups, responseStatus.details.causes, Impersonate-Extra-*)
 * are cut to a bounded head with a count before any body goes; the event
 * is delivered, not set aside.
 */
static void test_long_arrays(void)
{
	struct fit_limits lim = { 65529, 256 };
	json_t *e, *a, *causes;
	char count[64];
	const char *d;

	/* 1,200 Impersonate-Group headers, system:masters last. */
	e = event_with(big_string_obj(20000), NULL);
	json_object_set_new(e, "impersonatedUser", json_pack("{s:s,s:o}",
	    "username", "bob", "groups", strings(
	    "padding-group-to-push-the-request-out-of-the-datagram-", 1200,
	    "system:masters")));
	check_fits("80 kB of impersonatedUser.groups", e, &lim, "longArrays");
	a = json_object_get(json_object_get(e, "impersonatedUser"), "groups");
	snprintf(count, sizeof count, "[DROPPED %zu entries]",
	    1200 - (json_array_size(a) - 2));
	ok(json_array_size(a) < 30 && strcmp(last_of(a), count) == 0 &&
	    strcmp(json_string_value(
	    json_array_get(a, json_array_size(a) - 2)), "system:masters") == 0,
	    "the groups keep their head, system:masters and a count (%zu: %s)",
	    json_array_size(a), last_of(a));
	ok(json_object_get(e, "requestObject") != NULL,
	    "the request stays: the padding paid for itself");
	json_decref(e);

	/* 80 kB of directory groups and a request that needs the room. */
	e = event_with(big_string_obj(65500), NULL);
	json_object_set_new(json_object_get(e, "k8s"), "x", json_true());
	json_object_set_new(e, "user", json_pack("{s:s,s:o}", "username",
	    "alice", "groups", strings("cn=some-directory-group,ou=groups,"
	    "dc=example,dc=com-", 1500, NULL)));
	check_fits("80 kB of user.groups and a 65.5 kB request", e, &lim,
	    "longArrays,requestObject");
	a = json_object_get(json_object_get(e, "user"), "groups");
	ok(strncmp(last_of(a), "[DROPPED ", 9) == 0 &&
	    json_string_value(json_object_get(json_object_get(e, "user"),
	    "username")) != NULL, "user.groups cut, username kept: %s",
	    last_of(a));
	json_decref(e);

	/* 90 kB of responseStatus.details.causes. */
	e = event_with(NULL, NULL);
	causes = json_array();
	for (int i = 0; i < 1500; i++)
		json_array_append_new(causes, json_pack("{s:s,s:s,s:s}",
		    "reason", "FieldValueInvalid", "message",
		    "Invalid value: padding padding padding", "field",
		    "spec.containers[0].env"));
	json_object_set_new(e, "responseStatus", json_pack("{s:i,s:{s:o}}",
	    "code", 422, "details", "causes", causes));
	check_fits("90 kB of responseStatus.details.causes", e, &lim,
	    "longArrays");
	a = json_object_get(json_object_get(json_object_get(e,
	    "responseStatus"), "details"), "causes");
	ok(json_is_object(json_array_get(a, 0)) &&
	    strncmp(last_of(a), "[DROPPED ", 9) == 0 && json_integer_value(
	    json_object_get(json_object_get(e, "responseStatus"), "code")) ==
	    422, "causes cut to their head, the code kept: %s", last_of(a));
	json_decref(e);

	/* Impersonate-Extra-*: each user.extra value is an array. */
	e = event_with(NULL, NULL);
	json_object_set_new(e, "user", json_pack("{s:s,s:{s:o,s:[s]}}",
	    "username", "u", "extra", "scopes", strings("scope-", 12000, NULL),
	    "short", "kept"));
	check_fits("a 110 kB user.extra value", e, &lim, "longArrays");
	d = json_string_value(json_array_get(json_object_get(json_object_get(
	    json_object_get(e, "user"), "extra"), "short"), 0));
	ok(d && strcmp(d, "kept") == 0, "a short extra value stays whole");
	json_decref(e);

	/* Short arrays are not cut, even when the event does not fit. */
	e = event_with(big_string_obj(70000), NULL);
	json_object_set_new(e, "user", json_pack("{s:s,s:o}", "username", "u",
	    "groups", strings("g", 50, NULL)));
	check_fits("50 short groups and a 70 kB request", e, &lim,
	    "requestObject");
	ok(json_array_size(json_object_get(json_object_get(e, "user"),
	    "groups")) == 50, "the short array is whole");
	json_decref(e);
}

/*
 * Issue 21: a padded query string costs itself before a body: the URI
 * keeps its path and ends in a marker.
 */
static void test_long_uri(void)
{
	struct fit_limits lim = { 65529, 256 };
	const char *path = "/api/v1/namespaces/default/pods?";
	json_t *e = event_with(big_string_obj(20000), NULL);
	char *uri = malloc(70001);
	const char *got;

	memset(uri, 'a', 70000);
	memcpy(uri, path, strlen(path));
	uri[70000] = '\0';
	json_object_set_new(e, "requestURI", json_string(uri));
	check_fits("a 70 kB query string and a 20 kB request", e, &lim,
	    "requestURI");
	got = json_string_value(json_object_get(e, "requestURI"));
	ok(got && strncmp(got, path, strlen(path)) == 0 &&
	    strcmp(got + strlen(path), "[DROPPED 69968 bytes]") == 0,
	    "the URI keeps its path: %.80s", got ? got : "(none)");
	ok(json_object_get(e, "requestObject") != NULL, "the request stays");
	json_decref(e);

	/* A path with no '?', cut inside a UTF-8 character: not split. */
	e = event_with(NULL, NULL);
	memset(uri, 'b', 70000);
	memcpy(uri + FIT_URI_KEEP - 1, "\xc3\xa9", 2);
	json_object_set_new(e, "requestURI", json_string(uri));
	check_fits("a 70 kB path", e, &lim, "requestURI");
	got = json_string_value(json_object_get(e, "requestURI"));
	ok(got && strlen(got) <= FIT_LONG_STRING &&
	    strncmp(got + FIT_URI_KEEP - 1, "[DROPPED ", 9) == 0,
	    "the path is cut before the character: %s", got ? got +
	    FIT_URI_KEEP - 4 : "(none)");
	json_decref(e);
	free(uri);
}

/*
 * Issue 21: metadata padded in ways no other step shortens (members by the
 * thousand in objectRef, arrays nested in responseStatus) still leaves the
 * event's who/what/when: the metadata objects keep their core scalars.
 */
static void test_metadata_core(void)
{
	struct fit_limits lim = { 65529, 256 };
	json_t *e = event_with(big_string_obj(100), NULL), *ref;
	char key[32];

	ref = json_pack("{s:s,s:s,s:s}", "resource", "pods", "namespace", "d",
	    "name", "x");
	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof key, "pad%d", i);
		json_object_set_new(ref, key, json_integer(i));
	}
	json_object_set_new(e, "objectRef", ref);
	json_object_set_new(e, "user", json_pack("{s:s,s:{s:[i]}}", "username",
	    "u", "x", "y", 1));
	check_fits("2,000 members in objectRef", e, &lim,
	    "requestObject,metadataCore");
	ref = json_object_get(e, "objectRef");
	ok(json_object_size(ref) == 3 && strcmp(json_string_value(
	    json_object_get(ref, "resource")), "pods") == 0 &&
	    strcmp(json_string_value(json_object_get(json_object_get(e, "user"),
	    "username")), "u") == 0, "objectRef and user keep their core");
	json_decref(e);
}

int main(void)
{
	test_counts();
	test_dump();
	test_drops();
	test_padding();
	test_unknown();
	test_long_arrays();
	test_long_uri();
	test_metadata_core();
	return tap_done();
}
