/* In-process-stead seals for the incident workflow (see seal.h). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "agent/daemon/daemon.h"
#include "agent/incident/seal.h"

int ev_incident_seal(const struct ev_config *cfg, const char *config_path, const json_t *req,
                     const char *actor, json_t **ret_result, char **ret_msg) {
	struct ev_peer self = {.uid = getuid(), .gid = getgid(), .pid = getpid()};
	struct ev_seal_job *j = NULL;
	int r = ev_seal_job_new(req, cfg, config_path, &self, &j);
	if (r < 0) {
		*ret_msg = strdup("cannot prepare the seal");
		return r;
	}
	/* the custody actor is this command, not a control socket peer */
	for (size_t i = 0; j->argv[i] && j->argv[i + 1]; i++)
		if (strcmp(j->argv[i], "--actor") == 0) {
			char *a = strdup(actor);
			if (a) {
				free(j->argv[i + 1]);
				j->argv[i + 1] = a;
			}
			break;
		}
	r = ev_seal_job_run(j, NULL, ret_msg, ret_result);
	ev_seal_job_free(j);
	return r;
}
