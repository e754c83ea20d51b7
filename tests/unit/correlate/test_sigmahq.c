/* The SigmaHQ Linux rules in ../shared/data/sigma load unmodified and fire: on the example
 * lines their comments give, and on a line built from each of their keywords (wildcards
 * filled in); the specification's correlation examples load, except the types we do not
 * support, which fail naming the type. Skipped when the shared data is absent. */
#include <dirent.h>
#include <sys/stat.h>

#include "correlate/sigma.h"
#include "tests/unit/correlate/helpers.h"
#include "util/ytree.h"

static const char *program_for(const char *service) {
	static const char *map[][2] = {
	        {"sshd", "sshd"},    {"sudo", "sudo"},     {"auth", "sshd"},      {"cron", "cron"},
	        {"clamav", "clamd"}, {"vsftpd", "vsftpd"}, {"guacamole", "guacd"}};
	for (size_t i = 0; service && i < ELEMENTSOF(map); i++)
		if (!strcmp(map[i][0], service))
			return map[i][1];
	return "anything";
}

/* Sigma value -> a string it matches: * -> X, ? -> Q, escapes resolved. */
static void instantiate(const char *v, char *out, size_t cap) {
	size_t o = 0;
	for (size_t i = 0; v[i] && o + 2 < cap; i++) {
		if (v[i] == '\\' && (v[i + 1] == '*' || v[i + 1] == '?' || v[i + 1] == '\\'))
			out[o++] = v[++i];
		else if (v[i] == '*')
			out[o++] = 'X';
		else if (v[i] == '?')
			out[o++] = 'Q';
		else
			out[o++] = v[i];
	}
	out[o] = 0;
}

struct probe {
	char program[128];
	char msg[2048];
};

/* Feed every probe line through one engine of each kind with only `file` loaded; returns
 * how many lines gave exactly one match of rule `id` (both engines must agree per line). */
static size_t fire_all(const char *file, const char *id, const struct probe *p, size_t n) {
	size_t hits[2] = {0, 0};
	for (int k = 0; k < 2; k++) {
		struct th *t = calloc(1, sizeof(*t));
		struct correlate_opts o = {.engine = k ? "vectorscan" : "pcre2",
		                           .allowed_lateness_us = -1};
#ifndef HAVE_VECTORSCAN
		o.engine = "pcre2";
#endif
		CU_ASSERT_EQUAL_FATAL(correlate_engine_new(&o, &t->e, &t->errs), 0);
		t->alerts = json_array();
		char dec[4096];
		snprintf(dec, sizeof(dec), "%s/conf/decoders", unit_srcdir());
		CU_ASSERT(correlate_engine_add_decoders(t->e, dec, &t->errs) > 0);
		CU_ASSERT_EQUAL(correlate_engine_add_rules(t->e, file, &t->errs), 1);
		correlate_engine_compile(t->e, &t->errs, &t->warns);
		correlate_engine_set_callback(t->e, th_collect, t);
		correlate_parse_time("2024-03-01T10:00:00Z", &t->base);
		correlate_engine_set_clock(t->e, t->base); /* the daemon's way: alerts at once */
		for (size_t i = 0; i < n; i++) {
			size_t before = th_n(t);
			th_feed(t, (int64_t)i, p[i].program, p[i].msg, (char *)NULL);
			size_t got = 0;
			for (size_t j = before; j < th_n(t); j++)
				got += !strcmp(
				        json_string_value(json_object_get(
				                json_object_get(th_get(t, j), "rule"), "id")),
				        id);
			if (got == 1)
				hits[k]++;
			else if (k == 0)
				fprintf(stderr, "\n  %s: no match on [%s] %s\n", file, p[i].program,
				        p[i].msg);
		}
		th_free(t);
	}
	CU_ASSERT_EQUAL(hits[0], hits[1]);
	return hits[0];
}

static size_t fires(const char *file, const char *id, const char *program, const char *msg) {
	struct probe p;
	snprintf(p.program, sizeof(p.program), "%s", program);
	snprintf(p.msg, sizeof(p.msg), "%s", msg);
	return fire_all(file, id, &p, 1);
}

