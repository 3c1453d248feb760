// Partitioned hash join: equi-joins over Arrow buffers, between a build side (consumed
// completely first) and a probe side (streamed batch by batch).
//
//   JoinPlan          what to join: both sides' fields, key pairs, emit mode, output columns
//   JoinBuildLocal    sink: one per build worker
//   JoinHashTable     combine the locals, finalize_partition(p) per radix partition
//   JoinProber        one per probe worker: probe(batch), then next() until false
//   JoinBuildScanner  after probing: unmatched_build(p) / matched_build(p)
//
// Design, compared with DuckDB, Polars and Velox:
// - Build. A sunk build batch keeps the imported arrays (shared, no copy; only
//   dictionary-encoded output columns are decoded) until finalize copies them. Its key columns are hashed column by
//   column (hash_column: an int32 key hashes like an int64, utf8 like large_utf8, -0.0 like
//   0.0, NaN like NaN) and normalized to 64-bit words, two words (decimal128) or string
//   views (group_keys.h), and each row's (hash, batch << 32 | row) goes to one of 16 radix
//   partitions (bits 16-19, as the aggregation). finalize_partition(p) builds p's table
//   alone: one pass counts the rows of each distinct key in an open-addressing array sized
//   2x the rows (16-byte slots {key word or hash, start, count}), a prefix sum over the
//   slots gives each key a contiguous range, and a scatter fills one array of build row
//   references grouped by key. This is the prefix-sum layout of DuckDB's and Velox's
//   partitioned joins rather than DuckDB's classic pointer chains through the row store:
//   a key's matches are one contiguous run (no pointer chasing per match), and a single
//   fixed-width key is compared in the slot itself. The partition then copies the build
//   side's output columns into that order (as DuckDB and Velox copy build rows into their
//   row layout, but column by column), and the last partition to finish releases the
//   sunk batches: a match is (partition, position), gathered without first reading which
//   build row it was. Measured on the 10M x 1M benchmark, one thread: gathering through
//   the row references cost one more cache miss per match (0.64 s -> 0.41 s).
//   Polars builds per-partition hash maps key -> list of row ids (one small vector per
//   key); the flat prefix-sum arrays here allocate nothing per key.
// - Short strings inline. With a single string key, each slot is stored with an
//   InlineString (the size and first 12 bytes, DuckDB's string_t idea) in one 32-byte
//   record: one line, prefetched from the hash alone, and a key of up to 12 bytes is
//   compared without reading the build side's string views or bytes (utf8 benchmark
//   1.9 s -> 0.8 s; one record rather than two parallel arrays: probe 7% faster).
// - Perfect hashing. A single fixed-width key that is unique on the build side and spans at
//   most 4x as many values as it has rows gets a direct-indexed array of 4-byte entries
//   (key - min -> partition, position; join_dense.h), like DuckDB's perfect hash join: a
//   probe is one read in an array the size of a key column, no slot probing (int benchmark
//   0.41 s -> 0.30 s). Primary keys (TPC-H's orders, customers, parts) are this case.
// - Probe. A probe batch is hashed and normalized whole (vectorized, as in all three), then
//   one find pass gives each row its (chain, count), prefetching the slot (or dense entry)
//   of the row 16 ahead when the table is larger than cache (Velox and DuckDB batch their
//   probes for the same reason). Emission walks the rows and their chains,
//   keeps (row, position in chain) between next() calls and stops at max_rows, so a key
//   with a million matches yields many bounded batches, like DuckDB's ScanStructure.
//   Output columns are gathered in C++ from index vectors (probe rows, build refs).
// - Outer/semi/anti. Probe-side modes need nothing shared. Build-side modes mark a byte per
//   chain (matched rows are always whole chains) with relaxed atomics, store only if not
//   yet set, so that probers on many threads share the flags without false-sharing writes
//   on hot keys; DuckDB marks a "found" flag per build tuple the same way, Velox a bit in
//   each row, Polars keeps per-thread bitmaps merged at the end. After every prober
//   finished, a scan per partition emits the chains never (or ever) marked, plus the build
//   rows that can never match (null keys without nulls_equal) kept in a region of their own.
// - Nulls: without nulls_equal a row with a null key never enters the index (SQL); with
//   it, null equals null (a chain outside the index for a single fixed-width key, so word
//   comparisons need no null flag). Key types: integers of all widths with each other,
//   floats with floats, strings in any layout, bool, date32, timestamps of one unit,
//   decimals of one scale, and dictionaries of those; anything else is an ArrowError at
//   plan time naming both columns and types.
// - Left out: spilling, bloom filters pushed to the probe side's scan, and a join with no
//   key (cross join).
#pragma once

#include "kernels/join_build.h"
#include "kernels/join_gather.h"
#include "kernels/join_plan.h"
#include "kernels/join_probe.h"
