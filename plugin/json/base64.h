/*
 * base64: decoding standard base64 (RFC 4648 section 4), as Firehose and
 * Pub/Sub write record data and as Kubernetes writes a Secret's `data`.
 */
#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>

/*
 * base64_decode(text, len, out):
 * Decode `len` bytes of padded standard base64 (a multiple of 4, `=` only
 * as the last one or two) into `out`, which has room for len / 4 * 3
 * bytes.  Returns the decoded length, or -1 when `text` is not that.
 */
long base64_decode(const char *text, size_t len, unsigned char *out);

#endif /* !BASE64_H */
