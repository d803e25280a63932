/*
 * Unit tests of plugin/shape/prune.c: prune_body parses what shaping reads of a
 * body and nothing it may need is lost.
 * - A table of bodies shows which members the partial body holds: derive's
 *   members, members that hold one of redaction's needles, the members the
 *   request's or the body's kind hints name, ConfigMap data stood in for by
 *   an empty object when it holds no credential; repeated keys that
 *   redaction would read send the event to the reference path (also in
 *   bodies of 100,000 members, which are pruned like small ones); arrays,
 *   strings and unusual objects are parsed whole or not at all.
 * - For every corpus event (and rule test event), compact and indented:
 *   derive_k8s gives the same `k8s` object with the partial bodies as with
 *   the full ones, redaction changes nothing in a body whose `redact` is
 *   false, and where it is true redacts the partial members exactly as it
 *   redacts them in the full body and changes nothing that was left out.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "corpus.h"
#include "derive.h"
#include "jsonscan.h"
#include "prune.h"
#include "redact.h"
#include "tap.h"

#define MAX_DEPTH 64
#define LOAD_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)
#define MAX_DIAG 10

static const unsigned char fp_key[32] = { 7, 7, 7, 7, 7, 7, 7, 7 };
static const char *const bodies[] = { "requestObject", "responseObject" };

static const char *
status_name(enum prune_status st)
{
	return st == PRUNE_OK ? "ok" : st == PRUNE_REFERENCE ? "reference" :
	    st == PRUNE_NOMEM ? "nomem" : "?";
}

/* ---- redaction and derive, partial against full ---------------------------- */

/* `event` with only body `key` (the other removed): redaction of one body
 * depends on the objectRef and that body alone. */
static json_t *
only_body(const json_t *event, const char *key)
{
	json_t *copy = json_deep_copy(event);

	for (size_t i = 0; i < 2; i++)
		if (strcmp(bodies[i], key) != 0)
			json_object_del(copy, bodies[i]);
	return copy;
}

/* redact_event on a copy: the redacted body and how many values changed. */
static json_t *
redacted_body(const json_t *event, const char *key, unsigned long *count)
{
	json_t *copy = only_body(event, key), *body;

	*count = 0;
	if (copy == NULL || redact_event(copy, fp_key, sizeof(fp_key),
	    count) != 0) {
		json_decref(copy);
		*count = (unsigned long)-1;
		return NULL;
	}
	body = json_incref(json_object_get(copy, key));
	json_decref(copy);
	return body;
}

/*
 * Redaction of body `key` of the partial event `part` agrees with that of
 * the full event `full`: without out.redact it changes nothing in the full
 * body; with it, each member of the partial body is redacted as in the full
 * body (a stand-in, such as emptied ConfigMap data, stands for a member
 * redaction leaves alone) and the members left out stay as they are.
 */
static const char *
redaction_agrees(const json_t *full, const json_t *part, const char *key,
    bool redact)
{
	const json_t *fb = json_object_get(full, key), *pb;
	unsigned long nf, np;
	json_t *rf, *rp, *v;
	const char *why = NULL, *k;

	if (fb == NULL)
		return NULL;
	pb = json_object_get(part, key);
	rf = redacted_body(full, key, &nf);
	rp = redacted_body(part, key, &np);
	if (rf == NULL)
		why = "redaction of the full event failed";
	else if (!redact && nf != 0)
		why = "redact is false but redaction changes the full body";
	else if (redact && (rp == NULL) != (pb == NULL))
		why = "redaction of the partial event failed";
	else if (redact && np != nf)
		why = "redaction changes a different number of values";
	else if (!redact || nf == 0)
		;
	else if (pb == NULL || !json_is_object(fb) || !json_is_object(pb)) {
		/* Not split into members: parsed whole or not at all. */
		if (!json_equal(rf, rp))
			why = "the body redacts differently";
	} else {
		json_object_foreach((json_t *)fb, k, v) {
			const json_t *p = json_object_get(pb, k);
			const json_t *r = json_object_get(rf, k);

			if (p == NULL || !json_equal(p, v)) {
				/* Left out or stood in for: untouched. */
				if (!json_equal(r, v))
					why = "redaction changes a member left out";
			} else if (!json_equal(r, json_object_get(rp, k))) {
				why = "a member redacts differently";
			}
		}
	}
	json_decref(rf);
	json_decref(rp);
	return why;
}

struct totals {
	size_t events, bodies, smaller, whole, none, redact, reference, bad;
};

/*
 * Prune each body of `event` from its rendering `flags` into a partial
 * event, and compare derive and redaction on both.  NULL when they agree,
 * else why not.
 */
