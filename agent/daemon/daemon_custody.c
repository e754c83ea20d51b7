/* The control socket's audit trail, in two places:
 *  - an append-only JSON-lines file in the state directory, always: every refusal,
 *    request and answer. Each entry is one write() on an O_APPEND descriptor, so lines
 *    never interleave. Not signed. Beyond max_size bytes it is rotated (renamed to
 *    .1, older generations shifted up to .keep, the oldest removed) and the new file
 *    starts with a "rotated" entry naming its predecessor.
 *  - the store's signed, hash-chained custody ledger (STORE/custody.jsonl, via
 *    store_record) when the store key can be loaded: every refusal and every request
 *    that acts (reload, seal, triage, and malformed ones; not the read-only status and
 *    rules queries) as actions "control_request" / "control_refused" (a peer refused at
 *    connect, or a request answered permission_denied: the answer's code and message,
 *    and the connection's number that ties it to its request), with the peer (uid, gid, pid,
 *    executable) as the actor, once the store has a chain (HEAD; before its first bundle
 *    a ledger entry would read as a lost chain). Without a key this part is off and
 *    `status` says why. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/daemon/daemon.h"
#include "agent/daemon/daemon_log.h"
#include "store/store.h"
#include "store/store_recover.h"
#include "util/timefmt.h"
#include "util/clock.h"

struct ev_custody {
	int fd;
	char *path;
	uint64_t size, max_size; /* max_size 0: no cap */
	unsigned keep;
	uint64_t failures, rotations;
	/* the signed ledger */
	struct store_key *key;
	char *store_dir;
	char *ledger_off; /* why the ledger is not used, or NULL */
	int ledger_err;   /* the -errno that turned it off, or 0 */
	uint64_t ledger_entries, ledger_failures, ledger_skipped;
};

int ev_custody_set_ledger(struct ev_custody *c, const char *store_dir, const char *key_path) {
	c->key = store_key_free(c->key);
	free(c->store_dir);
	c->store_dir = NULL;
	free(c->ledger_off);
	c->ledger_off = NULL;
	struct ev_errlist errs = {0};
	int r = key_path ? store_key_load_private(key_path, &c->key, &errs) : -ENOKEY;
	c->ledger_err = r < 0 ? r : 0;
	if (r >= 0 && mkdir(store_dir, 0750) < 0 && errno != EEXIST)
		r = -errno;
	if (r >= 0 && !(c->store_dir = strdup(store_dir)))
		r = -ENOMEM;
	if (r < 0) {
		c->key = store_key_free(c->key);
		char *m = errs.n ? ev_error_format(&errs.v[0]) : NULL;
		if (asprintf(&c->ledger_off, "off: %s", m ? m : strerror(-r)) < 0)
			c->ledger_off = NULL;
		free(m);
	}
	ev_errlist_clear(&errs);
	return r;
}

int ev_custody_preflight(const struct ev_custody *c, const char *store_dir, const char *key_path) {
	int problems = 0;
	/* a key that exists but is refused (readable by others, a public key, too large):
	 * the ledger is off and every seal would fail the same way */
	if (c->ledger_err && c->ledger_err != -ENOENT && c->ledger_err != -ENOKEY) {
		ev_dlog(LOG_ERR,
		        "store key %s refused: %s; seals and the custody ledger are off "
		        "until it is fixed",
		        key_path ? key_path : "(none)",
		        c->ledger_off && !strncmp(c->ledger_off, "off: ", 5) ? c->ledger_off + 5
		                                                             : "cannot be loaded");
		problems |= EV_PREFLIGHT_KEY;
	}
	if (!store_dir)
		return problems;
	/* a store that does not exist yet passes: the first seal creates it */
	struct ev_errlist errs = {0};
	if (store_check_permissions(store_dir, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++) {
			char *m = ev_error_format(&errs.v[i]);
			ev_dlog(LOG_ERR, "store refused: %s; seals fail until it is fixed",
			        m ? m : store_dir);
			free(m);
		}
		if (!errs.n)
			ev_dlog(LOG_ERR, "store %s refused; seals fail until it is fixed",
			        store_dir);
		problems |= EV_PREFLIGHT_STORE;
	}
	ev_errlist_clear(&errs);
	return problems;
}

json_t *ev_custody_status(const struct ev_custody *c) {
	char ledger[4200];
	if (c->store_dir)
		snprintf(ledger, sizeof(ledger), "%s/custody.jsonl", c->store_dir);
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "file", c->path, "ledger",
	                 c->store_dir    ? ledger
	                 : c->ledger_off ? c->ledger_off
	                                 : "off",
	                 "file_failures", (json_int_t)c->failures, "ledger_entries",
	                 (json_int_t)c->ledger_entries, "ledger_failures",
	                 (json_int_t)c->ledger_failures, "file_size", (json_int_t)c->size,
	                 "file_rotations", (json_int_t)c->rotations);
}

