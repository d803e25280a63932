# tests/rules: CI checks of the ruleset (static checks + cases through the plugin and an
# approximate rule engine; a noise budget over generated benign traffic).
# The real-engine run is `make check-rules` (rules/local.mk).
TESTS += tests/rules/check_rules.py tests/rules/noise_budget.py tests/rules/audit_policy.py
EXTRA_DIST += \
	tests/rules/check_rules.py \
	tests/rules/noise_budget.py \
	tests/rules/audit_policy.py \
	tests/rules/benign_stream.py \
	tests/rules/k8srules.py \
	tests/rules/logtest_check.py \
	tests/rules/cases.json \
	tests/rules/events
# GKE LogEntries converted (issue 23): the native cases' rules.
TESTS += tests/rules/gke_rules.py
EXTRA_DIST += tests/rules/gke_rules.py
# Which rules fire from EKS's and GKE's data: docs/clouds.md's table, computed (issue 23).
TESTS += tests/rules/cloud_rules.py
EXTRA_DIST += tests/rules/cloud_rules.py
