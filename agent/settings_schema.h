/* The configuration schema's types, shared by the schema (agent/settings.c), the loader
 * (agent/settings_load.c) and the printer (agent/settings_print.c). Internal to those
 * three files: everything else uses agent/settings.h. A table is an array of keys ended by
 * one whose name is NULL; a CT_SECTION key's offset is 0 and its sub-table's offsets are
 * from the start of struct ev_config, a CT_FILES key's sub-table's offsets are from the
 * start of struct ev_cfg_file_source. */
#pragma once
#include <stddef.h>
#include <stdint.h>

enum cfg_type {
	CT_SECTION,
	CT_STRING,
	CT_PATH,
	CT_BOOL,
	CT_INT,
	CT_DURATION,
	CT_SIZE,
	CT_ENUM,
	CT_STRV,
	CT_FILES,
	CT_CHANNELS, /* notify.channels: checked by agent/notify/channel.c, kept as JSON */
};

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t offset;
	int64_t min, max;          /* CT_INT, CT_DURATION (µs), CT_SIZE (bytes) */
	const char *def;           /* default, parsed like a file value; NULL = unset */
	const char *choices;       /* CT_ENUM: "a|b|c" */
	const struct cfg_key *sub; /* CT_SECTION, CT_FILES */
	const char *doc;
};

/* The top level (its first key is "include"), one sources.files entry, store.upload. */
extern const struct cfg_key ev_settings_top_keys[];
extern const struct cfg_key ev_settings_file_keys[];
extern const struct cfg_key ev_settings_upload_keys[];