static const char *
check_event(const json_t *event, size_t flags, struct totals *t)
{
	char *text = json_dumps(event, flags), reason[128];
	json_t *part = json_deep_copy(event), *kf = NULL, *kp = NULL;
	bool redact[2] = { false, false };
	const struct jmember *m;
	const char *why = NULL;
	struct pruned out;
	struct jscan sc;
	struct head h;
	size_t i;

	head_from_json(event, &h);
	jscan_init(&sc);
	if (text == NULL || part == NULL || jscan_line(&sc, text, strlen(text),
	    MAX_DEPTH, reason, sizeof(reason)) != JSCAN_OK) {
		why = "not rendered or not scanned";
		goto done;
	}
	t->events++;
	for (i = 0; why == NULL && i < 2; i++) {
		if ((m = jscan_find(sc.root, sc.nroot, text, bodies[i])) == NULL)
			continue;
		t->bodies++;
		switch (prune_body(&h, text, m->value, &out)) {
		case PRUNE_OK:
			break;
		case PRUNE_REFERENCE:
			/* jansson renders no repeated key. */
			why = "reference path for a body without repeated keys";
			t->reference++;
			continue;
		default:
			why = "out of memory";
			continue;
		}
		redact[i] = out.redact;
		t->redact += out.redact;
		if (out.body == NULL) {
			t->none++;
			json_object_del(part, bodies[i]);
			continue;
		}
		if (json_equal(out.body, json_object_get(event, bodies[i])))
			t->whole++;
		else
			t->smaller++;
		json_object_set_new(part, bodies[i], out.body);
	}
	if (why != NULL)
		goto done;
	if (derive_k8s(event, "c", "s", &kf) != 0 ||
	    derive_k8s(part, "c", "s", &kp) != 0)
		why = "derive_k8s failed";
	else if (!json_equal(kf, kp))
		why = "derive_k8s differs on the partial event";
	for (i = 0; why == NULL && i < 2; i++)
		why = redaction_agrees(event, part, bodies[i], redact[i]);
done:
	if (why != NULL)
		t->bad++;
	json_decref(kf);
	json_decref(kp);
	json_decref(part);
	jscan_free(&sc);
	free(text);
	return why;
}

static void
check_events(const json_t *events, size_t flags, struct totals *t,
    const char *what)
{
	const char *why;
	json_t *ev;
	size_t i;

	json_array_foreach(events, i, ev) {
		if ((why = check_event(ev, flags, t)) != NULL &&
		    t->bad <= MAX_DIAG)
			diag("%s: event %zu (%s): %s", what, i,
			    json_string_value(json_object_get(ev, "auditID")), why);
	}
}

/* tests/rules/events: Secrets, ConfigMaps and patches the corpus lacks. */
static json_t *
rule_events(void)
{
	json_t *events = json_array();
	size_t n;
	char **paths = corpus_rule_files(&n);

	for (size_t i = 0; i < n; i++)
		corpus_add(events, json_load_file(paths[i], 0, NULL));
	corpus_files_free(paths);
	return events;
}

static void
test_corpus(const json_t *events, const char *what, size_t min)
{
	static const struct {
		size_t flags;
		const char *how;
	} ways[] = {
		{ JSON_COMPACT, "compact" },
		{ JSON_INDENT(2), "indented" },
	};

	for (size_t w = 0; w < sizeof(ways) / sizeof(*ways); w++) {
		struct totals t = { 0, 0, 0, 0, 0, 0, 0, 0 };

		check_events(events, ways[w].flags, &t, what);
		ok(t.bad == 0 && t.events >= min, "%s, %s: derive and redaction "
		    "agree on the partial events (%zu events, %zu bodies: %zu "
		    "pruned, %zu whole, %zu none; %zu to redact; %zu wrong)",
		    what, ways[w].how, t.events, t.bodies, t.smaller, t.whole,
		    t.none, t.redact, t.bad);
		/* Not vacuous: most bodies lose members. */
		ok(t.smaller * 2 > t.bodies, "%s, %s: pruning leaves members "
		    "out (%zu of %zu bodies pruned, %zu dropped)", what,
		    ways[w].how, t.smaller, t.bodies, t.none);
	}
}

/* ---- a table of bodies --------------------------------------------------- */

enum shape {
	PARTIAL,	/* an object of the members named below */
	WHOLE,		/* the whole body, as jansson parses it */
	NONE,		/* no body: nothing shaping reads */
};

