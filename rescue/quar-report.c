/*
 * rescue quarantine report: the package an AV vendor's false-positive desk
 * asks for (sc_vendor_zip), for one quarantine item.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rescue.h"
#include "sc.h"

int quarantine_report(struct sc_quar *q, const char *id, const char *out)
{
	struct sc_quar_item *it;
	unsigned char *data;
	size_t len;
	char *name;
	int err = sc_quar_get(q, id, &it);

	if (err) {
		if (err == SC_EINVAL)
			error("no item '%s' in the quarantine '%s'", id,
			      sc_quar_dir(q));
		else
			error("cannot read item '%s': %s", id, sc_strerror(err));
		return EXIT_ERROR;
	}
	err = sc_quar_payload(q, it, &data, &len);
	if (err) {
		error("cannot read the payload of %s: %s", it->id,
		      err == SC_EFORMAT ? "it does not match its SHA-256"
					: sc_strerror(err));
		sc_quar_item_free(it);
		return EXIT_ERROR;
	}
	errno = 0;
	err = sc_vendor_zip(it, data, len, "rescue " RESCUE_VERSION
			    " (offline rescue scanner)", out, &name);
	if (err)
		error("cannot write '%s': %s%s%s", out, sc_strerror(err),
		      errno ? ": " : "", errno ? strerror(errno) : "");
	else
		printf("wrote '%s' (password \"%s\"): %s and report.txt\n", out,
		       SC_ZIP_PASSWORD, name);
	free(name);
	free(data);
	sc_quar_item_free(it);
	return err ? EXIT_ERROR : EXIT_CLEAN;
}
