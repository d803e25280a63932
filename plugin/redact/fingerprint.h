/*
 * fingerprint: the marker that replaces a redacted value.
 *
 * The marker is fixed text plus the first 16 hex digits of an HMAC-SHA256 of
 * the value under the host-local key: analysts can see that two events carry
 * the same secret without seeing it, and nobody without the key can test
 * guesses against the marker.
 */
#ifndef FINGERPRINT_H
#define FINGERPRINT_H

#include <stddef.h>

#include <openssl/types.h>

#define FINGERPRINT_PREFIX "[REDACTED hmac-sha256:"
#define FINGERPRINT_HEX 16
/* Length of a marker, without its NUL. */
#define FINGERPRINT_LEN (sizeof FINGERPRINT_PREFIX - 1 + FINGERPRINT_HEX + 1)

/*
 * fingerprint_marker(key, keylen, data, len, out):
 * Write into `out` the NUL-terminated marker
 * "[REDACTED hmac-sha256:<16 hex>]" for the `len` bytes at `data` (which may
 * be NULL when len is 0).  Returns 0, or -EIO when libcrypto fails.
 */
int fingerprint_marker(const unsigned char *key, size_t keylen,
    const void *data, size_t len, char out[FINGERPRINT_LEN + 1]);

/*
 * A fingerprinter makes many markers under one key: setting up the keyed
 * HMAC costs five times the MAC of a short value, and one body can hold
 * thousands of values to redact (issue 21, class 4).
 */
struct fingerprinter {
	const unsigned char *key;	/* not owned */
	size_t keylen;
	EVP_MAC_CTX *ctx;		/* owned: keyed on first use, or NULL */
};

/*
 * fingerprinter_init(f, key, keylen):
 * Make *f ready to make markers under `key` (not copied: it must outlive
 * *f).  Allocates nothing yet: never fails.
 */
void fingerprinter_init(struct fingerprinter *f, const unsigned char *key,
    size_t keylen);

/*
 * fingerprinter_marker(f, data, len, out):
 * fingerprint_marker under f's key.  Returns 0 or -EIO; *f stays usable
 * after an error.
 *
 * fingerprinter_marker_b64(f, text, len, out):
 * As fingerprinter_marker(), but when `text` is valid standard base64 (as
 * the values of a Secret's `data` are) the decoded bytes are
 * fingerprinted, so a secret written once through `data` and once through
 * `stringData` gets the same marker.  Text that is not base64 is
 * fingerprinted as it is.  Returns 0, -ENOMEM or -EIO.
 */
int fingerprinter_marker(struct fingerprinter *f, const void *data,
    size_t len, char out[FINGERPRINT_LEN + 1]);
int fingerprinter_marker_b64(struct fingerprinter *f, const char *text,
    size_t len, char out[FINGERPRINT_LEN + 1]);

/*
 * fingerprinter_begin(f), fingerprinter_update(f, data, len),
 * fingerprinter_end(f, out):
 * fingerprinter_marker of the concatenation of the pieces given to
 * fingerprinter_update between begin and end, for values streamed rather
 * than held as one text.  Each returns 0 or -EIO; after an error, call
 * fingerprinter_begin again before more pieces.
 */
int fingerprinter_begin(struct fingerprinter *f);
int fingerprinter_update(struct fingerprinter *f, const void *data,
    size_t len);
int fingerprinter_end(struct fingerprinter *f, char out[FINGERPRINT_LEN + 1]);

/* fingerprinter_free(f): release what *f holds. */
void fingerprinter_free(struct fingerprinter *f);

#endif /* !FINGERPRINT_H */
