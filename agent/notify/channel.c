/* notify.channels: every key of every channel checked with its position; the result is a
 * plain JSON array (channel.h). Unknown keys get a did-you-mean; a key the channel's type
 * does not use is an error rather than silently ignored. */
#include "config.h"

#include "agent/notify/channel.h"

#include <errno.h>
#include <string.h>

#include "agent/settings.h"
#include "util/macro.h"

enum kt { K_STR, K_BOOL, K_INT, K_DUR, K_LIST, K_TO };

struct ckey {
	const char *name;
	enum kt t;
	const char *types; /* "webhook,email": the types that use it; NULL: all */
	const char *json;  /* JSON name when it differs (durations: NAME_us) */
};

static const struct ckey ckeys[] = {
        {"name", K_STR, NULL, NULL},
        {"type", K_STR, NULL, NULL},
        {"audiences", K_LIST, NULL, NULL},
        {"events", K_LIST, NULL, NULL},
        {"url", K_STR, "webhook,email", NULL},
        {"payload", K_STR, "webhook", NULL},
        {"token_file", K_STR, "webhook", NULL},
        {"ca_file", K_STR, "webhook,email", NULL},
        {"tls_verify", K_BOOL, "webhook,email", NULL},
        {"timeout", K_DUR, NULL, "timeout_us"},
        {"from", K_STR, "email", NULL},
        {"to", K_TO, "email", NULL},
        {"starttls", K_BOOL, "email", NULL},
        {"dir", K_STR, "statuspage", NULL},
        {"title", K_STR, "statuspage", NULL},
        {"command", K_LIST, "command", NULL},
        {"retry_max", K_INT, NULL, NULL},
        {"retry_backoff", K_DUR, NULL, "retry_backoff_us"},
        {"retry_max_backoff", K_DUR, NULL, "retry_max_backoff_us"},
};

static const char *const types[] = {"webhook", "email", "statuspage", "command", NULL};
static const char *const audiences[] = {"internal", "customer", "executive", NULL};
static const char *const events[] = {"critical",      "high",     "medium",    "low",
                                     "informational", "opened",   "escalated", "update_due",
                                     "update",        "resolved", NULL};

static bool in(const char *const *set, const char *s) {
	for (size_t i = 0; set[i]; i++)
		if (!strcmp(set[i], s))
			return true;
	return false;
}

static bool type_uses(const struct ckey *k, const char *type) {
	if (!k->types || !type)
		return true;
	size_t n = strlen(type);
	for (const char *p = k->types; *p;) {
		size_t l = strcspn(p, ",");
		if (l == n && !strncmp(p, type, n))
			return true;
		p += l + (p[l] == ',');
	}
	return false;
}

struct cl {
	const char *file;
	struct ev_errlist *errs;
	int ret;
};

#define ERR(L, node, ...)                                                                          \
	do {                                                                                       \
		ev_errlist_add((L)->errs, (L)->file, (node)->line, (node)->col, __VA_ARGS__);      \
		(L)->ret = -EINVAL;                                                                \
	} while (0)

static json_t *list_of(struct cl *L, const struct ytree_node *v, const char *key,
                       const char *const *allowed) {
	json_t *a = json_array();
	if (v->kind != YTREE_SEQ) {
		ERR(L, v, "notify.channels: '%s' must be a list", key);
		return a;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct ytree_node *it = v->items[i];
		if (it->kind != YTREE_SCALAR || !it->len) {
			ERR(L, it, "notify.channels: '%s' items must be strings", key);
			continue;
		}
		if (allowed && !in(allowed, it->str)) {
			char set[200] = "";
			for (size_t j = 0; allowed[j]; j++) {
				strncat(set, j ? ", " : "", sizeof(set) - strlen(set) - 1);
				strncat(set, allowed[j], sizeof(set) - strlen(set) - 1);
			}
			ERR(L, it, "notify.channels: unknown %s '%s' (expected %s)", key, it->str,
			    set);
			continue;
		}
		json_array_append_new(a, json_string(it->str));
	}
	return a;
}