static void probe_add(struct probe *v, size_t *n, size_t cap, const char *program,
                      const char *msg) {
	if (*n >= cap)
		return;
	snprintf(v[*n].program, sizeof(v[*n].program), "%s", program);
	snprintf(v[*n].msg, sizeof(v[*n].msg), "%s", msg);
	(*n)++;
}

struct walk {
	size_t files, fired, lines;
};

static int check_rule_file(const char *file, void *p) {
	struct walk *w = p;
	w->files++;
	struct ev_errlist errs = {0};
	struct rule_set set = {0};
	CU_ASSERT_EQUAL(sigma_load_path(file, &set, &errs), 1);
	if (errs.n) {
		ev_errlist_print(&errs, stderr);
		CU_FAIL("a SigmaHQ rule failed to load");
	}
	ev_errlist_clear(&errs);
	if (set.n != 1) {
		rule_set_free(&set);
		return 0;
	}
	const struct rule *r = &set.v[0];
	const char *prog = program_for(r->service);
	struct probe *pr = calloc(256, sizeof(*pr));
	size_t np = 0;
	/* example lines in the rule's comments: "#   Mon DD HH:MM:SS host prog[pid]: message" */
	char *buf = NULL;
	size_t len = 0;
	CU_ASSERT_EQUAL(ev_read_file(file, 1 << 20, &buf, &len), 0);
	for (char *line = buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		char mon[4], host[64], tag[128];
		int d, hh, mm, ss, off = 0;
		const char *s = line + strspn(line, " ");
		if (*s != '#')
			continue;
		s++;
		s += strspn(s, " ");
		if (sscanf(s, "%3s %d %d:%d:%d %63s %127[^:]: %n", mon, &d, &hh, &mm, &ss, host,
		           tag, &off) == 7 &&
		    off) {
			char *br = strchr(tag, '[');
			if (br)
				*br = 0;
			probe_add(pr, &np, 256, tag, s + off);
		}
	}
	free(buf);
	/* a line per keyword of each positive keyword selection */
	struct ytree_docs docs = {0};
	CU_ASSERT_EQUAL(ytree_parse_file(file, &docs, &errs), 0);
	const struct ytree_node *det = docs.n ? ytree_map_get(docs.v[0].root, "detection") : NULL;
	const struct ytree_node *cond = det ? ytree_map_get(det, "condition") : NULL;
	if (cond && cond->kind == YTREE_SCALAR && !strstr(cond->str, "all of")) {
		/* selections named in the condition, not after `not` */
		char extra[1024] = "";
		const struct ytree_node *primary = NULL;
		for (size_t i = 0; i < det->n; i++) {
			const char *name = det->pairs[i].key->str;
			const char *at = strstr(cond->str, name);
			if (!strcmp(name, "condition") || !at ||
			    (at - cond->str >= 4 && !strncmp(at - 4, "not ", 4)))
				continue;
			const struct ytree_node *v = det->pairs[i].value;
			if (!primary)
				primary = v;
			else if (v->kind == YTREE_SEQ && v->n &&
			         v->items[0]->kind == YTREE_SCALAR) {
				char tmp[512];
				instantiate(v->items[0]->str, tmp, sizeof(tmp));
				strncat(extra, " ", sizeof(extra) - strlen(extra) - 1);
				strncat(extra, tmp, sizeof(extra) - strlen(extra) - 1);
			}
		}
		if (primary && primary->kind == YTREE_SEQ && primary->n &&
		    primary->items[0]->kind == YTREE_SCALAR) {
			for (size_t i = 0; i < primary->n; i++) {
				char kw[1024], msg[2048];
				instantiate(primary->items[i]->str, kw, sizeof(kw));
				snprintf(msg, sizeof(msg), "pre %s post%s", kw, extra);
				probe_add(pr, &np, 256, prog, msg);
			}
		} else if (primary && primary->kind == YTREE_MAP && primary->n == 1 &&
		           !strcmp(primary->pairs[0].key->str, "|all")) {
			char msg[2048] = "pre";
			const struct ytree_node *v = primary->pairs[0].value;
			for (size_t i = 0; i < v->n; i++) {
				char kw[1024];
				instantiate(v->items[i]->str, kw, sizeof(kw));
				strncat(msg, " ", sizeof(msg) - strlen(msg) - 1);
				strncat(msg, kw, sizeof(msg) - strlen(msg) - 1);
			}
			probe_add(pr, &np, 256, prog, msg);
		}
	}
	w->lines += np;
	w->fired += fire_all(file, r->id, pr, np);
	free(pr);
	ytree_docs_free(&docs);
	ev_errlist_clear(&errs);
	rule_set_free(&set);
	return 0;
}

