/* evident prove BUNDLE MEMBER: an RFC 6962 inclusion proof for one member, so it can be
 * shown to a third party without the other members' content. The proof file carries the
 * signed manifest (which names every member and its hash, not their bytes), the member's
 * SHA256SUMS line and the audit path; docs/FORMAT.md "Inclusion proofs". */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cmd/cmd_prove.h"
#include "agent/cmd/cmd_store_common.h"
#include "agent/cmd/commands.h"
#include "store/merkle.h"

static char *b64enc(const void *in, size_t len) {
	char *o = malloc(4 * ((len + 2) / 3) + 1);
	if (o)
		EVP_EncodeBlock((unsigned char *)o, in, (int)len);
	return o;
}

/* Decode base64 without newlines; returns length or -1. */
static long b64dec(const char *in, unsigned char **ret) {
	size_t l = strlen(in);
	if (l % 4 || l > (64u << 20))
		return -1;
	unsigned char *o = malloc(l / 4 * 3 + 1);
	if (!o)
		return -1;
	int n = EVP_DecodeBlock(o, (const unsigned char *)in, (int)l);
	if (n < 0) {
		free(o);
		return -1;
	}
	if (l >= 1 && in[l - 1] == '=')
		n--;
	if (l >= 2 && in[l - 2] == '=')
		n--;
	*ret = o;
	return n;
}

/* --json: one document naming the proof; its text under "proof" when it went to no file. */
static void print_proof_json(const char *bundle, const char *member, size_t idx, size_t n,
                             const char *outp, const char *text) {
	json_t *o =
	        json_pack("{s:b, s:o, s:s, s:s, s:I, s:I, s:s?, s:s?}", "ok", 1, "findings",
	                  json_array(), "bundle", bundle, "member", member, "leaf_index",
	                  (json_int_t)idx, "tree_size", (json_int_t)n, "out", outp, "proof", text);
	char *s = o ? json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
	printf("%s\n", s ? s : "{}");
	free(s);
	json_decref(o);
}

/* The Merkle leaves of a manifest's members; *ret_idx is the index of `member` (n when
 * it is not there) and `line` its SHA256SUMS line. NULL when out of memory. */
static store_hash_t *member_leaves(json_t *members, const char *member, size_t *ret_idx, char *line,
                                   size_t line_len) {
	size_t n = json_array_size(members);
	store_hash_t *leaves = calloc(n ? n : 1, sizeof(*leaves));
	*ret_idx = n;
	for (size_t i = 0; leaves && i < n; i++) {
		json_t *e = json_array_get(members, i);
		char l[700];
		snprintf(l, sizeof(l), "%s  %s\n", json_string_value(json_object_get(e, "sha256")),
		         json_string_value(json_object_get(e, "path")));
		store_merkle_leaf(l, strlen(l), leaves[i]);
		if (!strcmp(json_string_value(json_object_get(e, "path")), member)) {
			*ret_idx = i;
			snprintf(line, line_len, "%s", l);
		}
	}
	return leaves;
}

/* The proof file's text: leaf, audit path, canonical manifest and signature. NULL when
 * out of memory (or without a path). */
static char *proof_text(const struct store_bundle_info *info, char *line, size_t idx, size_t n,
                        const store_hash_t *path, size_t pn) {
	char *man = store_json_canonical(info->manifest);
	char *mb = man ? b64enc(man, strlen(man)) : NULL;
	char *sb = b64enc(info->signature, STORE_SIG_LEN);
	char *text = NULL;
	size_t tlen = 0;
	FILE *m = mb && sb && path ? open_memstream(&text, &tlen) : NULL;
	if (m) {
		line[strcspn(line, "\n")] = 0;
		fprintf(m, "evident-proof 1\nleaf_index %zu\ntree_size %zu\nmember %s\n", idx, n,
		        line);
		for (size_t i = 0; i < pn; i++) {
			char h[STORE_HEX_LEN + 1];
			store_hex(path[i], STORE_HASH_LEN, h);
			fprintf(m, "path %s\n", h);
		}
		fprintf(m, "manifest %s\nsignature %s\n", mb, sb);
		if (fclose(m) != 0) {
			free(text);
			text = NULL;
		}
	}
	free(man);
	free(mb);
	free(sb);
	return text;
}

/* The proof to --out (created, never overwritten) or to stdout (not with --json). */
static int proof_output(const struct ev_store_read_opts *so, const char *outp, const char *text) {
	if (!outp) {
		if (!so->json)
			fputs(text, stdout);
		return EV_EXIT_OK;
	}
	FILE *f = fopen(outp, "wxe");
	bool ok = f && fputs(text, f) >= 0;
	if (f && fclose(f) != 0)
		ok = false;
	if (ok)
		return EV_EXIT_OK;
	ev_log_error("cannot write the proof to %s: %m", outp);
	return EV_EXIT_USAGE;
}

