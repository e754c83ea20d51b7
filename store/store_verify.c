/* Whole-store verification, by phase: list bundles/ (and stray temporaries), verify the
 * custody ledger (which also brings in the keys valid key_rotated entries announce),
 * verify every bundle (store/bundle_read.c), then the chain across bundles (gaps,
 * reordering, forks, duplicates, untrusted links, resets), the ledger against the bundles,
 * the signed head, and a pinned earlier head (rollback). The checks only read. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

struct b {
	char name[256];
	uint64_t name_seq;
	bool ok;        /* authenticated manifest */
	bool untrusted; /* read, but signed by a key the chain does not trust */
	char chain[40];
	uint64_t seq;
	char prev[STORE_HEX_LEN + 1];
	char mhash[STORE_HEX_LEN + 1];
	char fhash[STORE_HEX_LEN + 1];
};

struct vstate {
	const char *dir;
	const struct store_verify_opts *o;
	struct store_report *rep;
	char bdir[4096];
	struct b *v;
	size_t n, alloc;
	struct store_keyring kr; /* the trusted keys, plus those rotations announce */
	json_t *entries;         /* ledger entries (with _valid, _line) */
	size_t ne;
	int lr;        /* reading the ledger: 0 or -errno */
	size_t resets; /* recorded chain_reset entries */
	json_t *chains;
	struct store_head h;
	int hr;
};

static int cmp_b(const void *x, const void *y) {
	const struct b *a = x, *c = y;
	int r = strcmp(a->chain, c->chain);
	if (r)
		return r;
	if (a->seq != c->seq)
		return a->seq < c->seq ? -1 : 1;
	return strcmp(a->name, c->name);
}

static int cmp_name(const void *x, const void *y) {
	return strcmp(((const struct b *)x)->name, ((const struct b *)y)->name);
}

static const char *jstr(json_t *o, const char *k) {
	return json_string_value(json_object_get(o, k));
}

