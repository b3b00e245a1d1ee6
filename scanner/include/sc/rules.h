/*
 * Rule loading.
 *
 * A rule set is built from YARA source files, directories of them, and named
 * in-memory sources (the built-in definitions). Each file is first compiled
 * alone in a throw-away compiler: a file with errors is reported through the
 * diagnostic callback (with file and line) and skipped, so one broken file
 * never costs the others. A good file is then added to the real compiler in a
 * namespace of its own, named after the file.
 *
 * The external variables filename, filepath, extension, filetype and owner are
 * defined (as empty strings) before any rule is added; the scan engine sets
 * them for every file it scans. Public rule collections rely on them.
 *
 * Signed definitions bundles (sc/defs.h) are added with sc_rules_add_bundle:
 * each is verified, then loaded as a set of its own, already compiled. The
 * rules compiled from source form one more set, named "local" (version 0,
 * unsigned). A scan runs every set; each detection names its set.
 *
 * Lifecycle: sc_rules_create, any number of sc_rules_add_*, sc_rules_compile
 * once, then hand the set to sc_scan_create; sc_rules_destroy frees it.
 */
#ifndef SC_RULES_H
#define SC_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "sc/defs.h"

struct sc_rules;

/* One set of rules in the scan: a signed bundle, or "local" (sources). */
struct sc_rules_set {
	const char *name;
	uint64_t version;      /* 0 for "local" */
	int64_t created;       /* Unix time; 0 for "local" */
	const char *key_id;    /* "" when unsigned */
	const char *key_name;  /* trusted key's name; "" when unsigned */
	const char *path;      /* bundle file; "" for "local" */
	unsigned rules;
};

enum sc_diag_level { SC_DIAG_ERROR, SC_DIAG_WARNING };

/* A compiler message. Valid only during the callback. */
struct sc_diag {
	enum sc_diag_level level;
	const char *file; /* rules file or source name */
	int line;         /* 0 when unknown */
	const char *message;
};

typedef void (*sc_diag_fn)(const struct sc_diag *diag, void *ctx);

/* What happened to one source; kept for reports. */
struct sc_rules_source {
	const char *path;      /* file path, or the name given to add_source */
	const char *ns;        /* namespace its rules live in */
	int loaded;            /* 1 if its rules are in the set */
	unsigned rules;        /* rules it contributed (0 if not loaded) */
	const char *error;     /* first error, "file:line: message", or NULL */
};

/* Creates an empty set. diag may be NULL. Free with sc_rules_destroy. */
int sc_rules_create(sc_diag_fn diag, void *ctx, struct sc_rules **out);

/*
 * Adds a file, or every *.yar / *.yara file below a directory (sorted by name,
 * symlinks not followed). Returns SC_EOPEN if the path itself cannot be read
 * (errno says why), SC_ERULES if the path is a single file with errors;
 * a directory with some broken files returns SC_OK (the failures are in the
 * diagnostics and in the source list).
 */
int sc_rules_add_path(struct sc_rules *rules, const char *path);

/* Adds YARA source held in memory under the given name and namespace. */
int sc_rules_add_source(struct sc_rules *rules, const char *name,
			const char *ns, const char *text);

/*
 * Verifies the bundle at path against the trusted keys and adds its rules
 * as a set. A refused bundle changes nothing: SC_EOPEN/SC_EREAD (errno),
 * SC_EFORMAT, SC_ESIGNATURE or SC_EYARAVER with *why a one-line reason,
 * SC_EINVAL if a set of that name is already loaded.
 */
int sc_rules_add_bundle(struct sc_rules *rules, const char *path,
			const struct sc_defs_key *keys, size_t nkeys,
			struct sc_defs_info *info, const char **why);

/* Compiles what was added. SC_ENORULES if nothing usable was added. */
int sc_rules_compile(struct sc_rules *rules);

/* The sets, in scan order; owned by the rules. */
size_t sc_rules_set_count(const struct sc_rules *rules);
const struct sc_rules_set *sc_rules_set(const struct sc_rules *rules,
					size_t i);

/*
 * The rules compiled from source (the "local" set) as libyara saves them,
 * for a bundle: *data is malloc'd, the caller frees it.
 */
int sc_rules_save_local(const struct sc_rules *rules, void **data,
			size_t *n);

/* Number of rules in the compiled set (0 before sc_rules_compile). */
unsigned sc_rules_count(const struct sc_rules *rules);

size_t sc_rules_source_count(const struct sc_rules *rules);
/* The i-th source, in the order added; owned by the set. */
const struct sc_rules_source *sc_rules_source(const struct sc_rules *rules,
					      size_t i);

void sc_rules_destroy(struct sc_rules *rules);

#endif
