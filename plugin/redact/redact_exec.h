/*
 * redact_exec: credentials typed on an exec command line.
 *
 * `kubectl exec pod -- mysql -uroot -pS3cret` puts the password into the
 * request's URI as a `command` parameter, and so into requestURI and
 * k8s.command.  The arguments that carry a credential lose their value to
 * a fingerprint marker in requestURI, before the `k8s` object is derived
 * from it, so k8s.command shows the marker too.
 */
#ifndef REDACT_EXEC_H
#define REDACT_EXEC_H

#include <stddef.h>

#include <jansson.h>

#include "head.h"

/*
 * redact_exec_may_change(h):
 * True when redact_exec would change the requestURI of the event whose
 * head is `h`: a request on subresource exec or attach whose `command`
 * parameters (read as derive_exec reads them) hold a credential argument:
 * "-p<value>", "--<credential name>=<value>", "<CREDENTIAL_NAME>=<value>",
 * the word after "--<credential name>", a URL's password (cred.h).
 * Never fails.
 */
bool redact_exec_may_change(const struct head *h);

/*
 * redact_exec(event, key, keylen, count):
 * Replace the requestURI of audit Event `event` (modified in place) by one
 * whose credential `command` arguments (as above) hold fingerprint markers
 * keyed by `key` instead of their values; the parameters with a credential
 * are written back query-escaped, the others as they were.  More than
 * REDACT_EXEC_MAX_VALUES of them: the whole query (after '?') becomes one
 * marker.  Adds the number of values replaced to *count.  Returns 0,
 * -ENOMEM or -EIO (libcrypto); after an error requestURI is unchanged.
 */
#define REDACT_EXEC_MAX_VALUES 256

int redact_exec(json_t *event, const unsigned char *key, size_t keylen,
    unsigned long *count);

#endif /* !REDACT_EXEC_H */
