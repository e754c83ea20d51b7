/* Control socket client: one request, one answer, with a deadline. Used by `evident
 * status`, `evident reload` and `evident triage`. The answer is capped like a request on the server
 * side (status answers are small); a longer answer is an error, not a truncation. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent/cli.h"
#include "agent/settings.h"
#include "agent/daemon/control.h"
#include "util/clock.h"

#define ANSWER_MAX (4 * 1024 * 1024)

/* Milliseconds left until `deadline` (µs, CLOCK_MONOTONIC), 0 once it has passed. */
static int64_t remaining(uint64_t deadline) {
	uint64_t now = ev_now_monotonic_us();
	return now >= deadline ? 0 : (int64_t)((deadline - now) / 1000);
}

int ev_control_call(const char *path, const json_t *request, uint64_t timeout_usec,
                    json_t **ret_answer) {
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	uint64_t now = ev_now_monotonic_us();
	uint64_t deadline = timeout_usec > UINT64_MAX - now ? UINT64_MAX : now + timeout_usec;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	_cleanup_free_ char *req = json_dumps(request, JSON_COMPACT);
	if (!req)
		return -ENOMEM;
	size_t len = strlen(req);
	req[len] = '\n'; /* replaces the NUL; exactly len + 1 bytes are sent */
	int send_error = 0;
	for (size_t off = 0; off < len + 1;) {
		ssize_t n = send(fd, req + off, len + 1 - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* The agent may have answered and closed already (a refusal): read it. */
			send_error = -errno;
			break;
		}
		off += (size_t)n;
	}
	_cleanup_free_ char *buf = NULL;
	size_t blen = 0, balloc = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, (int)remaining(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		if (blen + 4096 > balloc) {
			if (balloc >= ANSWER_MAX)
				return -EMSGSIZE;
			size_t na = balloc ? balloc * 2 : 8192;
			char *nb = realloc(buf, na);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			balloc = na;
		}
		ssize_t n = recv(fd, buf + blen, balloc - blen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return send_error ? send_error : -errno;
		if (n == 0)
			return send_error ? send_error
			                  : -ECONNRESET; /* closed before a full answer */
		char *nl = memchr(buf + blen, '\n', (size_t)n);
		blen += (size_t)n;
		if (nl) {
			json_error_t je;
			json_t *a = json_loadb(buf, (size_t)(nl - buf), 0, &je);
			if (!a || !json_is_object(a)) {
				json_decref(a);
				return -EBADMSG;
			}
			*ret_answer = a;
			return 0;
		}
	}
}

/* agent.control_socket of `config` (NULL: the default configuration) into *ret (NULL
 * when none is configured). A configuration that does not load is reported here. */
static int config_socket(const char *config, char **ret) {
	struct ev_config *cfg = NULL;
	struct ev_errlist errs = {0};
	int r = ev_config_load(config, &cfg, &errs);
	if (r < 0) {
		if (errs.n)
			ev_errlist_print(&errs, stderr);
		else
			ev_log_error("cannot load the configuration %s: %s", config, strerror(-r));
		ev_errlist_clear(&errs);
		return r;
	}
	*ret = NULL;
	if (cfg->agent.control_socket && !(*ret = strdup(cfg->agent.control_socket)))
		r = -ENOMEM;
	ev_config_free(cfg);
	return r;
}

int ev_control_client(const struct ev_command *cmd, const char *sock, const char *config,
                      const json_t *request, uint64_t timeout_usec, const char *hint,
                      json_t **ret_answer) {
	_cleanup_free_ char *def = NULL;
	if (!sock) {
		if (config_socket(config, &def) < 0)
			return EV_EXIT_USAGE;
		sock = def;
	}
	if (!sock)
		return ev_usage_error(cmd,
		                      "no control socket configured (agent.control_socket in "
		                      "%s; or --socket PATH)",
		                      config ? config : "the default configuration");
	int r = ev_control_call(sock, request, timeout_usec, ret_answer);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		ev_log_error("the agent is not running (nothing listens on %s)%s%s", sock,
		             hint ? "; " : "", hint ? hint : "");
		if (!config)
			fputs("evident: an agent started with its own configuration: pass it with "
			      "--config FILE or --socket PATH\n",
			      stderr);
		return EV_EXIT_USAGE;
	}
	if (r < 0) {
		ev_log_error("%s: %s", sock, strerror(-r));
		return EV_EXIT_USAGE;
	}
	return -1; /* answered */
}
