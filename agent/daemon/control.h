/* The control socket: AF_UNIX SOCK_STREAM, one JSON request per line, one JSON answer
 * per request (one line), in order.
 *
 * Peers are identified with SO_PEERCRED (uid, gid, pid) and SO_PEERGROUPS, and their
 * executable is read from /proc/PID/exe. Root and members of the control group (primary
 * or supplementary) are served; anyone else gets one refusal answer, the connection is
 * closed, and the refusal is logged and recorded in the audit log.
 *
 * Limits (never grown by input): a request line is at most EV_CONTROL_LINE_MAX bytes
 * (longer: error answer, connection closed); pending output per connection at most
 * EV_CONTROL_OUT_MAX bytes (more: connection closed); at most EV_CONTROL_MAX_CONNS
 * connections (more: refused with an answer); a connection that sends no complete request
 * for EV_CONTROL_IDLE_USEC is closed (unless it waits for a queued request's answer).
 * All socket I/O is non-blocking: no peer can stall the event loop.
 *
 * Answers: {"ok":true, ...} or {"ok":false,"code":CODE,"error":MESSAGE}, CODE one of
 * malformed, too_long, unknown_request, invalid_argument, permission_denied, busy,
 * unavailable, incomplete, too_many_connections, failed. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#define EV_CONTROL_LINE_MAX  (64 * 1024)
#define EV_CONTROL_OUT_MAX   (1024 * 1024)
#define EV_CONTROL_MAX_CONNS 64
#define EV_CONTROL_IDLE_USEC (30ULL * 1000000)

enum ev_request_type {
	EV_REQ_STATUS,
	EV_REQ_RELOAD,
	EV_REQ_RULES,
	EV_REQ_SEAL,
	EV_REQ_TRIAGE,
	EV_REQ_DRILL,
};

#define EV_DRILL_RECORDS_MAX 256 /* records in one drill request */

struct ev_request {
	enum ev_request_type type;
	json_t *obj; /* the whole request object (owned reference) */
};

/* Parse and validate one request line (without the newline). Returns 0 and a request
 * (release with ev_request_done), or -EINVAL with *ret_code (static string) and
 * *ret_error (malloc'd message; may be NULL on OOM). Accepted forms:
 *   {"request":"status"}  {"request":"reload"}  {"request":"rules"}
 *   {"request":"seal", "from":T, "to":T, "lookback":DURATION, "sources":[S...],
 *    "incident":S, "note":S, "units":[S...], "copies":[S...], "commands":[S...],
 *    "level":0..9, "immutable":B, "max_bundle_size":N}  (all optional; the options of
 *    `evident seal`)
 *   {"request":"triage", "incident":S (required), "impact":S, "urgency":S,
 *    "service":S, "services":[S...], "affected_users":N, "note":S}
 *   {"request":"drill", "drill":ID (required), "records":[{FIELD: STRING|INTEGER...}]}
 *    (records injected into the pipeline marked drill: agent/maint/drill.h)
 * Unknown keys, wrong types and oversized strings are invalid_argument. */
int ev_request_parse(const char *line, size_t len, struct ev_request *ret, const char **ret_code,
                     char **ret_error);
void ev_request_done(struct ev_request *r);
const char *ev_request_name(enum ev_request_type t);

struct ev_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	char exe[256]; /* "" when unreadable */
};

/* A build of the peer object recorded in logs and answers: {"uid","gid","pid","exe"}. */
json_t *ev_peer_json(const struct ev_peer *p);

struct ev_control;

/* Called by the control socket for every accepted request. Return the answer (a new
 * reference), or NULL after keeping `ticket` to answer later with ev_control_answer()
 * (the connection reads no further request until then). */
typedef json_t *(*ev_control_handler)(void *userdata, const struct ev_request *req,
                                      const struct ev_peer *peer, uint64_t ticket);
/* Called for every line of the audit trail (refusals, requests, answers). The entry is
 * borrowed. */
typedef void (*ev_control_audit)(void *userdata, json_t *entry);

/* Bind and listen on `path` (mode 0666: access is decided by the peer check). A stale
 * socket left by a dead agent is replaced; a live one (something accepts connections)
 * gives -EADDRINUSE. The parent directory is created (0755) when missing. `group` may be
 * NULL or name no group: then only root is allowed (logged). Returns 0 or -errno. */
int ev_control_new(sd_event *e, const char *path, const char *group, ev_control_handler h,
                   ev_control_audit audit, void *userdata, struct ev_control **ret);
/* Close every connection, remove the socket file, free. NULL is fine. */
struct ev_control *ev_control_free(struct ev_control *c);
/* Change the allowed group (reload). Returns 0, or -ENOENT when the group does not exist
 * (only root allowed then). */
int ev_control_set_group(struct ev_control *c, const char *group);
/* Answer a request that the handler kept. Takes `answer`. When the connection is gone the
 * answer is dropped (and still audited). */
void ev_control_answer(struct ev_control *c, uint64_t ticket, json_t *answer);
/* An error answer {"ok":false,"code":code,"error":msg}. */
json_t *ev_control_error(const char *code, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

struct ev_control_stats {
	size_t connections;
	uint64_t accepted, refused_peers, refused_cap, requests, errors, timeouts;
};
void ev_control_get_stats(const struct ev_control *c, struct ev_control_stats *ret);

/* Connect to `path` and exchange one request for one answer (the client side, for
 * `evident status`, `evident reload`). Returns 0 and the answer, -ENOENT / -ECONNREFUSED
 * when no agent listens, -ETIMEDOUT after timeout_usec, or another -errno. */
int ev_control_call(const char *path, const json_t *request, uint64_t timeout_usec,
                    json_t **ret_answer);

struct ev_command;
/* The client commands' exchange (status, reload, triage): `sock`, or when NULL the
 * agent.control_socket of `config` (NULL: the embedded configuration); one request, one
 * answer. Returns -1 with
 * *ret_answer set when the agent answered. Otherwise prints why and returns the exit code:
 * EV_EXIT_USAGE when no socket is configured, no agent listens (then `hint`, when not
 * NULL, follows the message), or the exchange failed. */
int ev_control_client(const struct ev_command *cmd, const char *sock, const char *config,
                      const json_t *request, uint64_t timeout_usec, const char *hint,
                      json_t **ret_answer);
