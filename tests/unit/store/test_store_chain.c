/* Store unit tests, the ledger and the chain: ledger byte flips, the chain (gap, reorder,
 * fork, duplicate, rollback, reset, I/O error mid-seal), a ledger before the first seal,
 * many chains counted, the immutable flag and pruning, pending members. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "tests/unit/store/helpers.h"
#include "tests/unit/unit.h"

/* ---- ledger ---- */

TEST(test_store_ledger) {
	keys();
	struct store_keyring kr = {0};
	ring(&kr, key_a);
	char lp[600];
	snprintf(lp, sizeof(lp), "%s/ledger.jsonl", unit_tmpdir());
	struct ev_errlist errs = {0};
	json_t *actor = json_pack("{s:i, s:s}", "uid", 0, "name", "investigator \"x\"");
	CU_ASSERT(store_ledger_append(lp, key_a, "sealed", "b1", json_pack("{s:i}", "n", 1), actor,
	                              &errs) == 0);
	CU_ASSERT(store_ledger_append(lp, key_a, "verified", NULL, NULL, actor, &errs) == 0);
	CU_ASSERT(store_ledger_append(lp, key_a, "shown", "b1", json_object(), actor, &errs) == 0);
	json_decref(actor);
	size_t len;
	char *b = slurp(lp, &len);
	struct store_report rep = {0};
	json_t *ents = NULL;
	CU_ASSERT(store_ledger_verify_mem(b, len, "l", &kr, &rep, &ents) == 0);
	dump(&rep);
	CU_ASSERT(rep.n == 0);
	CU_ASSERT(json_array_size(ents) == 3);
	json_decref(ents);
	store_report_clear(&rep);
	/* every byte flipped */
	for (size_t i = 0; i < len; i++) {
		b[i] ^= 0x01;
		CU_ASSERT(store_ledger_verify_mem(b, len, "l", &kr, &rep, NULL) == 0);
		if (rep.n == 0)
			fprintf(stderr, "ledger flip at %zu not caught\n", i);
		CU_ASSERT(rep.n > 0);
		store_report_clear(&rep);
		b[i] ^= 0x01;
	}
	/* delete the middle line, swap two lines, drop the last newline */
	char *l2 = strchr(b, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
	size_t n1 = (size_t)(l2 - b), n2 = (size_t)(l3 - l2), n3 = len - n1 - n2;
	char *t = malloc(len);
	memcpy(t, b, n1);
	memcpy(t + n1, l3, n3);
	store_ledger_verify_mem(t, n1 + n3, "l", &kr, &rep, NULL);
	CU_ASSERT(has(&rep, STORE_CUSTODY_BROKEN));
	store_report_clear(&rep);
	memcpy(t, l2, n2);
	memcpy(t + n2, b, n1);
	memcpy(t + n1 + n2, l3, n3);
	store_ledger_verify_mem(t, len, "l", &kr, &rep, NULL);
	CU_ASSERT(has(&rep, STORE_CUSTODY_BROKEN));
	store_report_clear(&rep);
	store_ledger_verify_mem(b, len - 1, "l", &kr, &rep, NULL);
	CU_ASSERT(has(&rep, STORE_CUSTODY_BROKEN));
	store_report_clear(&rep);
	free(t);
	free(b);
	ev_errlist_clear(&errs);
	store_keyring_clear(&kr);
}

/* ---- the store: chain, head, reset, I/O errors ---- */

static int seal_imm(const char *store, const char *data, uint64_t max_bundle, bool imm,
                    struct store_seal_result *res) {
	struct ev_errlist errs = {0};
	struct store_seal_params p = {.store_dir = store,
	                              .key = key_a,
	                              .tool_version = "test",
	                              .fields = json_object(),
	                              .level = 6,
	                              .max_bundle_size = max_bundle,
	                              .immutable = imm};
	struct store_seal *s = NULL;
	int r = store_seal_begin(&p, &s, &errs);
	if (r == 0) {
		struct store_bundle_writer *w = store_seal_writer(s);
		r = store_bundle_member_begin(w, "evidence/data", -1, NULL);
		for (int i = 0; r == 0 && i < 64; i++)
			r = store_bundle_member_write(w, data, strlen(data));
		if (r == 0)
			r = store_bundle_member_end(w, NULL);
		if (r == 0)
			r = store_seal_commit(s, res, &errs);
		else
			store_seal_abort(s);
	}
	ev_errlist_clear(&errs);
	return r;
}

static int seal_one(const char *store, const char *data, uint64_t max_bundle,
                    struct store_seal_result *res) {
	return seal_imm(store, data, max_bundle, false, res);
}

static void vstore(const char *store, const char *pin, struct store_report *rep) {
	struct store_keyring kr = {0};
	ring(&kr, key_a);
	struct store_verify_opts o = {.kr = &kr, .pin_head = pin};
	*rep = (struct store_report){0};
	CU_ASSERT(store_verify_dir(store, &o, rep, NULL) == 0);
	store_keyring_clear(&kr);
}

static void bpath(char *out, size_t len, const char *store, const struct store_seal_result *r) {
	snprintf(out, len, "%s", r->path);
	(void)store;
}

static int count_bundles(const char *store) {
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "ls %s/bundles | wc -l", store);
	FILE *f = popen(cmd, "r");
	int n = -1;
	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		pclose(f);
	}
	return n;
}