/* to: a list of addresses (every audience) or a mapping AUDIENCE: [addresses]. */
static json_t *to_of(struct cl *L, const struct ytree_node *v) {
	json_t *o = json_object();
	if (v->kind == YTREE_SEQ) {
		json_object_set_new(o, "*", list_of(L, v, "to", NULL));
		return o;
	}
	if (v->kind != YTREE_MAP) {
		ERR(L, v,
		    "notify.channels: 'to' must be a list of addresses or a mapping "
		    "AUDIENCE: [addresses]");
		return o;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct ytree_node *k = v->pairs[i].key;
		if (!in(audiences, k->str))
			ERR(L, k,
			    "notify.channels: 'to': unknown audience '%s' (expected internal, "
			    "customer, executive)",
			    k->str);
		else
			json_object_set_new(o, k->str, list_of(L, v->pairs[i].value, "to", NULL));
	}
	return o;
}

static void scalar(struct cl *L, const struct ckey *k, const struct ytree_node *v, json_t *ch) {
	const char *jn = k->json ? k->json : k->name;
	if (v->kind != YTREE_SCALAR || ytree_is_null(v)) {
		ERR(L, v, "notify.channels: '%s' must be a value", k->name);
		return;
	}
	uint64_t d;
	char *end;
	switch (k->t) {
	case K_STR:
		json_object_set_new(ch, jn, json_string(v->str));
		break;
	case K_BOOL:
		if (strcmp(v->str, "true") && strcmp(v->str, "false"))
			ERR(L, v, "notify.channels: '%s' must be true or false", k->name);
		else
			json_object_set_new(ch, jn, json_boolean(!strcmp(v->str, "true")));
		break;
	case K_INT: {
		long long x = strtoll(v->str, &end, 10);
		if (*end || x < 0 || x > 1000)
			ERR(L, v, "notify.channels: '%s' must be an integer 0..1000", k->name);
		else
			json_object_set_new(ch, jn, json_integer(x));
		break;
	}
	case K_DUR:
		if (ev_parse_duration(v->str, &d) < 0 || d < 1000 || d > 86400000000ULL)
			ERR(L, v, "notify.channels: '%s': '%s' is not a duration 1ms..1d", k->name,
			    v->str);
		else
			json_object_set_new(ch, jn, json_integer((json_int_t)d));
		break;
	default:
		break;
	}
}

static void set_default(json_t *ch, const char *key, json_t *v) {
	if (!json_object_get(ch, key))
		json_object_set(ch, key, v);
	json_decref(v);
}

/* Required keys per type, defaults, and the checks that need several keys. */
static void finish(struct cl *L, const struct ytree_node *it, json_t *ch) {
	const char *type = json_string_value(json_object_get(ch, "type"));
	const char *name = json_string_value(json_object_get(ch, "name"));
	if (!name || !*name ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(name))
		ERR(L, it, "notify.channels: each channel needs a 'name' of [a-z0-9_-]");
	if (!type || !in(types, type)) {
		ERR(L, it,
		    "notify.channels: channel '%s' needs a 'type' (webhook, email, statuspage, "
		    "command)",
		    name ? name : "?");
		return;
	}
	set_default(ch, "audiences", json_pack("[s]", "internal"));
	set_default(ch, "events", json_array());
	set_default(ch, "timeout_us", json_integer(10000000));
	set_default(ch, "retry_max", json_integer(10));
	set_default(ch, "retry_backoff_us", json_integer(5000000));
	set_default(ch, "retry_max_backoff_us", json_integer(600000000));
	const char *need = NULL;
	if (!strcmp(type, "webhook")) {
		set_default(ch, "payload", json_string("slack"));
		set_default(ch, "tls_verify", json_true());
		const char *p = json_string_value(json_object_get(ch, "payload"));
		if (strcmp(p, "slack") && strcmp(p, "json"))
			ERR(L, it,
			    "notify.channels: channel '%s': payload '%s' (expected slack or json)",
			    name, p);
		need = json_object_get(ch, "url") ? NULL : "url";
	} else if (!strcmp(type, "email")) {
		set_default(ch, "tls_verify", json_true());
		set_default(ch, "starttls", json_true());
		need = !json_object_get(ch, "url")    ? "url"
		       : !json_object_get(ch, "from") ? "from"
		       : !json_object_get(ch, "to")   ? "to"
		                                      : NULL;
	} else if (!strcmp(type, "statuspage")) {
		set_default(ch, "title", json_string("Service status"));
		need = json_object_get(ch, "dir") ? NULL : "dir";
	} else if (!strcmp(type, "command"))
		need = json_array_size(json_object_get(ch, "command")) ? NULL : "command";
	if (need)
		ERR(L, it, "notify.channels: channel '%s' (%s) needs '%s'", name ? name : "?", type,
		    need);
	const char *url = json_string_value(json_object_get(ch, "url"));
	if (url && !strcmp(type, "webhook") && strncmp(url, "http://", 7) &&
	    strncmp(url, "https://", 8))
		ERR(L, it, "notify.channels: channel '%s': url must be http:// or https://", name);
	if (url && !strcmp(type, "email") && strncmp(url, "smtp://", 7) &&
	    strncmp(url, "smtps://", 8))
		ERR(L, it, "notify.channels: channel '%s': url must be smtp:// or smtps://", name);
}

