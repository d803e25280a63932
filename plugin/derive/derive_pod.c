/*
 * derive_pod: rule-ready fields of pod specs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "derive_pod.h"
#include "jsonspan.h"
#include "pick.h"

/*
 * What the pod specs of a body add up to: a body may hold more than one
 * (a decoy pod-spec member beside a workload's template, or the operations
 * of a JSON patch), and none may hide what another says.
 */
struct pod_facts {
	bool privileged, escalation, run_as_root, non_root_false, unmasked;
	bool host_network, host_pid, host_ipc, automount_true, automount_false;
	const char *service_account;	/* the first one named */
	struct strlist privileged_names, caps, host_ports, images, root_names;
	struct strlist host_paths;
};

/* Members that only a pod spec has (a Service's spec has none). */
static const char *const pod_members[] = {
	"containers", "initContainers", "ephemeralContainers", "hostNetwork",
	"hostPID", "hostIPC", "volumes", "serviceAccountName",
	"serviceAccount", "automountServiceAccountToken", "securityContext",
};

/* Is `key` (raw, unescaped) the name of a member only a pod spec has? */
static bool is_pod_member(const char *t, struct jspan key)
{
	for (size_t i = 0; i < sizeof pod_members / sizeof *pod_members; i++)
		if (strlen(pod_members[i]) == key.len &&
		    memcmp(t + key.off, pod_members[i], key.len) == 0)
			return true;
	return false;
}

/* Has the object at `v` a member that only a pod spec has? */
static bool text_is_pod_spec(const char *t, struct jspan v)
{
	struct jspan_member m;
	size_t pos = 0;

	while (jspan_next(t, v, &pos, &m))
		if (m.key_escaped || is_pod_member(t, m.key))
			return true;
	return false;
}

/*
 * Is there a pod spec at the end of `path` (member names, NULL-ended) from
 * the object at `v`?  Every member of a repeated name is followed, since
 * any of them may be the one jansson keeps.
 */
static bool text_pod_spec_at(const char *t, struct jspan v,
    const char *const *path)
{
	struct jspan_member m;
	size_t pos = 0;

	if (v.len == 0 || t[v.off] != '{')
		return false;
	if (*path == NULL)
		return text_is_pod_spec(t, v);
	while (jspan_next(t, v, &pos, &m)) {
		if (m.key_escaped)
			return true;
		if (strlen(*path) == m.key.len &&
		    memcmp(t + m.key.off, *path, m.key.len) == 0 &&
		    text_pod_spec_at(t, m.value, path + 1))
			return true;
	}
	return false;
}

/*
 * What derive_pod reads of a pod spec: keep in step with is_pod_spec (every
 * member of pod_members), containers, container, container_caps,
 * container_ports, host_paths and pod_level.
 */
static const struct jspan_keep caps_keep[] = { { "add", NULL }, { NULL, NULL } };
static const struct jspan_keep container_sc_keep[] = {
	{ "privileged", NULL }, { "allowPrivilegeEscalation", NULL },
	{ "runAsUser", NULL }, { "runAsNonRoot", NULL }, { "procMount", NULL },
	{ "capabilities", caps_keep }, { NULL, NULL },
};
static const struct jspan_keep port_keep[] = {
	{ "hostPort", NULL }, { NULL, NULL },
};
static const struct jspan_keep container_keep[] = {
	{ "name", NULL }, { "image", NULL },
	{ "securityContext", container_sc_keep }, { "ports", port_keep },
	{ NULL, NULL },
};
static const struct jspan_keep host_path_keep[] = {
	{ "path", NULL }, { NULL, NULL },
};
static const struct jspan_keep volume_keep[] = {
	{ "hostPath", host_path_keep }, { NULL, NULL },
};
static const struct jspan_keep pod_sc_keep[] = {
	{ "runAsUser", NULL }, { "runAsNonRoot", NULL }, { NULL, NULL },
};
#define POD_SPEC_KEEP \
	{ "containers", container_keep }, \
	{ "initContainers", container_keep }, \
	{ "ephemeralContainers", container_keep }, \
	{ "hostNetwork", NULL }, { "hostPID", NULL }, { "hostIPC", NULL }, \
	{ "volumes", volume_keep }, { "serviceAccountName", NULL }, \
	{ "serviceAccount", NULL }, { "automountServiceAccountToken", NULL }, \
	{ "securityContext", pod_sc_keep }
