# agent/: the evident binary. agent/cmd/: the command front-ends; agent/daemon/: the
# service (loop, control socket, requests, seals, custody, sinks, queue); agent/: main,
# CLI plumbing, settings, the pipeline builder and what both use.
bin_PROGRAMS += agent/evident
noinst_LIBRARIES += agent/libagent.a
agent_libagent_a_SOURCES = \
	agent/cli.c agent/cli.h \
	agent/cmd/commands.c agent/cmd/commands.h \
	agent/settings.c agent/settings.h agent/settings_schema.h \
	agent/settings_load.c agent/settings_print.c agent/settings_units.c \
	agent/paths.c agent/paths.h \
	agent/version.c agent/version.h \
	agent/cmd/cmd_config.c \
	agent/cmd/cmd_demo.c \
	agent/replay_rules.c agent/replay_rules.h \
	agent/pipeline.c agent/pipeline.h \
	agent/feed.c agent/feed.h \
	agent/cmd/rules_logsources.c agent/cmd/rules_logsources.h
agent_libagent_a_SOURCES += agent/term.c agent/term.h
nodist_agent_libagent_a_SOURCES = agent/default-config.c
agent_libagent_a_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
# A binary run from its build tree finds the source tree's conf/ (agent/replay_rules.c).
agent_libagent_a_CPPFLAGS = $(AM_CPPFLAGS) -DEV_ABS_BUILDDIR=\"$(abs_top_builddir)\" \
	-DEV_ABS_SRCDIR=\"$(abs_top_srcdir)\"

agent_evident_SOURCES = agent/main.c
agent_evident_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
agent_evident_LDADD = agent/libagent.a $(EV_LIBS) $(DEP_LIBS)
# the one program linked with link-time optimisation (configure --enable-lto)
agent_evident_LDFLAGS = $(EV_LDFLAGS) $(EV_LTO_LDFLAGS)

agent/default-config.c: $(srcdir)/conf/evident.yaml $(srcdir)/agent/gen-embed.sh
	$(AM_V_GEN)$(MKDIR_P) agent && $(SHELL) $(srcdir)/agent/gen-embed.sh ev_default_config $(srcdir)/conf/evident.yaml > $@.tmp && mv $@.tmp $@
BUILT_SOURCES += agent/default-config.c
CLEANFILES += agent/default-config.c
EXTRA_DIST += agent/gen-embed.sh

# the daemon (issue 6): loop, control socket, worker queue, alert sinks, socket clients
agent_libagent_a_SOURCES += \
	agent/daemon/daemon.c agent/daemon/daemon.h \
	agent/daemon/daemon_requests.c agent/daemon/daemon_seams.c agent/daemon/daemon_seams.h agent/daemon/daemon_seal.c agent/daemon/daemon_autoseal.c \
	agent/daemon/daemon_custody.c agent/daemon/daemon_reload.c agent/daemon/daemon_state.c agent/daemon/daemon_work.c \
	agent/cmd/cmd_seal_agent.c agent/cmd/cmd_seal_agent.h \
	agent/cmd/seal_collect.c agent/cmd/seal_collect.h agent/cmd/seal_config.c agent/cmd/seal_config.h \
	agent/spawn.c agent/spawn.h \
	agent/curl_load.c agent/curl_load.h \
	agent/ssl_load.c agent/ssl_load.h \
	agent/daemon/daemon_log.c agent/daemon/daemon_log.h \
	agent/daemon/control.c agent/daemon/control.h agent/daemon/control_request.c agent/daemon/control_client.c \
	agent/daemon/queue.c agent/daemon/queue.h \
	agent/daemon/sinks.c agent/daemon/sinks.h \
	agent/daemon/forward.c agent/daemon/forward.h \
	agent/cmd/cmd_agent.c agent/cmd/cmd_status.c agent/cmd/cmd_triage.c
TESTS += \
	tests/integration/agent-alerts.sh \
	tests/integration/agent-workers.sh \
	tests/integration/agent-forward.sh \
	tests/integration/agent-journal.sh \
	tests/integration/agent-audit.sh \
	tests/integration/agent-autoseal.sh \
	tests/integration/agent-notify.sh \
	tests/integration/agent-reload.sh \
	tests/integration/agent-restart.sh \
	tests/integration/agent-seal.sh \
	tests/integration/agent-socket.sh \
	tests/integration/agent-systemd.sh
EXTRA_DIST += tests/integration/agent-lib.sh \
	tests/integration/agent-alerts.sh \
	tests/integration/agent-workers.sh \
	tests/integration/agent-forward.sh \
	tests/integration/agent-journal.sh \
	tests/integration/agent-audit.sh \
	tests/integration/agent-autoseal.sh \
	tests/integration/agent-notify.sh \
	tests/integration/agent-reload.sh \
	tests/integration/agent-restart.sh \
	tests/integration/agent-seal.sh \
	tests/integration/agent-socket.sh \
	tests/integration/agent-systemd.sh
UNIT_TEST_SOURCES += \
	tests/unit/agent/test_control.c \
	tests/unit/agent/test_daemon_seal.c \
	tests/unit/agent/test_queue.c \
	tests/unit/agent/test_sinks.c \
	tests/unit/agent/test_spawn.c
