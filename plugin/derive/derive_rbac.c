/*
 * derive_rbac: rule-ready fields of RBAC roles and bindings, and the
 * principal: whose rights an event grants or uses.
 */
#include <stdio.h>
#include <string.h>

#include "derive_rbac.h"
#include "pick.h"

#define SA_PREFIX "system:serviceaccount:"

static const char *const write_verbs[] = {
	"create", "update", "patch", "delete", "deletecollection",
};

static const char *const sensitive_verbs[] = {
	"escalate", "bind", "impersonate",
};

/* Sensitive resources with the API group that serves them. */
static const struct {
	const char *resource, *group;
} sensitive_resources[] = {
	{ "pods/exec", "" }, { "pods/attach", "" },
	{ "pods/portforward", "" }, { "secrets", "" }, { "nodes/proxy", "" },
	{ "serviceaccounts/token", "" },
	{ "certificatesigningrequests/approval", "certificates.k8s.io" },
};

struct rbac_facts {
	bool wildcard_verbs, wildcard_resources, write_verbs;
	struct strlist verbs, resources;
};

static bool is_rbac_resource(const char *r)
{
	return r != NULL && (strcmp(r, "roles") == 0 ||
	    strcmp(r, "clusterroles") == 0 || strcmp(r, "rolebindings") == 0 ||
	    strcmp(r, "clusterrolebindings") == 0);
}

static bool has_rbac(const json_t *body)
{
	return jarr(body, "rules") != NULL || jobj(body, "roleRef") != NULL ||
	    jarr(body, "subjects") != NULL;
}

