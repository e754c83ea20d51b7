/* Control socket server (see control.h).
 *
 * Each connection has an input buffer (at most EV_CONTROL_LINE_MAX + 1 bytes, allocated
 * on first use), an output buffer (at most EV_CONTROL_OUT_MAX), and a state:
 *   reading   -> lines are parsed and answered one at a time, in order;
 *   pending   -> a handler kept the request (queued work); nothing more is read until
 *                ev_control_answer() arrives, but a hang-up still closes at once;
 *   closing   -> the last answer is being flushed, then the connection is closed.
 * The epoll interest follows the state, so a peer that stops reading its answers only
 * fills its own capped buffer, and a peer that sends nothing costs one idle slot until
 * the sweep timer closes it. Every request and every refusal goes to the audit callback
 * with the peer's uid, gid, pid and executable. */
#include "config.h"

#include "agent/daemon/control.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent/daemon/daemon_log.h"
#include "util/clock.h"

struct conn {
	struct ev_control *ctl;
	struct conn *next, *prev;
	uint64_t id;
	int fd;
	sd_event_source *src;
	struct ev_peer peer;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_alloc;
	bool eof, pending, closing;
	enum ev_request_type pending_type;
	uint64_t last_activity;
};

struct ev_control {
	sd_event *event;
	sd_event_source *listen_src, *sweep_src;
	int listen_fd;
	char *path;
	bool have_group;
	gid_t group;
	char *group_name;
	ev_control_handler handler;
	ev_control_audit audit;
	void *userdata;
	struct conn *conns;
	size_t n_conns;
	uint64_t next_id;
	struct ev_control_stats st;
};

static void audit(struct ev_control *c, const struct conn *k, const char *event, json_t *extra) {
	json_t *e = json_pack("{s:s, s:I, s:o}", "event", event, "conn", (json_int_t)k->id, "peer",
	                      ev_peer_json(&k->peer));
	if (e && extra)
		json_object_update(e, extra);
	if (e && c->audit)
		c->audit(c->userdata, e);
	json_decref(e);
	json_decref(extra);
}

static void conn_free(struct conn *k) {
	struct ev_control *c = k->ctl;
	if (k->prev)
		k->prev->next = k->next;
	else
		c->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	c->n_conns--;
	sd_event_source_disable_unref(k->src);
	close(k->fd);
	free(k->in);
	free(k->out);
	free(k);
}

static void conn_update_events(struct conn *k) {
	uint32_t ev = 0;
	if (k->out_len)
		ev |= EPOLLOUT;
	else if (!k->pending && !k->closing && !k->eof)
		ev |= EPOLLIN;
	/* While pending or closing with nothing to write, interest is 0; epoll still reports
	 * EPOLLHUP/EPOLLERR, which close the connection. */
	sd_event_source_set_io_events(k->src, ev);
}

/* Write what we can. Returns false when the connection was freed. */
static bool conn_flush(struct conn *k) {
	while (k->out_len) {
		ssize_t n = send(k->fd, k->out, k->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_free(k); /* peer gone */
			return false;
		}
		memmove(k->out, k->out + n, k->out_len - (size_t)n);
		k->out_len -= (size_t)n;
	}
	if (!k->out_len && k->closing) {
		conn_free(k);
		return false;
	}
	conn_update_events(k);
	return true;
}

