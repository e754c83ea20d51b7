/* Did-you-mean suggestions: one edit distance for every message that offers one (unknown
 * configuration keys, Sigma modifiers, seal_on levels, tags and rule ids). */
#pragma once
#include <stddef.h>

/* Damerau-Levenshtein distance (insert, delete, substitute, swap two neighbours), capped
 * at 16; strings longer than 64 bytes are 16 apart from everything. */
unsigned ev_edit_distance(const char *a, const char *b);

/* The same distance when it is at most `max` (itself at most 15), otherwise max + 1 (16
 * for strings longer than 64 bytes): the work is that of the band of the table within
 * `max` of its diagonal, and stops once the distance is known to exceed `max`. */
unsigned ev_edit_distance_max(const char *a, const char *b, unsigned max);

/* The closest of a set of candidates, fed one at a time:
 *
 *   struct ev_suggest s = ev_suggest_init(word);
 *   for (...) ev_suggest_add(&s, candidate);
 *   const char *best = ev_suggest_best(&s);   // NULL: nothing close enough
 *
 * Close enough: at most 2 edits, or at most a third of the word's length. The first of
 * equally close candidates wins; an exact match is never suggested (it is not a typo).
 * Candidates are borrowed, not copied. */
struct ev_suggest {
	const char *word;
	const char *best;
	unsigned distance;
};
struct ev_suggest ev_suggest_init(const char *word);
void ev_suggest_add(struct ev_suggest *s, const char *candidate);
const char *ev_suggest_best(const struct ev_suggest *s);