static const struct prune_case {
	const char *name;
	const char *resource;	/* objectRef: resource[/subresource]; NULL */
	const char *body;	/* its JSON text */
	enum prune_status status;
	int redact;		/* out.redact expected; -1: not checked */
	enum shape shape;
	const char *kept;	/* PARTIAL: members parsed as they are */
	const char *emptied;	/* PARTIAL: members standing as {} */
	const char *left;	/* PARTIAL: members left out */
} cases[] = {
	/* What derive reads, and nothing else. */
	{ "Pod: kind and spec, not metadata or status", "pods",
	  "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\","
	  "\"labels\":{\"app\":\"x\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
	  "\"image\":\"nginx\"}],\"serviceAccountName\":\"sa\"},\"status\":"
	  "{\"phase\":\"Running\"}}",
	  PRUNE_OK, 0, PARTIAL, "kind spec", "", "apiVersion metadata status" },
	{ "Deployment: a spec without pod members is left out", "deployments",
	  "{\"kind\":\"Deployment\",\"spec\":{\"replicas\":3},\"status\":{}}",
	  PRUNE_OK, 0, PARTIAL, "kind", "", "spec status" },
	{ "Deployment: a spec with a pod template is kept", "deployments",
	  "{\"kind\":\"Deployment\",\"spec\":{\"template\":{\"spec\":{"
	  "\"containers\":[{\"name\":\"c\",\"securityContext\":{\"privileged\":"
	  "true}}]}}},\"status\":{}}",
	  PRUNE_OK, 0, PARTIAL, "kind spec", "", "status" },
	{ "Service: spec kept", "services",
	  "{\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"},\"spec\":{\"type\":"
	  "\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":30080}]}}",
	  PRUNE_OK, 0, PARTIAL, "kind spec", "", "metadata" },
	{ "ClusterRole: rules kept", "clusterroles",
	  "{\"kind\":\"ClusterRole\",\"metadata\":{\"name\":\"r\"},\"rules\":[{"
	  "\"verbs\":[\"*\"],\"resources\":[\"*\"]}]}",
	  PRUNE_OK, 0, PARTIAL, "kind rules", "", "metadata" },
	{ "nothing shaping reads: no body", "pods",
	  "{\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\"}}",
	  PRUNE_OK, 0, NONE, NULL, NULL, NULL },
	{ "empty object: no body", "pods", "{}", PRUNE_OK, 0, NONE, NULL, NULL,
	  NULL },

	/* Members that hold one of redaction's needles. */
	{ "needle Secret", "pods",
	  "{\"kind\":\"Pod\",\"notes\":{\"ref\":\"Secret\"},\"other\":{\"x\":1}}",
	  PRUNE_OK, 1, PARTIAL, "kind notes", "", "other" },
	{ "needle Token", "pods",
	  "{\"kind\":\"Pod\",\"notes\":{\"ref\":\"TokenReview\"},\"other\":{}}",
	  PRUNE_OK, 1, PARTIAL, "kind notes", "", "other" },
	{ "needle ConfigMap", "pods",
	  "{\"kind\":\"Pod\",\"notes\":[\"ConfigMap\"],\"other\":{}}",
	  PRUNE_OK, 1, PARTIAL, "kind notes", "", "other" },
	{ "needle last-applied-configuration", "pods",
	  "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"annotations\":{"
	  "\"kubectl.kubernetes.io/last-applied-configuration\":\"{\\\"kind\\\":"
	  "\\\"Secret\\\",\\\"data\\\":{\\\"k\\\":\\\"dg==\\\"}}\"}},"
	  "\"status\":{}}",
	  PRUNE_OK, 1, PARTIAL, "kind metadata", "", "status" },
	{ "needle openshift.io/token-secret.value", "serviceaccounts",
	  "{\"kind\":\"ServiceAccount\",\"metadata\":{\"annotations\":{"
	  "\"openshift.io/token-secret.value\":\"abc\"}},\"secrets\":[]}",
	  PRUNE_OK, 1, PARTIAL, "kind metadata", "", "secrets" },
	{ "needle \\u", "pods",
	  "{\"kind\":\"Pod\",\"notes\":\"caf\\u00e9\",\"other\":\"cafe\"}",
	  PRUNE_OK, 1, PARTIAL, "kind notes", "", "other" },
	{ "needle in an escaped kind", "widgets",
	  "{\"kind\":\"Secr\\u0065t\",\"stringData\":{\"k\":\"v\"}}",
	  PRUNE_OK, 1, PARTIAL, "kind stringData", "", "" },

	{ "whitespace around members and values", "pods",
	  " {\n  \"kind\" : \"Pod\" ,\n  \"metadata\" : { \"name\" : \"p\" } ,"
	  "\n  \"spec\" : { \"containers\" : [ ] } ,\n  \"notes\" : "
	  "\"Secret\"\n}\n",
	  PRUNE_OK, 1, PARTIAL, "kind spec notes", "", "metadata" },

	/* A kind that is not a string: redaction walks into it, so the body
	 * is parsed whole (a Secret once hid there from the fast path). */
	{ "a kind that is an object holding a Secret", "widgets",
	  "{\"kind\":{\"kind\":\"Secret\",\"data\":{\"k\":\"dg==\"}},"
	  "\"spec\":{}}",
	  PRUNE_OK, 1, WHOLE, "", "", "" },
	{ "a kind that is an array holding a Secret", "widgets",
	  "{\"kind\":[{\"kind\":\"Secret\",\"stringData\":{\"k\":\"v\"}}]}",
	  PRUNE_OK, 1, WHOLE, "", "", "" },

	/* Members the hints name. */
	{ "Secret: data and stringData", "secrets",
	  "{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":"
	  "\"s\"},\"type\":\"Opaque\",\"data\":{\"k\":\"aHVudGVyMg==\"},"
	  "\"stringData\":{\"p\":\"v\"}}",
	  PRUNE_OK, 1, PARTIAL, "kind data stringData", "",
	  "apiVersion metadata type" },
	{ "Secret merge patch without a kind", "secrets",
	  "{\"metadata\":{\"name\":\"s\"},\"data\":{\"k\":\"dg==\"}}",
	  PRUNE_OK, 1, PARTIAL, "data", "", "metadata" },
	{ "Secret by its kind alone", "widgets",
	  "{\"kind\":\"Secret\",\"data\":{\"k\":\"dg==\"},\"type\":\"Opaque\"}",
	  PRUNE_OK, 1, PARTIAL, "kind data", "", "type" },
	{ "SecretList: items", "secrets",
	  "{\"kind\":\"SecretList\",\"metadata\":{},\"items\":[{\"data\":"
	  "{\"k\":\"dg==\"}}]}",
	  PRUNE_OK, 1, PARTIAL, "kind items", "", "metadata" },
	{ "TokenRequest: status", "serviceaccounts/token",
	  "{\"kind\":\"TokenRequest\",\"spec\":{\"audiences\":[\"api\"]},"
	  "\"status\":{\"token\":\"abc\",\"expirationTimestamp\":\"t\"}}",
	  PRUNE_OK, 1, PARTIAL, "kind status", "", "spec" },
	{ "TokenReview: spec", "tokenreviews",
	  "{\"kind\":\"TokenReview\",\"spec\":{\"token\":\"abc\"},\"status\":{"
	  "\"authenticated\":true}}",
	  PRUNE_OK, 1, PARTIAL, "kind spec", "", "status" },

	/* ConfigMap data: read from its bytes. */
	{ "ConfigMap: clean data and binaryData stand as {}", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},\"data\":{"
	  "\"app.properties\":\"color=blue\\nsize=3\",\"empty\":\"\",\"nothing\":"
	  "null,\"url\":\"http:\\/\\/x\\/y\",\"motd\":\"caf\\u00e9\"},"
	  "\"binaryData\":{\"logo.png\":\"iVBORw0K\"}}",
	  PRUNE_OK, 0, PARTIAL, "kind", "data binaryData", "metadata" },
	{ "ConfigMap by its kind alone: clean data stands as {}", NULL,
	  "{\"kind\":\"ConfigMap\",\"data\":{\"a\":\"b\"}}",
	  PRUNE_OK, 0, PARTIAL, "kind", "data", "" },
	{ "ConfigMap with whitespace: clean data stands as {}", "configmaps",
	  "{ \"kind\" : \"ConfigMap\" ,\n \"data\" : { \"a\" : \"b\" ,"
	  " \"n\" : null\t} }",
	  PRUNE_OK, 0, PARTIAL, "kind", "data", "" },
	{ "ConfigMap: a credential key", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"app\":\"x\",\"password\":"
	  "\"hunter2\"},\"metadata\":{}}",
	  PRUNE_OK, 1, PARTIAL, "kind data", "", "metadata" },
	{ "ConfigMap: a credential assignment", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"config\":\"[default]\\n"
	  "aws_secret_access_key = x\\n\"}}",
	  PRUNE_OK, 1, PARTIAL, "kind data", "", "" },
	{ "ConfigMap: an escaped credential assignment", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"config\":\"pass\\u0077ord="
	  "hunter2\"}}",
	  PRUNE_OK, 1, PARTIAL, "kind data", "", "" },
	{ "ConfigMap: an escaped credential key", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"pass\\u0077ord\":\"x\"}}",
	  PRUNE_OK, 1, PARTIAL, "kind data", "", "" },
	{ "ConfigMap: a PEM private key", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"bundle\":\"-----BEGIN RSA "
	  "PRIVATE KEY-----\\nMIIB\\n-----END RSA PRIVATE KEY-----\\n\"}}",
	  PRUNE_OK, 1, PARTIAL, "kind data", "", "" },
	{ "ConfigMap: a binaryData credential key", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"binaryData\":{\"password\":\"aGk=\"},"
	  "\"data\":{\"a\":\"b\"}}",
	  PRUNE_OK, 1, PARTIAL, "kind binaryData", "data", "" },
	{ "ConfigMap: data with a kind entry", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"kind\":\"Note\",\"a\":\"b\"}}",
	  PRUNE_OK, 1, PARTIAL, "kind data", "", "" },
	/* Redaction reads that map as a Secret: its stringData is replaced. */
	{ "ConfigMap: data with a kind Secret entry", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"kind\":\"Secret\","
	  "\"stringData\":\"hunter2\"}}",
	  PRUNE_OK, 1, PARTIAL, "kind data", "", "" },
	{ "ConfigMap: a value that is not a string", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"n\":5}}",
	  PRUNE_OK, 1, PARTIAL, "kind data", "", "" },

	/* Repeated keys. */
	{ "repeated keys in Secret data", "secrets",
	  "{\"kind\":\"Secret\",\"data\":{\"k\":\"a\",\"k\":\"b\"}}",
	  PRUNE_REFERENCE, -1, NONE, NULL, NULL, NULL },
	{ "repeated keys in ConfigMap data with a credential", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"password\":\"a\",\"password\":"
	  "\"b\"}}",
	  PRUNE_REFERENCE, -1, NONE, NULL, NULL, NULL },
	{ "repeated keys in a member with a needle", "pods",
	  "{\"kind\":\"Pod\",\"notes\":{\"ref\":\"Secret\",\"ref\":\"x\"}}",
	  PRUNE_REFERENCE, -1, NONE, NULL, NULL, NULL },
	{ "repeated keys in a member only derive reads", "pods",
	  "{\"kind\":\"Pod\",\"spec\":{\"containers\":[],\"containers\":[{"
	  "\"name\":\"c\"}]}}",
	  PRUNE_OK, 0, PARTIAL, "kind spec", "", "" },
	{ "repeated body keys: parsed whole", "pods",
	  "{\"kind\":\"Pod\",\"spec\":{\"containers\":[]},\"spec\":{"
	  "\"containers\":[{\"name\":\"c\"}]},\"status\":{}}",
	  PRUNE_OK, 0, WHOLE, NULL, NULL, NULL },
	{ "repeated body keys that redaction reads", "secrets",
	  "{\"kind\":\"Secret\",\"data\":{\"k\":\"a\"},\"data\":{\"k\":\"b\"}}",
	  PRUNE_REFERENCE, -1, NONE, NULL, NULL, NULL },
	{ "repeated body keys with a needle", "pods",
	  "{\"kind\":\"Pod\",\"a\":\"Secret\",\"a\":\"x\"}",
	  PRUNE_REFERENCE, -1, NONE, NULL, NULL, NULL },
	{ "an escaped body key: parsed whole", "pods",
	  "{\"k\\u0069nd\":\"Pod\",\"spec\":{}}",
	  PRUNE_OK, 1, WHOLE, NULL, NULL, NULL },

	/* Bodies that are not objects. */
	{ "JSON patch of a Secret: whole", "secrets",
	  "[{\"op\":\"replace\",\"path\":\"/data/k\",\"value\":\"djI=\"}]",
	  PRUNE_OK, 1, WHOLE, NULL, NULL, NULL },
	{ "JSON patch of a ConfigMap: whole", "configmaps",
	  "[{\"op\":\"add\",\"path\":\"/data/a\",\"value\":\"b\"}]",
	  PRUNE_OK, 1, WHOLE, NULL, NULL, NULL },
	{ "JSON patch of a Deployment: none", "deployments",
	  "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":2}]",
	  PRUNE_OK, 0, NONE, NULL, NULL, NULL },
	{ "JSON patch with a needle: whole", "deployments",
	  "[{\"op\":\"add\",\"path\":\"/spec/x\",\"value\":{\"kind\":"
	  "\"Secret\",\"data\":{\"k\":\"dg==\"}}}]",
	  PRUNE_OK, 1, WHOLE, NULL, NULL, NULL },
	/* Redaction reads a last-applied patch path only in Secrets (and
	 * "~1" is not the needle's "/"): nothing to read here. */
	{ "last-applied patch of a Deployment: none", "deployments",
	  "[{\"op\":\"add\",\"path\":\"/metadata/annotations/kubectl."
	  "kubernetes.io~1last-applied-configuration\",\"value\":\"{}\"}]",
	  PRUNE_OK, 0, NONE, NULL, NULL, NULL },
	{ "YAML text of a Secret: whole", "secrets",
	  "\"apiVersion: v1\\nkind: Secret\\ndata:\\n  k: dg==\\n\"",
	  PRUNE_OK, 1, WHOLE, NULL, NULL, NULL },
	{ "plain text: none", "pods", "\"plain text body\"",
	  PRUNE_OK, 0, NONE, NULL, NULL, NULL },
	{ "text with a needle: whole", "pods", "\"kind: Secret\"",
	  PRUNE_OK, 1, WHOLE, NULL, NULL, NULL },
	{ "null: none", "pods", "null", PRUNE_OK, 0, NONE, NULL, NULL, NULL },
};

