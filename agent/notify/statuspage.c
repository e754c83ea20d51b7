/* Status page rendering (statuspage.h). The page is rebuilt whole from the published
 * updates and the incident ledgers on every publication, so it never drifts from them. */
#include "config.h"

#include "agent/notify/statuspage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/incident/incident.h"
#include "agent/notify/outbox.h"
#include "store/ledger.h"
#include "util/clock.h"
#include "util/io.h"
#include "util/macro.h"
#include "util/timefmt.h"

#define UPDATES_CAP (16u << 20)

static const char *jstr(const json_t *o, const char *k) {
	return json_string_value(json_object_get(o, k));
}

json_t *ev_statuspage_update(const json_t *item) {
	const json_t *m = json_object_get(item, "message");
	char t[EV_RFC3339_MAX];
	ev_format_rfc3339(json_integer_value(json_object_get(item, "created_us")), t, sizeof(t));
	return json_pack("{s:s?, s:s?, s:s, s:s?, s:s?, s:b}", "id", jstr(item, "id"), "incident",
	                 jstr(item, "incident"), "time", t, "subject", jstr(m, "subject"), "body",
	                 jstr(m, "body"), "drill", json_is_true(json_object_get(m, "drill")));
}

static char *updates_path(const struct ev_notify_ctx *ctx, const json_t *ch) {
	char *p = NULL;
	if (asprintf(&p, "%s/notify/statuspage-%s.jsonl", ctx->state_dir, jstr(ch, "name")) < 0)
		return NULL;
	return p;
}

/* Every published update, in order (new array). */
static json_t *read_updates(const char *path) {
	json_t *a = json_array();
	char *buf = NULL;
	size_t len = 0;
	if (store_read_file(path, UPDATES_CAP, &buf, &len) < 0)
		return a;
	for (char *line = buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		json_t *o = json_loads(line, 0, NULL);
		if (json_is_object(o))
			json_array_append(a, o);
		json_decref(o);
	}
	free(buf);
	return a;
}

static int write_atomic(const char *dir, const char *name, const char *data) {
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return ev_notify_write_atomic(p, data, strlen(data), 0644);
}

static void esc(FILE *f, const char *s) {
	for (; s && *s; s++)
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
}

/* The model: {title, updated, components: [{name, status}], open: [...], resolved: [...]};
 * each incident {id, state, drill, severity, services, root_cause, resolution,
 * postmortem_sha256, updates: [newest first]}. */
static json_t *model(const struct ev_notify_ctx *ctx, const json_t *ch, const json_t *updates) {
	json_t *open = json_array(), *resolved = json_array(), *comps = json_array();
	json_t *by_inc = json_object();
	size_t i;
	json_t *u;
	json_array_foreach(updates, i, u) {
		const char *id = jstr(u, "incident");
		if (!id)
			continue;
		json_t *l = json_object_get(by_inc, id);
		if (!l)
			json_object_set_new(by_inc, id, l = json_array());
		json_array_insert(l, 0, u);
	}
	json_t *down = json_object();
	const char *id;
	json_t *l;
	json_object_foreach(by_inc, id, l) {
		struct ev_incident inc;
		if (ev_incident_load(ctx->state_dir, id, NULL, NULL, &inc) < 0)
			continue;
		bool done = !strcmp(inc.state, "resolved") || !strcmp(inc.state, "closed");
		const char *closed_report = NULL;
		json_t *e;
		json_array_foreach(inc.entries, i,
		                   e) if (!strcmp(jstr(e, "action") ?: "", "closed"))
		        closed_report = jstr(json_object_get(e, "details"), "report_sha256");
		json_t *o = json_pack("{s:s, s:s, s:b, s:s?, s:O, s:O}", "id", inc.id, "state",
		                      inc.state, "drill", inc.drill, "severity",
		                      jstr(inc.triage, "severity"), "services",
		                      inc.services ? inc.services : json_null(), "updates", l);
		if (done) {
			json_object_set_new(o, "root_cause", json_string(inc.root_cause));
			json_object_set_new(o, "resolution", json_string(inc.resolution));
			json_object_set_new(o, "postmortem_sha256", json_string(closed_report));
			json_array_append_new(resolved, o);
		} else {
			json_array_append_new(open, o);
			json_t *s;
			size_t k;
			json_array_foreach(inc.services, k, s) json_object_set_new(
			        down, json_string_value(s),
			        json_string(!strcmp(jstr(inc.triage, "severity") ?: "", "critical")
			                            ? "major outage"
			                            : "degraded performance"));
		}
		ev_incident_done(&inc);
	}
	json_array_foreach(ctx->services, i, u) {
		const char *st = jstr(down, json_string_value(u));
		json_array_append_new(comps, json_pack("{s:s, s:s}", "name", json_string_value(u),
		                                       "status", st ? st : "operational"));
	}
	json_decref(down);
	json_decref(by_inc);
	char now[EV_RFC3339_MAX];
	ev_format_rfc3339(ev_now_realtime_us(), now, sizeof(now));
	return json_pack("{s:s, s:s, s:o, s:o, s:o}", "title",
	                 jstr(ch, "title") ?: "Service status", "updated", now, "components", comps,
	                 "open_incidents", open, "resolved_incidents", resolved);
}

