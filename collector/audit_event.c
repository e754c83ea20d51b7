/* The audit event assembler (see audit.h): copies of the records of open syscall events,
 * closed into Sigma category records.
 *
 * Invariants: open[0..n_open) are in order of their first record (open[0] is the oldest,
 * closed first at the cap); every open event has at least one record; the output queue
 * q[head..n) holds derived records not yet popped, q[0..n_alloc) are initialised records
 * (their memory is reused). Every table has a cap (audit.h) and says what it dropped. */
#include "collector/audit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define CMDLINE_CAP        (32 * 1024) /* bytes of a CommandLine */
#define PARENT_CMDLINE_CAP 1024        /* bytes of a command line kept per pid */

struct aev {
	uint64_t serial;
	int64_t time_us;
	struct ev_record *recs;
	size_t n;
};

struct proc {
	int64_t pid; /* 0: empty */
	char *exe, *cmdline;
};

struct collector_audit {
	int64_t lateness_us;
	struct aev open[AUDIT_OPEN_MAX];
	size_t n_open;
	struct proc *procs; /* AUDIT_PROCS_MAX, by pid modulo (a newer pid evicts) */
	uint16_t *used;     /* the indexes of the non-empty procs, n_used of them */
	size_t n_used;
	struct ev_record *q;
	size_t head, n, n_alloc;
	struct collector_audit_stats st;
};

struct collector_audit *collector_audit_new(int64_t lateness_us) {
	struct collector_audit *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->procs = calloc(AUDIT_PROCS_MAX, sizeof(*a->procs));
	a->used = calloc(AUDIT_PROCS_MAX, sizeof(*a->used));
	a->q = calloc(AUDIT_OUT_MAX, sizeof(*a->q));
	if (!a->procs || !a->used || !a->q)
		return collector_audit_free(a);
	a->lateness_us = lateness_us < 0 ? 0 : lateness_us;
	return a;
}

static void aev_clear(struct aev *v) {
	for (size_t i = 0; i < v->n; i++)
		ev_record_free(&v->recs[i]);
	free(v->recs);
	memset(v, 0, sizeof(*v));
}

/* Forget every open event, process and waiting record (the tables stay allocated). Only
 * the process slots in use are visited: a walk over all 4,096 was most of a reset. */
static void audit_clear(struct collector_audit *a) {
	for (size_t i = 0; i < a->n_open; i++)
		aev_clear(&a->open[i]);
	a->n_open = 0;
	for (size_t i = 0; a->procs && a->used && i < a->n_used; i++) {
		struct proc *p = &a->procs[a->used[i]];
		free(p->exe);
		free(p->cmdline);
		memset(p, 0, sizeof(*p));
	}
	a->n_used = 0;
	for (size_t i = a->head; i < a->n; i++)
		ev_record_reset(&a->q[i]);
	a->head = a->n = 0;
	memset(&a->st, 0, sizeof(a->st));
}

void collector_audit_reset(struct collector_audit *a) {
	audit_clear(a);
}

struct collector_audit *collector_audit_free(struct collector_audit *a) {
	if (!a)
		return NULL;
	audit_clear(a);
	for (size_t i = 0; i < a->n_alloc; i++)
		ev_record_free(&a->q[i]);
	free(a->procs);
	free(a->used);
	free(a->q);
	free(a);
	return NULL;
}

void collector_audit_get_stats(const struct collector_audit *a, struct collector_audit_stats *ret) {
	*ret = a->st;
}

static bool str_is(const struct ev_str *s, const char *c) {
	return s && s->len == strlen(c) && memcmp(s->p, c, s->len) == 0;
}

/* The serial of "audit(SECONDS.MILLIS:SERIAL)"; false when malformed. */
static bool stamp_serial(const struct ev_str *m, uint64_t *ret) {
	const char *c = m ? memchr(m->p, ':', m->len) : NULL;
	if (!c)
		return false;
	uint64_t s = 0;
	size_t i = (size_t)(c - m->p) + 1, d = 0;
	for (; i < m->len && m->p[i] >= '0' && m->p[i] <= '9' && d < 19; i++, d++)
		s = s * 10 + (uint64_t)(m->p[i] - '0');
	*ret = s;
	return d > 0;
}

static const struct ev_record *find_type(const struct aev *v, const char *type) {
	for (size_t i = 0; i < v->n; i++)
		if (str_is(ev_record_get(&v->recs[i], "type"), type))
			return &v->recs[i];
	return NULL;
}

