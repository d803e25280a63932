/*
 * fwdopts: the command line of wazuh-k8s-audit-forward, the node's omprog
 * program (rsyslog.d/node/58-wazuh-k8s-audit-node.conf.in).
 */
#ifndef FWDOPTS_H
#define FWDOPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "relpconn.h"

#define FWD_MAX_TARGETS 8

struct fwd_options {
	struct relp_target targets[FWD_MAX_TARGETS];
	size_t ntargets;
	const char *ca, *cert, *key;
	const char *spool_dir;
	unsigned window;
	size_t window_bytes;
	size_t hold_bytes;
	int timeout_ms;
	int ack_timeout_ms;
	int return_after_ms;
	size_t max_line;
	const char *user;	/* NULL: wazuh-k8s-audit, else nobody */
	bool allow_root;
};

enum fwd_parse {
	FWD_RUN,		/* *o is complete */
	FWD_EXIT_OK,		/* --help or --version was printed */
	FWD_EXIT_USAGE		/* an error was printed to stderr */
};

/*
 * fwd_options_parse(argc, argv, o):
 * Fill *o from the command line (pointers into argv).  Targets are
 * --target HOST:PORT ([V6]:PORT too), each optionally followed by
 * --name DNS-NAME (the name its certificate carries; default HOST, which
 * must then be a name, not an address).
 */
enum fwd_parse fwd_options_parse(int argc, char *argv[],
    struct fwd_options *o);

#endif /* !FWDOPTS_H */
