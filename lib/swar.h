/*
 * swar: byte tests on eight bytes at once (SIMD within a register), for
 * the loops that scan text: the record writer's quoting and the text
 * normalizer.  Each test takes a word loaded with memcpy and returns the
 * high bit of exactly the bytes it names (no carry crosses from one byte
 * into the next).  CRM_SWAR is 1 where the first byte of such a word is
 * its lowest, which the callers' masks assume; elsewhere they keep their
 * byte loops.
 */
#ifndef CRM_SWAR_H
#define CRM_SWAR_H

#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CRM_SWAR 1
#else
#define CRM_SWAR 0
#endif

#define CRM_SWAR_ONES  UINT64_C(0x0101010101010101)
#define CRM_SWAR_LOW7  UINT64_C(0x7f7f7f7f7f7f7f7f)
#define CRM_SWAR_HIGHS UINT64_C(0x8080808080808080)

/* The bytes of w equal to c. */
static inline uint64_t
crm_swar_eq(uint64_t w, unsigned c)
{
	uint64_t z = w ^ (CRM_SWAR_ONES * c);

	return ~(((z & CRM_SWAR_LOW7) + CRM_SWAR_LOW7) | z) & CRM_SWAR_HIGHS;
}

/* The bytes of w below c (1 to 0x80). */
static inline uint64_t
crm_swar_below(uint64_t w, unsigned c)
{
	return ~(((w & CRM_SWAR_LOW7) + CRM_SWAR_ONES * (0x80 - c)) | w) &
	       CRM_SWAR_HIGHS;
}

/* The same for a word of ASCII bytes (high bits clear), in fewer steps. */
static inline uint64_t
crm_swar_below_ascii(uint64_t w, unsigned c)
{
	return ~(w + CRM_SWAR_ONES * (0x80 - c)) & CRM_SWAR_HIGHS;
}

#endif
