/* A tiny template expander for reports and runbooks (conf/templates/): plain text with
 * tags that read a JSON model.
 *
 *   {{name}}            the value of `name` (dotted paths: a.b), escaped for the output
 *                       (HTML: & < > " '; Markdown: '|' and line breaks, so tables hold);
 *                       {{.}} is the current value. null prints nothing.
 *   {{{name}}}          the same, unescaped (an inline SVG chart in HTML).
 *   {{#name}}..{{/name}} a section: once per element of an array (the element becomes the
 *                       current value), once for an object (pushed) or a true, non-empty
 *                       string or non-zero number; never for null, false, "", 0 or [].
 *   {{^name}}..{{/name}} the inverse: once when the section would not run.
 *   {{! comment}}       nothing.
 * A section, inverse, close or comment tag alone on its line takes the whole line with it.
 * A name is looked up in the current value, then outwards. A name found nowhere is an
 * error at render time naming FILE:LINE (a misspelt field in a site's template shows at
 * once, rather than as a silently empty report); so is a malformed tag.
 *
 * Caps: templates up to 1 MiB, sections nested 32 deep, names 128 bytes. */
#pragma once
#include <jansson.h>
#include <stdio.h>

#include "util/err.h"

enum ev_tmpl_escape { EV_TMPL_TEXT, EV_TMPL_HTML, EV_TMPL_MD };

struct ev_tmpl;

/* Parse `text` (len bytes) named `file` for errors. 0 and *ret (free with ev_tmpl_free),
 * or -EINVAL with FILE:LINE:COL messages in errs, or -ENOMEM/-EFBIG. */
int ev_tmpl_parse(const char *text, size_t len, const char *file, struct ev_tmpl **ret,
                  struct ev_errlist *errs);
/* Read and parse a template file. -errno when it cannot be read (message in errs). */
int ev_tmpl_load(const char *path, struct ev_tmpl **ret, struct ev_errlist *errs);
void ev_tmpl_free(struct ev_tmpl *t);

/* Expand with `model` into a new NUL-terminated string (*ret, caller frees). 0, or
 * -EINVAL (an unknown name: FILE:LINE:COL in errs; nothing returned) or -ENOMEM. */
int ev_tmpl_render(const struct ev_tmpl *t, const json_t *model, enum ev_tmpl_escape esc,
                   char **ret, struct ev_errlist *errs);
