/*
 * The rescue scanner library, all modules. Include this, or only the module
 * headers you use. The library never prints, never exits and never touches
 * the terminal: it returns sc_error codes and reports through callbacks.
 */
#ifndef SC_H
#define SC_H

#include "sc/allow.h"
#include "sc/defs.h"
#include "sc/defstore.h"
#include "sc/disk.h"
#include "sc/efi.h"
#include "sc/error.h"
#include "sc/peinfo.h"
#include "sc/quar.h"
#include "sc/report.h"
#include "sc/rules.h"
#include "sc/scan.h"
#include "sc/storm.h"
#include "sc/vendor.h"
#include "sc/volume.h"
#include "sc/zip.h"

#endif
