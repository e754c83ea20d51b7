/* Payload rendering and the four channel kinds (deliver.h). libcurl is used with a fresh
 * easy handle per send, no signals (CURLOPT_NOSIGNAL: we run in threads), the channel's
 * timeout for the whole transfer, and verification on unless configured off. */
#include "config.h"

#include "agent/notify/deliver.h"

#include "agent/curl_load.h" /* libcurl, loaded on first use */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/notify/statuspage.h"
#include "agent/spawn.h"
#include "store/ledger.h"
#include "util/macro.h"

#define TOKEN_MAX 4096
#define REPLY_CAP 4096

static const char *jstr(const json_t *o, const char *k) {
	return json_string_value(json_object_get(o, k));
}

static const char *ch_type(const json_t *ch) {
	return jstr(ch, "type") ?: "";
}

static char *dump(const json_t *o) {
	return json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
}

static json_t *slack_payload(const json_t *item) {
	const json_t *m = json_object_get(item, "message");
	const char *subj = jstr(m, "subject"), *body = jstr(m, "body");
	char *fallback = NULL;
	json_t *ev = json_object_get(item, "event");
	char *evs = ev ? dump(ev) : NULL;
	if (!m) { /* an alert or a deadline: a short line and the JSON */
		const char *kind = jstr(ev, "kind") ?: jstr(ev, "type") ?: "event";
		const char *rule = jstr(ev, "rule") ?: jstr(ev, "incident") ?: "";
		if (asprintf(&fallback, "evident %s %s", kind, rule) < 0)
			fallback = NULL;
		json_t *o = json_pack("{s:s, s:[{s:s, s:{s:s, s:s}}]}", "text",
		                      fallback ?: "evident", "blocks", "type", "section", "text",
		                      "type", "mrkdwn", "text", evs ? evs : "{}");
		free(fallback);
		free(evs);
		return o;
	}
	free(evs);
	if (asprintf(&fallback, "%s\n%s", subj ?: "", body ?: "") < 0)
		return NULL;
	json_t *blocks = json_array();
	if (json_is_true(json_object_get(m, "drill")))
		json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:s}}", "type", "section",
		                                        "text", "type", "mrkdwn", "text",
		                                        ":rotating_light: *DRILL* - this is an "
		                                        "exercise, not a real incident"));
	json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:s}}", "type", "header", "text",
	                                        "type", "plain_text", "text", subj ?: ""));
	json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:s}}", "type", "section", "text",
	                                        "type", "mrkdwn", "text", body ?: ""));
	json_array_append_new(blocks,
	                      json_pack("{s:s, s:[{s:s, s:s}]}", "type", "context", "elements",
	                                "type", "mrkdwn", "text", jstr(item, "incident") ?: ""));
	json_t *o = json_pack("{s:s, s:o}", "text", fallback, "blocks", blocks);
	free(fallback);
	return o;
}

/* The plain JSON object: the event as is, or the message with its incident and audience. */
static json_t *plain_payload(const json_t *item) {
	const json_t *ev = json_object_get(item, "event");
	if (ev)
		return json_deep_copy(ev);
	const json_t *m = json_object_get(item, "message");
	return json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:b, s:s?}", "type", "incident_message",
	                 "incident", jstr(item, "incident"), "audience", jstr(item, "audience"),
	                 "subject", jstr(m, "subject"), "body", jstr(m, "body"), "drill",
	                 json_is_true(json_object_get(m, "drill")), "id", jstr(item, "id"));
}

static bool ascii(const char *s) {
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80 || *s == '\r' || *s == '\n')
			return false;
	return true;
}

/* RFC 2047 encoded-word (base64) for a non-ASCII header value. */
static char *header_word(const char *s) {
	if (ascii(s))
		return strdup(s);
	static const char b64[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s);
	char *out = malloc(n / 3 * 4 + 32);
	if (!out)
		return NULL;
	memcpy(out, "=?UTF-8?B?", 10);
	char *o = out + 10;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v =
		        p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64[v & 63] : '=';
	}
	memcpy(o, "?=", 3);
	return out;
}

static const json_t *recipients(const json_t *ch, const char *audience) {
	const json_t *to = json_object_get(ch, "to");
	const json_t *r = audience ? json_object_get(to, audience) : NULL;
	return json_array_size(r) ? r : json_object_get(to, "*");
}

