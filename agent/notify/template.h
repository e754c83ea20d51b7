/* Plain message templates: text with {{name}} placeholders filled from a JSON object of
 * strings. Nothing else is special: no code, no loops, no includes, so a site's template
 * can do nothing but choose words. Untrusted input shape (util/ytree.h): the template is
 * capped at EV_TEMPLATE_MAX bytes, a placeholder name at 64 characters, and every error
 * names FILE:LINE:COL (an unknown placeholder with a did-you-mean, an unclosed "{{"). */
#pragma once
#include <jansson.h>

#include "util/err.h"

#define EV_TEMPLATE_MAX (256 * 1024)

/* Render `text` (len bytes; file names it in errors) with the string values of `vars`; a
 * null value renders empty. 0 and a malloc'd NUL-terminated string in *ret, or -EINVAL
 * (errors in errs) or -ENOMEM. */
int ev_template_render(const char *file, const char *text, size_t len, const json_t *vars,
                       char **ret, struct ev_errlist *errs);
/* Read FILE and render it as above; -errno (with a message) when unreadable or too big. */
int ev_template_render_file(const char *file, const json_t *vars, char **ret,
                            struct ev_errlist *errs);
