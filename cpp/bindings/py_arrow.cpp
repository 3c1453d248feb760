#include "bindings/py_arrow.h"

#include <pybind11/stl.h>

#include <cstdlib>
#include <string>

namespace headrace::py {

namespace {

template <typename Struct>
Struct* capsule_pointer(const pyb::handle& capsule, const char* name) {
  auto* ptr = static_cast<Struct*>(PyCapsule_GetPointer(capsule.ptr(), name));
  if (ptr == nullptr) throw pyb::error_already_set();
  if (ptr->release == nullptr) throw arrow::ArrowError(std::string("the '") + name + "' capsule was already consumed");
  return ptr;
}

// A capsule owning a malloc'ed struct: released (if no consumer moved it) and freed with it.
template <typename Struct>
pyb::capsule owning_capsule(Struct* ptr, const char* name) {
  PyObject* capsule = PyCapsule_New(ptr, name, [](PyObject* self) {
    const char* capsule_name = PyCapsule_GetName(self);
    auto* s = static_cast<Struct*>(PyCapsule_GetPointer(self, capsule_name));
    if (s == nullptr) return;
    if (s->release != nullptr) s->release(s);
    std::free(s);
  });
  if (capsule == nullptr) {
    if (ptr->release != nullptr) ptr->release(ptr);
    std::free(ptr);
    throw pyb::error_already_set();
  }
  return pyb::reinterpret_steal<pyb::capsule>(capsule);
}

std::string type_name(const pyb::handle& obj) { return pyb::str(pyb::type::handle_of(obj).attr("__name__")); }

std::string stream_error(arrow::StreamOwner& stream, int code) {
  const char* message = stream->get_last_error != nullptr ? stream->get_last_error(stream.get()) : nullptr;
  return "reading an Arrow stream failed (error " + std::to_string(code) + ")" +
         (message != nullptr ? std::string(": ") + message : std::string());
}

}  // namespace

PyArrowArray PyArrowArray::from_object(const pyb::handle& obj) {
  if (!pyb::hasattr(obj, "__arrow_c_array__")) {
    throw pyb::type_error("expected an Arrow array or record batch (an object with __arrow_c_array__), got " +
                          type_name(obj));
  }
  auto capsules = obj.attr("__arrow_c_array__")().cast<pyb::tuple>();
  if (capsules.size() != 2) throw pyb::type_error("__arrow_c_array__ must return (schema, array) capsules");
  auto schema = arrow::SchemaOwner::take(capsule_pointer<ArrowSchema>(capsules[0], "arrow_schema"));
  auto array = arrow::ArrayOwner::take(capsule_pointer<ArrowArray>(capsules[1], "arrow_array"));
  arrow::Field field = arrow::parse_field(*schema.get());
  auto data = arrow::import_array(std::move(array));
  arrow::validate(*data, field, field.name);
  return PyArrowArray(std::move(field), std::move(data));
}

pyb::tuple PyArrowArray::arrow_c_array(const pyb::object&) const {
  auto* schema = static_cast<ArrowSchema*>(std::malloc(sizeof(ArrowSchema)));
  auto* array = static_cast<ArrowArray*>(std::malloc(sizeof(ArrowArray)));
  if (schema == nullptr || array == nullptr) {
    std::free(schema);
    std::free(array);
    throw std::bad_alloc();
  }
  arrow::export_schema(field_, schema);
  arrow::export_array(data_, array);
  pyb::capsule schema_capsule = owning_capsule(schema, "arrow_schema");
  pyb::capsule array_capsule = owning_capsule(array, "arrow_array");
  return pyb::make_tuple(schema_capsule, array_capsule);
}

arrow::Field parse_schema_object(const pyb::handle& obj) {
  if (!pyb::hasattr(obj, "__arrow_c_schema__")) {
    throw pyb::type_error("expected an Arrow schema (an object with __arrow_c_schema__), got " + type_name(obj));
  }
  pyb::object capsule = obj.attr("__arrow_c_schema__")();
  auto schema = arrow::SchemaOwner::take(capsule_pointer<ArrowSchema>(capsule, "arrow_schema"));
  return arrow::parse_field(*schema.get());
}

std::shared_ptr<const arrow::ArrayData> batch_column(const arrow::ArrayData& batch,
                                                     std::shared_ptr<const arrow::ArrayData> child) {
  if (batch.offset == 0 && child->length == batch.length) return child;
  auto sliced = std::make_shared<arrow::ArrayData>(*child);
  sliced->offset = child->offset + batch.offset;
  sliced->length = batch.length;
  sliced->null_count = -1;  // unknown for the slice: readers look at the bitmap
  return sliced;
}

std::vector<std::shared_ptr<const arrow::ArrayData>> batch_columns(const PyArrowArray& batch) {
  if (batch.field().type.id != arrow::TypeId::kStruct) {
    throw pyb::type_error("expected a record batch, got an array of type " + batch.field().to_string());
  }
  const arrow::ArrayData& data = *batch.data();
  std::vector<std::shared_ptr<const arrow::ArrayData>> columns;
  for (const auto& child : data.children) columns.push_back(batch_column(data, child));
  return columns;
}

std::vector<PyArrowArray> read_arrow_stream(const pyb::handle& obj) {
  if (!pyb::hasattr(obj, "__arrow_c_stream__")) {
    throw pyb::type_error("expected an Arrow stream (an object with __arrow_c_stream__), got " + type_name(obj));
  }
  pyb::object capsule = obj.attr("__arrow_c_stream__")();
  auto stream = arrow::StreamOwner::take(capsule_pointer<ArrowArrayStream>(capsule, "arrow_array_stream"));
  ArrowSchema c_schema;
  if (int code = stream->get_schema(stream.get(), &c_schema); code != 0) {
    throw arrow::ArrowError(stream_error(stream, code));
  }
  auto schema = arrow::SchemaOwner::take(&c_schema);
  arrow::Field field = arrow::parse_field(*schema.get());
  std::vector<PyArrowArray> arrays;
  for (;;) {
    ArrowArray c_array;
    if (int code = stream->get_next(stream.get(), &c_array); code != 0) {
      throw arrow::ArrowError(stream_error(stream, code));
    }
    if (c_array.release == nullptr) break;  // end of stream
    auto data = arrow::import_array(arrow::ArrayOwner::take(&c_array));
    arrow::validate(*data, field, field.name);
    arrays.emplace_back(field, std::move(data));
  }
  return arrays;
}

void bind_arrow(pyb::module_& m) {
  // Malformed or unsupported Arrow data is a TypeError (like pyarrow's ArrowTypeError).
  pyb::register_exception<arrow::ArrowError>(m, "ArrowError", PyExc_TypeError);
  pyb::class_<PyArrowArray>(m, "ArrowArray",
                            "An Arrow array or record batch held by the native core (zero-copy).")
      .def_static("from_object", &PyArrowArray::from_object, pyb::arg("obj"))
      .def("__arrow_c_array__", &PyArrowArray::arrow_c_array, pyb::arg("requested_schema") = pyb::none())
      .def_property_readonly("type", [](const PyArrowArray& a) { return a.field().to_string(); })
      .def_property_readonly("length", [](const PyArrowArray& a) { return a.data()->length; })
      .def("__len__", [](const PyArrowArray& a) { return a.data()->length; });
  m.def("read_arrow_stream", &read_arrow_stream, pyb::arg("obj"),
        "Every array of an Arrow stream (obj.__arrow_c_stream__()), imported without copies.");
}

}  // namespace headrace::py
