#include "search/data.h"

#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace bitsearch {
namespace {

namespace fs = std::filesystem;

// Reads a whole file, gunzipping it when it is gzip-compressed (zlib reads plain files as is).
absl::StatusOr<std::string> ReadMaybeGzip(const std::string& path) {
  if (!fs::exists(path)) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) out.append(buf, n);
  int err = 0;
  const char* msg = gzerror(f, &err);
  std::string message = msg ? msg : "";
  gzclose(f);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END)) {
    return absl::DataLossError(absl::StrCat(path, ": corrupt or truncated gzip data (", message, ")"));
  }
  return out;
}

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

absl::StatusOr<Split> LoadIdxPair(const std::string& dir, const std::string& prefix) {
  auto images = ReadIdxImages(FindFile(dir, prefix + "-images-idx3-ubyte"));
  if (!images.ok()) return images.status();
  auto labels = ReadIdxLabels(FindFile(dir, prefix + "-labels-idx1-ubyte"));
  if (!labels.ok()) return labels.status();
  if (images->size(0) != labels->size(0)) {
    return absl::DataLossError(absl::StrCat(dir, ": ", prefix, " has ", images->size(0),
                                            " images but ", labels->size(0), " labels"));
  }
  return Split{images->to(torch::kFloat), *labels};
}

absl::StatusOr<Split> LoadCifarFolder(const std::string& dir, bool train) {
  std::string root = dir;
  if (!fs::exists(fs::path(root) / "test_batch.bin") &&
      fs::exists(fs::path(root) / "cifar-10-batches-bin")) {
    root = (fs::path(root) / "cifar-10-batches-bin").string();
  }
  std::vector<std::string> files;
  if (train) {
    for (int i = 1; i <= 5; ++i) files.push_back(absl::StrCat(root, "/data_batch_", i, ".bin"));
  } else {
    files.push_back(root + "/test_batch.bin");
  }
  std::vector<torch::Tensor> xs, ys;
  for (const auto& f : files) {
    auto batch = ReadCifar10Batch(f);
    if (!batch.ok()) return batch.status();
    xs.push_back(batch->x);
    ys.push_back(batch->y);
  }
  return Split{torch::cat(xs), torch::cat(ys)};
}

// Class templates plus noise: learnable, but not trivially (noise and random gains).
void MakeSynthetic(const std::vector<int64_t>& shape, int64_t n_train, int64_t n_test,
                   uint64_t seed, Split* train, Split* test) {
  const int64_t classes = 10;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed * 7919 + 17);
  // Smooth templates: low-resolution noise upsampled, so conv nets find local structure.
  auto coarse = torch::randn({classes, shape[0], (shape[1] + 3) / 4, (shape[2] + 3) / 4}, gen);
  auto templates = torch::nn::functional::interpolate(
      coarse, torch::nn::functional::InterpolateFuncOptions()
                  .size(std::vector<int64_t>{shape[1], shape[2]})
                  .mode(torch::kBilinear)
                  .align_corners(false));
  auto make = [&](int64_t n, Split* out) {
    out->y = torch::randint(0, classes, {n}, gen, torch::kLong);
    auto gain = torch::rand({n, 1, 1, 1}, gen) * 0.8 + 0.6;
    out->x = templates.index_select(0, out->y) * gain +
             torch::randn({n, shape[0], shape[1], shape[2]}, gen) * 1.2;
  };
  make(n_train, train);
  make(n_test, test);
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

