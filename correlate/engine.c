/* Correlation engine: loading, compilation and per-record matching.
 *
 * Matching a record: decoders (by program) add fields; Vectorscan scans the message once
 * for every message-level leaf of every rule and marks candidates; then each active
 * detection rule whose logsource applies evaluates its condition, short-circuit, where a
 * message leaf that Vectorscan did not mark is false without running PCRE2, and every
 * other leaf is decided by PCRE2. Since Vectorscan only ever removes leaves PCRE2 would
 * reject too (exact literals, or PREFILTER supersets for `re`), the pcre2 engine and the
 * vectorscan engine give the same matches by construction. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/internal.h"
#include "util/ytree.h"

const char *correlate_engine_name(void) {
#ifdef HAVE_VECTORSCAN
	return "vectorscan+pcre2";
#else
	return "pcre2";
#endif
}

/* ---- logsource table ---- */

static const struct {
	const char *service;
	const char *programs; /* space separated */
	const char *units;
	uint32_t facilities;
	bool all;
} builtin_ls[] = {
        {"sshd", "sshd", "ssh.service sshd.service", 0, false},
        {"sudo", "sudo", "", 0, false},
        {"su", "su", "", 0, false},
        {"auth",
         "sshd sudo su login passwd useradd groupadd usermod userdel groupdel chpasswd chage "
         "systemd-logind "
         "pkexec polkitd unix_chkpwd",
         "ssh.service sshd.service", (1u << 4) | (1u << 10), false},
        {"syslog", "", "", 0, true},
        {"cron", "cron CRON crond crontab anacron", "cron.service crond.service", 1u << 9, false},
        {"clamav", "clamd freshclam clamscan clamav-milter",
         "clamav-daemon.service clamav-freshclam.service", 0, false},
        {"vsftpd", "vsftpd", "vsftpd.service", 0, false},
        {"guacamole", "guacd guacamole tomcat tomcat9", "guacd.service", 0, false},
        {"kernel", "kernel", "", 1u << 0, false},
        {"systemd", "systemd", "", 0, false},
        {"auditd", "auditd audit", "auditd.service", 0, false},
        {"apache", "apache2 httpd", "apache2.service httpd.service", 0, false},
        {"nginx", "nginx", "nginx.service", 0, false},
};

