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

static const char zero_hex[] = "0000000000000000000000000000000000000000000000000000000000000000";

int store_read_file(const char *path, size_t cap, char **ret, size_t *ret_len) {
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > cap) {
		close(fd);
		return -EFBIG;
	}
	char *b = malloc((size_t)st.st_size + 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;
			free(b);
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	b[got] = 0;
	*ret = b;
	*ret_len = got;
	return 0;
}

static void now_rfc3339(char *buf, size_t len) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char b[32];
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06ldZ", b, ts.tv_nsec / 1000);
}

int store_ledger_append(const char *path, const struct store_key *key, const char *action,
                        const char *bundle, json_t *details, const json_t *actor,
                        struct ev_errlist *errs) {
	int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0) {
		int r = -errno;
		ev_errlist_add(errs, path, 0, 0, "cannot open custody ledger: %s", strerror(errno));
		json_decref(details);
		return r;
	}
	int r = 0;
	char *buf = NULL, *body = NULL, *line = NULL;
	json_t *o = NULL;
	if (flock(fd, LOCK_EX) < 0) {
		r = -errno;
		goto out;
	}
	size_t len = 0;
	r = store_read_file(path, STORE_LEDGER_CAP, &buf, &len);
	if (r < 0) {
		ev_errlist_add(errs, path, 0, 0, "cannot read custody ledger: %s", strerror(-r));
		goto out;
	}
	if (len && buf[len - 1] != '\n') {
		ev_errlist_add(
		        errs, path, 0, 0,
		        "custody ledger ends in a partial line; refusing to append (verify it)");
		r = -EBADMSG;
		goto out;
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
		memcpy(prev, zero_hex, sizeof(prev));
	else {
		uint8_t h[STORE_HASH_LEN];
		store_sha256(buf + last, len - last - 1, h);
		store_hex(h, STORE_HASH_LEN, prev);
	}
	char t[64];
	now_rfc3339(t, sizeof(t));
	o = json_pack("{s:s, s:O, s:s?, s:o, s:s, s:s, s:I, s:s}", "action", action, "actor",
	              actor ? actor : json_null(), "bundle", bundle, "details",
	              details ? details : json_object(), "key_id", store_key_id(key), "prev", prev,
	              "seq", (json_int_t)(lines + 1), "time", t);
	details = NULL;
	if (!o) {
		r = -ENOMEM;
		goto out;
	}
	if (!json_object_get(o, "bundle"))
		json_object_set_new(o, "bundle", json_null());
	body = store_json_canonical(o);
	if (!body) {
		r = -ENOMEM;
		goto out;
	}
	uint8_t sig[STORE_SIG_LEN];
	char sighex[2 * STORE_SIG_LEN + 1];
	r = store_key_sign(key, body, strlen(body), sig);
	if (r < 0)
		goto out;
	store_hex(sig, sizeof(sig), sighex);
	json_object_set_new(o, "sig", json_string(sighex));
	line = store_json_canonical(o);
	if (!line) {
		r = -ENOMEM;
		goto out;
	}
	size_t ll = strlen(line);
	line[ll] = '\n'; /* replace the NUL: written as one write() */
	ssize_t w = write(fd, line, ll + 1);
	if (w != (ssize_t)(ll + 1)) {
		r = w < 0 ? -errno : -EIO;
		if (w > 0 && ftruncate(fd, (off_t)len) < 0) { /* undo a partial line */
		}
		ev_errlist_add(errs, path, 0, 0, "cannot append to custody ledger: %s",
		               strerror(-r));
		goto out;
	}
	if (fsync(fd) < 0) {
		r = -errno;
		ev_errlist_add(errs, path, 0, 0, "fsync: %s", strerror(errno));
	}
out:
	json_decref(details);
	json_decref(o);
	free(buf);
	free(body);
	free(line);
	close(fd);
	return r;
}

