/* Alert sinks (see sinks.h). The stdout, journal and UDP sinks write directly from the
 * loop thread; TCP syslog keeps one non-blocking connection with a capped output buffer
 * flushed on EPOLLOUT; the hook runs in a queue worker. Counters only grow. */
#include "config.h"

#include "agent/daemon/sinks.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "agent/daemon/daemon_log.h"
#include "agent/daemon/forward.h"
#include "agent/spawn.h"
#include "util/clock.h"
#include "util/timefmt.h"
#include "util/strv.h"

/* What of a hook's stderr is logged. */
#define HOOK_STDERR_CAP 4096

struct ev_sinks {
	bool to_stdout, to_journal;
	/* syslog */
	bool syslog_on, syslog_tcp;
	char *syslog_addr; /* as configured, for messages */
	struct sockaddr_storage sa;
	socklen_t sa_len;
	int udp_fd;
	sd_event *event;
	int tcp_fd;
	bool tcp_connecting;
	bool tcp_full_logged; /* "buffer full" said once until the buffer drains again */
	sd_event_source *tcp_src;
	char *tcp_buf;
	size_t tcp_len;
	uint64_t tcp_next_attempt; /* CLOCK_MONOTONIC µs */
	/* hook */
	char **hook;
	uint64_t hook_timeout;
	struct ev_queue *queue;
	struct ev_forward *fwd; /* RFC 5424 over TLS; NULL = off */
	char hostname[256];
	struct correlate_alert_buf buf; /* each alert rendered once, for every sink */
	struct ev_sinks_stats st;
};

