# agent/maint/: maintenance windows and drills (issue 18): change ledgers, health checks,
# the service's logs (planning, error comparison), restore from a verified bundle, the
# agent's view of open windows, drill scenarios and scorecards.
agent_libagent_a_SOURCES += \
	agent/maint/change.c agent/maint/change.h \
	agent/maint/health.c agent/maint/health.h \
	agent/maint/logscan.c agent/maint/logscan.h \
	agent/maint/restore.c agent/maint/restore.h \
	agent/maint/maint.h agent/maint/maint_run.c \
	agent/cmd/cmd_maintenance.c

TESTS += tests/integration/maint-cycle.sh tests/integration/maint-plan.sh tests/integration/maint-agent.sh
EXTRA_DIST += tests/integration/maint-lib.sh tests/integration/maint-cycle.sh tests/integration/maint-plan.sh tests/integration/maint-agent.sh
# the agent's side: marks for change windows and drills, the drill request
agent_libagent_a_SOURCES += \
	agent/maint/window.c agent/maint/window.h \
	agent/maint/drill_agent.c
# drills: scenarios and the scorecard
agent_libagent_a_SOURCES += agent/maint/drill.c agent/maint/drill.h agent/cmd/cmd_drill.c
TESTS += tests/integration/drill-agent.sh tests/integration/drill-agent-more.sh
EXTRA_DIST += tests/integration/drill-lib.sh tests/integration/drill-agent.sh \
	tests/integration/drill-agent-more.sh
EXTRA_DIST += tests/bench/bench-maintenance.sh
UNIT_TEST_SOURCES += tests/unit/agent/test_maint.c