/* The event around case `c`'s body, as JSON text (malloc'd). */
static char *
case_event(const struct prune_case *c)
{
	char ref[128] = "", *text;
	const char *slash = c->resource ? strchr(c->resource, '/') : NULL;

	if (slash != NULL)
		snprintf(ref, sizeof(ref), "\"objectRef\":{\"resource\":\"%.*s\","
		    "\"subresource\":\"%s\"},", (int)(slash - c->resource),
		    c->resource, slash + 1);
	else if (c->resource != NULL)
		snprintf(ref, sizeof(ref), "\"objectRef\":{\"resource\":\"%s\"},",
		    c->resource);
	if (asprintf(&text, "{\"kind\":\"Event\",\"apiVersion\":"
	    "\"audit.k8s.io/v1\",\"auditID\":\"t\",\"verb\":\"create\",%s"
	    "\"requestObject\":%s}", ref, c->body) < 0)
		return NULL;
	return text;
}

/* Each space-separated name of `names` passes `test` on the bodies. */
static bool
each_member(const char *names, const json_t *part, const json_t *full,
    bool (*test)(const json_t *, const json_t *), size_t *count)
{
	char name[64];
	size_t n;

	for (; names != NULL && *names != '\0'; names += n) {
		names += strspn(names, " ");
		n = strcspn(names, " ");
		if (n == 0)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)n, names);
		(*count)++;
		if (!test(json_object_get(part, name), json_object_get(full,
		    name))) {
			diag("member %s: partial %s", name,
			    json_object_get(part, name) ? "differs" : "missing");
			return false;
		}
	}
	return true;
}

