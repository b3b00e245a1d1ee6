/*
 * The rescue program: a command table (rescue.c) and one file per command
 * (cmd-*.c). Commands get argc/argv with argv[0] being the command name and
 * return the process exit status: 0 clean, 1 something found, 2 error.
 */
#ifndef RESCUE_H
#define RESCUE_H

#include <stddef.h>

#include "sc/defs.h"

#define RESCUE_VERSION "0.1.0"
/* Volume label of our own ISO image (image/mkiso.sh). */
#define RESCUE_LABEL "RESCUE"
/* The allowlist on the rescue stick's data partition. */
#define RESCUE_ALLOWLIST "/data/allowlist.json"

enum { EXIT_CLEAN = 0, EXIT_FOUND = 1, EXIT_ERROR = 2 };

struct rescue_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *usage; /* full help text */
};

int cmd_scan(int argc, char **argv);
extern const char cmd_scan_usage[];
int cmd_disks(int argc, char **argv);
extern const char cmd_disks_usage[];
int cmd_efi(int argc, char **argv);
extern const char cmd_efi_usage[];
int cmd_probe(int argc, char **argv);
extern const char cmd_probe_usage[];
int cmd_defs(int argc, char **argv);
extern const char cmd_defs_usage[];
int cmd_allow(int argc, char **argv);
extern const char cmd_allow_usage[];

/* Trusted definitions keys (generated from rescue/keys/ at build time). */
extern const struct sc_defs_key trusted_keys[];
extern const size_t trusted_keys_count;

/* The command table, for help. */
const struct rescue_cmd *rescue_commands(size_t *n);

/*
 * Messages (usage.c), one family for the whole program: lower-case, no
 * trailing period, problem first, subject quoted. die() exits with 2 after
 * running the cleanup hook (which restores the terminal when the UI is up).
 */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void usage_set_cleanup(void (*fn)(void));

/* Built-in definitions (generated from rescue/definitions/ at build time). */
struct builtin_def {
	const char *name;
	const char *text;
};
extern const struct builtin_def builtin_defs[];
extern const size_t builtin_defs_count;

#endif