/* Queue one answer line; takes `answer`. Returns false when the connection was freed. */
static bool conn_send(struct conn *k, json_t *answer, const char *request) {
	struct ev_control *c = k->ctl;
	if (!answer)
		answer = ev_control_error("failed", "out of memory");
	bool ok = json_is_true(json_object_get(answer, "ok"));
	if (!ok)
		c->st.errors++;
	json_t *x = json_pack("{s:s?, s:b}", "request", request, "ok", ok);
	if (x && !ok) {
		json_object_set(x, "code", json_object_get(answer, "code"));
		json_object_set(x, "error", json_object_get(answer, "error"));
	}
	audit(c, k, "answer", x);
	char *s = json_dumps(answer, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(answer);
	size_t len = s ? strlen(s) : 0;
	if (!s || k->out_len + len + 1 > EV_CONTROL_OUT_MAX) {
		free(s);
		ev_dlog(LOG_WARNING,
		        "control: peer pid %d uid %u does not read its answers, closing",
		        (int)k->peer.pid, (unsigned)k->peer.uid);
		conn_free(k);
		return false;
	}
	if (k->out_len + len + 1 > k->out_alloc) { /* grows with need, never past the cap */
		size_t na = MAX(k->out_alloc * 2, k->out_len + len + 1);
		na = MIN(MAX(na, (size_t)4096), (size_t)EV_CONTROL_OUT_MAX);
		char *nb = realloc(k->out, na);
		if (!nb) {
			free(s);
			conn_free(k);
			return false;
		}
		k->out = nb;
		k->out_alloc = na;
	}
	memcpy(k->out + k->out_len, s, len);
	k->out[k->out_len + len] = '\n';
	k->out_len += len + 1;
	free(s);
	return conn_flush(k);
}

/* Handle one complete line. Returns false when the connection was freed. */
static bool conn_line(struct conn *k, const char *line, size_t len) {
	struct ev_control *c = k->ctl;
	c->st.requests++;
	struct ev_request req;
	const char *code = NULL;
	char *err = NULL;
	int r = ev_request_parse(line, len, &req, &code, &err);
	if (r < 0) {
		audit(c, k, "request",
		      json_pack("{s:s, s:I}", "request", "(invalid)", "bytes", (json_int_t)len));
		json_t *a = ev_control_error(code, "%s", err ? err : "invalid request");
		free(err);
		return conn_send(k, a, NULL);
	}
	const char *name = ev_request_name(req.type);
	json_t *args = json_deep_copy(req.obj);
	json_object_del(args, "request");
	audit(c, k, "request",
	      json_pack("{s:s, s:o}", "request", name, "args", args ? args : json_object()));
	k->pending = true;
	k->pending_type = req.type;
	json_t *answer = c->handler(c->userdata, &req, &k->peer, k->id);
	ev_request_done(&req);
	if (!answer) {
		conn_update_events(k);
		return true; /* answered later by ev_control_answer() */
	}
	k->pending = false;
	return conn_send(k, answer, name);
}

/* Parse every complete line in the input buffer. Returns false when freed. */
static bool conn_process(struct conn *k) {
	size_t start = 0;
	while (!k->pending && !k->closing) {
		char *nl = memchr(k->in + start, '\n', k->in_len - start);
		if (!nl)
			break;
		size_t len = (size_t)(nl - (k->in + start));
		const char *line = k->in + start;
		start += len + 1;
		if (len && line[len - 1] == '\r')
			len--;
		if (len == 0)
			continue;
		k->last_activity = ev_now_monotonic_us();
		if (!conn_line(k, line, len))
			return false;
	}
	if (start) {
		memmove(k->in, k->in + start, k->in_len - start);
		k->in_len -= start;
	}
	if (k->pending || k->closing)
		return true;
	static const char too_long[] = "request longer than the cap: closing the connection";
	static const char incomplete[] =
	        "end of input inside a request (a request ends with a newline)";
	if (k->in_len > EV_CONTROL_LINE_MAX) {
		k->closing = true;
		k->in_len = 0;
		json_t *a = ev_control_error("too_long", "%s (%d bytes)", too_long,
		                             EV_CONTROL_LINE_MAX);
		return conn_send(k, a, NULL);
	}
	if (k->eof) {
		k->closing = true;
		if (k->in_len) {
			k->in_len = 0;
			return conn_send(k, ev_control_error("incomplete", "%s", incomplete), NULL);
		}
		return conn_flush(k);
	}
	return true;
}

static int conn_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
	struct conn *k = userdata;
	if (revents & EPOLLERR || ((revents & EPOLLHUP) && !(revents & EPOLLIN))) {
		conn_free(k);
		return 0;
	}
	if (revents & EPOLLOUT && !conn_flush(k))
		return 0;
	if ((revents & EPOLLIN) && !k->pending && !k->closing && !k->eof) {
		if (!k->in) {
			k->in = malloc(EV_CONTROL_LINE_MAX + 1);
			if (!k->in) {
				conn_free(k);
				return 0;
			}
		}
		size_t room = EV_CONTROL_LINE_MAX + 1 - k->in_len;
		ssize_t n = recv(fd, k->in + k->in_len, room, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				conn_free(k);
				return 0;
			}
		} else if (n == 0)
			k->eof = true;
		else
			k->in_len += (size_t)n;
		if (!conn_process(k))
			return 0;
	} else if ((revents & EPOLLHUP) && !k->out_len) {
		conn_free(k);
		return 0;
	}
	conn_update_events(k);
	return 0;
}

