#include "fwdopts.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static const char usage_text[] =
"Usage: wazuh-k8s-audit-forward --target HOST:PORT [--name NAME] ...\n"
"         --ca FILE --cert FILE --key FILE [OPTION]...\n"
"rsyslog omprog program for a control-plane node: forward each line to the\n"
"first Wazuh manager's RELP listener that answers (RELP over TLS), and tell\n"
"rsyslog a transaction is done only once a manager acknowledged every line\n"
"of it.  Run with omprog's useTransactions=\"on\" confirmMessages=\"on\".\n"
"\n"
"  --target HOST:PORT     a manager's listener; repeat for failover, in order\n"
"                         of preference (at most 8)\n"
"  --name NAME            the DNS name the preceding target's certificate\n"
"                         carries (default: its HOST)\n"
"  --ca FILE              the CA that signed the managers' certificates\n"
"  --cert FILE, --key FILE  this node's certificate and key\n"
"  --spool-dir DIR        where lines no manager acknowledged wait across a\n"
"                         stop (default /var/lib/wazuh-k8s-audit-forward)\n"
"  --window N             frames sent ahead of acknowledgements (default 512)\n"
"  --window-bytes BYTES   ...and their bytes (default 67108864)\n"
"  --hold-bytes BYTES     lines held (sent or not) before a line waits for\n"
"                         acknowledgements (default 268435456): below it\n"
"                         rsyslog hands over a whole transaction at once\n"
"  --timeout SECONDS      to connect and complete TLS (default 10)\n"
"  --ack-timeout SECONDS  for each acknowledgement (default 90, omrelp's): a\n"
"                         manager waiting for its analysisd answers late;\n"
"                         a session dropped sooner sends its window twice\n"
"  --return-after SECONDS  how often the preferred targets are tried while\n"
"                         on a later one (default 5)\n"
"  --max-line BYTES       longest line (default 67108864)\n"
"  --user NAME            user to run as once the files are read, when\n"
"                         started as root (default wazuh-k8s-audit if it\n"
"                         exists, else nobody)\n"
"  --allow-root           stay root when started as root\n"
"  --help, --version\n";

enum {
	OPT_TARGET = 256, OPT_NAME, OPT_CA, OPT_CERT, OPT_KEY, OPT_WINDOW,
	OPT_WINDOW_BYTES, OPT_HOLD_BYTES, OPT_TIMEOUT, OPT_ACK_TIMEOUT, OPT_RETURN_AFTER, OPT_MAX_LINE,
	OPT_USER, OPT_ALLOW_ROOT, OPT_SPOOL_DIR, OPT_HELP, OPT_VERSION
};