static char **split_words(const char *s, size_t *ret_n) {
	size_t n = 0, cap = 4;
	*ret_n = 0;
	char **v = calloc(cap, sizeof(char *));
	char *dup = strdup(s), *save = NULL;
	if (!v || !dup) {
		free(v);
		free(dup);
		return NULL;
	}
	for (char *w = strtok_r(dup, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (n == cap) {
			char **nv = realloc(v, (cap *= 2) * sizeof(char *));
			if (!nv)
				break;
			v = nv;
		}
		v[n++] = strdup(w);
	}
	free(dup);
	*ret_n = n;
	return v;
}

int correlate_engine_add_logsource(struct correlate_engine *e, const char *service,
                                   const char *const *programs, size_t n_programs,
                                   const char *const *units, size_t n_units) {
	struct logsource_ent *v = realloc(e->ls, (e->n_ls + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	e->ls = v;
	struct logsource_ent *l = &v[e->n_ls++];
	memset(l, 0, sizeof(*l));
	l->service = strdup(service);
	l->programs = calloc(n_programs + 1, sizeof(char *));
	l->units = calloc(n_units + 1, sizeof(char *));
	for (size_t i = 0; i < n_programs && l->programs; i++)
		l->programs[l->n_programs++] = strdup(programs[i]);
	for (size_t i = 0; i < n_units && l->units; i++)
		l->units[l->n_units++] = strdup(units[i]);
	return 0;
}

int correlate_engine_add_logsource_spec(struct correlate_engine *e, const char *spec,
                                        const char *origin, struct ev_errlist *errs) {
	const char *colon = strchr(spec, ':');
	size_t sl = colon ? (size_t)(colon - spec) : 0;
	while (sl > 0 && spec[sl - 1] == ' ')
		sl--;
	if (!colon || sl == 0 || sl > 64) {
		ev_errlist_add(
		        errs, origin, 0, 0,
		        "logsource '%s': expected 'SERVICE: program... unit:NAME... facility:N...'",
		        spec);
		return -EINVAL;
	}
	char service[65];
	memcpy(service, spec, sl);
	service[sl] = 0;
	size_t nw = 0;
	char **w = split_words(colon + 1, &nw);
	if (!w)
		return -ENOMEM;
	const char **progs = calloc(nw + 1, sizeof(char *)),
	           **units = calloc(nw + 1, sizeof(char *));
	size_t np = 0, nu = 0;
	uint32_t fac = 0;
	int r = progs && units ? 0 : -ENOMEM;
	for (size_t i = 0; r == 0 && i < nw; i++) {
		if (!w[i])
			r = -ENOMEM;
		else if (!strncmp(w[i], "unit:", 5) && w[i][5])
			units[nu++] = w[i] + 5;
		else if (!strncmp(w[i], "facility:", 9)) {
			char *end;
			long f = strtol(w[i] + 9, &end, 10);
			if (*end || end == w[i] + 9 || f < 0 || f > 23) {
				ev_errlist_add(errs, origin, 0, 0,
				               "logsource '%s': invalid facility '%s' (0..23)",
				               service, w[i] + 9);
				r = -EINVAL;
			} else
				fac |= 1u << f;
		} else if (strchr(w[i], ':')) {
			ev_errlist_add(errs, origin, 0, 0, "logsource '%s': unknown word '%s'",
			               service, w[i]);
			r = -EINVAL;
		} else
			progs[np++] = w[i];
	}
	if (r == 0 && np + nu == 0 && !fac) {
		ev_errlist_add(errs, origin, 0, 0,
		               "logsource '%s' names no program, unit or facility", service);
		r = -EINVAL;
	}
	if (r == 0) {
		/* a later definition of a service replaces the earlier (built-in) one */
		for (size_t i = 0; i < e->n_ls; i++)
			if (!strcmp(e->ls[i].service, service))
				e->ls[i].service[0] = 0;
		r = correlate_engine_add_logsource(e, service, progs, np, units, nu);
		if (r == 0)
			e->ls[e->n_ls - 1].facilities = fac;
	}
	free(progs);
	free(units);
	for (size_t i = 0; i < nw; i++)
		free(w[i]);
	free(w);
	return r;
}

/* Equal to a NUL-terminated name; cheap when the first bytes differ (no strlen). */
static bool str_eq(const struct ev_str *s, const char *c) {
	if (s->len == 0 || s->p[0] != c[0])
		return c[0] == 0 && s->len == 0;
	size_t l = strlen(c);
	return s->len == l && memcmp(s->p, c, l) == 0;
}

bool engine_ls_applies(struct correlate_engine *e, int idx, const struct ev_record *rec) {
	if (idx < 0)
		return true;
	if (e->ls_cache[idx] >= 0)
		return e->ls_cache[idx];
	const struct logsource_ent *l = &e->ls[idx];
	bool ok = l->all;
	for (size_t i = 0; !ok && i < l->n_programs; i++)
		ok = rec->program.p && str_eq(&rec->program, l->programs[i]);
	for (size_t i = 0; !ok && i < l->n_units; i++)
		ok = rec->unit.p && str_eq(&rec->unit, l->units[i]);
	if (!ok && rec->facility >= 0 && rec->facility < 32)
		ok = (l->facilities >> rec->facility) & 1;
	e->ls_cache[idx] = ok;
	return ok;
}

/* ---- construction ---- */

int correlate_engine_new(const struct correlate_opts *o, struct correlate_engine **ret,
                         struct ev_errlist *errs) {
	struct correlate_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	if (o)
		e->o = *o;
	if (e->o.allowed_lateness_us < 0 || !o)
		e->o.allowed_lateness_us = 10 * 1000000LL;
	if (!e->o.max_groups)
		e->o.max_groups = 100000;
	if (!e->o.max_values)
		e->o.max_values = 100000;
	if (e->o.max_future_us <= 0)
		e->o.max_future_us = 300 * 1000000LL;
	const char *eng = e->o.engine ? e->o.engine : "auto";
#ifdef HAVE_VECTORSCAN
	if (!strcmp(eng, "auto") || !strcmp(eng, "vectorscan"))
		e->use_hs = true;
	else if (strcmp(eng, "pcre2")) {
#else
	if (!strcmp(eng, "vectorscan")) {
		ev_errlist_add(errs, NULL, 0, 0,
		               "engine 'vectorscan' is not available: this build has PCRE2 only");
		free(e);
		return -EINVAL;
	} else if (strcmp(eng, "auto") && strcmp(eng, "pcre2")) {
#endif
		ev_errlist_add(errs, NULL, 0, 0,
		               "unknown engine '%s' (expected auto, vectorscan or pcre2)", eng);
		free(e);
		return -EINVAL;
	}
	e->o.engine = NULL;
	for (size_t i = 0; i < ELEMENTSOF(builtin_ls); i++) {
		size_t np, nu;
		char **p = split_words(builtin_ls[i].programs, &np),
		     **u = split_words(builtin_ls[i].units, &nu);
		int r = correlate_engine_add_logsource(e, builtin_ls[i].service,
		                                       (const char *const *)p, np,
		                                       (const char *const *)u, nu);
		for (size_t j = 0; j < np; j++)
			free(p[j]);
		for (size_t j = 0; j < nu; j++)
			free(u[j]);
		free(p);
		free(u);
		if (r < 0) {
			correlate_engine_free(e);
			return r;
		}
		e->ls[e->n_ls - 1].facilities = builtin_ls[i].facilities;
		e->ls[e->n_ls - 1].all = builtin_ls[i].all;
	}
	e->jit_ok = !e->o.no_jit;
	e->st.last_future_us = INT64_MIN;
	e->watermark = INT64_MIN;
	e->max_time = INT64_MIN;
	*ret = e;
	return 0;
}

int correlate_engine_add_rules(struct correlate_engine *e, const char *path,
                               struct ev_errlist *errs) {
	if (e->compiled)
		return -EBUSY;
	return sigma_load_path(path, &e->rules, errs);
}

int correlate_engine_add_rules_buffer(struct correlate_engine *e, const char *name, const char *buf,
                                      size_t len, struct ev_errlist *errs) {
	if (e->compiled)
		return -EBUSY;
	return sigma_load_buffer(name, buf, len, &e->rules, errs);
}

/* ---- decoders ---- */

static int load_decoder_doc(struct correlate_engine *e, const char *file,
                            const struct ytree_node *root, struct ev_errlist *errs) {
	if (!root)
		return 0;
	if (root->kind != YTREE_MAP) {
		ev_errlist_add(errs, file, root->line, root->col, "a decoder must be a mapping");
		return 0;
	}
	struct decoder d = {0};
	bool bad = false;
	for (size_t i = 0; i < root->n; i++) {
		const char *k = root->pairs[i].key->str;
		if (strcmp(k, "decoder") && strcmp(k, "programs") && strcmp(k, "patterns") &&
		    strcmp(k, "fields")) {
			ev_errlist_add(errs, file, root->pairs[i].key->line,
			               root->pairs[i].key->col,
			               "unknown decoder key '%s' (expected decoder, programs, "
			               "patterns, fields)",
			               k);
			bad = true;
		}
	}
	const struct ytree_node *name = ytree_map_get(root, "decoder"),
	                        *progs = ytree_map_get(root, "programs"),
	                        *pats = ytree_map_get(root, "patterns"),
	                        *fields = ytree_map_get(root, "fields");
	if (!name || name->kind != YTREE_SCALAR) {
		ev_errlist_add(errs, file, root->line, root->col,
		               "a decoder needs 'decoder: NAME'");
		return 0;
	}
	if (progs && progs->kind != YTREE_SEQ) {
		ev_errlist_add(errs, file, progs->line, progs->col, "'programs' must be a list");
		bad = true;
	}
	if (pats && pats->kind != YTREE_SEQ) {
		ev_errlist_add(errs, file, pats->line, pats->col, "'patterns' must be a list");
		bad = true;
	}
	if (fields && fields->kind != YTREE_MAP) {
		ev_errlist_add(errs, file, fields->line, fields->col,
		               "'fields' must map Sigma field names to fields");
		bad = true;
	}
	if (bad)
		return 0;
	d.name = strdup(name->str);
	if (progs) {
		d.programs = calloc(progs->n + 1, sizeof(char *));
		for (size_t i = 0; d.programs && i < progs->n; i++) {
			if (progs->items[i]->kind != YTREE_SCALAR) {
				ev_errlist_add(errs, file, progs->items[i]->line,
				               progs->items[i]->col, "a program must be a string");
				bad = true;
				break;
			}
			d.programs[d.n_programs++] = strdup(progs->items[i]->str);
		}
	}
	if (pats && !bad) {
		d.pats = calloc(pats->n + 1, sizeof(pcre2_code *));
		for (size_t i = 0; d.pats && i < pats->n; i++) {
			const struct ytree_node *p = pats->items[i];
			if (p->kind != YTREE_SCALAR) {
				ev_errlist_add(errs, file, p->line, p->col,
				               "a pattern must be a string");
				bad = true;
				break;
			}
			int ec;
			PCRE2_SIZE off;
			pcre2_code *c = pcre2_compile((PCRE2_SPTR)p->str, p->len, PCRE2_DOTALL, &ec,
			                              &off, NULL);
			if (!c) {
				char buf[200];
				pcre2_get_error_message(ec, (PCRE2_UCHAR *)buf, sizeof(buf));
				ev_errlist_add(errs, file, p->line, p->col,
				               "invalid pattern at offset %zu: %s", (size_t)off,
				               buf);
				bad = true;
				break;
			}
			if (!e->o.no_jit && pcre2_jit_compile(c, PCRE2_JIT_COMPLETE) != 0)
				e->jit_ok = false;
			d.pats[d.n_pats++] = c;
		}
	}
	if (fields && !bad) {
		for (size_t i = 0; i < fields->n; i++) {
			const struct ytree_node *v = fields->pairs[i].value;
			if (v->kind != YTREE_SCALAR) {
				ev_errlist_add(errs, file, v->line, v->col,
				               "a field mapping must be a string");
				bad = true;
				break;
			}
		}
		for (size_t i = 0; !bad && i < fields->n; i++) {
			char **a = realloc(e->fmap_from, (e->n_fmap + 1) * sizeof(char *));
			if (a)
				e->fmap_from = a;
			char **b = realloc(e->fmap_to, (e->n_fmap + 1) * sizeof(char *));
			if (b)
				e->fmap_to = b;
			if (!a || !b)
				break;
			e->fmap_from[e->n_fmap] = strdup(fields->pairs[i].key->str);
			e->fmap_to[e->n_fmap] = strdup(fields->pairs[i].value->str);
			e->n_fmap++;
		}
	}
	if (bad || !(d.n_pats || fields)) {
		if (!bad)
			ev_errlist_add(errs, file, root->line, root->col,
			               "decoder '%s' has neither patterns nor fields", d.name);
		free(d.name);
		for (size_t i = 0; i < d.n_programs; i++)
			free(d.programs[i]);
		free(d.programs);
		for (size_t i = 0; i < d.n_pats; i++)
			pcre2_code_free(d.pats[i]);
		free(d.pats);
		return 0;
	}
	struct decoder *v = realloc(e->dec, (e->n_dec + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	e->dec = v;
	e->dec[e->n_dec++] = d;
	return 1;
}

struct dec_ctx {
	struct correlate_engine *e;
	struct ev_errlist *errs;
	int n;
};

static int load_decoder_file(const char *file, void *p) {
	struct dec_ctx *c = p;
	struct ytree_docs docs = {0};
	int r = ytree_parse_file(file, &docs, c->errs);
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	for (size_t i = 0; i < docs.n; i++) {
		r = load_decoder_doc(c->e, file, docs.v[i].root, c->errs);
		if (r > 0)
			c->n += r;
	}
	ytree_docs_free(&docs);
	return 0;
}

int correlate_engine_add_decoders(struct correlate_engine *e, const char *path,
                                  struct ev_errlist *errs) {
	struct dec_ctx c = {e, errs, 0};
	int r = sigma_walk(path, load_decoder_file, &c, errs);
	return r < 0 ? r : c.n;
}

static void decode(struct correlate_engine *e, struct ev_record *rec) {
	if (!rec->program.p)
		return;
	for (size_t i = 0; i < e->n_dec; i++) {
		const struct decoder *d = &e->dec[i];
		bool prog = false;
		for (size_t j = 0; !prog && j < d->n_programs; j++)
			prog = str_eq(&rec->program, d->programs[j]);
		if (!prog)
			continue;
		for (size_t j = 0; j < d->n_pats; j++) {
			pcre2_code *c = d->pats[j];
			pcre2_match_data *md = e->md;
			const char *m = rec->message.p ? rec->message.p : "";
			int rc = pcre2_match(c, (PCRE2_SPTR)m, rec->message.len, 0, 0, md, NULL);
			if (rc >= 0) {
				uint32_t nn = 0, esz = 0;
				PCRE2_SPTR tab;
				pcre2_pattern_info(c, PCRE2_INFO_NAMECOUNT, &nn);
				pcre2_pattern_info(c, PCRE2_INFO_NAMEENTRYSIZE, &esz);
				pcre2_pattern_info(c, PCRE2_INFO_NAMETABLE, &tab);
				PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
				uint32_t ovn = pcre2_get_ovector_count(md);
				/* captures point into the message arena: copy name/value before
				 * adding */
				for (uint32_t k = 0; k < nn; k++) {
					PCRE2_SPTR ent = tab + (size_t)k * esz;
					unsigned g = ((unsigned)ent[0] << 8) | ent[1];
					if (g >= ovn || ov[2 * g] == PCRE2_UNSET)
						continue;
					const char *nm = (const char *)ent + 2;
					ev_record_add_field(rec, nm, strlen(nm), m + ov[2 * g],
					                    ov[2 * g + 1] - ov[2 * g]);
				}
				e->st.decoded++;
				return;
			}
		}
	}
}

static bool is_std_field(const char *n) {
	static const char *std[] = {"message",  "host",     "program", "pid",
	                            "priority", "facility", "unit",    "source"};
	for (size_t i = 0; i < ELEMENTSOF(std); i++)
		if (!strcmp(n, std[i]))
			return true;
	return false;
}

static void ensure_decoded(struct correlate_engine *e) {
	if (e->decoded || !e->rec)
		return;
	e->decoded = true;
	if (e->n_dec)
		decode(e, e->rec);
}

/* ---- compile ---- */

static int find_rule(const struct correlate_engine *e, const char *ref) {
	for (size_t i = 0; i < e->rules.n; i++)
		if ((e->rules.v[i].id && !strcmp(e->rules.v[i].id, ref)) ||
		    (e->rules.v[i].name && !strcmp(e->rules.v[i].name, ref)))
			return (int)i;
	return -1;
}

static int cmp_unsigned(const void *a, const void *b) {
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? -1 : x > y;
}

int correlate_engine_compile(struct correlate_engine *e, struct ev_errlist *errs,
                             struct ev_errlist *warnings) {
	if (e->compiled)
		return -EBUSY;
	e->compiled = true;
	/* logsources */
	for (size_t i = 0; i < e->rules.n; i++) {
		struct rule *r = &e->rules.v[i];
		r->logsource = -1;
		if (r->kind != RULE_DETECTION)
			continue;
		if (r->product && strcmp(r->product, "linux")) {
			r->inactive = true;
			ev_errlist_add(
			        warnings, r->file, r->line, r->col,
			        "rule '%s': logsource product '%s' never matches on this host",
			        r->title ? r->title
			        : r->id  ? r->id
			                 : "?",
			        r->product);
			continue;
		}
		if (r->category) {
			r->inactive = true;
			ev_errlist_add(warnings, r->file, r->line, r->col,
			               "rule '%s': logsource category '%s' is not available from "
			               "syslog or the journal",
			               r->title ? r->title : "?", r->category);
			continue;
		}
		if (r->service) {
			for (size_t j = 0; j < e->n_ls; j++)
				if (!strcmp(e->ls[j].service, r->service))
					r->logsource = (int)j;
			if (r->logsource < 0) {
				r->inactive = true;
				ev_errlist_add(warnings, r->file, r->line, r->col,
				               "rule '%s': unknown logsource service '%s' (never "
				               "matches; define it with --logsource)",
				               r->title ? r->title : "?", r->service);
			}
		}
	}
	/* references */
	for (size_t i = 0; i < e->rules.n; i++) {
		struct rule *r = &e->rules.v[i];
		if (r->kind != RULE_CORRELATION)
			continue;
		for (size_t j = 0; j < r->corr.n_refs; j++) {
			int t = find_rule(e, r->corr.refs[j]);
			r->corr.ref_rule[j] = t;
			if (t < 0) {
				ev_errlist_add(
				        warnings, r->file, r->corr.ref_line[j], r->corr.ref_col[j],
				        "rule '%s' is not loaded: this correlation never fires",
				        r->corr.refs[j]);
				continue;
			}
			if (t == (int)i) {
				ev_errlist_add(errs, r->file, r->corr.ref_line[j],
				               r->corr.ref_col[j],
				               "a correlation cannot reference itself");
				r->corr.ref_rule[j] = -1;
				continue;
			}
			struct rule *u = &e->rules.v[t];
			unsigned *nu = realloc(u->users, (u->n_users + 1) * sizeof(unsigned));
			if (!nu)
				return -ENOMEM;
			u->users = nu;
			bool dup = false;
			for (size_t k = 0; k < u->n_users; k++)
				dup |= u->users[k] == i;
			if (!dup)
				u->users[u->n_users++] = (unsigned)i;
			if (!r->corr.generate)
				u->quiet = true;
		}
	}
	/* cycles among correlation references: depth-first, colour per rule */
	uint8_t *colour = calloc(e->rules.n + 1, 1);
	size_t *stack = calloc(e->rules.n + 1, sizeof(size_t)),
	       *pos = calloc(e->rules.n + 1, sizeof(size_t));
	if (!colour || !stack || !pos) {
		free(colour);
		free(stack);
		free(pos);
		return -ENOMEM;
	}
	int cyc = -1;
	for (size_t root = 0; root < e->rules.n && cyc < 0; root++) {
		if (colour[root])
			continue;
		size_t sp = 0;
		stack[sp] = root;
		pos[sp] = 0;
		colour[root] = 1;
		while (sp != (size_t)-1 && cyc < 0) {
			const struct rule *r = &e->rules.v[stack[sp]];
			size_t nref = r->kind == RULE_CORRELATION ? r->corr.n_refs : 0;
			if (pos[sp] >= nref) {
				colour[stack[sp]] = 2;
				sp--;
				continue;
			}
			int t = r->corr.ref_rule[pos[sp]++];
			if (t < 0 || colour[t] == 2)
				continue;
			if (colour[t] == 1) {
				cyc = (int)stack[sp];
				break;
			}
			colour[t] = 1;
			sp++;
			stack[sp] = (size_t)t;
			pos[sp] = 0;
		}
	}
	free(colour);
	free(stack);
	free(pos);
	if (cyc >= 0) {
		const struct rule *r = &e->rules.v[cyc];
		ev_errlist_add(errs, r->file, r->line, r->col,
		               "correlation references form a cycle");
		return -EINVAL;
	}
	/* leaves */
	for (size_t i = 0; i < e->rules.n; i++)
		e->n_leaves += e->rules.v[i].n_leaves;
	e->leaves = calloc(e->n_leaves + 1, sizeof(*e->leaves));
	e->cand = calloc(e->n_leaves + 1, sizeof(uint32_t));
	e->rule_matches = calloc(e->rules.n + 1, sizeof(uint64_t));
	e->ls_cache = calloc(e->n_ls + 1, 1);
	if (!e->leaves || !e->cand || !e->rule_matches || !e->ls_cache)
		return -ENOMEM;
	size_t k = 0;
	uint32_t max_ov = 1;
	for (size_t i = 0; i < e->rules.n; i++) {
		struct rule *r = &e->rules.v[i];
		for (size_t j = 0; j < r->n_leaves; j++) {
			struct leaf *l = &r->leaves[j];
			l->id = (unsigned)k;
			l->rule = (unsigned)i;
			e->leaves[k++] = l;
			l->std_field = !l->field || is_std_field(l->field);
			if (l->field && !l->std_field) {
				for (size_t m = 0; m < e->n_fmap; m++)
					if (!strcmp(e->fmap_from[m], l->field) && !l->alt_field)
						l->alt_field = strdup(e->fmap_to[m]);
			}
			char msg[300];
			bool jit = !e->o.no_jit;
			if (leaf_compile(l, jit, &e->jit_ok, msg, sizeof(msg)) < 0) {
				/* a `re` value that PCRE2 rejects: the rule is unusable */
				ev_errlist_add(errs, r->file, r->line, r->col, "rule '%s': %s: %s",
				               r->title ? r->title : "?", l->regex, msg);
				r->inactive = true;
			}
			if (l->code) {
				uint32_t cc = 0;
				pcre2_pattern_info(l->code, PCRE2_INFO_CAPTURECOUNT, &cc);
				max_ov = MAX(max_ov, cc + 1);
			}
		}
	}
	if (e->o.no_jit)
		e->jit_ok = false;
	for (size_t i = 0; i < e->n_dec; i++)
		for (size_t j = 0; j < e->dec[i].n_pats; j++) {
			uint32_t cc = 0;
			pcre2_pattern_info(e->dec[i].pats[j], PCRE2_INFO_CAPTURECOUNT, &cc);
			max_ov = MAX(max_ov, cc + 1);
		}
	e->md = pcre2_match_data_create(max_ov, NULL);
	if (!e->md)
		return -ENOMEM;
	for (size_t i = 0; i < e->rules.n; i++) {
		e->st.rules++;
		if (e->rules.v[i].kind == RULE_DETECTION)
			e->st.detections++;
		else
			e->st.correlations++;
	}
#ifdef HAVE_VECTORSCAN
	if (e->use_hs) {
		int r = prefilter_build(e, errs);
		if (r < 0)
			return r;
	}
#endif
	e->always = calloc(e->rules.n + 1, sizeof(unsigned));
	if (!e->always)
		return -ENOMEM;
	for (size_t i = 0; i < e->rules.n; i++) {
		const struct rule *r = &e->rules.v[i];
		if (r->kind != RULE_DETECTION || r->inactive || !r->condition)
			continue;
#ifdef HAVE_VECTORSCAN
		if (e->rule_gated && e->rule_gated[i])
			continue;
#endif
		e->always[e->n_always++] = (unsigned)i;
	}
	return window_init(e);
}

void correlate_engine_set_callback(struct correlate_engine *e, correlate_alert_fn fn, void *ctx) {
	e->cb = fn;
	e->cb_ctx = ctx;
}

/* ---- matching ---- */

const struct ev_str *engine_field(struct correlate_engine *e, const struct ev_record *rec,
                                  const char *name) {
	if (rec == e->rec && !is_std_field(name))
		ensure_decoded(e);
	const struct ev_str *v = ev_record_get(rec, name);
	if (v)
		return v;
	/* captures of the current rule's re values */
	for (size_t i = e->n_caps; i-- > 0;) {
		const struct capture *c = &e->caps[i];
		if (e->cur && c->rule == (unsigned)(e->cur - e->rules.v) &&
		    c->name_len == strlen(name) && !memcmp(c->name, name, c->name_len)) {
			static __thread struct ev_str tmp;
			tmp.p = c->value;
			tmp.len = c->value_len;
			return &tmp;
		}
	}
	for (size_t m = 0; m < e->n_fmap; m++)
		if (!strcmp(e->fmap_from[m], name))
			return ev_record_get(rec, e->fmap_to[m]);
	return NULL;
}

static void on_capture(void *p, const char *name, size_t nl, const char *v, size_t vl) {
	struct correlate_engine *e = p;
	if (e->n_caps >= 64)
		return;
	if (e->n_caps == e->alloc_caps) {
		struct capture *c = realloc(e->caps, (e->alloc_caps + 16) * sizeof(*c));
		if (!c)
			return;
		e->caps = c;
		e->alloc_caps += 16;
	}
	size_t need = e->cap_len + nl + vl + 2;
	if (need > e->cap_alloc) {
		/* captures keep offsets until the buffer settles: store, then fix pointers */
		size_t na = MAX(need, e->cap_alloc * 2 + 256);
		char *nb = realloc(e->cap_buf, na);
		if (!nb)
			return;
		for (size_t i = 0; i < e->n_caps; i++) {
			e->caps[i].name = nb + (e->caps[i].name - e->cap_buf);
			e->caps[i].value = nb + (e->caps[i].value - e->cap_buf);
		}
		e->cap_buf = nb;
		e->cap_alloc = na;
	}
	struct capture *c = &e->caps[e->n_caps++];
	c->rule = (unsigned)(e->cur - e->rules.v);
	c->name = e->cap_buf + e->cap_len;
	memcpy(c->name, name, nl);
	c->name[nl] = 0;
	c->name_len = nl;
	c->value = c->name + nl + 1;
	memcpy(c->value, v, vl);
	c->value[vl] = 0;
	c->value_len = vl;
	e->cap_len = need;
}

static bool eval_leaf(void *p, unsigned idx) {
	struct correlate_engine *e = p;
	const struct leaf *l = &e->cur->leaves[idx];
	const struct ev_str *v;
	if (!l->field)
		v = &e->rec->message;
	else {
		if (!l->std_field)
			ensure_decoded(e);
		v = ev_record_get(e->rec, l->field);
		if (!v && l->alt_field)
			v = ev_record_get(e->rec, l->alt_field);
	}
#ifdef HAVE_VECTORSCAN
	if (e->n_dbs && e->in_db[l->id] && e->cand[l->id] != e->gen)
		return l->negate; /* Vectorscan saw no match: PCRE2 would not either */
#endif
	if (v == &e->rec->message && !v->p) {
		static const struct ev_str empty = {"", 0};
		v = &empty;
	}
	return leaf_test(l, v, e->md, e->jit_ok, on_capture, e);
}

static bool eval_sel(void *p, unsigned idx) {
	struct correlate_engine *e = p;
	return cond_eval(e->cur->sels[idx].tree, eval_leaf, e);
}

int correlate_engine_feed(struct correlate_engine *e, struct ev_record *rec) {
	if (!e->compiled)
		return -EINVAL;
	e->st.records++;
	e->seq++;
	e->rec = rec;
	if (++e->gen == 0) {
		memset(e->cand, 0, e->n_leaves * sizeof(uint32_t));
		e->gen = 1;
	}
	memset(e->ls_cache, -1, e->n_ls);
	e->n_caps = 0;
	e->cap_len = 0;
	e->decoded = false;
	e->n_trig = 0;
#ifdef HAVE_VECTORSCAN
	if (e->n_dbs)
		prefilter_scan(e, rec);
#endif
	int ret = 0;
	enum tg_class cls = timeguard_begin(e, rec->time_us, &ret);
	bool late = rec->time_us < e->watermark; /* INT64_MIN until a record or the clock */
	e->holding = cls == TG_SUSPECT;
	e->flag_future = cls == TG_FUTURE;
	if (e->n_trig > 1)
		qsort(e->trig, e->n_trig, sizeof(unsigned), cmp_unsigned);
	/* merge the always-run rules with the triggered ones, in rule order */
	size_t ai = 0, ti = 0;
	while (ai < e->n_always || ti < e->n_trig) {
		size_t i;
		if (ti >= e->n_trig || (ai < e->n_always && e->always[ai] < e->trig[ti]))
			i = e->always[ai++];
		else
			i = e->trig[ti++];
		const struct rule *r = &e->rules.v[i];
		if (!engine_ls_applies(e, r->logsource, rec))
			continue;
		e->cur = r;
		size_t caps_before = e->n_caps;
		if (!cond_eval(r->condition, eval_sel, e)) {
			e->n_caps = caps_before;
			continue;
		}
		e->rule_matches[i]++;
		e->st.matches++;
		if (!r->quiet || !r->n_users) {
			ensure_decoded(e); /* the alert lists every field */
			struct alert_data a = {.rule = r,
			                       .kind = "match",
			                       .time = rec->time_us,
			                       .first = rec->time_us,
			                       .last = rec->time_us,
			                       .count = 1,
			                       .rec = rec,
			                       .caps = e->caps ? e->caps + caps_before : NULL,
			                       .n_caps = e->n_caps - caps_before,
			                       .future = e->flag_future};
			alert_emit(e, &a);
		}
		if (r->n_users && cls != TG_FUTURE) {
			if (late) {
				e->st.late++;
				continue;
			}
			int k = window_on_match(e, (unsigned)i, rec->time_us, rec, NULL, NULL, 0,
			                        NULL);
			if (k < 0)
				ret = k;
		}
	}
	e->cur = NULL;
	e->holding = e->flag_future = false;
	timeguard_end(e, cls, rec->time_us);
	int k = window_release(e, e->watermark, false);
	e->rec = NULL;
	return ret < 0 ? ret : k;
}

int correlate_engine_advance(struct correlate_engine *e, int64_t now_us) {
	int r = correlate_engine_set_clock(e, now_us);
	int64_t w = now_us - e->o.allowed_lateness_us;
	if (w > e->watermark)
		e->watermark = w;
	int k = window_release(e, e->watermark, false);
	return r < 0 ? r : k;
}

int correlate_engine_finish(struct correlate_engine *e) {
	int r = timeguard_flush(e);
	int k = window_release(e, INT64_MAX, true);
	return r < 0 ? r : k;
}

void correlate_engine_get_stats(const struct correlate_engine *e, struct correlate_stats *ret) {
	*ret = e->st;
#ifdef HAVE_VECTORSCAN
	ret->vectorscan = e->n_dbs > 0;
#endif
	ret->jit = e->jit_ok;
	ret->watermark_us = e->watermark;
	uint64_t live = 0;
	for (size_t i = 0; e->cs && i < e->rules.n; i++)
		live += e->cs[i].n_groups;
	ret->live_groups = live;
}

size_t correlate_engine_n_rules(const struct correlate_engine *e) {
	return e->rules.n;
}

bool correlate_engine_rule_stats(const struct correlate_engine *e, size_t i,
                                 struct correlate_rule_stats *ret) {
	if (i >= e->rules.n)
		return false;
	const struct rule *r = &e->rules.v[i];
	ret->id = r->id;
	ret->title = r->title;
	ret->name = r->name;
	ret->matches = e->rule_matches ? e->rule_matches[i] : 0;
	return true;
}

char *correlate_engine_rule_json(const struct correlate_engine *e, size_t i) {
	if (i >= e->rules.n)
		return NULL;
	const struct rule *r = &e->rules.v[i];
	json_t *ls = json_object();
	if (r->product)
		json_object_set_new(ls, "product", json_string(r->product));
	if (r->service)
		json_object_set_new(ls, "service", json_string(r->service));
	if (r->category)
		json_object_set_new(ls, "category", json_string(r->category));
	json_t *o = json_pack("{s:s?, s:s?, s:s?, s:s?, s:o, s:s, s:s, s:i}", "id", r->id, "name",
	                      r->name, "title", r->title, "level", r->level, "logsource", ls,
	                      "kind", rule_kind_name(r), "file", r->file, "line", (int)r->line);
	char *s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	return s;
}

struct correlate_engine *correlate_engine_free(struct correlate_engine *e) {
	if (!e)
		return NULL;
	timeguard_free(e);
	window_free(e);
#ifdef HAVE_VECTORSCAN
	prefilter_free(e);
#endif
	rule_set_free(&e->rules);
	free(e->rule_matches);
	free(e->always);
	free(e->leaves);
	free(e->cand);
	free(e->ls_cache);
	for (size_t i = 0; i < e->n_ls; i++) {
		free(e->ls[i].service);
		for (size_t j = 0; j < e->ls[i].n_programs; j++)
			free(e->ls[i].programs[j]);
		for (size_t j = 0; j < e->ls[i].n_units; j++)
			free(e->ls[i].units[j]);
		free(e->ls[i].programs);
		free(e->ls[i].units);
	}
	free(e->ls);
	for (size_t i = 0; i < e->n_dec; i++) {
		free(e->dec[i].name);
		for (size_t j = 0; j < e->dec[i].n_programs; j++)
			free(e->dec[i].programs[j]);
		free(e->dec[i].programs);
		for (size_t j = 0; j < e->dec[i].n_pats; j++)
			pcre2_code_free(e->dec[i].pats[j]);
		free(e->dec[i].pats);
	}
	free(e->dec);
	for (size_t i = 0; i < e->n_fmap; i++) {
		free(e->fmap_from[i]);
		free(e->fmap_to[i]);
	}
	free(e->fmap_from);
	free(e->fmap_to);
	pcre2_match_data_free(e->md);
	free(e->caps);
	free(e->cap_buf);
	free(e);
	return NULL;
}
