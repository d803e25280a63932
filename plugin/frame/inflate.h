/*
 * inflate: gunzip a record, bounded against decompression bombs.
 */
#ifndef INFLATE_H
#define INFLATE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * One record inflates to at most this many bytes (CloudWatch Logs caps an
 * event at 1 MiB and a subscription record batches events up to Firehose's
 * 1,000 KiB record; 16 MiB leaves room without letting a bomb grow).
 */
#define INFLATE_MAX_OUT (16u << 20)
/* ... and at most this ratio to its compressed size, past 1 MiB out:
 * audit JSON compresses about 10 to 30 times; deflate's ceiling is 1032. */
#define INFLATE_MAX_RATIO 200
#define INFLATE_RATIO_FROM (1u << 20)

/* is_gzip(p, len): the bytes start with gzip's magic (RFC 1952, 2.3.1). */
bool is_gzip(const unsigned char *p, size_t len);

/*
 * gunzip(in, len, out, outlen, reason):
 * Decompress one whole gzip stream (RFC 1952; concatenated members too)
 * into a new NUL-terminated buffer *out (caller frees) of *outlen bytes.
 * Returns 0; -EFBIG when the output would pass INFLATE_MAX_OUT or the
 * ratio bound; -EINVAL when the data is not one whole valid gzip stream
 * (truncated, bad checksum, trailing bytes); -ENOMEM.  *reason is set to
 * a static text on -EFBIG and -EINVAL.
 */
int gunzip(const unsigned char *in, size_t len, unsigned char **out,
    size_t *outlen, const char **reason);

#endif /* !INFLATE_H */
