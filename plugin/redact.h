/*
 * redact: replace the secret values of an audit event by fingerprints.
 *
 * Where credentials travel in audit events (docs/fields.md, "Redaction"):
 * - `data` and `stringData` of Secrets: request and response bodies of
 *   `secrets` requests (single objects, SecretLists, merge patches, every
 *   `value` of a JSON patch whose path touches /data or /stringData, bodies
 *   that are not JSON at all), and any object of kind Secret anywhere in a
 *   body (Tables, Lists, OpenShift Templates, ...);
 * - the kubectl.kubernetes.io/last-applied-configuration annotation of any
 *   object, which embeds the whole applied object as JSON text: it is
 *   parsed, redacted like a body and written back;
 * - the token of TokenRequest (serviceaccounts/token) and TokenReview bodies;
 * - the openshift.io/token-secret.value annotation (OpenShift copies a
 *   service account token there);
 * - ConfigMap values whose key looks like a credential or whose text assigns
 *   one (configmap_key_is_credential), also inside patches.
 * Each value becomes "[REDACTED hmac-sha256:<16 hex>]" (fingerprint.h).
 */
#ifndef REDACT_H
#define REDACT_H

#include <stddef.h>

#include <jansson.h>

/*
 * redact_event(event, key, keylen, count):
 * Redact `event` (an audit Event, modified in place, still owned by the
 * caller) with fingerprints keyed by `key`.  On return *count holds the
 * number of values replaced, even on error.  Returns 0, -ENOMEM, or -EIO
 * when libcrypto fails; after an error the event may be partly redacted and
 * must not be sent.
 */
int redact_event(json_t *event, const unsigned char *key, size_t keylen,
    unsigned long *count);

#endif /* !REDACT_H */
