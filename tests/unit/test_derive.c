/*
 * test_derive: the rule-ready `k8s` fields, over the Falco/CrowdSec scenario
 * files of the corpus (positive and negative) and over small synthetic
 * events for what the corpus lacks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "cred.h"
#include "derive.h"
#include "derive_exec.h"
#include "derive_pod.h"
#include "k8sobj.h"
#include "tap.h"

/*
 * One expectation: in event `index` of corpus `file`, k8s.`field` is
 * "=text" (string equal), "~text" (string contains), "true"/"false"
 * (boolean), or "!" (absent).
 */
struct expect {
	const char *file;
	size_t index;
	const char *field, *want;
};

static const struct expect scenarios[] = {
	/* privileged pods, and the unprivileged negative */
	{ "falco-create_nginx_pod_privileged.json", 0, "privileged", "true" },
	{ "falco-create_nginx_pod_privileged.json", 0, "privileged_containers", "=nginx" },
	{ "falco-create_nginx_pod_privileged_2nd_container.json", 0, "privileged", "true" },
	{ "falco-create_nginx_pod_privileged_2nd_container.json", 0, "privileged_containers", "=mysql" },
	{ "falco-create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json", 0, "privileged", "true" },
	{ "falco-psp-privileged.json", 0, "privileged", "true" },
	{ "crowdsec-priv-pod.jsonl", 0, "privileged", "true" },
	{ "crowdsec-priv-pod.jsonl", 0, "privileged_containers", "=centos" },
	{ "falco-create_nginx_pod_unprivileged.json", 0, "privileged", "!" },
	{ "falco-create_nginx_pod_unprivileged.json", 0, "privileged_containers", "!" },
	{ "falco-create_nginx_pod_unprivileged.json", 0, "workload_kind", "=Pod" },
	/* sensitive mounts, and the non-sensitive negative */
	{ "falco-create_nginx_pod_sensitive_mount.json", 0, "host_paths", "=/etc" },
	{ "falco-create_nginx_pod_sensitive_mount_2nd_container.json", 0, "host_paths", "=/etc" },
	{ "falco-psp-mount_etc_using_host_path.json", 0, "host_paths", "=/etc" },
	{ "falco-create_nginx_pod_unsensitive_mount.json", 0, "host_paths", "=/usr/local" },
	{ "falco-create_nginx_pod_unprivileged.json", 0, "host_paths", "!" },
	/* host namespaces and ports */
	{ "falco-create_nginx_pod_hostnetwork.json", 0, "host_network", "true" },
	{ "falco-create_nginx_pod_nohostnetwork.json", 0, "host_network", "!" },
	{ "falco-psp-host_network.json", 0, "host_network", "true" },
	{ "falco-psp-host_pid.json", 0, "host_pid", "true" },
	{ "falco-psp-host_pid.json", 0, "host_ipc", "!" },
	{ "falco-psp-host_ipc.json", 0, "host_ipc", "true" },
	{ "falco-psp-host_network_ports.json", 0, "host_ports", "~" },
	{ "falco-psp-host_network.json", 0, "host_ports", "!" },
	/* security contexts */
	{ "falco-psp-privilege_escalation.json", 0, "allow_privilege_escalation", "true" },
	{ "falco-psp-privileged.json", 0, "allow_privilege_escalation", "!" },
	{ "falco-psp-proc_mount_type_unmasked.json", 0, "proc_mount_unmasked", "true" },
	{ "falco-psp-proc_mount_type_default.json", 0, "proc_mount_unmasked", "!" },
	{ "falco-psp-capability_add_sys_nice.json", 0, "capabilities_added", "=SYS_NICE" },
	{ "falco-psp-capability_add_sys_time.json", 0, "capabilities_added", "=SYS_TIME" },
	{ "falco-psp-privileged.json", 0, "capabilities_added", "!" },
	{ "falco-psp-run_as_user_0_container.json", 0, "run_as_root", "true" },
	{ "falco-psp-run_as_user_0_container.json", 0, "run_as_root_containers", "=nginx1" },
	{ "falco-psp-run_as_user_0_sec_ctx.json", 0, "run_as_root", "true" },
	{ "falco-psp-run_as_user_1000_sec_ctx_0_container.json", 0, "run_as_root_containers", "=nginx1" },
	/* pod-level 0 overridden by the container: root at pod level only */
	{ "falco-psp-run_as_user_0_sec_ctx_1000_container.json", 0, "run_as_root", "true" },
	{ "falco-psp-run_as_user_0_sec_ctx_1000_container.json", 0, "run_as_root_containers", "!" },
	{ "falco-psp-run_as_user_1000_container.json", 0, "run_as_root", "!" },
	{ "falco-psp-run_as_user_30_sec_ctx.json", 0, "run_as_root", "!" },
	{ "falco-create_nginx_pod_unsensitive_mount.json", 0, "service_account", "=default" },
	{ "falco-create_deployment.json", 0, "workload_kind", "=Deployment" },
	{ "falco-create_deployment.json", 0, "images", "=nginx" },
	{ "falco-create_nginx_pod_privileged_2nd_container.json", 0, "images", "=nginx,mysql:latest" },
	/* RBAC */
	{ "falco-attach_cluster_admin_role.json", 0, "role_ref_name", "=cluster-admin" },
	{ "falco-attach_cluster_admin_role.json", 0, "role_ref_kind", "=ClusterRole" },
	{ "falco-attach_cluster_admin_role.json", 0, "subjects", "=User:minikube" },
	{ "falco-create_clusterrolebinding.json", 0, "role_ref_name", "=system:basic-user" },
	{ "falco-create_cluster_role_wildcard_verbs.json", 0, "rbac_wildcard_verbs", "true" },
	{ "falco-create_cluster_role_wildcard_verbs.json", 0, "rbac_sensitive_verbs", "=escalate,bind,impersonate" },
	{ "falco-create_cluster_role_wildcard_resources.json", 0, "rbac_wildcard_resources", "true" },
	{ "falco-create_cluster_role_wildcard_resources.json", 0, "rbac_sensitive_resources", "~secrets" },
	{ "falco-create_cluster_role_write_privileges.json", 0, "rbac_write_verbs", "true" },
	{ "falco-create_cluster_role_pod_exec.json", 0, "rbac_sensitive_resources", "=pods/exec" },
	{ "falco-create_clusterrole.json", 0, "rbac_wildcard_verbs", "!" },
	{ "falco-create_clusterrole.json", 0, "rbac_wildcard_resources", "!" },
	{ "falco-create_clusterrole.json", 0, "rbac_write_verbs", "!" },
	{ "falco-create_clusterrole.json", 0, "rbac_sensitive_resources", "!" },
	/* exec / attach */
	{ "falco-exec_pod.json", 0, "command", "=bash" },
	{ "falco-exec_pod.json", 0, "container", "=nginx1" },
	{ "crowdsec-pod-exec.jsonl", 0, "command", "=/bin/bash" },
	{ "clo-openshift-apiaudit-mixed-100.jsonl", 89, "command", "=sh -c cat /var/log/kube-apiserver/audit.log | tail -n 100" },
	{ "clo-openshift-apiaudit-mixed-100.jsonl", 89, "resource", "=pods/exec" },
	{ "falco-attach_pod.json", 0, "container", "=nginx1" },
	{ "falco-attach_pod.json", 0, "command", "!" },
	/* services */
	{ "falco-create_nginx_service_nodeport.json", 0, "service_type", "=NodePort" },
	{ "falco-create_nginx_service_nodeport.json", 0, "node_ports", "=30080" },
	{ "falco-create_nginx_service_nonodeport.json", 0, "service_type", "=ClusterIP" },
	{ "falco-create_nginx_service_nonodeport.json", 0, "node_ports", "!" },
	/* configmaps */
	{ "falco-create_configmap_sensitive_values.jsonl", 0, "credential_value_keys", "=access.properties" },
	{ "falco-create_configmap_sensitive_values.jsonl", 3, "credential_value_keys", "=access.properties" },
	{ "falco-create_configmap_sensitive_values.jsonl", 5, "credential_value_keys", "=access.properties" },
	{ "falco-create_configmap_sensitive_values.jsonl", 0, "credential_keys", "!" },
	{ "falco-create_configmap.json", 0, "credential_keys", "!" },
	{ "falco-create_configmap.json", 0, "credential_value_keys", "!" },
	{ "falco-create_configmap_no_sensitive_values.json", 0, "credential_keys", "!" },
	{ "falco-create_configmap_no_sensitive_values.json", 0, "credential_value_keys", "!" },
	/* who */
	{ "falco-anonymous_creates_namespace_foo.json", 0, "user_kind", "=anonymous" },
	{ "clo-anonymous-head-forbidden.json", 0, "user_kind", "=anonymous" },
	{ "clo-anonymous-head-forbidden.json", 0, "decision", "=forbid" },
	{ "clo-anonymous-head-forbidden.json", 0, "resource", "=/" },
	{ "falco-some-user_creates_namespace_foo.json", 0, "user_kind", "=user" },
	{ "falco-some-user_creates_namespace_foo.json", 0, "summary", "=some-user create namespaces -/foo -> 201" },
	{ "kubeauditlogtool-node-lease-update.json", 0, "user_kind", "=node" },
	{ "clo-aggregator-get-openapi-nonresource.json", 0, "user_kind", "=system" },
	{ "clo-aggregator-get-openapi-nonresource.json", 0, "resource", "=/openapi/v2" },
	{ "clo-sa-get-kubecontrollermanagers.json", 0, "user_kind", "=serviceaccount" },
	{ "clo-sa-get-kubecontrollermanagers.json", 0, "sa_namespace", "=openshift-cluster-version" },
	{ "clo-sa-get-kubecontrollermanagers.json", 0, "sa_name", "=default" },
	{ "clo-sa-get-kubecontrollermanagers.json", 0, "source_ip", "=10.0.6.44" },
	{ "audit2rbac-demo-impersonation-forbidden.jsonl", 0, "impersonated_user", "=bob" },
	{ "falco-exec_pod.json", 0, "impersonated_user", "!" },
	{ "crowdsec-pod-exec.jsonl", 0, "summary", "=minikube-user create pods/exec foo/test-pod-1 -> 101" },
	{ "clo-openshift-apiaudit-mixed-100.jsonl", 1, "psa_violations", "~would violate PodSecurity" },
	{ "crowdsec-priv-pod.jsonl", 0, "psa_enforce", "=privileged:latest" },
};

