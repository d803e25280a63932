/*
 * wake: rsyslogd's own start message, handed to the plugin to start it.
 *
 * omprog starts the plugin only with the first message rsyslog hands it.
 * What the plugin keeps itself (a line accepted ahead or spooled at a stop,
 * the read window saved for a new analysisd) would wait in its spool after
 * a restart until the next batch arrives.  So the receiver's drop-in routes
 * rsyslogd's start message (processInternalMessages="on") into the plugin's
 * queue: the plugin answers it OK, carrying nothing, and its periodic work
 * sends what it keeps at once.
 */
#ifndef WAKE_H
#define WAKE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * wake_line(line, len):
 * Whether the len bytes at line are exactly rsyslogd's start message,
 * `[origin software="rsyslogd" swVersion="V" x-pid="N" x-info="U"] start`
 * (V and U without a quote, N digits), and nothing else: a line that only
 * begins or ends so is input like any other, so no event can hide behind
 * it.
 */
bool wake_line(const char *line, size_t len);

#endif /* !WAKE_H */
