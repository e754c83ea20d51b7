/* Custody ledger. Each line is the canonical JSON of an object with the keys action,
 * actor, bundle, details, key_id, prev, seq, sig and time; `sig` is the Ed25519 signature
 * (hex) over the canonical JSON of the same object without `sig`, and `prev` the SHA-256
 * of the previous line's bytes (without its newline; 64 zeros for the first).
 * Appends take an exclusive flock on the ledger file and fsync it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/ledger.h"
#include "util/timefmt.h"
#include "util/clock.h"

/* Read all of a regular file from fd (from offset 0; at most cap bytes). */
static int read_fd(int fd, size_t cap, char **ret, size_t *ret_len) {
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > cap)
		return -EFBIG;
	char *b = malloc((size_t)st.st_size + 1);
	if (!b)
		return -ENOMEM;
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(fd, b + got, (size_t)st.st_size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;
			free(b);
			return r;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	b[got] = 0;
	*ret = b;
	*ret_len = got;
	return 0;
}

int store_read_file(const char *path, size_t cap, char **ret, size_t *ret_len) {
	/* O_NONBLOCK: a FIFO planted at the name must not hang the reader (refused below) */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	int r = read_fd(fd, cap, ret, ret_len);
	close(fd);
	return r;
}

int store_open_regular(const char *path, int flags, mode_t mode, struct ev_errlist *errs) {
	int fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, mode);
	if (fd < 0) {
		int r = -errno;
		ev_errlist_add(errs, path, 0, 0, "cannot open: %s%s", strerror(-r),
		               r == -ELOOP ? " (a symbolic link; refused)" : "");
		return r;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		ev_errlist_add(errs, path, 0, 0,
		               "%s; refusing to write to it (planted by someone? remove it and "
		               "check who can write to the store)",
		               !S_ISREG(st.st_mode)
		                       ? "not a regular file (FIFO, device or directory)"
		                       : "has other hard links");
		close(fd);
		return -EPERM;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

/* Where the ledger's intact part ends: a partial last line (no newline: a write cut by
 * a crash or a full disk) and complete lines at the end that are not JSON objects
 * (zeroed or garbage blocks) form a damaged tail. *ret_lines counts the complete lines
 * in the tail. */
size_t store_ledger_intact_end(const char *buf, size_t len, size_t *ret_lines) {
	size_t end = len, lines = 0;
	while (end && buf[end - 1] != '\n')
		end--;
	while (end) {
		size_t start = end - 1;
		while (start && buf[start - 1] != '\n')
			start--;
		json_t *o = json_loadb(buf + start, end - 1 - start, 0, NULL);
		bool ok = json_is_object(o);
		json_decref(o);
		if (ok)
			break;
		end = start;
		lines++;
	}
	*ret_lines = lines;
	return end;
}

/* Sign and append one entry (`details` stolen) after `len` bytes holding `lines` lines,
 * the last of which hashes to `prev`. Updates len, lines and prev. */
static int append_entry(int fd, const char *path, const struct store_key *key, const char *action,
                        const char *bundle, json_t *details, const json_t *actor, size_t *len,
                        size_t *lines, char *prev, struct ev_errlist *errs) {
	char t[EV_RFC3339_MAX];
	ev_format_rfc3339_us(ev_now_realtime_us(), t, sizeof(t));
	json_t *o = json_pack("{s:s, s:O, s:s?, s:o, s:s, s:s, s:I, s:s}", "action", action,
	                      "actor", actor ? actor : json_null(), "bundle", bundle, "details",
	                      details ? details : json_object(), "key_id", store_key_id(key),
	                      "prev", prev, "seq", (json_int_t)(*lines + 1), "time", t);
	if (!o)
		return -ENOMEM;
	if (!json_object_get(o, "bundle"))
		json_object_set_new(o, "bundle", json_null());
	char *body = store_json_canonical(o), *line = NULL;
	int r = body ? 0 : -ENOMEM;
	uint8_t sig[STORE_SIG_LEN];
	char sighex[2 * STORE_SIG_LEN + 1];
	if (r == 0)
		r = store_key_sign(key, body, strlen(body), sig);
	if (r == 0) {
		store_hex(sig, sizeof(sig), sighex);
		json_object_set_new(o, "sig", json_string(sighex));
		line = store_json_canonical(o);
		if (!line)
			r = -ENOMEM;
	}
	if (r == 0) {
		size_t ll = strlen(line);
		uint8_t h[STORE_HASH_LEN];
		store_sha256(line, ll, h);
		line[ll] = '\n'; /* replace the NUL: written as one write() */
		ssize_t w = write(fd, line, ll + 1);
		if (w != (ssize_t)(ll + 1)) {
			r = w < 0 ? -errno : -ENOSPC;
			if (w > 0 && ftruncate(fd, (off_t)*len) < 0) { /* undo a partial line */
			}
			ev_errlist_add(errs, path, 0, 0, "cannot append to the ledger: %s",
			               strerror(-r));
		} else {
			*len += ll + 1;
			(*lines)++;
			store_hex(h, STORE_HASH_LEN, prev);
		}
	}
	json_decref(o);
	free(body);
	free(line);
	return r;
}

int store_ledger_append(const char *path, const struct store_key *key, const char *action,
                        const char *bundle, json_t *details, const json_t *actor,
                        struct ev_errlist *errs) {
	int fd = store_open_regular(path, O_RDWR | O_APPEND | O_CREAT, 0640, errs);
	if (fd < 0) {
		json_decref(details);
		return fd;
	}
	int r = 0;
	char *buf = NULL;
	if (flock(fd, LOCK_EX) < 0) {
		r = -errno;
		goto out;
	}
	size_t len = 0;
	r = read_fd(fd, STORE_LEDGER_CAP, &buf, &len);
	if (r < 0) {
		ev_errlist_add(errs, path, 0, 0, "cannot read custody ledger: %s", strerror(-r));
		goto out;
	}
	size_t bad_lines = 0, keep = store_ledger_intact_end(buf, len, &bad_lines);
	json_t *repair = NULL;
	if (keep < len) { /* a damaged tail: cut it, and say so in a signed entry */
		uint8_t h[STORE_HASH_LEN];
		char hx[STORE_HEX_LEN + 1];
		store_sha256(buf + keep, len - keep, h);
		store_hex(h, STORE_HASH_LEN, hx);
		repair = json_pack("{s:s, s:I, s:I, s:s, s:I}", "reason",
		                   bad_lines ? "damaged lines at the end of the ledger removed"
		                             : "partial last line (an interrupted write) or zeroed "
		                               "blocks removed",
		                   "removed_bytes", (json_int_t)(len - keep), "removed_lines",
		                   (json_int_t)bad_lines, "removed_sha256", hx, "offset",
		                   (json_int_t)keep);
		if (!repair || ftruncate(fd, (off_t)keep) < 0) {
			r = repair ? -errno : -ENOMEM;
			json_decref(repair);
			ev_errlist_add(errs, path, 0, 0, "cannot cut the ledger's damaged tail: %s",
			               strerror(-r));
			goto out;
		}
		len = keep;
	}
	size_t lines = 0, last = 0;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n') {
			lines++;
			if (i + 1 < len)
				last = i + 1;
		}
	char prev[STORE_HEX_LEN + 1];
	if (lines == 0)
		memcpy(prev, store_zero_hex, sizeof(prev));
	else {
		uint8_t h[STORE_HASH_LEN];
		store_sha256(buf + last, len - last - 1, h);
		store_hex(h, STORE_HASH_LEN, prev);
	}
	if (repair) {
		r = append_entry(fd, path, key, "ledger_repaired", NULL, repair, actor, &len,
		                 &lines, prev, errs);
		if (r < 0)
			goto out;
	}
	r = append_entry(fd, path, key, action, bundle, details, actor, &len, &lines, prev, errs);
	details = NULL;
	if (r == 0 && fsync(fd) < 0) {
		r = -errno;
		ev_errlist_add(errs, path, 0, 0, "fsync: %s", strerror(errno));
	}
out:
	json_decref(details);
	free(buf);
	close(fd);
	return r;
}

