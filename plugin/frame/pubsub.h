/*
 * pubsub: a Pub/Sub push request carrying GKE audit logs, each Cloud
 * Logging LogEntry rebuilt as an audit.k8s.io/v1 Event.
 *
 * Formats followed:
 * - Pub/Sub push delivery ("Push subscriptions", Google Cloud Pub/Sub
 *   docs): wrapped, the body is {"message": {"data": base64, "attributes",
 *   "messageId", "publishTime"}, "subscription": "projects/.../
 *   subscriptions/..."}; with payload unwrapping, the body is the message
 *   data itself.  A Log Router sink publishes one LogEntry (JSON) per
 *   message.
 * - Cloud Logging LogEntry and google.cloud.audit.AuditLog (its
 *   protoPayload), as GKE writes them for Kubernetes ("Audit logging for
 *   GKE"): methodName io.k8s.<group>.<version>.<resource>[.<sub>].<verb>,
 *   resourceName <group>/<version>/[namespaces/<ns>/]<resource>/<name>
 *   [/<subresource>], authenticationInfo.principalEmail,
 *   requestMetadata.callerIp and callerSuppliedUserAgent,
 *   authorizationInfo[].granted, request, response, status
 *   (google.rpc.Status: a gRPC code), resource.labels.cluster_name.
 * - Falco's k8saudit-gke plugin (convert.go) rebuilds an Event from the
 *   same fields; this mapping differs where docs/clouds.md says.
 */
#ifndef PUBSUB_H
#define PUBSUB_H

#include <stddef.h>

#include <jansson.h>

#include "records.h"

/* Annotation naming what the Event holds that GKE did not provide. */
#define PUBSUB_NOT_PROVIDED "wazuh-k8s-audit/not-provided"
/* Annotation naming where the Event came from. */
#define PUBSUB_CONVERTED "wazuh-k8s-audit/converted-from"

/*
 * pubsub_unwrap(body, len, out, reason, reasonlen):
 * Read a push request (wrapped: a root object with a "message" member;
 * else unwrapped: the body is the LogEntry) into *out (records_free'd by
 * the caller): one item, the Event logentry_to_event makes, with the
 * entry's resource.labels.cluster_name as its cluster; or the damaged
 * message with its reason.  Returns 0; -EINVAL with a one-line reason when
 * the body is not JSON or a wrapped envelope lacks string message.data;
 * -ENOMEM.
 */
int pubsub_unwrap(const char *body, size_t len, struct records *out,
    char *reason, size_t reasonlen);

/*
 * logentry_to_event(entry, event, reason):
 * Build in *event (owned by the caller) the audit.k8s.io/v1 Event for a
 * LogEntry whose protoPayload is a Kubernetes AuditLog (serviceName
 * k8s.io, methodName io.k8s.*), as docs/clouds.md maps it.  Returns 0;
 * -EINVAL with *reason (static text) when the entry is no Kubernetes audit
 * entry or lacks insertId; -ENOMEM.
 */
int logentry_to_event(const json_t *entry, json_t **event,
    const char **reason);

/* grpc_to_http(code): the HTTP status google.rpc.Code `code` maps to
 * (google/rpc/code.proto's comments); 500 for an unknown code. */
int grpc_to_http(long long code);

#endif /* !PUBSUB_H */
