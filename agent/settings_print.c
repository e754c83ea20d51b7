/* Printing the effective configuration (`evident config check`): every key of the schema
 * (agent/settings.c) in schema order, as YAML-like text or as one JSON object. */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>

#include "agent/settings.h"
#include "agent/settings_schema.h"

static json_t *value_json(const struct cfg_key *k, const void *p) {
	switch (k->type) {
	case CT_SECTION: { /* a section inside a section: its offset is 0, p is the base */
		json_t *o = json_object();
		for (const struct cfg_key *sk = k->sub; o && sk->name; sk++)
			json_object_set_new(o, sk->name,
			                    value_json(sk, (const char *)p + sk->offset));
		return o;
	}
	case CT_STRING:
	case CT_PATH:
	case CT_ENUM:
		return *(char *const *)p ? json_string(*(char *const *)p) : json_null();
	case CT_BOOL:
		return json_boolean(*(const bool *)p);
	case CT_INT:
		return json_integer(*(const int64_t *)p);
	case CT_DURATION: {
		char b[64];
		ev_format_duration(*(const uint64_t *)p, b, sizeof(b));
		return json_string(b);
	}
	case CT_SIZE: {
		char b[64];
		ev_format_size(*(const uint64_t *)p, b, sizeof(b));
		return json_string(b);
	}
	case CT_STRV: {
		const struct ev_strv *v = p;
		json_t *a = json_array();
		for (size_t i = 0; i < v->n; i++)
			json_array_append_new(a, json_string(v->v[i]));
		return a;
	}
	case CT_CHANNELS:
		return *(json_t *const *)p ? json_deep_copy(*(json_t *const *)p) : json_array();
	default:
		return json_null();
	}
}

static json_t *config_json(const struct ev_config *c) {
	json_t *root = json_object();
	json_object_set_new(root, "origin", json_string(c->origin));
	for (const struct cfg_key *s = ev_settings_top_keys; s->name; s++) {
		if (s->type != CT_SECTION)
			continue;
		json_t *o = json_object();
		for (const struct cfg_key *k = s->sub; k->name; k++) {
			if (k->type == CT_FILES) {
				json_t *a = json_array();
				for (size_t i = 0; i < c->sources.n_files; i++) {
					json_t *fo = json_object();
					for (const struct cfg_key *fk = ev_settings_file_keys;
					     fk->name; fk++)
						json_object_set_new(
						        fo, fk->name,
						        value_json(
						                fk,
						                (const char *)&c->sources.files[i] +
						                        fk->offset));
					json_array_append_new(a, fo);
				}
				json_object_set_new(o, k->name, a);
				continue;
			}
			json_object_set_new(o, k->name, value_json(k, (const char *)c + k->offset));
		}
		json_object_set_new(root, s->name, o);
	}
	return root;
}

void ev_config_print(const struct ev_config *c, FILE *f, bool json) {
	json_t *j = config_json(c);
	if (json) {
		char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
		fprintf(f, "%s\n", s ? s : "{}");
		free(s);
		json_decref(j);
		return;
	}
	fprintf(f, "# effective configuration (from %s)\n", c->origin);
	for (const struct cfg_key *s = ev_settings_top_keys; s->name; s++) {
		if (s->type != CT_SECTION)
			continue;
		fprintf(f, "%s:\n", s->name);
		json_t *o = json_object_get(j, s->name);
		for (const struct cfg_key *k = s->sub; k->name; k++) {
			json_t *v = json_object_get(o, k->name);
			if (json_is_array(v) || json_is_object(v)) {
				char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
				fprintf(f, "  %s: %s\n", k->name, t ? t : "[]");
				free(t);
			} else if (json_is_string(v))
				fprintf(f, "  %s: %s\n", k->name, json_string_value(v));
			else if (json_is_null(v))
				fprintf(f, "  %s: null\n", k->name);
			else {
				char *t = json_dumps(v, JSON_ENCODE_ANY);
				fprintf(f, "  %s: %s\n", k->name, t ? t : "");
				free(t);
			}
		}
	}
	json_decref(j);
}
