#include "sc/error.h"

static const char *const messages[SC_ERROR_MAX] = {
	[SC_OK] = "success",
	[SC_ENOMEM] = "out of memory",
	[SC_EINVAL] = "invalid argument",
	[SC_EOPEN] = "cannot open",
	[SC_EREAD] = "read error",
	[SC_EWRITE] = "write error",
	[SC_ERULES] = "rules file has errors",
	[SC_ENORULES] = "no rules loaded",
	[SC_EYARA] = "YARA library error",
	[SC_EWORKER] = "cannot start a scan worker",
	[SC_ECANCELED] = "canceled",
	[SC_ENOTDISK] = "not a disk or disk image",
	[SC_ESTATE] = "operation out of order",
	[SC_EFORMAT] = "malformed file",
	[SC_ESIGNATURE] = "signature not valid",
	[SC_EYARAVER] = "compiled by a different YARA version",
	[SC_EREFUSED] = "refused",
	[SC_EBUSY] = "in use by another process",
	[SC_ECHANGED] = "changed since it was seen",
};

const char *sc_strerror(int err)
{
	if (err < 0 || err >= SC_ERROR_MAX || !messages[err])
		return "unknown error";
	return messages[err];
}
