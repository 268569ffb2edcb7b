#include "search/data/array_reader.h"

#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "search/data/npy.h"
#include "search/data/zip_archive.h"

namespace bitsearch {
namespace {

std::string ShapeText(const std::vector<int64_t>& shape) { return absl::StrCat("(", absl::StrJoin(shape, ", "), ")"); }

// One array of one split, with the name errors use: "train x (train_x.npy)" or "test y (d.npz:y_test)".
struct Loaded {
  NpyArray array;
  std::string what;
};

class ArraySource {
 public:
  static absl::StatusOr<ArraySource> Make(const DatasetSpec& spec) {
    ArraySource src;
    src.spec_ = &spec;
    if (spec.format == "npz") {
      auto zip = ZipArchive::Open(spec.path);
      if (!zip.ok()) return zip.status();
      src.zip_ = std::move(*zip);
    }
    return src;
  }

  absl::StatusOr<Loaded> Load(const std::string& split, const std::string& which, const std::string& ref) {
    if (!zip_) {
      auto a = ReadNpyFile(ref);
      const std::string what = absl::StrCat(split, " ", which, " (", ref, ")");
      if (!a.ok()) return absl::Status(a.status().code(), absl::StrCat("dataset.", split, ".", which, ": ", a.status().message()));
      return Loaded{std::move(*a), what};
    }
    const std::string what = absl::StrCat(split, " ", which, " (", spec_->path, ":", ref, ")");
    const std::string entry = ref + ".npy";
    if (!zip_->Contains(entry)) {
      std::vector<std::string> names;
      for (std::string n : zip_->Names()) {
        if (n.size() > 4 && n.substr(n.size() - 4) == ".npy") n.resize(n.size() - 4);
        names.push_back(n);
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "dataset.", split, ".", which, ": ", spec_->path, " has no array \"", ref, "\"; it holds: ",
          absl::StrJoin(names, ", "), " (name them with dataset.", split, " = {\"x\": ..., \"y\": ...})"));
    }
    auto bytes = zip_->Read(entry);
    if (!bytes.ok()) return bytes.status();
    auto a = ParseNpy(*bytes, absl::StrCat(spec_->path, ":", ref));
    if (!a.ok()) return a.status();
    return Loaded{std::move(*a), what};
  }

 private:
  const DatasetSpec* spec_ = nullptr;
  std::shared_ptr<ZipArchive> zip_;
};

// x as [N, C, H, W] uint8 or float32.
absl::StatusOr<torch::Tensor> SamplesOf(const Loaded& x, const std::string& layout) {
  const NpyArray& a = x.array;
  const std::string type = NpyTypeName(a.descr);
  torch::Tensor t = a.data;
  if (t.scalar_type() == torch::kHalf || t.scalar_type() == torch::kDouble) {
    t = t.to(torch::kFloat);
  } else if (t.scalar_type() != torch::kByte && t.scalar_type() != torch::kFloat) {
    return absl::InvalidArgumentError(absl::StrCat(x.what, ": samples must be uint8, float16 or float32, got ", type,
                                                   type.find("int") != std::string::npos
                                                       ? " (pixels 0..255: x.astype(numpy.uint8); else x.astype(numpy.float32))"
                                                       : ""));
  }
  if (t.dim() == 3) {
    t = t.unsqueeze(layout == "NHWC" ? 3 : 1);
  } else if (t.dim() != 4) {
    return absl::InvalidArgumentError(absl::StrCat(x.what, ": expected 4 dimensions (", layout,
                                                   ") or 3 (N, H, W), got shape ", ShapeText(a.shape)));
  }
  if (layout == "NHWC") t = t.permute({0, 3, 1, 2});
  if (t.size(0) == 0) return absl::InvalidArgumentError(absl::StrCat(x.what, ": no samples"));
  if (t.size(1) < 1 || t.size(2) < 1 || t.size(3) < 1) {
    return absl::InvalidArgumentError(absl::StrCat(x.what, ": empty sample shape ", ShapeText(a.shape)));
  }
  if (t.scalar_type() == torch::kFloat) {
    torch::Tensor bad = (~torch::isfinite(t)).flatten(1).any(1).nonzero();
    if (bad.numel() > 0) {
      return absl::InvalidArgumentError(absl::StrCat(x.what, ": ", bad.numel(), " samples hold NaN or infinite values (first: sample ",
                                                     bad[0].item<int64_t>(), ")"));
    }
  }
  return t.contiguous();
}

// y as [N] int64, every id >= 0.
absl::StatusOr<torch::Tensor> LabelsOf(const Loaded& y) {
  const NpyArray& a = y.array;
  torch::Tensor t = a.data;
  if (t.is_floating_point() || t.scalar_type() == torch::kBool) {
    return absl::InvalidArgumentError(absl::StrCat(y.what, ": labels must be integer class ids, got ", NpyTypeName(a.descr),
                                                   " (save y.astype(numpy.int64))"));
  }
  if (t.dim() == 2 && t.size(1) == 1) t = t.flatten();
  if (t.dim() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(y.what, ": expected one class id per sample, shape (N,), got ",
                                                   ShapeText(a.shape), t.dim() == 2 ? " (one-hot? save y.argmax(1))" : ""));
  }
  t = t.to(torch::kLong);
  if (t.numel() > 0 && t.min().item<int64_t>() < 0) {
    const int64_t at = (t < 0).nonzero()[0][0].item<int64_t>();
    return absl::InvalidArgumentError(absl::StrCat(y.what, ": class ids must be 0 or more; sample ", at, " has ",
                                                   t[at].item<int64_t>()));
  }
  return t;
}