/* Render a member for messages: its JSON text, or "(absent)". */
static char *render(const json_t *v)
{
	return v ? json_dumps(v, JSON_ENCODE_ANY) : strdup("(absent)");
}

static bool matches(const json_t *v, const char *want)
{
	const char *s = json_string_value(v);

	if (strcmp(want, "!") == 0)
		return v == NULL;
	if (strcmp(want, "true") == 0)
		return json_is_true(v);
	if (strcmp(want, "false") == 0)
		return json_is_false(v);
	if (want[0] == '=')
		return s != NULL && strcmp(s, want + 1) == 0;
	return s != NULL && strstr(s, want + 1) != NULL;
}

static void scenario(const struct expect *x)
{
	json_t *events = corpus_file_events(x->file);
	json_t *event = json_array_get(events, x->index);
	json_t *k8s = NULL;
	char *got;

	if (event == NULL || derive_k8s(event, NULL, NULL, &k8s) != 0) {
		ok(false, "%s[%zu]: loaded and derived", x->file, x->index);
		json_decref(events);
		return;
	}
	got = render(json_object_get(k8s, x->field));
	ok(matches(json_object_get(k8s, x->field), x->want),
	    "%s[%zu] k8s.%s %s (got %s)", x->file, x->index, x->field,
	    x->want, got);
	free(got);
	json_decref(k8s);
	json_decref(events);
}