static char *email_payload(const json_t *ch, const json_t *item, const char *hostname) {
	const json_t *m = json_object_get(item, "message");
	char *evs = NULL;
	const char *subj = jstr(m, "subject"), *body = jstr(m, "body");
	if (!m) {
		evs = dump(json_object_get(item, "event"));
		subj = "evident event";
		body = evs ? evs : "{}";
	}
	time_t t = (time_t)(json_integer_value(json_object_get(item, "created_us")) / 1000000);
	struct tm tm;
	char date[64];
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	char *to = NULL;
	size_t i;
	const json_t *a;
	json_array_foreach(recipients(ch, jstr(item, "audience")), i, a) {
		char *n = NULL;
		if (asprintf(&n, "%s%s%s", to ? to : "", to ? ", " : "", json_string_value(a)) >=
		    0) {
			free(to);
			to = n;
		}
	}
	char *sw = header_word(subj ?: "");
	FILE *f;
	char *out = NULL;
	size_t olen = 0;
	if (!sw || !(f = open_memstream(&out, &olen))) {
		free(sw);
		free(to);
		free(evs);
		return NULL;
	}
	fprintf(f,
	        "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@%s>\r\n"
	        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
	        "Content-Transfer-Encoding: 8bit\r\n",
	        date, jstr(ch, "from"), to ? to : "", sw, jstr(item, "id") ?: "x",
	        hostname ? hostname : "localhost");
	if (jstr(item, "incident"))
		fprintf(f, "X-Evident-Incident: %s\r\n", jstr(item, "incident"));
	if (json_is_true(json_object_get(m, "drill")))
		fprintf(f, "X-Evident-Drill: yes\r\n");
	fputs("\r\n", f);
	for (const char *p = body ?: ""; *p;) { /* CRLF line ends; the body ends with one */
		size_t l = strcspn(p, "\n");
		fwrite(p, 1, l, f);
		fputs("\r\n", f);
		p += l + (p[l] == '\n');
	}
	fclose(f);
	free(sw);
	free(to);
	free(evs);
	return out;
}

int ev_notify_payload(const json_t *ch, const json_t *item, const char *hostname, char **ret,
                      size_t *ret_len) {
	const char *t = ch_type(ch);
	char *s = NULL;
	if (!strcmp(t, "email"))
		s = email_payload(ch, item, hostname);
	else {
		json_t *o = !strcmp(t, "webhook") && !strcmp(jstr(ch, "payload") ?: "", "slack")
		                    ? slack_payload(item)
		            : !strcmp(t, "statuspage") ? ev_statuspage_update(item)
		                                       : plain_payload(item);
		s = o ? dump(o) : NULL;
		json_decref(o);
	}
	if (!s)
		return -ENOMEM;
	*ret_len = strlen(s);
	*ret = s;
	return 0;
}

int ev_notify_read_token(const char *path, char **ret, char **ret_why) {
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int r = -errno;
		if (fd >= 0)
			close(fd);
		if (asprintf(ret_why, "token_file %s: %s", path, strerror(-r)) < 0)
			*ret_why = NULL;
		return r;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH) || !S_ISREG(st.st_mode)) {
		close(fd);
		if (asprintf(ret_why,
		             "token_file %s may be read or written by others (mode %04o): refused; "
		             "chmod o-rw it",
		             path, (unsigned)(st.st_mode & 07777)) < 0)
			*ret_why = NULL;
		return -EPERM;
	}
	close(fd);
	char *buf = NULL;
	size_t len = 0;
	int r = store_read_file(path, TOKEN_MAX, &buf, &len);
	if (r < 0) {
		if (asprintf(ret_why, "token_file %s: %s", path, strerror(-r)) < 0)
			*ret_why = NULL;
		return r;
	}
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
		buf[--len] = 0;
	*ret = buf;
	return 0;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t read_cb(char *dst, size_t size, size_t n, void *ud) {
	struct upload *u = ud;
	size_t k = size * n < u->left ? size * n : u->left;
	memcpy(dst, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

static size_t discard_cb(char *p, size_t size, size_t n, void *ud) {
	(void)p;
	(void)ud;
	return size * n;
}

static void curl_common(CURL *h, const json_t *ch) {
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
	                 (long)(json_integer_value(json_object_get(ch, "timeout_us")) / 1000));
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	bool verify = !json_is_false(json_object_get(ch, "tls_verify"));
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
	if (jstr(ch, "ca_file"))
		curl_easy_setopt(h, CURLOPT_CAINFO, jstr(ch, "ca_file"));
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,smtp,smtps");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
}

/* A curl result: 0, -EAGAIN (transient), or -EPROTO / -EPERM (permanent). */
static int curl_result(CURLcode c, long status, const char *what, char **ret_detail) {
	int r;
	if (c != CURLE_OK) {
		r = c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CACERT_BADFILE ||
		                    c == CURLE_USE_SSL_FAILED || c == CURLE_UNSUPPORTED_PROTOCOL
		            ? -EPERM
		            : -EAGAIN;
		if (asprintf(ret_detail, "%s: %s", what, curl_easy_strerror(c)) < 0)
			*ret_detail = NULL;
		return r;
	}
	if (status >= 200 && status < 300)
		r = 0;
	else
		r = status >= 400 && status < 500 && status != 408 && status != 429 ? -EPROTO
		                                                                    : -EAGAIN;
	if (asprintf(ret_detail, "%s: %s %ld", what, r ? "answered" : "delivered, status", status) <
	    0)
		*ret_detail = NULL;
	return r;
}

/* libcurl cannot be loaded: the reason in *ret_detail. The delivery is retried (-EAGAIN),
 * so that installing the library lets the queue go on. */
static bool no_curl(char **ret_detail) {
	const char *why;
	if (ev_curl_load(&why) >= 0)
		return false;
	*ret_detail = strdup(why);
	return true;
}

static int send_webhook(const json_t *ch, const char *bytes, size_t len, char **ret_detail) {
	char *token = NULL, *auth = NULL;
	if (jstr(ch, "token_file")) {
		int r = ev_notify_read_token(jstr(ch, "token_file"), &token, ret_detail);
		if (r < 0)
			return r == -EPERM ? -EPERM : -EAGAIN;
	}
	if (no_curl(ret_detail)) {
		free(token);
		return -EAGAIN;
	}
	CURL *h = curl_easy_init();
	if (!h) {
		free(token);
		return -ENOMEM;
	}
	struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
	if (token && asprintf(&auth, "Authorization: Bearer %s", token) >= 0)
		hd = curl_slist_append(hd, auth);
	curl_common(h, ch);
	curl_easy_setopt(h, CURLOPT_URL, jstr(ch, "url"));
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, bytes);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "evident/" PACKAGE_VERSION);
	CURLcode c = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hd);
	if (token)
		explicit_bzero(token, strlen(token));
	if (auth)
		explicit_bzero(auth, strlen(auth));
	free(token);
	free(auth);
	return curl_result(c, status, jstr(ch, "url"), ret_detail);
}

