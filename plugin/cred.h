/*
 * cred: recognise names that look like credentials.
 *
 * Shared by redaction (which ConfigMap values to hide) and the rule-ready
 * fields (k8s.credential_keys), so that both agree on what "looks like a
 * credential" means.
 */
#ifndef CRED_H
#define CRED_H

#include <stdbool.h>
#include <stddef.h>

/*
 * cred_name_like(name, len):
 * True when `name` (not NUL-terminated, `len` bytes) contains one of the
 * credential words (password, passwd, secret, token, accesskey, apikey,
 * privatekey, passphrase, credential), compared case-insensitively and
 * ignoring '-', '_', '.' and spaces, so "AWS_ACCESS_KEY_ID", "api-key" and
 * "client.secret" all match.  Only the first CRED_NAME_MAX bytes are looked
 * at.  Never fails.
 */
bool cred_name_like(const char *name, size_t len);

#define CRED_NAME_MAX 256

/*
 * cred_text_assigns(text, len):
 * True when some line of `text` assigns a credential-looking name, that is
 * the part of the line before its first '=' or ':' satisfies
 * cred_name_like() ("aws_secret_access_key = X", "password: X",
 * "\"token\": \"X\"").  Lines without '=' or ':' never match.  Never fails.
 */
bool cred_text_assigns(const char *text, size_t len);

/*
 * cred_text_private_key(text, len):
 * True when `text` holds a PEM private key ("-----BEGIN ... PRIVATE
 * KEY-----").  Never fails.
 */
bool cred_text_private_key(const char *text, size_t len);

/* The PEM armour that cred_text_private_key() looks for. */
#define CRED_PEM_BEGIN "-----BEGIN "
#define CRED_PEM_KEY "PRIVATE KEY-----"
#define CRED_PEM_END "-----END "

#endif /* !CRED_H */
