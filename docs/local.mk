# docs/: man pages, format specification, benchmarks.
dist_man_MANS += docs/evident.1
EXTRA_DIST += docs/benchmarks.md
EXTRA_DIST += docs/gen-man.sh

# Regenerate the man page from the commands' help texts.
man: agent/evident
	$(SHELL) $(srcdir)/docs/gen-man.sh $(builddir)/agent/evident > $(srcdir)/docs/evident.1
.PHONY: man
EXTRA_DIST += docs/formats.md
