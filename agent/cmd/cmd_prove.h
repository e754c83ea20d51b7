/* Inclusion proofs (evident prove / evident verify --proof). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Verify a proof file against the --pub keys (required: a proof is only as good as the
 * key); with `member_file`, also that its bytes are the proven member. Returns an exit code. */
int ev_proof_verify_file(const char *path, char **pubs, size_t n_pubs, bool json);
