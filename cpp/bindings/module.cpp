// headrace._core: the compiled module. Glue only: the runtime lives in cpp/runtime.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "arrow/allocator_tuning.h"
#include "bindings/py_aggregate.h"
#include "bindings/py_arrow.h"
#include "bindings/py_build_info.h"
#include "bindings/py_join.h"
#include "bindings/py_kernels.h"
#include "bindings/py_parquet.h"
#include "bindings/py_run.h"
#include "stress.h"

namespace pyb = pybind11;
using headrace::py::PyRun;

PYBIND11_MODULE(_core, m) {
  m.doc() = "headrace's native runtime (internal; use the headrace package)";
  m.attr("allocator_tuned") = headrace::arrow::tune_allocator();
  headrace::py::bind_arrow(m);
  headrace::py::bind_kernels(m);
  headrace::py::bind_aggregate(m);
  headrace::py::bind_join(m);
  headrace::py::bind_parquet(m);
  headrace::py::bind_build_info(m);

  pyb::class_<PyRun>(m, "Run")
      .def(pyb::init<>())
      .def("add_queue", &PyRun::add_queue, pyb::arg("capacity"), pyb::arg("producers"),
           pyb::arg("overflow") = false)
      .def("seed", &PyRun::seed, pyb::arg("queue"), pyb::arg("items"), pyb::arg("stream"))
      .def("add_stats", &PyRun::add_stats, pyb::arg("step"), pyb::arg("workers"), pyb::arg("input_queue"))
      .def("add_exchange", &PyRun::add_exchange, pyb::arg("targets"), pyb::arg("mode"),
           pyb::arg("producers"), pyb::arg("stream"), pyb::arg("stats"),
           pyb::arg("window") = -1, pyb::arg("target_streams") = std::vector<std::uint32_t>{},
           pyb::arg("overflow_targets") = std::vector<bool>{})
      .def("add_window", &PyRun::add_window, pyb::arg("width"))
      .def("add_source", &PyRun::add_source, pyb::arg("step"), pyb::arg("stats"), pyb::arg("exchange"),
           pyb::arg("make_iterator"), pyb::arg("max_batch"))
      .def("add_chain", &PyRun::add_chain, pyb::arg("step"), pyb::arg("worker"), pyb::arg("workers"),
           pyb::arg("stats"), pyb::arg("input"), pyb::arg("exchange"), pyb::arg("calls"),
           pyb::arg("pack"), pyb::arg("pack_type"), pyb::arg("max_batch"),
           pyb::arg("element_stats") = std::vector<int>{}, pyb::arg("route_type") = pyb::none())
      .def("add_source_chain", &PyRun::add_source_chain, pyb::arg("source_step"),
           pyb::arg("source_stats"), pyb::arg("make_iterator"), pyb::arg("step"), pyb::arg("stats"),
           pyb::arg("exchange"), pyb::arg("calls"), pyb::arg("max_batch"), pyb::arg("element_stats"),
           pyb::arg("route_type") = pyb::none())
      .def("add_zip", &PyRun::add_zip, pyb::arg("step"), pyb::arg("stats"), pyb::arg("input"),
           pyb::arg("exchange"), pyb::arg("branches"), pyb::arg("join"), pyb::arg("pack_type"),
           pyb::arg("window") = -1)
      .def("set_sink", &PyRun::set_sink)
      .def("set_stop_type", &PyRun::set_stop_type)
      .def("close_on_stop", &PyRun::close_on_stop)
      .def("stop", &PyRun::stop)
      .def("start", &PyRun::start)
      .def("next_batch", &PyRun::next_batch, pyb::arg("max_items") = 4096, pyb::arg("min_items") = 1,
           pyb::arg("tagged") = false)
      .def("finish", &PyRun::finish)
      .def("cancel", &PyRun::cancel)
      .def("stats", &PyRun::stats);

  m.def(
      "queue_stress",
      [](int producers, int consumers, std::uint64_t per_producer, std::size_t capacity,
         std::size_t batch, std::size_t min_items) {
        if (min_items > 1 && consumers != 1) throw std::invalid_argument("min_items > 1 needs one consumer");
        headrace::testing::StressResult r;
        {
          pyb::gil_scoped_release release;
          r = headrace::testing::queue_stress(producers, consumers, per_producer, capacity, batch, min_items);
        }
        pyb::dict d;
        d["pushed"] = r.pushed;
        d["popped"] = r.popped;
        d["missing"] = r.missing;
        d["duplicated"] = r.duplicated;
        d["high_water"] = r.high_water;
        return d;
      },
      pyb::arg("producers"), pyb::arg("consumers"), pyb::arg("per_producer"), pyb::arg("capacity"),
      pyb::arg("batch"), pyb::arg("min_items") = 1, "Native BatchQueue stress test (for the test suite).");
  m.def(
      "wake_blocked_waiters",
      [](int waiters) {
        pyb::gil_scoped_release release;
        return headrace::testing::wake_blocked_waiters(waiters);
      },
      "Blocks threads on empty and full queues, closes/cancels them, returns how many woke.");
}