/* Derive from a literal event; NULL when it does not parse. */
static json_t *derive_text(const char *text)
{
	json_t *event = json_loads(text, 0, NULL), *k8s = NULL;

	if (event != NULL && derive_k8s(event, "prod-1", NULL, &k8s) != 0)
		k8s = NULL;
	json_decref(event);
	return k8s;
}

static void check(const char *text, const char *field, const char *want,
    const char *what)
{
	json_t *k8s = derive_text(text);
	char *got = render(json_object_get(k8s, field));

	ok(k8s != NULL && matches(json_object_get(k8s, field), want),
	    "%s: k8s.%s %s (got %s)", what, field, want, got);
	free(got);
	json_decref(k8s);
}

static void synthetic(void)
{
	const char *cronjob = "{\"auditID\":\"x\",\"verb\":\"create\","
	    "\"objectRef\":{\"resource\":\"cronjobs\",\"namespace\":\"ns\",\"name\":\"c\"},"
	    "\"requestObject\":{\"kind\":\"CronJob\",\"spec\":{\"jobTemplate\":{\"spec\":"
	    "{\"template\":{\"spec\":{\"hostPID\":true,\"automountServiceAccountToken\":true,"
	    "\"securityContext\":{\"runAsNonRoot\":false},"
	    "\"initContainers\":[{\"name\":\"i\",\"image\":\"busybox\",\"securityContext\":"
	    "{\"capabilities\":{\"add\":[\"SYS_ADMIN\",\"NET_ADMIN\"]}}}],"
	    "\"containers\":[{\"name\":\"a\",\"image\":\"alpine\",\"ports\":[{\"hostPort\":80},"
	    "{\"hostPort\":443},{\"containerPort\":8080}],\"securityContext\":"
	    "{\"capabilities\":{\"add\":[\"SYS_ADMIN\"]}}}]}}}}}}}";
	const char *ephemeral = "{\"auditID\":\"x\",\"verb\":\"patch\","
	    "\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"ephemeralcontainers\"},"
	    "\"requestObject\":{\"spec\":{\"ephemeralContainers\":[{\"name\":\"dbg\","
	    "\"image\":\"nicolaka/netshoot\",\"securityContext\":{\"privileged\":true}}]}}}";
	const char *role = "{\"auditID\":\"x\",\"objectRef\":{\"resource\":\"roles\"},"
	    "\"requestObject\":{\"kind\":\"Role\",\"rules\":["
	    "{\"apiGroups\":[\"apps\"],\"resources\":[\"*\"],\"verbs\":[\"get\"]},"
	    "{\"apiGroups\":[\"\"],\"resources\":[\"*/exec\",\"serviceaccounts/token\"],\"verbs\":[\"create\"]},"
	    "{\"apiGroups\":[\"\"],\"resources\":[\"users\"],\"verbs\":[\"impersonate\",\"bind\"]},"
	    "{\"apiGroups\":[\"\"],\"resources\":[\"secrets\"],\"verbs\":[]}]}}";
	const char *binding = "{\"auditID\":\"x\",\"objectRef\":{\"resource\":\"rolebindings\"},"
	    "\"requestObject\":{\"roleRef\":{\"kind\":\"Role\",\"name\":\"r\"},\"subjects\":["
	    "{\"kind\":\"User\",\"name\":\"bob\"},{\"kind\":\"Group\",\"name\":\"devs\"},"
	    "{\"kind\":\"ServiceAccount\",\"name\":\"sa\",\"namespace\":\"ns\"}]}}";
	const char *pf = "{\"auditID\":\"x\",\"objectRef\":{\"resource\":\"pods\","
	    "\"subresource\":\"portforward\"},\"requestURI\":"
	    "\"/api/v1/namespaces/a/pods/b/portforward?ports=8080&ports=9090%2B\"}";
	const char *exec_bad = "{\"auditID\":\"x\",\"objectRef\":{\"resource\":\"pods\","
	    "\"subresource\":\"exec\"},\"requestURI\":"
	    "\"/x/exec?command=a%00b&command=%ff%fe&command=%zz&command=ok+go\"}";
	const char *svc = "{\"auditID\":\"x\",\"objectRef\":{\"resource\":\"services\"},"
	    "\"requestObject\":{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80}]}},"
	    "\"responseObject\":{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":31000}]}}}";
	const char *cm = "{\"auditID\":\"x\",\"objectRef\":{\"resource\":\"configmaps\"},"
	    "\"requestObject\":{\"data\":{\"DB_PASSWORD\":\"x\",\"color\":\"red\",\"app.yaml\":"
	    "\"db:\\n  host: h\\n  api-key: k\\n\"},\"binaryData\":{\"tls.private_key\":\"AA==\"}}}";
	const char *who = "{\"auditID\":\"x\",\"user\":{\"username\":\"x\",\"groups\":"
	    "[\"system:unauthenticated\"]},\"sourceIPs\":[\"1.1.1.1\",\"10.0.0.9\"],"
	    "\"annotations\":{\"audit.k8s.io/truncated\":\"true\"}}";

	check(cronjob, "workload_kind", "=CronJob", "cronjob");
	check(cronjob, "host_pid", "true", "cronjob");
	check(cronjob, "capabilities_added", "=SYS_ADMIN,NET_ADMIN", "cronjob caps union, deduplicated");
	check(cronjob, "host_ports", "=80,443", "cronjob host ports");
	check(cronjob, "images", "=busybox,alpine", "init containers come first");
	check(cronjob, "run_as_non_root", "false", "runAsNonRoot false");
	check(cronjob, "automount_token", "true", "automount set");
	check(ephemeral, "privileged", "true", "ephemeral container patch");
	check(ephemeral, "workload_kind", "=Pod", "kind from resource");
	check(role, "rbac_sensitive_resources", "=pods/exec,serviceaccounts/token",
	    "*/exec matches, apps/* does not grant core secrets, no verbs grants nothing");
	check(role, "rbac_sensitive_verbs", "=impersonate,bind", "sensitive verbs in source order");
	check(role, "rbac_write_verbs", "true", "create is a write verb");
	check(role, "rbac_wildcard_resources", "true", "wildcard resources in any group");
	check(binding, "subjects", "=User:bob,Group:devs,ServiceAccount:ns/sa", "subjects");
	check(binding, "role_ref_kind", "=Role", "role ref");
	check(pf, "ports", "=8080,9090+", "portforward ports");
	/* Go's url.ParseQuery drops the pair with an invalid escape. */
	check(exec_bad, "command", "=a?b ?? ok go", "exec command sanitized");
	check(svc, "service_type", "=NodePort", "service type");
	check(svc, "node_ports", "=31000", "node port from the response");
	check(cm, "credential_keys", "=DB_PASSWORD,tls.private_key", "credential key names");
	check(cm, "credential_value_keys", "=app.yaml", "keys whose text assigns a credential");
	check(who, "user_kind", "=anonymous", "unauthenticated group is anonymous");
	check(who, "source_ip", "=10.0.0.9", "last source IP");
	check(who, "truncated", "true", "truncated annotation");
	check(who, "cluster", "=prod-1", "cluster");
	check("{\"auditID\":\"x\"}", "summary", "=- - - -/- -> -", "empty event summary");
	check("{\"auditID\":\"x\"}", "user", "=-", "missing user");
	check("{\"auditID\":\"x\"}", "resource", "=-", "missing resource");
	check("{\"auditID\":\"x\",\"user\":{\"username\":\"system:serviceaccount:ns\"}}",
	    "sa_name", "!", "malformed service account name");
}

