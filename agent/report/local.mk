# agent/report/ (issue 14): impact and SLA arithmetic, the report model, the template
# expander, action items; the commands impact, report and runbook live in agent/cmd/.
agent_libagent_a_SOURCES += \
	agent/report/tmpl.c agent/report/tmpl.h \
	agent/report/impact.c agent/report/impact.h \
	agent/report/actions.c agent/report/actions.h \
	agent/report/model.c agent/report/model.h \
	agent/cmd/cmd_report.c agent/cmd/cmd_report.h agent/cmd/cmd_impact.c \
	agent/cmd/cmd_runbook.c agent/cmd/cmd_incident_action.c
reporttmpldir = $(pkgdatadir)/templates/report
dist_reporttmpl_DATA = conf/templates/report/incident.md conf/templates/report/incident.html \
	conf/templates/report/postmortem.md conf/templates/report/postmortem.html
runbooktmpldir = $(pkgdatadir)/templates/runbook
dist_runbooktmpl_DATA = conf/templates/runbook/runbook.md conf/templates/runbook/runbook.html
UNIT_TEST_SOURCES += tests/unit/agent/test_report_impact.c tests/unit/agent/test_report_tmpl.c
TESTS += tests/integration/report-impact.sh tests/integration/report-actions.sh \
	tests/integration/report-golden.sh tests/integration/report-html.sh \
	tests/integration/report-runbook.sh
EXTRA_DIST += docs/reports.md tests/integration/report-lib.sh \
	tests/integration/report-impact.sh tests/integration/report-actions.sh \
	tests/integration/report-golden.sh tests/integration/report-html.sh \
	tests/integration/report-runbook.sh tests/integration/data/report
# the analysis's first errors and template onsets merged into the report's timeline
TESTS += tests/integration/report-analysis.sh
EXTRA_DIST += tests/integration/report-analysis.sh
# fuzz target (see tests/local.mk): the message and report template languages
FUZZ_TARGETS += tests/fuzz/fuzz-templates
tests_fuzz_fuzz_templates_SOURCES = tests/fuzz/fuzz_templates.c
tests_fuzz_fuzz_templates_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_templates_LDADD = $(FUZZ_DRIVER) $(FUZZ_LDADD)
tests_fuzz_fuzz_templates_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINKFLAGS)
