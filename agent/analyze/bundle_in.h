/* Sealed bundles as input to `evident analyze`: a bundle is verified with the store's
 * verifier (keys: the given public keys, else the keys of the store the bundle sits in),
 * and only its verified log members (excerpts, copies, the journal's JSON rendering) are
 * written, under a private temporary directory, for the reader. A member whose bytes do
 * not match the authenticated manifest, a bundle whose manifest does not authenticate and
 * an encrypted bundle (format 2, or an `encryption` object) are not analysed; each such
 * case is a note. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct analyze_bundles {
	char *tmpdir; /* NULL until the first bundle */
	char **files; /* the verified members written (owned) */
	size_t n_files;
	json_t *notes;  /* [{bundle, member?, analysed, reason?}] */
	size_t refused; /* bundles or members not analysed */
};

/* Verify `bundle` and add its verified log members to b->files. With `expect_manifest`
 * (hex, may be NULL) the bundle's manifest must have that SHA-256 (the one an incident
 * recorded). Returns 0 (notes say what was left out, including a bundle that cannot be
 * opened), or -ENOMEM / -EINVAL (a --pub key unreadable: said on stderr). */
int analyze_bundles_add(struct analyze_bundles *b, const char *bundle, char **pubs, size_t n_pubs,
                        const char *expect_manifest);
/* Remove the temporary files and free everything. */
void analyze_bundles_done(struct analyze_bundles *b);
