#include "bindings/py_join.h"

#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "bindings/py_arrow.h"
#include "kernels/join.h"

namespace headrace::py {

namespace {

using arrow::ArrayData;
using arrow::Field;
using kernels::JoinBatch;
using kernels::JoinBuildLocal;
using kernels::JoinBuildScanner;
using kernels::JoinHashTable;
using kernels::JoinPlan;
using kernels::JoinProber;

using PlanPtr = std::shared_ptr<const JoinPlan>;

std::vector<Field> schema_fields(const pyb::handle& schema) {
  Field batch = parse_schema_object(schema);
  if (batch.type.id != arrow::TypeId::kStruct) throw pyb::type_error("expected a schema, got " + batch.to_string());
  return batch.children;
}

// One output batch of the plan's output fields, as a record batch.
PyArrowArray to_record_batch(const JoinPlan& plan, JoinBatch batch) {
  auto data = std::make_shared<ArrayData>();
  data->length = batch.length;
  data->buffers = {nullptr};
  data->children.assign(batch.columns.begin(), batch.columns.end());
  return PyArrowArray(Field{"", arrow::DataType{arrow::TypeId::kStruct}, false, nullptr, plan.output_fields()},
                      std::move(data));
}

// The next output batch of a prober or a build scanner (worked out without the GIL), or None.
template <typename Source>
pyb::object next_batch(const JoinPlan& plan, Source& source) {
  JoinBatch out;
  bool more;
  {
    pyb::gil_scoped_release release;
    more = source.next(out);
  }
  if (!more) return pyb::none();
  return pyb::cast(to_record_batch(plan, std::move(out)));
}

// A record batch's columns, imported without copies.
struct ImportedBatch {
  PyArrowArray batch;
  std::vector<std::shared_ptr<const ArrayData>> columns;
};

ImportedBatch import_batch(const pyb::handle& obj) {
  PyArrowArray batch = PyArrowArray::from_object(obj);
  auto columns = batch_columns(batch);
  return {std::move(batch), std::move(columns)};
}

class PyJoinBuild {
 public:
  explicit PyJoinBuild(PlanPtr plan) : local_(std::make_unique<JoinBuildLocal>(std::move(plan))) {}

  void sink(const pyb::handle& batch) {
    ImportedBatch imported = import_batch(batch);
    if (!local_) throw pyb::value_error("this join build state was already combined");
    pyb::gil_scoped_release release;
    local_->sink(imported.columns, imported.batch.data()->length);
  }

  std::unique_ptr<JoinBuildLocal> take() {
    if (!local_) throw pyb::value_error("this join build state was already combined");
    return std::move(local_);
  }

 private:
  std::unique_ptr<JoinBuildLocal> local_;
};

// Both the prober of probe batches and the scanner of build rows hand out bounded batches.
class PyJoinProber {
 public:
  PyJoinProber(std::shared_ptr<const JoinHashTable> table, int64_t max_rows)
      : plan_(table->plan_ptr()), prober_(std::move(table), max_rows) {}

  void probe(const pyb::handle& batch) {
    current_ = import_batch(batch);  // keeps the batch alive while its output is gathered
    pyb::gil_scoped_release release;
    prober_.probe(current_.columns, current_.batch.data()->length);
  }

  pyb::object next() { return next_batch(*plan_, prober_); }

 private:
  PlanPtr plan_;
  JoinProber prober_;
  ImportedBatch current_{PyArrowArray(Field{}, std::make_shared<ArrayData>()), {}};
};

class PyJoinScan {
 public:
  PyJoinScan(PlanPtr plan, JoinBuildScanner scanner) : plan_(std::move(plan)), scanner_(std::move(scanner)) {}

  pyb::object next() { return next_batch(*plan_, scanner_); }

