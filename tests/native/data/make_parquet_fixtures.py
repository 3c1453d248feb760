"""Writes the fixtures of tests/native/parquet_test.cpp into this folder.

Run from anywhere: ``python tests/native/data/make_parquet_fixtures.py``. The outputs are
committed; rerunning gives equivalent files (the data is seeded, but pyarrow's version is
written into the Parquet footers).

- ``*.parquet``: small files covering what the metadata and page-header decoders meet:
  Snappy and uncompressed, data pages v1 and v2, dictionary on and off, nulls, decimals,
  dates, timestamps, strings, nested lists, several row groups and several pages per chunk.
- ``snappy_vectors.bin``: raw Snappy blocks made by pyarrow's compressor with the data they
  decode to, as records of (u8 name length, name, u32 raw length, raw, u32 compressed
  length, compressed), integers little-endian.
"""

import datetime
import decimal
import pathlib
import random
import struct

import pyarrow as pa
import pyarrow.parquet as pq

HERE = pathlib.Path(__file__).resolve().parent


def typed_table(rows: int, seed: int) -> pa.Table:
    """Every common column kind, some with nulls."""
    rng = random.Random(seed)
    base_date = datetime.date(1995, 1, 1)
    base_time = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)

    def maybe(value: object, null_every: int, i: int) -> object:
        return None if i % null_every == 0 else value

    return pa.table(
        {
            "id": pa.array(range(rows), pa.int32()),
            "qty": pa.array([maybe(rng.randrange(1000), 7, i) for i in range(rows)], pa.int64()),
            "price": pa.array([rng.random() * 100 for _ in range(rows)], pa.float64()),
            "flag": pa.array([rng.choice(["A", "N", "R"]) for _ in range(rows)], pa.string()),
            "comment": pa.array([maybe(f"c{rng.randrange(10**6)}", 5, i) for i in range(rows)], pa.string()),
            "amount": pa.array(
                [decimal.Decimal(rng.randrange(10**6)) / 100 for _ in range(rows)], pa.decimal128(15, 2)
            ),
            "day": pa.array([base_date + datetime.timedelta(days=i % 400) for i in range(rows)], pa.date32()),
            "ts_utc": pa.array(
                [base_time + datetime.timedelta(seconds=i) for i in range(rows)], pa.timestamp("us", tz="UTC")
            ),
            "ts_ms": pa.array([1_600_000_000_000 + i for i in range(rows)], pa.timestamp("ms")),
            "ok": pa.array([maybe(i % 3 == 0, 4, i) for i in range(rows)], pa.bool_()),
            "tiny": pa.array([i % 100 for i in range(rows)], pa.int8()),
            "u16": pa.array([i for i in range(rows)], pa.uint16()),
        }
    )


def nested_table(rows: int) -> pa.Table:
    """A list column and a field id."""
    tags = pa.array([[j for j in range(i % 4)] if i % 6 else None for i in range(rows)], pa.list_(pa.int32()))
    keyed = pa.field("key", pa.int64(), nullable=False, metadata={b"PARQUET:field_id": b"42"})
    schema = pa.schema([keyed, ("tags", tags.type)])
    return pa.Table.from_arrays([pa.array(range(rows), pa.int64()), tags], schema=schema)


def write_parquet_fixtures() -> None:
    # Snappy, data pages v1, dictionaries, three row groups of 40 rows.
    pq.write_table(
        typed_table(120, 1), HERE / "typed_snappy_v1.parquet", compression="snappy",
        data_page_version="1.0", use_dictionary=True, row_group_size=40,
    )
    # Uncompressed, data pages v2 without dictionaries, small pages: several per chunk.
    pq.write_table(
        typed_table(160, 2), HERE / "typed_plain_v2.parquet", compression="none",
        data_page_version="2.0", use_dictionary=False, row_group_size=80, data_page_size=256,
        write_batch_size=32, write_statistics=False,
    )
    # Snappy, data pages v2 with dictionaries, one row group.
    pq.write_table(
        nested_table(200), HERE / "nested_snappy_v2.parquet", compression="snappy",
        data_page_version="2.0", use_dictionary=True,
    )


def snappy_vectors() -> list[tuple[str, bytes]]:
    rng = random.Random(7)

    def noise(n: int) -> bytes:
        return bytes(rng.randrange(256) for _ in range(n))

    vectors = [("empty", b""), ("one_byte", b"x"), ("literal_70", noise(70)), ("literal_300", noise(300))]
    # A pattern of every period 1..70 repeated: copies at offsets 1..70, overlapping when
    # the period is shorter than the copy.
    for period in range(1, 71):
        pattern = noise(period)
        vectors.append((f"period_{period}", noise(9) + pattern * (1 + 100 // period) + noise(5)))
    # Long matches (several 64-byte copies in a row) and 2-byte offsets beyond 2047.
    block = noise(2100)
    vectors.append(("far_match", block + noise(40) + block[:200]))
    vectors.append(("long_run", b"\0" * 1500 + noise(10)))
    # Column-like data: sorted little-endian int64s and repetitive text.
    vectors.append(("int64_sorted", b"".join(struct.pack("<q", 1000 + 3 * i + rng.randrange(3)) for i in range(256))))
    words = [b"furiously", b"regular", b"deposits", b"carefully", b"ironic", b"packages"]
    vectors.append(("text", b" ".join(rng.choice(words) for _ in range(300))))
    return vectors


def write_snappy_vectors() -> None:
    records = []
    for name, raw in snappy_vectors():
        compressed = pa.compress(raw, codec="snappy", asbytes=True)
        records.append(struct.pack("<B", len(name)) + name.encode())
        records.append(struct.pack("<I", len(raw)) + raw + struct.pack("<I", len(compressed)) + compressed)
    (HERE / "snappy_vectors.bin").write_bytes(b"".join(records))


if __name__ == "__main__":
    write_parquet_fixtures()
    write_snappy_vectors()
