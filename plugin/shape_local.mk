# Shaping (issue 4): rule-ready fields, redaction, fitting.
# Included from plugin/local.mk: shaping's modules go into libcore.a.
libcore_a_SOURCES += \
	plugin/shape.c \
	plugin/keyfile.c \
	plugin/cred.c plugin/cred.h \
	plugin/fingerprint.c plugin/fingerprint.h \
	plugin/k8sobj.c plugin/k8sobj.h \
	plugin/derive.c plugin/derive.h \
	plugin/derive_pod.c plugin/derive_pod.h \
	plugin/derive_rbac.c plugin/derive_rbac.h \
	plugin/derive_exec.c plugin/derive_exec.h \
	plugin/derive_service.c plugin/derive_service.h \
	plugin/derive_configmap.c plugin/derive_configmap.h \
	plugin/redact.c plugin/redact.h \
	plugin/redact_text.c plugin/redact_text.h \
	plugin/redact_exec.c plugin/redact_exec.h \
	plugin/fit.c plugin/fit.h

shape_test_incs = tests/unit/tap.h tests/unit/corpus.h

check_PROGRAMS += \
	tests/unit/test_shape \
	tests/unit/test_redact \
	tests/unit/test_derive \
	tests/unit/test_fit
TESTS += \
	tests/unit/test_shape \
	tests/unit/test_redact \
	tests/unit/test_derive \
	tests/unit/test_fit \
	tests/fuzz/run.sh

tests_unit_test_shape_SOURCES = tests/unit/test_shape.c $(shape_test_incs)
tests_unit_test_shape_LDADD = libcore.a $(JANSSON_LIBS) $(CRYPTO_LIBS)
tests_unit_test_redact_SOURCES = tests/unit/test_redact.c $(shape_test_incs)
tests_unit_test_redact_LDADD = libcore.a $(JANSSON_LIBS) $(CRYPTO_LIBS)
tests_unit_test_derive_SOURCES = tests/unit/test_derive.c $(shape_test_incs)
tests_unit_test_derive_LDADD = libcore.a $(JANSSON_LIBS) $(CRYPTO_LIBS)
tests_unit_test_fit_SOURCES = tests/unit/test_fit.c $(shape_test_incs)
tests_unit_test_fit_LDADD = libcore.a $(JANSSON_LIBS) $(CRYPTO_LIBS)

# The fuzz targets are built by their script with clang, outside automake.
EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/fuzz_shape.c tests/fuzz/fuzz_fastpath.c \
	tests/fuzz/shape.dict
dist_doc_DATA += docs/fields.md
