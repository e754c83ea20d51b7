/* The persisted delivery queue (outbox.h). Files are written with a temporary name, fsync
 * and rename, and the directory is synced, the way store/ places evidence. */
#include "config.h"

#include "agent/notify/outbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/incident/incident.h"
#include "agent/notify/channel.h"
#include "agent/notify/deliver.h"
#include "store/crypto.h"
#include "store/ledger.h"
#include "util/clock.h"
#include "util/io.h"
#include "util/macro.h"

#define ITEM_CAP  (4u << 20)
#define MAX_ITEMS 100000

static const char *jstr(const json_t *o, const char *k) {
	return json_string_value(json_object_get(o, k));
}

int ev_notify_env_init(const struct ev_config *cfg, const char *state_dir,
                       struct ev_notify_env *ret) {
	struct ev_notify_env e = {0};
	e.state_dir = strdup(state_dir);
	e.key_path = cfg->store.key ? strdup(cfg->store.key) : NULL;
	e.channels = cfg->notify.channels ? json_deep_copy(cfg->notify.channels) : json_array();
	e.services = json_array();
	for (size_t i = 0; i < cfg->incidents.services.n; i++) {
		const char *s = cfg->incidents.services.v[i];
		size_t n = strcspn(s, ":");
		json_array_append_new(e.services, json_stringn(s, n));
	}
	if (gethostname(e.hostname, sizeof(e.hostname) - 1) < 0)
		snprintf(e.hostname, sizeof(e.hostname), "localhost");
	if (!e.state_dir || !e.channels || !e.services) {
		ev_notify_env_done(&e);
		return -ENOMEM;
	}
	*ret = e;
	return 0;
}

void ev_notify_env_done(struct ev_notify_env *env) {
	free(env->state_dir);
	free(env->key_path);
	json_decref(env->channels);
	json_decref(env->services);
	*env = (struct ev_notify_env){0};
}

