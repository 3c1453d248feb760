#include "arrow/array_data.h"

#include <algorithm>
#include <string>

namespace headrace::arrow {

namespace {

std::shared_ptr<const ArrayData> import_node(const ArrowArray& array, const std::shared_ptr<const void>& root) {
  auto data = std::make_shared<ArrayData>();
  data->length = array.length;
  data->null_count = array.null_count;
  data->offset = array.offset;
  data->buffers.assign(array.buffers, array.buffers + array.n_buffers);
  for (int64_t i = 0; i < array.n_children; ++i) data->children.push_back(import_node(*array.children[i], root));
  if (array.dictionary != nullptr) data->dictionary = import_node(*array.dictionary, root);
  data->keepalive = root;
  return data;
}

struct ExportedArray {
  std::shared_ptr<const ArrayData> data;
  std::vector<const void*> buffers;
  std::vector<std::unique_ptr<ArrowArray>> children;
  std::vector<ArrowArray*> child_pointers;
  std::unique_ptr<ArrowArray> dictionary;
};

struct ExportedSchema {
  std::string format;
  std::string name;
  std::vector<std::unique_ptr<ArrowSchema>> children;
  std::vector<ArrowSchema*> child_pointers;
  std::unique_ptr<ArrowSchema> dictionary;
};

// The release callback of an exported struct (array or schema): releases the children and
// the dictionary a consumer did not move out (their release is then null), then our data.
template <typename Struct, typename Exported>
void release_exported(Struct* exported_struct) {
  auto* exported = static_cast<Exported*>(exported_struct->private_data);
  for (auto& child : exported->children) {
    if (child->release != nullptr) child->release(child.get());
  }
  if (exported->dictionary && exported->dictionary->release != nullptr) {
    exported->dictionary->release(exported->dictionary.get());
  }
  delete exported;
  exported_struct->release = nullptr;
}

}  // namespace

void export_schema(const Field& field, ArrowSchema* out) {
  auto* exported = new ExportedSchema();
  exported->format = field.type.format();
  exported->name = field.name;
  for (const auto& child : field.children) {
    exported->children.push_back(std::make_unique<ArrowSchema>());
    export_schema(child, exported->children.back().get());
    exported->child_pointers.push_back(exported->children.back().get());
  }
  *out = ArrowSchema{};
  if (field.dictionary) {
    exported->dictionary = std::make_unique<ArrowSchema>();
    export_schema(*field.dictionary, exported->dictionary.get());
    out->dictionary = exported->dictionary.get();
  }
  out->format = exported->format.c_str();
  out->name = exported->name.c_str();
  out->metadata = nullptr;
  out->flags = field.nullable ? ARROW_FLAG_NULLABLE : 0;
  out->n_children = static_cast<int64_t>(exported->children.size());
  out->children = exported->child_pointers.empty() ? nullptr : exported->child_pointers.data();
  out->release = &release_exported<ArrowSchema, ExportedSchema>;
  out->private_data = exported;
}

namespace {

// Buffers of each layout: validity + values; validity + offsets + characters; struct:
// validity only. A dictionary-encoded column's own type is its integer indices.
int64_t expected_buffers(const Field& field) {
  switch (field.type.id) {
    case TypeId::kUtf8:
    case TypeId::kLargeUtf8:
      return 3;
    case TypeId::kStruct:
      return 1;
    default:
      return 2;
  }
}

}  // namespace

std::shared_ptr<const ArrayData> import_array(ArrayOwner array) {
  if (array.released()) throw ArrowError("cannot import a released ArrowArray");
  auto root = std::make_shared<ArrayOwner>(std::move(array));
  return import_node(*root->get(), root);
}

void export_array(std::shared_ptr<const ArrayData> data, ArrowArray* out) {
  auto* exported = new ExportedArray();
  exported->buffers = data->buffers;
  for (const auto& child : data->children) {
    exported->children.push_back(std::make_unique<ArrowArray>());
    export_array(child, exported->children.back().get());
    exported->child_pointers.push_back(exported->children.back().get());
  }
  *out = ArrowArray{};
  if (data->dictionary) {
    exported->dictionary = std::make_unique<ArrowArray>();
    export_array(data->dictionary, exported->dictionary.get());
    out->dictionary = exported->dictionary.get();
  }
  out->length = data->length;
  out->null_count = data->null_count;
  out->offset = data->offset;
  out->n_buffers = static_cast<int64_t>(exported->buffers.size());
  out->buffers = exported->buffers.data();
  out->n_children = static_cast<int64_t>(exported->children.size());
  out->children = exported->child_pointers.empty() ? nullptr : exported->child_pointers.data();
  out->release = &release_exported<ArrowArray, ExportedArray>;
  exported->data = std::move(data);
  out->private_data = exported;
}

void validate(const ArrayData& data, const Field& field, const std::string& where) {
  const std::string column = "column '" + (where.empty() ? field.name : where) + "' (" + field.to_string() + ")";
  if (data.length < 0 || data.offset < 0) throw ArrowError(column + ": negative length or offset");
  // A view layout has validity, views, its variadic character buffers and their sizes.
  const bool view = field.type.id == TypeId::kUtf8View;
  const int64_t want = view ? std::max<int64_t>(3, static_cast<int64_t>(data.buffers.size()))
                            : expected_buffers(field);
  if (static_cast<int64_t>(data.buffers.size()) != want) {
    throw ArrowError(column + ": expected " + std::to_string(want) + " buffers, got " +
                     std::to_string(data.buffers.size()));
  }
  if (data.null_count > 0 && data.buffers[0] == nullptr) {
    throw ArrowError(column + ": has nulls but no validity bitmap");
  }
  for (int64_t b = 1; b < (view ? 2 : want); ++b) {
    if (data.buffers[b] == nullptr && data.length > 0) {
      throw ArrowError(column + ": buffer " + std::to_string(b) + " is missing");
    }
  }
  if (field.dictionary) {
    if (!data.dictionary) throw ArrowError(column + ": dictionary-encoded but no dictionary");
    validate(*data.dictionary, *field.dictionary, where.empty() ? field.name : where);
  }
  if (field.type.id == TypeId::kStruct) {
    if (data.children.size() != field.children.size()) {
      throw ArrowError(column + ": expected " + std::to_string(field.children.size()) + " children, got " +
                       std::to_string(data.children.size()));
    }
    for (std::size_t i = 0; i < field.children.size(); ++i) {
      validate(*data.children[i], field.children[i], field.children[i].name);
    }
  }
}

}  // namespace headrace::arrow