static bool array_has(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

/* Does RBAC's resource pattern `pat` match `res` ("pods/exec")? */
static bool resource_matches(const char *pat, const char *res)
{
	const char *slash = strchr(res, '/');

	if (strcmp(pat, "*") == 0 || strcmp(pat, res) == 0)
		return true;
	/* "*\/exec" matches the exec subresource of any resource. */
	return slash != NULL && pat[0] == '*' && pat[1] == '/' &&
	    strcmp(pat + 1, slash) == 0;
}

/* A rule without apiGroups is treated as matching (old or partial body). */
static bool group_matches(const json_t *groups, const char *group)
{
	return groups == NULL || array_has(groups, "*") ||
	    array_has(groups, group);
}

static void rule_verbs(struct rbac_facts *f, const json_t *verbs)
{
	size_t i;
	json_t *v;

	json_array_foreach(verbs, i, v) {
		const char *verb = json_string_value(v);
		bool all = verb != NULL && strcmp(verb, "*") == 0;

		if (verb == NULL)
			continue;
		if (all)
			f->wildcard_verbs = f->write_verbs = true;
		for (size_t w = 0; w < sizeof write_verbs / sizeof *write_verbs; w++)
			if (strcmp(verb, write_verbs[w]) == 0)
				f->write_verbs = true;
		for (size_t s = 0; s < sizeof sensitive_verbs / sizeof *sensitive_verbs; s++)
			if (all || strcmp(verb, sensitive_verbs[s]) == 0)
				strlist_add_str(&f->verbs, sensitive_verbs[s]);
	}
}

static void rule_resources(struct rbac_facts *f, const json_t *rule)
{
	const json_t *groups = jarr(rule, "apiGroups");
	size_t i;
	json_t *v;

	json_array_foreach(jarr(rule, "resources"), i, v) {
		const char *pat = json_string_value(v);

		if (pat == NULL)
			continue;
		if (strcmp(pat, "*") == 0)
			f->wildcard_resources = true;
		for (size_t s = 0; s < sizeof sensitive_resources /
		    sizeof *sensitive_resources; s++)
			if (resource_matches(pat, sensitive_resources[s].resource) &&
			    group_matches(groups, sensitive_resources[s].group))
				strlist_add_str(&f->resources,
				    sensitive_resources[s].resource);
	}
}

static void rules(struct k8sobj *o, const json_t *body)
{
	struct rbac_facts f;
	size_t i;
	json_t *rule;

	memset(&f, 0, sizeof f);
	strlist_init(&f.verbs);
	strlist_init(&f.resources);
	json_array_foreach(jarr(body, "rules"), i, rule) {
		const json_t *verbs = jarr(rule, "verbs");

		/* A rule without verbs grants nothing. */
		if (json_array_size(verbs) == 0)
			continue;
		rule_verbs(&f, verbs);
		rule_resources(&f, rule);
	}
	if (f.wildcard_verbs)
		k8sobj_bool(o, "rbac_wildcard_verbs", true);
	if (f.wildcard_resources)
		k8sobj_bool(o, "rbac_wildcard_resources", true);
	if (f.write_verbs)
		k8sobj_bool(o, "rbac_write_verbs", true);
	k8sobj_list(o, "rbac_sensitive_verbs", &f.verbs);
	k8sobj_list(o, "rbac_sensitive_resources", &f.resources);
	strlist_free(&f.verbs);
	strlist_free(&f.resources);
}

static void subjects(struct k8sobj *o, const json_t *body)
{
	struct strlist list;
	size_t i;
	json_t *s;

	strlist_init(&list);
	json_array_foreach(jarr(body, "subjects"), i, s) {
		const char *kind = jstr(s, "kind"), *name = jstr(s, "name");
		const char *ns = jstr(s, "namespace");
		char buf[K8SOBJ_MAX_TEXT];
		int n;

		if (name == NULL)
			continue;
		if (ns != NULL && ns[0] != '\0')
			n = snprintf(buf, sizeof buf, "%s:%s/%s",
			    kind ? kind : "-", ns, name);
		else
			n = snprintf(buf, sizeof buf, "%s:%s",
			    kind ? kind : "-", name);
		if (n > 0)
			strlist_add(&list, buf, strnlen(buf, sizeof buf));
	}
	k8sobj_list(o, "subjects", &list);
	strlist_free(&list);
}

static bool is(const char *s, const char *want)
{
	return s != NULL && strcmp(s, want) == 0;
}

static bool has_subjects(const json_t *body)
{
	return jarr(body, "subjects") != NULL;
}

/* "system:serviceaccount:NS:NAME" into buf; false when it does not fit. */
static bool sa_username(char *buf, size_t cap, const char *ns,
    const char *name)
{
	int n;

	if (ns == NULL || name == NULL || ns[0] == '\0' || name[0] == '\0')
		return false;
	n = snprintf(buf, cap, SA_PREFIX "%s:%s", ns, name);
	return n > 0 && (size_t)n < cap;
}

/*
 * The username the first User or ServiceAccount subject of a binding
 * authenticates as (a ServiceAccount without a namespace is in the
 * binding's), into buf.  Groups have no single username: skipped.
 */
static bool binding_grantee(const struct head *h, const json_t *body,
    char *buf, size_t cap)
{
	size_t i;
	json_t *s;

	json_array_foreach(jarr(body, "subjects"), i, s) {
		const char *kind = jstr(s, "kind"), *name = jstr(s, "name");
		const char *ns = jstr(s, "namespace");

		if (name == NULL || name[0] == '\0')
			continue;
		if (is(kind, "ServiceAccount"))
			return sa_username(buf, cap,
			    ns != NULL && ns[0] != '\0' ? ns : h->namespace, name);
		if (is(kind, "User")) {
			int n = snprintf(buf, cap, "%s", name);

			return n > 0 && (size_t)n < cap;
		}
	}
	return false;
}

/*
 * k8s.principal: the identity whose rights the event is about, so that a
 * rule can follow a grant to its use with one <same_field>: the grantee of
 * a binding write, the service account of a TokenRequest, else the
 * identity the request runs as (the impersonated user, else the user).
 * k8s.sa_outside_namespace: a service account's request aims outside its
 * own namespace (another one, or none: cluster-scoped or all namespaces).
 */
static void principal(struct k8sobj *o, const struct head *h,
    const json_t *event)
{
	const char *user = h->username;
	char buf[K8SOBJ_MAX_TEXT];

	/* A grant names its grantee or nobody: never the granting user. */
	if (is(h->resource, "rolebindings") ||
	    is(h->resource, "clusterrolebindings")) {
		if (binding_grantee(h, pick_body(event, has_subjects), buf,
		    sizeof buf))
			k8sobj_str(o, "principal", buf);
	} else if (is(h->resource, "serviceaccounts") &&
	    is(h->subresource, "token") && is(h->verb, "create")) {
		if (sa_username(buf, sizeof buf, h->namespace, h->name))
			k8sobj_str(o, "principal", buf);
	} else {
		k8sobj_str(o, "principal", h->impersonated != NULL &&
		    h->impersonated[0] != '\0' ? h->impersonated : user);
	}
	if (user != NULL && strncmp(user, SA_PREFIX, strlen(SA_PREFIX)) == 0) {
		const char *ns = user + strlen(SA_PREFIX);
		size_t len = strcspn(ns, ":");

		if (ns[len] == ':' && (h->namespace == NULL ||
		    strlen(h->namespace) != len ||
		    memcmp(h->namespace, ns, len) != 0))
			k8sobj_bool(o, "sa_outside_namespace", true);
	}
}

void derive_rbac(struct k8sobj *o, const struct head *h,
    const json_t *event)
{
	const json_t *body;
	const char *kind;

	principal(o, h, event);
	body = pick_body(event, has_rbac);
	if (body == NULL)
		return;
	kind = jstr(body, "kind");
	if (!is_rbac_resource(h->resource) && (kind == NULL ||
	    strstr(kind, "Role") == NULL))
		return;
	k8sobj_str(o, "role_ref_kind", jstr(jobj(body, "roleRef"), "kind"));
	k8sobj_str(o, "role_ref_name", jstr(jobj(body, "roleRef"), "name"));
	subjects(o, body);
	rules(o, body);
}