static int send_email(const json_t *ch, const json_t *item, const char *bytes, size_t len,
                      char **ret_detail) {
	const json_t *to = recipients(ch, jstr(item, "audience"));
	if (!json_array_size(to)) {
		if (asprintf(ret_detail, "no recipients for audience %s",
		             jstr(item, "audience") ?: "-") < 0)
			*ret_detail = NULL;
		return -EINVAL;
	}
	if (no_curl(ret_detail))
		return -EAGAIN;
	CURL *h = curl_easy_init();
	if (!h)
		return -ENOMEM;
	struct curl_slist *rcpt = NULL;
	size_t i;
	const json_t *a;
	json_array_foreach(to, i, a) rcpt = curl_slist_append(rcpt, json_string_value(a));
	struct upload u = {bytes, len};
	curl_common(h, ch);
	curl_easy_setopt(h, CURLOPT_URL, jstr(ch, "url"));
	bool smtps = !strncmp(jstr(ch, "url"), "smtps://", 8);
	curl_easy_setopt(h, CURLOPT_USE_SSL,
	                 smtps || json_is_true(json_object_get(ch, "starttls"))
	                         ? (long)CURLUSESSL_ALL
	                         : (long)CURLUSESSL_NONE);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, jstr(ch, "from"));
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &u);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	CURLcode c = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	curl_slist_free_all(rcpt);
	if (c == CURLE_OK)
		status = 250; /* the DATA was accepted */
	return curl_result(c, status, jstr(ch, "url"), ret_detail);
}

static int send_command(const json_t *ch, const char *bytes, size_t len, char **ret_detail) {
	const json_t *cmd = json_object_get(ch, "command");
	size_t n = json_array_size(cmd);
	char **argv = calloc(n + 1, sizeof(char *));
	if (!argv)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		argv[i] = (char *)json_string_value(json_array_get(cmd, i));
	char *line = NULL;
	if (asprintf(&line, "%s\n", bytes) < 0) {
		free(argv);
		return -ENOMEM;
	}
	struct ev_spawn sp = {
	        .argv = argv,
	        .input = line,
	        .input_len = len + 1,
	        .timeout_usec = (uint64_t)json_integer_value(json_object_get(ch, "timeout_us")),
	        .stdout_null = true,
	        .err_cap = REPLY_CAP};
	struct ev_spawn_result res;
	int r = ev_spawn_run(&sp, &res);
	free(line);
	free(argv);
	if (r < 0) {
		if (asprintf(ret_detail, "%s: cannot run: %s",
		             json_string_value(json_array_get(cmd, 0)), strerror(-r)) < 0)
			*ret_detail = NULL;
		return -EAGAIN;
	}
	bool okay = !res.timed_out && WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0;
	if (asprintf(ret_detail, "%s: %s %d", json_string_value(json_array_get(cmd, 0)),
	             res.timed_out ? "timed out, status" : "exit status",
	             WIFEXITED(res.status) ? WEXITSTATUS(res.status) : -1) < 0)
		*ret_detail = NULL;
	ev_spawn_result_clear(&res);
	return okay ? 0 : -EAGAIN;
}

int ev_notify_send(const struct ev_notify_ctx *ctx, const json_t *ch, const json_t *item,
                   const char *bytes, size_t len, char **ret_detail) {
	const char *t = ch_type(ch);
	*ret_detail = NULL;
	int r;
	if (!strcmp(t, "webhook"))
		r = send_webhook(ch, bytes, len, ret_detail);
	else if (!strcmp(t, "email"))
		r = send_email(ch, item, bytes, len, ret_detail);
	else if (!strcmp(t, "command"))
		r = send_command(ch, bytes, len, ret_detail);
	else if (!strcmp(t, "statuspage"))
		r = ev_statuspage_publish(ctx, ch, bytes, ret_detail);
	else
		r = -EINVAL;
	if (!*ret_detail)
		*ret_detail = strdup(r ? strerror(r == -EAGAIN ? EIO : -r) : "delivered");
	return r;
}