int ev_sink_parse_address(const char *s, bool *ret_tcp, char **ret_host, char **ret_port) {
	bool tcp;
	if (strncmp(s, "udp://", 6) == 0)
		tcp = false;
	else if (strncmp(s, "tcp://", 6) == 0)
		tcp = true;
	else
		return -EINVAL;
	const char *h = s + 6, *colon;
	size_t hl;
	if (*h == '[') {
		const char *end = strchr(h, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		h++;
		hl = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(h, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - h);
		if (memchr(h, ':', hl))
			return -EINVAL; /* bare IPv6 needs brackets */
	}
	const char *p = colon + 1;
	if (hl == 0 || !*p || strlen(p) > 5 || strspn(p, "0123456789") != strlen(p))
		return -EINVAL;
	long port = strtol(p, NULL, 10);
	if (port < 1 || port > 65535)
		return -EINVAL;
	char *host = strndup(h, hl), *ps = strdup(p);
	if (!host || !ps) {
		free(host);
		free(ps);
		return -ENOMEM;
	}
	*ret_tcp = tcp;
	*ret_host = host;
	*ret_port = ps;
	return 0;
}

static int level_severity(const char *level) {
	if (!level)
		return LOG_WARNING;
	if (!strcmp(level, "critical"))
		return LOG_CRIT;
	if (!strcmp(level, "high"))
		return LOG_ERR;
	if (!strcmp(level, "medium"))
		return LOG_WARNING;
	if (!strcmp(level, "low"))
		return LOG_NOTICE;
	return LOG_INFO;
}

/* What the journal and the hook show of an alert: rule id, title, level, count, and the
 * group rendered "k=v,k=v" into gbuf (NULL when the alert has no group). */
struct alert_view {
	const char *rule, *title, *level, *group;
	uint64_t count;
	char gbuf[512];
};

static void alert_view(const struct correlate_alert *a, struct alert_view *v) {
	v->rule = a->rule_id;
	v->title = a->rule_title;
	v->level = a->level;
	v->count = a->count;
	v->group = NULL;
	if (!a->n_group)
		return;
	size_t o = 0;
	v->gbuf[0] = '\0';
	for (size_t i = 0; i < a->n_group && o < sizeof(v->gbuf) - 1; i++) {
		const struct correlate_alert_field *f = &a->group[i];
		int n = snprintf(v->gbuf + o, sizeof(v->gbuf) - o, "%s%.*s=%.*s", o ? "," : "",
		                 (int)MIN(f->name.len, (size_t)INT_MAX), f->name.p,
		                 (int)MIN(f->value.len, (size_t)INT_MAX), f->value.p);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	v->group = v->gbuf;
}

char *ev_sink_format_rfc5424(const char *level, const char *json, int64_t now_us,
                             const char *hostname, long pid) {
	return ev_sink_format_rfc5424_sd(level, "alert", "-", json, now_us, hostname, pid);
}

char *ev_sink_format_rfc5424_sd(const char *level, const char *msgid, const char *sd,
                                const char *json, int64_t now_us, const char *hostname, long pid) {
	char ts[EV_RFC3339_MAX];
	ev_format_rfc3339_us(now_us, ts, sizeof(ts));
	/* HOSTNAME is PRINTUSASCII, at most 255 characters, no spaces. */
	char host[256];
	size_t o = 0;
	for (const char *c = hostname; c && *c && o < sizeof(host) - 1; c++)
		if (*c > 32 && *c < 127)
			host[o++] = *c;
	host[o] = '\0';
	int pri = LOG_AUTHPRIV | level_severity(level);
	char *out = NULL;
	if (asprintf(&out, "<%d>1 %s %s evident %ld %s %s %s", pri, ts, o ? host : "-", pid, msgid,
	             sd, json) < 0)
		out = NULL;
	return out;
}

/* ---- TCP syslog ---- */

static void tcp_close(struct ev_sinks *s) {
	s->tcp_src = sd_event_source_disable_unref(s->tcp_src);
	if (s->tcp_fd >= 0)
		close(s->tcp_fd);
	s->tcp_fd = -1;
	s->tcp_connecting = false;
}

static int tcp_on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata);

static void tcp_update_events(struct ev_sinks *s) {
	if (s->tcp_src)
		sd_event_source_set_io_events(s->tcp_src,
		                              s->tcp_len || s->tcp_connecting ? EPOLLOUT : EPOLLIN);
}

static void tcp_flush(struct ev_sinks *s) {
	while (s->tcp_len > 0) {
		ssize_t k = send(s->tcp_fd, s->tcp_buf, s->tcp_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			ev_dlog_errno(LOG_WARNING, -errno,
			              "syslog %s: send failed, %zu bytes dropped", s->syslog_addr,
			              s->tcp_len);
			s->st.syslog_dropped++;
			s->tcp_len = 0;
			tcp_close(s);
			return;
		}
		memmove(s->tcp_buf, s->tcp_buf + k, s->tcp_len - (size_t)k);
		s->tcp_len -= (size_t)k;
		s->tcp_full_logged = false;
	}
	tcp_update_events(s);
}

static int tcp_on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
	struct ev_sinks *s = userdata;
	if (s->tcp_connecting) {
		int err = 0;
		socklen_t l = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
			err = errno;
		if (err) {
			ev_dlog_errno(LOG_WARNING, -err, "syslog %s: connect failed",
			              s->syslog_addr);
			if (s->tcp_len)
				s->st.syslog_dropped++;
			s->tcp_len = 0;
			tcp_close(s);
			return 0;
		}
		s->tcp_connecting = false;
	}
	if (revents & (EPOLLHUP | EPOLLERR)) {
		if (s->tcp_len)
			s->st.syslog_dropped++;
		s->tcp_len = 0;
		tcp_close(s);
		return 0;
	}
	if (revents & EPOLLIN) { /* the collector never talks; EOF means it went away */
		char b[256];
		ssize_t k = recv(fd, b, sizeof(b), MSG_DONTWAIT);
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
			tcp_close(s);
			return 0;
		}
	}
	tcp_flush(s);
	return 0;
}