TEST(test_store_chain) {
	keys();
	char store[600], pin[700], tmp[700];
	snprintf(store, sizeof(store), "%s/store1", unit_tmpdir());
	struct store_seal_result r[5];
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_FATAL(seal_one(store, "some evidence line\n", 0, &r[i]) == 0);
		CU_ASSERT(r[i].sequence == (uint64_t)i + 1);
	}
	struct store_report rep;
	vstore(store, NULL, &rep);
	dump(&rep);
	CU_ASSERT(rep.n == 0);
	store_report_clear(&rep);
	snprintf(pin, sizeof(pin), "%s/pinned-head", unit_tmpdir());
	char hp[700];
	snprintf(hp, sizeof(hp), "%s/HEAD", store);
	size_t hl;
	char *h3 = slurp(hp, &hl);
	FILE *f = fopen(pin, "we");
	fwrite(h3, 1, hl, f);
	fclose(f);
	vstore(store, pin, &rep);
	CU_ASSERT(rep.n == 0);
	store_report_clear(&rep);

	/* I/O error mid-seal: no final file, head unchanged, the chain continues */
	CU_ASSERT(seal_one(store, "x", 200, &r[3]) == -EFBIG);
	CU_ASSERT(count_bundles(store) == 3);
	size_t hl2;
	char *hnow = slurp(hp, &hl2);
	CU_ASSERT(hl2 == hl && memcmp(hnow, h3, hl) == 0);
	free(hnow);
	CU_ASSERT_FATAL(seal_one(store, "fourth\n", 0, &r[3]) == 0);
	CU_ASSERT(r[3].sequence == 4);
	vstore(store, pin, &rep);
	CU_ASSERT(rep.n == 0);
	store_report_clear(&rep);

	char b2[4200], b3[4200];
	bpath(b2, sizeof(b2), store, &r[1]);
	bpath(b3, sizeof(b3), store, &r[2]);
	/* delete a bundle in the middle: gap */
	snprintf(tmp, sizeof(tmp), "%s/aside", unit_tmpdir());
	CU_ASSERT(rename(b2, tmp) == 0);
	vstore(store, NULL, &rep);
	CU_ASSERT(has(&rep, STORE_CHAIN_GAP));
	store_report_clear(&rep);
	/* duplicate: the same bundle under a second name */
	char dup[4300];
	snprintf(dup, sizeof(dup), "%s/bundles/0000000002-ffffffffffffffffffffffffffffffff.tar.gz",
	         store);
	CU_ASSERT(rename(tmp, b2) == 0);
	CU_ASSERT(link(b2, dup) == 0);
	vstore(store, NULL, &rep);
	CU_ASSERT(has(&rep, STORE_CHAIN_FORK));
	store_report_clear(&rep);
	unlink(dup);
	/* swap two bundles' names: reorder */
	char s2[4300], s3[4300];
	snprintf(s2, sizeof(s2), "%s/bundles/0000000003-%s.tar.gz", store, r[1].bundle_id);
	snprintf(s3, sizeof(s3), "%s/bundles/0000000002-%s.tar.gz", store, r[2].bundle_id);
	CU_ASSERT(rename(b2, s2) == 0 && rename(b3, s3) == 0);
	vstore(store, NULL, &rep);
	CU_ASSERT(has(&rep, STORE_CHAIN_REORDER));
	store_report_clear(&rep);
	CU_ASSERT(rename(s2, b2) == 0 && rename(s3, b3) == 0);
	/* a bundle file changed where the content still verifies (gzip MTIME) */
	size_t bl;
	char *bb = slurp(b3, &bl);
	bb[5] ^= 1;
	chmod(b3, 0640);
	f = fopen(b3, "we");
	fwrite(bb, 1, bl, f);
	fclose(f);
	vstore(store, NULL, &rep);
	CU_ASSERT(has(&rep, STORE_BUNDLE_MODIFIED));
	store_report_clear(&rep);
	bb[5] ^= 1;
	f = fopen(b3, "we");
	fwrite(bb, 1, bl, f);
	fclose(f);
	free(bb);
	vstore(store, NULL, &rep);
	CU_ASSERT(rep.n == 0);
	store_report_clear(&rep);

	/* insert a bundle from another store (same key) as if it were sequence 2 */
	char other[700], ins[4300];
	snprintf(other, sizeof(other), "%s/store-other", unit_tmpdir());
	struct store_seal_result o1, o2;
	CU_ASSERT_FATAL(seal_one(other, "a\n", 0, &o1) == 0);
	CU_ASSERT_FATAL(seal_one(other, "b\n", 0, &o2) == 0);
	snprintf(ins, sizeof(ins), "%s/bundles/0000000002-%s.tar.gz", store, o2.bundle_id);
	CU_ASSERT(link(o2.path, ins) == 0);
	vstore(store, NULL, &rep);
	CU_ASSERT(has(&rep, STORE_CUSTODY_BROKEN));
	CU_ASSERT(has(&rep, STORE_CHAIN_GAP) || has(&rep, STORE_CHAIN_RESET));
	store_report_clear(&rep);
	unlink(ins);

	/* roll the head back to bundle 3 against a head pinned at 4 */
	char *h4 = slurp(hp, &hl2);
	f = fopen(pin, "we");
	fwrite(h4, 1, hl2, f);
	fclose(f);
	f = fopen(hp, "we");
	fwrite(h3, 1, hl, f);
	fclose(f);
	vstore(store, pin, &rep);
	CU_ASSERT(has(&rep, STORE_CHAIN_ROLLBACK));
	store_report_clear(&rep);
	f = fopen(hp, "we");
	fwrite(h4, 1, hl2, f);
	fclose(f);
	free(h4);
	free(h3);

	/* lose the head: the next seal starts a new chain with a signed reset */
	CU_ASSERT(unlink(hp) == 0);
	CU_ASSERT_FATAL(seal_one(store, "after reset\n", 0, &r[4]) == 0);
	CU_ASSERT(r[4].chain_reset);
	CU_ASSERT(r[4].sequence == 1);
	vstore(store, NULL, &rep);
	CU_ASSERT(has(&rep, STORE_CHAIN_RESET));
	for (size_t i = 0; i < rep.n; i++)
		CU_ASSERT(rep.v[i].code == STORE_CHAIN_RESET);
	store_report_clear(&rep);
}

