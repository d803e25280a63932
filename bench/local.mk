# Benchmarks (`make bench`): not part of `make check`.
noinst_PROGRAMS += bench/counter bench/floor bench/limit
bench_floor_LDADD = $(JANSSON_LIBS)
EXTRA_DIST += bench/mkbatches.py bench/run.py bench/memory.py bench/e2e.py \
	bench/hostile.py bench/relp.py

bench: plugin/wazuh-k8s-audit bench/counter bench/floor bench/limit
	$(PYTHON3) $(srcdir)/bench/run.py --builddir $(abs_top_builddir) \
	    --corpus $(abs_top_srcdir)/tests/corpus/k8s-audit $(BENCH_ARGS)

# Peak RSS over a long run (options via MEMORY_ARGS="--events N --mix M").
bench-memory: plugin/wazuh-k8s-audit bench/counter
	$(PYTHON3) $(srcdir)/bench/memory.py --builddir $(abs_top_builddir) \
	    --corpus $(abs_top_srcdir)/tests/corpus/k8s-audit $(MEMORY_ARGS)
# End to end over mutual TLS through a private rsyslogd: what a durable 200
# costs (options via E2E_ARGS="--batches N --rounds N").
bench-e2e: plugin/wazuh-k8s-audit
	$(PYTHON3) $(srcdir)/bench/e2e.py --builddir $(abs_top_builddir) \
	    --corpus $(abs_top_srcdir)/tests/corpus/k8s-audit $(E2E_ARGS)

# Hostile lines (issue 12) against the corpus mix: linear cost per dimension
# (options via HOSTILE_ARGS="--events N --runs R").
bench-hostile: plugin/wazuh-k8s-audit bench/counter
	$(PYTHON3) $(srcdir)/bench/hostile.py --builddir $(abs_top_builddir) \
	    --corpus $(abs_top_srcdir)/tests/corpus/k8s-audit $(HOSTILE_ARGS)
# The cloud frames against the webhook's (issue 23; CLOUDS_ARGS="--events N").
bench-clouds: plugin/wazuh-k8s-audit bench/counter
	$(PYTHON3) $(srcdir)/bench/clouds.py --builddir $(abs_top_builddir) \
	    --top $(abs_top_srcdir) $(CLOUDS_ARGS)
EXTRA_DIST += bench/clouds.py
# Pub/Sub push's OIDC token check against the token= key, in imhttp alone
# (issue 23; PUBSUB_AUTH_ARGS="--pushes N --runs R").
bench-pubsub-auth:
	$(PYTHON3) $(srcdir)/bench/pubsub_auth.py --builddir $(abs_top_builddir) $(PUBSUB_AUTH_ARGS)
EXTRA_DIST += bench/pubsub_auth.py
.PHONY: bench-pubsub-auth
.PHONY: bench bench-memory bench-e2e bench-hostile bench-clouds

# Audit log file on a node -> RELP/TLS -> manager -> stand-in, beside the
# webhook path in the same run (issue 22). Options: RELP_ARGS="--events N
# --rounds R". Needs rsyslog-relp and the patched imhttp.
bench-relp: plugin/wazuh-k8s-audit plugin/wazuh-k8s-audit-forward
	$(PYTHON3) $(srcdir)/bench/relp.py --builddir $(abs_top_builddir) $(RELP_ARGS)
.PHONY: bench-relp
# The manager away 2 minutes while a node's audit log grows (issue 22's
# outage, CI runs a 10 s one): lost and duplicated events counted.
# SOAK_ARGS="--outage S --rate N --kill" (bench/relp.py --help).
soak-relp: plugin/wazuh-k8s-audit plugin/wazuh-k8s-audit-forward
	$(PYTHON3) $(srcdir)/bench/relp.py --builddir $(abs_top_builddir) \
	    --outage 120 $(SOAK_ARGS)
.PHONY: soak-relp
# A TLS syslog sender -> the manager's syslog listener -> stand-in, for
# RFC 5424 Events and OpenShift's records (issue 22; SYSLOG_ARGS="--events N
# --rounds R").
bench-syslog: plugin/wazuh-k8s-audit
	$(PYTHON3) $(srcdir)/bench/syslog.py --builddir $(abs_top_builddir) $(SYSLOG_ARGS)
EXTRA_DIST += bench/syslog.py bench/rig.py
.PHONY: bench-syslog