static int mkdirs(const char *state) {
	char p[4096];
	const char *subs[] = {"", "/notify", "/notify/outbox", "/notify/sent"};
	for (size_t i = 0; i < ELEMENTSOF(subs); i++) {
		snprintf(p, sizeof(p), "%s%s", state, subs[i]);
		if (mkdir(p, 0750) < 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

static void item_path(const struct ev_notify_env *env, const char *box, const char *id, char *buf,
                      size_t len) {
	snprintf(buf, len, "%s/notify/%s/%s.json", env->state_dir, box, id);
}

int ev_notify_write_atomic(const char *path, const void *data, size_t len, mode_t mode) {
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	int r = fd < 0 ? -errno : ev_write_all(fd, data, len);
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s", path);
	char *sl = strrchr(dir, '/');
	if (sl) {
		*sl = 0;
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	return 0;
}

static int write_json_atomic(const char *path, const json_t *o) {
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!s)
		return -ENOMEM;
	int r = ev_notify_write_atomic(path, s, strlen(s), 0640);
	free(s);
	return r;
}

static json_t *read_json(const char *path) {
	char *buf = NULL;
	size_t len = 0;
	if (store_read_file(path, ITEM_CAP, &buf, &len) < 0)
		return NULL;
	json_t *o = json_loadb(buf, len, 0, NULL);
	free(buf);
	return json_is_object(o) ? o : (json_decref(o), NULL);
}

int ev_notify_enqueue(const struct ev_notify_env *env, json_t *item, char *ret_id,
                      struct ev_errlist *errs) {
	const json_t *ch = ev_notify_channel_find(env->channels, jstr(item, "channel"));
	int r;
	if (!ch) {
		ev_errlist_add(errs, NULL, 0, 0, "no channel '%s' in notify.channels",
		               jstr(item, "channel") ?: "");
		r = -ENOENT;
		goto out;
	}
	const char *aud = jstr(item, "audience");
	if (json_object_get(item, "message") && ev_notify_needs_approval(ch, aud ? aud : "") &&
	    !json_object_get(item, "approver")) {
		ev_errlist_add(errs, NULL, 0, 0,
		               "a %s message on channel '%s' leaves only with a recorded approval",
		               aud ? aud : "public", jstr(ch, "name"));
		r = -EPERM;
		goto out;
	}
	if ((r = mkdirs(env->state_dir)) < 0) {
		ev_errlist_add(errs, NULL, 0, 0, "%s/notify: %s", env->state_dir, strerror(-r));
		goto out;
	}
	int64_t now = ev_now_realtime_us();
	uint32_t rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), 0) < 0)
		rnd = (uint32_t)getpid();
	char id[EV_NOTIFY_ID_MAX];
	snprintf(id, sizeof(id), "%016llx-%08x", (unsigned long long)now, rnd);
	json_object_set_new(item, "id", json_string(id));
	json_object_set_new(item, "created_us", json_integer(now));
	json_object_set_new(item, "attempts", json_integer(0));
	json_object_set_new(item, "next_attempt_us", json_integer(now));
	char *bytes = NULL;
	size_t len = 0;
	if ((r = ev_notify_payload(ch, item, env->hostname, &bytes, &len)) < 0)
		goto out;
	uint8_t h[STORE_HASH_LEN];
	char hx[STORE_HEX_LEN + 1];
	store_sha256(bytes, len, h);
	store_hex(h, STORE_HASH_LEN, hx);
	json_object_set_new(item, "bytes", json_stringn(bytes, len));
	json_object_set_new(item, "sha256", json_string(hx));
	json_object_set_new(item, "channel_type", json_string(jstr(ch, "type")));
	free(bytes);
	char path[4096];
	item_path(env, "outbox", id, path, sizeof(path));
	if ((r = write_json_atomic(path, item)) < 0) {
		ev_errlist_add(errs, NULL, 0, 0, "%s: %s", path, strerror(-r));
		goto out;
	}
	if (ret_id)
		snprintf(ret_id, EV_NOTIFY_ID_MAX, "%s", id);
out:
	json_decref(item);
	return r;
}

/* The ledger entry for a final item about an incident. */
static int record(const struct ev_notify_env *env, struct store_key **key, const json_t *it) {
	const char *inc = jstr(it, "incident");
	if (!inc)
		return 0;
	struct ev_errlist errs = {0};
	int r = 0;
	if (!*key &&
	    (!env->key_path || (r = store_key_load_private(env->key_path, key, &errs)) < 0)) {
		ev_errlist_clear(&errs);
		return r < 0 ? r : -ENOKEY;
	}
	const json_t *m = json_object_get(it, "message");
	json_t *p = json_pack(
	        "{s:s?, s:s?, s:s?, s:O?, s:s?, s:s?, s:s?, s:s?, s:I, s:s?}", "audience",
	        jstr(it, "audience"), "channel", jstr(it, "channel"), "channel_type",
	        jstr(it, "channel_type"), "approver", json_object_get(it, "approver"), "sha256",
	        jstr(it, "sha256"), "result", jstr(it, "result"), "detail", jstr(it, "detail"),
	        "message_id", jstr(it, "id"), "attempts",
	        json_integer_value(json_object_get(it, "attempts")), "subject", jstr(m, "subject"));
	if (jstr(it, "text") && *jstr(it, "text"))
		json_object_set_new(p, "text", json_string(jstr(it, "text")));
	if (json_object_get(it, "event"))
		json_object_set_new(
		        p, "event",
		        json_string(jstr(json_object_get(it, "event"), "kind") ?: "alert"));
	if (json_is_true(json_object_get(m, "drill")))
		json_object_set_new(p, "drill", json_true());
	r = ev_incident_append(env->state_dir, inc, *key, m ? "update_sent" : "notified", NULL, p,
	                       json_object_get(it, "actor"), &errs);
	ev_errlist_clear(&errs);
	return r;
}