static bool peer_allowed(const struct ev_control *c, int fd, const struct ev_peer *p) {
	if (p->uid == 0)
		return true;
	if (!c->have_group)
		return false;
	if (p->gid == c->group)
		return true;
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false; /* more than 256 groups, or no support: not a member as far as we know
		               */
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == c->group)
			return true;
	return false;
}

static void refuse(struct ev_control *c, int fd, const char *code, const char *msg) {
	json_t *a = ev_control_error(code, "%s", msg);
	char *s = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	if (s) {
		size_t l = strlen(s);
		s[l] = '\n'; /* replaces the NUL: send exactly l + 1 bytes, best effort */
		ssize_t n = send(fd, s, l + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)n;
	}
	free(s);
	json_decref(a);
	close(fd);
}

static int on_accept(sd_event_source *s, int lfd, uint32_t revents, void *userdata) {
	struct ev_control *c = userdata;
	for (int i = 0; i < 16; i++) { /* a bounded batch per wake-up */
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				ev_dlog_errno(LOG_WARNING, -errno, "control: accept failed");
			return 0;
		}
		struct conn tmp = {.ctl = c, .id = ++c->next_id, .fd = fd};
		struct ucred cr;
		socklen_t l = sizeof(cr);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) < 0) {
			ev_dlog_errno(LOG_WARNING, -errno,
			              "control: SO_PEERCRED failed, connection closed");
			close(fd);
			continue;
		}
		tmp.peer.uid = cr.uid;
		tmp.peer.gid = cr.gid;
		tmp.peer.pid = cr.pid;
		char lp[64];
		snprintf(lp, sizeof(lp), "/proc/%d/exe", (int)cr.pid);
		ssize_t n = readlink(lp, tmp.peer.exe, sizeof(tmp.peer.exe) - 1);
		tmp.peer.exe[n > 0 ? n : 0] = '\0';
		if (!peer_allowed(c, fd, &tmp.peer)) {
			c->st.refused_peers++;
			ev_dlog(LOG_WARNING,
			        "control: refused peer uid %u gid %u pid %d (%s): not root and not "
			        "in group '%s'",
			        (unsigned)cr.uid, (unsigned)cr.gid, (int)cr.pid,
			        tmp.peer.exe[0] ? tmp.peer.exe : "executable unknown",
			        c->group_name ? c->group_name : "(none)");
			audit(c, &tmp, "refused",
			      json_pack("{s:s, s:s}", "code", "permission_denied", "reason",
			                "not root and not a member of the control group"));
			char m[160];
			snprintf(m, sizeof(m),
			         "permission denied: uid %u is not root and not in group '%s'",
			         (unsigned)cr.uid, c->group_name ? c->group_name : "(none)");
			refuse(c, fd, "permission_denied", m);
			continue;
		}
		if (c->n_conns >= EV_CONTROL_MAX_CONNS) {
			c->st.refused_cap++;
			ev_dlog(LOG_WARNING, "control: %d connections open, refusing pid %d",
			        EV_CONTROL_MAX_CONNS, (int)cr.pid);
			audit(c, &tmp, "refused",
			      json_pack("{s:s}", "code", "too_many_connections"));
			refuse(c, fd, "too_many_connections",
			       "too many connections, try again later");
			continue;
		}
		struct conn *k = calloc(1, sizeof(*k));
		if (!k) {
			close(fd);
			continue;
		}
		*k = tmp;
		k->last_activity = ev_now_monotonic_us();
		int r = sd_event_add_io(c->event, &k->src, fd, EPOLLIN, conn_on_io, k);
		if (r < 0) {
			ev_dlog_errno(LOG_WARNING, r, "control: cannot watch a connection");
			close(fd);
			free(k);
			continue;
		}
		k->next = c->conns;
		if (c->conns)
			c->conns->prev = k;
		c->conns = k;
		c->n_conns++;
		c->st.accepted++;
	}
	return 0;
}

