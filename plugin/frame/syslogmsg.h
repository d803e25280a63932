/*
 * syslogmsg: one syslog message carrying one audit Event (the manager's imtcp
 * listener, SYSLOG_CLUSTERS), unwrapped into that Event.
 *
 * Formats followed:
 * - RFC 5424 section 6: HEADER (PRI VERSION SP TIMESTAMP SP HOSTNAME SP
 *   APP-NAME SP PROCID SP MSGID) SP STRUCTURED-DATA [SP MSG], where
 *   STRUCTURED-DATA is "-" or SD-ELEMENTs "[" SD-ID *(SP PARAM) "]" whose
 *   PARAM-VALUEs are quoted, with '"', '\' and ']' escaped by '\'; a MSG
 *   in UTF-8 starts with the BOM EF BB BF (section 6.4).
 * - RFC 3164 section 4.1 (BSD syslog): PRI, "Mmm dd hh:mm:ss HOSTNAME",
 *   TAG and the content; senders differ in what they put there, so the
 *   Event is taken from the first '{' on (a TAG or HOSTNAME holds none).
 *   A line without PRI (a sender of bare JSON lines) is read the same way.
 * - RFC 6587 (octet counting, LF framing) is rsyslog's imtcp's business:
 *   the line is one message without its framing (%rawmsg%).
 * - OpenShift's ClusterLogForwarder (cluster-logging-operator, Vector's
 *   syslog codec): the MSG is the JSON of the collector's ViaQ record, an
 *   audit Event merged with envelope members (`@timestamp`, `timestamp`,
 *   `hostname`, `log_type`, `log_source`, `k8s_audit_level` or
 *   `openshift_audit_level`, `openshift` {cluster_id, sequence, labels},
 *   and in older releases `level` "default", `tag`, `source_type`,
 *   `pipeline_metadata`, `viaq_msg_id`, `viaq_index_name`); none of them is
 *   an audit.k8s.io/v1 Event member.
 */
#ifndef SYSLOGMSG_H
#define SYSLOGMSG_H

#include <stddef.h>

#include "records.h"

/*
 * syslog_unwrap(line, len, out, reason, reasonlen):
 * Read one syslog message (RFC 5424, RFC 3164 or a bare JSON line) into
 * *out (records_free'd by the caller): one item, the text of its MSG from
 * the JSON on (an RFC 5424 MSG's BOM removed); when that MSG is a ViaQ
 * record (a root object with a `log_type` member), the envelope members
 * named above are left out, and a `level` that is no audit level
 * (None, Metadata, Request, RequestResponse) is replaced by the record's
 * `k8s_audit_level` or `openshift_audit_level` when that is one.  The
 * item's cluster is always NULL: nothing in a message names its cluster.
 * Whether the item is an Event is the caller's to check (batch_scan).
 * Returns 0; -EINVAL with a one-line reason when the line is a malformed
 * RFC 5424 message, has no MSG, holds no '{' where the Event would
 * start, or is past the records.h bounds; -ENOMEM.
 */
int syslog_unwrap(const char *line, size_t len, struct records *out,
    char *reason, size_t reasonlen);

#endif /* !SYSLOGMSG_H */
