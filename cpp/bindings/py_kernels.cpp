#include "bindings/py_kernels.h"

#include <pybind11/stl.h>

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "bindings/py_arrow.h"
#include "kernels/hash.h"
#include "kernels/partition.h"

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

void bind_kernels(pyb::module_& m) {
  m.def("hash_columns", &hash_columns, pyb::arg("batch"), pyb::arg("keys"),
        "The 64-bit hash of every row of a record batch over its key columns (a uint64 Arrow array).");
  m.def("hash_partition", &hash_partition, pyb::arg("batch"), pyb::arg("keys"), pyb::arg("partitions"),
        "The row indices of each hash partition of a record batch (one int64 Arrow array per partition).");
}

}  // namespace headrace::py
