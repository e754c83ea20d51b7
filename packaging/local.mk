# packaging/: dependency installer, systemd units, Debian packaging.
EXTRA_DIST += packaging/install-deps.sh
