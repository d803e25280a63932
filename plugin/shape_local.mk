# Shaping (issue 4): rule-ready fields, redaction, fitting.
# Included from plugin/local.mk: shaping's modules go into libcore.a.
libcore_a_SOURCES += \
	plugin/shape/shape.c \
	plugin/redact/keyfile.c plugin/redact/keyfile.h \
	plugin/redact/cred.c plugin/redact/cred.h \
	plugin/redact/fingerprint.c plugin/redact/fingerprint.h \
	plugin/shape/k8sobj.c plugin/shape/k8sobj.h \
	plugin/derive/pick.c plugin/derive/pick.h \
	plugin/derive/derive.c plugin/derive/derive.h \
	plugin/derive/derive_pod.c plugin/derive/derive_pod.h \
	plugin/derive/derive_rbac.c plugin/derive/derive_rbac.h \
	plugin/derive/derive_exec.c plugin/derive/derive_exec.h \
	plugin/derive/derive_service.c plugin/derive/derive_service.h \
	plugin/derive/derive_configmap.c plugin/derive/derive_configmap.h \
	plugin/redact/redact.c plugin/redact/redact.h \
	plugin/redact/redact_text.c plugin/redact/redact_text.h \
	plugin/redact/redact_exec.c plugin/redact/redact_exec.h \
	plugin/shape/fit.c plugin/shape/fit.h

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