/* Whether a seal holds the store lock now (its temporary file is not stray). */
static bool seal_running(const char *dir) {
	char lp[4096];
	if (store_path_join(lp, sizeof(lp), dir, ".lock") < 0)
		return false;
	int fd = open(lp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool busy = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

static void stray(struct vstate *st, const char *where, const char *name, bool busy) {
	if (busy)
		store_report_warn(st->rep, "%s: a seal is running; its temporary file is not stray",
		                  where);
	else
		store_report_add(st->rep, STORE_STRAY_TEMPORARY, where,
		                 "temporary file %s left by an interrupted seal (the next seal "
		                 "removes it)",
		                 name);
}

static int add_bundle(struct vstate *st, const char *name, uint64_t ns) {
	if (st->n == st->alloc) {
		size_t na = st->alloc ? st->alloc * 2 : 16;
		struct b *nv = realloc(st->v, na * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		st->v = nv;
		st->alloc = na;
	}
	struct b *x = &st->v[st->n++];
	*x = (struct b){.name_seq = ns};
	snprintf(x->name, sizeof(x->name), "%s", name);
	return 0;
}

/* Phase 1: the bundle names, unexpected files and stray temporaries. */
static int list_bundles(struct vstate *st) {
	DIR *d = opendir(st->bdir);
	if (!d)
		return -errno;
	bool busy = seal_running(st->dir);
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		uint64_t ns = 0;
		if (!strncmp(de->d_name, ".tmp-", 5)) {
			char w[300];
			snprintf(w, sizeof(w), "bundles/%.250s", de->d_name);
			stray(st, w, de->d_name, busy);
		} else if (de->d_name[0] == '.')
			continue;
		else if (!store_bundle_name_parse(de->d_name, &ns))
			store_report_add(st->rep, STORE_FORMAT_INVALID, de->d_name,
			                 "not a bundle name; unexpected file in the store");
		else
			r = add_bundle(st, de->d_name, ns);
	}
	closedir(d);
	char hp[4096];
	struct stat sb;
	if (r == 0 && store_path_join(hp, sizeof(hp), st->dir, ".HEAD.tmp") == 0 &&
	    lstat(hp, &sb) == 0)
		stray(st, ".HEAD.tmp", ".HEAD.tmp", busy);
	return r;
}

/* Phase 2: the custody ledger; valid key_rotated entries add keys to st->kr. */
static void read_ledger(struct vstate *st) {
	char lp[4096];
	store_path_join(lp, sizeof(lp), st->dir, "custody.jsonl");
	char *lb = NULL;
	size_t ll = 0;
	st->lr = store_read_file(lp, STORE_LEDGER_CAP, &lb, &ll);
	if (st->lr < 0)
		store_report_add(st->rep, STORE_CUSTODY_BROKEN, "custody.jsonl",
		                 "cannot read the custody ledger: %s", strerror(-st->lr));
	else
		store_ledger_verify_mem(lb, ll, "custody.jsonl", &st->kr, st->rep, &st->entries);
	free(lb);
	st->ne = json_array_size(st->entries);
}

/* Phase 3: each bundle on its own. */
static int verify_one(struct vstate *st, struct b *x) {
	char bp[4096 + 300];
	snprintf(bp, sizeof(bp), "%s/%s", st->bdir, x->name);
	int fd = open(bp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		store_report_add(st->rep, STORE_FORMAT_INVALID, x->name, "cannot open: %s",
		                 fd < 0 ? strerror(errno) : "not a regular file (FIFO, device...)");
		if (fd >= 0)
			close(fd);
		return 0;
	}
	size_t before = st->rep->n;
	struct store_bundle_info info = {0};
	int r = store_bundle_verify_fd(fd, x->name, &st->kr, &st->o->lim, NULL, st->rep, &info);
	close(fd);
	if (r < 0)
		return r;
	for (size_t i = before; i < st->rep->n; i++)
		x->untrusted = x->untrusted || st->rep->v[i].code == STORE_UNKNOWN_KEY;
	store_hex(info.file_sha256, STORE_HASH_LEN, x->fhash);
	store_hex(info.manifest_sha256, STORE_HASH_LEN, x->mhash);
	json_t *m = info.manifest;
	json_t *sq = json_object_get(m, "chain_sequence");
	if (m && jstr(m, "chain_id") && json_is_integer(sq) &&
	    jstr(m, "chain_prev_manifest_sha256")) {
		x->ok = true;
		snprintf(x->chain, sizeof(x->chain), "%s", jstr(m, "chain_id"));
		x->seq = (uint64_t)json_integer_value(sq);
		snprintf(x->prev, sizeof(x->prev), "%s", jstr(m, "chain_prev_manifest_sha256"));
		json_object_set_new(st->chains, x->chain, json_true());
		if (x->seq != x->name_seq)
			store_report_add(
			        st->rep, STORE_CHAIN_REORDER, x->name,
			        "file name says sequence %llu, the signed manifest says %llu",
			        (unsigned long long)x->name_seq, (unsigned long long)x->seq);
	}
	store_bundle_info_clear(&info);
	return 0;
}

/* Bundles signed by an untrusted key among trusted ones: foreign links in the chain
 * (when no bundle is trusted, the UNKNOWN_KEY findings say it all: a wrong --pub). */
static void report_untrusted(struct vstate *st) {
	bool any_ok = false;
	for (size_t i = 0; i < st->n; i++)
		any_ok = any_ok || st->v[i].ok;
	for (size_t i = 0; any_ok && i < st->n; i++)
		if (st->v[i].untrusted)
			store_report_add(
			        st->rep, STORE_CHAIN_UNTRUSTED, st->v[i].name,
			        "in the chain, signed by a key it does not trust (no "
			        "key_rotated entry signed by a trusted key introduces it)");
}

/* The manifest hash of bundle seq-1 of x's chain as a `pruned` entry recorded it. */
static const char *pruned_prev(struct vstate *st, const struct b *x) {
	for (size_t e = 0; e < st->ne; e++) {
		json_t *en = json_array_get(st->entries, e);
		if (!json_is_true(json_object_get(en, "_valid")) ||
		    strcmp(jstr(en, "action") ?: "", "pruned"))
			continue;
		json_t *pb = json_object_get(json_object_get(en, "details"), "bundles");
		for (size_t k = 0; k < json_array_size(pb); k++) {
			json_t *q = json_array_get(pb, k);
			if (!strcmp(jstr(q, "chain_id") ?: "", x->chain) &&
			    json_integer_value(json_object_get(q, "sequence")) ==
			            (json_int_t)(x->seq - 1))
				return jstr(q, "manifest_sha256");
		}
	}
	return NULL;
}

static bool hash_elsewhere(const struct vstate *st, const char *mhash) {
	for (size_t j = 0; j < st->n; j++)
		if (st->v[j].ok && !strcmp(st->v[j].mhash, mhash))
			return true;
	return false;
}

static const struct b *untrusted_at(const struct vstate *st, uint64_t seq) {
	for (size_t j = 0; j < st->n; j++)
		if (st->v[j].untrusted && st->v[j].name_seq == seq)
			return &st->v[j];
	return NULL;
}

/* Phase 4: bundle i's link to its predecessor (v sorted by chain and sequence). */
static void check_link(struct vstate *st, size_t i) {
	struct b *x = &st->v[i], *pv = NULL;
	for (size_t j = i; j-- > 0;)
		if (st->v[j].ok && !strcmp(st->v[j].chain, x->chain)) {
			pv = &st->v[j];
			break;
		}
	if (pv && pv->seq == x->seq) {
		store_report_add(st->rep, STORE_CHAIN_FORK, x->name, "%s sequence %llu as %s",
		                 strcmp(pv->mhash, x->mhash) ? "a second, different bundle with"
		                                             : "a duplicate of",
		                 (unsigned long long)x->seq, pv->name);
		return;
	}
	const char *want = pv && pv->seq + 1 == x->seq ? pv->mhash : NULL;
	if (!want && x->seq > 1)
		want = pruned_prev(st, x);
	const struct b *ut = NULL;
	if (x->seq == 1) {
		if (strcmp(x->prev, store_zero_hex))
			store_report_add(st->rep, STORE_CHAIN_FORK, x->name,
			                 "first bundle of a chain with a previous hash");
	} else if (!want && (ut = untrusted_at(st, x->seq - 1)))
		store_report_add(st->rep, STORE_CHAIN_UNTRUSTED, x->name,
		                 "its predecessor %s (bundle %llu) is present but not trusted; "
		                 "the link cannot be checked",
		                 ut->name, (unsigned long long)(x->seq - 1));
	else if (!want) {
		bool elsewhere = hash_elsewhere(st, x->prev);
		store_report_add(st->rep, elsewhere ? STORE_CHAIN_REORDER : STORE_CHAIN_GAP,
		                 x->name,
		                 elsewhere ? "its predecessor is not at sequence %llu"
		                           : "bundle %llu of the chain is missing",
		                 (unsigned long long)(x->seq - 1));
	} else if (strcmp(want, x->prev)) {
		bool elsewhere = hash_elsewhere(st, x->prev);
		store_report_add(st->rep, elsewhere ? STORE_CHAIN_REORDER : STORE_CHAIN_FORK,
		                 x->name, "previous manifest hash does not match bundle %llu",
		                 (unsigned long long)(x->seq - 1));
	}
}

/* The repairs a seal made, as the ledger records them. */
static void report_repair(struct vstate *st, json_t *en, long long line) {
	const char *act = jstr(en, "action") ?: "";
	json_t *det = json_object_get(en, "details");
	if (!strcmp(act, "recovered"))
		store_report_warn(st->rep, "custody.jsonl:%lld: %s: %s", line,
		                  jstr(en, "bundle") ?: "-", jstr(det, "repair") ?: "repaired");
	else if (!strcmp(act, "sealed") && jstr(det, "recovered"))
		store_report_warn(st->rep, "custody.jsonl:%lld: %s: sealed entry %s", line,
		                  jstr(en, "bundle") ?: "-", jstr(det, "recovered"));
	else if (!strcmp(act, "ledger_repaired")) {
		json_int_t lines = json_integer_value(json_object_get(det, "removed_lines"));
		if (lines > 0)
			store_report_add(st->rep, STORE_CUSTODY_BROKEN, "custody.jsonl",
			                 "line %lld: %lld damaged line(s) were removed from the "
			                 "ledger's end: %s",
			                 line, (long long)lines, jstr(det, "reason") ?: "?");
		else
			store_report_warn(
			        st->rep,
			        "custody.jsonl:%lld: the ledger's damaged end was removed (%lld "
			        "bytes without a complete line: an interrupted write or zeroed "
			        "blocks)",
			        line,
			        (long long)json_integer_value(
			                json_object_get(det, "removed_bytes")));
	}
}

/* Phase 5a: the valid ledger entries: resets, sealed and pruned bundles, repairs. */
static void scan_entries(struct vstate *st, json_t *sealed, json_t *pruned) {
	for (size_t e = 0; e < st->ne; e++) {
		json_t *en = json_array_get(st->entries, e);
		if (!json_is_true(json_object_get(en, "_valid")))
			continue;
		const char *act = jstr(en, "action") ?: "";
		json_t *det = json_object_get(en, "details");
		long long line = (long long)json_integer_value(json_object_get(en, "_line"));
		report_repair(st, en, line);
		if (!strcmp(act, "chain_reset")) {
			st->resets++;
			store_report_add(st->rep, STORE_CHAIN_RESET, "custody.jsonl",
			                 "line %lld: chain reset: %s", line,
			                 jstr(det, "reason") ?: "?");
		} else if (!strcmp(act, "sealed") && jstr(en, "bundle"))
			json_object_set(sealed, jstr(en, "bundle"), det);
		else if (!strcmp(act, "pruned")) {
			json_t *pb = json_object_get(det, "bundles");
			for (size_t k = 0; k < json_array_size(pb); k++)
				if (jstr(json_array_get(pb, k), "bundle"))
					json_object_set_new(pruned,
					                    jstr(json_array_get(pb, k), "bundle"),
					                    json_true());
		}
	}
}

/* Phase 5b: the ledger against the bundles, through hash maps keyed by bundle name. */
static void check_ledger(struct vstate *st) {
	json_t *sealed = json_object(), *pruned = json_object(), *present = json_object();
	for (size_t i = 0; i < st->n; i++)
		json_object_set_new(present, st->v[i].name, json_string(st->v[i].fhash));
	scan_entries(st, sealed, pruned);
	const char *bn;
	json_t *det;
	json_object_foreach(sealed, bn, det) {
		const char *have = jstr(present, bn);
		const char *fh = jstr(det, "bundle_sha256");
		if (have && (!fh || strcmp(fh, have)))
			store_report_add(
			        st->rep, STORE_BUNDLE_MODIFIED, bn,
			        "bundle file differs from the one sealed (SHA-256 %s, sealed %s)",
			        have, fh ? fh : "?");
		else if (!have && !json_object_get(pruned, bn))
			store_report_add(st->rep, STORE_CHAIN_GAP, bn,
			                 "sealed per the custody ledger, missing from the store");
	}
	for (size_t i = 0; i < st->n && st->lr == 0; i++)
		if (!st->v[i].untrusted && !json_object_get(sealed, st->v[i].name))
			store_report_add(st->rep, STORE_CUSTODY_BROKEN, st->v[i].name,
			                 "no sealed entry in the custody ledger");
	json_decref(sealed);
	json_decref(pruned);
	json_decref(present);
	size_t nchains = json_object_size(st->chains);
	if (nchains > 1 + st->resets)
		store_report_add(st->rep, STORE_CHAIN_RESET, st->dir,
		                 "%zu chains in the store, %zu recorded resets", nchains,
		                 st->resets);
}

static int read_head(const char *path, const struct store_keyring *kr, struct store_head *h) {
	char *hb = NULL;
	size_t hl = 0;
	int r = store_read_file(path, 8192, &hb, &hl);
	if (r == 0)
		r = store_head_parse(hb, hl, kr, h);
	free(hb);
	return r;
}

static const struct b *bundle_at(const struct vstate *st, const char *chain, uint64_t seq) {
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].ok && !strcmp(st->v[i].chain, chain) && st->v[i].seq == seq)
			return &st->v[i];
	return NULL;
}

