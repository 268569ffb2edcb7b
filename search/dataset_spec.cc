#include "search/dataset_spec.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/sha256.h"
#include "base/status_macros.h"
#include "search/dataset_manifest.h"
#include "search/spec.h"
#include "search/spec_reader.h"

namespace bitsearch {
namespace {

using nlohmann::json;
using spec_internal::NotOneOf;
using spec_internal::ObjectReader;
using spec_internal::OneOf;
using spec_internal::ReadBlock;
using spec_internal::SubObject;

// A number or an array of numbers, each checked against `positive`.
absl::Status ParsePerChannel(const json& v, const std::string& path, bool positive,
                             std::vector<double>* out) {
  std::vector<json> items = v.is_array() ? v.get<std::vector<json>>() : std::vector<json>{v};
  if (items.empty() || items.size() > 4096) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": expected a number or 1..4096 numbers, one per channel"));
  }
  for (size_t i = 0; i < items.size(); ++i) {
    const json& item = items[i];
    if (!item.is_number() || !std::isfinite(item.get<double>())) {
      return absl::InvalidArgumentError(absl::StrCat(path, v.is_array() ? absl::StrCat("[", i, "]") : "",
                                                     ": expected a number, got ", spec_internal::TypeName(item)));
    }
    if (positive && item.get<double>() <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": every deviation must be above 0, got ", item.dump()));
    }
    out->push_back(item.get<double>());
  }
  return absl::OkStatus();
}

absl::Status ParsePreprocess(ObjectReader& r, PreprocessSpec* p) {
  const json* v = r.Find("preprocess");
  if (!v) return absl::OkStatus();
  p->given = true;
  if (v->is_string()) {
    if (v->get<std::string>() != "auto") {
      return absl::InvalidArgumentError(absl::StrCat(
          "dataset.preprocess: expected \"auto\" or {\"scale\": S, \"mean\": [...], \"std\": [...]}, got \"",
          v->get<std::string>(), "\""));
    }
    p->automatic = true;
    return absl::OkStatus();
  }
  if (!v->is_object()) return r.TypeError("preprocess", "\"auto\" or an object", *v);
  p->automatic = false;
  ObjectReader o(*v, "dataset.preprocess");
  BS_RETURN_IF_ERROR(o.Number("scale", &p->scale, 0.0, true));
  if (const json* mean = o.Find("mean")) {
    BS_RETURN_IF_ERROR(ParsePerChannel(*mean, "dataset.preprocess.mean", false, &p->mean));
  }
  if (const json* std = o.Find("std")) {
    BS_RETURN_IF_ERROR(ParsePerChannel(*std, "dataset.preprocess.std", true, &p->std));
  }
  return o.NoUnknownFields();
}

absl::Status ParseAugment(ObjectReader& r, AugmentSpec* a) {
  BS_RETURN_IF_ERROR(ReadBlock(r, "augment", [&](ObjectReader& o) -> absl::Status {
    BS_RETURN_IF_ERROR(o.Integer("crop_padding", &a->crop_padding, 0));
    return o.Bool("horizontal_flip", &a->horizontal_flip);
  }));
  // Without an "augment" block this checks the default, which passes.
  if (a->crop_padding > 64) {
    return absl::InvalidArgumentError("dataset.augment.crop_padding: must be at most 64 pixels");
  }
  return absl::OkStatus();
}

// {"x": ..., "y": ...} of one split; `defaults` fill what an npz spec leaves out.
absl::Status ParseArrayPair(ObjectReader& r, const std::string& key, bool required,
                            const ArrayPair& defaults, ArrayPair* out) {
  const json* obj;
  BS_RETURN_IF_ERROR(SubObject(r, key, &obj));
  *out = defaults;
  if (!obj) {
    if (required) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dataset.", key, ": required with format npy, as {\"x\": \"", key, "_x.npy\", \"y\": \"", key,
          "_y.npy\"}"));
    }
    return absl::OkStatus();
  }
  ObjectReader o(*obj, "dataset." + key);
  BS_RETURN_IF_ERROR(o.String("x", &out->x));
  BS_RETURN_IF_ERROR(o.String("y", &out->y));
  BS_RETURN_IF_ERROR(o.NoUnknownFields());
  if (out->x.empty() || out->y.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("dataset.", key, ": needs both \"x\" and \"y\""));
  }
  return absl::OkStatus();
}

