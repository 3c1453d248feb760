#include "bindings/py_object.h"

#ifndef _WIN32
#include <unistd.h>
#endif

namespace headrace::py {

namespace {

void release_py_object(void* ptr) noexcept {
  Gil gil;
  Py_DECREF(static_cast<PyObject*>(ptr));
}

struct ThreadGilState {
  PyGILState_STATE gilstate;
  PyThreadState* saved;
};
thread_local ThreadGilState t_thread_state;

}  // namespace

const runtime::PayloadType kPyObjectPayload{&release_py_object};

Ref::~Ref() {
  if (obj_ != nullptr) {
    Gil gil;
    Py_DECREF(obj_);
  }
}

PyException PyException::fetch() {
  PyObject *type, *value, *traceback;
  PyErr_Fetch(&type, &value, &traceback);
  PyErr_NormalizeException(&type, &value, &traceback);
  if (traceback != nullptr && value != nullptr) PyException_SetTraceback(value, traceback);
  Py_XDECREF(type);
  Py_XDECREF(traceback);
  if (value == nullptr) {
    value = PyObject_CallFunction(PyExc_RuntimeError, "s", "unknown Python error");
  }
  return PyException(std::make_shared<Ref>(Ref::steal(value)));
}

void PythonThreadHooks::thread_started() {
  // Creates this thread's state once (the GIL counter stays at 1 for the thread's life)...
  t_thread_state.gilstate = PyGILState_Ensure();
  // ...and lets go of the GIL until the driver calls Python.
  t_thread_state.saved = PyEval_SaveThread();
}

void PythonThreadHooks::thread_stopping() {
  PyEval_RestoreThread(t_thread_state.saved);
  PyGILState_Release(t_thread_state.gilstate);
}

runtime::ThreadPool& python_thread_pool() {
  static PythonThreadHooks hooks;
  static runtime::ThreadPool* pool = nullptr;
#ifdef _WIN32
  if (pool == nullptr) pool = new runtime::ThreadPool(&hooks);
#else
  static pid_t owner = 0;
  if (pool == nullptr || owner != getpid()) {  // the parent's pool is left as it is (leaked)
    pool = new runtime::ThreadPool(&hooks);
    owner = getpid();
  }
#endif
  return *pool;
}

}  // namespace headrace::py