/* The proof of `member` in a verified bundle (info), written and recorded in the store's
 * custody ledger. */
static int prove_member(const struct ev_store_read_opts *so, const char *store, const char *bundle,
                        const char *member, const char *outp,
                        const struct store_bundle_info *info) {
	json_t *members = json_object_get(info->manifest, "members");
	size_t n = json_array_size(members), idx;
	char line[700] = "";
	store_hash_t *leaves = member_leaves(members, member, &idx, line, sizeof(line));
	if (!leaves || idx == n) {
		free(leaves);
		ev_log_error("%s: no member '%s' in the manifest", bundle, member);
		return EV_EXIT_USAGE;
	}
	store_hash_t *path = NULL;
	size_t pn = 0;
	store_merkle_proof(leaves, n, idx, &path, &pn);
	free(leaves);
	char *text = proof_text(info, line, idx, n, path, pn);
	int ret = EV_EXIT_USAGE;
	if (!text)
		ev_log_error("cannot make the proof: %s", strerror(ENOMEM));
	else
		ret = proof_output(so, outp, text);
	if (ret == EV_EXIT_OK && so->json)
		print_proof_json(bundle, member, idx, n, outp, outp ? NULL : text);
	free(text);
	free(path);
	if (ret == EV_EXIT_OK)
		ev_store_read_record(so, store, "exported", bundle,
		                     json_pack("{s:s, s:s, s:s}", "what", "inclusion_proof",
		                               "member", member, "to", outp ? outp : "-"));
	return ret;
}

static int prove_run(int argc, char **argv) {
	enum { OPT_OUT = EV_SOPT_OWN };
	static const struct option opts[] = {EV_STORE_READ_LONGOPTS,
	                                     {"out", required_argument, NULL, OPT_OUT},
	                                     {NULL, 0, NULL, 0}};
	struct ev_store_read_opts so = {0};
	const char *outp = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_OUT:
			outp = optarg;
			break;
		default: {
			int r = ev_store_read_opt(&ev_cmd_prove, c, argv, &so);
			if (r >= 0)
				return r;
		}
		}
	}
	int ret = ev_store_read_check(&ev_cmd_prove, &so);
	if (ret >= 0)
		return ret;
	if (argc - optind != 2)
		return ev_usage_error(&ev_cmd_prove, "expected BUNDLE MEMBER");
	const char *bundle = argv[optind], *member = argv[optind + 1];
	char *store = ev_store_of_bundle(bundle);
	struct store_keyring kr = {0};
	struct store_report rep = {0};
	struct store_bundle_info info = {0};
	json_t *extra = json_pack("{s:s, s:s}", "bundle", bundle, "member", member);
	ret = ev_store_read_bundle(&so, store, bundle, extra, "no proof made", &kr, &rep, &info);
	json_decref(extra);
	if (ret < 0)
		ret = prove_member(&so, store, bundle, member, outp, &info);
	free(store);
	store_bundle_info_clear(&info);
	store_report_clear(&rep);
	store_keyring_clear(&kr);
	return ret;
}

/* A proof file's lines (pointers into its buffer). */
struct proof {
	size_t idx, n, pn;
	store_hash_t path[64];
	char *member, *mb, *sb;
	bool magic, bad;
};

static void proof_parse(char *buf, struct proof *p) {
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(l, "evident-proof 1"))
			p->magic = true;
		else if (!strncmp(l, "leaf_index ", 11))
			p->idx = strtoull(l + 11, NULL, 10);
		else if (!strncmp(l, "tree_size ", 10))
			p->n = strtoull(l + 10, NULL, 10);
		else if (!strncmp(l, "member ", 7))
			p->member = l + 7;
		else if (!strncmp(l, "path ", 5)) {
			if (p->pn >= ELEMENTSOF(p->path) ||
			    store_unhex(l + 5, p->path[p->pn++], STORE_HASH_LEN) < 0)
				p->bad = true;
		} else if (!strncmp(l, "manifest ", 9))
			p->mb = l + 9;
		else if (!strncmp(l, "signature ", 10))
			p->sb = l + 10;
	}
}

/* The embedded manifest (m, ml bytes, parsed into *ret_m even when a check fails), its
 * signature by a key of kr, and the audit path from the member's leaf to its Merkle
 * root. Every failure becomes a finding in rep. */
