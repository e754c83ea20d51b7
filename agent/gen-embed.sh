#!/bin/sh
# gen-embed.sh SYMBOL INPUT > OUTPUT.c: embed a file as a NUL-terminated C byte array.
set -eu
sym=$1
in=$2
printf '/* Generated from %s by agent/gen-embed.sh; do not edit. */\n#include <stddef.h>\n' "$(basename "$in")"
printf 'const char %s[] = {\n' "$sym"
od -An -v -tx1 "$in" | sed -e 's/[[:space:]]*$//' -e '/^$/d' -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'
printf '0x00};\nconst size_t %s_len = sizeof(%s) - 1;\n' "$sym" "$sym"
