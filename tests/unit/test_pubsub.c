/*
 * test_pubsub: Pub/Sub push requests of GKE LogEntries (tests/fixtures/gke,
 * written to Google's published formats: see its README) and the audit
 * Events they become, field by field as docs/clouds.md maps them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "eventlist.h"
#include "pubsub.h"
#include "tap.h"

static char *
fixture(const char *name)
{
	const char *top = getenv("TOP_SRCDIR");
	char path[1024];
	json_t *v;
	char *text;

	snprintf(path, sizeof(path), "%s/tests/fixtures/gke/%s.json",
	    top && *top ? top : ".", name);
	if ((v = json_load_file(path, 0, NULL)) == NULL) {
		diag("cannot read %s", path);
		exit(1);
	}
	text = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	return text;
}

/* The wrapped push body of `data` (Pub/Sub's push format). */
static char *
wrapped(const char *data)
{
	size_t len = strlen(data);
	char *b = malloc(len / 3 * 4 + 8), *text;
	json_t *body;

	EVP_EncodeBlock((unsigned char *)b, (const unsigned char *)data,
	    (int)len);
	body = json_pack("{s:{s:s,s:{s:s},s:s,s:s},s:s}", "message", "data", b,
	    "attributes", "logging.googleapis.com/timestamp",
	    "2026-11-30T10:00:00.123456Z", "messageId", "9512538210416441",
	    "publishTime", "2026-11-30T10:00:02.001Z", "subscription",
	    "projects/demo-project/subscriptions/wazuh-k8s-audit");
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	free(b);
	return text;
}

/* The one Event a push body holds, parsed; NULL if it held none. */
static json_t *
convert(const char *body, struct records *r)
{
	char reason[256];

	if (pubsub_unwrap(body, strlen(body), r, reason, sizeof(reason)) != 0 ||
	    r->count != 1 || r->items[0].reason != NULL) {
		diag("no event: %s", r->count ? r->items[0].reason : reason);
		return NULL;
	}
	return json_loads(r->items[0].text, 0, NULL);
}

static const char *
s(const json_t *ev, const char *path)
{
	char buf[256], *save = NULL, *p;
	const json_t *v = ev;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strtok_r(buf, ".", &save); p; p = strtok_r(NULL, ".", &save))
		v = json_object_get(v, p);
	return json_string_value(v) ? json_string_value(v) : "(none)";
}

static bool
is(const json_t *ev, const char *path, const char *want)
{
	return strcmp(s(ev, path), want) == 0;
}

