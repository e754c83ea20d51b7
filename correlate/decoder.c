/* Decoders: per program, regexes with named captures that add fields to a record (for
 * example sshd's `Failed password for USER from ADDR`), and a field map from Sigma names
 * to record fields. They run lazily, at the first lookup of a field that a decoder can add
 * (engine_decodable(): a name of a pattern's named group, or of the field map); a lookup
 * of any other name cannot depend on them, so it does not run them.
 * Every problem in a decoder file is a positioned error; a decoder with an error is not
 * used; out of memory is -ENOMEM, never a decoder silently missing a pattern. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/internal.h"
#include "util/ytree.h"

static void decoder_free(struct decoder *d) {
	free(d->name);
	for (size_t i = 0; i < d->n_programs; i++)
		free(d->programs[i]);
	free(d->programs);
	for (size_t i = 0; i < d->n_pats; i++) {
		pcre2_code_free(d->pats[i]);
		free(d->pinfo[i].names);
	}
	free(d->pats);
	free(d->pinfo);
	memset(d, 0, sizeof(*d));
}

void decoder_free_all(struct correlate_engine *e) {
	for (size_t i = 0; i < e->n_dec; i++)
		decoder_free(&e->dec[i]);
	free(e->dec);
	e->dec = NULL;
	e->n_dec = 0;
	for (size_t i = 0; i < e->n_fmap; i++) {
		free(e->fmap_from[i]);
		free(e->fmap_to[i]);
	}
	free(e->fmap_from);
	free(e->fmap_to);
	e->fmap_from = e->fmap_to = NULL;
	e->n_fmap = 0;
	free(e->dec_names);
	e->dec_names = NULL;
	e->n_dec_names = 0;
}

/* A name's bit in dec_sig (1,024 bits) */
static unsigned name_sig(const char *n) {
	unsigned a = (unsigned char)n[0], b = a ? (unsigned char)n[1] : 0;
	return (a * 31 + b) & 1023;
}