static int tcp_connect(struct ev_sinks *s) {
	uint64_t now = ev_now_monotonic_us();
	if (now < s->tcp_next_attempt)
		return -EAGAIN;
	s->tcp_next_attempt = now + 1000000;
	int fd = socket(s->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&s->sa, s->sa_len) < 0 && errno != EINPROGRESS) {
		int r = -errno;
		close(fd);
		return r;
	}
	int r = sd_event_add_io(s->event, &s->tcp_src, fd, EPOLLOUT, tcp_on_io, s);
	if (r < 0) {
		close(fd);
		return r;
	}
	s->tcp_fd = fd;
	s->tcp_connecting = true;
	return 0;
}

static void syslog_emit(struct ev_sinks *s, const char *level, const char *json) {
	_cleanup_free_ char *msg = ev_sink_format_rfc5424(level, json, ev_now_realtime_us(),
	                                                  s->hostname, (long)getpid());
	if (!msg) {
		s->st.syslog_dropped++;
		return;
	}
	size_t len = strlen(msg);
	if (!s->syslog_tcp) {
		if (sendto(s->udp_fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		           (struct sockaddr *)&s->sa, s->sa_len) < 0) {
			s->st.syslog_dropped++;
			ev_dlog_errno(LOG_WARNING, -errno, "syslog %s: alert dropped",
			              s->syslog_addr);
		} else
			s->st.syslog_sent++;
		return;
	}
	char frame[32];
	int fl = snprintf(frame, sizeof(frame), "%zu ", len);
	if (s->tcp_len + (size_t)fl + len > EV_SINK_TCP_BUFFER_CAP) {
		s->st.syslog_dropped++;
		/* once per episode: a collector that stops reading must not flood the log */
		if (!s->tcp_full_logged)
			ev_dlog(LOG_WARNING,
			        "syslog %s: output buffer full (%d bytes), alert dropped; further "
			        "alerts are dropped until the collector reads again (counted: "
			        "sinks.syslog_dropped)",
			        s->syslog_addr, EV_SINK_TCP_BUFFER_CAP);
		s->tcp_full_logged = true;
		return;
	}
	if (s->tcp_fd < 0) {
		int r = tcp_connect(s);
		if (r < 0) {
			s->st.syslog_dropped++;
			if (r != -EAGAIN)
				ev_dlog_errno(LOG_WARNING, r,
				              "syslog %s: connect failed, alert dropped",
				              s->syslog_addr);
			return;
		}
	}
	if (!s->tcp_buf) {
		s->tcp_buf = malloc(EV_SINK_TCP_BUFFER_CAP);
		if (!s->tcp_buf) {
			s->st.syslog_dropped++;
			return;
		}
	}
	memcpy(s->tcp_buf + s->tcp_len, frame, (size_t)fl);
	memcpy(s->tcp_buf + s->tcp_len + fl, msg, len);
	s->tcp_len += (size_t)fl + len;
	s->st.syslog_sent++;
	if (!s->tcp_connecting)
		tcp_flush(s);
	else
		tcp_update_events(s);
}

/* ---- hook ---- */

int ev_sink_run_hook(char *const *argv, const char *input, size_t len, uint64_t timeout_usec,
                     struct ev_queue *q) {
	/* the hook's stdout must not mix with the alert stream on ours; its stderr is logged */
	struct ev_spawn sp = {.argv = argv,
	                      .input = input ? input : "",
	                      .input_len = len,
	                      .timeout_usec = timeout_usec,
	                      .stdout_null = true,
	                      .err_cap = HOOK_STDERR_CAP,
	                      .userdata = q,
	                      .stop = ev_queue_stopping_cb};
	struct ev_spawn_result res;
	int r = ev_spawn_run(&sp, &res);
	if (r < 0)
		return r;
	while (res.err_len && res.err[res.err_len - 1] == '\n')
		res.err[--res.err_len] = '\0';
	if (res.err_len)
		ev_dlog(LOG_WARNING, "hook %s: stderr%s: %s", argv[0],
		        res.err_truncated ? " (cut)" : "", res.err);
	r = res.cancelled ? -ECANCELED : res.timed_out ? -ETIME : res.status;
	ev_spawn_result_clear(&res);
	return r;
}

