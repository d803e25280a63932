/*
 * derive: the rule-ready `k8s` object (docs/fields.md).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "derive.h"
#include "derive_configmap.h"
#include "derive_exec.h"
#include "derive_pod.h"
#include "derive_rbac.h"
#include "derive_service.h"
#include "k8sobj.h"

#define SA_PREFIX "system:serviceaccount:"

static bool key_is(const char *key, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(key, name, len) == 0;
}

/*
 * derive_pod reads spec (and a PodTemplate's template) when they hold a
 * pod spec, derive_service the spec of services, derive_rbac rules,
 * roleRef and subjects, derive_configmap data and binaryData; several look
 * at kind.  Keep in step with them.
 */
bool derive_reads_member(const json_t *event, const char *key, size_t len,
    const char *value, size_t vlen)
{
	static const char *const always[] = {
		"kind", "rules", "roleRef", "subjects", "data", "binaryData",
	};

	if (key_is(key, len, "spec"))
		return derive_pod_may_read(key, len, value, vlen) ||
		    derive_service_may_read(event);
	if (key_is(key, len, "template"))
		return derive_pod_may_read(key, len, value, vlen);
	for (size_t i = 0; i < sizeof always / sizeof *always; i++)
		if (key_is(key, len, always[i]))
			return true;
	return false;
}

const json_t *derive_pick(const json_t *event, bool (*has)(const json_t *))
{
	const json_t *req = jobj(event, "requestObject");
	const json_t *resp = jobj(event, "responseObject");

	if (req != NULL && has(req))
		return req;
	if (resp != NULL && has(resp))
		return resp;
	return NULL;
}

const char *derive_resource(const json_t *event)
{
	return jstr(jobj(event, "objectRef"), "resource");
}

const char *derive_subresource(const json_t *event)
{
	const char *sub = jstr(jobj(event, "objectRef"), "subresource");

	return sub != NULL && sub[0] != '\0' ? sub : NULL;
}

static bool in_group(const json_t *user, const char *group)
{
	size_t i;
	json_t *g;

	json_array_foreach(jarr(user, "groups"), i, g)
		if (json_is_string(g) && strcmp(json_string_value(g), group) == 0)
			return true;
	return false;
}

/* k8s.user_kind, and the service account's namespace and name. */
static void who(struct k8sobj *o, const json_t *event)
{
	const json_t *user = jobj(event, "user");
	const char *name = jstr(user, "username");
	const char *kind = "user";

	k8sobj_str(o, "user", name ? name : "-");
	if (name == NULL)
		name = "";
	if (strcmp(name, "system:anonymous") == 0 ||
	    in_group(user, "system:unauthenticated")) {
		kind = "anonymous";
	} else if (strncmp(name, SA_PREFIX, strlen(SA_PREFIX)) == 0) {
		const char *ns = name + strlen(SA_PREFIX);
		const char *colon = strchr(ns, ':');

		kind = "serviceaccount";
		if (colon != NULL) {
			k8sobj_text(o, "sa_namespace", ns, (size_t)(colon - ns));
			k8sobj_str(o, "sa_name", colon + 1);
		}
	} else if (strncmp(name, "system:node:", 12) == 0) {
		kind = "node";
	} else if (strncmp(name, "system:", 7) == 0) {
		kind = "system";
	}
	k8sobj_str(o, "user_kind", kind);
	k8sobj_str(o, "impersonated_user",
	    jstr(jobj(event, "impersonatedUser"), "username"));
}

static void source_ip(struct k8sobj *o, const json_t *event)
{
	const json_t *ips = jarr(event, "sourceIPs");
	size_t n = json_array_size(ips);

	/* Only the last address was seen by the apiserver itself. */
	if (n > 0)
		k8sobj_str(o, "source_ip", json_string_value(json_array_get(ips, n - 1)));
}

static void annotations(struct k8sobj *o, const json_t *event)
{
	const json_t *a = jobj(event, "annotations");

	k8sobj_str(o, "decision", jstr(a, "authorization.k8s.io/decision"));
	k8sobj_str(o, "reason", jstr(a, "authorization.k8s.io/reason"));
	k8sobj_str(o, "psa_violations",
	    jstr(a, "pod-security.kubernetes.io/audit-violations"));
	k8sobj_str(o, "psa_enforce",
	    jstr(a, "pod-security.kubernetes.io/enforce-policy"));
	if (jstreq(a, "audit.k8s.io/truncated", "true"))
		k8sobj_bool(o, "truncated", true);
}

/*
 * k8s.resource into buf: resource[/subresource], else the path of a
 * non-resource request, else "-".
 */
static void resource_text(const json_t *event, char *buf, size_t cap)
{
	const char *res = derive_resource(event);
	const char *sub = derive_subresource(event);
	const char *uri = jstr(event, "requestURI");
	char tmp[K8SOBJ_MAX_TEXT + 1];
	int n;

	if (res != NULL && res[0] != '\0')
		n = snprintf(tmp, sizeof tmp, "%s%s%s", res, sub ? "/" : "",
		    sub ? sub : "");
	else if (uri != NULL && uri[0] != '\0')
		n = snprintf(tmp, sizeof tmp, "%.*s",
		    (int)strcspn(uri, "?"), uri);
	else
		n = snprintf(tmp, sizeof tmp, "-");
	if (n < 0)
		n = 0;
	text_bound(tmp, strnlen(tmp, sizeof tmp), buf, cap);
}

static void summary(struct k8sobj *o, const json_t *event, const char *res)
{
	const json_t *ref = jobj(event, "objectRef");
	const json_t *code = jget(jobj(event, "responseStatus"), "code");
	const char *user = jstr(jobj(event, "user"), "username");
	const char *verb = jstr(event, "verb");
	const char *ns = jstr(ref, "namespace"), *name = jstr(ref, "name");
	char codebuf[32] = "-";
	char buf[4 * K8SOBJ_MAX_TEXT];
	int n;

	if (json_is_integer(code))
		snprintf(codebuf, sizeof codebuf, "%lld",
		    (long long)json_integer_value(code));
	/* Each part is bounded so that the user and the code always show. */
	n = snprintf(buf, sizeof buf, "%.256s %.64s %.512s %.253s/%.253s -> %s",
	    user && *user ? user : "-", verb && *verb ? verb : "-", res,
	    ns && *ns ? ns : "-", name && *name ? name : "-", codebuf);
	if (n > 0)
		k8sobj_text(o, "summary", buf, strnlen(buf, sizeof buf));
}

static void derive_into(struct k8sobj *o, const json_t *event,
    const char *cluster)
{
	char res[K8SOBJ_MAX_TEXT + 1];

	resource_text(event, res, sizeof res);
	k8sobj_str(o, "cluster", cluster);
	summary(o, event, res);
	who(o, event);
	k8sobj_str(o, "resource", res);
	source_ip(o, event);
	annotations(o, event);
	derive_pod(o, event);
	derive_rbac(o, event);
	derive_exec(o, event);
	derive_service(o, event);
	derive_configmap(o, event);
}

int derive_k8s(const json_t *event, const char *cluster, json_t **out)
{
	struct k8sobj o;

	k8sobj_init(&o);
	derive_into(&o, event, cluster);
	return k8sobj_finish(&o, out);
}

int derive_k8s_text(const json_t *event, const char *cluster,
    struct k8stext *out)
{
	struct k8sobj o;

	k8sobj_init(&o);
	derive_into(&o, event, cluster);
	return k8sobj_finish_text(&o, out);
}
