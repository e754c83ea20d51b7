/* evident seal: collect evidence for a time window and seal it into the store.
 * Sources are streamed into the bundle writer as they are read (no temporary copies in
 * the agent); a source that fails is recorded in the manifest and the seal completes.
 * Commands run without a shell, in their own process group, with a deadline and an
 * output cap; exit status, signal, time-out and stderr are recorded. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/cmd_store_common.h"
#include "agent/commands.h"
#include "agent/config.h"
#include "agent/cmd_seal_agent.h"
#include "collector/evtime.h"
#include "collector/excerpt.h"

#define MAX_ARGS 256

/* Progress on a terminal: bytes collected, every 64 MiB. */
/* The wall clock in µs: a window ending "now" includes this second's entries. */
static int64_t now_realtime_us(void) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t progress_bytes, progress_next;
static bool progress_on;

static int seal_write(void *w, const void *buf, size_t len) {
	int r = store_bundle_member_write(w, buf, len);
	progress_bytes += len;
	if (progress_on && progress_bytes >= progress_next) {
		fprintf(stderr, "\revident: sealing: %llu MiB collected",
		        (unsigned long long)(progress_bytes >> 20));
		progress_next = progress_bytes + (64u << 20);
	}
	return r;
}

static int strv_push(struct ev_seal_list *s, char *x) {
	char **nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	s->v = nv;
	s->v[s->n++] = x;
	return 0;
}

/* "evidence/KIND/" + the name with every byte outside the safe set replaced by '_'. */
static void member_name(char *out, size_t len, const char *kind, const char *name,
                        const char *suffix) {
	int k = snprintf(out, len, "evidence/%s/", kind);
	size_t o = k > 0 ? (size_t)k : 0;
	while (*name == '/')
		name++;
	for (const char *p = name; *p && o + 1 < len - 40; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || strchr("._@+=:,-/", c);
		if (c == '/' && (o == 0 || out[o - 1] == '/'))
			continue;
		out[o++] = ok ? c : '_';
	}
	if (o && out[o - 1] == '/')
		o--;
	out[o] = 0;
	/* no "." or ".." components */
	for (char *p = out; (p = strstr(p, "/.")); p++)
		if (p[2] == '/' || p[2] == 0 || (p[2] == '.' && (p[3] == '/' || p[3] == 0)))
			p[1] = '_';
	snprintf(out + o, len - o, "%s", suffix ? suffix : "");
}

/* Unique member path: add ".2", ".3"... when taken. */
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

static int seal_copy(struct store_bundle_writer *w, const char *path) {
	json_t *src = json_pack("{s:s, s:s}", "kind", "copy", "asked", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		char msg[300];
		snprintf(msg, sizeof(msg), "%s", fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		ev_log_warning("--copy %s: %s (recorded)", path, msg);
		return store_bundle_add_error(w, src, msg);
	}
	char mp[600];
	member_name(mp, sizeof(mp), "files", path, NULL);
	int r = begin_unique(w, mp, st.st_size, src);
	if (r < 0) {
		close(fd);
		return r;
	}
	char buf[1 << 16];
	const char *err = NULL;
	char eb[300];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(eb, sizeof(eb), "read: %s", strerror(errno));
			err = eb;
			break;
		}
		if (n == 0)
			break;
		r = seal_write(w, buf, (size_t)n);
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	close(fd);
	return store_bundle_member_end(w, err);
}

/* Split CMD into words: blanks separate, '...' and "..." quote, backslash escapes. */
static int split_words(const char *s, struct ev_seal_list *out) {
	char *buf = malloc(strlen(s) + 1);
	if (!buf)
		return -ENOMEM;
	const char *p = s;
	for (;;) {
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
		if (q) {
			free(buf);
			return -EINVAL;
		}
		char *w = strndup(buf, o);
		if (!w || out->n >= MAX_ARGS || strv_push(out, w) < 0) {
			free(w);
			free(buf);
			return -E2BIG;
		}
	}
	free(buf);
	return out->n ? 0 : -EINVAL;
}

