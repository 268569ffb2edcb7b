#include "search/onnx/onnx_import.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "onnx/onnx_pb.h"
#include "search/onnx/onnx_importer.h"
#include "search/onnx/onnx_tensor.h"

namespace bitsearch {
namespace {

// Walks the top-level fields of a ModelProto without parsing them, to tell a truncated file
// (a field runs past the end) from bytes that are no protobuf message at all.
absl::Status ScanTopLevel(const std::string& bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  auto varint = [&](uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (i >= n) return false;
      uint8_t b = p[i++];
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  };
  const auto truncated = absl::InvalidArgumentError(
      absl::StrCat("the ONNX file is truncated: a field runs past its end at byte ", n,
                   " (copy it again, or re-export it)"));
  const auto not_onnx = absl::InvalidArgumentError(
      "not an ONNX model: the bytes are not a serialized onnx.ModelProto");
  if (n == 0) return absl::InvalidArgumentError("not an ONNX model: the file is empty");
  int fields = 0;
  while (i < n) {
    uint64_t tag;
    if (!varint(&tag)) return fields > 0 ? truncated : not_onnx;
    uint64_t field = tag >> 3;
    int wire = static_cast<int>(tag & 7);
    // ModelProto's fields are numbered 1..20 and none is a group.
    if (field == 0 || field > 64 || wire == 3 || wire == 4 || wire > 5) return not_onnx;
    uint64_t v;
    switch (wire) {
      case 0:
        if (!varint(&v)) return truncated;
        break;
      case 1:
        if (n - i < 8) return truncated;
        i += 8;
        break;
      case 2:
        if (!varint(&v)) return truncated;
        if (v > n - i) return truncated;
        i += v;
        break;
      case 5:
        if (n - i < 4) return truncated;
        i += 4;
        break;
    }
    ++fields;
  }
  return absl::OkStatus();
}

}  // namespace


absl::StatusOr<ImportedModel> ImportOnnxBytes(const std::string& bytes, const OnnxImportOptions& options) {
  absl::Status st = ScanTopLevel(bytes);
  if (!st.ok()) return st;
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(
        "not an ONNX model, or a damaged one: the bytes do not parse as onnx.ModelProto");
  }
  if (model.ir_version() <= 0 || !model.has_graph()) {
    return absl::InvalidArgumentError("not an ONNX model: no IR version or no graph");
  }
  try {
    return onnx_import_internal::Importer(model, options).Run();
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat("ONNX import: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("ONNX import: ", e.what()));
  }
}

absl::StatusOr<ImportedModel> ImportOnnxFile(const std::string& path, const OnnxImportOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ONNX file ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  auto model = ImportOnnxBytes(ss.str(), options);
  if (!model.ok()) {
    return absl::Status(model.status().code(), absl::StrCat(path, ": ", model.status().message()));
  }
  return model;
}

absl::Status LoadImportedWeights(const ImportedModel& model, NetworkImpl& net) {
  torch::NoGradGuard no_grad;
  std::set<std::string> used;
  auto load = [&](const std::string& name, torch::Tensor& target) -> absl::Status {
    auto it = model.parameters.find(name);
    if (it == model.parameters.end()) return absl::OkStatus();
    if (it->second.sizes() != target.sizes()) {
      return absl::InvalidArgumentError(absl::StrCat("imported ", name, " has shape ",
                                                     ShapeString(it->second), ", the network ",
                                                     ShapeString(target)));
    }
    target.copy_(it->second);
    used.insert(name);
    return absl::OkStatus();
  };
  for (auto& p : net.named_parameters(/*recurse=*/false)) {
    absl::Status st = load(p.key(), p.value());
    if (!st.ok()) return st;
  }
  for (auto& b : net.named_buffers(/*recurse=*/false)) {
    absl::Status st = load(b.key(), b.value());
    if (!st.ok()) return st;
  }
  for (const auto& [name, t] : model.parameters) {
    if (!used.count(name)) {
      return absl::InvalidArgumentError(absl::StrCat("imported ", name, " has no place in the network"));
    }
  }
  for (int l : net.graph().Layers()) {
    if (!used.count(ModuleName(net.graph().nodes[l].name) + "_weight")) {
      return absl::InvalidArgumentError(
          absl::StrCat("layer ", net.graph().nodes[l].name, " got no imported weight"));
    }
  }
  return absl::OkStatus();
}

}  // namespace bitsearch
