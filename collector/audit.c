/* audit.log lines and audit journal entries -> records (see audit.h). The event
 * assembler is in audit_event.c.
 *
 * A line is read once, left to right, on (pointer, length): nothing past `len` is read
 * and nothing assumes NUL termination. Quoted values end at the next quote of the same
 * kind (audit never escapes inside quotes: a value that needs escaping is hex-encoded);
 * an unterminated quote runs to the end of the line. Only a user-space record's
 * msg='...' is parsed for the pairs inside it, one level deep. */
#include "collector/audit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/macro.h"

#define PROCTITLE_CAP (64 * 1024) /* decoded bytes of one hex value at most */

static bool has_prefix(const char *p, size_t n, const char *pre) {
	size_t l = strlen(pre);
	return n >= l && memcmp(p, pre, l) == 0;
}

static bool key_is(const char *k, size_t kl, const char *name) {
	return kl == strlen(name) && memcmp(k, name, kl) == 0;
}

/* Audit's hex encoding: an even number of upper-case hex digits. */
static bool is_hex(const char *v, size_t n) {
	if (n == 0 || n % 2)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'A' && v[i] <= 'F')))
			return false;
	return true;
}

static int hexval(char c) {
	return c <= '9' ? c - '0' : c - 'A' + 10;
}

/* The fields audit hex-encodes when their value is untrusted (auparse's "escaped"). */
static bool encoded_key(const char *k, size_t kl, bool execve) {
	static const char *const names[] = {
	        "proctitle", "name", "cwd", "exe", "comm", "path", "key",  "data",
	        "cmd",       "acct", "dir", "new", "old",  "root", "file", "saddr_path"};
	if (execve && kl >= 2 && k[0] == 'a' && k[1] >= '0' && k[1] <= '9')
		return !memchr(k, '_', kl); /* a0, a1, the parts a1[0] of a long one; not a1_len */
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (key_is(k, kl, names[i]))
			return true;
	return false;
}

static int add_value(struct ev_record *rec, const char *k, size_t kl, const char *v, size_t vl,
                     bool quoted, bool execve) {
	if (key_is(k, kl, "pid") && vl && vl < 10) { /* "pid" is the record's standard field */
		int64_t pid = 0;
		for (size_t i = 0; i < vl && pid >= 0; i++)
			pid = v[i] >= '0' && v[i] <= '9' ? pid * 10 + (v[i] - '0') : -1;
		rec->pid = pid;
	}
	if (quoted || !encoded_key(k, kl, execve) || !is_hex(v, vl))
		return ev_record_add_field(rec, k, kl, v, vl);
	size_t n = vl / 2 > PROCTITLE_CAP ? PROCTITLE_CAP : vl / 2;
	char *d = malloc(n + 1);
	if (!d)
		return -ENOMEM;
	bool title = key_is(k, kl, "proctitle");
	for (size_t i = 0; i < n; i++) {
		d[i] = (char)(hexval(v[2 * i]) << 4 | hexval(v[2 * i + 1]));
		if (title && d[i] == 0)
			d[i] = ' ';
	}
	while (title && n && d[n - 1] == ' ')
		n--;
	if (n < vl / 2)
		rec->flags |= EV_REC_TRUNCATED;
	int r = ev_record_add_field(rec, k, kl, d, n);
	free(d);
	return r;
}

static bool sep(char c) {
	return c == ' ' || c == '\t' || c == '\x1d';
}

/* The key=value pairs of s[0..n) into rec; tokens without '=' are skipped. */
static int parse_pairs(struct ev_record *rec, const char *s, size_t n, bool execve, int depth) {
	size_t i = 0;
	while (i < n) {
		while (i < n && sep(s[i]))
			i++;
		size_t k0 = i;
		while (i < n && s[i] != '=' && !sep(s[i]))
			i++;
		if (i >= n || s[i] != '=')
			continue;
		size_t kl = i - k0;
		i++;
		const char *v = s + i;
		size_t vl;
		char q = 0;
		if (i < n && (s[i] == '"' || s[i] == '\'')) {
			q = s[i++];
			v = s + i;
			const char *e = memchr(v, q, n - i);
			vl = e ? (size_t)(e - v) : n - i;
			i += vl + (e ? 1 : 0);
		} else {
			while (i < n && !sep(s[i]))
				i++;
			vl = (size_t)(s + i - v);
		}
		if (kl == 0)
			continue;
		int r;
		if (q == '\'' && depth == 0 && key_is(s + k0, kl, "msg"))
			r = parse_pairs(rec, v, vl, false, 1);
		else
			r = add_value(rec, s + k0, kl, v, vl, q != 0, execve);
		if (r < 0)
			return r;
	}
	return 0;
}

