/*
 * derive_pod: rule-ready fields of pod specs.
 */
#ifndef DERIVE_POD_H
#define DERIVE_POD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "head.h"
#include "jsonspan.h"
#include "k8sobj.h"

/*
 * derive_pod(o, h, event):
 * When the response (else the request) body holds a pod spec — a Pod, the
 * pod template of a Deployment, DaemonSet, StatefulSet, ReplicaSet, Job,
 * ReplicationController or PodTemplate, a CronJob's job template, or a
 * patch touching one of those — add k8s.workload_kind, k8s.privileged,
 * k8s.privileged_containers, k8s.allow_privilege_escalation,
 * k8s.capabilities_added, k8s.host_network, k8s.host_pid, k8s.host_ipc,
 * k8s.host_paths, k8s.host_ports, k8s.run_as_root,
 * k8s.run_as_root_containers, k8s.run_as_non_root,
 * k8s.proc_mount_unmasked, k8s.images, k8s.service_account and
 * k8s.automount_token as they apply, and k8s.spec_source naming the body
 * they come from (pick_source).  Errors are recorded in `o`.
 */
void derive_pod(struct k8sobj *o, const struct head *h,
    const json_t *event);

/*
 * derive_pod_may_read(key, klen, value, vlen):
 * False when derive_pod provably finds no pod spec through the body member
 * `key` (`klen` bytes) whose JSON text, validated by jscan_line, is
 * `value` (`vlen` bytes): no object where derive_pod looks for a pod spec
 * (spec, spec.template.spec, spec.jobTemplate.spec.template.spec,
 * template.spec) has a member that makes one.  Escaped keys count as a
 * match.  Never fails.
 */
bool derive_pod_may_read(const char *key, size_t klen, const char *value,
    size_t vlen);

/*
 * derive_pod_keep(key, klen):
 * What derive_pod reads of the body member `key` (`klen` bytes), spec or
 * template, for jspan_load_kept; NULL for any other member.
 */
const struct jspan_keep *derive_pod_keep(const char *key, size_t klen);

#endif /* !DERIVE_POD_H */
