#include "search/data/dataset.h"

#include "absl/strings/str_cat.h"
#include "search/data/array_reader.h"
#include "search/data/cifar_reader.h"
#include "search/data/image_folder.h"
#include "search/data/synthetic.h"

namespace bitsearch {
namespace {

absl::StatusOr<RawData> ReadRaw(const DatasetSpec& given, uint64_t seed, const LoadOptions& options) {
  // An uploaded data set: its paths are relative to where the worker keeps it.
  absl::StatusOr<DatasetSpec> located = WithLocalPaths(given);
  if (!located.ok()) return located.status();
  const DatasetSpec& spec = *located;
  if (spec.name == "synthetic") {
    std::vector<int64_t> shape = spec.input_shape;
    if (shape.empty()) shape = options.model_input_shape.empty() ? std::vector<int64_t>{1, 28, 28} : options.model_input_shape;
    return MakeSynthetic(shape, spec.synthetic_train, spec.synthetic_test, seed);
  }
  if (spec.name == "fashion-mnist") return ReadIdxFolder(FashionMnistDir(), spec.name);
  if (spec.format == "idx") return ReadIdxFolder(spec.path, "");
  if (spec.format == "cifar10-bin") return ReadCifar10Folder(spec.path);
  if (spec.format == "npy" || spec.format == "npz") return ReadArrayDataset(spec);
  if (spec.format == "image-folder") {
    ImageFolderOptions o;
    o.shape = !options.model_input_shape.empty() ? options.model_input_shape : spec.input_shape;
    o.skip_corrupt = spec.on_corrupt == "skip";
    o.threads = options.threads;
    o.cache_dir = options.cache_dir;
    return ReadImageFolder(spec.path, o);
  }
  return absl::InvalidArgumentError(absl::StrCat("dataset: unknown data set \"", spec.name, spec.format, "\""));
}

std::string ShapeOf(const torch::Tensor& x) {
  return absl::StrCat(x.size(1), "x", x.size(2), "x", x.size(3));
}

// dataset.calibration: read, checked against the training samples' shape, preprocessed like them.
absl::Status LoadCalibration(const DatasetSpec& spec, const torch::Tensor& train_raw, Dataset* ds) {
  absl::StatusOr<DatasetSpec> located = WithLocalPaths(spec);
  if (!located.ok()) return located.status();
  auto samples = ReadSampleFile(located->calibration, spec.layout, "dataset.calibration");
  if (!samples.ok()) return samples.status();
  if (samples->sizes().slice(1).vec() != train_raw.sizes().slice(1).vec()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dataset.calibration (", located->calibration, "): samples are ", ShapeOf(*samples),
        " (C x H x W, dataset.layout ", spec.layout, "), the data set's are ", ShapeOf(train_raw)));
  }
  if (samples->scalar_type() != train_raw.scalar_type()) {
    ds->notes.push_back(absl::StrCat(
        "dataset.calibration holds ", samples->scalar_type() == torch::kByte ? "uint8" : "float",
        " samples and the data set ", train_raw.scalar_type() == torch::kByte ? "uint8" : "float",
        " ones; both are preprocessed alike, so they must hold values on the same scale"));
  }
  ds->calibration = ds->preprocessing.Apply(*samples);
  ds->notes.push_back(absl::StrCat("calibration: ", samples->size(0), " samples from ",
                                   spec.calibration));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Dataset> LoadDataset(const DatasetSpec& spec, uint64_t seed, const LoadOptions& options) {
  auto raw = ReadRaw(spec, seed, options);
  if (!raw.ok()) return raw.status();
  Dataset ds;
  ds.name = raw->name;
  ds.notes = raw->notes;
  ds.classes = raw->classes;
  const RawSplit& train = raw->train;
  const RawSplit& test = raw->test;

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

  torch::Tensor train_raw = train.x.index_select(0, train_idx);
  auto pre = ResolvePreprocessing(spec.preprocess, train_raw);
  if (!pre.ok()) return pre.status();
  ds.preprocessing = *pre;
  ds.train = {ds.preprocessing.Apply(train_raw), train.y.index_select(0, train_idx), spec.augment};
  train_raw = torch::Tensor();
  ds.validation = {ds.preprocessing.Apply(train.x.index_select(0, val_idx)), train.y.index_select(0, val_idx), {}};
  ds.test_raw_x = test.x.slice(0, 0, n_test).contiguous();
  ds.test = {ds.preprocessing.Apply(ds.test_raw_x), test.y.slice(0, 0, n_test), {}};
  ds.input_shape = {ds.train.x.size(1), ds.train.x.size(2), ds.train.x.size(3)};
  if (!spec.calibration.empty()) {
    absl::Status st = LoadCalibration(spec, train.x, &ds);
    if (!st.ok()) return st;
  }
  return ds;
}

torch::Tensor CalibrationSamples(const Dataset& data, int64_t n) {
  const torch::Tensor& pool = data.calibration.defined() ? data.calibration : data.train.x;
  return pool.slice(0, 0, std::min<int64_t>(n, pool.size(0)));
}

}  // namespace bitsearch
