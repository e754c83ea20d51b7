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