struct hook_work {
	struct ev_work w;
	char **argv;
	char *input;
	uint64_t timeout;
	char *rule;
};

static char **strv_copy(char *const *v, size_t n) {
	char **c = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; c && i < n; i++)
		if (!(c[i] = strdup(v[i]))) {
			ev_strv_free(c);
			return NULL;
		}
	return c;
}

static int hook_run(struct ev_work *w, struct ev_queue *q, char **msg) {
	struct hook_work *h = (struct hook_work *)w;
	int r = ev_sink_run_hook(h->argv, h->input, strlen(h->input), h->timeout, q);
	if (r == -ETIME) {
		char t[32];
		ev_format_duration(h->timeout, t, sizeof(t));
		if (asprintf(msg, "timed out after %s, killed", t) < 0)
			*msg = NULL;
		return r;
	}
	if (r < 0)
		return r;
	if (WIFEXITED(r)) {
		if (asprintf(msg, "exit status %d", WEXITSTATUS(r)) < 0)
			*msg = NULL;
		return WEXITSTATUS(r) == 0 ? 0 : -EPROTO;
	}
	if (asprintf(msg, "killed by signal %d", WIFSIGNALED(r) ? WTERMSIG(r) : 0) < 0)
		*msg = NULL;
	return -EPROTO;
}

/* Hook outcomes arrive after a reload may have replaced the sinks: count them per process
 * (only the loop thread touches them). */
static uint64_t hooks_ok, hooks_failed;

static void hook_done(struct ev_work *w, int result, char *msg) {
	struct hook_work *h = (struct hook_work *)w;
	if (result >= 0)
		hooks_ok++;
	else
		hooks_failed++;
	if (result >= 0)
		ev_dlog(LOG_INFO, "hook %s for rule %s: %s", h->argv[0], h->rule ? h->rule : "-",
		        msg ? msg : "done");
	else if (msg)
		ev_dlog(LOG_WARNING, "hook %s for rule %s: %s", h->argv[0], h->rule ? h->rule : "-",
		        msg);
	else
		ev_dlog_errno(LOG_WARNING, result, "hook %s for rule %s failed", h->argv[0],
		              h->rule ? h->rule : "-");
	free(msg);
	ev_strv_free(h->argv);
	free(h->input);
	free(h->rule);
	free(h);
}

static void hook_emit(struct ev_sinks *s, const char *rule, const char *json, size_t len) {
	struct hook_work *h = calloc(1, sizeof(*h));
	if (!h)
		return;
	size_t n = 0;
	while (s->hook[n])
		n++;
	h->argv = strv_copy(s->hook, n);
	h->input = malloc(len + 2);
	if (h->input) {
		memcpy(h->input, json, len);
		memcpy(h->input + len, "\n", 2);
	}
	h->rule = rule ? strdup(rule) : NULL;
	h->timeout = s->hook_timeout;
	h->w.kind = "hook";
	h->w.run = hook_run;
	h->w.done = hook_done;
	int64_t id = -ENOMEM;
	if (h->argv && h->input)
		id = ev_queue_submit(s->queue, &h->w);
	if (id < 0) {
		s->st.hooks_refused++;
		ev_dlog_errno(LOG_WARNING, (int)id,
		              "hook %s for rule %s refused (%" PRIu64 " refused so far)",
		              s->hook[0], rule ? rule : "-", s->st.hooks_refused);
		ev_strv_free(h->argv);
		free(h->input);
		free(h->rule);
		free(h);
		return;
	}
	s->st.hooks_started++;
}

/* ---- forwarding (agent/daemon/forward.h) ---- */

/* Append ` NAME="VALUE"` (escaped) to the SD element in sd; nothing for a NULL value. */
static void sd_param(char *sd, size_t size, size_t *o, const char *name, const char *v,
                     size_t len) {
	if (!v || *o + strlen(name) + 4 >= size)
		return;
	*o += (size_t)snprintf(sd + *o, size - *o, " %s=\"", name);
	ev_forward_sd_escape(sd, size, o, v, len);
	if (*o + 1 < size)
		*o += (size_t)snprintf(sd + *o, size - *o, "\"");
}

