#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "reject.h"
#include "shape.h"

/*
 * 5,000 events/s: one kube-apiserver's webhook sends at most 10 batches of
 * 400 events per second with the default throttle (4,000/s).  analysisd
 * analyses ~5,000 events/s on a busy 2-core manager (BRIEF §3; a 4.7.5
 * built here with our rules did 14,000-23,000/s on corpus events and
 * started dropping at 20,000-30,000/s), and it also serves the manager's
 * agents: the ceiling keeps this source to a share of it.
 */
#define DEFAULT_MAX_EPS 5000u

/*
 * The read window (struct sink_window): what analysisd can hold read but
 * unfinished, with Wazuh 4.x's default internal_options: 16,384 events in
 * each of decode_event_queue, decode_output_queue, alerts_queue and
 * archives_queue, plus one per decoding and rule-matching thread (64
 * covers 32 cores); 128 MiB holds that many events of 2 KiB (a corpus
 * event shaped is 2.9 KB on average: the time bound is the one that
 * binds below ~2,200 events/s); 30 s is twice the time analysisd takes
 * to empty full queues at 5,000 events/s (docs/production.md).
 */
#define DEFAULT_READ_WINDOW (4u * 16384u + 64u)
#define DEFAULT_READ_WINDOW_BYTES ((size_t)128 << 20)
#define DEFAULT_READ_WINDOW_SECS 30u