static const struct option longopts[] = {
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "window-bytes", required_argument, NULL, OPT_WINDOW_BYTES },
	{ "hold-bytes", required_argument, NULL, OPT_HOLD_BYTES },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "ack-timeout", required_argument, NULL, OPT_ACK_TIMEOUT },
	{ "return-after", required_argument, NULL, OPT_RETURN_AFTER },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	{ "user", required_argument, NULL, OPT_USER },
	{ "spool-dir", required_argument, NULL, OPT_SPOOL_DIR },
	{ "allow-root", no_argument, NULL, OPT_ALLOW_ROOT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static int
bad(const char *what, const char *value, const char *why)
{
	fprintf(stderr, "wazuh-k8s-audit-forward: %s '%s': %s\n", what, value,
	    why);
	return -1;
}

static int
number(const char *name, const char *s, unsigned long long min,
    unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return bad(name, s, "not a number");
	v = strtoull(s, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return bad(name, s, "out of range");
	*out = v;
	return 0;
}

static bool
copy(char *dst, size_t cap, const char *src, size_t len)
{
	if (len == 0 || len >= cap)
		return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

static bool
is_address(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

/* HOST:PORT or [V6]:PORT into a new target named HOST. */
static int
add_target(struct fwd_options *o, const char *arg)
{
	struct relp_target *t;
	const char *colon = strrchr(arg, ':'), *h = arg;
	size_t hlen;
	unsigned long long port;

	if (o->ntargets == FWD_MAX_TARGETS)
		return bad("--target", arg, "at most 8 targets");
	if (colon == NULL)
		return bad("--target", arg, "expected HOST:PORT");
	hlen = (size_t)(colon - arg);
	if (arg[0] == '[') {
		if (hlen < 2 || arg[hlen - 1] != ']')
			return bad("--target", arg, "expected [ADDRESS]:PORT");
		h = arg + 1;
		hlen -= 2;
	}
	t = &o->targets[o->ntargets];
	if (!copy(t->host, sizeof(t->host), h, hlen))
		return bad("--target", arg, "no host, or too long");
	if (number("--target port", colon + 1, 1, 65535, &port) != 0)
		return -1;
	snprintf(t->port, sizeof(t->port), "%llu", port);
	memcpy(t->name, t->host, sizeof(t->name));
	o->ntargets++;
	return 0;
}

static int
apply(int opt, const char *arg, struct fwd_options *o)
{
	unsigned long long v;
	struct relp_target *t;

	switch (opt) {
	case OPT_TARGET:
		return add_target(o, arg);
	case OPT_NAME:
		if (o->ntargets == 0)
			return bad("--name", arg, "must follow a --target");
		t = &o->targets[o->ntargets - 1];
		if (!copy(t->name, sizeof(t->name), arg, strlen(arg)))
			return bad("--name", arg, "empty or too long");
		return 0;
	case OPT_CA: o->ca = arg; return 0;
	case OPT_CERT: o->cert = arg; return 0;
	case OPT_KEY: o->key = arg; return 0;
	case OPT_USER: o->user = arg; return 0;
	case OPT_SPOOL_DIR: o->spool_dir = arg; return 0;
	case OPT_ALLOW_ROOT: o->allow_root = true; return 0;
	case OPT_WINDOW:
		if (number("--window", arg, 1, 65536, &v) != 0)
			return -1;
		o->window = (unsigned)v;
		return 0;
	case OPT_WINDOW_BYTES:
		if (number("--window-bytes", arg, 1, (size_t)1 << 32, &v) != 0)
			return -1;
		o->window_bytes = (size_t)v;
		return 0;
	case OPT_HOLD_BYTES:
		if (number("--hold-bytes", arg, 1, (size_t)1 << 36, &v) != 0)
			return -1;
		o->hold_bytes = (size_t)v;
		return 0;
	case OPT_TIMEOUT:
		if (number("--timeout", arg, 1, 3600, &v) != 0)
			return -1;
		o->timeout_ms = (int)v * 1000;
		return 0;
	case OPT_ACK_TIMEOUT:
		if (number("--ack-timeout", arg, 1, 3600, &v) != 0)
			return -1;
		o->ack_timeout_ms = (int)v * 1000;
		return 0;
	case OPT_RETURN_AFTER:
		if (number("--return-after", arg, 1, 86400, &v) != 0)
			return -1;
		o->return_after_ms = (int)v * 1000;
		return 0;
	case OPT_MAX_LINE:
		if (number("--max-line", arg, 1024, (size_t)1 << 32, &v) != 0)
			return -1;
		o->max_line = (size_t)v;
		return 0;
	default:
		return -1;
	}
}

enum fwd_parse
fwd_options_parse(int argc, char *argv[], struct fwd_options *o)
{
	int opt;

	memset(o, 0, sizeof(*o));
	o->window = 512;
	o->window_bytes = (size_t)64 << 20;
	o->hold_bytes = (size_t)256 << 20;
	o->timeout_ms = 10000;
	o->ack_timeout_ms = 90000;
	o->return_after_ms = 5000;
	o->max_line = (size_t)64 << 20;
	o->spool_dir = "/var/lib/wazuh-k8s-audit-forward";
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			fputs(usage_text, stdout);
			return FWD_EXIT_OK;
		}
		if (opt == OPT_VERSION) {
			puts("wazuh-k8s-audit-forward " PACKAGE_VERSION);
			return FWD_EXIT_OK;
		}
		if (opt == '?' || apply(opt, optarg, o) != 0)
			goto usage;
	}
	if (optind < argc) {
		bad("argument", argv[optind], "unexpected");
		goto usage;
	}
	if (o->ntargets == 0 || !o->ca || !o->cert || !o->key) {
		fprintf(stderr, "wazuh-k8s-audit-forward: --target, --ca, --cert "
		    "and --key are required\n");
		goto usage;
	}
	for (size_t i = 0; i < o->ntargets; i++)
		if (is_address(o->targets[i].name)) {
			/* a certificate is checked against a DNS name here,
			 * as librelp does: say so now, not at every connect */
			bad("--target", o->targets[i].host, "an address: give "
			    "--name with the DNS name in its certificate");
			goto usage;
		}
	return FWD_RUN;
usage:
	fprintf(stderr, "Try 'wazuh-k8s-audit-forward --help'.\n");
	return FWD_EXIT_USAGE;
}