/* One message with [evident@32473 rule= level= group= count= alert= bundle=] (the
 * parameters that are known) and the JSON as MSG. */
static void forward_emit(struct ev_sinks *s, const char *msgid, const char *rule, const char *level,
                         const char *group, uint64_t count, const char *alert_id,
                         const char *bundle, const char *json) {
	char sd[2048], cnt[24];
	size_t o = (size_t)snprintf(sd, sizeof(sd), "[evident@32473");
	snprintf(cnt, sizeof(cnt), "%" PRIu64, count);
	sd_param(sd, sizeof(sd), &o, "rule", rule, rule ? strlen(rule) : 0);
	sd_param(sd, sizeof(sd), &o, "level", level, level ? strlen(level) : 0);
	sd_param(sd, sizeof(sd), &o, "group", group, group ? strlen(group) : 0);
	sd_param(sd, sizeof(sd), &o, "count", cnt, strlen(cnt));
	sd_param(sd, sizeof(sd), &o, "alert", alert_id, alert_id ? strlen(alert_id) : 0);
	sd_param(sd, sizeof(sd), &o, "bundle", bundle, bundle ? strlen(bundle) : 0);
	if (o + 2 > sizeof(sd))
		o = sizeof(sd) - 2; /* cut: still one closed element */
	sd[o++] = ']';
	sd[o] = '\0';
	_cleanup_free_ char *msg = ev_sink_format_rfc5424_sd(
	        level, msgid, sd, json, ev_now_realtime_us(), s->hostname, (long)getpid());
	if (msg)
		ev_forward_submit(s->fwd, msg, strlen(msg));
}

int ev_sinks_forward(struct ev_sinks *s, const struct ev_config *cfg, const char *state_dir,
                     struct ev_errlist *errs) {
	if (!cfg->actions.forward.address)
		return 0;
	return ev_forward_new(cfg, state_dir, &s->fwd, errs);
}

void ev_sinks_get_forward_stats(const struct ev_sinks *s, struct ev_forward_stats *ret) {
	ev_forward_get_stats(s->fwd, ret);
}

/* ---- the sinks ---- */

void ev_sinks_emit_sealed(struct ev_sinks *s, const json_t *sealed) {
	char *j = json_dumps(sealed, JSON_COMPACT | JSON_SORT_KEYS);
	if (s->to_stdout && (!j || printf("%s\n", j) < 0 || fflush(stdout) != 0))
		s->st.stdout_errors++;
	if (s->to_journal) {
		const char *bid = json_string_value(json_object_get(sealed, "bundle_id"));
		const char *rule = json_string_value(json_object_get(sealed, "rule"));
		int r = sd_journal_send(
		        "MESSAGE=alerts sealed: bundle %s (rule %s, %lld alerts)", bid ? bid : "?",
		        rule ? rule : "-",
		        (long long)json_integer_value(json_object_get(sealed, "alert_count")),
		        "MESSAGE_ID=" EV_SEALED_MESSAGE_ID, "PRIORITY=5", "RULE=%s",
		        rule ? rule : "", "BUNDLE_ID=%s", bid ? bid : "", "SEALED_JSON=%s",
		        j ? j : "{}", NULL);
		if (r < 0 && s->st.journal_errors++ == 0)
			ev_dlog_errno(LOG_WARNING, r, "journal sink: sd_journal_send failed");
	}
	if (s->fwd && j)
		forward_emit(s, "sealed", json_string_value(json_object_get(sealed, "rule")), NULL,
		             NULL,
		             (uint64_t)json_integer_value(json_object_get(sealed, "alert_count")),
		             NULL, json_string_value(json_object_get(sealed, "bundle_id")), j);
	free(j);
}