absl::Status ParseInputShape(ObjectReader& r, std::vector<int64_t>* shape) {
  const json* v = r.Find("input_shape");
  if (!v) return absl::OkStatus();
  if (!v->is_array() || v->size() != 3) {
    return absl::InvalidArgumentError("dataset.input_shape: expected [C, H, W]");
  }
  for (const json& d : *v) {
    if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > 4096) {
      return absl::InvalidArgumentError("dataset.input_shape: each of C, H, W must be an integer in 1..4096");
    }
    shape->push_back(d.get<int64_t>());
  }
  if ((*shape)[0] * (*shape)[1] * (*shape)[2] > spec_internal::kMaxSampleValues) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dataset.input_shape: one sample may hold at most ", spec_internal::kMaxSampleValues,
        " values (C x H x W; 64 MiB as floats), got ", (*shape)[0] * (*shape)[1] * (*shape)[2]));
  }
  return absl::OkStatus();
}

// An uploaded data set's paths name files inside it: relative, without "." or ".." parts.
absl::Status CheckInsideUpload(const std::string& field, const std::string& path) {
  bool ok = !path.empty() && path.front() != '/';
  for (const auto& part : std::filesystem::path(path)) ok = ok && part != ".." && part != ".";
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": \"", path, "\" must name a file inside the uploaded data set (a relative path without \"..\")"));
}

// `ref` and `digest`: which uploaded data set, and (once the server pinned it) which content.
absl::Status CheckUploadFields(const DatasetSpec& d) {
  if (d.ref.empty()) {
    if (!d.digest.empty()) return absl::InvalidArgumentError("dataset.digest: only valid with dataset.ref");
    return absl::OkStatus();
  }
  if (absl::Status name = ValidateDatasetName(d.ref); !name.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("dataset.ref: ", name.message()));
  }
  if (d.format.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dataset.ref: give the uploaded data set's \"format\" as well (", absl::StrJoin(DatasetFormatNames(), ", "), ")"));
  }
  const std::string prefix = "sha256:";
  if (!d.digest.empty() && (d.digest.compare(0, prefix.size(), prefix) != 0 || !IsSha256Hex(d.digest.substr(prefix.size())))) {
    return absl::InvalidArgumentError(absl::StrCat("dataset.digest: \"", d.digest, "\" is not sha256:<64 hex digits>"));
  }
  for (const auto& [field, path] : std::vector<std::pair<std::string, std::string>>{
           {"dataset.path", d.path}, {"dataset.train.x", d.train.x}, {"dataset.train.y", d.train.y},
           {"dataset.test.x", d.test.x}, {"dataset.test.y", d.test.y}}) {
    if (path.empty() || (d.format == "npz" && field != "dataset.path")) continue;  // npz: array names
    BS_RETURN_IF_ERROR(CheckInsideUpload(field, path));
  }
  return absl::OkStatus();
}

// Which fields belong to which format: a field another format reads is refused by name, so a
// typo'd combination does not silently fall back to a default.
absl::Status CheckFormatFields(const json& obj, const DatasetSpec& d) {
  auto refuse = [&](const char* field, const std::string& valid_with) -> absl::Status {
    if (!obj.contains(field)) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat("dataset.", field, ": only valid with ", valid_with));
  };
  const std::string f = d.format;
  if (f != "npy" && f != "npz") {
    BS_RETURN_IF_ERROR(refuse("train", "format npy or npz"));
    BS_RETURN_IF_ERROR(refuse("test", "format npy or npz"));
    BS_RETURN_IF_ERROR(refuse("layout", "format npy or npz"));
  }
  if (f != "image-folder") BS_RETURN_IF_ERROR(refuse("on_corrupt", "format image-folder"));
  // (input_shape and synthetic_* were always accepted and ignored by other data sets: kept so.)
  if (f == "npy") BS_RETURN_IF_ERROR(refuse("path", "a folder format or npz (npy names its files in train/test)"));
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& DatasetFormatNames() {
  static const std::vector<std::string> names = {"idx", "cifar10-bin", "npy", "npz", "image-folder"};
  return names;
}

