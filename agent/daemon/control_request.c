/* Control requests: parsing and validation of one request line (pure; no I/O), the
 * error answer helper, and the peer object. Every string a peer sends has a cap, and
 * every key is checked against the request's schema so a typo is an error, not an
 * ignored option. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agent/settings.h"
#include "agent/daemon/control.h"
#include "agent/incident/incident.h"

#define STR_MAX           4096
#define ID_MAX            EV_INCIDENT_ID_MAX /* an id a request carries is an incident's or names one */
#define LIST_MAX          64
#define RECORD_FIELDS_MAX 32

static const char *const req_names[] = {
        [EV_REQ_STATUS] = "status", [EV_REQ_RELOAD] = "reload", [EV_REQ_RULES] = "rules",
        [EV_REQ_SEAL] = "seal",     [EV_REQ_TRIAGE] = "triage", [EV_REQ_DRILL] = "drill",
};

const char *ev_request_name(enum ev_request_type t) {
	return (size_t)t < ELEMENTSOF(req_names) ? req_names[t] : "?";
}

enum arg_type { A_STRING, A_ID, A_DURATION, A_STRV, A_UINT, A_BOOL, A_RECORDS };

struct arg {
	const char *name;
	enum arg_type type;
	bool required;
	json_int_t max; /* A_UINT: largest value (0: no limit) */
};

static const struct arg seal_args[] = {
        {"from", A_STRING, false},
        {"to", A_STRING, false},
        {"lookback", A_DURATION, false},
        {"sources", A_STRV, false},
        {"incident", A_ID, false},
        {"note", A_STRING, false},
        /* the rest of `evident seal`'s options (commands: root only, see the daemon) */
        {"units", A_STRV, false},
        {"copies", A_STRV, false},
        {"commands", A_STRV, false},
        {"level", A_UINT, false, 9},
        {"immutable", A_BOOL, false},
        {"max_bundle_size", A_UINT, false, 0},
        {NULL, 0, false},
};

static const struct arg triage_args[] = {
        {"incident", A_ID, true},
        {"impact", A_ID, false},
        {"urgency", A_ID, false},
        {"service", A_ID, false},
        {"services", A_STRV, false},
        {"affected_users", A_UINT, false},
        {"note", A_STRING, false},
        {"summary", A_STRING, false},
        {"impact_started", A_STRING, false},
        {"detected", A_STRING, false},
        {"reason", A_STRING, false},
        {"as", A_STRING, false},
        {NULL, 0, false},
};

static const struct arg drill_args[] = {
        {"drill", A_ID, true},
        {"records", A_RECORDS, false},
        {NULL, 0, false},
};

static const struct arg no_args[] = {{NULL, 0, false}};

static const struct arg *const req_args[] = {
        [EV_REQ_STATUS] = no_args, [EV_REQ_RELOAD] = no_args,     [EV_REQ_RULES] = no_args,
        [EV_REQ_SEAL] = seal_args, [EV_REQ_TRIAGE] = triage_args, [EV_REQ_DRILL] = drill_args,
};

static int fail(const char **ret_code, char **ret_error, const char *code, const char *fmt, ...)
        _printf_(4, 5);
static int fail(const char **ret_code, char **ret_error, const char *code, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	*ret_error = ev_vasprintf(fmt, ap);
	va_end(ap);
	*ret_code = code;
	return -EINVAL;
}

/* A printable, bounded string: no control characters (a request value ends up in logs). */
static bool str_ok(const char *s, size_t len, size_t max) {
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* Drill records: at most EV_DRILL_RECORDS_MAX objects of at most RECORD_FIELDS_MAX
 * fields, each a string (no control characters) or an integer, names of at most 64 bytes
 * of [A-Za-z0-9_.-]. */
static int check_records(const struct arg *a, json_t *v, const char **ret_code, char **ret_error) {
	if (!json_is_array(v) || json_array_size(v) > EV_DRILL_RECORDS_MAX)
		return fail(ret_code, ret_error, "invalid_argument",
		            "'%s' must be a list of at most %d objects", a->name,
		            EV_DRILL_RECORDS_MAX);
	size_t i;
	json_t *r;
	json_array_foreach(v, i, r) {
		const char *k;
		json_t *f;
		if (!json_is_object(r) || json_object_size(r) > RECORD_FIELDS_MAX)
			return fail(ret_code, ret_error, "invalid_argument",
			            "'%s' item %zu must be an object of at most %d fields", a->name,
			            i + 1, RECORD_FIELDS_MAX);
		json_object_foreach(r, k, f) {
			bool name_ok =
			        strlen(k) <= 64 && strlen(k) > 0 &&
			        strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			                  "0123456789_.-") == strlen(k);
			if (!name_ok ||
			    !(json_is_integer(f) ||
			      (json_is_string(f) &&
			       str_ok(json_string_value(f), json_string_length(f), STR_MAX))))
				return fail(
				        ret_code, ret_error, "invalid_argument",
				        "'%s' item %zu: field names are [A-Za-z0-9_.-] and values "
				        "strings without control characters or integers",
				        a->name, i + 1);
		}
	}
	return 0;
}

