/* Child processes (see spawn.h). fork() then, in the child, only async-signal-safe calls
 * (the daemon has worker threads): signals back to default, a new session, the pipes on
 * 0/1/2, every other descriptor closed (close_range, or a loop up to the open-file
 * limit), no core dumps, execve with a path and environment prepared before the fork.
 * An exec failure comes back as its errno through a close-on-exec pipe. The parent polls
 * stdin, stdout and stderr with a deadline, and kills the whole process group at the
 * deadline, on stop, or when the output consumer fails. */
#include "config.h"

#include "agent/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/macro.h"
#include "util/clock.h"

/* argv[0] as a path: itself when it holds a '/', else the first executable match in
 * EV_SPAWN_PATH (never the agent's own PATH). */
static int resolve(const char *name, char **ret) {
	if (strchr(name, '/')) {
		*ret = strdup(name);
		return *ret ? 0 : -ENOMEM;
	}
	int r = -ENOENT;
	for (const char *p = EV_SPAWN_PATH; *name && *p;) {
		const char *c = strchrnul(p, ':');
		char *cand;
		if (asprintf(&cand, "%.*s/%s", (int)(c - p), p, name) < 0)
			return -ENOMEM;
		if (access(cand, X_OK) == 0) {
			*ret = cand;
			return 0;
		}
		if (errno == EACCES)
			r = -EACCES;
		free(cand);
		p = *c ? c + 1 : c;
	}
	return r;
}

/* PATH, LANG=C and the caller's entries (borrowed pointers). */
static char **clean_env(char *const *extra) {
	size_t n = 0;
	while (extra && extra[n])
		n++;
	char **e = calloc(n + 3, sizeof(char *));
	if (!e)
		return NULL;
	e[0] = (char *)"PATH=" EV_SPAWN_PATH;
	e[1] = (char *)"LANG=C";
	for (size_t i = 0; i < n; i++)
		e[2 + i] = extra[i];
	return e;
}

/* A descriptor above 2 (the child's dup2 onto 0/1/2 must not clobber a source). */
static int above_stdio(int fd) {
	if (fd < 0 || fd > 2)
		return fd;
	int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return n;
}

_Noreturn static void child(const char *path, char *const *argv, char *const *envp, int in, int out,
                            int err, int ex, long max_fd) {
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &dfl, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		goto fail;
	if (ex != 3 && dup3(ex, 3, O_CLOEXEC) < 0)
		goto fail;
	if (syscall(SYS_close_range, 4U, ~0U, 0U) < 0)
		for (long fd = 4; fd < max_fd; fd++)
			close((int)fd);
	struct rlimit core = {0, 0};
	setrlimit(RLIMIT_CORE, &core);
	execve(path, argv, envp);
fail:;
	int e = errno;
	if (write(ex, &e, sizeof(e)) < 0 && write(3, &e, sizeof(e)) < 0) {
	}
	_exit(127);
}

struct stream {
	int fd;
	char *buf;
	size_t len, alloc;
	uint64_t passed, total, cap;
	bool cut;
};

/* Read what is there: at EOF or on an error the descriptor is closed. */
static int stream_read(struct stream *s, int (*fn)(void *, const void *, size_t), void *ud) {
	char tmp[1 << 16];
	ssize_t n = read(s->fd, tmp, sizeof(tmp));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		close(s->fd);
		s->fd = -1;
		return 0;
	}
	s->total += (uint64_t)n;
	size_t k = (size_t)MIN((uint64_t)n, s->cap - MIN(s->cap, s->passed));
	s->cut |= k < (size_t)n;
	s->passed += k;
	if (!k)
		return 0;
	if (fn)
		return fn(ud, tmp, k);
	if (s->len + k + 1 > s->alloc) {
		size_t na = MAX(s->alloc * 2, s->len + k + 1);
		char *nb = realloc(s->buf, na);
		if (!nb)
			return -ENOMEM;
		s->buf = nb;
		s->alloc = na;
	}
	memcpy(s->buf + s->len, tmp, k);
	s->len += k;
	return 0;
}

/* Write more of the input; a child that closed its stdin (EPIPE, the signal consumed
 * here, not delivered) or fails otherwise gets no more. */
