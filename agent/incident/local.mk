# agent/incident/: the incident workflow (issue 13): incident ledgers, triage, policy,
# containment, metrics; the commands live in agent/cmd/ (triage, incident, metrics).
agent_libagent_a_SOURCES += \
	agent/incident/incident.c agent/incident/incident.h \
	agent/incident/policy.c agent/incident/policy.h \
	agent/incident/triage.c agent/incident/triage.h \
	agent/incident/seal.c agent/incident/seal.h
EXTRA_DIST += docs/incidents.md
agent_libagent_a_SOURCES += \
	agent/cmd/cmd_incident.c agent/cmd/cmd_incident.h agent/cmd/cmd_incident_run.c \
	agent/cmd/ledger_ctx.c agent/cmd/ledger_ctx.h
UNIT_TEST_SOURCES += tests/unit/agent/test_incident_policy.c
TESTS += tests/integration/incident-triage.sh tests/integration/incident-ledger.sh \
	tests/integration/incident-timeline.sh
EXTRA_DIST += tests/integration/incident-lib.sh tests/integration/incident-triage.sh \
	tests/integration/incident-ledger.sh tests/integration/incident-timeline.sh
TESTS += tests/integration/incident-run.sh tests/integration/incident-import.sh
EXTRA_DIST += tests/integration/incident-run.sh tests/integration/incident-import.sh
TESTS += tests/integration/incident-agent.sh
EXTRA_DIST += tests/integration/incident-agent.sh
agent_libagent_a_SOURCES += agent/incident/metrics.c agent/incident/metrics.h agent/cmd/cmd_metrics.c
TESTS += tests/integration/incident-metrics.sh
EXTRA_DIST += tests/integration/incident-metrics.sh
agent_libagent_a_SOURCES += agent/incident/deadlines.c agent/incident/deadlines.h \
	agent/daemon/daemon_incidents.c
TESTS += tests/integration/incident-deadlines.sh
EXTRA_DIST += tests/integration/incident-deadlines.sh
TESTS += tests/integration/incident-rules.sh
EXTRA_DIST += tests/integration/incident-rules.sh
