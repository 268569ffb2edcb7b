#include "search/data/idx_reader.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "search/data/gzip_file.h"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;

uint32_t BigEndian32(const std::string& s, size_t at) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(s[at + i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

// Finds `base` or `base.gz` in `dir`.
std::string FindFile(const std::string& dir, const std::string& base) {
  fs::path plain = fs::path(dir) / base;
  if (fs::exists(plain)) return plain.string();
  return (fs::path(dir) / (base + ".gz")).string();
}

absl::StatusOr<RawSplit> LoadIdxPair(const std::string& dir, const std::string& prefix) {
  auto images = ReadIdxImages(FindFile(dir, prefix + "-images-idx3-ubyte"));
  if (!images.ok()) return images.status();
  auto labels = ReadIdxLabels(FindFile(dir, prefix + "-labels-idx1-ubyte"));
  if (!labels.ok()) return labels.status();
  if (images->size(0) != labels->size(0)) {
    return absl::DataLossError(absl::StrCat(dir, ": ", prefix, " has ", images->size(0),
                                            " images but ", labels->size(0), " labels"));
  }
  return RawSplit{*images, *labels};
}

}  // namespace

std::string FashionMnistDir() {
  const char* env = std::getenv("BITSEARCH_FASHION_MNIST_DIR");
  return env && *env ? env : "/usr/share/datasets/fashion-mnist";
}

absl::StatusOr<torch::Tensor> ReadIdxImages(const std::string& path) {
  auto data = ReadMaybeGzip(path);
  if (!data.ok()) return data.status();
  if (data->size() < 16 || BigEndian32(*data, 0) != 0x00000803) {
    return absl::DataLossError(absl::StrCat(path, ": not an IDX image file (bad magic number)"));
  }
  int64_t n = BigEndian32(*data, 4), h = BigEndian32(*data, 8), w = BigEndian32(*data, 12);
  if (static_cast<int64_t>(data->size()) != 16 + n * h * w) {
    return absl::DataLossError(absl::StrCat(path, ": header says ", n, " images of ", h, "x", w,
                                            " but the file holds ", data->size() - 16, " bytes"));
  }
  auto t = torch::empty({n, 1, h, w}, torch::kUInt8);
  std::memcpy(t.data_ptr<uint8_t>(), data->data() + 16, n * h * w);
  return t;
}

absl::StatusOr<torch::Tensor> ReadIdxLabels(const std::string& path) {
  auto data = ReadMaybeGzip(path);
  if (!data.ok()) return data.status();
  if (data->size() < 8 || BigEndian32(*data, 0) != 0x00000801) {
    return absl::DataLossError(absl::StrCat(path, ": not an IDX label file (bad magic number)"));
  }
  int64_t n = BigEndian32(*data, 4);
  if (static_cast<int64_t>(data->size()) != 8 + n) {
    return absl::DataLossError(absl::StrCat(path, ": header says ", n, " labels but the file holds ",
                                            data->size() - 8));
  }
  auto t = torch::empty({n}, torch::kUInt8);
  std::memcpy(t.data_ptr<uint8_t>(), data->data() + 8, n);
  return t.to(torch::kLong);
}

absl::StatusOr<RawData> ReadIdxFolder(const std::string& dir, const std::string& catalog_name) {
  if (!fs::is_directory(dir)) {
    return absl::NotFoundError(absl::StrCat(dir, ": data folder not found",
                                            catalog_name.empty() ? "" : " (install the Debian package dataset-fashion-mnist)"));
  }
  RawData raw;
  auto train = LoadIdxPair(dir, "train");
  if (!train.ok()) return train.status();
  auto test = LoadIdxPair(dir, "t10k");
  if (!test.ok()) return test.status();
  raw.train = std::move(*train);
  raw.test = std::move(*test);
  raw.name = catalog_name.empty() ? "idx:" + dir : catalog_name;
  raw.classes = 10;
  return raw;
}

}  // namespace bitsearch
