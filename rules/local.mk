# rules: Wazuh 4.x rules for the events the plugin sends (docs/rules.md).
# Installed under $(datadir)/wazuh-k8s-audit/rules; an admin copies them into the manager.
k8srulesdir = $(datadir)/wazuh-k8s-audit/rules
dist_k8srules_DATA = rules/0950-k8s_audit_rules.xml
k8slistsdir = $(datadir)/wazuh-k8s-audit/rules/lists
dist_k8slists_DATA = \
	rules/lists/k8s-admin-users \
	rules/lists/k8s-allowed-namespaces \
	rules/lists/k8s-control-plane-users \
	rules/lists/k8s-denied-users \
	rules/lists/k8s-platform-service-accounts \
	rules/lists/k8s-system-namespaces \
	rules/lists/k8s-trusted-users

# Run every case of tests/rules/cases.json, and the GKE conversions (gke_rules.py),
# through a real Wazuh analysisd (logtest socket).
# WAZUH_PREFIX=/var/ossec (default) or LOGTEST_SOCKET=/path/to/queue/sockets/logtest.
WAZUH_PREFIX ?= /var/ossec
LOGTEST_SOCKET ?=
check-rules: plugin/wazuh-k8s-audit
	PLUGIN='$(abs_top_builddir)/plugin/wazuh-k8s-audit' CORPUS='$(abs_top_srcdir)/tests/corpus/k8s-audit' \
	TOP_SRCDIR='$(abs_top_srcdir)' \
	$(PYTHON3) $(top_srcdir)/tests/rules/logtest_check.py --prefix '$(WAZUH_PREFIX)' \
		$(if $(LOGTEST_SOCKET),--socket '$(LOGTEST_SOCKET)') $(CHECK_RULES_FLAGS)
	sock='$(LOGTEST_SOCKET)'; [ -n "$$sock" ] || sock='$(WAZUH_PREFIX)/queue/sockets/logtest'; \
	LOGTEST_SOCKET="$$sock" PLUGIN='$(abs_top_builddir)/plugin/wazuh-k8s-audit' TOP_SRCDIR='$(abs_top_srcdir)' \
	PYTHONPATH='$(abs_top_srcdir)/tests/lib' \
	$(PYTHON3) $(top_srcdir)/tests/rules/gke_rules.py > check-rules-gke.tap; \
	rc=$$?; cat check-rules-gke.tap; ! grep -q '^not ok' check-rules-gke.tap && [ $$rc = 0 ] || exit 1; \
	LOGTEST_SOCKET="$$sock" PLUGIN='$(abs_top_builddir)/plugin/wazuh-k8s-audit' TOP_SRCDIR='$(abs_top_srcdir)' \
	CORPUS='$(abs_top_srcdir)/tests/corpus/k8s-audit' \
	$(PYTHON3) $(top_srcdir)/tests/rules/cloud_rules.py > check-rules-clouds.tap; \
	rc=$$?; cat check-rules-clouds.tap; ! grep -q '^not ok' check-rules-clouds.tap && [ $$rc = 0 ]
.PHONY: check-rules
CLEANFILES += check-rules-gke.tap check-rules-clouds.tap
dist_doc_DATA += docs/rules.md
