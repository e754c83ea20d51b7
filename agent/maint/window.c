/* Maintenance windows and drill marks in the agent (window.h). The open windows are a
 * small JSON array [{change, service, started_us, until_us, programs, units, files}] rebuilt from
 * the change ledgers when a second has passed since the last read; everything else is string
 * comparison on the alert's fields, in the loop thread. */
#include "config.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "agent/incident/triage.h"
#include "agent/maint/change.h"
#include "agent/maint/window.h"
#include "util/clock.h"

struct ev_maint_windows {
	uint64_t read_mono; /* when the ledgers were last read (0: never) */
	json_t *open;
	char last[EV_INCIDENT_ID_MAX + 1];
};

struct ev_maint_windows *ev_maint_windows_new(void) {
	struct ev_maint_windows *w = calloc(1, sizeof(*w));
	if (w && !(w->open = json_array())) {
		free(w);
		return NULL;
	}
	return w;
}

struct ev_maint_windows *ev_maint_windows_free(struct ev_maint_windows *w) {
	if (w)
		json_decref(w->open);
	free(w);
	return NULL;
}

static void refresh(struct ev_maint_windows *w, const struct ev_config *cfg,
                    const char *state_dir) {
	uint64_t now = ev_now_monotonic_us();
	if (w->read_mono && now - w->read_mono < 1000000)
		return;
	w->read_mono = now;
	json_array_clear(w->open);
	json_t *ids = ev_change_list_ids(state_dir);
	if (!json_array_size(ids)) {
		json_decref(ids);
		return;
	}
	struct store_key *key = NULL;
	struct store_keyring kr = {0};
	struct ev_errlist errs = {0};
	bool keyed = ev_incident_key(cfg, &key, &kr, &errs) == 0;
	ev_errlist_clear(&errs);
	store_key_free(key);
	int64_t real = ev_now_realtime_us();
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id) {
		struct ev_change c;
		if (json_array_size(w->open) >= EV_MAINT_WINDOWS_MAX ||
		    ev_change_load(state_dir, json_string_value(id), keyed ? &kr : NULL, NULL, &c) <
		            0)
			continue;
		if (ev_change_window_open(&c, real)) {
			json_t *scope = json_object_get(c.start, "scope");
			json_array_append_new(
			        w->open,
			        json_pack("{s:O, s:O, s:O, s:O, s:s?, s:I, s:I}", "change", id,
			                  "programs",
			                  json_object_get(scope, "programs") ?: json_null(),
			                  "units", json_object_get(scope, "units") ?: json_null(),
			                  "files", json_object_get(scope, "files") ?: json_null(),
			                  "service", c.service, "started_us",
			                  (json_int_t)c.started_us, "until_us",
			                  (json_int_t)c.until_us));
		}
		ev_change_done(&c);
	}
	store_keyring_clear(&kr);
	json_decref(ids);
}

static bool in_list(const json_t *list, const struct ev_str *v, bool glob) {
	if (!v->p || !v->len || memchr(v->p, 0, v->len))
		return false;
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x) {
		const char *s = json_string_value(x);
		if (!s)
			continue;
		if (glob ? fnmatch(s, v->p, FNM_PATHNAME) == 0
		         : strlen(s) == v->len && !memcmp(s, v->p, v->len))
			return true;
	}
	return false;
}

static bool str_is(const struct ev_str *s, const char *name) {
	return s->len == strlen(name) && !memcmp(s->p, name, s->len);
}

static bool covers(const json_t *win, const struct correlate_alert *a) {
	json_t *programs = json_object_get(win, "programs"), *units = json_object_get(win, "units"),
	       *files = json_object_get(win, "files");
	const char *service = json_string_value(json_object_get(win, "service"));
	for (int set = 0; set < 2; set++) {
		const struct correlate_alert_field *f = set ? a->group : a->fields;
		size_t n = set ? a->n_group : (a->has_fields ? a->n_fields : 0);
		for (size_t i = 0; i < n; i++) {
			const struct ev_str *k = &f[i].name, *v = &f[i].value;
			if ((str_is(k, "program") && in_list(programs, v, false)) ||
			    ((str_is(k, "unit") || str_is(k, "_SYSTEMD_UNIT")) &&
			     in_list(units, v, false)) ||
			    (str_is(k, "source") && in_list(files, v, true)) ||
			    (str_is(k, "service") && service && str_is(v, service)))
				return true;
		}
	}
	for (size_t i = 0; i < a->n_events; i++)
		if (in_list(files, &a->events[i].source, true))
			return true;
	return false;
}

const char *ev_maint_windows_match(struct ev_maint_windows *w, const struct ev_config *cfg,
                                   const char *state_dir, const struct correlate_alert *a) {
	refresh(w, cfg, state_dir);
	size_t i;
	json_t *win;
	json_array_foreach(w->open, i, win) {
		if (covers(win, a)) {
			snprintf(w->last, sizeof(w->last), "%s",
			         json_string_value(json_object_get(win, "change")));
			return w->last;
		}
	}
	return NULL;
}

json_t *ev_maint_windows_status(struct ev_maint_windows *w, const struct ev_config *cfg,
                                const char *state_dir) {
	refresh(w, cfg, state_dir);
	json_t *v = json_array();
	size_t i;
	json_t *win;
	json_array_foreach(w->open, i, win) {
		json_array_append_new(v, json_pack("{s:O, s:O?, s:O, s:O}", "change",
		                                   json_object_get(win, "change"), "service",
		                                   json_object_get(win, "service"), "started_us",
		                                   json_object_get(win, "started_us"), "until_us",
		                                   json_object_get(win, "until_us")));
	}
	return v;
}

static int drill_of(const struct ev_str *s, char *buf, size_t len) {
	size_t pl = strlen(EV_DRILL_SOURCE_PREFIX);
	if (s->len <= pl || s->len - pl >= len || memcmp(s->p, EV_DRILL_SOURCE_PREFIX, pl))
		return 0;
	memcpy(buf, s->p + pl, s->len - pl);
	buf[s->len - pl] = 0;
	return 1;
}

int ev_drill_alert_id(const struct correlate_alert *a, char *buf, size_t len) {
	for (size_t i = 0; i < a->n_events; i++)
		if (drill_of(&a->events[i].source, buf, len))
			return 1;
	for (size_t i = 0; a->has_fields && i < a->n_fields; i++)
		if (str_is(&a->fields[i].name, "source") && drill_of(&a->fields[i].value, buf, len))
			return 1;
	return 0;
}
