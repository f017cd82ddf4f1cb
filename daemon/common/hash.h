/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hash.h - FNV-1a, the one non-cryptographic hash of the daemon (hash table
 * buckets, the loop-detection part of our Via branches, generated To tags).
 * Values that are persisted or compared across hosts (branches, tags) depend
 * on it: changing it changes them.
 */
#ifndef XR_HASH_H
#define XR_HASH_H

#include <stddef.h>
#include <stdint.h>

#define XR_FNV64_INIT	0xcbf29ce484222325ULL
#define XR_FNV64_PRIME	0x100000001b3ULL
#define XR_FNV32_INIT	2166136261u
#define XR_FNV32_PRIME	16777619u

/* h extended by n bytes at p. */
static inline uint64_t
xr_fnv64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n--) {
		h ^= *s++;
		h *= XR_FNV64_PRIME;
	}
	return h;
}

/* h extended by one byte. */
static inline uint64_t
xr_fnv64_byte(uint64_t h, unsigned char c)
{
	return (h ^ c) * XR_FNV64_PRIME;
}

/* h extended by a NUL-terminated string. */
static inline uint64_t
xr_fnv64_cstr(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = xr_fnv64_byte(h, (unsigned char)*s);
	return h;
}

/*
 * h extended by one field of a tuple: its bytes and then 0xff, a byte no
 * SIP token holds, so ("ab", "c") and ("a", "bc") differ.
 */
static inline uint64_t
xr_fnv64_field(uint64_t h, const void *p, size_t n)
{
	return xr_fnv64_byte(xr_fnv64(h, p, n), 0xff);
}

/* The 32-bit variant (small caches). */
static inline uint32_t
xr_fnv32(uint32_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n--)
		h = (h ^ *s++) * XR_FNV32_PRIME;
	return h;
}

/* A 64-bit number's bucket hash (the splitmix64 finaliser): ids counted up from 1. */
static inline unsigned long
xr_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return (unsigned long)x;
}

#endif /* XR_HASH_H */