/* Whether entry `o` (with its parsed signature) is signed by a key in kr: 0, -ENOKEY,
 * -EBADMSG. */
static int entry_signed(json_t *o, const uint8_t sig[STORE_SIG_LEN],
                        const struct store_keyring *kr) {
	const char *kid = json_string_value(json_object_get(o, "key_id"));
	const struct store_key *k = store_keyring_find(kr, kid, NULL);
	if (!k)
		return -ENOKEY;
	json_t *body = json_deep_copy(o);
	if (!body)
		return -ENOMEM;
	json_object_del(body, "sig");
	char *b = store_json_canonical(body);
	json_decref(body);
	int r = b ? store_key_verify(k, b, strlen(b), sig) : -ENOMEM;
	free(b);
	return r;
}

/* A verified key_rotated entry: add the key it announces (pinned when its signer is).
 * 0, -EINVAL (the key does not match its id), or -EBADMSG (no usable key). */
static int apply_rotation(json_t *o, struct store_keyring *kr) {
	json_t *d = json_object_get(o, "details");
	const char *pem = json_string_value(json_object_get(d, "public_key"));
	const char *nid = json_string_value(json_object_get(d, "new_key_id"));
	struct store_key *nk = NULL;
	bool pinned = false;
	store_keyring_find(kr, json_string_value(json_object_get(o, "key_id")), &pinned);
	if (!pem || !nid || store_key_public_from_pem(pem, strlen(pem), &nk) < 0)
		return -EBADMSG;
	if (strcmp(store_key_id(nk), nid) != 0) {
		store_key_free(nk);
		return -EINVAL;
	}
	return store_keyring_add(kr, nk, pinned);
}

