/* The report template expander (agent/report/tmpl.h): values, escaping, sections,
 * inverses, standalone lines, and errors with FILE:LINE:COL. */
#include <errno.h>
#include <time.h>

#include "agent/notify/template.h"
#include "agent/report/tmpl.h"
#include "tests/unit/unit.h"

static char *expand(const char *tmpl, const char *model, enum ev_tmpl_escape esc,
                    struct ev_errlist *errs) {
	struct ev_tmpl *t = NULL;
	char *out = NULL;
	json_t *m = json_loads(model, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	if (ev_tmpl_parse(tmpl, strlen(tmpl), "t.md", &t, errs) == 0)
		ev_tmpl_render(t, m, esc, &out, errs);
	ev_tmpl_free(t);
	json_decref(m);
	return out;
}

static void same(const char *tmpl, const char *model, enum ev_tmpl_escape esc, const char *want) {
	struct ev_errlist errs = {0};
	char *got = expand(tmpl, model, esc, &errs);
	CU_ASSERT_PTR_NOT_NULL(got);
	if (got && strcmp(got, want))
		fprintf(stderr, "\ngot  [%s]\nwant [%s]\n", got, want);
	CU_ASSERT(got && !strcmp(got, want));
	CU_ASSERT_EQUAL(errs.n, 0);
	free(got);
	ev_errlist_clear(&errs);
}

static void fails(const char *tmpl, const char *model, const char *want_msg) {
	struct ev_errlist errs = {0};
	char *got = expand(tmpl, model, EV_TMPL_TEXT, &errs);
	CU_ASSERT_PTR_NULL(got);
	CU_ASSERT_EQUAL_FATAL(errs.n, 1);
	char *m = ev_error_format(&errs.v[0]);
	if (!strstr(m, want_msg))
		fprintf(stderr, "\nerror [%s], want [%s]\n", m, want_msg);
	CU_ASSERT(strstr(m, want_msg) != NULL);
	free(m);
	free(got);
	ev_errlist_clear(&errs);
}

TEST(test_agent_report_tmpl_values) {
	same("a {{x}} b {{n}} {{t}} {{z}}.", "{\"x\":\"X\",\"n\":42,\"t\":true,\"z\":null}",
	     EV_TMPL_TEXT, "a X b 42 yes .");
	same("{{a.b}}", "{\"a\":{\"b\":\"deep\"}}", EV_TMPL_TEXT, "deep");
	same("<{{h}}> {{{h}}}", "{\"h\":\"<b>&'\\\"\"}", EV_TMPL_HTML,
	     "<&lt;b&gt;&amp;&#39;&quot;> <b>&'\"");
	same("| {{c}} |", "{\"c\":\"a|b\\nc\"}", EV_TMPL_MD, "| a\\|b c |");
}

TEST(test_agent_report_tmpl_sections) {
	const char *m = "{\"l\":[{\"n\":\"a\"},{\"n\":\"b\"}],\"e\":[],\"s\":[\"x\",\"y\"],"
	                "\"o\":{\"k\":1},\"top\":\"T\",\"f\":false,\"str\":\"\"}";
	same("{{#l}}[{{n}}{{top}}]{{/l}}", m, EV_TMPL_TEXT, "[aT][bT]");
	same("{{#e}}no{{/e}}{{^e}}empty{{/e}}", m, EV_TMPL_TEXT, "empty");
	same("{{#s}}{{.}},{{/s}}", m, EV_TMPL_TEXT, "x,y,");
	same("{{#o}}{{k}}{{/o}}{{#f}}F{{/f}}{{^f}}!F{{/f}}{{^str}}none{{/str}}", m, EV_TMPL_TEXT,
	     "1!Fnone");
	/* section tags alone on a line take the line with them */
	same("start\n  {{#l}}\n- {{n}}\n  {{/l}}\n{{! note }}\nend\n", m, EV_TMPL_TEXT,
	     "start\n- a\n- b\nend\n");
}

TEST(test_agent_report_tmpl_errors) {
	fails("line one\nx {{nosuch}}", "{}", "t.md:2:3: no field 'nosuch'");
	fails("{{#a}}\n{{/b}}", "{\"a\":1}", "t.md:2:1: {{/b}} does not close");
	fails("\n\n {{#a}} x", "{}", "t.md:3:2: section {{#a}} is never closed");
	fails("x {{a", "{}", "t.md:1:3: a tag opened here is never closed");
	fails("{{a b}}", "{}", "is not a field name");
	fails("{{/a}}", "{}", "closes no section");
}

static double cpu_seconds(void) {
	return (double)clock() / CLOCKS_PER_SEC;
}

/* The positions of tags (kept for render-time errors) and of placeholders are found in
 * one pass over the text: a template of 256 KiB of tags, one a line, is parsed and
 * rendered in well under a second of CPU (a scan from the start for every tag took
 * seconds), and an error after all of them still names the right line and column. */
TEST(test_agent_report_tmpl_positions_linear) {
	size_t n = 256 * 1024 / 6, len = 6 * n;
	char *text = malloc(len + 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (size_t i = 0; i < n; i++)
		memcpy(text + 6 * i, "{{a}}\n", 6);
	memcpy(text + len, "xx{{/b}}", 9);
	struct ev_errlist errs = {0};
	struct ev_tmpl *t = NULL;
	double t0 = cpu_seconds();
	CU_ASSERT_EQUAL(ev_tmpl_parse(text, len, "t.md", &t, &errs), 0);
	char *out = NULL;
	json_t *m = json_pack("{s:s}", "a", "x");
	CU_ASSERT_EQUAL(ev_tmpl_render(t, m, EV_TMPL_TEXT, &out, &errs), 0);
	CU_ASSERT(out && strlen(out) == 2 * n);
	free(out);
	ev_tmpl_free(t);
	t = NULL;
	CU_ASSERT_EQUAL(ev_tmpl_parse(text, len + 8, "t.md", &t, &errs), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(errs.n, 1);
	CU_ASSERT_EQUAL(errs.v[0].line, n + 1);
	CU_ASSERT_EQUAL(errs.v[0].col, 3);
	ev_errlist_clear(&errs);
	/* the message templates: {{name}} placeholders, an unknown one at the end */
	n = EV_TEMPLATE_MAX / 7, len = 7 * n;
	for (size_t i = 0; i < n; i++)
		memcpy(text + 7 * i, "{{ a}}\n", 7);
	memcpy(text + len, "x{{zz}}", 8);
	CU_ASSERT_EQUAL(ev_template_render("t.txt", text, len, m, &out, &errs), 0);
	CU_ASSERT(out && strlen(out) == 2 * n);
	free(out);
	CU_ASSERT_EQUAL(ev_template_render("t.txt", text, len + 7, m, &out, &errs), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(errs.n, 1);
	CU_ASSERT_EQUAL(errs.v[0].line, n + 1);
	CU_ASSERT_EQUAL(errs.v[0].col, 2);
	double cpu = cpu_seconds() - t0;
	if (cpu >= 1.0)
		fprintf(stderr, "\n%.2f s of CPU for the long templates\n", cpu);
	CU_ASSERT(cpu < 1.0);
	ev_errlist_clear(&errs);
	json_decref(m);
	free(text);
}
