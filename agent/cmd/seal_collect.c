/* Evidence collection for a seal (see seal_collect.h). Sources are streamed into the
 * bundle writer as they are read (no temporary copies in the agent). A member is begun
 * only when its source gives its first byte, so a window without lines leaves no empty
 * member: the source gets a note ("no lines in the window") in the manifest instead.
 * Paths are opened here, never by name further down: O_NONBLOCK|O_NOFOLLOW, then fstat,
 * and only a regular file is read; anything else is a recorded collection error. */
#include "config.h"

#include "agent/cmd/seal_collect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/cli.h"
#include "agent/spawn.h"
#include "collector/excerpt.h"
#include "collector/files.h"
#include "collector/tail.h"
#include "util/macro.h"
#include "util/strv.h"

#define MAX_ARGS 256

static uint64_t progress_bytes, progress_next = 64u << 20;

uint64_t ev_seal_collected(void) {
	return progress_bytes;
}

/* Progress on a terminal: bytes collected, every 64 MiB. */
static void progress(const struct seal_collect *c, size_t len) {
	progress_bytes += len;
	if (c->progress && progress_bytes >= progress_next) {
		fprintf(stderr, "\revident: sealing: %llu MiB collected",
		        (unsigned long long)(progress_bytes >> 20));
		progress_next = progress_bytes + (64u << 20);
	}
}

static int seal_write(struct seal_collect *c, const void *buf, size_t len) {
	progress(c, len);
	return store_bundle_member_write(c->w, buf, len);
}

/* "evidence/KIND/" + the name with every byte outside the safe set replaced by '_'. */
static void member_name(char *out, size_t len, const char *kind, const char *name) {
	int k = snprintf(out, len, "evidence/%s/", kind);
	size_t o = k > 0 ? (size_t)k : 0;
	while (*name == '/')
		name++;
	for (const char *p = name; *p && o + 1 < len - 40; p++) {
		char ch = *p;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		          (ch >= '0' && ch <= '9') || strchr("._@+=:,-/", ch);
		if (ch == '/' && (o == 0 || out[o - 1] == '/'))
			continue;
		out[o++] = ok ? ch : '_';
	}
	if (o && out[o - 1] == '/')
		o--;
	out[o] = 0;
	/* no "." or ".." components */
	for (char *p = out; (p = strstr(p, "/.")); p++)
		if (p[2] == '/' || p[2] == 0 || (p[2] == '.' && (p[3] == '/' || p[3] == 0)))
			p[1] = '_';
}

/* Unique member path: add ".2", ".3"... when taken. `src` stolen. */
static int begin_unique(struct store_bundle_writer *w, const char *path, int64_t size,
                        json_t *src) {
	char p[600];
	snprintf(p, sizeof(p), "%s", path);
	for (int i = 2; i < 1000; i++) {
		int r = store_bundle_member_begin(w, p, size, json_incref(src));
		if (r != -EEXIST) {
			json_decref(src);
			return r;
		}
		snprintf(p, sizeof(p), "%s.%d", path, i);
	}
	json_decref(src);
	return -EEXIST;
}

/* A member begun at its first byte. */
struct lazy {
	struct seal_collect *c;
	const char *path;
	json_t *src; /* borrowed */
	bool begun;
	int werr; /* the bundle's own failure */
};

static int lazy_write(void *ud, const void *buf, size_t len) {
	struct lazy *z = ud;
	int r = 0;
	if (!len)
		return 0;
	if (!z->begun) {
		r = begin_unique(z->c->w, z->path, -1, json_incref(z->src));
		z->begun = r >= 0;
	}
	if (r >= 0)
		r = seal_write(z->c, buf, len);
	if (r < 0)
		z->werr = r;
	return r;
}

static int add_note(struct seal_collect *c, json_t *src, const char *note) {
	json_t *n = json_pack("{s:O, s:s}", "source", src, "note", note);
	return n && json_array_append_new(c->notes, n) == 0 ? 0 : -ENOMEM;
}

/* Open `path` for reading evidence: never blocks, never follows a link, regular files
 * only. Returns the fd, or -errno with *ret_why set for the manifest. */
static int open_evidence(const char *path, struct stat *st, const char **ret_why) {
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		*ret_why = e == ELOOP ? "a symbolic link, not followed" : strerror(e);
		return -e;
	}
	if (fstat(fd, st) < 0) {
		int e = errno;
		close(fd);
		*ret_why = strerror(e);
		return -e;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		*ret_why = S_ISFIFO(st->st_mode)   ? "a FIFO, not a regular file: not read"
		           : S_ISSOCK(st->st_mode) ? "a socket, not a regular file: not read"
		           : S_ISDIR(st->st_mode)  ? "a directory, not a regular file: not read"
		                                   : "not a regular file: not read";
		return -EINVAL;
	}
	return fd;
}

