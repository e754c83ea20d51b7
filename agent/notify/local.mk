# agent/notify/: communications (issue 17): channels, message templates, the persisted
# delivery queue, webhooks/email (libcurl), the status page; the command is agent/cmd/cmd_message.c.
agent_libagent_a_SOURCES += \
	agent/notify/channel.c agent/notify/channel.h \
	agent/notify/template.c agent/notify/template.h \
	agent/notify/message.c agent/notify/message.h \
	agent/notify/deliver.c agent/notify/deliver.h \
	agent/notify/statuspage.c agent/notify/statuspage.h \
	agent/notify/outbox.c agent/notify/outbox.h \
	agent/daemon/daemon_notify.c agent/daemon/daemon_notify.h agent/cmd/cmd_message.c
EXTRA_DIST += docs/notifications.md
messagetemplatesdir = $(pkgdatadir)/templates/messages
dist_messagetemplates_DATA = conf/templates/messages/internal.txt \
	conf/templates/messages/customer.txt conf/templates/messages/executive.txt
TESTS += tests/integration/notify-curl-load.sh
EXTRA_DIST += tests/integration/notify-curl-load.sh
TESTS += tests/integration/notify-webhook.sh tests/integration/notify-agent.sh \
	tests/integration/notify-email.sh tests/integration/notify-statuspage.sh
EXTRA_DIST += tests/integration/notify-webhook.sh tests/integration/notify-agent.sh \
	tests/integration/notify-email.sh tests/integration/notify-statuspage.sh \
	tests/integration/notify-lib.sh tests/integration/notify-http-receiver.py \
	tests/integration/notify-smtp-receiver.py
UNIT_TEST_SOURCES += tests/unit/agent/test_notify.c
