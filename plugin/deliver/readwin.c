#include "readwin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What readwin_load's callback works with. */
struct readwin_load {
	struct plugin *pl;
	size_t refused;		/* not ours: dropped */
};

static int
take_datagram(void *arg, const char *bytes, size_t len, bool authentic)
{
	struct readwin_load *rl = arg;
	struct plugin *pl = rl->pl;
	int rc;

	if (!authentic || len < pl->sink.header_len ||
	    memcmp(bytes, pl->sink.header, pl->sink.header_len) != 0) {
		rl->refused++;
		return 0;
	}
	rc = sink_take(&pl->sink, bytes, len);
	/* No window (any more): nothing to hold. */
	return rc == -ENOBUFS ? 0 : rc;
}

int
readwin_load(struct plugin *pl)
{
	struct readwin_load rl = { pl, 0 };
	struct spool_peer peer = { 0, 0, 0 };
	int n = spool_load_read(&pl->spool, &peer, take_datagram, &rl);

	if (n < 0 && n != -EBADMSG)
		log_msg(&pl->log, LOG_ERR, "cannot read the spool's read file in "
		    "%s: %s", pl->opts.spool_dir, strerror(-n));
	else if (n == -EBADMSG)
		log_msg(&pl->log, LOG_ERR, "the spool's read file in %s is "
		    "damaged: %zu datagram(s) of it held", pl->opts.spool_dir,
		    sink_taken_count(&pl->sink));
	if (rl.refused > 0)
		log_msg(&pl->log, LOG_WARNING, "%zu datagram(s) of the spool's "
		    "read file without a valid HMAC or for another location: "
		    "dropped", rl.refused);
	if (sink_taken_count(&pl->sink) > 0 || n == -EBADMSG) {
		sink_set_peer(&pl->sink, peer.dev, peer.ino, peer.ctime_ns);
		log_msg(&pl->log, LOG_NOTICE, "%zu datagram(s) analysisd had read "
		    "before the last stop held: sent again if it was restarted "
		    "since", sink_taken_count(&pl->sink));
	}
	return n == -ENOMEM ? n : 0;
}

int
readwin_save(struct plugin *pl)
{
	struct spool_peer peer;
	struct iovec *d;
	size_t i, n = sink_taken_count(&pl->sink);
	int rc;

	if (!sink_peer(&pl->sink, &peer.dev, &peer.ino, &peer.ctime_ns))
		n = 0;
	if (n == 0)
		return spool_save_read(&pl->spool, &peer, NULL, 0);
	if ((d = calloc(n, sizeof(*d))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		d[i].iov_base = (void *)sink_taken(&pl->sink, i, &d[i].iov_len);
	rc = spool_save_read(&pl->spool, &peer, d, n);
	free(d);
	if (rc == 0)
		log_msg(&pl->log, LOG_NOTICE, "read window: %zu datagram(s) "
		    "analysisd had read kept in the spool", n);
	else
		log_msg(&pl->log, LOG_ERR, "cannot save the read window to the "
		    "spool %s: %s", pl->opts.spool_dir, strerror(-rc));
	return rc;
}