static bool
kept(const json_t *p, const json_t *f)
{
	return p != NULL && json_equal(p, f);
}

static bool
emptied(const json_t *p, const json_t *f)
{
	return json_is_object(p) && json_object_size(p) == 0 &&
	    json_object_size(f) > 0;
}

static bool
left_out(const json_t *p, const json_t *f)
{
	return p == NULL && f != NULL;
}

/* The partial body has the shape case `c` names. */
static bool
shape_is(const struct prune_case *c, const json_t *part, const json_t *full)
{
	size_t present = 0, absent = 0;

	switch (c->shape) {
	case NONE:
		return part == NULL;
	case WHOLE:
		return part != NULL && json_equal(part, full);
	case PARTIAL:
		break;
	}
	return json_is_object(part) &&
	    each_member(c->kept, part, full, kept, &present) &&
	    each_member(c->emptied, part, full, emptied, &present) &&
	    each_member(c->left, part, full, left_out, &absent) &&
	    json_object_size(part) == present;
}

static void
test_case(const struct prune_case *c)
{
	char *text = case_event(c), reason[128];
	json_t *event = text ? json_loads(text, JSON_ALLOW_NUL, NULL) : NULL;
	struct pruned out = { NULL, false };
	enum prune_status st = PRUNE_NOMEM;
	struct totals t = { 0, 0, 0, 0, 0, 0, 0, 0 };
	const struct jmember *m = NULL;
	const char *why = NULL;
	struct jscan sc;
	struct head h;
	json_t *full;
	bool good;

	head_from_json(event, &h);
	jscan_init(&sc);
	if (event != NULL && jscan_line(&sc, text, strlen(text), MAX_DEPTH,
	    reason, sizeof(reason)) == JSCAN_OK &&
	    (m = jscan_find(sc.root, sc.nroot, text, "requestObject")) != NULL)
		st = prune_body(&h, text, m->value, &out);
	/* jansson's reading of the body: a repeated key keeps its last value. */
	full = m ? json_loadb(text + m->value.off, m->value.len, LOAD_FLAGS,
	    NULL) : NULL;
	good = m != NULL && st == c->status;
	if (good && st == PRUNE_OK) {
		good = (c->redact < 0 || out.redact == (c->redact != 0)) &&
		    shape_is(c, out.body, full);
		/* And the corpus property holds for it too. */
		why = check_event(event, JSON_COMPACT, &t);
		good = good && why == NULL;
	}
	if (!good) {
		char *dump = out.body ? json_dumps(out.body, JSON_COMPACT |
		    JSON_ENCODE_ANY) : NULL;

		diag("%s: got %s, redact %d, body %.300s%s%s", c->name,
		    status_name(st), out.redact, dump ? dump : "(none)",
		    why ? "; " : "", why ? why : "");
		free(dump);
	}
	ok(good, "%s: %s%s", c->name, status_name(c->status),
	    c->status != PRUNE_OK ? "" : c->redact == 1 ? ", redact" :
	    c->redact == 0 ? ", no redact" : "");
	json_decref(out.body);
	json_decref(full);
	json_decref(event);
	jscan_free(&sc);
	free(text);
}