static void proof_check(const struct proof *p, const char *pathname, const struct store_keyring *kr,
                        const unsigned char *man, long ml, const unsigned char *sig,
                        struct store_report *rep, json_t **ret_m) {
	json_t *m = *ret_m =
	        json_loadb((const char *)man, (size_t)ml, JSON_REJECT_DUPLICATES, NULL);
	const char *kid = json_string_value(json_object_get(m, "key_id"));
	const struct store_key *k = store_keyring_find(kr, kid, NULL);
	if (!m || !kid) {
		store_report_add(rep, STORE_FORMAT_INVALID, pathname,
		                 "embedded manifest unreadable");
		return;
	}
	if (!k) {
		store_report_add(rep, STORE_UNKNOWN_KEY, pathname,
		                 "manifest signed by key %s, not given with --pub", kid);
		return;
	}
	if (store_key_verify(k, man, (size_t)ml, sig) < 0) {
		store_report_add(rep, STORE_SIGNATURE_INVALID, pathname,
		                 "manifest signature does not verify");
		return;
	}
	uint8_t root[STORE_HASH_LEN];
	if (store_unhex(json_string_value(json_object_get(m, "merkle_root")), root,
	                STORE_HASH_LEN) < 0) {
		store_report_add(rep, STORE_FORMAT_INVALID, pathname,
		                 "manifest has no merkle_root");
		return;
	}
	char line[800];
	snprintf(line, sizeof(line), "%s\n", p->member);
	store_hash_t leaf;
	store_merkle_leaf(line, strlen(line), leaf);
	if (store_merkle_verify(leaf, p->idx, p->n, (const store_hash_t *)p->path, p->pn, root) <
	            0 ||
	    p->n != json_array_size(json_object_get(m, "members")))
		store_report_add(rep, STORE_MEMBER_MODIFIED, p->member,
		                 "the audit path does not lead to the signed Merkle root");
}

int ev_proof_verify_file(const char *pathname, char **pubs, size_t n_pubs, bool json) {
	struct store_keyring kr = {0};
	int ret = ev_store_keyring(pubs, n_pubs, NULL, &kr);
	if (ret)
		return ret;
	char *buf = NULL;
	size_t len = 0;
	int r = store_read_file(pathname, 96u << 20, &buf, &len);
	if (r < 0) {
		store_keyring_clear(&kr);
		ev_log_error("cannot read %s: %s", pathname, strerror(-r));
		return EV_EXIT_USAGE;
	}
	struct store_report rep = {0};
	struct proof p = {0};
	proof_parse(buf, &p);
	unsigned char *man = NULL, *sig = NULL;
	long ml = p.mb ? b64dec(p.mb, &man) : -1, sl = p.sb ? b64dec(p.sb, &sig) : -1;
	json_t *m = NULL;
	if (!p.magic || p.bad || !p.member || ml < 0 || sl != STORE_SIG_LEN)
		store_report_add(&rep, STORE_FORMAT_INVALID, pathname, "not an evident proof file");
	else
		proof_check(&p, pathname, &kr, man, ml, sig, &rep, &m);
	json_t *extra = json_pack("{s:s?}", "member", p.member);
	ret = ev_store_print_report(&rep, json, extra);
	json_decref(extra);
	if (!json && ret == EV_EXIT_OK)
		printf("proof holds: %s (leaf %zu of %zu, key %s)\n", p.member, p.idx, p.n,
		       json_string_value(json_object_get(m, "key_id")));
	json_decref(m);
	free(man);
	free(sig);
	free(buf);
	store_report_clear(&rep);
	store_keyring_clear(&kr);
	return ret;
}

const struct ev_command ev_cmd_prove = {
        .name = "prove",
        .summary = "make an RFC 6962 inclusion proof for one bundle member",
        .run = prove_run,
        .usage = "Usage: evident prove [--pub KEY]... [--out FILE] [--json] [--no-record]\n"
                 "                     BUNDLE MEMBER\n"
                 "\n"
                 "Verify BUNDLE, then write an inclusion proof for MEMBER (its SHA256SUMS line,\n"
                 "the audit path to the signed Merkle root, the signed manifest). A third party\n"
                 "checks it with `evident verify --proof FILE --pub KEY` and compares the\n"
                 "member's SHA-256 with `sha256sum`.\n"
                 "\n"
                 "  --pub KEY        trust only this public key (default: the store's keys)\n"
                 "  --out FILE       write the proof here (refuses to overwrite; default:\n"
                 "                   stdout)\n" EV_STORE_READ_HELP
                 "  --actor NAME     who is exporting (recorded)\n"
                 "  --json           one JSON document: ok, bundle, member, leaf_index,\n"
                 "                   tree_size, out, and the proof's text as 'proof' when\n"
                 "                   there is no --out\n"
                 "  -h, --help       show this help\n",
};