EXTRA_DIST += tests/bench/bench-agent.sh tests/bench/bench-agent-cpu.sh
EXTRA_DIST += docs/agent.md
# evidence collection: hostile and empty sources, least-privilege children (issues 9-11)
TESTS += tests/integration/agent-seal-evidence.sh tests/integration/agent-spawn.sh
EXTRA_DIST += tests/integration/agent-seal-evidence.sh tests/integration/agent-spawn.sh
TESTS += tests/integration/json.sh tests/integration/agent-readable.sh
EXTRA_DIST += tests/integration/json.sh tests/integration/agent-readable.sh
TESTS += tests/integration/agent-dbcache.sh
EXTRA_DIST += tests/integration/agent-dbcache.sh
# The agent as a new user meets it: client commands with --config, where alerts go when
# detached, seal_on checked against the rules, relative --config, a new state directory.
TESTS += tests/integration/agent-cli.sh
EXTRA_DIST += tests/integration/agent-cli.sh
# Times typed on the command line (--since, --until, --before): one parser.
agent_libagent_a_SOURCES += agent/cmd/timeparse.c agent/cmd/timeparse.h
UNIT_TEST_SOURCES += tests/unit/agent/test_timeparse.c
# actions.seal_on's rule: and tag: selectors checked against the loaded rules.
agent_libagent_a_SOURCES += agent/selectors.c agent/selectors.h
# Reliability (issue 10): wall clock steps (a CLOCK_REALTIME shim), DST and New Year in
# replay, every resource cap driven through the binary, the service's privileges.
TESTS += tests/integration/agent-clock.sh tests/integration/replay-clock.sh tests/integration/caps.sh tests/integration/agent-privilege.sh
EXTRA_DIST += tests/integration/rules-lib.sh tests/integration/clockshift.c
EXTRA_DIST += tests/integration/agent-clock.sh tests/integration/replay-clock.sh tests/integration/caps.sh tests/integration/agent-privilege.sh
EXTRA_DIST += docs/operations.md docs/security.md
# The incident workflow (issue 13)
include agent/incident/local.mk
# Communications (issue 17)
include agent/notify/local.mk
include agent/maint/local.mk
# The format library (issue 12): conf/formats/*.yaml embedded, in the order auto-detection
# tries them.
FORMAT_FILES = conf/formats/web.yaml conf/formats/java.yaml conf/formats/apps.yaml \
	conf/formats/system.yaml
agent_libagent_a_SOURCES += agent/formats.c agent/formats.h agent/cmd/cmd_formats.c
nodist_agent_libagent_a_SOURCES += agent/formats-embedded.c
agent/formats-embedded.c: $(FORMAT_FILES:%=$(srcdir)/%) $(srcdir)/agent/gen-embed.sh $(srcdir)/agent/gen-formats.sh
	$(AM_V_GEN)$(MKDIR_P) agent && $(SHELL) $(srcdir)/agent/gen-formats.sh $(srcdir) $(FORMAT_FILES) > $@.tmp && mv $@.tmp $@
BUILT_SOURCES += agent/formats-embedded.c
CLEANFILES += agent/formats-embedded.c
EXTRA_DIST += agent/gen-formats.sh
# A forward clock step does not fire event-time deadlines early.
TESTS += tests/integration/agent-clock-deadline.sh
EXTRA_DIST += tests/integration/agent-clock-deadline.sh
# seal --file reads a symbolic link as the tail does (one policy, collector/tail_policy.c).
TESTS += tests/integration/seal-symlink.sh
EXTRA_DIST += tests/integration/seal-symlink.sh
# The resource caps that had no test through the binary (docs/operations.md).
TESTS += tests/integration/caps-cli.sh tests/integration/caps-hook.sh tests/integration/caps-syslog.sh tests/integration/caps-trigger.sh tests/integration/caps-seal-output.sh
EXTRA_DIST += tests/integration/caps-cli.sh tests/integration/caps-hook.sh tests/integration/caps-syslog.sh tests/integration/caps-trigger.sh tests/integration/caps-seal-output.sh
include agent/fleet/local.mk

# evident analyze (issue 14): template store, analysis, timeline, SVG chart
agent_libagent_a_SOURCES += \
	agent/cmd/cmd_analyze.c \
	agent/analyze/analysis.c agent/analyze/analysis.h \
	agent/analyze/timeline.c \
	agent/analyze/svg.c agent/analyze/svg.h \
	agent/analyze/tplstore.c agent/analyze/tplstore.h \
	agent/analyze/bundle_in.c agent/analyze/bundle_in.h \
	agent/analyze/incident_in.c agent/analyze/incident_in.h \
	agent/analyze/run.c agent/analyze/run.h
TESTS += tests/integration/analyze-ga.sh tests/integration/analyze-assign.sh \
	tests/integration/analyze-propagation.sh tests/integration/analyze-rules.sh \
	tests/integration/analyze-bundle.sh tests/integration/analyze-incident.sh \
	tests/integration/analyze-sources.sh
EXTRA_DIST += tests/integration/analyze-ga.sh tests/integration/analyze-assign.sh \
	tests/integration/analyze-propagation.sh tests/integration/analyze-rules.sh \
	tests/integration/analyze-bundle.sh tests/integration/analyze-incident.sh \
	tests/integration/analyze-sources.sh
EXTRA_DIST += tests/bench/bench-analyze.sh
# Impact, reports, runbooks, action items (issue 14)
include agent/report/local.mk
# analyze_incident() as the report calls it, driven by analyze-incident.sh
check_PROGRAMS += tests/helpers/analyze-incident-api
tests_helpers_analyze_incident_api_SOURCES = tests/helpers/analyze_incident_api.c
tests_helpers_analyze_incident_api_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
tests_helpers_analyze_incident_api_LDADD = agent/libagent.a $(EV_LIBS) $(DEP_LIBS)
TESTS += tests/integration/agent-forward-ssl-load.sh
EXTRA_DIST += tests/integration/agent-forward-ssl-load.sh tests/integration/dlopen-lib.sh
