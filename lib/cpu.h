/* SPDX-License-Identifier: MIT */
/* cpu.h - what a loop that watches a shared word tells the processor. */
#ifndef SHMHEAP_CPU_H
#define SHMHEAP_CPU_H

/* One pause in a spin-wait loop: it yields the core to a sibling hardware
 * thread and keeps the loop from flooding the memory system. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

#endif /* SHMHEAP_CPU_H */