/*
 * Issue 12, finding 5: the query of an exec request read as the apiserver
 * reads it (Go's url.ParseQuery), names included.  Each URI's k8s.command.
 */
static const struct {
	const char *query, *command;
} exec_queries[] = {
	{ "comm%61nd=sh&comm%61nd=-c&command=id", "=sh -c id" },
	{ "%63%6F%6D%6D%61%6E%64=cat&command=%2Fetc%2Fshadow", "=cat /etc/shadow" },
	{ "command=ls+-la&comman%64=%2Froot", "=ls -la /root" },
	{ "command=a%zz&command=b", "=b" },		/* bad value: pair dropped */
	{ "comm%zznd=a&command=b", "=b" },		/* bad name: pair dropped */
	{ "command=a;b&command=c", "=c" },		/* ';': pair dropped */
	{ "command&command=x", "= x" },			/* no '=': empty value */
	{ "&&command=x&", "=x" },			/* empty pairs */
	{ "Command=x&container=c", "!" },		/* names are case-sensitive */
	{ "command%3Dx=y", "!" },			/* an escaped '=' is in the name */
	{ "stdin=true&command=%E2%82%AC", "=\u20ac" },
};

static void exec_query_names(void)
{
	char text[512];

	for (size_t i = 0; i < sizeof exec_queries / sizeof *exec_queries; i++) {
		snprintf(text, sizeof text, "{\"auditID\":\"x\",\"objectRef\":"
		    "{\"resource\":\"pods\",\"subresource\":\"exec\"},"
		    "\"requestURI\":\"/api/v1/namespaces/a/pods/b/exec?%s\"}",
		    exec_queries[i].query);
		check(text, "command", exec_queries[i].command, exec_queries[i].query);
	}
}

/*
 * Issue 12, finding 4: a strategic-merge patch with a decoy pod-spec member
 * at the Deployment's spec (the apiserver drops it, stores the rest): the
 * fields come from what the response shows was stored, and say so.
 */
#define DECOY_REQ "{\"spec\":{\"hostNetwork\":false,\"template\":{\"spec\":" \
	"{\"hostPID\":true,\"volumes\":[{\"name\":\"d\",\"hostPath\":" \
	"{\"path\":\"/var/run/docker.sock\"}}],\"containers\":[{\"name\":\"c\"," \
	"\"securityContext\":{\"capabilities\":{\"add\":[\"SYS_ADMIN\"]}}}]}}}}"
