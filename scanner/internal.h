/*
 * Helpers shared inside the library; not installed, not part of the API.
 */
#ifndef SC_INTERNAL_H
#define SC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <yara.h>

struct sc_rules;

/* The libyara rules of set i (see sc_rules_set), or NULL. */
YR_RULES *sc_rules_yara(const struct sc_rules *rules, size_t i);

/* malloc'd copies; NULL on allocation failure. */
char *sc_xstrdup(const char *s);
char *sc_xstrndup(const char *s, size_t n);
char *sc_xasprintf(const char *fmt, ...)
#ifdef __GNUC__
	__attribute__((format(printf, 1, 2)))
#endif
	;

/*
 * A growable byte buffer used to pack messages between the engine and its
 * workers. After a failed allocation "failed" is set and later appends are
 * ignored, so a writer checks once at the end.
 */
struct sc_buf {
	unsigned char *data;
	size_t len, alloc;
	int failed;
};

void sc_buf_put(struct sc_buf *b, const void *p, size_t n);
void sc_buf_u8(struct sc_buf *b, uint8_t v);
void sc_buf_u32(struct sc_buf *b, uint32_t v);
void sc_buf_u64(struct sc_buf *b, uint64_t v);
/* A length-prefixed byte string; NULL is stored as a distinct "absent". */
void sc_buf_str(struct sc_buf *b, const char *s, size_t n);
void sc_buf_cstr(struct sc_buf *b, const char *s);
void sc_buf_free(struct sc_buf *b);

/*
 * Reading side: every get checks the remaining length; after a short read
 * "bad" is set and all further gets return zero/NULL.
 */
struct sc_rd {
	const unsigned char *p;
	size_t left;
	int bad;
};

uint8_t sc_rd_u8(struct sc_rd *r);
uint32_t sc_rd_u32(struct sc_rd *r);
uint64_t sc_rd_u64(struct sc_rd *r);
/*
 * Returns a malloc'd, NUL-terminated copy (NULL if absent or bad); the byte
 * length goes to *len when len is not NULL.
 */
char *sc_rd_str(struct sc_rd *r, size_t *len);

/* 1 if the n bytes are valid UTF-8 without NUL. */
int sc_utf8_valid(const char *s, size_t n);

/*
 * 1 if the directory (an NTFS volume's root) holds a hiberfil.sys, in any
 * letter case, that starts with a hibernation header ("hibr", "rstr").
 */
int sc_volume_hibernated(const char *mountpoint);

struct tm;
struct sc_volume;

/*
 * A window in which one read-only mounted volume may be written: the block
 * device (partition and disk) is made writable and the mount remounted
 * read-write; sc_rw_end syncs and puts both back. A volume that is already
 * mounted read-write is left alone. Both return 0, or -1 with a sentence
 * in why.
 */
struct sc_rw {
	char mnt[256], device[64], disk[64];
	unsigned long flags;  /* mount flags kept across the remounts */
	int remounted, dev_was_ro, disk_was_ro;
};
int sc_rw_begin(const struct sc_volume *v, struct sc_rw *rw, char *why,
		size_t n);
int sc_rw_end(struct sc_rw *rw, char *why, size_t n);

/*
 * Reads exactly n bytes at off (retrying on EINTR and short reads): 0, or
 * -1 with errno set (EIO when the file or device ends first).
 */
int sc_pread_all(int fd, void *buf, size_t n, uint64_t off);

/*
 * Decodes the UTF-16LE code point at unit *i of p (units long) and moves
 * *i past it. Lone or reversed surrogates give U+FFFD. *i < units.
 */
uint32_t sc_utf16le_next(const unsigned char *p, size_t units, size_t *i);

/* Seconds since the epoch of a UTC broken-down time (fields as in tm). */
int64_t sc_timegm(const struct tm *tm);

/* SHA-256 of a buffer as 64 lower-case hex digits plus NUL. */
int sc_sha256_hex(const void *data, size_t n, char out[65]);

#endif
