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
 *   one (configmap_key_is_credential), also inside patches: by name whole,
 *   else each value that cred_text_next finds in the text;
 * - the `value` of a container env variable whose name looks like a
 *   credential (cred_name_like), in any body.
 * Each value becomes "[REDACTED hmac-sha256:<16 hex>]" (fingerprint.h).
 */
#ifndef REDACT_H
#define REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "head.h"

/* What the request says a body is, when the body itself may not say. */
enum redact_hint {
	REDACT_HINT_NONE = 0,
	REDACT_HINT_SECRET = 1 << 0,		/* resource secrets */
	REDACT_HINT_TOKEN_REQUEST = 1 << 1,	/* serviceaccounts/token */
	REDACT_HINT_TOKEN_REVIEW = 1 << 2,	/* tokenreviews */
	REDACT_HINT_CONFIGMAP = 1 << 3,		/* configmaps */
};

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

/*
 * redact_bodies(event, hint, key, keylen, count):
 * redact_event, for an event that may hold only (parts of) its bodies:
 * `hint` is what redact_hint_of says of its head.
 */
int redact_bodies(json_t *event, unsigned hint, const unsigned char *key,
    size_t keylen, unsigned long *count);

/*
 * redact_bodies_change(event, hint, changes):
 * Would redact_bodies(event, hint, ...) change anything?  *changes says;
 * `event` is left as it is, and the answer costs no fingerprint: the walk
 * stops at the first value that would change.  Returns 0 or -ENOMEM.
 */
int redact_bodies_change(json_t *event, unsigned hint, bool *changes);

/*
 * redact_whole_value(value, key, keylen, count):
 * Redact `value`, any JSON value that is set aside (modified in place,
 * still owned by the caller), with the rules of delivered events, whatever
 * it is: each object in it shaped like an audit Event (a requestObject,
 * responseObject or objectRef member) as redact_event and redact_exec
 * redact it, and all of it (a Secret as `kubectl get -o json` prints it,
 * an AdmissionReview, a misrouted body) as a body without a hint, every
 * object recognised by its kind.  *count and the result as redact_event's.
 */
int redact_whole_value(json_t *value, const unsigned char *key, size_t keylen,
    unsigned long *count);

/*
 * redact_hint_of(h):
 * The hint (enum redact_hint) that an event's objectRef (in its head `h`)
 * gives its bodies.
 */
unsigned redact_hint_of(const struct head *h);

/*
 * redact_kind_hint(kind):
 * The hint that an object of kind `kind` (may be NULL) gives itself; a
 * list's kind (SecretList) gives its items' hint, to it and its items.
 */
unsigned redact_kind_hint(const char *kind);

/*
 * redact_hinted_member(body_hint, hint, key, len):
 * True when redaction may change member `key` (`len` bytes) of an object
 * whatever the member holds, because of the object's hints: `body_hint`
 * from the request (redact_hint_of; it also reaches a list's `items` and
 * a Table's `rows`) and `hint` from the object's own kind
 * (redact_kind_hint; a list's kind reaches its items and rows).  Any
 * other member can only change where redact_may_change() finds something
 * in its text.
 */
bool redact_hinted_member(unsigned body_hint, unsigned hint, const char *key,
    size_t len);

/*
 * redact_may_change(s, len):
 * False when redaction, without a hint, provably leaves the JSON text (or
 * embedded JSON text) `s` of `len` bytes as it is: none of the kind names,
 * annotation names or the "env" key it acts on appears there, nor a \u
 * escape that could spell one.  Never fails.
 */
bool redact_may_change(const char *s, size_t len);

#endif /* !REDACT_H */
