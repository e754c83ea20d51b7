/* Standalone fuzz driver: feeds every file named on the command line (directories are
 * walked one level) to LLVMFuzzerTestOneInput, so `make check` replays the corpora
 * without libFuzzer. A crash is a test failure. Arguments that start with '-' are
 * libFuzzer flags (tests/fuzz/run-corpora.sh passes the same command line to both
 * kinds of binary) and are ignored; without any input it fails (exit 2), so that
 * `-help=1` tells it from a libFuzzer binary. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
	FILE *f = fopen(path, "rbe");
	if (!f) {
		perror(path);
		return 1;
	}
	size_t cap = 1 << 20, len = 0;
	uint8_t *buf = malloc(cap);
	if (!buf) {
		fclose(f);
		return 1;
	}
	for (size_t k; (k = fread(buf + len, 1, cap - len, f)) > 0;) {
		len += k;
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv) {
	unsigned n = 0;
	int bad = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (argv[i][0] == '-')
			continue;
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			return 2;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad |= run_file(argv[i]);
			n++;
			continue;
		}
		DIR *d = opendir(argv[i]);
		if (!d) {
			perror(argv[i]);
			return 2;
		}
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			char p[4096];
			snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
			bad |= run_file(p);
			n++;
		}
		closedir(d);
	}
	if (n == 0) { /* e.g. `-help=1`: not libFuzzer, and nothing replayed is not a pass */
		fprintf(stderr,
		        "%s: no inputs (the standalone replay driver; libFuzzer flags are "
		        "ignored)\n",
		        argv[0]);
		return 2;
	}
	printf("%s: %u inputs replayed\n", argv[0], n);
	return bad ? 1 : 0;
}
