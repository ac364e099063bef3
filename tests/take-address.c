/* SPDX-License-Identifier: MIT */
/*
 * take-address.c - an LD_PRELOAD module for the demo tests: maps one
 * anonymous page at the address in TAKE_ADDRESS (hexadecimal) before main,
 * so that a program that wants that address finds it taken.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

__attribute__((constructor)) static void take_address(void)
{
	const char *s = getenv("TAKE_ADDRESS");
	if (!s)
		return;
	void *addr = (void *)(uintptr_t)strtoull(s, NULL, 16);
	mmap(addr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
	     0);
}
