#include "bindings/py_kernels.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "bindings/py_arrow.h"
#include "kernels/decimal_arithmetic.h"
#include "kernels/hash.h"
#include "kernels/key_bitmap.h"
#include "kernels/partition.h"
#include "kernels/row_filter.h"

namespace headrace::py {

namespace {

using arrow::ArrayData;
using arrow::DataType;
using arrow::Field;
using arrow::TypeId;

// The key columns of an imported record batch. Holds the batch, so the columns' memory
// stays alive while the GIL is released.
struct BatchKeys {
  PyArrowArray batch;
  std::vector<std::shared_ptr<const ArrayData>> columns;
  std::vector<kernels::KeyColumn> keys;
  int64_t length = 0;
};

BatchKeys resolve_keys(const pyb::handle& obj, const std::vector<std::string>& names) {
  BatchKeys result{PyArrowArray::from_object(obj), {}, {}, 0};
  const Field& field = result.batch.field();
  if (field.type.id != TypeId::kStruct) {
    throw pyb::type_error("expected a record batch, got an array of type " + field.to_string());
  }
  if (names.empty()) throw pyb::value_error("at least one key column is needed");
  const ArrayData& data = *result.batch.data();
  result.length = data.length;
  for (const std::string& name : names) {
    std::size_t i = 0;
    while (i < field.children.size() && field.children[i].name != name) ++i;
    if (i == field.children.size()) {
      std::string available;
      for (const Field& child : field.children) available += (available.empty() ? "" : ", ") + child.name;
      throw pyb::key_error("unknown key column '" + name + "'; available columns: " + available);
    }
    kernels::check_hashable(field.children[i], name);
    result.columns.push_back(batch_column(data, data.children[i]));
    result.keys.push_back({result.columns.back().get(), &field.children[i]});
  }
  return result;
}

// A non-null array of `length` values of `type` in memory owned by `owner`.
template <typename Owner>
PyArrowArray owned_array(const char* name, TypeId type, std::shared_ptr<Owner> owner, const void* values,
                         int64_t offset, int64_t length) {
  auto data = std::make_shared<ArrayData>();
  data->length = length;
  data->offset = offset;
  data->buffers = {nullptr, values};
  data->keepalive = std::move(owner);
  return PyArrowArray(Field{name, DataType{type}, false, nullptr, {}}, std::move(data));
}

PyArrowArray hash_columns(const pyb::handle& batch, const std::vector<std::string>& keys) {
  BatchKeys resolved = resolve_keys(batch, keys);
  auto hashes = std::make_shared<std::vector<uint64_t>>();
  {
    pyb::gil_scoped_release release;
    *hashes = kernels::hash_columns(resolved.keys, resolved.length);
  }
  hashes->reserve(1);  // a non-null buffer even when there are no rows
  return owned_array("hash", TypeId::kUInt64, hashes, hashes->data(), 0, resolved.length);
}

pyb::list hash_partition(const pyb::handle& batch, const std::vector<std::string>& keys, int64_t partitions) {
  if (partitions < 1 || partitions > std::numeric_limits<uint32_t>::max()) {
    throw pyb::value_error("partitions must be between 1 and 2**32 - 1, got " + std::to_string(partitions));
  }
  BatchKeys resolved = resolve_keys(batch, keys);
  auto parts = std::make_shared<kernels::Partitions<int64_t>>();
  {
    pyb::gil_scoped_release release;
    const std::vector<uint64_t> hashes = kernels::hash_columns(resolved.keys, resolved.length);
    *parts = kernels::partition_rows<int64_t>(hashes, static_cast<uint32_t>(partitions));
  }
  parts->rows.reserve(1);
  // Every partition is a zero-copy slice of the one index vector they share.
  pyb::list result;
  for (std::size_t p = 0; p < parts->count(); ++p) {
    const int64_t begin = parts->offsets[p];
    result.append(pyb::cast(
        owned_array("row", TypeId::kInt64, parts, parts->rows.data(), begin, parts->offsets[p + 1] - begin)));
  }
  return result;
}

}  // namespace

std::vector<kernels::DecimalStep> decimal_steps(const pyb::list& steps) {
  std::vector<kernels::DecimalStep> program;
  for (const pyb::handle& step : steps) {
    kernels::DecimalStep s;
    if (pyb::isinstance<pyb::int_>(step)) {
      s.operand = step.cast<int>();
    } else {
      const auto op = step.cast<std::tuple<std::string, int64_t, int64_t>>();
      if (std::get<0>(op).size() != 1) throw pyb::value_error("decimal program: op must be '+', '-' or '*'");
      s.op = std::get<0>(op)[0];
      s.left_factor = std::get<1>(op);
      s.right_factor = std::get<2>(op);
    }
    program.push_back(s);
  }
  return program;
}

namespace {

// A decimal program from Python: `steps` as decimal_steps takes them; `operands` decimal128
// arrays or ints (unscaled constants that fit in 64 bits); `out` a writable buffer of 16
// bytes per row. False when some value needs more than 64 bits (nothing to rely on in `out`
// then).
bool decimal_int64_program(const pyb::list& steps, const pyb::list& operands, const pyb::buffer& out) {
  const std::vector<kernels::DecimalStep> program = decimal_steps(steps);
  int64_t length = -1;
  std::vector<kernels::DecimalOperand> values;
  std::vector<std::shared_ptr<const ArrayData>> holders;  // keep the imported arrays alive
  for (const pyb::handle& obj : operands) {
    kernels::DecimalOperand operand;
    if (pyb::isinstance<pyb::int_>(obj)) {
      operand.constant = obj.cast<int64_t>();
    } else {
      const PyArrowArray imported = PyArrowArray::from_object(obj);
      if (imported.field().type.id != TypeId::kDecimal128 || imported.field().dictionary) {
        throw pyb::type_error("decimal program: expected a decimal128 array, got " + imported.field().to_string());
      }
      if (length >= 0 && imported.data()->length != length) throw pyb::value_error("decimal program: operands of different lengths");
      length = imported.data()->length;
      holders.push_back(imported.data());
      operand.array = holders.back().get();
    }
    values.push_back(operand);
  }
  if (length < 0) throw pyb::type_error("decimal program: at least one operand must be an array");
  const pyb::buffer_info info = out.request(true);
  if (info.size * info.itemsize < 16 * length) {
    throw pyb::value_error("decimal program: the output buffer holds fewer than 16 bytes per row");
  }
  auto* bytes = static_cast<uint8_t*>(info.ptr);
  pyb::gil_scoped_release release;
  return kernels::decimal_int64_program(program, values, length, bytes);
}

// A literal of a row filter term from Python: ("int", value, scale) with scale -1 unless
// the value is a decimal's unscaled value, ("float", value, -1) or ("bytes", value, -1).
kernels::FilterLiteral filter_literal(const pyb::tuple& literal) {
  if (literal.size() != 3) throw pyb::value_error("a row filter literal is a (kind, value, scale) tuple");
  const auto kind = literal[0].cast<std::string>();
  kernels::FilterLiteral out;
  out.scale = literal[2].cast<int32_t>();
  if (kind == "int") {
    out.kind = kernels::FilterLiteral::Kind::kInteger;
    const auto bytes = literal[1].attr("to_bytes")(16, "little", pyb::arg("signed") = true).cast<std::string>();
    std::memcpy(&out.integer, bytes.data(), sizeof out.integer);  // int128 is little-endian, low word first
  } else if (kind == "float") {
    out.kind = kernels::FilterLiteral::Kind::kFloat;
    out.real = literal[1].cast<double>();
  } else if (kind == "bytes") {
    out.kind = kernels::FilterLiteral::Kind::kBytes;
    out.bytes = literal[1].cast<std::string>();
  } else {
    throw pyb::value_error("unknown row filter literal kind '" + kind + "'");
  }
  return out;
}

std::vector<kernels::FilterTerm> parse_filter_terms(const pyb::list& terms) {
  std::vector<kernels::FilterTerm> out;
  for (const pyb::handle& item : terms) {
    const auto term = item.cast<pyb::tuple>();
    if (term.size() != 4) throw pyb::value_error("a row filter term is a (column, op, other, literals) tuple");
    kernels::FilterTerm t;
    t.column = term[0].cast<std::string>();
    t.op = kernels::parse_filter_op(term[1].cast<std::string>());
    if (!term[2].is_none()) t.other = term[2].cast<std::string>();
    for (const pyb::handle& literal : term[3].cast<pyb::list>()) t.literals.push_back(filter_literal(literal.cast<pyb::tuple>()));
    out.push_back(std::move(t));
  }
  return out;
}

// Row numbers handed to Python: a numpy int32 array that owns the vector.
pyb::array_t<int32_t> owned_rows(std::unique_ptr<std::vector<int32_t>> rows) {
  const auto size = static_cast<pyb::ssize_t>(rows->size());
  int32_t* data = rows->data();
  pyb::capsule owner(rows.release(), [](void* p) { delete static_cast<std::vector<int32_t>*>(p); });
  return pyb::array_t<int32_t>({size}, {static_cast<pyb::ssize_t>(sizeof(int32_t))}, data, owner);
}

}  // namespace

PyRowFilter::PyRowFilter(const pyb::list& terms) : filter_(parse_filter_terms(terms)) {}

pyb::array_t<int32_t> PyRowFilter::select(const pyb::handle& batch) const {
  const PyArrowArray imported = PyArrowArray::from_object(batch);
  const std::vector<std::shared_ptr<const ArrayData>> columns = batch_columns(imported);
  auto rows = std::make_unique<std::vector<int32_t>>();
  {
    pyb::gil_scoped_release release;
    *rows = filter_.select(columns, imported.field().children, imported.data()->length);
  }
  return owned_rows(std::move(rows));
}

void PyKeyBitmap::add(const pyb::handle& keys) {
  const PyArrowArray imported = PyArrowArray::from_object(keys);
  pyb::gil_scoped_release release;
  bitmap_.add(arrow::ArrayView(*imported.data(), imported.field()));
}

bool PyKeyBitmap::finish() {
  pyb::gil_scoped_release release;
  return bitmap_.finish();
}

pyb::array_t<int32_t> PyKeyBitmap::select(const pyb::handle& keys_array, const std::optional<Rows>& rows) const {
  const PyArrowArray imported = PyArrowArray::from_object(keys_array);
  const std::shared_ptr<const ArrayData>& keys = imported.data();
  auto kept = std::make_unique<std::vector<int32_t>>();
  const int32_t* given = rows ? rows->data() : nullptr;  // the caller's array: alive through the call
  const auto count = static_cast<std::size_t>(rows ? rows->size() : 0);
  bool ascending = true;
  {
    pyb::gil_scoped_release release;
    const arrow::ArrayView view(*keys, imported.field());
    if (given != nullptr) {
      kept->assign(given, given + count);
      for (std::size_t i = 0; i < count && ascending; ++i) {
        ascending = given[i] >= 0 && given[i] < keys->length && (i == 0 || given[i] > given[i - 1]);
      }
      if (ascending) bitmap_.keep(view, *kept);
    } else {
      *kept = bitmap_.select(view);
    }
  }
  if (!ascending) throw pyb::value_error("join key filter: rows must be ascending row numbers of the keys");
  return owned_rows(std::move(kept));
}

void bind_kernels(pyb::module_& m) {
  pyb::class_<PyRowFilter>(m, "RowFilter")
      .def(pyb::init<const pyb::list&>(), pyb::arg("terms"))
      .def("select", &PyRowFilter::select, pyb::arg("batch"),
           "The rows of a record batch passing every term, ascending (a numpy int32 array).");
  pyb::class_<PyKeyBitmap>(m, "KeyBitmap")
      .def(pyb::init<>())
      .def("add", &PyKeyBitmap::add, pyb::arg("keys"), "Keeps an integer array's non-null values (thread-safe).")
      .def("finish", &PyKeyBitmap::finish,
           "Makes the bitmap (the first call); False when the keys span more than key_bitmap_max_span values.")
      .def("select", &PyKeyBitmap::select, pyb::arg("keys"), pyb::arg("rows") = pyb::none(),
           "Of `rows` (ascending int32 row numbers of the `keys` array; None: every row), those whose key is a "
           "build key.");
  m.attr("key_bitmap_max_span") = kernels::KeyBitmap::kMaxSpan;
  m.def("decimal_int64_program", &decimal_int64_program, pyb::arg("steps"), pyb::arg("operands"), pyb::arg("out"),
        "Exact + - * of decimal128 arrays and int constants (unscaled) on their int64 unscaled "
        "values, a whole expression in one pass: `steps` in postfix order, an int pushes that "
        "operand, an (op, left_factor, right_factor) tuple pops two values and pushes left <op> "
        "right (+ and - multiply each side by its factor first); the result goes into `out` (16 "
        "bytes per row; a row with a null operand is 0). False if some value needs more than 64 "
        "bits.");
  m.def("hash_columns", &hash_columns, pyb::arg("batch"), pyb::arg("keys"),
        "The 64-bit hash of every row of a record batch over its key columns (a uint64 Arrow array).");
  m.def("hash_partition", &hash_partition, pyb::arg("batch"), pyb::arg("keys"), pyb::arg("partitions"),
        "The row indices of each hash partition of a record batch (one int64 Arrow array per partition).");
}

}  // namespace headrace::py
