/* Fuzz target: the positions loader (collector/tail_state.c) and the time index lookup
 * the seal uses, from memory: collector_tail_positions_parse (the loader's parse of
 * STATE/positions.json) and collector_tail_index_lookup_mem (the index of a log file
 * that the harness calls device 1, inode 2: the file app.log of a private temporary
 * directory, whose first 28 bytes hash to b790bddf3976bc20, so that inputs can name it).
 * Corrupt state must be reported (a problem named, never an error other than -ENOMEM).
 * One input in 32 (by a hash of its bytes, so a reproducer replays the same way) also goes
 * the whole way through the file: written as STATE/positions.json and loaded by
 * collector_tail_new, which must accept whatever it finds there (moving it aside and
 * recovering), as the previous harness did for every input at 107 exec/s. */
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
static int dummy_fd = -1;

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
	if (dummy_fd >= 0)
		close(dummy_fd);
	unlink(dummy);
	rmdir(dir);
}

static void setup(void) {
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
	dummy_fd = open(dummy, O_RDONLY | O_CLOEXEC);
	if (dummy_fd < 0)
		abort();
	atexit(remove_all);
}

/* The loader end to end, through the file (collector_tail_new and one poll). */
static void through_file(const uint8_t *data, size_t size) {
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
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	if (!dir[0])
		setup();
	size_t n = 0;
	bool cursor = false;
	char problem[256];
	int r = collector_tail_positions_parse((const char *)data, size, &n, &cursor, problem,
	                                       sizeof(problem));
	if (r < 0 && r != -ENOMEM)
		abort();
	if (r == 0 && size == 0 && !problem[0])
		abort(); /* an empty file is a problem to report */
	/* a window of an hour from 2026-11-27 00:00 UTC: entries fall before, in and after */
	struct stat st = {.st_dev = 1, .st_ino = 2};
	uint64_t start = 0, end = 0;
	r = collector_tail_index_lookup_mem((const char *)data, size, dummy_fd, &st,
	                                    1795737600000000LL, 1795741200000000LL, &start, &end);
	if (r < 0 || r > 1)
		abort();
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	if (h % 32 == 0)
		through_file(data, size);
	return 0;
}