static int cmp_name(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the named groups of `c` to e->dec_names (pointers into its name table, whose
 * entries are NUL-terminated; NULL c counts them only). Returns how many. */
static size_t pattern_names(struct correlate_engine *e, const pcre2_code *c, bool add) {
	uint32_t nn = 0, esz = 0;
	PCRE2_SPTR tab = NULL;
	pcre2_pattern_info(c, PCRE2_INFO_NAMECOUNT, &nn);
	pcre2_pattern_info(c, PCRE2_INFO_NAMEENTRYSIZE, &esz);
	pcre2_pattern_info(c, PCRE2_INFO_NAMETABLE, &tab);
	for (uint32_t k = 0; add && k < nn; k++)
		e->dec_names[e->n_dec_names++] = (char *)(tab + (size_t)k * esz + 2);
	return nn;
}

int decoder_names_build(struct correlate_engine *e) {
	size_t n = 2 * e->n_fmap;
	for (size_t i = 0; i < e->n_dec; i++)
		for (size_t j = 0; j < e->dec[i].n_pats; j++)
			n += pattern_names(e, e->dec[i].pats[j], false);
	e->dec_names = calloc(n + 1, sizeof(char *));
	if (!e->dec_names)
		return -ENOMEM;
	for (size_t i = 0; i < e->n_dec; i++)
		for (size_t j = 0; j < e->dec[i].n_pats; j++)
			pattern_names(e, e->dec[i].pats[j], true);
	for (size_t i = 0; i < e->n_fmap; i++) {
		e->dec_names[e->n_dec_names++] = e->fmap_from[i];
		e->dec_names[e->n_dec_names++] = e->fmap_to[i];
	}
	qsort(e->dec_names, e->n_dec_names, sizeof(char *), cmp_name);
	memset(e->dec_sig, 0, sizeof(e->dec_sig));
	for (size_t i = 0; i < e->n_dec_names; i++) {
		unsigned sig = name_sig(e->dec_names[i]);
		e->dec_sig[sig >> 6] |= 1ull << (sig & 63);
	}
	return 0;
}

bool engine_decodable(const struct correlate_engine *e, const char *name) {
	if (!name || !e->n_dec_names)
		return false;
	unsigned sig = name_sig(name);
	return (e->dec_sig[sig >> 6] >> (sig & 63) & 1) &&
	       bsearch(&name, e->dec_names, e->n_dec_names, sizeof(char *), cmp_name);
}

/* The decoder's shape: known keys, a name, lists and a mapping where they belong. */
static bool decoder_shape_ok(const char *file, const struct ytree_node *root,
                             struct ev_errlist *errs) {
	bool ok = true;
	for (size_t i = 0; i < root->n; i++) {
		const char *k = root->pairs[i].key->str;
		if (strcmp(k, "decoder") && strcmp(k, "programs") && strcmp(k, "patterns") &&
		    strcmp(k, "fields")) {
			ev_errlist_add(errs, file, root->pairs[i].key->line,
			               root->pairs[i].key->col,
			               "unknown decoder key '%s' (expected decoder, programs, "
			               "patterns, fields)",
			               k);
			ok = false;
		}
	}
	const struct ytree_node *name = ytree_map_get(root, "decoder"),
	                        *progs = ytree_map_get(root, "programs"),
	                        *pats = ytree_map_get(root, "patterns"),
	                        *fields = ytree_map_get(root, "fields");
	if (!name || name->kind != YTREE_SCALAR) {
		ev_errlist_add(errs, file, root->line, root->col,
		               "a decoder needs 'decoder: NAME'");
		ok = false;
	}
	if (progs && progs->kind != YTREE_SEQ) {
		ev_errlist_add(errs, file, progs->line, progs->col, "'programs' must be a list");
		ok = false;
	}
	for (size_t i = 0; progs && progs->kind == YTREE_SEQ && i < progs->n; i++)
		if (progs->items[i]->kind != YTREE_SCALAR) {
			ev_errlist_add(errs, file, progs->items[i]->line, progs->items[i]->col,
			               "a program must be a string");
			ok = false;
		}
	if (pats && pats->kind != YTREE_SEQ) {
		ev_errlist_add(errs, file, pats->line, pats->col, "'patterns' must be a list");
		ok = false;
	}
	for (size_t i = 0; pats && pats->kind == YTREE_SEQ && i < pats->n; i++)
		if (pats->items[i]->kind != YTREE_SCALAR) {
			ev_errlist_add(errs, file, pats->items[i]->line, pats->items[i]->col,
			               "a pattern must be a string");
			ok = false;
		}
	if (fields && fields->kind != YTREE_MAP) {
		ev_errlist_add(errs, file, fields->line, fields->col,
		               "'fields' must map Sigma field names to fields");
		ok = false;
	}
	for (size_t i = 0; fields && fields->kind == YTREE_MAP && i < fields->n; i++)
		if (fields->pairs[i].value->kind != YTREE_SCALAR) {
			ev_errlist_add(errs, file, fields->pairs[i].value->line,
			               fields->pairs[i].value->col,
			               "a field mapping must be a string");
			ok = false;
		}
	return ok;
}

/* The pattern's named groups and its start-of-match filter (struct dec_pat). Returns 0 or
 * -ENOMEM. */
static int pattern_info(struct dec_pat *pi, const pcre2_code *c) {
	uint32_t nn = 0, esz = 0, opts = 0, empty = 1, fct = 0, fcu = 0;
	PCRE2_SPTR tab = NULL;
	const uint8_t *bm = NULL;
	pcre2_pattern_info(c, PCRE2_INFO_NAMECOUNT, &nn);
	pcre2_pattern_info(c, PCRE2_INFO_NAMEENTRYSIZE, &esz);
	pcre2_pattern_info(c, PCRE2_INFO_NAMETABLE, &tab);
	pi->names = calloc(nn + 1, sizeof(*pi->names));
	if (!pi->names)
		return -ENOMEM;
	for (uint32_t k = 0; k < nn; k++) {
		PCRE2_SPTR ent = tab + (size_t)k * esz;
		pi->names[k].group = ((uint32_t)ent[0] << 8) | ent[1];
		pi->names[k].name = (const char *)ent + 2;
		pi->names[k].len = (uint32_t)strlen(pi->names[k].name);
	}
	pi->n_names = nn;
	size_t jit = 0;
	pi->jit = pcre2_pattern_info(c, PCRE2_INFO_JITSIZE, &jit) == 0 && jit > 0;
	pcre2_pattern_info(c, PCRE2_INFO_ALLOPTIONS, &opts);
	pcre2_pattern_info(c, PCRE2_INFO_MATCHEMPTY, &empty);
	pcre2_pattern_info(c, PCRE2_INFO_FIRSTCODETYPE, &fct);
	pcre2_pattern_info(c, PCRE2_INFO_FIRSTBITMAP, &bm);
	if (!(opts & PCRE2_ANCHORED) || empty)
		return 0; /* a match may start anywhere, or need no byte at all */
	if (fct == 1) {
		pcre2_pattern_info(c, PCRE2_INFO_FIRSTCODEUNIT, &fcu);
		if (fcu >= 128)
			return 0;
		/* the unit may be caseless ((?i)): allow both cases */
		unsigned char lo = (unsigned char)(fcu >= 'A' && fcu <= 'Z' ? fcu + 32 : fcu);
		unsigned char up = (unsigned char)(fcu >= 'a' && fcu <= 'z' ? fcu - 32 : fcu);
		pi->first[lo / 8] |= (uint8_t)(1u << (lo % 8));
		pi->first[up / 8] |= (uint8_t)(1u << (up % 8));
		pi->first_known = true;
	} else if (bm) {
		memcpy(pi->first, bm, sizeof(pi->first));
		pi->first_known = true;
	}
	return 0;
}

/* Compile the patterns into d. Returns 0, -EINVAL (message in errs) or -ENOMEM. */
static int decoder_compile(struct correlate_engine *e, struct decoder *d, const char *file,
                           const struct ytree_node *pats, struct ev_errlist *errs) {
	if (!pats)
		return 0;
	d->pats = calloc(pats->n + 1, sizeof(pcre2_code *));
	d->pinfo = calloc(pats->n + 1, sizeof(*d->pinfo));
	if (!d->pats || !d->pinfo)
		return -ENOMEM;
	for (size_t i = 0; i < pats->n; i++) {
		const struct ytree_node *p = pats->items[i];
		int ec;
		PCRE2_SIZE off;
		pcre2_code *c =
		        pcre2_compile((PCRE2_SPTR)p->str, p->len, PCRE2_DOTALL, &ec, &off, NULL);
		if (!c) {
			char buf[200];
			pcre2_get_error_message(ec, (PCRE2_UCHAR *)buf, sizeof(buf));
			ev_errlist_add(errs, file, p->line, p->col,
			               "invalid pattern at offset %zu: %s", (size_t)off, buf);
			return -EINVAL;
		}
		if (!e->o.no_jit && pcre2_jit_compile(c, PCRE2_JIT_COMPLETE) != 0)
			e->jit_ok = false;
		d->pats[d->n_pats] = c;
		if (pattern_info(&d->pinfo[d->n_pats++], c) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int decoder_programs(struct decoder *d, const struct ytree_node *progs) {
	if (!progs)
		return 0;
	d->programs = calloc(progs->n + 1, sizeof(char *));
	if (!d->programs)
		return -ENOMEM;
	for (size_t i = 0; i < progs->n; i++) {
		d->programs[i] = strdup(progs->items[i]->str);
		if (!d->programs[i])
			return -ENOMEM;
		d->n_programs++;
	}
	return 0;
}

/* Add the decoder's field map to the engine's. */
static int decoder_fields(struct correlate_engine *e, const struct ytree_node *fields) {
	for (size_t i = 0; fields && i < fields->n; i++) {
		char **a = realloc(e->fmap_from, (e->n_fmap + 1) * sizeof(char *));
		if (!a)
			return -ENOMEM;
		e->fmap_from = a;
		char **b = realloc(e->fmap_to, (e->n_fmap + 1) * sizeof(char *));
		if (!b)
			return -ENOMEM;
		e->fmap_to = b;
		char *from = strdup(fields->pairs[i].key->str),
		     *to = strdup(fields->pairs[i].value->str);
		if (!from || !to) {
			free(from);
			free(to);
			return -ENOMEM;
		}
		e->fmap_from[e->n_fmap] = from;
		e->fmap_to[e->n_fmap] = to;
		e->n_fmap++;
	}
	return 0;
}

/* One YAML document: 1 when a decoder was added, 0 when it had errors, -ENOMEM. */
static int load_decoder_doc(struct correlate_engine *e, const char *file,
                            const struct ytree_node *root, struct ev_errlist *errs) {
	if (!root)
		return 0;
	if (root->kind != YTREE_MAP) {
		ev_errlist_add(errs, file, root->line, root->col, "a decoder must be a mapping");
		return 0;
	}
	if (!decoder_shape_ok(file, root, errs))
		return 0;
	const struct ytree_node *pats = ytree_map_get(root, "patterns"),
	                        *fields = ytree_map_get(root, "fields");
	struct decoder d = {0};
	d.name = strdup(ytree_map_get(root, "decoder")->str);
	int r = d.name ? decoder_programs(&d, ytree_map_get(root, "programs")) : -ENOMEM;
	if (r == 0)
		r = decoder_compile(e, &d, file, pats, errs);
	if (r == 0 && !(d.n_pats || fields)) {
		ev_errlist_add(errs, file, root->line, root->col,
		               "decoder '%s' has neither patterns nor fields", d.name);
		r = -EINVAL;
	}
	if (r == 0)
		r = decoder_fields(e, fields);
	struct decoder *v = r == 0 ? realloc(e->dec, (e->n_dec + 1) * sizeof(*v)) : NULL;
	if (r == 0 && !v)
		r = -ENOMEM;
	if (r < 0) {
		decoder_free(&d);
		return r == -ENOMEM ? r : 0;
	}
	e->dec = v;
	e->dec[e->n_dec++] = d;
	return 1;
}

struct dec_ctx {
	struct correlate_engine *e;
	struct ev_errlist *errs;
	int n;
};

/* Every document of a parsed file or buffer (freed here): 0 or -ENOMEM. */
static int load_decoder_docs(struct dec_ctx *c, const char *file, struct ytree_docs *docs,
                             int parsed) {
	if (parsed < 0)
		return parsed == -ENOMEM ? parsed : 0;
	int r = 0;
	for (size_t i = 0; i < docs->n; i++) {
		r = load_decoder_doc(c->e, file, docs->v[i].root, c->errs);
		if (r < 0)
			break;
		c->n += r;
	}
	ytree_docs_free(docs);
	return r < 0 ? r : 0;
}

static int load_decoder_file(const char *file, void *p) {
	struct dec_ctx *c = p;
	struct ytree_docs docs = {0};
	return load_decoder_docs(c, file, &docs, ytree_parse_file(file, &docs, c->errs));
}

int correlate_engine_add_decoders(struct correlate_engine *e, const char *path,
                                  struct ev_errlist *errs) {
	struct dec_ctx c = {e, errs, 0};
	int r = sigma_walk(path, load_decoder_file, &c, errs);
	return r < 0 ? r : c.n;
}

int correlate_engine_add_decoders_buffer(struct correlate_engine *e, const char *name,
                                         const char *buf, size_t len, struct ev_errlist *errs) {
	struct dec_ctx c = {e, errs, 0};
	struct ytree_docs docs = {0};
	int r = load_decoder_docs(&c, name, &docs, ytree_parse_buffer(name, buf, len, &docs, errs));
	return r < 0 ? r : c.n;
}

static bool decoder_for(const struct decoder *d, const struct ev_str *prog) {
	for (size_t j = 0; j < d->n_programs; j++)
		if (engine_program_is(prog, d->programs[j]))
			return true;
	return false;
}

/* The decoders for the record's program (bit i: e->dec[i], i < 64), remembered with the
 * record's logsource answers (engine_ls_begin()) so the names are compared once per
 * program. */
static uint64_t decoder_mask(struct correlate_engine *e, const struct ev_str *prog) {
	struct ls_memo *m = e->ls_cur;
	if (m && m->dec_known)
		return m->dec_mask;
	uint64_t mask = 0;
	for (size_t i = 0; i < e->n_dec && i < 64; i++)
		if (decoder_for(&e->dec[i], prog))
			mask |= (uint64_t)1 << i;
	if (m) {
		m->dec_known = true;
		m->dec_mask = mask;
	}
	return mask;
}

/* Try d's patterns in order; at the first match add its named groups. */
static bool decode_with(struct correlate_engine *e, const struct decoder *d,
                        struct ev_record *rec) {
	const char *m = rec->message.p ? rec->message.p : "";
	size_t len = rec->message.len;
	for (size_t j = 0; j < d->n_pats; j++) {
		const struct dec_pat *pi = &d->pinfo[j];
		if (pi->first_known) {
			unsigned char c0 = len ? (unsigned char)m[0] : 0;
			if (!len || !(pi->first[c0 / 8] & (1u << (c0 % 8))))
				continue;
		}
		pcre2_match_data *md = e->md;
		/* the JIT entry skips pcre2_match()'s checks and dispatch (the same match) */
		int rc = pi->jit ? pcre2_jit_match(d->pats[j], (PCRE2_SPTR)m, len, 0, 0, md, NULL)
		                 : pcre2_match(d->pats[j], (PCRE2_SPTR)m, len, 0, 0, md, NULL);
		if (rc < 0)
			continue;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		uint32_t ovn = pcre2_get_ovector_count(md);
		for (uint32_t k = 0; k < pi->n_names; k++) {
			uint32_t g = pi->names[k].group;
			if (g >= ovn || ov[2 * g] == PCRE2_UNSET)
				continue;
			ev_record_add_field(rec, pi->names[k].name, pi->names[k].len, m + ov[2 * g],
			                    ov[2 * g + 1] - ov[2 * g]);
		}
		e->st.decoded++;
		return true;
	}
	return false;
}

/* The first pattern that matches, of the first decoder for the record's program that
 * has one, adds its named groups. */
static void decode(struct correlate_engine *e, struct ev_record *rec) {
	if (!rec->program.p)
		return;
	uint64_t mask = decoder_mask(e, &rec->program);
	for (size_t i = 0; i < e->n_dec; i++) {
		const struct decoder *d = &e->dec[i];
		if (i < 64 ? !(mask >> i & 1) : !decoder_for(d, &rec->program))
			continue;
		if (decode_with(e, d, rec))
			return;
	}
}

bool engine_is_std_field(const char *n) {
	static const char *std[] = {"message",  "host",     "program", "pid",
	                            "priority", "facility", "unit",    "source"};
	/* every standard name starts with one of these letters: most names end here */
	if (!n[0] || !strchr("hmpfus", n[0]))
		return false;
	for (size_t i = 0; i < ELEMENTSOF(std); i++)
		if (n[0] == std[i][0] && !strcmp(n, std[i]))
			return true;
	return false;
}

void engine_ensure_decoded(struct correlate_engine *e) {
	if (e->decoded || !e->rec)
		return;
	e->decoded = true;
	if (e->n_dec)
		decode(e, e->rec);
}