static const char usage_text[] =
"Usage: wazuh-k8s-audit [OPTION]...\n"
"Read Kubernetes audit batches from rsyslog's omprog (one JSON line each),\n"
"split them into events and send each event to Wazuh's analysisd.\n"
"\n"
"  --socket PATH          analysisd datagram socket\n"
"                         (default /var/ossec/queue/sockets/queue)\n"
"  --location NAME        location of every event (default k8s)\n"
"  --reject-file PATH     where input that can never be delivered is set aside\n"
"                         (default /var/log/wazuh-k8s-audit/rejected.jsonl);\n"
"                         reopened when rotated away (no copytruncate needed)\n"
"  --reject-max-bytes N   past N bytes of reject file, entries are only counted\n"
"                         until it is rotated; 0 for no limit (default 268435456)\n"
"  --spool-dir DIR        where undelivered lines wait across restarts\n"
"                         (default /var/lib/wazuh-k8s-audit/spool)\n"
"  --max-line BYTES       longest input line (default 33554432)\n"
"  --max-eps N            delivery ceiling in events/s, 0 for none (default 5000)\n"
"  --state-file PATH      analysisd state file read to back off while its queue\n"
"                         fills (default /var/ossec/var/run/wazuh-analysisd.state)\n"
"  --target WHICH         manager (analysisd reads the socket), agent\n"
"                         (wazuh-agentd does: pace to its <client_buffer>\n"
"                         events_per_second, back off as its buffer fills,\n"
"                         hold while it is not connected) or auto: agent when\n"
"                         --socket is --wazuh-dir's queue/sockets/queue and\n"
"                         that installation has wazuh-agentd but no analysisd\n"
"                         (default auto)\n"
"  --wazuh-dir DIR        the Wazuh installation: bin/, etc/ossec.conf and\n"
"                         var/run/wazuh-agentd.state (default /var/ossec)\n"
"  --retry-wait SECS      how long to wait for an unavailable analysisd before\n"
"                         answering rsyslog with an error (default 5)\n"
"  --read-window N        datagrams analysisd has read kept to send again to\n"
"                         the next analysisd if it stops before finishing\n"
"                         them, 0 for none (default 65600: its queues' size)\n"
"  --read-window-bytes N  at most N bytes of them (default 134217728)\n"
"  --read-window-secs S   each kept until analysisd is seen alive S seconds\n"
"                         after it read it (default 30)\n"
"  --stats-interval SECS  seconds between counter lines, 0 for exit only\n"
"                         (default 300); retries= counts sends repeated while\n"
"                         analysisd was busy (socket full: wait for room) or\n"
"                         down (every 200 ms, up to --retry-wait): waits,\n"
"                         not losses; resent= datagrams sent again (analysisd\n"
"                         died before reading them); resent_read= of them,\n"
"                         read by an analysisd that stopped (--read-window);\n"
"                         cut_lines= lines cut by rsyslogd's death, dropped\n"
"                         (its queue hands them over again); paced_waits=\n"
"                         sleeps to stay under the ceiling;\n"
"                         agent_disconnected_waits= sleeps while the Wazuh\n"
"                         agent was not connected (--target);\n"
"                         accepted_ahead= lines answered once in the spool,\n"
"                         delivered after the answer (--accept-ahead)\n"
"  --log TARGET           stderr or journal (default stderr)\n"
"  --cluster NAME         add the cluster name to every event\n"
"  --source NAME          add k8s.source NAME to every event: the channel it\n"
"                         came by (the packaged drop-in: webhook or logger);\n"
"                         letters, digits, '.', '_', '-', up to 32\n"
"  --frame KIND           what each line is: webhook (an audit EventList,\n"
"                         default), firehose (an Amazon Data Firehose HTTP\n"
"                         endpoint request of EKS audit logs), pubsub (a\n"
"                         Google Pub/Sub push request of GKE audit logs),\n"
"                         journal (the node drop-in's journald envelope, a\n"
"                         line journald split put back together; other\n"
"                         lines as webhook) or syslog (an RFC 5424 or\n"
"                         RFC 3164 message whose MSG is one Event, or\n"
"                         OpenShift's record of one);\n"
"                         each frame its own --spool-dir\n"
"  --envelope-cluster     k8s.cluster from the envelope (EKS log group\n"
"                         /aws/eks/NAME/cluster, GKE resource.labels\n"
"                         cluster_name) when it names one, else --cluster\n"
"  --stages LIST          stages to forward, comma-separated (default all:\n"
"                         RequestReceived,ResponseStarted,ResponseComplete,Panic)\n"
"  --max-fields N         analysisd JSON decoder field limit (default 256)\n"
"  --key-file PATH        key of redaction fingerprints, created when missing\n"
"                         (default /var/lib/wazuh-k8s-audit/hmac.key)\n"
"  --user NAME            user to run as when started as root (default\n"
"                         wazuh-k8s-audit if it exists, else nobody)\n"
"  --allow-root           keep running as root when started as root\n"
"  --confinement MODE     off, on or strict (default on): Landlock and seccomp\n"
"                         confinement after start-up; strict refuses to start\n"
"                         without both and kills on a forbidden system call\n"
"  --accept-ahead on|off  while analysisd keeps up, answer rsyslog OK for a\n"
"                         line once it is in --spool-dir and deliver it while\n"
"                         rsyslog reads its next one from its queue; one line\n"
"                         at most, and none while analysisd is away or behind\n"
"                         (default off: after a restart the line waits for\n"
"                         rsyslog's next one, see docs/plugin.md)\n"
"  --accept-sync on|off   fsync that spool entry before the OK (default on);\n"
"                         off: as durable as a Disk queue without\n"
"                         syncQueueFiles (survives any process's death, not a\n"
"                         power cut)\n"
"  --check-confinement    confine as the other options say, try forbidden\n"
"                         actions, print denied or ALLOWED for each and exit\n"
"                         non-zero if any was allowed\n"
"  --help                 print this help and exit\n"
"  --version              print the version and exit\n";

enum {
	OPT_SOCKET = 256, OPT_LOCATION, OPT_REJECT_FILE, OPT_SPOOL_DIR,
	OPT_MAX_LINE, OPT_MAX_EPS, OPT_STATE_FILE, OPT_RETRY_WAIT,
	OPT_STATS_INTERVAL, OPT_LOG, OPT_CLUSTER, OPT_SOURCE, OPT_FRAME, OPT_ENVELOPE_CLUSTER, OPT_STAGES,
	OPT_MAX_FIELDS, OPT_KEY_FILE, OPT_REJECT_MAX_BYTES, OPT_USER, OPT_ALLOW_ROOT, OPT_CONFINEMENT,
	OPT_CHECK_CONFINEMENT, OPT_HELP, OPT_VERSION
};