std::string PreprocessRequiredMessage() {
  return "dataset.preprocess: required for an imported ONNX model, since bitsearch cannot know "
         "what preprocessing the model was trained with and does not guess. Give "
         "{\"scale\": S, \"mean\": [..], \"std\": [..]} (per channel: (x * scale - mean) / std of "
         "the data set's raw values), e.g. {\"scale\": 0.00392156862745098} for a model trained on "
         "pixels / 255, {\"scale\": 0.00392156862745098, \"mean\": [0.2860], \"std\": [0.3530]} "
         "for ToTensor() followed by Normalize((0.2860,), (0.3530,)), {\"scale\": 1} for a model "
         "trained on the raw values, or \"auto\" for the training split's own per-channel mean "
         "and deviation";
}

std::vector<std::pair<std::string, std::string>> DatasetSpecPaths(const DatasetSpec& d) {
  std::vector<std::pair<std::string, std::string>> paths;
  if (!d.ref.empty()) return paths;
  if (!d.calibration.empty()) paths.push_back({"dataset.calibration", d.calibration});
  if (d.format.empty()) return paths;
  if (!d.path.empty()) paths.push_back({"dataset.path", d.path});
  if (d.format == "npy") {
    paths.push_back({"dataset.train.x", d.train.x});
    paths.push_back({"dataset.train.y", d.train.y});
    paths.push_back({"dataset.test.x", d.test.x});
    paths.push_back({"dataset.test.y", d.test.y});
  }
  return paths;
}

namespace spec_internal {

absl::Status ParseDatasetSpec(ObjectReader& root, DatasetSpec* d) {
  const json* obj;
  BS_RETURN_IF_ERROR(SubObject(root, "dataset", &obj));
  if (!obj) return absl::OkStatus();
  ObjectReader r(*obj, "dataset");
  bool has_name = obj->contains("name");
  BS_RETURN_IF_ERROR(r.String("name", &d->name));
  BS_RETURN_IF_ERROR(r.String("format", &d->format));
  BS_RETURN_IF_ERROR(r.String("ref", &d->ref));
  BS_RETURN_IF_ERROR(r.String("digest", &d->digest));
  BS_RETURN_IF_ERROR(r.String("path", &d->path));
  BS_RETURN_IF_ERROR(r.String("layout", &d->layout));
  BS_RETURN_IF_ERROR(r.String("on_corrupt", &d->on_corrupt));
  BS_RETURN_IF_ERROR(r.String("calibration", &d->calibration));
  if (obj->contains("calibration") && d->calibration.empty()) {
    return absl::InvalidArgumentError(
        "dataset.calibration: must name an .npy file of samples (or be left out: the first "
        "training samples calibrate then)");
  }
  if (!d->calibration.empty() && !d->ref.empty()) {
    BS_RETURN_IF_ERROR(CheckInsideUpload("dataset.calibration", d->calibration));
  }
  BS_RETURN_IF_ERROR(r.Integer("train_limit", &d->train_limit, 0, spec_internal::kMaxSamples));
  BS_RETURN_IF_ERROR(r.Integer("test_limit", &d->test_limit, 0, spec_internal::kMaxSamples));
  BS_RETURN_IF_ERROR(r.Number("validation_fraction", &d->validation_fraction, 0.0, false));
  BS_RETURN_IF_ERROR(r.Integer("synthetic_train", &d->synthetic_train, 1, spec_internal::kMaxSyntheticSamples));
  BS_RETURN_IF_ERROR(r.Integer("synthetic_test", &d->synthetic_test, 1, spec_internal::kMaxSyntheticSamples));
  BS_RETURN_IF_ERROR(ParseInputShape(r, &d->input_shape));
  BS_RETURN_IF_ERROR(ParsePreprocess(r, &d->preprocess));
  BS_RETURN_IF_ERROR(ParseAugment(r, &d->augment));
  if (d->validation_fraction >= 0.9) {
    return absl::InvalidArgumentError("dataset.validation_fraction: must be below 0.9");
  }
  if (!d->format.empty()) {
    if (has_name) {
      return absl::InvalidArgumentError("dataset: give either \"name\" or \"format\" (with its files)");
    }
    d->name.clear();
    if (!OneOf(d->format, DatasetFormatNames())) return NotOneOf("dataset.format", d->format, DatasetFormatNames());
    if (d->path.empty() && d->format != "npy" && d->ref.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("dataset.path: required with dataset.format ", d->format));
    }
  } else if (!OneOf(d->name, CatalogDatasetNames())) {
    return NotOneOf("dataset.name", d->name, CatalogDatasetNames());
  } else if (!d->path.empty()) {
    return absl::InvalidArgumentError("dataset.path: only valid with dataset.format");
  }
  const std::vector<std::string> layouts = {"NCHW", "NHWC"};
  if (!OneOf(d->layout, layouts)) return NotOneOf("dataset.layout", d->layout, layouts);
  const std::vector<std::string> corrupt = {"error", "skip"};
  if (!OneOf(d->on_corrupt, corrupt)) return NotOneOf("dataset.on_corrupt", d->on_corrupt, corrupt);
  BS_RETURN_IF_ERROR(CheckFormatFields(*obj, *d));
  if (d->format == "npy" || d->format == "npz") {
    const bool npz = d->format == "npz";
    BS_RETURN_IF_ERROR(ParseArrayPair(r, "train", !npz, npz ? ArrayPair{"x_train", "y_train"} : ArrayPair{}, &d->train));
    BS_RETURN_IF_ERROR(ParseArrayPair(r, "test", !npz, npz ? ArrayPair{"x_test", "y_test"} : ArrayPair{}, &d->test));
  }
  BS_RETURN_IF_ERROR(CheckUploadFields(*d));
  return r.NoUnknownFields();
}

}  // namespace spec_internal