/*
 * A pod's body of `members` top-level members: kind, a spec with hostPID
 * (derive reads both), then "m2", "m3"... holding numbers, but for
 * `secret` "m5" an embedded Secret (redaction reads it) and at index
 * `repeat` (when not 0) "m2" again.  Malloc'd; NULL when memory runs out.
 */
static char *
many_body(size_t members, bool secret, size_t repeat)
{
	size_t cap = 64 + members * 32, n;
	char *body = malloc(cap);

	if (body == NULL)
		return NULL;
	n = (size_t)snprintf(body, cap, "{\"kind\":\"Pod\",\"spec\":{"
	    "\"hostPID\":true,\"containers\":[{\"name\":\"c\"}]}");
	for (size_t i = 2; i < members && n < cap; i++) {
		if (secret && i == 5)
			n += (size_t)snprintf(body + n, cap - n, ",\"m5\":{"
			    "\"kind\":\"Secret\",\"data\":{\"k\":\"dg==\"}}");
		else
			n += (size_t)snprintf(body + n, cap - n, ",\"m%zu\":%zu",
			    i == repeat ? 2 : i, i);
	}
	if (n + 2 > cap) {
		free(body);
		return NULL;
	}
	memcpy(body + n, "}", 2);
	return body;
}

/*
 * Bodies of any number of top-level members are pruned member by member:
 * derive's members and the one redaction reads are kept, the others left
 * out.  A repeated key, early or as the very last member, still has the
 * body parsed whole: by jansson when nothing in it is for redaction, on the
 * reference path when something is.
 */
