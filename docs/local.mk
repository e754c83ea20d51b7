# docs/: man pages (scdoc sources in docs/man/), format specification, guides.
EXTRA_DIST += docs/benchmarks.md docs/HACKING.md

# Man pages. The sources name installed paths as @SYSCONFDIR@, @PKGDATADIR@, @DOCDIR@ and
# @BINDIR@, replaced with the configured ones. A page per command group: a new command gets
# a section "## evident NAME" in the page of its group (or a new page listed here);
# tests/integration/docs-man.sh checks that every command and option is documented.
EV_MAN_SOURCES = \
	docs/man/evident.1.scd \
	docs/man/evident-agent.1.scd \
	docs/man/evident-detect.1.scd \
	docs/man/evident-store.1.scd \
	docs/man/evident-incident.1.scd \
	docs/man/evident-analyze.1.scd \
	docs/man/evident-report.1.scd \
	docs/man/evident-maintenance.1.scd \
	docs/man/evident.yaml.5.scd \
	docs/man/evident-rules.5.scd \
	docs/man/evident-bundle.5.scd
EXTRA_DIST += $(EV_MAN_SOURCES)
nodist_man_MANS = $(EV_MAN_SOURCES:.scd=)
CLEANFILES += $(nodist_man_MANS)
# (underscores escaped: scdoc reads _ as underline markup; no placeholder in ``` blocks)
EV_MAN_PATH = $(subst _,\\_,$(1))
EV_MAN_SUBST = sed -e 's|@SYSCONFDIR@|$(call EV_MAN_PATH,$(sysconfdir))|g' \
	-e 's|@PKGDATADIR@|$(call EV_MAN_PATH,$(pkgdatadir))|g' \
	-e 's|@DOCDIR@|$(call EV_MAN_PATH,$(docdir))|g' -e 's|@BINDIR@|$(call EV_MAN_PATH,$(bindir))|g'
docs/man/%.1: $(srcdir)/docs/man/%.1.scd Makefile
	$(AM_V_GEN)$(MKDIR_P) docs/man && $(EV_MAN_SUBST) $< | $(SCDOC) >$@.tmp && mv $@.tmp $@
docs/man/%.5: $(srcdir)/docs/man/%.5.scd Makefile
	$(AM_V_GEN)$(MKDIR_P) docs/man && $(EV_MAN_SUBST) $< | $(SCDOC) >$@.tmp && mv $@.tmp $@

# The guides an installed evident points at (man pages, README).
doc_DATA = README.md docs/FORMAT.md docs/rules.md docs/agent.md docs/operations.md \
	docs/security.md docs/fleet.md docs/records.md docs/formats.md docs/incidents.md \
	docs/analysis.md docs/reports.md docs/maintenance.md docs/notifications.md

# Every command, option and configuration key is in the man pages.
TESTS += tests/integration/docs-man.sh
EXTRA_DIST += tests/integration/docs-man.sh

# The README's runnable blocks run against the build.
TESTS += tests/integration/docs-readme.sh
EXTRA_DIST += tests/integration/docs-readme.sh
EXTRA_DIST += docs/formats.md docs/analysis.md docs/maintenance.md
