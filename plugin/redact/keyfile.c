/*
 * keyfile: the host-local key behind redaction fingerprints.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"

/* Create every missing parent directory of `path` with mode 0700. */
static int make_parents(const char *path)
{
	char dir[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof dir)
		return -ENAMETOOLONG;
	memcpy(dir, path, len + 1);
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

static int fill_random(unsigned char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = getrandom(buf + done, len - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

static int write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Create `path` with a fresh key; -EEXIST when another process won. */
static int create_key(const char *path, size_t keylen)
{
	unsigned char *key = malloc(keylen ? keylen : 1);
	int fd, rc;

	if (key == NULL)
		return -ENOMEM;
	rc = make_parents(path);
	if (rc == 0)
		rc = fill_random(key, keylen);
	if (rc != 0) {
		free(key);
		return rc;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		free(key);
		return rc;
	}
	rc = write_all(fd, key, keylen);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	explicit_bzero(key, keylen);
	free(key);
	if (rc != 0)
		unlink(path);	/* a short key must not be found next time */
	return rc;
}

static int read_all(int fd, unsigned char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EINVAL;	/* shorter than a key */
		done += (size_t)n;
	}
	return 0;
}

static int read_key(const char *path, unsigned char *key, size_t keylen)
{
	struct stat st;
	int fd, rc;

	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer
	 * forever, before rsyslog ever got its OK; S_ISREG refuses it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY |
	    O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	/* A key others can read (or write) is no longer a local secret; read
	 * as root, a link (symbolic or hard) or another owner's file may be
	 * a file the dropped user chose. */
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0 ||
	    st.st_nlink != 1 || st.st_uid != geteuid()) {
		close(fd);
		return -EINVAL;
	}
	rc = read_all(fd, key, keylen);
	close(fd);
	return rc;
}

int keyfile_load(const char *path, unsigned char *key, size_t keylen)
{
	int rc;

	if (path == NULL || key == NULL)
		return -EINVAL;
	rc = read_key(path, key, keylen);
	if (rc != -ENOENT)
		return rc;
	rc = create_key(path, keylen);
	/* -EEXIST: another instance created it first; use theirs. */
	if (rc != 0 && rc != -EEXIST)
		return rc;
	return read_key(path, key, keylen);
}
