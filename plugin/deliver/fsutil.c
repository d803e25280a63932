#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Create `dir` and its missing parents with `mode`: 0 (also when it
 * exists) or a negative errno. */
static int
mkdirs(const char *dir, mode_t mode)
{
	char path[PATH_MAX];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, mode) == -1 && errno != EEXIST)
			return -errno;
		path[i] = dir[i];
	}
	return 0;
}

int
fsutil_write_all(int fd, const void *bytes, size_t n)
{
	const char *p = bytes;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The temporary file of `name`: ".<name>.tmp". */
static int
tmp_name(const char *name, char tmp[NAME_MAX + 1])
{
	if (snprintf(tmp, NAME_MAX + 1, ".%s.tmp", name) >= NAME_MAX + 1)
		return -ENAMETOOLONG;
	return 0;
}

int
fsutil_replace_begin(int dirfd, const char *name)
{
	char tmp[NAME_MAX + 1];
	int fd, rc;

	if ((rc = tmp_name(name, tmp)) != 0)
		return rc;
	/* A leftover of a crash, or a link planted in its place: gone. */
	if (unlinkat(dirfd, tmp, 0) == -1 && errno != ENOENT)
		return -errno;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	return fd == -1 ? -errno : fd;
}

/* fsutil_replace_end, with the fsyncs only when `sync`. */
static int
replace_end(int dirfd, const char *name, int fd, int rc, bool sync)
{
	char tmp[NAME_MAX + 1];

	(void)tmp_name(name, tmp);	/* _begin checked it */
	if (rc == 0 && sync && fsync(fd) == -1)
		rc = -errno;
	if (close(fd) == -1 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(dirfd, tmp, dirfd, name) == -1)
		rc = -errno;
	if (rc != 0) {
		unlinkat(dirfd, tmp, 0);
		return rc;
	}
	return sync && fsync(dirfd) == -1 ? -errno : 0;
}

int
fsutil_replace_end(int dirfd, const char *name, int fd, int rc)
{
	return replace_end(dirfd, name, fd, rc, true);
}

/* fsutil_replace, fsynced or not. */
static int
replace(int dirfd, const char *name, const void *head, size_t headlen,
    const void *body, size_t bodylen, bool sync)
{
	int fd, rc;

	if ((fd = fsutil_replace_begin(dirfd, name)) < 0)
		return fd;
	rc = fsutil_write_all(fd, head, headlen);
	if (rc == 0)
		rc = fsutil_write_all(fd, body, bodylen);
	return replace_end(dirfd, name, fd, rc, sync);
}

int
fsutil_replace(int dirfd, const char *name, const void *head,
    size_t headlen, const void *body, size_t bodylen)
{
	return replace(dirfd, name, head, headlen, body, bodylen, true);
}

int
fsutil_replace_unsynced(int dirfd, const char *name, const void *head,
    size_t headlen, const void *body, size_t bodylen)
{
	return replace(dirfd, name, head, headlen, body, bodylen, false);
}

int
fsutil_read(int dirfd, const char *name, size_t max, char **out,
    size_t *outlen)
{
	struct stat st;
	char *buf;
	ssize_t r;
	size_t got = 0;
	int fd, rc = 0;

	if ((fd = fsutil_open_file(dirfd, name, O_RDONLY, 0, NULL)) < 0)
		return fd;
	if (fstat(fd, &st) == -1 || st.st_size < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if ((size_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r == 0 ? -EIO : -errno;
			break;
		}
		got += (size_t)r;
	}
	close(fd);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	buf[got] = '\0';
	*out = buf;
	*outlen = got;
	return 0;
}

int
fsutil_split(const char *path, char *dir, size_t dircap, const char **name)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		if (dircap < 2)
			return -ENAMETOOLONG;
		strcpy(dir, ".");
		*name = path;
		return 0;
	}
	if (slash[1] == '\0')
		return -EINVAL;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= dircap)
		return -ENAMETOOLONG;
	memcpy(dir, path, n);
	dir[n] = '\0';
	*name = slash + 1;
	return 0;
}

/* Owned by root, us or `user`, and nobody else may add a name to it. */
static int
check_dir(int fd, uid_t user)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return -errno;
	if (st.st_uid != 0 && st.st_uid != geteuid() && st.st_uid != user)
		return -EPERM;
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return -EPERM;
	return 0;
}

int
fsutil_open_dir(const char *path, mode_t mode, uid_t user, bool *created)
{
	char parent[PATH_MAX];
	const char *name;
	int pfd, fd, rc;

	*created = false;
	if ((rc = fsutil_split(path, parent, sizeof(parent), &name)) != 0)
		return rc;
	/* The parents are the admin's layout (/var/run may be a link);
	 * only the directory itself must not be one. */
	if ((rc = mkdirs(parent, mode)) != 0)
		return rc;
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd == -1)
		return -errno;
	if (mkdirat(pfd, name, mode) == 0)
		*created = true;
	else if (errno != EEXIST) {
		rc = -errno;
		close(pfd);
		return rc;
	}
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	rc = fd == -1 ? -errno : 0;
	close(pfd);
	if (rc == 0 && (rc = check_dir(fd, user)) != 0)
		close(fd);
	return rc == 0 ? fd : rc;
}

int
fsutil_open_file(int dirfd, const char *name, int flags, mode_t mode,
    bool *created)
{
	int base = flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	struct stat st;
	int fd, rc = 0;

	if (created != NULL)
		*created = false;
	/* Tell a file we make from one we find: only the first may be
	 * handed to another user. */
	fd = -1;
	if ((flags & O_CREAT) != 0) {
		fd = openat(dirfd, name, base | O_EXCL, mode);
		if (fd != -1 && created != NULL)
			*created = true;
		if (fd == -1 && errno != EEXIST)
			return -errno;
	}
	if (fd == -1)
		fd = openat(dirfd, name, base & ~O_CREAT, mode);
	if (fd == -1)
		/* A FIFO without a reader refuses a writer with ENXIO. */
		return errno == ENXIO ? -EINVAL : -errno;
	if (fstat(fd, &st) == -1)
		rc = -errno;
	else if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
		rc = -EINVAL;
	else if (fcntl(fd, F_SETFL, flags & (O_APPEND)) == -1)
		rc = -errno;
	if (rc != 0) {
		close(fd);
		return rc;
	}
	return fd;
}
