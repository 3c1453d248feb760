#include "bindings/py_aggregate.h"

#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "bindings/py_arrow.h"
#include "bindings/py_kernels.h"
#include "kernels/aggregate.h"

namespace headrace::py {

namespace {

using arrow::ArrayData;
using arrow::Field;
using kernels::AggregateGlobalState;
using kernels::AggregateLocalState;
using kernels::AggregatePlan;

using PlanPtr = std::shared_ptr<const AggregatePlan>;

using DerivedSpecs = std::vector<std::tuple<pyb::list, std::vector<std::tuple<int, int64_t>>>>;

// The plan of one aggregation, from the pyarrow schema of the columns it reads: the last
// `derived.size()` of them are computed by the aggregation, each from (steps, operands), an
// operand a (column index, constant) pair with index -1 for the constant.
PlanPtr make_plan(const pyb::handle& schema, std::vector<int> keys,
                  const std::vector<std::tuple<std::string, int, std::string>>& aggregates,
                  const DerivedSpecs& derived) {
  Field batch = parse_schema_object(schema);
  if (batch.type.id != arrow::TypeId::kStruct) throw pyb::type_error("expected a schema, got " + batch.to_string());
  if (derived.size() > batch.children.size()) throw pyb::value_error("more derived columns than columns");
  std::vector<kernels::AggregateSpec> specs;
  for (const auto& [function, column, name] : aggregates) specs.push_back({function, column, name});
  std::vector<kernels::DerivedColumn> columns;
  const std::size_t given = batch.children.size() - derived.size();
  for (std::size_t d = 0; d < derived.size(); ++d) {
    const auto& [steps, operands] = derived[d];
    kernels::DerivedColumn column{batch.children[given + d], decimal_steps(steps), {}, {}};
    for (const auto& [index, constant] : operands) {
      column.columns.push_back(index);
      column.constants.push_back(constant);
    }
    columns.push_back(std::move(column));
  }
  batch.children.resize(given);
  return std::make_shared<const AggregatePlan>(batch.children, std::move(keys), std::move(specs), std::move(columns));
}

// One worker's partial aggregation; `combine` hands its state over to a result.
class PyAggregateState {
 public:
  explicit PyAggregateState(PlanPtr plan) : state_(std::make_unique<AggregateLocalState>(std::move(plan))) {}

  // `batch`: a record batch with exactly the plan's input columns, or its given ones only.
  // The rows added (see AggregateLocalState::sink).
  int64_t sink(const pyb::handle& batch, uint64_t ordinal_base) {
    PyArrowArray imported = PyArrowArray::from_object(batch);
    std::vector<std::shared_ptr<const ArrayData>> columns = batch_columns(imported);
    if (!state_) throw pyb::value_error("this aggregation state was already combined");
    pyb::gil_scoped_release release;
    return state_->sink(columns, imported.data()->length, ordinal_base);
  }

  std::unique_ptr<AggregateLocalState> take() {
    if (!state_) throw pyb::value_error("this aggregation state was already combined");
    return std::move(state_);
  }

 private:
  std::unique_ptr<AggregateLocalState> state_;
};

// The merged aggregation: every worker combines its state; then partitions merge and
// finalize, in parallel on different partitions.
class PyAggregateResult {
 public:
  explicit PyAggregateResult(PlanPtr plan) : plan_(plan), global_(std::move(plan)) {}

  void combine(PyAggregateState& state) {
    auto local = state.take();
    pyb::gil_scoped_release release;
    global_.combine(std::move(local));
  }

  uint32_t partitions() const noexcept { return global_.partitions(); }

  // Partition p's groups as a record batch (keys, then aggregates).
  PyArrowArray finalize_partition(uint32_t p) {
    if (p >= global_.partitions()) throw pyb::index_error("no partition " + std::to_string(p));
    std::vector<std::shared_ptr<const ArrayData>> columns;
    {
      pyb::gil_scoped_release release;
      columns = global_.finalize_partition(p);
    }
    auto batch = std::make_shared<ArrayData>();
    batch->length = columns.empty() ? 0 : columns.front()->length;
    batch->buffers = {nullptr};
    batch->children.assign(columns.begin(), columns.end());
    Field field{"", arrow::DataType{arrow::TypeId::kStruct}, false, nullptr, plan_->output_fields()};
    return PyArrowArray(std::move(field), std::move(batch));
  }

 private:
  PlanPtr plan_;
  AggregateGlobalState global_;
};

}  // namespace

void bind_aggregate(pyb::module_& m) {
  pyb::class_<AggregatePlan, std::shared_ptr<AggregatePlan>>(m, "AggregatePlan",
                                                             "What a hash aggregation computes, validated.")
      .def(pyb::init([](const pyb::handle& schema, std::vector<int> keys,
                        const std::vector<std::tuple<std::string, int, std::string>>& aggregates,
                        const DerivedSpecs& derived) {
             return std::const_pointer_cast<AggregatePlan>(make_plan(schema, std::move(keys), aggregates, derived));
           }),
           pyb::arg("schema"), pyb::arg("keys"), pyb::arg("aggregates"), pyb::arg("derived") = DerivedSpecs{},
           "schema: the pyarrow schema of the input columns; keys: their indices; aggregates: "
           "(function, column index or -1 for rows, output name) triples; derived: (steps, operands) "
           "of the schema's last len(derived) columns, decimal128 columns the aggregation computes "
           "by a decimal program (as decimal_int64_program takes its steps; an operand is a "
           "(column index, constant) pair, index -1 for the constant).")
      .def_property_readonly("given_columns", &AggregatePlan::given_columns)
      .def_property_readonly("partitions", &AggregatePlan::partitions)
      .def_property_readonly("output_types", [](const AggregatePlan& plan) {
        std::vector<std::string> types;
        for (const Field& f : plan.output_fields()) types.push_back(f.to_string());
        return types;
      });
  pyb::class_<PyAggregateState>(m, "AggregateState", "One worker's partial hash aggregation.")
      .def(pyb::init([](std::shared_ptr<AggregatePlan> plan) { return PyAggregateState(std::move(plan)); }),
           pyb::arg("plan"))
      .def("sink", &PyAggregateState::sink, pyb::arg("batch"), pyb::arg("ordinal_base"),
           "Adds a record batch of the plan's input columns (or only its given columns: the derived ones "
           "are computed); row i is the input's row ordinal_base + i. Returns the rows added: fewer "
           "than the batch's where a derived column's program could not run (a value beyond 64 bits), "
           "the rest to be added with every column given.");
  pyb::class_<PyAggregateResult>(m, "AggregateResult", "The merged aggregation of several states.")
      .def(pyb::init([](std::shared_ptr<AggregatePlan> plan) {
             return std::make_unique<PyAggregateResult>(std::move(plan));
           }),
           pyb::arg("plan"))
      .def("combine", &PyAggregateResult::combine, pyb::arg("state"),
           "Takes a state over (after its last sink); every combine must come before the first finalize.")
      .def_property_readonly("partitions", &PyAggregateResult::partitions)
      .def("finalize_partition", &PyAggregateResult::finalize_partition, pyb::arg("partition"),
           "Partition p's groups as a record batch (keys, then aggregates).");
}

}  // namespace headrace::py