static const struct jspan_keep pod_spec_keep[] = {
	POD_SPEC_KEEP, { NULL, NULL },
};
/* Where pod_spec_of looks: spec, spec.template.spec, a CronJob's
 * spec.jobTemplate.spec.template.spec, and a PodTemplate's template.spec. */
static const struct jspan_keep template_keep[] = {
	{ "spec", pod_spec_keep }, { NULL, NULL },
};
static const struct jspan_keep job_spec_keep[] = {
	{ "template", template_keep }, { NULL, NULL },
};
static const struct jspan_keep job_template_keep[] = {
	{ "spec", job_spec_keep }, { NULL, NULL },
};
static const struct jspan_keep spec_keep[] = {
	POD_SPEC_KEEP, { "template", template_keep },
	{ "jobTemplate", job_template_keep }, { NULL, NULL },
};

const struct jspan_keep *derive_pod_keep(const char *key, size_t klen)
{
	if (klen == 4 && memcmp(key, "spec", 4) == 0)
		return spec_keep;
	if (klen == 8 && memcmp(key, "template", 8) == 0)
		return template_keep;
	return NULL;
}

/*
 * Is there a pod spec at the body member `spec` whose text is `v`, or at
 * its template.spec, or at its jobTemplate.spec.template.spec?  One walk
 * of its members answers all three: it is the bulk of a workload's bytes.
 * Keep in step with pod_specs_of.
 */
static bool text_spec_holds_pod(const char *t, struct jspan v)
{
	static const char *const workload[] = { "spec", NULL };
	static const char *const cronjob[] = {
		"spec", "template", "spec", NULL
	};
	struct jspan_member m;
	size_t pos = 0;

	if (v.len == 0 || t[v.off] != '{')
		return false;
	while (jspan_next(t, v, &pos, &m)) {
		if (m.key_escaped || is_pod_member(t, m.key))
			return true;
		if (m.key.len == 8 && memcmp(t + m.key.off, "template", 8) == 0 &&
		    text_pod_spec_at(t, m.value, workload))
			return true;
		if (m.key.len == 11 &&
		    memcmp(t + m.key.off, "jobTemplate", 11) == 0 &&
		    text_pod_spec_at(t, m.value, cronjob))
			return true;
	}
	return false;
}

bool derive_pod_may_read(const char *key, size_t klen, const char *value,
    size_t vlen)
{
	static const char *const podtemplate[] = { "spec", NULL };
	struct jspan v = { 0, vlen };

	if (klen == 4 && memcmp(key, "spec", 4) == 0)
		return text_spec_holds_pod(value, v);
	if (klen == 8 && memcmp(key, "template", 8) == 0)
		return text_pod_spec_at(value, v, podtemplate);
	return false;
}

static bool is_pod_spec(const json_t *spec)
{
	if (!json_is_object(spec))
		return false;
	for (size_t i = 0; i < sizeof pod_members / sizeof pod_members[0]; i++)
		if (json_object_get(spec, pod_members[i]) != NULL)
			return true;
	return false;
}

/*
 * The places of an object where its kind keeps a pod spec: a Pod's spec,
 * the template of a Deployment, DaemonSet, StatefulSet, ReplicaSet, Job or
 * ReplicationController, a CronJob's job template, a PodTemplate's
 * template.  Every one is looked at, whatever the kind says: a member
 * the apiserver drops (a decoy) must not hide the others.
 */
#define POD_SPEC_PLACES 4

static size_t pod_specs_of(const json_t *body,
    const json_t *specs[POD_SPEC_PLACES])
{
	const json_t *spec = jobj(body, "spec");
	const json_t *place[POD_SPEC_PLACES] = {
		spec,
		jobj(jobj(spec, "template"), "spec"),
		jobj(jobj(jobj(jobj(spec, "jobTemplate"), "spec"), "template"),
		    "spec"),
		jobj(jobj(body, "template"), "spec"),
	};
	size_t n = 0;

	for (size_t i = 0; i < POD_SPEC_PLACES; i++)
		if (is_pod_spec(place[i]))
			specs[n++] = place[i];
	return n;
}

