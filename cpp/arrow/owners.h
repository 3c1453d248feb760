// Move-only owners of the C Data Interface structs: whoever holds one releases the struct
// exactly once (when destroyed or reset), and moving marks the source as released, as the
// specification's "moving" a struct does.
#pragma once

#include <cstring>
#include <utility>

#include "arrow/c_data_interface.h"

namespace headrace::arrow {

template <typename Struct>
class Owner {
 public:
  Owner() noexcept { std::memset(&raw_, 0, sizeof(raw_)); }
  // Takes over `*source` (which is marked released), as when importing from a producer.
  static Owner take(Struct* source) noexcept {
    Owner owner;
    std::memcpy(&owner.raw_, source, sizeof(Struct));
    source->release = nullptr;
    return owner;
  }
  Owner(Owner&& other) noexcept : Owner() { swap(other); }
  Owner& operator=(Owner&& other) noexcept {
    Owner(std::move(other)).swap(*this);
    return *this;
  }
  Owner(const Owner&) = delete;
  Owner& operator=(const Owner&) = delete;
  ~Owner() { reset(); }

  void reset() noexcept {
    if (raw_.release != nullptr) raw_.release(&raw_);
    std::memset(&raw_, 0, sizeof(raw_));
  }
  // Hands the struct to a consumer (`*dest` must be released or uninitialized).
  void move_to(Struct* dest) noexcept {
    std::memcpy(dest, &raw_, sizeof(Struct));
    raw_.release = nullptr;
  }
  bool released() const noexcept { return raw_.release == nullptr; }
  Struct* get() noexcept { return &raw_; }
  const Struct* get() const noexcept { return &raw_; }
  const Struct* operator->() const noexcept { return &raw_; }
  void swap(Owner& other) noexcept { std::swap(raw_, other.raw_); }

 private:
  Struct raw_;
};

using SchemaOwner = Owner<ArrowSchema>;
using ArrayOwner = Owner<ArrowArray>;
using StreamOwner = Owner<ArrowArrayStream>;

}  // namespace headrace::arrow