static void
test_many_members(void)
{
	static const struct {
		size_t members;
		bool secret;
		size_t repeat;
		enum prune_status status;
		int redact;
		enum shape shape;
		const char *kept;
	} many[] = {
		{ 64, false, 0, PRUNE_OK, 0, PARTIAL, "kind spec" },
		{ 65, false, 0, PRUNE_OK, 0, PARTIAL, "kind spec" },
		{ 100000, false, 0, PRUNE_OK, 0, PARTIAL, "kind spec" },
		{ 65, true, 0, PRUNE_OK, 1, PARTIAL, "kind spec m5" },
		{ 100000, true, 0, PRUNE_OK, 1, PARTIAL, "kind spec m5" },
		{ 100, false, 70, PRUNE_OK, 0, WHOLE, NULL },
		{ 100000, false, 99999, PRUNE_OK, 0, WHOLE, NULL },
		{ 100, true, 70, PRUNE_REFERENCE, -1, WHOLE, NULL },
		{ 100000, true, 99999, PRUNE_REFERENCE, -1, WHOLE, NULL },
	};
	char name[128];
	size_t n;

	for (size_t i = 0; i < sizeof(many) / sizeof(*many); i++) {
		char *body = many_body(many[i].members, many[i].secret,
		    many[i].repeat);
		struct prune_case c = { name, "pods", body, many[i].status,
		    many[i].redact, many[i].shape, many[i].kept, "", "m2 m3" };

		n = (size_t)snprintf(name, sizeof(name), "%zu top-level "
		    "members%s", many[i].members, many[i].secret ?
		    ", one for redaction" : "");
		if (many[i].repeat != 0 && n < sizeof(name))
			snprintf(name + n, sizeof(name) - n, ", key repeated "
			    "at member %zu", many[i].repeat);
		if (body == NULL) {
			ok(false, "%s: out of memory", name);
			continue;
		}
		test_case(&c);
		free(body);
	}
}