/* open_evidence, or the refusal logged and recorded in the manifest's errors (`src`
 * stolen then, *ret_r the result of recording it). */
static int open_source(struct seal_collect *c, const char *opt, const char *path, json_t *src,
                       struct stat *st, int *ret_r) {
	const char *why = NULL;
	int fd = open_evidence(path, st, &why);
	if (fd < 0) {
		ev_log_warning("%s %s: %s (recorded)", opt, path, why);
		*ret_r = store_bundle_add_error(c->w, src, why);
	}
	return fd;
}

int ev_seal_copy(struct seal_collect *c, const char *path) {
	json_t *src = json_pack("{s:s, s:s}", "kind", "copy", "asked", path);
	struct stat st;
	int r;
	_cleanup_close_ int fd = open_source(c, "--copy", path, src, &st, &r);
	if (fd < 0)
		return r;
	char mp[600];
	member_name(mp, sizeof(mp), "files", path);
	r = begin_unique(c->w, mp, st.st_size, src);
	if (r < 0)
		return r;
	char buf[1 << 16];
	char eb[300] = "";
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			snprintf(eb, sizeof(eb), "read: %s", strerror(errno));
		if (n <= 0)
			break;
		if ((r = seal_write(c, buf, (size_t)n)) < 0)
			return r;
	}
	return store_bundle_member_end(c->w, eb[0] ? eb : NULL);
}

/* Split CMD into words: blanks separate, '...' and "..." quote, backslash escapes.
 * A NULL-terminated vector, or -EINVAL (unbalanced quote, no word) / -E2BIG / -ENOMEM. */
static int split_words(const char *s, char ***ret) {
	_cleanup_free_ char *buf = malloc(strlen(s) + 1);
	char **v = calloc(MAX_ARGS + 1, sizeof(char *));
	size_t n = 0;
	int r = buf && v ? 0 : -ENOMEM;
	for (const char *p = s; r == 0;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t o = 0;
		char q = 0;
		for (; *p && (q || (*p != ' ' && *p != '\t')); p++) {
			if (q && *p == q)
				q = 0;
			else if (!q && (*p == '\'' || *p == '"'))
				q = *p;
			else if (*p == '\\' && p[1] && q != '\'')
				buf[o++] = *++p;
			else
				buf[o++] = *p;
		}
		if (q)
			r = -EINVAL;
		else if (n >= MAX_ARGS)
			r = -E2BIG;
		else if (!(v[n++] = strndup(buf, o)))
			r = -ENOMEM;
	}
	if (r == 0 && n == 0)
		r = -EINVAL;
	if (r < 0) {
		ev_strv_free(v);
		return r;
	}
	*ret = v;
	return 0;
}

/* The command's manifest fields and message once it ran. */
static int command_record(struct seal_collect *c, const char *name, const char *mp,
                          const struct ev_spawn_result *res) {
	struct store_bundle_writer *w = c->w;
	int st = res->status;
	store_bundle_member_set(w, "exit_status",
	                        WIFEXITED(st) ? json_integer(WEXITSTATUS(st)) : json_null());
	store_bundle_member_set(w, "signal",
	                        WIFSIGNALED(st) ? json_integer(WTERMSIG(st)) : json_null());
	store_bundle_member_set(w, "timed_out", json_boolean(res->timed_out));
	store_bundle_member_set(w, "output_truncated",
	                        json_boolean(res->out_truncated || res->err_truncated));
	store_bundle_member_set(w, "output_bytes", json_integer((json_int_t)res->out_total));
	store_bundle_member_set(w, "stderr_bytes", json_integer((json_int_t)res->err_total));
	char emsg[300] = "";
	if (res->timed_out)
		snprintf(emsg, sizeof(emsg), "killed after the %llu ms time limit",
		         (unsigned long long)(c->cmd_timeout / 1000));
	if (emsg[0])
		ev_log_warning("--command %s: %s (recorded)", name, emsg);
	if (res->out_truncated || res->err_truncated)
		ev_log_warning("--command %s: output cut at %llu bytes (%llu bytes of stdout, %llu "
		               "of stderr produced; recorded)",
		               name, (unsigned long long)c->cmd_cap,
		               (unsigned long long)res->out_total,
		               (unsigned long long)res->err_total);
	int r = store_bundle_member_end(w, emsg[0] ? emsg : NULL);
	if (r < 0 || !res->err_len)
		return r;
	char sp[640];
	snprintf(sp, sizeof(sp), "%s.stderr", mp);
	json_t *src = json_pack("{s:s, s:s}", "kind", "command_stderr", "name", name);
	r = begin_unique(w, sp, (int64_t)res->err_len, src);
	if (r == 0)
		r = seal_write(c, res->err, res->err_len);
	return r < 0 ? r : store_bundle_member_end(w, NULL);
}