int ev_custody_open(const char *state_dir, struct ev_custody **ret) {
	struct ev_custody *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (asprintf(&c->path, "%s/control-audit.jsonl", state_dir) < 0) {
		free(c);
		return -ENOMEM;
	}
	c->fd = open(c->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	struct stat st;
	if (c->fd < 0 || fstat(c->fd, &st) < 0) {
		int r = -errno;
		if (c->fd >= 0)
			close(c->fd);
		free(c->path);
		free(c);
		return r;
	}
	c->size = (uint64_t)st.st_size;
	*ret = c;
	return 0;
}

void ev_custody_set_limits(struct ev_custody *c, uint64_t max_size, unsigned keep) {
	c->max_size = max_size;
	c->keep = keep ? keep : 1;
}

/* Shift PATH.(k-1) -> PATH.k down to PATH -> PATH.1, reopen PATH. On failure the old file
 * stays in use (and keeps growing): the trail is never lost to a failed rotation. */
static void rotate(struct ev_custody *c) {
	char from[4200], to[4200];
	snprintf(to, sizeof(to), "%s.%u", c->path, c->keep);
	(void)unlink(to);
	for (unsigned k = c->keep; k > 1; k--) {
		snprintf(from, sizeof(from), "%s.%u", c->path, k - 1);
		snprintf(to, sizeof(to), "%s.%u", c->path, k);
		(void)rename(from, to);
	}
	snprintf(to, sizeof(to), "%s.1", c->path);
	if (rename(c->path, to) < 0) {
		if (c->failures++ == 0)
			ev_dlog(LOG_ERR, "audit log %s: cannot rotate (%s); it keeps growing",
			        c->path, strerror(errno));
		return;
	}
	int fd = open(c->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0) { /* keep writing to the renamed file rather than lose entries */
		if (c->failures++ == 0)
			ev_dlog(LOG_ERR, "audit log %s: cannot reopen after rotation (%s)", c->path,
			        strerror(errno));
		return;
	}
	fsync(c->fd);
	close(c->fd);
	c->fd = fd;
	c->size = 0;
	c->rotations++;
	json_t *e = json_pack("{s:s, s:s, s:I}", "event", "rotated", "previous", to, "rotations",
	                      (json_int_t)c->rotations);
	if (e)
		ev_custody_append(c, e);
	json_decref(e);
}

struct ev_custody *ev_custody_free(struct ev_custody *c) {
	if (!c)
		return NULL;
	if (c->fd >= 0) {
		fsync(c->fd);
		close(c->fd);
	}
	store_key_free(c->key);
	free(c->store_dir);
	free(c->ledger_off);
	free(c->path);
	free(c);
	return NULL;
}

const char *ev_custody_path(const struct ev_custody *c) {
	return c->path;
}
uint64_t ev_custody_failures(const struct ev_custody *c) {
	return c->failures;
}

void ev_custody_append(struct ev_custody *c, json_t *entry) {
	char t[EV_RFC3339_MAX];
	ev_format_rfc3339_us(ev_now_realtime_us(), t, sizeof(t));
	json_t *e = json_copy(entry);
	if (e)
		json_object_set_new(e, "time", json_string(t));
	char *s = e ? json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(e);
	ssize_t n = -1;
	size_t len = 0;
	if (s) {
		len = strlen(s);
		s[len] = '\n'; /* replaces the NUL: exactly len + 1 bytes are written */
		const char *ev = json_string_value(json_object_get(entry, "event"));
		if (c->max_size && c->size > 0 && c->size + len + 1 > c->max_size &&
		    !(ev && strcmp(ev, "rotated") == 0))
			rotate(c);
		n = write(c->fd, s, len + 1);
		if (n > 0)
			c->size += (uint64_t)n;
	}
	free(s);
	if (n != (ssize_t)(len + 1)) {
		if (c->failures++ == 0)
			ev_dlog(LOG_ERR,
			        "audit log %s: write failed (%s); further failures are only "
			        "counted",
			        c->path, n < 0 ? strerror(errno) : "short write");
	}
}

/* A refusal: a peer turned away at connect ("refused"), or a request answered
 * permission_denied (a member of the control group who is not root asking for more). */
static bool is_refusal(json_t *entry, const char *ev) {
	if (strcmp(ev, "refused") == 0)
		return true;
	const char *code = json_string_value(json_object_get(entry, "code"));
	return strcmp(ev, "answer") == 0 && code && strcmp(code, "permission_denied") == 0;
}

static void ledger_append(struct ev_custody *c, json_t *entry) {
	const char *ev = json_string_value(json_object_get(entry, "event"));
	if (!c->key || !ev || (strcmp(ev, "request") != 0 && !is_refusal(entry, ev)))
		return;
	/* Read-only queries (status, rules) touch no evidence: the audit file has them; a
	 * monitoring poll must not grow the signed ledger (one fsync'd entry each). */
	const char *rq = json_string_value(json_object_get(entry, "request"));
	if (rq && (strcmp(rq, "status") == 0 || strcmp(rq, "rules") == 0))
		return;
	/* A ledger without a chain head reads as a lost chain to the store: until the first
	 * bundle creates HEAD, requests are in the audit file only. */
	char head[4200];
	snprintf(head, sizeof(head), "%s/HEAD", c->store_dir);
	if (access(head, F_OK) < 0) {
		c->ledger_skipped++;
		return;
	}
	json_t *actor = json_deep_copy(json_object_get(entry, "peer"));
	json_t *details = json_deep_copy(entry);
	if (!actor || !details) {
		json_decref(actor);
		json_decref(details);
		c->ledger_failures++;
		return;
	}
	json_object_set_new(actor, "via", json_string("control socket"));
	json_object_del(details, "peer");
	struct ev_errlist errs = {0};
	int r = store_record(c->store_dir, c->key,
	                     is_refusal(entry, ev) ? "control_refused" : "control_request", NULL,
	                     details, actor, &errs);
	json_decref(actor);
	if (r < 0) {
		if (c->ledger_failures++ == 0) {
			char *m = errs.n ? ev_error_format(&errs.v[0]) : NULL;
			ev_dlog(LOG_ERR,
			        "custody ledger in %s: %s; further failures are only counted",
			        c->store_dir, m ? m : strerror(-r));
			free(m);
		}
	} else
		c->ledger_entries++;
	ev_errlist_clear(&errs);
}

void ev_daemon_audit(void *userdata, json_t *entry) {
	struct ev_daemon *d = userdata;
	ev_custody_append(d->custody, entry);
	ledger_append(d->custody, entry);
}
