/*
 * The package an AV vendor's false-positive desk asks for: a ZIP encrypted
 * with the password "infected" (so no mail filter or scanner on the way
 * eats the sample) holding the sample under its own name and report.txt:
 * product and libyara versions, the detections with set, version, date and
 * rule meta, the last rescan, the original path and volume, size, hashes,
 * times, and the file's own version information (PE VERSIONINFO, machine,
 * linker timestamp, signatures; sc/peinfo.h).
 */
#ifndef SC_VENDOR_H
#define SC_VENDOR_H

#include <stddef.h>

struct sc_quar_item;

/*
 * Writes the package for the sample data (len bytes) described by it (a
 * quarantine item, or one filled in by the caller for a file not
 * quarantined: id may be empty) to out, which must not exist. product
 * names the scanner ("rescue 0.1.0"). The size and hashes written are
 * those of data; the item's path, volume, times and detections are used
 * as given (sha256, sha1, md5 and size may be left empty). *sample (may be NULL) gets the
 * sample's name in the archive (malloc'd).
 */
int sc_vendor_zip(const struct sc_quar_item *it, const unsigned char *data,
		  size_t len, const char *product, const char *out,
		  char **sample);

#endif
