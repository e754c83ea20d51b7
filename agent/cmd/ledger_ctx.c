/* The refusal and the append of the ledger-writing commands (ledger_ctx.h). */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>

#include "agent/cli.h"
#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/ledger_ctx.h"
#include "agent/incident/incident.h"
#include "util/err.h"

int ev_ledger_refuse(const char *noun, const char *id, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	char *m = ev_vasprintf(fmt, ap);
	va_end(ap);
	ev_log_error("%s %s: %s (nothing written)", noun, id ? id : "", m ? m : fmt);
	free(m);
	return EV_EXIT_USAGE;
}

int ev_ledger_record(const struct ev_ledger_ctx *l, const char *action, const char *bundle,
                     json_t *details, json_t **ret_actor) {
	struct ev_errlist errs = {0};
	json_t *actor = ev_store_actor(l->as);
	int r = ev_ledger_append_in(l->state_dir, l->sub, l->id, l->key, action, bundle, details,
	                            actor, &errs);
	if (r < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
	}
	if (r >= 0 && ret_actor)
		*ret_actor = json_incref(actor);
	json_decref(actor);
	return r;
}
