// Native stress test of BatchQueue; built with -DHEADRACE_NATIVE_TESTS=ON and run by ctest,
// also under -DHEADRACE_SANITIZE=thread / address.
#include <cstdio>

#include "stress.h"

int main() {
  struct Case {
    int producers, consumers;
    unsigned long per_producer;
    unsigned long capacity, batch, min_items;
  };
  const Case cases[] = {
      {1, 1, 200000, 1, 1, 1},    {4, 4, 50000, 3, 7, 1},     {8, 2, 20000, 16, 64, 1},
      {2, 8, 50000, 1024, 1, 1},  {3, 3, 30000, 5, 1000, 1},
      // one consumer that sleeps until many items wait (the caller of Pipeline.run)
      {4, 1, 50000, 64, 64, 32},  {1, 1, 100001, 1024, 4096, 512}, {3, 1, 20000, 7, 100, 100},
  };
  int failures = 0;
  for (const auto& c : cases) {
    auto r = headrace::testing::queue_stress(c.producers, c.consumers, c.per_producer, c.capacity,
                                             c.batch, c.min_items);
    std::printf("producers=%d consumers=%d capacity=%lu min_items=%lu: pushed=%llu popped=%llu missing=%llu dup=%llu hw=%zu %s\n",
                c.producers, c.consumers, c.capacity, c.min_items, (unsigned long long)r.pushed,
                (unsigned long long)r.popped, (unsigned long long)r.missing,
                (unsigned long long)r.duplicated, r.high_water, r.ok() ? "ok" : "FAILED");
    if (!r.ok() || r.high_water > c.capacity) ++failures;
  }
  const int waiters = 8;
  int returned = headrace::testing::wake_blocked_waiters(waiters);
  std::printf("blocked waiters woken: %d of %d\n", returned, 2 * waiters);
  if (returned != 2 * waiters) ++failures;
  return failures == 0 ? 0 : 1;
}
