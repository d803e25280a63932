/*
 * swar: look at eight bytes of text at once, in a 64-bit register.
 *
 * Strings are most of an event's bytes, and the readers and writers of
 * JSON text only need to find the few bytes that end a run: a quote, a
 * backslash, a control byte, a byte outside ASCII.  Each test below sets
 * the high bit of every byte it is asked about.  A test never misses such
 * a byte; it may also flag bytes that lie after (in memory, on a
 * little-endian machine) a byte it flags rightly, because a borrow only
 * runs towards the more significant bytes.  So the first flagged byte is
 * always a right one.
 */
#ifndef SWAR_H
#define SWAR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SWAR_ONES UINT64_C(0x0101010101010101)
#define SWAR_HIGH UINT64_C(0x8080808080808080)

/* The eight bytes at p, whatever their alignment. */
static inline uint64_t
swar_load(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Flags the bytes of v equal to c. */
static inline uint64_t
swar_eq(uint64_t v, unsigned char c)
{
	uint64_t x = v ^ (SWAR_ONES * c);

	return (x - SWAR_ONES) & ~x & SWAR_HIGH;
}

/* Flags the bytes of v below c, for c <= 0x80. */
static inline uint64_t
swar_below(uint64_t v, unsigned char c)
{
	return (v - SWAR_ONES * c) & ~v & SWAR_HIGH;
}

/*
 * The offset of the first flagged byte of nonzero `flags`; 0 on a machine
 * where that is not known cheaply (the caller then looks byte by byte).
 */
static inline size_t
swar_first(uint64_t flags)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (size_t)__builtin_ctzll(flags) / 8;
#else
	(void)flags;
	return 0;
#endif
}

/*
 * Sixteen bytes at once, in the compiler's generic vectors: SSE2 on
 * x86-64, NEON on arm64, word pairs elsewhere.  The scanner's strings and
 * redaction's texts are long runs of bytes that need no look of their
 * own; a vector compare tests sixteen of them in the instructions eight
 * take in a word.  A test sets every bit of each byte it is asked about
 * and no other: no borrow runs between the bytes of a vector.
 */
typedef signed char swar_v16 __attribute__((vector_size(16)));
typedef uint64_t swar_w16 __attribute__((vector_size(16)));

/* The sixteen bytes at p, whatever their alignment. */
static inline swar_v16
swar_load16(const void *p)
{
	swar_v16 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * The offset of the first flagged byte of `flags` (a vector whose bytes
 * are 0 or all ones), 16 when none is; 0 on a machine where that is not
 * known cheaply (the caller then looks byte by byte).
 */
static inline size_t
swar_first16(swar_v16 flags)
{
	swar_w16 w = (swar_w16)flags;

	if ((w[0] | w[1]) == 0)
		return 16;
	return w[0] != 0 ? swar_first(w[0]) : 8 + swar_first(w[1]);
}

#endif /* !SWAR_H */
