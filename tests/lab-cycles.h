/* SPDX-License-Identifier: MIT */
/* lab-cycles.h - n init_alloc ... cleanup cycles of each lab interface. */
#ifndef LAB_CYCLES_H
#define LAB_CYCLES_H
int cycles_alloc(int n);
int cycles_ealloc(int n);
#endif
