#include "pubsub.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GKE cluster names: 1-40 of [a-z0-9-]; a little room beyond. */
#define GKE_NAME_MAX 64
/* Segments of a resourceName: group/version/namespaces/ns/res/name/sub. */
#define MAX_SEGMENTS 8

int
grpc_to_http(long long code)
{
	/* google/rpc/code.proto, each code's "HTTP Mapping" comment. */
	static const int http[] = {
		200,	/* OK */
		499,	/* CANCELLED */
		500,	/* UNKNOWN */
		400,	/* INVALID_ARGUMENT */
		504,	/* DEADLINE_EXCEEDED */
		404,	/* NOT_FOUND */
		409,	/* ALREADY_EXISTS */
		403,	/* PERMISSION_DENIED */
		429,	/* RESOURCE_EXHAUSTED */
		400,	/* FAILED_PRECONDITION */
		409,	/* ABORTED */
		400,	/* OUT_OF_RANGE */
		501,	/* UNIMPLEMENTED */
		500,	/* INTERNAL */
		503,	/* UNAVAILABLE */
		500,	/* DATA_LOSS */
		401,	/* UNAUTHENTICATED */
	};

	if (code < 0 || code >= (long long)(sizeof(http) / sizeof(*http)))
		return 500;
	return http[code];
}

