/* Alert forwarding over TLS (see forward.h). The loop thread touches only `pending` (under
 * `lock`); the worker thread owns the queue directory, the socket and the TLS session. A
 * queued message is the file DIR/NNNNNNNNNNNNNNNNNNNN.msg (its bytes, no framing); files
 * are sent in name order and removed once confirmed. OpenSSL writes with write(2): the
 * daemon ignores SIGPIPE, so a vanished receiver is an error here, not a signal. */
#include "config.h"

#include "agent/daemon/forward.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/daemon/daemon_log.h"
#include "agent/ssl_load.h"
#include "util/clock.h"
#include "util/io.h"
#include "util/macro.h"

#define PENDING_CAP  1024           /* hand-off list between the loop and the worker */
#define MSG_CAP      (64 * 1024)    /* largest message forwarded */
#define IO_TIMEOUT   3000           /* ms: connect, handshake, each write */
#define CONFIRM_WAIT 150            /* ms the connection must stay up after a write */
#define BACKOFF_MAX  (8 * 1000000u) /* µs between connection attempts at most */

struct pmsg {
	struct pmsg *next;
	size_t len;
	char data[];
};

struct ev_forward {
	char *host, *port, *addr, *server_name, *dir;
	int64_t queue_max;
	SSL_CTX *ctx;
	pthread_t thread;
	bool started;
	int wake_fd; /* eventfd: new messages or stop */
	pthread_mutex_t lock;
	struct pmsg *head, **tail;
	size_t n_pending;
	atomic_bool stop;
	/* worker only */
	int dir_fd, lock_fd, sock;
	SSL *ssl;
	uint64_t next_seq, next_attempt, backoff;
	uint64_t *q; /* sequence numbers on disk, ascending */
	size_t nq, aq;
};

/* Per process, so that a reload keeps them (loop thread reads, worker writes). */
static atomic_uint_fast64_t st_sent, st_dropped, st_tls, st_connect, st_disk;
static atomic_bool st_connected;

/* A dropped alert is always counted (st_dropped); the log gets the first drop at once and
 * then at most one line a minute with the number dropped since, so a receiver that stays
 * down behind a flood of alerts cannot flood the log too. Either thread may drop. */
#define DROP_LOG_INTERVAL_US (60 * 1000000ULL)
static pthread_mutex_t drop_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t drop_logged_at, drops_unlogged;

static void drop(const struct ev_forward *f, const char *why) {
	st_dropped++;
	uint64_t now = ev_now_monotonic_us(), n = 0;
	pthread_mutex_lock(&drop_lock);
	drops_unlogged++;
	if (!drop_logged_at || now - drop_logged_at >= DROP_LOG_INTERVAL_US) {
		n = drops_unlogged;
		drops_unlogged = 0;
		drop_logged_at = now;
	}
	pthread_mutex_unlock(&drop_lock);
	if (n == 1)
		ev_dlog(LOG_WARNING, "forward %s: %s, alert dropped", f->addr, why);
	else if (n > 1)
		ev_dlog(LOG_WARNING,
		        "forward %s: %s, alert dropped (%" PRIu64
		        " dropped since the last such line; at most one a minute)",
		        f->addr, why, n);
}

void ev_forward_sd_escape(char *buf, size_t size, size_t *pos, const char *v, size_t len) {
	size_t o = *pos;
	for (size_t i = 0; i < len && o + 2 < size; i++) {
		if (v[i] == '"' || v[i] == '\\' || v[i] == ']')
			buf[o++] = '\\';
		buf[o++] = v[i];
	}
	if (o < size)
		buf[o] = '\0';
	*pos = o;
}

/* ---- the loop side ---- */

void ev_forward_submit(struct ev_forward *f, const char *msg, size_t len) {
	if (len > MSG_CAP) {
		drop(f, "message over 64 KiB");
		return;
	}
	struct pmsg *m = malloc(sizeof(*m) + len);
	if (!m) {
		drop(f, "out of memory");
		return;
	}
	m->next = NULL;
	m->len = len;
	memcpy(m->data, msg, len);
	pthread_mutex_lock(&f->lock);
	if (f->n_pending >= PENDING_CAP) {
		pthread_mutex_unlock(&f->lock);
		free(m);
		drop(f, "1024 alerts wait for the forwarding thread");
		return;
	}
	*f->tail = m;
	f->tail = &m->next;
	f->n_pending++;
	pthread_mutex_unlock(&f->lock);
	uint64_t one = 1;
	ssize_t k = write(f->wake_fd, &one, sizeof(one));
	(void)k;
}

