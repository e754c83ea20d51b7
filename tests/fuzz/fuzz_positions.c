/* Fuzz target: the positions loader (collector/tail_state.c) and the time index lookup
 * the seal uses. The input is written as STATE/positions.json (STATE a private temporary
 * directory); collector_tail_new must accept whatever it finds there (corrupt state is
 * reported and recovered from, never fatal), the index lookup must not crash, and nothing
 * may leak. The moved-aside files are removed after each input. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/tail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], state[96], pos[128], dummy[128];

static int on_record(void *u, struct ev_record *r) {
	return 0;
}

static void on_notice(void *u, const char *msg) {
	if (!msg || !*msg)
		abort(); /* a notice always says something */
}

static void clean(void) {
	DIR *d = opendir(state);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		char p[400];
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", state, de->d_name);
		unlink(p);
	}
	closedir(d);
}

static void remove_all(void) {
	clean();
	rmdir(state);
	unlink(dummy);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/evident-fuzz-positions-XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(state, sizeof(state), "%s/state", dir);
		snprintf(pos, sizeof(pos), "%s/positions.json", state);
		snprintf(dummy, sizeof(dummy), "%s/app.log", dir);
		FILE *f = fopen(dummy, "we");
		if (!f || fputs("2026-11-27T00:00:00Z h p: x\n", f) < 0)
			abort();
		fclose(f);
		if (mkdir(state, 0700) < 0)
			abort();
		atexit(remove_all);
	}
	clean();
	int fd = open(pos, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	uint64_t start, end;
	int r = collector_tail_index_lookup(state, dummy, 0, INT64_MAX, &start, &end);
	if (r < 0 && r != -ENOMEM)
		abort();
	struct collector_tail_file files[] = {{.path = dummy, .tz = "UTC"}};
	struct collector_tail_config c = {.files = files,
	                                  .n_files = 1,
	                                  .state_dir = state,
	                                  .from_end = true,
	                                  .notice = on_notice};
	struct collector_tail *t = NULL;
	struct ev_errlist e = {0};
	r = collector_tail_new(NULL, &c, on_record, NULL, &t, &e);
	if (r < 0 && r != -ENOMEM)
		abort(); /* corrupt state is never fatal */
	if (t)
		collector_tail_poll(t);
	collector_tail_free(t);
	ev_errlist_clear(&e);
	return 0;
}
