// A Snappy block is a varint (the uncompressed length) followed by elements, each a tag
// byte whose low two bits say what follows: 00 a literal (length in the tag, or in 1-4
// following bytes), 01 a copy of 4-11 bytes at an 11-bit offset, 10 a copy of 1-64 bytes
// at a 16-bit offset, 11 the same at a 32-bit offset. A copy may overlap its own output
// (offset < length repeats a pattern).
//
// The fast loop runs while the input has kInputSlack bytes left and the output
// kOutputSlack: then every short literal is one 16-byte copy and every match is copied in
// 8- or 16-byte pieces, which may write up to kOutputSlack bytes past the element (bytes the
// next elements overwrite). Near the ends a checked loop copies exactly.
#include "parquet/snappy.h"

#include <bit>
#include <cstring>
#include <string>

#include "parquet/parquet_error.h"

namespace headrace::parquet {

namespace {

// A tag, at most 4 length or offset bytes, and 16 bytes a short literal reads at once.
constexpr std::ptrdiff_t kInputSlack = 1 + 4 + 16;
// A match is at most 64 bytes, written in pieces of at most 16 starting before its end.
constexpr std::ptrdiff_t kOutputSlack = 64 + 16;

[[noreturn]] void corrupt(const char* what) {
  throw ParquetError(std::string("corrupt Snappy data: ") + what);
}

// The preamble's length; returns how many bytes the preamble took.
std::size_t read_preamble(const uint8_t* in, std::size_t in_size, std::size_t& length) {
  uint64_t value = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    if (i >= in_size) corrupt("truncated length");
    value |= static_cast<uint64_t>(in[i] & 0x7f) << (7 * i);
    if ((in[i] & 0x80) == 0) {
      if (value > 0xffffffffu) corrupt("length exceeds 32 bits");
      length = static_cast<std::size_t>(value);
      return i + 1;
    }
  }
  corrupt("length exceeds 32 bits");
}

// Per tag byte: bits 0-7 the element's length (0: a literal whose length is in the
// trailer), bits 8-10 the high bits of a 1-byte-offset copy's offset, bits 11-13 how many
// trailer bytes (length or offset) follow the tag.
struct TagTable {
  uint16_t entry[256];
  constexpr TagTable() : entry() {
    for (int tag = 0; tag < 256; ++tag) {
      int length = 0, high = 0, extra = 0;
      switch (tag & 3) {
        case 0:
          length = (tag >> 2) + 1 <= 60 ? (tag >> 2) + 1 : 0;
          extra = (tag >> 2) + 1 <= 60 ? 0 : (tag >> 2) + 1 - 60;
          break;
        case 1: length = 4 + ((tag >> 2) & 7), high = tag >> 5, extra = 1; break;
        case 2: length = (tag >> 2) + 1, extra = 2; break;
        default: length = (tag >> 2) + 1, extra = 4; break;
      }
      entry[tag] = static_cast<uint16_t>(length | high << 8 | extra << 11);
    }
  }
};
constexpr TagTable kTags;
constexpr uint32_t kTrailerMask[5] = {0, 0xff, 0xffff, 0xffffff, 0xffffffff};

uint32_t load_le32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  if constexpr (std::endian::native == std::endian::big) {
    v = v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
  }
  return v;
}

uint32_t load_le(const uint8_t* p, int bytes) {
  uint32_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= static_cast<uint32_t>(p[i]) << (8 * i);
  return value;
}

inline void copy8(uint8_t* dst, const uint8_t* src) {
  uint64_t v;
  std::memcpy(&v, src, 8);
  std::memcpy(dst, &v, 8);
}

inline void copy16(uint8_t* dst, const uint8_t* src) {
  uint8_t v[16];
  std::memcpy(v, src, 16);
  std::memcpy(dst, v, 16);
}

// Copies `length` (<= 64) bytes from `offset` bytes back, writing up to kOutputSlack bytes.
inline void copy_match_fast(uint8_t* op, std::size_t offset, std::size_t length) {
  const uint8_t* src = op - offset;
  if (offset >= 16) {
    // Each piece reads bytes already final: its source ends offset >= 16 bytes before its end.
    for (std::size_t i = 0; i < length; i += 16) copy16(op + i, src + i);
  } else if (offset >= 8) {
    for (std::size_t i = 0; i < length; i += 8) copy8(op + i, src + i);
  } else {
    // A repeated pattern of `offset` bytes: spell 16 bytes of it, then store them every
    // `step` bytes, a multiple of offset so each store starts in phase.
    uint8_t pattern[16];
    for (std::size_t k = 0; k < 16; ++k) pattern[k] = k < offset ? src[k] : pattern[k - offset];
    const std::size_t step = 16 / offset * offset;
    for (std::size_t i = 0; i < length; i += step) std::memcpy(op + i, pattern, 16);
  }
}

}  // namespace