/* A store whose ledger already holds custody entries (but no chain) starts its chain
 * without a reset. */
TEST(test_store_ledger_before_first_seal) {
	keys();
	char store[600];
	snprintf(store, sizeof(store), "%s/store-ledger-first", unit_tmpdir());
	struct ev_errlist errs = {0};
	mkdir(store, 0750);
	CU_ASSERT(store_record(store, key_a, "verified", NULL, NULL, NULL, &errs) == 0);
	struct store_seal_result r;
	CU_ASSERT_FATAL(seal_one(store, "x\n", 0, &r) == 0);
	CU_ASSERT(!r.chain_reset);
	CU_ASSERT(r.sequence == 1);
	struct store_report rep;
	vstore(store, NULL, &rep);
	dump(&rep);
	CU_ASSERT(rep.n == 0);
	store_report_clear(&rep);
	ev_errlist_clear(&errs);
}

/* More chains than recorded resets are counted however many there are (the check used
 * to stop counting at 64). 70 stores of one bundle each, their bundles moved into one. */
TEST(test_store_many_chains_counted) {
	keys();
	char all[600];
	snprintf(all, sizeof(all), "%s/store-many", unit_tmpdir());
	CU_ASSERT_FATAL(mkdir(all, 0750) == 0);
	char bd[700];
	snprintf(bd, sizeof(bd), "%s/bundles", all);
	CU_ASSERT_FATAL(mkdir(bd, 0750) == 0);
	for (int i = 0; i < 70; i++) {
		char one[700], to[1000];
		snprintf(one, sizeof(one), "%s/store-many-%d", unit_tmpdir(), i);
		struct store_seal_result r;
		CU_ASSERT_FATAL(seal_one(one, "x\n", 0, &r) == 0);
		snprintf(to, sizeof(to), "%s/%s", bd, strrchr(r.path, '/') + 1);
		CU_ASSERT_FATAL(rename(r.path, to) == 0);
	}
	struct store_report rep;
	vstore(all, NULL, &rep);
	bool found = false;
	for (size_t i = 0; i < rep.n; i++)
		found = found ||
		        (rep.v[i].code == STORE_CHAIN_RESET &&
		         strstr(rep.v[i].msg, "70 chains in the store, 0 recorded resets"));
	CU_ASSERT(found);
	if (!found)
		dump(&rep);
	store_report_clear(&rep);
}

