/* Edit distance and did-you-mean (see util/strdist.h). The table is on the stack: the
 * 64-byte cap keeps it at 17 KB and the work bounded whatever the input. Only distances
 * up to a bound are ever wanted (a suggestion is at most 2 edits or a third of the word,
 * and no worse than the best so far), so the table is filled only in the band of cells
 * within the bound of its diagonal, and the fill stops as soon as two rows in a row are
 * all beyond it: from there on every cell is. Cells outside the band hold bound + 1, which
 * gives the exact distance up to the bound and bound + 1 for anything further. Before
 * the table, two cheap lower bounds (the lengths, the letters) rule out most candidates. */
#include "util/strdist.h"

#include <string.h>

#include "util/macro.h"

#define DIST_MAX_LEN 64
#define DIST_CAP     16u

/* A lower bound of the distance from the letters alone: an edit (insert, delete,
 * substitute, swap) removes at most one of the letters only `a` has, counted with
 * repeats, and at most one of those only `b` has; so at least as many edits as the larger
 * of the two counts. Cheaper than the table, and most candidates are far from the word. */
static unsigned char_bound(const char *a, size_t la, const char *b, size_t lb) {
	signed char n[256] = {0};
	unsigned only_a = 0, only_b = 0;
	for (size_t i = 0; i < la; i++)
		n[(unsigned char)a[i]]++;
	for (size_t j = 0; j < lb; j++)
		n[(unsigned char)b[j]]--;
	for (size_t i = 0; i < la; i++)
		if (n[(unsigned char)a[i]] > 0) {
			only_a += (unsigned)n[(unsigned char)a[i]];
			n[(unsigned char)a[i]] = 0;
		}
	for (size_t j = 0; j < lb; j++)
		if (n[(unsigned char)b[j]] < 0) {
			only_b += (unsigned)-n[(unsigned char)b[j]];
			n[(unsigned char)b[j]] = 0;
		}
	return MAX(only_a, only_b);
}

/* The banded table (see above); |la - lb| <= max < over. Apart, so that the 17 KB table is
 * only set up (and, under ASan, poisoned) for the candidates that get this far. */
static __attribute__((noinline)) unsigned banded(const char *a, size_t la, const char *b, size_t lb,
                                                 unsigned max) {
	unsigned over = max + 1;
	unsigned d[DIST_MAX_LEN + 1][DIST_MAX_LEN + 1];
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)MIN(j, (size_t)over);
	unsigned prev_min = 0;
	for (size_t i = 1; i <= la; i++) {
		size_t lo = i > max ? i - max : 1, hi = MIN(lb, i + max);
		d[i][lo - 1] = lo == 1 ? (unsigned)MIN(i, (size_t)over) : over;
		if (hi < lb)
			d[i][hi + 1] = over;
		unsigned row_min = d[i][lo - 1];
		for (size_t j = lo; j <= hi; j++) {
			unsigned c = a[i - 1] == b[j - 1] ? 0 : 1;
			unsigned v = MIN(d[i - 1][j] + 1, d[i][j - 1] + 1);
			v = MIN(v, d[i - 1][j - 1] + c);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				v = MIN(v, d[i - 2][j - 2] + 1);
			d[i][j] = MIN(v, over);
			row_min = MIN(row_min, d[i][j]);
		}
		if (row_min >= over && prev_min >= over)
			return over; /* a row's cells come from the two rows above it */
		prev_min = row_min;
	}
	return d[la][lb];
}

unsigned ev_edit_distance_max(const char *a, const char *b, unsigned max) {
	size_t la = strnlen(a, DIST_MAX_LEN + 1), lb = strnlen(b, DIST_MAX_LEN + 1);
	max = MIN(max, DIST_CAP - 1);
	if (la > DIST_MAX_LEN || lb > DIST_MAX_LEN)
		return DIST_CAP;
	if ((la > lb ? la - lb : lb - la) > max || char_bound(a, la, b, lb) > max)
		return max + 1; /* an edit changes the length by one at most */
	return banded(a, la, b, lb, max);
}

unsigned ev_edit_distance(const char *a, const char *b) {
	return ev_edit_distance_max(a, b, DIST_CAP - 1);
}

struct ev_suggest ev_suggest_init(const char *word) {
	return (struct ev_suggest){.word = word, .best = NULL, .distance = DIST_CAP};
}

/* Close enough to be suggested (see ev_suggest_best). */
static unsigned suggest_limit(const char *word) {
	return (unsigned)MAX((size_t)2, strnlen(word, 3 * DIST_CAP) / 3);
}

void ev_suggest_add(struct ev_suggest *s, const char *candidate) {
	if (!candidate)
		return;
	/* only a candidate closer than the best so far and close enough can change the
	 * answer: the distance is wanted up to that bound and no further */
	unsigned max = MIN(suggest_limit(s->word), s->distance - 1);
	if (max == 0)
		return;
	unsigned d = ev_edit_distance_max(s->word, candidate, max);
	if (d > 0 && d <= max) {
		s->distance = d;
		s->best = candidate;
	}
}

const char *ev_suggest_best(const struct ev_suggest *s) {
	if (!s->best)
		return NULL;
	return s->distance <= suggest_limit(s->word) ? s->best : NULL;
}
