/*
 * probe: --check-confinement, the proof that confinement holds on this host.
 *
 * For each forbidden action a child process starts up exactly as the
 * service does (plugin_open: files, privilege drop, confinement) and then
 * tries the action; the parent, which stays as it was started, reports
 * what happened.  A child per probe is what lets a probe that the seccomp
 * filter kills (--confinement=strict) be reported like any other.
 */
#ifndef PROBE_H
#define PROBE_H

#include "options.h"

/*
 * probe_run(opts):
 * Run every probe under *opts and print one line per probe to stdout,
 * "denied (<why>)" or "ALLOWED".  Returns the exit status: 0 when every
 * action was denied, 1 when any was allowed or a child could not start up.
 */
int probe_run(const struct options *opts);

#endif /* !PROBE_H */
