/* Correlation engine: placeholder until the correlation issue lands. */
#pragma once
/* The matcher this build uses: "vectorscan+pcre2" or "pcre2". */
const char *correlate_engine_name(void);
