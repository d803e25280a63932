/*
 * wazuh-k8s-audit: rsyslog omprog program that delivers Kubernetes audit
 * events to Wazuh's analysisd.  See plugin.h for the loop, deliver.h for
 * the delivery guarantees.
 */
#include <signal.h>
#include <stdlib.h>

#include "options.h"
#include "plugin.h"
#include "probe.h"

int
main(int argc, char *argv[])
{
	struct options opts;
	struct plugin pl;
	int status;

	switch (options_parse(argc, argv, &opts)) {
	case OPTIONS_EXIT_OK:
		return EXIT_SUCCESS;
	case OPTIONS_EXIT_USAGE:
		return 2;
	case OPTIONS_CHECK:
		return probe_run(&opts);
	case OPTIONS_RUN:
		break;
	}
	/* A vanished rsyslog must show up as EPIPE, not kill us mid-save. */
	signal(SIGPIPE, SIG_IGN);
	if (plugin_open(&pl, &opts) != 0) {
		plugin_close(&pl);
		return EXIT_FAILURE;
	}
	status = plugin_run(&pl);
	plugin_close(&pl);
	return status;
}