static void
test_pod_create(void)
{
	char *entry = fixture("pod-create-privileged"), *body = wrapped(entry);
	char reason[256];
	struct records r;
	json_t *ev = convert(body, &r);

	ok(ev != NULL, "wrapped push: one Event");
	ok(event_check(ev, reason, sizeof(reason)) == 0, "it is an audit Event "
	    "the plugin takes (%s)", ev ? "checked" : "none");
	ok(is(ev, "apiVersion", "audit.k8s.io/v1") && is(ev, "kind", "Event"),
	    "apiVersion and kind");
	ok(is(ev, "auditID", "a1b2c3d4-0001"), "auditID from insertId");
	ok(is(ev, "verb", "create"), "verb from methodName");
	ok(is(ev, "objectRef.namespace", "default") &&
	    is(ev, "objectRef.resource", "pods") &&
	    is(ev, "objectRef.name", "priv") &&
	    is(ev, "objectRef.apiVersion", "v1") &&
	    json_object_get(json_object_get(ev, "objectRef"), "apiGroup") ==
	    NULL, "objectRef from resourceName, core group without apiGroup");
	ok(is(ev, "requestURI", "/api/v1/namespaces/default/pods/priv"),
	    "requestURI rebuilt: %s", s(ev, "requestURI"));
	ok(is(ev, "user.username", "alice@example.com"), "user.username from "
	    "principalEmail");
	ok(strcmp(json_string_value(json_array_get(json_object_get(ev,
	    "sourceIPs"), 0)), "203.0.113.7") == 0, "sourceIPs from callerIp");
	ok(strncmp(s(ev, "userAgent"), "kubectl/v1.28.4", 15) == 0,
	    "userAgent from callerSuppliedUserAgent");
	ok(json_integer_value(json_object_get(json_object_get(ev,
	    "responseStatus"), "code")) == 200, "status {} (OK) is 200");
	ok(json_is_true(json_object_get(json_object_get(json_array_get(
	    json_object_get(json_object_get(json_object_get(ev,
	    "requestObject"), "spec"), "containers"), 0), "securityContext"),
	    "privileged")), "requestObject from request");
	ok(json_is_object(json_object_get(ev, "responseObject")) &&
	    is(ev, "level", "RequestResponse"), "responseObject, level "
	    "RequestResponse");
	ok(is(ev, "requestReceivedTimestamp", "2026-11-30T10:00:00.123456Z") &&
	    is(ev, "stageTimestamp", "2026-11-30T10:00:00.123456Z") &&
	    is(ev, "stage", "ResponseComplete"), "timestamps and stage");
	ok(json_string_value(json_object_get(json_object_get(ev, "annotations"),
	    "authorization.k8s.io/decision")) &&
	    strcmp(json_string_value(json_object_get(json_object_get(ev,
	    "annotations"), "authorization.k8s.io/decision")), "allow") == 0,
	    "decision allow from authorizationInfo granted");
	ok(strstr(json_string_value(json_object_get(json_object_get(ev,
	    "annotations"), PUBSUB_NOT_PROVIDED)), "user.groups") != NULL,
	    "what GKE does not provide is named");
	ok(r.count == 1 && r.items[0].cluster &&
	    strcmp(r.items[0].cluster, "gke-prod") == 0,
	    "cluster from resource.labels.cluster_name");
	json_decref(ev);
	records_free(&r);
	/* Unwrapped push: the body is the LogEntry itself. */
	ev = convert(entry, &r);
	ok(ev && is(ev, "auditID", "a1b2c3d4-0001") && is(ev, "verb", "create"),
	    "unwrapped push: the same Event");
	json_decref(ev);
	records_free(&r);
	free(entry);
	free(body);
}

