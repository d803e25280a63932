/*
 * derive: the rule-ready `k8s` object (docs/fields.md).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "derive.h"
#include "derive_configmap.h"
#include "derive_exec.h"
#include "derive_pod.h"
#include "derive_rbac.h"
#include "derive_service.h"
#include "head.h"
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
bool derive_reads_member(const struct head *h, const char *key, size_t len,
    const char *value, size_t vlen)
{
	static const char *const always[] = {
		"kind", "rules", "roleRef", "subjects", "data", "binaryData",
	};

	if (key_is(key, len, "spec"))
		return derive_pod_may_read(key, len, value, vlen) ||
		    derive_service_may_read(h);
	if (key_is(key, len, "template"))
		return derive_pod_may_read(key, len, value, vlen);
	for (size_t i = 0; i < sizeof always / sizeof *always; i++)
		if (key_is(key, len, always[i]))
			return true;
	return false;
}

const struct jspan_keep *derive_keep(const struct head *h, const char *key,
    size_t len)
{
	/* A service's spec is read whole: derive_service reads it too. */
	if (key_is(key, len, "spec") && derive_service_may_read(h))
		return NULL;
	return derive_pod_keep(key, len);
}

const json_t *derive_pick(const json_t *event, bool (*has)(const json_t *))
{
	const json_t *req = jobj(event, "requestObject");
	const json_t *resp = jobj(event, "responseObject");

	if (resp != NULL && has(resp))
		return resp;
	if (req != NULL && has(req))
		return req;
	return NULL;
}

const char *derive_source(const json_t *event, const json_t *body)
{
	if (body == NULL)
		return NULL;
	return body == jobj(event, "responseObject") ? "response" : "request";
}

/* k8s.user_kind, and the service account's namespace and name. */
static void who(struct k8sobj *o, const struct head *h)
{
	const char *name = h->username;
	const char *kind = "user";

	k8sobj_str(o, "user", name ? name : "-");
	if (name == NULL)
		name = "";
	if (strcmp(name, "system:anonymous") == 0 || h->unauthenticated) {
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
	k8sobj_str(o, "impersonated_user", h->impersonated);
}

static void annotations(struct k8sobj *o, const struct head *h)
{
	k8sobj_str(o, "decision", h->decision);
	k8sobj_str(o, "reason", h->reason);
	k8sobj_str(o, "psa_violations", h->psa_violations);
	k8sobj_str(o, "psa_enforce", h->psa_enforce);
	if (h->truncated)
		k8sobj_bool(o, "truncated", true);
}

/* Text built from parts, each cut as snprintf's "%.*s" would cut it. */
struct line {
	char *buf;
	size_t cap, len;	/* never more than cap bytes; no NUL */
};

/* Append at most `max` bytes of C string `s`, as far as there is room. */
static void put(struct line *l, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n > l->cap - l->len)
		n = l->cap - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/*
 * k8s.resource into buf: resource[/subresource], else the path of a
 * non-resource request, else "-".
 */
static void resource_text(const struct head *h, char *buf, size_t cap)
{
	const char *uri = h->request_uri;
	char tmp[K8SOBJ_MAX_TEXT];
	struct line l = { tmp, sizeof tmp, 0 };

	if (h->resource != NULL && h->resource[0] != '\0') {
		put(&l, h->resource, SIZE_MAX);
		if (h->subresource != NULL) {
			put(&l, "/", 1);
			put(&l, h->subresource, SIZE_MAX);
		}
	} else if (uri != NULL && uri[0] != '\0') {
		put(&l, uri, strcspn(uri, "?"));
	} else {
		put(&l, "-", 1);
	}
	text_bound(tmp, l.len, buf, cap);
}

static void summary(struct k8sobj *o, const struct head *h, const char *res)
{
	const char *user = h->username, *verb = h->verb;
	const char *ns = h->namespace, *name = h->name;
	char codebuf[32] = "-";
	char buf[4 * K8SOBJ_MAX_TEXT];
	struct line l = { buf, sizeof buf, 0 };

	if (h->has_code)
		snprintf(codebuf, sizeof codebuf, "%lld", h->code);
	/* Each part is bounded so that the user and the code always show. */
	put(&l, user && *user ? user : "-", 256);
	put(&l, " ", 1);
	put(&l, verb && *verb ? verb : "-", 64);
	put(&l, " ", 1);
	put(&l, res, 512);
	put(&l, " ", 1);
	put(&l, ns && *ns ? ns : "-", 253);
	put(&l, "/", 1);
	put(&l, name && *name ? name : "-", 253);
	put(&l, " -> ", 4);
	put(&l, codebuf, sizeof codebuf);
	k8sobj_text(o, "summary", buf, l.len);
}

static void derive_into(struct k8sobj *o, const struct head *h,
    const json_t *event, const char *cluster, const char *source)
{
	char res[K8SOBJ_MAX_TEXT + 1];

	resource_text(h, res, sizeof res);
	k8sobj_str(o, "cluster", cluster);
	k8sobj_str(o, "source", source);
	summary(o, h, res);
	who(o, h);
	k8sobj_str(o, "resource", res);
	/* Only the last address was seen by the apiserver itself. */
	k8sobj_str(o, "source_ip", h->source_ip);
	annotations(o, h);
	derive_pod(o, h, event);
	derive_rbac(o, h, event);
	derive_exec(o, h);
	derive_service(o, h, event);
	derive_configmap(o, h, event);
}

int derive_k8s(const json_t *event, const char *cluster, const char *source,
    json_t **out)
{
	struct k8sobj o;
	struct head h;

	head_from_json(event, &h);
	k8sobj_init(&o);
	derive_into(&o, &h, event, cluster, source);
	return k8sobj_finish(&o, out);
}

int derive_k8s_text(const struct head *h, const json_t *bodies,
    const char *cluster, const char *source, struct k8stext *out)
{
	struct k8sobj o;

	k8sobj_init(&o);
	derive_into(&o, h, bodies, cluster, source);
	return k8sobj_finish_text(&o, out);
}
