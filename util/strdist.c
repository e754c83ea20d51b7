/* Edit distance and did-you-mean (see util/strdist.h). The table is on the stack: the
 * 64-byte cap keeps it at 17 KB and the work bounded whatever the input. */
#include "util/strdist.h"

#include <string.h>

#include "util/macro.h"

#define DIST_MAX_LEN 64
#define DIST_CAP     16u

unsigned ev_edit_distance(const char *a, const char *b) {
	size_t la = strlen(a), lb = strlen(b);
	if (la > DIST_MAX_LEN || lb > DIST_MAX_LEN)
		return DIST_CAP;
	unsigned d[DIST_MAX_LEN + 1][DIST_MAX_LEN + 1];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned c = a[i - 1] == b[j - 1] ? 0 : 1;
			unsigned v = MIN(d[i - 1][j] + 1, d[i][j - 1] + 1);
			v = MIN(v, d[i - 1][j - 1] + c);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				v = MIN(v, d[i - 2][j - 2] + 1);
			d[i][j] = v;
		}
	return MIN(d[la][lb], DIST_CAP);
}

struct ev_suggest ev_suggest_init(const char *word) {
	return (struct ev_suggest){.word = word, .best = NULL, .distance = DIST_CAP};
}

void ev_suggest_add(struct ev_suggest *s, const char *candidate) {
	if (!candidate)
		return;
	unsigned d = ev_edit_distance(s->word, candidate);
	if (d > 0 && d < s->distance) {
		s->distance = d;
		s->best = candidate;
	}
}

const char *ev_suggest_best(const struct ev_suggest *s) {
	if (!s->best)
		return NULL;
	return s->distance <= 2 || s->distance <= strlen(s->word) / 3 ? s->best : NULL;
}
