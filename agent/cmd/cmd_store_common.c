/* Shared plumbing of the store commands; see cmd_store_common.h. */
#include "config.h"

#include <getopt.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/cmd/cmd_store_common.h"
#include "agent/settings.h"
#include "agent/term.h"
#include "util/macro.h"

json_t *ev_store_actor(const char *name) {
	char host[256] = "", exe[4096] = "";
	gethostname(host, sizeof(host) - 1);
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	struct passwd pw, *res = NULL;
	char buf[4096];
	getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res);
	return json_pack("{s:I, s:s?, s:I, s:s, s:s, s:s?}", "uid", (json_int_t)getuid(), "user",
	                 res ? res->pw_name : NULL, "pid", (json_int_t)getpid(), "executable", exe,
	                 "host", host, "name", name);
}

int ev_store_keyring(char **pubs, size_t n_pubs, const char *store_dir, struct store_keyring *kr) {
	for (size_t i = 0; i < n_pubs; i++) {
		struct ev_errlist errs = {0};
		struct store_key *k = NULL;
		int r = store_key_load_public(pubs[i], &k, &errs);
		if (r < 0) {
			ev_errlist_print(&errs, stderr);
			ev_errlist_clear(&errs);
			return EV_EXIT_USAGE;
		}
		store_keyring_add(kr, k, true);
	}
	if (!n_pubs && store_dir)
		store_trusted_keys(store_dir, kr, NULL);
	return 0;
}

int ev_store_record(const char *store_dir, const char *custody_log, const char *key_path,
                    const char *action, const char *bundle, json_t *details,
                    const char *actor_name) {
	struct ev_errlist errs = {0};
	struct store_key *key = NULL;
	int r;
	char *cfg_key = NULL;
	if (!key_path) {
		struct ev_config *cfg = NULL;
		if (ev_config_load(NULL, &cfg, &errs) == 0 && cfg->store.key)
			cfg_key = strdup(cfg->store.key);
		ev_config_free(cfg);
		ev_errlist_clear(&errs);
	}
	if (bundle && strrchr(bundle, '/'))
		bundle = strrchr(bundle, '/') + 1; /* bundles are named by their file name */
	const char *kp = key_path ? key_path : cfg_key;
	r = kp ? store_key_load_private(kp, &key, &errs) : -ENOKEY;
	if (r == 0) {
		json_t *actor = ev_store_actor(actor_name);
		if (custody_log)
			r = store_ledger_append(custody_log, key, action, bundle, details, actor,
			                        &errs);
		else if (store_dir)
			r = store_record(store_dir, key, action, bundle, details, actor, &errs);
		else {
			json_decref(details);
			r = -ENOENT;
		}
		details = NULL;
		json_decref(actor);
	}
	json_decref(details);
	if (r < 0) {
		char *why = errs.n ? ev_error_format(&errs.v[0]) : NULL;
		ev_log_warning("'%s' not recorded in the custody ledger (%s); keep your own ledger "
		               "with --custody-log FILE --key YOUR.key, or pass --no-record",
		               action,
		               why   ? why
		               : !kp ? "no signing key"
		                     : strerror(-r));
		free(why);
	}
	ev_errlist_clear(&errs);
	store_key_free(key);
	free(cfg_key);
	return r;
}

int ev_store_read_record(const struct ev_store_read_opts *o, const char *store_dir,
                         const char *action, const char *bundle, json_t *details) {
	if (o->no_record) {
		json_decref(details);
		return 0;
	}
	return ev_store_record(store_dir, o->log, o->key, action, bundle, details, o->actor);
}

/* Human output: findings that share a code and a message are one line,
 * "CODE xN: FIRST ... LAST: message", in the order of their first occurrence. */
