/*
 * log: diagnostics to stderr (rsyslog's omprog `output=` file) or to the
 * journal with structured fields.
 */
#ifndef LOG_H
#define LOG_H

#include <syslog.h>

#include "options.h"

struct log {
	enum log_target target;
};

/*
 * log_msg(lg, priority, fmt, ...):
 * Write one diagnostic line at syslog `priority` (LOG_ERR, LOG_WARNING,
 * LOG_INFO...), its control characters (a line break, an escape quoted
 * from input) written as \xNN.  Never fails: a diagnostic that cannot be
 * written is lost, as stderr's are.
 */
void log_msg(const struct log *lg, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* !LOG_H */
