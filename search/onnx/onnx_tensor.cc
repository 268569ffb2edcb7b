#include "search/onnx/onnx_tensor.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace bitsearch {
namespace {

struct TypeInfo {
  torch::ScalarType torch_type;
  size_t bytes;
};

bool LookupType(int32_t elem_type, TypeInfo* info) {
  switch (elem_type) {
    case onnx::TensorProto::FLOAT: *info = {torch::kFloat, 4}; return true;
    case onnx::TensorProto::DOUBLE: *info = {torch::kDouble, 8}; return true;
    case onnx::TensorProto::FLOAT16: *info = {torch::kHalf, 2}; return true;
    case onnx::TensorProto::INT8: *info = {torch::kChar, 1}; return true;
    case onnx::TensorProto::UINT8: *info = {torch::kByte, 1}; return true;
    case onnx::TensorProto::INT32: *info = {torch::kInt, 4}; return true;
    case onnx::TensorProto::INT64: *info = {torch::kLong, 8}; return true;
    default: return false;
  }
}

}  // namespace

std::string ShapeString(const std::vector<int64_t>& dims) {
  return absl::StrCat("[", absl::StrJoin(dims, ", "), "]");
}

std::string ShapeString(const torch::Tensor& t) { return ShapeString(t.sizes().vec()); }

absl::StatusOr<torch::Tensor> TensorFromProto(const onnx::TensorProto& t) {
  const std::string what = absl::StrCat("tensor '", t.name(), "'");
  if (t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " keeps its data in an external file; external-data tensors are not supported "
              "(export the model with its weights inside the .onnx file)"));
  }
  TypeInfo type;
  if (!LookupType(t.data_type(), &type)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " has element type ", onnx::TensorProto::DataType_Name(t.data_type()),
        "; supported: FLOAT, DOUBLE, FLOAT16, INT8, UINT8, INT32, INT64"));
  }
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  int64_t count = 1;
  for (int64_t d : dims) {
    if (d < 0) return absl::InvalidArgumentError(absl::StrCat(what, " has a negative dimension"));
    count *= d;
  }
  auto mismatch = [&](int64_t got) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": dims ", ShapeString(dims), " hold ",
                                                   count, " values but its data holds ", got));
  };
  torch::Tensor out;
  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    if (raw.size() != count * type.bytes) {
      return mismatch(static_cast<int64_t>(raw.size() / type.bytes));
    }
    out = torch::empty(dims, torch::TensorOptions().dtype(type.torch_type));
    if (count > 0) std::memcpy(out.data_ptr(), raw.data(), raw.size());
  } else {
    switch (t.data_type()) {
      case onnx::TensorProto::FLOAT:
        if (t.float_data_size() != count) return mismatch(t.float_data_size());
        out = torch::empty(dims, torch::kFloat);
        std::copy(t.float_data().begin(), t.float_data().end(), out.data_ptr<float>());
        break;
      case onnx::TensorProto::DOUBLE:
        if (t.double_data_size() != count) return mismatch(t.double_data_size());
        out = torch::empty(dims, torch::kDouble);
        std::copy(t.double_data().begin(), t.double_data().end(), out.data_ptr<double>());
        break;
      case onnx::TensorProto::INT64:
        if (t.int64_data_size() != count) return mismatch(t.int64_data_size());
        out = torch::empty(dims, torch::kLong);
        std::copy(t.int64_data().begin(), t.int64_data().end(), out.data_ptr<int64_t>());
        break;
      case onnx::TensorProto::FLOAT16: {
        // Half values travel as their bit patterns in int32_data.
        if (t.int32_data_size() != count) return mismatch(t.int32_data_size());
        auto bits = torch::empty(dims, torch::kShort);
        int16_t* p = bits.data_ptr<int16_t>();
        for (int64_t i = 0; i < count; ++i) p[i] = static_cast<int16_t>(t.int32_data(i) & 0xffff);
        out = bits.view(torch::kHalf);
        break;
      }
      default: {  // INT8, UINT8, INT32 in int32_data
        if (t.int32_data_size() != count) return mismatch(t.int32_data_size());
        auto wide = torch::empty(dims, torch::kInt);
        std::copy(t.int32_data().begin(), t.int32_data().end(), wide.data_ptr<int32_t>());
        out = wide.to(type.torch_type);
      }
    }
  }
  if (out.is_floating_point()) return out.to(torch::kFloat);
  if (out.scalar_type() == torch::kInt) return out.to(torch::kLong);
  return out;
}

onnx::TensorProto TensorToProto(const std::string& name, const torch::Tensor& t) {
  onnx::TensorProto p;
  p.set_name(name);
  torch::Tensor c = t.contiguous().cpu();
  switch (c.scalar_type()) {
    case torch::kFloat: p.set_data_type(onnx::TensorProto::FLOAT); break;
    case torch::kLong: p.set_data_type(onnx::TensorProto::INT64); break;
    case torch::kChar: p.set_data_type(onnx::TensorProto::INT8); break;
    case torch::kByte: p.set_data_type(onnx::TensorProto::UINT8); break;
    default:
      c = c.to(torch::kFloat);
      p.set_data_type(onnx::TensorProto::FLOAT);
  }
  for (int64_t d : c.sizes()) p.add_dims(d);
  p.set_raw_data(std::string(static_cast<const char*>(c.data_ptr()), c.nbytes()));
  return p;
}

const onnx::AttributeProto* FindAttr(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

int64_t IntAttr(const onnx::NodeProto& node, const std::string& name, int64_t dflt) {
  const auto* a = FindAttr(node, name);
  return a ? a->i() : dflt;
}

double FloatAttr(const onnx::NodeProto& node, const std::string& name, double dflt) {
  const auto* a = FindAttr(node, name);
  return a ? a->f() : dflt;
}

std::vector<int64_t> IntsAttr(const onnx::NodeProto& node, const std::string& name,
                              std::vector<int64_t> dflt) {
  const auto* a = FindAttr(node, name);
  if (!a) return dflt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::string StringAttr(const onnx::NodeProto& node, const std::string& name,
                       const std::string& dflt) {
  const auto* a = FindAttr(node, name);
  return a ? a->s() : dflt;
}

}  // namespace bitsearch