static void print_grouped(const struct store_report *rep, const char *red, const char *off) {
	json_t *index = json_object();
	size_t *count = calloc(rep->n ? rep->n : 1, sizeof(*count)),
	       *last = calloc(rep->n ? rep->n : 1, sizeof(*last));
	for (size_t i = 0; index && count && last && i < rep->n; i++) {
		_cleanup_free_ char *key = NULL;
		if (asprintf(&key, "%d %s", (int)rep->v[i].code, rep->v[i].msg ?: "") < 0)
			break;
		json_t *at = json_object_get(index, key);
		size_t g = at ? (size_t)json_integer_value(at) : i;
		if (!at)
			json_object_set_new(index, key, json_integer((json_int_t)i));
		count[g]++;
		last[g] = i;
	}
	for (size_t i = 0; i < rep->n; i++) {
		const struct store_finding *f = &rep->v[i];
		size_t c = count && last ? count[i] : 1;
		if (c == 1)
			printf("%s%s%s %s: %s\n", red, store_finding_name(f->code), off,
			       f->where ?: "-", f->msg ?: "");
		else if (c > 1)
			printf("%s%s%s x%zu: %s ... %s: %s\n", red, store_finding_name(f->code),
			       off, c, f->where ?: "-", rep->v[last[i]].where ?: "-", f->msg ?: "");
	}
	json_decref(index);
	free(count);
	free(last);
}

int ev_store_summary(const struct store_report *rep, char *buf, size_t len) {
	size_t per[_STORE_FINDING_MAX] = {0};
	for (size_t i = 0; i < rep->n; i++)
		if ((unsigned)rep->v[i].code < _STORE_FINDING_MAX)
			per[rep->v[i].code]++;
	size_t o = 0;
	buf[0] = 0;
	for (size_t c = 0; c < _STORE_FINDING_MAX && o < len; c++)
		if (per[c]) {
			int k = snprintf(buf + o, len - o, "%s%s x%zu", o ? ", " : "",
			                 store_finding_name((enum store_finding_code)c), per[c]);
			if (k < 0)
				break;
			o += (size_t)k;
		}
	return 0;
}

int ev_store_print_report(const struct store_report *rep, bool json, json_t *extra) {
	bool ok = rep->n == 0 && rep->dropped == 0;
	if (json) {
		json_t *w = json_array();
		for (size_t i = 0; i < rep->n_warnings; i++)
			json_array_append_new(w, json_string(rep->warnings[i]));
		json_t *o = json_pack("{s:b, s:o, s:o}", "ok", ok, "findings",
		                      store_report_json(rep), "warnings", w);
		if (extra)
			json_object_update(o, extra);
		char *t = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
		printf("%s\n", t ? t : "{}");
		free(t);
		json_decref(o);
	} else {
		const char *red = ev_term_on(stdout, EV_COLOR_RED),
		           *yellow = ev_term_on(stdout, EV_COLOR_YELLOW),
		           *off = ev_term_off(stdout);
		print_grouped(rep, red, off);
		if (rep->dropped)
			printf("... and %zu more findings\n", rep->dropped);
		for (size_t i = 0; i < rep->n_warnings; i++)
			printf("%swarning:%s %s\n", yellow, off, rep->warnings[i]);
	}
	return ok ? EV_EXIT_OK : EV_EXIT_FINDING;
}

char *ev_store_of_bundle(const char *bundle_path) {
	char *a = strdup(bundle_path);
	if (!a)
		return NULL;
	char *d = dirname(a);
	size_t l = strlen(d);
	char *res = NULL;
	if ((l >= 8 && !strcmp(d + l - 8, "/bundles")) || !strcmp(d, "bundles")) {
		char *b = strdup(d);
		if (b) {
			res = strdup(dirname(b));
			free(b);
		}
	}
	free(a);
	return res;
}

int ev_store_verify_bundle(const char *path, struct store_keyring *kr, struct store_report *rep,
                           struct store_bundle_info *info) {
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int r = -errno;
		ev_log_error("cannot open %s: %s", path, strerror(errno));
		return r;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) { /* a FIFO would hang the read */
		ev_log_error("%s is not a regular file (expected a bundle .tar.gz or a store "
		             "directory)",
		             path);
		close(fd);
		return -EINVAL;
	}
	struct ev_errlist errs = {0};
	struct ev_config *cfg = NULL;
	struct store_verify_limits lim = {0};
	if (ev_config_load(NULL, &cfg, &errs) == 0)
		lim.max_member_size = cfg->store.max_member_size;
	ev_config_free(cfg);
	ev_errlist_clear(&errs);
	int r = store_bundle_verify_fd(fd, path, kr, &lim, NULL, rep, info);
	close(fd);
	if (r < 0)
		ev_log_error("cannot read %s: %s", path, store_strerror(r));
	return r;
}

