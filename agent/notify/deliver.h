/* The bytes a channel sends, and sending them.
 *
 * ev_notify_payload() renders a queued item ({"incident", "audience", "message":
 * {subject, body, drill}} or {"event": {...}} for an alert or a deadline) into the exact
 * bytes of one channel: the Slack incoming-webhook JSON (text plus blocks) or the plain
 * JSON object for webhooks, an RFC 5322 message (Date, From, To, Subject, Message-ID, MIME
 * UTF-8, CRLF) for email, the update object for a status page, the JSON line for a
 * command. Rendering happens once, when the item is queued, so every retry sends the same
 * bytes and the SHA-256 recorded is theirs.
 *
 * ev_notify_send() sends those bytes, blocking up to the channel's timeout: it runs in a
 * worker or the command line, never in the event loop. Webhooks and email go through
 * libcurl with TLS verified unless the channel says tls_verify: false; a bearer token is
 * read from token_file, refused when others may read it. */
#pragma once
#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"

struct ev_notify_ctx {
	const char *state_dir;
	const json_t *services; /* service names for status page components (borrowed) */
	const char *hostname;
};

/* 0 and malloc'd bytes (NUL-terminated; *ret_len without the NUL), or -errno. */
int ev_notify_payload(const json_t *ch, const json_t *item, const char *hostname, char **ret,
                      size_t *ret_len);
/* Send. 0 delivered; -EAGAIN worth retrying; another -errno a permanent failure. A
 * sentence on what happened in *ret_detail (malloc'd, always set). */
int ev_notify_send(const struct ev_notify_ctx *ctx, const json_t *ch, const json_t *item,
                   const char *bytes, size_t len, char **ret_detail);
/* Exposed for tests: a token file's contents when only its owner (and group) may read it;
 * -EPERM when others may, -errno when unreadable. */
int ev_notify_read_token(const char *path, char **ret, char **ret_why);
