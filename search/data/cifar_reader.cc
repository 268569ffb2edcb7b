#include "search/data/cifar_reader.h"

#include <torch/torch.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "search/data/gzip_file.h"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<RawSplit> ReadBatches(const std::vector<std::string>& files) {
  std::vector<torch::Tensor> xs, ys;
  for (const auto& f : files) {
    auto batch = ReadCifar10Batch(f);
    if (!batch.ok()) return batch.status();
    xs.push_back(batch->x);
    ys.push_back(batch->y);
  }
  return RawSplit{torch::cat(xs), torch::cat(ys)};
}

}  // namespace

absl::StatusOr<RawSplit> ReadCifar10Batch(const std::string& path) {
  auto data = ReadMaybeGzip(path);
  if (!data.ok()) return data.status();
  constexpr int64_t kRecord = 1 + 3 * 32 * 32;
  if (data->empty() || data->size() % kRecord != 0) {
    return absl::DataLossError(absl::StrCat(path, ": size ", data->size(),
                                            " is not a whole number of CIFAR-10 records"));
  }
  int64_t n = data->size() / kRecord;
  auto raw = torch::from_blob(data->data(), {n, kRecord}, torch::kUInt8).clone();
  RawSplit s;
  s.y = raw.select(1, 0).to(torch::kLong);
  if (s.y.max().item<int64_t>() > 9) {
    return absl::DataLossError(absl::StrCat(path, ": label above 9; not a CIFAR-10 batch"));
  }
  s.x = raw.slice(1, 1).reshape({n, 3, 32, 32}).contiguous();
  return s;
}

absl::StatusOr<RawData> ReadCifar10Folder(const std::string& dir) {
  std::string root = dir;
  if (!fs::exists(fs::path(root) / "test_batch.bin") && fs::exists(fs::path(root) / "cifar-10-batches-bin")) {
    root = (fs::path(root) / "cifar-10-batches-bin").string();
  }
  std::vector<std::string> train_files;
  for (int i = 1; i <= 5; ++i) train_files.push_back(absl::StrCat(root, "/data_batch_", i, ".bin"));
  RawData raw;
  auto train = ReadBatches(train_files);
  if (!train.ok()) return train.status();
  auto test = ReadBatches({root + "/test_batch.bin"});
  if (!test.ok()) return test.status();
  raw.train = std::move(*train);
  raw.test = std::move(*test);
  raw.name = "cifar10:" + dir;
  raw.classes = 10;
  return raw;
}

}  // namespace bitsearch