absl::StatusOr<Split> ReadCifar10Batch(const std::string& path) {
  auto data = ReadMaybeGzip(path);
  if (!data.ok()) return data.status();
  constexpr int64_t kRecord = 1 + 3 * 32 * 32;
  if (data->empty() || data->size() % kRecord != 0) {
    return absl::DataLossError(absl::StrCat(path, ": size ", data->size(),
                                            " is not a whole number of CIFAR-10 records"));
  }
  int64_t n = data->size() / kRecord;
  auto raw = torch::from_blob(data->data(), {n, kRecord}, torch::kUInt8).clone();
  Split s;
  s.y = raw.select(1, 0).to(torch::kLong);
  if (s.y.max().item<int64_t>() > 9) {
    return absl::DataLossError(absl::StrCat(path, ": label above 9; not a CIFAR-10 batch"));
  }
  s.x = raw.slice(1, 1).reshape({n, 3, 32, 32}).to(torch::kFloat);
  return s;
}

absl::StatusOr<Dataset> LoadDataset(const DatasetSpec& spec, uint64_t seed,
                                    const std::vector<int64_t>& model_input_shape) {
  Dataset ds;
  Split train, test;
  if (spec.name == "synthetic") {
    std::vector<int64_t> shape = spec.input_shape;
    if (shape.empty()) shape = model_input_shape.empty() ? std::vector<int64_t>{1, 28, 28} : model_input_shape;
    MakeSynthetic(shape, spec.synthetic_train, spec.synthetic_test, seed, &train, &test);
    ds.name = "synthetic";
  } else if (spec.name == "fashion-mnist" || spec.format == "idx") {
    std::string dir = spec.format == "idx" ? spec.path : FashionMnistDir();
    if (!fs::is_directory(dir)) {
      return absl::NotFoundError(absl::StrCat(dir, ": data folder not found",
                                              spec.format.empty() ? " (install the Debian package dataset-fashion-mnist)" : ""));
    }
    auto tr = LoadIdxPair(dir, "train");
    if (!tr.ok()) return tr.status();
    auto te = LoadIdxPair(dir, "t10k");
    if (!te.ok()) return te.status();
    train = *tr;
    test = *te;
    ds.name = spec.format.empty() ? spec.name : "idx:" + dir;
  } else if (spec.format == "cifar10-bin") {
    auto tr = LoadCifarFolder(spec.path, true);
    if (!tr.ok()) return tr.status();
    auto te = LoadCifarFolder(spec.path, false);
    if (!te.ok()) return te.status();
    train = *tr;
    test = *te;
    ds.name = "cifar10:" + spec.path;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("dataset.name: unknown data set \"", spec.name, "\""));
  }

  // Shuffle with the job's seed, then limit, then carve the validation split off the end.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto perm = torch::randperm(train.size(), gen, torch::kLong);
  int64_t n_train = spec.train_limit > 0 ? std::min(spec.train_limit, train.size()) : train.size();
  perm = perm.slice(0, 0, n_train);
  int64_t n_val = static_cast<int64_t>(n_train * spec.validation_fraction);
  if (n_train - n_val < 1) return absl::InvalidArgumentError("dataset.train_limit: no training samples left");
  auto train_idx = perm.slice(0, 0, n_train - n_val);
  auto val_idx = perm.slice(0, n_train - n_val);
  int64_t n_test = spec.test_limit > 0 ? std::min(spec.test_limit, test.size()) : test.size();

  ds.train = {train.x.index_select(0, train_idx), train.y.index_select(0, train_idx)};
  ds.validation = {train.x.index_select(0, val_idx), train.y.index_select(0, val_idx)};
  ds.test = {test.x.slice(0, 0, n_test), test.y.slice(0, 0, n_test)};

  // Normalise per channel with the training split's statistics.
  auto mean = ds.train.x.mean({0, 2, 3}, true);
  auto std = ds.train.x.std({0, 2, 3}, true, true).clamp_min(1e-6);
  for (Split* s : {&ds.train, &ds.validation, &ds.test}) {
    if (s->size() > 0) s->x = ((s->x - mean) / std).contiguous();
  }
  ds.input_shape = {ds.train.x.size(1), ds.train.x.size(2), ds.train.x.size(3)};
  ds.classes = std::max<int64_t>(10, ds.train.y.max().item<int64_t>() + 1);
  return ds;
}

}  // namespace bitsearch
