/* Fuzz target: the configuration loader (YAML tree + schema walk) on arbitrary bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	char path[] = "/tmp/evident-fuzz-config-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	struct ev_errlist errs = {0};
	struct ev_config *c = NULL;
	if (ev_config_load(path, &c, &errs) == 0) {
		FILE *f = fopen("/dev/null", "we");
		if (f) {
			ev_config_print(c, f, true);
			ev_config_print(c, f, false);
			fclose(f);
		}
		ev_config_free(c);
	}
	ev_errlist_clear(&errs);
	unlink(path);
	return 0;
}
