/*
 * The FP-storm guard: holding detections that look like a bad definitions
 * update rather than an infection.
 *
 * Two things make a rule suspect: it matched more files than a threshold
 * (a rule that suddenly fires everywhere), or it matched a file on the
 * protected list (Windows system directories and boot loaders, which an
 * update once flagged, leaving machines unbootable). All detections of a
 * suspect rule are then "held": reported, counted as found, but not acted
 * on until a person releases the hold. A hold is a question, not a verdict:
 * mass infections are real, and planting many decoys that match one rule
 * will get that rule held, so a hold must always be shown prominently.
 *
 * A tally (struct sc_storm) counts, per rule (namespace + rule name), the
 * distinct items it matched: a file or boot area counts once however many of
 * the rule's strings matched it and however many targets reached it. Once
 * the counts are final, sc_storm_decide applies the policy (struct
 * sc_storm_opts: threshold, releases); after that anyone holding the tally
 * (the report, the UI, the quarantine) asks sc_storm_is_held.
 *
 * Protected paths are matched by whole path components, ASCII case folded,
 * with '/' and '\' both separators, empty and "." components ignored, at any
 * depth (the mount point of the suspect volume is not known, and a copy of a
 * Windows tree elsewhere is treated the same). A directory entry protects
 * everything below it but not a look-alike: "Windows/System32" protects
 * ".../Windows/System32/svchost.exe" and ".../WINDOWS/system32/x/y", but not
 * ".../MyWindows/System32/a", ".../Windows/System32x/a" or
 * ".../Windows/System32.bak/a". A file entry ("bootmgr") protects a path
 * whose last components are exactly it. The list is the table in storm.c.
 */
#ifndef SC_STORM_H
#define SC_STORM_H

#include <stddef.h>
#include <stdint.h>

/* Files one rule may match before it is held. */
#define SC_STORM_THRESHOLD_DEFAULT 50

struct sc_storm_opts {
	/* Held when a rule matched more than this many files; 0: no count
	 * check (the protected list still applies). */
	uint64_t threshold;
	/*
	 * Holds to release: "NAMESPACE:RULE", or a bare "RULE" that releases
	 * the one held rule of that name (nothing when several namespaces
	 * hold one; see sc_storm_release_state). The namespace is what comes
	 * before the last ':', since rule names cannot hold one.
	 */
	const char *const *release;
	size_t nrelease;
	/* Who releases, for the record (see sc_storm_user); NULL: unknown. */
	const char *released_by;
};

/* threshold SC_STORM_THRESHOLD_DEFAULT, nothing released. */
void sc_storm_opts_init(struct sc_storm_opts *o);

/* 1 if the n bytes of path name a protected system file (see above). */
int sc_storm_is_protected(const char *path, size_t n);

/* 1 if a rule that matched this many files is over the threshold. */
int sc_storm_over_threshold(const struct sc_storm_opts *o, uint64_t files);

/*
 * Whether a --release-hold spec names ns:rule: 2 for "NAMESPACE:RULE" equal
 * to both, 1 for a bare "RULE" equal to rule, else 0.
 */
int sc_storm_release_matches(const char *spec, const char *ns,
			     const char *rule);

/*
 * The name of the real user: getpwuid(getuid()), or "uid N" when there is no
 * passwd entry. Written to buf (truncated to n - 1 bytes).
 */
void sc_storm_user(char *buf, size_t n);

struct sc_storm;

/* An empty tally. Free with sc_storm_destroy. */
int sc_storm_create(struct sc_storm **out);
void sc_storm_destroy(struct sc_storm *s);

/*
 * Records that rule ns:rule matched an item: a file (path, n bytes; area
 * NULL) or a boot area of the disk path. An item already recorded for that
 * rule is not counted again. Boot areas count as files but are never
 * protected. Returns SC_OK or SC_ENOMEM.
 */
int sc_storm_add(struct sc_storm *s, const char *ns, const char *rule,
		 const char *path, size_t n, const char *area);

/*
 * Decides the holds from the counts so far, and applies the releases of o
 * (o is not kept; released_by is copied, and the release time is now, UTC).
 * May be called again, e.g. with other options; each call replaces the last
 * decision. Returns SC_OK or SC_ENOMEM.
 */
int sc_storm_decide(struct sc_storm *s, const struct sc_storm_opts *o);

enum sc_storm_why {
	SC_STORM_COUNT = 1, /* more files than the threshold */
	SC_STORM_PROTECTED, /* a protected system file (wins over COUNT) */
};

/* A held rule. Strings are owned by the tally, valid until the next
 * sc_storm_decide or sc_storm_destroy. */
struct sc_storm_hold {
	const char *ns, *rule;
	uint64_t files;        /* distinct files and boot areas matched */
	enum sc_storm_why why;
	/* "matched 200 files (threshold 50)" or "matched a protected system
	 * file: PATH" (PATH escaped as sc_display_name does) */
	const char *reason;
	int released;
	const char *released_by; /* when released: who, or NULL if unknown */
	const char *released_at; /* when released: "YYYY-MM-DDTHH:MM:SSZ" */
};

/* Held rules, released or not, in the order their first match came. */
size_t sc_storm_nholds(const struct sc_storm *s);
const struct sc_storm_hold *sc_storm_hold_at(const struct sc_storm *s,
					     size_t i);

/* The hold of ns:rule (released or not), or NULL if it is not held. */
const struct sc_storm_hold *sc_storm_hold_of(const struct sc_storm *s,
					     const char *ns, const char *rule);

/*
 * The question the report, the UI and the quarantine share: 1 if a
 * detection by ns:rule is held (a hold was decided and not released), so no
 * action may be taken on it. 0 before sc_storm_decide.
 */
int sc_storm_is_held(const struct sc_storm *s, const char *ns,
		     const char *rule);

enum sc_storm_release {
	SC_RELEASE_APPLIED = 0, /* the hold was released */
	SC_RELEASE_NOT_HELD,    /* no held rule by that name */
	SC_RELEASE_AMBIGUOUS,   /* bare RULE held in several namespaces */
};

/* What became of o->release[i] at the last sc_storm_decide. */
enum sc_storm_release sc_storm_release_state(const struct sc_storm *s,
					     size_t i);

#endif