void ev_sinks_emit_incident(struct ev_sinks *s, const json_t *event) {
	char *j = json_dumps(event, JSON_COMPACT | JSON_SORT_KEYS);
	if (!j)
		return;
	const char *id = json_string_value(json_object_get(event, "incident"));
	const char *kind = json_string_value(json_object_get(event, "kind"));
	if (s->to_stdout && (printf("%s\n", j) < 0 || fflush(stdout) != 0))
		s->st.stdout_errors++;
	if (s->to_journal) {
		int r = sd_journal_send("MESSAGE=incident %s: %s", id ? id : "?", kind ? kind : "?",
		                        "PRIORITY=4", "INCIDENT=%s", id ? id : "",
		                        "INCIDENT_JSON=%s", j, NULL);
		if (r < 0 && s->st.journal_errors++ == 0)
			ev_dlog_errno(LOG_WARNING, r, "journal sink: sd_journal_send failed");
	}
	if (s->syslog_on)
		syslog_emit(s, "high", j);
	if (s->hook && s->hook[0] && s->queue)
		hook_emit(s, "incident", j, strlen(j));
	free(j);
}

void ev_sinks_emit(struct ev_sinks *s, const struct correlate_alert *a, const char *alert_id) {
	ev_sinks_emit_marked(s, a, alert_id, NULL);
}

/* The canonical line with the marks added (keys still sorted), malloc'd; NULL on OOM. */
static char *add_marks(const char *j, size_t len, const json_t *marks, size_t *ret_len) {
	json_t *o = json_loadb(j, len, 0, NULL);
	char *out = NULL;
	if (o && json_object_update(o, (json_t *)marks) == 0)
		out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	*ret_len = out ? strlen(out) : 0;
	return out;
}

void ev_sinks_emit_marked(struct ev_sinks *s, const struct correlate_alert *a, const char *alert_id,
                          const json_t *marks) {
	s->st.alerts++;
	size_t len = 0;
	const char *j = correlate_alert_render(a, alert_id, &s->buf, &len); /* once, for all */
	_cleanup_free_ char *marked = j && marks ? add_marks(j, len, marks, &len) : NULL;
	if (marks)
		j = marked;
	const char *tag = json_is_true(json_object_get(marks, "drill")) ? "DRILL: "
	                  : json_object_get(marks, "maintenance")       ? "maintenance: "
	                                                                : "";
	if (s->to_stdout &&
	    (!j || fwrite(j, 1, len, stdout) != len || putchar('\n') == EOF || fflush(stdout) != 0))
		s->st.stdout_errors++;
	struct alert_view v;
	alert_view(a, &v);
	if (s->to_journal) {
		const char *rule = v.rule, *level = v.level, *group = v.group, *title = v.title;
		int r = sd_journal_send(
		        "MESSAGE=%salert: %s (rule %s, level %s%s%s)", tag,
		        title  ? title
		        : rule ? rule
		               : "?",
		        rule ? rule : "-", level ? level : "-", group ? ", group " : "",
		        group ? group : "", "MESSAGE_ID=" EV_ALERT_MESSAGE_ID, "PRIORITY=%d",
		        level_severity(level), "RULE=%s", rule ? rule : "", "LEVEL=%s",
		        level ? level : "", "GROUP=%s", group ? group : "", "COUNT=%llu",
		        (unsigned long long)v.count, "ALERT_JSON=%s", j ? j : "{}", NULL);
		if (r < 0) {
			if (s->st.journal_errors++ == 0)
				ev_dlog_errno(LOG_WARNING, r,
				              "journal sink: sd_journal_send failed");
		}
	}
	if (!j) { /* out of memory: nothing to send */
		if (s->syslog_on)
			s->st.syslog_dropped++;
		return;
	}
	if (s->syslog_on)
		syslog_emit(s, v.level, j);
	if (s->fwd)
		forward_emit(s, "alert", v.rule, v.level, v.group, v.count, alert_id, NULL, j);
	if (s->hook && s->hook[0] && s->queue)
		hook_emit(s, v.rule, j, len);
}