int store_ledger_add_rotations(const char *buf, size_t len, struct store_keyring *kr, json_t *why) {
	static const char tag[] = "{\"action\":\"key_rotated\"";
	size_t lineno = 0;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		const char *line = buf + pos;
		pos += ll + 1;
		lineno++;
		if (!nl || ll < sizeof(tag) - 1 || memcmp(line, tag, sizeof(tag) - 1) != 0)
			continue;
		json_t *o = json_loadb(line, ll, JSON_REJECT_DUPLICATES, NULL);
		uint8_t sig[STORE_SIG_LEN];
		const char *nid = json_string_value(
		        json_object_get(json_object_get(o, "details"), "new_key_id"));
		if (o && nid && !store_keyring_find(kr, nid, NULL) &&
		    store_unhex(json_string_value(json_object_get(o, "sig")), sig, sizeof(sig)) ==
		            0 &&
		    entry_signed(o, sig, kr) == 0 && apply_rotation(o, kr) == 0 && why) {
			char w[200];
			snprintf(w, sizeof(w),
			         "announced by a key_rotated entry (custody.jsonl:%zu) signed by "
			         "%.64s",
			         lineno, json_string_value(json_object_get(o, "key_id")));
			json_object_set_new(why, nid, json_string(w));
		}
		json_decref(o);
	}
	return 0;
}

int store_ledger_verify_mem(const char *buf, size_t len, const char *name, struct store_keyring *kr,
                            struct store_report *rep, json_t **ret_entries) {
	return store_ledger_verify_mem_as(buf, len, name, STORE_CUSTODY_BROKEN, kr, rep,
	                                  ret_entries);
}

/* One ledger entry, parsed from its line (line, ll) at lineno after the line whose hash is
 * prev: canonical, numbered, chained, signed by a known key; a key_rotated entry adds its
 * key to kr. Findings go to rep at `where` (the chain's own code: broken). */