/* Which Wazuh daemon reads the socket (agentstate.h). */
enum { OPT_TARGET = OPT_VERSION + 1, OPT_WAZUH_DIR };

/* The read window (sink.h). */
enum { OPT_READ_WINDOW = OPT_WAZUH_DIR + 1, OPT_READ_WINDOW_BYTES,
	OPT_READ_WINDOW_SECS };

/* Accepting a line ahead of its delivery (deliver.h). */
enum { OPT_ACCEPT_AHEAD = OPT_READ_WINDOW_SECS + 1, OPT_ACCEPT_SYNC };

static const struct option long_options[] = {
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "location", required_argument, NULL, OPT_LOCATION },
	{ "reject-file", required_argument, NULL, OPT_REJECT_FILE },
	{ "spool-dir", required_argument, NULL, OPT_SPOOL_DIR },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	{ "max-eps", required_argument, NULL, OPT_MAX_EPS },
	{ "state-file", required_argument, NULL, OPT_STATE_FILE },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "wazuh-dir", required_argument, NULL, OPT_WAZUH_DIR },
	{ "retry-wait", required_argument, NULL, OPT_RETRY_WAIT },
	{ "read-window", required_argument, NULL, OPT_READ_WINDOW },
	{ "read-window-bytes", required_argument, NULL, OPT_READ_WINDOW_BYTES },
	{ "read-window-secs", required_argument, NULL, OPT_READ_WINDOW_SECS },
	{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "cluster", required_argument, NULL, OPT_CLUSTER },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "frame", required_argument, NULL, OPT_FRAME },
	{ "envelope-cluster", no_argument, NULL, OPT_ENVELOPE_CLUSTER },
	{ "stages", required_argument, NULL, OPT_STAGES },
	{ "max-fields", required_argument, NULL, OPT_MAX_FIELDS },
	{ "key-file", required_argument, NULL, OPT_KEY_FILE },
	{ "reject-max-bytes", required_argument, NULL, OPT_REJECT_MAX_BYTES },
	{ "user", required_argument, NULL, OPT_USER },
	{ "allow-root", no_argument, NULL, OPT_ALLOW_ROOT },
	{ "confinement", required_argument, NULL, OPT_CONFINEMENT },
	{ "check-confinement", no_argument, NULL, OPT_CHECK_CONFINEMENT },
	{ "accept-ahead", required_argument, NULL, OPT_ACCEPT_AHEAD },
	{ "accept-sync", required_argument, NULL, OPT_ACCEPT_SYNC },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static void
set_defaults(struct options *o)
{
	o->socket_path = "/var/ossec/queue/sockets/queue";
	o->location = "k8s";
	o->reject_file = "/var/log/wazuh-k8s-audit/rejected.jsonl";
	o->spool_dir = "/var/lib/wazuh-k8s-audit/spool";
	o->state_file = "/var/ossec/var/run/wazuh-analysisd.state";
	o->wazuh_dir = "/var/ossec";
	o->target = WAZUH_TARGET_AUTO;
	o->key_file = "/var/lib/wazuh-k8s-audit/hmac.key";
	o->cluster = NULL;
	o->source = NULL;
	o->frame = FRAME_WEBHOOK;
	o->envelope_cluster = false;
	o->max_line = 32u << 20;
	o->reject_max_bytes = REJECT_MAX_BYTES_DEFAULT;
	o->max_fields = 256;
	o->max_eps = DEFAULT_MAX_EPS;
	o->retry_wait = 5;
	o->read_window = DEFAULT_READ_WINDOW;
	o->read_window_bytes = DEFAULT_READ_WINDOW_BYTES;
	o->read_window_secs = DEFAULT_READ_WINDOW_SECS;
	o->stats_interval = 300;
	o->stages = SHAPE_STAGE_ALL;
	o->log = LOG_TARGET_STDERR;
	o->user = NULL;
	o->allow_root = false;
	o->confinement = CONFINEMENT_ON;
	o->accept_ahead = false;
	o->accept_sync = true;
}

