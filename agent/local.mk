# agent/: the evident binary, its subcommands, the daemon.
bin_PROGRAMS += agent/evident
noinst_LIBRARIES += agent/libagent.a
agent_libagent_a_SOURCES = \
	agent/cli.c agent/cli.h \
	agent/commands.c agent/commands.h \
	agent/config.c agent/config.h \
	agent/version.c agent/version.h \
	agent/cmd_config.c \
	agent/cmd_demo.c \
	agent/replay_rules.c agent/replay_rules.h
nodist_agent_libagent_a_SOURCES = agent/default-config.c
agent_libagent_a_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)

agent_evident_SOURCES = agent/main.c
agent_evident_CFLAGS = $(AM_CFLAGS) $(DEP_CFLAGS)
agent_evident_LDADD = agent/libagent.a $(EV_LIBS) $(DEP_LIBS)

agent/default-config.c: $(srcdir)/conf/evident.yaml $(srcdir)/agent/gen-embed.sh
	$(AM_V_GEN)$(MKDIR_P) agent && $(SHELL) $(srcdir)/agent/gen-embed.sh ev_default_config $(srcdir)/conf/evident.yaml > $@.tmp && mv $@.tmp $@
BUILT_SOURCES += agent/default-config.c
CLEANFILES += agent/default-config.c
EXTRA_DIST += agent/gen-embed.sh