static const char *get(const struct ev_record *r, const char *name) {
	const struct ev_str *s = r ? ev_record_get(r, name) : NULL;
	return s ? s->p : NULL;
}

/* A fresh output record at the end of the queue, or NULL when the queue is full. */
static struct ev_record *out_new(struct collector_audit *a, const struct ev_record *sys,
                                 uint32_t category) {
	if (a->n == AUDIT_OUT_MAX) {
		a->st.out_dropped++;
		return NULL;
	}
	struct ev_record *o = &a->q[a->n];
	if (a->n == a->n_alloc) {
		ev_record_init(o);
		a->n_alloc++;
	} else
		ev_record_reset(o);
	a->n++;
	a->st.derived++;
	o->time_us = sys->time_us;
	o->flags = category;
	o->source_id = sys->source_id;
	o->offset = sys->offset;
	o->length = sys->length;
	if (sys->source.p)
		o->source = ev_record_strdup(o, sys->source.p, sys->source.len);
	if (sys->host.p)
		o->host = ev_record_strdup(o, sys->host.p, sys->host.len);
	o->program = ev_record_strdup(o, "auditd", 6);
	o->pid = sys->pid;
	return o;
}

static int add(struct ev_record *o, const char *name, const char *v) {
	return v ? ev_record_add_field(o, name, strlen(name), v, strlen(v)) : 0;
}

static int set_message(struct ev_record *o, const char *cat, const char *what) {
	char *m = NULL;
	if (asprintf(&m, "%s %s", cat, what ? what : "") < 0)
		return -ENOMEM;
	o->message = ev_record_strdup(o, m, strlen(m));
	free(m);
	return o->message.p ? 0 : -ENOMEM;
}

/* The fields every category record of this SYSCALL carries. */
static int add_common(struct ev_record *o, const struct ev_record *sys) {
	const char *uid = get(sys, "uid"), *name = get(sys, "UID");
	if (!name && uid && !strcmp(uid, "0"))
		name = "root";
	int r = add(o, "Image", get(sys, "exe"));
	if (r >= 0)
		r = add(o, "User", name ? name : uid);
	if (r >= 0)
		r = add(o, "LogonId", get(sys, "auid"));
	if (r >= 0)
		r = add(o, "ProcessId", get(sys, "pid"));
	if (r >= 0)
		r = add(o, "ParentProcessId", get(sys, "ppid"));
	if (r >= 0)
		r = add(o, "key", get(sys, "key"));
	return r;
}

/* An EXECVE argument field: "aN" (1), a part "aN[K]" of a long one (2 for K > 0, else 1),
 * anything else ("argc", "aN_len") 0. */
static int arg_field(const struct ev_str *name) {
	const char *p = name->p, *e = p + name->len;
	if (name->len < 2 || p[0] != 'a' || p[1] < '0' || p[1] > '9')
		return 0;
	for (p++; p < e && *p >= '0' && *p <= '9'; p++)
		;
	if (p == e)
		return 1;
	if (*p != '[' || e[-1] != ']')
		return 0;
	return p + 2 == e - 1 && p[1] == '0' ? 1 : 2;
}

/* The command line: EXECVE's arguments in their order (the parts of a long one joined),
 * else the proctitle; at most CMDLINE_CAP bytes. Caller frees. */
static char *command_line(const struct aev *v) {
	const struct ev_record *ex = find_type(v, "EXECVE");
	if (!ex) {
		const char *t = get(find_type(v, "PROCTITLE"), "proctitle");
		return t ? strndup(t, CMDLINE_CAP) : NULL;
	}
	char *b = calloc(1, CMDLINE_CAP + 1);
	size_t n = 0;
	bool first = true;
	for (size_t i = 0; b && i < ex->n_fields && n < CMDLINE_CAP; i++) {
		int k = arg_field(&ex->fields[i].name);
		if (!k)
			continue;
		const struct ev_str *s = &ex->fields[i].value;
		if (k == 1 && !first)
			b[n++] = ' ';
		first = false;
		size_t l = s->len < CMDLINE_CAP - n ? s->len : CMDLINE_CAP - n;
		memcpy(b + n, s->p, l);
		n += l;
	}
	return b;
}

static struct proc *proc_slot(struct collector_audit *a, const char *pid_s) {
	long long pid = pid_s ? strtoll(pid_s, NULL, 10) : 0;
	return pid > 0 ? &a->procs[(unsigned long long)pid % AUDIT_PROCS_MAX] : NULL;
}

