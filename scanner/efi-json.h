/*
 * UEFI boot entries as a jansson tree (private: the public header stays
 * free of jansson). The report module embeds it; sc_efi_write_json
 * (sc/efi.h) writes it to a stream.
 */
#ifndef SC_EFI_JSON_H
#define SC_EFI_JSON_H

#include <jansson.h>

#include "sc/efi.h"

/*
 * The object sc_efi_write_json writes, as a new reference the caller
 * releases with json_decref; NULL when out of memory.
 */
json_t *sc_efi_json(const struct sc_efi *efi);

#endif