int ev_store_read_bundle(const struct ev_store_read_opts *o, const char *store_dir,
                         const char *bundle, json_t *extra, const char *consequence,
                         struct store_keyring *kr, struct store_report *rep,
                         struct store_bundle_info *info) {
	int ret = ev_store_keyring((char **)o->pubs, o->n_pubs, store_dir, kr);
	if (ret)
		return ret;
	if (ev_store_verify_bundle(bundle, kr, rep, info) < 0)
		return EV_EXIT_USAGE;
	if (rep->n || !info->authenticated) {
		if (!rep->n)
			store_report_add(rep, STORE_UNKNOWN_KEY, bundle, "no trusted key");
		ev_store_print_report(rep, o->json, extra);
		ev_log_error("%s does not verify; %s", bundle, consequence);
		return EV_EXIT_FINDING;
	}
	return -1;
}

int ev_store_read_opt(const struct ev_command *cmd, int c, char **argv,
                      struct ev_store_read_opts *o) {
	switch (c) {
	case 'h':
		return ev_print_help(cmd);
	case EV_OPT_JSON:
		o->json = true;
		return -1;
	case EV_SOPT_PUB:
		if (o->n_pubs >= ELEMENTSOF(o->pubs))
			return ev_usage_error(cmd, "too many --pub (at most %zu)",
			                      ELEMENTSOF(o->pubs));
		o->pubs[o->n_pubs++] = optarg;
		return -1;
	case EV_SOPT_KEY:
		o->key = optarg;
		return -1;
	case EV_SOPT_LOG:
		o->log = optarg;
		return -1;
	case EV_SOPT_ACTOR:
		o->actor = optarg;
		return -1;
	case EV_SOPT_NOREC:
		o->no_record = true;
		return -1;
	default:
		return ev_option_error(cmd, argv);
	}
}

int ev_store_read_check(const struct ev_command *cmd, const struct ev_store_read_opts *o) {
	if (o->no_record && (o->log || o->key))
		return ev_usage_error(cmd,
		                      "--no-record records nothing: drop --custody-log and --key");
	if (o->log && !o->key)
		return ev_usage_error(
		        cmd, "--custody-log FILE needs --key FILE: your own key signs your "
		             "own ledger (make one with 'evident keygen --out DIR')");
	return -1;
}

int ev_store_member_create(int dirfd, const char *path, int *ret_parent, char *leaf,
                           size_t leaf_size) {
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s", path);
	int d = dup(dirfd);
	char *p = tmp;
	for (char *s; d >= 0 && (s = strchr(p, '/')); p = s + 1) {
		*s = 0;
		if (mkdirat(d, p, 0750) < 0 && errno != EEXIST) {
			close(d);
			d = -1;
			break;
		}
		int nd = openat(d, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(d);
		d = nd;
	}
	if (d < 0) {
		int r = -errno;
		ev_log_error("%s: cannot create its directory: %s", path, strerror(-r));
		return r;
	}
	int fd = openat(d, p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0440);
	if (fd < 0) {
		int r = -errno;
		ev_log_error("%s: cannot create: %s", path, strerror(-r));
		close(d);
		return r;
	}
	*ret_parent = d;
	snprintf(leaf, leaf_size, "%s", p);
	return fd;
}

json_t *ev_store_manifest_member(json_t *manifest, const char *path) {
	json_t *mem = json_object_get(manifest, "members");
	for (size_t i = 0; i < json_array_size(mem); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(mem, i), "path"))
		                    ?: "",
		            path))
			return json_array_get(mem, i);
	return NULL;
}

