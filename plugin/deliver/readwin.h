/*
 * readwin: the read window (sink.h) across a restart of the plugin.
 *
 * What analysisd read but may not have finished is as much ours as what
 * it did not read: at end of input the window is saved in the spool's
 * `read` file with the identity of the socket file of the analysisd that
 * read it (device, inode, change time), and held again at the next start.
 * It goes again only if the socket turns out to be another analysisd's
 * (it restarted while we were away); the same analysisd gets none of it.
 */
#ifndef READWIN_H
#define READWIN_H

#include "plugin.h"

/*
 * readwin_load(pl):
 * At start, before deliver_load_unread: hold the last process's read
 * window (its datagrams with a valid HMAC for our location; others are
 * logged and dropped: analysisd had them already, and they are not ours),
 * naming its analysisd as the sink's peer.  A damaged file is logged and
 * what could be read is held.  Returns 0, or -ENOMEM.
 */
int readwin_load(struct plugin *pl);

/*
 * readwin_save(pl):
 * At end of input, after the unread datagrams are saved: make the read
 * file hold the window as it is now (none: no file).  Returns 0 or a
 * negative errno (logged).
 */
int readwin_save(struct plugin *pl);

#endif /* !READWIN_H */