/* Phase 6: the signed head against the bundles. */
static void check_head(struct vstate *st) {
	char hp[4096];
	store_path_join(hp, sizeof(hp), st->dir, "HEAD");
	st->hr = read_head(hp, &st->kr, &st->h);
	if (st->hr == -ENOKEY)
		store_report_add(st->rep, STORE_UNKNOWN_KEY, "HEAD",
		                 "chain head signed by an untrusted key");
	else if (st->hr == -EPERM)
		store_report_add(st->rep, STORE_SIGNATURE_INVALID, "HEAD",
		                 "chain head signature does not verify");
	else if (st->hr == -EBADMSG || st->hr == -EINVAL)
		store_report_add(st->rep, STORE_FORMAT_INVALID, "HEAD",
		                 "chain head is malformed (or not a regular file)");
	else if (st->hr < 0 && st->n > 0)
		store_report_add(st->rep, STORE_CHAIN_GAP, "HEAD", "chain head is missing: %s",
		                 strerror(-st->hr));
	if (st->hr < 0)
		return;
	uint64_t maxseq = 0;
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].ok && !strcmp(st->v[i].chain, st->h.chain_id))
			maxseq = MAX(maxseq, st->v[i].seq);
	const struct b *at = bundle_at(st, st->h.chain_id, st->h.sequence);
	if (maxseq > st->h.sequence)
		store_report_add(st->rep, STORE_CHAIN_ROLLBACK, "HEAD",
		                 "head says sequence %llu, bundles go to %llu",
		                 (unsigned long long)st->h.sequence, (unsigned long long)maxseq);
	else if (!at)
		store_report_add(st->rep, STORE_CHAIN_GAP, "HEAD",
		                 "head names sequence %llu (%s), which is missing",
		                 (unsigned long long)st->h.sequence, st->h.bundle);
	else if (strcmp(at->mhash, st->h.manifest_sha256))
		store_report_add(st->rep, STORE_CHAIN_FORK, "HEAD", "head and bundle %llu disagree",
		                 (unsigned long long)st->h.sequence);
}

