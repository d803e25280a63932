/*
 * fds: descriptors the plugin did not open itself.
 */
#ifndef FDS_H
#define FDS_H

/*
 * fds_close_inherited():
 * Close every descriptor above 2 (stdin, stdout, stderr: rsyslog's pipes
 * and log), at start, before the plugin opens anything.  Whatever the
 * parent left open (a root-owned file, a socket) would otherwise survive
 * the privilege drop and the confinement, which only govern what is opened
 * after them.  Cannot fail in a way that matters: a descriptor that does
 * not close was not open.
 */
void fds_close_inherited(void);

#endif /* !FDS_H */
