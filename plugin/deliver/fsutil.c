#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
fsutil_mkdirs(const char *dir, mode_t mode)
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
fsutil_mkparent(const char *path, mode_t mode)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL || slash == path)
		return 0;
	n = (size_t)(slash - path);
	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return fsutil_mkdirs(dir, mode);
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

int
fsutil_replace(int dirfd, const char *name, const void *head,
    size_t headlen, const void *body, size_t bodylen)
{
	char tmp[NAME_MAX + 1];
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		return -errno;
	rc = fsutil_write_all(fd, head, headlen);
	if (rc == 0)
		rc = fsutil_write_all(fd, body, bodylen);
	if (rc == 0 && fsync(fd) == -1)
		rc = -errno;
	if (close(fd) == -1 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(dirfd, tmp, dirfd, name) == -1)
		rc = -errno;
	if (rc != 0) {
		unlinkat(dirfd, tmp, 0);
		return rc;
	}
	return fsync(dirfd) == -1 ? -errno : 0;
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

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC)) == -1)
		return -errno;
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