/* Parse a decimal number in [min, max]; 0 or -EINVAL. */
static int
parse_number(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (*s == '\0' || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
bad_value(const char *name, const char *value, const char *why)
{
	fprintf(stderr, "wazuh-k8s-audit: --%s %s: %s\n", name, value, why);
	return -EINVAL;
}

static int
set_number(const char *name, const char *value, unsigned long long min,
    unsigned long long max, unsigned long long *out)
{
	char why[64];

	if (parse_number(value, min, max, out) == 0)
		return 0;
	snprintf(why, sizeof(why), "expected a number from %llu to %llu",
	    min, max);
	return bad_value(name, value, why);
}

static int
set_path(const char *name, const char *value, const char **out)
{
	if (*value == '\0')
		return bad_value(name, "''", "must not be empty");
	*out = value;
	return 0;
}

/* A channel name: rules compare it, so no byte needs escaping. */
static int
set_source(const char *value, const char **out)
{
	size_t n = strspn(value, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

	if (n == 0 || value[n] != '\0' || n > 32)
		return bad_value("source", value, "expected 1 to 32 letters, "
		    "digits, '.', '_' or '-'");
	*out = value;
	return 0;
}

static int
set_frame(const char *value, enum frame_kind *out)
{
	if (strcmp(value, "webhook") == 0)
		*out = FRAME_WEBHOOK;
	else if (strcmp(value, "firehose") == 0)
		*out = FRAME_FIREHOSE;
	else if (strcmp(value, "pubsub") == 0)
		*out = FRAME_PUBSUB;
	else if (strcmp(value, "journal") == 0)
		*out = FRAME_JOURNAL;
	else if (strcmp(value, "syslog") == 0)
		*out = FRAME_SYSLOG;
	else
		return bad_value("frame", value,
		    "expected webhook, firehose, pubsub, journal or syslog");
	return 0;
}

static int
set_confinement(const char *value, enum confinement *out)
{
	if (strcmp(value, "off") == 0)
		*out = CONFINEMENT_OFF;
	else if (strcmp(value, "on") == 0)
		*out = CONFINEMENT_ON;
	else if (strcmp(value, "strict") == 0)
		*out = CONFINEMENT_STRICT;
	else
		return bad_value("confinement", value, "expected off, on or strict");
	return 0;
}

static int
set_switch(const char *name, const char *value, bool *out)
{
	if (strcmp(value, "on") == 0)
		*out = true;
	else if (strcmp(value, "off") == 0)
		*out = false;
	else
		return bad_value(name, value, "expected on or off");
	return 0;
}

static int
set_target(const char *value, enum wazuh_target *out)
{
	if (strcmp(value, "auto") == 0)
		*out = WAZUH_TARGET_AUTO;
	else if (strcmp(value, "manager") == 0)
		*out = WAZUH_TARGET_MANAGER;
	else if (strcmp(value, "agent") == 0)
		*out = WAZUH_TARGET_AGENT;
	else
		return bad_value("target", value, "expected auto, manager or agent");
	return 0;
}

/* Apply one option; 0 or -EINVAL (already reported). */
static int
apply(int opt, const char *arg, struct options *o)
{
	unsigned long long v;
	int rc;

	switch (opt) {
	case OPT_SOCKET:
		return set_path("socket", arg, &o->socket_path);
	case OPT_LOCATION:
		return set_path("location", arg, &o->location);
	case OPT_REJECT_FILE:
		return set_path("reject-file", arg, &o->reject_file);
	case OPT_SPOOL_DIR:
		return set_path("spool-dir", arg, &o->spool_dir);
	case OPT_STATE_FILE:
		return set_path("state-file", arg, &o->state_file);
	case OPT_WAZUH_DIR:
		return set_path("wazuh-dir", arg, &o->wazuh_dir);
	case OPT_TARGET:
		return set_target(arg, &o->target);
	case OPT_KEY_FILE:
		return set_path("key-file", arg, &o->key_file);
	case OPT_CLUSTER:
		return set_path("cluster", arg, &o->cluster);
	case OPT_SOURCE:
		return set_source(arg, &o->source);
	case OPT_FRAME:
		return set_frame(arg, &o->frame);
	case OPT_ENVELOPE_CLUSTER:
		o->envelope_cluster = true;
		return 0;
	case OPT_USER:
		return set_path("user", arg, &o->user);
	case OPT_ALLOW_ROOT:
		o->allow_root = true;
		return 0;
	case OPT_CONFINEMENT:
		return set_confinement(arg, &o->confinement);
	case OPT_ACCEPT_AHEAD:
		return set_switch("accept-ahead", arg, &o->accept_ahead);
	case OPT_ACCEPT_SYNC:
		return set_switch("accept-sync", arg, &o->accept_sync);
	case OPT_MAX_LINE:
		/* Two lines must fit in memory beside each other. */
		if ((rc = set_number("max-line", arg, 1024, 1ull << 30, &v)) == 0)
			o->max_line = (size_t)v;
		return rc;
	case OPT_REJECT_MAX_BYTES:
		return set_number("reject-max-bytes", arg, 0, ULLONG_MAX,
		    &o->reject_max_bytes);
	case OPT_MAX_FIELDS:
		if ((rc = set_number("max-fields", arg, 16, 1u << 16, &v)) == 0)
			o->max_fields = (size_t)v;
		return rc;
	case OPT_MAX_EPS:
		if ((rc = set_number("max-eps", arg, 0, 10000000, &v)) == 0)
			o->max_eps = (unsigned)v;
		return rc;
	case OPT_RETRY_WAIT:
		if ((rc = set_number("retry-wait", arg, 0, 3600, &v)) == 0)
			o->retry_wait = (unsigned)v;
		return rc;
	case OPT_READ_WINDOW:
		if ((rc = set_number("read-window", arg, 0, 1u << 23, &v)) == 0)
			o->read_window = (size_t)v;
		return rc;
	case OPT_READ_WINDOW_BYTES:
		if ((rc = set_number("read-window-bytes", arg, 0, 1ull << 30,
		    &v)) == 0)
			o->read_window_bytes = (size_t)v;
		return rc;
	case OPT_READ_WINDOW_SECS:
		if ((rc = set_number("read-window-secs", arg, 0, 86400, &v)) == 0)
			o->read_window_secs = (unsigned)v;
		return rc;
	case OPT_STATS_INTERVAL:
		if ((rc = set_number("stats-interval", arg, 0, 86400, &v)) == 0)
			o->stats_interval = (unsigned)v;
		return rc;
	case OPT_STAGES:
		if (shape_stage_parse(arg, &o->stages) != 0)
			return bad_value("stages", arg, "expected a comma list of "
			    "RequestReceived, ResponseStarted, ResponseComplete, Panic");
		return 0;
	case OPT_LOG:
		if (strcmp(arg, "stderr") == 0) {
			o->log = LOG_TARGET_STDERR;
			return 0;
		}
		if (strcmp(arg, "journal") == 0) {
#ifdef HAVE_SYSTEMD
			o->log = LOG_TARGET_JOURNAL;
			return 0;
#else
			return bad_value("log", arg, "built without libsystemd");
#endif
		}
		return bad_value("log", arg, "expected stderr or journal");
	default:
		return -EINVAL;
	}
}

enum options_result
options_parse(int argc, char *argv[], struct options *opts)
{
	bool check = false;
	int opt;

	set_defaults(opts);
	optind = 1;
	opterr = 1;
	while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		if (opt == OPT_HELP) {
			fputs(usage_text, stdout);
			return OPTIONS_EXIT_OK;
		}
		if (opt == OPT_VERSION) {
			printf("wazuh-k8s-audit %s\n", PACKAGE_VERSION);
			return OPTIONS_EXIT_OK;
		}
		if (opt == OPT_CHECK_CONFINEMENT) {
			check = true;
			continue;
		}
		if (opt == '?' || apply(opt, optarg, opts) != 0) {
			fputs("Try 'wazuh-k8s-audit --help'.\n", stderr);
			return OPTIONS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "wazuh-k8s-audit: unexpected argument '%s'\n"
		    "Try 'wazuh-k8s-audit --help'.\n", argv[optind]);
		return OPTIONS_EXIT_USAGE;
	}
	return check ? OPTIONS_CHECK : OPTIONS_RUN;
}