static int check_arg(const struct arg *a, json_t *v, const char **ret_code, char **ret_error) {
	switch (a->type) {
	case A_STRING:
	case A_ID: {
		size_t max = a->type == A_ID ? ID_MAX : STR_MAX;
		if (!json_is_string(v) || !str_ok(json_string_value(v), json_string_length(v), max))
			return fail(ret_code, ret_error, "invalid_argument",
			            "'%s' must be a non-empty string of at most %zu bytes without "
			            "control characters",
			            a->name, max);
		return 0;
	}
	case A_DURATION: {
		uint64_t us;
		if (!json_is_string(v) || ev_parse_duration(json_string_value(v), &us) < 0)
			return fail(ret_code, ret_error, "invalid_argument",
			            "'%s' must be a duration such as 30s, 15m or 2h", a->name);
		return 0;
	}
	case A_STRV: {
		if (!json_is_array(v) || json_array_size(v) > LIST_MAX)
			return fail(ret_code, ret_error, "invalid_argument",
			            "'%s' must be a list of at most %d strings", a->name, LIST_MAX);
		size_t i;
		json_t *it;
		json_array_foreach(v, i, it) {
			if (!json_is_string(it) ||
			    !str_ok(json_string_value(it), json_string_length(it), STR_MAX))
				return fail(ret_code, ret_error, "invalid_argument",
				            "'%s' item %zu must be a non-empty string without "
				            "control characters",
				            a->name, i + 1);
		}
		return 0;
	}
	case A_UINT:
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return fail(ret_code, ret_error, "invalid_argument",
			            "'%s' must be a non-negative integer", a->name);
		if (a->max && json_integer_value(v) > a->max)
			return fail(ret_code, ret_error, "invalid_argument",
			            "'%s' must be at most %" JSON_INTEGER_FORMAT, a->name, a->max);
		return 0;
	case A_BOOL:
		if (!json_is_boolean(v))
			return fail(ret_code, ret_error, "invalid_argument",
			            "'%s' must be true or false", a->name);
		return 0;
	case A_RECORDS:
		return check_records(a, v, ret_code, ret_error);
	}
	return fail(ret_code, ret_error, "invalid_argument", "'%s': unsupported", a->name);
}

int ev_request_parse(const char *line, size_t len, struct ev_request *ret, const char **ret_code,
                     char **ret_error) {
	*ret_error = NULL;
	if (len > EV_CONTROL_LINE_MAX)
		return fail(ret_code, ret_error, "too_long", "request longer than %d bytes",
		            EV_CONTROL_LINE_MAX);
	json_error_t je;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!o)
		return fail(ret_code, ret_error, "malformed", "not JSON: %s at byte %d", je.text,
		            je.position);
	if (!json_is_object(o)) {
		json_decref(o);
		return fail(ret_code, ret_error, "malformed",
		            "a request is a JSON object such as {\"request\":\"status\"}");
	}
	json_t *rq = json_object_get(o, "request");
	if (!json_is_string(rq)) {
		json_decref(o);
		return fail(ret_code, ret_error, "malformed",
		            "missing \"request\" (status, reload, rules, seal, triage or drill)");
	}
	const char *name = json_string_value(rq);
	size_t t = 0;
	while (t < ELEMENTSOF(req_names) && strcmp(req_names[t], name) != 0)
		t++;
	if (t == ELEMENTSOF(req_names)) {
		char shown[64];
		size_t k = 0;
		for (const char *c = name; *c && k < sizeof(shown) - 4; c++)
			shown[k++] = ((unsigned char)*c < 0x20 || *c == 0x7f) ? '?' : *c;
		shown[k] = '\0';
		bool cut = strlen(name) > k;
		json_decref(o); /* `name` points into o */
		return fail(ret_code, ret_error, "unknown_request",
		            "unknown request '%s%s' (expected status, reload, rules, seal, triage "
		            "or drill)",
		            shown, cut ? "..." : "");
	}
	const struct arg *args = req_args[t];
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		if (strcmp(key, "request") == 0)
			continue;
		const struct arg *a = args;
		while (a->name && strcmp(a->name, key) != 0)
			a++;
		if (!a->name) {
			char shown[64];
			snprintf(shown, sizeof(shown), "%s", key);
			for (char *c = shown; *c; c++)
				if ((unsigned char)*c < 0x20 || *c == 0x7f)
					*c = '?';
			int r = fail(ret_code, ret_error, "invalid_argument",
			             "unknown key '%s' in a '%s' request", shown, req_names[t]);
			json_decref(o);
			return r;
		}
		int r = check_arg(a, v, ret_code, ret_error);
		if (r < 0) {
			json_decref(o);
			return r;
		}
	}
	for (const struct arg *a = args; a->name; a++)
		if (a->required && !json_object_get(o, a->name)) {
			int r = fail(ret_code, ret_error, "invalid_argument",
			             "a '%s' request needs '%s'", req_names[t], a->name);
			json_decref(o);
			return r;
		}
	*ret = (struct ev_request){.type = (enum ev_request_type)t, .obj = o};
	return 0;
}

void ev_request_done(struct ev_request *r) {
	json_decref(r->obj);
	r->obj = NULL;
}

json_t *ev_control_error(const char *code, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	char *m = ev_vasprintf(fmt, ap);
	va_end(ap);
	json_t *o = json_pack("{s:b, s:s, s:s}", "ok", 0, "code", code, "error",
	                      m ? m : "out of memory");
	free(m);
	return o;
}

json_t *ev_peer_json(const struct ev_peer *p) {
	return json_pack("{s:I, s:I, s:I, s:s?}", "uid", (json_int_t)p->uid, "gid",
	                 (json_int_t)p->gid, "pid", (json_int_t)p->pid, "exe",
	                 p->exe[0] ? p->exe : NULL);
}
