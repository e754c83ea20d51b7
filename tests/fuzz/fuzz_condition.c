/* Fuzz target: the Sigma condition parser (tokens, precedence, quantifiers, nesting cap)
 * and evaluation of what it accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/cond.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool ref_bit(void *ctx, unsigned ref) {
	return (*(unsigned *)ctx >> (ref % 32)) & 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	if (size > 4096)
		return 0;
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	static char *names[] = {"selection", "selection_a", "selection_b", "filter",
	                        "_hidden",   "keywords",    "a",           "b"};
	struct cond *c = NULL;
	char msg[256];
	unsigned col = 0;
	if (cond_parse(s, names, sizeof(names) / sizeof(names[0]), &c, msg, sizeof(msg), &col) ==
	    0) {
		for (unsigned bits = 0; bits < 16; bits++)
			(void)cond_eval(c, ref_bit, &bits);
		(void)cond_has_not(c);
		cond_free(c);
	} else if (col == 0 || col > size + 1) {
		abort(); /* every error has a column inside the text */
	}
	free(s);
	return 0;
}