#define DECOY_RESP "{\"kind\":\"Deployment\",\"apiVersion\":\"apps/v1\"," \
	"\"spec\":{\"replicas\":1,\"template\":{\"spec\":" \
	"{\"hostPID\":true,\"volumes\":[{\"name\":\"d\",\"hostPath\":" \
	"{\"path\":\"/var/run/docker.sock\",\"type\":\"\"}}],\"containers\":" \
	"[{\"name\":\"c\",\"image\":\"busybox\",\"securityContext\":" \
	"{\"capabilities\":{\"add\":[\"SYS_ADMIN\"]}}}]}}}}"
#define DECOY_HEAD "{\"auditID\":\"x\",\"verb\":\"patch\",\"objectRef\":" \
	"{\"resource\":\"deployments\",\"apiGroup\":\"apps\"},"

static const struct {
	const char *event, *field, *want, *what;
} stored_specs[] = {
	{ DECOY_HEAD "\"requestObject\":" DECOY_REQ ",\"responseObject\":" DECOY_RESP "}",
	  "host_pid", "true", "decoy patch: hostPID as stored" },
	{ DECOY_HEAD "\"requestObject\":" DECOY_REQ ",\"responseObject\":" DECOY_RESP "}",
	  "host_paths", "=/var/run/docker.sock", "decoy patch: hostPath as stored" },
	{ DECOY_HEAD "\"requestObject\":" DECOY_REQ ",\"responseObject\":" DECOY_RESP "}",
	  "capabilities_added", "=SYS_ADMIN", "decoy patch: capabilities as stored" },
	{ DECOY_HEAD "\"requestObject\":" DECOY_REQ ",\"responseObject\":" DECOY_RESP "}",
	  "spec_source", "=response", "decoy patch: spec from the response" },
	{ DECOY_HEAD "\"requestObject\":" DECOY_REQ "}",
	  "spec_source", "=request", "patch without a response: spec from the request" },
	{ DECOY_HEAD "\"requestObject\":" DECOY_REQ ",\"responseObject\":"
	  "{\"kind\":\"Status\",\"code\":422}}",
	  "spec_source", "=request", "failed patch: the Status is no spec" },
	{ DECOY_HEAD "\"responseObject\":" DECOY_RESP "}",
	  "workload_kind", "=Deployment", "response alone" },
	{ "{\"auditID\":\"x\",\"objectRef\":{\"resource\":\"pods\"}}",
	  "spec_source", "!", "no body, no spec source" },
};

/*
 * Issue 21, class 2: logged at Request level (no response), a patch's
 * decoy pod-spec member (spec.hostNetwork:false at a workload's spec) must
 * not hide what its template writes, wherever the kind keeps its pod spec,
 * and a JSON patch writes through its operations' paths.
 */
#define TPL_SPEC "{\"hostPID\":true,\"volumes\":[{\"name\":\"d\"," \
	"\"hostPath\":{\"path\":\"/var/run/docker.sock\"}}],\"containers\":" \
	"[{\"name\":\"c\",\"securityContext\":{\"capabilities\":" \
	"{\"add\":[\"SYS_ADMIN\"]}}}]}"

static const struct {
	const char *resource, *body;
} decoys[] = {
	{ "deployments", "{\"spec\":{\"hostNetwork\":false,\"template\":"
	  "{\"spec\":" TPL_SPEC "}}}" },
	{ "daemonsets", "{\"spec\":{\"template\":{\"spec\":" TPL_SPEC
	  "},\"hostNetwork\":false}}" },
	{ "statefulsets", "{\"spec\":{\"serviceAccountName\":\"x\","
	  "\"template\":{\"spec\":" TPL_SPEC "}}}" },
	{ "replicasets", "{\"spec\":{\"containers\":[],\"template\":"
	  "{\"spec\":" TPL_SPEC "}}}" },
	{ "jobs", "{\"spec\":{\"hostNetwork\":false,\"template\":"
	  "{\"spec\":" TPL_SPEC "}}}" },
	{ "cronjobs", "{\"spec\":{\"hostNetwork\":false,\"template\":"
	  "{\"spec\":{\"hostIPC\":false}},\"jobTemplate\":{\"spec\":"
	  "{\"template\":{\"spec\":" TPL_SPEC "}}}}}" },
	{ "podtemplates", "{\"spec\":{\"hostNetwork\":false},\"template\":"
	  "{\"spec\":" TPL_SPEC "}}" },
	{ "pods", "{\"template\":{\"spec\":{\"hostNetwork\":false}},"
	  "\"spec\":" TPL_SPEC "}" },
	/* JSON patches: the path says where each value goes. */
	{ "deployments", "[{\"op\":\"add\",\"path\":\"/spec/hostNetwork\","
	  "\"value\":false},{\"op\":\"replace\",\"path\":"
	  "\"/spec/template/spec\",\"value\":" TPL_SPEC "}]" },
	{ "deployments", "[{\"op\":\"add\",\"path\":\"/spec/template/spec/hostPID\","
	  "\"value\":true},{\"op\":\"add\",\"path\":"
	  "\"/spec/template/spec/volumes/-\",\"value\":{\"name\":\"d\","
	  "\"hostPath\":{\"path\":\"/var/run/docker.sock\"}}},"
	  "{\"op\":\"add\",\"path\":\"/spec/template/spec/containers/0/"
	  "securityContext/capabilities/add/-\",\"value\":\"SYS_ADMIN\"},"
	  "{\"op\":\"test\",\"path\":\"/spec/hostNetwork\",\"value\":false}]" },
	{ "cronjobs", "[{\"op\":\"add\",\"path\":\"/spec/jobTemplate\","
	  "\"value\":{\"spec\":{\"template\":{\"spec\":" TPL_SPEC "}}}}]" },
	{ "daemonsets", "[{\"op\":\"replace\",\"path\":\"\",\"value\":"
	  "{\"spec\":{\"hostNetwork\":false,\"template\":{\"spec\":"
	  TPL_SPEC "}}}}]" },
	{ "statefulsets", "[{\"op\":\"add\",\"path\":\"/spec/template/spec\","
	  "\"value\":{\"hostNetwork\":false}},{\"op\":\"add\",\"path\":"
	  "\"/spec/template/spec/host~1PID\",\"value\":1},{\"op\":\"add\","
	  "\"path\":\"/spec/template\",\"value\":{\"spec\":" TPL_SPEC "}}]" },
};

