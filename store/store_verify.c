/* Whole-store verification: every bundle (store/bundle_read.c), then the chain across
 * bundles (gaps, reordering, forks, duplicates, resets), the signed head (and a pinned
 * earlier head: rollback), and the custody ledger, cross-checked against each other. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

struct b {
	char name[256];
	uint64_t name_seq;
	bool ok; /* authenticated manifest */
	char chain[40];
	uint64_t seq;
	char prev[STORE_HEX_LEN + 1];
	char mhash[STORE_HEX_LEN + 1];
	char fhash[STORE_HEX_LEN + 1];
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

static bool name_ok(const char *n, uint64_t *seq) {
	size_t l = strlen(n);
	if (l != 10 + 1 + 32 + 7 || strcmp(n + 43, ".tar.gz") != 0 || n[10] != '-')
		return false;
	uint64_t s = 0;
	for (int i = 0; i < 10; i++) {
		if (n[i] < '0' || n[i] > '9')
			return false;
		s = s * 10 + (uint64_t)(n[i] - '0');
	}
	*seq = s;
	return true;
}

static const char *jstr(json_t *o, const char *k) {
	return json_string_value(json_object_get(o, k));
}

int store_verify_dir(const char *store_dir, const struct store_verify_opts *o,
                     struct store_report *rep, size_t *ret_n) {
	char p[4096];
	store_path_join(p, sizeof(p), store_dir, "bundles");
	DIR *d = opendir(p);
	if (!d)
		return -errno;
	struct b *v = NULL;
	size_t n = 0, alloc = 0;
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		uint64_t ns = 0;
		if (!name_ok(de->d_name, &ns)) {
			store_report_add(rep, STORE_FORMAT_INVALID, de->d_name,
			                 "not a bundle name; unexpected file in the store");
			continue;
		}
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			struct b *nv = realloc(v, alloc * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
		}
		struct b *x = &v[n++];
		*x = (struct b){.name_seq = ns};
		snprintf(x->name, sizeof(x->name), "%s", de->d_name);
	}
	closedir(d);
	if (r < 0) {
		free(v);
		return r;
	}
	struct store_keyring kr = {0};
	if (store_keyring_copy(&kr, o->kr) < 0) {
		free(v);
		return -ENOMEM;
	}
	/* ledger */
	char lp[4096];
	store_path_join(lp, sizeof(lp), store_dir, "custody.jsonl");
	char *lb = NULL;
	size_t ll = 0;
	json_t *entries = NULL;
	int lr = store_read_file(lp, STORE_LEDGER_CAP, &lb, &ll);
	if (lr < 0)
		store_report_add(rep, STORE_CUSTODY_BROKEN, "custody.jsonl",
		                 "cannot read the custody ledger: %s", strerror(-lr));
	else
		store_ledger_verify_mem(lb, ll, "custody.jsonl", &kr, rep, &entries);
	free(lb);
	size_t ne = json_array_size(entries);

	for (size_t i = 0; i < n; i++) {
		struct b *x = &v[i];
		char bp[4096 + 300];
		snprintf(bp, sizeof(bp), "%s/%s", p, x->name);
		int fd = open(bp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			store_report_add(rep, STORE_FORMAT_INVALID, x->name, "cannot open: %s",
			                 strerror(errno));
			continue;
		}
		struct store_bundle_info info = {0};
		r = store_bundle_verify_fd(fd, x->name, &kr, &o->lim, NULL, rep, &info);
		close(fd);
		if (r < 0) {
			free(v);
			json_decref(entries);
			store_keyring_clear(&kr);
			return r;
		}
		store_hex(info.file_sha256, STORE_HASH_LEN, x->fhash);
		store_hex(info.manifest_sha256, STORE_HASH_LEN, x->mhash);
		json_t *m = info.manifest;
		json_t *sq = json_object_get(m, "chain_sequence");
		if (m && jstr(m, "chain_id") && json_is_integer(sq) &&
		    jstr(m, "chain_prev_manifest_sha256")) {
			x->ok = true;
			snprintf(x->chain, sizeof(x->chain), "%s", jstr(m, "chain_id"));
			x->seq = (uint64_t)json_integer_value(sq);
			snprintf(x->prev, sizeof(x->prev), "%s",
			         jstr(m, "chain_prev_manifest_sha256"));
			if (x->seq != x->name_seq)
				store_report_add(rep, STORE_CHAIN_REORDER, x->name,
				                 "file name says sequence %llu, the signed "
				                 "manifest says %llu",
				                 (unsigned long long)x->name_seq,
				                 (unsigned long long)x->seq);
		}
		store_bundle_info_clear(&info);
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_b);

	/* chain */
	char chains[64][40];
	size_t nchains = 0;
	for (size_t i = 0; i < n; i++) {
		struct b *x = &v[i];
		if (!x->ok)
			continue;
		bool known = false;
		for (size_t c = 0; c < nchains; c++)
			known = known || !strcmp(chains[c], x->chain);
		if (!known && nchains < ELEMENTSOF(chains))
			snprintf(chains[nchains++], 40, "%s", x->chain);
		struct b *pv = NULL;
		for (size_t j = i; j-- > 0;)
			if (v[j].ok && !strcmp(v[j].chain, x->chain)) {
				pv = &v[j];
				break;
			}
		if (pv && pv->seq == x->seq) {
			store_report_add(rep, STORE_CHAIN_FORK, x->name, "%s sequence %llu as %s",
			                 strcmp(pv->mhash, x->mhash)
			                         ? "a second, different bundle with"
			                         : "a duplicate of",
			                 (unsigned long long)x->seq, pv->name);
			continue;
		}
		/* the bundle before it in the chain: present, or pruned per the ledger */
		const char *want = NULL;
		if (pv && pv->seq + 1 == x->seq)
			want = pv->mhash;
		for (size_t e = 0; !want && e < ne; e++) {
			json_t *en = json_array_get(entries, e);
			json_t *det = json_object_get(en, "details");
			if (json_is_true(json_object_get(en, "_valid")) &&
			    !strcmp(jstr(en, "action") ?: "", "pruned")) {
				json_t *pb = json_object_get(det, "bundles");
				for (size_t k = 0; k < json_array_size(pb); k++) {
					json_t *q = json_array_get(pb, k);
					if (!strcmp(jstr(q, "chain_id") ?: "", x->chain) &&
					    json_integer_value(json_object_get(q, "sequence")) ==
					            (json_int_t)(x->seq - 1))
						want = jstr(q, "manifest_sha256");
				}
			}
		}
		if (x->seq == 1) {
			if (strcmp(x->prev, "000000000000000000000000000000000000000000000000000000"
			                    "0000000000"))
				store_report_add(rep, STORE_CHAIN_FORK, x->name,
				                 "first bundle of a chain with a previous hash");
		} else if (!want) {
			bool elsewhere = false;
			for (size_t j = 0; j < n; j++)
				elsewhere = elsewhere || (v[j].ok && !strcmp(v[j].mhash, x->prev));
			store_report_add(rep, elsewhere ? STORE_CHAIN_REORDER : STORE_CHAIN_GAP,
			                 x->name,
			                 elsewhere ? "its predecessor is not at sequence %llu"
			                           : "bundle %llu of the chain is missing",
			                 (unsigned long long)(x->seq - 1));
		} else if (strcmp(want, x->prev)) {
			bool elsewhere = false;
			for (size_t j = 0; j < n; j++)
				elsewhere = elsewhere || (v[j].ok && !strcmp(v[j].mhash, x->prev));
			store_report_add(rep, elsewhere ? STORE_CHAIN_REORDER : STORE_CHAIN_FORK,
			                 x->name,
			                 "previous manifest hash does not match bundle %llu",
			                 (unsigned long long)(x->seq - 1));
		}
	}

	/* ledger cross-checks, through hash maps (jansson objects) keyed by bundle name */
	size_t resets = 0;
	json_t *sealed = json_object(), *pruned = json_object(), *present = json_object();
	for (size_t i = 0; i < n; i++)
		json_object_set_new(present, v[i].name, json_string(v[i].fhash));
	for (size_t e = 0; e < ne; e++) {
		json_t *en = json_array_get(entries, e);
		if (!json_is_true(json_object_get(en, "_valid")))
			continue;
		const char *act = jstr(en, "action") ?: "";
		json_t *det = json_object_get(en, "details");
		if (!strcmp(act, "chain_reset")) {
			resets++;
			store_report_add(
			        rep, STORE_CHAIN_RESET, "custody.jsonl",
			        "line %lld: chain reset: %s",
			        (long long)json_integer_value(json_object_get(en, "_line")),
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
	for (void *it = json_object_iter(sealed); it; it = json_object_iter_next(sealed, it)) {
		const char *bn = json_object_iter_key(it);
		json_t *det = json_object_iter_value(it);
		const char *have = json_string_value(json_object_get(present, bn));
		const char *fh = jstr(det, "bundle_sha256");
		if (have && (!fh || strcmp(fh, have)))
			store_report_add(
			        rep, STORE_BUNDLE_MODIFIED, bn,
			        "bundle file differs from the one sealed (SHA-256 %s, sealed %s)",
			        have, fh ? fh : "?");
		else if (!have && !json_object_get(pruned, bn))
			store_report_add(rep, STORE_CHAIN_GAP, bn,
			                 "sealed per the custody ledger, missing from the store");
	}
	for (size_t i = 0; i < n && lr == 0; i++)
		if (!json_object_get(sealed, v[i].name))
			store_report_add(rep, STORE_CUSTODY_BROKEN, v[i].name,
			                 "no sealed entry in the custody ledger");
	json_decref(sealed);
	json_decref(pruned);
	json_decref(present);
	if (nchains > 1 + resets)
		store_report_add(rep, STORE_CHAIN_RESET, store_dir,
		                 "%zu chains in the store, %zu recorded resets", nchains, resets);

	/* head */
	char hp[4096];
	store_path_join(hp, sizeof(hp), store_dir, "HEAD");
	char *hb = NULL;
	size_t hl = 0;
	struct store_head h = {0};
	int hr = store_read_file(hp, 8192, &hb, &hl);
	if (hr == 0)
		hr = store_head_parse(hb, hl, &kr, &h);
	free(hb);
	if (hr == -ENOKEY)
		store_report_add(rep, STORE_UNKNOWN_KEY, "HEAD",
		                 "chain head signed by an untrusted key");
	else if (hr == -EPERM)
		store_report_add(rep, STORE_SIGNATURE_INVALID, "HEAD",
		                 "chain head signature does not verify");
	else if (hr == -EBADMSG)
		store_report_add(rep, STORE_FORMAT_INVALID, "HEAD", "chain head is malformed");
	else if (hr < 0 && n > 0)
		store_report_add(rep, STORE_CHAIN_GAP, "HEAD", "chain head is missing: %s",
		                 strerror(-hr));
	if (hr == 0) {
		uint64_t maxseq = 0;
		struct b *at = NULL;
		for (size_t i = 0; i < n; i++)
			if (v[i].ok && !strcmp(v[i].chain, h.chain_id)) {
				maxseq = MAX(maxseq, v[i].seq);
				if (v[i].seq == h.sequence)
					at = &v[i];
			}
		if (maxseq > h.sequence)
			store_report_add(rep, STORE_CHAIN_ROLLBACK, "HEAD",
			                 "head says sequence %llu, bundles go to %llu",
			                 (unsigned long long)h.sequence,
			                 (unsigned long long)maxseq);
		else if (!at)
			store_report_add(rep, STORE_CHAIN_GAP, "HEAD",
			                 "head names sequence %llu (%s), which is missing",
			                 (unsigned long long)h.sequence, h.bundle);
		else if (strcmp(at->mhash, h.manifest_sha256))
			store_report_add(rep, STORE_CHAIN_FORK, "HEAD",
			                 "head and bundle %llu disagree",
			                 (unsigned long long)h.sequence);
	}
	if (o->pin_head) {
		struct store_head ph;
		char *pb = NULL;
		size_t pl = 0;
		int pr = store_read_file(o->pin_head, 8192, &pb, &pl);
		if (pr == 0)
			pr = store_head_parse(pb, pl, &kr, &ph);
		free(pb);
		if (pr < 0)
			store_report_add(rep,
			                 pr == -ENOENT || pr == -EBADMSG ? STORE_FORMAT_INVALID
			                                                 : STORE_SIGNATURE_INVALID,
			                 o->pin_head, "pinned head unusable: %s", strerror(-pr));
		else {
			struct b *at = NULL;
			for (size_t i = 0; i < n; i++)
				if (v[i].ok && !strcmp(v[i].chain, ph.chain_id) &&
				    v[i].seq == ph.sequence)
					at = &v[i];
			if (hr == 0 && !strcmp(h.chain_id, ph.chain_id) && h.sequence < ph.sequence)
				store_report_add(
				        rep, STORE_CHAIN_ROLLBACK, "HEAD",
				        "head at sequence %llu is behind the pinned head at %llu",
				        (unsigned long long)h.sequence,
				        (unsigned long long)ph.sequence);
			else if (hr == 0 && strcmp(h.chain_id, ph.chain_id) && !resets)
				store_report_add(rep, STORE_CHAIN_ROLLBACK, "HEAD",
				                 "head is on chain %s, the pinned head on %s, with "
				                 "no recorded reset",
				                 h.chain_id, ph.chain_id);
			if (at && strcmp(at->mhash, ph.manifest_sha256))
				store_report_add(rep, STORE_CHAIN_FORK, o->pin_head,
				                 "bundle %llu differs from the pinned head",
				                 (unsigned long long)ph.sequence);
		}
	}
	json_decref(entries);
	store_keyring_clear(&kr);
	free(v);
	if (ret_n)
		*ret_n = n;
	return 0;
}
