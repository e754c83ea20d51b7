/* The shipped format library: the embedded conf/formats files, loaded on first use. */
#include "agent/formats.h"

int ev_formats_load_embedded(struct collector_formats *lib, struct ev_errlist *errs) {
	int ret = 0;
	for (size_t i = 0; i < ev_n_format_files; i++) {
		int r = collector_formats_load_buffer(lib, ev_format_files[i].name,
		                                      ev_format_files[i].data,
		                                      ev_format_files[i].len, errs);
		if (r < 0 && ret == 0)
			ret = r;
	}
	return ret;
}