/*
 * A pod spec with every member derive_pod reads set so that it shows in
 * `k8s`, beside members it does not read, where each kind keeps it: the
 * partial body must give the same `k8s` object, and a smaller body.
 * (automountServiceAccountToken spells "Token", which redaction looks
 * for in text: a body that holds it below its own members is parsed
 * whole, so only the Pod has it.)
 */
#define POD_SPEC(sa, automount) "{\"containers\":[{\"name\":\"c\",\"image\":\"i\"," \
	"\"env\":[{\"name\":\"A\",\"value\":\"b\"}],\"securityContext\":{" \
	"\"privileged\":true,\"allowPrivilegeEscalation\":true," \
	"\"runAsUser\":0,\"runAsNonRoot\":false,\"procMount\":\"Unmasked\"," \
	"\"readOnlyRootFilesystem\":false,\"capabilities\":{\"add\":[" \
	"\"NET_ADMIN\"],\"drop\":[\"ALL\"]}},\"ports\":[{\"containerPort\":80," \
	"\"hostPort\":8080}]}],\"initContainers\":[{\"name\":\"i\"," \
	"\"image\":\"j\"}],\"ephemeralContainers\":[{\"name\":\"e\"," \
	"\"image\":\"k\"}],\"hostNetwork\":true,\"hostPID\":true," \
	"\"hostIPC\":true,\"volumes\":[{\"name\":\"v\",\"hostPath\":{" \
	"\"path\":\"/etc\",\"type\":\"\"}}],\"" sa "\":\"robot\"," \
	automount "\"nodeName\":\"n\"," \
	"\"securityContext\":{\"runAsUser\":0,\"runAsNonRoot\":false," \
	"\"fsGroup\":1}}"
#define POD_EVENT(res, body) "{\"kind\":\"Event\",\"apiVersion\":" \
	"\"audit.k8s.io/v1\",\"level\":\"Request\",\"auditID\":\"a\"," \
	"\"stage\":\"ResponseComplete\",\"requestURI\":\"/x\",\"verb\":" \
	"\"create\",\"user\":{\"username\":\"u\"},\"objectRef\":{" \
	"\"resource\":\"" res "\"},\"requestObject\":" body "}"

static void
test_pod_spec_members(void)
{
	static const struct {
		const char *name, *text;
	} pods[] = {
		{ "Pod", POD_EVENT("pods", "{\"kind\":\"Pod\",\"spec\":"
		    POD_SPEC("serviceAccountName",
		    "\"automountServiceAccountToken\":true,") "}") },
		{ "Deployment", POD_EVENT("deployments", "{\"kind\":"
		    "\"Deployment\",\"spec\":{\"replicas\":1,\"template\":{"
		    "\"spec\":" POD_SPEC("serviceAccount", "")
		    "}}}") },
		{ "CronJob", POD_EVENT("cronjobs", "{\"kind\":\"CronJob\","
		    "\"spec\":{\"schedule\":\"@daily\",\"jobTemplate\":{\"spec\":"
		    "{\"template\":{\"spec\":" POD_SPEC("serviceAccountName", "")
		    "}}}}}") },
		{ "PodTemplate", POD_EVENT("podtemplates", "{\"kind\":"
		    "\"PodTemplate\",\"template\":{\"spec\":"
		    POD_SPEC("serviceAccount", "") "}}") },
	};

	for (size_t i = 0; i < sizeof(pods) / sizeof(*pods); i++) {
		struct totals t = { 0, 0, 0, 0, 0, 0, 0, 0 };
		json_t *event = json_loads(pods[i].text, 0, NULL), *k8s = NULL;
		const char *why = event ? check_event(event, JSON_COMPACT, &t) :
		    "not JSON";

		/* The spec was read: every fact it gives is in `k8s`. */
		if (why == NULL && (derive_k8s(event, "c", "s", &k8s) != 0 ||
		    json_object_size(k8s) < 20))
			why = "the spec gives fewer facts than it should";
		if (why == NULL && t.smaller != 1)
			why = "the partial body is not smaller";
		ok(why == NULL, "%s: every pod spec member derive reads is "
		    "kept%s%s", pods[i].name, why ? ": " : "", why ? why : "");
		json_decref(k8s);
		json_decref(event);
	}
}

int
main(void)
{
	json_t *corpus = corpus_all_events(), *rules = rule_events();

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		test_case(&cases[i]);
	test_many_members();
	test_pod_spec_members();
	test_corpus(corpus, "corpus", 200);
	if (json_array_size(rules) > 0)
		test_corpus(rules, "rule test events", 50);
	else
		tap_skip("rule test events", "tests/rules/events not found");
	json_decref(corpus);
	json_decref(rules);
	return tap_done();
}
