/*
 * fsutil: small file-system helpers shared by the modules that keep files.
 */
#ifndef FSUTIL_H
#define FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

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
 * over `name`, then the directory is fsynced.  Mode 0600.  The temporary
 * file is always a new one (a link planted under its name is removed, not
 * followed).  Returns 0 or a negative errno; on error `name` is unchanged.
 */
int fsutil_replace(int dirfd, const char *name, const void *head,
    size_t headlen, const void *body, size_t bodylen);

/*
 * fsutil_replace_unsynced(dirfd, name, head, headlen, body, bodylen):
 * fsutil_replace without the fsyncs: as atomic (a reader finds the old
 * file or the whole new one, whenever the process dies), and as durable
 * as the kernel's page cache, that is against the death of any process
 * but not against a power cut or a crash of the kernel.  For what rsyslog
 * keeps no more durably itself (a Disk queue without syncQueueFiles).
 */
int fsutil_replace_unsynced(int dirfd, const char *name, const void *head,
    size_t headlen, const void *body, size_t bodylen);

/*
 * fsutil_replace_begin(dirfd, name), fsutil_replace_end(dirfd, name, fd, rc):
 * fsutil_replace in two steps, for a caller that writes the file piece by
 * piece: _begin returns the new temporary file's descriptor (or a negative
 * errno); _end takes it back with the caller's result rc (0 or a negative
 * errno) and closes it: when rc is 0 the file is fsynced, renamed over
 * `name` and the directory fsynced, else (or on any error there) it is
 * removed and `name` left unchanged.  Returns 0 or a negative errno (rc
 * when it was one).
 */
int fsutil_replace_begin(int dirfd, const char *name);
int fsutil_replace_end(int dirfd, const char *name, int fd, int rc);

/*
 * fsutil_read(dirfd, name, max, out, outlen):
 * Read the whole file `name` (at most `max` bytes) into a malloc'd buffer
 * that the caller frees, NUL-terminated; opened as fsutil_open_file.
 * Returns 0, -EFBIG above `max`, or a negative errno.
 */
int fsutil_read(int dirfd, const char *name, size_t max, char **out,
    size_t *outlen);

/*
 * fsutil_open_dir(path, mode, user, created):
 * Open the directory `path` for openat(2), creating it (with `mode`) and
 * its missing parents.  Its last component is never followed when it is a
 * symbolic link (-ELOOP or -ENOTDIR).  The directory must be owned by root,
 * the effective user or `user` (the one the plugin will run as) and not be
 * writable by group or others (-EPERM): a link planted in it would
 * otherwise be opened by root.  *created tells whether this call made it.
 * Returns the descriptor (close-on-exec) or a negative errno.
 */
int fsutil_open_dir(const char *path, mode_t mode, uid_t user, bool *created);

/*
 * fsutil_open_file(dirfd, name, flags, mode, created):
 * openat(2) of `name` in `dirfd` with `flags` (O_RDONLY, or O_WRONLY with
 * O_APPEND/O_CREAT), made safe for a process that may be root: a symbolic
 * link is not followed (-ELOOP), a FIFO does not block, and anything but a
 * regular file with a single link (a FIFO, a device, a hard link to another
 * file) is refused with -EINVAL.  With O_CREAT, *created (if not NULL)
 * tells whether this call made the file (with `mode`).  Returns the
 * descriptor (close-on-exec, blocking) or a negative errno.
 */
int fsutil_open_file(int dirfd, const char *name, int flags, mode_t mode,
    bool *created);

/*
 * fsutil_split(path, dir, dircap, name):
 * The directory holding `path` into dir[dircap] ("." without a slash) and
 * a pointer to its last component into *name.  Returns 0, -EINVAL for a
 * path ending in '/', or -ENAMETOOLONG.
 */
int fsutil_split(const char *path, char *dir, size_t dircap,
    const char **name);

#endif /* !FSUTIL_H */