/* before, the text escaped, after. */
static void wrap(FILE *f, const char *before, const char *text, const char *after) {
	fputs(before, f);
	esc(f, text);
	fputs(after, f);
}

static void html_incident(FILE *f, const json_t *o, bool done) {
	bool drill = json_is_true(json_object_get(o, "drill"));
	fprintf(f, "<section class=\"incident%s\">\n<h3>", drill ? " drill" : "");
	if (drill)
		fputs("<span class=\"badge\">DRILL</span> ", f);
	wrap(f, "", jstr(o, "id"), " &mdash; ");
	wrap(f, "", jstr(o, "state"), "</h3>\n");
	static const char *const labels[][2] = {
	        {"root_cause", "<p><b>Root cause:</b> "},
	        {"resolution", "<p><b>Resolution:</b> "},
	        {"postmortem_sha256", "<p><b>Postmortem published</b>, sha256 "}};
	for (size_t k = 0; done && k < ELEMENTSOF(labels); k++)
		if (jstr(o, labels[k][0]))
			wrap(f, labels[k][1], jstr(o, labels[k][0]), "</p>\n");
	size_t i;
	const json_t *u;
	json_array_foreach(json_object_get(o, "updates"), i, u) {
		wrap(f, "<article class=\"update\"><h4>", jstr(u, "subject"), "</h4>");
		wrap(f, "<time>", jstr(u, "time"), "</time>");
		wrap(f, "<pre>", jstr(u, "body"), "</pre></article>\n");
	}
	fputs("</section>\n", f);
}

/* A document in a memstream: `head`, then the page's title escaped. NULL on OOM. */
static FILE *doc_begin(char **out, size_t *len, const char *head, const json_t *m) {
	FILE *f = open_memstream(out, len);
	if (!f)
		return NULL;
	fputs(head, f);
	esc(f, jstr(m, "title"));
	return f;
}

