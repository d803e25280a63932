/*
 * derive_configmap: credentials kept in ConfigMaps.
 */
#ifndef DERIVE_CONFIGMAP_H
#define DERIVE_CONFIGMAP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "head.h"
#include "k8sobj.h"

/*
 * derive_configmap(o, h, event):
 * For configmaps (resource `configmaps` or kind ConfigMap) add
 * k8s.credential_keys: the keys of data/binaryData whose names look like
 * credentials (cred_name_like), and k8s.credential_value_keys: the other
 * data keys whose text assigns a credential or holds a private key.  Runs
 * before redaction, which hides those values.  Errors are recorded in `o`.
 */
void derive_configmap(struct k8sobj *o, const struct head *h,
    const json_t *event);

/*
 * configmap_key_is_credential(section, key, value):
 * True when ConfigMap key `key` of `section` ("data" or "binaryData") looks
 * like it holds a credential: its name looks like one (cred_name_like), or,
 * for "data", its string value assigns one ("password = ..." in a
 * properties file) or holds a PEM private key.  Never fails.
 */
bool configmap_key_is_credential(const char *section, const char *key,
    const json_t *value);

/*
 * configmap_text_is_credential(section, key, keylen, text, len):
 * configmap_key_is_credential for a key of `keylen` bytes whose value is
 * the string `text` of `len` bytes (NULL: the value is null).  Never fails.
 */
bool configmap_text_is_credential(const char *section, const char *key,
    size_t keylen, const char *text, size_t len);

#endif /* !DERIVE_CONFIGMAP_H */
