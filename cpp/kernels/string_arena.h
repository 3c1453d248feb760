// Bytes of strings held by a hash table or an accumulator: copied once into large chunks
// whose addresses never move, so a std::string_view into the arena stays valid until the
// arena is destroyed (no std::string per value, no reallocation when groups are added).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace headrace::kernels {

class StringArena {
 public:
  // A copy of `s` that lives as long as the arena.
  std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    if (s.size() > left_) {
      // Chunks double up to 1 MiB; a longer string gets a chunk of its own size.
      chunk_size_ = std::min<std::size_t>(chunk_size_ * 2, 1 << 20);
      const std::size_t size = std::max(chunk_size_, s.size());
      chunks_.push_back(std::make_unique<char[]>(size));
      cursor_ = chunks_.back().get();
      left_ = size;
      bytes_ += size;
    }
    char* out = cursor_;
    std::memcpy(out, s.data(), s.size());
    cursor_ += s.size();
    left_ -= s.size();
    return {out, s.size()};
  }
  std::size_t allocated_bytes() const noexcept { return bytes_; }

 private:
  std::vector<std::unique_ptr<char[]>> chunks_;
  char* cursor_ = nullptr;
  std::size_t left_ = 0;
  std::size_t chunk_size_ = 2048;
  std::size_t bytes_ = 0;
};

}  // namespace headrace::kernels