static void input_write(const struct ev_spawn *sp, int *fd, size_t *off) {
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	ssize_t k = write(*fd, (const char *)sp->input + *off, sp->input_len - *off);
	int e = errno;
	if (k < 0 && e == EPIPE) {
		struct timespec zero = {0, 0};
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (k > 0)
		*off += (size_t)k;
	if ((k < 0 && e != EAGAIN && e != EINTR) || *off >= sp->input_len) {
		close(*fd);
		*fd = -1;
	}
}

/* Until the child has exited and both outputs are at EOF, or the deadline, stop, or an
 * output error. Kills the process group unless it ended by itself. */
static int pump(const struct ev_spawn *sp, pid_t pid, int in, struct stream *out,
                struct stream *err, struct ev_spawn_result *res) {
	uint64_t deadline =
	        sp->timeout_usec ? ev_now_monotonic_us() + sp->timeout_usec : UINT64_MAX;
	bool exited = false;
	size_t off = 0;
	int r = 0;
	if (in >= 0)
		fcntl(in, F_SETFL, fcntl(in, F_GETFL) | O_NONBLOCK);
	for (;;) {
		if (!exited && waitpid(pid, &res->status, WNOHANG) == pid)
			exited = true;
		if (exited && in >= 0) {
			close(in);
			in = -1;
		}
		if (exited && out->fd < 0 && err->fd < 0)
			break;
		if (sp->stop && sp->stop(sp->userdata)) {
			res->cancelled = true;
			break;
		}
		uint64_t now = ev_now_monotonic_us();
		if (now >= deadline) {
			res->timed_out = true;
			break;
		}
		struct pollfd p[3] = {{.fd = in, .events = POLLOUT},
		                      {.fd = out->fd, .events = POLLIN},
		                      {.fd = err->fd, .events = POLLIN}};
		int pr = poll(p, 3, (int)MIN((deadline - now + 999) / 1000, (uint64_t)50));
		if (pr < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		if (in >= 0 && p[0].revents)
			input_write(sp, &in, &off);
		if (out->fd >= 0 && p[1].revents &&
		    (r = stream_read(out, sp->on_out, sp->userdata)) < 0)
			break;
		if (err->fd >= 0 && p[2].revents && (r = stream_read(err, NULL, NULL)) < 0)
			break;
	}
	if (in >= 0)
		close(in);
	if (res->timed_out || res->cancelled || r < 0 || out->fd >= 0 || err->fd >= 0)
		kill(-pid, SIGKILL); /* its session and group: what it started too */
	if (!exited) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &res->status, 0) < 0 && errno == EINTR)
			;
	}
	return r;
}

static char *stream_take(struct stream *s) {
	char *b = s->buf ? s->buf : malloc(1);
	if (b)
		b[s->len] = '\0';
	s->buf = NULL;
	return b;
}

/* Feed the child its input, read its output and wait for it (pump), then hand over what
 * it wrote: *ret only on success. The three descriptors are closed. */
static int collect(const struct ev_spawn *sp, pid_t pid, int in_w, int out_r, int err_r,
                   struct ev_spawn_result *ret) {
	struct ev_spawn_result res = {0};
	struct stream so = {.fd = out_r, .cap = sp->out_cap};
	struct stream se = {.fd = err_r, .cap = sp->err_cap};
	int r = pump(sp, pid, in_w, &so, &se, &res);
	if (so.fd >= 0)
		close(so.fd);
	if (se.fd >= 0)
		close(se.fd);
	res.out_total = so.total;
	res.err_total = se.total;
	res.out_truncated = so.cut;
	res.err_truncated = se.cut;
	res.out_len = so.len;
	res.err_len = se.len;
	res.out = sp->on_out ? NULL : stream_take(&so);
	res.err = stream_take(&se);
	free(so.buf);
	free(se.buf);
	if (r == 0 && ((!sp->on_out && !res.out) || !res.err))
		r = -ENOMEM;
	if (r < 0)
		ev_spawn_result_clear(&res);
	else
		*ret = res;
	return r;
}

int ev_spawn_run(const struct ev_spawn *sp, struct ev_spawn_result *ret) {
	_cleanup_free_ char *path = NULL;
	int r = resolve(sp->argv[0], &path);
	if (r < 0)
		return r;
	_cleanup_free_ char **envp = clean_env(sp->env);
	if (!envp)
		return -ENOMEM;
	int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, ex[2] = {-1, -1};
	int nul = above_stdio(open("/dev/null", O_RDWR | O_CLOEXEC));
	if (nul < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
	    pipe2(ex, O_CLOEXEC) < 0 || (sp->input && pipe2(in, O_CLOEXEC) < 0)) {
		r = -errno;
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		in[i] = above_stdio(in[i]);
		out[i] = above_stdio(out[i]);
		err[i] = above_stdio(err[i]);
		ex[i] = above_stdio(ex[i]);
	}
	long max_fd = sysconf(_SC_OPEN_MAX);
	pid_t pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0)
		child(path, sp->argv, envp, in[0] >= 0 ? in[0] : nul,
		      sp->stdout_null ? nul : out[1], err[1], ex[1], max_fd > 0 ? max_fd : 65536);
	close(TAKE_FD(ex[1]));
	close(TAKE_FD(out[1]));
	close(TAKE_FD(err[1]));
	if (in[0] >= 0)
		close(TAKE_FD(in[0]));
	int e = 0;
	ssize_t n;
	while ((n = read(ex[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	if (n == sizeof(e)) { /* exec failed: the child has exited */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		r = -e;
		goto out;
	}
	r = collect(sp, pid, TAKE_FD(in[1]), sp->stdout_null ? -1 : TAKE_FD(out[0]),
	            TAKE_FD(err[0]), ret);
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
		if (ex[i] >= 0)
			close(ex[i]);
	}
	if (nul >= 0)
		close(nul);
	return r;
}

void ev_spawn_result_clear(struct ev_spawn_result *r) {
	free(r->out);
	free(r->err);
	*r = (struct ev_spawn_result){0};
}
