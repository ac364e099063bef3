/* SPDX-License-Identifier: MIT */
/* mmf.h - map a regular file into memory, shared with every process mapping it. */
#ifndef SHMHEAP_MMF_H
#define SHMHEAP_MMF_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void *mmf_create_or_open(const char *name, size_t sz);
void mmf_close(void *ptr, size_t sz);

#ifdef __cplusplus
}
#endif
#endif /* SHMHEAP_MMF_H */