std::size_t snappy_uncompressed_length(const uint8_t* in, std::size_t in_size) {
  std::size_t length = 0;
  read_preamble(in, in_size, length);
  return length;
}

void snappy_decompress(const uint8_t* in, std::size_t in_size, uint8_t* out, std::size_t out_size) {
  std::size_t length = 0;
  const uint8_t* ip = in + read_preamble(in, in_size, length);
  if (length != out_size) corrupt("uncompressed length differs from the output size");
  const uint8_t* const in_end = in + in_size;
  uint8_t* op = out;
  uint8_t* const out_end = out + out_size;

  if (in_end - ip >= kInputSlack && out_end - op >= kOutputSlack) {
    // The last positions from which an element may take the fast path.
    const uint8_t* const in_limit = in_end - kInputSlack;
    const uint8_t* const out_limit = out_end - kOutputSlack;
    while (ip <= in_limit && op <= out_limit) {
      const uint8_t tag = *ip++;
      const uint16_t entry = kTags.entry[tag];
      const std::size_t extra = entry >> 11;
      const uint32_t trailer = load_le32(ip) & kTrailerMask[extra];
      std::size_t len = entry & 0xff;
      const std::size_t offset = (entry & 0x700u) + std::size_t{trailer};
      const bool copy = (tag & 3) != 0, literal = !copy;
      // The common elements, a literal of at most 16 bytes or a copy of at most 16 that does
      // not overlap its own output, share one path: a 16-byte copy from either source (a
      // quarter of TPC-H's elements are literals of 1-2 bytes between copies). A copy's
      // bytes past its length are not final yet, but they are written past its end too,
      // where the next elements overwrite them.
      const bool rare = (len - 1 >= 16) | (copy & ((offset < len) | (offset > static_cast<std::size_t>(op - out))));
      if (!rare) [[likely]] {
        copy16(op, literal ? ip : op - offset);
        // The next tag's position from this tag by arithmetic, not from the table: the
        // chain from one tag to the next is what bounds the loop.
        ip += literal ? std::size_t{tag} / 4 + 1 : std::size_t{1} << (tag & 3) >> 1;
        op += len;
        continue;
      }
      ip += extra;
      if (literal) {
        if (len == 0) len = std::size_t{trailer} + 1;  // the length was in the trailer
        if (len > static_cast<std::size_t>(in_end - ip)) corrupt("literal overruns the input");
        if (len > static_cast<std::size_t>(out_end - op)) corrupt("literal overruns the output");
        std::memcpy(op, ip, len);
        op += len;
        ip += len;
        continue;
      }
      // offset 0 wraps around and fails too.
      if (offset - 1 >= static_cast<std::size_t>(op - out)) corrupt("copy offset out of range");
      copy_match_fast(op, offset, len);
      op += len;
    }
  }

  // Near the ends: every read and write checked, copies exact.
  while (ip < in_end) {
    const uint8_t tag = *ip++;
    const std::size_t in_left = static_cast<std::size_t>(in_end - ip);
    if ((tag & 3) == 0) {
      std::size_t len = (tag >> 2) + 1u;
      if (len > 60) {
        const std::size_t bytes = len - 60;
        if (bytes > in_left) corrupt("truncated literal length");
        len = load_le(ip, static_cast<int>(bytes)) + std::size_t{1};
        ip += bytes;
      }
      if (len > static_cast<std::size_t>(in_end - ip)) corrupt("literal overruns the input");
      if (len > static_cast<std::size_t>(out_end - op)) corrupt("literal overruns the output");
      std::memcpy(op, ip, len);
      op += len;
      ip += len;
      continue;
    }
    std::size_t len, offset;
    const std::size_t offset_bytes = (tag & 3) == 1 ? 1 : (tag & 3) == 2 ? 2 : 4;
    if (offset_bytes > in_left) corrupt("truncated copy");
    if ((tag & 3) == 1) {
      len = 4 + ((tag >> 2) & 7);
      offset = (static_cast<std::size_t>(tag & 0xe0) << 3) | *ip;
    } else {
      len = (tag >> 2) + 1u;
      offset = load_le(ip, static_cast<int>(offset_bytes));
    }
    ip += offset_bytes;
    if (offset - 1 >= static_cast<std::size_t>(op - out)) corrupt("copy offset out of range");
    if (len > static_cast<std::size_t>(out_end - op)) corrupt("copy overruns the output");
    const uint8_t* src = op - offset;
    for (std::size_t i = 0; i < len; ++i) op[i] = src[i];  // byte by byte: may overlap
    op += len;
  }
  if (op != out_end) corrupt("output shorter than the stated length");
}

}  // namespace headrace::parquet
