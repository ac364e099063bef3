// SPDX-License-Identifier: MIT
// queue_boost.cc - Boost.Interprocess's message_queue for bench/queuebench
// (queuebench.h): the process-shared queue that copies each message, here an
// 8-byte handle.
#include <boost/interprocess/ipc/message_queue.hpp>
#include <new>

#include "queuebench.h"

namespace bip = boost::interprocess;

extern "C" int qb_mq_available(void)
{
	return 1;
}

extern "C" int qb_mq_create(const char *name, size_t capacity)
{
	try {
		bip::message_queue::remove(name);
		bip::message_queue mq(bip::create_only, name, capacity, sizeof(uint64_t));
		return 0;
	} catch (const bip::interprocess_exception &) {
		return -1;
	}
}

extern "C" void *qb_mq_open(const char *name)
{
	try {
		return new bip::message_queue(bip::open_only, name);
	} catch (...) {
		return nullptr;
	}
}

extern "C" int qb_mq_send(void *mq, uint64_t v)
{
	try {
		static_cast<bip::message_queue *>(mq)->send(&v, sizeof(v), 0);
		return 0;
	} catch (const bip::interprocess_exception &) {
		return -1;
	}
}

extern "C" int qb_mq_recv(void *mq, uint64_t *v)
{
	try {
		bip::message_queue::size_type got;
		unsigned prio;
		static_cast<bip::message_queue *>(mq)->receive(v, sizeof(*v), got, prio);
		return got == sizeof(*v) ? 0 : -1;
	} catch (const bip::interprocess_exception &) {
		return -1;
	}
}

extern "C" void qb_mq_remove(const char *name)
{
	bip::message_queue::remove(name);
}
