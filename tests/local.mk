# Tests of the plugin core: C unit tests and process-level tests in Python.
EXTRA_DIST += tests/corpus tests/lib/harness.py tests/lib/standin.py