static bool entry_check(json_t *o, const char *line, size_t ll, size_t lineno, const char *prev,
                        enum store_finding_code broken, struct store_keyring *kr,
                        struct store_report *rep, const char *where) {
	char *canon = store_json_canonical(o);
	bool canonical = canon && strlen(canon) == ll && memcmp(canon, line, ll) == 0;
	free(canon);
	json_t *seq = json_object_get(o, "seq");
	const char *p = json_string_value(json_object_get(o, "prev"));
	const char *sighex = json_string_value(json_object_get(o, "sig"));
	const char *kid = json_string_value(json_object_get(o, "key_id"));
	uint8_t sig[STORE_SIG_LEN];
	if (!canonical) {
		store_report_add(rep, broken, where, "entry is not in canonical form");
		return false;
	}
	if (!json_is_integer(seq) || json_integer_value(seq) != (json_int_t)lineno ||
	    !json_is_string(json_object_get(o, "action")) ||
	    !json_is_string(json_object_get(o, "time"))) {
		store_report_add(rep, broken, where,
		                 "sequence is not %zu (lines deleted, inserted or reordered)",
		                 lineno);
		return false;
	}
	if (!p || strcmp(p, prev) != 0) {
		store_report_add(rep, broken, where,
		                 "prev does not match the line before (edited, deleted or "
		                 "reordered lines)");
		return false;
	}
	if (!sighex || store_unhex(sighex, sig, sizeof(sig)) < 0) {
		store_report_add(rep, broken, where, "missing or malformed signature");
		return false;
	}
	int vr = entry_signed(o, sig, kr);
	if (vr == -ENOKEY) {
		store_report_add(rep, STORE_UNKNOWN_KEY, where, "entry signed by unknown key %s",
		                 kid ? kid : "(none)");
		return false;
	}
	if (vr < 0) {
		store_report_add(rep, broken, where, "signature does not verify");
		return false;
	}
	if (!strcmp(json_string_value(json_object_get(o, "action")), "key_rotated") &&
	    apply_rotation(o, kr) == -EINVAL)
		store_report_add(rep, broken, where,
		                 "key_rotated announces a key that does not match its id");
	return true;
}

int store_ledger_verify_mem_as(const char *buf, size_t len, const char *name,
                               enum store_finding_code broken, struct store_keyring *kr,
                               struct store_report *rep, json_t **ret_entries) {
	json_t *entries = json_array();
	if (!entries)
		return -ENOMEM;
	char prev[STORE_HEX_LEN + 1];
	memcpy(prev, store_zero_hex, sizeof(prev));
	size_t pos = 0, lineno = 0;
	while (pos < len) {
		lineno++;
		char where[300];
		snprintf(where, sizeof(where), "%.250s:%zu", name, lineno);
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		const char *line = buf + pos;
		pos += ll + 1;
		uint8_t h[STORE_HASH_LEN];
		store_sha256(line, ll, h);
		char this_hash[STORE_HEX_LEN + 1];
		store_hex(h, STORE_HASH_LEN, this_hash);
		if (!nl) {
			store_report_add(rep, broken, where, "partial last line (no newline)");
			break;
		}
		if (ll > STORE_LEDGER_LINE_CAP) {
			store_report_add(rep, broken, where, "line too long");
			memcpy(prev, this_hash, sizeof(prev));
			continue;
		}
		json_error_t e;
		json_t *o = json_loadb(line, ll, JSON_REJECT_DUPLICATES, &e);
		if (!json_is_object(o))
			store_report_add(rep, broken, where, "not a JSON object: %s", e.text);
		else {
			bool ok = entry_check(o, line, ll, lineno, prev, broken, kr, rep, where);
			json_object_set_new(o, "_valid", json_boolean(ok));
			json_object_set_new(o, "_line", json_integer((json_int_t)lineno));
			json_array_append(entries, o);
		}
		json_decref(o);
		memcpy(prev, this_hash, sizeof(prev));
		if (json_array_size(entries) > 10000000)
			break;
	}
	if (ret_entries)
		*ret_entries = entries;
	else
		json_decref(entries);
	return 0;
}