void ev_forward_get_stats(struct ev_forward *f, struct ev_forward_stats *ret) {
	size_t pending = 0;
	if (f) {
		pthread_mutex_lock(&f->lock);
		pending = f->n_pending;
		pthread_mutex_unlock(&f->lock);
	}
	*ret = (struct ev_forward_stats){.queued = pending + st_disk,
	                                 .sent = st_sent,
	                                 .dropped = st_dropped,
	                                 .tls_failures = st_tls,
	                                 .connect_failures = st_connect,
	                                 .connected = st_connected};
}

/* ---- the disk queue (worker) ---- */

static int cmp_u64(const void *a, const void *b) {
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int q_push(struct ev_forward *f, uint64_t seq) {
	if (f->nq == f->aq) {
		size_t na = f->aq ? f->aq * 2 : 64;
		uint64_t *n = realloc(f->q, na * sizeof(*n));
		if (!n)
			return -ENOMEM;
		f->q = n;
		f->aq = na;
	}
	f->q[f->nq++] = seq;
	return 0;
}

static int q_scan(struct ev_forward *f) {
	int fd = openat(f->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	struct dirent *de;
	f->nq = 0;
	while ((de = readdir(d))) {
		char *end;
		if (strlen(de->d_name) != 24 || strcmp(de->d_name + 20, ".msg") != 0)
			continue;
		uint64_t seq = strtoull(de->d_name, &end, 10);
		if (end != de->d_name + 20 || q_push(f, seq) < 0)
			continue;
	}
	closedir(d);
	if (f->nq)
		qsort(f->q, f->nq, sizeof(*f->q), cmp_u64);
	f->next_seq = f->nq ? f->q[f->nq - 1] + 1 : 1;
	st_disk = f->nq;
	return 0;
}

static void q_name(uint64_t seq, char *buf, size_t size) {
	snprintf(buf, size, "%020" PRIu64 ".msg", seq);
}

static int q_store(struct ev_forward *f, const struct pmsg *m) {
	if ((int64_t)f->nq >= f->queue_max)
		return -ENOSPC;
	char name[32], tmp[40];
	q_name(f->next_seq, name, sizeof(name));
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	int fd =
	        openat(f->dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int r = ev_write_all(fd, m->data, m->len);
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r >= 0 && renameat(f->dir_fd, tmp, f->dir_fd, name) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(f->dir_fd, tmp, 0);
		return r;
	}
	r = q_push(f, f->next_seq++);
	st_disk = f->nq;
	return r;
}

/* Move the hand-off list to disk. */
static void q_absorb(struct ev_forward *f) {
	pthread_mutex_lock(&f->lock);
	struct pmsg *m = f->head;
	f->head = NULL;
	f->tail = &f->head;
	f->n_pending = 0;
	pthread_mutex_unlock(&f->lock);
	bool stored = false;
	while (m) {
		struct pmsg *next = m->next;
		int r = q_store(f, m);
		if (r == -ENOSPC) {
			char why[64];
			snprintf(why, sizeof(why), "queue full (%" PRId64 " messages)",
			         f->queue_max);
			drop(f, why);
		} else if (r < 0) {
			char why[160];
			snprintf(why, sizeof(why), "cannot queue an alert: %s", strerror(-r));
			drop(f, why);
		}
		stored = stored || r >= 0;
		free(m);
		m = next;
	}
	st_disk = f->nq;
	if (stored)
		fsync(f->dir_fd);
}

/* ---- TLS (worker) ---- */

static void conn_close(struct ev_forward *f) {
	if (f->ssl) {
		SSL_free(f->ssl);
		f->ssl = NULL;
	}
	if (f->sock >= 0)
		close(f->sock);
	f->sock = -1;
	st_connected = false;
}

/* Wait for `events` on the socket, or the stop request (so that stopping never waits for
 * a slow receiver). 1 ready, 0 timeout, <0 error. */
static int wait_sock(struct ev_forward *f, short events, int timeout_ms) {
	struct pollfd p[2] = {{.fd = f->sock, .events = events},
	                      {.fd = f->wake_fd, .events = POLLIN}};
	uint64_t end = ev_now_monotonic_us() + (uint64_t)timeout_ms * 1000;
	for (;;) {
		if (f->stop)
			return -ECANCELED;
		uint64_t now = ev_now_monotonic_us();
		int left = now < end ? (int)((end - now + 999) / 1000) : 0;
		/* a new message also wakes us: then keep waiting on the socket alone */
		int k = poll(p, p[1].fd >= 0 ? 2 : 1, left);
		if (k < 0 && errno != EINTR)
			return -errno;
		if (k > 0 && p[0].revents)
			return 1;
		if (k > 0 && p[1].revents && !f->stop)
			p[1].fd = -1;
		else if (k == 0)
			return 0;
	}
}

static int tcp_open(struct ev_forward *f) {
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	int g = getaddrinfo(f->host, f->port, &hints, &ai);
	if (g != 0 || !ai)
		return -EHOSTUNREACH;
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int r = fd < 0 ? -errno : 0;
	if (r >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
		r = -errno;
	freeaddrinfo(ai);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	f->sock = fd;
	r = wait_sock(f, POLLOUT, IO_TIMEOUT);
	int err = 0;
	socklen_t l = sizeof(err);
	if (r == 0)
		r = -ETIMEDOUT;
	else if (r > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) == 0 && err)
		r = -err;
	return r < 0 ? r : 0;
}

/* Drive one non-blocking SSL call to completion (r > 0) or failure. */
static int ssl_wait(struct ev_forward *f, int ret) {
	int e = SSL_get_error(f->ssl, ret);
	short ev = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
	if (!ev)
		return -EPROTO;
	int r = wait_sock(f, ev, IO_TIMEOUT);
	return r == 0 ? -ETIMEDOUT : r < 0 ? r : 0;
}

static int tls_connect(struct ev_forward *f) {
	int r = tcp_open(f);
	if (r < 0)
		return r;
	f->ssl = SSL_new(f->ctx);
	if (!f->ssl || !SSL_set_fd(f->ssl, f->sock) ||
	    !SSL_set_tlsext_host_name(f->ssl, f->server_name))
		return -ENOMEM;
	if (SSL_get_verify_mode(f->ssl) != SSL_VERIFY_NONE) {
		/* an IP address is checked as one, a name as a DNS name */
		X509_VERIFY_PARAM *vp = SSL_get0_param(f->ssl);
		if (!X509_VERIFY_PARAM_set1_ip_asc(vp, f->server_name) &&
		    !SSL_set1_host(f->ssl, f->server_name))
			return -ENOMEM;
	}
	for (;;) {
		int k = SSL_connect(f->ssl);
		if (k == 1)
			break;
		r = ssl_wait(f, k);
		if (r == -EPROTO) {
			long v = SSL_get_verify_result(f->ssl);
			unsigned long e = ERR_get_error();
			char eb[256];
			ERR_error_string_n(e, eb, sizeof(eb));
			st_tls++;
			ev_dlog(LOG_WARNING, "forward %s: TLS handshake failed: %s%s%s", f->addr,
			        v != X509_V_OK ? "certificate refused: " : "",
			        v != X509_V_OK ? X509_verify_cert_error_string(v) : "",
			        v != X509_V_OK ? "" : eb);
			ERR_clear_error();
			return r;
		}
		if (r < 0)
			return r;
	}
	st_connected = true;
	ev_dlog(LOG_INFO, "forward %s: connected (%s)", f->addr, SSL_get_version(f->ssl));
	return 0;
}

/* The receiver never talks: readable means it closed (or reset) the connection. */
static bool conn_alive(struct ev_forward *f, int timeout_ms) {
	if (!f->ssl)
		return false;
	struct pollfd p = {.fd = f->sock, .events = POLLIN};
	int k = poll(&p, 1, timeout_ms);
	if (k == 0)
		return true;
	char b[256];
	int n = SSL_read(f->ssl, b, sizeof(b));
	if (n > 0)
		return true; /* unexpected bytes; ignored */
	int e = SSL_get_error(f->ssl, n);
	ERR_clear_error();
	return e == SSL_ERROR_WANT_READ;
}

static int ssl_write_all(struct ev_forward *f, const char *buf, size_t len) {
	while (len) {
		int k = SSL_write(f->ssl, buf, (int)MIN(len, (size_t)1 << 20));
		if (k > 0) {
			buf += k;
			len -= (size_t)k;
			continue;
		}
		int r = ssl_wait(f, k);
		if (r < 0) {
			ERR_clear_error();
			return r;
		}
	}
	return 0;
}

static int send_one(struct ev_forward *f, uint64_t seq) {
	char name[32];
	q_name(seq, name, sizeof(name));
	int fd = openat(f->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	char *buf = malloc(MSG_CAP + 32);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	ssize_t n = pread(fd, buf + 32, MSG_CAP, 0);
	close(fd);
	int r = n < 0 ? -errno : 0;
	if (r >= 0) {
		char frame[32];
		int fl = snprintf(frame, sizeof(frame), "%zd ", n);
		memcpy(buf + 32 - fl, frame, (size_t)fl);
		r = ssl_write_all(f, buf + 32 - fl, (size_t)fl + (size_t)n);
	}
	free(buf);
	return r;
}

/* Send what is queued; remove it once the connection stayed up after the writes. */
static int q_send(struct ev_forward *f) {
	size_t n = f->nq;
	for (size_t i = 0; i < n; i++) {
		int r = send_one(f, f->q[i]);
		if (r < 0)
			return r;
	}
	if (!conn_alive(f, CONFIRM_WAIT))
		return -ECONNRESET;
	for (size_t i = 0; i < n; i++) {
		char name[32];
		q_name(f->q[i], name, sizeof(name));
		if (unlinkat(f->dir_fd, name, 0) < 0 && errno != ENOENT)
			ev_dlog_errno(LOG_WARNING, -errno, "forward: cannot remove %s/%s", f->dir,
			              name);
		st_sent++;
	}
	memmove(f->q, f->q + n, (f->nq - n) * sizeof(*f->q));
	f->nq -= n;
	st_disk = f->nq;
	return 0;
}

static void worker_step(struct ev_forward *f) {
	q_absorb(f);
	if (!f->nq)
		return;
	if (f->ssl && !conn_alive(f, 0))
		conn_close(f);
	if (!f->ssl) {
		uint64_t now = ev_now_monotonic_us();
		if (now < f->next_attempt)
			return;
		int r = tls_connect(f);
		if (r < 0) {
			if (r != -EPROTO) {
				st_connect++;
				ev_dlog_errno(f->backoff ? LOG_DEBUG : LOG_WARNING, r,
				              "forward %s: connect failed, %zu messages queued",
				              f->addr, f->nq);
			}
			conn_close(f);
			f->backoff = f->backoff ? MIN(f->backoff * 2, BACKOFF_MAX) : 500000;
			f->next_attempt = now + f->backoff;
			return;
		}
		f->backoff = 0;
	}
	int r = q_send(f);
	if (r < 0) {
		ev_dlog_errno(LOG_INFO, r, "forward %s: connection lost, %zu messages kept",
		              f->addr, f->nq);
		conn_close(f);
	}
}

static bool take_lock(struct ev_forward *f) {
	if (f->lock_fd >= 0)
		return true;
	int fd = openat(f->dir_fd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return false;
	}
	f->lock_fd = fd;
	return q_scan(f) >= 0;
}

static void *worker(void *userdata) {
	struct ev_forward *f = userdata;
	while (!f->stop) {
		int timeout = 1000;
		if (take_lock(f)) {
			worker_step(f);
			if (f->nq && !f->ssl) {
				uint64_t now = ev_now_monotonic_us();
				timeout =
				        f->next_attempt > now
				                ? (int)MIN((f->next_attempt - now) / 1000 + 1, 1000)
				                : 10;
			}
		} else
			timeout = 100; /* the previous worker (reload) has not let go yet */
		struct pollfd p = {.fd = f->wake_fd, .events = POLLIN};
		if (poll(&p, 1, timeout) > 0) {
			uint64_t v;
			ssize_t k = read(f->wake_fd, &v, sizeof(v));
			(void)k;
		}
	}
	if (take_lock(f))
		q_absorb(f); /* keep what is left for the next start */
	conn_close(f);
	return NULL;
}

/* ---- setup ---- */

static int ctx_setup(struct ev_forward *f, const struct ev_config *cfg, struct ev_errlist *errs) {
	const typeof(cfg->actions.forward) *c = &cfg->actions.forward;
	const char *why;
	int r = ev_ssl_load(&why);
	if (r < 0) {
		ev_errlist_add(errs, cfg->origin, 0, 0, "actions.forward: %s", why);
		return r;
	}
	f->ctx = SSL_CTX_new(TLS_client_method());
	if (!f->ctx)
		return -ENOMEM;
	SSL_CTX_set_min_proto_version(f->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(f->ctx, c->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	int ok = c->ca_file ? SSL_CTX_load_verify_locations(f->ctx, c->ca_file, NULL)
	                    : SSL_CTX_set_default_verify_paths(f->ctx);
	if (!ok) {
		ev_errlist_add(errs, cfg->origin, 0, 0,
		               "actions.forward.ca_file: cannot load CA certificates from '%s'",
		               c->ca_file ? c->ca_file : "(system default)");
		return -EINVAL;
	}
	if (!c->cert_file != !c->key_file) {
		ev_errlist_add(errs, cfg->origin, 0, 0,
		               "actions.forward: cert_file and key_file go together");
		return -EINVAL;
	}
	if (c->cert_file &&
	    (SSL_CTX_use_certificate_chain_file(f->ctx, c->cert_file) != 1 ||
	     SSL_CTX_use_PrivateKey_file(f->ctx, c->key_file, SSL_FILETYPE_PEM) != 1 ||
	     SSL_CTX_check_private_key(f->ctx) != 1)) {
		ev_errlist_add(errs, cfg->origin, 0, 0,
		               "actions.forward: cannot use the client certificate '%s' with the "
		               "key '%s'",
		               c->cert_file, c->key_file);
		ERR_clear_error();
		return -EINVAL;
	}
	ERR_clear_error();
	return 0;
}

static int split_address(const char *a, char **ret_host, char **ret_port) {
	const char *colon = strrchr(a, ':'), *h = a;
	size_t hl = colon ? (size_t)(colon - a) : 0;
	if (*a == '[' && colon && colon > a && colon[-1] == ']') {
		h = a + 1;
		hl -= 2;
	}
	if (!colon || hl == 0 || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return -EINVAL;
	*ret_host = strndup(h, hl);
	*ret_port = strdup(colon + 1);
	return *ret_host && *ret_port ? 0 : -ENOMEM;
}

int ev_forward_new(const struct ev_config *cfg, const char *state_dir, struct ev_forward **ret,
                   struct ev_errlist *errs) {
	struct ev_forward *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->dir_fd = f->lock_fd = f->sock = f->wake_fd = -1;
	f->tail = &f->head;
	pthread_mutex_init(&f->lock, NULL);
	f->queue_max = cfg->actions.forward.queue_max;
	const char *a = cfg->actions.forward.address;
	int r = split_address(a, &f->host, &f->port);
	if (r == -EINVAL)
		ev_errlist_add(errs, cfg->origin, 0, 0,
		               "actions.forward.address: invalid address '%s' (expected HOST:PORT)",
		               a);
	if (r >= 0) {
		f->addr = strdup(a);
		f->server_name =
		        strdup(cfg->actions.forward.server_name ? cfg->actions.forward.server_name
		                                                : f->host);
		if (asprintf(&f->dir, "%s/forward", state_dir) < 0)
			f->dir = NULL;
		r = f->addr && f->server_name && f->dir ? 0 : -ENOMEM;
	}
	if (r >= 0)
		r = ctx_setup(f, cfg, errs);
	if (r >= 0 && mkdir(f->dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		ev_errlist_add(errs, cfg->origin, 0, 0, "actions.forward: cannot create %s: %s",
		               f->dir, strerror(-r));
	}
	if (r >= 0 && (f->dir_fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		r = -errno;
	if (r >= 0 && (f->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		r = -errno;
	if (r >= 0 && (r = -pthread_create(&f->thread, NULL, worker, f)) >= 0)
		f->started = true;
	if (r < 0) {
		ev_forward_free(f);
		return r;
	}
	*ret = f;
	return 0;
}

struct ev_forward *ev_forward_free(struct ev_forward *f) {
	if (!f)
		return NULL;
	if (f->started) {
		f->stop = true;
		uint64_t one = 1;
		ssize_t k = write(f->wake_fd, &one, sizeof(one));
		(void)k;
		pthread_join(f->thread, NULL);
	}
	uint64_t lost = 0;
	for (struct pmsg *m = f->head, *n; m; m = n) { /* the worker had no lock: lost */
		n = m->next;
		st_dropped++;
		lost++;
		free(m);
	}
	if (lost)
		ev_dlog(LOG_WARNING,
		        "forward %s: %" PRIu64 " alerts dropped at stop (not queued yet)", f->addr,
		        lost);
	conn_close(f);
	if (f->lock_fd >= 0)
		close(f->lock_fd); /* releases the flock */
	if (f->dir_fd >= 0)
		close(f->dir_fd);
	if (f->wake_fd >= 0)
		close(f->wake_fd);
	if (f->ctx) /* not loading libssl for nothing */
		SSL_CTX_free(f->ctx);
	pthread_mutex_destroy(&f->lock);
	free(f->q);
	free(f->host);
	free(f->port);
	free(f->addr);
	free(f->server_name);
	free(f->dir);
	free(f);
	return NULL;
}
