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

/*
 * Control characters as \xNN: messages quote what clients send (an auditID),
 * which must not start a line of its own in the log (a forged stats line
 * for `wazuh-k8s-audit-setup status`) or reach a terminal as an escape.
 */
static void
escape_controls(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	unsigned char c;

	for (; (c = (unsigned char)*in) != '\0' && o + 5 <= size; in++) {
		if (c < 0x20 || c == 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

void
log_msg(const struct log *lg, int priority, const char *fmt, ...)
{
	char raw[2048];
	char text[4 * sizeof(raw)];
	char stamp[32];
	struct tm tm;
	time_t now;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	escape_controls(raw, text, sizeof(text));
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