int ev_store_member_pass(const char *bundle, const struct store_keyring *kr,
                         const struct store_member_sink *sink, struct store_report *rep, int *fd,
                         int *parent, const char *leaf) {
	int bfd = open(bundle, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (bfd < 0) {
		int r = -errno;
		ev_log_error("cannot open %s: %s", bundle, strerror(-r));
		return r;
	}
	int r = store_bundle_verify_fd(bfd, bundle, kr, NULL, sink, rep, NULL);
	close(bfd);
	if (*fd >= 0) { /* stopped inside a member: nothing half-written stays */
		close(*fd);
		unlinkat(*parent, leaf, 0);
		*fd = -1;
	}
	if (*parent >= 0)
		close(*parent);
	*parent = -1;
	return r;
}

int ev_store_out_open(struct ev_store_out *x, const struct ev_command *cmd,
                      const struct ev_store_read_opts *o, int argc, char **argv, const char *to,
                      const char *consequence) {
	*x = (struct ev_store_out){.bundle = argv[optind],
	                           .to = to,
	                           .want = argv + optind + 1,
	                           .n_want = (size_t)(argc - optind - 1),
	                           .dirfd = -1,
	                           .fd = -1,
	                           .parent = -1};
	x->store = ev_store_of_bundle(x->bundle);
	x->extra = json_pack("{s:s, s:s}", "bundle", x->bundle, "to", to);
	int ret = ev_store_read_bundle(o, x->store, x->bundle, x->extra, consequence, &x->kr,
	                               &x->rep, &x->info);
	if (ret >= 0)
		return ret;
	for (size_t i = 0; i < x->n_want; i++)
		if (!ev_store_manifest_member(x->info.manifest, x->want[i]))
			return ev_usage_error(cmd, "no member '%s' in %s", x->want[i], x->bundle);
	return -1;
}

int ev_store_out_write(struct ev_store_out *x, bool json, const struct store_member_sink *sink,
                       const char *what) {
	if ((mkdir(x->to, 0750) < 0 && errno != EEXIST) ||
	    (x->dirfd = open(x->to, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		int r = -errno;
		ev_log_error("cannot create or open %s: %s", x->to, strerror(-r));
		return r;
	}
	store_report_clear(&x->rep);
	if (json && !(x->done = json_array()))
		return -ENOMEM;
	int r = ev_store_member_pass(x->bundle, &x->kr, sink, &x->rep, &x->fd, &x->parent, x->leaf);
	if (r < 0)
		ev_log_error("%s stopped: %s", what, store_strerror(x->err ? x->err : r));
	return r;
}

int ev_store_out_begin(struct ev_store_out *x, const char *path) {
	bool sel = x->n_want == 0;
	for (size_t i = 0; !sel && i < x->n_want; i++)
		sel = !strcmp(x->want[i], path);
	if (!sel || !store_member_path_valid(path))
		return 1;
	x->fd = ev_store_member_create(x->dirfd, path, &x->parent, x->leaf, sizeof(x->leaf));
	if (x->fd < 0) {
		x->err = x->fd;
		x->fd = -1;
		return -EIO;
	}
	return 0;
}

bool ev_store_out_unchanged(const struct ev_store_out *x, const char *path,
                            const uint8_t sha[STORE_HASH_LEN]) {
	char hex[STORE_HEX_LEN + 1];
	store_hex(sha, STORE_HASH_LEN, hex);
	const char *want = json_string_value(
	        json_object_get(ev_store_manifest_member(x->info.manifest, path), "sha256"));
	return want && !strcmp(want, hex);
}

int ev_store_out_end(struct ev_store_out *x, const char *path, const char *why) {
	int r = fsync(x->fd) < 0 ? -errno : 0;
	close(x->fd);
	x->fd = -1;
	if (why) {
		unlinkat(x->parent, x->leaf, 0);
		store_report_add(&x->rep, STORE_MEMBER_MODIFIED, path, "%s; removed", why);
	} else {
		if (x->done)
			json_array_append_new(x->done, json_string(path));
		else
			printf("%s\n", path);
		x->written++;
	}
	close(x->parent);
	x->parent = -1;
	return r;
}

int ev_store_out_finish(struct ev_store_out *x, const struct ev_store_read_opts *o,
                        const char *action, json_t *details) {
	if (x->done)
		json_object_set(x->extra, "members", x->done);
	int ret = x->rep.n || x->done ? ev_store_print_report(&x->rep, o->json, x->extra)
	                              : EV_EXIT_OK;
	ev_store_read_record(o, x->store, action, x->bundle, details);
	return ret;
}

void ev_store_out_done(struct ev_store_out *x) {
	if (!x)
		return;
	if (x->fd >= 0)
		close(x->fd);
	if (x->parent >= 0)
		close(x->parent);
	if (x->dirfd >= 0)
		close(x->dirfd);
	json_decref(x->done);
	json_decref(x->extra);
	store_bundle_info_clear(&x->info);
	store_report_clear(&x->rep);
	store_keyring_clear(&x->kr);
	free(x->store);
	*x = (struct ev_store_out){.dirfd = -1, .fd = -1, .parent = -1};
}
