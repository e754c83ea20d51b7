# conf/: shipped configuration, rule pack, templates, demo data.
evidentconfdir = $(sysconfdir)/evident
dist_evidentconf_DATA = conf/evident.yaml
demodir = $(pkgdatadir)/demo
dist_demo_DATA = conf/demo/auth.log
# Starter rule pack (each rule with its .test.yaml) and decoders: correlate/, docs/rules.md.
rulesdir = $(pkgdatadir)/rules
dist_rules_DATA = \
	conf/rules/backup_not_finished.test.yaml \
	conf/rules/backup_not_finished.yml \
	conf/rules/http_5xx_burst.test.yaml \
	conf/rules/http_5xx_burst.yml \
	conf/rules/kernel_module_untrusted.test.yaml \
	conf/rules/kernel_module_untrusted.yml \
	conf/rules/kernel_storage_errors.test.yaml \
	conf/rules/kernel_storage_errors.yml \
	conf/rules/new_account.test.yaml \
	conf/rules/new_account.yml \
	conf/rules/new_root_account.test.yaml \
	conf/rules/new_root_account.yml \
	conf/rules/oom_kill.test.yaml \
	conf/rules/oom_kill.yml \
	conf/rules/package_change.test.yaml \
	conf/rules/package_change.yml \
	conf/rules/pam_auth_failure_burst.test.yaml \
	conf/rules/pam_auth_failure_burst.yml \
	conf/rules/promiscuous_mode.test.yaml \
	conf/rules/promiscuous_mode.yml \
	conf/rules/root_crontab_change.test.yaml \
	conf/rules/root_crontab_change.yml \
	conf/rules/segfault_coredump.test.yaml \
	conf/rules/segfault_coredump.yml \
	conf/rules/ssh_bruteforce.test.yaml \
	conf/rules/ssh_bruteforce.yml \
	conf/rules/ssh_denied_by_config.test.yaml \
	conf/rules/ssh_denied_by_config.yml \
	conf/rules/ssh_invalid_user_bruteforce.test.yaml \
	conf/rules/ssh_invalid_user_bruteforce.yml \
	conf/rules/ssh_invalid_user_storm.test.yaml \
	conf/rules/ssh_invalid_user_storm.yml \
	conf/rules/ssh_password_spraying.test.yaml \
	conf/rules/ssh_password_spraying.yml \
	conf/rules/ssh_preauth_scan.test.yaml \
	conf/rules/ssh_preauth_scan.yml \
	conf/rules/ssh_success_after_failures.test.yaml \
	conf/rules/ssh_success_after_failures.yml \
	conf/rules/su_failure.test.yaml \
	conf/rules/su_failure.yml \
	conf/rules/sudo_failures_then_root.test.yaml \
	conf/rules/sudo_failures_then_root.yml \
	conf/rules/systemd_crash_loop.test.yaml \
	conf/rules/systemd_crash_loop.yml
decodersdir = $(pkgdatadir)/decoders
dist_decoders_DATA = \
	conf/decoders/accounts.yml \
	conf/decoders/kernel.yml \
	conf/decoders/sshd.yml \
	conf/decoders/sudo.yml \
	conf/decoders/web.yml
# The format library (collector/format.h, docs/formats.md): embedded into the binary in
# the order of FORMAT_FILES (agent/local.mk), and installed for reference.
formatsdir = $(pkgdatadir)/formats
dist_formats_DATA = $(FORMAT_FILES)
# Drill scenarios (issue 18): `evident drill --scenario NAME`, docs/maintenance.md.
drillsdir = $(pkgdatadir)/drills
dist_drills_DATA = \
	conf/drills/backup-never-finishes.yaml \
	conf/drills/disk-filling-io-errors.yaml \
	conf/drills/service-crash-loop.yaml \
	conf/drills/ssh-brute-force.yaml \
	conf/drills/sudo-privilege-escalation.yaml
