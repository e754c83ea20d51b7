/* Where an evident binary finds what `make install` (or the package) put on the host: the
 * configuration under the configured sysconfdir, the rule pack and decoders under the
 * package data directory. A binary run from its own build tree uses neither (nothing is
 * installed for it yet, and a stale install must not change what the test suite sees): it
 * takes the source tree's conf/ and the embedded configuration. */
#pragma once
#include <stdbool.h>

/* The installed configuration file: EV_SYSCONFDIR "/evident.yaml" (sysconfdir/evident,
 * from configure's --prefix/--sysconfdir). */
#define EV_INSTALLED_CONFIG EV_SYSCONFDIR "/evident.yaml"
/* How the commands' help texts name that default. */
#define EV_CONFIG_DEFAULT_HELP EV_INSTALLED_CONFIG " if present, else the embedded one"

/* Whether this process is a program of the build tree it was built in (the evident binary
 * in the build's agent/, or a unit test or fuzz target under the build directory). */
bool ev_running_from_build_tree(void);

/* The configuration a command reads when it is given none: $EVIDENT_CONFIG when set (the
 * empty string: the embedded one); else, for the binary of a build tree, the embedded one;
 * else EV_INSTALLED_CONFIG when that file exists (a file that exists but does not load is
 * an error, never silently replaced); else the embedded one. Returns a path, or "" for the
 * embedded configuration; never NULL. The string is static or from the environment. */
const char *ev_config_default_path(void);
