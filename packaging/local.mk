# packaging/: dependency installer, systemd units, Debian packaging.
EXTRA_DIST += packaging/install-deps.sh

# systemd integration (issue 6): unit, sysusers.d and tmpfiles.d entries.
systemdunitdir = $(prefix)/lib/systemd/system
sysusersdir = $(prefix)/lib/sysusers.d
tmpfilesdir = $(prefix)/lib/tmpfiles.d
# The committed unit names the Debian paths (/usr/bin, /etc/evident) so that it verifies as
# it is; the installed one is rewritten for the configured bindir and sysconfdir.
noinst_DATA = packaging/systemd/evident.service.gen
EXTRA_DIST += packaging/systemd/evident.service
CLEANFILES += packaging/systemd/evident.service.gen
packaging/systemd/evident.service.gen: $(srcdir)/packaging/systemd/evident.service Makefile
	$(AM_V_GEN)$(MKDIR_P) packaging/systemd && \
	sed -e 's|^ExecStart=/usr/bin/evident |ExecStart=$(bindir)/evident |' \
	    -e 's| --config /etc/evident/evident.yaml| --config $(sysconfdir)/evident/evident.yaml|' \
	    $(srcdir)/packaging/systemd/evident.service >$@.tmp && \
	grep -q '^ExecStart=$(bindir)/evident agent .*--config $(sysconfdir)/evident/evident.yaml$$' $@.tmp && \
	mv $@.tmp $@
EXTRA_DIST += packaging/systemd/evident.sysusers packaging/systemd/evident.tmpfiles
install-data-local: install-evident-systemd
install-evident-systemd: packaging/systemd/evident.service.gen
uninstall-local: uninstall-evident-systemd
install-evident-systemd:
	$(MKDIR_P) '$(DESTDIR)$(sysusersdir)' '$(DESTDIR)$(tmpfilesdir)' '$(DESTDIR)$(systemdunitdir)'
	$(INSTALL_DATA) packaging/systemd/evident.service.gen '$(DESTDIR)$(systemdunitdir)/evident.service'
	$(INSTALL_DATA) $(srcdir)/packaging/systemd/evident.sysusers '$(DESTDIR)$(sysusersdir)/evident.conf'
	$(INSTALL_DATA) $(srcdir)/packaging/systemd/evident.tmpfiles '$(DESTDIR)$(tmpfilesdir)/evident.conf'
uninstall-evident-systemd:
	rm -f '$(DESTDIR)$(sysusersdir)/evident.conf' '$(DESTDIR)$(tmpfilesdir)/evident.conf' \
	  '$(DESTDIR)$(systemdunitdir)/evident.service'
.PHONY: install-evident-systemd uninstall-evident-systemd

# The standalone verifier for investigators (POSIX sh, tar, coreutils, openssl).
pkgdata_SCRIPTS = packaging/verify-bundle.sh

# verify-bundle.sh's help, usage errors and missing tools.
TESTS += tests/integration/packaging-verify-bundle.sh
EXTRA_DIST += tests/integration/packaging-verify-bundle.sh

# make install under /usr and /usr/local: unit, paths, default configuration (issue 15).
TESTS += tests/integration/packaging-install.sh
EXTRA_DIST += tests/integration/packaging-install.sh

# Bash completion: commands, options, files, incident ids, rule ids (issue 15).
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = packaging/bash-completion/evident
TESTS += tests/integration/packaging-completion.sh
EXTRA_DIST += tests/integration/packaging-completion.sh

# The Debian package (packaging/debian, built by packaging/build-deb.sh): build, lintian,
# install, upgrade, purge. Slow: runs with EV_PACKAGE_TEST=1 (.ci/run's main suite).
EXTRA_DIST += packaging/build-deb.sh packaging/debian/changelog packaging/debian/control \
	packaging/debian/copyright packaging/debian/rules packaging/debian/source/format \
	packaging/debian/evident.postinst packaging/debian/evident.postrm \
	packaging/debian/evident.prerm packaging/debian/README.source
TESTS += tests/integration/packaging-deb.sh
EXTRA_DIST += tests/integration/packaging-deb.sh
