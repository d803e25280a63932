/*
 * options: the command line of wazuh-k8s-audit.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

enum log_target {
	LOG_TARGET_STDERR,
	LOG_TARGET_JOURNAL
};

/* How hard the process confines itself once started (see confine.h). */
enum confinement {
	CONFINEMENT_OFF,	/* no Landlock, no seccomp filter */
	CONFINEMENT_ON,		/* every layer the host offers; refused calls fail */
	CONFINEMENT_STRICT	/* every layer or no start; refused calls kill */
};

/* What one omprog line is: chosen per action, never guessed from it. */
enum frame_kind {
	FRAME_WEBHOOK,		/* an audit EventList (kube-apiserver's webhook) */
	FRAME_FIREHOSE,		/* a Firehose HTTP endpoint request (EKS) */
	FRAME_PUBSUB,		/* a Pub/Sub push request (GKE) */
	FRAME_JOURNAL,		/* the node drop-in's journald envelope, or
				 * a webhook line (journal.h) */
	FRAME_SYSLOG		/* a syslog message of one Event (imtcp) */
};

/* Which daemon reads the socket (see agentstate.h). */
enum wazuh_target {
	WAZUH_TARGET_AUTO,	/* detected from the installation at wazuh_dir */
	WAZUH_TARGET_MANAGER,	/* analysisd */
	WAZUH_TARGET_AGENT	/* wazuh-agentd, which forwards to a manager */
};

struct options {
	const char *socket_path;	/* analysisd's datagram socket */
	const char *location;		/* location of every message */
	const char *reject_file;	/* JSON lines of what was set aside */
	const char *spool_dir;		/* lines owned across restarts */
	const char *state_file;		/* analysisd's state file */
	const char *wazuh_dir;		/* the Wazuh installation (agent's
					 * etc/ossec.conf, var/run state) */
	enum wazuh_target target;
	const char *key_file;		/* key of the redaction fingerprints */
	const char *cluster;		/* NULL: no k8s.cluster field */
	const char *source;		/* NULL: no k8s.source field */
	enum frame_kind frame;		/* what each line is */
	bool envelope_cluster;		/* k8s.cluster from the envelope's
					 * log group / resource labels */
	size_t max_line;		/* longest input line, bytes */
	unsigned long long reject_max_bytes;	/* reject file budget; 0: none */
	size_t max_fields;		/* analysisd JSON decoder field limit */
	unsigned max_eps;		/* delivery ceiling, events/s; 0: none */
	unsigned retry_wait;		/* seconds to wait for analysisd per try */
	size_t read_window;		/* read datagrams kept for a restart;
					 * 0: none (struct sink_window) */
	size_t read_window_bytes;
	unsigned read_window_secs;
	unsigned stats_interval;	/* seconds between counter lines; 0: exit only */
	unsigned stages;		/* enum shape_stage bitmask */
	enum log_target log;
	const char *user;		/* NULL: wazuh-k8s-audit, else nobody */
	bool allow_root;		/* stay root when started as root */
	enum confinement confinement;
	bool accept_ahead;		/* answer OK once a line is in the
					 * spool, then deliver it (deliver.h) */
	bool accept_sync;		/* ...fsynced before that OK */
};

enum options_result {
	OPTIONS_RUN,		/* *opts is complete: run */
	OPTIONS_CHECK,		/* *opts is complete: --check-confinement */
	OPTIONS_EXIT_OK,	/* --help or --version was printed: exit 0 */
	OPTIONS_EXIT_USAGE	/* a usage error was printed to stderr: exit 2 */
};

/*
 * options_parse(argc, argv, opts):
 * Fill *opts with the defaults, then with what argv says.  Strings in *opts
 * point into argv or to static defaults; nothing is allocated.  Prints
 * --help/--version to stdout and errors to stderr.
 */
enum options_result options_parse(int argc, char *argv[], struct options *opts);

#endif /* !OPTIONS_H */