static int64_t mono_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int seal_command(struct store_bundle_writer *w, const char *spec, uint64_t timeout_us,
                        uint64_t cap) {
	const char *eq = strchr(spec, '=');
	char name[128];
	snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - spec) : 0, spec);
	struct ev_seal_list av = {0};
	json_t *src = json_pack("{s:s, s:s, s:s}", "kind", "command", "name", name, "asked",
	                        eq ? eq + 1 : spec);
	int r = eq && name[0] ? split_words(eq + 1, &av) : -EINVAL;
	if (r < 0) {
		for (size_t i = 0; i < av.n; i++)
			free(av.v[i]);
		free(av.v);
		return store_bundle_add_error(w, src, "bad --command (want NAME=CMD ARGS...)");
	}
	json_t *argv_j = json_array();
	for (size_t i = 0; i < av.n; i++)
		json_array_append_new(argv_j, json_string(av.v[i]));
	json_object_set_new(src, "argv", argv_j);
	strv_push(&av, NULL);
	int out[2] = {-1, -1}, err[2] = {-1, -1}, ex[2] = {-1, -1};
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0) {
		r = -errno;
		goto fail_early;
	}
	pid_t pid = fork();
	if (pid < 0) {
		r = -errno;
		goto fail_early;
	}
	if (pid == 0) {
		setpgid(0, 0);
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		signal(SIGPIPE, SIG_DFL);
		execvp(av.v[0], av.v);
		int e = errno;
		if (write(ex[1], &e, sizeof(e)) < 0) {
		}
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	close(ex[1]);
	out[1] = err[1] = ex[1] = -1;
	int e = 0;
	ssize_t en = read(ex[0], &e, sizeof(e));
	close(ex[0]);
	ex[0] = -1;
	char mp[600];
	member_name(mp, sizeof(mp), "commands", name, NULL);
	r = begin_unique(w, mp, -1, json_incref(src));
	char *ebuf = NULL;
	size_t elen = 0;
	uint64_t olen = 0;
	bool timed_out = false, truncated = false;
	int64_t deadline = mono_ms() + (int64_t)(timeout_us / 1000);
	int open_fds = 2;
	struct pollfd pf[2] = {{.fd = out[0], .events = POLLIN}, {.fd = err[0], .events = POLLIN}};
	char buf[1 << 16];
	while (r >= 0 && open_fds > 0) {
		int64_t left = deadline - mono_ms();
		if (left <= 0) {
			timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		int pr = poll(pf, 2, (int)MIN(left, 1000));
		if (pr < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(pf[i].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 0) {
				size_t k = (size_t)MIN((uint64_t)n, cap - MIN(cap, olen));
				if (k < (size_t)n)
					truncated = true;
				if (k)
					r = seal_write(w, buf, k);
				olen += k;
			} else {
				size_t k = (size_t)MIN((uint64_t)n, cap - MIN(cap, elen));
				if (k < (size_t)n)
					truncated = true;
				char *nb = k ? realloc(ebuf, elen + k) : ebuf;
				if (k && nb) {
					memcpy(nb + elen, buf, k);
					ebuf = nb;
					elen += k;
				}
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	int status = 0;
	if (r < 0 || timed_out)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	if (r < 0) {
		free(ebuf);
		goto fail;
	}
	store_bundle_member_set(w, "exit_status",
	                        WIFEXITED(status) ? json_integer(WEXITSTATUS(status))
	                                          : json_null());
	store_bundle_member_set(w, "signal",
	                        WIFSIGNALED(status) ? json_integer(WTERMSIG(status)) : json_null());
	store_bundle_member_set(w, "timed_out", json_boolean(timed_out));
	store_bundle_member_set(w, "output_truncated", json_boolean(truncated));
	char emsg[300] = "";
	if (en == sizeof(e))
		snprintf(emsg, sizeof(emsg), "cannot run %s: %s", av.v[0], strerror(e));
	else if (timed_out)
		snprintf(emsg, sizeof(emsg), "killed after the %llu ms time limit",
		         (unsigned long long)(timeout_us / 1000));
	r = store_bundle_member_end(w, emsg[0] ? emsg : NULL);
	if (r == 0) {
		char sp[640];
		snprintf(sp, sizeof(sp), "%s.stderr", mp);
		json_t *s2 = json_pack("{s:s, s:s, s:s}", "kind", "command_stderr", "name", name,
		                       "asked", eq + 1);
		r = begin_unique(w, sp, (int64_t)elen, s2);
		if (r == 0)
			r = store_bundle_member_write(w, ebuf ? ebuf : "", elen);
		if (r == 0)
			r = store_bundle_member_end(w, NULL);
	}
	free(ebuf);
	if (emsg[0])
		ev_log_warning("--command %s: %s (recorded)", name, emsg);
	goto done;
fail_early:
	store_bundle_add_error(w, json_incref(src), strerror(-r));
	r = 0;
	goto done;
fail:
done:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
		if (ex[i] >= 0)
			close(ex[i]);
	}
	for (size_t i = 0; i < av.n; i++)
		free(av.v[i]);
	free(av.v);
	json_decref(src);
	return r;
}

/* The lines of `path` in the window. With a state directory whose positions.json indexes
 * this file, only the indexed byte range around the window (widened by `slack_us`) is
 * read; otherwise the whole file is scanned. */
static int seal_excerpt(struct store_bundle_writer *w, const char *path, int64_t since,
                        int64_t until, const char *state_dir, int64_t slack_us) {
	json_t *src = json_pack("{s:s, s:s, s:I, s:I}", "kind", "excerpt", "asked", path,
	                        "since_us", (json_int_t)since, "until_us", (json_int_t)until);
	char mp[600];
	member_name(mp, sizeof(mp), "excerpts", path, NULL);
	int r = begin_unique(w, mp, -1, src);
	if (r < 0)
		return r;
	struct collector_reader_opts o = {0};
	struct ev_errlist errs = {0};
	struct collector_excerpt_info ci;
	int64_t n = collector_excerpt_file_indexed(path, state_dir, &o, since, until, slack_us,
	                                           seal_write, w, &ci, &errs);
	if (n >= 0) /* how it was cut: by position (time index) or by each line's time */
		store_bundle_member_set(w, "cut",
		                        json_pack("{s:s, s:I, s:I, s:I, s:I}", "method", ci.method,
		                                  "start", (json_int_t)ci.start, "end",
		                                  (json_int_t)ci.end, "lines", (json_int_t)ci.lines,
		                                  "lines_off_window",
		                                  (json_int_t)ci.lines_off_window));
	char msg[512] = "";
	if (n < 0) {
		if (errs.n) {
			char *m = ev_error_format(&errs.v[0]);
			snprintf(msg, sizeof(msg), "%s", m ? m : strerror((int)-n));
			free(m);
		} else
			snprintf(msg, sizeof(msg), "%s", strerror((int)-n));
		ev_log_warning("--file %s: %s (recorded)", path, msg);
	}
	ev_errlist_clear(&errs);
	return store_bundle_member_end(w, msg[0] ? msg : NULL);
}

/* The journal window, read once: export format and JSON lines go to two pending members
 * at the same time, committed one after the other. */
struct journal_out {
	struct store_bundle_pending *p[2];
};

static int journal_export_write(void *ud, const void *buf, size_t len) {
	progress_bytes += len;
	return store_bundle_pending_write(((struct journal_out *)ud)->p[0], buf, len);
}

static int journal_json_write(void *ud, const void *buf, size_t len) {
	return store_bundle_pending_write(((struct journal_out *)ud)->p[1], buf, len);
}

static int seal_journal(struct store_bundle_writer *w, const char *dir, const char *file,
                        struct ev_seal_list *units, int64_t since, int64_t until) {
	static const char *const paths[2] = {"evidence/journal/journal.export",
	                                     "evidence/journal/journal.jsonl"};
	static const char *const kinds[2] = {"journal_export", "journal_json"};
	struct journal_out jo = {{NULL, NULL}};
	int r = 0;
	for (int i = 0; i < 2 && r >= 0; i++) {
		json_t *uj = json_array();
		for (size_t k = 0; k < units->n; k++)
			json_array_append_new(uj, json_string(units->v[k]));
		json_t *src = json_pack("{s:s, s:s?, s:s?, s:o, s:I, s:I}", "kind", kinds[i],
		                        "directory", dir, "file", file, "units", uj, "since_us",
		                        (json_int_t)since, "until_us", (json_int_t)until);
		r = store_bundle_pending_new(w, paths[i], src, &jo.p[i]);
	}
	if (r < 0) {
		store_bundle_pending_free(jo.p[0]);
		store_bundle_pending_free(jo.p[1]);
		return r;
	}
	struct ev_errlist errs = {0};
	const char *u[MAX_ARGS + 1]; /* NULL-terminated, as the contract wants */
	size_t nu = MIN(units->n, (size_t)MAX_ARGS);
	for (size_t i = 0; i < nu; i++)
		u[i] = units->v[i];
	u[nu] = NULL;
	int64_t n = collector_journal_export(dir, file, nu ? u : NULL, since, until,
	                                     journal_export_write, journal_json_write, &jo, &errs);
	char msg[512] = "";
	if (n < 0) {
		char *m = errs.n ? ev_error_format(&errs.v[0]) : NULL;
		snprintf(msg, sizeof(msg), "%s", m ? m : strerror((int)-n));
		free(m);
		ev_log_warning("journal: %s (recorded)", msg);
	}
	ev_errlist_clear(&errs);
	for (int i = 0; i < 2; i++) {
		json_t *f = n >= 0 ? json_pack("{s:I}", "entries", (json_int_t)n) : NULL;
		int rr = r < 0 ? (store_bundle_pending_free(jo.p[i]), json_decref(f), r)
		               : store_bundle_pending_commit(w, jo.p[i], f, msg[0] ? msg : NULL);
		if (rr < 0)
			r = rr;
	}
	return r;
}

static void rfc3339(int64_t us, char *buf, size_t len) {
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char b[32];
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06lldZ", b, (long long)(us % 1000000 + 1000000) % 1000000);
}

static int seal_run(int argc, char **argv) {
	enum {
		OPT_STORE = 0x2000,
		OPT_KEY,
		OPT_INCIDENT,
		OPT_NOTE,
		OPT_SINCE,
		OPT_UNTIL,
		OPT_JOURNAL,
		OPT_JDIR,
		OPT_JFILE,
		OPT_UNIT,
		OPT_FILE,
		OPT_COPY,
		OPT_COMMAND,
		OPT_LEVEL,
		OPT_ACTOR,
		OPT_NOIMM,
		OPT_CONFIG,
		OPT_MAXB,
		OPT_OFFLINE,
		OPT_SOCKET,
		OPT_TRIGGER,
		OPT_STATE_DIR,
	};
	static const struct option opts[] = {EV_COMMON_LONGOPTS,
	                                     {"store", required_argument, NULL, OPT_STORE},
	                                     {"key", required_argument, NULL, OPT_KEY},
	                                     {"incident", required_argument, NULL, OPT_INCIDENT},
	                                     {"note", required_argument, NULL, OPT_NOTE},
	                                     {"since", required_argument, NULL, OPT_SINCE},
	                                     {"until", required_argument, NULL, OPT_UNTIL},
	                                     {"journal", no_argument, NULL, OPT_JOURNAL},
	                                     {"journal-dir", required_argument, NULL, OPT_JDIR},
	                                     {"journal-file", required_argument, NULL, OPT_JFILE},
	                                     {"unit", required_argument, NULL, OPT_UNIT},
	                                     {"file", required_argument, NULL, OPT_FILE},
	                                     {"copy", required_argument, NULL, OPT_COPY},
	                                     {"command", required_argument, NULL, OPT_COMMAND},
	                                     {"level", required_argument, NULL, OPT_LEVEL},
	                                     {"actor", required_argument, NULL, OPT_ACTOR},
	                                     {"no-immutable", no_argument, NULL, OPT_NOIMM},
	                                     {"config", required_argument, NULL, OPT_CONFIG},
	                                     {"max-bundle-size", required_argument, NULL, OPT_MAXB},
	                                     {"offline", no_argument, NULL, OPT_OFFLINE},
	                                     {"socket", required_argument, NULL, OPT_SOCKET},
	                                     {"trigger", required_argument, NULL, OPT_TRIGGER},
	                                     {"state-dir", required_argument, NULL, OPT_STATE_DIR},
	                                     {NULL, 0, NULL, 0}};
	const char *store = NULL, *keyp = NULL, *incident = NULL, *note = NULL, *since_s = NULL,
	           *until_s = NULL, *jdir = NULL, *jfile = NULL, *actor = NULL, *config = NULL,
	           *sock = NULL, *state_dir = NULL;
	bool json = false, journal = false, immutable = true, offline = false;
	json_t *trigger = NULL;
	int level = -1;
	unsigned long long maxb = 0;
	struct ev_seal_list units = {0}, files = {0}, copies = {0}, cmds = {0};
	int c, ret = EV_EXIT_USAGE;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			ret = ev_print_help(&ev_cmd_seal);
			goto out;
		case EV_OPT_JSON:
			json = true;
			break;
		case OPT_STORE:
			store = optarg;
			break;
		case OPT_KEY:
			keyp = optarg;
			break;
		case OPT_INCIDENT:
			incident = optarg;
			break;
		case OPT_NOTE:
			note = optarg;
			break;
		case OPT_SINCE:
			since_s = optarg;
			break;
		case OPT_UNTIL:
			until_s = optarg;
			break;
		case OPT_JOURNAL:
			journal = true;
			break;
		case OPT_JDIR:
			jdir = optarg;
			journal = true;
			break;
		case OPT_JFILE:
			jfile = optarg;
			journal = true;
			break;
		case OPT_UNIT:
			strv_push(&units, optarg);
			break;
		case OPT_FILE:
			strv_push(&files, optarg);
			break;
		case OPT_COPY:
			strv_push(&copies, optarg);
			break;
		case OPT_COMMAND:
			strv_push(&cmds, optarg);
			break;
		case OPT_ACTOR:
			actor = optarg;
			break;
		case OPT_NOIMM:
			immutable = false;
			break;
		case OPT_CONFIG:
			config = optarg;
			break;
		case OPT_OFFLINE:
			offline = true;
			break;
		case OPT_STATE_DIR:
			state_dir = optarg;
			break;
		case OPT_SOCKET:
			sock = optarg;
			break;
		case OPT_TRIGGER:
			json_decref(trigger);
			trigger = json_loads(optarg, JSON_REJECT_DUPLICATES, NULL);
			if (!json_is_object(trigger)) {
				ret = ev_usage_error(&ev_cmd_seal, "--trigger takes a JSON object");
				goto out;
			}
			break;
		case OPT_LEVEL:
			if (strlen(optarg) != 1 || optarg[0] < '0' || optarg[0] > '9') {
				ret = ev_usage_error(&ev_cmd_seal, "--level must be 0..9");
				goto out;
			}
			level = optarg[0] - '0';
			break;
		case OPT_MAXB: {
			char *end = NULL;
			maxb = strtoull(optarg, &end, 10);
			if (!end || *end) {
				ret = ev_usage_error(&ev_cmd_seal,
				                     "--max-bundle-size takes a number of bytes");
				goto out;
			}
			break;
		}
		default:
			ret = ev_usage_error(&ev_cmd_seal, "invalid option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		ret = ev_usage_error(&ev_cmd_seal, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (jdir && jfile) {
		ret = ev_usage_error(&ev_cmd_seal,
		                     "--journal-dir and --journal-file exclude each other");
		goto out;
	}
	if (units.n > MAX_ARGS) {
		ret = ev_usage_error(&ev_cmd_seal, "at most %d --unit", MAX_ARGS);
		goto out;
	}
	if (units.n && !journal)
		journal = true;
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	if (ev_config_load(config, &cfg, &errs) < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		goto out;
	}
	/* Through the running agent unless told otherwise, or unless an option names
	 * something only this process can honour (its own store, key, actor, journal files,
	 * a trigger, a state directory). */
	if (!offline && !store && !keyp && !actor && !jdir && !jfile && !trigger && !state_dir) {
		const char *s = sock ? sock : cfg->agent.control_socket;
		struct ev_seal_request q = {.since_s = since_s,
		                            .until_s = until_s,
		                            .incident = incident,
		                            .note = note,
		                            .journal = journal,
		                            .immutable = immutable,
		                            .level = level,
		                            .maxb = maxb,
		                            .units = &units,
		                            .files = &files,
		                            .copies = &copies,
		                            .cmds = &cmds};
		int64_t now = now_realtime_us(), t;
		if ((since_s && ev_store_parse_time(since_s, now, &t) < 0) ||
		    (until_s && ev_store_parse_time(until_s, now, &t) < 0)) {
			ev_config_free(cfg);
			ret = ev_usage_error(&ev_cmd_seal,
			                     "--since/--until: want RFC 3339 "
			                     "(2026-01-02T03:04:05Z), now, or -15m/-2h/-1d");
			goto out;
		}
		int r = s ? ev_seal_via_agent(s, &q, json) : -ENOTCONN;
		if (r != -ENOTCONN) {
			ev_config_free(cfg);
			ret = r;
			goto out;
		}
		fprintf(stderr, "evident: no agent answers on %s; sealing in-process\n",
		        s ? s : "(no control socket configured)");
	}
	if (!store)
		store = cfg->store.path;
	if (!keyp)
		keyp = cfg->store.key;
	if (level < 0)
		level = (int)cfg->store.compression_level;
	int64_t now = now_realtime_us(), since = now - (int64_t)cfg->actions.lookback, until = now;
	if ((since_s && ev_store_parse_time(since_s, now, &since) < 0) ||
	    (until_s && ev_store_parse_time(until_s, now, &until) < 0)) {
		ev_config_free(cfg);
		ret = ev_usage_error(&ev_cmd_seal, "--since/--until: want RFC 3339 "
		                                   "(2026-01-02T03:04:05Z), now, or -15m/-2h/-1d");
		goto out;
	}
	if (since > until) {
		ev_config_free(cfg);
		ret = ev_usage_error(&ev_cmd_seal, "--since is after --until");
		goto out;
	}
	struct store_key *key = NULL;
	if (store_key_load_private(keyp, &key, &errs) < 0) {
		ev_errlist_print(&errs, stderr);
		ev_errlist_clear(&errs);
		ev_config_free(cfg);
		goto out;
	}
	char sb[40], ub[40];
	rfc3339(since, sb, sizeof(sb));
	rfc3339(until, ub, sizeof(ub));
	json_t *act = ev_store_actor(actor);
	json_t *fields = json_pack("{s:{s:s, s:s?, s:O}, s:{s:s, s:s, s:I, s:I}, s:s?}", "trigger",
	                           "kind", "manual", "incident", incident, "requester", act,
	                           "window", "since", sb, "until", ub, "since_us",
	                           (json_int_t)since, "until_us", (json_int_t)until, "note", note);
	if (trigger && fields) { /* the agent's automatic seal: rule and alerts */
		json_t *tr = json_object_get(fields, "trigger");
		const char *k;
		json_t *v;
		json_object_foreach(trigger, k, v) {
			if (strcmp(k, "requester") != 0 && strcmp(k, "incident") != 0)
				json_object_set(tr, k, v);
		}
	}
	char ver[64];
	snprintf(ver, sizeof(ver), "evident %s", PACKAGE_VERSION);
	struct store_seal_params sp = {
	        .store_dir = store,
	        .key = key,
	        .tool_version = ver,
	        .actor = act,
	        .fields = fields,
	        .level = level,
	        .max_member_size = cfg->store.max_member_size,
	        .max_bundle_size = maxb,
	        .immutable = immutable,
	};
	struct store_seal *s = NULL;
	signal(SIGXFSZ, SIG_IGN); /* a file size limit is an I/O error (EFBIG), not a kill */
	progress_on = !json && ev_stderr_is_tty();
	progress_next = 64u << 20;
	int r = store_seal_begin(&sp, &s, &errs);
	if (r < 0)
		goto fail;
	struct store_bundle_writer *w = store_seal_writer(s);
	for (size_t i = 0; r >= 0 && i < copies.n; i++)
		r = seal_copy(w, copies.v[i]);
	for (size_t i = 0; r >= 0 && i < cmds.n; i++)
		r = seal_command(w, cmds.v[i], cfg->store.command_timeout,
		                 cfg->store.command_output_cap);
	/* the agent's time index cuts excerpts; lines later than allowed_lateness are the
	 * engine's limit too */
	const char *sdir = state_dir ? state_dir : cfg->agent.state_dir;
	int64_t slack = (int64_t)cfg->rules.allowed_lateness;
	for (size_t i = 0; r >= 0 && i < files.n; i++) {
		glob_t g = {0};
		int gr = glob(files.v[i], GLOB_NOSORT, NULL, &g);
		bool is_glob = strpbrk(files.v[i], "*?[") != NULL;
		if (gr == 0 && !is_glob) { /* rotated generations of a plain path */
			char pat[4200];
			snprintf(pat, sizeof(pat), "%s.[0-9]*", files.v[i]);
			glob(pat, GLOB_APPEND | GLOB_NOSORT, NULL, &g);
		}
		if (gr != 0 && !is_glob)
			r = seal_excerpt(w, files.v[i], since, until, sdir,
			                 slack); /* records why it failed */
		else if (gr != 0)
			r = store_bundle_add_error(
			        w, json_pack("{s:s, s:s}", "kind", "excerpt", "asked", files.v[i]),
			        "no file matches");
		for (size_t k = 0; r >= 0 && gr == 0 && k < g.gl_pathc; k++)
			r = seal_excerpt(w, g.gl_pathv[k], since, until, sdir, slack);
		globfree(&g);
	}
	if (r >= 0 && journal)
		r = seal_journal(w, jdir, jfile, &units, since, until);
	if (r < 0) {
		ev_errlist_add(
		        &errs, store, 0, 0,
		        "sealing failed: %s; nothing was sealed, the chain head is unchanged",
		        strerror(-r));
		store_seal_abort(s);
		goto fail;
	}
	if (progress_on && progress_bytes >= (64u << 20))
		fprintf(stderr, "\n");
	struct store_seal_result res;
	r = store_seal_commit(s, &res, &errs);
	if (r < 0 && !res.path[0])
		goto fail;
	if (json)
		printf("{\"bundle\":\"%s\",\"bundle_id\":\"%s\",\"sequence\":%llu,\"manifest_"
		       "sha256\":\"%s\","
		       "\"bundle_sha256\":\"%s\",\"members\":%zu,\"immutable\":%s,\"chain_reset\":%"
		       "s}\n",
		       res.path, res.bundle_id, (unsigned long long)res.sequence,
		       res.manifest_sha256, res.bundle_sha256, res.n_members,
		       res.immutable ? "true" : "false", res.chain_reset ? "true" : "false");
	else {
		printf("%s\n", res.path);
		printf("bundle_id %s\nsequence %llu\nmanifest_sha256 %s\n", res.bundle_id,
		       (unsigned long long)res.sequence, res.manifest_sha256);
		if (res.chain_reset)
			fprintf(stderr, "evident: chain state was lost; a signed chain_reset entry "
			                "was recorded\n");
		if (immutable && !res.immutable)
			fprintf(stderr, "evident: immutable flag not set (%s); recorded\n",
			        res.immutable_note);
	}
	if (errs.n)
		ev_errlist_print(&errs, stderr);
	ret = r < 0 ? EV_EXIT_USAGE : EV_EXIT_OK;
	goto done;
fail:
	ev_errlist_print(&errs, stderr);
	ret = EV_EXIT_USAGE;
done:
	ev_errlist_clear(&errs);
	json_decref(act);
	store_key_free(key);
	ev_config_free(cfg);
out:
	json_decref(trigger);
	free(units.v);
	free(files.v);
	free(copies.v);
	free(cmds.v);
	return ret;
}

const struct ev_command ev_cmd_seal = {
        .name = "seal",
        .summary = "seal evidence for a time window into a signed, chained bundle",
        .run = seal_run,
        .usage = "Usage: evident seal [--store DIR] [--key FILE] [--incident ID] [--note TEXT]\n"
                 "                    [--since T] [--until T] [--journal | --journal-dir D |\n"
                 "                    --journal-file F] [--unit U]... [--file PATH|GLOB]...\n"
                 "                    [--copy PATH]... [--command NAME=CMD]... [--json]\n"
                 "                    [--offline | --socket PATH]\n"
                 "\n"
                 "Collect the evidence of a time window and seal it into a new bundle in the\n"
                 "store: journal entries (export format and JSON lines), file excerpts cut by\n"
                 "byte range (rotated and .gz generations of a plain PATH included), whole\n"
                 "files, and command output (run without a shell, with the configured time\n"
                 "limit and output cap; exit status and stderr recorded). A source that fails\n"
                 "is recorded in the manifest and the seal completes. Prints the bundle path,\n"
                 "id, sequence and manifest hash.\n"
                 "\n"
                 "When the agent answers on its control socket, it seals (a seal request with\n"
                 "these options; the agent adds its actions.seal_commands and seal_files, and\n"
                 "without --file/--journal/--unit it seals its configured sources) and the\n"
                 "custody ledger names you as the requester. When no agent runs, the seal is\n"
                 "made in this process (said on stderr). --store, --key, --actor,\n"
                 "--journal-dir, --journal-file and --state-dir imply --offline.\n"
                 "\n"
                 "  --store DIR         evidence store (default: store.path)\n"
                 "  --key FILE          Ed25519 private key, mode 0600 (default: store.key)\n"
                 "  --since T, --until T  window: RFC 3339, now, or relative (-15m, -2h, -1d);\n"
                 "                      default: the last actions.lookback until now\n"
                 "  --incident ID       incident id recorded in the trigger\n"
                 "  --note TEXT         free text recorded in the manifest\n"
                 "  --actor NAME        who is sealing (recorded in the custody entry)\n"
                 "  --level N           gzip level 0..9 (default: store.compression_level)\n"
                 "  --no-immutable      do not set the immutable flag on the bundle\n"
                 "  --max-bundle-size N refuse bundles larger than N bytes\n"
                 "  --config FILE       configuration (default: the embedded one)\n"
                 "  --offline           seal in this process, not through the agent\n"
                 "  --state-dir DIR     the agent's state (default: agent.state_dir): file\n"
                 "                      excerpts are cut with its time index, widened by\n"
                 "                      rules.allowed_lateness; without one, files are scanned\n"
                 "  --socket PATH       the agent's control socket (default:\n"
                 "                      agent.control_socket)\n"
                 "  --trigger JSON      keys added to the manifest's trigger (the agent's\n"
                 "                      automatic seals: rule and alerts); implies --offline\n"
                 "  --json              machine-readable output\n"
                 "  -h, --help          show this help\n",
};