int store_ledger_verify_mem(const char *buf, size_t len, const char *name, struct store_keyring *kr,
                            struct store_report *rep, json_t **ret_entries) {
	json_t *entries = json_array();
	if (!entries)
		return -ENOMEM;
	char prev[STORE_HEX_LEN + 1];
	memcpy(prev, zero_hex, sizeof(prev));
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
			store_report_add(rep, STORE_CUSTODY_BROKEN, where,
			                 "partial last line (no newline)");
			break;
		}
		if (ll > STORE_LEDGER_LINE_CAP) {
			store_report_add(rep, STORE_CUSTODY_BROKEN, where, "line too long");
			memcpy(prev, this_hash, sizeof(prev));
			continue;
		}
		json_error_t e;
		json_t *o = json_loadb(line, ll, JSON_REJECT_DUPLICATES, &e);
		bool ok = false;
		if (!json_is_object(o)) {
			store_report_add(rep, STORE_CUSTODY_BROKEN, where, "not a JSON object: %s",
			                 e.text);
			goto next;
		}
		char *canon = store_json_canonical(o);
		bool canonical = canon && strlen(canon) == ll && memcmp(canon, line, ll) == 0;
		free(canon);
		json_t *seq = json_object_get(o, "seq");
		const char *p = json_string_value(json_object_get(o, "prev"));
		const char *sighex = json_string_value(json_object_get(o, "sig"));
		const char *kid = json_string_value(json_object_get(o, "key_id"));
		uint8_t sig[STORE_SIG_LEN];
		if (!canonical) {
			store_report_add(rep, STORE_CUSTODY_BROKEN, where,
			                 "entry is not in canonical form");
			goto next;
		}
		if (!json_is_integer(seq) || json_integer_value(seq) != (json_int_t)lineno ||
		    !json_is_string(json_object_get(o, "action")) ||
		    !json_is_string(json_object_get(o, "time"))) {
			store_report_add(
			        rep, STORE_CUSTODY_BROKEN, where,
			        "sequence is not %zu (lines deleted, inserted or reordered)",
			        lineno);
			goto next;
		}
		if (!p || strcmp(p, prev) != 0) {
			store_report_add(rep, STORE_CUSTODY_BROKEN, where,
			                 "prev does not match the line before (edited, deleted or "
			                 "reordered lines)");
			goto next;
		}
		if (!sighex || store_unhex(sighex, sig, sizeof(sig)) < 0) {
			store_report_add(rep, STORE_CUSTODY_BROKEN, where,
			                 "missing or malformed signature");
			goto next;
		}
		const struct store_key *k = store_keyring_find(kr, kid, NULL);
		if (!k) {
			store_report_add(rep, STORE_UNKNOWN_KEY, where,
			                 "entry signed by unknown key %s", kid ? kid : "(none)");
			goto next;
		}
		json_t *body = json_deep_copy(o);
		json_object_del(body, "sig");
		char *b = store_json_canonical(body);
		json_decref(body);
		int vr = b ? store_key_verify(k, b, strlen(b), sig) : -ENOMEM;
		free(b);
		if (vr < 0) {
			store_report_add(rep, STORE_CUSTODY_BROKEN, where,
			                 "signature does not verify");
			goto next;
		}
		ok = true;
		if (!strcmp(json_string_value(json_object_get(o, "action")), "key_rotated")) {
			json_t *d = json_object_get(o, "details");
			const char *pem = json_string_value(json_object_get(d, "public_key"));
			const char *nid = json_string_value(json_object_get(d, "new_key_id"));
			struct store_key *nk = NULL;
			bool pinned = false;
			store_keyring_find(kr, kid, &pinned);
			if (pem && nid && store_key_public_from_pem(pem, strlen(pem), &nk) == 0) {
				if (!strcmp(store_key_id(nk), nid))
					store_keyring_add(kr, nk, pinned);
				else {
					store_key_free(nk);
					store_report_add(rep, STORE_CUSTODY_BROKEN, where,
					                 "key_rotated announces a key that does "
					                 "not match its id");
				}
			}
		}
	next:
		if (json_is_object(o)) {
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