json PreprocessSpecToJson(const PreprocessSpec& p) {
  if (p.automatic) return "auto";
  json out = {{"scale", p.scale}};
  if (!p.mean.empty()) out["mean"] = p.mean;
  if (!p.std.empty()) out["std"] = p.std;
  return out;
}

json DatasetSpecToJson(const DatasetSpec& d) {
  json out = {{"train_limit", d.train_limit},
              {"test_limit", d.test_limit},
              {"validation_fraction", d.validation_fraction},
              {"preprocess", PreprocessSpecToJson(d.preprocess)}};
  if (d.format.empty()) {
    out["name"] = d.name;
  } else {
    out["format"] = d.format;
    if (!d.ref.empty()) out["ref"] = d.ref;
    if (!d.digest.empty()) out["digest"] = d.digest;
    if (!d.path.empty()) out["path"] = d.path;
  }
  if (d.format == "npy" || d.format == "npz") {
    out["train"] = {{"x", d.train.x}, {"y", d.train.y}};
    out["test"] = {{"x", d.test.x}, {"y", d.test.y}};
    out["layout"] = d.layout;
  }
  if (d.format == "image-folder") out["on_corrupt"] = d.on_corrupt;
  if (d.name == "synthetic") {
    out["synthetic_train"] = d.synthetic_train;
    out["synthetic_test"] = d.synthetic_test;
  }
  if (!d.input_shape.empty()) out["input_shape"] = d.input_shape;
  if (!d.calibration.empty()) out["calibration"] = d.calibration;
  if (d.augment.enabled()) {
    out["augment"] = {{"crop_padding", d.augment.crop_padding},
                      {"horizontal_flip", d.augment.horizontal_flip}};
  }
  return out;
}

absl::StatusOr<DatasetSpec> WithLocalPaths(const DatasetSpec& d) {
  if (d.ref.empty()) return d;
  if (d.local_root.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "dataset.ref: \"", d.ref, "\" is a data set uploaded to a bitsearch server, which its workers fetch; "
        "to run here, name the local files with \"format\" and \"path\" (or \"train\"/\"test\") instead"));
  }
  DatasetSpec out = d;
  const std::filesystem::path root(d.local_root);
  // A job on one uploaded file reads that file unless the spec names another.
  const std::string relative = !d.path.empty() ? d.path : d.local_file;
  if (d.format != "npy") out.path = relative.empty() ? root.string() : (root / relative).string();
  if (d.format == "npy") {
    for (std::string* p : {&out.train.x, &out.train.y, &out.test.x, &out.test.y}) *p = (root / *p).string();
  }
  if (!d.calibration.empty()) out.calibration = (root / d.calibration).string();
  return out;
}

}  // namespace bitsearch
