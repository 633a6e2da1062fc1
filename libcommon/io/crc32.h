/*
 * crc32.h - CRC-32 (IEEE 802.3, as zlib's crc32) of index and catalog
 * records; CRC-32C (Castagnoli, as iSCSI and ext4) of the index's flat
 * section (pk-index(5)).
 */
#ifndef PK_CRC32_H
#define PK_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* crc32_update: crc continued over buf[0..len); start with 0.  Thread-safe. */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);
/*
 * crc32c_update: the same with CRC-32C, by the SSE4.2 instruction when the
 * CPU has it, else a table (crc32c_soft != 0 forces the table: tests).
 */
uint32_t crc32c_update(uint32_t crc, const void *buf, size_t len);
extern int crc32c_soft;

#endif
