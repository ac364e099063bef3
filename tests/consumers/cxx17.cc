// SPDX-License-Identifier: MIT
// cxx17.cc - a C++17 consumer (-std=c++17 -Wall -Wextra -Werror).
//
// shmheap_stats names both a struct and a function.  C allows that, and so
// does C++, but in C++ the plain name then means the function: the struct
// must be written "struct shmheap_stats", as below.
#include <cstdio>
#include <cstring>

#include <mmf.h>
#include <shmheap.h>

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	shmheap_memory_handle mem = shmheap_create(argv[1], 65536);
	if (!mem)
		return 1;
	auto *obj = static_cast<long *>(shmheap_alloc(mem, 10 * sizeof(long)));
	struct shmheap_stats st {};
	bool ok = obj && shmheap_stats(mem, &st) == 0 && st.objects == 1 &&
		  shmheap_handle_to_ptr(mem, shmheap_ptr_to_handle(mem, obj)) == obj;
	shmheap_free(mem, obj);
	shmheap_destroy(argv[1], mem);
	if (!ok) {
		std::fprintf(stderr, "consumer-cxx17: alloc, handles or stats failed\n");
		return 1;
	}
	std::printf("consumer-cxx17: ok\n");
	return 0;
}