static int on_sweep(sd_event_source *s, uint64_t usec, void *userdata) {
	struct ev_control *c = userdata;
	uint64_t now = ev_now_monotonic_us();
	for (struct conn *k = c->conns, *next; k; k = next) {
		next = k->next;
		if (!k->pending && now - k->last_activity > EV_CONTROL_IDLE_USEC) {
			c->st.timeouts++;
			ev_dlog(LOG_INFO, "control: closing idle connection of pid %d",
			        (int)k->peer.pid);
			conn_free(k);
		}
	}
	sd_event_source_set_time(s, usec + 1000000);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

void ev_control_answer(struct ev_control *c, uint64_t ticket, json_t *answer) {
	for (struct conn *k = c->conns; k; k = k->next)
		if (k->id == ticket && k->pending) {
			k->pending = false;
			k->last_activity = ev_now_monotonic_us();
			if (!conn_send(k, answer, ev_request_name(k->pending_type)))
				return;
			/* requests that arrived meanwhile */
			if (conn_process(k))
				conn_update_events(k);
			return;
		}
	struct conn gone = {.ctl = c, .id = ticket};
	audit(c, &gone, "answer_dropped",
	      json_pack("{s:s}", "reason", "connection closed before the answer"));
	json_decref(answer);
}

int ev_control_set_group(struct ev_control *c, const char *group) {
	free(c->group_name);
	c->group_name = group ? strdup(group) : NULL;
	c->have_group = false;
	if (!group)
		return -ENOENT;
	struct group gr, *res = NULL;
	char buf[16384];
	if (getgrnam_r(group, &gr, buf, sizeof(buf), &res) != 0 || !res)
		return -ENOENT;
	c->group = res->gr_gid;
	c->have_group = true;
	return 0;
}

static int socket_prepare(const char *path, struct sockaddr_un *sa) {
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, strlen(path));
	/* parent directory */
	_cleanup_free_ char *dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	/* a live agent answers connect(); a stale socket file refuses */
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		int r = connect(fd, (struct sockaddr *)sa, sizeof(*sa));
		close(fd);
		if (r == 0)
			return -EADDRINUSE;
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
	}
	return 0;
}

int ev_control_new(sd_event *e, const char *path, const char *group, ev_control_handler h,
                   ev_control_audit au, void *userdata, struct ev_control **ret) {
	struct sockaddr_un sa;
	int r = socket_prepare(path, &sa);
	if (r < 0)
		return r;
	struct ev_control *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->listen_fd = -1;
	c->event = sd_event_ref(e);
	c->handler = h;
	c->audit = au;
	c->userdata = userdata;
	c->path = strdup(path);
	if (!c->path) {
		ev_control_free(c);
		return -ENOMEM;
	}
	if (ev_control_set_group(c, group) < 0)
		ev_dlog(LOG_WARNING, "control: group '%s' does not exist: only root may use %s",
		        group ? group : "", path);
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->listen_fd < 0) {
		r = -errno;
		ev_control_free(c);
		return r;
	}
	mode_t old = umask(0);
	r = bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chmod(path, 0666) < 0 || listen(c->listen_fd, 64) < 0) {
		r = -errno;
		ev_control_free(c);
		return r;
	}
	r = sd_event_add_io(e, &c->listen_src, c->listen_fd, EPOLLIN, on_accept, c);
	if (r >= 0)
		r = sd_event_add_time_relative(e, &c->sweep_src, CLOCK_MONOTONIC, 1000000, 100000,
		                               on_sweep, c);
	if (r < 0) {
		ev_control_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

struct ev_control *ev_control_free(struct ev_control *c) {
	if (!c)
		return NULL;
	while (c->conns)
		conn_free(c->conns);
	sd_event_source_disable_unref(c->listen_src);
	sd_event_source_disable_unref(c->sweep_src);
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		if (c->path)
			unlink(c->path);
	}
	free(c->path);
	free(c->group_name);
	sd_event_unref(c->event);
	free(c);
	return NULL;
}

void ev_control_get_stats(const struct ev_control *c, struct ev_control_stats *ret) {
	*ret = c->st;
	ret->connections = c->n_conns;
}
