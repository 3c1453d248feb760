"""Times pyarrow's Snappy decompression on the pages parquet_bench wrote.

    build/dev/parquet_bench lineitem.parquet /tmp/pages.bin
    python tests/native/snappy_bench_pyarrow.py /tmp/pages.bin

The file holds records of (u32 compressed size, u32 uncompressed size, compressed bytes).
Reports the best of 5 passes over all pages in CPU time, as parquet_bench does.
"""

import struct
import sys
import time

import pyarrow as pa


def main(path: str) -> None:
    data = open(path, "rb").read()
    pages = []
    pos = 0
    while pos < len(data):
        size, uncompressed = struct.unpack_from("<II", data, pos)
        pos += 8
        pages.append((pa.py_buffer(data[pos : pos + size]), uncompressed))
        pos += size
    total = sum(n for _, n in pages)
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for page, n in pages:
            pa.decompress(page, codec="snappy", decompressed_size=n)
        best = min(best, time.process_time() - start)
    print(f"pyarrow snappy: {len(pages)} pages -> {total / 1e6:.1f} MB, best of 5: {best:.3f} s CPU, "
          f"{total / best / 1e9:.2f} GB/s of output")


if __name__ == "__main__":
    main(sys.argv[1])
