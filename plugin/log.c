#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "config.h"

#ifdef HAVE_SYSTEMD
#include <systemd/sd-journal.h>
#endif

static const char *
priority_name(int priority)
{
	switch (priority) {
	case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_DEBUG:
		return "debug";
	default:
		return "info";
	}
}

void
log_msg(const struct log *lg, int priority, const char *fmt, ...)
{
	char text[2048];
	char stamp[32];
	struct tm tm;
	time_t now;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
#ifdef HAVE_SYSTEMD
	if (lg->target == LOG_TARGET_JOURNAL) {
		sd_journal_send("MESSAGE=%s", text, "PRIORITY=%d", priority,
		    "SYSLOG_IDENTIFIER=wazuh-k8s-audit", NULL);
		return;
	}
#else
	(void)lg;
#endif
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s wazuh-k8s-audit %s: %s\n", stamp,
	    priority_name(priority), text);
	fflush(stderr);
}
