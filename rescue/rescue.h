/*
 * The rescue program: a command table (rescue.c) and one file per command
 * (cmd-*.c). Commands get argc/argv with argv[0] being the command name and
 * return the process exit status: 0 clean, 1 something found, 2 error.
 */
#ifndef RESCUE_H
#define RESCUE_H

#include <stddef.h>
#include <stdio.h>

#include "sc/defs.h"

struct sc_rules;

#define RESCUE_VERSION "0.1.0"
/* Volume label of our own ISO image (image/mkiso.sh). */
#define RESCUE_LABEL "RESCUE"
/* The allowlist on the rescue stick's data partition. */
#define RESCUE_ALLOWLIST "/data/allowlist.json"
/* The quarantine store, beside it. */
#define RESCUE_QUARANTINE "/data/quarantine"
/* The image's own definitions and the stick's definitions store. */
#define RESCUE_CORE_DEFS "/etc/rescue/defs/core.rdefs"
#define RESCUE_DEFS_STORE "/data/defs"

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
int cmd_ui(int argc, char **argv);
extern const char cmd_ui_usage[];
int cmd_quarantine(int argc, char **argv);
extern const char cmd_quarantine_usage[];

/* A growable list of borrowed strings. */
struct list {
	const char **v;
	size_t n;
};
void list_add(struct list *l, const char *s);
/* Adds each non-empty line of a file to l (malloc'd copies); dies if the
 * file cannot be read. */
void list_read_lines(const char *path, struct list *l);

/*
 * Where rules come from (rules-load.c), as given on the command line:
 * --rules (needs --unsigned-rules), --defs, a definitions store, and the
 * built-in definitions unless --no-builtin.
 */
struct rules_src {
	struct list rules, defs;
	const char *store;
	int unsigned_ok, builtin;
};

/* A bundle that was refused, and why: it goes in the report. */
struct refusal {
	const char *path;
	const char *why;
};

/*
 * Loads and compiles the rules: per set, the newest bundle that passes its
 * checks wins; refused bundles are said and listed in *refused (malloc'd).
 * Returns 0, or -1 (said) when no rules could be compiled.
 */
int rules_load(const struct rules_src *src, struct sc_rules **out,
	       struct refusal **refused, size_t *nrefused);
void rules_src_free(struct rules_src *src);

/* "core v2, shop v1, local": the loaded sets, malloc'd. */
char *rules_describe(const struct sc_rules *rules);

struct sc_quar;
struct sc_quar_recovery;

/* Prints what the quarantine's recovery did at open (cmd-quarantine.c). */
void quar_say_recovery(FILE *f, const struct sc_quar_recovery *rec, size_t n);

/* Rescans the quarantine in dir with the rules src names; 0 or -1 (said). */
int quarantine_rescan(const char *dir, const struct rules_src *src);

/* Writes the vendor zip of item id to out (quar-report.c); exit status. */
int quarantine_report(struct sc_quar *q, const char *id, const char *out);

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