static void decoy_patches(void)
{
	static const char *const fields[][2] = {
		{ "host_pid", "true" },
		{ "host_paths", "=/var/run/docker.sock" },
		{ "capabilities_added", "=SYS_ADMIN" },
		{ "spec_source", "=request" },
		{ "host_network", "!" },
	};
	char text[2048], what[64];

	for (size_t i = 0; i < sizeof decoys / sizeof *decoys; i++) {
		snprintf(text, sizeof text, "{\"auditID\":\"x\",\"verb\":"
		    "\"patch\",\"level\":\"Request\",\"objectRef\":"
		    "{\"resource\":\"%s\",\"namespace\":\"n\",\"name\":"
		    "\"w\"},\"requestObject\":%s}", decoys[i].resource,
		    decoys[i].body);
		snprintf(what, sizeof what, "decoy %zu (%s)", i,
		    decoys[i].resource);
		for (size_t f = 0; f < sizeof fields / sizeof *fields; f++)
			check(text, fields[f][0], fields[f][1], what);
	}
	/* A JSON patch that writes no pod spec gives no pod fields. */
	check("{\"auditID\":\"x\",\"objectRef\":{\"resource\":\"deployments\"},"
	    "\"requestObject\":[{\"op\":\"remove\",\"path\":"
	    "\"/spec/template/spec/hostPID\"},{\"op\":\"add\",\"path\":"
	    "\"/spec/replicas\",\"value\":3}]}", "spec_source", "!",
	    "patch without pod spec");
	/* Paths deeper than anything derive reads are skipped, not built. */
	{
		char deep[4096];
		size_t n = 0;

		n += (size_t)snprintf(deep + n, sizeof deep - n, "{\"auditID\":"
		    "\"x\",\"objectRef\":{\"resource\":\"pods\"},"
		    "\"requestObject\":[{\"op\":\"add\",\"path\":\"/spec");
		for (int d = 0; d < 500; d++)
			n += (size_t)snprintf(deep + n, sizeof deep - n, "/a");
		snprintf(deep + n, sizeof deep - n, "\",\"value\":1}]}");
		check(deep, "spec_source", "!", "500-segment patch path");
	}
}

static void stored_spec(void)
{
	for (size_t i = 0; i < sizeof stored_specs / sizeof *stored_specs; i++)
		check(stored_specs[i].event, stored_specs[i].field,
		    stored_specs[i].want, stored_specs[i].what);
}

static void bounds(void)
{
	struct strlist l;
	char buf[16], *big;
	size_t n;
	json_t *k8s;

	strlist_init(&l);
	strlist_add_str(&l, "a");
	strlist_add_str(&l, "b");
	strlist_add_str(&l, "a");
	ok(l.count == 2 && strcmp(l.buf, "a,b") == 0, "strlist deduplicates (%s)", l.buf);
	for (int i = 0; i < 500; i++) {
		snprintf(buf, sizeof buf, "item%d", i);
		strlist_add_str(&l, buf);
	}
	ok(l.full && l.len <= K8SOBJ_MAX_TEXT && strcmp(l.buf + l.len - 4, ",...") == 0,
	    "strlist stops at %d bytes with ',...' (%zu)", K8SOBJ_MAX_TEXT, l.len);
	strlist_free(&l);

	n = text_bound("h\xc3\xa9llo", 6, buf, 5);
	ok(n == 4 && strcmp(buf, "h...") == 0, "text_bound cuts with ... (%s)", buf);
	n = text_bound("\xc3\xa9\xc3\xa9", 4, buf, sizeof buf);
	ok(n == 4 && strcmp(buf, "\xc3\xa9\xc3\xa9") == 0, "text_bound keeps UTF-8");
	n = text_bound("a\xc3", 2, buf, sizeof buf);
	ok(n == 2 && strcmp(buf, "a?") == 0, "text_bound replaces a cut sequence");

	big = malloc(300000);
	memcpy(big, "{\"auditID\":\"x\",\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\"},"
	    "\"requestURI\":\"/exec?command=", 96);
	memset(big + 96, 'A', 200000);
	strcpy(big + 96 + 200000, "\"}");
	k8s = derive_text(big);
	ok(k8s && json_string_length(json_object_get(k8s, "command")) <= K8SOBJ_MAX_TEXT,
	    "200 kB command is bounded to %d bytes", K8SOBJ_MAX_TEXT);
	ok(k8s && json_string_length(json_object_get(k8s, "summary")) <= K8SOBJ_MAX_TEXT,
	    "summary is bounded");
	json_decref(k8s);
	free(big);
}