/* x86_64 syscall numbers of the calls detection content names. */
static const char *syscall_name_x86_64(long nr) {
	static const struct {
		int nr;
		const char *name;
	} t[] = {{0, "read"},           {1, "write"},          {2, "open"},
	         {4, "stat"},           {9, "mmap"},           {10, "mprotect"},
	         {41, "socket"},        {42, "connect"},       {43, "accept"},
	         {44, "sendto"},        {49, "bind"},          {50, "listen"},
	         {56, "clone"},         {57, "fork"},          {58, "vfork"},
	         {59, "execve"},        {62, "kill"},          {76, "truncate"},
	         {82, "rename"},        {83, "mkdir"},         {84, "rmdir"},
	         {85, "creat"},         {86, "link"},          {87, "unlink"},
	         {88, "symlink"},       {90, "chmod"},         {91, "fchmod"},
	         {92, "chown"},         {101, "ptrace"},       {105, "setuid"},
	         {106, "setgid"},       {113, "setreuid"},     {117, "setresuid"},
	         {133, "mknod"},        {155, "pivot_root"},   {157, "prctl"},
	         {161, "chroot"},       {165, "mount"},        {166, "umount2"},
	         {169, "reboot"},       {175, "init_module"},  {176, "delete_module"},
	         {188, "setxattr"},     {235, "utimes"},       {257, "openat"},
	         {258, "mkdirat"},      {259, "mknodat"},      {260, "fchownat"},
	         {263, "unlinkat"},     {264, "renameat"},     {268, "fchmodat"},
	         {280, "utimensat"},    {288, "accept4"},      {298, "perf_event_open"},
	         {308, "setns"},        {313, "finit_module"}, {316, "renameat2"},
	         {319, "memfd_create"}, {321, "bpf"},          {322, "execveat"},
	         {435, "clone3"}};
	for (size_t i = 0; i < ELEMENTSOF(t); i++)
		if (t[i].nr == nr)
			return t[i].name;
	return NULL;
}

/* SYSCALL from the number when the log is not ENRICHED (x86_64 only). */
static int add_syscall_name(struct ev_record *rec) {
	const struct ev_str *arch = ev_record_get(rec, "arch"), *nr = ev_record_get(rec, "syscall");
	if (ev_record_get(rec, "SYSCALL") || !arch || !nr || strcmp(arch->p, "c000003e"))
		return 0;
	char *end;
	long n = strtol(nr->p, &end, 10);
	const char *name = *end || end == nr->p ? NULL : syscall_name_x86_64(n);
	return name ? ev_record_add_field(rec, "SYSCALL", 7, name, strlen(name)) : 0;
}

/* "SECONDS.MILLIS:SERIAL)" at p: the time; the length through ')' or 0. */
static size_t parse_stamp(const char *p, size_t n, int64_t *ret_us) {
	size_t i = 0;
	int64_t s = 0, frac = 0, scale = 1000000;
	while (i < n && p[i] >= '0' && p[i] <= '9' && s < INT64_MAX / 100)
		s = s * 10 + (p[i++] - '0');
	if (i == 0 || i >= n || p[i++] != '.')
		return 0;
	size_t f0 = i;
	while (i < n && p[i] >= '0' && p[i] <= '9') {
		if (scale > 1)
			frac = frac * 10 + (p[i] - '0'), scale /= 10;
		i++;
	}
	if (i == f0 || i >= n || p[i++] != ':')
		return 0;
	size_t s0 = i;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	if (i == s0 || i >= n || p[i] != ')' || s > INT64_MAX / 1000000 - 1)
		return 0;
	*ret_us = s * 1000000 + frac * scale;
	return i + 1;
}

bool collector_audit_looks(const char *l, size_t len) {
	if (!has_prefix(l, len, "type=") && !has_prefix(l, len, "node="))
		return false;
	size_t n = len < 160 ? len : 160;
	for (size_t i = 0; i + 11 <= n; i++)
		if (l[i] == ' ' && memcmp(l + i, " msg=audit(", 11) == 0)
			return true;
	return false;
}

int collector_audit_parse_line(const char *l, size_t len, struct ev_record *rec) {
	size_t i = 0;
	const char *node = NULL;
	size_t node_len = 0;
	if (has_prefix(l, len, "node=")) {
		node = l + 5;
		while (5 + node_len < len && l[5 + node_len] != ' ')
			node_len++;
		i = 5 + node_len + 1;
	}
	if (i >= len || !has_prefix(l + i, len - i, "type="))
		return 0;
	const char *type = l + i + 5;
	size_t tl = 0;
	while (i + 5 + tl < len && l[i + 5 + tl] != ' ')
		tl++;
	i += 5 + tl;
	if (!has_prefix(l + i, len - i, " msg=audit("))
		return 0;
	const char *stamp = l + i + 5;
	int64_t t;
	size_t sl = parse_stamp(l + i + 11, len - i - 11, &t);
	if (!sl)
		return 0;
	i += 11 + sl;
	if (i < len && l[i] == ':')
		i++;
	rec->time_us = t;
	rec->message = ev_record_strdup(rec, l, len);
	rec->program = ev_record_strdup(rec, "auditd", 6);
	if (node && node_len)
		rec->host = ev_record_strdup(rec, node, node_len);
	if (!rec->message.p || !rec->program.p || (node_len && !rec->host.p) ||
	    (node && ev_record_add_field(rec, "node", 4, node, node_len) < 0) ||
	    ev_record_add_field(rec, "type", 4, type, tl) < 0 ||
	    ev_record_add_field(rec, "msg", 3, stamp, 6 + sl) < 0)
		return -ENOMEM;
	bool execve = tl == 6 && memcmp(type, "EXECVE", 6) == 0;
	int r = parse_pairs(rec, l + i, len - i, execve, 0);
	if (r >= 0 && tl == 7 && memcmp(type, "SYSCALL", 7) == 0)
		r = add_syscall_name(rec);
	return r < 0 ? r : 1;
}

