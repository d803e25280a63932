/* Unit tests of plugin/deliver/spool.c: entries survive a reopen, in order, with
 * their progress; completed lines are remembered. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spool.h"
#include "tap.h"

static void
digest_of(const char *s, unsigned char d[SPOOL_DIGEST_LEN])
{
	spool_digest(s, strlen(s), d);
}

struct got {
	size_t n, total, authentic;
	char last[64];
};

static int
keep(void *arg, const char *bytes, size_t len, bool authentic)
{
	struct got *g = arg;

	g->n++;
	g->authentic += authentic;
	g->total += len;
	snprintf(g->last, sizeof(g->last), "%.*s", (int)len, bytes);
	return 0;
}

int
main(void)
{
	struct iovec dg[3] = {
		{ "1:k8s:{\"a\":1}", 13 },
		{ "1:k8s:{\"b\":22}", 14 },
		{ "1:k8s:{\"c\":\"x\ny\"}", 17 },
	};
	struct got got = { 0, 0, 0, "" };
	static const unsigned char key[32] = { 7 };
	struct pollfd pfd;
	char path[128], fifo[160], c;
	int fds[2];
	pid_t pid = -1;
	FILE *f;

	char dir[] = "/tmp/wka-spool-XXXXXX";
	char sub[64], big[400];
	unsigned char d1[SPOOL_DIGEST_LEN], d2[SPOOL_DIGEST_LEN];
	struct spool sp;
	size_t len, events;
	char *line;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	digest_of("line one", d1);
	digest_of("line two\nwith a newline inside", d2);
	ok(memcmp(d1, d2, SPOOL_DIGEST_LEN) != 0, "digests differ");

	ok(spool_open(&sp, sub, 1024, getuid()) == 0 && sp.count == 0,
	    "a missing spool directory is created, empty");
	ok(spool_add(&sp, "line one", 8, d1, 0) == 0, "first entry saved");
	ok(spool_add(&sp, "line two\nwith a newline inside", 30, d2, 7) == 0,
	    "second entry saved");
	spool_close(&sp);

	ok(spool_open(&sp, sub, 1024, getuid()) == 0 && sp.count == 2, "reopened: two "
	    "entries");
	ok(spool_find(&sp, d1) == 0 && spool_find(&sp, d2) == 1,
	    "found by digest, oldest first");
	ok(sp.entries[1].delivered == 7, "progress kept");
	ok(spool_load(&sp, 1, &line, &len) == 0 && len == 30 &&
	    memcmp(line, "line two\nwith a newline inside", 30) == 0,
	    "line bytes kept exactly");
	free(line);
	sp.entries[0].delivered = 3;
	ok(spool_update(&sp, 0) == 0, "progress updated");
	ok(spool_done(&sp, 1, 9) == 0 && sp.count == 1, "done entry removed");
	ok(spool_recent_events(&sp, d2, &events) && events == 9,
	    "done line remembered with its event count");
	ok(!spool_recent_events(&sp, d1, &events), "pending line not recent");
	spool_close(&sp);

	ok(spool_open(&sp, sub, 1024, getuid()) == 0 && sp.count == 1 &&
	    sp.entries[0].delivered == 3, "reopened: updated progress kept");
	ok(spool_recent_events(&sp, d2, &events) && events == 9,
	    "recent lines survive a reopen");
	memset(big, 'x', sizeof(big));
	ok(spool_add(&sp, big, sizeof(big), d2, 0) == 0 &&
	    strcmp(sp.entries[1].name, sp.entries[0].name) > 0,
	    "new entries sort after old ones");
	spool_close(&sp);

	/* A line accepted ahead (deliver.h): an entry like any other, whether
	 * fsynced or not; forgotten once delivered, not remembered. */
	{
		unsigned char d3[SPOOL_DIGEST_LEN];
		char name[SPOOL_NAME_LEN];

		digest_of("line three", d3);
		ok(spool_open(&sp, sub, 1024, getuid()) == 0 &&
		    spool_accept(&sp, "line three", 10, false) == 0 &&
		    sp.count == 3 && sp.entries[2].delivered == 0 &&
		    spool_find(&sp, d3) == -1,
		    "a line accepted ahead, unsynced: a third entry, its digest "
		    "not computed");
		spool_close(&sp);
		line = NULL;	/* not loaded if a check before fails */
		ok(spool_open(&sp, sub, 1024, getuid()) == 0 && sp.count == 3 &&
		    spool_find(&sp, d3) == 2 && spool_load(&sp, 2, &line,
		    &len) == 0 && len == 10 && memcmp(line, "line three", 10) == 0,
		    "reopened: it is there, whole, after the older ones, found "
		    "by its digest (computed at the start)");
		free(line);
		ok(spool_forget(&sp, 2) == 0 && sp.count == 2 &&
		    !spool_recent_events(&sp, d3, &events),
		    "forgotten once delivered: gone, not remembered");
		spool_close(&sp);
		ok(spool_open(&sp, sub, 1024, getuid()) == 0 && sp.count == 2 &&
		    spool_find(&sp, d3) == -1 && !spool_may_know(&sp, 10),
		    "reopened: not there, and not known as delivered");
		ok(spool_accept(&sp, "line three", 10, true) == 0 &&
		    sp.count == 3, "accepted again, fsynced");
		snprintf(name, sizeof(name), "%s", sp.entries[2].name);
		ok(unlinkat(sp.dirfd, name, 0) == 0 &&
		    spool_forget(&sp, 2) == -ENOENT && sp.count == 2,
		    "its file gone already: the error, and the entry leaves");
		spool_close(&sp);
	}

	ok(spool_open(&sp, sub, 4, getuid()) == 0, "reopen with a smaller max line");
	ok(spool_load(&sp, 1, &line, &len) == -EFBIG, "an entry above max_line "
	    "is refused, not read");

	/* The datagrams analysisd may not have read, kept across a restart. */
	ok(spool_load_unread(&sp, keep, &got) == 0 && got.n == 0,
	    "no unread file: nothing");
	ok(spool_save_unread(&sp, dg, 3) == -EINVAL, "no key: nothing saved");
	spool_set_key(&sp, key, sizeof(key));
	ok(spool_save_unread(&sp, dg, 3) == 0, "3 unread datagrams saved");
	spool_close(&sp);
	ok(spool_open(&sp, sub, 4, getuid()) == 0 &&
	    (spool_set_key(&sp, key, sizeof(key)), 1) &&
	    spool_load_unread(&sp, keep, &got) == 3 && got.n == 3 &&
	    got.authentic == 3 &&
	    strcmp(got.last, "1:k8s:{\"c\":\"x\ny\"}") == 0 &&
	    got.total == dg[0].iov_len + dg[1].iov_len + dg[2].iov_len,
	    "reopened: the 3, in order, bytes intact (newline inside)");
	ok(spool_load_unread(&sp, keep, &got) == 3, "the file stays until "
	    "replaced");
	got.n = got.authentic = 0;
	spool_set_key(&sp, (const unsigned char *)"another key", 11);
	ok(spool_load_unread(&sp, keep, &got) == 3 && got.authentic == 0,
	    "under another key: none authentic");
	spool_set_key(&sp, key, sizeof(key));
	ok(spool_save_unread(&sp, NULL, 0) == 0 &&
	    spool_load_unread(&sp, keep, &got) == 0, "removed: nothing");
	ok(spool_save_unread(&sp, NULL, 0) == 0, "removing it twice is fine");

	/* The read window, with the analysisd that read it. */
	{
		struct spool_peer peer = { 2049, 1234567, 1765000000123456789LL },
		    back = { 0, 0, 0 };

		got.n = got.authentic = 0;
		got.total = 0;
		ok(spool_load_read(&sp, &back, keep, &got) == 0 && got.n == 0,
		    "no read file: nothing");
		ok(spool_save_read(&sp, &peer, dg, 3) == 0, "read window saved");
		spool_close(&sp);
		ok(spool_open(&sp, sub, 4, getuid()) == 0 &&
		    (spool_set_key(&sp, key, sizeof(key)), 1) &&
		    spool_load_read(&sp, &back, keep, &got) == 3 &&
		    got.authentic == 3 && back.dev == peer.dev &&
		    back.ino == peer.ino && back.ctime_ns == peer.ctime_ns &&
		    strcmp(got.last, "1:k8s:{\"c\":\"x\ny\"}") == 0,
		    "reopened: the 3 and the socket's identity");
		ok(spool_load_unread(&sp, keep, &got) == 0,
		    "not taken for the unread file");
		got.authentic = 0;
		spool_set_key(&sp, (const unsigned char *)"another key", 11);
		ok(spool_load_read(&sp, &back, keep, &got) == 3 &&
		    got.authentic == 0, "under another key: none authentic");
		spool_set_key(&sp, key, sizeof(key));
		ok(spool_save_read(&sp, &peer, NULL, 0) == 0 &&
		    spool_load_read(&sp, &back, keep, &got) == 0,
		    "an empty window: no file");
	}
	spool_close(&sp);

	snprintf(path, sizeof(path), "%s/unread", sub);
	/* Written by someone else: lengths right, MACs wrong or absent. */
	f = fopen(path, "w");
	fputs("wka-unread 2 1\n13 "
	    "0000000000000000000000000000000000000000000000000000000000000000\n"
	    "1:sshd:forged", f);
	fclose(f);
	got.n = got.authentic = 0;
	ok(spool_open(&sp, sub, 4, getuid()) == 0 &&
	    (spool_set_key(&sp, key, sizeof(key)), 1) &&
	    spool_load_unread(&sp, keep, &got) == 1 && got.authentic == 0,
	    "a forged MAC: passed as not authentic");
	spool_close(&sp);
	f = fopen(path, "w");
	fputs("wka-unread 1 1\n13\n1:sshd:forged", f);
	fclose(f);
	got.n = got.authentic = 0;
	ok(spool_open(&sp, sub, 4, getuid()) == 0 &&
	    (spool_set_key(&sp, key, sizeof(key)), 1) &&
	    spool_load_unread(&sp, keep, &got) == 1 && got.authentic == 1,
	    "a version 1 file (an older plugin's, no MAC): trusted as its "
	    "verified directory is");
	spool_close(&sp);
	/* Planted where root reads at start: no wait, no follow. */
	alarm(10);
	unlink(path);
	ok(mkfifo(path, 0600) == 0 && spool_open(&sp, sub, 4, getuid()) == 0 &&
	    spool_load_unread(&sp, keep, &got) == -EINVAL,
	    "a FIFO as the unread file: refused at once");
	spool_close(&sp);
	snprintf(fifo, sizeof(fifo), "%s/delivered", sub);
	rename(fifo, path);
	ok(mkfifo(fifo, 0600) == 0 && spool_open(&sp, sub, 4, getuid()) == 0,
	    "a FIFO as the delivered file: ignored");
	spool_close(&sp);
	unlink(fifo);
	rename(path, fifo);
	snprintf(fifo, sizeof(fifo), "%s/0000000000000099.line", sub);
	ok(mkfifo(fifo, 0600) == 0 && spool_open(&sp, sub, 4, getuid()) == 0 &&
	    sp.count == 2, "a FIFO as an entry: skipped");
	spool_close(&sp);
	unlink(fifo);
	alarm(0);
	snprintf(fifo, sizeof(fifo), "%s/link", dir);
	ok(symlink(sub, fifo) == 0 && spool_open(&sp, fifo, 4, getuid()) < 0,
	    "a symbolic link as the directory: refused");
	unlink(fifo);
	chmod(sub, 0777);
	ok(spool_open(&sp, sub, 4, getuid()) == -EPERM,
	    "a directory others can write: refused (-EPERM)");
	chmod(sub, 0700);

	f = fopen(path, "w");
	fputs("wka-unread 1 2\n5\nabcde3\nab", f);
	fclose(f);
	ok(spool_open(&sp, sub, 4, getuid()) == 0 &&
	    spool_load_unread(&sp, keep, &got) == -EBADMSG,
	    "a cut unread file: -EBADMSG");
	ok(access(path, F_OK) == 0, "... and left in place");
	spool_close(&sp);

	/* One owner at a time: a second process waits for the first. */
	ok(spool_open(&sp, sub, 4, getuid()) == 0, "opened (locked)");
	if (pipe(fds) == 0 && (pid = fork()) == 0) {
		struct spool other;
		char answer;

		/* what exec does to the parent's O_CLOEXEC descriptor */
		close(sp.dirfd);
		answer = spool_open(&other, sub, 4, getuid()) == 0 ? 'y' : 'n';

		(void)!write(fds[1], &answer, 1);
		_exit(0);
	}
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	ok(poll(&pfd, 1, 300) == 0, "a second opener waits while it is held");
	spool_close(&sp);
	ok(poll(&pfd, 1, 5000) == 1 && read(fds[0], &c, 1) == 1 && c == 'y',
	    "and gets it once closed");
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return tap_done();
}