int ev_sinks_new(const struct ev_config *cfg, sd_event *e, struct ev_queue *q,
                 struct ev_sinks **ret, struct ev_errlist *errs) {
	struct ev_sinks *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->udp_fd = s->tcp_fd = -1;
	s->to_stdout = cfg->actions.stdout_alerts;
	s->to_journal = cfg->actions.journal_alerts;
	s->hook_timeout = cfg->actions.hook_timeout;
	s->queue = q;
	if (gethostname(s->hostname, sizeof(s->hostname) - 1) < 0)
		s->hostname[0] = '\0';
	if (cfg->actions.hook.n) {
		s->hook = strv_copy(cfg->actions.hook.v, cfg->actions.hook.n);
		if (!s->hook) {
			ev_sinks_free(s);
			return -ENOMEM;
		}
		if (s->hook[0][0] != '/') {
			ev_errlist_add(errs, cfg->origin, 0, 0,
			               "actions.hook: '%s' must be an absolute path (no shell, no "
			               "PATH lookup)",
			               s->hook[0]);
			ev_sinks_free(s);
			return -EINVAL;
		}
	}
	if (cfg->actions.syslog) {
		_cleanup_free_ char *host = NULL, *port = NULL;
		int r = ev_sink_parse_address(cfg->actions.syslog, &s->syslog_tcp, &host, &port);
		if (r < 0) {
			ev_errlist_add(errs, cfg->origin, 0, 0,
			               "actions.syslog: invalid address '%s' (expected "
			               "udp://HOST:PORT or tcp://HOST:PORT)",
			               cfg->actions.syslog);
			ev_sinks_free(s);
			return r == -ENOMEM ? r : -EINVAL;
		}
		struct addrinfo hints = {.ai_socktype = s->syslog_tcp ? SOCK_STREAM : SOCK_DGRAM};
		struct addrinfo *ai = NULL;
		int g = getaddrinfo(host, port, &hints, &ai);
		if (g != 0 || !ai) {
			ev_errlist_add(errs, cfg->origin, 0, 0,
			               "actions.syslog: cannot resolve '%s': %s", host,
			               gai_strerror(g));
			ev_sinks_free(s);
			return -EINVAL;
		}
		memcpy(&s->sa, ai->ai_addr, ai->ai_addrlen);
		s->sa_len = ai->ai_addrlen;
		freeaddrinfo(ai);
		s->syslog_addr = strdup(cfg->actions.syslog);
		if (!s->syslog_addr) {
			ev_sinks_free(s);
			return -ENOMEM;
		}
		if (!s->syslog_tcp) {
			s->udp_fd = socket(s->sa.ss_family,
			                   SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (s->udp_fd < 0) {
				int r2 = -errno;
				ev_sinks_free(s);
				return r2;
			}
		} else if (!e) {
			ev_sinks_free(s);
			return -EINVAL;
		}
		s->event = e ? sd_event_ref(e) : NULL;
		s->syslog_on = true;
	}
	*ret = s;
	return 0;
}

struct ev_sinks *ev_sinks_free(struct ev_sinks *s) {
	if (!s)
		return NULL;
	if (s->tcp_fd >= 0 && s->tcp_len && !s->tcp_connecting) {
		/* last chance, without waiting */
		ssize_t k = send(s->tcp_fd, s->tcp_buf, s->tcp_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)k;
	}
	tcp_close(s);
	ev_forward_free(s->fwd);
	if (s->udp_fd >= 0)
		close(s->udp_fd);
	free(s->tcp_buf);
	free(s->syslog_addr);
	ev_strv_free(s->hook);
	sd_event_unref(s->event);
	correlate_alert_buf_done(&s->buf);
	free(s);
	return NULL;
}

void ev_sinks_get_stats(const struct ev_sinks *s, struct ev_sinks_stats *ret) {
	*ret = s->st;
	ret->hooks_ok = hooks_ok;
	ret->hooks_failed = hooks_failed;
}
void ev_sinks_set_stats(struct ev_sinks *s, const struct ev_sinks_stats *st) {
	s->st = *st;
}
