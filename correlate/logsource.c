/* The logsource table: Sigma `logsource: {service: NAME}` -> the programs, units and
 * syslog facilities whose records that service means. Built-in entries first, then those
 * of the configuration (rules.logsources), a later definition of a service replacing an
 * earlier one. Out of memory is reported, never a silently shorter list. A program listed
 * for a service also covers its legacy PAM tag: "sshd" covers "sshd(pam_unix)". */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/internal.h"
#include "util/strv.h"

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

/* The space-separated words of s; NULL when out of memory. */
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
				goto oom;
			v = nv;
		}
		v[n] = strdup(w);
		if (!v[n])
			goto oom;
		n++;
	}
	free(dup);
	*ret_n = n;
	return v;
oom:
	free(dup);
	ev_strv_free_n(v, n);
	return NULL;
}

static void logsource_ent_free(struct logsource_ent *l) {
	free(l->service);
	ev_strv_free_n(l->programs, l->n_programs);
	ev_strv_free_n(l->units, l->n_units);
	memset(l, 0, sizeof(*l));
}

void logsource_free_all(struct correlate_engine *e) {
	for (size_t i = 0; i < e->n_ls; i++)
		logsource_ent_free(&e->ls[i]);
	free(e->ls);
	e->ls = NULL;
	e->n_ls = 0;
}

