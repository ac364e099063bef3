/* SPDX-License-Identifier: MIT */
/* ctl-names.h - a heap's names as `shmheap-ctl inspect` shows them. */
#ifndef SHMHEAP_CTL_NAMES_H
#define SHMHEAP_CTL_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "shmheap.h"

struct ctl_name {
	char *name;
	shmheap_object_handle hdl;
	size_t offset; /* of the object; 0 if the handle names nothing mapped */
	size_t size;   /* usable bytes of the object, when live */
	bool live;     /* the handle names the start of a live object */
};

struct ctl_names {
	struct ctl_name *name; /* sorted by name */
	size_t n, cap;
	bool broken; /* the directory is damaged (run check) */
};

/* For ctl_heap_run: collects the names of mem (arg is a struct ctl_names). */
int ctl_names_op(shmheap_memory_handle mem, void *arg);
void ctl_names_free(struct ctl_names *n);

#endif /* SHMHEAP_CTL_NAMES_H */
