/*
 * firehose: an Amazon Data Firehose HTTP endpoint request carrying EKS
 * audit logs, unwrapped into audit Events.
 *
 * Formats followed:
 * - "Understand HTTP endpoint delivery request and response specifications"
 *   (Amazon Data Firehose developer guide, httpdeliveryrequestresponse):
 *   body {"requestId": string, "timestamp": ms, "records": [{"data":
 *   base64}, ...]}.
 * - CloudWatch Logs subscription filters ("Using CloudWatch Logs
 *   subscription filters", Amazon CloudWatch Logs user guide): each
 *   record's data is gzip'd JSON {"messageType": "DATA_MESSAGE" |
 *   "CONTROL_MESSAGE", "owner", "logGroup", "logStream",
 *   "subscriptionFilters", "logEvents": [{"id", "timestamp", "message"}]};
 *   when the delivery stream decompresses records, the same JSON arrives
 *   uncompressed.  EKS writes kube-apiserver's audit Events, one per
 *   message, to log group /aws/eks/<cluster>/cluster.
 */
#ifndef FIREHOSE_H
#define FIREHOSE_H

#include <stddef.h>

#include "records.h"

/*
 * firehose_unwrap(body, len, out, reason, reasonlen):
 * Read a Firehose request body into *out (records_free'd by the caller):
 * every logEvents[].message of every DATA_MESSAGE, in order, as an Event
 * item whose cluster is <cluster> of a log group /aws/eks/<cluster>/cluster
 * (else NULL); CONTROL_MESSAGE records give nothing.  A record that cannot
 * be read (not an object with string data, not base64, a damaged or
 * oversized gzip, not subscription JSON) is one item with its reason and
 * bytes, its neighbours are kept.  Records are framed (jscan_frame), not
 * parsed whole, so a logEvent is one item on its own: a message holding
 * raw bytes that are not UTF-8 or raw control characters is an Event
 * whose text keeps them (the Event's own scan confines them, eventlist.h);
 * a logEvent without a string message, or whose message has an invalid
 * escape, is set aside alone with its reason and bytes.
 * Returns 0; -EINVAL with a one-line reason when the body itself is not a
 * Firehose request or unwraps past the records.h bounds (nothing of it is
 * an event); -ENOMEM.
 */
int firehose_unwrap(const char *body, size_t len, struct records *out,
    char *reason, size_t reasonlen);

#endif /* !FIREHOSE_H */
