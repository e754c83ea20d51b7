/* Evidence store: placeholder until the store issue lands. */
#pragma once
/* Bundle format version this build writes. */
int store_format_version(void);
