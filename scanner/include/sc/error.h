/*
 * Error codes of the scanner library.
 *
 * Every function of the library that can fail returns one of these (SC_OK is
 * zero, failures are positive). The messages live here, in the library, so
 * the CLI, the UI and the reports all say the same thing for the same fault.
 * An error about one file never aborts a scan: it becomes a "not scanned"
 * item with an sc_reason (see scan.h); these codes are for failures of a whole
 * operation.
 */
#ifndef SC_ERROR_H
#define SC_ERROR_H

enum sc_error {
	SC_OK = 0,
	SC_ENOMEM,      /* out of memory */
	SC_EINVAL,      /* invalid argument */
	SC_EOPEN,       /* cannot open a path (errno has the cause) */
	SC_EREAD,       /* read error (errno has the cause) */
	SC_EWRITE,      /* write error (errno has the cause) */
	SC_ERULES,      /* a rules file has errors (skipped) */
	SC_ENORULES,    /* no rule could be loaded */
	SC_EYARA,       /* libyara failed (initialisation, compilation) */
	SC_EWORKER,     /* cannot start a worker process */
	SC_ECANCELED,   /* a callback asked to stop */
	SC_ENOTDISK,    /* target is not a disk or disk image */
	SC_ESTATE,      /* call made in the wrong order */
	SC_EFORMAT,     /* malformed file (definitions bundle...) */
	SC_ESIGNATURE,  /* unsigned, bad signature or unknown key */
	SC_EYARAVER,    /* compiled by a different libyara version */
	SC_EREFUSED,    /* refused for safety; the caller has a sentence why */
	SC_EBUSY,       /* in use by another process */
	SC_ECHANGED,    /* changed since it was last seen */
	SC_ERROR_MAX
};

/* A static message for an error code; never NULL, even for unknown codes. */
const char *sc_strerror(int err);

#endif