TEST(test_correlate_sigmahq_rules) {
	if (!*unit_shared()) {
		unit_skip("shared data absent");
		return;
	}
	char dir[4096];
	struct walk w = {0};
	struct ev_errlist errs = {0};
	snprintf(dir, sizeof(dir), "%s/data/sigma/sigmahq-rules", unit_shared());
	struct stat st;
	if (stat(dir, &st) < 0) {
		unit_skip("shared sigma rules absent");
		return;
	}
	CU_ASSERT_EQUAL(sigma_walk(dir, check_rule_file, &w, &errs), 0);
	snprintf(dir, sizeof(dir), "%s/data/sigma/sigmahq-rules-emerging-threats", unit_shared());
	CU_ASSERT_EQUAL(sigma_walk(dir, check_rule_file, &w, &errs), 0);
	ev_errlist_clear(&errs);
	CU_ASSERT_EQUAL(w.files, 27);
	CU_ASSERT(w.lines >= 150);
	CU_ASSERT_EQUAL(w.fired, w.lines);
}

TEST(test_correlate_sigmahq_sudo_decoder) {
	if (!*unit_shared()) {
		unit_skip("shared data absent");
		return;
	}
	char f[4096];
	snprintf(f, sizeof(f),
	         "%s/data/sigma/sigmahq-rules-emerging-threats/2019/Exploits/CVE-2019-14287/"
	         "lnx_sudo_exploit_cve_2019_14287.yml",
	         unit_shared());
	struct stat st;
	if (stat(f, &st) < 0) {
		unit_skip("rule absent");
		return;
	}
	/* USER resolves through the sudo decoder's field map to target_user */
	CU_ASSERT_EQUAL(
	        fires(f, "7fcc54cb-f27d-4684-84b7-436af096f858", "sudo",
	              "  alice : TTY=pts/0 ; PWD=/home/alice ; USER=#-1 ; COMMAND=/bin/bash"),
	        1);
	CU_ASSERT_EQUAL(fires(f, "7fcc54cb-f27d-4684-84b7-436af096f858", "sudo",
	                      "  alice : TTY=pts/0 ; PWD=/home/alice ; USER=#4294967295 ; "
	                      "COMMAND=/usr/bin/id"),
	                1);
	/* USER=root is no exploit; (fires() reports the miss on stderr) */
	CU_ASSERT_EQUAL(
	        fires(f, "7fcc54cb-f27d-4684-84b7-436af096f858", "sudo",
	              "  alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash"),
	        0);
}

TEST(test_correlate_spec_examples) {
	if (!*unit_shared()) {
		unit_skip("shared data absent");
		return;
	}
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/data/sigma/spec-examples", unit_shared());
	struct stat st;
	if (stat(dir, &st) < 0) {
		unit_skip("spec examples absent");
		return;
	}
	struct ev_errlist errs = {0};
	struct rule_set set = {0};
	int n = sigma_load_path(dir, &set, &errs);
	CU_ASSERT_EQUAL(n, 12);
	CU_ASSERT_EQUAL(errs.n, 3);
	for (size_t i = 0; i < errs.n; i++) {
		CU_ASSERT_PTR_NOT_NULL(strstr(errs.v[i].msg, "is not supported yet"));
		CU_ASSERT(strstr(errs.v[i].msg, "value_sum") ||
		          strstr(errs.v[i].msg, "value_avg") ||
		          strstr(errs.v[i].msg, "value_percentile"));
		CU_ASSERT_EQUAL(errs.v[i].line, 3);
	}
	ev_errlist_clear(&errs);
	rule_set_free(&set);
}
