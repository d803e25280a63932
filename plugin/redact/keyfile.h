/*
 * keyfile: the host-local key behind redaction fingerprints.
 */
#ifndef KEYFILE_H
#define KEYFILE_H

#include <stddef.h>

/*
 * keyfile_load(path, key, keylen):
 * Read exactly `keylen` bytes of key from `path` into `key`.  When `path`
 * does not exist, create it (mode 0600, parent directories 0700) with fresh
 * random bytes from the system's CSPRNG.  Returns 0, or a negative errno:
 * -EINVAL when the file is shorter than `keylen`, readable by group/others,
 * not owned by the effective user, or not a regular file with one link (a
 * FIFO or device is refused without blocking), -ELOOP for a symbolic link.
 */
int keyfile_load(const char *path, unsigned char *key, size_t keylen);

#endif /* !KEYFILE_H */
