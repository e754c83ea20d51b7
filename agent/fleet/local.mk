# agent/fleet/: evidence shipped to S3 under Object Lock (issue 16): the S3 client
# (libcurl, SigV4), the persisted upload queue, verification straight from a bucket and
# the import of a fleet's bundles into an incident.
agent_libagent_a_SOURCES += \
	agent/fleet/s3.c agent/fleet/s3.h \
	agent/fleet/upload.c agent/fleet/upload.h \
	agent/cmd/cmd_upload.c
EXTRA_DIST += docs/fleet.md
agent_libagent_a_SOURCES += \
	agent/fleet/fetch.c agent/fleet/fetch.h \
	agent/fleet/fleet_cmd.c agent/fleet/fleet_cmd.h
TESTS += tests/integration/fleet-s3.sh
EXTRA_DIST += tests/integration/fleet-s3.sh tests/integration/fleet-lib.sh
# the agent's upload clock (a pass on the worker queue every store.upload.interval)
agent_libagent_a_SOURCES += agent/daemon/daemon_upload.c
TESTS += tests/integration/fleet-agent.sh
EXTRA_DIST += tests/integration/fleet-agent.sh
UNIT_TEST_SOURCES += tests/unit/agent/test_fleet.c