static bool assigns(const char *text)
{
	return cred_text_assigns(text, strlen(text));
}

/*
 * An assignment at every place of texts up to 40 bytes: the search looks
 * at sixteen bytes at a time and must stop at each '=', ':' and '-'
 * whatever its place in the sixteen.
 */
static void assigns_at_every_place(void)
{
	static const char *const forms[] = {
		"\npassword=x\n", "\npassword: x\n",
		"\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n",
	};
	char buf[128];
	size_t missed = 0, wrong = 0, texts = 0;

	for (size_t f = 0; f < sizeof forms / sizeof *forms; f++) {
		size_t fl = strlen(forms[f]);

		for (size_t at = 0; at <= 40; at++) {
			memset(buf, 'a', at);
			memcpy(buf + at, forms[f], fl);
			memset(buf + at + fl, 'b', 40 - at);
			texts++;
			missed += !cred_text_assigns(buf, fl + 40);
			/* Cut before the separator: nothing is assigned. */
			wrong += cred_text_assigns(buf, at + 9);
		}
	}
	ok(missed == 0 && wrong == 0, "cred: %zu texts with an assignment at "
	    "every place (%zu missed, %zu found where none is)", texts,
	    missed, wrong);
}

static void helpers(void)
{
	char out[64];
	size_t n;

	ok(query_unescape("a%2Fb+c%41", 10, out, &n) == 0 && n == 6 &&
	    memcmp(out, "a/b cA", 6) == 0, "query_unescape");
	ok(query_unescape("a%2", 3, out, &n) == -EINVAL, "query_unescape: cut escape");
	ok(query_unescape("%g0", 3, out, &n) == -EINVAL, "query_unescape: not hex");
	ok(cred_name_like("AWS_SECRET_ACCESS_KEY", 21), "cred: AWS_SECRET_ACCESS_KEY");
	ok(cred_name_like("api-key", 7), "cred: api-key");
	ok(cred_name_like("client.Secret", 13), "cred: client.Secret");
	ok(!cred_name_like("color.good", 10), "cred: color.good is not");
	ok(cred_text_assigns("a=b\npassword = x\n", 17), "cred: password assignment");
	ok(!cred_text_assigns("password reset page\n", 20), "cred: no assignment, no match");
	ok(!cred_text_assigns("url: https://x/token\n", 21), "cred: value words do not count");
	assigns_at_every_place();
	/* Issue 12, finding 9: what else holds a credential, and what does not. */
	ok(assigns("{\"user\":\"u\",\"password\":\"x\"}"),
	    "cred: password second in one-line JSON");
	ok(assigns("db: {user: u, password: x}"), "cred: flow YAML");
	ok(assigns("x = postgres://u:pw@h/db"), "cred: URL password");
	ok(!assigns("x = https://h:8443/db"), "cred: a port is no password");
	ok(assigns("k: -----BEGIN EC PRIVATE KEY-----\\nAB\\n-----END"),
	    "cred: private key with escaped newlines");
	ok(!assigns("-----BEGIN CERTIFICATE-----\nAB\n-----END"),
	    "cred: a certificate is no credential");
	ok(assigns("{\"auths\":{\"r\":{\"auth\":\"eA==\"}}}"),
	    "cred: docker config auth");
	ok(!assigns("auth: true\n"), "cred: a bare auth setting is not");
	ok(assigns("Authorization: Bearer x\n"), "cred: Authorization header");
	ok(!assigns("time: 12:30\nmode=fast\n"), "cred: times and modes are not");
}

/*
 * The fast path skips parsing a body's spec or template unless
 * derive_pod_may_read says derive_pod may find a pod spec there; that
 * check reads the text with its own copy of derive_pod's member list.  Each
 * name derive_pod counts (pod_members in plugin/derive/derive_pod.c) must make it
 * say true where derive_pod looks, or a pod spec written with only that
 * member would go underived on the fast path.
 */
/* derive_pod_may_read on body member `key` whose compact text is `text`. */
static bool pod_may_read(const char *key, const char *text)
{
	return derive_pod_may_read(key, strlen(key), text, strlen(text));
}

static void pod_member_names(void)
{
	static const char *const names[] = {
		"containers", "initContainers", "ephemeralContainers",
		"hostNetwork", "hostPID", "hostIPC", "volumes",
		"serviceAccountName", "serviceAccount",
		"automountServiceAccountToken", "securityContext",
	};
	char text[256];

	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		const char *n = names[i];

		snprintf(text, sizeof text, "{\"%s\":1}", n);
		ok(pod_may_read("spec", text), "pod member %s: spec %s", n, text);
		snprintf(text, sizeof text, "{\"template\":{\"spec\":{\"%s\":1}}}", n);
		ok(pod_may_read("spec", text), "pod member %s: spec %s", n, text);
		snprintf(text, sizeof text, "{\"jobTemplate\":{\"spec\":"
		    "{\"template\":{\"spec\":{\"%s\":1}}}}}", n);
		ok(pod_may_read("spec", text), "pod member %s: spec %s", n, text);
		snprintf(text, sizeof text, "{\"spec\":{\"%s\":1}}", n);
		ok(pod_may_read("template", text), "pod member %s: template %s",
		    n, text);
		/* derive_pod reads a pod spec only through spec and template. */
		snprintf(text, sizeof text, "{\"%s\":1}", n);
		ok(!pod_may_read("metadata", text), "pod member %s: not through "
		    "metadata", n);
		/* Names are whole keys, not prefixes. */
		snprintf(text, sizeof text, "{\"%sX\":1}", n);
		ok(!pod_may_read("spec", text), "pod member %s: spec %s is no "
		    "pod spec", n, text);
	}
	ok(!pod_may_read("spec", "{\"x\":\"y\"}"), "spec {\"x\":\"y\"} is no pod spec");
	ok(!pod_may_read("template", "{\"spec\":{\"x\":\"y\"}}"),
	    "template {\"spec\":{\"x\":\"y\"}} is no pod spec");
	/* An escape may spell any name: the check cannot rule it out. */
	ok(pod_may_read("spec", "{\"\\u0063ontainers\":1}"),
	    "spec {\"\\u0063ontainers\":1} may be a pod spec");
	ok(pod_may_read("spec", "{\"template\":{\"spec\":{\"\\u0063ontainers\":1}}}"),
	    "escaped key in template.spec may be a pod spec");
}