/* Does an object, or an operation of a JSON patch, write a pod spec? */
static bool has_pod_spec(const json_t *body)
{
	const json_t *specs[POD_SPEC_PLACES];
	bool found = false;
	json_t *op, *view;
	size_t i;

	if (!json_is_array(body))
		return pod_specs_of(body, specs) > 0;
	json_array_foreach(body, i, op) {
		/* Out of memory: derive_pod records it. */
		if (pick_patch_view(op, &view) != 0)
			return true;
		found = pod_specs_of(view, specs) > 0;
		json_decref(view);
		if (found)
			break;
	}
	return found;
}

/* Kinds by resource, for bodies (patches) that do not name their kind. */
static const char *const kinds[][2] = {
	{ "pods", "Pod" }, { "deployments", "Deployment" },
	{ "daemonsets", "DaemonSet" }, { "statefulsets", "StatefulSet" },
	{ "replicasets", "ReplicaSet" }, { "jobs", "Job" },
	{ "cronjobs", "CronJob" },
	{ "replicationcontrollers", "ReplicationController" },
	{ "podtemplates", "PodTemplate" },
};

static const char *kind_of(const json_t *body, const char *resource)
{
	const char *kind = jstr(body, "kind");

	if (kind != NULL || resource == NULL)
		return kind;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(resource, kinds[i][0]) == 0)
			return kinds[i][1];
	return NULL;
}

static bool is_zero(const json_t *v)
{
	return json_is_number(v) && json_number_value(v) == 0;
}

static void container_ports(struct pod_facts *f, const json_t *c)
{
	size_t i;
	json_t *port;

	json_array_foreach(jarr(c, "ports"), i, port) {
		json_t *hp = jget(port, "hostPort");
		char buf[32];
		int n;

		if (!json_is_integer(hp) || json_integer_value(hp) == 0)
			continue;
		n = snprintf(buf, sizeof buf, "%lld",
		    (long long)json_integer_value(hp));
		strlist_add(&f->host_ports, buf, (size_t)n);
	}
}

static void container_caps(struct pod_facts *f, const json_t *sc)
{
	size_t i;
	json_t *cap;

	json_array_foreach(jarr(jobj(sc, "capabilities"), "add"), i, cap)
		strlist_add_str(&f->caps, json_string_value(cap));
}

/* One container; `pod_user` is the pod-level runAsUser (may be NULL). */
static void container(struct pod_facts *f, const json_t *c,
    const json_t *pod_user)
{
	const json_t *sc = jobj(c, "securityContext");
	const json_t *user = jget(sc, "runAsUser");
	const char *name = jstr(c, "name");

	strlist_add_str(&f->images, jstr(c, "image"));
	if (jtrue(sc, "privileged")) {
		f->privileged = true;
		strlist_add_str(&f->privileged_names, name);
	}
	if (jtrue(sc, "allowPrivilegeEscalation"))
		f->escalation = true;
	if (is_zero(user))
		f->run_as_root = true;
	/* The container's own runAsUser overrides the pod's. */
	if (is_zero(user) || (user == NULL && is_zero(pod_user)))
		strlist_add_str(&f->root_names, name);
	if (jfalse(sc, "runAsNonRoot"))
		f->non_root_false = true;
	if (jstreq(sc, "procMount", "Unmasked"))
		f->unmasked = true;
	container_caps(f, sc);
	container_ports(f, c);
}

static void containers(struct pod_facts *f, const json_t *spec)
{
	static const char *const lists[] = {
		"initContainers", "containers", "ephemeralContainers",
	};
	const json_t *pod_user = jget(jobj(spec, "securityContext"), "runAsUser");

	for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
		size_t i;
		json_t *c;

		json_array_foreach(jarr(spec, lists[l]), i, c)
			container(f, c, pod_user);
	}
}

static void host_paths(struct pod_facts *f, const json_t *spec)
{
	size_t i;
	json_t *vol;

	json_array_foreach(jarr(spec, "volumes"), i, vol)
		strlist_add_str(&f->host_paths,
		    jstr(jobj(vol, "hostPath"), "path"));
}

