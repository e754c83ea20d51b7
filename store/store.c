/* Evidence store entry points. */
#include "store/store.h"

int store_format_version(void) { return 1; }
