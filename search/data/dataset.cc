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
  return ds;
}

}  // namespace bitsearch
