/* Alert forwarding: RFC 5424 messages over TLS (RFC 5425 octet-counted framing) to a
 * syslog receiver (rsyslog, syslog-ng, a SIEM), through a bounded on-disk queue.
 *
 * The loop thread only formats a message and appends it to a small in-memory hand-off
 * list (mutex held for a pointer swap; never any I/O). One worker thread owns everything
 * else: it writes each message as one file in STATE_DIR/forward/ (fsync'd, named by a
 * sequence number), connects with TLS (server certificate verified against ca_file or the
 * system store, host name checked, optional client certificate), sends the queued files in
 * order and deletes a file only after the connection was seen alive after the write (a
 * receiver that closed the connection gets the unconfirmed messages again on the next
 * connection: at least once). The queue holds at most queue_max messages; beyond it new
 * messages are dropped and counted. The queue survives restarts and reloads: one worker
 * at a time holds an flock on the queue directory.
 *
 * Counters are per process (they outlive a reload) and only grow, except `queued`. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/settings.h"
#include "util/err.h"

struct ev_forward;

struct ev_forward_stats {
	uint64_t queued;       /* messages waiting (memory and disk) */
	uint64_t sent;         /* confirmed sent and removed from the queue */
	uint64_t dropped;      /* refused because the queue was full (or on errors) */
	uint64_t tls_failures; /* handshakes that failed (certificate refused, ...) */
	uint64_t connect_failures;
	bool connected;
};

/* Start forwarding to cfg->actions.forward.address ("HOST:PORT"), queue under
 * `state_dir`/forward. Certificate and key files are loaded here: errors go to errs and
 * return -EINVAL. Returns 0 or -errno. */
int ev_forward_new(const struct ev_config *cfg, const char *state_dir, struct ev_forward **ret,
                   struct ev_errlist *errs);
/* Stop the worker (waits for it; at most the I/O timeout), keep what is queued on disk. */
struct ev_forward *ev_forward_free(struct ev_forward *f);
/* Queue one RFC 5424 message (no framing). Never blocks on I/O. */
void ev_forward_submit(struct ev_forward *f, const char *msg, size_t len);
void ev_forward_get_stats(struct ev_forward *f, struct ev_forward_stats *ret);

/* RFC 5424 SD-PARAM value escaping ('"', '\' and ']' get a backslash), appended to buf
 * of size `size` at *pos (always NUL-terminated; cut when full). Exposed for tests. */
void ev_forward_sd_escape(char *buf, size_t size, size_t *pos, const char *v, size_t len);