/*
 * Issue 25: k8s.principal names whose rights an event grants or uses, so a
 * rule can follow a grant to its use; k8s.sa_outside_namespace.
 */
static void principals(void)
{
	const char *crb = "{\"auditID\":\"x\",\"verb\":\"create\",\"user\":{\"username\":\"mallory\"},"
	    "\"objectRef\":{\"resource\":\"clusterrolebindings\",\"name\":\"b\"},"
	    "\"requestObject\":{\"kind\":\"ClusterRoleBinding\",\"roleRef\":{\"kind\":\"ClusterRole\","
	    "\"name\":\"cluster-admin\"},\"subjects\":[{\"kind\":\"Group\",\"name\":\"g\"},"
	    "{\"kind\":\"ServiceAccount\",\"name\":\"sa\",\"namespace\":\"apps\"},"
	    "{\"kind\":\"User\",\"name\":\"bob\"}]}}";
	const char *rb = "{\"auditID\":\"x\",\"verb\":\"create\",\"user\":{\"username\":\"mallory\"},"
	    "\"objectRef\":{\"resource\":\"rolebindings\",\"namespace\":\"shop\",\"name\":\"b\"},"
	    "\"requestObject\":{\"kind\":\"RoleBinding\",\"roleRef\":{\"kind\":\"ClusterRole\","
	    "\"name\":\"edit\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"ci\"}]}}";
	const char *groups = "{\"auditID\":\"x\",\"verb\":\"create\",\"user\":{\"username\":\"mallory\"},"
	    "\"objectRef\":{\"resource\":\"clusterrolebindings\",\"name\":\"b\"},"
	    "\"requestObject\":{\"subjects\":[{\"kind\":\"Group\",\"name\":\"system:masters\"}]}}";
	const char *token = "{\"auditID\":\"x\",\"verb\":\"create\",\"user\":{\"username\":\"admin\"},"
	    "\"objectRef\":{\"resource\":\"serviceaccounts\",\"subresource\":\"token\","
	    "\"namespace\":\"ci\",\"name\":\"ci-deployer\"}}";
	const char *own = "{\"auditID\":\"x\",\"verb\":\"get\",\"user\":{\"username\":"
	    "\"system:serviceaccount:ci:ci-deployer\"},\"objectRef\":{\"resource\":\"secrets\","
	    "\"namespace\":\"ci\",\"name\":\"s\"}}";
	const char *prefix = "{\"auditID\":\"x\",\"verb\":\"get\",\"user\":{\"username\":"
	    "\"system:serviceaccount:ci:ci-deployer\"},\"objectRef\":{\"resource\":\"secrets\","
	    "\"namespace\":\"ci-prod\",\"name\":\"s\"}}";
	const char *all = "{\"auditID\":\"x\",\"verb\":\"list\",\"user\":{\"username\":"
	    "\"system:serviceaccount:ci:ci-deployer\"},\"objectRef\":{\"resource\":\"secrets\"}}";
	const char *imp = "{\"auditID\":\"x\",\"verb\":\"get\",\"user\":{\"username\":\"admin\"},"
	    "\"impersonatedUser\":{\"username\":\"dev-alice\"},\"objectRef\":{\"resource\":\"pods\"}}";

	check(crb, "principal", "=system:serviceaccount:apps:sa",
	    "binding: first User or ServiceAccount subject, groups skipped");
	check(rb, "principal", "=system:serviceaccount:shop:ci",
	    "RoleBinding: a ServiceAccount subject without namespace is in the binding's");
	check(groups, "principal", "!", "binding to groups only: no principal, not the binder");
	check(token, "principal", "=system:serviceaccount:ci:ci-deployer",
	    "TokenRequest: the service account the token is for");
	check(own, "principal", "=system:serviceaccount:ci:ci-deployer", "a read: the reader");
	check(imp, "principal", "=dev-alice", "impersonation: the impersonated user");
	check(own, "sa_outside_namespace", "!", "service account in its own namespace");
	check(prefix, "sa_outside_namespace", "true", "a namespace sharing a prefix is another one");
	check(all, "sa_outside_namespace", "true", "no namespace: all namespaces");
	check(imp, "sa_outside_namespace", "!", "not a service account");
}

int main(void)
{
	for (size_t i = 0; i < sizeof scenarios / sizeof *scenarios; i++)
		scenario(&scenarios[i]);
	synthetic();
	bounds();
	helpers();
	exec_query_names();
	stored_spec();
	decoy_patches();
	pod_member_names();
	principals();
	return tap_done();
}
