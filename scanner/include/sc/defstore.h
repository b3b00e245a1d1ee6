/*
 * The definitions store: installed bundles per set, which version is
 * active, rollback, and a log. It lives on the rescue stick's data
 * partition, so a definitions update is "copy one signed file onto the
 * stick", and a bad update is undone in one step.
 *
 * Layout under the store directory:
 *   SET/v<VERSION>.rdefs   installed bundles, the last three versions kept
 *   SET/active             the active version, as decimal text
 *   SET/disabled           present when the set is disabled
 *   log.txt                one line per change: time, action, set, version
 * Every file is written to a temporary name, flushed and renamed, so a
 * power cut leaves either the old state or the new one.
 */
#ifndef SC_DEFSTORE_H
#define SC_DEFSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "sc/defs.h"

#define SC_DEFSTORE_KEEP 3 /* versions kept per set */

struct sc_defstore_set {
	char name[SC_DEFS_SET_MAX + 1];
	uint64_t active;          /* 0: none */
	int disabled;
	size_t nversions;
	uint64_t versions[16];    /* installed, ascending */
	struct sc_defs_info info; /* of the active bundle, if it verifies */
	const struct sc_defs_key *key; /* its signer, or NULL */
	const char *problem;      /* why the active bundle is refused, or NULL */
	char path[4200];          /* the active bundle */
};

/*
 * Verifies the bundle at path and installs it as its set's active version.
 * Refused, with *why and nothing changed: anything sc_defs_verify refuses,
 * and a version not newer than the active one (a downgrade must be an
 * explicit rollback).
 */
int sc_defstore_install(const char *store, const char *path,
			const struct sc_defs_key *keys, size_t nkeys,
			struct sc_defs_info *info, const char **why);

/*
 * Lists the sets in the store, each with its active bundle verified.
 * *out is malloc'd; the caller frees it.
 */
int sc_defstore_list(const char *store, const struct sc_defs_key *keys,
		     size_t nkeys, struct sc_defstore_set **out, size_t *n);

/*
 * Makes the newest installed version older than the active one active.
 * SC_EINVAL with *why when there is none. *version gets the new version.
 */
int sc_defstore_rollback(const char *store, const char *set,
			 uint64_t *version, const char **why);

/* Disables or enables a set without deleting anything. */
int sc_defstore_enable(const char *store, const char *set, int enable,
		       const char **why);

#endif
