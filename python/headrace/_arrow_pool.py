"""The memory pool of the buffers that headrace's own pyarrow calls allocate during a run
(joined small batches, taken rows, expression results, sorted tables).

pyarrow's default pool (mimalloc in its wheels) faults fresh pages in for such buffers
again and again once several threads allocate and free them: at 2 threads TPC-H Q5 spent
11% of its samples in the kernel zeroing newly touched (huge) pages under mimalloc, and 70
ms of system time per run. The C allocator, which headrace tunes to keep freed memory for
reuse (``cpp/arrow/allocator_tuning.cpp``), hands the same memory out again: 10 ms of
system time, the run 20% faster. Users' own pyarrow calls keep their default pool.
"""

from __future__ import annotations

import pyarrow as pa

POOL: pa.MemoryPool = pa.system_memory_pool()
