// SPDX-License-Identifier: MIT
/*
 * alloc_boost.cc - Boost.Interprocess managed_shared_memory with its default
 * allocator (rbtree_best_fit, guarded by a process-shared mutex), exposed to
 * the C driver.  Forked children use the inherited mapping: Boost's segment
 * is position independent (offset_ptr) and its mutex process-shared.
 */
#include <boost/interprocess/managed_shared_memory.hpp>
#include <cstdio>
#include <new>

#include "bench.h"

namespace bip = boost::interprocess;

namespace {

struct boost_bench {
	bip::managed_shared_memory *segment;
	char name[64];
};

void *boost_create(size_t bytes)
{
	boost_bench *b = new (std::nothrow) boost_bench();
	if (!b)
		return nullptr;
	bench_shm_name(b->name, sizeof(b->name), "boost", 0);
	try {
		b->segment = new bip::managed_shared_memory(bip::create_only, b->name,
							    bytes);
	} catch (const std::exception &e) {
		std::fprintf(stderr, "shmbench: boost: %s\n", e.what());
		bench_shm_forget(b->name);
		delete b;
		return nullptr;
	}
	return b;
}

void boost_prefault(void *heap)
{
	boost_bench *b = static_cast<boost_bench *>(heap);
	bench_populate(b->segment->get_address(), b->segment->get_size());
}

void *boost_alloc(void *heap, size_t n)
{
	return static_cast<boost_bench *>(heap)->segment->allocate(n, std::nothrow);
}

void boost_free(void *heap, void *p)
{
	static_cast<boost_bench *>(heap)->segment->deallocate(p);
}

void boost_destroy(void *heap)
{
	boost_bench *b = static_cast<boost_bench *>(heap);
	delete b->segment;
	bip::shared_memory_object::remove(b->name);
	bench_shm_forget(b->name);
	delete b;
}

} // namespace

extern "C" const struct bench_allocator bench_boost = {
	"boost",      BENCH_SHARED | BENCH_BOUNDED,
	boost_create, boost_prefault,
	nullptr,      boost_alloc,
	boost_free,   boost_destroy,
};
