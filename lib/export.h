/* SPDX-License-Identifier: MIT */
/*
 * export.h - which functions the library exports.
 *
 * The library is built with -fvisibility=hidden: EXPORT marks the public
 * functions (each also listed in lib/libshmheap.sym), HIDDEN the internal ones
 * that several files share.
 */
#ifndef SHMHEAP_EXPORT_H
#define SHMHEAP_EXPORT_H

#define EXPORT __attribute__((visibility("default")))
#define HIDDEN __attribute__((visibility("hidden")))

#endif /* SHMHEAP_EXPORT_H */
