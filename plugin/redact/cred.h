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
 * privatekey, passphrase, credential), compared case-insensitively and ignoring
 * '-', '_', '.' and spaces, so "AWS_ACCESS_KEY_ID", "api-key" and
 * "client.secret" all match, or ends with "pwd" (MYSQL_PWD; not PWD or
 * OLDPWD, the shell's directories).  Only the first CRED_NAME_MAX bytes
 * are looked at.  Never fails.
 */
bool cred_name_like(const char *name, size_t len);

#define CRED_NAME_MAX 256

/* One credential value inside a text: `len` bytes at offset `off`. */
struct cred_span {
	size_t off, len;
};

/*
 * cred_text_next(text, len, from, span):
 * Find the first credential value of `text` (`len` bytes) that starts at
 * or after offset `from`, wherever it is on its line:
 * - the value assigned to a credential-looking name (cred_name_like, or
 *   the whole name authorization or proxy-authorization, or a quoted
 *   "auth" as in a docker config) by '=' or ':', the name bare or quoted
 *   ("db.password = x",
 *   `{"user":"u","password":"x"}`, "{user: u, password: x}",
 *   "Authorization: Bearer x"): a quoted value up to its closing quote
 *   (backslash escapes skipped), any other up to the end of its line;
 *   values that open an object or array are not one, their members are;
 * - the password of a URL's user info ("postgres://u:x@h");
 * - the body of a PEM or PGP private key ("-----BEGIN ... PRIVATE KEY-----"
 *   or "... PRIVATE KEY BLOCK-----") up to "-----END " or the end of the
 *   text, without the newline next to each armour line; the newlines may
 *   be written "\n", as in a service-account key's JSON.
 * Returns true with the value's bytes in *span, else false.  Linear in the
 * bytes scanned.  Never fails.
 */
bool cred_text_next(const char *text, size_t len, size_t from,
    struct cred_span *span);

/*
 * cred_text_assigns(text, len):
 * True when `text` holds a credential value that cred_text_next finds (an
 * assigned credential, a URL's password, a private key).  Lines without
 * '=' or ':' assign nothing.  Never fails.
 */
bool cred_text_assigns(const char *text, size_t len);

#endif /* !CRED_H */