int ev_seal_command(struct seal_collect *c, const char *spec) {
	const char *eq = strchr(spec, '=');
	char name[128];
	snprintf(name, sizeof(name), "%.*s", eq ? (int)MIN(eq - spec, 127) : 0, spec);
	json_t *src = json_pack("{s:s, s:s, s:s}", "kind", "command", "name", name, "asked",
	                        eq ? eq + 1 : spec);
	char **av = NULL;
	int r = eq && name[0] ? split_words(eq + 1, &av) : -EINVAL;
	if (r < 0)
		return store_bundle_add_error(c->w, src,
		                              r == -E2BIG
		                                      ? "bad --command: too many arguments"
		                                      : "bad --command (want NAME=CMD ARGS...)");
	json_t *argv_j = json_array();
	for (size_t i = 0; av[i]; i++)
		json_array_append_new(argv_j, json_string(av[i]));
	json_object_set_new(src, "argv", argv_j);
	char mp[600];
	member_name(mp, sizeof(mp), "commands", name);
	struct lazy z = {.c = c, .path = mp, .src = src};
	struct ev_spawn sp = {.argv = av,
	                      .timeout_usec = c->cmd_timeout,
	                      .on_out = lazy_write,
	                      .userdata = &z,
	                      .out_cap = c->cmd_cap,
	                      .err_cap = c->cmd_cap};
	struct ev_spawn_result res = {0};
	r = ev_spawn_run(&sp, &res);
	if (r < 0 && z.werr == 0) { /* it could not be started */
		char msg[400];
		snprintf(msg, sizeof(msg), "cannot run %s: %s", av[0], strerror(-r));
		ev_log_warning("--command %s: %s (recorded)", name, msg);
		r = z.begun ? store_bundle_member_end(c->w, msg)
		            : store_bundle_add_error(c->w, json_incref(src), msg);
	} else if (r >= 0 && !z.begun) /* no output: an empty member with the exit status */
		r = begin_unique(c->w, mp, 0, json_incref(src));
	if (r >= 0 && z.werr == 0 && res.err)
		r = command_record(c, name, mp, &res);
	ev_spawn_result_clear(&res);
	ev_strv_free(av);
	json_decref(src);
	return z.werr ? z.werr : r;
}

/* The lines of `path` in the window, cut with the agent's time index when it has one. */
static int seal_excerpt(struct seal_collect *c, const char *path) {
	json_t *src = json_pack("{s:s, s:s, s:I, s:I}", "kind", "excerpt", "asked", path,
	                        "since_us", (json_int_t)c->since, "until_us", (json_int_t)c->until);
	struct stat st;
	int r;
	/* a symbolic link is followed as the tail follows it, or refused and recorded */
	char why[700];
	_cleanup_free_ char *op = NULL;
	int k = collector_link_policy(c->sources, c->n_sources, c->follow_symlinks, path, &op, why,
	                              sizeof(why));
	if (k <= 0) {
		if (k == 0)
			ev_log_warning("--file %s: %s (recorded)", path, why);
		r = k < 0 ? k : store_bundle_add_error(c->w, src, why);
		if (k < 0)
			json_decref(src);
		return r;
	}
	_cleanup_close_ int fd = open_source(c, "--file", op, src, &st, &r);
	if (fd < 0)
		return r;
	char mp[600];
	member_name(mp, sizeof(mp), "excerpts", path);
	struct lazy z = {.c = c, .path = mp, .src = src};
	struct collector_reader_opts o = {0};
	struct ev_errlist errs = {0};
	struct collector_excerpt_info ci;
	int64_t n = collector_excerpt_fd_indexed(fd, path, c->state_dir, &o, c->since, c->until,
	                                         c->slack_us, lazy_write, &z, &ci, &errs);
	if (n >= 0 && z.begun && !z.werr) /* how it was cut: by position (time index) or time */
		z.werr = store_bundle_member_set(c->w, "cut",
		                                 json_pack("{s:s, s:I, s:I, s:I, s:I}", "method",
		                                           ci.method, "start", (json_int_t)ci.start,
		                                           "end", (json_int_t)ci.end, "lines",
		                                           (json_int_t)ci.lines, "lines_off_window",
		                                           (json_int_t)ci.lines_off_window));
	char msg[512] = "";
	if (n < 0 && !z.werr) {
		_cleanup_free_ char *m = errs.n ? ev_error_format(&errs.v[0]) : NULL;
		snprintf(msg, sizeof(msg), "%s", m ? m : strerror((int)-n));
		ev_log_warning("--file %s: %s (recorded)", path, msg);
	}
	ev_errlist_clear(&errs);
	r = z.werr;
	if (!r && z.begun)
		r = store_bundle_member_end(c->w, msg[0] ? msg : NULL);
	else if (!r && msg[0])
		r = store_bundle_add_error(c->w, json_incref(src), msg);
	else if (!r)
		r = add_note(c, src, "no lines in the window");
	json_decref(src);
	return r;
}

