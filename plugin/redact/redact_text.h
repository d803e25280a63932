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

#include "fingerprint.h"

/*
 * redact_text(fp, text, len, out, outlen, count):
 * Copy `text` into a new NUL-terminated *out (caller frees; *outlen bytes)
 * with every credential value that cred_text_next finds (assigned to a
 * credential-looking name anywhere on a line, a URL's password, the body
 * of a private key between its armour lines) replaced by a fingerprint
 * marker made by `fp`.  *count is the number of values replaced; when 0,
 * *out is still a faithful copy.  A text with more than
 * REDACT_TEXT_MAX_VALUES values to replace is no configuration file but
 * made to cost a fingerprint per few bytes: -E2BIG, and *out holds nothing
 * (the caller replaces the text whole, one fingerprint for all of it).
 * Returns 0, -E2BIG, -ENOMEM or -EIO (libcrypto).
 */
#define REDACT_TEXT_MAX_VALUES 256

int redact_text(struct fingerprinter *fp, const char *text, size_t len,
    char **out, size_t *outlen, unsigned long *count);

#endif /* !REDACT_TEXT_H */