static void pod_level(struct pod_facts *f, const json_t *spec)
{
	const json_t *psc = jobj(spec, "securityContext");
	const char *sa = jstr(spec, "serviceAccountName");
	const json_t *automount = jget(spec, "automountServiceAccountToken");

	f->host_network |= jtrue(spec, "hostNetwork");
	f->host_pid |= jtrue(spec, "hostPID");
	f->host_ipc |= jtrue(spec, "hostIPC");
	host_paths(f, spec);
	if (is_zero(jget(psc, "runAsUser")))
		f->run_as_root = true;
	if (jfalse(psc, "runAsNonRoot"))
		f->non_root_false = true;
	if (f->service_account == NULL)
		f->service_account = sa ? sa : jstr(spec, "serviceAccount");
	f->automount_true |= json_is_true(automount);
	f->automount_false |= json_is_false(automount);
}

static void facts_init(struct pod_facts *f)
{
	memset(f, 0, sizeof *f);
	strlist_init(&f->privileged_names);
	strlist_init(&f->caps);
	strlist_init(&f->host_ports);
	strlist_init(&f->images);
	strlist_init(&f->root_names);
	strlist_init(&f->host_paths);
}

/* Add what pod spec `spec` says to *f. */
static void facts_add(struct pod_facts *f, const json_t *spec)
{
	containers(f, spec);
	pod_level(f, spec);
}

/* Add every pod spec of object `body` to *f. */
static void facts_add_body(struct pod_facts *f, const json_t *body)
{
	const json_t *specs[POD_SPEC_PLACES];
	size_t n = pod_specs_of(body, specs);

	for (size_t i = 0; i < n; i++)
		facts_add(f, specs[i]);
}

/* The fields, in the order they always had; then *f is released. */
static void facts_put(struct k8sobj *o, struct pod_facts *f)
{
	if (f->host_network)
		k8sobj_bool(o, "host_network", true);
	if (f->host_pid)
		k8sobj_bool(o, "host_pid", true);
	if (f->host_ipc)
		k8sobj_bool(o, "host_ipc", true);
	k8sobj_list(o, "host_paths", &f->host_paths);
	k8sobj_str(o, "service_account", f->service_account);
	if (f->automount_true || f->automount_false)
		k8sobj_bool(o, "automount_token", f->automount_true);
	if (f->privileged)
		k8sobj_bool(o, "privileged", true);
	k8sobj_list(o, "privileged_containers", &f->privileged_names);
	if (f->escalation)
		k8sobj_bool(o, "allow_privilege_escalation", true);
	k8sobj_list(o, "capabilities_added", &f->caps);
	k8sobj_list(o, "host_ports", &f->host_ports);
	if (f->run_as_root)
		k8sobj_bool(o, "run_as_root", true);
	k8sobj_list(o, "run_as_root_containers", &f->root_names);
	if (f->non_root_false)
		k8sobj_bool(o, "run_as_non_root", false);
	if (f->unmasked)
		k8sobj_bool(o, "proc_mount_unmasked", true);
	k8sobj_list(o, "images", &f->images);
	strlist_free(&f->privileged_names);
	strlist_free(&f->caps);
	strlist_free(&f->host_ports);
	strlist_free(&f->images);
	strlist_free(&f->root_names);
	strlist_free(&f->host_paths);
}

/* Add what each operation of JSON patch `ops` writes to *f. */
static void facts_add_patch(struct k8sobj *o, struct pod_facts *f,
    const json_t *ops)
{
	json_t *op, *view;
	size_t i;

	json_array_foreach(ops, i, op) {
		if (pick_patch_view(op, &view) != 0) {
			o->err = -ENOMEM;
			return;
		}
		/* Strings in *f point into the op's values, not the view's
		 * own members: the view can go now. */
		facts_add_body(f, view);
		json_decref(view);
	}
}

void derive_pod(struct k8sobj *o, const struct head *h, const json_t *event)
{
	const json_t *body = pick_body(event, has_pod_spec);
	struct pod_facts f;

	if (body == NULL)
		return;
	k8sobj_str(o, "workload_kind", kind_of(body, h->resource));
	k8sobj_str(o, "spec_source", pick_source(event, body));
	facts_init(&f);
	if (json_is_array(body))
		facts_add_patch(o, &f, body);
	else
		facts_add_body(&f, body);
	facts_put(o, &f);
}
