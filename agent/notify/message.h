/* A message about an incident for one audience, filled from its ledger.
 *
 * ev_message_vars() folds the incident into the template variables (all strings; see
 * docs/notifications.md for the list); ev_message_render() picks the template
 * AUDIENCE.txt from the site directory (notify.templates_dir) or the shipped one
 * (conf/templates/messages/) and fills it. A template's first line is "Subject: ..." and a
 * blank line follows it; the rest is the body. A drill incident's subject starts with
 * "[DRILL] " and its body with a DRILL banner, whatever the template says. */
#pragma once
#include <jansson.h>

#include "agent/incident/incident.h"
#include "agent/settings.h"
#include "util/err.h"

#define EV_MESSAGE_DRILL_BANNER "*** DRILL - THIS IS AN EXERCISE, NOT A REAL INCIDENT ***"

struct ev_message {
	char *audience; /* internal|customer|executive */
	char *subject;
	char *body; /* UTF-8 text, '\n' line ends */
	char *template_path;
	bool drill;
};

/* Whether `a` names an audience. */
bool ev_message_audience_ok(const char *a);
/* The variables for `inc` at `now` (new object). `text` and `eta` (may be NULL) are the
 * sender's words for {{text}} and {{eta}}. */
json_t *ev_message_vars(const struct ev_config *cfg, const struct ev_incident *inc, int64_t now,
                        const char *text, const char *eta);
/* Render the audience's template with vars. 0, or -errno with FILE:LINE:COL in errs. */
int ev_message_render(const struct ev_config *cfg, const char *audience, const json_t *vars,
                      bool drill, struct ev_message *ret, struct ev_errlist *errs);
void ev_message_done(struct ev_message *m);
/* The message as one JSON object {audience, subject, body, drill} (new). */
json_t *ev_message_to_json(const struct ev_message *m);
/* Parse that object back (a queued delivery). 0 or -EINVAL. */
int ev_message_from_json(const json_t *o, struct ev_message *ret);