static char *render_html(const json_t *m) {
	char *out = NULL;
	size_t len = 0;
	FILE *f = doc_begin(&out, &len,
	                    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	                    "<meta name=\"viewport\" content=\"width=device-width, "
	                    "initial-scale=1\">\n<title>",
	                    m);
	if (!f)
		return NULL;
	fputs("</title>\n<link rel=\"alternate\" type=\"application/atom+xml\" "
	      "href=\"feed.atom\">\n"
	      "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;padding:0 1em}"
	      "table{border-collapse:collapse;width:100%}td{border-bottom:1px solid "
	      "#ddd;padding:.4em}"
	      ".operational{color:#176f2c}.degraded{color:#9a6700}.outage{color:#b42318}"
	      ".incident{border:1px solid #ccc;border-radius:6px;padding:.5em 1em;margin:1em 0}"
	      ".drill{border:3px dashed #b42318}.badge{background:#b42318;color:#fff;padding:0 "
	      ".4em;"
	      "border-radius:3px}pre{white-space:pre-wrap;font-family:inherit}</style>\n"
	      "</head><body>\n<h1>",
	      f);
	esc(f, jstr(m, "title"));
	fputs("</h1>\n<p>Updated ", f);
	esc(f, jstr(m, "updated"));
	fputs("</p>\n<h2>Components</h2>\n<table id=\"components\">\n", f);
	size_t i;
	const json_t *o;
	json_array_foreach(json_object_get(m, "components"), i, o) {
		const char *st = jstr(o, "status");
		fputs("<tr><td>", f);
		esc(f, jstr(o, "name"));
		fprintf(f, "</td><td class=\"%s\">",
		        !strcmp(st, "operational")    ? "operational"
		        : !strcmp(st, "major outage") ? "outage"
		                                      : "degraded");
		esc(f, st);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n<h2>Open incidents</h2>\n", f);
	if (!json_array_size(json_object_get(m, "open_incidents")))
		fputs("<p>No open incidents.</p>\n", f);
	json_array_foreach(json_object_get(m, "open_incidents"), i, o) html_incident(f, o, false);
	fputs("<h2>Resolved incidents</h2>\n", f);
	if (!json_array_size(json_object_get(m, "resolved_incidents")))
		fputs("<p>None.</p>\n", f);
	json_array_foreach(json_object_get(m, "resolved_incidents"), i, o)
	        html_incident(f, o, true);
	fputs("<p><a href=\"status.json\">status.json</a> &middot; <a href=\"feed.atom\">Atom "
	      "feed</a></p>\n</body></html>\n",
	      f);
	fclose(f);
	return out;
}

static void atom_entries(FILE *f, const json_t *incs) {
	size_t i, k;
	const json_t *o, *u;
	json_array_foreach(incs, i, o) json_array_foreach(json_object_get(o, "updates"), k, u) {
		/* a drill's subject already starts with [DRILL] (message.h) */
		wrap(f, "<entry><id>urn:evident:update:", jstr(u, "id"), "</id>");
		wrap(f, "<title>", jstr(u, "subject"), "</title>");
		wrap(f, "<updated>", jstr(u, "time"), "</updated>");
		wrap(f, "<content type=\"text\">", jstr(u, "body"), "</content></entry>\n");
	}
}

static char *render_atom(const json_t *m) {
	char *out = NULL;
	size_t len = 0;
	FILE *f = doc_begin(&out, &len,
	                    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	                    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<title>",
	                    m);
	if (!f)
		return NULL;
	fputs("</title><id>urn:evident:status</id><updated>", f);
	esc(f, jstr(m, "updated"));
	fputs("</updated>\n", f);
	atom_entries(f, json_object_get(m, "open_incidents"));
	atom_entries(f, json_object_get(m, "resolved_incidents"));
	fputs("</feed>\n", f);
	fclose(f);
	return out;
}

int ev_statuspage_write(const struct ev_notify_ctx *ctx, const json_t *ch, char **ret_detail) {
	const char *dir = jstr(ch, "dir");
	char *up = updates_path(ctx, ch);
	if (!up)
		return -ENOMEM;
	json_t *updates = read_updates(up);
	free(up);
	json_t *m = model(ctx, ch, updates);
	json_decref(updates);
	char *js = json_dumps(m, JSON_INDENT(1) | JSON_SORT_KEYS);
	char *html = render_html(m), *atom = render_atom(m);
	json_decref(m);
	int r = !js || !html || !atom ? -ENOMEM : 0;
	if (r >= 0 && mkdir(dir, 0755) < 0 && errno != EEXIST)
		r = -errno;
	if (r >= 0)
		r = write_atomic(dir, "status.json", js);
	if (r >= 0)
		r = write_atomic(dir, "feed.atom", atom);
	if (r >= 0) /* last: the page links the other two */
		r = write_atomic(dir, "index.html", html);
	free(js);
	free(html);
	free(atom);
	if (asprintf(ret_detail, r < 0 ? "status page %s: %s" : "status page %s written%s", dir,
	             r < 0 ? strerror(-r) : "") < 0)
		*ret_detail = NULL;
	return r < 0 ? -EAGAIN : 0;
}

int ev_statuspage_publish(const struct ev_notify_ctx *ctx, const json_t *ch, const char *bytes,
                          char **ret_detail) {
	json_t *u = json_loads(bytes, 0, NULL);
	char *up = updates_path(ctx, ch);
	int r = u && up ? 0 : -ENOMEM;
	json_t *have = r >= 0 ? read_updates(up) : NULL;
	bool dup = false;
	size_t i;
	json_t *x;
	json_array_foreach(have, i, x) if (jstr(u, "id") && jstr(x, "id") &&
	                                   !strcmp(jstr(u, "id"), jstr(x, "id"))) dup = true;
	if (r >= 0 && !dup) {
		int fd = open(up, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
		if (fd < 0)
			r = -errno;
		else {
			r = ev_write_all(fd, bytes, strlen(bytes));
			if (r >= 0)
				r = ev_write_all(fd, "\n", 1);
			if (r >= 0 && fsync(fd) < 0)
				r = -errno;
			close(fd);
		}
	}
	json_decref(have);
	json_decref(u);
	free(up);
	if (r < 0) {
		if (asprintf(ret_detail, "status page updates: %s", strerror(-r)) < 0)
			*ret_detail = NULL;
		return -EAGAIN;
	}
	return ev_statuspage_write(ctx, ch, ret_detail);
}