static void
test_table(void)
{
	static const struct {
		const char *name, *verb, *uri, *group, *resource, *sub;
		int code;
		const char *decision;
	} cases[] = {
		{ "clusterrolebinding-cluster-admin", "create",
		  "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/pwn",
		  "rbac.authorization.k8s.io", "clusterrolebindings", NULL, 200,
		  "allow" },
		{ "secret-get", "get",
		  "/api/v1/namespaces/kube-system/secrets/admin-token", NULL,
		  "secrets", NULL, 200, "allow" },
		{ "pod-exec", "create", "/api/v1/namespaces/default/pods/web/exec",
		  NULL, "pods", "exec", 200, "allow" },
		{ "secret-list-denied", "list",
		  "/api/v1/namespaces/kube-system/secrets", NULL, "secrets", NULL,
		  403, "forbid" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *entry = fixture(cases[i].name), *body = wrapped(entry);
		struct records r;
		json_t *ev = convert(body, &r), *rs;
		char reason[256];

		rs = json_object_get(ev, "responseStatus");
		ok(ev && event_check(ev, reason, sizeof(reason)) == 0 &&
		    is(ev, "verb", cases[i].verb) &&
		    is(ev, "requestURI", cases[i].uri) &&
		    is(ev, "objectRef.apiGroup", cases[i].group ? cases[i].group :
		    "(none)") && is(ev, "objectRef.resource", cases[i].resource) &&
		    is(ev, "objectRef.subresource", cases[i].sub ? cases[i].sub :
		    "(none)") && json_integer_value(json_object_get(rs, "code")) ==
		    cases[i].code,
		    "%s: verb %s, %s, code %d", cases[i].name, s(ev, "verb"),
		    s(ev, "requestURI"), (int)json_integer_value(
		    json_object_get(rs, "code")));
		ok(json_string_value(json_object_get(json_object_get(ev,
		    "annotations"), "authorization.k8s.io/decision")) &&
		    strcmp(json_string_value(json_object_get(json_object_get(ev,
		    "annotations"), "authorization.k8s.io/decision")),
		    cases[i].decision) == 0, "%s: decision %s", cases[i].name,
		    cases[i].decision);
		json_decref(ev);
		records_free(&r);
		free(entry);
		free(body);
	}
}

/*
 * The Namespace itself: core/v1/namespaces[/name[/status|/finalize]] names
 * the namespaces resource, as kube-apiserver reads /api/v1/namespaces/...
 * (its namespace is its name, but on create, posted to the collection); a
 * fifth part that is no Namespace subresource is a namespaced resource.
 */
static void
test_namespaces(void)
{
	static const struct {
		const char *method, *rn, *resource, *name, *sub, *ns, *uri;
	} cases[] = {
		{ "io.k8s.core.v1.namespaces.list", "core/v1/namespaces",
		  "namespaces", NULL, NULL, NULL, "/api/v1/namespaces" },
		{ "io.k8s.core.v1.namespaces.create", "core/v1/namespaces/team-a",
		  "namespaces", "team-a", NULL, NULL,
		  "/api/v1/namespaces/team-a" },
		{ "io.k8s.core.v1.namespaces.delete", "core/v1/namespaces/team-a",
		  "namespaces", "team-a", NULL, "team-a",
		  "/api/v1/namespaces/team-a" },
		{ "io.k8s.core.v1.namespaces.finalize.update",
		  "core/v1/namespaces/team-a/finalize", "namespaces", "team-a",
		  "finalize", "team-a", "/api/v1/namespaces/team-a/finalize" },
		{ "io.k8s.core.v1.namespaces.status.patch",
		  "core/v1/namespaces/team-a/status", "namespaces", "team-a",
		  "status", "team-a", "/api/v1/namespaces/team-a/status" },
		{ "io.k8s.core.v1.pods.create", "core/v1/namespaces/team-a/pods",
		  "pods", NULL, NULL, "team-a", "/api/v1/namespaces/team-a/pods" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *entry = fixture("pod-create-privileged"), *body, *text;
		json_t *e = json_loads(entry, 0, NULL), *ev;
		struct records r;

		json_object_set_new(json_object_get(e, "protoPayload"),
		    "resourceName", json_string(cases[i].rn));
		json_object_set_new(json_object_get(e, "protoPayload"),
		    "methodName", json_string(cases[i].method));
		text = json_dumps(e, JSON_COMPACT);
		body = wrapped(text);
		ev = convert(body, &r);
		ok(ev && is(ev, "objectRef.resource", cases[i].resource) &&
		    is(ev, "objectRef.name", cases[i].name ? cases[i].name :
		    "(none)") && is(ev, "objectRef.subresource", cases[i].sub ?
		    cases[i].sub : "(none)") && is(ev, "objectRef.namespace",
		    cases[i].ns ? cases[i].ns : "(none)") &&
		    is(ev, "requestURI", cases[i].uri),
		    "%s: objectRef %s %s %s in %s, %s", cases[i].rn,
		    s(ev, "objectRef.resource"), s(ev, "objectRef.name"),
		    s(ev, "objectRef.subresource"), s(ev, "objectRef.namespace"),
		    s(ev, "requestURI"));
		json_decref(ev);
		json_decref(e);
		records_free(&r);
		free(text);
		free(body);
		free(entry);
	}
}

static void
test_not_events(void)
{
	static const char *bad[] = {
		"{\"insertId\":\"x\",\"protoPayload\":{\"serviceName\":"
		"\"compute.googleapis.com\",\"methodName\":\"v1.compute.x\"}}",
		"{\"protoPayload\":{\"serviceName\":\"k8s.io\",\"methodName\":"
		"\"io.k8s.core.v1.pods.get\"}}",
		"{\"insertId\":\"x\",\"protoPayload\":{\"serviceName\":\"k8s.io\","
		"\"methodName\":\"io.k8s.\"}}",
		"[1,2]",
		"{\"not\":\"closed\"",
	};
	static const char notb64[] = "{\"message\":{\"data\":\"%%%%\"}}";
	struct records r;
	char reason[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char *body = wrapped(bad[i]);
		/* Unwrapped before ok() reads r: its arguments have no set order. */
		int rc = pubsub_unwrap(body, strlen(body), &r, reason,
		    sizeof(reason));

		ok(rc == 0 && r.count == 1 && r.items[0].reason,
		    "message %zu set aside alone: %s", i,
		    rc == 0 && r.count ? r.items[0].reason : reason);
		records_free(&r);
		free(body);
	}
	ok(pubsub_unwrap(notb64, strlen(notb64), &r, reason,
	    sizeof(reason)) == -EINVAL && strstr(reason, "base64"),
	    "data not base64: the request is refused (%s)", reason);
	ok(pubsub_unwrap("{\"message\":{}}", 14, &r, reason,
	    sizeof(reason)) == -EINVAL, "message without data: refused (%s)",
	    reason);
	ok(pubsub_unwrap("nope", 4, &r, reason, sizeof(reason)) == -EINVAL,
	    "not JSON: refused (%s)", reason);
}

/*
 * Invalid UTF-8 in a LogEntry (Cloud Logging writes proto3 strings, valid
 * UTF-8 by definition, so only a forged push carries it): a push holds one
 * entry, so setting it aside hides no neighbour.  Wrapped, the entry is
 * set aside alone and the push answered; unwrapped, the body is the entry
 * and is refused whole, which sets aside the same bytes.
 */
static void
test_invalid_utf8(void)
{
	char *entry = fixture("pod-create-privileged"), *at, *body;
	struct records r;
	char reason[256];
	int rc;

	at = strstr(entry, "europe-west1");
	if (at == NULL) {
		ok(false, "fixture holds its location label");
		free(entry);
		return;
	}
	at[0] = '\xff';
	body = wrapped(entry);
	/* Unwrapped before ok() reads r: its arguments have no set order. */
	rc = pubsub_unwrap(body, strlen(body), &r, reason, sizeof(reason));
	ok(rc == 0 && r.count == 1 && r.items[0].reason != NULL, "invalid "
	    "UTF-8 in a wrapped LogEntry: that entry set aside alone (%s)",
	    rc == 0 && r.count ? r.items[0].reason : reason);
	records_free(&r);
	rc = pubsub_unwrap(entry, strlen(entry), &r, reason, sizeof(reason));
	ok(rc == -EINVAL && strstr(reason, "not JSON"), "unwrapped: the body, "
	    "that one entry, refused whole (%s)", reason);
	free(body);
	free(entry);
}

static void
test_grpc(void)
{
	ok(grpc_to_http(0) == 200 && grpc_to_http(3) == 400 &&
	    grpc_to_http(5) == 404 && grpc_to_http(6) == 409 &&
	    grpc_to_http(7) == 403 && grpc_to_http(16) == 401 &&
	    grpc_to_http(8) == 429 && grpc_to_http(14) == 503 &&
	    grpc_to_http(99) == 500 && grpc_to_http(-1) == 500,
	    "gRPC codes map to code.proto's HTTP statuses");
}

int
main(void)
{
	test_pod_create();
	test_table();
	test_namespaces();
	test_not_events();
	test_invalid_utf8();
	test_grpc();
	return tap_done();
}
