# collector/: sources, rotation, positions, parsers, event time, time index.
noinst_LIBRARIES += collector/libcollector.a
collector_libcollector_a_SOURCES = \
	collector/record.c collector/record.h \
	collector/evtime.c collector/evtime.h collector/tzfile.c collector/tzfile.h \
	collector/parse.c collector/parse.h collector/parse-internal.h collector/parse_auto.c \
	collector/parse_json.c \
	collector/format.c collector/format.h collector/format_load.c collector/format_internal.h \
	collector/audit.c collector/audit_event.c collector/audit.h \
	collector/sysmon.c collector/sysmon.h \
	collector/lines.c collector/lines.h \
	collector/journal.c collector/journal.h \
	collector/recjson.c collector/recjson.h \
	collector/reader.c collector/reader.h \
	collector/excerpt.c collector/excerpt.h \
	collector/files.c collector/files.h \
	collector/tail.c collector/tail.h collector/tail_state.c collector/tail-internal.h \
	collector/tail_file.c collector/tail_scan.c collector/tail_journal.c collector/tail_policy.c
collector_libcollector_a_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)

agent_libagent_a_SOURCES += agent/cmd/cmd_replay.c agent/cmd/cmd_tail.c

UNIT_TEST_SOURCES += \
	tests/unit/collector/test_record.c \
	tests/unit/collector/test_parse.c \
	tests/unit/collector/test_format.c \
	tests/unit/collector/test_reader.c \
	tests/unit/collector/test_files.c \
	tests/unit/collector/test_tail.c

TESTS += tests/integration/collector-replay.sh tests/integration/collector-tail.sh \
	tests/integration/collector-fresh-rotate.sh tests/integration/collector-symlink.sh \
	tests/integration/collector-state.sh tests/integration/collector-excerpt.sh
# more files to tail than the cap of 4,096 open files: counted, logged, in status
TESTS += tests/integration/collector-files-cap.sh
EXTRA_DIST += tests/integration/collector-files-cap.sh
# sources.journal_field_cap on real journal files
TESTS += tests/integration/collector-journal-cap.sh
EXTRA_DIST += tests/integration/collector-journal-cap.sh
EXTRA_DIST += tests/integration/collector-replay.sh tests/integration/collector-tail.sh \
	tests/integration/collector-fresh-rotate.sh tests/integration/collector-symlink.sh \
	tests/integration/collector-state.sh tests/integration/collector-excerpt.sh \
	tests/bench/bench-collector.sh

# fuzz targets, one per line parser (tests/fuzz/fuzz_parser.h is the shared body)
EXTRA_DIST += tests/fuzz/fuzz_parser.h docs/records.md
FUZZ_TARGETS += tests/fuzz/fuzz-rfc3164
tests_fuzz_fuzz_rfc3164_SOURCES = tests/fuzz/fuzz_rfc3164.c
tests_fuzz_fuzz_rfc3164_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_rfc3164_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_rfc3164_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
FUZZ_TARGETS += tests/fuzz/fuzz-rfc5424
tests_fuzz_fuzz_rfc5424_SOURCES = tests/fuzz/fuzz_rfc5424.c
tests_fuzz_fuzz_rfc5424_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_rfc5424_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_rfc5424_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
FUZZ_TARGETS += tests/fuzz/fuzz-iso
tests_fuzz_fuzz_iso_SOURCES = tests/fuzz/fuzz_iso.c
tests_fuzz_fuzz_iso_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_iso_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_iso_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
FUZZ_TARGETS += tests/fuzz/fuzz-json
tests_fuzz_fuzz_json_SOURCES = tests/fuzz/fuzz_json.c
tests_fuzz_fuzz_json_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_json_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_json_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
FUZZ_TARGETS += tests/fuzz/fuzz-logfmt
tests_fuzz_fuzz_logfmt_SOURCES = tests/fuzz/fuzz_logfmt.c
tests_fuzz_fuzz_logfmt_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_logfmt_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_logfmt_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
FUZZ_TARGETS += tests/fuzz/fuzz-auto
tests_fuzz_fuzz_auto_SOURCES = tests/fuzz/fuzz_auto.c
tests_fuzz_fuzz_auto_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_auto_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_auto_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
FUZZ_TARGETS += tests/fuzz/fuzz-positions
tests_fuzz_fuzz_positions_SOURCES = tests/fuzz/fuzz_positions.c
tests_fuzz_fuzz_positions_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_positions_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_positions_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
# Fuzz target: journal entries -> records, and their export (journal export format, JSON).
FUZZ_TARGETS += tests/fuzz/fuzz-journal
tests_fuzz_fuzz_journal_SOURCES = tests/fuzz/fuzz_journal.c
tests_fuzz_fuzz_journal_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_journal_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_journal_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
# auditd and Sysmon for Linux records and their Sigma categories (issue 12).
TESTS += tests/integration/collector-audit.sh
EXTRA_DIST += tests/integration/collector-audit.sh tests/integration/audit-gen.py
UNIT_TEST_SOURCES += tests/unit/collector/test_audit.c
FUZZ_TARGETS += tests/fuzz/fuzz-audit
tests_fuzz_fuzz_audit_SOURCES = tests/fuzz/fuzz_audit.c
tests_fuzz_fuzz_audit_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_audit_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_audit_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
# Rotation of files configured by a glob that starts with a wildcard (copytruncate, rename).
TESTS += tests/integration/collector-glob-rotation.sh
EXTRA_DIST += tests/integration/collector-glob-rotation.sh
# The format library (issue 12): shipped formats through the binary, every Loghub set.
TESTS += tests/integration/collector-formats.sh tests/integration/collector-loghub.sh
EXTRA_DIST += tests/integration/collector-formats.sh tests/integration/collector-loghub.sh
# Fuzz target: auto-detection with the format library loaded (corpus: the format samples).
FUZZ_TARGETS += tests/fuzz/fuzz-formats
tests_fuzz_fuzz_formats_SOURCES = tests/fuzz/fuzz_formats.c
tests_fuzz_fuzz_formats_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_formats_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_formats_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