/* Make an item final: sent/ID.json, the ledger entry, "recorded", remove the outbox file. */
static int finish(const struct ev_notify_env *env, struct store_key **key, json_t *it,
                  const char *outbox_path) {
	char path[4096];
	item_path(env, "sent", jstr(it, "id"), path, sizeof(path));
	int r = 0;
	if (!json_is_true(json_object_get(it, "final"))) {
		json_object_set_new(it, "final", json_true());
		if ((r = write_json_atomic(path, it)) < 0)
			return r;
	}
	if (!json_is_true(json_object_get(it, "recorded"))) {
		r = record(env, key, it);
		if (r < 0)
			json_object_set_new(it, "record_error", json_string(strerror(-r)));
		json_object_set_new(it, "recorded", json_boolean(r >= 0));
		if ((r = write_json_atomic(path, it)) < 0)
			return r;
	}
	unlink(outbox_path);
	return 1;
}

static int cmp_str(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .json names of a queue directory, sorted (oldest first). */
static char **list_box(const struct ev_notify_env *env, const char *box, size_t *ret_n) {
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/notify/%s", env->state_dir, box);
	*ret_n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char **v = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < MAX_ITEMS) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".json"))
			continue;
		char **nv = realloc(v, (n + 1) * sizeof(char *));
		if (!nv)
			break;
		v = nv;
		if (!(v[n] = strndup(de->d_name, l - 5)))
			break;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(char *), cmp_str);
	*ret_n = n;
	return v;
}

