/* Version and build features. */
#pragma once
#include <stdbool.h>
#include <stdio.h>

/* Print "evident VERSION" and the feature list (human), or one JSON object. */
void ev_version_print(FILE *f, bool json);