/* Phase 7: a head kept earlier (--pin-head): rollback and forks against it. */
static void check_pin(struct vstate *st) {
	const char *pin = st->o->pin_head;
	struct store_head ph;
	int pr = read_head(pin, &st->kr, &ph);
	if (pr < 0) {
		store_report_add(st->rep,
		                 pr == -ENOENT || pr == -EBADMSG ? STORE_FORMAT_INVALID
		                                                 : STORE_SIGNATURE_INVALID,
		                 pin, "pinned head unusable: %s", strerror(-pr));
		return;
	}
	const struct b *at = bundle_at(st, ph.chain_id, ph.sequence);
	if (st->hr == 0 && !strcmp(st->h.chain_id, ph.chain_id) && st->h.sequence < ph.sequence)
		store_report_add(st->rep, STORE_CHAIN_ROLLBACK, "HEAD",
		                 "head at sequence %llu is behind the pinned head at %llu",
		                 (unsigned long long)st->h.sequence,
		                 (unsigned long long)ph.sequence);
	else if (st->hr == 0 && strcmp(st->h.chain_id, ph.chain_id) && !st->resets)
		store_report_add(
		        st->rep, STORE_CHAIN_ROLLBACK, "HEAD",
		        "head is on chain %s, the pinned head on %s, with no recorded reset",
		        st->h.chain_id, ph.chain_id);
	if (at && strcmp(at->mhash, ph.manifest_sha256))
		store_report_add(st->rep, STORE_CHAIN_FORK, pin,
		                 "bundle %llu differs from the pinned head",
		                 (unsigned long long)ph.sequence);
}

