/*
 * derive_rbac: rule-ready fields of RBAC roles and bindings.
 */
#ifndef DERIVE_RBAC_H
#define DERIVE_RBAC_H

#include <jansson.h>

#include "head.h"
#include "k8sobj.h"

/*
 * derive_rbac(o, h, event):
 * When the request (else the response) body is a Role, ClusterRole,
 * RoleBinding or ClusterRoleBinding (or a patch with rules/roleRef/subjects
 * on those resources), add k8s.role_ref_kind, k8s.role_ref_name,
 * k8s.subjects, k8s.rbac_wildcard_verbs, k8s.rbac_wildcard_resources,
 * k8s.rbac_write_verbs, k8s.rbac_sensitive_verbs and
 * k8s.rbac_sensitive_resources as they apply.  A rule grants what RBAC
 * itself would grant: "*" means every verb / resource, "*\/exec" every
 * exec subresource, and a resource only counts in a matching API group.
 * For every event, k8s.principal: the username of a binding's first User
 * or ServiceAccount subject (binding writes; absent when it has none), of
 * the service account of a TokenRequest, else the user the request runs as
 * (impersonatedUser, else user); and k8s.sa_outside_namespace (true) when
 * a service account's request names no namespace or another one than its
 * own.  Errors are recorded in `o`.
 */
void derive_rbac(struct k8sobj *o, const struct head *h,
    const json_t *event);

#endif /* !DERIVE_RBAC_H */
