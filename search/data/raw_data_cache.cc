#include "search/data/raw_data_cache.h"

#include <filesystem>
#include <fstream>

#include "base/atomic_file.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"

namespace bitsearch {
namespace {

using nlohmann::json;

constexpr char kMagic[] = "BSRAWD01";  // bump when the layout changes: old files are then misses

json TensorInfo(const torch::Tensor& t) {
  return {{"shape", t.sizes().vec()}, {"dtype", t.scalar_type() == torch::kByte ? "uint8" : t.scalar_type() == torch::kLong ? "int64" : "float32"}};
}

std::optional<torch::Tensor> ReadTensor(std::ifstream& in, const json& info) {
  const std::string dtype = info.value("dtype", "");
  const torch::ScalarType type = dtype == "uint8" ? torch::kByte : dtype == "int64" ? torch::kLong : torch::kFloat;
  if (dtype != "uint8" && dtype != "int64" && dtype != "float32") return std::nullopt;
  torch::Tensor t = torch::empty(info.at("shape").get<std::vector<int64_t>>(), type);
  in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(t.numel() * t.element_size()));
  if (!in) return std::nullopt;
  return t;
}

// Streams the tensor's bytes: no second copy of a large data set in memory.
absl::Status Append(AtomicFileWriter& out, const torch::Tensor& t) {
  torch::Tensor c = t.contiguous();
  return out.Append(absl::string_view(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size()));
}

}  // namespace

std::optional<RawData> LoadRawDataCache(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  char magic[8];
  uint64_t header_len = 0;
  in.read(magic, 8);
  in.read(reinterpret_cast<char*>(&header_len), 8);
  if (!in || std::string(magic, 8) != std::string(kMagic, 8) || header_len > (1u << 24)) return std::nullopt;
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  try {
    json h = json::parse(header);
    RawData data;
    data.name = h.at("name").get<std::string>();
    data.classes = h.at("classes").get<int64_t>();
    data.notes = h.at("notes").get<std::vector<std::string>>();
    auto tx = ReadTensor(in, h.at("train_x")), ty = ReadTensor(in, h.at("train_y"));
    auto sx = ReadTensor(in, h.at("test_x")), sy = ReadTensor(in, h.at("test_y"));
    if (!tx || !ty || !sx || !sy) return std::nullopt;
    data.train = {*tx, *ty};
    data.test = {*sx, *sy};
    return data;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

absl::Status SaveRawDataCache(const std::string& path, const RawData& data) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  json h = {{"name", data.name}, {"classes", data.classes}, {"notes", data.notes},
            {"train_x", TensorInfo(data.train.x)}, {"train_y", TensorInfo(data.train.y)},
            {"test_x", TensorInfo(data.test.x)}, {"test_y", TensorInfo(data.test.y)}};
  const std::string header = h.dump();
  const uint64_t header_len = header.size();
  BS_ASSIGN_OR_RETURN(std::unique_ptr<AtomicFileWriter> out, AtomicFileWriter::Open(path));
  BS_RETURN_IF_ERROR(out->Append(absl::string_view(kMagic, 8)));
  BS_RETURN_IF_ERROR(out->Append(absl::string_view(reinterpret_cast<const char*>(&header_len), 8)));
  BS_RETURN_IF_ERROR(out->Append(header));
  for (const torch::Tensor* t : {&data.train.x, &data.train.y, &data.test.x, &data.test.y}) {
    BS_RETURN_IF_ERROR(Append(*out, *t));
  }
  return out->Commit();
}

}  // namespace bitsearch
