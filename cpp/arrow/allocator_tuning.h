// The C allocator's settings for a process that builds and frees large buffers over and
// over (glibc only). By default glibc maps an allocation of more than 128 KiB (a threshold
// that grows, up to 32 MiB, as such blocks are freed) straight from the kernel and unmaps it
// when freed, and gives a thread arena's free memory back once 128 KiB of it sits at its
// end: so each query's join tables and hash partitions (std::vectors of megabytes, built by
// worker threads) come from freshly zeroed pages, and a TPC-H join query spent a third of its
// join build in page faults. With mappings from 32 MiB and 128 MiB kept before trimming,
// freed blocks are reused (TPC-H at 1 thread 5-15% faster); the process keeps up to that
// much more memory between queries. The buffers behind Arrow arrays have their own cache
// (buffer_pool.h).
#pragma once

namespace headrace::arrow {

// Applies the settings unless the environment already sets glibc's malloc tunables
// (GLIBC_TUNABLES, MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_) or
// HEADRACE_MALLOC_TUNING=0. Returns whether it applied them (false off glibc).
bool tune_allocator() noexcept;

}  // namespace headrace::arrow