absl::StatusOr<RawSplit> LoadSplit(ArraySource& src, const std::string& split, const ArrayPair& refs,
                                   const std::string& layout) {
  auto x = src.Load(split, "x", refs.x);
  if (!x.ok()) return x.status();
  auto y = src.Load(split, "y", refs.y);
  if (!y.ok()) return y.status();
  RawSplit out;
  auto samples = SamplesOf(*x, layout);
  if (!samples.ok()) return samples.status();
  auto labels = LabelsOf(*y);
  if (!labels.ok()) return labels.status();
  if (samples->size(0) != labels->size(0)) {
    return absl::InvalidArgumentError(absl::StrCat("dataset.", split, ": x has ", samples->size(0), " samples (", x->what,
                                                   ") but y has ", labels->size(0), " labels (", y->what, ")"));
  }
  return RawSplit{*samples, *labels};
}

}  // namespace

absl::StatusOr<torch::Tensor> ReadSampleFile(const std::string& path, const std::string& layout,
                                             const std::string& field) {
  auto a = ReadNpyFile(path);
  if (!a.ok()) return absl::Status(a.status().code(), absl::StrCat(field, ": ", a.status().message()));
  return SamplesOf(Loaded{std::move(*a), absl::StrCat(field, " (", path, ")")}, layout);
}

absl::StatusOr<RawData> ReadArrayDataset(const DatasetSpec& spec) {
  auto src = ArraySource::Make(spec);
  if (!src.ok()) return src.status();
  RawData raw;
  auto train = LoadSplit(*src, "train", spec.train, spec.layout);
  if (!train.ok()) return train.status();
  auto test = LoadSplit(*src, "test", spec.test, spec.layout);
  if (!test.ok()) return test.status();
  raw.train = std::move(*train);
  raw.test = std::move(*test);
  auto shape = [](const torch::Tensor& x) { return std::vector<int64_t>{x.size(1), x.size(2), x.size(3)}; };
  if (shape(raw.train.x) != shape(raw.test.x)) {
    return absl::InvalidArgumentError(absl::StrCat("dataset: train samples are ", ShapeText(shape(raw.train.x)),
                                                   " but test samples are ", ShapeText(shape(raw.test.x)), " (C, H, W)"));
  }
  if (raw.train.x.scalar_type() != raw.test.x.scalar_type()) {
    // Mixed uint8 / float splits would be preprocessed from different raw scales.
    return absl::InvalidArgumentError(absl::StrCat("dataset: train x is ", raw.train.x.scalar_type() == torch::kByte ? "uint8" : "float",
                                                   " but test x is ", raw.test.x.scalar_type() == torch::kByte ? "uint8" : "float",
                                                   "; save both with the same dtype"));
  }
  const int64_t train_max = raw.train.y.max().item<int64_t>();
  const int64_t test_max = raw.test.y.numel() > 0 ? raw.test.y.max().item<int64_t>() : 0;
  if (test_max > train_max) {
    return absl::InvalidArgumentError(absl::StrCat("dataset.test.y: class id ", test_max,
                                                   " never occurs in the training labels (highest ", train_max, ")"));
  }
  raw.classes = train_max + 1;
  raw.name = spec.format == "npz" ? "npz:" + spec.path : "npy:" + spec.train.x;
  return raw;
}

}  // namespace bitsearch
