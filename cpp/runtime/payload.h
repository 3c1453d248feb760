// A move-only owner of one opaque value travelling through the runtime.
//
// The runtime never looks inside a payload; whoever creates one supplies a release
// callback (the same contract as the Arrow C Data Interface). The Python bindings use it
// for owned PyObject references, the kernels for Arrow arrays.
#pragma once

#include <cstdint>
#include <utility>

namespace headrace::runtime {

struct PayloadType {
  // Called exactly once for every payload that is destroyed while still owning a value.
  void (*release)(void* ptr) noexcept;
};

class Payload {
 public:
  Payload() noexcept = default;
  Payload(void* ptr, const PayloadType* type) noexcept : ptr_(ptr), type_(type) {}
  Payload(Payload&& other) noexcept
      : ptr_(std::exchange(other.ptr_, nullptr)), type_(other.type_), route_(other.route_) {}
  Payload& operator=(Payload&& other) noexcept {
    if (this != &other) {
      reset();
      ptr_ = std::exchange(other.ptr_, nullptr);
      type_ = other.type_;
      route_ = other.route_;
    }
    return *this;
  }
  Payload(const Payload&) = delete;
  Payload& operator=(const Payload&) = delete;
  ~Payload() { reset(); }

  void* get() const noexcept { return ptr_; }
  const PayloadType* type() const noexcept { return type_; }
  explicit operator bool() const noexcept { return ptr_ != nullptr; }

  // Which consumer a routed exchange sends this payload to (e.g. its hash partition).
  std::uint32_t route() const noexcept { return route_; }
  void set_route(std::uint32_t route) noexcept { route_ = route; }

  // Gives up ownership; the caller becomes responsible for the value.
  void* release() noexcept { return std::exchange(ptr_, nullptr); }

  // A second owner of the same value. Only valid when the producer has already taken one
  // extra reference for it (e.g. a broadcast: n consumers, n references).
  Payload alias_owned_reference() const noexcept { return Payload(ptr_, type_); }

  void reset() noexcept {
    if (ptr_ != nullptr) type_->release(std::exchange(ptr_, nullptr));
  }

 private:
  void* ptr_ = nullptr;
  const PayloadType* type_ = nullptr;
  std::uint32_t route_ = 0;
};

// One queue element: a payload and its position in the stream it travels on.
struct Item {
  std::uint64_t seq = 0;     // index in this stream (restored order for ordered streams)
  std::uint32_t stream = 0;  // which input of the consumer it belongs to (branch index)
  Payload payload;
};

}  // namespace headrace::runtime