 private:
  PlanPtr plan_;
  JoinBuildScanner scanner_;
};

}  // namespace

void bind_join(pyb::module_& m) {
  pyb::class_<JoinPlan, std::shared_ptr<JoinPlan>>(m, "JoinPlan", "What a hash join computes, validated.")
      .def(pyb::init([](const pyb::handle& build_schema, const pyb::handle& probe_schema, std::vector<int> build_keys,
                        std::vector<int> probe_keys, const std::string& emit, bool nulls_equal,
                        std::vector<int> build_output, std::vector<int> probe_output) {
             return std::make_shared<JoinPlan>(schema_fields(build_schema), schema_fields(probe_schema),
                                               std::move(build_keys), std::move(probe_keys),
                                               kernels::parse_join_emit(emit), nulls_equal, std::move(build_output),
                                               std::move(probe_output));
           }),
           pyb::arg("build_schema"), pyb::arg("probe_schema"), pyb::arg("build_keys"), pyb::arg("probe_keys"),
           pyb::arg("emit"), pyb::arg("nulls_equal"), pyb::arg("build_output"), pyb::arg("probe_output"),
           "emit: inner, probe_outer, probe_semi, probe_anti, build_outer, full_outer, build_semi, build_anti. "
           "Output batches hold the probe_output columns, then the build_output columns.")
      .def_property_readonly("output_types", [](const JoinPlan& plan) {
        std::vector<std::string> types;
        for (const Field& f : plan.output_fields()) types.push_back(f.to_string());
        return types;
      });
  pyb::class_<PyJoinBuild>(m, "JoinBuild", "One worker's part of a join's build side.")
      .def(pyb::init([](std::shared_ptr<JoinPlan> plan) { return PyJoinBuild(std::move(plan)); }), pyb::arg("plan"))
      .def("sink", &PyJoinBuild::sink, pyb::arg("batch"), "Adds a record batch of the build side's columns.");
  pyb::class_<JoinHashTable, std::shared_ptr<JoinHashTable>>(m, "JoinTable", "A join's build side, partitioned.")
      .def(pyb::init([](std::shared_ptr<JoinPlan> plan) { return std::make_shared<JoinHashTable>(std::move(plan)); }),
           pyb::arg("plan"))
      .def(
          "combine",
          [](JoinHashTable& table, PyJoinBuild& build) {
            auto local = build.take();
            pyb::gil_scoped_release release;
            table.combine(std::move(local));
          },
          pyb::arg("build"), "Takes a build state over (after its last sink); before any finalize.")
      .def_property_readonly("partitions", &JoinHashTable::partitions)
      .def(
          "finalize_partition",
          [](JoinHashTable& table, uint32_t p) {
            if (p >= table.partitions()) throw pyb::index_error("no partition " + std::to_string(p));
            pyb::gil_scoped_release release;
            table.finalize_partition(p);
          },
          pyb::arg("partition"))
      .def(
          "prober",
          [](const std::shared_ptr<JoinHashTable>& table, int64_t max_rows) {
            return std::make_unique<PyJoinProber>(table, max_rows);
          },
          pyb::arg("max_rows"), "A prober (one per worker) once every partition is finalized.")
      .def(
          "scan_build",
          [](const std::shared_ptr<JoinHashTable>& table, uint32_t p, bool matched, int64_t max_rows) {
            if (p >= table->partitions()) throw pyb::index_error("no partition " + std::to_string(p));
            return std::make_unique<PyJoinScan>(table->plan_ptr(), matched ? table->matched_build(p, max_rows)
                                                                            : table->unmatched_build(p, max_rows));
          },
          pyb::arg("partition"), pyb::arg("matched"), pyb::arg("max_rows"),
          "After every prober finished: partition p's build rows never matched (or, matched=True, matched).");
  pyb::class_<PyJoinProber>(m, "JoinProber", "Probes batches against a join table, in bounded output batches.")
      .def("probe", &PyJoinProber::probe, pyb::arg("batch"))
      .def("next", &PyJoinProber::next, "The next output batch of the current probe batch, or None.");
  pyb::class_<PyJoinScan>(m, "JoinScan", "Build rows of one partition after probing, in bounded batches.")
      .def("next", &PyJoinScan::next, "The next output batch, or None.");
}

}  // namespace headrace::py
