/* SPDX-License-Identifier: MIT */
/*
 * fitmap-simd.h - the two questions a fitmap asks of a node, one 64-byte
 * line of 16 figures: which figures are at least n, and which is the
 * largest.  With SSE2 (every x86-64) each is a handful of instructions over
 * four 16-byte lanes; elsewhere a loop the compiler may vectorise.
 */
#ifndef SHMHEAP_FITMAP_SIMD_H
#define SHMHEAP_FITMAP_SIMD_H

#include <stdint.h>

#ifdef __SSE2__
#include <emmintrin.h>

/* SSE2 compares signed 32-bit lanes: flipping the top bit orders unsigned
 * figures the same way. */
static inline __m128i fm_biased(const uint32_t *p)
{
	return _mm_xor_si128(_mm_load_si128((const __m128i *)(const void *)p),
			     _mm_set1_epi32((int)0x80000000u));
}

/* Bit i set when node[i] >= n (n >= 1); node is 64-byte aligned. */
static inline unsigned fm_fits(const uint32_t *node, uint32_t n)
{
	__m128i below = _mm_set1_epi32((int)((n - 1) ^ 0x80000000u));
	__m128i a = _mm_cmpgt_epi32(fm_biased(node), below);
	__m128i b = _mm_cmpgt_epi32(fm_biased(node + 4), below);
	__m128i c = _mm_cmpgt_epi32(fm_biased(node + 8), below);
	__m128i d = _mm_cmpgt_epi32(fm_biased(node + 12), below);
	__m128i bytes = _mm_packs_epi16(_mm_packs_epi32(a, b), _mm_packs_epi32(c, d));
	return (unsigned)_mm_movemask_epi8(bytes);
}

static inline __m128i fm_max4(__m128i x, __m128i y)
{
	__m128i gt = _mm_cmpgt_epi32(x, y);
	return _mm_or_si128(_mm_and_si128(gt, x), _mm_andnot_si128(gt, y));
}

/* The largest of node[0..15]; node is 64-byte aligned. */
static inline uint32_t fm_max16(const uint32_t *node)
{
	__m128i m = fm_max4(fm_max4(fm_biased(node), fm_biased(node + 4)),
			    fm_max4(fm_biased(node + 8), fm_biased(node + 12)));
	m = fm_max4(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(1, 0, 3, 2)));
	m = fm_max4(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1)));
	return (uint32_t)_mm_cvtsi128_si32(m) ^ 0x80000000u;
}

#else

static inline unsigned fm_fits(const uint32_t *node, uint32_t n)
{
	unsigned bits = 0;
	for (unsigned i = 0; i < 16; i++)
		bits |= (unsigned)(node[i] >= n) << i;
	return bits;
}

static inline uint32_t fm_max16(const uint32_t *node)
{
	uint32_t best = 0;
	for (unsigned i = 0; i < 16; i++)
		best = node[i] > best ? node[i] : best;
	return best;
}

#endif

#endif /* SHMHEAP_FITMAP_SIMD_H */
