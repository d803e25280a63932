/*
 * fingerprint: the marker that replaces a redacted value.
 */
#include "fingerprint.h"

#include "base64.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

void fingerprinter_init(struct fingerprinter *f, const unsigned char *key,
    size_t keylen)
{
	f->key = key;
	f->keylen = keylen;
	f->ctx = NULL;
}

void fingerprinter_free(struct fingerprinter *f)
{
	EVP_MAC_CTX_free(f->ctx);
	f->ctx = NULL;
}

/* f->ctx, keyed; NULL when libcrypto fails. */
static EVP_MAC_CTX *keyed(struct fingerprinter *f)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		    (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac;

	if (f->ctx != NULL)
		return f->ctx;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return NULL;
	f->ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);	/* the context holds its own reference */
	if (f->ctx != NULL && EVP_MAC_init(f->ctx, f->key, f->keylen,
	    params) != 1)
		fingerprinter_free(f);
	return f->ctx;
}

int fingerprinter_begin(struct fingerprinter *f)
{
	EVP_MAC_CTX *ctx = keyed(f);

	/* A NULL key re-keys with the key set first: no key schedule. */
	return ctx != NULL && EVP_MAC_init(ctx, NULL, 0, NULL) == 1 ? 0 : -EIO;
}

int fingerprinter_update(struct fingerprinter *f, const void *data,
    size_t len)
{
	static const unsigned char empty[1];

	return EVP_MAC_update(f->ctx, data ? data : empty, len) == 1 ? 0 : -EIO;
}

int fingerprinter_end(struct fingerprinter *f, char out[FINGERPRINT_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t n = sizeof FINGERPRINT_PREFIX - 1, maclen = 0;

	if (EVP_MAC_final(f->ctx, mac, &maclen, sizeof mac) != 1 ||
	    maclen < FINGERPRINT_HEX / 2)
		return -EIO;
	memcpy(out, FINGERPRINT_PREFIX, n);
	for (size_t i = 0; i < FINGERPRINT_HEX / 2; i++) {
		out[n++] = hex[mac[i] >> 4];
		out[n++] = hex[mac[i] & 0xf];
	}
	out[n++] = ']';
	out[n] = '\0';
	return 0;
}

int fingerprinter_marker(struct fingerprinter *f, const void *data,
    size_t len, char out[FINGERPRINT_LEN + 1])
{
	if (fingerprinter_begin(f) != 0 ||
	    fingerprinter_update(f, data, len) != 0)
		return -EIO;
	return fingerprinter_end(f, out);
}

int fingerprint_marker(const unsigned char *key, size_t keylen,
    const void *data, size_t len, char out[FINGERPRINT_LEN + 1])
{
	struct fingerprinter f;
	int rc;

	fingerprinter_init(&f, key, keylen);
	rc = fingerprinter_marker(&f, data, len, out);
	fingerprinter_free(&f);
	return rc;
}

int fingerprinter_marker_b64(struct fingerprinter *f, const char *text,
    size_t len, char out[FINGERPRINT_LEN + 1])
{
	unsigned char small[256], *raw = small;
	long n;
	int rc;

	if (len == 0)
		return fingerprinter_marker(f, text, len, out);
	if (len / 4 * 3 + 3 > sizeof small && (raw = malloc(len / 4 * 3 + 3)) ==
	    NULL)
		return -ENOMEM;
	n = base64_decode(text, len, raw);
	if (n < 0)
		rc = fingerprinter_marker(f, text, len, out);
	else
		rc = fingerprinter_marker(f, raw, (size_t)n, out);
	if (raw != small)
		free(raw);
	return rc;
}