static int process_creation(struct collector_audit *a, const struct aev *v,
                            const struct ev_record *sys) {
	char *cmd = command_line(v);
	struct ev_record *o = out_new(a, sys, EV_REC_PROCESS_CREATION);
	int r = 0;
	if (o) {
		r = add_common(o, sys);
		const struct proc *pp = proc_slot(a, get(sys, "ppid"));
		long long ppid = get(sys, "ppid") ? strtoll(get(sys, "ppid"), NULL, 10) : 0;
		if (r >= 0 && pp && pp->pid == ppid) {
			r = add(o, "ParentImage", pp->exe);
			if (r >= 0)
				r = add(o, "ParentCommandLine", pp->cmdline);
		}
		if (r >= 0)
			r = add(o, "CommandLine", cmd);
		if (r >= 0)
			r = add(o, "CurrentDirectory", get(find_type(v, "CWD"), "cwd"));
		if (r >= 0)
			r = set_message(o, "process_creation", cmd ? cmd : get(sys, "exe"));
	}
	struct proc *p = proc_slot(a, get(sys, "pid"));
	if (r >= 0 && p) {
		if (!p->pid && !p->exe && !p->cmdline)
			a->used[a->n_used++] = (uint16_t)(p - a->procs);
		free(p->exe);
		free(p->cmdline);
		p->pid = strtoll(get(sys, "pid"), NULL, 10);
		p->exe = get(sys, "exe") ? strdup(get(sys, "exe")) : NULL;
		p->cmdline = cmd ? strndup(cmd, PARENT_CMDLINE_CAP) : NULL;
		if ((get(sys, "exe") && !p->exe) || (cmd && !p->cmdline))
			r = -ENOMEM;
	}
	free(cmd);
	return r;
}

static int file_events(struct collector_audit *a, const struct aev *v,
                       const struct ev_record *sys) {
	const char *cwd = get(find_type(v, "CWD"), "cwd");
	for (size_t i = 0; i < v->n; i++) {
		const struct ev_record *p = &v->recs[i];
		const char *name = get(p, "name");
		if (!str_is(ev_record_get(p, "type"), "PATH") ||
		    !str_is(ev_record_get(p, "nametype"), "CREATE") || !name)
			continue;
		struct ev_record *o = out_new(a, sys, EV_REC_FILE_EVENT);
		if (!o)
			return 0;
		char *path = NULL;
		if (name[0] != '/' && cwd && asprintf(&path, "%s/%s", cwd, name) < 0)
			return -ENOMEM;
		int r = add_common(o, sys);
		if (r >= 0)
			r = add(o, "TargetFilename", path ? path : name);
		if (r >= 0)
			r = set_message(o, "file_event", path ? path : name);
		free(path);
		if (r < 0)
			return r;
	}
	return 0;
}

/* saddr (hex, struct sockaddr) -> address text and port; false unless inet/inet6. */
static bool decode_sockaddr(const char *h, char *ret_ip, size_t ip_len, unsigned *ret_port) {
	unsigned char b[28];
	size_t n = h ? strlen(h) / 2 : 0;
	if (n > sizeof(b))
		n = sizeof(b);
	for (size_t i = 0; i < n; i++) {
		unsigned x;
		if (sscanf(h + 2 * i, "%2x", &x) != 1)
			return false;
		b[i] = (unsigned char)x;
	}
	if (n < 8)
		return false;
	unsigned fam = b[0] | (unsigned)b[1] << 8;
	*ret_port = (unsigned)b[2] << 8 | b[3];
	if (fam == AF_INET)
		return inet_ntop(AF_INET, b + 4, ret_ip, (socklen_t)ip_len) != NULL;
	if (fam == AF_INET6 && n >= 24)
		return inet_ntop(AF_INET6, b + 8, ret_ip, (socklen_t)ip_len) != NULL;
	return false;
}

static int network_connection(struct collector_audit *a, const struct aev *v,
                              const struct ev_record *sys) {
	char ip[INET6_ADDRSTRLEN], port[8];
	unsigned p;
	if (!decode_sockaddr(get(find_type(v, "SOCKADDR"), "saddr"), ip, sizeof(ip), &p))
		return 0;
	snprintf(port, sizeof(port), "%u", p);
	struct ev_record *o = out_new(a, sys, EV_REC_NETWORK_CONNECTION);
	if (!o)
		return 0;
	int r = add_common(o, sys);
	if (r >= 0)
		r = add(o, "DestinationIp", ip);
	if (r >= 0)
		r = add(o, "DestinationPort", port);
	if (r >= 0)
		r = add(o, "Initiated", "true");
	if (r >= 0)
		r = add(o, "Protocol", "tcp");
	if (r >= 0)
		r = set_message(o, "network_connection", ip);
	return r;
}

