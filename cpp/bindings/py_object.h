// Python objects inside the native runtime: owned references whose release takes the GIL,
// the payload type that carries them through queues, exceptions that carry a Python
// exception across threads, and the per-thread interpreter state of driver threads.
#pragma once

#include <Python.h>

#include <exception>
#include <memory>
#include <string>

#include "runtime/payload.h"
#include "runtime/thread_pool.h"

namespace headrace::py {

// Holds the GIL for a scope on any thread that has (or may create) a thread state.
class Gil {
 public:
  Gil() : state_(PyGILState_Ensure()) {}
  ~Gil() { PyGILState_Release(state_); }
  Gil(const Gil&) = delete;
  Gil& operator=(const Gil&) = delete;

 private:
  PyGILState_STATE state_;
};

// An owned reference that may be destroyed on any thread.
class Ref {
 public:
  Ref() = default;
  static Ref steal(PyObject* obj) { return Ref(obj); }
  static Ref borrow(PyObject* obj) {
    Py_XINCREF(obj);
    return Ref(obj);
  }
  Ref(Ref&& other) noexcept : obj_(other.obj_) { other.obj_ = nullptr; }
  Ref& operator=(Ref&& other) noexcept {
    std::swap(obj_, other.obj_);
    return *this;
  }
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  ~Ref();

  PyObject* get() const noexcept { return obj_; }
  explicit operator bool() const noexcept { return obj_ != nullptr; }

 private:
  explicit Ref(PyObject* obj) : obj_(obj) {}
  PyObject* obj_ = nullptr;
};

// The payload type of Python objects: the payload owns one reference.
extern const runtime::PayloadType kPyObjectPayload;

inline runtime::Payload make_payload(PyObject* stolen) {
  return runtime::Payload(stolen, &kPyObjectPayload);
}

// Takes fanout - 1 extra references so that every consumer of a broadcast owns one.
inline void retain_for_fanout(PyObject* obj, std::uint32_t fanout) {
  for (std::uint32_t i = 1; i < fanout; ++i) Py_INCREF(obj);
}

// A Python exception raised on a driver thread, kept (with its traceback) until the caller
// re-raises it. Call only with the GIL held and an error set; it clears the error.
class PyException : public std::exception {
 public:
  static PyException fetch();
  const char* what() const noexcept override { return "Python exception"; }
  PyObject* exception() const noexcept { return exc_->get(); }

 private:
  explicit PyException(std::shared_ptr<Ref> exc) : exc_(std::move(exc)) {}
  std::shared_ptr<Ref> exc_;
};

// Keeps one interpreter thread state per pool thread for the thread's whole life, and
// leaves the thread without the GIL between Python calls.
class PythonThreadHooks final : public runtime::ThreadHooks {
 public:
  void thread_started() override;
  void thread_stopping() override;
};

// The threads every run of this process uses (call with the GIL held). Never destroyed:
// its idle threads keep thread states, and joining them while the interpreter finalizes
// would need the GIL. A forked child gets a pool of its own (the parent's threads do not
// exist in it).
runtime::ThreadPool& python_thread_pool();

}  // namespace headrace::py