/* "audit: type=NNNN audit(...): body" (kmsg) -> "type=NAME msg=audit(...): body". */
static char *kmsg_to_line(const char *m, size_t n) {
	static const struct {
		int nr;
		const char *name;
	} t[] = {{1300, "SYSCALL"},   {1302, "PATH"},       {1306, "SOCKADDR"},
	         {1307, "CWD"},       {1309, "EXECVE"},     {1320, "EOE"},
	         {1327, "PROCTITLE"}, {1105, "USER_START"}, {1112, "USER_LOGIN"}};
	if (!has_prefix(m, n, "audit: type="))
		return NULL;
	size_t i = 12;
	int nr = 0;
	while (i < n && m[i] >= '0' && m[i] <= '9' && nr < 100000)
		nr = nr * 10 + (m[i++] - '0');
	if (i == 12 || !has_prefix(m + i, n - i, " audit("))
		return NULL;
	const char *name = NULL;
	for (size_t k = 0; k < ELEMENTSOF(t); k++)
		if (t[k].nr == nr)
			name = t[k].name;
	char num[16];
	snprintf(num, sizeof(num), "%d", nr);
	char *line = NULL;
	if (asprintf(&line, "type=%s msg=%.*s", name ? name : num, (int)(n - i - 1), m + i + 1) < 0)
		return NULL;
	return line;
}

int collector_audit_from_syslog(struct ev_record *rec) {
	const struct ev_str m = rec->message;
	if (!m.p || (rec->program.p && !strcmp(rec->program.p, "auditd")))
		return 0;
	if (collector_audit_looks(m.p, m.len)) {
		struct ev_str host = rec->host;
		int r = collector_audit_parse_line(m.p, m.len, rec);
		if (r > 0 && host.p)
			rec->host = host; /* the syslog host, not node= */
		if (r > 0)
			rec->message = m;
		return r;
	}
	if (!has_prefix(m.p, m.len, "audit: type="))
		return 0;
	char *line = kmsg_to_line(m.p, m.len);
	if (!line)
		return 0; /* not that shape, or out of memory: the record stays as it is */
	struct ev_str host = rec->host;
	int r = collector_audit_parse_line(line, strlen(line), rec);
	free(line);
	if (r > 0) {
		rec->message = m;
		rec->host = host;
	}
	return r;
}

static bool field_is(const struct ev_record *rec, const char *name, const char *value) {
	const struct ev_str *v = ev_record_get(rec, name);
	return v && v->len == strlen(value) && memcmp(v->p, value, v->len) == 0;
}

int collector_audit_from_journal(struct ev_record *rec) {
	if (!field_is(rec, "_TRANSPORT", "audit"))
		return 0;
	/* copies: adding fields moves the field array (the strings stay in the arena) */
	const struct ev_str *g = ev_record_get(rec, "_AUDIT_TYPE_NAME");
	const struct ev_str tnv = g ? *g : (struct ev_str){0}, *tn = g ? &tnv : NULL;
	g = ev_record_get(rec, "_AUDIT_ID");
	const struct ev_str idv = g ? *g : (struct ev_str){0}, *id = g ? &idv : NULL;
	g = ev_record_get(rec, "_SOURCE_REALTIME_TIMESTAMP");
	const struct ev_str *st = g;
	const struct ev_str m = rec->message;
	const char *body = m.p;
	size_t bl = m.len;
	if (tn && tn->len && has_prefix(m.p, m.len, tn->p) && m.len > tn->len &&
	    m.p[tn->len] == ' ') {
		body = m.p + tn->len + 1;
		bl = m.len - tn->len - 1;
	}
	if (st) {
		char *end;
		long long us = strtoll(st->p, &end, 10);
		if (!*end && end != st->p && us > 0)
			rec->time_us = us;
	}
	char stamp[64];
	int sl = snprintf(
	        stamp, sizeof(stamp), "audit(%lld.%03lld:%s)", (long long)(rec->time_us / 1000000),
	        (long long)(rec->time_us % 1000000 / 1000), id && id->len < 24 ? id->p : "0");
	bool execve = tn && !strcmp(tn->p, "EXECVE");
	rec->program = ev_record_strdup(rec, "auditd", 6);
	if (!rec->program.p || (tn && ev_record_add_field(rec, "type", 4, tn->p, tn->len) < 0) ||
	    ev_record_add_field(rec, "msg", 3, stamp, (size_t)sl) < 0)
		return -ENOMEM;
	int r = parse_pairs(rec, body, bl, execve, 0);
	if (r >= 0 && tn && !strcmp(tn->p, "SYSCALL"))
		r = add_syscall_name(rec);
	return r < 0 ? r : 1;
}
