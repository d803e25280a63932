/*
 * plugin: the one context of a running wazuh-k8s-audit, and its main loop.
 */
#ifndef PLUGIN_H
#define PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "journal.h"
#include "jsonscan.h"
#include "lockdown.h"
#include "log.h"
#include "omprog.h"
#include "options.h"
#include "pace.h"
#include "reject.h"
#include "shape.h"
#include "sink.h"
#include "spool.h"
#include "stats.h"
#include "stopsig.h"

/* A line rsyslog handed us that is not fully delivered yet. */
struct held_line {
	bool valid;
	char *line;			/* owned copy */
	size_t len;
	unsigned char digest[SPOOL_DIGEST_LEN];
	size_t delivered;		/* events analysisd already has */
};

struct plugin {
	struct options opts;
	struct log log;
	struct stats stats;
	struct omprog io;
	struct stopsig stop;		/* SIGTERM, SIGINT, SIGHUP */
	struct sink sink;
	struct reject reject;
	struct spool spool;
	struct pace pace;
	struct shape_config shape;
	struct jscan scan;		/* reused line after line */
	char *copy;			/* deliver_line's copy of a line, */
	size_t copy_cap;		/* reused line after line */
	struct held_line held;
	struct journal journal;		/* --frame journal: partial lines */
	char journal_held[JOURNAL_STREAM_LEN + 1];	/* stream of the held
					 * line when put together, or "" */
	struct lockdown lockdown;	/* privileges and confinement */
	bool answering;			/* rsyslog waits for our answer */
	bool analysisd_down;		/* last try found it unavailable */
	bool kept_up;			/* the last line went out without
					 * waiting long for analysisd
					 * (deliver.h, accept ahead) */
	unsigned long long waited_us;	/* time spent waiting for analysisd:
					 * room in its socket, the socket
					 * back, the agent connected */
	size_t ahead_len;		/* bytes of the line accepted ahead,
					 * in `copy` until delivered */
	bool ahead;			/* delivering it (deliver_accepted) */
	bool ahead_input_ended;		/* ...and input ended meanwhile, */
	struct timespec input_ended;	/* then */
	bool unread_saved;		/* the spool's unread file exists */
	struct timespec last_dot;	/* last keep-alive dot */
	struct timespec next_stats;
	struct timespec next_spool_try;
	struct timespec next_held_check;	/* earliest next sink_settle */
	struct timespec next_reject_note;	/* earliest next log line about
						 * reject entries not written */
	unsigned long long reject_unnoted;	/* ... and how many since */
	size_t line_set_aside;		/* items of the current line set aside */
	char error[512];		/* answer for the last transient failure */
	char agent_state[4096];		/* wazuh-agentd's state file, through
					 * an agent (deliver_open_target) */
};

/*
 * plugin_open(pl, opts):
 * Set up every part from *opts (copied): the reject file, the spool, the
 * redaction key, the socket address; then, started as root, give the spool
 * and the reject file to the unprivileged user, become it and confine the
 * process (lockdown.h).  Nothing connects yet.  Returns 0, or a negative
 * errno after logging what failed: the process must then exit, as it may
 * be partly confined.
 */
int plugin_open(struct plugin *pl, const struct options *opts);

/*
 * plugin_run(pl):
 * Speak omprog's protocol on stdin/stdout until rsyslog closes stdin or a
 * stop signal arrives (stopsig.h), then save what is not delivered.
 * Returns the process exit status: 0 once everything is delivered or saved.
 */
int plugin_run(struct plugin *pl);

/* plugin_close(pl): release everything plugin_open made. */
void plugin_close(struct plugin *pl);

#endif /* !PLUGIN_H */