/* The immutable flag where permitted (root), recorded either way; prune clears it. */
TEST(test_store_immutable_and_prune) {
	keys();
	char store[600];
	snprintf(store, sizeof(store), "%s/store-imm", unit_tmpdir());
	struct store_seal_result r1, r2;
	CU_ASSERT_FATAL(seal_imm(store, "one\n", 0, true, &r1) == 0);
	CU_ASSERT_FATAL(seal_imm(store, "two\n", 0, true, &r2) == 0);
	int fd = open(r1.path, O_RDONLY | O_CLOEXEC);
	int attr = 0;
	CU_ASSERT(fd >= 0);
	bool flagged = ioctl(fd, FS_IOC_GETFLAGS, &attr) == 0 && (attr & FS_IMMUTABLE_FL);
	close(fd);
	CU_ASSERT(flagged == r1.immutable);
	if (!r1.immutable)
		CU_ASSERT(r1.immutable_note[0] != 0);
	struct store_keyring kr = {0};
	ring(&kr, key_a);
	struct ev_errlist errs = {0};
	/* everything before the far future, except the head's bundle */
	CU_ASSERT(store_prune(store, key_a, &kr, "9999-01-01T00:00:00Z", "test", NULL, &errs) == 1);
	CU_ASSERT(access(r1.path, F_OK) != 0);
	CU_ASSERT(access(r2.path, F_OK) == 0);
	struct store_report rep;
	vstore(store, NULL, &rep);
	dump(&rep);
	CU_ASSERT(rep.n == 0);
	store_report_clear(&rep);
	/* leave the temporary directory removable */
	fd = open(r2.path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &attr) == 0 && (attr & FS_IMMUTABLE_FL)) {
		attr &= ~FS_IMMUTABLE_FL;
		ioctl(fd, FS_IOC_SETFLAGS, &attr);
	}
	if (fd >= 0)
		close(fd);
	ev_errlist_clear(&errs);
	store_keyring_clear(&kr);
}

/* Two outputs collected at once through pending members (one spilling past 4 MiB). */
TEST(test_store_pending_members) {
	keys();
	char path[600];
	snprintf(path, sizeof(path), "%s/pending.tar.gz", unit_tmpdir());
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	struct store_bundle_writer *w = NULL;
	struct store_bundle_writer_opts o = {.fd = fd, .level = 1, .spill_dir = unit_tmpdir()};
	CU_ASSERT_FATAL(store_bundle_writer_new(&o, &w) == 0);
	struct store_bundle_pending *a = NULL, *b = NULL;
	CU_ASSERT_FATAL(store_bundle_pending_new(w, "evidence/j/a", NULL, &a) == 0);
	CU_ASSERT_FATAL(store_bundle_pending_new(w, "evidence/j/b", json_pack("{s:s}", "kind", "t"),
	                                         &b) == 0);
	CU_ASSERT(store_bundle_pending_new(w, "../x", NULL, &b) == -EINVAL);
	char *chunk = malloc(1 << 20);
	memset(chunk, 'a', 1 << 20);
	struct store_sha256_ctx *ha = store_sha256_new(), *hb = store_sha256_new();
	for (int i = 0; i < 5; i++) {
		CU_ASSERT(store_bundle_pending_write(a, chunk, 1 << 20) == 0);
		store_sha256_update(ha, chunk, 1 << 20);
		CU_ASSERT(store_bundle_pending_write(b, "line\n", 5) == 0);
		store_sha256_update(hb, "line\n", 5);
	}
	uint8_t da[32], db[32];
	store_sha256_final(ha, da);
	store_sha256_final(hb, db);
	CU_ASSERT(store_bundle_pending_commit(w, a, json_pack("{s:i}", "entries", 5), NULL) == 0);
	CU_ASSERT(store_bundle_pending_commit(w, b, NULL, "partial") == 0);
	free(chunk);
	struct store_bundle_result res;
	struct store_keyring kr = {0};
	struct store_bundle_info info = {0};
	finish_verified(w, fd, "pending", &res, &kr, &info);
	json_t *m = json_object_get(info.manifest, "members");
	char ha_hex[65], hb_hex[65];
	store_hex(da, 32, ha_hex);
	store_hex(db, 32, hb_hex);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(m, 0), "sha256")),
	                       ha_hex);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(m, 1), "sha256")),
	                       hb_hex);
	CU_ASSERT(json_integer_value(json_object_get(json_array_get(m, 0), "entries")) == 5);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(m, 1), "error")),
	                       "partial");
	store_bundle_info_clear(&info);
	store_keyring_clear(&kr);
}