static int strv_copy(const char *const *src, size_t n, char ***ret, size_t *ret_n) {
	char **v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i] = strdup(src[i]);
		if (!v[i]) {
			ev_strv_free_n(v, i);
			return -ENOMEM;
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int correlate_engine_add_logsource(struct correlate_engine *e, const char *service,
                                   const char *const *programs, size_t n_programs,
                                   const char *const *units, size_t n_units) {
	struct logsource_ent l = {0};
	l.service = strdup(service);
	if (!l.service || strv_copy(programs, n_programs, &l.programs, &l.n_programs) < 0 ||
	    strv_copy(units, n_units, &l.units, &l.n_units) < 0) {
		logsource_ent_free(&l);
		return -ENOMEM;
	}
	struct logsource_ent *v = realloc(e->ls, (e->n_ls + 1) * sizeof(*v));
	if (!v) {
		logsource_ent_free(&l);
		return -ENOMEM;
	}
	e->ls = v;
	e->ls[e->n_ls++] = l;
	return 0;
}

/* The Sigma categories that records can carry (collector/record.h EV_REC_CATEGORIES). */
static const struct {
	const char *category;
	uint32_t flag;
} builtin_cat[] = {
        {"process_creation", EV_REC_PROCESS_CREATION},
        {"file_event", EV_REC_FILE_EVENT},
        {"network_connection", EV_REC_NETWORK_CONNECTION},
};

int logsource_category(const struct correlate_engine *e, const char *category) {
	for (size_t j = 0; j < e->n_ls; j++)
		if (e->ls[j].category && !strcmp(e->ls[j].service, category))
			return (int)j;
	return -1;
}

int logsource_add_builtins(struct correlate_engine *e) {
	for (size_t i = 0; i < ELEMENTSOF(builtin_cat); i++) {
		int r = correlate_engine_add_logsource(e, builtin_cat[i].category, NULL, 0, NULL,
		                                       0);
		if (r < 0)
			return r;
		e->ls[e->n_ls - 1].category = builtin_cat[i].flag;
	}
	for (size_t i = 0; i < ELEMENTSOF(builtin_ls); i++) {
		size_t np = 0, nu = 0;
		char **p = split_words(builtin_ls[i].programs, &np),
		     **u = split_words(builtin_ls[i].units, &nu);
		int r = p && u ? correlate_engine_add_logsource(e, builtin_ls[i].service,
		                                                (const char *const *)p, np,
		                                                (const char *const *)u, nu)
		               : -ENOMEM;
		ev_strv_free_n(p, np);
		ev_strv_free_n(u, nu);
		if (r < 0)
			return r;
		e->ls[e->n_ls - 1].facilities = builtin_ls[i].facilities;
		e->ls[e->n_ls - 1].all = builtin_ls[i].all;
	}
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
			if (!e->ls[i].category && !strcmp(e->ls[i].service, service))
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
bool engine_str_eq(const struct ev_str *s, const char *c) {
	if (s->len == 0 || s->p[0] != c[0])
		return c[0] == 0 && s->len == 0;
	size_t l = strlen(c);
	return s->len == l && memcmp(s->p, c, l) == 0;
}

bool engine_program_is(const struct ev_str *prog, const char *name) {
	if (!prog->p)
		return false;
	if (engine_str_eq(prog, name))
		return true;
	/* legacy PAM tags: "sshd(pam_unix)", "su(pam_unix)" are sshd's and su's lines */
	size_t l = strlen(name);
	return prog->len > l + 2 && prog->p[l] == '(' && prog->p[prog->len - 1] == ')' &&
	       memcmp(prog->p, name, l) == 0;
}

bool engine_ls_applies(struct correlate_engine *e, int idx, const struct ev_record *rec) {
	if (idx < 0) /* category records are for category rules only */
		return !(rec->flags & EV_REC_CATEGORIES);
	const struct logsource_ent *l = &e->ls[idx];
	if (l->category || (rec->flags & EV_REC_CATEGORIES))
		return (rec->flags & l->category) != 0; /* not memoised: the flags decide */
	if (e->ls_cache[idx] >= 0)
		return e->ls_cache[idx];
	bool ok = l->all;
	for (size_t i = 0; !ok && i < l->n_programs; i++)
		ok = engine_program_is(&rec->program, l->programs[i]);
	for (size_t i = 0; !ok && i < l->n_units; i++)
		ok = rec->unit.p && engine_str_eq(&rec->unit, l->units[i]);
	if (!ok && rec->facility >= 0 && rec->facility < 32)
		ok = (l->facilities >> rec->facility) & 1;
	if (!ok && e->ls_service)
		ok = engine_str_eq(e->ls_service, l->service);
	e->ls_cache[idx] = ok;
	return ok;
}

int engine_ls_init(struct correlate_engine *e) {
	e->ls_rows = malloc((LS_MEMO + 1) * (e->n_ls + 1));
	e->ls_memo = calloc(LS_MEMO, sizeof(*e->ls_memo));
	if (!e->ls_rows || !e->ls_memo)
		return -ENOMEM;
	e->ls_cache = e->ls_rows + LS_MEMO * (e->n_ls + 1);
	return 0;
}

int engine_prog_memo_init(struct correlate_engine *e) {
	for (size_t i = 0; i < e->n_leaves; i++) {
		struct leaf *l = e->leaves[i];
		if (l->field && !strcmp(l->field, "program") && l->kind != LEAF_FIELDREF &&
		    !l->n_names)
			l->prog_slot = (unsigned)++e->n_prog_slots;
	}
	e->prog_rows = malloc((LS_MEMO + 1) * (e->n_prog_slots + 1));
	if (!e->prog_rows)
		return -ENOMEM;
	e->prog_cache = e->prog_rows + LS_MEMO * (e->n_prog_slots + 1);
	return 0;
}

/* Point ls_cache and prog_cache at row `row` (LS_MEMO: the scratch row); forget it. */
static void ls_row(struct correlate_engine *e, size_t row, bool forget) {
	e->ls_cache = e->ls_rows + row * (e->n_ls + 1);
	e->prog_cache = e->prog_rows + row * (e->n_prog_slots + 1);
	if (forget) {
		memset(e->ls_cache, -1, e->n_ls);
		memset(e->prog_cache, -1, e->n_prog_slots);
	}
}

/* Is m the entry of this program and facility? */
static inline bool memo_is(const struct ls_memo *m, uint32_t h, int facility,
                           const struct ev_str *p, uint32_t len) {
	if (!m->used || m->hash != h || m->facility != facility || m->len != len)
		return false;
	return !p->p || !memcmp(m->program, p->p, len);
}

void engine_ls_begin(struct correlate_engine *e, const struct ev_record *rec) {
	const struct ev_str *p = &rec->program;
	e->ls_service = e->o.service_field ? ev_record_get(rec, "service") : NULL;
	if (rec->unit.p || e->ls_service || (p->p && p->len > sizeof(e->ls_memo->program))) {
		e->ls_cur = NULL;
		ls_row(e, LS_MEMO, true); /* the scratch row */
		return;
	}
	uint32_t len = p->p ? (uint32_t)p->len : UINT32_MAX;
	/* the length, facility and three bytes of the name: no loop per byte (the entry is
	 * compared whole below, so a shared hash costs a miss, never a wrong answer) */
	uint32_t h = 2166136261u ^ (uint32_t)rec->facility;
	if (p->p && len) {
		const unsigned char *b = (const unsigned char *)p->p;
		h = (h ^ len) * 16777619u;
		h = (h ^
		     ((uint32_t)b[0] | (uint32_t)b[len / 2] << 8 | (uint32_t)b[len - 1] << 16)) *
		    16777619u;
	}
	/* two slots per hash; a miss takes an unused one, else the two in turn */
	uint32_t x = (h ^ (h >> 15)) * 0x2c1b3c6du;
	size_t s0 = (x ^ (x >> 12)) % LS_MEMO, s1 = (s0 + 1) % LS_MEMO;
	struct ls_memo *m = &e->ls_memo[s0];
	if (memo_is(m, h, rec->facility, p, len) ||
	    memo_is(m = &e->ls_memo[s1], h, rec->facility, p, len)) {
		e->ls_cur = m;
		ls_row(e, (size_t)(m - e->ls_memo), false);
		return;
	}
	size_t slot = !e->ls_memo[s0].used   ? s0
	              : !e->ls_memo[s1].used ? s1
	              : (e->ls_turn ^= 1)    ? s1
	                                     : s0;
	m = &e->ls_memo[slot];
	e->ls_cur = m;
	ls_row(e, slot, true);
	m->used = true;
	m->hash = h;
	m->facility = rec->facility;
	m->len = len;
	m->prog_scan = -1;
	m->db_need = -1;
	m->dec_known = false;
	if (p->p && len)
		memcpy(m->program, p->p, len);
}