static const char *
str_at(const json_t *obj, const char *a, const char *b)
{
	const json_t *v = json_object_get(obj, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_string_value(v);
}

/* Set key to a copy of string s unless s is NULL; -ENOMEM. */
static int
set_str(json_t *obj, const char *key, const char *s)
{
	if (s == NULL)
		return 0;
	return json_object_set_new(obj, key, json_string(s)) ? -ENOMEM : 0;
}

/* Append "name" to the comma list of what the cloud did not provide. */
static void
not_provided(char *list, size_t cap, const char *name)
{
	size_t n = strlen(list);

	snprintf(list + n, cap - n, "%s%s", n ? "," : "", name);
}

/*
 * Whether seg[0..n) names the core namespaces resource itself:
 * core/v1/namespaces[/name[/status|/finalize]], as kube-apiserver's
 * RequestInfoFactory reads /api/v1/namespaces/...: a third part after
 * "namespaces" that is one of a Namespace's subresources is that subresource,
 * anything else is a resource inside the namespace.
 */
static bool
namespace_itself(char **seg, size_t n)
{
	if (n < 3 || strcmp(seg[0], "core") != 0 ||
	    strcmp(seg[2], "namespaces") != 0)
		return false;
	return n <= 4 || (n == 5 && (strcmp(seg[4], "status") == 0 ||
	    strcmp(seg[4], "finalize") == 0));
}

/*
 * objectRef and requestURI from resourceName, split on '/':
 *   g/v/namespaces/ns/res[/name[/sub]]  or  g/v/res[/name[/sub]]
 * (core/v1/namespaces[/name[/sub]] is the Namespace itself, whose namespace
 * is its name, as kube-apiserver records it, but on create: that request's
 * path is /api/v1/namespaces; "core" is the legacy group: no apiGroup, URI
 * under /api).  The URI is the path the request had (no query string: GKE
 * does not log it).
 */
static int
add_resource(json_t *ev, const char *name, const char *verb, char *missing,
    size_t mcap)
{
	char buf[1024], uri[1100], *seg[MAX_SEGMENTS], *save = NULL, *p;
	size_t n = 0, at;
	json_t *ref;
	bool core, ns, self;

	if (name == NULL || strlen(name) >= sizeof(buf) || name[0] == '/' ||
	    strstr(name, "//") != NULL) {
		not_provided(missing, mcap, "objectRef");
		return set_str(ev, "requestURI", "/");
	}
	snprintf(uri, sizeof(uri), "/%s", name);
	strcpy(buf, name);
	for (p = strtok_r(buf, "/", &save); p && n < MAX_SEGMENTS;
	    p = strtok_r(NULL, "/", &save))
		seg[n++] = p;
	ns = n >= 5 && strcmp(seg[2], "namespaces") == 0 &&
	    !namespace_itself(seg, n);
	if (n < 3 || p != NULL || (strcmp(seg[2], "namespaces") == 0 && !ns &&
	    !namespace_itself(seg, n))) {
		not_provided(missing, mcap, "objectRef");
		return set_str(ev, "requestURI", uri);
	}
	core = strcmp(seg[0], "core") == 0;
	self = namespace_itself(seg, n) && n >= 4 && strcmp(verb, "create") != 0;
	if (core)
		snprintf(uri, sizeof(uri), "/api/%s/%s", seg[1],
		    name + strlen(seg[0]) + strlen(seg[1]) + 2);
	else
		snprintf(uri, sizeof(uri), "/apis/%s", name);
	if ((ref = json_object()) == NULL)
		return -ENOMEM;
	at = ns ? 4 : 2;
	if ((!core && set_str(ref, "apiGroup", seg[0]) != 0) ||
	    set_str(ref, "apiVersion", seg[1]) != 0 ||
	    ((ns || self) && set_str(ref, "namespace", seg[3]) != 0) ||
	    set_str(ref, "resource", seg[at]) != 0 ||
	    (n > at + 1 && set_str(ref, "name", seg[at + 1]) != 0) ||
	    (n > at + 2 && set_str(ref, "subresource", seg[at + 2]) != 0) ||
	    json_object_set_new(ev, "objectRef", ref) != 0)
		return -ENOMEM;
	return set_str(ev, "requestURI", uri);
}

/* The authorizer's decision: allow when every check was granted. */
static const char *
decision(const json_t *authz)
{
	const json_t *a;
	size_t i;

	if (!json_is_array(authz) || json_array_size(authz) == 0)
		return NULL;
	json_array_foreach(authz, i, a) {
		if (!json_is_true(json_object_get(a, "granted")))
			return "forbid";
	}
	return "allow";
}

static int
add_status(json_t *ev, const json_t *status)
{
	const json_t *code = json_object_get(status, "code");
	long long grpc = json_is_integer(code) ? json_integer_value(code) : 0;
	json_t *rs = json_object();

	if (rs == NULL || json_object_set_new(ev, "responseStatus", rs) != 0)
		return -ENOMEM;
	if (json_object_set_new(rs, "code", json_integer(grpc_to_http(grpc))))
		return -ENOMEM;
	if (grpc != 0 && set_str(rs, "status", "Failure") != 0)
		return -ENOMEM;
	return set_str(rs, "message", str_at(status, "message", NULL));
}

static int
add_user_and_request(json_t *ev, const json_t *pp, char *missing, size_t mcap)
{
	const char *ip = str_at(pp, "requestMetadata", "callerIp");
	const char *who = str_at(pp, "authenticationInfo", "principalEmail");
	json_t *user = json_object(), *ips;

	if (user == NULL || json_object_set_new(ev, "user", user) != 0)
		return -ENOMEM;
	if (who == NULL)
		not_provided(missing, mcap, "user.username");
	if (set_str(user, "username", who) != 0)
		return -ENOMEM;
	not_provided(missing, mcap, "user.groups");
	if (ip != NULL && ((ips = json_array()) == NULL ||
	    json_object_set_new(ev, "sourceIPs", ips) != 0 ||
	    json_array_append_new(ips, json_string(ip)) != 0))
		return -ENOMEM;
	if (ip == NULL)
		not_provided(missing, mcap, "sourceIPs");
	return set_str(ev, "userAgent",
	    str_at(pp, "requestMetadata", "callerSuppliedUserAgent"));
}

static int
add_bodies(json_t *ev, const json_t *pp)
{
	json_t *req = json_object_get(pp, "request");
	json_t *resp = json_object_get(pp, "response");

	if (json_is_object(req) &&
	    json_object_set(ev, "requestObject", req) != 0)
		return -ENOMEM;
	if (json_is_object(resp) &&
	    json_object_set(ev, "responseObject", resp) != 0)
		return -ENOMEM;
	return set_str(ev, "level", json_is_object(req) ||
	    json_is_object(resp) ? "RequestResponse" : "Metadata");
}

static int
add_annotations(json_t *ev, const json_t *pp, const char *missing)
{
	const char *d = decision(json_object_get(pp, "authorizationInfo"));
	json_t *ann = json_object();

	if (ann == NULL || json_object_set_new(ev, "annotations", ann) != 0)
		return -ENOMEM;
	if (set_str(ann, "authorization.k8s.io/decision", d) != 0 ||
	    set_str(ann, PUBSUB_CONVERTED, "gke-logentry") != 0)
		return -ENOMEM;
	return missing[0] ? set_str(ann, PUBSUB_NOT_PROVIDED, missing) : 0;
}

static int
build(json_t *ev, const json_t *entry, const json_t *pp, const char *id,
    const char *method)
{
	const char *verb = strrchr(method, '.') + 1;
	const char *ts = str_at(entry, "timestamp", NULL);
	char missing[256] = "";
	int rc;

	if (set_str(ev, "kind", "Event") || set_str(ev, "apiVersion",
	    "audit.k8s.io/v1") || set_str(ev, "auditID", id) ||
	    set_str(ev, "stage", "ResponseComplete") ||
	    set_str(ev, "verb", verb) || set_str(ev,
	    "requestReceivedTimestamp", ts) ||
	    set_str(ev, "stageTimestamp", ts))
		return -ENOMEM;
	if ((rc = add_resource(ev, str_at(pp, "resourceName", NULL), verb,
	    missing, sizeof(missing))) != 0 ||
	    (rc = add_user_and_request(ev, pp, missing,
	    sizeof(missing))) != 0 ||
	    (rc = add_status(ev, json_object_get(pp, "status"))) != 0 ||
	    (rc = add_bodies(ev, pp)) != 0)
		return rc;
	return add_annotations(ev, pp, missing);
}

int
logentry_to_event(const json_t *entry, json_t **event, const char **reason)
{
	const json_t *pp = json_object_get(entry, "protoPayload");
	const char *id = str_at(entry, "insertId", NULL);
	const char *method = str_at(pp, "methodName", NULL);
	const char *service = str_at(pp, "serviceName", NULL);
	int rc;

	*event = NULL;
	if (id == NULL)
		id = str_at(entry, "operation", "id");
	if (!json_is_object(pp) || service == NULL ||
	    strcmp(service, "k8s.io") != 0 || method == NULL ||
	    strncmp(method, "io.k8s.", 7) != 0 || method[strlen(method) - 1] ==
	    '.') {
		*reason = "LogEntry is not a Kubernetes audit entry "
		    "(protoPayload serviceName k8s.io, methodName io.k8s.*)";
		return -EINVAL;
	}
	if (id == NULL || *id == '\0') {
		*reason = "LogEntry without insertId or operation.id";
		return -EINVAL;
	}
	if ((*event = json_object()) == NULL)
		return -ENOMEM;
	if ((rc = build(*event, entry, pp, id, method)) != 0) {
		json_decref(*event);
		*event = NULL;
	}
	return rc;
}

/* resource.labels.cluster_name, when it is a plausible GKE name. */
static const char *
gke_cluster(const json_t *entry)
{
	const json_t *res = json_object_get(entry, "resource");
	const char *name = str_at(json_object_get(res, "labels"),
	    "cluster_name", NULL);
	size_t n;

	if (name == NULL)
		return NULL;
	n = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-");
	return n > 0 && n <= GKE_NAME_MAX && name[n] == '\0' ? name : NULL;
}

/* One LogEntry's text: its Event, or itself set aside. */
static int
add_entry(struct records *out, const char *text, size_t len)
{
	const char *why = "LogEntry is not JSON";
	json_t *entry, *ev = NULL;
	char *evtext;
	int rc;

	entry = json_loadb(text, len, JSON_ALLOW_NUL, NULL);
	if (entry != NULL) {
		rc = logentry_to_event(entry, &ev, &why);
		if (rc == -ENOMEM) {
			json_decref(entry);
			return rc;
		}
	}
	if (ev == NULL) {
		json_decref(entry);
		return records_add(out, text, len, why, NULL);
	}
	evtext = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	rc = evtext ? records_add(out, evtext, strlen(evtext), NULL,
	    gke_cluster(entry)) : -ENOMEM;
	free(evtext);
	json_decref(entry);
	return rc;
}

int
pubsub_unwrap(const char *body, size_t len, struct records *out,
    char *reason, size_t reasonlen)
{
	const json_t *msg, *data;
	unsigned char *bytes;
	json_error_t err;
	json_t *root;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	root = json_loadb(body, len, JSON_ALLOW_NUL, &err);
	if (root == NULL)
		return records_fail(reason, reasonlen, "Pub/Sub push body is not JSON: "
		    "%s", err.text);
	msg = json_object_get(root, "message");
	if (msg == NULL) {
		/* Unwrapped push: the body is the message's data. */
		json_decref(root);
		rc = add_entry(out, body, len);
		if (rc != 0)
			records_free(out);
		return rc;
	}
	data = json_object_get(msg, "data");
	if (!json_is_string(data)) {
		json_decref(root);
		return records_fail(reason, reasonlen, "Pub/Sub push message without "
		    "string data");
	}
	rc = b64_decode(json_string_value(data), json_string_length(data),
	    &bytes, &n);
	json_decref(root);
	if (rc == -EINVAL)
		return records_fail(reason, reasonlen, "Pub/Sub message data is not "
		    "base64");
	if (rc != 0)
		return rc;
	rc = add_entry(out, (const char *)bytes, n);
	free(bytes);
	if (rc != 0)
		records_free(out);
	return rc;
}