/* Derive the category records of open[i] and remove it. */
static int close_event(struct collector_audit *a, size_t i) {
	struct aev *v = &a->open[i];
	const struct ev_record *sys = find_type(v, "SYSCALL");
	const char *sc = get(sys, "SYSCALL");
	int r = 0;
	a->st.events++;
	if (sys && sc && (!strcmp(sc, "execve") || !strcmp(sc, "execveat")) &&
	    !str_is(ev_record_get(sys, "success"), "no"))
		r = process_creation(a, v, sys);
	if (r >= 0 && sys)
		r = file_events(a, v, sys);
	if (r >= 0 && sys && sc && !strcmp(sc, "connect"))
		r = network_connection(a, v, sys);
	aev_clear(v);
	memmove(&a->open[i], &a->open[i + 1], (a->n_open - i - 1) * sizeof(a->open[0]));
	a->n_open--;
	memset(&a->open[a->n_open], 0, sizeof(a->open[0]));
	return r;
}

int collector_audit_expire(struct collector_audit *a, int64_t before_us) {
	int r = 0;
	for (size_t i = 0; i < a->n_open;)
		if (a->open[i].time_us < before_us || before_us == INT64_MAX) {
			int k = close_event(a, i);
			r = r < 0 ? r : k;
		} else
			i++;
	return r;
}

static bool event_type(const struct ev_str *t) {
	static const char *const types[] = {"SYSCALL",  "EXECVE",    "CWD", "PATH",
	                                    "SOCKADDR", "PROCTITLE", "EOE"};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (str_is(t, types[i]))
			return true;
	return false;
}

int collector_audit_push(struct collector_audit *a, const struct ev_record *rec) {
	/* every record passes here: the program first, the field lookups only for auditd's */
	if (!str_is(&rec->program, "auditd") || (rec->flags & EV_REC_CATEGORIES))
		return 0;
	const struct ev_str *type = ev_record_get(rec, "type");
	uint64_t serial;
	if (!event_type(type) || !stamp_serial(ev_record_get(rec, "msg"), &serial))
		return 0;
	int r = 0;
	size_t i = 0;
	while (i < a->n_open && a->open[i].serial != serial)
		i++;
	bool eoe = str_is(type, "EOE");
	if (i == a->n_open && eoe)
		return 1;
	if (i == a->n_open) {
		if (a->n_open == AUDIT_OPEN_MAX) {
			a->st.closed_early++;
			r = close_event(a, 0);
			i--;
		}
		a->open[i] = (struct aev){.serial = serial, .time_us = rec->time_us};
		a->n_open++;
	}
	struct aev *v = &a->open[i];
	if (!eoe && v->n < AUDIT_EVENT_RECORDS_MAX) {
		struct ev_record *nr = realloc(v->recs, (v->n + 1) * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		v->recs = nr;
		ev_record_init(&v->recs[v->n]);
		if (ev_record_copy(&v->recs[v->n], rec) < 0) {
			ev_record_free(&v->recs[v->n]);
			return -ENOMEM;
		}
		v->n++;
	} else if (!eoe)
		a->st.records_dropped++;
	if (v->n == 0) { /* an EOE alone, or nothing kept */
		aev_clear(v);
		memmove(v, v + 1, (a->n_open - i - 1) * sizeof(*v));
		memset(&a->open[--a->n_open], 0, sizeof(*v));
	} else if (eoe || str_is(type, "PROCTITLE")) {
		int k = close_event(a, i);
		r = r < 0 ? r : k;
	}
	int64_t horizon = rec->time_us > INT64_MIN + a->lateness_us ? rec->time_us - a->lateness_us
	                                                            : INT64_MIN;
	int k = collector_audit_expire(a, horizon);
	return r < 0 ? r : k < 0 ? k : 1;
}

int collector_audit_pop(struct collector_audit *a, struct ev_record *rec) {
	if (a->head == a->n) {
		a->head = a->n = 0;
		return 0;
	}
	struct ev_record t = *rec;
	*rec = a->q[a->head];
	a->q[a->head] = t;
	ev_record_reset(&a->q[a->head]);
	a->head++;
	if (a->head == a->n)
		a->head = a->n = 0;
	return 1;
}
