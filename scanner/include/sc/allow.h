/*
 * The allowlist: "don't show this again" that really works.
 *
 * Entries name a file by its SHA-256, optionally for one rule only
 * ("namespace:rule" or a bare rule name). They live in one JSON file on
 * the rescue stick, so they apply to every later scan, after reboots and
 * after definitions updates. A detection an entry matches is still reported,
 * as allowed, together with the entry: never hidden.
 *
 * The file is written through a temporary name, flushed and renamed: a
 * power cut leaves the old list or the new one.
 */
#ifndef SC_ALLOW_H
#define SC_ALLOW_H

#include <stddef.h>
#include <stdint.h>

struct sc_allow_entry {
	char id[17];        /* 16 hex digits, stable, unique in the list */
	char sha256[65];
	char *rule;         /* "" = any rule; "ns:rule" or "rule" */
	char *note;
	char *added;        /* UTC time, "YYYY-MM-DDTHH:MM:SSZ" */
	char *added_by;
};

struct sc_allow {
	size_t n;
	struct sc_allow_entry *v;
};

/*
 * Loads the list at path; a missing file is an empty list. A file that is
 * not a valid list gives SC_EFORMAT and nothing is loaded (it is never
 * overwritten by a later save: the caller must say what to do).
 */
int sc_allow_load(const char *path, struct sc_allow **out);

/* Writes the list to path atomically. */
int sc_allow_save(const struct sc_allow *a, const char *path);

/*
 * Adds an entry (sha256: 64 hex digits, any case; rule and note may be
 * NULL). SC_EINVAL for a bad hash; an identical sha256+rule entry is not
 * added twice (SC_OK, *id gets the existing one's id). *id (17 bytes) gets
 * the entry's id.
 */
int sc_allow_add(struct sc_allow *a, const char *sha256, const char *rule,
		 const char *note, const char *added_by, char id[17]);

/* Removes the entry with this id (or whose sha256 is it). SC_EINVAL if none. */
int sc_allow_remove(struct sc_allow *a, const char *id_or_sha256);

/*
 * The entry allowing a detection of rule ns:rule in a file with this
 * sha256, or NULL.
 */
const struct sc_allow_entry *sc_allow_match(const struct sc_allow *a,
					    const char *sha256, const char *ns,
					    const char *rule);

void sc_allow_free(struct sc_allow *a);

#endif
