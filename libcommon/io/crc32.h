/* crc32.h - CRC-32 (IEEE 802.3, as zlib's crc32) of index and catalog records. */
#ifndef PK_CRC32_H
#define PK_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* crc32_update: crc continued over buf[0..len); start with 0.  Thread-safe. */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

#endif
