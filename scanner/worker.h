/*
 * The engine <-> worker protocol (private to the library).
 *
 * Messages are frames: a 4-byte little-endian length, then the payload packed
 * with sc_buf. The engine sends one job at a time per worker and reads one
 * result back; a worker that dies shows up as end-of-file on its socket.
 *
 * Job:    u8 type, str path, u64 offset, u64 length, str area, str filetype,
 *         u64 max_size
 * Result: u8 status, u8 reason, str detail, u64 size, str sha256,
 *         str filetype (files; areas use the job's),
 *         u32 nmatches, then per match: u32 set index, str rule, str ns,
 *         u32 ntags, str...,
 *         u32 nmeta, (str key, u8 type, str value, u64 num)...,
 *         u32 nstrings, (str id, u64 offset, u32 length, str data)...
 */
#ifndef SC_WORKER_H
#define SC_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

enum { SC_JOB_FILE = 1, SC_JOB_AREA = 2 };

/* Largest frame either side accepts; a bigger length is a protocol error. */
#define SC_FRAME_MAX (64u << 20)

/* Writes a frame; SC_OK or SC_EWRITE. Never raises SIGPIPE. */
int sc_frame_send(int fd, const struct sc_buf *payload);

/*
 * Reads one frame into *out (malloc'd, caller frees). SC_OK, SC_EREAD on end
 * of file or error, SC_EINVAL on an oversized frame.
 */
int sc_frame_recv(int fd, unsigned char **out, size_t *len);

struct sc_rules;

/* The "filetype" external for a file starting with h: "EXE", "ELF"... */
const char *sc_sniff_type(const unsigned char *h, size_t n);

/* Defines the five externals on a libyara scanner for one file. */
void sc_set_externals(YR_SCANNER *sc, const char *path, const char *filetype,
		      const char *owner);

/* The worker process body: serves jobs on fd until end of file. */
void sc_worker_main(int fd, const struct sc_rules *rules, unsigned timeout);

#endif