static void free_list(char **v, size_t n) {
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int64_t backoff(const json_t *ch, int64_t attempts) {
	int64_t b = json_integer_value(json_object_get(ch, "retry_backoff_us"));
	int64_t max = json_integer_value(json_object_get(ch, "retry_max_backoff_us"));
	for (int64_t i = 1; i < attempts && b < max; i++)
		b *= 2;
	return b < max ? b : max;
}

/* One attempt at one queued item. 1 final, 0 still queued, -errno. */
static int attempt(const struct ev_notify_env *env, struct store_key **key, json_t *it,
                   const char *path) {
	const json_t *ch = ev_notify_channel_find(env->channels, jstr(it, "channel"));
	char *detail = NULL;
	int r;
	int64_t n = json_integer_value(json_object_get(it, "attempts")) + 1;
	json_object_set_new(it, "attempts", json_integer(n));
	if (!ch) {
		r = -ENOENT;
		detail = strdup("the channel is no longer configured");
	} else {
		struct ev_notify_ctx ctx = {env->state_dir, env->services, env->hostname};
		const char *b = jstr(it, "bytes");
		r = ev_notify_send(&ctx, ch, it, b ? b : "",
		                   json_string_length(json_object_get(it, "bytes")), &detail);
	}
	json_object_set_new(it, "detail", json_string(detail ? detail : "?"));
	free(detail);
	int64_t now = ev_now_realtime_us();
	int64_t max = ch ? json_integer_value(json_object_get(ch, "retry_max")) : 0;
	if (r == -EAGAIN && n < (max > 0 ? max : 1)) {
		json_object_set_new(it, "next_attempt_us", json_integer(now + backoff(ch, n)));
		int w = write_json_atomic(path, it);
		return w < 0 ? w : 0;
	}
	json_object_set_new(it, "result", json_string(r ? "failed" : "delivered"));
	json_object_set_new(it, "final_us", json_integer(now));
	return finish(env, key, it, path);
}

int ev_notify_flush(const struct ev_notify_env *env, const char *only_id, bool force,
                    bool (*stop)(void *), void *ud, json_t *ret_final) {
	int r = mkdirs(env->state_dir);
	if (r < 0)
		return r;
	char lp[4096];
	snprintf(lp, sizeof(lp), "%s/notify/lock", env->state_dir);
	int lfd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (lfd < 0)
		return -errno;
	if (flock(lfd, LOCK_EX) < 0) {
		r = -errno;
		close(lfd);
		return r;
	}
	size_t n;
	char **ids = list_box(env, "outbox", &n);
	struct store_key *key = NULL;
	int done = 0;
	int64_t now = ev_now_realtime_us();
	for (size_t i = 0; i < n && !(stop && stop(ud)); i++) {
		if (only_id && strcmp(only_id, ids[i]))
			continue;
		char path[4096], sent[4096];
		item_path(env, "outbox", ids[i], path, sizeof(path));
		item_path(env, "sent", ids[i], sent, sizeof(sent));
		json_t *it = read_json(sent); /* final already: finish the sequence, never resend */
		if (it)
			r = finish(env, &key, it, path);
		else if (!(it = read_json(path)))
			continue;
		else if (!force && json_integer_value(json_object_get(it, "next_attempt_us")) > now)
			r = 0;
		else
			r = attempt(env, &key, it, path);
		if (r > 0) {
			done++;
			if (ret_final)
				json_array_append(ret_final, it);
		}
		json_decref(it);
	}
	store_key_free(key);
	free_list(ids, n);
	close(lfd);
	return done;
}

static json_t *counts(json_t *st, const char *ch) {
	json_t *c = json_object_get(st, ch);
	if (!c)
		json_object_set_new(
		        st, ch,
		        c = json_pack("{s:i, s:i, s:i}", "queued", 0, "delivered", 0, "failed", 0));
	return c;
}

static void bump(json_t *c, const char *k) {
	json_object_set_new(c, k, json_integer(json_integer_value(json_object_get(c, k)) + 1));
}

json_t *ev_notify_stats(const struct ev_notify_env *env) {
	json_t *st = json_object();
	size_t i;
	json_t *ch;
	json_array_foreach(env->channels, i, ch) counts(st, jstr(ch, "name"));
	const char *boxes[] = {"outbox", "sent"};
	for (size_t b = 0; b < 2; b++) {
		size_t n;
		char **ids = list_box(env, boxes[b], &n);
		for (size_t k = 0; k < n; k++) {
			char path[4096];
			item_path(env, boxes[b], ids[k], path, sizeof(path));
			json_t *it = read_json(path);
			const char *c = jstr(it, "channel");
			if (c && b == 0)
				bump(counts(st, c), "queued");
			else if (c)
				bump(counts(st, c), !strcmp(jstr(it, "result") ?: "", "delivered")
				                            ? "delivered"
				                            : "failed");
			json_decref(it);
		}
		free_list(ids, n);
	}
	return st;
}

int ev_notify_queue_event(const struct ev_config *cfg, const char *state_dir, const char *event,
                          const char *incident, const json_t *details, const json_t *actor) {
	if (!json_array_size(cfg->notify.channels))
		return 0;
	struct ev_notify_env env;
	int r = ev_notify_env_init(cfg, state_dir, &env);
	if (r < 0)
		return r;
	json_t *ev = json_is_object(details) ? json_deep_copy(details) : json_object();
	json_object_set_new(ev, "type", json_string("incident_event"));
	json_object_set_new(ev, "kind", json_string(event));
	json_object_set_new(ev, "incident", json_string(incident));
	int n = 0;
	size_t i;
	const json_t *ch;
	json_array_foreach(env.channels, i, ch) {
		if (!ev_notify_channel_takes_event(ch, event) ||
		    !strcmp(jstr(ch, "type") ?: "", "statuspage"))
			continue; /* a status page is public: approved messages only */
		struct ev_errlist errs = {0};
		json_t *item = json_pack("{s:s, s:s, s:s, s:O, s:O}", "channel", jstr(ch, "name"),
		                         "incident", incident, "audience", "internal", "event", ev,
		                         "actor", actor ? actor : json_null());
		r = ev_notify_enqueue(&env, item, NULL, &errs);
		ev_errlist_clear(&errs);
		if (r < 0)
			break;
		n++;
	}
	json_decref(ev);
	ev_notify_env_done(&env);
	return r < 0 ? r : n;
}
