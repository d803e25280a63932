/*
 * derive_pod: rule-ready fields of pod specs.
 */
#ifndef DERIVE_POD_H
#define DERIVE_POD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "k8sobj.h"

/*
 * derive_pod(o, event):
 * When the request (else the response) body holds a pod spec — a Pod, the
 * pod template of a Deployment, DaemonSet, StatefulSet, ReplicaSet, Job,
 * ReplicationController or PodTemplate, a CronJob's job template, or a
 * patch touching one of those — add k8s.workload_kind, k8s.privileged,
 * k8s.privileged_containers, k8s.allow_privilege_escalation,
 * k8s.capabilities_added, k8s.host_network, k8s.host_pid, k8s.host_ipc,
 * k8s.host_paths, k8s.host_ports, k8s.run_as_root,
 * k8s.run_as_root_containers, k8s.run_as_non_root,
 * k8s.proc_mount_unmasked, k8s.images, k8s.service_account and
 * k8s.automount_token as they apply.  Errors are recorded in `o`.
 */
void derive_pod(struct k8sobj *o, const json_t *event);

/*
 * derive_pod_may_read(text, len):
 * False when derive_pod provably finds no pod spec in the JSON text `text`
 * (`len` bytes) of a body member: none of the member names that make a
 * pod spec appears in it, nor a \u escape that could spell one.
 */
bool derive_pod_may_read(const char *text, size_t len);

#endif /* !DERIVE_POD_H */