int ev_notify_channels_load(const struct ytree_node *n, const char *file, json_t **ret,
                            struct ev_errlist *errs) {
	struct cl L = {.file = file, .errs = errs};
	json_t *all = json_array();
	if (!all)
		return -ENOMEM;
	if (!ytree_is_null(n) && n->kind != YTREE_SEQ)
		ERR(&L, n, "notify.channels must be a list of mappings");
	for (size_t i = 0; !ytree_is_null(n) && n->kind == YTREE_SEQ && i < n->n; i++) {
		const struct ytree_node *it = n->items[i];
		if (it->kind != YTREE_MAP) {
			ERR(&L, it, "notify.channels: item %zu must be a mapping", i + 1);
			continue;
		}
		if (i >= EV_NOTIFY_MAX_CHANNELS) {
			ERR(&L, it, "notify.channels: more than %d channels",
			    EV_NOTIFY_MAX_CHANNELS);
			break;
		}
		json_t *ch = json_object();
		const struct ytree_node *tn = ytree_map_get(it, "type");
		const char *type = tn && tn->kind == YTREE_SCALAR ? tn->str : NULL;
		for (size_t j = 0; j < it->n; j++) {
			const struct ytree_node *kn = it->pairs[j].key, *vn = it->pairs[j].value;
			const struct ckey *k = NULL;
			struct ev_suggest sg = ev_suggest_init(kn->str);
			for (size_t x = 0; x < ELEMENTSOF(ckeys); x++) {
				ev_suggest_add(&sg, ckeys[x].name);
				if (!strcmp(ckeys[x].name, kn->str))
					k = &ckeys[x];
			}
			if (!k) {
				const char *b = ev_suggest_best(&sg);
				ERR(&L, kn, "notify.channels: unknown key '%s'%s%s%s", kn->str,
				    b ? " (did you mean '" : "", b ? b : "", b ? "'?)" : "");
			} else if (!type_uses(k, type))
				ERR(&L, kn, "notify.channels: '%s' does not apply to a %s channel",
				    kn->str, type);
			else if (k->t == K_LIST)
				json_object_set_new(ch, k->name,
				                    list_of(&L, vn, k->name,
				                            !strcmp(k->name, "audiences")
				                                    ? audiences
				                            : !strcmp(k->name, "events") ? events
				                                                         : NULL));
			else if (k->t == K_TO)
				json_object_set_new(ch, "to", to_of(&L, vn));
			else
				scalar(&L, k, vn, ch);
		}
		finish(&L, it, ch);
		const char *nm = json_string_value(json_object_get(ch, "name"));
		if (nm && ev_notify_channel_find(all, nm))
			ERR(&L, it, "notify.channels: two channels are named '%s'", nm);
		json_array_append_new(all, ch);
	}
	if (L.ret < 0) {
		json_decref(all);
		return L.ret;
	}
	*ret = all;
	return 0;
}

const json_t *ev_notify_channel_find(const json_t *channels, const char *name) {
	size_t i;
	const json_t *ch;
	json_array_foreach(channels, i, ch) {
		const char *n = json_string_value(json_object_get(ch, "name"));
		if (n && name && !strcmp(n, name))
			return ch;
	}
	return NULL;
}

static bool list_has(const json_t *a, const char *s) {
	size_t i;
	const json_t *v;
	json_array_foreach(a, i, v) if (s && !strcmp(json_string_value(v), s)) return true;
	return false;
}

bool ev_notify_channel_takes_audience(const json_t *ch, const char *audience) {
	return list_has(json_object_get(ch, "audiences"), audience);
}

bool ev_notify_channel_takes_event(const json_t *ch, const char *event) {
	return list_has(json_object_get(ch, "events"), event);
}

bool ev_notify_needs_approval(const json_t *ch, const char *audience) {
	const char *t = json_string_value(json_object_get(ch, "type"));
	return (t && !strcmp(t, "statuspage")) || !strcmp(audience, "customer");
}