int ev_seal_files(struct seal_collect *c, const char *pattern) {
	struct ev_errlist errs = {0};
	char **v = NULL;
	int r = 0, n = collector_files_expand(pattern, &v, &errs);
	if (n < 0 && !collector_files_is_glob(pattern)) /* not there: the excerpt records why */
		r = seal_excerpt(c, pattern);
	else if (n < 0)
		r = store_bundle_add_error(
		        c->w, json_pack("{s:s, s:s}", "kind", "excerpt", "asked", pattern),
		        errs.n ? errs.v[0].msg : strerror(-n));
	else
		for (size_t k = 0; k < errs.n; k++) /* rotated generations not listed */
			ev_log_warning("--file %s: %s", pattern, errs.v[k].msg);
	for (int k = 0; r >= 0 && k < n; k++)
		r = seal_excerpt(c, v[k]);
	if (n > 0)
		ev_strv_free(v);
	ev_errlist_clear(&errs);
	return r;
}

/* The journal window, read once: export format and JSON lines go to two pending members
 * at the same time, committed one after the other (or, with no entry, a note). */
struct journal_out {
	struct seal_collect *c;
	struct store_bundle_pending *p[2];
};

static int journal_export_write(void *ud, const void *buf, size_t len) {
	struct journal_out *jo = ud;
	progress(jo->c, len);
	return store_bundle_pending_write(jo->p[0], buf, len);
}

static int journal_json_write(void *ud, const void *buf, size_t len) {
	return store_bundle_pending_write(((struct journal_out *)ud)->p[1], buf, len);
}

static json_t *journal_source(const struct seal_collect *c, const char *kind, const char *dir,
                              const char *file, const struct ev_strv *units) {
	json_t *uj = json_array();
	for (size_t k = 0; uj && k < units->n; k++)
		json_array_append_new(uj, json_string(units->v[k]));
	return json_pack("{s:s, s:s?, s:s?, s:o, s:I, s:I}", "kind", kind, "directory", dir, "file",
	                 file, "units", uj, "since_us", (json_int_t)c->since, "until_us",
	                 (json_int_t)c->until);
}

int ev_seal_journal(struct seal_collect *c, const char *dir, const char *file,
                    const struct ev_strv *units) {
	static const char *const paths[2] = {"evidence/journal/journal.export",
	                                     "evidence/journal/journal.jsonl"};
	static const char *const kinds[2] = {"journal_export", "journal_json"};
	struct journal_out jo = {c, {NULL, NULL}};
	int r = 0;
	for (int i = 0; i < 2 && r >= 0; i++)
		r = store_bundle_pending_new(
		        c->w, paths[i], journal_source(c, kinds[i], dir, file, units), &jo.p[i]);
	const char *u[MAX_ARGS + 1]; /* NULL-terminated, as the contract wants */
	size_t nu = MIN(units->n, (size_t)MAX_ARGS);
	for (size_t i = 0; i < nu; i++)
		u[i] = units->v[i];
	u[nu] = NULL;
	struct ev_errlist errs = {0};
	int64_t n = r < 0 ? r
	                  : collector_journal_export(dir, file, nu ? u : NULL, c->since, c->until,
	                                             journal_export_write, journal_json_write, &jo,
	                                             &errs);
	char msg[512] = "";
	if (r >= 0 && n < 0) {
		_cleanup_free_ char *m = errs.n ? ev_error_format(&errs.v[0]) : NULL;
		snprintf(msg, sizeof(msg), "%s", m ? m : strerror((int)-n));
		ev_log_warning("journal: %s (recorded)", msg);
	}
	ev_errlist_clear(&errs);
	if (r >= 0 && n == 0) { /* nothing in the window: a note, no empty members */
		json_t *src = journal_source(c, "journal", dir, file, units);
		r = src ? add_note(c, src, "no journal entries in the window") : -ENOMEM;
		json_decref(src);
	}
	for (int i = 0; i < 2; i++) {
		if (r < 0 || n == 0) {
			store_bundle_pending_free(jo.p[i]);
			continue;
		}
		json_t *f = n >= 0 ? json_pack("{s:I}", "entries", (json_int_t)n) : NULL;
		int rr = store_bundle_pending_commit(c->w, jo.p[i], f, msg[0] ? msg : NULL);
		if (rr < 0)
			r = rr;
	}
	return r;
}
