/*
 * redact_text: redact the credentials inside a configuration text.
 *
 * A ConfigMap value is often a whole file (properties, YAML, INI) of which
 * only some lines are credentials.  Replacing just those values keeps the
 * rest readable and keeps the names ("aws_secret_access_key = ") that rules
 * match, while the secret itself never leaves.
 */
#ifndef REDACT_TEXT_H
#define REDACT_TEXT_H

#include <stddef.h>

/*
 * redact_text(key, keylen, text, len, out, outlen, count):
 * Copy `text` into a new NUL-terminated *out (caller frees; *outlen bytes)
 * with, on every line whose name part (before its first '=' or ':') looks
 * like a credential (cred_name_like), the value after it (past spaces)
 * replaced by a fingerprint marker, and the body of every PEM private key
 * replaced by one marker line (the BEGIN/END armour lines stay).  *count is
 * the number of values replaced; when 0, *out is still a faithful copy.
 * Returns 0, -ENOMEM or -EIO (libcrypto).
 */
int redact_text(const unsigned char *key, size_t keylen, const char *text,
    size_t len, char **out, size_t *outlen, unsigned long *count);

#endif /* !REDACT_TEXT_H */
