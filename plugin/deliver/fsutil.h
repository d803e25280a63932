/*
 * fsutil: small file-system helpers shared by the modules that keep files.
 */
#ifndef FSUTIL_H
#define FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/*
 * fsutil_mkdirs(dir, mode):
 * Create `dir` and its missing parents with `mode`.  Returns 0 (also when it
 * exists) or a negative errno.
 */
int fsutil_mkdirs(const char *dir, mode_t mode);

/*
 * fsutil_mkparent(path, mode):
 * Create the directory that holds `path`, as fsutil_mkdirs.
 */
int fsutil_mkparent(const char *path, mode_t mode);

/*
 * fsutil_write_all(fd, bytes, n):
 * Write all `n` bytes, retrying short writes and EINTR.  Returns 0 or a
 * negative errno.
 */
int fsutil_write_all(int fd, const void *bytes, size_t n);

/*
 * fsutil_replace(dirfd, name, head, headlen, body, bodylen):
 * Atomically make `name` in directory `dirfd` hold head followed by body,
 * durable before returning: a temporary file is written, fsynced and renamed
 * over `name`, then the directory is fsynced.  Mode 0600.  Returns 0 or a
 * negative errno; on error `name` is unchanged.
 */
int fsutil_replace(int dirfd, const char *name, const void *head,
    size_t headlen, const void *body, size_t bodylen);

/*
 * fsutil_read(dirfd, name, max, out, outlen):
 * Read the whole file `name` (at most `max` bytes) into a malloc'd buffer
 * that the caller frees, NUL-terminated.  Returns 0, -EFBIG above `max`, or
 * a negative errno.
 */
int fsutil_read(int dirfd, const char *name, size_t max, char **out,
    size_t *outlen);

#endif /* !FSUTIL_H */
