/* SPDX-License-Identifier: MIT */
/*
 * fitmap-simd.h - the two questions a fitmap asks of a node, one 64-byte
 * line of 32 16-bit figures: which figures are at least n, and which is the
 * largest.  With SSE2 (every x86-64) each is a dozen instructions over four
 * 16-byte lanes, using unsigned saturating subtraction (n - x is 0 exactly
 * when x >= n); elsewhere a loop the compiler may vectorise.
 */
#ifndef SHMHEAP_FITMAP_SIMD_H
#define SHMHEAP_FITMAP_SIMD_H

#include <stdint.h>

#ifdef __SSE2__
#include <emmintrin.h>

static inline __m128i fm_lane(const uint16_t *p)
{
	return _mm_load_si128((const __m128i *)(const void *)p);
}

/* Bit i set when node[i] >= n (n >= 1); node is 64-byte aligned. */
static inline uint32_t fm_fits(const uint16_t *node, uint16_t n)
{
	const __m128i want = _mm_set1_epi16((short)n), zero = _mm_setzero_si128();
	__m128i a = _mm_cmpeq_epi16(_mm_subs_epu16(want, fm_lane(node)), zero);
	__m128i b = _mm_cmpeq_epi16(_mm_subs_epu16(want, fm_lane(node + 8)), zero);
	__m128i c = _mm_cmpeq_epi16(_mm_subs_epu16(want, fm_lane(node + 16)), zero);
	__m128i d = _mm_cmpeq_epi16(_mm_subs_epu16(want, fm_lane(node + 24)), zero);
	uint32_t lo = (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(a, b));
	uint32_t hi = (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(c, d));
	return lo | hi << 16;
}

/* max(x, y) of unsigned 16-bit lanes: y + (x - y, saturated at 0). */
static inline __m128i fm_max8(__m128i x, __m128i y)
{
	return _mm_add_epi16(y, _mm_subs_epu16(x, y));
}

/* The largest of node[0..31]; node is 64-byte aligned. */
static inline uint16_t fm_max32(const uint16_t *node)
{
	__m128i m = fm_max8(fm_max8(fm_lane(node), fm_lane(node + 8)),
			    fm_max8(fm_lane(node + 16), fm_lane(node + 24)));
	m = fm_max8(m, _mm_srli_si128(m, 8));
	m = fm_max8(m, _mm_srli_si128(m, 4));
	m = fm_max8(m, _mm_srli_si128(m, 2));
	return (uint16_t)_mm_extract_epi16(m, 0);
}

#else

static inline uint32_t fm_fits(const uint16_t *node, uint16_t n)
{
	uint32_t bits = 0;
	for (unsigned i = 0; i < 32; i++)
		bits |= (uint32_t)(node[i] >= n) << i;
	return bits;
}

static inline uint16_t fm_max32(const uint16_t *node)
{
	uint16_t best = 0;
	for (unsigned i = 0; i < 32; i++)
		best = node[i] > best ? node[i] : best;
	return best;
}

#endif

#endif /* SHMHEAP_FITMAP_SIMD_H */