/* Whether dir looks like a store: bundles/, HEAD or custody.jsonl. */
static bool is_store(const char *dir) {
	static const char *const names[] = {"bundles", "HEAD", "custody.jsonl"};
	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		char p[4096];
		struct stat sb;
		if (store_path_join(p, sizeof(p), dir, names[i]) == 0 && lstat(p, &sb) == 0)
			return true;
	}
	return false;
}

int store_verify_dir(const char *store_dir, const struct store_verify_opts *o,
                     struct store_report *rep, size_t *ret_n) {
	if (!is_store(store_dir))
		return -EMEDIUMTYPE;
	struct vstate st = {.dir = store_dir, .o = o, .rep = rep, .chains = json_object()};
	int r = st.chains ? 0 : -ENOMEM;
	if (r == 0 && store_path_join(st.bdir, sizeof(st.bdir), store_dir, "bundles") < 0)
		r = -ENAMETOOLONG;
	if (r == 0)
		r = list_bundles(&st);
	if (r == -ENOENT) /* a store with a ledger and no bundle yet */
		r = 0;
	if (r == 0 && st.n) /* in name (sequence) order, so findings read in order */
		qsort(st.v, st.n, sizeof(*st.v), cmp_name);
	if (r == 0)
		r = store_keyring_copy(&st.kr, o->kr);
	if (r == 0)
		read_ledger(&st);
	for (size_t i = 0; r == 0 && i < st.n; i++)
		r = verify_one(&st, &st.v[i]);
	if (r == 0) {
		report_untrusted(&st);
		if (st.n)
			qsort(st.v, st.n, sizeof(*st.v), cmp_b);
		for (size_t i = 0; i < st.n; i++)
			if (st.v[i].ok)
				check_link(&st, i);
		check_ledger(&st);
		check_head(&st);
		if (o->pin_head)
			check_pin(&st);
	}
	json_decref(st.entries);
	json_decref(st.chains);
	store_keyring_clear(&st.kr);
	free(st.v);
	if (r == 0 && ret_n)
		*ret_n = st.n;
	return r;
}
