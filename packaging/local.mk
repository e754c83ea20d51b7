# packaging/: dependency installer, systemd units, Debian packaging.
EXTRA_DIST += packaging/install-deps.sh

# systemd integration (issue 6): unit, sysusers.d and tmpfiles.d entries.
systemdunitdir = $(prefix)/lib/systemd/system
sysusersdir = $(prefix)/lib/sysusers.d
tmpfilesdir = $(prefix)/lib/tmpfiles.d
dist_systemdunit_DATA = packaging/systemd/evident.service
EXTRA_DIST += packaging/systemd/evident.sysusers packaging/systemd/evident.tmpfiles
install-data-local: install-evident-systemd
uninstall-local: uninstall-evident-systemd
install-evident-systemd:
	$(MKDIR_P) '$(DESTDIR)$(sysusersdir)' '$(DESTDIR)$(tmpfilesdir)'
	$(INSTALL_DATA) $(srcdir)/packaging/systemd/evident.sysusers '$(DESTDIR)$(sysusersdir)/evident.conf'
	$(INSTALL_DATA) $(srcdir)/packaging/systemd/evident.tmpfiles '$(DESTDIR)$(tmpfilesdir)/evident.conf'
uninstall-evident-systemd:
	rm -f '$(DESTDIR)$(sysusersdir)/evident.conf' '$(DESTDIR)$(tmpfilesdir)/evident.conf'
.PHONY: install-evident-systemd uninstall-evident-systemd

# The standalone verifier for investigators (POSIX sh, tar, coreutils, openssl).
pkgdata_SCRIPTS = packaging/verify-bundle.sh

# verify-bundle.sh's help, usage errors and missing tools.
TESTS += tests/integration/packaging-verify-bundle.sh
EXTRA_DIST += tests/integration/packaging-verify-bundle.sh
