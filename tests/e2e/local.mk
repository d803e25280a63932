# tests/e2e: the whole pipeline on a private rsyslogd (issue 3). The test
# builds (or takes from the cache) the patched imhttp with
# contrib/imhttp/build-imhttp.sh; when the source packages cannot be had it
# reports SKIP with the reason (with CI=true it fails instead).
# test_durable.py (issue 13): kill -9 of analysisd and of rsyslogd, disk full.
# test_receiver_flood.py (issue 21): idle and slow peers must not delay a POST.
TESTS += tests/e2e/test_e2e.py tests/e2e/test_durable.py \
	tests/e2e/test_receiver_flood.py
EXTRA_DIST += tests/e2e/test_e2e.py tests/e2e/e2e.py tests/e2e/test_durable.py \
	tests/e2e/standin.py tests/e2e/test_receiver_flood.py
# test_relp.py (issue 22): audit log files from a node rsyslogd over
# RELP/TLS to two manager rsyslogds (rotation, outage, failover, kill -9,
# big events, another cluster's certificate). Needs rsyslog-relp.
TESTS += tests/e2e/test_relp.py
EXTRA_DIST += tests/e2e/test_relp.py
# test_journal_relp.py (issue 22): a journal journald 252 wrote, read by the
# node's imjournal, over RELP/TLS to the plugin's --frame journal.
TESTS += tests/e2e/test_journal_relp.py
EXTRA_DIST += tests/e2e/test_journal_relp.py

# test_stop_all.py (issue 20): SIGTERM to rsyslogd and the plugin at once.
TESTS += tests/e2e/test_stop_all.py
EXTRA_DIST += tests/e2e/test_stop_all.py
# test_cloud_endpoints.py (issue 23): imhttp's protocol="firehose" and "pubsub".
TESTS += tests/e2e/test_cloud_endpoints.py
EXTRA_DIST += tests/e2e/test_cloud_endpoints.py
# test_syslog.py (issue 22): syslog over TLS (imtcp, rsyslog-gnutls) per
# cluster: a node rsyslogd's octet-counted RFC 5424, LF-framed RFC 5424 /
# RFC 3164 / OpenShift records, big events, other clusters' certificates.
TESTS += tests/e2e/test_syslog.py
EXTRA_DIST += tests/e2e/test_syslog.py
# test_pubsub_oidc.py (issue 23): Pub/Sub push's OIDC token checked by imhttp.
TESTS += tests/e2e/test_pubsub_oidc.py
EXTRA_DIST += tests/e2e/test_pubsub_oidc.py
# test_cloud_service.py (issue 23): the cloud service's rendered configuration
# (contrib/render-cloud.sh), a chained certificate, both endpoints delivered.
TESTS += tests/e2e/test_cloud_service.py
EXTRA_DIST += tests/e2e/test_cloud_service.py
# real_restart_check.py (issue 27): a REAL analysisd restarted mid-burst,
# lost and duplicates from its archives; needs a Wazuh install, not in CI.
EXTRA_DIST += tests/e2e/real_restart_check.py
# test_imhttp_framing.py (issue 24): imhttp's split of a body into messages
# at the edges (maxMessageSize, read boundaries, LF-only and CRLF bodies).
TESTS += tests/e2e/test_imhttp_framing.py
EXTRA_DIST += tests/e2e/test_imhttp_framing.py
